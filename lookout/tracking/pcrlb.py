"""Posterior Cramér-Rao lower bound (PCRLB) of one truth object under the tracker's models.

The recursion (Tichavský et al. 1998, additive Gaussian noise form) is

    J_{k+1} = (Q_k + F_k J_k^{-1} F_k^T)^{-1} + Σ_i H_i^T R_i^{-1} H_i,

with the transition ``F_k`` and the measurement Jacobians ``H_i`` evaluated on the truth
trajectory as flown between its samples (``Trajectory.flown_state_at``, the scores' truth), and
the tracker's own motion model and process noise (``motion``) for the truth's phase: the boost
mode (9 states, thrust acceleration as a random walk) while the object truly thrusts, the coast
mode (6 states) otherwise; at burnout the bound is marginalised to position and velocity, at an
ignition the thrust acceleration gets the initiation prior, at a staging without a coast the
tracker's staged prior (``mixing.staged_prior``: the new stage's thrust independent of the old).
The boost mode's noise is the tracker's (``mixing.boost_jerk_q``) at the truth's thrust, with
the bound's own thrust sigma where the tracker takes its estimate's, and the turn held since
the last fix as the tracker holds it (``mixing.turn_held``: a radar detection, or an infrared
line of sight from another satellite than the one before; the data's, so the bound's). With
the white jerk alone at the truth's thrust (before pcrlb53) the bound granted a burn seen by
one satellite the information of a turn drawn afresh every second, which the tracker's model
(turn52) does not have: world77 #05's upper stage, seen by one satellite after the radars,
coast RMSE/PCRLB 1.73 -> 1.50. No step of the recursion crosses a burnout or an ignition
(``_switches``): a step's mode is the truth's at its start, and a boost noise held past the
burnout spread the bound the more the longer the step (1 s on the scores' grid; 34 s from a
burn to a radar's first detection gave 296 m/s where the coast's correlation gives 13).
The tracker's noise is not the bound's: it grows with the tracker's own thrust sigma (world77
#02's ICBM, its burn seen by two satellites: 55 m/s² at its end, the jerk at its 10 m/s³
ceiling on every axis), which the bound, at its own sigma, cannot take; there the track's
velocity sigma at burnout is 291 m/s, the bound's 137, 208 with a 50 m/s² thrust sigma added
to the bound's in its noise.

Assumptions, so that the figure is read right:

- it is conditional on the detections that truly came from the object, at their actual times
  and with their stated ``R`` (no information reduction for clutter or a detection probability
  below one: with ``Pd < 1`` the missed looks are simply absent from the sum);
- the prior is the tracker's initiation prior: an uninformative position (σ = 1000 km), the
  velocity prior ``init_vel_sigma_mps`` and, in boost, ``init_acc_sigma_mps2``; the first
  detection(s) supply the position, as they do for the tracker; where they have not along some
  axis (one satellite's lines of sight alone), no bound is given (``PRIOR_DOMINATED_VAR``);
- the bound is on the mean-square error of the estimate of the state itself; the tracker's IMM
  does not know the phase, so in boost and at transitions it cannot reach it;
- what the tracker cannot hold, the bound forgets: the tracker deletes a track whose position
  sigma exceeds ``delete_pos_sigma_m`` (100 km), and keeps an unpaired infrared line of sight
  only ``ir_pair_max_dt_s`` for another satellite's to cross it. One satellite's lines of sight
  fix two coordinates of three; along them the bound stays at its 1,000 km prior (me62 #03's
  SRBM-2 through its 7 lines of sight and the 51 s to its first radar detection). Carried on,
  their cross-track information would reach that radar detection as no track of this tracker
  can carry it (a one-satellite track, ``tracking.mono``, is fitted to a launch from the ground,
  which the bound does not know, and deleted past 100 km like any): with it the radar track's
  first 20 s were 1.4 times their bound and made 85 % of the file's coast RMSE/PCRLB (1.86).
  So a detection that finds the bound's position vaguer than ``delete_pos_sigma_m`` since more
  than ``ir_pair_max_dt_s`` updates the prior, not what came before;
- ... unless one satellite's lines of sight are a chain the tracker fits (``tracking.mono``:
  ``MONO_MIN_LOS`` lines over ``MONO_MIN_SPAN_S``) of a flight from the ground: its track then
  coasts on that fit (``LocalTrack.coasting_on_fit``) to the next sensor's detection, and so
  does the bound. A launch from the ground is its boost placed by four parameters ``θ``: its
  launch point (2), azimuth (1) and launch time (1), as ``mono.fit_launch`` places a catalogue
  boost; here the truth's own boost is turned about the Earth's centre by a small rotation
  (two components move the launch point over the ground, the third turns the azimuth) and
  flown ``τ`` later, ``x(t; ω, τ) = R(ω) x_truth(t - τ)``, whose derivatives ``G(t)`` (6 x 4,
  ``_launch_jacobian``) come from the truth's state and its rate. The Fisher information of
  ``θ`` in all the object's detections is ``J_θ = Σ_i G_iᵀ H_iᵀ R_i⁻¹ H_i G_i`` and the state's
  bound ``G(t) J_θ⁻¹ G(t)ᵀ`` (the Cramér-Rao bound of a function of ``θ``); at the first
  detection from another sensor that is the bound's prior, in place of the initiation
  prior's restart (world71 #07's IRBM, seen by one satellite then by a radar three times in
  44 s: coast PCRLB 78 km, its track's coast RMSE 1.2 km; now 0.69 km, RMSE/PCRLB 0.01 ->
  1.11). It is a lower bound for any estimator with the same lines of sight and no more of
  the boost than its vehicle's catalogue: knowing the truth's boost exactly (its pitch-over,
  which the catalogue only grids, ``mono._between_kicks``) gives information a fit over the
  catalogue does not have, and more information only lowers a Cramér-Rao bound. Its rank is
  four: it claims two combinations of position and velocity known until noise and the next
  sensor's detections (updated in covariance form, ``P (I + I_k P)⁻¹``) fill them in. Where no
  sensor takes over, the one-satellite stretch keeps no bound (``PRIOR_DOMINATED_VAR``): a
  fit's catalogue miss is kilometres and hundreds of m/s there (``mono._between_kicks``), far
  from what the truth's own boost gives. Through a radar's long coast after the hand-over the
  fit still binds (a flight through its launch point, on its known boost): world71 #03's MRBM
  397 -> 93 m, RMSE/PCRLB 0.43 -> 1.83; the tracker's radar track does not use its launch.
  Freeing the pitch-over and the cut-off too (six parameters, the cut-off told to a frame by
  the plume going out) was tried: world71 #07's bound rose to 3.1 km, four times its track's
  error (the catalogue's full burns are information a fit has), so no lower bound.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from lookout.geodesy import ecef_to_geodetic, enu_basis
from lookout.messages import Detection
from lookout.timebase import ns_to_s
from lookout.tracking import measure
from lookout.tracking.config import TrackerConfig
from lookout.tracking.mixing import (
    STAGE_THRUST_MPS2,
    STAGE_THRUST_SIGMA_MPS2,
    boost_jerk_q,
    jerk_noise,
)
from lookout.tracking.mono import MONO_MIN_LOS, MONO_MIN_SPAN_S
from lookout.tracking.motion import NX, acceleration, process_noise, propagate, white_accel_q

#: Position prior σ (m) of the bound: uninformative; the first detections fix the position.
PRIOR_POS_SIGMA_M = 1e6
#: Where the bound's position variance along some axis exceeds half the prior's, the
#: detections gave less information along it than the prior: the bound is the prior's, not
#: theirs, and none is given (NaN). One satellite's lines of sight alone leave the position
#: along them to the prior (1000 km), while the tracker knows it from the boost it fits
#: (``mono``): me47 #01's coast RMSE/PCRLB read 0.0017.
PRIOR_DOMINATED_VAR = 0.5 * PRIOR_POS_SIGMA_M**2
#: States of the bound in boost: position, velocity, thrust acceleration (no drag coefficient:
#: drag is white acceleration noise of the lightest expected body, ``motion.white_accel_q``).
_NB = 9
#: The launch's parameters (``_launch_jacobian``) are a small rotation of the flight about the
#: Earth's centre (3, as metres at this radius) and a shift of its launch time (s).
_R_EARTH_M = 6371e3
#: A flight is from the ground (the launch family applies) where it starts this low (m): a pad,
#: or a submarine's launch depth.
GROUND_LAUNCH_MAX_ALT_M = 1e3


@dataclass(frozen=True)
class PcrlbResult:
    """The bound at ``t`` (T,) s: RMS position ``pos_m`` (T,) and velocity ``vel_mps`` (T,)
    errors (square roots of the traces of J^-1's blocks; NaN before the first detection), and the
    truth's ``phase`` (T,) (0 boost, 1 coast, 2 reentry)."""

    t: np.ndarray
    pos_m: np.ndarray
    vel_mps: np.ndarray
    phase: np.ndarray


def _information(dets: list[Detection], state: np.ndarray, geometry) -> np.ndarray:
    """Σ H^T R^-1 H (6, 6) of detections at one instant, Jacobians at the truth ``state``."""
    info = np.zeros((6, 6))
    x = state[None, :]
    for d in dets:
        s = np.asarray(d.sensor_pos_ecef_m, dtype=float)
        R = np.asarray(d.R, dtype=float)
        m = R.shape[0]
        if d.kind == "radar":
            _, H = measure.radar(x[:, :3], x[:, 3:6], s, np.zeros(3), geometry(s), m)
        else:
            _, H = measure.infrared(x[:, :3], s)
        H = H[0]
        info += H.T @ np.linalg.solve(R, H)
    return info


def _skew(a: np.ndarray) -> np.ndarray:
    """The cross-product matrices (..., 3, 3) of ``a`` (..., 3): ``_skew(a) @ b == a x b``."""
    z = np.zeros(a.shape[:-1])
    return np.stack(
        [
            np.stack([z, -a[..., 2], a[..., 1]], -1),
            np.stack([a[..., 2], z, -a[..., 0]], -1),
            np.stack([-a[..., 1], a[..., 0], z], -1),
        ],
        -2,
    )


def _launch_jacobian(state: np.ndarray, acc: np.ndarray, extra=None) -> np.ndarray:
    """The derivatives (..., 6, 4) of a ground launch's state ``state`` (..., 6) in the launch's
    four parameters, the flight turned about the Earth's centre by a small rotation ``w`` (3,
    rad, scaled to metres at ``_R_EARTH_M``) and flown ``tau`` s later: ``p -> p + w x p -
    v tau``, ``v -> v + w x v - a tau`` (``acc`` (..., 3), the state's rate of velocity change).
    ``extra``: (thrust acceleration, its rate) (..., 3) each, for the boost mode's three more
    rows. Turning the flight moves its launch point over the ground (two) and turns its azimuth
    (the third), as a catalogue boost is placed (``mono.fit_launch``)."""
    rows = [(state[..., :3], state[..., 3:6]), (state[..., 3:6], acc)]
    if extra is not None:
        rows.append(extra)
    return np.concatenate(
        [np.concatenate([-_skew(r) / _R_EARTH_M, -d[..., None]], -1) for r, d in rows], -2
    )


def pcrlb(
    trajectory,
    detections: Sequence[Detection],
    config: TrackerConfig | None = None,
    times: np.ndarray | None = None,
) -> PcrlbResult:
    """The PCRLB of ``trajectory`` (``physics.trajectory.Trajectory``) given the ``detections`` that
    truly came from it, evaluated at ``times`` (s; default: the distinct detection times)."""
    cfg = config or TrackerConfig()
    by_time: dict[int, list[Detection]] = {}
    for d in detections:
        if d.sensor_pos_ecef_m is not None:
            by_time.setdefault(d.t_ns, []).append(d)
    det_t = np.array(sorted(by_time), dtype=np.int64)
    det_s = ns_to_s(det_t)
    times = det_s.copy() if times is None else np.atleast_1d(np.asarray(times, dtype=float))
    T = times.size
    pos_m = np.full(T, np.nan)
    vel_mps = np.full(T, np.nan)
    phase_idx = trajectory.sample_index_at(times)
    phase = np.asarray(trajectory.phase)[phase_idx].astype(np.int64)
    if det_t.size == 0:
        return PcrlbResult(times, pos_m, vel_mps, phase)

    bases: dict[bytes, np.ndarray] = {}

    def geometry(s):
        key = s.tobytes()
        if key not in bases:
            lat, lon, _ = ecef_to_geodetic(s)
            bases[key] = enu_basis(lat, lon)
        return bases[key]

    # Events: (time, kind) with kind 0 = detections (by index), 1 = evaluation (by index);
    # detections at an instant come before its evaluation.
    events = [(float(t), 0, i) for i, t in enumerate(det_s)]
    events += [(float(t), 1, i) for i, t in enumerate(times)]
    # A staging without a coast between (one stage burns out as the next lights) gives the
    # thrust the tracker's staged prior (``mixing.staged_prior``), before that instant's
    # detections: the new stage's thrust is independent of the old one's.
    events += [(float(t), -1, 0) for t in _stagings(trajectory)]
    # No step crosses a burnout or an ignition: the mode of a step is the truth's at its start,
    # and a boost mode's noise held over a coast after it would spread the bound the more the
    # longer the step (a radar's first detection 34 s after the burn: 296 m/s, 869 with the
    # held turn, 13 with the step cut at the burnout).
    events += [(float(t), -2, 0) for t in _switches(trajectory)]
    events.sort()
    # The truth as flown at every event time, in one call (``Trajectory.flown_state_at``).
    ev_t = np.unique([e[0] for e in events])
    ev_x = trajectory.flown_state_at(ev_t)

    def truth(tq: float) -> np.ndarray:
        return ev_x[np.searchsorted(ev_t, tq)]

    def prior(boost: bool) -> np.ndarray:
        nx = _NB if boost else 6
        P = np.zeros((nx, nx))
        P[:3, :3] = np.eye(3) * PRIOR_POS_SIGMA_M**2
        P[3:6, 3:6] = np.eye(3) * cfg.init_vel_sigma_mps**2
        if boost:
            P[6:, 6:] = np.eye(3) * cfg.init_acc_sigma_mps2**2
        return P

    # A flight from the ground keeps the information of its launch's four parameters from all
    # its detections (``launch_info``, module doc), for when one satellite's lines of sight are
    # all the bound has (``chain``: their times, while the bound's position is vague).
    ground = (
        trajectory.parent_id is None and abs(float(trajectory.alt[0])) <= GROUND_LAUNCH_MAX_ALT_M
    )
    if ground:
        ev_a = _rate(trajectory, ev_t)
    launch_info = np.zeros((4, 4))
    chain: list[float] = []
    chain_sensor = None

    def launch_bound(tq: float, nx: int) -> np.ndarray | None:
        """The launch fit's bound (nx, nx) at ``tq`` where one satellite's chain is one the
        tracker fits (``mono.MONO_MIN_LOS`` over ``MONO_MIN_SPAN_S``) and the fit is within what
        a track may hold; else None."""
        if not ground or len(chain) < MONO_MIN_LOS or chain[-1] - chain[0] < MONO_MIN_SPAN_S:
            return None
        w = np.linalg.eigvalsh(launch_info)
        if w[0] <= w[-1] * 1e-15:
            return None
        k = np.searchsorted(ev_t, tq)
        extra = None
        if nx == _NB:
            extra = _thrust_and_rate(trajectory, tq)
        G = _launch_jacobian(ev_x[k], ev_a[k], extra)
        Pf = G @ np.linalg.solve(launch_info, G.T)
        Pf = 0.5 * (Pf + Pf.T)
        if np.trace(Pf[:3, :3]) > cfg.delete_pos_sigma_m**2:
            return None
        return Pf

    P = None
    boost = False
    t_prev = None
    vague_since = None  # when the bound's position last became vaguer than a track may be
    fitted = False  # P started from a launch fit (rank 4 at most: updated in covariance form)
    fix_t = -np.inf  # the tracker's last fix (``TrackStore.fix_t``) and infrared sensor
    ir_last = None
    for t, what, i in events:
        if P is None:
            if what != 0:
                continue
            boost = bool(trajectory.thrusting_at(t))
            P = prior(boost)
            t_prev = fix_t = t
        elif t > t_prev:
            state = truth(t_prev)
            thrust = bool(trajectory.thrusting_at(t_prev))
            if thrust and not boost:
                P9 = np.zeros((_NB, _NB))
                P9[:6, :6] = P
                P9[6:, 6:] = np.eye(3) * cfg.init_acc_sigma_mps2**2
                P = P9
            elif boost and not thrust:
                P = P[:6, :6]
            boost = thrust
            x = np.zeros((1, NX))
            x[0, :6] = state
            dt = np.array([t - t_prev])
            _, F = propagate(x, dt, cfg.max_step_s)
            Q = process_noise(dt, white_accel_q(x[:, :3], x[:, 3:6], cfg), 0.0)
            if boost:  # the tracker's thrust jerk (``mixing.boost_jerk_q``) at the truth
                x[0, 6:9] = _thrust_and_rate(trajectory, t_prev)[0]
                Pq = np.zeros((1, NX, NX))
                Pq[0, :_NB, :_NB] = P
                since_fix = np.array([0.5 * (t_prev + t) - fix_t])
                Q += jerk_noise(dt, boost_jerk_q(x, Pq, cfg, since_fix))
            nx = P.shape[0]
            F, Q = F[0][:nx, :nx], Q[0][:nx, :nx]
            P = F @ P @ F.T + Q
            t_prev = t
        if what == 0:
            state = truth(t)
            if not np.all(np.isfinite(state)):
                continue
            dets = by_time[int(det_t[i])]
            alone = (
                all(d.kind == "infrared" for d in dets) and len({d.sensor_id for d in dets}) == 1
            )
            own = alone and dets[0].sensor_id == chain_sensor
            Pf = None if own or vague_since is None else launch_bound(t, P.shape[0])
            if Pf is not None:
                P = Pf  # another sensor takes up the one satellite's fitted launch (module doc)
                fitted = True
            elif vague_since is not None and t - vague_since > cfg.ir_pair_max_dt_s:
                P = prior(boost)  # what no track could hold is forgotten (module doc)
                fix_t = t
                fitted = False
                vague_since = None
            info = _information(dets, state, geometry)
            for d in dets:  # the tracker's fixes of the thrust's turn (``TrackStore.fix_t``)
                if d.kind != "infrared":
                    fix_t = t
                else:
                    if ir_last is not None and d.sensor_id != ir_last:
                        fix_t = t
                    ir_last = d.sensor_id
            if ground:
                G = _launch_jacobian(state, ev_a[np.searchsorted(ev_t, t)])
                launch_info += G.T @ info @ G
            if fitted:
                Ji = np.zeros_like(P)
                Ji[:6, :6] = info
                P = np.linalg.solve(np.eye(P.shape[0]) + P @ Ji, P)  # (P^-1 + Ji)^-1
            else:
                J = np.linalg.inv(P)
                J[:6, :6] += info
                P = np.linalg.inv(J)
            P = 0.5 * (P + P.T)
            if np.trace(P[:3, :3]) <= cfg.delete_pos_sigma_m**2:
                vague_since = None
                chain, chain_sensor = [], None
            else:
                if vague_since is None:
                    vague_since = t
                if not own:
                    chain, chain_sensor = [], dets[0].sensor_id if alone else None
                if chain_sensor is not None:
                    chain.append(t)
        elif what == -1:
            if boost:
                P = _staged(P, _thrust_and_rate(trajectory, t - _STAGED_LEAD_S)[0])
        elif what == -2:
            pass  # a burnout or an ignition: the next step takes the new mode
        elif np.linalg.eigvalsh(P[:3, :3])[-1] <= PRIOR_DOMINATED_VAR:
            pos_m[i] = np.sqrt(np.trace(P[:3, :3]))
            vel_mps[i] = np.sqrt(np.trace(P[3:6, 3:6]))
    return PcrlbResult(times, pos_m, vel_mps, phase)


def _switches(trajectory) -> np.ndarray:
    """Times (s) at which ``trajectory``'s engines go out or light: the samples whose step
    thrusts or not unlike the one before."""
    th = np.asarray(trajectory.thrusting, dtype=bool)
    return np.asarray(trajectory.t, dtype=float)[1:][th[1:] != th[:-1]]


def _stagings(trajectory) -> list[float]:
    """Times (s) of ``trajectory``'s stagings without a coast between: a stage separates while
    an engine burns just before and just after (the next stage lit at once)."""
    out = []
    for e in trajectory.events:
        if e.name != "stage_separation":
            continue
        around = np.array([e.t - _STAGED_LEAD_S, e.t + _STAGED_LEAD_S])
        if np.all(trajectory.thrusting_at(around)):
            out.append(float(e.t))
    return out


#: How long before a staging (s) the old stage's thrust is read: its last push, not the jump.
_STAGED_LEAD_S = 0.5


def _staged(P: np.ndarray, thrust: np.ndarray) -> np.ndarray:
    """The bound's boost-mode covariance ``P`` (9, 9) with its thrust made the tracker's staged
    prior (``mixing.staged_prior``): the new thrust independent of the rest of the state, its
    magnitude ``STAGE_THRUST_MPS2`` ± ``STAGE_THRUST_SIGMA_MPS2`` along the old ``thrust``'s
    direction (3,), that direction's uncertainty across it (the bound's, over its
    magnitude squared; a radian where the bound does not know it)."""
    amag = float(np.linalg.norm(thrust))
    asig = float(np.sqrt(np.trace(P[6:9, 6:9])))
    u = thrust / max(amag, 1e-9)
    across = np.eye(3) - np.outer(u, u)
    if amag > 2.0 * asig:
        rel = across @ P[6:9, 6:9] @ across / amag**2
    else:
        rel = across
    m2 = STAGE_THRUST_MPS2**2 + STAGE_THRUST_SIGMA_MPS2**2
    P = P.copy()
    P[6:9, :] = 0.0
    P[:, 6:9] = 0.0
    P[6:9, 6:9] = STAGE_THRUST_SIGMA_MPS2**2 * np.outer(u, u) + m2 * rel
    return P


def _rate(trajectory, t: np.ndarray, h: float = 0.25) -> np.ndarray:
    """The truth's rate of velocity change (T, 3) m/s² at ``t`` (T,) s, as flown: the central
    difference over ``±h`` s (one-sided at the flight's ends)."""
    lo = np.maximum(t - h, trajectory.t_start)
    hi = np.minimum(t + h, trajectory.t_end)
    v = trajectory.flown_state_at(np.concatenate([lo, hi]))[:, 3:6]
    span = np.maximum(hi - lo, 1e-9)[:, None]
    return (v[t.size :] - v[: t.size]) / span


def _thrust_and_rate(trajectory, t: float, h: float = 0.25) -> tuple[np.ndarray, np.ndarray]:
    """The truth's non-gravitational acceleration (3,) m/s² at ``t`` and its rate (3,) m/s³,
    central differences over ``±h`` s (the boost mode's state, for ``_launch_jacobian``)."""
    tq = np.array([t - h, t, t + h])
    s = trajectory.flown_state_at(tq)
    a = _rate(trajectory, tq, h) - acceleration(s[:, :3], s[:, 3:6])
    a = np.nan_to_num(a)
    return a[1], (a[2] - a[0]) / (2.0 * h)
