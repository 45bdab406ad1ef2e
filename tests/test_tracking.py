"""The tracker on one clean flight (an IRBM seen by two radars and two geostationary infrared
satellites, three seeds): convergence, consistency (NEES), closeness to the PCRLB, and the same
rows whether fed at once or in chunks, by a tracker keeping its updates or one forgetting them.

The tracker's other behaviours are in ``test_tracking_*.py``, one concept a file: its models
(``_models``), several objects (``_objects``), closely spaced objects parting (``_separation``),
a rocket in its burn (``_boost``), false alarms taken for an object (``_false_alarms``), and
tracks no longer seen (``_deletion``); its stages one by one in ``test_tracker_stages.py``."""

from __future__ import annotations

import numpy as np
import pytest
from scenes import IR_GEO, IR_GEO2, irbm_launch, labels_of, radar, sense
from scipy.stats import chi2

from lookout.flight import fly
from lookout.physics.trajectory import COAST
from lookout.tracking import Tracker, TrackLog, pcrlb, track

# --------------------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def irbm():
    """A 3000 km IRBM without debris, two radars downrange, two geostationary IR satellites."""
    launch = irbm_launch()
    (traj,) = fly([launch], debris=False)
    specs = [radar("r1", 38.0, 129.0, 60.0), radar("r2", 40.0, 145.0, 270.0, span_deg=360.0)]
    specs += [IR_GEO, IR_GEO2]
    runs = []
    for seed in (1, 2, 3):
        dets, labels = sense([traj], specs, seed)
        runs.append((dets, labels, track(dets)))
    return traj, runs


# -------------------------------------------------------------------------------------- one track


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
        err = u.x[sel] - traj.flown_state_at(u.t[sel])
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
        err2 = np.sum((u.x[sel, :3] - traj.flown_state_at(u.t[sel])[:, :3]) ** 2, axis=1)
        ratios.append(np.sqrt(np.mean(err2)) / np.sqrt(np.mean(bound.pos_m**2)))
    # Measured 1.06, 1.11, 1.10 (mean 1.09; 1.04, 1.21, 1.43 before issue 13's boost-noise and
    # the iterated update): the excess is mostly the burnout hand-over, which the bound (knowing
    # the true phase) does not pay; single runs scatter by +-0.1.
    assert np.mean(ratios) <= 1.25, ratios


# -------------------------------------------------------------------------------------- in chunks


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
