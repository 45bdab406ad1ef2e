"""What a textbook coast EKF makes of one truth object's own detections: the yardstick for a
tracker's coast NEES on one flight.

    nice -n 10 .venv/bin/python benchmarks/coast_oracle.py \
        tests/data/scenarios/sea-far-offshore.yaml SEA-1-stage1 205 800 own 11 12 13

The filter has no association, IMM or formation: it takes the detections labelled with the
object (radars only) between ``T0`` and ``T1`` s, starts from the truth plus a draw of its prior
(100 m, 1 m/s per axis), and predicts with the tracker's coast model and floor
(``motion.propagate``, ``TrackerConfig.coast_accel_sigma_mps2``). Its covariance is then the
error's own, as far as the models hold; its NEES (6 dof) against the scores' truth
(``Trajectory.flown_state_at``) is one draw of the sensors' noise, correlated over hundreds of
seconds (a track's estimate rests on all its past detections), so one flight is a few samples.
Per sensor seed (``own``: the scenario's; the flights do not change with it): the NEES per
``--bin-s`` of time, its mean from ``T0 + 100`` s, and each sensor's normalised innovation
squared per component (1 if its stated noise is its noise).

``--tracker``: also run the central tracker (``lookout.tracking.track``) on the same seed's
detections and print its NEES on the object over the same late window (each report instant,
5 s apart, the confirmed track nearest the truth in NEES): on the same detections the tracker
and the textbook filter should draw alike; where both are high the sensors' draw is.
"""

from __future__ import annotations

import argparse

import numpy as np

from lookout.geodesy import ecef_to_geodetic, enu_basis
from lookout.scenario import load
from lookout.scoring.evaluation import on_sensor_seed
from lookout.simulate import simulate
from lookout.timebase import ns_to_s
from lookout.tracking import measure
from lookout.tracking.config import TrackerConfig
from lookout.tracking.motion import NX, process_noise, propagate

PRIOR_POS_SIGMA_M = 100.0
PRIOR_VEL_SIGMA_MPS = 1.0


def oracle(sim, truth: str, t0: float, t1: float, draw: int = 0) -> dict:
    """Run the filter (module doc) on ``sim``'s detections of ``truth``; per detection its time,
    NEES and NIS per component, and the sensor."""
    traj = {t.object_id: t for t in sim.trajectories}
    if truth not in traj:
        raise SystemExit(f"truth = {truth!r}: expected one of {sorted(traj)}")
    tr = traj[truth]
    cfg = TrackerConfig()
    dets = sorted(
        ((ns_to_s(d.t_ns), d) for d, lab in zip(sim.detections, sim.labels, strict=True)
         if lab == truth and d.kind == "radar" and t0 <= ns_to_s(d.t_ns) <= t1),
        key=lambda a: (a[0], a[1].sensor_id),
    )  # fmt: skip
    rng = np.random.default_rng(draw)
    x = np.zeros(NX)
    x[:6] = tr.flown_state_at(np.array([t0]))[0]
    P = np.zeros((NX, NX))
    P[:3, :3] = np.eye(3) * PRIOR_POS_SIGMA_M**2
    P[3:6, 3:6] = np.eye(3) * PRIOR_VEL_SIGMA_MPS**2
    x[:6] += rng.multivariate_normal(np.zeros(6), P[:6, :6])
    q = np.array([cfg.coast_accel_sigma_mps2**2 * cfg.accel_noise_tau_s])
    t, last = t0, {}
    out = {"t": [], "nees": [], "nis": [], "sensor": []}
    for td, d in dets:
        if td > t:
            xp, F = propagate(x[None], np.array([td - t]), cfg.max_step_s)
            x, P = xp[0], F[0] @ P @ F[0].T + process_noise(np.array([td - t]), q, 0.0)[0]
            t = td
        s = np.asarray(d.sensor_pos_ecef_m, dtype=float)
        prev = last.get(d.sensor_id)
        s_vel = (s - prev[1]) / (td - prev[0]) if prev is not None and td > prev[0] else 0.0 * s
        last[d.sensor_id] = (td, s)
        lat, lon, _ = ecef_to_geodetic(s)
        R = np.asarray(d.R, dtype=float)
        zh, H = measure.radar(x[None, :3], x[None, 3:6], s, s_vel, enu_basis(lat, lon), R.shape[0])
        nu = measure.wrap((np.asarray(d.z) - zh[0])[None], "radar")[0]
        S = H[0] @ P[:6, :6] @ H[0].T + R
        K = P[:, :6] @ H[0].T @ np.linalg.inv(S)
        x, P = x + K @ nu, P - K @ S @ K.T
        e = x[:6] - tr.flown_state_at(np.array([td]))[0]
        out["t"].append(td)
        out["nees"].append(float(e @ np.linalg.solve(P[:6, :6], e)))
        out["nis"].append(float(nu @ np.linalg.solve(S, nu)) / R.shape[0])
        out["sensor"].append(d.sensor_id)
        out.setdefault("pos_err", []).append(float(np.linalg.norm(e[:3])))
        out.setdefault("pos_sigma", []).append(float(np.sqrt(np.trace(P[:3, :3]))))
    return {k: np.asarray(v) for k, v in out.items()}


