"""Validation of the flight model against published flights.

Each published flight is flown from its launch site on the bearing of its reported impact area,
with its published apogee and ground range, by the catalogue vehicle of its class, on the
rotating Earth. Checks: apogee and range within 1%; flight time within 5%, or within the
publication's rounding plus 3%; where analysts published an equivalent range, the vehicle's
minimum-energy range (same stages, same burn, boost re-flown, fired on the same bearing from the
same site, Earth rotating) within 15% of it.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from lookout.flight import Aim, fly, plan, summarise
from lookout.geodesy import geodesic_inverse

#: The catalogue vehicle flown for each published vehicle (see the catalogue's descriptions).
VEHICLE_FOR = {
    "Hwasong-12": "irbm-liquid",
    "Hwasong-14": "icbm-liquid-2stage-light",
    "Hwasong-15": "icbm-liquid-2stage",
    "Hwasong-17": "icbm-liquid-2stage-heavy",
    "Hwasong-18": "icbm-solid-3stage",
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
    flight_time_allowed_s: float
    checks: dict

    @property
    def passed(self) -> bool:
        return all(self.checks.values())

    def to_dict(self) -> dict:
        return asdict(self) | {"passed": self.passed}


def default_csv() -> Path | None:
    """The shared published-flights file (looked for beside and above the working directory and
    the package), else the copy kept with the tests."""
    env = os.environ.get("LOOKOUT_PUBLISHED_FLIGHTS")
    if env:
        return Path(env)
    for base in [
        Path.cwd(),
        *Path.cwd().parents,
        Path(__file__).resolve().parents[1],
        *Path(__file__).resolve().parents[1].parents,
    ]:
        p = base / "shared" / "data" / "flights" / "published.csv"
        if p.exists():
            return p
    bundled = Path(__file__).resolve().parents[1] / "tests" / "data" / "published_flights.csv"
    return bundled if bundled.exists() else None


#: Columns the published flights file must have.
COLUMNS = ("id", "vehicle", "launch_lat", "launch_lon", "impact_lat", "impact_lon", "apogee_km",
           "range_km", "flight_time_s", "flight_time_rounding_s", "max_range_km")  # fmt: skip
#: Columns that hold numbers (``max_range_km`` and the rounding may be empty).
NUMBERS = COLUMNS[2:]


class PublishedFlightsError(ValueError):
    """The published flights file is not what it must be; names the row, column and value."""


def read_published(path: Path) -> list[dict]:
    """The rows of the published flights CSV, checked: every column present, numbers where
    numbers belong, a vehicle ``VEHICLE_FOR`` knows."""
    with open(path, newline="") as f:
        reader = csv.DictReader(f)
        missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise PublishedFlightsError(f"{path}: column {missing[0]!r} missing (expected "
                                        f"{', '.join(COLUMNS)})")  # fmt: skip
        rows = list(reader)
    for i, row in enumerate(rows):
        where = f"{path}: row {i + 1} ({row['id']})"
        if row["vehicle"] not in VEHICLE_FOR:
            raise PublishedFlightsError(
                f"{where}: vehicle = {row['vehicle']!r}, expected one of {list(VEHICLE_FOR)}"
            )
        for col in NUMBERS:
            value = row[col]
            if col in ("max_range_km", "flight_time_rounding_s") and not value:
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


def validate_flight(row: dict) -> Result:
    lat, lon = float(row["launch_lat"]), float(row["launch_lon"])
    ilat, ilon = float(row["impact_lat"]), float(row["impact_lon"])
    _, az = geodesic_inverse(np.radians(lat), np.radians(lon), np.radians(ilat), np.radians(ilon))
    apogee, rng = float(row["apogee_km"]), float(row["range_km"])
    vehicle = VEHICLE_FOR[row["vehicle"]]
    launch = plan(
        lat,
        lon,
        Aim(azimuth_deg=float(np.degrees(az)) % 360, apogee_km=apogee, range_km=rng),
        vehicle,
        object_id=row["id"],
    )
    s = summarise(launch, fly([launch], debris=False))
    t_pub = float(row["flight_time_s"])
    allowed = flight_time_allowance(t_pub, float(row["flight_time_rounding_s"] or 0))
    published = {
        "apogee_km": apogee,
        "range_km": rng,
        "flight_time_s": t_pub,
        "max_range_km": float(row["max_range_km"]) if row["max_range_km"] else None,
    }
    simulated = {
        "apogee_km": s.apogee_km,
        "range_km": s.range_km,
        "flight_time_s": s.flight_time_s,
        "max_range_km": s.max_range_km,
        "burnout_time_s": s.burnout_time_s,
        "burnout_speed_kms": s.burnout_speed_kms,
        "azimuth_deg": s.azimuth_deg,
    }
    err = {k: 100.0 * (simulated[k] - v) / v for k, v in published.items() if v is not None}
    checks = {
        "apogee": abs(err["apogee_km"]) <= 100 * APOGEE_RANGE_TOL,
        "range": abs(err["range_km"]) <= 100 * APOGEE_RANGE_TOL,
        "flight_time": abs(s.flight_time_s - t_pub) <= allowed,
    }
    if published["max_range_km"] is not None:
        checks["max_range"] = abs(err["max_range_km"]) <= 100 * MAX_RANGE_TOL
    return Result(row["id"], vehicle, published, simulated, err, allowed, checks)


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
        pub = r.published[key]
        if pub is None:
            return "–"
        return f"{pub:{fmt}} / {r.simulated[key]:{fmt}} ({r.errors_pct[key]:+.2f}%)"

    lines = [
        "# Validation against published flights",
        "",
        "Generated by `lookout validate --markdown docs/validation.md` from "
        f"`{path.name}` (published figures and their sources are in that file).",
        "",
        "Each flight is flown from its launch site on the geodesic bearing of its reported impact",
        "area, with its published apogee and ground range, by the catalogue vehicle of its class,",
        "on the rotating WGS84 Earth (J2 gravity, US 1976 atmosphere, Mach-dependent drag).",
        "The guidance (pitch-over angle and thrust termination time) is solved to meet apogee and",
        "range; flight time and maximum range follow from the physics.",
        "",
        "*Max range* is the equivalent minimum-energy range: the same vehicle with the same stages",
        "and the same burn, its boost re-flown at the pitch-over angle that maximises range, fired",
        "from the same site on the same bearing (roughly east), with the Earth rotating.",
        "Analysts' figures (UCS) reuse the lofted flight's burnout speed instead, so they leave",
        "out the gravity loss a steep boost suffers; ours is higher for long-burning boosters.",
        "",
        "Checks: apogee and range within 1%; flight time within 5%, or within the rounding plus 3%",
        "when published to the minute; max range within 15% of the analysts' figure.",
        "",
        "| flight | vehicle flown | apogee km (pub / sim) | range km | flight time s | allowed ± s "
        "| max range km | result |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        lines.append(
            f"| {r.id} | {r.vehicle} | {cell(r, 'apogee_km', '.1f')} "
            f"| {cell(r, 'range_km', '.1f')} "
            f"| {cell(r, 'flight_time_s')} | {r.flight_time_allowed_s:.0f} "
            f"| {cell(r, 'max_range_km')} | {'pass' if r.passed else 'FAIL'} |"
        )
    lines += [
        "",
        f"{sum(r.passed for r in results)} of {len(results)} flights pass every check.",
        "",
    ]
    return "\n".join(lines)
