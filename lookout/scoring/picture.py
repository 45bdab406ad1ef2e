"""The picture a partner sees, scored: the system tracks it received over time, against the truth.

A partner's view is every ``SystemTrack`` message delivered to it (``lookout demo``'s live
picture, or ``lookout replay``'s rebuilt one). The fusion publishes each system track at every
report instant, so the tracks a partner received with time ``t`` are the picture it holds at
``t``; a track withheld by releasability is simply absent. ``score_picture`` turns those messages
into report rows and scores them exactly as ``lookout track`` scores its central tracker
(``lookout.scoring.scores``: GOSPA, NEES per phase, RMSE and PCRLB, id switches, duplicate and
false tracks over time, tracks per object), then judges each track's assessment
(``lookout.scoring.claims``: phantom launches, false overflight and impact-area claims).

The truths expected in a partner's view are those any partner's sensors detected: an object only
another partner saw, and that was not shared, is a miss in this partner's picture.

With the fusion's ``Provenance`` (``PictureFusion.keep_provenance``: the detections each of its
measurement-level tracks took, and which of them make each system track), a new system track is
first matched, as a central track is, with the truth that gave most of its detections
(``lookout.scoring.association``). Without it the picture's tracks were told apart from the
truths by position alone at birth: world43 #2's IRBM stage and warhead, 0.1-0.6 km apart under
a 2.5 km cross-range sigma of the one far radar that saw them, were paired the wrong way round
by a few hundred metres of chance and kept so by the switch penalty for 700 s, every partner's
coast NEES scored against the warhead (median 1.7·10⁴) while the fused state held the stage
within its covariance (NEES 7-14): coast NEES in bounds 0.17 against the central tracker's
1.00 on the same track.

The rest of the central tracker's rules apply to a picture as they are (``associate``): a stack's
system track is its spent stage's once a detection its tracks took resolves the pieces (by the
sensor's noise, and by the covariance of the track that took it, ``Provenance.taken_P``), and a
system track unseen since its truth's impact (its ``last_detection_ns``, when a sensor last saw
the object) is matched to no other truth.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from lookout.messages import SystemTrack
from lookout.scoring.association import (
    Truths,
    associate,
    counted_truths,
    covariance_resolves,
    parted_pieces,
    resolved_detections,
    stream_provenance,
)
from lookout.scoring.claims import (
    PHANTOM_KM,
    ClaimRecord,
    Claims,
    Flight,
    flight_of_tracks,
    flights,
    judge_claims,
    root_of,
)
from lookout.scoring.scores import Scores, scores_of
from lookout.timebase import ns_to_s

if TYPE_CHECKING:
    from lookout.picture.fusion import Provenance


@dataclass(frozen=True)
class PictureScores:
    """A picture's scores (``scores``: the tracker figures, system tracks as its tracks) and
    its judged ``claims``; ``to_dict()`` is ``partners.<P>.scores`` of ``lookout demo --json``.
    ``tracks_over_time`` lists ``[t_s, system tracks, duplicates, false]`` at the first instant
    and at every change."""

    scores: Scores
    claims: Claims
    names: tuple[str, ...]  # system track id of each integer track id of ``scores``
    tracks_over_time: list[list[float]]

    @property
    def system_tracks(self) -> int:
        return len(self.names)

    def to_dict(self) -> dict[str, Any]:
        s, c = self.scores, self.claims.to_dict()
        return {
            "phantom_launches": c["phantom_launches"],
            "false_overflight_claims": c["false_overflight_claims"],
            "false_impact_area_claims": c["false_impact_area_claims"],
            "max_system_tracks_per_object": s.max_tracks_per_object,
            "single_track_fraction": s.single_track_fraction,
            "gospa_mean": s.gospa_mean,
            "nees_in_bounds_fraction": s.nees_in_bounds_fraction,
            "nees_in_bounds_by_phase": s.nees_in_bounds_by_phase,
            "id_switches": s.id_switches,
            "system_tracks": self.system_tracks,
            "false_tracks": s.false_tracks,
            "false_track_s": s.false_track_s,
            "duplicate_track_s": s.duplicate_track_s,
            "tracks_over_time": self.tracks_over_time,
            "truths": s.truths,
            "missed_truths": s.missed_truths,
            "coverage": s.coverage,
            "fragmentations": s.fragmentations,
            "rmse_pos_m": s.rmse_pos_m,
            "rmse_vel_mps": s.rmse_vel_mps,
            "pcrlb_pos_m": s.pcrlb_pos_m,
            "rmse_over_pcrlb_pos": s.rmse_over_pcrlb_pos,
            "nees_mean": s.nees_mean,
            "samples": s.samples,
            "gospa_parts_m2": s.gospa_parts_m2,
            "per_truth": {
                truth: v | {"tracks": [self.names[i] for i in v["tracks"]]}
                for truth, v in s.per_truth.items()
            },
            "claims": {k: v for k, v in c.items() if k not in (
                "phantom_launches", "false_overflight_claims", "false_impact_area_claims")},
        }  # fmt: skip


def judge_tracks(
    scores: Scores,
    records: list[ClaimRecord],
    trajectories: Sequence,
    launches: Sequence,
    *,
    names: dict[int, str] | None = None,
    truth_flights: dict[str, Flight] | None = None,
    phantom_km: float = PHANTOM_KM,
) -> Claims:
    """The claims of ``records`` judged against the truth, each track following the flight of
    the truth ``scores`` associated it with most (``names``: integer track id to the id the
    records use; default its decimal string)."""
    truth = truth_flights if truth_flights is not None else flights(launches, trajectories)
    follows = flight_of_tracks(scores.association, root_of(trajectories), names or {})
    return judge_claims(records, follows, truth, phantom_km=phantom_km)


def claim_record(track: SystemTrack) -> ClaimRecord | None:
    """The claims of a system track's assessment (None without one)."""
    a = track.assessment
    if a is None:
        return None
    return ClaimRecord(
        track_id=track.system_track_id,
        t=ns_to_s(a.t_ns),
        launch_lat=a.launch_lat_rad,
        launch_lon=a.launch_lon_rad,
        overflown=tuple(a.overflown),
        impact_area=a.impact_area,
        impact_area_kind=a.impact_area_kind,
        iip=a.iip,
    )


