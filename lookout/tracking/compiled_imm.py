"""The IMM's mixing and the modes' covariance prediction compiled (numba), one track at a time.

``Tracker._predict`` spends most of its time outside the RK4 loop (``compiled.predict``): the
mixing (``mixing.mix``, the boost mode's burnout within the step, ``burnout_within``) and, after
the motion model, the boost mode's thrust growth (``thrust_growth``), the process noise of every
mode (``motion.process_noise``, ``along_noise``, ``jerk_noise`` of ``boost_jerk_q``,
``exhaust_noise``, ``manoeuvre.process_noise``), the manoeuvre mode's lift carried with the
dynamic pressure (``manoeuvre.carry``), ``F P Fᵀ + Q`` and the moment-matched output
(``combine``): some three hundred numpy calls a scan on arrays of a few rows, where numpy's
per-call overhead is nearly all the cost. Here each is the same arithmetic written out per
track, in scalar code. What stays numpy: the mode transitions (``transition``), the drag noise
of the coast and manoeuvre modes (``drag.drag_q``, its inputs here), the manoeuvre onset's lift
prior (``manoeuvre.mix_onset``) and the rare reseeding of a manoeuvre mode left
(``mixing.mix``'s ``gone``).

Not to the bit: sums are taken in another order than ``einsum``'s and numpy's pairwise ones,
and libm's ``exp`` is not numpy's SIMD one, so results differ from the numpy path in their last
digits (``tests/test_imm_compiled.py`` compares both on random states of every mode, within
1e-9 relative). ``LOOKOUT_NUMPY_STEP=1`` keeps the numpy path, as for the RK4 loop
(``motion._use_compiled``). Imported on the first prediction; compiled once per install and
kept on disk (numba's ``cache=True``).
"""

from __future__ import annotations

import math

import numba
import numpy as np

from lookout.geodesy import G0, GM_EARTH, OMEGA_EARTH
from lookout.physics import atmosphere
from lookout.physics.compiled import _interp, gravity_frame
from lookout.tracking import drag as _drag
from lookout.tracking import manoeuvre as _man
from lookout.tracking import mixing as _mix
from lookout.tracking import reach
from lookout.tracking.compiled import _ALT, _SOUND, _altitude, _density, _dot3
from lookout.tracking.motion import DRAG_STEP_RATE, KAPPA, KAPPA_UNIT, NX

BOOST, COAST, MANOEUVRE = _mix.BOOST, _mix.COAST, _mix.MANOEUVRE
NMODE = _mix.NMODE
_LOG_P = np.ascontiguousarray(atmosphere._LOG_P, dtype=np.float64)
_P0 = float(atmosphere.SEA_LEVEL_PRESSURE_PA)
_GL_U = np.ascontiguousarray(_mix._GL_U, dtype=np.float64)
_GL_W = np.ascontiguousarray(_mix._GL_W, dtype=np.float64)
_AIR_M = np.ascontiguousarray(_man._AIRFRAME_MACH, dtype=np.float64)
_AIR_K = np.ascontiguousarray(_man._AIRFRAME_KAPPA, dtype=np.float64)
_EXHAUST_MIN = float(_mix.EXHAUST_MIN_MPS)
_ISP_GAIN = float(_mix.ISP_GAIN_MAX)
_TWO_PI = 2.0 * math.pi
_TURN_WHITE_S = float(_mix.TURN_WHITE_S)
_SQRT1_2 = math.sqrt(0.5)
_OMEGA = float(OMEGA_EARTH)
_DIVE = np.ascontiguousarray(_man.DIVE_SPEEDS_MPS, dtype=np.float64)
_DIVE_MARGIN = float(_man.DIVE_SPEED_MARGIN)
_BURN_END = np.ascontiguousarray(1.1 * _mix.BURNS_S + 10.0, dtype=np.float64)
_REL_VAR_MAX = float(_drag.REL_VAR_MAX)

#: Indices of ``params``' entries (``params``).
(
    P_COAST_SIG,
    P_TAU,
    P_KAPPA_FLOOR,
    P_KAPPA_WALK,
    P_DRAG_FRAC,
    P_BOOST_JERK,
    P_THRUST_CAP,
    P_CL_FACTOR,
    P_LIFT_TO_DRAG,
    P_MAX_LIFT,
    P_JERK_SIGMA,
    P_RATE,
    P_INDUCED_JERK,
    P_BOOST_RESEED,
    P_MAN_RESEED,
    P_COAST_DWELL,
    P_ONSET_DWELL,
    P_DWELL,
    P_MIN_LIFT,
    P_APOGEE_MIN_LIFT,
    P_GLIDE_APOGEE_MAX,
    P_ONSET_CLIMBING,
    P_CLIMB,
    P_APOGEE_ONSET,
    P_INDUCED_PRIOR,
    P_FLOOR_PROB,
    N_PARAMS,
) = range(27)


def params(cfg) -> np.ndarray:
    """A ``TrackerConfig``'s figures the kernels read, as one array (``P_*`` its indices)."""
    m = cfg.manoeuvre
    p = np.empty(N_PARAMS)
    p[P_COAST_SIG] = cfg.coast_accel_sigma_mps2
    p[P_TAU] = cfg.accel_noise_tau_s
    p[P_KAPPA_FLOOR] = cfg.kappa_floor_m2_kg / KAPPA_UNIT
    p[P_KAPPA_WALK] = cfg.kappa_walk_per_sqrt_s
    p[P_DRAG_FRAC] = cfg.drag_accel_fraction
    p[P_BOOST_JERK] = cfg.boost_jerk_sigma_mps3
    p[P_THRUST_CAP] = reach.MARGIN * reach.thrust_acceleration_max_mps2()
    p[P_CL_FACTOR] = m.cl_max_factor
    p[P_LIFT_TO_DRAG] = m.lift_to_drag
    p[P_MAX_LIFT] = m.max_lift_mps2
    p[P_JERK_SIGMA] = m.jerk_sigma_mps3
    p[P_RATE] = m.rate_per_s
    p[P_INDUCED_JERK] = m.induced_jerk_ratio
    p[P_BOOST_RESEED] = cfg.boost_reseed_prob
    p[P_MAN_RESEED] = m.reseed_prob
    p[P_COAST_DWELL] = cfg.coast_dwell_s
    p[P_ONSET_DWELL] = m.onset_dwell_s
    p[P_DWELL] = m.dwell_s
    p[P_MIN_LIFT] = m.min_lift_mps2
    p[P_APOGEE_MIN_LIFT] = m.apogee_min_lift_mps2
    p[P_GLIDE_APOGEE_MAX] = m.glide_apogee_max_m
    p[P_ONSET_CLIMBING] = 1.0 if m.onset_climbing else 0.0
    p[P_CLIMB] = m.climb_mps
    p[P_APOGEE_ONSET] = m.apogee_onset_prob
    p[P_INDUCED_PRIOR] = m.induced_prior_ratio
    p[P_FLOOR_PROB] = m.floor_prob
    return p


_PARAMS: list = []


def cached_params(cfg) -> np.ndarray:
    """``params(cfg)``, kept for the last few configurations (by identity: they are frozen)."""
    for c, p in _PARAMS:
        if c is cfg:
            return p
    p = params(cfg)
    _PARAMS.insert(0, (cfg, p))
    del _PARAMS[8:]
    return p


# --- the drag noise -----------------------------------------------------------------------------

_GRID, _GRID_LOG_CD = (np.ascontiguousarray(a, dtype=np.float64) for a in _drag._union_grid())
_KNOT_JUMP = np.ascontiguousarray(_drag._knot_jumps(), dtype=np.float64)
_KNOT_MS = _drag.KNOT_MEAN_SQUARE
_DRAG_STEP_RATE = DRAG_STEP_RATE
_FLIGHT_STEP_MAX_S = _drag._FLIGHT_STEP_MAX_S
_FLIGHT_STEP_M = _drag._FLIGHT_STEP_M


@numba.njit(cache=True, error_model="numpy")
def _mach(x):
    """``drag._mach`` of one state (no floor on the speed)."""
    speed = math.sqrt(_dot3(x[3], x[4], x[5], x[3], x[4], x[5]))
    return speed / _interp(max(_altitude(x[0], x[1], x[2]), 0.0), _ALT, _SOUND)


