"""The common picture: fused system tracks with their assessments, as ``SystemTrack`` messages.

``CommonPicture`` is the exchange's fusion (``lookout.exchange.exchange.Fusion``): it feeds every
accepted partner message to ``lookout.picture.fusion.PictureFusion`` and, at every report
instant, returns the system tracks as messages, each with the latest assessment of its track
(``lookout.assess``; assessed every ``assess_period_s``, all tracks in one batch) and its launch
event and object type (``lookout.assess.events``, at the same instants). ``PictureView`` is
what a partner keeps of the picture it receives.

With ``assess_in_background`` the assessment does not hold the caller (the exchange's event
loop): the tracks of an assessment instant go out at once, with their previous assessment,
while the batch runs in a worker thread; at the next report instant (the loop waits for the
batch there only if it is not done yet) the tracks of the assessed instant go out again, with
their fresh assessment and the launch events it updated, just before that report's own. A
partner thus holds for each instant the messages the synchronous picture sends (the later of
two messages of one track and instant replaces the earlier, as ``PictureView`` and
``score_picture`` take them; a warning desk decides an instant once the next one opens, so
on the same tracks), the track picture without the batch's delay and the assessment one
report period later on the scenario clock. The next report is a point fixed by the messages
alone, never by the wall clock, so the picture is the same bytes whatever the machine's speed
and a replay of the audit log reproduces it. The cost: the tracks of every assessment instant
are sent twice. A run's last assessment instant, with no report after it, has no second
message.

With ``interim_updates`` the fusion's interim updates (``PictureFusion(interim=True)``: a track
that took detections, between report instants) go out as they come, each at its own time with
the latest assessment and ``SystemTrack.interim`` set; they start no assessment and do not take
in a background batch (that waits for the next report instant, as before).

``assess_worker="process"`` (the embedded coalition, ``lookout.app.coalition``) runs that batch
in a child process holding the ``Assessor`` instead of a thread: the assessment is numpy calls
on small arrays, which hold the GIL, so a thread took the event loop's interpreter for half
the time while a batch ran and the loop's deliveries took twice as long (measured on mass-raid
at real time: the report instants' delivery mean 0.17 s with no batch running, 0.36 s with
one; ``docs/benchmarks.md``). A child process runs beside the loop on another core. The
same calls in the same order on the same code: the same assessments, bit for bit.
"""

from __future__ import annotations

import logging
import multiprocessing
import resource
import threading
import time
from concurrent.futures import Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field, replace

import numpy as np

from lookout import messages as m
from lookout.assess import Assessor, assessment_message
from lookout.assess.assessment import Assessment
from lookout.assess.events import LaunchEvents
from lookout.assess.launch_point import fitted, reported
from lookout.assess.notices import Announcement
from lookout.assess.schedule import LookSchedule
from lookout.picture.fusion import FusedTrack, PictureFusion
from lookout.timebase import s_to_ns, s_to_ns_or_none
from lookout.tracking.config import TrackerConfig

