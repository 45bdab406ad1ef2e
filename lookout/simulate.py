"""Run a scenario: plan and fly its launches, let every sensor look, collect the detections.

The run is deterministic for the scenario's seed: each sensor draws from its own random stream
(``numpy.random.SeedSequence(seed).spawn``, in file order), time advances in fixed windows, and
detections are merged in time order with ties broken by sensor order, then by the sensor's own
row order. So two runs of one scenario give identical files.

Outputs (``write``):

- ``detections.jsonl``: one ``lookout.messages.Detection`` per line, in time order; no truth.
- ``truth.jsonl``: typed lines. ``{"type": "scenario", ...}`` first; ``{"type": "object", ...}``
  per flying object (launch, vehicle, parent, events); ``{"type": "state", ...}`` samples of
  every object's state every ``truth_period_s``, as flown between the flight's own samples
  (``Trajectory.flown_state_at``, the scores' truth; its velocity within 0.05 mm/s in vacuum,
  where the cubic between 30 s samples was up to 12 mm/s off); and ``{"type": "labels", "first": i,
  "object_ids": [...]}`` giving the truth object of detections ``i, i+1, ...`` (null for a
  false alarm) — the association kept apart from the detections, for scoring only.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import msgspec
import numpy as np

from lookout import failure as failures
from lookout.flight import AimError, Launch, Request, fly
from lookout.flight.plancache import plan_cached_many
from lookout.geodesy import ecef_to_geodetic
from lookout.messages import Detection
from lookout.physics.trajectory import KINDS, PHASE_NAMES, Trajectory
from lookout.scenario import Scenario, ScenarioError
from lookout.sensors import Sensor, TruthLabels, TruthSamples

#: Length of the time windows the sensors are stepped through (s): bounds memory and paces the
#: progress bar; the result does not depend on it.
WINDOW_S = 60.0

#: Progress callback: (stage, done, total).
Progress = Callable[[str, float, float], None]


@dataclass
class Simulation:
    """A scenario's truth and detections."""

    scenario: Scenario
    launches: list[Launch]
    trajectories: list[Trajectory]
    sensors: list[Sensor]
    detections: list[Detection]
    labels: TruthLabels
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def sim_s(self) -> float:
        return self.scenario.duration_s

    def trajectory(self, object_id: str) -> Trajectory:
        return next(t for t in self.trajectories if t.object_id == object_id)


def _requests(scenario: Scenario) -> list[Request]:
    return [
        Request(e.site_lat_deg, e.site_lon_deg, e.aim, e.vehicle, e.id, e.time_s, e.depth_m)
        for e in scenario.launches
    ]


def _named(scenario: Scenario, i: int, error: AimError) -> AimError:
    """The error of launch ``i``, naming the launch at fault as a scenario error does."""
    where = f"{scenario.source}: " if scenario.source else ""
    return AimError(f"{where}launches[{i}] ({scenario.launches[i].id}): aim: {error}")


def plan_scenarios(scenarios: list[Scenario]) -> list[list[Launch | AimError]]:
    """Every launch of several scenarios planned in one batch (``plan_cached_many``): the aims
    not yet in the plan cache are solved together, in lockstep, so a cold cache costs about as
    much as the dearest scenario rather than their sum. Per scenario, each launch's ``Launch``
    or its ``AimError`` (naming the launch)."""
    per = [_requests(sc) for sc in scenarios]
    results = iter(plan_cached_many([r for reqs in per for r in reqs]))
    out = []
    for sc, reqs in zip(scenarios, per, strict=True):
        mine = [next(results) for _ in reqs]
        out.append([_named(sc, i, x) if isinstance(x, AimError) else x for i, x in enumerate(mine)])
    return out


def plan_launches(scenario: Scenario, progress: Progress | None = None) -> list[Launch]:
    """Solve every launch's guidance, all distinct aims in one batch (remembered across runs by
    ``plancache``); raises the first launch's ``AimError``, naming the launch."""
    n = len(scenario.launches)
    if progress:
        progress("plan", 0, n)
    launches = []
    for i, result in enumerate(plan_cached_many(_requests(scenario))):
        if isinstance(result, AimError):
            raise _named(scenario, i, result)
        launches.append(result)
    if progress:
        progress("plan", n, n)
    return launches


def simulate(scenario: Scenario, progress: Progress | None = None) -> Simulation:
    """Plan, fly and sense the whole scenario."""
    timings = {}
    t = time.perf_counter()
    launches = plan_launches(scenario, progress)
    timings["plan_s"] = time.perf_counter() - t
    t = time.perf_counter()
    trajectories = fly_scenario(scenario, launches)
    timings["fly_s"] = time.perf_counter() - t
    t = time.perf_counter()
    sensors = [entry.build() for entry in scenario.sensors]
    detections, labels = sense(scenario, sensors, trajectories, progress)
    timings["sense_s"] = time.perf_counter() - t
    return Simulation(scenario, launches, trajectories, sensors, detections, labels, timings)


def fly_scenario(scenario: Scenario, launches: list[Launch]) -> list[Trajectory]:
    """Fly the planned launches, each launch's ``failure`` applied (``lookout.failure``): every
    main object first (in order), then the stages dropped, then the debris of break-ups. Raises
    ``ScenarioError`` naming ``launches[i].failure.time_s`` for a failure outside its boost."""
    failing = [e.failure for e in scenario.launches]
    if not any(failing):
        return fly(launches) if launches else []
    for i, (launch, f) in enumerate(zip(launches, failing, strict=True)):
        if f is None:
            continue
        try:
            failures.check(launch, f)
        except failures.FailureError as exc:
            where = f"{scenario.source}: " if scenario.source else ""
            raise ScenarioError(f"{where}launches[{i}].failure.time_s = {exc}") from None
    seeds = [[scenario.seed, BREAKUP_STREAM, i] for i in range(len(launches))]
    return failures.fly(launches, failing, seeds)


