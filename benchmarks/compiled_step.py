"""The compiled flight step against the numpy one, in the same run (issue 16).

Runs each command below twice per round, once with ``LOOKOUT_NUMPY_STEP=1`` (the numpy step,
the baseline) and once without (the compiled step), alternating, each in a fresh process under
``/usr/bin/time`` for its CPU seconds and peak resident memory, and prints one JSON line per
run and a table of medians:

- ``lookout bench flight --json`` (propagation alone);
- ``lookout bench plan --no-baseline --fly-runs 3 --json`` (cold planning of every shipped
  scenario, ``lookout fly`` without a vehicle as fresh processes);
- ``lookout bench picture --scenario mass-raid --duration-s 300 --json`` (the embedded chain);
- ``lookout fly`` without a vehicle (``lookout.bench.plan.FLY_ARGS``) with an empty plan cache.

    .venv/bin/python benchmarks/compiled_step.py [--rounds 1] [--only flight,plan,picture,fly]

Plans are cached per step kind (``lookout.flight.plancache``), in a fresh directory per run
except where a command empties it itself. The numba compilation is done before the first
round (``lookout.physics.compiled.warm``): it happens once per install, not per run.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from lookout.bench.plan import FLY_ARGS

BIN = Path(sys.executable).parent
COMMANDS = {
    "flight": [str(BIN / "lookout"), "bench", "flight", "--json"],
    "plan": [str(BIN / "lookout"), "bench", "plan", "--no-baseline", "--fly-runs", "3", "--json"],
    "picture": [
        str(BIN / "lookout"),
        "bench",
        "picture",
        "--scenario",
        "mass-raid",
        "--duration-s",
        "300",
        "--json",
    ],  # fmt: skip
    "fly": [str(BIN / "lookout"), *FLY_ARGS],
}


def _run(name: str, numpy_step: bool) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, LOOKOUT_CACHE_DIR=str(Path(tmp) / "plans"))
        env["LOOKOUT_NUMPY_STEP"] = "1" if numpy_step else "0"
        timing = Path(tmp) / "time"
        cmd = ["/usr/bin/time", "-o", str(timing), "-f", "%U %S %M %e", *COMMANDS[name]]
        out = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True).stdout
        user, system, rss_kb, wall = timing.read_text().split()[-4:]
    row = {
        "command": name,
        "step": "numpy" if numpy_step else "compiled",
        "cpu_s": float(user) + float(system),
        "wall_s": float(wall),
        "peak_rss_mb": int(rss_kb) / 1024,
    }
    if name != "fly":
        row["figures"] = json.loads(out[out.index("{") :])
    return row


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=1)
    ap.add_argument("--only", default=",".join(COMMANDS))
    args = ap.parse_args()
    from lookout.physics import compiled

    compiled.warm()
    rows = []
    for _ in range(args.rounds):
        for name in args.only.split(","):
            for numpy_step in (True, False):
                row = _run(name, numpy_step)
                print(json.dumps(row), flush=True)
                rows.append(row)
    print(f"{'command':10} {'step':9} {'CPU s':>8} {'wall s':>8} {'peak RSS MB':>12}")
    for name in args.only.split(","):
        for step in ("numpy", "compiled"):
            mine = [r for r in rows if r["command"] == name and r["step"] == step]
            cpu = statistics.median(r["cpu_s"] for r in mine)
            wall = statistics.median(r["wall_s"] for r in mine)
            rss = max(r["peak_rss_mb"] for r in mine)
            print(f"{name:10} {step:9} {cpu:8.2f} {wall:8.2f} {rss:12.0f}")


if __name__ == "__main__":
    main()
