"""The assessment of each track: phase, launch point, impact (or instantaneous impact point),
apogee, ranges, class, orbit, territories; one :class:`Assessment` per track and update.

:class:`Assessor` keeps what a track's past tells (its earliest boost states for the launch
point, when thrust ended, the energy at burnout, the highest point seen and the apogee last
predicted on the way up, the ground track flown, the class and launching state once known)
and assesses every track of an update in one batch: one propagation call flies the sigma points
of all tracks. :func:`assess` is the same for one update without memory.

What is once known is not dropped for want of a fresh estimate: an update without a launch
point (a flight back to the ground that failed) keeps the last one, and one without an impact
prediction keeps the last class (a duty officer's picture must not blink between a class and
nothing at every update); a class is given again from fresh figures as soon as there are some.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy.stats import chi2, norm

from lookout import messages
from lookout.assess import footprint
from lookout.assess import manoeuvre as manoeuvre_kind
from lookout.assess.energy import (
    Orbit,
    equivalent_range,
    is_lofted,
    orbit_dict,
    orbit_within,
    orbits,
    range_class,
    specific_energy,
)
from lookout.assess.impact import (
    TYPED_STAGE_PROB,
    BallisticPrior,
    Ellipse,
    ImpactBatch,
    ellipse_from_cov,
    predict_impacts,
    spent_stage_prior,
    unseen_payload,
)
from lookout.assess.launch_point import (
    CoastFlights,
    LaunchEstimate,
    launch_from_boost,
    launch_from_coast,
    lit_high_up,
)
from lookout.assess.territory import Area, Overflight, Territories, named_area, territories
from lookout.geodesy import (
    GM_EARTH,
    OMEGA_EARTH,
    R_MEAN,
    ecef_to_geodetic,
    geodesic_inverse,
    geodetic_to_ecef,
)
from lookout.physics.einsum import einsum
from lookout.physics.trajectory import REENTRY_ALTITUDE_M
from lookout.timebase import s_to_ns, s_to_ns_or_none
from lookout.tracking.config import TrackerConfig

#: A track is boosting when its boost-mode probability is at least this.
BOOST_THRESHOLD = 0.5
#: ... and known to coast when its coast-mode probability is at least this. In between, thrust
#: may not have ended: its ballistic impact point is an instantaneous impact point (a lower
#: bound of the range, not a prediction), and neither a burnout (energy, time), a class nor a
#: launch point flown back ballistically is taken from it. A radar-initiated track starts at a
#: boost probability of 0.2 (``TrackerConfig.init_boost_prob_radar``) whatever its object does:
#: measured on irbm-overflight's picture, such a track 60 s into the burn, at 22 km, was taken
#: as coasting at its first assessment and its ballistic impact, in North Korea, was claimed as
#: the impact area (the partner's tracker had it at 0.996 five seconds later).
COAST_CONFIDENCE = 0.95
#: A track is claimed to come down (an impact or an instantaneous impact point, and the
#: territories under the way there) only when no orbit is within this confidence region of
#: its state (6-D: the perigee altitude, linearised, stays below ``ORBIT_MIN_PERIGEE_M``
#: over the region, ``energy.orbit_within``). Measured on quiet-sky: a satellite's track
#: two seconds after confirmation, at 7.10 km/s with 0.45 km/s sigmas (7.45 km/s keeps a
#: 100 km perigee from 550 km), perigee -1,510 ± 900 km, had its instantaneous impact point
#: and the Korean coast on its way there claimed; five seconds later it was in orbit.
ORBIT_CONFIDENCE = 0.95
#: A track never seen boosting refines its launch point over its first minute (s).
COAST_LAUNCH_WINDOW_S = 60.0
#: A track started from one satellite alone (``Assessor.update``'s ``launches``) has its
#: ground points taken as seen from when its position's largest sigma is within this (m):
#: the 10 km at which the scores tell a track on its object from one off it. Before, tens of
#: km along the line of sight, they put it over a neighbour's land by their error alone.
SURE_POSITION_SIGMA_M = 10e3
#: How many of a track's earliest boost states are kept for its launch point.
LAUNCH_STATES = 5
#: A track seen burning as an upper stage lit high up (``launch_point.lit_high_up``: no first
#: stage from the ground) at two boost states at least this far apart (s; a launch event's
#: burn, ``events.BURN_S``: one look is a track taking drag or a manoeuvre for thrust as
#: often as a burn) has no launch point flown back from its coast after that burn. The flight
#: back (``launch_from_coast``) describes a missile's coast after its last burn, through the
#: catalogue's boosts to their final cut-off (``boost_ensemble``); a burn seen high up may as
#: well be a space launcher's staging with more burns to come, and the state at its end does
#: not tell which: a three-stage launcher's second stage spent at 230 s, 295 km up at 6.3 km/s
#: (``tests/test_assess.py``'s SLV), is on the arc of a catalogue ICBM's final burnout
#: (icbm-liquid-2stage-light, kick 7 deg, 276 km up, 245 s after its launch), whose site is
#: 156 km back along it where the launcher's is 350 km: flown back, 246 km off (6 sigma).
#: Measured on world64 #07's partner pictures (a Semnan space launch; the fusion of 2582a8a):
#: the track started on the burning second stage, its boost states all refused, was flown back
#: from its coast 306 km from the site (shown 30 s after its burnout), a phantom launch shown
#: by it and the third stage's track. A missile's track first seen in its last stage shows no launch
#: point of its own either (what is wrong there is a phantom launch, the worst false alarm).
UPPER_BURN_S = 5.0
#: Sampling (s) of the predicted ground track for overflights.
GROUND_TRACK_DT_S = 2.0
#: A track unseen for longer than this (s) across its apogee (dormant through it, or between
#: two updates) did not observe it: its apogee is the one predicted on the way up.
APOGEE_GAP_S = 60.0
#: Probability (over the launch ellipse) at which a launching state is named
#: (``Territories.launching_state``).
LAUNCH_STATE_PROB = 0.5
#: Probability (of the predicted impact's distribution: its 95% region, the reachable footprint
#: of a lifting body) at which the area of an impact is named (``Assessor._impact_area``): the
#: region's own level, the 95 % region in one area. Once named, it is kept while the region
#: holds it more likely than not (``IMPACT_AREA_KEEP_PROB``): slbm's was named, dropped and
#: named again within a minute, its region at 0.93-0.95 in Japan's EEZ. Until then no area is
#: named and the assessment lists the areas the region covers with their shares
#: (``Assessment.impact_areas``). Measured on mass-raid (issue 13): four flights aimed 2 km from
#: the Russian-Japanese EEZ line had consistent predictions (the truth inside the 95 % ellipse)
#: whose centres fell on the Japanese side; the centre's area, named until then, was a guess.
IMPACT_AREA_PROB = 0.95
IMPACT_AREA_KEEP_PROB = 0.5
#: An area is named only once its region has held it (``IMPACT_AREA_PROB``) at every
#: assessment over this long (s): two of `lookout track`'s and the picture's assessments, 5 s
#: apart. The 95 % level is one look's; the area is named at the first look that reaches it, and
#: over a flight's looks the chances add up. An impact 2 km from a line, its predictions
#: consistent, the 95 % region 85 -> 37 -> 18 -> 11 -> 7 -> 4 km long over the first minute after
#: burnout (mass-raid's MR-36): 12 % of flights had the wrong side named at some look (a
#: Gaussian model of the nested estimates' errors; 3 of 30 seeded flights of that launch, each at
#: one look that the next did not confirm; mass-raid's own at 440 s, JP 0.984 then 0.80). Two
#: looks 5 s apart share little information while the region shrinks (the first minute) and
#: nearly all once it has settled: the wrong side at two running looks, 2.5 % of flights in the
#: model, 0 of 30 seeded; a true area is named one look later, or when next held twice.
#: A choice (5 s, the assessment period, against none: 1 s apart the picture's looks would be
#: nearly the same information), not derived from a bound on the sequence.
IMPACT_AREA_CONFIRM_S = 5.0
#: Probability at which a territory the predicted ground track crosses is claimed as overflown
#: (``Assessor._overflights``): the share of the ground track's spread across the track, where
#: it lies over the land, that is on it (``overflight_probability``), as for the impact area's
#: region; once claimed it is kept while at least ``OVERFLIGHT_KEEP_PROB``. Land already under
#: the track (seen) is claimed as before. Measured on mass-raid (issue 13): the centre of a
#: prediction alone was claimed from a track two seconds after its confirmation, its velocity
#: known to 1 km/s (MR-22: China, 143 km from the truth's ground track, its instantaneous
#: impact's 95 % ellipse 1,060 x 500 km), and from a consistent track 5 s before burnout whose
#: instantaneous impact's ground track clipped Shimokita's tip for 6 s (MR-39: Japan, the
#: truth's 5.9 km off the coast).
OVERFLIGHT_PROB = IMPACT_AREA_PROB
OVERFLIGHT_KEEP_PROB = IMPACT_AREA_KEEP_PROB
#: At most this many points of a predicted passage over land are weighed for its probability.
OVERFLIGHT_POINTS = 40


@dataclass
class Assessment:
    """What is known of one track at time ``t`` (s from the epoch). SI units and radians inside;
    :meth:`to_dict` gives km, degrees and s for the edges.

    ``impact_kind`` is "iip" while thrusting (the instantaneous impact point: where it would come
    down if thrust stopped now), "predicted" after burnout, None when there is no impact (orbit).
    Launch and impact ellipses are 95% ellipses on the ground.
    """

    t: float
    track_id: str
    state: np.ndarray  # (6,) ECEF m, m/s
    covariance: np.ndarray  # (6, 6)
    phase: str  # "boost", "coast" or "reentry"
    boost_prob: float
    burnout_time: float | None = None
    launch_lat: float | None = None
    launch_lon: float | None = None
    launch_ellipse: Ellipse | None = None
    launch_time: float | None = None
    launch_time_sigma: float | None = None
    launch_method: str | None = None
    impact_kind: str | None = None
    impact_lat: float | None = None
    impact_lon: float | None = None
    impact_time: float | None = None
    impact_time_sigma: float | None = None
    impact_ellipse: Ellipse | None = None
    impact_complete: bool = True
    #: Unscented weight of the sigma points that came down (``ImpactBatch.down``): below 1,
    #: the prediction is over those only, the rest stated here, not guessed.
    impact_down_weight: float = 1.0
    apogee_m: float | None = None
    apogee_observed: bool = False
    range_m: float | None = None
    equivalent_range_m: float | None = None
    lofted: bool = False
    vehicle_class: str | None = None
    #: Flight type (``lookout.assess.manoeuvre.flight_type``): "ballistic", "lofted",
    #: "depressed", "manoeuvring", "HGV", "SLBM", comma-joined.
    vehicle_type: str | None = None
    #: The impact region is the reachable footprint of a lifting body (``assess.footprint``).
    manoeuvre_footprint: bool = False
    orbital: bool = False
    orbit: Orbit | None = None
    overflown: list[Overflight] = field(default_factory=list)
    launch_territory: str | None = None
    #: The area of the impact; None with an impact when none is named yet (its 95 % region
    #: over several areas, ``Assessor._impact_area``). While thrusting, the area under the
    #: instantaneous impact point.
    impact_area: Area | None = None
    #: After burnout, the areas the impact's 95 % region covers, each with its share of the
    #: impact's distribution, the largest first (``Territories.area_shares``): what a picture
    #: shows ("JP or RU") while no area is named.
    impact_areas: list[tuple[Area, float]] = field(default_factory=list)
    #: When the assessor needs the next look at the track (s), if it does: an impact area or a
    #: predicted overflight held at this look is named only if still held
    #: ``IMPACT_AREA_CONFIRM_S`` after the first look that held it (``lookout.assess.schedule``).
    #: Not on the wire.
    look_again_t: float | None = None

    @property
    def overflown_codes(self) -> list[str]:
        """Territory codes overflown, in order, each once."""
        return list(dict.fromkeys(o.code for o in self.overflown))

    def to_dict(self) -> dict:
        def deg(a):
            return None if a is None else float(np.degrees(a))

        def km(a):
            return None if a is None else a / 1e3

        launch = None
        if self.launch_lat is not None:
            launch = {
                "lat_deg": deg(self.launch_lat),
                "lon_deg": deg(self.launch_lon),
                "time_s": self.launch_time,
                "time_sigma_s": self.launch_time_sigma,
                "ellipse": self.launch_ellipse.to_dict() if self.launch_ellipse else None,
                "method": self.launch_method,
            }
        impact = None
        if self.impact_kind is not None:
            impact = {
                "kind": self.impact_kind,
                "lat_deg": deg(self.impact_lat),
                "lon_deg": deg(self.impact_lon),
                "time_s": self.impact_time,
                "time_sigma_s": self.impact_time_sigma,
                "ellipse": self.impact_ellipse.to_dict() if self.impact_ellipse else None,
                "complete": self.impact_complete,
                "down_weight": self.impact_down_weight,
                "area": self.impact_area.to_dict() if self.impact_area else None,
                "areas": [a.to_dict() | {"share": p} for a, p in self.impact_areas],
            }
        return {
            "t_s": self.t,
            "track_id": self.track_id,
            "state": [float(v) for v in self.state],
            "phase": self.phase,
            "boost_prob": self.boost_prob,
            "burnout_time_s": self.burnout_time,
            "launch": launch,
            "impact": impact,
            "apogee_km": km(self.apogee_m),
            "apogee_observed": self.apogee_observed,
            "range_km": km(self.range_m),
            "equivalent_range_km": km(self.equivalent_range_m),
            "lofted": self.lofted,
            "class": self.vehicle_class,
            "type": self.vehicle_type,
            "manoeuvre_footprint": self.manoeuvre_footprint,
            "orbital": self.orbital,
            "orbit": orbit_dict(self.orbit) if self.orbit else None,
            "overflown": [o.to_dict() for o in self.overflown],
            "launch_territory": self.launch_territory,
        }


def assessment_message(a: Assessment) -> messages.Assessment:
    """The wire form of an assessment (SI, int ns): what a ``SystemTrack`` carries."""
    area = a.impact_area
    return messages.Assessment(
        t_ns=s_to_ns(a.t),
        phase=a.phase,
        launch_lat_rad=a.launch_lat,
        launch_lon_rad=a.launch_lon,
        launch_time_ns=s_to_ns_or_none(a.launch_time),
        launch_time_sigma_ns=s_to_ns_or_none(a.launch_time_sigma),
        launch_ellipse=a.launch_ellipse.wire if a.launch_ellipse is not None else None,
        impact_lat_rad=a.impact_lat,
        impact_lon_rad=a.impact_lon,
        impact_time_ns=s_to_ns_or_none(a.impact_time),
        impact_time_sigma_ns=s_to_ns_or_none(a.impact_time_sigma),
        impact_ellipse=a.impact_ellipse.wire if a.impact_ellipse is not None else None,
        iip=a.impact_kind == "iip",
        apogee_m=a.apogee_m,
        range_m=a.range_m,
        equivalent_range_m=a.equivalent_range_m,
        vehicle_class=a.vehicle_class,
        orbital=a.orbital,
        orbit=a.orbit if a.orbital else None,
        overflown=list(a.overflown_codes),
        impact_area=area.code if area is not None else None,
        impact_area_kind=area.kind if area is not None else None,
        impact_areas=[
            messages.AreaShare(code=ar.code, kind=ar.kind, prob=p) for ar, p in a.impact_areas
        ],
    )


#: The lowest altitude (m) at which a catalogue vehicle's first stage burns out: each flown from
#: sea level at the guidance's most depressed pitch-over (``KICK_MAX``, 75° from the vertical)
#: for its full burn, those that reach it (6.80 km, the two-stage solid MRBM's first stage;
#: the solid ICBM's 7.23 km; an SRBM's 13 km; the heavy liquids fall back before burnout). The
#: assessment does not fly the simulator's launches, so the figure is written here and
#: ``tests/test_assess.py`` flies the catalogue to hold it to the lowest burnout
#: (``lowest_first_stage_burnout_m``). Below it and climbing, an object whose burn was not seen
#: has not been seen to end it: a coast there is a burn cut short (a failure), not a flight to
#: a target.
#:
#: Why the assessment needs it (issue 13): a radar sees a rocket low in its burn (1-7 km, under
#: the infrared's cloud tops) before its track can tell thrust from none, and the track's boost
#: probability is then its priors' (from 0.2 to 0.3-4 % in 3-5 s: a thrust of unknown
#: direction, 30 m/s² on each axis, spreads the predicted range rate the coast mode predicts to
#: 4 m/s). Taken as coasting, its ballistic impact a few km from the launch was claimed on the
#: launching state (generated gen-1-01 at 205 s, gen-1-02 at 165 s, gen-7-00 at 110-115 s); the
#: same tracks were thrusting at 0.5-1.0 five to ten seconds later.
BURNOUT_FLOOR_M = 6_800.0

#: How long (s) after a track is first assessed its coast is not taken as known while it climbs
#: unseen in its burn: the tracker's own window for a young track's boost hypothesis
#: (``TrackerConfig.young_boost_s``, ``mixing.young_boost``: the catalogue's shortest burn),
#: within which its boost probability is its priors' against a thrust it has not yet had the
#: time to measure, not evidence that thrust ended. Measured (issue 13): a radar-only track
#: born 90 s into a space launch's 120 s first stage, at 39 km, had 0.044 then 0.018 boost
#: probability at 0 and 5 s, 0.999 at 10 s; taken as coasting at 5 s, its ballistic impact was
#: claimed in India's EEZ (generated world seed 21, #5, every partner's picture).
#: ... unless its boost mode is under the tracker's output floor (``output_mode_floor``, 1 %):
#: left out of its reported estimate, the tracker has dropped the boost hypothesis. Whether it
#: climbs or not, a young track's coast state is not flown back to a launch point: the mixture
#: its tracker reports is not yet a coast's estimate (held-out me47 #1: a track born on a
#: reentry vehicle on its way down, its velocity 240 m/s off against a 97 m/s sigma at a boost
#: probability of 0.037, was flown back 120 km from the site; docs/assessment.md).
YOUNG_TRACK_S = TrackerConfig().young_boost_s
MODE_FLOOR = TrackerConfig().output_mode_floor
_E = np.zeros(0)


@dataclass
class TrackMemory:
    """What an :class:`Assessor` remembers of one track."""

    boost_states: list[tuple[float, np.ndarray, np.ndarray]] = field(default_factory=list)
    first_state: tuple[float, np.ndarray, np.ndarray] | None = None
    coast_latest: tuple[float, np.ndarray, np.ndarray] | None = None
    #: ``first_state``'s flights back, kept: it is flown again with every later coast state
    #: of ``COAST_LAUNCH_WINDOW_S`` (``launch_point.CoastFlights``).
    first_flights: CoastFlights | None = None
    launch: LaunchEstimate | None = None
    launch_stale: bool = True
    #: Its launch was fitted by its tracker (``Assessor.update``'s ``launches``), and when its
    #: position was first known to ``SURE_POSITION_SIGMA_M`` (None: not yet).
    launch_fitted: bool = False
    sure_t: float | None = None
    seen_boost: bool = False
    #: When it was first seen burning as an upper stage lit high up (``UPPER_BURN_S``), and
    #: whether it was seen so over ``UPPER_BURN_S``: then its coast is not flown back.
    upper_since: float | None = None
    seen_upper: bool = False
    burnout_time: float | None = None
    burnout_energy: float | None = None
    max_alt: float = -np.inf
    descending: bool = False
    # The last update seen climbing, the apogee predicted from it (m) and the first update
    # seen descending (s).
    t_climbing: float | None = None
    apogee_predicted: float | None = None
    t_descending: float | None = None
    vehicle_class: str | None = None
    vehicle_type: str | None = None
    lift: manoeuvre_kind.LiftMemory = field(default_factory=manoeuvre_kind.LiftMemory)
    #: The impact area last named (``Assessor._impact_area``).
    impact_area: Area | None = None
    #: The area the impact's region has held at ``IMPACT_AREA_PROB`` at every assessment since
    #: (its code, "" for the high seas; the time of the first), or None.
    impact_area_held: tuple[str, float] | None = None
    #: The territories last claimed overflown on a prediction (``Assessor._overflights``).
    overflight_claimed: frozenset[str] = frozenset()
    #: The territories not yet claimed whose predicted passage held ``OVERFLIGHT_PROB`` at an
    #: assessment and ``OVERFLIGHT_KEEP_PROB`` at every one since (code: the time of that one).
    overflight_held: dict[str, float] = field(default_factory=dict)
    launch_territory: str | None = None
    #: The track it separated from (``Assessor.update``'s ``parents``), whose launch it shares.
    parent: str | None = None
    #: The track its launch event saw it separating from (``Assessor.update``'s
    #: ``launched_with``), whose launch it shares too.
    launched_with: str | None = None
    ground_t: list[float] = field(default_factory=list)
    ground_lat: list[float] = field(default_factory=list)
    ground_lon: list[float] = field(default_factory=list)
    # The last launch point (``_launch_key``) asked of the outlines and their answers: the
    # launch point changes only while it is refined, the answers are the same for the same one.
    sea_memo: tuple[bytes, float] | None = None
    state_memo: tuple[bytes, tuple[str | None, float]] | None = None
    #: The densified ground track flown so far (``Assessor._ground_track``).
    ground_dense: DenseGroundTrack | None = None
    #: The impact last predicted from a coasting state above the air (``Assessor._hold_unseen``):
    #: the time of the detection it followed, the stage odds it was flown with, whether as the
    #: stage of an unseen payload (``Assessor.update``'s ``unseen_payloads``), and the
    #: prediction (a one-track ``ImpactBatch``); None: none.
    held_impact: tuple[tuple[float, float, bool], ImpactBatch] | None = None


@dataclass(frozen=True)
class DenseGroundTrack:
    """A track's ground track, densified (``_densify_track``) with the land under each point,
    as kept between updates: every point but the last (an update's own point, where the next
    segment starts)."""

    #: The launch point it starts from (``ndarray.tobytes`` of t, lat, lon), None if none.
    head_key: bytes | None
    #: The raw points (updates, and the launch point if any) it was made from.
    n_raw: int
    t: np.ndarray
    lat: np.ndarray
    lon: np.ndarray
    codes: np.ndarray

    @classmethod
    def empty(cls, head_key: bytes | None) -> DenseGroundTrack:
        e = np.zeros(0)
        return cls(head_key, 0, e, e, e, np.zeros(0, dtype=object))


class Assessor:
    """Assesses every track of each update, remembering each track's past by its id."""

    def __init__(self, prior: BallisticPrior | None = None, outlines: Territories | None = None):
        self.prior = prior or BallisticPrior()
        self.stage_prior = spent_stage_prior()
        self.outlines = outlines or territories()
        self.memory: dict[str, TrackMemory] = {}

    def update(
        self,
        t: float | np.ndarray,
        track_ids: list[str],
        x: np.ndarray,
        P: np.ndarray,
        boost_prob: np.ndarray,
        impacts: ImpactBatch | None = None,
        no_lift: Collection[str] = (),
        parents: Mapping[str, str] | None = None,
        stages: Collection[str] = (),
        stage_probs: Mapping[str, float] | None = None,
        last_seen: Sequence[float | None] | np.ndarray | None = None,
        launched_with: Mapping[str, str] | None = None,
        launches: Mapping[str, LaunchEstimate] | None = None,
        unseen_payloads: Mapping[str, float] | None = None,
    ) -> list[Assessment]:
        """Assess N tracks: ``t`` s (scalar or (N,)), ``x`` (N, 6) ECEF, ``P`` (N, 6, 6),
        ``boost_prob`` (N,) the tracker's boost-mode probability. ``impacts``: the N tracks'
        ``predict_impacts`` when already computed (a replay batches them across many updates,
        since a prediction depends on nothing but its own state). ``no_lift``: ids of tracks
        known not to be lifting bodies (a launch's spent stages and debris, as its launch
        event types them: an empty motor case has neither lift surfaces nor guidance); their
        impact stays ballistic, never widened to a manoeuvre footprint. ``parents``: a track
        born next to another (a stage, a reentry vehicle seen separating from it: the tracker's
        ``parent_of``) to the id of that track; it was launched where and when its parent was,
        and takes its parent's launch point rather than making one of its own (``_launch_of``).
        ``stages``: ids of tracks their launch event types spent stages: their impact is flown
        with a tumbling stage's drag too (``self.stage_prior``, ``spent_stage_prior``), and the
        two predictions mixed by the typing's odds (``TYPED_STAGE_PROB``), ``impacts`` or
        not. ``stage_probs``: of tracks not typed so, the probability that each is a stage
        (``LaunchEvents.stage_probability``: a piece first seen parted from its siblings, from
        their order along the track); their impact is flown both ways too and mixed by it, at
        most at the typing's odds, and they keep their manoeuvre footprint (an untyped piece
        may be a reentry vehicle that manoeuvres). ``last_seen`` (N,): when a sensor last saw
        each track's object (s; None or NaN: not known); a coasting track not seen since its
        last prediction keeps it (``_hold_unseen``).
        ``launched_with``: a track its launch event
        saw separating from another (``LaunchEvents.launched_with``: born next to it, which
        the tracker did not see) to the id of that track; it takes that track's launch point
        as a tracker's child does (``_launch_of``), but is otherwise assessed as the newborn
        track it is (a young track's boost hypothesis is its own).
        ``launches``: a track's launch point and time fitted by its tracker from its boost
        (a one-satellite track, ``lookout.tracking.mono``: a launch from the ground fitted to
        its lines of sight), taken as its own rather than flown back from its states; such a
        track's states are known along its satellite's line of sight only to tens of
        kilometres, so its ground points claim no territory as seen overflown (its predicted
        passages are weighed by their probability, as any track's).
        ``unseen_payloads``: a piece alone in a launch event that has seen no payload
        (``LaunchEvents.unseen_payload``) to the time (s) it may have parted from that
        payload; coasting, its fall as a reentry vehicle is the payload's that may have parted
        from it (``impact.unseen_payload``: the separation push carried to now), and its fall
        as a stage, if it may be one, its own."""
        x = np.atleast_2d(np.asarray(x, dtype=float))
        n = x.shape[0]
        P = np.asarray(P, dtype=float).reshape(n, 6, 6)
        t = np.broadcast_to(np.asarray(t, dtype=float), (n,)).copy()
        bp = np.broadcast_to(np.asarray(boost_prob, dtype=float), (n,))
        if len(track_ids) != n:
            raise ValueError(f"track_ids has {len(track_ids)} ids for {n} states")
        boost = bp >= BOOST_THRESHOLD
        coasting = bp <= 1.0 - COAST_CONFIDENCE
        lat, lon, alt = ecef_to_geodetic(x[:, :3])
        vr = einsum("ij,ij->i", x[:, :3], x[:, 3:]) / np.linalg.norm(x[:, :3], axis=1)
        energy = specific_energy(x)
        mems = [self.memory.setdefault(k, TrackMemory()) for k in track_ids]
        if parents:
            for k, m in zip(track_ids, mems, strict=True):
                if m.parent is None and parents.get(k) not in (None, k):
                    m.parent = parents[k]
        if launches:
            for k, m in zip(track_ids, mems, strict=True):
                if k in launches:
                    m.launch = launches[k]
                    m.launch_fitted = True
                    m.launch_stale = False
        for i, m in enumerate(mems):
            if m.launch_fitted and m.sure_t is None:
                if np.linalg.eigvalsh(P[i, :3, :3])[-1] <= SURE_POSITION_SIGMA_M**2:
                    m.sure_t = float(t[i])
        if launched_with:
            for k, m in zip(track_ids, mems, strict=True):
                if m.launched_with is None and launched_with.get(k) not in (None, k):
                    m.launched_with = launched_with[k]
        # A track never seen in its burn, climbing below the lowest burnout, or climbing while
        # its tracker still tests its boost hypothesis (``YOUNG_TRACK_S``): still burning.
        up = x[:, :3] / np.linalg.norm(x[:, :3], axis=1, keepdims=True)
        sig_vr = np.sqrt(einsum("ni,nij,nj->n", up, P[:, 3:6, 3:6], up))
        rising = vr > -norm.ppf(COAST_CONFIDENCE) * sig_vr
        low = alt < BURNOUT_FLOOR_M
        young = np.zeros(n, dtype=bool)
        for i, m in enumerate(mems):
            young[i] = (
                (not m.ground_t or t[i] - m.ground_t[0] < YOUNG_TRACK_S)
                and bp[i] >= MODE_FLOOR
                and m.parent is None
            )
            if coasting[i] and rising[i] and (low[i] or young[i]):
                coasting[i] = m.seen_boost
        for i, m in enumerate(mems):
            mode = "boost" if boost[i] else ("coast" if coasting[i] else None)
            self._remember(m, t[i], x[i], P[i], mode, energy[i], alt[i], vr[i], young[i])
            manoeuvre_kind.observe(m.lift, t[i], x[i], P[i], bool(boost[i]))  # lift seen
            m.ground_t.append(float(t[i]))
            m.ground_lat.append(float(lat[i]))
            m.ground_lon.append(float(lon[i]))
        self._update_launch_points(mems)

        orbital, orbit = orbits(x)
        orbital &= ~boost
        # Orbit within the state's uncertainty: not claimed to come down (neither an impact
        # nor an instantaneous impact point, nor the territories under its way there) until
        # the track's own evidence says it is suborbital (``ORBIT_CONFIDENCE``).
        may_orbit = ~orbital & orbit_within(x, P, math.sqrt(chi2.ppf(ORBIT_CONFIDENCE, 6)))
        fly = np.flatnonzero(~orbital & ~may_orbit)
        if impacts is not None:
            impacts = impacts.take(fly)
        elif fly.size:
            impacts = predict_impacts(t[fly], x[fly], P[fly], self.prior)
        no_lift = set(no_lift) | set(stages)  # a tumbling motor case has no lift
        odds = {k: min(float(p), TYPED_STAGE_PROB) for k, p in (stage_probs or {}).items()}
        odds |= dict.fromkeys(stages, TYPED_STAGE_PROB)
        pushed: set[str] = set()
        if unseen_payloads and fly.size:
            k_alone = np.array([j for j, i in enumerate(fly.tolist())
                                if track_ids[i] in unseen_payloads and coasting[i]
                                and t[i] > unseen_payloads[track_ids[i]]], dtype=int)  # fmt: skip
            if k_alone.size:
                rows = fly[k_alone]
                t_sep = np.array([unseen_payloads[track_ids[i]] for i in rows.tolist()])
                xp, Pp = unseen_payload(t[rows], x[rows], P[rows], t_sep)
                # The piece's own reach (a lifting body's manoeuvres), if flown, is kept.
                reach = None if impacts.reach is None else [r[k_alone] for r in impacts.reach]
                impacts.put(k_alone, predict_impacts(t[rows], xp, Pp, self.prior))
                for r, kept in zip(impacts.reach or (), reach or (), strict=False):
                    r[k_alone] = kept
                pushed = {track_ids[i] for i in rows.tolist()}
        if odds and fly.size:
            w = np.array([odds.get(track_ids[i], 0.0) for i in fly])
            tumbling = np.flatnonzero(w > 0.0)
            if tumbling.size:
                rows = fly[tumbling]
                stage = predict_impacts(t[rows], x[rows], P[rows], self.stage_prior)
                impacts.put(tumbling, impacts.take(tumbling).mixed_with(stage, w[tumbling]))
        if last_seen is not None and fly.size:
            self._hold_unseen(fly, impacts, mems, coasting, alt, last_seen, track_ids, odds,
                              pushed)  # fmt: skip
        row = {int(i): k for k, i in enumerate(fly)}

        out, nominals, glide = [], [], []
        for i, m in enumerate(mems):
            phase = (
                "boost"
                if boost[i]
                else ("reentry" if vr[i] < 0 and alt[i] < REENTRY_ALTITUDE_M else "coast")
            )
            a = Assessment(
                t=float(t[i]),
                track_id=track_ids[i],
                state=x[i].copy(),
                covariance=P[i].copy(),
                phase=phase,
                boost_prob=float(bp[i]),
                burnout_time=m.burnout_time,
                orbital=bool(orbital[i]),
                orbit=orbit[i] if orbital[i] else None,
            )
            if m.launch is not None and np.isfinite(m.launch.lat[0]):
                le = m.launch
                a.launch_lat, a.launch_lon = float(le.lat[0]), float(le.lon[0])
                a.launch_ellipse = ellipse_from_cov(le.cov_en[0])
                a.launch_time, a.launch_time_sigma = float(le.t[0]), float(le.t_sigma[0])
                a.launch_method = le.method
            nominal = None
            if i in row and np.isfinite(impacts.lat[row[i]]):
                k = row[i]
                a.impact_kind = "predicted" if coasting[i] else "iip"
                a.impact_lat, a.impact_lon = float(impacts.lat[k]), float(impacts.lon[k])
                a.impact_time = float(impacts.t[k])
                a.impact_time_sigma = float(impacts.t_sigma[k])
                a.impact_ellipse = impacts.ellipse(k)
                a.impact_complete = bool(impacts.complete[k])
                a.impact_down_weight = float(impacts.down[k])
                if not coasting[i]:  # the instantaneous impact point's, a point not a claim
                    a.impact_area = self.outlines.area_at(a.impact_lat, a.impact_lon)
                nominal = impacts.nominal[k]
            self._apogee(a, m, alt[i], vr[i], nominal)
            self._ranges(a, m, energy[i], boost[i], coasting[i])
            self._flight_type(a, m)
            if (
                a.impact_kind == "predicted"
                and track_ids[i] not in no_lift
                and manoeuvre_kind.capable(m.lift, a.apogee_m, alt[i], a.phase == "boost")
            ):
                glide.append(i)
            nominals.append(nominal)
            out.append(a)
        reach = self._reach(t, x, glide, impacts, row)
        # The regions whose areas are weighed (``_impact_area``), all in one call.
        asked: dict[int, tuple] = {}
        for i, (a, m) in enumerate(zip(out, mems, strict=True)):
            if i in reach:
                asked[i] = self._footprint(a, m, impacts.cov_en[row[i]], reach[i])
            elif a.impact_kind == "predicted":
                asked[i] = (a.impact_lat, a.impact_lon, impacts.cov_en[row[i]])
        shares = self.outlines.area_shares_many(*zip(*asked.values(), strict=True)) if asked else []
        for i, got in zip(asked, shares, strict=True):
            self._impact_area(out[i], mems[i], got)
        # The ground tracks' new points, flown and predicted: their land looked up in one call
        # (``Territories.land_at`` answers each point on its own).
        points = [self._overflight_points(a, m, nominals[i]) for i, (a, m) in
                  enumerate(zip(out, mems, strict=True))]  # fmt: skip
        pos = [p[1][1] for p in points if p[1] is not None]
        if pos:
            la, lo, _ = ecef_to_geodetic(np.concatenate(pos))
            cut = np.cumsum([len(q) for q in pos])[:-1]
            geo = iter(zip(np.split(la, cut), np.split(lo, cut), strict=True))
            points = [(new, None if pr is None else (pr[0], pr[1], *next(geo)))
                      for new, pr in points]  # fmt: skip
        parts = [q for new, pr in points for q in (new[4:6], pr[2:4] if pr else (_E, _E))]
        sizes = [len(q[0]) for q in parts]
        codes = self.outlines.land_at(
            np.concatenate([_E, *(q[0] for q in parts)]),
            np.concatenate([_E, *(q[1] for q in parts)]),
        )
        codes = np.split(codes, np.cumsum(sizes)[:-1])
        for i, (a, m) in enumerate(zip(out, mems, strict=True)):
            self._overflights(a, m, points[i], codes[2 * i], codes[2 * i + 1])
        return out

    @staticmethod
    def _hold_unseen(
        fly, impacts, mems, coasting, alt, last_seen, track_ids, odds, pushed=frozenset()
    ) -> None:
        """A coasting track not seen since a prediction flown from above the air keeps it:
        ``impacts`` (of the tracks ``fly``) takes, for each, the impact last predicted from a
        state of it above ``REENTRY_ALTITUDE_M`` (``alt``) with the same last detection
        (``last_seen``), the same stage odds and the same payload (its own, or an unseen one,
        ``pushed``); a prediction from such a state is kept for the
        next. Above the air no track has measured its drag (under 0.03 m/s² at 100 km for the
        catalogue's bodies, 1e-3 for a reentry vehicle: centimetres to a metre over a radar's
        arc): the drag coefficient its tracker carries into the air unseen is its prior (the
        burning stack's at burnout, 70 % of itself), and the state it reports there, carried on
        by that drag alone, has that drag's linearised spread (velocity sigmas of kilometres
        per second near the ground), whose sigma points fly off every flight the assessor's own
        prior allows: gen-world-43-05's ICBM-1, lost to the radars' horizon at 120 km, its last
        prediction 2.7 s before impact 36 km off and 53 s late (flown from above the air, 0.6
        km). A track seen in the air has had its drag measured, and its tracker's prediction on
        from there is kept to: hgv's glider, seen to 5 km, its drag coefficient to 7 %, came
        down 10 km off from its last state seen and 0.7 km from the tracker's 10 s later."""
        for k, i in enumerate(fly.tolist()):
            m = mems[i]
            s = last_seen[i]
            s = np.nan if s is None else float(s)
            if not coasting[i] or not np.isfinite(s):
                m.held_impact = None
                continue
            key = (s, float(odds.get(track_ids[i], 0.0)), track_ids[i] in pushed)
            held = m.held_impact
            if held is not None and held[0] == key and np.isfinite(held[1].lat[0]):
                impacts.put(np.array([k]), held[1], keep_reach=True)
            elif alt[i] >= REENTRY_ALTITUDE_M:
                m.held_impact = (key, impacts.take(np.array([k])))
            else:
                m.held_impact = None

    @staticmethod
    def _remember(
        m: TrackMemory, t, x, P, mode: str | None, energy, alt, vr, young: bool = False
    ) -> None:
        """``mode``: "boost", "coast" (known to coast, ``COAST_CONFIDENCE``) or None (thrust
        may not have ended: nothing of its burn or its flight back is taken from it).
        ``young``: its tracker still tests the boost hypothesis it was born with
        (``YOUNG_TRACK_S``, above ``MODE_FLOOR``): its coast state is not flown back."""
        if mode == "boost":
            m.seen_boost = True
            if len(m.boost_states) < LAUNCH_STATES:
                m.boost_states.append((t, x.copy(), P.copy()))
                m.launch_stale = True
        elif mode == "coast" and not m.boost_states and not young and not m.seen_upper:
            # Never seen boosting, or no boost state known to climb (a track confirmed late
            # in the burn, ``launch_from_boost``), nor seen burning as an upper stage
            # (``UPPER_BURN_S``): the launch point comes from flying a coast state back; the
            # first is the nearest the launch, a later one the better known: both are tried.
            if m.first_state is None:
                m.first_state = (t, x.copy(), P.copy())
            if t - m.first_state[0] <= COAST_LAUNCH_WINDOW_S:
                m.coast_latest = (t, x.copy(), P.copy())
                m.launch_stale = True
        if mode == "coast" and m.burnout_energy is None:
            m.burnout_energy = float(energy)
            if m.seen_boost:
                m.burnout_time = float(t)
        m.max_alt = max(m.max_alt, float(alt))
        m.descending = m.descending or (vr < 0 and m.max_alt > alt)
        if vr >= 0:
            m.t_climbing = float(t)
        elif m.t_descending is None:
            m.t_descending = float(t)

    def _update_launch_points(self, mems: list[TrackMemory]) -> None:
        # A piece that separated from a track was launched with it: its own earliest states
        # (a spent stage's coast flown back misses the boost it rode, a stage lit at altitude
        # is no rocket rising from the ground) say less of the launch than its parent's.
        # Measured on a generated space launch: the second stage's track, born at its
        # separation at 415 s, flown back 355 km from the site (a phantom launch, and a false
        # overflight of the launching state's neighbour).
        child = [m for m in mems if _elder(m) is not None]
        mems = [m for m in mems if _elder(m) is None and not m.launch_fitted]
        stale = [m for m in mems if m.launch_stale]
        boosted = [m for m in stale if m.boost_states]
        if boosted:
            ts, xs, Ps, owner = [], [], [], []
            for j, m in enumerate(boosted):
                for tb, xb, Pb in m.boost_states:
                    ts.append(tb)
                    xs.append(xb)
                    Ps.append(Pb)
                    owner.append(j)
            est = launch_from_boost(np.array(ts), np.array(xs), np.array(Ps))
            owner = np.array(owner)
            size = np.trace(est.cov_en, axis1=1, axis2=2)
            size = np.where(np.isfinite(size), size, np.inf)  # no point from that state
            t_sig = np.where(np.isfinite(est.t_sigma), est.t_sigma, np.inf)
            refused = np.flatnonzero(~np.isfinite(size))
            high = np.zeros(len(ts), dtype=bool)
            if refused.size:
                high[refused] = lit_high_up(np.array(xs)[refused], np.array(Ps)[refused])
            for j, m in enumerate(boosted):
                # A state that gives no launch point (``launch_from_boost``: not known to be
                # climbing) frees its place for a later, better known one.
                rows = np.flatnonzero(owner == j)
                for r in rows[high[rows]].tolist():
                    m.upper_since = ts[r] if m.upper_since is None else min(m.upper_since, ts[r])
                    m.seen_upper |= bool(ts[r] - m.upper_since >= UPPER_BURN_S - 1e-6)
                usable = np.isfinite(size[rows])
                m.boost_states = [st for st, ok in zip(m.boost_states, usable, strict=True) if ok]
                if not usable.any():
                    continue
                rows = rows[usable]
                # The sharpest point and the sharpest time may come from different states.
                b = rows[np.argmin(size[rows])]
                bt = rows[np.argmin(t_sig[rows])]
                fresh = _take(est, b)
                fresh.t[0], fresh.t_sigma[0] = est.t[bt], est.t_sigma[bt]
                m.launch = _keep_finite(m.launch, fresh)
        coasted = [
            m
            for m in stale
            if not m.boost_states and m.first_state is not None and not m.seen_upper
        ]
        if coasted:
            cands = [(j, st) for j, m in enumerate(coasted)
                     for st in (m.first_state, m.coast_latest) if st is not None]  # fmt: skip
            kept = [coasted[j].first_flights if st is coasted[j].first_state else None
                    for j, st in cands]  # fmt: skip
            est = launch_from_coast(
                np.array([st[0] for _, st in cands]),
                np.array([st[1] for _, st in cands]),
                np.array([st[2] for _, st in cands]),
                self.prior,
                kept,
            )
            for (j, st), k in zip(cands, kept, strict=True):
                if st is coasted[j].first_state:
                    coasted[j].first_flights = k
            owner = np.array([j for j, _ in cands])
            size = np.trace(est.cov_en, axis1=1, axis2=2)
            size = np.where(np.isfinite(size), size, np.inf)
            for j, m in enumerate(coasted):
                rows = np.flatnonzero(owner == j)
                m.launch = _keep_finite(m.launch, _take(est, rows[np.argmin(size[rows])]))
        for m in stale:
            m.launch_stale = False
        for m in child:
            m.launch = self._launch_of(m)

    def _launch_of(self, m: TrackMemory) -> LaunchEstimate | None:
        """The launch estimate of the first track of ``m``'s line of parents (``_elder``;
        ``m`` itself without one); None while that track has none or has not been assessed."""
        seen = set()
        while (k := _elder(m)) is not None and k not in seen:
            seen.add(k)
            up = self.memory.get(k)
            if up is None:
                return None
            m = up
        return m.launch

    @staticmethod
    def _apogee(a: Assessment, m: TrackMemory, alt, vr, nominal) -> None:
        """On the way up, the apogee predicted; on the way down, the highest point seen if the
        track was seen across it, else the apogee it predicted last on the way up (a lofted
        missile unseen for an hour round its apogee: its highest state seen is the last before
        the gap, 2,000 km short of it)."""
        if a.phase == "boost":
            return
        if m.descending or vr < 0:
            gap = (
                m.t_climbing is not None
                and m.t_descending is not None
                and m.t_descending - m.t_climbing > APOGEE_GAP_S
            )
            if gap and m.apogee_predicted is not None and m.apogee_predicted > m.max_alt:
                a.apogee_m, a.apogee_observed = m.apogee_predicted, False
            else:
                a.apogee_m, a.apogee_observed = float(m.max_alt), bool(m.descending)
            return
        ev = nominal.event("apogee") if nominal is not None else None
        if ev is not None:
            a.apogee_m = float(ecef_to_geodetic(ev.pos)[2])
            m.apogee_predicted = a.apogee_m

    def _reach(self, t, x, glide: list[int], impacts, row) -> dict[int, tuple]:
        """The reach impacts (``footprint.reach_impacts``) of the tracks ``glide`` (indices of
        this update) able to manoeuvre: from ``impacts.reach`` where a replay flew them in its
        batches, the others flown here in one batch (one integration for all of them)."""
        out: dict[int, tuple] = {}
        todo = []
        for i in glide:
            k = row[i]
            got = None if impacts.reach is None else tuple(r[k] for r in impacts.reach)
            if got is None or not np.isfinite(got[0]).any():
                todo.append(i)
            else:
                out[i] = got
        if todo:
            hold, start = footprint.hold_altitudes(x[todo], [impacts.nominal[row[i]] for i in todo])
            got = footprint.reach_impacts(t[todo], x[todo], hold, start, self.prior)
            for j, i in enumerate(todo):
                out[i] = tuple(r[j] for r in got)
        return {i: r for i, r in out.items() if np.isfinite(r[0]).any()}

    @staticmethod
    def _footprint(a: Assessment, m: TrackMemory, cov_en: np.ndarray, reach: tuple) -> tuple:
        """Widen the impact of a track able to manoeuvre (lift seen, or a flight low enough for
        lift to act all along: ``manoeuvre.capable``) to its reachable footprint
        (``footprint.widen``) from its ``reach`` impacts (``_reach``).

        The area of the impact of a flight flown as lifting bodies fly
        (``manoeuvre.lift_shaped``) is the footprint's (``_impact_area``): where it comes down
        within it is its guidance's choice. A higher flight is taken for a ballistic missile
        until it manoeuvres: its area is its ballistic prediction's (srbm-salvo's SRBM-1, 85-90
        km up, had its footprint over North and South Korea's EEZs for two minutes after
        burnout, its ballistic 95 % region in North Korea's from the first prediction).
        Returns the region weighed for its area: ``(lat, lon, cov)``."""
        lat0, lon0 = a.impact_lat, a.impact_lon
        a.impact_lat, a.impact_lon, cov, a.impact_time, a.impact_time_sigma = footprint.widen(
            a.impact_lat, a.impact_lon, cov_en, a.impact_time, a.impact_time_sigma, *reach
        )
        a.impact_ellipse = ellipse_from_cov(cov)
        a.manoeuvre_footprint = True
        if manoeuvre_kind.lift_shaped(m.lift, a.apogee_m):
            return a.impact_lat, a.impact_lon, cov
        return lat0, lon0, cov_en

    @staticmethod
    def _impact_area(a: Assessment, m: TrackMemory, shares: list[tuple[Area, float]]) -> None:
        """The area of a predicted impact whose 95 % region covers the areas ``shares``
        (``Territories.area_shares`` of the region, ``_footprint``'s or the ballistic
        prediction's): the one holding its region (``IMPACT_AREA_PROB``), kept
        once named while the region holds it more likely than not
        (``IMPACT_AREA_KEEP_PROB``), or none yet; and the areas the region covers with their
        shares (``Assessment.impact_areas``).

        Where an impact whose region spans two areas comes down is not known, and the centre
        of the region does not tell: a ballistic missile aimed next to a boundary has its
        predicted centre on either side at random (mass-raid's four flights aimed 2 km from the
        Russian-Japanese EEZ line, their centres 0.4-52 km on the Japanese side), and a
        lifting body's impact is its guidance's choice within its footprint (kn23-pullup's
        second missile, whose ballistic impact and nearest reach lay in North Korea's EEZ and
        its glide in Russia's, had the footprint's centre in North Korea's for 160 s and came
        down in Russia's)."""
        a.impact_areas = shares
        top = a.impact_areas[0] if a.impact_areas else None
        if top is None or top[1] < IMPACT_AREA_PROB:
            m.impact_area_held = None
        elif m.impact_area_held is None or m.impact_area_held[0] != (top[0].code or ""):
            m.impact_area_held = (top[0].code or "", a.t)
        # Held at one look is not yet named: the next must hold it too (IMPACT_AREA_CONFIRM_S).
        held = m.impact_area_held
        confirmed = held is not None and a.t - held[1] >= IMPACT_AREA_CONFIRM_S - 1e-6
        if held is not None and not confirmed:
            a.look_again_t = held[1] + IMPACT_AREA_CONFIRM_S
        a.impact_area = m.impact_area = named_area(
            a.impact_areas,
            IMPACT_AREA_PROB if confirmed else math.inf,
            keep=m.impact_area,
            keep_prob=IMPACT_AREA_KEEP_PROB,
        )

    def _flight_type(self, a: Assessment, m: TrackMemory) -> None:
        """The flight's type (``lookout.assess.manoeuvre.flight_type``), kept once given."""
        sea = 0.0
        if a.launch_lat is not None:
            cov = a.launch_ellipse.cov_en if a.launch_ellipse is not None else None
            m.sea_memo = _memo(m.sea_memo, _launch_key(a.launch_lat, a.launch_lon, cov),
                               lambda: manoeuvre_kind.sea_launch_probability(
                                   self.outlines, a.launch_lat, a.launch_lon, cov))  # fmt: skip
            sea = m.sea_memo[1]
        label = manoeuvre_kind.flight_type(m.lift, a.apogee_m, a.range_m, a.lofted, sea)
        if label is not None and a.phase != "boost":
            m.vehicle_type = manoeuvre_kind.merge_types(m.vehicle_type, label)
        a.vehicle_type = m.vehicle_type

    @staticmethod
    def _ranges(a: Assessment, m: TrackMemory, energy, boost, coasting) -> None:
        if a.launch_lat is not None and a.impact_lat is not None:
            a.range_m = float(
                geodesic_inverse(a.launch_lat, a.launch_lon, a.impact_lat, a.impact_lon)[0]
            )
        if boost:
            return
        if not coasting:
            a.vehicle_class = m.vehicle_class  # thrust may not have ended: the last class
            return
        e = m.burnout_energy if m.burnout_energy is not None else float(energy)
        a.equivalent_range_m = float(equivalent_range(e))
        if a.orbital:
            m.vehicle_class = None
            return
        if a.range_m is None:
            a.vehicle_class = m.vehicle_class  # the last class given, for want of a range
            return
        a.lofted = bool(a.apogee_m is not None and is_lofted(a.apogee_m, a.range_m))
        a.vehicle_class = range_class(a.equivalent_range_m if a.lofted else a.range_m)
        m.vehicle_class = a.vehicle_class

    @staticmethod
    def _overflight_points(a: Assessment, m: TrackMemory, nominal) -> tuple:
        """The points of ``_overflights``' ground track whose land is not known yet: the flown
        ground track's new points (``_ground_track_new``) and the predicted one's times and
        positions (ECEF, m), or None; ``update`` adds the predicted points' latitudes and
        longitudes."""
        pred = None
        if nominal is not None and nominal.t.size > 1:
            tq = np.arange(a.t + GROUND_TRACK_DT_S, nominal.t_end, GROUND_TRACK_DT_S)
            tq = np.append(tq, nominal.t_end)
            pred = (tq, nominal.state_at(tq)[:, :3])
        return Assessor._ground_track_new(a, m), pred

    def _overflights(self, a: Assessment, m: TrackMemory, points, new_codes, pred_codes) -> None:
        """``points``: ``_overflight_points``, with the predicted points' (lat, lon);
        ``new_codes``, ``pred_codes``: the land under the new and the predicted points."""
        new, predicted = points
        ts, lats, lons, codes = self._ground_track_join(m, new, new_codes)
        ts, lats, lons, codes = list(ts), list(lats), list(lons), list(codes)
        pred = [False] * len(ts)
        rad = np.full(len(ts), R_MEAN)
        if predicted is not None:
            tq, pos, la, lo = predicted
            rad = np.append(rad, np.linalg.norm(pos, axis=1))
            ts += list(tq)
            lats += list(la)
            lons += list(lo)
            codes += list(pred_codes)
            pred += [True] * tq.size
        passages = self.outlines.overflights(
            np.array(ts), np.array(lats), np.array(lons), np.array(pred),
            codes=np.array(codes, dtype=object),
        )  # fmt: skip
        # The launching state, from the launch point's ellipse (``launching_state``), kept
        # until another holds most of a later ellipse.
        if a.launch_lat is not None:
            cov = a.launch_ellipse.cov_en if a.launch_ellipse is not None else None
            m.state_memo = _memo(m.state_memo, _launch_key(a.launch_lat, a.launch_lon, cov),
                                 lambda: self.outlines.launching_state(
                                     a.launch_lat, a.launch_lon, cov))  # fmt: skip
            code, p = m.state_memo[1]
            if p >= LAUNCH_STATE_PROB:
                m.launch_territory = code
        a.launch_territory = m.launch_territory
        # The land the flight starts from is where it was launched, not a territory overflown:
        # neither the launching state at the start of the ground track nor a neighbour that
        # only the launch point's error puts under its first point.
        while passages and (passages[0].t_enter <= ts[0] or passages[0].code == a.launch_territory):
            passages.pop(0)
        if m.launch_fitted:
            passages = [
                p for p in passages if p.predicted or _sure_seen(m, p, ts, pred, codes).size
            ]
        a.overflown = self._claimed(a, m, passages, ts, lats, lons, codes, pred, rad)

    def _claimed(self, a: Assessment, m: TrackMemory, passages, ts, lats, lons, codes, pred, rad):
        """Of ``passages``, those claimed: every passage over land already under the track, and
        a predicted one when the ground track is over that land with ``OVERFLIGHT_PROB``
        somewhere along it (``overflight_probability``) at two looks ``IMPACT_AREA_CONFIRM_S``
        or more apart, as an impact area is named, and at least ``OVERFLIGHT_KEEP_PROB`` at the
        looks between (the look that confirms is asked for, ``Assessment.look_again_t``); kept
        while at least ``OVERFLIGHT_KEEP_PROB`` for a territory claimed at the last update.

        Measured on generated gen-middle-east-59-03 (issue 13): an MRBM coming down in the
        West Bank 4.5 km from Israel's land had Israel claimed at one look (its ground track's
        end over Israel at 95 % across the track, coast NEES in bounds 0.81) between two, 5 s
        either side, that did not (their impact regions 0.76 in Israel, then 0.85 in the West
        Bank)."""
        if not any(p.predicted for p in passages):
            m.overflight_claimed = frozenset()
            m.overflight_held = {}
            return passages
        ts, codes, pred = np.asarray(ts), np.asarray(codes, dtype=object), np.asarray(pred)
        lats, lons = np.asarray(lats), np.asarray(lons)
        seen, running, prob = [], [], {}
        for p in passages:
            on = np.flatnonzero((ts >= p.t_enter) & (ts <= p.t_exit) & (codes == p.code))
            if m.launch_fitted:
                # Its ground points are no evidence (``update``'s ``launches``) until its
                # position is known (``sure_t``), nor its predicted passages, which start
                # from them: the ground track's spread across itself is all this weighs,
                # and the track's own position is off along the line of sight by tens to
                # a hundred kilometres, its velocity by a km/s (world59 #03's IRBM, coasting
                # on its one-satellite fit, its ground point 105 km into Kazakhstan's
                # neighbour and 2.5 km/s off, claimed Russia: the flight never went back).
                if _sure_seen(m, p, ts, pred, codes).size:
                    seen.append(p)
                    continue
                on = on[pred[on]]
                if on.size == 0 or m.sure_t is None:
                    continue
            elif not pred[on].all():
                seen.append(p)
                continue
            if p.code not in prob:
                prob[p.code] = 0.0
            if prob[p.code] >= OVERFLIGHT_PROB:
                running.append((p, prob[p.code]))
                continue
            here = overflight_probability(
                self.outlines, a.t, a.state, a.covariance, ts, lats, lons, rad, on, p.code,
                thrusting=a.impact_kind == "iip",
            )  # fmt: skip
            if a.impact_ellipse is not None and pred[-1]:
                # Passed over only if the flight gets there, which the spread of the impact
                # (or of the instantaneous impact point: thrust only carries the true one
                # farther, so its reach is a lower bound of the flight's) along the track
                # weighs.
                here *= reach_probability(lats, lons, on[0], a.impact_ellipse.cov_en)
            prob[p.code] = max(prob[p.code], here)
            running.append((p, prob[p.code]))
        # Held at one look is not yet claimed: a look IMPACT_AREA_CONFIRM_S later must hold it
        # too, the looks between not below OVERFLIGHT_KEEP_PROB (which would drop a claim).
        m.overflight_held = {
            c: m.overflight_held[c] if c in m.overflight_held else a.t
            for c, v in prob.items()
            if c not in m.overflight_claimed
            and v >= (OVERFLIGHT_KEEP_PROB if c in m.overflight_held else OVERFLIGHT_PROB)
        }
        chosen = {id(p) for p in seen}
        for p, v in running:
            if p.code in m.overflight_claimed:
                ok = v >= OVERFLIGHT_KEEP_PROB
            elif v >= OVERFLIGHT_PROB:
                again = m.overflight_held[p.code] + IMPACT_AREA_CONFIRM_S
                ok = a.t >= again - 1e-6
                if not ok:
                    a.look_again_t = again if a.look_again_t is None else min(again, a.look_again_t)
            else:
                ok = False
            if ok:
                chosen.add(id(p))
        out = [p for p in passages if id(p) in chosen]
        m.overflight_claimed = frozenset(p.code for p in out if p.predicted)
        return out

    def _ground_track(self, a: Assessment, m: TrackMemory):
        """``_ground_track_new`` then ``_ground_track_join``: the ground track flown so far
        with the land under each point."""
        new = self._ground_track_new(a, m)
        return self._ground_track_join(m, new, self.outlines.land_at(new[4], new[5]))

    @staticmethod
    def _ground_track_new(a: Assessment, m: TrackMemory) -> tuple:
        """The ground track flown so far (from the launch point when it is known to be earlier
        than the first update), densified (``_densify_track``), with the land under each point:
        ``(t, lat, lon, codes)``. Every point depends only on the two updates it lies between,
        so the segments of earlier calls are kept (``TrackMemory.ground_dense``) and only the
        segments since are computed: the same points, not a track's whole past at every
        update. Here the new points, ``(head_key, n_raw, kept, t, lat, lon)``: the land under
        them is looked up by the caller (``update``, for every track at once), then
        ``_ground_track_join``."""
        head = None
        # The ground between the launch point and the first update is taken as flown (a great
        # circle between them) only from the track's own boost, seen from its first seconds: a
        # track that started coasting (its launch point flown back) or a piece that separated
        # (its parent's launch point) was unseen over it for minutes, when the Earth turns
        # under a ballistic flight's path and a great circle between its ends is not its ground
        # track. Measured on generated gen-11-01: a lofted ICBM's reentry vehicle seen first on
        # the way down, 2,300 s after its launch: the great circle from its launch point, 7 km
        # from the truth's point, to its first state crossed Korea's land, which the truth's
        # ground track misses by 7 km, and was claimed as seen.
        own_boost = a.launch_method == "boost" and _elder(m) is None
        if own_boost and a.launch_lat is not None and a.launch_time is not None:
            if a.launch_time < m.ground_t[0]:
                head = np.array([a.launch_time, a.launch_lat, a.launch_lon], dtype=float)
        n_raw = len(m.ground_t) + (head is not None)
        kept = m.ground_dense
        head_key = None if head is None else head.tobytes()
        if kept is None or kept.head_key != head_key or kept.n_raw > n_raw:
            kept = DenseGroundTrack.empty(head_key)
        skip = max(kept.n_raw - 1, 0)  # raw points whose outgoing segments are kept
        g = max(skip - (head is not None), 0)
        cols = [m.ground_t[g:], m.ground_lat[g:], m.ground_lon[g:]]
        if head is not None and skip == 0:
            cols = [[float(v), *c] for v, c in zip(head, cols, strict=True)]
        nt, nla, nlo = _densify_track(*(np.array(c, dtype=float) for c in cols))
        return head_key, n_raw, kept, nt, nla, nlo

    @staticmethod
    def _ground_track_join(m: TrackMemory, new: tuple, new_codes: np.ndarray):
        """The ground track ``(t, lat, lon, codes)``: the kept points and the new ones
        (``_ground_track_new``) with ``new_codes``, the land under them; the track kept."""
        head_key, n_raw, kept, nt, nla, nlo = new
        ts, lats, lons = (
            np.concatenate(p) for p in ((kept.t, nt), (kept.lat, nla), (kept.lon, nlo))
        )
        codes = np.concatenate([kept.codes, new_codes])
        m.ground_dense = DenseGroundTrack(
            head_key, n_raw, ts[:-1], lats[:-1], lons[:-1], codes[:-1]
        )
        return ts, lats, lons, codes


