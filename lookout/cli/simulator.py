"""Commands of the simulator and the central tracker, offline: ``fly``, ``validate``,
``scenarios``, ``plan``, ``simulate``, ``generate``, ``track``."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.table import Table

from lookout.cli.common import (
    app,
    console,
    fail,
    load_scenario,
    parse_lat_lon,
    stage_progress,
)


@app.command()
def fly(
    site: str = typer.Option(..., help="Launch site LAT,LON in degrees."),
    azimuth: float | None = typer.Option(None, help="Azimuth of fire, degrees from north."),
    apogee_km: float | None = typer.Option(
        None, help="Apogee (km), with --azimuth and --range-km."
    ),
    range_km: float | None = typer.Option(None, help="Ground range (km), with --azimuth."),
    target: str | None = typer.Option(None, help="Target LAT,LON in degrees."),
    loft: str = typer.Option(
        "minimum-energy", help="With --target: minimum-energy, depressed or an apogee in km."
    ),
    orbit_km: float | None = typer.Option(
        None, help="Orbit insertion altitude (km), with --azimuth."
    ),
    vehicle: str | None = typer.Option(None, help="Catalogue vehicle; default: smallest able."),
    pull_up_km: float | None = typer.Option(
        None, help="A manoeuvring SRBM pulls up to this altitude (km) after apogee."
    ),
    glide_km: float | None = typer.Option(None, help="A glide vehicle holds this altitude (km)."),
    lift_to_drag: float | None = typer.Option(None, help="With --glide-km: the polar's best L/D."),
    turn: list[str] | None = typer.Option(
        None, help="With --glide-km: a bank turn START_S,END_S,BANK_DEG (repeatable)."
    ),
    depth_m: float = typer.Option(0.0, help="Submarine launch from this depth (m)."),
    as_json: bool = typer.Option(False, "--json", help="One JSON object on stdout."),
) -> None:
    """Fly one launch and print its figures: apogee, range, flight time, impact, max range."""
    from lookout.flight import Aim, AimError, TurnSpec, fly_summary, plan
    from lookout.physics.vehicles import CatalogueError

    lat, lon = parse_lat_lon(site, "site")
    turns = []
    for text in turn or []:
        try:
            start, end, bank = (float(x) for x in text.split(","))
        except ValueError:
            fail(f"turn {text!r} is not START_S,END_S,BANK_DEG")
        turns.append(TurnSpec(start, end, bank))
    manoeuvre = dict(
        pull_up_km=pull_up_km, glide_km=glide_km, lift_to_drag=lift_to_drag, turns=tuple(turns)
    )
    if target is not None:
        tlat, tlon = parse_lat_lon(target, "target")
        aim = Aim(target_lat_deg=tlat, target_lon_deg=tlon, loft=loft, **manoeuvre)
    elif orbit_km is not None:
        aim = Aim(azimuth_deg=azimuth, orbit_km=orbit_km, **manoeuvre)
    else:
        if azimuth is None or apogee_km is None or range_km is None:
            fail("give --azimuth with --apogee-km and --range-km, or --target, or --orbit-km")
        aim = Aim(azimuth_deg=azimuth, apogee_km=apogee_km, range_km=range_km, **manoeuvre)
    if azimuth is not None and not 0.0 <= azimuth <= 360.0:
        fail(f"azimuth {azimuth:g} is outside 0..360 degrees")
    try:
        launch = plan(lat, lon, aim, vehicle, depth_m=depth_m)
    except (AimError, CatalogueError) as e:
        fail(str(e))
    summary = fly_summary(launch)
    if as_json:
        typer.echo(json.dumps(summary.to_dict()))
        return
    table = Table(title=f"Flight of {summary.vehicle} ({summary.vehicle_class})", show_header=False)
    rows = [
        ("azimuth", f"{summary.azimuth_deg:.2f} deg"),
        ("pitch-over", f"{summary.kick_deg:.3f} deg"),
        ("burn", f"{summary.burn_s:.1f} s"),
        (
            "burnout",
            f"{summary.burnout_time_s:.1f} s, {summary.burnout_altitude_km:.1f} km, "
            f"{summary.burnout_speed_kms:.3f} km/s",
        ),
        ("apogee", f"{summary.apogee_km:.1f} km"),
    ]
    if summary.depth_m > 0:
        rows.insert(0, ("start", f"under water, {summary.depth_m:g} m deep"))
    if summary.orbital:
        o = summary.orbit
        rows.append(
            (
                "orbit",
                f"{o['perigee_km']:.0f} x {o['apogee_km']:.0f} km, "
                f"inclination {o['inclination_deg']:.2f} deg, "
                f"period {o['period_min']:.1f} min",
            )
        )
    else:
        imp = summary.impact
        rows += [
            ("range", f"{summary.range_km:.1f} km"),
            (
                "flight time",
                f"{summary.flight_time_s:.0f} s ({summary.flight_time_s / 60:.1f} min)",
            ),
            ("impact", f"{imp['lat_deg']:.3f}, {imp['lon_deg']:.3f}"),
            ("max range (boost re-flown, as flown)", f"{summary.max_range_km:.0f} km"),
        ]
        if summary.max_range_realistic_rv_km is not None:
            rows.append(
                ("max range (with a realistic RV)", f"{summary.max_range_realistic_rv_km:.0f} km")
            )
    if summary.max_lift_g is not None:
        manoeuvres = ", ".join(
            f"{e['name']} {e['t_s']:.0f} s at {e['alt_km']:.1f} km"
            for e in summary.events
            if e["name"] in ("glide", "pull_up", "peak", "dive")
        )
        rows.append(("manoeuvres", manoeuvres))
        rows.append(("largest lift", f"{summary.max_lift_g:.1f} g"))
    rows.append(("spent stages", str(summary.spent_stages)))
    for k, v in rows:
        table.add_row(k, v)
    console.print(table)


@app.command()
def validate(
    csv: Path | None = typer.Option(None, help="Published flights CSV (default: shared data)."),
    markdown: Path | None = typer.Option(None, help="Write the table as Markdown to this file."),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Fly every published flight and compare with its published figures."""
    from lookout.scoring.validation import default_csv, markdown_report, validate_all

    path = csv or default_csv()
    if path is None or not Path(path).exists():
        fail(f"published flights file {path} not found; pass --csv")
    results = validate_all(
        Path(path),
        progress=lambda r: (
            console.print(f"{r.id}: {'pass' if r.passed else 'FAIL'}", highlight=False)
            if not as_json
            else None
        ),
    )
    if markdown is not None:
        markdown.write_text(markdown_report(results, Path(path)))
    if as_json:
        typer.echo(json.dumps([r.to_dict() for r in results]))
    if not all(r.passed for r in results):
        raise typer.Exit(1)


