"""Equations of motion of a batch of flying objects in the rotating ECEF frame.

    a = g_J2(r) - 2 w x v - w x (w x r) + (F_thrust / m) u - (q Cd A / m) v_hat + (q Cl A / m) l_hat
        + (rho_water V g / m) up   (under water only)

``v`` is the ECEF velocity, which is the velocity relative to the (windless) atmosphere;
``q = rho v^2 / 2``. Thrust follows the mass flow and a specific impulse interpolated between sea
level and vacuum by the ambient pressure. A lifting body (``Aero``) flies a parabolic drag polar
``Cd = Cd0(M) + K Cl^2`` whose maximum lift-to-drag ratio is ``E``: ``K = 1 / (4 Cd0 E^2)``,
reached at ``Cl* = 2 Cd0 E`` (Anderson, *Introduction to Flight*, ch. 6; the same polar as
Tracy & Wright's boost-glide model). Its lift ``l_hat`` is perpendicular to the velocity, turned
by the bank angle from the vertical plane (positive bank: lift to the right of the flight path).
Everything is vectorised over objects: arrays have a leading axis of N.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lookout.geodesy import GM_EARTH, OMEGA_EARTH, R_EQUATOR, R_POLAR, altitude_below
from lookout.physics import atmosphere
from lookout.physics.einsum import einsum
from lookout.physics.frame import rotating_frame_acceleration
from lookout.physics.vehicles import G0, drag_tables

#: Thrust steering modes of a segment.
COASTING, GRAVITY_TURN, HOLD_PITCH = 0, 1, 2
#: Lift laws of a lifting body: none (zero-lift trim), or hold the commanded altitude.
LIFT_OFF, LIFT_HOLD = 0, 1
#: Sea water density (kg/m^3) for a submerged start.
SEA_WATER_DENSITY = 1025.0

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
    hold = mode == HOLD_PITCH
    if hold.all():  # only upper stages inserting into orbit
        return _hold_pitch(pos, vel, st.hold_pitch)
    speed = np.sqrt(einsum("ij,ij->i", vel, vel))
    v_hat = vel / np.maximum(speed, 1e-9)[:, None]
    since = t - st.t_launch - st.vertical_s
    cmd = st.kick * np.minimum(np.maximum(since / st.pitch_over_s, 0.0), 1.0)
    # Tilt of the velocity towards the heading, in the plane of fire: the Coriolis drift of a
    # near-vertical climb must not start the gravity turn in another direction.
    vel_tilt = np.arctan2(einsum("ij,ij->i", vel, st.heading), einsum("ij,ij->i", vel, st.up))
    follow = (since > 0) & (vel_tilt > cmd) & (speed > 1.0)
    commanded = np.cos(cmd)[:, None] * st.up + np.sin(cmd)[:, None] * st.heading
    u = np.where(follow[:, None], v_hat, commanded)
    if hold.any():
        u[hold] = _hold_pitch(pos[hold], vel[hold], st.hold_pitch[hold])
    return u


def _hold_pitch(pos, vel, hold_pitch) -> np.ndarray:
    """Thrust directions (M, 3) of upper stages inserting into orbit (``HOLD_PITCH``).

    The pitch falls linearly with nu = v^2 r / GM (inertial speed squared over the local
    circular speed squared): hold_pitch above the horizon at rest, level at nu = 1/2 and as far
    below it at circular speed, so a lofted climb is flattened for insertion.
    """
    r = np.linalg.norm(pos, axis=1)
    r_hat = pos / r[:, None]
    horiz = vel - einsum("ij,ij->i", vel, r_hat)[:, None] * r_hat
    horiz /= np.maximum(np.linalg.norm(horiz, axis=1), 1e-9)[:, None]
    v_in = vel + OMEGA_EARTH * np.column_stack([-pos[:, 1], pos[:, 0], np.zeros(r.size)])
    nu = einsum("ij,ij->i", v_in, v_in) * r / GM_EARTH
    p = (hold_pitch * (1.0 - 2.0 * nu))[:, None]
    return np.cos(p) * horiz + np.sin(p) * r_hat


@dataclass
class Aero:
    """Lift and submerged-start parameters of each object (arrays of length N).

    ``lift_to_drag`` is the polar's maximum L/D (0: no lift); the lift coefficient is limited to
    ``cl_max_factor`` times ``Cl*`` and the lift acceleration to ``max_lift_mps2`` (structure and
    control authority). ``law`` (LIFT_OFF or LIFT_HOLD) is switched by the propagator as the
    flight goes (after apogee the hold is engaged, below the dive speed it is released); ``bank``
    (rad) is set per segment. The hold commands a vertical acceleration
    ``g - v_h^2/r + w^2 (h_cmd - h) - 2 z w h'`` (a critically damped altitude hold of natural
    frequency ``hold_omega``), divided among lift, bank and flight-path angle and saturated.
    ``volume_m3`` > 0 marks a body that starts under water: below the surface it is buoyed up
    and drags through sea water instead of air.
    """

    lift_to_drag: np.ndarray
    cl_max_factor: np.ndarray
    max_lift_mps2: np.ndarray
    hold_alt: np.ndarray
    hold_omega: np.ndarray
    law: np.ndarray
    bank: np.ndarray
    volume_m3: np.ndarray

    @classmethod
    def none(cls, n: int) -> Aero:
        z = np.zeros(n)
        return cls(z, z, z, z, z, np.zeros(n, dtype=np.int8), z, z)


#: Damping ratio of the altitude hold.
HOLD_DAMPING = 1.0


def _cross(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Row-wise cross product of (N, 3) arrays (np.cross's axis handling costs more than the
    product for small N)."""
    return a[:, _YZX] * b[:, _ZXY] - a[:, _ZXY] * b[:, _YZX]