@numba.njit(cache=True, error_model="numpy")
def drag_q(x, P, x1, dt, w, prm, flown):
    """``drag.drag_q`` of coasting or manoeuvring states ``x`` (N, 10), ``P`` predicted to
    ``x1`` over ``dt`` (N,) with the drag tables' weights ``w`` (tables, N) of the shape the
    prediction carried (``departure_walk``), ``kappa``'s spread flown for rows ``flown`` (N,,
    bool; ``drag.spread_rows``): ``q_acc``, ``q_kappa``, ``q_along`` (N,) each."""
    n = x.shape[0]
    q_acc = np.empty(n)
    q_kappa = np.empty(n)
    q_along = np.empty(n)
    nt, ng = _GRID_LOG_CD.shape
    for r in range(n):
        xr, Pr = x[r], P[r]
        v2 = _dot3(xr[3], xr[4], xr[5], xr[3], xr[4], xr[5])
        kap = abs(xr[KAPPA]) + prm[P_KAPPA_FLOOR]
        alt = max(_altitude(xr[0], xr[1], xr[2]), 0.0)
        a_drag = 0.5 * _density(alt) * v2 * kap
        a_drag = a_drag * KAPPA_UNIT
        # linearisation_sigmas
        rn = math.sqrt(_dot3(xr[0], xr[1], xr[2], xr[0], xr[1], xr[2]))
        up = (xr[0] / rn, xr[1] / rn, xr[2] / rn)
        speed = max(math.sqrt(v2), 1e-3)
        al = (xr[3] / speed, xr[4] / speed, xr[5] / speed)
        var_h = 0.0
        var_v = 0.0
        for i in range(3):
            for j in range(3):
                var_h += up[i] * Pr[i, j] * up[j]
                var_v += al[i] * Pr[3 + i, 3 + j] * al[j]
        var_h, var_v = max(var_h, 0.0), max(var_v, 0.0)
        var_c = max(Pr[3, 3] + Pr[4, 4] + Pr[5, 5] - var_v, 0.0) / 2.0
        rho = _density(alt)
        drho = rho * (math.log(_density(alt + 100.0) / _density(alt - 100.0)) / (2 * 100.0))
        inv_h = abs(drho) / max(rho, 1e-300)
        big = _REL_VAR_MAX
        sh2 = min(var_h * inv_h * inv_h, big)
        sk2 = min(max(Pr[KAPPA, KAPPA], 0.0) / (kap * kap), big)
        sv2 = min(var_v / (speed * speed), big)
        sc2 = min(var_c / (speed * speed), big)
        fh, fv = 1.0, 1.0
        # Where ``kappa``'s spread is flown (``drag.kappa_spread``), of its cross terms only
        # the parts independent of it are left (``drag.linearisation_sigmas``).
        if flown[r]:
            # The points hold the cross terms over the step alone (``drag.spread_share``).
            held = min(abs(dt[r]) / prm[P_TAU], 1.0)
            var_k = max(Pr[KAPPA, KAPPA], 0.0)
            c_hk, c_vk = 0.0, 0.0
            for i in range(3):
                c_hk += up[i] * Pr[i, KAPPA]
                c_vk += al[i] * Pr[3 + i, KAPPA]
            if var_h * var_k > 0.0:
                fh = 1.0 - held * min(c_hk * c_hk / (var_h * var_k), 1.0)
            if var_v * var_k > 0.0:
                fv = 1.0 - held * min(c_vk * c_vk / (var_v * var_k), 1.0)
        var = 0.5 * sh2 * sh2 + 2.0 * sv2 * sv2 + sh2 * sk2 * fh + 4.0 * sh2 * sv2
        var += 4.0 * sk2 * sv2 * fv + sc2 * sc2
        lin = a_drag * math.sqrt(var)
        lin_c = a_drag * math.sqrt(sc2 * (sk2 + sh2 + sv2))
        q_acc[r] = (prm[P_COAST_SIG] ** 2 + lin_c * lin_c) * prm[P_TAU]
        q_along[r] = (lin * lin - lin_c * lin_c) * prm[P_TAU]
        # departure_walk: what the tables' weighed mean shape leaves over the Mach range.
        m0, m1 = _mach(xr), _mach(x1[r])
        lo_m, hi_m = min(m0, m1), max(m0, m1)
        wsum = 0.0
        for k in range(nt):
            wsum += w[k, r]
        walk = 0.0
        for g in range(ng - 1):
            part = min(hi_m, _GRID[g + 1]) - max(lo_m, _GRID[g])
            if not part > 0.0:
                continue
            mean = 0.0
            for k in range(nt):
                mean += (_GRID_LOG_CD[k, g + 1] - _GRID_LOG_CD[k, g]) * (w[k, r] / wsum)
            sv = 0.0
            for k in range(nt):
                dk = (_GRID_LOG_CD[k, g + 1] - _GRID_LOG_CD[k, g]) - mean
                sv += (w[k, r] / wsum) * dk * dk
            walk += sv * (part / (_GRID[g + 1] - _GRID[g]))
        q_kappa[r] = walk / max(abs(dt[r]), 1e-9) * kap * kap
        # knot_variance: RK4's error at the tables' knots the step crosses (the tracker's
        # and the flight's).
        s2 = 0.0
        if wsum > 0.0:
            for g in range(ng):
                if _GRID[g] > lo_m and _GRID[g] <= hi_m:
                    jump = 0.0
                    for k in range(nt):
                        jump += _KNOT_JUMP[k, g] * (w[k, r] / wsum)
                    s2 += jump * jump
        if s2 > 0.0:
            adt = max(abs(dt[r]), 1e-9)
            m_rate = (hi_m - lo_m) / adt
            v_down = abs(_dot3(xr[0], xr[1], xr[2], xr[3], xr[4], xr[5])) / rn
            h_air = _DRAG_STEP_RATE / max(2.0 * a_drag / speed, 1e-12)
            h_flight = min(min(h_air, _FLIGHT_STEP_MAX_S), _FLIGHT_STEP_M / max(v_down, 1.0))
            h_track = min(h_air, adt)
            j2 = (a_drag * m_rate) ** 2 * s2
            var_knot = _KNOT_MS * j2 * (h_track**4 + h_flight**4)
            q_along[r] += var_knot / adt
    return q_acc, q_kappa, q_along


@numba.njit(cache=True, error_model="numpy")
def burnout_probability(t_base, thrust_t0, t, dwell):
    """``mixing.burnout_probability``: the dwell's rate and the catalogue's burns' survival
    ``S`` since first seen thrusting, ``1 - S(tau + dt) / S(tau)``."""
    n = t_base.size
    p = np.empty(n)
    nb = _BURN_END.size
    for r in range(n):
        dt = abs(t - t_base[r])
        pr = -math.expm1(-dt / dwell)
        if math.isfinite(thrust_t0[r]):
            tau = max(t_base[r] - thrust_t0[r], 0.0)
            s0 = 0.0
            s1 = 0.0
            for k in range(nb):
                s0 += 0.5 * math.erfc(-((_BURN_END[k] - tau) / 5.0) * _SQRT1_2)
                s1 += 0.5 * math.erfc(-((_BURN_END[k] - (tau + dt)) / 5.0) * _SQRT1_2)
            s0, s1 = s0 / nb, s1 / nb
            keep = s1 / max(s0, 1e-300) if s0 > 0.0 else 0.0
            pr = 1.0 - (1.0 - pr) * min(max(keep, 0.0), 1.0)
        p[r] = pr
    return p


# --- the mode transitions ----------------------------------------------------------------------


@numba.njit(cache=True, error_model="numpy")
def _ndtr(z):
    """The standard normal distribution function (``scipy.special.ndtr``)."""
    return 0.5 * math.erfc(-z * _SQRT1_2)


@numba.njit(cache=True, error_model="numpy")
def _beyond_envelope(vx, vy, vz):
    """``manoeuvre.beyond_envelope``: slower than every dive speed less its margin."""
    if _DIVE.size == 0:
        return True
    v = math.sqrt(_dot3(vx, vy, vz, vx, vy, vz))
    total = 0.0
    for d in _DIVE:
        lo, width = (1.0 - _DIVE_MARGIN) * d, 2.0 * _DIVE_MARGIN * d
        total += min(max((v - lo) / width, 0.0), 1.0)
    return total / _DIVE.size <= 0.0


