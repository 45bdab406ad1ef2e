"""A tracker's output scored against the truth: accuracy, consistency, continuity, GOSPA.

``score(output, trajectories, labels, detections=...)`` compares a ``TrackerOutput`` (from
``lookout.tracking.track``, the Stone Soup baseline, or a partner's picture made into one by
``lookout.scoring.picture``; only its ``reports`` and ``updates`` track logs are read) with the
truth trajectories, at each report instant, after associating the confirmed reports with the
truths (``lookout.scoring.association``: which truths count, the CLEAR-MOT assignment,
duplicates and false tracks). Purity comes from the truth labels instead: the fraction of a
track's updating detections that belong to its majority truth (false alarms are impurities).

**Figures.**

- RMSE of position (3-D, m) and velocity (m/s) per phase ``boost``, ``coast``, ``reentry``, by
  the truth's phase at the instant, over every matched (track, truth, instant).
- PCRLB per phase, where ``pcrlb_results[truth_id]`` is given: the bound's RMS over the same
  matched samples (interpolated to the instants), and RMSE / PCRLB on those samples.
- NEES ``e' P⁻¹ e`` (6 dof): its mean per phase with the two-sided 95% chi-square interval for
  the number of samples averaged, and, per phase, the fraction of report instants whose NEES
  averaged over the n samples in that phase lies inside ``[χ²₀.₀₂₅(6n)/n, χ²₀.₉₇₅(6n)/n]``.
  Its samples (``nees_samples``, their count per phase ``nees_samples`` in the JSON) are the
  matched ones and every false estimate (beyond the cut-off of every truth) with the truth that
  gave most of its track's detections (``Association.provenance``), alive then: the cut-off
  decides which estimate holds a truth, not which errors test a covariance. Cut at 10 km, the
  test kept only the errors below 10 km of tracks whose sigma was tens of km (one infrared
  satellite's boost, its range along the line of sight from the catalogue's boosts: me64 #01's
  Sejjil-class MRBMs 10-65 km off under 25-110 km sigmas), so the one sample left per case was
  the one that happened to pass near its truth, and its NEES far below 6 (boost in bounds 0.00
  on one sample, where the tracks' 108 boost samples, uncut, are in bounds at 0.90).
- Continuity: id switches (a truth's matched track id changes between consecutive matches),
  fragmentations (a truth's tracked spells beyond the first), false tracks (confirmed track ids
  never matched), missed truths (counted truths never matched while expected), coverage (the
  fraction of expected truth-instants that are matched).
- One track per object: at each instant, the tracks on each truth (its matched track and its
  duplicates); ``max_tracks_per_object`` the most at any instant, ``single_track_fraction`` the
  time-weighted share of tracked truth-time (one track or more) held by exactly one;
  ``duplicate_track_s`` and ``false_track_s`` the track-seconds of duplicate and false tracks
  (each instant stands for one report period); ``false_track_s_in_gate`` the part of the
  latter whose track holds a truth inside its own 99 % position ellipsoid (``FALSE_IN_GATE_PROB``):
  a prediction that has drifted past the cut-off and says so by its covariance (an object
  unseen since burnout, its velocity then known to a few hundred m/s), not a phantom.
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
from scipy.stats import chi2

from lookout.physics.trajectory import PHASE_NAMES
from lookout.scoring.association import (
    Association,
    associate,
    counted_truths,
    resolved_detections,
    track_last_update,
    track_provenance,
)
from lookout.scoring.functions import (
    finite_or_none,
    gospa,
    nees,
    nees_bounds,
    nees_in_bounds_by_phase,
    nees_in_bounds_counts,
    rms,
)


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
class NeesSamples:
    """The samples that test the covariances (module doc): parallel arrays of length N."""

    instant: np.ndarray  # (N,) index into Scores.t
    truth: np.ndarray  # (N,) index into Scores.truth_ids
    phase: np.ndarray  # (N,) int8, the truth's phase
    nees: np.ndarray  # (N,)

    @classmethod
    def matched(cls, m: Matches) -> NeesSamples:
        """The matched samples ``m`` alone (before the false estimates were judged too)."""
        return cls(m.instant, m.truth, m.phase, m.nees)


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
    max_tracks_per_object: int
    single_track_fraction: float | None
    duplicate_track_s: float
    false_track_s: float
    false_track_s_in_gate: float
    truth_ids: tuple[str, ...]
    per_truth: dict[str, dict[str, Any]]
    t: np.ndarray = field(repr=False)  # (T,) report instants, s
    gospa: np.ndarray = field(repr=False)  # (T,)
    matches: Matches = field(repr=False)
    duplicates_over_time: np.ndarray = field(repr=False)  # (T,) duplicate tracks per instant
    false_over_time: np.ndarray = field(repr=False)  # (T,) false tracks per instant
    association: Association | None = field(default=None, repr=False)
    nees_samples: NeesSamples | None = field(default=None, repr=False)

    @property
    def nees_in_bounds_fraction(self) -> float | None:
        """Fraction of coast report instants whose averaged NEES is inside its 95% bounds."""
        return self.nees_in_bounds_by_phase["coast"]

    def sums(self) -> dict[str, Any]:
        """Additive sums behind the figures, so that several runs pool into one set's figures
        (``pooled``): per phase the samples, squared errors, the bound's squares where there is
        one, the NEES instants inside their bounds; the truth-instants held by one track or
        more and by exactly one; GOSPA summed over instants."""
        m = self.matches
        pos2 = np.einsum("si,si->s", m.pos_err, m.pos_err)
        bounded = np.isfinite(m.pcrlb_pos_m)
        ns = self.nees_samples or NeesSamples.matched(m)
        counts = nees_in_bounds_counts(ns.instant, ns.phase, ns.nees)
        phases = {}
        for p, name in enumerate(PHASE_NAMES):
            sel = m.phase == p
            b = sel & bounded
            phases[name] = {
                "samples": int(sel.sum()),
                "pos2": float(pos2[sel].sum()),
                "bounded_samples": int(b.sum()),
                "bounded_pos2": float(pos2[b].sum()),
                "bound2": float(np.sum(m.pcrlb_pos_m[b] ** 2)),
                "nees_inside": counts[p][0],
                "nees_instants": counts[p][1],
            }
        per_object = (
            self.association.estimates_per_truth() if self.association is not None else None
        )
        return {
            "phases": phases,
            "held": int(np.count_nonzero(per_object >= 1)) if per_object is not None else 0,
            "single": int(np.count_nonzero(per_object == 1)) if per_object is not None else 0,
            "max_tracks_per_object": self.max_tracks_per_object,
            "gospa_sum": float(self.gospa.sum()),
            "instants": int(self.t.size),
            "id_switches": self.id_switches,
            "false_track_s": self.false_track_s,
            "false_track_s_in_gate": self.false_track_s_in_gate,
            "duplicate_track_s": self.duplicate_track_s,
        }

    def nees_sample_counts(self) -> dict[str, int]:
        """The NEES samples (``nees_samples``) of each phase, by phase name."""
        ns = self.nees_samples
        phase = ns.phase if ns is not None else self.matches.phase
        return {name: int(np.count_nonzero(phase == p)) for p, name in enumerate(PHASE_NAMES)}

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
            "nees_samples": self.nees_sample_counts(),
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
            "max_tracks_per_object": self.max_tracks_per_object,
            "single_track_fraction": self.single_track_fraction,
            "duplicate_track_s": self.duplicate_track_s,
            "false_track_s": self.false_track_s,
            "false_track_s_in_gate": self.false_track_s_in_gate,
            "per_truth": self.per_truth,
        }


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
    truths = counted_truths(trajectories, labels, detections, min_detections)
    conf = np.asarray(rep.confirmed, dtype=bool)
    t = np.asarray(rep.t, dtype=float)[conf]
    ids = np.asarray(rep.track_id, dtype=np.int64)[conf]
    resolved = None if detections is None else resolved_detections(detections, labels, truths)
    a = associate(
        t,
        ids,
        np.asarray(rep.x, dtype=float)[conf],
        np.asarray(rep.P, dtype=float)[conf],
        truths,
        cutoff_m=cutoff,
        switch_penalty_m=switch_penalty_m,
        period_s=report_period_s,
        provenance=track_provenance(t, ids, output.updates, labels, truths, resolved),
        last_update=track_last_update(t, ids, output.updates),
    )
    return scores_of(a, output.updates, labels, pcrlb_results, gospa_c_m)


@dataclass(frozen=True)
class GospaOverTime:
    """GOSPA at each instant, and the localisation, missed and false parts of its square."""

    total: np.ndarray  # (T,) m
    localisation: np.ndarray  # (T,) m²
    missed: np.ndarray  # (T,) m²
    false: np.ndarray  # (T,) m²

    def parts_m2(self) -> dict[str, float | None]:
        """The parts' means over the instants (None without instants)."""
        n_t = self.total.size
        return {
            name: finite_or_none(part.mean()) if n_t else None
            for name, part in (
                ("localisation", self.localisation), ("missed", self.missed), ("false", self.false)
            )
        }  # fmt: skip


