"""What makes a coasting track's covariance grow between its updates: the coast mode's parts.

    .venv/bin/python benchmarks/coast_noise_parts.py FILE [TRACK_ID ...] [--every N]

Runs the tracker on the numpy path (``LOOKOUT_NUMPY_STEP=1``, the compiled kernels' reference)
on a scenario and, for every prediction of a track's coast mode, prints the trace of its
velocity covariance (m²/s²) before the prediction (``P0``, after the IMM's mixing) and what the
prediction adds to it: the transition's growth ``F P0 F' - P0`` and the part of it that the
drag coefficient's uncertainty makes (``F P0 F'`` less the same with ``kappa``'s row and column
zeroed), the white acceleration ``Q`` of ``motion.process_noise`` (coast floor, the drag's
linearisation across the velocity, ``kappa``'s walk) and ``Q`` along the velocity
(``motion.along_noise``: the drag's linearisation, the drag tables' knots); with the altitude,
``kappa`` (KAPPA_UNIT) and its sigma, and the mode probabilities (boost, coast, manoeuvre).
Also whether the mixing widened the coast mode (``mix`` = trace of ``P0`` less the coast
mode's own posterior). Gravity's second order (``motion.gravity_second_order_q``) is left out:
it is nothing unless a track has gone unseen for minutes.
"""

from __future__ import annotations

import os
import sys

os.environ["LOOKOUT_NUMPY_STEP"] = "1"

import numpy as np  # noqa: E402

import lookout.tracking.tracker as tracker_module  # noqa: E402
from lookout.errors import LookoutError  # noqa: E402
from lookout.scenario import load  # noqa: E402
from lookout.simulate import simulate  # noqa: E402
from lookout.tracking import track  # noqa: E402
from lookout.tracking.coverage import declared_coverage  # noqa: E402
from lookout.tracking.mixing import COAST, NMODE  # noqa: E402
from lookout.tracking.motion import KAPPA, altitude_approx  # noqa: E402

_SEEN: dict[str, tuple] = {}
_WRAPPED = ("cd_shape", "propagate", "process_noise", "along_noise")


def _first_call(name: str) -> None:
    """Keep the arguments and result of the first call of ``name`` in each prediction (the
    staging hypothesis calls some again)."""
    f = getattr(tracker_module, name)

    def g(*args, **kwargs):
        out = f(*args, **kwargs)
        _SEEN.setdefault(name, (args, out))
        return out

    setattr(tracker_module, name, g)


def _vel(P: np.ndarray) -> float:
    return float(np.trace(P[3:6, 3:6]))


def _count(name: str, text: str) -> int:
    """``text`` as a positive whole number, or a user error naming the argument."""
    if not text.isdigit() or int(text) < 1:
        raise LookoutError(f"{name} must be a positive whole number, not {text!r}")
    return int(text)


def main(argv: list[str]) -> None:
    every = 1
    if "--every" in argv:
        k = argv.index("--every")
        every = _count("--every", argv[k + 1] if k + 1 < len(argv) else "")
        argv = argv[:k] + argv[k + 2 :]
    if not argv:
        raise LookoutError("usage: coast_noise_parts.py FILE [TRACK_ID ...] [--every N]")
    path, wanted = argv[0], {_count("TRACK_ID", a) for a in argv[1:]}
    for name in _WRAPPED:
        _first_call(name)
    rows: list[str] = []
    original = tracker_module.Tracker._predict

    def predict(self, sel, t, *args, **kwargs):
        _SEEN.clear()
        before = self.tracks.Pm[sel, COAST].copy()
        out = original(self, sel, t, *args, **kwargs)
        if any(name not in _SEEN for name in _WRAPPED):
            return out
        (x0, P0, follow), _ = _SEEN["cd_shape"]
        _, (_, F) = _SEEN["propagate"]
        (dt, *_), Qw = _SEEN["process_noise"]
        _, Qa = _SEEN["along_noise"]
        along = np.zeros(follow.size, dtype=int)
        along[follow] = np.arange(int(follow.sum()))
        for i, tid in enumerate(self.tracks.ids[sel].tolist()):
            r = i * NMODE + COAST
            if (wanted and tid not in wanted) or dt[r] <= 0.0:
                continue
            P, Fr = P0[r], F[r]
            Pk = P.copy()
            Pk[KAPPA, :] = Pk[:, KAPPA] = 0.0
            grow = _vel(Fr @ P @ Fr.T) - _vel(P)
            by_kappa = _vel(Fr @ P @ Fr.T) - _vel(Fr @ Pk @ Fr.T)
            c = out[2][i]
            alt_km = altitude_approx(x0[r : r + 1, :3])[0] / 1e3
            mixed = _vel(P) - _vel(before[i])
            rows.append(
                f"{t:8.1f} {tid:6d} dt {dt[r]:5.2f} alt {alt_km:6.1f} km"
                f" kappa {x0[r, KAPPA]:6.2f}±{np.sqrt(P[KAPPA, KAPPA]):6.2f}"
                f" mu {c[0]:.3f}/{c[1]:.3f}/{c[2]:.3f} | vel P0 {_vel(P):9.3g}"
                f" mix {mixed:9.2g} F-growth {grow:9.3g} (kappa {by_kappa:9.3g})"
                f" Q {_vel(Qw[r]):9.3g} Q-along {_vel(Qa[along[r]]) if follow[r] else 0.0:9.3g}"
            )
        return out

    tracker_module.Tracker._predict = predict
    scenario = load(path)
    sim = simulate(scenario)
    track(
        sim.detections,
        report_period_s=1.0,
        t_end=scenario.duration_s,
        coverage=declared_coverage(scenario),
    )
    for line in rows[::every]:
        print(line)


if __name__ == "__main__":
    from lookout.cli.common import run_script

    run_script(main, sys.argv[1:])
