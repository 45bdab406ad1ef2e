"""The web server: the page, CesiumJS, the picture's log and streams, JSON, and CAP.

Routes (``view`` is ``all`` or a partner id, among those the server offers):

- ``GET /`` the page (``?view=JP`` for a partner's); ``/static/*`` its files; ``/cesium/*`` the
  pinned CesiumJS (``lookout.web.cesium``).
- ``GET /api/meta?view=`` scenario, epoch, mode (live or replay), views, the view's sensors
  and the pre-launch notifications it holds (``notices``, ``lookout.web.notices``);
  ``GET /api/notices?view=`` those notifications as GeoJSON, cut at the antimeridian.
- ``GET /api/log?view=&since=N`` the view's log entries from N (``lookout.web.history``);
  ``GET /api/stream?view=&since=N`` the same as server-sent events (``event: log``), as they come.
- ``GET /api/picture?view=`` the current picture: :class:`PictureSnapshot`, msgspec JSON, each
  track a ``SystemTrack`` of ``docs/messages.md``; ``GET /api/picture/stream?view=`` every
  system-track update as server-sent events (``event: system_track``).
- ``GET /cap/feed.atom`` and ``GET /cap/{identifier}.xml`` (``lookout.web.alerts``).

The server is uvicorn running in the caller's event loop (:class:`WebServer`), bound to loopback
by default, on a free port unless one is given.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import datetime as dt
import math
import socket
import threading
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import msgspec
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response, StreamingResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from lookout import messages as m
from lookout.exchange.policy import Policy
from lookout.scenario import Scenario
from lookout.web.alerts import Alert, AlertStore
from lookout.web.history import PictureHistory
from lookout.web.notices import notice_layer, notices_geojson
from lookout.web.sensors import sensor_layer

STATIC_DIR = Path(str(resources.files("lookout.web").joinpath("static")))
#: Seconds between keep-alive comments on an idle stream.
KEEPALIVE_S = 15.0


class PictureSnapshot(msgspec.Struct, kw_only=True):
    """``GET /api/picture``: one view's current picture."""

    view: str
    epoch: str  # the scenario epoch, ISO 8601 UTC
    t_ns: int  # the picture's time, ns from the epoch
    system_tracks: list[m.SystemTrack]


_json = msgspec.json.Encoder()


class Notifier:
    """Wakes every waiter at once when something was appended."""

    def __init__(self) -> None:
        self._future: asyncio.Future | None = None

    def notify(self) -> None:
        f = self._future
        if f is not None and not f.done():
            f.set_result(None)
        self._future = None

    async def wait(self, timeout: float) -> None:
        if self._future is None or self._future.done():
            self._future = asyncio.get_running_loop().create_future()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.shield(self._future), timeout)


