"""Coasting bodies flown to the ground, the whole loop compiled (numba): ``ground.coast_to_ground``.

``propagate`` flies a batch step by step in Python: the step (compiled, ``compiled.py``) and
around it the numpy bookkeeping of every step (step sizes, the geodetic altitude through PROJ,
the apogee, reentry and impact tests, the records), then a ``Trajectory`` per object. For the
assessment's coasting bodies (one ballistic segment each: no thrust, no lift, not submerged)
this module flies each object to its end in one compiled loop: ``propagate``'s step choice,
its RK4 step (``compiled._rk4``'s operations, coasting terms only), its tests in its order,
the apogee and the impact found inside their steps with ``propagate._sign_change``'s Illinois
iterations on the same cubic Hermite arc. The samples are kept for the objects asked for only.

**The geodetic altitude** (``geodetic_lat_alt``): PROJ's conversion is not callable from
compiled code, so the foot of the normal to the WGS84 ellipse (semi-axes a, b) through a point
at distance p from the axis and z from the equator is found by Newton's method on its
parametric latitude beta (the ellipse point (a cos beta, b sin beta)), where the point's
offset is normal to the ellipse:

    f(beta) = (a^2 - b^2) sin beta cos beta - a p sin beta + b z cos beta = 0,

started at beta0 = atan2(a z, b p) (the ellipse point on the geocentric ray through the point;
exact on the surface), and the altitude is the offset's projection on the normal there,

    h(beta) = (b p cos beta + a z sin beta - a b) / sqrt(b^2 cos^2 beta + a^2 sin^2 beta).

Error bound, derived (the tests check it, ``tests/test_ground_compiled.py``). For a point at
height h above geodetic latitude phi, tan beta0 / tan beta* = 1 + e^2 h / ((N + h)(1 - e^2)),
so the start is off by |beta0 - beta*| <= e^2 h / (2 (N + h)(1 - e^2)) < 3.4e-3 rad at any
height, 1.5e-4 below 300 km. Newton's error contracts as d_{k+1} <= C d_k^2 with
C = max|f''| / (2 min|f'|) over the bracket: at distance r >= 6.3e6 m from the centre (above
some -50 km), |f'| >= b r - (a^2 - b^2) and |f''| <= 2.5 (a^2 - b^2) + a r d, so for
d <= 3.4e-3, C <= a d / (2 b) + 6.8e11 / (2 (b r - 2.7e11)) <= 0.011: d1 <= 1.3e-7,
d2 <= 2e-16, d3 below the double's resolution (``NEWTON_STEPS`` = 3). h(beta) is stationary
at beta* (the projection on the normal of a point on it), so its error from beta's is second
order, |h''| d^2 / 2 with |h''| <= 1.01 r (evaluated over points up to 20,000 km): under
1e-18 m after three steps. What is
left is rounding: the numerator is a difference of terms up to 4.1e13 m^2 (a few units of
its last place, 0.008 m^2 each) over a denominator of 6.36e6 m: under 1e-8 m (measured 4e-9
m against points made from known (lat, h) by the forward formula). PROJ's conversion
(``geodesy.geodetic_altitude``, the reference's) is off the same points by up to 1e-6 m within
10 km of the surface, 1e-4 m at 100 km, 9e-4 m at 300 km and 2.5 cm at 2,000 km (its closed
form's error grows with height); the two agree within that.
"""

from __future__ import annotations

import math

import numba
import numpy as np

from lookout.geodesy import GM_EARTH, J2, OMEGA_EARTH, R_EQUATOR, R_POLAR
from lookout.physics.compiled import (
    _ALT,
    _CD_SHIFT,
    _CD_X,
    _CD_Y,
    _CEILING,
    _LOG_RHO,
    _MACH_HI,
    _MACH_LO,
    _SOUND,
    _interp,
    _radial_height,
    gravity_frame,
    hermite_weights,
)

#: Newton steps of the geodetic altitude (the module doc: the third leaves nothing to gain).
NEWTON_STEPS = 3
_A = R_EQUATOR
_B = R_POLAR
_A2B2 = R_EQUATOR**2 - R_POLAR**2
_AB = R_EQUATOR * R_POLAR
_BB = R_POLAR**2
_AA = R_EQUATOR**2
_HALF_J2_A2 = 0.5 * J2 * R_EQUATOR**2
_HALF_W2 = 0.5 * OMEGA_EARTH**2

