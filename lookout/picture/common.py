"""The common picture: fused system tracks with their assessments, as ``SystemTrack`` messages.

``CommonPicture`` is the exchange's fusion (``lookout.exchange.exchange.Fusion``): it feeds every
accepted partner message to ``lookout.picture.fusion.PictureFusion`` and, at every report
instant, returns the system tracks as messages, each with the latest assessment of its track
(``lookout.assess``; assessed every ``assess_period_s``, all tracks in one batch) and its launch
event and object type (``lookout.assess.events``, at the same instants). ``PictureView`` is
what a partner keeps of the picture it receives.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from lookout import messages as m
from lookout.assess import Assessor, assessment_message
from lookout.assess.events import LaunchEvents
from lookout.picture.fusion import FusedTrack, PictureFusion
from lookout.timebase import s_to_ns, s_to_ns_or_none
from lookout.tracking.config import TrackerConfig


class CommonPicture:
    """Fusion and assessment of every partner's shared messages (the exchange's ``Fusion``)."""

    def __init__(
        self,
        config: TrackerConfig | None = None,
        *,
        report_period_s: float = 1.0,
        assess_period_s: float = 5.0,
        latency_s: float = 1.0,
        first_system_track_id: int = 1,
    ) -> None:
        self.fusion = PictureFusion(
            config,
            report_period_s=report_period_s,
            latency_s=latency_s,
            first_system_track_id=first_system_track_id,
        )
        self.dropped = 0  # system tracks left out of a report as not valid messages
        self.assessor = Assessor()
        self.events = LaunchEvents()  # the tracks of one launch, typed (lookout.assess.events)
        self.assess_period_s = assess_period_s
        self._assessment: dict[str, m.Assessment] = {}
        self.current: dict[str, m.SystemTrack] = {}

    def ingest(self, sender: str, message: m.Message) -> list[m.SystemTrack]:
        out: list[m.SystemTrack] = []
        for t, tracks in self.fusion.ingest(sender, message):
            out += self._publish(t, tracks)
        return out

    def flush(self) -> list[m.SystemTrack]:
        out: list[m.SystemTrack] = []
        for t, tracks in self.fusion.flush():
            out += self._publish(t, tracks)
        return out

    def publish(self, t: float, tracks: list[FusedTrack]) -> list[m.SystemTrack]:
        """Assess and report ``tracks`` fused elsewhere (the assessment workers of the
        distributed form, ``lookout.app.picture_workers``)."""
        return self._publish(t, tracks)

    def _publish(self, t: float, tracks: list[FusedTrack]) -> list[m.SystemTrack]:
        k = t / self.assess_period_s
        if tracks and abs(k - round(k)) < 1e-6:
            ids = [f.system_track_id for f in tracks]
            fresh = self.assessor.update(
                t,
                ids,
                np.array([f.x for f in tracks]),
                np.array([f.P for f in tracks]),
                np.array([f.boost_prob for f in tracks]),
                # A launch's spent stages and debris fall as they are, with no lift to carry
                # them on (their type as the launch event settled it at the last instant).
                no_lift={k for k in ids if self.events.of(k)[1] in ("spent_stage", "debris")},
                parents={f.system_track_id: f.parent for f in tracks if f.parent is not None},
            )
            for a in fresh:
                self._assessment[a.track_id] = assessment_message(a)
            self.events.update(t, fresh)
        out = []
        self.current = {}
        for f in tracks:
            st = self._message(f, t)
            if st is None:
                continue
            self.current[f.system_track_id] = st
            out.append(st)
        return out

    def _message(self, f: FusedTrack, t: float) -> m.SystemTrack | None:
        """The track as a valid, plausible message (without its assessment if only that is
        not), or None: one bad track is left out, never the whole report (issue 15)."""
        event_id, object_type = self.events.of(f.system_track_id)
        event = self.events.event_of(f.system_track_id)
        for assessment in (self._assessment.get(f.system_track_id), None):
            try:
                st = m.SystemTrack(
                    system_track_id=f.system_track_id,
                    t_ns=s_to_ns(t),
                    x=[float(v) for v in f.x],
                    P=[[float(v) for v in row] for row in 0.5 * (f.P + f.P.T)],
                    partners=list(f.partners),
                    assessment=assessment,
                    event_id=event_id,
                    object_type=object_type,
                    event_class=event.event_class if event is not None else None,
                    last_detection_ns=s_to_ns_or_none(f.last_seen),
                )
                st.check()
                return st
            except ValueError:
                continue
        self.dropped += 1
        return None


@dataclass
class PictureView:
    """A partner's view of the common picture: the latest of each system track it received,
    dropped when not refreshed for ``stale_s``."""

    stale_s: float = 5.0
    tracks: dict[str, m.SystemTrack] = field(default_factory=dict)
    updates: int = 0
    t_now_ns: int = -(2**63)

    def apply(self, track: m.SystemTrack) -> None:
        self.updates += 1
        old = self.tracks.get(track.system_track_id)
        if old is None or track.t_ns >= old.t_ns:
            self.tracks[track.system_track_id] = track
        self.t_now_ns = max(self.t_now_ns, track.t_ns)
        limit = self.t_now_ns - s_to_ns(self.stale_s)
        for key in [k for k, v in self.tracks.items() if v.t_ns < limit]:
            del self.tracks[key]
