"""``lookout bench plan``: cold guidance planning, the batched planner against the one before it.

What a user waits for on a new machine (or after any change to the flight model, which empties
the plan cache): every distinct (site, aim, vehicle) of a scenario solved from nothing; and of
every scenario at once, in one batch (``lookout plan``). The
planner (``lookout.flight.planner.plan_many``) solves them all at once; the baseline is the
planner it replaced (``plan_sequential``: one aim at a time, a 448-flight grid per solve), run in
the same process on the same aims. The baseline takes minutes, so by default it runs on a few
scenarios only (``baseline_scenarios``) and the ratio is taken on those; the batched planner's
time is also given for every shipped scenario, and for ``lookout fly`` without a vehicle (every
candidate vehicle checked), with what it does after planning (``fly_summary``: the flight, its
debris and its figures, against ``summarise(launch, fly([launch]))``); and the whole
``lookout fly`` command without a vehicle as a user runs it (``fly_command``: a fresh process
with an empty plan cache, its import included), the figure issue 16 sets a bound on.
"""

from __future__ import annotations

import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time

from lookout.flight import Aim, Request, fly, fly_summary, plan_many, summarise
from lookout.flight.planner import plan_sequential
from lookout.scenario import load, shipped

#: Scenarios the slow baseline runs on by default (one IRBM, a salvo of SRBMs).
DEFAULT_BASELINE = ("irbm-overflight", "srbm-salvo")
#: ``lookout fly`` without a vehicle: an IRBM over Japan (every ballistic vehicle a candidate).
FLY_REQUEST = Request(39.2, 125.67, Aim(target_lat_deg=41.8, target_lon_deg=157.2, loft=550))
#: The same as a user types it.
FLY_ARGS = ("fly", "--site", "39.2,125.67", "--target", "41.8,157.2", "--loft", "550")
#: The baseline's time per distinct aim on a quiet core (s): mass-raid's 8 took 70 CPU s,
#: srbm-salvo's 3 6.4, irbm-overflight's one 3.7 (docs/benchmarks.md), for the warning before
#: a long run.
BASELINE_S_PER_AIM = 10.0


def distinct_requests(name: str) -> list[Request]:
    """A scenario's launches, one per distinct (site, aim, vehicle, depth)."""
    sc = load(name)
    out: dict[tuple, Request] = {}
    for e in sc.launches:
        key = (e.site_lat_deg, e.site_lon_deg, e.aim, e.vehicle, e.depth_m)
        out.setdefault(
            key,
            Request(e.site_lat_deg, e.site_lon_deg, e.aim, e.vehicle, e.id, e.time_s, e.depth_m),
        )
    return list(out.values())


def _baseline_can_fly(req: Request) -> bool:
    return req.aim.manoeuvre() is None and req.depth_m == 0


def baseline_estimate_s(names: list[str]) -> float:
    """Roughly how long (s) the baseline takes on these scenarios, from their distinct aims."""
    return BASELINE_S_PER_AIM * sum(
        _baseline_can_fly(r) for name in names for r in distinct_requests(name)
    )


def _timed(fn):
    """``fn()``, its wall time and its CPU time (s). On a shared machine the CPU time is what the
    run would take alone on a free core; the wall time is what it took here."""
    t0, c0 = time.perf_counter(), time.process_time()
    out = fn()
    return out, time.perf_counter() - t0, time.process_time() - c0


def fly_command(runs: int = 3) -> dict:
    """The whole ``lookout fly`` without a vehicle (``FLY_ARGS``), ``runs`` times, each in a
    fresh process with an empty plan cache: the median CPU seconds of the process (user and
    system) and wall seconds, import, planning, flight and figures included."""
    cpus, walls = [], []
    for _ in range(runs):
        with tempfile.TemporaryDirectory() as cache:
            env = dict(os.environ, LOOKOUT_CACHE_DIR=cache)
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            t0 = time.perf_counter()
            subprocess.run(
                [sys.executable, "-m", "lookout.cli", *FLY_ARGS],
                env=env,
                check=True,
                stdout=subprocess.DEVNULL,
            )
            walls.append(time.perf_counter() - t0)
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return {
        "runs": runs,
        "cpu_s": statistics.median(cpus),
        "wall_s": statistics.median(walls),
        "cpu_runs_s": cpus,
        "wall_runs_s": walls,
    }


