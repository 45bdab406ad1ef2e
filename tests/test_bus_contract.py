"""The bus contract: what the exchange and the nodes rely on from a bus, checked on both buses,
the in-process :class:`MemoryBus` and :class:`NatsBus` on a real nats-server started here.

A partner publishes on its own inbound subjects (``lookout.in.KR.*``); the exchange subscribes.
On the memory bus both are one bus. Each test tags its payloads, since NATS streams outlive a
test within the module's server.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from collections.abc import AsyncIterator

import pytest
from aio import run, until

from lookout.exchange.bus import check_subject, intersect, subject_matches
from lookout.exchange.memory import MemoryBus
from lookout.exchange.nats import NatsBus
from lookout.exchange.nats.config import EXCHANGE
from lookout.exchange.nats.server import NatsServer, find_nats_server

_NO_NATS = find_nats_server() is None
BUSES = [
    pytest.param("memory", id="memory"),
    pytest.param(
        "nats",
        id="nats",
        marks=[
            pytest.mark.serial,
            pytest.mark.skipif(_NO_NATS, reason="nats-server binary not found"),
        ],
    ),
]
_tags = itertools.count()


@pytest.fixture(scope="module")
def nats_server():
    if _NO_NATS:
        pytest.skip("nats-server binary not found")
    with NatsServer(["KR", "JP"]) as s:
        yield s


@pytest.fixture(params=BUSES)
def kind(request) -> str:
    return request.param


@pytest.fixture
def buses(kind, request):
    """An async context manager giving (publisher, subscriber) of the bus under test."""

    @contextlib.asynccontextmanager
    async def open_pair() -> AsyncIterator[tuple[object, object]]:
        if kind == "memory":
            bus = MemoryBus()
            try:
                yield bus, bus
            finally:
                await bus.close()
            return
        srv: NatsServer = request.getfixturevalue("nats_server")
        ex = NatsBus(srv.url, **srv.login(EXCHANGE), partners=srv.partners, manage_streams=True,
                     **srv.client_options())  # fmt: skip
        kr = NatsBus(srv.url, **srv.login("KR"), **srv.client_options())
        async with ex, kr:
            yield kr, ex

    return open_pair


class Recorder:
    """Keeps what it is handed whose payload starts with ``tag``."""

    def __init__(self, tag: bytes, *, fail_on: bytes | None = None) -> None:
        self.tag, self.fail_on = tag, fail_on
        self.got: list[tuple[str, bytes]] = []

    async def __call__(self, subject: str, data: bytes) -> None:
        if not data.startswith(self.tag):
            return
        if data == self.fail_on:
            raise RuntimeError("a subscriber's bug")
        self.got.append((subject, data))


def new_tag() -> bytes:
    return f"t{next(_tags)}-{id(object())}:".encode()


def test_every_message_arrives_once_intact_and_in_order(buses):
    tag = new_tag()
    payloads = [tag + bytes([i % 256]) * (i % 7) for i in range(500)]
    payloads += [tag, tag + bytes(range(256)) * 64, tag + b"\x00\r\n" * 10]  # empty body, 16 KB

    async def main():
        async with buses() as (pub, sub):
            got = Recorder(tag)
            await sub.subscribe("lookout.in.KR.detection", got)
            for p in payloads:
                await pub.publish("lookout.in.KR.detection", p)
            await pub.flush()
            await until(lambda: len(got.got) >= len(payloads))
            await asyncio.sleep(0.1)  # nothing more comes
            assert [d for _, d in got.got] == payloads
            assert {s for s, _ in got.got} == {"lookout.in.KR.detection"}

    run(main())


def test_wildcards_select_by_token(buses):
    tag = new_tag()

    async def main():
        async with buses() as (pub, sub):
            star, rest, exact, other = Recorder(tag), Recorder(tag), Recorder(tag), Recorder(tag)
            await sub.subscribe("lookout.in.*.heartbeat", star)
            await sub.subscribe("lookout.in.KR.>", rest)
            await sub.subscribe("lookout.in.KR.local_track", exact)
            await sub.subscribe("lookout.in.JP.>", other)
            await pub.publish("lookout.in.KR.heartbeat", tag + b"hb")
            await pub.publish("lookout.in.KR.local_track", tag + b"lt")
            await pub.flush()
            await until(lambda: len(rest.got) == 2 and star.got and exact.got)
            await asyncio.sleep(0.1)
            assert star.got == [("lookout.in.KR.heartbeat", tag + b"hb")]
            assert exact.got == [("lookout.in.KR.local_track", tag + b"lt")]
            assert rest.got == [
                ("lookout.in.KR.heartbeat", tag + b"hb"),
                ("lookout.in.KR.local_track", tag + b"lt"),
            ]
            assert other.got == []

    run(main())


@pytest.mark.parametrize("bad", ["lookout.in.KR.*", "lookout.in.KR.>", "lookout..x", "", "a b"])
def test_a_subject_that_is_no_subject_is_refused_with_its_name(buses, bad):
    async def main():
        async with buses() as (pub, sub):
            for _ in range(2):  # a good subject checked once (the memory bus keeps it) or not
                await pub.publish("lookout.in.KR.heartbeat", b"x")
            with pytest.raises(ValueError, match="not a valid NATS subject") as err:
                await pub.publish(bad, b"x")
            assert repr(bad) in str(err.value)
            with pytest.raises(ValueError, match="not a valid NATS subscription"):
                await sub.subscribe("lookout.>.in", Recorder(b""))

    run(main())


def test_a_failing_handler_does_not_stop_the_next_messages(buses):
    tag = new_tag()

    async def main():
        async with buses() as (pub, sub):
            got = Recorder(tag, fail_on=tag + b"2")
            await sub.subscribe("lookout.in.KR.detection", got)
            for i in range(5):
                await pub.publish("lookout.in.KR.detection", tag + str(i).encode())
            await pub.flush()
            await until(lambda: len(got.got) == 4)
            assert [d for _, d in got.got] == [tag + s for s in (b"0", b"1", b"3", b"4")]

    run(main())


def test_publish_after_close_is_refused(buses):
    async def main():
        async with buses() as (pub, _):
            pass
        with pytest.raises((RuntimeError, ConnectionError)):
            await pub.publish("lookout.in.KR.detection", b"late")

    run(main())


# -- the subject grammar both buses share ------------------------------------------------------


def test_subject_grammar():
    assert subject_matches("lookout.in.>", "lookout.in.KR.detection")
    assert not subject_matches("lookout.in.>", "lookout.in")
    assert subject_matches("lookout.*.KR.*", "lookout.out.KR.system_track")
    assert not subject_matches("lookout.*.KR", "lookout.out.KR.system_track")
    assert intersect("lookout.in.>", "lookout.*.KR.>") == "lookout.in.KR.>"
    assert intersect("lookout.in.KR.>", "lookout.out.>") is None
    assert intersect("lookout.in.KR.>", "lookout.in.*.heartbeat") == "lookout.in.KR.heartbeat"
    check_subject("lookout.in.KR.>", wildcards=True)
    for bad, wild in [("lookout.in.K*.x", True), ("lookout.>.x", True), ("a.>", False)]:
        with pytest.raises(ValueError, match=repr(bad).replace("*", r"\*")):
            check_subject(bad, wildcards=wild)
