"""Closely spaced objects: a stage and its payload, two reentry vehicles, seen by the radars
as one blur of detections (``Formations``).

Two tracks moving together that share a scan's detections get them in along-track order, the
older track the detection ahead (``Formations.order_siblings``), with the separation speed of
the pair learned on a grid (``SEPARATION_GRID_MPS``). A track born next to another (a stage
pushed off its payload) coasting with it above the air is updated with it as a *formation*
(``update_formation``): both tracks with every detection of either object in the order
decided, the partner's measuring the track's state less or plus the pair's relative state,
which each track carries as a state of its own with its cross-covariance (started from a push
along the velocity at the parting, learned from the pair's detections).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.special import expit, log_ndtr

from lookout.geodesy import GM_EARTH
from lookout.physics.einsum import einsum
from lookout.physics.trajectory import REENTRY_ALTITUDE_M
from lookout.tracking import measure
from lookout.tracking.config import TrackerConfig
from lookout.tracking.lse import logsumexp
from lookout.tracking.mixing import BOOST, COAST, MANOEUVRE, NMODE
from lookout.tracking.motion import (
    KAPPA,
    KAPPA_UNIT,
    NX,
    altitude_approx,
    density_and_slope,
    numpy_step,
    propagate,
)
from lookout.tracking.scans import Scan

_LOG_2PI = math.log(2.0 * math.pi)

#: Grid of the separation speed of two closely spaced objects (m/s), log-uniform prior from
#: 0.1 m/s (springs) to 100 m/s (a stage falling behind a thrusting stack), see
#: ``Formations.order_siblings``.
_SPEEDS = np.geomspace(0.1, 100.0, 600)
#: Signed: positive, the younger track's object behind the older's (pushed back, the usual
#: case); negative, ahead (the older track lost its object at burnout and the younger ones
#: were born next to each other in the wrong order). Prior: 90 % behind.
SEPARATION_GRID_MPS = np.concatenate([-_SPEEDS[::-1], _SPEEDS])
_SEPARATION_PRIOR = np.concatenate(
    [np.full(_SPEEDS.size, math.log(0.1)), np.full(_SPEEDS.size, math.log(0.9))]
)
#: ... of a pair born together (``store.TrackStore.twin``): which track is the older is the
#: order of the scan's detections, so either is ahead as likely.
_TWIN_PRIOR = np.full(SEPARATION_GRID_MPS.size, math.log(0.5))
#: Grid of the difference of two siblings' thrusts along the stack's axis (m/s²), signed as
#: ``SEPARATION_GRID_MPS`` (positive: the older track's object ahead), log-uniform from
#: 0.5 m/s² to the catalogue's largest thrust (284 m/s²): the next stage's thrust, of a pair
#: parted at a staging (``Formations.order_siblings``).
_THRUSTS = np.geomspace(0.5, 300.0, 300)
THRUST_GRID_MPS2 = _A = np.concatenate([-_THRUSTS[::-1], _THRUSTS])


def _staging_share() -> float:
    """Of the partings of a piece from a thrusting rocket in the catalogue, the share that
    are stagings (the stack burns on) rather than its last burnout (every piece coasts): 9
    stagings and 15 last burnouts, 0.375."""
    from lookout.physics.vehicles import catalogue

    vehicles = catalogue().values()
    stagings = sum(len(v.stages) - 1 for v in vehicles)
    return stagings / (stagings + len(vehicles))


STAGING_SHARE = _staging_share()
#: Log prior of each cell of the two families of a pair parted at a thrusting track, a push
#: (``SEPARATION_GRID_MPS``) or a staging (``THRUST_GRID_MPS2``), each normalised over its
#: grid, 90 % to the younger behind as ``_SEPARATION_PRIOR``.
_SIGN_PRIOR_T = np.concatenate(
    [np.full(_THRUSTS.size, math.log(0.1)), np.full(_THRUSTS.size, math.log(0.9))]
)
_PUSH_PRIOR_SPLIT = math.log(1.0 - STAGING_SHARE) - math.log(_SPEEDS.size)
_THRUST_PRIOR_SPLIT = _SIGN_PRIOR_T + math.log(STAGING_SHARE) - math.log(_THRUSTS.size)
#: Variance (m²/s²) of the grid's rounding of the speed: its relative spacing, 1.2 %, at 3 m/s
#: is 0.035 m/s, which after ten minutes is 20 m.
_GRID_STEP = _SPEEDS[1] / _SPEEDS[0] - 1.0
#: A pair's relative motion is found again from the older track's estimate this often (s).
REANCHOR_S = 20.0
#: ... or as soon as the older's velocity turns this far (rad) from the reference's: 1 mrad is
#: 3 m at 3 m/s for 1,000 s.
REANCHOR_ANGLE_RAD = 1e-3


#: What the one-push motion of a pair leaves out, for the prior of its relative state
#: (``_relative_prior``): the time of the parting, taken as the older's burnout or the
#: younger's first detection (s; gen-1-00's stage parted 1.2 s before the tracker's burnout
#: time), and the push's direction off the velocity at the parting (rad; springs push along
#: the stack's axis, which above the air at burnout is the velocity's to a degree or so), to
#: which the older's velocity error at the formation's start is added. Choices, not fits: the
#: pair's detections learn the relative state within a few scans where the radar measures it
#: (range, range rate); across the line of sight a looser prior costs the track little of its
#: partner's detection, a few metres against hundreds (0.05 rad at any time: the same
#: figures on irbm-overflight, gen-1-00's coast NEES in bounds 0.84 against 0.89).
PARTING_TIME_SIGMA_S = 2.0
PUSH_DIRECTION_SIGMA_RAD = 0.01


def unseen_parting_time_sigma(cfg: TrackerConfig) -> float:
    """Root mean square (s) of how long before the younger's first detection a pair parted
    that no track saw part (``unseen_parting``: its parent never seen thrusting, ``parted``
    that detection): up to ``separation_lookback_s`` (the radars resolve a parted pair within
    it), taken as uniform over it, ``L / sqrt(3)`` about the first detection, with
    ``PARTING_TIME_SIGMA_S`` besides. me72 #02's RV, its track started by radar 6 s after the
    burnout it did not see, its stage's 8 s later: parted 13.6 s before the stage's first
    detection, 46 m at its 3.4 m/s, where ``PARTING_TIME_SIGMA_S`` alone allowed the relative
    state's prior 7 m (NEES 100-400 for 500 s)."""
    return math.hypot(PARTING_TIME_SIGMA_S, cfg.separation_lookback_s / math.sqrt(3.0))


def _relative_prior(
    speed, tau, sig_pos, sig_vel, sig_dir, sig_t=PARTING_TIME_SIGMA_S
) -> np.ndarray:
    """Covariance (k, 6, 6) of what the one-push motion leaves out of a pair's relative state,
    ``tau`` (k,) s after their parting at ``speed`` (k,) m/s (root mean square over its
    posterior: a speed known only in size and not in sign has mean 0, yet its pair drifts
    apart): the parting's time (``sig_t`` s, scalar or (k,), ``PARTING_TIME_SIGMA_S`` for a
    parting seen; ``speed`` times it in position) and the push's direction (``sig_dir`` (k,)
    rad, in velocity, and that times ``tau`` in position), each isotropic, and drag differing
    between the bodies since (``sig_pos``, ``sig_vel``, ``Formations._drag_offset_sigma``)."""
    sv2 = (sig_dir * speed) ** 2 + sig_vel**2
    sp2 = (sig_t * speed) ** 2 + sig_pos**2 + sv2 * tau**2
    out = np.zeros((speed.size, 6, 6))
    out[:, [0, 1, 2], [0, 1, 2]] = sp2[:, None]
    out[:, [3, 4, 5], [3, 4, 5]] = sv2[:, None]
    return out


@dataclass
class Formation:
    """Closely spaced pairs updated as formations in one scan (``update_formation``),
    per track (older tracks, then younger): its assignment row, the probability that the
    pair's detections are in the right order (the update takes the order decided: a hard
    decision, as every assignment), its own detection and its partner's, its side of
    the pair (``sign``: +1 the older, the object ahead, -1 the younger), the white noise
    (m, m) the partner's detection takes besides the pair's relative state (drag met on the
    way down), the relative state a track starts its formation with (``r0`` (6,),
    ``Prr0`` (6, 6)) and its partner's track id. ``Formations._attach_relative`` adds the
    tracks carrying the pair's relative state (``rel``: assignment rows, the formation's rows
    first in their order, then tracks updated with their own detection alone), their ids,
    their partners' ids, and their predicted relative state, its covariance and its
    cross-covariance with the track's state (``r``, ``Prr``, ``C`` (k, NX, 6));
    ``update_formation`` fills their updates per mode (``r_m``, ``Prr_m``, ``C_m``),
    ``Formations.commit`` keeps them."""

    rows: np.ndarray
    w: np.ndarray
    own: np.ndarray
    other: np.ndarray
    sign: np.ndarray
    extra: np.ndarray
    r0: np.ndarray
    Prr0: np.ndarray
    partner: np.ndarray
    rel: np.ndarray | None = None
    ids: np.ndarray | None = None
    r: np.ndarray | None = None
    Prr: np.ndarray | None = None
    C: np.ndarray | None = None
    r_m: np.ndarray | None = None
    Prr_m: np.ndarray | None = None
    C_m: np.ndarray | None = None
    rel_partner: np.ndarray | None = None
    sink: object = None
    #: (k, NMODE) the modes each track's relative state is carried with (``_carried_modes``).
    carried: np.ndarray | None = None


def _mean_thrust(tracks, idx: np.ndarray) -> np.ndarray:
    """Thrust acceleration (k, 3) of tracks ``idx``, weighted by their boost probability."""
    return tracks.mu[idx, BOOST, None] * tracks.xm[idx, BOOST, 6:9]


