"""Earth masking: does the straight line of sight between two ECEF points clear the Earth?

The Earth is the WGS84 ellipsoid, optionally raised by a shell height (cloud tops for infrared).
The test is exact for the ellipsoid: scaling x, y by 1/(a + h) and z by 1/(b + h) maps it to the
unit sphere, where the segment's closest approach to the centre is found in closed form. Rays are
straight: no atmospheric refraction (the 4/3-Earth radio horizon would reach some 15 % further
for low targets; a radar's minimum elevation is usually the larger effect).
"""

from __future__ import annotations

import numpy as np

from lookout.geodesy import R_EQUATOR, R_POLAR


def line_of_sight_clear(
    observer: np.ndarray, target: np.ndarray, shell_height_m: float = 0.0
) -> np.ndarray:
    """True where the segment observer -> target (ECEF m, broadcasting (..., 3)) stays outside
    the ellipsoid raised by ``shell_height_m``.

    An observer that sits below that surface (a site with negative ellipsoidal height) is masked
    against the surface through itself instead, so it is not blind.
    """
    scale = 1.0 / np.array(
        [R_EQUATOR + shell_height_m, R_EQUATOR + shell_height_m, R_POLAR + shell_height_m]
    )
    q0 = np.asarray(observer, dtype=float) * scale
    q1 = np.asarray(target, dtype=float) * scale
    d = q1 - q0
    dd = np.einsum("...i,...i->...", d, d)
    s = np.clip(-np.einsum("...i,...i->...", q0, d) / np.where(dd > 0, dd, 1.0), 0.0, 1.0)
    closest = q0 + s[..., None] * d
    r2_min = np.einsum("...i,...i->...", closest, closest)
    r2_obs = np.einsum("...i,...i->...", q0, q0)
    surface = np.minimum(1.0, r2_obs)
    return r2_min >= surface * (1.0 - 1e-12)
