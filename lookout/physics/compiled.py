"""The propagator's RK4 step compiled (numba): the whole right-hand side, one object at a time.

``propagate`` steps every object of a batch with ``integrate.rk4_step`` on ``dynamics``'s
vectorised equations of motion: some sixty numpy calls per evaluation, four evaluations a step,
on arrays of a few rows, where numpy's per-call overhead is most of the cost. This is the same
step written out per object as scalar code and compiled once: J2 gravity and the rotating frame
(``gravity``, ``frame``), the US 1976 atmosphere (``atmosphere``'s table, interpolated as
``np.interp`` does), drag from the Mach tables, thrust with the steering modes, lift with its
altitude hold, the submerged start; each with the numpy path's operations in its order, so the
two agree to the last digits (rounding of the transcendental functions aside; the tests compare
them flight by flight).

The numpy path stays: ``LOOKOUT_NUMPY_STEP=1`` selects it (``propagate.use_compiled_step``).
Importing numba costs some 0.6 s, so ``propagate`` imports this module only when it first steps
a batch; the compilation (a few seconds) happens once per install and is kept on disk (numba's
``cache=True``, next to this file or in numba's user cache).
"""

from __future__ import annotations

import math

import numba
import numpy as np

from lookout.geodesy import GM_EARTH, J2, OMEGA_EARTH, R_EQUATOR, R_POLAR
from lookout.physics import atmosphere, dynamics
from lookout.physics.vehicles import G0

_ALT = np.ascontiguousarray(atmosphere._ALT, dtype=np.float64)
_LOG_RHO = np.ascontiguousarray(atmosphere._LOG_RHO, dtype=np.float64)
_LOG_P = np.ascontiguousarray(atmosphere._LOG_P, dtype=np.float64)
_SOUND = np.ascontiguousarray(atmosphere._SOUND, dtype=np.float64)
_CD_X = np.ascontiguousarray(dynamics._CD_X, dtype=np.float64)
_CD_Y = np.ascontiguousarray(dynamics._CD_Y, dtype=np.float64)
_CD_SHIFT = float(dynamics._CD_SHIFT)
_MACH_LO, _MACH_HI = float(dynamics._CD_MACH[0]), float(dynamics._CD_MACH[-1])
_CEILING = float(atmosphere.DRAG_CEILING_M)
_P_SL = float(atmosphere.SEA_LEVEL_PRESSURE_PA)
_WATER = float(dynamics.SEA_WATER_DENSITY)
_HOLD_PITCH = dynamics.HOLD_PITCH
_LIFT_HOLD = dynamics.LIFT_HOLD
_LIFT_OFF = dynamics.LIFT_OFF
_DAMPING = float(dynamics.HOLD_DAMPING)
_K_J2 = 1.5 * J2 * R_EQUATOR**2
_RR = R_EQUATOR * R_POLAR
_RP2 = R_POLAR**2
_DR2 = R_EQUATOR**2 - R_POLAR**2
_W2 = 2.0 * OMEGA_EARTH
_MW2 = -2.0 * OMEGA_EARTH
_WW = OMEGA_EARTH**2


@numba.njit(cache=True, inline="always", error_model="numpy")
def _interp(x, xp, fp):
    """``np.interp`` of one value, with numpy's formula (compiled_base.c's ``arr_interp``)."""
    n = xp.size
    if x > xp[n - 1]:
        return fp[n - 1]
    if x < xp[0]:
        return fp[0]
    lo, hi = 0, n - 1
    while hi - lo > 1:  # xp[lo] <= x < xp[hi], or x == xp[n - 1]
        mid = (lo + hi) >> 1
        if xp[mid] <= x:
            lo = mid
        else:
            hi = mid
    if x == xp[n - 1]:
        return fp[n - 1]
    j = lo
    if xp[j] == x:
        return fp[j]
    slope = (fp[j + 1] - fp[j]) / (xp[j + 1] - xp[j])
    res = slope * (x - xp[j]) + fp[j]
    if math.isnan(res):
        res = slope * (x - xp[j + 1]) + fp[j + 1]
        if math.isnan(res) and fp[j] == fp[j + 1]:
            res = fp[j]
    return res


@numba.njit(cache=True, error_model="numpy")
def _radial_height(x, y, z):
    """``dynamics.radial_height`` of one position."""
    r2 = x * x + y * y + z * z
    s2 = z**2 / r2
    return math.sqrt(r2) - _RR / math.sqrt(_RP2 + _DR2 * s2)


