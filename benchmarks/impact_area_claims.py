"""Impact-area claims per flight: when each flight's true impact area was first named, and every
false one, for the central tracker (``lookout track``'s ``evaluate``) and, with ``--pictures``,
in each partner's picture (``lookout demo``'s chain, as ``lookout bench picture-integrity`` runs
it). One JSON file per scenario in ``--out``.

    nice -n 10 .venv/bin/python benchmarks/impact_area_claims.py srbm-salvo slbm --pictures \\
        --out /tmp/areas-before

A claim is a (track, territory) whose impact area (after burnout) named that territory's land or
EEZ (``lookout.scoring.claims``); it is true when an object of the flight the track follows
comes down there. Per flight: the first true claim's time after launch, per territory, and the
areas the assessments listed as possible (``impact_areas``) without naming one.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from lookout.errors import LookoutError


def first_claims(records, follows, truth) -> dict:
    """Per flight: ``{territory: first t (s after launch)}`` of true claims, and the false
    claims as (track, territory, t after launch)."""
    out = {fid: {"true_first_s": {}, "false": []} for fid in truth}
    seen = set()
    for r in sorted(records, key=lambda r: r.t):
        if r.iip or r.impact_area is None or r.impact_area_kind not in ("land", "eez"):
            continue
        key = (r.track_id, r.impact_area)
        if key in seen:
            continue
        seen.add(key)
        fid = follows.get(r.track_id)
        f = truth.get(fid) if fid is not None else None
        if f is None:
            out.setdefault("(none)", {"true_first_s": {}, "false": []})["false"].append(
                [r.track_id, r.impact_area, r.t]
            )
            continue
        dt = round(r.t - f.launch_time, 3)
        if r.impact_area in f.impact_areas:
            first = out[fid]["true_first_s"]
            first[r.impact_area] = min(first.get(r.impact_area, dt), dt)
        else:
            out[fid]["false"].append([r.track_id, r.impact_area, dt])
    for fid, f in truth.items():
        out[fid]["truth"] = sorted(f.impact_areas)
    return out


def run(name: str, pictures: bool, keep: Path | None = None) -> dict:
    from lookout.scenario import load
    from lookout.scoring.claims import flight_of_tracks, flights, root_of
    from lookout.scoring.evaluation import claim_record, evaluate
    from lookout.simulate import simulate

    t0 = time.perf_counter()
    sc = load(name)
    sim = simulate(sc)
    ev = evaluate(sc, sim=sim, with_pcrlb=False)
    truth = flights(sim.launches, sim.trajectories)
    root = root_of(sim.trajectories)
    follows = flight_of_tracks(ev.scores.association, root, {})
    records = [claim_record(a) for a in ev.assessments]
    if keep is not None:  # the tracker's output, to assess again without tracking again
        import pickle

        with open(keep / f"{Path(name).stem}.pkl", "wb") as fh:
            pickle.dump((ev.output, follows, truth), fh)
    c = ev.claims.to_dict()
    res = {
        "scenario": name,
        "central": {
            "false_impact_area_claims": c["false_impact_area_claims"],
            "impact_area_claims": c["impact_area_claims"],
            "false_impact_area_details": c["false_impact_area_details"],
            "flights": first_claims(records, follows, truth),
        },
        "timings_s": {"central_s": time.perf_counter() - t0},
    }
    if pictures:
        from lookout.app.demo import picture_scores, run_demo, system_tracks_of
        from lookout.scoring.picture import claim_record as st_record

        t = time.perf_counter()
        with tempfile.TemporaryDirectory() as tmp:
            demo = run_demo(sc, speed=0, audit_path=Path(tmp) / "audit.sqlite", sim=sim)
        judged = picture_scores(demo.live, sim, list(demo.state.nodes), until_s=demo.state.t_s)
        for p, ps in judged.items():
            latest = {}
            for st in system_tracks_of(demo.live.get(p, [])):
                latest[(st.system_track_id, st.t_ns)] = st
            recs = [r for st in latest.values() if (r := st_record(st)) is not None]
            fol = flight_of_tracks(ps.scores.association, root, dict(enumerate(ps.names)))
            pc = ps.claims.to_dict()
            res[p] = {
                "false_impact_area_claims": pc["false_impact_area_claims"],
                "impact_area_claims": pc["impact_area_claims"],
                "false_impact_area_details": pc["false_impact_area_details"],
                "flights": first_claims(recs, fol, truth),
            }
        res["timings_s"]["demo_s"] = time.perf_counter() - t
    return res


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("scenarios", nargs="+")
    ap.add_argument("--pictures", action="store_true", help="also each partner's picture")
    ap.add_argument("--out", type=Path, default=Path("bench-impact-areas"))
    ap.add_argument("--keep", action="store_true", help="pickle the central tracker's output")
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    for name in args.scenarios:
        try:
            res = run(name, args.pictures, args.out if args.keep else None)
        except LookoutError as e:
            raise SystemExit(f"error: {e}") from None
        # A shipped name or a scenario file: its results under the file's name.
        (args.out / f"{Path(name).stem}.json").write_text(json.dumps(res, indent=1, default=float))
        views = [v for v in res if v not in ("scenario", "timings_s")]
        print(
            name,
            {v: res[v]["false_impact_area_claims"] for v in views},
            {k: round(v) for k, v in res["timings_s"].items()},
            flush=True,
        )


if __name__ == "__main__":
    main()
