"""Cursor-on-Target for TAK clients: the picture as CoT events over TCP, or TLS.

Each system track is an event of type ``a-<aff>-A-W-M-S-S`` (MIL-STD-2525 air track, weapon,
missile in flight, surface-to-surface missile) or ``a-<aff>-P`` (a space track, once assessed
orbital), with its position (``hae`` metres above the WGS84 ellipsoid; ``ce``/``le`` the 1-sigma
horizontal and vertical errors from its covariance, metres), course and speed, stale five
seconds after its time (the picture drops a track not refreshed for that long). Its predicted
impact is a ``u-d-c-e`` event (an ellipse: ``major``/``minor`` are the 95% ellipse's semi-axes in
metres, ``angle`` the major axis's azimuth in degrees clockwise from north) linked to the track,
stale a minute after the predicted impact time. A warned area is a ``u-d-f`` shape (one ``link``
per vertex of its CAP polygon), stale when the alert expires.

Affiliation ``<aff>`` is ``u`` (unknown) unless the partner's :class:`CotPolicy` names the
territory the track was launched from as hostile (``h``). CoT carries no releasability, so every
stream serves one view: :class:`CotServer` listens on one port per view and writes to a client
only the events of its view's picture (a partner's view holds only what the exchange released to
it). A new client first gets the view's current picture, then every update as it comes. A client
that cannot keep up (more than ``max_buffer`` bytes queued) is dropped, not waited for.

Times are UTC: the scenario epoch plus the picture's time.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import math
import ssl
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from xml.sax.saxutils import quoteattr

import numpy as np
import yaml

from lookout import messages as m
from lookout.errors import LookoutError
from lookout.geodesy import ecef_to_geodetic
from lookout.timebase import ns_to_s
from lookout.web.history import impact_area_text, track_label

log = logging.getLogger(__name__)

#: Seconds after its time that a track's event goes stale.
TRACK_STALE_S = 5.0
#: Seconds after the predicted impact that the impact's event goes stale.
IMPACT_STALE_S = 60.0


class CotPolicyError(LookoutError, ValueError):
    """A CoT policy file that does not say what it must."""


@dataclass(frozen=True)
class CotPolicy:
    """Per view (partner id), the territories (ISO 3166-1 alpha-2) whose launches that partner
    marks hostile; every other track is of unknown affiliation."""

    hostile_launch_areas: dict[str, frozenset[str]] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, data) -> CotPolicy:
        if data is None:
            return cls()
        if not isinstance(data, dict):
            raise CotPolicyError(f"cot policy: expected a mapping of partner ids, got {data!r}")
        out = {}
        for view, spec in data.items():
            if not isinstance(spec, dict) or set(spec) - {"hostile_launch_areas"}:
                raise CotPolicyError(
                    f"{view}: expected {{hostile_launch_areas: [codes]}}, got {spec!r}"
                )
            codes = spec.get("hostile_launch_areas") or []
            if not isinstance(codes, list) or not all(
                isinstance(c, str) and len(c) == 2 and c.isalpha() for c in codes
            ):
                raise CotPolicyError(
                    f"{view}.hostile_launch_areas = {codes!r}: expected ISO 3166-1 alpha-2 codes"
                )
            out[str(view)] = frozenset(c.upper() for c in codes)
        return cls(out)

    @classmethod
    def load(cls, path: str | Path) -> CotPolicy:
        try:
            return cls.from_dict(yaml.safe_load(Path(path).read_text()))
        except (OSError, yaml.YAMLError) as e:
            raise CotPolicyError(f"{path}: {e}") from None
        except CotPolicyError as e:
            raise CotPolicyError(f"{path}: {e}") from None

    def affiliation(self, view: str, launch_area: str | None) -> str:
        """``h`` if ``view`` deems launches from ``launch_area`` hostile, else ``u``."""
        hostile = self.hostile_launch_areas.get(view, frozenset())
        return "h" if launch_area is not None and launch_area in hostile else "u"


def _iso(t: dt.datetime) -> str:
    """CoT's time format: UTC, milliseconds, ``Z``."""
    t = t.astimezone(dt.UTC)
    return (f"{t.year:04d}-{t.month:02d}-{t.day:02d}T{t.hour:02d}:{t.minute:02d}:"
            f"{t.second:02d}.{t.microsecond // 1000:03d}Z")  # fmt: skip


def _enu(lat: float, lon: float) -> np.ndarray:
    """``lookout.geodesy.enu_basis`` for one point, without numpy's per-call overhead on
    scalars (a CoT event is built per track update)."""
    sl, cl, so, co = math.sin(lat), math.cos(lat), math.sin(lon), math.cos(lon)
    return np.array([[-so, co, 0.0], [-sl * co, -sl * so, cl], [cl * co, cl * so, sl]])


