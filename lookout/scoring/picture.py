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
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from lookout.messages import SystemTrack
from lookout.scoring.association import Truths, associate, counted_truths
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
) -> np.ndarray:
    """For each system track row: the index into ``truths`` of the truth that gave most of the
    detections its measurement-level tracks (``provenance``, a fusion's ``Provenance``) had
    taken by the row's time, or, for a system track with none, its partners' local tracks
    (``Provenance.local_taken``, when the nodes kept them: a one-satellite boost shared as
    tracks only); -1 for a track with neither, no labelled detection of a counted truth, or a
    tie. A detection is known by its time, sensor and measurement (``labels[i]`` the truth of
    ``detections[i]``)."""
    out = np.full(len(rows), -1, dtype=np.int64)
    m = len(truths)
    if m == 0 or provenance is None:
        return out
    index = {tid: j for j, tid in enumerate(truths.ids)}
    code_of = {
        (d.t_ns, d.sensor_id, tuple(d.z)): index.get(lab, -1)
        for d, lab in zip(detections, labels, strict=True)
        if lab is not None
    }
    taken: dict[int | tuple[str, str], tuple[np.ndarray, np.ndarray]] = {}
    local_taken = provenance.local_taken
    local_members = provenance.locals

    def taken_by(tid: int | tuple[str, str]) -> tuple[np.ndarray, np.ndarray]:
        if tid not in taken:
            if isinstance(tid, tuple):
                dets = local_taken.get(tid, ())
            else:
                dets = provenance.taken.get(tid, ())
            t = np.fromiter((k[0] for k in dets), np.int64, len(dets))
            c = np.fromiter((code_of.get(k, -1) for k in dets), np.int64, len(dets))
            order = np.argsort(t, kind="stable")
            taken[tid] = (t[order], c[order])
        return taken[tid]

    for r, st in enumerate(rows):
        key = (st.system_track_id, st.t_ns)
        members = provenance.members.get(key) or local_members.get(key)
        if not members:
            continue
        counts = np.zeros(m, dtype=np.int64)
        for tid in members:
            t, c = taken_by(tid)
            c = c[: np.searchsorted(t, st.t_ns, side="right")]
            counts += np.bincount(c[c >= 0], minlength=m)
        best = int(counts.argmax())
        if counts[best] > 0 and np.count_nonzero(counts == counts[best]) == 1:
            out[r] = best
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
) -> PictureScores:
    """Score the system tracks a partner received (any order; a repeat of one track at one
    time counts once) against the truth: ``trajectories``, detection ``labels`` and
    ``detections`` as for ``score``, ``launches`` (``object_id``, ``site_lat``/``site_lon``
    rad, ``launch_time``) for the claims. ``truth_flights`` (from ``claims.flights``) saves
    recomputing the truth's territories for each partner of one run. ``provenance``: the
    fusion's ``Provenance``, so that a new system track is matched first with the truth of
    most of its detections (``system_track_provenance``), as a central track is."""
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
        prov = system_track_provenance(rows, provenance, detections, labels, truths)
    a = associate(
        t, ids, x, P, truths,
        cutoff_m=gospa_c_m, switch_penalty_m=switch_penalty_m, period_s=report_period_s,
        provenance=prov,
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
