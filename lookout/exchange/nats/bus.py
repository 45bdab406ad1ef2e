"""The exchange bus on NATS JetStream: :class:`NatsBus`, one connection of one user.

Durable streams (:mod:`.streams`), acked and pipelined publishes (:mod:`.publisher`), durable
pull consumers (:mod:`.consumer`); this module holds the connection and puts them together.

- :meth:`NatsBus.publish` sends and returns; :meth:`NatsBus.flush` waits for every ack and
  raises :class:`BusPublishError` naming what the broker refused (see :mod:`.publisher`).
- :meth:`NatsBus.subscribe` with ``durable=NAME`` reads through a durable pull consumer ``NAME``
  filtered on the subject (one per stream the subject spans, so the exchange reads every
  partner's stream through a consumer of its own, in turn): a subscriber that goes away and
  comes back resumes where it stopped, with nothing lost. Messages are handled one at a time in
  stream order and acknowledged only after the handler returns *and* ``before_ack()`` returned
  (the exchange's: its audit rows committed, its own publishes stored), so a crash redelivers
  what was not acked (at least once). A handler that raises is retried ``handler_attempts``
  times, then the message is counted in ``stats.skipped`` and passed. Without ``durable`` it is
  a plain live subscription (what is published while away is not replayed). A partner binds to
  its own durable (``KR``), which the exchange created (``manage_streams=True``, given
  ``partners``); partners may create nothing (see :mod:`.config`).
- ``tls_ca``: connect over TLS, checking the server's certificate against that CA file.
- ``core``: subject patterns on core NATS, with no stream (the picture workers' inputs, derived
  from what the streams hold): published without an ack, subscribed live even with ``durable``.
- Connection loss is logged and the client reconnects forever; pull requests are renewed after a
  reconnect and unacked publishes are sent again. The bus that manages the streams creates
  again, after a reconnect, the memory streams a lone server lost in a restart, and the durable
  consumers on them (:meth:`NatsBus._restore_streams`).
- ``intake`` (the exchange's subscription to the partners' file streams): those consumers keep
  their state in the servers' memory only (``mem_storage``; half the brokers' work otherwise:
  every ack a raft entry written and fsynced on three servers). A restart of every server
  loses it: a lone server forgets the consumer, a cluster brings it back at its configured
  start. After a reconnect (before pulling again), on a status that may mean it is gone, and
  when subscribing, the bus checks each one; one missing, or delivering below what the intake
  has handled, is created again at the first message the intake has not handled
  (:meth:`~lookout.exchange.intake.Intake.start`), and what it delivers again that was handled
  is acked, not handled (:mod:`.consumer`).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import ssl
import time
import urllib.parse
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import nats
import nats.errors
import nats.js.api
import nats.js.errors
from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription

from lookout.exchange.bus import Handler, check_subject, intersect, out_all, subject_matches
from lookout.exchange.intake import Intake
from lookout.exchange.nats import api
from lookout.exchange.nats.config import (
    EXCHANGE,
    inbox_prefix,
    out_stream,
    partner_api,
    read_credentials,
)
from lookout.exchange.nats.consumer import PullConsumer, PullOptions, deliver
from lookout.exchange.nats.errors import (
    BusPermissionError,
    BusPublishError,
    NoReply,
    error_text,
    is_login_refused,
    is_permission_violation,
    refusal_of,
    refused_publish,
)
from lookout.exchange.nats.publisher import Publisher, PublishOptions
from lookout.exchange.nats.stats import BusStats
from lookout.exchange.nats.streams import StreamSpec, capturing, stream_config, streams_for

log = logging.getLogger(__name__)


class NatsBus:
    """The :class:`Bus` protocol on NATS JetStream; see the module docstring.

    ``servers`` is a URL or list of URLs (``nats://host:4222``); log in with ``user`` and
    ``password`` or a ``creds`` file (JWT). ``manage_streams`` creates or updates the streams
    with ``replicas`` copies (1 on one server, 3 on a cluster). The connection opens on first use,
    or with :meth:`connect` / ``async with``. A durable consumer created for the first time starts
    at ``deliver_policy``: ``"all"`` (the whole stream still kept), ``"new"`` or ``"last"``.
    Publishing takes the options of :class:`.publisher.PublishOptions`, reading those of
    :class:`.consumer.PullOptions` (``pull_batch``, ``pull_expires_s``, ``pull_heartbeat_s``,
    ``ack_every``, ``handler_attempts``); the consumers the exchange creates wait ``ack_wait_s``
    (a partner's ``partner_ack_wait_s``) for an ack, redeliver up to ``max_deliver`` times, and
    hold up to ``max_ack_pending`` unacked.
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
        mix_subjects: bool = False,
        handler_attempts: int = 3,
        deliver_policy: str = "all",
        connect_timeout_s: float = 30.0,
        tls_ca: str | None = None,
        core: Sequence[str] = (),
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
        self.core = tuple(core)
        for pattern in self.core:
            check_subject(pattern, wildcards=True)
        self.manage_streams, self.replicas = manage_streams, replicas
        self.ack_timeout_s = ack_timeout_s
        self.partner_ack_wait_s = partner_ack_wait_s
        self.max_ack_pending, self.ack_wait_s, self.max_deliver = (
            max_ack_pending,
            ack_wait_s,
            max_deliver,
        )
        if deliver_policy not in ("all", "new", "last"):
            raise ValueError(f"deliver_policy: {deliver_policy!r}, expected all, new or last")
        self.deliver_policy = deliver_policy
        self.connect_timeout_s = connect_timeout_s
        self.pull = PullOptions(
            batch=pull_batch,
            expires_s=pull_expires_s,
            heartbeat_s=pull_heartbeat_s,
            ack_every=ack_every,
            handler_attempts=handler_attempts,
            stop_wait_s=ack_timeout_s * 8,
        )
        self.stats = BusStats()
        self._publisher = Publisher(
            self._connected,
            PublishOptions(
                ack_timeout_s=ack_timeout_s,
                max_attempts=max_attempts,
                unavailable_retry_s=unavailable_retry_s,
                dedupe=dedupe,
                max_pending=max_pending,
                linger_s=linger_s,
                max_batch=max_batch,
                max_batch_bytes=max_batch_bytes,
                mix=mix_subjects,
            ),
            self.stats,
            user,
            core=self.is_core if self.core else None,
        )
        self._nc: Client | None = None
        self._connect_lock = asyncio.Lock()
        self._consumers: list[PullConsumer] = []
        self._live_subs: list[Subscription] = []
        self._tasks: list[asyncio.Task[None]] = []
        self._closed = False
        self._valid_subjects: set[str] = set()
        self._last_error_log = -1e9
        self._connect_task: asyncio.Future[Client] | None = None
        self._connect_error: str | None = None
        # The durable consumers this bus created: (stream, name, filter, deliver, ack_wait_s).
        self._created: dict[tuple[str, str], tuple[str, str, str, str, float | None]] = {}
        self._restoring = False
        # The consumers read with an intake: (stream, name, filter, intake, consumer).
        self._intakes: list[tuple[str, str, str, Intake, PullConsumer]] = []
        self._trouble_at = -1e9

    def is_core(self, subject: str) -> bool:
        """Whether ``subject`` (no wildcards) goes over core NATS, no stream."""
        return any(subject_matches(p, subject) for p in self.core)

    @classmethod
    def from_credentials(cls, path: str, **kwargs: Any) -> NatsBus:
        """A bus logged in with a credentials file from :func:`.config.write_credentials`."""
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
            await self._publisher.start(nc, self.inbox)
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
            cfg = stream_config(spec, self.replicas)
            try:
                await js.add_stream(**cfg)
            except nats.js.errors.BadRequestError:
                info = await js.stream_info(spec.name)
                have = info.config.storage  # a plain str as nats-py reads it back
                if have is not None and str(getattr(have, "value", have)) != spec.storage:
                    # JetStream cannot change a stream's storage: keep it as it is (an older
                    # configuration's file stream holds what it held, and still works).
                    have = nats.js.api.StorageType(getattr(have, "value", have))
                    log.warning(
                        "NATS stream %s: kept on %s storage (this configuration says %s; "
                        "delete the stream to change it)", spec.name, have.value, spec.storage,
                    )  # fmt: skip
                    cfg["storage"] = have
                await js.update_stream(**cfg)
        # Each partner's durable consumer on its outbound stream: created here, by the
        # exchange, since a partner may create none (it could point one anywhere).
        for p in self.partners:
            if any(s.name == out_stream(p) for s in self.streams):
                await self._create_consumer(
                    out_stream(p), p, out_all(p), "all", ack_wait_s=self.partner_ack_wait_s
                )

    async def _on_error(self, e: Exception) -> None:
        text = error_text(e)
        if is_permission_violation(text):
            self.stats.permission_errors.append(text)
            log.warning("NATS %s: %s", self.user, text)
            subject = refused_publish(text)
            if subject is not None:
                self._publisher.refused(subject, "permission denied by the broker")
            return
        if self._connect_task is not None and is_login_refused(text):
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
        if self.manage_streams:
            # In a task of its own: it makes requests, and this callback holds nats-py's
            # reconnect until it returns.
            self._tasks.append(asyncio.create_task(self._restore_streams()))
        held = {id(entry[4]) for entry in self._intakes}
        for c in self._consumers:
            if id(c) in held:
                c.held = True  # until _restore_lost has checked it
            else:
                await c.renew()
        # Send again what the broker may not have stored while we were away.
        self._publisher.resend_soon()

    async def _restore_streams(self) -> None:
        """After a reconnect: create again the streams the server lost (memory streams, on a
        lone server that restarted), and the durable consumers on them; what is still there is
        left as it is. A failure is logged (the next reconnect tries again)."""
        if self._restoring:
            return
        self._restoring = True
        deadline = time.monotonic() + max(self.connect_timeout_s, 30.0)
        try:
            while not self._closed:
                try:
                    await self._restore_lost()
                    return
                except asyncio.CancelledError:
                    raise
                except Exception as e:  # JetStream not ready yet after a restart, say
                    if time.monotonic() > deadline:
                        log.error("NATS %s: streams not restored after a reconnect: %s",
                                  self.user, e)  # fmt: skip
                        return
                    await asyncio.sleep(0.5)
        finally:
            self._restoring = False
            for entry in self._intakes:  # checked, or given up on: pull again either way
                if entry[4].held:
                    entry[4].held = False
                    await entry[4].renew()

    def _on_trouble(self) -> None:
        """A pull consumer read with an intake got a status that may mean it is gone: check
        (at most every 2 s)."""
        now = time.monotonic()
        if self._closed or self._restoring or now - self._trouble_at < 2.0:
            return
        self._trouble_at = now
        self._tasks.append(asyncio.create_task(self._restore_streams()))

    async def _restore_lost(self) -> None:
        nc = await self._connected()
        js = nc.jetstream()
        lost = []
        for spec in self.streams:
            try:
                await js.stream_info(spec.name)
            except nats.js.errors.NotFoundError:
                lost.append(spec)
        if lost:
            log.warning("NATS %s: streams lost by the server, created again: %s",
                        self.user, ", ".join(s.name for s in lost))  # fmt: skip
            for spec in lost:
                await js.add_stream(**stream_config(spec, self.replicas))
                self.stats.streams_restored += 1
            names = {spec.name for spec in lost}
            for stream, name, filt, deliver_policy, ack_wait in list(self._created.values()):
                if stream in names:
                    if any(e[0] == stream and e[1] == name for e in self._intakes):
                        continue
                    await self._create_consumer(stream, name, filt, deliver_policy,
                                                ack_wait_s=ack_wait)  # fmt: skip
            for c in self._consumers:
                if c.stream in names and not c.held:
                    await c.renew()
        lost_names = {spec.name for spec in lost}
        for stream, name, filt, intake, consumer in list(self._intakes):
            if stream in lost_names:
                intake.forget(stream)  # a new stream: its sequences start again
            if await self._open_intake_consumer(stream, name, filt, intake, consumer):
                consumer.held = False
                await consumer.renew()

    async def _watchdog(self) -> None:
        period = min(self.ack_timeout_s, self.pull.heartbeat_s) / 2
        while True:
            await asyncio.sleep(period)
            try:
                await self._publisher.retry_expired()
                now = time.monotonic()
                for c in self._consumers:
                    if c.unacked:
                        c.ack_soon()
                    if now - c.last_activity > 3 * self.pull.heartbeat_s:
                        c.last_activity = now
                        await c.renew()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("NATS watchdog")

    # -- publish ------------------------------------------------------------------------------

    async def publish(self, subject: str, data: bytes) -> None:
        """Send ``data`` on ``subject`` into its stream; the ack is awaited by :meth:`flush`.

        With ``linger_s`` > 0 the message waits up to that long for others on the same subject
        (with ``mix_subjects``, on any subject of the same prefix, read through ``prefix.>``)
        and goes out with them in one batch frame (see :mod:`.framing`); a subscriber gets
        each message with its own subject. Refused on a closed bus (nothing would ever send
        it).
        """
        if self._closed:
            raise RuntimeError(f"NATS {self.user}: publish on {subject} after the bus was closed")
        if subject not in self._valid_subjects:
            check_subject(subject, wildcards=False)
            if len(self._valid_subjects) > 100_000:
                self._valid_subjects.clear()
            self._valid_subjects.add(subject)
        await self._publisher.publish(subject, data)

    async def flush(self, timeout_s: float | None = None) -> None:
        """Wait until every published message is acked; raise :class:`BusPublishError` if any
        was refused or never acked (by the retry limits, or within ``timeout_s``)."""
        await self._publisher.flush(timeout_s)

    # -- subscribe ----------------------------------------------------------------------------

    def consumer_api(self, kind: str, stream: str, durable: str) -> str:
        """The subject of a consumer's JetStream request ``kind`` ("next", "info") for this
        user: the JetStream API itself for the exchange, a partner's import of it otherwise."""
        if self.manage_streams or self.user in (None, EXCHANGE):
            return api.consumer_subject(kind, stream, durable)
        return partner_api(self.user, kind)

    async def subscribe(
        self,
        subject: str,
        handler: Handler,
        *,
        durable: str | None = None,
        before_ack: Callable[[], Awaitable[None]] | None = None,
        intake: Intake | None = None,
    ) -> None:
        """Call ``handler(subject, data)`` for each message on ``subject`` (wildcards allowed).

        With ``durable``, read through durable pull consumers: one named ``durable`` if one
        stream captures the subject, else ``<durable>_<stream>`` per stream; created when this
        bus manages the streams, otherwise bound (a partner's, which the exchange created).
        They resume after a disconnect, ack after ``handler`` and ``before_ack`` returned, retry
        ``handler`` if it raises; with ``intake``, those on file streams keep their state in
        memory and are created again where it says if they lose it (the module docstring).
        Raises :class:`BusPermissionError` if the broker refuses this
        user the subject, ``ConnectionError`` if the exchange has not created them yet.
        """
        check_subject(subject, wildcards=True)
        if durable is not None:
            check_subject(durable, wildcards=False)
            if "." in durable:
                raise ValueError(f"durable {durable!r}: one token expected, e.g. 'KR'")
        nc = await self._connected()
        if durable is not None and any(intersect(p, subject) for p in self.core):
            durable = None  # core NATS: no stream to read durably
        if durable is None:
            before = len(self.stats.permission_errors)

            async def cb(msg: Msg) -> None:
                await deliver(msg, handler, 1, self.stats, self.user)

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
        targets = capturing(self.streams, subject)
        on_file = {s.name for s in self.streams if s.storage == "file"}
        for stream, filt in targets:
            name = durable if len(targets) == 1 else f"{durable}_{stream}"
            # Only a consumer on a file stream: a memory stream's lives and dies with it.
            kept = intake if self.manage_streams and stream in on_file else None
            if kept is None and self.manage_streams:
                await self._create_consumer(stream, name, filt, self.deliver_policy)
            elif kept is None:
                await self._bind_consumer(stream, name, filt)
            consumer = PullConsumer(
                nc,
                stream,
                name,
                self.consumer_api("next", stream, name),
                handler,
                inbox=self.inbox,
                options=self.pull,
                stats=self.stats,
                user=self.user,
                before_ack=before_ack,
                intake=kept,
                on_trouble=None if kept is None else self._on_trouble,
            )
            if kept is not None:
                await self._open_intake_consumer(stream, name, filt, kept, consumer)
                self._intakes.append((stream, name, filt, kept, consumer))
            self._consumers.append(consumer)
            await consumer.start()

    async def _open_intake_consumer(
        self, stream: str, name: str, filt: str, intake: Intake, consumer: PullConsumer
    ) -> bool:
        """Make sure the durable ``name`` on ``stream`` (state in memory) stands where
        ``intake`` says: kept if it delivers at or above what was handled, else (missing, or
        taken back to its start by a restart) created again at the first message not handled.
        Returns whether it was created. Raises while JetStream cannot answer (the caller tries
        again)."""
        info = await self._consumer_info(stream, name)
        js = (await self._connected()).jetstream()
        state = (await js.stream_info(stream)).state
        # What it must have delivered already: as far as it was seen to deliver since this
        # process opened it, or (opening it) the highest the record says was handled.
        handled = consumer.high_seen if consumer.opened else intake.high(stream)
        if info is not None and info["delivered"]["stream_seq"] >= handled:
            if not consumer.opened:  # everything acked, or below its start, is taken care of
                start = info["config"].get("opt_start_seq") or 1
                intake.begin(stream, max(info["ack_floor"]["stream_seq"], start - 1,
                                         state.first_seq - 1))  # fmt: skip
                consumer.opened = True
            # A restart that takes it back to its start shows as "delivered" falling below this.
            consumer.high_seen = max(consumer.high_seen, info["delivered"]["stream_seq"])
            if not info["config"].get("mem_storage"):
                log.info("NATS %s: durable %s on %s keeps its state on file (an older "
                         "configuration's); delete it to move it to memory", self.user, name,
                         stream)  # fmt: skip
            return False
        start = intake.start(stream)
        if start is not None and state.last_seq < intake.high(stream):
            log.warning("NATS %s: stream %s ends at %d, below the %d the intake handled: a new "
                        "stream; reading it from its start", self.user, stream, state.last_seq,
                        intake.high(stream))  # fmt: skip
            intake.forget(stream)
            start = None
        if info is not None:
            log.warning("NATS %s: durable %s on %s delivers from %d, below the %d handled (its "
                        "state lost in a restart): created again at %s", self.user, name, stream,
                        info["delivered"]["stream_seq"] + 1, handled, start)  # fmt: skip
            await self._api_request(api.consumer_subject("delete", stream, name), b"",
                                    what=f"deleting durable {name!r} on {stream}")  # fmt: skip
        elif start is not None:
            log.warning("NATS %s: durable %s on %s not found (its state lost in a restart): "
                        "created again at %d", self.user, name, stream, start)  # fmt: skip
        if start is not None:
            start = max(1, min(start, state.last_seq + 1))
        resp = await self._create_consumer(stream, name, filt, self.deliver_policy,
                                           start_seq=start, mem_storage=True)  # fmt: skip
        if start is not None:
            floor = start - 1
            self.stats.consumers_restored += 1
        else:  # a new one: nothing of it handled, it delivers after its "delivered"
            floor = max(resp.get("delivered", {}).get("stream_seq", 0), state.first_seq - 1)
        intake.begin(stream, floor)
        consumer.high_seen, consumer.opened = floor, True
        return True

    async def _consumer_info(self, stream: str, name: str) -> dict[str, Any] | None:
        """The durable's info as JetStream gives it; None if there is none. ConnectionError
        when JetStream answers with another error (not ready after a restart, say)."""
        resp = await self._api_request(api.consumer_subject("info", stream, name), b"",
                                       what=f"durable {name!r} on {stream}")  # fmt: skip
        err = resp.get("error")
        if err is None:
            return resp
        if err.get("err_code") == api.CONSUMER_NOT_FOUND:
            return None
        raise ConnectionError(f"durable {name!r} on {stream}: {err.get('description')}")

    async def _create_consumer(
        self,
        stream: str,
        name: str,
        filt: str,
        deliver: str,
        *,
        ack_wait_s: float | None = None,
        start_seq: int | None = None,
        mem_storage: bool = False,
    ) -> dict[str, Any]:
        # A partner's pull requests come through its account's import: the server cannot see
        # that a partner which went away stopped listening, and what it hands that request waits
        # ack_wait before it comes again; so partners' consumers have a short one.
        subject, body = api.create_consumer(
            stream,
            name,
            filt,
            deliver=deliver,
            ack_wait_s=self.ack_wait_s if ack_wait_s is None else ack_wait_s,
            max_deliver=self.max_deliver,
            max_ack_pending=self.max_ack_pending,
            start_seq=start_seq,
            mem_storage=mem_storage,
        )
        resp = await self._api_request(subject, body, what=f"durable {name!r} on {filt}")
        api.check_created(resp, stream, name, filt)
        self._created[(stream, name)] = (stream, name, filt, deliver, ack_wait_s)
        return resp

    async def _bind_consumer(self, stream: str, name: str, filt: str) -> None:
        if name != self.user:
            raise BusPermissionError(
                f"durable {name!r}: a partner reads only its own durable consumer ({self.user!r})"
            )
        subject = self.consumer_api("info", stream, name)
        try:
            resp = await self._api_request(subject, b"", what=f"durable {name!r} on {stream}")
        except ConnectionError as e:
            raise ConnectionError(
                f"durable {name!r} on {stream}: no answer ({e}); the exchange creates the "
                "streams and each partner's consumer: start it first"
            ) from None
        got = api.bound_filter(resp, stream, name)
        if got != filt:
            raise BusPermissionError(f"durable {name!r} filters {got!r}, not {filt!r}")

    async def _api_request(self, subject: str, body: bytes, *, what: str) -> dict[str, Any]:
        """One JetStream API request, asked again while unanswered until ``connect_timeout_s``
        has passed: a loaded server answers late, and these requests (a consumer's creation with
        its config, its info) are idempotent. A restarted exchange gave up after one unanswered
        request."""
        deadline = time.monotonic() + max(self.connect_timeout_s, self.ack_timeout_s)
        while True:
            try:
                return await self._api_request_once(subject, body, what=what)
            except NoReply:
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
            raise NoReply(f"{what}: no JetStream reply within {self.ack_timeout_s} s") from e
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
        text = refusal_of(self.stats.permission_errors[before:], subject)
        if text is not None:
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
        if nc is not None and self._publisher.unsent and nc.is_connected:
            try:
                await self.flush()
            except BusPublishError as e:
                log.warning("NATS %s: closing with %s", self.user, e)
        self._closed = True
        self._publisher.close()
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
