"""The warning decisions of one partner: its civil-defence desk, fed by its own view of the
common picture, for its own areas.

A :class:`WarnDesk` decides at every picture instant (``decide(t, tracks)``), per launch event
(``SystemTrack.event_id``) and per area of the partner, which message of the lifecycle is due,
and returns it as a :class:`~lookout.warn.notice.Notice` with the log of the geometry and the
rule that made it (:class:`Decision`). The rules, in the words of ``docs/warnings.md``:

**When an event is warned at all.** What a duty officer requires before calling people to
shelter: an event with a launch point, seen at two assessments at least ``CONFIRM_S`` apart
whose launch points agree within their uncertainty (99.9 % gate) and put the launch no later
than the first sighting and at most ``MAX_LAUNCH_AGE_S`` before it, and an object whose track is
consistent: it is where its previous estimate (5 s before) put it, within 99.9 % and a burn of
up to 10 g since (``CONSISTENT_CHI2``, ``THRUST_MPS2``), its velocity changed by no more than
gravity and such a burn allow, and its state is bound (below escape energy). An object's
corridor is used only once an estimate at least ``CHECK_S`` (5 s) later has agreed with it; a
later one that disagrees is set aside and the last consistent one kept. An estimate with
nothing measured since the one before (its position covariance no smaller than that one's
flown on, ``_predicted_only``: the picture coasting a track it lost) is no estimate at all: it
neither confirms a corridor nor counts as a fresh estimate of the event. The first measured
one after such a coast is the coast's prediction fixed by a first detection, the coast's error
still in it and in the next: it counts neither towards the two estimates that put a far
passage's flight over an area nor towards a withdrawal (``_after_coast``). A corridor's parts
whose 95 % ellipse is longer than ``MAX_AXIS_M`` say nothing about where the object will be
and are not used. Nothing is held back beyond that (the first warning comes one assessment,
5 s, after the first usable estimate): a phantom is the picture's defect, not something to hide
behind delays.

**When an area is threatened** (per object of the event that may be its payload: ``booster``,
``payload``, ``unknown``): the object's *corridor* (``lookout.warn.hazard``: the ground its
sigma points sweep from now to their fall, the last piece the 95 % impact ellipse) meets the
area's footprint (land and 12 nmi territorial sea) in the future. While it burns, the corridor
is the flight that would follow if thrust stopped now: the ground under it up to the
instantaneous impact point's 95 % ellipse; as the IIP runs ahead during the burn, every area
it runs past stays under the corridor until the vehicle has flown over it, except where its
passage is later than the longest burn's end (``LONGEST_BURN_S`` after launch) by more than
``SHELTER_LEAD_S``: whether thrust stops is known before then, and the call can wait for it
(a space launch's IIP runs thousands of kilometres ahead of it). The ascent from the desk's
own ground (the launch point's 99.9 % region on one of its areas, ``_on_own_ground``) calls
them only by the corridor's last part, where it would come down, and once burnt out only by
its descent (from its apogee) and fall: climbing away, nothing of it can come down under it
(the judge's rule). A spent stage or
debris threatens where its 95 % impact ellipse meets the area; once the event's payload is
known, so does every other piece. The reach of every vehicle
class still possible while it burns is *not* used: for any launch that could still be an ICBM
it is everything along the azimuth for thousands of kilometres (a lofted ICBM aimed at the Sea
of Japan would put Hokkaido under shelter for minutes, as on 13 April 2023); carrying the IIP
ahead at its own rate was tried and warned prefectures beyond Oki for an SRBM aimed at Oki.

**Lifecycle per event and area** (kinds of ``lookout.warn.notice``):

- not yet told, threatened by two fresh estimates in a row (``CONFIRM_ESTIMATES``; by one when
  the predicted passage is less than ``NEAR_S`` away and that estimate has just come), its
  predicted passage still ahead, and, while that passage is more than ``SHELTER_LEAD_S``
  away, two fresh estimates in a row putting the flight itself over it (their nominal ground
  track or fall; an area only at the edge of the 95 % regions waits until its call cannot):
  ``LAUNCH`` (shelter), or ``IMPACT_PREDICTED`` (shelter now) when a post-burnout 95 % impact
  ellipse meets the area;
- not yet told and the passage already behind (the object flew over it before the event was
  credible): ``PASSED_OVER`` as information, no shelter call; the passage told is not called
  after it (a corridor over it whose passage has begun), a fall predicted on it or a passage
  still ahead of it is, confirmed as any new threat after a message (``CONFIRM_ESTIMATES``);
- sheltering, and a fall now predicted on it: ``IMPACT_PREDICTED``;
- sheltering, and nothing of the event threatens it any more: ``FELL_ON_LAND`` or
  ``FELL_AT_SEA`` if the objects whose fall was predicted on it have come down (where, inside
  the EEZ or not; some of them, once two fresh estimates in a row put the others' falls
  elsewhere; an object whose estimate went below the surface has come down), else
  ``PASSED_OVER`` if its predicted passage had begun (if a fall was predicted on it, nothing
  until the object is down: its outcome is the fall), else ``NO_THREAT`` (withdrawn
  as soon as two fresh estimates in a row rule the area out, ``CONFIRM_ESTIMATES``: one
  estimate at a corridor's edge does not flip a warning; a new threat after an outcome needs
  two in a row too);
- ``ALL_CLEAR`` ``ALL_CLEAR_HOLD_S`` after that outcome, for every area told to shelter, once
  nothing of the event threatens it; a new threat starts a new shelter call in the same chain.

**Announced launches.** An event the picture matched to a partner's pre-launch notification
(``SystemTrack.notices``) that this desk holds, from the partner whose country the launch
point is in, threatens no area while every object stays within it (``_left``: IIPs and
predicted falls in the azimuth sector beyond their uncertainty, stages' falls in the hazard
areas, ``lookout.assess.notices``). An object that leaves it stays out (``_held_to``) and
threatens only out of it: its corridor from where its nominal ground track leaves the sector,
its fall where that is not within the notice (a second stage coming down outside the hazard
areas); the ascent within the sector threatens nobody, as the judge holds it.

**Maritime.** An object of the event (stages too) that has come down inside the partner's EEZ,
its 95 % ellipse on none of its areas: ``MARITIME`` for the named sea there, as the coast guard
tells ships after a fall (an update of that sea's message for each further fall).

Every message of an event and an area after the first is an ``Update`` referring to all the
earlier ones (CAP ``references``); areas due the same kind at the same instant with the same
history share one message. Times are message times: ``t`` is the picture instant (s from the
scenario epoch), ``sent`` the epoch plus ``t``; never the wall clock, so a replay decides the
same. Runs driven by a scenario are exercises: ``status`` "Actual" needs a live feed and an
explicit setting (:class:`DeskConfig`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import shapely

from lookout.assess.energy import specific_energy
from lookout.assess.impact import CHI2_2D_95
from lookout.assess.notices import Announcement
from lookout.geodesy import ecef_to_geodetic, geodesic_inverse
from lookout.messages import LaunchNotice, SystemTrack
from lookout.physics.vehicles import catalogue
from lookout.timebase import NS_PER_S, ns_to_s, s_to_ns
from lookout.warn.hazard import ELLIPSE_VERTICES, Corridor, corridors, ellipse_polygon
from lookout.warn.notice import (
    SHELTER_KINDS,
    Authority,
    Ellipse,
    Impact,
    Notice,
    Passage,
    Reference,
)

#: Where a prediction's 95 % ellipse is longer than this (semi-major, m) it no longer says
#: where the object will be: that part of a corridor (and such an impact ellipse) is not used.
MAX_AXIS_M = 250e3
#: Consecutive fresh estimates that must agree before an area is withdrawn (NO_THREAT) or, after
#: an outcome, warned again: one estimate at the edge of a corridor does not flip a warning.
CONFIRM_ESTIMATES = 2
#: A first shelter call needs ``CONFIRM_ESTIMATES`` estimates in a row too, unless the predicted
#: passage is nearer than this (s): then one is enough (never wait when it is near).
NEAR_S = 30.0
#: A corridor is used once the object is where the one before put it (99.9 % gate, 2 dof),
#: allowing an acceleration of up to this (m/s^2, a burn) since.
CONSISTENT_CHI2 = 13.82
THRUST_MPS2 = 100.0
#: Gravity and the rotating frame's accelerations (m/s^2), bounded, in that allowance.
FRAME_MPS2 = 12.0
#: A corridor is checked against the latest one at least this much older (s): the former
#: assessment period, so that the check is what it was when every track was assessed every
#: 5 s, now that a changing track is assessed every second (``lookout.assess.schedule``).
CHECK_S = 5.0
#: A launch is credible only if its estimated time is within this (s) before the first sighting.
MAX_LAUNCH_AGE_S = 7200.0
#: Two assessments of an event at least this far apart (s), launch points agreeing, make it
#: credible.
CONFIRM_S = 4.0
#: Gate (chi-square, 2 dof, 99.9 %) on two launch points of one event.
LAUNCH_GATE_CHI2 = 13.82
#: An outcome is followed by the all-clear after this long (s), if nothing threatens any more.
ALL_CLEAR_HOLD_S = 30.0
#: An object has come down when the time is this many sigmas past its predicted impact time
#: (or its track is gone within ``GONE_NEAR_IMPACT_S`` of it).
FALLEN_SIGMAS = 2.0
GONE_NEAR_IMPACT_S = 60.0
#: The desk's clock decides quiet seconds this far (s) behind it (more than the picture's
#: latency and report period, so that an instant on its way is never passed by).
QUIET_LAG_S = 5.0
#: An object not in the picture for this long (s) is gone (``PictureView.stale_s``).
STALE_S = 5.0
#: A message expires this long (s) after it is sent, or, a call to shelter, after the end of
#: the passage or fall it is about (``_issue``), whichever is later.
EXPIRES_S = 1800.0
#: Objects that may carry the payload: their corridors threaten; the others only by their fall.
PAYLOAD_LIKE = ("booster", "payload", "unknown", None)
#: The longest burn (s, launch to the last stage's burnout) of any vehicle the picture knows
#: (the catalogue's: a three-stage space launcher's 470 s): by then every burn has ended.
LONGEST_BURN_S = max(v.full_burn_s for v in catalogue().values())
#: The lead (s) a shelter call aims for: the five minutes before the passage of the bar the
#: figures are held to (``docs/warning-decisions.md``, irbm-overflight).
SHELTER_LEAD_S = 300.0


@dataclass(frozen=True)
class DeskConfig:
    """One partner's desk: ``partner`` id, ``country`` (ISO 3166-1 alpha-2) whose areas it
    warns, ``languages`` of its messages, its ``authority``, the scenario ``epoch`` (aware
    datetime) and the ``status``: "Exercise" for any simulated run; "Actual" only with
    ``live_feed`` true (a live sensor feed) and only when asked for explicitly."""

    partner: str
    country: str
    languages: tuple[str, ...]
    authority: Authority
    epoch: dt.datetime
    status: str = "Exercise"
    live_feed: bool = False
    identifier_prefix: str = "lookout"
    #: The coalition's partners and their countries (ISO 3166-1 alpha-2): a partner's launch
    #: notification is honoured only for a launch from its own country's land or waters.
    partner_countries: tuple[tuple[str, str], ...] = ()

    def __post_init__(self) -> None:
        if self.status not in ("Exercise", "Actual"):
            raise ValueError(f"status: {self.status!r} (expected Exercise or Actual)")
        if self.status == "Actual" and not self.live_feed:
            raise ValueError(
                "status: 'Actual' needs a live feed (live_feed=True); a simulated run is an "
                "Exercise"
            )
        if self.epoch.tzinfo is None:
            raise ValueError(f"epoch: {self.epoch!r} (expected an aware datetime)")


@dataclass(frozen=True)
class Decision:
    """One message due: the notice, and the log of what decided it (``rule``, the instant
    ``t`` in s from the epoch, and the ``geometry`` per area as plain data)."""

    t: float
    notice: Notice
    rule: str
    geometry: dict

    def to_dict(self) -> dict:
        n = self.notice
        return {
            "t_s": self.t,
            "partner": n.partner,
            "event_id": n.event_id,
            "kind": n.kind,
            "identifier": n.identifier,
            "msg_type": n.msg_type,
            "areas": [a.key for a in n.areas] or ([f"sea:{n.sea_area.key}"] if n.sea_area else []),
            "references": [r.identifier for r in n.references],
            "rule": self.rule,
            "geometry": self.geometry,
        }


@dataclass
class _Sent:
    identifier: str
    sent: dt.datetime
    kind: str


@dataclass
class _AreaState:
    """The lifecycle of one event in one area (or sea area)."""

    history: list[_Sent] = field(default_factory=list)
    sheltering: bool = False
    impact_said: bool = False
    outcome_t: float | None = None
    passage: tuple[float, float] | None = None  # latest predicted entry and exit over it (s)
    threat_from: str | None = None  # the object that last threatened it
    fallers: list[str] = field(default_factory=list)  # objects whose fall was predicted on it
    hits: int = 0  # consecutive fresh estimates that threaten it
    misses: int = 0  # consecutive fresh estimates that do not
    passed_info: bool = False


@dataclass
class _Object:
    """What the desk keeps of one object (system track)."""

    track_id: str
    corridor: Corridor | None = None
    corridor_t: float | None = None
    corridor_burning: bool = False  # its corridor is of a burning estimate (thrust stopped now)
    impact: tuple[float, float, float, float, np.ndarray] | None = None  # lat, lon deg, t, sig, cov
    impact_from_burnout: bool = False
    last_seen: float = -np.inf
    trail: list[tuple[float, float, float]] = field(default_factory=list)  # t, lat, lon deg
    object_type: str | None = None
    orbital: bool = False
    coasted: bool = False  # seen coasting on its way down
    implausible_boosts: int = 0
    implausible_t: float | None = None  # when last seen "burning" on its way down
    # The latest corridors (of the last ``CHECK_S`` and one before), each used once a later
    # one at least ``CHECK_S`` after it agrees.
    candidates: list[Corridor] = field(default_factory=list)
    previous: tuple | None = None  # (t, x, P) of the last fresh assessment
    unbound: bool = False  # its latest state is above escape energy
    inconsistent: int = 0  # corridors that did not agree with the one before
    predicted_only: int = 0  # estimates that were the last one flown on, no measurement since
    unseen: bool = False  # its latest estimate was only predicted (the picture coasting it)
    resumed_t: float | None = None  # its first measured estimate after such a coast
    down_t: float | None = None  # when its estimate was first below the surface: it came down


@dataclass
class _Event:
    event_id: str
    first_t: float = 0.0  # first seen (s)
    launches: list[tuple[float, float, float, np.ndarray, float, float]] = field(
        default_factory=list
    )  # (t, lat rad, lon rad, cov_en, launch time, sigma)
    credible_t: float | None = None
    objects: dict[str, _Object] = field(default_factory=dict)
    areas: dict[str, _AreaState] = field(default_factory=dict)
    seas: dict[str, _AreaState] = field(default_factory=dict)
    event_class: str | None = None
    launch_territory: str | None = None
    own_ground: bool = False  # launched from one of the desk's own areas (land or its sea)
    count: int = 0
    fallen_said: set[str] = field(default_factory=set)  # objects whose fall was looked at
    fresh_t: float | None = None  # when an object of the event was last assessed
    measured_t: float | None = None  # when an object that may be its payload was last measured
    predicted_t: float | None = None  # when one was last assessed without a measurement since
    payload_known: bool = False  # the picture has told the event's payload
    announced: list[tuple[str, str]] = field(default_factory=list)  # notices it fits (picture)
    notices_left: dict[tuple[str, str], dict] = field(default_factory=dict)  # how it left each
    objects_left: dict[tuple[str, str], dict[str, dict]] = field(default_factory=dict)  # per
    # notice: the objects that left it, and how
    pending: dict[str, int] = field(default_factory=dict)  # area key: fresh estimates in a
    # row that threaten it, before its first message
    on_nominal: dict[str, int] = field(default_factory=dict)  # area key: fresh estimates in a
    # row whose nominal (predicted line or fall, not only the 95 % region) meets it

    def payload_like(self, ob: _Object) -> bool:
        """Whether an object may be the event's payload: once the payload is known, only it
        (a "burning" piece after the flight's last burn is a track's error, not a booster)."""
        if self.payload_known:
            return ob.object_type == "payload"
        return ob.object_type in PAYLOAD_LIKE


class WarnDesk:
    """One partner's warning decisions (see the module doc).

    ``areas`` are the partner's :class:`~lookout.warn.areas.Area` (default: the shipped ones of
    its country), ``eez`` its EEZ geometry and ``sea_of(lat_deg, lon_deg)`` the named sea at a
    point (defaults from ``lookout.warn.areas``); ``territory_of(lat, lon)`` (radians) the
    ISO code of the land or waters at a launch point (default: ``lookout.assess.territory``).
    """

    def __init__(
        self,
        config: DeskConfig,
        areas: Sequence | None = None,
        eez=None,
        sea_of: Callable | None = None,
        territory_of: Callable | None = None,
    ) -> None:
        self.config = config
        if areas is None or eez is None or sea_of is None:
            from lookout.warn import areas as shipped

            areas = shipped.areas(config.country) if areas is None else areas
            eez = shipped.eez(config.country) if eez is None else eez
            sea_of = shipped.sea_area if sea_of is None else sea_of
        self.areas = tuple(areas)
        self.eez = eez
        shapely.prepare(self.eez)
        self.sea_of = sea_of
        if territory_of is None:
            from lookout.assess.territory import territories

            outlines = territories()

            def territory_of(lat, lon):  # noqa: E306
                return outlines.area_at(lat, lon).code

        self.territory_of = territory_of
        self._footprints = np.array([a.footprint for a in self.areas], dtype=object)
        self._lands = np.array([a.land for a in self.areas], dtype=object)
        shapely.prepare(self._footprints)
        shapely.prepare(self._lands)
        self._tree = shapely.STRtree(self._footprints)
        self.events: dict[str, _Event] = {}
        self.log: list[Decision] = []
        # Partners' launch notifications received (verified by the node), by (partner, id).
        self.notices: dict[tuple[str, str], Announcement] = {}
        self._instant: int | None = None
        self._pending: dict[str, SystemTrack] = {}
        self._decided_ns: int | None = None

    # ------------------------------------------------------------------ feeding

    def notice(self, msg: LaunchNotice) -> None:
        """Take a partner's pre-launch notification (as the exchange relayed it, or the
        partner's own); one with the id of an earlier one replaces it."""
        an = Announcement.of(msg)
        self.notices[an.key] = an

    def on_track(self, track: SystemTrack) -> list[Decision]:
        """Take one system track as it arrives (in delivery order); when it opens a new picture
        instant, decide on the instant just completed and return its decisions. An interim
        update (``SystemTrack.interim``: one track between report instants) opens no instant
        and is not taken: the desk decides on whole pictures."""
        if track.interim:
            return []
        out: list[Decision] = []
        if self._instant is not None and track.t_ns > self._instant:
            out = self._decide_pending()
        if self._instant is None or track.t_ns > self._instant:
            self._instant = track.t_ns
            self._pending = {}
        if track.t_ns == self._instant:
            self._pending[track.system_track_id] = track
        return out

    def tick(self, now_ns: int) -> list[Decision]:
        """The desk's clock: the time of any other message the node receives (relayed data,
        heartbeats). Seconds ``QUIET_LAG_S`` behind it in which no picture instant came are
        decided on too, with no new tracks, so that an all-clear or a fall is not held up by a
        quiet sky; an instant that old is complete."""
        out: list[Decision] = []
        ready = now_ns - s_to_ns(QUIET_LAG_S)
        if self._instant is not None and self._instant <= ready:
            out += self._decide_pending()
        while self._decided_ns is not None and self._decided_ns + NS_PER_S <= ready:
            if self._instant is not None and self._instant <= self._decided_ns + NS_PER_S:
                break
            t_ns = self._decided_ns + NS_PER_S
            out += self.decide(ns_to_s(t_ns), [])
        return out

    def flush(self) -> list[Decision]:
        """Decide on the last instant received (at the end of a run)."""
        return self._decide_pending() if self._instant is not None else []

    def _decide_pending(self) -> list[Decision]:
        # An instant older than a quiet second already decided (the picture came in a burst
        # after a gap) is decided now, not in the past: the desk's time never goes back.
        t_ns = max(self._instant, self._decided_ns or self._instant)
        out = self.decide(ns_to_s(t_ns), list(self._pending.values()))
        self._instant = None
        self._pending = {}
        return out

    # ------------------------------------------------------------------ deciding

    def decide(self, t: float, tracks: list[SystemTrack]) -> list[Decision]:
        """Every message due at picture instant ``t`` (s) given the tracks of that instant."""
        self._decided_ns = max(self._decided_ns or -(2**62), s_to_ns(t))
        by_event: dict[str, list[SystemTrack]] = {}
        for tr in tracks:
            if tr.event_id is not None:
                by_event.setdefault(tr.event_id, []).append(tr)
        for eid, trs in by_event.items():
            ev = self.events.setdefault(eid, _Event(eid, first_t=t))
            self._observe(ev, t, trs)
        self._fly(t, by_event)
        out: list[Decision] = []
        for eid in sorted(self.events, key=_event_order):
            ev = self.events[eid]
            if ev.credible_t is None or not any(o.corridor for o in ev.objects.values()):
                continue  # no launch point yet, or no object whose track is consistent
            out += self._decide_event(ev, t)
        self.log += out
        return out

    def _observe(self, ev: _Event, t: float, trs: list[SystemTrack]) -> None:
        # The notices the picture matched the event to, as its latest tracks say (every member
        # of an event carries the event's).
        ev.announced = [tuple(k.split("/", 1)) for k in trs[-1].notices if "/" in k]
        for tr in trs:
            ob = ev.objects.setdefault(tr.system_track_id, _Object(tr.system_track_id))
            ob.last_seen = t
            ob.object_type = tr.object_type
            ev.payload_known = ev.payload_known or tr.object_type == "payload"
            x = np.asarray(tr.x)
            ob.unbound = float(specific_energy(x[None])[0]) >= 0.0  # above escape: a wild state
            lat, lon, alt = ecef_to_geodetic(x[:3])
            if ob.down_t is None and float(alt) < 0.0:
                # Below the surface: the object has come down. What the track does next is not
                # that object's (satellite-launch: Korea's track on the first stage went on
                # underground, then took other detections and climbed to 130 km, its fall
                # always ahead: Gwangju and Jeonbuk, told a fall was predicted on them, never
                # had an outcome nor an all-clear).
                ob.down_t = t
            ob.trail.append((t, float(np.degrees(lat)), float(np.degrees(lon))))
            if len(ob.trail) > 2:  # keep the first and the latest sub-points only
                ob.trail[1:-1] = []
            if tr.event_class is not None:
                ev.event_class = tr.event_class
            a = tr.assessment
            if a is None:
                continue
            ob.orbital = a.orbital
            fresh = a.t_ns == tr.t_ns
            if fresh:
                ev.fresh_t = t
            descending = float(np.dot(tr.x[:3], tr.x[3:])) < 0.0
            if a.phase == "boost" and (ob.coasted or descending):
                # A ballistic object does not light again on its way down: the picture took drag
                # or a manoeuvre of its track for thrust. Keep the last ballistic estimate.
                ob.implausible_boosts += 1
                ob.implausible_t = t
                continue
            if a.phase != "boost" and fresh:
                ob.coasted = ob.coasted or descending
            if fresh and a.launch_lat_rad is not None and a.launch_ellipse is not None:
                cov = _cov_of(a.launch_ellipse)
                ev.launches.append(
                    (
                        t,
                        a.launch_lat_rad,
                        a.launch_lon_rad,
                        cov,
                        ns_to_s(a.launch_time_ns or 0),
                        ns_to_s(a.launch_time_sigma_ns or 0),
                    )
                )
                del ev.launches[:-8]
            if fresh and a.impact_lat_rad is not None and a.impact_time_ns is not None:
                if ob.down_t is not None and ob.down_t < t:
                    continue  # its fall is the one predicted before it came down
                cov = _cov_of(a.impact_ellipse) if a.impact_ellipse else np.eye(2)
                if _too_wide(cov) and ob.impact is not None and not _too_wide(ob.impact[4]):
                    # A 95 % ellipse longer than MAX_AXIS_M says nothing about where the object
                    # falls: it does not replace a prediction that did (world66 #05: stage 1's
                    # last update at 11 km, a 726 km ellipse 50 km and 13 s off, replaced one
                    # 2 km from the truth; its fall then came later than the rule for a lost
                    # track allows, and the Pacific sea area was never told).
                    continue
                ob.impact_from_burnout = not a.iip
                ob.impact = (
                    float(np.degrees(a.impact_lat_rad)),
                    float(np.degrees(a.impact_lon_rad)),
                    ns_to_s(a.impact_time_ns),
                    ns_to_s(a.impact_time_sigma_ns or 0),
                    cov,
                )
        if ev.credible_t is None and _consistent(ev.launches, ev.first_t):
            ev.credible_t = t
            _, lat, lon, cov, _, _ = _best_launch(ev.launches)
            ev.launch_territory = self.territory_of(lat, lon)
            ev.own_ground = self._on_own_ground(lat, lon, cov)

    def _on_own_ground(self, lat: float, lon: float, cov_en: np.ndarray) -> bool:
        """Whether a launch point (rad) lies on one of the desk's areas (land or territorial
        sea) with its whole 99.9 % region (``LAUNCH_GATE_CHI2``; the ellipse's polygon drawn
        round it, not inside): a launch from just beyond the partner's waters is never taken
        for its own. The ellipse itself, not the circle of its longest axis: a launch point
        found by flying a track back is long along the flight and narrow across it (world80
        #04: 23.2 x 1.3 km from Abdul Kalam Island, 18.7 km inside Odisha's sea across the
        flight; its circle reached 1.5 km beyond and India's own test was warned as a foreign
        launch)."""
        quantile = LAUNCH_GATE_CHI2 / np.cos(np.pi / ELLIPSE_VERTICES) ** 2
        region = ellipse_polygon(
            float(np.degrees(lat)), float(np.degrees(lon)), np.asarray(cov_en), quantile
        )
        region = _wrapped_one(region)
        if shapely.contains(self._footprints, region).any():
            return True
        # Across two of its areas (one state's island, the next one's sea).
        near = self._tree.query(region, predicate="intersects")
        return near.size > 1 and bool(shapely.union_all(self._footprints[near]).contains(region))

    def _fly(self, t: float, by_event: dict[str, list[SystemTrack]]) -> None:
        """Corridors of the objects that may carry a payload, freshly assessed, in one batch."""
        todo = []
        for eid, trs in by_event.items():
            ev = self.events[eid]
            if ev.credible_t is None:
                continue
            for tr in trs:
                a, ob = tr.assessment, ev.objects[tr.system_track_id]
                if a is None or a.t_ns != tr.t_ns or a.orbital:
                    continue
                if not ev.payload_like(ob) or ob.implausible_t == t or ob.unbound:
                    continue
                if ob.down_t is not None:
                    continue  # it has come down
                prev, ob.previous = ob.previous, (t, np.asarray(tr.x), np.asarray(tr.P))
                if prev is not None and _predicted_only(prev, ob.previous):
                    # Nothing measured since the last estimate: this one is that estimate flown
                    # on (the picture coasting a track it lost), and agreeing with it proves
                    # nothing. Neither a check of the corridor nor a fresh estimate of the event.
                    ob.predicted_only += 1
                    ob.unseen = True
                    ev.predicted_t = t
                    continue
                if prev is not None and not _velocity_consistent(prev, ob.previous):
                    ob.inconsistent += 1
                    ob.candidates = []  # the track jumped: start again from this state
                    continue
                ev.measured_t = t
                if ob.unseen:
                    ob.resumed_t, ob.unseen = t, False
                todo.append((ob, tr))
        if not todo:
            return
        got = corridors([(ns_to_s(tr.t_ns), np.asarray(tr.x), np.asarray(tr.P)) for _, tr in todo])
        for (ob, tr), c in zip(todo, got, strict=True):
            t_c = ns_to_s(tr.t_ns)
            if c is None:
                ob.candidates = []
                continue
            # The check is against the latest corridor at least ``CHECK_S`` older: two
            # estimates a second apart share nearly all their information.
            last = next((p for p in reversed(ob.candidates) if t_c - p.t >= CHECK_S - 1e-6), None)
            ob.candidates.append(c)
            keep = [i for i, p in enumerate(ob.candidates) if t_c - p.t >= CHECK_S - 1e-6]
            del ob.candidates[: keep[-1] if keep else 0]
            # A consistent track: the object is where its previous estimate put it now (within
            # 99.9 %, allowing a burn of up to THRUST_MPS2 since). Until then, not used.
            lat, lon = c.track_lat[0], c.track_lon[0]
            spread = 0.5 * THRUST_MPS2 * (t_c - last.t) ** 2 if last is not None else 0.0
            if last is not None and last.expects(t_c, lat, lon, spread) <= CONSISTENT_CHI2:
                ob.corridor, ob.corridor_t = c, t_c
                ob.corridor_burning = tr.assessment.phase == "boost"
            else:
                ob.inconsistent += 1

    # ------------------------------------------------------------------ per event

    def _threats(self, ev: _Event, t: float, held=None) -> dict[int, dict]:
        """Per area index: what threatens it now (object, rule, predicted entry and exit, and
        whether a fall is predicted on it), by the 95 % corridors and ellipses. ``held``: the
        announcement the event is held to and the objects that left it (``_held_to``); then
        only those threaten, and only out of it: a corridor's segments from where its nominal
        ground track is off the sector, a fall not within the announcement (``_fall_within``).
        The ascent within the sector threatens nobody (the judge's rule, ``flight_notices``)."""
        out: dict[int, dict] = {}

        def hit(i, ob, rule, t_in, t_out, fall=False, geometry=None, region=(), nominal=False):
            cur = out.get(i)
            # Whatever record stands for the area: the earliest entry of any threat to it, and
            # whether any meets it with its nominal (its predicted line, not only its edge).
            first_s = min(t_in, cur["first_s"]) if cur is not None else t_in
            nominal = nominal or (cur is not None and cur["nominal"])
            if cur is None or t_in < cur["entry_s"] or (fall and not cur["fall"]):
                out[i] = {
                    "object": ob.track_id,
                    "rule": rule,
                    "entry_s": t_in,
                    "exit_s": t_out,
                    "fall": fall or (cur is not None and cur["fall"]),
                    "geometry": {**(geometry or {}), "region": []},
                }
                if cur is not None and cur["object"] == ob.track_id and cur["rule"] == rule:
                    out[i]["geometry"]["region"] = cur["geometry"]["region"]
                cur = out[i]
            else:
                cur["exit_s"] = max(cur["exit_s"], t_out)
            cur["first_s"], cur["nominal"] = first_s, nominal
            if cur["object"] == ob.track_id and cur["rule"] == rule:
                # The stated 95 % region that met the area: every ellipse of it, once.
                have = {e["t_s"] for e in cur["geometry"]["region"]}
                cur["geometry"]["region"] += [e for e in region if e["t_s"] not in have]

        # A burning object's corridor is the flight that would follow if its thrust stopped now:
        # whether it stops is known at the latest when the longest burn has ended. A passage
        # later than that by more than the lead a call needs can wait for it (the call then
        # still comes with that lead, on the flight as it is); one sooner cannot (world72 #07:
        # a space launch's IIP ran over five Australian states and territories 15-25 minutes
        # before any piece could pass there, and each was told to shelter for a flight that
        # went into orbit). An estimate "burning" after the longest burn is a track's error:
        # its corridor is the flight as it is, used whole.
        _, _, _, _, t_launch, _ = _best_launch(ev.launches)
        burn_ends_by = t_launch + LONGEST_BURN_S
        live_payload = any(
            ev.payload_like(ob) and ob.last_seen >= t - STALE_S and ob.down_t is None
            for ob in ev.objects.values()
        )
        an, gone = held if held is not None else (None, None)
        for ob in ev.objects.values():
            stale = ob.last_seen < t - STALE_S
            if ob.orbital or (stale and (live_payload or self._fallen(ob, t))):
                # Gone: superseded by a live object of the event (a booster's track ending at
                # burnout), or fallen. A lost flight keeps its last corridor.
                continue
            if gone is not None and ob.track_id not in gone:
                continue  # within its announcement
            payload_like = ev.payload_like(ob)
            c = ob.corridor
            if payload_like and c is not None and not self._fallen(ob, t):
                future = (c.t1 >= t) & (c.seg_axis_m <= MAX_AXIS_M)
                if ob.corridor_burning and c.t <= burn_ends_by:
                    future &= c.t0 <= burn_ends_by + SHELTER_LEAD_S
                if ob.corridor_burning and ev.own_ground:
                    # The ascent from the desk's own ground threatens it only where it would
                    # come down were its thrust to stop (the corridor's last part, at the
                    # IIP), not under it as it climbs away (the judge's rule: world73 #01,
                    # Odisha told to shelter 60 s after a launch from its own island, the
                    # missile climbing out to sea with its IIP already beyond its waters).
                    future &= np.arange(future.size) == future.size - 1
                elif ev.own_ground:
                    # Burnt out, still climbing away: the same. Its descent and its fall
                    # threaten as any (world80 #04: an SRBM burnt out 14 km up over Odisha's
                    # sea, its impact point 300 km south; whether Odisha was told to shelter
                    # for the 13 s it climbed on over that sea hung on the picture's phase at
                    # burnout and the width of its first launch point).
                    # (A segment across the apogee, up to ``SAMPLE_MAX_S`` long, is the
                    # climb's: the ground under the top of the flight is not where it falls.)
                    future &= c.t0 >= c.apogee_s
                if an is not None:
                    # Out of the announcement from where the flight leaves its sector.
                    off = _off_sector(an, c.track_lat, c.track_lon)
                    future &= off[:-1] | off[1:]
                future = np.flatnonzero(future)
                if future.size:
                    segs = _wrapped(c.segments[future])
                    si, ai = self._tree.query(segs, predicate="intersects")
                    # The nominal ground track over each segment: does it meet the area itself?
                    nominal = np.stack([c.track_lon, c.track_lat], -1)
                    lines = _wrapped(
                        shapely.linestrings(np.stack([nominal[future], nominal[future + 1]], 1))
                    )
                    on_line = shapely.intersects(lines[si], self._footprints[ai])
                    for s_, a_, on in zip(si.tolist(), ai.tolist(), on_line.tolist(), strict=True):
                        k = future[s_]
                        hit(
                            a_,
                            ob,
                            "corridor",
                            float(c.t0[k]),
                            float(c.t1[k]),
                            geometry={
                                "corridor_t_s": c.t,
                                "segment_s": [float(c.t0[k]), float(c.t1[k])],
                                "impact": _impact_dict(c),
                            },
                            region=[_stated(c, k), _stated(c, k + 1)],
                            nominal=on,
                        )
                if (
                    ob.impact_from_burnout
                    and c.impact_time >= t
                    and c.axes_m[0] <= MAX_AXIS_M
                    and not (
                        an is not None and _fall_within(an, c.impact_lat, c.impact_lon, c.impact)
                    )
                ):
                    centre = (_wrap(c.impact_lon), c.impact_lat)
                    for a_ in self._tree.query(_wrapped_one(c.impact), predicate="intersects"):
                        hit(
                            int(a_),
                            ob,
                            "impact_ellipse",
                            c.impact_time,
                            c.impact_time,
                            fall=True,
                            geometry={"impact": _impact_dict(c)},
                            region=[_stated(c, c.times.size - 1, fall=True)],
                            nominal=bool(shapely.contains_xy(self._footprints[a_], *centre)),
                        )
            if (
                not payload_like
                and ob.impact is not None
                and ob.impact_from_burnout
                and not self._fallen(ob, t)
            ):
                lat, lon, ti, _, cov = ob.impact
                poly = ellipse_polygon(lat, lon, cov) if ti >= t and not _too_wide(cov) else None
                if poly is not None and not (an is not None and _fall_within(an, lat, lon, poly)):
                    for a_ in self._tree.query(_wrapped_one(poly), predicate="intersects"):
                        hit(
                            int(a_),
                            ob,
                            "stage_impact_ellipse",
                            ti,
                            ti,
                            fall=True,
                            geometry={"impact": {"lat_deg": lat, "lon_deg": lon, "time_s": ti}},
                            region=[_region(ti, lat, lon, cov, fall=True)],
                            nominal=bool(
                                shapely.contains_xy(self._footprints[a_], _wrap(lon), lat)
                            ),
                        )
        return out

    def _fallen(self, ob: _Object, t: float) -> bool:
        """Whether an object has come down by ``t`` (its estimate went below the surface, its
        predicted fall is behind, or its track ended close to it)."""
        if ob.down_t is not None and ob.down_t <= t:
            return True
        # A piece that cannot burn (a stage or debris: a broken-up vehicle's, whose track may
        # still "boost", ``LaunchEvents._broken_up``) falls where its instantaneous impact
        # point says: irbm-breakup's debris track lost while "boosting" held Hokkaido's
        # shelter past the end of the run, its fall predicted on it earlier.
        spent = ob.object_type in ("spent_stage", "debris")
        if ob.impact is None or not (ob.impact_from_burnout or spent):
            return False
        ti, sig = ob.impact[2], ob.impact[3]
        if t >= ti + FALLEN_SIGMAS * sig + 2.0:
            return True
        return t - ob.last_seen > 5.0 and ti - ob.last_seen <= GONE_NEAR_IMPACT_S

    def _held_to(self, ev: _Event, t: float) -> tuple[Announcement, dict[str, dict]] | None:
        """The announcement the event is held to, with the objects that have left it (track id:
        how, ``_left``; none: the whole flight is within it), or None: warned as any launch.
        The picture matched the event to a notification this desk holds, from the partner
        whose country it was launched from; of several, the one the fewest objects have left.
        An object that left a notice once stays out of it (``ev.notices_left`` logs the first
        to leave each)."""
        countries = dict(self.config.partner_countries)
        best = None
        for key in ev.announced:
            an = self.notices.get(key)
            if an is None:
                continue
            if countries.get(an.partner) != ev.launch_territory:
                continue  # nobody silences a launch from another state's territory
            gone = ev.objects_left.setdefault(key, {})
            for track_id, how in self._left(ev, an, t).items():
                gone.setdefault(track_id, how)
                ev.notices_left.setdefault(key, how)
            if best is None or len(gone) < len(best[1]):
                best = (an, gone)
        return best

    def _left(self, ev: _Event, an: Announcement, t: float) -> dict[str, dict]:
        """The objects of the event now out of the announcement, each with how: an IIP or a
        predicted fall off its sector beyond its uncertainty, or, where hazard areas were
        announced, the predicted fall of a stage or debris (of the payload once known)
        meeting none of them. Only estimates that say where the object comes down (95 %
        ellipse at most ``MAX_AXIS_M``, as for the corridors) are held against it."""
        out = {}
        for ob in ev.objects.values():
            if ob.impact is None or ob.orbital or ob.last_seen < t - STALE_S or self._fallen(ob, t):
                continue
            lat, lon, ti, _, cov = ob.impact
            if _too_wide(cov):
                continue
            why = None
            if an.off_sector(np.radians(lat), np.radians(lon), cov):
                why = "impact_off_sector" if ob.impact_from_burnout else "iip_off_sector"
            elif (
                ob.impact_from_burnout
                and an.hazards is not None
                and (not ev.payload_like(ob) or ev.payload_known)
                and not an.fall_in_hazard(_wrapped_one(ellipse_polygon(lat, lon, cov)))
            ):
                why = "fall_outside_hazard_areas"
            if why is not None:
                out[ob.track_id] = {
                    "t_s": t, "object": ob.track_id, "rule": why,
                    "impact_deg": [lat, lon], "impact_time_s": ti,
                }  # fmt: skip
        return out

    def _decide_event(self, ev: _Event, t: float) -> list[Decision]:
        # What of an announced launch stays within its announcement threatens no area (a
        # partner's own scheduled launch is no alarm; an area warned before the match is
        # withdrawn as the threat went away): only the objects that left it, where they do
        # (``_threats``). The falls at sea are still told.
        held = self._held_to(ev, t)
        announced = held is not None and not held[1]
        threats = {} if announced else self._threats(ev, t, held)
        due: dict[tuple, list[tuple[int, dict]]] = {}
        for i, area in enumerate(self.areas):
            st = ev.areas.get(area.key)
            # Warned and withdrawn on the same 95 % corridor: what keeps an area at its edge
            # from flipping is the two estimates in a row (CONFIRM_ESTIMATES), not a wider one.
            th = threats.get(i)
            kind, rule, geom = self._next_kind(ev, area, i, st, th, t, held)
            if kind is None:
                continue
            st = ev.areas.setdefault(area.key, _AreaState())
            history = tuple(s.identifier for s in st.history)
            due.setdefault((kind, history), []).append((i, {"rule": rule, **geom}))
        out = []
        for (kind, _), items in sorted(due.items(), key=lambda kv: _KIND_ORDER[kv[0][0]]):
            for chunk in _chunks(items, 31):
                out.append(self._issue(ev, t, kind, [i for i, _ in chunk], dict(chunk)))
        out += self._maritime(ev, t)
        return out

    def _next_kind(self, ev, area, i, st: _AreaState | None, th: dict | None, t: float, held=None):
        """The kind due for one area now, with its rule and geometry (None: nothing due);
        ``held``: the announcement the event is held to (``_held_to``)."""
        # A new estimate of the event came at this instant (one flown on from the last, with no
        # measurement since, is not one).
        fresh = ev.fresh_t == t and not (ev.predicted_t == t and ev.measured_t != t)
        if st is not None and st.passed_info and th is not None and not th["fall"]:
            if th["entry_s"] <= t:
                # Told that the flight passed over it (information, no shelter call): a
                # corridor whose passage over it has begun is that passage, the flight still
                # over it or at the edge of its region, not a new threat (a call now would
                # contradict the message just sent). A fall predicted on it, or a passage still
                # ahead, is one: confirmed as any threat after a message (the rule below).
                th = None
        if st is not None and fresh:
            st.hits = st.hits + 1 if th is not None else 0
            st.misses = st.misses + 1 if th is None else 0
            if th is None and self._after_coast(ev, st.threat_from, t):
                st.misses = 0  # nor towards a withdrawal
        if st is None and fresh:
            if th is not None:
                ev.pending[area.key] = ev.pending.get(area.key, 0) + 1
            else:
                ev.pending.pop(area.key, None)
        if fresh:
            if th is not None and th["nominal"] and not self._after_coast(ev, th["object"], t):
                ev.on_nominal[area.key] = ev.on_nominal.get(area.key, 0) + 1
            else:
                ev.on_nominal.pop(area.key, None)
        if th is not None:
            if st is not None:
                st.passage = (th["entry_s"], th["exit_s"])
                st.threat_from = th["object"]
                if th["fall"] and th["object"] not in st.fallers:
                    st.fallers.append(th["object"])
            geom = {
                "object": th["object"],
                "entry_s": th["entry_s"],
                "exit_s": th["exit_s"],
                **th["geometry"],
            }
            if st is None or not st.sheltering:
                if st is not None and st.history and st.hits < CONFIRM_ESTIMATES:
                    return None, None, None  # warned before: a new threat must be confirmed
                pending = ev.pending.get(area.key, 0)
                near = fresh and pending >= 1 and th["entry_s"] - t <= NEAR_S
                if st is None and pending < CONFIRM_ESTIMATES and not near:
                    # One estimate at a corridor's edge is no call, unless it has just come and
                    # the passage is too near to wait for the next (an old estimate whose
                    # passage drew near as no other came is no more likely than it was).
                    return None, None, None
                far = th["first_s"] - t > SHELTER_LEAD_S
                if far and ev.on_nominal.get(area.key, 0) < CONFIRM_ESTIMATES:
                    # The passage is further ahead than the lead a call aims for, and the
                    # estimates have not put the flight itself over it twice in a row (only
                    # the edge of their 95 % region meets it): the call can wait for the
                    # estimates to come, and is made on the region as it is then (me74 #03:
                    # two Israeli districts at the edge of an MRBM's first prediction and under
                    # the next one, 22 km off its flight, were told to shelter 550 s before
                    # its fall).
                    return None, None, None
                if th["fall"]:
                    return "IMPACT_PREDICTED", th["rule"], geom
                return "LAUNCH", th["rule"], geom
            if th["fall"] and not st.impact_said:
                return "IMPACT_PREDICTED", th["rule"], geom
            return None, None, None
        if st is None:
            passed = self._flown_over(ev, area, held)
            if passed is not None:
                return "PASSED_OVER", "trail_over_area_before_credible", passed
            return None, None, None
        if st.sheltering:
            # The objects whose fall was predicted on it (else the last that threatened it):
            # once all are down, it fell on its land if any came down there.
            fallers = [
                o
                for k in (st.fallers or ([st.threat_from] if st.threat_from else []))
                if (o := ev.objects.get(k)) is not None and o.impact is not None
            ]
            down = [o for o in fallers if self._fallen(o, t)]
            # All down; or some, and two fresh estimates in a row put the others' falls off it
            # (gen-11-01: a lofted ICBM's first stage fell by Gangwon at +850 s, and Gangwon
            # stayed in shelter 28 min more for the warhead, whose early wide ellipse had
            # touched it, to come down in Japan).
            if down and (len(down) == len(fallers) or st.misses >= CONFIRM_ESTIMATES):
                on = [
                    o
                    for o in down
                    if shapely.contains_xy(area.land, _wrap(o.impact[1]), o.impact[0])
                ]
                ob = (on or down)[0]
                lat, lon = ob.impact[0], ob.impact[1]
                kind = "FELL_ON_LAND" if on else "FELL_AT_SEA"
                return kind, "fallen", {"object": ob.track_id, "impact_deg": [lat, lon]}
            if st.passage is not None and st.passage[0] <= t:
                if st.impact_said and fallers:
                    # A fall was predicted on it and its time has come: the outcome is the
                    # fall (on its land or at sea), not a passage, once the object is down.
                    return None, None, None
                # Its predicted passage had begun, and nothing is ahead of it any more.
                return "PASSED_OVER", "passage_behind", {"passage_s": list(st.passage)}
            if st.misses >= CONFIRM_ESTIMATES:
                return "NO_THREAT", "corridor_misses_area", {"misses": st.misses}
            return None, None, None
        if st.outcome_t is not None and t >= st.outcome_t + ALL_CLEAR_HOLD_S:
            return "ALL_CLEAR", "nothing_threatens_after_outcome", {"outcome_s": st.outcome_t}
        return None, None, None

    def _after_coast(self, ev: _Event, track_id: str | None, t: float) -> bool:
        """Whether the object ``track_id`` (the one threatening an area, or that last did) was
        first measured again at ``t`` after the picture had coasted it unseen: that estimate is
        the coast's prediction fixed by a first detection or two, its error the coast's, and
        the next one, 5 s on, still carries most of it. It counts neither towards the estimates
        in a row that put a far passage's flight over an area (``on_nominal``) nor towards a
        withdrawal (``misses``); those counts start after it (me81 #03: a satellite's refit
        coasted 59 s at NEES 19 of 6, a radar took it up, and Aqaba was told to shelter on the
        estimates 1 and 6 s later, the truth 11.9 km off; me81 #00: the Northern District, on
        those 4 and 9 s after a radar took up a 15 s coast, its fall 80 km off)."""
        ob = ev.objects.get(track_id) if track_id is not None else None
        return ob is not None and ob.resumed_t == t

    def _flown_over(self, ev: _Event, area, held=None) -> dict | None:
        """Whether an object that may be the payload flew over the area before the event was
        credible (from the launch point to its first sub-point seen), out of the announcement
        the event is held to (``held``, ``_held_to``: an object within it, or whose first
        sub-point was in its sector, flew over nobody)."""
        if not ev.launches or (held is not None and not held[1]):
            return None
        _, lat, lon, _, t_launch, _ = _best_launch(ev.launches)
        for ob in ev.objects.values():
            if not ev.payload_like(ob) or not ob.trail:
                continue
            t0, la0, lo0 = ob.trail[0]
            if t0 > (ev.credible_t or 0) + 1e-6:
                continue
            if held is not None and (
                ob.track_id not in held[1] or not _off_sector(held[0], [la0], [lo0])[0]
            ):
                continue
            lo_l = float(np.degrees(lon))
            lo0 = lo_l + (lo0 - lo_l + 180.0) % 360.0 - 180.0
            line = shapely.LineString([(lo_l, float(np.degrees(lat))), (lo0, la0)])
            if _wrapped_one(line).intersects(area.footprint):
                return {"object": ob.track_id, "from_launch_to_s": t0, "launch_time_s": t_launch}
        return None

    # ------------------------------------------------------------------ messages

    def _issue(self, ev: _Event, t: float, kind: str, idx: list[int], log: dict) -> Decision:
        areas = tuple(self.areas[i] for i in idx)
        states = [ev.areas[a.key] for a in areas]
        refs = _references(self.config.authority.sender, states)
        impact = passage = None
        inside_eez = None
        any_geom = next(iter(log.values()))
        if kind in ("IMPACT_PREDICTED", "FELL_AT_SEA", "FELL_ON_LAND"):
            ob = ev.objects[any_geom["object"]]
            impact = self._impact_of(ob)
            inside_eez = bool(shapely.contains_xy(self.eez, _wrap(impact.lon_deg), impact.lat_deg))
        if kind == "PASSED_OVER":
            passage = self._passage_of(ev, any_geom, t)
        # A call to shelter stays in force until EXPIRES_S after the passage or fall it is
        # about, not only after it is sent: a stage's fall 25 minutes after its call, a lofted
        # ICBM's 40, must not drop out of the feeds before it comes down (the run may end
        # before its all-clear).
        ends = [float(g["exit_s"]) for g in log.values() if np.isfinite(g.get("exit_s", np.nan))]
        hazard_end = max(ends) if kind in ("LAUNCH", "IMPACT_PREDICTED") and ends else t
        notice = self._notice(
            ev, t, kind, areas, refs, impact=impact, passage=passage, inside_eez=inside_eez,
            until=max(t, hazard_end),
        )  # fmt: skip
        sent = _Sent(notice.identifier, notice.sent, kind)
        for st in states:
            st.history.append(sent)
            if kind in SHELTER_KINDS:
                st.sheltering = True
                st.outcome_t = None
                st.passed_info = False  # its outcome ends this call, as any
            if kind == "IMPACT_PREDICTED":
                st.impact_said = True
            if kind in ("PASSED_OVER", "FELL_AT_SEA", "FELL_ON_LAND", "NO_THREAT"):
                if st.sheltering:
                    st.outcome_t = t
                else:
                    st.passed_info = True
                st.sheltering = False
                st.impact_said = False
            if kind == "ALL_CLEAR":
                st.outcome_t = None
        geometry = {a.key: log[i] for a, i in zip(areas, idx, strict=True)}
        return Decision(t, notice, next(iter(log.values()))["rule"], geometry)

    def _maritime(self, ev: _Event, t: float) -> list[Decision]:
        """Maritime messages: an object of the event has come down inside the EEZ, its 95 %
        ellipse on none of the areas; one chain per named sea, an update per further fall."""
        out = []
        for ob in sorted(ev.objects.values(), key=lambda o: _track_order(o.track_id)):
            if ob.impact is None or not ob.impact_from_burnout or ob.orbital:
                continue
            if ob.track_id in ev.fallen_said or not self._fallen(ob, t):
                continue
            ev.fallen_said.add(ob.track_id)
            lat, lon, _, _, cov = ob.impact
            if not shapely.contains_xy(self.eez, _wrap(lon), lat):
                continue
            if len(
                self._tree.query(
                    _wrapped_one(ellipse_polygon(lat, lon, cov)), predicate="intersects"
                )
            ):
                continue  # on or by an area: its own lifecycle says it
            sea = self.sea_of(lat, float(_wrap(lon)))
            out.append(self._issue_sea(ev, t, "MARITIME", sea.key, ob, sea, "fell_in_eez"))
        return out

    def _issue_sea(self, ev: _Event, t, kind: str, key: str, ob: _Object, sea, rule) -> Decision:
        st = ev.seas.setdefault(key, _AreaState())
        refs = _references(self.config.authority.sender, [st])
        impact = self._impact_of(ob)
        notice = self._notice(ev, t, kind, (), refs, impact=impact, inside_eez=True, sea_area=sea)
        st.history.append(_Sent(notice.identifier, notice.sent, kind))
        return Decision(
            t, notice, rule, {f"sea:{key}": {"object": ob.track_id, "impact": _impact_tuple(ob)}}
        )

    def _impact_of(self, ob: _Object) -> Impact:
        c = ob.corridor
        if c is not None and (ob.impact is None or c.t >= ob.last_seen - 5.0):
            lat, lon, ti = c.impact_lat, c.impact_lon, c.impact_time
            ell = Ellipse(c.axes_m[0], c.axes_m[1], c.orientation_deg)
        else:
            lat, lon, ti, _, cov = ob.impact
            w, v = np.linalg.eigh(cov)
            axes = np.sqrt(CHI2_2D_95 * np.maximum(w, 0.0))
            orient = float(np.degrees(np.arctan2(v[0, 1], v[1, 1])) % 180.0)
            ell = Ellipse(float(axes[1]), float(axes[0]), orient)
        return Impact(float(lat), float(_wrap(lon)), self._time(ti), ell)

    def _passage_of(self, ev: _Event, geom: dict, t: float) -> Passage:
        """When the flight passed the area and where it is heading (the sea of its fall)."""
        when = geom.get("passage_s", [t, t])[0] if "passage_s" in geom else t
        heading, towards = 0.0, None
        best = None
        for ob in ev.objects.values():
            if ev.payload_like(ob) and ob.corridor is not None:
                best = ob if best is None or ob.corridor_t > best.corridor_t else best
        if best is not None:
            c = best.corridor
            heading = c.heading_deg(max(when, c.t))
            towards = self.sea_of(c.impact_lat, float(_wrap(c.impact_lon)))
        elif len((ob := next(iter(ev.objects.values()))).trail) >= 2:
            (_, la0, lo0), (_, la1, lo1) = ob.trail[0], ob.trail[-1]
            _, az = geodesic_inverse(*np.radians([la0, lo0, la1, lo1]))
            heading = float(np.degrees(az)) % 360.0
        return Passage(self._time(min(when, t)), float(heading), towards)

    def _notice(
        self, ev: _Event, t: float, kind: str, areas, refs, until: float | None = None, **kw
    ) -> Notice:
        """The notice of ``kind`` at ``t``, expiring ``EXPIRES_S`` after ``until`` (s from the
        epoch; the end of the hazard it is about, ``t`` by default)."""
        cfg = self.config
        _, lat, lon, _, t_launch, _ = _best_launch(ev.launches)
        ev.count += 1
        stamp = cfg.epoch.strftime("%Y%m%dT%H%M%SZ")
        identifier = f"{cfg.identifier_prefix}.{stamp}.{cfg.partner}.{ev.event_id}.{ev.count:03d}"
        sent = self._time(t)
        return Notice(
            kind=kind,
            partner=cfg.partner,
            country=cfg.country,
            authority=cfg.authority,
            languages=cfg.languages,
            status=cfg.status,
            identifier=identifier,
            sent=sent,
            expires=self._time(max(t, until if until is not None else t) + EXPIRES_S),
            event_id=ev.event_id,
            areas=tuple(areas),
            launch_time=self._time(t_launch),
            launch_territory=ev.launch_territory,
            launch_lat_deg=float(np.degrees(lat)),
            launch_lon_deg=float(np.degrees(lon)),
            references=refs,
            space_launch=ev.event_class == "SLV",
            **kw,
        )

    def _time(self, t: float) -> dt.datetime:
        return self.config.epoch + dt.timedelta(seconds=round(float(t), 6))


