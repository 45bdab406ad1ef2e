"""Equations of motion of a batch of flying objects in the rotating ECEF frame.

    a = g_J2(r) - 2 w x v - w x (w x r) + (F_thrust / m) u - (rho |v| Cd(M) A / 2m) v

``v`` is the ECEF velocity, which is the velocity relative to the (windless) atmosphere. Thrust
follows the mass flow and a specific impulse interpolated between sea level and vacuum by the
ambient pressure. Everything is vectorised over objects: arrays have a leading axis of N.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lookout.flight import atmosphere
from lookout.flight.gravity import gravity_j2
from lookout.flight.vehicles import G0, drag_tables
from lookout.geodesy import GM_EARTH, OMEGA_EARTH, altitude_below

#: Thrust steering modes of a segment.
COASTING, GRAVITY_TURN, HOLD_PITCH = 0, 1, 2

DRAG_TABLE_NAMES = tuple(drag_tables())


@dataclass
class Steering:
    """Boost guidance of each object (arrays of length N).

    Vertical rise for ``vertical_s`` after ``t_launch``, then the thrust tilts linearly to ``kick``
    (rad from the site's vertical, towards ``heading``) over ``pitch_over_s`` and holds there until
    the velocity has turned as far; from then on it follows the velocity (gravity turn).
    Segments in ``HOLD_PITCH`` mode instead pitch from ``hold_pitch`` above the local horizontal
    down through level at half the circular energy, in the plane of the velocity (orbit
    insertion by the upper stages); see ``thrust_direction``.
    """

    t_launch: np.ndarray
    vertical_s: np.ndarray
    pitch_over_s: np.ndarray
    kick: np.ndarray
    up: np.ndarray  # (N, 3) site vertical, ECEF unit
    heading: np.ndarray  # (N, 3) site horizontal towards the azimuth, ECEF unit
    hold_pitch: np.ndarray


def thrust_direction(t, pos, vel, mode, st: Steering) -> np.ndarray:
    """Unit thrust vectors (N, 3) for each object's steering mode at time t (N,)."""
    speed = np.linalg.norm(vel, axis=1)
    v_hat = vel / np.maximum(speed, 1e-9)[:, None]
    since = t - st.t_launch - st.vertical_s
    cmd = st.kick * np.clip(since / st.pitch_over_s, 0.0, 1.0)
    # Tilt of the velocity towards the heading, in the plane of fire: the Coriolis drift of a
    # near-vertical climb must not start the gravity turn in another direction.
    vel_tilt = np.arctan2(np.einsum("ij,ij->i", vel, st.heading), np.einsum("ij,ij->i", vel, st.up))
    follow = (since > 0) & (vel_tilt > cmd) & (speed > 1.0)
    commanded = np.cos(cmd)[:, None] * st.up + np.sin(cmd)[:, None] * st.heading
    u = np.where(follow[:, None], v_hat, commanded)
    hold = mode == HOLD_PITCH
    if hold.any():
        # The pitch falls linearly with nu = v^2 r / GM (inertial speed squared over the local
        # circular speed squared): hold_pitch above the horizon at rest, level at nu = 1/2 and
        # as far below it at circular speed, so a lofted climb is flattened for insertion.
        r = np.linalg.norm(pos[hold], axis=1)
        r_hat = pos[hold] / r[:, None]
        horiz = vel[hold] - np.einsum("ij,ij->i", vel[hold], r_hat)[:, None] * r_hat
        horiz /= np.maximum(np.linalg.norm(horiz, axis=1), 1e-9)[:, None]
        v_in = vel[hold] + OMEGA_EARTH * np.column_stack(
            [-pos[hold][:, 1], pos[hold][:, 0], np.zeros(r.size)]
        )
        nu = np.einsum("ij,ij->i", v_in, v_in) * r / GM_EARTH
        p = (st.hold_pitch[hold] * (1.0 - 2.0 * nu))[:, None]
        u[hold] = np.cos(p) * horiz + np.sin(p) * r_hat
    return u


def drag_coefficient(mach: np.ndarray, table: np.ndarray) -> np.ndarray:
    """Cd per object from its drag-table index (into DRAG_TABLE_NAMES)."""
    cd = np.empty_like(mach)
    tables = drag_tables()
    for i, name in enumerate(DRAG_TABLE_NAMES):
        sel = table == i
        if sel.any():
            cd[sel] = tables[name](mach[sel])
    return cd


def acceleration(t, pos, vel, mass, mdot, isp_sl, isp_vac, area, table, mode, st: Steering):
    """ECEF acceleration (N, 3) of each object."""
    alt = altitude_below(pos, atmosphere.DRAG_CEILING_M)
    acc = gravity_j2(pos)
    # Coriolis and centrifugal terms of the rotating frame, w = (0, 0, OMEGA_EARTH).
    acc[:, 0] += 2.0 * OMEGA_EARTH * vel[:, 1] + OMEGA_EARTH**2 * pos[:, 0]
    acc[:, 1] += -2.0 * OMEGA_EARTH * vel[:, 0] + OMEGA_EARTH**2 * pos[:, 1]

    rho = np.where(alt < atmosphere.DRAG_CEILING_M, atmosphere.density(alt), 0.0)
    speed = np.linalg.norm(vel, axis=1)
    mach = speed / atmosphere.speed_of_sound(alt)
    k_drag = 0.5 * rho * speed * drag_coefficient(mach, table) * area / mass
    acc -= k_drag[:, None] * vel

    burning = mdot > 0
    if burning.any():
        p_ratio = atmosphere.pressure(alt) / atmosphere.SEA_LEVEL_PRESSURE_PA
        isp = isp_vac - (isp_vac - isp_sl) * np.clip(p_ratio, 0.0, 1.0)
        a_thrust = np.where(burning, mdot * isp * G0 / mass, 0.0)
        acc += a_thrust[:, None] * thrust_direction(t, pos, vel, mode, st)
    return acc
