"""The multi-sensor ballistic tracker: IMM-EKF over all tracks at once, GNN association per scan.

Each track carries two mode-conditioned estimates (boost: thrust acceleration as a random walk;
coast: ballistic, thrust acceleration held at zero) with their probabilities; arrays are
``xm (N, 2, 9)``, ``Pm (N, 2, 9, 9)``, ``mu (N, 2)`` (mode 0 boost, mode 1 coast), all at the
time of each track's last update. For each sensor scan, in time order:

1. **Predict** every track to the scan time: IMM mixing with a Markov switch over the elapsed
   time, then each mode through the motion model (``motion``). The switch from boost to coast
   is physical (``_burnout_probability``): a rate of ``1 / boost_dwell_s`` and the survival of
   the catalogue's burns (28-470 s) since the object was first seen thrusting, so a boost mode
   cannot outlast every vehicle's burn; a boost mode faster than any vehicle can fly (the
   catalogue's largest ideal delta-v) is weighed out (``_reachable_speed``); each frame an
   infrared sensor that saw the plume takes without seeing it is evidence against thrust
   (``_ir_misses``). Nothing is stored: a track not updated stays at its last update, so a
   track that no sensor sees costs one prediction per scan and no error accumulates from
   repeated small steps.
2. **Gate and assign**: innovations of every (track, detection) pair under each mode of the
   prediction; a detection is in a track's gate when it is in the chi-square gate
   (``gate_probability``) of a mode probable enough (``gate_mode_floor``; the coast mode of a
   thrusting track is the burnout about to happen), and the cost is ``-2 ln`` of the mixture
   density (``d² + ln|S|`` for one mode, so a precise track wins a contested detection over a
   vague tentative one), global nearest neighbour by
   ``scipy.optimize.linear_sum_assignment``. Two tracks moving together that share a scan's
   detections (closely spaced objects: a stage and its payload) get them in along-track order,
   the older track the detection ahead (``Tracker._order_siblings``).
3. **Update** the assigned tracks, mode by mode (EKF), and their mode probabilities from the
   innovation likelihoods; an infrared detection is evidence of a burning plume, so it scales the
   coast likelihood by ``ir_coast_likelihood``. A track born next to another (a stage pushed off
   its payload) coasting with it above the air is updated with it as a *formation*: both
   tracks with every detection of either object, the partner's shifted by their separation
   (a push along the velocity at the younger's birth, its speed learned from the pairs of
   detections on a grid), mixed over the two possible origins (``_update_formation``).
4. **Initiate** from the detections left over: a radar detection starts a tentative track
   (position from the measurement, velocity from the prior and the range-rate if measured); an
   infrared line of sight is kept for ``ir_pair_max_dt_s`` and triangulated with another
   satellite's (weighted least-squares point between the two lines, gated on their miss
   distance). A tentative track is confirmed after ``confirm_hits`` detections.
5. **Delete** tentative tracks not updated within their timeout, and confirmed tracks too
   uncertain (``delete_pos_sigma_m``), predicted below ground or unseen for ``dormant_max_s``.
   A confirmed track unseen for ``confirmed_timeout_s`` is *dormant*: not reported, but
   predicted and gated, so that its object seen again continues it (woken by a lone false
   alarm, it is put back as it was, ``_unwake``). So is a track lost for a few scans whose
   next detection is too weak to tell its object from a false alarm (``_note_wakes``).

Spent stages and reentry vehicles are separate objects to the sensors, so a second detection
near a track starts a second track of its own, from the first one's estimate (``parent``,
``spawn_*`` in the configuration), and inherits what is known of it: when its thrust began,
and, if it was thrusting a moment before, that the two came apart at that burnout
(``parted``). Track ids are integers, never reused.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from scipy.optimize import linear_sum_assignment
from scipy.special import erfc, expit, log_ndtr, logsumexp

from lookout.geodesy import GM_EARTH, OMEGA_EARTH
from lookout.messages import Detection
from lookout.physics import atmosphere
from lookout.physics.trajectory import REENTRY_ALTITUDE_M
from lookout.physics.vehicles import catalogue
from lookout.tracking import manoeuvre, measure
from lookout.tracking.config import TrackerConfig
from lookout.tracking.coverage import RadarCoverage
from lookout.tracking.log import TrackerOutput, TrackLog
from lookout.tracking.motion import (
    KAPPA,
    KAPPA_UNIT,
    NX,
    acceleration,
    altitude_approx,
    density_and_slope,
    process_noise,
    propagate,
    tracker_accel_q,
)
from lookout.tracking.reach import thrust_displacement_m
from lookout.tracking.scans import BasisCache, Scan, prepare

BOOST, COAST = 0, 1
# --- manoeuvre mode (lookout.tracking.manoeuvre): lift acceleration as a third IMM mode ---
MANOEUVRE = 2
NMODE = 3
# --- end manoeuvre mode ---
#: Confirmed tracks not updated for this long (s) are moved forward at each whole second.
REBASE_AGE_S = 0.5
#: A tentative track whose score (log likelihood ratio of object over clutter) falls below
#: this is dropped: its detections are a hundred times likelier clutter than an object.
TENTATIVE_DROP_LLR = math.log(0.01)
#: A moving sensor's velocity is taken from its last two scans when they are at most this far
#: apart (s); a ship or aircraft turns within a minute.
PLATFORM_VELOCITY_MAX_GAP_S = 60.0
#: A tentative track waits for this many of its sensor's revisits (a missed scan, then the
#: next) before it is timed out, and a woken track for its detections as long.
TENTATIVE_REVISITS = 2.5
#: Two infrared lines of sight that cross above this altitude (m) are no rocket's plume: it is
#: far above where any catalogue burn ends.
IR_CROSSING_MAX_ALT_M = 3000e3
_LOG_2PI = math.log(2.0 * math.pi)
TWO_PI = 2.0 * math.pi
_BIG = 1e12


_TRACK_ARRAYS = (
    "xm", "Pm", "mu", "t", "t_base", "ids", "hits", "llr", "confirmed", "timeout",
    "cpos", "cvel", "cacc", "csig", "cdrag", "parent", "born", "ir_t", "ir_sensor",
    "parted", "boosted", "thrust_t0", "llr_max", "pd_hits", "pd_looks", "pd_t", "pd_run",
    "fixes",
)  # fmt: skip
#: Grid of the separation speed of two closely spaced objects (m/s), log-uniform prior from
#: 0.1 m/s (springs) to 100 m/s (a stage falling behind a thrusting stack), see
#: ``Tracker._order_siblings``.
_SPEEDS = np.geomspace(0.1, 100.0, 600)
#: Signed: positive, the younger track's object behind the older's (pushed back, the usual
#: case); negative, ahead (the older track lost its object at burnout and the younger ones
#: were born next to each other in the wrong order). Prior: 90 % behind.
SEPARATION_GRID_MPS = np.concatenate([-_SPEEDS[::-1], _SPEEDS])
_SEPARATION_PRIOR = np.concatenate(
    [np.full(_SPEEDS.size, math.log(0.1)), np.full(_SPEEDS.size, math.log(0.9))]
)
#: Variance (m²/s²) of the grid's rounding of the speed: its relative spacing, 1.2 %, at 3 m/s
#: is 0.035 m/s, which after ten minutes is 20 m.
_GRID_STEP = _SPEEDS[1] / _SPEEDS[0] - 1.0
#: What is put back when a woken track is found woken by a false alarm (``Tracker._unwake``).
_WAKE_ARRAYS = ("xm", "Pm", "mu", "t", "t_base", "hits", "llr", "llr_max")
#: Noise variance (any unit) that makes a detection carry no information.
_UNSEEN_VARIANCE = 1e12
#: A radar's scans seen before its coverage is learned well enough to judge tracks by it.
COVERAGE_MIN_SCANS = 20
#: A radar whose detections leave no run of empty 5° azimuth bins wider than this (30°) looks
#: all round: with one false alarm a scan, bins are still empty by chance after a few hundred
#: scans, a sector's blind side is one wide run.
COVERAGE_AZ_GAP_BINS = 6
#: A pair's relative motion is found again from the older track's estimate this often (s).
REANCHOR_S = 20.0
#: ... or as soon as the older's velocity turns this far (rad) from the reference's: 1 mrad is
#: 3 m at 3 m/s for 1,000 s.
REANCHOR_ANGLE_RAD = 1e-3


def _sector_bins(bins: np.ndarray) -> np.ndarray:
    """The azimuth bins inside a radar's sector, from the bins its detections occupied
    (``_SensorClutter.covers``)."""
    n = bins.size
    if not bins.any():
        return bins
    # Runs of empty bins, around the circle: start from an occupied bin.
    start = int(np.flatnonzero(bins)[0])
    ring = np.roll(bins, -start)
    best, best_at, run = 0, 0, 0
    for i in range(n):
        run = 0 if ring[i] else run + 1
        if run > best:
            best, best_at = run, i - run + 1
    out = np.ones(n, dtype=bool)
    if best <= COVERAGE_AZ_GAP_BINS:
        return out
    gap = (np.arange(best_at - 1, best_at + best + 1) + start) % n  # with one bin each side
    out[gap] = False
    return out


def _inv_small(S: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Inverse and log-determinant of a stack of small SPD matrices (..., m, m); closed forms
    for m = 2, 3 and 4 (numpy's batched LAPACK costs more than the arithmetic on tiny stacks)."""
    m = S.shape[-1]
    if m == 4:
        # Schur complement of the leading 3 x 3 block (range, azimuth, elevation).
        Ainv, logdet = _inv_small(S[..., :3, :3])
        b = S[..., :3, 3]
        Ab = np.einsum("...ij,...j->...i", Ainv, b)
        sc = S[..., 3, 3] - np.einsum("...i,...i->...", b, Ab)
        inv = np.empty_like(S)
        w = Ab / sc[..., None]
        inv[..., :3, :3] = Ainv + w[..., :, None] * Ab[..., None, :]
        inv[..., :3, 3] = inv[..., 3, :3] = -w
        inv[..., 3, 3] = 1.0 / sc
        return inv, logdet + np.log(sc)
    if m == 2:
        a, b, d = S[..., 0, 0], S[..., 0, 1], S[..., 1, 1]
        det = a * d - b * b
        inv = np.empty_like(S)
        inv[..., 0, 0], inv[..., 1, 1] = d / det, a / det
        inv[..., 0, 1] = inv[..., 1, 0] = -b / det
        return inv, np.log(det)
    if m == 3:
        a, b, c = S[..., 0, 0], S[..., 0, 1], S[..., 0, 2]
        d, e, f = S[..., 1, 1], S[..., 1, 2], S[..., 2, 2]
        A, B, C = d * f - e * e, c * e - b * f, b * e - c * d
        det = a * A + b * B + c * C
        inv = np.empty_like(S)
        inv[..., 0, 0], inv[..., 1, 1], inv[..., 2, 2] = A, a * f - c * c, a * d - b * b
        inv[..., 0, 1] = inv[..., 1, 0] = B
        inv[..., 0, 2] = inv[..., 2, 0] = C
        inv[..., 1, 2] = inv[..., 2, 1] = b * c - a * e
        inv /= det[..., None, None]
        return inv, np.log(det)
    sign, logdet = np.linalg.slogdet(S)
    return np.linalg.inv(S), logdet


