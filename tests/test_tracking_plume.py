"""Thrust told from outside the tracker's sensors (``Tracker.note_thrust``): the fusion's
tracker has the radars alone, a partner's infrared only as its tracks (``PictureFusion``)."""

from __future__ import annotations

import numpy as np
import pytest
from scenes import irbm_launch, radar, sense
from scipy.stats import chi2

from lookout.flight import fly
from lookout.tracking import Tracker
from lookout.tracking.mixing import BOOST, COAST

GATE = float(chi2.ppf(0.999, 3))


def _young_track(t_first=100.0, until=101.5):
    """The tracking tests' IRBM in its burn, first seen by a radar at ``t_first``: the
    tracker after its detections up to ``until`` (one young track), and the truth."""
    (traj,) = fly([irbm_launch()], debris=False)
    spec = radar("r1", 38.0, 128.5, 0.0, span_deg=360.0, revisit_s=1.0, sigma_range_m=6.0,
                 sigma_az_mrad=0.36, sigma_el_mrad=0.36)  # fmt: skip
    dets, _ = sense([traj], [spec], seed=1)
    dets = [d for d in dets if t_first * 1e9 <= d.t_ns <= until * 1e9]
    tracker = Tracker()
    tracker.process(dets)
    assert tracker.tracks.n == 1
    return tracker, traj


def _truth(traj, t):
    return np.array([np.interp(t, traj.t, traj.pos[:, i]) for i in range(3)])


def test_a_plume_at_a_track_makes_it_thrust_and_a_plume_elsewhere_nothing():
    tracker, traj = _young_track()
    tracks = tracker.tracks
    t = 102.0
    far = _truth(traj, t) + np.array([60e3, 0.0, 0.0])
    assert tracker.note_thrust(far[None], np.eye(3)[None] * 1e6, t, GATE).size == 0
    before = tracks.mu[0].copy()
    noted = tracker.note_thrust(_truth(traj, t)[None], np.eye(3)[None] * 1e6, t, GATE)
    assert noted.tolist() == [int(tracks.ids[0])]
    # The coast mode weighed as an infrared detection of the plume weighs it.
    odds = (tracks.mu[0, BOOST] / tracks.mu[0, COAST]) / (before[BOOST] / before[COAST])
    assert odds == pytest.approx(1.0 / tracker.config.ir_coast_likelihood, rel=1e-6)
    assert tracks.mu[0, BOOST] > 0.5 and np.isfinite(tracks.thrust_t0[0])


def test_a_negligible_boost_mode_told_of_thrust_starts_from_the_coast_mode():
    tracker, traj = _young_track()
    tracks, cfg = tracker.tracks, tracker.config
    # A boost mode the data weighed out, its thrust drifted.
    tracks.mu[0] = [1e-3, 1.0 - 2e-3, 1e-3]
    tracks.xm[0, BOOST, 6:9] = [80.0, -40.0, 25.0]
    tracker.note_thrust(_truth(traj, 102.0)[None], np.eye(3)[None] * 1e6, 102.0, GATE)
    assert tracks.xm[0, BOOST, :6] == pytest.approx(tracks.xm[0, COAST, :6])
    assert tracks.xm[0, BOOST, 6:9] == pytest.approx(np.zeros(3))
    assert np.diag(tracks.Pm[0, BOOST, 6:9, 6:9]) == pytest.approx(
        np.full(3, cfg.init_acc_sigma_mps2**2)
    )
    assert tracks.mu[0, BOOST] > 0.4
