"""The distributed form: `lookout serve` and three `lookout node` processes on a real
nats-server (started and stopped here), playing a scenario from a common start time; and the
same run with the exchange, a node and the broker each killed (-9) and restarted mid-raid."""

from __future__ import annotations

import asyncio
import json
import signal
import sqlite3
import subprocess
import sys
import threading
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


class Run:
    """The exchange and the three nodes as processes, their JSON status lines collected."""

    def __init__(self, server: NatsServer, tmp: Path, scenario: str, until: float, speed: float,
                 start_in_s: float = 25.0) -> None:  # fmt: skip
        self.server, self.tmp = server, tmp
        self.start = time.time() + start_in_s
        self.common = ["--scenario", scenario, "--start", str(self.start), "--speed", str(speed),
                       "--until-s", str(until), "--json"]  # fmt: skip
        self.audit = tmp / "audit.sqlite"
        self.procs: dict[str, subprocess.Popen] = {}
        self.lines: dict[str, list[dict]] = {name: [] for name in ["EXCHANGE", *PARTNERS]}
        self.logs: dict[str, list[str]] = {name: [] for name in ["EXCHANGE", *PARTNERS]}
        self.exits: dict[str, list[int]] = {name: [] for name in ["EXCHANGE", *PARTNERS]}

    def launch(self, name: str) -> None:
        if name == "EXCHANGE":
            args = ["serve", "--bus", _url(self.server, name), "--audit", str(self.audit)]
        else:
            args = ["node", "--partner", name, "--bus", _url(self.server, name),
                    "--state-dir", str(self.tmp / "state")]  # fmt: skip
        proc = subprocess.Popen([*LOOKOUT, *args, *self.common], stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True)  # fmt: skip
        self.procs[name] = proc
        threading.Thread(target=self._read, args=(name, proc), daemon=True).start()

    def _read(self, name: str, proc: subprocess.Popen) -> None:
        for line in proc.stdout:
            self.logs[name].append(line)
            if line.startswith("{"):
                self.lines[name].append(json.loads(line))

    def kill(self, name: str) -> float:
        proc = self.procs[name]
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
        self.exits[name].append(proc.returncode)
        return time.time()

    def wait(self, timeout_s: float = 240.0) -> None:
        for name, proc in self.procs.items():
            proc.wait(timeout_s)
            self.exits[name].append(proc.returncode)
        time.sleep(0.2)


def _audit_counts(path: Path) -> dict[tuple[str, str, str], int]:
    rows = sqlite3.connect(path).execute(
        "select sender, verdict, coalesce(reason, ''), count(*) from envelopes "
        "group by sender, verdict, reason"
    )
    return {(s, v, r): n for s, v, r, n in rows}


def test_serve_and_three_nodes_share_the_picture_over_nats(tmp_path: Path):
    plan_launches(load("srbm-salvo"))  # solve (or find cached) guidance before timing starts
    with NatsServer(PARTNERS) as server:
        run = Run(server, tmp_path, "srbm-salvo", until=170.0, speed=4.0)
        run.launch("EXCHANGE")
        time.sleep(3.0)  # the exchange creates the streams and the partners' consumers
        for p in PARTNERS:
            run.launch(p)
        run.wait()
    for name, codes in run.exits.items():
        assert codes == [0], "".join(run.logs[name][-30:])
    counts = _audit_counts(run.audit)
    for p in PARTNERS:
        assert counts.get((p, "accepted", ""), 0) > 20
    assert sum(n for (s, v, r), n in counts.items() if v != "accepted") == 0
    # Each node's last status: its picture holds the salvo's system tracks.
    for p in PARTNERS:
        assert run.lines[p][-1]["picture_tracks"] >= 3, run.logs[p][-5:]
        assert "refused" not in run.lines[p][-1]["received"]


def _stored_inbound(server: NatsServer) -> list[bytes]:
    """Every envelope the broker acked into the partners' inbound streams."""
    import nats

    from lookout.exchange.nats_bus import BATCH_HEADER, frame  # noqa: F401

    async def main():
        nc = await nats.connect(server.url, **server.login("EXCHANGE"), inbox_prefix="_INBOX.EXCHANGE")
        js = nc.jetstream()
        out = []
        for p in PARTNERS:
            info = await js.stream_info(f"LOOKOUT_IN_{p}")
            for seq in range(info.state.first_seq, info.state.last_seq + 1):
                try:
                    msg = await js.get_msg(f"LOOKOUT_IN_{p}", seq)
                except Exception:  # noqa: BLE001 - a deleted sequence
                    continue
                if msg.headers and BATCH_HEADER in msg.headers:
                    from nats.aio.msg import Msg

                    from lookout.exchange.nats_bus import unframe

                    out += unframe(Msg(None, subject=msg.subject, data=msg.data,
                                       headers=msg.headers))  # fmt: skip
                else:
                    out.append(msg.data)
        await nc.close()
        return out

    return asyncio.run(main())


@pytest.mark.slow
def test_kill_9_of_the_exchange_a_node_and_the_broker_during_a_raid(tmp_path: Path):
    """kill -9 of each process mid-raid: no acked envelope without an audit row, no genuine
    envelope refused as replayed, every partner's picture whole again within 10 s."""
    plan_launches(load("srbm-salvo"))
    store = tmp_path / "jetstream"
    with NatsServer(PARTNERS, store_dir=store) as server:
        run = Run(server, tmp_path, "srbm-salvo", until=200.0, speed=4.0)
        run.launch("EXCHANGE")
        time.sleep(3.0)
        for p in PARTNERS:
            run.launch(p)
        kills: dict[str, float] = {}

        def at(t_s: float) -> None:  # wait for scenario time t_s
            time.sleep(max(0.0, run.start + t_s / 4.0 - time.time()))

        at(100.0)  # the salvo is flying
        kills["EXCHANGE"] = run.kill("EXCHANGE")
        time.sleep(1.0)
        run.launch("EXCHANGE")
        at(130.0)
        kills["JP"] = run.kill("JP")
        time.sleep(1.0)
        run.launch("JP")
        at(160.0)
        server.kill()
        kills["broker"] = time.time()
        time.sleep(1.0)
        server.start()
        run.wait()
        stored = _stored_inbound(server)
    for name, codes in run.exits.items():
        assert codes[-1] == 0, "".join(run.logs[name][-30:])
    audited = {
        bytes(d) for (d,) in sqlite3.connect(run.audit).execute("select data from envelopes")
    }
    missing = [d for d in stored if d not in audited]
    assert stored and not missing, f"{len(missing)} of {len(stored)} acked envelopes not audited"
    counts = _audit_counts(run.audit)
    assert not {k: n for k, n in counts.items() if k[2] in ("replayed", "sequence")}, counts
    for p in PARTNERS:
        assert all("refused" not in line["received"] for line in run.lines[p]), p
    # Every partner's picture is whole again within 10 s of each restart.
    for what, t_kill in kills.items():
        back = t_kill + 1.0
        for p in PARTNERS:
            before = [ln["picture_tracks"] for ln in run.lines[p] if ln["unix_s"] < t_kill]
            after = [ln for ln in run.lines[p] if ln["unix_s"] > back]
            want = min(max(before[-3:]), 3) if before else 1
            whole = [ln["unix_s"] - back for ln in after if ln["picture_tracks"] >= want]
            assert whole and whole[0] <= 10.0, (what, p, before[-3:], after[:12])
