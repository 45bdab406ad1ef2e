"""First-level areas of the partner countries, their territorial sea, EEZs and sea-area names.

An :class:`Area` is what a public warning is addressed to: a Japanese prefecture (都道府県), a
Korean province-level division (시·도), a US state or territory, and for the partners of issue 13
an Israeli district (מחוז), a Jordanian governorate (محافظة), an Indian state or union territory,
an Australian state or territory, a Mexican state, a UK region (England's nine, Scotland, Wales,
Northern Ireland) or a Norwegian county (fylke) or Svalbard. Its ``footprint`` is its land
plus its 12-nautical-mile territorial sea, simplified outward to at most 99 distinct vertices
per polygon (it always contains the land and the sea it stands for, a few km more at most).
The shipped data are read offline from ``data/<COUNTRY>.json``, made from Natural Earth 1:10m
admin-1 by ``data/make_areas.py`` (which records the source and its checksum, and says what is
fixed and how the footprints and EEZs are drawn).

Geometries are shapely, in longitude/latitude degrees with longitudes in [-180, 180]; those
crossing the antimeridian (the Aleutians) are split at it. Points and geometries passed in may
use any longitude; they are brought into that range.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cache, lru_cache
from importlib import resources
from typing import Any

import numpy as np
import shapely
import shapely.affinity
import shapely.ops
from pyproj import Geod
from shapely.geometry import mapping, shape

from lookout.errors import LookoutError
from lookout.geodesy import wrap_lonlat

#: Partner countries whose areas are shipped.
COUNTRIES = ("JP", "KR", "US", "IL", "JO", "IN", "AU", "MX", "GB", "NO")
#: The territorial sea's width (UNCLOS art. 3), metres.
TERRITORIAL_SEA_M = 12 * 1852.0

_LOCAL_LANGUAGE = {"JP": "ja", "KR": "ko", "US": "en", "IL": "he", "JO": "ar", "IN": "hi",
                   "AU": "en", "MX": "es", "GB": "en", "NO": "nb"}  # fmt: skip
# Former Korean codes still met in older data: Gangwon 42 -> 51 (2023), Jeonbuk 45 -> 52 (2024).
_KR_FORMER_CODES = {"42": "51", "45": "52"}
_GEOD = Geod(ellps="WGS84")


class AreaError(LookoutError, ValueError):
    """An unknown country or area code; the message names it and what is known."""


@dataclass(frozen=True)
class Area:
    """One first-level area of a partner country.

    ``code`` is the official code: JIS X 0401 two digits for a Japanese prefecture ("01"
    Hokkaido .. "47" Okinawa), the 행정표준코드 시·도 code for Korea ("11" Seoul .. "50" Jeju,
    "36" Sejong, "51" Gangwon, "52" Jeonbuk), the two-digit state FIPS code for the US ("02"
    Alaska, "15" Hawaii, "66" Guam, "69" Northern Mariana Islands), the Central Bureau of
    Statistics district code for Israel ("1" Jerusalem .. "6" Southern), INEGI's state code for
    Mexico ("02" Baja California), the GSS code for a UK region ("E12000007" London,
    "S92000003" Scotland), the county number for Norway ("56" Finnmark, "21" Svalbard), the
    ISO 3166-2 suffix elsewhere ("AQ" Aqaba, "OR" Odisha, "WA" Western Australia).
    ``iso_3166_2`` is the ISO 3166-2 code ("JP-47"; "KR-49" for Jeju and "KR-50" for Sejong;
    "US-HI", "US-GU"; "GB-ENG" for each region of England, which has none of its own).
    ``geocodes`` are the CAP ``<geocode>`` valueName/value pairs, e.g. ``(("SAME", "015000"),
    ("FIPS", "15"), ("ISO 3166-2", "US-HI"))``. ``names`` maps language tags to the area's name
    in that language (local and English always, Spanish for the US, Arabic for Israel).
    ``land`` is the area's land and ``footprint`` its land plus territorial sea, shapely
    (Multi)Polygons in lon/lat degrees; ``timezone`` the IANA zone of the area (its main one
    if it spans several).
    """

    country: str
    code: str
    iso_3166_2: str
    name_local: str
    name_en: str
    geocodes: tuple[tuple[str, str], ...]
    timezone: str
    names: tuple[tuple[str, str], ...] = ()
    land: Any = field(default=None, repr=False, compare=False)
    footprint: Any = field(default=None, repr=False, compare=False)

    @property
    def key(self) -> str:
        """``COUNTRY:CODE``, e.g. ``"JP:47"``: the key used in logs and evaluations."""
        return f"{self.country}:{self.code}"

    def name(self, language: str) -> str:
        """The area's name in a language (BCP 47 primary tag), else its English name."""
        return dict(self.names).get(language, self.name_en)

    def same_codes(self) -> tuple[str, ...]:
        """The area's SAME codes (US only; empty elsewhere)."""
        return tuple(v for k, v in self.geocodes if k == "SAME")

    def polygons(self) -> list[list[tuple[float, float]]]:
        """The footprint's outer rings as closed lists of (lat, lon) degrees, CAP order."""
        return [[(lat, lon) for lon, lat in p.exterior.coords] for p in _polygons(self.footprint)]

    def geojson(self, which: str = "footprint") -> dict:
        """A GeoJSON Feature of the area's ``footprint`` (or ``land``), with its codes and names.

        For maps (``lookout.web``): properties are ``key``, ``country``, ``code``,
        ``iso_3166_2``, ``name_local``, ``name_en`` and ``kind`` (which geometry it is).
        """
        if which not in ("footprint", "land"):
            raise AreaError(f"which: {which!r} (expected 'footprint' or 'land')")
        return {
            "type": "Feature",
            "geometry": mapping(getattr(self, which)),
            "properties": {
                "key": self.key,
                "country": self.country,
                "code": self.code,
                "iso_3166_2": self.iso_3166_2,
                "name_local": self.name_local,
                "name_en": self.name_en,
                "kind": which,
            },
        }


