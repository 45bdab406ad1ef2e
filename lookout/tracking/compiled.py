"""The tracker's prediction (``motion.propagate``) compiled (numba): one track at a time.

``motion.propagate`` steps every track of a scan together: some two hundred numpy calls per RK4
step (the four evaluations of gravity, the rotating frame and drag with the drag tables' shape,
the rate matrix at the step's end, the transition's series) on arrays of a few rows, where
numpy's per-call overhead is nearly all the cost. This is the same loop written out per track
as scalar code, with the numpy path's operations in their order and its batch-wide choices
kept: at each step, drag is on for every stepping track when any of them is below
``TRACKER_DRAG_CEILING_M``, and a track's rate at the step's start is its last step's end
rate unless that choice changed; every sum in numpy's order (``einsum``'s three-term dot
products included) and the 10 x 10 products through BLAS (numba's ``np.dot``) as numpy's
``matmul``. The states are the numpy path's to the bit but where ``exp``/``log`` round
differently (numpy's SIMD functions against libm's: one density in twenty), the last digit
(``tests/test_motion_compiled.py`` compares them).

``LOOKOUT_NUMPY_STEP=1`` keeps the numpy path (as for the flight's step,
``lookout.physics.propagate.use_compiled_step``). Imported on the first prediction; compiled once
per install and kept on disk (numba's ``cache=True``).
"""

from __future__ import annotations

import math

import numba
import numpy as np

from lookout.geodesy import GM_EARTH, OMEGA_EARTH, R_EQUATOR
from lookout.physics import atmosphere
from lookout.physics.compiled import _interp, gravity_frame
from lookout.tracking import drag as _drag
from lookout.tracking.motion import (
    _B_MICROMETRE_M,
    _VACUUM_M,
    DRAG_STEP_RATE,
    K_J2,
    KAPPA,
    KAPPA_UNIT,
    NX,
    TRACKER_DRAG_CEILING_M,
)
from lookout.tracking.update import CLOSED_FORM_MIN_DELTA as _MIN_DELTA

_ALT = np.ascontiguousarray(atmosphere._ALT, dtype=np.float64)
_LOG_RHO = np.ascontiguousarray(atmosphere._LOG_RHO, dtype=np.float64)
_SOUND = np.ascontiguousarray(atmosphere._SOUND, dtype=np.float64)
# The same scalars as the numpy path, evaluated as it does (left to right, Python floats).
_W2 = 2.0 * OMEGA_EARTH
_WW = OMEGA_EARTH**2
_AB = R_EQUATOR * _B_MICROMETRE_M
_BB = _B_MICROMETRE_M**2
_AA = R_EQUATOR**2
_HALF_KU = 0.5 * KAPPA_UNIT
_CEIL = float(TRACKER_DRAG_CEILING_M)
_TWO_PI = 2.0 * math.pi


def _tables() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The catalogue's drag tables (``drag.CdShape``'s, ``Cd`` not its log) packed: knots and
    ``Cd`` of every table end to end, and each table's start (T + 1,)."""
    tables = [(t[0], np.exp(t[1])) for t in _drag._drag_tables()]
    starts = np.cumsum([0] + [k.size for k, _ in tables]).astype(np.int64)
    knots = np.ascontiguousarray(np.concatenate([k for k, _ in tables]), dtype=np.float64)
    cd = np.ascontiguousarray(np.concatenate([c for _, c in tables]), dtype=np.float64)
    return knots, cd, starts


@numba.njit(cache=True, error_model="numpy")
def _dot3(ax, ay, az, bx, by, bz):
    """``einsum("ij,ij->i")`` of one row, in its order on contiguous rows: numpy's two-lane
    loop sums the first and third products, then the second."""
    return (ax * bx + az * bz) + ay * by


@numba.njit(cache=True, error_model="numpy")
def _altitude(px, py, pz):
    """``motion.altitude_approx`` of one position."""
    r = math.sqrt(_dot3(px, py, pz, px, py, pz))
    s2 = pz**2 / max(r * r, 1.0)
    re = _AB / math.sqrt(_BB * (1.0 - s2) + _AA * s2)
    return r - re


@numba.njit(cache=True, error_model="numpy")
def altitudes(pos):
    """``motion.altitude_approx`` of positions (N, 3) whose rows are contiguous (``einsum``'s
    two-lane order, ``_dot3``): the same floats, without numpy's fourteen calls."""
    out = np.empty(pos.shape[0])
    for i in range(pos.shape[0]):
        out[i] = _altitude(pos[i, 0], pos[i, 1], pos[i, 2])
    return out


@numba.njit(cache=True, error_model="numpy")
def _density(alt):
    return math.exp(_interp(alt, _ALT, _LOG_RHO))


@numba.njit(cache=True, error_model="numpy")
def _shape(mach, w, i, knots, cd, starts):
    """``drag.CdShape`` of row ``i`` at ``mach``: ``g`` and ``dg/dM``."""
    g = 0.0
    dg = 0.0
    for k in range(starts.size - 1):
        kn = knots[starts[k] : starts[k + 1]]
        cdk = cd[starts[k] : starts[k + 1]]
        c = _interp(mach, kn, cdk)
        m = kn.size
        j = np.searchsorted(kn, mach, side="right") - 1
        j = min(max(j, 0), m - 2)
        slope = (cdk[j + 1] - cdk[j]) / (kn[j + 1] - kn[j])
        g += w[k, i] * math.log(c)
        dg += w[k, i] * (slope if mach < kn[m - 1] else 0.0) / c
    return g, dg


@numba.njit(cache=True, error_model="numpy")
def _accel(px, py, pz, vx, vy, vz, kappa, has_drag, out):
    """``motion.acceleration`` of one state (drag ``kappa`` where ``has_drag``) into ``out``."""
    ax, ay, az = gravity_frame(px, py, pz, vx, vy, vz, _dot3(px, py, pz, px, py, pz))
    if has_drag:
        rho = _density(max(_altitude(px, py, pz), 0.0))
        speed = math.sqrt(_dot3(vx, vy, vz, vx, vy, vz))
        c = _HALF_KU * rho * speed * kappa
        ax -= c * vx
        ay -= c * vy
        az -= c * vz
    out[0], out[1], out[2] = ax, ay, az


@numba.njit(cache=True, error_model="numpy")
def _mach_gradient(px, py, pz, vx, vy, vz, grad):
    """``motion.mach_gradient`` of one state: the Mach number, its gradient into ``grad``."""
    speed = max(math.sqrt(_dot3(vx, vy, vz, vx, vy, vz)), 1e-3)
    h = max(_altitude(px, py, pz), 0.0)
    c = _interp(h, _ALT, _SOUND)
    dc = (_interp(h + 100.0, _ALT, _SOUND) - _interp(h - 100.0, _ALT, _SOUND)) / 200.0
    mach = speed / c
    rn = math.sqrt(_dot3(px, py, pz, px, py, pz))
    s = -mach * dc / c
    grad[0], grad[1], grad[2] = s * (px / rn), s * (py / rn), s * (pz / rn)
    sc = speed * c
    grad[3], grad[4], grad[5] = vx / sc, vy / sc, vz / sc
    return mach


@numba.njit(cache=True, error_model="numpy")
def mach_gradients(pos, vel):
    """``motion.mach_gradient`` of positions and velocities (N, 3) whose rows are contiguous
    (``_dot3``): the Mach numbers (N,) and their gradients (N, 6), the same floats."""
    n = pos.shape[0]
    mach = np.empty(n)
    grad = np.empty((n, 6))
    for i in range(n):
        mach[i] = _mach_gradient(
            pos[i, 0], pos[i, 1], pos[i, 2], vel[i, 0], vel[i, 1], vel[i, 2], grad[i]
        )
    return mach, grad


