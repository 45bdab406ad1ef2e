"""The assessment's integrator alone: ``predict_impacts`` on mass-raid's objects in flight.

    .venv/bin/python benchmarks/predict_impacts.py [REPEAT]

Simulates mass-raid, takes the truth state of every object in flight at 300, 450, 600 and 750 s
(boosters, reentry vehicles, spent stages, some just off the pad) with a seeded covariance
(150 m, 5 m/s per axis, correlated), and flies each instant's sigma points as the assessor does
(one ``predict_impacts`` call per instant). Prints, as JSON, the CPU-seconds per instant (best
of REPEAT) and a SHA-256 of everything the assessor uses (impact point, time, ellipse,
completeness; the nominal trajectory where there is an impact): two commits that predict alike
print the same ``digest``; compare it with ``PYTHONPATH`` set to an exported tree of the other.
"""

from __future__ import annotations

import hashlib
import json
import sys
import time

import numpy as np

import lookout
from lookout.assess.impact import predict_impacts
from lookout.scenario import load
from lookout.simulate import simulate

INSTANTS_S = (300.0, 450.0, 600.0, 750.0)


def states(sim, t: float, rng) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    x = np.array([tr.state_at(t) for tr in sim.trajectories if tr.t[0] < t < tr.t[-1] - 5.0])
    a = rng.normal(size=(len(x), 6, 6)) * np.array([150.0] * 3 + [5.0] * 3)[:, None]
    return np.full(len(x), t), x, a @ np.swapaxes(a, 1, 2) + np.eye(6)


def main(repeat: int = 1) -> dict:
    sim = simulate(load("mass-raid"))
    rng = np.random.default_rng(1)
    digest = hashlib.sha256()
    out: dict = {"lookout": lookout.__file__, "cpu_s": {}, "tracks": {}}
    for t_s in INSTANTS_S:
        t, x, P = states(sim, t_s, rng)
        best = np.inf
        for _ in range(repeat):
            c0 = time.process_time()
            imp = predict_impacts(t, x, P)
            best = min(best, time.process_time() - c0)
        out["cpu_s"][str(t_s)] = round(best, 3)
        out["tracks"][str(t_s)] = len(t)
        for a in (imp.lat, imp.lon, imp.t, imp.t_sigma, imp.cov_en, imp.complete):
            digest.update(np.asarray(a).tobytes())
        for tr, landed in zip(imp.nominal, np.isfinite(imp.lat), strict=True):
            if landed:
                digest.update(tr.t.tobytes() + tr.pos.tobytes() + tr.vel.tobytes())
                for e in tr.events:
                    digest.update(repr((e.name, e.t, e.pos.tobytes(), e.vel.tobytes())).encode())
    out["cpu_s_total"] = round(sum(out["cpu_s"].values()), 3)
    out["digest"] = digest.hexdigest()
    return out


if __name__ == "__main__":
    print(json.dumps(main(int(sys.argv[1]) if len(sys.argv) > 1 else 1), indent=1))
