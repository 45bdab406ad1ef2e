"""A launch that fails in boost: its planned flight cut off, or broken up, at a time.

A failure is applied to a launch *after* its guidance is planned (``lookout.flight``): the plan,
and so the plan cache, are the intact flight's; only the flight flown changes. Two kinds:

- ``cutoff``: thrust ends at ``time_s`` after the launch and the stack flies on ballistic as one
  body, uncontrolled (a tumbling stack: the spent-stage drag), with whatever propellant is left
  in it; no payload separates (separation is commanded by guidance at the planned burnout). The
  stages dropped before ``time_s`` fall as they do in the intact flight.
- ``breakup``: at ``time_s`` the stack becomes ``pieces`` debris (3 to 8): its dry structure and
  payload, split at random (the propellant left is dispersed and burnt in the break-up), each
  with a separation velocity drawn from the NASA standard breakup model's explosion
  distribution (``separation_speeds``) and the drag of tumbling debris. The vehicle itself ends
  at ``time_s`` (its trajectory's last event, ``breakup``).

The random draws (piece count when not given, masses, directions, speeds) come from the
scenario's seed and the launch's index, so a run is deterministic and independent of the
sensors' streams.

This module lives beside ``lookout.simulate`` rather than in ``lookout.flight``: the plan
cache's key hashes the source of ``lookout.flight`` (``plancache.model_files``), and a failure
changes no plan.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from lookout.errors import LookoutError
from lookout.flight import Launch
from lookout.flight.launch import launch_spec
from lookout.physics.dynamics import COASTING
from lookout.physics.propagate import ObjectSpec, Segment, propagate
from lookout.physics.trajectory import Trajectory

FAILURE_KINDS = ("breakup", "cutoff")
#: Number of debris pieces of a break-up: the bounds a scenario may give, and of the seeded draw.
MIN_PIECES, MAX_PIECES = 3, 8
#: Drag table and truth kind of a failed stack and of its debris: tumbling bodies, seen by the
#: sensors as spent stages are (``lookout.sensors.radar.RCS_M2``).
DEBRIS_DRAG = "spent_stage"
DEBRIS_KIND = "spent_stage"
#: The NASA standard breakup model's explosion fragments (Johnson et al., "NASA's new breakup
#: model of EVOLVE 4.0", Adv. Space Res. 28, 2001): log10 of the separation speed (m/s) is
#: normal with mean ``0.2 chi + 1.85`` and deviation 0.4, ``chi = log10(A/m)`` (m^2/kg).
#: Draws are kept within two deviations (a piece of a heavy stack at 10-300 m/s).
SBM_DV_SLOPE, SBM_DV_OFFSET, SBM_DV_SIGMA = 0.2, 1.85, 0.4
SBM_DV_CLIP_SIGMA = 2.0


class FailureError(LookoutError, ValueError):
    """A failure that cannot happen to this launch (a time outside its boost)."""


@dataclass(frozen=True)
class Failure:
    """A launch's failure: ``kind`` (``breakup`` or ``cutoff``) at ``time_s`` after the launch
    (within its boost), and for a break-up the number of ``pieces`` (None: drawn from the seed)."""

    time_s: float
    kind: str
    pieces: int | None = None


def burn_end_s(launch: Launch) -> float:
    """The planned thrust termination (s after the launch, ignition delay included)."""
    return launch.ignition_s + launch.burn_s


def check(launch: Launch, failure: Failure) -> None:
    """Raise ``FailureError`` unless the failure lies within the launch's boost."""
    end = burn_end_s(launch)
    if not (launch.ignition_s < failure.time_s <= end + 1e-9):
        raise FailureError(
            f"{failure.time_s:g}, expected a time after ignition ({launch.ignition_s:g} s) and "
            f"within the boost, up to its planned burnout at {end:.1f} s after the launch"
        )


def failed_spec(launch: Launch, failure: Failure) -> tuple[ObjectSpec, float]:
    """The propagator's description of a launch whose thrust ends at the failure, flying on as
    one tumbling body, and the stack's dry mass at that time (kg: the stages still on it and
    the payload)."""
    check(launch, failure)
    after_ignition = failure.time_s - launch.ignition_s
    spec = launch_spec(replace(launch, cutoff_s=after_ignition))
    burning = [i for i, g in enumerate(spec.segments) if g.mdot > 0]
    last = burning[-1]
    g = spec.segments[last]
    start = spec.segments[last - 1].end if last > 0 else spec.t0
    remaining = g.mass_start_kg - g.mdot * (g.end - start)
    events = ("breakup",) if failure.kind == "breakup" else ("burnout", "failure")
    stages = launch.vehicle.stages[g.stage - 1 :]
    dry = sum(s.dry_kg for s in stages) + launch.vehicle.payload.mass_kg
    coast = Segment(
        end=np.inf,
        mass_start_kg=remaining,
        area_m2=g.area_m2,
        drag=DEBRIS_DRAG,
        mode=COASTING,
        kind=DEBRIS_KIND,
    )
    head = spec.segments[:last]
    spec.segments = [
        *head,
        replace(g, events_at_end=events, spawn=None, check_orbit_at_end=False),
        coast,
    ]
    return spec, dry


