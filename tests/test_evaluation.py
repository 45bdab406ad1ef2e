"""`lookout track`: the scenario through tracker and assessment, judged against its truth."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from lookout.cli import app

KEYS = {
    "rmse_pos_m", "pcrlb_pos_m", "nees_in_bounds_fraction", "gospa_mean", "tracks", "truths",
    "wall_s", "sim_s", "flights",
}  # fmt: skip
FLIGHT_KEYS = {
    "truth_impact", "orbital", "class", "ellipse_containment", "first_prediction_s",
    "launch_point_error_km", "final_impact_error_km", "overflown", "first_overflight_warning_s",
}  # fmt: skip


def _track_json(name: str) -> dict:
    out = CliRunner().invoke(app, ["track", name, "--json"])
    assert out.exit_code == 0, out.output
    return json.loads(out.output)


@pytest.fixture(scope="module")
def irbm():
    return _track_json("irbm-overflight")


def test_track_json_has_the_documented_keys(irbm):
    assert KEYS <= set(irbm)
    for phase in ("boost", "coast", "reentry"):
        assert phase in irbm["rmse_pos_m"] and phase in irbm["pcrlb_pos_m"]
    assert FLIGHT_KEYS <= set(irbm["flights"]["IRBM-1"])


def test_irbm_overflight_tracked_near_its_bound_and_assessed(irbm):
    assert irbm["rmse_over_pcrlb_pos"]["coast"] < 2.0
    assert irbm["nees_in_bounds_fraction"] >= 0.9
    f = irbm["flights"]["IRBM-1"]
    assert f["truth_impact"] is not None and not f["orbital"]
    assert f["ellipse_containment"] >= 0.9
    assert f["final_impact_error_km"] < 5.0
    assert f["launch_point_error_km"] < 20.0
    # Japan is named as overflown, and said so well before the missile gets there.
    assert "JP" in f["overflown"] and "JP" in f["truth_overflown"]
    assert f["overflight_warning_s_by_territory"]["JP"] < 250.0


@pytest.mark.xfail(
    strict=True,
    reason="known defect (2026-12-02): at the second staging (230 s) the track on the stack stays "
    "with the spent second stage and a new one starts on the third; the stage's (true) impact is "
    "predicted at 235 s while the scoring still pairs that track with SLV-1, so the flight shows "
    "a prediction. Judge assessments by the object the track is on, or hand the track over.",
)
def test_satellite_launch_is_reported_orbital_without_an_impact():
    f = _track_json("satellite-launch")["flights"]["SLV-1"]
    assert f["truth_impact"] is None and f["truth_orbital"]
    assert f["orbital"] is True
    assert f["first_prediction_s"] is None and f["ellipse_containment"] is None
