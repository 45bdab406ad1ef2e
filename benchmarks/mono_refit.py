"""One satellite's refit at burnout against the truth, over sensor seeds: how far the state a
one-satellite track coasts on is from the flight, under what covariance, and which boosts of the
catalogue carry its weight.

    .venv/bin/python benchmarks/mono_refit.py SCENARIO [SEED ...] [--top 6]

``SEED``: ``own`` (the scenario's, the default) or an integer put in its ``seed:`` (the
sensors' noise changes, the flights do not). Per seed, for a flight whose burn one infrared
satellite alone saw: the whole chain of its lines of sight refitted as the tracker refits it
when the plume goes out (``mono.fit_launch(burnt_out_s=frame)``, ``Tracker._coast_mono``); its
state's error against the truth at the last line of sight (km, m/s; the error's part along
that line of sight beside its sigma there), its NEES (6 dof) and the best boost's chi-square;
then the ``--top`` boosts by weight (vehicle, pitch-over, fitted azimuth, weight, chi-square
above the best, the boost's own error), beside the flight's own vehicle, pitch-over and
azimuth. The simulation alone, no tracker (10-20 s a seed). world78 #04 (an IRBM from Kapustin
Yar, one satellite, no radar): 13.1 km and 428 m/s off, NEES 3.3, its weight spread over
pitch-overs 25-35 degrees whose azimuths run 55-98 degrees (the truth 27.0 and 84.6).
"""

from __future__ import annotations

import argparse
import math

import numpy as np

from lookout.cli.common import run_script
from lookout.errors import LookoutError
from lookout.scenario import ScenarioError, load
from lookout.scoring.evaluation import on_sensor_seed
from lookout.simulate import simulate
from lookout.tracking import mono
from lookout.tracking.measure import los_unit


def seed_of(text: str) -> str | int:
    """``own`` or an integer seed; anything else is a ``ScenarioError``."""
    if text == "own":
        return text
    try:
        return int(text)
    except ValueError:
        raise ScenarioError(f"SEED: {text!r} is not 'own' or an integer") from None


def refit(name: str, seed, top: int) -> None:
    """Print the refit of ``name`` on sensor seed ``seed`` (module doc)."""
    sc = on_sensor_seed(load(name), seed)
    sim = simulate(sc)
    ir = [d for d in sim.detections if d.kind == "infrared"]
    sensors = sorted({d.sensor_id for d in ir})
    if len(sensors) != 1 or len(sim.launches) != 1:
        raise LookoutError(
            f"{name}: {len(sim.launches)} launches, infrared sensors {sensors or 'none'} saw "
            "a plume; this script wants one flight whose burn one satellite alone saw"
        )
    t = np.array([d.t_ns * 1e-9 for d in ir])
    s = np.array([d.sensor_pos_ecef_m for d in ir])
    u = los_unit(np.array([d.z for d in ir]))
    sig = np.array([math.sqrt(d.R[1][1]) for d in ir])
    steps = np.diff(t)
    frame = float(steps[steps > 0].min()) if (steps > 0).any() else 1.0
    fit = mono.fit_launch(t, s, u, sig, float(t[-1]), burnt_out_s=frame)
    launch = sim.launches[0]
    truth = next(tr for tr in sim.trajectories if tr.object_id == launch.object_id)
    xt = truth.flown_state_at(np.array([fit.t]))[0]
    e = fit.x - xt
    los = u[-1]
    along = (e[:3] @ los, e[3:] @ los)
    sig_along = (math.sqrt(los @ fit.P[:3, :3] @ los), math.sqrt(los @ fit.P[3:, 3:] @ los))
    nees = float(e @ np.linalg.solve(fit.P, e))
    print(f"seed {seed}: {t.size} lines of sight {t[0]:.1f}-{t[-1]:.1f} s ({sensors[0]}), "
          f"truth {launch.vehicle.name} pitch-over {math.degrees(launch.kick):.1f} azimuth "
          f"{math.degrees(launch.azimuth):.1f}")  # fmt: skip
    print(
        f"  refit: {np.linalg.norm(e[:3]) / 1e3:.1f} km {np.linalg.norm(e[3:]):.0f} m/s off "
        f"(along the line of sight {along[0] / 1e3:.1f} km under {sig_along[0] / 1e3:.1f}, "
        f"{along[1]:.0f} m/s under {sig_along[1]:.0f}), NEES {nees:.2f}, best chi-square "
        f"{fit.chi2:.0f} of {fit.dof}, launch {fit.t_launch:.1f} +- {fit.t_sigma:.1f} s"
    )
    names, kicks, _ = mono.profiles()
    for i in np.argsort(-fit.weights)[:top]:
        ei = fit.states[i] - xt
        az = math.degrees(fit.azimuths[i]) % 360.0
        print(
            f"  {fit.weights[i]:5.3f} {names[fit.boosts[i]]:26s} pitch-over "
            f"{kicks[fit.boosts[i]]:4.1f} azimuth {az:5.1f}: "
            f"{np.linalg.norm(ei[:3]) / 1e3:5.1f} km {np.linalg.norm(ei[3:]):5.0f} m/s off"
        )


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("scenario")
    ap.add_argument("seeds", nargs="*", default=["own"])
    ap.add_argument("--top", type=int, default=6)
    a = ap.parse_args(argv)
    seeds = [seed_of(x) for x in a.seeds]
    load(a.scenario)
    for seed in seeds:
        refit(a.scenario, seed, a.top)


if __name__ == "__main__":
    run_script(main)
