"""The event-driven assessment's schedule (``lookout.assess.schedule``): a track is looked at
again when it is new, changed phase, moved by a meaningful amount with detections since, or has
waited the longest interval; a steady track is not."""

import numpy as np

from lookout.assess.schedule import MAX_INTERVAL_S, LookSchedule, divergence, flown
from lookout.geodesy import R_EQUATOR


def _coasting(alt_m: float = 300e3, vr: float = 1000.0):
    x = np.array([R_EQUATOR + alt_m, 0.0, 0.0, vr, 3000.0, 0.0])
    P = np.diag([200.0**2] * 3 + [10.0**2] * 3)
    return x, P


def _offer(s, t, x, P, bp=0.0, seen=None):
    return s.due(t, ["T1"], x[None], P[None], np.array([bp]), [t if seen is None else seen])


def test_a_new_track_is_due_and_a_steady_one_is_not():
    s = LookSchedule()
    x, P = _coasting()
    assert _offer(s, 1.0, x, P).tolist() == [0]
    # One second later, exactly where the look flew it, as certain: nothing to assess.
    xf, _ = flown(x[None], P[None], np.array([1.0]))
    assert _offer(s, 2.0, xf[0], P).size == 0


def test_a_move_of_several_sigmas_with_detections_is_due():
    s = LookSchedule()
    x, P = _coasting()
    _offer(s, 1.0, x, P)
    xf, _ = flown(x[None], P[None], np.array([1.0]))
    moved = xf[0] + np.array([0, 0, 0, 0, 0, 40.0])  # 4 sigma in velocity
    assert _offer(s, 2.0, moved, P, seen=1.0).size == 0  # no detection since the look: not due
    assert _offer(s, 2.0, moved, P, seen=1.9).tolist() == [0]


def test_a_phase_change_and_the_longest_interval_are_due():
    s = LookSchedule()
    x, P = _coasting()
    _offer(s, 1.0, x, P)
    xf, _ = flown(x[None], P[None], np.array([1.0]))
    assert _offer(s, 2.0, xf[0], P, bp=0.9).tolist() == [0]  # boosting now
    s = LookSchedule()
    _offer(s, 1.0, x, P)
    t = 1.0 + MAX_INTERVAL_S
    xf, _ = flown(x[None], P[None], np.array([MAX_INTERVAL_S]))
    assert _offer(s, t, xf[0], P, seen=0.0).tolist() == [0]


def test_divergence_is_zero_for_the_same_estimate_and_half_d2_for_a_move():
    x, P = _coasting()
    assert abs(float(divergence(x[None], P[None], x[None], P[None])[0])) < 1e-9
    y = x + np.array([200.0, 0, 0, 0, 0, 0])  # one sigma
    assert abs(float(divergence(y[None], P[None], x[None], P[None])[0]) - 0.5) < 1e-9