#: Entropy that keeps the break-ups' random draws apart from the sensors' streams.
BREAKUP_STREAM = 0xB8EA


def sense(
    scenario: Scenario,
    sensors: list[Sensor],
    trajectories: list[Trajectory],
    progress: Progress | None = None,
) -> tuple[list[Detection], TruthLabels]:
    """Every sensor's detections over the scenario, merged in time order, with truth labels."""
    streams = np.random.SeedSequence(scenario.seed).spawn(len(sensors))
    rngs = [np.random.default_rng(s) for s in streams]
    outages = [entry.outages for entry in scenario.sensors]
    detections: list[Detection] = []
    labels: TruthLabels = []
    duration = scenario.duration_s
    t0 = 0.0
    while t0 < duration:
        t1 = min(t0 + WINDOW_S, duration)
        live = [tr for tr in trajectories if tr.t_start < t1 and tr.t_end >= t0]
        window_dets: list[Detection] = []
        window_labels: TruthLabels = []
        keys_t, keys_s = [], []
        for s, (sensor, rng) in enumerate(zip(sensors, rngs, strict=True)):
            times = sensor.scan_times(t0, t1)
            if times.size == 0:
                continue
            truth = TruthSamples.from_trajectories(live, times)
            batch = sensor.measure(truth, rng)
            if outages[s] and len(batch):
                down = np.zeros(len(batch), dtype=bool)
                for a, b in outages[s]:
                    down |= (batch.t >= a) & (batch.t < b)
                if down.any():
                    batch = batch.select(~down)
            dets, labs = batch.to_messages()
            window_dets += dets
            window_labels += labs
            keys_t.append(batch.t_ns)
            keys_s.append(np.full(len(batch), s))
        if window_dets:
            t_ns, sensor_order = np.concatenate(keys_t), np.concatenate(keys_s)
            order = np.lexsort((np.arange(t_ns.size), sensor_order, t_ns))
            detections += [window_dets[i] for i in order.tolist()]
            labels += [window_labels[i] for i in order.tolist()]
        t0 = t1
        if progress:
            progress("sense", t0, duration)
    return detections, labels


_ENCODER = msgspec.json.Encoder()
_LABEL_CHUNK = 10_000


def write(sim: Simulation, out_dir: Path | str, truth_period_s: float = 1.0) -> dict[str, Path]:
    """Write ``detections.jsonl`` and ``truth.jsonl`` into ``out_dir``."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    det_path, truth_path = out / "detections.jsonl", out / "truth.jsonl"
    with det_path.open("wb") as f:
        step = 50_000
        for i in range(0, len(sim.detections), step):
            f.write(_ENCODER.encode_lines(sim.detections[i : i + step]))
    with truth_path.open("wb") as f:
        f.write(_ENCODER.encode_lines(truth_records(sim, truth_period_s)))
    return {"detections": det_path, "truth": truth_path}


def truth_records(sim: Simulation, truth_period_s: float = 1.0) -> list[dict]:
    """The lines of ``truth.jsonl`` (see the module docstring)."""
    sc = sim.scenario
    records: list[dict] = [
        {
            "type": "scenario",
            "name": sc.name,
            "epoch": sc.epoch.isoformat().replace("+00:00", "Z"),
            "seed": sc.seed,
            "duration_s": sc.duration_s,
            "detections": len(sim.detections),
        }
    ]
    by_launch = {launch.object_id: launch for launch in sim.launches}
    for tr in sim.trajectories:
        root = tr.object_id if tr.parent_id is None else tr.parent_id
        launch = by_launch.get(root)
        records.append(
            {
                "type": "object",
                "object_id": tr.object_id,
                "parent_id": tr.parent_id,
                "launch_id": root,
                "vehicle": launch.vehicle.name if launch else None,
                "t_start_s": tr.t_start,
                "t_end_s": tr.t_end,
                "events": [
                    {"name": e.name, "t_s": e.t, "stage": e.stage, "pos_ecef": e.pos.tolist()}
                    for e in tr.events
                ],
            }
        )
    for tr in sim.trajectories:
        t_end = min(tr.t_end, sc.duration_s)
        times = np.arange(np.ceil(tr.t_start / truth_period_s), np.floor(t_end / truth_period_s))
        times = times * truth_period_s
        if times.size == 0:
            continue
        state = tr.flown_state_at(times)
        idx = tr.sample_index_at(times)
        lat, lon, alt = ecef_to_geodetic(state[:, :3])
        kinds = tr.kind[idx]
        phases = tr.phase[idx]
        lift = tr.lift_at(times) if tr.lift is not None else None
        for k in range(times.size):
            record = {
                "type": "state",
                "t_s": float(times[k]),
                "object_id": tr.object_id,
                "kind": KINDS[kinds[k]],
                "phase": PHASE_NAMES[phases[k]],
                "pos_ecef": state[k, :3].tolist(),
                "vel_ecef": state[k, 3:].tolist(),
                "lat_deg": float(np.degrees(lat[k])),
                "lon_deg": float(np.degrees(lon[k])),
                "alt_m": float(alt[k]),
            }
            if lift is not None:
                record["lift_acc_ecef"] = lift[k].tolist()
            records.append(record)
    for i in range(0, len(sim.labels), _LABEL_CHUNK):
        records.append(
            {"type": "labels", "first": i, "object_ids": sim.labels[i : i + _LABEL_CHUNK]}
        )
    return records
