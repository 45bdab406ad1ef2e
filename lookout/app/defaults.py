"""The coalition's run defaults, shared by the embedded run (``demo``), the distributed
processes (``service``, ``picture_workers``), the warnings' judge (``warn_run``) and the web
runs (``web_run``): the demo loop's step, the common picture's parameters, the default
releasability policy and the simulation's key seed. Recorded in an audit log's metadata, so a
replay uses the run's own values.
"""

from __future__ import annotations

from lookout.scenario import Scenario

#: Simulated seconds per step of the demo loop: the longest a detection waits at its node.
STEP_S = 0.2
#: Parameters of the common picture, recorded in the audit log for replay. The assessment runs
#: in a worker thread and is published with the next report (``CommonPicture``): measured on
#: mass-raid at real time, its 5 s batch held the event loop and every fifth report behind it.
#: ``interim_updates``: between report instants, the fusion sends each system track that took
#: detections at once (``PictureFusion(interim=True)``), so a detection waits for its node's
#: step, not for the next report instant (measured on mass-raid at real time: the report
#: instant's wait was 0.93 s of the track age's p99; ``docs/history/benchmarks-log.md``).
#: ``assess_collect="step"``: an assessment batch is taken in (and its tracks sent again,
#: assessed) at the next step of the nodes, not at the next report instant: the assessment's
#: age 1 s less at the same cost. ``assess_on="change"`` (``lookout.assess.schedule``: a track
#: assessed at a report instant when it changed enough to matter) is not the default: the
#: assessment's cost is its batches' (a batch's integration takes its steps whatever its size),
#: and looks every second cost 4.7 times the 5 s clock's CPU for an age p50 of 1.3 s
#: (mass-raid, 300 s: ``docs/history/benchmarks-log.md``).
PICTURE_PARAMS = {
    "report_period_s": 1.0,
    "assess_period_s": 5.0,
    "latency_s": 1.0,
    "assess_in_background": True,
    "interim_updates": True,
    "assess_on": "clock",
    "assess_collect": "step",
}

#: The embedded coalition's picture (``coalition``, ``demo``, recorded in its audit log): its
#: nodes step at the same instants, so the fusion sends the interim updates once per step, when
#: its watermark reaches the step's clock (``PictureFusion(interim="step")``), as it did when
#: every node sent a heartbeat every step; with one at each partner's frame the interim
#: updates of srbm-salvo's 300 s were 1,686 -> 3,984, the system-track envelopes on mass-raid
#: +31 % (step58, ``docs/history/benchmarks-log.md``).
EMBEDDED_PICTURE_PARAMS = {**PICTURE_PARAMS, "interim_updates": "step"}

#: The longest a partner node goes without a ``Heartbeat`` (s), embedded and distributed
#: (``service.run_node``) alike. A heartbeat tells the fusion that the partner's data up to
#: its clock is all in, and, as the nodes know their sensors' scan schedules
#: (``declared_scans``), that nothing comes before their next scan or report instant
#: (``Heartbeat.next_ns``). So a node sends one with every step that has news (detections, a
#: report instant) and whenever its promise runs out, and nothing in a step without news
#: before that: the fusion still takes each step's detections of every partner in that step
#: (a heartbeat only at report instants held them back a latency window, 1 s, and put 1.2 s of
#: every partner's detections in the report step: ``docs/history/benchmarks-log.md``). With
#: a heartbeat after every step (0 here, before step58) the fusion reported the same picture;
#: a third of the nodes' frames were a heartbeat alone.
HEARTBEAT_S = 1.0
#: How long a distributed partner node's envelopes wait (s) for the rest of its step's on the
#: same subject, to go to the broker as one stored message (``NatsBus(linger_s=...)``; the
#: exchange still verifies, audits and releases each envelope on its own). A step sends its
#: detection batches, local tracks and heartbeat at once; stored one by one they were most of
#: the inbound streams' messages (mass-raid: ``docs/history/benchmarks-log.md``). The node
#: flushes at each step when it keeps state, which sends a step's batch at once.
NODE_LINGER_S = 0.002
#: Where the embedded coalition's assessment batches run (``CommonPicture``'s ``assess_worker``):
#: a child process, beside the event loop rather than sharing its interpreter. Not recorded in
#: the audit log: the messages are the same bytes either way (a replay uses a thread).
ASSESS_WORKER = "process"


def default_policy(scenario: Scenario) -> dict:
    """The demo's releasability: every partner shares its radars' detections and its tracks
    with every other; space-based infrared is shared as tracks only (its raw lines of sight
    stay with their owner), so the picture also shows track-to-track fusion."""
    partners = {p.id: [s.id for s in scenario.sensors if s.spec["partner"] == p.id]
                for p in scenario.partners}  # fmt: skip
    radars = {p: [s.id for s in scenario.sensors if s.spec["partner"] == p
                  and s.spec.get("type") == "radar"] for p in partners}  # fmt: skip
    return {
        "partners": partners,
        "publish": {p: {"detections": radars[p], "local_tracks": "all"} for p in partners},
        "release": {s: {r: "all" for r in partners if r != s} for s in partners},
    }


def key_seed(scenario: Scenario) -> str:
    return f"lookout-simulation-{scenario.name}-{scenario.seed}"
