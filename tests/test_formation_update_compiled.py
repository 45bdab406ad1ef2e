"""A formation's update compiled (``compiled_formations.update_formation``) against the numpy
path (``formations.update_formation`` under ``LOOKOUT_NUMPY_STEP=1``) on varied rows: radar
with and without range rate, infrared; tracks in a formation with both detections, older and
younger, and tracks carrying the relative state updated with their own detection alone; mode
probabilities with the boost and manoeuvre modes seeds or not, every mode a seed; azimuths
across ±π.

Not the same floats: the kernel's sums run in index order where numpy's matrix products are
BLAS's, and the inverse, log-determinant and eigenvectors are LAPACK's through numba (SciPy's
build) where numpy's are its own. Measured on every update_formation call of mass-raid's first
300 s of trackers (1,058 calls): states within 2e-16 of their largest element, covariances
3e-12, log likelihoods 2e-12, relative states 1e-12, their covariances 1e-11, the
cross-covariances 1.6e-9 (an innovation covariance of range rate and angles is the
ill-conditioned inverse). ``RTOL`` holds each block to 1e-8 of its largest element: the
rounding of those inverses, far below any figure the update decides on."""

from __future__ import annotations

import copy

import numpy as np
import pytest
from scenes import count_calls

from lookout.geodesy import enu_basis, geodetic_to_ecef
from lookout.tracking import compiled_formations, formations, measure
from lookout.tracking.config import TrackerConfig
from lookout.tracking.formations import Formation
from lookout.tracking.mixing import BOOST, COAST, MANOEUVRE, NMODE
from lookout.tracking.motion import NX
from lookout.tracking.scans import Scan
from lookout.tracking.update import ekf_update

RTOL = 1e-8


def _spd(rng, n, scales):
    L = rng.standard_normal((n, n)) * np.asarray(scales)[:, None]
    return L @ L.T / n + np.diag(np.asarray(scales) ** 2) * 0.05


def _case(seed: int, kind: str, m: int, na: int, nf: int, alone: int, wrap_az: bool):
    """A scan of ``na`` tracks of which the first ``nf`` (an even count: older, younger by
    turns) are in formations and the next ``alone`` carry a relative state, updated alone."""
    rng = np.random.default_rng(seed)
    lat, lon = np.radians(37.0), np.radians(127.0)
    s = np.asarray(geodetic_to_ecef(lat, lon, 0.0), dtype=float)
    B = enu_basis(lat, lon)
    if kind == "infrared":
        s = s * 6.6  # a satellite's distance
    x = np.zeros((na, NMODE, NX))
    for i in range(na):
        # West of the radar when the azimuth is to wrap (azimuth near ±π).
        east = -200e3 if wrap_az else rng.uniform(-300e3, 300e3)
        p = np.asarray(geodetic_to_ecef(lat, lon, 0.0)) + B.T @ np.array(
            [east, rng.uniform(-1.0, 1.0) if wrap_az else rng.uniform(500e3, 1500e3),
             rng.uniform(200e3, 900e3)]
        )  # fmt: skip
        v = B.T @ rng.normal(0.0, 3000.0, 3)
        for mm in range(NMODE):
            x[i, mm, :3] = p + rng.normal(0.0, 30.0, 3)
            x[i, mm, 3:6] = v + rng.normal(0.0, 5.0, 3)
            x[i, mm, 6] = rng.uniform(0.0, 2.0)
            if mm == BOOST:
                x[i, mm, 7:10] = rng.normal(0.0, 20.0, 3)
    P = np.empty((na, NMODE, NX, NX))
    scales = [60.0] * 3 + [4.0] * 3 + [0.3] + [5.0] * 3
    for i in range(na):
        for mm in range(NMODE):
            P[i, mm] = _spd(rng, NX, scales)
            if mm != BOOST:  # no thrust: its rows zero, as the coast mode's
                P[i, mm, 7:10, :] = P[i, mm, :, 7:10] = 0.0
    c = rng.dirichlet(np.ones(NMODE), size=na)
    c[0, BOOST], c[0, MANOEUVRE] = 1e-9, 1e-9  # both seeds
    c[0] /= c[0].sum()
    if na > 1:
        c[1, BOOST] = 0.3  # a live boost mode
        c[1] /= c[1].sum()
    xs, Ps = x.reshape(-1, NX), P.reshape(-1, NX, NX)
    ndet = 2 * na
    scan = Scan(t=1.0, sensor="r", kind=kind, z=np.zeros((ndet, m)), R=np.zeros((ndet, m, m)),
                s=s, index=np.arange(ndet), s_vel=np.zeros(3), B=B)  # fmt: skip
    zh, _ = measure.predict(kind, x[:, COAST], scan, m)
    sig = {"radar": [30.0, 2e-3, 2e-3, 0.5], "infrared": [1e-4, 1e-4]}[kind][:m]
    for j in range(ndet):
        scan.z[j] = zh[j % na] + rng.normal(0.0, 1.0, m) * sig
        scan.R[j] = _spd(rng, m, sig)
    az = measure.AZIMUTH_INDEX[kind]
    scan.z[:, az] = (scan.z[:, az] + np.pi) % (2 * np.pi) - np.pi
    jb = np.arange(na)
    jj = jb.repeat(NMODE)
    zh, H = measure.linearized(kind, xs, Ps, scan, jj, m)
    x_new, P_new, nu, S, K, ll = ekf_update(kind, xs, Ps, zh, H, scan.z[jj], scan.R[jj])
    rows = np.arange(nf)
    sign = np.where(rows % 2 == 0, 1.0, -1.0)
    k = nf + alone
    C = np.empty((k, NX, 6))
    Prr = np.empty((k, 6, 6))
    for i in range(k):
        J = _spd(rng, NX + 6, scales + [5.0] * 3 + [0.1] * 3)
        J[7:10, :] = J[:, 7:10] = 0.0
        C[i], Prr[i] = J[:NX, NX:], J[NX:, NX:]
    f = Formation(
        rows=rows, w=np.ones(nf), own=jb[rows], other=na + rows, sign=sign,
        extra=np.array([_spd(rng, m, sig) * 0.01 for _ in range(nf)]).reshape(nf, m, m),
        r0=np.zeros((nf, 6)), Prr0=np.zeros((nf, 6, 6)), partner=rows + 100,
    )  # fmt: skip
    f.rel = np.arange(k)
    f.ids, f.rel_partner = np.arange(k) + 10, np.arange(k) + 100
    f.r = rng.normal(0.0, 300.0, (k, 6)) * np.array([1.0] * 3 + [0.01] * 3)
    f.Prr, f.C = Prr, C
    return scan, f, xs, Ps, c, zh, H, x_new, P_new, ll, K, S, nu


