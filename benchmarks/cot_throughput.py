"""CoT events per second the feed sustains to PyTAK clients over loopback.

    .venv/bin/python benchmarks/cot_throughput.py [--seconds 10] [--tracks 50]

One ``CotServer`` (one view) in this process; PyTAK clients in processes of their own, each
reading events as a TAK client does (``pytak.protocol_factory``, ``RXWorker``). The producer
updates ``--tracks`` system tracks round-robin (each update: the track's event and its predicted
impact's, built from the state and covariance as in a live run; the tracks themselves are made
before the clock starts) as fast as it can for ``--seconds``, yielding to the event loop every
50 events so the sockets drain. Reported per run: events produced per second and, per client,
events received per second and whether every event arrived. The baseline is the same run with
one client; the figure is the three-client run.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import math
import multiprocessing as mp
import time
from configparser import ConfigParser

import numpy as np

from lookout import messages as m
from lookout.geodesy import enu_basis, geodetic_to_ecef
from lookout.web.cot import CotFeed, CotServer

EPOCH = dt.datetime(2024, 3, 18, 7, 40, tzinfo=dt.UTC)


def tracks(n: int, t_s: float) -> list[m.SystemTrack]:
    out = []
    for i in range(n):
        lat, lon = math.radians(38 + 0.05 * i), math.radians(128 + 0.1 * i)
        B = enu_basis(lat, lon)
        pos = geodetic_to_ecef(lat, lon, 150e3 + 1e3 * i)
        vel = B.T @ np.array([2000.0, 500.0, -100.0])
        P = np.eye(6) * 100.0
        a = m.Assessment(
            t_ns=round(t_s * 1e9), phase="coast", launch_lat_rad=math.radians(39.0),
            launch_lon_rad=math.radians(125.7), impact_lat_rad=math.radians(40.0),
            impact_lon_rad=math.radians(134.0), impact_time_ns=round((t_s + 300) * 1e9),
            impact_time_sigma_ns=round(5e9),
            impact_ellipse=m.Ellipse(semi_major_m=9e3, semi_minor_m=3e3, orientation_rad=1.2),
            vehicle_class="MRBM",
        )  # fmt: skip
        out.append(m.SystemTrack(system_track_id=f"S{i + 1}", t_ns=round(t_s * 1e9),
                                 x=[*map(float, pos), *map(float, vel)], P=P.tolist(),
                                 partners=["KR"], assessment=a))  # fmt: skip
    return out


def client(url: str, ready, results, stop_after_quiet_s: float = 2.0) -> None:
    import pytak

    class Collect(pytak.RXWorker):
        async def handle_data(self, data: bytes) -> None:
            pass

    async def main():
        cfg = ConfigParser()
        cfg["c"] = {"COT_URL": url}
        reader, _ = await pytak.protocol_factory(cfg["c"])
        q: asyncio.Queue = asyncio.Queue()
        rx = Collect(q, cfg["c"], reader)
        ready.set()
        n, first, last = 0, None, None
        while True:
            try:  # wait for the first event as long as it takes; then end when quiet
                await asyncio.wait_for(rx.run_once(), stop_after_quiet_s if n else 120.0)
            except TimeoutError:
                break
            while not q.empty():
                q.get_nowait()
                n += 1
                last = time.perf_counter()
                first = first or last
        results.put({"events": n, "span_s": (last - first) if first and last else 0.0})

    asyncio.run(main())


async def run(clients: int, seconds: float, n_tracks: int) -> dict:
    feed = CotFeed(EPOCH, ["KR"], now=lambda: EPOCH)
    server = CotServer(feed, {"KR": 0})
    feed.loop = asyncio.get_running_loop()
    ports = await server.start()
    ctx = mp.get_context("spawn")
    results = ctx.Queue()
    procs, readies = [], []
    for _ in range(clients):
        ready = ctx.Event()
        p = ctx.Process(target=client, args=(f"tcp://127.0.0.1:{ports['KR']}", ready, results))
        p.start()
        procs.append(p)
        readies.append(ready)
    while not all(r.is_set() for r in readies) or len(feed.clients["KR"]) < clients:
        await asyncio.sleep(0.05)
    rounds = [tracks(n_tracks, 100.0 + k) for k in range(20)]  # made before the clock starts
    produced = 0
    t0 = time.perf_counter()
    k = 0
    while time.perf_counter() - t0 < seconds:
        for st in rounds[k % len(rounds)]:
            feed.track("KR", st)
            produced += 2  # the track and its impact
            if produced % 50 == 0:
                await asyncio.sleep(0)
        k += 1
    elapsed = time.perf_counter() - t0
    # Let the sockets drain, then close so the clients end.
    for _ in range(200):
        if all(w.transport.get_write_buffer_size() == 0 for w in feed.clients["KR"]):
            break
        await asyncio.sleep(0.05)
    got = [await asyncio.to_thread(results.get, True, 60) for _ in procs]
    await server.close()
    for p in procs:
        p.join(10)
    return {
        "clients": clients,
        "tracks": n_tracks,
        "seconds": round(elapsed, 2),
        "produced_per_s": round(produced / elapsed),
        "received_per_s": [round(g["events"] / elapsed) for g in got],
        "all_delivered": all(g["events"] == produced for g in got),
        "dropped_clients": feed.dropped_clients,
    }


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--tracks", type=int, default=50)
    args = ap.parse_args(argv)
    baseline = asyncio.run(run(1, args.seconds, args.tracks))
    three = asyncio.run(run(3, args.seconds, args.tracks))
    ratio = three["received_per_s"][0] / max(baseline["received_per_s"][0], 1)
    print(json.dumps({"baseline_one_client": baseline, "three_clients": three,
                      "three_over_one": round(ratio, 2)}, indent=1))  # fmt: skip


if __name__ == "__main__":
    main()
