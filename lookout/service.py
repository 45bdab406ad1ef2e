"""The distributed form: the exchange service and partner nodes as separate processes on NATS.

``lookout serve`` runs :func:`serve` (the exchange, fusion and assessment on a ``NatsBus`` that
creates the durable streams); ``lookout node --partner P`` runs :func:`run_node` (that partner's
sensors, from the scenario's simulation, fed to its ``PartnerNode`` as the scenario clock
reaches them). Every process is given the same scenario, start time and speed, so their
``ScenarioClock``s agree. Keys are derived from the scenario's seed, for simulation only; a
real deployment would load each partner's key from its own store.

A node subscribes with its durable consumer: if it stops and comes back, it catches up from the
stream with nothing lost (its verifier does not refuse old envelopes during catch-up: replays
are still refused by sequence).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from lookout.demo import PICTURE_PARAMS, STEP_S, default_policy, key_seed
from lookout.exchange.audit import AuditLog
from lookout.exchange.clock import ScenarioClock
from lookout.exchange.exchange import Exchange
from lookout.exchange.keys import EXCHANGE, Keyring, derive_key
from lookout.exchange.nats_bus import NatsBus
from lookout.exchange.policy import Policy
from lookout.exchange.verify import MAX_AGE_NS, MAX_AHEAD_NS, Verifier
from lookout.node import PartnerNode
from lookout.picture import CommonPicture
from lookout.scenario import Scenario
from lookout.simulate import simulate


def policy_for(scenario: Scenario, policy: Policy | None) -> Policy:
    return policy or Policy.from_dict(default_policy(scenario))


async def serve(
    scenario: Scenario,
    bus: NatsBus,
    *,
    start_unix_s: float,
    speed: float = 1.0,
    audit_path: str = "lookout-audit.sqlite",
    policy: Policy | None = None,
    until_s: float | None = None,
    status: Callable[[Exchange, CommonPicture, float], None] | None = None,
    on_start: Callable[[Exchange], None] | None = None,
) -> Exchange:
    """Run the exchange until scenario time ``until_s`` (default: the scenario's end);
    ``on_start`` sees the exchange before it starts (the web taps it there)."""
    pol = policy_for(scenario, policy)
    seed = key_seed(scenario)
    keyring = Keyring.derived(seed, [*pol.partners, EXCHANGE])
    clock = ScenarioClock(start_unix_s, speed)
    audit = AuditLog(audit_path)
    picture = CommonPicture(**PICTURE_PARAMS)
    # The freshness window is wall time: scaled to scenario time at this speed.
    scale = max(speed, 1.0)
    verifier = Verifier(
        keyring,
        clock,
        max_age_ns=round(MAX_AGE_NS * scale),
        max_ahead_ns=round(MAX_AHEAD_NS * scale),
    )
    exchange = Exchange(
        keyring, pol, audit, bus, clock, derive_key(seed, EXCHANGE), picture, verifier=verifier
    )
    if on_start:
        on_start(exchange)
    await bus.connect()
    await exchange.start()
    end = scenario.duration_s if until_s is None else until_s
    try:
        while clock.now_ns() * 1e-9 < end:
            await asyncio.sleep(1.0)
            if status:
                status(exchange, picture, clock.now_ns() * 1e-9)
    finally:
        await exchange.flush()
        audit.close()
        await bus.close()
    return exchange


async def run_node(
    scenario: Scenario,
    partner: str,
    bus: NatsBus,
    *,
    start_unix_s: float,
    speed: float = 1.0,
    policy: Policy | None = None,
    until_s: float | None = None,
    status: Callable[[PartnerNode, float], None] | None = None,
    on_start: Callable[[PartnerNode], None] | None = None,
) -> PartnerNode:
    """Run ``partner``'s node until scenario time ``until_s`` (default: the scenario's end);
    ``on_start`` sees the node before it starts (the web taps it there)."""
    pol = policy_for(scenario, policy)
    if partner not in pol.partners:
        raise ValueError(f"partner = {partner!r}, expected one of {pol.partners}")
    seed = key_seed(scenario)
    keyring = Keyring.derived(seed, [*pol.partners, EXCHANGE])
    clock = ScenarioClock(start_unix_s, speed)
    sim = simulate(scenario)
    mine = [d for d in sim.detections if d.partner == partner]
    node = PartnerNode(
        partner,
        derive_key(seed, partner),
        keyring,
        pol,
        bus,
        clock,
        verifier=Verifier(keyring, clock, max_age_ns=None),
        seq_start=time.time_ns(),  # above anything a previous run of this node sent
    )
    if on_start:
        on_start(node)
    await bus.connect()
    await node.start(durable=partner)
    end = scenario.duration_s if until_s is None else until_s
    i = 0
    last_status = 0.0
    try:
        while True:
            now = clock.now_ns()
            j = i
            while j < len(mine) and mine[j].t_ns <= now:
                j += 1
            await node.step(mine[i:j])
            i = j
            if status and time.monotonic() - last_status > 1.0:
                last_status = time.monotonic()
                status(node, now * 1e-9)
            if now * 1e-9 >= end:
                break
            await asyncio.sleep(STEP_S / max(speed, 1e-9))
    finally:
        await bus.flush()
        await bus.close()
    return node