@dataclass(frozen=True)
class PhaseFigures:
    """The accuracy and consistency figures of the matched samples in one truth phase (None:
    no sample, or no bound)."""

    samples: int
    rmse_pos_m: float | None
    rmse_vel_mps: float | None
    pcrlb_pos_m: float | None
    pcrlb_vel_mps: float | None
    rmse_over_pcrlb_pos: float | None
    nees_mean: float | None
    nees_bounds: tuple[float, float] | None
    nees_in_bounds: float | None


@dataclass(frozen=True)
class Continuity:
    """How the truths were held over time: id switches, fragmentations, coverage, false and
    duplicate tracks, tracks per object; ``per_truth`` the same per truth id."""

    id_switches: int
    fragmentations: int
    per_truth: dict[str, dict[str, Any]]
    coverage: float | None
    missed_truths: int
    track_ids: np.ndarray  # (N,) every estimate id
    false_tracks: int
    false_track_fraction: float | None
    max_tracks_per_object: int
    single_track_fraction: float | None
    duplicates_over_time: np.ndarray  # (T,)
    false_over_time: np.ndarray  # (T,)
    false_in_gate_over_time: np.ndarray  # (T,)


def gospa_over_time(a: Association, c_m: float) -> GospaOverTime:
    """GOSPA at each instant against the expected truths plus any truth a track is matched
    to (cut-off ``c_m``)."""
    n_t = a.t.size
    g = np.zeros(n_t)
    g_loc, g_miss, g_false = np.zeros(n_t), np.zeros(n_t), np.zeros(n_t)
    for k in range(n_t):
        gt = np.flatnonzero(a.expected[k] | a.matched[k])
        g[k], g_loc[k], g_miss[k], g_false[k] = gospa(
            a.est_x[a.starts[k] : a.ends[k], :3], a.truth_x[k, gt, :3], c_m
        )
    return GospaOverTime(g, g_loc, g_miss, g_false)


