"""``lookout bench picture --bus nats``: the picture people get, in the distributed form.

A three-server NATS JetStream cluster on loopback (every stream replicated three times), the
exchange (``lookout.app.service.serve``), the fusion and ``workers`` assessors
(``lookout.app.picture_workers``; with ``workers`` 0 the fusion and assessment run inside the
exchange, as before issue 16) and the three partner nodes, each a process of its own, play the
scenario from a common start at ``speed`` times real time. Each process measures itself (CPU
time, peak resident set) and what it probes: the fusion which detections each system-track
update took in (:class:`~lookout.bench.picture.InclusionProbe`), each node when each update
reached it on its scenario clock (:class:`~lookout.bench.picture.ReceiptProbe`); the ages are
joined here as in the embedded form (:func:`~lookout.bench.picture.picture_ages`). The brokers'
CPU is read from ``/proc``.

The scenario is simulated once here, after the exchange and the workers are started (they do
not hold it), and handed to the node processes (forked), so no process pays for it but this
one and the nodes, whose sensors it is.
"""

from __future__ import annotations

import asyncio
import multiprocessing as mp
import os
import tempfile
import time
import traceback
from pathlib import Path
from typing import Any

import msgspec

from lookout.app.defaults import default_policy
from lookout.bench.picture import (
    Inclusion,
    InclusionProbe,
    ReceiptProbe,
    peak_rss_bytes,
    picture_ages,
)
from lookout.exchange.nats import NatsBus
from lookout.exchange.nats.config import EXCHANGE
from lookout.exchange.nats.server import NatsCluster, NatsServer
from lookout.exchange.policy import Policy
from lookout.scenario import Scenario
from lookout.simulate import simulate
from lookout.timebase import ns_to_s, s_to_ns

#: Scenario seconds each stage runs past the end, so that the last reports get through.
TAIL_S = {"nodes": 6.0, "fusion": 2.0, "assessor": 4.0, "exchange": 8.0}


