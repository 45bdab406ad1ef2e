"""Gating and assignment of a scan's detections to the predicted tracks (``Associator``).

A coarse gate first (``Associator.coarse``: a cheap constant-acceleration extrapolation of each
track, ``refresh_coarse``) picks the tracks near any detection; those are predicted (IMM), and
each (track, detection) pair is scored under each mode of the prediction
(``mode_distances``): a detection is in a track's gate when it is in the chi-square gate of a
mode probable enough, and the cost is ``-2 ln`` of the mixture density (``mixture_cost``),
assigned by global nearest neighbour (``gnn``). Closely spaced pairs are then put in
along-track order (``formations.Formations.order_siblings``), and a detection left over in the
gate of a track that does not know its velocity yet continues a copy of it (two-point
initiation over every pairing, ``Associator.branches``).
"""

from __future__ import annotations

import math

import numpy as np
from scipy.optimize import linear_sum_assignment
from scipy.special import log_ndtr

from lookout.physics import atmosphere
from lookout.physics.einsum import einsum
from lookout.tracking import manoeuvre, measure
from lookout.tracking.config import TrackerConfig
from lookout.tracking.formations import Formations, parting_spread
from lookout.tracking.lse import logsumexp
from lookout.tracking.mixing import BOOST, COAST, MANOEUVRE, NMODE, combine, compiled_imm
from lookout.tracking.motion import (
    KAPPA,
    KAPPA_UNIT,
    NX,
    acceleration,
    air_density,
    altitude_approx,
    numpy_step,
)
from lookout.tracking.reach import thrust_displacement_m
from lookout.tracking.scans import Scan
from lookout.tracking.update import innovation_inverse

#: The staged hypothesis's column after the modes' in ``Associator.associate``'s mixture.
STAGED = NMODE

#: ``Associator.contested``'s mark of a track whose detection may be its sibling's, its own
#: object then missed.
MISSED = -2
_LOG_2PI = math.log(2.0 * math.pi)

_BIG = 1e12
#: No rows, the compiled coarse gate's arguments of the other kind of scan.
_NO_ROWS3 = np.zeros((0, 3))
_NO_ROWS = np.zeros(0)
#: ``lookout.tracking.compiled`` once imported (numba: on the first use, ``_kernels``).
_compiled = None


def _kernels():
    """``lookout.tracking.compiled`` (numba: imported on the first use, then kept; a
    function-level import costs a few microseconds at every scan). The callers choose the
    numpy path themselves (``numpy_step``)."""
    global _compiled
    if _compiled is None:
        from lookout.tracking import compiled

        _compiled = compiled
    return _compiled


#: The iterated gate (``iterated_distances``) stops a pair's Gauss-Newton steps once, after
#: its first step, its d² at the current linearization is above this: another object's
#: detection, whose steps need not converge, then no longer takes ten. Not a bound (the steps
#: of a far pair wander: one of mass-raid's went 9.9, 31, 3,627, 42,643, 23.8, ..., 144), a
#: margin measured on mass-raid's first 300 s (4,796 calls, 301,728 pairs; 2.7x fewer steps):
#: the pairs that ended in a gate (< 25) were at most 1,054 after a step (54,000 at the
#: prior's mean, the linearization known to be bent, so not tested), and every pair above
#: 1e4 after a step ended above 144, out of every gate (the largest, chi2(4) at 0.9999, 23.5);
#: ``docs/history/benchmarks-log.md``, perfgate57.
GATE_BEYOND = 1e4


