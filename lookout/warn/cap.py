"""A :class:`~lookout.warn.notice.Notice` as one CAP 1.2 ``<alert>``: :func:`build_alert`.

One ``<info>`` per language of the partner, its texts from the language's template file
(``templates/<lang>.yaml``, shown in full in ``docs/warnings.md``); one ``<area>`` per area with
its name in that language, its codes as ``<geocode>`` and its footprint's polygons. US alerts
carry what IPAWS needs (``<code>IPAWSv1.0</code>``, a SAME ``eventCode``, ``EAS-ORG``,
``WEAHandling``, ``CMAMtext`` and ``CMAMlongtext``); Korean alerts a 90-character text for the
cell broadcast. Every alert validates against the OASIS CAP 1.2 schema, US ones against the
IPAWS profile too (:func:`validate`; both schemas ship in ``schema/``).

The output is deterministic: the same notice gives the same bytes.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from importlib import resources
from zoneinfo import ZoneInfo

import numpy as np
import yaml
from lxml import etree
from pyproj import Geod

from lookout.errors import LookoutError
from lookout.warn.areas import Area, nearest_area, sea_area
from lookout.warn.notice import Notice, NoticeError, cap_time

CAP_NS = "urn:oasis:names:tc:emergency:cap:1.2"
#: WEA's limits (characters) for the 90- and 360-character texts, and Korea's cell broadcast.
SHORT_MAX = 90
LONG_MAX = 360
#: At most this many SAME codes in one US message (EAS header limit).
MAX_SAME = 31
#: US SAME event codes: Civil Danger Warning for a shelter call, Civil Emergency Message else.
SAME_SHELTER = "CDW"
SAME_OTHER = "CEM"
#: Text fields of a template entry.
FIELDS = ("event", "headline", "description", "instruction", "short", "long")
_GEOD = Geod(ellps="WGS84")


class TemplateError(LookoutError, ValueError):
    """A template file is missing a field or uses an unknown placeholder."""


@dataclass(frozen=True)
class Template:
    """One language's words: the fixed phrases and one entry per notice kind."""

    language: str
    doc: dict

    def phrase(self, key: str) -> str:
        return self.doc[key]

    def entry(self, kind: str) -> dict[str, str]:
        return self.doc["kinds"][kind]


@cache
def template(language: str) -> Template:
    """The template of a language, read from ``templates/<language>.yaml``."""
    path = resources.files("lookout.warn").joinpath("templates", f"{language}.yaml")
    try:
        doc = yaml.safe_load(path.read_text("utf-8"))
    except FileNotFoundError:
        raise TemplateError(f"language: no template for {language!r}") from None
    for kind, entry in doc["kinds"].items():
        missing = [f for f in FIELDS if f not in entry]
        if missing:
            raise TemplateError(f"templates/{language}.yaml: {kind} lacks {missing}")
    # Every shipped territory is named (issue 13): the template's own names first, the CLDR's
    # for the rest (``templates/territory_names.csv``), so a launch from Iran is not "an
    # unknown site".
    doc["own_territories"] = dict(doc["territories"])
    doc["territories"] = {**_cldr_territory_names().get(language, {}), **doc["territories"]}
    return Template(language, doc)


@cache
def _cldr_territory_names() -> dict[str, dict[str, str]]:
    """language -> {ISO 3166-1 alpha-2 code: name}, from ``templates/territory_names.csv``."""
    text = resources.files("lookout.warn").joinpath("templates", "territory_names.csv")
    lines = [ln for ln in text.read_text("utf-8").splitlines() if not ln.startswith("#")]
    out: dict[str, dict[str, str]] = {}
    for row in csv.DictReader(lines):
        code = row.pop("code")
        for lang, name in row.items():
            out.setdefault(lang, {})[code] = name
    return out


#: Partners whose every ``<info>`` names its country in the language tag ("he-IL", "ar-JO").
_TAGGED = frozenset({"US", "IL", "JO", "IN", "AU", "MX", "GB", "NO"})


def language_tag(language: str, country: str) -> str:
    """The CAP ``<language>`` (RFC 3066) of an info: "ja-JP", "ko-KR", "en-US", "es-US",
    "he-IL", "ar-IL", "ar-JO", "hi-IN", "en-IN", "es-MX", "nb-NO"."""
    local = {"ja": "JP", "ko": "KR"}
    if language in local:
        return f"{language}-{local[language]}"
    if country in _TAGGED:
        return f"{language}-{country}"
    return language