def matches_of(a: Association, pcrlb_results: dict[str, Any] | None) -> Matches:
    """The matched samples of ``a``: errors, NEES, the truth's phase, and the bound of
    ``pcrlb_results[truth_id]`` interpolated to the instants (NaN where none is given)."""
    row, tj, ki = a.row, a.truth, a.instant
    err = a.est_x[row] - a.truth_x[ki, tj]
    cr_pos = np.full(row.size, np.nan)
    cr_vel = np.full(row.size, np.nan)
    for j, tid in enumerate(a.truths.ids):
        res = (pcrlb_results or {}).get(tid)
        if res is None:
            continue
        sel = tj == j
        bt = np.asarray(res.t, dtype=float)
        for arr, vals in ((cr_pos, res.pos_m), (cr_vel, res.vel_mps)):
            v = np.asarray(vals, dtype=float)
            arr[sel] = np.interp(a.t[ki[sel]], bt, v, left=np.nan, right=np.nan)
    return Matches(
        t=a.t[ki],
        instant=ki,
        truth=tj,
        track_id=a.est_id[row],
        phase=a.phase[ki, tj],
        pos_err=err[:, :3],
        vel_err=err[:, 3:],
        nees=nees(err, a.est_P[row]),
        pcrlb_pos_m=cr_pos,
        pcrlb_vel_mps=cr_vel,
    )


