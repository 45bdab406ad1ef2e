"""Tracks no longer seen: deleted after some missed looks of a radar that looks at them (its
scans, or its declared coverage), coasting on when out of every radar's coverage or when the
radar is declared out of action."""

from __future__ import annotations

import numpy as np
import pytest
from scenes import radar, reports_each_second, sense

from lookout.flight import Aim, fly

# Guidance solved once per aim and kept, as a scenario's is (``plancache``: keyed by the source of
# the solver and the physics, so any change to them solves it again); every flight is flown here.
from lookout.flight.plancache import plan_cached as plan
from lookout.sensors import make_sensor
from lookout.tracking.coverage import RadarCoverage


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
    rep = reports_each_second(feed, traj.t_end)
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
    rep = reports_each_second(dets, traj.t_end)
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
        d for d, lab in zip(dets, labels, strict=True) if lab is None or t0 <= d.t_ns * 1e-9 < t_cut
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
    rep = reports_each_second(feed, t_end, coverage=coverage)
    assert len(np.unique(rep.track_id)) == 1
    assert t_cut < rep.t.max() < t_cut + 120.0, (t_cut, rep.t.max(), t_end)
    learned = reports_each_second(feed, t_end)
    assert learned.t.max() > t_cut + 200.0, (t_cut, learned.t.max(), t_end)


def test_a_declared_radar_out_of_action_judges_no_track():
    """The same radar declared out of action from the moment it stops seeing the missile: it
    looks at nothing, so the track is not disproven and coasts on."""
    feed, t_cut, t_end, _ = _young_track_then_nothing()
    _, _, _, coverage = _young_track_then_nothing(outages=[(t_cut, 10_000.0)])
    rep = reports_each_second(feed, t_end, coverage=coverage)
    assert rep.t.max() > t_cut + 200.0, (t_cut, rep.t.max(), t_end)


def test_a_dormant_track_put_back_to_sleep_keeps_what_its_radars_had_learned():
    """A dormant track (its object unseen for 30 min) woken by one detection of a radar that
    sees its object at a few per cent of its looks (a reentry vehicle at 2,000 km), and put back
    to sleep when nothing follows (``Wakes.unwake``: taken for a false alarm), is put back with
    the detection probability that radar had learned, not raised by the hit it no longer
    counts: the radar's later misses cost it nothing, as before the wake. Measured on generated
    gen-11-01: the hits kept, each miss cost 0.15, and the dormant reentry vehicle's track was
    scored out before the other radars saw it again (a new track, flown back to a phantom
    launch)."""
    from lookout.tracking.existence import RadarLooks, Wakes

    cfg, site, basis, far, tracks = _radar_and_dormant_track(38.0, 131.0, 1.8e6)
    looks = RadarLooks(cfg, tracks, {"far": far})
    none = np.zeros(0, dtype=np.int64)
    # Thirty minutes on, the far radar looks at the dormant track and misses it: at a learned
    # Pd under the floor (no hit in ten looks) its misses tell nothing.
    for t in np.arange(1800.0, 1810.0):
        looks.note("far", t, site, basis, none, far)
    assert (tracks.hits[0], tracks.llr[0]) == (50, 1000.0)
    wakes = Wakes(cfg, tracks)
    before = {a: getattr(tracks, a)[0].copy() for a in ("pd_hits", "pd_looks", "pd_run", "llr")}
    # One detection wakes it (the update's score and its hit), and a new radar looks at it.
    wakes.note(np.array([0]), 1810.0, 5.0, np.array([0.0]), np.array([5.0]))
    tracks.llr[0] += 30.0
    tracks.llr_max[0] = tracks.llr[0]
    tracks.t[0] = tracks.t_base[0] = 1810.0
    looks.note("far", 1810.0, site, basis, np.array([0]), far)
    looks.note("near", 1811.0, site, basis, none, far)
    assert tracks.pd_hits[0, 0] > before["pd_hits"][0]
    # Nothing follows: put back to sleep as it was, the learned Pd too.
    wakes.unwake(1820.0, 5.0)
    assert tracks.llr[0] == before["llr"]
    np.testing.assert_array_equal(tracks.pd_hits[0, :1], before["pd_hits"])
    np.testing.assert_array_equal(tracks.pd_looks[0, :1], before["pd_looks"])
    assert tracks.pd_hits[0, 1] == tracks.pd_looks[0, 1] == 0.0
    for t in np.arange(1821.0, 1841.0):
        looks.note("far", t, site, basis, none, far)
    assert tracks.llr[0] == before["llr"], tracks.llr[0] - before["llr"]


