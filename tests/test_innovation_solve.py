"""The innovation covariance's inverse (``update.innovation_inverse``, ``compiled._ill`` and
``_scaled_ldl`` in ``mode_distances``, ``ekf_update``, ``iterated_pairs``) against the exact
rational figures of the same float64 matrices.

A vague track (a sigma of thousands of kilometres along one direction, as a young track's or a
one-satellite cigar's) seen by a radar correlates its range, angles and range rate to within
1e-8 of one: the closed form's cofactors cancel, and in mass-raid read a detection at d² 38,462
as 22.6, inside the gate (docs/history/tracking-log.md, scale58)."""

from __future__ import annotations

import itertools
import math
from fractions import Fraction

import numpy as np
import pytest

from lookout.geodesy import R_EQUATOR
from lookout.tracking import compiled, measure, update

#: A radar's noise sigmas (range m, azimuth and elevation rad, range rate m/s).
RADAR_SIG = np.array([15.0, 1e-3, 1e-3, 3.0])


def _exact(S: np.ndarray, nu: np.ndarray) -> tuple[float, float]:
    """d² = nu' S^-1 nu and ln det S of the float64 ``S``, ``nu`` in rational arithmetic."""
    m = len(nu)
    A = [[Fraction(float(S[i, j])) for j in range(m)] + [Fraction(float(nu[i]))] for i in range(m)]
    det = Fraction(1)
    for k in range(m):
        p = max(range(k, m), key=lambda i: abs(A[i][k]))
        if p != k:
            A[k], A[p], det = A[p], A[k], -det
        det *= A[k][k]
        for i in range(k + 1, m):
            f = A[i][k] / A[k][k]
            for j in range(k, m + 1):
                A[i][j] -= f * A[k][j]
    x = [Fraction(0)] * m
    for i in range(m - 1, -1, -1):
        x[i] = (A[i][m] - sum(A[i][j] * x[j] for j in range(i + 1, m))) / A[i][i]
    d2 = sum(Fraction(float(nu[i])) * x[i] for i in range(m))
    assert det > 0  # the float64 S is positive definite: only the closed form fails on it
    return float(d2), math.log(det.numerator) - math.log(det.denominator)


def _vague(seed: int, m: int):
    """A vague track's ``H P H'`` (m, m), its innovation covariance ``S = H P H' + R``, the
    noise ``R`` and the innovation ``nu`` (m,) of a detection a few sigmas off: ``P`` a sigma
    of 2,000-5,000 km (and km/s) along one random direction of position and velocity over a
    1 km, 10 m/s sphere, seen from a radar on the ground."""
    rng = np.random.default_rng(seed)
    up = np.array([0.6, 0.0, 0.8])
    s = up * R_EQUATOR
    x = np.concatenate([up * R_EQUATOR + rng.normal(0.0, 3e5, 3) + up * 8e5, rng.normal(0, 3e3, 3)])
    v = rng.normal(size=6)
    v /= np.linalg.norm(v)
    P = rng.uniform(2e6, 5e6) ** 2 * np.outer(v, v) + np.diag([1e6] * 3 + [1e2] * 3)
    east = np.array([0.0, 1.0, 0.0])
    B = np.stack([east, np.cross(up, east), up])
    H = measure.radar(x[None, :3], x[None, 3:], s, np.zeros(3), B, m)[1][0]
    R = np.diag(RADAR_SIG[:m] ** 2)
    S0 = H @ P @ H.T
    S = S0 + R
    # Off the cigar's axis: a detection 3 km and 30 m/s across it, a few sigmas.
    w = rng.normal(size=6) * np.array([3e3] * 3 + [30.0] * 3)
    nu = H @ (w - v * (v @ w))
    return S0, S, R, nu


CASES = [(seed, m) for seed in range(4) for m in (4, 3)]


@pytest.mark.parametrize("seed,m", CASES)
def test_a_vague_tracks_distance_is_the_exact_one(seed, m):
    """The compiled gate's distance and log-determinant (``compiled.mode_distances``) are the
    exact ones of the float64 matrix to 1e-7; the numpy path's (``innovation_inverse``) are
    the same floats. The closed form read the first (d² 18.5, in the gate) at 3.5e6."""
    S0, S, R, nu = _vague(seed, m)
    inv, det, sc = update._closed_form(S[None])
    assert update.ill_conditioned(S[None], det, sc)[0]  # the case this test is about
    d2_exact, logdet_exact = _exact(S, nu)
    d2, det, sc = compiled.mode_distances(S0[None], R[None], nu[None, None])
    logdet = np.log(det) + np.log(sc)
    assert abs(d2[0, 0] - d2_exact) <= 1e-7 * d2_exact
    assert abs(logdet[0, 0] - logdet_exact) <= 1e-7
    _, ld_np, d2_np = update.innovation_inverse(
        S[None], R[None], nu[None], lambda n, i: np.einsum("ki,kij,kj->k", n, i, n)
    )
    assert d2_np[0] == d2[0, 0] and ld_np[0] == (logdet[0, 0] if m == 4 else np.log(det[0, 0]))


