"""The web's picture, JSON and routing on a real run (no browser): what each view shows, that a
partner's view holds only what its policy lets it see, the predicted path, the replay."""

from __future__ import annotations

import math
from pathlib import Path
from types import SimpleNamespace

import msgspec
import numpy as np
import pytest
from starlette.testclient import TestClient

from lookout.app.demo import run_demo
from lookout.app.web_run import replay_state
from lookout.exchange.policy import Policy
from lookout.geodesy import ecef_to_geodetic, geodesic_inverse
from lookout.scenario import load
from lookout.simulate import simulate
from lookout.web.cot import CotFeed, CotPolicy
from lookout.web.history import PictureHistory
from lookout.web.live import attach_demo
from lookout.web.server import PictureSnapshot, WebState, make_app

DATA = Path(__file__).parent / "data"

#: US shares everything with JP and nothing but heartbeats with KR: KR must not see any system
#: track US data went into, nor US sensors.
POLICY = {
    "partners": {
        "KR": ["kr-ewr-north"],
        "JP": ["jp-ewr-sado"],
        "US": ["us-fbx-west", "us-geo-west"],
    },
    "publish": {"US": {"detections": ["us-fbx-west"], "local_tracks": "all"}},
    "release": {
        "KR": {"JP": "all", "US": "all"},
        "JP": {"KR": "all", "US": "all"},
        "US": {"JP": "all", "KR": ["heartbeat"]},
    },
}


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    sc = load(DATA / "web-mrbm.yaml")
    sim = simulate(sc)
    audit = tmp_path_factory.mktemp("web") / "audit.sqlite"
    state = WebState(sc, Policy.from_dict(POLICY), PictureHistory(["all", "KR", "JP", "US"]))
    state.cot = CotFeed(state.epoch, state.views,
                        CotPolicy.from_dict({"JP": {"hostile_launch_areas": ["KP"]}}),
                        now=state.now_utc)  # fmt: skip
    # Launch at 15 s, burnout at about 118 s: 240 s holds boost, burnout and two minutes of coast.
    result = run_demo(sc, speed=0, audit_path=audit, duration_s=240.0, sim=sim, policy=POLICY,
                      on_start=lambda ds: attach_demo(state, ds))  # fmt: skip
    state.finish()
    return SimpleNamespace(sc=sc, sim=sim, state=state, result=result, audit=audit,
                           client=TestClient(make_app(state)))  # fmt: skip


def _snapshot(client, view: str) -> PictureSnapshot:
    r = client.get("/api/picture", params={"view": view})
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/json"
    return msgspec.json.decode(r.content, type=PictureSnapshot)


@pytest.mark.slow
def test_picture_json_is_each_partners_picture(run):
    nodes = run.result.state.nodes
    for view in ("KR", "JP", "US"):
        snap = _snapshot(run.client, view)
        got = {st.system_track_id: st for st in snap.system_tracks}
        assert got == nodes[view].view.tracks  # what that partner's node holds, exactly
    common = _snapshot(run.client, "all")
    assert common.epoch.startswith("2024-03-18T07:40:00")
    current = run.result.state.picture.current
    assert current and set(current) <= {st.system_track_id for st in common.system_tracks}
    for st in common.system_tracks:
        if st.system_track_id in current:
            assert st == current[st.system_track_id]


@pytest.mark.slow
def test_partner_view_holds_only_what_its_policy_releases(run):
    log = run.state.history.view
    us_fed = {st.system_track_id for st in log("all").latest.values() if "US" in st.partners}
    assert us_fed, "the run should have tracks with US data for this test to mean anything"
    assert all("US" not in st.partners for st in log("KR").latest.values())
    assert all("US" not in e["partners"] for e in log("KR").entries if e["k"] == "p")
    assert len(log("JP").latest) >= len(us_fed)  # JP is given everything
    kr_sensors = {s["id"] for s in run.client.get("/api/meta?view=KR").json()["sensors"]}
    assert kr_sensors == {"kr-ewr-north", "jp-ewr-sado"}  # not US's
    assert run.client.get("/api/meta?view=XX").status_code == 404