def cross_track_sigma(t0: float, x: np.ndarray, P: np.ndarray, t: np.ndarray, r: np.ndarray):
    """The standard deviation (m, on the ground) across its track of a coasting object's ground
    track at times ``t`` (s), flown from state ``x`` (6,) ECEF with covariance ``P`` at ``t0``,
    ``r`` (m) its distance from the Earth's centre then (the nominal's). Out of its plane of
    flight (inertial) an object in a central field swings as a harmonic oscillator of
    frequency ``sqrt(GM / r³)``: ``z(τ) = z₀ cos ωτ + ż₀ sin(ωτ) / ω``, linear in the state's
    error, so its variance is the state covariance's along that gradient; the angle it makes
    at the centre is carried to the ground. Drag, which acts along the velocity, and the
    change of radius along the path are left out (the out-of-plane swing's frequency is taken
    at the start)."""
    pos, vel = x[:3], x[3:6]
    w_e = np.array([0.0, 0.0, OMEGA_EARTH])
    v_in = vel + np.cross(w_e, pos)
    n = np.cross(pos, v_in)
    n_norm = np.linalg.norm(n)
    if not n_norm > 0:
        return np.full(np.shape(t), np.inf)
    n = n / n_norm
    omega = math.sqrt(GM_EARTH / float(np.linalg.norm(pos)) ** 3)
    tau = np.asarray(t, dtype=float) - t0
    c, s = np.cos(omega * tau), np.sin(omega * tau) / omega
    # z0 = n·δr; ż0 = n·(δv + ω_e × δr) = n·δv + (n × ω_e)·δr (the inertial velocity's error).
    g = np.concatenate([c[:, None] * n + s[:, None] * np.cross(n, w_e), s[:, None] * n], axis=1)
    var = einsum("ki,ij,kj->k", g, P[:6, :6], g)
    return np.sqrt(np.maximum(var, 0.0)) * R_MEAN / np.asarray(r, dtype=float)


