"""``lookout bench flight``: propagation speed of the flight model.

Baseline: the same batch of flights propagated one at a time (one call per flight), in the same
run. Reported: seconds per 60-minute-class ICBM flight alone, seconds for the batch, seconds per
flight in the batch, and the speed-up of batching.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from lookout.bench import best_of
from lookout.flight import Launch, fly
from lookout.physics.vehicles import vehicle


def _icbm(i: int = 0) -> Launch:
    # A lofted solid ICBM like the 18 Dec 2023 test: about 73 minutes of flight.
    return Launch(
        f"icbm-{i}",
        vehicle("icbm-solid-3stage"),
        np.radians(39.03),
        np.radians(125.75),
        np.radians(66.0 + 0.1 * i),
        np.radians(5.3),
        cutoff_s=167.7,
    )


def run(repeat: int = 5, batch: int = 40) -> dict:
    one = _icbm()
    trs = fly([one], debris=False)
    flight_s = trs[0].t[-1] - trs[0].t[0]
    launches = [replace(_icbm(i), launch_time=7.5 * i) for i in range(batch)]
    single = best_of(lambda: fly([one], debris=False), repeat)
    batched = best_of(lambda: fly(launches, debris=False), max(1, repeat // 2))
    looped = best_of(lambda: [fly([x], debris=False) for x in launches], 1)
    with_debris = best_of(lambda: fly([one], debris=True), repeat)
    return {
        "flight_duration_s": float(flight_s),
        "one_flight_s": single,
        "one_flight_with_spent_stages_s": with_debris,
        "batch_flights": batch,
        "batch_s": batched,
        "batch_per_flight_s": batched / batch,
        "baseline_one_at_a_time_s": looped,
        "batch_speedup": looped / batched,
        "faster_than_real_time": float(flight_s) / single,
    }
