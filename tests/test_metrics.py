"""Scoring: the metrics must fail a tracker when they should, and agree with hand-worked cases."""

from __future__ import annotations

import math

import numpy as np
import pytest

from lookout.geodesy import enu_basis, geodetic_to_ecef
from lookout.physics.trajectory import Trajectory
from lookout.scoring import gospa, nees_bounds, score
from lookout.tracking import TrackerOutput, TrackLog

T_FLIGHT = 400.0
SIG_P, SIG_V = 50.0, 5.0  # injected error, m and m/s


def arc(object_id: str, north_offset_m: float = 0.0) -> Trajectory:
    """A smooth 400 s up-and-down arc from (40 N, 130 E): 60 s thrusting, 300 km apex, heading
    east at 2 km/s; phases boost, coast and (below 100 km, descending) reentry."""
    t = np.arange(0.0, T_FLIGHT + 0.5, 1.0)
    e, n, u = enu_basis(math.radians(40.0), math.radians(130.0))
    p0 = geodetic_to_ecef(math.radians(40.0), math.radians(130.0), 0.0) + north_offset_m * n
    s = t / T_FLIGHT
    h, dh = 4 * 300e3 * s * (1 - s), 4 * 300e3 * (1 - 2 * s) / T_FLIGHT
    pos = p0 + np.outer(2000.0 * t, e) + np.outer(h, u)
    vel = np.outer(np.full_like(t, 2000.0), e) + np.outer(dh, u)
    return Trajectory(object_id, t, pos, vel, t < 60.0, np.zeros(t.size, dtype=np.int64))


def arc_cut(object_id: str, t_impact_s: float) -> Trajectory:
    """``arc`` ending at ``t_impact_s`` with an ``impact`` event there (an object that hits
    the ground while its neighbours fly on)."""
    from lookout.physics.trajectory import Event

    t = np.arange(0.0, t_impact_s + 1.0)
    x = arc(object_id).state_at(t)
    hit = [Event("impact", t_impact_s, x[-1, :3], x[-1, 3:])]
    return Trajectory(object_id, t, x[:, :3], x[:, 3:], t < 60.0, np.zeros(t.size, np.int64),
                      events=hit)  # fmt: skip


def log(t, track_id, x, P=None, detection_index=None) -> TrackLog:
    t = np.asarray(t, dtype=float)
    k = t.size
    if P is None:
        P = np.diag([SIG_P**2] * 3 + [SIG_V**2] * 3)
    return TrackLog(
        t=t,
        track_id=np.asarray(track_id, dtype=np.int64),
        x=np.asarray(x, dtype=float),
        P=np.broadcast_to(P, (k, 6, 6)).copy(),
        boost_prob=np.zeros(k),
        detection_index=(
            np.full(k, -1, np.int64) if detection_index is None else np.asarray(detection_index)
        ),
        confirmed=np.ones(k, dtype=bool),
    )


def output(reports: TrackLog, updates: TrackLog | None = None) -> TrackerOutput:
    return TrackerOutput(
        updates=updates if updates is not None else log([], [], np.zeros((0, 6))),
        reports=reports,
        n_detections=0,
        wall_s=0.0,
    )


class FakeDetection:
    def __init__(self, t_s: float) -> None:
        self.t_ns = int(round(t_s * 1e9))


def labelled(trajs, t=None):
    """One detection of each truth per second over its life, and their labels."""
    t = np.arange(0.0, T_FLIGHT + 0.5, 1.0) if t is None else t
    dets, labels = [], []
    for tr in trajs:
        dets += [FakeDetection(x) for x in t]
        labels += [tr.object_id] * t.size
    return dets, labels


def follow(tr: Trajectory, track_id: int, t=None, offset=None, noise=None):
    """Reports following ``tr`` at ``t`` (default: every second of its life)."""
    t = tr.t if t is None else t
    x = tr.state_at(t)
    if offset is not None:
        x = x + offset
    if noise is not None:
        x = x + noise
    return t, np.full(t.size, track_id), x


def cat(*parts) -> TrackLog:
    return log(*(np.concatenate(col) for col in zip(*parts, strict=True)))


@pytest.fixture(scope="module")
def one():
    tr = arc("rv")
    return tr, *labelled([tr])


def test_arc_has_all_three_phases(one):
    tr, _, _ = one
    assert set(np.unique(tr.phase)) == {0, 1, 2}