@numba.njit(cache=True, error_model="numpy")
def _jacobian(p, v, kappa, has_drag, A):
    """``motion.jacobian_rate`` of one state into ``A`` (10, 10) (drag where ``has_drag``)."""
    A[:, :] = 0.0
    r2 = _dot3(p[0], p[1], p[2], p[0], p[1], p[2])
    r = math.sqrt(r2)
    k = GM_EARTH / (r2 * r)
    u0, u1, u2 = p[0] / r, p[1] / r, p[2] / r
    u = (u0, u1, u2)
    # ``motion._j2_gradient``: -k kj (diag(c - 5 s) - 5 (c u) u' - 10 u_z u e_z' + 35 s u u').
    kj = K_J2 / r2
    s = u2 * u2
    cu = (u0, u1, 3.0 * u2)
    diag = (1.0 - 5.0 * s, 1.0 - 5.0 * s, 3.0 - 5.0 * s)
    kk = -(k * kj)
    for i in range(3):
        A[i, 3 + i] = 1.0
        A[3 + i, 6 + i] = 1.0
        for j in range(3):
            A[3 + i, j] = k * (3.0 * u[i] * u[j] - (1.0 if i == j else 0.0))
            m = 35.0 * s * (u[i] * u[j]) - 5.0 * cu[i] * u[j]
            if i == j:
                m += diag[i]
            if j == 2:
                m -= 10.0 * u2 * u[i]
            A[3 + i, j] += kk * m
    A[3, 0] += _WW
    A[4, 1] += _WW
    A[5, 2] += 0.0
    A[3, 4] = _W2
    A[4, 3] = -_W2
    if has_drag:
        alt = max(_altitude(p[0], p[1], p[2]), 0.0)
        rho = _density(alt)
        dlog = math.log(_density(alt + 100.0) / _density(alt - 100.0)) / (2 * 100.0)
        drho = rho * dlog
        speed = max(math.sqrt(_dot3(v[0], v[1], v[2], v[0], v[1], v[2])), 1e-3)
        kap = KAPPA_UNIT * kappa
        c = 0.5 * rho * kap
        dp = 0.5 * drho * kap * speed
        cs, cv = c * speed, c / speed
        for i in range(3):
            for j in range(3):
                A[3 + i, j] -= dp * (v[i] * u[j])
                A[3 + i, 3 + j] -= (cs if i == j else 0.0) + cv * (v[i] * v[j])
        e = -(_HALF_KU * rho * speed)
        for i in range(3):
            A[3 + i, KAPPA] = e * v[i]


@numba.njit(cache=True, error_model="numpy")
def _rate(p, v, drag, has_drag, shaped, g0, w, i, knots, cd, starts, grad, A):
    """``motion._rate`` of row ``i`` into ``A``: with ``shaped``, drag in the scale of the
    drag table's shape (its partials through the Mach number)."""
    if not shaped:
        _jacobian(p, v, drag, has_drag, A)
        return
    mk = _mach_gradient(p[0], p[1], p[2], v[0], v[1], v[2], grad)
    gk, dgk = _shape(mk, w, i, knots, cd, starts)
    ek = math.exp(gk - g0)
    _jacobian(p, v, drag * ek, True, A)
    s = drag * ek * dgk
    for a in range(3):
        col = A[3 + a, KAPPA]
        A[3 + a, KAPPA] = col * ek
        for b in range(6):
            A[3 + a, b] += col * (s * grad[b])


@numba.njit(cache=True, error_model="numpy")
def _drag_at(p, v, kap, shaped, g0, w, i, knots, cd, starts):
    """The drag coefficient of row ``i``'s RK4 stage at ``p``, ``v``: ``kap``, times the
    shape's ``exp(g(M) - g0)`` with ``shaped`` (``motion._rk4``'s ``f``)."""
    if not shaped:
        return kap
    speed = math.sqrt(_dot3(v[0], v[1], v[2], v[0], v[1], v[2]))
    c = _interp(max(_altitude(p[0], p[1], p[2]), 0.0), _ALT, _SOUND)
    g, _ = _shape(speed / c, w, i, knots, cd, starts)
    return kap * math.exp(g - g0)


@numba.njit(cache=True, error_model="numpy")
def _f(p, v, at, kap, has_drag, shaped, g0, w, i, knots, cd, starts, out):
    """The acceleration of an RK4 stage (drag where ``has_drag``) plus the thrust ``at``."""
    k = kap
    if has_drag:
        k = _drag_at(p, v, kap, shaped, g0, w, i, knots, cd, starts)
    _accel(p[0], p[1], p[2], v[0], v[1], v[2], k, has_drag, out)
    for a in range(3):
        out[a] = out[a] + at[a]


@numba.njit(cache=True, error_model="numpy")
def _rk4(p, v, at, h, kap, has_drag, shaped, g0, w, i, knots, cd, starts):
    """``integrate.rk4_step`` of one state, in place."""
    a1 = np.empty(3)
    a2 = np.empty(3)
    a3 = np.empty(3)
    a4 = np.empty(3)
    p2 = np.empty(3)
    v2 = np.empty(3)
    p3 = np.empty(3)
    v3 = np.empty(3)
    p4 = np.empty(3)
    v4 = np.empty(3)
    _f(p, v, at, kap, has_drag, shaped, g0, w, i, knots, cd, starts, a1)
    hh = 0.5 * h
    for a in range(3):
        p2[a] = p[a] + hh * v[a]
        v2[a] = v[a] + hh * a1[a]
    _f(p2, v2, at, kap, has_drag, shaped, g0, w, i, knots, cd, starts, a2)
    for a in range(3):
        p3[a] = p[a] + hh * v2[a]
        v3[a] = v[a] + hh * a2[a]
    _f(p3, v3, at, kap, has_drag, shaped, g0, w, i, knots, cd, starts, a3)
    for a in range(3):
        p4[a] = p[a] + h * v3[a]
        v4[a] = v[a] + h * a3[a]
    _f(p4, v4, at, kap, has_drag, shaped, g0, w, i, knots, cd, starts, a4)
    h6 = h / 6.0
    for a in range(3):
        np_ = p[a] + h6 * (v[a] + 2.0 * v2[a] + 2.0 * v3[a] + v4[a])
        nv = v[a] + h6 * (a1[a] + 2.0 * a2[a] + 2.0 * a3[a] + a4[a])
        p[a] = np_
        v[a] = nv


@numba.njit(cache=True, error_model="numpy")
def predict(pos, vel, acc_t, kappa, h, steps, with_jacobian, use_shape, w, g0, knots, cd, starts):
    """``motion.propagate``'s loop: positions and velocities (N, 3) stepped in place, ``steps``
    (N,) RK4 steps of ``h`` (N,) s each, drag coefficient ``kappa`` (N,); with
    ``use_shape``, the drag tables' shape of weights ``w`` (tables, N) relative to its value
    ``g0`` (N,) at the start; the transition matrices (N, 10, 10) (identity without
    ``with_jacobian``)."""
    n = pos.shape[0]
    F = np.zeros((n, NX, NX))
    for i in range(n):
        for a in range(NX):
            F[i, a, a] = 1.0
    if n == 0:
        return F
    A_end = np.zeros((n, NX, NX))
    A = np.empty((NX, NX))
    A1 = np.empty((NX, NX))
    Ah = np.empty((NX, NX))
    grad = np.empty(6)
    n_steps = 0
    for i in range(n):
        n_steps = max(n_steps, steps[i])
    end_vacuum = False
    for k in range(n_steps):
        # Drag for every stepping row when any of them is under the tracker's ceiling.
        lowest = np.inf
        for i in range(n):
            if steps[i] > k:
                lowest = min(lowest, _altitude(pos[i, 0], pos[i, 1], pos[i, 2]))
        with_drag = lowest < _CEIL
        shaped = use_shape and with_drag
        reuse = k > 0 and (not with_drag) == end_vacuum
        for i in range(n):
            if steps[i] <= k:
                continue
            p, v = pos[i], vel[i]
            kap = kappa[i]
            if with_jacobian:
                if reuse:
                    A[:, :] = A_end[i]
                else:
                    _rate(p, v, kap, with_drag, shaped, g0[i], w, i, knots, cd, starts, grad, A)
            _rk4(p, v, acc_t[i], h[i], kap, with_drag, shaped, g0[i], w, i, knots, cd, starts)
            if with_jacobian:
                _rate(p, v, kap, with_drag, shaped, g0[i], w, i, knots, cd, starts, grad, A1)
                A_end[i] = A1
                hh = 0.5 * h[i]
                for a in range(NX):
                    for b in range(NX):
                        Ah[a, b] = (A[a, b] + A1[a, b]) * hh
                # numpy's products through the same BLAS (numba's ``np.dot``).
                Ah2 = np.dot(Ah, Ah)
                Ah3 = np.dot(Ah2, Ah)
                for a in range(NX):
                    for b in range(NX):
                        Ah3[a, b] = Ah[a, b] + 0.5 * Ah2[a, b] + Ah3[a, b] / 6.0
                    Ah3[a, a] += 1.0
                F[i] = np.dot(Ah3, F[i])
        end_vacuum = not with_drag
    return F


