"""A whole coalition on one real broker in one process: :class:`CoalitionBus`."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from lookout.exchange.bus import IN, OUT, Handler
from lookout.exchange.nats.bus import NatsBus
from lookout.exchange.nats.config import EXCHANGE

if TYPE_CHECKING:
    from lookout.exchange.intake import Intake


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
        """Connections for every user of a :class:`~.server.NatsServer`."""
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
        """The connection whose user may use ``subject`` (a partner's own subjects, or the
        exchange's reading every partner's)."""
        parts = subject.split(".")
        if len(parts) >= 3:
            root, p = ".".join(parts[:2]), parts[2]
            if root == IN and p in self.buses and p != self.exchange:
                return self.buses[p]
            if root == IN and p in ("*", ">"):
                return self.buses[self.exchange]
            if root == OUT and p in self.buses:
                return self.buses[p]
        raise ValueError(f"subject {subject!r}: no user of this coalition may use it")

    async def connect(self) -> CoalitionBus:
        await self.buses[self.exchange].connect()  # it creates the streams
        await asyncio.gather(*(b.connect() for b in self.buses.values()))
        return self

    async def publish(self, subject: str, data: bytes) -> None:
        if subject.startswith(OUT + ".") or subject == OUT:
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
        intake: Intake | None = None,
    ) -> None:
        if subject.startswith(IN + ".") or subject == IN:
            bus = self.buses[self.exchange]
        else:
            bus = self._route(subject)
        await bus.subscribe(subject, handler, durable=durable, before_ack=before_ack,
                            intake=intake)  # fmt: skip

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
