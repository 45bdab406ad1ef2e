"""Batch frames: several messages on one subject in one NATS message.

A frame carries the header :data:`BATCH_HEADER` (the number of messages in it); its payload
is, per message, its length as 4 bytes big-endian and its bytes. A NATS message without the
header is one message.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence

from nats.aio.msg import Msg
from nats.js.api import RawStreamMsg

BATCH_HEADER = "Lookout-Batch"
"""Header of a batch frame: the number of messages in it."""

_LEN = struct.Struct(">I")


def frame(messages: Sequence[bytes]) -> bytes:
    """The payload of a batch frame holding ``messages``."""
    return b"".join(_LEN.pack(len(m)) + m for m in messages)


def unframe(msg: Msg | RawStreamMsg) -> list[bytes]:
    """The messages in a NATS message (delivered, or read back from a stream): a batch frame's,
    or the payload itself. Raises ``ValueError`` (or ``struct.error``) on a malformed frame."""
    hdrs = msg.headers
    if not hdrs or BATCH_HEADER not in hdrs:
        return [msg.data]
    n = int(hdrs[BATCH_HEADER])
    data, out, i = msg.data, [], 0
    while i < len(data):
        (size,) = _LEN.unpack_from(data, i)
        i += 4
        if i + size > len(data):
            raise ValueError(f"batch frame on {msg.subject}: message {len(out)} overruns the frame")
        out.append(data[i : i + size])
        i += size
    if len(out) != n:
        raise ValueError(f"batch frame on {msg.subject}: {len(out)} messages, header says {n}")
    return out