log = logging.getLogger(__name__)


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
        assess_in_background: bool = False,
        assess_worker: str = "thread",
        interim_updates: bool | str = False,
        assess_on: str = "clock",
        assess_collect: str = "report",
    ) -> None:
        """``assess_worker``: where a background batch runs, ``"thread"`` or ``"process"`` (a
        child process started here, with an ``Assessor`` of its own: see the module doc); an
        execution choice, not a picture parameter (the messages are the same bytes).
        ``assess_on``: ``"clock"``, every track every ``assess_period_s``; ``"change"``, at
        every report instant the tracks that changed enough to matter
        (``lookout.assess.schedule``). ``assess_collect``: a background batch is taken in at
        the next report instant (``"report"``) or at the next output of the fusion, an interim
        update's or a report's (``"step"``: with ``interim_updates``, the next step of the
        nodes; the assessment reaches the partners then). ``interim_updates``: True (at each
        move of the fusion's watermark) or ``"step"`` (once it reaches the clock of the
        heartbeat that moved it: nodes stepping at the same instants, the embedded coalition;
        ``PictureFusion``)."""
        if interim_updates not in (False, True, "step"):
            raise ValueError(
                f"interim_updates = {interim_updates!r}, expected true, false or 'step'"
            )
        if assess_worker not in ("thread", "process"):
            raise ValueError(f"assess_worker = {assess_worker!r}, expected thread or process")
        if assess_on not in ("clock", "change"):
            raise ValueError(f"assess_on = {assess_on!r}, expected clock or change")
        if assess_collect not in ("report", "step"):
            raise ValueError(f"assess_collect = {assess_collect!r}, expected report or step")
        self.assess_on = assess_on
        self.assess_collect = assess_collect
        self.assessed = 0  # track assessments started
        self.reported = 0  # tracks reported at report instants
        self.schedule = LookSchedule()
        # Each track's latest assessment (``assess_on="change"``): what the launch events take
        # of a track not looked at again at an instant.
        self._latest: dict[str, Assessment] = {}
        self.fusion = PictureFusion(
            config,
            report_period_s=report_period_s,
            latency_s=latency_s,
            first_system_track_id=first_system_track_id,
            interim=interim_updates,
        )
        self.dropped = 0  # system tracks left out of a report as not valid messages
        self.assessor = Assessor()
        self.events = LaunchEvents()  # the tracks of one launch, typed (lookout.assess.events)
        self.assess_period_s = assess_period_s
        self._assessment: dict[str, m.Assessment] = {}
        # The assessments (by track) whose checks passed in a message (``_messages``).
        self._assessment_passed: dict[str, m.Assessment] = {}
        self.current: dict[str, m.SystemTrack] = {}
        self.assess_in_background = assess_in_background
        self.assess_worker = assess_worker
        self._worker: Executor | None = None
        self.worker_peak_rss_bytes = 0  # the child process's resident-set high-water mark
        self.worker_rss_bytes = 0  # its resident set after its last batch
        self.worker_failures = 0  # child processes lost (the batch then ran in this process)
        self._worker_clock: int | None = None  # the worker thread's CPU clock (Linux)
        self._worker_cpu_s = 0.0  # CPU of finished batches, where that clock is missing
        self._worker_cpu_seen = 0.0
        # The batch of the last assessed instant, running in the worker:
        # (t, future, tracks assessed, args, options, every track of the instant).
        self._pending: tuple[float, Future, list, tuple, dict, list] | None = None
        if assess_in_background and assess_worker == "process":
            self._start_worker()  # started now: its imports are not the first batch's wait

    def ingest(self, sender: str, message: m.Message) -> list[m.SystemTrack]:
        if isinstance(message, m.LaunchNotice):
            # A partner's pre-launch notification: the launch events match against it
            # (``lookout.assess.events``); nothing for the fusion.
            self.events.announce(Announcement.of(message))
            return []
        out: list[m.SystemTrack] = []
        for t, tracks in self.fusion.ingest(sender, message):
            out += self._publish(t, tracks)
        return out

    def flush(self) -> list[m.SystemTrack]:
        out: list[m.SystemTrack] = []
        for t, tracks in self.fusion.flush():
            out += self._publish(t, tracks)
        return out + self._collect()  # the last assessed instant's tracks, assessed

    def close(self) -> None:
        """Stop the worker thread (its running batch finished first)."""
        self._collect()
        self.assessment_cpu_s()  # read while the thread lives
        if self._worker is not None:
            self._worker.shutdown(wait=True)
            self._worker = None

    def assessment_cpu_s(self) -> float:
        """CPU seconds the worker thread has used so far (``assess_in_background``; 0 if
        none): the benchmark's share of the assessment stage. A child process's batches are
        counted as each one is taken in (its start-up, imports and territories, is not)."""
        used = self._worker_cpu_s
        if self._worker_clock is not None:
            try:
                used = time.clock_gettime(self._worker_clock)
            except OSError:  # the thread has ended
                self._worker_clock = None
        self._worker_cpu_seen = max(self._worker_cpu_seen, used)
        return self._worker_cpu_seen

    def publish(self, t: float, tracks: list[FusedTrack]) -> list[m.SystemTrack]:
        """Assess and report ``tracks`` fused elsewhere (the assessment workers of the
        distributed form, ``lookout.app.picture_workers``)."""
        return self._publish(t, tracks)

    def _publish(self, t: float, tracks: list[FusedTrack]) -> list[m.SystemTrack]:
        if tracks and tracks[0].interim:
            return self._publish_interim(tracks)
        # The last assessed instant's tracks again, with their assessment, if it ran in the
        # background; then this instant's.
        out = self._collect()
        every = tracks
        if self.assess_on == "change":
            tracks = self._due(t, tracks)
        else:
            k = t / self.assess_period_s
            if abs(k - round(k)) >= 1e-6:
                tracks = []
        self.reported += len(every)
        self.assessed += len(tracks)
        if tracks:
            ids = [f.system_track_id for f in tracks]
            args = (
                t,
                ids,
                np.array([f.x for f in tracks]),
                np.array([f.P for f in tracks]),
                np.array([f.boost_prob for f in tracks]),
            )
            mono = self.fusion.tracker.mono_launches
            options = {
                # A launch's spent stages and debris fall as they are, with no lift to carry
                # them on (their type as the launch event settled it at the last instant).
                "no_lift": {k for k in ids if self.events.of(k)[1] in ("spent_stage", "debris")},
                # A spent stage seen parting comes down with a tumbling stage's drag, not a
                # reentry vehicle's (``LaunchEvents.parted_stage``).
                "stages": {k for k in ids if self.events.parted_stage(k)},
                # A piece not typed yet, with its odds of being a stage (its order among its
                # siblings: ``LaunchEvents.stage_probability``), falls both ways too.
                "stage_probs": {
                    k: p
                    for k in ids
                    if (p := self.events.stage_probability(k)) > 0
                    and not self.events.parted_stage(k)
                },
                "parents": {f.system_track_id: f.parent for f in tracks if f.parent is not None},
                # A coasting track unseen since its last prediction keeps it.
                "last_seen": [f.last_seen for f in tracks],
                # A piece its launch event saw separating from a member (born next to it, which
                # fusion did not see) shows that member's launch point, not one of its own.
                "launched_with": self.events.launched_with(*args),
                # A track started from one satellite alone: its tracker's fitted launch, the
                # fusion's own or a partner's sent with its local track.
                "launches": {
                    **{f.system_track_id: reported(f.launch) for f in tracks if f.launch},
                    **fitted(
                        {
                            f.system_track_id: mono[f.tracker_id]
                            for f in tracks
                            if f.tracker_id in mono
                        }  # fmt: skip
                    ),
                },
                # A piece alone in an event that has seen no payload may be the stage that
                # payload parted from: its fall as a reentry vehicle is the payload's.
                "unseen_payloads": {
                    k: s for k in ids if (s := self.events.unseen_payload(k)) is not None
                },
            }
            if self.assess_in_background and self.assess_worker == "process":
                try:
                    future = self._start_worker().submit(_assess_in_child, args, options)
                    self._pending = (t, future, tracks, args, options, every)
                except BrokenProcessPool:  # died since the last batch: this one here
                    self._take(t, self._child_lost(args, options), every)
            elif self.assess_in_background:
                future = self._start_worker().submit(self._assess, args, options)
                self._pending = (t, future, tracks, args, options, every)
            else:
                self._take(t, self.assessor.update(*args, **options), every)
        self.current = {}
        for f, st in zip(every, self._messages(every, [t] * len(every)), strict=True):
            if st is None:
                continue
            self.current[f.system_track_id] = st
            out.append(st)
        return out

    def _publish_interim(self, tracks: list[FusedTrack]) -> list[m.SystemTrack]:
        """Interim updates (``PictureFusion(interim=True)``), each at its own time, with the
        latest assessment: no assessment instant. With ``assess_collect="step"`` the
        background batch of the last assessment instant is taken in first (its tracks again,
        assessed; waited for if still running): its assessment reaches the partners at the
        next step rather than at the next report instant."""
        out = self._collect() if self.assess_collect == "step" else []
        for f, st in zip(tracks, self._messages(tracks, [f.t for f in tracks]), strict=True):
            if st is not None:
                self.current[f.system_track_id] = st
                out.append(st)
        return out

    def _due(self, t: float, tracks: list[FusedTrack]) -> list[FusedTrack]:
        """The tracks of report instant ``t`` due a look (``LookSchedule``)."""
        ids = [f.system_track_id for f in tracks]
        self.schedule.forget(set(ids))
        for k in [k for k in self._latest if not self.schedule.knows(k)]:
            del self._latest[k]
        if not tracks:
            return []
        rows = self.schedule.due(
            t,
            ids,
            np.array([f.x for f in tracks]),
            np.array([f.P for f in tracks]),
            np.array([f.boost_prob for f in tracks]),
            [f.last_seen for f in tracks],
        )
        return [tracks[i] for i in rows.tolist()]

    def _take(self, t: float, fresh: list, every: list[FusedTrack] | None = None) -> None:
        for a in fresh:
            self._assessment[a.track_id] = assessment_message(a)
            self._assessment_passed.pop(a.track_id, None)
        if self.assess_on != "change":
            self.events.update(t, fresh)
            return
        # The launch events see every track of the instant: those not looked at again with
        # their last assessment, at their state now (their phase is the last look's: a phase
        # change is a look).
        self.schedule.assessed(fresh)
        got = {a.track_id for a in fresh}
        for a in fresh:
            self._latest[a.track_id] = a
        carried = [
            replace(self._latest[f.system_track_id], t=t, state=np.asarray(f.x, dtype=float),
                    covariance=np.asarray(f.P, dtype=float), boost_prob=float(f.boost_prob))
            for f in every or ()
            if f.system_track_id not in got and f.system_track_id in self._latest
        ]  # fmt: skip
        self.events.update(t, fresh + carried)

    def _collect(self) -> list[m.SystemTrack]:
        """The background batch taken in (waited for if still running): its instant's tracks
        as messages again, now with their assessment and launch events."""
        if self._pending is None:
            return []
        t, future, tracks, args, options, every = self._pending
        self._pending = None
        if self.assess_worker == "process":
            try:
                fresh, cpu_s, peak, self.worker_rss_bytes = future.result()
                self._worker_cpu_s = cpu_s
                self.worker_peak_rss_bytes = max(self.worker_peak_rss_bytes, peak)
            except BrokenProcessPool:
                fresh = self._child_lost(args, options)
        else:
            fresh = future.result()
        self._take(t, fresh, every)
        sts = self._messages(tracks, [t] * len(tracks), count_dropped=False)
        return [st for st in sts if st is not None]

    def _start_worker(self) -> Executor:
        if self._worker is None and self.assess_worker == "process":
            # Spawned, not forked: a fork would copy a process with threads running (the
            # audit's, asyncio's) and share the parent's pages only until they are touched.
            self._worker = ProcessPoolExecutor(
                1, mp_context=multiprocessing.get_context("spawn"), initializer=_start_child
            )
            # The pool starts its process on the first submit: now, not at the first batch
            # (a loop waited 3.5 s at mass-raid's first collected batch for its imports).
            self._worker.submit(int)
        elif self._worker is None:
            self._worker = ThreadPoolExecutor(1, thread_name_prefix="lookout-assess")
            self._worker.submit(self._note_thread).result()
        return self._worker

    def _child_lost(self, args: tuple, options: dict) -> list:
        """The child process died (killed, out of memory): the assessment goes on in a thread
        of this process with its own ``Assessor``, this batch first. What the child remembered
        (the settled classes, the impact areas held) starts again from this batch, as after a
        restart; nothing fused is lost and the picture keeps its assessments."""
        self.worker_failures += 1
        log.warning(
            "assessment child process lost at t=%.1f s: assessing in this process from now on",
            args[0],
        )
        self._worker.shutdown(wait=False, cancel_futures=True)
        self._worker = None
        self.assess_worker = "thread"
        return self.assessor.update(*args, **options)

    def _note_thread(self) -> None:
        try:
            self._worker_clock = time.pthread_getcpuclockid(threading.get_ident())
        except (AttributeError, OSError):  # not on this platform: per batch (_assess)
            self._worker_clock = None

    def _assess(self, args: tuple, options: dict) -> list:
        cpu0 = time.thread_time()
        try:
            return self.assessor.update(*args, **options)
        finally:
            self._worker_cpu_s += time.thread_time() - cpu0

    def _messages(
        self, tracks: list[FusedTrack], times: list[float], *, count_dropped: bool = True
    ) -> list[m.SystemTrack | None]:
        """``_message`` of each track at its time, the same messages: the states' and
        covariances' plausibility tested for all in one batch
        (``messages.states_surely_plausible``), the rest of each message's checks one by one;
        a track the batch cannot vouch for, or whose message fails a check, goes through
        ``_message`` (which tries it without its assessment, or leaves it out)."""
        if not tracks:
            return []
        try:
            x = np.array([f.x for f in tracks], dtype=float)
            P = np.array([f.P for f in tracks], dtype=float)
            P = 0.5 * (P + P.transpose(0, 2, 1))  # each track's ``0.5 * (P + P.T)``
            sure = m.states_surely_plausible(x, P).tolist()
        except ValueError:  # not all of one shape: one by one
            return [
                self._message(f, t, count_dropped=count_dropped)
                for f, t in zip(tracks, times, strict=True)
            ]
        out: list[m.SystemTrack | None] = []
        for k, (f, t) in enumerate(zip(tracks, times, strict=True)):
            st = None
            if sure[k]:
                key = f.system_track_id
                a = self._assessment.get(key)
                # A track's assessment is the same object in all its messages until the next
                # one: checked in its first (``_assessment_passed``), not again in each.
                known = a is not None and self._assessment_passed.get(key) is a
                try:
                    st = self._system_track(f, t, x[k].tolist(), P[k].tolist(), a)
                    m.check_generic(st, passed=a if known else None)
                    if not known:
                        st.check_assessment()
                        if a is not None:
                            self._assessment_passed[key] = a
                except ValueError:
                    st = None
            out.append(st if st is not None else self._message(f, t, count_dropped=count_dropped))
        return out

    def _system_track(
        self, f: FusedTrack, t: float, x: list, P: list, assessment: m.Assessment | None
    ) -> m.SystemTrack:
        """Track ``f`` at ``t`` as a message (``x``, ``P``: its state and symmetrised
        covariance as Python floats), with ``assessment``; not checked beyond its shape."""
        event_id, object_type = self.events.of(f.system_track_id)
        event = self.events.event_of(f.system_track_id)
        return m.SystemTrack(
            system_track_id=f.system_track_id,
            t_ns=s_to_ns(t),
            x=x,
            P=P,
            partners=list(f.partners),
            assessment=assessment,
            event_id=event_id,
            object_type=object_type,
            event_class=event.event_class if event is not None else None,
            last_detection_ns=s_to_ns_or_none(f.last_seen),
            interim=f.interim,
            notices=[f"{p}/{n}" for p, n in event.notices] if event else [],
        )

    def _message(
        self, f: FusedTrack, t: float, *, count_dropped: bool = True
    ) -> m.SystemTrack | None:
        """The track as a valid, plausible message (without its assessment if only that is
        not), or None: one bad track is left out, never the whole report (issue 15)."""
        for assessment in (self._assessment.get(f.system_track_id), None):
            try:
                # Python floats, the same values (``tolist``: 20 times cheaper per P).
                x, P = np.asarray(f.x, dtype=float).tolist(), (0.5 * (f.P + f.P.T)).tolist()
                st = self._system_track(f, t, x, P, assessment)
                st.check()
                return st
            except ValueError:
                continue
        self.dropped += count_dropped
        return None


