"""The truth in the air against a fine-step flight of the same equations, per object, and the
CPU of planning and flying it.

    nice .venv/bin/python benchmarks/truth_convergence.py lofted-icbm satellite-launch
    nice .venv/bin/python benchmarks/truth_convergence.py srbm-salvo --drag-step 0.125,inf
    nice .venv/bin/python benchmarks/truth_convergence.py --cost      # CPU, every shipped one

Each scenario's launches are planned once (``simulate.plan_launches``, the plan cache) and
flown (``flight.fly``) with the flight model's steps as they are, or with ``propagate.DRAG_STEP``
set to each ``--drag-step`` value (``inf``: the vertical travel bound alone, as before that
bound), and once with every step in the air cut to 0.05 s or less (``ATMOSPHERE_STEP_M`` 100 m,
``DRAG_STEP`` / 80, ``DT_LIFTING_MAX`` 0.05 s): the reference, within a centimetre and a mm/s of
one at half its steps. Per object, below 100 km and unpowered: the largest position and velocity
difference on a 0.25 s grid (``flown_state_at``, what the scores compare tracks with) and at
the object's own samples, and the impact's. ``--cost``: CPU seconds of cold planning of every
shipped scenario (``LOOKOUT_CACHE_DIR=off``) and of flying each one's truth (the least of three).
"""

from __future__ import annotations

import argparse
import json
import os
import time

import numpy as np

SHIPPED = ("hgv", "irbm-overflight", "kn23-pullup", "lofted-icbm", "lost-track", "quiet-sky",
           "satellite-launch", "slbm", "srbm-salvo", "mass-raid")  # fmt: skip
STEPS = ("DRAG_STEP", "ATMOSPHERE_STEP_M", "DT_ATMOSPHERE_MAX", "DT_MIN", "DT_LIFTING_MAX")


def flown(launches, **steps):
    """The launches' trajectories with these step constants (the others as they are)."""
    import lookout.physics.propagate as prop
    from lookout.flight import fly

    saved = {n: getattr(prop, n) for n in STEPS}
    try:
        for n, v in steps.items():
            setattr(prop, n, v)
        return fly(launches)
    finally:
        for n, v in saved.items():
            setattr(prop, n, v)


def fine(launches):
    import lookout.physics.propagate as prop

    return flown(launches, DRAG_STEP=prop.DRAG_STEP / 80, ATMOSPHERE_STEP_M=100.0,
                 DT_ATMOSPHERE_MAX=0.05, DT_MIN=1e-3, DT_LIFTING_MAX=0.05)  # fmt: skip


def compare(trs, ref) -> dict:
    """Per object in the air: its largest differences from the reference."""
    out = {}
    by_id = {r.object_id: r for r in ref}
    for tr in trs:
        r = by_id[tr.object_id]
        t0, t1 = max(tr.t[0], r.t[0]), min(tr.t[-1], r.t[-1])
        tq = np.arange(np.ceil(t0), np.floor(t1), 0.25)
        air = (np.interp(tq, tr.t, tr.alt) < 100e3) & ~tr.thrusting_at(tq)
        if not air.any():
            continue
        d = tr.flown_state_at(tq[air]) - r.state_at(tq[air])
        mine = (tr.t >= t0) & (tr.t <= t1) & (tr.alt < 100e3) & ~tr.thrusting
        ds = np.concatenate([tr.pos[mine], tr.vel[mine]], axis=1) - r.state_at(tr.t[mine])
        ia, ib = tr.event("impact"), r.event("impact")
        out[tr.object_id] = {
            "pos_m": float(np.linalg.norm(d[:, :3], axis=1).max()),
            "vel_mps": float(np.linalg.norm(d[:, 3:], axis=1).max()),
            "samples_pos_m": float(np.linalg.norm(ds[:, :3], axis=1).max(initial=0.0)),
            "samples_vel_mps": float(np.linalg.norm(ds[:, 3:], axis=1).max(initial=0.0)),
            "impact_m": float(np.linalg.norm(ia.pos - ib.pos)) if ia and ib else None,
            "samples_below_110_km": int((tr.alt < 110e3).sum()),
        }
    return out


def convergence(names: list[str], drag_steps: list[float | None]) -> dict:
    from lookout.scenario import load
    from lookout.simulate import plan_launches

    out = {}
    for name in names:
        launches = plan_launches(load(name))
        ref = fine(launches)
        out[name] = {}
        for c in drag_steps:
            trs = flown(launches) if c is None else flown(launches, DRAG_STEP=c)
            out[name]["as is" if c is None else f"DRAG_STEP={c}"] = compare(trs, ref)
    return out


def cost(names) -> dict:
    os.environ["LOOKOUT_CACHE_DIR"] = "off"
    from lookout.flight import fly
    from lookout.scenario import load
    from lookout.simulate import plan_scenarios

    scenarios = [load(n) for n in names]
    c = time.process_time()
    planned = plan_scenarios(scenarios)
    out = {"plan_cpu_s": time.process_time() - c}
    for name, launches in zip(names, planned, strict=True):
        launches = [x for x in launches if not isinstance(x, Exception)]
        best = np.inf
        for _ in range(3):
            c = time.process_time()
            trs = fly(launches)
            best = min(best, time.process_time() - c)
        out[name] = {"fly_cpu_s": best, "samples": int(sum(t.t.size for t in trs))}
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("scenarios", nargs="*", help="shipped names or scenario files")
    ap.add_argument("--drag-step", default="", help="DRAG_STEP values to try, comma-separated")
    ap.add_argument("--cost", action="store_true", help="CPU of planning and flying instead")
    args = ap.parse_args()
    if args.cost:
        print(json.dumps(cost(args.scenarios or list(SHIPPED)), indent=1))
        return
    steps = [None] + [float(x) for x in args.drag_step.split(",") if x.strip()]
    print(json.dumps(convergence(args.scenarios or ["lofted-icbm"], steps), indent=1))


if __name__ == "__main__":
    main()