def overflight_probability(
    outlines: Territories, t0, x, P, ts, lats, lons, rad, on, code, *, thrusting: bool = False
) -> float:
    """The probability that a predicted ground track (``ts``, ``lats``, ``lons``; ``rad`` the
    nominal's distance from the Earth's centre, m) whose points ``on`` lie over ``code``'s
    land truly passes over it: at each of those points (at most ``OVERFLIGHT_POINTS``,
    evenly), the share on that land of the ground track's spread across the track
    (``cross_track_sigma``, ``Territories.cross_track_share``), the largest of them (the land
    under one point: a lower bound of passing over it anywhere, for a path sure to get that
    far; how far it gets is weighed apart, ``reach_probability``).

    ``thrusting``: the track may still burn, and the path is its instantaneous impact point's,
    which the flight follows only if thrust stops now. Thrust along the plane of flight keeps
    the path's points in space but reaches each sooner, over ground the Earth has turned less
    under (``thrust_shift``), and thrust along the velocity over the ground turns the plane
    (``plane_turn_m``): each point's share is the smallest of the path's and of the paths moved
    across by either or both at their bounds, which hold the flight's between them (the share
    of one stretch of land under a Gaussian is unimodal in its offset)."""
    if on.size > OVERFLIGHT_POINTS:
        on = on[np.round(np.linspace(0, on.size - 1, OVERFLIGHT_POINTS)).astype(int)]
    nxt = np.minimum(on + 1, ts.size - 1)
    prv = np.where(nxt == on, on - 1, on)
    _, az = geodesic_inverse(lats[prv], lons[prv], lats[nxt], lons[nxt])
    sig = cross_track_sigma(t0, x, P, ts[on], rad[on])
    if not np.all(np.isfinite(sig)):
        return 0.0
    share = outlines.cross_track_share(lats[on], lons[on], az, sig, code)
    if thrusting:
        # The Earth's turn moves the path east; along the path that only slides it over itself.
        east_m = thrust_shift(t0, x, ts[on], lats[on], lons[on]) * R_MEAN * np.cos(lats[on])
        turn, plane = east_m * np.cos(az), -plane_turn_m(t0, x, ts[on], lats[on], lons[on])
        for off in (turn, plane, turn + plane):
            moved = outlines.cross_track_share(lats[on], lons[on], az, sig, code, offset_m=off)
            share = np.minimum(share, moved)
    return float(share.max())


