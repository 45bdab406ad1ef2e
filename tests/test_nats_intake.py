"""The exchange's consumers on the partners' file streams keep their state in the brokers'
memory only (lookout.exchange.intake): a restart of every server loses it, and the exchange
creates each one again where its audit log and its own handling say it stood. Real
nats-servers, started here, killed with SIGKILL: nothing accepted is lost, nothing audited or
fused twice, nothing of the stream read again from its start."""

from __future__ import annotations

import asyncio
import hashlib
import sqlite3
from collections import Counter

import pytest
from aio import WAIT_S, run, until

from lookout.app.defaults import default_policy
from lookout.exchange.audit import AuditLog, read_audit, row_hash, verify
from lookout.exchange.clock import SimClock
from lookout.exchange.envelope import Sealer
from lookout.exchange.exchange import Exchange
from lookout.exchange.intake import Intake
from lookout.exchange.keys import Keyring, derive_key
from lookout.exchange.nats import CoalitionBus, NatsBus, acked_inbound
from lookout.exchange.nats.config import EXCHANGE, in_stream
from lookout.exchange.nats.server import NatsCluster, NatsServer, find_nats_server
from lookout.exchange.policy import Policy
from lookout.exchange.replay import replay_async
from lookout.messages import Heartbeat
from lookout.scenario import load
from lookout.timebase import s_to_ns

PARTNERS = ["KR", "JP", "US"]
SEED = b"intake-test-seed"
T0 = s_to_ns(100.0)
needs_nats = pytest.mark.skipif(find_nats_server() is None, reason="nats-server binary not found")


# -- the bookkeeping alone ------------------------------------------------------------------


def test_intake_starts_at_the_first_message_not_handled():
    intake = Intake()
    # Recorded: 1-7 and 9-12 (8 was handed out before a crash and never handled).
    intake.restore([("S", s) for s in (1, 2, 3, 4, 5, 6, 7, 9, 10, 11, 12)] + [("T", 40)])
    assert intake.start("S") == 8 and intake.high("S") == 12
    assert intake.start("T") == 41 and intake.start("U") is None
    intake.begin("S", 7)  # created again at 8: what the record has above stays handled
    assert not intake.done("S", 8) and intake.done("S", 9) and intake.done("S", 7)
    intake.note("S", 8)
    assert intake.start("S") == 13  # 8 closes the gap: the floor moves up through 12
    intake.note("S", 14)
    assert intake.start("S") == 13 and intake.done("S", 14) and not intake.done("S", 13)
    intake.forget("S")
    assert intake.start("S") is None and not intake.done("S", 1)


def test_audit_rows_record_their_stream_message_chained(tmp_path):
    path = tmp_path / "a.sqlite"
    log = AuditLog(path)
    log.append(1, "lookout.in.KR.heartbeat", "KR", 1, "heartbeat", "accepted", None, "", b"a")
    log.append(2, "lookout.in.KR.heartbeat", "KR", 2, "heartbeat", "accepted", None, "", b"b",
               ("LOOKOUT_IN_KR", 7))  # fmt: skip
    assert log.intake_records() == [("LOOKOUT_IN_KR", 7)]
    log.close()
    rows = list(read_audit(path))
    assert (rows[0].stream, rows[0].stream_seq) == (None, None)
    assert (rows[1].stream, rows[1].stream_seq) == ("LOOKOUT_IN_KR", 7)
    # A row without a stream message hashes as the rows did before the columns existed.
    first = (1, 1, "lookout.in.KR.heartbeat", "KR", 1, "heartbeat", "accepted", None, "", b"a")
    genesis = hashlib.sha256(b"lookout-audit-genesis").digest()
    db = sqlite3.connect(path)
    assert db.execute("SELECT hash FROM envelopes WHERE id = 1").fetchone()[0] == row_hash(
        genesis, first
    )
    assert verify(path).ok
    # The stream sequence is chained: changed, the chain breaks there.
    db.execute("DROP TRIGGER envelopes_no_update")
    db.execute("UPDATE envelopes SET stream_seq = 3 WHERE id = 2")
    db.commit()
    db.close()
    assert any("row 2" in p for p in verify(path).problems)


# -- against real servers -----------------------------------------------------------------


