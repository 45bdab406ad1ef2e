"""Which estimate is which truth: the scoring rule every figure of ``lookout.scoring`` rests on.

**Which truths count.** A truth object counts when at least ``min_detections`` detections are
labelled with it. It is *expected* (an estimate should be on it; an instant without one is a
miss) from its first to its last labelled detection, and *eligible* (an estimate on it is a
true one, never a false one) from its first labelled detection to the end of its life, so an
estimate coasted past the last detection is neither rewarded nor punished. Without
``detections`` the detection times are unknown and every counted truth is expected over its
whole life.

**Association.** At each instant the estimates (tracker reports, or the system tracks a partner
received) are assigned to the eligible truths by the Hungarian algorithm
(``scipy.optimize.linear_sum_assignment``) on their ECEF position distance, capped at
``cutoff_m``; pairs farther apart than the cutoff are not matched. A pair matched at the
previous instant costs ``switch_penalty_m`` less, so an assignment persists through small
differences (as in the CLEAR-MOT metrics, a duplicate that comes slightly closer does not take
the truth over) but moves when the other estimate is clearly closer. An estimate and the truth
that gave most of the detections its track has taken so far (``provenance``, when the tracker's
updates are known) cost as much less again, and a pair kept against that provenance keeps no
advantage: two objects closer
than the track's own error (an IRBM's stage and warhead, 0.1-0.6 km apart and 3 m/s, seen by one
radar with a 2.5 km cross-range sigma) are otherwise told apart by a few metres of chance, and
the pair is then kept for the whole flight. (gen-world-60-03: a track built from 82 of the
stage's detections and none of the warhead's, born while the stage's old track still coasted,
was judged on the warhead 0.3-1 km away: coast NEES 26,000 against the warhead, 2-8 against the
stage it followed.) A pair kept and built from its truth thus beats a newcomer built from it.
A pair built from its truth that lies inside the estimate's own 99 % position ellipsoid
(``HOLD_GATE_PROB``) is held outright: the track says its object is there and it is, so no
pairing of other estimates takes it on distance. (me77 #02: two SRBM stages falling unseen
6 km apart, each track km off its own stage under km sigmas, NEES 3-5; from 383 s each sat
nearer the other's stage and distance swapped them: 2 id switches, NEES 1,100-5,800.)

**A stack's track after a parting.** A stack's detections are labelled with its launch's id (the
payload's), so a track that followed the stack and then one of its pieces (a spent stage,
``parent_id``) would be the payload's by its boost's detections until the piece's outnumber them. A
piece is credited only with detections that tell the pieces apart: a *resolved* detection is one
whose sensor's 99 % regions of the launch's objects (their noise-free measurements under its noise
``R``) do not overlap, taken by a track whose 99 % position ellipsoids about them (under its own
covariance) do not overlap either (``RESOLVED_P``, ``resolved_detections``). A stack's track (most
of its detections by the parting its launch's) whose first resolved detection since a piece parted
is the piece's is the piece's from the parting until it takes a resolved detection of another of its
launch's objects. (me76 #00, three MRBMs: each stack's track coasted unseen from burnout and took
its spent stage's detections from the first, 150 m from the warhead; the first to resolve them, 200
m apart on a second radar 16 s later, was the stage's too. Judged on the warhead until the stage's
detections outnumbered the boost's, both pairs were crossed: coast RMSE 1.6 times the PCRLB, 5 id
switches; judged on the objects they followed, 0.5 and 0.) A stack's track that took the stage's
first detections within their noise and then the warhead's stays the warhead's: a rule crediting
every piece detection since the parting gave the shipped irbm-overflight 3 id switches that never
happened (session 52), and one crediting the piece once the sibling fell outside one detection's
gate judged world77 #01's stack track on the stage for the 7 s it took the ship's stage detections,
6 sigma apart in range but 2 km off both across, before the warhead's.

An unmatched estimate within ``cutoff_m`` of an eligible truth is a *duplicate* of the nearest
such truth (a second track on one object); one farther from every eligible truth is *false*, and
so is one whose provenance truth has hit the ground by then (its ``impact`` event): a falling
track reported in the second after its object's impact, its prediction still above ground
within its own sigma, is no second track on a neighbour. (korea73 #03: a salvo's first spent
stage's track, 68 m up 25 ms after the stage's impact under a 197 m vertical sigma, was counted
a duplicate of the second stage's, 3.9 km off and tracked on its own.) Nor, unseen since that
impact (``last_update``), is it matched to a neighbour: me77 #02's first stage's track, its drag
coefficient 1.4 sigma high, fell 5 km behind its stage under a 2.5 km sigma and from the
stage's impact was judged on the next stage down, 3 km off. One seen since (it took up another
object) is judged as any other.
An unmatched expected truth is *missed*.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.optimize import linear_sum_assignment
from scipy.stats import chi2

from lookout.geodesy import ecef_to_geodetic, enu_basis
from lookout.timebase import ns_to_s
from lookout.tracking import measure


@dataclass(frozen=True)
class Truths:
    """The counted truth objects: ids, trajectories, first and last detection times (s; ±inf
    when the detections are not given)."""

    ids: tuple[str, ...]
    trajectories: list
    t_first: np.ndarray
    t_last: np.ndarray

    def __len__(self) -> int:
        return len(self.ids)


def counted_truths(
    trajectories: Sequence,
    labels: Sequence[str | None],
    detections: Sequence | None = None,
    min_detections: int = 3,
) -> Truths:
    """The truths with at least ``min_detections`` labelled detections (``labels[i]`` the truth
    id of detection ``i``, None for a false alarm), with their detection spans."""
    by_id = {tr.object_id: tr for tr in trajectories}
    lab = np.array(["" if x is None or x not in by_id else x for x in labels], dtype=object)
    ids, counts = np.unique(lab[lab != ""].astype(str), return_counts=True)
    truth_ids = tuple(str(i) for i, n in zip(ids, counts, strict=True) if n >= min_detections)
    n = len(truth_ids)
    t_first = np.full(n, -np.inf)
    t_last = np.full(n, np.inf)
    if detections is not None and n:
        det_t = ns_to_s(np.array([d.t_ns for d in detections], dtype=np.int64))
        for j, tid in enumerate(truth_ids):
            tj = det_t[lab == tid]
            t_first[j], t_last[j] = tj.min(), tj.max()
    return Truths(truth_ids, [by_id[i] for i in truth_ids], t_first, t_last)


@dataclass(frozen=True)
class Association:
    """Estimates and truths at every instant, and which is which.

    Estimate rows are sorted by (instant, id); ``starts[k]:ends[k]`` are the rows of instant
    ``k``. Matched pairs are the parallel arrays ``row``, ``truth``, ``instant`` (length S).
    """

    truths: Truths
    t: np.ndarray  # (T,) instants, s
    period_s: float  # the instants' spacing: each instant stands for this much time
    truth_x: np.ndarray  # (T, M, 6) truth states (NaN outside a truth's life)
    phase: np.ndarray  # (T, M) int8 truth phase index
    eligible: np.ndarray  # (T, M) bool
    expected: np.ndarray  # (T, M) bool
    est_t: np.ndarray  # (R,) s
    est_id: np.ndarray  # (R,) int64
    est_x: np.ndarray  # (R, 6)
    est_P: np.ndarray  # (R, 6, 6)
    est_instant: np.ndarray  # (R,) index into t
    starts: np.ndarray  # (T,)
    ends: np.ndarray  # (T,)
    row: np.ndarray  # (S,) matched estimate rows
    truth: np.ndarray  # (S,) their truths
    instant: np.ndarray  # (S,) their instants
    matched: np.ndarray  # (T, M) bool: truth j has its (one) matched estimate at instant k
    duplicate_of: np.ndarray  # (R,) int64: truth an unmatched estimate duplicates, or -1
    is_matched: np.ndarray  # (R,) bool
    #: (R,) int64: the truth that gave most of each estimate's detections by then, -1: none
    #: or a tie, or not known (``track_provenance``)
    provenance: np.ndarray | None = None

    @property
    def is_false(self) -> np.ndarray:
        """(R,) estimates matched to no truth and near none."""
        return ~self.is_matched & (self.duplicate_of < 0)

    def estimates_per_truth(self) -> np.ndarray:
        """(T, M) int: estimates on each truth at each instant (its match plus duplicates)."""
        n = self.matched.astype(np.int64)
        dup = np.flatnonzero(self.duplicate_of >= 0)
        np.add.at(n, (self.est_instant[dup], self.duplicate_of[dup]), 1)
        return n


def track_provenance(
    t: np.ndarray,
    est_id: np.ndarray,
    updates,
    labels: Sequence[str | None],
    truths: Truths,
    resolved: np.ndarray | None = None,
) -> np.ndarray:
    """For estimate rows (time ``t`` s, track ``est_id``): the index into ``truths`` of the
    truth that gave most of the detections the track had taken by ``t`` (``updates``: the
    tracker's ``TrackLog`` of updates, ``detection_index`` into ``labels``); -1 where the track
    had taken no labelled detection of a counted truth, or two truths gave as many. Given
    ``resolved`` (``resolved_detections`` of the labelled detections), a stack's track is its
    piece's after their parting as the module doc says."""
    t = np.asarray(t, dtype=float)
    est_id = np.asarray(est_id, dtype=np.int64)
    out = np.full(t.size, -1, dtype=np.int64)
    m = len(truths)
    if m == 0 or updates is None or len(updates) == 0:
        return out
    index = {tid: j for j, tid in enumerate(truths.ids)}
    code = np.array([index.get(x, -1) if x is not None else -1 for x in labels], dtype=np.int64)
    di = np.asarray(updates.detection_index, dtype=np.int64)
    ok = di >= 0
    uj = np.full(di.size, -1, dtype=np.int64)
    uj[ok] = code[di[ok]]
    keep = uj >= 0
    ur = np.zeros(di.size, dtype=bool)
    if resolved is not None:
        ur[ok] = np.asarray(resolved, dtype=bool)[di[ok]]
        ur[ur] = _track_resolves(updates, np.flatnonzero(ur), uj[ur], truths)
    u_id = np.asarray(updates.track_id, dtype=np.int64)[keep]
    u_t = np.asarray(updates.t, dtype=float)[keep]
    uj, ur = uj[keep], ur[keep]
    order = np.lexsort((u_t, u_id))
    u_id, u_t, uj, ur = u_id[order], u_t[order], uj[order], ur[order]
    parted = parted_pieces(truths) if resolved is not None else []
    for track in np.intersect1d(np.unique(est_id), u_id):
        lo, hi = np.searchsorted(u_id, [track, track + 1])
        rows = np.flatnonzero(est_id == track)
        out[rows] = stream_provenance(u_t[lo:hi], uj[lo:hi], ur[lo:hi], t[rows], m, parted)
    return out


def stream_provenance(
    u_t: np.ndarray,
    uj: np.ndarray,
    ur: np.ndarray,
    t: np.ndarray,
    m: int,
    parted: list[tuple[int, np.ndarray, float]],
) -> np.ndarray:
    """The provenance rule on one track's detections: ``u_t`` (s, ascending) the times of the
    labelled detections of counted truths it took, ``uj`` their truths' indices, ``ur``
    whether each was resolved (``resolved_detections`` and ``_track_resolves``); for each time
    in ``t``, the truth of most of them by then (-1 for none or a tie), or a stack's piece
    after their parting (``parted_pieces``) as the module doc says. The one rule for a central
    track (``track_provenance``) and for a partner's system track (the detections its
    measurement-level tracks took, ``lookout.scoring.picture``)."""
    t = np.asarray(t, dtype=float)
    counts = np.cumsum(np.eye(m, dtype=np.int64)[uj], axis=0)  # (U, M) running per truth
    k = np.searchsorted(u_t, t + 1e-6, side="right")  # detections by t
    seen = k > 0
    c = counts[np.maximum(k - 1, 0)] if counts.size else np.zeros((t.size, m), np.int64)
    best = c.argmax(axis=1)
    top = c[np.arange(t.size), best]
    unique = (c == top[:, None]).sum(axis=1) == 1
    out = np.where(seen & unique & (top > 0), best, -1).astype(np.int64)
    # A stack's track (most of its detections by a piece's parting its launch's) whose first
    # resolved detection since the parting is the piece's follows the piece from the parting
    # until it takes a resolved detection of another object of its launch, though the boost's
    # detections, labelled with the payload's id, outnumber the piece's (module doc).
    for piece, family, start in parted:
        before = np.searchsorted(u_t, start, side="left")  # detections before the parting
        cb = counts[before - 1] if before else None
        if cb is None or cb.argmax() != family[0] or (cb == cb[family[0]]).sum() != 1:
            continue  # the track did not follow the stack (its launch's) to the parting
        after = (u_t >= start) & np.isin(uj, family) & ur
        if not after.any() or uj[np.argmax(after)] != piece:
            continue  # no resolved detection since, or the first is another object's
        other = np.cumsum(after & (uj != piece))[np.maximum(k - 1, 0)] > 0
        out[seen & ~other & (t >= start)] = piece
    return out


#: Two objects of a launch are resolved when the 99 % regions of their detections on a sensor
#: (their noise-free measurements under the detection's noise), and of their positions under
#: the track's covariance, do not overlap (``resolved_detections``, ``_track_resolves``).
RESOLVED_P = 0.99


def _apart(d2: np.ndarray, m: int) -> np.ndarray:
    """Whether squared Mahalanobis separations ``d2`` in ``m`` dimensions put two objects'
    ``RESOLVED_P`` ellipsoids apart (each the other's centre's distance's half or more)."""
    return d2 > 4.0 * chi2.ppf(RESOLVED_P, m)


def parted_pieces(truths: Truths) -> list[tuple[int, np.ndarray, float]]:
    """Each counted piece that parted from a counted launch (``parent_id``): its index, the
    indices of its launch's counted objects (the launch first, then its pieces), its parting
    (s)."""
    index = {tid: j for j, tid in enumerate(truths.ids)}
    parent = [getattr(tr, "parent_id", None) for tr in truths.trajectories]
    out = []
    for i, p in enumerate(parent):
        if p in index:
            family = np.array([index[p]] + [j for j, q in enumerate(parent) if q == p])
            out.append((i, family, float(truths.trajectories[i].t_start)))
    return out


def _track_resolves(updates, rows: np.ndarray, objects: np.ndarray, truths: Truths) -> np.ndarray:
    """(K,) bool: whether the update ``rows`` of ``updates``, each on a detection of truth
    ``objects[k]``, left its track's position covariance tight enough to tell that object from
    every other counted object of its launch in flight then (``covariance_resolves``)."""
    t = np.asarray(updates.t, dtype=float)[rows]
    P = np.asarray(updates.P, dtype=float)[rows]
    return covariance_resolves(t, P, objects, truths)


def covariance_resolves(
    t: np.ndarray, P: np.ndarray, objects: np.ndarray, truths: Truths
) -> np.ndarray:
    """(K,) bool: whether a track's state covariance ``P[k]`` (its position block; the track's
    after taking a detection of truth ``objects[k]`` at ``t[k]`` s) tells that object from
    every other counted object of its launch in flight then: their true positions ``dx`` apart
    put their ``RESOLVED_P`` ellipsoids under ``P`` apart (``_apart`` of ``dxᵀ P⁻¹ dx``)."""
    objects = np.asarray(objects, dtype=np.int64)
    t = np.asarray(t, dtype=float)
    out = np.ones(objects.size, dtype=bool)
    family = _families(truths)
    for j in np.unique(objects).tolist():  # one object's detections at once
        at = np.flatnonzero(objects == j)
        Pj = np.asarray(P, dtype=float)[at][:, :3, :3]
        xj = truths.trajectories[j].state_at(t[at])[:, :3]
        for q in family[j]:
            if q == j:
                continue
            dx = truths.trajectories[q].state_at(t[at])[:, :3] - xj
            alive = np.isfinite(dx).all(axis=1)  # the other in flight then
            dx = np.where(alive[:, None], dx, 0.0)
            d2 = np.einsum("ki,ki->k", dx, np.linalg.solve(Pj, dx[..., None])[..., 0])
            out[at] &= ~alive | _apart(d2, 3)
    return out


def _launch_states(truths: Truths, family: list[int], j: int, t: float) -> np.ndarray:
    """(K, 6): the true state of object ``j`` at ``t`` s, then those of the others of its
    launch (``family``) in flight then; none if ``j`` is not."""
    x = np.array([truths.trajectories[q].state_at(t) for q in [j, *(q for q in family if q != j)]])
    alive = np.isfinite(x).all(axis=1)
    return x[alive] if alive[0] else x[:0]


def _families(truths: Truths) -> list[list[int]]:
    """For each counted truth, the counted objects of its launch (the launch, by ``parent_id``,
    and its pieces), itself included."""
    index = {tid: j for j, tid in enumerate(truths.ids)}
    root = [
        p if (p := getattr(tr, "parent_id", None)) in index else truths.ids[j]
        for j, tr in enumerate(truths.trajectories)
    ]
    return [[q for q, r in enumerate(root) if r == root[j]] for j in range(len(root))]


def resolved_detections(
    detections: Sequence, labels: Sequence[str | None], truths: Truths
) -> np.ndarray:
    """(N,) bool: whether detection ``i``, labelled with a counted object of a launch with a
    counted piece (``parent_id``), tells that object from every other counted object of its
    launch in flight at its time: their noise-free measurements on its sensor, ``dz`` apart,
    put their ``RESOLVED_P`` gates under its noise ``R`` apart (``_apart`` of ``dzᵀ R⁻¹ dz``;
    the radar's range rate taken from a sensor at rest, which a ship's 10 m/s changes by the
    objects' angle apart times that, mm/s). False for every other detection (an object alone
    in flight, a false alarm: nothing to resolve)."""
    out = np.zeros(len(detections), dtype=bool)
    index = {tid: j for j, tid in enumerate(truths.ids)}
    family = _families(truths)
    bases: dict[bytes, np.ndarray] = {}
    for i, lab in enumerate(labels):
        j = index.get(lab) if lab is not None else None
        if j is None or len(family[j]) < 2:
            continue
        d = detections[i]
        t = float(ns_to_s(d.t_ns))
        x = _launch_states(truths, family[j], j, t)
        if x.shape[0] < 2 or d.sensor_pos_ecef_m is None:
            continue
        s = np.asarray(d.sensor_pos_ecef_m, dtype=float)
        m = len(d.z)
        if d.kind == "radar":
            key = s.tobytes()
            if key not in bases:
                bases[key] = enu_basis(*ecef_to_geodetic(s)[:2])
            z, _ = measure.radar(x[:, :3], x[:, 3:], s, np.zeros(3), bases[key], m)
        else:
            z, _ = measure.infrared(x[:, :3], s)
        dz = measure.wrap(z[1:] - z[0], d.kind)
        R = np.asarray(d.R, dtype=float)
        d2 = np.einsum("ki,ki->k", dz, np.linalg.solve(R, dz.T).T)
        out[i] = bool(_apart(d2, m).all())
    return out


#: The probability of an estimate's own position ellipsoid (3-D chi-square gate) inside which
#: its provenance truth holds it against other pairings (``associate``, module doc); the same
#: as ``scores.FALSE_IN_GATE_PROB``.
HOLD_GATE_PROB = 0.99
_HOLD_GATE = float(chi2.ppf(HOLD_GATE_PROB, 3))


def _in_own_gate(x: np.ndarray, P: np.ndarray, truth_x: np.ndarray) -> np.ndarray:
    """(E, M) bool: whether truth ``m`` (``truth_x`` (M, 6)) lies inside estimate ``e``'s
    (``x`` (E, 6), ``P`` (E, 6, 6)) own ``HOLD_GATE_PROB`` position ellipsoid."""
    d = x[:, None, :3] - truth_x[None, :, :3]
    Pp = P[:, :3, :3]
    ok = np.isfinite(Pp).all(axis=(1, 2)) & (np.linalg.det(Pp) > 0.0)
    Pp = np.where(ok[:, None, None], Pp, np.eye(3))
    fin = np.isfinite(d).all(axis=2)
    d = np.where(fin[..., None], d, 0.0)
    d2 = np.einsum("emi,emi->em", d, np.linalg.solve(Pp[:, None], d[..., None])[..., 0])
    return ok[:, None] & fin & (d2 <= _HOLD_GATE)


def track_last_update(t: np.ndarray, est_id: np.ndarray, updates) -> np.ndarray:
    """For estimate rows (time ``t`` s, track ``est_id``): the time (s) of the track's last
    update (``updates``, the tracker's ``TrackLog``) at or before ``t``; -inf for none."""
    t = np.asarray(t, dtype=float)
    est_id = np.asarray(est_id, dtype=np.int64)
    out = np.full(t.size, -math.inf)
    if updates is None or len(updates) == 0:
        return out
    u_id = np.asarray(updates.track_id, dtype=np.int64)
    u_t = np.asarray(updates.t, dtype=float)
    order = np.lexsort((u_t, u_id))
    u_id, u_t = u_id[order], u_t[order]
    for track in np.intersect1d(np.unique(est_id), u_id):
        lo, hi = np.searchsorted(u_id, [track, track + 1])
        rows = np.flatnonzero(est_id == track)
        k = np.searchsorted(u_t[lo:hi], t[rows] + 1e-6, side="right")
        out[rows] = np.where(k > 0, u_t[lo:hi][np.maximum(k - 1, 0)], -math.inf)
    return out


def _impact_time(trajectory) -> float:
    """The time (s) ``trajectory`` hit the ground (its ``impact`` event), inf if it did not."""
    event = getattr(trajectory, "event", None)
    hit = event("impact") if callable(event) else None
    return math.inf if hit is None else float(hit.t)


def _instants(rep_t: np.ndarray, t_lo: float, t_hi: float, period: float) -> np.ndarray:
    """Every estimate's time, plus the grid of ``period`` over the truths' expected span (so
    instants with no estimate at all still count their misses)."""
    times = [rep_t]
    if math.isfinite(t_lo) and t_hi >= t_lo:
        ref = rep_t[0] if rep_t.size else t_lo
        n0, n1 = math.ceil((t_lo - ref) / period - 1e-9), math.floor((t_hi - ref) / period + 1e-9)
        times.append(ref + period * np.arange(n0, n1 + 1))
    return np.unique(np.round(np.concatenate(times), 6))


def report_period(rep_t: np.ndarray, period_s: float | None) -> float:
    """``period_s``, or the estimates' own median spacing (1 s when there is none)."""
    if period_s is not None:
        return float(period_s)
    steps = np.diff(np.unique(rep_t))
    return float(np.median(steps)) if steps.size else 1.0


def associate(
    t: np.ndarray,
    est_id: np.ndarray,
    x: np.ndarray,
    P: np.ndarray,
    truths: Truths,
    *,
    cutoff_m: float,
    switch_penalty_m: float = 1000.0,
    period_s: float | None = None,
    provenance: np.ndarray | None = None,
    last_update: np.ndarray | None = None,
) -> Association:
    """Associate estimates (rows of time ``t`` s, integer ``est_id``, ECEF state ``x`` (R, 6)
    with covariance ``P`` (R, 6, 6)) with the counted ``truths`` (see the module doc).
    ``period_s`` defaults to the estimates' own spacing; ``provenance`` (R,) int64, in the rows'
    order, is the truth index (into ``truths``) of most of the detections each row's track had
    taken by then, -1 for none or a tie (``track_provenance``); ``last_update`` (R,), in the
    rows' order, the time (s) of each row's track's last update by then (``track_last_update``;
    None: not known, an estimate is never taken as unseen since its truth's impact)."""
    rt = np.round(np.asarray(t, dtype=float), 6)
    order = np.lexsort((np.asarray(est_id), rt))
    rt = rt[order]
    rid = np.asarray(est_id, dtype=np.int64)[order]
    rx = np.asarray(x, dtype=float).reshape(-1, 6)[order]
    rP = np.asarray(P, dtype=float).reshape(-1, 6, 6)[order]
    if provenance is None:
        rprov = np.full(rt.size, -1, dtype=np.int64)
    else:
        rprov = np.asarray(provenance, dtype=np.int64)[order]
    if last_update is None:
        rseen = np.full(rt.size, math.inf)
    else:
        rseen = np.asarray(last_update, dtype=float)[order]
    period = report_period(rt, period_s)
    n_truth = len(truths)
    trajs = truths.trajectories
    life_lo = np.array([max(tr.t_start, f) for tr, f in zip(trajs, truths.t_first, strict=True)])
    impact_t = np.array([_impact_time(tr) for tr in trajs], dtype=float)
    life_hi = np.array([min(tr.t_end, la) for tr, la in zip(trajs, truths.t_last, strict=True)])
    t_lo = float(life_lo.min()) if n_truth else math.inf
    t_hi = float(life_hi.max()) if n_truth else -math.inf
    inst = _instants(rt, t_lo, t_hi, period)
    n_t = inst.size
    truth_x = np.full((n_t, n_truth, 6), np.nan)
    phase = np.zeros((n_t, n_truth), dtype=np.int8)
    for j, tr in enumerate(trajs):  # one call per truth, vectorised over instants
        truth_x[:, j] = tr.flown_state_at(inst)
        phase[:, j] = tr.phase[tr.sample_index_at(inst)]
    alive = np.isfinite(truth_x).all(axis=2)
    eligible = alive & (inst[:, None] >= truths.t_first[None, :] - 1e-6)
    expected = eligible & (inst[:, None] <= truths.t_last[None, :] + 1e-6)

    starts = np.searchsorted(rt, inst, side="left")
    ends = np.searchsorted(rt, inst, side="right")
    est_instant = np.searchsorted(inst, rt)
    prev = np.full(n_truth, -1, dtype=np.int64)
    m_row, m_truth, m_inst = [], [], []
    matched = np.zeros((n_t, n_truth), dtype=bool)
    is_matched = np.zeros(rt.size, dtype=bool)
    duplicate_of = np.full(rt.size, -1, dtype=np.int64)
    for k in range(n_t):
        s, e = starts[k], ends[k]
        if s == e:
            prev[:] = -1
            continue
        elig = np.flatnonzero(eligible[k])
        d = np.linalg.norm(rx[s:e, None, :3] - truth_x[k, elig, :3][None, :, :], axis=-1)
        r = c = np.zeros(0, dtype=np.int64)
        if d.size:
            # Last instant's pairs cost ``switch_penalty_m`` less: an estimate keeps its truth
            # through small differences (a duplicate does not steal it) and hands it over when
            # clearly farther (an early mix-up between close objects is corrected as they part).
            kept = rid[s:e, None] == prev[elig][None, :]
            # An estimate and the truth that gave most of its detections (its provenance) cost
            # as much less again: a pair kept and built from that truth beats a newcomer. A
            # pair kept against the provenance keeps nothing: a track built from one of two
            # objects closer than its own error is judged on the object it follows, not kept on
            # the other by the chance of its first instant.
            built = rprov[s:e, None] == elig[None, :]
            kept &= (rprov[s:e] < 0)[:, None] | built
            near_enough = d < cutoff_m
            bonus = (kept & near_enough).astype(float) + (built & near_enough)
            cost = np.minimum(d, cutoff_m) - switch_penalty_m * bonus
            # A pair built from its truth that lies inside the estimate's own position ellipsoid
            # is held: no pairing of other estimates takes it on distance (module doc).
            held = built & near_enough & _in_own_gate(rx[s:e], rP[s:e], truth_x[k, elig])
            cost = cost - cutoff_m * held
            # An estimate whose provenance truth has hit the ground, unseen since, is no
            # estimate of another truth (module doc): matched to none, nor a duplicate.
            fallen = (rprov[s:e] >= 0) & (impact_t[np.maximum(rprov[s:e], 0)] <= inst[k] + 1e-6)
            unseen = fallen & (rseen[s:e] < impact_t[np.maximum(rprov[s:e], 0)])
            cost[unseen] = cutoff_m
            a, b = linear_sum_assignment(cost)
            ok = (d[a, b] < cutoff_m) & ~unseen[a]
            r, c = a[ok].astype(np.int64), elig[b[ok]]
            free = np.ones(e - s, dtype=bool)
            free[r] = False
            near = d.argmin(axis=1)
            dup = free & (d[np.arange(e - s), near] < cutoff_m)
            # A track of an object that has hit the ground, reported while its prediction still
            # falls, is no second track on a neighbour (module doc): it is false.
            dup &= ~fallen
            duplicate_of[s:e][dup] = elig[near[dup]]
        prev[:] = -1
        prev[c] = rid[s + r]
        matched[k, c] = True
        is_matched[s + r] = True
        m_row.append(s + r)
        m_truth.append(c)
        m_inst.append(np.full(r.size, k))

    def cat(parts):
        return np.concatenate(parts).astype(np.int64) if parts else np.zeros(0, np.int64)

    return Association(
        truths=truths,
        t=inst,
        period_s=period,
        truth_x=truth_x,
        phase=phase,
        eligible=eligible,
        expected=expected,
        est_t=rt,
        est_id=rid,
        est_x=rx,
        est_P=rP,
        est_instant=est_instant,
        starts=starts,
        ends=ends,
        row=cat(m_row),
        truth=cat(m_truth),
        instant=cat(m_inst),
        matched=matched,
        duplicate_of=duplicate_of,
        is_matched=is_matched,
        provenance=rprov,
    )