@pytest.mark.parametrize(
    ("second", "parted_s", "piece", "kept"),
    [
        # Two detections 4 s apart whose evidence together confirms: kept.
        (19.4, None, False, True),
        # Too little evidence together (the second a sibling's, or clutter): put back.
        (2.0, None, False, False),
        # Lost at its burnout 27 s before, the other piece without a track of its own: either
        # piece may have given either detection, put back.
        (19.4, 27.0, False, False),
        # The other piece's track holds that piece's detections: kept.
        (19.4, 27.0, True, True),
    ],
)
def test_a_lost_track_woken_keeps_two_detections_whose_evidence_confirms_it(
    second, parted_s, piece, kept
):
    """A lost track (unseen for 67 s) woken by a detection too weak alone to tell its object
    from a false alarm (evidence 9.4, under ``confirm_llr``: ``Wakes.note``), then updated once
    more within the timeout. Its prediction is a state already, each detection tests it: when
    the two detections' evidence together confirms a track, it keeps them (no longer held as
    woken, the unwake leaves it); when it does not, it is put back as it was. Evidence, not
    score: the score less what other tracks gating the detection take of it
    (``Associator._rivals``). A track that came apart at its burnout and whose other piece has
    no track yet waits for a new track's three detections: its gate holds both pieces.
    Measured on generated world74 #07 (an IRBM's reentry vehicle seen by one radar 7 times in
    120 s, its detections 4 s apart scoring 9.4 and 19.4 put back for want of a third): coast
    NEES in bounds 0.46 -> 1.00; on its sensor seeds 1 and 2 the stage's detection woke it
    first, before the stage had a track (kept, seed 1's 0.81 -> 0.10)."""
    from lookout.tracking.existence import Wakes

    cfg, _, _, _, tracks = _radar_and_dormant_track(38.0, 131.0, 500e3)
    assert 9.4 < cfg.confirm_llr < 9.4 + 19.4 and 9.4 + 2.0 < cfg.confirm_llr
    if parted_s is not None:
        tracks.boosted[0] = 67.0 - parted_s
    if piece:
        tracks.add(tracks.xm[:1], tracks.Pm[:1], tracks.mu[:1], 60.0, 5, 20.0, 600.0, parent=1)
    wakes = Wakes(cfg, tracks)
    saved = tracks.xm[0].copy()
    wakes.note(np.array([0]), 67.0, 5.0, np.array([0.0]), np.array([9.4]))
    assert 1 in wakes.woken
    tracks.xm[0, :, 0] += 3e3  # the updates pull it to its object
    tracks.t[0] = tracks.t_base[0] = 67.0
    wakes.note(np.array([0]), 71.0, 5.0, np.array([0.0]), np.array([second]))
    tracks.t[0] = tracks.t_base[0] = 71.0
    assert (1 not in wakes.woken) == kept
    wakes.unwake(90.0, 5.0)
    assert not wakes.woken
    assert np.array_equal(tracks.xm[0], saved) != kept


