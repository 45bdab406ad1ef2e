"""Reading a stream: a durable pull consumer fed to a handler in order, acked after it.

:class:`PullConsumer` keeps pull requests outstanding on one durable consumer and hands each
message to the handler in stream order; each is acknowledged on its own (AckPolicy EXPLICIT: a
cumulative ack would also cover what a killed predecessor's pull request took and never
handled), only after the handler returned *and* ``before_ack()`` returned, by a task of its own
when the consumer has caught up or every ``ack_every`` messages. :func:`deliver` is the handling
both this and a live subscription use: a batch frame unpacked (each message handed on with its
own subject, a mixed frame's too), a failing handler retried.

With an :class:`~lookout.exchange.intake.Intake` (the exchange's consumers on the file
streams, whose state the broker keeps in memory only) each stored message's stream sequence is
marked once handled; one delivered again that was handled already (by a consumer created anew,
or one a restart took back to its start) is acked without handling it a second time; the
handler is told the place of each message's last envelope (:data:`~lookout.exchange.bus.
DELIVERY`); and a frame that cannot be unpacked is handed on as it came, so that the exchange
audits it (refused as malformed) like any other message.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import struct
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription

from lookout.exchange.bus import DELIVERY, Handler
from lookout.exchange.intake import Intake
from lookout.exchange.nats.api import pull_request, pull_status
from lookout.exchange.nats.framing import unframe_items
from lookout.exchange.nats.stats import BusStats

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PullOptions:
    """How a pull consumer reads: ``batch`` messages a request (kept about half full), each
    request ending after ``expires_s`` with a heartbeat every ``heartbeat_s``; acked every
    ``ack_every`` messages or when caught up; a failing handler tried ``handler_attempts``
    times; on stopping, an ack under way awaited up to ``stop_wait_s``."""

    batch: int = 256
    expires_s: float = 5.0
    heartbeat_s: float = 2.0
    ack_every: int = 100
    handler_attempts: int = 3
    stop_wait_s: float = 40.0


async def deliver(
    msg: Msg,
    handler: Handler,
    attempts: int,
    stats: BusStats,
    user: str | None,
    origin: tuple[str, int] | None = None,
) -> None:
    """Call ``handler`` on each message of ``msg`` (a batch frame or one), retrying each up to
    ``attempts`` times; count in ``stats``; never raises. ``origin`` (stream, sequence): the
    stored message's place, told to the handler of its last message (``DELIVERY``); a frame
    that cannot be unpacked is then handed on whole, else skipped."""
    try:
        messages = unframe_items(msg)
        if not messages and origin is not None:
            raise ValueError(f"batch frame on {msg.subject}: no message in it")
    except (ValueError, struct.error, UnicodeDecodeError) as e:
        stats.bad_frames += 1
        if origin is None:
            log.error("NATS %s: malformed batch frame skipped: %s", user, e)
            return
        log.error("NATS %s: malformed batch frame handed on whole: %s", user, e)
        messages = [(msg.subject, msg.data)]
    last = len(messages) - 1
    for i, (subject, data) in enumerate(messages):
        token = DELIVERY.set(origin if i == last else None) if origin is not None else None
        for attempt in range(1, attempts + 1):
            try:
                await handler(subject, data)
                break
            except Exception:
                stats.handler_errors += 1
                if attempt == attempts:
                    stats.skipped += 1
                    log.exception(
                        "handler failed %d time(s) on %s; message skipped", attempt, subject
                    )
                else:
                    log.warning("handler failed on %s; retrying", subject, exc_info=True)
                    await asyncio.sleep(0.05 * 2**attempt)
        if token is not None:
            DELIVERY.reset(token)
        stats.delivered += 1


class PullConsumer:
    """Keeps pull requests outstanding on one durable consumer and feeds a handler in order.

    ``next_subject`` is where this user sends the consumer's pull requests (the JetStream API,
    or a partner's import of it); replies come to a fresh inbox under ``inbox``. With
    ``intake``, see the module docstring; ``on_trouble`` is called on a status that may mean
    the consumer is gone (503 no responders, 409).
    """

    def __init__(
        self,
        nc: Client,
        stream: str,
        durable: str,
        next_subject: str,
        handler: Handler,
        *,
        inbox: str,
        options: PullOptions,
        stats: BusStats,
        user: str | None = None,
        before_ack: Callable[[], Awaitable[None]] | None = None,
        intake: Intake | None = None,
        on_trouble: Callable[[], None] | None = None,
    ) -> None:
        self.nc, self.stream, self.durable = nc, stream, durable
        self.intake, self.on_trouble = intake, on_trouble
        # Not pulling until the bus has checked that the consumer still stands where it stood
        # (after a reconnect): one a restart took back to its start would deliver it all again.
        self.held = False
        self.high_seen = 0  # the highest stream sequence delivered since it was created
        self.opened = False  # set by the bus once it checked where the consumer stands
        self.next_subject = next_subject
        self.handler = handler
        self.before_ack = before_ack
        self.options, self.stats, self.user = options, stats, user
        self.handled = 0
        self.acked = 0
        self._ack_wanted = asyncio.Event()
        self._acker: asyncio.Task[None] | None = None
        self.outstanding = 0
        self.last_activity = time.monotonic()
        self.closing = False
        self.busy = False
        self._replies: list[str] = []
        self.sub: Subscription | None = None
        self.inbox = f"{inbox}.pull.{secrets.token_hex(11)}"

    async def start(self) -> None:
        # Bounded: the pull requests keep at most batch messages in flight (plus status).
        limit = 4 * self.options.batch + 256
        self.sub = await self.nc.subscribe(self.inbox, cb=self._on_msg, pending_msgs_limit=limit)
        self._acker = asyncio.create_task(self._ack_loop())
        await self.renew()

    async def renew(self) -> None:
        """Drop the credit count (after a reconnect or silence) and ask afresh."""
        self.outstanding = 0
        await self._top_up()

    async def _top_up(self) -> None:
        opts = self.options
        if self.closing or self.held or not self.nc.is_connected:
            return
        if self.outstanding > opts.batch // 2:
            return
        req = pull_request(opts.batch, opts.expires_s, opts.heartbeat_s)
        try:
            await self.nc.publish(self.next_subject, req, reply=self.inbox)
            self.outstanding += opts.batch
        except Exception as e:  # the watchdog asks again after a reconnect
            log.warning("pull request on %s/%s failed: %s", self.stream, self.durable, e)

    async def _on_msg(self, msg: Msg) -> None:
        self.last_activity = time.monotonic()
        status = pull_status(msg)
        if status is not None:
            code, left, description = status
            if code == "100":  # idle heartbeat (or flow control, which pull does not use)
                return
            # 404/408/409: this request ended; drop the credit it still held.
            if code in ("404", "408"):
                self.outstanding = max(0, self.outstanding - (left or 0))
            else:
                # 409 (leadership change, consumer deleted, ...) or 503 (JetStream not ready yet,
                # e.g. just after a server restart): ask again, but not in a tight loop.
                log.warning("pull consumer %s/%s: status %s %s",
                            self.stream, self.durable, code, description)  # fmt: skip
                if self.on_trouble is not None:
                    self.on_trouble()
                self.outstanding = max(0, self.outstanding - (left or self.options.batch))
                await asyncio.sleep(0.2)
            await self._top_up()
            return
        self.outstanding = max(0, self.outstanding - 1)
        if self.closing:
            # Leave it for the next session of this durable: redeliver at once, not after ack_wait.
            with contextlib.suppress(Exception):
                await self.nc.publish(msg.reply, b"-NAK")
            return
        if self.outstanding <= self.options.batch // 2:
            await self._top_up()
        origin = None
        if self.intake is not None:
            seq = msg.metadata.sequence.stream
            self.high_seen = max(self.high_seen, seq)
            if self.intake.done(self.stream, seq):
                # Handled already (its rows audited, its releases with the publisher): acked
                # with the others, after before_ack, never handled twice.
                self.stats.intake_repeats += 1
                self._queue_ack(msg.reply)
                return
            origin = (self.stream, seq)
        self.busy = True
        try:
            await deliver(msg, self.handler, self.options.handler_attempts, self.stats, self.user,
                          origin)  # fmt: skip
            if origin is not None:
                self.intake.note(*origin)
        finally:
            self.busy = False
        # Each message is acked on its own (AckPolicy EXPLICIT: a cumulative ack would also ack
        # what a dead predecessor's pull request took and never handled), when caught up or
        # every ack_every messages, from the ack task, so that waiting for before_ack never
        # holds up the handling.
        self._queue_ack(msg.reply)

    def _queue_ack(self, reply: str) -> None:
        self._replies.append(reply)
        self.handled += 1
        pending = self.sub.pending_msgs if self.sub is not None else 0
        if len(self._replies) >= self.options.ack_every or pending == 0:
            self._ack_wanted.set()

    @property
    def unacked(self) -> int:
        return len(self._replies)

    def ack_soon(self) -> None:
        """Have the ack task acknowledge what was handled (the watchdog's nudge)."""
        self._ack_wanted.set()

    async def _ack_loop(self) -> None:
        while True:
            await self._ack_wanted.wait()
            self._ack_wanted.clear()
            if self.closing:
                return  # stop() sends the last ack
            if not await self.ack():
                await asyncio.sleep(0.5)  # before_ack failed: try again soon
                self._ack_wanted.set()

    async def ack(self) -> bool:
        """Acknowledge everything handled so far, once ``before_ack`` returned; False if it
        raised (nothing acked then)."""
        replies = list(self._replies)
        if not replies:
            return True
        if self.before_ack is not None:
            try:
                await self.before_ack()
            except Exception as e:  # noqa: BLE001 - whatever it was, do not ack
                log.warning("%s/%s: not acking %d message(s) yet: %s",
                            self.stream, self.durable, len(replies), e)  # fmt: skip
                return False
        try:
            for reply in replies:
                await self.nc.publish(reply, b"+ACK")
        except Exception as e:  # noqa: BLE001 - redelivered after ack_wait, at worst
            log.warning("%s/%s: ack failed: %s", self.stream, self.durable, e)
            return False
        del self._replies[: len(replies)]
        self.acked += len(replies)
        return True

    async def stop(self) -> None:
        self.closing = True
        if self.sub is not None:
            with contextlib.suppress(Exception):
                await self.sub.drain()
            self.sub = None
        while self.busy:
            await asyncio.sleep(0.005)
        if self._acker is not None:
            # Let it finish an ack under way, then end it (by its flag: a cancel can be lost
            # in Python 3.11's wait_for, and awaiting a task that missed it would never return).
            self._ack_wanted.set()
            done, _ = await asyncio.wait({self._acker}, timeout=self.options.stop_wait_s)
            if not done:
                self._acker.cancel()
            self._acker = None
        await self.ack()