# ---------------------------------------------------------------------- helpers

_KIND_ORDER = {
    k: i
    for i, k in enumerate(
        (
            "NO_THREAT",
            "PASSED_OVER",
            "FELL_AT_SEA",
            "FELL_ON_LAND",
            "ALL_CLEAR",
            "IMPACT_PREDICTED",
            "LAUNCH",
            "MARITIME",
            "CORRECTION",
        )
    )
}


def _event_order(eid: str) -> tuple:
    return (len(eid), eid)


def _track_order(tid: str) -> tuple:
    return (len(tid), tid)


def _chunks(items: list, n: int) -> list[list]:
    return [items[i : i + n] for i in range(0, len(items), n)]


def _references(sender: str, states: list[_AreaState]) -> tuple[Reference, ...]:
    seen: dict[str, _Sent] = {}
    for st in states:
        for s in st.history:
            seen.setdefault(s.identifier, s)
    ordered = sorted(seen.values(), key=lambda s: (s.sent, s.identifier))
    return tuple(Reference(sender, s.identifier, s.sent) for s in ordered)


def _cov_of(e) -> np.ndarray:
    """(east, north) covariance of a wire ``Ellipse`` (95 %)."""
    a, b = e.semi_major_m**2 / CHI2_2D_95, e.semi_minor_m**2 / CHI2_2D_95
    u = np.array([np.sin(e.orientation_rad), np.cos(e.orientation_rad)])
    v = np.array([u[1], -u[0]])
    return a * np.outer(u, u) + b * np.outer(v, v) + 1.0 * np.eye(2)


