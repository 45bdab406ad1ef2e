"""Cursor-on-Target for TAK: the events, and PyTAK as a real client over loopback (TCP and TLS
with a CA of the test's own), each partner's stream carrying only what that partner may see."""

from __future__ import annotations

import asyncio
import datetime as dt
import math
import ssl
from configparser import ConfigParser
from types import SimpleNamespace

import msgspec
import numpy as np
import pytak
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from lxml import etree

from lookout import messages as m
from lookout.exchange.policy import Policy
from lookout.geodesy import ecef_to_geodetic, enu_basis, geodetic_to_ecef
from lookout.web.cot import (
    CotFeed,
    CotPolicy,
    CotServer,
    impact_event,
    server_ssl_context,
    track_event,
)
from lookout.web.history import PictureHistory
from lookout.web.live import attach_exchange

EPOCH = dt.datetime(2024, 3, 18, 7, 40, tzinfo=dt.UTC)
POLICY = Policy.from_dict({
    "partners": {"KR": ["kr-r"], "JP": ["jp-r"], "US": ["us-r"]},
    "release": {"KR": {"JP": "all", "US": "all"}, "JP": {"KR": "all", "US": "all"},
                "US": {"JP": "all", "KR": ["heartbeat"]}},
})  # fmt: skip
HOSTILE = CotPolicy.from_dict({"JP": {"hostile_launch_areas": ["KP"]}})


def system_track(tid: str, t_s: float, lat_deg: float, lon_deg: float, alt_m: float,
                 partners: list[str], coast: bool = True) -> m.SystemTrack:  # fmt: skip
    lat, lon = math.radians(lat_deg), math.radians(lon_deg)
    pos = geodetic_to_ecef(lat, lon, alt_m)
    B = enu_basis(lat, lon)  # rows E, N, U
    vel = B.T @ np.array([2000.0, 400.0, -300.0])  # east-north-east, falling
    P = np.diag([1.0, 1.0, 1.0, 25.0, 25.0, 25.0])
    P[:3, :3] = B.T @ np.diag([400.0, 400.0, 900.0]) @ B  # 20 m horizontal, 30 m vertical
    a = m.Assessment(
        t_ns=round(t_s * 1e9), phase="coast" if coast else "boost",
        launch_lat_rad=math.radians(40.05), launch_lon_rad=math.radians(124.55),  # in KP
        impact_lat_rad=math.radians(41.0), impact_lon_rad=math.radians(134.5),
        impact_time_ns=round((t_s + 300) * 1e9), impact_time_sigma_ns=round(8e9),
        impact_ellipse=m.Ellipse(semi_major_m=12e3, semi_minor_m=4e3, orientation_rad=1.3),
        iip=not coast, apogee_m=200e3, range_m=850e3, vehicle_class="MRBM", overflown=["KP"],
    )  # fmt: skip
    return m.SystemTrack(system_track_id=tid, t_ns=round(t_s * 1e9),
                         x=[*map(float, pos), *map(float, vel)], P=P.tolist(),
                         partners=partners, assessment=a)  # fmt: skip


def parse(event: bytes):
    return etree.fromstring(event)


def test_track_and_impact_events():
    st = system_track("S7", 200.0, 40.5, 130.0, 180e3, ["KR", "US"])
    ev = parse(track_event(st, EPOCH, "h", launch="KP"))
    assert ev.get("uid") == "lookout.S7" and ev.get("type") == "a-h-A-W-M-S-S"
    assert ev.get("time") == "2024-03-18T07:43:20.000Z"
    assert ev.get("stale") == "2024-03-18T07:43:25.000Z"
    pt = ev.find("point")
    assert float(pt.get("lat")) == pytest.approx(40.5, abs=1e-6)
    assert float(pt.get("lon")) == pytest.approx(130.0, abs=1e-6)
    assert float(pt.get("hae")) == pytest.approx(180e3, abs=0.1)
    assert float(pt.get("ce")) == pytest.approx(20.0, abs=0.1)  # 1-sigma horizontal, m
    assert float(pt.get("le")) == pytest.approx(30.0, abs=0.1)
    trk = ev.find("detail/track")
    assert float(trk.get("speed")) == pytest.approx(math.hypot(2000, 400), abs=0.1)
    assert float(trk.get("course")) == pytest.approx(math.degrees(math.atan2(2000, 400)), abs=0.1)
    assert ev.find("detail/contact").get("callsign") == "S7 MRBM"
    imp = parse(impact_event(st, EPOCH, "h"))
    assert imp.get("type") == "u-d-c-e" and imp.get("uid") == "lookout.S7.impact"
    e = imp.find("detail/shape/ellipse")
    assert (float(e.get("major")), float(e.get("minor"))) == (12e3, 4e3)
    assert float(e.get("angle")) == pytest.approx(math.degrees(1.3), abs=0.1)
    assert imp.get("stale") == "2024-03-18T07:49:20.000Z"  # a minute after the impact
    assert imp.find("detail/link").get("uid") == "lookout.S7"
    boosting = system_track("S8", 90.0, 40.1, 125.0, 40e3, ["KR"], coast=False)
    assert impact_event(boosting, EPOCH) is None  # an IIP is not a predicted impact


