"""A scenario end to end against its truth: simulate, track, assess, score.

This is what ``lookout track SCENARIO`` runs. The tracker sees every partner's detections (the
fused, measurement-level picture); its reports are scored against the truth
(``lookout.scoring``) with each counted truth's posterior Cramér-Rao bound
(``lookout.tracking.pcrlb``), and assessed (``lookout.assess``) every ``assess_period_s``. Each
launch (a *flight*) is then judged by the assessments of the tracks that followed its main object
(the booster, later the reentry vehicle or payload): when the first impact prediction came, how
often its 95% ellipse held the true impact point, the launch-point and final impact errors, the
class, and the territories it was predicted to overfly and when that was first said.
"""

from __future__ import annotations

import dataclasses
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import reduce

import numpy as np
from scipy.stats import chi2

from lookout.assess import (
    CHI2_2D_95,
    Assessment,
    Assessor,
    ImpactBatch,
    mahalanobis2,
    predict_impacts,
)
from lookout.assess.assessment import BOOST_THRESHOLD
from lookout.assess.energy import orbits
from lookout.assess.events import LaunchEvents, flight_event
from lookout.assess.footprint import LIFT_CEILING_M, hold_altitudes, reach_impacts
from lookout.assess.launch_point import fitted
from lookout.assess.manoeuvre import CAPABLE_MAX_ALT_M, merge_types
from lookout.assess.territory import territories
from lookout.geodesy import ecef_to_geodetic, geodesic_inverse
from lookout.physics.trajectory import KINDS
from lookout.scenario import Scenario
from lookout.scoring import Scores, score
from lookout.scoring.claims import ClaimRecord, Claims, root_of
from lookout.scoring.functions import nees
from lookout.scoring.picture import judge_tracks
from lookout.simulate import Simulation, simulate
from lookout.timebase import ns_to_s
from lookout.tracking import TrackerOutput, pcrlb, track
from lookout.tracking.coverage import declared_coverage

Progress = Callable[[str, float, float], None]


@dataclass
class Evaluation:
    sim: Simulation
    output: TrackerOutput
    scores: Scores
    assessments: list[Assessment]
    flights: dict[str, dict]
    claims: Claims | None = None
    timings: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict:
        """The JSON of ``lookout track --json``."""
        out = self.scores.to_dict()
        if self.claims is not None:
            c = self.claims.to_dict()
            keys = ("phantom_launches", "false_overflight_claims", "false_impact_area_claims")
            out.update({k: c.pop(k) for k in keys})
            out["claims"] = c
        wall = self.timings["track_s"] + self.timings["assess_s"]
        out.update(
            {
                "scenario": self.sim.scenario.name,
                "detections": self.output.n_detections,
                "wall_s": wall,
                "sim_s": self.sim.sim_s,
                "realtime_factor": self.sim.sim_s / wall if wall > 0 else None,
                "detections_per_s": self.output.n_detections / max(self.timings["track_s"], 1e-9),
                "timings_s": self.timings,
                "flights": self.flights,
            }
        )
        return out


def evaluate(
    scenario: Scenario,
    *,
    report_period_s: float = 1.0,
    assess_period_s: float = 5.0,
    with_pcrlb: bool = True,
    progress: Progress | None = None,
    sim: Simulation | None = None,
    bounds: dict | None = None,
) -> Evaluation:
    """Simulate, track, assess and score ``scenario`` (``sim``: its simulation if already
    run; ``bounds``: its ``truth_bounds`` if already computed)."""
    sim = sim or simulate(scenario, progress=progress)
    timings = dict(sim.timings)
    output, scores = track_scored(
        scenario,
        sim,
        report_period_s=report_period_s,
        with_pcrlb=with_pcrlb,
        bounds=bounds,
        timings=timings,
    )
    t = time.perf_counter()
    events = LaunchEvents()
    assessments = assess_reports(output, assess_period_s, progress, events)
    timings["assess_s"] = time.perf_counter() - t
    matched = _track_truth(scores) | built_from(output.updates, sim.labels, scores)
    flights = judge_flights(sim, scores, assessments, matched)
    # Launch events (lookout.assess.events): per flight, its event's objects and payload, the
    # payload judged by the object its track's assessments followed (``followed_truth``).
    owner = followed_truth(sim, assessments, matched)
    for launch in sim.launches:
        fl = flights[launch.object_id]
        fl.update(flight_event(events, [str(k) for k in fl["tracks"]], owner, launch.object_id,
                               launch.launch_time))  # fmt: skip
    claims = judge_tracks(
        scores, [claim_record(a) for a in assessments], sim.trajectories, sim.launches
    )
    return Evaluation(sim, output, scores, assessments, flights, claims, timings)


