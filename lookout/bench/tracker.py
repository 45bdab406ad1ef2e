"""``lookout bench tracker``: Lookout's tracker against Stone Soup on the same detections.

Both trackers run in the same process on the same detections (time-ordered; optionally only a
time window or the first N, the same subset for both, when Stone Soup would take too long on the
whole scenario), each timed by the wall clock around its call, each scored by
``lookout.scoring.score`` against the same truth.

Reported per tracker: detections per second, wall time, and the scores. ``rmse_pos_m`` is the
3-D position RMSE over all phases, taken over the (truth, report instant) pairs that *both*
trackers hold (so that neither is flattered by dropping the hard stretches; each tracker's own
per-phase RMSE, coverage and GOSPA are there too). ``speedup`` is Lookout's detections per
second over the baseline's; ``rmse_ratio`` Lookout's ``rmse_pos_m`` over the baseline's (below
1: Lookout is more accurate).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from lookout.scoring import Scores, score
from lookout.timebase import ns_to_s

Runner = Callable[..., Any]


def _lookout_runner() -> Runner:
    from lookout.tracking import track

    return track


def _stonesoup_runner(config=None) -> Runner:
    from lookout.bench.stonesoup_baseline import run_stonesoup

    return lambda dets, **kw: run_stonesoup(dets, config=config, **kw)


def select(
    detections: Sequence,
    labels: Sequence,
    *,
    max_detections: int | None = None,
    t_window: tuple[float, float] | None = None,
) -> tuple[list, list, dict]:
    """The detections (and labels) in ``t_window`` (s, inclusive start, exclusive end) and then
    the first ``max_detections`` of those by time; with a description of the subset."""
    t = ns_to_s(np.array([d.t_ns for d in detections], dtype=np.int64))
    order = np.argsort(t, kind="stable")
    if t_window is not None:
        lo, hi = t_window
        order = order[(t[order] >= lo) & (t[order] < hi)]
    if max_detections is not None and order.size > max_detections:
        # Never split one instant's scan: cut where the time changes.
        cut = int(max_detections)
        while 0 < cut < order.size and t[order[cut]] == t[order[cut - 1]]:
            cut -= 1
        order = order[:cut]
    dets = [detections[i] for i in order]
    labs = [labels[i] for i in order]
    subset = {
        "detections": int(order.size),
        "of_detections": len(detections),
        "t_start_s": float(t[order[0]]) if order.size else None,
        "t_end_s": float(t[order[-1]]) if order.size else None,
        "whole": bool(order.size == len(detections)),
    }
    return dets, labs, subset


def _common_rmse(a: Scores, b: Scores) -> tuple[float | None, float | None, int]:
    """Position RMSE of each over the (truth, instant) pairs both hold."""

    # Keyed by truth and report time (ms): the two scorings may count instants differently.
    def keys(m):
        return m.truth.astype(np.int64) * 10**13 + np.round(m.t * 1e3).astype(np.int64)

    ka, kb = keys(a.matches), keys(b.matches)
    both, ia, ib = np.intersect1d(ka, kb, return_indices=True)
    if both.size == 0:
        return None, None, 0

    def rmse(err):
        return float(np.sqrt(np.mean(np.sum(err**2, axis=1))))

    return rmse(a.matches.pos_err[ia]), rmse(b.matches.pos_err[ib]), int(both.size)


def bench_tracker(
    detections: Sequence,
    labels: Sequence,
    trajectories: Sequence,
    *,
    baselines: Sequence[str] = ("stonesoup",),
    max_detections: int | None = None,
    t_window: tuple[float, float] | None = None,
    report_period_s: float = 1.0,
    stonesoup_config=None,
    pcrlb_results: dict | None = None,
    runners: dict[str, Runner] | None = None,
) -> dict:
    """Run Lookout's tracker and each baseline on the same detections; time and score each.

    Returns ``{"lookout": {...}, "<baseline>": {...}, "speedup": .., "rmse_ratio": ..,
    "subset": {...}, "rmse_basis": ..}``; with more than one baseline, ``speedup`` and
    ``rmse_ratio`` are against the first and ``vs`` holds them per baseline. ``runners``
    replaces the tracker functions by name (for tests).
    """
    known = {"stonesoup": lambda: _stonesoup_runner(stonesoup_config)}
    for name in baselines:
        if name not in known and name not in (runners or {}):
            raise ValueError(f"baseline = {name!r}, expected one of {sorted(known)}")
    dets, labs, subset = select(
        detections, labels, max_detections=max_detections, t_window=t_window
    )
    t_end = subset["t_end_s"]
    names = ["lookout", *baselines]
    result: dict[str, Any] = {}
    scores: dict[str, Scores] = {}
    for name in names:
        if runners and name in runners:
            run = runners[name]
        else:
            run = _lookout_runner() if name == "lookout" else known[name]()
        t0 = time.perf_counter()
        out = run(dets, report_period_s=report_period_s, t_end=t_end)
        wall = time.perf_counter() - t0
        s = score(out, trajectories, labs, detections=dets, pcrlb_results=pcrlb_results)
        scores[name] = s
        d = s.to_dict()
        result[name] = {
            "detections": len(dets),
            "wall_s": wall,
            "detections_per_s": len(dets) / wall if wall > 0 else None,
            "rmse_pos_m": None,
            "rmse_pos_all_m": d["rmse_pos_all_m"],
            "rmse_pos_by_phase_m": d["rmse_pos_m"],
            "rmse_vel_by_phase_mps": d["rmse_vel_mps"],
            "pcrlb_pos_m": d["pcrlb_pos_m"],
            "nees_in_bounds_fraction": d["nees_in_bounds_fraction"],
            "gospa_mean": d["gospa_mean"],
            "coverage": d["coverage"],
            "tracks": d["tracks"],
            "truths": d["truths"],
            "false_tracks": d["false_tracks"],
            "missed_truths": d["missed_truths"],
            "id_switches": d["id_switches"],
            "purity": d["purity"],
        }
    vs = {}
    for name in baselines:
        mine, theirs, n = _common_rmse(scores["lookout"], scores[name])
        # Each tracker's headline RMSE: against the first baseline, on the common pairs.
        if name == baselines[0]:
            result["lookout"]["rmse_pos_m"] = mine
            result["lookout"]["common_samples"] = n
        result[name]["rmse_pos_m"] = theirs
        result[name]["common_samples"] = n
        a, b = result["lookout"]["detections_per_s"], result[name]["detections_per_s"]
        vs[name] = {
            "speedup": a / b if a and b else None,
            "rmse_ratio": mine / theirs if mine is not None and theirs else None,
        }
    if baselines:
        result["speedup"] = vs[baselines[0]]["speedup"]
        result["rmse_ratio"] = vs[baselines[0]]["rmse_ratio"]
    if len(baselines) > 1:
        result["vs"] = vs
    result["subset"] = subset
    result["rmse_basis"] = (
        "3-D position RMSE, all phases, over the (truth, report instant) pairs both trackers hold"
    )
    return result


def render(result: dict):
    """A rich Table of a ``bench_tracker`` result."""
    from rich.table import Table

    names = [k for k, v in result.items() if isinstance(v, dict) and "detections_per_s" in v]
    sub = result.get("subset", {})
    title = "Tracker benchmark"
    if sub and not sub.get("whole", True):
        title += (
            f" — subset: {sub['detections']} of {sub['of_detections']} detections, "
            f"t {sub['t_start_s']:.0f}–{sub['t_end_s']:.0f} s"
        )
    table = Table(title=title)
    table.add_column("")
    for name in names:
        table.add_column(name, justify="right")

    def fmt(x, spec):
        return "—" if x is None else format(x, spec)

    rows = [
        ("detections / s", lambda r: fmt(r["detections_per_s"], ",.0f")),
        ("wall (s)", lambda r: fmt(r["wall_s"], ".2f")),
        ("position RMSE, common (m)", lambda r: fmt(r["rmse_pos_m"], ".1f")),
        ("  boost (m)", lambda r: fmt(r["rmse_pos_by_phase_m"]["boost"], ".1f")),
        ("  coast (m)", lambda r: fmt(r["rmse_pos_by_phase_m"]["coast"], ".1f")),
        ("  reentry (m)", lambda r: fmt(r["rmse_pos_by_phase_m"]["reentry"], ".1f")),
        ("NEES in bounds, coast", lambda r: fmt(r["nees_in_bounds_fraction"], ".0%")),
        ("GOSPA mean (m)", lambda r: fmt(r["gospa_mean"], ".0f")),
        ("coverage", lambda r: fmt(r["coverage"], ".0%")),
        ("tracks / truths", lambda r: f"{r['tracks']} / {r['truths']}"),
        ("false tracks", lambda r: str(r["false_tracks"])),
        ("missed truths", lambda r: str(r["missed_truths"])),
        ("id switches", lambda r: str(r["id_switches"])),
    ]
    for label, get in rows:
        table.add_row(label, *(get(result[n]) for n in names))
    if result.get("speedup") is not None or result.get("rmse_ratio") is not None:
        table.caption = (
            f"speed-up {fmt(result.get('speedup'), '.1f')}×, "
            f"RMSE ratio (lookout / baseline) {fmt(result.get('rmse_ratio'), '.2f')}; "
            "RMSE over the (truth, instant) pairs both trackers hold"
        )
    return table
