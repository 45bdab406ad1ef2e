"""The distributed form: `lookout serve` and three `lookout node` processes on a real
nats-server (started and stopped here), playing a scenario from a common start time."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from lookout.exchange.nats_server import NatsServer, find_nats_server
from lookout.scenario import load
from lookout.simulate import plan_launches

pytestmark = pytest.mark.skipif(find_nats_server() is None, reason="nats-server binary not found")

LOOKOUT = [sys.executable, "-m", "lookout.cli"]
PARTNERS = ["KR", "JP", "US"]


def _url(server: NatsServer, user: str) -> str:
    login = server.login(user)
    return server.url.replace("nats://", f"nats://{login['user']}:{login['password']}@")


def test_serve_and_three_nodes_share_the_picture_over_nats(tmp_path: Path):
    plan_launches(load("srbm-salvo"))  # solve (or find cached) guidance before timing starts
    until, speed = 170.0, 4.0  # SRBM-1 lifts off at 60 s; the salvo is in coast by 170 s
    with NatsServer(PARTNERS) as server:
        start = time.time() + 15.0
        common = ["--scenario", "srbm-salvo", "--start", str(start), "--speed", str(speed),
                  "--until-s", str(until)]  # fmt: skip
        audit = tmp_path / "audit.sqlite"
        procs = [
            subprocess.Popen(
                [
                    *LOOKOUT,
                    "serve",
                    "--bus",
                    _url(server, "EXCHANGE"),
                    "--audit",
                    str(audit),
                    *common,
                ],  # fmt: skip
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )  # fmt: skip
        ]
        time.sleep(3.0)  # the exchange creates the streams
        procs += [
            subprocess.Popen(
                [*LOOKOUT, "node", "--partner", p, "--bus", _url(server, p), *common],
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )  # fmt: skip
            for p in PARTNERS
        ]
        outputs = [proc.communicate(timeout=180)[0] for proc in procs]
    for proc, out in zip(procs, outputs, strict=True):
        assert proc.returncode == 0, out
    rows = sqlite3.connect(audit).execute(
        "select sender, verdict, count(*) from envelopes group by sender, verdict"
    )
    counts = {(s, v): n for s, v, n in rows}
    for p in PARTNERS:
        assert counts.get((p, "accepted"), 0) > 20
    assert sum(n for (s, v), n in counts.items() if v == "refused") == 0
    # Each node's last status line: its picture holds the salvo's system tracks.
    for p, out in zip(PARTNERS, outputs[1:], strict=True):
        last = [ln for ln in out.splitlines() if ln.startswith(f"{p} t=")][-1]
        tracks = int(last.split("picture")[1].split()[0])
        assert tracks >= 3, out