class _SensorClutter:
    """What a sensor's false alarms look like, learned from its scans: the measurement volume
    its detections span (azimuth by occupied 5° bins, so a sector across north is not taken for
    a full circle) and the detections per scan left unassociated. Until seen well, the volume is
    small and the density high: conservative, it only delays confirmation."""

    AZ_BINS = 72

    def __init__(self, kind: str, m: int) -> None:
        self.az = 1 if kind == "radar" else 0
        self.lo = np.full(m, np.inf)
        self.hi = np.full(m, -np.inf)
        self.bins = np.zeros(self.AZ_BINS, dtype=bool)
        # ``_sector_bins`` of ``bins``, and how many bins were occupied when it was found (bins
        # are only ever added: the count tells when to find it again).
        self._sector: tuple[int, np.ndarray] | None = None
        self.scans = 0
        self.free = 0
        # Smallest spans credited (m, rad, rad, m/s; IR rad, rad): a sensor's field of view is
        # no smaller, and a few early detections must not make the density enormous.
        self.floor = (
            np.array([100e3, 0.2, 0.1, 1000.0])[:m] if kind == "radar" else np.array([0.02, 0.02])
        )
        self.floor[self.az] = 0.0
        self.az_floor = 0.2 if kind == "radar" else 0.02
        self.log_density = 0.0

    def covers(self, enu: np.ndarray, margin_m: np.ndarray) -> np.ndarray:
        """Whether points at ``enu`` (3, k) m in the radar's ENU frame lie inside the
        measurement volume its detections have spanned so far (range, elevation, and the
        azimuth sector: the circle less its widest run of empty 5° bins, and less one bin at
        each edge, a bin at the edge of the sector being only partly inside it; all round if
        no run of empty bins is wider than ``COVERAGE_AZ_GAP_BINS``), by ``margin_m`` (k,) m.
        The detections (false alarms fill the field of view uniformly) span it from inside:
        until seen well, the coverage is taken smaller than it is, and a track near its edge
        is not judged by the radar."""
        if self.scans < COVERAGE_MIN_SCANS or self.az != 1:
            return np.zeros(enu.shape[1], dtype=bool)
        e, nn, u = enu
        horiz = np.hypot(e, nn)
        rng = np.hypot(horiz, u)
        el = np.arctan2(u, horiz)
        ang = margin_m / np.maximum(rng, 1.0)
        ok = (rng - margin_m >= self.lo[0]) & (rng + margin_m <= self.hi[0])
        ok &= (el - ang >= self.lo[2]) & (el + ang <= self.hi[2])
        occupied = int(self.bins.sum())
        if self._sector is None or self._sector[0] != occupied:
            self._sector = (occupied, _sector_bins(self.bins))
        inner = self._sector[1]
        az = np.arctan2(e, nn)
        for a in (az - ang, az, az + ang):
            b = ((a % TWO_PI) / TWO_PI * self.AZ_BINS).astype(np.int64)
            ok &= inner[np.clip(b, 0, self.AZ_BINS - 1)]
        return ok

    def learn(self, z: np.ndarray, n_free: int) -> None:
        self.scans += 1
        self.free += n_free
        np.minimum(self.lo, z.min(axis=0), out=self.lo)
        np.maximum(self.hi, z.max(axis=0), out=self.hi)
        b = ((z[:, self.az] % TWO_PI) / TWO_PI * self.AZ_BINS).astype(np.int64)
        self.bins[np.clip(b, 0, self.AZ_BINS - 1)] = True
        span = np.maximum(self.hi - self.lo, self.floor)
        span[self.az] = max(self.bins.sum() * TWO_PI / self.AZ_BINS, self.az_floor)
        rate = max(self.free / self.scans, 0.1)
        self.log_density = math.log(rate) - float(np.log(span).sum())


