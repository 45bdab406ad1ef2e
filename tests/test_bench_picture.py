"""The picture benchmark's stage clock (``lookout.bench.picture.StageClock``)."""

from __future__ import annotations

import pytest

from lookout.bench.picture import StageClock


class FakeClocks:
    """A wall clock moved by hand and a CPU clock that runs at ``busy`` of it."""

    def __init__(self, busy: float) -> None:
        self.t, self.busy = 0.0, busy

    def wall(self) -> float:
        return self.t

    def cpu(self) -> float:
        return self.busy * self.t


def test_the_stage_clock_shares_each_periods_cpu_by_wall_time_nested_stages_apart():
    c = FakeClocks(busy=0.5)  # preempted half the time
    clock = StageClock(wall=c.wall, cpu=c.cpu)
    c.t = 1.0  # before the first period: nobody's
    clock.start()
    clock.enter("exchange")
    c.t += 2.0
    clock.enter("fusion")  # nested: its time is its own
    c.t += 4.0
    clock.leave()
    c.t += 1.0
    clock.leave()
    c.t += 1.0  # in no stage: the caller's "other"
    clock.settle()
    assert clock.cpu == pytest.approx({"exchange": 1.5, "fusion": 2.0})
    c.t += 10.0  # asleep between periods
    clock.start()
    clock.enter("nodes")
    c.t += 2.0
    clock.settle()  # a stage still open at the period's end: its time so far
    c.t += 2.0
    clock.leave()
    clock.settle()
    assert clock.cpu == pytest.approx({"exchange": 1.5, "fusion": 2.0, "nodes": 2.0})
