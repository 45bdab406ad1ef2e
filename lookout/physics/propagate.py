"""Vectorised propagation of many flying objects at once, each on its own clock.

Every object is described by a list of segments (a stage burning, or a ballistic body) between
known times. A fixed-form RK4 step advances all objects together (compiled with numba,
``lookout.physics.compiled``; the numpy step of ``dynamics`` and ``integrate`` with
``LOOKOUT_NUMPY_STEP=1``), but each object has its own step size, chosen from its phase and
altitude and cut to land exactly on its next segment boundary, so thrust cut-offs and stage
drops are never smeared across a step. Impacts and apogees are located inside a step on the
cubic Hermite interpolant of the step's end states.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields

import numpy as np

from lookout.geodesy import (
    GM_EARTH,
    J2,
    OMEGA_EARTH,
    R_EQUATOR,
    R_POLAR,
    altitude_below,
    geodetic_altitude,
)
from lookout.physics import atmosphere, dynamics
from lookout.physics.dynamics import COASTING, LIFT_HOLD, LIFT_OFF, Aero, Steering
from lookout.physics.einsum import einsum
from lookout.physics.integrate import rk4_step
from lookout.physics.trajectory import KINDS, REENTRY_ALTITUDE_M, Event, Trajectory, hermite

#: Step sizes (s): while thrusting, in vacuum, and the bounds inside the atmosphere.
DT_THRUST = 1.0
DT_PITCH_OVER = 0.5
DT_VACUUM = 30.0
DT_ATMOSPHERE_MAX = 2.0
DT_MIN = 0.02
#: Vertical distance (m) an object may travel in one step in the atmosphere (scale height / 2.5).
ATMOSPHERE_STEP_M = 2800.0
ATMOSPHERE_TOP_M = 110e3
#: Bound on a coasting step in the air from the drag's own rate ``k = rho Cd A |v| / (2 m)``
#: (1/s, ``drag_rate``; the drag's deceleration is ``k |v|``; a lifting body's induced drag
#: left out): ``h <= DRAG_STEP / k``. The speed's error mode decays at ``2 k`` (drag goes as
#: ``v^2``), on which RK4's global relative error is about ``(2 h k)^4 / 120``: 2e-6 here,
#: 0.01 m/s at 7 km/s. A choice between 1/4, 1/8 and 1/16, against the shipped scenarios'
#: flights of the same equations at 0.05 s steps in the air: under the vertical travel bound
#: alone a dense stage plunging at hundreds of m/s^2 was stepped at ``h k`` up to 0.7 (the
#: doc's ``h rho kappa |v|``, ``kappa = Cd A / m``, up to 1.3), its samples up to 4.3 m/s and
#: 19 m off; at 1/8 the ballistic bodies' samples are within 0.2 m/s and 14 m, at 1/16 within
#: 0.12 m/s and 4 m (a reentry vehicle's last sample, the impact, a cubic's root: 0.3 m/s),
#: for 1.05-2.6 times the steps in the air (the spent stages the most).
DRAG_STEP = 1.0 / 16.0
#: An orbit whose perigee clears this altitude (m) counts as orbital.
ORBIT_MIN_PERIGEE_M = 100e3
#: Step (s) under water (a submerged start) and, for a lifting body, in the atmosphere: its
#: impact then moves by tens of metres against steps four times shorter (2 s: some 300 m).
DT_WATER = 0.05
DT_LIFTING_MAX = 1.0
#: A batch goes on with its flying objects only once at most this fraction of its rows still
#: fly, and at least this many have stopped (each row costs its share of every step).
COMPACT_FRACTION = 0.7
COMPACT_MIN = 4
#: Climb rate (m/s) that makes a later top of a lifting body a ``peak`` (a skip), not the
#: wavering of its altitude hold.
SKIP_CLIMB_MPS = 50.0
#: Lift acceleration (m/s^2) above which a lifting body is said to pull up (the ``pull_up``
#: marker of its trajectory).
PULL_UP_LIFT_MPS2 = 9.80665


@dataclass(frozen=True)
class Spawn:
    """A body that separates at the end of a segment and falls on its own."""

    suffix: str
    mass_kg: float
    area_m2: float
    drag: str
    kind: str = "spent_stage"
    #: Speed (m/s) the body is pushed back along the flight path as it separates.
    retro_dv_mps: float = 0.0


@dataclass(frozen=True)
class Segment:
    end: float  # absolute end time (s); inf for the last
    mass_start_kg: float
    mdot: float = 0.0
    isp_sl_s: float = 0.0
    isp_vac_s: float = 0.0
    area_m2: float = 1.0
    drag: str = "booster"
    mode: int = COASTING
    kind: str = "booster"
    events_at_end: tuple[str, ...] = ()
    stage: int | None = None
    spawn: Spawn | None = None
    check_orbit_at_end: bool = False
    #: A lifting body's segment: its lift law runs (see ``ObjectSpec.glide_alt_m``), at this bank
    #: angle (rad, positive to the right).
    lift: bool = False
    bank: float = 0.0


@dataclass
class ObjectSpec:
    object_id: str
    t0: float
    pos0: np.ndarray
    vel0: np.ndarray
    segments: list[Segment]
    t_stop: float
    parent_id: str | None = None
    # Steering (only used by thrusting segments).
    t_launch: float = 0.0
    vertical_s: float = 1.0
    pitch_over_s: float = 1.0
    kick: float = 0.0
    up: np.ndarray = field(default_factory=lambda: np.array([0.0, 0.0, 1.0]))
    heading: np.ndarray = field(default_factory=lambda: np.array([1.0, 0.0, 0.0]))
    hold_pitch: float = 0.0
    # A lifting body (its ``lift`` segments): maximum L/D of its polar, lift limits, the altitude
    # its lift holds from apogee on, and the speed below which it dives (lift released).
    lift_to_drag: float = 0.0
    cl_max_factor: float = 0.0
    max_lift_mps2: float = 0.0
    glide_alt_m: float = 0.0
    hold_omega: float = 0.0
    dive_speed_mps: float = 0.0
    # The lift law holds from the start rather than from apogee (a body already gliding: the
    # reachable footprint of a tracked manoeuvring object, ``lookout.assess.footprint``).
    lift_from_start: bool = False
    # Volume (m^3) of a body that starts under water (0: it does not); events (apogee, impact)
    # are armed from ``t_armed`` on (its ignition), so the ejection's rise is none of them.
    volume_m3: float = 0.0
    t_armed: float = -np.inf


def effective_potential(pos: np.ndarray) -> np.ndarray:
    """Potential (J/kg) of gravity with J2 (``lookout.physics.gravity``) and of the centrifugal
    force at ECEF positions (N, 3): ``v^2 / 2`` plus this is the Jacobi integral of the rotating
    frame, which the Coriolis force keeps and drag only lowers."""
    r2 = einsum("ij,ij->i", pos, pos)
    r = np.sqrt(r2)
    z2 = pos[:, 2] ** 2 / r2
    grav = -GM_EARTH / r * (1.0 - 0.5 * J2 * R_EQUATOR**2 / r2 * (3.0 * z2 - 1.0))
    return grav - 0.5 * OMEGA_EARTH**2 * (pos[:, 0] ** 2 + pos[:, 1] ** 2)


def _surface_potential_min() -> float:
    """The lowest effective potential on the WGS84 ellipsoid (J/kg), over a fine latitude grid,
    less a margin for the grid and the integrator's energy error (``BURIED_MARGIN_J_KG``)."""
    lat = np.linspace(0.0, np.pi / 2, 20001)
    e2 = 1.0 - (R_POLAR / R_EQUATOR) ** 2
    n = R_EQUATOR / np.sqrt(1.0 - e2 * np.sin(lat) ** 2)
    pos = np.column_stack([n * np.cos(lat), np.zeros_like(lat), n * (1.0 - e2) * np.sin(lat)])
    return float(effective_potential(pos).min()) - BURIED_MARGIN_J_KG