@numba.njit(cache=True, error_model="numpy")
def _rate_possible(x, P, prm):
    """``manoeuvre.rate_onset_possible`` of one coast-mode estimate."""
    if not _lift_ceiling(x, P, prm) >= prm[P_MIN_LIFT]:
        return False
    r = math.sqrt(_dot3(x[0], x[1], x[2], x[0], x[1], x[2]))
    radial = _dot3(x[0], x[1], x[2], x[3], x[4], x[5])
    if prm[P_ONSET_CLIMBING] == 0.0 and not radial / r <= prm[P_CLIMB]:
        return False
    return not _beyond_envelope(x[3], x[4], x[5])


@numba.njit(cache=True, error_model="numpy")
def _onset(x, P, dt, prm, rate):
    """``manoeuvre.onset_probability(split=True)`` of one coast-mode estimate, the onset at
    the rate only where ``rate``: the onset probability and its part at apogee."""
    d = abs(dt)
    ceiling = _lift_ceiling(x, P, prm)
    p = -math.expm1(-d / prm[P_ONSET_DWELL])
    alt = max(_altitude(x[0], x[1], x[2]), 0.0)
    v2 = _dot3(x[3], x[4], x[5], x[3], x[4], x[5])
    mach = math.sqrt(v2) / _interp(alt, _ALT, _SOUND)
    most = _interp(mach, _AIR_M, _AIR_K) * (1.0 + prm[P_CL_FACTOR] ** 2)
    sig = math.sqrt(max(P[KAPPA, KAPPA], 0.0)) * KAPPA_UNIT
    airframe = _ndtr((most - abs(x[KAPPA]) * KAPPA_UNIT) / max(sig, 1e-12))
    p = p * airframe
    r = math.sqrt(_dot3(x[0], x[1], x[2], x[0], x[1], x[2]))
    radial = _dot3(x[0], x[1], x[2], x[3], x[4], x[5])
    if not rate or not _rate_possible(x, P, prm):
        p = 0.0
    beyond = _beyond_envelope(x[3], x[4], x[5])
    at_apogee = 0.0
    if prm[P_APOGEE_ONSET] > 0.0:
        # apogee_probability: the climb rate falling through zero within the step.
        ux, uy, uz = x[0] / r, x[1] / r, x[2] / r
        climb = _dot3(ux, uy, uz, x[3], x[4], x[5])
        a_up = -GM_EARTH / (r * r) + max(v2 - climb * climb, 0.0) / r
        climb1 = climb + a_up * d
        u = (ux, uy, uz)
        var = 0.0
        for i in range(3):
            for j in range(3):
                var += u[i] * P[3 + i, 3 + j] * u[j]
        sg = math.sqrt(max(var, 1e-6))
        apogee = min(max(_ndtr(climb / sg) - _ndtr(climb1 / sg), 0.0), 1.0)
        if not ceiling >= prm[P_APOGEE_MIN_LIFT]:
            apogee = 0.0
        # entering_air: coming down to where the air first allows the apogee's lift.
        if radial < 0.0 and ceiling < prm[P_APOGEE_MIN_LIFT]:
            vix = x[3] - _OMEGA * x[1]
            viy = x[4] + _OMEGA * x[0]
            viz = x[5]
            energy = 0.5 * _dot3(vix, viy, viz, vix, viy, viz) - GM_EARTH / r
            hx = x[1] * viz - x[2] * viy
            hy = x[2] * vix - x[0] * viz
            hz = x[0] * viy - x[1] * vix
            h2 = _dot3(hx, hy, hz, hx, hy, hz)
            top = math.inf
            if energy < 0.0:
                a = -GM_EARTH / (2 * energy)
                e = math.sqrt(max(0.0, 1 + 2 * energy * h2 / GM_EARTH**2))
                top = a * (1.0 + e) - r
            if _altitude(x[0], x[1], x[2]) + top <= prm[P_GLIDE_APOGEE_MAX]:
                ahead = x.copy()
                for i in range(3):
                    ahead[i] = x[i] + x[3 + i] * d
                if _lift_ceiling(ahead, P, prm) >= prm[P_APOGEE_MIN_LIFT]:
                    apogee = max(apogee, 1.0)
        at_apogee = (1.0 - p) * prm[P_APOGEE_ONSET] * apogee * airframe
        if beyond:
            at_apogee = 0.0
        p = p + at_apogee
    return p, at_apogee


@numba.njit(cache=True, error_model="numpy")
def transition(xm, Pm, dt, p_bc, lifting, p_dive, prm):
    """``mixing.transition``: the transition probabilities ``Pi`` (n, i, j), the coast mode's
    onset of the manoeuvre mode ``p_cm`` and its part at apogee ``p_apo`` (n,); ``p_dive`` (n,)
    the manoeuvre mode's end for the tracks seen lifting (``lifting``,
    ``manoeuvre.dive_probability``: given by the caller)."""
    n = dt.size
    Pi = np.zeros((n, NMODE, NMODE))
    p_cm = np.empty(n)
    p_apo = np.empty(n)
    for r in range(n):
        d = abs(dt[r])
        p_cb = -math.expm1(-d / prm[P_COAST_DWELL])
        Pi[r, 0, 0], Pi[r, 0, 1] = 1.0 - p_bc[r], p_bc[r]
        cm, apo = _onset(xm[r, COAST], Pm[r, COAST], dt[r], prm, lifting[r])
        p_mc = p_dive[r] if lifting[r] else -math.expm1(-d / prm[P_DWELL])
        xman = xm[r, MANOEUVRE]
        if not lifting[r] and _beyond_envelope(xman[3], xman[4], xman[5]):
            p_mc, cm, apo = 1.0, 0.0, 0.0
        p_cm[r], p_apo[r] = cm, apo
        Pi[r, 1, 0], Pi[r, 1, 1], Pi[r, 1, 2] = p_cb, 1.0 - p_cb - cm, cm
        Pi[r, 2, 1], Pi[r, 2, 2] = p_mc, 1.0 - p_mc
    return Pi, p_cm, p_apo


# --- the mixing -------------------------------------------------------------------------------


@numba.njit(cache=True, error_model="numpy")
def _burnout_within(x, P, dt, f1, f2, m1, m2, xo, Po):
    """``mixing.burnout_within`` of one boost-mode estimate ``x`` (10,), ``P`` into ``xo``,
    ``Po``: the thrust cut at a time uniform over ``dt`` (piecewise, weighed by the dark frames
    at ``f1``, ``f2`` s of miss chances ``m1``, ``m2``; +inf: none)."""
    dt = max(dt, 0.0)
    lo = np.zeros(3)
    width = np.zeros(3)
    share = np.zeros(3)
    if math.isinf(f1) and math.isinf(f2):
        width[0] = dt
        share[0] = 1.0
    else:
        b1 = min(max(f1, 0.0), dt)
        b2 = min(max(f2, b1), dt)
        lo[1], lo[2] = b1, b2
        width[0], width[1], width[2] = b1, b2 - b1, dt - b2
        mass0, mass1, mass2 = width[0], width[1] * m1, width[2] * (m1 * m2)
        total = mass0 + mass1 + mass2
        if total > 0.0:
            share[0], share[1], share[2] = mass0 / total, mass1 / total, mass2 / total
        else:
            share[0] = 1.0
    nq = _GL_U.size
    xq = np.empty((3 * nq, NX))
    sq = np.empty(3 * nq)
    gq = np.empty(3 * nq)
    for i in range(NX):
        xo[i] = 0.0
    m = 0
    for piece in range(3):
        if share[piece] == 0.0:
            continue
        for k in range(nq):
            s = lo[piece] + _GL_U[k] * width[piece]
            g = share[piece] * _GL_W[k]
            sq[m], gq[m] = s, g
            for i in range(NX):
                xq[m, i] = x[i]
            for a in range(3):
                xq[m, a] = x[a] - 0.5 * s * s * x[6 + a]
                xq[m, 3 + a] = x[3 + a] + s * x[6 + a]
            for i in range(NX):
                xo[i] += g * xq[m, i]
            m += 1
    # M P Mᵀ with M = I but M[a, 6 + a] = -s²/2, M[3 + a, 6 + a] = s: weighed over the nodes,
    # as the spread of the nodes' means.
    MP = np.empty((NX, NX))
    for i in range(NX):
        for j in range(NX):
            Po[i, j] = 0.0
    for q in range(m):
        s, g = sq[q], gq[q]
        h = -0.5 * s * s
        for j in range(NX):
            for a in range(3):
                MP[a, j] = P[a, j] + h * P[6 + a, j]
                MP[3 + a, j] = P[3 + a, j] + s * P[6 + a, j]
            for a in range(6, NX):
                MP[a, j] = P[a, j]
        for i in range(NX):
            for a in range(3):
                Po[i, a] += g * (MP[i, a] + h * MP[i, 6 + a])
                Po[i, 3 + a] += g * (MP[i, 3 + a] + s * MP[i, 6 + a])
            for a in range(6, NX):
                Po[i, a] += g * MP[i, a]
        for i in range(NX):
            di = xq[q, i] - xo[i]
            for j in range(NX):
                Po[i, j] += g * di * (xq[q, j] - xo[j])
    for i in range(NX):
        for j in range(i + 1, NX):
            v = 0.5 * (Po[i, j] + Po[j, i])
            Po[i, j] = v
            Po[j, i] = v


