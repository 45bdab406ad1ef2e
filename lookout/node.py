"""A partner node: its own sensors in, signed messages to the exchange out, the picture back.

One per partner. Every ``step`` the node takes its sensors' detections up to the node's clock
and

- publishes, per sensor, one ``DetectionBatch`` of the detections its releasability policy lets
  it share (``policy.publish``), sealed with the partner's key on ``lookout.in.<P>.<type>``;
- runs its own tracker over all its detections (its local picture), and at each report instant
  publishes a ``LocalTrack`` for every confirmed track whose contributing sensors the policy
  lets it share as tracks, the instant's tracks together in one ``LocalTrackBatch`` (several
  for a report too large for one envelope);
- sends a ``Heartbeat`` (its clock) after each report instant passed, and every ``heartbeat_s``
  at least: everything the node had up to that time has been sent before it, so the exchange's
  fusion reports that instant without waiting out its latency window
  (``lookout.picture.fusion``).

With ``scans`` (each sensor's scan schedule, ``lookout.sensors.schedule.declared_scans``) the
node knows when its next detection can come at the earliest: its heartbeat then also promises
nothing before that (``Heartbeat.next_ns``: its published sensors' next scan, or its next
report instant if sooner), and a step with no news (no detection, no report instant) before
that promise runs out sends nothing at all; a step that sent detections sends its heartbeat
at once, as one whose clock reached the promise. The fusion holds the partner's data as
complete up to the promise, so it takes the other partners' detections of those steps as
soon as they come, as it did with a heartbeat every step.

It subscribes to ``lookout.out.<P>.>``, verifies everything it receives (the exchange's system
tracks, other partners' relayed data) with its own ``Verifier`` and keeps its view of the common
picture (``PictureView``); relayed data is counted, not kept. The exchange's tracks come one to
an envelope (``SystemTrack``, the embedded form) or an instant's together
(``SystemTrackBatch``, from the distributed form's picture workers; taken only from the
exchange), each taken alike, in order. A bad message is refused and
counted, never raised; a duplicate (a redelivery) is counted apart. The exchange's ``Status``
is kept in ``exchange_status``: ``degraded`` says its picture may be missing objects.

Restarts: with ``reserve`` (a :class:`~lookout.exchange.envelope.SequenceFile`) the node's
sequence numbers continue above every number it may have used before.

With a ``warner`` (``lookout.warn.issue.Warner``: the partner's civil-defence desk), the node
hands it every system track it accepts, and the time of the partners' relayed messages as its
clock (message times, never the wall: a replay of what the node received decides the same),
and sends the public warnings it issues (``Alert``, CAP 1.2) to the exchange like any other
message. Other partners' pre-launch notifications (``LaunchNotice``) it receives go to its desk
(and ``notices``); ``announce`` sends its own.
"""

from __future__ import annotations

import itertools
import logging
import math
from collections import Counter
from collections.abc import Callable, Mapping, Sequence

import numpy as np
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from lookout.exchange.bus import Bus, out_subject
from lookout.exchange.clock import Clock
from lookout.exchange.envelope import Sealer
from lookout.exchange.keys import EXCHANGE, Keyring
from lookout.exchange.policy import Policy
from lookout.exchange.verify import MAX_BYTES, Verifier
from lookout.messages import (
    Detection,
    DetectionBatch,
    Heartbeat,
    LaunchFit,
    LaunchNotice,
    LocalTrack,
    LocalTrackBatch,
    Status,
    SystemTrack,
    SystemTrackBatch,
    encode_msgpack,
)
from lookout.picture.common import PictureView
from lookout.timebase import NS_PER_S, next_periodic_ns, ns_to_s, s_to_ns
from lookout.tracking import Tracker, TrackerConfig
from lookout.tracking.coverage import RadarCoverage

log = logging.getLogger(__name__)

