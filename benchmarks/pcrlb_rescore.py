"""A saved ``lookout track --json`` with its PCRLB figures made again by this tree's bound
(``lookout.tracking.pcrlb``), for ``benchmarks/held_out.py`` to pool: the scenario is simulated
and tracked again (no assessment: the claims and flights are the JSON's), scored with the
bound, and its RMSE/PCRLB and PCRLB figures replace the JSON's; the others are checked equal
(the same tree's tracker on the same scenario, to the bit).

    nice -n 10 .venv/bin/python benchmarks/pcrlb_rescore.py BEFORE.json SCENARIO.yaml --out DIR
    .venv/bin/python benchmarks/held_out.py BEFORE_DIR/*.json   # and DIR/*.json

``--changed-only``: write nothing (and track nothing) where the bound of every truth is the same
at every instant as the one ``--old`` (a copy of ``lookout/tracking/pcrlb.py``) computes: the
JSON then is its own rescore. ``--cache DIR``: keep (and reuse) each tracker output there.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import pickle
import sys
from pathlib import Path

import numpy as np

from lookout.scenario import load
from lookout.scoring import score
from lookout.scoring.evaluation import truth_bounds
from lookout.simulate import simulate
from lookout.tracking import track
from lookout.tracking.coverage import declared_coverage

#: The figures the bound makes (``Scores.to_dict``); every other score must come out equal.
BOUND_KEYS = ("pcrlb_pos_m", "pcrlb_vel_mps", "rmse_over_pcrlb_pos")
CHECKED_KEYS = ("rmse_pos_m", "samples", "nees_in_bounds_by_phase", "id_switches",
                "duplicate_track_s", "false_track_s")  # fmt: skip


def _old_pcrlb(path: Path):
    spec = importlib.util.spec_from_file_location("pcrlb_old", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod.pcrlb


def _same(a: dict, b: dict) -> bool:
    return all(
        np.array_equal(a[k].pos_m, b[k].pos_m, equal_nan=True)
        and np.array_equal(a[k].vel_mps, b[k].vel_mps, equal_nan=True)
        for k in a
    ) and set(a) == set(b)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("json", type=Path, help="the saved lookout track --json of the scenario")
    ap.add_argument("scenario", type=Path, help="the scenario file it was run on")
    ap.add_argument("--out", type=Path, required=True, help="directory for the rescored JSON")
    ap.add_argument("--old", type=Path, default=None, help="the bound's module before")
    ap.add_argument("--changed-only", action="store_true")
    ap.add_argument("--cache", type=Path, default=None, help="keep tracker outputs here")
    args = ap.parse_args(argv)
    try:
        before = json.loads(args.json.read_text())
        scenario = load(str(args.scenario))
    except (OSError, ValueError) as e:
        print(f"{e}", file=sys.stderr)
        return 2
    sim = simulate(scenario)
    bounds = truth_bounds(sim)
    args.out.mkdir(parents=True, exist_ok=True)
    dst = args.out / args.json.name
    if args.changed_only:
        if args.old is None:
            print("--changed-only: give --old (the bound's module before)", file=sys.stderr)
            return 2
        import lookout.scoring.evaluation as ev

        new_pcrlb, ev.pcrlb = ev.pcrlb, _old_pcrlb(args.old)
        try:
            old = truth_bounds(sim)
        finally:
            ev.pcrlb = new_pcrlb
        if _same(old, bounds):
            dst.write_text(json.dumps(before))
            print(f"{args.json.stem}: bound unchanged")
            return 0
    cached = args.cache / f"{args.json.stem}.pkl" if args.cache is not None else None
    if cached is not None and cached.exists():
        output = pickle.loads(cached.read_bytes())
    else:
        output = track(
            sim.detections,
            report_period_s=1.0,
            t_end=scenario.duration_s,
            coverage=declared_coverage(scenario),
        )
        if cached is not None:
            cached.parent.mkdir(parents=True, exist_ok=True)
            cached.write_bytes(pickle.dumps(output))
    s = score(
        output,
        sim.trajectories,
        sim.labels,
        detections=sim.detections,
        pcrlb_results=bounds,
        report_period_s=1.0,
    ).to_dict()
    differ = [k for k in CHECKED_KEYS if k in before and before[k] != s[k]]
    if differ:
        print(f"{args.json.stem}: not the JSON's tracker run ({', '.join(differ)} differ)")
        return 1
    after = dict(before)
    after.update({k: s[k] for k in BOUND_KEYS})
    dst.write_text(json.dumps(after))
    r0, r1 = before["rmse_over_pcrlb_pos"]["coast"], s["rmse_over_pcrlb_pos"]["coast"]
    b0, b1 = before["pcrlb_pos_m"]["coast"], s["pcrlb_pos_m"]["coast"]
    print(f"{args.json.stem}: coast PCRLB {b0} -> {b1} m, RMSE/PCRLB {r0} -> {r1}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
