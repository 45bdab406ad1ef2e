"""Where a report instant's delivery goes, embedded (``lookout bench picture`` at real time).

    python benchmarks/delivery_probe.py SCENARIO DURATION_S [SPEED] [--json OUT]

Runs ``lookout.bench.picture.run_embedded`` with wall-clock probes on the chain and prints, for
the report instants (every ``report_period_s``), percentiles of: the step's late start (the wall
time past the instant when the loop began the step that passes it), the partner nodes' steps
(their own trackers apart), the exchange's handling up to the fusion's report, the report
itself, the deliveries (the first and last system track of the instant received by any
partner, from the instant), and the share of the instant's delivery window during which the
assessment's worker thread was busy (0 when the batches run in a child process,
``assess_worker="process"``, which this probe does not see). Nothing in the picture changes.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import threading
import time
from collections import defaultdict

import numpy as np

import lookout.bench.picture as bp
from lookout.scenario import ScenarioError, load
from lookout.timebase import s_to_ns

EV: list[tuple[float, str, object]] = []  # (wall, kind, info)


def _wrap_sync(obj, name, kind, info=None):
    fn = getattr(obj, name)

    def wrapped(*a, **k):
        t0 = time.perf_counter()
        try:
            return fn(*a, **k)
        finally:
            EV.append((t0, kind + ".start", info))
            EV.append((time.perf_counter(), kind + ".end", info))

    setattr(obj, name, wrapped)


def _wrap_async(obj, name, kind, info=None):
    fn = getattr(obj, name)

    async def wrapped(*a, **k):
        t0 = time.perf_counter()
        try:
            return await fn(*a, **k)
        finally:
            EV.append((t0, kind + ".start", info))
            EV.append((time.perf_counter(), kind + ".end", info))

    setattr(obj, name, wrapped)


def install(co):
    """Probes on a freshly built coalition."""
    step = co.step

    async def probed_step(feed, t_s):
        EV.append((time.perf_counter(), "step.start", t_s))
        await step(feed, t_s)
        EV.append((time.perf_counter(), "step.end", t_s))

    co.step = probed_step
    for p, node in co.nodes.items():
        _wrap_sync(node, "_track", "track", p)
        _wrap_async(node, "step", "node", p)
        _wrap_async(node, "_on_message", "recv", p)
        apply = node.view.apply

        def probed_apply(track, apply=apply, p=p):
            EV.append((time.perf_counter(), "apply", (p, track.t_ns, track.system_track_id)))
            apply(track)

        node.view.apply = probed_apply
    _wrap_async(co.exchange, "handle", "exchange")
    fusion = co.picture.fusion
    report = fusion._report

    def probed_report(t):
        t0 = time.perf_counter()
        out = report(t)
        EV.append((t0, "report.start", t))
        EV.append((time.perf_counter(), "report.end", t))
        return out

    fusion._report = probed_report
    _wrap_sync(fusion, "_process_until", "fusion_process")
    assess = co.picture._assess

    def probed_assess(args, options):
        t0 = time.perf_counter()
        try:
            return assess(args, options)
        finally:
            EV.append((t0, "assess.start", threading.get_ident()))
            EV.append((time.perf_counter(), "assess.end", threading.get_ident()))

    co.picture._assess = probed_assess


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("scenario")
    ap.add_argument("duration_s", type=float)
    ap.add_argument("speed", type=float, nargs="?", default=1.0)
    ap.add_argument("--json", dest="out", default=None, metavar="OUT")
    args = ap.parse_args()
    out, duration, speed = args.out, args.duration_s, args.speed
    if duration <= 0 or speed <= 0:  # the wall-clock probes need a clock to be late against
        raise SystemExit(f"duration_s = {duration}, speed = {speed}: expected both > 0")
    try:
        scenario = load(args.scenario)
    except ScenarioError as e:
        raise SystemExit(str(e)) from None
    build = bp.Coalition.build

    def probed_build(*a, **k):
        co = build(*a, **k)
        install(co)
        return co

    bp.Coalition.build = probed_build
    run = asyncio.run(bp.run_embedded(scenario, duration_s=duration, speed=speed))
    result = run.to_dict()
    print(
        json.dumps(
            {
                p: a["track"] | {"delivery_p99": a["delivery"]["p99_s"]}
                for p, a in result["ages"].items()
            }
        )
    )
    print("cpu", result["cpu_s"], "wall", result["wall_s"])
    analyse(speed, out)


def analyse(speed: float, out: str | None) -> None:
    ev = sorted(EV, key=lambda e: e[0])
    starts = [(w, t) for w, k, t in ev if k == "step.start"]
    base = starts[0][0] - starts[0][1] / speed  # the wall at scenario 0
    sc = lambda w: (w - base) * speed  # noqa: E731
    # Per report instant (integer seconds).
    rows = defaultdict(dict)
    step_of_wall = []  # (start, end, t)
    open_step = {}
    for w, k, info in ev:
        if k == "step.start":
            open_step[info] = w
        elif k == "step.end":
            step_of_wall.append((open_step.pop(info), w, info))
    for s, e, t in step_of_wall:
        if abs(t - round(t)) < 1e-9:
            rows[round(t)].update(late=sc(s) - t, step=(e - s) * speed, step_start=s)
    # Durations inside each reporting step, by kind.
    spans = defaultdict(list)
    opened = {}
    for w, k, info in ev:
        kind, _, edge = k.rpartition(".")
        if edge == "start":
            opened[(kind, info, len(spans[kind]))] = w
            spans[kind].append([w, None, info])
        elif edge == "end":
            for item in reversed(spans[kind]):
                if item[1] is None and item[2] == info:
                    item[1] = w
                    break
    busy = sorted((s, e) for s, e, _ in spans["assess"] if e is not None)
    for s, e, t in step_of_wall:
        if abs(t - round(t)) > 1e-9:
            continue
        r = rows[round(t)]
        for kind in ("track", "node", "exchange", "fusion_process", "recv"):
            r[kind] = (
                sum((b - a) for a, b, _ in spans[kind] if b is not None and s <= a < e) * speed
            )
        rep = [(a, b) for a, b, info in spans["report"] if b is not None and info == t]
        if rep:
            r["report_at"] = sc(rep[0][0]) - t
            r["report"] = (rep[0][1] - rep[0][0]) * speed
    applies = defaultdict(list)  # t_ns -> the first receipt of each (partner, track)
    seen = set()
    for w, k, info in ev:
        if k == "apply" and info not in seen:  # not an assessed instant's second message
            seen.add(info)
            applies[info[1]].append(w)
    for t, r in rows.items():
        ws = applies.get(s_to_ns(float(t)))
        if ws:
            r["first"] = sc(min(ws)) - t
            r["last"] = sc(max(ws)) - t
            a, b = r["step_start"], max(ws)
            r["assess_busy"] = sum(max(0.0, min(e, b) - max(s, a)) for s, e in busy) / max(
                b - a, 1e-9
            )
    keys = (
        "late",
        "step",
        "track",
        "node",
        "exchange",
        "fusion_process",
        "report_at",
        "report",
        "recv",
        "first",
        "last",
        "assess_busy",
    )
    print(f"{'':>14}" + "".join(f"{k:>15}" for k in ("p50", "p90", "p99", "max", "mean")))
    for k in keys:
        v = np.array([r[k] for r in rows.values() if k in r])
        if v.size:
            print(
                f"{k:>14}"
                + "".join(
                    f"{x:15.3f}" for x in (*np.percentile(v, [50, 90, 99]), v.max(), v.mean())
                )
            )
    worst = sorted((r for r in rows.values() if "last" in r), key=lambda r: -r["last"])[:12]
    print("worst instants (s past the instant):")
    for r in worst:
        t = [k for k, v in rows.items() if v is r][0]
        print(t, {k: round(r[k], 3) for k in keys if k in r})
    if out:
        with open(out, "w") as f:
            json.dump(
                {
                    str(t): {k: v for k, v in r.items() if k != "step_start"}
                    for t, r in rows.items()
                },
                f,
            )


if __name__ == "__main__":
    main()