@dataclass
class WebState:
    """What the server serves: the scenario (for the sensors and the epoch), the views, the
    history, the alerts, and whether it is live or a replay.

    The server runs in a thread of its own (:class:`WebServer`), so that a busy job (the demo's
    tracking) never holds up a page load; the job feeds this state from its thread.
    ``lock`` guards the history; ``loop`` is the server's event loop, woken through
    ``call_soon_threadsafe`` (at most one wake-up pending at a time).
    """

    scenario: Scenario
    policy: Policy | None
    history: PictureHistory
    mode: str = "live"  # or "replay"
    speed: float = 1.0
    alerts: AlertStore | None = None
    title: str = "Lookout"
    cot: object | None = None  # a lookout.web.cot.CotFeed, fed with the same updates
    notifier: Notifier = field(default_factory=Notifier)
    track_listeners: dict[str, set[asyncio.Queue]] = field(default_factory=dict)
    closing: bool = False
    done: bool = False
    loop: asyncio.AbstractEventLoop | None = None

    def __post_init__(self) -> None:
        self.lock = threading.RLock()
        self.history.on_append.append(self.wake)
        if self.alerts is None:
            self.alerts = AlertStore(self.now_utc)
        self.alerts.on_add.append(self._on_alert)
        self._sensors: dict[str, list[dict]] = {}
        self._notices: dict[str, list[dict]] = {}
        self._outbox: collections.deque = collections.deque()
        self._wake_pending = False

    @property
    def views(self) -> list[str]:
        return list(self.history.views)

    @property
    def epoch(self) -> dt.datetime:
        e = self.scenario.epoch
        return e if e.tzinfo else e.replace(tzinfo=dt.UTC)

    def t_s(self) -> float:
        """The latest picture time of any view (s from the epoch)."""
        ts = [v.t for v in self.history.views.values() if math.isfinite(v.t)]
        return max(ts, default=0.0)

    def now_utc(self) -> dt.datetime:
        return self.epoch + dt.timedelta(seconds=self.t_s())

    def add_track(self, view: str, st: m.SystemTrack) -> None:
        """One system-track update as ``view`` received it: the log, CoT, the JSON streams.
        Callable from any thread."""
        with self.lock:
            self.history.add(view, st)
        if self.cot is not None:
            self.cot.track(view, st)
        if self.track_listeners.get(view):
            self._outbox.append((view, st))
            self.wake()

    def add_alert(self, xml: bytes) -> Alert:
        """Keep an alert's CAP XML (the exact bytes) and show it: the seam for the warnings.
        Callable from any thread."""
        with self.lock:
            return self.alerts.add(xml)

    def finish(self) -> None:
        """The job is over: fly what is pending and tell the pages."""
        with self.lock:
            self.history.flush()
            self.done = True
        self.wake()

    def wake(self) -> None:
        """Wake the streams (from any thread)."""
        loop = self.loop
        if loop is None or loop.is_closed():
            return
        if not self._wake_pending:
            self._wake_pending = True
            try:
                loop.call_soon_threadsafe(self._on_wake)
            except RuntimeError:  # the loop closed meanwhile
                self._wake_pending = False

    def _on_wake(self) -> None:
        self._wake_pending = False
        while self._outbox:
            view, st = self._outbox.popleft()
            for q in list(self.track_listeners.get(view, ())):
                if q.full():
                    q.get_nowait()  # a slow reader loses the oldest update, not the newest
                q.put_nowait(st)
        self.notifier.notify()

    def sensors(self, view: str) -> list[dict]:
        if view not in self._sensors:
            self._sensors[view] = sensor_layer(self.scenario, self.policy, view)
        return self._sensors[view]

    def notices(self, view: str) -> list[dict]:
        """The pre-launch notifications ``view`` holds (``lookout.web.notices``)."""
        if view not in self._notices:
            self._notices[view] = notice_layer(self.scenario, self.policy, view)
        return self._notices[view]

    def _on_alert(self, alert: Alert) -> None:
        t = (alert.sent - self.epoch).total_seconds()
        summary = alert.summary(self.alerts.now())
        what = {"Alert": "issued", "Update": "updated", "Cancel": "cancelled"}.get(
            alert.msg_type, alert.msg_type
        )
        text = f"alert {what} by {alert.sender}: {alert.headline or alert.event}"
        with self.lock:
            self.history.add_alert(None, t, summary, text)
        if self.cot is not None:
            self.cot.alert(alert)