@pytest.mark.parametrize("seed,m", CASES[:4])
def test_the_distance_does_not_depend_on_the_components_order(seed, m):
    """The same pair read with its measurement's components in any order gives the same d²
    to 1e-7: the gate's decision is the geometry's, not the rounding's."""
    S0, S, R, nu = _vague(seed, m)
    got = []
    for p in itertools.permutations(range(m)):
        p = list(p)
        _, _, d2 = update.innovation_inverse(
            S[np.ix_(p, p)][None], R[np.ix_(p, p)][None], nu[p][None],
            lambda n, i: np.einsum("ki,kij,kj->k", n, i, n),
        )  # fmt: skip
        got.append(d2[0])
    assert max(got) - min(got) <= 1e-7 * min(got)


def test_the_compiled_update_of_a_vague_track_takes_the_exact_likelihood():
    """``compiled.ekf_update`` of a vague track by a far detection (300 km, 3 km/s across its
    cigar): its log-likelihood is the exact one's, its gain solves ``K S = P H'`` and its
    covariance stays symmetric positive definite."""
    rng = np.random.default_rng(5)
    up = np.array([0.6, 0.0, 0.8])
    s = up * R_EQUATOR
    east = np.array([0.0, 1.0, 0.0])
    B = np.stack([east, np.cross(up, east), up])
    x = np.concatenate([up * (R_EQUATOR + 8e5) + rng.normal(0.0, 3e5, 3), rng.normal(0, 3e3, 3)])
    v = rng.normal(size=6)
    v /= np.linalg.norm(v)
    P = 3e6**2 * np.outer(v, v) + np.diag([1e6] * 3 + [1e2] * 3)
    zh, H = measure.radar(x[None, :3], x[None, 3:], s, np.zeros(3), B, 4)
    R = np.diag(RADAR_SIG**2)[None]
    w = rng.normal(size=6) * np.array([3e5] * 3 + [3e3] * 3)
    z = zh + (H[0] @ (w - v * (v @ w)))[None]
    x_new, P_new, nu, S, K, d2, det, sc = compiled.ekf_update(x[None], P[None], zh, H, z, R, 1)
    d2_exact, logdet_exact = _exact(S[0], nu[0])
    assert abs(d2[0] - d2_exact) <= 1e-7 * d2_exact and d2_exact > 1e4
    assert abs(np.log(det[0]) + np.log(sc[0]) - logdet_exact) <= 1e-7
    PHt = P @ H[0].T
    assert np.abs(K[0] @ S[0] - PHt).max() <= 1e-6 * np.abs(PHt).max()
    assert np.linalg.eigvalsh(0.5 * (P_new[0] + P_new[0].T)).min() > 0.0


def test_a_pivot_below_the_noises_is_raised_to_it():
    """``S - R = H P H'`` is positive semi-definite, so each pivot of ``S`` is at least
    ``R``'s: an ``S`` whose ``H P H'`` came out indefinite (here, on purpose, a rank-one one
    less ``2 R``: ``S`` indefinite) is factored with its pivots raised to ``R``'s, and the row
    counted: a finite, positive distance and a log-determinant at least ``R``'s, numpy's and
    the kernel's the same floats."""
    rng = np.random.default_rng(2)
    R = np.diag(RADAR_SIG**2)
    g = rng.normal(size=4) * np.array([1e6, 10.0, 10.0, 1e6])
    S0 = np.outer(g, g) - 2.0 * R
    S = S0 + R
    nu = g * 1e-3 + RADAR_SIG
    inv, det, sc, d2, raised = update.scaled_ldl(S[None], R[None], nu[None])
    assert raised[0] and np.isfinite(d2[0]) and d2[0] > 0.0
    assert np.log(det[0]) + np.log(sc[0]) >= np.log(np.linalg.det(R)) - 1e-9
    d2c, detc, scc = compiled.mode_distances(S0[None], R[None], nu[None, None])
    assert (d2c[0, 0], detc[0, 0], scc[0, 0]) == (d2[0], det[0], sc[0])


def test_a_well_conditioned_covariance_keeps_the_closed_forms_floats():
    """Where the closed form is accurate (``ill_conditioned`` False) nothing changes: the
    inverse, log-determinant and distances are ``inv_small``'s, to the bit."""
    rng = np.random.default_rng(3)
    for m in (2, 3, 4):
        A = rng.normal(size=(500, m, m))
        S = A @ A.transpose(0, 2, 1) + np.eye(m) * 0.5
        S *= np.array([1e4, 1e-6, 1e-6, 25.0])[:m, None] ** 0.5
        S *= np.array([1e4, 1e-6, 1e-6, 25.0])[None, :m] ** 0.5
        nu = rng.normal(size=(500, m))
        inv0, ld0 = update.inv_small(S)
        q = lambda n, i: np.einsum("ki,kij,kj->k", n, i, n)  # noqa: E731
        _, det, sc = update._closed_form(S)
        assert not update.ill_conditioned(S, det, sc).any()
        inv, ld, d2 = update.innovation_inverse(S, np.eye(m) * 1e-9, nu, q)
        np.testing.assert_array_equal(inv, inv0)
        np.testing.assert_array_equal(ld, ld0)
        np.testing.assert_array_equal(d2, q(nu, inv0))
