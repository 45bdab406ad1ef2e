"""A :class:`Notice`: one decision of the warning lifecycle, the seam between deciding and writing.

The lifecycle (``lookout.warn.decide``) decides, for one partner, one launch event and one or
more of that partner's areas, that a message is due; it fills a :class:`Notice` with the facts
the message needs. The formats (``lookout.warn.cap.build_alert``, ``lookout.warn.atom``) turn
it into bytes and never decide anything. A notice carries facts (times, places, codes), never
text: the words come from the per-language templates in ``lookout/warn/templates/``.

Kinds, their CAP ``responseType`` and ``certainty``:

=================  ==========  =========  ==============================================
kind               response    certainty  when
=================  ==========  =========  ==============================================
LAUNCH             Shelter     Observed   a launch seen that may reach the areas
IMPACT_PREDICTED   Shelter     Likely     a predicted fall on the areas' land or sea
PASSED_OVER        Monitor     Observed   it flew over the areas (``passage``)
FELL_AT_SEA        Monitor     Likely     it came down at sea (``impact``, ``inside_eez``)
FELL_ON_LAND       Shelter     Likely     it came down on the areas' land (``impact``)
NO_THREAT          AllClear    Observed   it will not reach the areas after all
ALL_CLEAR          AllClear    Observed   the end of a shelter call
MARITIME           Avoid       Likely     a fall in the partner's EEZ off its territory
CORRECTION         AllClear    Observed   the earlier messages were sent in error
=================  ==========  =========  ==============================================

A notice without ``references`` becomes a CAP ``Alert``; with them an ``Update`` (a withdrawal
is an ``Update`` with ``responseType`` AllClear and readable text, never a bare ``Cancel``).
``status`` "Exercise" marks every text as an exercise in every language; "Actual" is only for a
live feed explicitly configured so.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal, get_args

from lookout.errors import LookoutError
from lookout.warn.areas import Area, SeaArea

Kind = Literal[
    "LAUNCH",
    "IMPACT_PREDICTED",
    "PASSED_OVER",
    "FELL_AT_SEA",
    "FELL_ON_LAND",
    "NO_THREAT",
    "ALL_CLEAR",
    "MARITIME",
    "CORRECTION",
]
KINDS: tuple[str, ...] = get_args(Kind)
Status = Literal["Exercise", "Actual"]

#: CAP responseType of each kind.
RESPONSE_TYPE = {
    "LAUNCH": "Shelter",
    "IMPACT_PREDICTED": "Shelter",
    "PASSED_OVER": "Monitor",
    "FELL_AT_SEA": "Monitor",
    "FELL_ON_LAND": "Shelter",
    "NO_THREAT": "AllClear",
    "ALL_CLEAR": "AllClear",
    "MARITIME": "Avoid",
    "CORRECTION": "AllClear",
}
#: CAP certainty of each kind: Observed for what was seen, Likely for a prediction (never
#: Possible, which a shelter call must not be).
CERTAINTY = {
    "LAUNCH": "Observed",
    "IMPACT_PREDICTED": "Likely",
    "PASSED_OVER": "Observed",
    "FELL_AT_SEA": "Likely",
    "FELL_ON_LAND": "Likely",
    "NO_THREAT": "Observed",
    "ALL_CLEAR": "Observed",
    "MARITIME": "Likely",
    "CORRECTION": "Observed",
}
#: Kinds that call people to shelter.
SHELTER_KINDS = frozenset(k for k, r in RESPONSE_TYPE.items() if r == "Shelter")
#: Kinds that end a shelter call or withdraw earlier messages (always CAP Updates).
WITHDRAWAL_KINDS = frozenset(k for k, r in RESPONSE_TYPE.items() if r == "AllClear")
#: Kinds that need ``impact``.
IMPACT_KINDS = frozenset({"IMPACT_PREDICTED", "FELL_AT_SEA", "FELL_ON_LAND", "MARITIME"})

#: Languages with a template (BCP 47 primary tags).
LANGUAGES = ("ja", "ko", "en", "es", "he", "ar", "hi", "nb")

# CAP 1.2 3.2.1: identifier and sender must not contain spaces, commas or restricted
# characters (< and &).
_CAP_TOKEN = re.compile(r"^[^\s,<&]+$")


class NoticeError(LookoutError, ValueError):
    """A notice is inconsistent; the message names the field, the value and what was expected."""


@dataclass(frozen=True)
class Authority:
    """Who issues a partner's public warnings.

    ``sender`` is the CAP ``sender`` (an address-like id, no spaces or commas); ``names`` maps a
    language tag to the CAP ``senderName`` in that language; ``timezone`` is the IANA zone the
    ``sent`` and ``expires`` times are written in and local times in the texts are given in
    (``None``: the zone of the notice's first area). ``web`` is an optional link put in ``<web>``.
    """

    sender: str
    names: tuple[tuple[str, str], ...]
    timezone: str | None = None
    web: str | None = None

    def __post_init__(self) -> None:
        if not _CAP_TOKEN.match(self.sender):
            raise NoticeError(
                f"authority.sender: {self.sender!r} is not a CAP sender "
                "(expected no spaces, commas, '<' or '&')"
            )
        if not self.names:
            raise NoticeError("authority.names: empty (expected at least one language's name)")

    def sender_name(self, language: str) -> str:
        """``senderName`` in a language, or in English, or in the first language given."""
        names = dict(self.names)
        return names.get(language) or names.get("en") or self.names[0][1]


#: Default authorities per partner country. The senders use the reserved ``.example`` top-level
#: domain so that nothing Lookout writes can pass for the real agency's traffic.
DEFAULT_AUTHORITIES = {
    "JP": Authority(
        sender="jalert@fdma.go.jp.example",
        names=(
            ("ja", "消防庁（全国瞬時警報システム）"),
            ("en", "Fire and Disaster Management Agency (J-Alert)"),
        ),
        timezone="Asia/Tokyo",
    ),
    "KR": Authority(
        sender="cbs@mois.go.kr.example",
        names=(("ko", "행정안전부"), ("en", "Ministry of the Interior and Safety")),
        timezone="Asia/Seoul",
    ),
    "US": Authority(
        sender="ipaws@fema.gov.example",
        names=(
            ("en", "Federal Emergency Management Agency"),
            ("es", "Agencia Federal para el Manejo de Emergencias"),
        ),
        timezone=None,
    ),
    # The partners of issue 13: the agencies that warn the public of missiles or, where there is
    # none for missiles, of any emergency.
    "IL": Authority(
        sender="alerts@oref.org.il.example",
        names=(
            ("he", "פיקוד העורף"),
            ("ar", "قيادة الجبهة الداخلية"),
            ("en", "Home Front Command"),
        ),
        timezone="Asia/Jerusalem",
    ),
    "JO": Authority(
        sender="alerts@ncscm.gov.jo.example",
        names=(
            ("ar", "المركز الوطني للأمن وإدارة الأزمات"),
            ("en", "National Centre for Security and Crisis Management"),
        ),
        timezone="Asia/Amman",
    ),
    "IN": Authority(
        sender="sachet@ndma.gov.in.example",
        names=(
            ("hi", "राष्ट्रीय आपदा प्रबंधन प्राधिकरण"),
            ("en", "National Disaster Management Authority"),
        ),
        timezone="Asia/Kolkata",
    ),
    "AU": Authority(
        sender="alerts@nema.gov.au.example",
        names=(("en", "National Emergency Management Agency"),),
        timezone=None,
    ),
    "MX": Authority(
        sender="alertas@proteccioncivil.gob.mx.example",
        names=(
            ("es", "Coordinación Nacional de Protección Civil"),
            ("en", "National Civil Protection Coordination"),
        ),
        timezone=None,
    ),
    "GB": Authority(
        sender="emergency-alerts@cabinetoffice.gov.uk.example",
        names=(("en", "UK Government Emergency Alerts"),),
        timezone="Europe/London",
    ),
    "NO": Authority(
        sender="nodvarsel@dsb.no.example",
        names=(
            ("nb", "Direktoratet for samfunnssikkerhet og beredskap (Nødvarsel)"),
            ("en", "Norwegian Directorate for Civil Protection (Nødvarsel)"),
        ),
        timezone=None,
    ),
}


def default_authority(country: str) -> Authority:
    """The default :class:`Authority` of a partner country (ISO 3166-1 alpha-2)."""
    try:
        return DEFAULT_AUTHORITIES[country]
    except KeyError:
        raise NoticeError(
            f"country: no default warning authority for {country!r} "
            f"(expected one of {sorted(DEFAULT_AUTHORITIES)}, or an authority in the config)"
        ) from None


def authority_from_config(country: str, config: dict | None) -> Authority:
    """The default authority of ``country`` with the fields a scenario or config file overrides.

    ``config`` may give ``sender``, ``sender_name`` (a mapping language -> name), ``timezone``
    and ``web``; unknown keys are an error naming them.
    """
    base = default_authority(country) if country in DEFAULT_AUTHORITIES else None
    config = dict(config or {})
    unknown = set(config) - {"sender", "sender_name", "timezone", "web"}
    if unknown:
        raise NoticeError(
            f"authority: unknown field(s) {sorted(unknown)} "
            "(expected sender, sender_name, timezone, web)"
        )
    if base is None and "sender" not in config:
        raise NoticeError(f"authority.sender: missing for {country!r}, which has no default")
    names = config.get("sender_name")
    if names is not None and not isinstance(names, dict):
        raise NoticeError(f"authority.sender_name: {names!r} (expected a mapping language -> name)")
    if names is None and base is None:
        names = {"en": config["sender"]}
    return Authority(
        sender=config.get("sender", base.sender if base else ""),
        names=tuple(names.items()) if names is not None else base.names,
        timezone=config.get("timezone", base.timezone if base else None),
        web=config.get("web", base.web if base else None),
    )


@dataclass(frozen=True)
class Reference:
    """An earlier message an update refers to: CAP ``sender,identifier,sent``."""

    sender: str
    identifier: str
    sent: datetime

    def cap(self) -> str:
        """The reference as CAP writes it (``sent`` with its own offset, no fractions)."""
        return f"{self.sender},{self.identifier},{cap_time(self.sent)}"


@dataclass(frozen=True)
class Ellipse:
    """A 95 % ellipse on the ground: semi-axes in metres, the major axis's bearing in degrees
    clockwise from north."""

    semi_major_m: float
    semi_minor_m: float
    orientation_deg: float
    confidence: float = 0.95


@dataclass(frozen=True)
class Impact:
    """Where and when a fall is predicted (or was inferred): degrees, an aware datetime."""

    lat_deg: float
    lon_deg: float
    time: datetime
    ellipse: Ellipse | None = None


@dataclass(frozen=True)
class Passage:
    """An overflight of the areas: when (aware datetime), the ground track's heading (degrees
    clockwise from north) and the sea it flew on towards, if known."""

    time: datetime
    heading_deg: float
    towards: SeaArea | None = None


@dataclass(frozen=True)
class Notice:
    """One message to send: a lifecycle decision for one partner, one launch event, some areas.

    Times are aware datetimes (UTC or any zone; CAP writes them in the authority's zone).
    ``launch_territory`` is the ISO 3166-1 alpha-2 code of the launching territory ("KP"), or
    ``None`` if unknown. ``areas`` are the partner's areas the message is addressed to; a
    MARITIME notice may have none (it is addressed to the ``sea_area`` around ``impact``).
    ``references`` list every earlier message of this event and these areas, oldest first.
    """

    kind: Kind
    partner: str
    country: str
    authority: Authority
    languages: tuple[str, ...]
    status: Status
    identifier: str
    sent: datetime
    expires: datetime
    event_id: str
    areas: tuple[Area, ...]
    launch_time: datetime
    launch_territory: str | None
    launch_lat_deg: float
    launch_lon_deg: float
    references: tuple[Reference, ...] = ()
    impact: Impact | None = None
    passage: Passage | None = None
    inside_eez: bool | None = None
    sea_area: SeaArea | None = None
    space_launch: bool = False
    notes: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise NoticeError(f"notice.kind: {self.kind!r} (expected one of {list(KINDS)})")
        if self.status not in ("Exercise", "Actual"):
            raise NoticeError(f"notice.status: {self.status!r} (expected Exercise or Actual)")
        if not _CAP_TOKEN.match(self.identifier):
            raise NoticeError(
                f"notice.identifier: {self.identifier!r} (expected no spaces, commas, '<', '&')"
            )
        if not self.languages:
            raise NoticeError("notice.languages: empty (expected at least one language)")
        for lang in self.languages:
            if lang not in LANGUAGES:
                raise NoticeError(
                    f"notice.languages: {lang!r} has no template (expected one of {LANGUAGES})"
                )
        for name in ("sent", "expires", "launch_time"):
            value = getattr(self, name)
            if value.tzinfo is None or value.utcoffset() is None:
                raise NoticeError(f"notice.{name}: {value!r} (expected an aware datetime)")
        if self.expires <= self.sent:
            raise NoticeError(
                f"notice.expires: {self.expires.isoformat()} (expected after sent, "
                f"{self.sent.isoformat()})"
            )
        if self.kind in IMPACT_KINDS and self.impact is None:
            raise NoticeError(f"notice.impact: missing (a {self.kind} notice needs the impact)")
        if self.kind == "PASSED_OVER" and self.passage is None:
            raise NoticeError("notice.passage: missing (a PASSED_OVER notice needs the passage)")
        if self.kind in WITHDRAWAL_KINDS and not self.references:
            raise NoticeError(
                f"notice.references: empty (a {self.kind} notice withdraws earlier messages)"
            )
        if self.kind != "MARITIME" and not self.areas:
            raise NoticeError(f"notice.areas: empty (a {self.kind} notice needs its areas)")
        for area in self.areas:
            if area.country != self.country:
                raise NoticeError(
                    f"notice.areas: {area.key} is not in the partner's country {self.country}"
                )

    @property
    def msg_type(self) -> str:
        """CAP msgType: ``Alert`` for the first message of an event and area, else ``Update``."""
        return "Update" if self.references else "Alert"

    @property
    def response_type(self) -> str:
        return RESPONSE_TYPE[self.kind]

    @property
    def certainty(self) -> str:
        return CERTAINTY[self.kind]

    @property
    def shelter(self) -> bool:
        """True if the message calls people to shelter."""
        return self.kind in SHELTER_KINDS

    @property
    def exercise(self) -> bool:
        return self.status == "Exercise"


def cap_time(t: datetime, zone: str | None = None) -> str:
    """A CAP 1.2 dateTime: ``YYYY-MM-DDThh:mm:ss±hh:mm``, whole seconds, never ``Z``.

    ``t`` must be aware; ``zone`` (IANA) converts it first. Fractions are truncated (CAP
    forbids them), so the same instant always writes the same string.
    """
    if t.tzinfo is None or t.utcoffset() is None:
        raise NoticeError(f"time: {t!r} (expected an aware datetime)")
    if zone is not None:
        from zoneinfo import ZoneInfo

        t = t.astimezone(ZoneInfo(zone))
    t = t.replace(microsecond=0)
    offset = t.utcoffset()
    minutes = int(offset.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    hh, mm = divmod(abs(minutes), 60)
    return t.strftime("%Y-%m-%dT%H:%M:%S") + f"{sign}{hh:02d}:{mm:02d}"