def nees_samples_of(a: Association, m: Matches) -> NeesSamples:
    """The NEES samples of ``a`` (module doc): the matched samples ``m``, then each false
    estimate with its provenance truth where that truth is eligible at the instant."""
    rows = np.flatnonzero(a.is_false)
    j = np.full(rows.size, -1, dtype=np.int64)
    if a.provenance is not None:
        j = a.provenance[rows]
    k = a.est_instant[rows]
    ok = j >= 0
    ok[ok] = a.eligible[k[ok], j[ok]]
    rows, j, k = rows[ok], j[ok], k[ok]
    err = a.est_x[rows] - a.truth_x[k, j]
    return NeesSamples(
        instant=np.concatenate([m.instant, k]).astype(np.int64),
        truth=np.concatenate([m.truth, j]).astype(np.int64),
        phase=np.concatenate([m.phase, a.phase[k, j]]).astype(np.int8),
        nees=np.concatenate([m.nees, nees(err, a.est_P[rows])]),
    )


def _squares(errors: np.ndarray) -> np.ndarray:
    """The squared norm of each row of ``errors`` (S, 3)."""
    return np.einsum("si,si->s", errors, errors)


def phase_figures(m: Matches, ns: NeesSamples | None = None) -> dict[str, PhaseFigures]:
    """:class:`PhaseFigures` of each phase, by phase name: accuracy from the matched samples
    ``m``, consistency from the NEES samples ``ns`` (default: the matched ones)."""
    pos2, vel2 = _squares(m.pos_err), _squares(m.vel_err)
    if ns is None:
        ns = NeesSamples.matched(m)
    nees_in = nees_in_bounds_by_phase(ns.instant, ns.phase, ns.nees)
    out = {}
    for p, name in enumerate(PHASE_NAMES):
        sel = m.phase == p
        nsel = ns.phase == p
        bsel = sel & np.isfinite(m.pcrlb_pos_m)
        cr_p = rms(m.pcrlb_pos_m**2, bsel)
        out[name] = PhaseFigures(
            samples=int(sel.sum()),
            rmse_pos_m=rms(pos2, sel),
            rmse_vel_mps=rms(vel2, sel),
            pcrlb_pos_m=cr_p,
            pcrlb_vel_mps=rms(m.pcrlb_vel_mps**2, sel & np.isfinite(m.pcrlb_vel_mps)),
            rmse_over_pcrlb_pos=rms(pos2, bsel) / cr_p if cr_p else None,
            nees_mean=float(np.mean(ns.nees[nsel])) if nsel.any() else None,
            nees_bounds=(
                tuple(float(b) for b in nees_bounds(int(nsel.sum()))) if nsel.any() else None
            ),
            nees_in_bounds=nees_in[p],
        )
    return out


