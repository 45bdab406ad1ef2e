"""Motion model of a tracked object, vectorised over tracks: ECEF state, flight gravity.

The state is ``[pos (3), vel (3), a_thrust (3)]`` in ECEF (m, m/s, m/s²): the thrust
acceleration is carried in the boost mode of the IMM and held at zero in the coast mode. The
equations of motion are the flight model's without drag and with thrust as a state:

    dr/dt = v,   dv/dt = g_J2(r) - 2 ω × v - ω × (ω × r) + a_thrust,   da/dt = white jerk.

The mean is integrated by RK4 (steps of at most ``max_step_s``); the transition matrix is the
third-order series ``I + A h + (A h)²/2 + (A h)³/6`` of the linearisation per step, with ``A``
holding the point-mass gravity gradient, the centrifugal gradient and the Coriolis term (the J2
part of the gradient, 0.1 % of it, is left out of the Jacobian only).

Process noise (see ``config``): white acceleration of ``coast_accel_sigma_mps2`` plus the drag
of the lightest expected body at the current altitude and speed, both with ``q = σ² τ``; in boost,
white jerk on the thrust acceleration.
"""

from __future__ import annotations

import numpy as np

from lookout.flight import atmosphere
from lookout.flight.gravity import gravity_j2
from lookout.geodesy import GM_EARTH, OMEGA_EARTH
from lookout.tracking.config import TrackerConfig

NX = 9
_A_WGS84 = 6378137.0
_B_WGS84 = 6356752.314245

_CORIOLIS = np.zeros((3, 3))
_CORIOLIS[0, 1] = 2.0 * OMEGA_EARTH
_CORIOLIS[1, 0] = -2.0 * OMEGA_EARTH
_CENTRIFUGAL = np.diag([OMEGA_EARTH**2, OMEGA_EARTH**2, 0.0])


def acceleration(pos: np.ndarray, vel: np.ndarray) -> np.ndarray:
    """Gravity (J2) plus the Coriolis and centrifugal terms of the rotating frame, (N, 3)."""
    acc = gravity_j2(pos)
    acc[:, 0] += 2.0 * OMEGA_EARTH * vel[:, 1] + OMEGA_EARTH**2 * pos[:, 0]
    acc[:, 1] += -2.0 * OMEGA_EARTH * vel[:, 0] + OMEGA_EARTH**2 * pos[:, 1]
    return acc


def altitude_approx(pos: np.ndarray) -> np.ndarray:
    """Height (m) above the WGS84 ellipsoid along the geocentric radius (within ~20 m of the
    geodetic height at tracking altitudes): cheap, for noise levels and deletion."""
    r = np.sqrt(np.einsum("...i,...i->...", pos, pos))
    s2 = pos[..., 2] ** 2 / np.maximum(r * r, 1.0)
    re = _A_WGS84 * _B_WGS84 / np.sqrt(_B_WGS84**2 * (1.0 - s2) + _A_WGS84**2 * s2)
    return r - re


def jacobian_rate(pos: np.ndarray) -> np.ndarray:
    """``A = ∂f/∂x`` of the continuous dynamics, (N, 9, 9)."""
    n = pos.shape[0]
    r2 = np.einsum("ij,ij->i", pos, pos)
    r = np.sqrt(r2)
    k = GM_EARTH / (r2 * r)
    u = pos / r[:, None]
    A = np.zeros((n, NX, NX))
    A[:, 0, 3] = A[:, 1, 4] = A[:, 2, 5] = 1.0
    A[:, 3:6, 0:3] = k[:, None, None] * (3.0 * u[:, :, None] * u[:, None, :] - np.eye(3))
    A[:, 3:6, 0:3] += _CENTRIFUGAL
    A[:, 3:6, 3:6] = _CORIOLIS
    A[:, 3, 6] = A[:, 4, 7] = A[:, 5, 8] = 1.0
    return A


