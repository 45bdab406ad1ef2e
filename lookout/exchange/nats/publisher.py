"""Publishing into the streams: pipelined, acked, sent again until stored, batched on request.

:meth:`Publisher.publish` sends the message with a reply inbox and returns; the JetStream acks
are matched as they come back. Every message carries a ``Nats-Msg-Id`` made from its subject and
bytes, so one not acked within ``ack_timeout_s`` is sent again (``max_attempts``) and still
stored once (within the stream's duplicate window; a restarted exchange relaying a redelivered
envelope too); "no responders" (no stream, or a stream electing a leader) is retried for
``unavailable_retry_s``. A message sent again is stored behind those acked meanwhile: across a
broker failure nothing is lost but publish order is not kept (the fusion orders by time).
:meth:`Publisher.flush` waits for every outstanding ack and raises :class:`BusPublishError`
naming what the broker refused. With ``linger_s`` > 0, messages on one subject go together in
batch frames (:func:`.framing.frame`): far fewer NATS messages at high rates, for up to
``linger_s`` more latency.

Subjects ``core`` says are on core NATS (no stream: what the picture workers pass each other,
derived from what the streams hold) are sent without a reply and nothing is awaited: at most
once, as core NATS is (batched the same way).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import nats.errors
from nats.aio.client import Client
from nats.aio.msg import Msg

from lookout.exchange.nats.api import no_responders, pub_ack_error
from lookout.exchange.nats.errors import BusPublishError
from lookout.exchange.nats.framing import (
    BATCH_HEADER,
    SUBJECTS_HEADER,
    frame,
    frame_mixed,
    mixed_subject,
)
from lookout.exchange.nats.stats import BusStats

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PublishOptions:
    """How messages are published: an ack awaited ``ack_timeout_s`` before sending again, up to
    ``max_attempts`` sends; "no responders" retried for ``unavailable_retry_s``; at most
    ``max_pending`` NATS messages unacked (publish waits beyond); ``dedupe`` gives each a
    ``Nats-Msg-Id``; ``linger_s`` > 0 batches a subject's messages, up to ``max_batch``
    messages or ``max_batch_bytes`` a frame; ``mix`` batches those of one prefix together."""

    ack_timeout_s: float = 5.0
    max_attempts: int = 5
    unavailable_retry_s: float = 30.0
    dedupe: bool = True
    max_pending: int = 20_000
    linger_s: float = 0.0
    max_batch: int = 256
    max_batch_bytes: int = 512 * 1024
    mix: bool = False


@dataclass(slots=True)
class _Pending:
    subject: str
    data: bytes
    deadline: float
    count: int  # messages in it: 1, or a batch frame's
    first_sent: float
    headers: dict[str, str] | None
    attempts: int = 1


class Publisher:
    """The publishing half of one connection: what was sent and not yet acked, and the
    batches lingering. ``connected`` gives the connection, opening it if need be (it calls
    :meth:`start` once open)."""

    def __init__(
        self,
        connected: Callable[[], Awaitable[Client]],
        options: PublishOptions,
        stats: BusStats,
        user: str | None = None,
        core: Callable[[str], bool] | None = None,
    ) -> None:
        self._connected, self.options, self.stats, self.user = connected, options, stats, user
        self._core = core
        self._nc: Client | None = None
        self._ack_prefix = ""
        self._pending: dict[str, _Pending] = {}
        self._failures: list[tuple[str, str]] = []
        self._seq = 0
        self._room = asyncio.Event()
        self._room.set()
        self._progress = asyncio.Event()  # set at every ack or failure
        self._last_fail_log = -1e9
        self._batches: dict[str, list[tuple[str, bytes]]] = {}
        self._batch_bytes: dict[str, int] = {}
        self._linger_task: asyncio.Task[None] | None = None

    async def start(self, nc: Client, inbox: str) -> None:
        """Listen for the acks on ``nc``, under this connection's own ack inbox."""
        conn_id = secrets.token_hex(11)  # unique per connection (not nats-py's private NUID)
        self._ack_prefix = f"{inbox}.ack.{conn_id}."
        await nc.subscribe(self._ack_prefix + "*", cb=self._on_ack, pending_msgs_limit=-1)
        self._nc = nc

    @property
    def unsent(self) -> bool:
        """Whether anything is unacked or still lingering."""
        return bool(self._pending or self._batches)

    async def publish(self, subject: str, data: bytes) -> None:
        """Send ``data`` on ``subject`` (a valid subject, no wildcards); its ack is awaited by
        :meth:`flush`. With ``linger_s`` > 0 it waits up to that long for others on the same
        subject and goes out with them in one batch frame."""
        opts = self.options
        if opts.linger_s <= 0:
            await self._send(subject, data, 1)
            return
        key = mixed_subject(subject) if opts.mix else subject
        batch = self._batches.get(key)
        if batch is None:
            batch = self._batches[key] = []
            self._batch_bytes[key] = 0
        batch.append((subject, data))
        self._batch_bytes[key] += len(data) + 4 + (len(subject) - len(key) + 8 if opts.mix else 0)
        if len(batch) >= opts.max_batch or self._batch_bytes[key] >= opts.max_batch_bytes:
            await self._send_batch(key)
        elif self._linger_task is None:
            self._linger_task = asyncio.create_task(self._linger())

    async def _linger(self) -> None:
        await asyncio.sleep(self.options.linger_s)
        self._linger_task = None
        await self._send_batches()

    async def _send_batches(self) -> None:
        for subject in list(self._batches):
            await self._send_batch(subject)

    async def _send_batch(self, key: str) -> None:
        batch = self._batches.pop(key, None)
        self._batch_bytes.pop(key, None)
        if not batch:
            return
        subject = batch[0][0]
        if len(batch) == 1:
            await self._send(subject, batch[0][1], 1)
        elif all(s == subject for s, _ in batch):
            await self._send(subject, frame([d for _, d in batch]), len(batch))
        else:  # a mixed frame, on the prefix's ``frame`` subject
            await self._send(key, frame_mixed(batch), len(batch), mixed=True)

    async def _send(self, subject: str, data: bytes, count: int, *, mixed: bool = False) -> None:
        nc = await self._connected()
        headers: dict[str, str] | None = None
        if count > 1:
            headers = {BATCH_HEADER: str(count)}
            if mixed:
                headers[SUBJECTS_HEADER] = "last-token"
        if self._core is not None and self._core(subject):
            self.stats.published += count
            self.stats.frames += 1
            try:
                await nc.publish(subject, data, headers=headers)
            except (nats.errors.ConnectionClosedError, nats.errors.OutboundBufferLimitError) as e:
                self.stats.failed += count
                log.warning("NATS %s: core publish on %s lost: %s", self.user, subject, e)
            return
        while len(self._pending) >= self.options.max_pending:
            self._room.clear()
            await self._room.wait()  # backpressure: too many acks outstanding
        self._seq += 1
        token = str(self._seq)
        if self.options.dedupe:
            # A resend carries the same id: JetStream stores it once (within the stream's
            # duplicate window) even if the first copy was stored and only its ack was lost.
            headers = headers or {}
            digest = hashlib.blake2b(subject.encode() + b"\x00" + data, digest_size=16)
            headers["Nats-Msg-Id"] = digest.hexdigest()
        now = time.monotonic()
        self._pending[token] = _Pending(
            subject, data, now + self.options.ack_timeout_s, count, now, headers
        )
        self.stats.published += count
        self.stats.frames += 1
        try:
            await nc.publish(subject, data, reply=self._ack_prefix + token, headers=headers)
        except (nats.errors.ConnectionClosedError, nats.errors.OutboundBufferLimitError) as e:
            log.warning("NATS %s: publish on %s deferred: %s", self.user, subject, e)

    async def _on_ack(self, msg: Msg) -> None:
        token = msg.subject[len(self._ack_prefix) :]
        if token not in self._pending:
            return  # a late ack of a message already resent and acked
        if no_responders(msg):
            # No responder: no stream captures the subject, or its stream has no leader for a
            # moment (a cluster electing one after losing a server, a server still loading its
            # streams after a restart). Resend every half second for unavailable_retry_s.
            p = self._pending[token]
            now = time.monotonic()
            if now - p.first_sent < self.options.unavailable_retry_s:
                p.deadline = now + 0.5
                p.attempts = max(0, p.attempts - 1)  # not a lost ack
            else:
                self._fail(
                    token,
                    "no stream captures this subject (or JetStream was unavailable for "
                    f"{self.options.unavailable_retry_s:g} s)",
                )
            return
        reason = pub_ack_error(msg.data)
        if reason is not None:
            self._fail(token, reason)
        else:
            self.stats.acked += self._pending.pop(token).count
            self._settled()

    def refused(self, subject: str, reason: str) -> None:
        """The broker refused publishing on ``subject`` (lower-cased, as in its error text):
        what is pending there is not stored, for ``reason``."""
        for token, p in list(self._pending.items()):
            if p.subject.lower() == subject:
                self._fail(token, reason)

    def _fail(self, token: str, reason: str) -> None:
        p = self._pending.pop(token, None)
        if p is None:
            return
        self.stats.failed += p.count
        self._failures.extend([(p.subject, reason)] * p.count)
        now = time.monotonic()
        if now - self._last_fail_log > 5.0:
            self._last_fail_log = now
            log.warning(
                "NATS %s: message on %s not stored: %s (%d not stored so far)",
                self.user,
                p.subject,
                reason,
                self.stats.failed,
            )
        self._settled()

    def _settled(self) -> None:
        self._progress.set()
        if not self._room.is_set() and len(self._pending) < self.options.max_pending:
            self._room.set()

    def resend_soon(self) -> None:
        """Send again at once what the broker may not have stored (after a reconnect)."""
        now = time.monotonic()
        for p in self._pending.values():
            p.deadline = min(p.deadline, now)

    async def retry_expired(self) -> None:
        """Send again what was not acked in time; give up on what used its attempts."""
        nc = self._nc
        if nc is None or not self._pending:
            return
        opts = self.options
        now = time.monotonic()
        for token, p in list(self._pending.items()):
            if p.deadline > now:
                continue
            if p.attempts >= opts.max_attempts:
                self._fail(token, f"no JetStream ack after {p.attempts} attempts")
            elif nc.is_connected:
                p.attempts += 1
                p.deadline = now + opts.ack_timeout_s
                self.stats.retried += 1
                with contextlib.suppress(Exception):
                    await nc.publish(
                        p.subject, p.data, reply=self._ack_prefix + token, headers=p.headers
                    )

    async def flush(self, timeout_s: float | None = None) -> None:
        """Wait until every message published before the call is acked (not those published
        while it waits: a node's next steps, the exchange's next envelopes); raise
        :class:`BusPublishError` if any was refused or never acked (by the retry limits, or
        within ``timeout_s``)."""
        opts = self.options
        nc = await self._connected()
        await self._send_batches()
        mark = self._seq
        if not self._pending:
            # Nothing of the streams' awaited (core NATS only, or nothing): a PING pushes out
            # what is buffered and its PONG says the server is there. With acks awaited, their
            # arrival says both; a PING then was one more round trip per flush (the exchange's
            # every ack, a node's every step with news) for nothing.
            with contextlib.suppress(nats.errors.Error, asyncio.TimeoutError):
                await nc.flush(timeout=max(1, int(opts.ack_timeout_s)))
        limit = timeout_s
        if limit is None:
            limit = max(opts.max_attempts + 1, 2) * opts.ack_timeout_s + opts.unavailable_retry_s
        try:
            await asyncio.wait_for(self._acked_through(mark), limit)
        except TimeoutError:
            for token in [t for t in self._pending if int(t) <= mark]:
                self._fail(token, f"no JetStream ack within {limit} s")
        if self._failures:
            failures, self._failures = self._failures, []
            raise BusPublishError(failures)

    async def _acked_through(self, mark: int) -> None:
        """Return once no message numbered up to ``mark`` is pending (the oldest pending is
        the first: numbered in order, a resend keeps its place)."""
        while self._pending and int(next(iter(self._pending))) <= mark:
            self._progress.clear()
            await self._progress.wait()

    def close(self) -> None:
        """Stop lingering (call after a last :meth:`flush`)."""
        if self._linger_task is not None:
            self._linger_task.cancel()
