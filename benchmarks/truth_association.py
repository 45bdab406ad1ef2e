"""The central tracker with association taken from the truth: a diagnostic, not a product mode.

    nice .venv/bin/python benchmarks/truth_association.py tests/data/scenarios/mrbm-iran-israel.yaml

Each truth object's labelled detections are tracked by a tracker of their own (false alarms are
dropped), so no detection can go to another object's track; everything else (the estimator, the
IMM, initiation, the scoring and assessment of ``lookout track``) is as in ``evaluate``. If the
coast NEES is in bounds here but not in ``lookout track``, the cause is association; if it is out
here too, the estimator. Prints both runs' per-phase NEES in bounds, coast RMSE/PCRLB and each
flight's impact-ellipse containment.
"""

from __future__ import annotations

import argparse
from collections import defaultdict

import numpy as np

from lookout.scenario import load
from lookout.scoring import evaluation
from lookout.simulate import simulate
from lookout.tracking import TrackerOutput, track
from lookout.tracking.log import TrackLog

#: Track ids of object k's own tracker are offset by k times this.
ID_STRIDE = 1_000_000


def truth_track(detections, labels, **kw) -> TrackerOutput:
    """``tracking.track`` with every truth object's detections given to a tracker of its own;
    detection indices and track ids are made global again."""
    by_truth: dict[str, list[int]] = defaultdict(list)
    for i, lab in enumerate(labels):
        if lab is not None:
            by_truth[lab].append(i)
    ups, reps, parents, wall = [], [], {}, 0.0
    for k, (_, idx) in enumerate(sorted(by_truth.items())):
        out = track([detections[i] for i in idx], **kw)
        off = (k + 1) * ID_STRIDE
        gidx = np.asarray(idx, dtype=np.int64)
        u = out.updates
        di = np.where(u.detection_index >= 0, gidx[np.maximum(u.detection_index, 0)], -1)
        ups.append(TrackLog(u.t, u.track_id + off, u.x, u.P, u.boost_prob, di, u.confirmed))
        r = out.reports
        reps.append(TrackLog(r.t, r.track_id + off, *(r.x, r.P, r.boost_prob),
                             r.detection_index, r.confirmed))  # fmt: skip
        parents.update({c + off: p + off for c, p in out.parents.items()})
        wall += out.wall_s
    rep = TrackLog.concatenate(reps)
    order = np.argsort(rep.t, kind="stable")
    rep = TrackLog(*(getattr(rep, f)[order] for f in TrackLog.__dataclass_fields__))
    return TrackerOutput(TrackLog.concatenate(ups), rep, len(detections), wall, parents)


def summary(ev) -> str:
    d = ev.to_dict()
    ph = d["nees_in_bounds_by_phase"]
    nees = " / ".join(
        "-" if ph[p] is None else f"{ph[p]:.2f}" for p in ("boost", "coast", "reentry")
    )
    ratio = d["rmse_over_pcrlb_pos"]["coast"]
    ell = ", ".join(f"{fid} {fl['ellipse_containment']}" for fid, fl in d["flights"].items())
    return (
        f"NEES in bounds boost/coast/reentry {nees}; coast RMSE/PCRLB "
        f"{'-' if ratio is None else f'{ratio:.2f}'}; id switches {d['id_switches']}; "
        f"ellipse containment {ell}"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("scenario")
    a = ap.parse_args()
    sc = load(a.scenario)
    sim = simulate(sc)
    bounds = evaluation.truth_bounds(sim)
    print("tracker:          ", summary(evaluation.evaluate(sc, sim=sim, bounds=bounds)))
    plain = evaluation.track
    evaluation.track = lambda dets, **kw: truth_track(dets, sim.labels, **kw)
    try:
        print("truth association:", summary(evaluation.evaluate(sc, sim=sim, bounds=bounds)))
    finally:
        evaluation.track = plain


if __name__ == "__main__":
    from lookout.cli.common import run_script

    run_script(main)