def test_a_detection_another_track_explains_is_no_evidence_for_the_track_it_woke():
    """The evidence a detection gives the woken track that took it (``Associator._rivals``): a
    second track that gates it and took no detection in the scan, its density there 20 times
    the woken one's (a spent stage's track, tight, against a reentry vehicle's grown over a
    minute unseen), explains it: the score of 9.4 becomes evidence under 0. A second track
    holding its own detection, this one 4 sigmas off its own, does not: the evidence stays
    9.4 but for the 0.03 % that the two detections are the other way round."""
    from lookout.tracking.association import _LOG_2PI, Associator
    from lookout.tracking.config import TrackerConfig

    assoc = Associator.__new__(Associator)
    assoc._log_pd = np.log(TrackerConfig().detection_prob)
    m, density = 3, -40.0
    # The woken track's cost of the detection (0) for a score of 9.4.
    c_woken = 2.0 * (assoc._log_pd - density - 9.4) - m * _LOG_2PI
    ok = np.ones((2, 2), dtype=bool)
    cost = np.array([[c_woken, np.inf], [c_woken - 2.0 * np.log(20.0), 0.0]])
    ok[0, 1] = False
    ia, jb = np.array([0]), np.array([0])
    (rival,) = Associator._rivals(assoc, ia, jb, ok, cost, density, m)
    assert 9.4 - rival < 0.0, rival
    # The second track takes its own detection (cost: ``-2 ln`` density), 4 sigmas closer.
    cost[1] = [cost[1, 1] + 16.0, cost[1, 1]]
    ia, jb = np.array([0, 1]), np.array([0, 1])
    rival = Associator._rivals(assoc, ia, jb, ok, cost, density, m)
    assert 0.0 < rival[0] < 1e-3, rival


def test_a_radar_that_never_sees_a_track_costs_it_at_most_the_floors_evidence():
    """A confirmed track inside a declared radar's field (a scan a second) that the radar never
    sees, missed for two minutes: the object may be one that radar does not see (a reentry
    vehicle at a twentieth of a square metre), so its misses together cost the track at most
    ``ln(1 / miss_pd_floor)``, and the track is not deleted. The Pd learned from forgotten
    looks never falls under the floor (0.10 at one scan a second), and charged at every look,
    120 misses cost 15.0, past ``delete_score_drop`` (13.8): measured on generated gen-11-01, the
    dormant reentry vehicle's track was scored out 10 s before the radars saw it again, and a
    second track was started on it."""
    import math

    from lookout.tracking.existence import RadarLooks, aged

    cfg, site, basis, near, tracks = _radar_and_dormant_track(37.0, 135.0, 500e3)
    looks = RadarLooks(cfg, tracks, {"near": near})
    none = np.zeros(0, dtype=np.int64)
    for t in np.arange(1.0, 121.0):
        looks.note("near", t, site, basis, none, near)
    assert tracks.pd_looks[0, 0] > 5.0  # it was looked at
    lost = 1000.0 - tracks.llr[0]
    assert 2.0 < lost <= math.log(1.0 / cfg.miss_pd_floor) + 1e-9, lost
    assert not aged(tracks, 120.0, cfg)[0]


def _radar_and_dormant_track(lat_deg: float, lon_deg: float, alt_m: float):
    """A radar on the Sea of Japan coast (a scan a second, 2,500 km) and one confirmed coasting
    track at (``lat_deg``, ``lon_deg``, ``alt_m``) of a long history (50 hits, score 1000):
    (config, the radar's site and ENU basis, its coverage, the track store)."""
    from lookout.geodesy import enu_basis, geodetic_to_ecef
    from lookout.tracking.association import refresh_coarse
    from lookout.tracking.config import TrackerConfig
    from lookout.tracking.mixing import COAST, NMODE, NX
    from lookout.tracking.store import TrackStore

    cfg = TrackerConfig()
    lat, lon = np.radians(35.6), np.radians(135.2)
    site = np.asarray(geodetic_to_ecef(lat, lon, 100.0), dtype=float)
    basis = np.asarray(enu_basis(lat, lon), dtype=float)
    radar = RadarCoverage(
        max_range_m=2500e3, el_min_rad=0.0, el_max_rad=np.radians(85.0), boresight_rad=0.0,
        half_span_rad=np.pi, revisit_s=1.0, phase_s=0.0,
        antenna=lambda t: (np.tile(site, (np.size(t), 1)), np.tile(basis, (np.size(t), 1, 1))),
    )  # fmt: skip
    tracks = TrackStore()
    x = np.zeros((1, NMODE, NX))
    x[0, :, :3] = np.asarray(geodetic_to_ecef(np.radians(lat_deg), np.radians(lon_deg), alt_m))
    P = np.tile(np.diag([100.0**2] * 3 + [1.0] * 3 + [1e-4] * (NX - 6)), (1, NMODE, 1, 1))
    tracks.add(x, P, np.eye(NMODE)[[COAST]], t=0.0, hits=50, llr=1000.0, timeout=600.0)
    tracks.confirmed[0] = True
    refresh_coarse(tracks, np.array([0]), cfg)
    return cfg, site, basis, radar, tracks


