"""The assessment's flights to the ground compiled (``lookout.assess.ground``,
``compiled_ground``) against the reference, ``propagate`` (``LOOKOUT_PROPAGATE_COAST=1``), and
the compiled geodetic altitude against its derived bound and against PROJ."""

from __future__ import annotations

import numpy as np
import pytest

from lookout.assess import compiled_ground, ground, predict_impacts
from lookout.assess.impact import spent_stage_prior
from lookout.flight import Launch, fly
from lookout.geodesy import R_EQUATOR, ecef_to_geodetic, geodesic_inverse, geodetic_to_ecef
from lookout.physics import propagate as propagate_module
from lookout.physics.vehicles import vehicle


def _random_points(rng, n, lo, hi):
    lat = np.arcsin(rng.uniform(-1.0, 1.0, n))
    lon = rng.uniform(-np.pi, np.pi, n)
    h = rng.uniform(lo, hi, n)
    return lat, lon, h, geodetic_to_ecef(lat, lon, h)


def test_the_compiled_geodetic_altitude_is_within_its_bound():
    """The module doc derives 1e-8 m (rounding; Newton's truncation far below): points made
    from known (lat, h) by the forward formula (exact but for its own rounding, 1e-9 m)."""
    rng = np.random.default_rng(7)
    for lo, hi in ((-50e3, 0.0), (-100.0, 100.0), (0.0, 300e3), (300e3, 20000e3)):
        lat, _, h, pos = _random_points(rng, 20000, lo, hi)
        got_lat, got_h = compiled_ground.geodetic_many(pos)
        assert np.abs(got_h - h).max() < 2e-8, (lo, hi)  # measured 4e-9 m
        assert np.abs(got_lat - lat).max() < 1e-14, (lo, hi)
    # Poles and equator.
    for x, y, z, want in (
        (0.0, 0.0, 6356752.314245179 + 10.0, 10.0),
        (0.0, 0.0, -6356752.314245179 - 10.0, 10.0),
        (R_EQUATOR + 5.0, 0.0, 0.0, 5.0),
        (0.0, -R_EQUATOR + 5.0, 0.0, -5.0),
    ):
        assert abs(compiled_ground.geodetic_alt(x, y, z) - want) < 1e-8


def test_the_compiled_geodetic_altitude_agrees_with_proj_within_projs_error():
    """PROJ's conversion (``geodesy.geodetic_altitude``, the reference path's) is off the exact
    foot point by up to 1e-6 m within 10 km of the surface (measured 1.04e-6), 1e-4 m at
    100 km, 9e-4 m at 300 km (its closed form's error grows with height): the two agree
    within that."""
    rng = np.random.default_rng(8)
    for lo, hi, tol in ((-10e3, 10e3, 2e-6), (10e3, 100e3, 2e-4), (100e3, 300e3, 2e-3)):
        _, _, _, pos = _random_points(rng, 20000, lo, hi)
        _, got_h = compiled_ground.geodetic_many(pos)
        assert np.abs(got_h - ecef_to_geodetic(pos)[2]).max() < tol, (lo, hi)


def _tracks():
    """Noisy coast states (and radar-grade covariances) of an SRBM and an IRBM, from just
    after burnout to low in the reentry (sigma points under the ground among them)."""
    r = np.radians
    launches = [
        Launch("srbm", vehicle("srbm-solid"), r(38.0), r(127.0), r(90.0), r(20.0)),
        Launch("irbm", vehicle("irbm-liquid"), r(39.0), r(125.7), 1.3210742477887496,
               0.473064211682751, cutoff_s=104.90528739209225),
    ]  # fmt: skip
    rng = np.random.default_rng(3)
    ts, xs, Ps = [], [], []
    for tr in fly(launches, debris=False):
        t_bo = tr.final_burnout().t
        t_imp = tr.event("impact").t
        times = np.linspace(t_bo + 5.0, t_imp - 8.0, 12)
        for k, tq in enumerate(times):
            sp, sv = (300.0, 15.0) if k % 2 else (2000.0, 60.0)
            P = np.diag([sp**2] * 3 + [sv**2] * 3)
            ts.append(tq)
            xs.append(tr.flown_state_at(tq) + rng.multivariate_normal(np.zeros(6), P))
            Ps.append(P)
    return np.array(ts), np.array(xs), np.array(Ps)