#: Margin (J/kg, some 10 m of height) under the surface's effective potential below which a
#: buried body (``_propagate_batch``) is taken as never to come up.
BURIED_MARGIN_J_KG = 100.0
SURFACE_POTENTIAL_MIN = _surface_potential_min()


def drag_rate(alt, vel, mass, area, table) -> np.ndarray:
    """The drag's rate ``k = rho Cd A |v| / (2 m)`` (1/s, N,) of objects at geodetic altitudes
    ``alt`` with ECEF velocities ``vel`` (N, 3): the drag's deceleration is ``k |v|``; 0 above
    the air (``atmosphere.DRAG_CEILING_M``)."""
    low = alt < atmosphere.DRAG_CEILING_M
    rho = np.where(low, atmosphere.density(np.minimum(alt, atmosphere.DRAG_CEILING_M)), 0.0)
    speed = np.sqrt(einsum("ij,ij->i", vel, vel))
    cd = dynamics.drag_coefficient(speed / atmosphere.speed_of_sound(alt), table)
    return 0.5 * rho * cd * area * speed / mass


def _pad(rows: list[list], fill, dtype=None) -> np.ndarray:
    k = max(len(r) for r in rows)
    return np.array([r + [fill] * (k - len(r)) for r in rows], dtype=dtype)


def _sign_change(f, f0: np.ndarray, f1: np.ndarray, iterations: int = 10) -> np.ndarray:
    """Fraction s in [0, 1] where f(s) changes sign from f(0) = f0 >= 0 to f(1) = f1 < 0,
    vectorised: the Illinois variant of regula falsi, which keeps a bracket and converges
    superlinearly on smooth functions (here a Hermite arc over one step); 10 iterations reach
    the micro-second on a 30 s step, where bisection needs 24."""
    lo, hi = np.zeros(f0.shape), np.ones(f0.shape)
    flo, fhi = f0.astype(float).copy(), f1.astype(float).copy()
    side = np.zeros(f0.shape, dtype=np.int8)
    s = 0.5 * (lo + hi)
    for _ in range(iterations):
        denom = flo - fhi
        s = np.where(denom > 0, (lo * -fhi + hi * flo) / np.where(denom > 0, denom, 1.0), s)
        s = np.clip(s, lo, hi)
        fs = f(s)
        up = fs >= 0
        lo, flo = np.where(up, s, lo), np.where(up, fs, flo)
        hi, fhi = np.where(up, hi, s), np.where(up, fhi, fs)
        # Illinois: when the same end moves twice running, halve the other end's value.
        fhi = np.where(up & (side == 1), 0.5 * fhi, fhi)
        flo = np.where(~up & (side == -1), 0.5 * flo, flo)
        side = np.where(up, 1, -1).astype(np.int8)
    return s


#: What ``_hermite_root`` finds the sign change of along a step's arc.
RADIAL_RATE, SPEED_EXCESS = 0, 1


