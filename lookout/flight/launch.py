"""A launch: a vehicle, a site, a heading and the guidance parameters, turned into segments."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lookout.errors import LookoutError
from lookout.geodesy import enu_basis, geodetic_to_ecef
from lookout.physics.dynamics import COASTING, GRAVITY_TURN, HOLD_PITCH, SEA_WATER_DENSITY
from lookout.physics.propagate import ObjectSpec, Segment, Spawn
from lookout.physics.vehicles import G0, Vehicle, drag_tables

#: Separation speed (m/s) of the last stage from its payload: springs or small retro motors push
#: the spent stage back, so the two drift apart (order of magnitude of published separation
#: systems, 1-5 m/s; e.g. the retro-rockets of ICBM post-boost stages).
PAYLOAD_SEPARATION_DV_MPS = 3.0

#: Longest flight we integrate (s) unless a scenario says otherwise.
DEFAULT_MAX_FLIGHT_S = 3 * 3600.0


class LaunchError(LookoutError, ValueError):
    """A launch that cannot be set up as given (e.g. a depth its vehicle cannot start from)."""


@dataclass(frozen=True)
class Turn:
    """A bank manoeuvre of a lifting body: bank ``bank`` (rad, positive to the right) from
    ``start_s`` to ``end_s`` after liftoff."""

    start_s: float
    end_s: float
    bank: float


@dataclass(frozen=True)
class Launch:
    """Everything that fixes one flight. Angles in radians; times in s from the scenario epoch.

    ``kick`` is the pitch-over angle from the vertical; ``cutoff_s`` the thrust termination time
    after ignition (the vehicle's full burn if None). With ``orbit`` set, the upper stages hold
    a pitch program starting ``hold_pitch`` above the horizon (flattening as they near
    circular speed) instead of following a gravity turn. A lifting vehicle holds
    ``glide_alt_m`` (its catalogue default if None) from apogee until its dive speed, flying the
    ``turns``; ``lift_to_drag`` overrides its polar's. ``depth_m`` > 0: a submerged start
    (``launch_time`` is then the ejection from the tube).
    """

    object_id: str
    vehicle: Vehicle
    site_lat: float
    site_lon: float
    azimuth: float
    kick: float
    cutoff_s: float | None = None
    launch_time: float = 0.0
    site_alt: float = 0.0
    orbit: bool = False
    hold_pitch: float = 0.0
    max_flight_s: float = DEFAULT_MAX_FLIGHT_S
    glide_alt_m: float | None = None
    turns: tuple[Turn, ...] = ()
    lift_to_drag: float | None = None
    depth_m: float = 0.0

    @property
    def burn_s(self) -> float:
        full = self.vehicle.full_burn_s
        return full if self.cutoff_s is None else float(min(self.cutoff_s, full))

    @property
    def ignition_s(self) -> float:
        """Time from ``launch_time`` to the first stage's ignition (0 unless submerged)."""
        return underwater_rise(self.vehicle, self.depth_m)[0] if self.depth_m > 0 else 0.0


def underwater_rise(vehicle: Vehicle, depth_m: float) -> tuple[float, float]:
    """(time from ejection to ignition (s), speed at the surface (m/s)) of a submerged start.

    The vertical rise through the water: buoyancy of the missile's volume, water drag at the
    body's low-speed drag coefficient, gravity; then ``ignition_delay_s`` in the air.
    """
    uw = vehicle.underwater
    if uw is None:
        raise LaunchError(
            f"depth {depth_m:g} m: {vehicle.name} cannot start under water "
            "(no underwater ejection in its catalogue entry)"
        )
    mass = vehicle.liftoff_mass_kg
    diameter = max(s.diameter_m for s in vehicle.stages)
    area = np.pi * diameter**2 / 4.0
    volume = area * uw.length_m
    cd = float(drag_tables()["booster"](np.array([0.0]))[0])
    buoy = SEA_WATER_DENSITY * volume * G0 / mass - G0
    k = 0.5 * SEA_WATER_DENSITY * cd * area / mass
    z, v, t, dt = -depth_m, uw.ejection_speed_mps, 0.0, 1e-3
    while z < 0.0:
        a = buoy - k * v * abs(v)
        z, v, t = z + v * dt + 0.5 * a * dt * dt, v + a * dt, t + dt
        if v <= 0.0:
            raise LaunchError(
                f"depth {depth_m:g} m: {vehicle.name}'s ejection "
                f"({uw.ejection_speed_mps:g} m/s) does not reach the surface"
            )
    return t + uw.ignition_delay_s, v


def launch_spec(launch: Launch) -> ObjectSpec:
    """The propagator's description of a launch: one segment per burning stage, then the payload."""
    v = launch.vehicle
    t_eject = launch.launch_time
    t_ign = t_eject + launch.ignition_s
    burn = launch.burn_s
    segments: list[Segment] = []
    mass = v.liftoff_mass_kg
    stages = v.stages
    if launch.depth_m > 0:
        segments.append(
            Segment(
                end=t_ign,
                mass_start_kg=mass,
                area_m2=max(s.area_m2 for s in stages),
                drag="booster",
                events_at_end=("ignition",),
            )
        )
    elapsed = 0.0
    for i, st in enumerate(stages):
        n = i + 1
        seg_burn = min(st.burn_s, burn - elapsed)
        last = elapsed + st.burn_s >= burn - 1e-9 or n == len(stages)
        mode = HOLD_PITCH if (launch.orbit and i > 0) else GRAVITY_TURN
        area = max(s.area_m2 for s in stages[i:])
        burning = dict(
            end=t_ign + elapsed + seg_burn,
            mass_start_kg=mass,
            mdot=st.mass_flow_kgps,
            isp_sl_s=st.isp_sl_s,
            isp_vac_s=st.isp_vac_s,
            area_m2=area,
            mode=mode,
            stage=n,
        )
        if not last:
            segments.append(
                Segment(
                    **burning,
                    events_at_end=("burnout", "stage_separation"),
                    spawn=Spawn(f"-stage{n}", st.dry_kg, st.area_m2, "spent_stage"),
                )
            )
            mass -= st.propellant_kg + st.dry_kg
            elapsed += st.burn_s
            continue
        remaining = mass - st.mass_flow_kgps * seg_burn
        if v.payload.separates:
            # The last stage to burn: at its burnout (or thrust termination) the payload
            # separates and whatever remains of the stack falls on its own.
            segments.append(
                Segment(
                    **burning,
                    events_at_end=("burnout", "payload_separation"),
                    spawn=Spawn(
                        f"-stage{n}",
                        remaining - v.payload.mass_kg,
                        st.area_m2,
                        "spent_stage",
                        retro_dv_mps=PAYLOAD_SEPARATION_DV_MPS,
                    ),
                    check_orbit_at_end=launch.orbit,
                )
            )
            body = dict(mass_start_kg=v.payload.mass_kg, area_m2=v.payload.area_m2)
        else:
            # The payload stays on the spent airframe, which flies on as one body.
            segments.append(Segment(**burning, events_at_end=("burnout",)))
            body = dict(mass_start_kg=remaining, area_m2=st.area_m2)
        segments += _payload_segments(launch, t_eject, body)
        break

    basis = enu_basis(launch.site_lat, launch.site_lon)
    east, north, up = basis[0], basis[1], basis[2]
    heading = np.sin(launch.azimuth) * east + np.cos(launch.azimuth) * north
    pos0 = geodetic_to_ecef(launch.site_lat, launch.site_lon, launch.site_alt - launch.depth_m)
    spec = ObjectSpec(
        object_id=launch.object_id,
        t0=t_eject,
        pos0=pos0,
        vel0=np.zeros(3),
        segments=segments,
        t_stop=t_eject + launch.max_flight_s,
        t_launch=t_ign,
        vertical_s=v.vertical_rise_s,
        pitch_over_s=v.pitch_over_s,
        kick=launch.kick,
        up=up,
        heading=heading,
        hold_pitch=launch.hold_pitch,
    )
    if launch.depth_m > 0:
        uw = v.underwater
        spec.vel0 = uw.ejection_speed_mps * up
        diameter = max(s.diameter_m for s in stages)
        spec.volume_m3 = np.pi * diameter**2 / 4.0 * uw.length_m
        spec.t_armed = t_ign
    if v.aero is not None:
        a = v.aero
        spec.lift_to_drag = launch.lift_to_drag or a.lift_to_drag
        spec.cl_max_factor = a.cl_max_factor
        spec.max_lift_mps2 = a.max_lift_g * G0
        spec.glide_alt_m = (
            launch.glide_alt_m if launch.glide_alt_m is not None else a.glide_km * 1e3
        )
        spec.hold_omega = 2 * np.pi / a.hold_period_s
        spec.dive_speed_mps = a.dive_speed_mps
    return spec


def _payload_segments(launch: Launch, t0: float, body: dict) -> list[Segment]:
    """The coasting payload: one segment, or for a lifting body one per bank setting."""
    v = launch.vehicle
    kind = "payload" if launch.orbit else "reentry_vehicle"
    common = dict(drag=v.payload.drag, mode=COASTING, kind=kind, lift=v.lifting, **body)
    if not v.lifting or not launch.turns:
        return [Segment(end=np.inf, **common)]
    out = []
    for turn in sorted(launch.turns, key=lambda x: x.start_s):
        out.append(Segment(end=t0 + turn.start_s, bank=0.0, **common))
        out.append(Segment(end=t0 + turn.end_s, bank=turn.bank, **common))
    out.append(Segment(end=np.inf, bank=0.0, **common))
    return out
