"""The launch point of coast states flown back (``launch_from_coast``), against the true site:
how often its 95 % ellipse holds the site, how big it is, how many states give none and how many
land farther than 50 km from the site (a phantom launch, ``lookout.scoring.claims``).

    nice -n 10 .venv/bin/python benchmarks/launch_point_coast.py irbm-overflight \
        tests/data/scenarios/*.yaml gen/*.yaml

Every launch of every scenario is flown (its planned launch, no sensors). Of each flight that
comes down (not an orbit), states after its last burnout (10, 30, 60, 120, 240, 480 and 900 s
after, while more than 60 s from the impact and above 20 km) are each drawn once at random
about the truth under two track covariances, a radar's well settled track (100 m, 5 m/s, 1
sigma per axis) and one just started (500 m, 30 m/s), and flown back. The draws are seeded:
the same scenarios, the same cases.
"""

from __future__ import annotations

import json
import sys

import numpy as np

AFTER_BURNOUT_S = (10.0, 30.0, 60.0, 120.0, 240.0, 480.0, 900.0)
TRACKS = {"settled": (100.0, 5.0), "new": (500.0, 30.0)}


def cases(names: list[str]):
    """(scenario, flight, time, state (6,), P (6, 6), site lat, lon) of every case."""
    from lookout.cli.common import load_scenario
    from lookout.flight.aim import AimError
    from lookout.flight.flights import fly
    from lookout.geodesy import ecef_to_geodetic
    from lookout.simulate import plan_launches

    rng = np.random.default_rng(13)
    out = []
    for name in names:
        sc = load_scenario(name)
        try:
            launches = plan_launches(sc)
        except AimError as e:  # a scenario whose aim no vehicle flies: said, and skipped
            print(json.dumps({"skipped": name, "why": str(e)}), flush=True)
            continue
        trs = fly(launches, debris=False)
        for la, tr in zip(launches, trs, strict=True):
            bo, imp = tr.final_burnout(), tr.event("impact")
            if bo is None or imp is None or tr.event("orbit_insertion") is not None:
                continue
            for dt in AFTER_BURNOUT_S:
                t = bo.t + dt
                if t > imp.t - 60.0:
                    break
                x = tr.state_at(t)
                if ecef_to_geodetic(x[:3])[2] < 20e3:
                    continue
                for kind, (sp, sv) in TRACKS.items():
                    P = np.diag([sp**2] * 3 + [sv**2] * 3)
                    xn = x + rng.multivariate_normal(np.zeros(6), P)
                    out.append(
                        (sc.name, la.object_id, kind, dt, t, xn, P, la.site_lat, la.site_lon)
                    )
    return out


def main(names: list[str]) -> None:
    import time

    from lookout.assess.impact import CHI2_2D_95, mahalanobis2
    from lookout.assess.launch_point import launch_from_coast
    from lookout.geodesy import geodesic_inverse

    cs = cases(names)
    t0 = time.perf_counter()
    est = launch_from_coast(np.array([c[4] for c in cs]), np.array([c[5] for c in cs]),
                            np.array([c[6] for c in cs]))  # fmt: skip
    wall = time.perf_counter() - t0
    site = np.array([[c[7], c[8]] for c in cs])
    ok = np.isfinite(est.lat)
    d2 = np.full(len(cs), np.nan)
    miss = np.full(len(cs), np.nan)
    semi = np.full(len(cs), np.nan)
    d2[ok] = mahalanobis2(est.lat[ok], est.lon[ok], est.cov_en[ok], site[ok, 0], site[ok, 1])
    miss[ok] = geodesic_inverse(est.lat[ok], est.lon[ok], site[ok, 0], site[ok, 1])[0] / 1e3
    semi[ok] = np.sqrt(CHI2_2D_95 * np.linalg.eigvalsh(est.cov_en[ok])[:, -1]) / 1e3

    def figures(sel) -> dict:
        s = sel & ok
        return {
            "cases": int(sel.sum()),
            "with_launch_point": int(s.sum()),
            "containment_95": round(float(np.mean(d2[s] <= CHI2_2D_95)), 3) if s.any() else None,
            "median_semi_major_km": round(float(np.median(semi[s])), 1) if s.any() else None,
            "median_miss_km": round(float(np.median(miss[s])), 1) if s.any() else None,
            "p95_miss_km": round(float(np.percentile(miss[s], 95)), 1) if s.any() else None,
            "phantoms_over_50_km": int((miss[s] > 50.0).sum()),
        }

    kinds = np.array([c[2] for c in cs])
    scen = np.array([c[0] for c in cs])
    rows = {"all": figures(np.ones(len(cs), dtype=bool))}
    for k in TRACKS:
        rows[k] = figures(kinds == k)
    for dt in AFTER_BURNOUT_S:
        rows[f"{dt:g}s"] = figures(np.array([c[3] == dt for c in cs]))
    for name in dict.fromkeys(scen.tolist()):
        rows[name] = figures(scen == name)
    print(json.dumps({"wall_s": round(wall, 2), "per_case_ms": round(1e3 * wall / len(cs), 2)}))
    for k, v in rows.items():
        print(json.dumps({"group": k} | v))


if __name__ == "__main__":
    from lookout.cli.common import run_script

    run_script(main, sys.argv[1:])
