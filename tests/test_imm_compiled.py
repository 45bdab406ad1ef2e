"""The IMM's compiled mixing and mode prediction (``lookout.tracking.compiled_imm``) give the
numpy path's figures (``LOOKOUT_NUMPY_STEP=1``) to within rounding: on random states of every
mode (thrusting, coasting in vacuum and in the air, lifting), random mode probabilities and
transitions, dark infrared frames or none, and on a tracker's own predictions of an IRBM from
boost to reentry."""

from __future__ import annotations

import numpy as np
import pytest
from scenes import count_calls, fed_until, irbm_detections

from lookout.geodesy import R_EQUATOR
from lookout.tracking import Tracker, TrackerConfig, compiled_imm, drag, manoeuvre, mixing
from lookout.tracking.mixing import BOOST, COAST, MANOEUVRE, NMODE
from lookout.tracking.motion import KAPPA, NX

#: Relative agreement asked of every figure (of each array's largest element, per track): the
#: brief's 1e-9; measured, 1e-16 of the largest element (sums in another order).
RTOL = 1e-9


def _close(a, b, axes=None):
    """``a`` and ``b`` within ``RTOL`` of the largest magnitude of ``a`` over ``axes``."""
    a, b = np.asarray(a), np.asarray(b)
    assert a.shape == b.shape
    assert np.isfinite(a).all() and np.isfinite(b).all()
    scale = np.abs(a).max(axis=axes, keepdims=True) if axes else np.abs(a).max()
    assert (np.abs(a - b) <= RTOL * np.maximum(scale, 1e-300)).all(), np.abs(a - b).max()


def _states(rng, n):
    """Mode estimates (n, 3, 10), covariances: positions in vacuum, thin air and low air,
    speeds to orbital, the boost mode thrusting, the manoeuvre mode lifting, ``kappa`` 1-40."""
    alt = rng.choice([rng.uniform(5e3, 60e3), rng.uniform(60e3, 250e3), 6e5], n)
    alt = alt * rng.uniform(0.8, 1.2, n)
    up = rng.normal(size=(n, 3))
    up /= np.linalg.norm(up, axis=1)[:, None]
    speed = rng.uniform(200.0, 7000.0, n)
    vel = rng.normal(size=(n, 3))
    vel *= (speed / np.linalg.norm(vel, axis=1))[:, None]
    xm = np.zeros((n, NMODE, NX))
    for m in range(NMODE):
        xm[:, m, 0:3] = up * (R_EQUATOR + alt)[:, None] + rng.normal(0, 50.0, (n, 3))
        xm[:, m, 3:6] = vel + rng.normal(0, 5.0, (n, 3))
        xm[:, m, KAPPA] = rng.uniform(1.0, 40.0, n)
    xm[:, BOOST, 6:9] = rng.normal(0.0, 30.0, (n, 3))
    xm[:, MANOEUVRE, 6:9] = rng.normal(0.0, 5.0, (n, 3))
    A = rng.normal(size=(n, NMODE, NX, NX))
    Pm = A @ A.transpose(0, 1, 3, 2) + np.eye(NX) * rng.uniform(1.0, 400.0, (n, NMODE, 1, 1))
    return xm, Pm


def _numpy_then_compiled(monkeypatch, fn, *args, **kw):
    monkeypatch.setenv("LOOKOUT_NUMPY_STEP", "1")
    slow = fn(*args, **kw)
    monkeypatch.setenv("LOOKOUT_NUMPY_STEP", "0")
    fast = fn(*args, **kw)
    return slow, fast