def continuity(a: Association) -> Continuity:
    """Id switches, fragmentations and coverage per truth and in all; missed truths; false and
    duplicate tracks; tracks per object (see the module doc)."""
    truth_ids = a.truths.ids
    n_t = a.t.size
    rid, row, tj, ki = a.est_id, a.row, a.truth, a.instant
    id_switches = 0
    fragmentations = 0
    per_truth = {}
    by_truth = np.lexsort((ki, tj))
    tj_s, tid_s = tj[by_truth], rid[row][by_truth]
    bounds = np.searchsorted(tj_s, np.arange(len(truth_ids) + 1))
    per_object = a.estimates_per_truth()
    for j, tid in enumerate(truth_ids):
        seq = tid_s[bounds[j] : bounds[j + 1]]
        sw = int(np.count_nonzero(np.diff(seq)))
        col = a.matched[a.eligible[:, j], j]
        spells = int(np.count_nonzero(np.diff(col.astype(np.int8)) == 1) + (col[:1].sum()))
        frag = max(spells - 1, 0)
        exp_n = int(a.expected[:, j].sum())
        cov = float(np.count_nonzero(a.matched[:, j] & a.expected[:, j]) / exp_n) if exp_n else None
        id_switches += sw
        fragmentations += frag
        per_truth[tid] = {
            "tracks": sorted(int(x) for x in np.unique(seq)),
            "id_switches": sw,
            "fragmentations": frag,
            "coverage": cov,
            "max_tracks": int(per_object[:, j].max()) if n_t else 0,
        }
    exp_total = int(a.expected.sum())
    track_ids = np.unique(rid)
    held = per_object >= 1
    return Continuity(
        id_switches=id_switches,
        fragmentations=fragmentations,
        per_truth=per_truth,
        coverage=(
            float(np.count_nonzero(a.matched & a.expected) / exp_total) if exp_total else None
        ),
        missed_truths=int(np.count_nonzero(~(a.matched & a.expected).any(axis=0))),
        track_ids=track_ids,
        false_tracks=int(np.setdiff1d(track_ids, rid[row]).size),
        false_track_fraction=float(1.0 - row.size / rid.size) if rid.size else None,
        max_tracks_per_object=int(per_object.max()) if per_object.size else 0,
        single_track_fraction=(
            float(np.count_nonzero(per_object == 1) / held.sum()) if held.any() else None
        ),
        duplicates_over_time=np.bincount(a.est_instant[a.duplicate_of >= 0], minlength=n_t),
        false_over_time=np.bincount(a.est_instant[a.is_false], minlength=n_t),
        false_in_gate_over_time=np.bincount(
            a.est_instant[np.flatnonzero(a.is_false)[false_in_gate(a)]], minlength=n_t
        ),
    )


#: A false track (no truth within the association's cut-off) whose own covariance holds a
#: truth at this probability (3-D position, chi-square gate) is a drifted prediction, not a
#: phantom (``false_in_gate``).
FALSE_IN_GATE_PROB = 0.99


def false_in_gate(a: Association) -> np.ndarray:
    """Of ``a``'s false estimates (``Association.is_false``, in row order), whether a truth
    eligible at the instant lies inside the estimate's own ``FALSE_IN_GATE_PROB`` position
    ellipsoid (its Mahalanobis distance under the estimate's 3x3 position covariance)."""
    rows = np.flatnonzero(a.is_false)
    if rows.size == 0 or a.truth_x.shape[1] == 0:
        return np.zeros(rows.size, dtype=bool)
    k = a.est_instant[rows]
    d = a.est_x[rows, None, :3] - a.truth_x[k, :, :3]  # (F, M, 3)
    alive = a.eligible[k] & np.isfinite(d).all(axis=2)
    d = np.where(alive[..., None], d, 0.0)
    P = a.est_P[rows, :3, :3]
    ok = np.isfinite(P).all(axis=(1, 2)) & (np.linalg.det(P) > 0.0)
    P = np.where(ok[:, None, None], P, np.eye(3))
    d2 = np.einsum("fmi,fmi->fm", d, np.linalg.solve(P[:, None], d[..., None])[..., 0])
    inside = alive & (d2 <= chi2.ppf(FALSE_IN_GATE_PROB, 3)) & ok[:, None]
    return inside.any(axis=1)


