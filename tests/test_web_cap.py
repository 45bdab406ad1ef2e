"""CAP over HTTP: the alert store, ``GET /cap/{identifier}.xml`` and ``GET /cap/feed.atom``,
with alerts valid against the OASIS CAP 1.2 schema."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from lxml import etree
from starlette.testclient import TestClient

from lookout.scenario import load
from lookout.warn.atom import ATOM_NS
from lookout.web.alerts import AlertError, AlertStore, parse_cap
from lookout.web.history import PictureHistory
from lookout.web.server import WebState, make_app

#: The OASIS schema, in the shared data beside (or above) the checkout, else the copy
#: lookout.warn ships.
XSD = next(
    (p / "shared" / "data" / "cap" / "CAP-v1.2.xsd" for p in Path(__file__).resolve().parents
     if (p / "shared" / "data" / "cap" / "CAP-v1.2.xsd").is_file()),
    Path(__file__).resolve().parents[1] / "lookout" / "warn" / "schema" / "CAP-v1.2.xsd",
)  # fmt: skip
T0 = dt.datetime(2024, 3, 18, 7, 40, tzinfo=dt.UTC)


OSHIMA = "41.2,139.8 41.9,140.1 42.5,141.9 41.6,142.3 41.2,139.8"


def cap(identifier: str, *, sent_s: float = 100.0, expires_s: float = 900.0,
        msg_type: str = "Alert", response: str = "Shelter", references: str | None = None,
        polygon: str = OSHIMA) -> bytes:  # fmt: skip
    """A CAP 1.2 alert as a warning service would issue it."""
    sent = (T0 + dt.timedelta(seconds=sent_s)).isoformat()
    expires = (T0 + dt.timedelta(seconds=expires_s)).isoformat()
    refs = f"<references>{references}</references>" if references else ""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">
  <identifier>{identifier}</identifier>
  <sender>lookout-jp@example.org</sender>
  <sent>{sent}</sent>
  <status>Exercise</status>
  <msgType>{msg_type}</msgType>
  <scope>Public</scope>
  {refs}
  <info>
    <language>en</language>
    <category>Safety</category>
    <event>Missile launch</event>
    <responseType>{response}</responseType>
    <urgency>Immediate</urgency>
    <severity>Extreme</severity>
    <certainty>Likely</certainty>
    <expires>{expires}</expires>
    <headline>Missile may pass over Hokkaido: take shelter</headline>
    <area>
      <areaDesc>Oshima and Hiyama, Hokkaido</areaDesc>
      <polygon>{polygon}</polygon>
    </area>
  </info>
</alert>
""".encode()


@pytest.fixture(scope="module")
def schema():
    assert XSD.is_file(), f"the CAP 1.2 schema is not at {XSD}"
    return etree.XMLSchema(etree.parse(str(XSD)))


def test_test_alerts_are_valid_cap(schema):
    for xml in (cap("a1"), cap("a2", msg_type="Update", references="lookout-jp@example.org,a1,"
                              + (T0 + dt.timedelta(seconds=100)).isoformat())):  # fmt: skip
        schema.assertValid(etree.fromstring(xml))


@pytest.fixture()
def served():
    now = {"t": T0 + dt.timedelta(seconds=200)}
    sc = load(Path(__file__).parent / "data" / "web-mrbm.yaml")
    state = WebState(sc, None, PictureHistory(["all"]))
    state.alerts = AlertStore(lambda: now["t"])
    state.alerts.on_add.append(state._on_alert)
    return state, TestClient(make_app(state)), now


def test_alert_is_served_byte_for_byte(served):
    state, client, _ = served
    xml = cap("lookout-JP-20240318T074140-1")
    state.add_alert(xml)
    r = client.get("/cap/lookout-JP-20240318T074140-1.xml")
    assert r.status_code == 200
    assert r.content == xml
    assert r.headers["content-type"] == "application/cap+xml"
    assert "immutable" in r.headers["cache-control"] and "max-age" in r.headers["cache-control"]
    assert r.headers["last-modified"] == "Mon, 18 Mar 2024 07:41:40 GMT"
    again = client.get("/cap/lookout-JP-20240318T074140-1.xml",
                       headers={"If-None-Match": r.headers["etag"]})  # fmt: skip
    assert again.status_code == 304 and again.content == b""
    assert client.get("/cap/nothing.xml").status_code == 404