@numba.njit(cache=True, error_model="numpy")
def step_counts(x, dt, max_step_s):
    """``motion.step_counts`` of states ``x`` (N, 10) over ``dt`` (N,): row by row, its
    operations in the numpy path's order (its ``einsum`` dot products as ``_dot3``), without
    its thirty numpy calls on a scan's few rows. The step sizes are the numpy path's floats
    but where numpy's SIMD ``exp`` and ``**`` round differently from libm's, which moves a
    count only if ``dt / h`` is within a rounding of a whole number (never seen:
    ``tests/test_motion_compiled.py``)."""
    n = x.shape[0]
    out = np.empty(n, dtype=np.int64)
    vac = float(_VACUUM_M)
    for i in range(n):
        px, py, pz = x[i, 0], x[i, 1], x[i, 2]
        vx, vy, vz = x[i, 3], x[i, 4], x[i, 5]
        alt = _altitude(px, py, pz)
        r = math.sqrt(_dot3(px, py, pz, px, py, pz))
        v_down = -_dot3(px, py, pz, vx, vy, vz) / r
        adt = abs(dt[i])
        h = max_step_s
        if not (alt > vac and (v_down <= 0 or alt - vac > v_down * adt)):
            speed = math.sqrt(_dot3(vx, vy, vz, vx, vy, vz))
            kap = KAPPA_UNIT * (abs(x[i, KAPPA]) + 1.0)
            rho = _density(max(alt - max(v_down, 0.0) * adt, 0.0))
            lam = rho * kap * max(speed, 1.0)
            a_drag = 0.5 * lam * speed
            ratio = max((6.0 / max(a_drag * adt, 1e-12)) ** 0.25, 0.5)
            t_scale = 7000.0 / max(abs(v_down), 1.0)
            h_air = min(ratio * t_scale, DRAG_STEP_RATE / lam)
            h = min(max(h_air, 0.1), max_step_s)
        out[i] = max(1, math.ceil(adt / h))
    return out


@numba.njit(cache=True, error_model="numpy")
def _inv3(S, out):
    """``update.inv_small``'s closed form of a 3 x 3 (the leading block of ``S``) into
    ``out``; its determinant."""
    a, b, c = S[0, 0], S[0, 1], S[0, 2]
    d, e, f = S[1, 1], S[1, 2], S[2, 2]
    A, B, C = d * f - e * e, c * e - b * f, b * e - c * d
    det = a * A + b * B + c * C
    out[0, 0], out[1, 1], out[2, 2] = A / det, (a * f - c * c) / det, (a * d - b * b) / det
    out[0, 1] = out[1, 0] = B / det
    out[0, 2] = out[2, 0] = C / det
    out[1, 2] = out[2, 1] = (b * c - a * e) / det
    return det


@numba.njit(cache=True, error_model="numpy")
def _inv_small(S, out):
    """``update.inv_small`` of one matrix (m = 2, 3 or 4) into ``out``; the determinant of its
    leading block of up to three and, for m = 4, the Schur complement of that block (else 1),
    whose logarithms numpy takes (libm's ``log`` rounds otherwise than numpy's SIMD one, one
    time in some 20,000)."""
    m = S.shape[0]
    if m == 2:
        a, b, d = S[0, 0], S[0, 1], S[1, 1]
        det = a * d - b * b
        out[0, 0], out[1, 1] = d / det, a / det
        out[0, 1] = out[1, 0] = -b / det
        return det, 1.0
    if m == 3:
        return _inv3(S, out), 1.0
    det = _inv3(S, out)
    b0, b1, b2 = S[0, 3], S[1, 3], S[2, 3]
    # ``einsum``'s order on these strided operands: left to right.
    ab0 = (out[0, 0] * b0 + out[0, 1] * b1) + out[0, 2] * b2
    ab1 = (out[1, 0] * b0 + out[1, 1] * b1) + out[1, 2] * b2
    ab2 = (out[2, 0] * b0 + out[2, 1] * b1) + out[2, 2] * b2
    sc = S[3, 3] - ((b0 * ab0 + b1 * ab1) + b2 * ab2)
    sc = max(sc, 1e-13 * S[3, 3])
    w0, w1, w2 = ab0 / sc, ab1 / sc, ab2 / sc
    ab = (ab0, ab1, ab2)
    w = (w0, w1, w2)
    for i in range(3):
        for j in range(3):
            out[i, j] = out[i, j] + w[i] * ab[j]
        out[i, 3] = out[3, i] = -w[i]
    out[3, 3] = 1.0 / sc
    return det, sc


@numba.njit(cache=True, error_model="numpy")
def _ill(S, det, sc):
    """``update.ill_conditioned`` of one matrix: its correlation determinant (from
    ``_inv_small``'s ``det`` and ``sc``) below ``update.CLOSED_FORM_MIN_DELTA``, or not a
    number."""
    m = S.shape[0]
    prod = S[0, 0] * S[1, 1]
    for i in range(2, m):
        prod = prod * S[i, i]
    return not (det * sc >= _MIN_DELTA * prod)


@numba.njit(cache=True, error_model="numpy")
def _scaled_ldl(S, R, nu, out):
    """``update.scaled_ldl`` of one matrix ``S`` (m, m) of noise ``R``, innovation ``nu`` (m,):
    the inverse into ``out``; the determinant of the leading block, the rest (``_inv_small``'s
    ``det`` and ``sc``) and d². The same operations in the same order as numpy's rows."""
    m = S.shape[0]
    d = np.empty(m)
    for i in range(m):
        d[i] = math.sqrt(max(S[i, i], R[i, i]))
    L = np.zeros((m, m))
    Lr = np.zeros((m, m))
    p = np.empty(m)
    pr = np.empty(m)
    for j in range(m):
        q = S[j, j] / d[j] / d[j]
        qr = R[j, j] / d[j] / d[j]
        for c in range(j):
            q = q - L[j, c] * L[j, c] * p[c]
            qr = qr - Lr[j, c] * Lr[j, c] * pr[c]
        pr[j] = qr
        p[j] = qr if qr > q else q  # a NaN floor (a singular R) raises nothing
        L[j, j] = Lr[j, j] = 1.0
        for i in range(j + 1, m):
            q = S[i, j] / d[i] / d[j]
            qr = R[i, j] / d[i] / d[j]
            for c in range(j):
                q = q - L[i, c] * L[j, c] * p[c]
                qr = qr - Lr[i, c] * Lr[j, c] * pr[c]
            L[i, j] = q / p[j]
            Lr[i, j] = qr / pr[j]
    M = np.zeros((m, m))
    for i in range(m):
        M[i, i] = 1.0
        for j in range(i):
            q = 0.0
            for c in range(j, i):
                q = q - L[i, c] * M[c, j]
            M[i, j] = q
    d2 = 0.0
    for i in range(m):
        y = 0.0
        for c in range(i + 1):
            y = y + M[i, c] * (nu[c] / d[c])
        d2 = d2 + y * y / p[i]
    for a in range(m):
        for b in range(m):
            q = 0.0
            for c in range(max(a, b), m):
                q = q + M[c, a] * M[c, b] / p[c]
            out[a, b] = q / d[a] / d[b]
    det = 1.0
    for i in range(min(m, 3)):
        det = det * (d[i] * d[i] * p[i])
    sc = d[3] * d[3] * p[3] if m == 4 else 1.0
    return det, sc, d2


