"""Validation of the flight model against published flights.

Each published flight is flown from its launch site on the bearing of its reported impact area
(or the bearing the row states), with its published apogee and ground range, by the catalogue
vehicle the row names (or that of its class), on the rotating Earth; a manoeuvring flight with
its pull-up or glide altitude and bank turns, a submarine launch from its depth. Checks: apogee
and range within 1%; flight time within 5%, or within the publication's rounding plus 3%,
where a flight time was published; where analysts published an equivalent range, the vehicle's
minimum-energy range (same stages, same burn, boost re-flown, fired on the same bearing from the
same site, Earth rotating) within 15% of it. Second peaks and lateral movements are reported
beside their published figures, not checked (the guidance that flew them is not public).
"""

from __future__ import annotations

import csv
import os
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from lookout.errors import LookoutError
from lookout.flight import Aim, TurnSpec, fly, plan, summarise
from lookout.flight.guidance import REALISTIC_RV_KG, max_range_many, with_payload
from lookout.geodesy import R_MEAN, ecef_to_geodetic, geodesic_inverse
from lookout.physics.vehicles import catalogue

#: The catalogue vehicle flown for each published vehicle when a row does not name one.
VEHICLE_FOR = {
    "Hwasong-12": "irbm-liquid",
    "Hwasong-14": "icbm-liquid-2stage-light",
    "Hwasong-15": "icbm-liquid-2stage",
    "Hwasong-17": "icbm-liquid-2stage-heavy",
    "Hwasong-18": "icbm-solid-3stage",
    "Ghadr-1": "mrbm-liquid-long",
    "Emad": "mrbm-liquid-long",
    "Sejjil": "mrbm-solid-2stage",
}
APOGEE_RANGE_TOL = 0.01
FLIGHT_TIME_TOL = 0.05
MINUTE_ROUNDING_EXTRA = 0.03
MAX_RANGE_TOL = 0.15


@dataclass
class Result:
    id: str
    vehicle: str
    published: dict
    simulated: dict
    errors_pct: dict
    flight_time_allowed_s: float | None
    checks: dict
    manoeuvre: str = "ballistic"

    @property
    def passed(self) -> bool:
        return all(self.checks.values())

    def to_dict(self) -> dict:
        return asdict(self) | {"passed": self.passed}


def default_csv() -> Path | None:
    """The published-flights file: ``$LOOKOUT_PUBLISHED_FLIGHTS``, else the package's copy
    (the shared file of the team plus the manoeuvring and sea-launched flights)."""
    env = os.environ.get("LOOKOUT_PUBLISHED_FLIGHTS")
    if env:
        return Path(env)
    bundled = Path(__file__).resolve().parent / "published_flights.csv"
    return bundled if bundled.exists() else None


#: Columns the published flights file must have.
COLUMNS = ("id", "vehicle", "launch_lat", "launch_lon", "impact_lat", "impact_lon", "apogee_km",
           "range_km", "flight_time_s", "flight_time_rounding_s", "max_range_km")  # fmt: skip
#: Columns that hold numbers (``max_range_km``, the flight time and its rounding may be empty,
#: and the impact point where the row gives a bearing, ``azimuth_deg``).
NUMBERS = COLUMNS[2:]


class PublishedFlightsError(LookoutError, ValueError):
    """The published flights file is not what it must be; names the row, column and value."""


