"""Fusion into the common picture: every partner's shared detections and local tracks.

Two kinds of input, as the partners' releasability allows:

- **Detections** (measurement-level fusion): every shared detection, of every partner, goes into
  one ``Tracker``, in time order. Detections arrive from several partners with different
  delays, so they wait in a reorder buffer until the *watermark* (the latest detection time
  seen, minus ``latency_s``) passes them; a detection older than what was already processed is
  counted as late and dropped (it cannot be put back into the past of a Kalman filter).
  A partner's ``Heartbeat`` carries its node's clock after everything the node had up to it was
  sent (``lookout.node``): once every partner that sends data has spoken up to an instant, the
  watermark is there, without waiting out ``latency_s`` (which stays the bound for a partner
  that falls silent, and for one that sends no heartbeats: the watermark is the later of the
  two). A heartbeat's ``next_ns`` (a node that knows its sensors' scan schedule) promises
  nothing before it, so the partner counts as spoken up to just before it: such a node sends
  nothing in steps without news, and the others' detections of those steps are taken as
  soon as they come all the same. The age of a detection in the picture is then its wait for
  the next report instant, not that plus the latency and the next scan of a radar (measured:
  p50 1.2 -> 0.5 s; see ``docs/benchmarks.md``).
- **Interim updates** (``interim=True``): between report instants, each time the watermark
  moves (after every partner's heartbeat of a step), the system tracks whose
  measurement-level track took detections since the last report are sent at once, each at its
  latest detection, fused as at the last report with the local tracks fused into it then
  (carried to that time; ``FusedTrack.interim``). A detection then waits for its node's step,
  not for the next report instant (mass-raid's first 300 s on the scenario clock: track age
  p50 / p99 0.29 / 0.93 -> 0.13 / 0.53 s; the rest is a new track's first report). Only
  tracks reported alone at the last report are updated so (a new track, or two tracks of one
  object merged, wait for the next report, which decides ids and merges), and nothing of the
  fusion's state changes: the reports are those of a fusion without them.
  ``interim="step"``: only once the watermark has reached the clock of the heartbeat that
  moved it (or while a partner's silence leaves the latency window in charge), so that nodes
  stepping at the same instants (the embedded coalition) get one interim update a step, not
  one per partner's frame: a node that sends only steps with news promises the rest
  (``Heartbeat.next_ns``), and the watermark then moves at each partner's frame of a step.
  Not for nodes stepping at instants of their own (``lookout node``): the watermark there
  seldom reaches the clock of the heartbeat that moved it.
- **Local tracks** (track-to-track fusion): a partner that shares only its tracks (say, for its
  infrared satellites) sends ``LocalTrack`` estimates. At each report instant the local tracks,
  predicted there if needed, are assigned to the measurement-level tracks, partner by partner
  (one local track of a partner per system track; ``scipy.optimize.linear_sum_assignment`` on
  the chi-square of their position difference under both covariances), and fused with them
  by covariance intersection: the cross-correlation between a partner's track and the
  exchange's track is unknown (they may share detections, and share the same motion model's
  errors), and CI is consistent whatever it is (Julier & Uhlmann, 1997). The weight, in
  [0, 1], minimises the trace of the fused position covariance: a local track that adds
  nothing (a radar partner's, of detections the fusion holds) leaves the system track as it is.

**One object, one system track.** The measurement-level tracker holds every shared detection,
so it is the backbone of the picture; local tracks join it, they do not compete with it:

- An association is kept from report to report (a partner's track switching objects is rare,
  a chance gate miss is not): a pair associated at the last report is kept within the wider
  gate ``KEEP_GATE_CHI2`` and preferred by ``STAY_BONUS`` over a new pairing. A system track
  that merges several measurement-level tracks holds a local track inside the gate of any of
  them (``_held_d2``).
- A local track all of whose sensors' detections reach the fusion (``LocalTrack.sensors``
  against the detections received) carries nothing the measurement-level tracker lacks: it is
  fused when it associates, and otherwise it is not a system track of its own (a partner's
  second track on one object, its track lagging in reentry, a phantom its tracker alone
  keeps). Only a local track with something of its own (an infrared-only boost, a sensor whose
  detections are withheld) stands alone when no measurement-level track holds its object, and
  only while its partner updates it (``LOCAL_UNHELD_S``), or while its partner says it
  coasts on the boost its tracker fitted (``LocalTrack.coasting_on_fit``: a one-satellite
  launch's predicted flight, its covariance the fit's, till a sensor sees it again or its
  partner's tracker ends it at impact); a second one of the same partner
  inside the keep gate of a system track it could have joined is that partner's duplicate and
  is dropped. A local track missing from its partner's latest report is one the partner
  dropped.
- Local tracks standing alone are grouped across partners (one per partner, each inside the
  group's gate) and CI-fused into one system track.
- The measurement-level tracker may itself hold two tracks of one object (one born on
  detections the other missed). Two of its tracks whose full states pass a chi-square test
  under the sum of their covariances (``MERGE_GATE_CHI2``; kept within ``MERGE_KEEP_CHI2``)
  are reported as one system track, CI-fused, under the older id, unless two recent scans of
  one sensor updated both (``RESOLVED_SCANS``): a sensor measures an object once per scan, so
  such a pair is two objects it resolved (a spent stage and its payload).
- The tracker may lose an object (a stage lit whose thrust its motion model does not expect)
  and start a new track on it, while the lost one flies on, overconfident, until its radars'
  misses delete it: no gate on their states holds the two. A track whose sensor's detections
  of its object went over to a new track born where it was (``_superseded_by``) is reported
  inside that one, which takes its id; its state is left out. A partner's plume (its own
  infrared, shared as a track only) that left the track for the new one says the same where
  the lost track slid onto a neighbour, which a second sensor then held in the new track's
  scans (``_note_plumes``).

System track ids are stable: a measurement-level track keeps its id for life; a local-only
system track keeps its id while any of its local tracks lives, and passes it to the
re-initiated local track of a partner that lost its own (a standing-alone local track inside
its keep gate within ``local_max_age_s``); when a measurement-level track first takes up local
tracks, it inherits the oldest id they stood under, and a system track that a
measurement-level track takes over later is merged into the older of the two ids; a
measurement-level track merged into an older one that the tracker then drops takes up its id.
A local-only system track (a stack seen by infrared alone) whose pieces the tracker starts
together, after they parted and before any of its tracks was confirmed, passes its id to the
piece ahead along its velocity (the payload: a spent stage falls behind), whichever piece its
local tracks, a prediction since the plume went out, are assigned to; the others are its pieces
(``parent``). While the new tracks' order is in doubt the id may pass once to a piece surely
ahead of its holder (``HEIR_SWAP_SIGMAS``).

A local track starts a system track of its own only if a sensor of its own (one whose
detections the fusion lacks) updated it lately (``LOCAL_FRESH_S``): an update by a radar the
fusion has is already in the measurement-level tracker (srbm-salvo: a partner's infrared
track, coasting unseen for a minute after burnout, took one radar detection 600 m off its
object's system track along the radar's 5 m range sigma, and stood alone for 30 s).

All times are message times (the detections' ``t_ns``), never the wall clock, so fusing the same
messages in the same order gives the same picture: the exchange's replay relies on it.
"""

from __future__ import annotations

import heapq
import itertools
import math
import os
from collections import deque
from dataclasses import dataclass, field, replace

import numpy as np
from scipy.optimize import linear_sum_assignment
from scipy.stats import chi2

from lookout.messages import (
    Detection,
    DetectionBatch,
    Heartbeat,
    LaunchFit,
    LocalTrack,
    LocalTrackBatch,
)
from lookout.physics.frame import rotating_frame_acceleration
from lookout.timebase import NS_PER_S, ns_to_s, s_to_ns
from lookout.tracking.config import TrackerConfig
from lookout.tracking.log import TrackLog
from lookout.tracking.tracker import Tracker

