"""Coasting ballistic bodies flown to the ground in one call: where and when each comes down.

The assessment flies every track's sigma points to the ground (``lookout.assess.impact``):
bodies with one ballistic segment each (a mass per area and a drag table; no thrust, no lift,
not submerged). ``coast_to_ground`` flies them with the whole loop compiled
(``compiled_ground.fly``: ``propagate``'s step choice, RK4 step, apogee, reentry and impact
tests, and the geodetic altitude, derived there with its error bound), and builds a
``Trajectory`` only for the objects whose samples are asked for.

The reference is ``propagate`` itself (its loop in Python, PROJ's altitude): selected with
``LOOKOUT_PROPAGATE_COAST=1``, and whenever ``LOOKOUT_NUMPY_STEP=1`` keeps numba out. The two
are one flight model with one step choice; they differ by the altitude's error (PROJ's own:
up to 1e-6 m near the ground, 9e-4 m at 300 km; the compiled one's under 1e-8 m), which moves
impacts by under 0.1 mm (``tests/test_ground_compiled.py`` compares them over many states).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np

from lookout.physics import dynamics
from lookout.physics.propagate import (
    ATMOSPHERE_STEP_M,
    ATMOSPHERE_TOP_M,
    DRAG_STEP,
    DT_ATMOSPHERE_MAX,
    DT_MIN,
    DT_VACUUM,
    SKIP_CLIMB_MPS,
    SURFACE_POTENTIAL_MIN,
    ObjectSpec,
    Segment,
    propagate,
    use_compiled_step,
)
from lookout.physics.trajectory import KINDS, REENTRY_ALTITUDE_M, Event, Trajectory

#: Environment variable that flies the bodies with ``propagate`` (the reference) instead.
REFERENCE_ENV = "LOOKOUT_PROPAGATE_COAST"
#: The kernel's event codes (``compiled_ground.APOGEE`` ...) by name.
EVENT_NAMES = ("apogee", "peak", "reentry", "impact")


def use_compiled_coast() -> bool:
    """Whether ``coast_to_ground`` flies with the compiled loop: not with
    ``LOOKOUT_PROPAGATE_COAST=1``, nor with ``LOOKOUT_NUMPY_STEP=1``."""
    return use_compiled_step() and os.environ.get(REFERENCE_ENV, "") in ("", "0")


@dataclass
class GroundBatch:
    """Where N coasting bodies came down: ``t`` (N,) s, ``pos`` and ``vel`` (N, 3) ECEF at
    the impact (NaN for a body still up at its stop time, or buried for good);
    ``trajectories`` maps each object whose samples were asked for to its ``Trajectory``."""

    t: np.ndarray
    pos: np.ndarray
    vel: np.ndarray
    trajectories: dict[int, Trajectory]


def coast_to_ground(
    t0: np.ndarray,
    state: np.ndarray,
    mass_per_area: np.ndarray,
    drag: str,
    t_stop: np.ndarray,
    record=(),
    kind: str = "reentry_vehicle",
) -> GroundBatch:
    """Fly N coasting bodies from ``state`` (N, 6) ECEF at ``t0`` (N,) s, each with its mass
    per reference area ``mass_per_area`` (N,) kg/m² and the drag table ``drag``, until each
    hits the WGS84 surface or reaches ``t_stop`` (N,). ``record``: indices of the objects
    whose trajectories (samples and events, of kind ``kind``) are wanted."""
    # Writable, contiguous float64 copies: the types the kernel is compiled for (``warm``); a
    # read-only view (``broadcast_to``'s) would cost another compilation.
    state = np.array(state, dtype=float, order="C").reshape(-1, 6)
    n = state.shape[0]
    t0 = np.array(np.broadcast_to(np.asarray(t0, dtype=float), (n,)))
    t_stop = np.array(np.broadcast_to(np.asarray(t_stop, dtype=float), (n,)))
    mass = np.array(np.broadcast_to(np.asarray(mass_per_area, dtype=float), (n,)))
    record = np.asarray(record, dtype=int).ravel()
    if not use_compiled_coast():
        return _reference(t0, state, mass, drag, t_stop, record, kind)
    from lookout.assess import compiled_ground  # numba: imported on the first batch flown

    table = dynamics.DRAG_TABLE_NAMES.index(drag)
    want = np.zeros(n, dtype=np.bool_)
    want[record] = True
    impacts, st, sx, sr, ev_row, ev_code, ev_x = compiled_ground.fly(
        t0, state, mass, np.full(n, table, dtype=np.int64), t_stop, want, _CONSTANTS
    )
    bounds = np.searchsorted(sr, np.arange(n + 1))
    kind_i = KINDS.index(kind)
    events: dict[int, list[Event]] = {}
    for r, code, x in zip(ev_row.tolist(), ev_code.tolist(), ev_x, strict=True):
        events.setdefault(r, []).append(Event(EVENT_NAMES[code], float(x[0]), x[1:4], x[4:7]))
    trajectories = {}
    for i in np.flatnonzero(want).tolist():
        a, b = bounds[i], bounds[i + 1]
        m = b - a
        trajectories[i] = Trajectory(
            object_id=str(i),
            t=st[a:b].copy(),
            pos=sx[a:b, :3].copy(),
            vel=sx[a:b, 3:].copy(),
            thrusting=np.zeros(m, dtype=bool),
            kind=np.full(m, kind_i),
            events=sorted(events.get(i, []), key=lambda e: e.t),
            area_per_mass=np.full(m, 1.0 / mass[i]),
            drag_table=np.full(m, table),
        )
    return GroundBatch(impacts[:, 0], impacts[:, 1:4], impacts[:, 4:7], trajectories)


_CONSTANTS = np.array(
    [DT_VACUUM, DT_ATMOSPHERE_MAX, DT_MIN, ATMOSPHERE_STEP_M, ATMOSPHERE_TOP_M, DRAG_STEP,
     REENTRY_ALTITUDE_M, SKIP_CLIMB_MPS, SURFACE_POTENTIAL_MIN],
    dtype=float,
)  # fmt: skip


def _reference(t0, state, mass, drag, t_stop, record, kind) -> GroundBatch:
    """``coast_to_ground`` through ``propagate`` (its Python loop, PROJ's altitude)."""
    specs = [
        ObjectSpec(
            object_id=str(i),
            t0=float(t0[i]),
            pos0=state[i, :3],
            vel0=state[i, 3:],
            segments=[Segment(np.inf, float(mass[i]), area_m2=1.0, drag=drag, kind=kind)],
            t_stop=float(t_stop[i]),
        )
        for i in range(state.shape[0])
    ]
    trs = propagate(specs, spawn_debris=False)
    n = len(trs)
    t = np.full(n, np.nan)
    pos = np.full((n, 3), np.nan)
    vel = np.full((n, 3), np.nan)
    for i, tr in enumerate(trs):
        ev = tr.event("impact")
        if ev is not None:
            t[i], pos[i], vel[i] = ev.t, ev.pos, ev.vel
    return GroundBatch(t, pos, vel, {int(i): trs[i] for i in record})