@numba.njit(cache=True, error_model="numpy")
def burnout_within(x, P, dt, f1, f2, m1, m2):
    """``mixing.burnout_within`` of estimates (n, 10), (n, 10, 10) over ``dt`` (n,) with the
    dark frames ``f1``, ``f2``, ``m1``, ``m2`` (n,) each (+inf: none)."""
    n = x.shape[0]
    xo = np.empty((n, NX))
    Po = np.empty((n, NX, NX))
    for r in range(n):
        _burnout_within(x[r], P[r], dt[r], f1[r], f2[r], m1[r], m2[r], xo[r], Po[r])
    return xo, Po


@numba.njit(cache=True, error_model="numpy")
def mix(xm, Pm, mu, Pi, dt, rebased, young, f1, f2, m1, m2, p_apo, p_cm, lifting, prm):
    """``mixing.mix``: the predicted mode probabilities ``c`` (n, 3), the weights ``w``
    (n, i, j) and each mode's mixed prior ``x0`` (n, 3, 10), ``P0`` (n, 3, 10, 10), the coast
    mode's thrust zeroed, the manoeuvre onset at apogee with the lift prior
    (``manoeuvre.mix_onset``), a manoeuvre mode left reseeded (``mixing.left_manoeuvre``)."""
    n = xm.shape[0]
    c = np.empty((n, NMODE))
    w = np.empty((n, NMODE, NMODE))
    x0 = np.zeros((n, NMODE, NX))
    P0 = np.zeros((n, NMODE, NX, NX))
    xb = np.empty(NX)
    Pb = np.empty((NX, NX))
    boost_seed, man_seed = prm[P_BOOST_RESEED], prm[P_MAN_RESEED]
    for r in range(n):
        for j in range(NMODE):
            c[r, j] = 0.0
            for i in range(NMODE):
                w[r, i, j] = mu[r, i] * Pi[r, i, j]
                c[r, j] += w[r, i, j]
        for j in range(NMODE):
            d = max(c[r, j], 1e-300)
            for i in range(NMODE):
                w[r, i, j] /= d
            if c[r, j] <= 0.0:
                w[r, j, j] = 1.0
        if mu[r, BOOST] < boost_seed:
            w[r, BOOST, COAST] = 0.0
        if mu[r, MANOEUVRE] < man_seed or rebased[r]:
            w[r, MANOEUVRE, COAST] = 0.0
        d = max(w[r, 0, COAST] + w[r, 1, COAST] + w[r, 2, COAST], 1e-300)
        for i in range(NMODE):
            w[r, i, COAST] /= d
        if young[r]:
            w[r, COAST, BOOST] = 0.0
            w[r, MANOEUVRE, BOOST] = 0.0
            d = max(w[r, 0, BOOST] + w[r, 1, BOOST] + w[r, 2, BOOST], 1e-300)
            for i in range(NMODE):
                w[r, i, BOOST] /= d
        _burnout_within(xm[r, BOOST], Pm[r, BOOST], dt[r], f1[r], f2[r], m1[r], m2[r], xb, Pb)
        for j in range(NMODE):
            for i in range(NMODE):
                wij = w[r, i, j]
                sx = xb if (i == BOOST and j == COAST) else xm[r, i]
                for k in range(NX):
                    x0[r, j, k] += wij * sx[k]
            for i in range(NMODE):
                wij = w[r, i, j]
                sx = xb if (i == BOOST and j == COAST) else xm[r, i]
                sP = Pb if (i == BOOST and j == COAST) else Pm[r, i]
                for k in range(NX):
                    dk = sx[k] - x0[r, j, k]
                    for m in range(NX):
                        P0[r, j, k, m] += wij * (sP[k, m] + dk * (sx[m] - x0[r, j, m]))
        for k in range(6, 9):
            x0[r, COAST, k] = 0.0
            for m in range(NX):
                P0[r, COAST, k, m] = 0.0
                P0[r, COAST, m, k] = 0.0
        # manoeuvre.mix_onset: the coast mode's share onset at apogee takes the lift prior.
        frac = p_apo[r] / max(p_cm[r], 1e-300) if p_cm[r] > 0.0 else 0.0
        share = w[r, COAST, MANOEUVRE] * frac
        if share > 0.0:
            _add_lift_prior(xm[r, COAST], Pm[r, COAST], prm, 2.0 * share, P0[r, MANOEUVRE])
        # A manoeuvre mode out of every airframe's envelope and not seen lifting, below the
        # floor: held there, its estimate "lift began since" from the coast mode's prior.
        # So is one that would begin at the rate, a body not seen lifting (``mixing.mix``).
        xman = xm[r, MANOEUVRE]
        floor = prm[P_FLOOR_PROB]
        if (
            not lifting[r]
            and c[r, MANOEUVRE] < floor
            and (
                _beyond_envelope(xman[3], xman[4], xman[5])
                or _rate_possible(xm[r, COAST], Pm[r, COAST], prm)
            )
        ):
            rest = max((c[r, 0] + c[r, 1] + c[r, 2]) - c[r, MANOEUVRE], 1e-300)
            for j in range(NMODE):
                c[r, j] *= (1.0 - floor) / rest
            c[r, MANOEUVRE] = floor
            for i in range(NMODE):
                w[r, i, MANOEUVRE] = 0.0
            w[r, COAST, MANOEUVRE] = 1.0
            for k in range(NX):
                x0[r, MANOEUVRE, k] = x0[r, COAST, k]
                for m in range(NX):
                    P0[r, MANOEUVRE, k, m] = P0[r, COAST, k, m]
            _add_lift_prior(x0[r, COAST], P0[r, COAST], prm, 1.0, P0[r, MANOEUVRE])
    return c, w, x0, P0


# --- the modes' prediction ----------------------------------------------------------------------


@numba.njit(cache=True, error_model="numpy")
def _lift_ceiling(x, P, prm):
    """``manoeuvre.lift_ceiling`` of one state."""
    alt = max(_altitude(x[0], x[1], x[2]), 0.0)
    v2 = _dot3(x[3], x[4], x[5], x[3], x[4], x[5])
    q = 0.5 * _density(alt) * v2
    kap = KAPPA_UNIT * (abs(x[KAPPA]) + 3.0 * math.sqrt(max(P[KAPPA, KAPPA], 0.0)))
    mach = math.sqrt(v2) / _interp(alt, _ALT, _SOUND)
    kap = min(kap, _interp(mach, _AIR_M, _AIR_K))
    a = 2.0 * prm[P_CL_FACTOR] * prm[P_LIFT_TO_DRAG] * q * kap
    return min(a, prm[P_MAX_LIFT])


@numba.njit(cache=True, error_model="numpy")
def _add_lift_prior(x, P, prm, scale, out):
    """``scale`` times ``manoeuvre.lift_prior`` of one state added to ``out[6:9, 6:9]``: sigma
    half the ceiling across the velocity, ``induced_prior_ratio`` of it along, plus 1e-6."""
    sig = 0.5 * _lift_ceiling(x, P, prm)
    s2 = max(_dot3(x[3], x[4], x[5], x[3], x[4], x[5]), 1e-6)
    along = prm[P_INDUCED_PRIOR]
    f = 1.0 - along * along
    for i in range(3):
        for j in range(3):
            shape = (1.0 if i == j else 0.0) - f * (x[3 + i] * x[3 + j] / s2)
            out[6 + i, 6 + j] += scale * (sig * sig * shape + (1e-6 if i == j else 0.0))


