"""The streams kept as each one's guarantee needs (lookout.exchange.nats.streams): the partners'
inbound envelopes on file, never lost; what can be rebuilt (the exchange's deliveries, the
assessors' batches) in memory, created again after a lone server's restart; the picture
workers' inputs on core NATS; a partner's step of envelopes in one stored message, verified by
the exchange one envelope at a time."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import sqlite3

import pytest
from aio import Recorder, exchange_bus, partner_bus, run, until

from lookout.app.defaults import NODE_LINGER_S, default_policy, key_seed
from lookout.app.picture_workers import CORE_SUBJECTS, exchange_streams, worker_bus
from lookout.exchange.audit import AuditLog
from lookout.exchange.clock import SimClock
from lookout.exchange.envelope import Sealer
from lookout.exchange.exchange import Exchange
from lookout.exchange.keys import Keyring, derive_key
from lookout.exchange.nats import CoalitionBus, NatsBus, streams_for
from lookout.exchange.nats.config import EXCHANGE, in_stream, out_stream
from lookout.exchange.nats.server import NatsServer, find_nats_server
from lookout.exchange.policy import Policy
from lookout.messages import Heartbeat
from lookout.scenario import load
from lookout.timebase import s_to_ns

PARTNERS = ["KR", "JP", "US"]

pytestmark = [
    pytest.mark.serial,
    pytest.mark.skipif(find_nats_server() is None, reason="nats-server binary not found"),
]


async def _storage(bus: NatsBus) -> dict[str, str]:
    js = bus._nc.jetstream()
    return {i.config.name: str(getattr(i.config.storage, "value", i.config.storage))
            for i in await js.streams_info()}  # fmt: skip


def test_each_stream_is_kept_as_its_guarantee_needs():
    async def main(srv):
        ex = exchange_bus(srv, streams=exchange_streams(PARTNERS, 2), core=CORE_SUBJECTS)
        async with ex:
            storage = await _storage(ex)
        for p in PARTNERS:
            assert storage.pop(in_stream(p)) == "file"  # the record: never lost
            assert storage.pop(out_stream(p)) == "memory"  # released, audited: rebuilt
        assert storage.pop(in_stream("PICTURE-0")) == "memory"
        assert storage.pop(in_stream("PICTURE-1")) == "memory"
        assert storage == {}  # the workers' inputs have no stream

    with NatsServer(PARTNERS) as srv:
        run(main(srv))


def test_the_workers_inputs_go_over_core_nats_in_batches():
    async def main(srv):
        ex = exchange_bus(srv, streams=exchange_streams(PARTNERS, 1), core=CORE_SUBJECTS,
                          linger_s=0.01)  # fmt: skip
        fusion = worker_bus(
            lambda **kw: NatsBus(srv.url, **srv.login(EXCHANGE), **srv.client_options(), **kw),
            "fusion",
        )
        got = Recorder()
        async with ex, fusion:
            await fusion.subscribe("lookout.fuse.>", got, durable="FUSION")  # live all the same
            sent = [f"m{i}".encode() for i in range(20)]
            for data in sent:
                await ex.publish("lookout.fuse.KR.detection_batch", data)
            await ex.flush()  # nothing awaited, nothing failed
            await until(lambda: len(got.got) == len(sent))
            assert [d for _, d in got.got] == sent
            assert ex.stats.frames < len(sent) and ex.stats.failed == 0
            assert not fusion._consumers  # no durable consumer: no stream to read

    with NatsServer(PARTNERS) as srv:
        run(main(srv))


def test_memory_streams_come_back_after_a_lone_server_restart_and_nothing_acked_is_lost():
    """A lone server that restarts loses its memory streams: the exchange creates them again
    (and each partner's consumer on them); the partners' inbound envelopes, on file, are all
    there and read once each."""

    async def main(srv: NatsServer):
        ex = exchange_bus(srv)
        kr = partner_bus(srv, "KR", linger_s=NODE_LINGER_S, mix_subjects=True)
        got_in, got_out = Recorder(), Recorder()
        await ex.connect()
        await kr.subscribe("lookout.out.KR.>", got_out, durable="KR")
        before = [f"in{i}".encode() for i in range(30)]
        for data in before:
            await kr.publish("lookout.in.KR.detection_batch", data)
        await kr.flush()  # stored (acked) before the restart
        await ex.publish("lookout.out.KR.system_track", b"out-before")
        await ex.flush()
        await until(lambda: len(got_out.got) == 1)

        await asyncio.to_thread(srv.restart)  # same port, same store: memory streams gone
        await until(lambda: ex._nc.is_connected and kr._nc.is_connected)
        await until(lambda: ex.stats.streams_restored == len(PARTNERS))
        storage = await _storage(ex)
        assert {storage[out_stream(p)] for p in PARTNERS} == {"memory"}

        after = [f"in-after{i}".encode() for i in range(5)]
        for data in after:
            await kr.publish("lookout.in.KR.detection_batch", data)
        await kr.flush()
        await ex.subscribe("lookout.in.KR.>", got_in, durable="lookout-exchange")
        await until(lambda: len(got_in.got) == len(before) + len(after))
        assert [d for _, d in got_in.got] == before + after  # each once, in order

        await ex.publish("lookout.out.KR.system_track", b"out-after")
        await ex.flush()
        # The partner's consumer, created again by the exchange, delivers to its durable.
        await until(lambda: len(got_out.got) == 2)
        assert [d for _, d in got_out.got] == [b"out-before", b"out-after"]
        await kr.close()
        await ex.close()

    with NatsServer(PARTNERS) as srv:
        run(main(srv))


def test_an_older_file_outbound_stream_is_kept_with_a_warning(caplog):
    async def main(srv: NatsServer):
        old = [dataclasses.replace(s, storage="file") for s in streams_for(PARTNERS)]
        async with exchange_bus(srv, streams=old) as ex0:
            await ex0.publish("lookout.out.JP.system_track", b"kept")
            await ex0.flush()
        with caplog.at_level(logging.WARNING, logger="lookout.exchange.nats.bus"):
            ex = exchange_bus(srv)
            jp = partner_bus(srv, "JP")
            got = Recorder()
            async with ex, jp:
                storage = await _storage(ex)
                await jp.subscribe("lookout.out.JP.>", got, durable="JP")
                await ex.publish("lookout.out.JP.system_track", b"new")
                await ex.flush()
                await until(lambda: len(got.got) == 2)
        assert {storage[out_stream(p)] for p in PARTNERS} == {"file"}
        assert [d for _, d in got.got] == [b"kept", b"new"]
        assert any("kept on file storage" in r.getMessage() for r in caplog.records)

    with NatsServer(PARTNERS) as srv:
        run(main(srv))


def test_a_batched_step_of_envelopes_is_verified_one_by_one(tmp_path):
    """A node's envelopes of one step go to the broker as one stored message, whatever their
    subjects; the exchange opens it and verifies, audits and releases each envelope on its own,
    under its own subject: a forged one among them is refused alone, and so is one sent on a
    subject that is not its type's."""
    sc = load("srbm-salvo")
    seed = key_seed(sc)
    pol = Policy.from_dict(default_policy(sc))
    partners = list(pol.partners)
    keyring = Keyring.derived(seed, [*partners, EXCHANGE])
    t0 = s_to_ns(10.0)

    async def main(srv: NatsServer):
        clock = SimClock(t0)
        buses = {EXCHANGE: exchange_bus(srv)}
        for p in partners:
            buses[p] = partner_bus(srv, p, linger_s=0.05 if p == "KR" else 0.0,
                                   mix_subjects=True)  # fmt: skip
        bus = CoalitionBus(buses, exchange=EXCHANGE)
        audit = AuditLog(tmp_path / "audit.sqlite")
        exchange = Exchange(keyring, pol, audit, bus, clock, derive_key(seed, EXCHANGE))
        await bus.connect()
        await exchange.start()
        sealer = Sealer("KR", derive_key(seed, "KR"), clock)
        sent = []
        for k in range(6):
            subject, data = sealer.seal_for_bus(Heartbeat(partner="KR", t_ns=t0, seq=k + 1))
            if k == 3:  # a forged signature
                data = data[:-1] + bytes([data[-1] ^ 0x01])
            if k == 4:  # a heartbeat on another type's subject
                subject = "lookout.in.KR.local_track"
            sent.append(data)
            await bus.publish(subject, data)
        await bus.flush()
        assert buses["KR"].stats.published == 6 and buses["KR"].stats.frames == 1
        await until(
            lambda: (
                sum(exchange.accepted.values())
                + sum(sum(c.values()) for c in exchange.refused.values())
                == 6
            )
        )
        await exchange.flush()
        await bus.close()
        audit.close()
        return exchange

    with NatsServer(partners) as srv:
        exchange = run(main(srv))
    assert exchange.accepted["KR"] == 4
    assert sum(exchange.refused["KR"].values()) == 2, exchange.refused
    # The forged signature, and the envelope whose subject does not name its type.
    assert {str(r.value): n for r, n in exchange.refused["KR"].items()} == {
        "forged": 1,
        "malformed": 1,
    }
    rows = (
        sqlite3.connect(tmp_path / "audit.sqlite")
        .execute("select verdict, count(*) from envelopes where sender = 'KR' group by verdict")
        .fetchall()
    )
    assert dict(rows) == {"accepted": 4, "refused": 2}


def test_a_mixed_frame_names_only_subjects_under_its_own():
    from nats.js.api import RawStreamMsg

    from lookout.exchange.nats.framing import (
        BATCH_HEADER,
        SUBJECTS_HEADER,
        frame_mixed,
        mixed_subject,
        unframe_items,
    )

    items = [("lookout.in.KR.heartbeat", b"h"), ("lookout.in.KR.local_track", b"")]
    outer = mixed_subject(items[0][0])
    assert outer == "lookout.in.KR.frame"
    hdrs = {BATCH_HEADER: "2", SUBJECTS_HEADER: "last-token"}
    msg = RawStreamMsg(subject=outer, data=frame_mixed(items), headers=hdrs)
    assert unframe_items(msg) == items
    # A message naming more than one token (another partner's subject) is a malformed frame.
    for token in (b"..JP.heartbeat", b"*", b">", b""):
        data = len(token).to_bytes(2, "big") + token + b"\x00\x00\x00\x01h"
        bad = RawStreamMsg(subject=outer, data=data, headers={**hdrs, BATCH_HEADER: "1"})
        with pytest.raises(ValueError):
            unframe_items(bad)