def test_perfect_tracker_scores_zero(one):
    tr, dets, labels = one
    s = score(output(log(*follow(tr, 1))), [tr], labels, detections=dets)
    assert s.truths == 1 and s.tracks == 1
    for phase in ("boost", "coast", "reentry"):
        assert s.rmse_pos_m[phase] < 1e-6
        assert s.rmse_vel_mps[phase] < 1e-6
    assert s.false_tracks == s.missed_truths == s.id_switches == s.fragmentations == 0
    assert s.coverage == 1.0
    assert s.gospa_mean < 1e-6


def test_consistent_covariance_gives_nees_near_dof(one):
    tr, dets, labels = one
    rng = np.random.default_rng(1)
    noise = rng.standard_normal((tr.t.size, 6)) * np.r_[[SIG_P] * 3, [SIG_V] * 3]
    s = score(output(log(*follow(tr, 1, noise=noise))), [tr], labels, detections=dets)
    for phase in ("boost", "coast", "reentry"):
        assert s.rmse_pos_m[phase] == pytest.approx(math.sqrt(3) * SIG_P, rel=0.25)
        assert s.nees_mean[phase] == pytest.approx(6.0, rel=0.2)
    assert s.nees_in_bounds_fraction >= 0.85
    # The same errors with a covariance ten times too small are inconsistent.
    tight = np.diag([SIG_P**2 / 10] * 3 + [SIG_V**2 / 10] * 3)
    s = score(output(log(*follow(tr, 1, noise=noise), P=tight)), [tr], labels, detections=dets)
    assert s.nees_mean["coast"] > s.nees_bounds["coast"][1]
    assert s.nees_in_bounds_fraction < 0.5


def test_bias_is_its_rmse(one):
    tr, dets, labels = one
    bias = np.array([300.0, -400.0, 0.0, 3.0, 0.0, 4.0])
    s = score(output(log(*follow(tr, 1, offset=bias))), [tr], labels, detections=dets)
    for phase in ("boost", "coast", "reentry"):
        assert s.rmse_pos_m[phase] == pytest.approx(500.0)
        assert s.rmse_vel_mps[phase] == pytest.approx(5.0)
    assert s.gospa_mean == pytest.approx(500.0)
    # Beyond the association cutoff the track is false and the truth missed.
    far = score(
        output(log(*follow(tr, 1, offset=bias))), [tr], labels, detections=dets, gospa_c_m=400.0
    )
    assert far.false_tracks == 1 and far.missed_truths == 1
    assert far.gospa_mean == pytest.approx(400.0)  # sqrt(c²/2 + c²/2)


def test_rmse_over_pcrlb(one):
    tr, dets, labels = one

    class Bound:
        t = tr.t
        pos_m = np.full(tr.t.size, 250.0)
        vel_mps = np.full(tr.t.size, 1.0)
        phase = tr.phase

    bias = np.array([300.0, -400.0, 0.0, 0.0, 0.0, 0.0])
    s = score(
        output(log(*follow(tr, 1, offset=bias))),
        [tr],
        labels,
        detections=dets,
        pcrlb_results={"rv": Bound()},
    )
    assert s.pcrlb_pos_m["coast"] == pytest.approx(250.0)
    assert s.rmse_over_pcrlb_pos["coast"] == pytest.approx(2.0)
    d = s.to_dict()
    assert d["pcrlb_pos_m"]["boost"] == pytest.approx(250.0)
    no_bound = score(output(log(*follow(tr, 1))), [tr], labels, detections=dets).to_dict()
    assert no_bound["pcrlb_pos_m"] == {"boost": None, "coast": None, "reentry": None}


def test_id_swap_counts():
    a, b = arc("a"), arc("b", north_offset_m=50e3)
    dets, labels = labelled([a, b])
    t1, t2 = a.t[a.t < 200], a.t[a.t >= 200]
    straight = cat(follow(a, 1), follow(b, 2))
    swapped = cat(follow(a, 1, t1), follow(b, 2, t1), follow(b, 1, t2), follow(a, 2, t2))
    s0 = score(output(straight), [a, b], labels, detections=dets)
    s1 = score(output(swapped), [a, b], labels, detections=dets)
    assert s0.id_switches == 0
    assert s1.id_switches == 2  # each truth changes track once
    assert s1.rmse_pos_m["coast"] < 1e-6  # a swap costs continuity, not accuracy
    assert s1.per_truth["a"]["tracks"] == [1, 2]
    # A track handing over to a new id (break and restart) is a switch and a fragmentation.
    gap = t2[t2 >= 205]
    broken = cat(follow(a, 1, t1), follow(a, 3, gap), follow(b, 2))
    s2 = score(output(broken), [a, b], labels, detections=dets)
    assert s2.id_switches == 1 and s2.fragmentations == 1
    assert s2.per_truth["a"]["coverage"] == pytest.approx(1 - 5 / a.t.size)