def _hermite_root(compiled, kind: int, p0, v0, p1, v1, hs, f0, f1, dive=None) -> np.ndarray:
    """Fraction (N,) of steps ``hs`` (N,) s long, from (``p0``, ``v0``) to (``p1``, ``v1``)
    (N, 3), where the radial rate ``p . v`` (``RADIAL_RATE``) or the speed less ``dive`` (N,)
    (``SPEED_EXCESS``) of the cubic Hermite arc changes sign (``f0 >= 0``, ``f1 < 0`` at
    the ends): ``_sign_change``, compiled whole (one call for some four hundred numpy calls,
    ``compiled.hermite_sign_change``) unless ``compiled`` is None (``LOOKOUT_NUMPY_STEP=1``)."""
    if compiled is not None:
        return compiled.hermite_sign_change(kind, p0, v0, p1, v1, hs, f0, f1, dive)
    if kind == RADIAL_RATE:

        def f(s):
            p, v = hermite(p0, v0, p1, v1, hs, s)
            return einsum("ij,ij->i", p, v)

    else:

        def f(s):
            _, v = hermite(p0, v0, p1, v1, hs, s)
            return np.sqrt(einsum("ij,ij->i", v, v)) - dive

    return _sign_change(f, f0, f1)


def osculating_orbit(pos: np.ndarray, vel: np.ndarray):
    """Two-body semi-major axis (m), eccentricity, specific energy (J/kg) and angular momentum
    vectors (N, 3) of ECEF states (N, 3), from their inertial velocities."""
    v_in = vel + np.cross(np.array([0.0, 0.0, OMEGA_EARTH]), pos)
    r = np.linalg.norm(pos, axis=1)
    energy = 0.5 * einsum("ij,ij->i", v_in, v_in) - GM_EARTH / r
    h = np.cross(pos, v_in)
    h2 = einsum("ij,ij->i", h, h)
    with np.errstate(invalid="ignore", divide="ignore"):
        a = -GM_EARTH / (2 * energy)
        e = np.sqrt(np.maximum(0.0, 1 + 2 * energy * h2 / GM_EARTH**2))
    return a, e, energy, h


def perigee_altitude(pos: np.ndarray, vel: np.ndarray) -> np.ndarray:
    """Osculating two-body perigee altitude (m above the equatorial radius) from ECEF states."""
    a, e, energy, h = osculating_orbit(pos, vel)
    h2 = einsum("ij,ij->i", h, h)
    rp = np.where(energy < 0, a * (1 - e), h2 / (GM_EARTH * (1 + e)))
    return rp - R_EQUATOR


def use_compiled_step() -> bool:
    """Whether batches step with the compiled RK4 (``lookout.physics.compiled``); the numpy
    step when the environment sets ``LOOKOUT_NUMPY_STEP=1``."""
    return os.environ.get(NUMPY_STEP_ENV, "") in ("", "0")


#: Environment variable that selects the numpy step (``use_compiled_step``).
NUMPY_STEP_ENV = "LOOKOUT_NUMPY_STEP"


def propagate(
    specs: list[ObjectSpec], spawn_debris: bool = True, coarse: bool = False
) -> list[Trajectory]:
    """Integrate every object until it hits the ground or reaches its ``t_stop``.

    Returns one trajectory per object, followed by those of the bodies they shed (spent stages),
    which are propagated in a second batch. ``coarse`` doubles the steps of a lifting body in
    the atmosphere (its impact moves by some hundred metres): for a planner's first guesses,
    never for a truth.
    """
    trajectories, spawned = _propagate_batch(specs, coarse, shed=spawn_debris)
    if spawn_debris and spawned:
        debris, _ = _propagate_batch(spawned, coarse)
        trajectories.extend(debris)
    return trajectories


def propagate_shedding(
    specs: list[ObjectSpec], coarse: bool = False
) -> tuple[list[Trajectory], list[ObjectSpec]]:
    """One batch: the objects' trajectories, and the bodies they shed (not flown), for a caller
    that flies those with other objects of its own (``propagate`` flies them next)."""
    return _propagate_batch(specs, coarse)


def propagate_impacts(specs: list[ObjectSpec], coarse: bool = False) -> list[Event | None]:
    """Each object's ``impact`` event, None where it does not come down (by its ``t_stop``),
    flown as ``propagate(specs, spawn_debris=False, coarse=coarse)`` flies it (the same
    floats), without building the trajectories: for callers that need the impacts only."""
    return _propagate_batch(specs, coarse, shed=False, impacts_only=True)


