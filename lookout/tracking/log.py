"""Tracker output as arrays: a ``TrackLog`` of track states, one row per (track, instant)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass(frozen=True)
class TrackLog:
    """Rows of track states. ``t`` (K,) s from the scenario epoch; ``track_id`` (K,) int64;
    ``x`` (K, 6) ECEF m, m/s; ``P`` (K, 6, 6); ``boost_prob`` (K,) IMM probability of the boost
    mode; ``detection_index`` (K,) int64 index of the detection that updated the row (-1 for a
    report row); ``confirmed`` (K,) bool."""

    t: np.ndarray
    track_id: np.ndarray
    x: np.ndarray
    P: np.ndarray
    boost_prob: np.ndarray
    detection_index: np.ndarray
    confirmed: np.ndarray

    def __len__(self) -> int:
        return int(self.t.size)

    @classmethod
    def empty(cls) -> TrackLog:
        return cls(
            t=np.zeros(0),
            track_id=np.zeros(0, dtype=np.int64),
            x=np.zeros((0, 6)),
            P=np.zeros((0, 6, 6)),
            boost_prob=np.zeros(0),
            detection_index=np.zeros(0, dtype=np.int64),
            confirmed=np.zeros(0, dtype=bool),
        )

    @classmethod
    def concatenate(cls, logs: list[TrackLog]) -> TrackLog:
        """One log from many, in the order given."""
        logs = [log for log in logs if len(log)]
        if not logs:
            return cls.empty()
        return cls(
            t=np.concatenate([g.t for g in logs]),
            track_id=np.concatenate([g.track_id for g in logs]).astype(np.int64),
            x=np.concatenate([g.x for g in logs]),
            P=np.concatenate([g.P for g in logs]),
            boost_prob=np.concatenate([g.boost_prob for g in logs]),
            detection_index=np.concatenate([g.detection_index for g in logs]).astype(np.int64),
            confirmed=np.concatenate([g.confirmed for g in logs]).astype(bool),
        )

    def of_track(self, track_id: int) -> TrackLog:
        """The rows of one track."""
        sel = self.track_id == track_id
        return TrackLog(
            t=self.t[sel],
            track_id=self.track_id[sel],
            x=self.x[sel],
            P=self.P[sel],
            boost_prob=self.boost_prob[sel],
            detection_index=self.detection_index[sel],
            confirmed=self.confirmed[sel],
        )


@dataclass(frozen=True)
class TrackerOutput:
    """What ``track`` returns: ``updates`` (one row per detection assigned to a track, the state
    after the update), ``reports`` (every confirmed track predicted to each report instant), the
    number of detections and the wall time (s) spent in the tracker; ``parents``: each track
    started next to another (a piece seen separating from it) to that track's id;
    ``launches``: see below."""

    updates: TrackLog
    reports: TrackLog
    n_detections: int
    wall_s: float
    parents: dict[int, int] = field(default_factory=dict)
    #: Each track started from one satellite's lines of sight alone to its fitted launch
    #: (``mono.MonoFit``: launch point, time and their uncertainty).
    launches: dict[int, Any] = field(default_factory=dict)