def _pytak_config(url: str, **tls) -> object:
    cfg = ConfigParser()
    cfg["lookout"] = {"COT_URL": url, **tls}
    return cfg["lookout"]


class _Collect(pytak.RXWorker):
    async def handle_data(self, data: bytes) -> None:  # events stay in the queue
        pass


async def _receive(config, until: int, timeout: float = 10.0) -> list:
    """Connect with PyTAK and read events until ``until`` have come (or ``timeout``)."""
    reader, writer = await pytak.protocol_factory(config)
    queue: asyncio.Queue = asyncio.Queue()
    rx = _Collect(queue, config, reader)
    events = []

    async def pump():
        while len(events) < until:
            await rx.run_once()
            while not queue.empty():
                events.append(parse(queue.get_nowait()))

    try:
        await asyncio.wait_for(pump(), timeout)
    except TimeoutError:
        pass
    return events, reader, writer, rx, queue


def _routed_feed():
    """A CotFeed fed the way the exchange service feeds the web: through ``attach_exchange``,
    which gives each partner's view what the exchange's policy routes to it."""
    from pathlib import Path

    from lookout.scenario import load
    from lookout.web.server import WebState

    sc = load(Path(__file__).parent / "data" / "web-mrbm.yaml")
    state = WebState(sc, POLICY, PictureHistory(["all", "KR", "JP", "US"]))
    feed = CotFeed(EPOCH, state.views, HOSTILE, now=lambda: EPOCH + dt.timedelta(seconds=201))
    state.cot = feed
    tracks: list[m.SystemTrack] = []
    exchange = SimpleNamespace(policy=POLICY, fusion=SimpleNamespace(ingest=lambda s, msg: tracks))
    attach_exchange(state, exchange)

    def publish(*sts):
        tracks[:] = sts
        exchange.fusion.ingest("KR", None)

    return feed, publish


async def _serve_and_check(ssl_server=None, client_tls=None):
    feed, publish = _routed_feed()
    kr_only = system_track("S1", 200.0, 40.5, 130.0, 180e3, ["KR"])
    with_us = system_track("S2", 200.0, 40.6, 131.0, 170e3, ["KR", "US"])
    publish(kr_only, with_us)
    server = CotServer(feed, {"KR": 0, "JP": 0}, ssl_context=ssl_server)
    feed.loop = asyncio.get_running_loop()
    ports = await server.start()
    scheme = "tls" if ssl_server else "tcp"
    try:
        cfg = lambda v: _pytak_config(f"{scheme}://127.0.0.1:{ports[v]}", **(client_tls or {}))  # noqa: E731
        kr, kr_reader, kr_writer, kr_rx, kr_q = await _receive(cfg("KR"), until=2)
        jp, jp_reader, jp_writer, jp_rx, jp_q = await _receive(cfg("JP"), until=4)
        # KR: S1 and its impact; never S2, which holds US data US does not release to KR.
        assert sorted(e.get("uid") for e in kr) == ["lookout.S1", "lookout.S1.impact"]
        assert sorted(e.get("uid") for e in jp) == [
            "lookout.S1",
            "lookout.S1.impact",
            "lookout.S2",
            "lookout.S2.impact",
        ]
        # The parsed events are the picture: position, and affiliation by each partner's policy.
        for e in kr + jp:
            if e.get("type").startswith("a-"):
                st = kr_only if e.get("uid") == "lookout.S1" else with_us
                lat, lon, alt = ecef_to_geodetic(np.array(st.x[:3]))
                pt = e.find("point")
                assert float(pt.get("lat")) == pytest.approx(math.degrees(lat), abs=1e-6)
                assert float(pt.get("lon")) == pytest.approx(math.degrees(lon), abs=1e-6)
                assert float(pt.get("hae")) == pytest.approx(float(alt), abs=0.1)
        assert {e.get("type") for e in kr if e.get("uid") == "lookout.S1"} == {"a-u-A-W-M-S-S"}
        assert {e.get("type") for e in jp if e.get("uid") == "lookout.S1"} == {"a-h-A-W-M-S-S"}
        # A live update reaches the clients entitled to it, at once.
        moved = system_track("S2", 201.0, 40.62, 131.03, 169e3, ["KR", "US"])
        publish(moved)
        more = []
        while len(more) < 2:
            await asyncio.wait_for(jp_rx.run_once(), 5.0)
            while not jp_q.empty():
                more.append(parse(jp_q.get_nowait()))
        assert [e.get("uid") for e in more] == ["lookout.S2", "lookout.S2.impact"]
        assert more[0].get("time") == "2024-03-18T07:43:21.000Z"
        await asyncio.sleep(0.2)
        assert kr_q.empty() and not kr_reader._buffer  # nothing for KR
        for w in (kr_writer, jp_writer):
            w.close()
    finally:
        await server.close()


