"""Batch frames: several messages in one NATS message.

A frame carries the header :data:`BATCH_HEADER` (the number of messages in it); its payload
is, per message, its length as 4 bytes big-endian and its bytes. A NATS message without the
header is one message.

A *mixed* frame (header :data:`SUBJECTS_HEADER` too) holds messages of several subjects that
differ only in their last token (``lookout.in.KR.heartbeat``, ``lookout.in.KR.local_track``):
it goes on ``<prefix>.frame`` and each message carries its last token (2 bytes of length, the
token) before its length and bytes. The token is one subject token (no ``.``, no wildcard), so
a message in a frame can only ever name a subject under the frame's own prefix: what a partner
may publish on (the broker checks the frame's subject) bounds what its frames hold.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence

from nats.aio.msg import Msg
from nats.js.api import RawStreamMsg

BATCH_HEADER = "Lookout-Batch"
"""Header of a batch frame: the number of messages in it."""
SUBJECTS_HEADER = "Lookout-Subjects"
"""Header of a mixed frame ("last-token"): each message names its subject's last token."""
MIXED_TOKEN = "frame"
"""The last token of a mixed frame's own subject."""

_LEN = struct.Struct(">I")
_TOKEN = struct.Struct(">H")
_BAD_TOKEN = set(" .*>\t\r\n")


def frame(messages: Sequence[bytes]) -> bytes:
    """The payload of a batch frame holding ``messages``."""
    return b"".join(_LEN.pack(len(m)) + m for m in messages)


def mixed_subject(subject: str) -> str:
    """The subject of the mixed frame that can carry ``subject``: its prefix, then ``frame``."""
    return subject.rsplit(".", 1)[0] + "." + MIXED_TOKEN


def frame_mixed(items: Sequence[tuple[str, bytes]]) -> bytes:
    """The payload of a mixed frame holding ``items`` (subject, bytes), all under one prefix."""
    out = []
    for subject, data in items:
        token = subject.rsplit(".", 1)[1].encode()
        out.append(_TOKEN.pack(len(token)) + token + _LEN.pack(len(data)) + data)
    return b"".join(out)


def unframe_items(msg: Msg | RawStreamMsg) -> list[tuple[str, bytes]]:
    """The (subject, bytes) of each message in a NATS message: a mixed frame's (their own
    subjects), a batch frame's or the payload itself (the message's subject). Raises
    ``ValueError`` (or ``struct.error``) on a malformed frame."""
    hdrs = msg.headers
    if not hdrs or BATCH_HEADER not in hdrs:
        return [(msg.subject, msg.data)]
    if SUBJECTS_HEADER not in hdrs:
        return [(msg.subject, m) for m in _messages(msg)]
    n = int(hdrs[BATCH_HEADER])
    prefix = msg.subject.rsplit(".", 1)[0] + "."
    data, out, i = msg.data, [], 0
    while i < len(data):
        (size,) = _TOKEN.unpack_from(data, i)
        i += _TOKEN.size
        token = data[i : i + size].decode()
        i += size
        if not token or _BAD_TOKEN.intersection(token):
            raise ValueError(f"mixed frame on {msg.subject}: message {len(out)} names {token!r}")
        (size,) = _LEN.unpack_from(data, i)
        i += 4
        if i + size > len(data):
            raise ValueError(f"batch frame on {msg.subject}: message {len(out)} overruns the frame")
        out.append((prefix + token, data[i : i + size]))
        i += size
    if len(out) != n:
        raise ValueError(f"batch frame on {msg.subject}: {len(out)} messages, header says {n}")
    return out


def unframe(msg: Msg | RawStreamMsg) -> list[bytes]:
    """The messages in a NATS message (delivered, or read back from a stream): a batch frame's,
    or the payload itself. Raises ``ValueError`` (or ``struct.error``) on a malformed frame."""
    return [data for _, data in unframe_items(msg)]


def _messages(msg: Msg | RawStreamMsg) -> list[bytes]:
    n = int(msg.headers[BATCH_HEADER])
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
