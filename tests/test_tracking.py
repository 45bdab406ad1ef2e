"""The tracker: convergence on a clean flight, consistency (NEES), closeness to the PCRLB, ids
kept through a crossing, clutter and spent stages; and its parts (models, Jacobians)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.stats import chi2

from lookout.flight import Aim, fly

# Guidance solved once per aim and kept, as a scenario's is (``plancache``: keyed by the source of
# the solver and the physics, so any change to them solves it again); every flight is flown here.
from lookout.flight.plancache import plan_cached as plan
from lookout.geodesy import enu_basis, geodetic_to_ecef
from lookout.physics.trajectory import COAST
from lookout.sensors import TruthSamples, make_sensor, observe
from lookout.tracking import Tracker, TrackerConfig, TrackLog, measure, pcrlb, track
from lookout.tracking.coverage import RadarCoverage
from lookout.tracking.motion import NX, propagate

IR_GEO = {"type": "infrared", "id": "ir1", "partner": "US", "geo_lon_deg": 110.0}
IR_GEO2 = {"type": "infrared", "id": "ir2", "partner": "US", "geo_lon_deg": 160.0}


def radar(id_, lat, lon, az, clutter=0.0, **kw):
    """A test radar: wide, long-range, sensitive enough to hold a reentry vehicle."""
    spec = dict(
        type="radar",
        id=id_,
        partner="P" + id_,
        lat_deg=lat,
        lon_deg=lon,
        azimuth_deg=az,
        span_deg=180.0,
        max_range_km=2500.0,
        el_max_deg=89.0,
        snr_ref_db=40.0,
        false_alarms_per_scan=clutter,
    )
    spec.update(kw)
    return spec


def sense(trajectories, specs, seed):
    """Every sensor's detections of the flights, time-ordered, with their truth labels."""
    rng = np.random.default_rng(seed)
    t1 = max(t.t_end for t in trajectories) + 5.0
    dets, labels = [], []
    for spec in specs:
        d, lab = observe(make_sensor(spec), trajectories, 0.0, t1, rng)
        dets += d
        labels += lab
    order = sorted(range(len(dets)), key=lambda i: dets[i].t_ns)
    return [dets[i] for i in order], [labels[i] for i in order]


def labels_of(log: TrackLog, labels) -> np.ndarray:
    return np.array([labels[i] if i >= 0 else "clutter" for i in log.detection_index], dtype=object)


def majority(log: TrackLog, labels) -> dict[int, tuple[str, float]]:
    """Per track id: the truth label most of its detections carry, and that fraction."""
    lab = labels_of(log, labels)
    out = {}
    for tid in np.unique(log.track_id):
        vals, counts = np.unique(lab[log.track_id == tid].astype(str), return_counts=True)
        k = int(np.argmax(counts))
        out[int(tid)] = (str(vals[k]), counts[k] / counts.sum())
    return out


# ---------------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def irbm():
    """A 3000 km IRBM without debris, two radars downrange, two geostationary IR satellites."""
    launch = plan(
        39.0,
        125.7,
        Aim(azimuth_deg=90.0, apogee_km=600.0, range_km=3000.0),
        "irbm-liquid",
        object_id="i1",
        launch_time=10.0,
    )
    (traj,) = fly([launch], debris=False)
    specs = [radar("r1", 38.0, 129.0, 60.0), radar("r2", 40.0, 145.0, 270.0, span_deg=360.0)]
    specs += [IR_GEO, IR_GEO2]
    runs = []
    for seed in (1, 2, 3):
        dets, labels = sense([traj], specs, seed)
        runs.append((dets, labels, track(dets)))
    return traj, runs


@pytest.fixture(scope="module")
def srbm_pair():
    """Two SRBMs launched together from sites 55 km apart whose paths cross in mid-flight,
    with their spent stages."""

    def srbm(lat, azimuth, name):
        aim = Aim(azimuth_deg=azimuth, apogee_km=150.0, range_km=450.0)
        return plan(lat, 125.7, aim, "srbm-solid", name)

    a, b = srbm(39.0, 80.0, "a"), srbm(39.5, 100.0, "b")
    return fly([a, b])


# ---------------------------------------------------------------------------------- models


def test_motion_model_follows_the_flight_in_coast_and_its_jacobian_is_right(irbm):
    traj, _ = irbm
    x0 = np.zeros((1, NX))
    x0[0, :6] = traj.state_at(300.0)
    x1, F = propagate(x0, np.array([30.0]))
    assert np.linalg.norm(x1[0, :3] - traj.state_at(330.0)[:3]) < 1.0
    eps = np.array([1.0, 1.0, 1.0, 1e-3, 1e-3, 1e-3])
    for i in range(6):
        xp, xm = x0.copy(), x0.copy()
        xp[0, i] += eps[i]
        xm[0, i] -= eps[i]
        col = (propagate(xp, np.array([30.0]))[0] - propagate(xm, np.array([30.0]))[0]) / (
            2 * eps[i]
        )
        # The J2 part of the gravity gradient (0.1 %) is left out of the Jacobian: over one
        # 30 s step that is ~1e-5 of the column's largest entry.
        scale = max(1.0, float(np.abs(col[0, :6]).max()))
        np.testing.assert_allclose(F[0, :6, i], col[0, :6], atol=2e-5 * scale)


def test_measurement_jacobians_match_finite_differences():
    s = geodetic_to_ecef(np.radians(38.0), np.radians(129.0), 0.0)
    B = enu_basis(np.radians(38.0), np.radians(129.0))
    x = np.array([[-3.0e6, 4.0e6, 4.2e6, 1500.0, -2000.0, 800.0]])
    sat = np.array([-1.44e7, 3.96e7, 0.0])
    for f in (
        lambda x: measure.radar(x[:, :3], x[:, 3:], s, np.zeros(3), B, 4),
        lambda x: measure.infrared(x[:, :3], sat),
    ):
        _, H = f(x)
        for i, h in enumerate([1.0, 1.0, 1.0, 1e-2, 1e-2, 1e-2]):
            xp, xm = x.copy(), x.copy()
            xp[0, i] += h
            xm[0, i] -= h
            col = (f(xp)[0] - f(xm)[0]) / (2 * h)
            np.testing.assert_allclose(H[0, :, i], col[0], rtol=1e-5, atol=1e-12)


# ---------------------------------------------------------------------------------- one track


def _coast_rows(traj, log: TrackLog, labels):
    sel = labels_of(log, labels) == traj.object_id
    sel &= traj.phase[traj.sample_index_at(log.t)] == COAST
    return sel


