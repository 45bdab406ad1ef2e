"""Where the exchange's intake stands in each inbound stream: what it has taken, and where a
durable consumer that lost its place starts again.

The exchange reads each partner's inbound stream (on file, replicated: the record) through a
durable consumer whose state the broker keeps in memory only (half the brokers' work is
otherwise the consumers' acks written and fsynced on every server: docs/benchmarks.md). A
whole-cluster restart loses that state: a lone server forgets the consumer, a cluster brings it
back at its configured start. :class:`Intake` is what the exchange knows instead:

- in this process: every stream message it has handled (a floor below which all are, and the
  ones above it), so that what a consumer created again delivers a second time is acked, not
  handled again;
- from the audit log (:meth:`restore`): the stream sequence of every message whose envelopes
  all have their row (the column ``stream_seq``), so that a restarted exchange whose consumer
  was lost meanwhile starts at the first message without one.

Pure bookkeeping: the bus (:class:`~.nats.bus.NatsBus`) asks it and tells it; nothing here
speaks to a broker.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field

log = logging.getLogger(__name__)

#: Stream messages handled out of order kept above a stream's floor before the floor is moved
#: up to them (only a consumer that never redelivers a gap could leave that many).
MAX_ABOVE = 100_000


@dataclass
class _Marks:
    floor: int = 0  # every message up to it taken care of
    above: set[int] = field(default_factory=set)  # handled, above the floor
    high: int = 0  # the highest handled


class Intake:
    """The inbound streams' messages handled, per stream; see the module docstring."""

    def __init__(self) -> None:
        self._live: dict[str, _Marks] = {}
        self._recorded: dict[str, _Marks] = {}

    def restore(self, records: Iterable[tuple[str, int]]) -> int:
        """Take ``(stream, stream_seq)`` of the messages the audit log has every row of
        (oldest first); returns how many. Where a consumer lost meanwhile starts again: at the
        first message missing above the first recorded (one handed out before a crash and not
        handled yet), else after the highest."""
        seqs: dict[str, set[int]] = {}
        n = 0
        for stream, seq in records:
            seqs.setdefault(stream, set()).add(seq)
            n += 1
        for stream, have in seqs.items():
            marks = _Marks(min(have) - 1, have, max(have))
            self._advance(marks)  # the floor up to the first missing one
            self._recorded[stream] = marks
        return n

    def start(self, stream: str) -> int | None:
        """The stream sequence a consumer created anew on ``stream`` starts at: the first
        message not yet handled; None when nothing of the stream was ever recorded."""
        marks = self._live.get(stream) or self._recorded.get(stream)
        return None if marks is None else marks.floor + 1

    def high(self, stream: str) -> int:
        """The highest stream sequence of ``stream`` handled (in this process or recorded)."""
        marks = [m.high for m in (self._live.get(stream), self._recorded.get(stream)) if m]
        return max(marks, default=0)

    def begin(self, stream: str, floor: int) -> None:
        """A consumer on ``stream`` delivers from ``floor`` + 1: everything up to it is taken
        care of (acked, or handled as the record says), what this process handled above it
        stays marked (and so does what the record has, when starting where it says)."""
        old = self._live.get(stream) or self._recorded.get(stream) or _Marks()
        above = {s for s in old.above if s > floor}
        self._live[stream] = _Marks(floor, above, max(old.high, floor))
        self._advance(self._live[stream])

    def done(self, stream: str, seq: int) -> bool:
        """Whether message ``seq`` of ``stream`` was handled (or acked) already."""
        marks = self._live.get(stream)
        return marks is not None and (seq <= marks.floor or seq in marks.above)

    def note(self, stream: str, seq: int) -> None:
        """Message ``seq`` of ``stream`` is handled."""
        marks = self._live.setdefault(stream, _Marks(seq - 1))
        if seq <= marks.floor:
            return
        marks.above.add(seq)
        marks.high = max(marks.high, seq)
        self._advance(marks)
        if len(marks.above) > MAX_ABOVE:
            log.warning("intake %s: %d messages handled above a gap at %d; moving past it",
                        stream, len(marks.above), marks.floor + 1)  # fmt: skip
            marks.floor = min(marks.above) - 1
            self._advance(marks)

    @staticmethod
    def _advance(marks: _Marks) -> None:
        while marks.floor + 1 in marks.above:
            marks.floor += 1
            marks.above.discard(marks.floor)

    def forget(self, stream: str) -> None:
        """``stream`` was created anew (lost, and its sequences start again at 1)."""
        self._live.pop(stream, None)
        self._recorded.pop(stream, None)