@numba.njit(cache=True, error_model="numpy")
def mode_distances(S0, R, nu):
    """``association.mode_distances``' innovation covariances ``S0[k] + R[j]`` inverted as
    ``update.inv_small`` does, and the squared Mahalanobis distances of innovations ``nu``
    (K, M, m) through them: ``d2`` (K, M), and the determinants (K, M) of the leading blocks
    and the Schur complements (``_inv_small``) whose logarithms sum to the log-determinants;
    numpy's floats, its ``einsum``'s sums in their order (``tests/test_motion_compiled.py``)."""
    k_n, m_n, m = nu.shape
    d2 = np.empty((k_n, m_n))
    det = np.empty((k_n, m_n))
    sc = np.empty((k_n, m_n))
    S = np.empty((m, m))
    inv = np.empty((m, m))
    single = k_n * m_n == 1
    for k in range(k_n):
        for j in range(m_n):
            for a in range(m):
                for b in range(m):
                    S[a, b] = S0[k, a, b] + R[j, a, b]
            det[k, j], sc[k, j] = _inv_small(S, inv)
            if _ill(S, det[k, j], sc[k, j]):
                det[k, j], sc[k, j], d2[k, j] = _scaled_ldl(S, R[j], nu[k, j], inv)
                continue
            # ``einsum("nki,nkij,nkj->nk")``'s order: every product left to right, summed
            # in the (i, j) order; of a lone 2 x 2 (its four products one contiguous run),
            # in pairs.
            if single and m == 2:
                d2[k, j] = (
                    nu[k, j, 0] * inv[0, 0] * nu[k, j, 0] + nu[k, j, 0] * inv[0, 1] * nu[k, j, 1]
                ) + (nu[k, j, 1] * inv[1, 0] * nu[k, j, 0] + nu[k, j, 1] * inv[1, 1] * nu[k, j, 1])
                continue
            q = 0.0
            for a in range(m):
                for b in range(m):
                    q += nu[k, j, a] * inv[a, b] * nu[k, j, b]
            d2[k, j] = q
    return d2, det, sc


@numba.njit(cache=True, error_model="numpy")
def radar_measure(x, s, s_vel, B, m):
    """``measure.radar`` one state at a time: predicted measurements (N, m) and Jacobians (N,
    m, 6) of states ``x`` (N, >=6: position, velocity) seen from a radar at ``s`` (3,)
    moving at ``s_vel`` with ENU basis ``B`` (3, 3). Not to the bit: libm's ``atan2`` rounds
    otherwise than numpy's SIMD one in the last digit, and the 3 x 3 products are summed in
    their index order."""
    n = x.shape[0]
    z = np.empty((n, m))
    H = np.zeros((n, m, 6))
    d = np.empty(3)
    enu = np.empty(3)
    J = np.empty((3, 3))
    for k in range(n):
        for i in range(3):
            d[i] = x[k, i] - s[i]
        for i in range(3):
            enu[i] = d[0] * B[i, 0] + d[1] * B[i, 1] + d[2] * B[i, 2]
        e, nn, u = enu[0], enu[1], enu[2]
        rh2 = e * e + nn * nn
        rh = math.sqrt(rh2)
        r2 = rh2 + u * u
        r = math.sqrt(r2)
        z[k, 0] = r
        z[k, 1] = math.atan2(e, nn) % _TWO_PI
        z[k, 2] = math.atan2(u, rh)
        J[0, 0], J[0, 1], J[0, 2] = e / r, nn / r, u / r
        J[1, 0], J[1, 1], J[1, 2] = nn / rh2, -e / rh2, 0.0
        w = u / (r2 * rh)
        J[2, 0], J[2, 1], J[2, 2] = -e * w, -nn * w, rh / r2
        for i in range(3):
            for j in range(3):
                H[k, i, j] = J[i, 0] * B[0, j] + J[i, 1] * B[1, j] + J[i, 2] * B[2, j]
        if m == 4:
            rel0, rel1, rel2 = x[k, 3] - s_vel[0], x[k, 4] - s_vel[1], x[k, 5] - s_vel[2]
            l0, l1, l2 = d[0] / r, d[1] / r, d[2] / r
            rr = l0 * rel0 + l1 * rel1 + l2 * rel2
            z[k, 3] = rr
            H[k, 3, 0] = (rel0 - rr * l0) / r
            H[k, 3, 1] = (rel1 - rr * l1) / r
            H[k, 3, 2] = (rel2 - rr * l2) / r
            H[k, 3, 3], H[k, 3, 4], H[k, 3, 5] = l0, l1, l2
    return z, H


@numba.njit(cache=True, error_model="numpy")
def infrared_measure(x, s):
    """``measure.infrared`` one state at a time: line-of-sight angles (N, 2) and Jacobians (N,
    2, 6) of states ``x`` (N, >=3: position first) seen from a satellite at ``s`` (libm's
    ``atan2``)."""
    n = x.shape[0]
    z = np.empty((n, 2))
    H = np.zeros((n, 2, 6))
    for k in range(n):
        px, py, pz = x[k, 0] - s[0], x[k, 1] - s[1], x[k, 2] - s[2]
        rh2 = px * px + py * py
        rh = math.sqrt(rh2)
        r2 = rh2 + pz * pz
        z[k, 0] = math.atan2(py, px)
        z[k, 1] = math.atan2(pz, rh)
        H[k, 0, 0] = -py / rh2
        H[k, 0, 1] = px / rh2
        w = pz / (r2 * rh)
        H[k, 1, 0] = -px * w
        H[k, 1, 1] = -py * w
        H[k, 1, 2] = rh / r2
    return z, H


@numba.njit(cache=True, error_model="numpy", inline="always")
def _innovation_cov(P, H, R, n, m, PHt, S):
    """``P H'`` (its first ``n`` rows, into ``PHt``) and the innovation's covariance ``S = H P H'
    + R`` of a measurement of ``m`` components whose Jacobian ``H`` (m, 6) reads the position
    and velocity: sums in index order (``ekf_update``, ``gauss_newton``)."""
    for r in range(n):
        for a in range(m):
            q = 0.0
            for c in range(6):
                q += P[r, c] * H[a, c]
            PHt[r, a] = q
    for a in range(m):
        for b in range(m):
            q = 0.0
            for c in range(6):
                q += H[a, c] * PHt[c, b]
            S[a, b] = q + R[a, b]


