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
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from lookout.messages import SystemTrack
from lookout.scoring.association import associate, counted_truths
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
) -> PictureScores:
    """Score the system tracks a partner received (any order; a repeat of one track at one
    time counts once) against the truth: ``trajectories``, detection ``labels`` and
    ``detections`` as for ``score``, ``launches`` (``object_id``, ``site_lat``/``site_lon``
    rad, ``launch_time``) for the claims. ``truth_flights`` (from ``claims.flights``) saves
    recomputing the truth's territories for each partner of one run."""
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
    a = associate(
        t, ids, x, P, truths,
        cutoff_m=gospa_c_m, switch_penalty_m=switch_penalty_m, period_s=report_period_s,
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