def _over_time(t: np.ndarray, *series: np.ndarray) -> list[list[float]]:
    """``[t_s, *values]`` at the first instant and wherever a value changes."""
    if t.size == 0:
        return []
    v = np.stack(series, axis=1)
    change = np.r_[True, (np.diff(v, axis=0) != 0).any(axis=1)]
    return [[float(t[k]), *map(int, v[k])] for k in np.flatnonzero(change)]


def system_track_provenance(
    rows: Sequence[SystemTrack],
    provenance: Provenance | None,
    detections: Sequence,
    labels: Sequence[str | None],
    truths: Truths,
    resolved: np.ndarray | None = None,
) -> np.ndarray:
    """For each system track row: the index into ``truths`` of the truth that gave most of the
    detections its measurement-level tracks (``provenance``, a fusion's ``Provenance``) had
    taken by the row's time, or, for a system track with none, its partners' local tracks
    (``Provenance.local_taken``, when the nodes kept them: a one-satellite boost shared as
    tracks only); -1 for a track with neither, no labelled detection of a counted truth, or a
    tie. A detection is known by its time, sensor and measurement (``labels[i]`` the truth of
    ``detections[i]``). Each of its tracks is judged as a central track is
    (``association.stream_provenance`` on that track's own detections: given ``resolved``,
    ``resolved_detections``, a stack's track is its piece's after their parting, each
    detection resolved when the track that took it, under its covariance then
    (``Provenance.taken_P``), told the pieces apart), and the system track on the truth its
    tracks' detections by then back most (each track's count for its own truth): a young track
    merged for one report does not lend the system track its piece."""
    out = np.full(len(rows), -1, dtype=np.int64)
    m = len(truths)
    if m == 0 or provenance is None:
        return out
    index = {tid: j for j, tid in enumerate(truths.ids)}
    res = np.zeros(len(detections), dtype=bool) if resolved is None else resolved
    code_of = {
        (d.t_ns, d.sensor_id, tuple(d.z)): (index.get(lab, -1), bool(r))
        for d, lab, r in zip(detections, labels, res, strict=True)
        if lab is not None
    }
    parted = parted_pieces(truths) if resolved is not None else []
    taken: dict[int | tuple[str, str], tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
    local_taken = provenance.local_taken
    local_members = provenance.locals

    def taken_by(tid: int | tuple[str, str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The labelled detections of counted truths the track took: times (ns, ascending),
        truths, and whether each was resolved (by the detection and the track's covariance)."""
        if tid not in taken:
            dets = (local_taken if isinstance(tid, tuple) else provenance.taken).get(tid, ())
            covs = provenance.taken_P.get(tid)
            t = np.fromiter((k[0] for k in dets), np.int64, len(dets))
            cr = [code_of.get(k, (-1, False)) for k in dets]
            c = np.fromiter((x[0] for x in cr), np.int64, len(dets))
            r = np.fromiter((x[1] for x in cr), bool, len(dets))
            if covs is None or len(covs) != len(dets):
                r[:] = False  # the track's covariances not kept: nothing resolved
            keep = c >= 0
            r &= keep
            if r.any():
                at = np.flatnonzero(r)
                P = np.array([covs[i] for i in at.tolist()])
                r[at] = covariance_resolves(ns_to_s(t[at]), P, c[at], truths)
            order = np.argsort(t[keep], kind="stable")
            taken[tid] = (t[keep][order], c[keep][order], r[keep][order])
        return taken[tid]

    groups: dict[tuple, list[int]] = {}
    for r, st in enumerate(rows):
        key = (st.system_track_id, st.t_ns)
        members = provenance.members.get(key) or local_members.get(key)
        if members:
            groups.setdefault(tuple(members), []).append(r)
    for members, at in groups.items():
        row_t = ns_to_s(np.array([rows[i].t_ns for i in at], dtype=np.int64))
        # Each measurement-level track judged as a central track is (its own stream), then
        # the system track on the truth its tracks' detections back most: a young track merged
        # for one report cannot lend the system track its piece (lofted-icbm, S1 at 409 s).
        votes = np.zeros((len(at), m + 1), dtype=np.int64)  # last column: no truth
        for u_ns, c, r in (taken_by(tid) for tid in members):
            u_t = ns_to_s(u_ns)
            j = stream_provenance(u_t, c, r, row_t, m, parted)
            n = np.searchsorted(u_t, row_t + 1e-6, side="right")  # its detections by then
            votes[np.arange(len(at)), j] += n
        votes = votes[:, :m]
        best = votes.argmax(axis=1)
        top = votes[np.arange(len(at)), best]
        unique = (votes == top[:, None]).sum(axis=1) == 1
        out[at] = np.where(unique & (top > 0), best, -1)
    return out


def score_picture(
    tracks: Iterable[SystemTrack],
    *,
    trajectories: Sequence,
    labels: Sequence[str | None],
    detections: Sequence | None,
    launches: Sequence,
    pcrlb_results: dict[str, Any] | None = None,
    truth_flights: dict[str, Flight] | None = None,
    report_period_s: float = 1.0,
    gospa_c_m: float = 10_000.0,
    switch_penalty_m: float = 1000.0,
    min_detections: int = 3,
    phantom_km: float = PHANTOM_KM,
    provenance: Provenance | None = None,
    resolved: np.ndarray | None = None,
) -> PictureScores:
    """Score the system tracks a partner received (any order; a repeat of one track at one
    time counts once) against the truth: ``trajectories``, detection ``labels`` and
    ``detections`` as for ``score``, ``launches`` (``object_id``, ``site_lat``/``site_lon``
    rad, ``launch_time``) for the claims. ``truth_flights`` (from ``claims.flights``) saves
    recomputing the truth's territories for each partner of one run. ``provenance``: the
    fusion's ``Provenance``, so that a new system track is matched first with the truth of
    most of its detections (``system_track_provenance``), as a central track is; ``resolved``
    (``resolved_detections`` of ``detections``) saves recomputing it for each partner. A track
    is unseen since its ``last_detection_ns`` (``associate``'s ``last_update``; not known
    without it)."""
    latest: dict[tuple[str, int], SystemTrack] = {}
    for st in tracks:
        latest[(st.system_track_id, st.t_ns)] = st
    rows = list(latest.values())
    names = sorted({st.system_track_id for st in rows}, key=lambda s: (len(s), s))
    number = {name: i for i, name in enumerate(names)}
    n = len(rows)
    t = ns_to_s(np.array([st.t_ns for st in rows], dtype=np.int64))
    ids = np.array([number[st.system_track_id] for st in rows], dtype=np.int64)
    x = np.array([st.x for st in rows], dtype=float).reshape(n, 6)
    P = np.array([st.P for st in rows], dtype=float).reshape(n, 6, 6)
    truths = counted_truths(trajectories, labels, detections, min_detections)
    prov = None
    if provenance is not None and detections is not None:
        if resolved is None:
            resolved = resolved_detections(detections, labels, truths)
        prov = system_track_provenance(rows, provenance, detections, labels, truths, resolved)
    seen = np.array(
        [np.inf if st.last_detection_ns is None else ns_to_s(st.last_detection_ns) for st in rows],
        dtype=float,
    )
    a = associate(
        t, ids, x, P, truths,
        cutoff_m=gospa_c_m, switch_penalty_m=switch_penalty_m, period_s=report_period_s,
        provenance=prov, last_update=seen,
    )  # fmt: skip
    scores = scores_of(a, None, labels, pcrlb_results, gospa_c_m)
    records = [r for st in rows if (r := claim_record(st)) is not None]
    claims = judge_tracks(
        scores, records, trajectories, launches, names=dict(enumerate(names)),
        truth_flights=truth_flights, phantom_km=phantom_km,
    )  # fmt: skip
    n_tracks = np.diff(np.c_[a.starts, a.ends], axis=1)[:, 0]
    over_time = _over_time(a.t, n_tracks, scores.duplicates_over_time, scores.false_over_time)
    return PictureScores(scores, claims, tuple(names), over_time)