@numba.njit(cache=True, error_model="numpy")
def ekf_update(xs, Ps, zh, H, z, R, az):
    """The EKF update of ``update.update_modes``, one mode estimate at a time: states ``xs``
    (N, n), covariances ``Ps`` (N, n, n), measurements predicted ``zh`` (N, m) with Jacobians
    ``H`` (N, m, 6) against detections ``z`` (N, m) of noise ``R`` (N, m, m), the innovation's
    component ``az`` wrapped to [-π, π). Returns the updated states and covariances (Joseph's
    form, ``(I - K H) P (I - K H)' + K R K'``), the innovations (N, m), their covariances
    ``S`` (N, m, m), the gains ``K`` (N, n, m), the squared Mahalanobis distances (N,) and,
    as ``mode_distances``, the determinants of ``S``'s leading block and the Schur
    complements (N,) whose logarithms numpy takes. Sums in index order, not numpy's: the last
    digits differ (``tests/test_update_compiled.py``)."""
    N, n = xs.shape
    m = zh.shape[1]
    x_new = np.empty((N, n))
    P_new = np.empty((N, n, n))
    nu = np.empty((N, m))
    S = np.empty((N, m, m))
    K = np.empty((N, n, m))
    d2 = np.empty(N)
    det = np.empty(N)
    sc = np.empty(N)
    PHt = np.empty((n, m))
    inv = np.empty((m, m))
    A = np.empty((n, n))  # I - K H
    B = np.empty((n, n))  # (I - K H) P
    KR = np.empty((n, m))
    for k in range(N):
        for a in range(m):
            nu[k, a] = z[k, a] - zh[k, a]
        nu[k, az] = (nu[k, az] + math.pi) % _TWO_PI - math.pi
        _innovation_cov(Ps[k], H[k], R[k], n, m, PHt, S[k])
        det[k], sc[k] = _inv_small(S[k], inv)
        if _ill(S[k], det[k], sc[k]):
            det[k], sc[k], d2[k] = _scaled_ldl(S[k], R[k], nu[k], inv)
        else:
            q = 0.0
            for a in range(m):
                for b in range(m):
                    q += nu[k, a] * inv[a, b] * nu[k, b]
            d2[k] = q
        for r in range(n):
            for a in range(m):
                q = 0.0
                for b in range(m):
                    q += PHt[r, b] * inv[b, a]
                K[k, r, a] = q
        for r in range(n):
            for c in range(n):
                A[r, c] = 1.0 if r == c else 0.0
            for c in range(6):
                q = 0.0
                for a in range(m):
                    q += K[k, r, a] * H[k, a, c]
                A[r, c] -= q
            for a in range(m):
                q = 0.0
                for b in range(m):
                    q += K[k, r, b] * R[k, b, a]
                KR[r, a] = q
        for r in range(n):
            for c in range(n):
                q = 0.0
                for j in range(n):
                    q += A[r, j] * Ps[k, j, c]
                B[r, c] = q
        for r in range(n):
            for c in range(n):
                q = 0.0
                for j in range(n):
                    q += B[r, j] * A[c, j]
                w = 0.0
                for a in range(m):
                    w += KR[r, a] * K[k, c, a]
                P_new[k, r, c] = q + w
            q = 0.0
            for a in range(m):
                q += K[k, r, a] * nu[k, a]
            x_new[k, r] = xs[k, r] + q
    return x_new, P_new, nu, S, K, d2, det, sc


_TABLES: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None


def tables() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The packed drag tables (``_tables``), built once."""
    global _TABLES
    if _TABLES is None:
        _TABLES = _tables()
    return _TABLES


@numba.njit(cache=True, error_model="numpy")
def _solve_small(S, b, LU, out):
    """``S`` (m, m) ``x = b`` into ``out`` by Gaussian elimination with partial pivoting (as
    LAPACK's ``gesv``, which numpy's ``solve`` calls, but without its calls' cost on a 2-4 x
    2-4 system); ``LU`` (m, m) is scratch."""
    m = S.shape[0]
    for i in range(m):
        out[i] = b[i]
        for j in range(m):
            LU[i, j] = S[i, j]
    for k in range(m):
        p = k
        for i in range(k + 1, m):
            if abs(LU[i, k]) > abs(LU[p, k]):
                p = i
        if p != k:
            for j in range(m):
                LU[k, j], LU[p, j] = LU[p, j], LU[k, j]
            out[k], out[p] = out[p], out[k]
        for i in range(k + 1, m):
            f = LU[i, k] / LU[k, k]
            for j in range(k + 1, m):
                LU[i, j] -= f * LU[k, j]
            out[i] -= f * out[k]
    for i in range(m - 1, -1, -1):
        q = out[i]
        for j in range(i + 1, m):
            q -= LU[i, j] * out[j]
        out[i] = q / LU[i, i]


@numba.njit(cache=True, error_model="numpy")
def _innovation_solve(H, zi, x0, xi, z, P0, R, m, az, nu, PHt, S, LU, w):
    """One pair's Gauss-Newton innovation at the linearization point ``xi`` (its prior
    ``x0``, ``P0``; ``H`` (m, 6) and ``zi`` (m,) the measurement there): ``nu = z - (zi +
    H (x0 - xi))`` (azimuth row ``az`` wrapped) into ``nu``, ``S = H P0 H' + R`` and ``P0 H'``
    into ``S``, ``PHt``, and ``S^-1 nu`` into ``w`` (``LU`` scratch). ``gauss_newton``'s and
    ``gate_gauss_newton``'s step."""
    for a in range(m):
        q = 0.0
        for c in range(6):
            q += H[a, c] * (x0[c] - xi[c])
        nu[a] = z[a] - (zi[a] + q)
    nu[az] = (nu[az] + math.pi) % _TWO_PI - math.pi
    _innovation_cov(P0, H, R, 6, m, PHt, S)
    _solve_small(S, nu, LU, w)


@numba.njit(cache=True, error_model="numpy")
def _relinearized(x0, xi, s, s_vel, B, m, radar):
    """The measurement linearized at ``xi`` (N, 6) and carried back to the priors ``x0``:
    ``h(xi) + H (x0 - xi)`` (N, m) and ``H`` (N, m, 6), the end of ``gauss_newton``'s and
    ``gate_gauss_newton``'s steps. Sums in index order."""
    N = x0.shape[0]
    if radar:
        zi, Hi = radar_measure(xi, s, s_vel, B, m)
    else:
        zi, Hi = infrared_measure(xi, s)
    zh = np.empty((N, m))
    for k in range(N):
        for a in range(m):
            q = 0.0
            for c in range(6):
                q += Hi[k, a, c] * (x0[k, c] - xi[k, c])
            zh[k, a] = zi[k, a] + q
    return zh, Hi


@numba.njit(cache=True, error_model="numpy")
def gauss_newton(x0, P0, z, R, s, s_vel, B, m, radar, az, steps):
    """``measure.linearized``'s Gauss-Newton steps to the posterior's mode, every row of one
    call at once as the numpy path takes them (all rows step until every row's step is under
    a metre and a centimetre per second, at most ``steps``): priors ``x0`` (N, 6), ``P0`` (N,
    6, 6), detections ``z`` (N, m) of noise ``R`` (N, m, m) from a radar at ``s`` moving at
    ``s_vel`` with ENU basis ``B`` (``radar``) or a satellite at ``s``, the innovation's
    component ``az`` wrapped. Returns the linearization at the mode: ``h(x_i) + H_i (x0 -
    x_i)`` (N, m) and ``H_i`` (N, m, 6). Each step's system solved by partial pivoting as
    LAPACK's (``_solve_small``), the products summed in index order: not numpy's order, the
    last digits differ (``tests/test_update_compiled.py``)."""
    N = x0.shape[0]
    xi = x0.copy()
    PHt = np.empty((6, m))
    S = np.empty((m, m))
    nu = np.empty(m)
    w = np.empty(m)
    LU = np.empty((m, m))
    step = np.empty(6)
    for _ in range(steps):
        if radar:
            zi, Hi = radar_measure(xi, s, s_vel, B, m)
        else:
            zi, Hi = infrared_measure(xi, s)
        small = True
        for k in range(N):
            _innovation_solve(
                Hi[k], zi[k], x0[k], xi[k], z[k], P0[k], R[k], m, az, nu, PHt, S, LU, w
            )
            for r in range(6):
                q = 0.0
                for a in range(m):
                    q += PHt[r, a] * w[a]
                step[r] = x0[k, r] + q - xi[k, r]
            for r in range(6):
                xi[k, r] += step[r]
            for r in range(3):
                if not abs(step[r]) < 1.0 or not abs(step[r + 3]) < 0.01:
                    small = False
        if small:
            break
    return _relinearized(x0, xi, s, s_vel, B, m, radar)