def test_duplicate_track_does_not_steal_the_truth():
    """CLEAR-MOT persistence: a second track that comes closer does not cause a switch."""
    a = arc("a")
    dets, labels = labelled([a])
    t2 = a.t[a.t >= 100]
    off = np.array([500.0, 0, 0, 0, 0, 0])
    s = score(output(cat(follow(a, 1, offset=off), follow(a, 2, t2))), [a], labels, detections=dets)
    assert s.id_switches == 0
    assert s.false_tracks == 1  # the duplicate is never matched


def test_false_track_and_missed_truth(one):
    tr, dets, labels = one
    ghost_t = tr.t[:100]
    ghost = (ghost_t, np.full(ghost_t.size, 7), tr.state_at(ghost_t) + [0, 0, 900e3, 0, 0, 0])
    s = score(output(cat(follow(tr, 1), ghost)), [tr], labels, detections=dets, gospa_c_m=1e4)
    assert s.tracks == 2 and s.false_tracks == 1 and s.missed_truths == 0
    # GOSPA is c / sqrt(2) during the ghost's 100 s, zero after.
    assert s.gospa_mean == pytest.approx(1e4 / math.sqrt(2) * 100 / tr.t.size)
    assert s.false_track_fraction == pytest.approx(100 / (100 + tr.t.size))

    other = arc("other", north_offset_m=300e3)
    dets2, labels2 = labelled([tr, other])
    s = score(output(log(*follow(tr, 1))), [tr, other], labels2, detections=dets2)
    assert s.truths == 2 and s.missed_truths == 1 and s.coverage == pytest.approx(0.5)


def test_rarely_seen_truth_does_not_count_and_expected_span(one):
    tr, _, _ = one
    other = arc("other", north_offset_m=300e3)
    dets, labels = labelled([tr])
    dets += [FakeDetection(10.0), FakeDetection(11.0)]
    labels += ["other", "other"]
    labels.append(None)  # a false alarm
    dets.append(FakeDetection(12.0))
    s = score(output(log(*follow(tr, 1))), [tr, other], labels, detections=dets)
    assert s.truths == 1 and s.missed_truths == 0
    # Seen only from 100 s to 200 s: expected then, and a track after 200 s is not false.
    window = np.arange(100.0, 201.0)
    d2, l2 = labelled([tr], window)
    s = score(output(log(*follow(tr, 1, tr.t[tr.t >= 150]))), [tr], l2, detections=d2)
    assert s.coverage == pytest.approx(51 / 101)
    assert s.false_tracks == 0 and s.false_track_fraction == 0.0


def test_purity_from_labels(one):
    tr, dets, labels = one
    labels = list(labels) + [None, "rv"]
    # Track 1 updated by detections 0..7 (truth rv) and 401 (a false alarm): purity 8/9.
    di = np.r_[np.arange(8), 401]
    upd = log(np.arange(9.0), np.ones(9), np.zeros((9, 6)), detection_index=di)
    s = score(output(log(*follow(tr, 1)), upd), [tr], labels, detections=list(dets) + [dets[0]] * 2)
    assert s.purity == pytest.approx(8 / 9)


def test_gospa_hand_example():
    tracks = np.array([[0.0, 0, 0], [100.0, 0, 0]])
    truths = np.array([[3.0, 4.0, 0]])
    g, loc, missed, false = gospa(tracks, truths, c=50.0)
    assert loc == pytest.approx(25.0)
    assert missed == 0.0 and false == pytest.approx(1250.0)
    assert g == pytest.approx(math.sqrt(25.0 + 1250.0))
    # Two truths, one track between them: one assigned at 10 m, one missed.
    g, *_ = gospa(np.array([[10.0, 0, 0]]), np.array([[0.0, 0, 0], [30.0, 0, 0]]), c=20.0)
    assert g == pytest.approx(math.sqrt(100.0 + 200.0))
    assert gospa(np.zeros((0, 3)), np.zeros((0, 3)), c=1.0)[0] == 0.0
    assert gospa(np.zeros((0, 3)), np.zeros((2, 3)), c=2.0)[0] == pytest.approx(2.0)


