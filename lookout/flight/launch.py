"""A launch: a vehicle, a site, a heading and the guidance parameters, turned into segments."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lookout.flight.dynamics import COASTING, GRAVITY_TURN, HOLD_PITCH
from lookout.flight.propagate import ObjectSpec, Segment, Spawn
from lookout.flight.vehicles import Vehicle
from lookout.geodesy import enu_basis, geodetic_to_ecef

#: Separation speed (m/s) of the last stage from its payload: springs or small retro motors push
#: the spent stage back, so the two drift apart (order of magnitude of published separation
#: systems, 1-5 m/s; e.g. the retro-rockets of ICBM post-boost stages).
PAYLOAD_SEPARATION_DV_MPS = 3.0

#: Longest flight we integrate (s) unless a scenario says otherwise.
DEFAULT_MAX_FLIGHT_S = 3 * 3600.0


@dataclass(frozen=True)
class Launch:
    """Everything that fixes one flight. Angles in radians; times in s from the scenario epoch.

    ``kick`` is the pitch-over angle from the vertical; ``cutoff_s`` the thrust termination time
    after liftoff (the vehicle's full burn if None). With ``orbit`` set, the upper stages hold
    a pitch program starting ``hold_pitch`` above the horizon (flattening as they near
    circular speed) instead of following a gravity turn.
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

    @property
    def burn_s(self) -> float:
        full = self.vehicle.full_burn_s
        return full if self.cutoff_s is None else float(min(self.cutoff_s, full))


def launch_spec(launch: Launch) -> ObjectSpec:
    """The propagator's description of a launch: one segment per burning stage, then the payload."""
    v = launch.vehicle
    t0 = launch.launch_time
    burn = launch.burn_s
    segments: list[Segment] = []
    mass = v.liftoff_mass_kg
    elapsed = 0.0
    stages = v.stages
    for i, st in enumerate(stages):
        n = i + 1
        seg_burn = min(st.burn_s, burn - elapsed)
        last = elapsed + st.burn_s >= burn - 1e-9 or n == len(stages)
        mode = HOLD_PITCH if (launch.orbit and i > 0) else GRAVITY_TURN
        area = max(s.area_m2 for s in stages[i:])
        burning = dict(
            end=t0 + elapsed + seg_burn,
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
        # The last stage to burn: at its burnout (or thrust termination) the payload separates
        # and whatever remains of the stack falls on its own.
        remaining = mass - st.mass_flow_kgps * seg_burn - v.payload.mass_kg
        segments.append(
            Segment(
                **burning,
                events_at_end=("burnout", "payload_separation"),
                spawn=Spawn(
                    f"-stage{n}",
                    remaining,
                    st.area_m2,
                    "spent_stage",
                    retro_dv_mps=PAYLOAD_SEPARATION_DV_MPS,
                ),
                check_orbit_at_end=launch.orbit,
            )
        )
        segments.append(
            Segment(
                end=np.inf,
                mass_start_kg=v.payload.mass_kg,
                area_m2=v.payload.area_m2,
                drag=v.payload.drag,
                mode=COASTING,
                kind="payload" if launch.orbit else "reentry_vehicle",
            )
        )
        break

    basis = enu_basis(launch.site_lat, launch.site_lon)
    east, north, up = basis[0], basis[1], basis[2]
    heading = np.sin(launch.azimuth) * east + np.cos(launch.azimuth) * north
    pos0 = geodetic_to_ecef(launch.site_lat, launch.site_lon, launch.site_alt)
    return ObjectSpec(
        object_id=launch.object_id,
        t0=t0,
        pos0=pos0,
        vel0=np.zeros(3),
        segments=segments,
        t_stop=t0 + launch.max_flight_s,
        t_launch=t0,
        vertical_s=v.vertical_rise_s,
        pitch_over_s=v.pitch_over_s,
        kick=launch.kick,
        up=up,
        heading=heading,
        hold_pitch=launch.hold_pitch,
    )
