"""The Stone Soup baseline tracks a clean single flight, so that benchmarking against it is fair."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("stonesoup")

from lookout.bench.stonesoup_baseline import (  # noqa: E402
    StoneSoupConfig,
    _acceleration,
    ballistic_propagate,
    run_stonesoup,
)
from lookout.flight import Aim, fly  # noqa: E402

# Guidance solved once per aim and kept, as a scenario's is (``plancache``: keyed by the source of
# the solver and the physics, so any change to them solves it again); every flight is flown here.
from lookout.flight.plancache import plan_cached as plan  # noqa: E402
from lookout.geodesy import OMEGA_EARTH  # noqa: E402
from lookout.physics.gravity import gravity_j2  # noqa: E402
from lookout.scoring import score  # noqa: E402
from lookout.sensors import make_sensor, observe  # noqa: E402

RADAR = dict(
    type="radar",
    id="r1",
    partner="JP",
    lat_deg=38.5,
    lon_deg=131.0,
    span_deg=360.0,
    el_min_deg=0.5,
    max_range_km=1500.0,
    false_alarms_per_scan=0.0,
)


@pytest.fixture(scope="module")
def srbm():
    launch = plan(39.0, 125.7, Aim(target_lat_deg=40.5, target_lon_deg=132.0), "srbm-solid")
    trajectory = fly([launch])[0]
    radar = make_sensor(RADAR)
    dets, labels = observe(radar, [trajectory], 0.0, trajectory.t_end, np.random.default_rng(3))
    return trajectory, radar, dets, labels


def test_motion_model_matches_the_flight_in_coast(srbm):
    tr, *_ = srbm
    x0, x1 = tr.state_at(150.0), tr.state_at(200.0)
    assert np.abs(ballistic_propagate(x0[:, None], 50.0)[:, 0] - x1)[:3].max() < 5.0
    s = np.random.default_rng(0).normal(size=(6, 4)) * 6e6
    s[3:] *= 1e-3
    omega = np.array([0.0, 0.0, OMEGA_EARTH])
    r, v = s[:3].T, s[3:].T
    acc = gravity_j2(r) - 2 * np.cross(omega, v) - np.cross(omega, np.cross(omega, r))
    np.testing.assert_allclose(_acceleration(None, r, v), acc, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize(
    ("kind", "accel_noise", "late_fraction"),
    [("ekf", 30.0, 0.5), ("ukf", 30.0, 0.5), ("ekf", 1.0, 0.35)],
)
def test_tracks_one_srbm_seen_by_one_radar(srbm, kind, accel_noise, late_fraction):
    """The default process noise is a compromise for all phases (one model); tuned for coast
    alone (1 m²/s³) the baseline does better there."""
    tr, radar, dets, labels = srbm
    out = run_stonesoup(dets, config=StoneSoupConfig(filter=kind, accel_noise=accel_noise))
    assert out.n_detections == len(dets) and out.wall_s > 0
    assert set(out.updates.detection_index) <= set(range(len(dets)))
    s = score(out, [tr], labels, detections=dets)
    assert s.truths == 1 and s.missed_truths == 0 and s.false_tracks <= (accel_noise < 10)
    assert s.coverage > 0.95 and s.purity == 1.0
    # The filter beats a single measurement: 3-D position error of one detection at the
    # coast instants is sqrt(σr² + 2 (range σangle)²).
    m = s.matches
    coast = m.phase == 1
    truth = tr.state_at(m.t[coast])[:, :3]
    rng_m = np.linalg.norm(truth - radar.antenna_at(0.0)[0][0], axis=1)
    p = radar.params
    single = np.sqrt(p.sigma_range_m**2 + 2 * (rng_m * p.sigma_az_mrad * 1e-3) ** 2)
    assert s.rmse_pos_m["coast"] < 0.6 * np.sqrt(np.mean(single**2))
    # Once converged (a minute of updates), far below it.
    late = coast & (m.t > m.t[coast].min() + 60.0)
    late_rmse = np.sqrt(np.mean(np.sum(m.pos_err[late] ** 2, axis=1)))
    assert late_rmse < late_fraction * np.sqrt(np.mean(single**2))


def test_reports_are_on_the_grid(srbm):
    _, _, dets, _ = srbm
    out = run_stonesoup(dets[:40], report_period_s=2.0, t_end=80.0)
    t = np.unique(out.reports.t)
    assert t.size and np.allclose(t % 2.0, 0.0) and t.max() <= 80.0
    assert (out.reports.detection_index == -1).all() and out.reports.confirmed.all()


def test_bad_config_is_named():
    with pytest.raises(ValueError, match="filter"):
        StoneSoupConfig(filter="pf")
    with pytest.raises(ValueError, match="gate_sigma"):
        StoneSoupConfig(gate_sigma=0.0)


def test_bench_runs_both_on_the_same_subset(srbm):
    from lookout.bench.tracker import bench_tracker, render, select

    tr, _, dets, labels = srbm
    sub, sub_labels, info = select(dets, labels, max_detections=120)
    assert info["detections"] == len(sub) == 120 and not info["whole"]
    seen = {}

    def spy(name):
        def run(d, **kw):
            seen[name] = [x.t_ns for x in d]
            return run_stonesoup(d, **kw)

        return run

    # Both slots run the baseline here: the bench's mechanics, not Lookout's tracker, are tested.
    result = bench_tracker(
        dets,
        labels,
        [tr],
        max_detections=120,
        runners={"lookout": spy("lookout"), "stonesoup": spy("stonesoup")},
    )
    assert seen["lookout"] == seen["stonesoup"] and len(seen["lookout"]) == 120
    assert result["subset"]["detections"] == 120
    for name in ("lookout", "stonesoup"):
        assert result[name]["detections_per_s"] > 0
        assert result[name]["rmse_pos_m"] is not None
    assert result["rmse_ratio"] == pytest.approx(1.0)
    assert result["speedup"] > 0
    assert render(result).row_count > 5