#: Chi-square (3 dof) gate for a new association of a local track with a system track: 99.9%.
LOCAL_GATE_CHI2 = float(chi2.ppf(0.999, 3))
#: ... and for keeping an association made at the last report: a consistent pair falls outside
#: it once in 10^6 reports. A chance miss of the 99.9 % gate would otherwise split one object
#: into two system tracks for a report (measured before it: a partner's precise track 25-45
#: chi-square units from the exchange's of the same object, 10^4 from the other object of
#: the pair, while the two trackers' covariances disagreed).
KEEP_GATE_CHI2 = float(chi2.ppf(1.0 - 1e-6, 3))
#: A local track that no measurement-level track holds stands alone only while its partner
#: updates it (s since its covariance last shrank): a partner's prediction of an object its
#: sensors lost is not a picture (measured on depressed-srbm-pair: an infrared track that had
#: taken the next missile's plume into a coasting estimate, flown on unseen for 170 s with a
#: velocity 1.5 km/s out and a 15 m/s sigma, shown as a launch of its own).
LOCAL_UNHELD_S = 30.0
#: ... and a local track no sensor of its own (one whose detections the fusion lacks) has
#: updated for this long (s) starts no system track of its own: it only goes on standing
#: alone if it stood alone at the last report (an update by a sensor the fusion has is in the
#: measurement-level tracker already: ``PictureFusion._measured_at``). Measured
#: on gen-1-05 (branch stale-tracks): a partner's local track of an SRBM, unseen since 175 s,
#: fused into the fusion's own stale track of it until that was deleted at 187 s, then stood
#: alone as a new system track (S8) whose first assessment put the impact in KP.
LOCAL_FRESH_S = 3.0
#: Cost (chi-square units) taken off a pairing kept from the last report in the assignment:
#: 2 ln of the odds of staying with an object against switching to another (10^4 to one).
STAY_BONUS = 2.0 * math.log(1e4)
#: Chi-square (6 dof, full state) test that two measurement-level tracks are one object: 99.9 %
#: for a new pair, and ``MERGE_KEEP_CHI2`` (1 - 10^-6) to keep a pair merged at the last report.
#: The difference of two tracks of one object has a covariance below ``P1 + P2`` when their
#: errors are positively correlated (shared detections, the same motion model), so a true
#: duplicate passes it; two objects the sensors resolve (a stage and its payload a kilometre
#: apart, two missiles of a salvo) do not.
MERGE_GATE_CHI2 = float(chi2.ppf(0.999, 6))
MERGE_KEEP_CHI2 = float(chi2.ppf(1.0 - 1e-6, 6))
#: Two tracks that scans of one sensor updated both (two detections of one look) at least
#: twice within the sensor's last ``RESOLVED_SCANS`` scans are two objects the sensor resolved,
#: however close their states: never merged. A sensor measures an object once per scan, so one
#: object's two tracks are updated by one scan only when one of them takes a false alarm, which
#: seldom repeats (slbm: the tracker's stale track, 27 km of sigma, took one at 165.1 s); two
#: resolved objects share fewer than two of five scans with probability 5.5·10⁻³ at
#: Pd = 0.9 (binomial, p = Pd² per scan).
RESOLVED_SCANS = 5
RESOLVED_COMMON = 2
#: The scans of a track no sensor updated for this long (s) are forgotten (a track that dead is
#: long gone from the picture; its evidence could only be older than ``RESOLVED_SCANS`` scans).
FORGET_SCANS_S = 600.0
#: A stack's id passed to its piece ahead (``PictureFusion._heirs_of_alone``) is settled there
#: once that piece is ahead of the others by ``HEIR_SURE_SIGMAS`` sigmas of their along-track
#: difference (one-sided, 0.13 % wrong), and passes, once, to a piece ahead of it by
#: ``HEIR_SWAP_SIGMAS`` (2.3 %) before: the tracks of pieces just born may change pieces
#: (gen-1-04: the pair's order 0.6 sigma the wrong way at birth, 2.3 sigmas the right way 2 s
#: later, when the tracks had each settled on a piece, 4.0 sigmas 4 s later; waiting for 3
#: sigmas to swap left the id 2 s on the stage's track, two more id switches per view). It is
#: settled at the latest ``HEIR_WINDOW_S`` after the takeover: a stage in the air is kilometres
#: behind by then (srbm-salvo: 4 km after 5 s, 5.4 sigmas); pieces pushed apart in vacuum at a
#: few m/s, tens of metres, keep their order at birth.
HEIR_SURE_SIGMAS = 3.0
HEIR_SWAP_SIGMAS = 2.0
HEIR_WINDOW_S = 10.0
#: Distinct detection times (t_ns) kept per sensor to tell a local track's update by a sensor
#: the fusion has from one by a sensor of the partner's own (``PictureFusion._measured_at``):
#: a radar scanning every second with a detection time per look keeps minutes of them; an
#: update older than that is taken as the partner's own, as before the test.
DETECTION_TIMES_KEPT = 4096
#: Candidate weights of covariance intersection, the ends included: ``w = 1`` (the first
#: estimate alone) is a member of the CI family (Julier & Uhlmann: ``w`` in [0, 1]) and its
#: minimum when the second adds nothing to the first's position (``Pb >= Pa``: then
#: ``w Pa^-1 + (1 - w) Pb^-1 <= Pa^-1`` for every ``w``, so ``P(w) >= Pa``, equal only at 1).
#: Without it a partner's local track of the data the fusion already holds (a radar-only
#: track, its position sigma 2-10 times the system track's) was fused at 0.98, the system
#: track's covariance scaled by up to 1/0.98 per partner: lofted-hwasong18's coast, three
#: partners, every system track's NEES 3-4 % under its measurement-level track's. From 1 down,
#: so that of equal ones (a tie) the first estimate, the system track's own, is kept.
_CI_WEIGHTS = np.linspace(1.0, 0.0, 51)


@dataclass
class FusedTrack:
    """One system track at a report instant (SI, ECEF)."""

    system_track_id: str
    t: float
    x: np.ndarray  # (6,)
    P: np.ndarray  # (6, 6)
    boost_prob: float
    partners: tuple[str, ...]
    tracker_id: int | None = None  # the measurement-level track, if any
    local: tuple[tuple[str, str], ...] = ()  # (partner, local track id) fused in
    absorbed: tuple[tuple[str, str], ...] = ()  # partners' duplicates on it, not fused
    merged: tuple[int, ...] = ()  # other measurement-level tracks of the object, fused in
    #: The system track it was born next to (a piece seen separating from it), if any.
    parent: str | None = None
    #: When a sensor last saw the object (s): the last detection of its measurement-level
    #: tracks, or the last update of its partners' local tracks; ``t`` minus it is how long
    #: the state has coasted unseen.
    last_seen: float | None = None
    #: An interim update (``PictureFusion(interim=True)``): the track alone, at its latest
    #: detection between two report instants, not a report of the whole picture.
    interim: bool = False
    #: The launch a partner's tracker fitted to one of its local tracks fused in
    #: (``LocalTrack.launch``: a track started from one satellite), the tightest of them.
    launch: LaunchFit | None = None


@dataclass
class _Local:
    partner: str
    track_id: str
    t: float
    x: np.ndarray
    P: np.ndarray
    boost_prob: float
    sensors: frozenset[str] = frozenset()
    #: When the partner last updated it (s): its ``last_detection_ns``; from a partner that
    #: does not say, the last message time at which its position covariance did not grow since
    #: the message before. That guess is wrong for a track coasting down through the air: drag
    #: shrinks its prediction's covariance (gen-1-05: the US node's infrared track 235, lost
    #: at 175 s 15 km up, looked updated at 243 s and stood alone as S6, a false impact on KP).
    held_t: float = 0.0
    #: When a sensor of its own (one whose detections the fusion lacks) last updated it (s), as
    #: far as the fusion can tell: its ``held_t`` unless that was a detection of a sensor the
    #: fusion has (``PictureFusion._measured_at``); -inf if never seen so.
    own_t: float = -math.inf
    #: The launch its partner's tracker fitted to it (``LocalTrack.launch``), if any.
    launch: LaunchFit | None = None
    #: Its partner's prediction from that fit, unseen since (``LocalTrack.coasting_on_fit``).
    on_fit: bool = False


@dataclass
class Provenance:
    """For scoring a picture against a simulation's truth (``lookout.scoring.picture``), never
    for the picture itself: the detections each measurement-level track took, and the
    measurement-level tracks of each system track at each report, so that a system track is
    judged on the object that gave it most of its detections, as the central tracker's tracks
    are (``lookout.scoring.association``). Kept from ``PictureFusion.keep_provenance()`` on;
    the detections of a track the tracker deleted before any report (a tentative track on
    clutter) are forgotten with it.

    A system track with no measurement-level track stands on partners' local tracks alone (a
    one-satellite boost, its infrared shared as tracks only): its detections are those its
    partners' trackers took, which the fusion never sees. ``local_taken`` holds them when the
    partners' nodes keep them (``PartnerNode.keep_provenance``, the embedded demo chain);
    without them such a track has no provenance and its estimates beyond the scorer's cut-off
    test no covariance (me73 #00: every partner's boost NEES judged on 2 of 64 samples)."""

    #: Measurement-level track id -> the detections it took, in order: (t_ns, sensor id, z).
    taken: dict[int, list[tuple[int, str, tuple[float, ...]]]] = field(default_factory=dict)
    #: (system track id, report t_ns) -> its measurement-level tracks, its own first.
    members: dict[tuple[str, int], tuple[int, ...]] = field(default_factory=dict)
    #: Measurement-level tracks in a report so far.
    reported: set[int] = field(default_factory=set)
    #: (system track id, report t_ns) -> the local tracks (partner, local track id) of a system
    #: track with no measurement-level track.
    locals: dict[tuple[str, int], tuple[tuple[str, str], ...]] = field(default_factory=dict)
    #: (partner, local track id) -> the detections its partner's tracker gave it, in order:
    #: (t_ns, sensor id, z); filled by the nodes (``PartnerNode.keep_provenance``).
    local_taken: dict[tuple[str, str], list[tuple[int, str, tuple[float, ...]]]] = field(
        default_factory=dict
    )
    #: Track id (a measurement-level track's, or (partner, local track id)) -> its position
    #: covariance (3, 3) after taking each of its ``taken`` (``local_taken``) detections, in the
    #: same order: whether it told a stack's pieces apart (``association.covariance_resolves``).
    taken_P: dict[int | tuple[str, str], list[np.ndarray]] = field(default_factory=dict)

    def note_reports(self, t: float, tracks: list[FusedTrack]) -> None:
        t_ns = s_to_ns(t)
        for f in tracks:
            if f.tracker_id is not None:
                ids = (f.tracker_id, *f.merged)
                self.members[(f.system_track_id, t_ns)] = ids
                self.reported.update(ids)
            elif f.local:
                self.locals[(f.system_track_id, t_ns)] = tuple(f.local)


@dataclass
class FusionCounters:
    detections: int = 0
    late_detections: int = 0
    local_tracks: int = 0
    #: Local tracks left out of a report: redundant (every sensor's detections at hand) and
    #: with no measurement-level track, or a partner's second track on one object.
    locals_absorbed: int = 0
    #: Measurement-level tracks reported inside another track of the same object (per report).
    tracks_merged: int = 0
    reports: int = 0
    per_partner: dict[str, int] = field(default_factory=dict)


def _coast(x: np.ndarray, P: np.ndarray, dt: float) -> tuple[np.ndarray, np.ndarray]:
    """A local track carried ``dt`` s forward (a fraction of a report period): ``_coast_many``
    of one."""
    xn, Pn = _coast_many(x[None], P[None], np.array([float(dt)]))
    return xn[0], Pn[0]


