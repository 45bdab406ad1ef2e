"""Scoring a tracker's output against the truth: accuracy, consistency, continuity, GOSPA.

``score(output, trajectories, labels, detections=...)`` compares a ``TrackerOutput`` (from
``lookout.tracking.track`` or the Stone Soup baseline; only its ``reports`` and ``updates`` track
logs are read) with the truth trajectories, at each report instant.

**Which truths count.** A truth object counts when at least ``min_detections`` detections are
labelled with it. It is *expected* (a tracker should hold it; a report instant without a track
on it is a miss) from its first to its last labelled detection, and *eligible* (a track on it is
a true track, never a false one) from its first labelled detection to the end of its life, so a
tracker that coasts an object past its last detection is neither rewarded nor punished. Without
``detections`` the detection times are unknown and every counted truth is expected over its
whole life.

**Association (the scoring rule).** At each report instant the confirmed tracks are assigned to
the eligible truths by the Hungarian algorithm (``scipy.optimize.linear_sum_assignment``) on
their ECEF position distance, capped at ``assoc_cutoff_m``; pairs farther apart than the cutoff
are not matched. A pair matched at the previous instant costs ``switch_penalty_m`` less, so an
assignment persists through small differences (as in the CLEAR-MOT metrics, a duplicate track
that comes slightly closer does not take the truth over) but moves when the other track is
clearly closer. An unmatched track is false at that instant, an unmatched expected truth
missed. Errors, NEES and continuity come from these matches.
Purity comes from the truth labels instead: the fraction of a track's updating detections that
belong to its majority truth (false alarms are impurities).

**Figures.**

- RMSE of position (3-D, m) and velocity (m/s) per phase ``boost``, ``coast``, ``reentry``, by
  the truth's phase at the instant, over every matched (track, truth, instant).
- PCRLB per phase, where ``pcrlb_results[truth_id]`` is given: the bound's RMS over the same
  matched samples (interpolated to the instants), and RMSE / PCRLB on those samples.
- NEES ``e' P⁻¹ e`` (6 dof): its mean per phase with the two-sided 95% chi-square interval for
  the number of samples averaged, and, per phase, the fraction of report instants whose NEES
  averaged over the n matched truths in that phase lies inside ``[χ²₀.₀₂₅(6n)/n, χ²₀.₉₇₅(6n)/n]``.
- Continuity: id switches (a truth's matched track id changes between consecutive matches),
  fragmentations (a truth's tracked spells beyond the first), false tracks (confirmed track ids
  never matched), missed truths (counted truths never matched while expected), coverage (the
  fraction of expected truth-instants that are matched).
- GOSPA (``c = gospa_c_m``, ``p = 2``, ``α = 2``) per instant between the track positions and
  the positions of the expected truths plus any eligible truth a track is matched to;
  ``gospa_mean`` is its mean over instants, ``gospa_parts_m2`` the means of the localisation,
  missed and false parts of GOSPA² (they sum to the mean of GOSPA²).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.optimize import linear_sum_assignment
from scipy.stats import chi2

from lookout.flight.trajectory import PHASE_NAMES

#: NEES degrees of freedom: the full ECEF position-velocity state.
NEES_DOF = 6
#: Two-sided confidence of the NEES interval.
NEES_CONFIDENCE = 0.95


def nees_bounds(n: np.ndarray | int, dof: int = NEES_DOF, confidence: float = NEES_CONFIDENCE):
    """Lower and upper bounds of the NEES averaged over ``n`` independent samples of ``dof``
    degrees of freedom, at two-sided ``confidence``: ``χ²(n dof) / n`` quantiles."""
    n = np.asarray(n, dtype=float)
    alpha = (1.0 - confidence) / 2.0
    return chi2.ppf(alpha, n * dof) / n, chi2.ppf(1.0 - alpha, n * dof) / n


def gospa(
    tracks: np.ndarray, truths: np.ndarray, c: float, p: float = 2.0
) -> tuple[float, float, float, float]:
    """GOSPA (α = 2) between point sets ``tracks`` (n, d) and ``truths`` (m, d), either possibly
    empty.

    Returns ``(gospa, localisation, missed, false)``, the last three the parts of ``gospa**p``:
    the summed ``d**p`` of assigned pairs closer than ``c``, and ``c**p / 2`` per missed truth and
    per false track.
    """
    tracks = np.asarray(tracks, dtype=float)
    truths = np.asarray(truths, dtype=float)
    n, m = len(tracks), len(truths)
    half = c**p / 2.0
    loc, matched = 0.0, 0
    if n and m:
        d = np.linalg.norm(tracks[:, None, :] - truths[None, :, :], axis=-1)
        cost = np.minimum(d, c) ** p
        r, k = linear_sum_assignment(cost)
        close = d[r, k] < c
        loc = float(np.sum(cost[r, k][close]))
        matched = int(close.sum())
    missed = half * (m - matched)
    false = half * (n - matched)
    return (loc + missed + false) ** (1.0 / p), loc, missed, false


def _phase_dict(values: dict[int, float]) -> dict[str, float | None]:
    return {name: values.get(i) for i, name in enumerate(PHASE_NAMES)}


def _finite_or_none(x) -> float | None:
    x = float(x)
    return x if math.isfinite(x) else None


@dataclass(frozen=True)
class Matches:
    """Every matched (track, truth, instant), as parallel arrays of length S."""

    t: np.ndarray  # (S,) s
    instant: np.ndarray  # (S,) index into Scores.t
    truth: np.ndarray  # (S,) index into Scores.truth_ids
    track_id: np.ndarray  # (S,) int64
    phase: np.ndarray  # (S,) int8, the truth's phase
    pos_err: np.ndarray  # (S, 3) m, track minus truth
    vel_err: np.ndarray  # (S, 3) m/s
    nees: np.ndarray  # (S,)
    pcrlb_pos_m: np.ndarray  # (S,) NaN where no bound is given
    pcrlb_vel_mps: np.ndarray  # (S,)


@dataclass(frozen=True)
class Scores:
    """A tracker's scores against the truth; ``to_dict()`` is the JSON form.

    Per-phase figures are dicts keyed ``boost``, ``coast``, ``reentry`` (None: no samples).
    """

    tracks: int
    truths: int
    rmse_pos_m: dict[str, float | None]
    rmse_vel_mps: dict[str, float | None]
    rmse_pos_all_m: float | None
    rmse_vel_all_mps: float | None
    samples: dict[str, int]
    pcrlb_pos_m: dict[str, float | None]
    pcrlb_vel_mps: dict[str, float | None]
    rmse_over_pcrlb_pos: dict[str, float | None]
    nees_mean: dict[str, float | None]
    nees_bounds: dict[str, tuple[float, float] | None]
    nees_in_bounds_by_phase: dict[str, float | None]
    gospa_mean: float | None
    gospa_parts_m2: dict[str, float | None]
    purity: float | None
    id_switches: int
    fragmentations: int
    false_tracks: int
    missed_truths: int
    coverage: float | None
    false_track_fraction: float | None
    truth_ids: tuple[str, ...]
    per_truth: dict[str, dict[str, Any]]
    t: np.ndarray = field(repr=False)  # (T,) report instants, s
    gospa: np.ndarray = field(repr=False)  # (T,)
    matches: Matches = field(repr=False)

    @property
    def nees_in_bounds_fraction(self) -> float | None:
        """Fraction of coast report instants whose averaged NEES is inside its 95% bounds."""
        return self.nees_in_bounds_by_phase["coast"]

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready figures (no arrays)."""
        return {
            "tracks": self.tracks,
            "truths": self.truths,
            "rmse_pos_m": self.rmse_pos_m,
            "rmse_vel_mps": self.rmse_vel_mps,
            "rmse_pos_all_m": self.rmse_pos_all_m,
            "rmse_vel_all_mps": self.rmse_vel_all_mps,
            "samples": self.samples,
            "pcrlb_pos_m": self.pcrlb_pos_m,
            "pcrlb_vel_mps": self.pcrlb_vel_mps,
            "rmse_over_pcrlb_pos": self.rmse_over_pcrlb_pos,
            "nees_mean": self.nees_mean,
            "nees_bounds": {k: list(v) if v else None for k, v in self.nees_bounds.items()},
            "nees_in_bounds_fraction": self.nees_in_bounds_fraction,
            "nees_in_bounds_by_phase": self.nees_in_bounds_by_phase,
            "gospa_mean": self.gospa_mean,
            "gospa_parts_m2": self.gospa_parts_m2,
            "purity": self.purity,
            "id_switches": self.id_switches,
            "fragmentations": self.fragmentations,
            "false_tracks": self.false_tracks,
            "missed_truths": self.missed_truths,
            "coverage": self.coverage,
            "false_track_fraction": self.false_track_fraction,
            "per_truth": self.per_truth,
        }