@numba.njit(cache=True, error_model="numpy")
def gravity_frame(px, py, pz, vx, vy, vz, r2):
    """J2 gravity and the rotating frame's centrifugal and Coriolis terms (``gravity.gravity_j2``,
    ``frame``) at ``px, py, pz`` moving at ``vx, vy, vz`` (ECEF), ``r2`` the squared radius
    summed in the caller's order (the flight's and the tracker's numpy paths differ in it)."""
    r = math.sqrt(r2)
    z2 = pz**2 / r2
    k = _K_J2 / r2
    base = -GM_EARTH / (r2 * r)
    f = base * (1.0 + k * (1.0 - 5.0 * z2))
    ax = px * f + (_W2 * vy + _WW * px)
    ay = py * f + (_MW2 * vx + _WW * py)
    az = pz * base * (1.0 + k * (3.0 - 5.0 * z2))
    return ax, ay, az


@numba.njit(cache=True, error_model="numpy")
def _acc(
    i, tt, px, py, pz, vx, vy, vz, alt0, seg_t0, m_start, mdot, isp_sl, isp_vac, area, table,
    mode, st, up, heading, use_aero, aero, law, bank, volume, t_armed, out,
):  # fmt: skip
    """The acceleration of object ``i`` (``propagate``'s ``rhs``, ``dynamics.acceleration``)
    into ``out`` (3,)."""
    alt = alt0 + _radial_height(px, py, pz)
    mass = m_start[i] - mdot[i] * (tt - seg_t0[i])
    # Gravity with J2 and the rotating frame (gravity.gravity_j2, frame).
    r2 = px * px + py * py + pz * pz
    r = math.sqrt(r2)
    ax, ay, az = gravity_frame(px, py, pz, vx, vy, vz, r2)
    if alt < _CEILING:
        rho = math.exp(_interp(alt, _ALT, _LOG_RHO))
        speed = math.sqrt(vx * vx + vy * vy + vz * vz)
        mach = speed / _interp(alt, _ALT, _SOUND)
        m = min(max(mach, _MACH_LO), _MACH_HI)
        cd = _interp(m + table[i] * _CD_SHIFT, _CD_X, _CD_Y)
        if use_aero:
            vol = volume[i] if tt < t_armed[i] else 0.0
            if vol > 0 and alt < 0.0:
                rho = _WATER
                buoy = _WATER * vol * 9.80665 / mass
                pn = math.sqrt(px * px + py * py + pz * pz)
                ax += buoy * px / pn
                ay += buoy * py / pn
                az += buoy * pz / pn
            if law[i] == _LIFT_HOLD and aero[i, 0] > 0 and rho > 0:
                # dynamics.lift_acceleration
                q = 0.5 * rho * speed**2
                rhx, rhy, rhz = px / r, py / r, pz / r
                sp = max(speed, 1e-9)
                vhx, vhy, vhz = vx / sp, vy / sp, vz / sp
                sin_g = rhx * vhx + rhy * vhy + rhz * vhz
                cos_g = math.sqrt(max(1.0 - sin_g**2, 1e-12))
                nux = (rhx - sin_g * vhx) / cos_g
                nuy = (rhy - sin_g * vhy) / cos_g
                nuz = (rhz - sin_g * vhz) / cos_g
                nsx = vhy * nuz - vhz * nuy
                nsy = vhz * nux - vhx * nuz
                nsz = vhx * nuy - vhy * nux
                e = aero[i, 0]
                cl_star = 2.0 * cd * e
                k_ind = 1.0 / (4.0 * cd * e**2)
                qa_m = q * area[i] / mass
                omega = aero[i, 4]
                g = GM_EARTH / r**2
                v_h2 = speed**2 * cos_g**2
                climb = speed * sin_g
                a_up = g - v_h2 / r + omega**2 * (aero[i, 3] - alt)
                a_up -= 2 * _DAMPING * omega * climb
                cos_b = math.cos(bank[i])
                a_lift = a_up / (cos_b * cos_g)
                qa_m = max(qa_m, 1e-12)
                cl = a_lift / qa_m
                cl_max = min(aero[i, 1] * cl_star, aero[i, 2] / qa_m)
                cl = cl_max * math.tanh(cl / cl_max)
                sin_b = math.sin(bank[i])
                la = cl * qa_m
                ax += la * (cos_b * nux + sin_b * nsx)
                ay += la * (cos_b * nuy + sin_b * nsy)
                az += la * (cos_b * nuz + sin_b * nsz)
                cd = cd + k_ind * cl**2
        k_drag = 0.5 * rho * speed * cd * area[i] / mass
        ax -= k_drag * vx
        ay -= k_drag * vy
        az -= k_drag * vz
    if mdot[i] > 0:
        # dynamics._with_thrust and thrust_direction
        p_ratio = math.exp(_interp(alt, _ALT, _LOG_P)) / _P_SL
        isp = isp_vac[i] - (isp_vac[i] - isp_sl[i]) * min(max(p_ratio, 0.0), 1.0)
        a_thrust = mdot[i] * isp * G0 / mass
        if mode[i] == _HOLD_PITCH:
            rn = math.sqrt(px * px + py * py + pz * pz)
            rhx, rhy, rhz = px / rn, py / rn, pz / rn
            vr = vx * rhx + vy * rhy + vz * rhz
            hx, hy, hz = vx - vr * rhx, vy - vr * rhy, vz - vr * rhz
            hn = max(math.sqrt(hx * hx + hy * hy + hz * hz), 1e-9)
            hx, hy, hz = hx / hn, hy / hn, hz / hn
            wx, wy, wz = vx + OMEGA_EARTH * -py, vy + OMEGA_EARTH * px, vz + OMEGA_EARTH * 0.0
            nu = (wx * wx + wy * wy + wz * wz) * rn / GM_EARTH
            p = st[i, 4] * (1.0 - 2.0 * nu)
            cp, sp_ = math.cos(p), math.sin(p)
            ux, uy, uz = cp * hx + sp_ * rhx, cp * hy + sp_ * rhy, cp * hz + sp_ * rhz
        else:
            speed = math.sqrt(vx * vx + vy * vy + vz * vz)
            since = tt - st[i, 0] - st[i, 1]
            cmd = st[i, 3] * min(max(since / st[i, 2], 0.0), 1.0)
            vel_tilt = math.atan2(
                vx * heading[i, 0] + vy * heading[i, 1] + vz * heading[i, 2],
                vx * up[i, 0] + vy * up[i, 1] + vz * up[i, 2],
            )
            if since > 0 and vel_tilt > cmd and speed > 1.0:
                sp = max(speed, 1e-9)
                ux, uy, uz = vx / sp, vy / sp, vz / sp
            else:
                cc, sc = math.cos(cmd), math.sin(cmd)
                ux = cc * up[i, 0] + sc * heading[i, 0]
                uy = cc * up[i, 1] + sc * heading[i, 1]
                uz = cc * up[i, 2] + sc * heading[i, 2]
        ax += a_thrust * ux
        ay += a_thrust * uy
        az += a_thrust * uz
    out[0], out[1], out[2] = ax, ay, az


