"""The embedded chain's per-message calls that perf-chain2 (issue 16) cut, timed in the tree on
``PYTHONPATH``: run it once with an exported tree of the base, once with the branch.

    PYTHONPATH=TREE .venv/bin/python benchmarks/chain_calls.py

CPU µs per call, best of 5 rounds:

- a node's check of a relayed detection batch (18 detections) and of a system track with its
  assessment, both opened by another verifier of the process (``SignatureMemo`` hits: what
  every node does with every relay and system track of the embedded form);
- a report's 50 system-track messages, each with an assessment already sent
  (``CommonPicture._messages``);
- a partner's view taking a report of 50 tracks at one instant (``PictureView.apply``);
- one ``MemoryBus.publish`` on one of six subjects.

Prints the figures as JSON.
"""

from __future__ import annotations

import asyncio
import json
import time

import numpy as np

from lookout import messages as m
from lookout.exchange import Keyring, SimClock, Verifier, derive_key
from lookout.exchange.envelope import envelope_bytes, seal
from lookout.exchange.memory import MemoryBus
from lookout.exchange.verify import SignatureMemo
from lookout.picture.common import CommonPicture, PictureView
from lookout.picture.fusion import FusedTrack

T0 = 10**12
SEED = "chain-calls"
RING = Keyring.derived(SEED, ["KR", "JP", "US", "EXCHANGE"])
X = [-3.0e6, 4.0e6, 3.9e6, 1000.0, -2000.0, 3000.0]
P6 = [[(100.0 if i < 3 else 1.0) if i == j else 0.0 for j in range(6)] for i in range(6)]
ASSESSMENT = m.Assessment(
    t_ns=T0, phase="coast", launch_lat_rad=0.7, launch_lon_rad=2.2, launch_time_ns=T0 - 10**11,
    launch_time_sigma_ns=10**9,
    launch_ellipse=m.Ellipse(semi_major_m=1e4, semi_minor_m=5e3, orientation_rad=0.3),
    impact_lat_rad=0.6, impact_lon_rad=2.4, impact_time_ns=T0 + 5 * 10**11,
    impact_time_sigma_ns=10**9,
    impact_ellipse=m.Ellipse(semi_major_m=2e4, semi_minor_m=1e4, orientation_rad=1.3),
    apogee_m=3e5, range_m=1e6, equivalent_range_m=1.1e6, vehicle_class="MRBM",
    overflown=["KR", "JP"], impact_area="JP", impact_area_kind="eez",
    impact_areas=[m.AreaShare(code="JP", kind="eez", prob=0.7),
                  m.AreaShare(code=None, kind="high_seas", prob=0.3)],
)  # fmt: skip


def best_us(fn, n: int, rounds: int = 5) -> float:
    out = []
    for _ in range(rounds):
        t = time.process_time()
        for _ in range(n):
            fn()
        out.append((time.process_time() - t) / n * 1e6)
    return round(min(out), 2)


def _detection(t_ns: int) -> m.Detection:
    return m.Detection(
        t_ns=t_ns, sensor_id="kr-a", partner="KR", kind="radar", z=[8e5, 0.5, 0.2, 10.0],
        R=[[100.0, 0, 0, 0], [0, 1e-6, 0, 0], [0, 0, 1e-6, 0], [0, 0, 0, 1.0]], snr_db=18.0,
        sensor_pos_ecef_m=[3.6e6, 4e6, 3.4e6],
    )  # fmt: skip


def _memo_hits(message, sender: str) -> float:
    """A node's check of ``message``'s envelopes that another verifier opened first."""
    data = [envelope_bytes(seal(message, sender, s + 1, T0, derive_key(SEED, sender)))
            for s in range(2000)]  # fmt: skip
    memo = SignatureMemo()
    first = Verifier(RING, SimClock(T0), signatures=memo)
    for d in data:
        first.check(d)
    # Five nodes, each taking every envelope once.
    nodes = [Verifier(RING, SimClock(T0), signatures=memo) for _ in range(5)]
    calls = iter([(v, d) for v in nodes for d in data])

    def one():
        v, d = next(calls)
        v.check(d)

    return best_us(one, 1900)


def _view_reports() -> float:
    reports = iter([
        [m.SystemTrack(system_track_id=f"S{k}", t_ns=T0 + r * 10**9, x=X, P=P6, partners=["KR"])
         for k in range(50)]
        for r in range(400)
    ])  # fmt: skip
    view = PictureView()
    return best_us(lambda: [view.apply(t) for t in next(reports)], 80)


def _report_messages() -> float:
    rng = np.random.default_rng(1)
    tracks = []
    for k in range(50):
        u = rng.normal(size=3)
        x = np.concatenate([6.5e6 * u / np.linalg.norm(u), rng.normal(0, 2e3, 3)])
        a = rng.normal(size=(6, 6))
        tracks.append(FusedTrack(f"S{k}", 100.0, x, a @ a.T + np.eye(6), 0.1, ("KR",),
                                 last_seen=99.0))  # fmt: skip
    picture = CommonPicture()
    for f in tracks:
        picture._assessment[f.system_track_id] = ASSESSMENT
    times = [100.0] * len(tracks)
    picture._messages(tracks, times)  # the first report with these assessments
    return best_us(lambda: picture._messages(tracks, times), 40)


async def _publish() -> float:
    bus = MemoryBus()
    subjects = [f"lookout.out.{p}.{k}" for p in ("KR", "JP", "US")
                for k in ("system_track", "heartbeat")]  # fmt: skip
    t = time.process_time()
    for i in range(60_000):
        await bus.publish(subjects[i % 6], b"x")
    return (time.process_time() - t) / 60_000 * 1e6


def main() -> dict:
    batch = m.DetectionBatch(partner="KR", sensor_id="kr-a",
                             detections=[_detection(T0 + k) for k in range(18)])  # fmt: skip
    track = m.SystemTrack(system_track_id="S1", t_ns=T0, x=X, P=P6, partners=["KR"],
                          assessment=ASSESSMENT)  # fmt: skip
    return {
        "node check, relayed batch of 18 (memo hit)": _memo_hits(batch, "KR"),
        "node check, system track (memo hit)": _memo_hits(track, "EXCHANGE"),
        "report of 50 assessed system tracks (CommonPicture._messages)": _report_messages(),
        "view takes a report of 50 (PictureView.apply x 50)": _view_reports(),
        "MemoryBus.publish": round(min(asyncio.run(_publish()) for _ in range(3)), 2),
    }


if __name__ == "__main__":
    print(json.dumps(main(), indent=1))
