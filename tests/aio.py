"""Helpers of the tests that drive asyncio code (the buses): run a coroutine with a deadline,
wait for a condition, connect to a test NATS server as the exchange or a partner, record what
a subscription gets."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from lookout.exchange.nats import NatsBus
from lookout.exchange.nats.config import EXCHANGE
from lookout.exchange.nats.server import NatsServer

#: How long a test waits for what it expects (a message, a reconnection) before failing. Only a
#: failing test waits this long, so it is generous: ``make test`` runs at loads up to 30 on 2
#: cores, where a NATS test of 1 s idle took 7-50 s (at a load of 16-20).
WAIT_S = 60.0


def run(coro, timeout_s: float = 3 * WAIT_S):
    """Run ``coro`` to its end in a new event loop, failing after ``timeout_s``."""
    return asyncio.run(asyncio.wait_for(coro, timeout_s))


async def until(pred: Callable[[], bool], timeout_s: float = WAIT_S) -> None:
    """Wait until ``pred()`` holds; AssertionError after ``timeout_s``."""
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout_s
    while not pred():
        if loop.time() > end:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.01)


def exchange_bus(server: NatsServer, **kw) -> NatsBus:
    """The exchange's bus on test server ``server`` (it manages the streams)."""
    kw = {"partners": server.partners, **server.client_options(), **kw}
    return NatsBus(server.url, **server.login(EXCHANGE), manage_streams=True, **kw)


def partner_bus(server: NatsServer, partner: str, **kw) -> NatsBus:
    """Partner ``partner``'s bus on test server ``server``."""
    return NatsBus(server.url, **server.login(partner), **server.client_options(), **kw)


class Recorder:
    """A subscription's handler that keeps every (subject, data) it gets."""

    def __init__(self) -> None:
        self.got: list[tuple[str, bytes]] = []

    async def __call__(self, subject: str, data: bytes) -> None:
        self.got.append((subject, data))