def _rk4(pos, vel, acc_t, h):
    hh = h[:, None]

    def f(p, v):
        return acceleration(p, v) + acc_t

    a1 = f(pos, vel)
    p2, v2 = pos + 0.5 * hh * vel, vel + 0.5 * hh * a1
    a2 = f(p2, v2)
    p3, v3 = pos + 0.5 * hh * v2, vel + 0.5 * hh * a2
    a3 = f(p3, v3)
    p4, v4 = pos + hh * v3, vel + hh * a3
    a4 = f(p4, v4)
    new_pos = pos + hh / 6.0 * (vel + 2.0 * v2 + 2.0 * v3 + v4)
    new_vel = vel + hh / 6.0 * (a1 + 2.0 * a2 + 2.0 * a3 + a4)
    return new_pos, new_vel


def propagate(
    x: np.ndarray, dt: np.ndarray, max_step_s: float = 10.0, with_jacobian: bool = True
) -> tuple[np.ndarray, np.ndarray | None]:
    """States (N, 9) advanced by ``dt`` (N,) s, and the transition matrices (N, 9, 9)."""
    n = x.shape[0]
    dt = np.asarray(dt, dtype=float)
    steps = max(1, int(np.ceil(np.max(np.abs(dt), initial=0.0) / max_step_s)))
    h = dt / steps
    pos, vel, acc_t = x[:, 0:3], x[:, 3:6], x[:, 6:9]
    F = None
    for _ in range(steps):
        if with_jacobian:
            Ah = jacobian_rate(pos) * h[:, None, None]
            Ah2 = Ah @ Ah
            Fs = Ah + 0.5 * Ah2 + (Ah2 @ Ah) / 6.0
            Fs[:, range(NX), range(NX)] += 1.0
            F = Fs if F is None else Fs @ F
        pos, vel = _rk4(pos, vel, acc_t, h)
    out = np.empty((n, NX))
    out[:, 0:3], out[:, 3:6], out[:, 6:9] = pos, vel, acc_t
    return out, F


def white_accel_q(pos: np.ndarray, vel: np.ndarray, config: TrackerConfig) -> np.ndarray:
    """Spectral density (m²/s³) of the white acceleration noise per track: the coast floor plus
    the drag of the lightest expected body at its altitude and speed."""
    alt = altitude_approx(pos)
    v2 = np.einsum("ij,ij->i", vel, vel)
    a_drag = atmosphere.density(alt) * v2 / (2.0 * config.drag_beta_kg_m2)
    return (config.coast_accel_sigma_mps2**2 + a_drag**2) * config.accel_noise_tau_s


def process_noise(dt: np.ndarray, q_accel: np.ndarray, q_jerk: np.ndarray | float) -> np.ndarray:
    """Q (N, 9, 9) over ``dt`` for white acceleration ``q_accel`` (N,) (m²/s³) and white jerk of
    the thrust acceleration ``q_jerk`` (m²/s⁵; 0 in coast), the same on each axis."""
    dt = np.abs(dt)
    d2, d3 = dt * dt, dt * dt * dt
    qj = np.broadcast_to(np.asarray(q_jerk, dtype=float), dt.shape)
    blocks = np.empty((dt.size, 3, 3))
    blocks[:, 0, 0] = q_accel * d3 / 3.0 + qj * d3 * d2 / 20.0
    blocks[:, 0, 1] = blocks[:, 1, 0] = q_accel * d2 / 2.0 + qj * d2 * d2 / 8.0
    blocks[:, 1, 1] = q_accel * dt + qj * d3 / 3.0
    blocks[:, 0, 2] = blocks[:, 2, 0] = qj * d3 / 6.0
    blocks[:, 1, 2] = blocks[:, 2, 1] = qj * d2 / 2.0
    blocks[:, 2, 2] = qj * dt
    # Kronecker product with I3: Q[3i + a, 3j + b] = blocks[i, j] δ_ab.
    Q = np.zeros((dt.size, 3, 3, 3, 3))
    for a in range(3):
        Q[:, :, a, :, a] = blocks
    return Q.reshape(dt.size, NX, NX)