class _Run:
    """An exchange (a real :class:`Exchange`, its audit log on file) and the three partners'
    buses over one server or a cluster; each partner sends numbered heartbeats in frames."""

    def __init__(self, urls, login, tmp_path, *, replicas: int = 1, audit_name="audit.sqlite"):
        self.urls, self.login, self.replicas = urls, login, replicas
        self.keyring = Keyring.derived(SEED, [*PARTNERS, EXCHANGE])
        self.policy = Policy.from_dict(default_policy(load("srbm-salvo")))
        assert set(self.policy.partners) == set(PARTNERS)
        self.clock = SimClock(T0)
        self.audit_path = tmp_path / audit_name
        self.sealers = {p: Sealer(p, derive_key(SEED, p), self.clock) for p in PARTNERS}
        self.sent: Counter[str] = Counter()
        self.partners = {
            p: NatsBus(urls, **login(p), linger_s=0.005, mix_subjects=True) for p in PARTNERS
        }

    async def open_exchange(self) -> Exchange:
        self.ex_bus = NatsBus(self.urls, **self.login(EXCHANGE), partners=PARTNERS,
                              manage_streams=True, replicas=self.replicas, pull_batch=32,
                              ack_wait_s=60.0)  # fmt: skip
        bus = CoalitionBus({EXCHANGE: self.ex_bus, **self.partners}, exchange=EXCHANGE)
        self.audit = AuditLog(self.audit_path)
        self.exchange = Exchange(self.keyring, self.policy, self.audit, bus, self.clock,
                                 derive_key(SEED, EXCHANGE), status_period_ns=0)  # fmt: skip
        await self.ex_bus.connect()  # the streams, before anything is sent
        return self.exchange

    async def close_exchange(self) -> None:
        await self.exchange.flush()
        await self.ex_bus.close()
        self.audit.close()

    async def send(self, n: int) -> None:
        """``n`` heartbeats from each partner, a few to a frame, stored before returning."""
        for _ in range(n):
            for p in PARTNERS:
                self.sent[p] += 1
                subject, data = self.sealers[p].seal_for_bus(
                    Heartbeat(partner=p, t_ns=T0, seq=self.sent[p])
                )
                await self.partners[p].publish(subject, data)
            await asyncio.sleep(0.001)
        for bus in self.partners.values():
            await bus.flush()

    def taken(self) -> int:
        return sum(self.exchange.accepted.values()) + sum(self.exchange.late.values())

    def check_audit(self) -> None:
        """Every heartbeat sent has exactly one row, accepted; nothing refused."""
        rows = list(read_audit(self.audit_path))
        verdicts = Counter(r.verdict for r in rows)
        assert verdicts == {"accepted": sum(self.sent.values())}, verdicts
        per = Counter((r.sender, r.seq) for r in rows)
        assert max(per.values()) == 1  # none audited twice
        for p in PARTNERS:
            assert {s for (q, s) in per if q == p} == set(range(1, self.sent[p] + 1))
        assert verify(self.audit_path).ok

    async def check_replay(self, delivered: Counter[str]) -> None:
        """The audit log replayed alone delivers what the live exchanges did."""
        picture = await replay_async(self.audit_path, self.keyring, self.policy,
                                     derive_key(SEED, EXCHANGE))  # fmt: skip
        assert {p: len(got) for p, got in picture.items()} == dict(delivered)

    async def consumer(self, p: str) -> dict:
        return await self.ex_bus._consumer_info(in_stream(p), f"lookout-exchange_{in_stream(p)}")


async def _slow(exchange: Exchange) -> None:
    """Have the exchange take 3 ms an envelope, so a kill lands in the middle of its intake."""
    handle = exchange.handle

    async def slowly(subject: str, data: bytes) -> None:
        await handle(subject, data)
        await asyncio.sleep(0.003)

    exchange.handle = slowly  # type: ignore[method-assign]


async def _mid_intake(r: _Run, sent: int, taken: int) -> Exchange:
    """An exchange opened on ``r``'s servers, ``sent`` envelopes a partner stored, taken slowly
    (``_slow``) until ``taken`` are handled: the moment the kill tests strike. Its consumers
    keep their state in the servers' memory."""
    ex = await r.open_exchange()
    await r.send(sent)
    await _slow(ex)
    await ex.start()
    assert (await r.consumer("KR"))["config"]["mem_storage"] is True
    await until(lambda: r.taken() >= taken)
    return ex


@pytest.mark.slow
@pytest.mark.serial
@needs_nats
def test_a_lone_servers_restart_loses_the_consumers_and_intake_resumes_where_it_stood(tmp_path):
    """One server, killed (-9) and started again while the exchange is mid-way through its
    inbound streams: the consumers (state in memory) are gone; the exchange creates each one
    again at the first message it had not handled; every envelope is audited once."""

    async def main(srv: NatsServer):
        r = _Run(srv.url, srv.login, tmp_path)
        ex = await _mid_intake(r, sent=60, taken=40)
        await asyncio.to_thread(srv.kill)
        await asyncio.to_thread(srv.start)
        await until(lambda: r.ex_bus.stats.consumers_restored == len(PARTNERS))
        await r.send(20)
        await until(lambda: r.taken() == sum(r.sent.values()))
        await asyncio.sleep(0.5)  # anything delivered twice would show by now
        assert r.taken() == sum(r.sent.values()) and not ex.refused
        assert r.ex_bus.stats.intake_repeats <= 32  # no backlog read again (pull batch)
        starts = [(await r.consumer(p))["config"].get("opt_start_seq") for p in PARTNERS]
        assert all(s and s > 1 for s in starts), starts  # from where it stood, not the start
        await r.close_exchange()
        for bus in r.partners.values():
            await bus.close()
        r.check_audit()
        await r.check_replay(ex.delivered)

    with NatsServer(PARTNERS) as srv:
        run(main(srv))


