"""Checking every envelope that arrives: size, shape, sender, signature, physics, sequence, time.

:meth:`Verifier.check` runs the checks in this order and stops at the first that fails:

1. ``oversize``: more than ``max_bytes`` bytes (nothing is decoded);
2. ``malformed``: not an envelope; not in canonical form (the envelope or its payload does not
   encode back to exactly the bytes received: an unknown field, a duplicate key, an int where a
   float belongs... so an accepted envelope carries nothing its signature does not cover); a
   schema version other than ours; an unknown payload type; a payload that is not its declared
   type; a payload naming another partner than the sender; an envelope on a subject of another
   sender or type. Any exception while decoding, of whatever kind (a ``RecursionError`` from a
   deeply nested value included), is a ``malformed`` refusal, never raised;
3. ``unknown_sender``: no key for the sender in the keyring;
4. ``forged``: the signature is not the sender's over this header and payload;
5. ``implausible``: validly signed, but physically absurd (:meth:`lookout.messages.Message.check`:
   covariances not symmetric positive definite, a state at 1e300 m, a radar in orbit...);
6. ``duplicate``: this very envelope (same sequence number, same signature) was taken before: a
   redelivery, harmless;
7. ``replayed``: this sequence number was taken before with another signature, or is below the
   window;
8. ``sequence``: more than ``max_seq_jump`` above the highest number taken from the sender, or
   above 2**62 (so that no envelope, even validly signed, can exhaust a sender's numbers and lock
   it out);
9. ``stale``: sent more than ``max_ahead_ns`` after the receiver's clock;
10. ``time``: a time inside the payload (``t_ns``) outside the envelope's freshness window around
    its ``sent_ns`` (``max_age_ns`` before, ``max_ahead_ns`` after), or after the receiver's clock
    plus ``max_ahead_ns``: the work one message causes downstream is bounded by its time;
11. ``late``: sent more than ``max_age_ns`` before the receiver's clock. Not a refusal: the
    envelope is genuine and new, too old for the live picture; it is taken (its number is marked
    seen) and returned with its message, for the caller to keep (the exchange audits it as late and
    keeps it for replay) but not to act on.

Replay: per sender and payload type, the highest sequence number taken and which of the
``window`` numbers below it were taken (as in IPsec, with a set for the bitmap), with the
signatures of the last ones taken (those sent within ``REMEMBER_NS`` of the newest, at most
``_REMEMBERED``: a redelivery from further back is refused as replayed). Keyed by
type, because a sender's publisher batches per subject and so reorders across types, never
within one. A number above the high-water mark is new; one within the window is new if its bit
is clear; one below the window is refused as replayed, since it can no longer be told apart
from a replay. Only a taken envelope moves the mark, so a forged, implausible or ill-timed one
cannot block later ones. :meth:`Verifier.restore` sets the marks from a durable log after a
restart.

A refused envelope never raises: :meth:`~Verifier.check` returns a :class:`Verdict` and counts
``refused[partner][reason]`` (``late[partner]`` for late ones), the partner being the envelope's
sender or, when it cannot be read, the sender its subject claims (``"?"`` when unknown).
"""

from __future__ import annotations

from collections import Counter, OrderedDict, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from types import EllipsisType

import msgspec

from lookout.exchange.clock import Clock
from lookout.exchange.envelope import (
    decode,
    decode_payload,
    signature_ok,
    signed_ok,
    signing_bytes,
)
from lookout.exchange.keys import Keyring
from lookout.messages import SCHEMA_VERSION, Envelope, Message, payload_times
from lookout.timebase import NS_PER_S

