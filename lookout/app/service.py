"""The distributed form: the exchange service and partner nodes as separate processes on NATS.

``lookout serve`` runs :func:`serve` (the exchange, fusion and assessment on a ``NatsBus`` that
creates the durable streams); ``lookout node --partner P`` runs :func:`run_node` (that partner's
sensors, from the scenario's simulation, fed to its ``PartnerNode`` as the scenario clock
reaches them). Every process is given the same scenario, start time and speed, so their
``ScenarioClock``s agree. Keys are derived from the scenario's seed, for simulation only; a
real deployment would load each partner's key from its own store.

Restarts are routine (kill -9 included):

- the exchange resumes from its audit log: replay windows, its sequence numbers and the next
  system-track id (``lookout.exchange.exchange.resume_point``); its durable consumers hand it
  what was not acked (acks wait for the audit commit), and what it already audited comes again
  as a duplicate, relayed again, never fused twice;
- a node with a ``state_dir`` keeps there (``<P>-node.json``) the sequence numbers it reserved
  and how far its sensors' data was sent and stored by the broker: a restarted node continues
  above its last number and from where it stopped, not from the scenario's start. Its durable
  consumer hands it what was delivered while it was away (its verifier does not refuse old
  envelopes during catch-up: replays are still refused by sequence).
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable
from pathlib import Path

import yaml

from lookout.app.defaults import HEARTBEAT_S, PICTURE_PARAMS, STEP_S, default_policy, key_seed
from lookout.exchange.audit import AuditLog
from lookout.exchange.clock import ScenarioClock
from lookout.exchange.envelope import SequenceFile
from lookout.exchange.exchange import Exchange, resume_point
from lookout.exchange.keys import EXCHANGE, Keyring, derive_key
from lookout.exchange.nats import BusPublishError, NatsBus
from lookout.exchange.policy import Policy
from lookout.exchange.verify import MAX_AGE_NS, MAX_AHEAD_NS, Verifier
from lookout.node import PartnerNode
from lookout.picture.common import CommonPicture
from lookout.scenario import Scenario
from lookout.sensors.schedule import declared_scans
from lookout.simulate import simulate
from lookout.timebase import ns_to_s
from lookout.tracking.coverage import declared_coverage
from lookout.warn.issue import warner_for

log = logging.getLogger(__name__)


#: Where a start time given as ``@PATH`` is read from: a file holding the Unix time.
StartTime = float | str


async def start_time(start: StartTime) -> float:
    """The Unix time the scenario's epoch is played at: ``start`` itself, or, for ``"@PATH"``,
    the number in that file, waited for (so that processes set up first and start together)."""
    if isinstance(start, int | float):
        return float(start)
    if not start.startswith("@"):
        return float(start)
    path = Path(start[1:])
    while True:
        try:
            return float(path.read_text().strip())
        except (FileNotFoundError, ValueError):  # not there yet, or half written
            await asyncio.sleep(0.05)


def policy_for(scenario: Scenario, policy: Policy | None) -> Policy:
    return policy or Policy.from_dict(default_policy(scenario))


async def serve(
    scenario: Scenario,
    bus: NatsBus,
    *,
    start_unix_s: StartTime,
    speed: float = 1.0,
    audit_path: str = "lookout-audit.sqlite",
    policy: Policy | None = None,
    until_s: float | None = None,
    status: Callable[[Exchange, CommonPicture | None, float], None] | None = None,
    ready: Callable[[], None] | None = None,
    workers: int = 0,
    on_start: Callable[[Exchange], None] | None = None,
) -> Exchange:
    """Run the exchange until scenario time ``until_s`` (default: the scenario's end); resumes
    from ``audit_path`` if it exists. With ``workers`` > 0 the fusion and assessment are not
    in it: it feeds the fusion process and takes the system tracks of that many assessors
    (``lookout.app.picture_workers``; its bus must hold :func:`~lookout.app.picture_workers.
    exchange_streams`). ``on_start`` sees the exchange before it starts (the web and the
    benchmarks' probes tap it there)."""
    from lookout.app.picture_workers import FUSE, worker_names

    pol = policy_for(scenario, policy)
    if workers and not bus.is_core(f"{FUSE}.X.y"):
        raise ValueError(
            f"workers = {workers}: the bus must take the fusion's feed on core NATS "
            "(NatsBus(core=picture_workers.CORE_SUBJECTS))"
        )
    seed = key_seed(scenario)
    names = worker_names(workers)
    keyring = Keyring.derived(seed, [*pol.partners, EXCHANGE, *names])
    exchange_key = derive_key(seed, EXCHANGE)
    known = isinstance(start_unix_s, int | float) or not str(start_unix_s).startswith("@")
    clock = ScenarioClock(float(start_unix_s) if known else time.time() + 1e6, speed)
    audit = AuditLog(audit_path, sign=exchange_key.sign)
    meta = audit.meta()
    policy_doc = policy_dict(pol)
    for key, value in (
        ("scenario", scenario.source or scenario.name),
        ("key_seed", seed),
        ("policy", yaml.safe_dump(policy_doc)),
        ("picture", json.dumps(PICTURE_PARAMS)),
        ("clock", json.dumps({"start": str(start_unix_s), "speed": speed})),
    ):
        if key not in meta:
            audit.put_meta(key, value)
    resumed = resume_point(audit)
    picture = None
    if not workers:
        picture = CommonPicture(**PICTURE_PARAMS, first_system_track_id=resumed["system_track_id"])
    # The freshness window is wall time: scaled to scenario time at this speed.
    scale = max(speed, 1.0)
    verifier = Verifier(
        keyring,
        clock,
        max_age_ns=round(MAX_AGE_NS * scale),
        max_ahead_ns=round(MAX_AHEAD_NS * scale),
    )
    exchange = Exchange(
        keyring, pol, audit, bus, clock, exchange_key, picture, verifier=verifier,
        workers=names, feed=FUSE if workers else None,
    )  # fmt: skip
    if on_start:
        on_start(exchange)
    _dump_tasks_on_sigusr1()
    await bus.connect()  # creates the streams and the partners' consumers
    if ready:
        ready()
    # The clock before anything is taken (what waited in the streams is judged by it).
    clock.set_start(await start_time(start_unix_s))
    await exchange.start()
    end = scenario.duration_s if until_s is None else until_s
    try:
        while ns_to_s(clock.now_ns()) < end:
            await asyncio.sleep(1.0)
            if status:
                status(exchange, picture, ns_to_s(clock.now_ns()))
    finally:
        try:  # stops consuming, acks what the audit holds
            await asyncio.wait_for(bus.close(), 120.0)
        except TimeoutError:
            log.error("the bus did not close within 120 s; unacked envelopes come again")
        audit.close()  # commits, checkpoints (signed), folds the WAL in
    return exchange


def _dump_tasks_on_sigusr1() -> None:
    """``kill -USR1 PID`` prints every asyncio task's stack to stderr (what is it waiting for?)."""
    import signal
    import sys

    def dump() -> None:
        for task in asyncio.all_tasks():
            print(f"--- {task!r}", file=sys.stderr)
            task.print_stack(file=sys.stderr)
        sys.stderr.flush()

    try:
        asyncio.get_running_loop().add_signal_handler(signal.SIGUSR1, dump)
    except (NotImplementedError, RuntimeError):  # not on this platform
        pass


def policy_dict(policy: Policy) -> dict:
    """A policy as the plain data :meth:`Policy.from_dict` reads (for the audit log)."""
    return {
        "partners": {p: list(s) for p, s in policy.sensors.items()},
        "publish": {
            p: {
                "detections": sorted(policy.publish_detections.get(p, ())),
                "local_tracks": sorted(policy.publish_tracks.get(p, ())),
            }
            for p in policy.partners
        },
        "release": {
            s: {
                r: {
                    "detection": sorted(g.detection),
                    "local_track": g.local_track,
                    "system_track": g.system_track,
                    "heartbeat": g.heartbeat,
                    "alert": g.alert,
                    "launch_notice": g.launch_notice,
                }
                for (s2, r), g in policy.grants.items()
                if s2 == s
            }
            for s in policy.partners
        },
    }


class _Recorder:
    """A node's record of what the broker stored (``SequenceFile``'s ``sent_through_ns``),
    kept by a task beside the node's steps: it awaits the acks of everything published, then
    records the latest detection sent before it began, and again while steps sent more. The
    steps do not wait for the acks: awaited in the loop, they held each step for the brokers'
    replication (mass-raid's 200-300 s at 3x, load 8-12: 4.8-6.4 s of every 16.7 s, single
    waits to 1.6 s, 35-58 steps a node instead of 250, and the fusion dropped what came more
    than its latency window behind the other nodes' as late)."""

    def __init__(self, partner: str, bus: NatsBus, state: SequenceFile | None) -> None:
        self.partner, self.bus, self.state = partner, bus, state
        self.through_ns: int | None = None  # the latest detection sent, not yet recorded
        self.task: asyncio.Task[None] | None = None

    async def record(self) -> None:
        while self.through_ns is not None and self.state is not None:
            t_ns, self.through_ns = self.through_ns, None
            try:
                await self.bus.flush()
                self.state.update(sent_through_ns=t_ns)
            except BusPublishError as e:
                log.warning("%s: not stored yet, will not count as sent: %s", self.partner, e)


async def run_node(
    scenario: Scenario,
    partner: str,
    bus: NatsBus,
    *,
    start_unix_s: StartTime,
    speed: float = 1.0,
    policy: Policy | None = None,
    until_s: float | None = None,
    status: Callable[[PartnerNode, float], None] | None = None,
    state_dir: str | Path | None = None,
    ready: Callable[[], None] | None = None,
    detections: list | None = None,
    on_start: Callable[[PartnerNode], None] | None = None,
    warn: bool = False,
) -> PartnerNode:
    """Run ``partner``'s node until scenario time ``until_s`` (default: the scenario's end);
    with ``state_dir``, resume where a previous run of it stopped. ``detections``: its
    sensors' detections, time-ordered (default: simulated here); ``on_start`` sees the node
    before it subscribes (the web and the benchmarks' probes tap it there). The partner's own
    pre-launch notifications (the scenario's ``notices``) are sent, signed, as the clock
    passes their issue time, as the embedded nodes send them; with ``warn`` the node's desk
    (``lookout.warn.issue.warner_for``) issues the partner's public warnings."""
    pol = policy_for(scenario, policy)
    if partner not in pol.partners:
        raise ValueError(f"partner = {partner!r}, expected one of {pol.partners}")
    seed = key_seed(scenario)
    keyring = Keyring.derived(seed, [*pol.partners, EXCHANGE])
    clock = ScenarioClock(time.time() + 1e6, speed)  # set once the start is known
    if detections is None:
        detections = simulate(scenario).detections
    mine = [d for d in detections if d.partner == partner]
    state = SequenceFile(Path(state_dir) / f"{partner}-node.json") if state_dir else None
    scale = max(speed, 1.0)  # the freshness window is wall time: scaled to scenario time
    node = PartnerNode(
        partner,
        derive_key(seed, partner),
        keyring,
        pol,
        bus,
        clock,
        verifier=Verifier(
            keyring,
            clock,
            max_age_ns=None,
            max_ahead_ns=round(MAX_AHEAD_NS * scale),
            payload_window_ns=(round(MAX_AGE_NS * scale), round(MAX_AHEAD_NS * scale)),
        ),  # fmt: skip
        # Above anything a previous run sent: its reservation, or (no state kept) the time.
        seq_start=state.state["reserved"] if state else time.time_ns() // 1000,
        reserve=state,
        # What the exchange would refuse as too old is not sent (half its window, for the wire).
        max_age_s=0.5 * ns_to_s(MAX_AGE_NS) * scale,
        coverage=declared_coverage(scenario, partner),
        heartbeat_s=HEARTBEAT_S,  # as the embedded nodes: with news, and as its promise runs out
        scans=declared_scans(scenario, partner),
        warner=warner_for(scenario, partner, derive_key(seed, partner)) if warn else None,
    )
    # Its own notifications, in the order they are issued (those issued before the start first).
    notices = sorted((n for n in scenario.notices if n.partner == partner),
                     key=lambda n: n.issued_s)  # fmt: skip
    if on_start:
        on_start(node)
    await bus.connect()
    if ready:
        ready()
    clock.set_start(await start_time(start_unix_s))
    await node.start(durable=partner)
    end = scenario.duration_s if until_s is None else until_s
    i = 0
    if state is not None:
        through = state.state["sent_through_ns"]
        while i < len(mine) and mine[i].t_ns <= through:
            i += 1
        if i:
            log.info("%s resumes after %d detections already sent", partner, i)
    last_status = 0.0
    stored = _Recorder(partner, bus, state)
    try:
        while True:
            now = clock.now_ns()
            # A restarted node sends them again: the exchange refuses none (new numbers), and
            # an amended notice replaces the one of its key (``LaunchEvents.announce``).
            while notices and notices[0].issued_s <= max(ns_to_s(now), 0.0):
                await node.announce(notices.pop(0).message())
            j = i
            while j < len(mine) and mine[j].t_ns <= now:
                j += 1
            await node.step(mine[i:j], now_ns=now)
            if state is not None and j > i:
                # Stored by the broker before it counts as sent: a kill loses nothing. Beside
                # the stepping, not in its way: the next step does not wait for these acks.
                stored.through_ns = mine[j - 1].t_ns
                if stored.task is None or stored.task.done():
                    if stored.task is not None:
                        stored.task.result()  # a failed state write stops the node, as before
                    stored.task = asyncio.create_task(stored.record())
            i = j
            if status and time.monotonic() - last_status > 1.0:
                last_status = time.monotonic()
                status(node, ns_to_s(now))
            if ns_to_s(now) >= end:
                break
            await asyncio.sleep(STEP_S / max(speed, 1e-9))
        await node.finish()  # the warnings due on the last picture instant
        if stored.task is not None:
            await stored.task
    finally:
        if stored.task is not None and not stored.task.done():
            stored.task.cancel()
        try:
            await bus.flush()
        except BusPublishError as e:  # reported; the state file did not count them as sent
            log.error("%s: stopping with envelopes the broker did not store: %s", partner, e)
        await bus.close()
    return node
