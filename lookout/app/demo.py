"""The embedded default: a whole scenario through the coalition in one process.

Sensors (the simulator) → three partner nodes → the in-memory bus → the exchange (verify, audit,
releasability) → fusion and assessment (``CommonPicture``) → every partner's picture. The
simulation clock drives everything; ``speed`` paces it against the wall (1: real time, 0: as
fast as possible).

Every partner node issues its own public warnings (``lookout.warn``) from its own view of the
picture: signed CAP alerts, sent through the exchange, which audits them like everything else.

Keys are derived from the scenario's seed (simulation only: never for real use) so a run can be
replayed from its audit log alone: the log's metadata carries the scenario, the key seed, the
policy and the picture's parameters (``lookout replay LOG``), and the scenario's own text so
that its truth can be simulated again to score the replayed picture, and the replay decides the
warnings again from the picture each partner received, byte for byte.

Each partner's picture is scored against the truth (``picture_scores``,
``lookout.scoring.picture``): the ``scores`` of every partner in ``lookout demo --json`` and
``lookout replay --json``.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from lookout.app.coalition import Coalition, DetectionFeed, steps
from lookout.app.defaults import EMBEDDED_PICTURE_PARAMS, PICTURE_PARAMS, STEP_S
from lookout.exchange.audit import read_meta
from lookout.exchange.envelope import decode, decode_payload
from lookout.exchange.exchange import Exchange
from lookout.exchange.keys import EXCHANGE, Keyring, derive_key
from lookout.exchange.policy import Policy
from lookout.exchange.replay import Picture, collect, replay
from lookout.messages import Envelope, SystemTrack, SystemTrackBatch
from lookout.node import PartnerNode
from lookout.picture.common import CommonPicture
from lookout.picture.fusion import Provenance
from lookout.scenario import Scenario, ScenarioError, parse
from lookout.scoring.association import counted_truths, resolved_detections
from lookout.scoring.claims import flights
from lookout.scoring.picture import PictureScores, score_picture
from lookout.simulate import Simulation, simulate
from lookout.timebase import ns_to_s, s_to_ns
from lookout.warn.issue import warner_for, write_alerts


@dataclass
class DemoState:
    """What the live display shows, refreshed as the run goes."""

    scenario: Scenario
    t_s: float = 0.0
    wall_s: float = 0.0
    picture: CommonPicture | None = None
    exchange: Exchange | None = None
    nodes: dict[str, PartnerNode] = field(default_factory=dict)
    done: bool = False

    def alerts(self) -> list:
        """Every partner's alerts issued so far (``lookout.messages.Alert``), in time order."""
        out = [a for n in self.nodes.values() for a in n.alerts]
        return sorted(out, key=lambda a: (a.t_ns, a.partner, a.identifier))


@dataclass
class DemoResult:
    state: DemoState
    sim: Simulation
    audit_path: Path
    live: Picture

    def __repr__(self) -> str:
        # Short: Python 3.11's asyncio.run formats the main task, result included, when it
        # restores the SIGINT handler; the full repr of a raid's simulation took 80 CPU-s.
        return f"DemoResult({self.state.scenario.name!r}, t_s={self.state.t_s:g})"

    def scores(self, pcrlb_results: dict | None = None) -> dict[str, PictureScores]:
        """Each partner's picture scored against the truth, up to where the run stopped."""
        return picture_scores(
            self.live, self.sim, list(self.state.nodes), until_s=self.state.t_s,
            pcrlb_results=pcrlb_results, provenance=self.provenance,
        )  # fmt: skip

    @property
    def provenance(self) -> Provenance | None:
        """The fusion's ``Provenance`` of the run (``picture_scores``)."""
        picture = self.state.picture
        return picture.fusion.provenance if picture is not None else None

    def summary(self, scores: dict[str, PictureScores] | None = None) -> dict:
        """The JSON of ``lookout demo --json``; ``scores`` from :meth:`scores` (computed here
        when not given)."""
        st = self.state
        ex = st.exchange.counters()
        scores = self.scores() if scores is None else scores
        return {
            "scenario": st.scenario.name,
            "sim_s": st.t_s,
            "wall_s": st.wall_s,
            "detections": len(self.sim.detections),
            "exchange": json.loads(json.dumps(ex, default=str)),
            "system_tracks_now": len(st.picture.current),
            "partners": {
                p: {
                    "sent": dict(n.sent),
                    "received": dict(n.received),
                    "picture_tracks": len(n.view.tracks),
                    "scores": scores[p].to_dict() if p in scores else None,
                }
                for p, n in st.nodes.items()
            },
            "audit": str(self.audit_path),
            "alerts": len(st.alerts()),
        }


