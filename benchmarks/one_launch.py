"""One launch of a shipped scenario flown again at another seed, alone: the raid's sensors with
no false alarms, the launch at 20 s (``area_claim_seeds.py``, ``burnout_seeds.py``)."""

from __future__ import annotations

import argparse
import copy

import yaml


def seeds_of(text: str) -> list[int]:
    """``"1-30"`` or ``"7"``: the seeds, in order."""
    lo, _, hi = text.partition("-")
    try:
        seeds = list(range(int(lo), int(hi or lo) + 1))
    except ValueError:
        seeds = []
    if not seeds:
        raise SystemExit(f"--seeds = {text!r}: expected a seed or a range like 1-30")
    return seeds


def fly_one_launch(name: str, launch_id: str, seed: int, duration_s: float):
    """(scenario, simulation, the central tracker's output) of ``launch_id`` of scenario
    ``name`` flown alone at ``seed``; a bad name or launch is one line naming it."""
    from lookout.scenario import ScenarioError
    from lookout.scenario.parse import parse, resolve
    from lookout.simulate import simulate
    from lookout.tracking.coverage import declared_coverage
    from lookout.tracking.tracker import track

    try:
        src = yaml.safe_load(resolve(name).read_text())
    except ScenarioError as e:
        raise SystemExit(str(e)) from None
    except OSError as e:
        raise SystemExit(f"scenario = {name!r}: {e}") from None
    d = copy.deepcopy(src)
    d["name"], d["seed"], d["duration_s"] = f"{name}-{launch_id}-{seed}", seed, duration_s
    for p in d["partners"]:
        for s in p.get("sensors") or []:
            if "false_alarms_per_scan" in s:
                s["false_alarms_per_scan"] = 0
    entries = [dict(e, time_s=20.0) for e in d.get("launches") or [] if e.get("id") == launch_id]
    if len(entries) != 1:
        ids = [e.get("id") for e in d.get("launches") or []]
        raise SystemExit(f"launch = {launch_id!r}: expected one of {name}'s launches {ids}")
    d["launches"] = entries
    sc = parse(d)
    sim = simulate(sc)
    out = track(sim.detections, report_period_s=1.0, t_end=sc.duration_s,
                coverage=declared_coverage(sc))  # fmt: skip
    return sc, sim, out


def arguments(doc: str) -> argparse.Namespace:
    """The scripts' command line: scenario, launch, ``--seeds`` (1-30), ``--duration-s`` (620)."""
    ap = argparse.ArgumentParser(description=doc.splitlines()[0])
    ap.add_argument("scenario")
    ap.add_argument("launch")
    ap.add_argument("--seeds", default="1-30")
    ap.add_argument("--duration-s", type=float, default=620.0)
    return ap.parse_args()