@numba.njit(cache=True, error_model="numpy")
def _rk4(
    t, pos, vel, dt, alt, seg_t0, m_start, mdot, isp_sl, isp_vac, area, table, mode, st, up,
    heading, use_aero, aero, law, bank, volume, t_armed,
):  # fmt: skip
    n = t.size
    new_pos = np.empty((n, 3))
    new_vel = np.empty((n, 3))
    a1 = np.empty(3)
    a2 = np.empty(3)
    a3 = np.empty(3)
    a4 = np.empty(3)
    for i in range(n):
        h = dt[i]
        p0x, p0y, p0z = pos[i, 0], pos[i, 1], pos[i, 2]
        v0x, v0y, v0z = vel[i, 0], vel[i, 1], vel[i, 2]
        if h == 0.0:  # a row that no longer flies: its state stays (as the numpy step's would)
            new_pos[i, 0], new_pos[i, 1], new_pos[i, 2] = p0x, p0y, p0z
            new_vel[i, 0], new_vel[i, 1], new_vel[i, 2] = v0x, v0y, v0z
            continue
        alt0 = alt[i] - _radial_height(p0x, p0y, p0z)
        t0 = t[i]
        t_half = t0 + 0.5 * dt[i]
        t_end = t0 + dt[i]
        _acc(i, t0, p0x, p0y, p0z, v0x, v0y, v0z, alt0, seg_t0, m_start, mdot, isp_sl, isp_vac,
             area, table, mode, st, up, heading, use_aero, aero, law, bank, volume, t_armed,
             a1)  # fmt: skip
        hh = 0.5 * h
        p2x, p2y, p2z = p0x + hh * v0x, p0y + hh * v0y, p0z + hh * v0z
        v2x, v2y, v2z = v0x + hh * a1[0], v0y + hh * a1[1], v0z + hh * a1[2]
        _acc(i, t_half, p2x, p2y, p2z, v2x, v2y, v2z, alt0, seg_t0, m_start, mdot, isp_sl,
             isp_vac, area, table, mode, st, up, heading, use_aero, aero, law, bank, volume,
             t_armed, a2)  # fmt: skip
        p3x, p3y, p3z = p0x + hh * v2x, p0y + hh * v2y, p0z + hh * v2z
        v3x, v3y, v3z = v0x + hh * a2[0], v0y + hh * a2[1], v0z + hh * a2[2]
        _acc(i, t_half, p3x, p3y, p3z, v3x, v3y, v3z, alt0, seg_t0, m_start, mdot, isp_sl,
             isp_vac, area, table, mode, st, up, heading, use_aero, aero, law, bank, volume,
             t_armed, a3)  # fmt: skip
        p4x, p4y, p4z = p0x + h * v3x, p0y + h * v3y, p0z + h * v3z
        v4x, v4y, v4z = v0x + h * a3[0], v0y + h * a3[1], v0z + h * a3[2]
        _acc(i, t_end, p4x, p4y, p4z, v4x, v4y, v4z, alt0, seg_t0, m_start, mdot, isp_sl,
             isp_vac, area, table, mode, st, up, heading, use_aero, aero, law, bank, volume,
             t_armed, a4)  # fmt: skip
        h6 = h / 6.0
        new_pos[i, 0] = p0x + h6 * (v0x + 2.0 * v2x + 2.0 * v3x + v4x)
        new_pos[i, 1] = p0y + h6 * (v0y + 2.0 * v2y + 2.0 * v3y + v4y)
        new_pos[i, 2] = p0z + h6 * (v0z + 2.0 * v2z + 2.0 * v3z + v4z)
        new_vel[i, 0] = v0x + h6 * (a1[0] + 2.0 * a2[0] + 2.0 * a3[0] + a4[0])
        new_vel[i, 1] = v0y + h6 * (a1[1] + 2.0 * a2[1] + 2.0 * a3[1] + a4[1])
        new_vel[i, 2] = v0z + h6 * (a1[2] + 2.0 * a2[2] + 2.0 * a3[2] + a4[2])
    return new_pos, new_vel


