"""Launch time and point against the truth, per vehicle class and method (issue 13: held-out
world78 #06's every launch time 25-30 s early under a ~20 s sigma).

    PYTHONPATH=TREE .venv/bin/python benchmarks/launch_time.py capture OUTDIR FILE...
    PYTHONPATH=TREE .venv/bin/python benchmarks/launch_time.py score PICKLE... [--rows]
    PYTHONPATH=TREE .venv/bin/python benchmarks/launch_time.py truth FILE... [--rows]

``capture`` simulates and tracks each scenario (the central tracker, as ``lookout track``) and
pickles what the assessment needs (the tracker's output, its scores, the truth); ``score``
assesses the pickles again every 5 s with the tree on ``PYTHONPATH`` (an assessment change is
judged without tracking again) and prints JSON per vehicle class (the flight's catalogue class;
SLV for a space launch) and method ("fit": one satellite's fit, ``lookout.tracking.mono``;
"boost"; "backward": a coast state flown back), once per distinct launch estimate of a track:
n, the launch time's bias (estimate - truth, s), its median, the z-score's RMS and the share
with |z| <= 1.96, the launch point's median miss (km) and its 95 % ellipse's containment of
the site; and the phantom launches (``lookout.scoring.claims``). ``truth`` flies each flight's
own truth back (``truth``), and its spent lower stages' (``truth-stage``): the boost table's
prior alone. ``--every-boost``: every boost of the
table in the prior (``boost_ensemble.in_class`` all true).
"""

from __future__ import annotations

import json
import pickle
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np


def capture(outdir: str, files: list[str]) -> None:
    from lookout.cli.common import load_scenario
    from lookout.scoring.evaluation import track_scored
    from lookout.simulate import simulate

    Path(outdir).mkdir(parents=True, exist_ok=True)
    for f in files:
        sc = load_scenario(f)
        sim = simulate(sc)
        output, scores = track_scored(sc, sim, with_pcrlb=False)
        keep = {
            "name": Path(f).stem,
            "launches": sim.launches,
            "trajectories": sim.trajectories,
            "labels": sim.labels,
            "output": output,
            "scores": scores,
        }
        with open(Path(outdir) / f"{Path(f).stem}.pkl", "wb") as fh:
            pickle.dump(keep, fh)
        print(f"captured {f}", file=sys.stderr, flush=True)


def score_one(path: str) -> dict:
    import lookout.assess.launch_point as lp
    from lookout.assess.events import LaunchEvents
    from lookout.assess.impact import CHI2_2D_95, mahalanobis2
    from lookout.geodesy import geodesic_inverse
    from lookout.scoring.claims import root_of
    from lookout.scoring.evaluation import (
        _track_truth,
        assess_reports,
        built_from,
        claim_record,
    )
    from lookout.scoring.picture import judge_tracks

    with open(path, "rb") as fh:
        d = pickle.load(fh)
    one = lp._one

    def tagged(*a):  # a tracker's one-satellite fit, told from ``launch_from_boost``
        est = one(*a)
        est.method = "fit"
        return est

    lp._one = tagged
    try:
        assessments = assess_reports(d["output"], 5.0, None, LaunchEvents())
    finally:
        lp._one = one
    owner = _track_truth(d["scores"]) | built_from(d["output"].updates, d["labels"], d["scores"])
    roots = root_of(d["trajectories"])
    by_id = {la.object_id: la for la in d["launches"]}
    rows, seen = [], set()
    for a in assessments:
        truth = owner.get(a.track_id)
        if truth is None or a.launch_lat is None or a.launch_time is None:
            continue
        la = by_id.get(roots.get(truth, truth))
        if la is None:
            continue
        key = (a.track_id, a.launch_lat, a.launch_lon, a.launch_time)
        if key in seen:
            continue
        seen.add(key)
        cov = a.launch_ellipse.cov_en
        d2 = float(mahalanobis2(a.launch_lat, a.launch_lon, cov, la.site_lat, la.site_lon))
        miss = float(geodesic_inverse(a.launch_lat, a.launch_lon, la.site_lat, la.site_lon)[0])
        dt = a.launch_time - la.launch_time
        rows.append({
            "file": d["name"], "track": a.track_id, "t": a.t, "truth": truth,
            "vehicle": la.vehicle.name, "class": la.vehicle.vehicle_class,
            "method": a.launch_method, "dt_s": dt, "sigma_s": a.launch_time_sigma,
            "z": dt / a.launch_time_sigma if a.launch_time_sigma else np.nan,
            "miss_km": miss / 1e3, "inside": d2 <= CHI2_2D_95,
        })  # fmt: skip
    claims = judge_tracks(
        d["scores"], [claim_record(a) for a in assessments], d["trajectories"], d["launches"]
    )
    return {"rows": rows, "phantom_launches": claims.to_dict()["phantom_launches"]}