def test_pytak_clients_get_each_partners_stream_over_tcp():
    asyncio.run(_serve_and_check())


def _ca(tmp_path):
    """A CA, a server certificate for 127.0.0.1 and a client certificate, as PEM files."""

    def key():
        return ec.generate_private_key(ec.SECP256R1())

    def name(cn):
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])

    now = dt.datetime.now(dt.UTC)
    ca_key = key()
    ca = (x509.CertificateBuilder().subject_name(name("lookout test CA"))
          .issuer_name(name("lookout test CA")).public_key(ca_key.public_key()).serial_number(1)
          .not_valid_before(now - dt.timedelta(hours=1)).not_valid_after(now + dt.timedelta(days=1))
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
          .sign(ca_key, hashes.SHA256()))  # fmt: skip

    def issue(cn, serial, san=None):
        k = key()
        b = (x509.CertificateBuilder().subject_name(name(cn)).issuer_name(ca.subject)
             .public_key(k.public_key()).serial_number(serial)
             .not_valid_before(now - dt.timedelta(hours=1))
             .not_valid_after(now + dt.timedelta(days=1)))  # fmt: skip
        if san:
            b = b.add_extension(x509.SubjectAlternativeName(san), critical=False)
        return k, b.sign(ca_key, hashes.SHA256())

    import ipaddress

    files = {}
    for label, (k, cert) in {
        "server": issue("127.0.0.1", 2, [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
        "client": issue("JP", 3),
    }.items():
        files[f"{label}.key"] = k.private_bytes(serialization.Encoding.PEM,
                                                serialization.PrivateFormat.PKCS8,
                                                serialization.NoEncryption())  # fmt: skip
        files[f"{label}.pem"] = cert.public_bytes(serialization.Encoding.PEM)
    files["ca.pem"] = ca.public_bytes(serialization.Encoding.PEM)
    for f, data in files.items():
        (tmp_path / f).write_bytes(data)
    return {f: tmp_path / f for f in files}


def test_pytak_clients_get_each_partners_stream_over_tls(tmp_path):
    p = _ca(tmp_path)
    server_ctx = server_ssl_context(p["server.pem"], p["server.key"], p["ca.pem"])
    tls = {
        "PYTAK_TLS_CLIENT_CERT": str(p["client.pem"]),
        "PYTAK_TLS_CLIENT_KEY": str(p["client.key"]),
        "PYTAK_TLS_CLIENT_CAFILE": str(p["ca.pem"]),
    }
    asyncio.run(_serve_and_check(server_ctx, tls))


def test_tls_refuses_a_client_without_a_certificate(tmp_path):
    p = _ca(tmp_path)

    async def main():
        feed, publish = _routed_feed()
        server = CotServer(feed, {"KR": 0}, ssl_context=server_ssl_context(
            p["server.pem"], p["server.key"], p["ca.pem"]))  # fmt: skip
        feed.loop = asyncio.get_running_loop()
        ports = await server.start()
        ctx = ssl.create_default_context(cafile=str(p["ca.pem"]))
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", ports["KR"], ssl=ctx)
            data = await asyncio.wait_for(reader.read(100), 5.0)  # TLS 1.3: refused after
            assert data == b""
            writer.close()
        except (ssl.SSLError, ConnectionResetError):
            pass
        finally:
            await server.close()
        assert not any(feed.clients.values())

    asyncio.run(main())


def test_cot_policy_errors_name_the_field():
    with pytest.raises(ValueError, match="JP.hostile_launch_areas"):
        CotPolicy.from_dict({"JP": {"hostile_launch_areas": ["North Korea"]}})
    with pytest.raises(ValueError, match="expected"):
        CotPolicy.from_dict({"JP": ["KP"]})
    assert HOSTILE.affiliation("JP", "KP") == "h"
    assert HOSTILE.affiliation("KR", "KP") == "u"
    assert HOSTILE.affiliation("JP", None) == "u"


def test_enu_rotation_is_the_geodesy_modules():
    from lookout.geodesy import enu_basis
    from lookout.web.cot import _enu

    for lat, lon in ((0.7, 2.2), (-1.2, -0.4), (0.0, 3.1)):
        assert np.allclose(_enu(lat, lon), enu_basis(lat, lon), atol=1e-15)


def test_warned_areas_are_shapes_stale_when_the_alert_expires():
    from lookout.web.alerts import parse_cap

    xml = b"""<?xml version="1.0" encoding="UTF-8"?>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"><identifier>w1</identifier>
<sender>lookout-jp@example.org</sender><sent>2024-03-18T07:41:40+00:00</sent>
<status>Exercise</status><msgType>Alert</msgType><scope>Public</scope><info>
<category>Safety</category><event>Missile launch</event><responseType>Shelter</responseType>
<urgency>Immediate</urgency><severity>Extreme</severity><certainty>Likely</certainty>
<expires>2024-03-18T07:55:00+00:00</expires><headline>Take shelter</headline>
<area><areaDesc>Oshima</areaDesc><polygon>41.2,139.8 41.9,140.1 42.5,141.9 41.2,139.8</polygon>
</area></info></alert>"""
    feed = CotFeed(EPOCH, ["JP"], now=lambda: EPOCH + dt.timedelta(seconds=200))
    feed.alert(parse_cap(xml))
    (ev,) = [parse(e) for e in feed.snapshot("JP")]
    assert ev.get("type") == "u-d-f" and ev.get("uid") == "lookout.alert.w1.0"
    assert ev.get("stale") == "2024-03-18T07:55:00.000Z"
    pts = [tuple(map(float, link.get("point").split(","))) for link in ev.iter("link")]
    assert pts == [(41.2, 139.8), (41.9, 140.1), (42.5, 141.9), (41.2, 139.8)]
    assert ev.find("detail/strokeColor").get("value") == "-65536"  # red: shelter
    assert feed.snapshot("JP", EPOCH + dt.timedelta(minutes=16)) == []  # expired: stale


def test_a_spent_stage_is_called_a_stage_and_a_payload_by_its_launchs_class():
    """A stage falling off the coast has an SRBM's range of its own: its callsign says what it
    is; the payload is named by its launch event's class."""
    st = system_track("S8", 200.0, 40.5, 130.0, 60e3, ["KR"])
    stage = msgspec.structs.replace(st, event_id="E2", object_type="spent_stage",
                                    event_class="IRBM")  # fmt: skip
    ev = parse(track_event(stage, EPOCH, "h"))
    assert ev.find("detail/contact").get("callsign") == "S8 spent stage"
    assert "launch event E2" in ev.find("detail/remarks").text
    payload = msgspec.structs.replace(stage, object_type="payload")
    assert parse(track_event(payload, EPOCH, "h")).find("detail/contact").get(
        "callsign") == "S8 IRBM"  # fmt: skip


def test_an_announced_launch_says_who_announced_it():
    st = system_track("S1", 200.0, 34.0, -120.7, 60e3, ["US"])
    assert "announced" not in parse(track_event(st, EPOCH, "f")).find("detail/remarks").text
    st = msgspec.structs.replace(st, event_id="E1", notices=["US/US-VSFB-2024-064"])
    remarks = parse(track_event(st, EPOCH, "f")).find("detail/remarks").text
    assert "announced by US notice US-VSFB-2024-064" in remarks
