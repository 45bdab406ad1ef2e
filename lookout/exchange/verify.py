"""Checking every envelope that arrives: size, shape, sender, signature, sequence, freshness.

:meth:`Verifier.check` runs the checks in this order and stops at the first that fails:

1. ``oversize``: more than ``max_bytes`` bytes (nothing is decoded);
2. ``malformed``: not an envelope, a schema version other than ours, an unknown payload type, a
   payload that is not its declared type, a payload naming another partner than the sender, or
   an envelope on a subject of another sender or type;
3. ``unknown_sender``: no key for the sender in the keyring;
4. ``forged``: the signature is not the sender's over this header and payload;
5. ``replayed``: this sender's sequence number was accepted before;
6. ``stale``: sent more than ``max_age_ns`` before the receiver's clock, or more than
   ``max_ahead_ns`` after it.

Replay: per sender, the highest accepted sequence number and a bitmap of the ``window``
numbers below it (as in IPsec). A number above the high-water mark is new; one within the
window is new if its bit is clear, so reordering by up to ``window`` - 1 places is accepted; one
below the window is refused as replayed, since it can no longer be told apart from a replay.
Only an accepted envelope moves the mark, so a forged or stale one cannot block later ones.

A refused envelope never raises: :meth:`~Verifier.check` returns a :class:`Verdict` and counts
``refused[partner][reason]``, the partner being the envelope's sender or, when it cannot be
read, the sender its subject claims (``"?"`` when unknown).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from enum import StrEnum

import msgspec

from lookout.exchange.clock import Clock
from lookout.exchange.envelope import decode, decode_payload, signature_ok
from lookout.exchange.keys import Keyring
from lookout.messages import SCHEMA_VERSION, Envelope, Message

#: Largest envelope accepted (bytes) unless told otherwise.
MAX_BYTES = 64 * 1024
#: Freshness: oldest and furthest-ahead send times accepted, relative to the receiver's clock.
MAX_AGE_NS = 10_000_000_000
MAX_AHEAD_NS = 2_000_000_000
#: Sequence numbers accepted out of order, up to this far below the highest seen.
REPLAY_WINDOW = 64


class Reason(StrEnum):
    """Why an envelope was refused, in the order the checks run."""

    OVERSIZE = "oversize"
    MALFORMED = "malformed"
    UNKNOWN_SENDER = "unknown_sender"
    FORGED = "forged"
    REPLAYED = "replayed"
    STALE = "stale"


@dataclass(frozen=True, slots=True)
class Verdict:
    """The outcome of one check: ``message`` is set when accepted, ``reason`` when refused.

    ``sender`` is the envelope's sender (or the subject's claim, or "?", when unreadable);
    ``envelope`` is set whenever the envelope could be decoded.
    """

    sender: str
    envelope: Envelope | None = None
    message: Message | None = None
    reason: Reason | None = None
    detail: str = ""

    @property
    def accepted(self) -> bool:
        return self.reason is None


class _Window:
    """Anti-replay state of one sender: high-water mark and the bitmap below it."""

    __slots__ = ("high", "bits")

    def __init__(self) -> None:
        self.high = -1
        self.bits = 0  # bit i set: sequence number high - i accepted

    def seen(self, seq: int, window: int) -> bool:
        if seq > self.high:
            return False
        offset = self.high - seq
        return offset >= window or bool(self.bits >> offset & 1)

    def accept(self, seq: int, window: int) -> None:
        mask = (1 << window) - 1
        if seq > self.high:
            shift = seq - self.high
            self.bits = (self.bits << shift | 1) & mask if shift < window else 1
            self.high = seq
        else:
            self.bits |= 1 << (self.high - seq)


class Verifier:
    """Checks envelopes against a keyring and a receiver's clock; see the module doc."""

    def __init__(
        self,
        keyring: Keyring,
        clock: Clock,
        *,
        max_bytes: int = MAX_BYTES,
        max_age_ns: int | None = MAX_AGE_NS,
        max_ahead_ns: int | None = MAX_AHEAD_NS,
        window: int = REPLAY_WINDOW,
    ) -> None:
        self.keyring = keyring
        self.clock = clock
        self.max_bytes = max_bytes
        self.max_age_ns = max_age_ns
        self.max_ahead_ns = max_ahead_ns
        self.window = window
        self.accepted: Counter[str] = Counter()
        self.refused: defaultdict[str, Counter[Reason]] = defaultdict(Counter)
        self._windows: defaultdict[str, _Window] = defaultdict(_Window)

    def check(
        self,
        data: bytes,
        *,
        now_ns: int | None = None,
        subject_sender: str | None = None,
        subject_type: str | None = None,
    ) -> Verdict:
        """Check one envelope's bytes; ``now_ns`` defaults to the clock, ``subject_*`` are what
        the bus subject claims (checked against the envelope when given)."""
        claimed = subject_sender or "?"
        if len(data) > self.max_bytes:
            return self._refuse(claimed, None, Reason.OVERSIZE, f"{len(data)} > {self.max_bytes}")
        try:
            env = decode(data)
        except (msgspec.DecodeError, msgspec.ValidationError) as e:
            return self._refuse(claimed, None, Reason.MALFORMED, f"envelope: {e}")
        sender = env.sender
        if env.version != SCHEMA_VERSION:
            return self._refuse(
                sender,
                env,
                Reason.MALFORMED,
                f"version: expected {SCHEMA_VERSION}, got {env.version}",
            )
        if subject_sender is not None and subject_sender != sender:
            return self._refuse(
                subject_sender,
                env,
                Reason.MALFORMED,
                f"sender: {sender} on {subject_sender}'s subject",
            )
        if subject_type is not None and subject_type != env.payload_type:
            return self._refuse(
                sender, env, Reason.MALFORMED,
                f"payload_type: {env.payload_type} on a {subject_type} subject",
            )  # fmt: skip
        try:
            message = decode_payload(env)
        except (ValueError, msgspec.DecodeError, msgspec.ValidationError) as e:
            return self._refuse(sender, env, Reason.MALFORMED, f"payload: {e}")
        partner = getattr(message, "partner", sender)
        if partner != sender:
            return self._refuse(
                sender, env, Reason.MALFORMED, f"partner: {partner} in an envelope from {sender}"
            )
        key = self.keyring.get(sender)
        if key is None:
            return self._refuse(sender, env, Reason.UNKNOWN_SENDER, f"sender: {sender}")
        if not signature_ok(env, key):
            return self._refuse(sender, env, Reason.FORGED, f"signature of {sender} seq {env.seq}")
        window = self._windows[sender]
        if window.seen(env.seq, self.window):
            return self._refuse(
                sender, env, Reason.REPLAYED, f"seq: {env.seq} (highest {window.high})"
            )
        now = self.clock.now_ns() if now_ns is None else now_ns
        if self.max_age_ns is not None and env.sent_ns < now - self.max_age_ns:
            return self._refuse(
                sender, env, Reason.STALE, f"sent_ns: {env.sent_ns}, {now - env.sent_ns} ns old"
            )
        if self.max_ahead_ns is not None and env.sent_ns > now + self.max_ahead_ns:
            return self._refuse(
                sender, env, Reason.STALE, f"sent_ns: {env.sent_ns}, {env.sent_ns - now} ns ahead"
            )
        window.accept(env.seq, self.window)
        self.accepted[sender] += 1
        return Verdict(sender, env, message)

    def _refuse(self, partner: str, env: Envelope | None, reason: Reason, detail: str) -> Verdict:
        self.refused[partner][reason] += 1
        return Verdict(partner, env, None, reason, detail)
