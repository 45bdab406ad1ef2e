"""What the embedded chain's main process allocates between scenario instants and still holds
(issue 16: memory must not grow after the raid's peak), by the lines that allocated it.

    .venv/bin/python benchmarks/memory_growth.py SCENARIO END_S TRACE_FROM_S T1,T2[,...] OUT
    .venv/bin/python -c "import tracemalloc as t; a, b = (t.Snapshot.load(f) for f in
        ('OUT-600.snap', 'OUT-900.snap')); [print(s) for s in b.compare_to(a, 'lineno')[:30]]"

Runs ``lookout bench picture``'s embedded run (``run_embedded``, the benchmark's probes included)
as fast as possible; ``tracemalloc`` (6 frames) starts at ``TRACE_FROM_S`` (tracing slows the
loop some threefold: start it late), and at each of ``T1, T2, ...`` (s of scenario) a
collection and a snapshot are written to ``OUT-<t>.snap``. E.g. mass-raid 900 600 600.2,750,900:
what was allocated after 600 s and is still held at 750 and at 900 s.
"""

from __future__ import annotations

import asyncio
import gc
import sys
import time
import tracemalloc


def main(argv: list[str]) -> None:
    from lookout.app import coalition
    from lookout.bench import picture
    from lookout.scenario import ScenarioError
    from lookout.scenario.parse import load

    if len(argv) != 5:
        sys.exit("usage: memory_growth.py SCENARIO END_S TRACE_FROM_S T1,T2[,...] OUT")
    name, out = argv[0], argv[4]
    try:
        end, trace_from = float(argv[1]), float(argv[2])
        instants = [float(x) for x in argv[3].split(",")]
    except ValueError as e:
        sys.exit(f"error: END_S, TRACE_FROM_S and T1,T2,... must be seconds: {e}")
    try:
        scenario = load(name)
    except ScenarioError as e:
        sys.exit(f"error: {e}")
    step, done = coalition.Coalition.step, set()

    async def traced_step(self, feed, t_s):
        await step(self, feed, t_s)
        if t_s >= trace_from and not tracemalloc.is_tracing():
            tracemalloc.start(6)
        for t in instants:
            if t not in done and t_s >= t:
                done.add(t)
                gc.collect()
                snap = tracemalloc.take_snapshot()
                held = sum(s.size for s in snap.traces) / 2**20
                rss = picture.rss_bytes() / 2**20
                print(f"t={t:g} s: RSS {rss:.1f} MB, traced {held:.1f} MB, "
                      f"{time.strftime('%H:%M:%S')}", flush=True)  # fmt: skip
                snap.dump(f"{out}-{int(t)}.snap")

    coalition.Coalition.step = traced_step
    asyncio.run(picture.run_embedded(scenario, duration_s=end, speed=0))


if __name__ == "__main__":  # the assessment's child is spawned: it imports this module
    main(sys.argv[1:])
