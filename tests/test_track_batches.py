"""The exchange's system tracks to the partners in batches (distributed form, issue 16): one
``SystemTrackBatch`` envelope per recipient per picture-worker batch, holding exactly the
tracks released to it; a tampered batch refused and counted; every track audited and taken."""

from __future__ import annotations

import asyncio

import msgspec
import numpy as np
import pytest

from lookout.exchange.audit import AuditLog
from lookout.exchange.clock import SimClock
from lookout.exchange.envelope import Sealer, decode, decode_payload, envelope_bytes
from lookout.exchange.exchange import ENVELOPE_ROOM, Exchange, track_batches
from lookout.exchange.keys import EXCHANGE, Keyring, derive_key
from lookout.exchange.memory import MemoryBus
from lookout.exchange.policy import Policy
from lookout.exchange.verify import MAX_BYTES
from lookout.messages import SystemTrack, SystemTrackBatch, encode_msgpack
from lookout.node import PartnerNode

SEED = "track-batches"
T_NS = 10**9
WORKER = "PICTURE-0"
PARTNERS = ["KR", "JP", "US"]
# KR's contributions are not released to US, US's not to JP: each partner is released another
# set of the tracks below.
POLICY = {
    "partners": {"KR": ["kr-a"], "JP": ["jp-a"], "US": ["us-a"]},
    "release": {
        "KR": {"JP": "all", "US": ["detection", "local_track", "heartbeat"]},
        "JP": {"KR": "all", "US": "all"},
        "US": {"KR": "all", "JP": "none"},
    },
}
CONTRIBUTIONS = [["KR"], ["JP"], ["US"], ["KR", "US"], ["JP", "US"], ["KR", "JP"]]
EXPECTED = {
    "KR": ["S1", "S2", "S3", "S4", "S5", "S6"],
    "JP": ["S1", "S2", "S6"],
    "US": ["S2", "S3", "S5"],
}


def _track(i: int, partners: list[str], t_ns: int = T_NS) -> SystemTrack:
    return SystemTrack(system_track_id=f"S{i}", t_ns=t_ns, x=[6.4e6 + 1e3 * i, 0.0, 0.0, 0, 0, 0],
                       P=(np.eye(6) * (1.0 + i)).tolist(), partners=partners)  # fmt: skip


def _setup(policy: dict, **options):
    pol = Policy.from_dict(policy)
    keyring = Keyring.derived(SEED, [*pol.partners, EXCHANGE, WORKER])
    clock = SimClock(T_NS)
    bus = MemoryBus()
    audit = AuditLog(":memory:")
    exchange = Exchange(keyring, pol, audit, bus, clock, derive_key(SEED, EXCHANGE),
                        workers=[WORKER], **options)  # fmt: skip
    out: list[tuple[str, bytes]] = []

    async def record(subject: str, data: bytes) -> None:
        out.append((subject, data))

    nodes = {p: PartnerNode(p, derive_key(SEED, p), keyring, pol, bus, clock) for p in pol.partners}

    async def main(batch: SystemTrackBatch) -> None:
        await bus.subscribe("lookout.out.>", record)
        for node in nodes.values():
            await node.start()
        subject, data = Sealer(WORKER, derive_key(SEED, WORKER), clock).seal_for_bus(batch)
        await exchange.handle(subject, data)
        await bus.flush()
        await bus.close()

    return exchange, audit, nodes, out, main


def _by_recipient(out: list[tuple[str, bytes]]) -> dict[str, list[tuple[str, bytes]]]:
    got: dict[str, list[tuple[str, bytes]]] = {}
    for subject, data in out:
        got.setdefault(subject.split(".")[2], []).append((subject, data))
    return got


def test_each_partner_gets_one_batch_of_exactly_the_tracks_released_to_it():
    tracks = [_track(i + 1, p) for i, p in enumerate(CONTRIBUTIONS)]
    exchange, audit, nodes, out, main = _setup(POLICY)
    asyncio.run(main(SystemTrackBatch(t_ns=T_NS, tracks=tracks)))
    pol = exchange.policy
    got = _by_recipient(out)
    assert sorted(got) == sorted(PARTNERS)
    for r in PARTNERS:
        # One envelope, on the batch subject, holding what the policy releases, in order.
        [(subject, data)] = got[r]
        assert subject == f"lookout.out.{r}.system_track_batch"
        env = decode(data)
        assert env.sender == EXCHANGE and len(data) <= MAX_BYTES
        ids = [t.system_track_id for t in decode_payload(env).tracks]
        assert ids == EXPECTED[r]
        assert ids == [t.system_track_id for t in tracks if pol.may_receive(r, EXCHANGE, t)]
        # The node verified it and took each track.
        assert sorted(nodes[r].view.tracks) == EXPECTED[r]
        assert nodes[r].received["system_track_batch"] == 1 and not nodes[r].refused
    assert exchange.system_tracks == len(tracks)
    assert exchange.withheld == {"JP": 3, "US": 3}
    # The audit holds the worker's batch, every track of it, accepted.
    [row] = list(audit)
    assert row.verdict == "accepted" and row.sender == WORKER
    assert decode_payload(decode(row.data)).tracks == tracks


