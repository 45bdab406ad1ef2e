"""``lookout warn``: the whole chain run on a scenario, and every warning judged.

:func:`run_warn` runs the embedded coalition (``lookout.app.demo``: sensors, partner nodes, the
signed exchange, fusion and assessment, each node issuing its own warnings) as fast as it can,
or with ``alone`` one partner on its own sensors only, without the exchange
(:func:`run_alone`: its detections fused into a picture of its own, its desk deciding from
it), and judges the alerts against the truth (``lookout.warn.judge``).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import tempfile
import time
from pathlib import Path

import msgspec

from lookout.app.coalition import DetectionFeed, steps
from lookout.app.defaults import PICTURE_PARAMS, key_seed
from lookout.app.demo import run_demo_async, system_tracks_of
from lookout.exchange.envelope import decode, decode_payload
from lookout.exchange.keys import derive_key
from lookout.messages import SCHEMA_VERSION, Alert, DetectionBatch, SystemTrack
from lookout.picture.common import CommonPicture
from lookout.scenario import Scenario
from lookout.simulate import Simulation, simulate
from lookout.timebase import s_to_ns
from lookout.warn.issue import Warner, warner_for, warns, write_alerts
from lookout.warn.judge import attribute_events, judge, unwarned_partners


def run_alone(
    scenario: Scenario, partner: str, sim: Simulation
) -> tuple[list[Alert], list[SystemTrack], Warner]:
    """One partner alone: its own sensors' detections, in steps of the demo's, fused into a
    picture of its own (the exchange's fusion and assessment, no exchange), its desk deciding
    from every picture instant. Returns its alerts, the picture's tracks and its warner."""
    if partner not in [p.id for p in scenario.partners]:
        known = ", ".join(p.id for p in scenario.partners)
        raise ValueError(f"alone: {partner!r} is not a partner of {scenario.name} ({known})")
    warner = warner_for(scenario, partner, derive_key(key_seed(scenario), partner))
    if warner is None:
        raise ValueError(
            f"alone: {partner!r} ({scenario.partner(partner).country}) has no warning areas"
        )
    picture = CommonPicture(**PICTURE_PARAMS)
    feed = DetectionFeed(sim.detections, [p.id for p in scenario.partners])
    alerts: list[Alert] = []
    tracks: list[SystemTrack] = []
    for n in scenario.notices:  # its own notifications: the only ones it has alone
        if n.partner == partner:
            picture.ingest(partner, n.message())

    def take(sts):
        for st in sts:
            tracks.append(st)
            alerts.extend(warner.on_track(st))

    for t in steps(scenario.duration_s):
        t_ns = s_to_ns(t)
        by_sensor: dict[str, list] = {}
        for d in feed.until(partner, t_ns):
            by_sensor.setdefault(d.sensor_id, []).append(d)
        for sensor, ds in by_sensor.items():
            take(
                picture.ingest(
                    partner, DetectionBatch(partner=partner, sensor_id=sensor, detections=ds)
                )
            )
        alerts.extend(warner.tick(t_ns))
    take(picture.flush())
    alerts.extend(warner.flush())
    return alerts, tracks, warner


def run_warn(
    scenario: Scenario,
    *,
    alone: str | None = None,
    alerts_dir: Path | str | None = None,
    audit_path: Path | str | None = None,
    deliveries_path: Path | str | None = None,
    progress=None,
) -> dict:
    """Run the chain on ``scenario`` and judge its warnings (the JSON of ``lookout warn``).
    ``deliveries_path`` keeps what each partner's node received (MessagePack of
    ``{partner: [[subject, envelope bytes], ...]}``), so that its desk can decide again from it
    (:func:`decide_again`) without running the chain."""
    wall0 = time.perf_counter()
    sim = simulate(scenario, progress=progress)
    if alone is not None:
        alerts, tracks, warner = run_alone(scenario, alone, sim)
        decisions = warner.decisions
        partners = [scenario.partner(alone)]
        if alerts_dir is not None:
            end = scenario.epoch + dt.timedelta(seconds=scenario.duration_s)
            write_alerts(alerts_dir, alerts, end)
    else:
        with tempfile.TemporaryDirectory() as tmp:
            path = audit_path or Path(tmp) / "audit.sqlite"
            result = asyncio.run(
                run_demo_async(scenario, speed=0, audit_path=path, sim=sim, alerts_dir=alerts_dir)
            )
        alerts = result.state.alerts()
        decisions = [
            d for n in result.state.nodes.values() if n.warner is not None
            for d in n.warner.decisions
        ]  # fmt: skip
        if deliveries_path is not None:
            Path(deliveries_path).write_bytes(
                msgspec.msgpack.encode({p: list(items) for p, items in result.live.items()})
            )
        partners = [p for p in scenario.partners if warns(p)]
        first = scenario.partners[0].id
        tracks = system_tracks_of(result.live.get(first, []))
    out = {
        "scenario": scenario.name,
        "mode": f"alone:{alone}" if alone else "exchange",
    }
    out.update(judge(sim, alerts, attribute_events(sim, tracks), partners, regions(decisions)))
    out["unwarned_partners"] = unwarned_partners(sim, scenario.partners)
    out["flights"] = {
        launch.object_id: {"launch_time_s": launch.launch_time, "vehicle": launch.vehicle.name}
        for launch in sim.launches
    }
    out["wall_s"] = time.perf_counter() - wall0
    return out


def regions(decisions) -> dict[str, dict]:
    """The desks' decision geometry by alert identifier: per area the stated region that made
    each call (what ``judge`` tells a precautionary call from a false one by)."""
    return {d.notice.identifier: d.geometry for d in decisions}


def decide_again(scenario: Scenario, kept: Path | str, sim: Simulation | None = None) -> dict:
    """The judged warnings (as :func:`run_warn`) of every partner's desk deciding again, with
    the rules as they are now, from what its node received in an earlier run: ``kept`` is the
    ``deliveries_path`` of :func:`run_warn`, or its audit log (``*.sqlite``: the picture is
    then rebuilt by replaying the log, fusion included). The same picture, the desk's rules
    changed: a change of the rules measured without simulating and tracking again."""
    from lookout.messages import Status
    from lookout.node import message_time_ns

    wall0 = time.perf_counter()
    sim = sim if sim is not None else simulate(scenario)
    if str(kept).endswith(".sqlite"):
        from lookout.app.demo import replay_log

        live = replay_log(kept)
    else:
        live = msgspec.msgpack.decode(Path(kept).read_bytes())
        # Decoding is lenient (a renamed field reads as null): refuse another schema's file.
        versions = {decode(data).version for items in live.values() for _, data in items}
        if versions - {SCHEMA_VERSION}:
            raise ValueError(
                f"{kept}: envelopes of schema version {sorted(versions)}, this Lookout reads "
                f"{SCHEMA_VERSION} (docs/messages.md, version history)"
            )
    seed = key_seed(scenario)
    alerts: list[Alert] = []
    decisions = []
    for p in scenario.partners:
        warner = warner_for(scenario, p.id, derive_key(seed, p.id))
        if warner is None:
            continue
        for _, data in live.get(p.id, []):
            message = decode_payload(decode(data))
            if not isinstance(message, Status):  # as the node: other messages are its clock
                alerts += warner.take(message, message_time_ns(message))
        alerts += warner.flush()
        decisions += warner.decisions
    first = scenario.partners[0].id
    tracks = system_tracks_of(live.get(first, []))
    out = {"scenario": scenario.name, "mode": "exchange (decided again)"}
    partners = [p for p in scenario.partners if warns(p)]
    out.update(judge(sim, alerts, attribute_events(sim, tracks), partners, regions(decisions)))
    out["unwarned_partners"] = unwarned_partners(sim, scenario.partners)
    out["flights"] = {
        launch.object_id: {"launch_time_s": launch.launch_time, "vehicle": launch.vehicle.name}
        for launch in sim.launches
    }
    out["wall_s"] = time.perf_counter() - wall0
    return out


__all__ = ["decide_again", "run_alone", "run_warn"]
