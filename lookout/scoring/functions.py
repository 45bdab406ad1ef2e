"""The metric functions themselves, on plain arrays: GOSPA, NEES and its bounds, sums per phase.

Each takes what it measures and nothing of trackers or pictures; ``scores`` and ``picture``
compose them over associated (track, truth, instant) samples.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.optimize import linear_sum_assignment
from scipy.stats import chi2

from lookout.physics.trajectory import PHASE_NAMES

#: NEES degrees of freedom: the full ECEF position-velocity state.
NEES_DOF = 6
#: Two-sided confidence of the NEES interval.
NEES_CONFIDENCE = 0.95


def nees_bounds(n: np.ndarray | int, dof: int = NEES_DOF, confidence: float = NEES_CONFIDENCE):
    """Lower and upper bounds of the NEES averaged over ``n`` independent samples of ``dof``
    degrees of freedom, at two-sided ``confidence``: ``χ²(n dof) / n`` quantiles."""
    n = np.asarray(n, dtype=float)
    alpha = (1.0 - confidence) / 2.0
    return chi2.ppf(alpha, n * dof) / n, chi2.ppf(1.0 - alpha, n * dof) / n


def gospa(
    tracks: np.ndarray, truths: np.ndarray, c: float, p: float = 2.0
) -> tuple[float, float, float, float]:
    """GOSPA (α = 2) between point sets ``tracks`` (n, d) and ``truths`` (m, d), either possibly
    empty.

    Returns ``(gospa, localisation, missed, false)``, the last three the parts of ``gospa**p``:
    the summed ``d**p`` of assigned pairs closer than ``c``, and ``c**p / 2`` per missed truth and
    per false track.
    """
    tracks = np.asarray(tracks, dtype=float)
    truths = np.asarray(truths, dtype=float)
    n, m = len(tracks), len(truths)
    half = c**p / 2.0
    loc, matched = 0.0, 0
    if n and m:
        d = np.linalg.norm(tracks[:, None, :] - truths[None, :, :], axis=-1)
        cost = np.minimum(d, c) ** p
        r, k = linear_sum_assignment(cost)
        close = d[r, k] < c
        loc = float(np.sum(cost[r, k][close]))
        matched = int(close.sum())
    missed = half * (m - matched)
    false = half * (n - matched)
    return (loc + missed + false) ** (1.0 / p), loc, missed, false


def nees(err: np.ndarray, P: np.ndarray) -> np.ndarray:
    """``e' P⁻¹ e`` of each error ``err`` (S, d) with its covariance ``P`` (S, d, d)."""
    if err.shape[0] == 0:
        return np.zeros(0)
    try:
        return np.einsum("si,si->s", err, np.linalg.solve(P, err[..., None])[..., 0])
    except np.linalg.LinAlgError:
        return np.einsum("si,si->s", err, (np.linalg.pinv(P) @ err[..., None])[..., 0])


def nees_in_bounds_counts(
    instant: np.ndarray, phase: np.ndarray, values: np.ndarray
) -> dict[int, tuple[int, int]]:
    """Per phase index: ``(inside, instants)``, the instants whose NEES, averaged over the
    samples of that instant in that phase, lies inside its 95% bounds for that many samples,
    and the instants with a sample in that phase."""
    pairs = np.stack([np.asarray(instant, dtype=np.int64), np.asarray(phase, dtype=np.int64)], 1)
    # One group per (instant, phase) pair, in that order.
    groups, inv, cnt = np.unique(pairs, axis=0, return_inverse=True, return_counts=True)
    avg = np.bincount(inv.reshape(-1), weights=values, minlength=len(groups)) / np.maximum(cnt, 1)
    lo, hi = nees_bounds(np.maximum(cnt, 1))
    inside = (avg >= lo) & (avg <= hi)
    out: dict[int, tuple[int, int]] = {}
    for p in range(len(PHASE_NAMES)):
        sel = groups[:, 1] == p
        out[p] = (int(np.count_nonzero(inside[sel])), int(sel.sum()))
    return out


def nees_verdicts(group: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Per sample: -1, 0 or 1 as the NEES of its ``group`` (e.g. report instant), averaged
    over the group's samples, lies under, inside or over its 95% bounds for that many
    samples (``nees_bounds``)."""
    _, inv, cnt = np.unique(np.asarray(group), return_inverse=True, return_counts=True)
    inv = inv.reshape(-1)
    avg = np.bincount(inv, weights=values, minlength=cnt.size) / cnt
    lo, hi = nees_bounds(cnt)
    return (np.where(avg < lo, -1, np.where(avg > hi, 1, 0))[inv]).astype(np.int8)


def nees_in_bounds_by_phase(
    instant: np.ndarray, phase: np.ndarray, values: np.ndarray
) -> dict[int, float | None]:
    """Per phase index: the fraction of instants of ``nees_in_bounds_counts`` inside the
    bounds (None: no sample in that phase)."""
    counts = nees_in_bounds_counts(instant, phase, values)
    return {p: (inside / n if n else None) for p, (inside, n) in counts.items()}


def rms(squares: np.ndarray, sel: np.ndarray) -> float | None:
    """Root of the mean of ``squares[sel]`` (None if nothing is selected)."""
    return float(np.sqrt(np.mean(squares[sel]))) if sel.any() else None


def finite_or_none(x) -> float | None:
    x = float(x)
    return x if math.isfinite(x) else None