@numba.njit(cache=True, error_model="numpy")
def _step_sizes(
    t, pos, vel, alt, mdot, st, m_start, area, table, can_lift, wet_start, t_armed, t_next,
    t_stop, active, any_lift, any_wet, c,
):  # fmt: skip
    """``propagate``'s choice of each object's step, per object (its numpy lines, in order)."""
    dt_thrust, dt_pitch_over, dt_vacuum, dt_atm_max, dt_min = c[0], c[1], c[2], c[3], c[4]
    atm_step, atm_top, drag_step, dt_lift, dt_water = c[5], c[6], c[7], c[8], c[9]
    n = t.size
    dt = np.empty(n)
    vr = np.empty(n)
    hits_event = np.empty(n, dtype=np.bool_)
    hits_stop = np.empty(n, dtype=np.bool_)
    for i in range(n):
        px, py, pz = pos[i, 0], pos[i, 1], pos[i, 2]
        vx, vy, vz = vel[i, 0], vel[i, 1], vel[i, 2]
        v_r = (px * vx + py * vy + pz * vz) / math.sqrt(px * px + py * py + pz * pz)
        vr[i] = v_r
        thrusting = mdot[i] > 0
        if thrusting:
            in_pitch_over = (t[i] - st[i, 0]) < (st[i, 1] + st[i, 2] + 2.0)
            h = dt_pitch_over if in_pitch_over else dt_thrust
        else:
            h = dt_vacuum
        in_air = alt[i] < atm_top
        if in_air and not thrusting:
            dt_air = atm_step / max(abs(v_r), 1.0)
            # propagate.drag_rate
            a = alt[i]
            rho = math.exp(_interp(min(a, _CEILING), _ALT, _LOG_RHO)) if a < _CEILING else 0.0
            speed = math.sqrt(vx * vx + vy * vy + vz * vz)
            m = min(max(speed / _interp(a, _ALT, _SOUND), _MACH_LO), _MACH_HI)
            cd = _interp(m + table[i] * _CD_SHIFT, _CD_X, _CD_Y)
            k_drag = 0.5 * rho * cd * area[i] * speed / m_start[i]
            dt_air = min(dt_air, drag_step / max(k_drag, 1e-12))
            dt_air = min(max(dt_air, dt_min), dt_atm_max)
            h = min(h, dt_air)
        if not thrusting and not in_air and v_r < 0:
            h = min(h, max((alt[i] - atm_top + 2e3) / max(-v_r, 1.0), 0.5))
        if any_lift and can_lift[i] and in_air and not thrusting:
            h = min(h, dt_lift)
        if any_wet and wet_start[i] and alt[i] < 1.0 and t[i] < t_armed[i]:
            h = min(h, dt_water)
        hits_event[i] = t_next[i] - t[i] <= h * (1 + 1e-9)
        if hits_event[i]:
            h = t_next[i] - t[i]
        hits_stop[i] = t_stop[i] - t[i] <= h
        if hits_stop[i]:
            h = t_stop[i] - t[i]
        dt[i] = h if active[i] else 0.0
    return dt, vr, hits_event, hits_stop