def _path_angle(t0: float, x: np.ndarray, t: np.ndarray, lat: np.ndarray, lon: np.ndarray):
    """The angle (rad) at the Earth's centre, in the inertial frame that coincides with the
    Earth's at ``t0``, from state ``x``'s position to a path's points (``t`` s, ``lat``,
    ``lon`` rad) as the path reaches them."""
    pos = x[:3]
    tau = np.asarray(t, dtype=float) - t0
    u = geodetic_to_ecef(lat, lon + OMEGA_EARTH * tau, 0.0)
    u = u / np.linalg.norm(u, axis=-1, keepdims=True)
    return np.arccos(np.clip(u @ (pos / np.linalg.norm(pos)), -1.0, 1.0))


def plane_turn_m(t0: float, x: np.ndarray, t: np.ndarray, lat: np.ndarray, lon: np.ndarray):
    """How far (m on the ground, to the left of the flight) a thrusting flight's ground track
    may lie from its instantaneous impact point's path at that path's points (``t`` s,
    ``lat``, ``lon`` rad), flown from state ``x`` (6,) ECEF at ``t0``, by the turn of its plane
    under its thrust. A thrust along the velocity over the ground (the catalogue's gravity
    turn) rather than the inertial one leans out of the plane of flight by ``-(ω × r)·n /
    |v_ground|`` (``n`` the plane's normal, to the left); summed over a burn from the present
    speed to a circular orbit's (the bound of ``thrust_shift``), it turns the plane by
    ``-(ω × r)·n ln(v_circ / |v_ground|) / v_circ`` (the Earth's speed under it taken as now),
    which moves a point at an angle ``θ`` ahead by ``R sin θ`` times that. A thrust between the
    inertial and the ground velocity turns it less, the same way. Measured on generated
    gen-space-71-01 (a launcher from Cape Canaveral to the north-east): 248 s into its flight,
    its instantaneous impact point's path over Luxembourg, its ground track passed 89 km to
    the left, 42 km of them the Earth's turn (``thrust_shift``), the rest its plane's."""
    pos, vel = x[:3], x[3:6]
    spin = np.array([-OMEGA_EARTH * pos[1], OMEGA_EARTH * pos[0], 0.0])  # ω × r
    v_in = vel + spin
    n = np.cross(pos, v_in)
    n_norm, v_ground = float(np.linalg.norm(n)), float(np.linalg.norm(vel))
    r = float(np.linalg.norm(pos))
    v_circ = math.sqrt(GM_EARTH / r)
    if not (n_norm > 0.0 and 0.0 < v_ground < v_circ):
        return np.zeros(np.shape(t))
    turn = -float(spin @ n) / n_norm * math.log(v_circ / v_ground) / v_circ
    return R_MEAN * np.sin(_path_angle(t0, x, t, lat, lon)) * turn


