"""Picture integrity: the pictures partners see, and the central tracker's, on every shipped
scenario and on a seeded set of generated ones.

For each scenario: simulate once; run ``lookout track``'s central tracker on every detection
(``lookout.scoring.evaluation.evaluate``: track, assess, score, claims); run the embedded demo chain
(``lookout.app.demo.run_demo``: nodes, signed exchange, fusion, assessment) as fast as it goes and
score each partner's received picture (``lookout.scoring.picture``), both against the same truth
and the same PCRLB. Per scenario and per view (central, each partner): phantom launches, false
overflight and impact-area claims, the most system tracks on one object, the single-track share,
id switches, false and duplicate track-seconds, GOSPA, and per phase RMSE, RMSE/PCRLB and NEES in
bounds; then the same pooled over the shipped set and over the generated set
(``lookout.scoring.scores.pooled``).

Each scenario's result is a JSON file in ``--out`` (``SCENARIO.json``), so a run can be resumed
(``--reuse``) or its page written again from earlier runs; scenarios run in ``--jobs`` processes.

    .venv/bin/lookout bench picture-integrity --jobs 2 --markdown docs/picture-integrity.md
    .venv/bin/lookout bench picture-integrity --shipped none --seed 7 --count 4
    .venv/bin/lookout bench picture-integrity --shipped none --count 0 --file tests/data/scenarios
"""

from __future__ import annotations

import json
import math
import os
import tempfile
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path
from typing import Any

from lookout.physics.trajectory import PHASE_NAMES

#: Most false claims listed one by one in the report (all are in the JSON).
MAX_CLAIM_ROWS = 80
#: Claim counts, in table order.
CLAIMS = ("phantom_launches", "false_overflight_claims", "false_impact_area_claims")
#: What each flight's entry keeps of the central tracker's (``lookout track --json``'s flights):
#: its impact ellipses' containment of its own truth and of its spent stages'.
FLIGHT_FIGURES = (
    "vehicle", "class", "truth_overflown", "overflown", "ellipse_containment",
    "stage_ellipse_containment", "stage_predictions",
)  # fmt: skip


def run_one(source: str, group: str, scenario_yaml: str | None = None) -> dict[str, Any]:
    """One scenario through the central tracker and the demo chain; plain JSON-ready results.
    ``source`` is a shipped name or a file; ``scenario_yaml`` the scenario's text instead."""
    import yaml

    from lookout.app.demo import picture_scores, run_demo
    from lookout.scenario import load, parse
    from lookout.scoring.evaluation import evaluate, truth_bounds
    from lookout.simulate import simulate

    t0 = time.perf_counter()
    sc = parse(yaml.safe_load(scenario_yaml), source=source) if scenario_yaml else load(source)
    sim = simulate(sc)
    timings = {"simulate_s": time.perf_counter() - t0}
    t = time.perf_counter()
    bounds = truth_bounds(sim)
    timings["pcrlb_s"] = time.perf_counter() - t
    t = time.perf_counter()
    ev = evaluate(sc, sim=sim, bounds=bounds)
    timings["central_s"] = time.perf_counter() - t
    central = ev.to_dict()
    views = {
        "central": {
            **{k: central[k] for k in CLAIMS},
            "claims": central["claims"],
            "system_tracks": central["tracks"],
            "sums": ev.scores.sums(),
            "per_truth": central["per_truth"],
        }
    }
    t = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        res = run_demo(sc, speed=0, audit_path=Path(tmp) / "audit.sqlite", sim=sim)
    timings["demo_s"] = time.perf_counter() - t
    judged = picture_scores(
        res.live,
        sim,
        list(res.state.nodes),
        until_s=res.state.t_s,
        pcrlb_results=bounds,
        provenance=res.provenance,
    )
    for p, ps in judged.items():
        views[p] = picture_view(ps)
    timings["total_s"] = time.perf_counter() - t0
    return {
        "scenario": sc.name,
        "group": group,
        "description": sc.description,
        "launches": len(sc.launches),
        "truths": central["truths"],
        "partners": [p.id for p in sc.partners],
        "detections": len(sim.detections),
        "sim_s": sc.duration_s,
        "views": views,
        "flights": {
            fid: {k: f.get(k) for k in FLIGHT_FIGURES} for fid, f in central["flights"].items()
        },
        "timings_s": timings,
    }


