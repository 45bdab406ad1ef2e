"""Two tracks of one object (``lookout.tracking.duplicates``): the one whose object's detections
go to the other ends within a few looks; two objects a radar resolves stay two tracks."""

from __future__ import annotations

import numpy as np
import pytest
from scenes import fed_until, radar, sense

from lookout.flight import Aim, fly

# Guidance solved once per aim and kept (``plancache``); every flight is flown here.
from lookout.flight.plancache import plan_cached as plan
from lookout.tracking import Tracker, TrackLog


def _srbm_seen_by(specs, seed=5):
    launch = plan(39.0, 125.7, Aim(azimuth_deg=90.0, apogee_km=150.0, range_km=450.0),
                  "srbm-solid", "a", 10.0)  # fmt: skip
    (traj,) = fly([launch], debris=False)
    dets, labels = sense([traj], specs, seed=seed)
    return traj, dets, labels


def _duplicated(specs, t_clone_after_burnout=30.0):
    """An SRBM tracked by the radars ``specs``; a copy of its one confirmed track made some
    seconds after burnout (two tracks of one object, as a track born on detections the first
    missed). Returns the ids of the track and its copy, the time of the copy and the reports
    each second after it."""
    traj, feed, _ = _srbm_seen_by(specs)
    t_clone = float(np.floor(traj.final_burnout().t + t_clone_after_burnout))
    tracker = Tracker()
    k = sum(d.t_ns <= t_clone * 1e9 for d in feed)
    for _ in fed_until(tracker, feed[:k], range(1, int(t_clone) + 1)):
        pass
    tracks = tracker.tracks
    conf = np.flatnonzero(tracks.confirmed[: tracks.n])
    assert conf.size == 1, tracks.ids[conf]
    (slot,) = tracks.clone(conf)
    original, copy = int(tracks.ids[conf[0]]), int(tracks.ids[slot])
    reports = []
    for second in fed_until(tracker, feed[k:], range(int(t_clone) + 1, int(traj.t_end) - 20)):
        reports.append(tracker.report(float(second)))
    return original, copy, t_clone, TrackLog.concatenate(reports), tracker


def test_a_track_whose_object_goes_to_another_track_ends_within_a_few_looks():
    """One radar, a scan every 2 s (Pd about 0.9 at this range): one of the two takes every
    detection, in the other's gate, and the other is missed at each scan. Its misses cost
    what the radar's detection probability at its last detection says (ln 0.1 each), not the
    one it learns from its looks, which falls with every miss; or the pair's sequential test
    (``Duplicates``) merges them, some nine scans: one is gone within 30 s, not after some 31
    looks (62 s) as before. The other keeps the object to the end."""
    specs = [radar("r1", 37.0, 128.5, 0.0, clutter=2.0, revisit_s=2.0)]
    original, copy, t_clone, rep, _ = _duplicated(specs)
    ends = {tid: rep.t[rep.track_id == tid].max() for tid in (original, copy)}
    assert min(ends.values()) <= t_clone + 30.0, (t_clone, ends)
    assert max(ends.values()) >= rep.t.max() - 1.0, ends


def test_two_tracks_of_one_object_fed_by_two_radars_in_turn_become_one():
    """Two radars in turn: the copy and the original may each take a radar's detections (the
    global nearest neighbour gives each scan's detection to the nearer of two equal tracks),
    so each gains and loses score in turn; the pair's sequential test (one object gives one
    detection a scan, two objects two) merges them while their states agree: one track for
    the object within 30 s."""
    specs = [
        radar("r1", 37.0, 128.5, 0.0, clutter=2.0, revisit_s=2.0),
        radar("r2", 36.0, 129.0, 0.0, clutter=2.0, revisit_s=3.0),
    ]
    original, copy, t_clone, rep, tracker = _duplicated(specs)
    late = rep.t >= t_clone + 30.0
    assert np.unique(rep.track_id[late]).size == 1, np.unique(rep.track_id[late])
    assert set(np.unique(rep.track_id[late]).tolist()) <= {original, copy}