@numba.njit(cache=True, error_model="numpy")
def reseed(x_coast, P_coast, rho, lift_gain, max_lift, f):
    """``manoeuvre.reseed`` of states (N, 10), covariances (N, 10, 10) whose positions' air
    density ``rho`` (N,) numpy took (``motion.air_density``: its SIMD ``exp``, not libm's):
    the same floats, in one call for some thirty numpy calls. ``lift_gain`` is
    ``2 cl_max_factor lift_to_drag``, ``f`` is ``1 - induced_prior_ratio²``; the products in
    numpy's order (``manoeuvre.lift_ceiling``, ``lift_prior``, ``_shape``)."""
    n = x_coast.shape[0]
    x = np.empty((n, NX))
    P = np.empty((n, NX, NX))
    for r in range(n):
        for i in range(NX):
            x[r, i] = x_coast[r, i]
            for j in range(NX):
                P[r, i, j] = P_coast[r, i, j]
        for i in range(6, 9):
            x[r, i] = 0.0
            for j in range(NX):
                P[r, i, j] = 0.0
                P[r, j, i] = 0.0
        vx, vy, vz = x_coast[r, 3], x_coast[r, 4], x_coast[r, 5]
        alt = np.maximum(_altitude(x_coast[r, 0], x_coast[r, 1], x_coast[r, 2]), 0.0)
        v2 = _dot3(vx, vy, vz, vx, vy, vz)
        q = 0.5 * rho[r] * v2
        kap = KAPPA_UNIT * (
            abs(x_coast[r, KAPPA]) + 3.0 * math.sqrt(np.maximum(P_coast[r, KAPPA, KAPPA], 0.0))
        )
        mach = math.sqrt(v2) / _interp(alt, _ALT, _SOUND)
        kap = np.minimum(kap, _interp(mach, _AIR_M, _AIR_K))
        sig = 0.5 * np.minimum(lift_gain * q * kap, max_lift)
        s2 = sig * sig
        speed2 = np.maximum(v2, 1e-6)
        v = (vx, vy, vz)
        for i in range(3):
            for j in range(3):
                outer = v[i] * v[j] / speed2
                if i == j:
                    P[r, 6 + i, 6 + j] = s2 * (1.0 - f * outer) + 1e-6
                else:
                    P[r, 6 + i, 6 + j] = s2 * (0.0 - f * outer) + 0.0
    return x, P


@numba.njit(cache=True, error_model="numpy")
def _pressure(h):
    return math.exp(_interp(h, _ALT, _LOG_P))


@numba.njit(cache=True, error_model="numpy")
def _thrust_growth(x0, xp, F, d, b, prm):
    """``mixing.thrust_growth`` of one boost-mode state over ``d`` = |dt| s at inverse exhaust
    speed ``b``: ``xp`` (10,), ``F`` (10, 10) changed in place."""
    a0, a1, a2 = x0[6], x0[7], x0[8]
    amag = math.sqrt(_dot3(a0, a1, a2, a0, a1, a2))
    r = min(amag * d * b, 0.5)
    cap = prm[P_THRUST_CAP]
    growing = amag < cap
    g = min(1.0 / (1.0 - r), cap / max(amag, 1e-9)) if growing else 1.0
    a = (a0, a1, a2)
    k = amag * b if growing else 0.0
    for i in range(3):
        rate = k * a[i]
        xp[6 + i] = g * a[i]
        xp[3 + i] += rate * (0.5 * d * d)
        xp[i] += rate * (d**3 / 6.0)
    inv = 1.0 / max(amag, 1e-9)
    # The derivative of the map taken (``mixing.thrust_growth``): none along the thrust where
    # the cap holds it, nor of ``r`` where held at 0.5.
    e = 0.0
    if growing:
        if cap * inv < 1.0 / (1.0 - r):
            e = -g * inv
        elif r < 0.5:
            e = g * g * d * b
    G = np.empty((3, 3))
    for i in range(3):
        for j in range(3):
            G[i, j] = (g if i == j else 0.0) + e * a[i] * (a[j] * inv)
    _acc_rows_times(F, G)


@numba.njit(cache=True, error_model="numpy")
def _acc_rows_times(F, G):
    """``F[6:9] = G @ F[6:9]`` in place: the acceleration's rows of a transition ``F`` (10, 10)
    taken through a 3x3 map ``G`` of the acceleration."""
    rows = np.empty((3, NX))
    for i in range(3):
        for j in range(NX):
            rows[i, j] = G[i, 0] * F[6, j] + G[i, 1] * F[7, j] + G[i, 2] * F[8, j]
    for i in range(3):
        for j in range(NX):
            F[6 + i, j] = rows[i, j]


@numba.njit(cache=True, error_model="numpy")
def _boost_jerk(x, P, prm, qj, since_fix):
    """``mixing.boost_jerk_q`` of one boost-mode estimate into ``qj`` (3, 3), its turn held
    ``since_fix`` s (``mixing.turn_held``)."""
    a = (x[6], x[7], x[8])
    amag = math.sqrt(_dot3(x[6], x[7], x[8], x[6], x[7], x[8]))
    asig = math.sqrt(P[6, 6] + P[7, 7] + P[8, 8])
    thrust = amag + asig
    speed = math.sqrt(_dot3(x[3], x[4], x[5], x[3], x[4], x[5]))
    u = np.empty(3)
    if amag > 2.0 * asig:
        for i in range(3):
            u[i] = a[i] / max(amag, 1e-9)
    else:
        vmag = max(speed, 1e-9)
        for i in range(3):
            u[i] = x[3 + i] / vmag
    ceiling = prm[P_BOOST_JERK] ** 2
    v = max(speed, 1e-9)
    radius = math.sqrt(_dot3(x[0], x[1], x[2], x[0], x[1], x[2]))
    vc2 = GM_EARTH / max(radius, 1.0)
    rate = G0 / v + _TWO_PI * v * thrust / vc2
    qc = min((thrust * rate) ** 2, ceiling)
    # mixing.held_turn_q: the turn's rate held since the last fix (mixing.held_rate, its
    # thrust's root mean square), up to a radian's turn (mixing.turn_held), along
    # mixing.pitch_axis (n × u, n the plane of fire's normal; none near the vertical).
    along = max((x[3] * u[0] + x[4] * u[1] + x[5] * u[2]) / v, 0.0)
    a2 = amag * amag + asig * asig
    hrate = G0 / v + _TWO_PI * v * math.sqrt(a2) * along / vc2
    top = max(1.0 / (max(hrate, 1e-12) * _TURN_WHITE_S), 1.0)
    held = min(max(since_fix / _TURN_WHITE_S, 1.0), top) - 1.0
    qh = a2 * hrate * hrate * held
    n0 = x[1] * x[5] - x[2] * x[4]
    n1 = x[2] * x[3] - x[0] * x[5]
    n2 = x[0] * x[4] - x[1] * x[3]
    nn = math.sqrt(n0 * n0 + n1 * n1 + n2 * n2)
    e = np.zeros(3)
    if nn > 0.05 * radius * speed and qh > 0.0:
        n0, n1, n2 = n0 / nn, n1 / nn, n2 / nn
        e[0] = n1 * u[2] - n2 * u[1]
        e[1] = n2 * u[0] - n0 * u[2]
        e[2] = n0 * u[1] - n1 * u[0]
    # mass_flow_jerk: the mass's fall, and in the air the specific impulse's rise.
    j = thrust * thrust / _EXHAUST_MIN
    alt = _altitude(x[0], x[1], x[2])
    if alt < 80e3:
        h = max(alt, 0.0)
        dpdh = (_pressure(h + 100.0) - _pressure(h - 100.0)) / (200.0 * _P0)
        climb = abs(_dot3(x[3], x[4], x[5], x[0] / radius, x[1] / radius, x[2] / radius))
        j += thrust * _ISP_GAIN * abs(dpdh) * climb
    qa = min(j * j, ceiling)
    for i in range(3):
        for k in range(3):
            uu = u[i] * u[k]
            qj[i, k] = qa * uu + qc * ((1.0 if i == k else 0.0) - uu) + qh * e[i] * e[k]


