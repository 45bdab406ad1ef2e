"""The ``lookout`` command-line tool."""

from __future__ import annotations

import contextlib
import json
import sys
import time
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

console = Console()


def fail(message: str) -> None:
    """One-line error, exit status 2."""
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(2)


def _user_error_types() -> tuple[type[BaseException], ...]:
    """Errors whose message is all the user needs: Lookout's own (``LookoutError``, the root in
    ``lookout/errors.py``: a scenario, an aim, a policy, an audit log, a broker's refusal), and a
    file that cannot be read or parsed. The message names the field and the value."""
    import sqlite3

    import yaml

    from lookout.errors import LookoutError

    return (LookoutError, OSError, sqlite3.Error, yaml.YAMLError)


def one_line_errors(command):
    """Wrap a command so that no traceback reaches the user: a user error (``_user_error_types``)
    prints ``error: MESSAGE`` and exits 2; anything else is a bug, printed in one line with its
    type and exit status 1 (``LOOKOUT_DEBUG=1`` lets the traceback through)."""
    import functools
    import os

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except (typer.Exit, typer.Abort, typer.TyperException):
            raise
        except Exception as e:  # noqa: BLE001 - the one place errors become messages
            if os.environ.get("LOOKOUT_DEBUG"):
                raise
            message = " ".join(str(e).split()) or type(e).__name__
            if isinstance(e, _user_error_types()):
                fail(message)
            typer.echo(
                f"error: internal error ({type(e).__name__}): {message} "
                "(a bug: LOOKOUT_DEBUG=1 shows where)",
                err=True,
            )
            raise typer.Exit(1) from None

    return wrapper


class _Typer(typer.Typer):
    """A Typer whose every command is wrapped by :func:`one_line_errors` (commands added by any
    module get it by registering on ``app`` or ``bench_app`` as usual)."""

    def command(self, *args, **kwargs):
        register = super().command(*args, **kwargs)

        def decorator(f):
            register(one_line_errors(f))
            return f

        return decorator


app = _Typer(
    help="Lookout: a missile-launch early-warning exchange and its simulator.",
    no_args_is_help=True,
    add_completion=False,
)
bench_app = _Typer(
    help="Benchmarks, each against a named baseline in the same run.", no_args_is_help=True
)
app.add_typer(bench_app, name="bench")