def test_a_pair_a_scan_updates_twice_is_two_objects():
    """The sequential test on a pair: scans updating one track with a detection in the other's
    gate add ln((2 - p) / (2 (1 - p))) each; two scans updating both (two detections: two
    objects, or one and a false alarm) make the pair two objects for good."""
    from lookout.tracking.config import TrackerConfig
    from lookout.tracking.duplicates import Duplicates
    from lookout.tracking.store import TrackStore

    cfg = TrackerConfig()
    tracks = TrackStore()
    xm = np.zeros((2, 3, 10))
    Pm = np.tile(np.eye(10), (2, 3, 1, 1))
    mu = np.tile([0.0, 1.0, 0.0], (2, 1))
    tracks.add(xm, Pm, mu, 0.0, 3, 20.0, 10.0)
    tracks.confirmed[:2] = True
    tracks.pd_run = np.full((tracks.xm.shape[0], 1), 0.9)
    dup = Duplicates(cfg, tracks)
    cand = np.arange(2)
    ok = np.ones((2, 2), dtype=bool)
    xbar, Pbar = np.zeros((2, 6)), np.tile(np.eye(6), (2, 1, 1))
    one = (np.array([0]), np.array([0]))
    gone, merges = dup.note(None, cand, ok[:, :1], *one, xbar, Pbar, 0)
    assert gone.tolist() == [1] and not merges
    assert dup.pairs[(1, 2)][0] == pytest.approx(np.log(1.1 / 0.2))
    both = (np.array([0, 1]), np.array([0, 1]))
    for _ in range(2):
        gone, merges = dup.note(None, cand, ok, *both, xbar, Pbar, 0)
        assert gone.size == 0 and not merges
    assert (1, 2) in dup.resolved and (1, 2) not in dup.pairs
    gone, merges = dup.note(None, cand, ok[:, :1], *one, xbar, Pbar, 0)
    assert gone.size == 0 and not merges
    # A fresh pair, one detection a scan: merged once the evidence reaches ln 10^6 (9 scans).
    dup = Duplicates(cfg, tracks)
    for k in range(9):
        gone, merges = dup.note(None, cand, ok[:, :1], *one, xbar, Pbar, 0)
        assert bool(merges) == (k == 8), k
    assert merges == [(0, 1)]


def test_a_track_born_where_a_confirmed_one_was_takes_its_objects_detections():
    """A track born (no parent) on a detection inside the position gate of a confirmed track
    that the scan did not update is suspected of having taken the older one's object: each
    radar scan that updates the younger, confirmed, and not the older counts as a miss of the
    older at its last ``Pd`` (``gone``); one born outside that gate is not."""
    from lookout.tracking.config import TrackerConfig
    from lookout.tracking.duplicates import Duplicates
    from lookout.tracking.store import TrackStore

    cfg = TrackerConfig()
    tracks = TrackStore()
    xm = np.zeros((1, 3, 10))
    Pm = np.tile(np.eye(10), (1, 3, 1, 1))
    mu = np.array([[0.0, 1.0, 0.0]])
    tracks.add(xm, Pm * 100.0**2, mu, 0.0, 3, 20.0, 10.0)
    tracks.confirmed[0] = True
    near, far = xm.copy(), xm.copy()
    near[:, :, 0], far[:, :, 0] = 300.0, 3000.0
    tracks.add(np.concatenate([near, far]), np.tile(Pm * 10.0**2, (2, 1, 1, 1)),
               np.tile(mu, (2, 1)), 1.0, 1, 0.0, 10.0)  # fmt: skip
    tracks.pd_run = np.full((tracks.xm.shape[0], 1), 0.9)
    dup = Duplicates(cfg, tracks)
    cand = np.array([0])
    xbar, Pbar = np.zeros((1, 6)), np.tile(np.eye(6) * 100.0**2, (1, 1, 1))
    dup.born(None, np.array([1, 2]), cand, np.zeros(0, dtype=np.int64), xbar, Pbar)
    assert list(dup.pairs) == [(1, 2)]
    # Confirmed, the younger takes a detection the older's gate does not hold.
    tracks.confirmed[1] = True
    cand = np.array([0, 1])
    ok = np.array([[False], [True]])
    xbar2, Pbar2 = np.zeros((2, 6)), np.tile(np.eye(6), (2, 1, 1))
    gone, merges = dup.note(None, cand, ok, np.array([1]), np.array([0]), xbar2, Pbar2, 0)
    assert gone.tolist() == [0] and not merges
    # The older updated instead: nothing of the younger is lost.
    ok = np.array([[True], [False]])
    gone, merges = dup.note(None, cand, ok, np.array([0]), np.array([0]), xbar2, Pbar2, 0)
    assert gone.size == 0 and not merges