def read_published(path: Path) -> list[dict]:
    """The rows of the published flights CSV, checked: every column present, numbers where
    numbers belong, a catalogue vehicle named or one ``VEHICLE_FOR`` knows."""
    with open(path, newline="") as f:
        reader = csv.DictReader(f)
        missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise PublishedFlightsError(f"{path}: column {missing[0]!r} missing (expected "
                                        f"{', '.join(COLUMNS)})")  # fmt: skip
        rows = list(reader)
    for i, row in enumerate(rows):
        where = f"{path}: row {i + 1} ({row['id']})"
        named = (row.get("catalogue_vehicle") or "").strip()
        if named and named not in catalogue():
            raise PublishedFlightsError(
                f"{where}: catalogue_vehicle = {named!r}, expected one of {list(catalogue())}"
            )
        if not named and row["vehicle"] not in VEHICLE_FOR:
            raise PublishedFlightsError(
                f"{where}: vehicle = {row['vehicle']!r}, expected one of {list(VEHICLE_FOR)} "
                "or a catalogue_vehicle"
            )
        for col in NUMBERS:
            value = row[col]
            if not value and (
                col in ("max_range_km", "flight_time_s", "flight_time_rounding_s")
                or (col in ("impact_lat", "impact_lon") and (row.get("azimuth_deg") or "").strip())
            ):  # no flight time published; an impact given by its bearing
                continue
            try:
                float(value)
            except (TypeError, ValueError):
                raise PublishedFlightsError(
                    f"{where}: {col} = {value!r}, expected a number"
                ) from None
    return rows


def flight_time_allowance(published_s: float, rounding_s: float) -> float:
    """Allowed flight-time error (s): 5%, or the rounding plus 3% when published to the minute."""
    allowed = FLIGHT_TIME_TOL * published_s
    if rounding_s >= 60:
        allowed = max(allowed, rounding_s + MINUTE_ROUNDING_EXTRA * published_s)
    return allowed


def _number(row: dict, key: str) -> float | None:
    text = (row.get(key) or "").strip()
    return float(text) if text else None


def _turns(text: str) -> tuple[TurnSpec, ...]:
    """``start:end:bank;...`` (s after liftoff, degrees) as turn specs."""
    out = []
    for part in filter(None, (p.strip() for p in (text or "").split(";"))):
        start, end, bank = (float(x) for x in part.split(":"))
        out.append(TurnSpec(start, end, bank))
    return tuple(out)


def row_aim(row: dict) -> tuple[Aim, float]:
    """The aim a row is flown with (azimuth, apogee and range; its manoeuvre), and its azimuth
    in degrees."""
    lat, lon = float(row["launch_lat"]), float(row["launch_lon"])
    az_deg = _number(row, "azimuth_deg")
    if az_deg is None:
        _, az = geodesic_inverse(
            np.radians(lat),
            np.radians(lon),
            np.radians(float(row["impact_lat"])),
            np.radians(float(row["impact_lon"])),
        )
        az_deg = float(np.degrees(az)) % 360
    aim = Aim(
        azimuth_deg=az_deg,
        apogee_km=float(row["apogee_km"]),
        range_km=float(row["range_km"]),
        pull_up_km=_number(row, "pull_up_km"),
        glide_km=_number(row, "glide_km"),
        turns=_turns(row.get("turns", "")),
    )
    return aim, az_deg