def _instants(rep_t: np.ndarray, t_lo: float, t_hi: float, period: float | None) -> np.ndarray:
    """Report instants: every reported time, plus the report grid over the truths' expected span
    (so instants with no track at all still count their misses)."""
    times = [rep_t]
    if period is None and rep_t.size > 1:
        steps = np.diff(np.unique(rep_t))
        period = float(np.median(steps)) if steps.size else None
    period = period or 1.0
    if math.isfinite(t_lo) and t_hi >= t_lo:
        ref = rep_t[0] if rep_t.size else t_lo
        n0, n1 = math.ceil((t_lo - ref) / period - 1e-9), math.floor((t_hi - ref) / period + 1e-9)
        times.append(ref + period * np.arange(n0, n1 + 1))
    return np.unique(np.concatenate(times))


def _nees(err: np.ndarray, P: np.ndarray) -> np.ndarray:
    if err.shape[0] == 0:
        return np.zeros(0)
    try:
        return np.einsum("si,si->s", err, np.linalg.solve(P, err[..., None])[..., 0])
    except np.linalg.LinAlgError:
        return np.einsum("si,si->s", err, (np.linalg.pinv(P) @ err[..., None])[..., 0])


def score(
    output,
    trajectories: Sequence,
    labels: Sequence[str | None],
    *,
    detections: Sequence | None = None,
    pcrlb_results: dict[str, Any] | None = None,
    gospa_c_m: float = 10_000.0,
    assoc_cutoff_m: float | None = None,
    switch_penalty_m: float = 1000.0,
    min_detections: int = 3,
    report_period_s: float | None = None,
) -> Scores:
    """Score ``output`` (a ``TrackerOutput``) against the truth ``trajectories``.

    ``labels[i]`` is the truth object id of detection ``i`` (None: false alarm), as
    ``lookout.sensors.observe`` gives them; ``detections`` the same detections (their times set
    the span in which each truth is expected). ``pcrlb_results`` maps a truth id to its
    ``PcrlbResult`` (fields ``t``, ``pos_m``, ``vel_mps``). ``assoc_cutoff_m`` defaults to
    ``gospa_c_m``; ``switch_penalty_m`` is the advantage of last instant's pairs.
    ``report_period_s`` defaults to the reports' own spacing.
    """
    cutoff = gospa_c_m if assoc_cutoff_m is None else float(assoc_cutoff_m)
    rep = output.reports
    upd = output.updates
    by_id = {tr.object_id: tr for tr in trajectories}

    # Which truths count, and when each was first and last detected.
    lab = np.array(["" if x is None or x not in by_id else x for x in labels], dtype=object)
    ids, counts = np.unique(lab[lab != ""].astype(str), return_counts=True)
    truth_ids = tuple(str(i) for i, n in zip(ids, counts, strict=True) if n >= min_detections)
    n_truth = len(truth_ids)
    t_first = np.full(n_truth, -np.inf)
    t_last = np.full(n_truth, np.inf)
    if detections is not None and n_truth:
        det_t = np.array([d.t_ns for d in detections], dtype=np.int64) * 1e-9
        for j, tid in enumerate(truth_ids):
            tj = det_t[lab == tid]
            t_first[j], t_last[j] = tj.min(), tj.max()
    trajs = [by_id[i] for i in truth_ids]

    # Report instants and the truth at each.
    conf = np.asarray(rep.confirmed, dtype=bool)
    rt = np.round(np.asarray(rep.t, dtype=float)[conf], 6)
    order = np.lexsort((np.asarray(rep.track_id)[conf], rt))
    rt = rt[order]
    rid = np.asarray(rep.track_id, dtype=np.int64)[conf][order]
    rx = np.asarray(rep.x, dtype=float)[conf][order]
    rP = np.asarray(rep.P, dtype=float)[conf][order]
    life_lo = np.array([max(tr.t_start, f) for tr, f in zip(trajs, t_first, strict=True)])
    life_hi = np.array([min(tr.t_end, la) for tr, la in zip(trajs, t_last, strict=True)])
    t_lo = float(life_lo.min()) if n_truth else math.inf
    t_hi = float(life_hi.max()) if n_truth else -math.inf
    inst = np.round(_instants(rt, t_lo, t_hi, report_period_s), 6)
    inst = np.unique(inst)
    n_t = inst.size
    truth_x = np.full((n_t, n_truth, 6), np.nan)
    phase = np.zeros((n_t, n_truth), dtype=np.int8)
    for j, tr in enumerate(trajs):  # one call per truth, vectorised over instants
        truth_x[:, j] = tr.state_at(inst)
        phase[:, j] = tr.phase[tr.sample_index_at(inst)]
    alive = np.isfinite(truth_x).all(axis=2)
    eligible = alive & (inst[:, None] >= t_first[None, :] - 1e-6)
    expected = eligible & (inst[:, None] <= t_last[None, :] + 1e-6)

    # Association per instant (CLEAR-MOT: keep last instant's pairs while within the cutoff).
    starts = np.searchsorted(rt, inst, side="left")
    ends = np.searchsorted(rt, inst, side="right")
    prev_track = np.full(n_truth, -1, dtype=np.int64)
    m_row, m_truth, m_inst = [], [], []
    g = np.zeros(n_t)
    g_loc, g_miss, g_false = np.zeros(n_t), np.zeros(n_t), np.zeros(n_t)
    tracked = np.zeros((n_t, n_truth), dtype=bool)
    for k in range(n_t):
        s, e = starts[k], ends[k]
        elig = np.flatnonzero(eligible[k])
        pos = rx[s:e, :3]
        d = np.linalg.norm(pos[:, None, :] - truth_x[k, elig, :3][None, :, :], axis=-1)
        r = c = np.zeros(0, dtype=np.int64)
        if d.size:
            # Last instant's pairs cost ``switch_penalty_m`` less: a track keeps its truth through
            # small differences (a duplicate does not steal it) and hands it over when clearly
            # farther (an early mix-up between close objects is corrected as they separate).
            kept = (rid[s:e, None] == prev_track[elig][None, :]) & (d < cutoff)
            a, b = linear_sum_assignment(np.minimum(d, cutoff) - switch_penalty_m * kept)
            ok = d[a, b] < cutoff
            r, c = a[ok].astype(np.int64), elig[b[ok]]
        prev_track[:] = -1
        prev_track[c] = rid[s + r]
        tracked[k, c] = True
        m_row.append(s + r)
        m_truth.append(c)
        m_inst.append(np.full(r.size, k))
        # GOSPA against the expected truths plus any truth a track is matched to.
        gt = np.flatnonzero(expected[k] | tracked[k])
        g[k], g_loc[k], g_miss[k], g_false[k] = gospa(pos, truth_x[k, gt, :3], gospa_c_m)

    row = np.concatenate(m_row) if m_row else np.zeros(0, np.int64)
    tj = np.concatenate(m_truth) if m_truth else np.zeros(0, np.int64)
    ki = np.concatenate(m_inst) if m_inst else np.zeros(0, np.int64)
    err = rx[row] - truth_x[ki, tj]
    nees = _nees(err, rP[row])
    ph = phase[ki, tj]

    # The bound, interpolated to the matched instants.
    cr_pos = np.full(row.size, np.nan)
    cr_vel = np.full(row.size, np.nan)
    for j, tid in enumerate(truth_ids):
        res = (pcrlb_results or {}).get(tid)
        if res is None:
            continue
        sel = tj == j
        bt = np.asarray(res.t, dtype=float)
        for arr, vals in ((cr_pos, res.pos_m), (cr_vel, res.vel_mps)):
            v = np.asarray(vals, dtype=float)
            arr[sel] = np.interp(inst[ki[sel]], bt, v, left=np.nan, right=np.nan)

    matches = Matches(
        t=inst[ki],
        instant=ki,
        truth=tj,
        track_id=rid[row],
        phase=ph,
        pos_err=err[:, :3],
        vel_err=err[:, 3:],
        nees=nees,
        pcrlb_pos_m=cr_pos,
        pcrlb_vel_mps=cr_vel,
    )
    pos2 = np.einsum("si,si->s", err[:, :3], err[:, :3])
    vel2 = np.einsum("si,si->s", err[:, 3:], err[:, 3:])

    def rms(x, sel):
        return float(np.sqrt(np.mean(x[sel]))) if sel.any() else None

    rmse_p, rmse_v, cr_p, cr_v, ratio, n_s = {}, {}, {}, {}, {}, {}
    nees_m, nees_b, nees_in = {}, {}, {}
    # Per-instant, per-phase averaged NEES.
    key = ki * 3 + ph
    ukey, inv, cnt = np.unique(key, return_inverse=True, return_counts=True)
    avg = np.bincount(inv, weights=nees, minlength=ukey.size) / np.maximum(cnt, 1)
    lo, hi = nees_bounds(np.maximum(cnt, 1))
    inside = (avg >= lo) & (avg <= hi)
    for p in range(len(PHASE_NAMES)):
        sel = ph == p
        n_s[PHASE_NAMES[p]] = int(sel.sum())
        rmse_p[p], rmse_v[p] = rms(pos2, sel), rms(vel2, sel)
        bsel = sel & np.isfinite(cr_pos)
        cr_p[p] = rms(cr_pos**2, bsel)
        cr_v[p] = rms(cr_vel**2, sel & np.isfinite(cr_vel))
        ratio[p] = rms(pos2, bsel) / cr_p[p] if cr_p[p] else None
        nees_m[p] = float(np.mean(nees[sel])) if sel.any() else None
        nees_b[p] = tuple(float(b) for b in nees_bounds(int(sel.sum()))) if sel.any() else None
        gsel = ukey % 3 == p
        nees_in[p] = float(np.mean(inside[gsel])) if gsel.any() else None

    # Continuity.
    id_switches = 0
    fragmentations = 0
    per_truth = {}
    by_truth = np.lexsort((ki, tj))
    tj_s, tid_s = tj[by_truth], rid[row][by_truth]
    bounds = np.searchsorted(tj_s, np.arange(n_truth + 1))
    for j, tid in enumerate(truth_ids):
        seq = tid_s[bounds[j] : bounds[j + 1]]
        sw = int(np.count_nonzero(np.diff(seq)))
        col = tracked[eligible[:, j], j]
        spells = int(np.count_nonzero(np.diff(col.astype(np.int8)) == 1) + (col[:1].sum()))
        frag = max(spells - 1, 0)
        exp_n = int(expected[:, j].sum())
        cov = float(np.count_nonzero(tracked[:, j] & expected[:, j]) / exp_n) if exp_n else None
        id_switches += sw
        fragmentations += frag
        per_truth[tid] = {
            "tracks": sorted(int(x) for x in np.unique(seq)),
            "id_switches": sw,
            "fragmentations": frag,
            "coverage": cov,
        }
    exp_total = int(expected.sum())
    coverage = float(np.count_nonzero(tracked & expected) / exp_total) if exp_total else None
    missed_truths = int(np.count_nonzero(~(tracked & expected).any(axis=0)))
    track_ids = np.unique(rid)
    false_tracks = int(np.setdiff1d(track_ids, rid[row]).size)
    false_frac = float(1.0 - row.size / rid.size) if rid.size else None

    purity = _purity(upd, labels, track_ids)
    return Scores(
        tracks=int(track_ids.size),
        truths=n_truth,
        rmse_pos_m=_phase_dict(rmse_p),
        rmse_vel_mps=_phase_dict(rmse_v),
        rmse_pos_all_m=rms(pos2, np.ones(row.size, bool)),
        rmse_vel_all_mps=rms(vel2, np.ones(row.size, bool)),
        samples=n_s,
        pcrlb_pos_m=_phase_dict(cr_p),
        pcrlb_vel_mps=_phase_dict(cr_v),
        rmse_over_pcrlb_pos=_phase_dict(ratio),
        nees_mean=_phase_dict(nees_m),
        nees_bounds=_phase_dict(nees_b),
        nees_in_bounds_by_phase=_phase_dict(nees_in),
        gospa_mean=_finite_or_none(g.mean()) if n_t else None,
        gospa_parts_m2={
            name: _finite_or_none(part.mean()) if n_t else None
            for name, part in (("localisation", g_loc), ("missed", g_miss), ("false", g_false))
        },
        purity=purity,
        id_switches=id_switches,
        fragmentations=fragmentations,
        false_tracks=false_tracks,
        missed_truths=missed_truths,
        coverage=coverage,
        false_track_fraction=false_frac,
        truth_ids=truth_ids,
        per_truth=per_truth,
        t=inst,
        gospa=g,
        matches=matches,
    )


def _purity(updates, labels: Sequence[str | None], track_ids: np.ndarray) -> float | None:
    """Label purity over the update rows of the reported tracks: the summed majority-label
    counts over the summed update counts."""
    di = np.asarray(updates.detection_index, dtype=np.int64)
    tid = np.asarray(updates.track_id, dtype=np.int64)
    keep = (di >= 0) & np.isin(tid, track_ids)
    di, tid = di[keep], tid[keep]
    if di.size == 0:
        return None
    codes_of = {}
    code = np.array([codes_of.setdefault(x, len(codes_of)) for x in labels], dtype=np.int64)
    none_code = codes_of.get(None, -1)
    c = code[di]
    pairs, n = np.unique(np.stack([tid, c], axis=1), axis=0, return_counts=True)
    # False alarms never make a track pure: they count in the total, never as the majority.
    n = np.where(pairs[:, 1] == none_code, 0, n)
    first = np.flatnonzero(np.r_[True, pairs[1:, 0] != pairs[:-1, 0]])
    return float(np.maximum.reduceat(n, first).sum() / di.size)