def thrust_shift(t0: float, x: np.ndarray, t: np.ndarray, lat: np.ndarray, lon: np.ndarray):
    """How far east (rad of longitude) a thrusting flight's ground track may lie from its
    instantaneous impact point's path at that path's points (``t`` s, ``lat``, ``lon`` rad),
    flown from state ``x`` (6,) ECEF at ``t0``. Thrust along the plane of flight (inertial)
    carries the flight through the same directions from the Earth's centre as the path, only
    sooner: a point the path reaches at ``τ = t - t0``, at an angle ``θ`` from the present
    position (in the inertial frame), is reached no sooner than at the angular rate of a
    circular orbit at the present radius, ``θ / sqrt(GM / r³)`` (faster, the flight climbs
    away from the Earth into an orbit, which draws no such path), and ground the Earth has
    turned ``ω (τ - θ / n)`` less is under it: the same latitude, that much farther east.
    Measured on gen-world-47-00 (issue 13): a space launcher's third stage 10 s into its burn,
    its instantaneous impact's path over Fiji 1,450 s ahead; it reached those directions 380 s
    sooner and its ground track passed 17 km off Fiji's land. Left out (``plane_turn_m`` is
    the plane's turn): thrust that lofts the flight and reaches a far point later (there 1.2
    km/s along the velocity at once: 116 s later, the path 36 km the other way across; the
    guidance pitched down instead)."""
    r = float(np.linalg.norm(x[:3]))
    tau = np.asarray(t, dtype=float) - t0
    soonest = _path_angle(t0, x, t, lat, lon) / math.sqrt(GM_EARTH / r**3)
    return OMEGA_EARTH * np.maximum(tau - soonest, 0.0)


