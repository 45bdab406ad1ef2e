"""The alerts the web serves: CAP 1.2 documents kept byte for byte, and their Atom index.

:class:`AlertStore` is the seam between the warnings (``lookout.warn``) and the web: whoever
issues or receives an alert calls :meth:`AlertStore.add` with the alert's CAP XML, the exact
bytes that were signed. The store reads what it needs from the CAP itself (identifier, sender,
sent, status, msgType, references, each info's expires, response type, headline and areas with
their polygons and circles), never from a side channel, and serves:

- ``GET /cap/{identifier}.xml``: the same bytes, ``application/cap+xml`` (the file name is
  ``lookout.warn.atom.alert_filename``: the identifier with anything but ``[A-Za-z0-9._-]`` as
  ``_``);
- ``GET /cap/feed.atom``: an Atom feed of the active alerts (RFC 4287), built by
  ``lookout.warn.atom.build_feed``: one entry per alert with a link to its CAP document.

An alert is *active* until every info block's ``expires`` has passed (an alert with no expires
stays active) and while no later alert of the same sender references it (an Update or Cancel
supersedes what it references; the Cancel itself is listed until it expires, so that a
subscriber learns of the withdrawal). The area's state on the globe comes from the alert:
``shelter`` (responseType Shelter or Evacuate, or an Alert/Update without a response type),
``monitor``, ``all_clear`` (responseType AllClear, or a Cancel), and ``passed`` once expired.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from email.utils import format_datetime

from lxml import etree

from lookout.errors import LookoutError
from lookout.warn.cap import CAP_NS, read_ring

_NS = {"cap": CAP_NS}


class AlertError(LookoutError, ValueError):
    """An alert the store cannot take; the message names the element and the value."""


@dataclass(frozen=True)
class Area:
    """One CAP area: its description and shapes (polygons as ``[[lat, lon], ...]`` in degrees,
    circles as ``(lat, lon, radius_km)``)."""

    desc: str
    polygons: tuple[tuple[tuple[float, float], ...], ...] = ()
    circles: tuple[tuple[float, float, float], ...] = ()


@dataclass(frozen=True)
class Alert:
    """An alert as the store keeps it: the exact bytes and the fields read from them."""

    identifier: str
    sender: str
    sent: dt.datetime
    status: str
    msg_type: str
    references: tuple[tuple[str, str, str], ...]
    expires: dt.datetime | None
    response_types: tuple[str, ...]
    event: str
    headline: str
    severity: str
    urgency: str
    areas: tuple[Area, ...]
    xml: bytes = field(repr=False)

    @property
    def etag(self) -> str:
        return '"' + hashlib.sha256(self.xml).hexdigest()[:32] + '"'

    def state(self, now: dt.datetime) -> str:
        """``shelter``, ``monitor``, ``all_clear`` or ``passed`` (see the module docstring)."""
        if self.expires is not None and now >= self.expires:
            return "passed"
        if self.msg_type == "Cancel" or "AllClear" in self.response_types:
            return "all_clear"
        if any(r in ("Shelter", "Evacuate") for r in self.response_types):
            return "shelter"
        if "Monitor" in self.response_types or "Prepare" in self.response_types:
            return "monitor"
        return "shelter"

    def summary(self, now: dt.datetime) -> dict:
        """The alert for the page (JSON-ready)."""
        return {
            "identifier": self.identifier,
            "sender": self.sender,
            "sent": self.sent.isoformat(),
            "expires": self.expires.isoformat() if self.expires else None,
            "msg_type": self.msg_type,
            "status": self.status,
            "state": self.state(now),
            "headline": self.headline,
            "event": self.event,
            "severity": self.severity,
            "urgency": self.urgency,
            "references": [r[1] for r in self.references],
            "areas": [
                {
                    "desc": a.desc,
                    "polygons": [[list(p) for p in poly] for poly in a.polygons],
                    "circles": [list(c) for c in a.circles],
                }
                for a in self.areas
            ],
        }


def _time(where: str, text: str | None) -> dt.datetime:
    if text is None:
        raise AlertError(f"{where}: missing")
    try:
        t = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        raise AlertError(f"{where} = {text!r}: not a CAP date-time") from None
    if t.tzinfo is None:
        raise AlertError(f"{where} = {text!r}: CAP times carry their offset")
    return t


def parse_cap(xml: bytes) -> Alert:
    """Read a CAP 1.2 alert's fields (the document is kept as given)."""
    try:
        parser = etree.XMLParser(resolve_entities=False, no_network=True)
        root = etree.fromstring(xml, parser=parser)
    except etree.XMLSyntaxError as e:
        raise AlertError(f"alert: not XML: {e}") from None
    if root.tag != f"{{{CAP_NS}}}alert":
        raise AlertError(f"alert: root element {root.tag!r}, expected {{{CAP_NS}}}alert")

    def text(node, name: str, required: bool = True) -> str | None:
        el = node.find(f"cap:{name}", _NS)
        if el is None or el.text is None:
            if required:
                raise AlertError(f"alert.{name}: missing")
            return None
        return el.text.strip()

    references = []
    for ref in (text(root, "references", False) or "").split():
        parts = ref.split(",")
        if len(parts) != 3:
            raise AlertError(f"alert.references: {ref!r} is not sender,identifier,sent")
        references.append((parts[0], parts[1], parts[2]))
    infos = root.findall("cap:info", _NS)
    expires = [_time("info.expires", text(i, "expires", False)) for i in infos
               if text(i, "expires", False)]  # fmt: skip
    areas = []
    for info in infos:
        for area in info.findall("cap:area", _NS):
            polys = [read_ring(p.text or "") for p in area.findall("cap:polygon", _NS)]
            circles = []
            for c in area.findall("cap:circle", _NS):
                centre, radius = (c.text or "").split()
                lat, lon = (float(v) for v in centre.split(","))
                circles.append((lat, lon, float(radius)))
            areas.append(Area(text(area, "areaDesc", False) or "", tuple(polys), tuple(circles)))
    first = infos[0] if infos else None
    return Alert(
        identifier=text(root, "identifier"),
        sender=text(root, "sender"),
        sent=_time("alert.sent", text(root, "sent")),
        status=text(root, "status"),
        msg_type=text(root, "msgType"),
        references=tuple(references),
        expires=max(expires) if len(expires) == len(infos) and expires else None,
        response_types=tuple(
            el.text.strip() for i in infos for el in i.findall("cap:responseType", _NS) if el.text
        ),
        event=(text(first, "event", False) or "") if first is not None else "",
        headline=(text(first, "headline", False) or "") if first is not None else "",
        severity=(text(first, "severity", False) or "") if first is not None else "",
        urgency=(text(first, "urgency", False) or "") if first is not None else "",
        areas=tuple(areas),
        xml=bytes(xml),
    )