def picture_view(ps) -> dict[str, Any]:
    """One partner's ``PictureScores`` as a view of a run's result."""
    d = ps.to_dict()
    return {
        **{k: d[k] for k in CLAIMS},
        "claims": d["claims"],
        "system_tracks": d["system_tracks"],
        "sums": ps.scores.sums(),
        "per_truth": d["per_truth"],
        "tracks_over_time": d["tracks_over_time"],
    }


def _job(args: tuple[str, str, str | None, str]) -> dict[str, Any]:
    source, group, text, out = args
    result = run_one(source, group, text)
    Path(out).write_text(json.dumps(result, indent=1, default=float))
    return result


def plan_runs(
    shipped_names: Sequence[str],
    seed: int | None,
    count: int,
    progress=None,
    files: Sequence[str | Path] = (),
    region: str = "korea",
) -> list[tuple[str, str, str | None]]:
    """``(source, group, scenario text)`` of every run: the shipped names, the scenario
    ``files`` (a directory stands for its ``*.yaml``, e.g. the hand-written set of
    ``tests/data/scenarios``, group "files"), then ``count`` generated scenarios of set
    ``seed`` of ``region`` (none when ``seed`` is None or ``count`` is 0)."""
    import yaml

    runs: list[tuple[str, str, str | None]] = [(n, "shipped", None) for n in shipped_names]
    for f in files:
        paths = sorted(Path(f).glob("*.yaml")) if Path(f).is_dir() else [Path(f)]
        runs += [(str(path), "files", None) for path in paths]
    if seed is not None and count > 0:
        from lookout.scenario.generate import generate

        group = (
            f"generated (seed {seed})"
            if region == "korea"
            else f"generated ({region}, seed {seed})"
        )
        for sc in generate(seed, count, progress, region=region):
            runs.append((sc["name"], group, yaml.safe_dump(sc, sort_keys=False)))
    return runs


