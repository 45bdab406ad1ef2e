"""System-track management of the common picture (``lookout.picture.fusion``): one object,
one system track, whatever the partners' own trackers make of it.

The measurement-level tracker is replaced here by a scripted one (its reports are given), so
each test sets exactly the tracks the fusion must reconcile; the fusion's own logic (local-track
assignment, redundancy, grouping, ids) is the real one. The end-to-end picture on real flights
is in ``tests/test_demo.py``.
"""

from __future__ import annotations

import asyncio
import dataclasses

import msgspec
import numpy as np
import pytest

from lookout.exchange.clock import SimClock
from lookout.exchange.keys import Keyring, derive_key
from lookout.exchange.memory import MemoryBus
from lookout.messages import Detection, Heartbeat, LocalTrack, LocalTrackBatch
from lookout.node import PartnerNode
from lookout.picture.fusion import (
    KEEP_GATE_CHI2,
    LOCAL_GATE_CHI2,
    LOCAL_UNHELD_S,
    MERGE_GATE_CHI2,
    MERGE_KEEP_CHI2,
    RESOLVED_COMMON,
    RESOLVED_SCANS,
    PictureFusion,
    _d2,
    _d2_all,
)
from lookout.tracking import TrackLog

#: An object at 300 km over the Sea of Japan, flying east at 3 km/s (ECEF, m and m/s).
X0 = np.array([-3.55e6, 3.40e6, 4.26e6, -2500.0, -1500.0, 0.0])


def _P(sigma_pos=50.0, sigma_vel=1.0):
    return np.diag([sigma_pos**2] * 3 + [sigma_vel**2] * 3)


def _at(x, t):
    out = x.copy()
    out[:3] += x[3:] * t
    return out


class ScriptedTracker:
    """Stand-in for the measurement-level tracker: ``tracks[t] = [(id, x, P), ...]``."""

    def __init__(self):
        self.tracks: dict[float, list] = {}
        self.parent_of: dict[int, int] = {}
        self.mono_launches: dict[int, object] = {}  # track id -> fitted launch (tracking.mono)
        self.mono_coasting: dict[int, float] = {}  # track id -> its refit's time (s)

    def process(self, detections):
        return TrackLog.empty()

    def last_update(self, track_ids):
        seen = getattr(self, "seen", {})
        return np.array([seen.get(int(i), np.nan) for i in track_ids], dtype=float)

    def report(self, t):
        rows = self.tracks.get(round(t, 6), [])
        if not rows:
            return TrackLog.empty()
        return TrackLog(
            t=np.full(len(rows), t),
            track_id=np.array([r[0] for r in rows], dtype=np.int64),
            x=np.array([r[1] for r in rows]),
            P=np.array([r[2] for r in rows]),
            boost_prob=np.zeros(len(rows)),
            detection_index=np.full(len(rows), -1, dtype=np.int64),
            confirmed=np.ones(len(rows), dtype=bool),
        )


def _local(partner, track_id, t, x, P, sensors, boost_prob=0.0):
    return LocalTrack(
        partner=partner,
        track_id=str(track_id),
        t_ns=round(t * 1e9),
        x=[float(v) for v in x],
        P=[[float(v) for v in row] for row in P],
        boost_prob=boost_prob,
        sensors=list(sensors),
    )


def _detection(partner, sensor, t):
    """A detection message, only for the fusion to learn which sensors it receives."""
    return Detection(
        partner=partner,
        sensor_id=sensor,
        kind="radar",
        t_ns=round(t * 1e9),
        z=[1e6, 1.0, 0.5],
        R=[[1.0, 0, 0], [0, 1e-6, 0], [0, 0, 1e-6]],
        snr_db=20.0,
        sensor_pos_ecef_m=[-3.1e6, 4.0e6, 3.7e6],
    )


@pytest.fixture
def fusion():
    f = PictureFusion(latency_s=0.5)
    f.tracker = ScriptedTracker()
    # Reports start at the first whole second after the first message.
    f.ingest("KR", _detection("KR", "kr-ewr-central", 0.5))
    return f


def _run(fusion, t, locals_=(), central=()):
    """Report at ``t`` with the given local tracks and measurement-level tracks."""
    fusion.tracker.tracks[round(t, 6)] = list(central)
    out = []
    for msg in locals_:
        out += fusion.ingest(msg.partner, msg)
    out += fusion.flush()
    return {f.system_track_id: f for tt, tracks in out if abs(tt - t) < 1e-6 for f in tracks}


def test_the_gates_are_what_the_docstring_says():
    assert LOCAL_GATE_CHI2 == pytest.approx(16.27, abs=0.01)
    assert KEEP_GATE_CHI2 > LOCAL_GATE_CHI2
    assert MERGE_GATE_CHI2 == pytest.approx(22.46, abs=0.01)  # chi-square 6 dof, 99.9 %
    assert MERGE_KEEP_CHI2 > MERGE_GATE_CHI2


def test_infrared_only_track_gets_a_system_track_the_radar_track_then_takes_over(fusion):
    """An infrared-only local track (its detections are not shared) stands alone during boost;
    when the measurement-level track of the same object appears, it takes up that system
    track's id: one object, one id, never two at once."""
    ir = ("us-geo-east", "us-geo-west")
    seen = []
    for k in range(1, 6):
        t = float(k)
        pic = _run(fusion, t, [_local("US", 7, t, _at(X0, t), _P(800.0, 50.0), ir)])
        seen.append(set(pic))
    assert all(s == {"S1"} for s in seen)
    for k in range(6, 12):
        t = float(k)
        pic = _run(
            fusion,
            t,
            [_local("US", 7, t, _at(X0, t) + 300.0, _P(800.0, 50.0), ir)],
            [(101, _at(X0, t), _P())],
        )
        assert set(pic) == {"S1"}, (t, set(pic))
        assert pic["S1"].tracker_id == 101
        assert pic["S1"].local == (("US", "7"),)


def test_a_local_tracks_fitted_launch_goes_with_its_system_track(fusion):
    """A partner's track started from one satellite carries the launch its tracker fitted
    (``LocalTrack.launch``): its system track has it standing alone and once the
    measurement-level track of its object takes it up; a track without one has none."""
    from lookout.messages import LaunchFit

    launch = LaunchFit(lat_rad=0.848, lon_rad=0.798, cov_en_m2=[[4e7, 0.0], [0.0, 9e7]],
                       t_ns=0, t_sigma_s=4.0)  # fmt: skip
    ir = ("us-geo-east",)

    def mono(t):
        return msgspec.structs.replace(
            _local("US", 7, t, _at(X0, t), _P(30e3, 300.0), ir, boost_prob=1.0), launch=launch
        )

    pic = _run(fusion, 1.0, [mono(1.0)])
    assert set(pic) == {"S1"} and pic["S1"].tracker_id is None and pic["S1"].launch == launch
    pic = _run(fusion, 2.0, [mono(2.0)], [(101, _at(X0, 2.0), _P())])
    assert set(pic) == {"S1"} and pic["S1"].tracker_id == 101 and pic["S1"].launch == launch
    pic = _run(fusion, 3.0, [_local("US", 7, 3.0, _at(X0, 3.0), _P(), ir)],
               [(101, _at(X0, 3.0), _P())])  # fmt: skip
    assert pic["S1"].launch is None


def test_redundant_local_track_never_stands_alone(fusion):
    """A radar partner's local track whose detections the fusion holds adds nothing: away from
    every measurement-level track (its tracker's phantom, its lagging reentry track) it is not
    shown; next to one it is fused into it."""
    fusion.ingest("JP", _detection("JP", "jp-ewr-north", 0.5))
    pic = _run(fusion, 1.0, [_local("JP", 3, 1.0, _at(X0, 1.0), _P(), ["jp-ewr-north"])])
    assert pic == {}
    pic = _run(
        fusion,
        2.0,
        [_local("JP", 3, 2.0, _at(X0, 2.0) + 20.0, _P(), ["jp-ewr-north"])],
        [(5, _at(X0, 2.0), _P())],
    )
    assert list(pic) == ["S1"] and pic["S1"].local == (("JP", "3"),)


def test_a_partners_track_of_the_fusions_own_detections_does_not_make_it_overconfident():
    """Two partners: KR's radar feeds the measurement-level track, JP's radar too, and JP also
    shares its own track of that radar's detections, coasting since its last one 10 s ago,
    with the same error (the same detections) and a covariance its tracker made ten times
    too small. That prediction adds no information: the system track's NEES stays inside its
    chi-square bounds over seeds (world65 #02: CI took such a track at weight 0, NEES 205
    for 350 s)."""
    from lookout.scoring.functions import nees_bounds

    P_sys, P_jp = _P(500.0, 5.0), _P(50.0, 0.5)
    rng = np.random.default_rng(13)
    nees = []
    for _ in range(200):
        f = PictureFusion(latency_s=0.5)
        f.tracker = ScriptedTracker()
        f.ingest("KR", _detection("KR", "kr-ewr-central", 0.5))
        f.ingest("JP", _detection("JP", "jp-ewr-north", 0.5))
        truth = _at(X0, 15.0)
        x = truth + rng.multivariate_normal(np.zeros(6), P_sys)
        jp = msgspec.structs.replace(
            _local("JP", 3, 15.0, x, P_jp, ["jp-ewr-north"]), last_detection_ns=round(5e9)
        )
        pic = _run(f, 15.0, [jp], [(5, x, P_sys)])
        assert list(pic) == ["S1"] and pic["S1"].local == (("JP", "3"),)
        e = pic["S1"].x - truth
        nees.append(float(e @ np.linalg.solve(pic["S1"].P, e)))
    lo, hi = nees_bounds(len(nees))
    assert lo <= np.mean(nees) <= hi, np.mean(nees)


