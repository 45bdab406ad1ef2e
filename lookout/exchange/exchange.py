"""The exchange: verifies, audits, releases and relays every envelope, and feeds the fusion.

For each envelope on ``lookout.in.<PARTNER>.<type>`` the :class:`Exchange`:

1. reads its clock once (the receive time, also the send time of anything it seals in reply);
2. checks the envelope with its :class:`~.verify.Verifier` (refusals are counted there);
3. appends it to the audit log with the verdict, accepted or refused;
4. if accepted and the sender's policy publishes it: relays the sender's own signed envelope,
   unchanged, to every entitled recipient on ``lookout.out.<RECIPIENT>.<type>``;
5. hands it to the fusion (if any), seals each system track the fusion returns as ``EXCHANGE``
   (one envelope per track) and delivers it to every recipient entitled to all its
   contributions.

A bad envelope, or a fusion that raises, is counted and logged; the exchange goes on.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from typing import Protocol

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from lookout.exchange.audit import AuditLog
from lookout.exchange.bus import IN_ALL, Bus, out_subject, parse_subject
from lookout.exchange.clock import Clock
from lookout.exchange.envelope import envelope_bytes, seal
from lookout.exchange.keys import EXCHANGE, Keyring
from lookout.exchange.policy import Policy
from lookout.exchange.verify import Verifier
from lookout.messages import Message, SystemTrack

log = logging.getLogger(__name__)


class Fusion(Protocol):
    """The common picture: takes each accepted partner message, returns the system tracks it
    changed (possibly none)."""

    def ingest(self, sender: str, message: Message) -> list[SystemTrack]: ...


class Exchange:
    """One exchange over a bus; call :meth:`start` to subscribe, or feed :meth:`handle`.

    ``keyring`` holds the partners' public keys, ``exchange_key`` signs system tracks,
    ``seq_start`` is the sequence number before the first one sealed (a restarted exchange must
    start above the last one it sent, or partners refuse its envelopes as replayed). Audit rows
    are committed at most ``audit_flush_s`` after they arrive, or at :meth:`flush`.
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
    ) -> None:
        self.keyring = keyring
        self.policy = policy
        self.audit = audit
        self.bus = bus
        self.clock = clock
        self.exchange_key = exchange_key
        self.fusion = fusion
        self.verifier = verifier or Verifier(keyring, clock)
        self.seq = seq_start
        self.delivered: Counter[str] = Counter()
        self.withheld: Counter[str] = Counter()
        self.not_published: Counter[str] = Counter()
        self.system_tracks = 0
        self.fusion_errors = 0
        self.audit_flush_s = audit_flush_s
        self._flush_scheduled = False

    @property
    def accepted(self) -> Counter[str]:
        """Envelopes accepted, per sender."""
        return self.verifier.accepted

    @property
    def refused(self):
        """Envelopes refused, ``refused[partner][reason]``."""
        return self.verifier.refused

    def counters(self) -> dict:
        """Every counter, as plain data."""
        return {
            "accepted": dict(self.accepted),
            "refused": {p: {str(r): n for r, n in c.items()} for p, c in self.refused.items()},
            "delivered": dict(self.delivered),
            "withheld": dict(self.withheld),
            "not_published": dict(self.not_published),
            "system_tracks": self.system_tracks,
            "fusion_errors": self.fusion_errors,
        }

    async def start(self) -> None:
        """Subscribe to every partner's input."""
        await self.bus.subscribe(IN_ALL, self.handle, durable="lookout-exchange")

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
        env = verdict.envelope
        self.audit.append(
            now,
            subject,
            verdict.sender,
            None if env is None else env.seq,
            None if env is None else env.payload_type,
            "accepted" if verdict.accepted else "refused",
            None if verdict.accepted else str(verdict.reason),
            verdict.detail,
            data,
        )
        self._schedule_audit_flush()
        if not verdict.accepted:
            log.info("refused %s from %s: %s", verdict.reason, verdict.sender, verdict.detail)
            return
        sender, message = verdict.sender, verdict.message
        if not self.policy.may_publish(sender, message):
            self.not_published[sender] += 1
            return
        for recipient in self.policy.recipients(sender, message):
            await self.bus.publish(out_subject(recipient, env.payload_type), data)
            self.delivered[recipient] += 1
        if self.fusion is not None:
            await self._fuse(sender, message, now)

    async def _fuse(self, sender: str, message: Message, now: int) -> None:
        try:
            tracks = self.fusion.ingest(sender, message)
        except Exception:
            self.fusion_errors += 1
            log.exception("fusion failed on a message from %s", sender)
            return
        for track in tracks:
            self.system_tracks += 1
            recipients = self.policy.recipients(EXCHANGE, track)
            for p in self.policy.partners:
                if p not in recipients:
                    self.withheld[p] += 1
            if not recipients:
                continue
            self.seq += 1
            data = envelope_bytes(seal(track, EXCHANGE, self.seq, now, self.exchange_key))
            for recipient in recipients:
                await self.bus.publish(out_subject(recipient, "system_track"), data)
                self.delivered[recipient] += 1

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
