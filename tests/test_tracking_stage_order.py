"""A spent stage born beside the stack still burning keeps its own detections (issue 13,
branches stage-order, stage-order2). me60 #03 (``data/me60-03-semnan-stage.yaml``: ``lookout
generate --region middle-east --seed 60``, #03, cut at 545 s), a space launch from Semnan seen
by radars only, as the partners' fusion sees it: the spent second stage's track is born next to
the stack's at 514 s while the third stage burns. At us-fbx-qatar's 516.08 s scan the stack's
track was taken as coasting (boost 0.47): the pair's staging family carried the thrust and its
push family, learning without any, took the stack pulling away as a 52 m/s push; at 516.45 s
the stack was taken as thrusting again, the staging family dropped and the thrust estimate's
offset ``c`` added to that push: the thrust counted twice, and at ae-ewr-north's scans of
518-522 s (the stack's detection 81 m nearer in range, as ``c`` said) the order gave the
stack's detections to the stage's track and the stage's to the stack's: the stage's track slid
1 km off and was lost in the partners' pictures (11 duplicate track-s), the stack's track took
the stage's detections from ae-ewr-north from then on. (``Formations._order``: a pair once
staged stays so for ``young_boost_s``, its thrust the staging family's, ``c`` added to no
push.)"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from scenes import radar_took

from lookout.scenario import load
from lookout.simulate import simulate

SCENARIO = Path(__file__).parent / "data" / "me60-03-semnan-stage.yaml"


@pytest.fixture(scope="module")
def took():
    return radar_took(simulate(load(str(SCENARIO))))


@pytest.mark.slow
def test_the_stage_born_beside_the_burning_stack_keeps_its_detections(took):
    # The stack's track: the one that took most of its detections before the staging; the
    # stage's: the one that took most of the stage's first 10 s.
    ((stack, _),) = Counter(t for t, s, lab in took if lab == "SLV-1" and s < 512).most_common(1)
    first = [t for t, s, lab in took if lab == "SLV-1-stage2" and s < 524]
    assert len(first) >= 10
    ((stage, _),) = Counter(first).most_common(1)
    assert stage != stack
    # From 517.5 s (the pair 50 m apart and more along ae-ewr-north's range, its sigma 31 m)
    # to 545 s neither track takes the other's object's detections (e272e6c: ae-ewr-north's
    # at 518.45, 520.45 and 522.45 s swapped, then the stack's track on the stage's from it).
    late = [(t, lab) for t, s, lab in took if 517.5 < s < 545.0 and t in (stack, stage)]
    assert len(late) >= 30
    crossed = [(t, lab) for t, lab in late if (t == stack) != (lab == "SLV-1")]
    assert not crossed, crossed


SEMNAN_79 = Path(__file__).parent / "data" / "me79-00-semnan-staging.yaml"


@pytest.mark.slow
def test_the_stage_parted_beside_a_stack_still_taken_as_burning_keeps_its_own_detections():
    """me79 #00 (``data/me79-00-semnan-staging.yaml``: ``lookout generate --region
    middle-east --seed 79``, #00, cut at 395 s), the central tracker: at the 367.6 s staging
    (2 -> 3) the stack's track is taken as thrusting throughout, its thrust estimate the
    second stage's at burnout (79 m/s²; the third lights at 9.7). Taken as the pair's
    thrusts' offset, that estimate put the stack 65 m/s ahead of its stage along the axis 1.5
    s after the parting, and at us-fbx-qatar's 369.08 s scan the order gave the stack's
    detection to the stage's young track and the stage's to the stack's: the stage went to a
    third track at 370 s and the second sat on both (16 duplicate track-s, an id switch).
    Within ``young_boost_s`` of a parting at a thrusting track the order takes the thrust
    from the staging family, learned along the recorded axis, not from the older's estimate
    (``Formations._order``): from 369 s (the pair 10 m apart, over twice us-fbx-qatar's range
    noise; before it their detections are one blur, whichever track takes which) to 395 s the
    stack's track takes every stack detection of the radars and one other track every stage
    detection."""
    from lookout.scoring.evaluation import declared_coverage
    from lookout.tracking import Tracker

    scenario = load(str(SEMNAN_79))
    sim = simulate(scenario)
    tracker = Tracker(coverage=declared_coverage(scenario))
    rows = tracker.process(sim.detections)
    took = [
        (tid, sim.detections[di].t_ns / 1e9, sim.labels[di], sim.detections[di].kind)
        for tid, di in zip(rows.track_id.tolist(), rows.detection_index.tolist(), strict=True)
        if di >= 0
    ]
    ((stack, _),) = Counter(t for t, s, lab, _ in took if lab == "SLV-1" and s < 367).most_common(1)
    after = [(t, lab) for t, s, lab, kind in took if s > 369.0 and kind == "radar"]
    stack_dets = [t for t, lab in after if lab == "SLV-1"]
    stage_dets = [t for t, lab in after if lab == "SLV-1-stage2"]
    assert len(stack_dets) >= 30 and len(stage_dets) >= 30
    assert set(stack_dets) == {stack}, Counter(stack_dets)
    assert len(set(stage_dets)) == 1 and stack not in stage_dets, Counter(stage_dets)