def scores_of(
    a: Association,
    updates,
    labels: Sequence[str | None],
    pcrlb_results: dict[str, Any] | None,
    gospa_c_m: float,
) -> Scores:
    """The figures of an association (see the module doc): its GOSPA over time, the matched
    samples' figures per phase, its continuity, and the purity of ``updates`` (a tracker's
    update log; None for a picture, which has none)."""
    g = gospa_over_time(a, gospa_c_m)
    m = matches_of(a, pcrlb_results)
    ns = nees_samples_of(a, m)
    phases = phase_figures(m, ns)
    c = continuity(a)
    every = np.ones(a.row.size, bool)

    def per_phase(figure: str) -> dict[str, Any]:
        return {name: getattr(f, figure) for name, f in phases.items()}

    return Scores(
        tracks=int(c.track_ids.size),
        truths=len(a.truths.ids),
        rmse_pos_m=per_phase("rmse_pos_m"),
        rmse_vel_mps=per_phase("rmse_vel_mps"),
        rmse_pos_all_m=rms(_squares(m.pos_err), every),
        rmse_vel_all_mps=rms(_squares(m.vel_err), every),
        samples=per_phase("samples"),
        pcrlb_pos_m=per_phase("pcrlb_pos_m"),
        pcrlb_vel_mps=per_phase("pcrlb_vel_mps"),
        rmse_over_pcrlb_pos=per_phase("rmse_over_pcrlb_pos"),
        nees_mean=per_phase("nees_mean"),
        nees_bounds=per_phase("nees_bounds"),
        nees_in_bounds_by_phase=per_phase("nees_in_bounds"),
        gospa_mean=finite_or_none(g.total.mean()) if a.t.size else None,
        gospa_parts_m2=g.parts_m2(),
        purity=_purity(updates, labels, c.track_ids),
        id_switches=c.id_switches,
        fragmentations=c.fragmentations,
        false_tracks=c.false_tracks,
        missed_truths=c.missed_truths,
        coverage=c.coverage,
        false_track_fraction=c.false_track_fraction,
        max_tracks_per_object=c.max_tracks_per_object,
        single_track_fraction=c.single_track_fraction,
        duplicate_track_s=float(c.duplicates_over_time.sum() * a.period_s),
        false_track_s=float(c.false_over_time.sum() * a.period_s),
        false_track_s_in_gate=float(c.false_in_gate_over_time.sum() * a.period_s),
        truth_ids=a.truths.ids,
        per_truth=c.per_truth,
        t=a.t,
        gospa=g.total,
        matches=m,
        duplicates_over_time=c.duplicates_over_time,
        false_over_time=c.false_over_time,
        association=a,
        nees_samples=ns,
    )


def _purity(updates, labels: Sequence[str | None], track_ids: np.ndarray) -> float | None:
    """Label purity over the update rows of the reported tracks: the summed majority-label
    counts over the summed update counts (None without updates)."""
    if updates is None:
        return None
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


def pooled(sums: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """The figures of several runs together, from their ``Scores.sums()``: RMSE, RMSE/PCRLB and
    NEES in bounds per phase over all samples and instants, the single-track share over all
    tracked truth-time, the most tracks on one object, GOSPA over all instants, and totals."""
    out: dict[str, Any] = {"runs": len(sums)}
    for name in PHASE_NAMES:
        ph = [s["phases"][name] for s in sums]
        n = sum(p["samples"] for p in ph)
        nb = sum(p["bounded_samples"] for p in ph)
        b2 = sum(p["bound2"] for p in ph)
        ni = sum(p["nees_instants"] for p in ph)
        out[name] = {
            "samples": n,
            "rmse_pos_m": math.sqrt(sum(p["pos2"] for p in ph) / n) if n else None,
            "pcrlb_pos_m": math.sqrt(b2 / nb) if nb else None,
            "rmse_over_pcrlb_pos": (
                math.sqrt(sum(p["bounded_pos2"] for p in ph) / b2) if nb and b2 > 0 else None
            ),
            "nees_in_bounds": sum(p["nees_inside"] for p in ph) / ni if ni else None,
        }
    held = sum(s["held"] for s in sums)
    instants = sum(s["instants"] for s in sums)
    out["single_track_fraction"] = sum(s["single"] for s in sums) / held if held else None
    out["max_tracks_per_object"] = max((s["max_tracks_per_object"] for s in sums), default=0)
    out["gospa_mean"] = sum(s["gospa_sum"] for s in sums) / instants if instants else None
    for key in ("id_switches", "false_track_s", "false_track_s_in_gate", "duplicate_track_s"):
        out[key] = sum(s.get(key, 0) for s in sums)  # a run recorded before a key: none
    return out
