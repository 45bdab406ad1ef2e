"""The trackers of an embedded run alone: record what every ``Tracker`` of ``lookout demo`` is
given (each partner node's and the fusion's), then replay it, timed, with digests of all they
return. A check that a change to ``lookout.tracking`` meant to leave behaviour alone (a
speed-up) does, and its CPU figure without the rest of the chain's noise.

    .venv/bin/python benchmarks/tracker_replay.py record mass-raid 300 OUT.pkl
    .venv/bin/python benchmarks/tracker_replay.py replay OUT.pkl [REPEAT]

``record`` runs the demo embedded at ``--speed 0`` for the scenario's first ``DURATION`` s and
writes every tracker's construction (its configuration, the radars' declared coverage) and its
calls in order (``process`` with its detections, ``report`` and ``last_update`` with their
arguments). ``replay`` builds the trackers again and makes the same calls, one tracker after the
other, and prints as JSON the CPU seconds of each (best of ``REPEAT``, default 1), their sum, and
the SHA-256 of everything each returned (every array of every ``TrackLog``, in order). Two
trees that track alike print the same digests; run the other with ``PYTHONPATH`` set to an
exported tree, from a directory outside any source tree.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import pickle
import sys
import tempfile
import time

import numpy as np


def record(scenario: str, duration_s: float, out: str) -> None:
    from lookout.app.demo import run_demo_async
    from lookout.scenario import load
    from lookout.tracking import tracker as tracker_mod

    Tracker = tracker_mod.Tracker
    logs: list[dict] = []
    init, process, report, last_update = (
        Tracker.__init__,
        Tracker.process,
        Tracker.report,
        Tracker.last_update,
    )

    def _init(self, config=None, *, keep_updates=True, coverage=None):
        init(self, config, keep_updates=keep_updates, coverage=coverage)
        self._replay_log = {
            "config": self.config,
            "keep_updates": keep_updates,
            # The radars' declared coverage (it holds the radars' motion: rebuilt from the
            # scenario at the replay, by its radars' ids).
            "coverage": sorted(coverage or {}),
            "calls": [],
        }
        logs.append(self._replay_log)

    def _process(self, detections):
        self._replay_log["calls"].append(("process", list(detections)))
        return process(self, detections)

    def _report(self, t):
        self._replay_log["calls"].append(("report", float(t)))
        return report(self, t)

    def _last_update(self, track_ids):
        self._replay_log["calls"].append(("last_update", np.asarray(track_ids).copy()))
        return last_update(self, track_ids)

    Tracker.__init__, Tracker.process = _init, _process
    Tracker.report, Tracker.last_update = _report, _last_update
    with tempfile.TemporaryDirectory(prefix="lookout-replay-") as tmp:
        asyncio.run(
            run_demo_async(
                load(scenario),
                speed=0,
                duration_s=duration_s,
                audit_path=os.path.join(tmp, "audit.sqlite"),
            )
        )
    with open(out, "wb") as f:
        pickle.dump({"scenario": scenario, "trackers": logs}, f, protocol=pickle.HIGHEST_PROTOCOL)
    n = [sum(len(a) for k, a in lg["calls"] if k == "process") for lg in logs]

    print(json.dumps({"trackers": len(logs), "detections": n}))


def _digest(h, out) -> None:
    if isinstance(out, np.ndarray):
        h.update(str(out.dtype).encode() + str(out.shape).encode())
        h.update(np.ascontiguousarray(out).tobytes())
        return
    for name in ("t", "track_id", "x", "P", "boost_prob", "detection_index", "confirmed"):
        a = np.asarray(getattr(out, name))
        h.update(name.encode() + str(a.dtype).encode() + str(a.shape).encode())
        h.update(np.ascontiguousarray(a).tobytes())


def replay(path: str, repeat: int = 1) -> dict:
    import lookout
    from lookout.scenario import load
    from lookout.tracking.coverage import declared_coverage
    from lookout.tracking.tracker import Tracker

    with open(path, "rb") as f:
        saved = pickle.load(f)
    logs = saved["trackers"]
    everyone = declared_coverage(load(saved["scenario"]))
    for lg in logs:
        lg["coverage"] = {k: everyone[k] for k in lg["coverage"]}
    # The compiled kernels' first call compiles (or loads) them: not the tracker's cost.
    warm = logs[0]
    t = Tracker(warm["config"], keep_updates=False, coverage=warm["coverage"])
    for kind, arg in warm["calls"][:400]:
        getattr(t, kind)(arg)
    cpu: list[float] = []
    digests: list[str] = []
    for lg in logs:
        best = float("inf")
        for _ in range(repeat):
            h = hashlib.sha256()
            tr = Tracker(lg["config"], keep_updates=lg["keep_updates"], coverage=lg["coverage"])
            c0 = time.process_time()
            for kind, arg in lg["calls"]:
                _digest(h, getattr(tr, kind)(arg))
            best = min(best, time.process_time() - c0)
        cpu.append(round(best, 3))
        digests.append(h.hexdigest())
    everything = hashlib.sha256("".join(digests).encode()).hexdigest()
    return {
        "lookout": os.path.dirname(lookout.__file__),
        "cpu_s": cpu,
        "cpu_total_s": round(sum(cpu), 3),
        "digests": [d[:16] for d in digests],
        "all": everything,
    }


if __name__ == "__main__":
    args = sys.argv[1:]
    try:
        if len(args) == 4 and args[0] == "record":
            record(args[1], float(args[2]), args[3])
        elif len(args) in (2, 3) and args[0] == "replay":
            print(json.dumps(replay(args[1], int(args[2]) if len(args) == 3 else 1), indent=1))
        else:
            print(__doc__)
            sys.exit(2)
    except (ValueError, OSError) as e:
        print(f"tracker_replay: bad argument {args!r}: {e}", file=sys.stderr)
        sys.exit(2)