def radar_bound(sim, truth: str, t0: float, t1: float, times: np.ndarray) -> float:
    """The RMS over ``times`` of the PCRLB (m) of ``truth`` given the filter's detections (its
    radars' between ``t0`` and ``t1``)."""
    from lookout.tracking.pcrlb import pcrlb

    tr = {t.object_id: t for t in sim.trajectories}[truth]
    dets = [d for d, lab in zip(sim.detections, sim.labels, strict=True)
            if lab == truth and d.kind == "radar" and t0 <= ns_to_s(d.t_ns) <= t1]  # fmt: skip
    b = pcrlb(tr, dets, times=times).pos_m
    return float(np.sqrt(np.nanmean(b**2)))


def tracker_nees(sim, truth: str, t0: float, t1: float) -> float | None:
    """Mean NEES (6 dof) on ``truth`` between ``t0`` and ``t1`` of the central tracker's
    confirmed track nearest it at each report instant 5 s apart; None if none is reported."""
    from lookout.tracking import track
    from lookout.tracking.coverage import declared_coverage

    tr = {t.object_id: t for t in sim.trajectories}[truth]
    out = track(
        sim.detections,
        report_period_s=1.0,
        t_end=sim.scenario.duration_s,
        coverage=declared_coverage(sim.scenario),
    )
    rep, vals = out.reports, []
    for t in np.arange(t0, t1, 5.0):
        rows = np.flatnonzero((np.abs(rep.t - t) < 1e-3) & rep.confirmed)
        if rows.size:
            e = rep.x[rows] - tr.flown_state_at(np.array([t]))[0]
            vals.append(
                min(float(e[i] @ np.linalg.solve(rep.P[k], e[i])) for i, k in enumerate(rows))
            )
    return float(np.mean(vals)) if vals else None


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("scenario")
    ap.add_argument("truth")
    ap.add_argument("t0", type=float)
    ap.add_argument("t1", type=float)
    ap.add_argument("seeds", nargs="*", default=["own"])
    ap.add_argument("--bin-s", type=float, default=40.0)
    ap.add_argument("--tracker", action="store_true", help="also the central tracker's NEES")
    ap.add_argument("--bound", action="store_true", help="also the PCRLB against the filter")
    a = ap.parse_args()
    base = load(a.scenario)
    for seed in a.seeds:
        sc = on_sensor_seed(base, seed)
        sim = simulate(sc)
        r = oracle(sim, a.truth, a.t0, a.t1)
        late = r["t"] > a.t0 + 100.0
        b = np.floor(r["t"] / a.bin_s) * a.bin_s
        bins = " ".join(f"{k:.0f}:{r['nees'][b == k].mean():.1f}" for k in np.unique(b))
        mean = r["nees"][late].mean()
        print(f"seed {seed}: NEES mean {mean:.2f} (t > {a.t0 + 100:.0f} s); {bins}")
        if a.tracker:
            tn = tracker_nees(sim, a.truth, a.t0 + 100.0, a.t1)
            print(f"  tracker NEES mean {'-' if tn is None else format(tn, '.2f')} (same window)")
        nis = ", ".join(
            f"{s} {r['nis'][r['sensor'] == s].mean():.2f}" for s in np.unique(r["sensor"])
        )
        print(f"  NIS per component: {nis}")
        if a.bound:
            rms = float(np.sqrt(np.mean(r["pos_err"][late] ** 2)))
            sig = float(np.sqrt(np.mean(r["pos_sigma"][late] ** 2)))
            b = radar_bound(sim, a.truth, a.t0, a.t1, r["t"][late])
            print(f"  position RMSE {rms:.1f} m, sigma {sig:.1f} m; PCRLB {b:.1f} m (same window)")


if __name__ == "__main__":
    from lookout.cli.common import run_script

    run_script(main)
