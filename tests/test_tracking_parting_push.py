"""A piece born next to a track that has stopped thrusting starts from that track's coasting
estimate grown by the springs' push, not by a stage's fall behind a thrust
(``initiation.parting_push``; branch naro55, world79 #07's third stage)."""

from __future__ import annotations

import numpy as np

from lookout.tracking import Tracker
from lookout.tracking.formations import push_speed_variance
from lookout.tracking.initiation import new_states, parting_push, spawned
from lookout.tracking.mixing import BOOST, COAST

#: A payload in orbit at 560 km over the Philippine Sea, ECEF (m, m/s): world79 #07's at its
#: separation, rounded.
POS = np.array([-4192e3, 5013e3, 2382e3])
VEL = np.array([-2355.0, 1350.0, -6987.0])


def _parent(boost_prob: float, boosted_s: float) -> tuple[Tracker, np.ndarray]:
    """A tracker holding one track at ``POS``, ``VEL`` (200 m, 15 m/s per axis), its boost
    mode ``boost_prob`` probable, last seen thrusting at ``boosted_s``; and its row."""
    tracker = Tracker()
    cfg = tracker.config
    xm, Pm, mu = new_states(POS[None], np.eye(3)[None] * 200.0**2, VEL[None],
                            np.eye(3)[None] * 15.0**2, boost_prob, cfg)  # fmt: skip
    tracker._add(xm, Pm, mu, 0.0, 20, 100.0, 10.0)
    tracker.tracks.boosted[0] = boosted_s
    return tracker, np.array([0])


def _velocity_growth(boost_prob: float, boosted_s: float, t: float) -> np.ndarray:
    """The coast mode's velocity covariance of a piece born at ``t`` next to ``_parent``'s
    track, less the track's own, before the piece's point updates it (a point far looser than
    both: the velocity's growth is the push's)."""
    tracker, rows = _parent(boost_prob, boosted_s)
    tracks, cfg = tracker.tracks, tracker.config
    push = parting_push(tracks, rows, t, cfg)
    loose = np.eye(3)[None] * 1e12
    _, P1 = spawned(tracks.xm[rows], tracks.Pm[rows], POS[None], loose, cfg, push)
    return P1[0, COAST, 3:6, 3:6] - tracks.Pm[0, COAST, 3:6, 3:6]


def test_a_piece_released_by_a_coasting_track_is_pushed_at_the_springs_speed():
    """world79 #07: the third stage dropped the payload into orbit at 3 m/s (the simulator's
    ``PAYLOAD_SEPARATION_DV_MPS``) and was first seen 1 s later. Its track's prior was the
    payload track's estimate grown by 30 m/s on every axis: after six detections of one radar
    its velocity sigma was 27 m/s against an error of 9, its NEES 0.9 carried unseen for 350 s.
    A parent coasting since its last thrust 1 s before parted from the piece by the push:
    about 3.3 m/s root mean square along the velocity, a few cm/s across it."""
    growth = _velocity_growth(boost_prob=1e-6, boosted_s=9.0, t=10.0)
    vhat = VEL / np.linalg.norm(VEL)
    along = vhat @ growth @ vhat
    assert abs(along - push_speed_variance(Tracker().config)) < 1.0, along
    across = np.trace(growth) - along
    assert across < 0.1, across  # (m/s)^2: the push's direction, 0.01 rad of 3.3 m/s
    # Against the isotropic push it replaced: 30 m/s on each axis, 2,700 (m/s)^2 in all.
    assert np.trace(growth) < 0.01 * 3 * Tracker().config.spawn_vel_sigma_mps ** 2


def test_a_piece_released_by_a_track_still_thrusting_keeps_the_wide_push():
    """A track seen thrusting at this very scan (a staging: the stage falls behind its stack by
    the thrust, tens of m/s within seconds) or in part still believed thrusting gives its
    piece the wide push, weighed by that belief."""
    wide = 3 * Tracker().config.spawn_vel_sigma_mps ** 2
    seen_now = _velocity_growth(boost_prob=0.99, boosted_s=10.0, t=10.0)
    assert abs(np.trace(seen_now) - wide) < 1e-6 * wide
    tracker, _ = _parent(0.3, 9.0)
    b = tracker.tracks.mu[0, BOOST]
    half = _velocity_growth(boost_prob=0.3, boosted_s=9.0, t=10.0)
    assert abs(np.trace(half) - (b * wide + (1 - b) * push_speed_variance(tracker.config))) < 1.0