@dataclass
class PictureView:
    """A partner's view of the common picture: the latest of each system track it received,
    dropped when not refreshed for ``stale_s``."""

    stale_s: float = 5.0
    tracks: dict[str, m.SystemTrack] = field(default_factory=dict)
    updates: int = 0
    t_now_ns: int = -(2**63)
    # The limit of the last sweep of stale tracks: every track held is at or after it.
    _swept_ns: int | None = field(default=None, init=False, repr=False, compare=False)

    def apply(self, track: m.SystemTrack) -> None:
        self.updates += 1
        old = self.tracks.get(track.system_track_id)
        stored = old is None or track.t_ns >= old.t_ns
        if stored:
            self.tracks[track.system_track_id] = track
        self.t_now_ns = max(self.t_now_ns, track.t_ns)
        limit = self.t_now_ns - s_to_ns(self.stale_s)
        # A report's tracks come at one instant: the limit moves once, not at every track, and
        # while it stays, only a track just stored can be before it.
        if limit == self._swept_ns and not (stored and track.t_ns < limit):
            return
        for key in [k for k, v in self.tracks.items() if v.t_ns < limit]:
            del self.tracks[key]
        self._swept_ns = limit


# The child process of ``assess_worker="process"``: its own Assessor, fed the batches in order.
_child_assessor: Assessor | None = None
_child_cpu0 = 0.0


