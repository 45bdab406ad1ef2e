"""End-to-end latency through NATS JetStream: partners → exchange → every other partner.

:func:`nats_latency` (the bus alone): three partner connections publish ``payload_bytes``
messages (the size of a signed detection envelope) on ``lookout.in.<P>.detection`` at ``rate``
messages per second in total; the exchange connection reads ``lookout.in.>`` through its durable
consumer and publishes each message again on ``lookout.out.<R>.detection`` for every other
partner R; each partner reads its ``lookout.out.<P>.>`` through its own durable consumer and
measures the time from the message's creation. Every hop is a JetStream publish with an ack and
a durable pull consumer with acks, as deployed. With ``processes=True`` (the default) the
exchange runs in a process of its own and the partners share another.

:func:`signed_exchange_latency` (the deployed form, ``--signed``): signing partner nodes send
per-sensor detection batches; the real exchange (verification, audit, releasability) runs in its
own process; latency runs from a detection's creation to its delivery to the last entitled
partner. :func:`bench_exchange_nats` (``--exchange``) runs ``lookout.bench.exchange.run_bench``
itself over NATS, all in one process.

    python -m lookout.bench.nats_latency --rate 10000 --seconds 5 --linger-ms 2
    python -m lookout.bench.nats_latency --signed --rate 10000 --seconds 5
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing as mp
import os
import struct
import time
from collections.abc import Sequence
from typing import Any

import numpy as np

from lookout.exchange.nats import BusPublishError, CoalitionBus, NatsBus
from lookout.exchange.nats.config import EXCHANGE
from lookout.exchange.nats.server import NatsServer
from lookout.timebase import NS_PER_S, s_to_ns

_HEAD = struct.Struct("<qI")  # creation time (monotonic ns, system-wide on Linux), sequence


async def _exchange(url, login, partners, stop_at, done=None, ready=None, linger_s=0.0):
    bus = NatsBus(url, **login, partners=partners, manage_streams=True, linger_s=linger_s)
    await bus.connect()
    relayed = 0
    hop: list[int] = []

    async def relay(subject: str, data: bytes) -> None:
        nonlocal relayed
        hop.append(time.monotonic_ns() - _HEAD.unpack_from(data)[0])
        sender = subject.split(".")[2]
        for r in partners:
            if r != sender:
                await bus.publish(f"lookout.out.{r}.detection", data)
                relayed += 1

    await bus.subscribe("lookout.in.>", relay, durable=EXCHANGE)
    if ready is not None:
        ready.set()
    cpu0 = time.process_time()
    while time.monotonic() < stop_at and not (done is not None and done.is_set()):
        await asyncio.sleep(0.05)
    refused = 0
    try:
        await bus.flush()
    except BusPublishError as e:
        refused = len(e.failures)
    cpu = time.process_time() - cpu0
    await bus.close()
    h = np.asarray(hop, dtype=float) / 1e6
    hop_ms = [round(float(np.percentile(h, q)), 3) for q in (50, 99)] if h.size else None
    return {"relayed": relayed, "refused": refused, "cpu_s": cpu, "hop_in_ms": hop_ms}


async def _partners(
    url: str,
    logins: dict[str, dict[str, str]],
    rate: float,
    seconds: float,
    payload_bytes: int,
    start_at: float,
    drain_s: float,
    linger_s: float = 0.0,
) -> dict[str, Any]:
    partners = list(logins)
    buses = {p: NatsBus(url, **logins[p], linger_s=linger_s) for p in partners}
    latencies: list[int] = []
    received = 0

    async def receive(subject: str, data: bytes) -> None:
        nonlocal received
        t0, _seq = _HEAD.unpack_from(data)
        latencies.append(time.monotonic_ns() - t0)
        received += 1

    for p, bus in buses.items():
        await bus.connect()
        await bus.subscribe(f"lookout.out.{p}.>", receive, durable=p)

    filler = os.urandom(max(0, payload_bytes - _HEAD.size))
    per_partner = rate / len(partners)
    sent = {p: 0 for p in partners}

    async def publish(p: str) -> None:
        bus = buses[p]
        while time.monotonic() < start_at:
            await asyncio.sleep(0.005)
        t_start = time.monotonic()
        n_total = int(per_partner * seconds)
        while sent[p] < n_total:
            due = min(n_total, int((time.monotonic() - t_start) * per_partner) + 1)
            while sent[p] < due:
                sent[p] += 1
                await bus.publish(
                    f"lookout.in.{p}.detection",
                    _HEAD.pack(time.monotonic_ns(), sent[p]) + filler,
                )
            await asyncio.sleep(0.001)

    t0 = time.monotonic()
    cpu0 = time.process_time()
    await asyncio.gather(*(publish(p) for p in partners))
    wall = time.monotonic() - max(t0, start_at)
    n_sent = sum(sent.values())
    expected = n_sent * (len(partners) - 1)
    refused = 0
    for bus in buses.values():
        try:
            await bus.flush()
        except BusPublishError as e:
            refused += len(e.failures)
    end = time.monotonic() + drain_s
    while received < expected and time.monotonic() < end:
        await asyncio.sleep(0.02)
    cpu = time.process_time() - cpu0
    window = time.monotonic() - t0
    for bus in buses.values():
        await bus.close()
    return {
        "cpu_s": cpu,
        "window_s": window,
        "sent": n_sent,
        "expected": expected,
        "received": received,
        "refused": refused,
        "publish_wall_s": wall,
        "latencies_ns": latencies,
    }


def _run_exchange(url, login, partners, stop_at, done, ready, out, linger_s):
    out.put(asyncio.run(_exchange(url, login, partners, stop_at, done, ready, linger_s)))


def nats_latency(
    rate: float = 10_000.0,
    seconds: float = 5.0,
    *,
    payload_bytes: int = 300,
    partners: Sequence[str] = ("KR", "JP", "US"),
    warmup_s: float = 1.0,
    drain_s: float = 10.0,
    processes: bool = True,
    linger_s: float = 0.0,
    server: NatsServer | None = None,
) -> dict[str, Any]:
    """Run the relay at ``rate`` msgs/s for ``seconds``; latency percentiles of every delivery.

    Starts its own nats-server unless ``server`` is given. Returns ``{"bus": "nats", "rate",
    "p50_ms", "p99_ms", "delivered", "refused", ...}`` where ``delivered`` counts deliveries to
    recipients (two per message with three partners).
    """
    own = server is None
    srv = server or NatsServer(list(partners)).start()
    try:
        logins = {p: srv.login(p) for p in partners}
        start_at = time.monotonic() + warmup_s
        stop_at = start_at + seconds + drain_s + 60.0  # a bound; normally stopped when done
        if processes:
            # fork: no __main__ guard needed in callers (the CLI, tests); nothing runs yet here.
            ctx = mp.get_context("fork" if "fork" in mp.get_all_start_methods() else "spawn")
            q, done, ready = ctx.Queue(), ctx.Event(), ctx.Event()
            proc = ctx.Process(
                daemon=True,
                target=_run_exchange,
                args=(
                    srv.url,
                    srv.login(EXCHANGE),
                    list(partners),
                    stop_at,
                    done,
                    ready,
                    q,
                    linger_s,
                ),
            )
            proc.start()
            try:
                # The exchange creates the streams and its consumer before partners start.
                if not ready.wait(30):
                    raise TimeoutError(f"the exchange process did not start ({proc.exitcode})")
                start_at = time.monotonic() + warmup_s
                server_cpu0 = srv.cpu_seconds()
                res = asyncio.run(
                    _partners(
                        srv.url, logins, rate, seconds, payload_bytes, start_at, drain_s, linger_s
                    )
                )
                server_cpu = (srv.cpu_seconds() or 0.0) - (server_cpu0 or 0.0)
                done.set()
                ex = q.get(timeout=stop_at - time.monotonic() + 30)
            finally:
                done.set()
                proc.join(10)
                if proc.is_alive():
                    proc.kill()
        else:

            async def both():
                ready = asyncio.Event()
                ex_task = asyncio.create_task(
                    _exchange(
                        srv.url, srv.login(EXCHANGE), list(partners), stop_at, None, ready, linger_s
                    )
                )
                await ready.wait()
                res = await _partners(
                    srv.url, logins, rate, seconds, payload_bytes, start_at, drain_s, linger_s
                )
                ex_task.cancel()
                return res, {"relayed": None, "refused": 0, "cpu_s": None, "hop_in_ms": None}

            server_cpu0 = srv.cpu_seconds()
            res, ex = asyncio.run(both())
            server_cpu = (srv.cpu_seconds() or 0.0) - (server_cpu0 or 0.0)
    finally:
        if own:
            srv.close()
    lat = np.asarray(res["latencies_ns"], dtype=float) / 1e6
    return {
        "bus": "nats",
        "rate": rate,
        "achieved_rate": round(res["sent"] / res["publish_wall_s"], 1),
        "seconds": seconds,
        "sent": res["sent"],
        "p50_ms": round(float(np.percentile(lat, 50)), 3) if lat.size else None,
        "p99_ms": round(float(np.percentile(lat, 99)), 3) if lat.size else None,
        "max_ms": round(float(lat.max()), 3) if lat.size else None,
        "delivered": res["received"],
        "expected": res["expected"],
        "refused": res["refused"] + ex["refused"],
        "processes": processes,
        "linger_ms": linger_s * 1e3,
        # Cores used while it ran (exchange process over its whole life, roughly the same span).
        "cpu_partners": round(res["cpu_s"] / res["window_s"], 3),
        "cpu_exchange": round(ex["cpu_s"] / res["window_s"], 3) if ex["cpu_s"] else None,
        "cpu_server": round(server_cpu / res["window_s"], 3),
        # p50/p99 of the first hop alone: partner to exchange.
        "hop_in_ms": ex["hop_in_ms"],
    }


def bench_exchange_nats(
    rate: float = 10_000.0,
    seconds: float = 5.0,
    *,
    linger_s: float = 0.0,
    server: NatsServer | None = None,
    **options: Any,
) -> dict[str, Any]:
    """The exchange benchmark (:func:`lookout.bench.exchange.run_bench`: signed detection
    batches, verification, audit, releasability) over a real nats-server, every partner and the
    exchange on its own connection and credentials (one process)."""
    from lookout.bench.exchange import run_bench

    own = server is None
    srv = server or NatsServer(["KR", "JP", "US"]).start()

    async def run() -> dict[str, Any]:
        bus = CoalitionBus.for_server(srv, linger_s=linger_s)
        await bus.connect()
        try:
            r = await run_bench(bus, bus_name="nats", rate=rate, seconds=seconds, **options)
        finally:
            await bus.close()
        r["linger_ms"] = linger_s * 1e3
        return r

    try:
        return asyncio.run(run())
    finally:
        if own:
            srv.close()


# -- the real exchange (signatures, verification, audit, policy) in a process of its own ------


async def _signed_exchange(url, login, seed, sensors, done, ready, linger_s):
    import tempfile
    from pathlib import Path

    from lookout.exchange import AuditLog, Exchange, Keyring, Policy, Verifier, derive_key
    from lookout.exchange.clock import WallClock

    partners = list(sensors)
    keyring = Keyring.derived(seed, partners)
    policy = Policy.from_dict(
        {"partners": sensors, "release": {s: {r: "all" for r in partners} for s in partners}}
    )
    with tempfile.TemporaryDirectory(prefix="lookout-bench-") as tmp:
        audit = AuditLog(Path(tmp) / "audit.db", batch=256)
        bus = NatsBus(url, **login, partners=partners, manage_streams=True, linger_s=linger_s)
        await bus.connect()
        clock = WallClock()
        exchange = Exchange(
            keyring, policy, audit, bus, clock, derive_key(seed, EXCHANGE),
            verifier=Verifier(keyring, clock),
        )  # fmt: skip
        await exchange.start()
        ready.set()
        cpu0 = time.process_time()
        while not done.is_set():
            await asyncio.sleep(0.05)
        cpu = time.process_time() - cpu0
        await exchange.flush()
        refused = sum(sum(c.values()) for c in exchange.refused.values())
        await bus.close()
        audit.close()
    return {"refused": refused, "cpu_s": cpu}


def _run_signed_exchange(url, login, seed, sensors, done, ready, out, linger_s):
    out.put(asyncio.run(_signed_exchange(url, login, seed, sensors, done, ready, linger_s)))


async def _signed_nodes(url, logins, seed, rate, seconds, batch_ms, warmup_s, drain_s, linger_s):
    from lookout.bench.exchange import DeliveryProbe
    from lookout.exchange import derive_key, envelope_bytes, seal
    from lookout.exchange.clock import WallClock
    from lookout.messages import Detection, DetectionBatch

    partners = list(logins)
    clock = WallClock()
    buses = {p: NatsBus(url, **logins[p], linger_s=linger_s) for p in partners}
    t_start = clock.now_ns() + int(0.2e9)
    t_count = t_start + s_to_ns(warmup_s)

    probe = DeliveryProbe(clock, len(partners) - 1, t_count)

    for p, bus in buses.items():
        await bus.connect()
        await bus.subscribe(f"lookout.out.{p}.>", probe.handler, durable=p)

    interval_ns = len(partners) * NS_PER_S / rate
    total = int((seconds + warmup_s) * rate / len(partners))
    _r = [[100.0, 0.0, 0.0], [0.0, 1e-6, 0.0], [0.0, 0.0, 1e-6]]

    async def node(index: int, partner: str) -> None:
        key, bus, made, seq = derive_key(seed, partner), buses[partner], 0, 0
        offset = t_start + index * interval_ns / len(partners)
        sensor = f"{partner.lower()}-0"
        while made < total:
            now = clock.now_ns()
            due = min(total, int((now - offset) // interval_ns) + 1) if now >= offset else 0
            if due > made:
                dets = [
                    Detection(
                        t_ns=int(offset + k * interval_ns),
                        sensor_id=sensor,
                        partner=partner,
                        kind="radar",
                        z=[1.0e6 + k, 0.5, 0.2],
                        R=_r,
                        snr_db=15.0,
                    )  # fmt: skip
                    for k in range(made, due)
                ]
                made = due
                for i in range(0, len(dets), 128):
                    seq += 1
                    batch = DetectionBatch(
                        partner=partner, sensor_id=sensor, detections=dets[i : i + 128]
                    )
                    env = seal(batch, partner, seq, clock.now_ns(), key)
                    await bus.publish(f"lookout.in.{partner}.detection_batch", envelope_bytes(env))
            await asyncio.sleep(batch_ms / 1e3)

    cpu0, t0 = time.process_time(), time.monotonic()
    await asyncio.gather(*(node(i, p) for i, p in enumerate(partners)))
    for bus in buses.values():
        await bus.flush()
    end = time.monotonic() + drain_s
    while probe.delivered < total * len(partners) and time.monotonic() < end:
        await asyncio.sleep(0.01)
    cpu, window = time.process_time() - cpu0, time.monotonic() - t0
    for bus in buses.values():
        await bus.close()
    return {
        "created": total * len(partners),
        "delivered": probe.delivered,
        "latencies_ns": probe.latencies,
        "cpu_s": cpu,
        "window_s": window,
    }


def signed_exchange_latency(
    rate: float = 10_000.0,
    seconds: float = 5.0,
    *,
    batch_ms: float = 2.0,
    warmup_s: float = 0.5,
    drain_s: float = 10.0,
    linger_s: float = 0.0,
    server: NatsServer | None = None,
) -> dict[str, Any]:
    """The deployed form of ``lookout bench exchange --bus nats``: three signing partner nodes
    (one process, one connection and credentials each) send per-sensor detection batches every
    ``batch_ms``; the real :class:`~lookout.exchange.Exchange` (verification, audit, policy) runs
    in its own process on its own connection; each partner receives through its durable
    consumer. Latency: a detection's creation to its delivery to the last entitled partner."""
    partners = ("KR", "JP", "US")
    seed = "bench"
    sensors = {p: [f"{p.lower()}-0"] for p in partners}
    own = server is None
    srv = server or NatsServer(list(partners)).start()
    try:
        ctx = mp.get_context("fork" if "fork" in mp.get_all_start_methods() else "spawn")
        q, done, ready = ctx.Queue(), ctx.Event(), ctx.Event()
        proc = ctx.Process(
            target=_run_signed_exchange,
            args=(srv.url, srv.login(EXCHANGE), seed, sensors, done, ready, q, linger_s),
            daemon=True,
        )
        proc.start()
        try:
            if not ready.wait(30):
                raise TimeoutError(f"the exchange process did not start (exit {proc.exitcode})")
            logins = {p: srv.login(p) for p in partners}
            server_cpu0 = srv.cpu_seconds()
            res = asyncio.run(
                _signed_nodes(
                    srv.url, logins, seed, rate, seconds, batch_ms, warmup_s, drain_s, linger_s
                )
            )
            server_cpu = (srv.cpu_seconds() or 0.0) - (server_cpu0 or 0.0)
            done.set()
            ex = q.get(timeout=60)
        finally:
            done.set()
            proc.join(10)
            if proc.is_alive():
                proc.kill()
    finally:
        if own:
            srv.close()
    lat = np.asarray(res["latencies_ns"], dtype=float) / 1e6
    w = res["window_s"]
    return {
        "bus": "nats",
        "rate": rate,
        "seconds": seconds,
        "batch_ms": batch_ms,
        "p50_ms": round(float(np.percentile(lat, 50)), 3) if lat.size else None,
        "p99_ms": round(float(np.percentile(lat, 99)), 3) if lat.size else None,
        "max_ms": round(float(lat.max()), 3) if lat.size else None,
        "delivered": res["delivered"],
        "created": res["created"],
        "refused": ex["refused"],
        "linger_ms": linger_s * 1e3,
        "cpu_nodes": round(res["cpu_s"] / w, 3),
        "cpu_exchange": round(ex["cpu_s"] / w, 3),
        "cpu_server": round(server_cpu / w, 3),
    }