class Formations:
    """The tracker's closely spaced pairs (``order_siblings``), by the younger track's id: the
    posterior of their separation speed, their relative motion, the air they flew through after
    they came apart. ``tracks``: the tracker's track store (``store.TrackStore``)."""

    def __init__(self, config: TrackerConfig, tracks) -> None:
        self.config = config
        self.tracks = tracks
        # Log posterior (unnormalised) of the separation speed of a track from its older
        # sibling, on ``SEPARATION_GRID_MPS``, by the younger track's id (pairs only).
        self._separation: dict[int, np.ndarray] = {}
        # ... and, of a pair parted at a thrusting track, of their thrusts' difference along
        # the stack's axis on ``THRUST_GRID_MPS2`` (a staging), on the same scale as the
        # speed's (a push): the two families of one posterior.
        self._staging: dict[int, np.ndarray] = {}
        # The relative motion of a pair (``_separation_direction``) by the younger's id: time,
        # reference state (NX,), relative state per m/s of separation speed (6,), and the time
        # the reference was taken from the older's estimate.
        self._formation_ref: dict[int, tuple[float, np.ndarray, np.ndarray, float]] = {}
        # The air a pair flew through after it came apart (``_air_column`` of the older's
        # estimate at the parting: kg/(m s), s), by the younger's id: its differential drag is
        # left out of the formation's relative motion (``_drag_offset_sigma``).
        self._parting_air: dict[int, tuple[float, float]] = {}
        # The relative state of a formation's pair (older minus younger), carried by each of
        # its tracks as a state of its own (``_attach_relative``), by the track's id: the time
        # of its last update, the track's coast-mode state then (NX,), the relative state
        # (6,), its covariance (6, 6), its cross-covariance with the track's state (NX, 6),
        # and the partner's id: another partner starts it again.
        self._relative: dict[int, tuple] = {}

    def forget_deleted(self) -> None:
        """Forget what is kept by the id of a track the store no longer holds. Every entry is
        read by a live track's own id, and ids are never given again (``store.TrackStore``):
        nothing read changes. Kept for every pair ever started (most of them tentative, on
        clutter), the posteriors (``_separation``, ``_staging``: arrays on their grids) grew
        with the run."""
        tracks = self.tracks
        live = None  # the live ids as a set, once (``np.isin`` per memo sorted them each time)
        for memo in (
            self._separation, self._staging, self._formation_ref, self._parting_air,
            self._relative,
        ):  # fmt: skip
            if not memo:
                continue
            if live is None:
                live = set(tracks.ids[: tracks.n].tolist())
            for k in [k for k in memo if k not in live]:
                del memo[k]

    def partners(self, a: int, b: int) -> bool:
        """Whether the tracks of ids ``a`` and ``b`` carry their pair's relative state, each
        the other's partner (``_relative``): a formation's."""
        ea, eb = self._relative.get(a), self._relative.get(b)
        return ea is not None and eb is not None and ea[5] == b and eb[5] == a

    def _coasting_in_vacuum(self, idx: np.ndarray, x6: np.ndarray) -> np.ndarray:
        """Tracks ``idx`` (estimates ``x6``) coasting (boost mode below its reseeding level)
        above the reentry altitude, where two bodies pushed apart drift apart at constant
        speed."""
        tracks = self.tracks
        coasting = tracks.mu[idx, BOOST] < self.config.boost_reseed_prob
        return coasting & (altitude_approx(x6[:, :3]) >= REENTRY_ALTITUDE_M)

    def _in_formation_range(self, young: np.ndarray, tau: np.ndarray) -> np.ndarray:
        """Pairs whose expected separation (posterior mean speed of the younger ``young`` times
        ``tau``, s since it was born) is within ``formation_max_separation_m``."""
        mean, _ = self._separation_moments(young)
        return np.abs(mean) * tau <= self.config.formation_max_separation_m

    def _pushed_apart(self, young: np.ndarray) -> np.ndarray:
        """Pairs whose separation speed (posterior of the younger ``young``) is more likely a
        push than thrust: at most ``formation_max_speed_mps``."""
        pw = np.exp(self._separation_logp(young))
        slow = np.abs(SEPARATION_GRID_MPS) <= self.config.formation_max_speed_mps
        # A staging's thrust (``_staging``, on the same scale) is no push.
        thrust = np.array(
            [np.exp(self._staging[i]).sum() if i in self._staging else 0.0
             for i in self.tracks.ids[young].tolist()]
        )  # fmt: skip
        return pw[:, slow].sum(axis=1) >= 0.5 * (pw.sum(axis=1) + thrust)

    def _separation_moments(self, young: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Posterior mean and variance of the separation speed of tracks ``young``."""
        v = SEPARATION_GRID_MPS
        # Each row on its own scale: a pair's row may lie far below its staging family's
        # (``_order`` scales both by their common top), where ``exp`` would underflow to 0.
        lp = self._separation_logp(young)
        kern = _compiled()
        if kern is not None:  # the same arithmetic, a row at a time
            mom = kern.moments(lp, v, _GRID_STEP)
            return mom[:, 0], mom[:, 1]
        pw = np.exp(lp - lp.max(axis=1, keepdims=True)) if lp.size else lp
        pw /= pw.sum(axis=1, keepdims=True)
        mean = pw @ v
        var = np.maximum(pw @ (v * v) - mean**2, 0.0) + (_GRID_STEP * mean) ** 2 / 12.0
        return mean, var

    def _separation_logp(self, young: np.ndarray) -> np.ndarray:
        """Log posteriors (k, G) of the separation speeds of tracks ``young`` (the prior,
        log-uniform in the speed, for a pair not seen yet; even in the sign for a pair born
        together or next to a track never seen thrusting, ``_TWIN_PRIOR``)."""
        tracks = self.tracks
        even = (tracks.twin[young] >= 0) | tracks.unseen_parting[young]
        rows = [
            self._separation.get(int(i), _TWIN_PRIOR if ev else _SEPARATION_PRIOR)
            for i, ev in zip(tracks.ids[young].tolist(), even.tolist(), strict=True)
        ]
        return np.stack(rows) if rows else np.zeros((0, SEPARATION_GRID_MPS.size))

    def order_siblings(self, scan: Scan, cand, ia, jb, ok, xbar, H, P):
        """The closely spaced pairs among the tracks ``cand[ia]`` assigned detections ``jb``,
        ordered (``_order``), their formations, and the tracks carrying a pair's relative
        state (``_attach_relative``): the detections in order (n,) and the ``Formation``, or
        None if no track is in one."""
        jb, formation = self._order(scan, cand, ia, jb, ok, xbar, H, P)
        return jb, self._attach_relative(scan, cand, ia, formation)

    def _attach_relative(self, scan: Scan, cand, ia, f: Formation | None):
        """The relative state of the pairs (``_relative``) of the tracks ``cand[ia]`` updated
        in this scan: predicted from each track's last update to the scan (the track's own
        transition matrix, the pair a few hundred metres apart at most), or started (``f.r0``,
        ``f.Prr0``, no correlation with the track) for a track whose formation begins. A
        track updated since without it (its cross-covariance stale) starts again. Returns
        ``f`` with the rows carrying one (``Formation`` ``rel``, ...), one with no formation
        rows if only tracks updated alone carry one, or None."""
        tracks = self.tracks
        idx = cand[ia]
        ids = tracks.ids[idx]
        rows_f = f.rows if f is not None else np.zeros(0, dtype=np.int64)
        in_f = np.zeros(ia.size, dtype=bool)
        in_f[rows_f] = True
        rel = [int(k) for k in rows_f]
        partner = np.full(ia.size, -1, dtype=np.int64)
        if f is not None:
            partner[rows_f] = f.partner
        for k, i in enumerate(ids.tolist()):
            e = self._relative.get(i)
            if e is not None and (e[0] != tracks.t[idx[k]] or partner[k] not in (-1, e[5])):
                del self._relative[i]  # updated without it, or another partner's
            elif e is not None and not in_f[k]:
                rel.append(k)
        if not rel:
            return f
        rel = np.array(rel, dtype=np.int64)
        k = rel.size
        r = np.empty((k, 6))
        Prr = np.empty((k, 6, 6))
        C = np.zeros((k, NX, 6))
        known = np.array([int(i) in self._relative for i in ids[rel]], dtype=bool)
        nf = rows_f.size
        if nf:
            r[:nf], Prr[:nf] = f.r0, f.Prr0
        if known.any():
            kk = np.flatnonzero(known)
            ents = [self._relative[int(i)] for i in ids[rel[kk]]]
            t0 = np.array([e[0] for e in ents])
            x0 = np.stack([e[1] for e in ents])
            dt = scan.t - t0
            step = self.config.max_step_s
            _, F = propagate(x0, dt, step, max_steps=vacuum_steps(dt, step))
            F6 = F[:, :6, :6]
            r[kk] = einsum("kij,kj->ki", F6, np.stack([e[2] for e in ents]))
            Prr[kk] = F6 @ np.stack([e[3] for e in ents]) @ F6.transpose(0, 2, 1)
            C[kk] = F @ np.stack([e[4] for e in ents]) @ F6.transpose(0, 2, 1)
        if f is None:
            empty = np.zeros(0, dtype=np.int64)
            f = Formation(
                rows=empty, w=np.zeros(0), own=empty, other=empty, sign=np.zeros(0),
                extra=np.zeros((0, scan.m, scan.m)), r0=np.zeros((0, 6)),
                Prr0=np.zeros((0, 6, 6)), partner=empty,
            )  # fmt: skip
        part = partner[rel]
        if known.any():
            part[known] = [self._relative[int(i)][5] for i in ids[rel[known]]]
        f.rel, f.ids, f.r, f.Prr, f.C, f.sink = rel, ids[rel], r, Prr, C, self
        f.rel_partner = part
        return f

    def commit(self, f: Formation, t: float, x_new: np.ndarray, mu: np.ndarray) -> None:
        """Keep the updated relative state of the tracks of ``f`` (``update_formation``'s per
        mode, moment-matched over the modes' probabilities ``mu`` (na, NMODE) of the modes it
        is carried with, ``f.carried``: not the seeds, ``_carried_modes``; ``x_new`` (na,
        NMODE, NX) the modes' updates), with the coast mode's state it is propagated from."""
        if f.rel is None or f.rel.size == 0:
            return
        xm, w = x_new[f.rel], _carried_weights(mu[f.rel], f.carried)
        xbar = einsum("kj,kjn->kn", w, xm)
        r = einsum("kj,kjn->kn", w, f.r_m)
        dxm, drm = xm - xbar[:, None], f.r_m - r[:, None]
        Prr = einsum("kj,kjab->kab", w, f.Prr_m + drm[:, :, :, None] * drm[:, :, None, :])
        C = einsum("kj,kjab->kab", w, f.C_m + dxm[:, :, :, None] * drm[:, :, None, :])
        x0 = xm[:, COAST].copy()
        for k, i in enumerate(f.ids.tolist()):
            self._relative[i] = (t, x0[k], r[k], Prr[k], C[k], int(f.rel_partner[k]))

    def _order(self, scan: Scan, cand, ia, jb, ok, xbar, H, P):
        """Closely spaced objects: two tracks assigned in this scan, each gating the other's
        detection, with velocities within ``cso_max_dv_mps`` (objects separated from one
        missile, not crossing missiles), get the detection pair in along-track order: the
        detection ahead goes to the older track.

        At separation a stage gets a small retrograde push (or, in boost, drops off the
        thrusting stack), so the payload stays on the path the older track was predicting and
        the stage falls behind along the velocity: relative state (ahead minus behind)
        ``δv (τ v̂, v̂)``, τ the time since they came apart (``parted``: the older's burnout if
        it was thrusting a moment before the younger's first detection, else that detection),
        ``δv > 0`` unknown. Its measurement is ``δv Δz``,
        ``Δz = H (τ v̂, v̂)``, so the two detections ``z_o, z_y`` are told apart by the sign of
        ``Δz' (R_o + R_y)⁻¹ (z_o - z_y)``, the matched filter of their difference (``δv``
        cancels; a wrong τ changes the weighting of position and range rate, rarely the sign).
        GNN on ``d² + ln|S|`` decides on the tracks' estimated relative state instead, which is
        noise while they share detections (cross-range noise of 1 km at 1,000 km range against
        metres of separation): it hands the pair out at random scan after scan, both tracks sit
        between the objects and the older one ends up on the stage half the time (measured on
        irbm-overflight: coast RMSE 13.7x the PCRLB; 1.6x with the ordering). The ordering keeps
        each track on its object from the first scan; once the objects are resolved (no shared
        detection) GNN alone decides. Pairs only: three tracks sharing detections are left to
        GNN. ``P`` (n, >=6, >=6): the tracks' predicted covariances, rows as ``xbar`` (the
        coast mode's: a formation coasts), against which the white noise a partner's
        detection carries is weighed, and whose velocity error adds to the uncertainty of the
        push's direction.

        The order is not certain while the separation is below the noise: its probability is
        ``P(right | g)`` averaged over the posterior of ``δv`` on ``SEPARATION_GRID_MPS``
        (log-uniform prior), whose likelihood per pair, ``g ~ N(±δv a, a)`` with
        ``a = Δz' (R_o + R_y)⁻¹ Δz``, is ``cosh(δv g) exp(-δv² a / 2)`` when the order is in
        doubt, ``exp(δv g - δv² a / 2)`` when GNN has ordered them (detections apart; left out,
        the speed comes out low). Of a pair both coasting above the air (a formation or not:
        twins too), the relative state is not the straight line above but the ballistic
        transition from the parting (``_separation_direction``): the push keeps its direction
        while the velocity turns, 76° in the 370 s from an MRBM's burnout to 90 s past its
        apogee. A pair born
        next to each other (``parent``), coasting in vacuum, pushed apart slower than
        ``formation_max_speed_mps`` and within ``formation_max_separation_m`` is returned as a
        formation (``update_formation``) in the likelier order, taken as decided: the
        two orders' mixture, moment-matched, spread each track's covariance along the pair's
        separation, which the scans that settle the order later did not take back
        (irbm-overflight: coast NEES in bounds 0.61; with the order taken, 0.999), and while
        the pair's detections gate both tracks the order is never surer than the prior's 90 %
        that the younger is behind. The relative state each track carries from its
        formation's start (``_attach_relative``, ``_relative_prior``): irbm-overflight coast
        RMSE 0.97x the PCRLB, ``lookout track irbm-overflight``.

        A pair parted at a thrusting track (its axis recorded, ``thrust_dir``) may have
        staged: the stack burns on and their thrusts' difference moves them apart along the
        stack's axis, ``Δa τ²/2``, not along the velocity. For ``young_boost_s`` after the
        parting the posterior has a second family, ``Δa`` on ``THRUST_GRID_MPS2``, weighed
        against the push (the last burnout, no thrust) from the catalogue's share of
        stagings among partings (``STAGING_SHARE``, ``_staging_order``): the separation
        growing as ``τ²`` along the axis or as ``τ`` along the velocity tells them apart in
        a few scans, and the order follows the likelier (gen-1-01's pictures: the push's
        order flipped between radars, the stack's axis 40° off the velocity). So whether or
        not the tracker takes the older as thrusting then: its thrust estimate a moment
        after the parting is the spent stage's (me79 #00: 79 m/s² where the next stage lit
        at 9.7, taken as the offset below it swapped the pair), or not yet grown, and its
        boost probability flickers about a half (me60 #03). ``c`` is added to neither
        family (the push family, learned without thrust, would count it twice).

        Later, the thrust enters a pair's order once. A pair parted at a track taken as
        thrusting more than ``young_boost_s`` before, or with no axis recorded: the thrusts'
        difference ``Δa`` (the estimates) adds ``c = Δa (τ²/2, τ)`` to the relative state,
        ``z_o - z_y = δv Δz + Δz_c + n``, ``n ~ N(0, S)``, ``S = R_o + R_y``, and the log
        likelihood of the right order is ``δv g + g_c - δv b_c - δv² a / 2`` (``g = Δz' S⁻¹
        (z_o - z_y)``, ``a = Δz' S⁻¹ Δz``, ``g_c = Δz_c' S⁻¹ (z_o - z_y)``, ``b_c = Δz_c'
        S⁻¹ Δz``; of the wrong one, ``g`` and ``g_c`` negated). The push's posterior is
        learned from ``δv g`` alone, without ``c`` (a burnout the tracker sees late makes
        ``c`` wrong for a scan or two: irbm-overflight, coast RMSE 12x the PCRLB with it),
        so a pair thrusting throughout that a radar resolves well may still take some of
        ``c`` up as a push; dropping ``c`` once the posterior had learned (branch
        stage-order) lost the thrust where the radars hardly measure the separation along
        the velocity, the posterior learning next to nothing and ``c`` all the order knew
        (satellite-launch's second staging: ``a`` 0.01-0.03 per scan, the axis 40° off the
        velocity, ``g`` of the wrong sign at kr-ship-yellow's 652-654 s scans: 45 duplicate
        track-s); the staging family, learning ``Δa`` along the axis, orders that pair."""
        tracks = self.tracks
        kern = _compiled()
        if kern is not None:  # the same in one call (``compiled_formations.sibling_pairs``)
            cso2 = self.config.cso_max_dv_mps**2
            p_, c_, shared, kin_pc = kern.sibling_pairs(
                ok, ia, jb, cand, tracks.parent, tracks.ids, tracks.twin, xbar, P, cso2,
                cso2 / 3.0, self.config.gate(3),
            )  # fmt: skip
        else:
            p_, c_, shared, kin_pc = self._sibling_pairs(cand, ia, jb, ok, xbar, P)
        if p_.size == 0:
            return jb, None
        tau = np.maximum(scan.t - tracks.parted[cand[ia[c_]]], 0.0)
        # Pairs that may be formations (``update_formation``): born one next to the other,
        # coasting above the air, not yet far apart. Others are only ordered, if they share
        # their detections.
        fall = self._coasting_in_vacuum(cand[ia[p_]], xbar[ia[p_]])
        fall &= self._coasting_in_vacuum(cand[ia[c_]], xbar[ia[c_]])
        vac = fall & kin_pc
        if vac.any():
            vac[vac] = self._in_formation_range(cand[ia[c_[vac]]], tau[vac])
        # Pairs parted at the older's thrust (its axis then known), within the catalogue's
        # shortest burn of the parting: a staging (the stack burns on: their thrusts'
        # difference moves them apart along the axis, ``Δa τ²/2``) or the last burnout (a
        # push), which the pair's detections tell apart, whether or not the tracker takes the
        # older as thrusting. A piece parted from a thrusting rocket is its spent stage: the
        # older's thrust estimate is that stage's, which burns no more, until the older's
        # track has learned the next stage's (or none). Taken as the offset ``c`` it swapped
        # me79 #00's pair: at us-fbx-qatar's scan 1.5 s after the Semnan launcher's 2 -> 3
        # staging the stack's track held the second stage's 79 m/s² at burnout (the third's
        # 9.7 at ignition), so ``c`` put the stack 65 m/s ahead along the axis, and the
        # order's wrong side, with a push of 100 m/s ahead, fitted that better than the right
        # side did: the stage's track took the stack, a second track was born on the stage
        # (16 duplicate track-s, an id switch). Nor does the older's boost probability tell
        # a staging from a burnout, flickering about a half just after one (me60 #03, the
        # fusion's tracker: at us-fbx-qatar's 516.08 s scan the older at 0.47, at 516.45 s
        # at 1.00, where the staging family was once dropped and the estimate's offset added
        # to a push family that had taken the stack pulling away as a 52 m/s push: the pair
        # swapped at ae-ewr-north's 518-522 s scans, 11 duplicate track-s).
        young_all = cand[ia[c_]]
        axis_all = tracks.thrust_dir[young_all].copy()
        staging = (
            (tracks.parent[young_all] == tracks.ids[cand[ia[p_]]])
            & (einsum("ki,ki->k", axis_all, axis_all) > 0.0)
            & (tau < self.config.young_boost_s)
        )
        # A pair born together of which one thrusts and the other does not (a staging first
        # seen after it: the stack burning on, its spent stage): the thrust moves the burning
        # one ahead along its axis, ``Δa τ²/2``, and a spent stage has none. Neither track
        # knows that axis (no parent: ``thrust_dir`` unset) and the thrust vector of a track
        # born on one detection is its prior's noise (104 m/s² per axis): taken as a known
        # offset (``dacc`` below) it turned world43 #5's order at FI's scans, GNN's costs
        # right 23:1. The axis is taken as the burning twin's velocity (a gravity turn), the
        # sign of ``Δa`` as the staging family's, burning ahead (``twin_staging``).
        twin_staging = _twins(tracks, cand[ia[p_]], young_all) & (tau < self.config.young_boost_s)
        if twin_staging.any():
            burn_o = tracks.mu[cand[ia[p_]], BOOST] >= 0.5
            burn_y = tracks.mu[young_all, BOOST] >= 0.5
            twin_staging &= burn_o != burn_y
        if twin_staging.any():
            kt = np.flatnonzero(twin_staging)
            vb = np.where(burn_o[kt, None], xbar[ia[p_[kt]], 3:6], xbar[ia[c_[kt]], 3:6])
            vb = vb / np.maximum(np.linalg.norm(vb, axis=1, keepdims=True), 1e-9)
            # Positive ``Δa``: the older ahead (``THRUST_GRID_MPS2``), so the axis points from
            # the younger to the older when the older burns.
            axis_all[kt] = np.where(burn_o[kt, None], vb, -vb)
            staging |= twin_staging
        keep = shared | vac | staging
        if not keep.all():
            p_, c_, shared, tau, vac, fall, staging, twin_staging, axis_all = (
                a[keep] for a in (p_, c_, shared, tau, vac, fall, staging, twin_staging, axis_all)
            )
            if p_.size == 0:
                return jb, None
        jc, jp = jb[c_], jb[p_]
        # Relative motion: the ballistic transition from the parting for a pair falling freely
        # (both coasting above the air), else the straight line along the velocity now. Two
        # bodies pushed apart in vacuum keep their relative velocity, the push's, nearly
        # fixed in inertial space while their common velocity turns under gravity: taken
        # along the velocity now, the separation's direction was 76° off by 600 s on an
        # MRBM parted at burnout 370 s before (me47 #01, apogee at 510 s), the sign of the
        # pair's range difference wrong from each radar from 485-550 s on, and its twins
        # took each other's detections from the coarse radars over 480-600 s (issue 13). In
        # the air, or thrusting, the pieces' relative motion is drag's or thrust's, along
        # the velocity now.
        xo = xbar[ia[p_]]
        dxf = np.zeros((0, 6))
        if fall.any():
            dxf = self._separation_direction(cand[ia[c_[fall]]], xo[fall], tau[fall], scan.t)
        young, older = cand[ia[c_]], cand[ia[p_]]
        if kern is not None:  # the same as below in one call (``compiled_formations.pair_filter``)
            dx, dz, w, g, a, gc, bc = kern.pair_filter(
                xbar, ia[p_], tau, fall, dxf, H, scan.z, scan.R, jp, jc,
                measure.AZIMUTH_INDEX[scan.kind], tracks.mu, tracks.xm, older, young, staging,
                tracks.parent, tracks.ids, axis_all,
            )  # fmt: skip
        else:
            dx, dz, w, g, a, gc, bc = self._pair_filter(
                scan, xo, tau, fall, dxf, H[ia[p_]], jp, jc, older, young, staging, axis_all
            )
        v = SEPARATION_GRID_MPS
        axis = axis_all
        prior = self._separation_logp(young)
        # A pair born together, ordered for the first time: which is ahead is what the two
        # estimates say of it (``_twin_sign``), not the order of the scan's detections. So
        # too of a younger track born on its own (no parent, no twin): it was not seen
        # parting from the older, so that it is behind is no prior of it, and the older may
        # have kept either object. me63 #02 (sensor seed 1): the missile's track took its
        # stage's first us-fbx-negev detection at burnout, the warhead's started a track of
        # its own; that radar resolved them (neither gated the other's detection) for 8 s,
        # then the 90 % prior gave the older gb-ewr-cyprus's detection ahead, the warhead's:
        # each track then held one object's ranges from one radar and the other's from the
        # other, 300-470 m off both (coast NEES in the thousands) for the rest of the flight.
        # So too of a younger track born next to one never seen thrusting
        # (``unseen_parting``): that one was first seen after the pieces parted, on either,
        # and its order's prior is even; left even, a pair sharing its detections has an even
        # likelihood too, and the assignment's noisy costs hand the pair out scan by scan.
        # me73 #03 (the partners' fusion, radars only): MRBM-2's stage's track, born first,
        # took the RV's us-fbx-negev detections and the stage's us-ship ones, 100-250 m off
        # both under a 50 m sigma, NEES 50-110 to impact.
        alone = (tracks.parent[young] < 0) & (tracks.twin[young] < 0)
        alone |= tracks.unseen_parting[young]
        first = (_twins(tracks, older, young) | alone) & np.array(
            [i not in self._separation for i in tracks.ids[young].tolist()], dtype=bool
        )
        if first.any():
            rp, rc = ia[p_[first]], ia[c_[first]]
            prior[first] = _twin_sign(xbar[rp], xbar[rc], P[rp], P[rc])
        # A pair parted at a thrusting track: the staging's family too (``_staging_order``).
        st = np.flatnonzero(staging)
        gt, lw_st = np.zeros(0), np.zeros((0, _A.size))
        if st.size:
            prior[st], gt, lw_st = self._staging_order(
                young[st], prior[st], axis[st], tau[st], H[ia[p_[st]]],
                scan.R[jp[st]] + scan.R[jc[st]], w[st], twin_staging[st],
            )  # fmt: skip
        if kern is None:
            right, wrong, swap, lp, lpt = _posterior(prior, a, bc, g, gc, shared, st, lw_st, gt)
        else:  # the same arithmetic, one pair at a time (``compiled_formations``)
            st_of = np.full(p_.size, -1, dtype=np.int64)
            st_of[st] = np.arange(st.size)
            right, wrong, swap, lp, lpt, mom, pushed = kern.order_pairs(
                prior, a, bc, g, gc, shared, v, st_of, lw_st, gt, _A, _GRID_STEP,
                self.config.formation_max_speed_mps,
            )  # fmt: skip
        jb = jb.copy()
        if swap.any():
            jb[c_[swap]], jb[p_[swap]] = jp[swap], jc[swap]
        b = np.where(shared, expit(right - wrong), 1.0)  # 1 / (1 + e^(wrong - right)), no overflow
        for k, i in enumerate(tracks.ids[young[st]].tolist()):
            self._staging[i] = lpt[k]
        for i, row, both in zip(tracks.ids[young].tolist(), lp, staging, strict=True):
            self._separation[i] = row
            if not both:  # the staging family's time is over: the push's posterior alone
                self._staging.pop(i, None)
        if kern is None:
            v_mean, v_var = self._separation_moments(young)
            pushed = self._pushed_apart(young)
        else:
            v_mean, v_var = mom[:, 0], mom[:, 1]
        # A pair no longer coasting together above the air, or too far apart, leaves its
        # formation for good: its relative state is dropped (``_relative``).
        for i in tracks.ids[np.concatenate([cand[ia[p_[~vac]]], young[~vac]])].tolist():
            self._relative.pop(i, None)
        # Formations: as ``vac`` (both coasting above the air, born one next to the other, not
        # yet far apart) and pushed apart slowly; others keep the order alone.
        high = vac & pushed
        if not high.any():
            return jb, None
        p_, c_, dz, dx, b, v_mean, v_var, tau = (
            a[high] for a in (p_, c_, dz, dx, b, v_mean, v_var, tau)
        )
        # The pair's relative state (older minus younger) is carried by each track as a state
        # of its own (``_attach_relative``), started from the one push along the velocity
        # at the parting (``dx`` per m/s: the posterior's mean and variance of the speed)
        # and what that motion leaves out (``_relative_prior``). Drag met on the way down,
        # after the formation began, is white noise on the partner's detection.
        sig_park, sig_vpark, sig_down = self._drag_offset_sigma(
            cand[ia[p_]], cand[ia[c_]], xbar[ia[p_]], tau
        )
        sig_t = np.where(
            tracks.unseen_parting[cand[ia[c_]]],
            unseen_parting_time_sigma(self.config),
            PARTING_TIME_SIGMA_S,
        )
        rows = np.concatenate([p_, c_])
        other = np.concatenate([jb[c_], jb[p_]])
        sign = np.concatenate([np.ones(p_.size), -np.ones(c_.size)])
        if kern is not None:  # the same as below in one call (``compiled_formations``)
            r0, Prr0, extra, q = kern.formation_prior(
                xbar, P, H, ia[p_], ia[c_], dx, v_mean, v_var, tau, sig_park, sig_vpark,
                sig_down, sig_t, PUSH_DIRECTION_SIGMA_RAD,
            )  # fmt: skip
        else:
            r0, Prr0, extra, q = self._formation_prior(
                xbar, P, H, ia, p_, rows, dx, v_mean, v_var, tau, sig_park, sig_vpark,
                sig_down, sig_t,
            )  # fmt: skip
        taken = q <= self.config.formation_offset_variance_ratio
        if not taken.any():
            return jb, None
        r0 = np.concatenate([r0, r0])
        Prr0 = np.concatenate([Prr0, Prr0])
        partner = tracks.ids[cand[ia[np.concatenate([c_, p_])]]]
        rows, other, sign, extra, r0, Prr0, partner = (
            a[taken] for a in (rows, other, sign, extra, r0, Prr0, partner)
        )
        formation = Formation(
            rows=rows,
            w=np.concatenate([b, b])[taken],
            own=jb[rows],
            other=other,
            sign=sign,
            extra=extra,
            r0=r0,
            Prr0=Prr0,
            partner=partner,
        )
        return jb, formation

    @staticmethod
    def _formation_prior(xbar, P, H, ia, p_, rows, dx, v_mean, v_var, tau, sig_park,
                         sig_vpark, sig_down, sig_t):  # fmt: skip
        """``_order``'s formations' start on the numpy path (``compiled_formations.
        formation_prior`` the compiled one): ``r0``, ``Prr0`` per pair, ``extra``, ``q`` per
        track of ``rows`` (older ones, then younger)."""
        r0 = v_mean[:, None] * dx
        Prr0 = v_var[:, None, None] * dx[:, :, None] * dx[:, None, :]
        # The push's direction: the older's velocity now carried back to the parting, off
        # by the estimate's velocity error across it.
        xo = xbar[ia[p_]]
        vel_var = np.trace(P[ia[p_], 3:6, 3:6], axis1=1, axis2=2)
        sig_dir = np.sqrt(vel_var / einsum("ki,ki->k", xo[:, 3:6], xo[:, 3:6]))
        sig_dir = np.hypot(sig_dir, PUSH_DIRECTION_SIGMA_RAD)
        # The parting's time and the push's direction move the pair by the speed times their
        # errors, whatever its sign: the speed's root mean square over its posterior (a pair
        # whose order is even, its parting unseen, has a mean speed of 0 m/s, which gave a
        # rank-one prior: me72 #02's RV and stage, docs/history/picture-integrity-log.md).
        # A parting no track saw (``unseen_parting``: the parent never seen thrusting,
        # ``parted`` the younger's first detection) was up to ``separation_lookback_s``
        # before it (``unseen_parting_time_sigma``).
        Prr0 += _relative_prior(
            np.sqrt(v_mean * v_mean + v_var), tau, sig_park, sig_vpark, sig_dir, sig_t
        )
        # Rows: older tracks then younger, each with its partner on the other side.
        Hp = H[ia[rows], :, :3]
        sd2 = np.concatenate([sig_down, sig_down]) ** 2
        extra = sd2[:, None, None] * (Hp @ Hp.transpose(0, 2, 1))
        # That noise is common to the shifted detections of consecutive scans, yet each takes
        # it as its own: a track takes its partner's detection only while it is at most
        # ``formation_offset_variance_ratio`` of the track's own predicted uncertainty there
        # (Mahalanobis), which then bounds the bias it can leave; else its own detection
        # alone, in the order decided above (the relative state carried on,
        # ``_attach_relative``). Tenths of a metre above 100 km: it holds.
        Pr = P[ia[rows], :6, :6]
        Hr = H[ia[rows]]
        q = einsum("kij,kji->k", np.linalg.inv(Hr @ Pr @ Hr.transpose(0, 2, 1)), extra)
        return r0, Prr0, extra, q

    def _sibling_pairs(self, cand, ia, jb, ok, xbar, P):
        """``_order``'s pairs (rows ``p_ < c_`` of ``ia``), whether each shares its detections
        and whether one was born next to the other, on the numpy path
        (``compiled_formations.sibling_pairs`` the compiled one)."""
        tracks = self.tracks
        empty, none = np.zeros(0, dtype=np.int64), np.zeros(0, dtype=bool)
        # Pairs of assigned tracks, each gating the other's detection, moving together.
        k = ia.size
        mutual = ok[ia][:, jb]
        mutual &= mutual.T
        # ... or one born next to the other (``parent``), whether or not they still share
        # their detections: the pair's detections measure the separation speed either way, and
        # leaving out the pairs seen apart would bias it low.
        tr = cand[ia]
        kin = (tracks.parent[tr][:, None] == tracks.ids[tr][None, :]) | (
            tracks.parent[tr][None, :] == tracks.ids[tr][:, None]
        )
        # Above the diagonal only (``np.tril_indices`` cost a quarter of a millisecond a call;
        # ``np.triu`` builds its mask in Python, some 1 % of the trackers).
        at = np.arange(k)
        paired = (mutual | kin) & (at[:, None] < at)
        if not paired.any():
            return empty, empty, none, none
        r_, c_ = np.nonzero(paired)  # r_ < c_: rows ascend with the ids, r_ the older
        dv = xbar[ia[r_], 3:6] - xbar[ia[c_], 3:6]
        near = einsum("ki,ki->k", dv, dv) <= self.config.cso_max_dv_mps**2
        # A pair born together (``store.TrackStore.twin``): young tracks whose velocities are
        # still known to hundreds of m/s, each from its own detections, so the difference of
        # their estimates is mostly noise: near while it is within that noise of
        # ``cso_max_dv_mps`` (in any direction, per axis a third of its square), so that the
        # pair's shared detections are ordered from the first (the GNN hands them out by
        # chance, radar by radar: a track with one object's ranges from one radar and the
        # other's from the next sits between them, issue 13). The same for a piece born next
        # to the other (``parent``) while that one is still taken as thrusting: its velocity is
        # the thrust model's and the young piece's is its first detections', their difference
        # noise of hundreds of m/s (irbm-kapustin-yar-dnipro, radars only: the warhead's and
        # its stage's tracks 120-470 m/s apart for 20 s after the parting, never ordered, the
        # stack's track ending on the stage; with infrared telling the burnout, under 100).
        twin = ~near & (_twins(tracks, cand[ia[r_]], cand[ia[c_]]) | kin[r_, c_])
        if twin.any():
            kt = np.flatnonzero(twin)
            Sv = P[ia[r_[kt]], 3:6, 3:6] + P[ia[c_[kt]], 3:6, 3:6]
            Sv = Sv + np.eye(3) * self.config.cso_max_dv_mps**2 / 3.0
            d2 = einsum("ki,ki->k", dv[kt], np.linalg.solve(Sv, dv[kt, :, None])[:, :, 0])
            near[kt] = d2 <= self.config.gate(3)
        r_, c_ = r_[near], c_[near]
        # Disjoint pairs only (three tracks sharing detections are left to GNN).
        cnt = np.bincount(np.concatenate([r_, c_]), minlength=k)
        single = (cnt[r_] == 1) & (cnt[c_] == 1)
        p_, c_ = r_[single], c_[single]
        if p_.size == 0:
            return empty, empty, none, none
        shared = mutual[p_, c_]
        return p_, c_, shared, kin[p_, c_]

    def _pair_filter(self, scan, xo, tau, fall, dxf, H, jp, jc, older, young, staging, axis_all):
        """``_order``'s matched filter of its pairs on the numpy path
        (``compiled_formations.pair_filter`` the compiled one): ``dx``, ``dz``, ``w``, ``g``,
        ``a``, ``gc``, ``bc``. ``xo`` the older's estimates, ``H`` its Jacobians, ``dxf`` the
        relative motion of the pairs falling freely (``fall``)."""
        tracks = self.tracks
        vhat = xo[:, 3:6] / np.linalg.norm(xo[:, 3:6], axis=1, keepdims=True)
        dx = np.concatenate([tau[:, None] * vhat, vhat], axis=1)
        dx[fall] = dxf
        dz = einsum("kij,kj->ki", H, dx)
        zd = measure.wrap(scan.z[jp] - scan.z[jc], scan.kind)
        w = np.linalg.solve(scan.R[jp] + scan.R[jc], zd[:, :, None])[:, :, 0]
        g = einsum("ki,ki->k", dz, w)
        wz = np.linalg.solve(scan.R[jp] + scan.R[jc], dz[:, :, None])[:, :, 0]
        a = einsum("ki,ki->k", dz, wz)
        # Probability that the order is right, averaged over the separation speed's posterior
        # (signed: which is ahead is learned too), then the posterior updated with this pair
        # (its likelihood is even in the order when it is in doubt, N(g; v a, a) when GNN has
        # ordered them). Shared detections are put in the likelier order; apart, GNN's stands.
        # A pair parted at a staging, the older thrusting on: the difference of their thrusts
        # ``Δa`` has moved them ``Δa τ² / 2`` apart since, along the stack's axis, not its
        # velocity (satellite-launch: 40° off it), a known offset ``c`` to the separation
        # ``δv τ`` (``gc``, ``bc``: its terms), for the order only: zero for a pair coasting
        # and left out of the separation speed's posterior, which a burnout (thrust gone,
        # the older still taken as thrusting for a scan or two) would bias (irbm-overflight:
        # coast RMSE 12x the PCRLB with it). Not for a pair staged: its family learns ``Δa``.
        dacc = np.where(
            ((tracks.mu[older, BOOST] >= 0.5) & ~staging)[:, None],
            _mean_thrust(tracks, older) - _mean_thrust(tracks, young),
            0.0,
        )
        # Of a pair parted at the older's staging, the thrust difference lies along the
        # stack's axis at the parting (``thrust_dir``), the next stage's thrust along it: only
        # its size is taken from the estimates, signed (the younger track may be the one on
        # the stack: gen-2-04's, born on it at the staging). Just after a staging the older's
        # thrust estimate is of the stage that burnt out, its direction lost in its sigma
        # (gen-1-01: 11 ± 20 m/s², true 9.8): as a vector, it put jp-ship's pair 80 m and
        # 20 m/s the wrong way round along that radar's line of sight, nearly across the axis.
        axis = axis_all
        kin_pair = (tracks.parent[young] == tracks.ids[older]) & (
            einsum("ki,ki->k", axis, axis) > 0.0
        )
        if kin_pair.any():
            size = einsum("ki,ki->k", dacc[kin_pair], axis[kin_pair])
            dacc[kin_pair] = size[:, None] * axis[kin_pair]
        c6 = np.concatenate([0.5 * (tau * tau)[:, None] * dacc, tau[:, None] * dacc], axis=1)
        dzc = einsum("kij,kj->ki", H, c6)
        gc = einsum("ki,ki->k", dzc, w)
        bc = einsum("ki,ki->k", dzc, wz)
        return dx, dz, w, g, a, gc, bc

    def _staging_order(self, young, prior, axis, tau, H, R, w, twin=None):
        """The staging's family of the pairs ``young`` (k,) parted at a thrusting track:
        their thrusts' difference ``Δa`` along the stack's ``axis`` (k, 3) at the parting,
        ``tau`` (k,) s before, moving them ``Δa (τ²/2, τ)`` apart. Returns the push family's
        log prior (k, G) on the two families' common scale (for a pair first seen, the
        catalogue's ``STAGING_SHARE`` of stagings among the partings from a thrusting rocket),
        the matched filter's ``g`` (k,) of the detections' difference for a ``Δa`` of 1 m/s²,
        and the staging family's log weights before this scan's data (k, T): its log
        posterior less ``Δa² a / 2``, ``a`` the filter's own gain. ``H`` (k, m, 6): the
        older's measurement Jacobian; ``R`` (k, m, m) the pair's detections' summed noise;
        ``w`` (k, m) their difference solved with it (``order_siblings``). ``twin`` (k,):
        pairs born together, whose push family keeps its posterior (even in the sign, or what
        their estimates said of it), normalised to the push's share."""
        ids = self.tracks.ids[young].tolist()
        prior = prior.copy()
        lpt = np.empty((len(ids), _A.size))
        for k, i in enumerate(ids):
            row = self._staging.get(i)
            if row is None:
                if twin is not None and twin[k]:
                    prior[k] += math.log(1.0 - STAGING_SHARE) - logsumexp(prior[k], axis=0)
                else:
                    prior[k] = _SEPARATION_PRIOR + _PUSH_PRIOR_SPLIT
                row = _THRUST_PRIOR_SPLIT
            lpt[k] = row
        dx = np.concatenate([0.5 * (tau * tau)[:, None] * axis, tau[:, None] * axis], axis=1)
        dzt = einsum("kij,kj->ki", H, dx)
        gt = einsum("ki,ki->k", dzt, w)
        at = einsum("ki,ki->k", dzt, np.linalg.solve(R, dzt[:, :, None])[:, :, 0])
        return prior, gt, lpt - 0.5 * at[:, None] * _A * _A

    def _separation_direction(
        self, young: np.ndarray, x6: np.ndarray, tau: np.ndarray, t: float
    ) -> np.ndarray:
        """Relative state (k, 6) at ``t``, per m/s of separation speed, of the object of track
        ``young`` pushed back along the velocity ``tau`` s ago from the one at ``x6`` (k, 6):
        the ballistic transition matrix from then to now applied to the unit velocity then. A
        straight line ``(tau v̂, v̂)`` is out by the gravity gradient, ~1e-6 τ³ m (40 m after
        400 s). Found from the older's estimate (``motion.propagate`` back, then forward with
        its Jacobian), then carried forward from scan to scan along that reference trajectory
        for ``REANCHOR_S``: the first estimates after a burnout can be 100 m/s out, and a
        direction 2° off puts the partner 50 m out after ten minutes."""
        tracks = self.tracks
        k = x6.shape[0]
        out = np.empty((k, 6))
        keys = tracks.ids[young].tolist()
        known = np.array(
            [i in self._formation_ref and t - self._formation_ref[i][3] < REANCHOR_S for i in keys],
            dtype=bool,
        )
        step = self.config.max_step_s
        if known.any():
            kk = np.flatnonzero(known)
            refs = [self._formation_ref[keys[i]] for i in kk]
            t0 = np.array([r[0] for r in refs])
            x0 = np.stack([r[1] for r in refs])
            u0 = np.stack([r[2] for r in refs])
            x1, F = propagate(x0, t - t0, step, max_steps=vacuum_steps(t - t0, step))
            u1 = einsum("kij,kj->ki", F[:, :6, :6], u0)
            out[kk] = u1
            for i, idx in enumerate(kk.tolist()):
                self._formation_ref[keys[idx]] = (t, x1[i], u1[i], refs[i][3])
            # The older's estimate has moved off the reference (a young track's velocity is
            # still settling): found again from it.
            v_ref, v_now = x1[:, 3:6], x6[kk, 3:6]
            cos = einsum("ki,ki->k", v_ref, v_now) / (
                np.linalg.norm(v_ref, axis=1) * np.linalg.norm(v_now, axis=1)
            )
            known[kk[cos < math.cos(REANCHOR_ANGLE_RAD)]] = False
        if not known.all():
            nk = np.flatnonzero(~known)
            x = np.zeros((nk.size, NX))
            x[:, :6] = x6[nk]
            # No drag (kappa 0: above the air, which a formation is), so vacuum-sized steps.
            n_steps = vacuum_steps(tau[nk], step)
            back, _ = propagate(x, -tau[nk], step, with_jacobian=False, max_steps=n_steps)
            _, F = propagate(back, tau[nk], step, max_steps=n_steps)
            vhat = back[:, 3:6] / np.linalg.norm(back[:, 3:6], axis=1, keepdims=True)
            u = einsum("kij,kj->ki", F[:, :6, 3:6], vhat)
            out[nk] = u
            col, t_air = air_column(back[:, :6], tau[nk], climbing=True)
            for i, idx in enumerate(nk.tolist()):
                self._formation_ref[keys[idx]] = (t, x[i], u[i], t)
                self._parting_air[keys[idx]] = (float(col[i]), float(t_air[i]))
        return out

    def _drag_offset_sigma(
        self, older: np.ndarray, young: np.ndarray, x6: np.ndarray, tau: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Standard deviations (k,) of the relative position (m) and velocity (m/s) by which
        drag differing between the bodies after their parting has moved them off the
        formation's one-push motion, and of the relative position drag met on the way down
        adds. In detail: the relative position (m) by which drag differing between
        the bodies of tracks ``older`` and ``young`` has moved them off the formation's relative
        motion, one push along the velocity at the parting ``tau`` s ago (the older's estimate
        now ``x6``). Drag acting for ``T`` s after the parting (``_parting_air``: the air
        column ``∫ ρ v² dt`` and ``T``) adds ``Δv = ½ Δκ ∫ ρ v² dt`` along the velocity: a push
        ``T`` s late, which the separation speed takes up but for ``Δv T`` along the path and
        the velocity's turn under gravity meanwhile, ``Δv T g / v`` of relative velocity across
        it; the same again for the air met on the way down. ``Δκ``: the two tracks' drag
        coefficients' difference with its uncertainty (each at most the prior's).

        Measured on MRBMs whose payload separates at burnout at 70 km: the stage falls behind
        the reentry vehicle by 1 m/s more in the 10 s it takes to climb out of the air, and
        the pair is 3-13 m off the one-push motion 100-350 s later, against the 1-3 m sigmas of
        tracks that took each other's shifted detections (coast NEES 16-45, main at 9a91f0f).
        Parted at an IRBM's burnout at 93 km, the one-push motion holds to a metre in 700 s
        and this is 0.1-0.4 m."""
        tracks = self.tracks
        cf = self.config
        cap = (cf.init_kappa_sigma_m2_kg / KAPPA_UNIT) ** 2
        k_o, k_y = tracks.xm[older, COAST, KAPPA], tracks.xm[young, COAST, KAPPA]
        var = np.minimum(tracks.Pm[older, COAST, KAPPA, KAPPA], cap)
        var += np.minimum(tracks.Pm[young, COAST, KAPPA, KAPPA], cap)
        dkappa = KAPPA_UNIT * np.sqrt((k_o - k_y) ** 2 + np.maximum(var, 0.0))
        dkappa = np.maximum(dkappa, cf.kappa_floor_m2_kg)
        ids = tracks.ids[young].tolist()
        col_p = np.array([self._parting_air.get(i, (0.0, 0.0))[0] for i in ids])
        t_p = np.array([self._parting_air.get(i, (0.0, 0.0))[1] for i in ids])
        col_d, t_d = air_column(x6, tau, climbing=False)
        r2 = einsum("ij,ij->i", x6[:, :3], x6[:, :3])
        speed = np.maximum(np.sqrt(einsum("ij,ij->i", x6[:, 3:6], x6[:, 3:6])), 1.0)
        turn = GM_EARTH / r2 / speed  # rad/s
        dv = 0.5 * dkappa * col_p
        return dv * t_p * (1.0 + turn * tau), dv * (1.0 + turn * t_p), 0.5 * dkappa * col_d * t_d


#: ``lookout.tracking.compiled_formations`` once imported (``_compiled``).
_kernels = None


def _compiled():
    """``lookout.tracking.compiled_formations`` (numba: imported on the first pair ordered),
    or None with ``LOOKOUT_NUMPY_STEP=1`` (the numpy path, ``_posterior``)."""
    global _kernels
    if numpy_step():
        return None
    if _kernels is None:
        from lookout.tracking import compiled_formations

        _kernels = compiled_formations
    return _kernels


def _posterior(prior, a, bc, g, gc, shared, st, lw_st, gt):
    """The order of the pairs of ``Formations._order`` and their separation speed's posterior
    updated, on the numpy path: the two orders' log likelihoods after the swap (k,), the swap
    (k,), the push family's posterior (k, G) and the staging family's (pairs ``st``, (S, T)),
    scaled by their common top. ``prior`` (k, G) on ``SEPARATION_GRID_MPS``, the matched
    filter's ``a``, ``bc``, ``g``, ``gc`` (k,), ``shared`` (k,); ``lw_st`` (S, T) the staging
    family's log weights and ``gt`` (S,) its filter (``Formations._staging_order``)."""
    v = SEPARATION_GRID_MPS
    logw = prior - 0.5 * a[:, None] * v * v - bc[:, None] * v
    right = logsumexp(logw + g[:, None] * v + gc[:, None], axis=1)
    wrong = logsumexp(logw - g[:, None] * v - gc[:, None], axis=1)
    if st.size:
        right[st] = np.logaddexp(right[st], logsumexp(lw_st + gt[:, None] * _A, axis=1))
        wrong[st] = np.logaddexp(wrong[st], logsumexp(lw_st - gt[:, None] * _A, axis=1))
    swap = shared & (wrong > right)
    if swap.any():
        g = np.where(swap, -g, g)
        right, wrong = np.where(swap, wrong, right), np.where(swap, right, wrong)
    vg = g[:, None] * v
    like = np.where(shared[:, None], np.logaddexp(vg, -vg), vg)
    lp = prior + like - 0.5 * a[:, None] * v * v
    top = lp.max(axis=1)
    lpt = None
    if st.size:
        # The staging's family, signed as the order now stands (``g`` turned with a swap).
        gt = np.where(swap[st], -gt, gt)
        ag = gt[:, None] * _A
        like_t = np.where(shared[st, None], np.logaddexp(ag, -ag), ag)
        lpt = lw_st + like_t
        top[st] = np.maximum(top[st], lpt.max(axis=1))
        lpt -= top[st, None]
    lp -= top[:, None]
    return right, wrong, swap, lp, lpt


def push_speed_variance(cfg: TrackerConfig) -> float:
    """Second moment (m²/s²) of the separation speed of a pair pushed apart by springs or
    retro motors: log-uniform from the grid's lowest (0.1 m/s) to ``formation_max_speed_mps``
    (faster, a stage is thrusting away), ``(b² - a²) / (2 ln(b / a))``: 10.9 (3.3 m/s)."""
    a, b = float(_SPEEDS[0]), cfg.formation_max_speed_mps
    return (b * b - a * a) / (2.0 * math.log(b / a))


def parting_spread(
    x6: np.ndarray, tau: np.ndarray, cfg: TrackerConfig, sig_t=PARTING_TIME_SIGMA_S
) -> np.ndarray:
    """Covariance (k, 6, 6) of the relative state of two bodies pushed apart ``tau`` (k,) s
    ago above the air, one of them at ``x6`` (k, 6) now: the push along the velocity then
    (the ballistic transition of the unit velocity, as ``Formations._separation_direction``),
    its speed's second moment (``push_speed_variance``), and what the one-push motion leaves
    out (``_relative_prior``: the parting's time, ``sig_t`` s, scalar or (k,), and the push's
    direction). What a track's estimate may be off by when the detections it took since the
    parting were of either body (``Tracker.process_scan``: a piece born next to it)."""
    k = x6.shape[0]
    step = cfg.max_step_s
    x = np.zeros((k, NX))
    x[:, :6] = x6
    n_steps = vacuum_steps(tau, step)
    back, _ = propagate(x, -tau, step, with_jacobian=False, max_steps=n_steps)
    _, F = propagate(back, tau, step, max_steps=n_steps)
    vhat = back[:, 3:6] / np.linalg.norm(back[:, 3:6], axis=1, keepdims=True)
    u = einsum("kij,kj->ki", F[:, :6, 3:6], vhat)
    var = push_speed_variance(cfg)
    out = var * u[:, :, None] * u[:, None, :]
    zero = np.zeros(k)
    out += _relative_prior(np.full(k, math.sqrt(var)), tau, zero, zero,
                           np.full(k, PUSH_DIRECTION_SIGMA_RAD), sig_t)  # fmt: skip
    return out


def _twins(tracks, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Whether tracks ``a`` and ``b`` (rows, (k,)) are twins (``store.TrackStore.twin``)."""
    return (tracks.twin[a] == tracks.ids[b]) | (tracks.twin[b] == tracks.ids[a])


def _twin_sign(xo: np.ndarray, xy: np.ndarray, Po: np.ndarray, Py: np.ndarray) -> np.ndarray:
    """Log prior (k, G) on ``SEPARATION_GRID_MPS`` of pairs born together (older's estimate
    ``xo``, younger's ``xy`` (k, >=6), covariances ``Po``, ``Py``): of the sign, the
    probability that the older is ahead along the velocity ``u``, from the difference of
    their positions, ``Δ ~ N(s u, Σ)``, ``Σ`` the two covariances summed (each track its own
    detections): ``s`` by least squares, ``ŝ = uᵀΣ⁻¹Δ / uᵀΣ⁻¹u`` with variance
    ``1 / uᵀΣ⁻¹u``, ``P(s > 0) = Φ(ŝ √(uᵀΣ⁻¹u))``. The radars measure the pair's separation
    along their lines of sight to metres and across them to a kilometre: this is that range
    difference carried onto the velocity, the push's direction, as the younger is ordered
    from then on (``Formations._order``); each half of the grid as ``_SEPARATION_PRIOR``."""
    u = xo[:, 3:6] / np.maximum(np.linalg.norm(xo[:, 3:6], axis=1, keepdims=True), 1e-9)
    S = Po[:, :3, :3] + Py[:, :3, :3]
    Siu = np.linalg.solve(S, u[:, :, None])[:, :, 0]
    info = einsum("ki,ki->k", u, Siu)
    z = einsum("ki,ki->k", Siu, xo[:, :3] - xy[:, :3]) / np.sqrt(np.maximum(info, 1e-300))
    half = _SPEEDS.size
    out = np.empty((xo.shape[0], 2 * half))
    out[:, :half] = log_ndtr(-z)[:, None]
    out[:, half:] = log_ndtr(z)[:, None]
    return out


def _carried_modes(c: np.ndarray, cfg: TrackerConfig) -> np.ndarray:
    """The modes (k, NMODE) bool of tracks with mode probabilities ``c`` (k, NMODE) whose
    estimate a track's relative state is carried with: all but the seeds, a boost mode below
    ``boost_reseed_prob`` and a manoeuvre mode below its ``reseed_prob``, which are no
    estimates of their own but the hypothesis "thrust (lift) began since the last update",
    restarted from the coast mode at every update and left out of its mixing
    (``mixing.reseed_boost``, ``mixing.mix``). A seed's spread is that of its step since the
    last update (a boost mode's 10-45 m/s over 0.3-1.7 s): taken into the cross-covariance
    kept for the next scan (``Formations.commit``), it was regressed there against a mixture
    whose seed had another step's spread, and the pair's joint covariance was no longer
    positive semidefinite (issue 13, world47 #4)."""
    keep = np.ones(c.shape, dtype=bool)
    keep[:, BOOST] = c[:, BOOST] >= cfg.boost_reseed_prob
    keep[:, MANOEUVRE] = c[:, MANOEUVRE] >= cfg.manoeuvre.reseed_prob
    keep[~keep.any(axis=1)] = True  # every mode a seed: all of them (no such track)
    return keep


def _carried_weights(c: np.ndarray, carried: np.ndarray | None) -> np.ndarray:
    """Mode probabilities ``c`` (k, NMODE) over the ``carried`` modes (``_carried_modes``;
    None: all), normalised."""
    w = c if carried is None else np.where(carried, c, 0.0)
    total = w.sum(axis=1, keepdims=True)
    return np.where(total > 0.0, w / np.maximum(total, 1e-300), c / c.sum(axis=1, keepdims=True))


def _per_mode_relative(f: Formation, xs: np.ndarray, Ps: np.ndarray, c: np.ndarray):
    """The relative state of each track of ``f`` (``f.rel``) paired with each of its modes
    (predictions ``xs``, ``Ps``: mode-expanded rows, ``NMODE`` per track; ``c`` (na, NMODE)
    their probabilities): per mode the mean (k, NMODE, 6), covariance (k, NMODE, 6, 6) and
    cross-covariance with the mode's state (k, NMODE, NX, 6).

    A track keeps one relative state, ``f.r``, ``f.Prr``, its cross-covariance ``f.C`` with the
    modes' mixture (``Formations.commit``, moment-matched over the modes). It is carried into
    each mode by its regression on the track's state, ``r = r̄ + B (x - x̄) + ε`` with
    ``B = Cᵀ P̄⁻¹`` and ``ε`` the part of ``r`` the track's state does not explain,
    ``Prr - Cᵀ P̄⁻¹ C`` (``x̄``, ``P̄`` the mixture of the modes it is carried with,
    ``_carried_modes``): a mode's joint covariance is then
    that of ``(x, r̄ + B (x - x̄) + ε)``, positive semidefinite by construction, and a mode
    that knows the track's state better knows the relative state by as much as that
    regression says, no more. Before, each mode took the mixture's cross-covariance as it was
    next to its own covariance, and the relative state's covariance was raised until the
    pair was positive semidefinite: with a coast mode tighter than the mixture where a boost
    mode of 0.2-0.8 % lay off it, the raised covariance made the relative state a near-exact
    multiple (up to 700x) of the track's state in some direction, and the partner's next
    detection, measuring ``x ∓ r``, measured that combination of the track's state as
    exactly: the world21 set's #6 (``lookout generate --region world --seed 21 --count 8``,
    an ICBM to Kura), its stage's track's coast NEES 3 -> 75 in four such updates."""
    rows = NMODE * f.rel[:, None] + np.arange(NMODE)  # (k, NMODE)
    X, P = xs[rows], Ps[rows]
    cfg = f.sink.config if f.sink is not None else TrackerConfig()
    f.carried = _carried_modes(c[f.rel], cfg)
    w = _carried_weights(c[f.rel], f.carried)
    xbar = np.einsum("km,kmn->kn", w, X)
    dx = X - xbar[:, None]
    Pbar = np.einsum("km,kmab->kab", w, P + dx[..., :, None] * dx[..., None, :])
    # P̄⁻¹ on the correlation scale (metres, m/s, the drag coefficient and thrust differ by
    # orders of magnitude); a state no mode varies (variance 0) has no weight.
    d = np.sqrt(np.maximum(np.einsum("kii->ki", Pbar), 0.0))
    d = np.where(d > 0.0, d, 1.0)
    dd = d[:, :, None] * d[:, None, :]
    Bt = (np.linalg.pinv(Pbar / dd, rcond=1e-12, hermitian=True) / dd) @ f.C  # (k, NX, 6)
    Ct = f.C.transpose(0, 2, 1)
    eps = f.Prr - Ct @ Bt
    ev, V = np.linalg.eigh(0.5 * (eps + eps.transpose(0, 2, 1)))
    eps = (V * np.maximum(ev, 0.0)[:, None, :]) @ V.transpose(0, 2, 1)
    r_m = f.r[:, None] + np.einsum("kmn,knj->kmj", dx, Bt)
    C_m = P @ Bt[:, None]
    Prr_m = Bt.transpose(0, 2, 1)[:, None] @ C_m + eps[:, None]
    return r_m, 0.5 * (Prr_m + Prr_m.transpose(0, 1, 3, 2)), C_m


def update_formation(scan: Scan, f: Formation, xs, Ps, c, zh, H, x_new, P_new, ll, K, S, nu):
    """Update the tracks of closely spaced pairs as formations
    (``Formations.order_siblings``), each track's state and the pair's relative state it
    carries (``r``, older minus younger: a state of its own, ``Formations._attach_relative``)
    as one: each track with both detections in the order decided
    (``Formations._order``), its partner's measuring its own state less (the older) or plus
    (the younger) the relative state. The relative state's error is common to every
    partner's detection it shifts: carried with its cross-covariance with the track, the
    track learns it from the pair's detections instead of taking it as fresh noise at every
    scan. Overwrites the rows' plain updates in ``x_new``, ``P_new`` and ``ll``
    (mode-expanded rows, ``NMODE`` per track). Tracks carrying a relative state updated with
    their own detection alone (``K``, ``S``, ``nu``: the plain updates' gains, innovation
    covariances and innovations) update it through its cross-covariance. Each mode (``c``
    (na, NMODE): the modes' predicted probabilities) takes the relative state by its
    regression on the track's state (``_per_mode_relative``). The relative states'
    updates per mode go to ``f.r_m``, ``f.Prr_m``, ``f.C_m`` (``Formations.commit``)."""
    kind, m = scan.kind, scan.m
    nf, k = f.rows.size, f.rel.size
    kern = _compiled()
    if (
        kern is not None
        and all(a.flags.c_contiguous for a in (x_new, P_new, ll))
        and np.array_equal(f.rel[:nf], f.rows)
    ):
        # The same below in one call (``compiled_formations.update_formation``).
        cfg = f.sink.config if f.sink is not None else TrackerConfig()
        c_ = np.ascontiguousarray
        f.r_m, f.Prr_m, f.C_m, f.carried = kern.update_formation(
            c_(f.rel, dtype=np.int64), nf, c_(xs), c_(Ps), c_(c, dtype=float), c_(f.r),
            c_(f.Prr), c_(f.C), float(cfg.boost_reseed_prob), float(cfg.manoeuvre.reseed_prob),
            c_(zh), c_(H), c_(K), c_(S), c_(nu), c_(scan.z), c_(scan.R),
            c_(f.own, dtype=np.int64), c_(f.other, dtype=np.int64), c_(f.sign, dtype=float),
            c_(f.extra, dtype=float), measure.AZIMUTH_INDEX[kind], x_new, P_new, ll,
        )  # fmt: skip
        return
    r_m, Prr_m, C_m = _per_mode_relative(f, xs, Ps, c)
    # Tracks updated alone: ``[x; r]`` with ``[H, 0]``, the state's update the plain one.
    if k > nf:
        rr = (NMODE * f.rel[nf:, None] + np.arange(NMODE)).ravel()
        Cr = C_m[nf:].reshape(-1, NX, 6)
        HC = H[rr] @ Cr[:, :6, :]  # (., m, 6)
        Kr = HC.transpose(0, 2, 1) @ np.linalg.inv(S[rr])  # (., 6, m)
        r1 = r_m[nf:].reshape(-1, 6) + (Kr @ nu[rr][:, :, None])[:, :, 0]
        P1 = Prr_m[nf:].reshape(-1, 6, 6) - Kr @ HC
        C1 = Cr - K[rr] @ HC
        r_m[nf:] = r1.reshape(k - nf, NMODE, 6)
        Prr_m[nf:] = P1.reshape(k - nf, NMODE, 6, 6)
        C_m[nf:] = C1.reshape(k - nf, NMODE, NX, 6)
    if nf:
        rr = (NMODE * f.rows[:, None] + np.arange(NMODE)).ravel()
        x0, P0, zr, Hr = xs[rr], Ps[rr], zh[rr], H[rr]
        own, other = np.repeat(f.own, NMODE), np.repeat(f.other, NMODE)
        sign = np.repeat(f.sign, NMODE)
        extra = np.repeat(f.extra, NMODE, axis=0)
        r0 = r_m[:nf].reshape(-1, 6)
        n = rr.size
        # The augmented state ``[x; r]`` (NX + 6) and its covariance.
        y0 = np.concatenate([x0, r0], axis=1)
        Y0 = np.zeros((n, NX + 6, NX + 6))
        Y0[:, :NX, :NX] = P0
        Cf = C_m[:nf].reshape(-1, NX, 6)
        Y0[:, :NX, NX:] = Cf
        Y0[:, NX:, :NX] = Cf.transpose(0, 2, 1)
        Y0[:, NX:, NX:] = Prr_m[:nf].reshape(-1, 6, 6)
        # Own detection ``H x``; the partner's ``H (x - sign r)``.
        Ha = np.zeros((n, 2 * m, NX + 6))
        Ha[:, :m, :6] = Hr
        Ha[:, m:, :6] = Hr
        Ha[:, m:, NX:] = -sign[:, None, None] * Hr
        zr2 = zr - sign[:, None] * (Hr @ r0[:, :, None])[:, :, 0]
        YHt = Y0 @ Ha.transpose(0, 2, 1)
        HYH = Ha @ YHt
        nu2 = np.concatenate(
            [measure.wrap(scan.z[own] - zr, kind), measure.wrap(scan.z[other] - zr2, kind)],
            axis=1,
        )
        S2 = HYH.copy()
        S2[:, :m, :m] += scan.R[own]
        S2[:, m:, m:] += scan.R[other] + extra
        Sinv = np.linalg.inv(S2)
        _, logdet = np.linalg.slogdet(S2)
        K2 = YHt @ Sinv
        y = y0 + (K2 @ nu2[:, :, None])[:, :, 0]
        Y = Y0 - K2 @ S2 @ K2.transpose(0, 2, 1)
        d2 = einsum("ki,kij,kj->k", nu2, Sinv, nu2)
        x_new[rr] = y[:, :NX]
        P_new[rr] = Y[:, :NX, :NX]
        ll[rr] = -0.5 * (d2 + logdet + 2 * m * _LOG_2PI)
        r_m[:nf] = y[:, NX:].reshape(nf, NMODE, 6)
        Prr_m[:nf] = Y[:, NX:, NX:].reshape(nf, NMODE, 6, 6)
        C_m[:nf] = Y[:, :NX, NX:].reshape(nf, NMODE, NX, 6)
    f.r_m, f.Prr_m, f.C_m = r_m, Prr_m, C_m


def air_column(
    x6: np.ndarray, span: np.ndarray, *, climbing: bool
) -> tuple[np.ndarray, np.ndarray]:
    """The air flown through by paths (k, 6) after (``climbing``) or before (else) their
    states ``x6``, over at most ``span`` (k,) s: ``∫ ρ v² dt`` (kg/(m s)) and the time it takes
    (s). In an exponential atmosphere a path crossing the air at vertical speed ``v_z`` flies
    ``ρ H / |v_z|`` of it beyond a point, ``H`` the density's scale height, in ``H / |v_z|``
    s. Counted only where the path is low at its state: climbing away from it (a parting), or
    descending into it (a reentry)."""
    pos, vel = x6[:, 0:3], x6[:, 3:6]
    r = np.sqrt(einsum("ij,ij->i", pos, pos))
    vz = einsum("ij,ij->i", pos, vel) / r
    rho, drho = density_and_slope(altitude_approx(pos))
    scale = rho / np.maximum(np.abs(drho), 1e-300)
    dt = np.minimum(scale / np.maximum(np.abs(vz), 1e-3), np.abs(span))
    low = vz > 0.0 if climbing else vz < 0.0
    dt = np.where(low, dt, 0.0)
    return rho * einsum("ij,ij->i", vel, vel) * dt, dt


def vacuum_steps(dt, max_step_s: float) -> np.ndarray:
    """RK4 steps of ``max_step_s`` for predictions over ``dt`` without drag."""
    return np.maximum(1, np.ceil(np.abs(np.atleast_1d(dt)) / max_step_s)).astype(np.int64)