def test_partners_duplicate_is_absorbed_not_shown(fusion):
    """A partner with two tracks on one object (its own duplicate) does not make two system
    tracks, even when the second has something of its own."""
    ir = ("us-geo-east", "us-fbx-north")
    pic = _run(
        fusion,
        1.0,
        [
            _local("US", 1, 1.0, _at(X0, 1.0) + 10.0, _P(), ir),
            _local("US", 2, 1.0, _at(X0, 1.0) - 60.0, _P(), ir),
        ],
        [(9, _at(X0, 1.0), _P())],
    )
    assert list(pic) == ["S1"]
    assert pic["S1"].local == (("US", "1"),) and pic["S1"].absorbed == (("US", "2"),)


def test_association_survives_a_chance_miss_of_the_gate(fusion):
    """A local track fused with a system track stays with it through a report where the two
    disagree by more than the 99.9 % gate but less than the keep gate."""
    ir = ("us-geo-east",)
    P = _P(30.0)
    _run(fusion, 1.0, [_local("US", 4, 1.0, _at(X0, 1.0), P, ir)], [(3, _at(X0, 1.0), P)])
    off = np.zeros(6)
    off[0] = np.sqrt(0.5 * (LOCAL_GATE_CHI2 + KEEP_GATE_CHI2) * 2 * 30.0**2)
    moved = [_local("US", 4, 2.0, _at(X0, 2.0) + off, P, ir)]
    pic = _run(fusion, 2.0, moved, [(3, _at(X0, 2.0), P)])
    assert list(pic) == ["S1"] and pic["S1"].local == (("US", "4"),)


def test_reinitiated_local_track_keeps_its_system_track(fusion):
    """A partner that loses its own track and starts a new one on the same object (a new
    local id) does not make a new system track: the new one takes up the old id."""
    ir = ("us-geo-east",)
    for k in range(1, 4):
        t = float(k)
        pic = _run(fusion, t, [_local("US", 10, t, _at(X0, t), _P(500.0, 20.0), ir)])
    assert set(pic) == {"S1"}
    # Track 10 ends; track 11 starts on the same object two reports later.
    for k in range(4, 8):
        t = float(k)
        pic = _run(fusion, t, [_local("US", 11, t, _at(X0, t), _P(500.0, 20.0), ir)])
        assert set(pic) == {"S1"}, (t, set(pic))


def test_two_partners_local_only_tracks_of_one_object_are_one_system_track(fusion):
    pic = _run(
        fusion,
        1.0,
        [
            _local("US", 1, 1.0, _at(X0, 1.0), _P(400.0, 20.0), ["us-geo-east"]),
            _local("AU", 8, 1.0, _at(X0, 1.0) + 200.0, _P(400.0, 20.0), ["au-geo"]),
        ],
    )
    assert list(pic) == ["S1"]
    assert set(pic["S1"].partners) == {"US", "AU"}


def test_stage_and_payload_stay_two_system_tracks_with_their_own_local_tracks(fusion):
    """Two objects 1 km apart, each with a measurement-level track and a partner's local
    track: two system tracks, each local track fused with its own object."""
    ir = ("us-geo-east", "us-fbx-north")
    sep = np.array([1000.0, 0, 0, 3.0, 0, 0])
    P = _P(30.0, 0.3)
    for k in range(1, 5):
        t = float(k)
        pic = _run(
            fusion,
            t,
            [
                _local("US", 1, t, _at(X0, t) + 15.0, P, ir),
                _local("US", 2, t, _at(X0 + sep, t) - 15.0, P, ir),
            ],
            [(21, _at(X0, t), P), (22, _at(X0 + sep, t), P)],
        )
        assert len(pic) == 2
        by_tracker = {f.tracker_id: f for f in pic.values()}
        assert by_tracker[21].local == (("US", "1"),)
        assert by_tracker[22].local == (("US", "2"),)


def test_a_local_track_its_partner_no_longer_updates_does_not_stand_alone_for_long(fusion):
    """An infrared-only local track whose partner has lost its object (its covariance only
    grows from report to report) leaves the picture ``LOCAL_UNHELD_S`` after its last update,
    instead of being flown on as a picture of its own for minutes."""
    ir = ("us-geo-east", "us-geo-west")
    shown = []
    for k in range(1, 61):
        t = float(k)
        sigma = 500.0 if k <= 5 else 500.0 + 40.0 * (k - 5)  # updated until t = 5, then not
        pic = _run(fusion, t, [_local("US", 88, t, _at(X0, t), _P(sigma, 20.0), ir)])
        shown.append(bool(pic))
    assert all(shown[: 5 + int(LOCAL_UNHELD_S)])
    assert not any(shown[6 + int(LOCAL_UNHELD_S) :])


def test_a_local_track_coasting_on_its_fitted_boost_stays_in_the_picture_till_it_ends(fusion):
    """A one-satellite track coasting on the boost its tracker fitted (``coasting_on_fit``) is
    a predicted flight, not an object lost: unseen since burnout, its covariance only grows,
    and it stands alone for as long as its partner sends it (world61 #02's IRBM left every
    partner's picture 30 s after its burnout, minutes before its impact); when its partner's
    tracker ends it (at impact) it leaves. The same track not so marked leaves
    ``LOCAL_UNHELD_S`` after its last update, as before."""
    from lookout.messages import LaunchFit

    launch = LaunchFit(lat_rad=0.848, lon_rad=0.798, cov_en_m2=[[4e7, 0.0], [0.0, 9e7]],
                       t_ns=0, t_sigma_s=4.0)  # fmt: skip
    ir = ("us-geo-east",)

    def mono(t, on_fit, track_id):
        msg = _local("US", track_id, t, _at(X0, t), _P(30e3 + 400.0 * t, 300.0), ir)
        return msgspec.structs.replace(
            msg, launch=launch, last_detection_ns=5 * 10**9 if t > 5 else round(t * 1e9),
            coasting_on_fit=on_fit and t > 5,
        )  # fmt: skip

    shown = [bool(_run(fusion, float(k), [mono(float(k), True, 7)])) for k in range(1, 121)]
    assert all(shown)
    pic = _run(fusion, 121.0, [mono(121.0, True, 7)])
    assert pic["S1"].launch == launch and pic["S1"].last_seen == 5.0  # predicted since 5 s
    assert _run(fusion, 122.0, []) == {}  # its partner's tracker ended it

    plain = PictureFusion(latency_s=0.5)
    plain.tracker = ScriptedTracker()
    plain.ingest("KR", _detection("KR", "kr-ewr-central", 0.5))
    shown = [bool(_run(plain, float(k), [mono(float(k), False, 7)])) for k in range(1, 61)]
    assert all(shown[: 5 + int(LOCAL_UNHELD_S)]) and not any(shown[6 + int(LOCAL_UNHELD_S) :])


def test_a_partner_node_says_which_local_tracks_coast_on_their_fitted_boost():
    """A node's one-satellite track coasting on its refit (``Tracker.mono_coasting``: the
    refit's time, no detection since) goes out with ``coasting_on_fit``; once a sensor has
    updated it, not (its fitted launch goes with it either way)."""
    from types import SimpleNamespace

    tracker = ScriptedTracker()
    tracker.tracks[10.0] = tracker.tracks[11.0] = [(7, X0, _P(30e3, 300.0))]
    tracker.mono_launches = {
        7: SimpleNamespace(
            lat=0.848, lon=0.798, cov_en=np.diag([4e7, 9e7]), t_launch=0.0, t_sigma=4.0
        )
    }
    tracker.mono_coasting = {7: 7.5}
    node, sent = _capturing_node(tracker)
    tracker.seen = {7: 7.5}  # its last line of sight, the refit's time
    asyncio.run(node._publish_tracks(10.0))
    tracker.seen = {7: 10.8}  # a radar took it
    asyncio.run(node._publish_tracks(11.0))
    coasting, seen = [track for batch in sent for track in batch.tracks]
    assert coasting.coasting_on_fit and coasting.launch is not None
    assert not seen.coasting_on_fit and seen.launch == coasting.launch


def _run_central(fusion, t, central):
    """Report at ``t`` with only measurement-level tracks (a detection message moves the
    fusion's clock to ``t``)."""
    fusion.tracker.tracks[round(t, 6)] = list(central)
    out = fusion.ingest("KR", _detection("KR", "kr-ewr-central", t)) + fusion.flush()
    return {f.system_track_id: f for tt, tracks in out if abs(tt - t) < 1e-6 for f in tracks}


def test_two_tracker_tracks_of_one_object_are_one_system_track_with_a_stable_id(fusion):
    """The measurement-level tracker holds a second track of one object (born on detections
    the first missed): the picture shows one system track, under the older id, fused from both;
    when the tracker drops the older track, the younger carries on under the same id."""
    rng = np.random.default_rng(3)
    P = _P(200.0, 20.0)
    seen = []
    for k in range(1, 31):
        t = float(k)
        # Both tracks' errors drawn from their own covariances: a consistent pair.
        x1 = _at(X0, t) + rng.multivariate_normal(np.zeros(6), P)
        x2 = _at(X0, t) + rng.multivariate_normal(np.zeros(6), P)
        central = [(5, x1, P)] if k <= 20 else []
        if k >= 4:
            central.append((9, x2, P))
        pic = _run_central(fusion, t, central)
        seen.append(sorted(pic))
        if 4 <= k <= 20:
            assert pic["S1"].merged == (9,)
            assert pic["S1"].tracker_id == 5
            # Covariance intersection of the two: no larger than either.
            assert np.trace(pic["S1"].P[:3, :3]) <= np.trace(P[:3, :3]) * (1 + 1e-9)
    assert all(ids == ["S1"] for ids in seen)
    assert fusion.counters.tracks_merged == 17