def test_nees_bounds_single_sample():
    lo, hi = nees_bounds(1)
    assert lo == pytest.approx(1.2373, abs=1e-3) and hi == pytest.approx(14.449, abs=1e-3)


def test_to_dict_keys(one):
    tr, dets, labels = one
    d = score(output(log(*follow(tr, 1))), [tr], labels, detections=dets).to_dict()
    for key in (
        "rmse_pos_m",
        "pcrlb_pos_m",
        "rmse_vel_mps",
        "nees_in_bounds_fraction",
        "gospa_mean",
        "tracks",
        "truths",
        "purity",
        "id_switches",
        "fragmentations",
        "false_tracks",
        "missed_truths",
    ):
        assert key in d
    assert set(d["rmse_pos_m"]) == {"boost", "coast", "reentry"}
    import json

    json.dumps(d)


def test_switch_penalty_holds_close_pairs_and_hands_over_far_ones():
    """Within ``switch_penalty_m`` of each other, a swap keeps the assignment (and shows as
    error); beyond it, the assignment follows the tracks (and shows as switches)."""
    for sep, switches in ((300.0, 0), (3000.0, 2)):
        a, b = arc("a"), arc("b", north_offset_m=sep)
        dets, labels = labelled([a, b])
        t1, t2 = a.t[a.t < 200], a.t[a.t >= 200]
        swapped = cat(follow(a, 1, t1), follow(b, 2, t1), follow(b, 1, t2), follow(a, 2, t2))
        s = score(output(swapped), [a, b], labels, detections=dets, switch_penalty_m=1000.0)
        assert s.id_switches == switches
        late = s.matches.t >= 200
        err = np.linalg.norm(s.matches.pos_err[late], axis=1)
        assert np.allclose(err, sep if switches == 0 else 0.0, atol=1e-3)


def test_new_track_goes_to_the_truth_of_its_detections():
    """Two objects closer than a track's error (an IRBM's stage and warhead): a track whose
    detections all came from ``b`` but which sits a few metres nearer ``a`` is ``b``'s track, not
    a coin toss kept for the whole flight; without its updates, position alone decides."""
    a, b = arc("a"), arc("b", north_offset_m=200.0)
    dets, labels = labelled([a, b])
    n = a.t.size
    t, ids, x = follow(a, 1)
    x[:, :3] += 90.0 * (b.state_at(t)[:, :3] - x[:, :3]) / 200.0  # 90 m toward b: nearer a
    reports = log(t, ids, x)
    upd = log(t[:20], ids[:20], x[:20], detection_index=n + np.arange(20))  # b's detections
    with_updates = score(output(reports, upd), [a, b], labels, detections=dets)
    assert with_updates.per_truth["b"]["tracks"] == [1]
    assert "a" not in with_updates.per_truth or not with_updates.per_truth["a"]["tracks"]
    alone = score(output(reports), [a, b], labels, detections=dets)
    assert alone.per_truth["a"]["tracks"] == [1]


def test_track_built_from_one_object_is_judged_on_it_after_a_hand_over():
    """gen-world-60-03: the stage's first track (1) coasted off it while a second (2), built from
    the stage's detections only, was born 90 m nearer the warhead. Once track 1 is gone, track 2
    is the stage's track, not kept on the warhead by the pair it drew while track 1 held the
    stage."""
    a, b = arc("a"), arc("b", north_offset_m=200.0)  # a: the warhead, b: the stage
    dets, labels = labelled([a, b])
    n = a.t.size
    t1, t2 = a.t[a.t < 120], a.t[a.t >= 100]
    _, ids1, x1 = follow(b, 1, t1)
    x1[:, :3] += 2500.0 * (t1[:, None] / 120.0) * [1.0, 0.0, 0.0]  # coasting off b, to 2.5 km
    _, ids2, x2 = follow(a, 2, t2)
    x2[:, :3] += 110.0 * (b.state_at(t2)[:, :3] - x2[:, :3]) / 200.0  # 90 m nearer a than b
    reports = log(np.concatenate([t1, t2]), np.concatenate([ids1, ids2]), np.concatenate([x1, x2]))
    k = np.searchsorted(a.t, t2)
    upd = log(t2, ids2, x2, detection_index=n + k)  # b's detections only
    s = score(output(reports, upd), [a, b], labels, detections=dets)
    assert s.per_truth["b"]["tracks"][-1] == 2
    late = (s.matches.track_id == 2) & (s.matches.t >= 120.0)  # track 1 gone
    assert late.sum() > 200 and set(s.matches.truth[late].tolist()) == {1}


