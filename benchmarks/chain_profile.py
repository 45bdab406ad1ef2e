"""Where the embedded chain's CPU goes, by stage and by function (issue 16, perf60): a CPU-clock
sampler of ``lookout bench picture``'s main process (py-spy and pyinstrument are not installed
here; cProfile's per-call cost makes small calls look two to four times their size).

    PYTHONPATH=TREE .venv/bin/python benchmarks/chain_profile.py run OUT.pkl \\
        [--scenario mass-raid] [--duration-s 300] [--interval-ms 3]
    PYTHONPATH=TREE .venv/bin/python benchmarks/chain_profile.py show OUT.pkl \\
        [--stage nodes|exchange|fusion|other] [--under FILE:FUNCTION] [--top 40]

``run`` simulates the scenario (not sampled), then runs the embedded chain
(``bench.picture.run_embedded``) with a ``SIGPROF`` timer every ``interval`` ms of the
process's CPU; each sample keeps its Python stack. It prints the bench's own figures (JSON) and
writes the samples. The assessment child is another process and not sampled
(``benchmarks/assess_batches.py`` replays its batches). A numba kernel's time shows up where
it boxes its result (``numba/core/serialize.py:_numba_unpickle``, the first Python code the
handler runs after it), attributed to the caller one frame up.

``show`` prints the samples by stage (the innermost of the bench's timed stages on a sample's
stack: a node's ``step`` or ``_on_message``, the exchange's ``handle``, the picture's
``ingest`` or ``flush``; ``other`` is the loop and the bus), then each function's inclusive and
own share of the samples (of ``--stage``'s only, if given), and with ``--under`` the share of
each function that one calls directly.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import pickle
import signal
import time
from collections import Counter

#: The bench's timed stages, by (file suffix, function): the innermost on a stack is its stage.
STAGE_OF = {
    ("node.py", "step"): "nodes",
    ("node.py", "_on_message"): "nodes",
    ("exchange/exchange.py", "handle"): "exchange",
    ("exchange/exchange.py", "_flush_audit"): "exchange",
    ("picture/common.py", "ingest"): "fusion",
    ("picture/common.py", "flush"): "fusion",
}


def _where(code) -> tuple[str, str]:
    return code.co_filename.split("/lookout/")[-1], code.co_name


def run(out: str, scenario: str, duration_s: float, interval_ms: float) -> dict:
    from lookout.bench.picture import run_embedded
    from lookout.scenario.parse import load
    from lookout.simulate import simulate

    sc = load(scenario)
    sim = simulate(sc)
    stacks: Counter[tuple] = Counter()

    def sample(signum, frame) -> None:
        stack = []
        while frame is not None:
            stack.append(_where(frame.f_code))
            frame = frame.f_back
        stacks[tuple(stack)] += 1

    signal.signal(signal.SIGPROF, sample)
    signal.setitimer(signal.ITIMER_PROF, interval_ms / 1e3, interval_ms / 1e3)
    cpu0 = time.process_time()
    try:
        result = asyncio.run(run_embedded(sc, duration_s=duration_s, sim=sim))
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0.0, 0.0)
    cpu = time.process_time() - cpu0
    with open(out, "wb") as f:
        pickle.dump({"stacks": dict(stacks), "cpu_s": cpu}, f)
    d = result.to_dict()
    keep = ("scenario", "sim_s", "wall_s", "cpu_s", "cpu_s_per_scenario_s", "realtime_per_core",
            "detections_included", "system_tracks")  # fmt: skip
    return {k: d[k] for k in keep} | {"main_process_cpu_s": round(cpu, 2),
                                      "samples": sum(stacks.values())}  # fmt: skip


def stage_of(stack: tuple) -> str:
    for where in stack:  # innermost first
        stage = STAGE_OF.get(where)
        if stage is not None:
            return stage
    return "other"


def show(path: str, stage: str | None, under: str | None, top: int) -> None:
    with open(path, "rb") as f:
        saved = pickle.load(f)
    stacks: dict[tuple, int] = saved["stacks"]
    total = sum(stacks.values())
    by_stage: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    own: Counter[str] = Counter()
    children: Counter[str] = Counter()
    for stack, n in stacks.items():
        s = stage_of(stack)
        by_stage[s] += n
        if stage is not None and s != stage:
            continue
        names = [f"{f}:{fn}" for f, fn in stack]
        for name in set(names):
            inclusive[name] += n
        own[names[0]] += n
        if under is not None and under in names:
            i = names.index(under)
            children[names[i - 1] if i > 0 else "(own)"] += n
    base = by_stage[stage] if stage is not None else total
    cpu = saved["cpu_s"]
    print(f"{total} samples, {cpu:.2f} CPU s of the main process")
    print("by stage:", {k: f"{v / total:.3f}" for k, v in by_stage.most_common()})
    print(f"inclusive, share of {stage or 'all'} ({base} samples; frames on every one left out):")
    for name, n in [(k, v) for k, v in inclusive.most_common() if v < base][:top]:
        print(f"  {100 * n / base:5.1f} %  {name}")
    print("own:")
    for name, n in own.most_common(top // 2):
        print(f"  {100 * n / base:5.1f} %  {name}")
    if under is not None:
        print(f"called by {under} (share of {stage or 'all'}):")
        for name, n in children.most_common(top // 2):
            print(f"  {100 * n / base:5.1f} %  {name}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run")
    r.add_argument("out")
    r.add_argument("--scenario", default="mass-raid")
    r.add_argument("--duration-s", type=float, default=300.0)
    r.add_argument("--interval-ms", type=float, default=3.0)
    s = sub.add_parser("show")
    s.add_argument("path")
    s.add_argument("--stage", choices=["nodes", "exchange", "fusion", "other"], default=None)
    s.add_argument("--under", default=None, help="FILE:FUNCTION, e.g. tracking/tracker.py:_predict")
    s.add_argument("--top", type=int, default=40)
    a = ap.parse_args()
    from lookout.errors import LookoutError

    if a.cmd == "run":
        if a.interval_ms <= 0:
            ap.error(f"--interval-ms {a.interval_ms}: must be above 0")
        if a.duration_s <= 0:
            ap.error(f"--duration-s {a.duration_s}: must be above 0")
        try:
            print(json.dumps(run(a.out, a.scenario, a.duration_s, a.interval_ms)))
        except (LookoutError, OSError) as e:
            ap.error(str(e))
    else:
        try:
            show(a.path, a.stage, a.under, a.top)
        except OSError as e:
            ap.error(f"path {a.path!r}: {e.strerror or e}")
        except (pickle.UnpicklingError, EOFError, KeyError, TypeError) as e:
            ap.error(f"path {a.path!r}: not samples written by `run` ({type(e).__name__}: {e})")


if __name__ == "__main__":
    main()
