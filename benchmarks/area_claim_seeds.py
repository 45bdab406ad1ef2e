"""One launch of a shipped scenario flown again over seeds: the impact areas its tracks name,
false ones first. The raid's sensors, no false alarms, the launch alone (issue 13: mass-raid's
MR-36, aimed 2 km west of the Russian-Japanese EEZ line, had Japan's EEZ named at one look).

    nice -n 10 .venv/bin/python benchmarks/area_claim_seeds.py mass-raid MR-36 --seeds 1-30

Per seed: each (track, area) named, with its first time after the launch's burnout (s), and
whether the area is one an object of the launch comes down in. ~15 CPU s a seed.
"""

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


def run(name: str, launch_id: str, seed: int, duration_s: float) -> dict:
    from lookout.scenario import ScenarioError
    from lookout.scenario.parse import parse, resolve
    from lookout.scoring.claims import flights
    from lookout.scoring.evaluation import assess_reports
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
    (entry,) = entries
    d["launches"] = [entry]
    sc = parse(d)
    sim = simulate(sc)
    out = track(sim.detections, report_period_s=1.0, t_end=sc.duration_s,
                coverage=declared_coverage(sc))  # fmt: skip
    truth = flights(sim.launches, sim.trajectories)[launch_id]
    burnout = next(t for t in sim.trajectories if t.object_id == launch_id).event("burnout").t
    named: dict[tuple[str, str], float] = {}
    for a in assess_reports(out, 5.0):
        if a.impact_kind == "predicted" and a.impact_area is not None and a.impact_area.code:
            named.setdefault((a.track_id, a.impact_area.code), round(a.t - burnout, 1))
    return {
        "seed": seed,
        "false": sorted((k, c, t) for (k, c), t in named.items() if c not in truth.impact_areas),
        "true": sorted((k, c, t) for (k, c), t in named.items() if c in truth.impact_areas),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("scenario")
    ap.add_argument("launch")
    ap.add_argument("--seeds", default="1-30")
    ap.add_argument("--duration-s", type=float, default=620.0)
    args = ap.parse_args()
    n_false = 0
    seeds = seeds_of(args.seeds)
    for seed in seeds:
        r = run(args.scenario, args.launch, seed, args.duration_s)
        n_false += bool(r["false"])
        print(r, flush=True)
    print(f"{n_false} of {len(seeds)} seeds with a false impact area")


if __name__ == "__main__":
    main()