@contextlib.contextmanager
def stage_progress(disabled: bool = False):
    """A progress bar per stage on stderr; yields the ``progress(stage, done, total)`` callback
    the long runs take."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=Console(stderr=True), disable=disabled) as bar:
        tasks: dict[str, int] = {}

        def progress(stage: str, done: float, total: float) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(stage, total=max(total, 1e-9))
            bar.update(tasks[stage], completed=done, total=max(total, 1e-9))

        yield progress


def load_scenario(name_or_path: str):
    """A scenario, or a one-line error naming the field at fault (exit 2)."""
    from lookout.scenario import ScenarioError, load

    try:
        return load(name_or_path)
    except ScenarioError as e:
        fail(str(e))


def parse_lat_lon(text: str, what: str) -> tuple[float, float]:
    try:
        lat, lon = (float(x) for x in text.split(","))
    except ValueError:
        fail(f"{what} {text!r} is not LAT,LON in degrees")
    if not -90.0 <= lat <= 90.0:
        fail(f"{what} latitude {lat:g} is outside -90..90 degrees")
    if not -180.0 <= lon <= 360.0:
        fail(f"{what} longitude {lon:g} is outside -180..360 degrees")
    return lat, lon


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
) -> None:
    """Write a seeded set of varied scenarios (sites on land and at sea, bearings, ranges,
    lofts, vehicles, a fourth partner), each planned to fly as asked; see
    lookout/scenario/generate.py."""
    from lookout.scenario.generate import generate as draw
    from lookout.scenario.generate import write

    if count < 1:
        fail(f"count = {count}, expected at least 1")
    if seed < 0:
        fail(f"seed = {seed}, expected an integer >= 0")
    with stage_progress() as progress:
        scenarios = draw(seed, count, lambda done, total: progress("plan", done, total))
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


@app.command()
def demo(
    scenario: str = typer.Argument("lost-track", help="A shipped scenario name or a YAML file."),
    speed: float = typer.Option(1.0, help="Times real time; 0 runs as fast as it can."),
    duration_s: float | None = typer.Option(None, help="Stop after this much scenario time."),
    audit: Path = typer.Option(
        Path("lookout-audit.sqlite"), help="The exchange's audit log (replay it with replay)."
    ),
    alerts_dir: Path | None = typer.Option(
        None, help="Write every public warning (CAP XML) here, with index.atom of the active."
    ),
    as_json: bool = typer.Option(False, "--json", help="No live view; a JSON summary at the end."),
    # -- web (lookout.web): the page, CAP and JSON over HTTP, CoT for TAK ------------------------
    web: bool | None = typer.Option(None, "--web/--no-web", help="Serve the page (default: on, "
                                    "off with --json)."),
    port: int = typer.Option(0, help="Port of the page (0: a free one); on 127.0.0.1."),
    stay: bool | None = typer.Option(None, "--stay/--no-stay", help="Keep serving after the "
                                     "run until Ctrl-C (default: when run from a terminal)."),
    policy: Path | None = typer.Option(None, help="Releasability policy (default: the demo's)."),
    cot_port: int | None = typer.Option(None, help="Serve CoT for TAK: one port per view from "
                                        "this one (0: free ports)."),
    cot_cert: Path | None = typer.Option(None, help="CoT over TLS: server certificate (PEM)."),
    cot_key: Path | None = typer.Option(None, help="CoT over TLS: its private key (PEM)."),
    cot_ca: Path | None = typer.Option(None, help="CoT over TLS: CA that signs client certs."),
    cot_policy: Path | None = typer.Option(None, help="CoT affiliation policy (YAML)."),
) -> None:
    """The main job, embedded: a scenario's sensors, three partner nodes, the exchange, fusion and
    assessment in one process, each partner issuing its public warnings, with the live common
    picture and the warnings in the terminal and in a browser."""
    from rich.live import Live

    from lookout.app.demo import run_demo
    from lookout.simulate import simulate as run_simulation

    sc = load_scenario(scenario)
    if speed < 0:
        fail(f"speed = {speed:g}, expected 0 (as fast as possible) or a positive factor")
    if duration_s is not None and not duration_s > 0:
        fail(f"duration-s = {duration_s:g}, expected a positive number of seconds")
    if not audit.parent.is_dir():
        fail(f"audit = '{audit}': directory '{audit.parent}' does not exist")
    pol = _policy_doc(policy)
    web_options = _web_options(port, stay, cot_port, cot_cert, cot_key, cot_ca, cot_policy)
    if not as_json:
        console.print(f"[bold]{sc.name}[/]: {sc.description}", highlight=False)
        console.print("simulating the sensors...", highlight=False)
    sim = run_simulation(sc)
    if as_json and web:
        result = _run_with_web("demo", sc, web_options, speed=speed, audit_path=audit,
                               duration_s=duration_s, sim=sim, stderr=True, alerts_dir=alerts_dir,
                               **({"policy": pol} if pol else {}))
        typer.echo(json.dumps(result.summary()))
        return
    if as_json:
        result = run_demo(sc, speed=speed, audit_path=audit, duration_s=duration_s, sim=sim,
                          alerts_dir=alerts_dir, **({"policy": pol} if pol else {}))
        typer.echo(json.dumps(result.summary()))
        return
    from lookout.app.terminal import render_picture

    with Live(console=console, refresh_per_second=4, transient=False) as live:
        run_kwargs = dict(speed=speed, audit_path=audit, duration_s=duration_s, sim=sim,
                          on_tick=lambda state: live.update(render_picture(state)),
                          alerts_dir=alerts_dir)  # fmt: skip
        if pol is not None:
            run_kwargs["policy"] = pol
        if web is False:
            result = run_demo(sc, **run_kwargs)
        else:
            result = _run_with_web("demo", sc, web_options, **run_kwargs)
    judged = result.scores()
    summary = result.summary(judged)
    console.print(picture_scores_table(judged))
    console.print(
        f"done: {summary['sim_s']:.0f} s of scenario in {summary['wall_s']:.1f} s; "
        f"{summary['alerts']} public warnings; "
        f"audit log {summary['audit']} (lookout replay {summary['audit']})",
        highlight=False,
    )
    if alerts_dir is not None:
        console.print(f"alerts: {alerts_dir}/ (index.atom)", highlight=False)


@app.command()
def replay(
    log: Path = typer.Argument(..., help="An audit log written by lookout demo."),
    scores: bool = typer.Option(
        True, help="Score each picture against the logged scenario's truth (simulated again)."
    ),
    as_json: bool = typer.Option(False, "--json"),
    web: bool = typer.Option(False, "--web", help="Serve the replayed picture in a browser, with "
                             "a time slider, until Ctrl-C."),
    port: int = typer.Option(0, help="With --web: port of the page (0: a free one)."),
) -> None:
    """Rebuild every partner's picture from an audit log alone, summarise it and score it."""
    from lookout.app.demo import replay_log, replay_scores
    from lookout.exchange.envelope import decode, decode_payload
    from lookout.scenario import ScenarioError

    if not log.is_file():
        fail(f"audit log {str(log)!r} does not exist")
    if web:
        try:
            _run_with_web("replay", log, _web_options(port, True, None, None, None, None, None))
        except (ValueError, RuntimeError) as e:  # a broken log or scenario: one line
            fail(f"{log}: cannot replay: {e}")
        return
    try:
        picture = replay_log(log)
    except Exception as e:  # noqa: BLE001 - any broken log is reported in one line
        fail(f"{log}: cannot replay: {e}")
    from lookout.app.demo import replay_alerts

    try:
        warnings = replay_alerts(log, picture)
    except Exception as e:  # noqa: BLE001 - any broken log is reported in one line
        fail(f"{log}: cannot decide the warnings again: {e}")
    judged = {}
    if scores:
        try:
            judged = replay_scores(log, picture)
        except ScenarioError as e:
            fail(f"{log}: cannot score: {e} (--no-scores replays without)")
    summary = {}
    for recipient, items in sorted(picture.items()):
        kinds: dict[str, int] = {}
        last: dict[str, object] = {}
        for subject, data in items:
            kind = subject.rsplit(".", 1)[-1]
            kinds[kind] = kinds.get(kind, 0) + 1
            if kind == "system_track":
                st = decode_payload(decode(data))
                last[st.system_track_id] = st
        summary[recipient] = {"delivered": kinds, "system_tracks": sorted(last)}
        if recipient in warnings:
            w = warnings[recipient]
            summary[recipient]["alerts"] = {
                "issued_live": len(w["logged"]),
                "decided_again": len(w["alerts"]),
                "identical": w["identical"],
            }
        if recipient in judged:
            summary[recipient]["scores"] = judged[recipient].to_dict()
    if as_json:
        typer.echo(json.dumps(summary))
        return
    table = Table(title=f"replay of {log}")
    table.add_column("partner")
    table.add_column("delivered")
    table.add_column("system tracks seen")
    table.add_column("warnings (live / decided again)")
    for recipient, s in summary.items():
        delivered = ", ".join(f"{k} {v}" for k, v in sorted(s["delivered"].items()))
        w = s.get("alerts")
        said = (
            "-"
            if w is None
            else (
                f"{w['issued_live']} / {w['decided_again']}, "
                + ("byte for byte" if w["identical"] else "DIFFERENT")
            )
        )
        table.add_row(recipient, delivered, str(len(s["system_tracks"])), said)
    console.print(table)
    if judged:
        console.print(picture_scores_table(judged))
    if any(not w["identical"] for w in warnings.values()):
        raise typer.Exit(1)


