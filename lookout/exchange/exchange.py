"""The exchange: verifies, audits, releases and relays every envelope, and feeds the fusion.

For each envelope on ``lookout.in.<PARTNER>.<type>`` the :class:`Exchange`:

1. reads its clock once (the receive time, also the send time of anything it seals in reply);
2. checks the envelope with its :class:`~.verify.Verifier` (refusals are counted there);
3. appends it to the audit log with the verdict: accepted, late (genuine, too old for the live
   picture: kept for replay, not acted on) or refused;
4. if accepted and the sender's policy publishes it: hands it to the fusion (if any), unless the
   exchange is behind and sheds it (below);
5. relays the sender's own signed envelope, unchanged, to every entitled recipient on
   ``lookout.out.<RECIPIENT>.<type>``; seals each system track the fusion returned as
   ``EXCHANGE`` (one envelope per track) and delivers it to every recipient entitled to all its
   contributions.

Steps 1-4 run without yielding, so the fusion takes envelopes in the audit log's order (a
replay reproduces it); the deliveries are then awaited. A redelivered envelope (``duplicate``:
the same one taken before, as after a crash between the audit commit and the bus ack) is
relayed again, never fused twice.

Nothing acked is lost: on a bus with acks (NATS), :meth:`durable` is the bus's ``before_ack``:
an inbound envelope is acknowledged only once its audit row is committed and what it caused is
stored by the broker.

Restarts: :meth:`start` restores the verifier's replay windows from the audit log and resumes
the exchange's sequence numbers above the last it may have used (reserved in the log's
``state`` table, :data:`SEQ_BLOCK` at a time); system-track ids are reserved the same way and
:func:`resume_point` tells the next fusion where to start them. Each envelope's row records
the inbound stream message it came in (``stream_seq``, on its message's last envelope), and
:attr:`intake` (:mod:`.intake`) knows from it and from what this process handled where a
consumer that lost its state (kept in the brokers' memory only) starts again.

Overload: the work the fusion does per envelope is what can fall behind. When an envelope's
age on arrival (``now - sent_ns``) passes ``shed_detections_ns`` the exchange stops fusing raw
detections; past ``shed_tracks_ns`` local tracks too. The system tracks the fusion still makes
(the alerts) are never shed, save one whose time is already older than the verifier's freshness
window (as when a restarted exchange's fusion catches up on a backlog): every partner would
refuse it as too old for an envelope sealed now, so it is not sent (counted in ``shed`` as
``system_track``). Everything is audited and relayed all the same. Once the
backlog is gone the age falls and fusing resumes. Every ``status_period_ns`` each partner gets
a :class:`~lookout.messages.Status`: ``degraded`` while anything was shed or late.

Distributed, the fusion and the assessment run in processes of their own
(:mod:`lookout.app.picture_workers`) and the exchange only verifies, audits, releases and relays:
with ``feed`` it also publishes every accepted partner envelope it releases (heartbeats too:
they tell the fusion how far each partner's data has come) unchanged on
``<feed>.<SENDER>.<type>`` for the fusion, and the envelopes of its ``workers`` (senders in
its keyring, on ``lookout.in.<WORKER>.system_track_batch``) are checked like any other and
audited (every track in the row of its batch); their system tracks are released track by
track as above and sealed as the exchange's in batches: each recipient gets one
``SystemTrackBatch`` envelope (``lookout.out.<RECIPIENT>.system_track_batch``) holding every
track of the worker's batch released to it, so one signature and one check at the node
carry an instant's tracks, not one per track (a tampered track fails the batch's signature:
the whole batch is refused); recipients released the same tracks share the envelope.

A bad envelope, or a fusion that raises, is counted and logged; the exchange goes on.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections import Counter
from collections.abc import Collection
from typing import Protocol

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from lookout.exchange.audit import AuditLog
from lookout.exchange.bus import DELIVERY, IN_ALL, Bus, out_subject, parse_subject
from lookout.exchange.clock import Clock
from lookout.exchange.envelope import envelope_bytes, seal, seal_canonical
from lookout.exchange.intake import Intake
from lookout.exchange.keys import EXCHANGE, Keyring
from lookout.exchange.policy import Policy
from lookout.exchange.verify import MAX_AGE_NS, MAX_BYTES, Reason, Verdict, Verifier
from lookout.messages import (
    MAX_LIST,
    Message,
    Status,
    SystemTrack,
    SystemTrackBatch,
    encode_msgpack,
)
from lookout.timebase import NS_PER_S

log = logging.getLogger(__name__)

#: Room (bytes) a batch's payload leaves below the receivers' envelope size limit
#: (``verify.MAX_BYTES``) for the envelope's header and signature: a batch that would come
#: closer is halved (:func:`track_batches`).
ENVELOPE_ROOM = 1024
#: Sequence numbers and system-track ids reserved in the audit log at a time.
SEQ_BLOCK = 100_000
SYSTEM_TRACK_BLOCK = 1_000
_SYSTEM_TRACK_ID = re.compile(r"^S(\d{1,18})$")


class Fusion(Protocol):
    """The common picture: takes each accepted partner message, returns the system tracks it
    changed (possibly none)."""

    def ingest(self, sender: str, message: Message) -> list[SystemTrack]: ...


def track_batches(
    t_ns: int, tracks: list[SystemTrack], max_bytes: int = MAX_BYTES
) -> list[SystemTrackBatch]:
    """System tracks of instant ``t_ns`` as batches, in order: at most ``MAX_LIST`` each, and
    each one's payload at least :data:`ENVELOPE_ROOM` bytes inside ``max_bytes`` (a batch over
    it is halved; a single track goes as it is). None for no track."""
    todo = [tracks[i : i + MAX_LIST] for i in range(0, len(tracks), MAX_LIST)]
    out: list[SystemTrackBatch] = []
    while todo:
        chunk = todo.pop(0)
        batch = SystemTrackBatch(t_ns=t_ns, tracks=chunk)
        if len(chunk) > 1 and len(encode_msgpack(batch)) > max_bytes - ENVELOPE_ROOM:
            half = len(chunk) // 2
            todo[:0] = [chunk[:half], chunk[half:]]
            continue
        out.append(batch)
    return out


def resume_point(audit: AuditLog) -> dict[str, int]:
    """Where a restarted exchange resumes: ``seq`` (its next sequence numbers are above it) and
    ``system_track_id`` (the number of the next system track id ``S<n>``), from the log."""
    return {
        "seq": audit.state("exchange_seq") or 0,
        "system_track_id": (audit.state("system_track_id") or 0) + 1,
    }


class Exchange:
    """One exchange over a bus; call :meth:`start` to subscribe, or feed :meth:`handle`.

    ``keyring`` holds the partners' public keys, ``exchange_key`` signs system tracks,
    ``seq_start`` is the sequence number before the first one sealed (the log's reservation is
    used when higher). Audit rows are committed at most ``audit_flush_s`` after they arrive, or
    at :meth:`flush`. ``shed_detections_ns``/``shed_tracks_ns`` (default: 30 % and 60 % of the
    verifier's freshness window) are the ages past which detections, then local tracks, are not
    fused; ``status_period_ns`` how often partners are told (0: never). ``workers``: the
    picture workers whose system-track batches it seals and releases; ``feed``: the subject
    root on which it hands accepted partner envelopes to the fusion (None: not handed on);
    ``batch_tracks``: a worker's batch goes to each recipient as one ``SystemTrackBatch``
    (False: one ``SystemTrack`` envelope per track, for nodes from before).
    """

    def __init__(
        self,
        keyring: Keyring,
        policy: Policy,
        audit: AuditLog,
        bus: Bus,
        clock: Clock,
        exchange_key: Ed25519PrivateKey,
        fusion: Fusion | None = None,
        *,
        verifier: Verifier | None = None,
        seq_start: int = 0,
        audit_flush_s: float = 0.005,
        shed_detections_ns: int | None = None,
        shed_tracks_ns: int | None = None,
        status_period_ns: int = NS_PER_S,
        workers: Collection[str] = (),
        feed: str | None = None,
        batch_tracks: bool = True,
    ) -> None:
        self.keyring = keyring
        self.policy = policy
        self.audit = audit
        self.bus = bus
        self.clock = clock
        self.exchange_key = exchange_key
        self._public = None  # its public key, once needed
        self.fusion = fusion
        self.workers = frozenset(workers)
        self.batch_tracks = batch_tracks
        self.feed = feed
        self.fed = 0
        self.verifier = verifier or Verifier(keyring, clock)
        window = self.verifier.max_age_ns or MAX_AGE_NS
        self.shed_detections_ns = (
            round(0.3 * window) if shed_detections_ns is None else shed_detections_ns
        )
        self.shed_tracks_ns = round(0.6 * window) if shed_tracks_ns is None else shed_tracks_ns
        self.status_period_ns = status_period_ns
        self.seq = seq_start
        self._seq_reserved = -1
        self._sys_reserved = -1
        self.delivered: Counter[str] = Counter()
        self.withheld: Counter[str] = Counter()
        self.not_published: Counter[str] = Counter()
        self.shed: Counter[str] = Counter()
        self.redelivered = 0
        self.system_tracks = 0
        self.fusion_errors = 0
        self.publish_errors = 0
        self.audit_flush_s = audit_flush_s
        self._flush_scheduled = False
        self._period_shed: Counter[str] = Counter()
        self._period_late = 0
        self._period_lag = 0
        self._next_status: int | None = None
        self.statuses = 0
        self.last_verdict: Verdict | None = None
        self._feed_out: list[tuple[str, bytes]] = []
        self.intake = Intake()

    @property
    def accepted(self) -> Counter[str]:
        """Envelopes accepted, per sender."""
        return self.verifier.accepted

    @property
    def late(self) -> Counter[str]:
        """Envelopes taken too late for the live picture (audited, kept), per sender."""
        return self.verifier.late

    @property
    def refused(self):
        """Envelopes refused, ``refused[partner][reason]``."""
        return self.verifier.refused

    def counters(self) -> dict:
        """Every counter, as plain data."""
        return {
            "accepted": dict(self.accepted),
            "late": dict(self.late),
            "refused": {p: {str(r): n for r, n in c.items()} for p, c in self.refused.items()},
            "delivered": dict(self.delivered),
            "withheld": dict(self.withheld),
            "not_published": dict(self.not_published),
            "shed": dict(self.shed),
            "redelivered": self.redelivered,
            "system_tracks": self.system_tracks,
            "fusion_errors": self.fusion_errors,
            "publish_errors": self.publish_errors,
        }

    def resume(self) -> int:
        """Restore what a restart must not forget from the audit log: the replay windows and
        the sequence numbers; returns how many envelopes the windows were restored from."""
        n = self.verifier.restore(self.audit.taken())
        self.seq = max(self.seq, resume_point(self.audit)["seq"])
        self.intake.restore(self.audit.intake_records())
        return n

    async def start(self) -> None:
        """Resume from the audit log, then subscribe to every partner's input."""
        restored = self.resume()
        if restored:
            log.info("exchange resumed: %d envelopes in the replay windows, seq %d",
                     restored, self.seq)  # fmt: skip
        await self.bus.subscribe(
            IN_ALL, self.handle, durable="lookout-exchange", before_ack=self.durable,
            intake=self.intake,
        )  # fmt: skip

    async def durable(self) -> None:
        """Return once every audit row so far is committed and every publish so far stored by
        the bus; raises if the bus could not store one (the inbound then stays unacked and is
        delivered again)."""
        if self.audit.pending:
            await self.audit.flush_async()
        await self.bus.flush()

    async def flush(self) -> None:
        """Wait for the bus, then write the audit log."""
        await self.bus.flush()
        self.audit.flush()

    async def handle(self, subject: str, data: bytes) -> None:
        """Process one envelope that arrived on ``subject``."""
        now = self.clock.now_ns()
        parsed = parse_subject(subject)
        claim = parsed[1] if parsed and parsed[0] == "in" else "?"
        kind = parsed[2] if parsed and parsed[0] == "in" else "?"
        verdict = self.verifier.check(data, now_ns=now, subject_sender=claim, subject_type=kind)
        self.last_verdict = verdict
        env = verdict.envelope
        self.audit.append(
            now,
            subject,
            verdict.sender,
            None if env is None else env.seq,
            None if env is None else env.payload_type,
            verdict.verdict,
            None if verdict.accepted else str(verdict.reason),
            verdict.detail,
            data,
            DELIVERY.get(),
        )
        self._schedule_audit_flush()
        outgoing: list[tuple[list[str], str, bytes]] = []
        if verdict.accepted:
            self._period_lag = max(self._period_lag, now - env.sent_ns)
            outgoing = self._take(verdict, data, now)
        elif verdict.late:
            self._period_late += 1
            self._period_lag = max(self._period_lag, now - env.sent_ns)
        elif verdict.reason is Reason.DUPLICATE and verdict.relayed_before:
            # A redelivery: its relays may not have been stored before a crash; send them again
            # (the broker drops what it already has; recipients count what comes twice).
            self.redelivered += 1
            message = _payload(env)
            if message is not None and self.policy.may_publish(verdict.sender, message):
                recipients = self.policy.recipients(verdict.sender, message)
                outgoing = [(recipients, env.payload_type, data)]
                if self.feed is not None:
                    # The broker's duplicate window drops it if the fusion had it already.
                    feed = f"{self.feed}.{verdict.sender}.{env.payload_type}"
                    self._feed_out.append((feed, data))
        else:
            log.info("refused %s from %s: %s", verdict.reason, verdict.sender, verdict.detail)
        outgoing += self._status_due(now)
        if self._feed_out:
            feed, self._feed_out = self._feed_out, []
            for subject_out, out in feed:
                try:
                    await self.bus.publish(subject_out, out)
                except Exception:  # a bus error must not stop the exchange
                    self.publish_errors += 1
                    log.exception("publish to %s failed", subject_out)
                    continue
                self.fed += 1
        for recipients, kind, out in outgoing:
            for recipient in recipients:
                try:
                    await self.bus.publish(out_subject(recipient, kind), out)
                except Exception:  # a bus error must not stop the exchange
                    self.publish_errors += 1
                    log.exception("publish to %s failed", recipient)
                    continue
                self.delivered[recipient] += 1

    def _take(self, verdict: Verdict, data: bytes, now: int) -> list[tuple[list[str], str, bytes]]:
        """What an accepted envelope causes, decided without yielding: the fusion's system
        tracks sealed, and the deliveries to make."""
        sender, message, env = verdict.sender, verdict.message, verdict.envelope
        if sender in self.workers:
            return self._take_from_worker(sender, message, now)
        if not self.policy.may_publish(sender, message):
            self.not_published[sender] += 1
            return []
        out = [(self.policy.recipients(sender, message), env.payload_type, data)]
        if self.feed is not None:
            self._feed_out.append((f"{self.feed}.{sender}.{env.payload_type}", data))
        if self.fusion is None:
            return out
        age = now - env.sent_ns
        kind = env.payload_type
        limit = self.shed_detections_ns if kind.startswith("detection") else self.shed_tracks_ns
        if kind != "heartbeat" and age > limit:
            self.shed[kind] += 1
            self._period_shed[kind] += 1
            return out
        try:
            tracks = self.fusion.ingest(sender, message)
        except Exception:
            self.fusion_errors += 1
            log.exception("fusion failed on a message from %s", sender)
            return out
        for track in tracks:
            sealed = self._seal_track(track, now)
            if sealed is not None:
                out.append(sealed)
        return out

    def _take_from_worker(
        self, sender: str, message: Message, now: int
    ) -> list[tuple[list[str], str, bytes]]:
        """A picture worker's system tracks, each released to every recipient entitled to all
        its contributions, sealed as the exchange's: with ``batch_tracks``, one
        :class:`~lookout.messages.SystemTrackBatch` per recipient holding every track of the
        worker's batch released to it, in the worker's order (recipients released the same
        tracks share one envelope; split only by :func:`track_batches`'s limits); without, one
        envelope per track."""
        if not isinstance(message, SystemTrackBatch):
            self.not_published[sender] += 1
            return []
        if not self.batch_tracks:
            out = []
            for track in message.tracks:
                sealed = self._seal_track(track, now)
                if sealed is not None:
                    out.append(sealed)
            return out
        released: dict[str, list[int]] = {}
        for i, track in enumerate(message.tracks):
            for r in self._release(track, now):
                released.setdefault(r, []).append(i)
        groups: dict[tuple[int, ...], list[str]] = {}
        for r in self.policy.partners:  # policy order, as ``Policy.recipients``
            if r in released:
                groups.setdefault(tuple(released[r]), []).append(r)
        out = []
        for indices, recipients in groups.items():
            tracks = [message.tracks[i] for i in indices]
            for batch in track_batches(message.t_ns, tracks):
                data = self._seal(batch, now, opened=True)
                out.append((recipients, "system_track_batch", data))
        return out

    def _release(self, track: SystemTrack, now: int) -> list[str]:
        """The recipients of one system track (counted; withheld from the others, its id
        reserved): those entitled to all its contributions, none if it is older than the
        freshness window."""
        self.system_tracks += 1
        recipients = self.policy.recipients(EXCHANGE, track)
        for p in self.policy.partners:
            if p not in recipients:
                self.withheld[p] += 1
        m = _SYSTEM_TRACK_ID.match(track.system_track_id)
        if m and int(m.group(1)) > self._sys_reserved:
            self._sys_reserved = int(m.group(1)) + SYSTEM_TRACK_BLOCK
            self.audit.reserve("system_track_id", self._sys_reserved)
        if not recipients:
            return []
        window = self.verifier.max_age_ns
        if window is not None and track.t_ns < now - window:
            # Older than the freshness window: every partner would refuse it as too old for
            # its envelope (a restarted exchange's fusion catching up on a backlog makes such
            # tracks). Not sent; counted as shed, and the status says degraded.
            self.shed["system_track"] += 1
            self._period_shed["system_track"] += 1
            return []
        return recipients

    def _seal_track(self, track: SystemTrack, now: int) -> tuple[list[str], str, bytes] | None:
        recipients = self._release(track, now)
        if not recipients:
            return None
        data = self._seal(track, now, opened=True)
        return recipients, "system_track", data

    def _seal(self, message: Message, now: int, *, opened: bool = False) -> bytes:
        """The envelope's bytes. ``opened``: a message that passed its plausibility checks
        (a system track: ``CommonPicture``, or a worker's verified batch), kept in the process's
        ``SignatureMemo`` as opened, so that the nodes of the embedded form take it without
        opening it again (decoding, canonical form, Ed25519, plausibility, its times worked
        out): what they would find is what was sealed here, with the key their keyrings hold
        for the exchange (a node whose keyring holds another key opens it itself, and refuses
        it)."""
        self.seq += 1
        if self.seq > self._seq_reserved:
            # Durable before use: a restarted exchange starts above every number it may have sent.
            self._seq_reserved = self.seq + SEQ_BLOCK
            self.audit.reserve("exchange_seq", self._seq_reserved)
        memo = self.verifier.signatures
        if not opened or memo is None:
            return envelope_bytes(seal(message, EXCHANGE, self.seq, now, self.exchange_key))
        env, canonical = seal_canonical(message, EXCHANGE, self.seq, now, self.exchange_key)
        data = envelope_bytes(env)
        if self._public is None:
            self._public = self.exchange_key.public_key()
        memo.remember(data, env, canonical, self._public, True)
        return data

    def _status_due(self, now: int) -> list[tuple[list[str], str, bytes]]:
        if self.status_period_ns <= 0:
            return []
        if self._next_status is None:
            self._next_status = now + self.status_period_ns
            return []
        if now < self._next_status:
            return []
        self._next_status = now + self.status_period_ns
        status = Status(
            t_ns=now,
            degraded=bool(self._period_shed or self._period_late),
            lag_ns=max(0, self._period_lag),
            shed=dict(self._period_shed),
            late=self._period_late,
        )
        self._period_shed, self._period_late, self._period_lag = Counter(), 0, 0
        self.statuses += 1
        return [(list(self.policy.partners), "status", self._seal(status, now))]

    def _schedule_audit_flush(self) -> None:
        # Group commit: rows wait at most audit_flush_s (or until the log's batch is full), so
        # a busy exchange commits a few hundred times a second, not once per envelope.
        if self._flush_scheduled:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self.audit.flush()
            return
        self._flush_scheduled = True
        loop.call_later(self.audit_flush_s, self._flush_audit)

    def _flush_audit(self) -> None:
        self._flush_scheduled = False
        try:
            self.audit.commit_soon()
        except Exception:
            log.exception("audit commit failed; rows kept for the next one")


def _payload(env) -> Message | None:
    from lookout.exchange.envelope import decode_payload

    try:
        return decode_payload(env)
    except Exception:  # noqa: BLE001 - it decoded when it was taken
        return None