@app.command()
def scenarios() -> None:
    """List the shipped scenarios, each with a one-line description."""
    from lookout.scenario import shipped

    table = Table(title="shipped scenarios", show_header=True)
    table.add_column("name")
    table.add_column("description")
    for name, description in shipped().items():
        table.add_row(name, description)
    console.print(table)


@app.command("plan")
def plan_scenarios_cmd(
    scenario: list[str] | None = typer.Argument(
        None, help="Shipped scenario names or scenario YAML files (default: every shipped one)."
    ),
    as_json: bool = typer.Option(False, "--json", help="One JSON object on stdout."),
) -> None:
    """Solve the guidance of scenarios' launches, every distinct aim of them all in one batch,
    and keep the solutions in the plan cache: on a new machine, or after a change to the flight
    model, the runs that follow start at once."""
    import time

    from lookout.flight.plancache import cache_dir
    from lookout.scenario import shipped
    from lookout.simulate import plan_scenarios

    names = list(scenario) if scenario else list(shipped())
    scs = [load_scenario(name) for name in names]
    t0, c0 = time.perf_counter(), time.process_time()
    results = plan_scenarios(scs)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    folder = cache_dir()
    summary = {
        "scenarios": {
            sc.name: {
                "launches": len(rs),
                "errors": [str(x) for x in rs if isinstance(x, Exception)],
            }
            for sc, rs in zip(scs, results, strict=True)
        },
        "cpu_s": cpu,
        "wall_s": wall,
        "cache_dir": str(folder) if folder is not None else None,
    }
    errors = [e for v in summary["scenarios"].values() for e in v["errors"]]
    if as_json:
        typer.echo(json.dumps(summary))
    else:
        table = Table(title=f"planned in one batch: {cpu:.1f} CPU s ({wall:.1f} s)")
        table.add_column("scenario")
        table.add_column("launches", justify="right")
        table.add_column("cannot be flown")
        for name, v in summary["scenarios"].items():
            table.add_row(name, str(v["launches"]), "; ".join(v["errors"]) or "–")
        console.print(table)
        where = f"kept in {folder}" if folder is not None else "not kept (LOOKOUT_CACHE_DIR=off)"
        console.print(f"solutions {where}", highlight=False)
    if errors:
        raise typer.Exit(1)


