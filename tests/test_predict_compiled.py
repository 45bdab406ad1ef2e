"""The prediction's fewer, larger compiled calls (issue 16, predict58) give what the pieces they
replace gave: ``compiled.propagate`` (``motion.propagate`` whole: the steps, their caps, the
drag tables' shape at both ends) against the compiled RK4 loop as ``motion.propagate`` drove it
before, and against the numpy path; ``compiled.cd_weights`` against ``drag.cd_shape``'s numpy;
``compiled_imm.staged_priors`` against ``mixing.staged_prior`` and the numpy mixing of
``Tracker._predict_staged``; ``compiled_imm.gravity_second_order`` against
``motion.gravity_second_order_bound``, ``_q`` and ``accel_noise``. Random rows of every kind
(vacuum, thin and low air; thrusting, capped, held ``kappa``; thrust known and not)."""

from __future__ import annotations

import numpy as np
import pytest
from scenes import flight_states

from lookout.tracking import compiled, compiled_imm, drag, mixing, motion
from lookout.tracking.config import TrackerConfig
from lookout.tracking.mixing import BOOST, NMODE
from lookout.tracking.motion import KAPPA, NX


def _rows(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """``n`` states (N, 10), covariances: a third each in vacuum, thin air (60-250 km) and
    low (0-60 km, at most 3 km/s); a third thrusting; ``kappa`` 0.5-40, its variance 0.01-400
    and correlated with the rest."""
    x = flight_states(rng, n, kappa_low=0.5)
    A = rng.normal(size=(n, NX, NX)) * rng.uniform(1.0, 300.0, (n, 1, NX))
    P = A @ A.transpose(0, 2, 1) / NX + np.eye(NX)
    s = np.sqrt(rng.uniform(0.01, 400.0, n) / P[:, KAPPA, KAPPA])
    P[:, KAPPA, :] *= s[:, None]
    P[:, :, KAPPA] *= s[:, None]
    return x, P


def _old_compiled(x, dt, max_step_s, caps, shape):
    """``motion.propagate``'s compiled path as it was before ``compiled.propagate``: the step
    counts, the capped rows' stable ``kappa`` and the shape at both ends in numpy around the
    compiled RK4 loop (``compiled.predict``)."""
    n = x.shape[0]
    steps = motion.step_counts(x, dt, max_step_s)
    kappa_all = x[:, KAPPA]
    kappa_fly = kappa_all.copy()
    capped = (caps > 0) & (steps > caps)
    steps = np.where(capped, caps, steps)
    if capped.any():
        kf = motion._stable_kappa(x[capped], dt[capped] / steps[capped], dt[capped])
        kappa_fly[capped] = np.minimum(kf, kappa_all[capped])
    pos, vel = x[:, 0:3].copy(), x[:, 3:6].copy()
    knots, cd, starts = compiled.tables()
    w = shape.w if shape is not None else np.zeros((starts.size - 1, n))
    g0 = np.zeros(n)
    if shape is not None:
        m0, grad0 = motion.mach_gradient(pos, vel)
        g0, dg0 = shape(m0, None)
    F = compiled.predict(
        pos, vel, np.ascontiguousarray(x[:, 6:9]), kappa_fly, dt / steps, steps, True,
        shape is not None, np.ascontiguousarray(w), g0, knots, cd, starts,
    )  # fmt: skip
    out = np.empty((n, NX))
    out[:, 0:3], out[:, 3:6], out[:, 6:9], out[:, KAPPA] = pos, vel, x[:, 6:9], kappa_all
    if shape is not None:
        m1, grad1 = motion.mach_gradient(pos, vel)
        g1, dg1 = shape(m1, None)
        e1 = np.exp(g1 - g0)
        out[:, KAPPA] = kappa_all * e1
        F[:, :, 0:6] -= F[:, :, KAPPA, None] * ((kappa_all * dg0)[:, None] * grad0)[:, None]
        row = e1[:, None] * F[:, KAPPA, :]
        row += np.einsum("ni,nij->nj", (out[:, KAPPA] * dg1)[:, None] * grad1, F[:, 0:6, :])
        F[:, KAPPA, :] = row
    return out, F


@pytest.mark.parametrize("seed", range(5))
def test_the_whole_compiled_prediction_is_the_loop_it_wraps(seed):
    """Without the shape and uncapped, the same floats as the RK4 loop driven as before (the
    same operations); capped (the stable ``kappa``'s density by libm's ``exp``) and shaped
    (libm's ``log`` and ``exp`` of the shape at the ends, the end row of ``kappa`` summed in
    index order), within the last digits: measured (5 seeds) 299 of 300 rows the same bits,
    ``kappa`` within 1.2e-16 relative, the transitions 4.4e-17 of each one's largest element."""
    rng = np.random.default_rng(seed)
    n = 30
    x, P = _rows(rng, n)
    dt = rng.uniform(0.2, 12.0, n) * np.where(rng.random(n) < 0.2, -1.0, 1.0)
    none = np.zeros(n, dtype=np.int64)
    caps = np.where(rng.random(n) < 0.4, rng.integers(1, 4, n), 0)
    knots, cd, starts = compiled.tables()
    plain = np.zeros((starts.size - 1, n))
    out, F = compiled.propagate(x, dt, 20.0, none, True, False, plain, knots, cd, starts)
    ref, Fr = _old_compiled(x, dt, 20.0, none, None)
    np.testing.assert_array_equal(out, ref)
    np.testing.assert_array_equal(F, Fr)
    assert np.isfinite(out).all() and not (out == x).all(axis=1).any()
    for shaped in (False, True):
        shape = drag.cd_shape(x, P, rng.random(n) < 0.7) if shaped else None
        w = np.ascontiguousarray(shape.w) if shaped else plain
        out, F = compiled.propagate(x, dt, 20.0, caps, True, shaped, w, knots, cd, starts)
        ref, Fr = _old_compiled(x, dt, 20.0, caps, shape)
        assert np.isfinite(ref).all() and np.isfinite(Fr).all()
        np.testing.assert_allclose(out[:, 0:3], ref[:, 0:3], rtol=0, atol=1e-7)  # m
        np.testing.assert_allclose(out[:, 3:9], ref[:, 3:9], rtol=0, atol=1e-10)
        np.testing.assert_allclose(out[:, KAPPA], ref[:, KAPPA], rtol=1e-13)
        scale = np.abs(Fr).max(axis=(1, 2))[:, None, None]
        assert (np.abs(F - Fr) <= 1e-13 * scale).all()
        if shaped:  # the shape moved kappa: the ends' mapping was taken
            assert (np.abs(out[:, KAPPA] / x[:, KAPPA] - 1.0) > 1e-6).any()
        # And its transition left out: the same states.
        out2, F2 = compiled.propagate(x, dt, 20.0, caps, False, shaped, w, knots, cd, starts)
        np.testing.assert_array_equal(out2, out)
        assert (F2 == np.eye(NX)).all()


@pytest.mark.parametrize("seed", range(4))
def test_the_compiled_drag_table_weights_are_the_numpy_ones(monkeypatch, seed):
    """``drag.cd_shape``'s weights (each table's and normalised) both ways, within 1e-12 (libm's
    ``exp`` and ``erfc`` against numpy's and scipy's ``ndtr``); rows not followed zero; a body
    no table fits (``kappa`` far above every table's) weighs every table alike."""
    rng = np.random.default_rng(seed)
    n = 40
    x, P = _rows(rng, n)
    x[:5, KAPPA] = 1e4  # no catalogue body
    P[5:8, KAPPA, KAPPA] = 0.0  # kappa certain
    follow = rng.random(n) < 0.8
    follow[:8] = True
    monkeypatch.setenv("LOOKOUT_NUMPY_STEP", "1")
    slow = drag.cd_shape(x, P, follow)
    monkeypatch.setenv("LOOKOUT_NUMPY_STEP", "0")
    fast = drag.cd_shape(x, P, follow)
    np.testing.assert_allclose(fast.w_raw, slow.w_raw, rtol=0, atol=1e-12)
    np.testing.assert_allclose(fast.w, slow.w, rtol=0, atol=1e-12)
    assert (fast.w[:, ~follow] == 0.0).all() and (fast.w_raw[:, ~follow] == 0.0).all()
    np.testing.assert_allclose(fast.w[:, :5], 1.0 / fast.w.shape[0], rtol=1e-15)
    assert ((slow.w[:, 5:] > 0.01) & (slow.w[:, 5:] < 0.99)).any()  # tables weighed, not all


def _staged_numpy(x0, P0, dt, p_bc, live, rows, mu, share, xs, Ps):
    """``Tracker._predict_staged``'s priors, its numpy path."""
    dtl = dt[live]
    p_st = mixing.staging_probability(dtl)
    mu_b = mu[rows, BOOST]
    own = mu_b * share[rows] * np.maximum(1.0 - p_bc[live] - p_st, 0.0)
    new = mu_b * (1.0 - share[rows]) * p_st
    tot = own + new
    b = np.where(tot > 0.0, new / np.maximum(tot, 1e-300), 1.0)
    a = 1.0 - b
    x1, P1 = mixing.staged_prior(x0[live, BOOST], P0[live, BOOST], dtl)
    x2, P2 = xs[rows], Ps[rows]
    xm_ = a[:, None] * x2 + b[:, None] * x1
    d2, d1 = x2 - xm_, x1 - xm_
    Pm_ = a[:, None, None] * (P2 + d2[:, :, None] * d2[:, None, :])
    Pm_ += b[:, None, None] * (P1 + d1[:, :, None] * d1[:, None, :])
    return xm_, Pm_, np.clip((own + new) / np.maximum(mu_b, 1e-300), 0.0, 1.0)


@pytest.mark.parametrize("seed", range(4))
def test_the_compiled_staged_priors_are_the_numpy_ones(monkeypatch, seed):
    """Thrust known (its magnitude over twice its sigma) and not, a hypothesis of its own or
    none (share 0 and 1, ``mu`` at zero), steps of 0-8 s: within 1e-9 of each array's largest
    element (3 x 3 products summed in index order, not BLAS's; ``expm1`` libm's)."""
    monkeypatch.setenv("LOOKOUT_NUMPY_STEP", "1")  # the numpy pieces for the reference
    rng = np.random.default_rng(seed)
    n, n_store = 20, 31
    x, P = _rows(rng, 3 * n)
    x0, P0 = x.reshape(n, NMODE, NX), P.reshape(n, NMODE, NX, NX)
    x0[rng.random(n) < 0.5, BOOST, 6:9] = 0.01  # thrust unknown: along the velocity
    xs, Ps = _rows(rng, n_store)
    mu = rng.dirichlet(np.ones(NMODE), n_store)
    mu[:3] = 0.0
    share = rng.uniform(0.0, 1.0, n_store)
    share[3:6] = 0.0, 1.0, 1.0
    dt = rng.uniform(0.0, 8.0, n)
    p_bc = rng.uniform(0.0, 0.3, n)
    live = np.flatnonzero(rng.random(n) < 0.7).astype(np.int64)
    rows = rng.choice(n_store, live.size, replace=False).astype(np.int64)
    rows[:3] = 0, 3, 4
    slow = _staged_numpy(x0, P0, dt, p_bc, live, rows, mu, share, xs, Ps)
    fast = compiled_imm.staged_priors(x0, P0, dt, p_bc, live, rows, mu, share, xs, Ps)
    for a, b in zip(slow, fast, strict=True):
        assert a.shape == b.shape and np.isfinite(b).all()
        axes = tuple(range(1, a.ndim))
        scale = np.abs(a).max(axis=axes, keepdims=True) if axes else 1.0
        assert (np.abs(a - b) <= 1e-9 * np.maximum(scale, 1e-300)).all()
    assert (slow[2] > 0.0).any() and (slow[2] < 1.0).any()


@pytest.mark.parametrize("seed", range(4))
def test_the_compiled_second_order_of_gravity_is_the_numpy_one(seed):
    """Added only where the numpy path adds it (its bound above the floor, the position no
    vaguer than the limit), the same figures within 1e-12 of each matrix's largest element."""
    rng = np.random.default_rng(seed)
    n = 36
    x, P = _rows(rng, n)
    P[:, 0:3, 0:3] *= rng.choice([1e-2, 1e4, 1e8], n)[:, None, None]  # 10 m to 30 km sigmas
    age = rng.uniform(-1.0, 900.0, n)
    dt = rng.uniform(-2.0, 10.0, n)
    cfg = TrackerConfig()
    least = 1e-3 * cfg.coast_accel_sigma_mps2**2 * cfg.accel_noise_tau_s
    max_trace = float(cfg.delete_pos_sigma_m**2)
    Pp = rng.normal(size=(n, NX, NX))
    ref = Pp.copy()
    bound = motion.gravity_second_order_bound(x[:, 0:3], P, age)
    tr = np.trace(P[:, 0:3, 0:3], axis1=1, axis2=2)
    rows = np.flatnonzero((tr <= max_trace) & (bound > least))
    q2 = motion.gravity_second_order_q(x[rows, 0:3], P[rows, 0:3, 0:3], age[rows])
    ref[rows, 0:6, 0:6] += motion.accel_noise(dt[rows], q2)
    got = Pp.copy()
    added = compiled_imm.gravity_second_order(
        x, P, age, dt, least, max_trace, motion.SECOND_ORDER_TAU_SHARE, got
    )
    assert added == rows.size and 0 < rows.size < n
    scale = np.abs(ref).max(axis=(1, 2))[:, None, None]
    assert (np.abs(got - ref) <= 1e-12 * scale).all()
    untouched = np.setdiff1d(np.arange(n), rows)
    np.testing.assert_array_equal(got[untouched], Pp[untouched])
