"""Earth's gravity with the J2 zonal term, in ECEF (the z axis is the rotation axis)."""

from __future__ import annotations

import numpy as np

from lookout.geodesy import GM_EARTH, J2, R_EQUATOR
from lookout.physics.einsum import einsum


def gravity_j2(pos: np.ndarray) -> np.ndarray:
    """Gravitational acceleration (m/s^2) at ECEF positions (N, 3), point mass plus J2."""
    r2 = einsum("ij,ij->i", pos, pos)
    r = np.sqrt(r2)
    z2 = pos[:, 2] ** 2 / r2
    k = 1.5 * J2 * R_EQUATOR**2 / r2
    base = -GM_EARTH / (r2 * r)
    acc = pos * (base * (1.0 + k * (1.0 - 5.0 * z2)))[:, None]
    acc[:, 2] = pos[:, 2] * base * (1.0 + k * (3.0 - 5.0 * z2))
    return acc