@app.command()
def simulate(
    scenario: str = typer.Argument(..., help="A shipped scenario name or a scenario YAML file."),
    out: Path | None = typer.Option(
        None, help="Write truth.jsonl and detections.jsonl into this directory."
    ),
    plot: Path | None = typer.Option(None, help="Write a map (PNG) of tracks and coverage."),
    as_json: bool = typer.Option(False, "--json", help="One JSON summary object on stdout."),
) -> None:
    """Fly a scenario's launches and let every partner's sensors look: truth and detections."""
    from lookout.simulate import simulate as run_simulation
    from lookout.simulate import write

    sc = load_scenario(scenario)
    with stage_progress(disabled=as_json) as progress:
        sim = run_simulation(sc, progress=progress)
    paths = write(sim, out) if out is not None else {}
    if plot is not None:
        from lookout.app.plots import scenario_map

        paths["plot"] = scenario_map(sim, plot)
    wall = sum(sim.timings.values())
    summary = {
        "scenario": sc.name,
        "launches": len(sc.launches),
        "objects": len(sim.trajectories),
        "sensors": len(sim.sensors),
        "detections": len(sim.detections),
        "false_alarms": sum(label is None for label in sim.labels),
        "sim_s": sc.duration_s,
        "timings_s": sim.timings,
        "files": {k: str(v) for k, v in paths.items()},
    }
    if as_json:
        typer.echo(json.dumps(summary))
        return
    console.print(
        f"[bold]{sc.name}[/]: {summary['launches']} launches, {summary['objects']} objects, "
        f"{summary['sensors']} sensors; {summary['detections']} detections "
        f"({summary['false_alarms']} false alarms) over {sc.duration_s:.0f} s simulated "
        f"in {wall:.1f} s",
        highlight=False,
    )
    for name, path in paths.items():
        console.print(f"  {name}: {path}", highlight=False)


@app.command()
def generate(
    out: Path = typer.Option(Path("generated"), help="Directory for the scenario files."),
    seed: int = typer.Option(1, help="Seed of the set: the same seed, the same files."),
    count: int = typer.Option(12, help="How many scenarios."),
    region: str = typer.Option(
        "korea", help="korea, middle-east, south-asia, russia, space, or world (all in turn)."
    ),
) -> None:
    """Write a seeded set of varied scenarios (sites on land and at sea, bearings, ranges,
    lofts, vehicles, a fourth partner), each planned to fly as asked; see
    lookout/scenario/generate.py."""
    from lookout.scenario.generate import check_region, write
    from lookout.scenario.generate import generate as draw

    if count < 1:
        fail(f"count = {count}, expected at least 1")
    if seed < 0:
        fail(f"seed = {seed}, expected an integer >= 0")
    try:
        check_region(region)
    except ValueError as e:
        fail(str(e))
    with stage_progress() as progress:
        scenarios = draw(
            seed, count, lambda done, total: progress("plan", done, total), region=region
        )
    for path, sc in zip(write(scenarios, out), scenarios, strict=True):
        console.print(f"{path}: {sc['description']}", highlight=False)


