"""A young track's coast state is not flown back to a launch point (issue 13, held-out
middle-east set 47, #1: ``lookout generate --region middle-east --seed 47 --count 6``).

A Ghadr-class MRBM from Tabriz to the Negev; its reentry vehicle and spent stage, 1 km apart on
the way down, already had a track each when a third track (1805) was born on the vehicle 452 s
after launch, from the ships' and early-warning radars' detections. While its tracker still
tested the boost hypothesis it was born with (``YOUNG_TRACK_S``), its boost probability went
0.085, 0.955, 0.908, 0.037, 0.810 at its first five assessments, 5 s apart; at the fourth it was
taken as coasting and its state flown back to a launch point 120 km from the site (95 %
ellipse 48 km): a phantom launch. That state's velocity was 240 m/s off east and 234 north
against sigmas of 97 and 49 (below, as the tracker reported it, in the east-north-up frame
about the vehicle). 15 s later, out of the window, its state flew back 8 km from the site.
The states are the tracker's (``lookout track FILE``), rotated onto the same flight here.
"""

from __future__ import annotations

import numpy as np
import pytest

from lookout.assess import Assessor
from lookout.assess.assessment import MODE_FLOOR, YOUNG_TRACK_S
from lookout.flight import Launch, fly
from lookout.geodesy import ecef_to_geodetic, enu_basis, geodesic_inverse
from lookout.physics.vehicles import vehicle

#: The scenario's launch, its guidance as the simulator solved it (site, azimuth, kick, cutoff).
SITE = (0.6646213791594406, 0.8079129107481752)
GUIDANCE = (-2.214901941436482, 0.10203949092406804, 122.52516166315547)
#: Seconds after launch of the young track's first assessment and of its coasting state.
T_FIRST, T_COAST = 459.0, 474.0
#: Track 1805's error (m, m/s) and covariance at T_COAST in east-north-up about the truth.
ERROR_ENU = np.array([407.3, 847.5, -761.8, -240.2, 234.4, 204.5])
P_ENU = np.array(
    [
        [80950.3, 21959.3, -102348.4, 15945.2, 1962.7, -19118.0],
        [21959.3, 15076.1, -30437.0, 2382.0, 3393.0, -3878.8],
        [-102348.4, -30437.0, 130452.7, -19497.9, -3461.8, 23739.8],
        [15945.2, 2382.0, -19497.9, 9419.5, 1083.5, -11396.7],
        [1962.7, 3393.0, -3461.8, 1083.5, 2405.8, -2095.6],
        [-19118.0, -3878.8, 23739.8, -11396.7, -2095.6, 14070.0],
    ]
)
#: Its boost probabilities at T_FIRST and T_COAST.
BOOST_FIRST, BOOST_COAST = 0.085, 0.037
#: The same at T_LATER, out of the window: error, covariance and boost probability.
T_LATER = 489.0
ERROR_ENU_LATER = np.array([-135.8, -163.7, 213.5, -38.0, -1.1, 44.7])
P_ENU_LATER = np.array(
    [
        [39174.8, 11135.6, -48330.0, 4819.7, 900.5, -5767.0],
        [11135.6, 8553.1, -15394.1, 1023.6, 1198.2, -1536.0],
        [-48330.0, -15394.1, 60234.7, -5847.5, -1407.4, 7103.9],
        [4819.7, 1023.6, -5847.5, 938.8, 80.7, -1097.2],
        [900.5, 1198.2, -1407.4, 80.7, 262.9, -175.9],
        [-5767.0, -1536.0, 7103.9, -1097.2, -175.9, 1310.4],
    ]
)
BOOST_LATER = 0.015
#: A launch point farther than this from the site is a phantom (``lookout.scoring.claims``).
PHANTOM_M = 50e3


@pytest.fixture(scope="module")
def flight():
    az, kick, cutoff = GUIDANCE
    launch = Launch("MRBM-1", vehicle("mrbm-liquid-long"), *SITE, az, kick, cutoff_s=cutoff)
    (tr,) = fly([launch], debris=False)
    return tr


def _rotation(x: np.ndarray) -> np.ndarray:
    """ENU -> ECEF for position and velocity about the point of ``x``."""
    lat, lon, _ = ecef_to_geodetic(x[None, :3])
    E = np.asarray(enu_basis(float(lat[0]), float(lon[0])))  # rows: east, north, up in ECEF
    R = np.zeros((6, 6))
    R[:3, :3] = R[3:, 3:] = E.T
    return R


def _from_site_m(a) -> float:
    return float(geodesic_inverse(SITE[0], SITE[1], a.launch_lat, a.launch_lon)[0])


def test_the_young_tracks_coast_state_gives_no_launch_point(flight):
    """On 4b6fcaa its coast state at T_COAST was flown back 120 km from the site."""
    x_first = flight.state_at(T_FIRST)
    truth = flight.state_at(T_COAST)
    assert truth[:3] @ truth[3:] < 0.0  # on the way down
    R = _rotation(truth)
    x, P = truth + R @ ERROR_ENU, R @ P_ENU @ R.T
    a = Assessor()
    a.update(T_FIRST, ["1805"], x_first[None], (R @ P_ENU @ R.T)[None], [BOOST_FIRST])
    assert BOOST_COAST >= MODE_FLOOR and T_COAST - T_FIRST < YOUNG_TRACK_S
    (out,) = a.update(T_COAST, ["1805"], x[None], P[None], [BOOST_COAST])
    assert out.phase != "boost"
    if out.launch_lat is not None:
        assert _from_site_m(out) < PHANTOM_M, _from_site_m(out) / 1e3


def test_out_of_the_window_its_coast_state_is_flown_back(flight):
    """Its state 15 s later (at T_LATER, boost 0.015), out of the window, was flown back 8 km
    from the site; so is the same state from a track still young whose boost mode is under
    the tracker's output floor (dropped from its estimate)."""
    truth = flight.state_at(T_LATER)
    R = _rotation(truth)
    x, P = truth + R @ ERROR_ENU_LATER, R @ P_ENU_LATER @ R.T
    assert T_LATER - T_FIRST >= YOUNG_TRACK_S
    for t_first, bp in ((T_FIRST, BOOST_LATER), (T_LATER - 5.0, 0.5 * MODE_FLOOR)):
        a = Assessor()
        a.update(t_first, ["1805"], flight.state_at(t_first)[None], P[None], [BOOST_FIRST])
        (out,) = a.update(T_LATER, ["1805"], x[None], P[None], [bp])
        assert out.launch_lat is not None and out.launch_method == "backward", (t_first, bp)
        assert _from_site_m(out) < 10e3, (t_first, bp, _from_site_m(out) / 1e3)
