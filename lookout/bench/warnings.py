"""Public warnings judged against the truth on a set of scenarios: issue 11's "Done when".

Each scenario runs the whole chain (``lookout warn``: sensors, partner nodes, the signed
exchange, fusion, assessment, each node's warning desk) and its alerts are judged with the same
polygons the desks use (``lookout.warn.judge``). Per scenario, one row: messages and whether
every one validated against the CAP XSD(s); per partner the time from launch to its first
message (``first_s``); the shortest lead time of a truly threatened area; the areas missed
(truly overflown or hit, never told to shelter), the false areas (told to shelter, never
threatened by the truth, on a stated 95 % region that did not hold the truth: a false alarm),
the precautionary ones (the same, but every call's stated region held the truth: the area was
inside an honest region and the truth passed beside it), the areas messaged at all that
nothing flew over or fell in (``unthreatened``, information included), late shelter calls,
withdrawals (NO_THREAT) and the longest time from a shelter call to its withdrawal, the longest
time from the hazard's end to the all-clear, areas told to shelter that never got one though
it was due in the run, those whose all-clear fell due after the run's end with the call in
force past the fall (a stage coming down after the run: the truth is flown to the ground), and
those whose call expired before the hazard's end.

Each scenario's ``lookout warn --json`` is kept in ``--out`` (``NAME.json``), with its audit log
and what every node received (``NAME.deliveries``), so a run resumes (``--reuse``), the page is
written again from earlier runs, and ``--again`` has the desks decide again from the kept
pictures with the rules as they are now (a change of ``lookout.warn.decide`` measured without
simulating the sensors and tracking again):

    .venv/bin/lookout bench warnings irbm-overflight lost-track generated/ --out bench-warn \
        --reuse --markdown bench-warn/report.md
    .venv/bin/lookout bench warnings irbm-overflight lost-track --out bench-warn --again
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any


def sources(args: Sequence[str]) -> list[str]:
    """Scenario sources from names, files and directories of ``*.yaml`` (sorted)."""
    out: list[str] = []
    for a in args:
        p = Path(a)
        if p.is_dir():
            out += [str(f) for f in sorted(p.glob("*.yaml"))]
        else:
            out.append(a)
    return out


def run(
    srcs: Sequence[str],
    out: Path,
    *,
    alone: str | None = None,
    reuse: bool = False,
    again: bool = False,
    log: Callable[[str], None] | None = None,
) -> list[dict[str, Any]]:
    """``lookout warn --json`` of every source (kept in ``out``), in order. With ``again`` the
    desks decide again, with the rules as they are now, from what each node received in the
    kept run (``NAME.deliveries``), without running the chain."""
    from lookout.app.warn_run import decide_again, run_warn
    from lookout.scenario import load

    out.mkdir(parents=True, exist_ok=True)
    commit = _commit()  # the rules this run imported
    results = []
    for src in srcs:
        sc = load(src)
        name = sc.name + (f"-alone-{alone}" if alone else "")
        path = out / f"{name}.json"
        if again:
            kept = out / f"{name}.deliveries"
            if not kept.exists():
                kept = out / f"{name}.sqlite"  # the picture replayed from the audit log
            if not kept.exists():
                raise ValueError(f"{src}: no kept run to decide again from in {out}")
            t0 = time.perf_counter()
            r = decide_again(sc, kept)
            r["source"] = src
            r["commit"] = commit
            (out / f"{name}.again.json").write_text(json.dumps(r, default=float))
            if log:
                log(f"{name}: decided again in {time.perf_counter() - t0:.0f} s")
            results.append(r)
            continue
        if reuse and path.exists():
            results.append(json.loads(path.read_text()))
            continue
        t0 = time.perf_counter()
        r = run_warn(
            sc,
            alone=alone,
            audit_path=None if alone else out / f"{name}.sqlite",
            deliveries_path=None if alone else out / f"{name}.deliveries",
        )
        r["source"] = src
        r["commit"] = commit
        path.write_text(json.dumps(r, default=float))
        if log:
            log(f"{name}: {time.perf_counter() - t0:.0f} s")
        results.append(r)
    return results


def _commit() -> str | None:
    """The checkout's commit (with ``+`` when it has changes): which rules a figure is of."""
    import subprocess

    root = Path(__file__).resolve().parents[2]
    try:
        head = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "--short", "HEAD"],
            capture_output=True, text=True, check=True, timeout=10,
        ).stdout.strip()  # fmt: skip
        dirty = subprocess.run(
            ["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True, text=True, check=True, timeout=10,
        ).stdout.strip()  # fmt: skip
    except (OSError, subprocess.SubprocessError):
        return None
    return head + ("+" if dirty else "")


def summary(r: dict[str, Any]) -> dict[str, Any]:
    """One scenario's row (see the module doc)."""
    areas = r["areas"]
    first: dict[str, float] = {}
    for a in areas:
        if a["first_message_s"] is not None:
            p = a["partner"]
            first[p] = min(first.get(p, a["first_message_s"]), a["first_message_s"])
    for m in r.get("maritime", []):
        if m["first_message_s"] is not None:
            p = m["partner"]
            first[p] = min(first.get(p, m["first_message_s"]), m["first_message_s"])
    leads = [a["lead_s"] for a in areas if a["truth_s"] is not None and a["lead_s"] is not None]
    withdrawn_after = [a["withdrawn_after_s"] for a in areas if "withdrawn_after_s" in a]
    clear = [a["all_clear_delay_s"] for a in areas if a["all_clear_delay_s"] is not None]
    unthreatened = sorted(
        {f"{a['partner']}:{a['code']}" for a in areas if a["truth_s"] is None and a["kinds"]}
    )
    return {
        "scenario": r["scenario"],
        "mode": r["mode"],
        "commit": r.get("commit"),
        "flights": len(r.get("flights", {})),
        "messages": r["messages"],
        "xsd_valid": r["xsd_valid"],
        "first_s": dict(sorted(first.items())),
        "min_lead_s": min(leads) if leads else None,
        "threatened": sorted(
            {f"{a['partner']}:{a['code']}" for a in areas if a["truth_s"] is not None}
        ),
        "missed_areas": r["missed_areas"],
        "unobserved_areas": r.get("unobserved_areas", []),
        "false_areas": r["false_areas"],
        "false_closest_km": {
            f"{a['partner']}:{a['code']}": a.get("truth_closest_km")
            for a in areas
            if a["truth_s"] is None
            and a["shelter"]
            and f"{a['partner']}:{a['code']}" not in r.get("precautionary_areas", [])
        },
        "precautionary_areas": r.get("precautionary_areas", []),
        "precautionary_closest_km": {
            f"{a['partner']}:{a['code']}": a.get("truth_closest_km")
            for a in areas
            if a["truth_s"] is None
            and a["shelter"]
            and f"{a['partner']}:{a['code']}" in r.get("precautionary_areas", [])
        },
        "unthreatened": unthreatened,
        "late_areas": r.get("late_areas", []),
        "withdrawals": r["withdrawals"],
        "max_withdrawn_after_s": max(withdrawn_after) if withdrawn_after else None,
        "max_all_clear_delay_s": max(clear) if clear else None,
        "without_all_clear": r.get("sheltered_without_all_clear", []),
        "all_clear_after_run": r.get("all_clear_after_run", []),
        "expired_early": r.get("expired_before_hazard_end", []),
        "maritime": len(r.get("maritime", [])),
        "false_seas": r.get("false_seas", []),
        "missed_seas": r.get("missed_seas", []),
        "by_kind": r.get("messages_by_kind", {}),
    }


def markdown(results: Sequence[dict[str, Any]], command: str) -> str:
    """The report: one row per scenario, then the pooled failures."""

    def f(x, spec=".0f"):
        return "-" if x is None else format(x, spec)

    def ls(xs):
        return ", ".join(xs) if xs else "none"

    rows = [summary(r) for r in results]
    lines = [
        f"`{command}`",
        "",
        "| scenario | mode (rules) | msgs | XSD | first message (s after launch) | min lead (s) "
        "| threatened | missed | false (shelter) | precautionary (shelter) "
        "| messaged, unthreatened | withdrawals "
        "(max s after shelter) | max all-clear after hazard (s) | no all-clear "
        "| all-clear due after the run (in force past the fall) | expired before the hazard's end "
        "| maritime (false seas) |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]

    def off(closest):
        return ls([k + (f" ({km:.0f} km off)" if km is not None else "")
                   for k, km in closest.items()])  # fmt: skip

    for s in rows:
        first = " ".join(f"{p} {v:.0f}" for p, v in s["first_s"].items()) or "-"
        false = off(s["false_closest_km"])
        precautionary = off(s["precautionary_closest_km"])
        lines.append(
            f"| {s['scenario']} | {s['mode']} ({s['commit'] or '?'}) | {s['messages']} "
            f"| {'valid' if s['xsd_valid'] else 'INVALID'} | {first} | {f(s['min_lead_s'])} "
            f"| {ls(s['threatened'])} | {ls(s['missed_areas'])} | {false} | {precautionary} "
            f"| {ls(s['unthreatened'])} | {s['withdrawals']} ({f(s['max_withdrawn_after_s'])}) "
            f"| {f(s['max_all_clear_delay_s'])} | {ls(s['without_all_clear'])} "
            f"| {ls(s['all_clear_after_run'])} | {ls(s['expired_early'])} "
            f"| {s['maritime']} ({ls(s['false_seas'])}) |"
        )
    n_false = sum(len(s["false_areas"]) for s in rows)
    n_missed = sum(len(s["missed_areas"]) for s in rows)
    lines += [
        "",
        f"{len(rows)} scenarios, {sum(s['messages'] for s in rows)} messages, "
        f"XSD {'all valid' if all(s['xsd_valid'] for s in rows) else 'SOME INVALID'}; "
        f"false shelter areas {n_false}, precautionary "
        f"{sum(len(s['precautionary_areas']) for s in rows)}, missed areas {n_missed}, "
        f"sheltered without all-clear {sum(len(s['without_all_clear']) for s in rows)} "
        f"(all-clear due after the run's end, the call in force past the fall: "
        f"{sum(len(s['all_clear_after_run']) for s in rows)}; expired before the hazard's end: "
        f"{sum(len(s['expired_early']) for s in rows)}).",
    ]
    return "\n".join(lines) + "\n"


__all__ = ["markdown", "run", "sources", "summary"]