def run(
    runs: list[tuple[str, str, str | None]],
    out_dir: str | Path,
    *,
    jobs: int = 1,
    reuse: bool = False,
    progress: Callable[[str, int, int], None] | None = None,
    log: Callable[[str], None] | None = None,
) -> list[dict[str, Any]]:
    """Every run (``plan_runs``), ``jobs`` at a time in separate processes; each result is
    written to ``out_dir/NAME.json`` as it finishes (and read back instead with ``reuse``).
    ``log`` gets a line per finished scenario."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    results: dict[str, dict] = {}
    todo = []
    for source, group, text in runs:
        name = Path(source).stem if text is None else source
        path = out / f"{name}.json"
        if reuse and path.is_file():
            results[name] = json.loads(path.read_text())
        else:
            todo.append((name, (source, group, text, str(path))))
    done = len(results)
    if progress:
        progress("scenarios", done, len(runs))

    def finished(name: str, result: dict) -> None:
        nonlocal done
        results[name] = result
        done += 1
        if progress:
            progress("scenarios", done, len(runs))
        if log:
            log(f"{name}: done in {result['timings_s']['total_s']:.0f} s ({done}/{len(runs)})")

    if jobs <= 1:
        for name, args in todo:
            finished(name, _job(args))
    else:
        # One BLAS thread per process: the processes are the parallelism.
        for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
            os.environ.setdefault(var, "1")
        import multiprocessing

        ctx = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=jobs, mp_context=ctx) as pool:
            futures = {pool.submit(_job, args): name for name, args in todo}
            for fut in as_completed(futures):
                finished(futures[fut], fut.result())
    order = [Path(s).stem if t is None else s for s, _, t in runs]
    return [results[n] for n in order if n in results]


# ---- the report ---------------------------------------------------------------------------


def _f(x, spec: str = ".2f") -> str:
    return "–" if x is None or (isinstance(x, float) and not math.isfinite(x)) else format(x, spec)


def _false(f: dict) -> str:
    """False track-s and, in brackets, their part whose own 99 % ellipsoid held a truth
    (``scores.false_in_gate``: a vague track honest about it, not a phantom)."""
    return f"{_f(f['false_track_s'], '.0f')} ({_f(f['false_track_s_in_gate'], '.0f')})"


def view_figures(view: dict) -> dict[str, Any]:
    """The table figures of one view of one run."""
    from lookout.scoring.scores import pooled

    p = pooled([view["sums"]])
    return {
        **{k: view[k] for k in CLAIMS},
        "system_tracks": view["system_tracks"],
        **{k: p[k] for k in ("max_tracks_per_object", "single_track_fraction", "id_switches",
                             "false_track_s", "false_track_s_in_gate", "duplicate_track_s",
                             "gospa_mean")},
        **{f"{ph}_{k}": p[ph][k] for ph in PHASE_NAMES
           for k in ("rmse_pos_m", "rmse_over_pcrlb_pos", "nees_in_bounds")},
    }  # fmt: skip


#: The claims: name in the report, key of their details, key of their count.
_DETAILS = (
    ("phantom launch", "phantom_launch_details", "phantom_launches"),
    ("false overflight", "false_overflight_details", "false_overflight_claims"),
    ("false impact area", "false_impact_area_details", "false_impact_area_claims"),
)


def _claim_key(scenario: str, kind: str, c: dict) -> tuple:
    return (scenario, kind, c["track"], c.get("territory"))


def set_figures(results: list[dict], partners_only: bool) -> dict[str, Any]:
    """One group's views pooled: the partners' pictures (every partner of every run) or the
    central tracker. A claim every partner saw (one system track's) counts once: the claim
    counts are of distinct (scenario, system track, territory) over the partners' views."""
    from lookout.scoring.scores import pooled

    views = [
        (r["scenario"], v) for r in results for name, v in r["views"].items()
        if (name != "central") == partners_only
    ]  # fmt: skip
    p = pooled([v["sums"] for _, v in views])
    counts = {}
    for kind, key, count in _DETAILS:
        counts[count] = len({_claim_key(sc, kind, c) for sc, v in views for c in v["claims"][key]})
    return {
        "views": len(views),
        **counts,
        **{k: p[k] for k in ("max_tracks_per_object", "single_track_fraction", "id_switches",
                             "false_track_s", "false_track_s_in_gate", "duplicate_track_s",
                             "gospa_mean")},
        **{f"{ph}_{k}": p[ph][k] for ph in PHASE_NAMES
           for k in ("rmse_pos_m", "pcrlb_pos_m", "rmse_over_pcrlb_pos", "nees_in_bounds")},
    }  # fmt: skip


_ROW_HEAD = (
    "| phantom launches | false overflights | false impact areas | system tracks "
    "| max tracks/object | single-track share | id switches | false track-s (in gate) "
    "| duplicate track-s | GOSPA m | coast RMSE m | coast RMSE/PCRLB "
    "| NEES in bounds boost / coast / reentry |"
)


def _row(f: dict) -> str:
    nees = " / ".join(_f(f[f"{ph}_nees_in_bounds"]) for ph in PHASE_NAMES)
    return (
        f"| {f['phantom_launches']} | {f['false_overflight_claims']} | "
        f"{f['false_impact_area_claims']} | {f.get('system_tracks', f.get('views', ''))} | "
        f"{f['max_tracks_per_object']} | {_f(f['single_track_fraction'])} | {f['id_switches']} | "
        f"{_false(f)} | {_f(f['duplicate_track_s'], '.0f')} | "
        f"{_f(f['gospa_mean'], '.0f')} | {_f(f['coast_rmse_pos_m'], '.0f')} | "
        f"{_f(f['coast_rmse_over_pcrlb_pos'])} | {nees} |"
    )


def markdown(results: list[dict], command: str) -> str:
    """The report: the sets pooled, then every scenario and view."""
    import datetime as dt

    groups: dict[str, list[dict]] = {}
    for r in results:
        groups.setdefault(r["group"], []).append(r)
    lines = [
        "# Picture integrity",
        "",
        f"Made by `{command}` ({dt.date.today().isoformat()}). Each scenario is simulated once; "
        "`central` is `lookout track`'s tracker on every detection, the partner columns are the "
        "pictures the partners received through the embedded demo chain (nodes, signed "
        "exchange, fusion, assessment), all scored against the same truth and PCRLB "
        "(`lookout.scoring`; docs/tracking.md#scoring). A phantom launch is a track whose launch "
        "point was ever more than 50 km from every true launch; a false claim a (track, "
        "territory) overflown or impact area the truth does not bear out. Max tracks/object: "
        "the most tracks on one true object at one instant; single-track share: the share of "
        "tracked object-time held by exactly one track. False track-s: the seconds of tracks "
        "no truth was within 10 km of, in brackets those whose own 99 % ellipsoid held a truth "
        "(vague, not phantom). RMSE/PCRLB and NEES in bounds pool "
        "every sample of the set. In the set rows a claim seen by several partners (the same "
        "system track's) counts once; in the scenario rows partners with the same picture share "
        "a row.",
        "",
        "## The sets as a whole",
        "",
        "| set | views | phantom launches | false overflights | false impact areas | "
        "max tracks/object | single-track share | id switches | false track-s (in gate) | "
        "duplicate track-s | GOSPA m | coast RMSE m | coast PCRLB m | coast RMSE/PCRLB | "
        "NEES in bounds boost / coast / reentry |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for group, rs in groups.items():
        for label, partners_only in (("central tracker", False), ("partner pictures", True)):
            f = set_figures(rs, partners_only)
            nees = " / ".join(_f(f[f"{ph}_nees_in_bounds"]) for ph in PHASE_NAMES)
            lines.append(
                f"| {group} ({len(rs)} scenarios), {label} | {f['views']} | "
                f"{f['phantom_launches']} | {f['false_overflight_claims']} | "
                f"{f['false_impact_area_claims']} | {f['max_tracks_per_object']} | "
                f"{_f(f['single_track_fraction'])} | {f['id_switches']} | "
                f"{_false(f)} | {_f(f['duplicate_track_s'], '.0f')} | "
                f"{_f(f['gospa_mean'], '.0f')} | {_f(f['coast_rmse_pos_m'], '.0f')} | "
                f"{_f(f['coast_pcrlb_pos_m'], '.0f')} | {_f(f['coast_rmse_over_pcrlb_pos'])} | "
                f"{nees} |"
            )
    for group, rs in groups.items():
        lines += ["", f"## {group}: per scenario and view", "",
                  "| scenario | view " + _ROW_HEAD, "|---" * 15 + "|"]  # fmt: skip
        for r in rs:
            # Partners that received the same picture share one row.
            rows: dict[str, list[str]] = {}
            for name, view in r["views"].items():
                rows.setdefault(_row(view_figures(view)), []).append(name)
            for row, names in rows.items():
                lines.append(f"| {r['scenario']} | {', '.join(names)} " + row)
        lines += ["", "Scenarios:", ""]
        lines += [f"- `{r['scenario']}`: {r['description']} ({r['truths']} truths, "
                  f"{r['detections']} detections, {r['sim_s']:.0f} s)" for r in rs]  # fmt: skip
    # Each claim once, with the views that saw it.
    claims: dict[tuple, tuple[str, str, dict, list[str]]] = {}
    for r in results:
        for name, v in r["views"].items():
            for kind, key, _ in _DETAILS:
                for c in v["claims"][key]:
                    k = (*_claim_key(r["scenario"], kind, c), name == "central")
                    claims.setdefault(k, (r["scenario"], kind, c, []))[3].append(name)
    if claims:
        lines += [
            "",
            f"## The false claims ({len(claims)}; the first {MAX_CLAIM_ROWS} listed)",
            "",
            "| scenario | views | claim | track | t s | what |",
            "|---|---|---|---|---|---|",
        ]
        for sc, kind, c, names in list(claims.values())[:MAX_CLAIM_ROWS]:
            what = ", ".join(f"{k} {_f(v, '.1f') if isinstance(v, float) else v}"
                             for k, v in c.items() if k not in ("track", "t_s"))  # fmt: skip
            lines.append(
                f"| {sc} | {', '.join(names)} | {kind} | {c['track']} | {c['t_s']:.0f} | {what} |"
            )
    return "\n".join(lines) + "\n"
