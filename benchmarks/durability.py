"""The cost of durability (issue 15): JetStream fsync on every write against NATS's default (a
sync every two minutes), and the audit log's fsync at every commit against none.

    .venv/bin/python benchmarks/durability.py --n 20000

Both against their baseline in the same run, on the same machine: JetStream, ``n`` acked
publishes of 600 bytes (a signed detection batch's size) through one ``NatsBus`` (pipelined, as
the nodes publish), to a server with ``sync_interval: always`` and to one with ``2m``; the audit
log, ``bench_audit`` with SQLite ``synchronous`` FULL and NORMAL. Prints one JSON object with the
rates and their ratios.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
from pathlib import Path

from lookout.exchange.audit import bench_audit
from lookout.exchange.nats import NatsBus
from lookout.exchange.nats.config import EXCHANGE
from lookout.exchange.nats.server import NatsServer


async def _publish(server: NatsServer, n: int, linger_s: float) -> float:
    ex = NatsBus(server.url, **server.login(EXCHANGE), partners=server.partners,
                 manage_streams=True)  # fmt: skip
    kr = NatsBus(server.url, **server.login("KR"), linger_s=linger_s)
    async with ex, kr:
        blob = bytes(590)
        for i in range(200):  # warm up
            await kr.publish("lookout.in.KR.detection_batch", b"w%09d" % i + blob)
        await kr.flush()
        t0 = time.perf_counter()
        for i in range(n):
            await kr.publish("lookout.in.KR.detection_batch", b"%010d" % i + blob)
        await kr.flush()
        return n / (time.perf_counter() - t0)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=20_000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    out: dict = {"n": args.n}
    for linger in (0.0, 0.002):
        rates: dict[str, list[float]] = {"always": [], "2m": []}
        for _ in range(args.repeat):
            for sync in ("always", "2m"):  # interleaved, so load changes hit both
                with NatsServer(["KR", "JP", "US"], sync_interval=sync) as server:
                    rates[sync].append(asyncio.run(_publish(server, args.n, linger)))
        best = {k: max(v) for k, v in rates.items()}
        key = "unbatched" if linger == 0 else "linger_2ms"
        out[f"jetstream_{key}_per_s"] = {k: round(v) for k, v in best.items()}
        out[f"jetstream_{key}_always_over_2m"] = round(best["always"] / best["2m"], 3)
    with tempfile.TemporaryDirectory() as tmp:
        audit = bench_audit(Path(tmp) / "a.db", n=args.n)
    out["audit_per_s"] = {k: round(v) for k, v in audit.items() if k.endswith("_per_s")}
    out["audit_full_over_normal"] = round(
        audit["batched_full_per_s"] / audit["batched_normal_per_s"], 3
    )
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