@pytest.mark.parametrize("seed", range(4))
def test_the_compiled_mixing_is_the_numpy_one(monkeypatch, seed):
    rng = np.random.default_rng(seed)
    n = 40
    cfg = TrackerConfig()
    xm, Pm = _states(rng, n)
    mu = rng.dirichlet(np.ones(NMODE) * 0.5, n)
    mu[rng.random(n) < 0.3, BOOST] = 1e-4  # seeds, left out of the coast mode's mixing
    mu /= mu.sum(axis=1, keepdims=True)
    Pi = rng.dirichlet(np.ones(NMODE), (n, NMODE))
    Pi[rng.random(n) < 0.3, :, MANOEUVRE] = 0.0  # a mode nothing flows into
    Pi /= Pi.sum(axis=2, keepdims=True)
    # Manoeuvre modes slower than every airframe's dive speed: left where under the floor.
    xm[rng.random(n) < 0.3, MANOEUVRE, 3:6] *= 0.1
    dt = rng.uniform(0.0, 5.0, n)
    rebased, young = rng.random(n) < 0.3, rng.random(n) < 0.3
    p_cm = np.where(rng.random(n) < 0.5, rng.uniform(0.0, 0.05, n), 0.0)
    p_apo = p_cm * rng.random(n)
    lifting = rng.random(n) < 0.2
    dark = rng.random(n) < 0.5
    f1 = np.where(dark, rng.uniform(-0.5, 4.0, n), np.inf)
    f2 = np.where(dark & (rng.random(n) < 0.5), f1 + rng.uniform(0.0, 2.0, n), np.inf)
    frames = (f1, f2, rng.uniform(0.0, 0.3, n), rng.uniform(0.0, 0.3, n))
    # The transitions: states in and out of the air, climbing and falling, some lifting.
    p_bc = rng.uniform(0.0, 0.2, n)
    slow, fast = _numpy_then_compiled(
        monkeypatch, mixing.transition, xm, Pm, dt, p_bc, cfg, lifting
    )
    for a, b in zip(slow, fast, strict=True):
        _close(a, b, axes=tuple(range(1, a.ndim)))
    # And bodies gliding down into the air (``manoeuvre.entering_air``: the onset at apogee
    # where the air first allows a lift), 85-110 km, falling at 300 m/s.
    xe, Pe = xm[:, COAST].copy(), Pm[:, COAST].copy()
    xe[:, 0:3] = np.array([1.0, 0.0, 0.0]) * (R_EQUATOR + np.linspace(85e3, 110e3, n))[:, None]
    xe[:, 3:6] = [-300.0, 2500.0, 0.0]
    xe[:, KAPPA] = 2.0
    Pe[:, KAPPA, :] = Pe[:, :, KAPPA] = 0.0
    Pe[:, KAPPA, KAPPA] = 0.01
    ones = np.full(n, 5.0)
    entering = manoeuvre.entering_air(
        xe, Pe, ones, cfg.manoeuvre, manoeuvre.lift_ceiling(xe, Pe, cfg.manoeuvre)
    )
    assert 0 < entering.sum() < n
    xe3 = np.repeat(xe[:, None], NMODE, axis=1)
    Pe3 = np.repeat(Pe[:, None], NMODE, axis=1)
    slow, fast = _numpy_then_compiled(monkeypatch, mixing.transition, xe3, Pe3, ones, p_bc, cfg)
    assert (slow[2] > 0).sum() >= entering.sum()
    for a, b in zip(slow, fast, strict=True):
        _close(a, b, axes=tuple(range(1, a.ndim)))
    c = (mu[:, :, None] * Pi).sum(axis=1)
    assert (mixing.left_manoeuvre(xm, lifting) & (c[:, MANOEUVRE] < 1e-3)).sum() >= 2
    for burn_frames in (None, frames):
        slow, fast = _numpy_then_compiled(
            monkeypatch, mixing.mix, xm, Pm, mu, Pi, dt, rebased, young, p_apo, p_cm, cfg,
            lifting, burn_frames=burn_frames,
        )  # fmt: skip
        for a, b in zip(slow, fast, strict=True):
            _close(a, b, axes=tuple(range(1, a.ndim)))
    # The boost mode's burnout within the step alone, and the moment-matched output.
    for burn_frames in (None, frames):
        slow, fast = _numpy_then_compiled(
            monkeypatch, mixing.burnout_within, xm[:, BOOST], Pm[:, BOOST], dt, burn_frames
        )
        _close(slow[0], fast[0], axes=(1,))
        _close(slow[1], fast[1], axes=(1, 2))
    for floor in (0.0, 0.05):
        slow, fast = _numpy_then_compiled(monkeypatch, mixing.combine, xm, Pm, mu, floor)
        _close(slow[0], fast[0], axes=(1,))
        _close(slow[1], fast[1], axes=(1, 2))


@pytest.mark.parametrize("seed", range(3))
def test_the_compiled_drag_noise_and_burnout_are_the_numpy_ones(monkeypatch, seed):
    """``drag.drag_q`` over a step whose Mach number changes by up to a half (the tables'
    departure from their weighed shape), and ``mixing.burnout_probability`` of tracks seen
    thrusting for 0-600 s or never."""
    rng = np.random.default_rng(seed)
    n = 40
    cfg = TrackerConfig()
    xm, Pm = _states(rng, n)
    x, P = xm[:, COAST], Pm[:, COAST]
    x1 = x.copy()
    x1[:, 3:6] *= rng.uniform(0.5, 1.5, n)[:, None]
    dt = rng.uniform(0.1, 5.0, n)
    w = drag.cd_shape(x, P, np.ones(n, dtype=bool)).w_raw
    prm = compiled_imm.params(cfg)
    flown = rng.random(n) < 0.5  # kappa's spread flown (drag.spread_rows) for some rows
    for f in (np.zeros(n, dtype=bool), flown):
        slow = drag.drag_q(x, P, cfg, x1, dt, w, f)
        fast = compiled_imm.drag_q(x, P, x1, dt, np.ascontiguousarray(w), prm, f)
        assert (slow[1] > 0).sum() > n // 4
        for a, b in zip(slow, fast, strict=True):
            np.testing.assert_allclose(b, a, rtol=RTOL, atol=1e-300)
    t_base = rng.uniform(0.0, 600.0, n)
    t0 = np.where(rng.random(n) < 0.7, t_base - rng.uniform(0.0, 600.0, n), np.inf)
    slow, fast = _numpy_then_compiled(
        monkeypatch, mixing.burnout_probability, t_base, t0, 601.0, cfg
    )
    np.testing.assert_allclose(fast, slow, rtol=RTOL, atol=1e-15)