def launch_area(a: m.Assessment | None) -> str | None:
    """The territory code (land or EEZ) of an assessment's launch point, or None."""
    if a is None or a.launch_lat_rad is None or a.launch_lon_rad is None:
        return None
    from lookout.assess.territory import territories

    return territories().area_at(a.launch_lat_rad, a.launch_lon_rad).code


def track_event(
    st: m.SystemTrack, epoch: dt.datetime, affiliation: str = "u", *, launch: str | None = None
) -> bytes:
    """The CoT event of one system track (see the module docstring)."""
    x = np.array(st.x, dtype=float)
    lat, lon, hae = (float(v) for v in ecef_to_geodetic(x[:3]))
    B = _enu(lat, lon)  # rows E, N, U
    v_enu = B @ x[3:6]
    cov = B @ np.array([row[:3] for row in st.P[:3]]) @ B.T
    ce = math.sqrt(max(0.5 * (cov[0, 0] + cov[1, 1]), 0.0))
    le = math.sqrt(max(cov[2, 2], 0.0))
    course = math.degrees(math.atan2(v_enu[0], v_enu[1])) % 360.0
    speed = math.hypot(v_enu[0], v_enu[1])
    a = st.assessment
    orbital = a is not None and a.orbital
    kind = f"a-{affiliation}-P" if orbital else f"a-{affiliation}-A-W-M-S-S"
    t = epoch + dt.timedelta(seconds=ns_to_s(st.t_ns))
    label = st.system_track_id
    remarks = [f"Lookout system track {st.system_track_id}"]
    what = track_label(st)
    if what:
        label += f" {what}"
    if st.event_id:
        remarks.append(f"launch event {st.event_id}")
    if st.notices:  # a partner's pre-launch notification covers it ("PARTNER/NOTICE_ID")
        remarks.append(
            "announced by " + ", ".join(n.replace("/", " notice ", 1) for n in st.notices)
        )
    if a is not None:
        remarks.append(f"phase {a.phase}")
        if what:
            remarks.append(f"class {what}")
        if a.apogee_m is not None:
            remarks.append(f"apogee {a.apogee_m / 1e3:.0f} km")
        if a.range_m is not None:
            remarks.append(f"range {a.range_m / 1e3:.0f} km")
        if a.overflown:
            remarks.append("overflies " + " ".join(a.overflown))
    if launch:
        remarks.append(f"launched from {launch}")
    remarks.append(f"vertical speed {v_enu[2]:.0f} m/s; partners {' '.join(st.partners)}")
    return (
        f'<event version="2.0" uid={quoteattr("lookout." + st.system_track_id)} '
        f'type="{kind}" how="m-f" time="{_iso(t)}" start="{_iso(t)}" '
        f'stale="{_iso(t + dt.timedelta(seconds=TRACK_STALE_S))}">'
        f'<point lat="{math.degrees(lat):.6f}" lon="{math.degrees(lon):.6f}" hae="{hae:.1f}" '
        f'ce="{ce:.1f}" le="{le:.1f}"/>'
        f'<detail><track course="{course:.1f}" speed="{speed:.1f}"/>'
        f"<contact callsign={quoteattr(label)}/>"
        f"<remarks>{_text('; '.join(remarks))}</remarks></detail></event>"
    ).encode()


def impact_event(st: m.SystemTrack, epoch: dt.datetime, affiliation: str = "u") -> bytes | None:
    """The predicted impact of a track after burnout, as an ellipse event; None before."""
    a = st.assessment
    if a is None or a.iip or a.impact_lat_rad is None or a.impact_time_ns is None or a.orbital:
        return None
    t = epoch + dt.timedelta(seconds=ns_to_s(st.t_ns))
    t_imp = epoch + dt.timedelta(seconds=ns_to_s(a.impact_time_ns))
    e = a.impact_ellipse
    major = e.semi_major_m if e else 0.0
    minor = e.semi_minor_m if e else 0.0
    angle = math.degrees(e.orientation_rad) if e else 0.0
    sigma = ns_to_s(a.impact_time_sigma_ns) if a.impact_time_sigma_ns is not None else float("nan")
    area = impact_area_text(a)
    remarks = (
        f"Predicted impact of {st.system_track_id} at {_iso(t_imp)} (1-sigma {sigma:.0f} s), "
        f"95% ellipse {major / 1e3:.1f} x {minor / 1e3:.1f} km, {area}"
    )
    parent = "lookout." + st.system_track_id
    return (
        f'<event version="2.0" uid={quoteattr(parent + ".impact")} type="u-d-c-e" how="h-e" '
        f'time="{_iso(t)}" start="{_iso(t)}" '
        f'stale="{_iso(max(t_imp, t) + dt.timedelta(seconds=IMPACT_STALE_S))}">'
        f'<point lat="{math.degrees(a.impact_lat_rad):.6f}" '
        f'lon="{math.degrees(a.impact_lon_rad):.6f}" '
        f'hae="0.0" ce="{major:.1f}" le="9999999.0"/>'
        f'<detail><shape><ellipse major="{major:.1f}" minor="{minor:.1f}" angle="{angle:.1f}"/>'
        f"</shape><contact callsign={quoteattr(st.system_track_id + ' impact')}/>"
        f'<link uid={quoteattr(parent)} type="a-{affiliation}-A-W-M-S-S" relation="p-p"/>'
        f"<remarks>{_text(remarks)}</remarks></detail></event>"
    ).encode()


