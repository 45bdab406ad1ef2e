"""Sealing messages into signed envelopes and opening them.

:func:`seal` signs; :func:`envelope_bytes` encodes for the wire (MessagePack); :func:`decode`
reads an envelope without checking anything but its shape; :func:`open` also checks the
signature and returns the message. Freshness and replay are the :class:`~.verify.Verifier`'s.
"""

from __future__ import annotations

import json
import os
import struct
from collections.abc import Callable
from pathlib import Path

import msgspec
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from lookout.exchange.bus import in_subject
from lookout.exchange.clock import Clock
from lookout.messages import (
    PAYLOAD_TYPES,
    SCHEMA_VERSION,
    Envelope,
    Message,
    signing_bytes,
)

_encode = msgspec.msgpack.Encoder().encode
_envelope_decoder = msgspec.msgpack.Decoder(Envelope)
_payload_decoders = {t: msgspec.msgpack.Decoder(cls) for t, cls in PAYLOAD_TYPES.items()}


def payload_type(message: Message) -> str:
    """The ``type`` tag of a message."""
    return type(message).__struct_config__.tag


def seal(
    message: Message, sender: str, seq: int, sent_ns: int, private_key: Ed25519PrivateKey
) -> Envelope:
    """Sign ``message`` as ``sender``'s ``seq``-th message, sent at ``sent_ns``."""
    return seal_canonical(message, sender, seq, sent_ns, private_key)[0]


def seal_canonical(
    message: Message, sender: str, seq: int, sent_ns: int, private_key: Ed25519PrivateKey
) -> tuple[Envelope, Message]:
    """``seal``, and the message as a receiver decodes it from the envelope (its canonical
    form)."""
    kind = payload_type(message)
    if kind not in PAYLOAD_TYPES:
        raise ValueError(f"message: an envelope carries one of {list(PAYLOAD_TYPES)}, got {kind}")
    payload = _encode(message)
    # The canonical form, the one receivers check: what the typed decoder reads back (an int
    # given for a float becomes a float), encoded again.
    canonical = _payload_decoders[kind].decode(payload)
    payload = _encode(canonical)
    signature = private_key.sign(signing_bytes(SCHEMA_VERSION, sender, seq, sent_ns, kind, payload))
    env = Envelope(
        version=SCHEMA_VERSION,
        sender=sender,
        seq=seq,
        sent_ns=sent_ns,
        payload_type=kind,
        payload=payload,
        signature=signature,
    )
    return env, canonical


class Sealer:
    """A sender's sealing state: its key, clock and next sequence number.

    ``seal_for_bus(message)`` returns the subject to publish on and the envelope's bytes. A
    restarted sender must start above its last number, or receivers refuse its envelopes as
    replayed: give ``reserve`` (``reserve(n)`` records durably that numbers up to ``n`` may be
    used, e.g. :class:`SequenceFile`) and ``seq_start`` its last record; numbers are reserved
    ``block`` at a time.

    ``memo``: the process's :class:`~.verify.SignatureMemo` (the embedded form, whose
    receivers are in this process): each envelope sealed for the bus is kept there as opened,
    its plausibility not yet checked. The exchange's verifier then takes it without decoding
    it, checking its canonical form or verifying the signature made here (what it would find
    is what was sealed, under the key its keyring holds for the sender, or it opens the bytes
    itself), and checks the message's plausibility and the rest as before.
    """

    def __init__(
        self,
        sender: str,
        private_key: Ed25519PrivateKey,
        clock: Clock,
        seq_start: int = 0,
        *,
        reserve: Callable[[int], None] | None = None,
        block: int = 10_000,
        memo=None,
    ) -> None:
        self.sender = sender
        self.private_key = private_key
        self.clock = clock
        self.seq = seq_start
        self.reserve = reserve
        self.block = block
        self._reserved = seq_start
        self.memo = memo
        self._public: Ed25519PublicKey | None = None

    def seal(self, message: Message) -> Envelope:
        return self._seal(message)[0]

    def _seal(self, message: Message) -> tuple[Envelope, Message]:
        self.seq += 1
        if self.reserve is not None and self.seq > self._reserved:
            self._reserved = self.seq + self.block
            self.reserve(self._reserved)
        return seal_canonical(message, self.sender, self.seq, self.clock.now_ns(), self.private_key)

    def seal_for_bus(self, message: Message) -> tuple[str, bytes]:
        envelope, canonical = self._seal(message)
        data = envelope_bytes(envelope)
        # Kept only as a verifier's opening would leave it: one of the sender's own messages
        # (a payload naming another partner is refused as malformed, so opened there).
        if self.memo is not None and getattr(canonical, "partner", self.sender) == self.sender:
            if self._public is None:
                self._public = self.private_key.public_key()
            self.memo.remember(data, envelope, canonical, self._public, False)
        return in_subject(self.sender, envelope.payload_type), data


