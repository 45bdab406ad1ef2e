"""The brokers' CPU under the distributed picture's traffic, without the trackers.

    python benchmarks/broker_load.py [--seconds 60] [--step-hz 5] [--frames-per-step 1] [--json OUT]

``lookout bench picture --bus nats`` needs the whole chain at real time, which a loaded machine
cannot give (the nodes fall behind and send nothing). This replays its broker traffic through
the same code (a three-server JetStream cluster on loopback, ``NatsBus`` with the streams,
consumers, linger and core subjects the bench sets) from one process, at fixed rates:

- each partner node: ``--step-hz`` steps a second, each a detection batch, a local-track batch
  and a heartbeat (``--det-bytes``, ``--track-bytes``, 200 B) in one mixed frame (2 ms linger)
  into its file stream ``LOOKOUT_IN_P``; it reads ``LOOKOUT_OUT_P`` through its durable consumer;
  ``--frames-per-step`` below 1 sends that share of the steps' frames, evenly spread, the others
  nothing (nodes that send only steps with news: mass-raid's share in ``docs/benchmarks.md``);
- the exchange: durable consumers on every inbound stream, acked after its releases are acked
  (``before_ack`` = its bus's flush, as the exchange's audit commit), with an intake as the
  exchange's (their state in the servers' memory, ``lookout.exchange.intake``); each envelope
  released to the two other partners and handed to the fusion on core NATS; every second a
  system-track batch (``--picture-bytes``) to every partner;
- the fusion, every second, one message to the assessor (core), which sends a system-track batch
  into ``LOOKOUT_IN_PICTURE-0`` (memory stream).

Mass-raid's 180 s at real time stored some 5 inbound and 12 outbound messages a second per
partner (docs/history/benchmarks-log.md); the defaults give 5 and about 6-11. Prints each
server's CPU (and the kernel's part) over the window, per second of it. ``--sync-interval`` and
``--consumer-memory`` change one thing for attribution (neither is the deployed setting);
``--consumer-file`` keeps the exchange's consumers' state on file, as before the intake.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import time

from lookout.exchange.intake import Intake
from lookout.exchange.nats import NatsBus
from lookout.exchange.nats.config import EXCHANGE
from lookout.exchange.nats.server import NatsCluster

PARTNERS = ["JP", "KR", "US"]


def _cpu(pid: int) -> tuple[float, float]:
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    tck = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / tck, int(fields[12]) / tck


async def run(a: argparse.Namespace, cluster: NatsCluster) -> dict:
    from lookout.app.picture_workers import CORE_SUBJECTS, exchange_streams

    urls = cluster.urls
    ex = NatsBus(urls, **cluster.login(EXCHANGE), partners=PARTNERS, manage_streams=True,
                 replicas=3, streams=exchange_streams(PARTNERS, 1), core=CORE_SUBJECTS,
                 linger_s=0.002, mix_subjects=True, pull_batch=64, ack_wait_s=60.0)  # fmt: skip
    await ex.connect()
    work = NatsBus(urls, **cluster.login(EXCHANGE), name="lookout-workers", streams=(),
                   core=CORE_SUBJECTS, linger_s=0.002, pull_batch=64, ack_wait_s=60.0)  # fmt: skip
    nodes = {p: NatsBus(urls, **cluster.login(p), linger_s=0.002, mix_subjects=True)
             for p in PARTNERS}  # fmt: skip
    got = {"exchange": 0, "fusion": 0, "assessor": 0, **{p: 0 for p in PARTNERS}}

    async def exchange_in(subject: str, data: bytes) -> None:
        got["exchange"] += 1
        parts = subject.split(".")
        sender, kind = parts[2], parts[-1]
        if sender in PARTNERS:
            for r in PARTNERS:
                if r != sender:
                    await ex.publish(f"lookout.out.{r}.{kind}", data)
            await ex.publish(f"lookout.fuse.{sender}.{kind}", data)

    intake = None if a.consumer_file else Intake()
    await ex.subscribe("lookout.in.>", exchange_in, durable="lookout-exchange",
                       before_ack=ex.flush, intake=intake)  # fmt: skip

    async def fusion_in(subject: str, data: bytes) -> None:
        got["fusion"] += 1

    async def assessor_in(subject: str, data: bytes) -> None:
        got["assessor"] += 1
        await work.publish("lookout.in.PICTURE-0.system_track_batch", os.urandom(a.picture_bytes))

    await work.subscribe("lookout.fuse.>", fusion_in)
    await work.subscribe("lookout.assess.0", assessor_in)
    for p, bus in nodes.items():

        async def node_in(subject: str, data: bytes, p: str = p) -> None:
            got[p] += 1

        await bus.subscribe(f"lookout.out.{p}.>", node_in, durable=p)

    async def node_loop(p: str) -> None:
        bus = nodes[p]
        period = 1.0 / a.step_hz
        t = time.monotonic()
        share = 0.0
        while not stop.is_set():
            share += a.frames_per_step
            if share >= 1.0:
                share -= 1.0
                await bus.publish(f"lookout.in.{p}.detection_batch", os.urandom(a.det_bytes))
                await bus.publish(f"lookout.in.{p}.local_track_batch", os.urandom(a.track_bytes))
                await bus.publish(f"lookout.in.{p}.heartbeat", os.urandom(200))
            t += period
            await asyncio.sleep(max(0.0, t - time.monotonic()))

    async def second_loop() -> None:
        t = time.monotonic()
        while not stop.is_set():
            for r in PARTNERS:
                await ex.publish(f"lookout.out.{r}.system_track_batch", os.urandom(a.picture_bytes))
            await work.publish("lookout.assess.0", os.urandom(a.picture_bytes))
            t += 1.0
            await asyncio.sleep(max(0.0, t - time.monotonic()))

    stop = asyncio.Event()
    tasks = [asyncio.create_task(node_loop(p)) for p in PARTNERS]
    tasks.append(asyncio.create_task(second_loop()))
    await asyncio.sleep(a.warmup)
    pids = [s._proc.pid for s in cluster.servers]
    c0 = [_cpu(pid) for pid in pids]
    got0 = dict(got)
    w0 = time.monotonic()
    await asyncio.sleep(a.seconds)
    c1 = [_cpu(pid) for pid in pids]
    wall = time.monotonic() - w0
    got1 = dict(got)
    stop.set()
    await asyncio.gather(*tasks)
    for bus in [*nodes.values(), work, ex]:
        await bus.flush()
    stats = {"exchange": ex.stats, "workers": work.stats, **{p: b.stats for p, b in nodes.items()}}
    out_stats = {k: {"published": s.published, "frames": s.frames, "failed": s.failed}
                 for k, s in stats.items()}  # fmt: skip
    for bus in [*nodes.values(), work, ex]:
        await bus.close()
    cpu = [b[0] - x[0] for x, b in zip(c0, c1, strict=True)]
    sys_ = [b[1] - x[1] for x, b in zip(c0, c1, strict=True)]
    return {
        "seconds": round(wall, 2),
        "broker_cpu_s": [round(c, 2) for c in cpu],
        "broker_system_cpu_s": [round(c, 2) for c in sys_],
        "broker_cpu_per_s": round(sum(cpu) / wall, 4),
        "received_per_s": {k: round((got1[k] - got0[k]) / wall, 2) for k in got},
        "buses": out_stats,
    }


def _consumers_in_memory() -> None:
    import lookout.exchange.nats.api as api

    create = api.create_consumer

    def in_memory(*args, **kwargs):
        subject, body = create(*args, **kwargs)
        req = json.loads(body)
        req["config"]["mem_storage"] = True
        return subject, json.dumps(req).encode()

    api.create_consumer = in_memory


def main(argv: list[str] | None = None) -> None:
    from lookout.errors import LookoutError

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--warmup", type=float, default=10.0)
    ap.add_argument("--step-hz", type=float, default=5.0)
    ap.add_argument("--frames-per-step", type=float, default=1.0)
    ap.add_argument("--det-bytes", type=int, default=3000)
    ap.add_argument("--track-bytes", type=int, default=2000)
    ap.add_argument("--picture-bytes", type=int, default=4000)
    ap.add_argument(
        "--sync-interval",
        default="always",
        help="the servers' JetStream sync_interval (attribution: 'always' is deployed)",
    )
    ap.add_argument(
        "--consumer-memory",
        action="store_true",
        help="attribution: every durable consumer's state in memory (mem_storage); "
        "the exchange's on the file streams are so deployed (with their intake)",
    )
    ap.add_argument(
        "--consumer-file",
        action="store_true",
        help="the exchange's consumers' state on file, as before the intake (comparison)",
    )
    ap.add_argument("--json", dest="out")
    a = ap.parse_args(argv)
    for name in ("seconds", "step_hz", "warmup", "det_bytes", "track_bytes", "picture_bytes"):
        v = getattr(a, name)
        if not v > 0 and not (name == "warmup" and v == 0):
            raise LookoutError(f"--{name.replace('_', '-')} = {v}: expected > 0")
    if not 0.0 < a.frames_per_step <= 1.0:
        raise LookoutError(f"--frames-per-step = {a.frames_per_step}: expected in (0, 1]")
    si = a.sync_interval
    if si != "always" and not (si[-1:] in "smh" and si[:-1].replace(".", "", 1).isdigit()):
        raise LookoutError(f"--sync-interval = {si!r}: expected 'always' or e.g. '1s', '2m'")
    if a.consumer_memory:
        _consumers_in_memory()
    with NatsCluster(PARTNERS, sync_interval=a.sync_interval) as cluster:
        r = asyncio.run(run(a, cluster))
    if a.out:
        with open(a.out, "w") as f:
            json.dump(r, f)
    print(json.dumps(r))


if __name__ == "__main__":
    import sys

    from lookout.cli.common import run_script

    run_script(main, sys.argv[1:])
