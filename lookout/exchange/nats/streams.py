"""The JetStream streams: what each holds, which capture a subject, and reading back what the
exchange acked.

Two streams per partner P, each kept as its guarantee needs:

- ``LOOKOUT_IN_P`` (``lookout.in.P.>``, P to the exchange): the signed envelopes, the record the
  audit log is checked against, which must never be lost: **file** storage (fsynced as the
  server's ``sync_interval`` says), its own quota, discard new, so a partner flooding fills only
  its own and nothing acked is ever evicted;
- ``LOOKOUT_OUT_P`` (``lookout.out.P.>``, the exchange to P): **memory** storage, bounded
  (``OUT_BYTES``), discard old: what the exchange released is in its audit log and the picture
  is sent again every second, so it can be rebuilt; only that partner's own deliveries can be
  evicted. Replicated as the inbound ones on a cluster (a server lost loses nothing); on a lone
  server a restart empties it and the exchange creates it again
  (:meth:`~lookout.exchange.nats.bus.NatsBus.connect`'s reconnect handling).

An outbound stream an older configuration created on file is kept as it is (JetStream cannot
change a stream's storage), with a warning.
"""

from __future__ import annotations

import ssl
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import nats
import nats.js.api
import nats.js.errors

from lookout.exchange.bus import in_all, intersect, out_all
from lookout.exchange.nats.config import in_stream, inbox_prefix, out_stream
from lookout.exchange.nats.framing import unframe


@dataclass(frozen=True)
class StreamSpec:
    """A JetStream stream: its name, the subjects it captures (each ending in ``>``), its
    limits, and what happens when full: ``discard`` "new" refuses new messages (nothing stored
    is evicted), "old" evicts the oldest."""

    name: str
    subjects: tuple[str, ...]
    max_age_s: float = 7 * 24 * 3600.0
    max_bytes: int = 256 * 1024**2
    max_msgs: int = -1
    discard: str = "new"
    duplicate_window_s: float = 120.0
    storage: str = "file"  # or "memory": lost with a lone server's restart, rebuilt


#: Bytes of each partner's outbound (memory) stream, and of an assessor's into the exchange.
OUT_BYTES = 64 * 1024**2
WORKER_BYTES = 32 * 1024**2


def streams_for(
    partners: Sequence[str], *, in_bytes: int = 256 * 1024**2, out_bytes: int = OUT_BYTES
) -> tuple[StreamSpec, ...]:
    """Each partner's inbound stream (file, its quota ``in_bytes``, discard new) and outbound
    stream (memory, ``out_bytes``, discard old: only that partner's own deliveries can be
    evicted)."""
    out: list[StreamSpec] = []
    for p in partners:
        out.append(StreamSpec(in_stream(p), (in_all(p),), max_bytes=in_bytes))
        out.append(StreamSpec(out_stream(p), (out_all(p),), max_bytes=out_bytes, discard="old",
                              storage="memory"))  # fmt: skip
    return tuple(out)


def stream_config(spec: StreamSpec, replicas: int) -> dict[str, Any]:
    """The keyword arguments of nats-py's ``add_stream`` / ``update_stream`` for ``spec``:
    its storage, ``replicas`` copies, limits retention."""
    if spec.storage not in ("file", "memory"):
        raise ValueError(f"storage = {spec.storage!r} ({spec.name}), expected file or memory")
    return dict(
        name=spec.name,
        subjects=list(spec.subjects),
        storage=nats.js.api.StorageType(spec.storage),
        num_replicas=replicas,
        retention=nats.js.api.RetentionPolicy.LIMITS,
        discard=nats.js.api.DiscardPolicy(spec.discard),
        max_age=spec.max_age_s,
        max_bytes=spec.max_bytes,
        max_msgs=spec.max_msgs,
        duplicate_window=spec.duplicate_window_s,
    )


def capturing(streams: Sequence[StreamSpec], subject: str) -> list[tuple[str, str]]:
    """``(stream, filter)`` of every stream of ``streams`` that captures part of ``subject``
    (wildcards allowed), the filter being the part it captures; ValueError if none does."""
    out = []
    for spec in streams:
        for pat in spec.subjects:
            both = intersect(pat, subject)
            if both is not None:
                out.append((spec.name, both))
                break
    if not out:
        raise ValueError(
            f"subject {subject!r}: no stream captures it; streams: "
            + ", ".join(f"{s.name} {list(s.subjects)}" for s in streams)
        )
    return out


async def acked_inbound(
    servers: str | Sequence[str],
    login: dict[str, str],
    partners: Sequence[str],
    *,
    durable: str = "lookout-exchange",
    tls_ca: str | None = None,
) -> list[bytes]:
    """Every envelope the exchange acked from the partners' inbound streams (up to its
    consumer's ack floor; what it has not read yet stays in the stream for its next run), as
    the partners sent them: for checking that each has an audit row."""
    opts: dict[str, Any] = {"inbox_prefix": inbox_prefix(login["user"]), **login}
    if tls_ca is not None:
        opts["tls"] = ssl.create_default_context(cafile=tls_ca)
    nc = await nats.connect(servers, **opts)
    js = nc.jetstream()
    out: list[bytes] = []
    try:
        for p in partners:
            stream = in_stream(p)
            info = await js.stream_info(stream)
            consumer = await js.consumer_info(stream, f"{durable}_{stream}")
            for seq in range(max(info.state.first_seq, 1), consumer.ack_floor.stream_seq + 1):
                try:
                    m = await js.get_msg(stream, seq)
                except nats.js.errors.NotFoundError:  # a deleted sequence
                    continue
                out += unframe(m)
    finally:
        await nc.close()
    return out