def main(argv: Sequence[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rate", type=float, default=10_000.0, help="messages per second in total")
    ap.add_argument("--seconds", type=float, default=5.0)
    ap.add_argument("--payload-bytes", type=int, default=300)
    ap.add_argument("--one-process", action="store_true", help="exchange in this process too")
    ap.add_argument(
        "--exchange",
        action="store_true",
        help="run lookout.bench.exchange (signed batches, verify, audit) over NATS, one process",
    )
    ap.add_argument(
        "--signed",
        action="store_true",
        help="signed batches with the real exchange in its own process (the deployed form)",
    )
    ap.add_argument(
        "--linger-ms", type=float, default=0.0, help="batch publishes on a subject for this long"
    )
    a = ap.parse_args(argv)
    if a.exchange:
        print(json.dumps(bench_exchange_nats(a.rate, a.seconds, linger_s=a.linger_ms / 1e3)))
        return
    if a.signed:
        r = signed_exchange_latency(a.rate, a.seconds, linger_s=a.linger_ms / 1e3)
        print(json.dumps(r))
        return
    r = nats_latency(
        a.rate,
        a.seconds,
        payload_bytes=a.payload_bytes,
        processes=not a.one_process,
        linger_s=a.linger_ms / 1e3,
    )
    print(json.dumps(r))


if __name__ == "__main__":
    main()