#: Largest envelope accepted (bytes) unless told otherwise.
MAX_BYTES = 64 * 1024
#: Freshness: oldest and furthest-ahead send times accepted, relative to the receiver's clock.
MAX_AGE_NS = 10 * NS_PER_S
MAX_AHEAD_NS = 2 * NS_PER_S
#: Sequence numbers accepted out of order, up to this far below the highest seen: wide, since
#: after a crash a durable consumer redelivers what the dead process held after newer messages
#: (up to its pull batch of batch frames), and one sender's numbers are shared by its types.
REPLAY_WINDOW = 65_536
#: Largest step up from a sender's highest sequence number, and the largest number at all.
MAX_SEQ_JUMP = 2**32
MAX_SEQ = 2**62
#: Signatures remembered per sender and type, to tell a redelivery from a replay: at most this
#: many, and only of envelopes sent within ``REMEMBER_NS`` of the newest one taken there.
_REMEMBERED = 4096
#: How long (ns of the senders' clock, before the newest envelope taken of a sender and type)
#: a taken envelope's signature is remembered: the JetStream streams' duplicate window
#: (``StreamSpec.duplicate_window_s``, 120 s), the span over which the broker itself tells a
#: message published again from a new one, four times the exchange's ack wait (30 s, after
#: which an unacked envelope is redelivered). An envelope redelivered from further back is
#: refused as replayed rather than as a duplicate (its sequence number was taken either way);
#: by the sender's clock, not the receiver's, so that a receiver's downtime forgets nothing.
#: Bounded by count alone, a window of one envelope a second (heartbeats, statuses) filled
#: for 4,096 s: the verifiers' memory grew all through any shorter run.
REMEMBER_NS = 120 * NS_PER_S
#: How long (ns of the senders' clock, before the newest envelope a ``SignatureMemo`` keeps)
#: an envelope opened is kept for the process's other receivers: the freshness window
#: (``MAX_AGE_NS`` + ``MAX_AHEAD_NS``), beyond which it is late at every receiver that takes
#: the live picture; the receivers of one process check it within a delivery round. (An
#: envelope signed far ahead of the others empties the memo: its receivers open again what
#: they get, the verdicts the same.)
MEMO_NS = MAX_AGE_NS + MAX_AHEAD_NS

_encode = msgspec.msgpack.Encoder().encode


class Reason(StrEnum):
    """Why an envelope was refused (or kept as late), in the order the checks run."""

    OVERSIZE = "oversize"
    MALFORMED = "malformed"
    UNKNOWN_SENDER = "unknown_sender"
    FORGED = "forged"
    IMPLAUSIBLE = "implausible"
    DUPLICATE = "duplicate"
    REPLAYED = "replayed"
    SEQUENCE = "sequence"
    STALE = "stale"
    TIME = "time"
    LATE = "late"


@dataclass(frozen=True, slots=True)
class Verdict:
    """The outcome of one check: ``message`` is set when accepted or late, ``reason`` when
    refused or late.

    ``sender`` is the envelope's sender (or the subject's claim, or "?", when unreadable);
    ``envelope`` is set whenever the envelope could be decoded.
    """

    sender: str
    envelope: Envelope | None = None
    message: Message | None = None
    reason: Reason | None = None
    detail: str = ""
    relayed_before: bool = False  # a duplicate of an envelope accepted (not late) before

    @property
    def accepted(self) -> bool:
        return self.reason is None

    @property
    def late(self) -> bool:
        return self.reason is Reason.LATE

    @property
    def verdict(self) -> str:
        """``"accepted"``, ``"late"`` or ``"refused"``: the audit log's verdict."""
        if self.reason is None:
            return "accepted"
        return "late" if self.reason is Reason.LATE else "refused"