def _start_child() -> None:
    global _child_assessor, _child_cpu0
    _child_assessor = Assessor()
    _child_cpu0 = time.process_time()


def _assess_in_child(args: tuple, options: dict) -> tuple[list, float, int, int]:
    """One batch in the child: the assessments, the child's CPU seconds since its start-up
    (all its batches so far), its resident-set high-water mark and its resident set now
    (bytes)."""
    fresh = _child_assessor.update(*args, **options)
    peak, now = _resident_bytes()
    return fresh, time.process_time() - _child_cpu0, peak, now


def _resident_bytes() -> tuple[int, int]:
    """This process's own resident-set high-water mark and resident set now (bytes), from
    /proc: ``getrusage``'s ``ru_maxrss`` of a spawned child is at least its parent's resident
    set when it forked (Linux keeps the mark across the ``exec``), some 350 MB on mass-raid
    that the child never held. Where /proc is missing, ``ru_maxrss`` for both."""
    try:
        with open("/proc/self/status") as f:
            kb = {k: int(v.split()[0]) for k, v in (line.split(":", 1) for line in f)
                  if k in ("VmHWM", "VmRSS")}  # fmt: skip
        return kb["VmHWM"] * 1024, kb["VmRSS"] * 1024
    except (OSError, KeyError, ValueError):
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
        return peak, peak
