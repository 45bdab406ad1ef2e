"""Where the brokers' CPU goes in the distributed picture (``lookout bench picture --bus nats``).

    python benchmarks/broker_profile.py SCENARIO DURATION_S [--workers N] [--speed S] [--json OUT]
    python benchmarks/broker_profile.py --from BENCH.json

Runs ``lookout.bench.picture_nats.run_distributed`` (or reads a saved ``--json`` of it) and
prints each server's CPU seconds, each stream's storage and what it holds at the end (messages
and bytes: a batch frame is one message), and each assessor's share, beside the stages' CPU.
"""

from __future__ import annotations

import argparse
import json
import sys


def report(r: dict) -> str:
    cpu = r["cpu_s"]
    lines = [
        f"{r['scenario']} {r['sim_s']:g} s, {r['servers']} servers, replicas {r['replicas']}, "
        f"workers {r['workers']}, speed {r['speed']:g}",
        "stages CPU s: " + ", ".join(f"{k} {v:g}" for k, v in cpu.items()),
        "brokers CPU s per server: "
        + ", ".join(f"{c:g}" for c in r.get("broker_cpu_s", []))
        + " (the kernel's part: "
        + ", ".join(f"{c:g}" for c in r.get("broker_system_cpu_s", []))
        + ")",
    ]
    streams = r.get("streams", {})
    if streams:
        lines.append("stream                          storage   messages      bytes")
        for name, s in sorted(streams.items()):
            lines.append(f"{name:<30} {s['storage']:>8} {s['messages']:>10,} {s['bytes']:>10,}")
        lines.append(f"partners' inbound stored messages: {r.get('inbound_stored'):,}")
    for j, a in enumerate(r.get("assessors", [])):
        lines.append(f"assessor {j}: CPU {a['cpu_s']:g} s, batches {a['batches']}, "
                     f"tracks {a['tracks']}")  # fmt: skip
    for p, ages in r["ages"].items():
        t = ages["track"]
        lines.append(f"{p}: track age p50 {t['p50_s']} p99 {t['p99_s']} max {t['max_s']} s")
    lines.append(f"refused {r['refused_at_exchange']}, late {r['late_at_exchange']}, "
                 f"shed {r['shed_at_exchange']}, late at fusion {r['late_at_fusion']}")  # fmt: skip
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("scenario", nargs="?")
    ap.add_argument("duration_s", nargs="?", type=float)
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--speed", type=float, default=1.0)
    ap.add_argument("--json", dest="out", help="also write the figures here")
    ap.add_argument("--from", dest="source", help="a saved `bench picture --bus nats --json`")
    a = ap.parse_args()
    if a.source:
        with open(a.source) as f:
            r = json.load(f)
    else:
        if not a.scenario or a.duration_s is None:
            sys.exit("scenario and duration_s: both needed (or --from FILE)")
        from lookout.bench.picture_nats import run_distributed
        from lookout.scenario import ScenarioError, load

        try:
            sc = load(a.scenario)
        except ScenarioError as e:
            sys.exit(f"scenario = {a.scenario!r}: {e}")
        r = run_distributed(sc, duration_s=a.duration_s, speed=a.speed, workers=a.workers)
    if a.out:
        with open(a.out, "w") as f:
            json.dump(r, f)
    print(report(r))


if __name__ == "__main__":
    main()
