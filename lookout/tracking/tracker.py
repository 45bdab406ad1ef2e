"""The multi-sensor ballistic tracker: IMM-EKF over all tracks at once, GNN association per scan.

Each track carries two mode-conditioned estimates (boost: thrust acceleration as a random walk;
coast: ballistic, thrust acceleration held at zero) with their probabilities; arrays are
``xm (N, 2, 9)``, ``Pm (N, 2, 9, 9)``, ``mu (N, 2)`` (mode 0 boost, mode 1 coast), all at the
time of each track's last update. For each sensor scan, in time order:

1. **Predict** every track to the scan time: IMM mixing with a Markov switch over the elapsed
   time, then each mode through the motion model (``motion``). The switch from boost to coast
   is physical (``mixing.burnout_probability``): a rate of ``1 / boost_dwell_s`` and the survival of
   the catalogue's burns (28-470 s) since the object was first seen thrusting, so a boost mode
   cannot outlast every vehicle's burn; a boost mode faster than any vehicle can fly (the
   catalogue's largest ideal delta-v) is weighed out (``mixing.reachable_speed``); each frame an
   infrared sensor that saw the plume takes without seeing it is evidence against thrust
   (``infrared.InfraredSensors.misses``). Nothing is stored: a track not updated stays at its
   last update, so a track that no sensor sees costs one prediction per scan and no error
   accumulates from repeated small steps.
2. **Gate and assign**: innovations of every (track, detection) pair under each mode of the
   prediction; a detection is in a track's gate when it is in the chi-square gate
   (``gate_probability``) of a mode probable enough (``gate_mode_floor``; the coast mode of a
   thrusting track is the burnout about to happen), and the cost is ``-2 ln`` of the mixture
   density (``d² + ln|S|`` for one mode, so a precise track wins a contested detection over a
   vague tentative one), global nearest neighbour by
   ``scipy.optimize.linear_sum_assignment``. Two tracks moving together that share a scan's
   detections (closely spaced objects: a stage and its payload) get them in along-track order,
   the older track the detection ahead (``formations.Formations.order_siblings``); so does
   a track seen thrusting lately at the scan that starts the piece behind it
   (``association.Associator._order_births``).
3. **Update** the assigned tracks, mode by mode (EKF), and their mode probabilities from the
   innovation likelihoods; an infrared detection is evidence of a burning plume, so it scales the
   coast likelihood by ``ir_coast_likelihood``. A track born next to another (a stage pushed off
   its payload) coasting with it above the air is updated with it as a *formation*: both
   tracks with every detection of either object, the partner's measuring the track less their
   relative state, which each track carries with its cross-covariance (started from a push
   along the velocity at the younger's birth, its speed learned from the pairs of detections
   on a grid) and updates jointly; the pair's order is taken as decided
   (``formations.update_formation``).
4. **Initiate** from the detections left over: a radar detection starts a tentative track
   (position from the measurement, velocity from the prior and the range-rate if measured); an
   infrared line of sight is kept for ``ir_pair_max_dt_s`` and triangulated with another
   satellite's (weighted least-squares point between the two lines, gated on their miss
   distance). A tentative track is confirmed after ``confirm_hits`` detections.
5. **Delete** tentative tracks not updated within their timeout, and confirmed tracks too
   uncertain (``delete_pos_sigma_m``), predicted below ground or unseen for ``dormant_max_s``.
   A confirmed track unseen for ``confirmed_timeout_s`` is *dormant*: not reported, but
   predicted and gated, so that its object seen again continues it (woken by a lone false
   alarm, it is put back as it was, ``existence.Wakes``). So is a track lost for a few scans whose
   next detection is too weak to tell its object from a false alarm (``existence.Wakes.note``).
   Two confirmed tracks that the radars' scans show to be one object are merged, and a track
   whose object's detections go to another is missed at its last ``Pd`` (``duplicates``).

Spent stages and reentry vehicles are separate objects to the sensors, so a second detection
near a track starts a second track of its own, from the first one's estimate (``parent``,
``spawn_*`` in the configuration), and inherits what is known of it: when its thrust began,
and, if it was thrusting a moment before, that the two came apart at that burnout
(``parted``). Track ids are integers, never reused.

Each step has its module; ``Tracker.process_scan`` is their composition, one scan at a time:
``store`` (the per-track arrays), ``mixing`` (the IMM's modes and mixing), ``association``
(coarse gate, gating, GNN), ``formations`` (closely spaced objects), ``update`` (the EKF
update), ``initiation`` (new tracks from radar detections and infrared crossings), ``infrared``
(what the infrared sensors say of thrust), ``clutter`` (each sensor's false alarms),
``existence`` (score, confirmation, looks, dormancy, deletion), ``duplicates`` (two tracks of
one object).
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping, Sequence

import numpy as np

from lookout.messages import Detection
from lookout.physics.einsum import einsum
from lookout.physics.trajectory import REENTRY_ALTITUDE_M
from lookout.tracking import manoeuvre, measure
from lookout.tracking.association import Associator, refresh_coarse
from lookout.tracking.clutter import SensorClutter
from lookout.tracking.config import TrackerConfig
from lookout.tracking.coverage import RadarCoverage
from lookout.tracking.drag import cd_shape, drag_q, kappa_spread, spread_rows
from lookout.tracking.duplicates import Duplicates
from lookout.tracking.ensemble import CoastEnsemble, draw, fly, gaussian_disowned, moments
from lookout.tracking.existence import (
    RadarLooks,
    Wakes,
    aged,
    confirmable,
    tentative_timeout,
)
from lookout.tracking.formations import (
    PARTING_TIME_SIGMA_S,
    Formations,
    parting_spread,
    unseen_parting_time_sigma,
)
from lookout.tracking.infrared import InfraredSensors
from lookout.tracking.initiation import (
    LinesOfSight,
    at_radar_seeds,
    born_together,
    infrared_priors,
    new_states,
    pushed,
    radar_priors,
    spawned,
    young_pairs,
)
from lookout.tracking.log import TrackerOutput, TrackLog
from lookout.tracking.mixing import (
    BOOST,
    COAST,
    EXHAUST_ARRAYS,
    INV_EXHAUST_SIGMA_SPM,
    INV_EXHAUST_SPM,
    MANOEUVRE,
    NMODE,
    boost_jerk_q,
    burnout_probability,
    burnout_within,
    combine,
    compiled_imm,
    exhaust_learn,
    exhaust_noise,
    jerk_noise,
    mix,
    outlived_boost,
    reachable_speed,
    reseed_boost,
    restart_boost,
    staged_prior,
    staging_probability,
    thrust_growth,
    transition,
    young_boost,
)
from lookout.tracking.mono import MonoSightings, fit_launch
from lookout.tracking.motion import (
    NX,
    SECOND_ORDER_TAU_SHARE,
    TRACKER_DRAG_CEILING_M,
    accel_noise,
    along_noise,
    altitude_approx,
    gravity_second_order_bound,
    gravity_second_order_q,
    process_noise,
    propagate,
    tracker_accel_q,
)
from lookout.tracking.scans import BasisCache, Scan, prepare
from lookout.tracking.store import TrackStore
from lookout.tracking.update import update_modes

#: Kept importable from here: the modes' indices and the burnout within a step (``mixing``).
__all__ = [
    "BOOST",
    "COAST",
    "MANOEUVRE",
    "NMODE",
    "Tracker",
    "burnout_within",
    "track",
]

#: The boost probability a one-satellite track coasts on after its plume went out
#: (``Tracker._coast_mono``): its frames without the plume say it burns no more, as they do
#: of any track (``infrared.InfraredSensors.misses``); a seed, under the output floor.
MONO_COAST_BOOST_PROB = 1e-3
#: Confirmed tracks not updated for this long (s) are moved forward at each whole second.
REBASE_AGE_S = 0.5
#: A moving sensor's velocity is taken from its last two scans when they are at most this far
#: apart (s); a ship or aircraft turns within a minute.
PLATFORM_VELOCITY_MAX_GAP_S = 60.0


class Tracker:
    """Incremental multi-sensor tracker. Feed time-ordered chunks of detections to ``process``;
    ask ``report(t)`` for the confirmed tracks predicted to ``t``.

    Detection indices in the logs count every detection passed to ``process`` since the tracker
    was made (the first chunk's indices are its list positions). With ``keep_updates`` False
    the tracker keeps no record of its updates once ``process`` has returned them (a long-running
    tracker, a partner node's or the fusion's, whose memory must not grow with the run):
    ``updates`` is then not available.

    The tracks live in ``tracks`` (``store.TrackStore``); each stage of a scan is a component
    over it (``process_scan``)."""

    def __init__(
        self,
        config: TrackerConfig | None = None,
        *,
        keep_updates: bool = True,
        coverage: Mapping[str, RadarCoverage] | None = None,
    ) -> None:
        self.config = cfg = config or TrackerConfig()
        self.keep_updates = keep_updates
        # The radars whose fields of view are declared (``coverage.RadarCoverage``, by sensor
        # id): a track is judged against them (``existence.RadarLooks``), at every scan their
        # revisit says they made, with a detection or not; other radars' coverage is learned
        # from their detections (``clutter.SensorClutter.covers``).
        self.coverage = dict(coverage or {})
        self.tracks = tracks = TrackStore()
        #: Tracks started next to another: track id -> the id of the track it was born next to
        #: (a piece that separated from it), kept after the parent dies. With ``keep_updates``
        #: (an offline run, whose output names every track's parent) every track ever started;
        #: without, those of the tracks held and their ancestors (``_forget_parents``).
        self.parent_of: dict[int, int] = {}
        self._n_seen = 0
        self.n_rejected = 0
        self._basis = BasisCache()
        self._sensor_last: dict[str, tuple[float, np.ndarray]] = {}
        self._revisit: dict[str, float] = {}
        self._clutter: dict[str, SensorClutter] = {}
        self._last_grid = -math.inf  # last whole second housekept
        self._log: list[tuple] = []
        self.t_now = -math.inf
        # The stages, each over the track store.
        self.formations = Formations(cfg, tracks)
        self.associator = Associator(cfg, tracks, self.formations, self._clutter)
        self.infrared = InfraredSensors(tracks)
        self.lines_of_sight = LinesOfSight(cfg)
        self.mono = MonoSightings(cfg.ir_max_speed_mps) if cfg.mono_initiation else None
        #: Tracks started from one satellite's lines of sight alone (``mono``): track id ->
        #: the fit's launch estimate (``mono.MonoFit``).
        self.mono_launches: dict[int, object] = {}
        #: A one-satellite track while its plume burns: track id -> its satellite's lines of
        #: sight of it (``mono.MonoSightings``' chain, with those the track took since, and the
        #: sensor's id), refitted when the plume goes out (``_coast_mono``).
        self.mono_chains: dict[int, dict] = {}
        #: A one-satellite track coasting on that refit, no detection since: track id -> the
        #: refit's time (s). Its uncertainty is the fit's, not an object lost (``_housekeep``).
        self.mono_coasting: dict[int, float] = {}
        #: ... and that coast flown as an ensemble of the boosts that fit it
        #: (``ensemble``): track id -> its members, the track's estimate their moments.
        self.mono_ensembles: dict[int, CoastEnsemble] = {}
        self.looks = RadarLooks(cfg, tracks, self.coverage)
        self.associator.looks = self.looks
        self.wakes = Wakes(cfg, tracks)
        self.duplicates = Duplicates(cfg, tracks)

    # ----------------------------------------------------------------------------- public

    def process(self, detections: Sequence[Detection]) -> TrackLog:
        """Process a time-ordered chunk of detections; returns the update rows it produced."""
        scans, rejected = prepare(detections, self._n_seen)
        self._n_seen += len(detections)
        self.n_rejected += rejected
        start = len(self._log)
        for scan in scans:
            self.process_scan(scan)
        rows = self._collect(self._log[start:])
        if not self.keep_updates:
            del self._log[start:]
        return rows

    def process_scan(self, scan: Scan) -> None:
        """Process one sensor scan (``scans.prepare``): the scan's sensor geometry; the looks of
        the declared radars since the last scan, the deletion of aged tracks and the
        housekeeping of each whole second passed; then predict the tracks near a detection
        (``association``, ``mixing``), gate and assign (``association``, ``formations``),
        update (``update``), learn the sensor's clutter (``clutter``), note the radar's looks
        (``existence``) and start tracks from the detections left over (``initiation``)."""
        tracks = self.tracks
        self._sensor_geometry(scan)
        self.t_now = max(self.t_now, scan.t)
        if self.coverage:
            self.looks.empty(scan.t)
        self._delete_aged(scan.t)
        # Housekeeping (rebase, deletion) at every whole second, whether or not ``report`` is
        # called: a run's tracks do not depend on when it is asked for reports.
        g = math.floor(scan.t)
        if g > self._last_grid:
            first = g if self._last_grid == -math.inf else int(self._last_grid) + 1
            for k in range(first, g + 1):
                self._housekeep(float(k))
        assigned = np.zeros(scan.z.shape[0], dtype=bool)
        near = None  # per detection: id of the confirmed, updated track gating it nearest
        held_rows = None
        updated = np.zeros(0, dtype=np.int64)
        cand = updated
        gone, merges = updated, []
        young_prior = None  # twins of young tracks: their detections and the tracks' priors
        if tracks.n:
            # Predict the tracks near a detection, gate and assign.
            cand = self.associator.coarse(scan)
            if cand.size:
                xp, Pp, c, xbar, Pbar, staged = self._predict(cand, scan.t)
                ia, jb, formation, dll, near, thrust_ok = self.associator.associate(
                    scan, cand, xp, Pp, c, xbar, staged
                )
                bi, bj, bdll, bthrust = self.associator.branches
                held_j, held_rows = self.associator.held
                assigned[held_j] = True
                # Copies of the branching tracks taken before their own update (``clone``).
                slots = tracks.clone(cand[bi]) if bi.size else bi
                if bi.size and ia.size:
                    self._twin_branches(cand, ia, bi, slots)
                # A young track whose twin this scan starts: either of the pair may be its
                # object, so both start from its estimate pushed (``initiation.young_pairs``).
                if ia.size and scan.kind == "radar":
                    spare = np.ones(scan.z.shape[0], dtype=bool)
                    spare[jb], spare[bj], spare[held_j] = False, False, False
                    pj, pk = young_pairs(
                        scan, spare, near, self.associator.near_young, tracks.ids[cand[ia]],
                        tracks.twin[cand[ia]], jb, self.config,
                    )  # fmt: skip
                    if pj.size:
                        rows = ia[pk]
                        young_prior = (pj, xp[rows].copy(), Pp[rows].copy(), c[rows].copy())
                        Pp = Pp.copy()
                        Pp[rows] = pushed(Pp[rows], self.config)
                        staged = (staged[0], staged[1], staged[2].copy())
                        staged[2][rows] = pushed(staged[2][rows], self.config)
                    # A confirmed track a piece is born next to in this scan (``near``): the
                    # detections it took since the parting may have been of either body (the
                    # radar saw one of them, or their blur), and the one it takes now may be
                    # the other's. Its prior is grown by the pair's relative motion since the
                    # parting (``formations.parting_spread``), as the piece's is by the push.
                    Pp, staged = self._parted_priors(scan, cand, ia, spare, near, xbar, Pp, staged)
                # Update.
                if ia.size:
                    contested = None
                    if self.config.contested_updates or self.config.stranger_updates:
                        contested = self.associator.contested(
                            cand,
                            ia,
                            jb,
                            formation,
                            kin=self.config.contested_updates,
                            strangers=self.config.stranger_updates,
                        )
                    xp_a = xp[ia]
                    if self.mono_coasting and scan.kind == "radar":
                        xp_a = self._recentred(scan, cand[ia], jb, xp_a, Pp[ia])
                    self._update(
                        scan,
                        cand[ia],
                        jb,
                        formation,
                        xp_a,
                        Pp[ia],
                        c[ia],
                        dll,
                        thrust_ok,
                        [a[ia] for a in staged],
                        contested,
                        self.associator.rival,
                    )
                    assigned[jb] = True
                    updated = cand[ia]
                    if self.mono_chains or self.mono_coasting:
                        self._mono_taken(scan, tracks.ids[cand[ia]], jb)
                if bi.size:
                    self._update(
                        scan,
                        slots,
                        bj,
                        None,
                        xp[bi],
                        Pp[bi],
                        c[bi],
                        bdll,
                        bthrust,
                        [a[bi] for a in staged],
                    )
                    assigned[bj] = True
                    updated = np.concatenate([updated, slots])
                # Two tracks of one object (``duplicates``).
                if scan.kind == "radar":
                    gone, merges = self.duplicates.note(
                        scan, cand, self.associator.gated, ia, jb, xbar, Pbar,
                        self.looks.code(scan.sensor),
                    )  # fmt: skip
        # The sensor's clutter, the radar's looks.
        free = np.flatnonzero(~assigned)
        clutter = self._clutter.get(scan.sensor)
        if clutter is None:
            clutter = self._clutter[scan.sensor] = SensorClutter(scan.kind, scan.m)
        clutter.learn(scan.z, free.size)
        if scan.kind == "radar":
            if tracks.n:
                declared = self.coverage.get(scan.sensor)
                held = held_rows if cand.size else None
                self.looks.note(
                    scan.sensor, scan.t, scan.s, scan.B, updated, declared, clutter, gone,
                    self.associator.lone_credit if cand.size else None, held,
                )  # fmt: skip
            if scan.sensor in self.coverage:
                self.looks.looked_until[scan.sensor] = scan.t
        # Initiate.
        if free.size:
            if scan.kind == "radar":
                young = self.associator.near_young if cand.size else None
                self._initiate_radar(scan, free, near, young, young_prior)
                if cand.size:
                    born = np.arange(tracks.n - free.size, tracks.n)
                    self.duplicates.born(scan, born, cand, updated, xbar, Pbar)
            else:
                self._initiate_infrared(scan, free)
        # A pair found to be one object keeps its better-scored track.
        if merges:
            keep = np.ones(tracks.n, dtype=bool)
            keep[[drop for _, drop in merges]] = False
            tracks.compact(keep)

    def report(self, t: float) -> TrackLog:
        """Every confirmed track predicted to ``t`` (s), with ``detection_index`` -1. Confirmed
        tracks predicted too uncertain or below ground are deleted on the way."""
        tracks = self.tracks
        sel = self._housekeep(t)
        if sel.size == 0:
            return TrackLog.empty()
        xbar, Pbar, pb = self._last_prediction
        # Dormant tracks (not updated for ``confirmed_timeout_s``) are kept for the objects'
        # return, not reported; nor are woken ones until they have a new track's detections
        # (``existence.Wakes``): what woke them may be a false alarm, which would show for seconds
        # as a track leaping off in boost.
        awake = t - tracks.t[sel] <= self.config.confirmed_timeout_s
        if self.mono_coasting:
            # Coasting on its fit, unseen by design: no sensor was to see it again.
            awake |= np.isin(tracks.ids[sel], np.fromiter(self.mono_coasting, np.int64))
        if self.wakes.woken:
            awake &= ~np.isin(tracks.ids[sel], np.fromiter(self.wakes.woken, np.int64))
        if not awake.all():
            sel, xbar, Pbar, pb = sel[awake], xbar[awake], Pbar[awake], pb[awake]
        k = sel.size
        return TrackLog(
            t=np.full(k, float(t)),
            track_id=tracks.ids[sel].copy(),
            x=xbar,
            P=Pbar,
            boost_prob=pb,
            detection_index=np.full(k, -1, dtype=np.int64),
            confirmed=np.ones(k, dtype=bool),
        )

    def last_update(self, track_ids) -> np.ndarray:
        """Time (s) of the last detection of each of ``track_ids`` (NaN: no such track): a
        report's state at ``t`` has coasted unseen for ``t`` minus it."""
        tracks = self.tracks
        ids = np.asarray(track_ids, dtype=np.int64)
        i = np.minimum(np.searchsorted(tracks.ids[: tracks.n], ids), max(tracks.n - 1, 0))
        n = tracks.n
        ok = (n > 0) & (tracks.ids[i] == ids) if n else np.zeros(ids.shape, dtype=bool)
        return np.where(ok, tracks.t[i], np.nan)

    def updates(self) -> TrackLog:
        """Every update row since the tracker was made."""
        if not self.keep_updates:
            raise RuntimeError("this tracker keeps no updates (keep_updates=False)")
        return self._collect(self._log)

    @property
    def n_tracks(self) -> int:
        return self.tracks.n

    @property
    def n_confirmed(self) -> int:
        return int(self.tracks.confirmed[: self.tracks.n].sum())

    # ----------------------------------------------------------------------------- steps

    def _sensor_geometry(self, scan: Scan) -> None:
        last = self._sensor_last.get(scan.sensor)
        scan.s_vel = np.zeros(3)
        if last is not None:
            dt = scan.t - last[0]
            if dt > 0:
                if dt < PLATFORM_VELOCITY_MAX_GAP_S:
                    scan.s_vel = (scan.s - last[1]) / dt
                prev = self._revisit.get(scan.sensor, math.inf)
                self._revisit[scan.sensor] = min(prev, dt)
        self._sensor_last[scan.sensor] = (scan.t, scan.s)
        if scan.kind == "radar":
            scan.B = self._basis(scan.s)
            scan.ecef_pos, scan.ecef_P = measure.radar_to_ecef(scan.z, scan.R, scan.s, scan.B)
            scan.ecef_sig = np.sqrt(np.trace(scan.ecef_P, axis1=1, axis2=2))
        else:
            scan.los = measure.los_unit(scan.z)
            scan.los_sig = np.sqrt(scan.R[:, 0, 0] + scan.R[:, 1, 1])
            code = self.infrared.code(scan.sensor)
            if scan.sensor in self._revisit:
                self.infrared.set_period(code, self._revisit[scan.sensor])

    def _predict(self, sel, t: float):
        """IMM mixing and prediction of tracks ``sel`` to ``t``: mode states (n, 3, 10), mode
        covariances (n, 3, 10, 10), predicted mode probabilities (n, 3), the moment-matched
        position-velocity estimate (n, 6), (n, 6, 6), and the staging hypothesis
        (``_predict_staged``)."""
        cfg = self.config
        tracks = self.tracks
        xm, Pm, mu = tracks.xm[sel], tracks.Pm[sel], tracks.mu[sel]
        dt = t - tracks.t_base[sel]
        n = dt.size
        # Over the step, the time since each track's last fix, at its middle: how long the
        # boost mode's turn has been held unmeasured (``mixing.turn_held``).
        since_fix = 0.5 * (tracks.t_base[sel] + t) - tracks.fix_t[sel]
        p_bc = burnout_probability(tracks.t_base[sel], tracks.thrust_t0[sel], t, cfg)
        lifting = np.isfinite(tracks.lifted[sel])
        Pi, p_cm, p_apo = transition(xm, Pm, dt, p_bc, cfg, lifting)
        # Rebased since the last update (``_housekeep``), and a young track's boost mode
        # keeping its own evidence: how each is mixed, ``mixing.mix``.
        rebased = tracks.t_base[sel] > tracks.t[sel]
        young = young_boost(tracks.born[sel], tracks.parent[sel], tracks.thrust_t0[sel], t, cfg)
        frames = self.infrared.frames(sel, t)
        c, w, x0, P0 = mix(
            xm, Pm, mu, Pi, dt, rebased, young, p_apo, p_cm, cfg, lifting, burn_frames=frames
        )
        c = self.infrared.misses(sel, t, c)

        flat_x = x0.reshape(NMODE * n, NX)
        # (``ndarray.repeat`` and a mode index, the values of ``np.repeat`` and ``np.tile``
        # without their Python wrappers: a few thousand predictions a run, each a dozen calls.)
        dt2 = dt.repeat(NMODE)
        cap = np.where(tracks.confirmed[sel], cfg.confirmed_max_steps, cfg.tentative_max_steps)
        cap = cap.repeat(NMODE)
        flat_P0 = P0.reshape(NMODE * n, NX, NX)
        mode = np.arange(NMODE * n) % NMODE
        drag_modes = mode != BOOST
        # The coast and manoeuvre modes' drag coefficient follows the shape in the Mach number
        # of the drag tables their body may fly, at every RK4 stage (``drag.cd_shape``); the
        # boost mode's drag is lumped with its thrust, its ``kappa`` held.
        shape = cd_shape(flat_x, flat_P0, drag_modes) if cfg.cd_mach_mean else None
        xp, F = propagate(flat_x, dt2, cfg.max_step_s, max_steps=cap, cd_shape=shape)
        # In the air the drag coefficient's spread is flown, not linearised at the mean, where
        # its points' flights are resolved (``drag.spread_rows``, ``drag.kappa_spread``).
        flown = np.zeros(n * NMODE, dtype=bool)
        if cfg.kappa_spread:
            rows = np.flatnonzero(drag_modes)
            flown[rows] = spread_rows(
                flat_x[rows], flat_P0[rows], dt2[rows], cfg.max_step_s, cap[rows]
            )
        imm = compiled_imm()
        if imm is not None:
            # The same below, compiled (``compiled_imm.predict_modes``).
            q_acc, q_kappa, q_along = np.zeros(n * NMODE), np.zeros(n * NMODE), np.zeros(n * NMODE)
            if shape is None:
                q_acc[drag_modes], q_kappa[drag_modes], q_along[drag_modes] = drag_q(
                    flat_x[drag_modes], flat_P0[drag_modes], cfg, xp[drag_modes], dt2[drag_modes],
                    flown=flown[drag_modes],
                )  # fmt: skip
            else:
                q_acc[drag_modes], q_kappa[drag_modes], q_along[drag_modes] = imm.drag_q(
                    flat_x[drag_modes], flat_P0[drag_modes], xp[drag_modes], dt2[drag_modes],
                    np.ascontiguousarray(shape.w_raw[:, drag_modes]), imm.cached_params(cfg),
                    flown[drag_modes],
                )  # fmt: skip
            Pp = imm.predict_modes(
                mode,
                np.ascontiguousarray(flat_x),
                np.ascontiguousarray(flat_P0),
                xp,
                np.ascontiguousarray(F),
                dt2,
                np.asarray(tracks.ex_b[sel], dtype=float).repeat(NMODE),
                np.asarray(tracks.ex_var[sel], dtype=float).repeat(NMODE),
                np.asarray(since_fix, dtype=float).repeat(NMODE),
                q_acc,
                q_kappa,
                q_along,
                imm.cached_params(cfg),
            )
        else:
            # The boost mode's thrust grows as its stage burns (``mixing.thrust_growth``), at the
            # track's own exhaust speed (``mixing.exhaust_learn``).
            xb, Fb = xp[BOOST::NMODE], F[BOOST::NMODE]
            thrust_growth(flat_x[BOOST::NMODE], xb, Fb, dt, tracks.ex_b[sel])
            xp[BOOST::NMODE], F[BOOST::NMODE] = xb, Fb
            q_acc, q_kappa = tracker_accel_q(flat_x, cfg)
            # Their drag noise: what their drag model leaves out over the step (``tracking.drag``;
            # of the tables' shape, only their departure from the weighed mean the step carried).
            q_acc[drag_modes], q_kappa[drag_modes], q_along = drag_q(
                flat_x[drag_modes], flat_P0[drag_modes], cfg, xp[drag_modes], dt2[drag_modes],
                None if shape is None else shape.w_raw[:, drag_modes], flown[drag_modes],
            )  # fmt: skip
            Q = process_noise(dt2, q_acc, 0.0, q_kappa)
            # The drag's linearisation lies along the velocity but for the direction's error.
            v_d = flat_x[drag_modes, 3:6]
            u_d = v_d / np.maximum(np.linalg.norm(v_d, axis=1), 1e-3)[:, None]
            Q[drag_modes] += along_noise(dt2[drag_modes], q_along, u_d)
            # The boost mode's thrust: a white jerk along it (its growth's range) and across it.
            Q[BOOST::NMODE] += jerk_noise(
                dt, boost_jerk_q(x0[:, BOOST], P0[:, BOOST], cfg, since_fix)
            )
            Q[BOOST::NMODE] += exhaust_noise(x0[:, BOOST], dt, tracks.ex_var[sel])
            # --- manoeuvre mode: the lift's white jerk, perpendicular to the velocity ---
            Q[MANOEUVRE::NMODE] += manoeuvre.process_noise(
                x0[:, MANOEUVRE], P0[:, MANOEUVRE], dt, cfg.manoeuvre
            )
            # --- end manoeuvre mode ---
            # --- manoeuvre mode: its lift carried with the dynamic pressure and the velocity ---
            xm_p, F_m = xp[MANOEUVRE::NMODE], F[MANOEUVRE::NMODE]
            manoeuvre.carry(x0[:, MANOEUVRE], xm_p, F_m, P0[:, MANOEUVRE], cfg.manoeuvre)
            xp[MANOEUVRE::NMODE], F[MANOEUVRE::NMODE] = xm_p, F_m
            Pp = F @ flat_P0 @ F.transpose(0, 2, 1) + Q
        if flown.any():
            # A fast, slender hypothesis stays in the ellipsoid (``drag.kappa_spread``).
            rows = np.flatnonzero(flown)
            xr, Pr = xp[rows], Pp[rows]
            kappa_spread(
                flat_x[rows], flat_P0[rows], xr, F[rows], Pr, dt2[rows], cfg.max_step_s,
                cap[rows], None if shape is None else shape.w_raw[:, rows],
            )  # fmt: skip
            xp[rows], Pp[rows] = xr, Pr
        if cfg.gravity_second_order:
            # Gravity's second order over the error made since the last update, which the
            # transition leaves out (``motion.gravity_second_order_q``), at the step's middle.
            # Skipped where it is below a thousandth of the coast floor (a track seen lately),
            # and where the position is vaguer than a track may be (``delete_pos_sigma_m``):
            # there a second-order term of the error is no longer small against the first, it
            # grows as the square of the covariance it adds to and would run away; only a
            # one-satellite track coasting on its boost's fit is kept so vague, and its spread
            # is the fit's (``mono``).
            age = (t - tracks.t[sel]).repeat(NMODE) - 0.5 * dt2
            floor = cfg.coast_accel_sigma_mps2**2 * cfg.accel_noise_tau_s
            if imm is not None:  # the same below, one call (``compiled_imm.gravity_second_order``)
                imm.gravity_second_order(
                    np.ascontiguousarray(flat_x), np.ascontiguousarray(flat_P0), age, dt2,
                    1e-3 * floor, float(cfg.delete_pos_sigma_m**2), SECOND_ORDER_TAU_SHARE, Pp,
                )  # fmt: skip
            else:
                bound = gravity_second_order_bound(flat_x[:, 0:3], flat_P0, age)
                tr_pos = flat_P0[:, 0, 0] + flat_P0[:, 1, 1] + flat_P0[:, 2, 2]
                rows = np.flatnonzero(
                    (tr_pos <= cfg.delete_pos_sigma_m**2) & (bound > 1e-3 * floor)
                )
                if rows.size:
                    q2 = gravity_second_order_q(
                        flat_x[rows, 0:3], flat_P0[rows, 0:3, 0:3], age[rows]
                    )
                    Pp[rows, 0:6, 0:6] += accel_noise(dt2[rows], q2)
        xp = xp.reshape(n, NMODE, NX)
        Pp = Pp.reshape(n, NMODE, NX, NX)
        c = reachable_speed(xp, Pp, c)
        xbar, Pbar = combine(xp, Pp, c)
        staged = self._predict_staged(sel, x0, P0, xp, Pp, c, dt, cap[::NMODE], p_bc, since_fix)
        return xp, Pp, c, xbar, Pbar, staged

    def _predict_staged(self, sel, x0, P0, xp, Pp, c, dt, cap, p_bc, since_fix):
        """The boost mode's second hypothesis of tracks ``sel`` predicted to ``xp``, ``Pp``,
        ``c`` over ``dt`` (n,) s (``since_fix`` (n,) s after each track's last fix, as
        ``_predict``): the next stage lit (``mixing.staged_prior``), mixed as the
        IMM mixes its modes from its own estimate (``tracks.xs``, its share ``tracks.share``
        of the boost probability going on burning, ``1 - p_bc - p_st``) and the boost mode's
        mixed prior (of the modes' ``x0`` (n, 3, 10), ``P0``) staging within the step (``p_st``,
        ``mixing.staging_probability``). Returns its predicted share ``q`` (n,) of the boost
        probability (zero where the boost mode is a mere seed, below ``boost_reseed_prob``)
        and its prediction (n, 10), (n, 10, 10) (the boost mode's where ``q`` is zero);
        ``update.update_modes`` weighs it against the modes."""
        cfg = self.config
        tracks = self.tracks
        q = np.zeros(dt.size)
        xs, Ps = xp[:, BOOST].copy(), Pp[:, BOOST].copy()
        if not cfg.staging:
            return q, xs, Ps
        live = np.flatnonzero(c[:, BOOST] >= cfg.boost_reseed_prob)
        imm = compiled_imm()
        if live.size and imm is not None:
            # The same as below, the priors in one call (``compiled_imm.staged_priors``).
            rows = sel[live]
            dtl = dt[live]
            xm_, Pm_, q_live = imm.staged_priors(
                x0, P0, np.ascontiguousarray(dt, dtype=float),
                np.ascontiguousarray(p_bc, dtype=float), live, np.asarray(rows, dtype=np.int64),
                tracks.mu, tracks.share, tracks.xs, tracks.Ps,
            )  # fmt: skip
            xs1, F = propagate(xm_, dtl, cfg.max_step_s, max_steps=cap[live])
            k = dtl.size
            zero = np.zeros(k)
            # The next stage's exhaust speed is not the burning one's: the prior's.
            Ps[live] = imm.predict_modes(
                np.zeros(k, dtype=np.int64), xm_, Pm_, xs1, F, np.ascontiguousarray(dtl),
                np.full(k, INV_EXHAUST_SPM), np.full(k, INV_EXHAUST_SIGMA_SPM**2),
                np.ascontiguousarray(since_fix[live], dtype=float), zero, zero, zero,
                imm.cached_params(cfg),
            )  # fmt: skip
            xs[live], q[live] = xs1, q_live  # (xs1 grown in place: its thrust, as it burns)
        elif live.size:
            rows = sel[live]
            dtl = dt[live]
            p_st = staging_probability(dtl)
            mu_b = tracks.mu[rows, BOOST]
            own = mu_b * tracks.share[rows] * np.maximum(1.0 - p_bc[live] - p_st, 0.0)
            new = mu_b * (1.0 - tracks.share[rows]) * p_st
            tot = own + new
            b = np.where(tot > 0.0, new / np.maximum(tot, 1e-300), 1.0)
            a = 1.0 - b
            x1, P1 = staged_prior(x0[live, BOOST], P0[live, BOOST], dtl)
            x2, P2 = tracks.xs[rows], tracks.Ps[rows]
            xm_ = a[:, None] * x2 + b[:, None] * x1
            d2, d1 = x2 - xm_, x1 - xm_
            Pm_ = a[:, None, None] * (P2 + d2[:, :, None] * d2[:, None, :])
            Pm_ += b[:, None, None] * (P1 + d1[:, :, None] * d1[:, None, :])
            xs1, F = propagate(xm_, dtl, cfg.max_step_s, max_steps=cap[live])
            # The next stage's exhaust speed is not the burning one's: the prior's.
            thrust_growth(xm_, xs1, F, dtl)
            q_acc, q_kappa = tracker_accel_q(xm_, cfg)
            Q = process_noise(dtl, q_acc, 0.0, q_kappa)
            Q += jerk_noise(dtl, boost_jerk_q(xm_, Pm_, cfg, since_fix[live]))
            Q += exhaust_noise(xm_, dtl, np.full(dtl.size, INV_EXHAUST_SIGMA_SPM**2))
            xs[live], Ps[live] = xs1, F @ Pm_ @ F.transpose(0, 2, 1) + Q
            # Its share of the predicted boost probability (the rest is the current stage's).
            q[live] = np.clip((own + new) / np.maximum(mu_b, 1e-300), 0.0, 1.0)
        return q, xs, Ps

    def _parted_priors(self, scan: Scan, cand, ia, spare, near, xbar, Pp, staged):
        """Predicted covariances ``Pp`` (and the staging hypothesis's, ``staged``) of the
        tracks ``cand[ia]`` next to which a piece is born in this scan (a spare detection
        gating it, ``near``), grown by the relative motion of a pair pushed apart at their
        parting (``formations.parting_spread``): coasting above the air, parted (last seen
        thrusting) within ``separation_lookback_s``, or never seen thrusting (the parting
        unseen, up to that long before the piece's first detection). Copies where changed.

        Until the piece is born the track takes the pair's detections as one object's: world64
        #05's IRBM, one far radar seeing the spent stage at every scan and the warhead seldom,
        its track fed 7 stage detections after the burnout, then its first warhead detection
        at the piece's birth, 65 m further in range: taken against the stage's estimate
        its range rate moved 4.7 m/s (the pair's is 1.9), and the warhead's track kept the
        stage's velocity along the line of sight (z 3.8) for the rest of its flight. Along the
        push, 65 m over the 38 s since the parting is 1.7 m/s. world77 #01's radars alone
        (the partners' fusion): the stage's track, first seen coasting 57 s after the
        burnout, took us-fbx-negev's first warhead detection 112 m nearer in range than the
        stage, where us-ship's ranges held it; from two radars 6.6° apart the two objects'
        ranges fixed it 1 km off across the lines of sight under an 85 m sigma (coast NEES
        200-510 on the warhead to 680 s; grown as an unseen parting, 3-12)."""
        if near is None or not ia.size:
            return Pp, staged
        cfg = self.config
        tracks = self.tracks
        pid = np.unique(near[spare & (near >= 0)])
        if pid.size == 0:
            return Pp, staged
        ids = tracks.ids[cand[ia]]
        rows = ia[np.isin(ids, pid)]
        tr = cand[rows]
        tau = scan.t - tracks.boosted[tr]
        # Never seen thrusting (``boosted`` -inf): first seen already coasting, on either
        # piece, parted up to ``separation_lookback_s`` before this piece's first detection,
        # as the piece's own relative state takes it (``unseen_parting_time_sigma``).
        unseen = tau == np.inf
        ok = unseen | (np.isfinite(tau) & (tau > 0.0) & (tau <= cfg.separation_lookback_s))
        ok &= tracks.mu[tr, BOOST] < cfg.boost_reseed_prob
        ok &= altitude_approx(xbar[rows, :3]) >= REENTRY_ALTITUDE_M
        if not ok.any():
            return Pp, staged
        rows, tau, unseen = rows[ok], tau[ok], unseen[ok]
        sig_t = np.where(unseen, unseen_parting_time_sigma(cfg), PARTING_TIME_SIGMA_S)
        Q = parting_spread(xbar[rows, :6], np.where(unseen, 0.0, tau), cfg, sig_t)
        Pp = Pp.copy()
        Pp[rows, :, :6, :6] += Q[:, None]
        staged = (staged[0], staged[1], staged[2].copy())
        staged[2][rows, :6, :6] += Q
        return Pp, staged

    def _update(
        self,
        scan: Scan,
        ia,
        jb,
        formation,
        xp,
        Pp,
        c,
        dll,
        thrust_ok,
        staged,
        contested=None,
        rival=None,
    ) -> None:
        """EKF update of tracks ``ia`` with detections ``jb``, mode by mode
        (``update.update_modes``; the tracks of ``formation`` as formations; ``contested``, a
        sibling's detection and the chance it is the track's, ``Associator.contested``), then their
        records: boost modes reseeded, wakes, infrared statistics, fixes, score, confirmation,
        the coarse gate's extrapolation and the log. ``staged``: the tracks' staging hypothesis
        (``_predict_staged``), weighed and stored with them."""
        cfg = self.config
        tracks = self.tracks
        kind = scan.kind
        na = ia.size
        x_new, P_new, mu, (share, xs, Ps) = update_modes(
            scan, jb, formation, xp, Pp, c, thrust_ok, cfg, staged, contested=contested
        )
        # A lifting airframe, once seen lifting (``manoeuvre.seen_lifting``).
        lifts = manoeuvre.seen_lifting(
            x_new[:, MANOEUVRE], P_new[:, MANOEUVRE], mu[:, MANOEUVRE], cfg.manoeuvre
        )
        lifted = np.where(lifts, np.minimum(tracks.lifted[ia], scan.t), tracks.lifted[ia])
        reseed_boost(
            x_new,
            P_new,
            mu,
            cfg,
            ~young_boost(tracks.born[ia], tracks.parent[ia], tracks.thrust_t0[ia], scan.t, cfg),
            np.isfinite(lifted),
        )
        # A negligible boost mode has no second hypothesis: it restarts with it.
        seed = mu[:, BOOST] < cfg.boost_reseed_prob
        share[seed], xs[seed], Ps[seed] = 0.0, x_new[seed, BOOST], P_new[seed, BOOST]
        # The tracks a detection wakes keep the state they had (``existence.Wakes``): noted
        # before any of their arrays is written.
        evidence = dll if rival is None else dll - rival
        self.wakes.note(
            ia, scan.t, self._tentative_timeout(scan.sensor), mu[:, BOOST], dll, evidence
        )
        tracks.lifted[ia] = lifted
        tracks.xs[ia], tracks.Ps[ia], tracks.share[ia] = xs, Ps, share
        if kind == "infrared":
            last = tracks.ir_sensor[ia]
            fixed = (last >= 0) & (last != self.infrared.code(scan.sensor))
            tracks.fixes[ia] += fixed
            tracks.fix_t[ia] = np.where(fixed, scan.t, tracks.fix_t[ia])
            self.infrared.note(ia, scan.sensor, scan.t)
        else:
            tracks.fixes[ia] += 1
            tracks.fix_t[ia] = scan.t
        tracks.xm[ia] = x_new
        tracks.Pm[ia] = P_new
        tracks.mu[ia] = mu
        # The exhaust speed each boost mode's thrust grows at, from its thrust's history.
        ex = tuple(getattr(tracks, a)[ia] for a in EXHAUST_ARRAYS)
        ex = exhaust_learn(
            x_new[:, BOOST], P_new[:, BOOST], mu[:, BOOST], scan.t, ex, cfg.boost_reseed_prob
        )
        for name, value in zip(EXHAUST_ARRAYS, ex, strict=True):
            getattr(tracks, name)[ia] = value
        tracks.t[ia] = tracks.t_base[ia] = scan.t
        tracks.boosted[ia] = np.where(
            thrust_seen(scan.kind, mu, x_new, P_new, cfg), scan.t, tracks.boosted[ia]
        )
        tracks.thrust_t0[ia] = np.where(
            mu[:, BOOST] >= 0.5, np.minimum(tracks.thrust_t0[ia], scan.t), tracks.thrust_t0[ia]
        )
        tracks.hits[ia] += 1
        tracks.llr[ia] += dll
        tracks.llr_max[ia] = np.maximum(tracks.llr_max[ia], tracks.llr[ia])
        tracks.confirmed[ia] |= confirmable(tracks, ia, cfg)
        xbar, Pbar = refresh_coarse(tracks, ia, cfg)
        self._log.append(
            (
                np.full(na, scan.t),
                tracks.ids[ia].copy(),
                xbar,
                Pbar,
                mu[:, BOOST].copy(),
                scan.index[jb],
                tracks.confirmed[ia].copy(),
            )
        )

    def _delete_aged(self, t: float) -> None:
        """Delete tentative tracks past their timeout or whose score fell below ln 0.01, and
        confirmed tracks unseen for ``dormant_max_s`` (``existence.aged``); put back to sleep
        the tracks a false alarm woke (``existence.Wakes.unwake``)."""
        cfg = self.config
        tracks = self.tracks
        if tracks.n == 0:
            return
        if self.wakes.woken:
            wait = max([cfg.tentative_timeout_s, *map(self._tentative_timeout, self._revisit)])
            self.wakes.unwake(t, wait)
        dead = aged(tracks, t, cfg)
        if dead.any():
            tracks.compact(~dead)

    def _housekeep(self, t: float) -> np.ndarray:
        """Predict the confirmed tracks to ``t``, delete those too uncertain or below ground;
        at a whole second not yet housekept, also rebase those not updated for
        ``REBASE_AGE_S``. Returns the survivors' indices (estimates in ``_last_prediction``)."""
        tracks = self.tracks
        cfg = self.config
        rebase = t > self._last_grid and t == math.floor(t)
        if rebase:
            self._last_grid = t
            # Once a second: what deleted tracks left behind.
            self.formations.forget_deleted()
            if not self.keep_updates:
                self._forget_parents()
                if self.mono_launches:
                    live = set(tracks.ids[: tracks.n].tolist())
                    for k in [k for k in self.mono_launches if k not in live]:
                        del self.mono_launches[k]
        if self.mono_chains or self.mono_coasting:
            self._coast_mono(t)
        sel = np.flatnonzero(tracks.confirmed[: tracks.n])
        if sel.size == 0:
            self._last_prediction = None
            return sel
        xp, Pp, c, _, _, staged = self._predict(sel, t)
        xbar, Pbar = combine(xp, Pp, c, cfg.output_mode_floor)
        airborne, moved = self._fly_ensembles(sel, t, xbar, Pbar) or (None, None)
        pos_var = np.trace(Pbar[:, :3, :3], axis1=1, axis2=2)
        # Below ground: any track under ``delete_alt_m``; a falling one (coming down, not
        # thrusting) as soon as its predicted altitude is under the ellipsoid, where its object
        # is likelier on the ground than in the air (the sea stands 20-40 m above the
        # ellipsoid around Japan). Held to -2 km, srbm-salvo's stage tracks flew on 15-20 s
        # after their stages' impacts, in the next stages' way (issue 13).
        alt = altitude_approx(xbar[:, :3])
        falling = (einsum("ij,ij->i", xbar[:, :3], xbar[:, 3:6]) < 0.0) & (c[:, BOOST] < 0.5)
        # A one-satellite track coasting on its boost's fit, or burning towards it, is as
        # uncertain as one satellite leaves it (tens of km along the line of sight, its
        # velocity as the boosts that fit differ): no object lost, its only track.
        vague = pos_var > cfg.delete_pos_sigma_m**2
        if vague.any() and (self.mono_coasting or self.mono_chains):
            # (A chain's track is held until the refit, a tentative timeout after its plume.)
            mono = np.fromiter([*self.mono_coasting, *self.mono_chains], np.int64)
            vague &= ~np.isin(tracks.ids[sel], mono)
        below = (alt < cfg.delete_alt_m) | (falling & (alt < cfg.delete_fallen_alt_m))
        if airborne is not None:
            # An ensemble's object is likelier down than up once most of its members are.
            flown = ~np.isnan(airborne)
            below[flown] = airborne[flown] < 0.5
        if below.any() and self.mono_chains:
            # Nor is the ground evidence against a chain's track: its satellite's lines of
            # sight fix two coordinates, its boost mode flies the third free along them (tens
            # of km a second at the fit's velocity spread), so its altitude is what the fit of
            # its lines of sight says, not what the boost mode makes of it (me66 #02's MRBM:
            # 75 km down its line of sight in 5 s, deleted 25 s before burnout, taken up again
            # by a radar as a new track). Put back on that fit; deleted if none fits.
            chain = np.isin(tracks.ids[sel], np.fromiter(self.mono_chains, np.int64))
            if airborne is not None:
                chain &= np.isnan(airborne)  # coasting on its ensemble, no longer burning
            for i in np.flatnonzero(below & chain):
                below[i] = not self._refit_chain(int(tracks.ids[sel[i]]), int(sel[i]))
        dead = vague | below
        ok = ~dead
        if dead.any():
            keep = np.ones(tracks.n, dtype=bool)
            keep[sel[dead]] = False
            tracks.compact(keep)
            sel = np.flatnonzero(tracks.confirmed[: tracks.n])
        self._last_prediction = (xbar[ok], Pbar[ok], c[ok, BOOST])
        # Tracks not updated for a second are moved to ``t`` (a prediction is a Markov step),
        # so no later prediction spans more than ``REBASE_AGE_S`` and a track in the air needs
        # a few RK4 steps per scan, not a few per second since its last update.
        old = np.flatnonzero(t - tracks.t_base[sel] >= REBASE_AGE_S)
        if rebase and old.size:
            kept = np.flatnonzero(ok)[old]
            idx = sel[old]
            tracks.xm[idx], tracks.Pm[idx], tracks.mu[idx] = xp[kept], Pp[kept], c[kept]
            tracks.share[idx], tracks.xs[idx], tracks.Ps[idx] = (a[kept] for a in staged)
            tracks.t_base[idx] = t
            if airborne is not None:
                # An ensemble's track is moved on as its members are: every mode on their
                # moments, the rest of its state unmoved by them.
                on = moved[kept]
                i, j = idx[on], kept[on]
                tracks.xm[i, :, 0:6] = xbar[j, None, 0:6]
                tracks.Pm[i, :, 0:6, 6:] = 0.0
                tracks.Pm[i, :, 6:, 0:6] = 0.0
                tracks.Pm[i, :, 0:6, 0:6] = Pbar[j, None, 0:6, 0:6]
            self._restart_outlived(idx, t)
            refresh_coarse(tracks, idx, cfg, estimates=False)
        return sel

    def _restart_outlived(self, idx: np.ndarray, t: float) -> None:
        """Restart from the coast mode, as an update restarts a negligible one
        (``mixing.reseed_boost``), the negligible boost modes of the tracks ``idx`` just rebased
        to ``t`` that are no burn a vehicle can still be in (``mixing.outlived_boost``): a
        dormant track's boost mode is never restarted by an update, and flown on its own it
        drifts past any thrust (as a manoeuvre mode left is reseeded, ``mixing.mix``). Not a
        young track's (``mixing.young_boost``), which keeps its own evidence; with the staging
        hypothesis, as at an update. Only a track unseen longer than a tentative track lives
        (``tentative_timeout_s``): one rebased between two updates of a radar that revisits it
        every second or two flies its seed no further than its next update restarts it
        (lost-track's RV, born longer ago than every burn: its seed at each update 0.3 s old
        rather than 1.3, its boost probability at 3e-6 moved by 1 %)."""
        cfg = self.config
        tracks = self.tracks
        seed = tracks.mu[idx, BOOST] < cfg.boost_reseed_prob
        seed &= t - tracks.t[idx] > cfg.tentative_timeout_s
        seed &= ~young_boost(tracks.born[idx], tracks.parent[idx], tracks.thrust_t0[idx], t, cfg)
        rows = idx[seed]
        if rows.size == 0:
            return
        xm, Pm = tracks.xm[rows], tracks.Pm[rows]
        rows = rows[outlived_boost(xm, Pm, t - tracks.t[rows], t - tracks.born[rows])]
        if rows.size == 0:
            return
        xm, Pm = tracks.xm[rows], tracks.Pm[rows]
        restart_boost(xm, Pm, slice(None), cfg)
        tracks.xm[rows], tracks.Pm[rows] = xm, Pm
        tracks.share[rows], tracks.xs[rows], tracks.Ps[rows] = 0.0, xm[:, BOOST], Pm[:, BOOST]

    def _forget_parents(self) -> None:
        """Forget the parents of tracks no longer held, but for the ancestors of a track held:
        ``parent_of`` is read from a live track's id and up its line of parents
        (``PictureFusion._descends_from``), and ids are never given again, so nothing read
        changes. Kept for every piece ever started (most of them tentative, on clutter next to
        a track), it grew with the run."""
        parent_of = self.parent_of
        if not parent_of:
            return
        keep: set[int] = set()
        for p in self.tracks.ids[: self.tracks.n].tolist():
            while p in parent_of and p not in keep:
                keep.add(p)
                p = parent_of[p]
        if len(keep) < len(parent_of):
            for k in [k for k in parent_of if k not in keep]:
                del parent_of[k]

    def _add(
        self, xm, Pm, mu, t: float, hits: int, llr: float, timeout: float, parent=None
    ) -> np.ndarray:
        """Start tracks born at ``t`` (``store.TrackStore.add``), confirmed if their evidence
        already says so (``existence.confirmable``): their ids."""
        tracks = self.tracks
        ids = tracks.add(xm, Pm, mu, t, hits, llr, timeout, parent)
        s = np.arange(tracks.n - ids.size, tracks.n)
        tracks.confirmed[s] = confirmable(tracks, s, self.config)
        refresh_coarse(tracks, s, self.config, estimates=False)
        return ids

    def _tentative_timeout(self, sensor: str) -> float:
        return tentative_timeout(self._revisit.get(sensor, 0.0), self.config)

    def _initiate_radar(
        self, scan: Scan, free: np.ndarray, near=None, young=None, young_prior=None
    ) -> None:
        """Start tracks from the radar detections ``free`` no track took
        (``initiation.radar_priors``); one born next to a confirmed track updated in this scan
        (``near``) is a piece separating from it; one born next to a tentative track born on
        its own and updated in this scan (``young``, ids per detection, -1: none), or two
        born together next to each other (``initiation.born_together``), are twins.
        ``young_prior``: the detections of the twins that are a pair with their young track's
        own detection, and those tracks' predicted mode estimates and probabilities before it
        (``initiation.young_pairs``): such a twin starts from that estimate, pushed."""
        tracks = self.tracks
        xm, Pm, mu, parent, pi = radar_priors(tracks, scan, free, near, self.config)
        if young_prior is not None:
            pj, yx, yP, yc = young_prior
            at = np.searchsorted(free, pj)
            xm[at], Pm[at] = spawned(yx, yP, scan.ecef_pos[pj], scan.ecef_P[pj], self.config)
            pb = np.minimum(yc[:, BOOST], self.config.init_boost_prob_radar)
            pm = np.maximum(yc[:, MANOEUVRE], 1e-6)  # manoeuvre mode
            mu[at, BOOST], mu[at, MANOEUVRE], mu[at, COAST] = pb, pm, 1.0 - pb - pm
        ids = self._add(xm, Pm, mu, scan.t, 1, 0.0, self._tentative_timeout(scan.sensor), parent)
        # Twins: a pair first seen already parted (no track saw it part), which is which the
        # order of the detections; ordered along the track from their first shared scan
        # (``Formations.order_siblings``).
        rows = np.arange(tracks.n - free.size, tracks.n)
        lone = np.ones(free.size, dtype=bool) if parent is None else parent < 0
        if young is not None:
            yid = young[free]
            kid = np.flatnonzero(lone & (yid >= 0))
            # One twin per track: the first detection of the scan next to it.
            if kid.size > 1:
                _, first = np.unique(yid[kid], return_index=True)
                kid = kid[first]
            prow = np.searchsorted(tracks.ids[: tracks.n], yid[kid])
            kid, prow = kid[tracks.twin[prow] < 0], prow[tracks.twin[prow] < 0]
            tracks.twin[rows[kid]] = tracks.ids[prow]
            tracks.twin[prow] = ids[kid]
            lone[kid] = False
        pairs = born_together(scan, free, np.where(lone, -1, 0), self.config)
        if pairs.size:
            tracks.twin[rows[pairs[:, 0]]] = ids[pairs[:, 1]]
            tracks.twin[rows[pairs[:, 1]]] = ids[pairs[:, 0]]
        if parent is not None and (parent >= 0).any():
            kid = np.flatnonzero(parent >= 0)
            self.parent_of.update(zip(ids[kid].tolist(), parent[kid].tolist(), strict=True))
            # A track born next to one that was thrusting a moment ago came apart from it at
            # that burnout (stages and payloads part at burnout and staging), which may be
            # seconds before the radars resolve the two: its relative motion runs from there.
            # Measured on irbm-overflight's single precise radar: taking the younger's first
            # detection, 15 s late, put the pair's modelled offset 45 m out (coast NEES 139).
            born = np.arange(tracks.n - free.size, tracks.n)[kid]
            last = tracks.boosted[pi]
            recent = scan.t - last <= self.config.separation_lookback_s
            tracks.parted[born[recent]] = last[recent]
            # One never seen thrusting was first seen after the pieces parted, on either: the
            # order's prior is even, as a pair born together's (world43 #2's IRBM: the stage's
            # track, started 22 s after burnout, took the warhead's detections ahead of it).
            tracks.unseen_parting[born] = ~np.isfinite(last)
            # The thrusting one's axis at the parting, while its thrust estimate still holds
            # the stage that burnt out (``Formations.order_siblings``).
            thrusting = recent & (tracks.mu[pi, BOOST] >= 0.5)
            acc = tracks.xm[pi[thrusting], BOOST, 6:9]
            norm = np.linalg.norm(acc, axis=1, keepdims=True)
            tracks.thrust_dir[born[thrusting]] = np.where(
                norm > 0.0, acc / np.maximum(norm, 1e-300), 0.0
            )
            tracks.thrust_t0[born] = np.minimum(tracks.thrust_t0[born], tracks.thrust_t0[pi])
            # The satellites that watched the parent's plume watch the piece it released:
            # the two are metres to a kilometre apart, one point to a satellite, so each frame
            # they take without a plume there says neither burns (``InfraredSensors.misses``).
            # Without it the piece's boost mode (up to ``init_boost_prob_radar``) decayed
            # only at the burns' survival: gen-world-63-00's third stage, seen 4 s at its
            # payload's separation and then out of every radar's reach, kept 2-4 % of boost
            # for a minute, which mixed 150-260 m/s of thrust's spread into its coasting
            # velocity and pushed its estimate 10 km from the stage onto the payload (a
            # duplicate for the scoring).
            for name in ("ir_t", "ir_sensor", "ir_t2", "ir_sensor2"):
                arr = getattr(tracks, name)
                arr[born] = arr[pi]
        self._log_new(scan.t, ids, xm, Pm, mu, scan.index[free])

    def _twin_branches(self, cand, ia, bi, slots) -> None:
        """Twin each copy ``slots`` of a tentative track ``cand[bi]`` (``Associator``'s
        two-point initiation) with that track, when the track took another detection of the
        scan too (``cand[ia]``), has no twin yet and was copied once: two objects of one pair
        first seen already parted, or two pairings of one, which the order decides as for
        any twins (``Formations.order_siblings``) or the next scans leave one of to die."""
        tracks = self.tracks
        orig = cand[bi]
        uniq, count = np.unique(orig, return_counts=True)
        once = np.isin(orig, uniq[count == 1])
        ok = once & np.isin(orig, cand[ia]) & (tracks.twin[orig] < 0) & (tracks.parent[orig] < 0)
        if ok.any():
            tracks.twin[slots[ok]] = tracks.ids[orig[ok]]
            tracks.twin[orig[ok]] = tracks.ids[slots[ok]]

    def _initiate_infrared(self, scan: Scan, free: np.ndarray) -> None:
        """Start tracks where the lines of sight ``free`` cross another satellite's
        (``initiation.LinesOfSight``), and keep the others for a while."""
        cfg = self.config
        tracks = self.tracks
        code = self.infrared.code(scan.sensor)
        crossings = self.lines_of_sight.pair(scan, free, code)
        if self.mono is not None:
            lone = free
            if crossings is not None:
                lone = free[~np.isin(scan.index[free], crossings[2])]
            self._initiate_mono(scan, lone, code)
        if crossings is None:
            return
        pos, P_pos, cur, buf = crossings
        # A crossing where a radar's lone detection started a track is that track's object.
        fresh = ~at_radar_seeds(tracks, scan.t, pos, P_pos, cfg.gate(3))
        if not fresh.all():
            pos, P_pos, cur, buf = pos[fresh], P_pos[fresh], cur[fresh], buf[fresh]
        k = pos.shape[0]
        if k == 0:
            return
        xm, Pm, mu = infrared_priors(pos, P_pos, cfg)
        ids = self._add(
            xm, Pm, mu, scan.t, 2, cfg.ir_pair_llr, self._tentative_timeout(scan.sensor)
        )
        born = np.arange(tracks.n - k, tracks.n)
        tracks.ir_t[born] = scan.t
        tracks.ir_sensor[born] = code
        self._log_new(scan.t, ids, xm, Pm, mu, cur)
        self._log_new(scan.t, ids, xm, Pm, mu, buf)

    def _initiate_mono(self, scan: Scan, lone: np.ndarray, code: int) -> None:
        """Start tracks from the chains of this satellite's lines of sight that no other's
        crossed (``lone``) once a launch from the ground fits them (``mono.MonoSightings``):
        confirmed at once (the fit is their evidence and their third dimension), thrusting
        since the fitted launch time."""
        cfg = self.config
        tracks = self.tracks
        fits = self.mono.add(
            scan.t, code, scan.s, scan.los[lone], np.sqrt(scan.R[lone, 1, 1]), scan.index[lone]
        )
        for fit, det, chain in fits:
            P6 = fit.P
            xm, Pm, mu = infrared_priors(fit.x[None, :3], P6[None, :3, :3], cfg)
            xm[:, :, 3:6] = fit.x[3:6]
            Pm[:, :, :6, :6] = P6
            xm[:, MANOEUVRE], Pm[:, MANOEUVRE] = manoeuvre.reseed(
                xm[:, COAST], Pm[:, COAST], cfg.manoeuvre
            )
            llr = max(cfg.confirm_llr, cfg.ir_pair_llr)
            ids = self._add(
                xm, Pm, mu, scan.t, int(det.size), llr, self._tentative_timeout(scan.sensor)
            )
            row = tracks.n - 1
            tracks.fixes[row] = 2
            tracks.confirmed[row] = True
            tracks.ir_t[row] = scan.t
            tracks.ir_sensor[row] = code
            tracks.thrust_t0[row] = min(fit.t_launch, scan.t)
            self.mono_launches[int(ids[0])] = fit
            self.mono_chains[int(ids[0])] = dict(chain, sensor=scan.sensor)
            self._log_new(scan.t, np.repeat(ids, det.size), np.repeat(xm, det.size, 0),
                          np.repeat(Pm, det.size, 0), np.repeat(mu, det.size, 0), det)  # fmt: skip

    def _refit_chain(self, k: int, i: int) -> bool:
        """Put the burning one-satellite track ``k`` (row ``i``) back on the fit of its chain's
        every line of sight, its state at the last (still thrusting, as ``_initiate_mono``
        starts it), when its boost mode has flown it under the ground. Once per line of sight;
        False (the track to go) when no boost fits them."""
        ch = self.mono_chains[k]
        t_last = ch["t"][-1]
        if ch.get("refit_below") == t_last:
            return True
        ch["refit_below"] = t_last
        fit = fit_launch(np.array(ch["t"]), np.array(ch["s"]), np.array(ch["u"]),
                         np.array(ch["sig"]), t_last)  # fmt: skip
        if not fit.ok:
            return False
        xm, Pm, mu = infrared_priors(fit.x[None, :3], fit.P[None, :3, :3], self.config)
        xm[:, :, 3:6] = fit.x[3:6]
        self._seat_fit(i, xm, Pm, mu, fit.P, t_last)
        return True

    def _seat_fit(
        self,
        i: int,
        xm: np.ndarray,
        Pm: np.ndarray,
        mu: np.ndarray,
        P_fit: np.ndarray,
        t_last: float,
    ) -> None:
        """Make one-satellite track row ``i``'s mode states ``xm``/``Pm``/``mu`` (one row each)
        its own at ``t_last``, the launch fit's position-velocity covariance ``P_fit`` in every
        mode and the manoeuvre mode reseeded from the coast's."""
        cfg = self.config
        tracks = self.tracks
        Pm[:, :, :6, :6] = P_fit
        xm[:, MANOEUVRE], Pm[:, MANOEUVRE] = manoeuvre.reseed(
            xm[:, COAST], Pm[:, COAST], cfg.manoeuvre
        )
        tracks.xm[i], tracks.Pm[i], tracks.mu[i] = xm[0], Pm[0], mu[0]
        tracks.xs[i], tracks.Ps[i], tracks.share[i] = xm[0, BOOST], Pm[0, BOOST], 1.0
        tracks.t_base[i] = t_last
        refresh_coarse(tracks, np.array([i]), cfg, estimates=False)

    def _mono_taken(self, scan: Scan, ids: np.ndarray, jb: np.ndarray) -> None:
        """One-satellite tracks ``ids`` took detections ``jb`` of ``scan``: a line of sight of
        their own satellite extends their chain; anything else (a radar, another satellite)
        fixes them as any track is fixed, and they are tracked as any track from then on."""
        for k, j in zip(ids.tolist(), jb.tolist(), strict=True):
            ch = self.mono_chains.get(k)
            if ch is None:
                continue
            if scan.kind != "radar" and scan.sensor == ch["sensor"]:
                ch["t"].append(scan.t)
                ch["s"].append(scan.s)
                ch["u"].append(scan.los[j])
                ch["sig"].append(float(np.sqrt(scan.R[j, 1, 1])))
            else:
                del self.mono_chains[k]

    def _coast_mono(self, t: float) -> None:
        """The one-satellite tracks whose plume is out at ``t`` (no line of sight for a
        tentative track's timeout at their satellite: a missed frame, then the next) coast on
        the refit of their chain's every line of sight (``mono.fit_launch``, the plume gone
        within a frame of the last): the boost is what one satellite tells of the third
        dimension, and the tracker's boost mode, its thrust free along the line of sight,
        carries none of it (world61 #02's IRBM: 89 km along it at burnout, deleted there). A
        chain no boost fits is dropped, its track left as it is; a plume lit again (a next
        stage) extends the chain, refitted when it goes out. Also forgets the coasting tracks
        gone, or updated since their refit (and not woken by a detection that may be a false
        alarm, ``existence.Wakes``: put back, they coast on)."""
        tracks = self.tracks
        live = tracks.ids[: tracks.n]

        def row(k: int) -> int:  # the track's row, -1 once it is gone
            i = int(np.searchsorted(live, k))
            return i if i < live.size and live[i] == k else -1

        for k, t_fit in list(self.mono_coasting.items()):
            i = row(k)
            if i < 0 or (tracks.t[i] > t_fit and k not in self.wakes.woken):
                del self.mono_coasting[k]
                self.mono_ensembles.pop(k, None)
        for k in list(self.mono_chains):
            ch = self.mono_chains[k]
            i = row(k)
            if i < 0:
                del self.mono_chains[k]
                continue
            t_last = ch["t"][-1]
            if ch.get("fitted") == t_last or t - t_last <= self._tentative_timeout(ch["sensor"]):
                continue
            ch["fitted"] = t_last
            frame = self._revisit.get(ch["sensor"], 1.0)
            fit = fit_launch(np.array(ch["t"]), np.array(ch["s"]), np.array(ch["u"]),
                             np.array(ch["sig"]), t_last, burnt_out_s=frame)  # fmt: skip
            if not fit.ok:
                del self.mono_chains[k]
                continue
            xm, Pm, mu = new_states(
                fit.x[None, :3], fit.P[None, :3, :3], fit.x[None, 3:], fit.P[None, 3:, 3:],
                MONO_COAST_BOOST_PROB, self.config,
            )  # fmt: skip
            self._seat_fit(i, xm, Pm, mu, fit.P, t_last)
            self.mono_coasting[k] = t_last
            if fit.states is not None and fit.weights.size:
                self.mono_ensembles[k] = draw(fit, self.config, seed=k)

    def _fly_ensembles(self, sel, t: float, xbar, Pbar):
        """The confirmed tracks ``sel`` coasting on an ensemble (``mono_ensembles``, no
        detection since their refit) flown to ``t``; from when their Gaussian's mean meets the
        air (or it has lost the members, ``ensemble.gaussian_disowned``), their estimates
        ``xbar`` (N, 10) and ``Pbar`` (N, 10, 10) made their members' moments in place
        (position and velocity; the rest as the modes say, uncorrelated with them).
        Returns each track's share of members in the air (N,, NaN: no ensemble) and whether
        its estimate is now theirs (N,, bool; ``ensemble.CoastEnsemble.reported``), or None
        when there is none."""
        ens = self.mono_ensembles
        if not ens:
            return None
        ids = self.tracks.ids[sel]
        on = np.flatnonzero(np.isin(ids, np.fromiter(ens, np.int64)))
        # Not one updated since its refit (woken by a detection that may be its object's).
        fitted = np.array([self.mono_coasting.get(int(k), -np.inf) for k in ids[on]])
        on = on[self.tracks.t[sel[on]] <= fitted]
        if on.size == 0:
            return None
        airborne = np.full(sel.size, np.nan)
        moved = np.zeros(sel.size, dtype=bool)
        # From when the Gaussian's mean comes down into the air, the members' moments are the
        # estimate (climbing through it after burnout, its drag is the boost fit's own).
        down = einsum("ij,ij->i", xbar[on, 0:3], xbar[on, 3:6]) < 0.0
        air = down & (altitude_approx(xbar[on, 0:3]) < TRACKER_DRAG_CEILING_M)
        for r, in_air in zip(on.tolist(), air.tolist(), strict=True):
            e = ens[int(ids[r])]
            if t < e.t:  # only forwards; a report before the ensemble's time keeps the modes'
                continue
            fly(e, t, self.config)
            airborne[r] = e.airborne
            # ... or before, once it has lost the members (its linear flight bent away from
            # theirs in the vacuum, ``ensemble.gaussian_disowned``).
            e.reported = (
                e.reported or in_air or gaussian_disowned(e, xbar[r, 0:6], Pbar[r, 0:6, 0:6])
            )
            if not e.reported:
                continue
            moved[r] = True
            mean, cov = moments(e)
            xbar[r, 0:6] = mean
            Pbar[r, 0:6, 6:] = 0.0
            Pbar[r, 6:, 0:6] = 0.0
            Pbar[r, 0:6, 0:6] = cov
        return airborne, moved

    def _recentred(self, scan: Scan, rows, jb, xp, Pp):
        """The predictions ``xp`` (k, 3, 10) of tracks ``rows`` taking radar detections ``jb``,
        those of one-satellite tracks coasting on their refit (``mono_coasting``) moved to
        their mean given the detection's position (``Scan.ecef_pos``, ``ecef_P``; a linear
        update of the position, covariances kept), where the radar's update is linearised: from
        a prior tens to hundreds of kilometres and a km/s off along a satellite's line of sight,
        the update linearised at the prior is not the detection's (world59 #03's IRBM, taken
        up by a radar so, coast NEES 237 on the stage a new track had held at 3). What the
        update then moves is the step's share the detection does not fix, as an iterated EKF's
        second pass."""
        ids = self.tracks.ids[rows]
        k = np.flatnonzero(np.isin(ids, np.fromiter(self.mono_coasting, np.int64)))
        k = k[self.tracks.t[rows[k]] <= np.array([self.mono_coasting[int(i)] for i in ids[k]])]
        if k.size == 0:
            return xp
        xp = xp.copy()
        z, R = scan.ecef_pos[jb[k]], scan.ecef_P[jb[k]]
        P = Pp[k]  # (k, 3, 10, 10)
        S = P[..., :3, :3] + R[:, None]
        gain = np.linalg.solve(S, P[..., :3, :]).transpose(0, 1, 3, 2)  # (k, 3, 10, 3)
        nu = z[:, None, :] - xp[k, :, :3]
        xp[k] += einsum("kmij,kmj->kmi", gain, nu)
        return xp

    def _log_new(self, t, ids, xm, Pm, mu, det_index) -> None:
        tracks = self.tracks
        xbar, Pbar = combine(xm, Pm, mu, self.config.output_mode_floor)
        k = ids.size
        self._log.append(
            (
                np.full(k, t),
                ids,
                xbar,
                Pbar,
                mu[:, BOOST].copy(),
                np.asarray(det_index, dtype=np.int64),
                tracks.confirmed[np.searchsorted(tracks.ids[: tracks.n], ids)].copy(),
            )
        )

    @staticmethod
    def _collect(rows: list[tuple]) -> TrackLog:
        if not rows:
            return TrackLog.empty()
        cols = list(zip(*rows, strict=True))
        return TrackLog(
            t=np.concatenate(cols[0]),
            track_id=np.concatenate(cols[1]).astype(np.int64),
            x=np.concatenate(cols[2]),
            P=np.concatenate(cols[3]),
            boost_prob=np.concatenate(cols[4]),
            detection_index=np.concatenate(cols[5]).astype(np.int64),
            confirmed=np.concatenate(cols[6]).astype(bool),
        )


def thrust_seen(kind: str, mu: np.ndarray, x: np.ndarray, P: np.ndarray, cfg) -> np.ndarray:
    """Whether an update (modes ``x`` (n, modes, NX), ``P``, probabilities ``mu`` (n, modes))
    saw its object thrusting: the boost mode the likelier, and, for a radar's look, its thrust
    estimate told from none (``a' Pa⁻¹ a`` past the 3-dof gate). An infrared detection is a
    plume, thrust itself. A radar sees no plume: where a young track's velocity is still
    hundreds of m/s vague, its boost mode outweighs the coast mode on that vagueness alone
    (me76 #00's partners' fusion: MRBM-2's spent stage, first seen 51 s after the parting,
    boost 0.44-0.77 at 261-265 s with 68-139 m/s² of thrust under a 90-106 m/s² sigma), and
    a piece born next to it was taken as released then (a seen parting 13 s before, where
    the pieces had parted 72 s before): the reentry vehicle's track was held by its stage's
    through a wrong relative state, overconfident (NEES 40-65), lost twice to new tracks."""
    seen = mu[:, BOOST] >= 0.5
    if kind == "infrared" or not seen.any():
        return seen
    a = x[:, BOOST, 6:9]
    Pa = P[:, BOOST, 6:9, 6:9]
    d2 = np.einsum("ni,ni->n", a, np.linalg.solve(Pa, a[..., None])[..., 0])
    return seen & (d2 >= cfg.gate(3))


def track(
    detections: Sequence[Detection],
    config: TrackerConfig | None = None,
    *,
    report_period_s: float = 1.0,
    t_end: float | None = None,
    coverage: Mapping[str, RadarCoverage] | None = None,
) -> TrackerOutput:
    """Track a whole time-ordered list of detections. Reports are made at ``k *
    report_period_s`` from the first detection's time (floored to the period) to ``t_end``
    (default: the last detection), each after every detection at or before it. ``coverage``:
    the radars' declared fields of view (``Tracker``)."""
    wall0 = time.perf_counter()
    tracker = Tracker(config, coverage=coverage)
    scans, rejected = prepare(detections)
    tracker.n_rejected = rejected
    tracker._n_seen = len(detections)
    reports: list[TrackLog] = []
    if scans:
        t_last = max(s.t for s in scans) if t_end is None else t_end
        k0 = math.floor(scans[0].t / report_period_s)
        k1 = math.floor(t_last / report_period_s + 1e-9)
        instants = (np.arange(k0, k1 + 1) * report_period_s).tolist()
        r = 0
        for scan in scans:
            while r < len(instants) and instants[r] < scan.t:
                reports.append(tracker.report(instants[r]))
                r += 1
            tracker.process_scan(scan)
        for t in instants[r:]:
            reports.append(tracker.report(t))
    return TrackerOutput(
        updates=tracker.updates(),
        reports=TrackLog.concatenate(reports),
        n_detections=len(detections),
        wall_s=time.perf_counter() - wall0,
        parents=dict(tracker.parent_of),
        launches=dict(tracker.mono_launches),
    )
