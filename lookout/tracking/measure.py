"""Measurement models, vectorised over states: radar (range, azimuth, elevation[, range-rate])
in the sensor's East-North-Up frame, and infrared line of sight (azimuth, elevation of the unit
vector in ECEF axes). Conventions are the sensors' (``lookout.sensors.radar``,
``lookout.sensors.infrared``). Jacobians are with respect to ``[pos, vel]`` (6 columns).
"""

from __future__ import annotations

import math

import numpy as np

from lookout.physics.einsum import einsum
from lookout.tracking.motion import numpy_step

TWO_PI = 2.0 * math.pi

#: ``lookout.tracking.compiled`` once imported (numba: on the first use).
_compiled = None

#: An infrared scan's stand-in for a radar's ENU basis (``compiled.gauss_newton`` takes one).
_EYE3 = np.eye(3)

#: Index of the azimuth component, whose innovation is wrapped to [-π, π).
AZIMUTH_INDEX = {"radar": 1, "infrared": 0}


def radar(
    pos: np.ndarray, vel: np.ndarray, s: np.ndarray, s_vel: np.ndarray, B: np.ndarray, m: int
) -> tuple[np.ndarray, np.ndarray]:
    """Predicted radar measurements (N, m) and Jacobians (N, m, 6) for sensor at ``s`` (3,)
    moving at ``s_vel`` (3,) with ENU basis ``B`` (3, 3) (rows E, N, U)."""
    d = pos - s
    enu = d @ B.T
    e, n, u = enu[:, 0], enu[:, 1], enu[:, 2]
    rh2 = e * e + n * n
    rh = np.sqrt(rh2)
    r2 = rh2 + u * u
    r = np.sqrt(r2)
    z = np.empty((pos.shape[0], m))
    z[:, 0] = r
    z[:, 1] = np.arctan2(e, n) % TWO_PI
    z[:, 2] = np.arctan2(u, rh)
    J = np.zeros((pos.shape[0], 3, 3))
    J[:, 0] = enu / r[:, None]
    J[:, 1, 0] = n / rh2
    J[:, 1, 1] = -e / rh2
    w = u / (r2 * rh)
    J[:, 2, 0] = -e * w
    J[:, 2, 1] = -n * w
    J[:, 2, 2] = rh / r2
    H = np.zeros((pos.shape[0], m, 6))
    H[:, :3, :3] = J @ B
    if m == 4:
        rel = vel - s_vel
        los = d / r[:, None]
        rr = einsum("ij,ij->i", los, rel)
        z[:, 3] = rr
        H[:, 3, :3] = (rel - rr[:, None] * los) / r[:, None]
        H[:, 3, 3:] = los
    return z, H


