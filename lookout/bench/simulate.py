"""Benchmark: how much faster than real time a scenario simulates (the baseline is the clock).

Guidance is solved first and remembered (``lookout.flight.plancache``), so the timed part is what
every run repeats: flying the planned launches and letting every sensor look, into ``Detection``
messages. Writing the JSONL files is timed apart, and so is solving the plans (cold only on the
first call on a machine; cached after).
"""

from __future__ import annotations

import tempfile
import time

from lookout.scenario import load
from lookout.simulate import plan_launches, simulate, write


def run(scenario: str = "mass-raid", repeat: int = 3) -> dict:
    """Time ``simulate`` on ``scenario``; the best of ``repeat`` runs."""
    sc = load(scenario)
    t = time.perf_counter()
    plan_launches(sc)
    plan_s = time.perf_counter() - t
    best = None
    for _ in range(repeat):
        t = time.perf_counter()
        sim = simulate(sc)
        wall = time.perf_counter() - t
        if best is None or wall < best[0]:
            best = (wall, sim)
    wall, sim = best
    n = len(sim.detections)
    with tempfile.TemporaryDirectory() as folder:
        t = time.perf_counter()
        write(sim, folder)
        write_s = time.perf_counter() - t
    return {
        "scenario": sc.name,
        "launches": len(sc.launches),
        "objects": len(sim.trajectories),
        "sensors": len(sim.sensors),
        "sim_s": sc.duration_s,
        "wall_s": wall,
        "realtime_factor": sc.duration_s / wall,
        "detections": n,
        "false_alarms": sum(label is None for label in sim.labels),
        "detections_per_s": n / wall,
        "fly_s": sim.timings["fly_s"],
        "sense_s": sim.timings["sense_s"],
        "write_jsonl_s": write_s,
        "realtime_factor_with_files": sc.duration_s / (wall + write_s),
        "plan_s_first_call": plan_s,
    }
