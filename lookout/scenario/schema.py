"""What a scenario is, once read and checked: its partners, their sensors, the launches.

``lookout.scenario.parse`` builds these from a file; every later stage reads them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from lookout.errors import LookoutError
from lookout.flight import Aim
from lookout.sensors import Sensor, make_sensor


class ScenarioError(LookoutError, ValueError):
    """A scenario file is invalid; the message names the field, the value and the expectation."""


@dataclass(frozen=True)
class Partner:
    """A coalition partner: ``id`` (used on the wire), display ``name``, ISO 3166 ``country``
    code, the ``languages`` (BCP 47 tags) its public warnings are written in, and its warning
    ``authority`` settings over the country's defaults (``sender``, ``sender_name`` per
    language, ``timezone``, ``web``; see ``lookout.warn.notice.authority_from_config``)."""

    id: str
    name: str
    country: str
    languages: tuple[str, ...]
    authority: tuple[tuple[str, Any], ...] = ()


@dataclass(frozen=True)
class SensorEntry:
    """One sensor as the file states it: the sensor's own fields (``spec``, handed to
    ``lookout.sensors.make_sensor``) and the times it is out of action (``outages``, pairs of
    seconds after the epoch): a radar that loses a track, a satellite in a data gap."""

    spec: dict
    outages: tuple[tuple[float, float], ...] = ()

    @property
    def id(self) -> str:
        return self.spec["id"]

    def build(self) -> Sensor:
        return make_sensor(self.spec)


@dataclass(frozen=True)
class LaunchEntry:
    """A launch: ``time_s`` after the epoch, ``site`` (lat, lon deg), the catalogue ``vehicle``
    (None: the smallest able), its ``aim`` (``lookout.flight.Aim``) and, for a submarine launch,
    the ``depth_m`` it is ejected from."""

    id: str
    time_s: float
    site_lat_deg: float
    site_lon_deg: float
    vehicle: str | None
    aim: Aim
    depth_m: float = 0.0


@dataclass(frozen=True)
class Scenario:
    name: str
    description: str
    epoch: dt.datetime
    seed: int
    duration_s: float
    partners: tuple[Partner, ...]
    sensors: tuple[SensorEntry, ...]
    launches: tuple[LaunchEntry, ...]
    note: str = ""
    source: str = ""
    raw: dict = field(default_factory=dict, repr=False, compare=False)

    def partner(self, partner_id: str) -> Partner:
        return next(p for p in self.partners if p.id == partner_id)
