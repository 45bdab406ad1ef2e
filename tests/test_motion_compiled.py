"""The tracker's compiled prediction (``lookout.tracking.compiled``) predicts as the numpy one.

``motion.propagate`` both ways (``LOOKOUT_NUMPY_STEP=1`` selects numpy) on batches that mix
tracks in vacuum, entering the air, low and slow, thrusting, with the drag tables' shape or
with ``kappa`` held, some capped in their steps: the same step counts and batch-wide drag
choices, so the same states but for the rounding of ``exp``/``log``.
"""

from __future__ import annotations

import numpy as np
import pytest
from scenes import flight_states

from lookout.geodesy import R_EQUATOR
from lookout.tracking import compiled, drag, motion


def _batch(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """``n`` states (N, 10) and covariances: a third each in vacuum (250-1200 km, orbital to
    suborbital speeds), in the thin air (60-250 km) and low (0-60 km, at most 3 km/s)."""
    x = flight_states(rng, n)
    P = np.broadcast_to(np.eye(motion.NX), (n, motion.NX, motion.NX)).copy()
    P[:, motion.KAPPA, motion.KAPPA] = rng.uniform(0.01, 400.0, n)
    return x, P


def _both(monkeypatch, x, dt, **kw):
    """``motion.propagate`` the numpy way, then the compiled way (which must be taken: one
    call, ``compiled.propagate``)."""
    calls = []
    propagate = compiled.propagate

    def counted(*args):
        calls.append(1)
        return propagate(*args)

    monkeypatch.setattr(compiled, "propagate", counted)
    monkeypatch.setenv("LOOKOUT_NUMPY_STEP", "1")
    slow = motion.propagate(x, dt, **kw)
    assert not calls
    monkeypatch.setenv("LOOKOUT_NUMPY_STEP", "0")
    fast = motion.propagate(x, dt, **kw)
    assert len(calls) == 1
    return slow, fast


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("shaped", [False, True])
def test_the_compiled_prediction_is_the_numpy_one(monkeypatch, seed, shaped):
    rng = np.random.default_rng(seed)
    n = 24
    x, P = _batch(rng, n)
    dt = rng.uniform(0.2, 12.0, n) * np.where(rng.random(n) < 0.2, -1.0, 1.0)
    caps = np.where(rng.random(n) < 0.3, rng.integers(1, 4, n), 0)
    shape = drag.cd_shape(x, P, rng.random(n) < 0.7) if shaped else None
    (xa, Fa), (xb, Fb) = _both(monkeypatch, x, dt, cd_shape=shape, max_steps=caps)
    assert np.isfinite(xa).all() and np.isfinite(Fa).all()
    # Measured (6 seeds x 2): 281 of 288 rows bitwise, the rest 1e-13 m/s in velocity (numpy's
    # SIMD exp against libm's, in the density); the transitions within 4e-16 of each matrix's
    # largest element (bitwise where numba's BLAS is numpy's).
    np.testing.assert_allclose(xb[:, 0:3], xa[:, 0:3], rtol=0, atol=1e-7)
    np.testing.assert_allclose(xb[:, 3:9], xa[:, 3:9], rtol=0, atol=1e-10)
    np.testing.assert_allclose(xb[:, motion.KAPPA], xa[:, motion.KAPPA], rtol=1e-14)
    assert (xb == xa).all(axis=1).mean() > 0.9
    scale = np.abs(Fa).max(axis=(1, 2))[:, None, None]
    assert (np.abs(Fb - Fa) <= 1e-13 * scale).all()
    # Without the transition: the same states.
    (xc, Fc), (xd, Fd) = _both(
        monkeypatch, x, dt, cd_shape=shape, max_steps=caps, with_jacobian=False
    )
    assert Fc is None and Fd is None
    np.testing.assert_array_equal(xc, xa)
    np.testing.assert_array_equal(xd, xb)


def test_in_vacuum_the_compiled_states_are_bitwise(monkeypatch):
    """Above the tracker's drag ceiling no transcendental function is called: the states are
    the numpy path's to the bit (the same order of every sum, ``einsum``'s included)."""
    rng = np.random.default_rng(7)
    x, _ = _batch(rng, 30)
    x = x[:10]  # the vacuum third
    (xa, Fa), (xb, Fb) = _both(monkeypatch, x, np.full(10, 30.0), max_step_s=10.0)
    np.testing.assert_array_equal(xb, xa)
    assert np.abs(Fb - Fa).max() <= 1e-14 * np.abs(Fa).max()


def test_one_low_track_puts_drag_on_the_whole_batch(monkeypatch):
    """The numpy path's batch-wide choice, kept: a track at 210 km steps with drag when
    another in its batch is under the 200 km ceiling (and without alone)."""
    rng = np.random.default_rng(3)
    x, _ = _batch(rng, 3)
    up = x[0, 0:3] / np.linalg.norm(x[0, 0:3])
    x[0, 0:3] = up * (R_EQUATOR + 210e3)
    x[0, 3:6] = np.cross(up, [0.0, 0.0, 1.0]) * 7000.0
    alone = _both(monkeypatch, x[:1], np.array([5.0]))
    together = _both(monkeypatch, x[[0, 2]], np.array([5.0, 5.0]))
    for slow, fast in (alone, together):
        np.testing.assert_allclose(fast[0], slow[0], rtol=0, atol=1e-8)
    assert alone[1][0][0, 3] != together[1][0][0, 3]  # drag at 210 km, tiny, not nothing


@pytest.mark.parametrize("seed", range(4))
def test_the_compiled_step_counts_are_the_numpy_ones(seed):
    """``motion.step_counts`` (compiled) against ``step_counts_numpy`` on states in vacuum,
    entering the air and low, over steps from a millisecond to two minutes, ascending and
    descending (a falling body's lowest point inside the step), capped or not: the same
    counts, every one."""
    rng = np.random.default_rng(100 + seed)
    x, _ = _batch(rng, 300)
    falling = rng.random(300) < 0.5
    x[falling, 3:6] -= (
        2.0
        * np.einsum("ij,ij->i", x[falling, 3:6], x[falling, 0:3])[:, None]
        * x[falling, 0:3]
        / np.einsum("ij,ij->i", x[falling, 0:3], x[falling, 0:3])[:, None]
    )
    dt = 10.0 ** rng.uniform(-3.0, 2.1, 300) * np.where(rng.random(300) < 0.1, -1.0, 1.0)
    for max_step in (5.0, 60.0):
        counts = motion.step_counts(x, dt, max_step)
        np.testing.assert_array_equal(counts, motion.step_counts_numpy(x, dt, max_step))
        assert counts.dtype == np.int64 and (counts > 1).any() and (counts == 1).any()


def test_the_compiled_mode_distances_are_the_numpy_ones(monkeypatch):
    """``association.mode_distances`` of radar scans with and without range rate (m = 4, 3)
    and of an infrared scan (m = 2), compiled and in numpy (``update.inv_small``, ``einsum``):
    the same distances and log-determinants to the bit. The measurement models numpy's on both
    paths (compiled, libm's ``atan2`` moves their last digit: ``tests/test_update_compiled.py``)."""
    from lookout.tracking import measure
    from lookout.tracking.association import mode_distances

    def numpy_models(kind, x, scan, m):
        if kind == "radar":
            return measure.radar(x[:, 0:3], x[:, 3:6], scan.s, scan.s_vel, scan.B, m)
        return measure.infrared(x[:, 0:3], scan.s)

    monkeypatch.setattr(measure, "predict", numpy_models)
    rng = np.random.default_rng(7)
    n = 12
    xs, Ps = _batch(rng, 3 * n)
    xp = xs.reshape(n, 3, motion.NX)
    A = rng.normal(size=(3 * n, motion.NX, motion.NX)) * 300.0
    Pp = (A @ A.transpose(0, 2, 1) + Ps).reshape(n, 3, motion.NX, motion.NX)
    site = np.array([R_EQUATOR, 0.0, 0.0])
    for kind, m in (("radar", 4), ("radar", 3), ("infrared", 2)):
        zhat, _ = measure.predict(kind, xs, _scan_at(kind, m, site, 0), m)
        z = zhat[rng.integers(0, 3 * n, 9)] + rng.normal(size=(9, m)) * 1e-3
        scan = _scan_at(kind, m, site, z)
        got = mode_distances(scan, xp, Pp)
        monkeypatch.setenv("LOOKOUT_NUMPY_STEP", "1")
        want = mode_distances(scan, xp, Pp)
        monkeypatch.delenv("LOOKOUT_NUMPY_STEP")
        assert got[0].shape == (n, 3, 9)
        np.testing.assert_array_equal(got[0], want[0])
        np.testing.assert_array_equal(got[1], want[1])
        # One hypothesis against one detection (a staged one, ``Tracker._predict_staged``):
        # numpy's ``einsum`` sums a lone 2 x 2's products in pairs.
        for i in range(3 * n):
            one = _scan_at(kind, m, site, z[i % 9 : i % 9 + 1])
            got = mode_distances(
                one, xs[i, None, None], Pp.reshape(-1, 1, motion.NX, motion.NX)[i, None]
            )
            monkeypatch.setenv("LOOKOUT_NUMPY_STEP", "1")
            want = mode_distances(
                one, xs[i, None, None], Pp.reshape(-1, 1, motion.NX, motion.NX)[i, None]
            )
            monkeypatch.delenv("LOOKOUT_NUMPY_STEP")
            np.testing.assert_array_equal(got[0], want[0])
            np.testing.assert_array_equal(got[1], want[1])


def _scan_at(kind: str, m: int, site: np.ndarray, z):
    """A scan of ``z`` (M, m; 0: one placeholder row) from ``site``, ENU axes there, noise of a
    radar's (range, angles, range rate) or an infrared sensor's size, correlated."""
    from lookout.tracking.scans import Scan

    z = np.zeros((1, m)) if isinstance(z, int) else z
    rng = np.random.default_rng(z.shape[0])
    sig = np.array([30.0, 1e-3, 1e-3, 5.0][:m] if kind == "radar" else [2e-5, 2e-5])
    A = rng.normal(size=(z.shape[0], m, m)) * 0.3 + np.eye(m)
    R = sig[:, None] * (A @ A.transpose(0, 2, 1)) * sig[None, :]
    B = np.array([[0.0, 1.0, 0.0], [0.0, 0.0, 1.0], [1.0, 0.0, 0.0]])
    idx = np.arange(z.shape[0])
    return Scan(0.0, "s", kind, z, R, site, idx, s_vel=np.zeros(3), B=B)


def test_the_compiled_mach_gradients_are_the_numpy_ones():
    """``motion.mach_gradient`` (compiled, as a prediction's ends take it) against
    ``mach_gradient_numpy``: the same Mach numbers and gradients to the bit, from the ground
    (its sound speed's kink at 0 m) to above the table's top."""
    rng = np.random.default_rng(9)
    x, _ = _batch(rng, 400)
    x[:5, 0:3] *= R_EQUATOR / np.linalg.norm(x[:5, 0:3], axis=1)[:, None]  # at the ellipsoid
    pos, vel = x[:, 0:3].copy(), x[:, 3:6].copy()
    vel[:3] = 0.0  # at rest: the speed's floor
    got = motion.mach_gradient(pos, vel)
    want = motion.mach_gradient_numpy(pos, vel)
    np.testing.assert_array_equal(got[0], want[0])
    np.testing.assert_array_equal(got[1], want[1])


def test_the_numpy_step_follows_the_environment_as_it_changes(monkeypatch):
    """``motion.numpy_step`` reads ``LOOKOUT_NUMPY_STEP`` at every call (from the mapping behind
    ``os.environ``): set, changed and unset within one process, each answer is the variable's
    value at that moment."""
    monkeypatch.delenv(motion.NUMPY_STEP_ENV, raising=False)
    assert not motion.numpy_step()
    for value, numpy in (("1", True), ("0", False), ("", False), ("yes", True), ("0", False)):
        monkeypatch.setenv(motion.NUMPY_STEP_ENV, value)
        assert motion.numpy_step() is numpy, value
    monkeypatch.setenv(motion.NUMPY_STEP_ENV, "1")
    monkeypatch.delenv(motion.NUMPY_STEP_ENV)
    assert motion.numpy_step() is False
