"""The drag coefficient a fresh track learns through a steep fall, over sensor seeds: lost-track's
ICBM-1 second stage (5.2 km/s, 100 g at 25-30 km) seen by its ship radar alone (kr-ship-east,
1 s revisit, its line of sight near right angles to the fall) from ``--from-s`` to the radar's
horizon (1816.8 s, 23.5 km); per seed the coast mode's ``kappa`` at the last detection against
the truth's ``Cd(M) A / m``, its error in the track's own sigmas (``z``), and over the seeds
their mean and spread (a consistent, unbiased estimator: mean 0, spread 1).

    PYTHONPATH=$PWD .venv/bin/python benchmarks/kappa_fall.py --seeds 0 36 [--set kappa_spread=True]

Each seed is one ``Tracker`` fed that object's detections alone (about 60), ~2-8 CPU s."""

from __future__ import annotations

import argparse
import dataclasses

import numpy as np

SHIP = {
    "type": "radar", "id": "kr-ship-east", "partner": "KR", "alt_m": 25,
    "track": [[0, 37.80, 130.20], [3600, 38.10, 131.20]], "span_deg": 360, "el_min_deg": 1,
    "el_max_deg": 85, "max_range_km": 1000, "revisit_s": 1, "sigma_range_m": 15,
    "sigma_az_mrad": 1.0, "sigma_el_mrad": 1.0, "sigma_rr_mps": 3.0, "snr_ref_db": 22,
}  # fmt: skip


def stage(object_id: str = "ICBM-1-stage2"):
    from lookout.scenario import load
    from lookout.simulate import fly_scenario, plan_launches

    sc = load("lost-track")
    (tr,) = [t for t in fly_scenario(sc, plan_launches(sc)) if t.object_id == object_id]
    return tr


def true_kappa(tr, t: float) -> float:
    from lookout.geodesy import ecef_to_geodetic
    from lookout.physics import atmosphere, dynamics

    x = tr.state_at(np.array([t]))[0]
    alt = ecef_to_geodetic(x[None, :3])[2][0]
    k = np.searchsorted(tr.t, t, side="right") - 1
    mach = np.linalg.norm(x[3:6]) / atmosphere.speed_of_sound(np.array([max(alt, 0.0)]))[0]
    cd = dynamics.drag_coefficient(mach, np.array([tr.drag_table[k]]))[0]
    return float(tr.area_per_mass[k] * cd)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seeds", nargs=2, type=int, default=[0, 12])
    ap.add_argument("--from-s", type=float, default=1760.0, help="first detection (300 km up)")
    ap.add_argument("--set", nargs="*", default=[], help="TrackerConfig fields, NAME=VALUE")
    ap.add_argument("--prior-kappa", type=float, default=None,
                    help="m²/kg: every mode's kappa mean set to it (its variance kept) at 1790 s, "
                         "130 km up, before the drag tells anything")  # fmt: skip
    a = ap.parse_args()
    from lookout.sensors import make_sensor, observe
    from lookout.tracking import Tracker
    from lookout.tracking.config import TrackerConfig
    from lookout.tracking.mixing import COAST
    from lookout.tracking.motion import KAPPA, KAPPA_UNIT

    kw = {k: eval(v) for k, v in (s.split("=", 1) for s in a.set)}  # noqa: S307
    cfg = dataclasses.replace(TrackerConfig(), **kw)
    tr = stage()
    sensor = make_sensor(SHIP)
    zs = []
    for seed in range(*a.seeds):
        dets, labels = observe(sensor, [tr], a.from_s, tr.t_end, np.random.default_rng(seed))
        dets = sorted((d for d, lab in zip(dets, labels, strict=True) if lab), key=lambda d: d.t_ns)
        tracker = Tracker(cfg)
        for d in dets:
            if a.prior_kappa is not None and 1790.0 <= d.t_ns * 1e-9 < 1791.0:
                tracker.tracks.xm[: tracker.tracks.n, :, KAPPA] = a.prior_kappa / KAPPA_UNIT
            tracker.process([d])
        tracks = tracker.tracks
        if tracks.n != 1:
            print(f"seed {seed:3d}: {tracks.n} tracks")
            continue
        t = dets[-1].t_ns * 1e-9
        ke = tracks.xm[0, COAST, KAPPA] * KAPPA_UNIT
        ks = np.sqrt(tracks.Pm[0, COAST, KAPPA, KAPPA]) * KAPPA_UNIT
        kt = true_kappa(tr, t)
        zs.append((ke - kt) / ks)
        print(f"seed {seed:3d} last {t:7.1f} s kappa {ke:.3e} +- {ks:.1e} truth {kt:.3e} "
              f"z {zs[-1]:+.2f} ({100 * (ke / kt - 1):+.1f} %)", flush=True)  # fmt: skip
    z = np.array(zs)
    se = z.std(ddof=1) / np.sqrt(z.size)
    print(f"{z.size} seeds: z mean {z.mean():+.2f} (its standard error {se:.2f}) "
          f"spread {z.std(ddof=1):.2f}")  # fmt: skip


if __name__ == "__main__":
    main()
