"""Run every shipped scenario through simulate → track → assess → score and write the figures.

    .venv/bin/python benchmarks/pipeline_report.py [--out docs] [SCENARIO ...]

Every shipped scenario but ``barrage`` (the scale benchmark's ten-times raid: hours here) unless
scenarios are named.

Writes ``OUT/pipeline-figures.md`` (one table for tracking, one for assessment, with the command
that made them) and ``OUT/img/impact-error.png`` (each flight's predicted impact-point error
against time after launch) and ``OUT/img/track-error-SCENARIO.png``. The JSON of each scenario
(``lookout track SCENARIO --json``) goes to ``OUT/figures/SCENARIO.json``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path

from lookout.app.plots import tracking_plot
from lookout.scenario import load, shipped
from lookout.scoring.evaluation import evaluate

#: Shipped scenarios left out unless named: too long for this report.
SKIPPED = ("barrage",)


def fmt(x, spec=".0f") -> str:
    return "–" if x is None else format(x, spec)


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("scenarios", nargs="*")
    ap.add_argument("--out", default="docs")
    ap.add_argument(
        "--from-json", nargs="+", default=None, metavar="DIR",
        help="Write the page from earlier runs instead of running: DIR/figures/*.json, or "
        "DIR/SCENARIO.json (e.g. tests/data/golden, `lookout track S --json` of each).",
    )  # fmt: skip
    args = ap.parse_args(argv)
    out = Path(args.out)
    (out / "img").mkdir(parents=True, exist_ok=True)
    (out / "figures").mkdir(parents=True, exist_ok=True)
    names = args.scenarios or [n for n in shipped() if n not in SKIPPED]
    results = {}
    if args.from_json:
        order = list(shipped())
        for folder in args.from_json:
            # A report's figures/ folder, or files named after shipped scenarios (the goldens).
            paths = sorted(Path(folder).glob("figures/*.json")) or [
                p for p in sorted(Path(folder).glob("*.json")) if p.stem in order
            ]
            if not paths:
                raise FileNotFoundError(
                    f"--from-json {folder}: no figures/*.json nor a shipped scenario's JSON there"
                )
            for path in paths:
                results[path.stem] = json.loads(path.read_text())
        results = dict(sorted(results.items(), key=lambda kv: order.index(kv[0])))
        names = []
    for name in names:
        print(f"{name}...", file=sys.stderr, flush=True)
        ev = evaluate(load(name))
        d = ev.to_dict()
        (out / "figures" / f"{name}.json").write_text(json.dumps(d, indent=1))
        tracking_plot(ev, out / "img" / f"track-error-{name}.png")
        results[name] = d
    if args.from_json:
        for name, d in results.items():
            (out / "figures" / f"{name}.json").write_text(json.dumps(d, indent=1))
    _impact_plot(results, out / "img" / "impact-error.png")
    given = argv if argv is not None else sys.argv[1:]
    command = " ".join(["benchmarks/pipeline_report.py", *given])
    (out / "pipeline-figures.md").write_text(_markdown(results, command))


def _impact_plot(results: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(10, 5.5), dpi=110)
    for name, d in results.items():
        for fid, f in d["flights"].items():
            series = f.get("impact_error_km_over_time") or []
            if series and len(d["flights"]) <= 6:
                t, e = zip(*series, strict=True)
                ax.semilogy(t, [max(x, 1e-3) for x in e], lw=1, label=f"{name} {fid}")
    ax.set_xlabel("time after launch (s)")
    ax.set_ylabel("predicted impact point error (km)")
    ax.grid(True, which="both", lw=0.3, alpha=0.5)
    ax.legend(fontsize=7, ncol=2)
    fig.savefig(path, bbox_inches="tight")
    plt.close(fig)


def _class(flight: dict) -> str:
    """The class given and the type, if any (depressed, SLBM, HGV, ...)."""
    kind = flight.get("type")
    kind = ", ".join(kind) if isinstance(kind, list) else kind
    return ", ".join(x for x in (flight.get("class"), kind) if x) or "–"


def _markdown(results: dict, command: str = "benchmarks/pipeline_report.py") -> str:
    today = dt.date.today().isoformat()
    lines = [
        "# Pipeline figures",
        "",
        f"Made by `.venv/bin/python {command}` ({today}); each row is "
        "`lookout track SCENARIO --json` (files in `figures/`; with `--from-json`, earlier "
        "runs of it, e.g. the goldens). The tracker sees every partner's detections; figures "
        "against the truth, the same scores as the central rows of "
        "[picture-integrity.md](picture-integrity.md) (`lookout bench picture-integrity`), "
        "which also scores every partner's picture. Speed: [benchmarks.md](benchmarks.md).",
        "",
        "## Tracking",
        "",
        "The central tracker (`lookout track`) on every detection. False: tracks that followed "
        "no object; phantom launches, false overflight and impact-area claims as in "
        "[picture-integrity.md](picture-integrity.md) (which also scores what each partner "
        "received); max/object and single share: the most tracks on one object at once and the "
        "share of tracked object-time held by one track; RMSE/PCRLB and NEES in bounds per "
        "phase of the truth (boost / coast / reentry).",
        "",
        "| scenario | truths | tracks | false | phantom launches | false overflights | "
        "false impact areas | max/object | single share | id switches | coast RMSE m | "
        "RMSE/PCRLB b / c / r | NEES in bounds b / c / r | GOSPA m |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, d in results.items():
        r = d["rmse_over_pcrlb_pos"]
        nees = d.get("nees_in_bounds_by_phase") or {}
        phases = ("boost", "coast", "reentry")
        lines.append(
            f"| {name} | {d['truths']} | {d['tracks']} | {d['false_tracks']} | "
            f"{d['phantom_launches']} | {d['false_overflight_claims']} | "
            f"{d['false_impact_area_claims']} | {d['max_tracks_per_object']} | "
            f"{fmt(d['single_track_fraction'], '.3f')} | {d['id_switches']} | "
            f"{fmt(d['rmse_pos_m']['coast'])} | "
            f"{' / '.join(fmt(r.get(ph), '.2f') for ph in phases)} | "
            f"{' / '.join(fmt(nees.get(ph), '.2f') for ph in phases)} | "
            f"{fmt(d['gospa_mean'])} |"
        )
    lines += [
        "",
        "## Assessment",
        "",
        "Per flight: class given; time after launch of the first impact prediction and of the "
        "first whose 95% ellipse held the true impact; fraction of post-burnout predictions "
        "whose ellipse held it; launch-point error; final impact-point and impact-time errors; "
        "territories overflown (predicted) and when first said.",
        "",
        "| scenario | flight | class, type | orbital | 1st prediction s | 1st containing s | "
        "containment | launch pt km | impact km | impact time s | overflown (first said, s) |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, d in results.items():
        flights = list(d["flights"].items())
        for fid, f in flights[:8]:
            said = f.get("overflight_warning_s_by_territory") or {}
            over = " ".join(f"{c} ({fmt(said.get(c))})" for c in f["overflown"]) or "–"
            lines.append(
                f"| {name} | {fid} | {_class(f)} | {f['orbital']} | "
                f"{fmt(f['first_prediction_s'])} | {fmt(f['first_containing_prediction_s'])} | "
                f"{fmt(f['ellipse_containment'], '.2f')} | "
                f"{fmt(f['launch_point_error_km'], '.1f')} | "
                f"{fmt(f['final_impact_error_km'], '.1f')} | "
                f"{fmt(f['impact_time_error_s'], '.1f')} | {over} |"
            )
        if len(flights) > 8:
            cont = [f["ellipse_containment"] for _, f in flights if f["ellipse_containment"]]
            mean = sum(cont) / len(cont) if cont else None
            lines.append(
                f"| {name} | … {len(flights) - 8} more | | | | | mean {fmt(mean, '.2f')} "
                "over all | | | | |"
            )
    lines += ["", "![impact error](img/impact-error.png)", ""]
    return "\n".join(lines)


if __name__ == "__main__":
    from lookout.cli.common import run_script

    run_script(main)