def picture_scores_table(judged: dict) -> Table:
    """Each partner's picture scores (``lookout.scoring.picture``) as a table."""

    def f(x, spec=".2f"):
        return "-" if x is None else format(x, spec)

    table = Table(title="each partner's picture against the truth")
    columns = (
        "partner", "phantom launches", "false overflights", "false impact areas",
        "max tracks/object", "single-track share", "id switches", "false track-s",
        "GOSPA m", "NEES in bounds (coast)",
    )  # fmt: skip
    for col in columns:
        table.add_column(col, justify="right")
    for p, ps in judged.items():
        d = ps.to_dict()
        table.add_row(
            p,
            str(d["phantom_launches"]),
            str(d["false_overflight_claims"]),
            str(d["false_impact_area_claims"]),
            str(d["max_system_tracks_per_object"]),
            f(d["single_track_fraction"]),
            str(d["id_switches"]),
            f(d["false_track_s"], ".0f"),
            f(d["gospa_mean"], ".0f"),
            f(d["nees_in_bounds_fraction"]),
        )
    return table


@app.command("warn")
def warn_scenario(
    scenario: str = typer.Argument(..., help="A shipped scenario name or a scenario YAML file."),
    alerts_dir: Path | None = typer.Option(
        None, help="Write every public warning (CAP XML) here, with index.atom of the active."
    ),
    alone: str | None = typer.Option(
        None, help="Run this partner alone: its own sensors only, without the exchange."
    ),
    as_json: bool = typer.Option(False, "--json", help="One JSON object on stdout."),
) -> None:
    """Run the whole chain on a scenario, every partner issuing its public warnings (CAP 1.2),
    and judge each against the truth: lead times, missed and false areas, all-clears."""
    from lookout.app.warn_run import run_warn

    sc = load_scenario(scenario)
    if alone is not None and alone not in [p.id for p in sc.partners]:
        fail(f"alone = {alone!r}, expected one of the partners {[p.id for p in sc.partners]}")
    with stage_progress(disabled=as_json) as progress:
        result = run_warn(sc, alone=alone, alerts_dir=alerts_dir, progress=progress)
    if as_json:
        typer.echo(json.dumps(result))
        return
    _print_warn_result(result)