@pytest.mark.parametrize("stage", [False, True])
def test_compiled_impacts_agree_with_the_reference(monkeypatch, stage):
    """Predicted impacts, times and ellipses of 24 tracks, each flown both ways: measured
    within 8e-6 m (stage prior 6e-5 m), 4e-8 s and 1e-9 of the covariance, the nominal
    trajectories' samples within 0.4 mm (PROJ's altitude error at a step's start, 4e-4 m at
    170 km, moves the step by 1e-7 s)."""
    t, x, P = _tracks()
    prior = spent_stage_prior() if stage else None
    monkeypatch.setenv(ground.REFERENCE_ENV, "1")
    ref = predict_impacts(t, x, P, prior)
    monkeypatch.setenv(ground.REFERENCE_ENV, "0")
    got = predict_impacts(t, x, P, prior)
    assert np.isfinite(ref.lat).all() and ref.complete.all()
    np.testing.assert_array_equal(np.isfinite(got.lat), np.isfinite(ref.lat))
    dist, _ = geodesic_inverse(ref.lat, ref.lon, got.lat, got.lon)
    assert dist.max() < 1e-3  # m
    assert np.abs(got.t - ref.t).max() < 1e-6
    assert np.abs(got.t_sigma - ref.t_sigma).max() < 1e-6
    scale = np.abs(ref.cov_en).max(axis=(1, 2))[:, None, None]
    assert (np.abs(got.cov_en - ref.cov_en) / scale).max() < 1e-6
    for a, b in zip(ref.nominal, got.nominal, strict=True):
        assert a.t.size == b.t.size
        assert np.abs(a.t - b.t).max() < 1e-6
        assert np.linalg.norm(a.pos - b.pos, axis=1).max() < 1e-2  # m
        assert [e.name for e in a.events] == [e.name for e in b.events]
        for ea, eb in zip(a.events, b.events, strict=True):
            assert abs(ea.t - eb.t) < 1e-6 and np.linalg.norm(ea.pos - eb.pos) < 1e-2
        np.testing.assert_array_equal(a.kind, b.kind)
        np.testing.assert_array_equal(a.drag_table, b.drag_table)
        np.testing.assert_allclose(a.area_per_mass, b.area_per_mass, rtol=1e-15)


def test_bodies_that_do_not_come_down_agree(monkeypatch):
    """A body stopped at its stop time while still up, and one buried with too little energy
    ever to come up, come down nowhere both ways; the others' impacts agree."""
    up = np.r_[geodetic_to_ecef(0.7, 2.2, 400e3), 0.0, 0.0, 0.0]
    buried = np.r_[geodetic_to_ecef(0.3, -1.0, -30e3), 10.0, 0.0, -20.0]
    fast = np.r_[geodetic_to_ecef(0.5, 2.0, 60e3), 2000.0, -1000.0, -500.0]
    under_rising = np.r_[geodetic_to_ecef(0.1, 0.4, -20.0), 300.0, 200.0, 250.0]
    state = np.array([up, buried, fast, under_rising])
    t0 = np.array([0.0, 10.0, 20.0, 30.0])
    t_stop = t0 + np.array([60.0, 3600.0, 3600.0, 3600.0])
    out = {}
    for ref in ("1", "0"):
        monkeypatch.setenv(ground.REFERENCE_ENV, ref)
        out[ref] = ground.coast_to_ground(t0, state, 1000.0, "reentry_vehicle", t_stop, [0, 1, 3])
    a, b = out["1"], out["0"]
    np.testing.assert_array_equal(np.isfinite(a.t), [False, False, True, True])
    np.testing.assert_array_equal(np.isfinite(b.t), np.isfinite(a.t))
    ok = np.isfinite(a.t)
    assert np.abs(a.t[ok] - b.t[ok]).max() < 1e-6
    assert np.linalg.norm(a.pos[ok] - b.pos[ok], axis=1).max() < 1e-3
    assert sorted(a.trajectories) == sorted(b.trajectories) == [0, 1, 3]
    for i in (0, 1, 3):
        ta, tb = a.trajectories[i], b.trajectories[i]
        assert ta.t.size == tb.t.size and abs(ta.t_end - tb.t_end) < 1e-6
    assert a.trajectories[0].t_end == pytest.approx(60.0)


def test_the_compiled_flights_do_not_go_through_propagate(monkeypatch):
    """The compiled path flies without ``propagate``'s loop; ``LOOKOUT_PROPAGATE_COAST=1``
    (and ``LOOKOUT_NUMPY_STEP=1``) takes it, the reference."""
    t, x, P = _tracks()
    calls = []
    batch = propagate_module._propagate_batch

    def counted(*args, **kwargs):
        calls.append(1)
        return batch(*args, **kwargs)

    monkeypatch.setattr(propagate_module, "_propagate_batch", counted)
    predict_impacts(t[:2], x[:2], P[:2])
    assert not calls
    monkeypatch.setenv(ground.REFERENCE_ENV, "1")
    predict_impacts(t[:2], x[:2], P[:2])
    assert calls
    calls.clear()
    monkeypatch.delenv(ground.REFERENCE_ENV)
    monkeypatch.setenv(propagate_module.NUMPY_STEP_ENV, "1")
    predict_impacts(t[:2], x[:2], P[:2])
    assert calls