def test_track_provenance_running_majority_and_ties():
    from lookout.scoring.association import counted_truths, track_provenance

    a, b = arc("a"), arc("b", north_offset_m=200.0)
    dets, labels = labelled([a, b])
    n = a.t.size
    truths = counted_truths([a, b], labels, dets)
    # Track 5: a's detection at 0 s, b's at 1 s and 2 s; track 6: one false alarm only.
    labels = list(labels) + [None]
    di = [0, n + 1, n + 2, 2 * n]
    upd = log([0.0, 1.0, 2.0, 0.5], [5, 5, 5, 6], np.zeros((4, 6)), detection_index=di)
    t = np.array([-1.0, 0.0, 1.0, 2.0, 9.0, 3.0])
    ids = np.array([5, 5, 5, 5, 5, 6])
    prov = track_provenance(t, ids, upd, labels, truths)
    assert prov.tolist() == [-1, 0, -1, 1, 1, -1]


def test_false_track_in_its_own_gate_is_told_from_a_phantom(one):
    """A track that has drifted past the association's cut-off (10 km) is false either way,
    but one whose own covariance holds its object (gen-world-47-01's infrared-only ICBM track,
    unseen from burnout at 205 s, 10-100 km off under 10-100 km sigmas for 295 s) is counted
    in ``false_track_s_in_gate`` too; a confident one as far off (a phantom) is not."""
    from lookout.scoring.scores import pooled

    tr, dets, labels = one
    t1, t2 = tr.t[tr.t < 100], tr.t[(tr.t >= 100) & (tr.t < 200)]
    near = follow(tr, 1, t1)
    off = follow(tr, 1, t2, offset=[0, 0, 20e3, 0, 0, 0])
    vague = np.diag([15e3**2] * 3 + [300.0**2] * 3)  # 20 km at 1.3 sigma
    for P_off, in_gate in ((vague, 100.0), (None, 0.0)):
        rep = TrackLog.concatenate([log(*near), log(*off, P=P_off)])
        s = score(output(rep), [tr], labels, detections=dets, gospa_c_m=1e4)
        assert s.false_track_s == pytest.approx(100.0)
        assert s.false_track_s_in_gate == pytest.approx(in_gate)
        assert s.to_dict()["false_track_s_in_gate"] == pytest.approx(in_gate)
        assert pooled([s.sums(), s.sums()])["false_track_s_in_gate"] == pytest.approx(2 * in_gate)


def test_nees_counts_a_vague_track_past_the_cut_off_on_the_truth_that_built_it(one):
    """me64 #01: a one-satellite boost track is 10-65 km off its Sejjil-class MRBM under 25-110
    km sigmas. The association's 10 km cut-off makes it a false track, and a NEES taken over the
    matched samples only keeps the errors under 10 km: boost NEES in bounds 0.00 on the one
    sample that passed. Judged on the truth whose detections built it, its covariance is
    consistent; an estimate as far off and confident fails; a track of no truth's detections
    (a phantom) is no sample of any."""
    tr, dets, labels = one
    t = tr.t[tr.t < 60]  # the boost
    sig = np.r_[[20e3] * 3, [500.0] * 3]
    noise = np.random.default_rng(3).standard_normal((t.size, 6)) * sig
    reports = log(*follow(tr, 1, t, noise=noise), P=np.diag(sig**2))
    upd = log(t, np.ones(t.size), tr.state_at(t), detection_index=np.arange(t.size))
    s = score(output(reports, upd), [tr], labels, detections=dets, gospa_c_m=1e4)
    assert s.false_track_s > 30  # most of it past the cut-off
    assert s.nees_in_bounds_by_phase["boost"] >= 0.85
    assert s.nees_mean["boost"] == pytest.approx(6.0, rel=0.25)
    assert s.to_dict()["nees_samples"]["boost"] == t.size
    # The same errors under a covariance a hundred times too small: out of bounds throughout.
    tight = log(*follow(tr, 1, t, noise=noise), P=np.diag(sig**2 / 100))
    s = score(output(tight, upd), [tr], labels, detections=dets, gospa_c_m=1e4)
    assert s.nees_in_bounds_by_phase["boost"] == 0.0
    # Without its updates no truth built it: it tests nothing (only the matched samples do).
    s = score(output(reports), [tr], labels, detections=dets, gospa_c_m=1e4)
    assert s.to_dict()["nees_samples"]["boost"] == s.samples["boost"] < t.size


