"""Closely spaced objects: a stage and its payload, two reentry vehicles, seen by the radars
as one blur of detections (``Formations``).

Two tracks moving together that share a scan's detections get them in along-track order, the
older track the detection ahead (``Formations.order_siblings``), with the separation speed of
the pair learned on a grid (``SEPARATION_GRID_MPS``). A track born next to another (a stage
pushed off its payload) coasting with it above the air is updated with it as a *formation*
(``update_formation``): both tracks with every detection of either object, the partner's
shifted by their separation (a push along the velocity at the younger's birth), mixed over the
two possible origins.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from lookout.tracking import measure
from lookout.tracking.mixing import NMODE
from lookout.tracking.motion import (
    altitude_approx,
    density_and_slope,
)
from lookout.tracking.scans import Scan

_LOG_2PI = math.log(2.0 * math.pi)

#: Grid of the separation speed of two closely spaced objects (m/s), log-uniform prior from
#: 0.1 m/s (springs) to 100 m/s (a stage falling behind a thrusting stack), see
#: ``Formations.order_siblings``.
_SPEEDS = np.geomspace(0.1, 100.0, 600)
#: Signed: positive, the younger track's object behind the older's (pushed back, the usual
#: case); negative, ahead (the older track lost its object at burnout and the younger ones
#: were born next to each other in the wrong order). Prior: 90 % behind.
SEPARATION_GRID_MPS = np.concatenate([-_SPEEDS[::-1], _SPEEDS])
_SEPARATION_PRIOR = np.concatenate(
    [np.full(_SPEEDS.size, math.log(0.1)), np.full(_SPEEDS.size, math.log(0.9))]
)
#: Variance (m²/s²) of the grid's rounding of the speed: its relative spacing, 1.2 %, at 3 m/s
#: is 0.035 m/s, which after ten minutes is 20 m.
_GRID_STEP = _SPEEDS[1] / _SPEEDS[0] - 1.0
#: Noise variance (any unit) that makes a detection carry no information.
_UNSEEN_VARIANCE = 1e12
#: A pair's relative motion is found again from the older track's estimate this often (s).
REANCHOR_S = 20.0
#: ... or as soon as the older's velocity turns this far (rad) from the reference's: 1 mrad is
#: 3 m at 3 m/s for 1,000 s.
REANCHOR_ANGLE_RAD = 1e-3


@dataclass(frozen=True)
class Formation:
    """Closely spaced pairs updated as formations in one scan (``update_formation``),
    per track (older tracks, then younger): its assignment row, the probability that the
    pair's detections are in the right order, its own detection and its partner's, the shift
    (m,) that puts the partner's on it and the noise (m, m) that shift adds."""

    rows: np.ndarray
    w: np.ndarray
    own: np.ndarray
    other: np.ndarray
    shift: np.ndarray
    extra: np.ndarray


def update_formation(scan: Scan, f: Formation, xs, Ps, zh, H, x_new, P_new, ll) -> None:
    """Update the tracks of closely spaced pairs as formations
    (``Formations.order_siblings``): under each order of the pair's two detections (right,
    with probability ``f.w``, or swapped), each track is updated with both, its partner's
    shifted by the partner's offset from it (the separation speed's variance added to that
    detection's noise); the two updates are mixed by the orders' probabilities (moment
    matching). Overwrites the rows' plain updates in ``x_new``, ``P_new`` and ``ll``
    (mode-expanded rows, two per track)."""
    kind, m = scan.kind, scan.m
    rr = (NMODE * f.rows[:, None] + np.arange(NMODE)).ravel()
    x0, P0, zr, Hr = xs[rr], Ps[rr], zh[rr], H[rr]
    own, other = np.repeat(f.own, NMODE), np.repeat(f.other, NMODE)
    shift = np.repeat(f.shift, NMODE, axis=0)
    extra = np.repeat(f.extra, NMODE, axis=0)
    H2 = np.concatenate([Hr, Hr], axis=1)  # (k, 2m, 6)
    PHt = P0[:, :, :6] @ H2.transpose(0, 2, 1)
    HPH = H2 @ PHt[:, :6, :]
    out = []
    for mine, theirs in ((own, other), (other, own)):
        nu = np.concatenate(
            [
                measure.wrap(scan.z[mine] - zr, kind),
                measure.wrap(scan.z[theirs] + shift - zr, kind),
            ],
            axis=1,
        )
        S = HPH.copy()
        S[:, :m, :m] += scan.R[mine]
        S[:, m:, m:] += scan.R[theirs] + extra
        Sinv = np.linalg.inv(S)
        _, logdet = np.linalg.slogdet(S)
        K = PHt @ Sinv
        x = x0 + (K @ nu[:, :, None])[:, :, 0]
        P = P0 - K @ S @ K.transpose(0, 2, 1)
        d2 = np.einsum("ki,kij,kj->k", nu, Sinv, nu)
        out.append((x, P, -0.5 * (d2 + logdet + 2 * m * _LOG_2PI)))
    (xa, Pa, la), (xb, Pb, lb) = out
    w = np.repeat(f.w, NMODE)
    b = w[:, None]
    dx = xa - xb
    x_new[rr] = b * xa + (1.0 - b) * xb
    P_new[rr] = (
        b[:, :, None] * Pa
        + (1.0 - b)[:, :, None] * Pb
        + (b * (1.0 - b))[:, :, None] * dx[:, :, None] * dx[:, None, :]
    )
    with np.errstate(divide="ignore"):
        ll[rr] = np.logaddexp(np.log(w) + la, np.log1p(-w) + lb)


def air_column(
    x6: np.ndarray, span: np.ndarray, *, climbing: bool
) -> tuple[np.ndarray, np.ndarray]:
    """The air flown through by paths (k, 6) after (``climbing``) or before (else) their
    states ``x6``, over at most ``span`` (k,) s: ``∫ ρ v² dt`` (kg/(m s)) and the time it takes
    (s). In an exponential atmosphere a path crossing the air at vertical speed ``v_z`` flies
    ``ρ H / |v_z|`` of it beyond a point, ``H`` the density's scale height, in ``H / |v_z|``
    s. Counted only where the path is low at its state: climbing away from it (a parting), or
    descending into it (a reentry)."""
    pos, vel = x6[:, 0:3], x6[:, 3:6]
    r = np.sqrt(np.einsum("ij,ij->i", pos, pos))
    vz = np.einsum("ij,ij->i", pos, vel) / r
    rho, drho = density_and_slope(altitude_approx(pos))
    scale = rho / np.maximum(np.abs(drho), 1e-300)
    dt = np.minimum(scale / np.maximum(np.abs(vz), 1e-3), np.abs(span))
    low = vz > 0.0 if climbing else vz < 0.0
    dt = np.where(low, dt, 0.0)
    return rho * np.einsum("ij,ij->i", vel, vel) * dt, dt


def vacuum_steps(dt, max_step_s: float) -> np.ndarray:
    """RK4 steps of ``max_step_s`` for predictions over ``dt`` without drag."""
    return np.maximum(1, np.ceil(np.abs(np.atleast_1d(dt)) / max_step_s)).astype(np.int64)
