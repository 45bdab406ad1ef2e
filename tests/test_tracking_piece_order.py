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
from scenes import radar_took

from lookout.scenario import load
from lookout.simulate import simulate

SCENARIO = Path(__file__).parent / "data" / "scenarios" / "irbm-kapustin-yar-dnipro.yaml"


@pytest.fixture(scope="module")
def run():
    sc = load(SCENARIO)
    sim = simulate(dataclasses.replace(sc, duration_s=440.0))
    return radar_took(sim)


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
