"""The IMM's modes and their mixing: what a track's three mode-conditioned estimates become
between two scans, before the motion model moves them (``Tracker._predict``).

Modes: 0 boost (thrust acceleration as a random walk), 1 coast (ballistic, thrust held at
zero), 2 manoeuvre (aerodynamic lift, ``lookout.tracking.manoeuvre``). Arrays are batched over
tracks: mode estimates ``xm (n, 3, 10)``, ``Pm (n, 3, 10, 10)``, mode probabilities ``mu (n, 3)``.

- ``burnout_probability`` and ``transition``: the Markov switch over a step, the burnout
  bounded by the catalogue's burns;
- ``mix``: the predicted mode probabilities and each mode's mixed prior (the boost mode's part in
  the coast mode burnt out within the step, ``burnout_within``);
- ``thrust_growth``: the boost mode's thrust grown over a step as its stage's mass falls, at
  each track's exhaust speed learnt from its own thrust (``exhaust_learn``), its uncertainty
  in the process noise (``exhaust_noise``);
- ``thrust_jerk_q``, ``boost_jerk_q``, ``mass_flow_jerk``, ``jerk_noise``: the boost mode's
  process noise, the thrust's jerk along it (mass flow) and across it (its turn, a rate held
  since the track's last fix, ``turn_held``);
- ``reachable_speed``: a boost mode faster than any vehicle weighed out;
- ``young_boost``, ``reseed_boost``: which boost modes keep their own evidence, and the
  negligible modes restarted from the coast mode after an update; ``outlived_boost``, those
  of a track flown unseen that no burn can be, restarted at its rebase (``restart_boost``);
- ``staging_probability``, ``staged_prior``: a stage burnt out and the next lit within the
  step, a jump of the thrust the boost mode's random walk cannot take (``update.update_modes``
  weighs it as a fourth hypothesis and merges it into the boost mode);
- ``combine``: the moment-matched estimate over the modes, as reported.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.special import erfc

from lookout.geodesy import G0, GM_EARTH, OMEGA_EARTH
from lookout.physics import atmosphere
from lookout.physics.einsum import einsum
from lookout.physics.vehicles import catalogue
from lookout.tracking import manoeuvre, reach
from lookout.tracking.config import TrackerConfig
from lookout.tracking.motion import NX, air_pressure, altitude_approx, numpy_step

BOOST, COAST = 0, 1
# --- manoeuvre mode (lookout.tracking.manoeuvre): lift acceleration as a third IMM mode ---
MANOEUVRE = 2
NMODE = 3
# --- end manoeuvre mode ---


def _catalogue_burns() -> tuple[np.ndarray, float]:
    """Burn times from liftoff to the last burnout (s) of the catalogue's vehicles, and their
    largest ideal delta-v (m/s) plus the Earth's surface speed at the equator (a launch eastward
    starts with it in inertial space)."""
    vehicles = catalogue().values()
    burns = np.array(sorted(v.full_burn_s for v in vehicles))
    dv = max(v.ideal_delta_v_mps() for v in vehicles)
    return burns, dv + OMEGA_EARTH * 6378137.0


#: Survival of a burn: the catalogue's burn times, each with the margin of a vehicle like it
#: but not in the catalogue (10 % and 10 s, smoothed over 5 s).
BURNS_S, BOOST_SPEED_MAX_MPS = _catalogue_burns()


def _catalogue_stagings() -> tuple[float, float, float]:
    """The catalogue's stagings: how often a burning stage hands over to the next one (the
    number of stagings over the seconds of burn of every vehicle, 1/s), and the thrust
    acceleration of a stage as it lights (vacuum thrust over the stack's mass at its ignition):
    a magnitude uniform over the catalogue's range with the 10 % margin of a vehicle not in it,
    its mean and sigma (m/s²)."""
    stagings, burn, lit = 0, 0.0, []
    for v in catalogue().values():
        stagings += len(v.stages) - 1
        burn += v.full_burn_s
        mass = v.liftoff_mass_kg
        for k, s in enumerate(v.stages):
            if k:
                lit.append(s.mass_flow_kgps * s.isp_vac_s * G0 / mass)
            mass -= s.propellant_kg + s.dry_kg
    lo, hi = 0.9 * min(lit), 1.1 * max(lit)
    return stagings / burn, 0.5 * (lo + hi), (hi - lo) / math.sqrt(12.0)


#: Stagings per second of burn (9 in 2244 s: one per 249 s) and the thrust acceleration of the
#: next stage as it lights (9.7-42 m/s² in the catalogue; 27.6 ± 10.9 with the margin).
STAGING_RATE_PER_S, STAGE_THRUST_MPS2, STAGE_THRUST_SIGMA_MPS2 = _catalogue_stagings()


#: ``lookout.tracking.compiled_imm`` once imported (``compiled_imm``).
_imm = None


def compiled_imm():
    """``lookout.tracking.compiled_imm`` (numba: imported on the first prediction), or None
    with ``LOOKOUT_NUMPY_STEP=1`` (the numpy path, as for the RK4 loop). The module is kept
    once imported: a function-level ``from ... import`` costs a few microseconds at every
    call, and this one is called at every prediction and update."""
    global _imm
    if numpy_step():
        return None
    if _imm is None:
        from lookout.tracking import compiled_imm as imm

        _imm = imm
    return _imm


def _frame_arrays(frames: tuple | None, n: int) -> tuple:
    """``burnout_within``'s ``frames`` as four float arrays (n,) (+inf and 1: none)."""
    if frames is None:
        inf, one = np.full(n, np.inf), np.ones(n)
        return inf, inf, one, one
    return tuple(_writable(a, n) for a in frames)


def _writable(a, n: int) -> np.ndarray:
    """``a`` (a scalar or (n,)) as a contiguous, writable float array (n,): the compiled
    kernels' argument type that ``compiled_imm.warm`` compiles (a read-only view, as
    ``np.broadcast_to`` gives, is another type, compiled again on its first use in a run)."""
    if type(a) is np.ndarray and a.dtype == np.float64 and a.shape == (n,):
        return a.copy()  # what the line below gives such an array, in one call instead of three
    a = np.ascontiguousarray(np.broadcast_to(a, (n,)), dtype=float)
    return a if a.flags.writeable else a.copy()


#: Gauss-Legendre nodes and weights on [0, 1]: three are exact for the polynomials of degree 5
#: or less, and the moments of ``burnout_within`` are of degree 4 in the switch time.
_GL_U, _GL_W = np.polynomial.legendre.leggauss(3)
_GL_U, _GL_W = 0.5 * (_GL_U + 1.0), 0.5 * _GL_W


def burnout_within(
    x: np.ndarray, P: np.ndarray, dt, frames: tuple | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Boost-mode estimates ``x`` (n, 10), ``P`` (n, 10, 10) of a thrust that ends at a time
    uniform over the next ``dt`` (n,) s, as the coast mode's start: the mean and covariance at the
    start of the step of the ballistic state that reaches, ``dt`` later, where the thrust left
    the object. The Markov switch of the IMM puts the burnout anywhere in the step; taken at its
    start (the boost estimate, thrust cut), the coast mode missed ``a s`` of velocity for a burn
    of ``s`` more seconds, with none of the spread of ``s``: at an acceleration of 100 m/s² and
    a 1 s step, 50 m/s behind with a 29 m/s sigma left out. Thrust for ``s`` then coast is, to a
    ballistic path from the start, a start ``-a s²/2`` in position and ``+a s`` in velocity;
    moments over ``s = U dt``, ``U`` uniform on [0, 1], exact by Gauss-Legendre (degree 4).

    ``frames``: ``(f1, f2, m1, m2)``, the first two frames (s after the step's start, (n,)
    each, +inf: none) that the infrared sensors which saw the plume took without seeing it,
    each of which sees a burning plume at ``1 - m`` (``m1``, ``m2`` (n,)). A burnout at ``s``
    leaves every frame after it dark and each before it dark at its ``m``: its likelihood is
    the product of the ``m`` of the frames before ``s``, so the burnout is uniform piece by
    piece, weighed ``1, m1, m1 m2`` (frames after the second lumped: a later burnout weighed
    up, never down) between them. Uniform over the
    step, a plume lost at an update with the next frame dark 0.7 s on, and the track rebased
    a second after the update (its coast mode fixed then, ``mix``), put the burnout half a
    second late: gen-1-01's payload went into orbit 11 m/s fast (22 m/s² of thrust) and
    coasted 10 km off its object in 6 min unseen."""
    dt = np.maximum(np.asarray(dt, dtype=float), 0.0)
    n = x.shape[0]
    imm = compiled_imm()
    if imm is not None:
        dt = _writable(dt, n)
        x, P = np.ascontiguousarray(x, dtype=float), np.ascontiguousarray(P, dtype=float)
        return imm.burnout_within(x, P, dt, *_frame_arrays(frames, n))
    if frames is None:
        s = _GL_U[:, None] * dt[None, :]  # (q, n)
        gw = np.broadcast_to(_GL_W[:, None], s.shape)
    else:
        f1, f2, m1, m2 = (np.asarray(a, dtype=float) for a in frames)
        b1 = np.clip(f1, 0.0, dt)
        b2 = np.clip(f2, b1, dt)
        lo = np.stack([np.zeros(n), b1, b2])  # (3, n) pieces [lo, hi)
        width = np.stack([b1, b2 - b1, dt - b2])
        lik = np.stack([np.ones(n), m1, m1 * m2])
        mass = width * lik
        total = mass.sum(axis=0)
        share = np.where(total > 0.0, mass / np.maximum(total, 1e-300), np.eye(3, 1))
        s = (lo[:, None, :] + _GL_U[None, :, None] * width[:, None, :]).reshape(-1, n)
        gw = (share[:, None, :] * _GL_W[None, :, None]).reshape(-1, n)
    q = s.shape[0]
    M = np.broadcast_to(np.eye(NX), (q, n, NX, NX)).copy()
    for k in range(3):
        M[:, :, k, 6 + k] = -0.5 * s * s
        M[:, :, 3 + k, 6 + k] = s
    xq = einsum("qnij,nj->qni", M, x)
    mean = einsum("qn,qni->ni", gw, xq)
    d = xq - mean[None]
    # M P Mᵀ per node by matmul, then the weighted sum: the four-operand einsum summed it in
    # one loop, 30x slower for 60 tracks (12 % of mass-raid's chain).
    cov = einsum("qn,qnil->nil", gw, M @ P[None] @ M.transpose(0, 1, 3, 2))
    cov += einsum("qn,qni,qnj->nij", gw, d, d)
    return mean, 0.5 * (cov + cov.transpose(0, 2, 1))


def thrust_axis(x: np.ndarray, P: np.ndarray) -> np.ndarray:
    """Unit vectors (n, 3) along which boost-mode estimates ``x`` (n, 10), ``P`` thrust: the
    thrust estimate's own direction where it is known (its magnitude over twice its sigma),
    else the velocity's (a rocket thrusts near its velocity: vertical rise, gravity turn)."""
    return _thrust_direction(x, P)[0]


def _thrust_direction(x: np.ndarray, P: np.ndarray):
    """``thrust_axis``'s unit vectors, with whether the thrust's own direction is known and
    its magnitude (n,)."""
    a = x[:, 6:9]
    amag = np.sqrt(einsum("ij,ij->i", a, a))
    asig = np.sqrt(np.trace(P[:, 6:9, 6:9], axis1=1, axis2=2))
    v = x[:, 3:6]
    vmag = np.maximum(np.sqrt(einsum("ij,ij->i", v, v)), 1e-9)
    known = amag > 2.0 * asig
    u = np.where(known[:, None], a / np.maximum(amag, 1e-9)[:, None], v / vmag[:, None])
    return u, known, amag


def _catalogue_exhaust() -> tuple[float, float, float]:
    """The catalogue's stages' effective exhaust speeds ``Isp g0`` (m/s): their lowest, the
    lowest sea-level specific impulse less the 10 % margin of a stage not in the catalogue,
    and their middle, between the lowest sea-level and the highest vacuum specific impulse;
    and the largest relative gain of specific impulse from sea level to vacuum,
    ``(Isp_vac - Isp_sl) / Isp_sl``, with the same margin."""
    stages = [s for v in catalogue().values() for s in v.stages]
    low = min(s.isp_sl_s for s in stages)
    mid = 0.5 * (low + max(s.isp_vac_s for s in stages)) * G0
    gain = 1.1 * max((s.isp_vac_s - s.isp_sl_s) / s.isp_sl_s for s in stages)
    return 0.9 * low * G0, mid, gain


#: 2030 m/s (mrbm-liquid's 230 s at sea level, less 10 %), 2720 m/s (230 and 325 s), 0.14
#: (srbm-solid's 240 -> 265 s and slv-3stage's first stage's 255 -> 285 s, plus 10 %). The boost
#: mode's thrust grows as ``a² / c`` at each track's own ``c`` (``thrust_growth``,
#: ``exhaust_learn``); the growth's range is its jerk's (``mass_flow_jerk``).
EXHAUST_MIN_MPS, EXHAUST_MID_MPS, ISP_GAIN_MAX = _catalogue_exhaust()


def _catalogue_inverse_exhaust() -> tuple[float, float]:
    """The prior of a burning stage's inverse exhaust speed ``1 / c`` (s/m), as the boost mode's
    thrust grows with it (``thrust_growth``): uniform from the catalogue's highest vacuum
    exhaust speed with the 10 % margin of a stage not in it (``reach.MARGIN``) to its lowest
    sea-level one less 10 % (``EXHAUST_MIN_MPS``); its mean and sigma."""
    stages = [s for v in catalogue().values() for s in v.stages]
    lo = 1.0 / (reach.MARGIN * max(s.isp_vac_s for s in stages) * G0)
    hi = 1.0 / EXHAUST_MIN_MPS
    return 0.5 * (lo + hi), (hi - lo) / math.sqrt(12.0)


#: 3.9e-4 ± 0.6e-4 s/m: the exhaust speed 2.03-3.51 km/s (its mean 1/2.57 km/s), every track's
#: until its own thrust has told its stage's (``exhaust_learn``).
INV_EXHAUST_SPM, INV_EXHAUST_SIGMA_SPM = _catalogue_inverse_exhaust()

#: How fast a first stage's effective exhaust speed drifts in the air (s²/m² per s, a random
#: walk of ``1 / c``): the thrust acceleration the boost mode holds is thrust and drag in one
#: (drag is lumped with it), and in the air its growth ``d|a|/dt = |a|² / c`` takes the drag's
#: fall and the specific impulse's rise with the pressure's. Measured on mrbm-liquid's
#: minimum-energy flight (its own 2.26-2.53 km/s): ``c`` 2.2 km/s near the ground, 1.6 at
#: 12 km (maximum dynamic pressure passed, drag falling), 2.5 at 60 km; ``1 / c`` moves
#: 2.2e-4 s/m over 50 s, a walk of (2.2e-4)² / 50 s. Above ``EXHAUST_AIR_M`` a stage's own
#: exhaust speed is its vacuum one and does not walk; a staging is a new stage
#: (``exhaust_learn``'s gate). A choice between none (the walk of the first minute then sits
#: in the estimate for the rest of the burn) and the prior's whole spread per burn.
EXHAUST_WALK_S2PM2 = (2.2e-4) ** 2 / 50.0
EXHAUST_AIR_M = 80e3

#: Shortest span (s) of a burn over which the thrust's growth is measured (``exhaust_learn``):
#: at 1 s radar updates, 5 s holds a handful of them; a choice between one update (the thrust
#: estimates of successive updates share most of their error) and the catalogue's shortest
#: burn (28 s).
EXHAUST_SPAN_S = 5.0

#: The per-track arrays of ``exhaust_learn``'s state (``TrackStore``), in its order.
EXHAUST_ARRAYS = ("ex_b", "ex_var", "ex_tb", "ex_ts", "ex_ys", "ex_yvar")


def thrust_growth(
    x0: np.ndarray, xp: np.ndarray, F: np.ndarray, dt: np.ndarray, inv_c: np.ndarray | None = None
) -> None:
    """The boost mode's thrust over a step of ``dt`` (n,) s from ``x0`` (n, 10), predicted
    held (``motion.propagate``: ``xp`` (n, 10), its Jacobian ``F`` (n, 10, 10)), grown as a
    burning stage's does as its mass falls, ``da/dt = |a| a / c`` at each track's inverse
    exhaust speed ``inv_c`` (n,) s/m (``exhaust_learn``; default the prior's mean,
    ``INV_EXHAUST_SPM``): ``a(s) = a0 / (1 - |a0| s / c)``, its push over the
    step (``a0 |a0| s / c`` integrated once and twice) added to the velocity and the
    position. ``xp``, ``F`` changed in place. Held, an upper stage's 10 -> 38 m/s² over 240 s
    is a ramp the thrust's random walk follows a few seconds late, the boost mode 15-50 m/s off
    in velocity against a sigma of 5-20 (gen-2-04). The growth stops at the catalogue's
    largest thrust acceleration with ``reach.MARGIN`` (no stage burns harder): a boost mode
    predicted step after step unseen (a partner's track coasting out of its radars) would
    otherwise double its thrust at every step to overflow (lost-track's demo, a NaN
    covariance)."""
    a0 = x0[:, 6:9]
    amag = np.sqrt(einsum("ij,ij->i", a0, a0))
    dt = np.abs(np.asarray(dt, dtype=float))
    b = np.full(amag.shape, INV_EXHAUST_SPM) if inv_c is None else np.asarray(inv_c, float)
    r = np.minimum(amag * dt * b, 0.5)
    cap = reach.MARGIN * reach.thrust_acceleration_max_mps2()
    growing = amag < cap
    g = np.where(growing, np.minimum(1.0 / (1.0 - r), cap / np.maximum(amag, 1e-9)), 1.0)
    xp[:, 6:9] = g[:, None] * a0
    rate = (growing * amag * b)[:, None] * a0  # da/dt at the step's start
    xp[:, 3:6] += rate * (0.5 * dt * dt)[:, None]
    xp[:, 0:3] += rate * (dt**3 / 6.0)[:, None]
    # The derivative of the map taken, d(g a0)/d a0 = g I + a0 (dg/d|a0|) â0ᵀ: along the
    # growth, dg/d|a0| = g² dt / c; where ``r`` is held at 0.5, 0; where the cap holds the
    # thrust (g = cap / |a0|), -g / |a0|: nothing along â0 passes, only its turn (g (I - â0
    # â0ᵀ)). The growth's derivative at the cap (a gain of 1.16 along a mean mixed 3 % under
    # it) multiplied a boost mode's thrust variance by 1.3 at every second it was flown
    # unseen: gen-middle-east-79-02's AE track 92, dormant 140 s, reached 1e22 m² and its
    # gating determinant came out negative (a NaN cost, the track gated nothing).
    grow = 1.0 / (1.0 - r)
    capped = growing & (cap / np.maximum(amag, 1e-9) < grow)
    slope = np.where(capped, -g / np.maximum(amag, 1e-9), growing * (r < 0.5) * g * g * dt * b)
    ahat = a0 / np.maximum(amag, 1e-9)[:, None]
    G = g[:, None, None] * np.eye(3)[None] + (
        slope[:, None, None] * a0[:, :, None] * ahat[:, None, :]
    )
    F[:, 6:9, :] = einsum("nij,njk->nik", G, F[:, 6:9, :])


def exhaust_noise(x0: np.ndarray, dt: np.ndarray, var: np.ndarray) -> np.ndarray:
    """Q (n, 10, 10) over ``dt`` (n,) s of the boost mode's thrust growth
    (``thrust_growth``) from ``x0`` (n, 10) at an inverse exhaust speed known to a variance
    ``var`` (n,) (s²/m²): to first order its push ``a0 |a0| δb`` times ``dt``, ``dt²/2``,
    ``dt³/6`` on the thrust, the velocity and the position."""
    a0 = x0[:, 6:9]
    amag = np.sqrt(einsum("ij,ij->i", a0, a0))
    cap = reach.MARGIN * reach.thrust_acceleration_max_mps2()
    d = np.abs(np.asarray(dt, dtype=float))
    J = np.zeros(x0.shape)
    k = ((amag < cap) * amag)[:, None] * a0
    J[:, 0:3] = k * (d**3 / 6.0)[:, None]
    J[:, 3:6] = k * (0.5 * d * d)[:, None]
    J[:, 6:9] = k * d[:, None]
    return np.asarray(var, dtype=float)[:, None, None] * J[:, :, None] * J[:, None, :]


def exhaust_learn(
    x: np.ndarray, P: np.ndarray, mu: np.ndarray, t: float, state: tuple, floor: float
) -> tuple:
    """Each track's inverse exhaust speed ``1 / c`` (s/m) learnt from its own thrust: a
    stage's ``a = c / (t_b - t)`` has ``d(1/|a|)/dt = -1 / c``, so the fall of ``1/|a|`` of
    the boost mode's thrust estimate over ``EXHAUST_SPAN_S`` or more of a burn measures
    ``1 / c`` (the estimate's lag behind a growth it does not model is a steady offset, not a
    slope), with the variance of the two estimates' ``1/|a|`` (their shared error left out:
    the measure is the more conservative). A scalar Kalman filter per track: prior
    ``INV_EXHAUST_SPM`` ± ``INV_EXHAUST_SIGMA_SPM``, walking in the air by
    ``EXHAUST_WALK_S2PM2``, a measure that falls outside its 3-sigma gate (a staging, a
    thrust cut) restarting it from the prior, as does a boost mode below ``floor``
    (``boost_reseed_prob``: a coasting track's restarted hypothesis).

    ``x`` (n, 10), ``P`` (n, 10, 10): the boost mode's updated estimate at ``t``, ``mu`` (n,)
    its probability; ``state`` (``b``, ``var``, ``tb``, ``ts``, ``ys``, ``yvar``): the
    estimate, its variance, its time (s), and the span's start (time, ``1/|a|`` and its
    variance; ``ts`` NaN: none). Measured only where the boost mode is at least 0.9 probable
    and its thrust's magnitude at least five sigmas (not a thrust the data cannot yet tell
    from none). Returns the new ``state``."""
    b, var, tb, ts, ys, yvar = (np.array(a, dtype=float) for a in state)
    a = x[:, 6:9]
    s = np.sqrt(einsum("ij,ij->i", a, a))
    u = a / np.maximum(s, 1e-9)[:, None]
    ssig2 = einsum("ki,kij,kj->k", u, P[:, 6:9, 6:9], u)
    alt = altitude_approx(x[:, 0:3])
    var = var + np.where(alt < EXHAUST_AIR_M, EXHAUST_WALK_S2PM2 * np.maximum(t - tb, 0.0), 0.0)
    var = np.minimum(var, INV_EXHAUST_SIGMA_SPM**2 * 4.0)
    tb = np.full(b.shape, t)
    gone = mu < floor
    b[gone], var[gone] = INV_EXHAUST_SPM, INV_EXHAUST_SIGMA_SPM**2
    ok = (mu >= 0.9) & (s * s > 25.0 * ssig2)
    y = 1.0 / np.maximum(s, 1e-9)
    y_var = ssig2 / np.maximum(s, 1e-9) ** 4
    span = t - ts
    meas = ok & np.isfinite(ts) & (span >= EXHAUST_SPAN_S)
    if meas.any():
        m = np.flatnonzero(meas)
        z = (ys[m] - y[m]) / span[m]
        r = (yvar[m] + y_var[m]) / span[m] ** 2
        sv = var[m] + r
        nu = z - b[m]
        inside = nu * nu <= 9.0 * sv
        k = var[m] / sv
        b[m] = np.where(inside, b[m] + k * nu, INV_EXHAUST_SPM)
        var[m] = np.where(inside, (1.0 - k) * var[m], INV_EXHAUST_SIGMA_SPM**2)
        # A stage's mass only falls: no negative growth; none above 1 / (1 km/s) either.
        b[m] = np.clip(b[m], 0.0, 1e-3)
    # The span restarts where a measure was taken, where there is none yet and where the
    # thrust is not measurable (the next starts at the next measurable update).
    restart = meas | (ok & ~np.isfinite(ts))
    ts = np.where(restart, t, np.where(ok, ts, np.nan))
    ys = np.where(restart, y, ys)
    yvar = np.where(restart, y_var, yvar)
    return b, var, tb, ts, ys, yvar


def mass_flow_jerk(
    thrust: np.ndarray, pos: np.ndarray, vel: np.ndarray | None = None
) -> np.ndarray:
    """The largest growth (n,) (m/s³) of a burning stage's thrust acceleration ``thrust`` (n,)
    m/s² at ECEF ``pos`` (n, 3) m and velocity ``vel`` (n, 3) m/s: its mass falls, ``a ṁ / m
    = a² / (Isp g0)``, at the catalogue's lowest exhaust speed (``EXHAUST_MIN_MPS``), and in
    the air its specific impulse grows as the pressure falls, ``a (Isp_vac - Isp_sl) / Isp_sl
    |d(p/p0)/dt|`` (``ISP_GAIN_MAX``; the climb rate from ``vel``, none without). At burnout
    an IRBM's 200 m/s² gives 13-20 m/s³; a space launcher's upper stage at 10-40 m/s² in
    vacuum 0.05-0.8."""
    thrust = np.asarray(thrust, dtype=float)
    j = thrust * thrust / EXHAUST_MIN_MPS
    if vel is not None:
        alt = altitude_approx(pos)
        low = alt < 80e3
        if low.any():
            h = np.maximum(alt[low], 0.0)
            p0 = atmosphere.SEA_LEVEL_PRESSURE_PA
            dpdh = (air_pressure(h + 100.0) - air_pressure(h - 100.0)) / (200.0 * p0)
            up = pos[low] / np.sqrt(einsum("ij,ij->i", pos[low], pos[low]))[:, None]
            climb = np.abs(einsum("ij,ij->i", vel[low], up))
            j[low] += thrust[low] * ISP_GAIN_MAX * np.abs(dpdh) * climb
    return j


#: The white jerk's time (s): its density ``σ² × 1 s`` is a jerk of the bound's size held for
#: about a second (``thrust_jerk_q``, ``boost_jerk_sigma_mps3``). Beyond it the turn is a rate
#: held (``turn_held``).
TURN_WHITE_S = 1.0


def turn_held(since_fix, rate) -> np.ndarray:
    """How many times (n,) a white jerk's density of the bound's size ``b² × TURN_WHITE_S`` a
    turn held ``since_fix`` (n,) s after the track's last fix (a radar detection, or a second
    infrared satellite's line of sight: ``TrackStore.fix_t``) spreads as, its bound rate
    ``rate`` (n,) rad/s (``held_rate``).

    A pitch programme turns its thrust at a rate held over the burn (an upper stage laid down
    through the horizon: me75 #03's truth at 0.28 deg/s for its last 40 s), not one drawn
    afresh each second: over ``T`` s unseen in range its jerk ``j`` builds a velocity error
    ``j T² / 2`` where a white jerk's grows as ``sqrt(q T³ / 3)`` (34 m/s against 105 on
    me75 #03). The rate held, uniform up to the bound (``σ² = b² / 3``), spreads the velocity
    as a white jerk of density ``3 σ² T = b² T`` does (the acceleration 1.22 times, the
    position 0.95 times its own sigma): ``T / TURN_WHITE_S`` times, at least once
    (``held_turn_q`` adds the part above the white jerk's, in the plane of fire,
    ``pitch_axis``: the catalogue's flights turn their thrust in it alone, a space launcher's
    out of it at 1/100 of its turn). A fix measures the thrust's direction again, restarting
    ``T``. At most the time the bound rate takes to turn the thrust by a radian: beyond it a
    held turn's error no longer grows with the angle (``sin``), and the direction is the
    prior's, not the rate's."""
    T = np.asarray(since_fix, dtype=float) / TURN_WHITE_S
    top = np.maximum(1.0 / (np.maximum(np.asarray(rate, dtype=float), 1e-12) * TURN_WHITE_S), 1.0)
    return np.clip(T, 1.0, top)


def thrust_jerk_q(
    u: np.ndarray,
    thrust: np.ndarray,
    speed: np.ndarray,
    pos: np.ndarray,
    cfg: TrackerConfig,
    vel: np.ndarray | None = None,
) -> np.ndarray:
    """Spectral density (n, 3, 3) (m²/s⁵) of the white jerk of a thrust acceleration of
    magnitude ``thrust`` (n,) m/s² along the unit vectors ``u`` (n, 3) (``thrust_axis``) of an
    object at ``speed`` (n,) m/s, ECEF position ``pos`` (n, 3) m and velocity ``vel``.

    Along the thrust, the growth of a burning stage's acceleration as its mass falls and, in
    the air, as its specific impulse rises, over the catalogue's range of exhaust speeds
    (``mass_flow_jerk``; its middle is the prediction's, ``thrust_growth``). Across it, the
    turn of its direction, ``thrust`` times its rate: a thrust that follows the velocity
    (gravity turn) turns as gravity turns the velocity, ``g cos γ / v``, at most ``g / v``; a
    pitch programme that lays an upper stage's thrust from the vertical down through the
    horizon as its energy nears the circular one turns it by at most half a turn over ``v² /
    v_c²`` from 0 to 1, so at most ``2 π v a / v_c²`` (``v_c² = GM / r``; slv-3stage's orbit
    insertion: 1.9 m/s³ at 73 m/s² and 6.1 km/s against 0.12 for the gravity turn alone). The
    turn is 0.8 m/s³ for a space launcher at 21 m/s² and 250 m/s, 3 m/s³ for an MRBM at 98
    m/s² and 3 km/s at burnout. Each at most ``boost_jerk_sigma_mps3`` (10 m/s³: an SRBM's last
    seconds grow faster, 20-30 m/s³, and keep the tracker's earlier ceiling). A jerk of the
    larger size on every axis let a thrust across the line of sight drift as fast as along
    it: a boost seen by one radar predicted its range rate 11-12 m/s wide against the coast
    mode's 4-5, and lost its probability at every update while the rocket thrust (gen-7-02).

    Not the ceiling along the thrust everywhere and on every axis above 50 km (the tracker
    before issue 13's boost-noise): a space launcher's upper stage at 10-40 m/s² grows by
    0.05-0.8 m/s³, and its track, seen late in its burn by one far radar and the infrared
    satellites, carried a velocity sigma of 130-230 m/s into its cut-off and coasted into
    orbit 120 m/s off, out of every radar's coverage (gen-1-01: 290 false track-s). The larger
    jerk stood in for stagings, which no walk of a stage's own size reaches: the staging
    hypothesis gates their detections instead (``Associator.associate``). (With the turn
    alone up to 100 km and the ceiling above, a two-stage ICBM's stack track took its spent
    stage at its staging at 113 km, gen-3-00, and the stage's new track made a false
    overflight claim.)"""
    ceiling = cfg.boost_jerk_sigma_mps3**2
    thrust = np.asarray(thrust, dtype=float)
    v = np.maximum(np.asarray(speed, dtype=float), 1e-9)
    radius = np.sqrt(einsum("ij,ij->i", pos, pos))
    vc2 = GM_EARTH / np.maximum(radius, 1.0)
    rate = G0 / v + 2.0 * math.pi * v * thrust / vc2
    qc = np.minimum((thrust * rate) ** 2, ceiling)
    qa = np.minimum(mass_flow_jerk(thrust, pos, vel) ** 2, ceiling)
    uu = u[:, :, None] * u[:, None, :]
    return qa[:, None, None] * uu + qc[:, None, None] * (np.eye(3)[None] - uu)


def held_turn_q(
    u: np.ndarray, thrust_rms: np.ndarray, pos: np.ndarray, vel: np.ndarray, since_fix
) -> np.ndarray:
    """What a turn held ``since_fix`` (n,) s adds (n, 3, 3) (m²/s⁵) to ``thrust_jerk_q``'s white
    density, for thrusts along ``u`` (n, 3) of root-mean-square magnitude ``thrust_rms`` (n,)
    m/s² (the held rate times the thrust: its mean square is theirs), objects at ECEF ``pos``,
    ``vel`` (n, 3): ``(turn_held - 1) b²`` along ``pitch_axis``, ``b`` the thrust times
    ``held_rate``."""
    thrust_rms = np.asarray(thrust_rms, dtype=float)
    rate = held_rate(u, thrust_rms, pos, vel)
    b2 = (thrust_rms * rate) ** 2
    e = pitch_axis(u, pos, vel)
    k = b2 * (turn_held(since_fix, rate) - 1.0)
    return k[:, None, None] * (e[:, :, None] * e[:, None, :])


def held_rate(u: np.ndarray, thrust: np.ndarray, pos: np.ndarray, vel: np.ndarray) -> np.ndarray:
    """The largest rate (n,) rad/s at which a thrust of magnitude ``thrust`` (n,) m/s² along
    ``u`` (n, 3) of an object at ECEF ``pos``, ``vel`` (n, 3) turns steadily: a gravity turn's
    ``g / v``, and a pitch programme laying an upper stage's thrust from the vertical down
    through the horizon by half a turn as ``ν = v² / v_c²`` goes from 0 to 1, ``π dν/dt = 2 π
    v a (v̂·û) / v_c²`` (``thrust_jerk_q``'s turn, with the thrust's share along the velocity,
    which grows ``ν``, rather than the whole: me75 #03's third stage thrusts 51-63 deg below
    the horizon)."""
    v = np.sqrt(einsum("ij,ij->i", vel, vel))
    vhat = vel / np.maximum(v, 1e-9)[:, None]
    along = np.maximum(einsum("ij,ij->i", vhat, u), 0.0)
    radius = np.sqrt(einsum("ij,ij->i", pos, pos))
    vc2 = GM_EARTH / np.maximum(radius, 1.0)
    return G0 / np.maximum(v, 1e-9) + 2.0 * math.pi * v * thrust * along / vc2


def pitch_axis(u: np.ndarray, pos: np.ndarray, vel: np.ndarray) -> np.ndarray:
    """Unit vectors (n, 3) across thrust directions ``u`` (n, 3) in the plane of fire of objects
    at ECEF ``pos``, ``vel`` (n, 3) (the plane of the position and velocity), along which a
    pitch programme or a gravity turn turns the thrust: ``n × u`` of the plane's normal ``n``.
    Zero where the flight is within 3 degrees of the vertical (no plane yet) or the thrust lies
    across the plane: no turn held there."""
    n = np.cross(pos, vel)
    nn = np.sqrt(einsum("ij,ij->i", n, n))
    rv = np.sqrt(einsum("ij,ij->i", pos, pos) * einsum("ij,ij->i", vel, vel))
    ok = nn > 0.05 * rv
    n = np.where(ok[:, None], n / np.maximum(nn, 1e-300)[:, None], 0.0)
    return np.cross(n, u)


def boost_jerk_q(
    x: np.ndarray, P: np.ndarray, cfg: TrackerConfig, since_fix: np.ndarray | None = None
) -> np.ndarray:
    """``thrust_jerk_q`` of boost-mode estimates ``x`` (n, 10), ``P``: along their
    ``thrust_axis``, the thrust their estimate's magnitude plus its sigma (a thrust not yet
    known is not known to be small: its growth and turn are those of the larger), at their
    estimated speed, position and velocity, their turn held ``since_fix`` (n,) s."""
    a = x[:, 6:9]
    a2 = einsum("ij,ij->i", a, a)
    var = np.trace(P[:, 6:9, 6:9], axis1=1, axis2=2)
    thrust = np.sqrt(a2) + np.sqrt(var)
    v = x[:, 3:6]
    speed = np.sqrt(einsum("ij,ij->i", v, v))
    u = thrust_axis(x, P)
    q = thrust_jerk_q(u, thrust, speed, x[:, 0:3], cfg, v)
    if since_fix is not None:
        q += held_turn_q(u, np.sqrt(a2 + var), x[:, 0:3], v, since_fix)
    return q


def jerk_noise(dt: np.ndarray, qj: np.ndarray) -> np.ndarray:
    """Q (n, 10, 10) over ``dt`` (n,) s of a white jerk of spectral density ``qj`` (n, 3, 3)
    on the thrust acceleration (``motion.process_noise``'s jerk terms, a matrix per track)."""
    d = np.abs(np.asarray(dt, dtype=float))[:, None, None]
    n = d.shape[0]
    Q = np.zeros((n, NX, NX))
    d2 = d * d
    d3 = d2 * d
    p, v, a = slice(0, 3), slice(3, 6), slice(6, 9)
    Q[:, p, p] = qj * d3 * d2 / 20.0
    Q[:, p, v] = Q[:, v, p] = qj * d2 * d2 / 8.0
    Q[:, v, v] = qj * d3 / 3.0
    Q[:, p, a] = Q[:, a, p] = qj * d3 / 6.0
    Q[:, v, a] = Q[:, a, v] = qj * d2 / 2.0
    Q[:, a, a] = qj * d
    return Q


def staging_probability(dt: np.ndarray) -> np.ndarray:
    """Probability (n,) that a boosting object's stage burns out and the next one lights within
    ``dt`` (n,) s: the catalogue's stagings per second of burn (``STAGING_RATE_PER_S``)."""
    return -np.expm1(-np.abs(np.asarray(dt, dtype=float)) * STAGING_RATE_PER_S)


def staged_prior(x: np.ndarray, P: np.ndarray, dt: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The boost mode's estimate ``x`` (n, 10), ``P`` (n, 10, 10) at the start of a step of
    ``dt`` (n,) s in which its stage burns out and the next lights (a staging without coast):
    the old thrust cut at a time uniform over the step (``burnout_within``), the new one any
    the catalogue's upper stages give at ignition (``STAGE_THRUST_MPS2`` ±
    ``STAGE_THRUST_SIGMA_MPS2``), along the old thrust's direction (the stack's axis does not
    turn at staging; the velocity's where the old thrust's direction is unknown), with the old
    direction's uncertainty across it. The new thrust is independent of the rest of the
    state. (Lighting it at the step's start rather than at the burnout leaves out at most
    ``a dt²/2`` of the new thrust's push, well inside its sigma.)"""
    xs, Ps = burnout_within(x, P, dt)
    u, known, amag = _thrust_direction(x, P)
    across = np.eye(3)[None] - u[:, :, None] * u[:, None, :]
    # The direction's spread: the old thrust's covariance across it over its magnitude
    # squared, or, along the velocity, a sigma of one radian (no knowledge).
    rel = np.where(
        known[:, None, None],
        across @ P[:, 6:9, 6:9] @ across / np.maximum(amag, 1e-9)[:, None, None] ** 2,
        across,
    )
    m2 = STAGE_THRUST_MPS2**2 + STAGE_THRUST_SIGMA_MPS2**2
    xs[:, 6:9] = STAGE_THRUST_MPS2 * u
    Ps[:, 6:9, :] = 0.0
    Ps[:, :, 6:9] = 0.0
    Ps[:, 6:9, 6:9] = STAGE_THRUST_SIGMA_MPS2**2 * u[:, :, None] * u[:, None, :] + m2 * rel
    return xs, Ps


def burn_survival(tau: np.ndarray) -> np.ndarray:
    """Fraction of the catalogue's burns still going ``tau`` s after the object was first seen
    thrusting (a lower bound of the time since liftoff, so the burn may end sooner)."""
    end = 1.1 * BURNS_S + 10.0
    z = (end[None, :] - np.asarray(tau, dtype=float)[:, None]) / 5.0
    return (0.5 * erfc(-z / math.sqrt(2.0))).mean(axis=1)


def burnout_probability(
    t_base: np.ndarray, thrust_t0: np.ndarray, t: float, cfg: TrackerConfig
) -> np.ndarray:
    """Probability (n,) that thrust ends between the mode estimates of tracks (their time
    ``t_base`` (n,) s, first seen thrusting at ``thrust_t0`` (n,) s, +inf: never) and ``t``:
    a rate of ``1 / boost_dwell_s`` (a burn cut short, a vehicle not in the
    catalogue), and the burns of the catalogue's vehicles (``lookout/physics/vehicles.yaml``:
    28 s to 470 s from liftoff), as the survival ``S(τ)`` of a burn that has lasted ``τ``
    since the object was first seen thrusting: ``1 - S(τ + dt) / S(τ)``. A boost mode
    cannot outlast every vehicle's burn: a track seen thrusting and lost, flown on
    unseen, comes out of boost by the end of the longest burn at the latest, where the
    dwell alone would have let it accelerate for minutes more."""
    imm = compiled_imm()
    if imm is not None:
        return imm.burnout_probability(
            np.ascontiguousarray(t_base, dtype=float),
            np.ascontiguousarray(thrust_t0, dtype=float),
            float(t),
            float(cfg.boost_dwell_s),
        )
    dt = np.abs(t - t_base)
    p = -np.expm1(-dt / cfg.boost_dwell_s)
    t0 = thrust_t0
    seen = np.isfinite(t0)
    if seen.any():
        tau = np.maximum(t_base[seen] - t0[seen], 0.0)
        s0 = burn_survival(tau)
        s1 = burn_survival(tau + dt[seen])
        keep = np.where(s0 > 0.0, s1 / np.maximum(s0, 1e-300), 0.0)
        p[seen] = 1.0 - (1.0 - p[seen]) * np.clip(keep, 0.0, 1.0)
    return p


def transition(
    xm: np.ndarray,
    Pm: np.ndarray,
    dt: np.ndarray,
    p_bc: np.ndarray,
    cfg: TrackerConfig,
    lifting: np.ndarray | None = None,
):
    """The Markov switch between the modes over ``dt`` (n,) s: transition probabilities
    ``Pi`` (n, i, j) from mode i to mode j, boost to coast ``p_bc`` (``burnout_probability``),
    coast to boost at ``1 / coast_dwell_s``, coast to manoeuvre where lift is possible
    (``manoeuvre.onset_probability``: ``p_cm``, of which ``p_apo`` is the onset at apogee),
    manoeuvre back to coast. Returns ``Pi``, ``p_cm``, ``p_apo``.

    ``lifting`` (n,): tracks seen lifting (``manoeuvre.seen_lifting``), lifting airframes,
    which fly their lift law from apogee until their speed falls to their dive speed
    (``lookout.physics.dynamics``): their manoeuvre mode is that law, zero lift included, and
    ends only as the speed crosses one of the catalogue's dive speeds
    (``manoeuvre.dive_probability``), not at the dwell; their coast mode, while negligible, is
    the dive begun since the last update (``reseed_boost``). With the dwell (1/300 s), slbm's
    lift law passing through zero (its hold, 345-360 s, at 1,200 m/s) went to the coast mode
    within 6 s and came back 25 s later (NEES 25-290 meanwhile; coast NEES in bounds 0.80 ->
    0.90 with the dive). After the dive the coast mode may still go back to manoeuvring at
    the onset rate, as any coasting body: the catalogue's lift laws do not re-engage, but with
    that onset (and the reseeding of a negligible manoeuvre mode) kept out, hgv's dive was
    followed by the coast mode alone, 1.5-2 sigma off in position (reentry NEES in bounds
    0.88 -> 0.85), which the onset hypothesis's spread had covered. A track not seen lifting
    has no onset at the rate (the catalogue's lift laws engage at apogee, the onset there
    covers them): its manoeuvre mode is held at its floor where the rate would have fed it
    (``held_at_floor``, ``mix``); fed at 1/100 s, srbm-salvo's ballistic reentry vehicles had
    it at 3-9 %, its spread in their covariances (reentry NEES in bounds 0.61; 0.74 held)."""
    n = dt.size
    imm = compiled_imm()
    if imm is not None:
        lifts = np.zeros(n, dtype=bool) if lifting is None else np.asarray(lifting, dtype=bool)
        p_dive = np.zeros(n)
        if lifts.any():
            p_dive = manoeuvre.dive_probability(xm[:, MANOEUVRE], dt, cfg.manoeuvre)
        return imm.transition(
            np.ascontiguousarray(xm, dtype=float),
            np.ascontiguousarray(Pm, dtype=float),
            np.ascontiguousarray(dt, dtype=float),
            np.ascontiguousarray(p_bc, dtype=float),
            np.ascontiguousarray(lifts),
            np.ascontiguousarray(p_dive, dtype=float),
            imm.cached_params(cfg),
        )
    p_cb = -np.expm1(-np.abs(dt) / cfg.coast_dwell_s)
    Pi = np.zeros((n, NMODE, NMODE))
    Pi[:, 0, 0], Pi[:, 0, 1] = 1.0 - p_bc, p_bc
    # --- manoeuvre mode: entered from coast where lift is possible, left back to coast ---
    mcfg = cfg.manoeuvre
    lifts = np.zeros(n, dtype=bool) if lifting is None else np.asarray(lifting, dtype=bool)
    p_cm, p_apo = manoeuvre.onset_probability(
        xm[:, COAST], Pm[:, COAST], dt, mcfg, True, rate=lifts
    )
    p_mc = manoeuvre.end_probability(dt, mcfg)
    if lifting is not None and lifting.any():
        p_mc = np.where(lifting, manoeuvre.dive_probability(xm[:, MANOEUVRE], dt, mcfg), p_mc)
    # Out of every airframe's envelope, and not seen lifting: no lift law begins or goes on
    # (``left_manoeuvre``).
    left = left_manoeuvre(xm, lifting)
    p_mc = np.where(left, 1.0, p_mc)
    p_cm, p_apo = np.where(left, 0.0, p_cm), np.where(left, 0.0, p_apo)
    Pi[:, 1, 0], Pi[:, 1, 1], Pi[:, 1, 2] = p_cb, 1.0 - p_cb - p_cm, p_cm
    Pi[:, 2, 1], Pi[:, 2, 2] = p_mc, 1.0 - p_mc
    # --- end manoeuvre mode ---
    return Pi, p_cm, p_apo


def left_manoeuvre(xm: np.ndarray, lifting: np.ndarray | None = None) -> np.ndarray:
    """Tracks (N,) whose manoeuvre mode (of mode estimates ``xm`` (N, 3, 10)) can no longer be
    a lifting airframe under its lift law: out of every catalogue airframe's envelope
    (``manoeuvre.beyond_envelope``), and not seen lifting (``lifting``, ``transition``: a body
    seen lifting there is no vehicle of the catalogue, and keeps the mode's dwell)."""
    gone = manoeuvre.beyond_envelope(xm[:, MANOEUVRE])
    if lifting is not None:
        gone &= ~lifting
    return gone


def held_at_floor(
    xm: np.ndarray, Pm: np.ndarray, lifting: np.ndarray | None, mcfg: manoeuvre.ManoeuvreConfig
) -> np.ndarray:
    """Tracks (N,) whose manoeuvre mode, below ``floor_prob``, is held there as a reseeded
    hypothesis rather than fed at the onset rate: not seen lifting, where their coast mode
    could begin to manoeuvre at the rate (``manoeuvre.rate_onset_possible``)."""
    held = manoeuvre.rate_onset_possible(xm[:, COAST], Pm[:, COAST], mcfg)
    if lifting is not None:
        held &= ~np.asarray(lifting, dtype=bool)
    return held


def mix(
    xm: np.ndarray,
    Pm: np.ndarray,
    mu: np.ndarray,
    Pi: np.ndarray,
    dt: np.ndarray,
    rebased: np.ndarray,
    young: np.ndarray,
    p_apo: np.ndarray,
    p_cm: np.ndarray,
    cfg: TrackerConfig,
    lifting: np.ndarray | None = None,
    burn_frames: tuple | None = None,
):
    """IMM mixing of mode estimates ``xm`` (n, 3, 10), ``Pm`` (n, 3, 10, 10) with mode
    probabilities ``mu`` (n, 3) over a step ``dt`` (n,) s of transition probabilities ``Pi``
    (n, i, j) (``transition``; ``p_apo``, ``p_cm`` its onset of the manoeuvre mode;
    ``lifting`` (n,) the tracks seen lifting, as there; ``burn_frames``: the dark infrared
    frames within the step, ``burnout_within``'s ``frames``).
    ``rebased`` (n,): tracks moved forward since their last update (``Tracker._housekeep``);
    ``young`` (n,): tracks whose boost mode keeps its own evidence (``young_boost``).
    Returns the predicted mode probabilities ``c`` (n, 3), the mixing weights ``w`` (n, i, j)
    (mode j's share from mode i) and each mode's mixed prior ``x0`` (n, 3, 10),
    ``P0`` (n, 3, 10, 10), the coast mode's thrust zeroed."""
    n = dt.size
    imm = compiled_imm()
    if imm is not None:
        c, w, x0, P0 = imm.mix(
            np.ascontiguousarray(xm, dtype=float),
            np.ascontiguousarray(Pm, dtype=float),
            np.ascontiguousarray(mu, dtype=float),
            np.ascontiguousarray(Pi, dtype=float),
            np.ascontiguousarray(dt, dtype=float),
            np.ascontiguousarray(rebased, dtype=bool),
            np.ascontiguousarray(young, dtype=bool),
            *_frame_arrays(burn_frames, n),
            np.ascontiguousarray(p_apo, dtype=float),
            np.ascontiguousarray(p_cm, dtype=float),
            np.zeros(n, dtype=bool) if lifting is None else np.ascontiguousarray(lifting, bool),
            imm.cached_params(cfg),
        )
        return c, w, x0, P0
    c, w, x0, P0 = _mix_numpy(xm, Pm, mu, Pi, dt, rebased, young, cfg, burn_frames)
    manoeuvre.mix_onset(P0, w, p_apo, p_cm, xm, Pm, COAST, MANOEUVRE, cfg.manoeuvre)  # manoeuvre
    # --- manoeuvre mode: left where no airframe lifts (``left_manoeuvre``) ---
    # Nothing stays in it or enters it there: its probability is held at the floor, and its
    # estimate is not its own, which nothing would correct (it drifted without bound, to a
    # non-finite covariance), but a fresh hypothesis "lift began since", from the coast mode's
    # prior with the lift prior, as a negligible mode's at an update (``reseed_boost``).
    mcfg = cfg.manoeuvre
    gone = left_manoeuvre(xm, lifting) | held_at_floor(xm, Pm, lifting, mcfg)
    gone &= c[:, MANOEUVRE] < mcfg.floor_prob
    if gone.any():
        rest = c[gone].sum(axis=1) - c[gone, MANOEUVRE]
        c[gone] *= ((1.0 - mcfg.floor_prob) / np.maximum(rest, 1e-300))[:, None]
        c[gone, MANOEUVRE] = mcfg.floor_prob
        w[gone, :, MANOEUVRE] = 0.0
        w[gone, COAST, MANOEUVRE] = 1.0
        x0[gone, MANOEUVRE], P0[gone, MANOEUVRE] = manoeuvre.reseed(
            x0[gone, COAST], P0[gone, COAST], mcfg
        )
    # --- end manoeuvre mode ---
    return c, w, x0, P0


def _mix_numpy(xm, Pm, mu, Pi, dt, rebased, young, cfg: TrackerConfig, burn_frames):
    """``mix``'s weights and mixed priors, the numpy path (``compiled_imm.mix`` the compiled
    one), before the manoeuvre onset's lift prior and the reseeding of a manoeuvre mode left."""
    n = dt.size
    joint = mu[:, :, None] * Pi  # (n, i, j)
    c = joint.sum(axis=1)
    w = joint / np.maximum(c[:, None, :], 1e-300)
    # A mode nothing flows into (a lifting airframe's manoeuvre mode as its speed falls
    # through every dive speed, ``manoeuvre.dive_probability``) keeps its own estimate.
    empty = c <= 0.0
    if empty.any():
        rows, modes = np.nonzero(empty)
        w[rows, modes, modes] = 1.0
    # A negligible boost mode is pruned from the coast mode's mixing (it is only a seed,
    # restarted from the coast mode at each update): its spread would act as process noise.
    # A live boost mode of a track rebased since its last update (``_housekeep``) is not: the
    # probability it hands the coast mode at each rebase is a burnout within that step, so
    # the coast mode takes its estimate too (``burnout_within``). Held at "burnout at the last
    # update", the coast mode's probability counted burnouts at every step since while its
    # estimate held none of them: gen-1-01's payload, lost burning and flown on unseen,
    # coasted 127 km and 1.1 km/s off its object at a 54 m/s sigma (NEES 2e5) once the boost
    # mode fell under ``output_mode_floor`` (issue 13).
    pruned = mu[:, BOOST] < cfg.boost_reseed_prob
    w[pruned, BOOST, COAST] = 0.0
    # --- manoeuvre mode: a negligible one is a seed too, left out of the coast mixing ---
    m_pruned = (mu[:, MANOEUVRE] < cfg.manoeuvre.reseed_prob) | rebased
    w[m_pruned, MANOEUVRE, COAST] = 0.0
    w[:, :, COAST] /= np.maximum(w[:, :, COAST].sum(axis=1, keepdims=True), 1e-300)
    # --- end manoeuvre mode ---
    # A young track's boost mode keeps its own evidence (``young_boost``): the coast mode
    # does not feed it (at 1e-6 the mixing would make it the coast mode, thrust-free).
    if young.any():
        w[young, COAST, BOOST] = w[young, MANOEUVRE, BOOST] = 0.0
        w[young, :, BOOST] /= np.maximum(w[young, :, BOOST].sum(axis=1, keepdims=True), 1e-300)
    # What each mode j takes from mode i: mode i's estimate, but for the boost mode's part in
    # the coast mode, which is the boost mode burnt out at an unknown time within the step
    # (``burnout_within``), not at its start.
    src_x = np.broadcast_to(xm[:, :, None, :], (n, NMODE, NMODE, NX)).copy()
    src_P = np.broadcast_to(Pm[:, :, None], (n, NMODE, NMODE, NX, NX)).copy()
    src_x[:, BOOST, COAST], src_P[:, BOOST, COAST] = burnout_within(
        xm[:, BOOST], Pm[:, BOOST], dt, burn_frames
    )
    x0 = einsum("nij,nijk->njk", w, src_x)
    dx = src_x - x0[:, None, :, :]  # (n, i, j, 10)
    P0 = einsum("nij,nijkl->njkl", w, src_P)
    P0 += einsum("nij,nijk,nijl->njkl", w, dx, dx)
    x0[:, COAST, 6:9] = 0.0
    P0[:, COAST, 6:9, :] = 0.0
    P0[:, COAST, :, 6:9] = 0.0
    return c, w, x0, P0


def reachable_speed(xp: np.ndarray, Pp: np.ndarray, c: np.ndarray) -> np.ndarray:
    """Predicted mode probabilities ``c`` (n, 2) with the boost mode weighted by the
    probability that its speed is one a vehicle can reach: at most the catalogue's largest
    ideal delta-v (``BOOST_SPEED_MAX_MPS``), under the mode's Gaussian along its velocity.
    A boost mode flown unseen accelerates without end (15-25 km/s were seen); no rocket
    does."""
    v = xp[:, BOOST, 3:6]
    speed = np.sqrt(einsum("ij,ij->i", v, v))
    far = speed > 0.5 * BOOST_SPEED_MAX_MPS
    if not far.any():
        return c
    u = v[far] / speed[far, None]
    sig = np.sqrt(np.maximum(einsum("ki,kij,kj->k", u, Pp[far, BOOST, 3:6, 3:6], u), 1.0))
    feasible = 0.5 * erfc((speed[far] - BOOST_SPEED_MAX_MPS) / (math.sqrt(2.0) * sig))
    c = c.copy()
    c[far, BOOST] *= feasible
    total = c[far].sum(axis=1)
    c[far] = np.where(
        total[:, None] > 0.0, c[far] / np.maximum(total, 1e-300)[:, None], [0.0, 1.0, 0.0]
    )
    return c


def young_boost(
    born: np.ndarray, parent: np.ndarray, thrust_t0: np.ndarray, t: float, cfg: TrackerConfig
) -> np.ndarray:
    """Tracks (first detected at ``born``, born next to track ``parent`` (-1: none), first
    seen thrusting at ``thrust_t0``) whose boost mode is the hypothesis they were born with,
    kept with its
    own evidence at ``t`` (not restarted from the coast mode, not fed by it): born on their
    own (no parent) less than ``young_boost_s`` ago and not yet seen thrusting. A radar
    first sees a rocket low in its burn when the data cannot yet tell thrust from none;
    restarted at every update as "thrust began since the last one", the boost mode never
    gathered the evidence of a burn under way (gen-1-02: boost over one half 21 s after
    the track's birth, the rocket taken as coasting meanwhile)."""
    return (t - born < cfg.young_boost_s) & (parent < 0) & ~np.isfinite(thrust_t0)


def reseed_boost(xm, Pm, mu, cfg: TrackerConfig, allowed=None, lifting=None) -> None:
    """Restart a negligible boost mode from the coast mode, with the initiation prior on the
    thrust acceleration: left alone, a boost mode at 1e-5 probability drifts on its own
    (its acceleration follows the noise), and the mixing would carry that drift back into the
    coast estimate. Only where ``allowed`` (default: every row); ``xm``, ``Pm`` changed in
    place. A negligible manoeuvre mode likewise, with the lift prior; and the negligible coast
    mode of the tracks seen lifting (``lifting``, ``transition``), from their manoeuvre mode."""
    r = mu[:, BOOST] < cfg.boost_reseed_prob
    if allowed is not None:
        r &= allowed
    if r.any():
        restart_boost(xm, Pm, r, cfg)
    # --- manoeuvre mode: a negligible one restarts from coast with the lift prior ---
    r = mu[:, MANOEUVRE] < cfg.manoeuvre.reseed_prob
    if r.any():
        xm[r, MANOEUVRE], Pm[r, MANOEUVRE] = manoeuvre.reseed(
            xm[r, COAST], Pm[r, COAST], cfg.manoeuvre
        )
    # A lifting airframe's negligible coast mode is the dive, "the lift released since the
    # last update": restarted from the manoeuvre mode, its lift zeroed. (Fed by nothing while
    # the speed is above every dive speed, slbm's flew on alone to a NEES of 10^6.)
    if lifting is not None:
        r = lifting & (mu[:, COAST] < cfg.manoeuvre.reseed_prob)
        if r.any():
            xm[r, COAST] = xm[r, MANOEUVRE]
            xm[r, COAST, 6:9] = 0.0
            Pm[r, COAST] = Pm[r, MANOEUVRE]
            Pm[r, COAST, 6:9, :] = 0.0
            Pm[r, COAST, :, 6:9] = 0.0
    # --- end manoeuvre mode ---


def restart_boost(xm: np.ndarray, Pm: np.ndarray, rows, cfg: TrackerConfig) -> None:
    """The boost modes of ``rows`` (an index or a mask of mode estimates ``xm`` (n, 3, 10),
    ``Pm``) restarted from the coast mode, with the initiation prior on the thrust
    (``init_acc_sigma_mps2`` per axis: a stage just lit); changed in place."""
    xm[rows, BOOST] = xm[rows, COAST]
    xm[rows, BOOST, 6:9] = 0.0
    Pm[rows, BOOST] = Pm[rows, COAST]
    Pm[rows, BOOST, 6:9, 6:9] = np.eye(3) * cfg.init_acc_sigma_mps2**2


#: A burn's survival (``burn_survival``) under which no vehicle can still be burning.
BURN_SURVIVAL_MIN = 1e-6


def outlived_boost(
    xm: np.ndarray, Pm: np.ndarray, unseen_s: np.ndarray, since_born_s: np.ndarray
) -> np.ndarray:
    """Tracks (n,) whose boost mode (of mode estimates ``xm`` (n, 3, 10), ``Pm``), flown
    unseen for ``unseen_s`` (n,) s since the track's last update, is no burn a vehicle can
    still be in:
    - its thrust's root-mean-square magnitude (``|a|² + tr P_aa``) past the largest any stage
      reaches, at its burnout (``reach.thrust_acceleration_max_mps2`` with ``reach.MARGIN``:
      the cap of ``thrust_growth``);
    - its position's root-mean-square displacement from the coast mode (the ballistic path:
      the mean's offset and the spread the boost mode has beyond the coast mode's) past the
      largest any thrust gives an object over that time (``reach.thrust_displacement_m``);
    - or the object first seen ``since_born_s`` (n,) s ago, longer than any of the
      catalogue's burns lasts from liftoff (``burn_survival`` under ``BURN_SURVIVAL_MIN``: a
      track's birth is no earlier than its object's liftoff).
    A non-finite boost mode is past them too.

    Flown unseen for minutes, a negligible boost mode (a dormant track's) is no hypothesis of
    a burn: gen-middle-east-79-02's AE track 92, dormant from 158 s, flew its young boost
    mode's 75 m/s² on, 8 km off its coast mode 1.5 s after its last update (any thrust: 0.3
    km), its thrust to the cap and held there, its position sigma 1.8e4 km at 320 s."""
    cap = reach.MARGIN * reach.thrust_acceleration_max_mps2()
    a = xm[:, BOOST, 6:9]
    a2 = einsum("ij,ij->i", a, a) + np.trace(Pm[:, BOOST, 6:9, 6:9], axis1=1, axis2=2)
    dp = xm[:, BOOST, 0:3] - xm[:, COAST, 0:3]
    tr_b = np.trace(Pm[:, BOOST, 0:3, 0:3], axis1=1, axis2=2)
    tr_c = np.trace(Pm[:, COAST, 0:3, 0:3], axis1=1, axis2=2)
    d2 = einsum("ij,ij->i", dp, dp) + np.maximum(tr_b - tr_c, 0.0)
    # (Written as "not within", so that a NaN is past it.)
    inside = (a2 <= cap * cap) & (d2 <= reach.thrust_displacement_m(unseen_s) ** 2)
    return ~inside | (burn_survival(np.asarray(since_born_s, dtype=float)) < BURN_SURVIVAL_MIN)


def combine(
    xm: np.ndarray, Pm: np.ndarray, mu: np.ndarray, floor: float = 0.0
) -> tuple[np.ndarray, np.ndarray]:
    """Moment-matched position-velocity mean (n, 6) and covariance (n, 6, 6) of the modes whose
    probability is at least ``floor`` (renormalised)."""
    if floor > 0.0:
        mu = np.where(mu >= floor, mu, 0.0)
        mu = mu / mu.sum(axis=1, keepdims=True)
    imm = compiled_imm()
    if imm is not None:
        return imm.combine(
            np.ascontiguousarray(xm, dtype=float),
            np.ascontiguousarray(Pm, dtype=float),
            np.ascontiguousarray(mu, dtype=float),
        )
    x6 = xm[:, :, :6]
    xbar = einsum("nj,njk->nk", mu, x6)
    dx = x6 - xbar[:, None, :]
    Pbar = einsum("nj,njkl->nkl", mu, Pm[:, :, :6, :6])
    Pbar += einsum("nj,njk,njl->nkl", mu, dx, dx)
    return xbar, Pbar