def test_partners_released_the_same_tracks_share_one_envelope():
    everything = {
        "partners": POLICY["partners"],
        "release": {p: {r: "all" for r in PARTNERS if r != p} for p in PARTNERS},
    }
    tracks = [_track(i + 1, p) for i, p in enumerate(CONTRIBUTIONS)]
    exchange, _, nodes, out, main = _setup(everything)
    asyncio.run(main(SystemTrackBatch(t_ns=T_NS, tracks=tracks)))
    got = _by_recipient(out)
    assert len({data for items in got.values() for _, data in items}) == 1
    assert all(len(items) == 1 for items in got.values())
    for node in nodes.values():
        assert len(node.view.tracks) == len(tracks)


def test_without_batch_tracks_every_track_is_its_own_envelope_as_before():
    tracks = [_track(i + 1, p) for i, p in enumerate(CONTRIBUTIONS)]
    _, _, nodes, out, main = _setup(POLICY, batch_tracks=False)
    asyncio.run(main(SystemTrackBatch(t_ns=T_NS, tracks=tracks)))
    got = _by_recipient(out)
    for r in PARTNERS:
        assert {s.rsplit(".", 1)[-1] for s, _ in got[r]} == {"system_track"}
        assert len(got[r]) == len(EXPECTED[r])
        assert sorted(nodes[r].view.tracks) == EXPECTED[r]


def _tampered(data: bytes, index: int) -> bytes:
    """The envelope with one track's state moved by 1 m, its signature kept (canonical)."""
    env = decode(data)
    batch = decode_payload(env)
    x = list(batch.tracks[index].x)
    x[0] += 1.0
    tracks = list(batch.tracks)
    tracks[index] = msgspec.structs.replace(tracks[index], x=x)
    payload = encode_msgpack(msgspec.structs.replace(batch, tracks=tracks))
    return envelope_bytes(msgspec.structs.replace(env, payload=payload))


def _kr_batch_and_fresh_node():
    """The exchange's batch for KR of every CONTRIBUTIONS track (its subject and bytes), and a
    fresh KR node that has taken nothing."""
    tracks = [_track(i + 1, p) for i, p in enumerate(CONTRIBUTIONS)]
    _, _, _, out, main = _setup(POLICY)
    asyncio.run(main(SystemTrackBatch(t_ns=T_NS, tracks=tracks)))
    ((subject, data),) = _by_recipient(out)["KR"]
    pol = Policy.from_dict(POLICY)
    keyring = Keyring.derived(SEED, [*pol.partners, EXCHANGE, WORKER])
    node = PartnerNode("KR", derive_key(SEED, "KR"), keyring, pol, MemoryBus(), SimClock(T_NS))
    return subject, data, node


def test_a_batch_with_one_tampered_track_is_refused_whole_and_counted():
    subject, data, node = _kr_batch_and_fresh_node()
    # The tampered batch first, then the true one.
    asyncio.run(node._on_message(subject, _tampered(data, 2)))
    assert node.refused == {"forged": 1} and node.view.tracks == {}
    asyncio.run(node._on_message(subject, data))
    assert sorted(node.view.tracks) == EXPECTED["KR"]
    # A batch sealed by a partner, not the exchange, is not taken (counted).
    forged = Sealer("JP", derive_key(SEED, "JP"), SimClock(T_NS), 10).seal_for_bus(
        SystemTrackBatch(t_ns=T_NS, tracks=[_track(9, ["JP"])])
    )[1]
    asyncio.run(node._on_message(subject, forged))
    assert node.refused["not_exchange"] == 1 and "S9" not in node.view.tracks


def test_a_worker_batch_with_one_tampered_track_is_refused_audited_and_counted():
    tracks = [_track(i + 1, p) for i, p in enumerate(CONTRIBUTIONS)]
    exchange, audit, nodes, out, _ = _setup(POLICY)
    clock = exchange.clock
    subject, data = Sealer(WORKER, derive_key(SEED, WORKER), clock).seal_for_bus(
        SystemTrackBatch(t_ns=T_NS, tracks=tracks)
    )
    asyncio.run(exchange.handle(subject, _tampered(data, 4)))
    assert exchange.refused[WORKER] == {"forged": 1}
    assert exchange.system_tracks == 0 and not exchange.delivered
    [row] = list(audit)
    assert (row.verdict, row.reason) == ("refused", "forged")


def test_a_node_takes_every_track_of_a_batch_when_one_fails():
    subject, data, node = _kr_batch_and_fresh_node()

    class Desk:
        seen: list[str] = []

        def on_track(self, track):
            self.seen.append(track.system_track_id)
            if track.system_track_id == "S2":
                raise RuntimeError("desk failed")
            return []

    node.warner = Desk()
    with pytest.raises(RuntimeError, match="desk failed"):
        asyncio.run(node._on_message(subject, data))
    assert node.warner.seen == EXPECTED["KR"]
    assert sorted(node.view.tracks) == sorted(set(EXPECTED["KR"]) - {"S2"})


def test_batches_keep_every_track_in_order_within_the_envelope_limit():
    # Some 270 kB of tracks (notices make each ~1.3 kB): split, in order, each batch's payload
    # at least ENVELOPE_ROOM inside the limit; one envelope each, accepted by the verifier.
    tracks = [
        msgspec.structs.replace(_track(i, ["KR"]), notices=[f"JP/N{i}-{k:03d}" for k in range(60)])
        for i in range(1, 201)
    ]
    batches = track_batches(T_NS, tracks)
    assert len(batches) > 1
    assert [t for b in batches for t in b.tracks] == tracks
    assert all(len(encode_msgpack(b)) <= MAX_BYTES - ENVELOPE_ROOM for b in batches)
    assert track_batches(T_NS, []) == []