def _too_wide(cov_en: np.ndarray) -> bool:
    """Whether a 95 % ellipse (east, north covariance) is longer than ``MAX_AXIS_M``."""
    return float(np.sqrt(CHI2_2D_95 * np.linalg.eigvalsh(cov_en)[1])) > MAX_AXIS_M


def _best_launch(launches):
    return min(launches, key=lambda r: float(np.trace(r[3])))


def _velocity_consistent(prev: tuple, cur: tuple) -> bool:
    """Whether a track's velocity changed between two assessments by no more than gravity, the
    rotating frame and a burn of ``THRUST_MPS2`` allow, beyond 3.29 sigma of both estimates."""
    (t0, x0, P0), (t1, x1, P1) = prev, cur
    dt = max(t1 - t0, 1e-3)
    dv = float(np.linalg.norm(x1[3:] - x0[3:]))
    sigma = float(np.sqrt(np.trace(P0[3:, 3:]) + np.trace(P1[3:, 3:])))
    return dv <= (THRUST_MPS2 + FRAME_MPS2) * dt + 3.29 * sigma


def _predicted_only(prev: tuple, cur: tuple) -> bool:
    """Whether a track's estimate ``cur`` (t, x, P) was only predicted from ``prev``: its
    position no more certain (trace of the position covariance) than ``prev``'s flown on
    kinematically to its time (F P F', no process noise). A measurement since makes it more
    certain; a tracker that only predicted adds its process noise and makes it less (the
    picture's own test of an update, ``lookout.picture.fusion``: a Kalman covariance grows
    only when predicted)."""
    (t0, _, P0), (t1, _, P1) = prev, cur
    dt = t1 - t0
    flown = np.trace(P0[:3, :3]) + 2.0 * dt * np.trace(P0[:3, 3:]) + dt**2 * np.trace(P0[3:, 3:])
    return float(np.trace(P1[:3, :3])) >= float(flown)


