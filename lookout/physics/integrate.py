"""The one integrator: a classical fourth-order Runge-Kutta step of ``r' = v, v' = a(t, r, v)``.

Vectorised over objects, each with its own step: ``pos`` and ``vel`` are (N, 3), ``dt`` (N,).
The simulator (``propagate``), the tracker (``lookout.tracking.motion``), the launch point's
flight back (``lookout.assess.launch_point``) and the Stone Soup baseline
(``lookout.bench.stonesoup_baseline``) all step with it: one integration scheme, with the same
floating-point operations in the same order for them all.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

Acceleration = Callable[[object, np.ndarray, np.ndarray], np.ndarray]


def rk4_step(
    acc: Acceleration, t, pos: np.ndarray, vel: np.ndarray, dt: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Positions and velocities (N, 3) one RK4 step of ``dt`` (N,) s on.

    ``acc(t, pos, vel)`` is the acceleration (N, 3), called at ``t``, ``t + dt / 2`` (twice) and
    ``t + dt``; ``t`` (N,) may be ``None`` for a model that does not depend on time (then
    ``acc`` gets ``None`` each time). The acceleration is held per step: a law that switches
    (a stage's burnout) must be stepped up to the switch.
    """
    h = dt[:, None]
    t_half = t_end = None
    if t is not None:
        t_half, t_end = t + 0.5 * dt, t + dt
    a1 = acc(t, pos, vel)
    p2, v2 = pos + 0.5 * h * vel, vel + 0.5 * h * a1
    a2 = acc(t_half, p2, v2)
    p3, v3 = pos + 0.5 * h * v2, vel + 0.5 * h * a2
    a3 = acc(t_half, p3, v3)
    p4, v4 = pos + h * v3, vel + h * a3
    a4 = acc(t_end, p4, v4)
    new_pos = pos + h / 6.0 * (vel + 2.0 * v2 + 2.0 * v3 + v4)
    new_vel = vel + h / 6.0 * (a1 + 2.0 * a2 + 2.0 * a3 + a4)
    return new_pos, new_vel