def validate_flight(row: dict) -> Result:
    lat, lon = float(row["launch_lat"]), float(row["launch_lon"])
    aim, az_deg = row_aim(row)
    vehicle = (row.get("catalogue_vehicle") or "").strip() or VEHICLE_FOR[row["vehicle"]]
    depth = _number(row, "depth_m") or 0.0
    launch = plan(lat, lon, aim, vehicle, object_id=row["id"], depth_m=depth)
    trs = fly([launch], debris=False)
    s = summarise(launch, trs, with_max_range=False)
    main = trs[0]
    t_pub = _number(row, "flight_time_s")
    allowed = None
    if t_pub is not None:
        allowed = flight_time_allowance(t_pub, _number(row, "flight_time_rounding_s") or 0.0)
    published = {
        "apogee_km": aim.apogee_km,
        "range_km": aim.range_km,
        "flight_time_s": t_pub,
        "max_range_km": _number(row, "max_range_km"),
        "second_peak_km": _number(row, "second_peak_km"),
        "lateral_km": _number(row, "lateral_km"),
    }
    simulated = {
        "apogee_km": s.apogee_km,
        "range_km": s.range_km,
        "flight_time_s": s.flight_time_s,
        "max_range_km": None,
        "max_range_realistic_rv_km": None,
        "second_peak_km": _second_peak_km(main),
        "lateral_km": _lateral_km(launch, s, az_deg),
        "burnout_time_s": s.burnout_time_s,
        "burnout_speed_kms": s.burnout_speed_kms,
        "azimuth_deg": s.azimuth_deg,
    }
    if published["max_range_km"] is not None:
        rv = max(REALISTIC_RV_KG, launch.vehicle.payload.mass_kg)
        flown, heavier = max_range_many([launch, with_payload(launch, rv)])
        simulated["max_range_km"] = flown[0] / 1e3
        simulated["max_range_realistic_rv_km"] = heavier[0] / 1e3
    err = {
        k: 100.0 * (simulated[k] - v) / v
        for k, v in published.items()
        if v is not None and simulated.get(k) is not None
    }
    if published["max_range_km"] is not None:
        mr = published["max_range_km"]
        err["max_range_realistic_rv_km"] = (
            100.0 * (simulated["max_range_realistic_rv_km"] - mr) / mr
        )
    checks = {
        "apogee": abs(err["apogee_km"]) <= 100 * APOGEE_RANGE_TOL,
        "range": abs(err["range_km"]) <= 100 * APOGEE_RANGE_TOL,
    }
    if t_pub is not None:
        checks["flight_time"] = abs(s.flight_time_s - t_pub) <= allowed
    if published["max_range_km"] is not None:
        checks["max_range"] = abs(err["max_range_km"]) <= 100 * MAX_RANGE_TOL
    kind = aim.manoeuvre() or "ballistic"
    if depth > 0:
        kind += ", submerged start"
    return Result(row["id"], vehicle, published, simulated, err, allowed, checks, kind)


def _second_peak_km(tr) -> float | None:
    """Highest top after the first (a skip, or the crest of a pull-up), km; None if none."""
    peaks = [float(ecef_to_geodetic(e.pos)[2]) for e in tr.events if e.name == "peak"]
    return max(peaks) / 1e3 if peaks else None


def _lateral_km(launch, s, az_deg: float) -> float | None:
    """Distance (km) of the impact from the great circle of the initial heading, when the
    flight turned (to either side: the published figures give no side)."""
    if not launch.turns or s.impact is None:
        return None
    d, az = geodesic_inverse(
        launch.site_lat,
        launch.site_lon,
        np.radians(s.impact["lat_deg"]),
        np.radians(s.impact["lon_deg"]),
    )
    xt = np.arcsin(np.sin(float(d) / R_MEAN) * np.sin(float(az) - launch.azimuth)) * R_MEAN
    return abs(float(xt)) / 1e3


def validate_all(path: Path, progress: Callable[[Result], None] | None = None) -> list[Result]:
    results = []
    for row in read_published(path):
        r = validate_flight(row)
        if progress:
            progress(r)
        results.append(r)
    return results