def _consistent(launches, t_first: float) -> bool:
    """Two launch estimates at least ``CONFIRM_S`` apart that agree (99.9 % gate), with a launch
    time no later than the first sighting (within 3.29 sigma) and within ``MAX_LAUNCH_AGE_S``
    before it."""
    if len(launches) < 2:
        return False
    from lookout.assess.impact import mahalanobis2

    t1, lat1, lon1, c1, tl1, sl1 = launches[-1]
    if not t_first - MAX_LAUNCH_AGE_S <= tl1 <= t_first + 3.29 * sl1:
        return False
    for t0, lat0, lon0, c0, _, _ in launches[:-1]:
        if t1 - t0 >= CONFIRM_S and float(mahalanobis2(lat0, lon0, c0 + c1, lat1, lon1)) <= (
            LAUNCH_GATE_CHI2
        ):
            return True
    return False


def _off_sector(an: Announcement, lat_deg, lon_deg) -> np.ndarray:
    """Per nominal ground point (deg), whether it lies off the announcement's azimuth sector
    with no uncertainty (``Announcement.off_sector_nominal``: the flight itself, as the judge
    holds the truth to it)."""
    return an.off_sector_nominal(np.radians(lat_deg), np.radians(lon_deg))


def _fall_within(an: Announcement, lat_deg: float, lon_deg: float, ellipse) -> bool:
    """Whether a predicted fall stays within the announcement: its 95 % ellipse meets a hazard
    area where some were announced, else its centre is in the sector."""
    if an.hazards is not None:
        return an.fall_in_hazard(_wrapped_one(ellipse))
    return not _off_sector(an, [lat_deg], [lon_deg])[0]


