"""A satellite passing over the partners' radars is one track per object and claims nothing
(issue 13, quiet-sky): no instantaneous impact point, no overflight it does not make."""

from __future__ import annotations

import numpy as np
import pytest

from lookout.assess.energy import orbit_within
from lookout.scenario import load, parse
from lookout.scoring.evaluation import evaluate
from lookout.simulate import simulate
from lookout.tracking import track
from lookout.tracking.coverage import declared_coverage

# quiet-sky's second satellite and its spent third stage (9.4 km apart) seen by two radars
# every 2 s, 0.11 s apart, with no clutter: the pass only, 36 to 40 min after launch.
PASS = {
    "name": "satellite-pass",
    "epoch": "2024-03-01T12:00:00Z",
    "seed": 20240301,
    "duration_s": 2400,
    "partners": [
        {"id": "KR", "name": "Republic of Korea", "country": "KR", "languages": ["en"],
         "sensors": [{"type": "radar", "id": "kr-ewr-central", "lat_deg": 36.60,
                      "lon_deg": 127.50, "alt_m": 300, "azimuth_deg": 0, "span_deg": 360,
                      "el_min_deg": 1, "el_max_deg": 85, "max_range_km": 1500, "revisit_s": 2,
                      "sigma_range_m": 25, "sigma_az_mrad": 1.5, "sigma_el_mrad": 1.5,
                      "snr_ref_db": 26, "false_alarms_per_scan": 0}]},
        {"id": "JP", "name": "Japan", "country": "JP", "languages": ["en"],
         "sensors": [{"type": "radar", "id": "jp-ewr-north", "lat_deg": 39.00,
                      "lon_deg": 139.90, "alt_m": 150, "azimuth_deg": 285, "span_deg": 120,
                      "el_min_deg": 1, "el_max_deg": 80, "max_range_km": 1200, "revisit_s": 2,
                      "sigma_range_m": 20, "sigma_az_mrad": 1.2, "sigma_el_mrad": 1.2,
                      "snr_ref_db": 28, "false_alarms_per_scan": 0}]},
    ],
    "launches": [
        {"id": "SAT-B", "time_s": 0, "site": [5.24, -52.77], "vehicle": "slv-3stage",
         "aim": {"azimuth_deg": 345, "orbit_km": 550}},
    ],
}  # fmt: skip


@pytest.fixture(scope="module")
def satellite_pass():
    return evaluate(parse(PASS, default_name="satellite-pass"), with_pcrlb=False)


def test_a_satellite_pass_claims_no_overflight(satellite_pass):
    """Before: two false claims of Korea. The payload's track, confirmed at 7.1 km/s with
    0.45 km/s sigmas (an orbit within reach), had its instantaneous impact point and Korea on
    its way claimed; and its true crossing of Korea's east coast, between two truth samples
    230 km apart, was judged false by the referee."""
    claims = satellite_pass.claims
    assert claims.false_overflights == []
    assert claims.false_impact_areas == []
    assert claims.phantom_launches == []


@pytest.mark.slow  # simulates the whole two hours of quiet-sky for 140 s of its detections
def test_a_payload_and_its_stage_passing_get_one_track_each():
    """quiet-sky's second pass, its detections (clutter included) from 5760 s to 5900 s: the
    payload and its stage 9.4 km apart at 7.7 km/s, seen every 2 s by two radars 0.11 s
    apart. Before: each scan's detection of the stage started a track that took the payload's
    detection at the next scan (the nearest to its zero-velocity prior), was confirmed 2-5
    km/s slow and lost at once: 13 confirmed tracks, 11 of them on both objects."""
    sim = simulate(load("quiet-sky"))
    t = np.array([d.t_ns for d in sim.detections]) / 1e9
    sel = np.flatnonzero((t >= 5760.0) & (t <= 5900.0))
    out = track([sim.detections[i] for i in sel], t_end=5900.0,
                coverage=declared_coverage(sim.scenario))  # fmt: skip
    u = out.updates
    labels = np.array([sim.labels[sel[j]] or "clutter" for j in u.detection_index], dtype=object)
    confirmed = np.unique(u.track_id[u.confirmed])
    objects = [set(labels[u.track_id == k]) - {"clutter"} for k in confirmed]
    assert sorted(map(sorted, objects)) == [["SAT-B"], ["SAT-B-stage3"]]


def test_orbit_within_a_states_uncertainty():
    # 550 km up, horizontal: 7.45 km/s (inertial) keeps a 100 km perigee.
    r = 6378137.0 + 550e3
    east = np.array([0.0, 1.0, 0.0])
    spin = 7.292115e-5 * r  # the frame's own speed there, east
    x = np.concatenate([[r, 0.0, 0.0], (7100.0 - spin) * east])
    sure = np.diag([1e2, 1e2, 1e2, 1.0, 1.0, 1.0])
    vague = np.diag([1e6, 1e6, 1e6, 450.0**2, 450.0**2, 450.0**2])
    assert not orbit_within(x, sure, 2.0)[0]  # 7.1 km/s known to 1 m/s: suborbital
    assert orbit_within(x, vague, 3.5)[0]  # ... known to 450 m/s: orbit is within reach
    x_orbit = np.concatenate([[r, 0.0, 0.0], (7600.0 - spin) * east])
    assert orbit_within(x_orbit, sure, 0.0)[0]