def make_app(state: WebState, cesium_dir: Path | None = None) -> Starlette:
    """The Starlette application serving ``state``."""
    from lookout.web import cesium

    cesium_path = cesium_dir or cesium.cesium_dir()

    def view_of(request: Request) -> str:
        view = request.query_params.get("view") or state.views[0]
        if view not in state.history.views:
            raise _NotFound(f"view = {view!r}, this server offers {', '.join(state.views)}")
        return view

    async def index(request: Request) -> Response:
        return FileResponse(STATIC_DIR / "index.html", headers={"Cache-Control": "no-cache"})

    async def meta(request: Request) -> Response:
        view = view_of(request)
        sc = state.scenario
        names = {p.id: p.name for p in sc.partners}
        return JSONResponse(
            {
                "title": state.title,
                "scenario": sc.name,
                "description": sc.description,
                "epoch": state.epoch.isoformat(),
                "epoch_ms": state.epoch.timestamp() * 1e3,
                "duration_s": sc.duration_s,
                "mode": state.mode,
                "speed": state.speed,
                "done": state.done,
                "view": view,
                "views": [
                    {"id": v, "name": "common picture" if v == "all" else names.get(v, v)}
                    for v in state.views
                ],  # fmt: skip
                "stale_s": state.history.stale_s,
                "sensors": state.sensors(view),
                "notices": state.notices(view),
                "cesium": cesium.CESIUM_VERSION,
            },
            headers={"Cache-Control": "no-store"},
        )

    async def notices(request: Request) -> Response:
        return JSONResponse(
            notices_geojson(state.notices(view_of(request))),
            media_type="application/geo+json",
            headers={"Cache-Control": "no-store"},
        )

    def cursor_of(request: Request) -> int:
        raw = request.query_params.get("since", "0")
        if not raw.isdigit():
            raise _BadRequest(f"since = {raw!r}, expected a non-negative integer")
        return int(raw)

    async def log_entries(request: Request) -> Response:
        view = view_of(request)
        with state.lock:
            entries, nxt = state.history.since(view, cursor_of(request))
        body = _json.encode({"view": view, "entries": entries, "next": nxt, "done": state.done})
        return Response(body, media_type="application/json", headers={"Cache-Control": "no-store"})

    async def stream(request: Request) -> Response:
        view = view_of(request)
        cursor = cursor_of(request)

        async def events() -> AsyncIterator[bytes]:
            nonlocal cursor
            yield b"retry: 1000\n\n"
            while not state.closing:
                with state.lock:
                    entries, nxt = state.history.since(view, cursor)
                if entries:
                    cursor = nxt
                    data = _json.encode({"entries": entries, "next": nxt, "done": state.done})
                    yield b"event: log\nid: %d\ndata: " % nxt + data + b"\n\n"
                    continue
                await state.notifier.wait(KEEPALIVE_S)
                with state.lock:
                    idle = len(state.history.view(view).entries) == cursor
                if idle and not state.closing:
                    yield b": keep-alive\n\n"

        return _sse(events())

    async def picture(request: Request) -> Response:
        view = view_of(request)
        with state.lock:
            t_ns, tracks = state.history.picture(view)
        snap = PictureSnapshot(
            view=view, epoch=state.epoch.isoformat(), t_ns=t_ns, system_tracks=tracks
        )
        return Response(
            _json.encode(snap), media_type="application/json", headers={"Cache-Control": "no-store"}
        )

    async def picture_stream(request: Request) -> Response:
        view = view_of(request)
        queue: asyncio.Queue = asyncio.Queue(maxsize=10_000)
        state.track_listeners.setdefault(view, set()).add(queue)

        async def events() -> AsyncIterator[bytes]:
            try:
                yield b"retry: 1000\n\n"
                while not state.closing:
                    try:
                        st = await asyncio.wait_for(queue.get(), KEEPALIVE_S)
                    except TimeoutError:
                        yield b": keep-alive\n\n"
                        continue
                    if st is None:
                        break
                    yield b"event: system_track\ndata: " + m.encode_json(st) + b"\n\n"
            finally:
                state.track_listeners[view].discard(queue)

        return _sse(events())

    async def cap_feed(request: Request) -> Response:
        base = str(request.base_url).rstrip("/")
        with state.lock:
            body = state.alerts.feed(base)
            last_modified = state.alerts.last_modified()
        etag = '"' + _digest(body) + '"'
        headers = {"Cache-Control": "no-cache", "ETag": etag}
        if last_modified:
            headers["Last-Modified"] = last_modified
        if request.headers.get("if-none-match") == etag:
            return Response(status_code=304, headers=headers)
        return Response(body, media_type="application/atom+xml; charset=utf-8", headers=headers)

    async def cap_alert(request: Request) -> Response:
        from urllib.parse import unquote

        name = request.path_params["name"] + ".xml"
        with state.lock:
            alert = state.alerts.by_file(name) or state.alerts.get(unquote(name[:-4]))
        if alert is None:
            return JSONResponse({"error": f"no alert {name!r}"}, 404)
        headers = {
            # An identifier names one message for ever: its bytes never change.
            "Cache-Control": "public, max-age=31536000, immutable",
            "ETag": alert.etag,
            "Last-Modified": _http_date(alert.sent),
        }
        if request.headers.get("if-none-match") == alert.etag:
            return Response(status_code=304, headers=headers)
        return Response(alert.xml, media_type="application/cap+xml", headers=headers)

    async def favicon(request: Request) -> Response:
        return FileResponse(STATIC_DIR / "favicon.svg", media_type="image/svg+xml")

    routes = [
        Route("/", index),
        Route("/favicon.ico", favicon),
        Route("/api/meta", meta),
        Route("/api/notices", notices),
        Route("/api/log", log_entries),
        Route("/api/stream", stream),
        Route("/api/picture", picture),
        Route("/api/picture/stream", picture_stream),
        Route("/cap/feed.atom", cap_feed),
        Route("/cap/{name:path}.xml", cap_alert),
        Mount("/static", StaticFiles(directory=STATIC_DIR), name="static"),
    ]
    if cesium_path.is_dir():
        routes.append(Mount("/cesium", StaticFiles(directory=cesium_path), name="cesium"))

    async def not_found(request: Request, exc: Exception) -> Response:
        return JSONResponse({"error": str(exc)}, 404)

    async def bad_request(request: Request, exc: Exception) -> Response:
        return JSONResponse({"error": str(exc)}, 400)

    return Starlette(
        routes=routes, exception_handlers={_NotFound: not_found, _BadRequest: bad_request}
    )


