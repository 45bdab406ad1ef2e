"""The partners' pre-launch notifications on the web (issue 13): the layer the page draws
(``/api/meta``'s ``notices``), the GeoJSON (``/api/notices``), who sees which, an area across
the antimeridian; and, in a real browser, a matched track labelled "announced" with the notice's
areas drawn."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
import pytest
import yaml
from starlette.testclient import TestClient

from lookout.exchange.policy import Policy
from lookout.scenario import load, parse
from lookout.web.history import PictureHistory
from lookout.web.notices import notice_layer, notices_geojson
from lookout.web.server import WebState, make_app

SLV = Path(__file__).parent / "data" / "scenarios" / "slv-vandenberg.yaml"
PACIFIC = [[10.0, 175.0], [10.0, -175.0], [20.0, -175.0], [20.0, 175.0]]


def _pacific():
    """The Vandenberg scenario with a stage-2 hazard box across 180 and a circle about 179.5 E."""
    data = yaml.safe_load(SLV.read_text())
    data["notices"][0]["hazard_areas"] = [
        {"stage": "stage 2", "polygon": PACIFIC},
        {"stage": "stage 3", "center": [-5.0, 179.5], "radius_km": 200},
    ]
    return parse(data)


def _policy(sc, release_notice: bool) -> Policy:
    ids = {p.id: [] for p in sc.partners}
    for s in sc.sensors:
        ids[s.spec["partner"]].append(s.spec["id"])
    classes = ["heartbeat", "launch_notice"] if release_notice else ["heartbeat"]
    return Policy.from_dict({"partners": ids, "release": {"US": {"MX": classes}}})


def test_the_layer_holds_the_notice_its_areas_and_who_sees_it():
    sc = load(SLV)
    (n,) = notice_layer(sc, None, "all")
    assert n["id"] == "US/US-VSFB-2024-064" and n["kind"] == "space_launch"
    assert n["window_s"] == [60.0, 960.0] and n["issued_s"] == 0.0
    assert (n["site"]["lat_deg"], n["site"]["lon_deg"], n["site"]["radius_km"]) == (
        34.63, -120.61, 10.0
    )  # fmt: skip
    assert [h["stage"] for h in n["hazards"]] == ["stage 1", "stage 2"]
    # The sector runs from the site clockwise 180 -> 200 degrees out to the farthest hazard
    # area (the stage-2 box near 32 S, some 7,500 km away).
    assert n["sector"]["azimuth_deg"] == [180.0, 200.0] and 7000 < n["sector"]["reach_km"] < 8500
    out = np.array(n["sector"]["outline"])
    assert out[0].tolist() == out[-1].tolist() == [34.63, -120.61]
    # A partner's page holds its own notices and those released to it (class launch_notice).
    assert notice_layer(sc, _policy(sc, False), "US") == [n]
    assert notice_layer(sc, _policy(sc, False), "MX") == []
    assert notice_layer(sc, _policy(sc, True), "MX") == [n]


def test_an_area_across_the_antimeridian_is_whole_on_the_globe_and_cut_in_geojson():
    (n,) = notice_layer(_pacific(), None, "all")
    for h in n["hazards"]:
        lon = np.array(h["outline"])[:, 1]
        assert np.all(np.abs(np.diff(lon)) < 180.0), h["stage"]  # continuous: drawn whole
    box = np.array(n["hazards"][0]["outline"])
    assert box[:, 1].min() == 175.0 and box[:, 1].max() == 185.0
    feats = notices_geojson([n])["features"]
    assert [f["properties"]["part"] for f in feats] == [
        "launch_area", "sector", "hazard_area", "hazard_area"
    ]  # fmt: skip
    for f in feats[2:]:
        g = f["geometry"]
        assert g["type"] == "MultiPolygon", f["properties"]["stage"]  # one part either side
        lons = np.concatenate([np.array(r)[:, 0] for poly in g["coordinates"] for r in poly])
        assert lons.min() >= -180.0 and lons.max() <= 180.0
        assert np.any(np.isclose(lons, 180.0)) and np.any(np.isclose(lons, -180.0))
    # The box's two parts: 175 to 180 E and 180 to 175 W, 10 degrees wide together.
    parts = feats[2]["geometry"]["coordinates"]
    widths = sorted(np.ptp(np.array(p[0])[:, 0]) for p in parts)
    assert np.allclose(widths, [5.0, 5.0])


def test_the_server_gives_the_layer_in_meta_and_as_geojson():
    sc = _pacific()
    state = WebState(sc, _policy(sc, False), PictureHistory(["all", "US", "MX"]))
    client = TestClient(make_app(state, cesium_dir=Path(".")))
    meta = client.get("/api/meta", params={"view": "all"}).json()
    assert [n["id"] for n in meta["notices"]] == ["US/US-VSFB-2024-064"]
    assert client.get("/api/meta", params={"view": "MX"}).json()["notices"] == []
    r = client.get("/api/notices", params={"view": "US"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/geo+json")
    assert r.json()["type"] == "FeatureCollection" and len(r.json()["features"]) == 4
    assert client.get("/api/notices", params={"view": "MX"}).json()["features"] == []
    assert client.get("/api/notices", params={"view": "KP"}).status_code == 404


# --- in a browser -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def slv_page(tmp_path_factory):
    from test_web_browser import CHROMIUM, FLAGS, need_browser, web_demo

    need_browser()
    from playwright.sync_api import sync_playwright

    tmp = tmp_path_factory.mktemp("notice-browser")
    # As fast as it goes; the page is loaded on the finished picture (kept up by --stay).
    cmd = [sys.executable, "-m", "lookout.cli", "demo", str(SLV), "--speed", "0",
           "--duration-s", "300", "--json", "--web", "--stay", "--port", "0",
           "--audit", str(tmp / "audit.sqlite")]  # fmt: skip
    with web_demo(cmd, tmp) as url, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        pg = browser.new_page(viewport={"width": 1400, "height": 850})
        errors = []
        pg.on("pageerror", lambda e: errors.append(str(e)))
        # The run ends, then the page loads the whole picture.
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:
            pg.goto(url + "api/meta", timeout=60_000)
            if '"done":true' in pg.content().replace(" ", ""):
                break
            time.sleep(2)
        pg.goto(url, timeout=180_000)
        pg.wait_for_function("window.lookout && window.lookout.ready", timeout=300_000)
        yield pg, errors
        browser.close()


@pytest.mark.slow
def test_the_page_draws_the_notice_and_labels_the_matched_track_announced(slv_page):
    pg, errors = slv_page
    assert pg.evaluate("lookout.notices()") == ["US/US-VSFB-2024-064"]
    # After its first stage's separation (the first assessment is at about 185 s), the
    # rocket and its stage are matched to the US notice.
    pg.evaluate("lookout.setTime(250)")
    state = pg.evaluate("""(() => { const L = window.lookout; L.drawNow();
        return {shown: L.noticesShown(), tracks: L.visibleTracks().map(L.trackState)}; })()""")
    assert state["shown"] == ["US/US-VSFB-2024-064"]
    matched = [s for s in state["tracks"] if s["announced"]]
    assert matched, state["tracks"]
    assert all(s["announced"] == ["US/US-VSFB-2024-064"] for s in matched)
    assert all("announced" in s["label"][0] for s in matched)
    assert not any("announced" in s["label"][0] for s in state["tracks"] if not s["announced"])
    # Its details say by whom; the notice's labels are on the globe.
    pg.evaluate(f"lookout.select({matched[0]['id']!r})")
    assert "US notice US-VSFB-2024-064" in pg.inner_text("#details")
    labels = pg.evaluate(
        "[...document.querySelectorAll('#labels .notice')].map((d) => d.textContent)"
    )
    assert "US notice US-VSFB-2024-064 (space launch)" in labels
    assert {"US stage 1", "US stage 2"} <= set(labels)
    assert not errors
    # For the eye: build/notice-slv.png (not checked).
    (Path(__file__).resolve().parents[1] / "build").mkdir(exist_ok=True)
    pg.evaluate("""(() => { const v = window.lookout.viewer;
        v.camera.setView({destination: Cesium.Cartesian3.fromDegrees(-128, 2, 1.6e7)});
        window.lookout.drawNow(); })()""")
    pg.wait_for_timeout(3000)
    pg.screenshot(path=str(Path(__file__).resolve().parents[1] / "build" / "notice-slv.png"))