def _print_warn_result(r: dict) -> None:
    def f(x, spec=".0f"):
        return "-" if x is None else format(x, spec)

    table = Table(title=f"lookout warn {r['scenario']} ({r['mode']})")
    for col in ("flight", "area", "truth (s)", "1st message (s)", "lead (s)", "shelter",
                "all clear (s)", "messages"):  # fmt: skip
        table.add_column(col)
    for a in r["areas"]:
        table.add_row(
            str(a["flight"]),
            f"{a['partner']}:{a['code']} {a['name_en']}",
            f(a["truth_s"]),
            f(a["first_message_s"]),
            f(a["lead_s"]),
            "yes" if a["shelter"] else "no",
            f(a["all_clear_s"]),
            " ".join(a["kinds"]),
        )
    console.print(table)
    console.print(
        f"messages {r['messages']} (XSD {'valid' if r['xsd_valid'] else 'INVALID'}); "
        f"missed areas {r['missed_areas'] or 'none'}; false areas {r['false_areas'] or 'none'}; "
        f"withdrawals {r['withdrawals']}; maritime {len(r['maritime'])}; "
        f"{r['wall_s']:.0f} s",
        highlight=False,
    )


audit_app = typer.Typer(
    help="The exchange's audit log: check its hash chain and signatures, export it.",
    no_args_is_help=True,
)
app.add_typer(audit_app, name="audit")


def _audit_keys(log: Path, keys: Path | None):
    """The senders' public keys and the exchange's, from a directory of <NAME>.pub files or
    (simulation) derived from the seed the log's metadata records."""
    from lookout.exchange.audit import read_meta
    from lookout.exchange.keys import EXCHANGE, Keyring

    if keys is not None:
        if not keys.is_dir():
            fail(f"keys {str(keys)!r} is not a directory of <NAME>.pub files")
        ring = Keyring.from_dir(keys)
    else:
        import yaml

        meta = read_meta(log)
        text = {k: v.decode() if isinstance(v, bytes) else v for k, v in meta.items()}
        if "key_seed" not in text or "policy" not in text:
            fail(f"{log}: no key seed in its metadata; pass --keys DIR with <NAME>.pub files")
        partners = list(yaml.safe_load(text["policy"])["partners"])
        ring = Keyring.derived(text["key_seed"], [*partners, EXCHANGE])
    return ring, ring.get(EXCHANGE)


