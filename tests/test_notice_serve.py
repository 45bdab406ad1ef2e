"""Announced launches in the distributed form (issue 13): a node sends its partner's pre-launch
notifications over NATS, the picture workers' launch events match them, the desks hold them;
slv-vandenberg with the US's notice gives no shelter call there as in the embedded demo
(tests/test_launch_notice.py)."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest
import yaml

from lookout.app.picture_workers import ASSESS, Assessor, FusedBatch, Fusion
from lookout.exchange import derive_key, envelope_bytes, seal
from lookout.exchange.clock import SimClock
from lookout.exchange.envelope import Sealer
from lookout.exchange.nats.server import NatsServer, find_nats_server
from lookout.scenario import load, parse

SLV = Path(__file__).parent / "data" / "scenarios" / "slv-vandenberg.yaml"
KEY = "US/US-VSFB-2024-064"


def test_the_fusion_hands_a_notice_to_every_assessor_and_they_hold_it():
    """On 823c408 the fusion dropped a ``LaunchNotice`` (nothing to fuse): no assessor's
    launch events ever matched one in the distributed form."""
    scenario = load(SLV)
    notice = scenario.notices[0].message()
    data = envelope_bytes(seal(notice, "US", 7, 0, derive_key("k", "US")))
    fusion = Fusion(2)
    out = fusion.take("lookout.fuse.US.launch_notice", data)
    assert sorted(s for s, _ in out) == [f"{ASSESS}.0", f"{ASSESS}.1"]
    for j, (_, payload) in enumerate(sorted(out)):
        work = Assessor(f"PICTURE-{j}", Sealer(f"PICTURE-{j}", derive_key("k", "P"), SimClock(0)))
        assert work.take(payload) == []  # held, nothing sent
        assert list(work.picture.events.announcements) == [("US", "US-VSFB-2024-064")]
    # A report batch still decodes as before (no notice on it).
    assert FusedBatch(0, []).notice is None


@pytest.mark.serial
@pytest.mark.slow  # ~40-60 s: simulating the flight, then 270 s of scenario at 10x real time
@pytest.mark.skipif(find_nats_server() is None, reason="nats-server binary not found")
def test_the_announced_slv_distributed_gives_no_shelter_call(tmp_path):
    """`lookout serve --workers 1`, the fusion, an assessor and the US and Mexican nodes with
    their desks (``run_node(warn=True)``) on a real nats-server, slv-vandenberg to 270 s: the
    US node sends its notice, Mexico's node and desk get it, the assessor's system tracks of
    the launch carry it, and neither desk warns (embedded, the same; without the notice the US
    desk tells California to shelter at +75 s). On 823c408 a distributed node had no desk and
    sent no notice, and the workers matched none."""
    from lookout.app.picture_workers import (
        CORE_SUBJECTS,
        exchange_streams,
        run_assessor,
        run_fusion,
        worker_bus,
    )
    from lookout.app.service import run_node, serve
    from lookout.exchange.nats import NatsBus
    from lookout.exchange.nats.config import EXCHANGE
    from lookout.simulate import simulate

    raw = yaml.safe_load(SLV.read_text())
    raw["duration_s"] = 270  # the launch at 120 s, California's shelter call at +75 s
    scenario = parse(raw, source=str(SLV))
    detections = simulate(scenario).detections
    speed, partners = 10.0, ["US", "MX"]
    start_file = tmp_path / "start"

    async def main():
        with NatsServer(partners) as server:

            def bus(user: str, **kw) -> NatsBus:
                return NatsBus(server.url, **server.login(user), **server.client_options(), **kw)

            common = {"start_unix_s": f"@{start_file}", "speed": speed}
            ready: dict[str, asyncio.Event] = {}

            def flag(name: str):
                ready[name] = asyncio.Event()
                return ready[name].set

            ex_bus = bus(EXCHANGE, partners=partners, manage_streams=True,
                         streams=exchange_streams(partners, 1), core=CORE_SUBJECTS)  # fmt: skip
            audit = str(tmp_path / "audit.sqlite")
            serving = serve(scenario, ex_bus, audit_path=audit, workers=1,
                            ready=flag("EXCHANGE"), **common)  # fmt: skip
            tasks = [asyncio.create_task(serving)]
            await asyncio.wait_for(ready["EXCHANGE"].wait(), 60.0)  # the streams exist
            worker = lambda name: worker_bus(lambda **kw: bus(EXCHANGE, **kw), name)  # noqa: E731
            fusing = run_fusion(scenario, worker("fusion"), assessors=1, ready=flag("fusion"),
                                **common)  # fmt: skip
            assessing = run_assessor(scenario, worker("assessor-0"), 0, 1,
                                     ready=flag("assessor"), **common)  # fmt: skip
            tasks += [asyncio.create_task(fusing), asyncio.create_task(assessing)]
            for p in partners:
                tasks.append(asyncio.create_task(run_node(
                    scenario, p, bus(p), detections=detections, warn=True, ready=flag(p),
                    state_dir=tmp_path / "state", **common)))  # fmt: skip
            await asyncio.wait_for(asyncio.gather(*(e.wait() for e in ready.values())), 60.0)
            start_file.write_text(repr(time.time() + 0.5))
            return await asyncio.wait_for(asyncio.gather(*tasks), 240.0)

    _, _, assessor, us, mx = asyncio.run(main())
    assert us.sent["launch_notice"] == 1
    assert [n.notice_id for n in mx.notices] == ["US-VSFB-2024-064"]
    assert list(assessor.picture.events.announcements) == [("US", "US-VSFB-2024-064")]
    launch = [st for st in assessor.picture.current.values() if st.event_id is not None]
    assert launch and all(st.notices == [KEY] for st in launch)
    assert us.view.tracks and all(st.notices == [KEY] for st in us.view.tracks.values()
                                  if st.event_id is not None)  # fmt: skip
    assert us.warner.decisions == [] and us.alerts == []
    assert mx.warner.decisions == [] and mx.alerts == []


def test_the_audit_keeps_the_policy_s_alert_and_notice_grants():
    """``lookout serve`` records its policy in the audit log (``policy_dict``); on 823c408
    the record lost the ``alert`` and ``launch_notice`` grants, so a replay from it released
    neither."""
    from lookout.app.defaults import default_policy
    from lookout.app.service import policy_dict
    from lookout.exchange.policy import Policy

    pol = Policy.from_dict(default_policy(load(SLV)))
    assert pol.grants[("US", "MX")].launch_notice and pol.grants[("US", "MX")].alert
    assert Policy.from_dict(policy_dict(pol)).grants == pol.grants
