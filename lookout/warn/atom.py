"""An Atom feed (RFC 4287) indexing the active CAP alerts, as alerting aggregators read them.

Each entry is one alert: its ``id`` a ``tag:`` URI (RFC 4151) made of the sender and the
alert's identifier, ``title`` the headline, ``updated`` and ``published`` its ``sent`` time,
``summary`` its description, a ``link`` to the alert's file (``application/cap+xml``), and, as
the NWS and IPAWS feeds do, a few CAP elements (``cap:event``, ``cap:status``,
``cap:msgType``, ``cap:urgency``, ``cap:severity``, ``cap:certainty``, ``cap:expires``,
``cap:areaDesc`` and the SAME ``cap:geocode`` values) so that a reader can filter without
fetching every alert.

An alert is active (:func:`active`) until it expires or a later alert names it in its
``<references>`` (an update replaces it); an all-clear stays in the feed until it expires, so
that people who were told to shelter see it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import quote

from lxml import etree

from lookout.warn.notice import cap_time

ATOM_NS = "http://www.w3.org/2005/Atom"
CAP_NS = "urn:oasis:names:tc:emergency:cap:1.2"
_C = f"{{{CAP_NS}}}"
_A = f"{{{ATOM_NS}}}"


@dataclass(frozen=True)
class AlertSummary:
    """What the feed needs of one CAP alert (read from its bytes)."""

    sender: str
    identifier: str
    sent: datetime
    sent_text: str
    expires: datetime | None
    status: str
    msg_type: str
    references: tuple[tuple[str, str, str], ...]
    infos: tuple[dict, ...]

    @property
    def key(self) -> tuple[str, str]:
        return (self.sender, self.identifier)


def _text(el, path: str) -> str | None:
    found = el.find(path)
    return found.text if found is not None else None


def summarise(alert: bytes) -> AlertSummary:
    """The fields of a CAP 1.2 alert the feed uses; ValueError naming what is missing."""
    root = etree.fromstring(alert)
    if root.tag != f"{_C}alert":
        raise ValueError(f"alert: root element {root.tag!r} (expected a CAP 1.2 alert)")
    fields = {}
    for name in ("sender", "identifier", "sent", "status", "msgType"):
        value = _text(root, f"{_C}{name}")
        if not value:
            raise ValueError(f"alert: missing <{name}>")
        fields[name] = value
    refs = tuple(
        tuple(r.split(",", 2)) for r in (_text(root, f"{_C}references") or "").split() if r
    )
    infos = []
    expires = None
    for info in root.iterfind(f"{_C}info"):
        exp = _text(info, f"{_C}expires")
        if exp:
            t = datetime.fromisoformat(exp)
            expires = t if expires is None else max(expires, t)
        infos.append(
            {
                "language": _text(info, f"{_C}language") or "en-US",
                **{
                    k: _text(info, f"{_C}{k}")
                    for k in ("event", "urgency", "severity", "certainty", "expires")
                },
                "headline": _text(info, f"{_C}headline") or _text(info, f"{_C}event") or "",
                "description": _text(info, f"{_C}description") or "",
                "areas": [_text(a, f"{_C}areaDesc") for a in info.iterfind(f"{_C}area")],
                "same": [
                    _text(g, f"{_C}value")
                    for g in info.iterfind(f"{_C}area/{_C}geocode")
                    if _text(g, f"{_C}valueName") == "SAME"
                ],
            }
        )
    return AlertSummary(
        sender=fields["sender"],
        identifier=fields["identifier"],
        sent=datetime.fromisoformat(fields["sent"]),
        sent_text=fields["sent"],
        expires=expires,
        status=fields["status"],
        msg_type=fields["msgType"],
        references=refs,
        infos=tuple(infos),
    )


def active(alerts: Iterable[bytes], now: datetime) -> list[bytes]:
    """The alerts still in force at ``now``: not expired and not replaced by a later alert that
    references them, in the order given."""
    items = [(a, summarise(a)) for a in alerts]
    replaced = {(r[0], r[1]) for _, s in items for r in s.references}
    return [a for a, s in items if s.key not in replaced and (s.expires is None or s.expires > now)]


def alert_filename(identifier: str) -> str:
    """A file name for an alert (its identifier with anything but ``[A-Za-z0-9._-]`` as ``_``)."""
    return re.sub(r"[^A-Za-z0-9._-]", "_", identifier) + ".xml"


def entry_id(sender: str, identifier: str, sent: datetime) -> str:
    """The Atom id of an alert: ``tag:<sender>,<date>:<identifier>`` (RFC 4151) when the sender
    is a domain or an e-mail address, else a ``urn:cap:`` of both."""
    if re.fullmatch(r"([A-Za-z0-9._%+-]+@)?[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+", sender):
        return f"tag:{sender.lower()},{sent.date().isoformat()}:{quote(identifier, safe='')}"
    return f"urn:cap:{quote(sender, safe='')}:{quote(identifier, safe='')}"


def _pick(infos: tuple[dict, ...], language: str) -> dict:
    for info in infos:
        if info["language"].split("-")[0] == language:
            return info
    return infos[0]


def build_feed(
    alerts: Iterable[bytes],
    *,
    feed_id: str,
    title: str,
    updated: datetime,
    author: str,
    base_url: str = "",
    self_href: str | None = None,
    language: str = "en",
) -> bytes:
    """An Atom feed with one entry per alert, newest first (UTF-8 bytes).

    ``feed_id`` is the feed's permanent IRI; ``updated`` an aware datetime (the latest alert's
    ``sent`` if later); ``base_url`` is prefixed to :func:`alert_filename` in each entry's
    link; ``language`` picks which ``<info>`` gives the entry's title and summary.
    """
    if updated.tzinfo is None:
        raise ValueError(f"updated: {updated!r} (expected an aware datetime)")
    items = sorted(
        (summarise(a) for a in alerts), key=lambda s: (s.sent, s.identifier), reverse=True
    )
    if items:
        updated = max(updated, items[0].sent)
    nsmap = {None: ATOM_NS, "cap": CAP_NS}
    feed = etree.Element(f"{_A}feed", nsmap=nsmap)
    feed.set("{http://www.w3.org/XML/1998/namespace}lang", language)

    def sub(parent, tag, text=None, ns=_A, **attrs):
        el = etree.SubElement(parent, f"{ns}{tag}", **attrs)
        if text is not None:
            el.text = text
        return el

    sub(feed, "id", feed_id)
    sub(feed, "title", title)
    sub(feed, "updated", _rfc3339(updated))
    sub(sub(feed, "author"), "name", author)
    sub(feed, "generator", "Lookout")
    if self_href:
        sub(feed, "link", rel="self", href=self_href, type="application/atom+xml")
    for s in items:
        info = _pick(s.infos, language) if s.infos else {}
        entry = sub(feed, "entry")
        sub(entry, "id", entry_id(s.sender, s.identifier, s.sent))
        sub(entry, "title", info.get("headline") or s.identifier)
        sub(entry, "updated", s.sent_text)
        sub(entry, "published", s.sent_text)
        sub(sub(entry, "author"), "name", s.sender)
        sub(entry, "link", rel="alternate", type="application/cap+xml",
            href=f"{base_url}{alert_filename(s.identifier)}")  # fmt: skip
        sub(entry, "summary", info.get("description") or info.get("headline") or s.identifier)
        if info.get("event"):
            sub(entry, "category", term=info["event"])
        for tag, value in (
            ("identifier", s.identifier),
            ("event", info.get("event")),
            ("sent", s.sent_text),
            ("expires", info.get("expires")),
            ("status", s.status),
            ("msgType", s.msg_type),
            ("urgency", info.get("urgency")),
            ("severity", info.get("severity")),
            ("certainty", info.get("certainty")),
            ("areaDesc", "; ".join(a for a in info.get("areas", []) if a)),
        ):
            if value:
                sub(entry, tag, value, ns=_C)
        for code in info.get("same", []):
            geo = sub(entry, "geocode", ns=_C)
            sub(geo, "valueName", "SAME", ns=_C)
            sub(geo, "value", code, ns=_C)
    return etree.tostring(feed, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def _rfc3339(t: datetime) -> str:
    return cap_time(t) if t.utcoffset() else t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
