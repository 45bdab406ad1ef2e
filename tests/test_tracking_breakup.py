"""Tracks of a break-up's pieces: left out of the closely spaced pairs' along-track order and
formations (``formations._broken_up``), which take a push back along the velocity."""

from __future__ import annotations

import numpy as np
import pytest

from lookout.tracking.formations import _broken_up
from lookout.tracking.mixing import NMODE
from lookout.tracking.motion import NX
from lookout.tracking.store import TrackStore


def _add(store: TrackStore, t: float, k: int, parent: int | None = None) -> np.ndarray:
    xm, Pm = np.zeros((k, NMODE, NX)), np.zeros((k, NMODE, NX, NX))
    mu = np.full((k, NMODE), 1.0 / NMODE)
    return store.add(xm, Pm, mu, t, 1, 0.0, 10.0, parent=parent)


def test_pieces_parted_in_one_scan_are_a_breakup_a_stage_dropped_alone_is_not():
    store = TrackStore()
    (stack,) = _add(store, 100.0, 1)
    pieces = _add(store, 217.0, 3, parent=int(stack))
    (later,) = _add(store, 300.0, 1, parent=int(pieces[0]))  # born next to a piece
    (missile,) = _add(store, 100.0, 1)
    (stage,) = _add(store, 160.0, 1, parent=int(missile))  # one stage at burnout
    (stage2,) = _add(store, 170.0, 1, parent=int(missile))  # and the next, later
    rows = {int(i): r for r, i in enumerate(store.ids[: store.n])}
    got = _broken_up(store, np.arange(store.n))
    for tid in [stack, *pieces, later]:
        assert got[rows[int(tid)]], tid
    for tid in (missile, stage, stage2):
        assert not got[rows[int(tid)]], tid


@pytest.mark.slow
def test_irbm_breakup_debris_tracks_are_consistent_in_coast():
    from lookout.scenario import load
    from lookout.scoring import score
    from lookout.simulate import simulate
    from lookout.tracking import track
    from lookout.tracking.coverage import declared_coverage

    sc = load("irbm-breakup")
    sim = simulate(sc)
    out = track(sim.detections, t_end=sc.duration_s, coverage=declared_coverage(sc))
    s = score(out, sim.trajectories, sim.labels, detections=sim.detections, report_period_s=1.0)
    # d1c1b70 (pieces ordered along track in pairs, formations): 0.01.
    assert s.nees_in_bounds_by_phase["coast"] >= 0.2