class _Window:
    """Anti-replay state of one sender and type: the high-water mark, the numbers taken within
    the window below it (a set, pruned now and then: O(1) per envelope however wide the window),
    and the signatures of the last envelopes taken."""

    __slots__ = ("high", "taken", "signatures", "newest_ns")

    def __init__(self) -> None:
        self.high = -1
        self.taken: set[int] = set()
        # seq: (signature, late, sent_ns), in the order taken
        self.signatures: OrderedDict[int, tuple[bytes, bool, int | None]] = OrderedDict()
        self.newest_ns: int | None = None  # the latest sent_ns taken

    def seen(self, seq: int, window: int) -> bool:
        if seq > self.high:
            return False
        return self.high - seq >= window or seq in self.taken

    def accept(
        self,
        seq: int,
        window: int,
        signature: bytes = b"",
        late: bool = False,
        sent_ns: int | None = None,
    ) -> None:
        """``sent_ns``: the envelope's send time (None: unknown; its signature then stays until
        ``_REMEMBERED`` newer ones, and holds back the time bound of those after it)."""
        self.taken.add(seq)
        if seq > self.high:
            self.high = seq
        if len(self.taken) > 2 * min(window, 1 << 16) + 64:
            floor = self.high - window
            self.taken = {s for s in self.taken if s > floor}
        if signature:
            self.signatures[seq] = (signature, late, sent_ns)
            sigs = self.signatures
            if len(sigs) > _REMEMBERED:
                sigs.popitem(last=False)
            if sent_ns is not None:
                if self.newest_ns is None or sent_ns > self.newest_ns:
                    self.newest_ns = sent_ns
                # The oldest taken first (a sender's envelopes of one type come in order but
                # for a redelivery): dropped while sent before the horizon.
                horizon = self.newest_ns - REMEMBER_NS
                while sigs:
                    first = sigs[next(iter(sigs))][2]
                    if first is None or first >= horizon:
                        break
                    sigs.popitem(last=False)


class SignatureMemo:
    """What the verifiers of one process (the exchange and the nodes of the embedded form,
    ``lookout.app.coalition``) have checked already, shared so that an envelope relayed to
    three partners is opened once, not three times:

    - the envelopes opened last: their exact bytes to the envelope and message decoded from
      them, which passed every check that depends on nothing but those bytes and the sender's
      key (shape, canonical form, version, payload type, the payload's partner, the signature
      and, when the verifier checks it, plausibility), under that key, and the message's
      earliest and latest times (``payload_times``: a walk of every field, of each detection
      of a batch). A verifier that gets the same bytes again, with the same key for the sender
      in its keyring, takes them from here and runs only its own checks (the subject's claims,
      replay, sequence, and time against its own clock, on the times kept);
    - the signatures verified last, under the public key, the signature and every byte it
      signs: a hit is the answer Ed25519 would give again (the same header and payload in
      other bytes).

    Only what passed is kept; both bounded to the ``size`` latest, and to the envelopes sent
    within ``MEMO_NS`` of the newest kept (an envelope's receivers check it within one
    delivery round; bounded by count alone, the memo held its 2,048 latest envelopes, decoded,
    however long ago: filling slowly after a raid, srbm-salvo's grew by 1.3 MB from 500 to 650
    s). ``hits`` counts the checks answered from here."""

    def __init__(self, size: int = 2048) -> None:
        self.size = size
        # Both in the order kept, oldest first, and ordered dicts: a plain dict whose first
        # entries are deleted over and over finds its first live entry by walking past the
        # deleted ones (up to a third of the table between two resizes), at every envelope.
        # (key, signature, signed bytes) -> the envelope's sent_ns
        self._ok: OrderedDict[tuple[bytes, bytes, bytes], int] = OrderedDict()
        # The bytes' last 64 (the signature's: hashing a 30 kB envelope costs some 100 µs) ->
        # (the bytes, the envelope, the message, the key's public bytes, plausibility checked,
        # the message's ``payload_times``)
        self._opened: OrderedDict[
            bytes, tuple[bytes, Envelope, Message, bytes, bool, tuple[int, int] | None]
        ] = OrderedDict()
        self._newest_ns: int | None = None  # the latest sent_ns kept
        self.hits = 0

    def _bound(self, memo: OrderedDict, sent_ns: int, sent_of) -> None:
        """Drop ``memo``'s oldest entries beyond ``size``, and those sent (``sent_of(value)``)
        more than ``MEMO_NS`` before the newest kept (entries are kept in the order opened,
        nearly that of their send times)."""
        if len(memo) > self.size:
            memo.popitem(last=False)
        if self._newest_ns is None or sent_ns > self._newest_ns:
            self._newest_ns = sent_ns
        horizon = self._newest_ns - MEMO_NS
        while memo:
            first = next(iter(memo))
            if sent_of(memo[first]) >= horizon:
                break
            del memo[first]

    def opened(
        self, data: bytes
    ) -> tuple[Envelope, Message, bytes, bool, tuple[int, int] | None] | None:
        """What ``remember`` kept of these very bytes, or None."""
        if type(data) is not bytes:
            return None
        got = self._opened.get(data[-64:])
        if got is None or (got[0] is not data and got[0] != data):
            return None
        return got[1:]

    def remember(
        self,
        data: bytes,
        env: Envelope,
        message: Message,
        key,
        plausible: bool,
        times: tuple[int, int] | None | EllipsisType = ...,
    ) -> None:
        """``data`` opened to ``env`` and ``message``, signed with ``key``; ``plausible``: the
        message's plausibility was checked too; ``times``: ``payload_times(message)`` (worked
        out here unless given)."""
        if type(data) is not bytes:
            return
        if times is ...:
            times = payload_times(message)
        self._opened[data[-64:]] = (data, env, message, key.public_bytes_raw(), plausible, times)
        self._bound(self._opened, env.sent_ns, lambda v: v[1].sent_ns)

    def checked(self, data: bytes) -> None:
        """The message kept for these very bytes passed its plausibility checks too."""
        got = self._opened.get(data[-64:])
        if got is not None and (got[0] is data or got[0] == data):
            self._opened[data[-64:]] = (*got[:4], True, got[5])

    def signature_ok(self, env, key) -> bool:
        try:
            signed = signing_bytes(
                env.version, env.sender, env.seq, env.sent_ns, env.payload_type, env.payload
            )
            memo_key = (key.public_bytes_raw(), bytes(env.signature), signed)
        except Exception:  # noqa: BLE001 - not signable: the plain check says why
            return signature_ok(env, key)
        if memo_key in self._ok:
            self.hits += 1
            return True
        if not signed_ok(memo_key[1], signed, key):  # the signed bytes built once, not twice
            return False
        self._ok[memo_key] = env.sent_ns
        self._bound(self._ok, env.sent_ns, int)
        return True