async def run_demo_async(
    scenario: Scenario,
    *,
    speed: float = 1.0,
    audit_path: Path | str = "lookout-audit.sqlite",
    policy: dict | None = None,
    duration_s: float | None = None,
    on_tick: Callable[[DemoState], None] | None = None,
    tick_wall_s: float = 0.25,
    sim: Simulation | None = None,
    on_start: Callable[[DemoState], None] | None = None,
    warn: bool = True,
    alerts_dir: Path | str | None = None,
) -> DemoResult:
    """Run ``scenario`` through three nodes, the exchange and the picture (see module doc);
    ``on_start`` sees the state once everything is built, before the first step (the web taps
    the exchange and the nodes there). With ``warn`` every node issues its public warnings,
    written to ``alerts_dir`` if given."""
    sim = sim or simulate(scenario)
    end = scenario.duration_s if duration_s is None else min(duration_s, scenario.duration_s)
    audit_path = Path(audit_path)
    if audit_path.exists():
        audit_path.unlink()
    co = Coalition.build(scenario, audit_path, policy=policy, warn=warn)
    # Which detections made each system track, for scoring the pictures (``DemoResult.scores``):
    # the fusion's tracks', and each node's own tracks' (a system track standing on partners'
    # local tracks alone). The picture is the same with or without it.
    prov = co.picture.fusion.keep_provenance()
    for node in co.nodes.values():
        node.keep_provenance(prov.local_taken, prov.taken_P)
    co.audit.put_meta("scenario", scenario.source or scenario.name)
    co.audit.put_meta("scenario_yaml", yaml.safe_dump(scenario.raw, sort_keys=False))
    co.audit.put_meta("key_seed", co.seed)
    co.audit.put_meta("policy", yaml.safe_dump(co.policy_doc))
    co.audit.put_meta("picture", json.dumps(EMBEDDED_PICTURE_PARAMS))
    co.audit.put_meta("warn", json.dumps({"warn": warn, "duration_s": end, "step_s": STEP_S}))
    live = await collect(co.bus)
    await co.start()
    state = DemoState(scenario, picture=co.picture, exchange=co.exchange, nodes=co.nodes)
    if on_start:
        on_start(state)

    feed = DetectionFeed(sim.detections, list(co.nodes))
    wall0 = time.perf_counter()
    last_tick = -1e9
    for t in steps(end):
        await co.step(feed, t)
        state.t_s = t
        state.wall_s = time.perf_counter() - wall0
        if speed > 0:
            ahead = t / speed - state.wall_s
            if ahead > 0:
                await asyncio.sleep(ahead)
        if on_tick and time.perf_counter() - last_tick >= tick_wall_s:
            last_tick = time.perf_counter()
            on_tick(state)
    await co.bus.flush()
    for node in co.nodes.values():
        await node.finish()
    await co.bus.flush()
    await co.exchange.flush()
    co.picture.close()  # the assessment's worker thread
    co.audit.close()
    if alerts_dir is not None:
        write_alerts(alerts_dir, state.alerts(), scenario.epoch + dt.timedelta(seconds=end))
    state.wall_s = time.perf_counter() - wall0
    state.done = True
    if on_tick:
        on_tick(state)
    await co.bus.close()
    return DemoResult(state, sim, audit_path, live)


def run_demo(scenario: Scenario, **kwargs) -> DemoResult:
    return asyncio.run(run_demo_async(scenario, **kwargs))


def replay_alerts(audit_path: Path | str, picture: Picture | None = None) -> dict[str, dict]:
    """Every partner's warnings decided again from what it received in the replay of an audit
    log, against the alerts it sent live (in the log): per partner ``alerts`` (the recomputed
    ``Alert`` messages), ``logged`` (the live ones) and ``identical`` (same CAP bytes, in the
    same order)."""
    from lookout.exchange.audit import read_audit
    from lookout.exchange.envelope import decode, decode_payload
    from lookout.messages import Alert, Status
    from lookout.node import message_time_ns

    meta = read_meta(audit_path)
    text = lambda k: meta[k].decode() if isinstance(meta[k], bytes) else meta[k]  # noqa: E731
    if "warn" not in meta or not json.loads(text("warn")).get("warn"):
        return {}
    scenario = logged_scenario(audit_path)
    seed = text("key_seed")
    picture = picture if picture is not None else replay_log(audit_path)
    logged: dict[str, list[Alert]] = {}
    for record in read_audit(audit_path):
        if record.accepted and record.type == "alert":
            alert = decode_payload(decode(record.data))
            logged.setdefault(alert.partner, []).append(alert)
    out = {}
    for p in scenario.partners:
        warner = warner_for(scenario, p.id, derive_key(seed, p.id))
        if warner is None:  # a partner that warns nobody
            continue
        alerts = []
        for _, data in picture.get(p.id, []):
            message = decode_payload(decode(data))
            if not isinstance(message, Status):  # as the node: partners' messages are its clock
                alerts += warner.take(message, message_time_ns(message))
        alerts += warner.flush()
        mine = logged.get(p.id, [])
        out[p.id] = {
            "alerts": alerts,
            "logged": mine,
            "identical": [a.cap for a in alerts] == [a.cap for a in mine],
        }
    return out


def replay_log(audit_path: Path | str) -> Picture:
    """The picture every partner received, rebuilt from an audit log written by the demo."""
    return replay_picture(audit_path, provenance=False)[0]