def test_a_resolved_second_object_is_not_merged(fusion):
    """Two tracks 3 km apart under sigmas of 200 m (a stage drifting from its payload): two
    system tracks, whatever their history."""
    P = _P(200.0, 20.0)
    sep = np.array([3000.0, 0, 0, 0, 0, 0])
    for k in range(1, 6):
        t = float(k)
        pic = _run_central(fusion, t, [(5, _at(X0, t), P), (9, _at(X0 + sep, t), P)])
        assert len(pic) == 2
        assert all(f.merged == () for f in pic.values())


def test_a_piece_born_next_to_a_track_names_that_system_track_as_its_parent(fusion):
    """A measurement-level track the tracker started next to another (a stage seen
    separating) carries that track's system id, for the assessment to take its launch point."""
    P = _P(200.0, 20.0)
    sep = np.array([3000.0, 0, 0, 0, 0, 0])
    fusion.tracker.parent_of[9] = 5
    for k in range(1, 4):
        t = float(k)
        pic = _run_central(fusion, t, [(5, _at(X0, t), P), (9, _at(X0 + sep, t), P)])
        by_tracker = {f.tracker_id: f for f in pic.values()}
        assert by_tracker[9].parent == by_tracker[5].system_track_id
        assert by_tracker[5].parent is None


def test_a_plume_seen_by_a_partners_infrared_track_is_thrust_in_the_system_track(fusion):
    """The measurement-level tracker has no infrared (shared as tracks only): a system track
    fused with an infrared local track that sees the plume is boosting, whatever the radar-only
    track's mode says; a local track of sensors the fusion measures itself adds nothing."""
    for k in range(1, 3):
        t = float(k)
        radar = _local("KR", 3, t, _at(X0, t), _P(800.0, 50.0), ["kr-ewr-central"], 0.99)
        (f,) = _run(fusion, t, [radar], [(101, _at(X0, t), _P())]).values()
        assert f.local == (("KR", "3"),) and f.boost_prob == pytest.approx(0.0)
    ir = ("us-geo-east", "us-geo-west")
    for k in range(3, 6):
        t = float(k)
        plume = _local("US", 7, t, _at(X0, t), _P(800.0, 50.0), ir, boost_prob=0.99)
        (f,) = _run(fusion, t, [plume], [(101, _at(X0, t), _P())]).values()
        assert ("US", "7") in f.local and f.boost_prob == pytest.approx(0.99)


def test_a_merged_pair_that_resolves_splits_again(fusion):
    """A stage separating from its payload: one system track while the two tracks cannot be
    told apart, two once their states differ beyond the keep gate, the payload keeping its id."""
    P = _P(100.0, 30.0)
    counts = []
    for k in range(1, 41):
        t = float(k)
        drift = np.array([30.0 * k, 0, 0, 30.0, 0, 0])  # 30 m/s apart
        pic = _run_central(fusion, t, [(5, _at(X0, t), P), (9, _at(X0, t) + drift, P)])
        counts.append(len(pic))
        assert "S1" in pic and pic["S1"].tracker_id == 5
    assert counts[0] == 1 and counts[-1] == 2
    # Merged past the 99.9 % gate (kept), split past the keep gate; one split, no flicker.
    assert counts.index(2) == 28  # k = 29: (870 m)² / 2·(100 m)² + (30 m/s)² / 2·(30 m/s)² > 38.26
    assert sum(a != b for a, b in zip(counts, counts[1:], strict=False)) == 1


def test_two_tracks_one_scan_updated_both_are_two_objects(fusion):
    """A stage 150 m from its payload, inside the merge gate of sigmas of 200 m: the radar's
    scans give two detections, one per track, so the sensor resolves them and the picture
    keeps two system tracks. Once the scans update only one of them (the second track is a
    duplicate of one object), they merge when fewer than ``RESOLVED_COMMON`` of the sensor's
    last ``RESOLVED_SCANS`` scans updated both."""
    P = _P(200.0, 20.0)
    sep = np.array([150.0, 0, 0, 0, 0, 0])
    plan: dict[int, list[int]] = {}  # detection time (ns) -> the tracks its detections update
    fed = [0]  # detections given so far: the tracker's detection indices count them all

    def process(detections):
        rows = [
            (fed[0] + i, plan[d.t_ns].pop(0)) for i, d in enumerate(detections) if plan.get(d.t_ns)
        ]
        fed[0] += len(detections)
        k = len(rows)
        return TrackLog(
            t=np.zeros(k),
            track_id=np.array([tid for _, tid in rows], dtype=np.int64),
            x=np.zeros((k, 6)),
            P=np.zeros((k, 6, 6)),
            boost_prob=np.zeros(k),
            detection_index=np.array([i for i, _ in rows], dtype=np.int64),
            confirmed=np.ones(k, dtype=bool),
        )

    fusion.tracker.process = process
    counts = []
    for k in range(1, 21):
        t = float(k)
        fusion.tracker.tracks[round(t, 6)] = [(5, _at(X0, t), P), (9, _at(X0 + sep, t), P)]
        both = k <= 8
        # Two scans per report: at t - 0.5 two detections (payload and stage) or one, at t one.
        plan[round((t - 0.5) * 1e9)] = [5, 9] if both else [5]
        plan[round(t * 1e9)] = [5]
        out = []
        for _ in range(2 if both else 1):
            out += fusion.ingest("KR", _detection("KR", "kr-ewr-central", t - 0.5))
        out += fusion.ingest("KR", _detection("KR", "kr-ewr-central", t))
        out += fusion.flush()
        pic = {f.system_track_id for tt, tr in out if abs(tt - t) < 1e-6 for f in tr}
        counts.append(len(pic))
    # One scan of two detections at the first report is not yet two; the second makes it two.
    assert counts[:8] == [1] + [2] * 7
    # Scans every 0.25 s (two per report): the last common one leaves the window after
    # RESOLVED_SCANS scans, and the pair merges.
    # The payload's track keeps its last RESOLVED_SCANS updates (7 s to 9 s at the report at
    # 9 s): one of them, 7.5 s, common with the stage's; one is not two, the pair merges.
    assert (RESOLVED_SCANS, RESOLVED_COMMON) == (5, 2) and counts.index(1, 1) == 8
    assert counts[8:] == [1] * 12


def test_the_object_keeps_its_id_when_a_merged_track_drifts_off(fusion):
    """The tracker's older track of a missile is the vaguer one and later drifts off it (a track
    left in boost mode after burnout): while merged, the system id goes with the sharper track,
    so when the older one leaves, it leaves under a new id and the missile keeps S1."""
    vague, sharp = _P(300.0, 30.0), _P(100.0, 10.0)
    for k in range(1, 31):
        t = float(k)
        drift = np.zeros(6) if k <= 10 else np.array([0, 0, 0, 80.0 * (k - 10), 0, 0])
        central = [(5, _at(X0, t) + drift, vague)] + ([(9, _at(X0, t), sharp)] if k >= 3 else [])
        pic = _run_central(fusion, t, central)
        by_tracker = {f.tracker_id: f.system_track_id for f in pic.values()}
        if k < 3:
            assert by_tracker == {5: "S1"}
        elif k <= 10:
            assert by_tracker == {9: "S1"} and pic["S1"].merged == (5,)
    assert by_tracker == {9: "S1", 5: "S2"}


def test_a_piece_separating_never_takes_its_elders_id_nor_its_local_tracks(fusion):
    """A payload's separation (satellite-launch at 826 s): the tracker starts a track on the
    spent stage next to the payload's (``parent_of``), from its estimate but sharper, and the
    two are merged for the one report before they part. The payload keeps its id and its
    partner's local track through the merge and after; the stage leaves under a new id with
    its own local track (with the id going to the sharper track, the stage took the payload's
    id and local track and kept them: the partners' coast RMSE 8.2x the PCRLB)."""
    vague, sharp = _P(300.0, 2.0), _P(100.0, 1.0)
    fusion.tracker.parent_of[9] = 5
    for k in range(1, 21):
        t = float(k)
        payload = _at(X0, t)
        # Born at k = 3 on the payload's state, 15 m/s behind it from the next report on.
        behind = np.array([-15.0 * (k - 3), 0, 0, -15.0 if k > 3 else 0.0, 0, 0])
        central = [(5, payload, vague)] + ([(9, payload + behind, sharp)] if k >= 3 else [])
        locals_ = [_local("KR", 1, t, payload, vague, ["kr-ewr-central"])]
        if k >= 4:
            locals_.append(_local("KR", 2, t, payload + behind, sharp, ["kr-ewr-central"]))
        pic = _run(fusion, t, locals_, central)
        assert pic["S1"].tracker_id == 5, k
        assert pic["S1"].local == (("KR", "1"),), k
        if k == 3:
            assert pic["S1"].merged == (9,) and len(pic) == 1
        if k >= 4:
            assert pic["S2"].tracker_id == 9 and pic["S2"].parent == "S1", k
            assert pic["S2"].local == (("KR", "2"),), k