def _zone(notice: Notice) -> str:
    if notice.authority.timezone:
        return notice.authority.timezone
    if notice.areas:
        return notice.areas[0].timezone
    return "UTC"


def _local_time(t: datetime, zone: str, tpl: Template) -> str:
    lt = t.astimezone(ZoneInfo(zone))
    return tpl.phrase("time_format").format(
        hour=lt.hour, minute=lt.minute, day=lt.day, month=lt.month, zone=lt.tzname()
    )


def _direction(bearing_deg: float, tpl: Template) -> str:
    words = tpl.phrase("directions")
    return words[int(np.floor((bearing_deg % 360.0) / 45.0 + 0.5)) % 8]


def _km(metres: float) -> str:
    """A distance in km for a text: rounded to 10 km past 100 km, with a thousands comma."""
    km = metres / 1e3
    km = round(km, -1) if km >= 100 else round(km)
    return f"{int(km):,}"


def _territory(code: str | None, tpl: Template) -> str:
    names = tpl.phrase("territories")
    return names.get(code or "unknown", names["unknown"])


def _place(lat: float, lon: float, notice: Notice, tpl: Template) -> str:
    """Where a point is: on an area's land, or "<sea> about N km <direction> of <area>"."""
    area, dist, bearing = nearest_area(notice.country, lat, lon)
    name = area.name(tpl.language)
    if dist < 1e3:
        return tpl.phrase("place_on_land").format(area=name)
    sea = sea_area(lat, lon).name(tpl.language, notice.country)
    return tpl.phrase("place_at_sea").format(
        area=name, direction=_direction(bearing, tpl), distance_km=_km(dist), sea=sea
    )


def _values(notice: Notice, tpl: Template) -> dict[str, str]:
    """The placeholders' values of a notice in a language."""
    zone = _zone(notice)
    sender = notice.authority.sender_name(tpl.language)
    v = {
        "sender": sender,
        "launching": _territory(notice.launch_territory, tpl),
        "country": _territory(notice.country, tpl),
        "launch_time": _local_time(notice.launch_time, zone, tpl),
        "areas": tpl.phrase("list_separator").join(a.name(tpl.language) for a in notice.areas),
        "sent_time": _local_time(notice.sent, zone, tpl),
    }
    if notice.impact is not None:
        imp = notice.impact
        v["impact_time"] = _local_time(imp.time, zone, tpl)
        v["impact_place"] = _place(imp.lat_deg, imp.lon_deg, notice, tpl)
        v["ellipse_km"] = _km(imp.ellipse.semi_major_m) if imp.ellipse else "?"
        sea = notice.sea_area or sea_area(imp.lat_deg, imp.lon_deg)
        v["sea"] = sea.name(tpl.language, notice.country)
    if notice.passage is not None:
        p = notice.passage
        v["passage_time"] = _local_time(p.time, zone, tpl)
        towards = p.towards.name(tpl.language, notice.country) if p.towards else None
        v["towards"] = towards or _direction(p.heading_deg, tpl)
    if notice.inside_eez is not None:
        key = "eez_inside" if notice.inside_eez else "eez_outside"
        v["eez"] = tpl.phrase(key).format(country=v["country"])
    return v


def texts(notice: Notice, language: str) -> dict[str, str]:
    """The texts of a notice in a language: ``event``, ``headline``, ``description``,
    ``instruction``, ``short`` (at most 90 characters) and ``long`` (at most 360), each marked
    as an exercise when the notice is one."""
    tpl = template(language)
    values = _values(notice, tpl)
    out = {}
    for name in FIELDS:
        out[name] = _text(notice, tpl, values, name)
        limit = {"short": SHORT_MAX, "long": LONG_MAX}.get(name)
        if limit and len(out[name]) > limit and notice.launch_territory in _cldr_only(tpl):
            # A launching territory the template does not name itself, whose CLDR name is too
            # long for the channel ("Central African Republic"): "abroad" there.
            short = {**values, "launching": tpl.phrase("territory_abroad")}
            out[name] = _text(notice, tpl, short, name)
    if notice.exercise:
        out["event"] = tpl.phrase("exercise_prefix") + out["event"]
    return out


def _cldr_only(tpl: Template) -> set[str]:
    """The territories a template names only by the CLDR's names."""
    return set(tpl.phrase("territories")) - set(tpl.phrase("own_territories"))