class SequenceFile:
    """A node's durable state in one small JSON file, replaced atomically (write, fsync,
    rename): the sequence numbers it reserved (``reserved``) and how far its sensors' data
    was sent and stored (``sent_through_ns``)."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self.state: dict[str, int] = {"reserved": 0, "sent_through_ns": -(2**63)}
        if self.path.exists():
            data = json.loads(self.path.read_text())
            for key in self.state:
                if not isinstance(data.get(key), int):
                    raise ValueError(f"{self.path}: field {key!r} missing or not an integer")
                self.state[key] = data[key]

    def __call__(self, reserved: int) -> None:
        self.update(reserved=reserved)

    def update(self, **values: int) -> None:
        self.state.update(values)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        with tmp.open("w") as f:  # (this module defines its own open)
            json.dump(self.state, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, self.path)


def envelope_bytes(envelope: Envelope) -> bytes:
    """An envelope as MessagePack, for the wire."""
    return _encode(envelope)


def decode(data: bytes) -> Envelope:
    """An envelope from its MessagePack, its shape checked but not its signature; raises
    ``msgspec.DecodeError`` or ``msgspec.ValidationError``."""
    return _envelope_decoder.decode(data)


def decode_payload(envelope: Envelope) -> Message:
    """The message inside an envelope, decoded as its ``payload_type``; raises ``ValueError``
    for an unknown type, ``msgspec`` errors for a payload that is not that type."""
    decoder = _payload_decoders.get(envelope.payload_type)
    if decoder is None:
        raise ValueError(f"payload_type: unknown type {envelope.payload_type!r}")
    return decoder.decode(envelope.payload)


def signature_ok(envelope: Envelope, public_key: Ed25519PublicKey) -> bool:
    """Whether the envelope's signature is ``public_key``'s over its header and payload."""
    e = envelope
    try:
        signed = signing_bytes(e.version, e.sender, e.seq, e.sent_ns, e.payload_type, e.payload)
    except (struct.error, OverflowError, ValueError):
        return False
    return signed_ok(e.signature, signed, public_key)


def signed_ok(signature: bytes, signed: bytes, public_key: Ed25519PublicKey) -> bool:
    """Whether ``signature`` is ``public_key``'s over ``signed`` (an envelope's
    ``signing_bytes``, built once by a caller that also keys a memo by them)."""
    try:
        public_key.verify(signature, signed)
    except (InvalidSignature, ValueError):
        return False
    return True


def open(data: bytes | Envelope, public_key: Ed25519PublicKey) -> Message:  # noqa: A001
    """The message of a signed envelope after checking its signature with ``public_key``
    (no replay or freshness check); raises ``ValueError`` when it does not verify."""
    envelope = decode(data) if isinstance(data, bytes | bytearray | memoryview) else data
    if not signature_ok(envelope, public_key):
        raise ValueError(f"signature: not {envelope.sender}'s signature of this envelope")
    return decode_payload(envelope)