def track_scored(
    scenario: Scenario,
    sim: Simulation,
    *,
    report_period_s: float = 1.0,
    with_pcrlb: bool = True,
    bounds: dict | None = None,
    timings: dict | None = None,
) -> tuple[TrackerOutput, Scores]:
    """The central tracker on every detection of ``sim`` (``scenario``'s simulation), scored
    against its truth, with each truth's PCRLB unless ``with_pcrlb`` is off (``bounds``: its
    ``truth_bounds`` if already computed); ``timings`` (if given) gains ``track_s`` and
    ``pcrlb_s``."""
    timings = {} if timings is None else timings
    t = time.perf_counter()
    output = track(
        sim.detections,
        report_period_s=report_period_s,
        t_end=scenario.duration_s,
        coverage=declared_coverage(scenario),
    )
    timings["track_s"] = time.perf_counter() - t
    t = time.perf_counter()
    if bounds is None and with_pcrlb:
        bounds = truth_bounds(sim)
    timings["pcrlb_s"] = time.perf_counter() - t
    scores = score(
        output,
        sim.trajectories,
        sim.labels,
        detections=sim.detections,
        pcrlb_results=bounds,
        report_period_s=report_period_s,
    )
    return output, scores


def on_sensor_seed(scenario: Scenario, seed: str | int) -> Scenario:
    """``scenario`` with its sensors' seed ``seed`` (``"own"``: its own): the sensors' noise,
    false alarms and detection draws change with it, the flights do not."""
    return scenario if seed == "own" else dataclasses.replace(scenario, seed=int(seed))


def claim_record(a: Assessment) -> ClaimRecord:
    """The claims of one of the central tracker's assessments (``lookout.scoring.claims``)."""
    area = a.impact_area
    return ClaimRecord(
        track_id=a.track_id,
        t=a.t,
        launch_lat=a.launch_lat,
        launch_lon=a.launch_lon,
        overflown=tuple(a.overflown_codes),
        impact_area=area.code if area is not None else None,
        impact_area_kind=area.kind if area is not None else None,
        iip=a.impact_kind == "iip",
    )


def truth_bounds(sim: Simulation, min_detections: int = 3, period_s: float = 1.0) -> dict:
    """The PCRLB of every truth object with at least ``min_detections`` labelled detections, at
    each of its detection times and every ``period_s`` between its first and last: in a gap
    between detections the bound is the prediction from the last one, which a straight line
    between the detection times would understate by a factor of three in a lofted missile's
    hour unseen. (After the last detection none is given: it would be a prediction through the
    air with drag as white noise, ``pcrlb``, not a bound worth comparing with.)"""
    by_truth: dict[str, list] = defaultdict(list)
    for det, label in zip(sim.detections, sim.labels, strict=True):
        if label is not None:
            by_truth[label].append(det)
    out = {}
    for tid, dets in by_truth.items():
        if len(dets) < min_detections:
            continue
        det_t = ns_to_s(np.unique([d.t_ns for d in dets]))
        grid = np.arange(np.ceil(det_t[0] / period_s), np.floor(det_t[-1] / period_s) + 1)
        out[tid] = pcrlb(sim.trajectory(tid), dets, times=np.union1d(det_t, grid * period_s))
    return out


