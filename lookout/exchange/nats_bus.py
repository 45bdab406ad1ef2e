"""The exchange bus on NATS JetStream: durable streams, acked publishes, durable pull consumers.

Two streams per partner P hold everything that crosses the bus, on file storage and replicated
in a cluster: ``LOOKOUT_IN_P`` (``lookout.in.P.>``, P to the exchange: its own quota, discard
new, so a partner flooding fills only its own and nothing acked is ever evicted) and
``LOOKOUT_OUT_P`` (``lookout.out.P.>``, the exchange to P). The exchange creates them and each
partner's durable consumer ``P`` (``manage_streams=True``, given ``partners``); partners may
create nothing (see :mod:`.nats_config`).

- :meth:`NatsBus.publish` is pipelined: it sends the message with a reply inbox and returns; the
  JetStream acks are matched as they come back. Every message carries a ``Nats-Msg-Id``, so one
  not acked within ``ack_timeout_s`` is sent again (``max_attempts``) and still stored once;
  "no responders" (no stream, or a stream electing a leader) is retried for
  ``unavailable_retry_s``. A message sent again is stored behind those acked meanwhile: across
  a broker failure nothing is lost but publish order is not kept (the fusion orders by time).
  :meth:`NatsBus.flush` waits for every outstanding ack and raises
  :class:`BusPublishError` naming what the broker refused. With ``linger_s`` > 0, messages on
  one subject are sent together in batch frames (:func:`frame`): far fewer NATS messages at
  high rates, for up to ``linger_s`` more latency.
- :meth:`NatsBus.subscribe` with ``durable=NAME`` reads through a durable pull consumer ``NAME``
  filtered on the subject (one per stream the subject spans, so the exchange reads every
  partner's stream through a consumer of its own, in turn): a subscriber that goes away and
  comes back resumes where it stopped, with nothing lost. Messages are handled one at a time in
  stream order and acknowledged only after the handler returns *and* ``before_ack()`` returned
  (the exchange's: its audit rows committed, its own publishes stored); each message is acked
  on its own (AckPolicy EXPLICIT: a cumulative ack would also cover what a killed predecessor's
  pull request took and never handled), by a task of their own when the subscriber has caught up
  or every ``ack_every`` messages, so a crash redelivers what was not acked (at least once). A
  handler that raises is retried ``handler_attempts`` times, then the message is counted in
  ``stats.skipped`` and passed. Without ``durable`` it is a plain live subscription (what is
  published while away is not replayed). A partner binds to its own durable (``KR``), which the
  exchange created.
- Every publish carries a ``Nats-Msg-Id`` made from its subject and bytes, so the same bytes
  published again within the stream's duplicate window (a resend, or a restarted exchange
  relaying a redelivered envelope) are stored once.
- ``tls_ca``: connect over TLS, checking the server's certificate against that CA file.
- Connection loss is logged and the client reconnects forever; pull requests are renewed after a
  reconnect and unacked publishes are sent again.

:class:`CoalitionBus` puts one connection per user behind one :class:`Bus`, to run a whole
coalition in one process against a real broker.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import secrets
import struct
import time
import urllib.parse
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import nats
import nats.errors
import nats.js.api
import nats.js.errors
from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription
from nats.js.api import RawStreamMsg

from lookout.errors import LookoutError
from lookout.exchange.bus import check_subject, intersect
from lookout.exchange.nats_config import (
    EXCHANGE,
    in_stream,
    inbox_prefix,
    out_stream,
    partner_api,
    read_credentials,
)
from lookout.timebase import s_to_ns

log = logging.getLogger(__name__)

Handler = Callable[[str, bytes], Awaitable[None]]


class BusPublishError(LookoutError, RuntimeError):
    """Messages the broker refused or never acknowledged: ``failures`` is (subject, reason)."""

    def __init__(self, failures: list[tuple[str, str]]) -> None:
        self.failures = failures
        shown = "; ".join(f"{s}: {r}" for s, r in failures[:5])
        more = f" (and {len(failures) - 5} more)" if len(failures) > 5 else ""
        super().__init__(f"{len(failures)} message(s) not stored by JetStream: {shown}{more}")


class _NoReply(ConnectionError):
    """A JetStream API request got no reply in time."""


class BusPermissionError(LookoutError, PermissionError):
    """The broker refused a subscription or a JetStream API call for this user."""


@dataclass(frozen=True)
class StreamSpec:
    """A JetStream stream: its name, the subjects it captures (each ending in ``>``), its
    limits, and what happens when full: ``discard`` "new" refuses new messages (nothing stored
    is evicted), "old" evicts the oldest."""

    name: str
    subjects: tuple[str, ...]
    max_age_s: float = 7 * 24 * 3600.0
    max_bytes: int = 256 * 1024**2
    max_msgs: int = -1
    discard: str = "new"
    duplicate_window_s: float = 120.0


def streams_for(
    partners: Sequence[str], *, in_bytes: int = 256 * 1024**2, out_bytes: int = 256 * 1024**2
) -> tuple[StreamSpec, ...]:
    """Each partner's inbound stream (its quota ``in_bytes``, discard new) and outbound stream
    (``out_bytes``, discard old: only that partner's own deliveries can be evicted)."""
    out: list[StreamSpec] = []
    for p in partners:
        out.append(StreamSpec(in_stream(p), (f"lookout.in.{p}.>",), max_bytes=in_bytes))
        out.append(
            StreamSpec(out_stream(p), (f"lookout.out.{p}.>",), max_bytes=out_bytes, discard="old")
        )
    return tuple(out)


@dataclass
class BusStats:
    """Counters of one NatsBus connection."""

    published: int = 0
    frames: int = 0
    bad_frames: int = 0
    acked: int = 0
    retried: int = 0
    failed: int = 0
    delivered: int = 0
    handler_errors: int = 0
    skipped: int = 0
    disconnects: int = 0
    reconnects: int = 0
    permission_errors: list[str] = field(default_factory=list)


@dataclass(slots=True)
class _Pending:
    subject: str
    data: bytes
    deadline: float
    count: int  # messages in it: 1, or a batch frame's
    first_sent: float
    headers: dict[str, str] | None
    attempts: int = 1


BATCH_HEADER = "Lookout-Batch"
"""Header of a batch frame: the number of messages in it. The payload is, per message, its
length as 4 bytes big-endian and its bytes. A NATS message without the header is one message."""

_LEN = struct.Struct(">I")


def frame(messages: Sequence[bytes]) -> bytes:
    """The payload of a batch frame holding ``messages``."""
    return b"".join(_LEN.pack(len(m)) + m for m in messages)


def unframe(msg: Msg | RawStreamMsg) -> list[bytes]:
    """The messages in a NATS message (delivered, or read back from a stream): a batch frame's,
    or the payload itself."""
    hdrs = msg.headers
    if not hdrs or BATCH_HEADER not in hdrs:
        return [msg.data]
    n = int(hdrs[BATCH_HEADER])
    data, out, i = msg.data, [], 0
    while i < len(data):
        (size,) = _LEN.unpack_from(data, i)
        i += 4
        if i + size > len(data):
            raise ValueError(f"batch frame on {msg.subject}: message {len(out)} overruns the frame")
        out.append(data[i : i + size])
        i += size
    if len(out) != n:
        raise ValueError(f"batch frame on {msg.subject}: {len(out)} messages, header says {n}")
    return out


class _PullConsumer:
    """Keeps pull requests outstanding on one durable consumer and feeds a handler in order."""

    def __init__(
        self,
        bus: NatsBus,
        stream: str,
        durable: str,
        subject: str,
        handler: Handler,
        before_ack: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        self.bus, self.stream, self.durable, self.subject = bus, stream, durable, subject
        self.handler = handler
        self.before_ack = before_ack
        self.handled = 0
        self.acked = 0
        self._ack_wanted = asyncio.Event()
        self._acker: asyncio.Task[None] | None = None
        self.next_subject = bus.consumer_api("next", stream, durable)
        self.outstanding = 0
        self.last_activity = time.monotonic()
        self.closing = False
        self.busy = False
        self._replies: list[str] = []
        self.sub: Subscription | None = None
        self.inbox = ""

    async def start(self) -> None:
        nc = self.bus._nc
        assert nc is not None
        self.inbox = f"{self.bus.inbox}.pull.{secrets.token_hex(11)}"
        # Bounded: the pull requests keep at most pull_batch messages in flight (plus status).
        limit = 4 * self.bus.pull_batch + 256
        self.sub = await nc.subscribe(self.inbox, cb=self._on_msg, pending_msgs_limit=limit)
        self._acker = asyncio.create_task(self._ack_loop())
        await self.renew()

    async def renew(self) -> None:
        """Drop the credit count (after a reconnect or silence) and ask afresh."""
        self.outstanding = 0
        await self._top_up()

    async def _top_up(self) -> None:
        bus = self.bus
        if self.closing or bus._nc is None or not bus._nc.is_connected:
            return
        if self.outstanding > bus.pull_batch // 2:
            return
        req = {
            "batch": bus.pull_batch,
            "expires": s_to_ns(bus.pull_expires_s),
            "idle_heartbeat": s_to_ns(bus.pull_heartbeat_s),
        }
        try:
            await bus._nc.publish(self.next_subject, json.dumps(req).encode(), reply=self.inbox)
            self.outstanding += bus.pull_batch
        except Exception as e:  # the watchdog asks again after a reconnect
            log.warning("pull request on %s/%s failed: %s", self.stream, self.durable, e)

    async def _on_msg(self, msg: Msg) -> None:
        self.last_activity = time.monotonic()
        nc = self.bus._nc
        assert nc is not None
        hdrs = msg.headers
        if hdrs and "Status" in hdrs and not msg.data:
            status = hdrs.get("Status", "")
            if status == "100":  # idle heartbeat (or flow control, which pull does not use)
                return
            # 404/408/409: this request ended; drop the credit it still held.
            try:
                left = int(hdrs.get("Nats-Pending-Messages", "0"))
            except ValueError:
                left = 0
            if status in ("404", "408"):
                self.outstanding = max(0, self.outstanding - (left or 0))
            else:
                # 409 (leadership change, consumer deleted, ...) or 503 (JetStream not ready yet,
                # e.g. just after a server restart): ask again, but not in a tight loop.
                log.warning(
                    "pull consumer %s/%s: status %s %s",
                    self.stream,
                    self.durable,
                    status,
                    hdrs.get("Description", ""),
                )
                self.outstanding = max(0, self.outstanding - (left or self.bus.pull_batch))
                await asyncio.sleep(0.2)
            await self._top_up()
            return
        self.outstanding = max(0, self.outstanding - 1)
        if self.closing:
            # Leave it for the next session of this durable: redeliver at once, not after ack_wait.
            with contextlib.suppress(Exception):
                await nc.publish(msg.reply, b"-NAK")
            return
        bus = self.bus
        if self.outstanding <= bus.pull_batch // 2:
            await self._top_up()
        self.busy = True
        try:
            await bus._deliver(msg, self.handler, bus.handler_attempts)
        finally:
            self.busy = False
        # Each message is acked on its own (AckPolicy EXPLICIT: a cumulative ack would also ack
        # what a dead predecessor's pull request took and never handled), when caught up or
        # every ack_every messages, from the ack task, so that waiting for before_ack never
        # holds up the handling.
        self._replies.append(msg.reply)
        self.handled += 1
        pending = self.sub.pending_msgs if self.sub is not None else 0
        if len(self._replies) >= bus.ack_every or pending == 0:
            self._ack_wanted.set()

    @property
    def unacked(self) -> int:
        return len(self._replies)

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
        nc = self.bus._nc
        replies = list(self._replies)
        if not replies or nc is None:
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
                await nc.publish(reply, b"+ACK")
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
            done, _ = await asyncio.wait({self._acker}, timeout=self.bus.ack_timeout_s * 8)
            if not done:
                self._acker.cancel()
            self._acker = None
        await self.ack()


class NatsBus:
    """The :class:`Bus` protocol on NATS JetStream; see the module docstring.

    ``servers`` is a URL or list of URLs (``nats://host:4222``); log in with ``user`` and
    ``password`` or a ``creds`` file (JWT). ``manage_streams`` creates or updates the streams
    with ``replicas`` copies (1 on one server, 3 on a cluster). The connection opens on first use,
    or with :meth:`connect` / ``async with``. A durable consumer created for the first time starts
    at ``deliver_policy``: ``"all"`` (the whole stream still kept), ``"new"`` or ``"last"``.
    """

    def __init__(
        self,
        servers: str | Sequence[str] = "nats://127.0.0.1:4222",
        *,
        user: str | None = None,
        password: str | None = None,
        creds: str | None = None,
        name: str | None = None,
        partners: Sequence[str] | None = None,
        streams: Sequence[StreamSpec] | None = None,
        manage_streams: bool = False,
        replicas: int = 1,
        ack_timeout_s: float = 5.0,
        max_attempts: int = 5,
        unavailable_retry_s: float = 30.0,
        dedupe: bool = True,
        max_pending: int = 20_000,
        pull_batch: int = 256,
        pull_expires_s: float = 5.0,
        pull_heartbeat_s: float = 2.0,
        max_ack_pending: int = 20_000,
        ack_wait_s: float = 30.0,
        partner_ack_wait_s: float = 5.0,
        max_deliver: int = -1,
        ack_every: int = 100,
        linger_s: float = 0.0,
        max_batch: int = 256,
        max_batch_bytes: int = 512 * 1024,
        handler_attempts: int = 3,
        deliver_policy: str = "all",
        connect_timeout_s: float = 30.0,
        tls_ca: str | None = None,
    ) -> None:
        self.servers = [servers] if isinstance(servers, str) else list(servers)
        if user is None and self.servers:
            # nats://KR:secret@host:4222 logs in as KR: its replies must use KR's inbox prefix.
            url = urllib.parse.urlsplit(self.servers[0])
            if url.username:
                user = urllib.parse.unquote(url.username)
        self.user, self.password, self.creds = user, password, creds
        self.name = name or (f"lookout-{user}" if user else "lookout")
        self.inbox = inbox_prefix(user) if user else "_INBOX"
        if streams is None:
            if partners is None:
                partners = [user] if user and user != EXCHANGE else []
            streams = streams_for(partners)
        self.partners = list(partners or [])
        self.streams = tuple(streams)
        self.tls_ca = tls_ca
        self.manage_streams, self.replicas = manage_streams, replicas
        self.ack_timeout_s, self.max_attempts, self.max_pending = (
            ack_timeout_s,
            max_attempts,
            max_pending,
        )
        self.pull_batch, self.pull_expires_s = pull_batch, pull_expires_s
        self.pull_heartbeat_s = pull_heartbeat_s
        self.partner_ack_wait_s = partner_ack_wait_s
        self.max_ack_pending, self.ack_wait_s, self.max_deliver = (
            max_ack_pending,
            ack_wait_s,
            max_deliver,
        )
        self.ack_every, self.handler_attempts = ack_every, handler_attempts
        self.linger_s, self.max_batch, self.max_batch_bytes = linger_s, max_batch, max_batch_bytes
        if deliver_policy not in ("all", "new", "last"):
            raise ValueError(f"deliver_policy: {deliver_policy!r}, expected all, new or last")
        self.deliver_policy = deliver_policy
        self.connect_timeout_s = connect_timeout_s
        self.unavailable_retry_s = unavailable_retry_s
        self.dedupe = dedupe
        self._msg_id_prefix = ""
        self.stats = BusStats()
        self._nc: Client | None = None
        self._connect_lock = asyncio.Lock()
        self._pending: dict[str, _Pending] = {}
        self._failures: list[tuple[str, str]] = []
        self._seq = 0
        self._ack_prefix = ""
        self._room = asyncio.Event()
        self._room.set()
        self._drained = asyncio.Event()
        self._drained.set()
        self._consumers: list[_PullConsumer] = []
        self._live_subs: list[Subscription] = []
        self._tasks: list[asyncio.Task[None]] = []
        self._closed = False
        self._valid_subjects: set[str] = set()
        self._last_error_log = -1e9
        self._last_fail_log = -1e9
        self._batches: dict[str, list[bytes]] = {}
        self._batch_bytes: dict[str, int] = {}
        self._linger_task: asyncio.Task[None] | None = None
        self._connect_task: asyncio.Future[Client] | None = None
        self._connect_error: str | None = None

    @classmethod
    def from_credentials(cls, path: str, **kwargs: Any) -> NatsBus:
        """A bus logged in with a credentials file from :func:`nats_config.write_credentials`."""
        c = read_credentials(path)
        if c.get("ca_file"):
            kwargs.setdefault("tls_ca", c["ca_file"])
        return cls(c["servers"].split(","), user=c["user"], password=c["password"], **kwargs)

    # -- connection ---------------------------------------------------------------------------

    async def connect(self) -> NatsBus:
        """Open the connection (retrying until ``connect_timeout_s``) and set up the streams."""
        async with self._connect_lock:
            if self._nc is not None:
                return self
            if self._closed:
                raise RuntimeError("NatsBus is closed")
            opts: dict[str, Any] = dict(
                servers=self.servers,
                name=self.name,
                inbox_prefix=self.inbox,
                error_cb=self._on_error,
                disconnected_cb=self._on_disconnected,
                reconnected_cb=self._on_reconnected,
                allow_reconnect=True,
                max_reconnect_attempts=-1,
                reconnect_time_wait=0.5,
                connect_timeout=5,
                pending_size=64 * 1024 * 1024,
                # Subjects are checked here once each (see publish), not by nats-py per message.
                skip_subject_validation=True,
            )
            if self.user is not None:
                opts.update(user=self.user, password=self.password)
            if self.tls_ca is not None or any(u.startswith("tls://") for u in self.servers):
                import ssl

                ctx = ssl.create_default_context(cafile=self.tls_ca)
                opts.update(tls=ctx, tls_hostname=None)
            if self.creds is not None:
                opts.update(user_credentials=self.creds)
            # nats-py retries the first connection forever (max_reconnect_attempts=-1); bound it,
            # and give up at once on a refused login (see _on_error).
            self._connect_task = asyncio.ensure_future(nats.connect(**opts))
            self._connect_error = None
            try:
                nc = await asyncio.wait_for(self._connect_task, self.connect_timeout_s)
            except (asyncio.CancelledError, TimeoutError) as e:
                if self._connect_error is not None:
                    raise ConnectionError(
                        f"NATS {self.servers} as {self.user}: {self._connect_error}"
                    ) from None
                if isinstance(e, asyncio.CancelledError):
                    raise
                raise ConnectionError(
                    f"NATS {self.servers}: no server reachable within {self.connect_timeout_s} s"
                ) from None
            except (OSError, nats.errors.Error) as e:
                raise ConnectionError(f"NATS {self.servers} as {self.user}: {e}") from e
            finally:
                self._connect_task = None
            conn_id = secrets.token_hex(11)  # unique per connection (not nats-py's private NUID)
            self._ack_prefix = f"{self.inbox}.ack.{conn_id}."
            self._msg_id_prefix = f"{self.user or 'anon'}-{conn_id}-"
            await nc.subscribe(self._ack_prefix + "*", cb=self._on_ack, pending_msgs_limit=-1)
            self._nc = nc
            self._tasks.append(asyncio.create_task(self._watchdog()))
            if self.manage_streams:
                await self.ensure_streams()
            return self

    async def _connected(self) -> Client:
        if self._nc is None:
            await self.connect()
        assert self._nc is not None
        return self._nc

    async def ensure_streams(self) -> None:
        """Create the streams, or update them to this configuration (needs the exchange user)."""
        nc = await self._connected()
        js = nc.jetstream()
        for spec in self.streams:
            cfg = dict(
                name=spec.name,
                subjects=list(spec.subjects),
                storage=nats.js.api.StorageType.FILE,
                num_replicas=self.replicas,
                retention=nats.js.api.RetentionPolicy.LIMITS,
                discard=nats.js.api.DiscardPolicy(spec.discard),
                max_age=spec.max_age_s,
                max_bytes=spec.max_bytes,
                max_msgs=spec.max_msgs,
                duplicate_window=spec.duplicate_window_s,
            )
            try:
                await js.add_stream(**cfg)
            except nats.js.errors.BadRequestError:
                await js.update_stream(**cfg)
        # Each partner's durable consumer on its outbound stream: created here, by the
        # exchange, since a partner may create none (it could point one anywhere).
        for p in self.partners:
            subject = f"lookout.out.{p}.>"
            if any(s.name == out_stream(p) for s in self.streams):
                await self._create_consumer(
                    out_stream(p), p, subject, "all", ack_wait_s=self.partner_ack_wait_s
                )

    async def _on_error(self, e: Exception) -> None:
        # nats-py lower-cases the server's -ERR text, subject included: compare lower-cased.
        text = str(e).lower()
        if "permissions violation" in text:
            self.stats.permission_errors.append(text)
            log.warning("NATS %s: %s", self.user, text)
            if "for publish to" in text:
                subject = text.split('"')[1] if '"' in text else ""
                for token, p in list(self._pending.items()):
                    if p.subject.lower() == subject:
                        self._fail(token, "permission denied by the broker")
            return
        if self._connect_task is not None and "authorization violation" in text:
            self._connect_error = "login refused (user or password wrong)"
            self._connect_task.cancel()
            return
        # While the server is away nats-py reports every failed attempt (twice a second).
        now = time.monotonic()
        if now - self._last_error_log > 30.0:
            self._last_error_log = now
            log.warning("NATS %s: %s", self.user, e)

    async def _on_disconnected(self) -> None:
        if not self._closed:
            self.stats.disconnects += 1
            log.warning("NATS %s: disconnected from %s; reconnecting", self.user, self.servers)

    async def _on_reconnected(self) -> None:
        self.stats.reconnects += 1
        self._last_error_log = -1e9
        log.info("NATS %s: reconnected", self.user)
        for c in self._consumers:
            await c.renew()
        # Send again what the broker may not have stored while we were away.
        now = time.monotonic()
        for p in self._pending.values():
            p.deadline = min(p.deadline, now)

    async def _watchdog(self) -> None:
        period = min(self.ack_timeout_s, self.pull_heartbeat_s) / 2
        while True:
            await asyncio.sleep(period)
            try:
                await self._retry_expired()
                now = time.monotonic()
                for c in self._consumers:
                    if c.unacked:
                        c._ack_wanted.set()
                    if now - c.last_activity > 3 * self.pull_heartbeat_s:
                        c.last_activity = now
                        await c.renew()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("NATS watchdog")

    async def _retry_expired(self) -> None:
        nc = self._nc
        if nc is None or not self._pending:
            return
        now = time.monotonic()
        for token, p in list(self._pending.items()):
            if p.deadline > now:
                continue
            if p.attempts >= self.max_attempts:
                self._fail(token, f"no JetStream ack after {p.attempts} attempts")
            elif nc.is_connected:
                p.attempts += 1
                p.deadline = now + self.ack_timeout_s
                self.stats.retried += 1
                with contextlib.suppress(Exception):
                    await nc.publish(
                        p.subject, p.data, reply=self._ack_prefix + token, headers=p.headers
                    )

    # -- publish ------------------------------------------------------------------------------

    async def publish(self, subject: str, data: bytes) -> None:
        """Send ``data`` on ``subject`` into its stream; the ack is awaited by :meth:`flush`.

        With ``linger_s`` > 0 the message waits up to that long for others on the same subject
        and goes out with them in one batch frame (see :func:`frame`). Refused on a closed bus
        (nothing would ever send it).
        """
        if self._closed:
            raise RuntimeError(f"NATS {self.user}: publish on {subject} after the bus was closed")
        if subject not in self._valid_subjects:
            check_subject(subject, wildcards=False)
            if len(self._valid_subjects) > 100_000:
                self._valid_subjects.clear()
            self._valid_subjects.add(subject)
        if self.linger_s <= 0:
            await self._send(subject, data, 1)
            return
        batch = self._batches.get(subject)
        if batch is None:
            batch = self._batches[subject] = []
            self._batch_bytes[subject] = 0
        batch.append(data)
        self._batch_bytes[subject] += len(data) + 4
        if len(batch) >= self.max_batch or self._batch_bytes[subject] >= self.max_batch_bytes:
            await self._send_batch(subject)
        elif self._linger_task is None:
            self._linger_task = asyncio.create_task(self._linger())

    async def _linger(self) -> None:
        await asyncio.sleep(self.linger_s)
        self._linger_task = None
        await self._send_batches()

    async def _send_batches(self) -> None:
        for subject in list(self._batches):
            await self._send_batch(subject)

    async def _send_batch(self, subject: str) -> None:
        batch = self._batches.pop(subject, None)
        self._batch_bytes.pop(subject, None)
        if not batch:
            return
        if len(batch) == 1:
            await self._send(subject, batch[0], 1)
        else:
            await self._send(subject, frame(batch), len(batch))

    async def _send(self, subject: str, data: bytes, count: int) -> None:
        nc = await self._connected()
        while len(self._pending) >= self.max_pending:
            self._room.clear()
            await self._room.wait()  # backpressure: too many acks outstanding
        self._seq += 1
        token = str(self._seq)
        if not self._pending:
            self._drained.clear()
        headers: dict[str, str] | None = None
        if count > 1:
            headers = {BATCH_HEADER: str(count)}
        if self.dedupe:
            # A resend carries the same id: JetStream stores it once (within the stream's
            # duplicate window) even if the first copy was stored and only its ack was lost.
            headers = headers or {}
            digest = hashlib.blake2b(subject.encode() + b"\x00" + data, digest_size=16)
            headers["Nats-Msg-Id"] = digest.hexdigest()
        now = time.monotonic()
        self._pending[token] = _Pending(
            subject, data, now + self.ack_timeout_s, count, now, headers
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
        if msg.headers and msg.headers.get("Status") == "503":
            # No responder: no stream captures the subject, or its stream has no leader for a
            # moment (a cluster electing one after losing a server, a server still loading its
            # streams after a restart). Resend every half second for unavailable_retry_s.
            p = self._pending[token]
            now = time.monotonic()
            if now - p.first_sent < self.unavailable_retry_s:
                p.deadline = now + 0.5
                p.attempts = max(0, p.attempts - 1)  # not a lost ack
            else:
                self._fail(
                    token,
                    "no stream captures this subject (or JetStream was unavailable for "
                    f"{self.unavailable_retry_s:g} s)",
                )
        elif b'"error"' in msg.data:
            try:
                err = json.loads(msg.data)["error"]
                reason = f"{err.get('code')} {err.get('description')}"
            except (ValueError, KeyError, AttributeError):
                reason = msg.data.decode(errors="replace")
            self._fail(token, reason)
        else:
            self.stats.acked += self._pending.pop(token).count
            self._settled()

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
        if not self._room.is_set() and len(self._pending) < self.max_pending:
            self._room.set()
        if not self._pending:
            self._drained.set()

    async def flush(self, timeout_s: float | None = None) -> None:
        """Wait until every published message is acked; raise :class:`BusPublishError` if any
        was refused or never acked (by the retry limits, or within ``timeout_s``)."""
        nc = await self._connected()
        await self._send_batches()
        with contextlib.suppress(nats.errors.Error, asyncio.TimeoutError):
            await nc.flush(timeout=max(1, int(self.ack_timeout_s)))
        limit = timeout_s
        if limit is None:
            limit = max(self.max_attempts + 1, 2) * self.ack_timeout_s + self.unavailable_retry_s
        try:
            await asyncio.wait_for(self._drained.wait(), limit)
        except TimeoutError:
            for token in list(self._pending):
                self._fail(token, f"no JetStream ack within {limit} s")
        if self._failures:
            failures, self._failures = self._failures, []
            raise BusPublishError(failures)

    # -- subscribe ----------------------------------------------------------------------------

    def streams_for(self, subject: str) -> list[tuple[str, str]]:
        """``(stream, filter)`` of every stream that captures part of ``subject`` (wildcards
        allowed), the filter being the part it captures."""
        out = []
        for spec in self.streams:
            for pat in spec.subjects:
                both = intersect(pat, subject)
                if both is not None:
                    out.append((spec.name, both))
                    break
        if not out:
            raise ValueError(
                f"subject {subject!r}: no stream captures it; streams: "
                + ", ".join(f"{s.name} {list(s.subjects)}" for s in self.streams)
            )
        return out

    def consumer_api(self, kind: str, stream: str, durable: str) -> str:
        """The subject of a consumer's JetStream request ``kind`` ("next", "info") for this
        user: the JetStream API itself for the exchange, a partner's import of it otherwise."""
        if self.manage_streams or self.user in (None, EXCHANGE):
            return f"$JS.API.CONSUMER.{'MSG.NEXT' if kind == 'next' else 'INFO'}.{stream}.{durable}"
        return partner_api(self.user, kind)

    def stream_for(self, subject: str) -> str:
        """The name of the (first) stream that captures ``subject``."""
        return self.streams_for(subject)[0][0]

    async def subscribe(
        self,
        subject: str,
        handler: Handler,
        *,
        durable: str | None = None,
        before_ack: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        """Call ``handler(subject, data)`` for each message on ``subject`` (wildcards allowed).

        With ``durable``, read through durable pull consumers: one named ``durable`` if one
        stream captures the subject, else ``<durable>_<stream>`` per stream; created when this
        bus manages the streams, otherwise bound (a partner's, which the exchange created).
        They resume after a disconnect, ack after ``handler`` and ``before_ack`` returned, retry
        ``handler`` if it raises. Raises :class:`BusPermissionError` if the broker refuses this
        user the subject, ``ConnectionError`` if the exchange has not created them yet.
        """
        check_subject(subject, wildcards=True)
        if durable is not None:
            check_subject(durable, wildcards=False)
            if "." in durable:
                raise ValueError(f"durable {durable!r}: one token expected, e.g. 'KR'")
        nc = await self._connected()
        if durable is None:
            before = len(self.stats.permission_errors)

            async def cb(msg: Msg) -> None:
                await self._deliver(msg, handler, 1)

            sub = await nc.subscribe(subject, cb=cb, pending_msgs_limit=-1)
            await self._round_trip()
            try:
                self._check_denied(before, subject)
            except BusPermissionError:
                with contextlib.suppress(Exception):
                    await sub.unsubscribe()
                raise
            self._live_subs.append(sub)
            return
        targets = self.streams_for(subject)
        for stream, filt in targets:
            name = durable if len(targets) == 1 else f"{durable}_{stream}"
            if self.manage_streams:
                await self._create_consumer(stream, name, filt, self.deliver_policy)
            else:
                await self._bind_consumer(stream, name, filt)
            consumer = _PullConsumer(self, stream, name, filt, handler, before_ack)
            self._consumers.append(consumer)
            await consumer.start()

    async def _create_consumer(
        self, stream: str, name: str, filt: str, deliver: str, *, ack_wait_s: float | None = None
    ) -> None:
        # A partner's pull requests come through its account's import: the server cannot see
        # that a partner which went away stopped listening, and what it hands that request waits
        # ack_wait before it comes again; so partners' consumers have a short one.
        ack_wait = self.ack_wait_s if ack_wait_s is None else ack_wait_s
        config = {
            "durable_name": name,
            "name": name,
            "filter_subject": filt,
            "deliver_policy": deliver,
            "ack_policy": "explicit",
            "ack_wait": s_to_ns(ack_wait),
            "max_deliver": self.max_deliver,
            "max_ack_pending": self.max_ack_pending,
            "max_waiting": 512,
            "replay_policy": "instant",
        }
        api = f"$JS.API.CONSUMER.CREATE.{stream}.{name}.{filt}"
        body = json.dumps({"stream_name": stream, "config": config}).encode()
        resp = await self._api_request(api, body, what=f"durable {name!r} on {filt}")
        if "error" in resp:
            err = resp["error"]
            if err.get("err_code") == 10059:
                raise ConnectionError(
                    f"durable {name!r}: stream {stream} does not exist yet; the exchange "
                    "creates it (NatsBus(manage_streams=True)), start it first"
                )
            if err.get("err_code") == 10013:  # exists with another config: keep it (resume)
                return
            raise ValueError(
                f"durable {name!r} on {stream} with filter {filt!r}: JetStream refused: "
                f"{err.get('code')} {err.get('description')}"
            )

    async def _bind_consumer(self, stream: str, name: str, filt: str) -> None:
        if name != self.user:
            raise BusPermissionError(
                f"durable {name!r}: a partner reads only its own durable consumer ({self.user!r})"
            )
        api = self.consumer_api("info", stream, name)
        try:
            resp = await self._api_request(api, b"", what=f"durable {name!r} on {stream}")
        except ConnectionError as e:
            raise ConnectionError(
                f"durable {name!r} on {stream}: no answer ({e}); the exchange creates the "
                "streams and each partner's consumer: start it first"
            ) from None
        if "error" in resp:
            err = resp["error"]
            raise ConnectionError(
                f"durable {name!r} on {stream}: {err.get('description')}; the exchange creates "
                "the streams and each partner's consumer: start it first"
            )
        got = resp.get("config", {}).get("filter_subject")
        if got != filt:
            raise BusPermissionError(f"durable {name!r} filters {got!r}, not {filt!r}")

    async def _deliver(self, msg: Msg, handler: Handler, attempts: int) -> None:
        """Call ``handler`` on each message of ``msg`` (a batch frame or one), retrying each up
        to ``attempts`` times; never raises."""
        try:
            messages = unframe(msg)
        except (ValueError, struct.error) as e:
            self.stats.bad_frames += 1
            log.error("NATS %s: malformed batch frame skipped: %s", self.user, e)
            return
        stats = self.stats
        for data in messages:
            for attempt in range(1, attempts + 1):
                try:
                    await handler(msg.subject, data)
                    break
                except Exception:
                    stats.handler_errors += 1
                    if attempt == attempts:
                        stats.skipped += 1
                        log.exception(
                            "handler failed %d time(s) on %s; message skipped", attempt, msg.subject
                        )
                    else:
                        log.warning("handler failed on %s; retrying", msg.subject, exc_info=True)
                        await asyncio.sleep(0.05 * 2**attempt)
            stats.delivered += 1

    async def _api_request(self, subject: str, body: bytes, *, what: str) -> dict[str, Any]:
        """One JetStream API request, asked again while unanswered until ``connect_timeout_s``
        has passed: a loaded server answers late, and these requests (a consumer's creation with
        its config, its info) are idempotent. A restarted exchange gave up after one unanswered
        request."""
        deadline = time.monotonic() + max(self.connect_timeout_s, self.ack_timeout_s)
        while True:
            try:
                return await self._api_request_once(subject, body, what=what)
            except _NoReply:
                if time.monotonic() + self.ack_timeout_s > deadline:
                    raise
                log.warning("NATS %s: %s: no JetStream reply yet; asking again", self.user, what)

    async def _api_request_once(self, subject: str, body: bytes, *, what: str) -> dict[str, Any]:
        nc = await self._connected()
        before = len(self.stats.permission_errors)
        req = asyncio.ensure_future(nc.request(subject, body, timeout=self.ack_timeout_s))
        # A refused publish gets no reply, only an -ERR: learn of it at the next PONG.
        await self._round_trip()
        try:
            self._check_denied(before, subject, what=what)
        except BusPermissionError:
            req.cancel()
            raise
        try:
            msg = await req
        except nats.errors.NoRespondersError as e:
            raise ConnectionError(f"{what}: no JetStream answers this user here") from e
        except nats.errors.TimeoutError as e:
            self._check_denied(before, subject, what=what)
            raise _NoReply(f"{what}: no JetStream reply within {self.ack_timeout_s} s") from e
        return json.loads(msg.data)

    async def _round_trip(self) -> None:
        """Wait until the server has processed everything sent so far (and said any -ERR)."""
        # nats-py writes PING straight to the socket, ahead of commands still buffered: the
        # first PONG proves the buffer went out, the second that the server processed it.
        nc = await self._connected()
        with contextlib.suppress(nats.errors.Error, asyncio.TimeoutError):
            await nc.flush()
            await nc.flush()

    def _check_denied(self, before: int, subject: str, *, what: str | None = None) -> None:
        for text in self.stats.permission_errors[before:]:
            if f'"{subject.lower()}"' in text:
                raise BusPermissionError(f"{what or subject}: refused for user {self.user}: {text}")

    # -- close --------------------------------------------------------------------------------

    async def close(self) -> None:
        """Stop consuming (unhandled deliveries go back to the stream), flush, disconnect."""
        if self._closed:
            return
        nc = self._nc
        for c in self._consumers:
            await c.stop()
        self._consumers.clear()
        if nc is not None and (self._pending or self._batches) and nc.is_connected:
            try:
                await self.flush()
            except BusPublishError as e:
                log.warning("NATS %s: closing with %s", self.user, e)
        self._closed = True
        if self._linger_task is not None:
            self._linger_task.cancel()
        for t in self._tasks:
            t.cancel()
        for t in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await t
        self._tasks.clear()
        if nc is not None:
            with contextlib.suppress(Exception):
                await nc.close()

    async def __aenter__(self) -> NatsBus:
        return await self.connect()

    async def __aexit__(self, *exc: object) -> None:
        await self.close()


async def acked_inbound(
    servers: str | Sequence[str],
    login: dict[str, str],
    partners: Sequence[str],
    *,
    durable: str = "lookout-exchange",
    tls_ca: str | None = None,
) -> list[bytes]:
    """Every envelope the exchange acked from the partners' inbound streams (up to its
    consumer's ack floor; what it has not read yet stays in the stream for its next run), as
    the partners sent them: for checking that each has an audit row."""
    import ssl

    opts: dict[str, Any] = {"inbox_prefix": inbox_prefix(login["user"]), **login}
    if tls_ca is not None:
        opts["tls"] = ssl.create_default_context(cafile=tls_ca)
    nc = await nats.connect(servers, **opts)
    js = nc.jetstream()
    out: list[bytes] = []
    try:
        for p in partners:
            stream = in_stream(p)
            info = await js.stream_info(stream)
            consumer = await js.consumer_info(stream, f"{durable}_{stream}")
            for seq in range(max(info.state.first_seq, 1), consumer.ack_floor.stream_seq + 1):
                try:
                    m = await js.get_msg(stream, seq)
                except nats.js.errors.NotFoundError:  # a deleted sequence
                    continue
                out += unframe(m)
    finally:
        await nc.close()
    return out


class CoalitionBus:
    """One :class:`Bus` over one :class:`NatsBus` per user, each on its own credentials.

    Routes as the broker permits: publishing on ``lookout.in.P.*`` goes through partner P's
    connection, on ``lookout.out.*`` through the exchange's; subscribing to ``lookout.in.*``
    through the exchange's, to ``lookout.out.P.*`` through P's. For running a whole coalition in
    one process over a real broker (demos, benchmarks, tests) with the permissions still
    enforced; deployed, each process has only its own :class:`NatsBus`.
    """

    def __init__(self, buses: dict[str, NatsBus], *, exchange: str = "EXCHANGE") -> None:
        if exchange not in buses:
            raise ValueError(f"buses: no connection for the exchange user {exchange!r}")
        self.buses, self.exchange = buses, exchange

    @classmethod
    def for_server(cls, server: Any, **options: Any) -> CoalitionBus:
        """Connections for every user of a :class:`~.nats_server.NatsServer`."""
        if getattr(server, "tls", None) is not None:
            options.setdefault("tls_ca", str(server.tls.ca))
        buses = {
            EXCHANGE: NatsBus(
                server.url, **server.login(EXCHANGE), partners=server.partners,
                manage_streams=True, **options,
            )
        }  # fmt: skip
        for p in server.partners:
            buses[p] = NatsBus(server.url, **server.login(p), **options)
        return cls(buses, exchange=EXCHANGE)

    def _route(self, subject: str) -> NatsBus:
        parts = subject.split(".")
        if len(parts) >= 3 and parts[0] == "lookout":
            if parts[1] == "in" and parts[2] in self.buses and parts[2] != self.exchange:
                return self.buses[parts[2]]
            if parts[1] == "in" and parts[2] in ("*", ">"):
                return self.buses[self.exchange]
            if parts[1] == "out" and parts[2] in self.buses:
                return self.buses[parts[2]]
        raise ValueError(f"subject {subject!r}: no user of this coalition may use it")

    async def connect(self) -> CoalitionBus:
        await self.buses[self.exchange].connect()  # it creates the streams
        await asyncio.gather(*(b.connect() for b in self.buses.values()))
        return self

    async def publish(self, subject: str, data: bytes) -> None:
        parts = subject.split(".", 3)
        if len(parts) >= 2 and parts[:2] == ["lookout", "out"]:
            await self.buses[self.exchange].publish(subject, data)
        else:
            await self._route(subject).publish(subject, data)

    async def subscribe(
        self,
        subject: str,
        handler: Handler,
        *,
        durable: str | None = None,
        before_ack: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        parts = subject.split(".")
        if parts[:2] == ["lookout", "in"]:
            bus = self.buses[self.exchange]
        else:
            bus = self._route(subject)
        await bus.subscribe(subject, handler, durable=durable, before_ack=before_ack)

    async def flush(self) -> None:
        # Inputs first: what they deliver is what the exchange then publishes.
        for name, bus in self.buses.items():
            if name != self.exchange:
                await bus.flush()
        await self.buses[self.exchange].flush()

    async def close(self) -> None:
        for bus in self.buses.values():
            await bus.close()

    async def __aenter__(self) -> CoalitionBus:
        return await self.connect()

    async def __aexit__(self, *exc: object) -> None:
        await self.close()
