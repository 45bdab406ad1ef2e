"""One launch of a shipped scenario flown again over seeds: the impact areas its tracks name,
false ones first. The raid's sensors, no false alarms, the launch alone (issue 13: mass-raid's
MR-36, aimed 2 km west of the Russian-Japanese EEZ line, had Japan's EEZ named at one look).

    nice -n 10 .venv/bin/python benchmarks/area_claim_seeds.py mass-raid MR-36 --seeds 1-30

Per seed: each (track, area) named, with its first time after the launch's burnout (s), and
whether the area is one an object of the launch comes down in. ~15 CPU s a seed.
"""

from __future__ import annotations

from one_launch import arguments, fly_one_launch, seeds_of


def run(name: str, launch_id: str, seed: int, duration_s: float) -> dict:
    from lookout.scoring.claims import flights
    from lookout.scoring.evaluation import assess_reports

    sc, sim, out = fly_one_launch(name, launch_id, seed, duration_s)
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
    args = arguments(__doc__)
    n_false = 0
    seeds = seeds_of(args.seeds)
    for seed in seeds:
        r = run(args.scenario, args.launch, seed, args.duration_s)
        n_false += bool(r["false"])
        print(r, flush=True)
    print(f"{n_false} of {len(seeds)} seeds with a false impact area")


if __name__ == "__main__":
    main()