@app.command("track")
def track_scenario(
    scenario: str = typer.Argument(..., help="A shipped scenario name or a scenario YAML file."),
    out: Path | None = typer.Option(
        None, help="Write tracks.jsonl, assessments.jsonl and scores.json into this directory."
    ),
    plot: Path | None = typer.Option(None, help="Write a PNG of errors over time."),
    assess_period_s: float = typer.Option(5.0, help="Assess every track this often (s)."),
    as_json: bool = typer.Option(False, "--json", help="One JSON object on stdout."),
) -> None:
    """Simulate a scenario, track every partner's detections, assess, and score against truth."""
    from lookout.scoring.evaluation import evaluate

    sc = load_scenario(scenario)
    if not assess_period_s > 0:
        fail(f"assess-period-s = {assess_period_s:g}, expected a positive number of seconds")
    with stage_progress(disabled=as_json) as progress:
        ev = evaluate(sc, assess_period_s=assess_period_s, progress=progress)
    result = ev.to_dict()
    if out is not None:
        from lookout.scoring.evaluation import write_outputs

        write_outputs(ev, out)
    if plot is not None:
        from lookout.app.plots import tracking_plot

        tracking_plot(ev, plot)
    if as_json:
        typer.echo(json.dumps(result))
        return
    _print_track_result(result)


def _print_track_result(r: dict) -> None:
    def f(x, spec=".0f"):
        return "-" if x is None else format(x, spec)

    table = Table(title=f"lookout track {r['scenario']}")
    table.add_column("phase")
    for col in ("RMSE pos (m)", "PCRLB pos (m)", "RMSE/PCRLB", "RMSE vel (m/s)", "NEES mean"):
        table.add_column(col, justify="right")
    for ph in ("boost", "coast", "reentry"):
        table.add_row(
            ph,
            f(r["rmse_pos_m"][ph]),
            f(r["pcrlb_pos_m"][ph]),
            f(r["rmse_over_pcrlb_pos"][ph], ".2f"),
            f(r["rmse_vel_mps"][ph], ".1f"),
            f(r["nees_mean"][ph], ".1f"),
        )
    console.print(table)
    console.print(
        f"tracks {r['tracks']}, truths {r['truths']}, false tracks {r['false_tracks']}, "
        f"missed truths {r['missed_truths']}, id switches {r['id_switches']}, "
        f"NEES in bounds (coast) {f(r['nees_in_bounds_fraction'], '.2f')}, "
        f"GOSPA mean {f(r['gospa_mean'])} m; {r['detections']} detections tracked at "
        f"{f(r['detections_per_s'])}/s; {r['sim_s']:.0f} s simulated in {r['wall_s']:.1f} s "
        f"(x{f(r['realtime_factor'], '.1f')})",
        highlight=False,
    )
    console.print(
        f"phantom launches {r['phantom_launches']}, false overflight claims "
        f"{r['false_overflight_claims']}, false impact-area claims "
        f"{r['false_impact_area_claims']}, at most {r['max_tracks_per_object']} tracks on one "
        f"object, single-track share {f(r['single_track_fraction'], '.2f')}",
        highlight=False,
    )
    flights = Table(title="flights")
    for col in (
        "flight", "class", "orbital", "1st prediction (s)", "in ellipse",
        "launch pt err (km)", "impact err (km)", "overflown",
    ):  # fmt: skip
        flights.add_column(col)
    for fid, fl in r["flights"].items():
        flights.add_row(
            fid,
            str(fl["class"]),
            str(fl["orbital"]),
            f(fl["first_prediction_s"]),
            f(fl["ellipse_containment"], ".2f"),
            f(fl["launch_point_error_km"], ".1f"),
            f(fl["final_impact_error_km"], ".1f"),
            " ".join(fl["overflown"]),
        )
    console.print(flights)