class Verifier:
    """Checks envelopes against a keyring and a receiver's clock; see the module doc.

    ``max_age_ns`` None: no envelope is late (a node catching up on its deliveries);
    ``max_ahead_ns`` None: no bound ahead; ``payload_window_ns`` (before, after) bounds a
    payload's times around its envelope's ``sent_ns`` (default: the freshness window).
    ``plausibility`` False skips the physics (only for measuring its cost). ``signatures``:
    a memo of verified signatures shared with the other verifiers of the process.
    """

    def __init__(
        self,
        keyring: Keyring,
        clock: Clock,
        *,
        max_bytes: int = MAX_BYTES,
        max_age_ns: int | None = MAX_AGE_NS,
        max_ahead_ns: int | None = MAX_AHEAD_NS,
        window: int = REPLAY_WINDOW,
        max_seq_jump: int = MAX_SEQ_JUMP,
        plausibility: bool = True,
        payload_window_ns: tuple[int, int] | None = None,
        signatures: SignatureMemo | None = None,
    ) -> None:
        self.keyring = keyring
        # Signatures verified by another verifier of this process (``SignatureMemo``).
        self.signatures = signatures
        self.clock = clock
        self.max_bytes = max_bytes
        self.max_age_ns = max_age_ns
        self.max_ahead_ns = max_ahead_ns
        self.window = window
        self.max_seq_jump = max_seq_jump
        self.plausibility = plausibility
        # How far before and after its envelope's sent_ns a payload's times may be: the
        # freshness window unless told (a node that takes late envelopes still bounds times).
        self.payload_window_ns = payload_window_ns or (
            MAX_AGE_NS if max_age_ns is None else max_age_ns,
            MAX_AHEAD_NS if max_ahead_ns is None else max_ahead_ns,
        )
        self.accepted: Counter[str] = Counter()
        self.late: Counter[str] = Counter()
        self.refused: defaultdict[str, Counter[Reason]] = defaultdict(Counter)
        self._windows: defaultdict[tuple[str, str], _Window] = defaultdict(_Window)

    def high(self, sender: str) -> int:
        """The highest sequence number taken from ``sender`` (-1: none)."""
        return max((w.high for (s, _), w in self._windows.items() if s == sender), default=-1)

    def restore(self, taken: Iterable[tuple]) -> int:
        """Mark as taken the ``(sender, payload_type, seq, signature, late[, sent_ns])`` of
        envelopes accepted (or kept as late) before a restart, in the order they were taken;
        returns how many."""
        n = 0
        for sender, kind, seq, signature, late, *sent in taken:
            sent_ns = sent[0] if sent else None
            self._windows[sender, kind].accept(seq, self.window, signature, late, sent_ns)
            n += 1
        return n

    def check(
        self,
        data: bytes,
        *,
        now_ns: int | None = None,
        subject_sender: str | None = None,
        subject_type: str | None = None,
    ) -> Verdict:
        """Check one envelope's bytes; ``now_ns`` defaults to the clock, ``subject_*`` are what
        the bus subject claims (checked against the envelope when given). Never raises."""
        claimed = subject_sender or "?"
        try:
            size = len(data)
        except Exception as e:  # noqa: BLE001 - not bytes at all
            return self._refuse(claimed, None, Reason.MALFORMED, f"envelope: {e}")
        if size > self.max_bytes:
            return self._refuse(claimed, None, Reason.OVERSIZE, f"{size} > {self.max_bytes}")
        opened = self._opened_before(data, subject_sender, subject_type)
        if opened is None:
            opened = self._open(data, claimed, subject_sender, subject_type)
            if isinstance(opened, Verdict):
                return opened
        env, message, times = opened
        sender = env.sender
        window = self._windows[sender, env.payload_type]
        before = window.signatures.get(env.seq)
        if before is not None and before[0] == env.signature:
            self.refused[sender][Reason.DUPLICATE] += 1
            late = " (late)" if before[1] else ""
            return Verdict(sender, env, None, Reason.DUPLICATE,
                           f"seq: {env.seq} taken before{late}", not before[1])  # fmt: skip
        if window.seen(env.seq, self.window):
            return self._refuse(
                sender, env, Reason.REPLAYED, f"seq: {env.seq} (highest {window.high})"
            )
        if env.seq > MAX_SEQ or (window.high >= 0 and env.seq > window.high + self.max_seq_jump):
            return self._refuse(
                sender, env, Reason.SEQUENCE,
                f"seq: {env.seq}, more than {self.max_seq_jump} above {window.high}",
            )  # fmt: skip
        now = self.clock.now_ns() if now_ns is None else now_ns
        if self.max_ahead_ns is not None and env.sent_ns > now + self.max_ahead_ns:
            return self._refuse(
                sender, env, Reason.STALE, f"sent_ns: {env.sent_ns}, {env.sent_ns - now} ns ahead"
            )
        bad_time = self._payload_time(env, times, now)
        if bad_time:
            return self._refuse(sender, env, Reason.TIME, bad_time)
        late = self.max_age_ns is not None and env.sent_ns < now - self.max_age_ns
        window.accept(env.seq, self.window, env.signature, late, env.sent_ns)
        if late:
            self.late[sender] += 1
            detail = f"sent_ns: {env.sent_ns}, {now - env.sent_ns} ns old"
            return Verdict(sender, env, message, Reason.LATE, detail)
        self.accepted[sender] += 1
        return Verdict(sender, env, message)

    def _opened_before(
        self, data: bytes, subject_sender: str | None, subject_type: str | None
    ) -> tuple[Envelope, Message, tuple[int, int] | None] | None:
        """The envelope, message and its times of these very bytes from the process's memo,
        when another verifier opened them (``SignatureMemo``) under the key this keyring has
        for the sender, with plausibility checked if this verifier checks it, and the
        subject's claims hold; else None (the full checks then run, and say why, if anything
        fails)."""
        memo = self.signatures
        got = None if memo is None else memo.opened(data)
        if got is None:
            return None
        env, message, public, plausible, times = got
        if subject_sender is not None and subject_sender != env.sender:
            return None
        if subject_type is not None and subject_type != env.payload_type:
            return None
        key = self.keyring.get(env.sender)
        if key is None or key.public_bytes_raw() != public:
            return None
        if self.plausibility and not plausible:
            # Opened without the physics (sealed in this process: ``Sealer(memo=)``): checked
            # here; a message that fails is opened in full, which refuses it and says why.
            try:
                message.check()
            except Exception:  # noqa: BLE001 - as in ``_open``
                return None
            memo.checked(data)
        memo.hits += 1
        return env, message, times

    def _open(
        self, data: bytes, claimed: str, subject_sender: str | None, subject_type: str | None
    ) -> tuple[Envelope, Message, tuple[int, int] | None] | Verdict:
        """Checks 2-5 of the module doc (shape, sender, signature, physics): the envelope, its
        message and the message's ``payload_times``, or the refusal."""
        try:
            env = decode(data)
            canonical = _encode(env) == data
        except Exception as e:  # noqa: BLE001 - any decoding failure, RecursionError included
            return self._refuse(claimed, None, Reason.MALFORMED, f"envelope: {_short(e)}")
        sender = env.sender
        if not canonical:
            return self._refuse(
                sender, env, Reason.MALFORMED,
                "envelope: not in canonical form (unknown or duplicate fields, or re-encoded)",
            )  # fmt: skip
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
            canonical = _encode(message) == env.payload
        except Exception as e:  # noqa: BLE001 - as above
            return self._refuse(sender, env, Reason.MALFORMED, f"payload: {_short(e)}")
        if not canonical:
            return self._refuse(
                sender, env, Reason.MALFORMED,
                "payload: not in canonical form (unknown or duplicate fields, or re-encoded)",
            )  # fmt: skip
        partner = getattr(message, "partner", sender)
        if partner != sender:
            return self._refuse(
                sender, env, Reason.MALFORMED, f"partner: {partner} in an envelope from {sender}"
            )
        key = self.keyring.get(sender)
        if key is None:
            return self._refuse(sender, env, Reason.UNKNOWN_SENDER, f"sender: {sender}")
        good = (
            signature_ok(env, key)
            if self.signatures is None
            else self.signatures.signature_ok(env, key)
        )
        if not good:
            return self._refuse(sender, env, Reason.FORGED, f"signature of {sender} seq {env.seq}")
        if self.plausibility:
            try:
                message.check()
            except Exception as e:  # noqa: BLE001 - ValueError by contract; anything else too
                return self._refuse(sender, env, Reason.IMPLAUSIBLE, _short(e))
        times = payload_times(message)
        if self.signatures is not None:
            self.signatures.remember(data, env, message, key, self.plausibility, times)
        return env, message, times

    def _payload_time(self, env: Envelope, times: tuple[int, int] | None, now: int) -> str:
        """Check 10 (``time``) on the message's ``payload_times``: the refusal's detail, or
        "" when they are inside the window."""
        if times is None:
            return ""
        first, last = times
        old, ahead = self.payload_window_ns
        if first < env.sent_ns - old:
            return f"t_ns: {first}, {env.sent_ns - first} ns before the envelope's sent_ns"
        if last > env.sent_ns + ahead:
            return f"t_ns: {last}, {last - env.sent_ns} ns after the envelope's sent_ns"
        if self.max_ahead_ns is not None and last > now + self.max_ahead_ns:
            return f"t_ns: {last}, {last - now} ns ahead of the receiver's clock"
        return ""

    def _refuse(self, partner: str, env: Envelope | None, reason: Reason, detail: str) -> Verdict:
        self.refused[partner][reason] += 1
        return Verdict(partner, env, None, reason, detail)


def _short(e: BaseException, limit: int = 300) -> str:
    """An exception as one bounded line (a RecursionError's text can be long)."""
    if isinstance(e, ValueError | msgspec.MsgspecError):
        text = str(e)
    else:
        text = f"{type(e).__name__}: {e}"
    return text if len(text) <= limit else text[:limit] + "..."