def step_sizes(t, pos, vel, alt, mdot, steering, m_start, area, table, can_lift, wet_start,
               t_armed, t_next, t_stop, active, any_lift, any_wet, constants):  # fmt: skip
    """Each object's step (s), radial velocity (m/s), and whether the step ends at its next
    segment boundary and at its stop time: ``propagate``'s step choice, from its ``constants``
    (DT_THRUST, DT_PITCH_OVER, DT_VACUUM, DT_ATMOSPHERE_MAX, DT_MIN, ATMOSPHERE_STEP_M,
    ATMOSPHERE_TOP_M, DRAG_STEP, the lifting step, DT_WATER)."""
    return _step_sizes(
        t, pos, vel, alt, mdot, steering[0], m_start, area, table, can_lift, wet_start, t_armed,
        t_next, t_stop, active, any_lift, any_wet, constants,
    )  # fmt: skip


def _f(x) -> np.ndarray:
    return np.ascontiguousarray(x, dtype=np.float64)


def pack_steering(st: dynamics.Steering) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The steering's per-object scalars (N, 5: t_launch, vertical_s, pitch_over_s, kick,
    hold_pitch), its site vertical and heading (N, 3), as the step takes them."""
    scalars = np.column_stack([st.t_launch, st.vertical_s, st.pitch_over_s, st.kick, st.hold_pitch])
    return _f(scalars), _f(st.up), _f(st.heading)


def pack_aero(aero: dynamics.Aero) -> np.ndarray:
    """The lifting bodies' constants (N, 5: L/D, cl_max_factor, max_lift, hold_alt,
    hold_omega)."""
    return _f(
        np.column_stack([aero.lift_to_drag, aero.cl_max_factor, aero.max_lift_mps2, aero.hold_alt,
                         aero.hold_omega])
    )  # fmt: skip


def rk4_step(t, pos, vel, dt, alt, seg_t0, segment, steering, use_aero, aero, law, bank, volume,
             t_armed):  # fmt: skip
    """Positions and velocities (N, 3) one RK4 step of ``dt`` (N,) on: ``propagate``'s
    ``rk4_step(step_rhs, ...)``. ``alt`` is the geodetic altitude at the step's start,
    ``segment`` the current segments' (m_start, mdot, isp_sl, isp_vac, area, table, mode),
    ``steering`` and ``aero`` packed (``pack_steering``, ``pack_aero``); ``law`` and ``bank``
    the lift law and bank of each object for the step, ``volume`` its submerged volume before
    ``t_armed``. Rows with ``dt == 0`` keep their state."""
    # (No conversions here, every step: ``propagate`` keeps its arrays float64, the tables and
    # modes int64, the law int8; another type costs a compilation, not a wrong number.)
    m_start, mdot, isp_sl, isp_vac, area, table, mode = segment
    st, up, heading = steering
    return _rk4(
        t, pos, vel, dt, alt, seg_t0, m_start, mdot, isp_sl, isp_vac, area, table, mode, st, up,
        heading, use_aero, aero, law, bank, volume, t_armed,
    )  # fmt: skip


@numba.njit(cache=True, inline="always", error_model="numpy")
def hermite_weights(s):
    """The cubic Hermite arc's weights at fraction ``s`` of a step, ``trajectory.hermite``'s
    in its order: of the position (``p0``, ``h v0``, ``p1``, ``h v1``) and of the velocity
    times the step (the same four)."""
    s2 = s * s
    s3 = s * s * s
    return (
        2 * s3 - 3 * s2 + 1, s3 - 2 * s2 + s, -2 * s3 + 3 * s2, s3 - s2,
        6 * s2 - 6 * s, 3 * s2 - 4 * s + 1, -6 * s2 + 6 * s, 3 * s2 - 2 * s,
    )  # fmt: skip


@numba.njit(cache=True, error_model="numpy")
def _root_values(kind, p0, v0, p1, v1, h, s, dive, out):
    """Per row of the steps: the function whose sign change is sought at fraction ``s`` into
    ``out``: the radial rate ``p . v`` of the Hermite arc (kind 0, an apogee or a peak) or its
    speed less ``dive`` (kind 1, a glider's dive). ``trajectory.hermite``'s operations in its
    order; the sum of three products as numpy's ``einsum`` takes it on this machine's
    two-lane vectors, ``(x0 y0 + x2 y2) + x1 y1`` (the same floats as the numpy path)."""
    pv = np.empty(3)
    for i in range(s.size):
        hi = h[i]
        c0, c1, c2, c3, d0, d1, d2, d3 = hermite_weights(s[i])
        for j in range(3):
            hv0 = v0[i, j] * hi
            hv1 = v1[i, j] * hi
            vj = (d0 * p0[i, j] + d1 * hv0 + d2 * p1[i, j] + d3 * hv1) / hi
            if kind == 0:
                pv[j] = (c0 * p0[i, j] + c1 * hv0 + c2 * p1[i, j] + c3 * hv1) * vj
            else:
                pv[j] = vj * vj
        acc = (pv[0] + pv[2]) + pv[1]
        out[i] = acc if kind == 0 else math.sqrt(acc) - dive[i]


@numba.njit(cache=True, error_model="numpy")
def _hermite_sign_change(kind, p0, v0, p1, v1, h, f0, f1, dive):
    lo = np.zeros(f0.size)
    hi = np.ones(f0.size)
    flo = f0.copy()
    fhi = f1.copy()
    side = np.zeros(f0.size, dtype=np.int8)
    s = 0.5 * (lo + hi)
    fs = np.empty(f0.size)
    for _ in range(10):
        for i in range(s.size):
            denom = flo[i] - fhi[i]
            if denom > 0:
                s[i] = (lo[i] * -fhi[i] + hi[i] * flo[i]) / denom
            s[i] = min(max(s[i], lo[i]), hi[i])
        _root_values(kind, p0, v0, p1, v1, h, s, dive, fs)
        for i in range(s.size):
            up = fs[i] >= 0
            if up:
                lo[i], flo[i] = s[i], fs[i]
            else:
                hi[i], fhi[i] = s[i], fs[i]
            if up and side[i] == 1:
                fhi[i] = 0.5 * fhi[i]
            if not up and side[i] == -1:
                flo[i] = 0.5 * flo[i]
            side[i] = 1 if up else -1
    return s


def hermite_sign_change(kind: int, p0, v0, p1, v1, h, f0, f1, dive=None) -> np.ndarray:
    """``propagate._sign_change`` (ten Illinois iterations, the same bracket updates) of the
    radial rate (``kind`` 0) or the speed less ``dive`` (N,) (kind 1) along the cubic Hermite
    arcs of steps ``h`` (N,) s long from (``p0``, ``v0``) to (``p1``, ``v1``) (N, 3), whose
    values at the ends are ``f0 >= 0`` and ``f1 < 0``: the fraction (N,) of each step where it
    changes sign. One call for the numpy path's some four hundred."""
    if dive is None:
        dive = np.zeros(f0.shape[0])
    return _hermite_sign_change(
        kind, _f(p0), _f(v0), _f(p1), _f(v1), _f(h), _f(f0), _f(f1), _f(dive)
    )


def warm() -> None:
    """Compile (or load from numba's cache) the step: one tiny call."""
    n = 1
    z = np.zeros(n)
    pos = np.array([[R_EQUATOR + 1e3, 0.0, 0.0]])
    vel = np.array([[0.0, 100.0, 0.0]])
    seg = (np.ones(n), z, z, z, np.ones(n), np.zeros(n, np.int64), np.zeros(n, np.int64))
    st = (np.zeros((n, 5)), np.zeros((n, 3)), np.zeros((n, 3)))
    b = np.zeros(n, dtype=np.bool_)
    c = np.ones(10)
    step_sizes(z, pos, vel, np.full(n, 1e3), z, st, np.ones(n), np.ones(n), seg[5], b, b, z,
               np.ones(n), np.ones(n), ~b, False, False, c)  # fmt: skip
    for use_aero in (False, True):
        rk4_step(z, pos, vel, np.ones(n), np.full(n, 1e3), z, seg, st, use_aero,
                 np.zeros((n, 5)), np.zeros(n, np.int8), z, z, z)  # fmt: skip
    for kind in (0, 1):
        hermite_sign_change(kind, pos, vel, pos, vel, np.ones(n), np.ones(n), -np.ones(n), z)
    glide_step(z, pos, vel, np.full(n, 1e3), z, seg, st, True, np.zeros((n, 5)), ~b, z, z, b,
               b, z, np.ones(n), np.ones(n), ~b, True, False, c, np.zeros(n, np.int8), b.copy(),
               b.copy(), b.copy(), b.copy(), z, 50.0)  # fmt: skip


@numba.njit(cache=True, inline="always", error_model="numpy")
def _dot3(x, i, y, k):
    """Row ``i`` of ``x`` dotted with row ``k`` of ``y`` as numpy's ``einsum("ij,ij->i")``
    sums it on this machine, ``(x0 y0 + x2 y2) + x1 y1`` (``_root_values``)."""
    return (x[i, 0] * y[k, 0] + x[i, 2] * y[k, 2]) + x[i, 1] * y[k, 1]


@numba.njit(cache=True, inline="always", error_model="numpy")
def _norm3(x, i):
    """``np.linalg.norm(x, axis=1)``'s row ``i``: its squares summed left to right."""
    return math.sqrt((x[i, 0] * x[i, 0] + x[i, 1] * x[i, 1]) + x[i, 2] * x[i, 2])


@numba.njit(cache=True, error_model="numpy")
def _cut_at(idx, s, t, pos, vel, dt, new_t, new_pos, new_vel, cut):
    """``propagate._cut_steps``' state: the steps of rows ``idx`` ended at fraction ``s`` of
    their Hermite arcs (``trajectory.hermite``'s operations in its order)."""
    for j in range(idx.size):
        i = idx[j]
        h = dt[i]
        c0, c1, c2, c3, d0, d1, d2, d3 = hermite_weights(s[j])
        for q in range(3):
            hv0 = vel[i, q] * h
            hv1 = new_vel[i, q] * h
            p = c0 * pos[i, q] + c1 * hv0 + c2 * new_pos[i, q] + c3 * hv1
            v = (d0 * pos[i, q] + d1 * hv0 + d2 * new_pos[i, q] + d3 * hv1) / h
            new_pos[i, q] = p
            new_vel[i, q] = v
        new_t[i] = t[i] + s[j] * h
        cut[i] = True


@numba.njit(cache=True, error_model="numpy")
def _glide_step(
    t, pos, vel, alt, seg_t0, mdot, m_start, isp_sl, isp_vac, area, table, mode, st, up,
    heading, use_aero, aero, lift_seg, bank, volume, can_lift, wet_start, t_armed, t_next,
    t_stop, active, any_lift, any_wet, c, law, orbital, apogee_seen, climbing_again, dived,
    dive_speed, skip_climb,
):  # fmt: skip
    n = t.size
    dt, vr, hits_event, hits_stop = _step_sizes(
        t, pos, vel, alt, mdot, st, m_start, area, table, can_lift, wet_start, t_armed, t_next,
        t_stop, active, any_lift, any_wet, c,
    )  # fmt: skip
    law_step = np.empty(n, dtype=np.int8)
    for i in range(n):
        law_step[i] = law[i] if lift_seg[i] else _LIFT_OFF
    new_pos, new_vel = _rk4(
        t, pos, vel, dt, alt, seg_t0, m_start, mdot, isp_sl, isp_vac, area, table, mode, st, up,
        heading, use_aero, aero, law_step, bank, volume, t_armed,
    )  # fmt: skip
    new_t = t + dt
    cut = np.zeros(n, dtype=np.bool_)
    # Apogee (and a skip's later peaks): the radial rate turns from up to down.
    turn = np.zeros(n, dtype=np.bool_)
    new_vr = np.empty(n)
    for i in range(n):
        new_vr[i] = _dot3(new_pos, i, new_vel, i) / math.sqrt(_dot3(new_pos, i, new_pos, i))
        turn[i] = (
            active[i] and not mdot[i] > 0 and not orbital[i] and vr[i] >= 0
            and new_vr[i] < 0 and t[i] >= t_armed[i]
            and (not apogee_seen[i] or climbing_again[i])
        )  # fmt: skip
        climbing_again[i] = climbing_again[i] or (apogee_seen[i] and new_vr[i] > skip_climb)
    idx = np.flatnonzero(turn)
    if idx.size:
        m = idx.size
        p0, v0, p1, v1 = np.empty((m, 3)), np.empty((m, 3)), np.empty((m, 3)), np.empty((m, 3))
        hs, f0, f1 = np.empty(m), np.empty(m), np.empty(m)
        for j in range(m):
            i = idx[j]
            p0[j], v0[j], p1[j], v1[j] = pos[i], vel[i], new_pos[i], new_vel[i]
            hs[j] = dt[i]
            f0[j] = vr[i] * _norm3(pos, i)
            f1[j] = new_vr[i] * _norm3(new_pos, i)
        s = _hermite_sign_change(0, p0, v0, p1, v1, hs, f0, f1, np.zeros(m))
        if any_lift:
            # A lifting body engages its lift law at apogee (the step ends there), unless it
            # is already slower than its dive speed.
            engage = np.zeros(m, dtype=np.bool_)
            for j in range(m):
                i = idx[j]
                if can_lift[i] and lift_seg[i] and law[i] == _LIFT_OFF and not dived[i]:
                    cc0, cc1, cc2, cc3, d0, d1, d2, d3 = hermite_weights(s[j])
                    vv = np.empty(3)
                    for q in range(3):
                        hv0 = v0[j, q] * hs[j]
                        hv1 = v1[j, q] * hs[j]
                        vv[q] = (d0 * p0[j, q] + d1 * hv0 + d2 * p1[j, q] + d3 * hv1) / hs[j]
                    speed = math.sqrt((vv[0] * vv[0] + vv[1] * vv[1]) + vv[2] * vv[2])
                    engage[j] = speed >= dive_speed[i]
            sel = idx[engage]
            if sel.size:
                _cut_at(sel, s[engage], t, pos, vel, dt, new_t, new_pos, new_vel, cut)
                for i in sel:
                    law[i] = _LIFT_HOLD
        for i in idx:
            apogee_seen[i] = True
            climbing_again[i] = False
    # Dive: a gliding body's lift is released when its speed falls to its dive speed.
    if any_lift:
        slow = np.zeros(n, dtype=np.bool_)
        f0 = np.empty(n)
        f1 = np.empty(n)
        for i in range(n):
            speed0 = math.sqrt(_dot3(vel, i, vel, i))
            speed1 = math.sqrt(_dot3(new_vel, i, new_vel, i))
            slow[i] = (
                active[i] and not cut[i] and law[i] == _LIFT_HOLD and speed0 >= dive_speed[i]
                and speed1 < dive_speed[i]
            )  # fmt: skip
            f0[i] = speed0 - dive_speed[i]
            f1[i] = speed1 - dive_speed[i]
        idx = np.flatnonzero(slow)
        if idx.size:
            s = _hermite_sign_change(
                1, pos[idx], vel[idx], new_pos[idx], new_vel[idx], dt[idx], f0[idx], f1[idx],
                dive_speed[idx],
            )  # fmt: skip
            _cut_at(idx, s, t, pos, vel, dt, new_t, new_pos, new_vel, cut)
            for i in idx:
                law[i] = _LIFT_OFF
                dived[i] = True
    return dt, hits_event, hits_stop, new_t, new_pos, new_vel, cut


def glide_step(t, pos, vel, alt, seg_t0, segment, steering, use_aero, aero, lift_seg, bank,
               volume, can_lift, wet_start, t_armed, t_next, t_stop, active, any_lift, any_wet,
               constants, law, orbital, apogee_seen, climbing_again, dived, dive_speed,
               skip_climb):  # fmt: skip
    """One step of ``propagate``'s loop for objects that neither thrust nor cross a segment's
    end (the assessment's reach flights), compiled whole: the step's size (``step_sizes``),
    the RK4 step (``rk4_step``), the apogee (``propagate``'s ``turn``) with a lifting body's
    glide engaged there, and a glider's dive, each step cut at its root as
    ``propagate._cut_steps`` cuts it; ``law``, ``apogee_seen``, ``climbing_again`` and
    ``dived`` (N,) updated in place. The same floats as the loop's numpy lines. Returns the
    step (N,), whether it hits the segment's end and the stop time, the step's end (t, pos,
    vel) and whether it was cut. The events are not made (the caller wants impacts only)."""
    m_start, mdot, isp_sl, isp_vac, area, table, mode = segment
    st, up, heading = steering
    return _glide_step(
        t, pos, vel, alt, seg_t0, mdot, m_start, isp_sl, isp_vac, area, table, mode, st, up,
        heading, use_aero, aero, lift_seg, bank, volume, can_lift, wet_start, t_armed, t_next,
        t_stop, active, any_lift, any_wet, constants, law, orbital, apogee_seen, climbing_again,
        dived, dive_speed, skip_climb,
    )  # fmt: skip
