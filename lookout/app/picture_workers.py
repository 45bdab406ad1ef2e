"""Fusion and assessment out of the exchange: the picture workers of the distributed form.

    nodes ─lookout.in.P.*─► exchange ─lookout.fuse.P.*─► fusion ─lookout.assess.<j>─► assessor j
                               ▲                                                        │
                               └────────── lookout.in.PICTURE-<j>.system_track_batch ───┘

The exchange (``lookout serve --workers N``) only verifies, audits, releases and relays: every
accepted partner envelope it releases goes on, unchanged, to the fusion (``lookout.fuse.P.*``).
The fusion (``lookout fusion``, one process) runs the measurement-level and track-to-track
fusion (:class:`~lookout.picture.fusion.PictureFusion`) over every partner's shared data, so
there is one system track per object, with one id, by construction; at each report instant it
sends each system track to the assessor of its partition (subject ``lookout.assess.<j>``). The
assessors (``lookout assessor --index J --of N``) each keep the memory of their own tracks
(launch point, burnout, the ground track flown: :class:`~lookout.assess.Assessor`), assess them,
and send the system tracks with their assessments to the exchange as signed
:class:`~lookout.messages.SystemTrackBatch` envelopes (sender ``PICTURE-<j>``, keys derived
like the partners', stream ``LOOKOUT_IN_PICTURE-<j>``), which it checks, audits, releases
track by track and seals as its own, one batch per recipient (``Exchange._take_from_worker``).

Partitioning by system track keeps every track's whole history in one assessor and never
splits an object. The pieces of one flight (booster, stage, payload) go to one assessor too: a
new system track goes where its parent, or the nearest track within ``FLIGHT_PIECES_M``, went,
because an assessor types a piece from its launch event's other members (split by a plain hash,
a spent stage the embedded picture knew was of unknown type in the workers', with a ten times
wider impact region). A new flight goes to the assessor holding the fewest tracks of the report
(a hash of its id breaks ties): a hash alone put most of mass-raid's first flights on one
assessor, and a second one took almost no load. A salvo from one site falls to one assessor
if its pieces are born within ``FLIGHT_PIECES_M``: the price of typing them. The fusion is one
process: its share of the work is what more assessors cannot take
(docs/history/benchmarks-log.md gives the measured shares and the cores a raid needs). Each
assessor numbers its launch events apart from the others' (with two: E1, E3, ... and E2, E4,
...; on one numbering a partner's warning desk took two launches for one), and takes a
report's instant as the fusion's float
(``FusedBatch.t``), not ``ns_to_s`` of its nanoseconds, whose last bit differs: the launch
events then group and type a partition's tracks as the embedded picture does.

What the exchange feeds the fusion and the fusion the assessors goes over core NATS
(``CORE_SUBJECTS``), with no stream: it is derived from the partners' inbound streams and the
audit log, which are the record; a stream beneath it cost the brokers as much again (stored
three times, fsynced) for nothing a restart could use (a fusion that restarts builds its picture
from what comes next). The assessors' streams into the exchange are memory streams, bounded
(``WORKER_BYTES``, discard old): the picture is assessed again every report.

The workers log in as the exchange (they are its processes; ``exchange_permissions`` lets that
user use those subjects).
"""

from __future__ import annotations

import asyncio
import logging
import time
import zlib
from collections.abc import Callable
from typing import Any

import msgspec
import numpy as np

from lookout.app.defaults import PICTURE_PARAMS, key_seed
from lookout.assess.events import LaunchEvents
from lookout.exchange.clock import ScenarioClock
from lookout.exchange.envelope import Sealer, decode, decode_payload
from lookout.exchange.exchange import track_batches
from lookout.exchange.keys import derive_key
from lookout.exchange.nats import NatsBus, StreamSpec, streams_for
from lookout.exchange.nats.config import in_stream
from lookout.exchange.nats.streams import WORKER_BYTES
from lookout.messages import LaunchFit, LaunchNotice, SystemTrack
from lookout.node import launch_fit
from lookout.picture.common import CommonPicture
from lookout.picture.fusion import FusedTrack, PictureFusion
from lookout.scenario import Scenario
from lookout.timebase import ns_to_s, s_to_ns

log = logging.getLogger(__name__)

#: Subject roots: what the exchange hands the fusion, what the fusion hands each assessor.
FUSE = "lookout.fuse"
ASSESS = "lookout.assess"
#: Both on core NATS, no stream (see the module's doc): a bus of the exchange's login takes them
#: as ``NatsBus(core=CORE_SUBJECTS)``.
CORE_SUBJECTS = (f"{FUSE}.>", f"{ASSESS}.>")


def worker_names(n: int) -> list[str]:
    """The senders of the ``n`` assessors, as they sign and as the exchange knows them."""
    return [f"PICTURE-{j}" for j in range(n)]


