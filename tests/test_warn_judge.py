"""The measuring stick of the warnings: how near the truth passed a warned area, and the
per-scenario row of ``lookout bench warnings``."""

from __future__ import annotations

import numpy as np
import pytest
import shapely

from lookout.bench.warnings import markdown, summary
from lookout.warn.judge import closest_km


def test_closest_approach_of_a_ground_track_to_an_area_is_measured_on_the_ellipsoid():
    box = shapely.box(0.0, -0.5, 1.0, 0.5)  # lon 0-1, lat +-0.5
    track = np.array([[2.0, -1.0], [2.0, 0.0], [2.0, 1.0]])  # 1 degree east of it, on the equator
    assert closest_km(track, box) == pytest.approx(111.32, abs=0.1)  # WGS84 equatorial degree
    assert closest_km(np.array([[0.5, 0.0]]), box) == 0.0
    assert closest_km(np.empty((0, 2)), box) is None


def _row(partner, code, truth, first, shelter, kinds, **kw):
    return {"flight": "F", "partner": partner, "code": code, "name_en": code, "truth_s": truth,
            "hazard_end_s": None, "first_message_s": first,
            "lead_s": None if truth is None or first is None else truth - first,
            "shelter": shelter, "first_shelter_s": first if shelter else None,
            "all_clear_s": None, "all_clear_delay_s": None, "kinds": kinds, **kw}  # fmt: skip


def test_a_scenario_row_names_first_messages_leads_and_how_near_each_false_area_was():
    r = {
        "scenario": "s", "mode": "exchange", "messages": 5, "xsd_valid": True,
        "missed_areas": [], "false_areas": ["JP:02"], "withdrawals": 1,
        "areas": [
            _row("JP", "01", 435.0, 95.0, True, ["LAUNCH", "PASSED_OVER", "ALL_CLEAR"]),
            _row("JP", "02", None, 100.0, True, ["LAUNCH", "NO_THREAT"],
                 truth_closest_km=7.1, withdrawn_after_s=25.0),
            _row("KR", "47", None, 120.0, False, ["PASSED_OVER"]),
        ],
        "maritime": [{"flight": "F", "partner": "US", "sea": "x", "truth_s": 600.0,
                      "first_message_s": 610.0}],
    }  # fmt: skip
    s = summary(r)
    assert s["first_s"] == {"JP": 95.0, "KR": 120.0, "US": 610.0}
    assert s["min_lead_s"] == 340.0 and s["threatened"] == ["JP:01"]
    assert s["false_closest_km"] == {"JP:02": 7.1}
    assert s["unthreatened"] == ["JP:02", "KR:47"]
    assert s["max_withdrawn_after_s"] == 25.0
    text = markdown([r], "cmd")
    assert "JP:02 (7 km off)" in text and "false shelter areas 1" in text
