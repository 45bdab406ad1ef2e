"""The boost mode's thrust growth carries its covariance through the derivative of the map its
mean takes, the growth held at the catalogue's cap included.

Its Jacobian was the free growth's wherever the thrust was below the cap, though the cap held
the mean: a boost mode flown unseen (gen-middle-east-79-02's AE partner, a dormant track's
boost mode mixed 3 % under the cap every second) had its thrust variance multiplied by 1.3 a
second, to a position covariance of 1e22 m² whose gating determinant came out negative.
"""

from __future__ import annotations

import numpy as np
import pytest

from lookout.tracking import compiled_imm, reach
from lookout.tracking.config import TrackerConfig
from lookout.tracking.mixing import thrust_growth

CAP = reach.MARGIN * reach.thrust_acceleration_max_mps2()
B = 1.0 / 2600.0  # inverse exhaust speed, s/m


def _numpy_map(x0: np.ndarray, dt: float):
    xs, Fs = x0[None].copy(), np.eye(10)[None].copy()
    thrust_growth(x0[None], xs, Fs, np.array([dt]), np.array([B]))
    return xs[0], Fs[0]


def _compiled_map(x0: np.ndarray, dt: float):
    xp, F = x0.copy(), np.eye(10)
    prm = compiled_imm.cached_params(TrackerConfig())
    compiled_imm._thrust_growth(x0, xp, F, dt, B, prm)
    return xp, F


def _state(amag: float) -> np.ndarray:
    x = np.zeros(10)
    x[:3] = (3.0e6, 5.0e6, 2.7e6)
    x[3:6] = (-1.0e3, 6.0e3, -3.0e2)
    u = np.array([-0.15, 0.98, -0.04])
    x[6:9] = amag * u / np.linalg.norm(u)
    return x


@pytest.mark.parametrize("run", [_numpy_map, _compiled_map], ids=["numpy", "compiled"])
@pytest.mark.parametrize(
    "amag, dt",
    [
        (0.97 * CAP, 1.0),  # a mean mixed 3 % under the cap: the cap holds the growth
        (60.0, 1.0),  # a burning stage's free growth
        (100.0, 20.0),  # a long step: the growth's ``r`` held at 0.5
    ],
)
def test_thrust_rows_are_the_derivative_of_the_mean(run, amag, dt):
    """``F``'s thrust rows against central differences of the mean's thrust (the rows the
    growth changes), each of the thrust's three components nudged by 1e-4 m/s²."""
    x0 = _state(amag)
    _, F = run(x0, dt)
    h = 1e-4
    fd = np.empty((3, 3))
    for j in range(3):
        e = np.zeros(10)
        e[6 + j] = h
        fd[:, j] = (run(x0 + e, dt)[0][6:9] - run(x0 - e, dt)[0][6:9]) / (2 * h)
    np.testing.assert_allclose(F[6:9, 6:9], fd, atol=1e-6)


@pytest.mark.parametrize("run", [_numpy_map, _compiled_map], ids=["numpy", "compiled"])
def test_no_variance_along_a_thrust_the_cap_holds(run):
    """Under the cap's hold a thrust variance along the thrust does not grow (it grew 1.34x a
    step); across it, it turns with the direction, scaled by ``cap / |a|``."""
    x0 = _state(0.97 * CAP)
    _, F = run(x0, 1.0)
    u = x0[6:9] / np.linalg.norm(x0[6:9])
    G = F[6:9, 6:9]
    assert abs(u @ G @ u) < 1e-9
    w = np.cross(u, [0.0, 0.0, 1.0])
    w /= np.linalg.norm(w)
    assert w @ G @ w == pytest.approx(1.0 / 0.97, rel=1e-9)