class Tracker:
    """Incremental multi-sensor tracker. Feed time-ordered chunks of detections to ``process``;
    ask ``report(t)`` for the confirmed tracks predicted to ``t``.

    Detection indices in the logs count every detection passed to ``process`` since the tracker
    was made (the first chunk's indices are its list positions). With ``keep_updates`` False
    the tracker keeps no record of its updates once ``process`` has returned them (a long-running
    tracker, a partner node's or the fusion's, whose memory must not grow with the run):
    ``updates`` is then not available."""

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
        # id): a track is judged against them (``_note_looks``), at every scan their revisit
        # says they made, with a detection or not (``_empty_looks``); other radars' coverage is
        # learned from their detections (``_SensorClutter.covers``).
        self.coverage = dict(coverage or {})
        # Per declared radar: the time (s) up to which its scans were counted as looks.
        self._looked_until: dict[str, float] = {}
        self._gate = {m: cfg.gate(m) for m in (2, 3, 4)}
        self._reach_sigmas = math.sqrt(cfg.gate(1))
        self._q_jerk = cfg.boost_jerk_sigma_mps3**2 * 1.0
        self._confirm_llr = cfg.confirm_llr
        self._log_pd = math.log(cfg.detection_prob)
        cap = 64
        self.xm = np.zeros((cap, NMODE, NX))
        self.Pm = np.zeros((cap, NMODE, NX, NX))
        self.mu = np.zeros((cap, NMODE))
        self.t = np.zeros(cap)  # last update (s)
        self.t_base = np.zeros(cap)  # time of the mode estimates: last update, or later
        self.ids = np.zeros(cap, dtype=np.int64)
        self.hits = np.zeros(cap, dtype=np.int64)
        # Times the detections fixed the track's position in three dimensions: each radar
        # detection, the infrared pair it was born from, each line of sight of another
        # infrared sensor than the one before (a triangulation); see ``_confirmable``.
        self.fixes = np.zeros(cap, dtype=np.int64)
        self.llr = np.zeros(cap)
        # The highest score each track reached: a confirmed track whose score falls
        # ``delete_score_drop`` below it is deleted (``_note_looks``).
        self.llr_max = np.zeros(cap)
        # Per (track, radar): detections and looks (the track predicted inside the radar's
        # coverage at one of its scans), each discounted by ``1 - 1 / pd_memory_looks`` per
        # look, for the track's detection probability with that radar (``_note_looks``).
        self.pd_hits = np.zeros((cap, 0))
        self.pd_looks = np.zeros((cap, 0))
        self.pd_t = np.zeros((cap, 0))  # time of the last look (s)
        # ... and the Pd it saw the track with at its last detection (``_note_looks``).
        self.pd_run = np.zeros((cap, 0))
        self._radar_codes: dict[str, int] = {}
        self.confirmed = np.zeros(cap, dtype=bool)
        self.timeout = np.zeros(cap)
        # Cheap extrapolation for the coarse gate: position, velocity, acceleration (gravity
        # and mean thrust) at the last update; position, velocity and acceleration sigmas.
        self.cpos = np.zeros((cap, 3))
        self.cvel = np.zeros((cap, 3))
        self.cacc = np.zeros((cap, 3))
        self.csig = np.zeros((cap, 3))
        self.cdrag = np.zeros(cap)  # largest plausible kappa (m²/kg)
        # Id of the confirmed track a radar-started track was born next to (-1: none), see
        # ``_order_siblings``.
        self.parent = np.full(cap, -1, dtype=np.int64)
        #: The same for every track ever started next to another, kept after either dies:
        #: track id -> the id of the track it was born next to (a piece that separated from it).
        self.parent_of: dict[int, int] = {}
        self.born = np.zeros(cap)  # time of the first detection (s)
        # When a track born next to another most likely came apart from it (s): the other's
        # last update seen thrusting, if that was a moment before (objects part at burnout
        # and staging), else its own first detection (``Tracker._initiate_radar``).
        self.parted = np.zeros(cap)
        # Last update (s) at which each track was more likely thrusting than not (-inf: never).
        self.boosted = np.zeros(cap)
        # When its object was first seen thrusting (s; +inf: never), for how long it may go on
        # (``_burnout_probability``); a track born next to a thrusting one inherits it.
        self.thrust_t0 = np.zeros(cap)
        # The last infrared detection of each track: its time (s) and its sensor's code (-1:
        # none), for the frames that sensor has since taken without seeing the plume
        # (``_ir_misses``).
        self.ir_t = np.zeros(cap)
        self.ir_sensor = np.full(cap, -1, dtype=np.int64)
        # Log posterior (unnormalised) of the separation speed of a track from its older
        # sibling, on ``SEPARATION_GRID_MPS``, by the younger track's id (pairs only).
        self._separation: dict[int, np.ndarray] = {}
        # The relative motion of a pair (``_separation_direction``) by the younger's id: time,
        # reference state (NX,), relative state per m/s of separation speed (6,), and the time
        # the reference was taken from the older's estimate.
        self._formation_ref: dict[int, tuple[float, np.ndarray, np.ndarray, float]] = {}
        # The air a pair flew through after it came apart (``_air_column`` of the older's
        # estimate at the parting: kg/(m s), s), by the younger's id: its differential drag is
        # left out of the formation's relative motion (``_drag_offset_sigma``).
        self._parting_air: dict[int, tuple[float, float]] = {}
        # Lost or dormant tracks woken by a detection: by id, the time, the updates since and
        # the estimate they had before it (``_note_wakes``).
        self._woken: dict[int, tuple[float, int, tuple]] = {}
        self.n = 0
        self._next_id = 1
        self._n_seen = 0
        self.n_rejected = 0
        self._basis = BasisCache()
        self._sensor_last: dict[str, tuple[float, np.ndarray]] = {}
        self._revisit: dict[str, float] = {}
        self._clutter: dict[str, _SensorClutter] = {}
        self._last_grid = -math.inf  # last whole second housekept
        # Unpaired infrared lines of sight: t, sensor code, origin, unit vector, sigma, index.
        self._ir_codes: dict[str, int] = {}
        # Per infrared sensor code: its frame period (s) and its plumes' detection statistics
        # [frames with a detection, frames expected] (``_ir_detection_prob``).
        self._ir_period: dict[int, float] = {}
        self._ir_frames: dict[int, list[int]] = {}
        self._ir = (
            np.zeros(0),
            np.zeros(0, dtype=np.int64),
            np.zeros((0, 3)),
            np.zeros((0, 3)),
            np.zeros(0),
            np.zeros(0, dtype=np.int64),
        )
        self._log: list[tuple] = []
        self.t_now = -math.inf
        # The last scan's branches (``_associate``): track rows, detection columns, score
        # increments, thrust reachable.
        self._branches: tuple = ()

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
        """Process one sensor scan (``scans.prepare``)."""
        self._sensor_geometry(scan)
        self.t_now = max(self.t_now, scan.t)
        if self.coverage:
            self._empty_looks(scan.t)
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
        updated = np.zeros(0, dtype=np.int64)
        if self.n:
            cand = self._coarse(scan)
            if cand.size:
                xp, Pp, c, xbar, Pbar = self._predict(cand, scan.t)
                ia, jb, formation, dll, near, thrust_ok = self._associate(
                    scan, cand, xp, Pp, c, xbar
                )
                bi, bj, bdll, bthrust = self._branches
                # Copies of the branching tracks taken before their own update (``_clone``).
                slots = self._clone(cand[bi]) if bi.size else bi
                if ia.size:
                    self._update(
                        scan, cand[ia], jb, formation, xp[ia], Pp[ia], c[ia], dll, thrust_ok
                    )
                    assigned[jb] = True
                    updated = cand[ia]
                if bi.size:
                    self._update(scan, slots, bj, None, xp[bi], Pp[bi], c[bi], bdll, bthrust)
                    assigned[bj] = True
                    updated = np.concatenate([updated, slots])
        free = np.flatnonzero(~assigned)
        clutter = self._clutter.get(scan.sensor)
        if clutter is None:
            clutter = self._clutter[scan.sensor] = _SensorClutter(scan.kind, scan.m)
        clutter.learn(scan.z, free.size)
        if scan.kind == "radar":
            if self.n:
                declared = self.coverage.get(scan.sensor)
                self._note_looks(
                    scan.sensor, scan.t, scan.s, scan.B, updated, declared, clutter
                )
            if scan.sensor in self.coverage:
                self._looked_until[scan.sensor] = scan.t
        if free.size:
            if scan.kind == "radar":
                self._initiate_radar(scan, free, near)
            else:
                self._initiate_infrared(scan, free)

    def report(self, t: float) -> TrackLog:
        """Every confirmed track predicted to ``t`` (s), with ``detection_index`` -1. Confirmed
        tracks predicted too uncertain or below ground are deleted on the way."""
        sel = self._housekeep(t)
        if sel.size == 0:
            return TrackLog.empty()
        xbar, Pbar, pb = self._last_prediction
        # Dormant tracks (not updated for ``confirmed_timeout_s``) are kept for the objects'
        # return, not reported; nor are woken ones until they have a new track's detections
        # (``_note_wakes``): what woke them may be a false alarm, which would show for seconds
        # as a track leaping off in boost.
        awake = t - self.t[sel] <= self.config.confirmed_timeout_s
        if self._woken:
            awake &= ~np.isin(self.ids[sel], np.fromiter(self._woken, np.int64))
        if not awake.all():
            sel, xbar, Pbar, pb = sel[awake], xbar[awake], Pbar[awake], pb[awake]
        k = sel.size
        return TrackLog(
            t=np.full(k, float(t)),
            track_id=self.ids[sel].copy(),
            x=xbar,
            P=Pbar,
            boost_prob=pb,
            detection_index=np.full(k, -1, dtype=np.int64),
            confirmed=np.ones(k, dtype=bool),
        )

    def last_update(self, track_ids) -> np.ndarray:
        """Time (s) of the last detection of each of ``track_ids`` (NaN: no such track): a
        report's state at ``t`` has coasted unseen for ``t`` minus it."""
        ids = np.asarray(track_ids, dtype=np.int64)
        i = np.clip(np.searchsorted(self.ids[: self.n], ids), 0, max(self.n - 1, 0))
        ok = (self.n > 0) & (self.ids[i] == ids) if self.n else np.zeros(ids.shape, dtype=bool)
        return np.where(ok, self.t[i], np.nan)

    def updates(self) -> TrackLog:
        """Every update row since the tracker was made."""
        if not self.keep_updates:
            raise RuntimeError("this tracker keeps no updates (keep_updates=False)")
        return self._collect(self._log)

    @property
    def n_tracks(self) -> int:
        return self.n

    @property
    def n_confirmed(self) -> int:
        return int(self.confirmed[: self.n].sum())

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
            code = self._ir_codes.setdefault(scan.sensor, len(self._ir_codes))
            if scan.sensor in self._revisit:
                self._ir_period[code] = self._revisit[scan.sensor]

    def _coarse(self, scan: Scan) -> np.ndarray:
        """Tracks whose cheaply extrapolated position is near one of the scan's detections:
        constant acceleration from the last update, inside ``coarse_gate_sigmas`` times the
        position uncertainty grown by the velocity and acceleration uncertainties, the
        gravity-gradient error of the extrapolation and the largest plausible drag."""
        cfg = self.config
        n = self.n
        dt = scan.t - self.t_base[:n]
        adt = np.abs(dt)
        p = self.cpos[:n] + self.cvel[:n] * dt[:, None] + 0.5 * self.cacc[:n] * (dt * dt)[:, None]
        sig = self.csig[:n]
        speed = np.sqrt(np.einsum("ij,ij->i", self.cvel[:n], self.cvel[:n]))
        rad = cfg.coarse_gate_sigmas * (sig[:, 0] + sig[:, 1] * adt + 0.5 * sig[:, 2] * adt * adt)
        rad += 1e-6 * speed * adt**3 + 1000.0
        alt = altitude_approx(p)
        low = alt < atmosphere.DRAG_CEILING_M
        if low.any():
            a_drag = 0.5 * atmosphere.density(alt[low]) * speed[low] ** 2 * self.cdrag[:n][low]
            rad[low] += a_drag * dt[low] ** 2
        if scan.kind == "radar":
            zpos, zsig = scan.ecef_pos, scan.ecef_sig
            d2 = np.einsum("nmi,nmi->nm", p[:, None, :] - zpos[None], p[:, None, :] - zpos[None])
            reach = rad[:, None] + cfg.coarse_gate_sigmas * zsig[None, :]
            return np.flatnonzero((d2 <= reach * reach).any(axis=1))
        d = p - scan.s
        u = scan.los  # (M, 3)
        along = d @ u.T  # (n, M)
        perp2 = np.einsum("ni,ni->n", d, d)[:, None] - along * along
        reach = rad[:, None] + cfg.coarse_gate_sigmas * scan.los_sig[None, :] * np.abs(along)
        return np.flatnonzero(((perp2 <= reach * reach) & (along > 0)).any(axis=1))

    def _predict(self, sel, t: float):
        """IMM mixing and prediction of tracks ``sel`` to ``t``: mode states (n, 2, 10), mode
        covariances (n, 2, 10, 10), predicted mode probabilities (n, 2), and the moment-matched
        position-velocity estimate (n, 6), (n, 6, 6)."""
        cfg = self.config
        xm, Pm, mu = self.xm[sel], self.Pm[sel], self.mu[sel]
        dt = t - self.t_base[sel]
        n = dt.size
        p_bc = self._burnout_probability(sel, t)
        p_cb = -np.expm1(-np.abs(dt) / cfg.coast_dwell_s)
        Pi = np.zeros((n, NMODE, NMODE))
        Pi[:, 0, 0], Pi[:, 0, 1] = 1.0 - p_bc, p_bc
        # --- manoeuvre mode: entered from coast where lift is possible, left back to coast ---
        mcfg = cfg.manoeuvre
        p_cm, p_apo = manoeuvre.onset_probability(xm[:, COAST], Pm[:, COAST], dt, mcfg, True)
        p_mc = manoeuvre.end_probability(dt, mcfg)
        Pi[:, 1, 0], Pi[:, 1, 1], Pi[:, 1, 2] = p_cb, 1.0 - p_cb - p_cm, p_cm
        Pi[:, 2, 1], Pi[:, 2, 2] = p_mc, 1.0 - p_mc
        # --- end manoeuvre mode ---
        joint = mu[:, :, None] * Pi  # (n, i, j)
        c = joint.sum(axis=1)
        w = joint / np.maximum(c[:, None, :], 1e-300)
        c = self._ir_misses(sel, t, c)
        # A negligible boost mode is pruned from the coast mode's mixing (it is only a seed,
        # restarted from the coast mode at each update): its spread would act as process noise.
        # So is the boost mode of a track rebased since its last update (``_housekeep``): its
        # coast mode stays "burnout at the last update" (where an infrared track loses the
        # plume), as in one prediction from that update, not a blend of burnouts at every
        # rebase since, each thrusting for a while.
        pruned = (mu[:, BOOST] < cfg.boost_reseed_prob) | (self.t_base[sel] > self.t[sel])
        w[pruned, BOOST, COAST] = 0.0
        # --- manoeuvre mode: a negligible one is a seed too, left out of the coast mixing ---
        m_pruned = (mu[:, MANOEUVRE] < cfg.manoeuvre.reseed_prob) | (self.t_base[sel] > self.t[sel])
        w[m_pruned, MANOEUVRE, COAST] = 0.0
        w[:, :, COAST] /= np.maximum(w[:, :, COAST].sum(axis=1, keepdims=True), 1e-300)
        # --- end manoeuvre mode ---
        # A young track's boost mode keeps its own evidence (``_young_boost``): the coast mode
        # does not feed it (at 1e-6 the mixing would make it the coast mode, thrust-free).
        young = self._young_boost(sel, t)
        if young.any():
            w[young, COAST, BOOST] = w[young, MANOEUVRE, BOOST] = 0.0
            w[young, :, BOOST] /= np.maximum(w[young, :, BOOST].sum(axis=1, keepdims=True), 1e-300)
        # What each mode j takes from mode i: mode i's estimate, but for the boost mode's part in
        # the coast mode, which is the boost mode burnt out at an unknown time within the step
        # (``burnout_within``), not at its start.
        src_x = np.broadcast_to(xm[:, :, None, :], (n, NMODE, NMODE, NX)).copy()
        src_P = np.broadcast_to(Pm[:, :, None], (n, NMODE, NMODE, NX, NX)).copy()
        src_x[:, BOOST, COAST], src_P[:, BOOST, COAST] = burnout_within(
            xm[:, BOOST], Pm[:, BOOST], dt
        )
        x0 = np.einsum("nij,nijk->njk", w, src_x)
        dx = src_x - x0[:, None, :, :]  # (n, i, j, 10)
        P0 = np.einsum("nij,nijkl->njkl", w, src_P)
        P0 += np.einsum("nij,nijk,nijl->njkl", w, dx, dx)
        x0[:, COAST, 6:9] = 0.0
        P0[:, COAST, 6:9, :] = 0.0
        P0[:, COAST, :, 6:9] = 0.0
        manoeuvre.mix_onset(P0, w, p_apo, p_cm, xm, Pm, COAST, MANOEUVRE, mcfg)  # manoeuvre mode

        flat_x = x0.reshape(NMODE * n, NX)
        dt2 = np.repeat(dt, NMODE)
        cap = np.where(self.confirmed[sel], cfg.confirmed_max_steps, cfg.tentative_max_steps)
        cap = np.repeat(cap, NMODE)
        xp, F = propagate(flat_x, dt2, cfg.max_step_s, max_steps=cap)
        q_acc, q_kappa = tracker_accel_q(flat_x, cfg)
        q_jerk = np.tile([self._q_jerk, 0.0, 0.0], n)
        Q = process_noise(dt2, q_acc, q_jerk, q_kappa)
        # --- manoeuvre mode: the lift's white jerk, perpendicular to the velocity ---
        Q[MANOEUVRE::NMODE] += manoeuvre.process_noise(
            x0[:, MANOEUVRE], P0[:, MANOEUVRE], dt, cfg.manoeuvre
        )
        # --- end manoeuvre mode ---
        Pp = F @ P0.reshape(NMODE * n, NX, NX) @ F.transpose(0, 2, 1) + Q
        xp = xp.reshape(n, NMODE, NX)
        Pp = Pp.reshape(n, NMODE, NX, NX)
        c = self._reachable_speed(xp, Pp, c)
        xbar, Pbar = _combine(xp, Pp, c)
        return xp, Pp, c, xbar, Pbar

    def _burnout_probability(self, sel: np.ndarray, t: float) -> np.ndarray:
        """Probability (n,) that thrust ends between the mode estimates of tracks ``sel`` and
        ``t``: a rate of ``1 / boost_dwell_s`` (a burn cut short, a vehicle not in the
        catalogue), and the burns of the catalogue's vehicles (``lookout/physics/vehicles.yaml``:
        28 s to 470 s from liftoff), as the survival ``S(τ)`` of a burn that has lasted ``τ``
        since the object was first seen thrusting: ``1 - S(τ + dt) / S(τ)``. A boost mode
        cannot outlast every vehicle's burn: a track seen thrusting and lost, flown on
        unseen, comes out of boost by the end of the longest burn at the latest, where the
        dwell alone would have let it accelerate for minutes more."""
        cfg = self.config
        dt = np.abs(t - self.t_base[sel])
        p = -np.expm1(-dt / cfg.boost_dwell_s)
        t0 = self.thrust_t0[sel]
        seen = np.isfinite(t0)
        if seen.any():
            tau = np.maximum(self.t_base[sel][seen] - t0[seen], 0.0)
            s0 = _burn_survival(tau)
            s1 = _burn_survival(tau + dt[seen])
            keep = np.where(s0 > 0.0, s1 / np.maximum(s0, 1e-300), 0.0)
            p[seen] = 1.0 - (1.0 - p[seen]) * np.clip(keep, 0.0, 1.0)
        return p

    @staticmethod
    def _reachable_speed(xp: np.ndarray, Pp: np.ndarray, c: np.ndarray) -> np.ndarray:
        """Predicted mode probabilities ``c`` (n, 2) with the boost mode weighted by the
        probability that its speed is one a vehicle can reach: at most the catalogue's largest
        ideal delta-v (``BOOST_SPEED_MAX_MPS``), under the mode's Gaussian along its velocity.
        A boost mode flown unseen accelerates without end (15-25 km/s were seen); no rocket
        does."""
        v = xp[:, BOOST, 3:6]
        speed = np.sqrt(np.einsum("ij,ij->i", v, v))
        far = speed > 0.5 * BOOST_SPEED_MAX_MPS
        if not far.any():
            return c
        u = v[far] / speed[far, None]
        sig = np.sqrt(np.maximum(np.einsum("ki,kij,kj->k", u, Pp[far, BOOST, 3:6, 3:6], u), 1.0))
        feasible = 0.5 * erfc((speed[far] - BOOST_SPEED_MAX_MPS) / (math.sqrt(2.0) * sig))
        c = c.copy()
        c[far, BOOST] *= feasible
        total = c[far].sum(axis=1)
        c[far] = np.where(
            total[:, None] > 0.0, c[far] / np.maximum(total, 1e-300)[:, None], [0.0, 1.0, 0.0]
        )
        return c

    def _ir_detection_prob(self, code: int) -> float:
        """Probability that infrared sensor ``code`` sees a burning plume it has been seeing in
        its next frame: its frames with a detection over the frames expected between two
        detections of the same track (a miss followed by a detection is a true miss, while the
        frames after a burnout are not counted), with a prior of 9 in 10."""
        hits, expected = self._ir_frames.get(code, (0, 0))
        return min((hits + 9.0) / (expected + 10.0), 0.99)

    def _ir_misses(self, sel: np.ndarray, t: float, c: np.ndarray) -> np.ndarray:
        """Predicted mode probabilities ``c`` (n, 2) of tracks ``sel`` at ``t`` with the evidence
        of the frames their last infrared sensor took since their mode estimates without seeing
        the plume: each multiplies the boost mode by ``1 - Pd`` (``_ir_detection_prob``), the
        coast mode by one (infrared sees only burning plumes). Without it a track seen only by
        infrared, whose plume goes out at burnout, is flown on unseen in boost for a minute or
        more before the boost mode's 100 s dwell lets it go, its speed past any vehicle's."""
        code = self.ir_sensor[sel]
        has = np.flatnonzero(code >= 0)
        if has.size == 0:
            return c
        period = np.array([self._ir_period.get(int(k), 0.0) for k in code[has]])
        ok = period > 0.0
        if not ok.all():
            has, period = has[ok], period[ok]
            if has.size == 0:
                return c
        t_ir = self.ir_t[sel[has]]
        t0 = np.maximum(self.t_base[sel[has]], t_ir)

        def frames_before(tq):  # frames of the sensor strictly after t_ir and before tq
            return np.maximum(np.ceil((tq - t_ir) / period - 1e-3) - 1.0, 0.0)

        missed = np.maximum(frames_before(t) - frames_before(t0), 0.0)
        if not (missed > 0).any():
            return c
        pd = np.array([self._ir_detection_prob(int(k)) for k in code[has]])
        c = c.copy()
        c[has, BOOST] *= (1.0 - pd) ** missed
        c[has] /= c[has].sum(axis=1, keepdims=True)
        return c

    def _note_ir(self, idx: np.ndarray, sensor: str, t: float) -> None:
        """Tracks ``idx`` updated by infrared sensor ``sensor`` at ``t``: count the frames since
        the same sensor's previous detection of each (at most ten: a longer gap is a plume
        picked up again, not missed frames) for its detection probability, and remember it."""
        code = self._ir_codes[sensor]
        period = self._ir_period.get(code, 0.0)
        if period > 0.0:
            same = self.ir_sensor[idx] == code
            gap = np.round((t - self.ir_t[idx][same]) / period)
            gap = gap[(gap >= 1) & (gap <= 10)]
            stats = self._ir_frames.setdefault(code, [0, 0])
            stats[0] += int(gap.size)
            stats[1] += int(gap.sum())
        self.ir_t[idx] = t
        self.ir_sensor[idx] = code

    def _associate(self, scan: Scan, cand, xp, Pp, c, xbar):
        """Gate and assign the predicted tracks ``cand``: track rows (into ``cand``), detection
        columns, the closely spaced pairs to update as formations (``_order_siblings``; None if
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
        while two new ones took the missile and its stage)."""
        m, kind = scan.m, scan.kind
        cfg = self.config
        near = np.full(scan.z.shape[0], -1, dtype=np.int64)
        n = xp.shape[0]
        xs = xp.reshape(NMODE * n, NX)
        zhat, H2 = measure.predict(kind, xs, scan, m)
        S0 = H2 @ Pp.reshape(NMODE * n, NX, NX)[:, :6, :6] @ H2.transpose(0, 2, 1)
        S = S0[:, None] + scan.R[None]  # (2n, M, m, m)
        nu = measure.wrap(scan.z[None] - zhat[:, None], kind)
        Sinv, logdet = _inv_small(S)
        d2m = np.einsum("nki,nkij,nkj->nk", nu, Sinv, nu).reshape(n, NMODE, -1)
        logdet = logdet.reshape(n, NMODE, -1)
        # A boost mode below its reseeding level is a fresh "thrust began since the last
        # update" hypothesis, not a track: it does not gate (it would take the detections of a
        # neighbour that fit its wide thrust prior a little better than the coast mode).
        live = c >= np.array(
            [
                max(cfg.boost_reseed_prob, cfg.gate_mode_floor),
                cfg.gate_mode_floor,
                max(cfg.manoeuvre.reseed_prob, cfg.gate_mode_floor),  # manoeuvre mode
            ]
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
            live[(self.hits[cand] < 2) & (self.parent[cand] < 0)] = False
        live = np.repeat(live[:, :, None], d2m.shape[2], axis=2)  # per (track, mode, detection)
        reach = np.ones((n, d2m.shape[2]), dtype=bool)
        if kind == "radar":
            # Not where no thrust reaches (the seed's likelihood stays: a boost mode below its
            # reseeding level gates nothing, but its update can still find a burn begun).
            gated = (d2m <= self._gate[m]).any(axis=1)
            reach = self._thrust_reachable(scan, cand, xp, Pp, gated)
            live[:, BOOST] &= reach
        ok = ((d2m <= self._gate[m]) & live).any(axis=1)
        if not ok.any():
            empty = np.zeros(0, dtype=np.int64)
            self._branches = (empty, empty, np.zeros(0), np.zeros(0, dtype=bool))
            return empty, empty, None, np.zeros(0), near, np.zeros(0, dtype=bool)
        with np.errstate(divide="ignore"):
            logc = np.where(live, np.log(c)[:, :, None], -np.inf)
        # -2 ln of the mixture density, less m ln 2π (d² + ln|S| for a single mode).
        cost_all = -2.0 * logsumexp(logc - 0.5 * (d2m + logdet), axis=1)
        # The combined prediction's Jacobian, for the ordering of closely spaced pairs.
        _, H = measure.predict(kind, xbar, scan, m)
        rows = np.flatnonzero(ok.any(axis=1))
        cols = np.flatnonzero(ok.any(axis=0))
        sub_ok = ok[np.ix_(rows, cols)]
        cost = np.where(sub_ok, cost_all[np.ix_(rows, cols)], _BIG)
        if sub_ok.shape == (1, 1):
            r, k = np.zeros(1, dtype=np.int64), np.zeros(1, dtype=np.int64)
        else:
            r, k = linear_sum_assignment(cost)
        good = sub_ok[r, k]
        ia, jb = rows[r[good]], cols[k[good]]
        formation = None
        if ia.size > 1:
            jb, formation = self._order_siblings(scan, cand, ia, jb, ok, xbar, H)
        conf = self.confirmed[cand[ia]]
        if conf.any():
            rc = ia[conf]
            d2c = np.where(ok[rc], cost_all[rc], np.inf)
            best = np.argmin(d2c, axis=0)
            has = np.isfinite(d2c[best, np.arange(d2c.shape[1])])
            near[has] = self.ids[cand[rc[best[has]]]]
        density = self._clutter[scan.sensor].log_density if scan.sensor in self._clutter else 0.0
        dll = self._log_pd - density - 0.5 * (cost_all[ia, jb] + m * _LOG_2PI)
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
        # (``_initiate_infrared``). A detection next to a confirmed track updated in this scan
        # starts from that track's estimate instead (``_initiate_radar``: a piece separating).
        spare = (near < 0) & (kind == "radar")
        spare[jb] = False
        vague = self._vague(cand)
        pick = ok & vague[:, None] & spare[None, :]
        bj = np.flatnonzero(pick.any(axis=0))
        bi = np.argmin(np.where(pick[:, bj], cost_all[:, bj], np.inf), axis=0)
        bdll = self._log_pd - density - 0.5 * (cost_all[bi, bj] + m * _LOG_2PI)
        self._branches = (bi, bj, bdll, reach[bi, bj])
        return ia, jb, formation, dll, near, reach[ia, jb]

    def _vague(self, idx: np.ndarray) -> np.ndarray:
        """Tracks ``idx`` that are tentative, born on their own, and whose velocity is still
        mostly the initiation prior along some axis (coast mode's largest velocity sigma above
        ``branch_vel_fraction`` of ``init_vel_sigma_mps``): which of the detections in their
        gate is their object's is not known yet (``_associate``)."""
        cfg = self.config
        Pv = self.Pm[idx, COAST, 3:6, 3:6]
        top = np.linalg.eigvalsh(Pv)[:, -1]
        lim = (cfg.branch_vel_fraction * cfg.init_vel_sigma_mps) ** 2
        return ~self.confirmed[idx] & (self.parent[idx] < 0) & (top > lim)

    def _clone(self, idx: np.ndarray) -> np.ndarray:
        """Copies of tracks ``idx`` (every per-track array, new ids): their slots."""
        k = idx.size
        need = self.n + k
        self._grow(need)
        s = np.arange(self.n, need)
        for name in _TRACK_ARRAYS:
            arr = getattr(self, name)
            arr[s] = arr[idx]
        self.ids[s] = np.arange(self._next_id, self._next_id + k, dtype=np.int64)
        self._next_id += k
        self.n = need
        return s

    def _thrust_reachable(self, scan: Scan, cand, xp, Pp, rows) -> np.ndarray:
        """Per (track of ``cand``, radar detection): whether thrust can have carried the object
        there since the track's last update, (n, M), computed where ``rows`` (n, M) asks: the
        detection within the catalogue's largest thrust displacement (``reach``) of the coast
        mode's ballistic prediction, plus the gate's sigmas of that prediction's and the
        detection's position errors along the way. Without it, a boost mode flown unseen for
        half a minute gates a false alarm 130 km off (its thrust acceleration random-walked to
        tens of g)."""
        out = np.ones(rows.shape, dtype=bool)
        ti = np.flatnonzero(rows.any(axis=1))
        if ti.size == 0:
            return out
        dev = scan.ecef_pos[None, :, :] - xp[ti, COAST, None, :3]  # (k, M, 3)
        dist = np.sqrt(np.einsum("kmi,kmi->km", dev, dev))
        u = dev / np.maximum(dist, 1.0)[:, :, None]
        var = np.einsum("kmi,kij,kmj->km", u, Pp[ti, COAST, :3, :3], u)
        var += np.einsum("kmi,mij,kmj->km", u, scan.ecef_P, u)
        dt = scan.t - self.t[cand[ti]]
        reach = thrust_displacement_m(dt)[:, None] + self._reach_sigmas * np.sqrt(var)
        out[ti] = dist <= reach
        return out

    def _coasting_in_vacuum(self, idx: np.ndarray, x6: np.ndarray) -> np.ndarray:
        """Tracks ``idx`` (estimates ``x6``) coasting (boost mode below its reseeding level)
        above the reentry altitude, where two bodies pushed apart drift apart at constant
        speed."""
        coasting = self.mu[idx, BOOST] < self.config.boost_reseed_prob
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
        return pw[:, slow].sum(axis=1) >= 0.5 * pw.sum(axis=1)

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
        rows = [self._separation.get(int(i), _SEPARATION_PRIOR) for i in self.ids[young]]
        return np.stack(rows) if rows else np.zeros((0, SEPARATION_GRID_MPS.size))

    def _order_siblings(self, scan: Scan, cand, ia, jb, ok, xbar, H):
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
        GNN.

        The order is not certain while the separation is below the noise: its probability is
        ``P(right | g)`` averaged over the posterior of ``δv`` on ``SEPARATION_GRID_MPS``
        (log-uniform prior), whose likelihood per pair, ``g ~ N(±δv a, a)`` with
        ``a = Δz' (R_o + R_y)⁻¹ Δz``, is ``cosh(δv g) exp(-δv² a / 2)`` when the order is in
        doubt, ``exp(δv g - δv² a / 2)`` when GNN has ordered them (detections apart; left out,
        the speed comes out low). The relative state is not the straight line above but the
        ballistic transition from the younger's birth (``_separation_direction``). A pair born
        next to each other (``parent``), coasting in vacuum, pushed apart slower than
        ``formation_max_speed_mps`` and within ``formation_max_separation_m`` is returned as a
        formation (``_update_formation``), its two hypotheses the two orders (irbm-overflight:
        coast RMSE 1.02x the PCRLB, ``lookout track irbm-overflight``)."""
        # Pairs of assigned tracks, each gating the other's detection, moving together.
        k = ia.size
        mutual = ok[ia][:, jb]
        mutual &= mutual.T
        # ... or one born next to the other (``parent``), whether or not they still share
        # their detections: the pair's detections measure the separation speed either way, and
        # leaving out the pairs seen apart would bias it low.
        tr = cand[ia]
        kin = (self.parent[tr][:, None] == self.ids[tr][None, :]) | (
            self.parent[tr][None, :] == self.ids[tr][:, None]
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
        tau = np.maximum(scan.t - self.parted[cand[ia[c_]]], 0.0)
        # Pairs that may be formations (``_update_formation``): born one next to the other,
        # coasting above the air, not yet far apart. Others are only ordered, if they share
        # their detections.
        vac = self._coasting_in_vacuum(cand[ia[p_]], xbar[ia[p_]])
        vac &= self._coasting_in_vacuum(cand[ia[c_]], xbar[ia[c_]])
        vac &= kin[p_, c_]
        if vac.any():
            vac[vac] = self._in_formation_range(cand[ia[c_[vac]]], tau[vac])
        keep = shared | vac
        if not keep.all():
            p_, c_, shared, tau, vac = (a[keep] for a in (p_, c_, shared, tau, vac))
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
        prior = self._separation_logp(young)
        logw = prior - 0.5 * a[:, None] * v * v
        right = logsumexp(logw + g[:, None] * v, axis=1)
        wrong = logsumexp(logw - g[:, None] * v, axis=1)
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
        lp -= lp.max(axis=1, keepdims=True)
        for i, row in zip(self.ids[young].tolist(), lp, strict=True):
            self._separation[i] = row
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
        # each as fresh noise: right only while it is a small part of that noise. Beyond
        # ``formation_offset_variance_ratio`` (in units of the detection's own noise) the
        # partner's detection is left out (an infinite noise) and only the order is mixed.
        q = np.einsum("kij,kji->k", np.linalg.inv(scan.R[other]), extra)
        vague = q > self.config.formation_offset_variance_ratio
        if vague.any():
            extra[vague] += np.eye(scan.m) * _UNSEEN_VARIANCE
        formation = _Formation(
            rows=rows,
            w=np.concatenate([b, b]),
            own=jb[rows],
            other=other,
            shift=vm[:, None] * off,
            extra=extra,
        )
        return jb, formation

    def _update(self, scan: Scan, ia, jb, formation, xp, Pp, c, dll, thrust_ok) -> None:
        """EKF update of tracks ``ia`` with detections ``jb``, mode by mode; the tracks of
        ``formation`` (``_order_siblings``) by ``_update_formation`` instead. Where
        ``thrust_ok`` is False no thrust reaches the detection (``_thrust_reachable``): the
        boost mode gets no weight from it."""
        cfg = self.config
        m, kind = scan.m, scan.kind
        na = ia.size
        xs = xp.reshape(NMODE * na, NX)
        Ps = Pp.reshape(NMODE * na, NX, NX)
        zh, H = measure.predict(kind, xs, scan, m)
        jj = np.repeat(jb, NMODE)
        nu = measure.wrap(scan.z[jj] - zh, kind)
        PHt = Ps[:, :, :6] @ H.transpose(0, 2, 1)  # (2na, 10, m)
        S = H @ PHt[:, :6, :] + scan.R[jj]
        Sinv, logdet = _inv_small(S)
        K = PHt @ Sinv
        d2 = np.einsum("ki,kij,kj->k", nu, Sinv, nu)
        ll = -0.5 * (d2 + logdet + m * _LOG_2PI)
        P_new = Ps - K @ S @ K.transpose(0, 2, 1)
        x_new = xs + (K @ nu[:, :, None])[:, :, 0]
        if formation is not None:
            self._update_formation(scan, formation, xs, Ps, zh, H, x_new, P_new, ll)
        # Drag cannot push (``_truncate_drag``) in the modes where it is the only force along
        # the track; in the boost mode thrust and drag share that direction (only their sum is
        # seen), and a negative kappa there is more thrust: its mean is clipped, as before.
        drag_only = np.tile(np.arange(NMODE) != BOOST, na)
        ll[drag_only] += _truncate_drag(
            xs[drag_only], Ps[drag_only], x_new, P_new, np.flatnonzero(drag_only)
        )
        x_new[:, KAPPA] = np.maximum(x_new[:, KAPPA], 0.0)
        P_new = 0.5 * (P_new + P_new.transpose(0, 2, 1))
        ll = ll.reshape(na, NMODE)
        if kind == "infrared":
            ll[:, COAST] += math.log(cfg.ir_coast_likelihood)
            ll[:, MANOEUVRE] += math.log(cfg.ir_coast_likelihood)  # manoeuvre mode: no plume
        ll[~thrust_ok, BOOST] = -np.inf
        ll -= ll.max(axis=1, keepdims=True)
        mu = c * np.exp(ll)
        mu /= mu.sum(axis=1, keepdims=True)
        mu = np.clip(mu, 1e-12, 1.0)
        mu /= mu.sum(axis=1, keepdims=True)
        x_new = x_new.reshape(na, NMODE, NX)
        P_new = P_new.reshape(na, NMODE, NX, NX)
        self._reseed_boost(x_new, P_new, mu, ~self._young_boost(ia, scan.t))
        self._note_wakes(ia, scan.t, self._tentative_timeout(scan.sensor), mu[:, BOOST], dll)
        if kind == "infrared":
            last = self.ir_sensor[ia]
            self.fixes[ia] += (last >= 0) & (last != self._ir_codes[scan.sensor])
            self._note_ir(ia, scan.sensor, scan.t)
        else:
            self.fixes[ia] += 1
        self.xm[ia] = x_new
        self.Pm[ia] = P_new
        self.mu[ia] = mu
        self.t[ia] = self.t_base[ia] = scan.t
        self.boosted[ia] = np.where(mu[:, BOOST] >= 0.5, scan.t, self.boosted[ia])
        self.thrust_t0[ia] = np.where(
            mu[:, BOOST] >= 0.5, np.minimum(self.thrust_t0[ia], scan.t), self.thrust_t0[ia]
        )
        self.hits[ia] += 1
        self.llr[ia] += dll
        self.llr_max[ia] = np.maximum(self.llr_max[ia], self.llr[ia])
        self.confirmed[ia] |= self._confirmable(ia)
        xbar, Pbar = self._refresh_cache(ia)
        self._log.append(
            (
                np.full(na, scan.t),
                self.ids[ia].copy(),
                xbar,
                Pbar,
                mu[:, BOOST].copy(),
                scan.index[jb],
                self.confirmed[ia].copy(),
            )
        )

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
        k = x6.shape[0]
        out = np.empty((k, 6))
        keys = self.ids[young].tolist()
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
            x1, F = propagate(x0, t - t0, step, max_steps=_vacuum_steps(t - t0, step))
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
            n_steps = _vacuum_steps(tau[nk], step)
            back, _ = propagate(x, -tau[nk], step, with_jacobian=False, max_steps=n_steps)
            _, F = propagate(back, tau[nk], step, max_steps=n_steps)
            vhat = back[:, 3:6] / np.linalg.norm(back[:, 3:6], axis=1, keepdims=True)
            u = np.einsum("kij,kj->ki", F[:, :6, 3:6], vhat)
            out[nk] = u
            col, t_air = _air_column(back[:, :6], tau[nk], climbing=True)
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
        cf = self.config
        cap = (cf.init_kappa_sigma_m2_kg / KAPPA_UNIT) ** 2
        k_o, k_y = self.xm[older, COAST, KAPPA], self.xm[young, COAST, KAPPA]
        var = np.minimum(self.Pm[older, COAST, KAPPA, KAPPA], cap)
        var += np.minimum(self.Pm[young, COAST, KAPPA, KAPPA], cap)
        dkappa = KAPPA_UNIT * np.sqrt((k_o - k_y) ** 2 + np.maximum(var, 0.0))
        dkappa = np.maximum(dkappa, cf.kappa_floor_m2_kg)
        ids = self.ids[young].tolist()
        col_p = np.array([self._parting_air.get(i, (0.0, 0.0))[0] for i in ids])
        t_p = np.array([self._parting_air.get(i, (0.0, 0.0))[1] for i in ids])
        col_d, t_d = _air_column(x6, tau, climbing=False)
        r2 = np.einsum("ij,ij->i", x6[:, :3], x6[:, :3])
        speed = np.maximum(np.sqrt(np.einsum("ij,ij->i", x6[:, 3:6], x6[:, 3:6])), 1.0)
        turn = GM_EARTH / r2 / speed  # rad/s
        return 0.5 * dkappa * (col_p * t_p * (1.0 + turn * tau) + col_d * t_d)

    @staticmethod
    def _update_formation(scan: Scan, f: _Formation, xs, Ps, zh, H, x_new, P_new, ll) -> None:
        """Update the tracks of closely spaced pairs as formations (``_order_siblings``): under
        each order of the pair's two detections (right, with probability ``f.w``, or swapped),
        each track is updated with both, its partner's shifted by the partner's offset from it
        (the separation speed's variance added to that detection's noise); the two updates are
        mixed by the orders' probabilities (moment matching). Overwrites the rows' plain updates
        in ``x_new``, ``P_new`` and ``ll`` (mode-expanded rows, two per track)."""
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

    def _refresh_cache(self, idx) -> tuple[np.ndarray, np.ndarray]:
        """Refresh the coarse-gate extrapolation of tracks ``idx`` from their mode estimates;
        returns their reported (mode-floored) estimates."""
        cfg = self.config
        xm, Pm, mu = self.xm[idx], self.Pm[idx], self.mu[idx]
        xall, Pall = _combine(xm, Pm, mu)
        pos, vel = xall[:, :3], xall[:, 3:6]
        pb = mu[:, BOOST]
        acc_t = pb[:, None] * xm[:, BOOST, 6:9] + mu[:, MANOEUVRE, None] * xm[:, MANOEUVRE, 6:9]
        self.cpos[idx], self.cvel[idx] = pos, vel
        self.cacc[idx] = acceleration(pos, vel) + acc_t
        sig = np.empty((len(pos), 3))
        sig[:, 0] = np.sqrt(np.trace(Pall[:, :3, :3], axis1=1, axis2=2))
        sig[:, 1] = np.sqrt(np.trace(Pall[:, 3:6, 3:6], axis1=1, axis2=2))
        a_mag = np.sqrt(np.einsum("ij,ij->i", xm[:, BOOST, 6:9], xm[:, BOOST, 6:9]))
        a_sig = np.sqrt(np.trace(Pm[:, BOOST, 6:9, 6:9], axis1=1, axis2=2))
        sig[:, 2] = np.where(pb > 1e-4, a_mag + 3.0 * a_sig + 1.0, 0.05)
        # --- manoeuvre mode: its lift, and the lift it may start pulling ---
        l_mag = np.sqrt(np.einsum("ij,ij->i", xm[:, MANOEUVRE, 6:9], xm[:, MANOEUVRE, 6:9]))
        l_sig = manoeuvre.lift_sigma_mps2(Pm[:, MANOEUVRE])
        l_max = manoeuvre.lift_ceiling(xm[:, COAST], Pm[:, COAST], cfg.manoeuvre)
        sig[:, 2] = np.maximum(sig[:, 2], np.maximum(l_mag + 3.0 * l_sig, l_max))
        # --- end manoeuvre mode ---
        self.csig[idx] = sig
        kap_sig = np.sqrt(np.maximum(Pm[:, COAST, KAPPA, KAPPA], 0.0))
        self.cdrag[idx] = KAPPA_UNIT * (np.abs(xm[:, COAST, KAPPA]) + 3.0 * kap_sig)
        if cfg.output_mode_floor > 0.0:
            return _combine(xm, Pm, mu, cfg.output_mode_floor)
        return xall, Pall

    def _young_boost(self, idx: np.ndarray, t: float) -> np.ndarray:
        """Tracks ``idx`` whose boost mode is the hypothesis they were born with, kept with its
        own evidence at ``t`` (not restarted from the coast mode, not fed by it): born on their
        own (no parent) less than ``young_boost_s`` ago and not yet seen thrusting. A radar
        first sees a rocket low in its burn when the data cannot yet tell thrust from none;
        restarted at every update as "thrust began since the last one", the boost mode never
        gathered the evidence of a burn under way (gen-1-02: boost over one half 21 s after
        the track's birth, the rocket taken as coasting meanwhile)."""
        cfg = self.config
        return (
            (t - self.born[idx] < cfg.young_boost_s)
            & (self.parent[idx] < 0)
            & ~np.isfinite(self.thrust_t0[idx])
        )

    def _reseed_boost(self, xm, Pm, mu, allowed=None) -> None:
        """Restart a negligible boost mode from the coast mode, with the initiation prior on the
        thrust acceleration: left alone, a boost mode at 1e-5 probability drifts on its own
        (its acceleration follows the noise), and the mixing would carry that drift back into the
        coast estimate. Only where ``allowed`` (default: every row)."""
        cfg = self.config
        r = mu[:, BOOST] < cfg.boost_reseed_prob
        if allowed is not None:
            r &= allowed
        if r.any():
            xm[r, BOOST] = xm[r, COAST]
            xm[r, BOOST, 6:9] = 0.0
            Pm[r, BOOST] = Pm[r, COAST]
            Pm[r, BOOST, 6:9, 6:9] = np.eye(3) * cfg.init_acc_sigma_mps2**2
        # --- manoeuvre mode: a negligible one restarts from coast with the lift prior ---
        r = mu[:, MANOEUVRE] < cfg.manoeuvre.reseed_prob
        if r.any():
            xm[r, MANOEUVRE], Pm[r, MANOEUVRE] = manoeuvre.reseed(
                xm[r, COAST], Pm[r, COAST], cfg.manoeuvre
            )
        # --- end manoeuvre mode ---

    def _empty_looks(self, t: float) -> None:
        """Count as looks the scans each declared radar made before ``t`` (s) that brought no
        detection (detections come in time order: a scan of a radar before ``t`` not seen yet
        was empty), from the first scan the tracker saw on; none inside a declared outage."""
        for sensor, cov in self.coverage.items():
            after = self._looked_until.get(sensor)
            if after is None:
                after = self._looked_until[sensor] = t
                continue
            times = cov.scan_times(after, t)
            if times.size == 0:
                continue
            self._looked_until[sensor] = float(times[-1])
            if not self.confirmed[: self.n].any():
                continue
            none = np.zeros(0, dtype=np.int64)
            pos, basis = cov.antenna(times)
            for k, tk in enumerate(times.tolist()):
                self._note_looks(sensor, tk, pos[k], basis[k], none, cov)

    def _note_looks(
        self,
        sensor: str,
        t: float,
        s: np.ndarray,
        B: np.ndarray,
        updated: np.ndarray,
        declared: RadarCoverage | None = None,
        learned: _SensorClutter | None = None,
    ) -> None:
        """A radar (``sensor``, antenna at ECEF ``s``, ENU basis ``B``) scanned at ``t``: it
        looked at every confirmed track predicted inside its coverage; those it updated
        (``updated``) were seen, the others missed. The coverage is the radar's declared field
        of view (``declared``, ``coverage.RadarCoverage.inside_prob``: the probability that
        the track's object is inside it, a track looked at when over one half) where its node
        knows it, else the one learned from its detections (``learned``,
        ``_SensorClutter.covers``, by a margin of twice the position uncertainty).

        A miss is evidence against the track's object being there: it adds
        ``ln(1 - Pd P_in)`` to the track score, ``P_in`` the probability of being inside (1 for
        learned coverage), ``Pd`` the track's own detection probability with that radar,
        learned from its looks (``(hits + 1) / (looks + 2)``, both discounted by
        ``1 - 1 / pd_memory_looks`` per look and by ``exp(-gap / pd_memory_s)`` over the time
        since the last, at most ``detection_prob``), so a track seen at every scan and missed
        many times running loses its score in a few tens of looks, and a faint object, seen
        one scan in five, slowly. A radar that sees the track less than ``miss_pd_floor`` of
        its looks tells nothing by missing it (a reentry vehicle coming back into a radar's
        coverage at 2,000 km, a twentieth of a square metre, is seen at a few per cent of the
        looks: its dormant track must wait for it), unless it saw the track at least that
        often at its last detection and has looked at it since without a gap of
        ``pd_memory_s``: then each miss of that run costs at least ``ln(1 - miss_pd_floor)``.
        The learned ``Pd`` falls with every miss, so without that a young track (three
        detections, then lost: kn23-pullup's infrared-born 353) stopped losing score 7.6 below
        its highest and was reported for minutes following nothing; an object that really
        stays in the field at ``Pd`` of at least the floor survives ``delete_score_drop`` of
        such misses running with a probability of 10⁻⁴ or less.

        A confirmed track whose score falls ``delete_score_drop`` below the highest it reached
        is deleted (``_delete_aged``; Blackman & Popoli 6.2, track deletion by score drop). A
        track outside every radar's coverage gets no miss: unseen, not disproven, it coasts.
        A declared radar's scans without any detection count as looks (``_empty_looks``); a
        learned one's never reach the tracker and count as no look (conservative)."""
        cfg = self.config
        n = self.n
        sel = np.flatnonzero(self.confirmed[:n])
        if sel.size == 0:
            return
        code = self._radar_codes.get(sensor)
        if code is None:
            code = self._radar_codes[sensor] = len(self._radar_codes)
            for name in ("pd_hits", "pd_looks", "pd_t", "pd_run"):
                arr = getattr(self, name)
                setattr(self, name, np.concatenate([arr, np.zeros((arr.shape[0], 1))], axis=1))
        seen = np.zeros(n, dtype=bool)
        seen[updated] = True
        dt = t - self.t_base[sel]
        p = (
            self.cpos[sel]
            + self.cvel[sel] * dt[:, None]
            + 0.5 * self.cacc[sel] * (dt * dt)[:, None]
        )
        sig = self.csig[sel]
        spread = sig[:, 0] + sig[:, 1] * np.abs(dt)
        enu = B @ (p - s).T
        if declared is not None:
            # Per axis (``csig`` is the root of the position covariance's trace), and the
            # 1 km the extrapolation may be off.
            p_in = declared.inside_prob(enu, spread / math.sqrt(3.0) + 1000.0, s, p)
        else:
            p_in = learned.covers(enu, 2.0 * spread + 1000.0).astype(float)
        looked = seen[sel] | (p_in >= 0.5)
        sel, seen_s, p_in = sel[looked], seen[sel][looked], p_in[looked]
        if sel.size == 0:
            return
        gap = t - self.pd_t[sel, code]
        keep = (1.0 - 1.0 / cfg.pd_memory_looks) * np.exp(-gap / cfg.pd_memory_s)
        hits, looks = keep * self.pd_hits[sel, code], keep * self.pd_looks[sel, code]
        pd = np.minimum((hits + 1.0) / (looks + 2.0), cfg.detection_prob)
        floor = cfg.miss_pd_floor
        run = np.where(gap <= cfg.pd_memory_s, self.pd_run[sel, code], 0.0) >= floor
        pd_miss = np.where(run, np.maximum(pd, floor), np.where(pd >= floor, pd, 0.0))
        missed = ~seen_s & (pd_miss > 0.0)
        self.llr[sel[missed]] += np.log1p(-(pd_miss * np.minimum(p_in, 1.0))[missed])
        hits, looks = hits + seen_s, looks + 1.0
        self.pd_hits[sel, code] = hits
        self.pd_looks[sel, code] = looks
        self.pd_t[sel, code] = t
        # The Pd the radar saw the track with at its last detection (kept through a run of
        # misses; forgotten after a gap in the looks).
        self.pd_run[sel, code] = np.where(
            seen_s,
            np.minimum((hits + 1.0) / (looks + 2.0), cfg.detection_prob),
            np.where(gap <= cfg.pd_memory_s, self.pd_run[sel, code], 0.0),
        )

    def _note_wakes(
        self, idx: np.ndarray, t: float, lost_s: float, boost: np.ndarray, dll: np.ndarray
    ) -> None:
        """Before tracks ``idx`` are updated at ``t`` (their new boost probabilities ``boost``,
        their detections' score increments ``dll``): remember the estimate of each confirmed
        one woken by this detection, and count the updates of those woken earlier, forgetting
        the estimate once they are as many as a new track needs (``confirm_hits``).

        A track is woken when it was dormant, or when it was lost (unseen for more than
        ``lost_s``, a tentative track's timeout at the scan's sensor) and the detection alone
        does not tell its object from a false alarm: its likelihood ratio of object over
        clutter, ``dll`` (``_associate``), is below what confirms a new track
        (``confirm_llr``), as its gate, grown over the gap, holds false alarms as well as its
        object; or the detection says it thrusts again. A lost track taken up again is thus
        judged as a new track would be. Measured on srbm-salvo: two tracks lost 40-60 s took a
        single false alarm through their boost mode and flew off as phantoms to 600-3,000 km
        altitude; on slbm (472972e) the picture's tracker, its track stale since burnout (27 km
        sigma), took one false alarm through its coast mode and split off as a phantom. The
        false alarms lost tracks took on the shipped scenarios scored -11 to 0.2; objects seen
        again 16-36 (lost-track's ICBM at the edge of a radar's range, seen one scan in three:
        24-36, it keeps every detection), but for three of srbm-salvo's seen again by one
        radar after 50-66 s (4-12), now held back until two more detections confirm them (put
        back without: the partners' pictures of srbm-salvo lost 75 duplicate track-s by it)."""
        gap = t - self.t[idx]
        cfg = self.config
        lost = gap > lost_s
        relit = lost & (boost >= 0.5) & (self.mu[idx, BOOST] < 0.5)
        doubtful = lost & (dll < self._confirm_llr)
        wake = self.confirmed[idx] & ((gap > cfg.confirmed_timeout_s) | relit | doubtful)
        if not self._woken and not wake.any():
            return
        for k, i in enumerate(idx.tolist()):
            key = int(self.ids[i])
            if key in self._woken:
                t_wake, hits, saved = self._woken[key]
                if hits + 1 >= cfg.confirm_hits:
                    del self._woken[key]
                else:
                    self._woken[key] = (t_wake, hits + 1, saved)
            elif wake[k]:
                saved = tuple(getattr(self, a)[i].copy() for a in _WAKE_ARRAYS)
                self._woken[key] = (t, 1, saved)

    def _unwake(self, t: float) -> None:
        """Put back to sleep, with the estimate they had, the woken tracks not updated again
        within a tentative track's timeout: what woke them was a false alarm."""
        wait = max([self.config.tentative_timeout_s, *map(self._tentative_timeout, self._revisit)])
        for key, (t_wake, _, saved) in list(self._woken.items()):
            i = int(np.searchsorted(self.ids[: self.n], key))
            if i >= self.n or self.ids[i] != key:
                del self._woken[key]
            elif t - t_wake > wait and t - self.t[i] > 0.0:
                for name, value in zip(_WAKE_ARRAYS, saved, strict=True):
                    getattr(self, name)[i] = value
                self._refresh_cache(np.array([i]))
                del self._woken[key]

    def _delete_aged(self, t: float) -> None:
        """Delete tentative tracks past their timeout or whose score fell below ln 0.01, and
        confirmed tracks unseen for ``dormant_max_s``; put back to sleep the tracks a false
        alarm woke (``_unwake``)."""
        cfg = self.config
        n = self.n
        if n == 0:
            return
        if self._woken:
            self._unwake(t)
        age = t - self.t[:n]
        conf = self.confirmed[:n]
        dead = np.where(conf, age > cfg.dormant_max_s, age > self.timeout[:n])
        dead |= ~conf & (self.llr[:n] < TENTATIVE_DROP_LLR)
        # A confirmed track its radars looked at and did not see (``_note_looks``).
        dead |= conf & (self.llr_max[:n] - self.llr[:n] > cfg.delete_score_drop)
        dead |= ~np.isfinite(self.cpos[:n]).all(axis=1)
        if dead.any():
            self._compact(~dead)

    def _housekeep(self, t: float) -> np.ndarray:
        """Predict the confirmed tracks to ``t``, delete those too uncertain or below ground;
        at a whole second not yet housekept, also rebase those not updated for
        ``REBASE_AGE_S``. Returns the survivors' indices (estimates in ``_last_prediction``)."""
        cfg = self.config
        rebase = t > self._last_grid and t == math.floor(t)
        if rebase:
            self._last_grid = t
        sel = np.flatnonzero(self.confirmed[: self.n])
        if sel.size == 0:
            self._last_prediction = None
            return sel
        xp, Pp, c, _, _ = self._predict(sel, t)
        xbar, Pbar = _combine(xp, Pp, c, cfg.output_mode_floor)
        pos_var = np.trace(Pbar[:, :3, :3], axis1=1, axis2=2)
        dead = (pos_var > cfg.delete_pos_sigma_m**2) | (
            altitude_approx(xbar[:, :3]) < cfg.delete_alt_m
        )
        ok = ~dead
        if dead.any():
            keep = np.ones(self.n, dtype=bool)
            keep[sel[dead]] = False
            self._compact(keep)
            sel = np.flatnonzero(self.confirmed[: self.n])
        self._last_prediction = (xbar[ok], Pbar[ok], c[ok, BOOST])
        # Tracks not updated for a second are moved to ``t`` (a prediction is a Markov step),
        # so no later prediction spans more than ``REBASE_AGE_S`` and a track in the air needs
        # a few RK4 steps per scan, not a few per second since its last update.
        old = np.flatnonzero(t - self.t_base[sel] >= REBASE_AGE_S)
        if rebase and old.size:
            kept = np.flatnonzero(ok)[old]
            idx = sel[old]
            self.xm[idx], self.Pm[idx], self.mu[idx] = xp[kept], Pp[kept], c[kept]
            self.t_base[idx] = t
            self._refresh_cache(idx)
        return sel

    def _compact(self, keep: np.ndarray) -> None:
        k = int(keep.sum())
        for name in _TRACK_ARRAYS:
            arr = getattr(self, name)
            arr[:k] = arr[: self.n][keep]
        self.n = k

    def _add(
        self, xm, Pm, mu, t: float, hits: int, llr: float, timeout: float, parent=None
    ) -> np.ndarray:
        k = xm.shape[0]
        need = self.n + k
        self._grow(need)
        s = np.arange(self.n, need)
        self.xm[s], self.Pm[s], self.mu[s] = xm, Pm, mu
        self.t[s] = self.t_base[s] = t
        ids = np.arange(self._next_id, self._next_id + k, dtype=np.int64)
        self._next_id += k
        self.ids[s] = ids
        self.hits[s] = hits
        self.fixes[s] = 1  # a radar detection, or two infrared lines of sight crossing
        self.llr[s] = llr
        self.llr_max[s] = llr
        self.pd_hits[s] = 0.0
        self.pd_looks[s] = 0.0
        self.pd_t[s] = t
        self.pd_run[s] = 0.0
        self.timeout[s] = timeout
        self.parent[s] = -1 if parent is None else parent
        self.born[s] = t
        self.ir_t[s] = -math.inf
        self.ir_sensor[s] = -1
        self.parted[s] = t
        self.boosted[s] = np.where(mu[:, BOOST] >= 0.5, t, -math.inf)
        self.thrust_t0[s] = np.where(mu[:, BOOST] >= 0.5, t, math.inf)
        self.n = need
        self.confirmed[s] = self._confirmable(s)
        self._refresh_cache(s)
        return ids

    def _grow(self, need: int) -> None:
        """Room for ``need`` tracks in every per-track array (doubling)."""
        if need > self.xm.shape[0]:
            cap = max(need, 2 * self.xm.shape[0])
            for name in _TRACK_ARRAYS:
                arr = getattr(self, name)
                new = np.zeros((cap, *arr.shape[1:]), dtype=arr.dtype)
                new[: self.n] = arr[: self.n]
                setattr(self, name, new)

    def _confirmable(self, idx: np.ndarray) -> np.ndarray:
        """Whether tracks ``idx`` have the evidence of an object (Wald's test on their score,
        with ``confirm_hits`` detections) *and* their position fixed in three dimensions at two
        moments (``fixes``): a radar detection fixes it, an infrared line of sight only with
        another satellite's. One satellite's lines of sight through a track's first, vague
        prediction (a velocity prior of 3 km/s per axis: a gate tens of kilometres wide, where
        the plume density is low and each line of sight scores as if it were the track's own)
        say nothing of the third dimension. Measured on srbm-salvo: a radar false alarm at
        128 km took two lines of sight of SRBM-6's plume from one satellite, 300 km away along
        them, was confirmed as a boosting track 13 km and 3 km/s uncertain (816) and claimed an
        impact in Japan's EEZ; SRBM-6's own track, confirmed the same way, needed one more
        radar detection, 0.4 s later."""
        cfg = self.config
        return (
            (self.hits[idx] >= cfg.confirm_hits)
            & (self.llr[idx] >= self._confirm_llr)
            & (self.fixes[idx] >= 2)
        )

    def _tentative_timeout(self, sensor: str) -> float:
        revisit = self._revisit.get(sensor, 0.0)
        return max(self.config.tentative_timeout_s, TENTATIVE_REVISITS * revisit)

    def _new_states(self, pos, P_pos, vel, P_vel, boost_prob):
        cfg = self.config
        k = pos.shape[0]
        xm = np.zeros((k, NMODE, NX))
        Pm = np.zeros((k, NMODE, NX, NX))
        for mode in (BOOST, COAST, MANOEUVRE):
            xm[:, mode, 0:3] = pos
            xm[:, mode, 3:6] = vel
            xm[:, mode, KAPPA] = cfg.init_kappa_m2_kg / KAPPA_UNIT
            Pm[:, mode, 0:3, 0:3] = P_pos
            Pm[:, mode, 3:6, 3:6] = P_vel
            Pm[:, mode, KAPPA, KAPPA] = (cfg.init_kappa_sigma_m2_kg / KAPPA_UNIT) ** 2
        Pm[:, BOOST, 6:9, 6:9] = np.eye(3) * cfg.init_acc_sigma_mps2**2
        mu = np.empty((k, NMODE))
        mu[:, BOOST], mu[:, COAST] = boost_prob, 1.0 - boost_prob
        # --- manoeuvre mode: a new track is not known to manoeuvre (a seed from coast) ---
        mu[:, MANOEUVRE] = 1e-6
        mu /= mu.sum(axis=1, keepdims=True)
        xm[:, MANOEUVRE], Pm[:, MANOEUVRE] = manoeuvre.reseed(
            xm[:, COAST], Pm[:, COAST], cfg.manoeuvre
        )
        # --- end manoeuvre mode ---
        return xm, Pm, mu

    def _initiate_radar(self, scan: Scan, free: np.ndarray, near=None) -> None:
        cfg = self.config
        z, R = scan.z[free], scan.R[free]
        pos, P_pos = scan.ecef_pos[free], scan.ecef_P[free]
        k = free.size
        sv2 = cfg.init_vel_sigma_mps**2
        vel = np.zeros((k, 3))
        P_vel = np.broadcast_to(np.eye(3) * sv2, (k, 3, 3)).copy()
        if scan.m == 4:
            los = pos - scan.s
            los /= np.linalg.norm(los, axis=1, keepdims=True)
            s_rr = sv2 + R[:, 3, 3]
            innov = z[:, 3] + los @ scan.s_vel
            gain = sv2 * los / s_rr[:, None]
            vel = gain * innov[:, None]
            P_vel -= sv2 * gain[:, :, None] * los[:, None, :]
        parent = near[free] if near is not None else None
        xm, Pm, mu = self._new_states(pos, P_pos, vel, P_vel, cfg.init_boost_prob_radar)
        if parent is not None and (parent >= 0).any():
            # Born next to a confirmed track updated in this scan: an object it released (a
            # spent stage, a reentry vehicle) at its place and velocity but for the separation
            # push, so the prior is the parent's estimate grown by ``spawn_pos_sigma_m`` and
            # ``spawn_vel_sigma_mps``, updated with the detection (ECEF point), not the vague
            # ``init_vel_sigma_mps``: the new track is as accurate as its parent at once.
            kid = np.flatnonzero(parent >= 0)
            pi = np.searchsorted(self.ids[: self.n], parent[kid])
            # Mode by mode (a stage dropped at burnout is in the parent's coast mode).
            x1, P1 = self.xm[pi].copy(), self.Pm[pi].copy()
            P1[:, :, :3, :3] += np.eye(3) * cfg.spawn_pos_sigma_m**2
            P1[:, :, 3:6, 3:6] += np.eye(3) * cfg.spawn_vel_sigma_mps**2
            _released_drag_prior(x1, P1, cfg)
            Sk = P1[:, :, :3, :3] + P_pos[kid][:, None]
            K = P1[:, :, :, :3] @ np.linalg.inv(Sk)
            x1 += (K @ (pos[kid][:, None] - x1[:, :, :3])[..., None])[..., 0]
            P1 -= K @ P1[:, :, :3, :]
            P1 = 0.5 * (P1 + P1.transpose(0, 1, 3, 2))
            # A released object is less likely to be thrusting than its parent: a dropped
            # stage falls behind (the thrusting stack ahead keeps the older track,
            # ``_order_siblings``), a payload separates at burnout; its boost probability is at
            # most a new track's, its boost mode the parent's (the thrust, should it be the
            # stack). Measured on irbm-overflight: a stage born with its parent's 0.95 boost
            # probability at burnout flies on at 196 m/s² for 2 s, 500 m off.
            pb = np.minimum(self.mu[pi, BOOST], cfg.init_boost_prob_radar)
            pm = mu[kid, MANOEUVRE] = np.maximum(self.mu[pi, MANOEUVRE], 1e-6)  # manoeuvre
            mu[kid, BOOST], mu[kid, COAST] = pb, 1.0 - pb - pm
            xm[kid], Pm[kid] = x1, P1
        ids = self._add(xm, Pm, mu, scan.t, 1, 0.0, self._tentative_timeout(scan.sensor), parent)
        if parent is not None and (parent >= 0).any():
            kid = np.flatnonzero(parent >= 0)
            self.parent_of.update(zip(ids[kid].tolist(), parent[kid].tolist(), strict=True))
            # A track born next to one that was thrusting a moment ago came apart from it at
            # that burnout (stages and payloads part at burnout and staging), which may be
            # seconds before the radars resolve the two: its relative motion runs from there.
            # Measured on irbm-overflight's single precise radar: taking the younger's first
            # detection, 15 s late, put the pair's modelled offset 45 m out (coast NEES 139).
            born = np.arange(self.n - free.size, self.n)[kid]
            last = self.boosted[pi]
            recent = scan.t - last <= self.config.separation_lookback_s
            self.parted[born[recent]] = last[recent]
            self.thrust_t0[born] = np.minimum(self.thrust_t0[born], self.thrust_t0[pi])
        self._log_new(scan.t, ids, xm, Pm, mu, scan.index[free])

    def _initiate_infrared(self, scan: Scan, free: np.ndarray) -> None:
        cfg = self.config
        code = self._ir_codes.setdefault(scan.sensor, len(self._ir_codes))
        u = scan.los[free]
        sig = np.sqrt(scan.R[free, 1, 1])
        idx = scan.index[free]
        bt, bc, bs, bu, bsig, bidx = self._ir
        live = (scan.t - bt) <= cfg.ir_pair_max_dt_s
        bt, bc, bs, bu, bsig, bidx = (a[live] for a in (bt, bc, bs, bu, bsig, bidx))
        paired = np.zeros(free.size, dtype=bool)
        other = np.flatnonzero(bc != code)
        if other.size:
            used = self._pair_infrared(scan, u, sig, idx, other, bt, bs, bu, bsig, bidx)
            if used is not None:
                cur, buf = used
                paired[cur] = True
                keep = np.ones(bt.size, dtype=bool)
                keep[other[buf]] = False
                bt, bc, bs, bu, bsig, bidx = (a[keep] for a in (bt, bc, bs, bu, bsig, bidx))
        new = ~paired
        k = int(new.sum())
        self._ir = (
            np.concatenate([bt, np.full(k, scan.t)]),
            np.concatenate([bc, np.full(k, code, dtype=np.int64)]),
            np.concatenate([bs, np.broadcast_to(scan.s, (k, 3))]),
            np.concatenate([bu, u[new]]),
            np.concatenate([bsig, sig[new]]),
            np.concatenate([bidx, idx[new]]),
        )

    def _pair_infrared(self, scan, u, sig, idx, other, bt, bs, bu, bsig, bidx):
        """Triangulate current lines of sight with buffered ones of other satellites; makes the
        tracks and returns the (current, buffer-subset) indices used, or None."""
        cfg = self.config
        sA, uA = scan.s, u[:, None, :]  # (k, 1, 3)
        sB, uB = bs[other][None], bu[other][None]  # (1, b, 3)
        dtb = (scan.t - bt[other])[None]
        w0 = sA - sB
        b = np.einsum("kbi,kbi->kb", uA, uB)
        d = np.einsum("kbi,kbi->kb", uA, w0)
        e = np.einsum("kbi,kbi->kb", uB, w0)
        den = 1.0 - b * b
        safe = np.where(den > 1e-6, den, 1.0)
        lam = (b * e - d) / safe
        mu_ = (e - b * d) / safe
        miss = (sA + lam[..., None] * uA) - (sB + mu_[..., None] * uB)
        miss2 = np.einsum("kbi,kbi->kb", miss, miss)
        var = (sig[:, None] * lam) ** 2 + (bsig[other][None] * mu_) ** 2
        var += (cfg.ir_max_speed_mps * dtb) ** 2
        ok = (den > 1e-6) & (lam > 0) & (mu_ > 0) & (miss2 <= self._gate[2] * var)
        if not ok.any():
            return None
        cost = np.where(ok, miss2 / var, _BIG)
        r, c = linear_sum_assignment(cost)
        good = ok[r, c]
        r, c = r[good], c[good]
        if r.size == 0:
            return None
        # Weighted least-squares point nearest both lines.
        lamr, mur = lam[r, c], mu_[r, c]
        ua, ub = u[r], bu[other][c]
        va = (sig[r] * lamr) ** 2
        vb = (bsig[other][c] * mur) ** 2 + (cfg.ir_max_speed_mps * dtb[0, c]) ** 2
        eye = np.eye(3)
        Ia = (eye - ua[:, :, None] * ua[:, None, :]) / va[:, None, None]
        Ib = (eye - ub[:, :, None] * ub[:, None, :]) / vb[:, None, None]
        info = Ia + Ib + eye * 1e-12
        rhs = Ia @ sA + (Ib @ bs[other][c][:, :, None])[:, :, 0]
        P_pos = np.linalg.inv(info)
        pos = (P_pos @ rhs[:, :, None])[:, :, 0]
        alt = altitude_approx(pos)
        fine = (alt > 0.0) & (alt < IR_CROSSING_MAX_ALT_M)
        r, c, pos, P_pos = r[fine], c[fine], pos[fine], P_pos[fine]
        if r.size == 0:
            return None
        k = r.size
        vel = np.zeros((k, 3))
        P_vel = np.broadcast_to(np.eye(3) * cfg.init_vel_sigma_mps**2, (k, 3, 3)).copy()
        xm, Pm, mu = self._new_states(pos, P_pos, vel, P_vel, 1.0 - cfg.ir_coast_likelihood)
        Pm[:, BOOST, 6:9, 6:9] = np.eye(3) * cfg.ir_init_acc_sigma_mps2**2
        ids = self._add(
            xm, Pm, mu, scan.t, 2, cfg.ir_pair_llr, self._tentative_timeout(scan.sensor)
        )
        born = np.arange(self.n - k, self.n)
        self.ir_t[born] = scan.t
        self.ir_sensor[born] = self._ir_codes[scan.sensor]
        self._log_new(scan.t, ids, xm, Pm, mu, idx[r])
        self._log_new(scan.t, ids, xm, Pm, mu, bidx[other][c])
        return r, c

    def _log_new(self, t, ids, xm, Pm, mu, det_index) -> None:
        xbar, Pbar = _combine(xm, Pm, mu, self.config.output_mode_floor)
        k = ids.size
        self._log.append(
            (
                np.full(k, t),
                ids,
                xbar,
                Pbar,
                mu[:, BOOST].copy(),
                np.asarray(det_index, dtype=np.int64),
                self.confirmed[np.searchsorted(self.ids[: self.n], ids)].copy(),
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


@dataclass(frozen=True)
class _Formation:
    """Closely spaced pairs updated as formations in one scan (``Tracker._update_formation``),
    per track (older tracks, then younger): its assignment row, the probability that the
    pair's detections are in the right order, its own detection and its partner's, the shift
    (m,) that puts the partner's on it and the noise (m, m) that shift adds."""

    rows: np.ndarray
    w: np.ndarray
    own: np.ndarray
    other: np.ndarray
    shift: np.ndarray
    extra: np.ndarray


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


#: Gauss-Legendre nodes and weights on [0, 1]: three are exact for the polynomials of degree 5
#: or less, and the moments of ``burnout_within`` are of degree 4 in the switch time.
_GL_U, _GL_W = np.polynomial.legendre.leggauss(3)
_GL_U, _GL_W = 0.5 * (_GL_U + 1.0), 0.5 * _GL_W


def burnout_within(x: np.ndarray, P: np.ndarray, dt) -> tuple[np.ndarray, np.ndarray]:
    """Boost-mode estimates ``x`` (n, 10), ``P`` (n, 10, 10) of a thrust that ends at a time
    uniform over the next ``dt`` (n,) s, as the coast mode's start: the mean and covariance at the
    start of the step of the ballistic state that reaches, ``dt`` later, where the thrust left
    the object. The Markov switch of the IMM puts the burnout anywhere in the step; taken at its
    start (the boost estimate, thrust cut), the coast mode missed ``a s`` of velocity for a burn
    of ``s`` more seconds, with none of the spread of ``s``: at an acceleration of 100 m/s² and
    a 1 s step, 50 m/s behind with a 29 m/s sigma left out. Thrust for ``s`` then coast is, to a
    ballistic path from the start, a start ``-a s²/2`` in position and ``+a s`` in velocity;
    moments over ``s = U dt``, ``U`` uniform on [0, 1], exact by Gauss-Legendre (degree 4)."""
    dt = np.maximum(np.asarray(dt, dtype=float), 0.0)
    n = x.shape[0]
    s = _GL_U[:, None] * dt[None, :]  # (q, n)
    M = np.broadcast_to(np.eye(NX), (_GL_U.size, n, NX, NX)).copy()
    for k in range(3):
        M[:, :, k, 6 + k] = -0.5 * s * s
        M[:, :, 3 + k, 6 + k] = s
    xq = np.einsum("qnij,nj->qni", M, x)
    mean = np.einsum("q,qni->ni", _GL_W, xq)
    d = xq - mean[None]
    cov = np.einsum("q,qnij,njk,qnlk->nil", _GL_W, M, P, M)
    cov += np.einsum("q,qni,qnj->nij", _GL_W, d, d)
    return mean, 0.5 * (cov + cov.transpose(0, 2, 1))


def _released_drag_prior(x: np.ndarray, P: np.ndarray, cfg: TrackerConfig) -> None:
    """A released object's drag coefficient (``x`` (k, modes, NX), ``P`` in place): the new
    track's prior, not its parent's estimate. A spent stage and its payload are two bodies of
    one velocity, not one ballistic coefficient: an empty SRBM stage at 17 km decelerates at
    28 g where its missile does at 3 g (srbm-salvo's SRBM-4, 400 m/s apart after a second).
    With its parent's drag the stage's track predicted the missile, lost the stage at the next
    scan and followed the missile as a second, vaguer track, which claimed an impact area
    (track 760, JP's EEZ at 135 s)."""
    x[..., KAPPA] = cfg.init_kappa_m2_kg / KAPPA_UNIT
    P[..., KAPPA, :] = 0.0
    P[..., :, KAPPA] = 0.0
    P[..., KAPPA, KAPPA] = (cfg.init_kappa_sigma_m2_kg / KAPPA_UNIT) ** 2


def _burn_survival(tau: np.ndarray) -> np.ndarray:
    """Fraction of the catalogue's burns still going ``tau`` s after the object was first seen
    thrusting (a lower bound of the time since liftoff, so the burn may end sooner)."""
    end = 1.1 * BURNS_S + 10.0
    z = (end[None, :] - np.asarray(tau, dtype=float)[:, None]) / 5.0
    return (0.5 * erfc(-z / math.sqrt(2.0))).mean(axis=1)


def _truncate_drag(xs, Ps, x_new: np.ndarray, P_new: np.ndarray, rows: np.ndarray):
    """Drag cannot push: ``kappa >= 0`` honoured in an update (predictions ``xs``, ``Ps`` of
    the mode-expanded ``rows`` of the updates ``x_new``, ``P_new``, changed in place). Returns
    the log of each row's evidence factor for the constraint.

    The belief is the Gaussian restricted to ``kappa >= 0``. For a linear update the
    likelihood of a detection under the restricted prior is the Gaussian one times
    ``Phi(k / s) / Phi(k0 / s0)``, the mass of the posterior over the mass of the prediction
    on the side the constraint allows (``k``, ``s`` the posterior mean and sigma of
    ``kappa``; ``k0``, ``s0`` the prediction's): a coast mode that could follow a
    thrusting rocket only by a negative drag coefficient, an along-track *push*, pays for it
    in its mode probability, where clipping ``kappa`` at zero in the mean alone kept the
    velocity gain the push gave. Where the posterior mean is negative, the estimate takes the
    truncated Gaussian's mean of ``kappa``, the other states moved by their regression on it:
    only where the constraint is violated, so an unobservable ``kappa`` (above the air) is not
    pushed up at every update. The covariance is kept: a mode whose posterior needs a push is
    the wrong model of the object (a rocket thrusting), and the truncated variance, near zero
    far in the tail, made its drag coefficient certain at zero (measured on gen-1-05: coast
    NEES in bounds 0.93 -> 0.64 with it, 0.96 without; the stage's track, born from such a
    coast mode, kept a drag coefficient half its parent's)."""
    k = x_new[rows, KAPPA]
    s = np.sqrt(np.maximum(P_new[rows, KAPPA, KAPPA], 1e-30))
    s0 = np.sqrt(np.maximum(Ps[:, KAPPA, KAPPA], 1e-30))
    a = k / s
    dll = log_ndtr(a) - log_ndtr(xs[:, KAPPA] / s0)
    neg = np.flatnonzero(k < 0.0)
    if neg.size:
        k, a, s = k[neg], a[neg], s[neg]
        neg = rows[neg]
        # Inverse Mills ratio phi(a) / Phi(a), stable far in the tail.
        lam = np.exp(-0.5 * a * a - 0.5 * _LOG_2PI - log_ndtr(a))
        mean = k + s * lam
        col = P_new[neg, :, KAPPA]  # (k, 10): covariances with kappa
        x_new[neg] += col * ((mean - k) / (s * s))[:, None]
        x_new[neg, KAPPA] = np.maximum(x_new[neg, KAPPA], 0.0)
    return dll


def _air_column(
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


def _vacuum_steps(dt, max_step_s: float) -> np.ndarray:
    """RK4 steps of ``max_step_s`` for predictions over ``dt`` without drag."""
    return np.maximum(1, np.ceil(np.abs(np.atleast_1d(dt)) / max_step_s)).astype(np.int64)


def _combine(
    xm: np.ndarray, Pm: np.ndarray, mu: np.ndarray, floor: float = 0.0
) -> tuple[np.ndarray, np.ndarray]:
    """Moment-matched position-velocity mean (n, 6) and covariance (n, 6, 6) of the modes whose
    probability is at least ``floor`` (renormalised)."""
    if floor > 0.0:
        mu = np.where(mu >= floor, mu, 0.0)
        mu = mu / mu.sum(axis=1, keepdims=True)
    x6 = xm[:, :, :6]
    xbar = np.einsum("nj,njk->nk", mu, x6)
    dx = x6 - xbar[:, None, :]
    Pbar = np.einsum("nj,njkl->nkl", mu, Pm[:, :, :6, :6])
    Pbar += np.einsum("nj,njk,njl->nkl", mu, dx, dx)
    return xbar, Pbar


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
    )
