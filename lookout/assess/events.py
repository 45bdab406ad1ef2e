"""Launch events: the tracks of one launch grouped, each object typed, the event classed by its
payload.

People are warned about a launch, not about each piece of it. At every assessment instant
:class:`LaunchEvents` takes the tracks' assessments and

- **groups** each new track into a launch event, one vehicle's launch: with the member it was
  *seen separating from* (born next to it: positions within their uncertainty and a 2 km
  separation spread, velocities within 500 m/s), else with the event whose *launch point and
  time* it shares (a 99.9 % gate on the launch ellipses; launch times within their combined
  sigma, ``_two_launches``: a salvo's missiles from one site share its launch point, not its
  launch time). Two tracks boosting at the same instant, apart, are two vehicles: a boosting
  newcomer never joins an event that has a booster of its own elsewhere, nor one whose payload
  is named and coasts (nothing of a launch burns after its payload has left it), nor one with
  a member not burning above it (a stage parts where the stack is, and the burning piece
  climbs above the spent one). A newcomer with
  neither a launch point nor a member it was seen separating from waits ungrouped (no event)
  until it has one, at most ``COAST_LAUNCH_WINDOW_S`` after it was first seen (the assessor
  flies no later coast state back: none will come); otherwise it would start an event for
  an assessment or two and join its launch's (one launch, two events on the wire). Then, or
  with a launch point no event shares, it starts an event of its own.
- **splits** an event that holds another launch (``_split``): a member whose own launch point
  or time its event's no longer is (either known better since it joined), one of two
  reentry vehicles by their drag, apart (``_two_vehicles``), or one of two members coasting
  above the air at one energy that no separation's push parts and that, flown back, never
  were at one point at one instant (``_two_coasting``: a salvo's next missile, not a
  break-up's piece), or of two such members, seen separating or not, that flown back above
  the air came closest kilometres apart (``_apart_above_air``: a missile that overtook
  another fired seconds before it), leaves with
  the pieces seen separating from it for the event whose launch it shares or one of its own,
  and never rejoins the event it left.
- **types** each member from what is observable: thrusting now (``booster``); after a
  separation, the piece that does not burn again while its sibling does is a ``spent_stage``;
  among the members that have stopped burning, those with clearly less specific energy than
  the event's most energetic one were dropped earlier (``spent_stage``: energy is what a stage
  no longer receives); of the most energetic ones, the one left *behind along the track* at the
  last separation is the last stage (a stage is pushed back as it separates), the one ahead the
  ``payload``; an object in orbit after the last burn, ahead of the rest, is the ``payload`` of
  a space launch. Until the evidence decides, an object is ``unknown``; a further object of an
  event whose payload and last stage are known is ``debris``. A piece first seen after the
  payload was named must be shown behind it too (``_contest``): shown ahead, it is the
  payload; not told apart yet, the event has no payload until they are.
- **classes** each event by its payload: the payload's class, else the class of the most
  energetic member not known to be a stage, with ``"SLV"`` for a space launch. A spent stage
  falling off the launching coast never makes the event an SRBM.
- **matches** each event to a partner's pre-launch notification (``announce``;
  ``lookout.assess.notices``): its launch point in the announced area, its launch time in the
  window, and the sub-point of every live member in the azimuth sector, each within its
  uncertainty. A notice the event has failed once is never matched to it again (a launch that
  left its announced sector is not the announced one, or has failed). Every notice it fits is
  kept (``LaunchEvent.notices``): until its heading is known, a launch from one pad fits each
  notice of that pad for the window.

The separation-order test needs the along-track distance between the two pieces to exceed
three sigma of the two tracks' along-track uncertainties (``ORDER_SIGMAS``); a 3 m/s push
gives 0.9 km after five minutes, which radar tracks resolve. Energies are the inertial
specific energy (J/kg) of the states, compared against ``ENERGY_GAP`` of the larger.

Where no rule has typed a piece, ``stage_probability`` gives its odds of being a stage: of
siblings (``_sibling``: pieces of one flight by their energies and velocities, ``_siblings``),
the one ahead of all is the payload (Phi of each lead over its sigma),
times what its deceleration says (``lookout.assess.piece_drag``; in the air all the way, an
SRBM's pieces tell it within seconds). A piece whose drag makes it a reentry vehicle at 19 to
1 is never typed a stage or debris, whatever its place. Radar cross-section is not on the
wire (a detection reports SNR, not the target's size) and is not used.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
from scipy.special import expit, ndtr

from lookout.assess.assessment import BOOST_THRESHOLD, COAST_LAUNCH_WINDOW_S, Assessment
from lookout.assess.energy import specific_energy
from lookout.assess.impact import mahalanobis2, sigma_points
from lookout.assess.piece_drag import log_likelihood_ratio
from lookout.geodesy import GM_EARTH, OMEGA_EARTH, R_MEAN, ecef_to_geodetic, enu_basis
from lookout.physics.frame import rotating_frame_acceleration
from lookout.physics.integrate import rk4_step

if TYPE_CHECKING:
    from collections.abc import Iterator

    from lookout.assess.notices import Announcement

#: Object types, as on the wire (``SystemTrack.object_type``).
OBJECT_TYPES = ("booster", "payload", "spent_stage", "debris", "unknown")
#: Gate (chi-square, 3 dof, 99.9 %) on the position difference of a newborn and a member.
SEPARATION_GATE_CHI2 = 16.27
#: Spread (m, 1 sigma per axis) allowed between two pieces just apart, beyond their covariances.
SEPARATION_SPREAD_M = 2e3
#: Largest velocity difference (m/s) of two pieces seen separating.
SEPARATION_MAX_DV_MPS = 500.0
#: Gate (chi-square, 2 dof, 99.9 %) on two launch points under their summed covariances.
LAUNCH_GATE_CHI2 = 13.82
#: Two launch times further apart than their combined sigma (the root of their summed
#: variances), and than this floor (s), are two launches (``_two_launches``).
LAUNCH_TIME_FLOOR_S = 5.0
#: Gate (sigmas) of a launch time on a notice's window (``lookout.assess.notices``).
LAUNCH_TIME_SIGMAS = 3.29
#: A member is "still there" (a candidate parent) if assessed within this (s).
ACTIVE_S = 30.0
#: After a separation, how long (s) both pieces must go without thrust before the separation is
#: taken as the last one (time for a next stage to light and the tracker to see it).
SETTLE_S = 20.0
#: A member boosting at every assessment over at least this long (s) is burning: the former
#: assessment period, so that a burn is what it was at two assessments in a row 5 s apart, in
#: time, however often the track is assessed (``lookout.assess.schedule``: a boosting track is
#: looked at every second it is seen).
BURN_S = 5.0
#: A member's energy this fraction below the event's most energetic is a stage dropped earlier.
ENERGY_GAP = 0.15
#: Sigmas of along-track distance that decide which piece is ahead.
ORDER_SIGMAS = 3.0
#: Energies are compared above this altitude (m), where drag has not taken any away.
EXO_ALTITUDE_M = 100e3
#: Two non-burning objects of about the same energy this far apart (m) are two vehicles.
DISTINCT_VEHICLE_M = 50e3
#: Spread (m/s, 1 sigma per axis) of the velocity two pieces of one flight of about the same
#: energy keep after they part: the push of separation springs or small retro motors (1-10 m/s;
#: the simulator's 3 m/s) and the few m/s gravity's gradient adds over minutes across a few km.
#: Missiles of a salvo fired seconds apart differ by gravity times the gap: 10 m/s a second
#: (me5-01's two SRBMs 17.5 s apart, me5-02's 14 s: 140-170 m/s).
SIBLING_SPREAD_MPS = 10.0
#: Gate (chi-square, 3 dof, 99.9 %) on two pieces' velocity difference under their summed
#: velocity covariances and ``SIBLING_SPREAD_MPS``.
SIBLING_GATE_CHI2 = 16.27
#: Bound (sigmas, 99.9 % two-sided of one normal variable) of two pieces' energy difference and
#: of their velocities' difference out of a plane of flight (``_siblings``).
SIBLING_ENERGY_SIGMAS = 3.29
#: Bound (sigmas) of the size of their velocities' difference in the plane: the 99.9 % radius of
#: a 2-D normal, the square root of chi-square (2 dof) 13.82.
SIBLING_INPLANE_SIGMAS = 3.72
#: Gate (chi-square, 6 dof, 99.9 %) on a member's state against a lost payload's last state
#: flown on to its time, under the two covariances (``LaunchEvents._continuation``).
CONTINUATION_GATE_CHI2 = 22.46
#: Spread (m, 1 sigma per axis), beyond their tracks' covariances, of where two pieces of one
#: vehicle parted above the air, flown back there in vacuum (``_apart_above_air``): the
#: vehicle's size and the flight back's own error, metres; 500 m is a tenth of the 5.5 km by
#: which gen-world-75-04's SRBM-3 passed SRBM-2, fired 4.9 s before it from the same site.
ORIGIN_SPREAD_M = 500.0
#: Longest step (s) of that flight (``_flown``): RK4 in vacuum, as the simulator's truth.
FLOWN_STEP_S = 20.0
#: Log odds (19 to 1: a 95 % posterior from even odds) at which a piece's deceleration settles
#: whether it may be typed by its place: a reentry vehicle's drag is never typed a stage or
#: debris for being behind, a stage's is never the payload for being ahead.
DRAG_DECISIVE_LLR = float(np.log(19.0))
#: A break-up in boost (``_broken_up``): at least this many pieces seen separating within
#: ``BREAKUP_WINDOW_S`` (s) of the end of the event's last burn, none burning since. A staging
#: or a payload's separation parts one piece from the stack; a vehicle that breaks up parts
#: several at once (the simulator's 3-8, ``lookout.failure``) as its burn ends. The window is
#: the tracker's delay in starting the pieces' tracks and in seeing the burn end (irbm-breakup
#: at 97 s: five new tracks 2 s after, the booster's track coasting 3 s after).
BREAKUP_CHILDREN = 2
BREAKUP_WINDOW_S = 10.0
#: ``Member.typed_by`` of a piece typed debris by a break-up (not by a payload it trails).
BROKEN_UP = "breakup"


@dataclass
class Member:
    """What an event remembers of one of its tracks (times in s, states ECEF SI)."""

    track_id: str
    event_id: str | None  # None: a track waiting ungrouped (``LaunchEvents._waiting``)
    t_joined: float
    how: str  # "first", "separation" or "launch_point"; "waiting" while ungrouped
    parent: str | None = None
    t_seen: float = -np.inf
    state: np.ndarray | None = None
    covariance: np.ndarray | None = None
    boosting: bool = False
    t_last_boost: float | None = None
    boost_since: float | None = None  # the first of its assessments boosting since, if any
    energy: float = np.nan
    t_fall: float = np.nan  # its predicted fall (s) at its last assessment
    orbital: bool = False
    vehicle_class: str | None = None
    decided: str | None = None  # a type the evidence has settled ("payload", "spent_stage", ...)
    typed_by: str | None = None  # the payload it was typed a stage or debris behind, if so
    apart: set[str] = field(default_factory=set)  # members told no pieces of its flight
    object_type: str = "unknown"
    placed: bool = True  # False: started an event of its own with no launch point to join by
    stage_prob: float = 0.0  # probability that it is a spent stage or debris (``_stage_odds``)
    drag_llr: float = 0.0  # ln odds its deceleration gives it of a stage (``piece_drag``)
    coast_state: tuple | None = None  # (t, x, P) of its last assessment not boosting
    coast_since: float | None = None  # its first assessment not boosting since it last was
    left: set[str] = field(default_factory=set)  # events it was split from: never rejoined
    shown_behind: set[str] = field(default_factory=set)  # payloads it was shown behind


@dataclass
class LaunchEvent:
    """One launch: its members (track ids, in the order they joined), its launch point and time
    (the sharpest member estimate), its payload once identified and when, and its class."""

    event_id: str
    t_first: float
    members: list[str] = field(default_factory=list)
    launch_lat: float | None = None
    launch_lon: float | None = None
    launch_cov_en: np.ndarray | None = None
    launch_time: float | None = None
    launch_time_sigma: float | None = None
    launch_method: str | None = None
    payload: str | None = None
    payload_identified_t: float | None = None
    #: The payload's role handed over (``LaunchEvents._hand_over``): the member that held it,
    #: when it had been identified, and the new holder's typing before, to give it back.
    handed: tuple[str, float | None, str, str | None, str | None] | None = None
    event_class: str | None = None
    orbital: bool = False
    separations: list[tuple[str, str, float]] = field(default_factory=list)  # (parent, child, t)
    #: The end of the last burn of a vehicle that broke up (``LaunchEvents._broken_up``), once
    #: nothing has burnt for ``SETTLE_S`` since; None: none known.
    broken_up: float | None = None
    notices: list[tuple[str, str]] = field(default_factory=list)  # (partner, id) it fits
    failed_notices: set[tuple[str, str]] = field(default_factory=set)  # matched no more

    def to_dict(self) -> dict:
        deg = lambda a: None if a is None else float(np.degrees(a))  # noqa: E731
        return {
            "event_id": self.event_id,
            "t_first_s": self.t_first,
            "members": list(self.members),
            "launch": None
            if self.launch_lat is None
            else {
                "lat_deg": deg(self.launch_lat),
                "lon_deg": deg(self.launch_lon),
                "time_s": self.launch_time,
                "time_sigma_s": self.launch_time_sigma,
                "method": self.launch_method,
            },
            "payload": self.payload,
            "payload_identified_s": self.payload_identified_t,
            "class": self.event_class,
            "orbital": self.orbital,
            "notices": [f"{p}/{n}" for p, n in self.notices],
        }


class LaunchEvents:
    """Groups, types and classes tracks into launch events, one assessment instant at a time."""

    def __init__(self, first: int = 1, stride: int = 1) -> None:
        """Events are numbered ``E<first>``, ``E<first + stride>``, ...: the partitioned
        assessors (``lookout.app.picture_workers``) each take one residue, so that two of them
        never name two launches alike (the warning desks group a launch's tracks by its id)."""
        if first < 1 or stride < 1:
            raise ValueError(f"first = {first}, stride = {stride}: expected both >= 1")
        self.events: dict[str, LaunchEvent] = {}
        self.members: dict[str, Member] = {}
        self._launch: dict[str, Assessment] = {}  # track id -> its latest assessment with a launch
        self._unplaced: dict[str, float] = {}  # track id -> first seen, while it waits ungrouped
        # What is known of each waiting track (its latest state, no event), so that a piece
        # born next to one is seen separating from it (``_separated_from_state``), and which
        # waiting track each waiting piece separated from (it joins that one's event).
        self._waiting: dict[str, Member] = {}
        self._waits_for: dict[str, str] = {}
        self._next = first
        self._stride = stride
        # Partners' pre-launch notifications (``announce``), by (partner, notice id).
        self.announcements: dict[tuple[str, str], Announcement] = {}

    def announce(self, announcement: Announcement) -> None:
        """Take a partner's pre-launch notification (``lookout.assess.notices``); one with the
        key of an earlier one replaces it (an amended notice)."""
        self.announcements[announcement.key] = announcement

    def of(self, track_id: str) -> tuple[str | None, str | None]:
        """(event id, object type) of a track, (None, None) if not yet grouped."""
        m = self.members.get(track_id)
        return (None, None) if m is None else (m.event_id, m.object_type)

    def parted_stage(self, track_id: str) -> bool:
        """Whether a track may fall as a spent stage: typed ``spent_stage`` or ``debris``. Its
        impact is flown both as a stage's and as a reentry vehicle's and the two mixed
        (``Assessor.update``'s ``stages``), so a member typed a stage for want of energy or of
        a place ahead among members joined by their launch points alone, which may be another
        missile of a salvo (srbm-salvo's SRBM-5: its reentry vehicle's track, in SRBM-1's
        event), keeps the reentry vehicle's. Only a stage seen parting was so flown before:
        the stages of pieces joined by their launch points, first seen apart, were flown as
        reentry vehicles alone (me5-04's SRBM-2 stage: its ellipses held its impact in 0.09
        of its predictions; srbm-salvo's five stages 0.76-0.83)."""
        m = self.members.get(track_id)
        return m is not None and m.object_type in ("spent_stage", "debris")

    def stage_probability(self, track_id: str) -> float:
        """Probability (0-1) that a track is a spent stage or debris rather than the payload:
        1 for one typed so, 0 for a payload or a booster, and for a piece its event has not
        typed, what the separation order of it and its siblings says (``_stage_odds``); 0 for
        a track not grouped yet."""
        m = self.members.get(track_id)
        return 0.0 if m is None else m.stage_prob

    def unseen_payload(self, track_id: str) -> float | None:
        """When (s) the payload of this track's launch may have parted from it, if the track
        may be the spent stage of a payload no one sees: a piece not burning, not typed the
        payload or debris, alone in an event that has no payload identified, no break-up and
        no other live member that may be the payload (``ACTIVE_S``). Its payload parted at the
        end of its burn if it was seen burning, else before it was first assessed (then the
        first assessment: the push is carried from there, the least it has had). None
        otherwise: a piece with a sibling in view is typed by its place among them
        (``_stage_odds``), and a payload seen is its own. Flown as the reentry vehicle it may
        be, a stage's track lands where the payload would with no push between them
        (``Assessor.update``'s ``unseen_payloads``; world60 #03)."""
        m = self.members.get(track_id)
        if m is None or m.boosting or m.object_type not in ("unknown", "spent_stage"):
            return None
        ev = self.events[m.event_id]
        if ev.payload is not None or ev.broken_up is not None or ev.orbital:
            return None
        for k in ev.members:
            o = self.members[k]
            if k == track_id or o.object_type in ("spent_stage", "debris"):
                continue
            if o.t_seen >= m.t_seen - ACTIVE_S:
                return None  # another piece in view may be the payload
        return m.t_last_boost if m.t_last_boost is not None else m.t_joined

    def event_of(self, track_id: str) -> LaunchEvent | None:
        m = self.members.get(track_id)
        return None if m is None else self.events[m.event_id]

    def update(self, t: float, assessments: list[Assessment]) -> list[LaunchEvent]:
        """Take one instant's assessments; returns the events touched."""
        if not assessments:
            return []
        energy = specific_energy(np.array([a.state for a in assessments]))
        new: list[tuple[Assessment, float]] = []
        for a, e in zip(assessments, energy.tolist(), strict=True):
            if a.launch_lat is not None:
                self._launch[a.track_id] = a
            m = self.members.get(a.track_id)
            if m is None:
                new.append((a, e))
                continue
            self._remember(m, a, e)
            if not m.placed and a.launch_lat is not None:
                self._regroup(m, a)
        for a, e in new:
            t0 = self._unplaced.setdefault(a.track_id, a.t)
            parent = self._separated_from(a)
            if parent is not None and parent.event_id is None:
                # Seen separating from a track that waits ungrouped: it waits with it, and
                # joins its event when that one has one (``_waits_for``).
                self._waits_for.setdefault(a.track_id, parent.track_id)
                parent = None
            elder = self._waits_for.get(a.track_id)
            if elder is not None and elder in self.members:
                parent = self.members[elder]
            elif elder is not None and elder in self._waiting and a.launch_lat is None:
                self._wait(a, e)
                continue
            if parent is None and a.launch_lat is None and a.t - t0 < COAST_LAUNCH_WINDOW_S:
                self._wait(a, e)
                continue  # nothing yet to group it by: it waits ungrouped (module doc)
            del self._unplaced[a.track_id]
            self._waiting.pop(a.track_id, None)
            self._waits_for.pop(a.track_id, None)
            m = self._join(a, parent)
            if m.how == "first":
                self.events[m.event_id].t_first = min(self.events[m.event_id].t_first, t0)
            self._remember(m, a, e)
            # Its launch point is its event's at once: a piece born at the same instant joins.
            self._launch_estimate(self.events[m.event_id])
        # A waiting track not assessed for longer than a separation is looked for is gone.
        for k in [k for k, w in self._waiting.items() if t - w.t_seen > ACTIVE_S]:
            del self._waiting[k]
        touched = {
            self.members[a.track_id].event_id for a in assessments if a.track_id in self.members
        }
        for eid in sorted(touched, key=lambda k: int(k[1:])):
            if eid in self.events:  # an earlier split's remainder may have rejoined another
                touched |= self._split(self.events[eid])
        out = []
        for eid in sorted(touched & set(self.events), key=lambda k: int(k[1:])):
            ev = self.events[eid]
            self._launch_estimate(ev)
            self._type(ev, t)
            self._match(ev, t)
            out.append(ev)
        return out

    # ------------------------------------------------------------------ grouping

    @staticmethod
    def _remember(m: Member, a: Assessment, energy: float) -> None:
        was_boosting = m.boosting
        m.t_seen = a.t
        m.state, m.covariance = a.state, a.covariance
        m.boosting = a.phase == "boost" and energy < 0.0  # an unbound state is no burn
        if not m.boosting:
            m.boost_since = None
        elif not was_boosting or m.boost_since is None:
            m.boost_since = a.t
        if m.boosting and a.t - m.boost_since >= BURN_S - 1e-6:
            # A burn is a boost held over ``BURN_S`` (two assessments in a row, 5 s apart): one
            # assessment is a track taking drag or a manoeuvre for thrust as often as a burn.
            m.t_last_boost = a.t
        if not np.isfinite(m.energy) or _altitude(a.state) > EXO_ALTITUDE_M:
            m.energy = energy  # drag takes energy away below; compare what the burns gave
        if m.boosting:
            m.coast_state = m.coast_since = None
        else:
            m.coast_since = a.t if m.coast_since is None else m.coast_since
            if m.coast_state is not None and 0.0 < a.t - m.coast_state[0] <= ACTIVE_S:
                t0, x0, P0 = m.coast_state
                m.drag_llr += log_likelihood_ratio(a.t - t0, x0, P0, a.state, a.covariance)
            m.coast_state = (a.t, a.state, a.covariance)
        m.orbital = a.orbital
        if a.impact_time is not None:
            m.t_fall = float(a.impact_time)
        if a.vehicle_class is not None:
            m.vehicle_class = a.vehicle_class

    def _wait(self, a: Assessment, energy: float) -> None:
        """Keep what is known of a track that waits ungrouped (``update``): a piece born next
        to it was launched with it."""
        w = self._waiting.get(a.track_id)
        if w is None:
            w = self._waiting[a.track_id] = Member(a.track_id, None, a.t, "waiting")
        self._remember(w, a, energy)

    def _join(self, a: Assessment, parent: Member | None) -> Member:
        if parent is not None:
            ev = self.events[parent.event_id]
            ev.separations.append((parent.track_id, a.track_id, a.t))
            return self._add(ev, a, "separation", parent.track_id)
        ev = self._same_launch(a)
        if ev is not None:
            return self._add(ev, a, "launch_point")
        ev = self._new_event(a.t)
        m = self._add(ev, a, "first")
        m.placed = a.launch_lat is not None
        return m

    def _regroup(self, m: Member, a: Assessment) -> None:
        """A track that started an event of its own for want of a launch point (a piece first
        seen after burnout: its launch point is flown back from its states, the first of them
        gives none) is grouped as a newcomer would have been once it has one: its event, if
        it has no payload yet, joins the event whose launch point and time it shares
        (``_same_launch``). Each of me5-00's and me5-01's SRBMs and their stages, first seen
        parted, made an event of one track each, and their stages were never typed."""
        m.placed = True
        own = self.events[m.event_id]
        if own.payload is not None:
            return
        left = {own.event_id}.union(*(self.members[k].left for k in own.members))
        ev = self._same_launch(a, exclude=left)
        if ev is None:
            return
        self._move(list(own.members), own, ev)

    def _split(self, ev: LaunchEvent) -> set[str]:
        """A launch event is one vehicle's launch. A member whose own launch point or time
        (its track's, ``lookout.assess.launch_point``) the event's is not, in the gates of
        ``_same_launch``, was another launch: it leaves the event with the pieces seen
        separating from it, for the event whose launch it shares or an event of its own, and
        is never grouped with the one it left again. A piece seen separating from a member
        stays with it whatever its own estimate (a stage's flight back says less of the
        launch than its parent's). Ids of the events touched (the new one's included)."""
        self._launch_estimate(ev)
        if ev.launch_time is None or len(ev.members) < 2:
            return set()
        out = []
        for k in ev.members:
            a = self._launch.get(k)
            if a is None or self.members[k].how == "separation" or a.launch_ellipse is None:
                continue
            if a.launch_time is not None and _another_launch(a, ev):
                out.append(k)
        ms = self.members_of(ev)
        parted = {frozenset(sep[:2]) for sep in ev.separations}  # seen separating: one vehicle
        for i, m in enumerate(ms):
            for o in ms[i + 1 :] if not out else []:
                if frozenset((m.track_id, o.track_id)) in parted:
                    # Seen separating (born within a separation's spread of the other): two
                    # vehicles still if flown back above the air they came closest apart.
                    if _apart_coasting(m, o, ev.launch_time):
                        out = [m.track_id if o.track_id == ev.payload else o.track_id]
                        self._unpart(ev, m.track_id, o.track_id)
                        break
                    continue
                if _two_vehicles(m, o) or _two_coasting(m, o, ev.launch_time):
                    # The later of the two leaves, unless it is the event's payload.
                    out = [m.track_id if o.track_id == ev.payload else o.track_id]
                    break
        if not out:
            return set()
        # The pieces seen separating from a leaver go with it.
        children: dict[str, list[str]] = {}
        for parent, child, _ in ev.separations:
            children.setdefault(parent, []).append(child)
        group, todo = [], list(out)
        while todo:
            k = todo.pop()
            if k in group or k not in ev.members:
                continue
            group.append(k)
            todo += children.get(k, [])
        group = [k for k in ev.members if k in group]  # in the order they joined
        lead = min((self._launch[k] for k in group if k in self._launch), key=_sharpness)
        left = {ev.event_id}.union(*(self.members[k].left for k in group))
        for k in group:
            self.members[k].left.add(ev.event_id)
        dst = self._same_launch(lead, exclude=left)
        if dst is None:
            dst = self._new_event(self.members[group[0]].t_joined)
        self._move(group, ev, dst, retype=True)
        self._launch_estimate(dst)
        touched = {ev.event_id, dst.event_id}
        if ev.event_id in self.events:
            self._launch_estimate(ev)
            touched |= self._rejoin(ev)
        return touched & set(self.events)

    def _unpart(self, ev: LaunchEvent, a: str, b: str) -> None:
        """``a`` and ``b``, taken as seen separating, were not (``_apart_coasting``): their
        separation is forgotten, and the child is grouped by its own launch estimate from now
        on (``launched_with`` no longer lends it the other's)."""
        pair = {a, b}
        ev.separations = [s for s in ev.separations if {s[0], s[1]} != pair]
        for k in pair:
            m = self.members[k]
            if m.how == "separation" and m.parent in pair:
                m.how, m.parent = "launch_point", None

    def _rejoin(self, ev: LaunchEvent) -> set[str]:
        """An event left with no payload by a split, its launch estimate now its remaining
        members' own, joins the event whose launch point and time it shares (``_same_launch``,
        as a newcomer would): the missile that left had lent it its launch estimate. The
        world65 #04 MRBM-1 warhead's track, grouped with MRBM-2's pieces, stayed alone once
        they left, its launch's event holding its stage. Ids touched."""
        if ev.payload is not None or not ev.members:
            return set()
        known = [self._launch[k] for k in ev.members if k in self._launch]
        if not known:
            return set()
        left = {ev.event_id}.union(*(self.members[k].left for k in ev.members))
        dst = self._same_launch(min(known, key=_sharpness), exclude=left)
        if dst is None:
            return set()
        self._move(list(ev.members), ev, dst)
        self._launch_estimate(dst)
        return {dst.event_id}

    def _move(
        self, keys: list[str], src: LaunchEvent, dst: LaunchEvent, retype: bool = False
    ) -> None:
        """Members ``keys`` of ``src`` move to ``dst`` with their separations; ``src`` goes
        once empty. With ``retype`` (a split), what was typed against the other vehicle's
        pieces is typed again: the members parted from ``src``'s payload (those that stay
        when it moves, those that move when it stays) forget their types (a stage typed
        behind it, or for want of its energy, was typed against it); a payload that moves to
        an event with one of its own is a payload no more."""
        moving = set(keys)
        for k in keys:
            self.members[k].event_id = dst.event_id
            src.members.remove(k)
            dst.members.append(k)
        dst.separations += [s for s in src.separations if s[1] in moving]
        src.separations = [s for s in src.separations if s[1] not in moving]
        dst.t_first = min(dst.t_first, src.t_first) if not src.members else dst.t_first
        payload = src.payload
        if payload in moving:
            if dst.payload is None:
                dst.payload, dst.payload_identified_t = payload, src.payload_identified_t
            src.payload = src.payload_identified_t = None
        if retype:
            for e, ks in ((src, src.members), (dst, keys)):
                if payload is not None and e.payload == payload:
                    continue  # typed against its own payload
                for k in ks:
                    if k != e.payload:
                        self.members[k].decided = None
        if not src.members:
            del self.events[src.event_id]

    def _new_event(self, t: float) -> LaunchEvent:
        ev = LaunchEvent(f"E{self._next}", t)
        self._next += self._stride
        self.events[ev.event_id] = ev
        return ev

    def _add(self, ev: LaunchEvent, a: Assessment, how: str, parent: str | None = None) -> Member:
        m = Member(a.track_id, ev.event_id, a.t, how, parent)
        ev.members.append(a.track_id)
        self.members[a.track_id] = m
        return m

    def launched_with(
        self, t: float, track_ids: list[str], x: np.ndarray, P: np.ndarray, boost_prob: np.ndarray
    ) -> dict[str, str]:
        """Of tracks about to be assessed at ``t`` (``x`` (N, 6), ``P`` (N, 6, 6), the
        tracker's ``boost_prob`` (N,)), those seen separating from a member of an event, to
        that member's id: grouped so already (``Member.how``), or a newcomer born next to a
        live member now (``_separated_from``, as ``update`` will group it). Such a piece was
        launched with that member and shows its launch point (``Assessor.update``'s
        ``launched_with``): its own, flown back from high up through a ballistic catalogue's
        boost, says less of the launch than the member's, and a piece born late on an upper
        stage has none to tell (gen-world-59-07, a space launch from Semnan: the spent second
        stage's third track, born 250 s into the flight 350 km up with no tracker parent, was
        flown back as a depressed ICBM's coast to 305 km from the site; its event had grouped
        it with the stack's track at its first assessment). Asked before the assessment, so
        that no assessment of a newcomer shows a launch point of its own first."""
        out: dict[str, str] = {}
        boosting = np.asarray(boost_prob, dtype=float) >= BOOST_THRESHOLD
        for i, k in enumerate(track_ids):
            m = self.members.get(k)
            if m is not None:
                if m.how == "separation" and m.parent is not None:
                    out[k] = m.parent
                continue
            if k in self._waits_for:
                out[k] = self._waits_for[k]
                continue
            parent = self._separated_from_state(t, x[i], P[i], bool(boosting[i]), k)
            if parent is not None:
                out[k] = parent.track_id
        return out

    def _separated_from(self, a: Assessment) -> Member | None:
        """The member this newborn track was seen separating from (nearest within the gate)."""
        return self._separated_from_state(
            a.t, a.state, a.covariance, a.phase == "boost", a.track_id
        )

    def _separated_from_state(
        self, t: float, x: np.ndarray, P: np.ndarray, boosting: bool, track_id: str | None = None
    ) -> Member | None:
        """The member a newborn track of state ``x``, ``P`` at ``t``, thrusting or not, was
        seen separating from (nearest within the gate), None if none; or a track waiting
        ungrouped (event None) first seen before ``track_id`` was.

        A waiting track is one with neither a launch point nor a parent yet (an upper stage lit
        high up, whose burn says nothing of where it rose from the ground: ``launch_from_boost``
        gives it none); a piece born next to it was launched with it, and flown back on its own
        from high up through a ballistic catalogue's boost it would say less of the launch (the
        partners' picture of middle-east seed 64 #03, a space launch from Semnan: the spent
        second stage's track, born at its separation 330 km up next to the third stage's, which
        waited, was flown back as a missile's coast to 287 km from the site, 8 sigmas)."""
        best, best_d2 = None, SEPARATION_GATE_CHI2
        born = self._unplaced.get(track_id, t) if track_id is not None else t
        waiting = [
            w for k, w in self._waiting.items() if k != track_id and self._unplaced.get(k, t) < born
        ]
        for m in [*self.members.values(), *waiting]:
            if m.state is None or t - m.t_seen > ACTIVE_S or m.t_seen > t + 1e-9:
                continue
            both_burn = boosting and m.boosting and m.t_seen >= t - 1e-6
            dt = t - m.t_seen
            pos = m.state[:3] + m.state[3:] * dt
            dv = float(np.linalg.norm(x[3:] - m.state[3:]))
            if dv > SEPARATION_MAX_DV_MPS:
                continue
            d = x[:3] - pos
            # Two objects burning at once are two vehicles unless they are in the same place
            # within their uncertainty (a second track on the same booster); pieces just apart
            # are allowed a separation spread.
            spread = 0.0 if both_burn else SEPARATION_SPREAD_M**2
            S = P[:3, :3] + m.covariance[:3, :3] + spread * np.eye(3)
            d2 = float(d @ np.linalg.solve(S, d))
            if d2 <= best_d2:
                best, best_d2 = m, d2
        return best

    def _same_launch(self, a: Assessment, exclude: set[str] = frozenset()) -> LaunchEvent | None:
        """The event whose launch point and time this track shares (best of those in the gates,
        ``_another_launch``, other than those in ``exclude``), never one with a booster of its
        own elsewhere when this track boosts too."""
        if a.launch_lat is None or a.launch_ellipse is None or a.launch_time is None:
            return None
        best, best_d2 = None, np.inf
        for ev in self.events.values():
            if ev.launch_lat is None or ev.launch_cov_en is None or ev.event_id in exclude:
                continue
            if ev.launch_time is None or self._another_vehicle(a, ev) or _another_launch(a, ev):
                continue
            d2 = _launch_d2(
                a.launch_lat,
                a.launch_lon,
                a.launch_ellipse.cov_en,
                ev.launch_lat,
                ev.launch_lon,
                ev.launch_cov_en,
            )
            s_t = np.hypot(a.launch_time_sigma or 0.0, ev.launch_time_sigma or 0.0)
            score = d2 + (abs(a.launch_time - ev.launch_time) / max(s_t, 1e-3)) ** 2
            if score < best_d2:
                best, best_d2 = ev, score
        return best

    def _another_vehicle(self, a: Assessment, ev: LaunchEvent) -> bool:
        """Whether ``a`` is surely not a piece of ``ev``'s launch: it burns while one of the
        event's members burns elsewhere, or it coasts far from a live member of the same
        energy (a stage has less; the last stage is near its payload; energies compared as
        what the burns gave, ``ENERGY_GAP`` of the larger), or at a velocity no
        separation gives (``SIBLING_SPREAD_MPS``: a salvo's missiles fired seconds apart
        from one site share its launch point within its uncertainty; me5-02's SRBM-3, 14 s
        after SRBM-2, was typed SRBM-2's spent stage in 0.92 of its assessments). Nor is a
        track that burns a piece of an event whose payload is named (``_identify_payload``: the
        piece ahead after the last separation) and coasts: nothing of a launch burns after its
        payload has left its last stage, and a next stage lights where the stack is, a piece
        born next to it (``_separated_from``, which groups it before this is asked), not one
        that climbs from the ground elsewhere (srbm-salvo: SRBM-2, 11 s after SRBM-1 from one
        site, boosting at 100 s with its launch time from its boost, 67.2 +- 7.9 s, joined
        the event of SRBM-1, whose time flown back from its coast was 46.6 +- 20.0 s: 20.6 s
        apart, inside the combined 21.5; the flight back 24 s early before ltime54 had kept
        them apart by its error; branch ltime55). Nor, whatever its payload, is a track that
        burns below a member that does not (``_burns_below``): a missile climbing from the
        ground under one fired earlier."""
        if a.phase == "boost" and ev.payload is not None:
            p = self.members.get(ev.payload)
            if p is not None and not p.boosting:
                return True
        e_a = float(specific_energy(a.state[None])[0])
        for k in ev.members:
            m = self.members[k]
            if m.state is None or abs(m.t_seen - a.t) > 1e-6:
                continue
            if a.phase == "boost" and m.boosting:
                return True
            if a.phase == "boost" and not m.boosting:
                if _burns_below(a.state, a.covariance, m.state, m.covariance):
                    return True
            far = np.linalg.norm(m.state[:3] - a.state[:3]) > DISTINCT_VEHICLE_M
            far = far or not _siblings(m.state, m.covariance, a.state, a.covariance)
            # Of the energy the burns gave (above a body at rest on the ground, -GM/R): of the
            # whole, 15 % is 9.4 MJ/kg, more than any MRBM's burns give, and every two
            # sub-orbital pieces were "the same" (mrbm-houthi-ben-gurion's first stage, 154 km
            # behind at 250 s with 1.0 MJ/kg to its vehicle's 7.8, made an event of its own).
            given = max(m.energy, e_a) + GM_EARTH / R_MEAN
            same_energy = abs(m.energy - e_a) <= ENERGY_GAP * max(given, 1.0)
            if a.phase != "boost" and not m.boosting and far and same_energy:
                return True
        return False

    def _launch_estimate(self, ev: LaunchEvent) -> None:
        """The event's launch point and time: the sharpest member estimate, boost-based first."""
        cands = [self._launch[k] for k in ev.members if k in self._launch]
        if not cands:
            return
        a = min(cands, key=_sharpness)
        ev.launch_lat, ev.launch_lon = a.launch_lat, a.launch_lon
        ev.launch_cov_en = a.launch_ellipse.cov_en
        ev.launch_time, ev.launch_time_sigma = a.launch_time, a.launch_time_sigma
        ev.launch_method = a.launch_method

    def _match(self, ev: LaunchEvent, t: float) -> None:
        """The notifications the event matches (see the module doc): those, in the order they
        came, that its launch point, time and live members' sub-points all fit."""
        if ev.launch_lat is None or ev.launch_time is None or not self.announcements:
            return
        points = []
        for m in self.members_of(ev):
            if m.state is None or t - m.t_seen > ACTIVE_S:
                continue
            lat, lon, _ = ecef_to_geodetic(m.state[:3])
            en = enu_basis(lat, lon)[:2]
            points.append((float(lat), float(lon), en @ m.covariance[:3, :3] @ en.T))
        sigma = ev.launch_time_sigma or 0.0
        for key, an in self.announcements.items():
            if key in ev.failed_notices:
                continue
            fits = (
                an.in_window(ev.launch_time, sigma)
                and an.at_site(ev.launch_lat, ev.launch_lon, ev.launch_cov_en)
                and not any(an.off_sector(*p) for p in points)
            )
            if fits and key not in ev.notices:
                ev.notices.append(key)
            elif not fits:
                ev.failed_notices.add(key)
                if key in ev.notices:
                    ev.notices.remove(key)

    # ------------------------------------------------------------------ typing

    def members_of(self, ev: LaunchEvent) -> list[Member]:
        return [self.members[k] for k in ev.members]

    def _type(self, ev: LaunchEvent, t: float) -> None:
        ms = self.members_of(ev)
        for m in ms:
            # Its drag says reentry vehicle: typed a stage or debris, it was taken for what it
            # is not (a salvo's next missile joined by its launch point, or by a separation it
            # was born next to: srbm-salvo's SRBM-4, -5 and -6, me5-02's SRBM-3, me5-04's
            # SRBM-2 were typed a stage or debris in 0.92-1.00 of their assessments).
            if m.decided in ("spent_stage", "debris") and _drags_as_vehicle(m):
                m.decided = None
            # Typed a stage or debris for its place behind the payload, it is no piece of the
            # payload's flight once their states say so (``_siblings``): a track's first states,
            # their velocities known to 100 m/s, tell little (me5-01's SRBM-2's reentry vehicle,
            # typed SRBM-1's debris at its second assessment, was no sibling of it from the next).
            p = self.members.get(m.typed_by) if m.typed_by is not None else None
            if m.decided in ("spent_stage", "debris") and p is not None:
                if abs(p.t_seen - m.t_seen) <= 1e-6 and m.t_seen >= t - 1e-6 and not _sibling(m, p):
                    m.decided = m.typed_by = None
        self._broken_up(ev, ms, t)
        if ev.payload is not None:
            self._hand_back(ev, t)
            self._hand_over(ev, t)
            self._follow(ev, t)
        if ev.payload is not None:
            self._contest(ev, t)
        # Separations: the piece that burns again is the continuing stack, the other is spent.
        for parent, child, t_sep in ev.separations:
            p, c = self.members[parent], self.members[child]
            p_burned = p.t_last_boost is not None and p.t_last_boost > t_sep + 1e-6
            c_burned = c.t_last_boost is not None and c.t_last_boost > t_sep + 1e-6
            if p_burned != c_burned:
                spent = c if p_burned else p
                if not spent.boosting and spent.decided is None and not _drags_as_vehicle(spent):
                    spent.decided = "spent_stage"
        burning = any(m.boosting and m.t_seen >= t - 1e-6 for m in ms)
        last_burn = max((m.t_last_boost for m in ms if m.t_last_boost is not None), default=None)
        if not burning and (last_burn is None or t - last_burn >= SETTLE_S):
            # The flight has stopped burning: less energy is a stage dropped earlier. Only live
            # members with a bound energy count (a track's wild state can show more than
            # escape energy: it says nothing of the object).
            open_ = [m for m in ms if m.decided is None and _bound(m) and t - m.t_seen <= ACTIVE_S]
            if open_:
                top = max(m.energy for m in open_)
                for m in open_:
                    gap = top - m.energy > ENERGY_GAP * max(abs(top), 1.0)
                    if gap and not _drags_as_vehicle(m):
                        m.decided = "spent_stage"
            if ev.payload is None:
                self._identify_payload(ev, [m for m in ms if m.decided is None], t)
            elif ev.payload is not None:
                p = self.members[ev.payload]
                for m in ms:
                    if m.decided is None and m.t_joined > p.t_joined and _sibling(m, p):
                        if not _drags_as_vehicle(m):
                            m.decided, m.typed_by = "debris", p.track_id
        for m in ms:
            broken = ev.broken_up is not None and m.typed_by == BROKEN_UP
            if m.boosting and m.t_seen >= t - 1e-6 and not broken:
                m.object_type = "booster"
            else:
                m.object_type = m.decided or "unknown"
            m.stage_prob = float(m.object_type in ("spent_stage", "debris"))
        if not burning and (last_burn is None or t - last_burn >= SETTLE_S):
            self._stage_odds([m for m in ms if m.object_type == "unknown"], t)
        self._classify(ev, ms)

    def _broken_up(self, ev: LaunchEvent, ms: list[Member], t: float) -> None:
        """A vehicle that broke up in boost: several pieces (``BREAKUP_CHILDREN`` or more) seen
        separating within ``BREAKUP_WINDOW_S`` of the end of the event's last burn, and nothing
        burning since. Every piece of it (but the stages dropped before, and tracks started
        later on its pieces too) is ``debris``, none the payload: there is no payload
        ahead to find, and the piece ahead of the others is only the one the explosion pushed
        forward (irbm-breakup at 97 s: its six tracks flown as reentry vehicles for 20 s, the
        drag of tumbling debris three to ten times theirs, put falls on Aomori 20-40 km beyond
        the true ones, 95 % ellipses 7 km across: a false shelter call). Flown as debris, each
        piece's fall is a stage's and a reentry vehicle's mixed (``TYPED_STAGE_PROB``), its
        threat the 95 % ellipse of that fall. A piece that burns again, or whose drag says
        reentry vehicle (``_drags_as_vehicle``), is no debris of a break-up; once something
        burns after the pieces parted (a staging whose next stage lights), the typing is
        undone, until nothing has burnt for ``SETTLE_S``: the break-up is then settled, and a
        piece's "burn" after it is its track's error (irbm-breakup at 97 s: a debris track
        boosting 70 s later, flown as a booster, put a shelter call on Aomori with a corridor
        1,500 squared sigmas off)."""
        pieces: set[str] = set()
        if ev.broken_up is not None:
            # Settled: a piece "burning" now is a track's error; a newcomer burning is not one.
            pieces = {m.track_id for m in ms if m.typed_by == BROKEN_UP}
            pieces |= {m.track_id for m in ms if m.decided in (None, "payload", "debris")
                       and not (m.boosting and m.t_seen >= t - 1e-6)}  # fmt: skip
        else:
            boosts = [m.t_last_boost for m in ms if m.t_last_boost is not None]
            last_burn = max(boosts, default=None)
            burning = any(m.boosting and m.t_seen >= t - 1e-6 for m in ms)
            near = [
                s for s in ev.separations if abs(s[2] - (last_burn or -np.inf)) <= BREAKUP_WINDOW_S
            ]
            if not burning and len({child for _, child, _ in near}) >= BREAKUP_CHILDREN:
                # Broken up: the pieces seen parting, and every other piece of the event not
                # typed a stage dropped before (a track started later on a piece).
                pieces = {k for sep in near for k in sep[:2]}
                pieces |= {m.track_id for m in ms if m.decided in (None, "payload", "debris")}
                if t - last_burn >= SETTLE_S:
                    ev.broken_up = last_burn
        for m in ms:
            if m.typed_by == BROKEN_UP and (m.track_id not in pieces or _drags_as_vehicle(m)):
                m.decided = m.typed_by = None
            elif m.track_id in pieces and m.decided in (None, "payload", "spent_stage"):
                if not _drags_as_vehicle(m):
                    m.decided, m.typed_by = "debris", BROKEN_UP
        if ev.payload is not None and self.members[ev.payload].typed_by == BROKEN_UP:
            ev.payload = ev.payload_identified_t = ev.handed = None

    @staticmethod
    def _stage_odds(open_: list[Member], t: float) -> None:
        """The probability that each piece not typed yet is a spent stage rather than the
        payload, from the order of it and its siblings along the track (a stage is pushed
        back as it separates, and drag holds it back more; ``_identify_payload`` types them
        once the order is known to ``ORDER_SIGMAS``). Of siblings (``_sibling``: pieces of one
        flight) exactly one is the payload, the one ahead of all the others: with the lead
        ``d`` of one over another measured with sigma ``s`` and the true lead's size unknown
        (flat), the likelihood that the first is ahead is Phi(d / s); the payload's
        probability is the product of its leads' over each sibling, normalised over the
        siblings, and a piece's stage probability is the rest. A piece with no live sibling
        keeps 0: it is flown as the reentry vehicle it may be (an unseen stage's sibling, or
        the flight's only piece). me5-00's and me5-01's stages, first seen parted, were never
        typed and were flown as reentry vehicles alone: their ellipses held their impacts in
        0.17-0.33 of their predictions."""
        live = [m for m in open_ if m.state is not None and t - m.t_seen <= ACTIVE_S and _bound(m)]
        # The order of pieces each coasting for ``SETTLE_S``: a track out of its burn leads
        # where thrust would have taken it for a while (mrbm-sejjil-negev: the Sejjil's reentry
        # vehicle 0.4-1.1 km behind its stage's track, 1 sigma, 5-15 s after they parted; ahead
        # from 20 s on, as it is).
        settled = [m for m in live if m.coast_since is not None and t - m.coast_since >= SETTLE_S]
        for m in live:
            sibs = [o for o in settled if o is not m and _sibling(m, o)] if m in settled else []
            if not sibs:
                # Alone, the payload it may be unless its drag says otherwise: even odds then
                # its drag's, taken only when they favour a stage.
                m.stage_prob = float(expit(m.drag_llr)) if m.drag_llr > 0.0 else 0.0
                continue
            if _drags_as_vehicle(m):
                # A reentry vehicle by its drag: a lead over it says nothing (another missile
                # of a salvo is far behind, not a stage: srbm-salvo's SRBM-5 at odds of 1e12).
                m.stage_prob = float(expit(m.drag_llr))
                continue
            group = [m, *sibs]
            lead = np.array([[_lead_prob(a, b) if a is not b else 1.0 for b in group]
                             for a in group])  # fmt: skip
            like = np.prod(lead, axis=1)
            p = float(np.clip(1.0 - like[0] / max(like.sum(), 1e-300), 1e-12, 1.0 - 1e-12))
            m.stage_prob = float(expit(np.log(p / (1.0 - p)) + m.drag_llr))

    def _hand_over(self, ev: LaunchEvent, t: float) -> None:
        """A payload whose track ended in flight (unseen for ``ACTIVE_S``, its fall predicted
        more than ``ACTIVE_S`` after its last sighting) hands its role to the live member of
        the event nearest where it would be, of about its energy, within
        ``DISTINCT_VEHICLE_M``: the picture dropped one of two tracks on the payload, or lost
        the payload beside its last stage, and which of two pieces a few kilometres apart is
        ahead was the only evidence (srbm-salvo: a short second track on SRBM-1's warhead,
        born ahead of it, was its payload and the warhead's own track its "spent stage" for
        the rest of the flight). A payload in orbit keeps it. A live member that continues
        the payload's path (``_continuation``) takes it before the nearest."""
        p = self.members[ev.payload]
        if p.orbital or t - p.t_seen <= ACTIVE_S or not (p.t_fall - p.t_seen > ACTIVE_S):
            return
        on_path = self._continuation(ev, p, t)
        best = min(on_path, key=on_path.get) if on_path else None
        best = None if best is None else self.members[best]
        best_d = DISTINCT_VEHICLE_M
        for k in ev.members if best is None else ():
            m = self.members[k]
            if k == p.track_id or m.state is None or m.t_seen < t - 1e-6 or m.boosting:
                continue
            if not _bound(m) or abs(m.energy - p.energy) > ENERGY_GAP * max(abs(p.energy), 1.0):
                continue
            flown = p.state[:3] + p.state[3:] * (m.t_seen - p.t_seen)  # gravity: a few km
            d = float(np.linalg.norm(flown - m.state[:3]))
            if d <= best_d:
                best, best_d = m, d
        if best is not None:
            if ev.handed is None:
                ev.handed = (p.track_id, ev.payload_identified_t, best.track_id, best.decided,
                             best.typed_by)  # fmt: skip
            ev.payload, ev.payload_identified_t = best.track_id, t
            best.decided = "payload"

    def _follow(self, ev: LaunchEvent, t: float) -> None:
        """A payload's role handed over (``_hand_over``) follows the payload's path: the live
        member that continues the lost payload's track best (``_continuation``), when the one
        holding the role does not continue it, takes it, and the holder's typing is put back
        as it was (two tracks on the payload's path, both within the gate, do not pass it to
        and fro by their noise).
        Handed over while the payload was unseen, the role went to the piece nearest where it
        would be, its spent stage a few kilometres behind; the reentry vehicle's own track,
        born later on the payload's path, was typed debris for joining after the payload
        (world47 #7: both SLBMs' ellipses were their third stages' for the last 200 s)."""
        if ev.handed is None:
            return
        k, t_identified, holder, _, _ = ev.handed
        lost = self.members.get(k)
        if lost is None or lost.event_id != ev.event_id or lost.orbital:
            return
        on_path = self._continuation(ev, lost, t)
        if not on_path or holder in on_path:
            return
        best = self.members[min(on_path, key=on_path.get)]
        h = self.members.get(holder)
        if h is not None:
            _, _, _, decided, typed_by = ev.handed
            h.decided, h.typed_by = decided, typed_by
        ev.handed = (k, t_identified, best.track_id, best.decided, best.typed_by)
        ev.payload, ev.payload_identified_t = best.track_id, t
        best.decided, best.typed_by = "payload", None

    def _contest(self, ev: LaunchEvent, t: float) -> None:
        """A payload named ahead of the siblings seen then is named again against a sibling
        first seen after (``t_joined`` later than the naming): coasting ``SETTLE_S``, it must be
        shown behind the payload (``_ahead``) to be typed debris for its place; shown ahead, it
        takes the role and the payload is a stage behind it; neither yet, the event has no
        payload until ``_identify_payload`` tells the two apart."""
        p = self.members[ev.payload]
        if p.orbital or ev.handed is not None or p.t_seen < t - 1e-6 or _drags_as_vehicle(p):
            return
        named = ev.payload_identified_t if ev.payload_identified_t is not None else -np.inf
        for k in ev.members:
            m = self.members[k]
            if k == p.track_id or m.state is None or m.t_seen < t - 1e-6 or m.boosting:
                continue
            if m.t_joined <= named or p.track_id in m.shown_behind:
                continue
            if m.coast_since is None or t - m.coast_since < SETTLE_S or not _bound(m):
                continue
            if m.decided not in (None, "debris") or m.typed_by not in (None, p.track_id):
                continue
            if _drags_as_stage(m) or not _sibling(m, p):
                continue
            ahead = _ahead(p, m)
            if ahead is True:
                m.shown_behind.add(p.track_id)
                continue
            if m.typed_by == p.track_id:
                m.decided = m.typed_by = None
            p.decided = p.typed_by = None
            ev.payload = ev.payload_identified_t = None
            if ahead is False:
                ev.payload, ev.payload_identified_t = m.track_id, t
                m.decided, m.typed_by = "payload", None
                p.decided, p.typed_by = "spent_stage", m.track_id
            return

    def _continuation(self, ev: LaunchEvent, p: Member, t: float) -> dict[str, float]:
        """The live members of ``ev`` seen at ``t`` whose states continue ``p``'s path, each
        with its squared distance: of those coasting above the air (``EXO_ALTITUDE_M``, both),
        those within ``CONTINUATION_GATE_CHI2`` of ``p``'s last state flown on in vacuum to
        ``t`` (``_flown``), under the two covariances; none if ``p`` would have come down by
        then. Its own track's prediction says where the payload is,
        as well as anything does, while no one sees it: a piece there is the payload seen
        again, one kilometres off it another piece (a spent stage parted at metres per
        second is kilometres behind within minutes, and tens of sigmas off a radar track's
        path)."""
        if (
            p.state is None
            or t <= p.t_seen
            or t >= p.t_fall
            or _altitude(p.state) <= EXO_ALTITUDE_M
        ):
            return {}
        live = []
        for k in ev.members:
            m = self.members[k]
            if k == p.track_id or m.state is None or m.t_seen < t - 1e-6 or m.boosting:
                continue
            if _bound(m) and _altitude(m.state) > EXO_ALTITUDE_M:
                live.append(m)
        if not live:
            return {}
        x, P = _flown(p.state, p.covariance, t - p.t_seen)
        out = {}
        for m in live:
            d = m.state - x
            try:
                d2 = float(d @ np.linalg.solve(P + m.covariance, d))
            except np.linalg.LinAlgError:
                continue
            if d2 <= CONTINUATION_GATE_CHI2:
                out[m.track_id] = d2
        return out

    def _hand_back(self, ev: LaunchEvent, t: float) -> None:
        """A payload's role handed over (``_hand_over``) goes back to the member that held it
        when that one is assessed again in the event: its track had not ended, it was dormant
        (``TrackerConfig.confirmed_timeout_s``: unseen 600 s, not reported) and woke. The new
        holder's typing is put back as it was. Kept by the piece nearest where the payload
        would be, the role went to the spent stage 2-3 km behind a reentry vehicle unseen over
        mid-course (a 0.05 m² vehicle against a 5 m² stage): every generated SLBM of the
        world sets' payloads was wrong (world47 #7, world48 #2, world52 #5, world55 #7)."""
        if ev.handed is None:
            return
        k, t_identified, holder, decided, typed_by = ev.handed
        m = self.members.get(k)
        if m is None or m.event_id != ev.event_id:
            ev.handed = None
            return
        if m.t_seen < t - 1e-6 or ev.payload != holder:
            return
        h = self.members.get(holder)
        if h is not None:
            h.decided, h.typed_by = decided, typed_by
        ev.payload, ev.payload_identified_t = k, t_identified
        m.decided, ev.handed = "payload", None

    def _identify_payload(self, ev: LaunchEvent, lead: list[Member], t: float) -> None:
        """Of the most energetic pieces after the last burn, the one ahead of all the others
        along the track (a stage is pushed back as it separates); alone, an object in orbit."""
        live = [m for m in lead if m.state is not None and t - m.t_seen <= ACTIVE_S]
        found = None
        if len(live) == 1 and live[0].orbital and len(lead) == 1:
            found = live[0]
        for cand in live if len(live) >= 2 else []:
            # Of its siblings only: another missile of a salvo in the event is no stage of it.
            sibs = [o for o in live if o is not cand and _sibling(cand, o)]
            if _drags_as_stage(cand):
                continue
            if sibs and all(_ahead(cand, other) is True for other in sibs):
                found = cand
                break
        if found is None:
            return
        ev.payload, ev.payload_identified_t = found.track_id, t
        found.decided = "payload"
        for other in live:
            if other is not found and _sibling(found, other) and not _drags_as_vehicle(other):
                other.decided, other.typed_by = "spent_stage", found.track_id

    def _classify(self, ev: LaunchEvent, ms: list[Member]) -> None:
        if ev.payload is not None:
            head = [self.members[ev.payload]]
        else:
            head = [m for m in ms if m.object_type in ("booster", "unknown")]
        if not head:
            return
        top = max(head, key=lambda m: (m.energy if _bound(m) else -np.inf, m.t_seen))
        ev.orbital = top.orbital
        if top.orbital:
            ev.event_class = "SLV"
        elif top.vehicle_class is not None:
            ev.event_class = top.vehicle_class


def group(assessments: list[Assessment]) -> LaunchEvents:
    """Launch events of assessments made at several instants (as ``lookout track`` makes them),
    taken instant by instant in time order."""
    events = LaunchEvents()
    by_t: dict[float, list[Assessment]] = {}
    for a in assessments:
        by_t.setdefault(a.t, []).append(a)
    for t in sorted(by_t):
        events.update(t, by_t[t])
    return events


def flight_event(
    events: LaunchEvents, tracks: list[str], owner: dict[str, str], flight: str, t0: float
) -> dict:
    """What ``lookout track --json`` says of a flight's launch event: the event of most of the
    flight's tracks, its object count, its class, whether and when (s after launch) its payload
    was identified, and whether that was the flight's own payload (its main object)."""
    counts: dict[str, int] = {}
    for k in tracks:
        e, _ = events.of(k)
        if e is not None:
            counts[e] = counts.get(e, 0) + 1
    if not counts:
        return {
            "event_id": None,
            "event_objects": 0,
            "event_class": None,
            "payload_identified": False,
            "payload_identified_s": None,
            "payload_correct": None,
        }
    eid = max(sorted(counts), key=lambda e: counts[e])
    ev = events.events[eid]
    return {
        "event_id": eid,
        "event_objects": len(ev.members),
        "event_class": ev.event_class,
        "payload_identified": ev.payload is not None,
        "payload_identified_s": None
        if ev.payload_identified_t is None
        else ev.payload_identified_t - t0,
        "payload_correct": None if ev.payload is None else owner.get(ev.payload) == flight,
    }


def _lead(a: Member, b: Member) -> tuple[float, float]:
    """How far (m) ``a`` is ahead of ``b`` along ``b``'s velocity, and its sigma (m), the states
    taken at their own times: ``b``'s flown on to ``a``'s at its velocity, its position's
    covariance grown by its velocity's over the gap. Without the velocity's, world60 #03's
    warhead (its track's velocity known to 240 m/s, its last assessment 20 s old) was put
    10.3 km behind its stage at 3.1 sigmas, under the 3.3 km of the two positions alone, and
    the stage was named the payload."""
    dt = a.t_seen - b.t_seen
    pb = b.state[:3] + b.state[3:] * dt
    u = b.state[3:] / max(float(np.linalg.norm(b.state[3:])), 1e-9)
    d = float(u @ (a.state[:3] - pb))
    Pb = b.covariance
    Pb_pos = Pb[:3, :3] + dt * (Pb[:3, 3:6] + Pb[3:6, :3]) + dt * dt * Pb[3:6, 3:6]
    var = float(u @ (a.covariance[:3, :3] + Pb_pos) @ u)
    return d, float(np.sqrt(max(var, 0.0)))


def _order(a: Member, b: Member) -> tuple[float, float]:
    """How far ``a`` comes before ``b`` in the order of a flight's pieces, the payload first,
    and its sigma: above the air (``EXO_ALTITUDE_M``, both states at one instant) the gap of
    their inertial specific energies (J/kg), else ``a``'s lead along the track (m,
    ``_lead``). A stage is pushed back as it parts, ``v dv`` of energy less, which no force
    but drag changes; its place along the track follows from that only for a while: over a
    ballistic coast the piece of more energy flies the higher arc, above and so behind the
    other along a falling velocity. gen-world-47-01's reentry vehicle led its last stage by
    1.0 km at apogee (800 s), was 1.6 km behind it when the radars first saw the pair (1350
    s, 4.3 km apart, 18 kJ/kg more energy) and 3 km behind down to 35 km: the stage was
    named the payload at 11 sigmas of lead (issue 13). In the air drag takes the stage's
    energy and holds it back; the lead keeps its old rule there on the way up, where push
    and arc put the piece of more energy ahead alike. On the way down (both falling) the
    arcs' order holds into the air until drag has slowed the stage by more than their
    parting speed, tens of kilometres lower: gen-world-61-05's reentry vehicle was 2.4 km
    behind its last stage at 95 km and 1.7 km at 37 km, and the stage was named the
    payload at 12 sigmas of lead. Drag only widens the energies' gap, so they order a
    falling pair at any height."""
    if abs(a.t_seen - b.t_seen) > 1e-6:
        return _lead(a, b)
    if min(_altitude(a.state), _altitude(b.state)) <= EXO_ALTITUDE_M and not (
        _falling(a.state) and _falling(b.state)
    ):
        return _lead(a, b)
    gap, sigma = _energy_moments(a.state, a.covariance, b.state, b.covariance)
    return gap, sigma


def _falling(x: np.ndarray) -> bool:
    """Whether an ECEF state (m, m/s) is coming down (its radial velocity negative)."""
    return float(x[:3] @ x[3:]) < 0.0


def _ahead(a: Member, b: Member) -> bool | None:
    """True if ``a`` comes before ``b`` (``_order``) by more than ``ORDER_SIGMAS`` sigmas,
    False if after, None if not yet told."""
    d, s = _order(a, b)
    if abs(d) <= ORDER_SIGMAS * s:
        return None
    return d > 0


def _lead_prob(a: Member, b: Member) -> float:
    """Probability that ``a`` comes before ``b`` (``_stage_odds``): Phi(gap / sigma) of
    ``_order``."""
    d, s = _order(a, b)
    return float(ndtr(d / max(s, 1e-9)))


def _siblings(xa: np.ndarray, Pa: np.ndarray, xb: np.ndarray, Pb: np.ndarray) -> bool:
    """Whether two states at one instant may be pieces of one flight. Coasting, only drag and
    a separation's push (``SIBLING_SPREAD_MPS`` per axis) part them, and drag takes energy:
    the draggier piece's inertial specific energy falls short by its drag's work, at least
    ``v dv`` for a velocity ``dv`` taken at speed ``v``. So the velocities may differ by at
    most ``D = dE / v`` (``dE`` the energies' gap at its 99.9 % bound under the states' errors
    and the push, ``_energy_gap``; ``v`` the lower of the two speeds now, at most the speed the
    draggier piece had in the air since it parted, unless it is in the air now). Where the gap
    is within its errors and the push's share (``SIBLING_ENERGY_SIGMAS``), drag may not have
    parted them at all: the velocities agree within a push and their errors
    (``SIBLING_GATE_CHI2``) but for the drag the gap measures, ``|dE| / v``, along the track, at
    any altitude (a young track 2 sigma of energy short of its reentry vehicle, 300 m/s slower,
    me5-01's SRBM-1 stage at its first state with a launch point). Where drag shows for sure,
    they differ by at most ``D``, a push and their errors:

    - in the plane of flight (of the piece of more energy), in size: the two arcs turn it
      within the plane as they part (me5-01's SRBM-2 and its stage, 677 kJ/kg apart, 400 m/s
      along the track at 230 s, 420 m/s across it at 400 s, about the same size);
    - out of it, by the air's share of the drag across the plane only (drag acts against the
      velocity relative to the air, the ECEF one).

    A salvo's next missile on the same aim, launched ``dt`` later, has the same energy and a
    velocity ``g dt`` apart (me5-04's SRBM-2's reentry vehicle, 14 s behind SRBM-1's: 140 m/s,
    at 47 km where nothing was told before, and it was typed SRBM-1's stage in 0.75 of its
    assessments); a spent stage is as far from its reentry vehicle in velocity as its drag
    took energy (me5-01's SRBM-2's, 166 m/s apart at its first state above 100 km, was no
    sibling by a push alone, and its ellipses held its impact in 0.21 of its predictions)."""
    gap, sigma, v_low = _energy_gap(xa, Pa, xb, Pb)
    dv = xa[3:] - xb[3:]
    S = Pa[3:, 3:] + Pb[3:, 3:]
    drag = (abs(gap) + SIBLING_ENERGY_SIGMAS * sigma) / max(v_low, 1.0)
    if abs(gap) <= SIBLING_ENERGY_SIGMAS * sigma:
        # No drag shows for sure: the drag the gap measures, ``|dE| / v``, is along the track
        # still (the arcs have not turned it yet), the rest a push and the states' errors.
        u = xa[3:] / max(float(np.linalg.norm(xa[3:])), 1e-9)
        seen = abs(gap) / max(v_low, 1.0)
        r = dv - float(np.clip(u @ dv, -seen, seen)) * u
        S_push = S + SIBLING_SPREAD_MPS**2 * np.eye(3)
        return float(r @ np.linalg.solve(S_push, r)) <= SIBLING_GATE_CHI2
    # The plane of flight of the piece of more energy, the less drag: a stage falling slowly
    # through the air has its inertial velocity mostly the Earth's turning, out of its plane.
    top = xa if gap >= 0.0 else xb
    n = np.cross(top[:3], top[3:] + np.cross(_OMEGA, top[:3]))
    n /= max(float(np.linalg.norm(n)), 1e-9)
    out = float(n @ dv)
    s_out = np.sqrt(float(n @ S @ n) + SIBLING_SPREAD_MPS**2)
    air = abs(float(n @ top[3:])) / max(float(np.linalg.norm(top[3:])), 1e-9)
    if abs(out) > air * drag + SIBLING_ENERGY_SIGMAS * s_out:
        return False
    inplane = dv - out * n
    s_in = np.sqrt(max(float(np.trace(S)) - float(n @ S @ n), 0.0) / 2.0 + SIBLING_SPREAD_MPS**2)
    return float(np.linalg.norm(inplane)) <= drag + SIBLING_INPLANE_SIGMAS * s_in


def _flown(x: np.ndarray, P: np.ndarray, dt: float) -> tuple[np.ndarray, np.ndarray]:
    """A coasting state (ECEF, m, m/s) and its covariance flown ``dt`` s on in vacuum (J2
    gravity, the rotating frame), the covariance by the unscented transform (its 2n points
    at plus and minus the columns of ``sqrt(n P)``: ``impact.sigma_points`` but its centre,
    of weight 0)."""
    pts = sigma_points(x[None], P[None])[0][0, 1:]
    steps = max(1, int(np.ceil(dt / FLOWN_STEP_S)))
    h = np.full(pts.shape[0], dt / steps)
    pos, vel = pts[:, :3], pts[:, 3:]
    for _ in range(steps):
        pos, vel = rk4_step(_vacuum, None, pos, vel, h)
    pts = np.concatenate([pos, vel], axis=1)
    mean = pts.mean(axis=0)
    d = pts - mean
    return mean, d.T @ d / pts.shape[0]


def _vacuum(_t, pos: np.ndarray, vel: np.ndarray) -> np.ndarray:
    return rotating_frame_acceleration(pos, vel)


#: The Earth's rotation vector (rad/s), ECEF.
_OMEGA = np.array([0.0, 0.0, OMEGA_EARTH])
#: The matrix of ``w x r``: the rotating frame's share of the inertial velocity at ``r``.
_OMEGA_CROSS = np.array([[0.0, -OMEGA_EARTH, 0.0], [OMEGA_EARTH, 0.0, 0.0], [0.0, 0.0, 0.0]])
#: The inertial velocity ``v + w x r`` as a linear map of an ECEF state (6,).
_INERTIAL_VELOCITY = np.hstack([_OMEGA_CROSS, np.eye(3)])


def _energy_gap(xa: np.ndarray, Pa: np.ndarray, xb: np.ndarray, Pb: np.ndarray):
    """(E_a - E_b, its sigma, the lower ECEF speed) of two states' inertial specific energies
    (J/kg, point-mass gravity: J2's share differs by ~1 kJ/kg across tens of km), the sigma
    from the states' covariances (linearised) and a push of ``SIBLING_SPREAD_MPS`` per axis
    (``v dv`` along the velocity)."""
    gap, sigma = _energy_difference(xa, Pa, xb, Pb)
    speed = [float(np.linalg.norm(x[3:] + np.cross(_OMEGA, x[:3]))) for x in (xa, xb)]
    push = 0.5 * (speed[0] + speed[1]) * SIBLING_SPREAD_MPS
    v_low = min(float(np.linalg.norm(xa[3:])), float(np.linalg.norm(xb[3:])))
    return gap, float(np.sqrt(sigma**2 + push**2)), v_low


def _energy_difference(xa: np.ndarray, Pa: np.ndarray, xb: np.ndarray, Pb: np.ndarray):
    """(E_a - E_b, its sigma) of two states' inertial specific energies (J/kg, point-mass
    gravity), the sigma from the states' covariances (linearised, the two independent)."""
    energy, var = [], 0.0
    for x, P in ((xa, Pa), (xb, Pb)):
        r, v_in = x[:3], x[3:] + np.cross(_OMEGA, x[:3])
        rn = float(np.linalg.norm(r))
        energy.append(0.5 * float(v_in @ v_in) - GM_EARTH / rn)
        grad = np.concatenate([GM_EARTH * r / rn**3 + np.cross(v_in, _OMEGA), v_in])
        var += float(grad @ P @ grad)
    return energy[0] - energy[1], float(np.sqrt(max(var, 0.0)))


def _energy_moments(xa: np.ndarray, Pa: np.ndarray, xb: np.ndarray, Pb: np.ndarray):
    """(E_a - E_b, its sigma) of two states' inertial specific energies (J/kg, point-mass
    gravity) as ``_energy_difference``, but the mean and spread each energy has under its
    state's covariance, the two independent: the order of two pieces (``_order``) is decided
    at ``ORDER_SIGMAS`` of it. The kinetic part, half the square of the inertial velocity
    ``m = v + w x r`` (a linear map of the state, of covariance ``S``), is a quadratic form of a
    Gaussian: its mean is ``|m|^2 / 2 + tr(S) / 2`` and its variance ``m' S m + tr(S^2) / 2``,
    exactly; the potential's is linearised (its curvature adds of the order of
    ``GM s^2 / r^3``, 10 kJ/kg at 60 km of position sigma). Linearised alone, a track unseen
    since burnout, its velocity known to 1 km/s, had its energy put ``tr(S) / 2`` = 0.7 MJ/kg
    low at a sigma 1 MJ/kg too narrow: world74 #07's reentry vehicle, its track predicted from
    the end of the boost infrared saw, came 3.4 sigma behind its spent stage's radar track,
    and the stage was named the payload. The siblings' test (``_energy_gap``) keeps the
    linearised difference: widened by such a track's spread, it took world65 #07's stale
    track for a sibling of its stage's radar track, and the stage odds it then had changed at
    every look, each flying its diverging state afresh (a false impact-area claim)."""
    energy, var = [], 0.0
    for x, P in ((xa, Pa), (xb, Pb)):
        A = _INERTIAL_VELOCITY
        m = A @ x
        S = A @ P @ A.T
        rn = float(np.linalg.norm(x[:3]))
        energy.append(0.5 * float(m @ m + np.trace(S)) - GM_EARTH / rn)
        grad = A.T @ m
        grad[:3] += GM_EARTH * x[:3] / rn**3
        var += float(grad @ P @ grad) + 0.5 * float(np.sum(S * S))
    return energy[0] - energy[1], float(np.sqrt(max(var, 0.0)))


def _burns_below(x: np.ndarray, P: np.ndarray, xo: np.ndarray, Po: np.ndarray) -> bool:
    """Whether a burning state ``x``, ``P`` is lower than a state ``xo``, ``Po`` at the same
    instant not burning, beyond the 99.9 % bound (``SIBLING_ENERGY_SIGMAS``) of their altitude
    difference under the two states' vertical variances and a separation's spread
    (``SEPARATION_SPREAD_M``). No piece of one launch burns below a piece of it that has
    stopped: a stage parts from the stack where the stack is, and from there the burning piece,
    its thrust above the horizon, climbs faster than the spent one falls behind. A missile fired
    later from the same site climbs below the salvo's earlier one; its launch point is that
    site, and its launch time, flown back from its first seconds of burn, can be as wide as the
    salvo's gaps: srbm-salvo's SRBM-6 (21 s after SRBM-4 from one site), first assessed at
    140 s boosting 14 km up at 102.1 +- 20.2 s, joined SRBM-4's event (82.0 +- 5.8 s: 20.0 s
    apart inside the combined 21.0) whose warhead and stage coasted 35 and 27 km up, and its
    stage with it: one launch shown for two (branch reentry60; its energy was theirs within
    its errors, a fast young SRBM's)."""
    if x is None or P is None or xo is None or Po is None:
        return False
    gaps, var = [], SEPARATION_SPREAD_M**2
    for xs, Ps in ((xo, Po), (x, P)):
        lat, lon, h = ecef_to_geodetic(xs[:3])
        up = enu_basis(lat, lon)[2]
        gaps.append(float(h))
        var += float(up @ Ps[:3, :3] @ up)
    return gaps[0] - gaps[1] > SIBLING_ENERGY_SIGMAS * float(np.sqrt(var))


def _two_vehicles(a: Member, b: Member) -> bool:
    """Whether two members seen at one instant are two vehicles' pieces: both reentry vehicles
    by their drag, apart beyond two tracks on one object (``_separated_from``'s gate: a
    second track on a warhead is within its covariance and a separation's spread). Their
    velocities above the air do not tell: a single-stage SRBM's motor, parted in the air,
    climbs out of it 400 m/s slower than its warhead at the same energy (me5 #1's SRBM-1,
    105 and 126 km up), as a salvo's next missile does."""
    if a.state is None or b.state is None or abs(a.t_seen - b.t_seen) > 1e-6:
        return False
    if a.boosting or b.boosting or not (_drags_as_vehicle(a) and _drags_as_vehicle(b)):
        return False
    d = a.state[:3] - b.state[:3]
    S = a.covariance[:3, :3] + b.covariance[:3, :3] + SEPARATION_SPREAD_M**2 * np.eye(3)
    return float(d @ np.linalg.solve(S, d)) > SEPARATION_GATE_CHI2


def _two_coasting(a: Member, b: Member, t_launch: float) -> bool:
    """Whether two members seen at one instant are two vehicles by their coasts: both above the
    air (``EXO_ALTITUDE_M``) and coasting ``SETTLE_S``, of the same energy (``ENERGY_GAP``, as
    ``_another_vehicle`` at joining: a stage has less, the last stage is near its payload), no
    siblings (``_siblings``: velocities no separation's push gives where no drag has parted
    them), and of no one origin (``_one_origin``: flown back, never at one point at one instant
    since the launch). A salvo's next missile fired seconds later from the same site shares the
    launch point and, within the backward flight's sigma, the launch time, and a new track's
    velocity, known to 100 m/s, passes the sibling gate when it joins: me74 #00's SRBM-3, 13 s
    after SRBM-2, joined SRBM-2's event with its stage, 130 m/s apart, and SRBM-3's launch
    event had SRBM-2's reentry vehicle for its payload. A break-up's pieces are of one energy
    too, and no siblings (the explosion gives them 10-300 m/s), but they all left one point at
    one instant: irbm-breakup's debris, split by the energy and the velocities alone, made
    launch events of their own. Flown back above the air, two that came closest apart there
    are two vehicles whatever their velocities (``_apart_above_air``)."""
    if not _coasting_pair(a, b):
        return False
    span = a.t_seen - t_launch
    if _apart_above_air(a.state, a.covariance, b.state, b.covariance, span):
        return True
    if _siblings(a.state, a.covariance, b.state, b.covariance):
        return False
    return not _one_origin(a.state, a.covariance, b.state, b.covariance, span)


def _coasting_pair(a: Member, b: Member) -> bool:
    """Both seen at one instant, coasting ``SETTLE_S``, bound, above the air
    (``EXO_ALTITUDE_M``), of the same energy (``ENERGY_GAP`` of what the burns gave)."""
    if a.state is None or b.state is None or abs(a.t_seen - b.t_seen) > 1e-6:
        return False
    if a.boosting or b.boosting or not (_settled(a) and _settled(b)):
        return False
    if not (_bound(a) and _bound(b)):
        return False
    if min(_altitude(a.state), _altitude(b.state)) <= EXO_ALTITUDE_M:
        return False
    given = max(a.energy, b.energy) + GM_EARTH / R_MEAN
    return abs(a.energy - b.energy) <= ENERGY_GAP * max(given, 1.0)


def _apart_coasting(a: Member, b: Member, t_launch: float | None) -> bool:
    """Two members taken as seen separating (``_separated_from``: born within its 2 km spread)
    that are two vehicles all the same: a coasting pair (``_coasting_pair``) that, flown back
    above the air, came closest apart (``_apart_above_air``). gen-world-75-04's SRBM-3, 4.9 s
    after SRBM-2 from one site on an aim 30 km longer, overtook it 5.5 km off at 192 s, 108 km
    up; SRBM-2's warhead, first tracked there, was taken as born of SRBM-3's, and their event
    named SRBM-3's its payload for the whole flight."""
    if t_launch is None or not _coasting_pair(a, b):
        return False
    return _apart_above_air(a.state, a.covariance, b.state, b.covariance, a.t_seen - t_launch)


def _apart_above_air(
    xa: np.ndarray, Pa: np.ndarray, xb: np.ndarray, Pb: np.ndarray, span: float
) -> bool:
    """Whether two coasting states at one instant (ECEF, m, m/s, with their covariances),
    flown back together in vacuum within the last ``span`` s while both stay above the air
    (``EXO_ALTITUDE_M``), came closest to each other there (their distance under their
    covariances had a minimum, the one or the other approaching since) outside
    ``SEPARATION_GATE_CHI2`` of those covariances and ``ORIGIN_SPREAD_M``. In vacuum two pieces
    parted at one point only draw apart (gravity's gradient turns their relative velocity by
    metres per second over minutes): pieces of one vehicle are closest at their parting, and
    where that was above the air, within their tracks' errors and metres; two vehicles that
    approached and drew apart again above the air never left one point there. False (not
    told) when their velocities differ by no more than a separation's push
    (``SIBLING_SPREAD_MPS``) and their errors (``SIBLING_GATE_CHI2``), when the flight back
    leaves the air's top before any minimum (pieces parted in the air, where drag, which the
    flight back has not, parts them too: a break-up, a staging), or reaches ``span`` (the
    launch)."""
    if not np.isfinite(span) or span <= 0.0:
        return False
    # Their velocities must differ by more than a separation's push and their errors: else
    # which way they move relative to each other, so where they were closest, is not known (a
    # stage drifting from its warhead at metres per second for half an hour).
    w = xa[3:] - xb[3:]
    S_w = Pa[3:, 3:] + Pb[3:, 3:] + SIBLING_SPREAD_MPS**2 * np.eye(3)
    if float(w @ np.linalg.solve(S_w, w)) <= SIBLING_GATE_CHI2:
        return False
    spread = ORIGIN_SPREAD_M**2 * np.eye(3)
    for alt_a, alt_b, C, d, w, h in _flown_back_apart(xa, Pa, xb, Pb, span):
        if min(alt_a, alt_b) <= EXO_ALTITUDE_M:
            return False
        S = C + spread
        Sd, Sw = np.linalg.solve(S, d), np.linalg.solve(S, w)
        s_raw = float(w @ Sd) / max(float(w @ Sw), 1e-30)
        if s_raw < h:  # the closest approach, back over this step (or now)
            r = d - w * max(s_raw, 0.0)
            return float(r @ np.linalg.solve(S, r)) > SEPARATION_GATE_CHI2
    return False


def _one_origin(
    xa: np.ndarray, Pa: np.ndarray, xb: np.ndarray, Pb: np.ndarray, span: float
) -> bool:
    """Whether two coasting states at one instant (ECEF, m, m/s, with their covariances) may
    have left one point at one instant within the last ``span`` s: flown back together in
    vacuum (``_vacuum``, RK4 steps of up to ``FLOWN_STEP_S``, each state's covariance carried by
    its sigma points, as ``_flown``), their positions come within ``_separated_from``'s gate of
    each other at some instant (their covariances and a separation's spread,
    ``SEPARATION_SPREAD_M``); within a step, at the closest approach their relative velocity
    gives (gravity's gradient bends it by metres over a step). The pieces of one vehicle parted
    at one point and one instant (a break-up's, a stage's); two missiles fired ``dt`` apart on
    one aim are at every instant ``v dt`` apart (tens of kilometres at a few km/s), flown back
    as far as one likes. The flight back stops at the launch and at the ground."""
    if not np.isfinite(span) or span <= 0.0:
        return True  # no launch known to fly back to: not told
    spread = SEPARATION_SPREAD_M**2 * np.eye(3)
    for alt_a, alt_b, C, d, w, h in _flown_back_apart(xa, Pa, xb, Pb, span):
        if min(alt_a, alt_b) < 0.0:
            return False
        S = C + spread
        # Back over the step (``d - w s``, s in [0, h]) to its closest approach in the gate.
        Sd, Sw = np.linalg.solve(S, d), np.linalg.solve(S, w)
        s_min = float(np.clip((w @ Sd) / max(float(w @ Sw), 1e-30), 0.0, h))
        r = d - w * s_min
        if float(r @ np.linalg.solve(S, r)) <= SEPARATION_GATE_CHI2:
            return True
    return False


def _flown_back_apart(
    xa: np.ndarray, Pa: np.ndarray, xb: np.ndarray, Pb: np.ndarray, span: float
) -> Iterator[tuple[float, float, np.ndarray, np.ndarray, np.ndarray, float]]:
    """Two coasting states at one instant (ECEF, m, m/s, with their covariances) flown back
    together in vacuum over ``span`` s (``_vacuum``, RK4 steps of up to ``FLOWN_STEP_S``, each
    covariance carried by its sigma points, as ``_flown``): at each step, now first, both
    nominal altitudes (m), the covariance of their difference in position (the sigma points',
    the centre of weight 0), that difference (a - b, m), their relative velocity (m/s), and the
    step (s). ``_one_origin`` and ``_apart_above_air`` judge the closest approach from these."""
    pts = np.concatenate(
        [sigma_points(xa[None], Pa[None])[0][0], sigma_points(xb[None], Pb[None])[0][0]]
    )
    n = pts.shape[0] // 2
    pos, vel = pts[:, :3], pts[:, 3:]
    steps = max(1, int(np.ceil(span / FLOWN_STEP_S)))
    h = span / steps
    for i in range(steps):
        if i > 0:
            pos, vel = rk4_step(_vacuum, None, pos, vel, np.full(pos.shape[0], -h))
        da, db = pos[1:n] - pos[1:n].mean(0), pos[n + 1 :] - pos[n + 1 :].mean(0)
        C = (da.T @ da + db.T @ db) / (n - 1)
        d = pos[1:n].mean(0) - pos[n + 1 :].mean(0)
        w = vel[1:n].mean(0) - vel[n + 1 :].mean(0)
        yield _altitude(pos[0]), _altitude(pos[n]), C, d, w, h


def _drags_as_vehicle(m: Member) -> bool:
    """Its deceleration makes it a reentry vehicle rather than a stage at odds of 19 to 1."""
    return m.drag_llr <= -DRAG_DECISIVE_LLR


def _drags_as_stage(m: Member) -> bool:
    """Its deceleration makes it a stage rather than a reentry vehicle at odds of 19 to 1."""
    return m.drag_llr >= DRAG_DECISIVE_LLR


def _sibling(a: Member, b: Member) -> bool:
    """``_siblings`` of two members last seen at one instant; True (not told apart) if not.
    Once told apart, both settled (``_settled``), two members stay apart (``Member.apart``):
    pieces of one flight are siblings at every instant, and a state that says otherwise says
    it for good. Later, one
    of them falling through the air can take as much energy as its lead over the other
    needs (me5-01's SRBM-1's reentry vehicle at 37 km, SRBM-2's 34 km behind it and 210 s
    apart from it at 99.9 %: SRBM-2's was typed debris again)."""
    if b.track_id in a.apart:
        return False
    if a.state is None or b.state is None or abs(a.t_seen - b.t_seen) > 1e-6:
        return True
    if _siblings(a.state, a.covariance, b.state, b.covariance):
        return True
    if _settled(a) and _settled(b):
        # A young track's velocity can be off by more than its covariance says for a while
        # after its birth or a burn: apart for good only once both have coasted ``SETTLE_S``.
        a.apart.add(b.track_id)
        b.apart.add(a.track_id)
    return False


def _settled(m: Member) -> bool:
    """Coasting for ``SETTLE_S`` or more at its last assessment."""
    return m.coast_since is not None and m.t_seen - m.coast_since >= SETTLE_S


def _bound(m: Member) -> bool:
    return bool(np.isfinite(m.energy) and m.energy < 0.0)


def _altitude(x: np.ndarray) -> float:
    return float(ecef_to_geodetic(x[:3])[2])


def _sharpness(a: Assessment) -> tuple[bool, float]:
    """Sort key of launch estimates, the sharpest first: boost-based first, then the smaller
    ellipse."""
    return (a.launch_method != "boost", float(np.trace(a.launch_ellipse.cov_en)))


def _two_launches(t_a: float, s_a: float | None, t_b: float, s_b: float | None) -> bool:
    """Whether two launch-time estimates (s, with their 1-sigma) are two launches: further
    apart than their combined sigma (and ``LAUNCH_TIME_FLOOR_S``). The pieces of one vehicle
    are flown back through one boost: what the boost model leaves unknown (the time factor of
    a boost's flight back, the catalogue's boosts matching a coast, ``launch_point``) is most
    of either sigma and the same error in both, so their difference spreads far less than
    the combined sigma (were 90 % of each variance that common error, the combined sigma
    would be 3.2 sigma of the difference: 0.2 % of one vehicle's pairs split); another
    launch of the vehicle from the site, flown back through the same boost, differs by its
    true gap. Measured (``lookout track``'s assessments of srbm-salvo, me5 #1, #2, #4,
    depressed-srbm-pair, mrbm-iran-israel, kn23-pullup and eight generated salvos): two
    tracks of one flight with estimates of their own differed by at most 0.37 of their
    combined sigma (8 pairs; a piece the tracker saw separating takes its parent's); the
    flights of one salvo shared their errors (me5 #1's two SRBMs -28 s at 21 s sigma, #2's
    three -8.7 to -9.9 s at 4 s). Gaps within the combined sigma are not told by time (me5
    #1's 17.5 s)."""
    s = max(float(np.hypot(s_a or 0.0, s_b or 0.0)), LAUNCH_TIME_FLOOR_S)
    return abs(t_a - t_b) > s


def _another_launch(a: Assessment, ev: LaunchEvent) -> bool:
    """Whether a track's launch estimate is not its event's launch: its point outside the
    99.9 % gate of the two points, or its time ``_two_launches`` of the event's."""
    if _two_launches(a.launch_time, a.launch_time_sigma, ev.launch_time, ev.launch_time_sigma):
        return True
    d2 = _launch_d2(a.launch_lat, a.launch_lon, a.launch_ellipse.cov_en, ev.launch_lat,
                    ev.launch_lon, ev.launch_cov_en)  # fmt: skip
    return d2 > LAUNCH_GATE_CHI2


def _launch_d2(lat_a, lon_a, cov_a, lat_b, lon_b, cov_b) -> float:
    """Squared Mahalanobis distance between two launch points under their summed covariances."""
    return float(mahalanobis2(lat_b, lon_b, np.asarray(cov_a) + np.asarray(cov_b), lat_a, lon_a))


__all__ = ["OBJECT_TYPES", "LaunchEvent", "LaunchEvents", "Member", "flight_event", "group"]
