"""Issuing a partner's warnings: decisions made into signed CAP alerts on the exchange, and
written out as files with an Atom index.

:class:`Issuer` turns a :class:`~lookout.warn.decide.Decision` into the CAP 1.2 XML of its
notice (``lookout.warn.cap.build_alert``), signs it with the partner's alert key (derived from
its exchange key, ``lookout.warn.sign``) and wraps it as a :class:`~lookout.messages.Alert`, the
payload the partner's node seals and sends. Everything is a pure function of the decision and
the key: a replay that decides the same issues the same bytes.

:func:`write_alerts` writes each alert as ``<identifier>.xml`` into a directory, and
``index.atom``, the Atom feed of the alerts active at the end (``lookout.warn.atom``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from lookout.messages import MAX_ALERT_BYTES, Alert, LaunchNotice, SystemTrack, SystemTrackBatch
from lookout.timebase import s_to_ns
from lookout.warn.areas import COUNTRIES
from lookout.warn.atom import active, alert_filename, build_feed
from lookout.warn.cap import build_alert
from lookout.warn.decide import Decision, DeskConfig, WarnDesk
from lookout.warn.notice import authority_from_config
from lookout.warn.sign import alert_certificate, alert_signing_key, sign_alert


class Issuer:
    """One partner's alert writer and signer."""

    def __init__(self, partner: str, key: Ed25519PrivateKey) -> None:
        self.partner = partner
        self.key = alert_signing_key(key)
        self.certificate = alert_certificate(self.key, partner)

    def alert(self, decision: Decision) -> Alert:
        """The signed alert of one decision. One whose areas' outlines make it larger than an
        ``Alert`` may be (``MAX_ALERT_BYTES``: many areas, each outline repeated per language)
        addresses them by their codes alone, so that it is sent rather than refused."""
        n = decision.notice
        xml = sign_alert(build_alert(n), self.key, self.certificate)
        if len(xml) > MAX_ALERT_BYTES:
            xml = sign_alert(build_alert(n, polygons=False), self.key, self.certificate)
        areas = [a.key for a in n.areas] or ([f"sea:{n.sea_area.key}"] if n.sea_area else [])
        return Alert(
            partner=self.partner,
            identifier=n.identifier,
            t_ns=s_to_ns(decision.t),
            event_id=n.event_id,
            kind=n.kind,
            areas=areas,
            shelter=n.shelter,
            cap=xml,
        )


class Warner:
    """A partner's desk and issuer together: what a ``PartnerNode`` is given as its
    ``warner``. Every method returns the signed alerts due (``Alert`` messages); ``decisions``
    keeps every decision with its log."""

    def __init__(self, desk: WarnDesk, issuer: Issuer) -> None:
        self.desk = desk
        self.issuer = issuer
        self.decisions: list[Decision] = []

    def _issue(self, decisions: list[Decision]) -> list[Alert]:
        self.decisions += decisions
        return [self.issuer.alert(d) for d in decisions]

    def on_track(self, track: SystemTrack) -> list[Alert]:
        return self._issue(self.desk.on_track(track))

    def on_notice(self, notice: LaunchNotice) -> None:
        """A partner's pre-launch notification the node received (verified)."""
        self.desk.notice(notice)

    def take(self, message, time_ns: int) -> list[Alert]:
        """Any message the node accepted, as the node hands it: a system track (or a batch of
        them, each in order) to decide on,
        a launch notification to hold, anything else the desk's clock (``time_ns``)."""
        if isinstance(message, SystemTrack):
            return self.on_track(message)
        if isinstance(message, SystemTrackBatch):  # the exchange's tracks of an instant
            return [a for track in message.tracks for a in self.on_track(track)]
        if isinstance(message, LaunchNotice):
            self.on_notice(message)
        return self.tick(time_ns)

    def tick(self, now_ns: int) -> list[Alert]:
        return self._issue(self.desk.tick(now_ns))

    def flush(self) -> list[Alert]:
        return self._issue(self.desk.flush())


def warns(partner) -> bool:
    """Whether a scenario's partner issues public warnings: its country's areas are shipped
    (``lookout.warn.areas.COUNTRIES``); a partner of another country (a sensor partner such as
    Australia in generated scenarios) shares and sees the picture but warns nobody."""
    return partner.country in COUNTRIES


def warner_for(scenario, partner_id: str, key: Ed25519PrivateKey, **desk_options) -> Warner | None:
    """The warner of a scenario's partner: its country's areas, its languages, its authority
    (the scenario's ``authority`` settings over the country's defaults), an Exercise, the
    partners' countries and its own launch notifications; ``None`` for a partner that warns
    nobody (:func:`warns`)."""
    p = scenario.partner(partner_id)
    if not warns(p):
        return None
    config = DeskConfig(
        partner=p.id,
        country=p.country,
        languages=tuple(p.languages),
        authority=authority_from_config(p.country, dict(p.authority) or None),
        epoch=scenario.epoch,
        partner_countries=tuple((q.id, q.country) for q in scenario.partners),
    )
    warner = Warner(WarnDesk(config, **desk_options), Issuer(p.id, key))
    for n in getattr(scenario, "notices", ()):
        if n.partner == p.id:  # its own notifications (the exchange does not echo them back)
            warner.on_notice(n.message())
    return warner


def write_alerts(directory: Path | str, alerts: Iterable[Alert], now: dt.datetime) -> Path:
    """Each alert as ``<identifier>.xml`` in ``directory`` and ``index.atom`` of those active
    at ``now`` (aware); returns the index's path."""
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    alerts = list(alerts)
    for a in alerts:
        (out / alert_filename(a.identifier)).write_bytes(a.cap)
    feed = build_feed(
        active([a.cap for a in alerts], now),
        feed_id="urn:lookout:alerts",
        title="Lookout public warnings (active)",
        updated=now,
        author="Lookout",
    )
    index = out / "index.atom"
    index.write_bytes(feed)
    return index


__all__ = ["Issuer", "Warner", "warner_for", "warns", "write_alerts"]
