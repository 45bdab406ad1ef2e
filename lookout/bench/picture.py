"""The benchmark of the picture people get: ``lookout bench picture``.

A scenario runs through the whole coalition (partner nodes, the exchange, fusion, assessment)
and the benchmark measures what a partner sees:

- **the age of the picture**: for every shared detection that ends up in a system track, the
  time from the detection (its ``t_ns``) to the first system-track update *at that partner* that
  includes it, and to the first assessment that uses it (the first update received whose
  assessment is at or after the report that took the detection in); p50, p99 and max per
  partner, in scenario seconds. At ``--speed 0`` (as fast as possible) the age is read on the
  scenario clock (what the design costs: a node's step, the fusion's reorder window, the report
  period); at a speed > 0 it is read on the wall and scaled to scenario seconds (what a person
  waits, processing and queues included); and the *delivery* of every update, from its
  report instant to its receipt (the chain's processing alone: 0 on the scenario clock), over
  all updates and over those of the assessment's instants;
- **CPU-seconds per scenario-second for each stage**: nodes (sealing, their own trackers,
  checking what they receive), exchange (verification, audit, releasability, relays), fusion,
  assessment, and the rest (the bus, the loop);
- **peak memory** (the resident set's high-water mark; with the assessment in a child process,
  the two processes' marks added), and the resident set sampled every minute of scenario time
  (memory must not grow with run length after the raid's peak), the child's apart
  (``worker_peak_rss_mb``, ``worker_rss_mb``: as of its last batch).

A detection is *included* in a system-track update when the fusion's tracker assigned it to the
measurement-level track under that system track and the update's time (its report instant, or
an interim update's own time: ``SystemTrack.interim``) is at or after it
(:class:`InclusionProbe`, a wrapper on the fusion's tracker and report; nothing in the picture
changes). Detections that no system track ever takes (clutter, chiefly) have no age;
their count is reported. Infrared lines of sight are shared as local tracks, not detections, so
their path (node tracker, local track, track-to-track fusion) is not in the ages.

Baseline: the scenario clock. A figure > 1 in ``realtime_per_core`` means the whole chain runs
faster than real time on one core.

The embedded form (``--bus memory``) runs every stage in this process on the memory bus, as
``lookout demo`` does (same policy, keys, picture parameters and node step), with the stages
timed by :class:`StageClock` and without ``demo``'s record of every delivery (the benchmark
keeps only what it measures). The distributed form (``--bus nats``) is in
:mod:`lookout.bench.picture_nats`.
"""

from __future__ import annotations

import asyncio
import gc
import json
import math
import resource
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from lookout.app.coalition import Coalition, DetectionFeed, steps
from lookout.app.defaults import PICTURE_PARAMS
from lookout.messages import SystemTrack
from lookout.node import PartnerNode
from lookout.picture.fusion import PictureFusion
from lookout.scenario import Scenario
from lookout.simulate import Simulation, simulate
from lookout.timebase import ns_to_s, s_to_ns

#: The stages whose CPU time is reported, in the order of the data flow.
STAGES = ("nodes", "exchange", "fusion", "assessment", "warnings", "other")
#: Scenario seconds between samples of the resident set.
RSS_SAMPLE_S = 60.0
#: Issue 16's targets for the embedded chain: the whole chain faster than real time per core by
#: this factor, the peak resident set under this (MB), and, at real time (speed 1), the track
#: picture's age p99 under this (s) at every partner.
TARGET_REALTIME_PER_CORE = 20.0
TARGET_PEAK_RSS_MB = 1024.0
TARGET_TRACK_AGE_P99_S = 1.0


def targets(result: dict) -> dict[str, bool | None]:
    """Issue 16's targets, met or not, on a run's figures (None where the run does not tell:
    the age target is read at real time only)."""
    peak = result["peak_rss_mb"]
    peak = max(peak.values()) if isinstance(peak, dict) else peak
    p99 = [a["track"]["p99_s"] for a in result["ages"].values()]
    at_real_time = result["speed"] == 1.0 and bool(p99) and None not in p99
    return {
        "realtime_per_core": (result["realtime_per_core"] or 0.0) >= TARGET_REALTIME_PER_CORE,
        "peak_rss": peak < TARGET_PEAK_RSS_MB,
        "track_age_p99_at_real_time": max(p99) < TARGET_TRACK_AGE_P99_S if at_real_time else None,
    }


