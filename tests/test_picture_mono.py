"""A launch seen by one infrared satellite alone reaches every partner's picture (issue 13).

world61 #02: an IRBM from Kapustin Yar seen by one geostationary satellite of the US and by
no radar. The US node's tracker starts its track from that satellite's lines of sight
(``tracking.mono``); the demo's policy shares infrared as local tracks only, so the launch its
tracker fitted goes with the local track (``LocalTrack.launch``) and the exchange's assessment
takes it as the system track's. Before, the node started no such track and no partner's picture
held the launch at all. Its coast, unseen, stays in the pictures as its partner's prediction
from the fit (``LocalTrack.coasting_on_fit``) with its predicted impact.
"""

from __future__ import annotations

import numpy as np
import pytest

from lookout.app.demo import picture_scores, run_demo, system_tracks_of
from lookout.geodesy import geodesic_inverse
from lookout.scenario.parse import parse
from lookout.simulate import simulate

SITE = (48.58, 45.72)  # Kapustin Yar
SCENE = {
    "name": "mono-irbm",
    "epoch": "2023-05-15T04:33:00Z",
    "seed": 1417889254,
    "duration_s": 260.0,
    "partners": [
        {"id": "US", "name": "United States", "country": "US", "languages": ["en"],
         "sensors": [{"type": "infrared", "id": "us-geo-1", "geo_lon_deg": 60.0,
                      "plume_intensity_kw_sr": 100}]},
        {"id": "FI", "name": "Finland", "country": "FI", "languages": ["en"],
         "sensors": [{"type": "radar", "id": "fi-ewr-north", "lat_deg": 68.0, "lon_deg": 27.0,
                      "alt_m": 300, "azimuth_deg": 145.0, "span_deg": 120, "el_max_deg": 80,
                      "el_min_deg": 1, "max_range_km": 1200, "revisit_s": 2,
                      "sigma_range_m": 21.0, "sigma_az_mrad": 1.26, "sigma_el_mrad": 1.26,
                      "snr_ref_db": 28.5, "false_alarms_per_scan": 0.78}]},
    ],
    "launches": [
        {"id": "IRBM-1", "time_s": 100.5, "site": list(SITE), "vehicle": "irbm-liquid",
         "aim": {"target": [46.55, 73.68], "loft": 773.0}},
    ],
}  # fmt: skip


@pytest.mark.slow
def test_a_launch_one_satellite_sees_is_in_every_partners_picture_with_its_launch_point(
    tmp_path,
):
    sc = parse(SCENE, source="test", default_name="mono-irbm")
    sim = simulate(sc)
    assert {d.sensor_id for d in sim.detections} <= {"us-geo-1", "fi-ewr-north"}
    res = run_demo(sc, speed=0, audit_path=tmp_path / "audit.sqlite", sim=sim)
    judged = picture_scores(res.live, sim, list(res.state.nodes), until_s=res.state.t_s)
    lat0, lon0 = np.radians(SITE)
    t0 = sim.trajectory("IRBM-1").t_start
    for partner in res.state.nodes:
        d = judged[partner].to_dict()
        # No phantom launch, no false claim; one system track, on the IRBM (its states 18-60
        # km off along the line of sight: past the scorer's 10 km, so not counted as held).
        assert d["phantom_launches"] == 0, (partner, d["claims"])
        assert d["false_overflight_claims"] == 0 and d["false_impact_area_claims"] == 0
        tracks = system_tracks_of(res.live.get(partner, []))
        assert tracks and len({st.system_track_id for st in tracks}) == 1, partner
        # Its launch point is the one fitted to the satellite's lines of sight: near the site
        # (within the 50 km a claim counts as the launch) and its time within seconds.
        launches = [st.assessment for st in tracks if st.assessment is not None]
        launches = [a for a in launches if a.launch_lat_rad is not None]
        assert launches, partner
        a = launches[-1]
        dist, _ = geodesic_inverse(a.launch_lat_rad, a.launch_lon_rad, lat0, lon0)
        assert float(dist) < 50e3, (partner, dist)
        assert abs(a.launch_time_ns * 1e-9 - t0) < 15.0, (partner, a.launch_time_ns, t0)
        # Its coast stays in the picture, predicted: the plume out, unseen since, its partner's
        # track coasting on its fitted boost (``LocalTrack.coasting_on_fit``), with an impact
        # predicted, to the run's end minutes before impact (before: gone 30 s after its last
        # update, ``fusion.LOCAL_UNHELD_S``).
        last = max(tracks, key=lambda st: st.t_ns)
        assert last.t_ns * 1e-9 > SCENE["duration_s"] - 5.0, (partner, last.t_ns)
        unseen_s = (last.t_ns - last.last_detection_ns) * 1e-9
        assert unseen_s > 30.0, (partner, unseen_s)
        predicted = [st.assessment for st in tracks if st.assessment is not None
                     and st.t_ns > last.last_detection_ns + 30 * 10**9]  # fmt: skip
        assert predicted and predicted[-1].impact_lat_rad is not None, partner
        assert predicted[-1].impact_time_ns * 1e-9 > SCENE["duration_s"], partner