#: How near a new system track must be to a routed one to be taken as a piece of its flight.
FLIGHT_PIECES_M = 50e3


def partition_of(system_track_id: str, n: int) -> int:
    """The assessor (0..n-1) of a system track: a stable hash of its id."""
    return zlib.crc32(system_track_id.encode()) % n


def worker_streams(workers: list[str]) -> list[StreamSpec]:
    """Each assessor's stream into the exchange: memory, ``WORKER_BYTES``, discard old (what
    it sends is assessed again at the next report; the exchange's audit keeps what it took)."""
    return [
        StreamSpec(in_stream(w), (f"lookout.in.{w}.>",), max_bytes=WORKER_BYTES, discard="old",
                   storage="memory")
        for w in workers
    ]  # fmt: skip


def exchange_streams(partners: list[str], n_workers: int) -> list[StreamSpec]:
    """Every stream of an exchange with ``n_workers`` assessors (0: fusion in the exchange)."""
    streams = list(streams_for(partners))
    if n_workers:
        streams += worker_streams(worker_names(n_workers))
    return streams


class FusedWire(msgspec.Struct, array_like=True):
    """One fused system track on the internal wire: SI, ECEF, ``P`` row-major (36)."""

    system_track_id: str
    x: list[float]
    P: list[float]
    boost_prob: float
    partners: list[str]
    parent: str | None = None
    last_seen: float | None = None
    t: float | None = None  # an interim update's own time (s); None: the batch's instant
    #: The launch fitted to its boost (a track started from one satellite: a partner's, sent
    #: with its local track, or the fusion's own tracker's), taken as its launch.
    launch: LaunchFit | None = None


class FusedBatch(msgspec.Struct):
    """The system tracks of one assessor's partition at report instant ``t_ns``, or, with
    ``interim``, the interim updates of its tracks made at ``t_ns`` (each at its own time); or,
    with ``notice``, no tracks but a partner's pre-launch notification (``LaunchNotice``, its
    envelope as the exchange verified and released it), for every assessor's launch events."""

    t_ns: int
    tracks: list[FusedWire]
    interim: bool = False
    notice: bytes | None = None
    # The instant as the fusion has it (s): ``ns_to_s(t_ns)`` can differ in the last bit
    # (125.00000000000001 for 125.0), and the launch events compare times to the exact
    # seconds (a burn 20 s past at 145 s was 19.99999999999999 s past: srbm-salvo's S7 stayed
    # unknown). None: ``t_ns``.
    t: float | None = None


_batch_decoder = msgspec.msgpack.Decoder(FusedBatch)
_encoder = msgspec.msgpack.Encoder()


def _wire(f: FusedTrack, fits: dict) -> FusedWire:
    """``f`` on the internal wire; ``fits``: the fusion's tracker's fitted launches by its track
    id (``Tracker.mono_launches``), which the assessors' fusions do not hold."""
    fit = fits.get(f.tracker_id) if f.tracker_id is not None else None
    return FusedWire(
        f.system_track_id,
        np.asarray(f.x, dtype=float).tolist(),
        np.asarray(f.P, dtype=float).ravel().tolist(),
        float(f.boost_prob),
        list(f.partners),
        f.parent,
        f.last_seen,
        f.t if f.interim else None,
        launch_fit(fit) if fit is not None else f.launch,
    )


def _fused(w: FusedWire, t: float, interim: bool = False) -> FusedTrack:
    return FusedTrack(
        w.system_track_id,
        t if w.t is None else w.t,
        np.asarray(w.x, dtype=float),
        np.asarray(w.P, dtype=float).reshape(6, 6),
        w.boost_prob,
        tuple(w.partners),
        parent=w.parent,
        last_seen=w.last_seen,
        interim=interim,
        launch=w.launch,
    )