def _coast_many(x: np.ndarray, P: np.ndarray, dt: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """States (N, 6), covariances (N, 6, 6) carried each ``dt`` (N,) s forward (a fraction of a
    report period; none at or below 1 ns): constant acceleration of gravity and the rotating
    frame over the step, and the covariance through the constant-velocity transition."""
    dt = np.where(np.asarray(dt, dtype=float) > 1e-9, dt, 0.0)
    pos, vel = x[:, :3], x[:, 3:]
    acc = rotating_frame_acceleration(pos, vel)
    d = dt[:, None]
    xn = np.concatenate([pos + vel * d + 0.5 * acc * d * d, vel + acc * d], axis=1)
    F = np.broadcast_to(np.eye(6), P.shape).copy()
    F[:, 0, 3] = F[:, 1, 4] = F[:, 2, 5] = dt
    return xn, F @ P @ F.transpose(0, 2, 1)


def covariance_intersection_many(
    xa: np.ndarray, Pa: np.ndarray, xb: np.ndarray, Pb: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Covariance intersection of pairs of estimates (K, n) with covariances (K, n, n), each
    pair's weight (of ``_CI_WEIGHTS``) the one minimising the trace of the fused position
    block."""
    ia, ib = np.linalg.inv(Pa), np.linalg.inv(Pb)
    best, P = _ci_search(ia, ib)
    wb = _CI_WEIGHTS[best][:, None]
    info_x = wb * np.einsum("kij,kj->ki", ia, xa) + (1.0 - wb) * np.einsum("kij,kj->ki", ib, xb)
    x = np.einsum("kij,kj->ki", P, info_x)
    # At an end, one estimate as it is (not its covariance inverted twice).
    a_alone, b_alone = wb[:, 0] == 1.0, wb[:, 0] == 0.0
    x = np.where(a_alone[:, None], xa, np.where(b_alone[:, None], xb, x))
    P = np.where(a_alone[:, None, None], Pa, np.where(b_alone[:, None, None], Pb, P))
    return x, 0.5 * (P + P.transpose(0, 2, 1))


def _ci_search_numpy(ia: np.ndarray, ib: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each pair's weight (index into ``_CI_WEIGHTS``) of least fused position trace, and its
    fused covariance ``(w ia + (1 - w) ib)⁻¹``: every weight inverted."""
    w = _CI_WEIGHTS[None, :, None, None]
    P_all = np.linalg.inv(w * ia[:, None] + (1.0 - w) * ib[:, None])
    best = np.argmin(np.trace(P_all[:, :, :3, :3], axis1=2, axis2=3), axis=1)
    return best, P_all[np.arange(len(best)), best]


def _ci_search(ia: np.ndarray, ib: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``_ci_search_numpy``'s weights and covariances, to the bit, with the weights shortlisted
    by the compiled traces (``lookout.picture.compiled``: numpy inverts only the weights within
    ``SHORTLIST_REL`` of a pair's least trace, some 1-3 of 51); the numpy search whole with
    ``LOOKOUT_NUMPY_STEP=1``, for no pairs, and for a pair whose traces are not all finite."""
    k = ia.shape[0]
    if k == 0 or os.environ.get("LOOKOUT_NUMPY_STEP", "") not in ("", "0"):
        return _ci_search_numpy(ia, ib)
    from lookout.picture import compiled

    approx = compiled.ci_traces(
        np.ascontiguousarray(ia, dtype=float), np.ascontiguousarray(ib, dtype=float), _CI_WEIGHTS
    )
    whole = ~np.isfinite(approx).all(axis=1)
    least = np.min(np.where(whole[:, None], 0.0, approx), axis=1)
    short = (approx <= least[:, None] * (1.0 + compiled.SHORTLIST_REL)) & ~whole[:, None]
    kk, jj = np.nonzero(short)  # row-major: each pair's weights in ascending order
    wj = _CI_WEIGHTS[jj][:, None, None]
    P_short = np.linalg.inv(wj * ia[kk] + (1.0 - wj) * ib[kk])
    tr = np.full(approx.shape, np.inf)
    tr[kk, jj] = np.trace(P_short[:, :3, :3], axis1=1, axis2=2)
    whole[kk[~np.isfinite(tr[kk, jj])]] = True
    best = np.argmin(tr, axis=1)
    P = np.empty_like(ia)
    at = np.full(approx.shape, -1, dtype=np.int64)
    at[kk, jj] = np.arange(kk.size)
    ok = ~whole
    P[ok] = P_short[at[ok, best[ok]]]
    if whole.any():
        best[whole], P[whole] = _ci_search_numpy(ia[whole], ib[whole])
    return best, P


def _fuse_locals(
    x: np.ndarray, P: np.ndarray, keys_of: dict[int, list], locals_now: dict
) -> tuple[np.ndarray, np.ndarray]:
    """States (n, 6), covariances (n, 6, 6) with each row's local tracks ``keys_of[row]`` (keys
    of ``locals_now``) fused in, in that order, by covariance intersection: one batch per
    place in the rows' lists (``covariance_intersection`` pair by pair gave the same figures,
    with numpy's overhead per pair)."""
    x, P = x.copy(), P.copy()
    for place in range(max(map(len, keys_of.values()), default=0)):
        rows = [i for i, keys in keys_of.items() if len(keys) > place]
        lx = np.array([locals_now[keys_of[i][place]][0] for i in rows])
        lP = np.array([locals_now[keys_of[i][place]][1] for i in rows])
        x[rows], P[rows] = covariance_intersection_many(x[rows], P[rows], lx, lP)
    return x, P


def covariance_intersection(
    xa: np.ndarray, Pa: np.ndarray, xb: np.ndarray, Pb: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """CI of two estimates (n,) with covariances (n, n): ``covariance_intersection_many`` of
    one pair."""
    x, P = covariance_intersection_many(xa[None], Pa[None], xb[None], Pb[None])
    return x[0], P[0]


class PictureFusion:
    """Fuses partners' messages into system tracks reported every ``report_period_s``.

    ``ingest(sender, message)`` takes ``Detection``, ``DetectionBatch``, ``LocalTrack``,
    ``LocalTrackBatch`` (its tracks one by one, as if each came alone) and ``Heartbeat``
    messages (others are ignored) and returns the ``FusedTrack``s of every report instant the
    watermark passed, in order, as ``[(t, [FusedTrack, ...]), ...]``.
    """

    def __init__(
        self,
        config: TrackerConfig | None = None,
        *,
        report_period_s: float = 1.0,
        latency_s: float = 1.0,
        local_max_age_s: float = 5.0,
        first_system_track_id: int = 1,
        interim: bool | str = False,
    ) -> None:
        # Radar detections alone reach this tracker (infrared comes as partners' tracks): it
        # sees no boost and so no parting, and every pair of its tracks is strangers.
        self.tracker = Tracker(
            replace(config or TrackerConfig(), stranger_updates=True), keep_updates=False
        )
        self.interim = interim
        self.report_period_s = report_period_s
        self.latency_s = latency_s
        self.local_max_age_s = local_max_age_s
        self.counters = FusionCounters()
        self._buffer: list[tuple[int, int, str, Detection]] = []
        self._arrivals = 0
        self._processed_t_ns = -(2**63)
        self._latest_t_ns: int | None = None
        # Each partner whose data the fusion takes, and the clock of its latest heartbeat (None
        # until it sends one): every message of it up to that time has arrived.
        self._clock_of: dict[str, int | None] = {}
        self._next_report: int | None = None  # index k of the next report instant
        self._n_fed = 0  # detections given to the tracker so far (its detection indices)
        self._partners_of_track: dict[int, set[str]] = {}
        self._locals: dict[tuple[str, str], _Local] = {}
        self._sys_of_track: dict[int, str] = {}
        self._sys_of_local: dict[tuple[str, str], str] = {}
        # The measurement-level track each local track was fused with at the last report.
        self._pair_of_local: dict[tuple[str, str], int] = {}
        # Measurement-level tracks merged into another (of the same object) at the last report.
        self._merged_into: dict[int, int] = {}
        # Each measurement-level track's state at the last report: (t, x, P).
        self._last_states: dict[int, tuple[float, np.ndarray, np.ndarray]] = {}
        # The latest scans (t_ns) of each sensor that updated each measurement-level track, and
        # each sensor's scan period (s, the least spacing of its scans seen).
        self._scans_of_track: dict[int, dict[str, deque[int]]] = {}
        # Each of those tracks' latest scan (t_ns) over its sensors (``_latest_scan``).
        self._latest_scan_of_track: dict[int, int] = {}
        # The first scan (t_ns) of each sensor that updated each of those tracks
        # (``_superseded``), and the tracks superseded at the last report: lost one -> successor.
        self._first_scan_of_track: dict[int, dict[str, int]] = {}
        self._superseded: dict[int, int] = {}
        # The measurement-level track each partner's plume (``_plume_keys``) was last fused
        # with, and the tracks a plume left for a younger track not born next to them: lost
        # one -> the track the plume went to (``_superseded_by``).
        self._plume_with: dict[tuple[str, str], int] = {}
        self._plume_left: dict[int, int] = {}
        # Every lost track's last successor, kept after either dies (a parent shown as it).
        self._successor_of: dict[int, int] = {}
        # Each measurement-level track's elders whose position held it at its first report.
        self._born_at: dict[int, set[int]] = {}
        self._scan_period: dict[str, float] = {}
        self._last_scan: dict[str, int] = {}
        # Local-only system tracks at the last report: id -> (t, x, P, partners), for a
        # partner's re-initiated local track to take up.
        self._alone: dict[str, tuple[float, np.ndarray, np.ndarray, frozenset[str]]] = {}
        # Measurement-level tracks started on a piece of a local-only system track behind the
        # piece that took up its id (``_heirs_of_alone``): tracker id -> that id.
        self._piece_of: dict[int, str] = {}
        # Stacks whose id a piece took up, in doubt (``_settle_heirs``): id -> (time, the
        # pieces' tracker ids).
        self._heirs: dict[str, tuple[float, list[int]]] = {}
        # Sensors whose detections reach the fusion, and the latest times (t_ns) of each one's
        # detections, in arrival order and as a set (``_measured_at``).
        self._measured: set[str] = set()
        self._detection_times: dict[str, tuple[deque[int], set[int]]] = {}
        # A restarted exchange starts above every id it may have given (lookout.exchange).
        self._next_sys = first_system_track_id
        # ``interim``: each measurement-level track's latest update since the last report
        # (t, x, P, boost_prob), and the system track each one was reported as, alone (no other
        # track merged into it), at the last report.
        self._fresh: dict[int, tuple[float, np.ndarray, np.ndarray, float]] = {}
        self._reported: dict[int, FusedTrack] = {}
        self.provenance: Provenance | None = None

    def keep_provenance(self) -> Provenance:
        """Keep from now on what a scorer needs to tell which object each system track's
        detections came from (``Provenance``; memory grows with the detections of reported
        tracks)."""
        if self.provenance is None:
            self.provenance = Provenance()
        return self.provenance

    # ------------------------------------------------------------------ input

    def ingest(self, sender: str, message) -> list[tuple[float, list[FusedTrack]]]:
        if isinstance(message, DetectionBatch):
            for det in message.detections:
                self._buffer_detection(sender, det)
        elif isinstance(message, Detection):
            self._buffer_detection(sender, message)
        elif isinstance(message, Heartbeat):
            # Everything of the partner up to its clock is in, and before its promise, if any.
            t = message.t_ns if message.next_ns is None else max(message.t_ns, message.next_ns - 1)
            old_t = self._clock_of.get(sender)
            if old_t is None or t > old_t:
                self._clock_of[sender] = t
            return self._drain(step_ns=message.t_ns)
        elif isinstance(message, LocalTrackBatch):
            # A partner's report: its tracks one by one, as if each had come alone (the same
            # picture, whatever the envelopes).
            out = []
            for track in message.tracks:
                out += self.ingest(sender, track)
            return out
        elif isinstance(message, LocalTrack):
            self._clock_of.setdefault(sender, None)
            self.counters.local_tracks += 1
            key = (sender, message.track_id)
            t, P = ns_to_s(message.t_ns), np.asarray(message.P, dtype=float)
            old = self._locals.get(key)
            sensors = frozenset(message.sensors)
            own_t = old.own_t if old is not None else -math.inf
            if message.last_detection_ns is not None:
                # The partner says when its sensors last saw the object.
                held_t = min(ns_to_s(message.last_detection_ns), t)
                if old is None or held_t != old.held_t:
                    if not self._measured_at(sensors, message.last_detection_ns):
                        own_t = held_t
            elif old is None or np.trace(P[:3, :3]) <= np.trace(old.P[:3, :3]) * (1 + 1e-9):
                held_t = own_t = t
            else:
                held_t = old.held_t
            self._locals[key] = _Local(
                sender,
                message.track_id,
                t,
                np.asarray(message.x, dtype=float),
                P,
                message.boost_prob,
                sensors,
                held_t,
                own_t,
                message.launch,
                message.coasting_on_fit,
            )
            self._advance(message.t_ns)
            return self._drain()
        else:
            return []
        return self._drain()

    def flush(self) -> list[tuple[float, list[FusedTrack]]]:
        """Process everything buffered and report up to the latest time seen."""
        if self._latest_t_ns is None:
            return []
        self._latest_t_ns += s_to_ns(self.latency_s) + 1
        return self._drain()

    def _buffer_detection(self, sender: str, det: Detection) -> None:
        self.counters.detections += 1
        self.counters.per_partner[sender] = self.counters.per_partner.get(sender, 0) + 1
        self._clock_of.setdefault(sender, None)
        self._measured.add(det.sensor_id)
        times = self._detection_times.get(det.sensor_id)
        if times is None:
            times = self._detection_times[det.sensor_id] = (deque(), set())
        if det.t_ns not in times[1]:
            times[0].append(det.t_ns)
            times[1].add(det.t_ns)
            if len(times[0]) > DETECTION_TIMES_KEPT:
                times[1].discard(times[0].popleft())
        if det.t_ns < self._processed_t_ns:
            self.counters.late_detections += 1
            return
        self._arrivals += 1
        heapq.heappush(self._buffer, (det.t_ns, self._arrivals, sender, det))
        self._advance(det.t_ns)

    def _measured_at(self, sensors: frozenset[str], t_ns: int) -> bool:
        """Whether one of ``sensors`` whose detections reach the fusion made one at ``t_ns``
        (to the nanosecond: the partner's tracker's update time of its track, from that
        detection's time): then the update of a local track at ``t_ns`` is information the
        measurement-level tracker has too."""
        for sensor in sensors & self._measured:
            times = self._detection_times[sensor][1]
            if t_ns in times or t_ns - 1 in times or t_ns + 1 in times:
                return True
        return False

    def _advance(self, t_ns: int) -> None:
        if self._latest_t_ns is None or t_ns > self._latest_t_ns:
            self._latest_t_ns = t_ns
        if self._next_report is None:
            self._next_report = math.floor(ns_to_s(t_ns) / self.report_period_s) + 1

    # ------------------------------------------------------------------ processing

    def _drain(self, step_ns: int | None = None) -> list[tuple[float, list[FusedTrack]]]:
        """Process what the watermark passed, report the instants it passed, and send the
        interim updates; with ``interim="step"``, while the partners' clocks set the watermark,
        only at a heartbeat (of clock ``step_ns``) the watermark reached."""
        if self._latest_t_ns is None:
            return []
        watermark = self._latest_t_ns - s_to_ns(self.latency_s)
        clocks = self._clock_of.values()
        by_clocks = False
        if clocks and None not in clocks:
            by_clocks = min(clocks) > watermark
            watermark = max(watermark, min(clocks))
        out = []
        while True:
            t_report = self._next_report * self.report_period_s
            t_report_ns = s_to_ns(t_report)
            upto = min(watermark, t_report_ns)
            self._process_until(upto)
            if t_report_ns > watermark:
                break
            out.append((t_report, self._report(t_report)))
            self._next_report += 1
        hold = self.interim == "step" and by_clocks and (step_ns is None or watermark < step_ns)
        if self._fresh and not hold:
            out += self._interim()
        return out

    def _process_until(self, t_ns: int) -> None:
        chunk, partners = [], []
        while self._buffer and self._buffer[0][0] <= t_ns:
            _, _, sender, det = heapq.heappop(self._buffer)
            chunk.append(det)
            partners.append(sender)
        if not chunk:
            return
        self._processed_t_ns = max(self._processed_t_ns, chunk[-1].t_ns)
        first, self._n_fed = self._n_fed, self._n_fed + len(chunk)
        for det in chunk:
            last = self._last_scan.get(det.sensor_id)
            if last is not None and det.t_ns > last:
                gap = ns_to_s(det.t_ns - last)
                self._scan_period[det.sensor_id] = min(
                    gap, self._scan_period.get(det.sensor_id, math.inf)
                )
            if last is None or det.t_ns > last:
                self._last_scan[det.sensor_id] = det.t_ns
        rows = self.tracker.process(chunk)
        if self.interim and len(rows):
            bp = rows.boost_prob.tolist()
            for k, tid in enumerate(rows.track_id.tolist()):  # in update order: the latest last
                self._fresh[tid] = (float(rows.t[k]), rows.x[k], rows.P[k], bp[k])
        track_ids, det_index = rows.track_id.tolist(), rows.detection_index.tolist()
        for k, (tid, di) in enumerate(zip(track_ids, det_index, strict=True)):
            if di >= first:
                self._partners_of_track.setdefault(tid, set()).add(partners[di - first])
                det = chunk[di - first]
                if self.provenance is not None:
                    self.provenance.taken.setdefault(tid, []).append(
                        (det.t_ns, det.sensor_id, tuple(det.z))
                    )
                    self.provenance.taken_P.setdefault(tid, []).append(rows.P[k, :3, :3].copy())
                scans = self._scans_of_track.setdefault(tid, {}).get(det.sensor_id)
                if scans is None:
                    scans = self._scans_of_track[tid][det.sensor_id] = deque(maxlen=RESOLVED_SCANS)
                    self._first_scan_of_track.setdefault(tid, {})[det.sensor_id] = det.t_ns
                if not scans or scans[-1] != det.t_ns:
                    scans.append(det.t_ns)
                    latest = self._latest_scan_of_track.get(tid)
                    if latest is None or det.t_ns >= latest:
                        self._latest_scan_of_track[tid] = det.t_ns
                    else:  # an earlier scan than the latest: the latest over the sensors again
                        self._latest_scan_of_track[tid] = _latest_scan(self._scans_of_track[tid])

    def _report(self, t: float) -> list[FusedTrack]:
        self.counters.reports += 1
        tracks = self.tracker.report(t)
        rep, members = self._merge_same_objects(tracks)
        locals_now = self._locals_at(t)
        tids = [ms[0] for ms in members]
        row_of = {tid: i for i, ms in enumerate(members) for tid in ms}
        d2_of = self._held_d2(rep, tracks, row_of, locals_now)
        pairs = self._assign_locals(rep, row_of, locals_now, d2_of)
        fused: list[tuple[int, FusedTrack]] = []
        # Ids of the reported measurement-level tracks (and of those merged into another, kept
        # for their return): never handed to another.
        taken: set[str] = {self._sys_of_track[i] for i in row_of if i in self._sys_of_track}
        used = set(pairs)
        absorbed: dict[int, list[tuple[str, str]]] = {}
        loose = [k for k in locals_now if k not in used]
        alone = []
        for key in loose:
            i = self._duplicate_of(key, d2_of[key], pairs)
            if i is not None:
                absorbed.setdefault(i, []).append(key)
            elif (
                self._redundant(locals_now[key])
                or (t - locals_now[key][4] > LOCAL_UNHELD_S and not locals_now[key][7])
                or (t - locals_now[key][5] > LOCAL_FRESH_S and not self._stood_alone(key))
            ):
                self.counters.locals_absorbed += 1
            else:
                alone.append(key)
        self.counters.locals_absorbed += sum(len(v) for v in absorbed.values())
        mine: dict[int, list[tuple[str, str]]] = {}
        for key, i in pairs.items():
            mine.setdefault(i, []).append(key)
        # A stack standing alone whose pieces the tracker starts together: its id goes to the
        # piece ahead, the others are pieces of it.
        self._settle_heirs(t, rep, tids)
        for i, sys_id in self._heirs_of_alone(t, rep, tids, mine).items():
            self._sys_of_track[tids[i]] = sys_id
            self._alone.pop(sys_id, None)
            taken.add(sys_id)
        # Measurement-level tracks: new ones first take up the ids their locals stood under.
        order = sorted(range(len(tids)), key=lambda i: tids[i] in self._sys_of_track)
        every = [tid for ms in members for tid in ms]
        seen_of = dict(zip(every, self.tracker.last_update(every).tolist(), strict=True))
        keys_of = {i: sorted(keys) for i, keys in mine.items()}
        # A local track all of whose sensors' detections the measurement-level tracker holds,
        # unupdated for LOCAL_FRESH_S, is not fused in: it adds no information, only its
        # partner's model errors, counted a second time (world65 #02: the US node's new track
        # of one radar, overconfident, NEES 205, taken by CI at weight 0 over the system
        # track's, NEES 0.4, and carried 350 s).
        fuse_of = {
            i: [k for k in keys if not self._stale_redundant(t, locals_now[k][3], locals_now[k][4])]
            for i, keys in keys_of.items()
        }
        fused_x, fused_P = _fuse_locals(rep.x, rep.P, fuse_of, locals_now)
        for i in order:
            tid = tids[i]
            keys = keys_of.get(i, [])
            x, P = fused_x[i], fused_P[i]
            bp = float(rep.boost_prob[i])
            for key in keys:
                if not self._redundant(locals_now[key]):
                    # A local track with sensors of its own (infrared, shared as tracks only)
                    # has seen what the measurement-level tracker has not: a plume seen is
                    # thrust. Measured on a generated IRBM (gen-1-00): 66 s into the burn, the
                    # radar-only track at 0.03 boost, the partner's infrared track fused into
                    # it at 0.996; the system track was assessed as coasting and its
                    # ballistic impact claimed on the launching state.
                    bp = max(bp, float(locals_now[key][2]))
            sys_id = self._system_id_of_track(tid, keys, taken)
            taken.add(sys_id)
            for key in keys:
                self._sys_of_local[key] = sys_id
                self._pair_of_local[key] = tid
            self._note_plumes(t, tid, i, keys, locals_now, row_of)
            partners = {k[0] for k in keys}
            for member in members[i]:
                partners |= self._partners_of_track.get(member, set())
            seen = [seen_of[member] for member in members[i]]
            seen += [locals_now[key][4] for key in keys]
            fused.append(
                (
                    i,
                    FusedTrack(
                        sys_id,
                        t,
                        x,
                        P,
                        bp,
                        tuple(sorted(partners)),
                        tid,
                        tuple(keys),
                        tuple(sorted(absorbed.get(i, []))),
                        tuple(members[i][1:]),
                        self._parent_system_id(tid, sys_id),
                        _latest(seen),
                        launch=_tightest(locals_now[key][6] for key in keys),
                    ),
                )
            )
        for key in set(self._pair_of_local) - used:
            del self._pair_of_local[key]
        for key in set(self._plume_with) - set(self._locals):
            del self._plume_with[key]
        self._forget_deleted_tracks()
        fused.sort(key=lambda r: r[0])
        if self.interim:
            self._fresh = {}  # in this report
            self._reported = {f.tracker_id: f for _, f in fused if not f.merged}
        out = [f for _, f in fused] + self._stand_alone(t, alone, locals_now, taken)
        if self.provenance is not None:
            self.provenance.note_reports(t, out)
        return out

    def _note_plumes(self, t: float, tid: int, row: int, keys, locals_now, row_of) -> None:
        """Note the partners' plumes fused into measurement-level track ``tid`` (row ``row``)
        at this report: a local track with a sensor of its own (infrared, shared as tracks
        only) that saw it lately (``LOCAL_FRESH_S``) in boost (``boost_prob`` of one half or
        more). A plume last fused with an older track that is still reported on its own, and
        now with ``tid``, a younger one not born next to it (``Tracker.parent_of``: not a
        piece separating from it), left that track for ``tid`` (``_plume_left``): the
        partner's own sensor follows the burning object into ``tid``."""
        for key in keys:
            local = locals_now[key]
            if self._redundant(local) or local[2] < 0.5 or t - local[5] > LOCAL_FRESH_S:
                continue
            prev = self._plume_with.get(key)
            if (
                prev is not None
                and prev < tid
                and row_of.get(prev, row) != row
                and not self._descends_from(tid, {prev})
            ):
                self._plume_left[prev] = tid
            self._plume_with[key] = tid

    def _plume_lost(self, a: int, b: int) -> bool:
        """Whether a partner's plume left one of measurement-level tracks ``a``, ``b`` for the
        other (``_note_plumes``)."""
        return self._plume_left.get(a) == b or self._plume_left.get(b) == a

    def _forget_deleted_tracks(self) -> None:
        """Forget the partners of the measurement-level tracks the tracker no longer holds.

        ``_partners_of_track`` is read only for tracks in a report or in the updates since the
        last one (``_interim``), and the tracker neither reports nor updates a track it deleted,
        nor gives its id again; a tentative track, never reported, keeps its entry while the
        tracker holds it. Kept for every track ever started, it grew with the run: mass-raid
        started some 6,700 tracks (most of them tentative, on clutter) by 300 s.

        The same for the scans of each track (``_scans_of_track``, its first and latest scans),
        but one report later: they are read for the tracks of a report (``_resolved``,
        ``_superseded_by``) and for a track of the last report the tracker has dropped since
        (``_pass_dropped_ids``), so they go once the tracker no longer holds the track and it
        is not in this report's states (``_last_states``). They were kept ``FORGET_SCANS_S``
        (600 s) after the track's last detection: some 400 B for each tentative track on
        clutter, a ramp of some 5 MB on mass-raid that flattened only after ten minutes."""
        ids = list(self._partners_of_track.keys() | self._scans_of_track.keys())
        if ids:
            gone = np.isnan(self.tracker.last_update(ids)).tolist()
            for tid in itertools.compress(ids, gone):
                self._partners_of_track.pop(tid, None)
                self._plume_left.pop(tid, None)
                if self.provenance is not None and tid not in self.provenance.reported:
                    self.provenance.taken.pop(tid, None)
                    self.provenance.taken_P.pop(tid, None)
                if tid not in self._last_states and tid in self._scans_of_track:
                    del self._scans_of_track[tid]
                    self._latest_scan_of_track.pop(tid, None)
                    self._first_scan_of_track.pop(tid, None)

    def _interim(self) -> list[tuple[float, list[FusedTrack]]]:
        """Interim updates of the system tracks whose measurement-level track took detections
        since the last report: each at its latest detection, fused as at the last report with
        the local tracks fused into it then (carried to that time). Only a track reported at
        the last report, alone (no other track merged into it), is updated so; a new track,
        or a group of merged ones, waits for the next report instant. Nothing of the fusion's
        state changes: the reports are those of a fusion without interim updates."""
        fresh, self._fresh = self._fresh, {}
        rows = [(tid, last, fresh[tid]) for tid, last in self._reported.items() if tid in fresh]
        if not rows:
            return []
        # Every row's local tracks of the last report still held, carried to the row's time in
        # one batch, then fused into the rows in one batch per place in their chains.
        chains: list[list[tuple[int, tuple[str, str], _Local]]] = []
        flat: list[tuple[int, _Local, float]] = []
        for _, last, (t, *_rest) in rows:
            chain = []
            for key in last.local:
                v = self._locals.get(key)
                if v is not None and v.t <= t + 1e-9:
                    chain.append((len(flat), key, v))
                    flat.append((len(chains), v, t))
            chains.append(chain)
        # As at the report, a local track of the fusion's own detections is not fused in.
        fuse = [[c for c in chain
                 if not self._stale_redundant(t, c[2].sensors, c[2].held_t)]
                for chain, (_, _, (t, *_r)) in zip(chains, rows, strict=True)]  # fmt: skip
        x = np.array([r[2][1] for r in rows])
        P = np.array([r[2][2] for r in rows])
        if flat:
            lx, lP = _coast_many(
                np.array([v.x for _, v, _ in flat]),
                np.array([v.P for _, v, _ in flat]),
                np.array([t - v.t for _, v, t in flat]),
            )
            for place in range(max(len(c) for c in fuse)):
                sel = [i for i, c in enumerate(fuse) if len(c) > place]
                which = [fuse[i][place][0] for i in sel]
                x[sel], P[sel] = covariance_intersection_many(x[sel], P[sel], lx[which], lP[which])
        out = []
        for i, (tid, last, (t, _, _, bp)) in enumerate(rows):
            keys = [key for _, key, _ in chains[i]]
            seen = [t] + [v.held_t for _, _, v in chains[i]]
            for _, _, v in chains[i]:
                if not self._measured_only(v.sensors):
                    bp = max(bp, float(v.boost_prob))
            partners = {k[0] for k in keys} | self._partners_of_track.get(tid, set())
            out.append(
                FusedTrack(
                    last.system_track_id, t, x[i], P[i], bp, tuple(sorted(partners)), tid,
                    tuple(keys), last.absorbed, (), last.parent, _latest(seen), interim=True,
                    launch=last.launch,
                )
            )  # fmt: skip
        return [(max(f.t for f in out), out)]

    def _parent_system_id(self, tid: int, sys_id: str) -> str | None:
        """The system id of the track measurement-level track ``tid`` was born next to
        (``Tracker.parent_of``), or of the stack it was a piece of (``_heirs_of_alone``),
        unless that is its own (the two merged as one object)."""
        p = self.tracker.parent_of.get(tid)
        # A parent that lost its object is shown as its successor (``_superseded_by``).
        p = self._successor_of.get(p, p)
        parent = self._sys_of_track.get(p) if p is not None else self._piece_of.get(tid)
        return parent if parent != sys_id else None

    def _heirs_of_alone(self, t: float, rep, tids: list[int], mine) -> dict[int, str]:
        """New measurement-level tracks (rows of ``rep``) that take up a local-only system
        track of the last report as its pieces: ``{row: id}`` of the piece ahead along its
        velocity; the other new rows inside its gate are recorded as its pieces
        (``_piece_of``).

        A stack seen by infrared alone stands alone until the radars' tracks of it appear; when
        it parted first (a spent stage behind its payload, seconds after burnout, before any
        radar's track was confirmed) the tracker starts a track on each piece at once, with no
        track to be born next to, and the stack's local tracks, a prediction since the plume
        went out, are assigned to one of them by chance: lagging (the stage's drag and the
        boost mode's thrust prior after burnout), they went to the stage in srbm-salvo's three
        such partings, which took the missile's id. Of a stack's pieces the payload is ahead:
        the stage is pushed back or slowed by the air, or left behind by the next stage's
        thrust, as the tracker orders its own siblings (``Formations.order_siblings``). The
        gate is the local tracks' (``LOCAL_GATE_CHI2``) around the stack's state carried
        forward, position only; only an id one of the new rows would take up through its
        local tracks is handed on so."""
        new = [i for i in range(len(tids)) if tids[i] not in self._sys_of_track]
        if len(new) < 2 or not self._alone:
            return {}
        wanted: set[str] = set()
        for i in new:
            for key in mine.get(i, []):
                sys_id = self._sys_of_local.get(key)
                if sys_id in self._alone:
                    wanted.add(sys_id)
        out: dict[int, str] = {}
        for sys_id in sorted(wanted, key=_id_order):
            t0, x0, P0, _ = self._alone[sys_id]
            x1, P1 = _coast(x0, P0, t - t0)
            free = [i for i in new if i not in out]
            if len(free) < 2:
                break
            d2 = _d2_all([(x1, P1)], rep.x[free], rep.P[free])[0]
            pieces = [i for i, v in zip(free, d2.tolist(), strict=True) if v <= LOCAL_GATE_CHI2]
            if len(pieces) < 2:
                continue
            speed = float(np.linalg.norm(x1[3:]))
            if speed <= 0.0:
                continue
            along = [float((rep.x[i, :3] - x1[:3]) @ x1[3:]) / speed for i in pieces]
            ahead = pieces[int(np.argmax(along))]
            out[ahead] = sys_id
            for i in pieces:
                if i != ahead:
                    self._piece_of[tids[i]] = sys_id
            self._heirs[sys_id] = (t, [tids[i] for i in pieces])
        return out

    def _settle_heirs(self, t: float, rep, tids: list[int]) -> None:
        """The stack's id stays with the piece that took it up (``_heirs_of_alone``) once that
        piece is ahead of each other piece by ``HEIR_SURE_SIGMAS`` along their velocity, or
        passes, once, to a piece ``HEIR_SWAP_SIGMAS`` ahead of it; undecided after
        ``HEIR_WINDOW_S``, or when a piece is no longer reported on its own, it stays.

        Just born, the pieces' tracks are a radar scan or two old, their positions as uncertain
        as the pieces are apart, and a track may still change pieces: gen-1-04's two were born
        0.8 km apart with sigmas of 0.9 km, the one ahead by 0.6 sigma then on the stage from
        the next scan, the missile's ahead of it by 2.3 sigmas 2 s later, 4.0 sigmas 4 s later."""
        row = {tid: i for i, tid in enumerate(tids)}
        for sys_id, (t0, pieces) in sorted(self._heirs.items()):
            holder = next((p for p in pieces if self._sys_of_track.get(p) == sys_id), None)
            if t - t0 > HEIR_WINDOW_S or holder is None or any(p not in row for p in pieces):
                del self._heirs[sys_id]
                continue
            h = row[holder]
            z = {}
            for p in pieces:
                if p == holder:
                    continue
                o = row[p]
                u = rep.x[h, 3:] + rep.x[o, 3:]
                u = u / max(float(np.linalg.norm(u)), 1e-9)
                sd = math.sqrt(max(float(u @ (rep.P[h, :3, :3] + rep.P[o, :3, :3]) @ u), 1e-12))
                z[p] = float(u @ (rep.x[h, :3] - rep.x[o, :3])) / sd
            if all(v >= HEIR_SURE_SIGMAS for v in z.values()):
                del self._heirs[sys_id]
                continue
            ahead = min(z, key=z.get) if z else None
            if ahead is None or z[ahead] > -HEIR_SWAP_SIGMAS:
                continue
            # The other piece is surely ahead: the stack's id goes to it, the two swap ids.
            other = self._sys_of_track.get(ahead)
            self._sys_of_track[ahead] = sys_id
            if other is not None:
                self._sys_of_track[holder] = other
            else:
                del self._sys_of_track[holder]
            self._piece_of.pop(ahead, None)
            self._piece_of[holder] = sys_id
            del self._heirs[sys_id]

    def _merge_same_objects(self, rep):
        """The measurement-level tracks of ``rep`` grouped by object: ``(rep of the groups,
        [[tracker id of the group's track, ids of the tracks merged into it], ...])``.

        The tracker may hold two tracks of one object for a while (one born on detections the
        other missed, in boost or at a handover); shown as two system tracks, the partners would
        see two missiles. A track joins an older one (by system id) when their full states
        pass the ``MERGE_GATE_CHI2`` test (``MERGE_KEEP_CHI2`` if it was merged into that one
        at the last report), and the group is reported under the older id, its states fused by
        covariance intersection (their cross-correlation is unknown). A track whose elder the
        tracker has dropped takes up the elder's system id: the object keeps its id."""
        tids = [int(i) for i in rep.track_id.tolist()]
        alive = set(tids)
        if self._last_scan:
            # Forget the scans of tracks no sensor updated for a long time (dead ones).
            now = max(self._last_scan.values())
            old = now - FORGET_SCANS_S * NS_PER_S
            for tid in [k for k, v in self._latest_scan_of_track.items() if v < old]:
                del self._scans_of_track[tid]
                del self._latest_scan_of_track[tid]
                self._first_scan_of_track.pop(tid, None)
        for tid, elder in sorted(self._merged_into.items()):
            if tid in alive and elder not in alive and elder in self._sys_of_track:
                self._sys_of_track[tid] = self._sys_of_track.pop(elder)
        reported = set(self._last_states)
        self._pass_dropped_ids(rep, alive)
        n = len(tids)
        d2 = np.full((n, n), math.inf)
        d2_pos = np.full((n, n), math.inf)
        if n > 1:
            d = rep.x[:, None, :] - rep.x[None, :, :]
            S = rep.P[:, None, :, :] + rep.P[None, :, :, :]
            try:
                d2 = np.einsum("ijk,ijk->ij", d, np.linalg.solve(S, d[..., None])[..., 0])
                dp = d[..., :3]
                sol = np.linalg.solve(S[..., :3, :3], dp[..., None])[..., 0]
                d2_pos = np.einsum("ijk,ijk->ij", dp, sol)
            except np.linalg.LinAlgError:
                pass
        # Where each new track was born: the reported tracks whose position holds it.
        self._born_at = {b: v for b, v in self._born_at.items() if b in alive}
        for i, b in enumerate(tids):
            if b not in reported:
                self._born_at[b] = {
                    tids[h]
                    for h in np.flatnonzero(d2_pos[i] <= KEEP_GATE_CHI2).tolist()
                    if tids[h] in reported
                }
        order = sorted(
            range(n),
            key=lambda i: (
                _id_order(self._sys_of_track[tids[i]]) if tids[i] in self._sys_of_track
                else math.inf,
                tids[i],
            ),
        )  # fmt: skip
        heads: list[int] = []
        group: dict[int, list[int]] = {}
        merged_into: dict[int, int] = {}  # merged track -> the track it joined
        # Lost tracks whose successor took over their sensors (``_superseded``): rows, and
        # lost track id -> successor id.
        lost: set[int] = set()
        superseded: dict[int, int] = {}
        for i in order:
            best, best_cost = None, math.inf
            for h in heads:
                # Either way round: the successor takes up the lost track's id, and may lead.
                if h not in lost and (
                    self._superseded_by(tids[h], tids[i]) or self._superseded_by(tids[i], tids[h])
                ):
                    if not any(
                        self._resolved(tids[i], tids[j]) and not self._plume_lost(tids[i], tids[j])
                        for j in group[h]
                    ):
                        best, best_cost = h, -math.inf
                        break
                kept = self._merged_into.get(tids[i]) == tids[h]
                if d2[i, h] > (MERGE_KEEP_CHI2 if kept else MERGE_GATE_CHI2):
                    continue
                if any(self._resolved(tids[i], tids[j]) for j in group[h]):
                    continue
                cost = d2[i, h] - STAY_BONUS * kept
                if cost < best_cost:
                    best, best_cost = h, cost
            if best is None:
                heads.append(i)
                group[i] = [i]
            else:
                group[best].append(i)
                merged_into[tids[i]] = tids[best]
                if best_cost == -math.inf:
                    a, b = (best, i) if self._superseded_by(tids[best], tids[i]) else (i, best)
                    lost.add(a)
                    superseded[tids[a]] = tids[b]
        self._superseded = superseded
        self._successor_of.update(superseded)
        self.counters.tracks_merged += len(merged_into)
        if not merged_into:
            self._merged_into = {}
            return rep, [[tid] for tid in tids]
        # Each object's id goes with its sharpest track (the one the fused state leans on), so
        # that a track that leaves the group later (one the tracker lets drift off the object)
        # leaves under a new id and the object keeps the one the partners saw.
        groups = []
        for h in sorted(heads):
            g = group[h]
            # ... but never with a piece the tracker saw separating from another track of the
            # group (``Tracker.parent_of``): the tracker keeps the elder of two siblings on the
            # object ahead (the payload, the thrusting stack; ``Formations.order_siblings``)
            # and starts the younger on the piece left behind, so the object's id (and the
            # partners' local tracks fused into the group, kept with its first track) stays
            # with the elder. Merged for the report or two before a sensor resolves them, the
            # younger, born from the elder's estimate and updated since, is often the sharper:
            # satellite-launch's S1 and its local tracks went with the third stage at the
            # payload's separation (826 s), the payload became S4, and the local tracks of
            # the stage were fused into the payload's track and those of the payload into the
            # stage's for 25 s (partners' coast RMSE 8.2x the PCRLB, coast NEES in bounds 0.47).
            members = {tids[i] for i in g}
            # A lost track (``_superseded``) is neither the group's anchor nor in its state:
            # its covariance no longer holds its error.
            live = [i for i in g if i not in lost]
            heirs = [i for i in live if not self._descends_from(tids[i], members)]
            anchor = min(heirs or live, key=lambda i: np.trace(rep.P[i][:3, :3]))
            if anchor != h and tids[h] in self._sys_of_track:
                self._sys_of_track[tids[anchor]] = self._sys_of_track.pop(tids[h])
            groups.append([anchor] + [i for i in g if i != anchor])
        self._merged_into = {tids[i]: tids[g[0]] for g in groups for i in g[1:]}
        xs, Ps = [], []
        for g in groups:
            x, P = rep.x[g[0]], rep.P[g[0]]
            for i in g[1:]:
                if i not in lost:
                    x, P = covariance_intersection(x, P, rep.x[i], rep.P[i])
            xs.append(x)
            Ps.append(P)
        first = [g[0] for g in groups]
        grouped = TrackLog(
            t=rep.t[first],
            track_id=rep.track_id[first],
            x=np.array(xs),
            P=np.array(Ps),
            boost_prob=rep.boost_prob[first],
            detection_index=np.full(len(groups), -1, dtype=np.int64),
            confirmed=np.ones(len(groups), dtype=bool),
        )
        return grouped, [[tids[i] for i in g] for g in groups]

    def _superseded_by(self, a: int, b: int) -> bool:
        """Whether measurement-level track ``a`` lost its object to the younger ``b``: ``b``
        born where ``a`` was (its first report inside ``a``'s position gate,
        ``KEEP_GATE_CHI2``), not next to it (a piece separating from ``a`` is another object),
        or ``a`` superseded by ``b`` at the last report, or a partner's plume left ``a`` for
        ``b`` (``_note_plumes``: ``b`` not born next to ``a`` either); and a sensor that
        updated ``a`` has updated ``b`` ``RESOLVED_COMMON`` times since it last updated ``a``,
        and ``b`` first after that (the sensor's stream of the object went over to ``b``).
        Two tracks a sensor resolved are never merged (``_resolved``, in
        ``_merge_same_objects``), but for a plume's (``_plume_lost``).

        The tracker loses an object whose thrust its motion model stops explaining and starts
        a new track on it, parentless (the lost track, not updated in that scan, gated nothing),
        while the lost one flies on, its covariance far smaller than its error, until its
        radars' misses delete it: no gate on the two states holds them for long. gen-2-04
        (seed 2's space launch): the stack's track coasting from the second stage's burnout
        (369 s) while the third stage thrust at 10.5 m/s², 100-550 m off under a 40-60 m
        sigma; the third stage's new track confirmed at 378 s inside its position gate
        (chi-square 21), 42-380 from the next report on (full state 65-850); the lost one
        deleted at 386 s: two system tracks of the third stage for 8 s.

        A lost track may slide onto a neighbour instead: world64 #07's stack track (986, the US
        plume fused in) lost the stack at the third stage's ignition and took the spent second
        stage's detections of ae-ewr-north, in the scans in which the stack's new track (1261,
        born 482.5 s, first reported 487 s, 221 chi-square units from it) took the stack's, to
        502.5 s; us-fbx-qatar's stream and the plume went to 1261. Not born where 986 was, and
        resolved from it, 1261 was never merged with it, and 986 flew on unseen beside the
        stage to 535 s: two system tracks of the third stage for 49 s. The plume leaving 986
        for 1261 stands for the birth, and lifts the resolved test for that pair
        (``_merge_same_objects``): what the lost track took since was its neighbour's."""
        if not (
            a in self._born_at.get(b, ())
            or self._superseded.get(a) == b
            or self._plume_left.get(a) == b
        ):
            return False
        if self._descends_from(b, {a}):
            return False
        sa, sb = self._scans_of_track.get(a), self._scans_of_track.get(b)
        fb = self._first_scan_of_track.get(b)
        if not sa or not sb or not fb:
            return False
        for sensor in sa.keys() & sb.keys():
            last = sa[sensor][-1]
            if fb[sensor] > last and sum(t > last for t in sb[sensor]) >= RESOLVED_COMMON:
                return True
        return False

    def _descends_from(self, tid: int, others: set[int]) -> bool:
        """Whether measurement-level track ``tid`` was born next to one of ``others``, or
        next to a track born next to one of them (``Tracker.parent_of``)."""
        parent_of = self.tracker.parent_of
        seen = {tid}
        p = parent_of.get(tid)
        while p is not None and p not in seen:
            if p in others:
                return True
            seen.add(p)
            p = parent_of.get(p)
        return False

    def _pass_dropped_ids(self, rep, alive: set[int]) -> None:
        """The system id of a measurement-level track the tracker dropped since the last report
        passes to a younger track of ``rep`` whose position its last state, carried forward,
        holds (``KEEP_GATE_CHI2``, as a partner's re-initiated local track takes up its old
        one's id; not two objects a sensor resolved), as if the two had been merged a moment
        before (then the survivor takes up the dropped one's id). Position only: a track lost
        at an ignition was flown on coasting while its object accelerated (satellite-launch:
        4.2 km and 470 m/s apart 20 s after, 6-dof chi-square 55). The tracker
        deletes a track its radars look at and no longer see a few tens of looks after it lost
        its object, often just after the object's new track was born next to it: measured on
        satellite-launch, the stack's track S1, lost at the third stage's ignition, went at
        about 560 s, before the two passed the merge test, and the third stage's track stayed
        S3, its launch point flown back from a stage lit 400 km up (349 km off, a phantom
        launch), where on main the two merged at 566 s and S1 went on with its launch point."""
        last, self._last_states = (
            self._last_states,
            {
                int(tid): (float(t), x, P)
                for tid, t, x, P in zip(rep.track_id.tolist(), rep.t, rep.x, rep.P, strict=True)
            },
        )
        merged = set(self._merged_into) | set(self._merged_into.values())
        gone = sorted(
            tid
            for tid in last
            if tid not in alive and tid not in merged and tid in self._sys_of_track
        )
        if not gone or not len(rep):
            return
        tids = [int(i) for i in rep.track_id.tolist()]
        for old in gone:
            t0, x0, P0 = last[old]
            x1, P1 = _coast(x0, P0, float(rep.t[0]) - t0)
            d2 = _d2_all([(x1, P1)], rep.x, rep.P)[0]
            old_id = self._sys_of_track[old]
            best, best_d2 = None, KEEP_GATE_CHI2
            for i, tid in enumerate(tids):
                own = self._sys_of_track.get(tid)
                younger = own is None or _id_order(own) > _id_order(old_id)
                if younger and d2[i] <= best_d2 and not self._resolved(old, tid):
                    best, best_d2 = tid, d2[i]
            if best is not None:
                self._sys_of_track[best] = self._sys_of_track.pop(old)

    def _resolved(self, a: int, b: int) -> bool:
        """Whether ``RESOLVED_COMMON`` scans of one sensor updated both tracks ``a`` and ``b``
        within that sensor's last ``RESOLVED_SCANS`` scans: two objects, however close."""
        sa, sb = self._scans_of_track.get(a), self._scans_of_track.get(b)
        if not sa or not sb:
            return False
        for sensor in sa.keys() & sb.keys():
            common = set(sa[sensor]) & set(sb[sensor])
            if len(common) < RESOLVED_COMMON:
                continue
            period = self._scan_period.get(sensor, 0.0)
            recent = self._last_scan[sensor] - RESOLVED_SCANS * period * NS_PER_S
            if sum(t >= recent - 1 for t in common) >= RESOLVED_COMMON:
                return True
        return False

    def _held_d2(self, rep, tracks, row_of: dict[int, int], locals_now) -> dict:
        """Each local track's chi-square (``_d2``) with each row of ``rep``: the least of the
        row's fused state's and of its measurement-level tracks' own (``tracks``, the tracker's
        report before the merge; a track lost to its successor, ``_superseded``, left out: its
        covariance no longer holds its error). A row of several tracks is one object for the
        report, and a local track inside the gate of any of its tracks is that object's: at a
        staging the tracker's new track of the piece left behind, merged for a report into the
        stack's until a sensor resolves them, may hold the partner's track the stack's does not.
        satellite-launch, 651 s: the US plume track, still flying the second stage's thrust a
        second after its burnout (23 m off along its ship radar's range under a 3.5 m sigma),
        was 30.7 chi-square units from the stack's track (the keep gate 30.66) and 14.3 from
        the second stage's new one merged into it; standing alone, it made every view's fifth
        system track for that report, and the second stage's id switch to its own a report
        later."""
        keys = sorted(locals_now)
        if not keys or not len(rep):
            return {k: np.zeros(0) for k in keys}
        locs = [locals_now[k] for k in keys]
        d2 = _d2_all(locs, rep.x, rep.P)
        own = []
        if len(tracks) > len(rep):  # some rows merge several tracks
            own = [
                (row_of[tid], j)
                for j, tid in enumerate(tracks.track_id.tolist())
                if tid in row_of and tid not in self._superseded
            ]
        if own:
            rows = np.array([r for r, _ in own], dtype=np.int64)
            cols = np.array([j for _, j in own], dtype=np.int64)
            d2_tracks = _d2_all(locs, tracks.x[cols], tracks.P[cols])
            for c, r in enumerate(rows.tolist()):
                d2[:, r] = np.minimum(d2[:, r], d2_tracks[:, c])
        return {k: d2[a] for a, k in enumerate(keys)}

    def _assign_locals(
        self, rep, row_of: dict[int, int], locals_now, d2_of: dict
    ) -> dict[tuple[str, str], int]:
        """Local tracks assigned to the measurement-level tracks of ``rep`` (row index), partner
        by partner, one local track of a partner per row. ``row_of``: the row of each
        measurement-level track (those merged into another, that one's); ``d2_of``: each local
        track's chi-square with each row (``_held_d2``)."""
        out: dict[tuple[str, str], int] = {}
        tids = rep.track_id.tolist()
        if not tids or not locals_now:
            return out
        by_partner: dict[str, list[tuple[str, str]]] = {}
        for key in sorted(locals_now):
            by_partner.setdefault(key[0], []).append(key)
        for keys in by_partner.values():
            d2 = np.array([d2_of[k] for k in keys])
            kept = (
                np.array([row_of.get(self._pair_of_local.get(k, -1), -1) for k in keys])[:, None]
                == np.arange(len(tids))[None, :]
            )
            ok = np.where(kept, d2 <= KEEP_GATE_CHI2, d2 <= LOCAL_GATE_CHI2)
            if not ok.any():
                continue
            cost = np.where(ok, d2 - STAY_BONUS * kept, 1e12)
            r, c = linear_sum_assignment(cost)
            for a, b in zip(r.tolist(), c.tolist(), strict=True):
                if ok[a, b]:
                    out[keys[a]] = b
        return out

    def _stood_alone(self, key) -> bool:
        """Whether local track ``key`` stood alone (a local-only system track) lately."""
        return self._sys_of_local.get(key) in self._alone

    def _duplicate_of(self, key, d2: np.ndarray, pairs) -> int | None:
        """The measurement-level row of which the unassigned local track ``key`` is its
        partner's duplicate: inside the keep gate of a row that already has a local track of
        the same partner (None: none). ``d2``: its chi-square with each row (``_held_d2``)."""
        rows = {i for k, i in pairs.items() if k[0] == key[0]}
        best, best_d2 = None, KEEP_GATE_CHI2
        for i in sorted(rows):
            if d2[i] <= best_d2:
                best, best_d2 = i, float(d2[i])
        return best

    def _stale_redundant(self, t: float, sensors, held_t: float) -> bool:
        """A local track of ``sensors`` only fused at measurement level (``_measured_only``)
        that its partner has not updated since ``held_t``, ``LOCAL_FRESH_S`` before ``t``: a
        prediction of detections the fusion holds."""
        return self._measured_only(sensors) and t - held_t > LOCAL_FRESH_S

    def _redundant(self, local) -> bool:
        """Whether every sensor of local track ``local`` has its detections fused at
        measurement level (``_measured_only``)."""
        return self._measured_only(local[3])

    def _measured_only(self, sensors) -> bool:
        """Whether every one of ``sensors`` has its detections fused at measurement level (a
        track naming no sensor is taken as having something of its own)."""
        return bool(sensors) and sensors <= self._measured

    def _system_id_of_track(self, tid: int, keys, taken: set[str]) -> str:
        """The system id of measurement-level track ``tid`` fused with local tracks ``keys``: its
        own, or, new, the oldest id its local tracks stood under; a local-only system track it
        takes over is merged into the older id of the two. ``taken``: ids of other reported
        tracks (its own is in it)."""
        own = self._sys_of_track.get(tid)
        theirs = [self._sys_of_local[k] for k in keys if k in self._sys_of_local]
        theirs = [s_ for s_ in theirs if s_ != own and s_ not in taken]
        if own is None:
            sys_id = min(theirs, key=_id_order) if theirs else self._new_id()
        else:
            merge = [s_ for s_ in theirs if s_ in self._alone]
            sys_id = min([own, *merge], key=_id_order)
        self._sys_of_track[tid] = sys_id
        for s_ in theirs:
            self._alone.pop(s_, None)
        return sys_id

    def _stand_alone(self, t: float, keys, locals_now, taken: set[str]) -> list[FusedTrack]:
        """System tracks of local tracks no measurement-level track holds: grouped across
        partners (one local track per partner, inside the group's gate), CI-fused."""
        groups: list[list] = []  # [keys, x, P]
        for key in sorted(keys, key=lambda k: (self._sys_of_local.get(k) is None, k)):
            lx, lP = locals_now[key][:2]
            for g in groups:
                if key[0] not in {k[0] for k in g[0]} and _d2(locals_now[key], g[1], g[2]) <= (
                    LOCAL_GATE_CHI2
                ):
                    g[0].append(key)
                    g[1], g[2] = covariance_intersection(g[1], g[2], lx, lP)
                    break
            else:
                groups.append([[key], lx, lP])
        out = []
        alone: dict[str, tuple[float, np.ndarray, np.ndarray, frozenset[str]]] = {}
        for g_keys, x, P in groups:
            sys_id = self._system_id_alone(t, g_keys, x, P, taken)
            taken.add(sys_id)
            for key in g_keys:
                self._sys_of_local[key] = sys_id
            partners = frozenset(k[0] for k in g_keys)
            alone[sys_id] = (t, x, P, partners)
            bp = max(locals_now[k][2] for k in g_keys)
            out.append(
                FusedTrack(
                    sys_id,
                    t,
                    x,
                    P,
                    bp,
                    tuple(sorted(partners)),
                    None,
                    tuple(g_keys),
                    last_seen=_latest([locals_now[k][4] for k in g_keys]),
                    launch=_tightest(locals_now[k][6] for k in g_keys),
                )
            )
        # Local-only system tracks unseen at this report stay for their partners to take up
        # again (re-initiated local tracks) within ``local_max_age_s``.
        for sys_id, last in self._alone.items():
            if sys_id not in alone and sys_id not in taken and t - last[0] <= self.local_max_age_s:
                alone[sys_id] = last
        self._alone = alone
        return out

    def _system_id_alone(self, t: float, keys, x, P, taken: set[str]) -> str:
        """The id of a group of standing-alone local tracks: the oldest id they stood under, or
        that of a local-only system track of the last reports whose local tracks are gone and
        whose prediction holds them (a partner re-initiated its track), or a new one."""
        theirs = [self._sys_of_local[k] for k in keys if k in self._sys_of_local]
        theirs = [s_ for s_ in theirs if s_ not in taken]
        if theirs:
            return min(theirs, key=_id_order)
        live = set(self._sys_of_local[k] for k in self._locals if k in self._sys_of_local)
        best, best_d2 = None, KEEP_GATE_CHI2
        for sys_id, (t0, x0, P0, _) in sorted(self._alone.items()):
            if sys_id in taken or sys_id in live or t - t0 > self.local_max_age_s:
                continue
            x1, P1 = _coast(x0, P0, t - t0)
            d2 = _d2((x, P), x1, P1)
            if d2 <= best_d2:
                best, best_d2 = sys_id, d2
        return best if best is not None else self._new_id()

    def _new_id(self) -> str:
        sys_id = f"S{self._next_sys}"
        self._next_sys += 1
        return sys_id

    def _locals_at(self, t: float) -> dict[tuple[str, str], tuple]:
        """Every fresh local track, predicted (coasting) to ``t``: (x, P, boost_prob, sensors,
        held_t, own_t, launch, on_fit).
        A partner publishes all its tracks at each of its report instants, so one missing from
        its latest report is one it dropped (a partner that re-initiates its track must not be
        seen with two tracks of one object for ``local_max_age_s``)."""
        latest: dict[str, float] = {}
        for v in self._locals.values():
            if v.t <= t + 1e-9:
                latest[v.partner] = max(latest.get(v.partner, -math.inf), v.t)
        for key in [
            k
            for k, v in self._locals.items()
            if t - v.t > self.local_max_age_s or v.t < latest.get(v.partner, -math.inf) - 1e-6
        ]:
            del self._locals[key]
        now = [v for v in self._locals.values() if v.t <= t + 1e-9]
        if not now:
            return {}
        # Carried to ``t`` in one batch (``_coast`` one by one gave the same figures).
        x6, P6 = _coast_many(
            np.array([v.x for v in now]),
            np.array([v.P for v in now]),
            t - np.array([v.t for v in now]),
        )
        return {
            (v.partner, v.track_id): (
                x6[k],
                P6[k],
                v.boost_prob,
                v.sensors,
                v.held_t,
                v.own_t,
                v.launch,
                v.on_fit,
            )  # fmt: skip
            for k, v in enumerate(now)
        }


def _tightest(launches) -> LaunchFit | None:
    """Of partners' fitted launches (None: none), the one with the smallest launch-point
    ellipse (determinant of its east-north covariance); None if none."""
    best, best_det = None, math.inf
    for launch in launches:
        if launch is not None:
            d = float(np.linalg.det(np.asarray(launch.cov_en_m2, dtype=float)))
            if d < best_det:
                best, best_det = launch, d
    return best


def _d2(local, x: np.ndarray, P: np.ndarray) -> float:
    """Chi-square of the position difference between a local track (x, P, ...) and (x, P)."""
    d = local[0][:3] - x[:3]
    S = local[1][:3, :3] + P[:3, :3]
    try:
        return float(d @ np.linalg.solve(S, d))
    except np.linalg.LinAlgError:
        return math.inf


def _d2_all(locals_: list, x: np.ndarray, P: np.ndarray) -> np.ndarray:
    """``_d2`` of every local track (x, P, ...) of ``locals_`` with every state of ``x`` (N, 6),
    ``P`` (N, 6, 6): (K, N), in one batch (the same solves and dot products, bit for bit)."""
    lx = np.array([lt[0][:3] for lt in locals_])
    lP = np.array([lt[1][:3, :3] for lt in locals_])
    d = lx[:, None, :] - x[None, :, :3]
    S = lP[:, None, :, :] + P[None, :, :3, :3]
    try:
        sol = np.linalg.solve(S, d[..., None])
    except np.linalg.LinAlgError:  # one singular pair: each on its own (inf for that one)
        return np.array([[_d2(lt, x[i], P[i]) for i in range(x.shape[0])] for lt in locals_])
    return (d[..., None, :] @ sol)[..., 0, 0]


def _latest(times: list[float]) -> float | None:
    """The latest of ``times`` (s) that is known, or None."""
    known = [v for v in times if v is not None and math.isfinite(v)]
    return max(known) if known else None


def _latest_scan(scans: dict[str, deque[int]]) -> int:
    """A track's latest scan (t_ns) over its sensors; it is forgotten once that is more than
    ``FORGET_SCANS_S`` old."""
    return max(q[-1] for q in scans.values())


def _id_order(sys_id: str) -> int:
    """System ids in the order they were made ("S12" -> 12)."""
    return int(sys_id[1:])