@numba.njit(cache=True, error_model="numpy")
def _add_jerk(Q, qj, d):
    """``mixing.jerk_noise`` of ``qj`` (3, 3) over ``d`` s added to ``Q``."""
    d2 = d * d
    d3 = d2 * d
    c_pp, c_pv, c_vv = d3 * d2 / 20.0, d2 * d2 / 8.0, d3 / 3.0
    c_pa, c_va = d3 / 6.0, d2 / 2.0
    for i in range(3):
        for k in range(3):
            q = qj[i, k]
            Q[i, k] += q * c_pp
            Q[i, 3 + k] += q * c_pv
            Q[3 + i, k] += q * c_pv
            Q[3 + i, 3 + k] += q * c_vv
            Q[i, 6 + k] += q * c_pa
            Q[6 + i, k] += q * c_pa
            Q[3 + i, 6 + k] += q * c_va
            Q[6 + i, 3 + k] += q * c_va
            Q[6 + i, 6 + k] += q * d


@numba.njit(cache=True, error_model="numpy")
def _manoeuvre_noise(x, P, d, prm, Q):
    """``manoeuvre.process_noise`` of one manoeuvre-mode estimate over ``d`` s added to ``Q``:
    white jerk across the velocity, ``induced_jerk_ratio`` of the lift pulled along it."""
    top = _lift_ceiling(x, P, prm)
    sig = min(prm[P_JERK_SIGMA], top * prm[P_RATE])
    qj = sig * sig
    d2, d3 = d * d, d * d * d
    B = np.empty((3, 3))
    B[0, 0], B[0, 1], B[0, 2] = d3 * d2 / 20.0, d2 * d2 / 8.0, d3 / 6.0
    B[1, 0], B[1, 1], B[1, 2] = d2 * d2 / 8.0, d3 / 3.0, d2 / 2.0
    B[2, 0], B[2, 1], B[2, 2] = d3 / 6.0, d2 / 2.0, d
    v = (x[3], x[4], x[5])
    s2 = max(_dot3(x[3], x[4], x[5], x[3], x[4], x[5]), 1e-6)
    va = _dot3(x[3], x[4], x[5], x[6], x[7], x[8]) / s2
    l0, l1, l2 = x[6] - v[0] * va, x[7] - v[1] * va, x[8] - v[2] * va
    pulled = min(math.sqrt(_dot3(l0, l1, l2, l0, l1, l2)) / max(top, 1e-9), 1.0)
    along = prm[P_INDUCED_JERK] * pulled
    f = 1.0 - along * along
    for a in range(3):
        for b in range(3):
            blk = B[a, b] * qj
            for i in range(3):
                for j in range(3):
                    perp = (1.0 if i == j else 0.0) - f * (v[i] * v[j] / s2)
                    Q[3 * a + i, 3 * b + j] += blk * perp


@numba.njit(cache=True, error_model="numpy")
def _carry(x0, xp, F, P0, prm):
    """``manoeuvre.carry`` of one manoeuvre-mode state: ``xp``'s lift and ``F``'s rows of it
    scaled with the dynamic pressure (up to the ceiling) and turned with the velocity."""
    s0 = max(math.sqrt(_dot3(x0[3], x0[4], x0[5], x0[3], x0[4], x0[5])), 1e-3)
    s1 = max(math.sqrt(_dot3(xp[3], xp[4], xp[5], xp[3], xp[4], xp[5])), 1e-3)
    rho0 = _density(max(_altitude(x0[0], x0[1], x0[2]), 0.0))
    rho1 = _density(max(_altitude(xp[0], xp[1], xp[2]), 0.0))
    a_mag = math.sqrt(_dot3(x0[6], x0[7], x0[8], x0[6], x0[7], x0[8]))
    a_mag += math.sqrt(P0[6, 6] + P0[7, 7] + P0[8, 8])
    scale = rho1 * s1 * s1 / max(rho0 * s0 * s0, 1e-300) if rho0 > 0.0 else 1.0
    if scale > 1.0:
        cap = _lift_ceiling(xp, P0, prm) / max(a_mag, 1e-12)
        scale = min(scale, max(cap, 1.0))
    u0 = (x0[3] / s0, x0[4] / s0, x0[5] / s0)
    u1 = (xp[3] / s1, xp[4] / s1, xp[5] / s1)
    ax = u0[1] * u1[2] - u0[2] * u1[1]
    ay = u0[2] * u1[0] - u0[0] * u1[2]
    az = u0[0] * u1[1] - u0[1] * u1[0]
    sin = math.sqrt(_dot3(ax, ay, az, ax, ay, az))
    cos = _dot3(u0[0], u0[1], u0[2], u1[0], u1[1], u1[2])
    ks = max(sin, 1e-12)
    kx, ky, kz = ax / ks, ay / ks, az / ks
    K = np.zeros((3, 3))
    K[0, 1], K[0, 2], K[1, 2] = -kz, ky, -kx
    K[1, 0], K[2, 0], K[2, 1] = kz, -ky, kx
    M = np.empty((3, 3))
    for i in range(3):
        for j in range(3):
            kk = K[i, 0] * K[0, j] + K[i, 1] * K[1, j] + K[i, 2] * K[2, j]
            M[i, j] = scale * ((1.0 if i == j else 0.0) + sin * K[i, j] + (1.0 - cos) * kk)
    for i in range(3):
        xp[6 + i] = M[i, 0] * x0[6] + M[i, 1] * x0[7] + M[i, 2] * x0[8]
    _acc_rows_times(F, M)


@numba.njit(cache=True, error_model="numpy")
def predict_modes(mode, x0, P0, xp, F, dt, inv_c, ex_var, since_fix, q_acc, q_kappa, q_along, prm):
    """The modes' prediction after the motion model (``motion.propagate``: ``xp`` (N, 10),
    ``F`` (N, 10, 10) from the mixed priors ``x0``, ``P0``), per row of mode ``mode`` (N,):
    the boost mode's thrust growth at inverse exhaust speed ``inv_c`` (N,) and its process
    noise (``tracker_accel_q``, the thrust's jerk, its turn held ``since_fix`` (N,) s, the
    growth's uncertainty ``ex_var``); the
    coast and manoeuvre modes' given drag noise ``q_acc``, ``q_kappa``, ``q_along`` (N,,
    ``drag.drag_q``), and the manoeuvre mode's lift jerk and carry. ``xp`` and ``F`` are
    changed in place; returns the predicted covariances ``F P0 Fᵀ + Q`` (N, 10, 10)."""
    n = x0.shape[0]
    Pp = np.empty((n, NX, NX))
    Q = np.empty((NX, NX))
    qj = np.empty((3, 3))
    for r in range(n):
        x = x0[r]
        d = abs(dt[r])
        m = mode[r]
        if m == BOOST:
            _thrust_growth(x, xp[r], F[r], d, inv_c[r], prm)
            alt = _altitude(x[0], x[1], x[2])
            v2 = _dot3(x[3], x[4], x[5], x[3], x[4], x[5])
            kap = abs(x[KAPPA]) + prm[P_KAPPA_FLOOR]
            a_drag = 0.5 * _density(alt) * v2 * kap * KAPPA_UNIT
            qa = prm[P_COAST_SIG] ** 2 + (prm[P_DRAG_FRAC] * a_drag) ** 2
            qa = qa * prm[P_TAU]
            qk = (prm[P_KAPPA_WALK] * kap) ** 2
        else:
            qa, qk = q_acc[r], q_kappa[r]
        # motion.process_noise (white acceleration, kappa's walk).
        Q[:, :] = 0.0
        b00, b01, b11 = qa * d * d * d / 3.0, qa * d * d / 2.0, qa * d
        for a in range(3):
            Q[a, a] = b00
            Q[a, 3 + a] = b01
            Q[3 + a, a] = b01
            Q[3 + a, 3 + a] = b11
        Q[KAPPA, KAPPA] = qk * d
        if m == BOOST:
            _boost_jerk(x, P0[r], prm, qj, since_fix[r])
            _add_jerk(Q, qj, d)
            # exhaust_noise: the growth's push at an uncertain exhaust speed.
            a0, a1, a2 = x[6], x[7], x[8]
            amag = math.sqrt(_dot3(a0, a1, a2, a0, a1, a2))
            kk = amag if amag < prm[P_THRUST_CAP] else 0.0
            J = np.zeros(NX)
            for i in range(3):
                k = kk * x[6 + i]
                J[i] = k * (d**3 / 6.0)
                J[3 + i] = k * (0.5 * d * d)
                J[6 + i] = k * d
            var = ex_var[r]
            for i in range(NX):
                for j in range(NX):
                    Q[i, j] += var * J[i] * J[j]
        else:
            # along_noise: along the velocity.
            sp = max(math.sqrt(_dot3(x[3], x[4], x[5], x[3], x[4], x[5])), 1e-3)
            u = (x[3] / sp, x[4] / sp, x[5] / sp)
            qg = q_along[r]
            c0, c1, c2 = qg * d**3 / 3.0, qg * d**2 / 2.0, qg * d
            for i in range(3):
                for j in range(3):
                    uu = u[i] * u[j]
                    Q[i, j] += c0 * uu
                    Q[i, 3 + j] += c1 * uu
                    Q[3 + i, j] += c1 * uu
                    Q[3 + i, 3 + j] += c2 * uu
            if m == MANOEUVRE:
                _manoeuvre_noise(x, P0[r], d, prm, Q)
                _carry(x, xp[r], F[r], P0[r], prm)
        FP = np.dot(F[r], P0[r])
        Pp[r] = np.dot(FP, F[r].T) + Q
    return Pp