def test_single_track_converges_to_the_truth(irbm):
    traj, runs = irbm
    dets, labels, out = runs[0]
    u = out.updates
    # One confirmed track holds the flight, and no other track is confirmed.
    assert len({int(i) for i in u.track_id[u.confirmed]}) == 1
    sel = _coast_rows(traj, u, labels)
    err = np.linalg.norm(u.x[sel, :3] - traj.state_at(u.t[sel])[:, :3], axis=1)
    # Cross-range noise of one look is 0.5 mrad x ~1500 km = 750 m; the track is 25x better.
    assert np.sqrt(np.mean(err[len(err) // 4 :] ** 2)) < 30.0
    # Reports predict the confirmed track to every second through the coast.
    assert len(out.reports) > 500
    assert np.all(out.reports.detection_index == -1)


def test_nees_in_coast_within_its_95_percent_bounds(irbm):
    traj, runs = irbm
    fractions = []
    for _dets, labels, out in runs:
        u = out.updates
        sel = _coast_rows(traj, u, labels)
        err = u.x[sel] - traj.state_at(u.t[sel])
        nees = np.einsum("ki,kij,kj->k", err, np.linalg.inv(u.P[sel]), err)
        lo, hi = chi2.ppf([0.025, 0.975], 6)
        fractions.append(np.mean((nees > lo) & (nees < hi)))
    # Average over the three seeds of the fraction of coast steps inside the bounds.
    assert np.mean(fractions) >= 0.9, fractions


def test_coast_rmse_within_1_2_of_the_pcrlb(irbm):
    traj, runs = irbm
    ratios = []
    for dets, labels, out in runs:
        u = out.updates
        mine = [d for d, lab in zip(dets, labels, strict=True) if lab == traj.object_id]
        sel = _coast_rows(traj, u, labels)
        bound = pcrlb(traj, mine, times=u.t[sel])
        assert np.all(bound.phase == COAST)
        err2 = np.sum((u.x[sel, :3] - traj.state_at(u.t[sel])[:, :3]) ** 2, axis=1)
        ratios.append(np.sqrt(np.mean(err2)) / np.sqrt(np.mean(bound.pos_m**2)))
    # Measured 1.15, 1.29, 1.23 (mean 1.22): the excess is mostly the burnout hand-over, which
    # the bound (knowing the true phase) does not pay; single runs scatter by +-0.1.
    assert np.mean(ratios) <= 1.25, ratios


@pytest.fixture(scope="module")
def in_chunks(irbm):
    """The first run's detections fed 97 at a time (chunks cut scans at odd places) to a tracker
    keeping its updates and to one keeping none (a node's, the fusion's): both trackers, and per
    chunk the rows each returned and how many updates the forgetting one still held."""
    _, runs = irbm
    dets = runs[0][0]
    keeping, forgetting = Tracker(), Tracker(keep_updates=False)
    chunks = []
    for k in range(0, len(dets), 97):
        a, b = keeping.process(dets[k : k + 97]), forgetting.process(dets[k : k + 97])
        chunks.append((a, b, len(forgetting._log)))
    return keeping, forgetting, chunks


def test_incremental_tracker_matches_the_batch_run(irbm, in_chunks):
    _, runs = irbm
    out = runs[0][2]
    tracker, _, chunks = in_chunks
    rows = [a for a, _, _ in chunks]
    assert len(rows) > 10
    assert sum(len(a) for a in rows) == len(out.updates)
    np.testing.assert_allclose(np.concatenate([a.x for a in rows]), out.updates.x)
    rep = tracker.report(float(out.updates.t[-1]) + 10.0)
    assert len(rep) == 1 and rep.confirmed.all()


def test_a_tracker_keeping_no_updates_gives_the_same_rows_and_holds_none(in_chunks):
    """A long-running tracker (a node's, the fusion's) forgets its updates once returned: the
    same rows, bit for bit, and nothing kept that grows with the run."""
    keeping, forgetting, chunks = in_chunks
    for a, b, held in chunks:
        for name in ("t", "track_id", "x", "P", "boost_prob", "detection_index", "confirmed"):
            assert np.array_equal(getattr(a, name), getattr(b, name)), name
        assert held == 0
    assert len(keeping.updates()) > 0
    with pytest.raises(RuntimeError):
        forgetting.updates()


# ---------------------------------------------------------------------------------- many objects


def test_crossing_pair_keeps_its_ids(srbm_pair):
    trajs = [t for t in srbm_pair if t.parent_id is None]
    # The two flights do pass close: within a few km of each other mid-flight.
    ts = np.linspace(60.0, 200.0, 300)
    gap = np.linalg.norm(trajs[0].state_at(ts)[:, :3] - trajs[1].state_at(ts)[:, :3], axis=1)
    assert gap.min() < 10e3
    specs = [radar("r1", 37.5, 128.5, 300.0), radar("r2", 40.5, 129.0, 240.0)]
    dets, labels = sense(trajs, specs, seed=4)
    out = track(dets)
    u = out.updates
    lab = labels_of(u, labels)
    for traj in trajs:
        # Once confirmed, every detection of this object goes to one and the same track.
        rows = (lab == traj.object_id) & u.confirmed
        ids, counts = np.unique(u.track_id[rows], return_counts=True)
        assert counts.max() / counts.sum() > 0.98, (traj.object_id, ids, counts)


def test_clutter_makes_no_lasting_tracks_and_stages_get_their_own(srbm_pair):
    specs = [
        radar("r1", 37.5, 128.5, 300.0, clutter=1.0),
        radar("r2", 40.5, 129.0, 240.0, clutter=1.0),
    ]
    dets, labels = sense(srbm_pair, specs, seed=5)
    n_false = sum(lab is None for lab in labels)
    assert n_false > 500
    out = track(dets)
    u = out.updates
    owners = majority(u, labels)
    confirmed = {int(i) for i in u.track_id[u.confirmed]}
    false_tracks = [i for i in confirmed if owners[i][0] == "clutter"]
    assert not false_tracks
    # Every object seen often enough (both RVs and both spent stages) has a confirmed track of
    # its own.
    seen = {lab for lab in labels if lab is not None}
    held = {owners[i][0] for i in confirmed}
    assert {"a-stage1", "b-stage1"} <= seen
    assert seen <= held
    assert out.n_detections == len(dets)
    assert out.wall_s > 0


def test_clutter_alone_confirms_no_track(srbm_pair):
    """Three false alarms a scan from each of two radars for the whole flight time, and nothing
    else: the track score of chance associations never reaches the confirmation threshold."""
    specs = [
        radar("r1", 37.5, 128.5, 300.0, clutter=3.0),
        radar("r2", 40.5, 129.0, 240.0, clutter=3.0),
    ]
    dets, labels = sense(srbm_pair, specs, seed=6)
    clutter = [d for d, lab in zip(dets, labels, strict=True) if lab is None]
    assert len(clutter) > 2000
    out = track(clutter)
    assert not out.updates.confirmed.any()
    assert len(out.reports) == 0


def test_reentry_vehicles_are_followed_down_into_the_air(srbm_pair):
    """Each RV's track holds it through reentry (below 100 km) to its last detection, within a
    few times the PCRLB: drag is in the motion model, with the drag coefficient as a state."""
    from lookout.physics.trajectory import REENTRY
    from lookout.tracking.motion import altitude_approx

    specs = [radar("r1", 37.5, 128.5, 300.0), radar("r2", 40.5, 129.0, 240.0)]
    dets, labels = sense(srbm_pair, specs, seed=7)
    u = track(dets).updates
    lab = labels_of(u, labels)
    for traj in (t for t in srbm_pair if t.parent_id is None):
        rows = (lab == traj.object_id) & u.confirmed
        rows &= traj.phase[traj.sample_index_at(u.t)] == REENTRY
        assert rows.sum() > 10, traj.object_id
        # One track, holding it to its last detection (these radars see it down to ~85 km).
        assert np.unique(u.track_id[rows]).size == 1
        last = max(i for i, lab_ in enumerate(labels) if lab_ == traj.object_id)
        assert u.detection_index[rows].max() == last
        assert altitude_approx(u.x[rows, :3]).min() < 90e3
        mine = [d for d, lab_ in zip(dets, labels, strict=True) if lab_ == traj.object_id]
        bound = pcrlb(traj, mine, times=u.t[rows])
        err2 = np.sum((u.x[rows, :3] - traj.state_at(u.t[rows])[:, :3]) ** 2, axis=1)
        ratio = np.sqrt(np.mean(err2)) / np.sqrt(np.mean(bound.pos_m**2))
        # Measured 0.97 (a) and 0.15 (b): the bound takes drag as white noise of the lightest
        # body (500 kg/m²), loose for an RV; the tracker learns the RV's drag coefficient.
        assert ratio < 4.0, (traj.object_id, ratio)


def test_payload_and_its_stage_each_keep_one_track_through_separation():
    """Closely spaced objects: the spent stage pushed back at 3 m/s stays within the radars'
    cross-range resolution of its reentry vehicle for minutes. Each object's detections go to
    one track (the RV's the older one), not alternately to both."""
    launch = plan(
        39.0,
        125.7,
        Aim(azimuth_deg=90.0, apogee_km=600.0, range_km=3000.0),
        "irbm-liquid",
        object_id="i1",
        launch_time=10.0,
    )
    trajs = fly([launch])
    stage = next(t for t in trajs if t.parent_id is not None)
    rv = next(t for t in trajs if t.parent_id is None)
    # The stage separates slowly: under 2 km from the RV five minutes later.
    t5 = stage.t_start + 300.0
    assert np.linalg.norm(stage.state_at(t5)[:3] - rv.state_at(t5)[:3]) < 2e3
    specs = [radar("r1", 38.0, 129.0, 60.0), radar("r2", 40.0, 145.0, 270.0, span_deg=360.0)]
    dets, labels = sense(trajs, specs, seed=6)
    u = track(dets).updates
    lab = labels_of(u, labels)
    owner = {}
    for traj in (rv, stage):
        rows = (lab == traj.object_id) & u.confirmed & (u.t > stage.t_start + 30.0)
        ids, counts = np.unique(u.track_id[rows], return_counts=True)
        assert counts.max() / counts.sum() > 0.95, (traj.object_id, ids, counts)
        owner[traj.object_id] = ids[np.argmax(counts)]
    assert owner[rv.object_id] != owner[stage.object_id]
    # The RV keeps the older track: the stage is the object that left the predicted path.
    assert owner[rv.object_id] < owner[stage.object_id]


def test_nees_of_an_mrbm_and_its_stage_parted_in_the_air_within_bounds():
    """A payload and its stage that part at burnout inside the air (an MRBM's, at 70 km) drift
    off the one push along the velocity that a formation's relative motion assumes: the stage
    loses 1 m/s more to drag while they climb out, and the pair is metres off that motion
    minutes later. Their tracks must not take each other's detections, shifted by it, as if
    it were exact (main at 9a91f0f did: 52-82 % of coast updates inside the 95 % NEES bounds,
    NEES 7-14 for 6 dof), and both stay consistent with a precise radar's 1 s updates."""
    aim = Aim(target_lat_deg=44.12, target_lon_deg=138.08, loft="minimum-energy")
    trajs = fly([plan(40.0, 125.23, aim, "mrbm-liquid", object_id="m1", launch_time=10.0)])
    precise = dict(sigma_rr_mps=0.5, revisit_s=1.0, snr_ref_db=32.0, max_range_km=2000.0)
    ship = dict(sigma_rr_mps=3.0, revisit_s=1.0, snr_ref_db=30.0, max_range_km=1500.0)
    specs = [
        radar("r1", 40.9, 140.3, 275.0, span_deg=100.0, sigma_range_m=6.0, sigma_az_mrad=0.35,
              sigma_el_mrad=0.35, **precise),
        radar("r2", 39.5, 131.0, 290.0, span_deg=120.0, sigma_range_m=12.5, sigma_az_mrad=0.8,
              sigma_el_mrad=0.8, **ship),
    ]  # fmt: skip
    lo, hi = chi2.ppf([0.025, 0.975], 6)
    fractions = {}
    for seed in (1, 2):
        dets, labels = sense(trajs, specs, seed)
        u = track(dets).updates
        lab = labels_of(u, labels)
        for traj in trajs:
            rows = np.flatnonzero((lab == traj.object_id) & u.confirmed)
            rows = rows[traj.phase[traj.sample_index_at(u.t[rows])] == COAST]
            err = u.x[rows] - traj.state_at(u.t[rows])
            nees = np.einsum("ki,kij,kj->k", err, np.linalg.inv(u.P[rows]), err)
            fractions[seed, traj.object_id] = np.mean((nees > lo) & (nees < hi))
    # Measured 0.99, 0.96, 0.91, 0.99 (main: 0.52, 0.82, 0.65, 0.71).
    values = list(fractions.values())
    assert len(values) == 4 and np.mean(values) >= 0.9 and min(values) >= 0.85, fractions


@pytest.mark.slow  # a whole shipped scenario through one partner's tracker, second by second
def test_a_lost_track_does_not_fly_off_on_a_false_alarm():
    """srbm-salvo, Korea's own tracker (its two radars, two false alarms per scan each): tracks
    lost late in boost or at staging for 40-60 s used to take one false alarm through a boost
    mode grown over the gap and fly off as phantoms, to 3,000 km altitude at 7 km/s, over
    missiles that never rose above 100 km. Every state Korea reports stays within the flights'
    envelope."""
    from lookout.geodesy import ecef_to_geodetic
    from lookout.scenario import load
    from lookout.simulate import simulate

    sim = simulate(load("srbm-salvo"))
    kr = next(p for p in sim.scenario.raw["partners"] if p["id"] == "KR")
    radars = {s["id"] for s in kr["sensors"]}
    dets = [d for d in sim.detections if d.sensor_id in radars]
    top_alt = max(float(ecef_to_geodetic(tr.pos)[2].max()) for tr in sim.trajectories)
    top_speed = max(float(np.linalg.norm(tr.vel, axis=1).max()) for tr in sim.trajectories)
    tracker, reports, chunk, second = Tracker(), [], [], 1
    for d in dets:
        if d.t_ns >= second * 1_000_000_000:
            tracker.process(chunk)
            reports.append(tracker.report(float(second)))
            chunk, second = [], d.t_ns // 1_000_000_000 + 1
        chunk.append(d)
    rep = TrackLog.concatenate(reports)
    assert len(rep) > 1000
    alt = ecef_to_geodetic(rep.x[:, :3])[2]
    speed = np.linalg.norm(rep.x[:, 3:6], axis=1)
    assert top_alt < 120e3
    assert alt.max() < top_alt + 30e3, rep.track_id[np.argmax(alt)]
    assert speed.max() < top_speed + 1000.0, rep.track_id[np.argmax(speed)]


def test_a_false_alarm_in_the_coast_gate_of_a_lost_track_leaves_no_trace():
    """A track seen for 20 s after burnout by a coarse radar (2 mrad), then lost for a minute,
    has a coast gate kilometres wide (2.4 km sigma across the line of sight). One false alarm
    in it, 5 km off the missile, used to be taken as the object seen again: the reported
    track jumped 8 km off and flew on along a wrong path, as the picture's stale slbm track
    did (472972e). A lost track taken up by a detection that cannot tell its object from
    clutter is held back until confirmed as a new track would be: every reported state is the
    same as without the false alarm, and the track is still reported after it."""
    from lookout.messages import Detection

    launch = plan(39.0, 125.7, Aim(azimuth_deg=90.0, apogee_km=150.0, range_km=450.0),
                  "srbm-solid", "a", 10.0)  # fmt: skip
    (traj,) = fly([launch], debris=False)
    spec = radar("r1", 37.0, 128.5, 0.0, clutter=2.0, revisit_s=2.0, sigma_range_m=200.0,
                 sigma_az_mrad=2.0, sigma_el_mrad=2.0)  # fmt: skip
    dets, labels = sense([traj], [spec], seed=5)
    t_seen = traj.final_burnout().t + 20.0
    seen = [d for d, lab in zip(dets, labels, strict=True)
            if lab is not None and t_seen <= d.t_ns * 1e-9 < t_seen + 20.0]  # fmt: skip
    clutter = [d for d, lab in zip(dets, labels, strict=True) if lab is None]
    assert len(seen) == 10
    # The false alarm: a minute after the last detection, 5 km across the line of sight.
    t_fa = seen[-1].t_ns * 1e-9 + 60.0
    truth = traj.state_at(np.array([t_fa]))[0, :3]
    s = np.asarray(seen[0].sensor_pos_ecef_m)
    los = (truth - s) / np.linalg.norm(truth - s)
    side = np.cross(los, truth / np.linalg.norm(truth))
    p = truth + 5e3 * side / np.linalg.norm(side)
    e = enu_basis(np.radians(37.0), np.radians(128.5)) @ (p - s)
    r = float(np.linalg.norm(e))
    z = [r, float(np.arctan2(e[0], e[1]) % (2 * np.pi)), float(np.arcsin(e[2] / r))]
    fa = Detection(t_ns=round(t_fa * 1e9), sensor_id="r1", partner="Pr1", kind="radar", z=z,
                   R=seen[0].R, snr_db=15.0,
                   sensor_pos_ecef_m=seen[0].sensor_pos_ecef_m)  # fmt: skip

    def reports(feed):
        # The object is taken out of the radar's sight while inside its coverage: without
        # deletion by missed looks (``_note_looks``), as if it had left the coverage.
        no_miss_deletion = TrackerConfig(delete_score_drop=math.inf)
        return _reports_each_second(sorted(feed, key=lambda d: d.t_ns), t_fa + 30, no_miss_deletion)

    clean, dirty = reports(seen + clutter), reports([*seen, *clutter, fa])
    (tid,) = np.unique(clean.track_id)
    assert set(np.unique(dirty.track_id)) == {tid}
    assert dirty.t.max() == clean.t.max() > t_fa + 20.0
    after = dirty.t > t_fa
    assert after.sum() > 10, dirty.t[after]
    for t, x in zip(dirty.t, dirty.x, strict=True):
        (i,) = np.flatnonzero(clean.t == t)
        assert np.linalg.norm(x[:3] - clean.x[i, :3]) < 100.0, t


def test_thrust_reach_is_the_most_violent_burn_of_the_catalogue():
    """Over a short gap the largest thrust displacement is half the catalogue's highest burnout
    acceleration times the gap squared (with the 10 % margin); it grows with the gap, and past
    the longest burn by the largest whole delta-v per second."""
    from lookout.physics.vehicles import G0, catalogue
    from lookout.tracking.reach import MARGIN, thrust_displacement_m

    a_max = 0.0
    for v in catalogue().values():
        mass = v.liftoff_mass_kg
        for s in v.stages:
            a_max = max(a_max, s.isp_vac_s * G0 * s.mass_flow_kgps / (mass - s.propellant_kg))
            mass -= s.propellant_kg + s.dry_kg
    d = thrust_displacement_m(np.array([0.0, 1.0, 2.0, 10.0, 38.0, 600.0, 700.0]))
    assert d[0] == 0.0
    assert 0.9 * MARGIN * 0.5 * a_max <= d[1] <= MARGIN * 0.5 * a_max
    assert np.all(np.diff(d) > 0.0)
    dv_max = max(v.ideal_delta_v_mps() for v in catalogue().values())
    assert (d[6] - d[5]) / 100.0 == pytest.approx(MARGIN * dv_max, rel=0.02)


def _first_seen_low_in_the_boost(seed: int):
    """An MRBM (Nodong class, burning 110 s, 17-20 m/s² of thrust early on) seen first 26 s
    into its burn at ~3 km by a ship's radar 120 km off (1 mrad, 15 m, range rate 3 m/s,
    1 s revisit), as on the generated gen-1-02: every detection of its burn from then on, and
    the tracker's updates of it."""
    launch = plan(38.23, 125.1, Aim(target_lat_deg=39.32, target_lon_deg=134.65),
                  "mrbm-liquid", "m", 0.0)  # fmt: skip
    (traj,) = fly([launch], debris=False)
    spec = radar("ship", 37.3, 125.35, 0.0, span_deg=360.0, revisit_s=1.0, sigma_range_m=15.3,
                 sigma_az_mrad=1.02, sigma_el_mrad=1.02, sigma_rr_mps=3.0)  # fmt: skip
    dets, labels = sense([traj], [spec], seed=seed)
    t_bo = traj.final_burnout().t
    burn = [d for d, lab in zip(dets, labels, strict=True)
            if lab is not None and 26.0 <= d.t_ns * 1e-9 < t_bo]  # fmt: skip
    tracker = Tracker()
    rows = []
    for d in burn:
        log = tracker.process([d])
        if len(log):
            xm = tracker.tracks.xm[: tracker.tracks.n].copy()
            rows.append((d.t_ns * 1e-9, float(log.boost_prob[0]), xm))
    return traj, rows


@pytest.mark.parametrize("seed", [1, 2])
def test_a_rocket_first_seen_low_in_its_burn_is_found_thrusting(seed):
    """A radar track born low in the boost was taken as coasting for 20 s (gen-1-02, track 548):
    its boost mode fell below its reseeding level in four updates (the data could not yet tell
    thrust from none) and its coast mode followed the thrust as *negative* drag, its drag
    coefficient clipped at zero in the mean only; the assessment then flew it ballistically and
    claimed an impact area for a rocket 4 km up, still burning. Drag cannot push: the coast
    mode pays for the push it would need (``update.truncate_drag``), the boost mode takes the track
    within seconds, and no mode's drag coefficient is ever negative."""
    from lookout.tracking.mixing import COAST

    traj, rows = _first_seen_low_in_the_boost(seed)
    t = np.array([r[0] for r in rows])
    boost = np.array([r[1] for r in rows])
    assert t[0] < 28.0 and len(rows) > 60
    assert traj.alt[np.searchsorted(traj.t, t[0])] < 5e3
    # Thrusting (boost probability over one half) within 12 s of the first detection, and held
    # thereafter for most of the burn.
    took = t[np.argmax(boost >= 0.5)]
    assert boost.max() >= 0.5 and took - t[0] <= 12.0, (took - t[0], boost[:15])
    assert np.mean(boost[t > took + 10.0] >= 0.5) > 0.9
    for _, _, xm in rows:
        assert (xm[:, :, 9] >= 0.0).all()
        assert (xm[:, COAST, 9] >= 0.0).all()


def _space_launch_seen_by_one_ship(seed: int):
    """A space launcher (Unha class, 16-21 m/s² of thrust on its first stage) from Sohae
    south into orbit, seen by one ship's radar 165 km west (1 mrad, 16 m, range rate 3 m/s,
    1 s revisit) from ~5 km up to its first stage's burnout, as on the generated gen-7-02: the
    thrust lies across the radar's line of sight. The boost probability at each update."""
    launch = plan(39.66, 124.7, Aim(azimuth_deg=176.9, orbit_km=495.0), "slv-3stage", "s", 0.0)
    (traj,) = fly([launch], debris=False)
    spec = radar("ship", 39.47, 122.79, 0.0, span_deg=360.0, revisit_s=1.0, sigma_range_m=15.6,
                 sigma_az_mrad=1.04, sigma_el_mrad=1.04, sigma_rr_mps=3.0)  # fmt: skip
    dets, labels = sense([traj], [spec], seed=seed)
    t_bo = traj.events[0].t  # the first stage's burnout
    tracker, rows = Tracker(), []
    for d, lab in zip(dets, labels, strict=True):
        if lab is not None and d.t_ns * 1e-9 < t_bo:
            log = tracker.process([d])
            rows.extend(zip(log.t, log.boost_prob, strict=True))
    return np.array(rows)


@pytest.mark.parametrize("seed", [1, 3])
def test_a_boost_seen_by_one_radar_keeps_its_boost_mode_while_it_thrusts(seed):
    """One radar at 1 Hz sees a slow rocket's thrust mostly across its line of sight
    (gen-7-02's track 722). With the thrust's white jerk as large across the thrust as along it,
    the thrust across the line of sight drifted as fast as along it: the boost mode predicted
    the range rate 11-12 m/s wide against the coast mode's 4-5, paid for it in ln|S| at every
    update, and fell to 0.004 while the rocket burned (the coast mode then named a false impact
    area). Across the thrust the jerk is the thrust's turn (``mixing.thrust_jerk_q``): from 10 s
    after the track's first detection the boost mode holds at 1.0 and 0.986 of the updates
    (geometric mean 0.96 and 0.95), against 0.944 and 0.958 (0.84 and 0.82; lowest 0.023 and
    0.009) with the jerk the same on every axis."""
    rows = _space_launch_seen_by_one_ship(seed)
    t, boost = rows[:, 0], rows[:, 1]
    assert t[-1] - t[0] > 60.0
    later = boost[t > t[0] + 10.0]
    assert np.mean(later >= 0.5) >= 0.95, np.round(later, 3)
    assert np.exp(np.mean(np.log(later))) >= 0.85


def test_the_thrust_jerk_is_its_mass_flow_along_it_and_its_turn_across_it():
    """The boost mode's white jerk (``mixing.thrust_jerk_q``): along the thrust the configured
    growth of a burning stage's acceleration; across it, in the air, the turn of a thrust
    following its velocity (``g / v`` at most) or laid down by a pitch programme (half a turn
    over the energy from rest to orbit, ``2 π v a / v_c²``), never more than along it; above
    the air the same as along it."""
    from lookout.geodesy import G0, GM_EARTH
    from lookout.tracking.mixing import thrust_jerk_q

    cfg = TrackerConfig()
    u = np.array([[0.0, 0.6, 0.8], [1.0, 0.0, 0.0]])
    pos = np.array([[6.38e6, 0.0, 0.0]] * 2)  # 2 km up
    q = thrust_jerk_q(u, np.array([21.0, 300.0]), np.array([250.0, 50.0]), pos, cfg)
    along = np.einsum("ni,nij,nj->n", u, q, u)
    assert along == pytest.approx([cfg.boost_jerk_sigma_mps3**2] * 2)
    across = np.array([[0.0, 0.8, -0.6], [0.0, 0.0, 1.0]])
    turn = np.einsum("ni,nij,nj->n", across, q, across)
    rate = G0 / 250.0 + 2.0 * np.pi * 250.0 * 21.0 * 6.38e6 / GM_EARTH
    assert turn[0] == pytest.approx((21.0 * rate) ** 2)
    assert 0.5 < np.sqrt(turn[0]) < 1.0  # a space launcher low in its burn
    assert turn[1] == pytest.approx(cfg.boost_jerk_sigma_mps3**2)  # capped: 59 m/s³ of turn
    assert np.einsum("ni,nij,nj->n", u, q, across) == pytest.approx([0.0, 0.0], abs=1e-12)
    # A pitch programme at 23.6 m/s² and 3.1 km/s, 40 km up (slv-3stage's second stage, higher
    # up): it turns the thrust at 0.11 m/s³ (the gravity turn's bound alone: 0.07).
    pos = np.array([[6.418e6, 0.0, 0.0]])
    q = thrust_jerk_q(u[:1], np.array([23.6]), np.array([3134.0]), pos, cfg)
    assert np.sqrt(np.einsum("ni,nij,nj->n", across[:1], q, across[:1])[0]) > 0.11
    # Above the air nothing holds the thrust along the velocity: the same jerk on every axis.
    pos = np.array([[6.68e6, 0.0, 0.0]])
    q = thrust_jerk_q(u[:1], np.array([73.0]), np.array([6100.0]), pos, cfg)
    assert q[0] == pytest.approx(np.eye(3) * cfg.boost_jerk_sigma_mps3**2)


def _reports_each_second(feed, t_end, config=None, coverage=None):
    """Reports at each whole second of a tracker fed ``feed`` (time-ordered) second by second."""
    tracker, out, k = Tracker(config, coverage=coverage), [], 0
    for second in range(1, int(t_end)):
        j = k
        while j < len(feed) and feed[j].t_ns <= second * 1_000_000_000:
            j += 1
        tracker.process(feed[k:j])
        k = j
        out.append(tracker.report(float(second)))
    return TrackLog.concatenate(out)


def test_a_track_its_radar_looks_at_and_does_not_see_is_deleted_in_a_few_looks():
    """A missile tracked by one radar (two false alarms a scan, which span its coverage), whose
    detections stop 20 s after burnout while it flies on inside the radar's coverage: the radar
    looks at the track's prediction scan after scan and sees nothing there, so the track is
    deleted after some tens of missed looks (one radar, a scan every 2 s), not reported unseen
    until it is predicted under ground (335 s later without it)."""
    launch = plan(39.0, 125.7, Aim(azimuth_deg=90.0, apogee_km=150.0, range_km=450.0),
                  "srbm-solid", "a", 10.0)  # fmt: skip
    (traj,) = fly([launch], debris=False)
    spec = radar("r1", 37.0, 128.5, 0.0, clutter=2.0, revisit_s=2.0)
    dets, labels = sense([traj], [spec], seed=5)
    t_cut = traj.final_burnout().t + 20.0
    feed = [d for d, lab in zip(dets, labels, strict=True) if lab is None or d.t_ns * 1e-9 < t_cut]
    rep = _reports_each_second(feed, traj.t_end)
    assert len(np.unique(rep.track_id)) == 1
    assert t_cut - 5.0 < rep.t.max() < t_cut + 150.0, (t_cut, rep.t.max(), traj.t_end)


def test_a_track_out_of_every_radars_coverage_coasts_on():
    """The same missile flying out of its only radar's range (300 km): unseen, not disproven, its
    track coasts on and is reported for minutes after its last detection."""
    launch = plan(39.0, 125.7, Aim(azimuth_deg=90.0, apogee_km=150.0, range_km=450.0),
                  "srbm-solid", "a", 10.0)  # fmt: skip
    (traj,) = fly([launch], debris=False)
    spec = radar("r1", 38.5, 125.0, 90.0, clutter=2.0, revisit_s=2.0, max_range_km=300.0)
    dets, labels = sense([traj], [spec], seed=5)
    seen = [d.t_ns * 1e-9 for d, lab in zip(dets, labels, strict=True) if lab is not None]
    assert traj.t_end - max(seen) > 120.0
    rep = _reports_each_second(dets, traj.t_end)
    (tid,) = np.unique(rep.track_id)
    assert rep.t.max() > max(seen) + 100.0, (max(seen), rep.t.max(), traj.t_end)


def _young_track_then_nothing(outages=()):
    """An SRBM seen by one radar without clutter for 20 s after burnout (a young track: ten
    scans), then never again while it flies on inside that radar's field; a far radar's false
    alarms keep scans coming. Returns the feed, the cut time, the flight's end and the
    declared coverage of the first radar (with ``outages``)."""
    launch = plan(39.0, 125.7, Aim(azimuth_deg=90.0, apogee_km=150.0, range_km=450.0),
                  "srbm-solid", "a", 10.0)  # fmt: skip
    (traj,) = fly([launch], debris=False)
    spec = radar("r1", 37.0, 128.5, 0.0, clutter=0.0, revisit_s=2.0)
    far = radar("r2", 20.0, 150.0, 180.0, clutter=1.0, revisit_s=5.0, max_range_km=500.0)
    dets, labels = sense([traj], [spec, far], seed=5)
    t0 = traj.final_burnout().t + 20.0
    t_cut = t0 + 20.0
    feed = [
        d
        for d, lab in zip(dets, labels, strict=True)
        if lab is None or t0 <= d.t_ns * 1e-9 < t_cut
    ]
    coverage = {"r1": RadarCoverage.of_radar(make_sensor(spec), outages)}
    return feed, t_cut, traj.t_end, coverage


def test_a_young_track_its_radar_declares_it_looks_at_and_does_not_see_is_deleted():
    """With the radar's declared field of view, every scan its revisit says it made is a look,
    with a detection or none, and a young track (ten detections) missed look after look is
    deleted: each miss of a run after a detection costs at least ``ln(1 - miss_pd_floor)``,
    though the Pd the track learns falls with every miss. Without the declaration the radar's
    empty scans never reach the tracker, and the track is reported until it is predicted
    under ground (kn23-pullup's infrared-born track 353: 86-274 s, following nothing)."""
    feed, t_cut, t_end, coverage = _young_track_then_nothing()
    rep = _reports_each_second(feed, t_end, coverage=coverage)
    assert len(np.unique(rep.track_id)) == 1
    assert t_cut < rep.t.max() < t_cut + 120.0, (t_cut, rep.t.max(), t_end)
    learned = _reports_each_second(feed, t_end)
    assert learned.t.max() > t_cut + 200.0, (t_cut, learned.t.max(), t_end)


def test_a_declared_radar_out_of_action_judges_no_track():
    """The same radar declared out of action from the moment it stops seeing the missile: it
    looks at nothing, so the track is not disproven and coasts on."""
    feed, t_cut, t_end, _ = _young_track_then_nothing()
    _, _, _, coverage = _young_track_then_nothing(outages=[(t_cut, 10_000.0)])
    rep = _reports_each_second(feed, t_end, coverage=coverage)
    assert rep.t.max() > t_cut + 200.0, (t_cut, rep.t.max(), t_end)


def test_declared_coverage_is_the_radars_field_of_view():
    """``RadarCoverage.inside_prob`` against the simulator's own ``in_view`` for points in and
    out of range, sector and elevation, far from the edges (σ 1 m); scan times skip outages."""
    spec = radar("r1", 37.0, 128.5, 30.0, span_deg=90.0, max_range_km=1000.0, el_min_deg=2.0,
                 el_max_deg=60.0, revisit_s=2.0, phase_s=0.5)  # fmt: skip
    sensor = make_sensor(spec)
    cov = RadarCoverage.of_radar(sensor, [(10.0, 20.0)])
    rng = np.random.default_rng(3)
    lat = 37.0 + rng.uniform(-12.0, 12.0, 400)
    lon = 128.5 + rng.uniform(-12.0, 12.0, 400)
    alt = rng.uniform(0.0, 800e3, 400)
    pts = geodetic_to_ecef(np.radians(lat), np.radians(lon), alt)
    truth = TruthSamples.static(np.array([0.0]), pts)
    geo = sensor.measure_true(truth)
    s, _, B = sensor.antenna_at(np.array([0.0]))
    p = cov.inside_prob(B[0] @ (pts - s[0]).T, np.ones(400), s[0], pts)
    assert ((p > 0.5) == geo["in_view"][0]).mean() > 0.99
    assert geo["in_view"][0].sum() > 20
    times = cov.scan_times(0.0, 30.0)
    assert times.tolist() == [0.5, 2.5, 4.5, 6.5, 8.5, 20.5, 22.5, 24.5, 26.5, 28.5]


def _infrared_born_then_radar(config=None):
    """A depressed SRBM (kn23-pullup's KN23-1: srbm-lifting to a 50 km apogee) seen by two
    geostationary infrared satellites in its burn and by a ship's radar from 4 s before its
    burnout on. Returns the flight, its burnout, the detections and the tracker's output."""
    aim = Aim(target_lat_deg=41.55, target_lon_deg=134.07, loft=50.0)
    launch = plan(39.45, 127.55, aim, "srbm-lifting", "kn", 60.0)
    (traj,) = fly([launch], debris=False)
    ir = [dict(IR_GEO, geo_lon_deg=90.0, plume_intensity_kw_sr=40.0),
          dict(IR_GEO2, geo_lon_deg=165.0, plume_intensity_kw_sr=40.0)]  # fmt: skip
    ship = dict(type="radar", id="ship", partner="KR", lat_deg=38.6, lon_deg=131.0, alt_m=25.0,
                span_deg=360.0, el_max_deg=85.0, max_range_km=800.0, revisit_s=1.0,
                sigma_range_m=15.0, sigma_az_mrad=1.0, sigma_el_mrad=1.0, sigma_rr_mps=3.0,
                snr_ref_db=22.0)  # fmt: skip
    dets, labels = sense([traj], [*ir, ship], seed=7)
    t_bo = traj.final_burnout().t
    keep = [d.sensor_id != "ship" or d.t_ns * 1e-9 >= t_bo - 4.0 for d in dets]
    dets = [d for d, k in zip(dets, keep, strict=True) if k]
    labels = [lab for lab, k in zip(labels, keep, strict=True) if k]
    return traj, t_bo, dets, labels, track(dets, config=config)


@pytest.mark.parametrize("acc", [None, 30.0])
def test_an_infrared_born_track_keeps_its_rocket_through_burnout(acc):
    """The track born from the plume keeps the missile through its burnout and takes the
    radar's detections after it: its thrust prior spans a rocket late in its burn
    (``ir_init_acc_sigma_mps2``). With the radar-born tracks' 30 m/s² (main) it fell 500 m/s
    behind with a 200 m/s sigma, a new track took the radar's first detection after burnout,
    and the old one flew on unseen as a false track (kn23-pullup's 353, 86-274 s). The
    control takes the boost mode's drag prior of before branch manoeuvre-lag too, any body's
    (1e-3 ± 1.5e-3 m²/kg, not a burning stack's): with a burning stack's drag the track keeps
    its rocket even at 30 m/s² (its boost mode no longer flies through 500 ± 750 m/s² of
    drag it does not have), so the thrust prior alone is no longer what the control shows."""
    config = None
    if acc is not None:
        config = TrackerConfig(
            ir_init_acc_sigma_mps2=acc, boost_kappa_m2_kg=1e-3, boost_kappa_sigma_m2_kg=1.5e-3
        )
    traj, t_bo, dets, labels, out = _infrared_born_then_radar(config)
    u = out.updates
    ir_rows = np.array([dets[i].kind == "infrared" for i in u.detection_index])
    (born,) = np.unique(u.track_id[ir_rows & (u.t < t_bo)])[:1]
    after = u.track_id[(u.t > t_bo + 5.0) & ~ir_rows]
    kept = bool((after == born).any())
    assert kept == (acc is None), (born, np.unique(after))


def _srbm_seen_by_two_satellites():
    """An SRBM's plume seen by two geostationary infrared satellites: its trajectory, the
    detections (seed 3) and the two satellites' specs."""
    launch = plan(39.0, 125.7, Aim(azimuth_deg=90.0, apogee_km=150.0, range_km=450.0),
                  "srbm-solid", "a", 10.0)  # fmt: skip
    (traj,) = fly([launch], debris=False)
    ir_a = dict(IR_GEO2, geo_lon_deg=165.0, plume_intensity_kw_sr=40.0)
    ir_b = dict(IR_GEO, geo_lon_deg=90.0, plume_intensity_kw_sr=40.0)
    dets, _ = sense([traj], [ir_a, ir_b], seed=3)
    return traj, dets, ir_a, ir_b


def test_a_false_alarm_on_a_plumes_line_of_sight_from_one_satellite_is_not_confirmed():
    """srbm-salvo's phantom 816: a radar false alarm at 128 km took two lines of sight of a
    missile's plume from one geostationary satellite, 300 km along them, through its vague
    first prediction (3 km/s per axis), and was confirmed as a boosting track that claimed an
    impact in Japan's EEZ. Two rules now stop it: a track born alone from one radar detection
    takes no lines of sight, and a track is confirmed only once its position was fixed in 3-D
    twice (radar detections, or lines of sight of two satellites). The missile's lines of
    sight of two satellites still confirm its own track."""
    from lookout.messages import Detection

    traj, dets, ir_a, _ = _srbm_seen_by_two_satellites()
    one = [d for d in dets if d.sensor_id == ir_a["id"]]
    assert len(one) >= 4
    first = one[0]
    t_ir = first.t_ns * 1e-9
    # The false alarm, 2 s before that first line of sight, 300 km from the plume along it.
    s = np.asarray(first.sensor_pos_ecef_m)
    plume = traj.state_at(np.array([t_ir]))[0, :3]
    los = (plume - s) / np.linalg.norm(plume - s)
    p = plume - 300e3 * los
    site = (37.0, 128.5)
    r_pos = geodetic_to_ecef(np.radians(site[0]), np.radians(site[1]), 0.0)
    e = enu_basis(np.radians(site[0]), np.radians(site[1])) @ (p - r_pos)
    r = float(np.linalg.norm(e))
    z = [r, float(np.arctan2(e[0], e[1]) % (2 * np.pi)), float(np.arcsin(e[2] / r))]
    R = np.diag([25.0**2, 1.5e-3**2, 1.5e-3**2]).tolist()
    fa = Detection(t_ns=first.t_ns - 2_000_000_000, sensor_id="r1", partner="KR", kind="radar",
                   z=z, R=R, snr_db=12.0, sensor_pos_ecef_m=list(map(float, r_pos)))  # fmt: skip
    feed = [fa, *[d for d in one if d.t_ns * 1e-9 < t_ir + 6.0]]
    out = track(feed)
    u = out.updates
    (born,) = np.unique(u.track_id[u.detection_index == 0])
    assert not u.confirmed[u.track_id == born].any()
    assert len(out.reports) == 0
    # Both satellites: the plume's own track is confirmed.
    both = track(sorted([fa, *[d for d in dets if d.t_ns * 1e-9 < t_ir + 6.0]],
                        key=lambda d: d.t_ns))  # fmt: skip
    assert both.reports.confirmed.any()


def test_a_track_followed_by_one_satellite_only_is_not_confirmed():
    """A track born where two satellites' lines of sight cross, then followed by one satellite
    only: each further line of sight fixes no third dimension, so however many it takes the
    track stays tentative (confirmed on them before the two-fix rule); a second satellite's
    lines of sight confirm it."""
    _, dets, ir_a, ir_b = _srbm_seen_by_two_satellites()
    a = [d for d in dets if d.sensor_id == ir_a["id"]]
    b = [d for d in dets if d.sensor_id == ir_b["id"]]
    assert len(a) >= 5 and len(b) >= 3
    out = track(sorted([*a, b[0]], key=lambda d: d.t_ns))
    (born,) = np.unique(out.updates.track_id)
    assert (out.updates.track_id == born).sum() >= 5  # it took every line of sight
    assert not out.updates.confirmed.any()
    assert len(out.reports) == 0
    both = track(sorted([*a, *b[:3]], key=lambda d: d.t_ns))
    assert both.updates.confirmed.any()


def _false_alarm_on_a_plumes_line_of_sight():
    """mass-raid's track 7288: a radar false alarm 400 km up lay within a few km of the line of
    sight from a geostationary infrared satellite to an IRBM's plume 700 km away, seconds before
    the missile's own track was born. Here an IRBM first seen by two geostationary satellites
    at ``t_ir`` and a false alarm 3 s earlier on the first satellite's line of sight to it, at
    400 km altitude. Returns the detections and the false alarm's index."""
    from lookout.geodesy import ecef_to_geodetic
    from lookout.messages import Detection

    launch = plan(40.6, 126.4, Aim(target_lat_deg=40.8, target_lon_deg=150.0), "irbm-liquid",
                  "m", 0.0)  # fmt: skip
    (traj,) = fly([launch], debris=False)
    dets, _ = sense([traj], [dict(IR_GEO, geo_lon_deg=90.0), dict(IR_GEO2, geo_lon_deg=165.0)], 4)
    t_ir = 41.0
    dets = [d for d in dets if d.t_ns * 1e-9 >= t_ir]
    first = next(d for d in dets if d.sensor_id == "ir1")
    s = np.asarray(first.sensor_pos_ecef_m)
    p_m = traj.state_at(np.array([first.t_ns * 1e-9]))[0, :3]
    u = (p_m - s) / np.linalg.norm(p_m - s)
    lam = np.linspace(0.0, np.linalg.norm(p_m - s), 20001)
    alt = ecef_to_geodetic(s + lam[:, None] * u)[2]
    p = s + lam[np.argmin(np.abs(alt - 400e3))] * u
    site = geodetic_to_ecef(np.radians(36.0), np.radians(126.7), 250.0)
    e = enu_basis(np.radians(36.0), np.radians(126.7)) @ (p - site)
    r = float(np.linalg.norm(e))
    z = [r, float(np.arctan2(e[0], e[1]) % (2 * np.pi)), float(np.arcsin(e[2] / r))]
    R = np.diag([25.0**2, 1.5e-3**2, 1.5e-3**2]).tolist()
    fa = Detection(t_ns=first.t_ns - 3_000_000_000, sensor_id="r1", partner="KR", kind="radar",
                   z=z, R=R, snr_db=14.0, sensor_pos_ecef_m=site.tolist())  # fmt: skip
    return [fa, *dets], 0


def test_a_false_alarm_on_a_plumes_line_of_sight_is_no_track():
    """A track born from one radar detection knows where it was, not how it moves: any line of
    sight passing within its velocity prior's reach (3 km/s per axis) fits it, and a bearing
    alone cannot tell its object from a plume hundreds of kilometres along the line. It used
    to take the plume's lines of sight, two of them confirmed it, and it flew off as a false
    track claiming an impact in China (mass-raid's 7288, 4,000 km ellipse). Infrared detections
    now update only tracks with a second detection of their own (or born of a tracked
    parent); the plume makes its own track."""
    dets, fa = _false_alarm_on_a_plumes_line_of_sight()
    out = track(dets)
    u = out.updates
    (born,) = u.track_id[u.detection_index == fa]
    assert not u.confirmed[u.track_id == born].any(), u.detection_index[u.track_id == born]
    ir_tracks = np.unique(u.track_id[(u.detection_index != fa) & u.confirmed])
    assert ir_tracks.size == 1 and ir_tracks[0] != born


def test_burnout_within_a_step_is_the_moments_of_a_thrust_cut_at_a_uniform_time():
    """``burnout_within``: the mean and covariance, at the start of a step, of the ballistic
    start whose path meets the object that thrusts ``s`` (uniform over the step) and then
    coasts, against a sample of such objects (thrust and state uncertain)."""
    from lookout.tracking.mixing import burnout_within

    rng = np.random.default_rng(11)
    x = np.zeros(NX)
    x[:3], x[3:6], x[6:9], x[9] = [6.4e6, 1e5, 2e5], [800.0, 1500.0, 900.0], [40.0, 70.0, 30.0], 1.0
    L = rng.normal(size=(NX, NX)) * np.r_[[50.0] * 3, [20.0] * 3, [8.0] * 3, [0.1]][:, None]
    P = L @ L.T / NX
    dt = 1.6
    mean, cov = burnout_within(x[None], P[None], np.array([dt]))
    k = 400_000
    xs = rng.multivariate_normal(x, P, size=k)
    s = rng.uniform(0.0, dt, size=k)[:, None]
    ys = xs.copy()
    ys[:, 0:3] -= 0.5 * s * s * xs[:, 6:9]
    ys[:, 3:6] += s * xs[:, 6:9]
    sig = np.sqrt(np.diag(cov[0]))
    assert np.all(np.abs(ys.mean(axis=0) - mean[0]) < 0.02 * sig)
    emp = np.cov(ys.T)
    assert np.abs((emp - cov[0]) / np.outer(sig, sig)).max() < 0.01  # as correlations
    # Taken at the step's start (the boost estimate with its thrust cut), the velocity was
    # a dt / 2 behind the objects' mean, with none of their (a dt)² / 12 spread.
    assert np.allclose(mean[0, 3:6] - x[3:6], 0.5 * dt * x[6:9])


def test_a_boost_to_coast_switch_gives_a_consistent_coast_prediction():
    """A track thrusting at 100 m/s², certain of its state, predicted 2 s on: its coast mode
    (the burnout somewhere in those 2 s) holds the objects that burn out anywhere in them,
    each flown by the tracker's own motion model (thrust for ``s``, then none). Cut at the
    step's start, the coast mode was 100 m/s behind the mean with a 0.1 m/s sigma (NEES 5,000
    on average, 11,000 at most)."""
    from lookout.tracking.initiation import new_states
    from lookout.tracking.mixing import BOOST, COAST

    tracker = Tracker()
    pos = geodetic_to_ecef(np.radians(40.0), np.radians(128.0), 60e3)[None]
    up = pos[0] / np.linalg.norm(pos[0])
    east = np.cross([0.0, 0.0, 1.0], up)
    east /= np.linalg.norm(east)
    u = (up + east) / np.linalg.norm(up + east)
    vel = (2000.0 * u)[None]
    P_pos, P_vel = np.eye(3)[None] * 1.0, np.eye(3)[None] * 0.01
    xm, Pm, mu = new_states(pos, P_pos, vel, P_vel, 0.999, tracker.config)
    xm[:, BOOST, 6:9] = 100.0 * u
    Pm[:, BOOST, 6:9, 6:9] = np.eye(3) * 0.01
    xm[:, COAST] = xm[:, BOOST]
    xm[:, COAST, 6:9] = 0.0
    tracker._add(xm, Pm, mu, 0.0, 5, 100.0, 10.0)
    dt = 2.0
    xp, Pp, *_ = tracker._predict(np.array([0]), dt)
    x6, P6 = xp[0, COAST, :6], Pp[0, COAST, :6, :6]
    s = (np.arange(200) + 0.5) / 200 * dt
    burn = np.repeat(xm[:, BOOST], s.size, axis=0)
    at_burnout, _ = propagate(burn, s, 0.25, with_jacobian=False)
    at_burnout[:, 6:9] = 0.0
    truth, _ = propagate(at_burnout, dt - s, 0.25, with_jacobian=False)
    e = truth[:, :6] - x6
    nees = np.einsum("ki,ij,kj->k", e, np.linalg.inv(P6), e)
    assert nees.mean() < 6.0
    assert nees.max() < chi2.ppf(0.999, 6)


def test_the_infrared_thrust_prior_is_the_catalogues():
    """An infrared-born track's thrust prior (``ir_init_acc_sigma_mps2``) is a thrust of any
    direction and any magnitude up to the catalogue's largest (with the 10 % margin of
    ``tracking.reach``), uniformly: ``A / 3`` per axis. The largest is found again here from the
    vehicles' stages (thrust over the mass left at each burnout), and every thrust of the
    catalogue lies within three of its sigmas on each axis."""
    from lookout.physics.vehicles import G0, catalogue
    from lookout.tracking.reach import MARGIN

    largest = 0.0
    for v in catalogue().values():
        mass = v.liftoff_mass_kg
        for st in v.stages:
            thrust = st.isp_vac_s * G0 * st.propellant_kg / st.burn_s
            largest = max(largest, thrust / (mass - st.propellant_kg))
            mass -= st.propellant_kg + st.dry_kg
    sigma = TrackerConfig().ir_init_acc_sigma_mps2
    assert sigma == pytest.approx(MARGIN * largest / 3.0, rel=1e-9)
    assert 3.0 * sigma >= largest
    assert TrackerConfig(ir_init_acc_sigma_mps2=30.0).ir_init_acc_sigma_mps2 == 30.0


@pytest.mark.parametrize("seed", [2, 3])
def test_a_stage_spent_in_the_air_keeps_the_track_born_on_it(seed):
    """srbm-salvo's SRBM-4 and its two Korean radars: the empty stage, dropped at 17 km,
    decelerates at 28 g where its missile does at 3 g, 400 m/s apart a second later. The track
    born on the stage's first detection, from its parent's estimate, took the parent's drag
    coefficient: it predicted the missile, gated the missile's next detection and not the
    stage's, and followed the missile as a second track while a third was born on the stage
    (main at d96648e: the stage's detections went to a track born on its own; the duplicate
    claimed an impact in Japan's EEZ). A released body's drag is its own
    (``tracker._released_drag_prior``)."""
    aim = Aim(target_lat_deg=39.0, target_lon_deg=131.5, loft=80.0)
    trajs = fly([plan(38.95, 126.6, aim, "srbm-solid", object_id="s4", launch_time=94.0)])
    stage = next(t for t in trajs if t.parent_id is not None)
    rv = next(t for t in trajs if t.parent_id is None)
    specs = [
        radar("kr-ewr-central", 36.6, 127.5, 0.0, span_deg=120.0, el_min_deg=1.0,
              el_max_deg=80.0, max_range_km=900.0, revisit_s=2.0, sigma_range_m=25.0,
              sigma_az_mrad=1.5, sigma_el_mrad=1.5, snr_ref_db=26.0),
        radar("kr-ship-east", 37.6, 129.9, 0.0, span_deg=360.0, el_min_deg=1.0,
              el_max_deg=85.0, max_range_km=800.0, revisit_s=1.0, sigma_range_m=15.0,
              sigma_az_mrad=1.0, sigma_el_mrad=1.0, sigma_rr_mps=3.0, snr_ref_db=22.0),
    ]  # fmt: skip
    dets, labels = sense(trajs, specs, seed)
    out = track(dets)
    u = out.updates
    lab = labels_of(u, labels)
    owner = {}
    for traj in (rv, stage):
        rows = (lab == traj.object_id) & (u.t > stage.t_start + 1.0) & (u.t < stage.t_start + 30.0)
        ids, counts = np.unique(u.track_id[rows], return_counts=True)
        assert counts.max() / counts.sum() >= 0.95, (traj.object_id, ids, counts)
        owner[traj.object_id] = int(ids[np.argmax(counts)])
    assert owner[rv.object_id] != owner[stage.object_id]
    # The stage is followed by the track born next to the missile's, not by one born later.
    assert out.parents.get(owner[stage.object_id]) == owner[rv.object_id], (owner, out.parents)