def _receding_track(speed_mps: float):
    """A radar (a scan a second, 2,500 km) and a confirmed coasting track 1,400 km from it,
    moving straight away from it at ``speed_mps`` (0: staying put), seen at one look in three
    for a minute (a 0.05 m² reentry vehicle): (config, the radar's site and ENU basis, its
    coverage, the track store)."""
    from lookout.tracking.association import refresh_coarse
    from lookout.tracking.existence import RadarLooks

    cfg, site, basis, radar, tracks = _radar_and_dormant_track(37.0, 135.0, 500e3)
    p = tracks.xm[0, 0, :3]
    u = (p - site) / np.linalg.norm(p - site)
    tracks.xm[0, :, :3] = site + 1.4e6 * u
    tracks.xm[0, :, 3:6] = speed_mps * u
    refresh_coarse(tracks, np.array([0]), cfg)
    tracks.cacc[0] = 0.0  # straight out: the range is the test's, not gravity's
    looks = RadarLooks(cfg, tracks, {"near": radar})
    none = np.zeros(0, dtype=np.int64)
    for k in range(60):
        looks.note("near", float(k), site, basis, np.array([0]) if k % 3 == 0 else none, radar)
    tracks.llr_max[0] = tracks.llr[0] = 1000.0
    return cfg, site, basis, radar, tracks, looks


def test_a_run_of_misses_of_an_object_flying_away_from_its_radar_ends_where_it_fades():
    """world47 #7's SLBM-1 reentry vehicle: seen by no-ewr-north at a few looks in ten out to
    1,398 km, then flying out to 2,000 km in 130 s unseen. Each miss of that run cost at least
    the floor's ``ln(1 - miss_pd_floor)`` (11.7 with no-ewr-west), and its track was scored out
    at the next radar's first scans. The Pd of the last detection falls with the range
    (Swerling 1: ``Pd0 ** ((R / R0) ** 4)``), and the run ends where it falls under the
    floor: the track is not deleted. A track missed as long at the range it was seen at is."""
    from lookout.tracking.existence import aged

    none = np.zeros(0, dtype=np.int64)
    for speed, deleted in ((4.6e3, False), (0.0, True)):
        cfg, site, basis, radar, tracks, looks = _receding_track(speed)
        for t in np.arange(60.0, 190.0):
            looks.note("near", t, site, basis, none, radar)
        assert bool(aged(tracks, 190.0, cfg)[0]) is deleted, (speed, 1000.0 - tracks.llr[0])


def test_a_young_track_lost_by_a_radar_that_saw_it_while_tentative_is_deleted():
    """me60 #03's fusion: a coasting track of a thrusting third stage, two detections of a
    radar scanning every second while tentative, confirmed by another radar, then missed by
    the first at every scan. Its misses are a run after a detection (each at least
    ``ln(1 - miss_pd_floor)``), so in two and a half minutes the track is deleted; taken as
    outside any run they cost it ``ln(1 / miss_pd_floor)`` together, and it was reported for
    370 s following nothing."""
    import math

    from lookout.tracking.existence import RadarLooks, aged

    cfg, site, basis, near, tracks = _radar_and_dormant_track(37.0, 135.0, 500e3)
    tracks.confirmed[0] = False
    tracks.hits[0] = 1
    tracks.llr[0] = tracks.llr_max[0] = 0.0
    tracks.cacc[0] = 0.0  # the range is the test's, not gravity's
    looks = RadarLooks(cfg, tracks, {"near": near})
    none, it = np.zeros(0, dtype=np.int64), np.array([0])
    looks.note("near", 1.0, site, basis, it, near)  # detections while tentative
    looks.note("near", 2.0, site, basis, it, near)
    tracks.confirmed[0] = True  # by another radar's detection
    tracks.llr[0] = tracks.llr_max[0] = 40.0
    for t in np.arange(3.0, 153.0):
        looks.note("near", t, site, basis, none, near)
    lost = 40.0 - tracks.llr[0]
    assert lost > math.log(1.0 / cfg.miss_pd_floor) + 1.0, lost
    assert aged(tracks, 152.0, cfg)[0], lost
