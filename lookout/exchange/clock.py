"""Clocks the exchange reads instead of the wall: int nanoseconds."""

from __future__ import annotations

import time
from typing import Protocol

from lookout.timebase import s_to_ns


class Clock(Protocol):
    """Anything with ``now_ns()``: the current time in integer nanoseconds."""

    def now_ns(self) -> int: ...


class SimClock:
    """A clock that moves only when told: for tests, simulations and replays."""

    def __init__(self, t_ns: int = 0) -> None:
        self.t_ns = int(t_ns)

    def now_ns(self) -> int:
        return self.t_ns

    def set(self, t_ns: int) -> None:
        self.t_ns = int(t_ns)

    def advance(self, dt_ns: int) -> None:
        self.t_ns += int(dt_ns)


class WallClock:
    """Real time in ns from ``epoch_ns`` (a UTC ``time.time_ns()`` value; 0: the Unix epoch)."""

    def __init__(self, epoch_ns: int = 0) -> None:
        self.epoch_ns = int(epoch_ns)

    def now_ns(self) -> int:
        return time.time_ns() - self.epoch_ns


class ScenarioClock:
    """Scenario time from the wall: ``speed`` times the seconds since the Unix time
    ``start_unix_s`` at which the scenario's epoch is played (every process of a distributed run
    is given the same start, so their clocks agree to the hosts' clock sync)."""

    def __init__(self, start_unix_s: float, speed: float = 1.0) -> None:
        self.start_ns = s_to_ns(start_unix_s)
        self.speed = float(speed)

    def set_start(self, start_unix_s: float) -> None:
        """Play the scenario's epoch at ``start_unix_s`` (when it was not known at creation)."""
        self.start_ns = s_to_ns(start_unix_s)

    def now_ns(self) -> int:
        return round((time.time_ns() - self.start_ns) * self.speed)
