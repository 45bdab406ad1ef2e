"""Motion model of a tracked object, vectorised over tracks: ECEF state, flight gravity, drag.

The state is ``[pos (3), vel (3), a_thrust (3), kappa]`` in ECEF (m, m/s, m/s², 1e-4 m²/kg): the
thrust acceleration is carried in the boost mode of the IMM and held at zero in the coast mode;
``kappa = Cd A / m`` is the inverse ballistic coefficient. The equations of motion are the
flight model's (``lookout.physics.dynamics``), with thrust and drag coefficient as states:

    dr/dt = v,   dv/dt = g_J2(r) - 2 ω × v - ω × (ω × r) + a_thrust - ½ ρ(h) |v| v kappa,
    da/dt = white jerk,   kappa = s exp(g(M)) with s constant but for a white walk: in the
    coast and manoeuvre modes the drag coefficient follows the shape ``g`` of the catalogue's
    drag tables in the Mach number within each RK4 step (``propagate``'s ``cd_shape``).

``ρ`` is the flight's atmosphere (``lookout.physics.atmosphere``). Above ~120 km drag is below
1e-5 m/s² and ``kappa`` is unobservable (it keeps its prior); in reentry the filter estimates it
from the deceleration, so a reentering body is predicted rather than followed.

The mean is integrated by RK4 with per-track steps: up to ``max_step_s`` in vacuum (gravity is
smooth: 60 s steps are within a metre of the truth over 10 minutes of coast), and a small
fraction of the time to fall through the atmosphere below ~150 km. The transition matrix is
the third-order series ``I + A h + (A h)²/2 + (A h)³/6`` of the linearisation per step (``A``
averaged over the step's two ends), with ``A`` holding the gravity gradient (point mass and
J2), the centrifugal gradient, the Coriolis term and the drag partials. The J2 part of the
gradient is 0.3-0.6 % of the whole, but a coast unseen for minutes stretches the covariance
along the arc and leaves a direction thin to 1e-5 of it, where that part is not small: left
out, world61 #05's stage unseen 730 s was predicted 4x too narrow in that direction against
a Monte Carlo of its own posterior through the same flow (``_j2_gradient``).
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import numpy as np

from lookout.geodesy import GM_EARTH, J2, OMEGA_EARTH, R_EQUATOR
from lookout.physics import atmosphere
from lookout.physics.einsum import einsum
from lookout.physics.frame import rotating_frame_acceleration
from lookout.physics.integrate import rk4_step

if TYPE_CHECKING:  # config imports the manoeuvre mode, which imports this module
    from lookout.tracking.config import TrackerConfig

NX = 10
KAPPA = 9
#: Unit of the drag-coefficient state (m²/kg): kappa is carried as kappa / KAPPA_UNIT, so its
#: variance is of order one and the covariance stays well conditioned next to metres.
KAPPA_UNIT = 1e-4
#: WGS84's semi-minor axis (m) to the micrometre (geodesy.R_POLAR is pyproj's
#: 6356752.314245179): the tracker's figures were fixed with this one.
_B_MICROMETRE_M = 6356752.314245
#: Above this altitude (m) the tracker's motion model leaves drag out (below 1e-5 m/s² for
#: kappa 1e-2); lower than the flight model's ``atmosphere.DRAG_CEILING_M`` (300 km), which
#: draws the truth.
TRACKER_DRAG_CEILING_M = 200e3
#: Altitude (m) above which a prediction may take full ``max_step_s`` steps.
_VACUUM_M = 150e3
#: Bound on a step in the air from the drag's rate: ``h rho kappa |v| <= DRAG_STEP_RATE``, the
#: flight model's own (``physics.propagate.DRAG_STEP``). Drag is not smooth in the state:
#: ``Cd`` is linear in the Mach number between the tables' knots, so an RK4 step of ``h``
#: across a knot is only second order, off by up to ``a |jump of d ln Cd/dM| |dM/dt| h² / 24``
#: in velocity. A spent stage falling through Mach 1 on the 1 s steps of ``1 / (rho kappa
#: |v|)`` was 0.15 m/s off per knot (lofted-icbm's third stage unseen at 10-8 km, its velocity
#: sigma 0.06-0.08 m/s: NEES 1,000-8,000, branch reentry2). At the flight model's bound the
#: tracker is as accurate across a knot as the truth it follows.
DRAG_STEP_RATE = 1.0 / 8.0

_CORIOLIS = np.zeros((3, 3))
_CORIOLIS[0, 1] = 2.0 * OMEGA_EARTH
_CORIOLIS[1, 0] = -2.0 * OMEGA_EARTH
_CENTRIFUGAL = np.diag([OMEGA_EARTH**2, OMEGA_EARTH**2, 0.0])
_I3 = np.eye(3)
#: ``1.5 J2 a²`` (m²): J2 gravity is ``-GM r / |r|³ (1 + K_J2 / |r|² (c - 5 z² / |r|²))``
#: with ``c = (1, 1, 3)`` per axis (``physics.gravity.gravity_j2``).
K_J2 = 1.5 * J2 * R_EQUATOR**2
_C_J2 = np.array([1.0, 1.0, 3.0])


try:  # numpy's C ``interp``, which ``np.interp`` calls for real tables (as ``physics.einsum``)
    from numpy._core.multiarray import interp as _c_interp
except ImportError:  # pragma: no cover - another numpy
    _c_interp = None

_ALT, _LOG_RHO, _LOG_P, _SOUND = (
    atmosphere._ALT,
    atmosphere._LOG_RHO,
    atmosphere._LOG_P,
    atmosphere._SOUND,
)


def interp(x, xp: np.ndarray, fp: np.ndarray):
    """``np.interp(x, xp, fp)`` for real ``fp`` without its Python wrapper: the C function it
    hands them to, the same floats (a few microseconds a call less; the trackers make some
    280,000 in mass-raid's first 300 s)."""
    if _c_interp is None:  # pragma: no cover
        return np.interp(x, xp, fp)
    return _c_interp(x, xp, fp, None, None)


def air_density(alt: np.ndarray) -> np.ndarray:
    """``atmosphere.density`` (kg/m³), its table through ``interp``: the same floats."""
    return np.exp(interp(alt, _ALT, _LOG_RHO))


def air_pressure(alt: np.ndarray) -> np.ndarray:
    """``atmosphere.pressure`` (Pa), its table through ``interp``: the same floats."""
    return np.exp(interp(alt, _ALT, _LOG_P))


def sound_speed(alt: np.ndarray) -> np.ndarray:
    """``atmosphere.speed_of_sound`` (m/s), its table through ``interp``: the same floats."""
    return interp(alt, _ALT, _SOUND)


#: ``lookout.tracking.compiled`` once imported (numba: on the first use).
_compiled = None


#: The environment variable that keeps the numpy paths (``numpy_step``).
NUMPY_STEP_ENV = "LOOKOUT_NUMPY_STEP"


#: The mapping behind ``os.environ`` that its setters keep in step (CPython's ``_data``: the
#: encoded names and values), and the variable's name and the values that leave it off, encoded
#: as it holds them; None where there is no such mapping (``os.environ.get`` then).
_ENVIRON = getattr(os.environ, "_data", None)
if _ENVIRON is not None:
    _ENV_KEY = os.environ.encodekey(NUMPY_STEP_ENV)
    _ENV_OFF = (os.environ.encodevalue(""), os.environ.encodevalue("0"))


def numpy_step() -> bool:
    """Whether ``LOOKOUT_NUMPY_STEP`` is set (not empty, not ``0``): the tracker's numpy paths
    instead of its compiled kernels. Read at every call (a test may set it at any time), from
    the mapping behind ``os.environ``: ``os.environ.get`` of a name not set raises and catches
    two ``KeyError`` (some 1.5-4 µs here), and the trackers ask some 115,000 times in
    mass-raid's first 300 s."""
    if _ENVIRON is None:  # pragma: no cover
        return os.environ.get(NUMPY_STEP_ENV, "") not in ("", "0")
    value = _ENVIRON.get(_ENV_KEY)
    return value is not None and value not in _ENV_OFF


def altitude_approx(pos: np.ndarray) -> np.ndarray:
    """Height (m) above the WGS84 ellipsoid along the geocentric radius (within ~20 m of the
    geodetic height at tracking altitudes): cheap, for drag, step sizes and deletion.

    Positions (N, 3) of contiguous rows go through the compiled loop
    (``compiled.altitudes``, the same floats: ``einsum`` sums such a row's squares in the
    order it copies; some 130,000 calls in mass-raid's first 300 s of trackers, each a dozen
    numpy calls), unless ``LOOKOUT_NUMPY_STEP=1``; any other layout (``einsum``'s order
    differs with a row's stride) the numpy path."""
    if (
        pos.ndim == 2
        and pos.shape[1] == 3
        and pos.strides[1] == 8
        and pos.dtype == np.float64
        and not numpy_step()
    ):
        global _compiled
        if _compiled is None:
            from lookout.tracking import compiled as _compiled
        return _compiled.altitudes(pos)
    r = np.sqrt(einsum("...i,...i->...", pos, pos))
    s2 = pos[..., 2] ** 2 / np.maximum(r * r, 1.0)
    a, b = R_EQUATOR, _B_MICROMETRE_M
    re = a * b / np.sqrt(b**2 * (1.0 - s2) + a**2 * s2)
    return r - re


def density_and_slope(alt: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Air density (kg/m³) and its altitude derivative (kg/m⁴) from the flight's atmosphere."""
    alt = np.maximum(alt, 0.0)
    rho = air_density(alt)
    step = 100.0
    dlog = np.log(air_density(alt + step) / air_density(alt - step)) / (2 * step)
    return rho, rho * dlog


def acceleration(pos: np.ndarray, vel: np.ndarray, kappa: np.ndarray | None = None) -> np.ndarray:
    """Gravity (J2), the Coriolis and centrifugal terms of the rotating frame and, where
    ``kappa`` (N,) is given, drag; (N, 3)."""
    acc = rotating_frame_acceleration(pos, vel)
    if kappa is not None:
        rho = air_density(np.maximum(altitude_approx(pos), 0.0))
        speed = np.sqrt(einsum("ij,ij->i", vel, vel))
        acc -= (0.5 * KAPPA_UNIT * rho * speed * kappa)[:, None] * vel
    return acc


def _j2_gradient(u: np.ndarray, k: np.ndarray, kj: np.ndarray) -> np.ndarray:
    """The J2 part of gravity's gradient (N, 3, 3) (1/s²) at unit radius vectors ``u`` (N, 3),
    ``k = GM / r³`` and ``kj = K_J2 / r²`` (N,): ``-k kj (diag(c - 5 s) - 5 (c u) u' - 10 u_z u
    e_z' + 35 s u u')``, ``s = u_z²``, ``c = (1, 1, 3)``, the derivative of
    ``gravity_j2``'s J2 term in the position."""
    uz = u[:, 2]
    s = uz * uz
    uu = u[:, :, None] * u[:, None, :]
    M = (35.0 * s)[:, None, None] * uu - 5.0 * (_C_J2 * u)[:, :, None] * u[:, None, :]
    M[:, 0, 0] += 1.0 - 5.0 * s
    M[:, 1, 1] += 1.0 - 5.0 * s
    M[:, 2, 2] += 3.0 - 5.0 * s
    M[:, :, 2] -= (10.0 * uz)[:, None] * u
    return (-(k * kj))[:, None, None] * M


def jacobian_rate(pos: np.ndarray, vel: np.ndarray, kappa: np.ndarray | None) -> np.ndarray:
    """``A = ∂f/∂x`` of the continuous dynamics, (N, 10, 10)."""
    n = pos.shape[0]
    r2 = einsum("ij,ij->i", pos, pos)
    r = np.sqrt(r2)
    k = GM_EARTH / (r2 * r)
    u = pos / r[:, None]
    A = np.zeros((n, NX, NX))
    A[:, 0, 3] = A[:, 1, 4] = A[:, 2, 5] = 1.0
    A[:, 3:6, 0:3] = k[:, None, None] * (3.0 * u[:, :, None] * u[:, None, :] - _I3)
    A[:, 3:6, 0:3] += _j2_gradient(u, k, K_J2 / r2)
    A[:, 3:6, 0:3] += _CENTRIFUGAL
    A[:, 3:6, 3:6] = _CORIOLIS
    A[:, 3, 6] = A[:, 4, 7] = A[:, 5, 8] = 1.0
    if kappa is not None:
        rho, drho = density_and_slope(altitude_approx(pos))
        speed = np.maximum(np.sqrt(einsum("ij,ij->i", vel, vel)), 1e-3)
        kappa = KAPPA_UNIT * kappa
        c = 0.5 * rho * kappa
        # -½ ρ κ |v| v: partials in position (through ρ(h), h along the radius), velocity, κ.
        A[:, 3:6, 0:3] -= (0.5 * drho * kappa * speed)[:, None, None] * (
            vel[:, :, None] * u[:, None, :]
        )
        A[:, 3:6, 3:6] -= (c * speed)[:, None, None] * _I3 + (c / speed)[:, None, None] * (
            vel[:, :, None] * vel[:, None, :]
        )
        A[:, 3:6, KAPPA] = -(0.5 * KAPPA_UNIT * rho * speed)[:, None] * vel
    return A


def _rk4(pos, vel, acc_t, kappa, h, shape=None):
    """One RK4 step; with ``shape`` (``shape(p, v) -> g``, see ``propagate``) the drag
    coefficient at each stage is ``kappa exp(g(p, v))``: it follows the drag tables' shape
    within the step, not held at its value at the step's start."""
    if shape is None or kappa is None:

        def f(_t, p, v):
            return acceleration(p, v, kappa) + acc_t

    else:

        def f(_t, p, v):
            return acceleration(p, v, kappa * np.exp(shape(p, v))) + acc_t

    return rk4_step(f, None, pos, vel, h)


def mach_gradient(pos: np.ndarray, vel: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mach number (N,) of states at ``pos``, ``vel`` (N, 3) and its gradient (N, 6) in position
    (through the speed of sound's change with the altitude along the radius) and velocity.

    Rows of contiguous float arrays go through the compiled loop (``compiled.mach_gradients``,
    the same floats, some twenty numpy calls fewer; twice a prediction) unless
    ``LOOKOUT_NUMPY_STEP=1``."""
    if (
        pos.ndim == 2
        and pos.flags.c_contiguous
        and vel.flags.c_contiguous
        and pos.dtype == vel.dtype == np.float64
        and pos.shape[1] == vel.shape[1] == 3
        and not numpy_step()
    ):
        global _compiled
        if _compiled is None:
            from lookout.tracking import compiled as _compiled
        return _compiled.mach_gradients(pos, vel)
    return mach_gradient_numpy(pos, vel)


def mach_gradient_numpy(pos: np.ndarray, vel: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``mach_gradient`` in numpy (the reference of ``compiled.mach_gradients``)."""
    speed = np.maximum(np.sqrt(einsum("ij,ij->i", vel, vel)), 1e-3)
    h = np.maximum(altitude_approx(pos), 0.0)
    c = sound_speed(h)
    dc = (sound_speed(h + 100.0) - sound_speed(h - 100.0)) / 200.0
    mach = speed / c
    up = pos / np.sqrt(einsum("ij,ij->i", pos, pos))[:, None]
    grad = np.empty((pos.shape[0], 6))
    grad[:, 0:3] = (-mach * dc / c)[:, None] * up
    grad[:, 3:6] = vel / (speed * c)[:, None]
    return mach, grad


def step_counts(x: np.ndarray, dt: np.ndarray, max_step_s: float) -> np.ndarray:
    """RK4 steps per track for a prediction over ``dt``: ``max_step_s`` while the track stays
    above ~150 km over the interval; lower, at most ``DRAG_STEP_RATE`` of the drag's velocity
    time constant ``1 / (rho kappa |v|)`` (the flight model's air step: across a drag table's
    knot RK4 is only second order) and a fraction of the time to cross a density scale height
    (7 km) vertically. That fraction is 1/2 where drag is strong; where it is weak (a climbing
    booster at 100 km, a body entering the air) it grows as ``(6 / (a_drag dt))^(1/4)``, so
    that the RK4 error of the drag term over the interval, ``a_drag dt (h / t_scale)^4 /
    120``, stays below 5 cm/s; ``a_drag`` is taken at the lowest point the track can reach in
    ``dt``.

    Row by row through the compiled loop (``compiled.step_counts``, the same counts) unless
    ``LOOKOUT_NUMPY_STEP=1``: some 30 numpy calls on a scan's few rows, more than the compiled
    RK4 loop itself cost in mass-raid's trackers."""
    if not numpy_step() and x.ndim == 2 and x.shape[0]:
        global _compiled
        if _compiled is None:
            from lookout.tracking import compiled as _compiled
        if not (type(dt) is np.ndarray and dt.shape == (x.shape[0],)):
            dt = np.broadcast_to(dt, (x.shape[0],))
        return _compiled.step_counts(
            np.ascontiguousarray(x, dtype=float),
            np.ascontiguousarray(dt, dtype=float),
            float(max_step_s),
        )
    return step_counts_numpy(x, dt, max_step_s)


def step_counts_numpy(x: np.ndarray, dt: np.ndarray, max_step_s: float) -> np.ndarray:
    """``step_counts`` in numpy (the reference of ``compiled.step_counts``)."""
    pos, vel = x[:, 0:3], x[:, 3:6]
    alt = altitude_approx(pos)
    r = np.sqrt(einsum("ij,ij->i", pos, pos))
    v_down = -einsum("ij,ij->i", pos, vel) / r
    adt = np.abs(dt)
    vacuum = (alt > _VACUUM_M) & ((v_down <= 0) | (alt - _VACUUM_M > v_down * adt))
    h = np.full(x.shape[0], float(max_step_s))
    air = ~vacuum
    if air.any():
        speed = np.sqrt(einsum("ij,ij->i", vel[air], vel[air]))
        kap = KAPPA_UNIT * (np.abs(x[air, KAPPA]) + 1.0)
        vd = v_down[air]
        rho = air_density(np.maximum(alt[air] - np.maximum(vd, 0.0) * adt[air], 0.0))
        lam = rho * kap * np.maximum(speed, 1.0)
        a_drag = 0.5 * lam * speed
        ratio = np.maximum((6.0 / np.maximum(a_drag * adt[air], 1e-12)) ** 0.25, 0.5)
        t_scale = 7000.0 / np.maximum(np.abs(vd), 1.0)
        h_air = np.minimum(ratio * t_scale, DRAG_STEP_RATE / lam)
        h[air] = np.clip(h_air, 0.1, max_step_s)
    return np.maximum(1, np.ceil(adt / h)).astype(np.int64)


def propagate(
    x: np.ndarray,
    dt: np.ndarray,
    max_step_s: float = 60.0,
    with_jacobian: bool = True,
    max_steps: np.ndarray | None = None,
    cd_shape=None,
) -> tuple[np.ndarray, np.ndarray | None]:
    """States (N, 10) advanced by ``dt`` (N,) s, and the transition matrices (N, 10, 10).

    ``max_steps`` (N,) caps the RK4 steps of each state (0: no cap). A capped state whose drag
    would be too stiff for its step is flown with the largest drag coefficient its step
    integrates stably (``rho kappa |v| h <= 1`` at the lowest point of the interval); its
    ``kappa`` is returned unchanged. For tentative tracks: a clutter-born state at 8 km/s in
    the lower atmosphere would otherwise take 40-100 steps, and its prediction does not matter.

    ``cd_shape(mach, rows) -> (g, dg)``: where given, the drag coefficient follows the shape
    ``exp(g(M))`` of a drag table in the Mach number (``drag.CdShape``: ``g`` the tables' ``ln
    Cd`` (N,) of rows ``rows`` (index array, or None: all) at ``mach``, ``dg`` its slope in
    ``M``; zero for rows whose ``kappa`` is held): ``kappa`` scales the shape, ``kappa(t) =
    kappa_0 exp(g(M(t)) - g(M_0))``, at every RK4 stage, and the state's ``kappa`` at the end
    is that at the end's Mach number. The transition matrix is taken in the constant scale
    ``s = kappa exp(-(g(M) - g(M_0)))`` (drag partials through ``M`` in position and velocity
    included) and mapped back to ``kappa`` at both ends, so ``kappa``'s row holds its
    dependence on the speed through the table's slope.
    """
    global _compiled
    n = x.shape[0]
    if not (type(dt) is np.ndarray and dt.dtype == np.float64 and dt.shape == (n,)):
        dt = np.broadcast_to(np.asarray(dt, dtype=float), (n,))
    if n and x.ndim == 2 and _use_compiled(cd_shape):
        # The whole of it below in one call (``compiled.propagate``), where the steps, the
        # shape at both ends and the mapping of ``kappa`` were some forty numpy calls.
        if _compiled is None:  # numba: imported on the first prediction
            from lookout.tracking import compiled as _compiled
        knots, cd, starts = _compiled.tables()
        use_shape = cd_shape is not None
        # (Writable arrays: a read-only view, as ``broadcast_to`` gives, is another argument
        # type, compiled again.)
        if not (dt.flags.writeable and dt.flags.c_contiguous):
            dt = np.array(dt, dtype=float)
        if max_steps is None:
            caps = np.zeros(n, dtype=np.int64)
        elif type(max_steps) is np.ndarray and max_steps.shape == (n,):
            caps = np.ascontiguousarray(max_steps, dtype=np.int64)
        else:
            caps = np.full(n, max_steps, dtype=np.int64)
        out, F = _compiled.propagate(
            np.ascontiguousarray(x, dtype=float),
            dt,
            float(max_step_s),
            caps if caps.flags.writeable else caps.copy(),
            bool(with_jacobian),
            use_shape,
            np.ascontiguousarray(cd_shape.w, dtype=float) if use_shape else _no_shape(starts, n),
            knots,
            cd,
            starts,
        )  # fmt: skip
        return out, (F if with_jacobian else None)
    steps = step_counts(x, dt, max_step_s)
    kappa_all = x[:, KAPPA]
    kappa_fly = kappa_all
    if max_steps is not None:
        capped = (max_steps > 0) & (steps > max_steps)
        if capped.any():
            steps = np.where(capped, max_steps, steps)
            kappa_fly = kappa_all.copy()
            kappa_fly[capped] = _stable_kappa(x[capped], dt[capped] / steps[capped], dt[capped])
            kappa_fly[capped] = np.minimum(kappa_fly[capped], kappa_all[capped])
    h_all = dt / steps
    pos, vel, acc_t = x[:, 0:3].copy(), x[:, 3:6].copy(), x[:, 6:9]
    compiled_loop = bool(n) and _use_compiled(cd_shape)
    # The numpy loop's identity to start from (the compiled one returns its own).
    F = None
    if with_jacobian and not compiled_loop:
        F = np.broadcast_to(np.eye(NX), (n, NX, NX)).copy()
    if cd_shape is not None:
        m0, grad0 = mach_gradient(pos, vel)
        g0, dg0 = cd_shape(m0, None)
    if compiled_loop:
        if _compiled is None:  # numba: imported on the first prediction
            from lookout.tracking import compiled as _compiled
        compiled = _compiled
        knots, cd, starts = compiled.tables()
        use_shape = cd_shape is not None
        w = cd_shape.w if use_shape else np.zeros((starts.size - 1, n))
        F = compiled.predict(
            pos,
            vel,
            np.ascontiguousarray(acc_t),
            np.ascontiguousarray(kappa_fly, dtype=float),
            np.ascontiguousarray(h_all, dtype=float),
            np.ascontiguousarray(steps, dtype=np.int64),
            with_jacobian,
            use_shape,
            np.ascontiguousarray(w, dtype=float),
            np.ascontiguousarray(g0 if use_shape else np.zeros(n), dtype=float),
            knots,
            cd,
            starts,
        )
        if not with_jacobian:
            F = None
        steps = steps[:0]  # stepped: the numpy loop below has nothing to do
    A_end, end_vacuum = None, False
    for k in range(int(steps.max(initial=0))):
        act = None if k == 0 or steps.min() > k else np.flatnonzero(steps > k)
        if act is None:
            p, v, a, h, kap = pos, vel, acc_t, h_all, kappa_fly
        else:
            p, v, a, h, kap = pos[act], vel[act], acc_t[act], h_all[act], kappa_fly[act]
        drag = kap if altitude_approx(p).min(initial=np.inf) < TRACKER_DRAG_CEILING_M else None
        shape = None
        if cd_shape is not None and drag is not None:
            g0r = g0 if act is None else g0[act]

            def shape(pp, vv, act=act, g0r=g0r):
                speed = np.sqrt(einsum("ij,ij->i", vv, vv))
                c = sound_speed(np.maximum(altitude_approx(pp), 0.0))
                return cd_shape(speed / c, act)[0] - g0r

        g0s = None if shape is None else g0r
        if with_jacobian:
            # The rate at the step's start: the last step's end where it was taken alike.
            if A_end is not None and (drag is None) == end_vacuum:
                A = A_end if act is None else A_end[act]
            else:
                A = _rate(p, v, drag, cd_shape, act, g0s)
        p, v = _rk4(p, v, a, drag, h, shape)
        if with_jacobian:
            # The rate averaged over the step's ends (the Magnus series' first term by the
            # trapezoid rule: second order in the step, where the rate at its start alone
            # was first order, 20-40 % off in a spent stage's drag column over a 2 s step
            # in which drag takes a third of its speed).
            A1 = _rate(p, v, drag, cd_shape, act, g0s)
            if act is None:
                A_end = A1
            else:
                if A_end is None or A_end.shape[0] != n:
                    A_end = np.zeros((n, NX, NX))
                A_end[act] = A1
            end_vacuum = drag is None
            Ah = (A + A1) * (0.5 * h)[:, None, None]
            Ah2 = Ah @ Ah
            Fs = Ah + 0.5 * Ah2 + (Ah2 @ Ah) / 6.0
            Fs[:, range(NX), range(NX)] += 1.0
            if act is None:
                F = Fs @ F
            else:
                F[act] = Fs @ F[act]
        if act is None:
            pos, vel = p, v
        else:
            pos[act], vel[act] = p, v
    out = np.empty((n, NX))
    out[:, 0:3], out[:, 3:6], out[:, 6:9], out[:, KAPPA] = pos, vel, acc_t, kappa_all
    if cd_shape is not None:
        m1, grad1 = mach_gradient(pos, vel)
        g1, dg1 = cd_shape(m1, None)
        e1 = np.exp(g1 - g0)
        out[:, KAPPA] = kappa_all * e1
        if with_jacobian:
            # From kappa to the scale at the start, back to kappa at the end.
            F[:, :, 0:6] -= F[:, :, KAPPA, None] * ((kappa_all * dg0)[:, None] * grad0)[:, None]
            row = e1[:, None] * F[:, KAPPA, :]
            row += einsum("ni,nij->nj", (out[:, KAPPA] * dg1)[:, None] * grad1, F[:, 0:6, :])
            F[:, KAPPA, :] = row
    return out, F


def _no_shape(starts: np.ndarray, n: int) -> np.ndarray:
    """Zero weights of the drag tables (tables, n): ``propagate``'s compiled call without a
    shape."""
    return np.zeros((starts.size - 1, n))


#: ``drag.CdShape`` once imported (``_use_compiled``; ``drag`` imports this module).
_CdShape = None


def _use_compiled(cd_shape) -> bool:
    """Whether a prediction steps with the compiled loop (``lookout.tracking.compiled``): unless
    ``LOOKOUT_NUMPY_STEP=1`` (the numpy path, as for the flight's step), for the drag tables'
    shape of ``drag.CdShape`` or none."""
    global _CdShape
    if numpy_step():
        return False
    if cd_shape is None:
        return True
    if _CdShape is None:
        from lookout.tracking.drag import CdShape as _CdShape
    return type(cd_shape) is _CdShape


def _rate(p, v, drag, cd_shape, act, g0r) -> np.ndarray:
    """``jacobian_rate`` at ``p``, ``v`` (rows ``act`` of a prediction), with ``cd_shape``
    (``g0r``: the shape's ``g`` at the rows' start; None: ``kappa`` held) in the scale ``s`` of
    the drag table's shape: drag ``drag exp(g(M) - g0r)``, its partials through ``M``."""
    if g0r is None:
        return jacobian_rate(p, v, drag)
    mk, gradk = mach_gradient(p, v)
    gk, dgk = cd_shape(mk, act)
    ek = np.exp(gk - g0r)
    A = jacobian_rate(p, v, drag * ek)
    col = A[:, 3:6, KAPPA].copy()  # d a / d kappa_eff
    A[:, 3:6, KAPPA] = col * ek[:, None]
    A[:, 3:6, 0:6] += col[:, :, None] * ((drag * ek * dgk)[:, None] * gradk)[:, None]
    return A


def _stable_kappa(x: np.ndarray, h: np.ndarray, dt: np.ndarray) -> np.ndarray:
    """Largest drag coefficient (KAPPA_UNIT) with ``rho kappa |v| h <= 1`` down to the lowest
    altitude the state can reach in ``dt`` (falling at its speed)."""
    pos, vel = x[:, 0:3], x[:, 3:6]
    speed = np.sqrt(einsum("ij,ij->i", vel, vel))
    low = np.maximum(altitude_approx(pos) - speed * np.abs(dt), 0.0)
    return 1.0 / (KAPPA_UNIT * air_density(low) * np.maximum(speed, 1.0) * np.abs(h))


def white_accel_q(pos: np.ndarray, vel: np.ndarray, config: TrackerConfig) -> np.ndarray:
    """Spectral density (m²/s³) of white acceleration noise standing for drag of unknown size:
    the coast floor plus the drag of the lightest expected body (``drag_beta_kg_m2``) at its
    altitude and speed. Used by the PCRLB, whose state has no drag coefficient."""
    alt = altitude_approx(pos)
    v2 = einsum("ij,ij->i", vel, vel)
    a_drag = air_density(alt) * v2 / (2.0 * config.drag_beta_kg_m2)
    return (config.coast_accel_sigma_mps2**2 + a_drag**2) * config.accel_noise_tau_s


def tracker_accel_q(x: np.ndarray, config: TrackerConfig) -> tuple[np.ndarray, np.ndarray]:
    """The tracker's white acceleration (m²/s³) and drag-coefficient (KAPPA_UNIT²/s) spectral
    densities per state: the coast floor plus a fraction (``drag_accel_fraction``) of the
    estimated drag for what ``kappa`` leaves out, and a relative random walk of ``kappa``."""
    pos, vel = x[:, 0:3], x[:, 3:6]
    alt = altitude_approx(pos)
    v2 = einsum("ij,ij->i", vel, vel)
    kap = np.abs(x[:, KAPPA]) + config.kappa_floor_m2_kg / KAPPA_UNIT
    a_drag = 0.5 * air_density(alt) * v2 * kap * KAPPA_UNIT
    q_acc = config.coast_accel_sigma_mps2**2 + (config.drag_accel_fraction * a_drag) ** 2
    q_acc = q_acc * config.accel_noise_tau_s
    q_kappa = (config.kappa_walk_per_sqrt_s * kap) ** 2
    return q_acc, q_kappa


def process_noise(
    dt: np.ndarray,
    q_accel: np.ndarray,
    q_jerk: np.ndarray | float,
    q_kappa: np.ndarray | float = 0.0,
) -> np.ndarray:
    """Q (N, 10, 10) over ``dt`` for white acceleration ``q_accel`` (N,) (m²/s³), white jerk of
    the thrust acceleration ``q_jerk`` (m²/s⁵; 0 in coast), the same on each axis, and a random
    walk of the drag coefficient ``q_kappa`` (KAPPA_UNIT²/s)."""
    dt = np.abs(dt)
    n = dt.size
    d2, d3 = dt * dt, dt * dt * dt
    qj = np.broadcast_to(np.asarray(q_jerk, dtype=float), dt.shape)
    b00 = q_accel * d3 / 3.0 + qj * d3 * d2 / 20.0
    b01 = q_accel * d2 / 2.0 + qj * d2 * d2 / 8.0
    b11 = q_accel * dt + qj * d3 / 3.0
    b02 = qj * d3 / 6.0
    b12 = qj * d2 / 2.0
    b22 = qj * dt
    Q = np.zeros((n, NX, NX))
    for a in range(3):
        i, j, k = a, 3 + a, 6 + a
        Q[:, i, i] = b00
        Q[:, i, j] = Q[:, j, i] = b01
        Q[:, j, j] = b11
        Q[:, i, k] = Q[:, k, i] = b02
        Q[:, j, k] = Q[:, k, j] = b12
        Q[:, k, k] = b22
    Q[:, KAPPA, KAPPA] = np.broadcast_to(np.asarray(q_kappa, dtype=float), dt.shape) * dt
    return Q


def along_noise(dt: np.ndarray, q_along: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Q (N, 10, 10) over ``dt`` (N,) of white acceleration of spectral density ``q_along``
    (N,, m²/s³; negative where it takes back part of ``process_noise``'s on every axis) along
    the unit vectors ``u`` (N, 3) alone."""
    dt = np.abs(dt)
    uu = u[:, :, None] * u[:, None, :]
    Q = np.zeros((dt.size, NX, NX))
    Q[:, 0:3, 0:3] = (q_along * dt**3 / 3.0)[:, None, None] * uu
    Q[:, 0:3, 3:6] = Q[:, 3:6, 0:3] = (q_along * dt**2 / 2.0)[:, None, None] * uu
    Q[:, 3:6, 3:6] = (q_along * dt)[:, None, None] * uu
    return Q


#: The correlation time of gravity's second order over a prediction's error, as a share of
#: the time since the last update (``gravity_second_order_q``).
SECOND_ORDER_TAU_SHARE = 2.0 / 3.0


def gravity_second_order_q(pos: np.ndarray, P_pos: np.ndarray, age: np.ndarray) -> np.ndarray:
    """Spectral density (N, 3, 3) (m²/s³) of white acceleration standing for what the
    transition matrix leaves out of gravity over a position error of covariance ``P_pos``
    (N, 3, 3) at ``pos`` (N, 3), ``age`` (N,) s after the track's last update.

    The linearised prediction keeps gravity's first order in the error; its second order
    ``½ H[e, e]`` (``H`` the point-mass Hessian, ``H_i = c (5 u_i u u' - e_i u' - u e_i' -
    u_i I)``, ``c = -3 GM / r⁴``) has, for a Gaussian ``e``, the covariance ``Σ_il = ½ tr(H_i
    P H_l P)``, written out: ``c² (½ (25 a² - 10 W + tr P²) u u' - 5 a (u w' + w u') + w w'
    + a P + z u' + u z')`` with ``w = P u``, ``z = P w``, ``a = u' w``, ``W = w' w``. On a
    stage unseen for 12 minutes with 6 km of along-track sigma it is 1.6e-5 m/s², above the
    coast floor (1e-5). It is not white: it comes from the error made at the last update, so
    it keeps its sign since then. Along a coast the position sigma grows as the time unseen
    ``a`` (the velocity's error times ``a``), so the term as ``a²``; white noise of density
    ``Σ (2/3) a`` gives at every ``a`` the velocity variance ``(∫ sqrt(Σ) da)²`` of such a
    term held since the update (``SECOND_ORDER_TAU_SHARE``). world61 #05's stage unseen 727 s
    against a Monte Carlo of its posterior through ``propagate``: the prediction's worst
    direction 1.28x too narrow in variance without it, 1.06 with it (the Monte Carlo's own
    noise, 4,000 draws)."""
    r2 = einsum("ij,ij->i", pos, pos)
    u = pos / np.sqrt(r2)[:, None]
    w = einsum("nij,nj->ni", P_pos, u)
    z = einsum("nij,nj->ni", P_pos, w)
    a = einsum("ni,ni->n", u, w)
    big_w = einsum("ni,ni->n", w, w)
    t2 = einsum("nij,nij->n", P_pos, P_pos)
    uw = u[:, :, None] * w[:, None, :]
    uz = u[:, :, None] * z[:, None, :]
    q = (0.5 * (25.0 * a * a - 10.0 * big_w + t2))[:, None, None] * (u[:, :, None] * u[:, None, :])
    q -= (5.0 * a)[:, None, None] * (uw + uw.transpose(0, 2, 1))
    q += w[:, :, None] * w[:, None, :] + a[:, None, None] * P_pos + uz + uz.transpose(0, 2, 1)
    c2 = (3.0 * GM_EARTH) ** 2 / (r2 * r2) ** 2
    return q * (c2 * SECOND_ORDER_TAU_SHARE * np.maximum(age, 0.0))[:, None, None]


def gravity_second_order_bound(pos: np.ndarray, P_pos: np.ndarray, age: np.ndarray) -> np.ndarray:
    """An upper bound (N,) (m²/s³) on the trace of ``gravity_second_order_q``: ``tr Σ <= ½
    |H|_F² (tr P)²``, ``|H|_F² = 10 c²`` at any ``u``. Cheap, to skip the rows where the term
    is nothing."""
    r2 = einsum("ij,ij->i", pos, pos)
    tr = P_pos[:, 0, 0] + P_pos[:, 1, 1] + P_pos[:, 2, 2]
    return (5.0 * (3.0 * GM_EARTH) ** 2 * SECOND_ORDER_TAU_SHARE) * tr * tr * age / (r2 * r2) ** 2


def accel_noise(dt: np.ndarray, q: np.ndarray) -> np.ndarray:
    """Q (N, 6, 6) of the position and velocity over ``dt`` (N,) s for white acceleration of
    spectral density ``q`` (N, 3, 3) (m²/s³)."""
    dt = np.abs(dt)[:, None, None]
    Q = np.empty((q.shape[0], 6, 6))
    Q[:, 0:3, 0:3] = q * (dt**3 / 3.0)
    Q[:, 0:3, 3:6] = Q[:, 3:6, 0:3] = q * (dt**2 / 2.0)
    Q[:, 3:6, 3:6] = q * dt
    return Q