class Associator:
    """Gates and assigns each scan's detections to the tracks of ``tracks`` (the tracker's
    track store, ``store.TrackStore``); ``formations`` orders the closely spaced pairs,
    ``clutter`` (by sensor id, ``clutter.SensorClutter``) gives the false alarms' density.
    After ``associate``, ``branches`` holds the scan's two-point branches: track rows,
    detection columns, score increments, thrust reachable."""

    def __init__(
        self,
        config: TrackerConfig,
        tracks,
        formations: Formations,
        clutter: dict,
    ) -> None:
        self.config = cfg = config
        self.tracks = tracks
        self.formations = formations
        self._clutter = clutter
        self._gate = {m: cfg.gate(m) for m in (2, 3, 4)}
        # The detection's distance from the prediction along its own direction, over the
        # sigma there, is at most its 3-D Mahalanobis distance (Cauchy-Schwarz), chi2(3)
        # (``_thrust_reachable``).
        self._reach_sigmas = math.sqrt(cfg.gate(3))
        self._log_pd = math.log(cfg.detection_prob)
        self.branches: tuple = ()
        #: After ``associate``: per (track of ``cand``, detection), whether the detection is in
        #: the track's gate (``duplicates.Duplicates.note``).
        self.gated = np.zeros((0, 0), dtype=bool)
        #: The radars' looks at the tracks (``existence.RadarLooks``, set by the tracker): each
        #: track's detection probability with a radar, for a lone detection two siblings gate
        #: (``_lone_by_pd``, ``contested``). None: one probability for every track.
        self.looks = None
        #: The radar and time of the scan ``associate`` last saw (sensor None: infrared).
        self._scan_radar: tuple[str | None, float] = (None, 0.0)
        #: After ``associate``: the lone detections two siblings gated (``_lone_by_pd``) as
        #: store rows of the track given it and of its sibling, and the chance by position
        #: alone that it is the first's object (None: none), for the radar's looks.
        self.lone_credit: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
        #: After ``associate``: per ``lone_credit`` entry, the chance it is the first's by its
        #: position and the radar's looks at both (``_missed_one``), for ``_hold_unresolved``.
        self._lone_weighed = np.zeros(0)
        #: After ``associate``: the detections held (``_hold_unresolved``) and the store rows
        #: of the tracks that both gate them (neither updated; a look of the radar at each,
        #: credited by the chance it is its object's, ``lone_credit``, and no miss).
        self.held = (np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64))
        #: After ``associate``: per assigned pair, what the other tracks gating its detection
        #: take from its score as evidence of its object (``_rivals``).
        self.rival = np.zeros(0)
        #: Per (older id, younger id, radar): the lone detections of that pair held so far, and
        #: their costs' differences summed, the older's less the younger's.
        self._holds: dict[tuple[int, int, str], tuple[int, float]] = {}
        #: At most this many (``_hold_unresolved``): each is a likelihood ratio
        #: ``2 (1 - detection_prob)`` that the radar sees one of the pair only, and this many
        #: reach ``delete_score_drop``'s evidence. 0 (no hold) where that is never reached
        #: (deletion by score off, or ``detection_prob`` at most one half: a lone detection is
        #: then no evidence that the radar sees one of them only).
        per_scan = -math.log(2.0 * (1.0 - cfg.detection_prob))  # detection_prob in (0, 1)
        evidence = cfg.delete_score_drop / per_scan if per_scan > 0.0 else math.inf
        self._hold_max = math.ceil(evidence) if math.isfinite(evidence) else 0
        self._hold_doubt = 1.0 - cfg.gate_probability

    def coarse(self, scan: Scan) -> np.ndarray:
        """Tracks whose cheaply extrapolated position is near one of the scan's detections:
        constant acceleration from the last update, inside ``coarse_gate_sigmas`` times the
        position uncertainty grown by the velocity and acceleration uncertainties, the
        gravity-gradient error of the extrapolation and the largest plausible drag."""
        tracks = self.tracks
        cfg = self.config
        n = tracks.n
        if not numpy_step() and tracks.cpos.dtype == np.float64:
            # Compiled (``compiled.coarse_near``: one call for some thirty; the same
            # decisions but at a gate's edge to the last digit).
            radar = scan.kind == "radar"
            e3, e = _NO_ROWS3, _NO_ROWS
            near = _kernels().coarse_near(
                float(scan.t), tracks.t_base[:n], tracks.cpos[:n], tracks.cvel[:n],
                tracks.cacc[:n], tracks.csig[:n], tracks.cdrag[:n],
                float(cfg.coarse_gate_sigmas), float(atmosphere.DRAG_CEILING_M), radar,
                scan.ecef_pos if radar else e3, scan.ecef_sig if radar else e,
                np.asarray(scan.s, dtype=float),
                e3 if radar else scan.los, e if radar else scan.los_sig,
            )  # fmt: skip
            return np.flatnonzero(near)
        dt = scan.t - tracks.t_base[:n]
        adt = np.abs(dt)
        p = (
            tracks.cpos[:n]
            + tracks.cvel[:n] * dt[:, None]
            + 0.5 * tracks.cacc[:n] * (dt * dt)[:, None]
        )
        sig = tracks.csig[:n]
        speed = np.sqrt(einsum("ij,ij->i", tracks.cvel[:n], tracks.cvel[:n]))
        rad = cfg.coarse_gate_sigmas * (sig[:, 0] + sig[:, 1] * adt + 0.5 * sig[:, 2] * adt * adt)
        rad += 1e-6 * speed * adt**3 + 1000.0
        alt = altitude_approx(p)
        low = alt < atmosphere.DRAG_CEILING_M
        if low.any():
            a_drag = 0.5 * air_density(alt[low]) * speed[low] ** 2 * tracks.cdrag[:n][low]
            rad[low] += a_drag * dt[low] ** 2
        if scan.kind == "radar":
            zpos, zsig = scan.ecef_pos, scan.ecef_sig
            d2 = einsum("nmi,nmi->nm", p[:, None, :] - zpos[None], p[:, None, :] - zpos[None])
            reach = rad[:, None] + cfg.coarse_gate_sigmas * zsig[None, :]
            return np.flatnonzero((d2 <= reach * reach).any(axis=1))
        d = p - scan.s
        u = scan.los  # (M, 3)
        along = d @ u.T  # (n, M)
        perp2 = einsum("ni,ni->n", d, d)[:, None] - along * along
        reach = rad[:, None] + cfg.coarse_gate_sigmas * scan.los_sig[None, :] * np.abs(along)
        return np.flatnonzero(((perp2 <= reach * reach) & (along > 0)).any(axis=1))

    def associate(self, scan: Scan, cand, xp, Pp, c, xbar, staged):
        """Gate and assign the predicted tracks ``cand``: track rows (into ``cand``), detection
        columns, the closely spaced pairs to update as formations (``order_siblings``; None if
        none), the track-score increments of the pairs, and per detection the id of the nearest
        confirmed track that gates it and is updated in this scan (-1: none).

        The IMM's predicted measurement density is a mixture, one Gaussian per mode weighted by
        its predicted probability ``c``: a detection is in a track's gate when it is in the
        chi-square gate of a mode at least ``gate_mode_floor`` probable, and the assignment
        cost is ``-2 ln`` of the mixture density. One Gaussian moment-matched over the modes
        does not hold the mode that is about to take over: at burnout, the coast mode (1-2 %
        probable, 100 m and 100 m/s from the thrusting prediction after 2 s) falls outside a
        gate drawn round the boost mode, the track loses its object, and flies on unseen in
        boost (measured on a sea-launched 590 km flight: the old track accelerated to 5 km/s
        while two new ones took the missile and its stage). ``staged``
        (``Tracker._predict_staged``: the share ``q`` (n,) of the boost probability that is
        the next stage lit, its prediction (n, 10), (n, 10, 10)) is a fourth Gaussian of the
        mixture, a boost mode, weighed as the update weighs it: the boost mode's random walk
        does not reach a staging's drop of the thrust (an upper stage lit at a third of its
        first stage's thrust at burnout), and a staging whose detections no gate of the track
        held went to a new track while the stack's flew on (gen-1-01 at 303 s, the boost
        mode's jerk the stage's mass flow)."""
        tracks = self.tracks
        m, kind = scan.m, scan.kind
        cfg = self.config
        self._scan_radar = (scan.sensor if kind == "radar" else None, scan.t)
        self.lone_credit = None
        self.held = (np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64))
        self.rival = np.zeros(0)
        near = np.full(scan.z.shape[0], -1, dtype=np.int64)
        # Per detection: the id of the nearest tentative track born on its own (no parent, no
        # twin yet) updated in this scan that gates it (-1: none), ``Tracker._initiate_radar``.
        self.near_young = near.copy()
        n = xp.shape[0]
        c_modes = c
        q = staged[0]
        # Else no track has a staging hypothesis: the column is below the gate's mode floor
        # (``live`` below), so it gates nothing and weighs nothing, and neither its distances
        # nor the rows of ``_thrust_reachable`` they would ask for change any result (those
        # rows are of tracks gating no detection).
        with_staged = bool((q > 0.0).any()) or cfg.gate_mode_floor <= 0.0
        d2m, logdet = gate_distances(scan, xp, Pp, staged, with_staged)
        c = np.concatenate([c, (c[:, BOOST] * q)[:, None]], axis=1)
        c[:, BOOST] = c[:, BOOST] * (1.0 - q)
        # A boost mode below its reseeding level is a fresh "thrust began since the last
        # update" hypothesis, not a track: it does not gate (it would take the detections of a
        # neighbour that fit its wide thrust prior a little better than the coast mode).
        live = c[:, :NMODE] >= np.array(
            [
                max(cfg.boost_reseed_prob, cfg.gate_mode_floor),
                cfg.gate_mode_floor,
                max(cfg.manoeuvre.reseed_prob, cfg.gate_mode_floor),  # manoeuvre mode
            ]
        )
        # The staged hypothesis: a boost mode, where the boost mode is.
        live = np.concatenate(
            [live, ((c[:, STAGED] >= cfg.gate_mode_floor) & live[:, BOOST])[:, None]], axis=1
        )
        if kind == "infrared":
            # Infrared sees only burning plumes: a coasting track does not gate a plume (that
            # of the next missile from the same site, passing where it was 20 s before, made
            # the first one's track a mixture of both, 1.5 km/s out with a 15 m/s sigma).
            live[:, COAST] = False
            live[:, MANOEUVRE] = False  # manoeuvre mode: a gliding body burns nothing
            # Nor does a track born on its own from one radar detection: it knows where its
            # object was, not how it moves (3 km/s per axis), so any line of sight passing
            # within that reach fits it, and a bearing cannot tell its object from a plume
            # hundreds of kilometres along the line. mass-raid: a false alarm at 400 km
            # took two lines of sight of an IRBM's plume 725 km off, before that missile's
            # own track was born, was confirmed by them and claimed an impact in China.
            live[(tracks.hits[cand] < 2) & (tracks.parent[cand] < 0)] = False
        live = np.repeat(live[:, :, None], d2m.shape[2], axis=2)  # per (track, mode, detection)
        reach = np.ones((n, d2m.shape[2]), dtype=bool)
        if kind == "radar":
            # Not where no thrust reaches (the seed's likelihood stays: a boost mode below its
            # reseeding level gates nothing, but its update can still find a burn begun).
            gated = (d2m <= self._gate[m]).any(axis=1)
            reach = self._thrust_reachable(scan, cand, xp, Pp, gated)
            live[:, BOOST] &= reach
            live[:, STAGED] &= reach
        ok = ((d2m <= self._gate[m]) & live).any(axis=1)
        self.gated = ok
        if not ok.any():
            empty = np.zeros(0, dtype=np.int64)
            self.branches = (empty, empty, np.zeros(0), np.zeros(0, dtype=bool))
            return empty, empty, None, np.zeros(0), near, np.zeros(0, dtype=bool)
        cost_all = mixture_cost(d2m, logdet, c, live)
        self.cost = cost_all
        # The combined prediction's Jacobian, for the ordering of closely spaced pairs.
        _, H = measure.predict(kind, xbar, scan, m)
        ia, jb = gnn(ok, cost_all)
        if ia.size and kind == "radar":
            jb = self._order_births(scan, cand, ia, jb, ok, xbar, H, xp, Pp, c_modes)
            ia, jb = self._lone_to_parent(cand, ia, jb, ok)
            ia, jb = self._lone_by_pd(scan, cand, ia, jb, ok, cost_all)
            ia, jb = self._hold_unresolved(scan, cand, ia, jb, ok, cost_all)
        formation = None
        if ia.size:  # a formation's track updated alone carries the pair's relative state
            jb, formation = self.formations.order_siblings(
                scan, cand, ia, jb, ok, xbar, H, Pp[:, COAST]
            )
        conf = tracks.confirmed[cand[ia]]
        if conf.any():
            rc = ia[conf]
            d2c = np.where(ok[rc], cost_all[rc], np.inf)
            best = np.argmin(d2c, axis=0)
            has = np.isfinite(d2c[best, np.arange(d2c.shape[1])])
            near[has] = tracks.ids[cand[rc[best[has]]]]
            if kind == "radar":
                near = self._near_released(scan, cand, rc, xbar, Pp[:, COAST], near, jb)
        young = ~conf & (tracks.parent[cand[ia]] < 0) & (tracks.twin[cand[ia]] < 0)
        if young.any():
            ry = ia[young]
            d2y = np.where(ok[ry], cost_all[ry], np.inf)
            best = np.argmin(d2y, axis=0)
            has = np.isfinite(d2y[best, np.arange(d2y.shape[1])])
            self.near_young[has] = tracks.ids[cand[ry[best[has]]]]
        density = self._clutter[scan.sensor].log_density if scan.sensor in self._clutter else 0.0
        dll = self._log_pd - density - 0.5 * (cost_all[ia, jb] + m * _LOG_2PI)
        self.rival = self._rivals(ia, jb, ok, cost_all, density, m)
        # Two-point initiation over every pairing: a detection left over in the gate of a
        # tentative track that does not know its velocity yet (``_vague``) continues a copy of
        # that track (the nearest such), rather than starting a track of its own. The global
        # nearest neighbour picks, for a track with one position and the zero-mean velocity
        # prior, the detection nearest its last one: of a payload and its stage 9 km apart
        # passing at 7.7 km/s, seen every 2 s (15 km), the other object's. Measured on
        # quiet-sky: each scan's detection of the stage started a track that took the
        # payload's detection at the next scan, with a velocity 2-5 km/s short, was confirmed
        # and lost at once, and claimed an instantaneous impact point on Korea (12 tracks on
        # one satellite in 25 s). With the copy, the right pairing is among the tracks; the
        # wrong one fails to gate its next detection and dies tentative. Radar only: an
        # infrared line of sight left over waits for another satellite's to cross
        # (``initiation.LinesOfSight``). A detection next to a confirmed track updated in this scan
        # starts from that track's estimate instead (``radar_priors``: a piece separating).
        spare = (near < 0) & (kind == "radar")
        spare[jb] = False
        spare[self.held[0]] = False  # held: one of two tracks' object's (``_hold_unresolved``)
        vague = self._vague(cand)
        pick = ok & vague[:, None] & spare[None, :]
        bj = np.flatnonzero(pick.any(axis=0))
        bi = np.argmin(np.where(pick[:, bj], cost_all[:, bj], np.inf), axis=0)
        bdll = self._log_pd - density - 0.5 * (cost_all[bi, bj] + m * _LOG_2PI)
        self.branches = (bi, bj, bdll, reach[bi, bj])
        return ia, jb, formation, dll, near, reach[ia, jb]

    def _rivals(self, ia, jb, ok, cost_all, density: float, m: int) -> np.ndarray:
        """Per assigned pair ``ia``, ``jb``: ``ln(1 + sum_r rho_r)`` over the other tracks
        ``r`` that gate the detection ``j``, what turns the pair's score increment (the
        likelihood ratio of its object over clutter) into that of its object over clutter *or
        another track's*. ``rho_r`` is the joint events' ratio, ``L_r`` the tracks' mixture
        densities (``cost``) and ``lambda`` the sensor's clutter density: ``j`` the rival's
        against clutter, ``Pd L_r(j) / lambda``, for a rival given no detection; for one given
        ``j'``, ``j`` the rival's and ``j'`` clutter against the assignment as made,
        ``L_r(j) / L_r(j')`` (one object gives at most one detection a scan). What a detection
        lone in a track's gate says for the track it woke (``existence.Wakes``): a spent stage's
        track given no detection, and gating the woken one's better, explains it; one holding
        its own detection, a few sigmas from this one, does not."""
        rival = np.zeros(ia.size)
        if ia.size == 0:
            return rival
        g = ok[:, jb] & np.isfinite(cost_all[:, jb])
        g[ia, np.arange(ia.size)] = False
        if not g.any():
            return rival
        own = np.full(cost_all.shape[0], np.nan)
        own[ia] = cost_all[ia, jb]
        c = np.where(g, cost_all[:, jb], np.inf)
        taken = np.isfinite(own)[:, None]
        log_rho = np.where(
            taken,
            -0.5 * (c - own[:, None]),
            self._log_pd - density - 0.5 * (c + m * _LOG_2PI),
        )
        with np.errstate(over="ignore", invalid="ignore"):
            rho = np.where(g, np.exp(log_rho), 0.0)
        return np.log1p(rho.sum(axis=0))

    def contested(
        self, cand, ia, jb, formation, kin: bool = True, strangers: bool = True
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The chance each assigned track's detection is its sibling's: for the rows ``ia``
        (assigned detections ``jb``) of a pair of siblings (twins, or one born next to the
        other), each gating the other's detection, not a formation (which orders its pair
        itself, ``formations.update_formation``) and with no other such partner, the other
        row's detection (``alt``, -1: none) and the probability ``w`` of the swapped
        assignment (the two-track JPDA's joint event, ``L_a(j_b) L_b(j_a)`` against
        ``L_a(j_a) L_b(j_b)``, ``L`` the tracks' IMM mixture densities, ``cost``), and each
        row's ``-2 ln L`` of its own detection and of the other (na, 2). A lone detection that
        a track and its sibling alone gate, the sibling given none, is either's: ``alt`` is
        ``MISSED`` and ``w`` the chance it is the sibling's, ``L_b / (L_a + L_b)``, the
        second column ``-2 ln L_b`` (the events weighed by the two tracks' detection
        probabilities with the radar, ``_missed_one``).

        The GNN takes the likelier pairing as certain; a pair born together whose angles cannot
        tell its objects apart (1-2 km at 1,000 km against tens of metres) is then updated as
        if each detection were surely its own object's, and its covariance shrinks round
        whatever mixture of the two objects' detections it took (issue 13: coast NEES 15-70
        for the rest of the flight on mrbm-iran-israel's and the generated middle-east
        MRBMs, 2-12 with each object's detections given to its own tracker). ``update_modes``
        updates such a track with both pairings, weighed (``alt``).

        With ``strangers`` (the tracker's ``stranger_updates``), two confirmed tracks that are
        no kin (strangers) are such a pair too, whatever ``kin`` says: nothing else weighs
        which of their detections is whose. ``kin`` (the tracker's ``contested_updates``) adds
        the siblings, and the lone detection's
        ``MISSED``, which the pair rules otherwise decide (``Formations.order_siblings``,
        ``_lone_by_pd``, ``_hold_unresolved``). A pair whose parting no sensor of the tracker
        saw is two strangers: the fusion's radar-only tracker (infrared shared as tracks)
        first saw me74 #05's MRBMs and their stages a minute after the burnouts, each piece
        on its own detection, and the GNN's one pairing, taken as certain at the scans of
        radars that could not part them (the pair's range difference passing through zero,
        the angles 1 km wide), held each track on a mixture of both objects (its radar-only
        coast NEES in bounds 0.11; 0.99 with both pairings and ``_lone_by_pd``)."""
        na = ia.size
        alt = np.full(na, -1, dtype=np.int64)
        w = np.zeros(na)
        costs = np.zeros((na, 2))
        if na == 0 or cand.size < 2:
            return alt, w, costs
        tracks = self.tracks
        tr = cand[ia]
        ids = tracks.ids[tr]
        sib = (tracks.twin[tr][:, None] == ids[None, :]) | (
            tracks.parent[tr][:, None] == ids[None, :]
        )
        sib |= sib.T
        conf = tracks.confirmed[tr]
        both = conf[:, None] & conf[None, :] & ~sib & strangers
        sib = (sib & kin) | both
        ok = self.gated[ia][:, jb]
        pair = sib & ok & ok.T
        np.fill_diagonal(pair, False)
        if formation is not None and formation.rows.size:
            pair[formation.rows] = False
            pair[:, formation.rows] = False
        cnt = pair.sum(axis=1)
        pair &= (cnt == 1)[:, None] & (cnt == 1)[None, :]
        a, b = np.nonzero(np.triu(pair))
        C = self.cost[ia]
        if a.size:
            keep = C[a, jb[a]] + C[b, jb[b]]
            swap = C[a, jb[b]] + C[b, jb[a]]
            # exp(-swap / 2) / (exp(-keep / 2) + exp(-swap / 2)), no overflow.
            alt[a], alt[b] = jb[b], jb[a]
            w[a] = w[b] = _swap_probability(keep, swap)
            costs[a, 0], costs[a, 1] = C[a, jb[a]], C[a, jb[b]]
            costs[b, 0], costs[b, 1] = C[b, jb[b]], C[b, jb[a]]
        # A lone detection, gated by a track and its sibling alone, the sibling given none:
        # either object's, the other missed (``MISSED``; each track's detection probability
        # with the radar as its looks learned it, ``_missed_one``): the chance it is the
        # sibling's is ``L_b Pd_b (1 - Pd_a) / (L_a Pd_a (1 - Pd_b) + L_b Pd_b (1 - Pd_a))``,
        # and with it the track is not updated.
        n = cand.size
        if kin and n > na:
            idle = np.ones(n, dtype=bool)
            idle[ia] = False
            rest = np.flatnonzero(idle)
            rid = tracks.ids[cand[rest]]
            sib_r = (tracks.twin[tr][:, None] == rid[None, :]) | (
                tracks.parent[tr][:, None] == rid[None, :]
            )
            sib_r |= tracks.ids[tr][:, None] == tracks.twin[cand[rest]][None, :]
            sib_r |= tracks.ids[tr][:, None] == tracks.parent[cand[rest]][None, :]
            sib_r &= self.gated[rest][:, jb].T
            lone = (alt < 0) & (sib_r.sum(axis=1) == 1) & (self.gated[:, jb].sum(axis=0) == 2)
            if formation is not None:
                lone[formation.rows] = False
            k = np.flatnonzero(lone)
            if k.size:
                other = rest[np.argmax(sib_r[k], axis=1)]
                cb = self.cost[other, jb[k]]
                alt[k] = MISSED
                ea, eb = self._missed_one(*self._scan_radar, cand[ia[k]], cand[other])
                w[k] = _swap_probability(C[k, jb[k]] + ea, cb + eb)
                costs[k, 0], costs[k, 1] = C[k, jb[k]], cb
        return alt, w, costs

    def _missed_one(self, sensor: str, t: float, a: np.ndarray, b: np.ndarray):
        """``-2 ln`` of the detection probabilities' part of the two events of a lone detection
        that tracks ``a`` and ``b`` (store rows, (k,)) gate: ``a``'s object detected and
        ``b``'s missed, ``Pd_a (1 - Pd_b)``, and the other way round, each track's ``Pd``
        with radar ``sensor`` as its looks learned it (``existence.RadarLooks.pd``). Zero
        both (one probability for both tracks) without the looks, for infrared, and where
        the radar has not looked at both (a tentative piece's looks are not counted: born on
        that radar's detection, its ``Pd`` is not the prior's 0.5)."""
        z = np.zeros(a.size)
        if self.looks is None or sensor is None:
            return z, z
        pa, la = self.looks.pd(sensor, a, t, with_looks=True)
        pb, lb = self.looks.pd(sensor, b, t, with_looks=True)
        both = (la > 0.0) & (lb > 0.0)
        ea = np.where(both, -2.0 * (np.log(pa) + np.log1p(-pb)), z)
        eb = np.where(both, -2.0 * (np.log(pb) + np.log1p(-pa)), z)
        return ea, eb

    def _lone_siblings(self, cand, ia, jb, ok, idle, strangers=False):
        """Of the assignment ``ia``, ``jb`` (candidates ``cand``, gates ``ok``), each detection
        that two tracks alone gate, the one given it and the other idle (``idle``, read as the
        caller updates it), those two siblings (a twin, or one born next to the other), or
        with ``strangers`` any two confirmed tracks: yields ``(k, j, r, a, b)``, ``k`` the
        assignment's index, ``j`` the detection, ``r`` the idle one's candidate row, ``a`` and
        ``b`` the two tracks' store rows."""
        tracks = self.tracks
        two = ok.sum(axis=0) == 2
        for k in np.flatnonzero(two[jb]).tolist():
            j = int(jb[k])
            rows = np.flatnonzero(ok[:, j])
            r = int(rows[rows != ia[k]][0]) if (rows != ia[k]).any() else -1
            if r < 0 or not idle[r]:
                continue
            a, b = int(cand[ia[k]]), int(cand[r])
            ida, idb = tracks.ids[a], tracks.ids[b]
            kin = tracks.parent[a] == idb or tracks.parent[b] == ida
            if kin or tracks.twin[a] == idb or tracks.twin[b] == ida:
                yield k, j, r, a, b
            elif strangers and tracks.confirmed[a] and tracks.confirmed[b]:
                yield k, j, r, a, b

    def _own_looks(self, sensor: str, a: int, b: int) -> bool:
        """Whether radar ``sensor``'s looks at tracks ``a`` and ``b`` (store rows) are the
        pair's own: its first lone detection of them was held (``_hold_unresolved``: it had
        seen neither), so every hit since is of one of the two objects, none a piece's
        history from before they parted (a stack's ``Pd`` in the track that kept it)."""
        ida, idb = int(self.tracks.ids[a]), int(self.tracks.ids[b])
        return (min(ida, idb), max(ida, idb), sensor) in self._holds

    def _lone_by_pd(self, scan: Scan, cand, ia, jb, ok, cost) -> tuple[np.ndarray, np.ndarray]:
        """The assignment ``ia``, ``jb`` with a detection that two siblings alone gate (a twin,
        or one born next to the other), GNN having given it to one and none to the other,
        given to the likelier of the two events "its object detected, the sibling's missed",
        each weighed by the tracks' own detection probabilities with the radar
        (``_missed_one``; Blackman & Popoli's assignment score, ``Pd / (1 - Pd)``), not by
        the densities alone.

        Two objects parted by a push fly on the same path minutes apart: a reentry vehicle
        and its spent stage 3 km behind it, unseen for 700 s (their tracks' along-track
        sigmas a kilometre), come into a radar that measures range to 16 m and angles to
        1.6 km. The stage, its cross-section 10-100 times the vehicle's, is seen at every
        scan for two minutes before the vehicle is; its lone detection fits both tracks, and
        the densities alone gave it to the vehicle's track once in 25 scans (world21 #6:
        the vehicle's track then held the stage's range, missed the vehicle's own detections
        when they came, and a second track was born on the vehicle). That radar has seen the
        stage's track at every look (``Pd`` 0.9) and the vehicle's at none (0.1).

        Two confirmed strangers too (no kin: their parting unseen, ``contested``): the
        events and the looks are the same whoever the tracks' parents were."""
        self.lone_credit = None
        if ia.size == 0 or self.looks is None:
            return ia, jb
        idle = np.ones(cand.size, dtype=bool)
        idle[ia] = False
        ia = ia.copy()
        changed = False
        credit: list[tuple[int, int, float]] = []
        for k, j, r, a, b in self._lone_siblings(
            cand, ia, jb, ok, idle, strangers=self.config.stranger_updates
        ):
            ea, eb = self._missed_one(scan.sensor, scan.t, np.array([a]), np.array([b]))
            # The chance the detection is ``a``'s by its position alone, for the radar's
            # looks (``RadarLooks.note``, ``credit``), whichever track takes it; and by its
            # looks too where they are this pair's own (``_own_looks``).
            p_looks = float(_swap_probability(cost[r, j] + eb[0], cost[ia[k], j] + ea[0]))
            if self._own_looks(scan.sensor, a, b):
                p_a = p_looks
            else:
                p_a = float(_swap_probability(cost[r, j], cost[ia[k], j]))
            if cost[r, j] + eb[0] < cost[ia[k], j] + ea[0]:
                idle[ia[k]], idle[r] = True, False
                ia[k] = r
                changed = True
                credit.append((int(b), int(a), 1.0 - p_a, 1.0 - p_looks))
            else:
                credit.append((int(a), int(b), p_a, p_looks))
        if credit:
            c = np.array(credit)
            self.lone_credit = (c[:, 0].astype(np.int64), c[:, 1].astype(np.int64), c[:, 2])
            self._lone_weighed = c[:, 3]
        if not changed:
            return ia, jb
        order = np.argsort(ia, kind="stable")
        return ia[order], jb[order]

    def _hold_unresolved(self, scan: Scan, cand, ia, jb, ok, cost) -> tuple[np.ndarray, np.ndarray]:
        """The assignment ``ia``, ``jb`` less a detection that two confirmed siblings alone
        gate (a twin, or one born next to the other; that one may be tentative still), the
        other given none, from a radar that has updated neither since they parted: held
        (``held``: the detections, the two tracks' store rows), updating neither, and a look
        of that radar at each, credited by the chance it is its object's (``lone_credit``),
        no miss of either (``RadarLooks.note``).

        Such a radar has not resolved the pair: its one detection is either object's, and its
        Pd of each is not known (``_lone_by_pd`` has nothing to weigh). Given by the densities
        alone to the wrong sibling, a precise radar's range moves that track onto the other
        object with a covariance too tight for its own object's next detection to gate: the
        pair's tracks, each known across the first radars' lines of sight to tens of metres,
        are told apart by the new radar's range only to the extent that their errors along it
        are smaller than the pair's separation along it. world47 #2 (a Korean MRBM and its
        stage, 95 m apart along us-fbx-north's line of sight, the stage's track 74 m off under
        a 24 m sigma there after a 2.4-sigma range of jp-ewr-north): us-fbx-north's first
        detection, the stage's alone, went to the payload's track (costs -17.5 against -9.4),
        which then held the Korean radars' payload and the US radar's stage for 170 s, while
        a third track took the payload's US detections (three tracks on one object, coast NEES
        in bounds 0.43). The radar's next scan saw both: held, its two detections go to the two
        tracks in along-track order (``Formations.order_siblings``), as they did.

        Held unless the densities give the other sibling less than ``1 - gate_probability``
        (``cost``: the chance the gate already takes of losing a track's own detection).

        A radar that sees only one of the pair (a small reentry vehicle beyond its reach, its
        stage not) never resolves it: each lone detection is a likelihood ratio ``2 (1 - Pd)``
        of "both seen at ``detection_prob``" against "one seen" (0.2 at 0.9), and after
        ``_hold_max`` of them (``delete_score_drop``'s evidence, ln 10^6: 9 scans) the pair's
        detections are the densities' and the looks' again (``_lone_by_pd``). The first of them
        goes to the sibling the held detections and it favour together (the sum of their
        costs' differences), not to the one it alone favours: the radar's looks then learn
        which object it sees. world47 #7 (us-ship, SLBM-2's 0.05 m² reentry vehicle and its
        5 m² third stage, 560 s unseen): the nine stage detections held favoured the stage's
        track by 7.7 together, the tenth the vehicle's by 0.4; given it, the vehicle's track
        took the stage's detections for 36 s, then lost them and was scored out. The looks
        are the holds' too: each held detection is a look at both, credited to each by the chance it
        is its object's, by its position and, the looks being this pair's own
        (``_own_looks``), by them too. Counted as no look (korea47), they left the radar's
        ``Pd`` of both the prior's after the holds, and with each lone detection credited by
        its position alone (slbm47) it stayed so while the pair was unresolved along the
        radar's line of sight: world59 #05 (a South Asian IRBM at sea), us-ship seeing the
        stage alone 2,000 km off, both objects within 35 m of one range from it: each of its
        detections went to whichever track the densities favoured by a few tenths of a sigma,
        the reentry vehicle's took eleven, and its coast NEES stayed at 20 to the end (coast
        NEES in bounds 0.34; 0.89 without the hold, 0.86 now)."""
        self.held = (np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64))
        if ia.size == 0 or self.looks is None:
            return ia, jb
        tracks = self.tracks
        code = self.looks.code(scan.sensor)
        idle = np.ones(cand.size, dtype=bool)
        idle[ia] = False
        drop: list[int] = []
        rows_held: list[int] = []
        swapped = False
        ia = ia.copy()
        credit = self.lone_credit
        for k, j, r, a, b in self._lone_siblings(cand, ia, jb, ok, idle):
            ida, idb = int(tracks.ids[a]), int(tracks.ids[b])
            # Two confirmed siblings, or a piece born next to a confirmed track, tentative
            # still: the scan it was born from resolved the pair (a track born on clutter by
            # one is deleted within a few scans, each a look at both and a miss of neither).
            if not (tracks.confirmed[a] and tracks.confirmed[b]) and not (
                (tracks.confirmed[a] and tracks.parent[b] == ida)
                or (tracks.confirmed[b] and tracks.parent[a] == idb)
            ):
                continue
            # A formation's pair (``Formations.partners``): its lone detection is held while
            # the chance that it is the other's (``lone_credit``, by ``_lone_by_pd``) is in
            # doubt, at any radar and scan. Given to the likelier, it is the wrong one's
            # exactly when the noise has put it nearer the other, and the relative state
            # each track carries learns the pair nearer than it is at each such scan
            # (world73 #01: the stage's detections, the reentry vehicle missed, to the
            # vehicle's track at 30-50 % of the ships' lone scans while the pair was 20-40
            # m apart along their lines of sight, docs/history/picture-integrity-log.md).
            # The doubt is weighed on the radar's looks too, as the assignment weighs it
            # (``_lone_by_pd``): by position alone, a stage's lone detections (its vehicle
            # missed) were held by the hundred (me74 #03: 252 at five radars in 350 s, 94 of
            # them under 1 % by position yet over ``1 - gate_probability``; the stage's coast
            # NEES 13-23 while seen).
            if credit is not None and self.formations.partners(ida, idb):
                at = np.flatnonzero((credit[0] == a) & (credit[1] == b))
                p = self._lone_weighed[at[0]] if at.size else 0.0
                if min(p, 1.0 - p) >= self._hold_doubt:
                    drop.append(k)
                    rows_held += [a, b]
                    continue
            key = (min(ida, idb), max(ida, idb), scan.sensor)
            count, weighed = self._holds.get(key, (0, 0.0))
            # The radar has updated one of them since the pair parted (``pd_run``, ``pd_seen``
            # at or after the younger's birth), or seen one of them other than by this pair's
            # holds (each held detection is credited to both by its position,
            # ``RadarLooks.note``): its looks weigh (``_lone_by_pd``). The older track's looks
            # from before are the stack's, either object's: me74 #05, us-ship seeing only the
            # stage of MRBM-1 (its vehicle too small at 1,500 km), its detections of the stack
            # in the vehicle's track for 10 s before us-fbx-negev resolved the pair; given its
            # next five on that ``Pd``, the track held the ship's range of the stage and the
            # other radar's of the vehicle, 75 m apart along both lines of sight, which their
            # 10 degrees turned into 460 m across the track under a 50 m sigma (the error then
            # a 6 m/s velocity under a 1.2 m/s sigma: NEES 140 for 300 s).
            parted = max(tracks.born[a], tracks.born[b])
            own_a = tracks.born[a] >= parted or tracks.pd_seen[a, code] >= parted
            own_b = tracks.born[b] >= parted or tracks.pd_seen[b, code] >= parted
            run_a, run_b = (
                own_a and tracks.pd_run[a, code] > 0.0,
                own_b and tracks.pd_run[b, code] > 0.0,
            )
            if run_a or run_b:
                continue
            hit_a, hit_b = (
                own_a and tracks.pd_hits[a, code] > 0.0,
                own_b and tracks.pd_hits[b, code] > 0.0,
            )
            if count == 0 and (hit_a or hit_b):
                continue
            if _swap_probability(cost[ia[k], j], cost[r, j]) < self._hold_doubt:
                continue  # the densities decide as surely as the gate
            # This detection's evidence for the younger of the two over the older: the
            # difference of their costs (``-2 ln`` of their densities).
            step = cost[ia[k], j] - cost[r, j] if ida < idb else cost[r, j] - cost[ia[k], j]
            if count > self._hold_max:
                continue  # decided: the looks weigh (``_lone_by_pd``)
            if count == self._hold_max:
                # Not resolved after all: the first detection given is the sibling's that
                # the held detections and this one favour together.
                self._holds[key] = (count + 1, weighed + step)
                if (weighed + step > 0.0) == (idb > ida):
                    idle[ia[k]], idle[r] = True, False
                    ia[k] = r
                    swapped = True
                continue
            self._holds[key] = (count + 1, weighed + step)
            drop.append(k)
            rows_held += [a, b]
        if swapped:
            order = np.argsort(ia, kind="stable")
            keep = np.ones(ia.size, dtype=bool)
            keep[drop] = False
            ia, jb, keep = ia[order], jb[order], keep[order]
            drop = np.flatnonzero(~keep).tolist()
        if not drop:
            return ia, jb
        if len(self._holds) > 2 * tracks.n + 64:  # forget the pairs of tracks deleted since
            alive = set(tracks.ids[: tracks.n].tolist())
            self._holds = {k: v for k, v in self._holds.items() if k[0] in alive and k[1] in alive}
        keep = np.ones(ia.size, dtype=bool)
        keep[drop] = False
        self.held = (jb[drop], np.array(rows_held, dtype=np.int64))
        return ia[keep], jb[keep]

    def _lone_to_parent(self, cand, ia, jb, ok) -> tuple[np.ndarray, np.ndarray]:
        """The assignment ``ia``, ``jb`` with a detection that GNN gave to a piece born on a
        single detection next to a parent not seen thrusting (``parent``, ``boosted``), gated
        by those two tracks alone, the parent left without one, given to the parent instead.
        Such a piece's state, beyond the one detection it was born on, is its parent's
        estimate loosened (``initiation.radar_priors``): on another radar it predicts what
        its parent does, so its fit to the detection is the parent's, not evidence that the
        detection is its own, and its looser covariance makes GNN's cost differ from the
        parent's by noise.
        Given to the piece, the detection puts the parent's range from that radar into the
        piece too: mrbm-iran-israel's MRBM-2 RV track (927, born on il-ewr-north's RV
        detection next to its stage's 915) took us-fbx-negev's lone stage detection at 241.0
        s (cost -15.2 against -13.5); from the next scan both tracks held that radar's range
        of the stage, neither gated the RV's (59 m off), a third track started on it and the
        two younger became ghosts 200-850 m off both objects (NEES 10^3-10^5) until 355 s."""
        tracks = self.tracks
        rows = cand[ia]
        kid = np.flatnonzero((tracks.parent[rows] >= 0) & (tracks.hits[rows] == 1))
        if kid.size == 0:
            return ia, jb
        par = tracks.parent[rows[kid]]
        pos = np.minimum(np.searchsorted(tracks.ids[: tracks.n], par), tracks.n - 1)
        # A parent seen thrusting within ``separation_lookback_s`` of the piece's birth: the
        # piece dropped then has its own motion (coasting, its own drag) and its fit is its
        # own (``tests/test_tracking_separation.py``, a stage spent in the air, seed 3: given
        # to the parent, the parent's track took the stage).
        unseen = tracks.born[rows[kid]] - tracks.boosted[pos] > self.config.separation_lookback_s
        ia = ia.copy()
        live = (tracks.ids[pos] == par) & unseen
        for k, p in zip(kid.tolist(), np.where(live, pos, -1).tolist(), strict=True):
            j = int(jb[k])
            r = np.flatnonzero(cand == p)
            if r.size != 1 or np.isin(r[0], ia) or not ok[r[0], j] or ok[:, j].sum() != 2:
                continue
            ia[k] = r[0]
        order = np.argsort(ia, kind="stable")
        return ia[order], jb[order]

    def _order_births(self, scan: Scan, cand, ia, jb, ok, xbar, H, xp, Pp, c) -> np.ndarray:
        """The detections ``jb`` of the tracks ``cand[ia]`` with, for a confirmed track that
        was thrusting within ``separation_lookback_s`` and gates one detection no track took
        (and no other track gates), the pair in along-track order: the track keeps the
        detection ahead, the one behind is left over to start its piece
        (``initiation.radar_priors``).

        A piece that parts at burnout or staging falls behind (a stage's retrograde push,
        its drag in the air, or the thrusting stack going on), and from the next scan on
        ``Formations.order_siblings`` gives the older of the two tracks the detection ahead.
        At the scan that starts the younger the GNN alone chose, on costs that differ by noise
        while the two are unresolved; when it gave the older the piece behind, the next scan
        put it back on the one ahead, its estimate now the two objects' mixture (the piece's
        range rate, the other's position) and out of the range-rate radars' gates while the
        younger and a third track took both objects from them: two tracks on one object.
        Measured on the old seed-3 #2 (a 590 km SRBM, ``lookout track``): track 273 took the
        stage's kr-ship detection at 114.7 s, the missile's at 115.1 s from kr-ewr-central,
        then missed every kr-ship detection (chi-square 20-30 on four degrees of freedom) and
        held the missile with 314 for 32 s. The sign is the matched filter of the two
        detections' difference along the separation ``(tau v, v)`` (``order_siblings``),
        ``tau`` the time since the track last thrust.

        The order overrides the GNN where its odds outweigh the GNN's: ``Phi(-z) / Phi(z)``,
        ``z = g / sigma`` (``sigma`` from the detections' noise and from the direction of the
        track's velocity, its moment-matched covariance over the modes ``xp``, ``Pp``, ``c``
        across ``v``), against the two pairings' likelihood ratio under the track's covariance
        grown by the parting (``_parted_gain``; korea77 #02's SRBM-2 at its
        staging, kr-ship: z -1.57, odds 16 against the GNN's 3.0, the stack's detection
        taken). A velocity known to tens of degrees does not tell which of two detections is
        ahead: world80 #03's ICBM, staged at 154.3 s unseen (one
        satellite's lines of sight, velocity sigma 0.8-4 km/s per axis at 3.6 km/s, 0.001 of
        it along the line of sight), at no-ewr-north's first scan of the pair (163.3 s, the
        stack 645 m nearer in range, 21 range sigmas) the GNN gave the stack's track the stack's
        detection and the sign of ``g`` (-0.09 of the noise's sigma alone) the spent stage's;
        its velocity from that and the stack's 2 s later swung its thrust 60-100 m/s^2 across
        at the third scan (4 sigma)."""
        tracks = self.tracks
        rows = cand[ia]
        recent = tracks.confirmed[rows] & (
            scan.t - tracks.boosted[rows] <= self.config.separation_lookback_s
        )
        if not recent.any():
            return jb
        left = np.ones(ok.shape[1], dtype=bool)
        left[jb] = False
        lone = left & (ok.sum(axis=0) == 1)
        jb = jb.copy()
        for k in np.flatnonzero(recent).tolist():
            other = np.flatnonzero(ok[ia[k]] & lone)
            if other.size != 1:
                continue
            j, jo = int(jb[k]), int(other[0])
            x = xbar[ia[k]]
            speed = np.linalg.norm(x[3:6])
            if not speed > 0.0:
                continue
            vhat = x[3:6] / speed
            tau = max(scan.t - float(tracks.boosted[rows[k]]), 0.0)
            H6 = H[ia[k]][:, :6]
            dz = H6 @ np.concatenate([tau * vhat, vhat])
            zd = measure.wrap((scan.z[j] - scan.z[jo])[None], scan.kind)[0]
            S = scan.R[j] + scan.R[jo]
            w = np.linalg.solve(S, zd)
            g = dz @ w
            # Its variance: the detections' noise, ``dz' S^-1 dz``, and the direction's,
            # ``w' J Pv J' w`` with ``J = H (tau I, I) (I - v v') / |v|``.
            r = ia[k]
            _, Pb = combine(xp[r][None], Pp[r][None], c[r][None])
            across = (np.eye(3) - np.outer(vhat, vhat)) / speed
            J = (H6[:, :3] * tau + H6[:, 3:6]) @ across
            Jw = J.T @ w
            var = dz @ np.linalg.solve(S, dz) + Jw @ Pb[0, 3:6, 3:6] @ Jw
            # The order's odds that the other is ahead, ``Phi(-z) / Phi(z)`` (``z = g / sigma``,
            # the separation along the axis flat a priori), against the GNN's, half the two
            # pairings' cost difference (``mixture_cost``, ``-2 ln``).
            if g < 0.0 and var > 0.0:
                z = g / math.sqrt(var)
                gain = self._parted_gain(scan, x, Pb[0], H6, j, jo, tau)
                if log_ndtr(-z) - log_ndtr(z) > 0.5 * gain:  # the track's is behind
                    jb[k] = jo
                    lone[jo], lone[j] = False, True
        return jb

    def _parted_gain(self, scan: Scan, x, P, H6, j: int, jo: int, tau: float) -> float:
        """``-2 ln`` of the likelihood ratio of detection ``j`` over ``jo`` as the track's (its
        moment-matched estimate ``x``, ``P``, measurement Jacobian ``H6``), its covariance
        grown by the relative motion of a pair parted ``tau`` s ago
        (``formations.parting_spread``, as ``Tracker._parted_priors`` grows it for the update):
        the detections a track took since a parting may have been the piece's, and its
        prediction then fits the piece's detection the better by its own error (world64 #05:
        the IRBM's track followed the spent stage for 39 s, the pairing's cost difference 16.7
        against the warhead's detection 65 m further in range)."""
        zp, _ = measure.predict(scan.kind, x[None, :6], scan, scan.m)
        Pg = P + parting_spread(x[None, :6], np.array([max(tau, 1e-3)]), self.config)[0]
        S0 = H6 @ Pg @ H6.T
        out = 0.0
        for i, sign in ((jo, 1.0), (j, -1.0)):
            r = measure.wrap((scan.z[i] - zp[0])[None], scan.kind)[0]
            S = S0 + scan.R[i]
            out += sign * (r @ np.linalg.solve(S, r) + np.linalg.slogdet(S)[1])
        return float(out)

    def _near_released(self, scan: Scan, cand, rc, xbar, Pc, near, jb) -> np.ndarray:
        """``near`` with each detection no track took and no confirmed updated track gates
        given the nearest confirmed track of ``cand[rc]`` (updated in this scan, and seen
        thrusting within ``separation_lookback_s``: pieces part at burnout and staging) within
        which a piece it released can be: the detection's position inside the chi-square gate (three
        degrees of freedom) of the track's predicted position, its coast mode's covariance
        (``Pc``) grown by ``spawn_pos_sigma_m`` per axis, as ``initiation.radar_priors`` grows
        it for the piece's prior, plus the detection's own.

        The track's gate is the one object's: a piece parted unseen, and first seen by a
        radar that measures range to metres and range rate to 0.5 m/s, is outside it by its
        push (a few m/s) alone, and started a track of its own, not its parent's piece, which
        the pair's rules (``Formations.order_siblings``, ``_lone_by_pd``, ``_hold_unresolved``)
        then never took for one: me67 #00 (``gen-middle-east-67-00``), MRBM-1's reentry
        vehicle 150 m and 3 m/s from its stage when us-fbx-negev first saw both, 60 s after
        the parting; its track and the stage's, strangers, took il-ewr-north's and
        gb-ewr-cyprus's blur of the pair by the GNN alone when those came in (the pair 1.1 km
        apart, under their 1.5 km cross-range sigma), 80 s of the Cyprus radar's stage
        detections went to the vehicle's track and its vehicle detections to the stage's,
        both 100-200 m off under a 25 m sigma (coast NEES 100-480), and a third track was
        born on the vehicle (two tracks on one object for 57 s)."""
        free = near < 0
        free[jb] = False
        free &= ~self.gated.any(axis=0)
        # Only a track seen thrusting within ``separation_lookback_s``: pieces part at burnout
        # and staging, and the radars resolve them within a minute or two. Later, a detection
        # in no gate is no unseen piece: in me67 #00's fused picture (the fusion's tracker)
        # gb-ewr-cyprus's detection of MRBM-2 at 766 s, some 470 s after its burnout, in
        # neither of the pair's tracks' gates (both born on radar detections at 356 s, never
        # seen thrusting), was born as the stage track's piece, confirmed on three
        # detections, and every partner saw a second system track on the pair for 62 s.
        recent = self.tracks.boosted[cand[rc]] >= scan.t - self.config.separation_lookback_s
        rc = rc[recent]
        if not free.any() or rc.size == 0:
            return near
        sp2 = self.config.spawn_pos_sigma_m**2
        j = np.flatnonzero(free)
        d = scan.ecef_pos[j][None, :, :] - xbar[rc, None, :3]  # (k, J, 3)
        S = Pc[rc, None, :3, :3] + scan.ecef_P[j][None] + np.eye(3) * sp2
        d2 = einsum("kji,kji->kj", d, np.linalg.solve(S, d[..., None])[..., 0])
        d2 = np.where(d2 <= self._gate[3], d2, np.inf)
        best = np.argmin(d2, axis=0)
        has = np.isfinite(d2[best, np.arange(j.size)])
        near = near.copy()
        near[j[has]] = self.tracks.ids[cand[rc[best[has]]]]
        return near

    def _vague(self, idx: np.ndarray) -> np.ndarray:
        """Tracks ``idx`` that are tentative, born on their own, and whose velocity is still
        mostly the initiation prior along some axis (coast mode's largest velocity sigma above
        ``branch_vel_fraction`` of ``init_vel_sigma_mps``): which of the detections in their
        gate is their object's is not known yet (``associate``)."""
        tracks = self.tracks
        cfg = self.config
        out = ~tracks.confirmed[idx] & (tracks.parent[idx] < 0)
        if out.any():  # the eigenvalues of those alone (most candidates are confirmed)
            k = np.flatnonzero(out)
            top = np.linalg.eigvalsh(tracks.Pm[idx[k], COAST, 3:6, 3:6])[:, -1]
            out[k] = top > (cfg.branch_vel_fraction * cfg.init_vel_sigma_mps) ** 2
        return out

    def _thrust_reachable(self, scan: Scan, cand, xp, Pp, rows) -> np.ndarray:
        """Per (track of ``cand``, radar detection): whether thrust can have carried the object
        there since the track's last update, (n, M), computed where ``rows`` (n, M) asks: the
        detection within the catalogue's largest thrust displacement (``reach``) of the coast
        mode's ballistic prediction, plus the gate's sigmas of that prediction's and the
        detection's position errors along the way. Without it, a boost mode flown unseen for
        half a minute gates a false alarm 130 km off (its thrust acceleration random-walked to
        tens of g).

        The sigmas are the gate's in three dimensions: the way is the detection's own
        direction from the prediction, along which its distance over the sigma is at most its
        3-D Mahalanobis distance, chi2(3). At the 1-D quantile (3.9 sigmas, 4.6 now) the test
        turned down 0.17 % of a consistent prediction's detections; gen-world-47-03 (issue 13):
        a space launcher's boost mode, 0.999 probable 198 s into the burn, was set to 1e-12 by
        one detection 4.05 sigmas off, its track coasted away from the burning stage, and a new
        track was born 3 s later (two tracks on the launcher, its launch point 45 km off)."""
        tracks = self.tracks
        if not numpy_step() and xp.dtype == np.float64:
            # Compiled (``compiled.thrust_reachable``, one call for some fifteen; sums in
            # index order: the same decisions).
            disp = thrust_displacement_m(scan.t - tracks.t[cand])
            return _kernels().thrust_reachable(
                xp[:, COAST], Pp[:, COAST], scan.ecef_pos, scan.ecef_P, rows, disp,
                self._reach_sigmas,
            )  # fmt: skip
        out = np.ones(rows.shape, dtype=bool)
        ti = np.flatnonzero(rows.any(axis=1))
        if ti.size == 0:
            return out
        dev = scan.ecef_pos[None, :, :] - xp[ti, COAST, None, :3]  # (k, M, 3)
        dist = np.sqrt(einsum("kmi,kmi->km", dev, dev))
        u = dev / np.maximum(dist, 1.0)[:, :, None]
        var = einsum("kmi,kij,kmj->km", u, Pp[ti, COAST, :3, :3], u)
        var += einsum("kmi,mij,kmj->km", u, scan.ecef_P, u)
        dt = scan.t - tracks.t[cand[ti]]
        reach = thrust_displacement_m(dt)[:, None] + self._reach_sigmas * np.sqrt(var)
        out[ti] = dist <= reach
        return out


def gate_distances(scan: Scan, xp, Pp, staged, with_staged: bool):
    """``d2m`` and ``logdet`` (n, 4, M) of ``Associator.associate``: ``iterated_distances`` of
    ``mode_distances`` for the modes (``xp`` (n, 3, 10), ``Pp``) and, ``with_staged``, for the
    staged hypothesis (``staged``'s prediction (n, 10), (n, 10, 10)), else its column out of
    every gate (d² inf, ``ln|S|`` 0). Compiled in one call (``compiled.gate_distances``: the
    same floats, some forty numpy calls fewer a scan) unless ``LOOKOUT_NUMPY_STEP=1``."""
    n, mm, m = xp.shape[0], scan.z.shape[0], scan.m
    if 2 <= m <= 4 and xp.dtype == np.float64 and not numpy_step():
        if with_staged:
            x = np.concatenate([xp, staged[1][:, None]], axis=1)
            P = np.concatenate([Pp, staged[2][:, None]], axis=1)
        else:
            x, P = xp, Pp
        k = x.shape[1]
        xs = x.reshape(k * n, NX)
        Ps = P.reshape(k * n, NX, NX)
        zh, H = measure.predict(scan.kind, xs, scan, m)
        # ``H P H'`` by numpy (its BLAS's floats, as ``mode_distances`` takes them).
        S0 = H @ Ps[:, :6, :6] @ H.transpose(0, 2, 1)
        radar = scan.kind == "radar"
        R = np.ascontiguousarray(scan.R, dtype=float)
        d2m, det, sc = _kernels().gate_distances(
            xs if xs.flags.c_contiguous else np.ascontiguousarray(xs),
            Ps if Ps.flags.c_contiguous else np.ascontiguousarray(Ps),
            np.ascontiguousarray(S0), zh, np.ascontiguousarray(scan.z, dtype=float),
            R if R.flags.writeable else R.copy(), scan.s, scan.s_vel,
            scan.B if radar else measure._EYE3, m, radar, measure.AZIMUTH_INDEX[scan.kind],
            measure.RELINEARIZE_STEPS, measure.BEND_SHARE, GATE_BEYOND, k, n * mm == 1,
        )  # fmt: skip
        return d2m, np.log(det) + np.log(sc) if m == 4 else np.log(det)
    d2m, logdet = iterated_distances(scan, xp, Pp, *mode_distances(scan, xp, Pp))
    if with_staged:
        xs_, Ps_ = staged[1][:, None], staged[2][:, None]
        d2s, lds = iterated_distances(scan, xs_, Ps_, *mode_distances(scan, xs_, Ps_))
    else:
        d2s = np.full((n, 1, mm), np.inf)
        lds = np.zeros((n, 1, mm))
    return np.concatenate([d2m, d2s], axis=1), np.concatenate([logdet, lds], axis=1)


def mode_distances(scan: Scan, xp: np.ndarray, Pp: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Squared Mahalanobis distances ``d2m`` (n, 3, M) of the scan's M detections from the
    predicted measurement of each mode of each track (mode estimates ``xp`` (n, 3, 10),
    ``Pp`` (n, 3, 10, 10)), and the log-determinants (n, 3, M) of the innovation covariances."""
    m, kind = scan.m, scan.kind
    n, k = xp.shape[:2]
    xs = xp.reshape(k * n, NX)
    zhat, H2 = measure.predict(kind, xs, scan, m)
    S0 = H2 @ Pp.reshape(k * n, NX, NX)[:, :6, :6] @ H2.transpose(0, 2, 1)
    nu = measure.wrap(scan.z[None] - zhat[:, None], kind)
    if 2 <= m <= 4 and not numpy_step():
        # Compiled (``compiled.mode_distances``): the same floats, without numpy's forty calls
        # on (2n, M, m, m), some 7 % of the trackers' time.
        compiled = _kernels()
        R = np.ascontiguousarray(scan.R, dtype=float)
        d2m, det, sc = compiled.mode_distances(
            np.ascontiguousarray(S0, dtype=float),
            R if R.flags.writeable else R.copy(),  # one argument type (a read-only is another)
            np.ascontiguousarray(nu, dtype=float),
        )
        logdet = np.log(det) + np.log(sc) if m == 4 else np.log(det)
        return d2m.reshape(n, k, -1), logdet.reshape(n, k, -1)
    S = S0[:, None] + scan.R[None]  # (2n, M, m, m)
    _, logdet, d2m = innovation_inverse(
        S, scan.R[None], nu, lambda nu, Sinv: einsum("nki,nkij,nkj->nk", nu, Sinv, nu)
    )
    d2m = d2m.reshape(n, k, -1)
    logdet = logdet.reshape(n, k, -1)
    return d2m, logdet


def iterated_distances(scan: Scan, xp: np.ndarray, Pp: np.ndarray, d2m, logdet):
    """``mode_distances``' ``d2m`` and ``logdet`` (n, 3, M), those of the modes whose prior is
    too wide in position for one linearization at its mean (``measure.position_bent``) taken
    at the iterated EKF's linearization instead (``measure.linearized``, at the posterior's
    mode), the innovation and covariance the update of the pair then takes: there ``d²`` is
    the posterior's own cost at its mode (the prior's Mahalanobis distance plus the
    detection's, the Gauss-Newton fixed point's identity) and ``ln|S|`` its Laplace
    normalisation. At the prior's mean a one-satellite track's boost (a line of sight's
    cigar, 125 km along it and 1 km across, 70 km off along it) lay 2-3 km off the radar's
    curve of that cigar, a few sigmas across: me78 #02's us-fbx-qatar saw the launcher at d²
    23.7-36 (gate 23.5), iterated 1.5-3.8, and the radar's detections started a second track
    that took the satellite's lines of sight, the first one's plume then taken as out.

    Each pair steps on its own, until its step is small or, after its first step, its d² is
    beyond ``GATE_BEYOND`` (``_gate_linearized``; the update's ``measure.linearized`` steps
    its pairs together): a pair's d² is its own, whatever else the scan holds."""
    n, k = xp.shape[:2]
    xs = xp.reshape(k * n, NX)
    Ps = Pp.reshape(k * n, NX, NX)
    rows = measure.position_bent(scan.kind, xs, Ps, scan)
    if rows.size == 0:
        return d2m, logdet
    mm = scan.z.shape[0]
    d2m, logdet = d2m.reshape(k * n, mm).copy(), logdet.reshape(k * n, mm).copy()
    if 2 <= scan.m <= 4 and xs.dtype == np.float64 and not numpy_step():
        # Compiled (``compiled.iterated_pairs``: ``_gate_linearized`` and the distances
        # below in one call, some sixty numpy calls; sums in index order).
        radar = scan.kind == "radar"
        d2, det, sc = _kernels().iterated_pairs(
            xs[rows], Ps[rows], np.ascontiguousarray(scan.z, dtype=float),
            np.ascontiguousarray(scan.R, dtype=float), scan.s, scan.s_vel,
            scan.B if radar else measure._EYE3, scan.m, radar, measure.AZIMUTH_INDEX[scan.kind],
            measure.RELINEARIZE_STEPS, measure.BEND_SHARE, GATE_BEYOND,
        )  # fmt: skip
        d2m[rows] = d2
        logdet[rows] = np.log(det) + np.log(sc) if scan.m == 4 else np.log(det)
        return d2m.reshape(n, k, mm), logdet.reshape(n, k, mm)
    r = np.repeat(rows, mm)
    jj = np.tile(np.arange(mm), rows.size)
    Pr = Ps[r]
    zh, H = _gate_linearized(scan, xs[r], Pr, jj)
    nu = measure.wrap(scan.z[jj] - zh, scan.kind)
    S = H @ Pr[:, :6, :6] @ H.transpose(0, 2, 1) + scan.R[jj]
    _, ld, d2m[r, jj] = innovation_inverse(
        S, scan.R[jj], nu, lambda nu, Sinv: einsum("ki,kij,kj->k", nu, Sinv, nu)
    )
    logdet[r, jj] = ld
    return d2m.reshape(n, k, mm), logdet.reshape(n, k, mm)


def _gate_linearized(scan: Scan, x: np.ndarray, P: np.ndarray, jj: np.ndarray):
    """``measure.linearized`` of states ``x`` (N, >=6), covariances ``P``, against detections
    ``jj`` (N,) as the gate takes it (``compiled.gate_gauss_newton``'s numpy reference): the
    same pairs bent, but each stepping on its own, until its own step is small or its d² at
    the current linearization, after its first step, is beyond ``GATE_BEYOND``."""
    kind, m = scan.kind, scan.m
    zh, H = measure.predict(kind, x, scan, m)
    # ``measure.linearized``'s test of the angles' and the range rate's bend.
    d = x[:, 0:3] - scan.s
    r2 = einsum("ij,ij->i", d, d)
    p2 = np.trace(P[:, :3, :3], axis1=1, axis2=2)
    spread = p2 / np.maximum(r2, 1.0)
    a = measure.AZIMUTH_INDEX[kind]
    R = scan.R[jj]
    bent = spread > measure.BEND_SHARE * np.sqrt(np.minimum(R[:, a, a], R[:, a + 1, a + 1]))
    if m == 4:
        v2 = einsum("ij,ij->i", x[:, 3:6] - scan.s_vel, x[:, 3:6] - scan.s_vel)
        pv = np.trace(P[:, 3:6, 3:6], axis1=1, axis2=2)
        rr_bend = np.sqrt(p2 * pv / np.maximum(r2, 1.0)) + np.sqrt(v2) * spread
        bent |= rr_bend > measure.BEND_SHARE * np.sqrt(R[:, 3, 3])
    rows = np.flatnonzero(bent)
    if rows.size == 0:
        return zh, H
    x0, P0, z, R = x[rows, :6], P[rows, :6, :6], scan.z[jj[rows]], R[rows]
    xi = x0.copy()
    live = np.arange(rows.size)
    for it in range(measure.RELINEARIZE_STEPS):
        if live.size == 0:
            break
        zi, Hi = measure.predict(kind, xi[live], scan, m)
        zl = zi + einsum("kij,kj->ki", Hi, x0[live] - xi[live])
        PHt = P0[live] @ Hi.transpose(0, 2, 1)
        nu = measure.wrap(z[live] - zl, kind)
        w = np.linalg.solve(Hi @ PHt + R[live], nu[:, :, None])[:, :, 0]
        # Beyond any gate after a step: linearized where it is.
        go = (einsum("ki,ki->k", nu, w) <= GATE_BEYOND) | (it == 0)
        live = live[go]
        step = x0[live] + einsum("kij,kj->ki", PHt[go], w[go]) - xi[live]
        xi[live] += step
        small = (np.abs(step[:, :3]) < 1.0).all(axis=1) & (np.abs(step[:, 3:6]) < 0.01).all(axis=1)
        live = live[~small]
    zi, Hi = measure.predict(kind, xi, scan, m)
    zh[rows] = zi + einsum("kij,kj->ki", Hi, x0 - xi)
    H[rows] = Hi
    return zh, H


def _swap_probability(keep: np.ndarray, swap: np.ndarray) -> np.ndarray:
    """``exp(-swap / 2) / (exp(-keep / 2) + exp(-swap / 2))``, no overflow: the probability of
    the pairing of ``-2 ln`` likelihood ``swap`` against ``keep``."""
    return 1.0 / (1.0 + np.exp(np.clip(0.5 * (swap - keep), -700.0, 700.0)))


def mixture_cost(d2m: np.ndarray, logdet: np.ndarray, c: np.ndarray, live: np.ndarray):
    """The assignment cost (n, M) of each (track, detection) pair: ``-2 ln`` of the IMM's
    predicted measurement density, the mixture over the modes ``live`` (n, 3, M) of Gaussians
    (``mode_distances``: ``d2m``, ``logdet``) weighted by the predicted mode probabilities
    ``c`` (n, 3), less ``m ln 2π`` (``d² + ln|S|`` for a single mode).

    A mode not live is no term of the mixture, whatever its distance: a non-finite one (its
    ``ln|S|`` of a negative determinant, warned of where it is taken, ``mode_distances``) is
    left out with it, not summed as ``-inf + NaN``. Summed, it made the whole track's cost
    NaN, and ``gnn`` gates no such pair: gen-middle-east-79-02's AE track 92, a dormant
    track whose coast mode was sound, could not have taken its object's return, which would
    have started a duplicate; a NaN of a boost mode 1e-4 probable was a bug upstream (nan54),
    but it was not louder for spoiling the cost, only silent in another place. A live mode's
    NaN is still its track's cost."""
    with np.errstate(divide="ignore"):
        logc = np.log(c)[:, :, None]
    # -2 ln of the mixture density, less m ln 2π (d² + ln|S| for a single mode).
    terms = np.where(live, logc - 0.5 * (d2m + logdet), -np.inf)
    return -2.0 * logsumexp(terms, axis=1)


def gnn(ok: np.ndarray, cost_all: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Global nearest neighbour: the track rows and detection columns assigned (each at most
    once) minimising the total cost ``cost_all`` (n, M) over the gated pairs ``ok`` (n, M).
    A pair whose cost is not a number (a diverged track's covariance: ``ln|S|`` of a negative
    determinant) is not gated: it is left to the track's deletion rules, never allowed to stop
    the whole scan (held-out gen-middle-east-72-01 with ``kappa_spread``)."""
    ok = ok & np.isfinite(cost_all)
    rows = np.flatnonzero(ok.any(axis=1))
    cols = np.flatnonzero(ok.any(axis=0))
    sub_ok = ok[np.ix_(rows, cols)]
    cost = np.where(sub_ok, cost_all[np.ix_(rows, cols)], _BIG)
    if sub_ok.shape == (1, 1):
        r, k = np.zeros(1, dtype=np.int64), np.zeros(1, dtype=np.int64)
    else:
        r, k = linear_sum_assignment(cost)
    good = sub_ok[r, k]
    return rows[r[good]], cols[k[good]]


def refresh_coarse(
    tracks, idx, cfg: TrackerConfig, estimates: bool = True
) -> tuple[np.ndarray, np.ndarray] | None:
    """Refresh the coarse-gate extrapolation of tracks ``idx`` from their mode estimates;
    returns their reported (mode-floored) estimates (None without ``estimates``). Compiled
    (``compiled_imm.refresh_coarse``, one call for some sixty numpy calls on a few rows, at
    every update and report) unless ``LOOKOUT_NUMPY_STEP=1``."""
    xm, Pm, mu = tracks.xm[idx], tracks.Pm[idx], tracks.mu[idx]
    imm = compiled_imm()
    if imm is not None and xm.dtype == np.float64:
        cpos, cvel, cacc, csig, cdrag, xo, Po = imm.refresh_coarse(
            xm, Pm, mu, float(cfg.output_mode_floor), imm.cached_params(cfg)
        )
        tracks.cpos[idx], tracks.cvel[idx], tracks.cacc[idx] = cpos, cvel, cacc
        tracks.csig[idx], tracks.cdrag[idx] = csig, cdrag
        return (xo, Po) if estimates else None
    xall, Pall = combine(xm, Pm, mu)
    pos, vel = xall[:, :3], xall[:, 3:6]
    pb = mu[:, BOOST]
    acc_t = pb[:, None] * xm[:, BOOST, 6:9] + mu[:, MANOEUVRE, None] * xm[:, MANOEUVRE, 6:9]
    tracks.cpos[idx], tracks.cvel[idx] = pos, vel
    tracks.cacc[idx] = acceleration(pos, vel) + acc_t
    sig = np.empty((len(pos), 3))
    sig[:, 0] = np.sqrt(np.trace(Pall[:, :3, :3], axis1=1, axis2=2))
    sig[:, 1] = np.sqrt(np.trace(Pall[:, 3:6, 3:6], axis1=1, axis2=2))
    a_mag = np.sqrt(einsum("ij,ij->i", xm[:, BOOST, 6:9], xm[:, BOOST, 6:9]))
    a_sig = np.sqrt(np.trace(Pm[:, BOOST, 6:9, 6:9], axis1=1, axis2=2))
    sig[:, 2] = np.where(pb > 1e-4, a_mag + 3.0 * a_sig + 1.0, 0.05)
    # --- manoeuvre mode: its lift, and the lift it may start pulling ---
    l_mag = np.sqrt(einsum("ij,ij->i", xm[:, MANOEUVRE, 6:9], xm[:, MANOEUVRE, 6:9]))
    l_sig = manoeuvre.lift_sigma_mps2(Pm[:, MANOEUVRE])
    l_max = manoeuvre.lift_ceiling(xm[:, COAST], Pm[:, COAST], cfg.manoeuvre)
    sig[:, 2] = np.maximum(sig[:, 2], np.maximum(l_mag + 3.0 * l_sig, l_max))
    # --- end manoeuvre mode ---
    tracks.csig[idx] = sig
    kap_sig = np.sqrt(np.maximum(Pm[:, COAST, KAPPA, KAPPA], 0.0))
    tracks.cdrag[idx] = KAPPA_UNIT * (np.abs(xm[:, COAST, KAPPA]) + 3.0 * kap_sig)
    if not estimates:
        return None
    if cfg.output_mode_floor > 0.0:
        return combine(xm, Pm, mu, cfg.output_mode_floor)
    return xall, Pall
