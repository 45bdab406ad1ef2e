"""Benchmarks behind ``lookout bench``; each compares against a named baseline in the same run."""

import time
from collections.abc import Callable


def best_of(fn: Callable[[], object], repeat: int) -> float:
    """The shortest wall time (s) of ``repeat`` calls of ``fn``: the least disturbed by a busy
    machine."""
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)