def test_nees_verdicts_judge_each_instants_mean_against_its_bounds():
    """Each sample is judged by its instant's mean NEES against the bounds for that many
    samples: an instant of one sample at 20 (over its 14.4), one of two averaging 0.5 (under
    its 2.2), one of three averaging 6 (inside); the count of instants inside agrees with
    the scorer's ``nees_in_bounds_counts``."""
    from lookout.scoring.functions import nees_in_bounds_counts, nees_verdicts

    instant = np.array([0, 1, 1, 2, 2, 2])
    values = np.array([20.0, 0.4, 0.6, 5.0, 6.0, 7.0])
    v = nees_verdicts(instant, values)
    assert v.tolist() == [1, -1, -1, 0, 0, 0]
    inside, n = nees_in_bounds_counts(instant, np.ones(6, dtype=int), values)[1]
    assert (inside, n) == (1, 3)


def test_a_track_reported_just_after_its_objects_impact_is_no_duplicate_of_a_neighbour():
    """korea73 #03 with kappa's spread: a salvo's first spent stage hit the ground 25 ms before
    a report, its track's prediction still 68 m up (its vertical sigma 197 m), and the scorer
    counted that report a duplicate of the second stage's, 3.9 km off and tracked on its own:
    one duplicate track-second. A track of an object that has hit the ground is no second track
    on anything (it is false); ended otherwise (no impact event) the rule is unchanged."""
    from lookout.physics.trajectory import Event

    full = arc("a")
    t_a = np.r_[np.arange(0.0, 300.0), 299.975]
    xa = full.state_at(t_a)
    hit = [Event("impact", 299.975, xa[-1, :3], xa[-1, 3:])]
    b = arc("b", north_offset_m=4000.0)
    dets_a, labels_a = labelled([full], np.arange(0.0, 300.0))
    dets_b, labels_b = labelled([b])
    dets, labels = dets_a + dets_b, labels_a + labels_b
    n_a = len(dets_a)
    # Track 1 built from a's detections, reported at 300 s too; track 2 from b's.
    t1 = np.arange(0.0, 301.0)
    reports = cat(follow(full, 1, t1), follow(b, 2))
    ups = log(
        np.r_[np.arange(0.0, 300.0), b.t],
        np.r_[np.ones(n_a), np.full(b.t.size, 2)],
        np.zeros((n_a + b.t.size, 6)),
        detection_index=np.arange(n_a + b.t.size),
    )
    for events, dup, false in ((hit, 0.0, 1.0), ([], 1.0, 0.0)):
        a = Trajectory("a", t_a, xa[:, :3], xa[:, 3:], t_a < 60.0, np.zeros(t_a.size, np.int64),
                       events=events)  # fmt: skip
        s = score(output(reports, ups), [a, b], labels, detections=dets)
        assert s.duplicate_track_s == dup and s.false_track_s == false
        assert s.max_tracks_per_object == (1 if events else 2)
        assert s.id_switches == 0


def test_a_vague_track_is_judged_on_the_truth_that_built_it_while_its_gate_holds_it():
    """me77 #02: two SRBM stages fall unseen 6 km apart, each track built from its own stage's
    detections only and km off it under km sigmas (each stage inside its own track's
    ellipsoid); from 383 s the tracks sat nearer each other's stage, and the distance alone
    swapped them (2 id switches, NEES 1,100-5,800 against the other stage). A track's own
    truth held in its own 99 % gate keeps it; tracks as far off and confident hand over as
    before (``test_switch_penalty_holds_close_pairs_and_hands_over_far_ones``)."""
    a, b = arc("a"), arc("b", north_offset_m=6000.0)
    dets, labels = labelled([a, b])
    n = a.t.size
    _, ids1, x1 = follow(a, 1)
    _, ids2, x2 = follow(b, 2)
    toward = (b.state_at(a.t)[:, :3] - a.state_at(a.t)[:, :3]) / 6000.0
    late = a.t >= 200.0  # unseen from 200 s: each drifts 4.5 km toward the other
    x1[late, :3] += 4500.0 * toward[late]
    x2[late, :3] -= 4500.0 * toward[late]
    seen = np.flatnonzero(~late)
    upd = cat(
        (a.t[seen], ids1[seen], x1[seen]), (b.t[seen], ids2[seen], x2[seen])
    )  # fmt: skip
    upd = log(upd.t, upd.track_id, upd.x, detection_index=np.r_[seen, n + seen])
    for sig, switches in ((3000.0, 0), (300.0, 2)):
        P = np.diag([sig**2] * 3 + [SIG_V**2] * 3)
        reports = TrackLog.concatenate([log(a.t, ids1, x1, P=P), log(b.t, ids2, x2, P=P)])
        s = score(output(reports, upd), [a, b], labels, detections=dets)
        assert s.id_switches == switches
        on_a = s.matches.track_id[s.matches.truth == 0]
        assert set(on_a.tolist()) == ({1} if switches == 0 else {1, 2})


