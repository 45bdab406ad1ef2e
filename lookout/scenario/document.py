"""The scenario file as it is written: its fields, their types and ranges, as msgspec structs.

``lookout.scenario.parse`` converts a file's mapping to ``ScenarioDocument`` (msgspec checks
every type, range and field name, and ``lookout.fields`` turns a problem into one line naming
the field), then checks what relates fields to each other and builds the ``Scenario``.
Units are the file's: degrees, km, seconds after the epoch. ``docs/scenarios.md`` documents
every field.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

import msgspec
from msgspec import Meta

from lookout.fields import FLOAT_MAX, Finite, Lat, Lon, NonEmpty, NonNegative, Positive

LatLon = Annotated[tuple[Lat, Lon], Meta(description="[lat_deg, lon_deg]")]
Azimuth = Annotated[
    float, Meta(ge=0.0, le=360.0, description="a heading in degrees from north, 0 to 360")
]
ManoeuvreAltitude = Annotated[float, Meta(ge=5.0, le=120.0)]


class _Fields(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    """A part of the file: unknown fields are refused."""


class Turn(_Fields):
    start_s: NonNegative
    end_s: NonNegative
    bank_deg: Annotated[float, Meta(ge=-80.0, le=80.0)]


class Glide(_Fields):
    altitude_km: ManoeuvreAltitude
    lift_to_drag: Annotated[float, Meta(ge=0.5, le=6.0)] | None = None
    turns: list[Turn] | None = None


class AimDocument(_Fields):
    """An aim: a ``target`` (with an optional ``loft``), or ``azimuth_deg`` with ``apogee_km``
    and ``range_km``, or ``azimuth_deg`` with ``orbit_km``; a ``pull_up_km`` or a ``glide``."""

    target: LatLon | None = None
    loft: (
        Annotated[
            Literal["minimum-energy", "depressed"] | Positive,
            Meta(description="minimum-energy, depressed or an apogee in km (with target)"),
        ]
        | None
    ) = None
    azimuth_deg: Azimuth | None = None
    apogee_km: Annotated[Positive, Meta(description="an apogee in km > 0")] | None = None
    range_km: Annotated[Positive, Meta(description="a ground range in km > 0")] | None = None
    orbit_km: Annotated[float, Meta(ge=80.0, le=40_000.0)] | None = None
    pull_up_km: ManoeuvreAltitude | None = None
    glide: Glide | None = None


class FailureDocument(_Fields):
    """A launch that fails in boost: ``kind`` at ``time_s`` after the launch."""

    time_s: Annotated[
        float, Meta(gt=0.0, le=FLOAT_MAX, description="seconds after the launch, > 0")
    ]
    kind: Literal["breakup", "cutoff"]
    pieces: (
        Annotated[int, Meta(ge=3, le=8, description="a number of debris pieces, 3 to 8")] | None
    ) = None


class LaunchDocument(_Fields):
    id: NonEmpty
    time_s: NonNegative
    site: LatLon
    aim: AimDocument
    vehicle: str | None = None
    depth_m: Annotated[float, Meta(gt=0.0, le=500.0)] | None = None
    failure: FailureDocument | None = None


class AuthorityDocument(_Fields):
    sender: NonEmpty | None = None
    sender_name: (
        Annotated[dict[str, NonEmpty], Meta(min_length=1, description="a mapping language -> name")]
        | None
    ) = None
    timezone: NonEmpty | None = None
    web: NonEmpty | None = None


class PartnerDocument(_Fields):
    id: NonEmpty
    country: NonEmpty
    name: NonEmpty | None = None
    languages: Annotated[list[NonEmpty], Meta(min_length=1)] = msgspec.field(
        default_factory=lambda: ["en"]
    )
    sensors: list[dict[str, Any]] | None = None
    authority: AuthorityDocument | None = None


class HazardAreaDocument(_Fields):
    """A hazard (drop) area: a circle (``center`` and ``radius_km``) or a ``polygon``."""

    stage: str = ""
    center: LatLon | None = None
    radius_km: Annotated[float, Meta(gt=0.0, le=5000.0)] | None = None
    polygon: Annotated[list[LatLon], Meta(min_length=3)] | None = None


class NoticeDocument(_Fields):
    """A partner's pre-launch notification (``docs/scenarios.md``, Notices)."""

    id: NonEmpty
    partner: NonEmpty
    window_s: Annotated[
        tuple[NonNegative, NonNegative], Meta(description="[start_s, end_s] after the epoch")
    ]
    site: LatLon
    site_radius_km: Annotated[float, Meta(gt=0.0, le=1000.0)]
    azimuth_deg: Annotated[
        tuple[Azimuth, Azimuth], Meta(description="[from_deg, to_deg], clockwise from the first")
    ]
    kind: Literal["space_launch", "test"]
    hazard_areas: list[HazardAreaDocument] | None = None
    issued_s: NonNegative = 0.0


class ScenarioDocument(_Fields):
    epoch: dt.datetime
    seed: Annotated[int, Meta(ge=0)]
    duration_s: Annotated[float, Meta(gt=0.0, le=FLOAT_MAX)]
    partners: Annotated[list[PartnerDocument], Meta(min_length=1)]
    name: NonEmpty | None = None
    description: str = ""
    note: str = ""
    launches: list[LaunchDocument] | None = None
    notices: list[NoticeDocument] | None = None


Outages = list[Annotated[tuple[Finite, Finite], Meta(description="[from_s, to_s]")]]
"""A sensor's times out of action, pairs of seconds after the epoch."""