class Fusion:
    """The fusion worker's work, bus aside: partner envelopes in (as the exchange verified
    them), each report's system tracks out, split by assessor partition."""

    def __init__(self, n_assessors: int, *, first_system_track_id: int = 1) -> None:
        self.n = n_assessors
        self.fusion = PictureFusion(
            report_period_s=PICTURE_PARAMS["report_period_s"],
            latency_s=PICTURE_PARAMS["latency_s"],
            first_system_track_id=first_system_track_id,
            interim=PICTURE_PARAMS["interim_updates"],
        )
        self.inputs = 0
        self.bad = 0
        self.reports = 0
        self.notices = 0  # partners' launch notifications handed to the assessors
        # Each system track's assessor, fixed at its first report, and when it was last routed.
        self._partition: dict[str, tuple[int, float]] = {}

    def take(self, subject: str, data: bytes) -> list[tuple[str, bytes]]:
        """One envelope from ``lookout.fuse.<SENDER>.<type>``; returns what to publish."""
        parts = subject.split(".")
        sender = parts[2] if len(parts) == 4 else "?"
        try:
            env = decode(data)
            message = decode_payload(env)
        except Exception:  # noqa: BLE001 - the exchange checked it: count, never stop
            self.bad += 1
            log.exception("fusion: undecodable envelope on %s", subject)
            return []
        if env.sender != sender:
            self.bad += 1
            return []
        self.inputs += 1
        if isinstance(message, LaunchNotice):
            # Nothing to fuse: every assessor's launch events match against it (the pieces of
            # an announced flight may go to any of them), on the subject of its reports, so
            # that it comes before the reports that follow it.
            self.notices += 1
            out = _encoder.encode(FusedBatch(message.t_ns, [], notice=data))
            return [(f"{ASSESS}.{j}", out) for j in range(self.n)]
        return self._route(self.fusion.ingest(sender, message))

    def flush(self) -> list[tuple[str, bytes]]:
        return self._route(self.fusion.flush())

    def _route(self, reports: list[tuple[float, list[FusedTrack]]]) -> list[tuple[str, bytes]]:
        out = []
        for t, tracks in reports:
            interim = bool(tracks) and tracks[0].interim
            self.reports += not interim
            parts: list[list[FusedWire]] = [[] for _ in range(self.n)]
            for f, j in zip(tracks, self._partitions(t, tracks), strict=True):
                parts[j].append(_wire(f, self.fusion.tracker.mono_launches))
            t_ns = s_to_ns(t)
            for j, part in enumerate(parts):
                # Every assessor hears every report instant, even one with none of its tracks
                # (interim updates: only those of its tracks).
                if part or not interim:
                    batch = FusedBatch(t_ns, part, interim, t=float(t))
                    out.append((f"{ASSESS}.{j}", _encoder.encode(batch)))
        return out

    def _partitions(self, t: float, tracks: list[FusedTrack]) -> list[int]:
        """The assessor of each track. A track keeps the one of its first report. A new one
        takes its parent's (a piece seen separating from it), else that of the nearest track
        already routed within ``FLIGHT_PIECES_M`` (the pieces of one flight are born near each
        other: the assessor types a piece from its launch event's other members, which it must
        hold), else the assessor with the fewest tracks in this report (ties: a hash of its
        id, then the lowest index)."""
        pos = np.array([f.x[:3] for f in tracks]).reshape(-1, 3)
        part = np.array(
            [self._partition.get(f.system_track_id, (-1, t))[0] for f in tracks], dtype=int
        )
        load = np.bincount(part[part >= 0], minlength=self.n)
        at = {f.system_track_id: i for i, f in enumerate(tracks)}
        for i in np.flatnonzero(part < 0).tolist():
            f = tracks[i]
            j = -1
            if f.parent in at:  # the parent routed at this report (before it, if new too)
                j = int(part[at[f.parent]])
            elif f.parent is not None:
                j = self._partition.get(f.parent, (-1, t))[0]
            routed = np.flatnonzero(part >= 0)
            if j < 0 and routed.size:
                d = np.linalg.norm(pos[routed] - pos[i], axis=1)
                k = int(np.argmin(d))
                j = int(part[routed[k]]) if d[k] <= FLIGHT_PIECES_M else -1
            if j < 0:
                least = np.flatnonzero(load == load.min())
                h = partition_of(f.system_track_id, self.n)
                j = h if h in least else int(least[0])
            part[i] = j
            load[j] += 1
        out = part.tolist()
        for f, j in zip(tracks, out, strict=True):
            self._partition[f.system_track_id] = (j, t)
        if len(self._partition) > 4 * max(len(tracks), 256):  # forget tracks long gone
            self._partition = {k: v for k, v in self._partition.items() if t - v[1] < 3600.0}
        return out