def rss_bytes() -> int:
    """This process's resident set now (bytes)."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * resource.getpagesize()
    except OSError:  # not Linux: the peak is all there is
        return peak_rss_bytes()


def peak_rss_bytes() -> int:
    """This process's resident-set high-water mark (bytes; Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


class StageClock:
    """CPU time per stage; nested stages are not counted twice: a stage's time is its own, what
    the stages it called took is theirs.

    Reading the process's CPU clock (``time.process_time``) is a system call, some 1.5 µs here
    and more on a loaded machine; at two per timed call it was 8 % of a mass-raid profile. So a
    stage's time is read on the wall clock (``time.perf_counter``, no system call), and the CPU
    time of each busy period (``start`` to ``settle``: one step of the loop) is shared among
    the stages in proportion to their wall time in it; what no stage took is left to the caller
    (``other``). The periods' CPU time is the process's exactly; a stage's share is exact when
    the process is preempted (a loaded machine) no more in one stage than in another, an error
    that averages out over the hundreds of periods of a run. A stage that runs in a thread of
    its own (``background``: the assessment's worker) is read on that thread's CPU clock,
    and the loop's stages share what is left of each period. ``wall`` and ``cpu`` are the
    clocks (for tests)."""

    def __init__(
        self,
        wall: Callable[[], float] = time.perf_counter,
        cpu: Callable[[], float] = time.process_time,
    ) -> None:
        self.cpu: Counter[str] = Counter()
        self._clock_wall, self._clock_cpu = wall, cpu
        self._wall: Counter[str] = Counter()  # wall time of each stage in this period
        self._stack: list[str] = []
        self._t = 0.0
        self._background: dict[str, tuple[Callable[[], float], float]] = {}
        self._elsewhere: set[str] = set()  # background stages in another process
        self.start()

    def background(self, stage: str, cpu: Callable[[], float], *, own: bool = True) -> None:
        """``stage`` runs in a thread whose CPU seconds so far ``cpu`` returns; ``own``: a
        thread of this process (its CPU is in the process's clock, so not the loop's), else
        another process (a child: credited to the stage, taken from nothing)."""
        self._background[stage] = (cpu, cpu())
        if not own:
            self._elsewhere.add(stage)

    def start(self) -> None:
        """A busy period begins (what came before it, time asleep included, is nobody's but
        a background stage's)."""
        self._credit_background()
        self._wall.clear()
        self._t = self._wall0 = self._clock_wall()
        self._cpu0 = self._clock_cpu()

    def settle(self) -> None:
        """The busy period so far ends: its CPU time shared among its stages; the next begins."""
        now = self._clock_wall()
        if self._stack:
            self._wall[self._stack[-1]] += now - self._t
        cpu = self._clock_cpu() - self._cpu0
        self._cpu0 += cpu
        cpu = max(cpu - self._credit_background(), 0.0)
        span = now - self._wall0
        if span > 0:
            for stage, w in self._wall.items():
                self.cpu[stage] += cpu * min(w / span, 1.0)
        self._wall.clear()
        self._t = self._wall0 = now

    def _credit_background(self) -> float:
        """The background stages' CPU since the last call, credited to them; returns what of
        it is this process's."""
        used = 0.0
        for stage, (clock, last) in self._background.items():
            now = clock()
            self.cpu[stage] += now - last
            self._background[stage] = (clock, now)
            if stage not in self._elsewhere:
                used += now - last
        return used

    def enter(self, stage: str) -> None:
        now = self._clock_wall()
        if self._stack:
            self._wall[self._stack[-1]] += now - self._t
        self._stack.append(stage)
        self._t = now

    def leave(self) -> None:
        now = self._clock_wall()
        self._wall[self._stack.pop()] += now - self._t
        self._t = now

    def sync(self, stage: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            self.enter(stage)
            try:
                return fn(*args, **kwargs)
            finally:
                self.leave()

        return timed

    def coroutine(
        self, stage: str, fn: Callable[..., Awaitable[Any]]
    ) -> Callable[..., Awaitable[Any]]:
        """``fn`` timed as ``stage``; only for coroutines that do not let another timed one
        run while they wait (true on the memory bus, whose publish never suspends)."""

        async def timed(*args: Any, **kwargs: Any) -> Any:
            self.enter(stage)
            try:
                return await fn(*args, **kwargs)
            finally:
                self.leave()

        return timed


@dataclass
class Inclusion:
    """Detections (their ``t_ns``) first included in system track ``system_track_id`` by its
    update of ``t_ns``."""

    system_track_id: str
    t_ns: int
    detection_t_ns: list[int]


class InclusionProbe:
    """Which shared detections each system-track update of a :class:`PictureFusion` takes in.

    Wraps the fusion's tracker (``process``: which measurement-level track took which
    detection) and the fusion's output (``ingest``/``flush``: the system track over each
    measurement-level track at each report instant); the picture is not changed."""

    def __init__(self, fusion: PictureFusion) -> None:
        tracker = fusion.tracker
        self.inclusions: list[Inclusion] = []
        self.fed = 0
        self._det_t: dict[int, int] = {}  # tracker detection index -> t_ns, until reported
        self._pending: dict[int, list[int]] = defaultdict(list)  # tracker track -> t_ns
        process, ingest, flush = tracker.process, fusion.ingest, fusion.flush

        def probed_process(detections):
            for k, d in enumerate(detections):
                self._det_t[self.fed + k] = d.t_ns
            self.fed += len(detections)
            rows = process(detections)
            for tid, di in zip(rows.track_id.tolist(), rows.detection_index.tolist(), strict=True):
                t_ns = self._det_t.pop(di, None)
                if t_ns is not None:
                    self._pending[tid].append(t_ns)
            # Detections no track took within a minute are clutter: forgotten.
            if len(self._det_t) > 200_000:
                for di in sorted(self._det_t)[:100_000]:
                    del self._det_t[di]
            return rows

        def included(reports):
            if reports:
                self._forget(reports[-1][0])
            for _, tracks in reports:
                for f in tracks:
                    t_ns = s_to_ns(f.t)  # the report instant, or an interim update's own time
                    # The system track's own measurement-level track and those merged into it.
                    ids = () if f.tracker_id is None else (f.tracker_id, *f.merged)
                    for tid in ids:
                        waiting = self._pending.get(tid)
                        if not waiting:
                            continue
                        now = [d for d in waiting if d <= t_ns]
                        if now:
                            self.inclusions.append(Inclusion(f.system_track_id, t_ns, now))
                            rest = [d for d in waiting if d > t_ns]
                            if rest:
                                self._pending[tid] = rest
                            else:
                                del self._pending[tid]
            return reports

        self._next_forget = -math.inf
        tracker.process = probed_process
        fusion.ingest = lambda sender, message: included(ingest(sender, message))
        fusion.flush = lambda: included(flush())

    def _forget(self, t: float) -> None:
        """Drop what tracks never reported took (tentative tracks that died), once a minute."""
        if t < self._next_forget:
            return
        self._next_forget = t + 60.0
        old = s_to_ns(t - 60.0)
        for tid in [k for k, v in self._pending.items() if v[-1] < old]:
            del self._pending[tid]


@dataclass
class ReceiptProbe:
    """The system-track updates a partner received: ``(system_track_id, t_ns)`` -> when (s of
    scenario time) and the time of the assessment it carried (ns, or None)."""

    partner: str
    when: Callable[[], float]
    first: dict[tuple[str, int], tuple[float, int | None]] = field(default_factory=dict)
    #: An update received again with a newer assessment (the picture's background batch sends
    #: an instant's assessed tracks again once assessed): ``(system_track_id, when, t_ns of
    #: the assessment)``.
    again: list[tuple[str, float, int]] = field(default_factory=list)

    def attach(self, node: PartnerNode) -> None:
        apply = node.view.apply

        def probed(track: SystemTrack) -> None:
            key = (track.system_track_id, track.t_ns)
            a = track.assessment
            got = self.first.get(key)
            if got is None:
                self.first[key] = (self.when(), None if a is None else a.t_ns)
            elif a is not None and (got[1] is None or a.t_ns > got[1]):
                self.again.append((track.system_track_id, self.when(), a.t_ns))
            apply(track)

        node.view.apply = probed


def _stats(ages_s: np.ndarray) -> dict[str, float | int | None]:
    if ages_s.size == 0:
        return {"n": 0, "p50_s": None, "p99_s": None, "max_s": None}
    return {
        "n": int(ages_s.size),
        "p50_s": round(float(np.percentile(ages_s, 50)), 3),
        "p99_s": round(float(np.percentile(ages_s, 99)), 3),
        "max_s": round(float(ages_s.max()), 3),
    }


def picture_ages(
    inclusions: list[Inclusion],
    receipts: dict[tuple[str, int], tuple[float, int | None]],
    again: list[tuple[str, float, int]] = (),
) -> dict[str, dict]:
    """The ages (s) at one partner: to the first track update including each detection
    (``track``) and to the first assessment using it (``assessment``), with the count of
    detections whose update never reached the partner (``missed``)."""
    by_track: dict[str, list[tuple[float, int]]] = defaultdict(list)
    for (sys_id, _t), (when, a_ns) in receipts.items():
        by_track[sys_id].append((when, -1 if a_ns is None else a_ns))
    for sys_id, when, a_ns in again:
        by_track[sys_id].append((when, a_ns))
    # Per track: receipts in time order and the newest assessment seen by then.
    first_assessed: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for sys_id, rows in by_track.items():
        rows.sort()
        when = np.array([r[0] for r in rows])
        newest = np.maximum.accumulate(np.array([r[1] for r in rows], dtype=np.int64))
        first_assessed[sys_id] = (when, newest)
    track_ages, assess_ages, missed, unassessed = [], [], 0, 0
    for inc in inclusions:
        det_s = ns_to_s(np.asarray(inc.detection_t_ns, dtype=np.int64))
        got = receipts.get((inc.system_track_id, inc.t_ns))
        if got is None:
            missed += det_s.size
            continue
        track_ages.append(got[0] - det_s)
        when, newest = first_assessed[inc.system_track_id]
        k = int(np.searchsorted(newest, inc.t_ns, side="left"))
        if k < when.size:
            assess_ages.append(when[k] - det_s)
        else:
            unassessed += det_s.size
    cat = lambda parts: np.concatenate(parts) if parts else np.zeros(0)  # noqa: E731
    # Each update's delivery: from its report instant to its receipt (the chain's processing
    # and queues; 0 on the scenario clock), and the same for the instants an assessment ran at
    # (every ``PICTURE_PARAMS["assess_period_s"]``: where a batch holding the loop shows).
    period = PICTURE_PARAMS["assess_period_s"]
    keys = list(receipts)
    t_s = ns_to_s(np.array([k[1] for k in keys], dtype=np.int64)).reshape(-1)
    delay = np.array([receipts[k][0] for k in keys], dtype=float).reshape(-1) - t_s
    at_assessment = np.abs(t_s / period - np.round(t_s / period)) < 1e-6
    return {
        "track": _stats(cat(track_ages)),
        "assessment": _stats(cat(assess_ages)),
        "delivery": _stats(delay),
        "delivery_at_assessment_instants": _stats(delay[at_assessment]),
        "missed": missed,
        "unassessed": unassessed,
    }


@dataclass
class EmbeddedRun:
    """What :func:`run_embedded` measured."""

    scenario: str
    sim_s: float
    wall_s: float
    speed: float
    cpu: dict[str, float]
    detections: int
    included: int
    ages: dict[str, dict]
    peak_rss_bytes: int
    rss_samples: list[tuple[float, int]]
    system_tracks: int
    exchange: dict
    late_at_fusion: int = 0  # detections the fusion's watermark had passed (dropped)
    #: System-track assessments made, and system tracks reported (one per track and report
    #: instant): how often a track is assessed.
    looks: dict[str, int] | None = None
    #: The assessment's child process (``assess_worker="process"``): its high-water mark, and
    #: its resident set after its last batch at each sample (empty without a child).
    worker_peak_rss_bytes: int = 0
    worker_rss_samples: list[tuple[float, int]] = field(default_factory=list)

    def to_dict(self) -> dict:
        total = sum(self.cpu.values())
        per_s = {k: round(v / self.sim_s, 5) for k, v in self.cpu.items()}
        return {
            "bus": "memory",
            "scenario": self.scenario,
            "sim_s": self.sim_s,
            "wall_s": round(self.wall_s, 2),
            "speed": self.speed,
            "cpu_s": {k: round(v, 2) for k, v in self.cpu.items()} | {"total": round(total, 2)},
            "cpu_s_per_scenario_s": per_s | {"total": round(total / self.sim_s, 5)},
            "realtime_per_core": round(self.sim_s / total, 2) if total > 0 else None,
            "detections": self.detections,
            "detections_included": self.included,
            "age_clock": "wall" if self.speed > 0 else "scenario",
            "ages": self.ages,
            "peak_rss_mb": round(self.peak_rss_bytes / 2**20, 1),
            "rss_mb": [(t, round(b / 2**20, 1)) for t, b in self.rss_samples],
            "worker_peak_rss_mb": round(self.worker_peak_rss_bytes / 2**20, 1),
            "worker_rss_mb": [(t, round(b / 2**20, 1)) for t, b in self.worker_rss_samples],
            "system_tracks": self.system_tracks,
            "exchange": self.exchange,
            "late_at_fusion": self.late_at_fusion,
            "looks": self.looks,
        }


async def run_embedded(
    scenario: Scenario,
    *,
    duration_s: float | None = None,
    speed: float = 0.0,
    sim: Simulation | None = None,
    audit_path: str | Path | None = None,
) -> EmbeddedRun:
    """The scenario through three nodes, the exchange and the picture on the memory bus (as
    ``lookout demo``), every stage timed; ``speed`` 0 as fast as possible, else times real
    time."""
    sim = sim or simulate(scenario)
    tmp = None
    if audit_path is None:
        tmp = tempfile.TemporaryDirectory(prefix="lookout-bench-picture-")
        audit_path = Path(tmp.name) / "audit.sqlite"
    co = Coalition.build(scenario, audit_path)
    picture, exchange, nodes, clock = co.picture, co.exchange, co.nodes, co.clock

    stages = StageClock()
    inclusion = InclusionProbe(picture.fusion)
    picture.ingest = stages.sync("fusion", picture.ingest)
    picture.flush = stages.sync("fusion", picture.flush)
    in_child = picture.assess_in_background and picture.assess_worker == "process"
    if picture.assess_in_background:  # its worker thread's own CPU clock, or its child's
        stages.background("assessment", picture.assessment_cpu_s, own=not in_child)
    else:
        picture.assessor.update = stages.sync("assessment", picture.assessor.update)
    exchange.handle = stages.coroutine("exchange", exchange.handle)
    exchange._flush_audit = stages.sync("exchange", exchange._flush_audit)
    wall0 = time.perf_counter()

    def when() -> float:
        if speed > 0:
            return (time.perf_counter() - wall0) * speed
        return ns_to_s(clock.now_ns())

    receipts = {p: ReceiptProbe(p, when) for p in nodes}
    for p, node in nodes.items():
        receipts[p].attach(node)
        node._on_message = stages.coroutine("nodes", node._on_message)
        node.step = stages.coroutine("nodes", node.step)
    await co.start()

    feed = DetectionFeed(sim.detections, list(nodes))
    # The truth and this reference to the detections are not needed again: the feed lets go of
    # each detection as it hands it out (a caller that passed ``sim`` keeps its own).
    sim = None
    end = scenario.duration_s if duration_s is None else min(duration_s, scenario.duration_s)
    rss_samples: list[tuple[float, int]] = []
    worker_rss: list[tuple[float, int]] = []
    next_sample = 0.0
    gc.collect()
    gc.freeze()  # the simulation's objects: not walked again by every collection
    cpu0 = time.process_time()
    child0 = picture.assessment_cpu_s() if in_child else 0.0
    wall0 = time.perf_counter()
    stages.start()
    for t in steps(end):
        if speed > 0:  # the step of instant t once the wall clock is there, not before
            ahead = t / speed - (time.perf_counter() - wall0)
            if ahead > 0:
                stages.settle()
                await asyncio.sleep(ahead)
                stages.start()  # asleep: no stage's
        await co.step(feed, t)
        stages.settle()
        if t >= next_sample:
            rss_samples.append((round(t, 1), rss_bytes()))
            if in_child:
                worker_rss.append((round(t, 1), picture.worker_rss_bytes))
            next_sample += RSS_SAMPLE_S
    await co.bus.flush()
    await exchange.flush()
    picture.close()  # the last batch finished (its CPU counted), the worker stopped
    stages.settle()
    wall = time.perf_counter() - wall0
    total = time.process_time() - cpu0
    if in_child:  # the child's batches: CPU of the chain, not of this process
        total += picture.assessment_cpu_s() - child0
    rss_samples.append((round(end, 1), rss_bytes()))
    if in_child:
        worker_rss.append((round(end, 1), picture.worker_rss_bytes))
    gc.unfreeze()
    co.audit.close()
    await co.bus.close()
    if tmp is not None:
        tmp.cleanup()
    cpu = {s: stages.cpu.get(s, 0.0) for s in STAGES if s != "other"}
    cpu["other"] = max(0.0, total - sum(cpu.values()))
    ages = {p: picture_ages(inclusion.inclusions, r.first, r.again) for p, r in receipts.items()}
    shared = feed.shared()
    return EmbeddedRun(
        scenario=scenario.name,
        sim_s=end,
        wall_s=wall,
        speed=speed,
        cpu=cpu,
        detections=shared,
        included=sum(len(i.detection_t_ns) for i in inclusion.inclusions),
        ages=ages,
        # With the assessment in a child process, both processes' high-water marks added
        # (an upper bound of the pair's peak).
        peak_rss_bytes=peak_rss_bytes() + picture.worker_peak_rss_bytes,
        rss_samples=rss_samples,
        worker_peak_rss_bytes=picture.worker_peak_rss_bytes,
        worker_rss_samples=worker_rss,
        system_tracks=len({i.system_track_id for i in inclusion.inclusions}),
        exchange=json.loads(json.dumps(exchange.counters(), default=str)),
        late_at_fusion=picture.fusion.counters.late_detections,
        looks={"assessed": picture.assessed, "reported": picture.reported},
    )


def bench_picture(
    scenario: Scenario,
    *,
    bus: str = "memory",
    duration_s: float | None = None,
    speed: float = 0.0,
    workers: int = 1,
    **options: Any,
) -> dict:
    """Run the benchmark (see the module doc); returns its figures as plain data."""
    if bus == "memory":
        if workers != 1:
            raise ValueError(f"workers = {workers}: the embedded form runs one of each stage")
        run = asyncio.run(run_embedded(scenario, duration_s=duration_s, speed=speed, **options))
        out = run.to_dict()
        return out | {"targets": targets(out)}
    if bus == "nats":
        from lookout.bench.picture_nats import run_distributed

        return run_distributed(
            scenario, duration_s=duration_s, speed=speed, workers=workers, **options
        )
    raise ValueError(f"bus = {bus!r}, expected memory or nats")


def render(result: dict):
    """The figures as rich tables: stages, then ages per partner."""
    from rich.console import Group
    from rich.table import Table

    title = (
        f"lookout bench picture --scenario {result['scenario']} --bus {result['bus']}"
        f" ({result['sim_s']:g} s of scenario in {result['wall_s']:g} s, speed {result['speed']:g})"
    )
    stages = Table(title=title)
    stages.add_column("stage")
    stages.add_column("CPU s")
    stages.add_column("CPU s per scenario s", justify="right")
    for k, v in result["cpu_s"].items():
        stages.add_row(k, f"{v:.1f}", f"{result['cpu_s_per_scenario_s'][k]:.4f}")
    ages = Table(title=f"age of the picture ({result['age_clock']} clock), s")
    for col in ("partner", "track p50", "p99", "max", "assessment p50", "p99", "max", "n",
                "delivery p99"):  # fmt: skip
        ages.add_column(col, justify="right")
    f = lambda v: "-" if v is None else f"{v:.2f}"  # noqa: E731
    for p, a in result["ages"].items():
        t, s = a["track"], a["assessment"]
        d = a.get("delivery", {}).get("p99_s")
        ages.add_row(p, f(t["p50_s"]), f(t["p99_s"]), f(t["max_s"]),
                     f(s["p50_s"]), f(s["p99_s"]), f(s["max_s"]), str(t["n"]), f(d))  # fmt: skip
    peak = result["peak_rss_mb"]
    if isinstance(peak, dict):  # one per process
        memory = f"{sum(peak.values()):.0f} MB in all, at most {max(peak.values()):.0f} MB"
    else:
        memory = f"{peak} MB"
    tail = Table.grid()
    tail.add_row(
        f"whole chain: {result['realtime_per_core']}x real time per core; peak memory "
        f"{memory}; detections {result['detections']} "
        f"({result['detections_included']} in system tracks, "
        f"{result.get('late_at_fusion')} late at the fusion)"
    )
    if "targets" in result:
        said = {True: "met", False: "not met", None: "not measured (speed 1 only)"}
        tail.add_row(
            "issue 16's targets: "
            + "; ".join(f"{k.replace('_', ' ')} {said[v]}" for k, v in result["targets"].items())
        )
    if result["bus"] == "nats":
        refused = sum(sum(c.values()) for c in result["refused_at_exchange"].values())
        tail.add_row(
            f"workers {result['workers']}; at the exchange: refused {refused}, late "
            f"{sum(result['late_at_exchange'].values())}, shed "
            f"{sum(result['shed_at_exchange'].values())}"
        )
    return Group(stages, ages, tail)