@pytest.mark.slow
@pytest.mark.serial
@needs_nats
@pytest.mark.parametrize(
    "servers, reopened", [("lone", "after"), ("cluster", "after"), ("cluster", "before")]
)
def test_a_restarted_exchange_whose_consumers_were_lost_starts_where_its_audit_log_says(
    tmp_path, servers, reopened
):
    """The exchange stops; every server is killed (-9) and started again (a lone server
    forgets the consumers, a cluster brings them back at their first start); more comes in.
    The next exchange, started after the kill from its audit log alone, or before it (it
    opened the consumers as they stood and handled nothing since), reads from the first
    message without a row: nothing read twice, nothing missed."""

    async def main(srv):
        r = _Run(srv.urls, srv.login, tmp_path, replicas=3 if servers == "cluster" else 1)
        await (await r.open_exchange()).start()
        await r.send(30)
        await until(lambda: r.taken() == 90)
        await r.close_exchange()
        if reopened == "before":
            ex = await r.open_exchange()
            await ex.start()
        await asyncio.to_thread(srv.kill)
        await asyncio.to_thread(srv.start)
        if reopened == "before":
            await until(lambda: r.ex_bus.stats.consumers_restored == 3, timeout_s=2 * WAIT_S)
        await r.send(10)
        if reopened == "after":
            ex = await r.open_exchange()
            await ex.start()
        await until(lambda: r.taken() == 30, timeout_s=2 * WAIT_S)  # only the new ones
        await asyncio.sleep(0.5)
        assert r.taken() == 30 and not ex.refused and r.ex_bus.stats.consumers_restored == 3
        assert r.ex_bus.stats.intake_repeats == 0
        await r.close_exchange()
        for bus in r.partners.values():
            await bus.close()
        r.check_audit()

    with NatsServer(PARTNERS) if servers == "lone" else NatsCluster(PARTNERS) as srv:
        run(main(srv), timeout_s=6 * WAIT_S)


@pytest.mark.slow
@pytest.mark.serial
@needs_nats
def test_every_server_of_the_cluster_killed_mid_run_and_intake_resumes_where_it_stood(tmp_path):
    """The documented deployment (three servers, R3): all three killed (-9) while the exchange
    is part-way through the partners' streams, then started again. The cluster brings the
    consumers back at their configured start (their state was in memory); the exchange finds
    them delivering below what it handled and creates them again where it stood. Every
    envelope stored before and after is audited once, accepted; none read twice; every
    envelope the exchange acked has its row."""

    async def main(cluster: NatsCluster):
        r = _Run(cluster.urls, cluster.login, tmp_path, replicas=3)
        ex = await _mid_intake(r, sent=100, taken=60)
        await asyncio.to_thread(cluster.kill)
        before = r.taken()
        assert before < 300  # mid-run
        await asyncio.to_thread(cluster.start)
        await until(lambda: r.ex_bus.stats.consumers_restored >= 1, timeout_s=2 * WAIT_S)
        await r.send(20)
        await until(lambda: r.taken() == sum(r.sent.values()), timeout_s=2 * WAIT_S)
        await asyncio.sleep(1.0)
        assert r.taken() == sum(r.sent.values()) and not ex.refused, ex.counters()
        assert r.ex_bus.stats.intake_repeats <= 32, r.ex_bus.stats
        for p in PARTNERS:
            info = await r.consumer(p)
            assert info["config"]["mem_storage"] is True
            assert info["delivered"]["stream_seq"] >= 1
        await r.close_exchange()
        acked = await acked_inbound(cluster.urls, cluster.login(EXCHANGE), PARTNERS)
        for bus in r.partners.values():
            await bus.close()
        r.check_audit()
        await r.check_replay(ex.delivered)
        audited = {bytes(x.data) for x in read_audit(r.audit_path)}
        assert acked and set(acked) <= audited

    with NatsCluster(PARTNERS) as cluster:
        run(main(cluster), timeout_s=6 * WAIT_S)
