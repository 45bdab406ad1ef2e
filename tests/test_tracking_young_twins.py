"""A young track's twin starts from the young track's estimate, and so does the young track's
own detection of that scan (``initiation.young_pairs``): two points of one body do not tell
which of two bodies a few hundred metres apart is theirs. world60 #03 (issue 13): tr-ewr-east
saw an IRBM's stage alone at 261 and 263 s, then stage and warhead, 140 m apart in range at
1,550 km; the young track took the warhead's detection, its twin born on the stage's knew
nothing of its velocity, and the young track went on to take the stage's next detection too:
three stage and four warhead detections on the warhead's track, its state 26 in NEES (six
degrees of freedom) at its last update."""

from __future__ import annotations

import numpy as np
import pytest
from scenes import labels_of

from lookout.geodesy import enu_basis
from lookout.messages import Detection
from lookout.tracking.motion import NX, propagate
from lookout.tracking.tracker import track

# tr-ewr-east (38.3 N 37.8 E), ECEF (m), its sigmas (range m, angles rad).
RADAR_POS = [3961075.9022983494, 3072525.4191251877, 3932560.440972485]
SIGMA = np.array([21.6, 1.3e-3, 1.3e-3])
# Its detections of world60 #03's IRBM-1 (warhead, "W") and IRBM-1-stage1 ("S") from 261 s:
# time (s), object, range (m), azimuth and elevation (rad), as the simulator drew them.
SCANS = [
    (260.973, "S", [1535603.55, 0.616937, 0.019285]),
    (262.973, "S", [1540884.3, 0.620516, 0.022629]),
    (264.973, "S", [1546109.71, 0.619898, 0.021144]),
    (264.973, "W", [1546244.39, 0.621534, 0.025081]),
    (266.973, "S", [1551378.25, 0.624779, 0.026188]),
    (268.973, "S", [1556686.71, 0.629, 0.022849]),
    (268.973, "W", [1556814.54, 0.627094, 0.025518]),
    (270.973, "S", [1561950.49, 0.63129, 0.026443]),
    (270.973, "W", [1562121.57, 0.628664, 0.025068]),
    (272.973, "S", [1567234.78, 0.630914, 0.026825]),
    (274.973, "S", [1572516.25, 0.637185, 0.028699]),
    (274.973, "W", [1572695.27, 0.634233, 0.02849]),
    (276.973, "S", [1577802.08, 0.636292, 0.030536]),
    (278.973, "S", [1583124.23, 0.642952, 0.032907]),
    (280.973, "S", [1588378.85, 0.643626, 0.034283]),
]
# The two objects' truth at the first scan, ECEF (m, m/s).
T0 = 260.973
WARHEAD = np.array([2821694.3463, 3311215.065, 4934183.197, -1652.569, 2845.5353, 1479.4536])
STAGE = np.array([2821761.7351, 3311065.8139, 4934091.6614, -1651.4876, 2843.0968, 1477.9567])


def _flown(x6, t):
    """The truth ``x6`` at ``T0`` flown to ``t`` (s): position and velocity."""
    x = np.zeros((1, NX))
    x[0, :6] = x6
    return propagate(x, np.array([t - T0]), with_jacobian=False)[0][0, :6]


def _detections():
    return [
        Detection(
            t_ns=int(round(t * 1e9)),
            sensor_id="tr-ewr-east",
            partner="TR",
            kind="radar",
            z=z,
            R=np.diag(SIGMA**2).tolist(),
            snr_db=12.0,
            sensor_pos_ecef_m=RADAR_POS,
        )
        for t, _, z in SCANS
    ]


def test_a_young_track_meeting_a_pair_keeps_each_object_on_its_own_track():
    u = track(_detections()).updates
    lab = labels_of(u, [obj for _, obj, _ in SCANS])
    # What a user sees: from the scan the radar first sees both, no track holds detections
    # of both objects. Before, the young track took the warhead's detection at 265 s and the
    # stage's at 267 s.
    late = u.t > 264.0
    for tid in np.unique(u.track_id[late]):
        held = set(lab[late & (u.track_id == tid)].tolist())
        assert len(held) == 1, (int(tid), held)
    # The warhead's track holds the warhead inside its covariance at its last detection.
    w = np.flatnonzero(lab == "W")
    (tid,) = set(u.track_id[w].tolist())
    last = np.flatnonzero(u.track_id == tid)[-1]
    assert u.t[last] == pytest.approx(SCANS[-4][0])
    e = u.x[last] - _flown(WARHEAD, u.t[last])
    nees = float(e @ np.linalg.solve(u.P[last], e))
    assert nees < 16.8, nees  # chi-square, six degrees of freedom, 99 %


def _drawn(seed):
    """The same scans (the stage seen at each, the warhead at 265, 269, 271 and 275 s), their
    noise drawn with ``seed``: the objects' detections and labels."""
    rng = np.random.default_rng(seed)
    basis = enu_basis(np.radians([38.3]), np.radians([37.8]))[0]
    dets, labels = [], []
    for t, obj, _ in SCANS:
        pos = _flown(WARHEAD if obj == "W" else STAGE, t)[:3]
        e, n, up = basis @ (pos - np.array(RADAR_POS))
        r = float(np.sqrt(e * e + n * n + up * up))
        z = np.array([r, np.arctan2(e, n) % (2.0 * np.pi), np.arcsin(up / r)])
        z += SIGMA * rng.standard_normal(3)
        dets.append(
            Detection(
                t_ns=int(round(t * 1e9)),
                sensor_id="tr-ewr-east",
                partner="TR",
                kind="radar",
                z=z.tolist(),
                R=np.diag(SIGMA**2).tolist(),
                snr_db=12.0,
                sensor_pos_ecef_m=RADAR_POS,
            )
        )
        labels.append(obj)
    return dets, labels


@pytest.mark.parametrize("seed", range(6))
def test_a_young_track_meeting_a_pair_whatever_the_noise(seed):
    dets, labels = _drawn(seed)
    u = track(dets).updates
    lab = labels_of(u, labels)
    late = u.t > 264.0
    for tid in np.unique(u.track_id[late & u.confirmed]):
        held = set(lab[late & (u.track_id == tid)].tolist())
        assert len(held) == 1, (int(tid), held)