def run(
    scenarios: list[str] | None = None,
    baseline_scenarios: list[str] | None = None,
    progress=None,
    baseline: bool = True,
    fly_runs: int = 3,
) -> dict:
    """Cold planning time per scenario (batched), the baseline on ``baseline_scenarios`` in the
    same run, ``lookout fly`` without a vehicle both ways, and the whole ``lookout fly`` command
    (``fly_command``, ``fly_runs`` times; 0 for none). Without ``baseline``, the batched
    planner alone (no ``plan_sequential``, no speed-ups)."""
    names = list(scenarios or shipped())
    base_names = list(DEFAULT_BASELINE if baseline_scenarios is None else baseline_scenarios)
    if not baseline:
        base_names = []
    per: dict[str, dict] = {}
    for name in names:
        reqs = distinct_requests(name)
        results, wall, cpu = _timed(lambda reqs=reqs: plan_many(reqs))
        failed = [
            r.object_id for r, x in zip(reqs, results, strict=True) if isinstance(x, Exception)
        ]
        per[name] = {"aims": len(reqs), "batched_s": wall, "batched_cpu_s": cpu, "failed": failed}
        if progress:
            progress(f"{name}: {len(reqs)} aims, {cpu:.1f} CPU s ({wall:.1f} s)")
    # The same aims, every scenario's, in one batch (``lookout plan``).
    every = [r for name in names for r in distinct_requests(name)]
    _, together, together_cpu = _timed(lambda: plan_many(every))
    if progress:
        progress(f"all {len(every)} aims in one batch: {together_cpu:.1f} CPU s ({together:.1f} s)")
    for name in base_names:
        reqs = distinct_requests(name)
        entry = per.setdefault(name, {"aims": len(reqs)})
        if "batched_s" not in entry:
            _, entry["batched_s"], entry["batched_cpu_s"] = _timed(
                lambda reqs=reqs: plan_many(reqs)
            )
        base_wall = base_cpu = 0.0
        for req in reqs:
            if not _baseline_can_fly(req):
                continue  # the baseline cannot fly these
            _, wall, cpu = _timed(lambda req=req: plan_sequential(req))
            base_wall, base_cpu = base_wall + wall, base_cpu + cpu
        entry["baseline_s"], entry["baseline_cpu_s"] = base_wall, base_cpu
        entry["speedup"] = base_cpu / entry["batched_cpu_s"]
        if progress:
            progress(f"{name}: baseline {base_cpu:.1f} CPU s ({entry['speedup']:.1f}x)")
    (launch,), fly_new, fly_new_cpu = _timed(lambda: plan_many([FLY_REQUEST]))
    # What lookout fly does after planning: the flight, its debris and its figures (maximum
    # ranges included), in two propagation calls; and as four (fly, then summarise).
    _, figures, figures_cpu = _timed(lambda: fly_summary(launch))
    both = [n for n in base_names if "baseline_s" in per.get(n, {})]
    total_base = sum(per[n]["baseline_cpu_s"] for n in both)
    total_new = sum(per[n]["batched_cpu_s"] for n in both)
    shipped_now = [v for k, v in per.items() if k in names]
    result = {
        "scenarios": per,
        "all_shipped_batched_s": sum(v["batched_s"] for v in shipped_now),
        "all_shipped_batched_cpu_s": sum(v["batched_cpu_s"] for v in shipped_now),
        "one_batch_aims": len(every),
        "one_batch_s": together,
        "one_batch_cpu_s": together_cpu,
        "baseline_scenarios": both,
        "baseline_total_cpu_s": total_base,
        "batched_total_on_baseline_scenarios_cpu_s": total_new,
        "speedup": total_base / total_new if total_new else None,
        "fly_without_vehicle_s": fly_new,
        "fly_without_vehicle_cpu_s": fly_new_cpu,
        "fly_figures_s": figures,
        "fly_figures_cpu_s": figures_cpu,
        "speedup_basis": "CPU seconds of this process (wall seconds are given beside them)",
    }
    if baseline:
        _, fly_old, fly_old_cpu = _timed(lambda: plan_sequential(FLY_REQUEST))
        _, figures_old, figures_old_cpu = _timed(lambda: summarise(launch, fly([launch])))
        result.update(
            fly_without_vehicle_baseline_s=fly_old,
            fly_without_vehicle_baseline_cpu_s=fly_old_cpu,
            fly_speedup=fly_old_cpu / fly_new_cpu,
            fly_figures_baseline_s=figures_old,
            fly_figures_baseline_cpu_s=figures_old_cpu,
        )
    if fly_runs > 0:
        cmd = fly_command(fly_runs)
        result["fly_command"] = cmd
        if progress:
            progress(
                f"lookout {' '.join(FLY_ARGS)}: {cmd['cpu_s']:.2f} CPU s ({cmd['wall_s']:.2f} s), "
                f"median of {fly_runs} fresh processes"
            )
    return result


def render(result: dict):
    """A rich Table of a ``run`` result."""
    from rich.table import Table

    table = Table(title="lookout bench plan (cold, no plan cache): CPU s (wall s)")
    for col in ("scenario", "distinct aims", "batched", "baseline", "speed-up (CPU)"):
        table.add_column(col, justify="right" if col != "scenario" else "left")

    def both(cpu, wall):
        return f"{cpu:.1f} ({wall:.1f})"

    for name, e in result["scenarios"].items():
        table.add_row(
            name,
            str(e["aims"]),
            both(e["batched_cpu_s"], e["batched_s"]),
            both(e["baseline_cpu_s"], e["baseline_s"]) if "baseline_s" in e else "–",
            f"{e['speedup']:.1f}x" if "speedup" in e else "–",
        )
    table.add_row(
        "in all, one scenario at a time",
        "",
        both(result["all_shipped_batched_cpu_s"], result["all_shipped_batched_s"]),
        "",
        "",
    )
    table.add_row(
        "in all, in one batch (lookout plan)",
        str(result["one_batch_aims"]),
        both(result["one_batch_cpu_s"], result["one_batch_s"]),
        "",
        "",
        end_section=True,
    )
    with_base = "fly_speedup" in result
    table.add_row(
        "fly, no vehicle: planning",
        "1",
        both(result["fly_without_vehicle_cpu_s"], result["fly_without_vehicle_s"]),
        both(result["fly_without_vehicle_baseline_cpu_s"], result["fly_without_vehicle_baseline_s"])
        if with_base
        else "–",
        f"{result['fly_speedup']:.1f}x" if with_base else "–",
    )
    table.add_row(
        "fly: flight and figures",
        "1",
        both(result["fly_figures_cpu_s"], result["fly_figures_s"]),
        both(result["fly_figures_baseline_cpu_s"], result["fly_figures_baseline_s"])
        if with_base
        else "–",
        f"{result['fly_figures_baseline_cpu_s'] / result['fly_figures_cpu_s']:.1f}x"
        if with_base
        else "–",
    )
    if "fly_command" in result:
        cmd = result["fly_command"]
        table.add_row(
            "lookout fly, no vehicle (whole command)",
            "1",
            both(cmd["cpu_s"], cmd["wall_s"]),
            "",
            "",
        )
    return table
