"""A lone detection of one of two confirmed siblings, from a radar that has updated neither,
is held (``Associator._hold_unresolved``; world47 #2, the Korean MRBM, issue 13).

The geometry of world47 #2 at 265.85 s, reduced: a payload and its stage 100 m apart along a
new precise radar's line of sight, both tracks 50 m sigmas from the first radars, the stage's
track 150 m off its object along that line (3 sigmas: its error where the first radars see
least, and a far radar's 2.4-sigma range). The new radar's first scan sees the stage alone;
the densities give it to the payload's track (2 sigmas off it), whose range then sits on the
stage's to metres, and at the next scan the payload's own detection gated no track and
started a third (three tracks on one object for 170 s, coast NEES in bounds 0.43)."""

from __future__ import annotations

import numpy as np
from scenes import confirmed_siblings

from lookout.geodesy import enu_basis, geodetic_to_ecef
from lookout.tracking import measure
from lookout.tracking.motion import NX, propagate
from lookout.tracking.scans import Scan

RANGE_SIGMA_M = 5.0


def _site():
    s = geodetic_to_ecef(np.radians(40.9), np.radians(140.3), 0.0)
    return np.asarray(s, dtype=float), enu_basis(np.radians(40.9), np.radians(140.3))


def _pair():
    """A tracker with two confirmed coasting tracks, a payload's (row 0) and its stage's (row
    1, born next to it), 900 km from the radar at 90 km up, receding at 2.5 km/s, and the
    truth: the payload at ``p``, the stage 100 m behind it; the stage's track 150 m further
    behind its object."""
    s, B = _site()
    p = s + B.T @ np.array([0.0, 895e3, 90e3 + 63e3])  # ~90 km up, the Earth's curve
    u = (p - s) / np.linalg.norm(p - s)
    v = 2500.0 * u
    stage = p - 100.0 * u
    tracker = confirmed_siblings(np.stack([p, stage - 150.0 * u]), v, 50.0, 2.0)
    return tracker, s, B, p, stage, v


def _at(points, v, t):
    """The bodies at ``points`` (k, 3) with velocity ``v`` at t = 0, flown to ``t`` in vacuum
    (the tracker's own model; over two seconds gravity alone moves them 20 m off a line)."""
    x = np.zeros((len(points), NX))
    x[:, :3], x[:, 3:6] = points, v
    return propagate(x, np.full(len(points), t), with_jacobian=False)[0][:, :3]


def _scan(tracker, s, B, points, t):
    z, _ = measure.radar(points, np.zeros_like(points), s, np.zeros(3), B, 3)
    R = np.broadcast_to(np.diag([RANGE_SIGMA_M**2, 3e-4**2, 3e-4**2]), (len(points), 3, 3))
    scan = Scan(t=t, sensor="fbx", kind="radar", z=z, R=R.copy(), s=s,
                index=np.arange(len(points)))  # fmt: skip
    tracker._sensor_geometry(scan)
    return scan


def _range_error(tracker, s, row, truth):
    x = tracker.tracks.xm[row, 1, :3]  # the coast mode
    return abs(np.linalg.norm(x - s) - np.linalg.norm(truth - s))


def test_a_new_radars_lone_detection_of_a_pair_is_held_and_its_next_scan_orders_them():
    tracker, s, B, p, stage, v = _pair()
    tracks = tracker.tracks
    # The first scan: the stage's detection alone, in both tracks' gates; the densities
    # prefer the payload's track.
    t1 = 1.0
    tracker.process_scan(_scan(tracker, s, B, _at(stage[None], v, t1), t1))
    assert tracks.n == 2  # no track started on it
    assert (tracks.t[:2] == 0.0).all()  # neither updated
    # The next scan sees both: each track takes its own object's detection, none is born.
    t2 = 2.0
    now = _at(np.stack([p, stage]), v, t2)
    tracker.process_scan(_scan(tracker, s, B, now, t2))
    assert tracks.n == 2 and (tracks.t[:2] == t2).all()
    assert _range_error(tracker, s, 0, now[0]) < 3 * RANGE_SIGMA_M
    assert _range_error(tracker, s, 1, now[1]) < 3 * RANGE_SIGMA_M


def test_a_radar_that_has_seen_one_of_the_pair_is_not_held():
    """Once the radar has updated one of the two tracks, its lone detection is assigned (by
    the densities and the looks, ``_lone_by_pd``); and a pair the radar never resolves is
    held at most ``_hold_max`` scans (9: the evidence ln 10^6 that it sees one of them only,
    0.2 a scan at Pd 0.9)."""
    tracker, s, B, p, stage, v = _pair()
    code = tracker.looks.code("fbx")
    tracker.tracks.pd_hits[1, code] = 1.0
    tracker.tracks.pd_looks[1, code] = 1.0
    tracker.tracks.pd_t[1, code] = 0.0
    tracker.process_scan(_scan(tracker, s, B, _at(stage[None], v, 1.0), 1.0))
    assert (tracker.tracks.t[:2] == 1.0).any()
    assert tracker.associator._hold_max == 9
    tracker, s, B, p, stage, v = _pair()
    for k in range(1, 11):
        tracker.process_scan(_scan(tracker, s, B, _at(stage[None], v, float(k)), float(k)))
        if k <= 9:
            assert (tracker.tracks.t[:2] == 0.0).all(), k
    assert (tracker.tracks.t[:2] == 10.0).any()