def markdown_report(results: list[Result], path: Path) -> str:
    def cell(r: Result, key: str, fmt: str = ".0f") -> str:
        pub = r.published.get(key)
        sim = r.simulated.get(key)
        if pub is None:
            return "–" if sim is None else f"– / {sim:{fmt}}"
        if sim is None:
            return f"{pub:{fmt}} / –"
        return f"{pub:{fmt}} / {sim:{fmt}} ({r.errors_pct[key]:+.2f}%)"

    def allowed(r: Result) -> str:
        return "–" if r.flight_time_allowed_s is None else f"{r.flight_time_allowed_s:.0f}"

    ballistic = [r for r in results if r.manoeuvre == "ballistic"]
    manoeuvring = [r for r in results if r.manoeuvre != "ballistic"]
    lines = [
        "# Validation against published flights",
        "",
        "Generated by `lookout validate --markdown docs/validation.md` from "
        f"`{path.name}` (published figures, their sources and the assumptions of each row are "
        "in that file).",
        "",
        "Each flight is flown from its launch site on the geodesic bearing of its reported impact",
        "area (or the bearing the row states, when only a direction was published), with its",
        "published apogee and ground range, by the catalogue vehicle the row names, on the",
        "rotating WGS84 Earth (J2 gravity, US 1976 atmosphere, Mach-dependent drag; aerodynamic",
        "lift for the manoeuvring ones). The guidance (pitch-over angle and thrust termination",
        "time) is solved to meet apogee and range; flight time and maximum range follow from the",
        "physics.",
        "",
        "Checks: apogee and range within 1%; flight time within 5%, or within the rounding plus 3%",
        "when published to the minute; max range within 15% of the analysts' figure.",
        "",
        "## Ballistic flights",
        "",
        "*Max range* is the equivalent minimum-energy range, two ways: the same vehicle with the",
        "same stages, burn and payload, its boost re-flown at the pitch-over angle that maximises",
        "range, fired from the same site on the same bearing, with the Earth rotating (checked);",
        f"and the same re-fly with a re-entry vehicle of realistic mass ({REALISTIC_RV_KG:.0f} kg,",
        "*with RV*) where the catalogue's is lighter. Analysts' figures (UCS) reuse the lofted",
        "flight's burnout speed on a Keplerian arc instead: they leave out the gravity loss a",
        "steep boost suffers, which the re-fly recovers, so ours is higher for long-burning",
        "boosters; a heavier re-entry vehicle brings it down.",
        "",
        "| flight | vehicle flown | apogee km (pub / sim) | range km | flight time s | allowed ± s "
        "| max range km | with RV km | result |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in ballistic:
        lines.append(
            f"| {r.id} | {r.vehicle} | {cell(r, 'apogee_km', '.1f')} "
            f"| {cell(r, 'range_km', '.1f')} "
            f"| {cell(r, 'flight_time_s')} | {allowed(r)} "
            f"| {cell(r, 'max_range_km')} | {_rv_cell(r)} "
            f"| {'pass' if r.passed else 'FAIL'} |"
        )
    if manoeuvring:
        lines += [
            "",
            "## Manoeuvring and sea-launched flights",
            "",
            "Flown with the row's pull-up or glide altitude (and bank turns, for a lateral",
            "movement); the apogee is the first. *Second peak* is the highest top after it (the",
            "crest of the pull-up or of a skip) and *lateral* the impact's distance from the great",
            "circle of the initial heading: reported beside the published figure, not checked. See",
            "`docs/flight.md` for the vehicles' assumptions.",
            "",
            "| flight | vehicle flown | manoeuvre | apogee km (pub / sim) | range km "
            "| flight time s | allowed ± s | second peak km | lateral km | result |",
            "|---|---|---|---|---|---|---|---|---|---|",
        ]
        for r in manoeuvring:
            lines.append(
                f"| {r.id} | {r.vehicle} | {r.manoeuvre} | {cell(r, 'apogee_km', '.1f')} "
                f"| {cell(r, 'range_km', '.1f')} | {cell(r, 'flight_time_s')} | {allowed(r)} "
                f"| {cell(r, 'second_peak_km', '.1f')} | {cell(r, 'lateral_km', '.0f')} "
                f"| {'pass' if r.passed else 'FAIL'} |"
            )
    lines += [
        "",
        f"{sum(r.passed for r in results)} of {len(results)} flights pass every check.",
        "",
    ]
    return "\n".join(lines)


def _rv_cell(r: Result) -> str:
    sim = r.simulated.get("max_range_realistic_rv_km")
    if sim is None:
        return "–"
    return f"{sim:.0f} ({r.errors_pct['max_range_realistic_rv_km']:+.2f}%)"