#: Most detections in one envelope (about 30 kB, well inside the exchange's size limit).
MAX_BATCH = 100
#: How far before its sensors' next scan a node's promise ends (ns): a scan's detections are
#: stamped at the instant to the nanosecond; this margin only absorbs rounding.
PROMISE_MARGIN_NS = 1_000
#: Most local tracks in one envelope (some 0.6 kB each); a batch whose payload would come
#: within ``ENVELOPE_ROOM`` of the exchange's size limit is split in two.
MAX_REPORT_TRACKS = 64
ENVELOPE_ROOM = 1024


def launch_fit(fit) -> LaunchFit:
    """A tracker's fitted launch (``lookout.tracking.mono.MonoFit``) as a message field."""
    C = np.asarray(fit.cov_en, dtype=float)
    return LaunchFit(
        lat_rad=float(fit.lat),
        lon_rad=float(fit.lon),
        cov_en_m2=(0.5 * (C + C.T)).tolist(),
        t_ns=s_to_ns(float(fit.t_launch)),
        t_sigma_s=float(fit.t_sigma),
    )


def message_time_ns(message) -> int:
    """The scenario time a message speaks of (its latest detection's for a batch)."""
    if isinstance(message, DetectionBatch):
        return max((d.t_ns for d in message.detections), default=0)
    return getattr(message, "t_ns", 0)


def report_batches(partner: str, t_ns: int, tracks: list[LocalTrack]) -> list[LocalTrackBatch]:
    """A report's local tracks (all of ``partner`` at ``t_ns``) as batches, in order: at most
    :data:`MAX_REPORT_TRACKS` each, and each one's payload at least :data:`ENVELOPE_ROOM`
    bytes inside the exchange's size limit (a batch over it is halved; a single track goes
    as it is). None for a report of no track."""
    todo = [tracks[i : i + MAX_REPORT_TRACKS] for i in range(0, len(tracks), MAX_REPORT_TRACKS)]
    out: list[LocalTrackBatch] = []
    while todo:
        chunk = todo.pop(0)
        batch = LocalTrackBatch(partner=partner, t_ns=t_ns, tracks=chunk)
        if len(chunk) > 1 and len(encode_msgpack(batch)) > MAX_BYTES - ENVELOPE_ROOM:
            half = len(chunk) // 2
            todo[:0] = [chunk[:half], chunk[half:]]
            continue
        out.append(batch)
    return out