def test_a_track_unseen_since_its_objects_impact_is_judged_on_no_other_truth():
    """me77 #02: a stage's track coasting unseen past its stage's impact (its drag
    coefficient 1.4 sigma high, 5 km behind under a 2.5 km sigma) was matched to the next
    stage down, 3 km off, from its own stage's impact on (NEES 1,000+): such a report is false,
    as it is no duplicate (``test_a_track_reported_just_after_its_objects_impact_is_no_...``).
    A track seen since its object's impact (one that took up another) is judged as before."""
    full = arc("a")
    a = arc_cut("a", 300.0)
    t_a = a.t
    b = arc("b", north_offset_m=3000.0)
    dets_a, labels_a = labelled([a], t_a)
    dets_b, labels_b = labelled([b], np.arange(0.0, 250.0))
    dets, labels = dets_a + dets_b, labels_a + labels_b
    # Track 1 built from a's detections (to 250 s) and reported to 400 s; b has no other track.
    t1 = np.arange(0.0, 400.0)
    reports = log(*follow(full, 1, t1))
    for last_seen, false in ((250.0, 100.0), (350.0, 0.0)):
        tu = np.arange(0.0, last_seen + 1.0)
        di = np.where(tu <= 300.0, tu, 0).astype(np.int64)  # a's detections by index (labels)
        di[tu > 300.0] = len(dets_a) + 200  # one of b's, after a's impact: it took b up
        ups = log(tu, np.ones(tu.size), np.zeros((tu.size, 6)), detection_index=di)
        s = score(output(reports, ups), [a, b], labels, detections=dets)
        assert s.false_track_s == pytest.approx(false)
        on_b = (s.matches.truth == 1) & (s.matches.t > 300.0)
        assert on_b.sum() == (0 if false else 99)


RADAR_SITE = geodetic_to_ecef(math.radians(42.0), math.radians(131.5), 0.0)
RADAR_R = np.diag([20.0**2, 1e-3**2, 1e-3**2])  # range 20 m, angles 1 mrad


def drifting_piece(parent: Trajectory, object_id: str, parted_s: float, drift_mps: float):
    """``parent``'s piece from ``parted_s`` on, drifting north of it at ``drift_mps`` (a spent
    stage parting from its warhead)."""
    _, n, _ = enu_basis(math.radians(40.0), math.radians(130.0))
    keep = parent.t >= parted_s
    dt = parent.t[keep] - parted_s
    return Trajectory(
        object_id, parent.t[keep], parent.pos[keep] + np.outer(drift_mps * dt, n),
        parent.vel[keep] + drift_mps * n, parent.thrusting[keep], parent.kind[keep],
        parent_id=parent.object_id,
    )  # fmt: skip


def radar_detections(tr: Trajectory):
    """One noise-free detection of ``tr`` a second by a radar 200 km north of its path."""
    from lookout.messages import Detection
    from lookout.tracking import measure

    lat, lon = math.radians(42.0), math.radians(131.5)
    z, _ = measure.radar(tr.pos, tr.vel, RADAR_SITE, np.zeros(3), enu_basis(lat, lon), 3)
    return [
        Detection(t_ns=int(round(t * 1e9)), sensor_id="radar", partner="US", kind="radar",
                  z=zi.tolist(), R=RADAR_R.tolist(), snr_db=20.0,
                  sensor_pos_ecef_m=RADAR_SITE.tolist())
        for t, zi in zip(tr.t, z, strict=True)
    ]  # fmt: skip