def reach_probability(lats: np.ndarray, lons: np.ndarray, i: int, cov_en: np.ndarray) -> float:
    """The probability that a coasting flight whose predicted ground track (rad) ends at its
    predicted impact, with that impact's 2-D (east, north) covariance (m²), gets as far as the
    track's point ``i``: the impact's spread along the track's last heading, a Gaussian, beyond
    the distance from that point to the impact. Why (issue 13, mrbm-iran-israel): an MRBM aimed
    21 km short of the Egyptian border had Egypt claimed as overflown at 95 % across the track
    from a prediction whose impact, 95 % ellipse some 60 km long, lay a few km past the border:
    the land under the end of a ground track is where the impact is, in doubt along the track
    as the impact is. Weighed for every passage the prediction has yet to fly, and for an
    instantaneous impact point's path too (mrbm-sejjil-negev's Sejjil, 5 s after burnout at
    0.97 boost probability: its IIP 600 km past the truth's impact, within its 800 km ellipse,
    claimed Egypt 39 km past the truth's ground track): thrust only carries the true IIP
    farther, so the reach of the IIP's spread is a lower bound of the flight's, not the path
    the estimate happens to draw."""
    dist, _ = geodesic_inverse(lats[i], lons[i], lats[-1], lons[-1])
    _, az = geodesic_inverse(lats[-2], lons[-2], lats[-1], lons[-1])
    u = np.array([math.sin(float(az)), math.cos(float(az))])  # (east, north) along the track
    var = float(u @ np.asarray(cov_en, dtype=float) @ u)
    if not var > 0.0:
        return 1.0
    return 0.5 * (1.0 + math.erf(float(dist) / math.sqrt(2.0 * var)))


