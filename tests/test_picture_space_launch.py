"""A space launch's burning upper stage is one system track in every partner's picture
(issue 13), and its spent stage another.

me62 #00 (generated, middle-east set 62, #0; ``data/semnan-space-launch-62.yaml``): a three-stage
launcher from Semnan seen by three radars, and by the US node's infrared satellite, which the
demo's policy shares as local tracks only. The fusion's measurement-level tracker, on the radars
alone, started three tracks on the burning second stage at 343-349 s, confirmed them coasting
(boost 0.01) and lost two within 3 s; they were reported unseen for 50 s beside the stack's
track and the stack's infrared track standing alone: up to four system tracks on the launcher
in every partner's view. The plume the US node's track saw is now told to the fusion's tracker
(``PictureFusion._note_plumes``, ``Tracker.note_thrust``).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from lookout.app.demo import picture_scores, run_demo
from lookout.scenario import load
from lookout.simulate import simulate

SCENARIO = Path(__file__).parent / "data" / "semnan-space-launch-62.yaml"


@pytest.mark.slow
def test_the_burning_upper_stage_is_one_system_track_and_its_spent_stage_another(tmp_path):
    # Launch at 159 s; the first stage parts near 300 s, the second lights then and parts near
    # 390 s. Up to 420 s: the burn the fusion's tracker lost, and the second stage's parting.
    sc = load(SCENARIO)
    sim = simulate(sc)
    res = run_demo(sc, speed=0, audit_path=tmp_path / "audit.sqlite", sim=sim, duration_s=420.0)
    judged = picture_scores(
        res.live, sim, list(res.state.nodes), until_s=res.state.t_s, provenance=res.provenance
    )
    assert set(judged) == {"IL", "US", "AE"}
    for partner, ps in judged.items():
        d = ps.to_dict()
        per = d["per_truth"]
        assert d["phantom_launches"] == 0, partner
        assert d["false_overflight_claims"] == 0 and d["false_impact_area_claims"] == 0, partner
        # One system track on the launcher at a time (were 4), and the spent second stage
        # its own.
        assert per["SLV-1"]["max_tracks"] == 1, (partner, per["SLV-1"])
        assert per["SLV-1-stage2"]["max_tracks"] == 1, (partner, per)
        assert set(per["SLV-1"]["tracks"]).isdisjoint(per["SLV-1-stage2"]["tracks"][-1:]), per
        assert d["duplicate_track_s"] <= 15.0, (partner, d["tracks_over_time"])
