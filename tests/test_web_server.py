"""The web server in its own thread (as every command runs it): the page's stream of log
entries and the JSON stream of system tracks, fed from another thread as a running job feeds
them."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from pathlib import Path

import httpx
import pytest
from test_web_cot import system_track

from lookout import messages as m
from lookout.scenario import load
from lookout.web.history import PictureHistory
from lookout.web.server import WebServer, WebState


def _events(lines, kind: str, n: int) -> list[str]:
    out, event = [], None
    for line in lines:
        if line.startswith("event: "):
            event = line[7:]
        elif line.startswith("data: ") and event == kind:
            out.append(line[6:])
            if len(out) == n:
                return out
    return out


@pytest.fixture()
def served():
    sc = load(Path(__file__).parent / "data" / "web-mrbm.yaml")
    state = WebState(sc, None, PictureHistory(["all", "JP"]))

    async def start(server):
        return await server.start()

    server = WebServer(state)
    loop = asyncio.new_event_loop()
    url = loop.run_until_complete(start(server))
    yield state, url
    loop.run_until_complete(server.stop())
    loop.close()
    assert state.loop is None


def test_streams_carry_updates_made_in_another_thread(served):
    state, url = served
    got: dict[str, list] = {}

    def read(path, kind, n):
        with httpx.stream("GET", url + path, timeout=20) as r:
            assert r.headers["content-type"].startswith("text/event-stream")
            got[path] = _events(r.iter_lines(), kind, n)

    readers = [
        threading.Thread(target=read, args=("api/picture/stream?view=JP", "system_track", 3)),
        threading.Thread(target=read, args=("api/stream?view=JP&since=0", "log", 1)),
    ]
    for t in readers:
        t.start()
    for _ in range(200):  # until the JSON stream has subscribed
        if state.track_listeners.get("JP"):
            break
        time.sleep(0.05)
    sent = [system_track("S1", 100.0 + k, 40.5, 130.0 + 0.1 * k, 180e3, ["JP"]) for k in range(3)]
    for st in sent:  # from this thread, as the demo's loop does
        state.add_track("JP", st)
    for t in readers:
        t.join(20)
    stream = got["api/picture/stream?view=JP"]
    tracks = [m.decode_json(d.encode(), type=m.SystemTrack) for d in stream]
    assert tracks == sent
    first = json.loads(got["api/stream?view=JP&since=0"][0])
    assert any(e["k"] == "s" and e["id"] == "S1" for e in first["entries"])
    assert httpx.get(url + "api/picture?view=all").json()["system_tracks"] == []
    assert httpx.get(url + "api/picture?view=KR").status_code == 404