def _text(notice: Notice, tpl: Template, values: dict, name: str) -> str:
    """One text field of a notice, marked as an exercise (but ``event``, marked by the caller)."""
    language = tpl.language
    raw = tpl.entry(notice.kind)[name]
    try:
        # Lines are kept (a description may have two paragraphs); runs of spaces are not.
        text = "\n".join(" ".join(line.split()) for line in raw.strip().splitlines())
        text = text.format_map(values)
    except KeyError as e:
        raise TemplateError(
            f"templates/{language}.yaml: {notice.kind}.{name} uses {{{e.args[0]}}}, "
            f"which a {notice.kind} notice does not give"
        ) from None
    if notice.exercise and name != "event":
        text = tpl.phrase("exercise_prefix") + text
        if name == "description":
            text = text + tpl.phrase("exercise_note")
    return text


def _sub(parent, tag: str, text: str | None = None):
    el = etree.SubElement(parent, f"{{{CAP_NS}}}{tag}")
    if text is not None:
        el.text = text
    return el


def _pair(parent, tag: str, name: str, value: str) -> None:
    el = _sub(parent, tag)
    _sub(el, "valueName", name)
    _sub(el, "value", value)


def _ring(points: list[tuple[float, float]]) -> str:
    return " ".join(f"{lat:.5f},{lon:.5f}" for lat, lon in points)


def read_ring(text: str) -> tuple[tuple[float, float], ...]:
    """The (lat, lon) degree points of a CAP ``<polygon>`` ("lat,lon lat,lon ...", as
    ``_ring`` writes them). Raises ValueError on a pair that is not two numbers."""
    points = []
    for pair in text.split():
        lat, lon = (float(v) for v in pair.split(","))
        points.append((lat, lon))
    return tuple(points)


def ellipse_ring(lat_deg, lon_deg, semi_major_m, semi_minor_m, orientation_deg, n=36):
    """A closed ring of (lat, lon) around an ellipse on the ground (geodesic offsets)."""
    t = np.linspace(0.0, 2 * np.pi, n, endpoint=False)
    a, b = max(semi_major_m, 1.0), max(semi_minor_m, 1.0)
    along, across = a * np.cos(t), b * np.sin(t)
    az = np.degrees(np.arctan2(across, along)) + orientation_deg
    dist = np.hypot(along, across)
    lon, lat, _ = _GEOD.fwd(np.full(n, lon_deg), np.full(n, lat_deg), az, dist)
    pts = [(float(y), float((x + 180) % 360 - 180)) for x, y in zip(lon, lat, strict=True)]
    return [*pts, pts[0]]


def _area(info, area: Area, language: str, polygons: bool = True) -> None:
    el = _sub(info, "area")
    _sub(el, "areaDesc", area.name(language))
    for ring in area.polygons() if polygons else ():
        _sub(el, "polygon", _ring(ring))
    for name, value in area.geocodes:
        _pair(el, "geocode", name, value)


def _maritime_area(info, notice: Notice, language: str, values: dict) -> None:
    imp = notice.impact
    el = _sub(info, "area")
    _sub(el, "areaDesc", values["impact_place"])
    e = imp.ellipse
    # The hazard at sea: the 95 % ellipse, at least 20 km across so that ships see it.
    a = max(e.semi_major_m if e else 0.0, 10e3)
    b = max(e.semi_minor_m if e else 0.0, 10e3)
    _sub(el, "polygon", _ring(ellipse_ring(imp.lat_deg, imp.lon_deg, a, b,
                                           e.orientation_deg if e else 0.0)))  # fmt: skip


def same_codes(notice: Notice) -> tuple[str, ...]:
    """Every SAME code of a notice's areas, in order, without repeats."""
    return tuple(dict.fromkeys(c for a in notice.areas for c in a.same_codes()))


