"""Closely spaced objects: a stage and its payload, two reentry vehicles, seen by the radars
as one blur of detections (``Formations``).

Two tracks moving together that share a scan's detections get them in along-track order, the
older track the detection ahead (``Formations.order_siblings``), with the separation speed of
the pair learned on a grid (``SEPARATION_GRID_MPS``). A track born next to another (a stage
pushed off its payload) coasting with it above the air is updated with it as a *formation*
(``update_formation``): both tracks with every detection of either object, the partner's
shifted by their separation (a push along the velocity at the younger's birth), mixed over the
two possible origins.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.special import expit, logsumexp

from lookout.geodesy import GM_EARTH
from lookout.physics.trajectory import REENTRY_ALTITUDE_M
from lookout.tracking import measure
from lookout.tracking.config import TrackerConfig
from lookout.tracking.mixing import BOOST, COAST, NMODE
from lookout.tracking.motion import (
    KAPPA,
    KAPPA_UNIT,
    NX,
    altitude_approx,
    density_and_slope,
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
#: Grid of the difference of two siblings' thrusts along the stack's axis (m/s²), signed as
#: ``SEPARATION_GRID_MPS`` (positive: the older track's object ahead), log-uniform from
#: 0.5 m/s² to the catalogue's largest thrust (284 m/s²): the next stage's thrust, of a pair
#: parted at a staging (``Formations.order_siblings``).
_THRUSTS = np.geomspace(0.5, 300.0, 300)
THRUST_GRID_MPS2 = _A = np.concatenate([-_THRUSTS[::-1], _THRUSTS])


def _staging_share() -> float:
    """Of the partings of a piece from a thrusting rocket in the catalogue, the share that
    are stagings (the stack burns on) rather than its last burnout (every piece coasts): 8
    stagings and 13 last burnouts, 0.38."""
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


@dataclass(frozen=True)
class Formation:
    """Closely spaced pairs updated as formations in one scan (``update_formation``),
    per track (older tracks, then younger): its assignment row, the probability that the
    pair's detections are in the right order, its own detection and its partner's, the shift
    (m,) that puts the partner's on it and the noise (m, m) that shift adds."""

    rows: np.ndarray
    w: np.ndarray
    own: np.ndarray
    other: np.ndarray
    shift: np.ndarray
    extra: np.ndarray


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
        pw = np.exp(self._separation_logp(young))
        pw /= pw.sum(axis=1, keepdims=True)
        mean = pw @ v
        var = np.maximum(pw @ (v * v) - mean**2, 0.0) + (_GRID_STEP * mean) ** 2 / 12.0
        return mean, var

    def _separation_logp(self, young: np.ndarray) -> np.ndarray:
        """Log posteriors (k, G) of the separation speeds of tracks ``young`` (the prior,
        log-uniform in the speed, for a pair not seen yet)."""
        tracks = self.tracks
        rows = [self._separation.get(int(i), _SEPARATION_PRIOR) for i in tracks.ids[young]]
        return np.stack(rows) if rows else np.zeros((0, SEPARATION_GRID_MPS.size))

    def order_siblings(self, scan: Scan, cand, ia, jb, ok, xbar, H, P):
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
        coast mode's: a formation coasts), against which a partner's shifted detection is
        weighed.

        The order is not certain while the separation is below the noise: its probability is
        ``P(right | g)`` averaged over the posterior of ``δv`` on ``SEPARATION_GRID_MPS``
        (log-uniform prior), whose likelihood per pair, ``g ~ N(±δv a, a)`` with
        ``a = Δz' (R_o + R_y)⁻¹ Δz``, is ``cosh(δv g) exp(-δv² a / 2)`` when the order is in
        doubt, ``exp(δv g - δv² a / 2)`` when GNN has ordered them (detections apart; left out,
        the speed comes out low). The relative state is not the straight line above but the
        ballistic transition from the younger's birth (``_separation_direction``). A pair born
        next to each other (``parent``), coasting in vacuum, pushed apart slower than
        ``formation_max_speed_mps`` and within ``formation_max_separation_m`` is returned as a
        formation (``update_formation``), its two hypotheses the two orders (irbm-overflight:
        coast RMSE 1.02x the PCRLB, ``lookout track irbm-overflight``).

        A pair parted at a thrusting track that the tracker no longer takes as thrusting (a
        radar-only track just after a staging, whose next stage's few m/s² it cannot yet tell
        from none) may have staged: the stack burns on and their thrusts' difference moves
        them apart along the stack's axis (``thrust_dir``), ``Δa τ²/2``, not along the
        velocity. For ``young_boost_s`` after the parting the posterior has a second family,
        ``Δa`` on ``THRUST_GRID_MPS2``, weighed against the push from the catalogue's share
        of stagings among partings (``STAGING_SHARE``, ``_staging_order``): the separation
        growing as ``τ²`` along the axis or as ``τ`` along the velocity tells them apart in
        a few scans, and the order follows the likelier (gen-1-01's pictures: the push's
        order flipped between radars, the stack's axis 40° off the velocity)."""
        tracks = self.tracks
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
        paired = mutual | kin
        paired[np.tril_indices(k)] = False
        if not paired.any():
            return jb, None
        r_, c_ = np.nonzero(paired)  # r_ < c_: rows ascend with the ids, r_ the older
        dv = xbar[ia[r_], 3:6] - xbar[ia[c_], 3:6]
        near = np.einsum("ki,ki->k", dv, dv) <= self.config.cso_max_dv_mps**2
        r_, c_ = r_[near], c_[near]
        # Disjoint pairs only (three tracks sharing detections are left to GNN).
        cnt = np.bincount(np.concatenate([r_, c_]), minlength=k)
        single = (cnt[r_] == 1) & (cnt[c_] == 1)
        p_, c_ = r_[single], c_[single]
        if p_.size == 0:
            return jb, None
        shared = mutual[p_, c_]
        tau = np.maximum(scan.t - tracks.parted[cand[ia[c_]]], 0.0)
        # Pairs that may be formations (``update_formation``): born one next to the other,
        # coasting above the air, not yet far apart. Others are only ordered, if they share
        # their detections.
        vac = self._coasting_in_vacuum(cand[ia[p_]], xbar[ia[p_]])
        vac &= self._coasting_in_vacuum(cand[ia[c_]], xbar[ia[c_]])
        vac &= kin[p_, c_]
        if vac.any():
            vac[vac] = self._in_formation_range(cand[ia[c_[vac]]], tau[vac])
        # Pairs parted at the older's thrust (its axis then known) that the tracker no longer
        # takes as thrusting, within the catalogue's shortest burn of the parting: a staging
        # (the stack burns on: their thrusts' difference moves them apart along the axis,
        # ``Δa τ²/2``) or the last burnout (a push), which the pair's detections tell apart.
        young_all = cand[ia[c_]]
        axis_all = tracks.thrust_dir[young_all]
        staging = (
            (tracks.parent[young_all] == tracks.ids[cand[ia[p_]]])
            & (np.einsum("ki,ki->k", axis_all, axis_all) > 0.0)
            & (tracks.mu[cand[ia[p_]], BOOST] < 0.5)
            & (tau < self.config.young_boost_s)
        )
        keep = shared | vac | staging
        if not keep.all():
            p_, c_, shared, tau, vac, staging = (
                a[keep] for a in (p_, c_, shared, tau, vac, staging)
            )
            if p_.size == 0:
                return jb, None
        jc, jp = jb[c_], jb[p_]
        # Relative motion: the ballistic transition for a formation, else the straight line.
        xo = xbar[ia[p_]]
        vhat = xo[:, 3:6] / np.linalg.norm(xo[:, 3:6], axis=1, keepdims=True)
        dx = np.concatenate([tau[:, None] * vhat, vhat], axis=1)
        if vac.any():
            dx[vac] = self._separation_direction(cand[ia[c_[vac]]], xo[vac], tau[vac], scan.t)
        dz = np.einsum("kij,kj->ki", H[ia[p_]], dx)
        zd = measure.wrap(scan.z[jp] - scan.z[jc], scan.kind)
        w = np.linalg.solve(scan.R[jp] + scan.R[jc], zd[:, :, None])[:, :, 0]
        g = np.einsum("ki,ki->k", dz, w)
        wz = np.linalg.solve(scan.R[jp] + scan.R[jc], dz[:, :, None])[:, :, 0]
        a = np.einsum("ki,ki->k", dz, wz)
        # Probability that the order is right, averaged over the separation speed's posterior
        # (signed: which is ahead is learned too), then the posterior updated with this pair
        # (its likelihood is even in the order when it is in doubt, N(g; v a, a) when GNN has
        # ordered them). Shared detections are put in the likelier order; apart, GNN's stands.
        v = SEPARATION_GRID_MPS
        young = cand[ia[c_]]
        # A pair parted at a staging, the older thrusting on: the difference of their thrusts
        # ``Δa`` has moved them ``Δa τ² / 2`` apart since, along the stack's axis, not its
        # velocity (satellite-launch: 40° off it), a known offset ``c`` to the separation
        # ``δv τ`` (``gc``, ``bc``: its terms), for the order only: zero for a pair coasting
        # and left out of the separation speed's posterior, which a burnout (thrust gone,
        # the older still taken as thrusting for a scan or two) would bias (irbm-overflight:
        # coast RMSE 12x the PCRLB with it).
        older = cand[ia[p_]]
        dacc = np.where(
            (tracks.mu[older, BOOST] >= 0.5)[:, None],
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
        axis = tracks.thrust_dir[young]
        kin_pair = (tracks.parent[young] == tracks.ids[older]) & (
            np.einsum("ki,ki->k", axis, axis) > 0.0
        )
        if kin_pair.any():
            size = np.einsum("ki,ki->k", dacc[kin_pair], axis[kin_pair])
            dacc[kin_pair] = size[:, None] * axis[kin_pair]
        c6 = np.concatenate([0.5 * (tau * tau)[:, None] * dacc, tau[:, None] * dacc], axis=1)
        dzc = np.einsum("kij,kj->ki", H[ia[p_]], c6)
        gc = np.einsum("ki,ki->k", dzc, w)
        bc = np.einsum("ki,ki->k", dzc, wz)
        prior = self._separation_logp(young)
        # A pair parted at a thrusting track: the staging's family too (``_staging_order``).
        st = np.flatnonzero(staging)
        if st.size:
            prior[st], gt, lw_st = self._staging_order(
                young[st], prior[st], axis[st], tau[st], H[ia[p_[st]]],
                scan.R[jp[st]] + scan.R[jc[st]], w[st],
            )  # fmt: skip
        logw = prior - 0.5 * a[:, None] * v * v - bc[:, None] * v
        right = logsumexp(logw + g[:, None] * v + gc[:, None], axis=1)
        wrong = logsumexp(logw - g[:, None] * v - gc[:, None], axis=1)
        if st.size:
            right[st] = np.logaddexp(right[st], logsumexp(lw_st + gt[:, None] * _A, axis=1))
            wrong[st] = np.logaddexp(wrong[st], logsumexp(lw_st - gt[:, None] * _A, axis=1))
        swap = shared & (wrong > right)
        jb = jb.copy()
        if swap.any():
            jb[c_[swap]], jb[p_[swap]] = jp[swap], jc[swap]
            g = np.where(swap, -g, g)
            right, wrong = np.where(swap, wrong, right), np.where(swap, right, wrong)
        b = np.where(shared, expit(right - wrong), 1.0)  # 1 / (1 + e^(wrong - right)), no overflow
        vg = g[:, None] * v
        like = np.where(shared[:, None], np.logaddexp(vg, -vg), vg)
        lp = prior + like - 0.5 * a[:, None] * v * v
        top = lp.max(axis=1)
        if st.size:
            # The staging's family, signed as the order now stands (``g`` turned with a swap).
            gt = np.where(swap[st], -gt, gt)
            ag = gt[:, None] * _A
            like_t = np.where(shared[st, None], np.logaddexp(ag, -ag), ag)
            lpt = lw_st + like_t
            top[st] = np.maximum(top[st], lpt.max(axis=1))
            for k, i in enumerate(tracks.ids[young[st]].tolist()):
                self._staging[i] = lpt[k] - top[st[k]]
        lp -= top[:, None]
        for i, row, both in zip(tracks.ids[young].tolist(), lp, staging, strict=True):
            self._separation[i] = row
            if not both:  # the staging family's time is over: the push's posterior alone
                self._staging.pop(i, None)
        v_mean, v_var = self._separation_moments(young)
        # Formations: as ``vac`` (both coasting above the air, born one next to the other, not
        # yet far apart) and pushed apart slowly; others keep the order alone.
        high = vac & self._pushed_apart(young)
        if not high.any():
            return jb, None
        p_, c_, dz, b, v_mean, v_var, tau = (a[high] for a in (p_, c_, dz, b, v_mean, v_var, tau))
        # The relative motion is one push along the velocity at the parting; drag that differs
        # between the two bodies after it (``_drag_offset_sigma``) moves them off it: an error
        # of the partner's position, common to every shifted detection like the speed's.
        sig_p = self._drag_offset_sigma(cand[ia[p_]], cand[ia[c_]], xbar[ia[p_]], tau)
        # Rows: older tracks then younger, each with its partner's offset from it in
        # measurement space per m/s (the younger behind).
        rows = np.concatenate([p_, c_])
        other = np.concatenate([jb[c_], jb[p_]])
        off = np.concatenate([dz, -dz])
        vm, vv = np.concatenate([v_mean, v_mean]), np.concatenate([v_var, v_var])
        extra = vv[:, None, None] * off[:, :, None] * off[:, None, :]
        Hp = H[ia[rows], :, :3]
        sp2 = np.concatenate([sig_p, sig_p]) ** 2
        extra += sp2[:, None, None] * (Hp @ Hp.transpose(0, 2, 1))
        # The separation's error is common to every detection shifted by it, but is added to
        # each as fresh noise. A common error biases the estimate by at most itself, however
        # many detections carry it: it is harmless while it is a small part of what the track
        # does not know there, its prediction's ``H P Hᵀ``. Beyond
        # ``formation_offset_variance_ratio`` of that (Mahalanobis) the track leaves the
        # formation for this scan: its own detection alone, in the order decided above.
        # Against the detection's own noise instead, a track that had taken hundreds of
        # shifted detections, its sigma far below the detection's, carried their common error
        # as a bias of 2-3 sigma (gen-1-00's reentry vehicle: 15 m along track under a 5 m
        # sigma, coast NEES 15-22 at the coast floor of 0.01 mm/s², its stage parted 1.2 s
        # before the tracker's burnout time). Kept in the formation with the partner's
        # detection at an infinite noise, as before, the two orders' mixture spread a precise
        # track's covariance over the pair's separation at every scan while the order was
        # not quite sure (irbm-overflight: coast NEES 2.6, in bounds 0.62; leaving, 0.99).
        Pr = P[ia[rows], :6, :6]
        Hr = H[ia[rows]]
        q = np.einsum("kij,kji->k", np.linalg.inv(Hr @ Pr @ Hr.transpose(0, 2, 1)), extra)
        taken = q <= self.config.formation_offset_variance_ratio
        if not taken.any():
            return jb, None
        rows, other, off, vm, extra = (a[taken] for a in (rows, other, off, vm, extra))
        formation = Formation(
            rows=rows,
            w=np.concatenate([b, b])[taken],
            own=jb[rows],
            other=other,
            shift=vm[:, None] * off,
            extra=extra,
        )
        return jb, formation

    def _staging_order(self, young, prior, axis, tau, H, R, w):
        """The staging's family of the pairs ``young`` (k,) parted at a thrusting track:
        their thrusts' difference ``Δa`` along the stack's ``axis`` (k, 3) at the parting,
        ``tau`` (k,) s before, moving them ``Δa (τ²/2, τ)`` apart. Returns the push family's
        log prior (k, G) on the two families' common scale (for a pair first seen, the
        catalogue's ``STAGING_SHARE`` of stagings among the partings from a thrusting rocket),
        the matched filter's ``g`` (k,) of the detections' difference for a ``Δa`` of 1 m/s²,
        and the staging family's log weights before this scan's data (k, T): its log
        posterior less ``Δa² a / 2``, ``a`` the filter's own gain. ``H`` (k, m, 6): the
        older's measurement Jacobian; ``R`` (k, m, m) the pair's detections' summed noise;
        ``w`` (k, m) their difference solved with it (``order_siblings``)."""
        ids = self.tracks.ids[young].tolist()
        prior = prior.copy()
        lpt = np.empty((len(ids), _A.size))
        for k, i in enumerate(ids):
            row = self._staging.get(i)
            if row is None:
                prior[k] = _SEPARATION_PRIOR + _PUSH_PRIOR_SPLIT
                row = _THRUST_PRIOR_SPLIT
            lpt[k] = row
        dx = np.concatenate([0.5 * (tau * tau)[:, None] * axis, tau[:, None] * axis], axis=1)
        dzt = np.einsum("kij,kj->ki", H, dx)
        gt = np.einsum("ki,ki->k", dzt, w)
        at = np.einsum("ki,ki->k", dzt, np.linalg.solve(R, dzt[:, :, None])[:, :, 0])
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
            u1 = np.einsum("kij,kj->ki", F[:, :6, :6], u0)
            out[kk] = u1
            for i, idx in enumerate(kk.tolist()):
                self._formation_ref[keys[idx]] = (t, x1[i], u1[i], refs[i][3])
            # The older's estimate has moved off the reference (a young track's velocity is
            # still settling): found again from it.
            v_ref, v_now = x1[:, 3:6], x6[kk, 3:6]
            cos = np.einsum("ki,ki->k", v_ref, v_now) / (
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
            u = np.einsum("kij,kj->ki", F[:, :6, 3:6], vhat)
            out[nk] = u
            col, t_air = air_column(back[:, :6], tau[nk], climbing=True)
            for i, idx in enumerate(nk.tolist()):
                self._formation_ref[keys[idx]] = (t, x[i], u[i], t)
                self._parting_air[keys[idx]] = (float(col[i]), float(t_air[i]))
        return out

    def _drag_offset_sigma(
        self, older: np.ndarray, young: np.ndarray, x6: np.ndarray, tau: np.ndarray
    ) -> np.ndarray:
        """Standard deviation (k,) of the relative position (m) by which drag differing between
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
        r2 = np.einsum("ij,ij->i", x6[:, :3], x6[:, :3])
        speed = np.maximum(np.sqrt(np.einsum("ij,ij->i", x6[:, 3:6], x6[:, 3:6])), 1.0)
        turn = GM_EARTH / r2 / speed  # rad/s
        return 0.5 * dkappa * (col_p * t_p * (1.0 + turn * tau) + col_d * t_d)


def update_formation(scan: Scan, f: Formation, xs, Ps, zh, H, x_new, P_new, ll) -> None:
    """Update the tracks of closely spaced pairs as formations
    (``Formations.order_siblings``): under each order of the pair's two detections (right,
    with probability ``f.w``, or swapped), each track is updated with both, its partner's
    shifted by the partner's offset from it (the separation speed's variance added to that
    detection's noise); the two updates are mixed by the orders' probabilities (moment
    matching). Overwrites the rows' plain updates in ``x_new``, ``P_new`` and ``ll``
    (mode-expanded rows, two per track)."""
    kind, m = scan.kind, scan.m
    rr = (NMODE * f.rows[:, None] + np.arange(NMODE)).ravel()
    x0, P0, zr, Hr = xs[rr], Ps[rr], zh[rr], H[rr]
    own, other = np.repeat(f.own, NMODE), np.repeat(f.other, NMODE)
    shift = np.repeat(f.shift, NMODE, axis=0)
    extra = np.repeat(f.extra, NMODE, axis=0)
    H2 = np.concatenate([Hr, Hr], axis=1)  # (k, 2m, 6)
    PHt = P0[:, :, :6] @ H2.transpose(0, 2, 1)
    HPH = H2 @ PHt[:, :6, :]
    out = []
    for mine, theirs in ((own, other), (other, own)):
        nu = np.concatenate(
            [
                measure.wrap(scan.z[mine] - zr, kind),
                measure.wrap(scan.z[theirs] + shift - zr, kind),
            ],
            axis=1,
        )
        S = HPH.copy()
        S[:, :m, :m] += scan.R[mine]
        S[:, m:, m:] += scan.R[theirs] + extra
        Sinv = np.linalg.inv(S)
        _, logdet = np.linalg.slogdet(S)
        K = PHt @ Sinv
        x = x0 + (K @ nu[:, :, None])[:, :, 0]
        P = P0 - K @ S @ K.transpose(0, 2, 1)
        d2 = np.einsum("ki,kij,kj->k", nu, Sinv, nu)
        out.append((x, P, -0.5 * (d2 + logdet + 2 * m * _LOG_2PI)))
    (xa, Pa, la), (xb, Pb, lb) = out
    w = np.repeat(f.w, NMODE)
    b = w[:, None]
    dx = xa - xb
    x_new[rr] = b * xa + (1.0 - b) * xb
    P_new[rr] = (
        b[:, :, None] * Pa
        + (1.0 - b)[:, :, None] * Pb
        + (b * (1.0 - b))[:, :, None] * dx[:, :, None] * dx[:, None, :]
    )
    with np.errstate(divide="ignore"):
        ll[rr] = np.logaddexp(np.log(w) + la, np.log1p(-w) + lb)


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
    r = np.sqrt(np.einsum("ij,ij->i", pos, pos))
    vz = np.einsum("ij,ij->i", pos, vel) / r
    rho, drho = density_and_slope(altitude_approx(pos))
    scale = rho / np.maximum(np.abs(drho), 1e-300)
    dt = np.minimum(scale / np.maximum(np.abs(vz), 1e-3), np.abs(span))
    low = vz > 0.0 if climbing else vz < 0.0
    dt = np.where(low, dt, 0.0)
    return rho * np.einsum("ij,ij->i", vel, vel) * dt, dt


def vacuum_steps(dt, max_step_s: float) -> np.ndarray:
    """RK4 steps of ``max_step_s`` for predictions over ``dt`` without drag."""
    return np.maximum(1, np.ceil(np.abs(np.atleast_1d(dt)) / max_step_s)).astype(np.int64)
