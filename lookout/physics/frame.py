"""Acceleration of a free body in the rotating ECEF frame (the z axis is the rotation axis).

    a = g_J2(r) - 2 w x v - w x (w x r),   w = (0, 0, OMEGA_EARTH)

``v`` is the ECEF velocity (relative to the rotating Earth). The one home of the Coriolis and
centrifugal terms: the flight model (``dynamics``), the tracker's motion model
(``lookout.tracking.motion``) and the picture's coasting of local tracks add their own forces
(thrust, drag, lift) to it.
"""

from __future__ import annotations

import numpy as np

from lookout.geodesy import OMEGA_EARTH
from lookout.physics.gravity import gravity_j2


def rotating_frame_acceleration(pos: np.ndarray, vel: np.ndarray) -> np.ndarray:
    """J2 gravity plus the Coriolis and centrifugal terms, (N, 3), at ECEF positions and
    velocities (N, 3). A new array: callers add their forces to it in place."""
    acc = gravity_j2(pos)
    acc[:, 0] += 2.0 * OMEGA_EARTH * vel[:, 1] + OMEGA_EARTH**2 * pos[:, 0]
    acc[:, 1] += -2.0 * OMEGA_EARTH * vel[:, 0] + OMEGA_EARTH**2 * pos[:, 1]
    return acc