#: Event codes of the kernel's event records (``ground.EVENT_NAMES``).
APOGEE, PEAK, REENTRY, IMPACT = 0, 1, 2, 3


@numba.njit(cache=True, error_model="numpy")
def geodetic_lat_alt(x, y, z):
    """Geodetic latitude (rad) and altitude (m) of the ECEF point (x, y, z) on WGS84 (the
    module doc: Newton on the parametric latitude, within 1e-8 m)."""
    p = math.sqrt(x * x + y * y)
    beta = math.atan2(_A * z, _B * p)
    for _ in range(NEWTON_STEPS):
        sb, cb = math.sin(beta), math.cos(beta)
        f = _A2B2 * sb * cb - _A * p * sb + _B * z * cb
        fp = _A2B2 * (cb * cb - sb * sb) - _A * p * cb - _B * z * sb
        if fp == 0.0:
            break
        beta -= f / fp
    sb, cb = math.sin(beta), math.cos(beta)
    h = (_B * p * cb + _A * z * sb - _AB) / math.sqrt(_BB * cb * cb + _AA * sb * sb)
    return math.atan2(_A * sb, _B * cb), h


@numba.njit(cache=True, error_model="numpy")
def geodetic_alt(x, y, z):
    """Geodetic altitude (m) of the ECEF point (x, y, z) (``geodetic_lat_alt``)."""
    return geodetic_lat_alt(x, y, z)[1]


@numba.njit(cache=True, error_model="numpy")
def geodetic_many(pos):
    """Geodetic latitude (rad) and altitude (m) of ECEF points (N, 3)."""
    n = pos.shape[0]
    lat = np.empty(n)
    alt = np.empty(n)
    for i in range(n):
        lat[i], alt[i] = geodetic_lat_alt(pos[i, 0], pos[i, 1], pos[i, 2])
    return lat, alt


@numba.njit(cache=True, error_model="numpy")
def _altitude_below(x, y, z):
    """``geodesy.altitude_below`` at the drag ceiling: the geodetic altitude below it, else
    ``|r| - a`` (a lower bound above it)."""
    alt = math.sqrt(x * x + y * y + z * z) - _A
    if alt < _CEILING:
        alt = geodetic_alt(x, y, z)
    return alt


@numba.njit(cache=True, error_model="numpy")
def _coast_acc(px, py, pz, vx, vy, vz, alt0, mass, table, out):
    """A coasting body's acceleration (``compiled._acc`` without thrust, lift or water)."""
    alt = alt0 + _radial_height(px, py, pz)
    r2 = px * px + py * py + pz * pz
    ax, ay, az = gravity_frame(px, py, pz, vx, vy, vz, r2)
    if alt < _CEILING:
        rho = math.exp(_interp(alt, _ALT, _LOG_RHO))
        speed = math.sqrt(vx * vx + vy * vy + vz * vz)
        mach = speed / _interp(alt, _ALT, _SOUND)
        m = min(max(mach, _MACH_LO), _MACH_HI)
        cd = _interp(m + table * _CD_SHIFT, _CD_X, _CD_Y)
        k_drag = 0.5 * rho * speed * cd * 1.0 / mass
        ax -= k_drag * vx
        ay -= k_drag * vy
        az -= k_drag * vz
    out[0], out[1], out[2] = ax, ay, az


