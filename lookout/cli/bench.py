"""``lookout bench``: benchmarks, each against a named baseline in the same run."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.console import Console

from lookout.cli.common import (
    _print_result,
    bench_app,
    console,
    fail,
    load_scenario,
    stage_progress,
)


@bench_app.command("flight")
def bench_flight(
    repeat: int = typer.Option(5, help="Timed repetitions."),
    batch: int = typer.Option(40, help="Flights in the batch run."),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Propagation time of one 60-minute ICBM flight, and of a batch, against flying the same
    batch one flight at a time (the baseline)."""
    from lookout.bench.flight import run

    _at_least_one(repeat=repeat, batch=batch)
    result = run(repeat=repeat, batch=batch)
    if as_json:
        typer.echo(json.dumps(result))
        return
    _print_result("lookout bench flight", result)


@bench_app.command("plan")
def bench_plan_cmd(
    scenario: list[str] | None = typer.Option(
        None, "--scenario", help="Scenarios to plan (repeatable; default: every shipped one)."
    ),
    baseline: list[str] | None = typer.Option(
        None,
        "--baseline-scenario",
        help="Scenarios the old planner (the baseline) also solves (default: irbm-overflight, "
        "srbm-salvo; it takes minutes).",
    ),
    no_baseline: bool = typer.Option(
        False, "--no-baseline", help="The batched planner alone (no old planner, no speed-up)."
    ),
    fly_runs: int = typer.Option(
        3, help="Runs of the whole lookout fly command, fresh processes (the median; 0: none)."
    ),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Cold guidance planning of the shipped scenarios (no plan cache): the batched planner, and
    the planner before it on a few of them in the same run, with the speed-up; lookout fly
    without a vehicle, both ways, and as a whole command in a fresh process."""
    from lookout.bench.plan import DEFAULT_BASELINE, baseline_estimate_s, render, run

    if fly_runs < 0:
        fail(f"--fly-runs={fly_runs} must be 0 or more")
    base = list(baseline) if baseline else list(DEFAULT_BASELINE)
    if not no_baseline:
        for name in base:
            load_scenario(name)  # a one-line error for a scenario that is not there
        warn_long(
            baseline_estimate_s(base),
            f"the old planner (the baseline) solves {', '.join(base)} one aim at a time",
            "--baseline-scenario to choose fewer or lighter ones, or --no-baseline",
        )
    log = None if as_json else (lambda m: console.print(m, highlight=False))
    result = run(
        list(scenario) if scenario else None,
        base,
        progress=log,
        baseline=not no_baseline,
        fly_runs=fly_runs,
    )
    if as_json:
        typer.echo(json.dumps(result))
        return
    console.print(render(result))


def warn_long(estimate_s: float, what: str, shorter: str) -> None:
    """Say on stderr, before it starts, that a benchmark will run for more than a few minutes."""
    if estimate_s < 180.0:
        return
    typer.echo(
        f"note: {what}: about {estimate_s / 60:.0f} min on a quiet machine; {shorter}",
        err=True,
    )


@bench_app.command("simulate")
def bench_simulate(
    scenario: str = typer.Option("mass-raid", help="Scenario to simulate."),
    repeat: int = typer.Option(3, help="Timed repetitions (the best is kept)."),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Simulation speed against real time: fly + sense of a whole scenario, detections/s."""
    from lookout.bench.simulate import run

    _at_least_one(repeat=repeat)
    result = run(scenario=scenario, repeat=repeat)
    if as_json:
        typer.echo(json.dumps(result))
        return
    _print_result("lookout bench simulate", result)


@bench_app.command("assess")
def bench_assess(
    repeat: int = typer.Option(3, help="Timed repetitions (the best is kept)."),
    batch: int = typer.Option(40, help="Tracks in the batch."),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Cost of one impact prediction with its ellipse, and of a batch of tracks in one call
    (baseline: the single prediction times the batch size)."""
    from lookout.bench.assess import run

    _at_least_one(repeat=repeat, batch=batch)
    result = run(repeat=repeat, batch=batch)
    if as_json:
        typer.echo(json.dumps(result))
        return
    _print_result("lookout bench assess", result)


#: Stone Soup's rate on this kind of machine (detections/s; docs/benchmarks.md: 19-40), for
#: the warning before a long baseline run.
STONESOUP_DETECTIONS_PER_S = 25.0
#: Default subset of ``lookout bench tracker`` when no window or count is given: the first
#: detections from the first launch on (Stone Soup would take hours on a whole raid).
TRACKER_DEFAULT_DETECTIONS = 4000


@bench_app.command("tracker")
def bench_tracker_cmd(
    scenario: str = typer.Option("mass-raid", "--scenario", help="Scenario to track."),
    baseline: str = typer.Option("stonesoup", help="Baseline tracker."),
    max_detections: int | None = typer.Option(
        None,
        help="Only the first N detections, for both trackers (default: "
        f"{TRACKER_DEFAULT_DETECTIONS}, from the first launch on unless --window or --whole).",
    ),
    window: str | None = typer.Option(None, help="Only detections in T0,T1 s, for both."),
    whole: bool = typer.Option(
        False, "--whole", help="Every detection of the scenario (Stone Soup: hours on a raid)."
    ),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Lookout's tracker against a baseline (Stone Soup) on the same detections, in one run:
    detections per second and RMSE of each, and the ratios."""
    from lookout.simulate import simulate as run_simulation

    try:
        from lookout.bench.tracker import bench_tracker, render, select
    except ImportError as e:
        fail(f"the baseline needs its extra: pip install -e '.[stonesoup]' ({e})")
    sc = load_scenario(scenario)
    t_window = None
    if window is not None:
        try:
            t0, t1 = (float(x) for x in window.split(","))
        except ValueError:
            fail(f"window = {window!r}, expected T0,T1 in seconds")
        t_window = (t0, t1)
    if not whole and t_window is None:
        # From the first launch on: the clutter before it is no tracking work.
        first = min((e.time_s for e in sc.launches), default=0.0)
        t_window = (first, sc.duration_s + 1.0)
        if max_detections is None:
            max_detections = TRACKER_DEFAULT_DETECTIONS
    sim = run_simulation(sc)
    n = select(sim.detections, sim.labels, max_detections=max_detections, t_window=t_window)[2][
        "detections"
    ]
    warn_long(
        n / STONESOUP_DETECTIONS_PER_S,
        f"the baseline tracks {n} detections at about {STONESOUP_DETECTIONS_PER_S:.0f}/s",
        "--max-detections or --window to shorten",
    )
    try:
        result = bench_tracker(
            sim.detections,
            sim.labels,
            sim.trajectories,
            baselines=(baseline,),
            max_detections=max_detections,
            t_window=t_window,
        )
    except (ImportError, ModuleNotFoundError) as e:
        fail(f"baseline {baseline!r} is not installed: pip install -e '.[stonesoup]' ({e})")
    except ValueError as e:
        fail(str(e))
    result["scenario"] = sc.name
    if as_json:
        typer.echo(json.dumps(result, default=float))
        return
    console.print(render(result))


#: Shipped scenarios ``--shipped all`` leaves out: hours through the demo chain on this machine.
LONG_SCENARIOS = ("barrage",)


@bench_app.command("picture-integrity")
def bench_picture_integrity(
    shipped_names: str = typer.Option(
        "all",
        "--shipped",
        help="Shipped scenarios: all (but barrage, hours long), none, or NAME,NAME,...",
    ),  # fmt: skip
    files: list[Path] = typer.Option(  # noqa: B008
        [],
        "--file",
        help="Scenario files, or directories of them (repeatable; e.g. the hand-written set, "
        "tests/data/scenarios).",
    ),  # fmt: skip
    seed: int = typer.Option(1, help="Seed of the generated set (lookout generate)."),
    count: int = typer.Option(12, help="Generated scenarios (0: none)."),
    region: str = typer.Option(
        "korea", help="Region of the generated set (lookout generate --region)."
    ),
    jobs: int = typer.Option(2, help="Scenarios run at once, each in its own process."),
    out: Path = typer.Option(Path("bench-picture"), help="Directory of per-scenario JSON."),
    reuse: bool = typer.Option(False, help="Read scenarios already in --out instead of running."),
    markdown: Path | None = typer.Option(None, help="Write the report as Markdown here."),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """The pictures every partner sees, and the central tracker's, on every shipped scenario
    and a seeded generated set: phantom launches, false claims, tracks per object, GOSPA,
    RMSE/PCRLB and NEES per phase, per scenario, per view and pooled per set."""
    from lookout.bench.picture_integrity import markdown as report
    from lookout.bench.picture_integrity import plan_runs, run
    from lookout.scenario import ScenarioError, shipped
    from lookout.scenario.generate import check_region

    names = list(shipped())
    if shipped_names == "none":
        chosen = []
    elif shipped_names == "all":
        # The scale benchmark's ten-times raid runs for hours through the demo chain: by name.
        chosen = [n for n in names if n not in LONG_SCENARIOS]
        if not as_json:
            Console(stderr=True).print(
                f"all: every shipped scenario but {', '.join(LONG_SCENARIOS)} (hours; name it "
                "to include it)"
            )
    else:
        chosen = [n.strip() for n in shipped_names.split(",") if n.strip()]
        for n in chosen:
            if n not in names:
                fail(f"shipped = {n!r}, expected all, none or names among {', '.join(names)}")
    if count < 0 or seed < 0:
        fail(f"count = {count}, seed = {seed}: expected integers >= 0")
    if jobs < 1:
        fail(f"jobs = {jobs}, expected at least 1")
    try:
        check_region(region)
    except ValueError as e:
        fail(str(e))
    for f in files:
        if not f.exists():
            fail(f"file = {str(f)!r}: no such file or directory")
        if f.is_dir() and not any(f.glob("*.yaml")):
            fail(f"file = {str(f)!r}: a directory with no scenario file (*.yaml) in it")
    with stage_progress(disabled=as_json) as progress:
        runs = plan_runs(
            chosen, seed if count else None, count,
            lambda done, total: progress("generate", done, total), files=files, region=region,
        )  # fmt: skip
        try:
            results = run(
                runs, out, jobs=jobs, reuse=reuse, progress=progress,
                log=None if as_json else Console(stderr=True).print,
            )  # fmt: skip
        except ScenarioError as e:
            fail(str(e))
    command = (
        f".venv/bin/lookout bench picture-integrity --shipped {shipped_names} --seed {seed} "
        f"--count {count} --jobs {jobs}"
        + "".join(f" --file {f}" for f in files)
        + (f" --region {region}" if region != "korea" else "")
    )
    text = report(results, command)
    if markdown is not None:
        markdown.write_text(text)
    if as_json:
        typer.echo(json.dumps(results, default=float))
        return
    console.print(text, highlight=False, markup=False)


@bench_app.command("warnings")
def bench_warnings(
    scenarios: list[str] = typer.Argument(  # noqa: B008
        ..., help="Shipped names, scenario files, or directories of them (lookout generate)."
    ),
    out: Path = typer.Option(Path("bench-warn"), help="Directory of per-scenario JSON."),
    alone: str | None = typer.Option(None, help="Run this partner alone (lookout warn --alone)."),
    reuse: bool = typer.Option(False, help="Read scenarios already in --out instead of running."),
    again: bool = typer.Option(
        False, help="Decide again from the pictures kept in --out, with the rules as they are now."
    ),
    markdown: Path | None = typer.Option(None, help="Write the report as Markdown here."),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Every scenario's public warnings judged against the truth (lookout warn), one row each:
    first message per partner, lead time, missed and false areas, withdrawals, all-clears, XSD."""
    from lookout.bench.warnings import markdown as report
    from lookout.bench.warnings import run, sources, summary
    from lookout.scenario import ScenarioError

    srcs = sources(scenarios)
    try:
        results = run(
            srcs, out, alone=alone, reuse=reuse, again=again,
            log=None if as_json else Console(stderr=True).print,
        )  # fmt: skip
    except (ScenarioError, ValueError) as e:
        fail(str(e))
    command = (
        ".venv/bin/lookout bench warnings "
        + " ".join(scenarios)
        + (f" --alone {alone}" if alone else "")
        + (" --again" if again else "")
    )
    text = report(results, command)
    if markdown is not None:
        markdown.write_text(text)
    if as_json:
        typer.echo(json.dumps([summary(r) for r in results]))
        return
    console.print(text, highlight=False, markup=False)


@bench_app.command("exchange")
def bench_exchange_cmd(
    bus: str = typer.Option("memory", help="memory or nats (starts its own nats-server)."),
    rate: float = typer.Option(10_000, help="Detections per second from the three partners."),
    seconds: float = typer.Option(5.0, help="How long to sustain the rate."),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Latency from a detection's creation to its delivery to every entitled partner, with
    signing, verification and the audit log on."""
    if not rate > 0 or not seconds > 0:
        fail(f"rate = {rate:g}, seconds = {seconds:g}: expected positive numbers")
    if bus == "memory":
        from lookout.bench.exchange import bench_exchange

        result = bench_exchange(rate=rate, seconds=seconds)
    elif bus == "nats":
        from lookout.bench.nats_latency import signed_exchange_latency

        # The deployed form: signing nodes and the exchange in processes of their own.
        result = signed_exchange_latency(rate=rate, seconds=seconds, linger_s=0.002)
    else:
        fail(f"bus = {bus!r}, expected memory or nats")
    keys = ("bus", "rate", "p50_ms", "p99_ms", "delivered", "refused")
    if as_json:
        typer.echo(json.dumps({k: result.get(k) for k in keys} | result))
        return
    _print_result(f"lookout bench exchange --bus {bus}", result)


def _at_least_one(**counts: int) -> None:
    for name, n in counts.items():
        if n < 1:
            fail(f"{name} = {n}, expected at least 1")


@bench_app.command("picture")
def bench_picture_cmd(
    scenario: str = typer.Option("mass-raid", "--scenario", help="Scenario to run."),
    bus: str = typer.Option("memory", help="memory (one process) or nats (a JetStream cluster)."),
    workers: int = typer.Option(1, help="Fusion/assessment workers (--bus nats)."),
    speed: float = typer.Option(0.0, help="Times real time; 0 as fast as possible (memory)."),
    duration_s: float | None = typer.Option(None, help="Stop after this much scenario time."),
    out: Path | None = typer.Option(None, help="Also write the figures here (JSON)."),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """The picture people get: per partner, the age of the picture (detection to the first
    system-track update and the first assessment including it), CPU-seconds per scenario-second
    of each stage, peak memory."""
    from lookout.bench.picture import bench_picture, render

    sc = load_scenario(scenario)
    if speed < 0:
        fail(f"speed = {speed:g}, expected 0 (as fast as possible) or a positive factor")
    if workers < 1:
        fail(f"workers = {workers}, expected 1 or more")
    if duration_s is not None and duration_s <= 0:
        fail(f"duration_s = {duration_s:g}, expected a positive number of seconds")
    try:
        result = bench_picture(sc, bus=bus, duration_s=duration_s, speed=speed, workers=workers)
    except ValueError as e:
        fail(str(e))
    if out is not None:
        out.write_text(json.dumps(result, indent=1))
    if as_json:
        typer.echo(json.dumps(result))
        return
    console.print(render(result))