def assess_reports(
    output: TrackerOutput,
    period_s: float,
    progress: Progress | None = None,
    events: LaunchEvents | None = None,
) -> list[Assessment]:
    """Assess every confirmed track at each report instant on the ``period_s`` grid, grouping
    them into launch events instant by instant as a picture does (into ``events`` if given):
    a track its event has typed a spent stage or debris at one instant comes down with a
    tumbling stage's drag too at the next (``Assessor.update``'s ``stages``,
    ``LaunchEvents.parted_stage``), and a piece not typed yet with its odds of being one
    (``LaunchEvents.stage_probability``); a track its events saw separating from a member
    (``LaunchEvents.launched_with``) with that member's launch point. Any member typed a
    stage or debris, in srbm-salvo where three missiles' reentry vehicles joined other
    missiles' events, brought their ellipses' containment of their impacts from 1.00 to
    0.76-0.79."""
    events = LaunchEvents() if events is None else events
    rep = output.reports
    if len(rep) == 0:
        return []
    assessor = Assessor(outlines=territories())
    on_grid = np.abs(rep.t / period_s - np.round(rep.t / period_s)) < 1e-6
    chosen = np.flatnonzero(on_grid & rep.confirmed)
    impacts = _impacts_of_rows(rep, chosen, assessor.prior, progress)
    seen = last_seen(output.updates, rep.track_id[chosen], rep.t[chosen])
    position = {int(r): k for k, r in enumerate(chosen)}
    instants = np.unique(rep.t[chosen])
    parents = {str(k): str(p) for k, p in output.parents.items()}
    launches = fitted(getattr(output, "launches", {}))
    out: list[Assessment] = []
    for k, t in enumerate(instants):
        rows = chosen[rep.t[chosen] == t]
        ids = [str(i) for i in rep.track_id[rows].tolist()]
        mine = impacts.take([position[int(r)] for r in rows])
        tumbling = {k for k in ids if events.parted_stage(k)}
        odds = {k: p for k in ids if k not in tumbling and (p := events.stage_probability(k)) > 0}
        with_ = events.launched_with(float(t), ids, rep.x[rows], rep.P[rows], rep.boost_prob[rows])
        alone = {k: s for k in ids if (s := events.unseen_payload(k)) is not None}
        now = assessor.update(
            float(t), ids, rep.x[rows], rep.P[rows], rep.boost_prob[rows], impacts=mine,
            parents=parents, stages=tumbling, stage_probs=odds, launched_with=with_,
            last_seen=seen[[position[int(r)] for r in rows]], launches=launches,
            unseen_payloads=alone,
        )  # fmt: skip
        events.update(float(t), now)
        out += now
        if progress:
            progress("assess", k + 1, instants.size)
    return out


def last_seen(updates, track_id: np.ndarray, t: np.ndarray) -> np.ndarray:
    """When each track ``track_id`` (K,) was last updated at or before ``t`` (K,) s, from the
    tracker's update rows ``updates`` (a ``TrackLog``); NaN where never."""
    out = np.full(t.shape, np.nan)
    if len(updates) == 0 or t.size == 0:
        return out
    order = np.lexsort((updates.t, updates.track_id))
    ids, times = updates.track_id[order], updates.t[order]
    lo = np.searchsorted(ids, track_id, side="left")
    hi = np.searchsorted(ids, track_id, side="right")
    for k in np.flatnonzero(hi > lo):
        j = np.searchsorted(times[lo[k] : hi[k]], t[k] + 1e-9, side="right")
        if j:
            out[k] = times[lo[k] + j - 1]
    return out


