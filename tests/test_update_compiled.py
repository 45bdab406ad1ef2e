"""The compiled measurement models and EKF update (``compiled.radar_measure``,
``infrared_measure``, ``ekf_update``) and the coarse gate's refresh
(``compiled_imm.refresh_coarse``) give the numpy path's figures (``LOOKOUT_NUMPY_STEP=1``) to
within rounding: on random states and detections, and on a tracker's own scans of an IRBM
(every third ``update_modes`` call of its run, boost to reentry, both ways from the same
inputs)."""

from __future__ import annotations

import copy

import numpy as np
import pytest
from scenes import count_calls, fed_until, irbm_detections

from lookout.geodesy import R_EQUATOR
from lookout.tracking import Tracker, TrackerConfig, association, compiled, measure, update
from lookout.tracking import tracker as tracker_mod

#: Relative agreement asked of every figure, of each row's largest element (sums in another
#: order, libm's ``atan2``: measured some 1e-15).
RTOL = 1e-9


def _close(a, b, axes=None, atol=0.0):
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    assert a.shape == b.shape
    assert (np.isfinite(a) == np.isfinite(b)).all()
    a, b = np.where(np.isfinite(a), a, 0.0), np.where(np.isfinite(b), b, 0.0)
    scale = np.abs(a).max(axis=axes, keepdims=True) if axes else np.abs(a).max()
    assert (np.abs(a - b) <= RTOL * np.maximum(scale, 1e-300) + atol).all(), np.abs(a - b).max()


def _both(monkeypatch, fn, *args):
    monkeypatch.setenv("LOOKOUT_NUMPY_STEP", "1")
    slow = fn(*copy.deepcopy(args))
    monkeypatch.setenv("LOOKOUT_NUMPY_STEP", "0")
    fast = fn(*copy.deepcopy(args))
    return slow, fast


def _scene(rng, n):
    """States (n, 10) 100-1,500 km from a sensor on the ground, speeds to 7 km/s, covariances
    from metres to hundreds of kilometres, a radar's ENU basis."""
    lat, lon = np.radians(rng.uniform(-60, 60)), np.radians(rng.uniform(-180, 180))
    up = np.array([np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)])
    east = np.array([-np.sin(lon), np.cos(lon), 0.0])
    B = np.stack([east, np.cross(up, east), up])
    s = up * R_EQUATOR
    x = np.zeros((n, 10))
    look = rng.normal(size=(n, 3)) + 2.0 * up
    look /= np.linalg.norm(look, axis=1)[:, None]
    x[:, :3] = s + look * rng.uniform(1e5, 1.5e6, n)[:, None]
    x[:, 3:6] = rng.normal(0.0, 3e3, (n, 3))
    x[:, 6:] = rng.normal(0.0, 10.0, (n, 4))
    A = rng.normal(size=(n, 10, 10)) * 10.0 ** rng.uniform(0, 5, (n, 1, 1))
    P = A @ A.transpose(0, 2, 1) + np.eye(10)
    return x, P, s, B


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("m", [3, 4])
def test_the_compiled_radar_model_and_update_are_the_numpy_ones(monkeypatch, seed, m):
    rng = np.random.default_rng(seed)
    n = 25
    x, P, s, B = _scene(rng, n)
    scan = type("S", (), {"s": s, "s_vel": rng.normal(0.0, 10.0, 3), "B": B})()
    slow, fast = _both(monkeypatch, measure.predict, "radar", x, scan, m)
    _close(slow[0], fast[0], axes=(1,))
    _close(slow[1], fast[1], axes=(1, 2))
    sig = np.array([30.0, 5e-4, 5e-4, 0.5])[:m]
    R = np.zeros((n, m, m))
    R[:, np.arange(m), np.arange(m)] = sig**2
    z = slow[0] + rng.normal(size=(n, m)) * sig
    z[:5, 1] = (z[:5, 1] + 6.28) % (2 * np.pi)  # across north: the azimuth's wrap
    slow, fast = _both(monkeypatch, update.ekf_update, "radar", x, P, slow[0], slow[1], z, R)
    for a, b, axes in zip(slow, fast, [(1,), (1, 2), (1,), (1, 2), (1, 2), None], strict=True):
        _close(a, b, axes=axes)
    assert (np.abs(fast[2][:, 1]) <= np.pi).all()


@pytest.mark.parametrize("seed", range(3))
def test_the_compiled_infrared_model_and_update_are_the_numpy_ones(monkeypatch, seed):
    rng = np.random.default_rng(seed)
    n = 25
    x, P, _, _ = _scene(rng, n)
    sat = np.array([4.2164e7, 0.0, 0.0]) @ np.linalg.qr(rng.normal(size=(3, 3)))[0]
    scan = type("S", (), {"s": sat})()
    slow, fast = _both(monkeypatch, measure.predict, "infrared", x, scan, 2)
    _close(slow[0], fast[0], axes=(1,))
    _close(slow[1], fast[1], axes=(1, 2))
    R = np.zeros((n, 2, 2))
    R[:] = np.eye(2) * 1e-10
    z = slow[0] + rng.normal(size=(n, 2)) * 1e-5
    slow, fast = _both(monkeypatch, update.ekf_update, "infrared", x, P, slow[0], slow[1], z, R)
    for a, b, axes in zip(slow, fast, [(1,), (1, 2), (1,), (1, 2), (1, 2), None], strict=True):
        _close(a, b, axes=axes)


