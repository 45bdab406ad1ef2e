"""Where a scenario's reentry NEES falls out of its bounds: per truth object, per altitude band,
seen or unseen, the matched reentry samples' NEES, and per report instant whether the instant's
mean NEES (what ``nees_in_bounds_by_phase['reentry']`` counts, ``lookout.scoring``) is below,
inside or above its 95 % bounds, charged to each object in it; and per band the mean
probability of the tracks' manoeuvre mode (at their last update or rebase), whose lift spread
fills the reported covariance (srbm-salvo on branch reentry-nees: its reentry vehicles 0.2-0.36
at 60-100 km, the onset at apogee).

    nice -n 10 .venv/bin/python benchmarks/reentry_nees.py irbm-overflight
    nice -n 10 .venv/bin/python benchmarks/reentry_nees.py /tmp/gen2/gen-2-05-mrbm.yaml --json

A sample is *unseen* when its track's last detection is ``--unseen-s`` (3 s) or more before the
instant; the reentry phase is the truth's (descending, unpowered, below 100 km). No PCRLB and
no assessment: the central tracker's reports scored alone (a few CPU seconds to a minute).
"""

from __future__ import annotations

import argparse
import json
import math
from collections import defaultdict

import numpy as np

from lookout.geodesy import ecef_to_geodetic
from lookout.physics.trajectory import KINDS, REENTRY
from lookout.scenario import load
from lookout.scoring import score
from lookout.scoring.functions import nees_verdicts
from lookout.simulate import simulate
from lookout.tracking import Tracker, TrackLog
from lookout.tracking.coverage import declared_coverage
from lookout.tracking.log import TrackerOutput
from lookout.tracking.mixing import MANOEUVRE
from lookout.tracking.scans import prepare

BANDS_KM = (0, 10, 20, 40, 60, 80, 100)

#: ``nees_verdicts``' -1, 0, 1 as words.
VERDICTS = np.array(["low", "in", "high"], dtype=object)