def infrared(pos: np.ndarray, s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Predicted line-of-sight angles (N, 2) and Jacobians (N, 2, 6) from a satellite at ``s``."""
    d = pos - s
    x, y, zc = d[:, 0], d[:, 1], d[:, 2]
    rh2 = x * x + y * y
    rh = np.sqrt(rh2)
    r2 = rh2 + zc * zc
    z = np.stack([np.arctan2(y, x), np.arctan2(zc, rh)], axis=-1)
    H = np.zeros((pos.shape[0], 2, 6))
    H[:, 0, 0] = -y / rh2
    H[:, 0, 1] = x / rh2
    w = zc / (r2 * rh)
    H[:, 1, 0] = -x * w
    H[:, 1, 1] = -y * w
    H[:, 1, 2] = rh / r2
    return z, H


def predict(kind: str, x: np.ndarray, scan, m: int) -> tuple[np.ndarray, np.ndarray]:
    """Measurement prediction and Jacobian for states ``x`` (N, >=6) on a scan's sensor.
    Compiled (``compiled.radar_measure``, ``infrared_measure``: some 15,000 calls in
    mass-raid's first 300 s of trackers, each two dozen numpy calls on a few rows) unless
    ``LOOKOUT_NUMPY_STEP=1``; libm's ``atan2`` makes the angles' last digit differ."""
    if x.dtype == np.float64 and x.ndim == 2 and not numpy_step():
        global _compiled
        if _compiled is None:
            from lookout.tracking import compiled as _compiled
        if kind == "radar":
            return _compiled.radar_measure(x, scan.s, scan.s_vel, scan.B, m)
        return _compiled.infrared_measure(x, scan.s)
    if kind == "radar":
        return radar(x[:, 0:3], x[:, 3:6], scan.s, scan.s_vel, scan.B, m)
    return infrared(x[:, 0:3], scan.s)


#: A track's measurement is relinearized (``linearized``) where its prior's position spread,
#: seen from the sensor, bends the angles by more than this share of their noise: the angles'
#: second-order term over the prior, ``tr(P_pos) / r²`` rad, against the smallest angle sigma.
#: A choice between 0 (every update iterated, twice the measurement work on every scan) and 1
#: (iterated only where the linearization's error is already the noise's size): a tenth keeps
#: it a tenth of the noise. A radar 200 km off with 0.5 mrad: a prior wider than 1.5 km.
BEND_SHARE = 0.1
#: Gauss-Newton steps at most; a step under a metre and a centimetre per second ends them.
#: A radar track's second detection with a range rate (its velocity across the line of sight
#: still the prior's 3 km/s) took up to 10: with 5, 2.5 % of such updates stopped short, far
#: off (``tests/test_tracking_models.py``, mean NEES 241 against 6.2 with 10 or 20).
RELINEARIZE_STEPS = 10


def position_bent(kind: str, x: np.ndarray, P: np.ndarray, scan) -> np.ndarray:
    """Rows of states ``x`` (N, >=6) with covariances ``P`` whose position spread, seen from
    the scan's sensor, bends the angles by more than ``BEND_SHARE`` of the smallest angle
    sigma of the scan's detections (``linearized``'s test of the angles, before the range
    rate's)."""
    d = x[:, 0:3] - scan.s
    r2 = einsum("ij,ij->i", d, d)
    spread = np.trace(P[:, :3, :3], axis1=1, axis2=2) / np.maximum(r2, 1.0)
    a = AZIMUTH_INDEX[kind]
    sig = np.sqrt(np.minimum(scan.R[:, a, a], scan.R[:, a + 1, a + 1]).min())
    return np.flatnonzero(spread > BEND_SHARE * sig)


def linearized(
    kind: str, x: np.ndarray, P: np.ndarray, scan, jj: np.ndarray, m: int
) -> tuple[np.ndarray, np.ndarray]:
    """Measurement predictions (N, m) and Jacobians (N, m, 6) of states ``x`` (N, >=6) with
    covariances ``P`` (N, >=6, >=6) to be updated with detections ``jj`` (N,) of ``scan``: as
    ``predict`` at the prior, except where the prior is too wide for one linearization there
    (``BEND_SHARE``): the iterated EKF's, at the posterior's mode found by Gauss-Newton steps
    (``h(x_i) + H_i (x - x_i)`` and ``H_i``, so the EKF update taking them is the iterated
    one's). A track coasting unseen for 29 s after an infrared-only boost (its velocity known
    to 300 m/s, its position to 10 km) met by a radar 207 km off: at the prior the angles'
    linearization was off by 2 sigma, and the update's state 220-440 m off under a 120 m
    sigma (NEES 65-550); the track lost the radar's next detection. Iterated, 60-120 m
    (NEES 4-6).

    A range rate bends too: ``u(p) . v`` has the second-order terms ``sqrt(tr P_pos tr
    P_vel) / r`` (the line of sight turned by the position's spread, acting on the velocity's)
    and ``|v| tr P_pos / r²``, against its sigma by the same ``BEND_SHARE``. A radar track one
    second after its birth knows its velocity across the line of sight to the prior's 3 km/s
    per axis and its position to 3 km: 1,000 km off the first term is 18 m/s against a 0.5 m/s
    sigma, and the update at the prior was 6 km off under a 400 m sigma (median NEES 530). Its
    spent stage's track, me62 #05, was 840 m off under 530 m for its first 10 s (coast
    RMSE/PCRLB 1.64, its own bound 370 m)."""
    zh, H = predict(kind, x, scan, m)
    d = x[:, 0:3] - scan.s
    r2 = einsum("ij,ij->i", d, d)
    p2 = np.trace(P[:, :3, :3], axis1=1, axis2=2)
    spread = p2 / np.maximum(r2, 1.0)
    a = AZIMUTH_INDEX[kind]
    R = scan.R[jj]
    sig = np.sqrt(np.minimum(R[:, a, a], R[:, a + 1, a + 1]))
    bent = spread > BEND_SHARE * sig
    if m == 4:
        # The range rate u(p) . v: its second-order terms over the prior, the line of sight
        # turned by the position's spread acting on the velocity's (sqrt(tr P_pos tr P_vel) / r)
        # and on the velocity itself (|v| tr P_pos / r²), against its sigma.
        v2 = einsum("ij,ij->i", x[:, 3:6] - scan.s_vel, x[:, 3:6] - scan.s_vel)
        pv = np.trace(P[:, 3:6, 3:6], axis1=1, axis2=2)
        rr_bend = np.sqrt(p2 * pv / np.maximum(r2, 1.0)) + np.sqrt(v2) * spread
        bent |= rr_bend > BEND_SHARE * np.sqrt(R[:, 3, 3])
    rows = np.flatnonzero(bent)
    if rows.size == 0:
        return zh, H
    x0, P0 = x[rows, :6], P[rows, :6, :6]
    z, R = scan.z[jj[rows]], R[rows]
    if x.dtype == np.float64 and 2 <= m <= 4 and not numpy_step():
        # Compiled (``compiled.gauss_newton``): the same steps, some ten numpy calls each on a
        # few rows (a bent track's modes against every detection of the scan), in one call.
        global _compiled
        if _compiled is None:
            from lookout.tracking import compiled as _compiled
        zh[rows], H[rows] = _compiled.gauss_newton(
            np.ascontiguousarray(x0), np.ascontiguousarray(P0), np.ascontiguousarray(z),
            np.ascontiguousarray(R), scan.s, scan.s_vel, scan.B if kind == "radar" else _EYE3, m,
            kind == "radar",
            AZIMUTH_INDEX[kind], RELINEARIZE_STEPS,
        )  # fmt: skip
        return zh, H
    xi = x0.copy()
    for _ in range(RELINEARIZE_STEPS):
        zi, Hi = predict(kind, xi, scan, m)
        zl = zi + einsum("kij,kj->ki", Hi, x0 - xi)
        PHt = P0 @ Hi.transpose(0, 2, 1)
        S = Hi @ PHt + R
        nu = wrap(z - zl, kind)
        step = x0 + einsum("kij,kj->ki", PHt, np.linalg.solve(S, nu[:, :, None])[:, :, 0]) - xi
        xi += step
        if np.all(np.abs(step[:, :3]) < 1.0) and np.all(np.abs(step[:, 3:6]) < 0.01):
            break
    zi, Hi = predict(kind, xi, scan, m)
    zh[rows] = zi + einsum("kij,kj->ki", Hi, x0 - xi)
    H[rows] = Hi
    return zh, H


def wrap(nu: np.ndarray, kind: str) -> np.ndarray:
    """Innovations (..., m) with the azimuth component wrapped to [-π, π)."""
    i = AZIMUTH_INDEX[kind]
    nu[..., i] = (nu[..., i] + math.pi) % TWO_PI - math.pi
    return nu


def radar_to_ecef(
    z: np.ndarray, R: np.ndarray, s: np.ndarray, B: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Radar measurements (K, >=3) to ECEF positions (K, 3) and their covariances (K, 3, 3)
    (first-order conversion)."""
    rng, az, el = z[:, 0], z[:, 1], z[:, 2]
    ce, se, ca, sa = np.cos(el), np.sin(el), np.cos(az), np.sin(az)
    # The columns filled in place (what ``np.stack`` of them gave, the same products, without
    # its four calls' checks: the trackers convert every radar scan, some 4,700 in mass-raid's
    # first 300 s).
    J = np.empty((z.shape[0], 3, 3))
    cesa, ceca = ce * sa, ce * ca
    J[:, 0, 0], J[:, 1, 0], J[:, 2, 0] = cesa, ceca, se
    enu = rng[:, None] * J[:, :, 0]
    J[:, 0, 1], J[:, 1, 1], J[:, 2, 1] = rng * ceca, rng * (-ce * sa), rng * np.zeros_like(ce)
    J[:, 0, 2], J[:, 1, 2], J[:, 2, 2] = rng * (-se * sa), rng * (-se * ca), rng * ce
    Je = B.T @ J
    P = Je @ R[:, :3, :3] @ Je.transpose(0, 2, 1)
    return s + enu @ B, P


def los_unit(z: np.ndarray) -> np.ndarray:
    """Infrared (az, el) (K, 2) to unit lines of sight (K, 3) in ECEF axes."""
    az, el = z[:, 0], z[:, 1]
    ce = np.cos(el)
    return np.stack([ce * np.cos(az), ce * np.sin(az), np.sin(el)], axis=-1)