def _propagate_batch(
    specs: list[ObjectSpec], coarse: bool = False, shed: bool = True, impacts_only: bool = False
):
    """The batch's trajectories and (with ``shed``) the bodies they shed, not flown; with
    ``impacts_only``, each object's impact event (None where it has none) instead."""
    n = len(specs)
    coarse_factor = 2.0 if coarse else 1.0
    seg = [s.segments for s in specs]
    end = _pad([[g.end for g in s] for s in seg], np.inf, float)
    m_start = _pad([[g.mass_start_kg for g in s] for s in seg], 1.0, float)
    mdot = _pad([[g.mdot for g in s] for s in seg], 0.0, float)
    isp_sl = _pad([[g.isp_sl_s for g in s] for s in seg], 0.0, float)
    isp_vac = _pad([[g.isp_vac_s for g in s] for s in seg], 0.0, float)
    area = _pad([[g.area_m2 for g in s] for s in seg], 1.0, float)
    table = _pad([[dynamics.DRAG_TABLE_NAMES.index(g.drag) for g in s] for s in seg], 0, np.int64)
    mode = _pad([[g.mode for g in s] for s in seg], COASTING, np.int64)
    kind = _pad([[KINDS.index(g.kind) for g in s] for s in seg], 0)
    lift_seg = _pad([[g.lift for g in s] for s in seg], False)
    bank_seg = _pad([[g.bank for g in s] for s in seg], 0.0, float)
    steering = Steering(
        t_launch=np.array([s.t_launch for s in specs]),
        vertical_s=np.array([s.vertical_s for s in specs]),
        pitch_over_s=np.array([s.pitch_over_s for s in specs]),
        kick=np.array([s.kick for s in specs]),
        up=np.array([s.up for s in specs]),
        heading=np.array([s.heading for s in specs]),
        hold_pitch=np.array([s.hold_pitch for s in specs]),
    )
    aero = Aero(
        lift_to_drag=np.array([s.lift_to_drag for s in specs], dtype=float),
        cl_max_factor=np.array([s.cl_max_factor for s in specs], dtype=float),
        max_lift_mps2=np.array([s.max_lift_mps2 for s in specs], dtype=float),
        hold_alt=np.array([s.glide_alt_m for s in specs], dtype=float),
        hold_omega=np.array([s.hold_omega for s in specs], dtype=float),
        law=np.zeros(n, dtype=np.int8),
        bank=np.zeros(n),
        volume_m3=np.array([s.volume_m3 for s in specs], dtype=float),
    )
    can_lift = aero.lift_to_drag > 0
    any_lift = bool(can_lift.any())
    volume = aero.volume_m3.copy()
    wet_start = volume > 0
    any_wet = bool(wet_start.any())
    dive_speed = np.array([s.dive_speed_mps for s in specs], dtype=float)
    t_armed = np.array([s.t_armed for s in specs], dtype=float)
    rows = np.arange(n)
    t = np.array([s.t0 for s in specs], dtype=float)
    t_stop = np.array([s.t_stop for s in specs], dtype=float)
    pos = np.array([s.pos0 for s in specs], dtype=float)
    vel = np.array([s.vel0 for s in specs], dtype=float)
    k = np.zeros(n, dtype=int)
    seg_t0 = t.copy()
    active = t < t_stop
    apogee_seen = np.zeros(n, dtype=bool)
    reentry_seen = np.zeros(n, dtype=bool)
    orbital = np.zeros(n, dtype=bool)
    dived = np.zeros(n, dtype=bool)
    law = np.where([s.lift_from_start for s in specs], LIFT_HOLD, LIFT_OFF).astype(np.int8)
    # Climbing again after a top (a skip of a lifting body): the next top is a ``peak``.
    climbing_again = np.zeros(n, dtype=bool)

    rec_t, rec_pos, rec_vel, rec_k, rec_ok, rec_law = (
        [t.copy()],
        [pos.copy()],
        [vel.copy()],
        [k.copy()],
        [np.ones(n, dtype=bool)],
        [law.copy()],
    )
    # Events as (object index, name, t, pos, vel, stage), and spawned bodies.
    events: list[tuple] = []
    spawned: list[ObjectSpec] = []
    alt = geodetic_altitude(pos)
    surfaced = alt >= -1.0

    # Without lifting or submerged bodies in the batch, the equations of motion leave both out
    # (the same accelerations, without their per-call checks).
    use_aero = any_lift or any_wet
    # The whole batch's segment tables, for the trajectories at the end (the loop's own are
    # cut down to the objects still flying, see below).
    all_mdot, all_m_start, all_area, all_table = mdot, m_start, area, table
    all_lift_seg, all_bank_seg, all_can_lift = lift_seg, bank_seg, can_lift
    # Each working row's object (rows are dropped once their objects have landed or stopped).
    orig = np.arange(n)
    rec_orig = [orig]
    # Where an apogee (of a batch without lifting bodies) or an impact lies inside its step is
    # found once for the whole batch after the loop, not step by step: neither changes the
    # flight (an apogee is only an event there, an impact ends its object's flight), and every
    # row's root is its own (``_sign_change`` is elementwise). Each entry: the slots of the
    # events in ``events``, the step's record index (impacts: their records are the roots)
    # and working rows, and the step's ends.
    late_apogees: list[tuple] = []
    late_impacts: list[tuple] = []

    def rhs(tt, p, v, alt0, g):
        # The geodetic altitude is converted once per step; inside the step it moves with the
        # height above the ellipsoid along the geocentric radius (``dynamics.radial_height``:
        # ``alt0`` is the step's start altitude less that height there), which follows the
        # ellipsoid's flattening as the object moves in latitude (the radius alone left a stage
        # plunging south 20-30 m high at the end of a 1.2 s step, its drag 0.4 % short).
        # ``g`` holds each object's segment parameters for the step (fixed within a step).
        m_start_k, mdot_k, isp_sl_k, isp_vac_k, area_k, table_k, mode_k = g
        m = m_start_k - mdot_k * (tt - seg_t0)
        a_stage = alt0 + dynamics.radial_height(p)
        if any_wet:
            # Water only for the rise before ignition (not at an impact at sea).
            aero.volume_m3 = np.where(tt < t_armed, volume, 0.0)
        return dynamics.acceleration(
            tt, p, v, m, mdot_k, isp_sl_k, isp_vac_k, area_k, table_k, mode_k, steering,
            aero if use_aero else None, a_stage,
        )  # fmt: skip

    def gather():
        """Each row's parameters of its current segment (they change only where a row crosses
        into its next segment, or when rows are dropped)."""
        return (
            mdot[rows, k], end[rows, k], m_start[rows, k], isp_sl[rows, k], isp_vac[rows, k],
            area[rows, k], table[rows, k], mode[rows, k], lift_seg[rows, k], bank_seg[rows, k],
        )  # fmt: skip

    current = gather()
    compiled = None
    if use_compiled_step():
        from lookout.physics import compiled  # numba: imported on the first batch flown

        packed = compiled.pack_steering(steering), compiled.pack_aero(aero)
    step_constants = np.array(
        [DT_THRUST, DT_PITCH_OVER, DT_VACUUM, DT_ATMOSPHERE_MAX, DT_MIN, ATMOSPHERE_STEP_M,
         ATMOSPHERE_TOP_M, DRAG_STEP, coarse_factor * DT_LIFTING_MAX, DT_WATER], dtype=float,
    )  # fmt: skip
    # Impacts only, of bodies that neither thrust nor end a segment (the reach flights): each
    # step compiled whole (``compiled.glide_step``), the altitude and the impact as below.
    glide = (
        impacts_only and compiled is not None and bool((mdot == 0).all())
        and bool(np.isinf(end).all()) and not any_wet
    )  # fmt: skip
    while active.any():
        n_active = int(np.count_nonzero(active))
        if n_active <= COMPACT_FRACTION * active.size and active.size - n_active >= COMPACT_MIN:
            # Most rows are done (landed, or at their stop time): carry on with the rest only.
            # Every quantity below is per row, so the flights are the same.
            w = np.flatnonzero(active)
            (end, m_start, mdot, isp_sl, isp_vac, area, table, mode, lift_seg, bank_seg,
             can_lift, volume, wet_start, dive_speed, t_armed, t, t_stop, pos, vel, k, seg_t0,
             active, apogee_seen, reentry_seen, orbital, dived, law, climbing_again, surfaced,
             alt, orig) = (
                x[w]
                for x in (end, m_start, mdot, isp_sl, isp_vac, area, table, mode, lift_seg,
                          bank_seg, can_lift, volume, wet_start, dive_speed, t_armed, t, t_stop,
                          pos, vel, k, seg_t0, active, apogee_seen, reentry_seen, orbital, dived,
                          law, climbing_again, surfaced, alt, orig)
            )  # fmt: skip
            steering = Steering(**{f.name: getattr(steering, f.name)[w] for f in fields(Steering)})
            aero = Aero(**{f.name: getattr(aero, f.name)[w] for f in fields(Aero)})
            rows = np.arange(w.size)
            current = gather()
            if compiled is not None:
                packed = compiled.pack_steering(steering), compiled.pack_aero(aero)
        kk_mdot, t_next_event, m_start_k, isp_sl_k, isp_vac_k, area_k, table_k, mode_k = current[:8]
        n_events = len(events)
        thrusting = kk_mdot > 0
        if glide:
            # The whole step compiled (the same floats as the lines below; no events made).
            dt, hits_event, hits_stop, new_t, new_pos, new_vel, cut = compiled.glide_step(
                t, pos, vel, alt, seg_t0, (m_start_k, kk_mdot, isp_sl_k, isp_vac_k, area_k,
                table_k, mode_k), packed[0], use_aero, packed[1], current[8], current[9], volume,
                can_lift, wet_start, t_armed, t_next_event, t_stop, active, any_lift, any_wet,
                step_constants, law, orbital, apogee_seen, climbing_again, dived, dive_speed,
                SKIP_CLIMB_MPS,
            )  # fmt: skip
            new_alt = altitude_below(new_pos, atmosphere.DRAG_CEILING_M)
        else:
            if compiled is not None:
                dt, vr, hits_event, hits_stop = compiled.step_sizes(
                    t, pos, vel, alt, kk_mdot, packed[0], m_start_k, area_k, table_k, can_lift,
                    wet_start, t_armed, t_next_event, t_stop, active, any_lift, any_wet,
                    step_constants,
                )  # fmt: skip
            else:
                r_norm = np.sqrt(einsum("ij,ij->i", pos, pos))
                vr = einsum("ij,ij->i", pos, vel) / r_norm
                in_pitch_over = (t - steering.t_launch) < (
                    steering.vertical_s + steering.pitch_over_s + 2.0
                )
                dt = np.where(
                    thrusting, np.where(in_pitch_over, DT_PITCH_OVER, DT_THRUST), DT_VACUUM
                )
                in_air = alt < ATMOSPHERE_TOP_M
                dt_air = ATMOSPHERE_STEP_M / np.maximum(np.abs(vr), 1.0)
                if (in_air & ~thrusting).any():
                    k_drag = drag_rate(alt, vel, m_start_k, area_k, table_k)
                    dt_air = np.minimum(dt_air, DRAG_STEP / np.maximum(k_drag, 1e-12))
                dt_air = np.minimum(np.maximum(dt_air, DT_MIN), DT_ATMOSPHERE_MAX)
                dt = np.where(~thrusting & in_air, np.minimum(dt, dt_air), dt)
                approaching = ~thrusting & ~in_air & (vr < 0)
                dt_approach = np.maximum((alt - ATMOSPHERE_TOP_M + 2e3) / np.maximum(-vr, 1.0), 0.5)
                dt = np.where(approaching, np.minimum(dt, dt_approach), dt)
                if any_lift:
                    dt_lift = coarse_factor * DT_LIFTING_MAX
                    dt = np.where(can_lift & in_air & ~thrusting, np.minimum(dt, dt_lift), dt)
                if any_wet:
                    wet = wet_start & (alt < 1.0) & (t < t_armed)
                    dt = np.where(wet, np.minimum(dt, DT_WATER), dt)
                hits_event = t_next_event - t <= dt * (1 + 1e-9)
                dt = np.where(hits_event, t_next_event - t, dt)
                hits_stop = t_stop - t <= dt
                dt = np.where(hits_stop, t_stop - t, dt)
                dt = np.where(active, dt, 0.0)

            # RK4 on (pos, vel); the segment (and so the mass law) is fixed within the step.
            if any_lift:
                aero.law = np.where(current[8], law, LIFT_OFF)
                aero.bank = current[9]
            g = (m_start_k, kk_mdot, isp_sl_k, isp_vac_k, area_k, table_k, mode_k)

            if compiled is not None:
                new_pos, new_vel = compiled.rk4_step(
                    t, pos, vel, dt, alt, seg_t0, g, packed[0], use_aero, packed[1],
                    np.where(current[8], law, LIFT_OFF), current[9], volume, t_armed,
                )  # fmt: skip
            else:

                def step_rhs(tt, p, v, alt0=alt - dynamics.radial_height(pos), g=g):
                    return rhs(tt, p, v, alt0, g)

                new_pos, new_vel = rk4_step(step_rhs, t, pos, vel, dt)
            new_t = t + dt
            new_alt = altitude_below(new_pos, atmosphere.DRAG_CEILING_M)
            # Steps cut short at a change of the lift law (the rest is flown next step).
            cut = np.zeros(t.size, dtype=bool)

            step = (t, pos, vel, dt, new_t, new_pos, new_vel, new_alt, cut)
            # Apogee: radial velocity turns from up to down during an unpowered step (later turns
            # of a lifting body, its skips, are ``peak``s).
            new_vr = einsum("ij,ij->i", new_pos, new_vel) / np.sqrt(
                einsum("ij,ij->i", new_pos, new_pos)
            )
            turn = active & ~thrusting & ~orbital & (vr >= 0) & (new_vr < 0) & (t >= t_armed)
            turn &= ~apogee_seen | climbing_again
            climbing_again |= apogee_seen & (new_vr > SKIP_CLIMB_MPS)
            if turn.any() and not any_lift:
                idx = np.flatnonzero(turn)
                slots = list(range(len(events), len(events) + idx.size))
                events += [(i, "peak" if apogee_seen[i] else "apogee", None, None, None, None)
                           for i in idx]  # fmt: skip
                late_apogees.append(
                    (slots, t[idx], dt[idx], pos[idx], vel[idx], new_pos[idx], new_vel[idx],
                     vr[idx] * np.linalg.norm(pos[idx], axis=1),
                     new_vr[idx] * np.linalg.norm(new_pos[idx], axis=1))
                )  # fmt: skip
                apogee_seen[idx] = True
                climbing_again[idx] = False
            elif turn.any():
                idx = np.flatnonzero(turn)
                hs = dt[idx]

                s = _hermite_root(compiled, RADIAL_RATE, pos[idx], vel[idx], new_pos[idx],
                                  new_vel[idx], hs, vr[idx] * np.linalg.norm(pos[idx], axis=1),
                                  new_vr[idx] * np.linalg.norm(new_pos[idx], axis=1))  # fmt: skip
                p, v = hermite(pos[idx], vel[idx], new_pos[idx], new_vel[idx], hs, s)
                # A lifting body engages its lift law at apogee (the step ends there), unless it is
                # already slower than its dive speed.
                engage = can_lift[idx] & lift_seg[idx, k[idx]] & (law[idx] == LIFT_OFF)
                engage &= ~dived[idx]
                engage &= np.linalg.norm(v, axis=1) >= dive_speed[idx]
                for j, i in enumerate(idx):
                    if engage[j]:
                        continue
                    name = "peak" if apogee_seen[i] else "apogee"
                    events.append((i, name, t[i] + s[j] * hs[j], p[j], v[j], None))
                if engage.any():
                    sel = idx[engage]
                    events += _cut_steps(step, sel, s[engage], "apogee")
                    law[sel] = LIFT_HOLD
                    for i in sel:
                        events.append(
                            (i, "glide", new_t[i], new_pos[i].copy(), new_vel[i].copy(), None)
                        )
                apogee_seen[idx] = True
                climbing_again[idx] = False

            # Dive: a gliding body's lift is released when its speed falls to its dive speed.
            if any_lift:
                speed0 = np.sqrt(einsum("ij,ij->i", vel, vel))
                speed1 = np.sqrt(einsum("ij,ij->i", new_vel, new_vel))
                slow = active & ~cut & (law == LIFT_HOLD) & (speed0 >= dive_speed)
                slow &= speed1 < dive_speed
                if slow.any():
                    idx = np.flatnonzero(slow)
                    hs = dt[idx]

                    s = _hermite_root(
                        compiled, SPEED_EXCESS, pos[idx], vel[idx], new_pos[idx], new_vel[idx],
                        hs, speed0[idx] - dive_speed[idx], speed1[idx] - dive_speed[idx],
                        dive_speed[idx],
                    )  # fmt: skip
                    events += _cut_steps(step, idx, s, "dive")
                    law[idx] = LIFT_OFF
                    dived[idx] = True

        # Reentry: crossing 100 km downwards after apogee (an event only).
        ree = None if impacts_only else (
            active
            & apogee_seen
            & ~reentry_seen
            & (alt >= REENTRY_ALTITUDE_M)
            & (new_alt < REENTRY_ALTITUDE_M)
        )  # fmt: skip
        if ree is not None and ree.any():
            idx = np.flatnonzero(ree)
            s = (alt[idx] - REENTRY_ALTITUDE_M) / (alt[idx] - new_alt[idx])
            p, v = hermite(pos[idx], vel[idx], new_pos[idx], new_vel[idx], new_t[idx] - t[idx], s)
            for j, i in enumerate(idx):
                events.append((i, "reentry", t[i] + s[j] * (new_t[i] - t[i]), p[j], v[j], None))
            reentry_seen[idx] = True

        # Impact: the geodetic altitude goes below zero; cut the step there.
        # (Its root, and the step's end moved there, after the loop: ``late_impacts``.)
        imp = active & surfaced & (new_alt < 0) & (dt > 0) & (t >= t_armed)
        if imp.any():
            idx = np.flatnonzero(imp)
            slots = list(range(len(events), len(events) + idx.size))
            events += [(i, "impact", None, None, None, None) for i in idx]
            late_impacts.append(
                (slots, np.full(idx.size, len(rec_t)), idx, t[idx], new_t[idx] - t[idx], pos[idx],
                 vel[idx], new_pos[idx].copy(), new_vel[idx].copy(), alt[idx], new_alt[idx])
            )  # fmt: skip
            new_alt[idx] = 0.0
        surfaced |= new_alt >= 0.0

        # Segment boundaries: burnouts, stage drops, payload separation.
        # (None in a glide's batch: its one segment has no end.)
        crossed = () if glide else np.flatnonzero(active & hits_event & ~imp & ~cut)
        for i in crossed:
            g = seg[orig[i]][k[i]]
            for name in g.events_at_end:
                events.append((i, name, new_t[i], new_pos[i].copy(), new_vel[i].copy(), g.stage))
            if g.spawn is not None and shed:
                sp = g.spawn
                spawned.append(
                    ObjectSpec(
                        object_id=f"{specs[orig[i]].object_id}{sp.suffix}",
                        t0=new_t[i],
                        pos0=new_pos[i].copy(),
                        vel0=new_vel[i] - sp.retro_dv_mps * new_vel[i] / np.linalg.norm(new_vel[i]),
                        segments=[
                            Segment(
                                np.inf, sp.mass_kg, area_m2=sp.area_m2, drag=sp.drag, kind=sp.kind
                            )
                        ],
                        t_stop=t_stop[i],
                        parent_id=specs[orig[i]].object_id,
                    )
                )
            if g.check_orbit_at_end:
                if (
                    perigee_altitude(new_pos[i : i + 1], new_vel[i : i + 1])[0]
                    > ORBIT_MIN_PERIGEE_M
                ):
                    orbital[i] = True
                    events.append(
                        (i, "orbit_insertion", new_t[i], new_pos[i].copy(), new_vel[i].copy(), None)
                    )
            k[i] += 1
            seg_t0[i] = new_t[i]
        if len(crossed):
            current = gather()

        t, pos, vel, alt = new_t, new_pos, new_vel, new_alt
        active = active & ~imp & ~(hits_stop & ~cut)
        # A body that started under the ground (a sigma point of a track near it) impacts only
        # once it has come up; coasting on, with too little energy ever to reach the surface
        # (its Jacobi integral, which drag only lowers, under the surface's potential), it never
        # will: its flight ends here, not after hours of falling through the Earth.
        if not surfaced.all():
            buried = active & ~surfaced & (current[0] == 0.0) & (current[1] == np.inf)
            buried &= volume == 0.0
            if buried.any():
                j = np.flatnonzero(buried)
                energy = 0.5 * einsum("ij,ij->i", vel[j], vel[j]) + effective_potential(pos[j])
                active[j[energy < SURFACE_POTENTIAL_MIN]] = False
        # This step's events, by working row so far: by object.
        events[n_events:] = [(int(orig[e[0]]),) + e[1:] for e in events[n_events:]]
        if impacts_only:  # no trajectories: nothing recorded
            continue
        rec_orig.append(orig)
        # t, pos and vel are new arrays every step (never written in place once recorded).
        rec_t.append(t)
        rec_pos.append(pos)
        rec_vel.append(vel)
        rec_k.append(k.copy())
        rec_ok.append(dt > 0)
        rec_law.append(law.copy())

    if impacts_only:
        rec_t = rec_pos = rec_vel = None
    _late_roots(events, late_apogees, late_impacts, rec_t, rec_pos, rec_vel, compiled)
    if impacts_only:
        impact: list[Event | None] = [None] * n
        for j, name, te, pe, ve, stage in events:
            if name == "impact" and impact[j] is None:
                impact[j] = Event(name, float(te), pe, ve, stage)
        return impact
    # Every step's rows, grouped by object in time order (a stable sort keeps the steps' order).
    rows_of = np.concatenate(rec_orig)
    order = np.argsort(rows_of, kind="stable")
    bounds = np.searchsorted(rows_of[order], np.arange(n + 1))
    del rows_of, rec_orig
    T, P, V, K, OK, LAW = (
        _gathered(r, order) for r in (rec_t, rec_pos, rec_vel, rec_k, rec_ok, rec_law)
    )
    events_of: dict[int, list[Event]] = {}
    for j, name, te, pe, ve, stage in events:
        events_of.setdefault(j, []).append(Event(name, float(te), pe, ve, stage))
    trajectories = []
    for i, spec in enumerate(specs):
        mine = slice(bounds[i], bounds[i + 1])
        sel = OK[mine]
        ti, pi, vi, ki = T[mine][sel], P[mine][sel], V[mine][sel], K[mine][sel]
        evs = sorted(events_of.get(i, []), key=lambda e: e.t)
        lift = None
        if all_can_lift[i]:
            lift = _lift_samples(spec, pi, vi, ki, LAW[mine][sel], all_m_start[i], all_mdot[i],
                                 all_area[i], all_table[i], all_lift_seg[i], all_bank_seg[i], ti,
                                 seg_t0_of(ti, ki))  # fmt: skip
            evs = sorted(evs + _pull_up_marker(ti, pi, vi, lift, evs),
                         key=lambda e: e.t)  # fmt: skip
        # The drag of each step that only coasts (no thrust, no lift, out of the water), for
        # the state between samples as flown (``Trajectory.flown_state_at``).
        coasting = (all_mdot[i, ki] == 0) & ~(all_can_lift[i] & all_lift_seg[i, ki])
        coasting &= (spec.volume_m3 == 0) | (ti >= spec.t_armed)
        trajectories.append(
            Trajectory(
                object_id=spec.object_id,
                t=ti,
                pos=pi,
                vel=vi,
                thrusting=all_mdot[i, ki] > 0,
                kind=kind[i, ki],
                events=evs,
                parent_id=spec.parent_id,
                lift=lift,
                area_per_mass=np.where(coasting, all_area[i, ki] / all_m_start[i, ki], 0.0),
                drag_table=all_table[i, ki],
            )
        )
    return trajectories, spawned