def summary(rows: list[dict]) -> dict:
    groups = defaultdict(list)
    for r in rows:
        for key in (f"{r['class']}/{r['method']}", f"{r['class']}/all", f"all/{r['method']}",
                    "all/all"):  # fmt: skip
            groups[key].append(r)
    out = {}
    for key, rs in sorted(groups.items()):
        dt = np.array([r["dt_s"] for r in rs])
        z = np.array([r["z"] for r in rs])
        out[key] = {
            "n": len(rs),
            "dt_mean_s": round(float(dt.mean()), 1),
            "dt_median_s": round(float(np.median(dt)), 1),
            "z_mean": round(float(np.nanmean(z)), 2),
            "z_rms": round(float(np.sqrt(np.nanmean(z**2))), 2),
            "z_in_95": round(float(np.mean(np.abs(z) <= 1.96)), 3),
            "miss_median_km": round(float(np.median([r["miss_km"] for r in rs])), 1),
            "containment": round(float(np.mean([r["inside"] for r in rs])), 3),
        }
    return out


#: Seconds after the last burnout of the truth states ``truth`` flies back.
TRUTH_AFTER_S = (5.0, 30.0, 90.0)


def truth(files: list[str]) -> list[dict]:
    """The flight back alone (``launch_from_coast``) of each flight's own truth, known to a
    metre and a cm/s, ``TRUTH_AFTER_S`` after its last burnout (ballistic flights only): what the
    boost table's prior does, without a tracker's error (method "truth"); and of each of its
    spent lower stages (a stage below the last, ``-stageN``), as long after it parted (method
    "truth-stage": its arc is its staging's, not its payload's). Rows as ``score_one``'s."""
    from lookout.assess.impact import CHI2_2D_95, mahalanobis2
    from lookout.assess.launch_point import launch_from_coast
    from lookout.cli.common import load_scenario
    from lookout.geodesy import geodesic_inverse
    from lookout.simulate import fly_scenario, plan_launches

    rows = []
    for f in files:
        sc = load_scenario(f)
        launches = plan_launches(sc)
        trs = {tr.object_id: tr for tr in fly_scenario(sc, launches)}
        for la in launches:
            tr = trs[la.object_id]
            bo = tr.final_burnout()
            if la.vehicle.vehicle_class == "SLV" or la.orbit or bo is None:
                continue
            lower = [trs.get(f"{la.object_id}-stage{n}") for n in range(1, len(la.vehicle.stages))]
            pieces = [(tr, bo.t, "truth", bo.t - la.launch_time)] + [
                (st, st.t[0], "truth-stage", st.t[0] - la.launch_time) for st in lower if st
            ]
            for piece, t0, method, burn in pieces:
                ts = np.array([t0 + s for s in TRUTH_AFTER_S])
                x = piece.state_at(ts)
                ok = np.isfinite(x[:, 0])
                if not ok.any():
                    continue
                P = np.tile(np.diag([1.0] * 3 + [1e-4] * 3), (int(ok.sum()), 1, 1))
                est = launch_from_coast(ts[ok], x[ok], P)
                for k, after in enumerate(np.array(TRUTH_AFTER_S)[ok]):
                    if not np.isfinite(est.t[k]):
                        continue
                    d2 = float(mahalanobis2(est.lat[k], est.lon[k], est.cov_en[k], la.site_lat,
                                            la.site_lon))  # fmt: skip
                    miss = geodesic_inverse(est.lat[k], est.lon[k], la.site_lat, la.site_lon)[0]
                    dt = float(est.t[k] - la.launch_time)
                    rows.append({
                        "file": Path(f).stem, "track": f"{piece.object_id}+{after:g}",
                        "t": float(ts[k]), "truth": piece.object_id, "vehicle": la.vehicle.name,
                        "class": la.vehicle.vehicle_class, "method": method, "dt_s": dt,
                        "sigma_s": float(est.t_sigma[k]), "z": dt / float(est.t_sigma[k]),
                        "miss_km": float(miss) / 1e3, "inside": d2 <= CHI2_2D_95,
                        "burn_s": float(burn),
                    })  # fmt: skip
    return rows


def main(argv: list[str]) -> None:
    if "--every-boost" in argv:  # every boost of the table a priori as likely
        from lookout.assess import boost_ensemble

        if "in_class" in boost_ensemble.table():
            boost_ensemble.table()["in_class"][:] = True
    if argv[:1] == ["capture"]:
        capture(argv[1], argv[2:])
        return
    if argv[:1] == ["truth"]:
        rows = truth([p for p in argv[1:] if not p.startswith("--")])
        out = {"summary": summary(rows)}
        if "--rows" in argv:
            out["rows"] = rows
        print(json.dumps(out, indent=1, default=float))
        return
    if argv[:1] != ["score"]:
        raise SystemExit("usage: launch_time.py capture OUTDIR FILE... | score PICKLE... [--rows]")
    paths = [p for p in argv[1:] if not p.startswith("--")]
    every, phantoms, per_file = [], 0, {}
    for p in paths:
        got = score_one(p)
        every += got["rows"]
        phantoms += got["phantom_launches"] or 0
        per_file[Path(p).stem] = got["phantom_launches"]
    out = {"files": len(paths), "phantom_launches": phantoms, "phantoms_by_file":
           {k: v for k, v in per_file.items() if v}, "summary": summary(every)}  # fmt: skip
    if "--rows" in argv:
        out["rows"] = every
    print(json.dumps(out, indent=1, default=float))


if __name__ == "__main__":
    from lookout.cli.common import run_script

    run_script(main, sys.argv[1:])