def _wrap(lon_deg):
    return (np.asarray(lon_deg, dtype=float) + 180.0) % 360.0 - 180.0


def _wrapped_one(geom):
    from lookout.warn.areas import wrap_geometry

    return wrap_geometry(geom)


def _wrapped(geoms: np.ndarray) -> np.ndarray:
    b = shapely.bounds(geoms)
    out = geoms.copy()
    bad = np.flatnonzero((b[:, 0] < -180.0) | (b[:, 2] > 180.0))
    for k in bad.tolist():
        out[k] = _wrapped_one(geoms[k])
    return out


def _impact_dict(c: Corridor) -> dict:
    return {
        "lat_deg": c.impact_lat,
        "lon_deg": float(_wrap(c.impact_lon)),
        "time_s": c.impact_time,
        "semi_axes_m": list(c.axes_m),
        "orientation_deg": c.orientation_deg,
    }


def _region(
    t: float, lat: float, lon: float, cov_en: np.ndarray, fall: bool = False, since=None
) -> dict:
    """One ellipse of a stated 95 % region, as plain data: where the object was said to be at
    ``t_s`` (``fall``: where it comes down), centre (deg) and (east, north) covariance (m^2),
    said from its estimate at ``from_t_s`` (a corridor's: the flight from that state on,
    thrust stopped)."""
    return {
        "from_t_s": None if since is None else float(since),
        "t_s": float(t),
        "lat_deg": float(lat),
        "lon_deg": float(_wrap(lon)),
        "cov_en_m2": np.asarray(cov_en, dtype=float).tolist(),
        "fall": fall,
    }


def _stated(c: Corridor, k: int, fall: bool = False) -> dict:
    """The ``k``-th sample of a corridor as a stated region's ellipse (``_region``)."""
    return _region(c.times[k], c.track_lat[k], c.track_lon[k], c.cov_en[k], fall, c.t)


def _impact_tuple(ob: _Object) -> dict | None:
    if ob.impact is None:
        return None
    lat, lon, ti, sig, _ = ob.impact
    return {"lat_deg": lat, "lon_deg": float(_wrap(lon)), "time_s": ti, "time_sigma_s": sig}


__all__ = ["ALL_CLEAR_HOLD_S", "CONFIRM_S", "Decision", "DeskConfig", "WarnDesk"]
