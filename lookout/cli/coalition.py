"""Commands of the embedded coalition run and its log: ``demo``, ``replay``, ``warn``."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.table import Table

from lookout.cli.common import (
    _policy_doc,
    _run_with_web,
    _web_options,
    app,
    console,
    fail,
    load_scenario,
    stage_progress,
)


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
    web: bool | None = typer.Option(
        None, "--web/--no-web", help="Serve the page (default: on, off with --json)."
    ),
    port: int = typer.Option(0, help="Port of the page (0: a free one); on 127.0.0.1."),
    stay: bool | None = typer.Option(
        None,
        "--stay/--no-stay",
        help="Keep serving after the run until Ctrl-C (default: when run from a terminal).",
    ),
    policy: Path | None = typer.Option(None, help="Releasability policy (default: the demo's)."),
    cot_port: int | None = typer.Option(
        None, help="Serve CoT for TAK: one port per view from this one (0: free ports)."
    ),
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
        result = _run_with_web(
            "demo",
            sc,
            web_options,
            speed=speed,
            audit_path=audit,
            duration_s=duration_s,
            sim=sim,
            stderr=True,
            alerts_dir=alerts_dir,
            **({"policy": pol} if pol else {}),
        )
        typer.echo(json.dumps(result.summary()))
        return
    if as_json:
        result = run_demo(
            sc,
            speed=speed,
            audit_path=audit,
            duration_s=duration_s,
            sim=sim,
            alerts_dir=alerts_dir,
            **({"policy": pol} if pol else {}),
        )
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
    web: bool = typer.Option(
        False,
        "--web",
        help="Serve the replayed picture in a browser, with a time slider, until Ctrl-C.",
    ),
    port: int = typer.Option(0, help="With --web: port of the page (0: a free one)."),
) -> None:
    """Rebuild every partner's picture from an audit log alone, summarise it and score it."""
    from lookout.app.demo import TRACK_KINDS, envelope_tracks, replay_picture, replay_scores
    from lookout.exchange.envelope import decode
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
        picture, provenance = replay_picture(log, provenance=scores)
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
            judged = replay_scores(log, picture, provenance)
        except ScenarioError as e:
            fail(f"{log}: cannot score: {e} (--no-scores replays without)")
    summary = {}
    for recipient, items in sorted(picture.items()):
        kinds: dict[str, int] = {}
        last: dict[str, object] = {}
        for subject, data in items:
            kind = subject.rsplit(".", 1)[-1]
            kinds[kind] = kinds.get(kind, 0) + 1
            if kind in TRACK_KINDS:
                for st in envelope_tracks(decode(data)):
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
    for u in r.get("unwarned_partners", []):
        over = ", ".join(u["flights_over_land"]) or "none"
        console.print(
            f"{u['partner']} warns nobody: no warning areas are shipped for {u['country']} "
            f"(lookout/warn/areas); flights over or onto its land: {over}",
            highlight=False,
        )