@dataclass(frozen=True)
class SeaArea:
    """A named sea, for maritime messages and the "towards where" of an overflight.

    ``key`` is a stable English key ("sea_of_japan", "pacific"); ``names`` maps a language tag,
    or a language and partner country ("en-KR"), to the name used: Korean texts say 동해 for the
    Sea of Japan and Korea's English texts "East Sea", as Korean authorities do.
    """

    key: str
    names: tuple[tuple[str, str], ...]

    def name(self, language: str, country: str | None = None) -> str:
        names = dict(self.names)
        if country is not None and f"{language}-{country}" in names:
            return names[f"{language}-{country}"]
        return names.get(language, names["en"])


@dataclass(frozen=True)
class _Country:
    areas: tuple[Area, ...]
    footprints: Any  # numpy array of geometries, prepared
    lands: Any
    tree: Any  # STRtree over footprints
    eez: Any
    source: dict


def _polygons(geom) -> list:
    if geom is None or geom.is_empty:
        return []
    if geom.geom_type == "Polygon":
        return [geom]
    out = []
    for g in getattr(geom, "geoms", []):
        out.extend(_polygons(g))
    return out


def _check_country(country: str) -> str:
    if country not in COUNTRIES:
        raise AreaError(f"country: {country!r} has no shipped areas (expected one of {COUNTRIES})")
    return country


@cache
def _load(country: str) -> _Country:
    _check_country(country)
    text = resources.files(__package__).joinpath("data", f"{country}.json").read_text("utf-8")
    doc = json.loads(text)
    local = _LOCAL_LANGUAGE[country]
    areas = []
    for a in doc["areas"]:
        names = a["names"]
        areas.append(
            Area(
                country=country,
                code=a["code"],
                iso_3166_2=a["iso_3166_2"],
                name_local=names[local],
                name_en=names["en"],
                geocodes=tuple((k, v) for k, v in a["geocodes"]),
                timezone=a["timezone"],
                names=tuple(names.items()),
                land=shape(a["land"]),
                footprint=shape(a["footprint"]),
            )
        )
    footprints = np.array([a.footprint for a in areas], dtype=object)
    lands = np.array([a.land for a in areas], dtype=object)
    shapely.prepare(footprints)
    shapely.prepare(lands)
    eez = shape(doc["eez"])
    shapely.prepare(eez)
    source = {k: doc[k] for k in ("source", "source_file", "source_sha256", "generator")}
    return _Country(tuple(areas), footprints, lands, shapely.STRtree(footprints), eez, source)


def areas(country: str) -> tuple[Area, ...]:
    """Every first-level area of a partner country (ISO 3166-1 alpha-2), in code order."""
    return _load(country).areas


def source(country: str) -> dict:
    """Where the shipped areas of a country come from: source, file, SHA-256, generator."""
    return dict(_load(country).source)


def area(country: str, code: str) -> Area:
    """One area by its official code or its ISO 3166-2 code ("47", "JP-47", "US-GU").

    Korea's former codes of Gangwon (42) and Jeonbuk (45) are accepted for 51 and 52.
    """
    if country == "KR":
        code = _KR_FORMER_CODES.get(code, code)
    for a in areas(country):
        if code in (a.code, a.iso_3166_2):
            return a
    known = ", ".join(a.code for a in areas(country))
    raise AreaError(f"code: {code!r} is not an area of {country} (known: {known})")