@numba.njit(cache=True, error_model="numpy")
def combine(xm, Pm, mu):
    """``mixing.combine`` (no floor): the moment-matched position-velocity mean (n, 6) and
    covariance (n, 6, 6)."""
    n, nm = xm.shape[0], xm.shape[1]
    xbar = np.zeros((n, 6))
    Pbar = np.zeros((n, 6, 6))
    for r in range(n):
        for j in range(nm):
            for k in range(6):
                xbar[r, k] += mu[r, j] * xm[r, j, k]
        for j in range(nm):
            wj = mu[r, j]
            for k in range(6):
                dk = xm[r, j, k] - xbar[r, k]
                for m in range(6):
                    Pbar[r, k, m] += wj * (Pm[r, j, k, m] + dk * (xm[r, j, m] - xbar[r, m]))
    return xbar, Pbar


@numba.njit(cache=True, error_model="numpy")
def _combine_one(xm, Pm, mu, xbar, Pbar):
    """``combine`` of one track's modes into ``xbar`` (6,), ``Pbar`` (6, 6)."""
    nm = xm.shape[0]
    for k in range(6):
        xbar[k] = 0.0
        for m in range(6):
            Pbar[k, m] = 0.0
    for j in range(nm):
        for k in range(6):
            xbar[k] += mu[j] * xm[j, k]
    for j in range(nm):
        wj = mu[j]
        for k in range(6):
            dk = xm[j, k] - xbar[k]
            for m in range(6):
                Pbar[k, m] += wj * (Pm[j, k, m] + dk * (xm[j, m] - xbar[m]))


@numba.njit(cache=True, error_model="numpy")
def refresh_coarse(xm, Pm, mu, floor, prm):
    """``association.refresh_coarse`` of tracks of mode estimates ``xm`` (n, 3, 10), ``Pm``,
    probabilities ``mu`` (n, 3), one track at a time: the coarse gate's position, velocity,
    acceleration (gravity, the rotating frame, the boost and manoeuvre modes' own), its
    spreads of position, velocity and acceleration (n, 3) and its drag bound (n,), and the
    reported estimate (n, 6), (n, 6, 6) of the modes of probability ``floor`` or more
    (renormalised; all of them where ``floor`` is 0)."""
    n = xm.shape[0]
    cpos = np.empty((n, 3))
    cvel = np.empty((n, 3))
    cacc = np.empty((n, 3))
    csig = np.empty((n, 3))
    cdrag = np.empty(n)
    xo = np.empty((n, 6))
    Po = np.empty((n, 6, 6))
    xall = np.empty(6)
    Pall = np.empty((6, 6))
    w = np.empty(NMODE)
    for r in range(n):
        _combine_one(xm[r], Pm[r], mu[r], xall, Pall)
        px, py, pz, vx, vy, vz = xall[0], xall[1], xall[2], xall[3], xall[4], xall[5]
        ax, ay, az = gravity_frame(px, py, pz, vx, vy, vz, px * px + py * py + pz * pz)
        pb, pm = mu[r, BOOST], mu[r, MANOEUVRE]
        cpos[r, 0], cpos[r, 1], cpos[r, 2] = px, py, pz
        cvel[r, 0], cvel[r, 1], cvel[r, 2] = vx, vy, vz
        cacc[r, 0] = ax + (pb * xm[r, BOOST, 6] + pm * xm[r, MANOEUVRE, 6])
        cacc[r, 1] = ay + (pb * xm[r, BOOST, 7] + pm * xm[r, MANOEUVRE, 7])
        cacc[r, 2] = az + (pb * xm[r, BOOST, 8] + pm * xm[r, MANOEUVRE, 8])
        csig[r, 0] = math.sqrt(Pall[0, 0] + Pall[1, 1] + Pall[2, 2])
        csig[r, 1] = math.sqrt(Pall[3, 3] + Pall[4, 4] + Pall[5, 5])
        b = xm[r, BOOST]
        a_mag = math.sqrt(b[6] * b[6] + b[7] * b[7] + b[8] * b[8])
        P_b = Pm[r, BOOST]
        a_sig = math.sqrt(P_b[6, 6] + P_b[7, 7] + P_b[8, 8])
        sig2 = a_mag + 3.0 * a_sig + 1.0 if pb > 1e-4 else 0.05
        lm = xm[r, MANOEUVRE]
        l_mag = math.sqrt(lm[6] * lm[6] + lm[7] * lm[7] + lm[8] * lm[8])
        P_l = Pm[r, MANOEUVRE]
        l_sig = math.sqrt(P_l[6, 6] + P_l[7, 7] + P_l[8, 8])
        l_max = _lift_ceiling(xm[r, COAST], Pm[r, COAST], prm)
        csig[r, 2] = max(sig2, max(l_mag + 3.0 * l_sig, l_max))
        kap_sig = math.sqrt(max(Pm[r, COAST, KAPPA, KAPPA], 0.0))
        cdrag[r] = KAPPA_UNIT * (abs(xm[r, COAST, KAPPA]) + 3.0 * kap_sig)
        if floor > 0.0:
            tot = 0.0
            for j in range(NMODE):
                w[j] = mu[r, j] if mu[r, j] >= floor else 0.0
                tot += w[j]
            for j in range(NMODE):
                w[j] = w[j] / tot
            _combine_one(xm[r], Pm[r], w, xo[r], Po[r])
        else:
            xo[r] = xall
            Po[r] = Pall
    return cpos, cvel, cacc, csig, cdrag, xo, Po


def warm() -> None:
    """Compile (or load) every kernel once on a tiny case, with the argument types the tracker
    passes (``tests/conftest.py`` calls it before the tests' workers start)."""
    from lookout.tracking.config import TrackerConfig

    prm = params(TrackerConfig())
    n = 1
    x = np.zeros((n, NMODE, NX))
    x[:, :, 0], x[:, :, 4], x[:, :, KAPPA] = 6.4e6, 7e3, 1.0
    P = np.broadcast_to(np.eye(NX), (n, NMODE, NX, NX)).copy()
    one, no = np.ones(n), np.zeros(n, dtype=bool)
    inf = np.full(n, np.inf)
    Pi, p_cm, p_apo = transition(x, P, one, 0.5 * one, no, 0.0 * one, prm)
    mu = np.full((n, NMODE), 1.0 / NMODE)
    mix(x, P, mu, Pi, one, no, no, inf, inf, one, one, p_apo, p_cm, no, prm)
    burnout_within(x[:, BOOST], P[:, BOOST], one, inf, inf, one, one)
    burnout_probability(one, inf, 2.0, 1.0)
    flat, flat_P = x.reshape(-1, NX), P.reshape(-1, NX, NX)
    w = np.ones((_GRID_LOG_CD.shape[0], flat.shape[0]))
    dt = np.ones(flat.shape[0])
    q = drag_q(flat, flat_P, flat, dt, w, prm, np.zeros(flat.shape[0], dtype=bool))
    F = np.broadcast_to(np.eye(NX), flat_P.shape).copy()
    modes = np.tile(np.arange(NMODE), n)
    Pp = predict_modes(modes, flat, flat_P, flat.copy(), F, dt, dt, dt, dt, *q, prm)
    combine(x, Pp.reshape(n, NMODE, NX, NX), mu)
    refresh_coarse(x, P, mu, 0.01, prm)
    warm_staged()


# --- the staging hypothesis's prior, gravity's second order: one call each a scan ---------------

_STAGING_RATE = float(_mix.STAGING_RATE_PER_S)
_STAGE_THRUST = float(_mix.STAGE_THRUST_MPS2)
_STAGE_THRUST_VAR = float(_mix.STAGE_THRUST_SIGMA_MPS2) ** 2