def _clock_ticks(pid: int, which: str = "all") -> float:
    """CPU seconds a process has used, from /proc: user + system (``which`` "all"), or the
    system's part alone ("system": the kernel's, fsyncs and sockets)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        ticks = int(fields[12]) + (int(fields[11]) if which == "all" else 0)
        return ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


def _write(path: Path, data: dict) -> None:
    path.write_bytes(msgspec.msgpack.encode(data))


def _child(role: str, fn, out: Path, ready, *args) -> None:
    """Run ``fn(*args)`` (a coroutine function returning a dict) in this process; write its
    dict, CPU time and peak memory to ``out``."""
    try:
        cpu0 = time.process_time()
        result = asyncio.run(fn(ready, *args))
        result.update(role=role, cpu_s=time.process_time() - cpu0, peak_rss=peak_rss_bytes())
        _write(out, result)
    except BaseException:  # noqa: BLE001 - reported to the parent through the file
        _write(out, {"role": role, "error": traceback.format_exc()})
        raise


def _bus(cfg: dict, user: str, **options: Any) -> NatsBus:
    return NatsBus(cfg["urls"], **cfg["logins"][user], **options)


async def _exchange(ready, cfg: dict) -> dict:
    from lookout.app.picture_workers import CORE_SUBJECTS, exchange_streams
    from lookout.app.service import serve

    workers = cfg["workers"]
    bus = _bus(cfg, EXCHANGE, partners=cfg["partners"], manage_streams=True,
               replicas=cfg["replicas"], streams=exchange_streams(cfg["partners"], workers),
               core=CORE_SUBJECTS, linger_s=0.002, mix_subjects=True, pull_batch=64,
               ack_wait_s=60.0)  # fmt: skip
    probe: list[InclusionProbe] = []
    wire: dict[str, list[int]] = {}

    def setup(exchange) -> None:
        if exchange.fusion is not None:  # the fusion in the exchange (workers 0)
            probe.append(InclusionProbe(exchange.fusion.fusion))
        _count_wire(exchange, wire)

    exchange = await serve(
        cfg["scenario"], bus, start_unix_s=cfg["start"], speed=cfg["speed"],
        audit_path=cfg["audit"], until_s=cfg["end"] + TAIL_S["exchange"] * cfg["speed"],
        ready=ready, workers=workers, on_start=setup,
    )  # fmt: skip
    out = {"counters": _plain(exchange.counters()), "fed": exchange.fed, "wire": wire}
    if probe:
        out["inclusions"] = _rows(probe[0].inclusions)
        out["late_at_fusion"] = exchange.fusion.fusion.counters.late_detections
    return out


def _count_wire(exchange, wire: dict[str, list[int]]) -> None:
    """Tap the exchange: every envelope it takes in and publishes (to the partners, to the
    fusion), counted with its bytes under its subject, in ``wire`` (subject -> [n, bytes])."""
    publish, handle = exchange.bus.publish, exchange.handle

    def tally(subject: str, data: bytes) -> None:
        c = wire.setdefault(subject, [0, 0])
        c[0] += 1
        c[1] += len(data)

    async def counted_publish(subject: str, data: bytes) -> None:
        tally(subject, data)
        await publish(subject, data)

    async def counted_handle(subject: str, data: bytes) -> None:
        tally(subject, data)
        await handle(subject, data)

    exchange.bus.publish = counted_publish
    exchange.handle = counted_handle


async def _fusion(ready, cfg: dict) -> dict:
    from lookout.app.picture_workers import run_fusion, worker_bus

    bus = worker_bus(lambda **kw: _bus(cfg, EXCHANGE, linger_s=0.002, pull_batch=256,
                                       ack_wait_s=60.0, **kw),
                     "fusion")  # fmt: skip
    probe: list[InclusionProbe] = []
    work = await run_fusion(
        cfg["scenario"], bus, start_unix_s=cfg["start"], speed=cfg["speed"],
        assessors=cfg["workers"], until_s=cfg["end"] + TAIL_S["fusion"] * cfg["speed"],
        ready=ready, on_start=lambda w: probe.append(InclusionProbe(w.fusion)),
    )  # fmt: skip
    return {
        "inputs": work.inputs,
        "reports": work.reports,
        "inclusions": _rows(probe[0].inclusions),
        "late_at_fusion": work.fusion.counters.late_detections,
    }


async def _assessor(ready, cfg: dict, index: int) -> dict:
    from lookout.app.picture_workers import run_assessor, worker_bus

    bus = worker_bus(lambda **kw: _bus(cfg, EXCHANGE, linger_s=0.002, pull_batch=64,
                                       ack_wait_s=60.0, **kw),
                     f"assessor-{index}")  # fmt: skip
    work = await run_assessor(
        cfg["scenario"], bus, index, cfg["workers"], start_unix_s=cfg["start"],
        speed=cfg["speed"], until_s=cfg["end"] + TAIL_S["assessor"] * cfg["speed"], ready=ready,
    )  # fmt: skip
    return {"batches": work.batches, "tracks": work.tracks}


async def _node(ready, cfg: dict, partner: str, detections: list) -> dict:
    from lookout.app.defaults import NODE_LINGER_S
    from lookout.app.service import run_node

    bus = _bus(cfg, partner, linger_s=NODE_LINGER_S, mix_subjects=True)
    probe: list[ReceiptProbe] = []

    def setup(node) -> None:
        r = ReceiptProbe(partner, lambda: ns_to_s(node.clock.now_ns()))
        r.attach(node)
        probe.append(r)

    node = await run_node(
        cfg["scenario"], partner, bus, start_unix_s=cfg["start"], speed=cfg["speed"],
        until_s=cfg["end"] + TAIL_S["nodes"] * cfg["speed"], state_dir=cfg["state"],
        ready=ready, detections=detections, on_start=setup,
    )  # fmt: skip
    return {
        "sent": dict(node.sent),
        "received": dict(node.received),
        "refused": dict(node.refused),
        "not_sent": dict(node.not_sent),
        "receipts": [[k[0], k[1], v[0], v[1]] for k, v in probe[0].first.items()],
    }


def _rows(inclusions: list[Inclusion]) -> list:
    return [(i.system_track_id, i.t_ns, i.detection_t_ns) for i in inclusions]


def _plain(x: Any) -> Any:
    return msgspec.json.decode(msgspec.json.encode(x, enc_hook=str))


def run_distributed(
    scenario: Scenario,
    *,
    duration_s: float | None = None,
    speed: float = 1.0,
    workers: int = 1,
    replicas: int = 3,
    servers: int = 3,
    startup_timeout_s: float = 600.0,
) -> dict:
    """Run the benchmark in the distributed form (see the module doc); ``workers`` 0 keeps
    fusion and assessment in the exchange."""
    if speed <= 0:
        raise ValueError(f"speed = {speed:g}: the distributed form runs on the wall clock (> 0)")
    if workers < 0:
        raise ValueError(f"workers = {workers}, expected 0 (in the exchange) or more")
    end = scenario.duration_s if duration_s is None else min(duration_s, scenario.duration_s)
    pol = Policy.from_dict(default_policy(scenario))
    partners = list(pol.partners)
    ctx = mp.get_context("fork")
    tmp = tempfile.TemporaryDirectory(prefix="lookout-bench-picture-nats-")
    work = Path(tmp.name)
    cluster: NatsCluster | NatsServer
    cluster = NatsCluster(partners, size=servers) if servers > 1 else NatsServer(partners)
    cluster.start()
    procs: dict[str, mp.Process] = {}
    try:
        urls = cluster.urls if isinstance(cluster, NatsCluster) else [cluster.url]
        cfg = {
            "scenario": scenario, "speed": speed, "end": end, "workers": workers,
            "replicas": replicas if servers > 1 else 1, "partners": partners, "urls": urls,
            "logins": {u: cluster.login(u) for u in [EXCHANGE, *partners]},
            "start": f"@{work / 'start'}", "audit": str(work / "audit.sqlite"),
            "state": str(work / "state"),
        }  # fmt: skip
        ready = ctx.Queue()

        def spawn(name: str, fn, *args) -> None:
            p = ctx.Process(target=_child, args=(name, fn, work / f"{name}.msgpack",
                                                 lambda n=name: ready.put(n), cfg, *args),
                            name=f"bench-{name}")  # fmt: skip
            p.start()
            procs[name] = p

        spawn("exchange", _exchange)
        _wait_ready(ready, {"exchange"}, procs, work, startup_timeout_s)
        if workers:
            spawn("fusion", _fusion)
            for j in range(workers):
                spawn(f"assessor-{j}", _assessor, j)
        sim = simulate(scenario)
        dets = [d for d in sim.detections if d.t_ns <= s_to_ns(end)]
        del sim
        for p in partners:
            spawn(p, _node, p, [d for d in dets if d.partner == p])
        n_shared = len(dets)
        del dets
        _wait_ready(ready, set(procs) - {"exchange"}, procs, work, startup_timeout_s)
        broker_cpu0, broker_sys0 = _broker_cpu(cluster), _broker_cpu(cluster, "system")
        start = time.time() + 2.0
        (work / "start").write_text(repr(start))
        wall0 = time.perf_counter()
        for p in procs.values():
            p.join()
        wall = time.perf_counter() - wall0
        broker_cpu = [b - a for a, b in zip(broker_cpu0, _broker_cpu(cluster), strict=True)]
        broker_sys = [b - a for a, b in zip(broker_sys0, _broker_cpu(cluster, "system"),
                                            strict=True)]  # fmt: skip
        stored = asyncio.run(_stream_counts(cfg))
        results = {}
        for name in procs:
            path = work / f"{name}.msgpack"
            if not path.exists():
                raise RuntimeError(f"{name}: exited with {procs[name].exitcode}, no result")
            results[name] = msgspec.msgpack.decode(path.read_bytes())
            if "error" in results[name]:
                raise RuntimeError(f"{name} failed:\n{results[name]['error']}")
    finally:
        for p in procs.values():
            if p.is_alive():
                p.terminate()
                p.join(10)
        cluster.close()
        tmp.cleanup()
    return _summary(scenario, results, partners, workers, speed, end, wall, broker_cpu,
                    n_shared, servers, replicas, stored, broker_sys)  # fmt: skip


def _wait_ready(ready, names: set[str], procs, work: Path, timeout_s: float) -> None:
    waiting = set(names)
    deadline = time.monotonic() + timeout_s
    while waiting:
        try:
            waiting.discard(ready.get(timeout=1.0))
        except Exception:  # noqa: BLE001 - queue.Empty: check on the processes
            pass
        for name in list(waiting):
            if not procs[name].is_alive():
                path = work / f"{name}.msgpack"
                error = msgspec.msgpack.decode(path.read_bytes()) if path.exists() else {}
                raise RuntimeError(f"{name} died while starting: {error.get('error', '')}")
        if time.monotonic() > deadline:
            raise TimeoutError(f"not ready after {timeout_s:g} s: {sorted(waiting)}")


def _broker_cpu(cluster, which: str = "all") -> list[float]:
    """CPU seconds of each server so far (see :func:`_clock_ticks`)."""
    servers = cluster.servers if isinstance(cluster, NatsCluster) else [cluster]
    return [_clock_ticks(s._proc.pid, which) if s._proc is not None else 0.0 for s in servers]


async def _stream_counts(cfg: dict) -> dict:
    """Messages and bytes each stream holds at the end, with its storage."""
    import nats

    login = cfg["logins"][EXCHANGE]
    nc = await nats.connect(cfg["urls"], user=login["user"], password=login["password"],
                            inbox_prefix=f"_INBOX.{EXCHANGE}")  # fmt: skip
    out = {}
    try:
        js = nc.jetstream()
        for info in await js.streams_info():
            out[info.config.name] = {
                "messages": info.state.messages,
                "bytes": info.state.bytes,
                "storage": str(getattr(info.config.storage, "value", info.config.storage)),
            }
    finally:
        await nc.close()
    return out


def _summary(scenario, results, partners, workers, speed, end, wall, broker_cpus, n_shared,
             servers, replicas, stored, broker_sys) -> dict:  # fmt: skip
    broker_cpu = sum(broker_cpus)
    source = results["fusion"] if workers else results["exchange"]
    inclusions = [Inclusion(*row) for row in source.get("inclusions", [])]
    ages = {}
    for p in partners:
        receipts = {(r[0], r[1]): (r[2], r[3]) for r in results[p]["receipts"]}
        ages[p] = picture_ages(inclusions, receipts)
    cpu = {
        "nodes": sum(results[p]["cpu_s"] for p in partners),
        "exchange": results["exchange"]["cpu_s"],
        "fusion": results["fusion"]["cpu_s"] if workers else 0.0,
        "assessment": sum(results[f"assessor-{j}"]["cpu_s"] for j in range(workers)),
        "warnings": 0.0,
        "broker": broker_cpu,
    }
    total = sum(cpu.values())
    counters = results["exchange"]["counters"]
    refused = {p: c for p, c in counters["refused"].items() if c}
    return {
        "bus": "nats",
        "servers": servers,
        "replicas": replicas,
        "workers": workers,
        "scenario": scenario.name,
        "sim_s": end,
        "wall_s": round(wall, 2),
        "speed": speed,
        "cpu_s": {k: round(v, 2) for k, v in cpu.items()} | {"total": round(total, 2)},
        "cpu_s_per_scenario_s": {k: round(v / end, 5) for k, v in cpu.items()}
        | {"total": round(total / end, 5)},
        "realtime_per_core": round(end / total, 2) if total > 0 else None,
        "detections": n_shared,
        "detections_included": sum(len(i.detection_t_ns) for i in inclusions),
        "age_clock": "wall",
        "ages": ages,
        "peak_rss_mb": {k: round(v["peak_rss"] / 2**20, 1) for k, v in results.items()},
        "system_tracks": len({i.system_track_id for i in inclusions}),
        "exchange": counters,
        "refused_at_exchange": refused,
        "late_at_exchange": counters["late"],
        # Detections the fusion took after its watermark had passed them (dropped).
        "late_at_fusion": (results["fusion"] if workers else results["exchange"]).get(
            "late_at_fusion"
        ),
        "shed_at_exchange": counters["shed"],
        "nodes": {
            p: {k: results[p][k] for k in ("sent", "received", "refused", "not_sent")}
            for p in partners
        },  # fmt: skip
        "broker_cpu_s": [round(c, 2) for c in broker_cpus],  # per server
        "broker_system_cpu_s": [round(c, 2) for c in broker_sys],  # the kernel's part of it
        "assessors": [
            {k: results[f"assessor-{j}"][k] for k in ("batches", "tracks")}
            | {"cpu_s": round(results[f"assessor-{j}"]["cpu_s"], 2)}
            for j in range(workers)
        ],  # fmt: skip
        "streams": stored,
        # What the exchange took in and published, per subject: [envelopes, bytes].
        "wire": results["exchange"].get("wire", {}),
        "inbound_stored": sum(
            v["messages"]
            for k, v in stored.items()
            if k.startswith("LOOKOUT_IN_") and k[11:] in partners
        ),
    }
