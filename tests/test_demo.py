"""The embedded main job end to end: nodes, exchange, fusion, assessment, replay."""

from __future__ import annotations

import math

import numpy as np
import pytest
from typer.testing import CliRunner

from lookout.app.demo import replay_log, run_demo
from lookout.assess import CHI2_2D_95, mahalanobis2
from lookout.cli import app
from lookout.geodesy import ecef_to_geodetic
from lookout.scenario import load
from lookout.simulate import simulate


@pytest.fixture(scope="module")
def lost_track(tmp_path_factory):
    sc = load("lost-track")
    sim = simulate(sc)
    audit = tmp_path_factory.mktemp("demo") / "audit.sqlite"
    # The ICBM lifts off at 180 s; JP's radars go dark at 270 s; KR and US radars follow it
    # until it climbs out of their range (about 640 s, towards its 3000 km apogee).
    return run_demo(sc, speed=0, audit_path=audit, duration_s=620.0, sim=sim)


def _main_track(result):
    """The system track on the launch's main object at the end of the run, and its error."""
    tr = result.sim.trajectory("ICBM-1")

    def error(st):
        return float(np.linalg.norm(np.array(st.x[:3]) - tr.state_at(st.t_ns * 1e-9)[:3]))

    best = min(result.state.picture.current.values(), key=error)
    return best, error(best)


@pytest.mark.slow
def test_common_picture_keeps_the_track_one_partner_lost(lost_track):
    track, err = _main_track(lost_track)
    assert err < 2_000.0  # the common picture holds the missile 350 s after JP lost it
    assert "KR" in track.partners
    # Every partner's own view of the picture holds that track, JP's included.
    for node in lost_track.state.nodes.values():
        assert track.system_track_id in node.view.tracks


@pytest.mark.slow
def test_warning_worthy_prediction_stays_right(lost_track):
    track, _ = _main_track(lost_track)
    a = track.assessment
    assert a is not None and not a.iip and a.impact_lat_rad is not None
    impact = lost_track.sim.trajectory("ICBM-1").event("impact")
    lat, lon, _ = ecef_to_geodetic(impact.pos)
    cov = _cov_from_ellipse(a.impact_ellipse)
    assert mahalanobis2(a.impact_lat_rad, a.impact_lon_rad, cov, lat, lon) <= CHI2_2D_95
    assert abs(a.impact_time_ns * 1e-9 - impact.t) < 60.0
    assert a.vehicle_class == "ICBM"  # lofted, classed by its equivalent range
    assert "JP" not in a.overflown  # it falls in the Sea of Japan, short of Japan


def _cov_from_ellipse(e) -> np.ndarray:
    """The (east, north) covariance of a 95% ellipse (semi-axes, azimuth of the major axis)."""
    s1, s2 = e.semi_major_m**2 / CHI2_2D_95, e.semi_minor_m**2 / CHI2_2D_95
    u = np.array([math.sin(e.orientation_rad), math.cos(e.orientation_rad)])
    v = np.array([u[1], -u[0]])
    return s1 * np.outer(u, u) + s2 * np.outer(v, v)


@pytest.mark.slow
def test_every_partner_received_only_signed_accepted_data(lost_track):
    ex = lost_track.state.exchange.counters()
    assert ex["refused"] == {}
    assert ex["fusion_errors"] == 0
    for p, node in lost_track.state.nodes.items():
        assert node.received["refused"] == 0
        assert node.received["system_track"] > 100
        assert node.sent["detection_batch"] > 0 or p == "JP"


@pytest.mark.slow
def test_replay_of_the_audit_log_equals_the_live_picture(lost_track):
    replayed = replay_log(lost_track.audit_path)
    assert replayed == lost_track.live
    assert sum(len(v) for v in replayed.values()) > 1000


@pytest.mark.parametrize(
    "name", ["lofted-icbm", "irbm-overflight", "srbm-salvo", "satellite-launch", "mass-raid"]
)
@pytest.mark.slow
def test_demo_runs_every_shipped_scenario(name, tmp_path):
    sc = load(name)
    first_launch = min(x.time_s for x in sc.launches)
    res = run_demo(
        sc, speed=0, audit_path=tmp_path / "audit.sqlite", duration_s=first_launch + 150.0
    )
    ex = res.state.exchange.counters()
    assert ex["refused"] == {} and ex["fusion_errors"] == 0
    assert ex["system_tracks"] > 0
    assessed = [st for st in res.state.picture.current.values() if st.assessment is not None]
    assert assessed


def test_cli_demo_json_summary(tmp_path):
    """The demo's JSON summary, and the replay of its log scored the same. The first 100 s of
    srbm-salvo: four missiles launched, three objects in every partner's picture (120 s took 1.7
    times the CPU and asserted nothing more)."""
    out = CliRunner().invoke(
        app,
        [
            "demo", "srbm-salvo", "--speed", "0", "--duration-s", "100", "--json",
            "--audit", str(tmp_path / "a.sqlite"),
        ],
    )  # fmt: skip
    assert out.exit_code == 0, out.output
    import json

    summary = json.loads(out.output)
    assert set(summary["partners"]) == {"KR", "JP", "US"}
    for p in ("KR", "JP", "US"):
        scores = summary["partners"][p]["scores"]
        for key in (
            "phantom_launches", "false_overflight_claims", "false_impact_area_claims",
            "max_system_tracks_per_object", "single_track_fraction", "gospa_mean",
            "nees_in_bounds_fraction", "nees_in_bounds_by_phase",
        ):  # fmt: skip
            assert key in scores, key
        assert scores["truths"] > 0 and scores["system_tracks"] > 0
    out = CliRunner().invoke(app, ["replay", str(tmp_path / "a.sqlite"), "--json"])
    assert out.exit_code == 0, out.output
    replayed = json.loads(out.output)
    assert set(replayed) == {"KR", "JP", "US"}
    # The replayed picture is the live one, so its scores against the re-simulated truth are too.
    for p in ("KR", "JP", "US"):
        assert replayed[p]["scores"] == summary["partners"][p]["scores"]
