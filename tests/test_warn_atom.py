"""The Atom index of active alerts (RFC 4287), checked structurally."""

from __future__ import annotations

import dataclasses
import re
from datetime import timedelta

from lxml import etree

from lookout.warn.atom import active, alert_filename, build_feed, entry_id, summarise
from lookout.warn.cap import build_alert
from lookout.warn.notice import Reference, cap_time
from lookout.warn.samples import sample_notice

A = "{http://www.w3.org/2005/Atom}"
CAP = "{urn:oasis:names:tc:emergency:cap:1.2}"
RFC3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(Z|[+-]\d\d:\d\d)$")


def _chain():
    """LAUNCH, then PASSED_OVER replacing it, then ALL_CLEAR replacing both (JP)."""
    launch = dataclasses.replace(sample_notice("LAUNCH", "JP"), identifier="JP-EV1-001")
    ref1 = Reference(launch.authority.sender, launch.identifier, launch.sent)
    passed = dataclasses.replace(
        sample_notice("PASSED_OVER", "JP"), identifier="JP-EV1-002", references=(ref1,)
    )
    ref2 = Reference(passed.authority.sender, passed.identifier, passed.sent)
    clear = dataclasses.replace(
        sample_notice("ALL_CLEAR", "JP"), identifier="JP-EV1-003", references=(ref1, ref2)
    )
    return [launch, passed, clear]


def test_active_alerts_are_the_unreplaced_unexpired_ones():
    notices = _chain()
    alerts = [build_alert(n) for n in notices]
    now = notices[-1].sent + timedelta(seconds=1)
    assert active(alerts, now) == [alerts[2]]
    assert active(alerts[:2], now) == [alerts[1]]
    assert active(alerts[:1], notices[0].sent) == [alerts[0]]
    assert active(alerts, notices[-1].expires + timedelta(seconds=1)) == []


def test_feed_structure():
    notices = _chain()
    alerts = [build_alert(n) for n in notices]
    feed = build_feed(
        alerts,
        feed_id="urn:lookout:warnings:JP",
        title="Lookout public warnings (JP)",
        updated=notices[0].sent,
        author="Fire and Disaster Management Agency (J-Alert)",
        base_url="http://127.0.0.1:8000/alerts/",
        self_href="http://127.0.0.1:8000/alerts/index.atom",
    )
    root = etree.fromstring(feed)
    assert root.tag == f"{A}feed"
    for tag in ("id", "title", "updated", "author"):
        assert root.find(f"{A}{tag}") is not None, tag
    assert RFC3339.match(root.findtext(f"{A}updated"))
    assert root.find(f"{A}link[@rel='self']").get("type") == "application/atom+xml"
    entries = root.findall(f"{A}entry")
    assert len(entries) == 3
    ids = [e.findtext(f"{A}id") for e in entries]
    assert len(set(ids)) == 3 and all(i.startswith("tag:jalert@fdma.go.jp.example,") for i in ids)
    sent = [e.findtext(f"{A}updated") for e in entries]
    assert sent == sorted(sent, reverse=True)  # newest first
    assert root.findtext(f"{A}updated") == cap_time(notices[-1].sent, "Asia/Tokyo")
    for entry, notice in zip(entries, reversed(notices), strict=True):
        assert RFC3339.match(entry.findtext(f"{A}updated"))
        assert entry.findtext(f"{A}title").startswith("EXERCISE: ")
        link = entry.find(f"{A}link[@rel='alternate']")
        assert link.get("type") == "application/cap+xml"
        assert link.get("href") == "http://127.0.0.1:8000/alerts/" + alert_filename(
            notice.identifier
        )
        assert entry.findtext(f"{CAP}identifier") == notice.identifier
        assert entry.findtext(f"{CAP}status") == "Exercise"
        assert entry.findtext(f"{CAP}msgType") == notice.msg_type
        assert "Hokkaido" in entry.findtext(f"{CAP}areaDesc")
    # The Japanese info can head the entries instead.
    ja = etree.fromstring(
        build_feed(
            alerts, feed_id="urn:x", title="t", updated=notices[0].sent, author="a", language="ja"
        )  # fmt: skip
    )
    assert ja.findtext(f"{A}entry/{A}title").startswith("【訓練】")


def test_us_entries_carry_same_codes_and_ids_fall_back_to_urns():
    alert = build_alert(sample_notice("LAUNCH", "US"))
    root = etree.fromstring(
        build_feed(
            [alert],
            feed_id="urn:x",
            title="t",
            updated=sample_notice("LAUNCH", "US").sent,
            author="a",
        )  # fmt: skip
    )
    same = [g.findtext(f"{CAP}value") for g in root.iter(f"{CAP}geocode")]
    assert same[0] == "066010"
    s = summarise(alert)
    assert entry_id("LOOKOUT US", "a/b", s.sent) == "urn:cap:LOOKOUT%20US:a%2Fb"
    assert alert_filename("LOOKOUT-US/1 x") == "LOOKOUT-US_1_x.xml"