def last_update(updates, track_ids: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Time (s) of the last detection of each ``track_ids[i]`` at or before ``t[i]`` (NaN:
    none), from a tracker's update log."""
    out = np.full(t.size, np.nan)
    ut, uid = np.asarray(updates.t, float), np.asarray(updates.track_id, np.int64)
    for tid in np.unique(track_ids):
        mine = np.sort(ut[uid == tid])
        rows = np.flatnonzero(track_ids == tid)
        k = np.searchsorted(mine, t[rows] + 1e-9, side="right") - 1
        out[rows] = np.where(k >= 0, mine[np.maximum(k, 0)], np.nan)
    return out


def tracked(detections, t_end: float, coverage) -> tuple[TrackerOutput, dict]:
    """``lookout.tracking.track`` (its loop, 1 s reports), and each reported track's mode
    probabilities (boost, coast, manoeuvre) at each report, by ``(t, track_id)``."""
    tracker = Tracker(coverage=coverage)
    scans, tracker.n_rejected = prepare(detections)
    tracker._n_seen = len(detections)
    reports, mu = [], {}

    def report(t: float) -> None:
        rep = tracker.report(t)
        tr = tracker.tracks
        rows = np.searchsorted(tr.ids[: tr.n], rep.track_id)
        for tid, m in zip(rep.track_id.tolist(), tr.mu[rows], strict=True):
            mu[round(t, 6), tid] = m.copy()
        reports.append(rep)

    if scans:
        instants = np.arange(math.floor(scans[0].t), math.floor(t_end + 1e-9) + 1.0).tolist()
        r = 0
        for scan in scans:
            while r < len(instants) and instants[r] < scan.t:
                report(instants[r])
                r += 1
            tracker.process_scan(scan)
        for t in instants[r:]:
            report(t)
    out = TrackerOutput(
        updates=tracker.updates(),
        reports=TrackLog.concatenate(reports),
        n_detections=len(detections),
        wall_s=0.0,
        parents=dict(tracker.parent_of),
    )
    return out, mu


def reentry_nees(name: str, unseen_s: float = 3.0) -> dict:
    """The breakdown of ``name``'s (a shipped scenario or a file) reentry NEES (module doc)."""
    sc = load(name)
    sim = simulate(sc)
    out, mu = tracked(sim.detections, sc.duration_s, declared_coverage(sc))
    s = score(out, sim.trajectories, sim.labels, detections=sim.detections, report_period_s=1.0)
    m, a = s.matches, s.association
    sel = np.flatnonzero(m.phase == REENTRY)
    truth_x = a.truth_x[m.instant[sel], m.truth[sel]]
    alt = ecef_to_geodetic(truth_x[:, :3])[2]
    seen_t = last_update(out.updates, m.track_id[sel], m.t[sel])
    unseen = ~(m.t[sel] - seen_t < unseen_s)
    kind = [
        KINDS[int(a.truths.trajectories[j].kind_at(np.array([t]))[0])]
        for j, t in zip(m.truth[sel], m.t[sel], strict=True)
    ]
    ids = [a.truths.ids[j] for j in m.truth[sel]]
    nees = m.nees[sel]
    # Each sample's manoeuvre mode probability (its track's mode probabilities at the report).
    man = np.array(
        [mu.get((round(float(t), 6), int(k)), np.zeros(3))[MANOEUVRE]
         for t, k in zip(m.t[sel], m.track_id[sel], strict=True)]
    )  # fmt: skip
    # Each instant's mean over its objects against the bounds, charged to each object.
    verdict = VERDICTS[nees_verdicts(m.instant[sel], nees) + 1]
    per_object: dict[str, dict] = {}
    for obj in sorted(set(ids)):
        rows = np.flatnonzero(np.array(ids) == obj)
        bands = []
        for b0, b1 in zip(BANDS_KM[:-1], BANDS_KM[1:], strict=True):
            r = rows[(alt[rows] >= b0 * 1e3) & (alt[rows] < b1 * 1e3)]
            if r.size:
                bands.append(
                    {
                        "km": [b0, b1],
                        "samples": int(r.size),
                        "unseen": float(unseen[r].mean()),
                        "nees_median": float(np.median(nees[r])),
                        "manoeuvre_mean": float(np.mean(man[r])),
                        "pos_err_median_m": float(
                            np.median(np.linalg.norm(m.pos_err[sel][r], axis=1))
                        ),
                    }
                )
        charge = defaultdict(lambda: {"low": 0, "in": 0, "high": 0})
        for r in rows:
            charge["unseen" if unseen[r] else "seen"][verdict[r]] += 1
        per_object[obj] = {"kind": kind[rows[0]], "bands": bands, "instants": dict(charge)}
    inst = {v: int(sum(1 for k in np.unique(m.instant[sel])
                       if verdict[np.flatnonzero(m.instant[sel] == k)[0]] == v))
            for v in ("low", "in", "high")}  # fmt: skip
    return {
        "scenario": name,
        "nees_in_bounds_by_phase": s.nees_in_bounds_by_phase,
        "nees_mean": s.nees_mean,
        "reentry_instants": inst,
        "objects": per_object,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("scenarios", nargs="+")
    ap.add_argument("--unseen-s", type=float, default=3.0)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    for name in args.scenarios:
        r = reentry_nees(name, args.unseen_s)
        if args.json:
            print(json.dumps(r))
            continue
        print(f"{name}: reentry in bounds {r['nees_in_bounds_by_phase']['reentry']}, "
              f"mean {r['nees_mean']['reentry']}, instants {r['reentry_instants']}")  # fmt: skip
        for obj, o in r["objects"].items():
            print(f"  {obj} ({o['kind']}): instants {o['instants']}")
            for b in o["bands"]:
                print(f"    {b['km'][0]:3d}-{b['km'][1]:3d} km  n {b['samples']:3d}  unseen "
                      f"{b['unseen']:.2f}  NEES median {b['nees_median']:7.2f}  manoeuvre "
                      f"{b['manoeuvre_mean']:.3f}  position error "
                      f"{b['pos_err_median_m']:8.1f} m")  # fmt: skip


if __name__ == "__main__":
    main()