def _both(monkeypatch, case):
    out = []
    for step in ("1", "0"):
        monkeypatch.setenv("LOOKOUT_NUMPY_STEP", step)
        scan, f, xs, Ps, c, zh, H, x_new, P_new, ll, K, S, nu = copy.deepcopy(case)
        formations.update_formation(scan, f, xs, Ps, c, zh, H, x_new, P_new, ll, K, S, nu)
        out.append((x_new, P_new, ll, f.r_m, f.Prr_m, f.C_m, f.carried))
    return out


def _close(a, b, axes):
    assert a.shape == b.shape
    assert np.isfinite(a).all() and np.isfinite(b).all()
    scale = np.maximum(np.abs(a).max(axis=axes, keepdims=True), 1e-300)
    assert (np.abs(a - b) <= RTOL * scale).all(), (np.abs(a - b) / scale).max()


CASES = [
    ("radar", 3, 4, 2, 1, False),
    ("radar", 4, 5, 4, 1, False),
    ("radar", 4, 3, 2, 0, True),
    ("radar", 3, 3, 0, 3, False),
    ("infrared", 2, 4, 2, 2, False),
]


@pytest.mark.parametrize("kind,m,na,nf,alone,wrap_az", CASES)
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_compiled_formation_update_is_numpys(monkeypatch, seed, kind, m, na, nf, alone,
                                                 wrap_az):  # fmt: skip
    case = _case(seed, kind, m, na, nf, alone, wrap_az)
    before = case[7].copy(), case[8].copy(), case[9].copy()
    (x0, P0, ll0, r0, Prr0, C0, car0), (x1, P1, ll1, r1, Prr1, C1, car1) = _both(monkeypatch, case)
    assert np.array_equal(car0, car1)
    assert not car0[0, BOOST] and not car0[0, MANOEUVRE] and car0[0, COAST]
    _close(x1, x0, (1,))
    _close(P1, P0, (1, 2))
    _close(ll1, ll0, None)
    _close(r1, r0, (2,))
    _close(Prr1, Prr0, (2, 3))
    _close(C1, C0, (2, 3))
    # The formation's rows were updated with both detections, the others left as they were.
    upd = (NMODE * np.arange(nf)[:, None] + np.arange(NMODE)).ravel()
    rest = np.setdiff1d(np.arange(x0.shape[0]), upd)
    if upd.size:
        assert (np.abs(x1[upd] - before[0][upd]).max(axis=1) > 0.0).all()
    assert np.array_equal(x1[rest], before[0][rest]) and np.array_equal(ll1[rest], before[2][rest])


def test_the_compiled_formation_update_is_taken_unless_told_not_to(monkeypatch):
    called = count_calls(monkeypatch, compiled_formations, ("update_formation",))
    case = _case(1, "radar", 3, 4, 2, 1, False)
    monkeypatch.setenv("LOOKOUT_NUMPY_STEP", "1")
    formations.update_formation(*copy.deepcopy(case))
    assert not called
    monkeypatch.setenv("LOOKOUT_NUMPY_STEP", "0")
    formations.update_formation(*copy.deepcopy(case))
    assert len(called) == 1


def test_a_formation_row_out_of_order_is_left_to_numpy(monkeypatch):
    """The kernel takes the formation's rows as the first of ``rel``
    (``Formations._attach_relative``'s order); any other order goes the numpy way."""
    called = count_calls(monkeypatch, compiled_formations, ("update_formation",))
    monkeypatch.setenv("LOOKOUT_NUMPY_STEP", "0")
    case = copy.deepcopy(_case(2, "radar", 3, 4, 2, 1, False))
    f = case[1]
    f.rel = f.rel[[1, 0, 2]]
    formations.update_formation(*case)
    assert not called
    assert TrackerConfig().boost_reseed_prob > 1e-9  # the first track's seeds are seeds
