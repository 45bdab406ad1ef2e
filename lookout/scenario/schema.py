"""What a scenario is, once read and checked: its partners, their sensors, the launches.

``lookout.scenario.parse`` builds these from a file; every later stage reads them.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from typing import Any

from lookout.errors import LookoutError
from lookout.failure import Failure
from lookout.flight import Aim
from lookout.messages import HazardArea, LaunchNotice
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
    the ``depth_m`` it is ejected from; a ``failure`` in boost (``lookout.failure``) or None."""

    id: str
    time_s: float
    site_lat_deg: float
    site_lon_deg: float
    vehicle: str | None
    aim: Aim
    depth_m: float = 0.0
    failure: Failure | None = None


@dataclass(frozen=True)
class NoticeEntry:
    """A partner's pre-launch notification as the file states it (degrees, km, seconds after
    the epoch): ``partner`` announces its launch ``id`` in the window ``window_s`` from within
    ``site_radius_km`` of ``site``, heading clockwise from ``azimuth_deg[0]`` to
    ``azimuth_deg[1]``, of ``kind``, with its stages' ``hazard_areas`` (each ``(stage, circle,
    polygon)``: a circle ``(lat, lon, radius_km)`` or a polygon of ``(lat, lon)`` corners);
    sent on the exchange at ``issued_s``."""

    id: str
    partner: str
    window_s: tuple[float, float]
    site: tuple[float, float]
    site_radius_km: float
    azimuth_deg: tuple[float, float]
    kind: str
    hazard_areas: tuple[tuple[str, tuple | None, tuple | None], ...] = ()
    issued_s: float = 0.0

    def message(self) -> LaunchNotice:
        """The notification as the partner sends it (``lookout.messages.LaunchNotice``)."""
        rad, ns = math.radians, lambda s: round(s * 1e9)
        areas = []
        for stage, circle, polygon in self.hazard_areas:
            if circle is not None:
                lat, lon, r_km = circle
                areas.append(
                    HazardArea(stage=stage, lat_rad=rad(lat), lon_rad=rad(lon), radius_m=r_km * 1e3)
                )
            else:
                areas.append(
                    HazardArea(stage=stage, polygon_rad=[[rad(a), rad(b)] for a, b in polygon])
                )
        return LaunchNotice(
            partner=self.partner,
            notice_id=self.id,
            t_ns=ns(self.issued_s),
            window_start_ns=ns(self.window_s[0]),
            window_end_ns=ns(self.window_s[1]),
            site_lat_rad=rad(self.site[0]),
            site_lon_rad=rad(self.site[1]),
            site_radius_m=self.site_radius_km * 1e3,
            azimuth_min_rad=rad(self.azimuth_deg[0]) % (2 * math.pi),
            azimuth_max_rad=rad(self.azimuth_deg[1]) % (2 * math.pi),
            kind=self.kind,
            hazard_areas=areas,
        )


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
    notices: tuple[NoticeEntry, ...] = ()
    source: str = ""
    raw: dict = field(default_factory=dict, repr=False, compare=False)

    def partner(self, partner_id: str) -> Partner:
        return next(p for p in self.partners if p.id == partner_id)