def test_a_plume_track_held_by_a_piece_merged_into_its_stack_stays_with_the_stack(fusion):
    """satellite-launch at the second stage's burnout (651 s): the tracker's new track of the
    spent stage (born next to the stack's, ``parent_of``) is merged into it for the report
    before a sensor resolves them; the partner's plume track, still flying the stage's
    thrust, is out of the keep gate of the stack's track but inside the gate of the merged
    piece's. The group is one object for the report: the plume track stays fused into it, no
    system track of its own (which was every view's fifth, and the stage's id switch)."""
    ir = ("us-geo-east", "us-ship")
    P, P_ir = _P(30.0, 2.0), _P(10.0, 2.0)
    off_piece, off_ir = np.zeros(6), np.zeros(6)
    off_piece[0], off_ir[0] = 100.0, 180.0
    fusion.tracker.parent_of[9] = 5
    for k in range(1, 5):
        t = float(k)
        stack = _at(X0, t)
        central = [(5, stack, P)] + ([(9, stack + off_piece, P)] if k == 3 else [])
        plume = stack + (off_ir if k == 3 else 0.0)
        pic = _run(fusion, t, [_local("US", 4, t, plume, P_ir, ir, boost_prob=0.99)], central)
        if k == 3:
            # The premise: out of the stack's keep gate, inside the piece's new-pair gate, and
            # the two tracks one object by the merge test.
            assert _d2((plume, P_ir), stack, P) > KEEP_GATE_CHI2
            assert _d2((plume, P_ir), stack + off_piece, P) < LOCAL_GATE_CHI2
            assert pic["S1"].merged == (9,)
        assert list(pic) == ["S1"], k
        assert pic["S1"].tracker_id == 5 and pic["S1"].local == (("US", "4"),), k


def test_a_stack_seen_alone_keeps_its_id_on_the_piece_ahead_when_its_pieces_appear_at_once(
    fusion,
):
    """srbm-salvo's three id switches in the partners' pictures: a missile seen by a partner's
    infrared alone stands alone (S1) through its burn; 2 s after burnout, its spent stage 0.8
    km behind, the radars' first tracks of the two are confirmed in one report, neither born
    next to the other. The infrared track, a prediction since the plume went out, lags (the
    boost mode's drag and thrust priors) and is assigned to the stage's track, which took the
    missile's id through it; the missile came up as S2. The id goes to the piece ahead along
    the stack's velocity (the stage falls behind, as the tracker orders its siblings), the
    stage comes up as a piece of it, and each keeps its id after."""
    ir = ("us-geo-east", "us-geo-west")
    u = np.concatenate([X0[3:] / np.linalg.norm(X0[3:]), np.zeros(3)])
    for k in range(1, 6):
        t = float(k)
        pic = _run(fusion, t, [_local("US", 7, t, _at(X0, t), _P(900.0, 60.0), ir)])
        assert set(pic) == {"S1"}
    for k in range(6, 12):
        t = float(k)
        payload = _at(X0, t)
        # The stage falling behind, slowed by the air (srbm-salvo's: 470 m/s 2 s after).
        stage = payload - 400.0 * (k - 4) * u - 400.0 * np.roll(u, 3)
        lagging = payload - 1500.0 * u  # the stack's prediction, behind both
        pic = _run(
            fusion,
            t,
            [_local("US", 7, t, lagging, _P(1500.0, 60.0), ir)],
            [(31, stage, _P(250.0, 30.0)), (32, payload, _P(250.0, 30.0))],
        )
        by_tracker = {f.tracker_id: f for f in pic.values()}
        if k == 6:  # the cause: the lagging prediction is nearer the stage's track
            local = (lagging, _P(1500.0, 60.0))
            assert _d2(local, stage, _P(250.0, 30.0)) < _d2(local, payload, _P(250.0, 30.0))
            assert by_tracker[31].local == (("US", "7"),)
        assert by_tracker[32].system_track_id == "S1", k
        assert by_tracker[31].system_track_id == "S2", k
        assert by_tracker[31].parent == "S1" and by_tracker[32].parent is None


def test_pieces_born_in_the_wrong_order_pass_the_stacks_id_once_their_order_is_clear(fusion):
    """gen-1-04: the radars' first tracks of a missile and its stage were born 0.8 km apart with
    sigmas of 0.9 km, the stage's track ahead (0.6 sigma) for its first two reports; then each
    track settled on its piece, the missile's ahead by 2.3 sigmas. The stack's id, given to
    the piece ahead at birth, passes once to the one surely ahead (``HEIR_SWAP_SIGMAS``) and
    stays there; the pieces' order once settled (``HEIR_SURE_SIGMAS``) is not revisited."""
    ir = ("us-geo-east", "us-geo-west")
    u = np.concatenate([X0[3:] / np.linalg.norm(X0[3:]), np.zeros(3)])
    for k in range(1, 6):
        t = float(k)
        _run(fusion, t, [_local("US", 7, t, _at(X0, t), _P(900.0, 60.0), ir)])
    sigma = 600.0  # each track's, per axis: 850 m for their difference
    holders = []
    for k in range(6, 16):
        t = float(k)
        payload = _at(X0, t)
        # Track 41 ends on the stage, 42 on the payload; at their first two reports 41 is
        # ahead by 400 m, then 42 by 2 km, growing 600 m a second.
        lead = -400.0 if k < 8 else 2000.0 + 600.0 * (k - 8)
        t41 = payload - lead * u - 400.0 * np.roll(u, 3)
        pic = _run(
            fusion,
            t,
            [_local("US", 7, t, payload - 1500.0 * u, _P(1500.0, 60.0), ir)],
            [(41, t41, _P(sigma, 30.0)), (42, payload, _P(sigma, 30.0))],
        )
        by_tracker = {f.tracker_id: f.system_track_id for f in pic.values()}
        holders.append(by_tracker)
    assert holders[0] == {41: "S1", 42: "S2"} and holders[1] == holders[0]
    assert all(h == {41: "S2", 42: "S1"} for h in holders[2:]), holders


def test_a_local_track_updated_by_a_shared_sensor_starts_no_system_track(fusion):
    """srbm-salvo's 30 s duplicate in the partners' pictures: the US node's track of a missile,
    infrared until burnout and then coasting unseen for a minute (fused into a system track
    through its growing gate), took one detection of the US radar, whose detections the
    fusion has, and left every gate with a state 600 m off along the radar's 5 m range sigma.
    Its infrared was a minute old, its update was the radar's: it has nothing of its own
    lately and starts no system track. The same update from a sensor the fusion lacks does."""
    sensors = ("us-geo-east", "us-fbx-west")

    def jump(f, t_det):
        for k in range(1, 6):
            t = float(k)
            msg = _local("US", 9, t, _at(X0, t), _P(900.0, 60.0), sensors)
            msg = msgspec.structs.replace(msg, last_detection_ns=700_000_000)  # its burnout
            pic = _run(f, t, [msg], [(11, _at(X0, t), _P())])
            assert set(pic) == {"S1"} and pic["S1"].local == (("US", "9"),)
        f.ingest("US", _detection("US", "us-fbx-west", 5.6))
        # One precise update 600 m off the object's track: outside every gate.
        x = _at(X0, 6.0) + np.array([600.0, 0, 0, 0, 0, 0])
        msg = _local("US", 9, 6.0, x, np.diag([25.0, 259.0**2, 259.0**2, 400.0, 400.0, 400.0]),
                     sensors)  # fmt: skip
        msg = msgspec.structs.replace(msg, last_detection_ns=round(t_det * 1e9))
        return _run(f, 6.0, [msg], [(11, _at(X0, 6.0), _P())])

    pic = jump(fusion, 5.6)  # the radar's detection at 5.6 s updated it
    assert set(pic) == {"S1"} and pic["S1"].local == ()
    other = PictureFusion(latency_s=0.5)
    other.tracker = ScriptedTracker()
    other.ingest("KR", _detection("KR", "kr-ewr-central", 0.5))
    pic = jump(other, 5.7)  # no shared detection then: its own sensor's
    assert set(pic) == {"S1", "S2"} and pic["S2"].local == (("US", "9"),)


def test_one_false_alarm_taken_by_a_stale_track_does_not_split_a_merged_pair(fusion):
    """A stale track of the missile (no detection for a while, a covariance of kilometres) is
    merged with the live one; one scan then gives it a false alarm while the live track takes
    the missile's detection. One common scan is not a resolved second object: still one."""
    stale, live = _P(5000.0, 100.0), _P(100.0, 10.0)
    plan: dict[int, list[int]] = {}
    fed = [0]

    def process(detections):
        rows = [(fed[0] + i, plan[d.t_ns].pop(0)) for i, d in enumerate(detections)
                if plan.get(d.t_ns)]  # fmt: skip
        fed[0] += len(detections)
        k = len(rows)
        return TrackLog(
            t=np.zeros(k), track_id=np.array([r[1] for r in rows], dtype=np.int64),
            x=np.zeros((k, 6)), P=np.zeros((k, 6, 6)), boost_prob=np.zeros(k),
            detection_index=np.array([r[0] for r in rows], dtype=np.int64),
            confirmed=np.ones(k, dtype=bool),
        )  # fmt: skip

    fusion.tracker.process = process
    for k in range(1, 16):
        t = float(k)
        fusion.tracker.tracks[round(t, 6)] = [(5, _at(X0, t), stale), (9, _at(X0, t), live)]
        plan[round((t - 0.5) * 1e9)] = [9, 5] if k == 8 else [9]
        dets = 2 if k == 8 else 1
        out = []
        for _ in range(dets):
            out += fusion.ingest("KR", _detection("KR", "kr-ewr-central", t - 0.5))
        plan[round(t * 1e9)] = [9]
        out += fusion.ingest("KR", _detection("KR", "kr-ewr-central", t))
        out += fusion.flush()
        pic = {f.system_track_id for tt, tr in out if abs(tt - t) < 1e-6 for f in tr}
        assert len(pic) == 1, k


