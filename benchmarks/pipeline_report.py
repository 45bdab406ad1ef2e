"""Run every shipped scenario through simulate → track → assess → score and write the figures.

    .venv/bin/python benchmarks/pipeline_report.py [--out docs] [SCENARIO ...]

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


def fmt(x, spec=".0f") -> str:
    return "–" if x is None else format(x, spec)


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("scenarios", nargs="*")
    ap.add_argument("--out", default="docs")
    ap.add_argument(
        "--from-json", nargs="+", default=None, metavar="DIR",
        help="Write the page from figures/*.json of earlier runs instead of running.",
    )  # fmt: skip
    args = ap.parse_args(argv)
    out = Path(args.out)
    (out / "img").mkdir(parents=True, exist_ok=True)
    (out / "figures").mkdir(parents=True, exist_ok=True)
    names = args.scenarios or list(shipped())
    results = {}
    if args.from_json:
        order = list(shipped())
        for folder in args.from_json:
            for path in sorted(Path(folder).glob("figures/*.json")):
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
    (out / "pipeline-figures.md").write_text(_markdown(results))


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


def _markdown(results: dict) -> str:
    today = dt.date.today().isoformat()
    lines = [
        "# Pipeline figures",
        "",
        f"Made by `.venv/bin/python benchmarks/pipeline_report.py` ({today}); each row is "
        "`lookout track SCENARIO --json` (files in `figures/`). The tracker sees every "
        "partner's detections; figures against the truth.",
        "",
        "## Tracking",
        "",
        "| scenario | truths | tracks | false | coast RMSE m | coast PCRLB m | ratio | "
        "boost ratio | reentry ratio | NEES in bounds (coast) | GOSPA m | det/s | x real time |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, d in results.items():
        r = d["rmse_over_pcrlb_pos"]
        lines.append(
            f"| {name} | {d['truths']} | {d['tracks']} | {d['false_tracks']} | "
            f"{fmt(d['rmse_pos_m']['coast'])} | {fmt(d['pcrlb_pos_m']['coast'])} | "
            f"{fmt(r['coast'], '.2f')} | {fmt(r['boost'], '.2f')} | {fmt(r['reentry'], '.2f')} | "
            f"{fmt(d['nees_in_bounds_fraction'], '.2f')} | {fmt(d['gospa_mean'])} | "
            f"{fmt(d['detections_per_s'])} | {fmt(d['realtime_factor'], '.1f')} |"
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
        "| scenario | flight | class | orbital | 1st prediction s | 1st containing s | "
        "containment | launch pt km | impact km | impact time s | overflown (first said, s) |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, d in results.items():
        flights = list(d["flights"].items())
        for fid, f in flights[:8]:
            said = f.get("overflight_warning_s_by_territory") or {}
            over = " ".join(f"{c} ({fmt(said.get(c))})" for c in f["overflown"]) or "–"
            lines.append(
                f"| {name} | {fid} | {f['class'] or '–'} | {f['orbital']} | "
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
    main()