def areas_geojson(country: str, which: str = "footprint") -> dict:
    """Every area of a country as a GeoJSON FeatureCollection (see :meth:`Area.geojson`)."""
    return {"type": "FeatureCollection", "features": [a.geojson(which) for a in areas(country)]}


def wrap_lon(lon_deg):
    """Longitudes brought into [-180, 180)."""
    return (np.asarray(lon_deg, dtype=float) + 180.0) % 360.0 - 180.0


def wrap_geometry(geom):
    """A lon/lat geometry whose longitudes pass +-180 (a track across the antimeridian drawn
    continuously), cut there and brought into [-180, 180] (``lookout.geodesy.wrap_lonlat``)."""
    return wrap_lonlat(geom)


def areas_meeting(country: str, geometry, *, land: bool = False) -> list[Area]:
    """The areas whose footprint (or ``land``) meets a lon/lat geometry (corridor, ellipse,
    ground track), in code order."""
    c = _load(country)
    g = wrap_geometry(geometry)
    idx = c.tree.query(g, predicate="intersects")
    if land:
        idx = [i for i in idx if c.lands[i].intersects(g)]
    return [c.areas[i] for i in sorted(idx)]


def contains(country: str, lat_deg, lon_deg, *, land: bool = False) -> np.ndarray:
    """Boolean (n_areas, n_points): which areas' footprints (or ``land``) contain which points."""
    c = _load(country)
    lat = np.atleast_1d(np.asarray(lat_deg, dtype=float))
    lon = wrap_lon(np.atleast_1d(lon_deg))
    geoms = c.lands if land else c.footprints
    return np.array([shapely.contains_xy(g, lon, lat) for g in geoms], dtype=bool).reshape(
        len(geoms), lat.size
    )


def areas_at(country: str, lat_deg, lon_deg, *, land: bool = False) -> list[tuple[Area, ...]]:
    """For each point, the areas whose footprint (or ``land``) contains it (several near a
    border, where territorial seas overlap; none at sea or abroad)."""
    inside = contains(country, lat_deg, lon_deg, land=land)
    areas_ = _load(country).areas
    return [tuple(areas_[i] for i in np.flatnonzero(col)) for col in inside.T]


def eez(country: str):
    """The partner's approximate exclusive economic zone (with its land), lon/lat degrees.

    Approximate: the sea within 200 nmi of the country's 1:10m coast and nearer to it than to
    any other country's (an equidistance line), on a 0.05 degree grid (0.1 for the US, whose
    zone is its Pacific part); see ``data/make_areas.py``.
    """
    return _load(country).eez


def in_eez(country: str, lat_deg, lon_deg) -> np.ndarray:
    """Boolean per point: inside the partner's approximate EEZ (or on its land)."""
    lat = np.atleast_1d(np.asarray(lat_deg, dtype=float))
    return shapely.contains_xy(_load(country).eez, wrap_lon(np.atleast_1d(lon_deg)), lat)


@lru_cache(maxsize=4096)
def nearest_area(country: str, lat_deg: float, lon_deg: float) -> tuple[Area, float, float]:
    """The area whose land is nearest a point: (area, distance m, bearing deg from the area's
    nearest land to the point, clockwise from north). For "about 250 km east of Hokkaido"."""
    c = _load(country)
    lon = float(wrap_lon(lon_deg))
    best = None
    for a in c.areas:
        # Nearest point on the land in a plane scaled by cos(lat): good to a few per cent.
        k = np.cos(np.radians(lat_deg))
        scaled = shapely.affinity.scale(a.land, xfact=k, yfact=1.0, origin=(0, 0))
        p_land, _ = shapely.ops.nearest_points(scaled, shapely.Point(lon * k, lat_deg))
        plon, plat = p_land.x / k, p_land.y
        az, _, d = _GEOD.inv(plon, plat, lon, lat_deg)
        if best is None or d < best[1]:
            best = (a, float(d), float(az) % 360.0)
    return best


from lookout.warn.areas.seas import sea_area  # noqa: E402  (seas needs SeaArea above)

__all__ = [
    "COUNTRIES",
    "Area",
    "AreaError",
    "SeaArea",
    "area",
    "areas",
    "areas_at",
    "areas_geojson",
    "areas_meeting",
    "contains",
    "eez",
    "in_eez",
    "nearest_area",
    "sea_area",
    "source",
    "wrap_geometry",
    "wrap_lon",
]