_YZX, _ZXY = np.array([1, 2, 0]), np.array([2, 0, 1])


def lift_acceleration(pos, vel, alt, q, cd0, mass, area, aero: Aero, sel: np.ndarray | slice):
    """Lift acceleration (M, 3) and induced-drag coefficient (M,) of the lifting objects ``sel``
    (a mask, or a slice).

    ``q`` dynamic pressure (Pa), ``cd0`` zero-lift drag coefficient, both (N,).
    """
    p, v = pos[sel], vel[sel]
    r = np.sqrt(einsum("ij,ij->i", p, p))
    speed = np.sqrt(einsum("ij,ij->i", v, v))
    r_hat = p / r[:, None]
    v_hat = v / np.maximum(speed, 1e-9)[:, None]
    sin_g = einsum("ij,ij->i", r_hat, v_hat)
    cos_g = np.sqrt(np.maximum(1.0 - sin_g**2, 1e-12))
    n_up = (r_hat - sin_g[:, None] * v_hat) / cos_g[:, None]
    n_side = _cross(v_hat, n_up)
    e = aero.lift_to_drag[sel]
    c0 = cd0[sel]
    cl_star = 2.0 * c0 * e
    k_ind = 1.0 / (4.0 * c0 * e**2)
    qa_m = q[sel] * area[sel] / mass[sel]
    bank = aero.bank[sel]
    # Vertical acceleration the hold asks for (gravity less the centrifugal relief, plus PD).
    omega = aero.hold_omega[sel]
    g = GM_EARTH / r**2
    v_h2 = speed**2 * cos_g**2
    climb = speed * sin_g
    a_up = g - v_h2 / r + omega**2 * (aero.hold_alt[sel] - alt[sel])
    a_up -= 2 * HOLD_DAMPING * omega * climb
    cos_b = np.cos(bank)
    a_lift = a_up / (cos_b * cos_g)
    qa_m = np.maximum(qa_m, 1e-12)
    cl = a_lift / qa_m
    cl_max = np.minimum(aero.cl_max_factor[sel] * cl_star, aero.max_lift_mps2[sel] / qa_m)
    # A smooth limiter (not a clip): the right-hand side stays smooth for the integrator.
    cl = np.where(aero.law[sel] == LIFT_HOLD, cl_max * np.tanh(cl / cl_max), 0.0)
    direction = cos_b[:, None] * n_up + np.sin(bank)[:, None] * n_side
    return (cl * qa_m)[:, None] * direction, k_ind * cl**2


def _drag_matrix() -> tuple[np.ndarray, np.ndarray]:
    """Every drag table resampled on the union of their Mach knots: linear interpolation on the
    union grid is exactly each table's own."""
    tables = drag_tables()
    # (Sorted by hand: np.unique imports numpy.ma, some 40 ms of every command's start.)
    grid = np.array(
        sorted(set(np.concatenate([tables[n].mach for n in DRAG_TABLE_NAMES]).tolist()))
    )
    return grid, np.array([tables[n](grid) for n in DRAG_TABLE_NAMES])


_CD_MACH, _CD_TABLE = _drag_matrix()
# The tables laid end to end along one axis (table i's Mach shifted by i * _CD_SHIFT), so that
# one np.interp serves objects of every table.
_CD_SHIFT = 2.0 * _CD_MACH[-1] + 1.0
_CD_X = np.concatenate([_CD_MACH + i * _CD_SHIFT for i in range(len(_CD_TABLE))])
_CD_Y = _CD_TABLE.ravel()


