"""A piece parted from a track still taken as thrusting is ordered against it (issue 13,
branch kyar-fusion): irbm-kapustin-yar-dnipro seen by its two radars only, as the partners'
fusion and Ukraine's node see it (the burnout told by no plume). The warhead parts from its
second stage at burnout (380 s) 3-4 m/s ahead; the stack's track, its thrust model's
velocity still in its estimate, and the stage's new track, born on one detection, were
120-470 m/s apart for 20 s, over ``cso_max_dv_mps``, so the pair was never ordered: GNN
handed the two objects' detections out radar by radar and the stack's track ended on the
stage (the partners' pictures: coast NEES in bounds 0.037, 5 id switches). With infrared
(``lookout track``) the burnout is told at once and the pair is ordered."""

from __future__ import annotations

import dataclasses
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from lookout.scenario import load
from lookout.simulate import simulate
from lookout.tracking.tracker import Tracker

SCENARIO = Path(__file__).parent / "data" / "scenarios" / "irbm-kapustin-yar-dnipro.yaml"


@pytest.fixture(scope="module")
def run():
    sc = load(SCENARIO)
    sim = simulate(dataclasses.replace(sc, duration_s=440.0))
    radar = [i for i, d in enumerate(sim.detections) if d.kind == "radar"]
    radar.sort(key=lambda i: sim.detections[i].t_ns)
    tracker = Tracker(keep_updates=False)
    took: list[tuple[int, float, str | None]] = []
    fed, k = 0, 0
    t0 = sim.detections[radar[0]].t_ns
    while k < len(radar):  # in 1 s chunks, as the fusion feeds its tracker
        end = t0 + (1 + (sim.detections[radar[k]].t_ns - t0) // 10**9) * 10**9
        chunk = []
        while k < len(radar) and sim.detections[radar[k]].t_ns < end:
            chunk.append(radar[k])
            k += 1
        rows = tracker.process([sim.detections[i] for i in chunk])
        for tid, di in zip(rows.track_id.tolist(), rows.detection_index.tolist(), strict=True):
            if di >= fed:
                i = chunk[di - fed]
                took.append((tid, sim.detections[i].t_ns / 1e9, sim.labels[i]))
        fed += len(chunk)
    return took


def test_the_stack_track_keeps_the_warhead(run):
    took = run
    # The stack's track: the one that took most of the missile's detections before burnout.
    ((stack, _),) = Counter(tid for tid, t, lab in took if lab == "KY-1" and t < 380).most_common(1)
    late = [(tid, lab) for tid, t, lab in took if t > 395 and lab in ("KY-1", "KY-1-stage2")]
    assert late
    # From 15 s after the parting, it takes the warhead's detections and none of the stage's
    # (c6013bf: the stage's from 403 s on, the warhead's never).
    on_warhead = np.array([lab == "KY-1" for tid, lab in late if tid == stack])
    assert on_warhead.size >= 15
    assert on_warhead.all()