def test_the_batched_chi_square_is_each_pairs_bit_for_bit():
    """``_d2_all`` (every local track against every system track in one batch) gives each
    pair's ``_d2``, bit for bit, and inf for a singular pair."""
    rng = np.random.default_rng(3)
    x = X0 + rng.normal(size=(7, 6)) * np.array([3e3] * 3 + [30.0] * 3)
    A = rng.normal(size=(7, 6, 6)) * np.array([300.0] * 3 + [5.0] * 3)[:, None]
    P = A @ np.swapaxes(A, 1, 2) + np.eye(6)
    locals_ = [(X0 + rng.normal(size=6) * 1e3, P[k] * rng.uniform(0.5, 4.0)) for k in range(5)]
    want = np.array([[_d2(lt, x[i], P[i]) for i in range(7)] for lt in locals_])
    assert _d2_all(locals_, x, P).tobytes() == want.tobytes()
    P[3] = 0.0
    locals_[1] = (locals_[1][0], np.zeros((6, 6)))
    got = _d2_all(locals_, x, P)
    assert np.isinf(got[1, 3]) and np.isfinite(got[0, 0])
    want = np.array([[_d2(lt, x[i], P[i]) for i in range(7)] for lt in locals_])
    assert np.array_equal(got, want)


def test_a_system_track_says_when_a_sensor_last_saw_its_object(fusion):
    """A track coasting unseen (its object out of every sensor's coverage) is reported with the
    time of its last detection, in the fused track and in the ``SystemTrack`` message, so a
    reader can tell a state seen a second ago from one predicted for minutes; a local track
    standing alone, with its partner's last update of it."""
    from lookout.picture.common import CommonPicture

    fusion.tracker.seen = {11: 2.5}
    tick = [_detection("KR", "kr-ewr-central", 3.0)]
    pic = _run(fusion, 3.0, tick, central=[(11, _at(X0, 3.0), _P())])
    (radar,) = pic.values()
    assert radar.last_seen == 2.5
    tick = [_detection("KR", "kr-ewr-central", 4.0)]
    pic = _run(fusion, 4.0, tick, central=[(11, _at(X0, 4.0), _P())])
    assert pic[radar.system_track_id].last_seen == 2.5
    ir = ("us-geo-east", "us-geo-west")
    far = _at(X0, 4.0) + np.array([5e5, 0, 0, 0, 0, 0])
    pic = _run(fusion, 5.0, [_local("US", 7, 5.0, far, _P(800.0, 50.0), ir)],
               central=[(11, _at(X0, 5.0), _P())])  # fmt: skip
    alone = next(f for f in pic.values() if f.tracker_id is None)
    assert alone.last_seen == 5.0
    # (The scripted tracker names no partner; a system track needs one.)
    fused = dataclasses.replace(pic[radar.system_track_id], partners=("KR",))
    (st,) = CommonPicture().publish(6.0, [fused])
    assert st.last_detection_ns == 2_500_000_000


def test_a_dropped_tracks_id_passes_to_the_new_track_of_its_object(fusion):
    """The tracker drops a track its radars no longer see (it lost its object at an ignition)
    a moment after the object's new track was born next to it, before the two merged: the
    object keeps the id the partners saw (and its launch point), the new track's own goes."""
    for k in range(1, 4):
        t = float(k)
        central = [(11, _at(X0, t), _P(2000.0, 30.0))]  # stale: unseen, its sigma grown
        if k >= 2:
            central.append((12, _at(X0, t) + np.array([3e3, 0, 0, 600.0, 0, 0]), _P(50.0, 5.0)))
        pic = _run(fusion, t, [_detection("KR", "kr-ewr-central", t)], central)
    assert set(pic) == {"S1", "S2"}
    new = (12, _at(X0, 4.0) + np.array([3.6e3, 0, 0, 600.0, 0, 0]), _P(50.0, 5.0))
    pic = _run(fusion, 4.0, [_detection("KR", "kr-ewr-central", 4.0)], [new])
    assert set(pic) == {"S1"} and pic["S1"].tracker_id == 12
    # A track far from where the dropped one was predicted keeps its own id.
    far = _at(X0, 5.0) + np.array([5e5, 0, 0, 0, 0, 0])
    pic = _run(fusion, 5.0, [_detection("KR", "kr-ewr-central", 5.0)],
               [(12, _at(X0, 5.0) + np.array([4.2e3, 0, 0, 600.0, 0, 0]), _P(50.0, 5.0)),
                (13, far, _P())])  # fmt: skip
    pic = _run(fusion, 6.0, [_detection("KR", "kr-ewr-central", 6.0)],
               [(13, far + np.array([0, 0, 0, 0, 0, 0]), _P())])  # fmt: skip
    assert set(pic) == {"S3"}


def test_a_local_track_its_partner_stopped_updating_starts_no_system_track(fusion):
    """A partner's infrared local track of a missile, fused into the measurement-level track
    of it, stops being updated (its covariance grows: the partner only predicts it); when the
    measurement-level track is dropped, the stale local track does not stand alone as a new
    system track (gen-1-05: such a one claimed an impact in KP)."""
    ir = ("us-geo-east", "us-geo-west")
    for k in range(1, 7):
        t = float(k)
        local = _local("US", 7, t, _at(X0, t), _P(800.0 * (1.0 + 0.2 * max(k - 1, 0)), 50.0), ir)
        central = [(11, _at(X0, t), _P())] if k <= 5 else []
        pic = _run(fusion, t, [local], central)
        if k <= 5:
            assert set(pic) == {"S1"}, (k, set(pic))
    assert pic == {}


def test_a_local_track_coasting_down_is_not_taken_for_updated_when_its_partner_says_not(fusion):
    """A partner's infrared local track lost at burnout coasts down through the air, where
    drag makes its covariance shrink from report to report although nothing updates it. Its
    partner says when it last saw the object (``last_detection_ns``): the track, unseen for
    minutes, starts no system track (gen-1-05: the US node's track 235, lost at 175 s, taken
    for updated at 243 s from its shrinking covariance, stood alone as S6 and claimed an
    impact in KP). Without that field the fusion guesses from the covariance, as before."""
    ir = ("us-geo-east", "us-geo-west")
    told, untold = [], []
    for k in range(1, 11):
        t = 240.0 + k
        P = _P(10_000.0 - 50.0 * k, 200.0)  # shrinking: drag, not an update
        msg = _local("US", 235, t, _at(X0, t), P, ir)
        msg = msgspec.structs.replace(msg, last_detection_ns=175 * 10**9)
        told.append(bool(_run(fusion, t, [msg])))
    fresh = PictureFusion(latency_s=0.5)
    fresh.tracker = ScriptedTracker()
    fresh.ingest("KR", _detection("KR", "kr-ewr-central", 240.5))
    for k in range(1, 11):
        t = 240.0 + k
        msg = _local("US", 235, t, _at(X0, t), _P(10_000.0 - 50.0 * k, 200.0), ir)
        untold.append(bool(_run(fresh, t, [msg])))
    assert not any(told)
    assert all(untold)  # the covariance guess is fooled


def _capturing_node(tracker):
    """A US partner node publishing everything from ``tracker``, its messages kept in ``sent``."""

    class Everything:
        def may_publish(self, partner, message):
            return True

    node = PartnerNode("US", derive_key(1, "US"), Keyring.derived(1, ["US"]), Everything(),
                       MemoryBus(), SimClock(0))  # fmt: skip
    node.tracker = tracker
    sent = []

    async def capture(message):
        sent.append(message)

    node._send = capture
    return node, sent


def test_a_partner_node_says_when_it_last_updated_each_local_track():
    """A node's ``LocalTrack`` carries its tracker's last update of the track
    (``last_detection_ns``), which the fusion takes as the time its partner last saw the
    object."""
    tracker = ScriptedTracker()
    tracker.tracks[10.0] = [(7, X0, _P())]
    tracker.seen = {7: 7.5}
    node, sent = _capturing_node(tracker)
    asyncio.run(node._publish_tracks(10.0))
    (batch,) = sent  # the report, in one envelope
    (msg,) = batch.tracks
    assert isinstance(msg, LocalTrack) and msg.last_detection_ns == 7_500_000_000


def test_a_nodes_report_goes_in_as_few_envelopes_as_the_exchange_takes():
    """A report's local tracks go in batches of at most ``MAX_REPORT_TRACKS``, in order, each
    envelope within the exchange's size limit (tracks with long sensor lists are split
    further) and accepted by its verifier; a report of no track sends nothing."""
    from lookout.exchange.envelope import Sealer
    from lookout.exchange.verify import MAX_BYTES, Verifier
    from lookout.node import MAX_REPORT_TRACKS, report_batches

    def tracks(n, sensors):
        return [_local("US", k, 10.0, _at(X0, 10.0), _P(), sensors) for k in range(n)]

    small = tracks(150, ["us-tpy"])
    batches = report_batches("US", small[0].t_ns, small)
    assert [len(b.tracks) for b in batches] == [MAX_REPORT_TRACKS, MAX_REPORT_TRACKS, 22]
    # Some 8 kB each: eight do not fit in one envelope.
    wide = tracks(40, [f"us-sensor-{k:03d}-{'x' * 24}" for k in range(200)])
    batches = report_batches("US", wide[0].t_ns, wide)
    assert [t for b in batches for t in b.tracks] == wide and len(batches) > 5
    clock = SimClock(wide[0].t_ns)
    sealer = Sealer("US", derive_key(1, "US"), clock)
    verifier = Verifier(Keyring.derived(1, ["US"]), clock)
    for b in batches:
        subject, data = sealer.seal_for_bus(b)
        assert len(data) <= MAX_BYTES
        assert verifier.check(data, subject_sender="US", subject_type="local_track_batch").accepted
    assert report_batches("US", 0, []) == []


