"""The in-process bus: the embedded default, everything in one asyncio loop.

Deterministic: one dispatcher delivers messages in publish order (FIFO), each to its matching
subscriptions in subscription order, awaiting each handler before the next. A handler that
publishes appends to the back of the queue. :meth:`MemoryBus.flush` returns once everything
published so far, and everything it caused, has been handled.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Awaitable, Callable

from lookout.exchange.bus import Handler, check_subject, subject_matches

log = logging.getLogger(__name__)


class MemoryBus:
    """A :class:`~.bus.Bus` in one process; ``durable`` names, ``before_ack`` and ``intake`` are
    accepted and ignored (nothing outlives the process, nothing is acked)."""

    def __init__(self) -> None:
        self._subs: list[tuple[str, Handler]] = []
        self._routes: dict[str, list[Handler]] = {}  # subject -> matching handlers, cached
        # Subjects published on that passed ``check_subject``: a run publishes on a few dozen,
        # each tens of thousands of times (some 2 µs a check).
        self._checked: set[str] = set()
        self._queue: deque[tuple[str, bytes]] = deque()
        self._wake = asyncio.Event()
        self._idle = asyncio.Event()
        self._idle.set()
        self._task: asyncio.Task | None = None
        self._closed = False
        self.published = 0
        self.handler_errors = 0

    async def publish(self, subject: str, data: bytes) -> None:
        if self._closed:
            raise RuntimeError("publish on a closed MemoryBus")
        if type(subject) is not str or subject not in self._checked:
            check_subject(subject, wildcards=False)
            if len(self._checked) >= 4096:
                self._checked.clear()
            self._checked.add(subject)
        self._queue.append((subject, bytes(data)))
        self.published += 1
        self._idle.clear()
        self._wake.set()
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._dispatch())

    async def subscribe(
        self,
        subject: str,
        handler: Handler,
        *,
        durable: str | None = None,
        before_ack: Callable[[], Awaitable[None]] | None = None,
        intake: object = None,
    ) -> None:
        check_subject(subject, wildcards=True)
        self._subs.append((subject, handler))
        self._routes.clear()

    async def flush(self) -> None:
        await self._idle.wait()

    async def close(self) -> None:
        await self.flush()
        self._closed = True
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
            self._task = None

    async def _dispatch(self) -> None:
        queue = self._queue
        while True:
            while queue:
                subject, data = queue.popleft()
                handlers = self._routes.get(subject)
                if handlers is None:
                    handlers = [h for p, h in self._subs if subject_matches(p, subject)]
                    if len(self._routes) >= 4096:
                        self._routes.clear()
                    self._routes[subject] = handlers
                for handler in handlers:
                    try:
                        await handler(subject, data)
                    except Exception:  # a subscriber's bug must not stop the bus
                        self.handler_errors += 1
                        log.exception("handler %r failed on %s", handler, subject)
            self._idle.set()
            self._wake.clear()
            await self._wake.wait()