def _wide_scan(rng, kind, m, n):
    """Priors too wide for one linearization (``measure.position_bent``: 60-80 km along a line
    of sight, km across, km/s), 300-1,500 km from a radar or seen from a geostationary
    satellite, and a scan of ``n`` detections of objects drawn from them."""
    from lookout.tracking.scans import Scan

    x, _, s, B = _scene(rng, n)
    x[:, 3:6] = rng.normal(0.0, 2e3, (n, 3))
    u = rng.normal(size=(n, 3))
    u /= np.linalg.norm(u, axis=1)[:, None]
    along = rng.uniform(60e3, 80e3, n)[:, None, None] ** 2 * (u[:, :, None] * u[:, None, :])
    P = np.zeros((n, 10, 10))
    P[:, :3, :3] = along + 1e6 * np.eye(3)
    P[:, 3:6, 3:6] = np.eye(3) * rng.uniform(1e2, 1.5e3, (n, 1, 1)) ** 2
    P[:, 6:, 6:] = np.eye(4)
    L = np.linalg.cholesky(P[:, :6, :6])
    truth = x[:, :6] + np.einsum("kij,kj->ki", L, rng.normal(size=(n, 6)))
    if kind == "radar":
        sig = np.array([30.0, 5e-4, 5e-4, 0.5])[:m]
        z = measure.radar(truth[:, :3], truth[:, 3:], s, np.zeros(3), B, m)[0]
    else:
        s = np.array([4.2164e7, 0.0, 0.0]) @ np.linalg.qr(rng.normal(size=(3, 3)))[0]
        s = s if np.dot(s, x[0, :3]) > 0 else -s
        sig = np.array([5e-6, 5e-6])
        z = measure.infrared(truth[:, :3], s)[0]
    z = z + rng.normal(size=(n, m)) * sig
    R = np.zeros((n, m, m))
    R[:, np.arange(m), np.arange(m)] = sig**2
    scan = Scan(0.0, "s1", kind, z, R, s, np.arange(n), s_vel=np.zeros(3), B=B)
    return x, P, scan


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("kind, m", [("radar", 3), ("radar", 4), ("infrared", 2)])
def test_the_compiled_iterated_linearization_gates_as_the_numpy_one(monkeypatch, seed, kind, m):
    """``measure.linearized``'s Gauss-Newton steps and ``association.iterated_distances``'
    distances compiled (``compiled.gauss_newton``, ``iterated_pairs``) against the numpy path:
    every pair of a scan of priors too wide for one linearization, each prior against every
    detection. A pair near its gate (d² under 1,000) has the same d² and ln|S| to within
    rounding; one far off (another object's detection, steps that need not converge in ten)
    may differ more, but is out of the gate both ways."""
    rng = np.random.default_rng(seed)
    n = 12
    x, P, scan = _wide_scan(rng, kind, m, n)
    assert measure.position_bent(kind, x, P, scan).size == n  # the scene: every prior bent
    jj = np.arange(n)
    slow, fast = _both(monkeypatch, measure.linearized, kind, x, P, scan, jj, m)
    _close(slow[0], fast[0], axes=(1,))
    _close(slow[1], fast[1], axes=(1, 2))
    xp, Pp = x[:, None], P[:, None]

    def distances():
        d2, ld = association.mode_distances(scan, xp, Pp)
        return association.iterated_distances(scan, xp, Pp, d2, ld)

    (d2s, lds), (d2f, ldf) = _both(monkeypatch, distances)
    near = (d2s < 1e3) | (d2f < 1e3)
    assert near[:, 0].diagonal().all()  # each prior's own detection is near
    assert (np.abs(d2s - d2f) <= RTOL * np.maximum(d2s, 1.0))[near].all()
    assert (np.abs(lds - ldf) <= RTOL * np.maximum(np.abs(lds), 1.0))[near].all()
    gate = TrackerConfig().gate(m)
    assert ((d2s <= gate) == (d2f <= gate)).all()