def test_a_report_in_one_envelope_makes_the_picture_its_tracks_make_one_by_one():
    """The fusion takes a ``LocalTrackBatch`` as its tracks sent alone, in order: the same
    system tracks, states and reports, whatever the envelopes (each track's arrival can
    report an instant the watermark passed, before the next track of the batch is in)."""
    ir = ("us-geo-east", "us-geo-west")

    def fresh():
        f = PictureFusion(latency_s=0.5)
        f.tracker = ScriptedTracker()
        f.ingest("KR", _detection("KR", "kr-ewr-central", 0.5))
        return f

    alone, batched = fresh(), fresh()
    outs: tuple[list, list] = ([], [])
    for k in range(1, 9):
        t = float(k)
        report = [
            _local("US", 7, t, _at(X0, t), _P(800.0, 50.0), ir),
            _local("US", 8, t, _at(X0, t) + [0.0, 0.0, 60e3, 0.0, 0.0, 0.0], _P(800.0, 50.0), ir),
        ]
        if k % 3 == 0:  # a partner's report without one of them
            report = report[1:]
        for f in (alone, batched):
            f.tracker.tracks[t] = [(101, _at(X0, t), _P())] if k > 4 else []
        for msg in report:
            outs[0].extend(alone.ingest("US", msg))
        outs[1].extend(batched.ingest("US", LocalTrackBatch(partner="US", t_ns=report[0].t_ns,
                                                            tracks=report)))  # fmt: skip
    outs[0].extend(alone.flush())
    outs[1].extend(batched.flush())

    def plain(out):
        return [
            (t, f.system_track_id, f.x.tolist(), f.P.tolist(), f.local, f.tracker_id)
            for t, tracks in out
            for f in tracks
        ]

    assert plain(outs[0]) == plain(outs[1])
    assert len({row[1] for row in plain(outs[0])}) >= 2 and len(plain(outs[0])) > 10


def _heartbeat(partner, t, seq):
    return Heartbeat(partner=partner, t_ns=round(t * 1e9), seq=seq)


def test_a_report_waits_for_every_partners_clock_not_for_the_latency_window():
    """Two partners send detections; a report instant is reported as soon as both partners'
    heartbeats say they have sent everything up to it (not 1 s of detection time later, nor at
    the next scan), and no sooner while one partner has not; a partner that falls silent holds
    the picture back no longer than the latency window, as before heartbeats; nothing of what
    arrived in time is counted late."""
    f = PictureFusion(latency_s=1.0)
    f.tracker = ScriptedTracker()
    reported = lambda out: [t for t, _ in out]  # noqa: E731
    assert f.ingest("KR", _detection("KR", "kr-ewr", 0.3)) == []
    assert f.ingest("JP", _detection("JP", "jp-fps", 0.4)) == []
    # Both partners' clocks past the instant 1 s: KR alone is not enough.
    assert reported(f.ingest("KR", _heartbeat("KR", 1.0, 1))) == []
    assert reported(f.ingest("JP", _heartbeat("JP", 1.0, 1))) == [1.0]
    # Without heartbeats the instant 2 s would wait for a detection past 3 s.
    f.ingest("KR", _detection("KR", "kr-ewr", 1.3))
    f.ingest("JP", _detection("JP", "jp-fps", 1.4))
    f.ingest("KR", _heartbeat("KR", 2.0, 2))
    assert reported(f.ingest("JP", _heartbeat("JP", 2.0, 2))) == [2.0]
    # JP falls silent: its clock stays at 2 s; KR's detections alone move the picture on once
    # they are the latency window past an instant.
    f.ingest("KR", _heartbeat("KR", 3.0, 3))
    assert reported(f.ingest("KR", _detection("KR", "kr-ewr", 3.3))) == []
    assert reported(f.ingest("KR", _detection("KR", "kr-ewr", 4.3))) == [3.0]
    assert f.counters.late_detections == 0
    assert f.counters.detections == 6


def test_a_partner_without_heartbeats_keeps_the_latency_window():
    """A partner whose node sends no heartbeats (an older node) is waited for by the latency
    window: the picture never runs ahead of data that may still come from it."""
    f = PictureFusion(latency_s=1.0)
    f.tracker = ScriptedTracker()
    f.ingest("KR", _detection("KR", "kr-ewr", 0.3))
    f.ingest("US", _detection("US", "us-tpy", 0.5))
    assert [t for t, _ in f.ingest("KR", _heartbeat("KR", 1.0, 1))] == []
    assert [t for t, _ in f.ingest("US", _detection("US", "us-tpy", 2.0))] == [1.0]


def test_a_partner_node_sends_its_clock_after_each_report_instant():
    """The node's heartbeat follows what it sent for a report instant (its detections and
    local tracks up to its clock), once per instant passed."""
    keyring = Keyring.derived("hb", ["KR", "EXCHANGE"])
    from lookout.exchange.policy import Policy

    pol = Policy.from_dict({"partners": {"KR": ["kr-ewr"]},
                            "publish": {"KR": {"detections": ["kr-ewr"], "local_tracks": "all"}},
                            "release": {"KR": {}}})  # fmt: skip
    bus, clock = MemoryBus(), SimClock(0)
    sent = []

    async def tap(subject, data):
        sent.append(subject.rsplit(".", 1)[-1])

    async def run():
        await bus.subscribe("lookout.in.>", tap)
        node = PartnerNode("KR", derive_key("hb", "KR"), keyring, pol, bus, clock)
        for k in range(1, 13):
            clock.set(round(k * 0.2 * 1e9))
            dets = [_detection("KR", "kr-ewr", k * 0.2 - 0.05)]
            await node.step(dets)
            await bus.flush()

    asyncio.run(run())
    # 2.4 s of steps: the first step's (every ``heartbeat_s``, from the start), then the
    # instants 1 s and 2 s, each ended by a heartbeat after that step's detections and the
    # local tracks of the instant.
    beats = [i for i, k in enumerate(sent) if k == "heartbeat"]
    assert len(beats) == 3
    for i in beats[1:]:
        assert sent[i - 2 : i] == ["detection_batch", "local_track_batch"]


def _climbing_missile(t: float) -> list:
    """A fused ballistic missile climbing through 150 km, 2.2 km/s east and 1.2 km/s up, at t."""
    from lookout.geodesy import geodetic_to_ecef
    from lookout.picture.fusion import FusedTrack

    pos = np.asarray(geodetic_to_ecef(np.radians(39.0), np.radians(127.0), 150e3), dtype=float)
    up = pos / np.linalg.norm(pos)
    east = np.cross([0.0, 0.0, 1.0], up)
    east /= np.linalg.norm(east)
    x0 = np.concatenate([pos.ravel(), 2.2e3 * east + 1.2e3 * up])
    x = x0 + np.concatenate([x0[3:] * (t - 5.0), np.zeros(3)])
    return [FusedTrack("S1", t, x, _P(300.0, 5.0), 0.0, ("KR",), tracker_id=1, last_seen=t)]


@pytest.mark.parametrize("worker", ["thread", "process"])
def test_an_assessment_in_the_background_gives_every_message_of_the_synchronous_picture(worker):
    """``assess_in_background`` (the embedded coalition's default): the batch of an assessment
    instant runs in a worker thread while the exchange's loop goes on. The instant's tracks go
    out at once with their previous assessment, and again at the next report, with their fresh
    assessment, launch event and object type, before that report's own: every message the
    synchronous picture sends, the same bytes, whatever the thread's timing (the point is fixed
    by the reports, so a replay gives the same bytes). The same in a child process
    (``assess_worker="process"``, the embedded coalition's), whose CPU is counted too."""
    from lookout.picture.common import CommonPicture

    tracks = _climbing_missile  # the scene's fused track at each instant
    now = CommonPicture()
    later = CommonPicture(assess_in_background=True, assess_worker=worker)
    instants = np.arange(5.0, 12.0)
    sync = {t: now.publish(t, tracks(t)) for t in instants}
    background = {t: later.publish(t, tracks(t)) for t in instants}
    later.close()
    assert sync[5.0][0].assessment is not None and sync[5.0][0].event_id is not None
    (first,) = background[5.0]  # at once, with no assessment yet
    assert first.assessment is None and first.event_id is None
    assert msgspec.structs.replace(first, event_id=None) == msgspec.structs.replace(
        sync[5.0][0], assessment=None, event_id=None, object_type=None, event_class=None
    )
    assert background[6.0] == sync[5.0] + sync[6.0]  # the assessed instant again, then its own
    assert background[11.0] == sync[10.0] + sync[11.0]
    for t in (7.0, 8.0, 9.0):
        assert background[t] == sync[t]
    assert later.assessment_cpu_s() > 0.0


def test_an_assessment_child_process_lost_is_replaced_by_a_thread_and_no_batch_is_lost():
    """The embedded coalition's assessment child process killed (out of memory, a signal): the
    batch it held is assessed in the exchange's own process and every later one in a thread
    there; every instant's tracks still go out assessed, the loss is counted, nothing raises."""
    import os

    from lookout.picture.common import CommonPicture
    from lookout.timebase import s_to_ns

    tracks = _climbing_missile  # the scene's fused track at each instant
    picture = CommonPicture(assess_in_background=True, assess_worker="process")
    out = {5.0: picture.publish(5.0, tracks(5.0))}  # an assessment instant (every 5 s)
    picture._worker.submit(os._exit, 9)  # the child dies, after the batch of 5 s or before
    out.update({t: picture.publish(t, tracks(t)) for t in (10.0, 15.0)})
    out[20.0] = picture.flush()
    picture.close()
    assert picture.worker_failures == 1 and picture.assess_worker == "thread"
    assessed = [st for t in (10.0, 15.0, 20.0) for st in out[t] if st.assessment is not None]
    assert {st.t_ns for st in assessed} == {s_to_ns(t) for t in (5.0, 10.0, 15.0)}


