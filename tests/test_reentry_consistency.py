"""The drag noise of a tracked reentry body comes from what the model leaves out (issue 17):
the Mach-dependence of the drag coefficient along the catalogue's tables, and the filter's
linearisation; not a fixed fraction of the drag, which made a hypersonic reentry vehicle's
covariance grow several times faster than its error (irbm-overflight reentry NEES mean 1.4)."""

from __future__ import annotations

import numpy as np

from lookout.tracking import TrackerConfig
from lookout.tracking.motion import KAPPA, NX, cd_mach_walk, tracker_accel_q


def test_drag_coefficient_walks_only_where_the_tables_change():
    """Above the catalogue tables' last knots (Mach 10-30) no Cd changes: a hypersonic reentry
    vehicle's drag coefficient does not walk; transonic, where every table does, it does."""
    pos = np.array([[6378137.0 + 30e3, 0.0, 0.0]] * 2)
    vel = np.array([[-1000.0, 0.0, 6000.0], [-200.0, 0.0, 300.0]])  # Mach ~20 and ~1.2
    walk = cd_mach_walk(pos, vel, np.full(2, 30e3), np.array([50.0, 50.0]))
    assert walk[0] < 1e-4 < walk[1]


def test_a_tracked_hypersonic_reentry_vehicle_gets_little_drag_noise():
    """A reentry vehicle at 30 km and Mach 20, tracked to 10 m in altitude, 1 m/s and 10 % in
    its drag coefficient: its white acceleration is under 1 % of its drag (was 5 %), its drag
    coefficient's walk under 1 %/sqrt(s) (was 5 %); a track just born (altitude to 3 km,
    speed to 3 km/s) keeps noise of the order of its drag."""
    cfg = TrackerConfig()
    x = np.zeros((2, NX))
    x[:, 0] = 6378137.0 + 30e3
    x[:, 3], x[:, 5] = -1000.0, 6000.0
    x[:, KAPPA] = 1.3  # 1.3e-4 m²/kg: a slender reentry vehicle
    P = np.tile(np.eye(NX), (2, 1, 1))
    P[0, 0:3, 0:3] *= 100.0
    P[0, KAPPA, KAPPA] = 0.13**2
    P[1, 0:3, 0:3] *= 3000.0**2
    P[1, 3:6, 3:6] *= 3000.0**2
    P[1, KAPPA, KAPPA] = 15.0**2
    q_acc, q_kappa = tracker_accel_q(x, cfg, P)
    rho = 0.0184  # kg/m³ at 30 km
    a_drag = 0.5 * rho * (1000.0**2 + 6000.0**2) * 1.3e-4
    white = np.sqrt(q_acc / cfg.accel_noise_tau_s)
    assert white[0] < 0.01 * a_drag < a_drag < white[1]
    assert np.sqrt(q_kappa[0]) / 1.3 < 0.01
