"""A dormant track's negligible boost mode is no burn past what any vehicle can do.

A confirmed track unseen for minutes (dormant) is rebased every second and never updated, so
its negligible boost mode, which an update would restart from the coast mode
(``mixing.reseed_boost``), flew on its own: gen-middle-east-79-02's AE track 92 held its thrust
at the cap and its position sigma reached 1.8e4 km (nan54). At its rebase it is now restarted
where it is past any thrust (``mixing.outlived_boost``); and a mode not live no longer spoils
its track's gating cost (``association.mixture_cost``).
"""

from __future__ import annotations

import numpy as np

from lookout.geodesy import geodetic_to_ecef
from lookout.tracking import Tracker, reach
from lookout.tracking.association import mixture_cost
from lookout.tracking.config import TrackerConfig
from lookout.tracking.mixing import (
    BOOST,
    BURNS_S,
    COAST,
    NMODE,
    NX,
    outlived_boost,
)

_CAP = reach.MARGIN * reach.thrust_acceleration_max_mps2()


def _coasting_track(thrust_mps2: float, parent: int | None):
    """A tracker holding one confirmed track 300 km up at 3 km/s, last updated at 100 s, its
    boost mode 1e-4 probable with ``thrust_mps2`` along the velocity (a 30 m/s² sigma per
    axis), born next to track ``parent`` (None: on its own, its boost mode young)."""
    cfg = TrackerConfig()
    pos = np.asarray(geodetic_to_ecef(np.radians(30.0), np.radians(50.0), 300e3), dtype=float)
    up = pos / np.linalg.norm(pos)
    east = np.cross([0.0, 0.0, 1.0], up)
    east /= np.linalg.norm(east)
    vel = 3000.0 * east + 500.0 * up
    x = np.zeros((NMODE, NX))
    x[:, :3], x[:, 3:6] = pos, vel
    x[BOOST, 6:9] = thrust_mps2 * vel / np.linalg.norm(vel)
    P = np.tile(np.diag([300.0**2] * 3 + [10.0**2] * 3 + [0.0] * 3 + [1e-8]), (NMODE, 1, 1))
    P[BOOST, 6:9, 6:9] = np.eye(3) * cfg.init_acc_sigma_mps2**2
    mu = np.array([1e-4, 1.0 - 1e-4 - 1e-3, 1e-3])
    tracker = Tracker(cfg)
    par = None if parent is None else np.array([parent])
    tracker._add(x[None], P[None], mu[None], 100.0, 60, 200.0, 10.0, parent=par)
    tracker.tracks.confirmed[0] = True
    return tracker


def _past(tracker, t: float) -> tuple[float, float, float]:
    """The stored boost mode's rms thrust over the cap, and its rms displacement from the
    coast mode over the largest any thrust gives since the last update, at ``t``."""
    tracks = tracker.tracks
    xm, Pm = tracks.xm[0], tracks.Pm[0]
    a = xm[BOOST, 6:9]
    thrust = np.sqrt(a @ a + np.trace(Pm[BOOST, 6:9, 6:9]))
    dp = xm[BOOST, :3] - xm[COAST, :3]
    spread = max(np.trace(Pm[BOOST, :3, :3]) - np.trace(Pm[COAST, :3, :3]), 0.0)
    reach_m = float(reach.thrust_displacement_m(t - tracks.t[0]))
    return thrust / _CAP, np.sqrt(dp @ dp + spread) / reach_m, float(tracks.mu[0, BOOST])


def test_a_dormant_tracks_boost_mode_stays_within_any_thrust():
    """Unseen for 80 s, a negligible boost mode of 75 m/s² (a piece's: not young) kept flown
    as its own walked its thrust's spread past every stage's largest thrust after ~50 s (rms
    322 m/s² at 50 s, 2,600 at 175 s, its position 8,500 km wide); restarted where it is past,
    it stays within both bounds at every rebase, and its probability is the IMM's."""
    tracker = _coasting_track(75.0, parent=5)
    worst = [0.0, 0.0]
    for t in np.arange(101.0, 181.0):
        tracker.report(float(t))
        thrust, disp, mu_b = _past(tracker, t)
        assert np.isfinite(tracker.tracks.Pm[0]).all()
        worst = [max(worst[0], thrust), max(worst[1], disp)]
        assert 0.0 < mu_b < TrackerConfig().boost_reseed_prob
    assert worst[0] <= 1.0 and worst[1] <= 1.0, worst


def test_a_young_boost_mode_keeps_its_own_evidence_unseen():
    """A track born on its own less than ``young_boost_s`` ago keeps the boost mode it was born
    with (``young_boost``), unseen as at an update: not restarted, though past."""
    tracker = _coasting_track(250.0, parent=None)
    for t in np.arange(101.0, 121.0):
        tracker.report(float(t))
    thrust, _, _ = _past(tracker, 120.0)
    assert thrust > 1.0  # grown to the cap and wide, left as it is


def test_outlived_boost_bounds():
    """Each bound alone: the rms thrust past the cap, the rms displacement past the reach,
    the time since the track's birth past every burn, and a non-finite mode."""
    xm = np.zeros((5, NMODE, NX))
    Pm = np.tile(np.eye(NX) * 100.0**2, (5, NMODE, 1, 1))
    Pm[:, BOOST, 6:9, 6:9] = np.eye(3) * 30.0**2
    unseen = np.full(5, 20.0)
    born = np.full(5, 60.0)
    xm[1, BOOST, 6] = 1.01 * _CAP
    xm[2, BOOST, 0] = 1.01 * float(reach.thrust_displacement_m(20.0))
    born[3] = 1.1 * BURNS_S.max() + 10.0 + 40.0
    Pm[4, BOOST, 0, 0] = np.nan
    assert outlived_boost(xm, Pm, unseen, born).tolist() == [False, True, True, True, True]
    # Just within: a thrust at 0.99 of the cap, a burn as long as the catalogue's longest.
    xm[1, BOOST, 6] = np.sqrt((0.99 * _CAP) ** 2 - 3 * 30.0**2)
    born[3] = BURNS_S.max()
    xm[2, BOOST, 0] = 0.99 * float(reach.thrust_displacement_m(20.0))
    Pm[4, BOOST, 0, 0] = 100.0**2
    assert not outlived_boost(xm, Pm, unseen, born).any()


def test_a_mode_not_live_does_not_spoil_the_cost():
    """A mode left out of the mixture (not live) is no term of it, even non-finite: the cost is
    the live modes' (it was NaN: ``-inf + NaN`` in the sum, and the track gated nothing). A
    live mode's NaN is still its track's cost."""
    d2m = np.array([[[np.nan, 4.0], [2.0, 9.0], [3.0, 1.0]]])  # (1 track, 3 modes, 2 dets)
    logdet = np.array([[[np.nan, np.nan], [10.0, 10.0], [11.0, 11.0]]])
    c = np.array([[1e-4, 0.998, 0.0019]])
    live = np.zeros((1, 3, 2), dtype=bool)
    live[:, 1:] = True
    cost = mixture_cost(d2m, logdet, c, live)
    w = c[0, 1:, None] * np.exp(-0.5 * (d2m[0, 1:] + logdet[0, 1:]))
    np.testing.assert_allclose(cost[0], -2.0 * np.log(w.sum(axis=0)), rtol=1e-12)
    live[:, 0] = True
    assert np.isnan(mixture_cost(d2m, logdet, c, live)[0]).all()