def test_interim_updates_bring_a_detection_in_within_a_step_and_leave_the_reports_as_they_were():
    """With ``interim`` the fusion sends, after each step's heartbeats, the system tracks whose
    measurement-level track took detections since the last report, each at its latest
    detection; the report instants are those of a fusion without interim updates, bit for bit
    (the interim path changes nothing of the fusion's state), and every detection of a track
    already reported is in an update within the step (0.2 s) of its arrival, not at the next
    whole second."""
    from scenes import irbm_launch, radar, sense

    from lookout.flight import fly
    from lookout.messages import DetectionBatch

    traj = fly([irbm_launch()], debris=False)
    specs = [radar("a", 39.5, 128.0, 80.0), radar("b", 35.0, 135.0, 300.0)]
    dets, _ = sense(traj, specs, seed=3)
    dets = [d for d in dets if d.t_ns <= 160 * 1_000_000_000]
    plain, fresh = PictureFusion(), PictureFusion(interim=True)
    out = {id(plain): [], id(fresh): []}
    k, step = 0, 0
    while k < len(dets):
        step += 1
        t_ns = round(step * 0.2 * 1e9)
        j = k
        while j < len(dets) and dets[j].t_ns <= t_ns:
            j += 1
        for f in (plain, fresh):
            for p in ("Pa", "Pb"):
                mine = [d for d in dets[k:j] if d.partner == p]
                if mine:
                    batch = DetectionBatch(partner=p, sensor_id=mine[0].sensor_id, detections=mine)
                    out[id(f)] += [(t_ns, r) for r in f.ingest(p, batch)]
            for p in ("Pa", "Pb"):
                out[id(f)] += [(t_ns, r) for r in f.ingest(p, _heartbeat(p, step * 0.2, step))]
        k = j
    is_interim = lambda r: bool(r[1]) and r[1][0].interim  # noqa: E731
    plain_out = out[id(plain)]
    fresh_out = [(t_ns, r) for t_ns, r in out[id(fresh)] if not is_interim(r)]
    interim = [(t_ns, r) for t_ns, r in out[id(fresh)] if is_interim(r)]
    assert len(plain_out) == len(fresh_out) > 40
    for (_, (ta, a)), (_, (tb, b)) in zip(plain_out, fresh_out, strict=True):
        assert ta == tb
        assert [f.system_track_id for f in a] == [f.system_track_id for f in b]
        for fa, fb in zip(a, b, strict=True):
            assert np.array_equal(fa.x, fb.x) and np.array_equal(fa.P, fb.P)
            assert not fb.interim
    assert len(interim) > 40
    for t_ns, (_, tracks) in interim:
        for f in tracks:
            assert f.interim and f.tracker_id is not None
            # Between two report instants, within the step that brought its detection in.
            assert 0 < f.t % 1.0 and t_ns * 1e-9 - 0.2 - 1e-9 <= f.t <= t_ns * 1e-9 + 1e-9
            np.linalg.cholesky(f.P)


def test_the_batched_coast_and_covariance_intersection_are_the_single_ones():
    """The batches (``_coast_many``, ``covariance_intersection_many``: the reports' and the
    interim updates') give what ``_coast`` and ``covariance_intersection`` give pair by pair,
    to the bit."""
    from lookout.picture.fusion import (
        _coast,
        _coast_many,
        covariance_intersection,
        covariance_intersection_many,
    )

    rng = np.random.default_rng(5)
    n = 7
    x = np.c_[rng.normal(6.4e6, 1e5, (n, 3)), rng.normal(0, 3e3, (n, 3))]
    A = rng.normal(size=(n, 6, 6)) * np.array([300.0] * 3 + [5.0] * 3)[:, None]
    P = A @ A.transpose(0, 2, 1) + np.eye(6)
    B = rng.normal(size=(n, 6, 6)) * np.array([900.0] * 3 + [20.0] * 3)[:, None]
    Q = B @ B.transpose(0, 2, 1) + np.eye(6)
    dt = np.array([0.0, 0.1, 0.2, 0.5, 0.8, 0.95, 0.3])
    xc, Pc = _coast_many(x, P, dt)
    xf, Pf = covariance_intersection_many(x, P, xc, Q)
    for i in range(n):
        x1, P1 = _coast(x[i], P[i], dt[i])
        np.testing.assert_array_equal(xc[i], x1)
        np.testing.assert_array_equal(Pc[i], P1)
        x2, P2 = covariance_intersection(x[i], P[i], xc[i], Q[i])
        np.testing.assert_array_equal(xf[i], x2)
        np.testing.assert_array_equal(Pf[i], P2)


def _scripted_updates(fusion, plan):
    """The tracker's updates: ``plan[t_ns]`` the tracks one detection at ``t_ns`` updates."""
    fed = [0]

    def process(detections):
        rows = [
            (fed[0] + i, plan[d.t_ns].pop(0)) for i, d in enumerate(detections) if plan.get(d.t_ns)
        ]
        fed[0] += len(detections)
        k = len(rows)
        return TrackLog(
            t=np.zeros(k),
            track_id=np.array([tid for _, tid in rows], dtype=np.int64),
            x=np.zeros((k, 6)),
            P=np.zeros((k, 6, 6)),
            boost_prob=np.zeros(k),
            detection_index=np.array([i for i, _ in rows], dtype=np.int64),
            confirmed=np.ones(k, dtype=bool),
        )

    fusion.tracker.process = process


def _lost_and_new(fusion, parent=None):
    """Track 5 loses its object at 4 s (its motion model no longer fits: it drifts off at 200
    m/s under a 1 m/s sigma, updated by nothing; the full states' chi-square 177 a second
    later); the radar's detections of the object start track 9 there, which takes every scan
    from then on. The system ids seen at each report."""
    if parent is not None:
        fusion.tracker.parent_of[9] = parent
    plan: dict[int, list[int]] = {}
    _scripted_updates(fusion, plan)
    drift = np.array([0, 0, 0, 200.0, 0, 0])
    tight, young = _P(50.0, 1.0), _P(150.0, 15.0)
    seen = []
    for k in range(1, 16):
        t = float(k)
        central = [(5, _at(X0, t) + (t - 4.0) * drift * (k > 4), tight)]
        if k >= 4:
            central.append((9, _at(X0, t), young))
        fusion.tracker.tracks[round(t, 6)] = central
        plan[round((t - 0.5) * 1e9)] = [5] if k < 4 else [9]
        out = fusion.ingest("KR", _detection("KR", "kr-ship", t - 0.5))
        out += fusion.ingest("KR", _detection("KR", "kr-ewr-central", t)) + fusion.flush()
        seen.append({f.system_track_id: f for tt, tr in out if abs(tt - t) < 1e-6 for f in tr})
    return seen


def test_a_track_that_lost_its_object_to_a_new_track_is_one_system_track_with_it(fusion):
    """The tracker loses an object (a third stage lit at 1 g after a second at 7.5 g,
    gen-2-04) and starts a new track on it, while the lost track flies on, overconfident, until
    its radar's misses delete it: no gate on the two states holds them. Once the sensor that
    updated the lost track has updated the new one ``RESOLVED_COMMON`` times and the lost one
    no more, the picture shows one system track, the object's id, the new track's state."""
    seen = _lost_and_new(fusion)
    # At 4 s the two states still pass the merge gate; from 5 s on the lost one is out of it.
    assert [sorted(p) for p in seen] == [["S1"]] * 15
    for pic in seen[4:]:
        assert sorted(pic) == ["S1"]
        assert pic["S1"].tracker_id == 9 and pic["S1"].merged == (5,)
        assert np.allclose(pic["S1"].x, fusion.tracker.tracks[round(pic["S1"].t, 6)][1][1])


def test_a_piece_born_next_to_a_track_that_takes_its_scans_is_not_its_successor(fusion):
    """The same scans with the new track born next to the other (a stage seen separating,
    ``Tracker.parent_of``): two objects, two system tracks."""
    seen = _lost_and_new(fusion, parent=5)
    assert all(sorted(p) == ["S1", "S2"] for p in seen[4:])
    assert all(p["S2"].parent == "S1" and p["S1"].tracker_id == 5 for p in seen[4:])


def _lost_onto_a_neighbour(fusion, parent=None):
    """Track 5, the burning stack, with a partner's infrared track of its plume fused in, loses
    it at 4 s (a stage lit that its motion model does not expect) and slides onto a neighbour
    (the spent stage, 2 km off): a second radar, kr-ship, updates it there from then on, in the
    scans that update track 9, started on the stack at 4 s, so the two are resolved (two
    objects); kr-ewr-central's stream of the stack and the plume go over to track 9. The
    system tracks seen at each report."""
    if parent is not None:
        fusion.tracker.parent_of[9] = parent
    plan: dict[int, list[int]] = {}
    _scripted_updates(fusion, plan)
    off = np.array([2000.0, 0, 0, 0, 0, 0])
    tight, young = _P(50.0, 1.0), _P(150.0, 15.0)
    ir = ("us-geo-east", "us-geo-west")
    seen = []
    for k in range(1, 12):
        t = float(k)
        central = [(5, _at(X0, t) + off * (k >= 4), tight)]
        if k >= 4:
            central.append((9, _at(X0, t), young))
        fusion.tracker.tracks[round(t, 6)] = central
        fusion.tracker.seen = {5: t - 0.6 if k >= 4 else t - 0.5, 9: t - 0.5}
        out = []
        if k < 4:
            plan[round((t - 0.5) * 1e9)] = [5]
            out += fusion.ingest("KR", _detection("KR", "kr-ewr-central", t - 0.5))
        else:
            plan[round((t - 0.5) * 1e9)] = [9]
            plan[round((t - 0.6) * 1e9)] = [5, 9]
            out += fusion.ingest("KR", _detection("KR", "kr-ship", t - 0.6))
            out += fusion.ingest("KR", _detection("KR", "kr-ship", t - 0.6))
            out += fusion.ingest("KR", _detection("KR", "kr-ewr-central", t - 0.5))
        plume = _local("US", 7, t - 0.1, _at(X0, t - 0.1), _P(300.0, 30.0), ir, boost_prob=0.99)
        out += fusion.ingest("US", plume)
        out += fusion.ingest("KR", _detection("KR", "kr-ewr-central", t)) + fusion.flush()
        seen.append({f.system_track_id: f for tt, tr in out if abs(tt - t) < 1e-6 for f in tr})
    return seen


