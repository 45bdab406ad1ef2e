"""A tentative track whose detections only thrust explains is confirmed at one detection more
than a coasting one (``existence.thrust_only``): three radar fixes determine a thrusting
body's position, velocity and thrust whatever they are. world60 #05 (issue 13): a track born
on SRBM-2 took SRBM-1's next two detections, 18 km ahead on the same path, fitted them in
boost (probability 0.19 -> 1.0), was confirmed, lost SRBM-1 at the next scan, and SRBM-1 was
started again: two tracks on one missile."""

from __future__ import annotations

import numpy as np
import pytest
from scenes import labels_of

from lookout.geodesy import enu_basis
from lookout.messages import Detection
from lookout.tracking.config import TrackerConfig
from lookout.tracking.existence import confirmable
from lookout.tracking.mixing import BOOST, COAST, NMODE
from lookout.tracking.motion import NX, propagate
from lookout.tracking.store import TrackStore
from lookout.tracking.tracker import track

# world60 #05's il-ewr-north (32.6 N 35.3 E), its sigmas, and the truth of SRBM-1 (lead) and
# SRBM-2 (trail, 7 s behind on the same path) at 220.54 s, ECEF (m, m/s), coasting at
# 130-150 km.
RADAR_LAT, RADAR_LON = 32.6, 35.3
RADAR_POS = np.array([4389806.47, 3108156.23, 3416832.51])
SIGMA = np.array([27.5, 1.65e-3, 1.65e-3])
LEAD = np.array([3.76959854e06, 3.78153326e06, 3.65880670e06, 1305.86, 156.59, 939.10])
TRAIL = np.array([3.76045729e06, 3.78031633e06, 3.65219849e06, 1343.78, 196.18, 976.34])
T0 = 220.54


def _flown(x6, t):
    x = np.zeros((t.size, NX))
    x[:, :6] = x6
    return propagate(x, t - T0, with_jacobian=False)[0][:, :3]


def _detection(t, z):
    return Detection(
        t_ns=int(round(t * 1e9)),
        sensor_id="il-ewr-north",
        partner="IL",
        kind="radar",
        z=[float(v) for v in z],
        R=np.diag(SIGMA**2).tolist(),
        snr_db=15.0,
        sensor_pos_ecef_m=RADAR_POS.tolist(),
    )


def _measured(pos, rng):
    e, n, u = enu_basis(np.array([RADAR_LAT]), np.array([RADAR_LON]))[0] @ (pos - RADAR_POS)
    r = float(np.sqrt(e * e + n * n + u * u))
    z = np.array([r, np.arctan2(e, n) % (2.0 * np.pi), np.arcsin(u / r)])
    return z + SIGMA * rng.standard_normal(3)


def _scene(seed):
    """The radar's scans every 2 s from 20 s: its false alarms (1.4 a scan over its field of
    view), SRBM-2's one detection at 220.54 s, then SRBM-1's at each scan from 224.54 s."""
    rng = np.random.default_rng(seed)
    t_lead = 224.54 + 2.0 * np.arange(16)
    lead = _flown(LEAD, t_lead)
    trail = _flown(TRAIL, np.array([T0]))[0]
    dets, labels = [], []
    for t in np.arange(T0 - 200.0, t_lead[-1] + 0.1, 2.0):
        for _ in range(rng.poisson(1.4)):
            z = (
                rng.uniform(50e3, 1000e3),
                np.radians(rng.uniform(5.0, 125.0)),
                np.radians(rng.uniform(1.0, 80.0)),
            )
            dets.append(_detection(t, z))
            labels.append(None)
        if abs(t - T0) < 1e-6:
            dets.append(_detection(t, _measured(trail, rng)))
            labels.append("SRBM-2")
        k = np.flatnonzero(np.abs(t_lead - t) < 1e-6)
        if k.size:
            dets.append(_detection(t, _measured(lead[k[0]], rng)))
            labels.append("SRBM-1")
    return dets, labels


@pytest.mark.parametrize("seed", [0, 2, 3])
def test_one_track_for_a_missile_first_paired_with_the_next(seed):
    dets, labels = _scene(seed)
    u = track(dets).updates
    lab = labels_of(u, labels)
    # What a user sees: the confirmed tracks holding SRBM-1's detections. Before, the track
    # born on SRBM-2 was confirmed on SRBM-1's first two and lost it: two tracks.
    held = set(u.track_id[u.confirmed & (lab == "SRBM-1")].tolist())
    assert len(held) == 1, held
    # ... and it holds SRBM-1 to the end.
    (tid,) = held
    assert u.t[(u.track_id == tid) & (lab == "SRBM-1")].max() == pytest.approx(254.54)


def _young(mu_boost, hits, parent=-1, ir_sensor=-1):
    tracks = TrackStore()
    xm = np.zeros((1, NMODE, NX))
    Pm = np.broadcast_to(np.eye(NX), (1, NMODE, NX, NX)).copy()
    mu = np.zeros((1, NMODE))
    mu[0, BOOST], mu[0, COAST] = mu_boost, 1.0 - mu_boost
    tracks.add(xm, Pm, mu, 0.0, hits, 100.0, 10.0, parent=np.array([parent]))
    tracks.fixes[0] = hits
    tracks.ir_sensor[0] = ir_sensor
    return bool(confirmable(tracks, np.array([0]), TrackerConfig())[0])


def test_a_track_held_by_thrust_alone_needs_a_fourth_detection():
    assert _young(0.1, 3)  # coasting: two fixes determine it, the third tests it
    assert not _young(0.9, 3)  # thrusting: three determine it
    assert _young(0.9, 4)
    # Its thrust seen by an infrared sensor, or its prior its parent's estimate: three.
    assert _young(0.9, 3, ir_sensor=0)
    assert _young(0.9, 3, parent=7)