class Assessor:
    """An assessment worker's work, bus aside: its partition's fused tracks in, signed
    system-track batches for the exchange out."""

    def __init__(self, name: str, sealer: Sealer, *, index: int = 0, of: int = 1) -> None:
        """Assessor ``index`` of ``of``: its launch events are numbered apart from the
        others' (``LaunchEvents``' ``first`` and ``stride``)."""
        self.name = name
        self.sealer = sealer
        self.picture = CommonPicture(**PICTURE_PARAMS)
        self.picture.events = LaunchEvents(first=index + 1, stride=of)
        self.batches = 0
        self.tracks = 0
        self.notices = 0  # launch notifications held

    def take(self, data: bytes) -> list[tuple[str, bytes]]:
        batch = _batch_decoder.decode(data)
        if batch.notice is not None:  # a launch notification: held, nothing to send
            self.picture.ingest(decode(batch.notice).sender, decode_payload(decode(batch.notice)))
            self.notices += 1
            return []
        t = ns_to_s(batch.t_ns) if batch.t is None else batch.t
        tracks = self.picture.publish(t, [_fused(w, t, batch.interim) for w in batch.tracks])
        # One batch per instant: the last assessed instant's tracks come again, assessed
        # (``CommonPicture``'s ``assess_in_background``; at the next interim batch with
        # ``assess_collect="step"``), before this one's; interim updates, each at its own time,
        # in one batch.
        by_instant: dict[int, list[SystemTrack]] = {}
        for st in tracks:
            key = batch.t_ns if batch.interim and st.interim else st.t_ns
            by_instant.setdefault(key, []).append(st)
        out = []
        for t_ns, group in by_instant.items():
            # Each within the exchange's envelope size limit (MAX_LIST tracks alone could pass it).
            for chunk in track_batches(t_ns, group):
                out.append(self.sealer.seal_for_bus(chunk))
        self.batches += 1
        self.tracks += len(tracks)
        return out


def worker_bus(bus_factory: Callable[..., NatsBus], name: str) -> NatsBus:
    """A worker's bus: the exchange's login, its inputs on core NATS, no stream of its own
    (what it sends goes into a stream the exchange created)."""
    return bus_factory(name=f"lookout-{name}", streams=(), core=CORE_SUBJECTS)


async def _run_until(clock: ScenarioClock, end: float, status: Callable[[], None] | None) -> None:
    last = 0.0
    while ns_to_s(clock.now_ns()) < end:
        await asyncio.sleep(0.2)
        if status and time.monotonic() - last >= 1.0:
            last = time.monotonic()
            status()


async def run_fusion(
    scenario: Scenario,
    bus: NatsBus,
    *,
    start_unix_s: Any,
    speed: float = 1.0,
    assessors: int = 1,
    until_s: float | None = None,
    status: Callable[[Fusion, float], None] | None = None,
    ready: Callable[[], None] | None = None,
    on_start: Callable[[Fusion], None] | None = None,
) -> Fusion:
    """The fusion worker until scenario time ``until_s`` (default: the scenario's end)."""
    from lookout.app.service import start_time

    work = Fusion(assessors)
    if on_start:
        on_start(work)
    clock = ScenarioClock(time.time() + 1e6, speed)

    async def handle(subject: str, data: bytes) -> None:
        for out_subject, out in work.take(subject, data):
            await bus.publish(out_subject, out)

    await bus.connect()
    # Core NATS, live: subscribed before the start, so that nothing fed is missed.
    await bus.subscribe(f"{FUSE}.>", handle)
    if ready:
        ready()
    clock.set_start(await start_time(start_unix_s))
    end = scenario.duration_s if until_s is None else until_s
    try:
        await _run_until(clock, end, status and (lambda: status(work, ns_to_s(clock.now_ns()))))
        for out_subject, out in work.flush():
            await bus.publish(out_subject, out)
    finally:
        await asyncio.wait_for(bus.close(), 120.0)
    return work


async def run_assessor(
    scenario: Scenario,
    bus: NatsBus,
    index: int,
    of: int,
    *,
    start_unix_s: Any,
    speed: float = 1.0,
    until_s: float | None = None,
    status: Callable[[Assessor, float], None] | None = None,
    ready: Callable[[], None] | None = None,
    on_start: Callable[[Assessor], None] | None = None,
) -> Assessor:
    """Assessor ``index`` of ``of`` until scenario time ``until_s``."""
    from lookout.app.service import start_time

    if not 0 <= index < of:
        raise ValueError(f"index = {index}, expected 0 to {of - 1} (--of {of})")
    name = worker_names(of)[index]
    clock = ScenarioClock(time.time() + 1e6, speed)
    # Above anything a previous run of it sent (no state kept: the time in microseconds).
    sealer = Sealer(name, derive_key(key_seed(scenario), name), clock, time.time_ns() // 1000)
    work = Assessor(name, sealer, index=index, of=of)
    if on_start:
        on_start(work)

    async def handle(subject: str, data: bytes) -> None:
        for out_subject, out in work.take(data):
            await bus.publish(out_subject, out)

    await bus.connect()
    # Core NATS, live: subscribed before the start, so that nothing routed here is missed.
    await bus.subscribe(f"{ASSESS}.{index}", handle)
    if ready:
        ready()
    clock.set_start(await start_time(start_unix_s))
    end = scenario.duration_s if until_s is None else until_s
    try:
        await _run_until(clock, end, status and (lambda: status(work, ns_to_s(clock.now_ns()))))
        # What the fusion sent at its end.
        await asyncio.sleep(2.0)
    finally:
        await asyncio.wait_for(bus.close(), 120.0)
    return work
