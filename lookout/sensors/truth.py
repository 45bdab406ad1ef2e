"""Truth in array form, sampled at one sensor's scan times, for vectorised sensing.

Shapes: T scan times, N objects. Positions ECEF metres, velocities m/s. A sample outside an
object's lifetime is not ``alive``; its position and velocity are NaN.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

#: Which truth object caused each detection, parallel to the detection list; None = false alarm.
#: Kept apart from the detections themselves, for scoring only.
TruthLabels = list[str | None]


@dataclass(frozen=True)
class TruthSamples:
    """Every object's truth state at each of T times.

    ``t`` (T,) s from the scenario epoch; ``pos``, ``vel`` (T, N, 3) ECEF m, m/s; ``kind``
    (T, N) int index into ``lookout.physics.trajectory.KINDS``; ``thrusting`` and ``alive``
    (T, N) bool; ``object_ids`` the N ids.
    """

    t: np.ndarray
    pos: np.ndarray
    vel: np.ndarray
    kind: np.ndarray
    thrusting: np.ndarray
    alive: np.ndarray
    object_ids: tuple[str, ...]

    def __post_init__(self) -> None:
        t = np.asarray(self.t, dtype=float)
        if t.ndim != 1:
            raise ValueError(f"t: expected shape (T,), got {t.shape}")
        shape = (t.size, len(self.object_ids))
        for name in ("pos", "vel"):
            arr = np.asarray(getattr(self, name), dtype=float)
            if arr.shape != (*shape, 3):
                raise ValueError(f"{name}: expected shape {(*shape, 3)}, got {arr.shape}")
            object.__setattr__(self, name, arr)
        for name, dtype in (("kind", np.int64), ("thrusting", bool), ("alive", bool)):
            arr = np.asarray(getattr(self, name), dtype=dtype)
            if arr.shape != shape:
                raise ValueError(f"{name}: expected shape {shape}, got {arr.shape}")
            object.__setattr__(self, name, arr)
        object.__setattr__(self, "t", t)
        object.__setattr__(self, "object_ids", tuple(self.object_ids))

    @property
    def n_times(self) -> int:
        return self.t.size

    @property
    def n_objects(self) -> int:
        return len(self.object_ids)

    @classmethod
    def from_trajectories(cls, trajectories: Sequence, times: np.ndarray) -> TruthSamples:
        """Sample each ``lookout.physics.trajectory.Trajectory`` at ``times`` (s)."""
        times = np.asarray(times, dtype=float).ravel()
        n_t, n = times.size, len(trajectories)
        pos = np.full((n_t, n, 3), np.nan)
        vel = np.full((n_t, n, 3), np.nan)
        kind = np.zeros((n_t, n), dtype=np.int64)
        thrusting = np.zeros((n_t, n), dtype=bool)
        for j, traj in enumerate(trajectories):  # one call per object, vectorised over time
            state = traj.state_at(times)
            pos[:, j], vel[:, j] = state[:, :3], state[:, 3:]
            kind[:, j] = traj.kind_at(times)
            thrusting[:, j] = traj.thrusting_at(times)
        alive = np.isfinite(pos).all(axis=2) & np.isfinite(vel).all(axis=2)
        return cls(
            t=times,
            pos=pos,
            vel=vel,
            kind=kind,
            thrusting=thrusting & alive,
            alive=alive,
            object_ids=tuple(traj.object_id for traj in trajectories),
        )

    @classmethod
    def static(
        cls,
        times: np.ndarray,
        pos: np.ndarray,
        vel: np.ndarray | None = None,
        kind: np.ndarray | int = 0,
        thrusting: np.ndarray | bool = False,
        object_ids: Sequence[str] | None = None,
    ) -> TruthSamples:
        """N objects held at ``pos`` (N, 3) ECEF m for every time: synthetic truth for tests and
        coverage studies."""
        times = np.asarray(times, dtype=float).ravel()
        pos = np.atleast_2d(np.asarray(pos, dtype=float))
        shape = (times.size, pos.shape[0])
        vel = np.zeros_like(pos) if vel is None else np.atleast_2d(np.asarray(vel, dtype=float))
        ids = object_ids if object_ids is not None else [f"obj{j}" for j in range(shape[1])]
        return cls(
            t=times,
            pos=np.broadcast_to(pos, (*shape, 3)).copy(),
            vel=np.broadcast_to(vel, (*shape, 3)).copy(),
            kind=np.broadcast_to(np.asarray(kind), shape).copy(),
            thrusting=np.broadcast_to(np.asarray(thrusting), shape).copy(),
            alive=np.ones(shape, dtype=bool),
            object_ids=tuple(ids),
        )