def _impacts_of_rows(rep, rows: np.ndarray, prior, progress, chunk: int = 400) -> ImpactBatch:
    """``predict_impacts`` of the report ``rows``, flown in large batches across instants (the
    same computation as one update at a time, much faster); none for tracks in orbit."""
    n = rows.size
    lat, lon, t_imp, t_sig = (np.full(n, np.nan) for _ in range(4))
    cov = np.full((n, 2, 2), np.nan)
    complete = np.zeros(n, dtype=bool)
    down = np.full(n, np.nan)
    nominal: list = [None] * n
    orbital, _ = orbits(rep.x[rows])
    orbital &= rep.boost_prob[rows] < BOOST_THRESHOLD
    fly = np.flatnonzero(~orbital)
    for start in range(0, fly.size, chunk):
        sel = fly[start : start + chunk]
        r = rows[sel]
        b = predict_impacts(rep.t[r], rep.x[r], rep.P[r], prior)
        lat[sel], lon[sel], t_imp[sel], t_sig[sel] = b.lat, b.lon, b.t, b.t_sigma
        cov[sel], complete[sel], down[sel] = b.cov_en, b.complete, b.down
        for j, k in enumerate(sel.tolist()):
            nominal[k] = b.nominal[j]
        if progress:
            progress("predict impacts", min(start + chunk, fly.size), fly.size)
    reach = _reach_of_rows(rep, rows, fly, lat, nominal, prior, progress, chunk // 4)
    return ImpactBatch(lat, lon, t_imp, t_sig, cov, complete, nominal, reach, down)


def _reach_of_rows(rep, rows, fly, lat, nominal, prior, progress, chunk):
    """The reachable-footprint impacts (``lookout.assess.footprint``) of the report ``rows``
    that may manoeuvre, in batches: in the air where lift acts, not thrusting, on a track that
    has stayed below ``CAPABLE_MAX_ALT_M`` so far (the assessor asks for others itself)."""
    n = rows.size
    out = tuple(np.full((n, 4), np.nan) for _ in range(3))
    _, _, alt = ecef_to_geodetic(rep.x[rows, :3])
    order = np.argsort(rep.t[rows], kind="stable")
    max_alt = np.empty(n)
    seen: dict[int, float] = {}
    for k in order.tolist():
        tid = int(rep.track_id[rows[k]])
        seen[tid] = max(seen.get(tid, -np.inf), float(alt[k]))
        max_alt[k] = seen[tid]
    pick = np.zeros(n, dtype=bool)
    pick[fly] = True
    pick &= np.isfinite(lat) & (alt < LIFT_CEILING_M) & (max_alt < CAPABLE_MAX_ALT_M)
    pick &= rep.boost_prob[rows] < BOOST_THRESHOLD
    idx = np.flatnonzero(pick)
    for start in range(0, idx.size, chunk):
        sel = idx[start : start + chunk]
        r = rows[sel]
        hold, begin = hold_altitudes(rep.x[r], [nominal[k] for k in sel.tolist()])
        got = reach_impacts(rep.t[r], rep.x[r], hold, begin, prior)
        for o, g in zip(out, got, strict=True):
            o[sel] = g
        if progress:
            progress("manoeuvre footprints", min(start + chunk, idx.size), idx.size)
    return out


def _track_truth(scores: Scores) -> dict[str, str]:
    """Each matched track id (as a string) to the truth it was matched with most often."""
    m = scores.matches
    counts: dict[int, Counter] = defaultdict(Counter)
    for tid, truth in zip(m.track_id.tolist(), m.truth.tolist(), strict=True):
        counts[tid][scores.truth_ids[truth]] += 1
    return {str(tid): c.most_common(1)[0][0] for tid, c in counts.items()}


def built_from(updates, labels, scores: Scores) -> dict[str, str]:
    """Each track matched to no truth (never within the scorer's cutoff of one,
    ``assoc_cutoff_m``) that one truth gave over half of all the detections it took (its
    updates, ``labels`` by detection index) to that truth's id: the truth it follows, for the
    flight's figures. A track started from one satellite alone is known along its line of
    sight to tens of kilometres (``lookout.tracking.mono``), and its coast to hundreds: world61
    #02's IRBM, its every detection the IRBM's, had no prediction judged."""
    matched = set(scores.matches.track_id.tolist())
    di = np.asarray(updates.detection_index, dtype=np.int64)
    ids = np.asarray(updates.track_id, dtype=np.int64)
    out: dict[str, str] = {}
    for tid in np.setdiff1d(np.unique(ids[di >= 0]), np.fromiter(matched, np.int64)).tolist():
        took = di[(ids == tid) & (di >= 0)]
        c = Counter(labels[i] for i in took.tolist())
        truth, k = c.most_common(1)[0]
        if truth is not None and 2 * k > took.size:
            out[str(tid)] = truth
    return out


#: Chi-square (6 dof, 99.9 %) gate of a track's state on the truth it follows
#: (``followed_objects``).
FOLLOW_GATE = float(chi2.ppf(0.999, 6))
#: Odds (19 to 1) at which another object of the flight is the one a track lost from its own
#: truth follows (``followed_objects``): the likelihood ratio of the two under the track's own
#: Gaussian, ``exp((d_own - d_other) / 2)`` of their squared Mahalanobis distances.
FOLLOW_DECISIVE_D2 = 2.0 * float(np.log(19.0))


def followed_objects(sim: Simulation, assessments: list[Assessment], owner: dict[str, str]):
    """Per assessment, the object of its track's flight that its state follows at that moment
    (None: a track matched to no truth): the truth its track was matched to most often
    (``owner``), unless that truth lies outside the track's 99.9 % gate (``FOLLOW_GATE``, on
    position and velocity under the track's own covariance) and another of the flight's objects
    in the air then (the launch and what separated from it) is nearer at odds of 19 to 1
    (``FOLLOW_DECISIVE_D2``). Objects a moment apart after a separation, both inside the gate or
    both as far outside it, do not take a track from its truth: me75 #03's track on the space
    launcher's stack, unseen from the end of its last burn, was 25-38 in NEES from both the
    satellite and the third stage flying 3 m/s apart, taken by the stage at 74 of its 137
    assessments for a nearer NEES by 0.1, and the event that named it the payload was judged
    wrong. A
    track that stays with a spent stage at staging while a new track takes the stack follows
    the stage from then on: the stage's (true) impact it predicts is the stage's, not the
    launch's (satellite-launch: a track on the stack kept the second stage at 230 s and
    predicted its fall at 235 s). Where its own truth is not in the air (before its first or
    after its last state), it keeps it (a track flown on a few seconds past the impact) unless
    one of the flight's objects in the air is nearer than that truth's impact (or first)
    state: me5-05's track on MRBM-1's reentry vehicle and stage in turn (as often matched to
    either) flew with the stage for 20 s after the vehicle's impact, and had the stage's
    impact judged against the vehicle's."""
    roots = root_of(sim.trajectories)
    family: dict[str, list] = defaultdict(list)
    for tr in sim.trajectories:
        family[roots[tr.object_id]].append(tr)
    rows: dict[str, list[int]] = defaultdict(list)
    for i, a in enumerate(assessments):
        truth = owner.get(a.track_id)
        if truth is not None:
            rows[roots.get(truth, truth)].append(i)
    out: list[str | None] = [None] * len(assessments)
    for root, idx in rows.items():
        t = np.array([assessments[i].t for i in idx])
        x = np.array([assessments[i].state for i in idx])
        P = np.array([assessments[i].covariance for i in idx])
        own = [owner[assessments[i].track_id] for i in idx]
        names = [tr.object_id for tr in family[root]]
        d2 = np.full((len(names) + 1, t.size), np.inf)  # the last row: a truth not in the family
        for j, tr in enumerate(family[root]):
            alive = np.flatnonzero((t >= tr.t[0]) & (t <= tr.t[-1]))
            if alive.size:
                d2[j, alive] = nees(x[alive] - tr.flown_state_at(t[alive]), P[alive])
        nearest = np.argmin(d2[:-1], axis=0)
        row = {name: j for j, name in enumerate(names)}
        j_own = np.array([row.get(o, len(names)) for o in own])
        d_own = d2[j_own, np.arange(t.size)]
        lost = (d_own > FOLLOW_GATE) & np.isfinite(d_own)
        k = np.flatnonzero(lost)
        lost[k] = d_own[k] - d2[nearest[k], k] > FOLLOW_DECISIVE_D2
        # Its truth down (or not up yet): measured to its impact (or first) state, against
        # the family's objects in the air.
        down = np.flatnonzero(~np.isfinite(d_own) & (j_own < len(names)))
        for j in np.unique(j_own[down]).tolist():
            k = down[j_own[down] == j]
            tr = family[root][j]
            at_end = tr.flown_state_at(np.clip(t[k], tr.t[0], tr.t[-1]))
            lost[k] = d2[nearest[k], k] < nees(x[k] - at_end, P[k])
        for k, i in enumerate(idx):
            out[i] = names[nearest[k]] if lost[k] else own[k]
    return out


def followed_truth(
    sim: Simulation, assessments: list[Assessment], owner: dict[str, str]
) -> dict[str, str]:
    """Each track id to the object its assessments followed most often (``followed_objects``),
    else to ``owner``'s (the truth it was matched to most often). Held-out me47 #1: the
    scorer paired the reentry vehicle's track 764 with the stage at its birth (5 of its first 6
    detections the stage's) and kept that pair for 357 s through its switch penalty, the two
    objects under 1 km apart, while from 288 s 764 flew 26-260 m from the vehicle and
    270-1,900 m from the stage and took 748 of its 940 detections from the vehicle: the event
    that named 764 its payload was judged wrong."""
    votes: dict[str, Counter] = defaultdict(Counter)
    for a, obj in zip(assessments, followed_objects(sim, assessments, owner), strict=True):
        if obj is not None:
            votes[a.track_id][obj] += 1
    return owner | {k: c.most_common(1)[0][0] for k, c in votes.items()}


def judge_flights(
    sim: Simulation, scores: Scores, assessments: list[Assessment], owner: dict | None = None
) -> dict:
    """Per launch: the figures of ``lookout track --json``'s ``flights`` (km, deg, s), from the
    assessments that follow its main object (``followed_objects``), whichever object their
    track was matched to most often: a track on a reentry vehicle matched a little more often
    to the stage flying beside it (me5-05's MRBM-1 and MRBM-2, mrbm-iran-israel's MRBM-2 and
    MRBM-3) had none of its predictions judged, the flight's containment then coming from
    another track's few. ``owner``: each track's truth (default: the one it was matched to
    most often, ``_track_truth``)."""
    owner = _track_truth(scores) if owner is None else owner
    followed = followed_objects(sim, assessments, owner)
    following: dict[str, list[Assessment]] = defaultdict(list)
    for a, obj in zip(assessments, followed, strict=True):
        if obj is not None:
            following[obj].append(a)
    outlines = territories()
    flights = {}
    for launch in sim.launches:
        tr = sim.trajectory(launch.object_id)
        impact = tr.event("impact")
        orbital_truth = tr.event("orbit_insertion") is not None
        t0 = launch.launch_time
        truth_impact = None
        if impact is not None and not orbital_truth:
            lat, lon, _ = ecef_to_geodetic(impact.pos)
            truth_impact = {
                "lat_deg": float(np.degrees(lat)),
                "lon_deg": float(np.degrees(lon)),
                "time_s": impact.t - t0,
            }
        lat_gt, lon_gt, _ = ecef_to_geodetic(tr.pos)
        truth_overflown = [o.code for o in outlines.overflights(
            tr.t, lat_gt, lon_gt, np.zeros(tr.t.size, dtype=bool)
        )]  # fmt: skip
        launch_code = outlines.area_at(launch.site_lat, launch.site_lon).code
        if truth_overflown and truth_overflown[0] == launch_code:
            truth_overflown = truth_overflown[1:]  # the launching territory
        mine = sorted(following.get(launch.object_id, []), key=lambda a: a.t)
        flights[launch.object_id] = (
            _judge(launch, launch_code, truth_impact, orbital_truth, mine)
            | {"truth_overflown": list(dict.fromkeys(truth_overflown))}
            | _stage_ellipses(sim, launch.object_id, following)
        )
    return flights


def _stage_ellipses(sim: Simulation, flight: str, following: dict[str, list]) -> dict:
    """How often the 95 % impact ellipses of the assessments following the flight's spent
    stages (``followed_objects``) held the stage's true impact point, over every predicted
    impact (None: none), and how many predictions that is."""
    stage = KINDS.index("spent_stage")
    inside = []
    for tr in sim.trajectories:
        if not tr.object_id.startswith(f"{flight}-") or tr.kind[-1] != stage:
            continue
        impact = tr.event("impact")
        if impact is None:
            continue
        lat_t, lon_t, _ = ecef_to_geodetic(impact.pos)
        for a in following.get(tr.object_id, []):
            if a.impact_kind == "predicted" and a.impact_ellipse is not None:
                d2 = mahalanobis2(a.impact_lat, a.impact_lon, a.impact_ellipse.cov_en, lat_t, lon_t)
                inside.append(float(d2) <= CHI2_2D_95)
    return {
        "stage_ellipse_containment": float(np.mean(inside)) if inside else None,
        "stage_predictions": len(inside),
    }


def _judge(launch, launch_code, truth_impact, orbital_truth, mine: list[Assessment]) -> dict:
    t0 = launch.launch_time
    predicted = [a for a in mine if a.impact_kind == "predicted" and a.impact_lat is not None]
    out: dict = {
        "vehicle": launch.vehicle.name,
        "launch_time_s": t0,
        "truth_impact": truth_impact,
        "truth_orbital": orbital_truth,
        "assessments": len(mine),
        "tracks": sorted({a.track_id for a in mine}, key=int),
        "orbital": bool(mine) and mine[-1].orbital,
        "class": next((a.vehicle_class for a in reversed(mine) if a.vehicle_class), None),
        # The flight's type from all its tracks (a launch event's): the booster's track has
        # the launch point at sea, the one after burnout the lift.
        "type": reduce(merge_types, (a.vehicle_type for a in mine), None),
        "first_track_s": mine[0].t - t0 if mine else None,
        "first_prediction_s": predicted[0].t - t0 if predicted else None,
        "ellipse_containment": None,
        "first_containing_prediction_s": None,
        "launch_point_error_km": None,
        "final_impact_error_km": None,
        "impact_time_error_s": None,
        "impact_error_km_over_time": [],
        "overflown": [],
        "first_overflight_warning_s": None,
    }
    if truth_impact is not None and predicted:
        lat_t, lon_t = np.radians(truth_impact["lat_deg"]), np.radians(truth_impact["lon_deg"])
        inside = []
        for a in predicted:
            d2 = float(mahalanobis2(a.impact_lat, a.impact_lon, a.impact_ellipse.cov_en,
                                    lat_t, lon_t))  # fmt: skip
            inside.append(d2 <= CHI2_2D_95)
            err = float(geodesic_inverse(a.impact_lat, a.impact_lon, lat_t, lon_t)[0]) / 1e3
            out["impact_error_km_over_time"].append([a.t - t0, err])
        out["ellipse_containment"] = float(np.mean(inside))
        out["ellipse_median_semi_major_km"] = float(
            np.median([a.impact_ellipse.wire.semi_major_m for a in predicted]) / 1e3
        )
        first_in = next((a for a, ok in zip(predicted, inside, strict=True) if ok), None)
        out["first_containing_prediction_s"] = first_in.t - t0 if first_in else None
        out["final_impact_error_km"] = out["impact_error_km_over_time"][-1][1]
        last = predicted[-1]
        out["impact_time_error_s"] = last.impact_time - (truth_impact["time_s"] + t0)
    # The launch point as the first track of the flight (the one that saw it rise) gives it:
    # a track picked up again later, far from the launch, can only fly its arc back.
    with_launch = [a for a in mine if a.launch_lat is not None and a.track_id == mine[0].track_id]
    if with_launch:
        a = with_launch[-1]
        d = geodesic_inverse(a.launch_lat, a.launch_lon, launch.site_lat, launch.site_lon)[0]
        out["launch_point_error_km"] = float(d) / 1e3
        out["launch_time_error_s"] = a.launch_time - t0
    # Warnings of overflight: territories ahead on the predicted ground track after burnout
    # (not the instantaneous impact point's track during boost), other than the launching one
    # (``launch_code``: the land under the site, or the coast nearest it, since a coastal site
    # can fall just outside the coarse 1:110m outline).
    first_said: dict[str, float] = {}
    for a in mine:
        if a.impact_kind != "predicted":
            continue
        for o in a.overflown:
            if o.predicted and o.code not in first_said and o.code != launch_code:
                first_said[o.code] = a.t - t0
    if mine:
        # Observed so far plus still predicted, without the launching territory, as the
        # flight's first track last said it (a track picked up again later has no ground track
        # back to the launch of its own).
        first = [a for a in mine if a.track_id == mine[0].track_id]
        out["overflown"] = [c for c in first[-1].overflown_codes if c != launch_code]
    if first_said:
        out["first_overflight_warning_s"] = min(first_said.values())
        out["overflight_warning_s_by_territory"] = first_said
    return out


def write_outputs(ev: Evaluation, out_dir) -> dict:
    """``tracks.jsonl`` (every report row), ``assessments.jsonl`` and ``scores.json``."""
    import json
    from pathlib import Path

    import msgspec

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    rep = ev.output.reports
    enc = msgspec.json.Encoder()
    rows = [
        {
            "t_s": float(rep.t[i]),
            "track_id": int(rep.track_id[i]),
            "x_ecef": rep.x[i].tolist(),
            "P": rep.P[i].tolist(),
            "boost_prob": float(rep.boost_prob[i]),
        }
        for i in range(len(rep))
    ]
    paths = {"tracks": out / "tracks.jsonl", "assessments": out / "assessments.jsonl"}
    paths["tracks"].write_bytes(enc.encode_lines(rows))
    paths["assessments"].write_bytes(enc.encode_lines([a.to_dict() for a in ev.assessments]))
    paths["scores"] = out / "scores.json"
    paths["scores"].write_text(json.dumps(ev.to_dict(), indent=1))
    return paths