def stack_and_stage(drift_mps: float = 10.0):
    """A warhead ``rv`` whose spent ``stage`` parts from it at 100 s, drifting north at
    ``drift_mps``, each seen once a second (before the parting the stack's detections are
    labelled ``rv``)."""
    rv = arc("rv")
    stage = drifting_piece(rv, "stage", 100.0, drift_mps)
    dets = radar_detections(rv) + radar_detections(stage)
    labels = ["rv"] * rv.t.size + ["stage"] * stage.t.size
    return rv, stage, dets, labels


def test_a_pieces_detection_is_resolved_once_the_pieces_part_beyond_its_noise():
    """The radar's 99 % regions of a stage's and its warhead's detections (20 m in range, the
    pieces parting at 10 m/s) overlap for the first 15-30 s after the parting and are apart
    from then on; the stack's detections before it have nothing to
    resolve, and a stage 50 km off is resolved from its first detection."""
    from lookout.scoring.association import counted_truths, resolved_detections

    rv, stage, dets, labels = stack_and_stage()
    truths = counted_truths([rv, stage], labels, dets)
    res = resolved_detections(dets, labels, truths)
    n = rv.t.size
    assert not res[:100].any()  # the stack's, before the parting
    for flags in (res[n:], res[100:n]):  # the stage's and the warhead's after it
        first = int(np.argmax(flags))
        assert 15 < first < 30 and flags[first:].all() and not flags[:first].any()
    far = drifting_piece(rv, "stage", 100.0, 0.0)
    far = Trajectory("stage", far.t, far.pos + 50e3, far.vel, far.thrusting, far.kind,
                     parent_id="rv")  # fmt: skip
    dets = radar_detections(rv) + radar_detections(far)
    assert resolved_detections(dets, labels, counted_truths([rv, far], labels, dets))[n:].all()


def judged(s, t0: float) -> set[tuple[int, str]]:
    late = s.matches.t >= t0
    pairs = zip(s.matches.track_id[late], s.matches.truth[late], strict=True)
    return {(int(k), s.truth_ids[j]) for k, j in pairs}


def test_the_stacks_track_kept_on_its_stage_is_judged_on_the_stage():
    """me76 #00: a salvo's MRBM seen in boost and its spent stage after they part: the stack's
    track follows the stage, a new track the warhead. Judged on the warhead while its 100 boost
    detections outnumber the stage's (coast NEES of thousands on both pairs, two id switches a
    missile); on the stage from the parting, its first detection that tells the pieces apart
    being the stage's: the warhead's track changes once, at the parting, as it did."""
    rv, stage, dets, labels = stack_and_stage()
    n = rv.t.size
    t1, t2 = rv.t[rv.t < 100], stage.t
    reports = cat(follow(rv, 1, t1), follow(stage, 1, t2), follow(rv, 2, t2))
    di = np.concatenate([np.arange(t1.size), n + np.arange(t2.size), t2.astype(np.int64)])
    upd = log(reports.t, reports.track_id, reports.x, detection_index=di)
    s = score(output(reports, upd), [rv, stage], labels, detections=dets)
    assert judged(s, 100.0) == {(1, "stage"), (2, "rv")}
    assert s.per_truth["rv"]["id_switches"] == 1 and s.per_truth["stage"]["id_switches"] == 0


def test_the_stacks_track_on_the_stages_first_detections_within_the_noise_is_the_warheads():
    """irbm-overflight: the stack's track takes the stage's first detections while the pieces
    are within the radar's noise of each other, then the warhead's; a new track takes the
    stage. Judged on the warhead throughout (a rule crediting the stage's detections from the
    parting judged it on the stage for those seconds: 0 -> 3 id switches on irbm-overflight)."""
    rv, stage, dets, labels = stack_and_stage()
    n = rv.t.size
    t1, t2, t3 = rv.t[rv.t < 100], rv.t[(rv.t >= 100) & (rv.t < 104)], rv.t[rv.t >= 104]
    reports = cat(follow(rv, 1, t1), follow(stage, 1, t2), follow(rv, 1, t3), follow(stage, 2, t3))
    k2, k3 = np.searchsorted(stage.t, t2), np.searchsorted(stage.t, t3)
    di = np.concatenate([np.arange(t1.size), n + k2, t3.astype(np.int64), n + k3])
    upd = log(reports.t, reports.track_id, reports.x, detection_index=di)
    s = score(output(reports, upd), [rv, stage], labels, detections=dets)
    assert judged(s, 100.0) == {(1, "rv"), (2, "stage")}
    assert s.id_switches == 0