def test_a_stack_track_the_plume_and_its_radar_left_is_one_system_track_with_their_new_one(
    fusion,
):
    """world64 #07's third stage (partners' pictures): the stack's track slid onto the spent
    stage at the ignition, where a second radar held it in the scans that updated the stack's
    new track (resolved: two objects), and flew on beside the stage, unseen, for 33 s while the
    new track, parentless, took the stack's radar stream and the US plume; every partner saw
    two system tracks of the third stage for 49 s. A partner's plume and a radar's stream that
    both left a track for a new one not born next to it say the track lost its object: one
    system track, the stack's id, the new track's state."""
    seen = _lost_onto_a_neighbour(fusion)
    for pic in seen[:3]:
        assert sorted(pic) == ["S1"] and pic["S1"].tracker_id == 5
    # The plume goes to track 9 at 4 s, and is noted as having left track 5 there.
    for pic in seen[4:]:
        assert sorted(pic) == ["S1"], pic
        assert pic["S1"].tracker_id == 9 and pic["S1"].merged == (5,)
        assert ("US", "7") in pic["S1"].local
        assert np.allclose(pic["S1"].x[:3], _at(X0, pic["S1"].t)[:3], atol=300.0)


def test_a_plume_going_to_a_piece_born_next_to_its_track_hides_neither(fusion):
    """The same with track 9 born next to track 5 (a piece seen separating from it,
    ``Tracker.parent_of``): two objects, two system tracks, whichever the plume goes with."""
    seen = _lost_onto_a_neighbour(fusion, parent=5)
    for pic in seen[4:]:
        assert sorted(pic) == ["S1", "S2"], pic
        assert pic["S1"].tracker_id == 5 and pic["S2"].tracker_id == 9
        assert pic["S2"].parent == "S1"


def test_covariance_intersection_keeps_an_estimate_the_other_adds_nothing_to():
    """CI's weight ranges over [0, 1]: when the second estimate is no better anywhere
    (``Pb >= Pa``), the fused covariance is ``Pa`` itself (``P(w) >= Pa`` for every ``w``, equal
    only at 1), not ``Pa / 0.98`` as with the weights stopped at 0.98; either way round."""
    from lookout.picture.fusion import covariance_intersection

    rng = np.random.default_rng(13)
    A = rng.normal(size=(6, 6)) * np.array([30.0] * 3 + [0.5] * 3)[:, None]
    Pa = A @ A.T + np.eye(6)
    B = rng.normal(size=(6, 6)) * np.array([200.0] * 3 + [3.0] * 3)[:, None]
    Pb = Pa + B @ B.T  # >= Pa
    xa = np.r_[X0[:3], X0[3:]]
    xb = xa + np.r_[rng.normal(0, 100.0, 3), rng.normal(0, 2.0, 3)]
    x, P = covariance_intersection(xa, Pa, xb, Pb)
    np.testing.assert_allclose(P, Pa, rtol=1e-12)
    np.testing.assert_array_equal(x, xa)
    x, P = covariance_intersection(xb, Pb, xa, Pa)
    np.testing.assert_allclose(P, Pa, rtol=1e-12)
    np.testing.assert_array_equal(x, xa)


def test_redundant_local_tracks_of_three_partners_leave_the_system_tracks_covariance(fusion):
    """Three partners' radar tracks of the object the measurement-level track holds, each less
    precise than it (their detections are all in it): the system track's state and covariance
    are the measurement-level track's, not inflated by each fusion (at 0.98 each, the NEES of
    a consistent track fell by 6 %)."""
    for p, s in (("JP", "jp-ewr-north"), ("US", "us-fbx-north")):
        fusion.ingest(p, _detection(p, s, 0.5))
    P = _P(30.0, 0.3)
    P[0, 3] = P[3, 0] = 0.8 * 30.0 * 0.3  # position and velocity correlated, as in coast
    t = 1.0
    locals_ = [
        _local(p, 4, t, _at(X0, t) + 15.0, _P(60.0 * (k + 2), 1.0 + k), [s])
        for k, (p, s) in enumerate(
            (("KR", "kr-ewr-central"), ("JP", "jp-ewr-north"), ("US", "us-fbx-north"))
        )
    ]
    pic = _run(fusion, t, locals_, [(9, _at(X0, t), P)])
    assert list(pic) == ["S1"] and len(pic["S1"].local) == 3
    np.testing.assert_allclose(pic["S1"].P, P, rtol=1e-12)
    np.testing.assert_array_equal(pic["S1"].x, _at(X0, t))


def test_two_partners_tracks_sharing_a_sensor_fuse_to_a_consistent_covariance():
    """Two partners' tracks of one object whose errors share a radar's (the same detections in
    both): covariance intersection is consistent whatever that correlation (mean NEES at most
    the state's dimension, as ``P >= E[e e']`` gives), where fusing them as independent is
    overconfident (the shared error counted twice). Deterministic draws."""
    from lookout.picture.fusion import covariance_intersection_many

    rng = np.random.default_rng(13)
    n = 4000
    shared = np.diag([300.0**2, 60.0**2, 60.0**2, 4.0, 1.0, 1.0])  # the common radar's part
    own_a = np.diag([40.0**2, 200.0**2, 40.0**2, 1.0, 9.0, 1.0])
    own_b = np.diag([40.0**2, 40.0**2, 200.0**2, 1.0, 1.0, 9.0])
    e_s = rng.multivariate_normal(np.zeros(6), shared, n)
    xa = e_s + rng.multivariate_normal(np.zeros(6), own_a, n)  # the truth is 0
    xb = e_s + rng.multivariate_normal(np.zeros(6), own_b, n)
    Pa = np.broadcast_to(shared + own_a, (n, 6, 6))
    Pb = np.broadcast_to(shared + own_b, (n, 6, 6))

    def mean_nees(x, P):
        return float(np.mean(np.einsum("ki,ki->k", x, np.linalg.solve(P, x[..., None])[..., 0])))

    x, P = covariance_intersection_many(xa, Pa, xb, Pb)
    assert mean_nees(x, P) <= 6.0
    ia, ib = np.linalg.inv(Pa), np.linalg.inv(Pb)  # as independent: the information added
    Pn = np.linalg.inv(ia + ib)
    info = np.einsum("kij,kj->ki", ia, xa) + np.einsum("kij,kj->ki", ib, xb)
    xn = np.einsum("kij,kj->ki", Pn, info)
    assert mean_nees(xn, Pn) > 7.0


def test_the_shortlisted_weight_search_is_the_numpy_one(monkeypatch):
    """``covariance_intersection_many`` with its weights shortlisted by the compiled traces
    (``lookout.picture.compiled``) against every weight inverted by numpy
    (``LOOKOUT_NUMPY_STEP=1``): the same fused states and covariances to the bit, on pairs of
    every kind: either estimate the better, about as good (an interior weight), the second
    adding nothing to the first (``Pb`` a multiple of ``Pa``: the first alone, a tie over
    many weights), the same estimate twice, and badly conditioned."""
    from lookout.picture import fusion

    rng = np.random.default_rng(11)
    n = 60
    x = np.c_[rng.normal(6.4e6, 1e5, (n, 3)), rng.normal(0, 3e3, (n, 3))]
    xb = x + rng.normal(size=(n, 6)) * 100.0
    scale = 10.0 ** rng.uniform(0.0, 4.0, (n, 1)) * np.array([1.0] * 3 + [0.02] * 3)
    A = rng.normal(size=(n, 6, 6)) * scale[:, :, None]
    B = rng.normal(size=(n, 6, 6)) * (scale * 10.0 ** rng.uniform(-1.0, 1.0, (n, 1)))[:, :, None]
    Pa = A @ A.transpose(0, 2, 1) + np.eye(6) * 1e-2
    Pb = B @ B.transpose(0, 2, 1) + np.eye(6) * 1e-2
    Pb[:10] = Pa[:10] * rng.uniform(1.0, 4.0, (10, 1, 1))
    Pb[10:15] = Pa[10:15]
    Pa[15:20] += 1e8 * np.einsum("ki,kj->kij", *(2 * [rng.normal(size=(5, 6))]))
    got = fusion.covariance_intersection_many(x, Pa, xb, Pb)
    best = fusion._ci_search(np.linalg.inv(Pa), np.linalg.inv(Pb))[0]
    monkeypatch.setenv("LOOKOUT_NUMPY_STEP", "1")
    want = fusion.covariance_intersection_many(x, Pa, xb, Pb)
    np.testing.assert_array_equal(got[0], want[0])
    np.testing.assert_array_equal(got[1], want[1])
    # Not only the ends: interior weights taken too.
    assert (best == 0).any() and ((best > 0) & (best < 50)).sum() > 10