class AlertStore:
    """Alerts by identifier, in the order added; ``now`` gives the current UTC time (the
    scenario clock in a demo). ``on_add`` callbacks get each alert as it is added."""

    def __init__(self, now: Callable[[], dt.datetime], *, title: str = "Lookout alerts") -> None:
        self.now = now
        self.title = title
        self._alerts: dict[str, Alert] = {}
        self._superseded: set[tuple[str, str]] = set()
        self._by_file: dict[str, Alert] = {}
        self.on_add: list[Callable[[Alert], None]] = []
        self.changed = dt.datetime.min.replace(tzinfo=dt.UTC)

    def add(self, xml: bytes) -> Alert:
        """Keep an alert (its CAP XML, the exact bytes); the same identifier twice must be the
        same bytes."""
        alert = parse_cap(xml)
        old = self._alerts.get(alert.identifier)
        if old is not None:
            if old.xml != alert.xml:
                raise AlertError(
                    f"alert.identifier = {alert.identifier!r}: already held with other content"
                )
            return old
        self._alerts[alert.identifier] = alert
        self._by_file[cap_path(alert.identifier)] = alert
        for sender, identifier, _ in alert.references:
            self._superseded.add((sender, identifier))
        self.changed = max(self.changed, alert.sent)
        for f in self.on_add:
            f(alert)
        return alert

    def get(self, identifier: str) -> Alert | None:
        return self._alerts.get(identifier)

    def by_file(self, name: str) -> Alert | None:
        """The alert whose file under ``/cap/`` is ``name`` (see :func:`cap_path`)."""
        return self._by_file.get(name)

    def __len__(self) -> int:
        return len(self._alerts)

    def all(self) -> list[Alert]:
        return list(self._alerts.values())

    def active(self, now: dt.datetime | None = None) -> list[Alert]:
        """The alerts not expired and not superseded, newest first."""
        now = now or self.now()
        out = [
            a
            for a in self._alerts.values()
            if (a.expires is None or a.expires > now)
            and (a.sender, a.identifier) not in self._superseded
            and a.sent <= now
        ]
        return sorted(out, key=lambda a: a.sent, reverse=True)

    def feed(self, base_url: str, now: dt.datetime | None = None) -> bytes:
        """The Atom feed of the active alerts (UTF-8 XML bytes), as ``lookout.warn.atom`` builds
        it (entries newest first, each linking to ``{base_url}/cap/<file>``)."""
        from lookout.warn.atom import build_feed

        now = now or self.now()
        base = base_url.rstrip("/")
        updated = self.changed if self.changed.year >= 1970 else now
        return build_feed(
            [a.xml for a in self.active(now)],
            feed_id=f"{base}/cap/feed.atom",
            title=self.title,
            updated=updated,
            author="Lookout",
            base_url=f"{base}/cap/",
            self_href=f"{base}/cap/feed.atom",
        )

    def last_modified(self, now: dt.datetime | None = None) -> str | None:
        """The feed's Last-Modified header value (None while no alert is active)."""
        active = self.active(now)
        if not active:
            return None
        return format_datetime(max(a.sent for a in active).astimezone(dt.UTC), usegmt=True)


def cap_path(identifier: str) -> str:
    """The file name of an alert under ``/cap/`` (``lookout.warn.atom.alert_filename``)."""
    from lookout.warn.atom import alert_filename

    return alert_filename(identifier)
