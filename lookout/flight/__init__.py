"""Flight physics: launches on a rotating WGS84 Earth, from aim to truth trajectory.

``plan`` turns an aim (azimuth with apogee and range, a target point with a loft choice, or an
orbit) into a solved ``Launch``; ``fly`` propagates launches (as one batch) into trajectories;
``summarise`` reads the figures people quote off a flown launch.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from lookout.flight.guidance import (
    AimError,
    evaluate,
    max_range,
    minimum_energy_apogee,
    orbit_elements,
    solve_apogee_range,
    solve_minimum_energy,
    solve_orbit,
)
from lookout.flight.launch import Launch, launch_spec
from lookout.flight.propagate import propagate as propagate_specs
from lookout.flight.trajectory import Event, Trajectory
from lookout.flight.vehicles import CatalogueError, Vehicle, catalogue, vehicle
from lookout.geodesy import ecef_to_geodetic, geodesic_inverse

__all__ = [
    "Aim",
    "AimError",
    "CatalogueError",
    "Event",
    "FlightSummary",
    "Launch",
    "Trajectory",
    "Vehicle",
    "catalogue",
    "fly",
    "plan",
    "summarise",
    "vehicle",
]

#: Loft choices for a target aim besides an apogee in km.
LOFTS = ("minimum-energy", "depressed")
#: A depressed shot flies to this fraction of the minimum-energy apogee for its range.
DEPRESSED_APOGEE_FRACTION = 0.5


@dataclass(frozen=True)
class Aim:
    """What a launch is meant to do. Angles in degrees, lengths in km (file and CLI units).

    Exactly one of: ``azimuth_deg`` with ``apogee_km`` and ``range_km``; ``target_lat_deg`` and
    ``target_lon_deg`` with ``loft`` ("minimum-energy", "depressed" or an apogee in km);
    ``azimuth_deg`` with ``orbit_km``.
    """

    azimuth_deg: float | None = None
    apogee_km: float | None = None
    range_km: float | None = None
    target_lat_deg: float | None = None
    target_lon_deg: float | None = None
    loft: str | float = "minimum-energy"
    orbit_km: float | None = None

    def kind(self) -> str:
        if self.orbit_km is not None:
            if self.azimuth_deg is None:
                raise AimError("orbit aim needs azimuth_deg")
            return "orbit"
        if self.target_lat_deg is not None or self.target_lon_deg is not None:
            if self.target_lat_deg is None or self.target_lon_deg is None:
                raise AimError("target aim needs both target_lat_deg and target_lon_deg")
            _check_lat_lon("target", self.target_lat_deg, self.target_lon_deg)
            return "target"
        if self.azimuth_deg is None or self.apogee_km is None or self.range_km is None:
            raise AimError(
                "aim needs azimuth_deg with apogee_km and range_km, a target, or an orbit"
            )
        if not self.range_km > 0:
            raise AimError(f"range_km={self.range_km} must be positive")
        if not self.apogee_km > 0:
            raise AimError(f"apogee_km={self.apogee_km} must be positive")
        return "shape"


def _check_lat_lon(what: str, lat: float, lon: float) -> None:
    if not -90.0 <= lat <= 90.0:
        raise AimError(f"{what} latitude {lat} is outside -90..90 degrees")
    if not -180.0 <= lon <= 360.0:
        raise AimError(f"{what} longitude {lon} is outside -180..360 degrees")


def plan(
    site_lat_deg: float,
    site_lon_deg: float,
    aim: Aim,
    vehicle_name: str | None = None,
    object_id: str = "launch",
    launch_time: float = 0.0,
) -> Launch:
    """Solve the guidance of a launch so that it meets ``aim``.

    Without ``vehicle_name`` the smallest catalogue vehicle able to make the flight is chosen
    (space launchers only for orbits).
    """
    _check_lat_lon("site", site_lat_deg, site_lon_deg)
    kind = aim.kind()
    if vehicle_name is not None:
        candidates = [vehicle(vehicle_name)]
    else:
        candidates = [
            v for v in catalogue().values() if (v.vehicle_class == "SLV") == (kind == "orbit")
        ]
    errors = []
    for v in candidates:
        try:
            return _plan_with(
                v,
                np.radians(site_lat_deg),
                np.radians(site_lon_deg),
                aim,
                kind,
                object_id,
                launch_time,
            )
        except AimError as e:
            errors.append(e)
    if len(candidates) == 1:
        raise errors[0]
    raise AimError(f"no catalogue vehicle can fly this aim; the largest says: {errors[-1]}")


def _plan_with(
    v: Vehicle, lat: float, lon: float, aim: Aim, kind: str, object_id: str, launch_time: float
) -> Launch:
    base = Launch(
        object_id,
        v,
        lat,
        lon,
        np.radians(aim.azimuth_deg or 0.0),
        kick=np.radians(2.0),
        launch_time=launch_time,
    )
    if kind == "orbit":
        return solve_orbit(base, aim.orbit_km * 1e3)
    if kind == "shape":
        return solve_apogee_range(base, aim.apogee_km * 1e3, aim.range_km * 1e3)
    # Target: aim along the geodesic, then correct the heading for the Earth's rotation.
    tlat, tlon = np.radians(aim.target_lat_deg), np.radians(aim.target_lon_deg)
    dist, az = geodesic_inverse(lat, lon, tlat, tlon)
    dist, az = float(dist), float(az)
    # Secant on the heading so that the impact lies on the bearing to the target.
    headings, misses = [], []
    heading, launch = az, None
    for _ in range(6):
        launch = _solve_loft(replace(base, azimuth=heading), dist, aim.loft, launch)
        out = evaluate([launch])[0]
        _, az_hit = geodesic_inverse(lat, lon, out.impact_lat, out.impact_lon)
        miss = float(np.angle(np.exp(1j * (float(az_hit) - az))))
        if abs(miss) * dist < 100.0:
            break
        headings.append(heading)
        misses.append(miss)
        if len(headings) == 1:
            heading = heading - miss
        else:
            slope = (misses[-1] - misses[-2]) / (headings[-1] - headings[-2])
            heading = headings[-1] - misses[-1] / (slope if abs(slope) > 1e-3 else 1.0)
    return launch


def _solve_loft(base: Launch, dist: float, loft: str | float, start: Launch | None) -> Launch:
    if loft == "minimum-energy":
        return solve_minimum_energy(base, dist)
    if loft == "depressed":
        apogee = DEPRESSED_APOGEE_FRACTION * minimum_energy_apogee(base, dist)
        return solve_apogee_range(base, apogee, dist, start)
    try:
        apogee_km = float(loft)
    except (TypeError, ValueError):
        raise AimError(
            f"loft={loft!r} is not minimum-energy, depressed or an apogee in km"
        ) from None
    return solve_apogee_range(base, apogee_km * 1e3, dist, start)


def fly(launches: list[Launch], debris: bool = True) -> list[Trajectory]:
    """Propagate launches as one batch: each launch's main object first (in order), then debris."""
    return propagate_specs([launch_spec(x) for x in launches], spawn_debris=debris)


