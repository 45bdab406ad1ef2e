"""The embedded coalition, built once for every run in one process: the demo (``demo``), the
picture benchmark (``lookout.bench.picture``) and the tests that run the chain.

``Coalition.build`` makes, from a scenario, the releasability policy, the keys derived from the
scenario's seed, the simulation clock, the memory bus, the signed audit log, the exchange with
its common picture, and one node per partner; ``start`` starts the exchange, then the nodes (a
caller that taps or times a part does so between the two). ``steps`` are the instants of the
loop (every ``STEP_S`` to the end, the end included) and ``DetectionFeed`` hands each partner's
node its detections up to an instant.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from lookout.app.defaults import (
    ASSESS_WORKER,
    EMBEDDED_PICTURE_PARAMS,
    HEARTBEAT_S,
    STEP_S,
    default_policy,
    key_seed,
)
from lookout.exchange.audit import AuditLog
from lookout.exchange.clock import SimClock
from lookout.exchange.exchange import Exchange
from lookout.exchange.keys import EXCHANGE, Keyring, derive_key
from lookout.exchange.memory import MemoryBus
from lookout.exchange.policy import Policy
from lookout.exchange.verify import SignatureMemo, Verifier
from lookout.messages import Detection
from lookout.node import PartnerNode
from lookout.picture.common import CommonPicture
from lookout.scenario import Scenario
from lookout.sensors.schedule import declared_scans
from lookout.timebase import s_to_ns
from lookout.tracking.coverage import declared_coverage
from lookout.warn.issue import warner_for


def steps(end_s: float, step_s: float = STEP_S) -> Iterator[float]:
    """The loop's instants in seconds: ``step_s``, ``2 step_s``, ... and ``end_s`` last."""
    k = 0
    while True:
        k += 1
        t = min(k * step_s, end_s)
        yield t
        if t >= end_s:
            return


class DetectionFeed:
    """A simulation's detections (in time order) handed to each partner up to an instant; what
    it handed out it no longer holds (a caller that keeps the simulation keeps them)."""

    def __init__(self, detections: Sequence[Detection], partners: Sequence[str]) -> None:
        self.by_partner: dict[str, deque[Detection]] = {p: deque() for p in partners}
        for d in detections:
            self.by_partner[d.partner].append(d)
        self._count = sum(len(d) for d in self.by_partner.values())

    def until(self, partner: str, t_ns: int) -> list[Detection]:
        """The partner's detections after the last call's instant, up to ``t_ns`` included."""
        dets = self.by_partner[partner]
        out = []
        while dets and dets[0].t_ns <= t_ns:
            out.append(dets.popleft())
        return out

    def shared(self) -> int:
        """How many detections the feed was given in all."""
        return self._count


async def step_nodes(nodes: dict[str, PartnerNode], feed: DetectionFeed, t_ns: int) -> None:
    """One step of an embedded run: each partner's node gets its detections up to ``t_ns``."""
    for p, node in nodes.items():
        await node.step(feed.until(p, t_ns))


@dataclass
class Coalition:
    """Everything of an embedded run but the simulation: see the module's doc."""

    scenario: Scenario
    policy_doc: dict
    seed: str
    keyring: Keyring
    clock: SimClock
    bus: MemoryBus
    audit: AuditLog
    picture: CommonPicture
    exchange: Exchange
    nodes: dict[str, PartnerNode]

    @classmethod
    def build(
        cls,
        scenario: Scenario,
        audit_path: Path | str,
        *,
        policy: dict | None = None,
        warn: bool = False,
    ) -> Coalition:
        """The coalition of ``scenario``, not started; ``warn``: every node issues its public
        warnings."""
        policy_doc = policy or default_policy(scenario)
        pol = Policy.from_dict(policy_doc)
        seed = key_seed(scenario)
        names = [p.id for p in scenario.partners]
        keyring = Keyring.derived(seed, [*names, EXCHANGE])
        clock = SimClock(0)
        bus = MemoryBus()
        audit = AuditLog(audit_path, sign=derive_key(seed, EXCHANGE).sign)  # signed checkpoints
        # The assessment's batches in a child process: in a thread they held the interpreter
        # (numpy on small arrays keeps the GIL) and slowed the loop's deliveries twofold.
        picture = CommonPicture(**EMBEDDED_PICTURE_PARAMS, assess_worker=ASSESS_WORKER)
        # One process: an envelope relayed to every node is verified once (``SignatureMemo``).
        memo = SignatureMemo()
        exchange = Exchange(keyring, pol, audit, bus, clock, derive_key(seed, EXCHANGE), picture,
                            verifier=Verifier(keyring, clock, signatures=memo))  # fmt: skip
        nodes = {
            p: PartnerNode(p, derive_key(seed, p), keyring, pol, bus, clock,
                           warner=warner_for(scenario, p, derive_key(seed, p)) if warn else None,
                           coverage=declared_coverage(scenario, p), heartbeat_s=HEARTBEAT_S,
                           scans=declared_scans(scenario, p),
                           verifier=Verifier(keyring, clock, signatures=memo))
            for p in names
        }  # fmt: skip
        return cls(scenario, policy_doc, seed, keyring, clock, bus, audit, picture, exchange, nodes)

    async def start(self) -> None:
        await self.exchange.start()
        for node in self.nodes.values():
            await node.start()
        for notice in self.scenario.notices:  # the partners' pre-launch notifications
            if notice.issued_s <= 0.0:
                await self.nodes[notice.partner].announce(notice.message())
        await self.bus.flush()

    async def announce_due(self, t_prev_s: float, t_s: float) -> None:
        """The notifications issued in (``t_prev_s``, ``t_s``], each by its partner's node."""
        for notice in self.scenario.notices:
            if t_prev_s < notice.issued_s <= t_s:
                await self.nodes[notice.partner].announce(notice.message())

    async def step(self, feed: DetectionFeed, t_s: float) -> None:
        """The clock to ``t_s``, every node given its detections, the bus drained."""
        t_ns = s_to_ns(t_s)
        t_prev = self.clock.now_ns()
        self.clock.set(t_ns)
        await self.announce_due(t_prev * 1e-9, t_s)
        await step_nodes(self.nodes, feed, t_ns)
        await self.bus.flush()
