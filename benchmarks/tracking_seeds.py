"""Coast-phase RMSE/PCRLB and NEES of the tracker on other seeds of a shipped scenario.

    .venv/bin/python benchmarks/tracking_seeds.py irbm-overflight 1 2 3 4 5 6
    .venv/bin/python benchmarks/tracking_seeds.py lofted-icbm 1 2 3

The scenario's sensor noise, false alarms and detection draws change with its seed; the flights
do not. Per seed: coast RMSE/PCRLB, the fraction of coast instants whose NEES is inside its 95%
bounds, and the mean NEES (6 for a consistent filter); then the ratio pooled over all seeds.
"""

from __future__ import annotations

import dataclasses
import sys

import numpy as np

from lookout.scenario import load
from lookout.scoring import score
from lookout.scoring.evaluation import truth_bounds
from lookout.simulate import simulate
from lookout.tracking import track

COAST = 1


def main(argv: list[str]) -> None:
    name, seeds = argv[0], [int(s) for s in argv[1:]]
    err2 = bound2 = 0.0
    for seed in seeds:
        sim = simulate(dataclasses.replace(load(name), seed=seed))
        out = track(sim.detections, t_end=sim.scenario.duration_s)
        s = score(
            out,
            sim.trajectories,
            sim.labels,
            detections=sim.detections,
            pcrlb_results=truth_bounds(sim),
            report_period_s=1.0,
        )
        m = s.matches
        coast = (m.phase == COAST) & np.isfinite(m.pcrlb_pos_m)
        err2 += float((m.pos_err[coast] ** 2).sum())
        bound2 += float((m.pcrlb_pos_m[coast] ** 2).sum())
        print(
            f"{name} seed {seed}: coast RMSE/PCRLB {s.rmse_over_pcrlb_pos['coast']:.2f}, "
            f"NEES in bounds {s.nees_in_bounds_fraction:.2f}, "
            f"mean NEES {float(np.mean(m.nees[m.phase == COAST])):.1f}",
            flush=True,
        )
    print(f"{name} seeds {' '.join(map(str, seeds))}: pooled coast RMSE/PCRLB "
          f"{np.sqrt(err2 / bound2):.2f}")  # fmt: skip


if __name__ == "__main__":
    main(sys.argv[1:])
