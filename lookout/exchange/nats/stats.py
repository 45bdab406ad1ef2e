"""The counters of one NATS bus connection."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class BusStats:
    """Counters of one NatsBus connection: messages published (``frames`` NATS messages
    carrying them), acked, sent again, not stored; delivered to handlers, handler errors,
    messages skipped after the handler failed every attempt, malformed frames; disconnects,
    reconnects, streams created again after a server lost them, durable consumers created again
    where the intake stood (``consumers_restored``) and the stream messages their deliveries
    repeated that were acked without handling them again (``intake_repeats``), and the
    broker's permission errors (its text, lower-cased)."""

    published: int = 0
    frames: int = 0
    bad_frames: int = 0
    acked: int = 0
    retried: int = 0
    failed: int = 0
    delivered: int = 0
    handler_errors: int = 0
    skipped: int = 0
    disconnects: int = 0
    reconnects: int = 0
    streams_restored: int = 0  # streams a restarted server had lost, created again
    consumers_restored: int = 0  # consumers with their state lost, created again (intake)
    intake_repeats: int = 0  # messages handled already, delivered again: acked, not handled
    permission_errors: list[str] = field(default_factory=list)