class _NotFound(Exception):
    pass


class _BadRequest(Exception):
    pass


def _sse(events: AsyncIterator[bytes]) -> StreamingResponse:
    return StreamingResponse(
        events,
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


def _digest(body: bytes) -> str:
    import hashlib

    return hashlib.sha256(body).hexdigest()[:32]


def _http_date(t: dt.datetime) -> str:
    from email.utils import format_datetime

    return format_datetime(t.astimezone(dt.UTC), usegmt=True)


class WebServer:
    """uvicorn serving a :class:`WebState` from a thread of its own, with its own event loop.

    ``await start()`` binds ``host:port`` (0: a free port) and returns the page's URL;
    ``await run_in_web(coro)`` runs a coroutine in the server's loop (the CoT server lives
    there too); ``await stop()`` ends the streams, the server and the thread.
    """

    def __init__(self, state: WebState, *, host: str = "127.0.0.1", port: int = 0,
                 cesium_dir: Path | None = None) -> None:  # fmt: skip
        self.state = state
        self.host = host
        self.port = port
        self.app = make_app(state, cesium_dir)
        self.loop: asyncio.AbstractEventLoop | None = None
        self._server = None
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}/"

    async def start(self) -> str:
        import uvicorn

        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((self.host, self.port))
        except OSError as e:
            sock.close()
            raise OSError(f"cannot listen on {self.host}:{self.port}: {e.strerror}") from None
        sock.listen(128)
        sock.setblocking(False)
        self.port = sock.getsockname()[1]
        config = uvicorn.Config(
            self.app, log_level="warning", lifespan="off", timeout_graceful_shutdown=2,
            access_log=False,
        )  # fmt: skip
        self._server = _QuietServer(config)
        self.loop = asyncio.new_event_loop()

        def run() -> None:
            asyncio.set_event_loop(self.loop)
            try:
                self.loop.run_until_complete(self._server.serve(sockets=[sock]))
            except BaseException as e:  # reported by start() or stop()
                self._error = e
            finally:
                self.loop.run_until_complete(self.loop.shutdown_asyncgens())
                self.loop.close()

        self.state.loop = self.loop
        self._thread = threading.Thread(target=run, name="lookout-web", daemon=True)
        self._thread.start()
        while not self._server.started:
            if not self._thread.is_alive():
                raise OSError(f"the web server did not start: {self._error}")
            await asyncio.sleep(0.01)
        return self.url

    async def run_in_web(self, coro):
        """Run ``coro`` in the server's event loop and return its result."""
        return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(coro, self.loop))

    async def stop(self) -> None:
        if self._thread is None:
            return
        self.state.closing = True

        def close_streams() -> None:
            self.state.notifier.notify()
            for queues in self.state.track_listeners.values():
                for q in queues:
                    with contextlib.suppress(asyncio.QueueFull):
                        q.put_nowait(None)

        with contextlib.suppress(RuntimeError):
            self.loop.call_soon_threadsafe(close_streams)
        self._server.should_exit = True
        await asyncio.to_thread(self._thread.join, 10.0)
        self._thread = None
        self.state.loop = None


def _quiet_server_class():
    import uvicorn

    class QuietServer(uvicorn.Server):
        """uvicorn without its signal handlers: the command that runs it handles Ctrl-C."""

        @contextlib.contextmanager
        def capture_signals(self):
            yield

    return QuietServer


def _QuietServer(config):  # noqa: N802 - a class made on first use (uvicorn imported lazily)
    return _quiet_server_class()(config)