def area_events(alert, now: dt.datetime) -> list[bytes]:
    """A warned area's shapes (one ``u-d-f`` event per CAP polygon) of an
    :class:`~lookout.web.alerts.Alert`, stale when it expires."""
    out = []
    stale = alert.expires or (now + dt.timedelta(hours=1))
    state = alert.state(now)
    # ARGB as signed 32-bit integers, as TAK writes colours: red, yellow, green, grey.
    argb = {"shelter": "-65536", "monitor": "-256", "all_clear": "-16711936"}
    colour = argb.get(state, "-7829368")
    k = 0
    for area in alert.areas:
        for poly in area.polygons:
            lat = sum(p[0] for p in poly) / len(poly)
            lon = sum(p[1] for p in poly) / len(poly)
            links = "".join(f'<link point="{p[0]:.5f},{p[1]:.5f}"/>' for p in poly)
            uid = f"lookout.alert.{alert.identifier}.{k}"
            k += 1
            out.append(
                (
                    f'<event version="2.0" uid={quoteattr(uid)} type="u-d-f" how="h-e" '
                    f'time="{_iso(alert.sent)}" start="{_iso(alert.sent)}" '
                    f'stale="{_iso(stale)}">'
                    f'<point lat="{lat:.6f}" lon="{lon:.6f}" hae="0.0" ce="9999999.0" '
                    f'le="9999999.0"/><detail>{links}'
                    f'<strokeColor value="{colour}"/><fillColor value="{colour}"/>'
                    f"<contact callsign={quoteattr(area.desc or alert.event)}/>"
                    f"<remarks>{_text(f'{alert.headline} ({state})')}</remarks></detail></event>"
                ).encode()
            )
    return out