@numba.njit(cache=True, error_model="numpy")
def _rk4(s, h, alt, mass, table, a1, a2, a3, a4, out):
    """One RK4 step of ``h`` from state ``s`` (6,) into ``out`` (6,) (``compiled._rk4``)."""
    p0x, p0y, p0z, v0x, v0y, v0z = s[0], s[1], s[2], s[3], s[4], s[5]
    alt0 = alt - _radial_height(p0x, p0y, p0z)
    _coast_acc(p0x, p0y, p0z, v0x, v0y, v0z, alt0, mass, table, a1)
    hh = 0.5 * h
    p2x, p2y, p2z = p0x + hh * v0x, p0y + hh * v0y, p0z + hh * v0z
    v2x, v2y, v2z = v0x + hh * a1[0], v0y + hh * a1[1], v0z + hh * a1[2]
    _coast_acc(p2x, p2y, p2z, v2x, v2y, v2z, alt0, mass, table, a2)
    p3x, p3y, p3z = p0x + hh * v2x, p0y + hh * v2y, p0z + hh * v2z
    v3x, v3y, v3z = v0x + hh * a2[0], v0y + hh * a2[1], v0z + hh * a2[2]
    _coast_acc(p3x, p3y, p3z, v3x, v3y, v3z, alt0, mass, table, a3)
    p4x, p4y, p4z = p0x + h * v3x, p0y + h * v3y, p0z + h * v3z
    v4x, v4y, v4z = v0x + h * a3[0], v0y + h * a3[1], v0z + h * a3[2]
    _coast_acc(p4x, p4y, p4z, v4x, v4y, v4z, alt0, mass, table, a4)
    h6 = h / 6.0
    out[0] = p0x + h6 * (v0x + 2.0 * v2x + 2.0 * v3x + v4x)
    out[1] = p0y + h6 * (v0y + 2.0 * v2y + 2.0 * v3y + v4y)
    out[2] = p0z + h6 * (v0z + 2.0 * v2z + 2.0 * v3z + v4z)
    out[3] = v0x + h6 * (a1[0] + 2.0 * a2[0] + 2.0 * a3[0] + a4[0])
    out[4] = v0y + h6 * (a1[1] + 2.0 * a2[1] + 2.0 * a3[1] + a4[1])
    out[5] = v0z + h6 * (a1[2] + 2.0 * a2[2] + 2.0 * a3[2] + a4[2])


@numba.njit(cache=True, error_model="numpy")
def _hermite(s0, s1, h, s, out):
    """``trajectory.hermite`` of one step: the state (6,) at fraction ``s`` into ``out``."""
    c0, c1, c2, c3, d0, d1, d2, d3 = hermite_weights(s)
    for j in range(3):
        hv0, hv1 = s0[3 + j] * h, s1[3 + j] * h
        out[j] = c0 * s0[j] + c1 * hv0 + c2 * s1[j] + c3 * hv1
        out[3 + j] = (d0 * s0[j] + d1 * hv0 + d2 * s1[j] + d3 * hv1) / h


@numba.njit(cache=True, error_model="numpy")
def _root_value(kind, s0, s1, h, s, tmp):
    """The function whose sign change is sought at fraction ``s`` of a step: the radial
    rate ``p . v`` (kind 0, the apogee) or the geodetic altitude (kind 1, the impact)."""
    _hermite(s0, s1, h, s, tmp)
    if kind == 0:
        return tmp[0] * tmp[3] + tmp[1] * tmp[4] + tmp[2] * tmp[5]
    return geodetic_alt(tmp[0], tmp[1], tmp[2])


@numba.njit(cache=True, error_model="numpy")
def _sign_change(kind, s0, s1, h, f0, f1, tmp):
    """``propagate._sign_change`` of one step (the Illinois variant of regula falsi, ten
    iterations, the same bracket updates)."""
    lo, hi = 0.0, 1.0
    flo, fhi = f0, f1
    side = 0
    s = 0.5 * (lo + hi)
    for _ in range(10):
        denom = flo - fhi
        if denom > 0:
            s = (lo * -fhi + hi * flo) / denom
        s = min(max(s, lo), hi)
        fs = _root_value(kind, s0, s1, h, s, tmp)
        up = fs >= 0
        if up:
            lo, flo = s, fs
        else:
            hi, fhi = s, fs
        if up and side == 1:
            fhi = 0.5 * fhi
        if not up and side == -1:
            flo = 0.5 * flo
        side = 1 if up else -1
    return s


@numba.njit(cache=True, error_model="numpy")
def _effective_potential(x, y, z):
    """``propagate.effective_potential`` of one position."""
    r2 = x * x + y * y + z * z
    r = math.sqrt(r2)
    z2 = z**2 / r2
    grav = -GM_EARTH / r * (1.0 - _HALF_J2_A2 / r2 * (3.0 * z2 - 1.0))
    return grav - _HALF_W2 * (x**2 + y**2)


@numba.njit(cache=True, error_model="numpy")
def _grow_samples(st, sx, sr, need):
    if need <= st.size:
        return st, sx, sr
    cap = max(2 * st.size, need)
    nt, nx, nr = np.empty(cap), np.empty((cap, 6)), np.empty(cap, np.int64)
    nt[: st.size] = st
    nx[: st.size] = sx
    nr[: st.size] = sr
    return nt, nx, nr


