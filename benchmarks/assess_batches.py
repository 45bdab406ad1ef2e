"""The assessment child's work alone (issue 16): the batches a `lookout bench picture` run hands
its assessment child, kept, then replayed through a fresh ``Assessor`` in the tree on
``PYTHONPATH``; the CPU seconds and a digest of every assessment, field by field, to compare
two trees (the same digest: the same assessments, to the last bit).

    PYTHONPATH=TREE .venv/bin/python benchmarks/assess_batches.py capture BATCHES.pkl \\
        [--scenario mass-raid] [--duration-s 300]
    PYTHONPATH=TREE .venv/bin/python benchmarks/assess_batches.py replay BATCHES.pkl \\
        [--rounds 3] [--profile OUT.prof]

``capture`` runs the embedded bench (the child's batches are recorded as they are submitted);
``replay`` runs them in this process, after one throwaway batch (numba's kernels loaded),
and prints JSON: the batches, the assessments, CPU seconds of each round, the digest.
"""

from __future__ import annotations

import argparse
import cProfile
import hashlib
import json
import pickle
import time
from concurrent.futures import ProcessPoolExecutor

import numpy as np


def capture(path: str, scenario: str, duration_s: float) -> dict:
    from lookout.bench.picture import bench_picture
    from lookout.scenario.parse import load

    kept: list[bytes] = []
    submit = ProcessPoolExecutor.submit

    def recording(self, fn, *args, **kwargs):
        if getattr(fn, "__name__", "") == "_assess_in_child":
            kept.append(pickle.dumps(args))  # now: the caller builds the next batch anew
        return submit(self, fn, *args, **kwargs)

    ProcessPoolExecutor.submit = recording
    try:
        out = bench_picture(load(scenario), duration_s=duration_s)
    finally:
        ProcessPoolExecutor.submit = submit
    with open(path, "wb") as f:
        pickle.dump(kept, f)
    return {"batches": len(kept), "cpu_s_per_scenario_s": out["cpu_s_per_scenario_s"]}


def _canonical(x, out: list) -> None:
    """Every leaf of an assessment, in order, as bytes (arrays by their bytes, floats by repr)."""
    if isinstance(x, np.ndarray):
        out.append(f"a{x.dtype}{x.shape}".encode())
        if x.dtype == object:
            for v in x.ravel().tolist():
                _canonical(v, out)
        else:
            out.append(np.ascontiguousarray(x).tobytes())
    elif isinstance(x, dict):
        for k in x:
            out.append(repr(k).encode())
            _canonical(x[k], out)
    elif isinstance(x, (list, tuple, set, frozenset)):
        out.append(type(x).__name__.encode())
        for v in sorted(x, key=repr) if isinstance(x, (set, frozenset)) else x:
            _canonical(v, out)
    elif hasattr(x, "__dict__"):
        out.append(type(x).__name__.encode())
        _canonical(vars(x), out)
    else:
        out.append(repr(x).encode())


def replay(path: str, rounds: int, profile: str | None) -> dict:
    from lookout.assess import Assessor

    with open(path, "rb") as f:
        batches = [pickle.loads(b) for b in pickle.load(f)]
    Assessor().update(*batches[0][0], **batches[0][1])  # kernels compiled or loaded
    cpu, digest, n = [], None, 0
    for r in range(rounds):
        assessor = Assessor()
        prof = cProfile.Profile(time.process_time) if profile and r == 0 else None
        t0 = time.process_time()
        if prof:
            prof.enable()
        outs = [assessor.update(*args, **options) for args, options in batches]
        if prof:
            prof.disable()
            prof.dump_stats(profile)
        else:
            cpu.append(round(time.process_time() - t0, 3))
        leaves: list = []
        for out in outs:
            for a in out:
                _canonical(a, leaves)
        h = hashlib.sha256(b"".join(leaves)).hexdigest()[:16]
        assert digest in (None, h), "two rounds gave different assessments"
        digest, n = h, sum(map(len, outs))
    return {"batches": len(batches), "assessments": n, "cpu_s": cpu, "digest": digest}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("capture")
    c.add_argument("path")
    c.add_argument("--scenario", default="mass-raid")
    c.add_argument("--duration-s", type=float, default=300.0)
    r = sub.add_parser("replay")
    r.add_argument("path")
    r.add_argument("--rounds", type=int, default=3)
    r.add_argument("--profile", default=None)
    a = ap.parse_args()
    if a.cmd == "capture":
        print(json.dumps(capture(a.path, a.scenario, a.duration_s)))
    else:
        print(json.dumps(replay(a.path, a.rounds, a.profile)))


if __name__ == "__main__":
    main()
