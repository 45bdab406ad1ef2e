"""The exchange between partners: signed envelopes, verification, releasability, audit, relay.

Modules: :mod:`.keys` (Ed25519 keys, keyring), :mod:`.envelope` (seal and open),
:mod:`.verify` (the checks, with reasons), :mod:`.policy` (releasability), :mod:`.audit`
(append-only SQLite log), :mod:`.bus` (the bus protocol and subjects), :mod:`.memory` (the
in-process bus), :mod:`.exchange` (the exchange itself), :mod:`.replay` (picture from a log),
:mod:`.clock` (clocks). The NATS bus is the package :mod:`.nats`, imported only when used.
"""

from lookout.exchange.audit import AuditLog, AuditRecord, read_audit
from lookout.exchange.bus import Bus, in_subject, out_all, out_subject, subject_matches
from lookout.exchange.clock import Clock, SimClock, WallClock
from lookout.exchange.envelope import Sealer, decode, envelope_bytes, open, seal
from lookout.exchange.exchange import Exchange, Fusion
from lookout.exchange.keys import EXCHANGE, Keyring, derive_key, generate_key
from lookout.exchange.memory import MemoryBus
from lookout.exchange.policy import Policy, PolicyError
from lookout.exchange.replay import Picture, ReplayError, collect, replay, replay_async
from lookout.exchange.verify import Reason, Verdict, Verifier

__all__ = [
    "EXCHANGE",
    "AuditLog",
    "AuditRecord",
    "Bus",
    "Clock",
    "Exchange",
    "Fusion",
    "Keyring",
    "MemoryBus",
    "Picture",
    "Policy",
    "PolicyError",
    "Reason",
    "ReplayError",
    "Sealer",
    "SimClock",
    "Verdict",
    "Verifier",
    "WallClock",
    "collect",
    "decode",
    "derive_key",
    "envelope_bytes",
    "generate_key",
    "in_subject",
    "open",
    "out_all",
    "out_subject",
    "read_audit",
    "replay",
    "replay_async",
    "seal",
    "subject_matches",
]