def _densify_track(t: np.ndarray, lat: np.ndarray, lon: np.ndarray, step_m: float = 10e3):
    """The ground track between track updates, on great circles, every ``step_m`` or closer."""
    if t.size < 2:
        return t, lat, lon
    u = np.stack([np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)], axis=-1)
    ang = np.arccos(np.clip(einsum("ij,ij->i", u[:-1], u[1:]), -1.0, 1.0))
    k = np.maximum(1, np.ceil(ang * 6371e3 / step_m).astype(int))
    seg = np.repeat(np.arange(t.size - 1), k)
    s = (np.arange(k.sum()) - np.repeat(np.cumsum(k) - k, k)) / np.repeat(k, k)
    p = u[seg] * (1 - s)[:, None] + u[seg + 1] * s[:, None]
    p /= np.linalg.norm(p, axis=1, keepdims=True)
    tt = t[seg] + s * (t[seg + 1] - t[seg])
    la = np.append(np.arcsin(p[:, 2]), lat[-1])
    lo = np.append(np.arctan2(p[:, 1], p[:, 0]), lon[-1])
    return np.append(tt, t[-1]), la, lo


def _elder(m: TrackMemory) -> str | None:
    """The track ``m`` was launched with: its tracker parent, else the track its launch
    event saw it separating from; None if neither."""
    return m.parent if m.parent is not None else m.launched_with


