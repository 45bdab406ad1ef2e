"""Regenerate ``territories.csv`` from Natural Earth 1:110m admin-0 countries (public domain).

The shapefile is the copy geopandas 0.14 shipped as ``naturalearth_lowres`` (geopandas removed it
in 1.0); read with pyshp, its ISO 3166-1 alpha-3 codes turned into alpha-2 with pycountry. None
of them is a Lookout dependency: run this in a scratch environment::

    pip download --no-deps geopandas==0.14.4 && unzip geopandas-0.14.4-*.whl 'geopandas/datasets/*'
    pip install pyshp pycountry && python make_territories.py geopandas/datasets/naturalearth_lowres

Kept: every country of the file (177, the whole world), plus Guam, which is too small for the
1:110m scale and is added as a coarse outline from its published extent (13.24-13.65N,
144.62-144.96E). Three units have no ISO 3166-1 code: Kosovo takes "XK" (the code the European
Commission and the IMF use); N. Cyprus and Somaliland are given to the state ISO 3166 and the
UN count them in (Cyprus, Somalia), under its name, so that one code has one name.
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

import pycountry
import shapefile  # pyshp

#: Units without an ISO 3166-1 alpha-3 code in the file (or with none in ISO 3166): code, name.
NO_ISO = {"-99": ("XK", None), "CYN": ("CY", "Cyprus"), "SOL": ("SO", "Somalia")}

GUAM = [
    (144.62, 13.24), (144.66, 13.28), (144.64, 13.43), (144.79, 13.65), (144.96, 13.60),
    (144.86, 13.48), (144.77, 13.29), (144.71, 13.24), (144.62, 13.24),
]  # fmt: skip


def code_and_name(iso3: str, name: str) -> tuple[str, str]:
    if iso3 in NO_ISO:
        code, other = NO_ISO[iso3]
        return code, other or name
    return pycountry.countries.get(alpha_3=iso3).alpha_2, name


def main(shp: str, out: Path) -> None:
    if Path(shp).is_dir():  # the folder the wheel unzips to: its shapefile of the same name
        shp = str(Path(shp) / Path(shp).name)
    rows = []
    for sr in shapefile.Reader(shp).iterShapeRecords():
        code, name = code_and_name(sr.record["iso_a3"], sr.record["name"])
        pts, parts = sr.shape.points, list(sr.shape.parts) + [len(sr.shape.points)]
        key = sr.record["iso_a3"] if sr.record["iso_a3"] != "-99" else "XKX"
        for k in range(len(parts) - 1):
            for lon, lat in pts[parts[k] : parts[k + 1]]:
                rows.append((code, name, f"{key}-{k}", lon, lat))
    for lon, lat in GUAM:
        rows.append(("GU", "Guam (US)", "GUM-0", lon, lat))
    with out.open("w", newline="") as f:
        f.write("# Natural Earth 1:110m admin-0 countries (public domain), naturalearthdata.com,\n")
        f.write("# as shipped by geopandas 0.14 (naturalearth_lowres); Guam added by hand.\n")
        f.write("# Regenerate with make_territories.py. One row per vertex of a ring.\n")
        w = csv.writer(f)
        w.writerow(["code", "name", "ring", "lon_deg", "lat_deg"])
        for code, name, ring, lon, lat in rows:
            w.writerow([code, name, ring, f"{lon:.4f}", f"{lat:.4f}"])


if __name__ == "__main__":
    main(sys.argv[1], Path(__file__).with_name("territories.csv"))