def build_alert(notice: Notice, *, polygons: bool = True) -> bytes:
    """One CAP 1.2 ``<alert>`` (UTF-8 bytes with an XML declaration) for a notice. Without
    ``polygons`` the land areas are addressed by their codes alone (``<geocode>``: what J-Alert,
    the Korean CBS and IPAWS's SAME route by), for a message too large with their outlines.

    Raises :class:`NoticeError` if a US notice has more than :data:`MAX_SAME` SAME codes
    (split its areas over several notices) or a text passes its channel's limit.
    """
    zone = _zone(notice)
    same = same_codes(notice)
    us = notice.country == "US"
    if len(same) > MAX_SAME:
        raise NoticeError(
            f"notice.areas: {len(same)} SAME codes (at most {MAX_SAME} in one message: "
            "split the areas over several notices)"
        )
    root = etree.Element(f"{{{CAP_NS}}}alert", nsmap={None: CAP_NS})
    _sub(root, "identifier", notice.identifier)
    _sub(root, "sender", notice.authority.sender)
    _sub(root, "sent", cap_time(notice.sent, zone))
    _sub(root, "status", notice.status)
    _sub(root, "msgType", notice.msg_type)
    _sub(root, "source", "Lookout")
    _sub(root, "scope", "Public")
    if us:
        _sub(root, "code", "IPAWSv1.0")
    if notice.exercise:
        _sub(root, "note", "EXERCISE: a simulated scenario; no real launch.")
    if notice.references:
        _sub(root, "references", " ".join(r.cap() for r in notice.references))
    _sub(root, "incidents", notice.event_id)
    withdrawal = notice.response_type == "AllClear"
    for language in notice.languages:
        tx = texts(notice, language)
        values = _values(notice, template(language))
        for name, limit in (("short", SHORT_MAX), ("long", LONG_MAX)):
            if len(tx[name]) > limit:
                raise NoticeError(
                    f"templates/{language}.yaml: {notice.kind}.{name} is {len(tx[name])} "
                    f"characters here (at most {limit}): {tx[name]!r}"
                )
        info = _sub(root, "info")
        _sub(info, "language", language_tag(language, notice.country))
        _sub(info, "category", "Security")
        _sub(info, "event", tx["event"])
        _sub(info, "responseType", notice.response_type)
        _sub(info, "urgency", "Past" if withdrawal else "Immediate")
        _sub(info, "severity", "Minor" if withdrawal else _severity(notice))
        _sub(info, "certainty", notice.certainty)
        if us:
            code = SAME_SHELTER if notice.shelter else SAME_OTHER
            _pair(info, "eventCode", "SAME", code)
        if notice.kind == "IMPACT_PREDICTED":
            _sub(info, "onset", cap_time(notice.impact.time, zone))
        _sub(info, "expires", cap_time(notice.expires, zone))
        _sub(info, "senderName", notice.authority.sender_name(language))
        _sub(info, "headline", tx["headline"])
        _sub(info, "description", tx["description"])
        _sub(info, "instruction", tx["instruction"])
        if notice.authority.web:
            _sub(info, "web", notice.authority.web)
        if us:
            _pair(info, "parameter", "EAS-ORG", "CIV")
            _pair(info, "parameter", "WEAHandling", "Imminent Threat")
            _pair(info, "parameter", "CMAMtext", tx["short"])
            _pair(info, "parameter", "CMAMlongtext", tx["long"])
        if notice.country == "KR":
            _pair(info, "parameter", "CBStext", tx["short"])
        _pair(info, "parameter", "LookoutEvent", notice.event_id)
        _pair(info, "parameter", "LookoutKind", notice.kind)
        for a in notice.areas:
            _area(info, a, language, polygons)
        if notice.kind == "MARITIME":
            _maritime_area(info, notice, language, values)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def _severity(notice: Notice) -> str:
    return "Extreme" if notice.shelter else "Severe"


@cache
def _schema(name: str) -> etree.XMLSchema:
    path = resources.files("lookout.warn").joinpath("schema", name)
    return etree.XMLSchema(etree.parse(str(path)))


def validate(alert: bytes, *, ipaws: bool | None = None) -> list[str]:
    """Errors of an alert against the OASIS CAP 1.2 schema and, for US alerts (or if ``ipaws``),
    the IPAWS profile schema: an empty list if it is valid."""
    try:
        doc = etree.fromstring(alert)
    except etree.XMLSyntaxError as e:
        return [f"not XML: {e}"]
    errors = []
    cap = _schema("CAP-v1.2.xsd")
    if not cap.validate(doc):
        errors += [f"CAP 1.2: line {e.line}: {e.message}" for e in cap.error_log]
    if ipaws is None:
        ipaws = any(c.text == "IPAWSv1.0" for c in doc.iterfind(f"{{{CAP_NS}}}code"))
    if ipaws:
        profile = _schema("capv1.2-ipaws-profile-v1.0-pr02.xsd")
        if not profile.validate(doc):
            errors += [f"IPAWS profile: line {e.line}: {e.message}" for e in profile.error_log]
    return errors
