"""Replay an audit log: rebuild the picture every partner received, from the log alone.

:func:`replay` feeds every envelope of a log, in its order, through a fresh
:class:`~.exchange.Exchange` (fresh verifier, fresh fusion) whose clock reads each envelope's
recorded receive time, collects what it delivers, and checks that each envelope gets the
verdict it got live (accepted, late or refused, and why). Signatures are
deterministic (Ed25519), so with the same exchange key the system-track envelopes come out
byte for byte as they went out live.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from lookout.errors import LookoutError
from lookout.exchange.audit import AuditLog, read_audit
from lookout.exchange.bus import OUT, Bus, parse_subject
from lookout.exchange.clock import SimClock
from lookout.exchange.exchange import Exchange, Fusion
from lookout.exchange.keys import Keyring
from lookout.exchange.memory import MemoryBus
from lookout.exchange.policy import Policy
from lookout.exchange.verify import Verifier

#: What each recipient received, in order: (subject, envelope bytes).
Picture = dict[str, list[tuple[str, bytes]]]


class ReplayError(LookoutError, RuntimeError):
    """An envelope accepted live was refused on replay: the log or the inputs differ."""


async def collect(bus: Bus) -> Picture:
    """Subscribe to everything the exchange delivers on ``bus``; the returned picture fills
    as deliveries arrive."""
    picture: Picture = {}

    async def record(subject: str, data: bytes) -> None:
        parsed = parse_subject(subject)
        recipient = parsed[1] if parsed else subject
        picture.setdefault(recipient, []).append((subject, data))

    await bus.subscribe(OUT + ".>", record)
    return picture


async def replay_async(
    audit_path: str | Path,
    keyring: Keyring,
    policy: Policy,
    exchange_key: Ed25519PrivateKey,
    fusion: Fusion | None = None,
    *,
    verifier_options: dict | None = None,
    seq_start: int = 0,
) -> Picture:
    """:func:`replay` inside a running event loop."""
    clock = SimClock()
    bus = MemoryBus()
    picture = await collect(bus)
    audit = AuditLog(":memory:")
    verifier = Verifier(keyring, clock, **(verifier_options or {}))
    exchange = Exchange(
        keyring, policy, audit, bus, clock, exchange_key, fusion,
        verifier=verifier, seq_start=seq_start,
    )  # fmt: skip
    for record in read_audit(audit_path):
        clock.set(record.received_ns)
        await exchange.handle(record.subject, record.data)
        again = exchange.last_verdict
        reason = None if again.accepted else str(again.reason)
        if (again.verdict, reason) != (record.verdict, record.reason):
            raise ReplayError(
                f"audit record {record.id}: {record.verdict} {record.reason or ''} live, "
                f"{again.verdict} {reason or ''} on replay ({again.detail})"
            )
        await bus.flush()
    await bus.close()
    audit.close()
    return picture


def replay(
    audit_path: str | Path,
    keyring: Keyring,
    policy: Policy,
    exchange_key: Ed25519PrivateKey,
    fusion: Fusion | None = None,
    *,
    verifier_options: dict | None = None,
    seq_start: int = 0,
) -> Picture:
    """The picture delivered to each recipient, rebuilt from the log at ``audit_path``.

    ``keyring``, ``policy``, ``exchange_key``, ``verifier_options`` (keyword arguments of
    :class:`~.verify.Verifier`) and ``seq_start`` must be those of the live run, and ``fusion``
    a fresh instance of its fusion.
    """
    return asyncio.run(
        replay_async(
            audit_path, keyring, policy, exchange_key, fusion,
            verifier_options=verifier_options, seq_start=seq_start,
        )
    )  # fmt: skip