@numba.njit(cache=True, error_model="numpy")
def _record_sample(st, sx, sr, ns, t, x, row):
    """Row ``row``'s state ``x`` at ``t`` appended as sample ``ns`` (the arrays grown as
    needed): the arrays and the new count."""
    st, sx, sr = _grow_samples(st, sx, sr, ns + 1)
    st[ns] = t
    sx[ns] = x
    sr[ns] = row
    return st, sx, sr, ns + 1


@numba.njit(cache=True, error_model="numpy")
def fly(t0, state0, mass, table, t_stop, record, c):
    """Fly N coasting bodies to the ground or to their stop time: ``propagate``'s loop for
    one ballistic segment (mass per area ``mass`` (N,) kg/m², drag table index ``table`` (N,),
    from states ``state0`` (N, 6) at ``t0`` (N,), until ``t_stop`` (N,)).

    ``c``: DT_VACUUM, DT_ATMOSPHERE_MAX, DT_MIN, ATMOSPHERE_STEP_M, ATMOSPHERE_TOP_M, DRAG_STEP,
    REENTRY_ALTITUDE_M, SKIP_CLIMB_MPS, the surface's lowest effective potential.

    Returns the impacts (N, 7: t, position, velocity; NaN where none), the samples of the
    objects ``record`` (N,) asks for (times (M,), states (M, 6), their objects (M,), by object
    in time order) and their events (objects (E,), codes (E,): APOGEE, PEAK, REENTRY, IMPACT,
    (E, 7) t, position, velocity).
    """
    dt_vacuum, dt_atm_max, dt_min, atm_step, atm_top, drag_step = c[0], c[1], c[2], c[3], c[4], c[5]
    reentry_alt, skip_climb, surface_min = c[6], c[7], c[8]
    n = t0.size
    impacts = np.full((n, 7), np.nan)
    st = np.empty(256)
    sx = np.empty((256, 6))
    sr = np.empty(256, np.int64)
    ns = 0
    ev_row = np.empty(16, np.int64)
    ev_code = np.empty(16, np.int64)
    ev_x = np.empty((16, 7))
    ne = 0
    s = np.empty(6)
    s1 = np.empty(6)
    tmp = np.empty(6)
    a1, a2, a3, a4 = np.empty(3), np.empty(3), np.empty(3), np.empty(3)
    ev = np.empty(7)
    for i in range(n):
        t = t0[i]
        for j in range(6):
            s[j] = state0[i, j]
        alt = geodetic_alt(s[0], s[1], s[2])
        surfaced = alt >= -1.0
        active = t < t_stop[i]
        apogee_seen = False
        reentry_seen = False
        climbing_again = False
        rec = record[i]
        m_i, tb = mass[i], table[i]
        if rec:
            st, sx, sr, ns = _record_sample(st, sx, sr, ns, t, s, i)
        while active:
            # propagate's step choice (compiled._step_sizes, coasting).
            px, py, pz, vx, vy, vz = s[0], s[1], s[2], s[3], s[4], s[5]
            r0 = math.sqrt(px * px + py * py + pz * pz)
            v_r = (px * vx + py * vy + pz * vz) / r0
            h = dt_vacuum
            in_air = alt < atm_top
            if in_air:
                dt_air = atm_step / max(abs(v_r), 1.0)
                rho = 0.0
                if alt < _CEILING:
                    rho = math.exp(_interp(min(alt, _CEILING), _ALT, _LOG_RHO))
                speed = math.sqrt(vx * vx + vy * vy + vz * vz)
                mm = min(max(speed / _interp(alt, _ALT, _SOUND), _MACH_LO), _MACH_HI)
                cd = _interp(mm + tb * _CD_SHIFT, _CD_X, _CD_Y)
                k_drag = 0.5 * rho * cd * 1.0 * speed / m_i
                dt_air = min(dt_air, drag_step / max(k_drag, 1e-12))
                dt_air = min(max(dt_air, dt_min), dt_atm_max)
                h = min(h, dt_air)
            if not in_air and v_r < 0:
                h = min(h, max((alt - atm_top + 2e3) / max(-v_r, 1.0), 0.5))
            hits_stop = t_stop[i] - t <= h
            if hits_stop:
                h = t_stop[i] - t
            _rk4(s, h, alt, m_i, tb, a1, a2, a3, a4, s1)
            new_t = t + h
            new_alt = _altitude_below(s1[0], s1[1], s1[2])
            r1 = math.sqrt(s1[0] * s1[0] + s1[1] * s1[1] + s1[2] * s1[2])
            new_vr = (s1[0] * s1[3] + s1[1] * s1[4] + s1[2] * s1[5]) / r1
            # Apogee: the radial velocity turns from up to down (a later turn: a peak).
            turn = v_r >= 0 and new_vr < 0 and (not apogee_seen or climbing_again)
            climbing_again = climbing_again or (apogee_seen and new_vr > skip_climb)
            if turn:
                f = _sign_change(0, s, s1, h, v_r * r0, new_vr * r1, tmp)
                if rec:
                    _hermite(s, s1, h, f, tmp)
                    ev[0] = t + f * h
                    ev[1:] = tmp
                    ev_row, ev_code, ev_x, ne = _add_event(
                        ev_row, ev_code, ev_x, ne, i, PEAK if apogee_seen else APOGEE, ev
                    )
                apogee_seen = True
                climbing_again = False
            # Reentry: crossing the reentry altitude downwards after apogee.
            if apogee_seen and not reentry_seen and alt >= reentry_alt and new_alt < reentry_alt:
                f = (alt - reentry_alt) / (alt - new_alt)
                if rec:
                    _hermite(s, s1, new_t - t, f, tmp)
                    ev[0] = t + f * (new_t - t)
                    ev[1:] = tmp
                    ev_row, ev_code, ev_x, ne = _add_event(
                        ev_row, ev_code, ev_x, ne, i, REENTRY, ev
                    )
                reentry_seen = True
            # Impact: the geodetic altitude goes below zero; the step ends there.
            imp = surfaced and new_alt < 0 and h > 0
            if imp:
                f = _sign_change(1, s, s1, h, alt, new_alt, tmp)
                _hermite(s, s1, h, f, tmp)
                new_t = t + f * h
                s1[:] = tmp
                impacts[i, 0] = new_t
                impacts[i, 1:] = tmp
                if rec:
                    ev[0] = new_t
                    ev[1:] = tmp
                    ev_row, ev_code, ev_x, ne = _add_event(ev_row, ev_code, ev_x, ne, i, IMPACT, ev)
                new_alt = 0.0
            surfaced = surfaced or new_alt >= 0.0
            t, alt = new_t, new_alt
            s[:] = s1
            active = not imp and not hits_stop
            # A body under the ground with too little energy ever to come up (its Jacobi
            # integral under the surface's lowest potential): its flight ends here.
            if active and not surfaced:
                energy = 0.5 * (s[3] * s[3] + s[4] * s[4] + s[5] * s[5])
                if energy + _effective_potential(s[0], s[1], s[2]) < surface_min:
                    active = False
            if rec:
                st, sx, sr, ns = _record_sample(st, sx, sr, ns, t, s, i)
    return impacts, st[:ns], sx[:ns], sr[:ns], ev_row[:ne], ev_code[:ne], ev_x[:ne]


@numba.njit(cache=True, error_model="numpy")
def _add_event(rows, codes, xs, ne, i, code, ev):
    if ne == rows.size:
        cap = 2 * rows.size
        nr, nc, nx = np.empty(cap, np.int64), np.empty(cap, np.int64), np.empty((cap, 7))
        nr[:ne] = rows
        nc[:ne] = codes
        nx[:ne] = xs
        rows, codes, xs = nr, nc, nx
    rows[ne] = i
    codes[ne] = code
    xs[ne] = ev
    return rows, codes, xs, ne + 1


def warm() -> None:
    """Compile (or load from numba's cache) the loop: one short flight to the ground."""
    state = np.array([[R_EQUATOR + 50e3, 0.0, 0.0, -1e3, 2e3, 0.0]])
    one = np.ones(1)
    c = np.array([30.0, 2.0, 0.02, 2800.0, 110e3, 1 / 16, 100e3, 50.0, -7e7])
    fly(0 * one, state, 1e3 * one, np.zeros(1, np.int64), 1e3 * one, np.ones(1, np.bool_), c)
    geodetic_many(state[:, :3])
