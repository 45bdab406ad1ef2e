"""The JetStream API as JSON on subjects, for what nats-py's JetStream client does not do the
way the bus needs: a durable pull consumer on an explicit config, its pull requests and their
status replies, and the acks of published messages.

Pure functions: subjects and request bodies built, replies read. Sending them is the bus's.
"""

from __future__ import annotations

import json
from typing import Any

from nats.aio.msg import Msg

from lookout.timebase import s_to_ns

#: JetStream's error codes the bus acts on.
STREAM_NOT_FOUND = 10059
CONSUMER_NAME_IN_USE = 10013  # a durable that exists with another config: kept (resumed)
CONSUMER_NOT_FOUND = 10014


def consumer_subject(kind: str, stream: str, durable: str) -> str:
    """The JetStream API subject of a consumer's ``kind`` request: "next" (pull messages),
    "info" or "delete"."""
    verb = {"next": "MSG.NEXT", "info": "INFO", "delete": "DELETE"}[kind]
    return f"$JS.API.CONSUMER.{verb}.{stream}.{durable}"


def pull_request(batch: int, expires_s: float, heartbeat_s: float) -> bytes:
    """The body of a pull request: up to ``batch`` messages, the request ending after
    ``expires_s``, an idle heartbeat every ``heartbeat_s`` meanwhile."""
    req = {"batch": batch, "expires": s_to_ns(expires_s), "idle_heartbeat": s_to_ns(heartbeat_s)}
    return json.dumps(req).encode()


def create_consumer(
    stream: str,
    name: str,
    filt: str,
    *,
    deliver: str,
    ack_wait_s: float,
    max_deliver: int,
    max_ack_pending: int,
    start_seq: int | None = None,
    mem_storage: bool = False,
) -> tuple[str, bytes]:
    """Subject and body creating the durable pull consumer ``name`` on ``stream``, filtered on
    ``filt``: explicit acks (each message on its own), starting at ``deliver`` ("all", "new",
    "last"), or at stream sequence ``start_seq`` if given; ``mem_storage``: its state (what is
    delivered and acked) kept in the servers' memory, replicated but not written to disk."""
    config: dict[str, Any] = {
        "durable_name": name,
        "name": name,
        "filter_subject": filt,
        "deliver_policy": deliver,
        "ack_policy": "explicit",
        "ack_wait": s_to_ns(ack_wait_s),
        "max_deliver": max_deliver,
        "max_ack_pending": max_ack_pending,
        "max_waiting": 512,
        "replay_policy": "instant",
    }
    if start_seq is not None:
        config.update(deliver_policy="by_start_sequence", opt_start_seq=start_seq)
    if mem_storage:
        config["mem_storage"] = True
    subject = f"$JS.API.CONSUMER.CREATE.{stream}.{name}.{filt}"
    return subject, json.dumps({"stream_name": stream, "config": config}).encode()


def check_created(resp: dict[str, Any], stream: str, name: str, filt: str) -> None:
    """Read the reply to :func:`create_consumer`: ConnectionError if the stream does not exist
    yet, ValueError if JetStream refused; a durable already there (another config) is kept."""
    err = resp.get("error")
    if err is None:
        return
    if err.get("err_code") == STREAM_NOT_FOUND:
        raise ConnectionError(
            f"durable {name!r}: stream {stream} does not exist yet; the exchange "
            "creates it (NatsBus(manage_streams=True)), start it first"
        )
    if err.get("err_code") == CONSUMER_NAME_IN_USE:
        return
    raise ValueError(
        f"durable {name!r} on {stream} with filter {filt!r}: JetStream refused: "
        f"{err.get('code')} {err.get('description')}"
    )


def bound_filter(resp: dict[str, Any], stream: str, name: str) -> str | None:
    """The filter subject of the consumer whose "info" reply is ``resp``; ConnectionError if
    there is none (the exchange has not created it yet)."""
    err = resp.get("error")
    if err is not None:
        raise ConnectionError(
            f"durable {name!r} on {stream}: {err.get('description')}; the exchange creates "
            "the streams and each partner's consumer: start it first"
        )
    return resp.get("config", {}).get("filter_subject")


def pull_status(msg: Msg) -> tuple[str, int, str] | None:
    """``(status, messages the request still held, description)`` of a status message on a
    pull inbox (100 a heartbeat; 404, 408 the request ended; 409, 503 ask again later), or None
    for a message of the stream."""
    hdrs = msg.headers
    if not hdrs or "Status" not in hdrs or msg.data:
        return None
    try:
        left = int(hdrs.get("Nats-Pending-Messages", "0"))
    except ValueError:
        left = 0
    return hdrs.get("Status", ""), left, hdrs.get("Description", "")


def no_responders(msg: Msg) -> bool:
    """Whether the reply to a publish says no stream answered: none captures the subject, or
    its stream has no leader for a moment."""
    return bool(msg.headers) and msg.headers.get("Status") == "503"


def pub_ack_error(data: bytes) -> str | None:
    """The reason JetStream refused a published message, from its ack ``data``; None if it
    stored it."""
    if b'"error"' not in data:
        return None
    try:
        err = json.loads(data)["error"]
        return f"{err.get('code')} {err.get('description')}"
    except (ValueError, KeyError, AttributeError):
        return data.decode(errors="replace")