@numba.njit(cache=True, error_model="numpy")
def _staged_prior(x, P, dt, xo, Po):
    """``mixing.staged_prior`` of one boost-mode estimate ``x`` (10,), ``P`` into ``xo``,
    ``Po``: the old thrust cut within ``dt`` (``_burnout_within``), the next stage's lit along
    its direction (``mixing._thrust_direction``)."""
    inf = np.inf
    _burnout_within(x, P, dt, inf, inf, 1.0, 1.0, xo, Po)
    amag = math.sqrt(_dot3(x[6], x[7], x[8], x[6], x[7], x[8]))
    asig = math.sqrt(P[6, 6] + P[7, 7] + P[8, 8])
    vmag = max(math.sqrt(_dot3(x[3], x[4], x[5], x[3], x[4], x[5])), 1e-9)
    known = amag > 2.0 * asig
    u = np.empty(3)
    for a in range(3):
        u[a] = x[6 + a] / max(amag, 1e-9) if known else x[3 + a] / vmag
    across = np.empty((3, 3))
    for a in range(3):
        for b in range(3):
            across[a, b] = (1.0 if a == b else 0.0) - u[a] * u[b]
    rel = across.copy()
    if known:
        t = np.zeros((3, 3))
        for a in range(3):
            for b in range(3):
                for k in range(3):
                    t[a, b] += across[a, k] * P[6 + k, 6 + b]
        s = max(amag, 1e-9) ** 2
        for a in range(3):
            for b in range(3):
                q = 0.0
                for k in range(3):
                    q += t[a, k] * across[k, b]
                rel[a, b] = q / s
    m2 = _STAGE_THRUST**2 + _STAGE_THRUST_VAR
    for a in range(3):
        xo[6 + a] = _STAGE_THRUST * u[a]
    for i in range(NX):
        for a in range(6, 9):
            Po[a, i] = 0.0
            Po[i, a] = 0.0
    for a in range(3):
        for b in range(3):
            Po[6 + a, 6 + b] = _STAGE_THRUST_VAR * u[a] * u[b] + m2 * rel[a, b]


@numba.njit(cache=True, error_model="numpy")
def staged_priors(x0, P0, dt, p_bc, live, rows, mu, share, xs, Ps):
    """``Tracker._predict_staged``'s priors of its live rows ``live`` (k,) (tracks ``rows`` (k,)
    of the store's ``mu``, ``share``, ``xs``, ``Ps``): the staging within ``dt`` (n,)
    (``mixing.staging_probability``), the next stage's prior from the boost mode's mixed
    prior ``x0[:, BOOST]``, ``P0`` (``mixing.staged_prior``) weighed against the hypothesis's
    own estimate, burnout ``p_bc`` (n,). Returns the mixed priors (k, 10), (k, 10, 10) and
    the predicted share ``q`` (k,) of the boost probability."""
    k = live.size
    xm_ = np.empty((k, NX))
    Pm_ = np.empty((k, NX, NX))
    q = np.empty(k)
    x1 = np.empty(NX)
    P1 = np.empty((NX, NX))
    d1 = np.empty(NX)
    d2 = np.empty(NX)
    for j in range(k):
        i, r = live[j], rows[j]
        d = dt[i]
        p_st = -math.expm1(-abs(d) * _STAGING_RATE)
        mu_b = mu[r, BOOST]
        own = mu_b * share[r] * max(1.0 - p_bc[i] - p_st, 0.0)
        new = mu_b * (1.0 - share[r]) * p_st
        tot = own + new
        b = new / max(tot, 1e-300) if tot > 0.0 else 1.0
        a = 1.0 - b
        _staged_prior(x0[i, BOOST], P0[i, BOOST], d, x1, P1)
        x2, P2 = xs[r], Ps[r]
        for m in range(NX):
            xm_[j, m] = a * x2[m] + b * x1[m]
        for m in range(NX):
            d2[m] = x2[m] - xm_[j, m]
            d1[m] = x1[m] - xm_[j, m]
        for m in range(NX):
            for n_ in range(NX):
                Pm_[j, m, n_] = a * (P2[m, n_] + d2[m] * d2[n_])
                Pm_[j, m, n_] += b * (P1[m, n_] + d1[m] * d1[n_])
        q[j] = min(max((own + new) / max(mu_b, 1e-300), 0.0), 1.0)
    return xm_, Pm_, q


_GRAVITY_C = float((3.0 * GM_EARTH) ** 2)


@numba.njit(cache=True, error_model="numpy")
def gravity_second_order(x, P, age, dt, least, max_trace, share, Pp):
    """``motion.gravity_second_order_q`` of rows ``x`` (N, 10), ``P`` (N, 10, 10) ``age``
    (N,) s after their last update, as white acceleration over ``dt`` (N,) s
    (``motion.accel_noise``) added to ``Pp`` (N, 10, 10) in place: only where its bound
    (``gravity_second_order_bound``) is above ``least`` and the position's trace at most
    ``max_trace`` (``Tracker._predict``). ``share``: ``motion.SECOND_ORDER_TAU_SHARE``.
    Returns the number of rows it was added to."""
    n = x.shape[0]
    w = np.empty(3)
    z = np.empty(3)
    u = np.empty(3)
    qm = np.empty((3, 3))
    added = 0
    for r in range(n):
        tr = P[r, 0, 0] + P[r, 1, 1] + P[r, 2, 2]
        r2 = _dot3(x[r, 0], x[r, 1], x[r, 2], x[r, 0], x[r, 1], x[r, 2])
        bound = (5.0 * _GRAVITY_C * share) * tr * tr * age[r] / (r2 * r2) ** 2
        if not (tr <= max_trace and bound > least):
            continue
        added += 1
        rn = math.sqrt(r2)
        for i in range(3):
            u[i] = x[r, i] / rn
        for i in range(3):
            w[i] = P[r, i, 0] * u[0] + P[r, i, 1] * u[1] + P[r, i, 2] * u[2]
        for i in range(3):
            z[i] = P[r, i, 0] * w[0] + P[r, i, 1] * w[1] + P[r, i, 2] * w[2]
        a = u[0] * w[0] + u[1] * w[1] + u[2] * w[2]
        big_w = w[0] * w[0] + w[1] * w[1] + w[2] * w[2]
        t2 = 0.0
        for i in range(3):
            for j in range(3):
                t2 += P[r, i, j] * P[r, i, j]
        c0 = 0.5 * (25.0 * a * a - 10.0 * big_w + t2)
        scale = (_GRAVITY_C / (r2 * r2) ** 2) * share * max(age[r], 0.0)
        for i in range(3):
            for j in range(3):
                v = c0 * (u[i] * u[j])
                v -= (5.0 * a) * (u[i] * w[j] + u[j] * w[i])
                v += w[i] * w[j] + a * P[r, i, j] + u[i] * z[j] + u[j] * z[i]
                qm[i, j] = v * scale
        d = abs(dt[r])
        f00, f01, f11 = d**3 / 3.0, d**2 / 2.0, d
        for i in range(3):
            for j in range(3):
                Pp[r, i, j] += qm[i, j] * f00
                Pp[r, i, 3 + j] += qm[i, j] * f01
                Pp[r, 3 + i, j] += qm[i, j] * f01
                Pp[r, 3 + i, 3 + j] += qm[i, j] * f11
    return added


def warm_staged() -> None:
    """Compile (or load) ``staged_priors`` and ``gravity_second_order`` on a tiny case, with
    the tracker's argument types (``warm``)."""
    x = np.zeros((1, NMODE, NX))
    x[:, :, 0], x[:, :, 4], x[:, :, KAPPA] = 6.4e6, 7e3, 1.0
    P = np.broadcast_to(np.eye(NX), (1, NMODE, NX, NX)).copy()
    one, idx = np.ones(1), np.zeros(1, dtype=np.int64)
    mu = np.full((1, NMODE), 1.0 / NMODE)
    staged_priors(x, P, one, 0.5 * one, idx, idx, mu, 0.5 * one, x[:, BOOST].copy(),
                  P[:, BOOST].copy())  # fmt: skip
    flat, flat_P = x.reshape(-1, NX), P.reshape(-1, NX, NX)
    dt = np.ones(flat.shape[0])
    gravity_second_order(flat, flat_P, dt, dt, 0.0, 1e30, 2.0 / 3.0, flat_P.copy())