def replay_picture(
    audit_path: Path | str, *, provenance: bool = True
) -> tuple[Picture, Provenance | None]:
    """``replay_log``'s picture and, with ``provenance``, the replayed fusion's
    ``Provenance`` (which detections made each system track: ``replay_scores``; the same as
    the live run's, the fusion taking the same messages in the same order), else None."""
    meta = read_meta(audit_path)
    text = lambda k: meta[k].decode() if isinstance(meta[k], bytes) else meta[k]  # noqa: E731
    seed = text("key_seed")
    policy_doc = yaml.safe_load(text("policy"))
    pol = Policy.from_dict(policy_doc)
    names = list(pol.partners)
    keyring = Keyring.derived(seed, [*names, EXCHANGE])
    params = json.loads(text("picture"))
    common = CommonPicture(**params)
    kept = common.fusion.keep_provenance() if provenance else None
    return replay(audit_path, keyring, pol, derive_key(seed, EXCHANGE), common), kept


#: The subjects' last parts that carry system tracks: one an envelope, or an instant's batch.
TRACK_KINDS = ("system_track", "system_track_batch")


def envelope_tracks(env: Envelope) -> list[SystemTrack]:
    """The system tracks an opened envelope carries: its one, a batch's in order, else none."""
    msg = decode_payload(env)
    if isinstance(msg, SystemTrack):
        return [msg]
    if isinstance(msg, SystemTrackBatch):
        return list(msg.tracks)
    return []


def system_tracks_of(delivered: list[tuple[str, bytes]]) -> list[SystemTrack]:
    """The system tracks among one recipient's ``(subject, envelope bytes)`` deliveries (one
    an envelope or a batch's), decoded (the exchange verified and the node checked them; other
    messages are skipped)."""
    out = []
    for subject, data in delivered:
        if subject.rsplit(".", 1)[-1] in TRACK_KINDS:
            out += envelope_tracks(decode(data))
    return out


def picture_scores(
    picture: Picture,
    sim: Simulation,
    partners: list[str],
    *,
    until_s: float | None = None,
    pcrlb_results: dict | None = None,
    provenance: Provenance | None = None,
) -> dict[str, PictureScores]:
    """Each partner's received system tracks scored against the simulated truth
    (``lookout.scoring.picture``); truths are expected only for detections up to ``until_s``.
    ``provenance``: the fusion's (``PictureFusion.keep_provenance``), so that a system track is
    judged on the object that gave it most of its detections."""
    dets, labels = sim.detections, sim.labels
    if until_s is not None:
        n = sum(1 for d in dets if d.t_ns <= s_to_ns(until_s))
        dets, labels = dets[:n], labels[:n]
    truth = flights(sim.launches, sim.trajectories)
    # Which detections tell a stack's pieces apart: the same for every partner.
    resolved = None
    if provenance is not None:
        resolved = resolved_detections(dets, labels, counted_truths(sim.trajectories, labels, dets))
    return {
        p: score_picture(
            # The report instants: each the whole picture at its time (interim updates of a
            # few tracks between them would count as instants missing every other object).
            [st for st in system_tracks_of(picture.get(p, [])) if not st.interim],
            trajectories=sim.trajectories,
            labels=labels,
            detections=dets,
            launches=sim.launches,
            pcrlb_results=pcrlb_results,
            truth_flights=truth,
            report_period_s=PICTURE_PARAMS["report_period_s"],
            provenance=provenance,
            resolved=resolved,
        )
        for p in partners
    }


def replay_scores(
    audit_path: Path | str, picture: Picture, provenance: Provenance | None = None
) -> dict[str, PictureScores]:
    """Each recipient's replayed picture scored against the truth of the logged scenario,
    simulated again (deterministic from its seed), up to the log's last record;
    ``provenance`` the replay's (``replay_picture``)."""
    from lookout.exchange.audit import read_audit

    sim = simulate(logged_scenario(audit_path))
    last_ns = max((r.received_ns for r in read_audit(audit_path)), default=0)
    return picture_scores(
        picture, sim, sorted(picture), until_s=ns_to_s(last_ns), provenance=provenance
    )


def logged_scenario(audit_path: Path | str) -> Scenario:
    """The scenario a demo's audit log was written from: its own text when the log carries it,
    else the shipped name or file it names; raises ``ScenarioError``."""
    from lookout.scenario import load

    meta = read_meta(audit_path)
    text = {k: v.decode() if isinstance(v, bytes) else v for k, v in meta.items()}
    if "scenario_yaml" in text:
        try:
            data = yaml.safe_load(text["scenario_yaml"])
        except yaml.YAMLError as e:
            raise ScenarioError(f"{audit_path}: scenario_yaml: not valid YAML: {e}") from None
        name = text.get("scenario", "scenario")
        return parse(data, source=f"{audit_path}:scenario_yaml", default_name=Path(name).stem)
    if "scenario" not in text:
        raise ScenarioError(f"{audit_path}: the log names no scenario (metadata key 'scenario')")
    return load(text["scenario"])
