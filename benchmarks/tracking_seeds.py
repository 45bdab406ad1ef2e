"""Coast-phase RMSE/PCRLB and NEES of the tracker on other seeds of a shipped scenario.

    .venv/bin/python benchmarks/tracking_seeds.py irbm-overflight 1 2 3 4 5 6
    .venv/bin/python benchmarks/tracking_seeds.py lofted-icbm own 1 2 3 4 5 6

The scenario's sensor noise, false alarms and detection draws change with its seed; the flights
do not (``own``: the scenario's own seed, as ``lookout track`` runs it). Per seed: coast
RMSE/PCRLB, the fraction of coast instants whose NEES is inside its 95% bounds, and the mean
NEES (6 for a consistent filter), then per object (its track's coast RMSE/PCRLB and mean NEES);
then the ratio pooled over all seeds, overall and per object. An object unseen for long (a
lofted missile's hour around its apogee) carries one draw of its velocity error through the
whole gap: one seed's figure is one sample of it, the pooled figure its mean.
"""

from __future__ import annotations

import sys

import numpy as np

from lookout.scenario import load
from lookout.scoring.evaluation import on_sensor_seed, track_scored
from lookout.simulate import simulate

COAST = 1


def main(argv: list[str]) -> None:
    name, seeds = argv[0], argv[1:]
    err2 = bound2 = 0.0
    per: dict[str, list[float]] = {}  # object -> [err², bound², NEES sum, samples]
    for seed in seeds:
        scenario = on_sensor_seed(load(name), seed)
        _, s = track_scored(scenario, simulate(scenario))
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
        for k in np.unique(m.truth[coast]).tolist():
            c = coast & (m.truth == k)
            e2, b2 = float((m.pos_err[c] ** 2).sum()), float((m.pcrlb_pos_m[c] ** 2).sum())
            acc = per.setdefault(s.truth_ids[k], [0.0, 0.0, 0.0, 0])
            acc[0] += e2
            acc[1] += b2
            acc[2] += float(m.nees[c].sum())
            acc[3] += int(c.sum())
            print(f"    {s.truth_ids[k]}: coast RMSE/PCRLB {np.sqrt(e2 / b2):.2f}, "
                  f"mean NEES {float(m.nees[c].mean()):.1f}", flush=True)  # fmt: skip
    print(f"{name} seeds {' '.join(map(str, seeds))}: pooled coast RMSE/PCRLB "
          f"{np.sqrt(err2 / bound2):.2f}")  # fmt: skip
    for obj, (e2, b2, nees, n) in per.items():
        print(f"    {obj}: pooled coast RMSE/PCRLB {np.sqrt(e2 / b2):.2f}, "
              f"mean NEES {nees / n:.1f}")  # fmt: skip


if __name__ == "__main__":
    from lookout.cli.common import run_script

    run_script(main, sys.argv[1:])