def _launch_key(lat: float, lon: float, cov: np.ndarray | None) -> bytes:
    """The exact bits of a launch point and its covariance (a memo's key)."""
    key = np.array([lat, lon], dtype=float).tobytes()
    return key if cov is None else key + np.asarray(cov, dtype=float).tobytes()


def _memo(memo: tuple | None, key: bytes, compute) -> tuple:
    """``(key, answer)``: ``memo`` if it holds ``key``'s answer, else ``compute()``'s."""
    return memo if memo is not None and memo[0] == key else (key, compute())


def _sure_seen(m: TrackMemory, p, ts, pred, codes) -> np.ndarray:
    """The ground points of passage ``p`` that a track with a fitted launch saw since its
    position was known (``TrackMemory.sure_t``): those that claim the passage as seen."""
    if m.sure_t is None:
        return np.zeros(0, dtype=np.int64)
    ts, pred, codes = np.asarray(ts), np.asarray(pred), np.asarray(codes, dtype=object)
    on = (ts >= p.t_enter) & (ts <= p.t_exit) & (codes == p.code)
    return np.flatnonzero(on & ~pred & (ts >= m.sure_t))


def _keep_finite(old: LaunchEstimate | None, new: LaunchEstimate) -> LaunchEstimate:
    """A fresh launch estimate, unless it failed (NaN) where an earlier one did not."""
    if old is not None and np.isfinite(old.lat[0]) and not np.isfinite(new.lat[0]):
        return old
    return new


def _take(est: LaunchEstimate, i: int) -> LaunchEstimate:
    return LaunchEstimate(
        est.lat[i : i + 1],
        est.lon[i : i + 1],
        est.cov_en[i : i + 1],
        est.t[i : i + 1],
        est.t_sigma[i : i + 1],
        est.method,
    )


def assess(
    t: float | np.ndarray,
    x: np.ndarray,
    P: np.ndarray,
    boost_prob: np.ndarray,
    track_ids: list[str] | None = None,
    prior: BallisticPrior | None = None,
) -> list[Assessment]:
    """Assess N tracks from one update alone (no memory: the launch point comes from these
    states). See :meth:`Assessor.update` for the arguments."""
    n = np.atleast_2d(x).shape[0]
    ids = track_ids if track_ids is not None else [str(i) for i in range(n)]
    return Assessor(prior).update(t, ids, x, P, boost_prob)