@pytest.mark.slow
def test_log_samples_are_the_tracks_states(run):
    log = run.state.history.view("all")
    last = {}
    for e in log.entries:
        if e["k"] == "s":
            last[e["id"]] = e
    for tid, st in log.latest.items():
        e = last[tid]
        assert e["t"] == st.t_ns * 1e-9
        assert np.allclose(e["p"], st.x[:3], atol=0.6)  # metres, rounded
    r = run.client.get("/api/log", params={"view": "all", "since": 5})
    body = r.json()
    assert body["next"] == len(log.entries) and body["entries"] == log.entries[5:]
    assert run.client.get("/api/log?view=all&since=-1").status_code == 400


@pytest.mark.slow
def test_predicted_path_comes_down_at_the_predicted_impact(run):
    log = run.state.history.view("all")
    checked = 0
    for e in log.entries:
        if e["k"] != "a" or not e["a"]["path"]:
            continue
        a = e["a"]
        end = np.array(e["a"]["path"][-3:])
        lat, lon, alt = (float(v) for v in ecef_to_geodetic(end))
        assert alt < 1_000.0
        miss, _ = geodesic_inverse(lat, lon, math.radians(a["impact"]["lat_deg"]),
                                   math.radians(a["impact"]["lon_deg"]))  # fmt: skip
        # The path is flown from the mean state with the prior's mean ballistic coefficient;
        # the impact is the mean over the sigma points: they agree well inside the ellipse.
        assert float(miss) < max(0.5 * a["impact"]["semi_major_km"] * 1e3, 3_000.0)
        checked += 1
    assert checked >= 5


@pytest.mark.slow
def test_timeline_tells_the_flight(run):
    events = [e for e in run.state.history.view("all").entries if e["k"] == "e"]
    kinds = [e["kind"] for e in events]
    for kind in ("new", "class", "burnout", "impact"):
        assert kind in kinds
    # The class is taken once the track is known to coast (the assessment's confident coast),
    # so after the first burnout.
    assert (
        kinds.index("new") < kinds.index("burnout") < kinds.index("class") < kinds.index("impact")
    )
    times = [e["t"] for e in events]
    assert times == sorted(times)
    launch = run.sc.launches[0].time_s
    assert all(e["t"] > launch for e in events if e["kind"] in ("class", "burnout", "impact"))
    # A predicted impact (not an IIP) is told for a coasting track: never of one seen boosting
    # until a burnout of it was told.
    boosted = {e["id"] for e in run.state.history.view("all").entries
               if e["k"] == "s" and e["ph"] == 0}  # fmt: skip
    for e in events:
        if e["kind"] == "impact" and e["id"] in boosted:
            assert any(b["kind"] == "burnout" and b["id"] == e["id"] and b["t"] <= e["t"]
                       for b in events)  # fmt: skip


@pytest.mark.slow
def test_replay_serves_the_same_picture(run):
    state = replay_state(run.audit)
    assert state.mode == "replay" and state.done
    for view in ("KR", "JP", "US"):
        live = run.state.history.view(view).latest
        again = state.history.view(view).latest
        assert again == live
        assert [e["k"] for e in state.history.view(view).entries if e["k"] in "sa"] == [
            e["k"] for e in run.state.history.view(view).entries if e["k"] in "sa"
        ]


@pytest.mark.slow
def test_page_and_cesium_are_served(run):
    r = run.client.get("/")
    assert r.status_code == 200 and "/cesium/Cesium.js" in r.text
    assert run.client.get("/static/app.js").status_code == 200
    meta = run.client.get("/api/meta").json()
    assert meta["view"] == "all" and meta["mode"] == "live" and meta["done"]
    assert [v["id"] for v in meta["views"]] == ["all", "KR", "JP", "US"]
