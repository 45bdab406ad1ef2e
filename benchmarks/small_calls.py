"""The chain's small calls, the library's way against this project's (issue 16, chain-speed2).

    .venv/bin/python benchmarks/small_calls.py [REPEAT]

Each pair in one process, alternating, on arrays of the sizes the chain passes (a few rows to a
few hundred), the best of REPEAT rounds of 2,000 calls: ``scipy.special.logsumexp`` against
``lookout.tracking.lse.logsumexp``, pyproj's ``Transformer.transform`` against the geodetic
conversion's direct PROJ call (``lookout.geodesy``), ``np.clip`` of integers against
``np.minimum(np.maximum(...))``, scipy's ``chi2.ppf`` against the tracker's gate worked out
once (``TrackerConfig.gate``). Checks that each pair gives the same bits and prints, as JSON, the
microseconds per call of each and their ratio.
"""

from __future__ import annotations

import json
import sys
import time

import numpy as np
from scipy.special import logsumexp as scipy_logsumexp
from scipy.stats import chi2

from lookout import geodesy
from lookout.tracking.config import TrackerConfig
from lookout.tracking.lse import logsumexp

N_CALLS = 2000


def best_us(f, repeat: int, calls: int = N_CALLS) -> float:
    """CPU µs of one call of ``f``: the best of ``repeat`` runs of ``calls`` calls."""
    best = np.inf
    for _ in range(repeat):
        t0 = time.process_time()
        for _ in range(calls):
            f()
        best = min(best, time.process_time() - t0)
    return best / calls * 1e6


def _pair(name, old, new, repeat, out):
    a, b = old(), new()
    for u, v in zip(
        a if isinstance(a, tuple) else (a,), b if isinstance(b, tuple) else (b,), strict=True
    ):
        if not np.array_equal(u, v, equal_nan=True):
            raise SystemExit(f"{name}: not the same figures")
    t_old = t_new = np.inf
    for _ in range(2):  # alternating
        t_old = min(t_old, best_us(old, repeat))
        t_new = min(t_new, best_us(new, repeat))
    out[name] = {"library_us": round(t_old, 2), "lookout_us": round(t_new, 2),
                 "ratio": round(t_old / t_new, 2)}  # fmt: skip


def main(repeat: int = 3) -> dict:
    rng = np.random.default_rng(16)
    out: dict = {}
    for shape in [(2, 1200), (12, 3)]:  # the formations' separation grid, the mode costs
        a = rng.normal(scale=20.0, size=shape)
        _pair(f"logsumexp {shape}", lambda a=a: scipy_logsumexp(a, axis=1),
              lambda a=a: logsumexp(a, axis=1), repeat, out)  # fmt: skip
    tr = geodesy._TO_GEODETIC
    for n in (3, 30, 300):  # a step of a few flights, the sigma points of two tracks, a batch
        pos = rng.normal(size=(n, 3)) * 2e6 + np.array([geodesy.R_EQUATOR, 0.0, 0.0])
        _pair(f"geodetic altitude ({n}, 3)",
              lambda p=pos: np.asarray(tr.transform(p[:, 0], p[:, 1], p[:, 2])[2], dtype=float),
              lambda p=pos: geodesy.geodetic_altitude(p), repeat, out)  # fmt: skip
    knots = np.linspace(0.0, 10.0, 12)
    i = np.searchsorted(knots, rng.uniform(0.0, 12.0, 30), side="right") - 1
    _pair("integer clip (30,)", lambda: np.clip(i, 0, knots.size - 2),
          lambda: np.minimum(np.maximum(i, 0), knots.size - 2), repeat, out)  # fmt: skip
    cfg = TrackerConfig()  # a radar scan's gate (``initiation.born_together``)
    _pair("chi-square gate (3 dof)", lambda: float(chi2.ppf(cfg.gate_probability, 3)),
          lambda: cfg.gate(3), repeat, out)  # fmt: skip
    return out


if __name__ == "__main__":
    print(json.dumps(main(int(sys.argv[1]) if len(sys.argv) > 1 else 3), indent=1))
