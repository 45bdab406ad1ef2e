"""Releasability: who may receive what from whom, and what each partner publishes at all.

A policy is a YAML file (see ``policy-example.yaml``) with three sections:

- ``partners``: each partner id and its sensor ids.
- ``publish``: per partner, what its node sends to the exchange at all: ``detections`` and
  ``local_tracks``, each ``all``, ``none`` or a list of sensor ids (for ``local_tracks``: the
  sensors whose detections may feed the tracks it publishes). Omitted: ``all``.
- ``release``: per sender, per recipient, the message classes the recipient may receive from
  that sender: ``detection`` (``true``, ``false`` or a list of the sender's sensor ids),
  ``local_track`` (a node's report of several, ``LocalTrackBatch``, too), ``system_track``,
  ``heartbeat``, ``alert``, ``launch_notice`` (``true``/``false``; ``alert``: the sender's
  public warnings, which every partner publishes; ``launch_notice``: the sender's pre-launch
  notifications of its own launches). A recipient
  may also be given ``all``, ``none`` or a list of classes. Anything not granted is refused.

System tracks are fused from several partners' data, and the fusion cannot take a partner's
contribution back out of a fused state. So the rule is: a recipient receives a system track only
if ``release.<P>.<recipient>.system_track`` holds for every contributing partner P (its own
contributions always count as allowed); otherwise the track is withheld from it entirely.

A partner's own data is always its own (:meth:`Policy.may_receive` is true), but the exchange
never echoes a partner's messages back to it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from lookout.errors import LookoutError
from lookout.messages import (
    Alert,
    Detection,
    DetectionBatch,
    Heartbeat,
    LaunchNotice,
    LocalTrack,
    LocalTrackBatch,
    Message,
    SystemTrack,
)

#: The message classes a policy grants, and the message types in each.
CLASSES = ("detection", "local_track", "system_track", "heartbeat", "alert", "launch_notice")
CLASS_OF: dict[type, str] = {
    Detection: "detection",
    DetectionBatch: "detection",
    LocalTrack: "local_track",
    LocalTrackBatch: "local_track",
    SystemTrack: "system_track",
    Heartbeat: "heartbeat",
    Alert: "alert",
    LaunchNotice: "launch_notice",
}


class PolicyError(LookoutError, ValueError):
    """A policy file that does not say what it must; the message names the field and value."""


@dataclass(frozen=True)
class Grant:
    """What one recipient may receive from one sender: the sensor ids whose detections it gets,
    and whether it gets local tracks, system tracks with the sender's contributions,
    heartbeats."""

    detection: frozenset[str] = frozenset()
    local_track: bool = False
    system_track: bool = False
    heartbeat: bool = False
    alert: bool = False
    launch_notice: bool = False


class Policy:
    """A parsed, checked releasability policy; build with :meth:`load` or :meth:`from_dict`."""

    def __init__(
        self,
        sensors: Mapping[str, tuple[str, ...]],
        publish_detections: Mapping[str, frozenset[str]],
        publish_tracks: Mapping[str, frozenset[str]],
        grants: Mapping[tuple[str, str], Grant],
    ) -> None:
        self.sensors = dict(sensors)
        self.publish_detections = dict(publish_detections)
        self.publish_tracks = dict(publish_tracks)
        self.grants = dict(grants)

    @property
    def partners(self) -> list[str]:
        return list(self.sensors)

    @classmethod
    def load(cls, path: str | Path) -> Policy:
        """Read and check a policy YAML file."""
        try:
            data = yaml.safe_load(Path(path).read_text())
        except yaml.YAMLError as e:
            raise PolicyError(f"{path}: not YAML: {e}") from e
        try:
            return cls.from_dict(data)
        except PolicyError as e:
            raise PolicyError(f"{path}: {e}") from None

    @classmethod
    def from_dict(cls, data: Any) -> Policy:
        """Check a policy given as plain data (the YAML's structure)."""
        data = _mapping("policy", data)
        unknown = set(data) - {"partners", "publish", "release"}
        if unknown:
            raise PolicyError(f"{sorted(unknown)[0]}: unknown section (expected partners, "
                              "publish, release)")  # fmt: skip
        partners = _mapping("partners", data.get("partners"))
        if not partners:
            raise PolicyError("partners: expected at least one partner")
        sensors: dict[str, tuple[str, ...]] = {}
        for p, ids in partners.items():
            if not isinstance(p, str) or not p.replace("_", "").replace("-", "").isalnum():
                raise PolicyError(f"partners: {p!r} is not a partner id (letters, digits, _ -)")
            sensors[p] = tuple(_strings(f"partners.{p}", ids or []))

        publish = _mapping("publish", data.get("publish", {}))
        pub_det, pub_trk = {}, {}
        for p in publish:
            _known(f"publish.{p}", p, sensors)
        for p in sensors:
            entry = _mapping(f"publish.{p}", publish.get(p, {}))
            for key in entry:
                if key not in ("detections", "local_tracks"):
                    raise PolicyError(f"publish.{p}.{key}: unknown field "
                                      "(expected detections, local_tracks)")  # fmt: skip
            pub_det[p] = _sensor_set(f"publish.{p}.detections", entry.get("detections", "all"),
                                     p, sensors)  # fmt: skip
            pub_trk[p] = _sensor_set(f"publish.{p}.local_tracks", entry.get("local_tracks", "all"),
                                     p, sensors)  # fmt: skip

        grants: dict[tuple[str, str], Grant] = {}
        release = _mapping("release", data.get("release", {}))
        for sender, recipients in release.items():
            _known("release", sender, sensors)
            for recipient, spec in _mapping(f"release.{sender}", recipients).items():
                _known(f"release.{sender}", recipient, sensors)
                field = f"release.{sender}.{recipient}"
                grants[sender, recipient] = _grant(field, spec, sender, sensors)
        return cls(sensors, pub_det, pub_trk, grants)

    def grant(self, recipient: str, sender: str) -> Grant:
        """What ``recipient`` may receive from ``sender`` (everything when they are the same)."""
        if recipient == sender and sender in self.sensors:
            return Grant(frozenset(self.sensors[sender]), True, True, True, True, True)
        return self.grants.get((sender, recipient), _NOTHING)

    def may_publish(self, partner: str, message: Message) -> bool:
        """Whether ``partner``'s node sends ``message`` to the exchange at all."""
        if isinstance(message, Detection | DetectionBatch):
            return message.sensor_id in self.publish_detections.get(partner, ())
        if isinstance(message, LocalTrack):
            allowed = self.publish_tracks.get(partner, frozenset())
            return bool(allowed) and allowed.issuperset(message.sensors)
        if isinstance(message, LocalTrackBatch):  # a report: every track as if sent alone
            allowed = self.publish_tracks.get(partner, frozenset())
            return bool(allowed) and all(allowed.issuperset(t.sensors) for t in message.tracks)
        if isinstance(message, Heartbeat | Alert | LaunchNotice):
            return partner in self.sensors
        return False

    def may_receive(self, recipient: str, sender: str, message: Message) -> bool:
        """Whether ``recipient`` may receive ``message`` sent by ``sender``.

        For a :class:`SystemTrack` the sender is ignored (it is the exchange's): every partner
        in ``message.partners`` must release system tracks to ``recipient``.
        """
        if recipient not in self.sensors:
            return False
        if isinstance(message, SystemTrack):
            return all(self.grant(recipient, p).system_track for p in message.partners)
        if not self.may_publish(sender, message):
            return False
        g = self.grant(recipient, sender)
        if isinstance(message, Detection | DetectionBatch):
            return message.sensor_id in g.detection
        if isinstance(message, LocalTrack | LocalTrackBatch):
            return g.local_track
        if isinstance(message, Heartbeat):
            return g.heartbeat
        if isinstance(message, Alert):
            return g.alert
        if isinstance(message, LaunchNotice):
            return g.launch_notice
        return False

    def recipients(self, sender: str, message: Message) -> list[str]:
        """The partners the exchange delivers ``message`` to, in policy order: the entitled ones,
        except the sender itself for partner data."""
        return [
            r
            for r in self.sensors
            if (r != sender or isinstance(message, SystemTrack))
            and self.may_receive(r, sender, message)
        ]


_NOTHING = Grant()


def _mapping(field: str, value: Any) -> dict:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise PolicyError(f"{field}: expected a mapping, got {value!r}")
    return value


def _strings(field: str, value: Any) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise PolicyError(f"{field}: expected a list of ids, got {value!r}")
    return value


def _known(field: str, partner: Any, sensors: Mapping[str, Any]) -> None:
    if partner not in sensors:
        raise PolicyError(f"{field}: unknown partner {partner!r} (partners: {', '.join(sensors)})")


def _sensor_set(field: str, value: Any, partner: str, sensors: Mapping) -> frozenset[str]:
    if value is True or value == "all":
        return frozenset(sensors[partner])
    if value is False or value == "none" or value is None:
        return frozenset()
    ids = _strings(field, value)
    for s in ids:
        if s not in sensors[partner]:
            raise PolicyError(f"{field}: unknown sensor {s!r} (sensors of {partner}: "
                              f"{', '.join(sensors[partner]) or 'none'})")  # fmt: skip
    return frozenset(ids)


def _grant(field: str, spec: Any, sender: str, sensors: Mapping) -> Grant:
    if spec == "all":
        spec = dict.fromkeys(CLASSES, True)
    elif spec == "none" or spec is None:
        spec = {}
    elif isinstance(spec, list):
        for c in spec:
            if c not in CLASSES:
                raise PolicyError(f"{field}: unknown class {c!r} (classes: {', '.join(CLASSES)})")
        spec = dict.fromkeys(spec, True)
    spec = _mapping(field, spec)
    for c, v in spec.items():
        if c not in CLASSES:
            raise PolicyError(f"{field}.{c}: unknown class (classes: {', '.join(CLASSES)})")
        if c != "detection" and not isinstance(v, bool):
            raise PolicyError(f"{field}.{c}: expected true or false, got {v!r}")
    return Grant(
        detection=_sensor_set(f"{field}.detection", spec.get("detection", False), sender, sensors),
        local_track=spec.get("local_track", False),
        system_track=spec.get("system_track", False),
        heartbeat=spec.get("heartbeat", False),
        alert=spec.get("alert", False),
        launch_notice=spec.get("launch_notice", False),
    )
