"""The page's memory over a long replay: the JS heap and DOM after playing a recorded run.

    .venv/bin/lookout demo mass-raid --speed 0 --json --audit mass-raid.sqlite   # once
    .venv/bin/python benchmarks/web_page.py mass-raid.sqlite [--speed 1 | --minutes 30]

Serves the log with ``lookout replay LOG --web``, opens the page in Debian's chromium (headless,
WebGL 2 on SwiftShader, driven by Playwright through ``executable_path``), and records the time
to the first rendered picture and Chrome's own metrics (``Performance.getMetrics``: JS heap used
and total, DOM nodes, JS event listeners) right after the load (the baseline) and then every
minute while the page plays the whole run at ``--speed`` times real time (1: the mass-raid's 30
minutes take 30 minutes), or at the speed that makes the play last ``--minutes`` of wall time
(for a log shorter than the scenario). Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import signal
import subprocess
import sys
import threading
import time

FLAGS = [
    "--use-angle=swiftshader", "--enable-unsafe-swiftshader", "--ignore-gpu-blocklist",
    "--no-sandbox", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run",
]  # fmt: skip


def metrics(cdp) -> dict:
    m = {x["name"]: x["value"] for x in cdp.send("Performance.getMetrics")["metrics"]}
    return {
        "js_heap_used_mb": round(m["JSHeapUsedSize"] / 2**20, 1),
        "js_heap_total_mb": round(m["JSHeapTotalSize"] / 2**20, 1),
        "dom_nodes": int(m["Nodes"]),
        "js_listeners": int(m["JSEventListeners"]),
    }


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("log")
    ap.add_argument("--speed", type=float, default=1.0, help="replay speed (times real time)")
    ap.add_argument(
        "--minutes",
        type=float,
        default=None,
        help="play the whole log in this many minutes of wall time (sets the speed)",
    )
    args = ap.parse_args(argv)
    if not args.speed > 0:
        ap.error(f"--speed {args.speed}: must be above 0")
    if args.minutes is not None and not args.minutes > 0:
        ap.error(f"--minutes {args.minutes}: must be above 0")
    from playwright.sync_api import sync_playwright

    t_start = time.monotonic()
    proc = subprocess.Popen(
        [sys.executable, "-m", "lookout.cli", "replay", args.log, "--web", "--port", "0"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True,
    )  # fmt: skip
    url = None
    for line in proc.stdout:
        found = re.search(r"the picture in a browser: (http://127\.0\.0\.1:\d+/)", line)
        if found:
            url = found.group(1)
            break
    if url is None:
        sys.exit("the replay printed no address")
    threading.Thread(target=proc.stdout.read, daemon=True).start()
    ready_s = round(time.monotonic() - t_start)
    out = {"log": args.log, "speed": args.speed, "replay_ready_s": ready_s}
    try:
        with sync_playwright() as pw:
            chromium = shutil.which("chromium") or "/usr/bin/chromium"
            browser = pw.chromium.launch(executable_path=chromium, args=FLAGS)
            page = browser.new_page(viewport={"width": 1400, "height": 850})
            errors = []
            page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else 0)
            cdp = page.context.new_cdp_session(page)
            cdp.send("Performance.enable")
            page.goto(url, timeout=300_000)
            page.wait_for_function("window.lookout && window.lookout.rendered", timeout=600_000)
            out["first_render_s"] = round(page.evaluate("lookout.firstRenderMs") / 1e3, 1)
            info = page.evaluate("lookout.logInfo()")
            out["tracks_in_log"] = info["tracks"]
            out["scenario_s"] = round(info["tEnd"] - info["tStart"])
            out["after_load"] = metrics(cdp)
            if args.minutes:
                args.speed = out["speed"] = round(out["scenario_s"] / (60.0 * args.minutes), 4)
            page.evaluate(f"lookout.play({args.speed})")
            wall0 = time.monotonic()
            out["during"] = []
            while True:
                time.sleep(min(60.0, max(5.0, out["scenario_s"] / args.speed / 20)))
                t = page.evaluate("lookout.time()")
                out["during"].append({"wall_s": round(time.monotonic() - wall0),
                                      "scenario_t_s": round(t)} | metrics(cdp))  # fmt: skip
                if t >= info["tEnd"] - 1e-6:
                    break
            out["played_wall_s"] = round(time.monotonic() - wall0)
            cdp.send("HeapProfiler.collectGarbage")
            out["after_replay_gc"] = metrics(cdp)
            out["console_errors"] = errors[:5]
            browser.close()
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
