"""The bus interface both buses implement (:class:`~.memory.MemoryBus`, the NATS bus), and the
subjects of the exchange.

Subjects are dot-separated tokens as in NATS; in a subscription ``*`` matches one token and
``>`` (last) one or more. A partner node publishes its envelopes on
``lookout.in.<PARTNER>.<type>``; the exchange subscribes to ``lookout.in.>`` and delivers on
``lookout.out.<RECIPIENT>.<type>``: partner data as the sender's own signed envelope,
system tracks as envelopes signed by the exchange (sender ``EXCHANGE``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from lookout.exchange.intake import Intake

#: Subject roots: what partners send in, and what the exchange delivers out.
IN = "lookout.in"
OUT = "lookout.out"
#: What the exchange subscribes to.
IN_ALL = IN + ".>"

Handler = Callable[[str, bytes], Awaitable[None]]

#: While a handler runs on a subscription with an ``intake``: ``(stream, stream sequence)`` of
#: the stored message whose last envelope it is handling (None for the others, and on a bus
#: without streams); the exchange records it with the envelope's audit row.
DELIVERY: ContextVar[tuple[str, int] | None] = ContextVar("lookout_delivery", default=None)


class Bus(Protocol):
    """Publish bytes on a subject; subscribe a handler to a subject pattern."""

    async def publish(self, subject: str, data: bytes) -> None: ...

    async def subscribe(
        self,
        subject: str,
        handler: Callable[[str, bytes], Awaitable[None]],
        *,
        durable: str | None = None,
        before_ack: Callable[[], Awaitable[None]] | None = None,
        intake: Intake | None = None,
    ) -> None:
        """Call ``handler`` for each message on ``subject``. With ``durable``, on a bus that
        acknowledges (NATS), a message is acked only after ``handler`` returned and, if given,
        ``before_ack()`` returned (it raising leaves the messages unacked, to come again).
        With ``intake`` (NATS: the exchange's, on the file streams) the consumers keep their
        state in the broker's memory only, and one that lost it is created again where the
        intake says (:mod:`.intake`); the handler is told each message's place (``DELIVERY``)."""
        ...

    async def flush(self) -> None: ...

    async def close(self) -> None: ...


def in_subject(partner: str, payload_type: str) -> str:
    """Where ``partner``'s node publishes a message of ``payload_type``."""
    return f"{IN}.{partner}.{payload_type}"


def out_subject(recipient: str, payload_type: str) -> str:
    """Where the exchange delivers a message of ``payload_type`` to ``recipient``."""
    return f"{OUT}.{recipient}.{payload_type}"


def in_all(partner: str) -> str:
    """The pattern of everything ``partner`` sends in."""
    return f"{IN}.{partner}.>"


def out_all(recipient: str) -> str:
    """The pattern of everything delivered to ``recipient``."""
    return f"{OUT}.{recipient}.>"


def parse_subject(subject: str) -> tuple[str, str, str] | None:
    """``("in" | "out", partner, type)`` of an exchange subject, or None if it is not one."""
    parts = subject.split(".")
    if len(parts) != 4 or parts[0] != "lookout" or parts[1] not in ("in", "out"):
        return None
    return parts[1], parts[2], parts[3]


def subject_matches(pattern: str, subject: str) -> bool:
    """Whether ``subject`` matches ``pattern`` with NATS wildcards (``*`` one token, ``>`` the
    rest, at least one token)."""
    p, s = pattern.split("."), subject.split(".")
    for i, token in enumerate(p):
        if token == ">":
            return i == len(p) - 1 and len(s) > i
        if i >= len(s) or (token != "*" and token != s[i]):
            return False
    return len(p) == len(s)


def intersect(a: str, b: str) -> str | None:
    """The subject pattern matching what both NATS patterns ``a`` and ``b`` match, if any (for
    the patterns used here: tokens, ``*``, a final ``>``)."""
    pa, pb = a.split("."), b.split(".")
    out = []
    for i in range(max(len(pa), len(pb))):
        x = pa[i] if i < len(pa) else None
        y = pb[i] if i < len(pb) else None
        if x == ">" or y == ">":
            rest = pb[i:] if x == ">" else pa[i:]
            return ".".join(out + rest) if rest else None
        if x is None or y is None:
            return None
        if x == "*":
            out.append(y)
        elif y == "*" or x == y:
            out.append(x)
        else:
            return None
    return ".".join(out)


def check_subject(subject: str, *, wildcards: bool) -> None:
    """Refuse (ValueError naming it) a subject that is not a NATS subject: empty tokens,
    whitespace, or wildcards where none may be (``wildcards`` False: a subject published on;
    True: a subscription pattern, ``*`` a whole token, ``>`` only last)."""
    tokens = subject.split(".") if isinstance(subject, str) else [""]
    bad = not subject or any(c in subject for c in " \t\r\n") or "" in tokens
    for i, tok in enumerate(tokens):
        if ("*" in tok or ">" in tok) and (
            not wildcards or tok not in ("*", ">") or (tok == ">" and i != len(tokens) - 1)
        ):
            bad = True
    if bad:
        kind = "subscription pattern" if wildcards else "subject (no wildcards)"
        raise ValueError(f"subject {subject!r}: not a valid NATS {kind}, e.g. 'lookout.in.KR.>'")
