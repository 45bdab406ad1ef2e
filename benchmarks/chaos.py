"""kill -9 of the exchange, a partner node and a broker server, N times each, during a raid
(issue 15), on the documented deployment: a 3-server JetStream cluster with replicated streams.

    .venv/bin/python benchmarks/chaos.py --kills 10 --scenario srbm-salvo --speed 1

``lookout serve`` (``--replicas 3``) and ``lookout node`` for each partner run as processes
against the cluster, all playing the scenario from one start time. Every ``--every-s`` seconds
one of them is killed with SIGKILL, in turn the exchange, a node (each partner in turn) and a
server of the cluster (each in turn), and started again after ``--down-s``. At the end:

- **acked without an audit row**: every envelope the cluster acked into a partner's inbound
  stream must be in the exchange's audit log (must be 0);
- **refused as replayed**: envelopes refused as ``replayed`` or ``sequence`` by the exchange,
  or refused at all by a node (must be 0; redeliveries are counted apart as duplicates);
- **picture whole again**: per restart and partner, the seconds from the restart until that
  partner's picture holds again as many tracks as before the kill (capped at 3): the figures'
  maximum and median (must be at most 10 s);
- the audit log's hash chain (``lookout.exchange.audit.verify``).

Prints one JSON object; the run's processes write their logs to ``--workdir``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import sqlite3
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

from lookout.exchange.audit import verify
from lookout.exchange.nats import acked_inbound
from lookout.exchange.nats.server import NatsCluster

PARTNERS = ["KR", "JP", "US"]
LOOKOUT = [sys.executable, "-m", "lookout.cli"]


class Coalition:
    def __init__(self, cluster: NatsCluster, workdir: Path, scenario: str, speed: float,
                 until: float) -> None:  # fmt: skip
        self.cluster, self.workdir = cluster, workdir
        self.start_file = workdir / "start"
        self.start_file.unlink(missing_ok=True)
        self.start = 0.0
        self.ready: dict[str, list[float]] = {}
        self.common = ["--scenario", scenario, "--start", f"@{self.start_file}",
                       "--speed", str(speed), "--until-s", str(until), "--json"]  # fmt: skip
        self.audit = workdir / "audit.sqlite"
        self.procs: dict[str, subprocess.Popen] = {}
        self.lines: dict[str, list[dict]] = {n: [] for n in ["EXCHANGE", *PARTNERS]}

    def urls(self, user: str) -> str:
        pw = self.cluster.login(user)["password"]
        return ",".join(u.replace("nats://", f"nats://{user}:{pw}@") for u in self.cluster.urls)

    def launch(self, name: str) -> None:
        if name == "EXCHANGE":
            args = ["serve", "--bus", self.urls(name), "--audit", str(self.audit),
                    "--replicas", "3"]  # fmt: skip
        else:
            args = ["node", "--partner", name, "--bus", self.urls(name),
                    "--state-dir", str(self.workdir / "state")]  # fmt: skip
        log = open(self.workdir / f"{name}.log", "a")  # noqa: SIM115 - kept by the process
        proc = subprocess.Popen([*LOOKOUT, *args, *self.common], stdout=subprocess.PIPE,
                                stderr=log, text=True)  # fmt: skip
        self.procs[name] = proc
        threading.Thread(target=self._read, args=(name, proc), daemon=True).start()

    def _read(self, name: str, proc: subprocess.Popen) -> None:
        for line in proc.stdout:
            if line.startswith("{"):
                record = json.loads(line)
                if "ready" in record:
                    self.ready.setdefault(name, []).append(record["unix_s"])
                else:
                    self.lines[name].append(record)

    def wait_ready(self, name: str, n: int, timeout_s: float = 180.0) -> float:
        deadline = time.time() + timeout_s
        while len(self.ready.get(name, [])) < n:
            if time.time() > deadline:
                raise RuntimeError(f"{name} not set up within {timeout_s} s")
            time.sleep(0.05)
        return self.ready[name][n - 1]

    def kill(self, name: str) -> None:
        self.procs[name].send_signal(signal.SIGKILL)
        self.procs[name].wait(10)


def stored_inbound(cluster: NatsCluster) -> list[bytes]:
    return asyncio.run(acked_inbound(cluster.urls, cluster.login("EXCHANGE"), PARTNERS))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--kills", type=int, default=10, help="kills of each kind")
    ap.add_argument("--scenario", default="srbm-salvo")
    ap.add_argument("--speed", type=float, default=1.0)
    ap.add_argument("--every-s", type=float, default=12.0, help="wall seconds between kills")
    ap.add_argument("--down-s", type=float, default=1.0, help="wall seconds a process stays down")
    ap.add_argument("--first-s", type=float, default=80.0, help="scenario time of the first kill")
    ap.add_argument("--workdir", type=Path, default=Path("chaos-run"))
    args = ap.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    n_kills = 3 * args.kills
    until = args.first_s + (n_kills + 2) * args.every_s * args.speed
    result: dict = {"kills_each": args.kills, "scenario": args.scenario, "speed": args.speed}
    with NatsCluster(PARTNERS, workdir=args.workdir / "cluster") as cluster:
        run = Coalition(cluster, args.workdir, args.scenario, args.speed, until)
        run.launch("EXCHANGE")
        run.wait_ready("EXCHANGE", 1)
        for p in PARTNERS:
            run.launch(p)
        for p in PARTNERS:
            run.wait_ready(p, 1)
        run.start = time.time() + 2.0
        run.start_file.write_text(repr(run.start))
        restarts: list[tuple[str, float]] = []
        startup: list[float] = []
        t_next = run.start + args.first_s / args.speed
        for k in range(n_kills):
            time.sleep(max(0.0, t_next - time.time()))
            what = ("exchange", "node", "broker")[k % 3]
            i = k // 3
            if what in ("exchange", "node"):
                name = "EXCHANGE" if what == "exchange" else PARTNERS[i % 3]
                n = len(run.ready.get(name, []))
                t_kill = time.time()
                run.kill(name)
                time.sleep(args.down_s)
                run.launch(name)
                back = run.wait_ready(name, n + 1)  # set up again (Python, the simulator)
                startup.append(back - t_kill - args.down_s)
            else:
                server = cluster.servers[i % 3]
                name = f"server{i % 3}"
                t_kill = time.time()
                server.kill()
                time.sleep(args.down_s)
                server.start()
                back = time.time()
            restarts.append((name, back, t_kill))
            print(f"killed and restarted {name}", file=sys.stderr)
            t_next += args.every_s
        for proc in run.procs.values():
            proc.wait(until / args.speed + 120)
        stored = stored_inbound(cluster)
    db = sqlite3.connect(run.audit)
    audited = {bytes(d) for (d,) in db.execute("select data from envelopes")}
    rows = db.execute(
        "select verdict, coalesce(reason, ''), count(*) from envelopes group by verdict, reason"
    ).fetchall()
    verdicts = {f"{v} {r}".strip(): n for v, r, n in rows}
    node_refused = sum(
        line["received"].get("refused", 0) for p in PARTNERS for line in run.lines[p][-1:]
    )
    whole: list[float] = []
    never = 0
    (args.workdir / "status.json").write_text(json.dumps({"restarts": restarts,
                                                          "lines": run.lines}))  # fmt: skip
    kills_at = [k for _, _, k in restarts] + [float("inf")]
    exchange_lines = run.lines["EXCHANGE"]

    def exchange_tracks(t: float) -> int:  # what the exchange's picture holds at t
        now = [ln["system_tracks_now"] for ln in exchange_lines if ln["unix_s"] <= t]
        return now[-1] if now else 0

    for j, (_, back, t_kill) in enumerate(restarts):
        for p in PARTNERS:
            before = [ln["picture_tracks"] for ln in run.lines[p] if ln["unix_s"] < t_kill]
            want = min(max(before[-3:]), 3) if before and max(before[-3:]) else 0
            lines = [ln for ln in run.lines[p] if back < ln["unix_s"] < kills_at[j + 1]]
            if not want or not lines:  # nothing to restore, or p itself down then
                continue
            # Whole: as many tracks as before the kill, or as the exchange holds by then (the
            # raid's objects come down as it goes on).
            after = [
                ln["unix_s"] - back
                for ln in lines
                if ln["picture_tracks"] >= min(want, exchange_tracks(ln["unix_s"]) or want)
            ]
            if after:
                whole.append(after[0])
            else:
                never += 1
    check = verify(run.audit)
    result.update(
        envelopes_stored=len(stored),
        acked_without_audit_row=sum(d not in audited for d in stored),
        refused_as_replayed=sum(verdicts.get(f"refused {r}", 0) for r in ("replayed", "sequence")),
        refused_at_nodes=node_refused,
        verdicts=verdicts,
        restarts=len(restarts),
        process_startup_s={
            "max": round(max(startup), 1) if startup else None,
            "median": round(statistics.median(startup), 1) if startup else None,
        },
        picture_whole_again_s={
            "max": round(max(whole), 1) if whole else None,
            "median": round(statistics.median(whole), 1) if whole else None,
            "n": len(whole),
            "never": never,
        },
        audit_chain_ok=check.ok,
        audit_rows=check.rows,
        audit_problems=check.problems[:5],
    )
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