def _late_roots(events, apogees, impacts, rec_t, rec_pos, rec_vel, compiled=None) -> None:
    """The apogees and impacts found inside steps (``_propagate_batch``), all in one batch:
    their events filled in, and each impact step's record moved to the impact (``compiled``:
    the compiled module, ``_hermite_root``; records None: no records, the events alone)."""
    if apogees:
        slots, t, hs, p0, v0, p1, v1, f0, f1 = (_cat(c) for c in zip(*apogees, strict=True))

        s = _hermite_root(compiled, RADIAL_RATE, p0, v0, p1, v1, hs, f0, f1)
        p, v = hermite(p0, v0, p1, v1, hs, s)
        for j, slot in enumerate(slots):
            events[slot] = events[slot][:2] + (t[j] + s[j] * hs[j], p[j], v[j], None)
    if impacts:
        slots, steps, rows, t, hs, p0, v0, p1, v1, a0, a1 = (
            _cat(c) for c in zip(*impacts, strict=True)
        )

        def altitude(s):
            p, _ = hermite(p0, v0, p1, v1, hs, s)
            return geodetic_altitude(p)

        s = _sign_change(altitude, a0, a1)
        p, v = hermite(p0, v0, p1, v1, hs, s)
        t_imp = t + s * hs
        for j, slot in enumerate(slots):
            k, i = steps[j], rows[j]
            if rec_t is None:  # impacts only: no records kept
                events[slot] = events[slot][:2] + (t_imp[j], p[j], v[j], None)
                continue
            rec_t[k][i], rec_pos[k][i], rec_vel[k][i] = t_imp[j], p[j], v[j]
            events[slot] = events[slot][:2] + (rec_t[k][i], p[j], v[j], None)


