"""Benchmark: how much faster than real time a scenario simulates (the baseline is the clock).

Guidance is solved first and remembered (``lookout.flight.plancache``), so the timed part is what
every run repeats: flying the planned launches and letting every sensor look, into ``Detection``
messages. The time to solve the plans cold is reported apart, from the first call when the cache
was empty, else as cached.
"""

from __future__ import annotations

import time

from lookout.scenario import load
from lookout.simulate import plan_launches, simulate


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
        "plan_s_first_call": plan_s,
    }
