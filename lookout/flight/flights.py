"""Launches from aim to truth trajectory: ``plan`` (one aim), ``fly`` (a batch of launches
through ``lookout.physics.propagate``), ``fly_summary`` and ``summarise`` (the figures people
quote off a flown launch: apogee, range, burnout, time of flight)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lookout.flight.aim import Aim
from lookout.flight.guidance import (
    REALISTIC_RV_KG,
    max_range_closer,
    max_range_found,
    max_range_many,
    max_range_survey,
    orbit_elements,
    outcome,
    with_payload,
)
from lookout.flight.launch import Launch, launch_spec
from lookout.flight.planner import Request, plan_one
from lookout.geodesy import ecef_to_geodetic, geodesic_inverse
from lookout.physics.propagate import propagate as propagate_specs
from lookout.physics.propagate import propagate_shedding
from lookout.physics.trajectory import Trajectory


def plan(
    site_lat_deg: float,
    site_lon_deg: float,
    aim: Aim,
    vehicle_name: str | None = None,
    object_id: str = "launch",
    launch_time: float = 0.0,
    depth_m: float = 0.0,
) -> Launch:
    """Solve the guidance of a launch so that it meets ``aim`` (``plan_many`` for many).

    Without ``vehicle_name`` the smallest catalogue vehicle able to make the flight is chosen
    (space launchers only for orbits, lifting ones only for a pull-up or a glide, sea-launched
    ones only from under water); an aim that only a much bigger vehicle than the smallest
    reaching its range can fly is an error that says so.
    """
    return plan_one(
        Request(site_lat_deg, site_lon_deg, aim, vehicle_name, object_id, launch_time, depth_m)
    )


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
    #: An ICBM's re-fly with a re-entry vehicle of realistic mass (``guidance.REALISTIC_RV_KG``,
    #: or the vehicle's own if heavier).
    max_range_realistic_rv_km: float | None = None
    depth_m: float = 0.0
    #: Every event: name, s after launch, altitude (km), speed (km/s).
    events: list | None = None
    #: Largest lift acceleration (g) of a lifting body; the highest top after its apogee (km).
    max_lift_g: float | None = None
    second_peak_km: float | None = None

    def to_dict(self) -> dict:
        return dict(self.__dict__)


def fly_summary(launch: Launch) -> FlightSummary:
    """Fly a launch with its debris and summarise it, maximum ranges included: ``summarise(launch,
    fly([launch]))`` in two propagation calls instead of four: the launch with the first batch
    of the maximum-range search, then its spent stages with the second (the same figures)."""
    bases = _max_range_bases(launch)
    survey = max_range_survey(bases) if not launch.orbit else []  # an orbit has no range
    first, shed = propagate_shedding([launch_spec(x) for x in [launch, *survey]])
    shed = [s for s in shed if s.parent_id == launch.object_id]
    main = first[0]
    closer: list[Launch] = []
    if _has_max_range(main):
        outs = [outcome(x, tr) for x, tr in zip(survey, first[1:], strict=True)]
        pts, closer = max_range_closer(bases, outs)
    second = propagate_specs(shed + [launch_spec(x) for x in closer], spawn_debris=False)
    debris, fine = second[: len(shed)], second[len(shed) :]
    ranges = None
    if closer:
        outs = [outcome(x, tr) for x, tr in zip(closer, fine, strict=True)]
        ranges = [r for r, _ in max_range_found(bases, pts, outs)]
    return summarise(launch, [main, *debris], with_max_range=False, max_ranges_m=ranges)


def _max_range_bases(launch: Launch) -> list[Launch]:
    """The launches whose maximum range a summary gives: the launch itself and, for an ICBM, the
    same with a realistic re-entry vehicle."""
    bases = [launch]
    if launch.vehicle.vehicle_class == "ICBM":  # the figure analysts quote for lofted tests
        bases.append(with_payload(launch, max(REALISTIC_RV_KG, launch.vehicle.payload.mass_kg)))
    return bases


def _has_max_range(main: Trajectory) -> bool:
    """A flight that lands (not an orbit) has a maximum range."""
    return main.event("orbit_insertion") is None and main.event("impact") is not None


def summarise(
    launch: Launch,
    trajectories: list[Trajectory],
    with_max_range: bool = True,
    max_ranges_m: list[float] | None = None,
) -> FlightSummary:
    """Read a launch's figures off its trajectories (the main object and its debris).
    ``max_ranges_m``: the maximum ranges, already found (``fly_summary``)."""
    main = next(t for t in trajectories if t.object_id == launch.object_id)
    t0 = launch.launch_time
    bo = main.final_burnout()
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
    mr = mr_rv = None
    if with_max_range and _has_max_range(main):
        max_ranges_m = [r for r, _ in max_range_many(_max_range_bases(launch))]
    if max_ranges_m:
        ranges = [r / 1e3 for r in max_ranges_m]
        mr, mr_rv = ranges[0], (ranges[1] if len(ranges) > 1 else None)
    peaks = [float(ecef_to_geodetic(e.pos)[2]) / 1e3 for e in main.events if e.name == "peak"]
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
        max_range_realistic_rv_km=mr_rv,
        depth_m=launch.depth_m,
        events=[
            {
                "name": e.name,
                "t_s": e.t - t0,
                "alt_km": float(ecef_to_geodetic(e.pos)[2]) / 1e3,
                "speed_kms": float(np.linalg.norm(e.vel)) / 1e3,
            }
            for e in main.events
        ],
        max_lift_g=float(np.linalg.norm(main.lift, axis=1).max() / 9.80665)
        if main.lift is not None
        else None,
        second_peak_km=max(peaks) if peaks else None,
    )