def _gathered(steps: list[np.ndarray], order: np.ndarray) -> np.ndarray:
    """One record's steps as one array in ``order``; the steps are let go once joined, so the
    batch's records are held once, not twice, while they are gathered."""
    joined = np.concatenate(steps)
    steps.clear()
    return joined[order]


def _cat(parts) -> np.ndarray:
    """Per-step pieces (arrays or lists) as one array."""
    return np.concatenate([np.asarray(x) for x in parts])


def _cut_steps(step, idx: np.ndarray, s: np.ndarray, name: str) -> list[tuple]:
    """Shorten the steps of objects ``idx`` to fraction ``s`` (in place, on the step's arrays)
    and return the event there; the rest of each step is flown next time round."""
    t, pos, vel, dt, new_t, new_pos, new_vel, new_alt, cut = step
    p, v = hermite(pos[idx], vel[idx], new_pos[idx], new_vel[idx], dt[idx], s)
    new_pos[idx], new_vel[idx], new_t[idx] = p, v, t[idx] + s * dt[idx]
    new_alt[idx] = altitude_below(p, atmosphere.DRAG_CEILING_M)
    cut[idx] = True
    return [(i, name, new_t[i], p[j].copy(), v[j].copy(), None) for j, i in enumerate(idx)]


def seg_t0_of(t: np.ndarray, k: np.ndarray) -> np.ndarray:
    """Start time of the segment each sample is in (samples of one object)."""
    first = np.r_[True, k[1:] != k[:-1]]
    starts = t[first]
    return starts[np.cumsum(first) - 1]