def separation_speeds(area_per_mass: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Separation speeds (m/s) of explosion fragments of these area-to-mass ratios (m^2/kg),
    from the standard breakup model (``SBM_DV_*``)."""
    chi = np.log10(area_per_mass)
    z = np.clip(rng.standard_normal(chi.shape), -SBM_DV_CLIP_SIGMA, SBM_DV_CLIP_SIGMA)
    return 10.0 ** (SBM_DV_SLOPE * chi + SBM_DV_OFFSET + SBM_DV_SIGMA * z)


def debris_specs(
    launch: Launch,
    failure: Failure,
    state: np.ndarray,
    dry_kg: float,
    area_m2: float,
    rng: np.random.Generator,
) -> list[ObjectSpec]:
    """The pieces of a break-up from the stack's ECEF ``state`` (6,) at the failure: masses
    splitting ``dry_kg`` at random, each with the area of a scaled copy of the stack
    (``area_m2 (m / dry_kg)^(2/3)``: the lighter, the more drag per mass), a separation velocity
    in a random direction (the stack's momentum kept) and the drag of tumbling debris."""
    n = failure.pieces or int(rng.integers(MIN_PIECES, MAX_PIECES + 1))
    mass = rng.dirichlet(np.ones(n)) * dry_kg
    area = area_m2 * (mass / dry_kg) ** (2.0 / 3.0)
    speed = separation_speeds(area / mass, rng)
    direction = rng.standard_normal((n, 3))
    direction /= np.linalg.norm(direction, axis=1, keepdims=True)
    dv = speed[:, None] * direction
    dv -= (mass[:, None] * dv).sum(axis=0) / mass.sum()  # the explosion's momentum is nil
    t0 = launch.launch_time + failure.time_s
    return [
        ObjectSpec(
            object_id=f"{launch.object_id}-debris{k + 1}",
            t0=t0,
            pos0=state[:3].copy(),
            vel0=state[3:] + dv[k],
            segments=[
                Segment(
                    np.inf,
                    float(mass[k]),
                    area_m2=float(area[k]),
                    drag=DEBRIS_DRAG,
                    kind=DEBRIS_KIND,
                )
            ],  # fmt: skip
            t_stop=launch.launch_time + launch.max_flight_s,
            parent_id=launch.object_id,
        )
        for k in range(n)
    ]


def truncated(tr: Trajectory, t_end: float) -> Trajectory:
    """A trajectory's samples and events up to ``t_end`` (a sample of it)."""
    j = int(np.searchsorted(tr.t, t_end + 1e-6, side="right"))
    cut = slice(0, j)
    opt = {
        name: (None if getattr(tr, name) is None else getattr(tr, name)[cut])
        for name in ("lift", "area_per_mass", "drag_table")
    }
    return Trajectory(
        object_id=tr.object_id,
        t=tr.t[cut],
        pos=tr.pos[cut],
        vel=tr.vel[cut],
        thrusting=tr.thrusting[cut],
        kind=tr.kind[cut],
        events=[e for e in tr.events if e.t <= t_end + 1e-6],
        parent_id=tr.parent_id,
        **opt,
    )


def fly(
    launches: list[Launch], failures: list[Failure | None], seeds: list | None = None
) -> list[Trajectory]:
    """``lookout.flight.fly`` with each launch's failure (None: intact) applied: every launch's
    main object first (in order), then the stages they dropped, then the break-ups' debris.
    ``seeds``: per launch, the entropy of its break-up's draws (default: its index)."""
    seeds = seeds if seeds is not None else list(range(len(launches)))
    specs, dry = [], {}
    for launch, failure in zip(launches, failures, strict=True):
        if failure is None:
            specs.append(launch_spec(launch))
            continue
        spec, dry[launch.object_id] = failed_spec(launch, failure)
        specs.append(spec)
    trajectories = propagate(specs)
    pieces: list[ObjectSpec] = []
    for i, (launch, failure) in enumerate(zip(launches, failures, strict=True)):
        if failure is None or failure.kind != "breakup":
            continue
        main = trajectories[i]
        event = main.event("breakup")
        state = np.concatenate([event.pos, event.vel])
        area = specs[i].segments[-1].area_m2
        rng = np.random.default_rng(seeds[i])
        pieces += debris_specs(launch, failure, state, dry[launch.object_id], area, rng)
        trajectories[i] = truncated(main, event.t)
    if pieces:
        trajectories += propagate(pieces, spawn_debris=False)
    return trajectories


__all__ = [
    "FAILURE_KINDS",
    "Failure",
    "FailureError",
    "burn_end_s",
    "check",
    "fly",
]