@dataclass(frozen=True)
class FlightSummary:
    """The figures of one flown launch, in edge units (km, deg, s after launch)."""

    vehicle: str
    vehicle_class: str
    azimuth_deg: float
    kick_deg: float
    burn_s: float
    flight_time_s: float | None
    apogee_km: float
    range_km: float | None
    burnout_time_s: float
    burnout_altitude_km: float
    burnout_speed_kms: float
    impact: dict | None
    max_range_km: float | None
    orbital: bool
    orbit: dict | None
    spent_stages: int

    def to_dict(self) -> dict:
        return dict(self.__dict__)


def summarise(
    launch: Launch, trajectories: list[Trajectory], with_max_range: bool = True
) -> FlightSummary:
    """Read a launch's figures off its trajectories (the main object and its debris)."""
    main = next(t for t in trajectories if t.object_id == launch.object_id)
    t0 = launch.launch_time
    bo = main.event("payload_separation")
    bo_alt = float(ecef_to_geodetic(bo.pos)[2])
    ins = main.event("orbit_insertion")
    imp = main.event("impact")
    apo = main.event("apogee")
    apogee = float(ecef_to_geodetic(apo.pos)[2]) if apo is not None else float(main.alt.max())
    impact = rng = None
    if imp is not None:
        lat, lon, _ = ecef_to_geodetic(imp.pos)
        rng = float(geodesic_inverse(launch.site_lat, launch.site_lon, lat, lon)[0]) / 1e3
        impact = {
            "lat_deg": float(np.degrees(lat)),
            "lon_deg": float(np.degrees(lon)),
            "time_s": imp.t - t0,
        }
    mr = None
    if with_max_range and ins is None and imp is not None:
        mr = max_range(launch)[0] / 1e3
    return FlightSummary(
        vehicle=launch.vehicle.name,
        vehicle_class=launch.vehicle.vehicle_class,
        azimuth_deg=float(np.degrees(launch.azimuth)),
        kick_deg=float(np.degrees(launch.kick)),
        burn_s=launch.burn_s,
        flight_time_s=(imp.t - t0) if imp is not None else None,
        apogee_km=apogee / 1e3
        if ins is None
        else float(orbit_elements(ins.pos, ins.vel)["apogee_km"]),
        range_km=rng,
        burnout_time_s=bo.t - t0,
        burnout_altitude_km=bo_alt / 1e3,
        burnout_speed_kms=float(np.linalg.norm(bo.vel)) / 1e3,
        impact=impact,
        max_range_km=mr,
        orbital=ins is not None,
        orbit=orbit_elements(ins.pos, ins.vel) if ins is not None else None,
        spent_stages=sum(1 for t in trajectories if t.parent_id == launch.object_id),
    )