def drag_coefficient(mach: np.ndarray, table: np.ndarray) -> np.ndarray:
    """Cd per object from its drag-table index (into DRAG_TABLE_NAMES)."""
    m = np.minimum(np.maximum(mach, _CD_MACH[0]), _CD_MACH[-1])
    return np.interp(m + table * _CD_SHIFT, _CD_X, _CD_Y)


def acceleration(
    t, pos, vel, mass, mdot, isp_sl, isp_vac, area, table, mode, st: Steering,
    aero: Aero | None = None, alt: np.ndarray | None = None,
):  # fmt: skip
    """ECEF acceleration (N, 3) of each object. ``alt`` (geodetic altitude, m) may be given when
    the caller knows it; otherwise it is computed."""
    if alt is None:
        alt = altitude_below(pos, atmosphere.DRAG_CEILING_M)
    acc = rotating_frame_acceleration(pos, vel)

    if alt.min() >= atmosphere.DRAG_CEILING_M:
        # Every object above the air: no drag, no lift (and no water).
        return _with_thrust(acc, t, pos, vel, alt, mass, mdot, isp_sl, isp_vac, mode, st)
    rho = np.where(alt < atmosphere.DRAG_CEILING_M, atmosphere.density(alt), 0.0)
    speed = np.sqrt(einsum("ij,ij->i", vel, vel))
    mach = speed / atmosphere.speed_of_sound(alt)
    cd = drag_coefficient(mach, table)
    if aero is not None:
        wet = (aero.volume_m3 > 0) & (alt < 0.0)
        if wet.any():
            rho = np.where(wet, SEA_WATER_DENSITY, rho)
            buoy = SEA_WATER_DENSITY * aero.volume_m3[wet] * 9.80665 / mass[wet]
            acc[wet] += buoy[:, None] * pos[wet] / np.linalg.norm(pos[wet], axis=1)[:, None]
        lifting = (aero.law == LIFT_HOLD) & (aero.lift_to_drag > 0) & (rho > 0)
        if lifting.any():
            # All of them gliding (a batch of one lifting vehicle's flights): no selection.
            sel = slice(None) if lifting.all() else lifting
            q = 0.5 * rho * speed**2
            a_lift, cd_induced = lift_acceleration(pos, vel, alt, q, cd, mass, area, aero, sel)
            acc[sel] += a_lift
            cd = cd.copy()
            cd[sel] += cd_induced
    k_drag = 0.5 * rho * speed * cd * area / mass
    acc -= k_drag[:, None] * vel
    return _with_thrust(acc, t, pos, vel, alt, mass, mdot, isp_sl, isp_vac, mode, st)


def radial_height(pos: np.ndarray) -> np.ndarray:
    """Height (m) of ECEF positions (N, 3) above the WGS84 ellipsoid along their geocentric
    radius: within 0.6 m of the geodetic altitude below 100 km, its change over a step within
    centimetres of the geodetic altitude's. The flight model's altitude inside a step is the
    geodetic one at the step's start plus this one's change."""
    r2 = einsum("ij,ij->i", pos, pos)
    s2 = pos[:, 2] ** 2 / r2
    return np.sqrt(r2) - R_EQUATOR * R_POLAR / np.sqrt(
        R_POLAR**2 + (R_EQUATOR**2 - R_POLAR**2) * s2
    )


def coast_acceleration(pos, vel, alt, area_per_mass, table) -> np.ndarray:
    """``acceleration`` of unpowered bodies without lift: gravity (J2), the rotating frame and
    drag, from each one's area per mass (m^2/kg; 0: no drag) and drag table; (N, 3)."""
    n = pos.shape[0]
    zero = np.zeros(n)
    return acceleration(
        None, pos, vel, np.ones(n), zero, zero, zero, area_per_mass, table,
        np.zeros(n, dtype=int), None, None, alt,
    )  # fmt: skip


def _with_thrust(acc, t, pos, vel, alt, mass, mdot, isp_sl, isp_vac, mode, st: Steering):
    """``acc`` (N, 3) plus each burning object's thrust acceleration."""
    burning = mdot > 0
    if burning.any():
        p_ratio = atmosphere.pressure(alt) / atmosphere.SEA_LEVEL_PRESSURE_PA
        isp = isp_vac - (isp_vac - isp_sl) * np.minimum(np.maximum(p_ratio, 0.0), 1.0)
        a_thrust = np.where(burning, mdot * isp * G0 / mass, 0.0)
        acc += a_thrust[:, None] * thrust_direction(t, pos, vel, mode, st)
    return acc