def _text(s: str) -> str:
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class CotFeed:
    """The CoT events of every view: the latest per uid (what a new client gets first) and the
    clients to write updates to. Feed it with :meth:`track` and :meth:`alert`."""

    def __init__(
        self,
        epoch: dt.datetime,
        views: list[str],
        policy: CotPolicy | None = None,
        *,
        max_buffer: int = 4 << 20,
        now: Callable[[], dt.datetime] | None = None,
    ) -> None:
        self.epoch = epoch
        self.policy = policy or CotPolicy()
        self.max_buffer = max_buffer
        self.now = now or (lambda: dt.datetime.now(dt.UTC))
        self.latest: dict[str, dict[str, tuple[bytes, dt.datetime]]] = {v: {} for v in views}
        self.clients: dict[str, set[asyncio.StreamWriter]] = {v: set() for v in views}
        self.sent = 0
        self.dropped_clients = 0
        self._launch_area: dict[str, str | None] = {}
        self._built: dict[str, tuple] = {}
        #: The loop the clients live in; updates from other threads are handed to it.
        self.loop: asyncio.AbstractEventLoop | None = None

    def track(self, view: str, st: m.SystemTrack) -> None:
        """A system track's update as ``view`` received it."""
        if view not in self.latest:
            return
        a = st.assessment
        key = st.system_track_id
        if key not in self._launch_area or (self._launch_area[key] is None and a is not None):
            if a is not None and a.launch_lat_rad is not None:
                self._launch_area[key] = launch_area(a)
            else:
                self._launch_area.setdefault(key, None)
        area = self._launch_area.get(key)
        aff = self.policy.affiliation(view, area)
        t = self.epoch + dt.timedelta(seconds=ns_to_s(st.t_ns))
        # Every view gets the same update of a track: build its events once per affiliation.
        built = self._built.get(key)
        if built is None or built[0] != (st.t_ns, aff):
            ev = track_event(st, self.epoch, aff, launch=area)
            built = self._built[key] = ((st.t_ns, aff), ev, impact_event(st, self.epoch, aff))
        self._emit(view, "lookout." + key, built[1], t + dt.timedelta(seconds=TRACK_STALE_S))
        imp = built[2]
        if imp is not None:
            t_imp = self.epoch + dt.timedelta(seconds=ns_to_s(a.impact_time_ns))
            self._emit(view, f"lookout.{key}.impact", imp,
                       max(t_imp, t) + dt.timedelta(seconds=IMPACT_STALE_S))  # fmt: skip

    def alert(self, alert, views: list[str] | None = None) -> None:
        """An alert's warned areas, to ``views`` (default: all; alerts are public)."""
        now = self.now()
        stale = alert.expires or (now + dt.timedelta(hours=1))
        for view in views or list(self.latest):
            for k, ev in enumerate(area_events(alert, now)):
                self._emit(view, f"lookout.alert.{alert.identifier}.{k}", ev, stale)

    def snapshot(self, view: str, now: dt.datetime | None = None) -> list[bytes]:
        """The events of ``view`` not yet stale at ``now`` (default: the feed's clock)."""
        now = now or self.now()
        return [ev for ev, stale in self.latest[view].values() if stale > now]

    def _emit(self, view: str, uid: str, event: bytes, stale: dt.datetime) -> None:
        loop = self.loop
        if loop is not None and not _in_loop(loop):
            if not loop.is_closed():
                loop.call_soon_threadsafe(self._emit, view, uid, event, stale)
            return
        self.latest[view][uid] = (event, stale)
        for w in list(self.clients[view]):
            self._write(view, w, event)

    def _write(self, view: str, w: asyncio.StreamWriter, event: bytes) -> None:
        if w.is_closing():
            self.clients[view].discard(w)
            return
        if w.transport.get_write_buffer_size() > self.max_buffer:
            log.warning("CoT client on view %s cannot keep up: dropped", view)
            self.dropped_clients += 1
            self.clients[view].discard(w)
            w.close()
            return
        w.write(event)
        self.sent += 1

    async def serve_client(self, view: str, reader: asyncio.StreamReader,
                           writer: asyncio.StreamWriter) -> None:  # fmt: skip
        """Stream ``view`` to one connected client until it goes away."""
        for ev in self.snapshot(view):
            self._write(view, writer, ev)
        self.clients[view].add(writer)
        try:
            while True:  # TAK clients may send their own events (e.g. pings): read and ignore
                data = await reader.read(65536)
                if not data:
                    break
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            self.clients[view].discard(writer)
            writer.close()


def _in_loop(loop: asyncio.AbstractEventLoop) -> bool:
    try:
        return asyncio.get_running_loop() is loop
    except RuntimeError:
        return False


def server_ssl_context(cert: str | Path, key: str | Path, ca: str | Path | None = None):
    """A TLS server context from a certificate and key (PEM); with ``ca``, clients must present
    a certificate signed by it (as TAK servers require)."""
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(str(cert), str(key))
    if ca is not None:
        ctx.load_verify_locations(str(ca))
        ctx.verify_mode = ssl.CERT_REQUIRED
    return ctx


class CotServer:
    """One listening socket per view (``ports``: view -> port, 0 for a free one), on ``host``
    (loopback by default), plain TCP or TLS with ``ssl_context``."""

    def __init__(
        self,
        feed: CotFeed,
        ports: dict[str, int],
        *,
        host: str = "127.0.0.1",
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self.feed = feed
        self.ports = dict(ports)
        self.host = host
        self.ssl_context = ssl_context
        self._servers: list[asyncio.base_events.Server] = []

    async def start(self) -> dict[str, int]:
        """Listen; returns the port of each view."""
        for view, port in list(self.ports.items()):
            server = await asyncio.start_server(
                lambda r, w, v=view: self.feed.serve_client(v, r, w),
                self.host,
                port,
                ssl=self.ssl_context,
            )
            self.ports[view] = server.sockets[0].getsockname()[1]
            self._servers.append(server)
        return dict(self.ports)

    def urls(self) -> dict[str, str]:
        scheme = "tls" if self.ssl_context else "tcp"
        return {v: f"{scheme}://{self.host}:{p}" for v, p in self.ports.items()}

    async def close(self) -> None:
        for clients in self.feed.clients.values():
            for w in list(clients):
                w.close()
        for s in self._servers:
            s.close()
        for s in self._servers:
            await s.wait_closed()
        self._servers.clear()