class _Tracks:
    """The arrays of a ``TrackStore`` that ``refresh_coarse`` reads and writes."""

    def __init__(self, xm, Pm, mu):
        n = xm.shape[0]
        self.xm, self.Pm, self.mu = xm, Pm, mu
        self.cpos, self.cvel, self.cacc, self.csig = (np.zeros((n, 3)) for _ in range(4))
        self.cdrag = np.zeros(n)


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("floor", [0.0, 0.01, 0.2])
def test_the_compiled_coarse_refresh_is_the_numpy_one(monkeypatch, seed, floor):
    """Every mode thrusting, coasting or lifting, in vacuum and in the air; the reported
    estimate with the modes under ``output_mode_floor`` left out, or none left out."""
    from test_imm_compiled import _states

    rng = np.random.default_rng(seed)
    n = 30
    xm, Pm = _states(rng, n)
    mu = rng.dirichlet(np.ones(3) * 0.5, n)
    mu[:10, 0] = 1e-5  # a boost mode below the gate's 1e-4
    mu /= mu.sum(axis=1, keepdims=True)
    cfg = TrackerConfig(output_mode_floor=floor)
    idx = rng.permutation(n)[:20]
    out = []
    for step in ("1", "0"):
        monkeypatch.setenv("LOOKOUT_NUMPY_STEP", step)
        tracks = _Tracks(xm.copy(), Pm.copy(), mu.copy())
        out.append((association.refresh_coarse(tracks, idx, cfg), tracks))
    (est, slow), (est2, fast) = out
    for name in ("cpos", "cvel", "cacc", "csig"):
        _close(getattr(slow, name), getattr(fast, name), axes=(1,))
    _close(slow.cdrag, fast.cdrag)
    _close(est[0], est2[0], axes=(1,))
    _close(est[1], est2[1], axes=(1, 2))


@pytest.fixture(scope="module")
def irbm_feed():
    """An IRBM's detections: two radars, two infrared satellites (``scenes.irbm_detections``)."""
    return irbm_detections()


def test_a_trackers_recorded_updates_are_the_same_both_ways(monkeypatch, irbm_feed):
    """Every ``update_modes`` call of a tracker's run over an IRBM (radar and infrared scans,
    the staging hypothesis), recorded, then made again
    from the same inputs on the numpy path and the compiled one: the modes' updated states,
    covariances and probabilities, and the staging hypothesis, agree to rounding."""
    dets, t_end = irbm_feed
    calls = []
    real = tracker_mod.update_modes

    def recording(*args, **kw):
        calls.append(copy.deepcopy((args, kw)))
        return real(*args, **kw)

    monkeypatch.setattr(tracker_mod, "update_modes", recording)
    list(fed_until(Tracker(), dets, [t_end]))
    monkeypatch.setattr(tracker_mod, "update_modes", real)
    kinds = {args[0].kind for args, _ in calls}
    assert kinds == {"radar", "infrared"} and len(calls) > 200
    staged = 0
    for args, kw in calls[::3]:
        staged += int((kw.get("staged", args[8] if len(args) > 8 else None)[0] > 0).sum())
        monkeypatch.setenv("LOOKOUT_NUMPY_STEP", "1")
        slow = update.update_modes(*copy.deepcopy(args), **copy.deepcopy(kw))
        monkeypatch.setenv("LOOKOUT_NUMPY_STEP", "0")
        fast = update.update_modes(*copy.deepcopy(args), **copy.deepcopy(kw))
        _close(slow[0], fast[0], axes=(2,))
        _close(slow[1], fast[1], axes=(2, 3))
        _close(slow[2], fast[2], atol=1e-9)
        if len(slow) == 4:
            _close(slow[3][0], fast[3][0], atol=1e-9)
            _close(slow[3][1], fast[3][1], axes=(1,))
            _close(slow[3][2], fast[3][2], axes=(1, 2))
    assert staged > 0


def test_the_update_takes_the_compiled_path_unless_told_not_to(monkeypatch, irbm_feed):
    """``LOOKOUT_NUMPY_STEP=1`` keeps numpy; otherwise the compiled kernels are called."""
    dets, _ = irbm_feed
    called = count_calls(monkeypatch, compiled, ("radar_measure", "infrared_measure", "ekf_update"))
    monkeypatch.setenv("LOOKOUT_NUMPY_STEP", "1")
    list(fed_until(Tracker(), dets, [200.0]))
    assert not called
    monkeypatch.setenv("LOOKOUT_NUMPY_STEP", "0")
    list(fed_until(Tracker(), dets, [200.0]))
    assert {"radar_measure", "infrared_measure", "ekf_update"} <= set(called)


def test_a_degenerate_innovation_covariance_gives_what_numpy_gives_not_an_exception():
    """A kernel meeting a singular 2 x 2 innovation covariance (a zero one, here) gives
    numpy's infinities and NaNs, as the numpy path does with a warning: numba's default
    error model would raise ZeroDivisionError out of a partner node's scan."""

    S0 = np.zeros((1, 2, 2))
    R = np.zeros((1, 2, 2))
    nu = np.ones((1, 1, 2))
    d2, det, sc = compiled.mode_distances(S0, R, nu)
    assert det[0, 0] == 0.0
    assert not np.isfinite(d2[0, 0])