def test_feed_lists_the_active_alerts(served, schema):
    state, client, now = served
    state.add_alert(cap("a1", sent_s=100, expires_s=900))
    state.add_alert(cap("short", sent_s=110, expires_s=250,
                        polygon="43.0,144.0 43.5,144.5 43.0,145.0 43.0,144.0"))  # fmt: skip
    r = client.get("/cap/feed.atom")
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/atom+xml; charset=utf-8"
    assert r.headers["cache-control"] == "no-cache" and r.headers["etag"]
    feed = etree.fromstring(r.content)
    assert feed.tag == f"{{{ATOM_NS}}}feed"
    links = [e.find(f"{{{ATOM_NS}}}link").get("href") for e in feed.iter(f"{{{ATOM_NS}}}entry")]
    assert links == ["http://testserver/cap/short.xml", "http://testserver/cap/a1.xml"]
    for href in links:  # every linked document is a valid CAP alert
        doc = client.get(href.removeprefix("http://testserver")).content
        schema.assertValid(etree.fromstring(doc))
    same = client.get("/cap/feed.atom", headers={"If-None-Match": r.headers["etag"]})
    assert same.status_code == 304
    now["t"] = T0 + dt.timedelta(seconds=300)  # "short" has expired
    feed = etree.fromstring(client.get("/cap/feed.atom").content)
    entries = list(feed.iter(f"{{{ATOM_NS}}}entry"))
    assert [e.find(f"{{{ATOM_NS}}}link").get("href") for e in entries] == [
        "http://testserver/cap/a1.xml"
    ]


def test_update_supersedes_and_cancel_is_listed(served):
    state, client, now = served
    state.add_alert(cap("a1", sent_s=100))
    sent = (T0 + dt.timedelta(seconds=100)).isoformat()
    state.add_alert(cap("a2", sent_s=150, msg_type="Update",
                        references=f"lookout-jp@example.org,a1,{sent}"))  # fmt: skip
    assert [a.identifier for a in state.alerts.active()] == ["a2"]
    state.add_alert(cap("a3", sent_s=180, msg_type="Cancel", response="AllClear",
                        references=f"lookout-jp@example.org,a2,{sent}"))  # fmt: skip
    active = state.alerts.active()
    assert [a.identifier for a in active] == ["a3"]
    assert active[0].state(now["t"]) == "all_clear"
    # Every alert is still served by identifier, and the page's log has each, with its state.
    assert client.get("/cap/a1.xml").status_code == 200
    shown = [e["alert"] for e in state.history.view("all").entries if e["k"] == "w"]
    assert [(a["identifier"], a["state"]) for a in shown] == [
        ("a1", "shelter"),
        ("a2", "shelter"),
        ("a3", "all_clear"),
    ]
    assert shown[0]["areas"][0]["polygons"][0][0] == [41.2, 139.8]


def test_bad_alerts_are_refused_with_the_field_named(served):
    state, _, _ = served
    with pytest.raises(AlertError, match="not XML"):
        parse_cap(b"<alert")
    with pytest.raises(AlertError, match="root element"):
        parse_cap(b"<feed/>")
    with pytest.raises(AlertError, match="alert.sent"):
        parse_cap(cap("x").replace(b"2024-03-18T07:41:40+00:00", b"yesterday"))
    state.add_alert(cap("dup"))
    state.add_alert(cap("dup"))  # the same bytes again: fine
    with pytest.raises(AlertError, match="already held"):
        state.add_alert(cap("dup", expires_s=1000))


def test_a_warn_format_alert_is_served_as_signed(served, schema):
    """An alert as lookout.warn builds and signs it: served byte for byte, its areas drawn."""
    from lookout.exchange.keys import derive_key
    from lookout.warn.cap import build_alert
    from lookout.warn.samples import sample_notice
    from lookout.warn.sign import alert_certificate, alert_signing_key, sign_alert, verify_alert

    state, client, now = served
    notice = sample_notice("IMPACT_PREDICTED", "JP")
    key = alert_signing_key(derive_key("web-test", "JP"))
    cert = alert_certificate(key, "JP")
    signed = sign_alert(build_alert(notice), key, cert)
    now["t"] = notice.sent
    alert = state.add_alert(signed)
    schema.assertValid(etree.fromstring(signed))
    r = client.get(f"/cap/{alert.identifier}.xml")
    assert r.content == signed
    verify_alert(r.content, cert)  # the signature still holds on what was served
    feed = etree.fromstring(client.get("/cap/feed.atom").content)
    hrefs = [e.find(f"{{{ATOM_NS}}}link").get("href") for e in feed.iter(f"{{{ATOM_NS}}}entry")]
    assert hrefs == [f"http://testserver/cap/{alert.identifier}.xml"]
    shown = [e["alert"] for e in state.history.view("all").entries if e["k"] == "w"]
    assert shown[-1]["identifier"] == alert.identifier and shown[-1]["state"] == "shelter"
    assert shown[-1]["areas"] and shown[-1]["areas"][0]["polygons"]
