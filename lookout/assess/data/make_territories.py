"""Regenerate ``territories.csv`` from Natural Earth 1:110m admin-0 countries (public domain).

The shapefile is the copy geopandas 0.14 shipped as ``naturalearth_lowres`` (geopandas removed it
in 1.0); read with pyshp. Neither is a Lookout dependency: run this in a scratch environment::

    pip download --no-deps geopandas==0.14.4 && unzip geopandas-0.14.4-*.whl 'geopandas/datasets/*'
    pip install pyshp && python make_territories.py geopandas/datasets/naturalearth_lowres

Kept: the countries with land in East Asia, the western Pacific and the northern Pacific rim
(longitudes 60E..120W, latitudes 15S..80N), whole, plus Guam, which is too small for the 1:110m
scale and is added as a coarse outline from its published extent (13.24-13.65N, 144.62-144.96E).
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

import shapefile  # pyshp

ISO2 = {
    "KOR": "KR", "PRK": "KP", "JPN": "JP", "CHN": "CN", "RUS": "RU", "TWN": "TW", "PHL": "PH",
    "MNG": "MN", "VNM": "VN", "LAO": "LA", "KHM": "KH", "THA": "TH", "MMR": "MM", "MYS": "MY",
    "BRN": "BN", "IDN": "ID", "TLS": "TL", "PNG": "PG", "SLB": "SB", "AUS": "AU", "USA": "US",
    "CAN": "CA", "IND": "IN", "BGD": "BD", "BTN": "BT", "NPL": "NP", "KAZ": "KZ", "KGZ": "KG",
    "TJK": "TJ", "UZB": "UZ", "AFG": "AF", "PAK": "PK", "LKA": "LK", "NZL": "NZ",
}  # fmt: skip

GUAM = [
    (144.62, 13.24), (144.66, 13.28), (144.64, 13.43), (144.79, 13.65), (144.96, 13.60),
    (144.86, 13.48), (144.77, 13.29), (144.71, 13.24), (144.62, 13.24),
]  # fmt: skip


def in_region(lon0, lat0, lon1, lat1) -> bool:
    return lat1 >= -15 and lat0 <= 80 and (lon1 >= 60 or lon0 <= -120)


def main(shp: str, out: Path) -> None:
    rows = []
    for sr in shapefile.Reader(shp).iterShapeRecords():
        iso3 = sr.record["iso_a3"]
        if iso3 not in ISO2 or not in_region(*sr.shape.bbox):
            continue
        pts, parts = sr.shape.points, list(sr.shape.parts) + [len(sr.shape.points)]
        for k in range(len(parts) - 1):
            ring = pts[parts[k] : parts[k + 1]]
            lons = [p[0] for p in ring]
            lats = [p[1] for p in ring]
            if not in_region(min(lons), min(lats), max(lons), max(lats)):
                continue
            for lon, lat in ring:
                rows.append((ISO2[iso3], sr.record["name"], f"{iso3}-{k}", lon, lat))
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