def _lift_samples(spec, pos, vel, k, law, m_start, mdot, area, table, lift_seg, bank_seg, t, t0):
    """The lift acceleration (M, 3) of one lifting object at its samples (for the truth)."""
    m = pos.shape[0]
    alt = geodetic_altitude(pos)
    rho = np.where(alt < atmosphere.DRAG_CEILING_M, atmosphere.density(alt), 0.0)
    speed = np.linalg.norm(vel, axis=1)
    cd0 = dynamics.drag_coefficient(speed / atmosphere.speed_of_sound(alt), table[k])
    aero = Aero(
        lift_to_drag=np.full(m, spec.lift_to_drag),
        cl_max_factor=np.full(m, spec.cl_max_factor),
        max_lift_mps2=np.full(m, spec.max_lift_mps2),
        hold_alt=np.full(m, spec.glide_alt_m),
        hold_omega=np.full(m, spec.hold_omega),
        law=np.where(lift_seg[k], law, LIFT_OFF).astype(np.int8),
        bank=bank_seg[k],
        volume_m3=np.zeros(m),
    )
    on = (aero.law == LIFT_HOLD) & (rho > 0)
    out = np.zeros((m, 3))
    if on.any():
        mass = m_start[k] - mdot[k] * (t - t0)
        q = 0.5 * rho * speed**2
        out[on] = dynamics.lift_acceleration(pos, vel, alt, q, cd0, mass, area[k], aero, on)[0]
    return out


def _pull_up_marker(t, pos, vel, lift, events) -> list[Event]:
    """``pull_up``: where the lift first reaches ``PULL_UP_LIFT_MPS2`` after the glide began
    (interpolated between samples)."""
    glide = next((e for e in events if e.name == "glide"), None)
    if glide is None:
        return []
    mag = np.linalg.norm(lift, axis=1)
    after = np.flatnonzero((t > glide.t) & (mag >= PULL_UP_LIFT_MPS2))
    if after.size == 0:
        return []
    i = after[0]
    f = 1.0
    if i > 0 and mag[i] > mag[i - 1]:
        f = (PULL_UP_LIFT_MPS2 - mag[i - 1]) / (mag[i] - mag[i - 1])
    tp = t[i - 1] + f * (t[i] - t[i - 1]) if i > 0 else t[i]
    p = pos[i - 1] + f * (pos[i] - pos[i - 1]) if i > 0 else pos[i]
    v = vel[i - 1] + f * (vel[i] - vel[i - 1]) if i > 0 else vel[i]
    return [Event("pull_up", float(tp), p, v, None)]