@pytest.fixture(scope="module")
def irbm_feed():
    """An IRBM's detections: two radars, two infrared satellites (``scenes.irbm_detections``)."""
    return irbm_detections()


def _predict_both(monkeypatch, tracker, t):
    sel = np.arange(tracker.n_tracks)
    slow, fast = _numpy_then_compiled(monkeypatch, tracker._predict, sel, t)
    return slow, fast


def _compare_predictions(slow, fast):
    xp, Pp, c, xbar, Pbar, (q, xs, Ps) = slow
    xp2, Pp2, c2, xbar2, Pbar2, (q2, xs2, Ps2) = fast
    _close(xp, xp2, axes=(2,))
    _close(Pp, Pp2, axes=(2, 3))
    _close(c, c2, axes=(1,))
    _close(xbar, xbar2, axes=(1,))
    _close(Pbar, Pbar2, axes=(1, 2))
    _close(q, q2)
    _close(xs, xs2, axes=(1,))
    _close(Ps, Ps2, axes=(1, 2))


def test_the_compiled_prediction_of_a_tracker_is_the_numpy_one(monkeypatch, irbm_feed):
    """A tracker's ``_predict`` both ways at its boost, coast, and reentry, as it is and with
    its tracks' modes stirred (random mode probabilities, a lift in every manoeuvre mode, a
    thrust in every boost mode): every mode's branch taken, the staging hypothesis included."""
    dets, t_end = irbm_feed
    rng = np.random.default_rng(7)
    tracker = Tracker()
    times = [60.0, 90.0, 400.0, t_end - 60.0, t_end - 15.0]
    checked = 0
    for t in fed_until(tracker, dets, times):
        if tracker.n_tracks == 0:
            continue
        _compare_predictions(*_predict_both(monkeypatch, tracker, t + 1.5))
        saved = tracker.tracks.xm.copy(), tracker.tracks.mu.copy()
        n = tracker.n_tracks
        tracks = tracker.tracks
        tracks.mu[:n] = rng.dirichlet(np.ones(NMODE), n)
        tracks.xm[:n, MANOEUVRE, 6:9] += rng.normal(0.0, 3.0, (n, 3))
        tracks.xm[:n, BOOST, 6:9] += rng.normal(0.0, 10.0, (n, 3))
        _compare_predictions(*_predict_both(monkeypatch, tracker, t + 0.7))
        tracks.xm[:n], tracks.mu[:n] = saved[0][:n], saved[1][:n]
        checked += 1
    assert checked == len(times)


def test_the_tracker_takes_the_compiled_path_unless_told_not_to(monkeypatch, irbm_feed):
    """``LOOKOUT_NUMPY_STEP=1`` keeps numpy; otherwise the compiled kernels are called."""
    dets, _ = irbm_feed
    calls = count_calls(monkeypatch, compiled_imm, ("mix", "predict_modes", "combine"))
    tracker = Tracker()
    monkeypatch.setenv("LOOKOUT_NUMPY_STEP", "1")
    list(fed_until(tracker, dets, [60.0]))
    assert not calls
    monkeypatch.setenv("LOOKOUT_NUMPY_STEP", "0")
    list(fed_until(tracker, dets, [70.0]))
    assert {"mix", "predict_modes", "combine"} <= set(calls)


@pytest.mark.parametrize("seed", range(3))
def test_the_compiled_boost_jerk_with_a_turn_held_is_the_numpy_one(seed):
    """``mixing.boost_jerk_q`` with the turn held since the last fix (``mixing.held_turn_q``:
    0-120 s, under and over the radian's cap), thrusts known and not, and the compiled
    kernel's (``compiled_imm._boost_jerk``) on the same states."""
    rng = np.random.default_rng(seed)
    n = 40
    cfg = TrackerConfig()
    xm, Pm = _states(rng, n)
    x, P = xm[:, BOOST], Pm[:, BOOST]
    since = rng.uniform(0.0, 120.0, n)
    slow = mixing.boost_jerk_q(x, P, cfg, since)
    prm = compiled_imm.params(cfg)
    fast = np.empty((n, 3, 3))
    for i in range(n):
        compiled_imm._boost_jerk(x[i], P[i], prm, fast[i], since[i])
    white = mixing.boost_jerk_q(x, P, cfg)
    assert (np.trace(slow - white, axis1=1, axis2=2) > 1e-9).sum() > n // 2
    np.testing.assert_allclose(fast, slow, rtol=RTOL, atol=1e-300)