def test_a_pair_never_resolved_gives_its_next_detection_to_the_track_the_held_ones_favour():
    """world47 #7 (us-ship, SLBM-2's reentry vehicle and its third stage 560 s unseen): the
    radar sees the stage alone, nine scans held; the tenth detection, 2 sigmas of its angles
    off the stage toward the vehicle's track, favours that track by itself. Given it, the
    vehicle's track took the stage's detections, lost them to the stage's own track and was
    scored out. The nine held detections and the tenth favour the stage's track together: it
    takes the tenth, and the vehicle's track is left as it was."""
    s, B = _site()
    rv = s + B.T @ np.array([0.0, 895e3, 90e3 + 63e3])
    u = (rv - s) / np.linalg.norm(rv - s)
    east = B[0] - (B[0] @ u) * u
    east /= np.linalg.norm(east)
    stage = rv - 3e3 * east  # 3 km apart across the radar's line of sight
    v = 2500.0 * u
    tracker = confirmed_siblings(np.stack([rv, stage]), v, 1e3, 2.0)  # 1 km: 560 s unseen
    ang = 1e-3  # the radar's angle sigma (rad): 0.9 km across at 900 km

    def scan(point, t):
        z, _ = measure.radar(point[None], np.zeros((1, 3)), s, np.zeros(3), B, 3)
        R = np.diag([RANGE_SIGMA_M**2, ang**2, ang**2])[None]
        sc = Scan(t=t, sensor="far", kind="radar", z=z, R=R, s=s, index=np.arange(1))
        tracker._sensor_geometry(sc)
        return sc

    for k in range(1, 10):
        tracker.process_scan(scan(_at(stage[None], v, float(k))[0], float(k)))
    assert (tracker.tracks.t[:2] == 0.0).all()  # nine held
    off = _at((stage + 2e3 * east)[None], v, 10.0)[0]  # 2 km toward the vehicle's track
    tracker.process_scan(scan(off, 10.0))
    assert tracker.tracks.n == 2
    assert tracker.tracks.t[1] == 10.0  # the stage's track took it
    assert tracker.tracks.t[0] == 0.0  # the vehicle's did not


def _stack_looks(tracker, seen_at: float) -> None:
    """Row 0 (the payload's track) as the stack's: born 20 s before its stage's track (row 1,
    born at 0 next to it), radar ``fbx`` seeing it at every scan until ``seen_at``."""
    tracks = tracker.tracks
    code = tracker.looks.code("fbx")
    tracks.born[0] = -20.0
    tracks.pd_hits[0, code] = 9.0
    tracks.pd_looks[0, code] = 9.0
    tracks.pd_run[0, code] = 0.9
    tracks.pd_t[0, code] = seen_at
    tracks.pd_seen[0, code] = seen_at


def test_a_radars_looks_at_the_stack_do_not_decide_which_piece_it_sees():
    """me74 #05: us-ship saw only MRBM-1's stage (its vehicle too small), its detections of
    the stack in the track that kept the vehicle; after us-fbx-negev resolved the pair, the
    ship's lone stage detections went to that track on the stack's ``Pd``, and its range of
    the stage beside the other radar's of the vehicle put the track 460 m off across the
    track under a 50 m sigma. Looks from before the younger track's birth are either
    object's: the lone detection is held as from a radar that has seen neither, also while
    the piece's track, born from a scan that resolved the pair, is tentative."""
    for confirmed in (True, False):
        tracker, s, B, p, stage, v = _pair()
        tracker.tracks.confirmed[1] = confirmed
        _stack_looks(tracker, seen_at=-1.0)
        tracker.process_scan(_scan(tracker, s, B, _at(stage[None], v, 1.0), 1.0))
        assert tracker.tracks.n == 2, confirmed
        assert (tracker.tracks.t[:2] == 0.0).all(), confirmed  # held: neither updated


def test_a_radar_that_saw_a_piece_since_the_parting_is_not_held():
    """The same radar having updated the payload's track since its stage's was born: its
    looks are the pair's own, and its lone detection is assigned (``_lone_by_pd``)."""
    tracker, s, B, p, stage, v = _pair()
    _stack_looks(tracker, seen_at=0.5)
    tracker.process_scan(_scan(tracker, s, B, _at(stage[None], v, 1.0), 1.0))
    assert (tracker.tracks.t[:2] == 1.0).any()
