"""What the picture says each piece of a launch is, and how its impact ellipses hold its impact.

    nice -n 10 .venv/bin/python benchmarks/piece_types.py FILE_OR_NAME ... [--cache DIR]

Per scenario the central tracker's assessments (``lookout track``'s, 5 s apart) are grouped into
launch events instant by instant as ``assess_reports`` does; each assessment is judged against
the truth object its track follows then (``followed_objects``). Per object (reentry vehicle or
payload, spent stage): its kind, how many predictions followed it, how often its 95 % impact
ellipse held its impact, the share of its assessments its event typed each type, and the share
with a stage probability above one half (``LaunchEvents.stage_probability``, where it exists;
else a stage or debris type counts as one). ``--cache DIR`` keeps each scenario's simulation
and tracker output (pickled) so that the assessment is run again without tracking again (the
tracker is the same before and after a change of the typing). ~30 CPU s a scenario uncached.
"""

from __future__ import annotations

import argparse
import json
import pickle
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np

from lookout.scenario import ScenarioError


def load_run(name: str, cache: Path | None):
    """(simulation, tracker output, scores) of scenario ``name``, from ``cache`` if there."""
    from lookout.scenario.parse import load
    from lookout.scoring import score
    from lookout.simulate import simulate
    from lookout.tracking import track
    from lookout.tracking.coverage import declared_coverage

    path = None if cache is None else cache / f"{Path(name).stem}.pkl"
    if path is not None and path.exists():
        with open(path, "rb") as fh:
            return pickle.load(fh)
    sc = load(name)
    sim = simulate(sc)
    out = track(sim.detections, report_period_s=1.0, t_end=sc.duration_s,
                coverage=declared_coverage(sc))  # fmt: skip
    scores = score(out, sim.trajectories, sim.labels, detections=sim.detections)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "wb") as fh:
            pickle.dump((sim, out, scores), fh)
    return sim, out, scores


def judge(name: str, cache: Path | None) -> dict:
    from lookout.assess.events import LaunchEvents
    from lookout.assess.impact import CHI2_2D_95, mahalanobis2
    from lookout.geodesy import ecef_to_geodetic
    from lookout.physics.trajectory import KINDS
    from lookout.scoring.evaluation import _track_truth, assess_reports, followed_objects

    sim, out, scores = load_run(name, cache)
    seen: dict[tuple[str, float], tuple[str, float]] = {}

    class Recording(LaunchEvents):
        def update(self, t, assessments):
            touched = super().update(t, assessments)
            prob = getattr(self, "stage_probability", None)
            for a in assessments:
                _, kind = self.of(a.track_id)
                p = prob(a.track_id) if prob else float(kind in ("spent_stage", "debris"))
                seen[(a.track_id, a.t)] = (kind, p)
            return touched

    assessments = assess_reports(out, 5.0, events=Recording())
    followed = followed_objects(sim, assessments, _track_truth(scores))
    per: dict[str, dict] = defaultdict(lambda: {"inside": [], "types": Counter(), "p": []})
    for a, obj in zip(assessments, followed, strict=True):
        if obj is None:
            continue
        tr = sim.trajectory(obj)
        row = per[obj]
        kind, p = seen.get((a.track_id, a.t), ("unknown", 0.0))
        if a.phase == "boost":
            continue
        row["types"][kind] += 1
        row["p"].append(p)
        impact = tr.event("impact")
        if impact is None or a.impact_kind != "predicted" or a.impact_ellipse is None:
            continue
        lat, lon, _ = ecef_to_geodetic(impact.pos)
        d2 = float(mahalanobis2(a.impact_lat, a.impact_lon, a.impact_ellipse.cov_en, lat, lon))
        row["inside"].append(d2 <= CHI2_2D_95)
    res = {}
    for obj in sorted(per):
        tr = sim.trajectory(obj)
        row = per[obj]
        n = sum(row["types"].values())
        res[obj] = {
            "kind": KINDS[tr.kind[-1]],
            "assessments": n,
            "predictions": len(row["inside"]),
            "containment": float(np.mean(row["inside"])) if row["inside"] else None,
            "types": {k: round(v / n, 2) for k, v in row["types"].most_common()},
            "stage_prob_over_half": float(np.mean(np.array(row["p"]) > 0.5)) if n else None,
            "stage_prob_median": float(np.median(row["p"])) if n else None,
        }
    return res


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("scenarios", nargs="+")
    ap.add_argument("--cache", type=Path, default=None)
    ap.add_argument("--json", type=Path, default=None, help="write the figures here too")
    args = ap.parse_args()
    allres = {}
    for name in args.scenarios:
        try:
            res = judge(name, args.cache)
        except ScenarioError as e:
            ap.exit(2, f"piece_types.py: {name}: {e}\n")
        allres[name] = res
        print(Path(name).stem)
        for obj, r in res.items():
            c = "  -  " if r["containment"] is None else f"{r['containment']:.2f}"
            types = " ".join(f"{k} {v:.2f}" for k, v in r["types"].items())
            print(f"  {obj:24s} {r['kind']:15s} held {c} of {r['predictions']:3d}  "
                  f"p>0.5 {r['stage_prob_over_half']:.2f}  {types}")  # fmt: skip
    if args.json:
        args.json.write_text(json.dumps(allres, indent=1))


if __name__ == "__main__":
    main()
