"""Whether a coast track's launch point flown back (``launch_from_coast``) is off by its state's
error or by the flight back: per report instant of one track, its state's NEES against the truth
it follows and the launch point flown back from its state and from the truth's under the same
covariance; then, at one instant, states drawn about the truth from that covariance and flown
back, how often the true site lies outside their 95 % ellipses (5 % for an honest one) and how
many land farther than 50 km from it (a phantom launch, ``lookout.scoring.claims``).

    nice -n 10 .venv/bin/python benchmarks/launch_draws.py SCENARIO.yaml OUTDIR TRACK OBJECT \
        [T_S] [--draws N] [--instants K]

``OUTDIR`` is ``lookout track SCENARIO --out OUTDIR``'s (its ``tracks.jsonl``); ``OBJECT`` the
truth object the track follows (``scores.json``'s ``per_truth``), e.g. ``SRBM-3-stage1``; ``T_S``
the instant to draw at (default: the track's first with a launch point flown back). The draws
are seeded.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from lookout.assess.launch_point import launch_from_coast
from lookout.errors import LookoutError
from lookout.geodesy import geodesic_inverse
from lookout.scenario import load
from lookout.simulate import simulate

CHI2_95 = 5.991
PHANTOM_KM = 50.0


def site_offsets(est, site) -> tuple[np.ndarray, np.ndarray]:
    """The true site's (east, north) offset (N, 2) m from each launch point of ``est`` and its
    squared Mahalanobis distance under the point's covariance (N,)."""
    lat0 = np.full(est.lat.shape, site[0])
    lon0 = np.full(est.lon.shape, site[1])
    dist, az = geodesic_inverse(est.lat, est.lon, lat0, lon0)
    off = np.stack([dist * np.sin(az), dist * np.cos(az)], axis=-1)
    cov = np.where(np.isfinite(est.cov_en), est.cov_en, np.eye(2))
    m2 = np.einsum("ni,nij,nj->n", off, np.linalg.inv(cov), off)
    return off, np.where(np.isfinite(est.lat), m2, np.nan)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("scenario")
    ap.add_argument("outdir")
    ap.add_argument("track")
    ap.add_argument("object")
    ap.add_argument("t_s", nargs="?", type=float)
    ap.add_argument("--draws", type=int, default=2000)
    ap.add_argument("--instants", type=int, default=12)
    a = ap.parse_args()
    scenario = load(a.scenario)
    specs = [e for e in scenario.launches if a.object.startswith(e.id)]
    tracks = Path(a.outdir) / "tracks.jsonl"
    if not specs:
        raise LookoutError(f"{a.object}: no launch of {a.scenario} has this object")
    if not tracks.is_file():
        raise LookoutError(f"{tracks}: no such file (lookout track SCENARIO --out {a.outdir})")
    spec = max(specs, key=lambda e: len(e.id))
    sim = simulate(scenario)
    truth = next((tr for tr in sim.trajectories if tr.object_id == a.object), None)
    if truth is None:
        raise LookoutError(f"{a.object}: no such object in {a.scenario}'s flights")
    site = np.radians([spec.site_lat_deg, spec.site_lon_deg])
    rows = [json.loads(s) for s in tracks.read_text().splitlines()]
    rows = [r for r in rows if str(r["track_id"]) == a.track]
    if not rows:
        raise LookoutError(f"track {a.track}: not in {tracks}")
    t = np.array([r["t_s"] for r in rows])
    x = np.array([r["x_ecef"] for r in rows])
    P = np.array([r["P"] for r in rows])
    xt = truth.state_at(t)
    e = x - xt
    nees = np.einsum("ni,nij,nj->n", e, np.linalg.inv(P), e)
    own = launch_from_coast(t, x, P)
    true = launch_from_coast(t, xt, P)
    off_o, m2_o = site_offsets(own, site)
    off_t, m2_t = site_offsets(true, site)
    print(
        f"{a.object} launched {spec.time_s:.1f} s; track {a.track}: per instant, NEES (6 dof), "
        "then its state and the truth's flown back (km from the site, chi2, launch time off)"
    )
    given = np.flatnonzero(np.isfinite(own.lat))
    for i in range(min(a.instants, len(t))):
        parts = []
        for name, est, off, m2 in (("own", own, off_o, m2_o), ("truth", true, off_t, m2_t)):
            parts.append(
                f"{name} {np.hypot(*off[i]) / 1e3:6.1f} km chi2 {m2[i]:5.1f} "
                f"dt {est.t[i] - spec.time_s:+6.1f} +- {est.t_sigma[i]:4.1f} s"
            )
        print(
            f"  t {t[i]:6.1f}  NEES {nees[i]:7.1f}  pos {np.linalg.norm(e[i, :3]):6.0f} m  "
            f"vel {np.linalg.norm(e[i, 3:]):5.0f} m/s | " + " | ".join(parts)
        )
    if a.t_s is None and not given.size:
        return
    k = given[0] if a.t_s is None else int(np.argmin(np.abs(t - a.t_s)))
    rng = np.random.default_rng(1)
    xs = rng.multivariate_normal(xt[k], P[k], size=a.draws)
    est = launch_from_coast(np.full(a.draws, t[k]), xs, np.repeat(P[k][None], a.draws, 0))
    off, m2 = site_offsets(est, site)
    ok = np.isfinite(m2)
    km = np.hypot(off[ok, 0], off[ok, 1]) / 1e3
    print(
        f"draws at {t[k]:.1f} s ({a.draws}, the track's covariance about the truth): launch point "
        f"given {ok.mean():.3f}; of those outside the 95 % ellipse {np.mean(m2[ok] > CHI2_95):.3f}"
        f" (0.05 honest), beyond chi2 {m2_o[k]:.1f} (this track's) "
        f"{np.mean(m2[ok] > m2_o[k]):.4f}, mean chi2 {m2[ok].mean():.2f} (2), farther than "
        f"{PHANTOM_KM:.0f} km {np.mean(km > PHANTOM_KM):.4f}, median miss {np.median(km):.1f} km"
    )


if __name__ == "__main__":
    from lookout.cli.common import run_script

    run_script(main)
