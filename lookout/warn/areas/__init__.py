"""First-level areas of the partner countries, their territorial sea, EEZs and sea-area names.

An :class:`Area` is what a public warning is addressed to: a Japanese prefecture (都道府県), a
Korean province-level division (시·도) or a US state or territory. Its ``footprint`` is its land
plus its 12-nautical-mile territorial sea, simplified outward (it always contains the land and
the sea it stands for). The shipped data are read offline from the package; see ``data/`` and
``tools/make_areas.py`` for where they come from.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

#: Partner countries whose areas are shipped.
COUNTRIES = ("JP", "KR", "US")


@dataclass(frozen=True)
class Area:
    """One first-level area of a partner country.

    ``code`` is the official code: JIS X 0401 two digits for a Japanese prefecture ("01"
    Hokkaido .. "47" Okinawa), the 행정표준코드 시·도 code for Korea ("11" Seoul .. "50" Jeju),
    the two-digit state FIPS code for the US ("15" Hawaii, "66" Guam). ``iso_3166_2`` is the ISO
    3166-2 subdivision code ("JP-47", "KR-49" for Jeju, "US-HI", "GU" territories as "US-GU").
    ``geocodes`` are the CAP ``<geocode>`` valueName/value pairs of the area, e.g.
    ``(("SAME", "015000"), ("FIPS", "15"))``. ``land`` is the area's land and ``footprint`` its
    land plus territorial sea, both shapely (Multi)Polygons in lon/lat degrees; ``timezone`` the
    IANA zone of local time there (the first listed for areas spanning several).
    """

    country: str
    code: str
    iso_3166_2: str
    name_local: str
    name_en: str
    geocodes: tuple[tuple[str, str], ...]
    timezone: str
    land: Any = field(repr=False, compare=False)
    footprint: Any = field(repr=False, compare=False)

    @property
    def key(self) -> str:
        """``PARTNER-COUNTRY:CODE``, e.g. ``"JP:47"``: the key used in logs and evaluations."""
        return f"{self.country}:{self.code}"

    def name(self, language: str) -> str:
        """The area's name in a language: local for the country's own language, else English."""
        return self.name_local if language == _LOCAL_LANGUAGE.get(self.country) else self.name_en


_LOCAL_LANGUAGE = {"JP": "ja", "KR": "ko", "US": "en"}


@dataclass(frozen=True)
class SeaArea:
    """A named sea, for maritime messages and "towards where" of an overflight.

    ``key`` is a stable English key ("sea_of_japan", "pacific"); ``names`` maps a language tag to
    the name used in that language (Korean texts say 동해 for the Sea of Japan, as Korean
    authorities do).
    """

    key: str
    names: tuple[tuple[str, str], ...]

    def name(self, language: str) -> str:
        names = dict(self.names)
        return names.get(language, names["en"])