@numba.njit(cache=True, error_model="numpy")
def iterated_pairs(x, P, z, R, s, s_vel, B, m, radar, az, steps, share, beyond):
    """``association.iterated_distances``' pairs in one call: each state of ``x`` (K, >=6)
    (covariances ``P`` (K, >=6, >=6)) against each of a scan's detections ``z`` (M, m) of
    noise ``R`` (M, m, m), linearized as ``measure.linearized`` does (at the prior, or where
    its spread bends the angles or the range rate by more than ``share`` of their sigmas, at
    the posterior's mode by ``gate_gauss_newton``'s steps, each pair on its own, one whose d²
    is above ``beyond`` left where it is), and
    the squared Mahalanobis distances (K, M) through ``H P H' + R`` inverted as
    ``update.inv_small`` does, with the determinants of its leading block and the Schur
    complements whose logarithms numpy takes (``_inv_small``). Sums in index order."""
    K = x.shape[0]
    M = z.shape[0]
    a = 1 if radar else 0
    if radar:
        z0, H0 = radar_measure(x, s, s_vel, B, m)
    else:
        z0, H0 = infrared_measure(x, s)
    bent = np.zeros((K, M), dtype=np.bool_)
    nb = 0
    for k in range(K):
        d0, d1, d2_ = x[k, 0] - s[0], x[k, 1] - s[1], x[k, 2] - s[2]
        r2 = d0 * d0 + d1 * d1 + d2_ * d2_
        p2 = P[k, 0, 0] + P[k, 1, 1] + P[k, 2, 2]
        spread = p2 / max(r2, 1.0)
        rr_bend = 0.0
        if m == 4:
            v0, v1, v2 = x[k, 3] - s_vel[0], x[k, 4] - s_vel[1], x[k, 5] - s_vel[2]
            pv = P[k, 3, 3] + P[k, 4, 4] + P[k, 5, 5]
            rr_bend = (
                math.sqrt(p2 * pv / max(r2, 1.0)) + math.sqrt(v0 * v0 + v1 * v1 + v2 * v2) * spread
            )
        for j in range(M):
            sig = math.sqrt(min(R[j, a, a], R[j, a + 1, a + 1]))
            b = spread > share * sig
            if m == 4:
                b = b or rr_bend > share * math.sqrt(R[j, 3, 3])
            bent[k, j] = b
            if b:
                nb += 1
    zh = np.empty((K, M, m))
    H = np.empty((K, M, m, 6))
    for k in range(K):
        for j in range(M):
            for i in range(m):
                zh[k, j, i] = z0[k, i]
                for c in range(6):
                    H[k, j, i, c] = H0[k, i, c]
    if nb:
        x0 = np.empty((nb, 6))
        P0 = np.empty((nb, 6, 6))
        zb = np.empty((nb, m))
        Rb = np.empty((nb, m, m))
        i = 0
        for k in range(K):
            for j in range(M):
                if bent[k, j]:
                    for r in range(6):
                        x0[i, r] = x[k, r]
                        for c in range(6):
                            P0[i, r, c] = P[k, r, c]
                    for r in range(m):
                        zb[i, r] = z[j, r]
                        for c in range(m):
                            Rb[i, r, c] = R[j, r, c]
                    i += 1
        zl, Hl = gate_gauss_newton(x0, P0, zb, Rb, s, s_vel, B, m, radar, az, steps, beyond)
        i = 0
        for k in range(K):
            for j in range(M):
                if bent[k, j]:
                    for r in range(m):
                        zh[k, j, r] = zl[i, r]
                        for c in range(6):
                            H[k, j, r, c] = Hl[i, r, c]
                    i += 1
    d2 = np.empty((K, M))
    det = np.empty((K, M))
    sc = np.empty((K, M))
    PHt = np.empty((6, m))
    S = np.empty((m, m))
    inv = np.empty((m, m))
    nu = np.empty(m)
    for k in range(K):
        for j in range(M):
            for i in range(m):
                nu[i] = z[j, i] - zh[k, j, i]
            nu[az] = (nu[az] + math.pi) % _TWO_PI - math.pi
            for r in range(6):
                for i in range(m):
                    q = 0.0
                    for c in range(6):
                        q += P[k, r, c] * H[k, j, i, c]
                    PHt[r, i] = q
            for i in range(m):
                for b in range(m):
                    q = 0.0
                    for c in range(6):
                        q += H[k, j, i, c] * PHt[c, b]
                    S[i, b] = q + R[j, i, b]
            det[k, j], sc[k, j] = _inv_small(S, inv)
            if _ill(S, det[k, j], sc[k, j]):
                det[k, j], sc[k, j], d2[k, j] = _scaled_ldl(S, R[j], nu, inv)
                continue
            q = 0.0
            for i in range(m):
                for b in range(m):
                    q += nu[i] * inv[i, b] * nu[b]
            d2[k, j] = q
    return d2, det, sc


@numba.njit(cache=True, error_model="numpy")
def gate_gauss_newton(x0, P0, z, R, s, s_vel, B, m, radar, az, steps, beyond):
    """``gauss_newton``'s steps for the gate (``iterated_pairs``), each pair on its own: a
    pair's steps end when its own step is under a metre and a centimetre per second, or when,
    after its first step, its squared Mahalanobis distance at the current linearization
    (``nu' S^-1 nu``, what the gate would read there) is above ``beyond``
    (``association.GATE_BEYOND``); at most ``steps``. Arguments and results as
    ``gauss_newton``'s. A pair's linearization is then its own, not the last of a call whose
    every pair steps until the slowest is done: another object's detection (d² in the
    millions, a Gauss-Newton that need not converge) took every pair of its call through all
    ten steps."""
    N = x0.shape[0]
    xi = x0.copy()
    live = np.arange(N)
    n_live = N
    xa = np.empty((N, 6))
    PHt = np.empty((6, m))
    S = np.empty((m, m))
    nu = np.empty(m)
    w = np.empty(m)
    LU = np.empty((m, m))
    step = np.empty(6)
    for it in range(steps):
        if n_live == 0:
            break
        for i in range(n_live):
            for r in range(6):
                xa[i, r] = xi[live[i], r]
        if radar:
            zi, Hi = radar_measure(xa[:n_live], s, s_vel, B, m)
        else:
            zi, Hi = infrared_measure(xa[:n_live], s)
        kept = 0
        for i in range(n_live):
            k = live[i]
            _innovation_solve(
                Hi[i], zi[i], x0[k], xi[k], z[k], P0[k], R[k], m, az, nu, PHt, S, LU, w
            )
            d2 = 0.0
            for a in range(m):
                d2 += nu[a] * w[a]
            if it > 0 and not d2 <= beyond:
                continue  # beyond any gate after a step: linearized where it is
            for r in range(6):
                q = 0.0
                for a in range(m):
                    q += PHt[r, a] * w[a]
                step[r] = x0[k, r] + q - xi[k, r]
            small = True
            for r in range(6):
                xi[k, r] += step[r]
            for r in range(3):
                if not abs(step[r]) < 1.0 or not abs(step[r + 3]) < 0.01:
                    small = False
            if not small:
                live[kept] = k
                kept += 1
        n_live = kept
    return _relinearized(x0, xi, s, s_vel, B, m, radar)


# --- the prediction whole: the drag tables' weights, the steps, the shape at both ends -----------


