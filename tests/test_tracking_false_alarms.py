"""False alarms that could be taken for an object: one in the coast gate of a lost track, one on
the line of sight from a satellite to a plume, lines of sight of one satellite alone, and a
lost track flying off on a false alarm."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scenes import IR_GEO, IR_GEO2, radar, reports_each_second, sense

from lookout.flight import Aim, fly

# Guidance solved once per aim and kept, as a scenario's is (``plancache``: keyed by the source of
# the solver and the physics, so any change to them solves it again); every flight is flown here.
from lookout.flight.plancache import plan_cached as plan
from lookout.geodesy import enu_basis, geodetic_to_ecef
from lookout.tracking import Tracker, TrackerConfig, TrackLog, track


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
        return reports_each_second(sorted(feed, key=lambda d: d.t_ns), t_fa + 30, no_miss_deletion)

    clean, dirty = reports(seen + clutter), reports([*seen, *clutter, fa])
    (tid,) = np.unique(clean.track_id)
    assert set(np.unique(dirty.track_id)) == {tid}
    assert dirty.t.max() == clean.t.max() > t_fa + 20.0
    after = dirty.t > t_fa
    assert after.sum() > 10, dirty.t[after]
    for t, x in zip(dirty.t, dirty.x, strict=True):
        (i,) = np.flatnonzero(clean.t == t)
        assert np.linalg.norm(x[:3] - clean.x[i, :3]) < 100.0, t


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