class PartnerNode:
    """One partner's node on a bus (see the module docstring)."""

    def __init__(
        self,
        partner: str,
        key: Ed25519PrivateKey,
        keyring: Keyring,
        policy: Policy,
        bus: Bus,
        clock: Clock,
        *,
        tracker_config: TrackerConfig | None = None,
        report_period_s: float = 1.0,
        heartbeat_s: float = 5.0,
        seq_start: int = 0,
        verifier: Verifier | None = None,
        reserve: Callable[[int], None] | None = None,
        max_age_s: float | None = None,
        warner=None,
        coverage: Mapping[str, RadarCoverage] | None = None,
        scans: Mapping[str, tuple[float, float]] | None = None,
    ) -> None:
        self.partner = partner
        self.warner = warner
        self.alerts: list = []  # the Alerts issued, in order
        self.alert_listeners: list[Callable] = []  # called with each Alert issued
        self.policy = policy
        self.bus = bus
        self.clock = clock
        self.exchange_status: Status | None = None
        self.notices: list[LaunchNotice] = []  # other partners' launch notifications received
        # Detections older than this (s) when the node gets them are tracked here but not sent:
        # the exchange would refuse them as out of its freshness window (a node catching up).
        self.max_age_s = max_age_s
        self.not_sent: Counter[str] = Counter()
        self.verifier = verifier or Verifier(keyring, clock)
        # What it seals is kept in the process's memo with what its verifiers opened, if any
        # (the embedded form: the exchange then does not open again what was sealed here).
        self.sealer = Sealer(partner, key, clock, seq_start, reserve=reserve,
                             memo=self.verifier.signatures)  # fmt: skip
        # Its own radars' declared fields of view (``lookout.tracking.coverage``): its tracker
        # judges a track they look at and do not see. A track from one satellite alone
        # (``tracking.mono``) is reported with its fitted launch (``LocalTrack.launch``), its
        # one trustworthy part: its states are known to tens of km along the line of sight
        # only, and its covariance says so.
        self.tracker = Tracker(tracker_config or TrackerConfig(), keep_updates=False,
                               coverage=coverage)  # fmt: skip
        self.report_period_s = report_period_s
        self.heartbeat_s = heartbeat_s
        self.view = PictureView()
        self.sent: Counter[str] = Counter()
        self.received: Counter[str] = Counter()
        self.refused: Counter[str] = Counter()  # by reason
        self.last_refusal = ""
        # Detections given to the tracker so far (its detection indices), and the sensors that
        # updated each track it holds (forgotten once it deleted the track).
        self._n_tracked = 0
        self._sensors_of_track: dict[int, set[str]] = {}
        # For scoring only (``keep_provenance``): the detections each track took, keyed by
        # (partner, local track id), and the tracks published so far.
        self._taken: dict[tuple[str, str], list[tuple[int, str, tuple[float, ...]]]] | None = None
        self._taken_P: dict | None = None
        self._published: set[int] = set()
        self._next_report: int | None = None
        self._next_heartbeat = 0.0
        self._heartbeats = 0
        # ``scans``: (period_s, phase_s) of each sensor; the sensors whose detections it sends,
        # if it knows all their schedules (else it promises no more than its clock).
        self.scans = scans
        self._promised = self._scheduled_sensors(scans)
        self._next_ns: int | None = None  # the promise of its last heartbeat (scans only)

    def keep_provenance(
        self,
        taken: dict[tuple[str, str], list[tuple[int, str, tuple[float, ...]]]],
        taken_P: dict | None = None,
    ) -> None:
        """From now on, note in ``taken`` the detections each of its tracker's tracks takes,
        as ``(t_ns, sensor id, z)`` under ``(partner, local track id)`` (a fusion
        ``Provenance.local_taken``), and in ``taken_P`` (``Provenance.taken_P``) the track's
        position covariance after each: for scoring a picture whose system track stands on this
        partner's local track alone (``lookout.scoring.picture``), never for the picture. A
        track deleted before it was ever published is forgotten with its detections."""
        self._taken = taken
        self._taken_P = taken_P

    async def start(self, durable: str | None = None) -> None:
        """Subscribe to this partner's deliveries; with ``durable`` (a NATS consumer name), a
        node that comes back catches up on what it missed."""
        await self.bus.subscribe(out_subject(self.partner, ">"), self._on_message, durable=durable)

    async def _on_message(self, subject: str, data: bytes) -> None:
        verdict = self.verifier.check(data, subject_type=subject.rsplit(".", 1)[-1])
        if not verdict.accepted:
            duplicate = verdict.reason == "duplicate"
            self.received["duplicate" if duplicate else "refused"] += 1
            if not duplicate:
                self.refused[str(verdict.reason)] += 1
                self.last_refusal = f"{verdict.reason} {subject}: {verdict.detail}"
                log.info("refused %s from %s: %s", verdict.reason, verdict.sender, verdict.detail)
            return
        self.received[verdict.envelope.payload_type] += 1
        if isinstance(verdict.message, SystemTrack):
            await self._take_track(verdict.message)
        elif isinstance(verdict.message, SystemTrackBatch):
            # The exchange's tracks of one instant released to this partner, in one envelope:
            # each taken as if it had come alone, in order. Only the exchange sends them (a
            # picture worker's batches are the exchange's to check and release).
            if verdict.sender != EXCHANGE:
                self.refused["not_exchange"] += 1
                self.last_refusal = f"not_exchange {subject}: from {verdict.sender}"
                return
            # Every track is taken even if one's handling raises (its desk, its alerts' send):
            # the envelope is marked taken, so a retry of the delivery would be refused as a
            # duplicate and the tracks after it lost; the first error is raised after, as a
            # track alone raises its own.
            error: Exception | None = None
            for track in verdict.message.tracks:
                try:
                    await self._take_track(track)
                except Exception as e:  # noqa: BLE001 - raised below, once every track is in
                    error = error or e
            if error is not None:
                raise error
        elif isinstance(verdict.message, Status):
            if verdict.sender == EXCHANGE:
                self.exchange_status = verdict.message
        else:
            if isinstance(verdict.message, LaunchNotice):
                self.notices.append(verdict.message)
            if self.warner is not None:
                message = verdict.message
                await self._issue(self.warner.take(message, message_time_ns(message)))

    async def _take_track(self, track: SystemTrack) -> None:
        if self.warner is not None:
            await self._issue(self.warner.on_track(track))
        self.view.apply(track)

    def _scheduled_sensors(self, scans) -> list[tuple[float, float]] | None:
        if scans is None:
            return None
        sent = self.policy.publish_detections.get(self.partner, frozenset())
        if not sent <= scans.keys():
            return None
        return [scans[s] for s in sorted(sent)]

    def _promise_ns(self, now_ns: int) -> int | None:
        """The earliest time of anything it may still send (its heartbeat's ``next_ns``): its
        published sensors' next scan (less ``PROMISE_MARGIN_NS``) or its next report instant,
        whichever comes first; None if that is not after its clock."""
        if self._promised is None:
            return None
        t = s_to_ns(self._next_report * self.report_period_s)
        for period, phase in self._promised:
            t = min(t, next_periodic_ns(now_ns, period, phase) - PROMISE_MARGIN_NS)
        return t if t > now_ns else None

    async def _send(self, message) -> None:
        subject, data = self.sealer.seal_for_bus(message)
        await self.bus.publish(subject, data)
        self.sent[subject.rsplit(".", 1)[-1]] += 1

    async def step(self, detections: Sequence[Detection], now_ns: int | None = None) -> None:
        """Take this partner's detections (time-ordered, up to the clock) and send what the
        policy allows; then local tracks at report instants passed and, if one passed or one is
        due, a heartbeat: the node's clock, every message up to it sent. ``now_ns``: the clock
        the detections were taken up to (default: read now). A clock read after they were
        taken may be later (a process descheduled between the two reads): a heartbeat at it
        would say the detections in between were sent, and the fusion would drop them as late
        when they come with the next step."""
        if now_ns is None:
            now_ns = self.clock.now_ns()
        now = ns_to_s(now_ns)
        sent_before = self.sent["detection_batch"]
        if detections:
            by_sensor: dict[str, list[Detection]] = {}
            oldest = -math.inf if self.max_age_s is None else (now - self.max_age_s) * NS_PER_S
            for d in detections:
                if d.t_ns < oldest:
                    self.not_sent["stale"] += 1
                    continue
                by_sensor.setdefault(d.sensor_id, []).append(d)
            for sensor, dets in by_sensor.items():
                for i in range(0, len(dets), MAX_BATCH):
                    batch = DetectionBatch(
                        partner=self.partner, sensor_id=sensor, detections=dets[i : i + MAX_BATCH]
                    )
                    if self.policy.may_publish(self.partner, batch):
                        await self._send(batch)
            self._track(detections)
        if self._next_report is None:
            self._next_report = math.floor(now / self.report_period_s) + 1
        if self.max_age_s is not None:  # after a stall: no reports the exchange would refuse
            oldest = math.ceil((now - self.max_age_s) / self.report_period_s)
            if oldest > self._next_report:
                self.not_sent["stale_reports"] += oldest - self._next_report
                self._next_report = oldest
        reported = False
        while self._next_report * self.report_period_s <= now:
            await self._publish_tracks(self._next_report * self.report_period_s)
            self._next_report += 1
            reported = True
        due = reported or now >= self._next_heartbeat
        if self.scans is not None:
            # News (detections sent), or a promise run out (or none: no more than the clock).
            due = due or self.sent["detection_batch"] > sent_before
            due = due or self._next_ns is None or now_ns >= self._next_ns
        if due:
            self._heartbeats += 1
            self._next_ns = self._promise_ns(now_ns)
            hb = Heartbeat(partner=self.partner, t_ns=s_to_ns(now), seq=self._heartbeats,
                           next_ns=self._next_ns)  # fmt: skip
            if self.policy.may_publish(self.partner, hb):
                await self._send(hb)
            self._next_heartbeat = now + self.heartbeat_s

    async def announce(self, notice: LaunchNotice) -> None:
        """Send one of this partner's own pre-launch notifications to the exchange (its own
        desk holds it already: ``lookout.warn.issue.warner_for``)."""
        if self.policy.may_publish(self.partner, notice):
            await self._send(notice)

    async def finish(self) -> None:
        """At the end of a run: the warnings due on the last picture instant."""
        if self.warner is not None:
            await self._issue(self.warner.flush())

    async def _issue(self, alerts) -> None:
        for alert in alerts:
            self.alerts.append(alert)
            for listener in self.alert_listeners:
                listener(alert)
            await self._send(alert)

    def _track(self, detections: Sequence[Detection]) -> None:
        first = self._n_tracked
        self._n_tracked += len(detections)
        rows = self.tracker.process(detections)
        track_ids, det_index = rows.track_id.tolist(), rows.detection_index.tolist()
        for k, (tid, di) in enumerate(zip(track_ids, det_index, strict=True)):
            if di >= first:
                det = detections[di - first]
                self._sensors_of_track.setdefault(tid, set()).add(det.sensor_id)
                if self._taken is not None:
                    key = (self.partner, str(tid))
                    self._taken.setdefault(key, []).append((det.t_ns, det.sensor_id, tuple(det.z)))
                    if self._taken_P is not None:
                        self._taken_P.setdefault(key, []).append(rows.P[k, :3, :3].copy())

    async def _publish_tracks(self, t: float) -> None:
        rep = self.tracker.report(t)
        seen = self.tracker.last_update(rep.track_id) if len(rep) else []
        fits = self.tracker.mono_launches
        # One-satellite tracks coasting on their refit, unseen since (``Tracker._coast_mono``).
        coasting = self.tracker.mono_coasting
        t_ns = s_to_ns(t)
        tracks: list[LocalTrack] = []  # what the policy lets it share, in the report's order
        for i in range(len(rep)):
            tid = int(rep.track_id[i])
            P = rep.P[i]
            fit = fits.get(tid)
            on_fit = fit is not None and tid in coasting and not seen[i] > coasting[tid]
            msg = LocalTrack(
                partner=self.partner,
                track_id=str(tid),
                t_ns=t_ns,
                x=rep.x[i].tolist(),  # Python floats, the same values
                P=(0.5 * (P + P.T)).tolist(),
                boost_prob=float(min(max(rep.boost_prob[i], 0.0), 1.0)),
                sensors=sorted(self._sensors_of_track.get(tid, ())),
                last_detection_ns=s_to_ns(float(seen[i])) if math.isfinite(seen[i]) else None,
                launch=None if fit is None else launch_fit(fit),
                coasting_on_fit=on_fit,
            )
            if self.policy.may_publish(self.partner, msg):
                tracks.append(msg)
                if self._taken is not None:
                    self._published.add(tid)
        for batch in report_batches(self.partner, t_ns, tracks):
            await self._send(batch)
        # A track the tracker deleted is never reported again (nor its id given again): kept for
        # every track ever started (most of them tentative, on clutter), this grew with the run.
        ids = list(self._sensors_of_track)
        if ids:
            gone = [math.isnan(v) for v in self.tracker.last_update(ids).tolist()]
            for tid in itertools.compress(ids, gone):
                del self._sensors_of_track[tid]
                if self._taken is not None and tid not in self._published:
                    self._taken.pop((self.partner, str(tid)), None)
                    if self._taken_P is not None:
                        self._taken_P.pop((self.partner, str(tid)), None)
                self._published.discard(tid)