@audit_app.command("verify")
def audit_verify(
    log: Path = typer.Argument(..., help="An audit log (lookout demo or lookout serve)."),
    keys: Path | None = typer.Option(
        None, help="Directory of <NAME>.pub public keys (default: derived from the log's seed)."
    ),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Check the hash chain over every row (any row changed, removed or inserted breaks it),
    the checkpoints and their signatures, and the signature of every envelope taken. Exit
    status 1 when anything is wrong."""
    from lookout.exchange.audit import verify

    if not log.is_file():
        fail(f"audit log {str(log)!r} does not exist")
    ring, exchange_key = _audit_keys(log, keys)
    try:
        result = verify(log, ring, exchange_key)
    except Exception as e:  # noqa: BLE001 - a file that is no audit log
        fail(f"{log}: cannot read it as an audit log: {e}")
    summary = {
        "ok": result.ok,
        "rows": result.rows,
        "signatures": result.signatures,
        "checkpoints": result.checkpoints,
        "last_checkpoint_row": result.last_checkpoint_row,
        "problems": result.problems,
    }
    if as_json:
        typer.echo(json.dumps(summary))
    else:
        state = "[green]intact[/]" if result.ok else "[red]NOT intact[/]"
        console.print(
            f"{log}: {state}: {result.rows} rows chained, {result.signatures} envelope "
            f"signatures and {result.checkpoints} checkpoints verified (last at row "
            f"{result.last_checkpoint_row})",
            highlight=False,
        )
        for problem in result.problems:
            console.print(f"  {problem}", highlight=False)
    if not result.ok:
        raise typer.Exit(1)


@audit_app.command("export")
def audit_export(
    log: Path = typer.Argument(..., help="An audit log, even one whose process was killed."),
    out: Path = typer.Argument(..., help="The single-file copy to write."),
) -> None:
    """Copy an audit log into one self-contained SQLite file, with what its -wal file holds
    (after a kill the last commits live only there; a copy of the .sqlite alone is short)."""
    from lookout.exchange.audit import export

    if not log.is_file():
        fail(f"audit log {str(log)!r} does not exist")
    if out.resolve() == log.resolve():
        fail("out: the copy must be another file than the log")
    try:
        rows = export(log, out)
    except Exception as e:  # noqa: BLE001 - reported in one line
        fail(f"{log}: cannot export: {e}")
    console.print(f"{out}: {rows} rows", highlight=False)


def _scenario_and_policy(scenario: str, policy: Path | None):
    from lookout.exchange.policy import Policy, PolicyError

    sc = load_scenario(scenario)
    if policy is not None and not policy.is_file():
        fail(f"policy = '{policy}': no such file")
    try:
        pol = Policy.load(policy) if policy is not None else None
    except PolicyError as e:
        fail(str(e))
    return sc, pol


def _is_policy_file(name: str) -> bool:
    """Whether ``name`` is a releasability policy file rather than a scenario (a shipped name
    or a scenario file), told by its content: a policy's sections are partners, publish and
    release, with partners a mapping of ids to sensor ids; a scenario has an epoch, a seed and
    a list of partners. Neither: a one-line error naming the file."""
    import yaml

    from lookout.scenario import yaml_problem

    path = Path(name)
    if not path.is_file():
        if name.endswith((".yaml", ".yml")):
            fail(f"{name!r} does not exist (expected a policy or scenario YAML file)")
        return False  # a shipped scenario's name
    try:
        data = yaml.safe_load(path.read_text())
    except yaml.YAMLError as e:
        fail(f"{name}: not valid YAML: {yaml_problem(e)}")
    if isinstance(data, dict) and isinstance(data.get("partners"), dict):
        return True
    if isinstance(data, dict) and ({"epoch", "seed", "launches", "duration_s"} & set(data)):
        return False
    fail(
        f"{name}: neither a releasability policy (sections partners, publish, release, with "
        "partners a mapping of ids to sensor ids) nor a scenario (epoch, seed, duration_s, a "
        "list of partners)"
    )


@app.command("nats-config")
def nats_config_cmd(
    policy: str = typer.Argument(
        ..., help="A releasability policy YAML, or a scenario (its demo policy)."
    ),
    out: Path = typer.Option(Path("nats"), help="Directory for the config and credentials."),
    port: int = typer.Option(4222, help="Client port of the server."),
    host: str = typer.Option("127.0.0.1", help="Address the server listens on."),
    tls: bool = typer.Option(False, help="Make a CA and a server certificate; clients use TLS."),
) -> None:
    """Write a nats-server configuration whose per-partner accounts and permissions enforce the
    policy at the broker, and one credentials file per partner and for the exchange."""
    from lookout.app.defaults import default_policy
    from lookout.exchange.nats_config import write_setup
    from lookout.exchange.policy import Policy

    if _is_policy_file(policy):
        pol = Policy.load(policy)
    else:
        sc, _ = _scenario_and_policy(policy, None)
        pol = Policy.from_dict(default_policy(sc))
    paths = write_setup(pol, out, url=f"nats://{host}:{port}", host=host, port=port, tls=tls)
    for name, path in paths.items():
        console.print(f"{name}: {path}", highlight=False)
    console.print(f"start it with: nats-server -c {paths['config']}", highlight=False)


def _nats_bus(bus: str, credentials: Path | None, **kwargs):
    from lookout.exchange.nats_bus import NatsBus

    if credentials is not None:
        if not credentials.is_file():
            fail(f"credentials = '{credentials}': no such file (lookout nats-config writes them)")
        return NatsBus.from_credentials(str(credentials), **kwargs)
    if not bus.startswith(("nats://", "tls://")):
        fail(f"bus = {bus!r}, expected a nats://USER:PASSWORD@HOST:PORT url")
    return NatsBus(bus.split(","), **kwargs)


def _start(text: str) -> float | str:
    """``--start``: a Unix time, or ``@FILE`` (kept as is: waited for once set up)."""
    if text.startswith("@"):
        return text
    try:
        return float(text)
    except ValueError:
        fail(f"start = {text!r}, expected a Unix time in seconds or @FILE holding one")


def _ready(name: str, as_json: bool):
    def ready() -> None:
        if as_json:
            typer.echo(json.dumps({"ready": name, "unix_s": time.time()}))
            sys.stdout.flush()

    return ready


@app.command()
def serve(
    scenario: str = typer.Option(..., help="The scenario being played (policy, keys)."),
    bus: str = typer.Option("nats://127.0.0.1:4222", help="nats://EXCHANGE:PASSWORD@HOST:PORT"),
    credentials: Path | None = typer.Option(None, help="EXCHANGE.json from nats-config."),
    policy: Path | None = typer.Option(None, help="Releasability policy (default: the demo's)."),
    start: str = typer.Option(
        ..., help="Unix time at which the scenario epoch is played, or @FILE (waited for)."
    ),
    speed: float = typer.Option(1.0, help="Times real time."),
    audit: Path = typer.Option(Path("lookout-audit.sqlite"), help="Audit log."),
    replicas: int = typer.Option(1, help="Stream replicas (3 on a cluster)."),
    until_s: float | None = typer.Option(None, help="Stop at this scenario time (s)."),
    as_json: bool = typer.Option(False, "--json", help="Status as one JSON object a line."),
    web: bool = typer.Option(False, "--web", help="Serve the common picture and each partner's "
                             "view in a browser."),
    port: int = typer.Option(0, help="With --web: port of the page (0: a free one)."),
    cot_port: int | None = typer.Option(None, help="With --web: CoT for TAK, one port per view "
                                        "from this one."),
    cot_cert: Path | None = typer.Option(None, help="CoT over TLS: server certificate (PEM)."),
    cot_key: Path | None = typer.Option(None, help="CoT over TLS: its private key (PEM)."),
    cot_ca: Path | None = typer.Option(None, help="CoT over TLS: CA that signs client certs."),
    cot_policy: Path | None = typer.Option(None, help="CoT affiliation policy (YAML)."),
    workers: int = typer.Option(
        0, help="Assessors of the picture workers (lookout fusion, lookout assessor); 0: fusion "
        "and assessment in this process."
    ),  # fmt: skip
) -> None:
    """The exchange service on NATS JetStream: verify, audit, release, relay; and fuse and
    assess, unless picture workers do (--workers). Restarted on the same audit log, it resumes
    where it stopped."""
    import asyncio

    from lookout.app.picture_workers import exchange_streams
    from lookout.app.service import policy_for
    from lookout.app.service import serve as run_service

    sc, pol = _scenario_and_policy(scenario, policy)
    pol = policy_for(sc, pol)
    if workers < 0:
        fail(f"workers = {workers}, expected 0 or more")

    def status(exchange, picture, t):
        c = exchange.counters()
        now = len(picture.current) if picture is not None else None
        if as_json:
            c.update(t_s=t, unix_s=time.time(), system_tracks_now=now)
            typer.echo(json.dumps(c), nl=True)
            sys.stdout.flush()
            return
        shed = sum(c["shed"].values())
        console.print(
            f"t={t:7.1f}s accepted {sum(c['accepted'].values())} late "
            f"{sum(c['late'].values())} refused "
            f"{sum(sum(v.values()) for v in c['refused'].values())} delivered "
            f"{sum(c['delivered'].values())} shed {shed} system tracks {c['system_tracks']}",
            highlight=False,
        )

    nats = _nats_bus(
        bus, credentials, partners=pol.partners, manage_streams=True, replicas=replicas,
        linger_s=0.002, pull_batch=64, ack_wait_s=60.0,  # in flight: at most 64, unacked < 60 s
        streams=exchange_streams(list(pol.partners), workers),
    )  # fmt: skip
    try:
        if web:
            _run_with_web("serve", sc, pol, _web_options(port, False, cot_port, cot_cert, cot_key,
                          cot_ca, cot_policy), lambda on_start: run_service(
                sc, nats, start_unix_s=_start(start), speed=speed, audit_path=str(audit),
                policy=pol, status=status, until_s=until_s, ready=_ready("EXCHANGE", as_json),
                workers=workers, on_start=on_start))  # fmt: skip
            return
        asyncio.run(
            run_service(sc, nats, start_unix_s=_start(start), speed=speed,
                        audit_path=str(audit), policy=pol, status=status, until_s=until_s,
                        ready=_ready("EXCHANGE", as_json), workers=workers)
        )  # fmt: skip
    except (ConnectionError, OSError) as e:
        fail(f"cannot reach the bus {bus}: {e}")


@app.command()
def node(
    partner: str = typer.Option(..., help="This node's partner id (KR, JP, US)."),
    scenario: str = typer.Option(..., help="The scenario being played (sensors, keys)."),
    bus: str = typer.Option("nats://127.0.0.1:4222", help="nats://PARTNER:PASSWORD@HOST:PORT"),
    credentials: Path | None = typer.Option(None, help="PARTNER.json from nats-config."),
    policy: Path | None = typer.Option(None, help="Releasability policy (default: the demo's)."),
    start: str = typer.Option(
        ..., help="Unix time at which the scenario epoch is played, or @FILE (waited for)."
    ),
    speed: float = typer.Option(1.0, help="Times real time."),
    until_s: float | None = typer.Option(None, help="Stop at this scenario time (s)."),
    state_dir: Path = typer.Option(
        Path("lookout-node-state"), help="Where the node keeps what a restart resumes from."
    ),
    as_json: bool = typer.Option(False, "--json", help="Status as one JSON object a line."),
    web: bool = typer.Option(False, "--web", help="Serve this partner's own view in a browser."),
    port: int = typer.Option(0, help="With --web: port of the page (0: a free one)."),
) -> None:
    """One partner's node on NATS: its sensors' detections out (signed, as the policy allows),
    the common picture in. Restarted with the same state directory, it resumes where it
    stopped."""
    import asyncio

    from lookout.app.service import run_node

    sc, pol = _scenario_and_policy(scenario, policy)

    def status(n, t):
        st = n.exchange_status
        if as_json:
            line = {
                "partner": partner, "t_s": t, "unix_s": time.time(), "sent": dict(n.sent),
                "received": dict(n.received), "refused": dict(n.refused),
                "last_refusal": n.last_refusal,
                "picture_tracks": len(n.view.tracks),
                "degraded": bool(st is not None and st.degraded),
            }  # fmt: skip
            typer.echo(json.dumps(line))
            sys.stdout.flush()
            return
        degraded = " DEGRADED (the exchange is behind)" if st is not None and st.degraded else ""
        console.print(
            f"{partner} t={t:7.1f}s sent {sum(n.sent.values())} received "
            f"{sum(n.received.values())} picture {len(n.view.tracks)} tracks{degraded}",
            highlight=False,
        )

    nats = _nats_bus(bus, credentials)
    try:
        if web:
            _run_with_web("node", sc, partner, pol, _web_options(port, False, *[None] * 5),
                          lambda on_start: run_node(
                sc, partner, nats, start_unix_s=_start(start), speed=speed, policy=pol,
                status=status, until_s=until_s, state_dir=state_dir,
                ready=_ready(partner, as_json), on_start=on_start))  # fmt: skip
            return
        asyncio.run(
            run_node(sc, partner, nats, start_unix_s=_start(start), speed=speed, policy=pol,
                     status=status, until_s=until_s, state_dir=state_dir,
                     ready=_ready(partner, as_json))
        )  # fmt: skip
    except ValueError as e:
        fail(str(e))
    except (ConnectionError, OSError) as e:
        fail(f"cannot reach the bus {bus}: {e}")


# -- web (lookout.web): shared by demo, replay, serve and node --------------------------------


def _policy_doc(path: Path | None) -> dict | None:
    """A releasability policy file as plain data (checked), or None."""
    if path is None:
        return None
    import yaml

    from lookout.exchange.policy import Policy, PolicyError

    try:
        Policy.load(path)
    except PolicyError as e:
        fail(str(e))
    return yaml.safe_load(path.read_text())


def _web_options(port, stay, cot_port, cot_cert, cot_key, cot_ca, cot_policy):
    from lookout.app.web_run import WebOptions
    from lookout.web.cot import CotPolicy, CotPolicyError

    if not 0 <= port <= 65535:
        fail(f"port = {port}, expected 0 (a free port) to 65535")
    if cot_port is not None and not 0 <= cot_port <= 65535:
        fail(f"cot-port = {cot_port}, expected 0 (free ports) to 65535")
    for name, p in (("cot-cert", cot_cert), ("cot-key", cot_key), ("cot-ca", cot_ca)):
        if p is not None and not p.is_file():
            fail(f"{name} = {str(p)!r}: no such file")
    try:
        cpol = CotPolicy.load(cot_policy) if cot_policy is not None else None
    except CotPolicyError as e:
        fail(str(e))
    if stay is None:
        stay = sys.stdin.isatty()
    return WebOptions(port=port, stay=stay, cot_port=cot_port, cot_cert=cot_cert,
                      cot_key=cot_key, cot_ca=cot_ca, cot_policy=cpol)  # fmt: skip


def _run_with_web(kind: str, *args, stderr: bool = False, **kwargs):
    """Run a job with the web server (``lookout.app.web_run``); its addresses go to the console
    (to stderr with ``stderr``, when stdout carries JSON)."""
    import asyncio

    from lookout.app import web_run as run

    out = Console(stderr=True) if stderr else console
    announce = lambda text: out.print(text, highlight=False, soft_wrap=True)  # noqa: E731
    job = {"demo": run.demo, "replay": run.replay, "serve": run.exchange_service,
           "node": run.partner_node}[kind]  # fmt: skip
    try:
        return asyncio.run(job(*args, announce=announce, **kwargs))
    except KeyboardInterrupt:
        raise typer.Exit(130) from None
    except OSError as e:
        fail(str(e))


@app.command()
def fusion(
    scenario: str = typer.Option(..., help="The scenario being played."),
    bus: str = typer.Option("nats://127.0.0.1:4222", help="nats://EXCHANGE:PASSWORD@HOST:PORT"),
    credentials: Path | None = typer.Option(None, help="EXCHANGE.json from nats-config."),
    start: str = typer.Option(..., help="Unix time of the scenario epoch, or @FILE."),
    speed: float = typer.Option(1.0, help="Times real time."),
    assessors: int = typer.Option(1, help="How many assessors there are (serve --workers)."),
    replicas: int = typer.Option(1, help="Replicas of the internal streams (3 on a cluster)."),
    until_s: float | None = typer.Option(None, help="Stop at this scenario time (s)."),
    as_json: bool = typer.Option(False, "--json", help="Status as one JSON object a line."),
) -> None:
    """The picture's fusion, out of the exchange: every partner's shared data in (as the
    exchange released it), each report's system tracks out to the assessors."""
    import asyncio

    from lookout.app.picture_workers import run_fusion, worker_bus

    sc = load_scenario(scenario)
    if assessors < 1:
        fail(f"assessors = {assessors}, expected 1 or more")

    def status(work, t):
        line = {"fusion": True, "t_s": t, "inputs": work.inputs, "reports": work.reports,
                "bad": work.bad}  # fmt: skip
        if as_json:
            typer.echo(json.dumps(line))
            sys.stdout.flush()
        else:
            console.print(f"fusion t={t:7.1f}s inputs {work.inputs} reports {work.reports}")

    nats = worker_bus(lambda **kw: _nats_bus(bus, credentials, replicas=replicas, linger_s=0.002,
                                             pull_batch=256, ack_wait_s=60.0, **kw),
                      "fusion")  # fmt: skip
    try:
        asyncio.run(run_fusion(sc, nats, start_unix_s=_start(start), speed=speed,
                               assessors=assessors, until_s=until_s, status=status,
                               ready=_ready("FUSION", as_json)))  # fmt: skip
    except (ConnectionError, OSError) as e:
        fail(f"cannot reach the bus {bus}: {e}")


@app.command()
def assessor(
    index: int = typer.Option(..., help="This assessor's number, 0 to --of minus 1."),
    of: int = typer.Option(..., help="How many assessors there are (serve --workers)."),
    scenario: str = typer.Option(..., help="The scenario being played (keys)."),
    bus: str = typer.Option("nats://127.0.0.1:4222", help="nats://EXCHANGE:PASSWORD@HOST:PORT"),
    credentials: Path | None = typer.Option(None, help="EXCHANGE.json from nats-config."),
    start: str = typer.Option(..., help="Unix time of the scenario epoch, or @FILE."),
    speed: float = typer.Option(1.0, help="Times real time."),
    replicas: int = typer.Option(1, help="Replicas of the internal streams (3 on a cluster)."),
    until_s: float | None = typer.Option(None, help="Stop at this scenario time (s)."),
    as_json: bool = typer.Option(False, "--json", help="Status as one JSON object a line."),
) -> None:
    """One assessor of the picture, out of the exchange: the system tracks of its partition
    assessed and sent, signed, to the exchange."""
    import asyncio

    from lookout.app.picture_workers import run_assessor, worker_bus

    sc = load_scenario(scenario)
    if not 0 <= index < of:
        fail(f"index = {index}, expected 0 to {of - 1} (--of {of})")

    def status(work, t):
        if as_json:
            typer.echo(json.dumps({"assessor": index, "t_s": t, "batches": work.batches,
                                   "tracks": work.tracks}))  # fmt: skip
            sys.stdout.flush()
        else:
            console.print(f"assessor {index} t={t:7.1f}s tracks {work.tracks}")

    nats = worker_bus(lambda **kw: _nats_bus(bus, credentials, replicas=replicas, linger_s=0.002,
                                             pull_batch=64, ack_wait_s=60.0, **kw),
                      f"assessor-{index}")  # fmt: skip
    try:
        asyncio.run(run_assessor(sc, nats, index, of, start_unix_s=_start(start), speed=speed,
                                 until_s=until_s, status=status,
                                 ready=_ready(f"PICTURE-{index}", as_json)))  # fmt: skip
    except (ConnectionError, OSError) as e:
        fail(f"cannot reach the bus {bus}: {e}")


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
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Cold guidance planning of the shipped scenarios (no plan cache): the batched planner, and
    the planner before it on a few of them in the same run, with the speed-up; and lookout fly
    without a vehicle, both ways."""
    from lookout.bench.plan import DEFAULT_BASELINE, render, run

    base = list(baseline) if baseline else list(DEFAULT_BASELINE)
    warn_long(
        60.0 * len(base),
        f"the old planner (the baseline) solves {', '.join(base)} one aim at a time",
        "--baseline-scenario to choose fewer or lighter ones",
    )
    log = None if as_json else (lambda m: console.print(m, highlight=False))
    result = run(list(scenario) if scenario else None, base, progress=log)
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


@bench_app.command("picture-integrity")
def bench_picture_integrity(
    shipped_names: str = typer.Option(
        "all", "--shipped", help="Shipped scenarios: all, none, or NAME,NAME,..."
    ),
    seed: int = typer.Option(1, help="Seed of the generated set (lookout generate)."),
    count: int = typer.Option(12, help="Generated scenarios (0: none)."),
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

    names = list(shipped())
    if shipped_names == "none":
        chosen = []
    elif shipped_names == "all":
        chosen = names
    else:
        chosen = [n.strip() for n in shipped_names.split(",") if n.strip()]
        for n in chosen:
            if n not in names:
                fail(f"shipped = {n!r}, expected all, none or names among {', '.join(names)}")
    if count < 0 or seed < 0:
        fail(f"count = {count}, seed = {seed}: expected integers >= 0")
    if jobs < 1:
        fail(f"jobs = {jobs}, expected at least 1")
    with stage_progress(disabled=as_json) as progress:
        runs = plan_runs(
            chosen, seed if count else None, count,
            lambda done, total: progress("generate", done, total),
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


def _print_result(title: str, result: dict) -> None:
    table = Table(title=title)
    table.add_column("measure")
    table.add_column("value", justify="right")
    for k, v in result.items():
        table.add_row(k, f"{v:.4g}" if isinstance(v, float) else str(v))
    console.print(table)


def main() -> None:  # pragma: no cover
    sys.exit(app())


if __name__ == "__main__":  # python -m lookout.cli
    main()