def _weight_tables() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The catalogue's drag tables as ``drag.cd_shape`` weighs them (``drag._drag_tables``):
    knots and ``ln Cd`` of every table end to end, each table's start (T + 1,), and the least
    and largest ``A / m`` of the bodies flying each (T,)."""
    tables = _drag._drag_tables()
    starts = np.cumsum([0] + [t[0].size for t in tables]).astype(np.int64)
    knots = np.ascontiguousarray(np.concatenate([t[0] for t in tables]), dtype=np.float64)
    log_cd = np.ascontiguousarray(np.concatenate([t[1] for t in tables]), dtype=np.float64)
    lo = np.array([float(t[2]) for t in tables])
    hi = np.array([float(t[3]) for t in tables])
    return knots, log_cd, starts, lo, hi


_W_KNOTS, _W_LOG_CD, _W_STARTS, _W_LO, _W_HI = _weight_tables()
_SQRT1_2 = math.sqrt(0.5)


@numba.njit(cache=True, error_model="numpy")
def cd_weights(x, P, follow):
    """``drag.cd_shape``'s weights of states ``x`` (N, 10), ``P`` (N, 10, 10): each table's
    (T, N) as ``drag._weights`` (rows no table fits: every table alike), zero for rows not
    ``follow`` (N,, bool), and the same normalised over the tables (``drag.CdShape.w``).
    Its operations in numpy's order; ``exp`` and the normal distribution (``erfc``) libm's,
    not numpy's and scipy's, so the last digits may differ."""
    n = x.shape[0]
    nt = _W_STARTS.size - 1
    w_raw = np.zeros((nt, n))
    w = np.zeros((nt, n))
    for i in range(n):
        if not follow[i]:
            continue
        speed = max(math.sqrt(_dot3(x[i, 3], x[i, 4], x[i, 5], x[i, 3], x[i, 4], x[i, 5])), 1e-3)
        mach = speed / _interp(max(_altitude(x[i, 0], x[i, 1], x[i, 2]), 0.0), _ALT, _SOUND)
        kappa = abs(x[i, KAPPA]) * KAPPA_UNIT
        sig = max(math.sqrt(max(P[i, KAPPA, KAPPA], 0.0)) * KAPPA_UNIT, 1e-12)
        total = 0.0
        for k in range(nt):
            a, b = _W_STARTS[k], _W_STARTS[k + 1]
            cd = math.exp(_interp(mach, _W_KNOTS[a:b], _W_LOG_CD[a:b]))
            up = 0.5 * math.erfc(-((cd * _W_HI[k] - kappa) / sig) * _SQRT1_2)
            down = 0.5 * math.erfc(-((cd * _W_LO[k] - kappa) / sig) * _SQRT1_2)
            w_raw[k, i] = up - down
            total += w_raw[k, i]
        if not total > 1e-6:
            for k in range(nt):
                w_raw[k, i] = 1.0
        total = 0.0
        for k in range(nt):
            total += w_raw[k, i]
        if total > 0.0:
            for k in range(nt):
                w[k, i] = w_raw[k, i] / total
    return w_raw, w


@numba.njit(cache=True, error_model="numpy")
def _stable_kappa(x, h, dt):
    """``motion._stable_kappa`` of one state (``air_density``'s ``exp`` libm's)."""
    speed = math.sqrt(_dot3(x[3], x[4], x[5], x[3], x[4], x[5]))
    low = max(_altitude(x[0], x[1], x[2]) - speed * abs(dt), 0.0)
    return 1.0 / (KAPPA_UNIT * _density(low) * max(speed, 1.0) * abs(h))


@numba.njit(cache=True, error_model="numpy")
def propagate(x, dt, max_step_s, max_steps, with_jacobian, use_shape, w, knots, cd, starts):
    """``motion.propagate`` of states ``x`` (N, 10) over ``dt`` (N,) s whole, one call: the
    steps (``step_counts``, capped at ``max_steps`` (N,), 0: none, with ``kappa`` flown at its
    stable value there), with ``use_shape`` the drag tables' shape of weights ``w`` (T, N)
    (``drag.CdShape.w``) from the Mach number at the start, the RK4 loop (``predict``), and
    ``kappa`` and the transition mapped to the shape at the end. Returns the states (N, 10)
    and the transition matrices (N, 10, 10) (identity without ``with_jacobian``). The numpy
    path's floats but for libm's ``log`` and ``exp`` of the shape at the ends (and of the
    stable ``kappa``'s density), and the end's row of ``kappa`` summed in index order."""
    n = x.shape[0]
    steps = step_counts(x, dt, max_step_s)
    kappa_all = np.empty(n)
    kappa_fly = np.empty(n)
    h = np.empty(n)
    pos = np.empty((n, 3))
    vel = np.empty((n, 3))
    acc_t = np.empty((n, 3))
    for i in range(n):
        kappa_all[i] = x[i, KAPPA]
        kappa_fly[i] = x[i, KAPPA]
        if max_steps[i] > 0 and steps[i] > max_steps[i]:
            steps[i] = max_steps[i]
            kf = _stable_kappa(x[i], dt[i] / steps[i], dt[i])
            kappa_fly[i] = min(kf, kappa_all[i])
        h[i] = dt[i] / steps[i]
        for a in range(3):
            pos[i, a] = x[i, a]
            vel[i, a] = x[i, 3 + a]
            acc_t[i, a] = x[i, 6 + a]
    g0 = np.zeros(n)
    dg0 = np.zeros(n)
    grad0 = np.zeros((n, 6))
    if use_shape:
        for i in range(n):
            m0 = _mach_gradient(pos[i, 0], pos[i, 1], pos[i, 2], vel[i, 0], vel[i, 1], vel[i, 2],
                                grad0[i])  # fmt: skip
            g0[i], dg0[i] = _shape(m0, w, i, knots, cd, starts)
    F = predict(pos, vel, acc_t, kappa_fly, h, steps, with_jacobian, use_shape, w, g0, knots,
                cd, starts)  # fmt: skip
    out = np.empty((n, NX))
    grad1 = np.empty(6)
    row = np.empty(NX)
    for i in range(n):
        for a in range(3):
            out[i, a] = pos[i, a]
            out[i, 3 + a] = vel[i, a]
            out[i, 6 + a] = acc_t[i, a]
        out[i, KAPPA] = kappa_all[i]
        if not use_shape:
            continue
        m1 = _mach_gradient(pos[i, 0], pos[i, 1], pos[i, 2], vel[i, 0], vel[i, 1], vel[i, 2],
                            grad1)  # fmt: skip
        g1, dg1 = _shape(m1, w, i, knots, cd, starts)
        e1 = math.exp(g1 - g0[i])
        out[i, KAPPA] = kappa_all[i] * e1
        if with_jacobian:
            # From kappa to the scale at the start, back to kappa at the end.
            s0 = kappa_all[i] * dg0[i]
            Fi = F[i]
            for a in range(NX):
                fk = Fi[a, KAPPA]
                for b in range(6):
                    Fi[a, b] -= fk * (s0 * grad0[i, b])
            s1 = out[i, KAPPA] * dg1
            for b in range(NX):
                q = 0.0
                for a in range(6):
                    q += (s1 * grad1[a]) * Fi[a, b]
                row[b] = e1 * Fi[KAPPA, b] + q
            for b in range(NX):
                Fi[KAPPA, b] = row[b]
    return out, F


@numba.njit(cache=True, error_model="numpy")
def gate_distances(x, P, S0, zh, z, R, s, s_vel, B, m, radar, az, steps, share, beyond, k, lone):
    """``association.Associator.associate``'s distances in one call: ``mode_distances`` and
    ``iterated_distances`` of every mode of every track, and of its staged hypothesis, which
    were four calls a scan (some forty numpy calls). ``x`` (n k, >=6), ``P`` (n k, >=6, >=6):
    the rows of ``k`` (3 or 4) hypotheses per track, ``S0`` (n k, m, m) their ``H P H'``
    (numpy's, as ``mode_distances`` takes it) and ``zh`` (n k, m) their predicted
    measurements at the mean; detections ``z`` (M, m), noise ``R`` (M, m, m). Returns
    ``d2``, ``det`` and ``sc`` (n, 4, M) as ``compiled.mode_distances``, the rows whose
    position spread bends the angles (``measure.position_bent``'s test, the scan's smallest
    angle sigma) as ``iterated_pairs``; with ``k`` 3 the fourth column is no hypothesis
    (``d2`` inf, determinants 1). ``lone``: the staged rows were one (track, detection) of
    their own call (``mode_distances``' lone 2 x 2 summed in pairs). The same floats as those
    calls, each row being computed by the same arithmetic whatever else is in the call."""
    K = x.shape[0]
    M = z.shape[0]
    n = K // k
    a = 1 if radar else 0
    d2 = np.empty((n, 4, M))
    det = np.empty((n, 4, M))
    sc = np.empty((n, 4, M))
    if k == 3:
        for t in range(n):
            for j in range(M):
                d2[t, 3, j] = np.inf
                det[t, 3, j] = 1.0
                sc[t, 3, j] = 1.0
    # ``measure.position_bent``: the scan's smallest angle sigma.
    sig = np.inf
    for j in range(M):
        sig = min(sig, min(R[j, a, a], R[j, a + 1, a + 1]))
    lim = share * math.sqrt(sig)
    bent = np.zeros(K, dtype=np.bool_)
    nb = 0
    for r in range(K):
        d0, d1, d2_ = x[r, 0] - s[0], x[r, 1] - s[1], x[r, 2] - s[2]
        r2 = _dot3(d0, d1, d2_, d0, d1, d2_)  # ``einsum``'s order, as ``position_bent``
        spread = (P[r, 0, 0] + P[r, 1, 1] + P[r, 2, 2]) / max(r2, 1.0)
        if spread > lim:
            bent[r] = True
            nb += 1
    S = np.empty((m, m))
    inv = np.empty((m, m))
    nu = np.empty(m)
    for r in range(K):
        if bent[r]:
            continue
        t, h = r // k, r % k
        single = lone and h == 3
        for j in range(M):
            for i in range(m):
                nu[i] = z[j, i] - zh[r, i]
            nu[az] = (nu[az] + math.pi) % _TWO_PI - math.pi
            for i in range(m):
                for b in range(m):
                    S[i, b] = S0[r, i, b] + R[j, i, b]
            det[t, h, j], sc[t, h, j] = _inv_small(S, inv)
            if single and m == 2:  # ``mode_distances``' lone 2 x 2: in pairs
                d2[t, h, j] = (nu[0] * inv[0, 0] * nu[0] + nu[0] * inv[0, 1] * nu[1]) + (
                    nu[1] * inv[1, 0] * nu[0] + nu[1] * inv[1, 1] * nu[1]
                )
                continue
            q = 0.0
            for i in range(m):
                for b in range(m):
                    q += nu[i] * inv[i, b] * nu[b]
            d2[t, h, j] = q
    if nb:
        xb = np.empty((nb, x.shape[1]))
        Pb = np.empty((nb, P.shape[1], P.shape[2]))
        rows = np.empty(nb, dtype=np.int64)
        i = 0
        for r in range(K):
            if bent[r]:
                xb[i] = x[r]
                Pb[i] = P[r]
                rows[i] = r
                i += 1
        db, eb, cb = iterated_pairs(xb, Pb, z, R, s, s_vel, B, m, radar, az, steps, share, beyond)
        for i in range(nb):
            t, h = rows[i] // k, rows[i] % k
            for j in range(M):
                d2[t, h, j] = db[i, j]
                det[t, h, j] = eb[i, j]
                sc[t, h, j] = cb[i, j]
    return d2, det, sc


@numba.njit(cache=True, error_model="numpy")
def thrust_reachable(x, P, zpos, zP, rows, disp, sigmas):
    """``association.Associator._thrust_reachable`` in one call: per (track, radar detection)
    asked (``rows`` (n, M)), whether the detection at ``zpos`` (M, 3) (covariance ``zP`` (M,
    3, 3)) is within ``disp`` (n,) m, the thrust's reach, plus ``sigmas`` sigmas of the
    prediction's (``x`` (n, >=3), ``P`` (n, >=3, >=3), the coast mode's) and the detection's
    position errors along the way from the one to the other; True where not asked. Products
    summed in index order (numpy's ``einsum`` may round the variance's last digit otherwise:
    a decision only where a detection is at the reach to the last digit)."""
    n, M = rows.shape
    out = np.ones((n, M), dtype=np.bool_)
    for k in range(n):
        asked = False
        for j in range(M):
            if rows[k, j]:
                asked = True
                break
        if not asked:
            continue
        for j in range(M):
            d0, d1, d2 = zpos[j, 0] - x[k, 0], zpos[j, 1] - x[k, 1], zpos[j, 2] - x[k, 2]
            dist = math.sqrt(_dot3(d0, d1, d2, d0, d1, d2))
            f = max(dist, 1.0)
            u = (d0 / f, d1 / f, d2 / f)
            var = 0.0
            for a in range(3):
                for b in range(3):
                    var += u[a] * P[k, a, b] * u[b]
            vz = 0.0
            for a in range(3):
                for b in range(3):
                    vz += u[a] * zP[j, a, b] * u[b]
            out[k, j] = dist <= disp[k] + sigmas * math.sqrt(var + vz)
    return out


@numba.njit(cache=True, error_model="numpy")
def coarse_near(
    t, t_base, cpos, cvel, cacc, csig, cdrag, sigmas, ceiling, radar, zpos, zsig, s, los, los_sig
):
    """``association.Associator.coarse`` in one call: per track (its coarse extrapolation
    ``t_base``, ``cpos``, ``cvel``, ``cacc``, ``csig``, ``cdrag``, rows of the track store),
    whether its position extrapolated to ``t`` is near one of the scan's detections, radar
    (positions ``zpos`` (M, 3), sigmas ``zsig`` (M,)) or else infrared (lines of sight ``los``
    (M, 3) from ``s``, angle sigmas ``los_sig`` (M,)), within ``sigmas`` times its grown
    uncertainty; drag below ``ceiling`` m. Every operation in the numpy path's order and
    ``einsum``'s (``_dot3``), but libm's ``exp`` and ``pow`` and the lines of sight's dot
    product in index order (numpy's SIMD and BLAS may round a last digit otherwise): a
    decision only where a detection is at the gate's edge to the last digit."""
    n = t_base.shape[0]
    M = zsig.shape[0] if radar else los_sig.shape[0]
    out = np.zeros(n, dtype=np.bool_)
    p = np.empty(3)
    for k in range(n):
        dt = t - t_base[k]
        adt = abs(dt)
        for i in range(3):
            p[i] = cpos[k, i] + cvel[k, i] * dt + 0.5 * cacc[k, i] * (dt * dt)
        speed = math.sqrt(_dot3(cvel[k, 0], cvel[k, 1], cvel[k, 2],
                                cvel[k, 0], cvel[k, 1], cvel[k, 2]))  # fmt: skip
        rad = sigmas * (csig[k, 0] + csig[k, 1] * adt + 0.5 * csig[k, 2] * adt * adt)
        rad += 1e-6 * speed * math.pow(adt, 3.0) + 1000.0
        alt = _altitude(p[0], p[1], p[2])
        if alt < ceiling:
            a_drag = 0.5 * _density(alt) * speed**2 * cdrag[k]
            rad += a_drag * dt**2
        if radar:
            for j in range(M):
                e0, e1, e2 = p[0] - zpos[j, 0], p[1] - zpos[j, 1], p[2] - zpos[j, 2]
                d2 = _dot3(e0, e1, e2, e0, e1, e2)
                reach = rad + sigmas * zsig[j]
                if d2 <= reach * reach:
                    out[k] = True
                    break
        else:
            d0, d1, d2_ = p[0] - s[0], p[1] - s[1], p[2] - s[2]
            dd = _dot3(d0, d1, d2_, d0, d1, d2_)
            for j in range(M):
                along = d0 * los[j, 0] + d1 * los[j, 1] + d2_ * los[j, 2]
                perp2 = dd - along * along
                reach = rad + sigmas * los_sig[j] * abs(along)
                if perp2 <= reach * reach and along > 0.0:
                    out[k] = True
                    break
    return out
