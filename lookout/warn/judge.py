"""Every warning judged against the truth, with the same area polygons the desks used.

What ``lookout warn --json`` reports. The truth of a flight is every object of its launch (the
vehicle, its payload, its spent stages), sampled every second while it is sub-orbital (a
satellite in orbit, or the upper stage spent beside it, threatens nobody: an object is in orbit
from its first second with a perigee above 100 km), to its fall or to orbit even when that is
after the run's end (``suborbital``: a space launch's second stage comes down 15-25 minutes
after liftoff, often after the run): an area is *truly threatened* from the
first second an object is over its footprint (land and territorial sea; the ground track
between samples included; a spent stage or debris only where it comes down: nothing steers
it, as the desk's rules say; the vehicle not while it climbs, burning or coasting, over the
partner's own ground it rose from, where the hazard is a failure's or a stage's fall, judged
where it comes down)
or comes down in it, until the last; an object that comes down
inside a partner's EEZ off its areas, within the run, is a true fall for that sea.

Each alert names its launch event; an event is given to the flight whose objects its tracks
were nearest (``attribute_events``). Per flight and area warned or truly threatened: the true
first overflight or fall (``truth_s``, seconds after launch) and the end of the hazard
(``hazard_end_s``), the first message (``first_message_s``), the lead time
(``lead_s = truth_s - first_message_s``), whether people were told to shelter, when the
all-clear came (``all_clear_s``) and how long after the hazard's end. Per scenario: the areas
truly threatened and never told to shelter (``missed_areas``; those threatened only by
objects no partner's sensor ever detected are ``unobserved_areas`` instead: nobody could warn
of them), told to shelter and never threatened, each such row saying how near the truth came
(``truth_closest_km``) and how far it lay from the stated 95 % region that made each call
(``region_m2``: the worst squared Mahalanobis distance, ``region_m2()``): *precautionary*
(``precautionary_areas``) when every call's region held the truth (at most ``CHI2_2D_95``:
the area was inside an honest 95 % region and the truth passed beside it, which an honest
region does to the areas at its edge), else *false* (``false_areas``: the region did not hold
the truth, a phantom or an overconfident prediction, or the desk's regions were not given),
withdrawals (NO_THREAT), the areas told to shelter and given no all-clear: due in the run
(``ALL_CLEAR_DUE_S`` after the hazard's end, or after the flight's last piece came down for an
area never threatened) and not sent (``sheltered_without_all_clear``), or due after the run's
end, with the area's last message in force (``expires_s``, its CAP expiry) past that end
(``all_clear_after_run``: nobody could send it in the run, and nobody was let out before the
fall) or expired before it (``expired_before_hazard_end``), the
maritime messages and whether each fall was inside the EEZ, and whether every message
validated against the CAP XSD(s). What a partner announced of its own flight (``flight_notices``:
its sub-points in the notice's sector, its falls in the hazard areas) threatens no area; a piece
that leaves the notice threatens where it does (a spent stage where it comes down outside the
hazard areas), and a flight wholly within it (``announced_flights``) nothing. A call for an area
only the announced part reached (``under_notice``) is false. A partner of a country with no shipped
areas warns nobody (``lookout.warn.issue.warns``); the flights that truly pass over or come
down on its land are ``unwarned_partners``, so that its silence is never read as no threat.
"""

from __future__ import annotations

from collections import Counter, defaultdict

import numpy as np
import shapely

from lookout.assess.impact import CHI2_2D_95
from lookout.geodesy import ecef_to_geodetic, geodesic_inverse
from lookout.messages import Alert, SystemTrack
from lookout.physics.propagate import ORBIT_MIN_PERIGEE_M, perigee_altitude
from lookout.physics.trajectory import KINDS
from lookout.timebase import ns_to_s
from lookout.warn import areas as area_data
from lookout.warn.cap import CAP_NS, read_ring, validate
from lookout.warn.decide import ALL_CLEAR_HOLD_S, GONE_NEAR_IMPACT_S
from lookout.warn.hazard import MIN_AXIS_M, corridor

#: Largest distance (m) from a track to the truth object it is given to.
ATTRIBUTE_M = 100e3
#: How long (s) after the hazard's end an all-clear is due: the desk knows a piece has come
#: down when its track is gone within ``GONE_NEAR_IMPACT_S`` of the predicted fall, and sends
#: the all-clear ``ALL_CLEAR_HOLD_S`` after that outcome (``lookout.warn.decide``).
ALL_CLEAR_DUE_S = GONE_NEAR_IMPACT_S + ALL_CLEAR_HOLD_S
#: The calls to shelter made on a prediction (the others of ``SHELTER_KINDS``, FELL_ON_LAND,
#: keep people sheltered after a fall).
CALL_KINDS = ("LAUNCH", "IMPACT_PREDICTED")


def suborbital(tr) -> tuple[np.ndarray, np.ndarray]:
    """An object's flight as the judge's truth: every second (and its last instant) from its
    start to its fall, its orbit insertion or the first second it is in orbit with a perigee
    above the air (``ORBIT_MIN_PERIGEE_M``: the upper stage spent beside a satellite has no
    insertion of its own), whatever the scenario's duration: a stage that comes down after the
    run's end is flown to the ground (``Trajectory`` holds every object to its end). Returns
    the times (s from the epoch) and the ECEF states (N, 6)."""
    ins = tr.event("orbit_insertion")
    t_end = min(tr.t_end, ins.t if ins is not None else tr.t_end)
    ts = np.append(np.arange(tr.t_start, t_end, 1.0), t_end)
    states = tr.flown_state_at(ts)
    up = np.flatnonzero(perigee_altitude(states[:, :3], states[:, 3:]) > ORBIT_MIN_PERIGEE_M)
    if up.size:
        ts, states = ts[: up[0] + 1], states[: up[0] + 1]
    return ts, states


def _threatens(tr, ts: np.ndarray, own: bool = False, states=None) -> np.ndarray:
    """Per sample ``ts`` of an object's flight (``suborbital``; ``states`` its ECEF states
    there, flown if not given), whether it threatens the ground under it: every sample of the
    vehicle and what it carries (the flight over an area that a warning is for); of a spent
    stage or a piece of debris (``KINDS``'s ``spent_stage``: nothing steers it), only its
    fall. ``own``: the flight rose from the partner's own ground (``_own_launch``), which its
    ascent threatens not at all, burning or coasting: climbing away, it comes down at its
    instantaneous impact point, beyond, were its thrust to stop or its coast go on; its
    descent and its fall threaten as any (``docs/warning-decisions.md``, "The ascent from a
    partner's own ground": world80 #04's SRBM, burnt out 14 km up over Odisha's sea, climbed
    on over it for 13 s with its impact point 300 km south)."""
    over = np.ones(len(ts), dtype=bool)
    if own:
        x = tr.flown_state_at(ts) if states is None else np.asarray(states)
        climbing = np.einsum("ij,ij->i", x[:, :3], x[:, 3:]) > 0.0
        over &= ~(np.asarray(tr.thrusting_at(ts), dtype=bool) | climbing)
    kind_at = getattr(tr, "kind_at", None)
    if kind_at is None:
        return over
    spent = kind_at(ts) == KINDS.index("spent_stage")
    over[spent] = False
    imp = tr.event("impact")
    if imp is not None and len(ts) and ts[-1] >= imp.t:
        over[-1] = True
    return over


def _own_launch(launch, country_areas) -> bool:
    """Whether a launch rose from one of these areas (its site in a footprint: land or
    territorial sea, Abdul Kalam Island's range being in Odisha's sea): the partner's own
    ground. The truth names no launching state; a foreign launch from inside a partner's
    territorial sea would count as its own (none is generated)."""
    lat, lon = np.degrees(launch.site_lat), area_data.wrap_lon(np.degrees(launch.site_lon))
    return any(shapely.contains_xy(a.footprint, lon, lat) for a in country_areas)


def unwarned_partners(sim, partners) -> list[dict]:
    """The scenario's ``partners`` that warn nobody (no areas shipped for their country,
    ``lookout.warn.issue.warns``), each with the flights any object of which truly passes over
    or comes down on that country's land (``lookout.assess.territory``, 1 s samples while
    sub-orbital): ``[{"partner", "country", "flights_over_land"}]``. 21 Nov 2024's missile on
    Dnipro (irbm-kapustin-yar-dnipro.yaml), Ukraine a partner: no message, no missed area."""
    from lookout.assess.territory import territories
    from lookout.warn.issue import warns

    silent = [p for p in partners if not warns(p)]
    if not silent:
        return []
    land = territories()
    over: dict[str, set[str]] = defaultdict(set)  # country: flights
    for launch in sim.launches:
        for tr in sim.trajectories:
            if tr.object_id != launch.object_id and tr.parent_id != launch.object_id:
                continue
            _, states = suborbital(tr)
            lat, lon, _ = ecef_to_geodetic(states[:, :3])
            for code in set(land.land_at(lat, lon)) - {None}:
                over[code].add(launch.object_id)
    return [
        {"partner": p.id, "country": p.country, "flights_over_land": sorted(over[p.country])}
        for p in silent
    ]


def truth_threats(sim, country: str, notices: dict | None = None) -> dict[str, dict]:
    """Per flight: ``areas`` {code: (first s, last s) after launch} truly threatened,
    ``seas`` {sea key: [fall times s after launch]} for falls inside the EEZ off the areas, and
    ``falls`` [(sea key, absolute fall time s, lon, lat deg)] of those same falls. ``notices``
    (``flight_notices``) takes out what a flight's notice announced: ``announced_areas``
    {code: (first s, last s)} are the areas only that part passed over or fell in."""
    country_areas = area_data.areas(country)
    eez = area_data.eez(country)
    notices = notices or {}
    out = {}
    for launch in sim.launches:
        objs = _objects(sim, launch.object_id)
        within = notices.get(launch.object_id, (None, {}))[1]
        t0 = launch.launch_time
        own = _own_launch(launch, country_areas)
        hit: dict[str, list[float]] = {}
        told: dict[str, list[float]] = {}  # reached by the announced part
        by: dict[str, set[str]] = defaultdict(set)
        seas: dict[str, list[float]] = defaultdict(list)
        falls: list[tuple[str, float, float, float]] = []
        ground: list[np.ndarray] = []
        end = 0.0
        for tr in objs:
            # To its fall or to orbit, past the run's end (``suborbital``).
            ts, states = suborbital(tr)
            end = max(end, float(ts[-1] - t0))
            lat, lon, _ = ecef_to_geodetic(states[:, :3])
            lat, lon = np.degrees(lat), area_data.wrap_lon(np.degrees(lon))
            ground.append(np.column_stack([lon, lat]))
            # A spent stage flies on where gravity takes it: it threatens where it comes down,
            # not where it passes over on its way (a space launch's second stage over Western
            # Australia 200-650 km up before it comes down in South Australia), as the desk's
            # rules say. The vehicle and what it carries threaten all along their path, but
            # for the burning ascent over the ground it rose from (``_own_launch``). What the
            # flight's notice announced (its sector, its hazard areas) threatens nobody.
            over = _threatens(tr, ts, own, states)
            inside = within.get(tr.object_id)
            if inside is not None:
                said = _threatens(tr, ts) & inside  # all it announced, the ascent too
                for code, times in _area_times(country_areas, ts, lon, lat, said):
                    _extend(told, code, times - t0)
                over = over & ~inside
            for code, times in _area_times(country_areas, ts, lon, lat, over):
                _extend(hit, code, times - t0)
                by[code].add(tr.object_id)
            imp = tr.event("impact")
            # A maritime message tells of a fall that has happened: one after the run's end
            # cannot be told in it.
            if imp is not None and imp.t <= sim.scenario.duration_s:
                la, lo, _ = ecef_to_geodetic(imp.pos)
                la, lo = float(np.degrees(la)), float(area_data.wrap_lon(np.degrees(lo)))
                off_areas = not any(shapely.contains_xy(a.footprint, lo, la) for a in country_areas)
                if off_areas and shapely.contains_xy(eez, lo, la):
                    sea = area_data.sea_area(la, lo).key
                    seas[sea].append(float(imp.t - t0))
                    falls.append((sea, float(imp.t), lo, la))
        track = np.concatenate(ground) if ground else np.empty((0, 2))
        out[launch.object_id] = {
            "areas": hit,
            "announced_areas": {c: v for c, v in told.items() if c not in hit},
            "by": dict(by),
            "seas": dict(seas),
            "falls": falls,
            "ground": track,
            "end_s": end,
        }
    return out


def _objects(sim, flight: str) -> list:
    """A flight's truth objects: the vehicle and every object it released."""
    return [tr for tr in sim.trajectories if tr.object_id == flight or tr.parent_id == flight]


def _area_times(country_areas, ts: np.ndarray, lon: np.ndarray, lat: np.ndarray, over):
    """Per area whose footprint a sample marked ``over`` lies in, or a ground-track segment
    between two such samples crosses: (code, the times s of those samples and segments)."""
    # The ground track as segments between the 1 s samples (a fast object steps over an
    # area's corner between two samples); none across the antimeridian.
    pts = np.column_stack([lon, lat])
    seg_ok = (np.abs(np.diff(lon)) < 180.0) & over[:-1] & over[1:]
    segs = shapely.linestrings(np.stack([pts[:-1], pts[1:]], axis=1)[seg_ok])
    seg_t = np.column_stack([ts[:-1], ts[1:]])[seg_ok]
    tree = shapely.STRtree(segs)
    for a in country_areas:
        inside = np.flatnonzero(shapely.contains_xy(a.footprint, lon, lat) & over)
        times = list(ts[inside])
        if len(segs):
            k = tree.query(a.footprint, predicate="intersects")
            times += list(seg_t[k].ravel())
        if times:
            yield a.code, np.asarray(times, dtype=float)


def _extend(span: dict[str, list[float]], code: str, times: np.ndarray) -> None:
    first, last = float(times.min()), float(times.max())
    cur = span.get(code)
    span[code] = [min(first, cur[0]), max(last, cur[1])] if cur else [first, last]


def flight_notices(sim) -> dict[str, tuple[str, dict[str, np.ndarray]]]:
    """The flights a partner announced, by the truth, each with what of it stayed within the
    announcement: ``{flight: ("PARTNER/NOTICE_ID", {object: within})}``, ``within`` a bool per
    sample of the object's flight (``suborbital``). A flight is announced by a scenario notice
    whose window holds its launch time and whose launch area its site, from the partner whose
    country the site is in (``lookout.assess.territory``); of several, the one that leaves the
    fewest threatening samples (``_threatens``) outside. A sample is within when its sub-point
    is in the azimuth sector as seen from the announced site (nearer than the area's radius,
    any), and a fall when it is in one of the hazard areas (in the sector where none were
    announced): the part of an announced flight within its notice threatens nobody (a
    partner's own scheduled launch is no alarm); a piece that leaves it threatens where it
    does, a spent stage that comes down outside the hazard areas where it comes down (world73
    #06: India's notice names the first stage's fall, the second comes down on South
    Australia, and India's own pad stays announced)."""
    from lookout.assess.notices import Announcement
    from lookout.assess.territory import territories

    notices = [Announcement.of(n.message()) for n in getattr(sim.scenario, "notices", ())]
    if not notices:
        return {}
    country = {p.id: p.country for p in sim.scenario.partners}
    out = {}
    for launch in sim.launches:
        lat0, lon0 = launch.site_lat, launch.site_lon
        site = territories().area_at(lat0, lon0).code
        matched = [
            an
            for an in notices
            if country.get(an.partner) == site
            and an.in_window(launch.launch_time, 0.0)
            and an.at_site(lat0, lon0, np.zeros((2, 2)))
        ]
        if not matched:
            continue
        flown = [(tr, *suborbital(tr)) for tr in _objects(sim, launch.object_id)]
        best = None
        for an in matched:
            within = {tr.object_id: _within(an, tr, ts, states) for tr, ts, states in flown}
            left = sum(
                int(np.count_nonzero(_threatens(tr, ts) & ~within[tr.object_id]))
                for tr, ts, _ in flown
            )
            if best is None or left < best[0]:
                best = (left, f"{an.partner}/{an.notice_id}", within)
        out[launch.object_id] = best[1:]
    return out


def _within(an, tr, ts: np.ndarray, states: np.ndarray) -> np.ndarray:
    """Per sample of an object's flight, whether it lies within the announcement ``an``
    (``flight_notices``): its sub-point in the sector (the launch area's disc seen from the
    site's centre, as ``Announcement.off_sector`` with no uncertainty), its fall in a hazard
    area."""
    lat, lon, _ = ecef_to_geodetic(states[:, :3])
    n = len(ts)
    inside = ~an.off_sector_nominal(lat, lon) if n else np.zeros(0, dtype=bool)
    imp = tr.event("impact")
    if an.hazards is not None and imp is not None and n and ts[-1] >= imp.t:
        la, lo = _geodetic_deg(imp.pos)
        inside[-1] = an.fall_in_hazard(shapely.Point(lo, la))
    return inside


def announced_flights(sim, notices: dict | None = None) -> dict[str, str]:
    """The flights a partner announced and that stayed within the announcement, by the truth:
    ``{flight: "PARTNER/NOTICE_ID"}``, those of ``flight_notices`` (given, or found) none of
    whose objects threatens anything outside it. Such a flight threatens no area: a shelter
    call for it is false, none is missed; its falls at sea are judged as any."""
    notices = flight_notices(sim) if notices is None else notices
    out = {}
    for flight, (label, within) in notices.items():
        flown = [(tr, suborbital(tr)[0]) for tr in _objects(sim, flight)]
        if all(not np.any(_threatens(tr, ts) & ~within[tr.object_id]) for tr, ts in flown):
            out[flight] = label
    return out


def closest_km(ground: np.ndarray, footprint) -> float | None:
    """How near (km, on the ellipsoid) a flight's true ground track (its objects' sub-points,
    lon/lat degrees) came to an area's footprint: how far off a warned area the truth passed."""
    if not len(ground):
        return None
    from shapely.ops import nearest_points

    a, b = nearest_points(footprint, shapely.MultiPoint(ground))
    d, _ = geodesic_inverse(*np.radians([a.y, a.x, b.y, b.x]))
    return float(d) / 1e3


def attribute_events(sim, tracks: list[SystemTrack]) -> dict[str, str]:
    """Each launch event to the flight whose objects its tracks were nearest most often."""
    tracks = [st for st in tracks if st.event_id is not None]
    if not tracks:
        return {}
    t = np.array([ns_to_s(st.t_ns) for st in tracks])
    x = np.array([st.x[:3] for st in tracks], dtype=float)
    # Distance from every track to every truth object alive then (one flown_state_at per object).
    dist = np.full((len(tracks), len(sim.trajectories)), np.inf)
    for j, tr in enumerate(sim.trajectories):
        alive = np.flatnonzero((t >= tr.t_start) & (t <= tr.t_end))
        if alive.size:
            dist[alive, j] = np.linalg.norm(tr.flown_state_at(t[alive])[:, :3] - x[alive], axis=1)
    dist[np.isnan(dist)] = np.inf
    roots = [tr.parent_id or tr.object_id for tr in sim.trajectories]
    nearest = np.argmin(dist, axis=1)
    votes: dict[str, Counter] = defaultdict(Counter)
    for i, st in enumerate(tracks):
        if dist[i, nearest[i]] < ATTRIBUTE_M:
            votes[st.event_id][roots[nearest[i]]] += 1
    return {e: c.most_common(1)[0][0] for e, c in votes.items()}


def observed_objects(sim) -> set[str] | None:
    """The truth objects some sensor detected (the detections' truth labels), or None when the
    simulation does not say."""
    labels = getattr(sim, "labels", None)
    return None if labels is None else {k for k in set(labels) if k is not None}


def region_m2(sim, flight: str, region: list[dict]) -> float | None:
    """How far the truth lay from a stated 95 % region (``lookout.warn.decide``'s decision
    geometry ``region``: ellipses, each where an object was said to be at ``t_s``, or to come
    down for a ``fall`` ellipse): per ellipse the smallest squared Mahalanobis distance of an
    object of the flight (its sub-point at ``t_s``, held at its fall after it; its fall point
    for a ``fall`` ellipse; for an object burning when the region was said, ``from_t_s``, the
    flight it would have flown had its thrust stopped then, as the desk's corridor of a
    burning object says), and the largest of these over the ellipses. At most
    ``CHI2_2D_95``: the truth lay inside every ellipse, the region held it. The ellipses are
    taken as the desk drew them, no semi-axis under ``MIN_AXIS_M``. None without a region or
    an object to test."""
    if not region:
        return None
    objs = [tr for tr in sim.trajectories if tr.object_id == flight or tr.parent_id == flight]
    worst = None
    for e in region:
        cov = np.asarray(e["cov_en_m2"], dtype=float)
        w, v = np.linalg.eigh(cov)
        w = np.maximum(w, MIN_AXIS_M**2 / CHI2_2D_95)
        inv = v @ np.diag(1.0 / w) @ v.T
        pts = []
        for tr in objs:
            since = e.get("from_t_s")
            if since is not None and tr.t_start <= since <= tr.t_end and tr.thrusting_at(since):
                # Said of a burning object: where it would have flown had its thrust stopped
                # then. The truth of that is its own state then, flown on unpowered.
                pts.append(_unpowered(since, tr.flown_state_at(since), e))
            elif e.get("fall"):
                imp = tr.event("impact")
                if imp is not None:
                    pts.append(_geodetic_deg(imp.pos))
            elif tr.t_start <= e["t_s"]:
                pts.append(_geodetic_deg(tr.flown_state_at(min(e["t_s"], tr.t_end))[:3]))
        pts = [p for p in pts if p is not None]
        if not pts:
            return None
        lat, lon = np.radians(np.asarray(pts, dtype=float)).T
        n = len(pts)
        dist, az = geodesic_inverse(
            np.full(n, np.radians(e["lat_deg"])), np.full(n, np.radians(e["lon_deg"])), lat, lon
        )
        d = np.stack([dist * np.sin(az), dist * np.cos(az)], axis=-1)
        m2 = float(np.min(np.einsum("ni,ij,nj->n", d, inv, d)))
        worst = m2 if worst is None else max(worst, m2)
    return worst


def _geodetic_deg(pos) -> tuple[float, float]:
    lat, lon, _ = ecef_to_geodetic(np.asarray(pos, dtype=float))
    return float(np.degrees(lat)), float(np.degrees(lon))


def _unpowered(t: float, x: np.ndarray, e: dict) -> tuple[float, float] | None:
    """(lat, lon) deg at ``e["t_s"]`` (or of its fall, for a ``fall`` ellipse) of the flight
    from the true state ``x`` at ``t`` with no thrust: the desk's corridor flown from the truth
    (``lookout.warn.hazard``, the assessment's ballistic prior), its nominal."""
    c = corridor(t, np.asarray(x, dtype=float), np.eye(6) * 1e-6)
    if c is None:
        return None
    if e.get("fall"):
        return c.impact_lat, c.impact_lon
    return c.position(e["t_s"])


def judge(
    sim,
    alerts: list[Alert],
    event_flight: dict[str, str],
    partners,
    regions: dict[str, dict] | None = None,
) -> dict:
    """The figures of ``lookout warn --json`` (see the module doc); ``partners`` are the
    scenario's ``Partner``s whose warnings are judged; ``regions`` the desks' decision
    geometry by alert identifier (``Decision.geometry``: per area key the stated 95 % region
    that made the call), without which no shelter call is precautionary."""
    launch_t = {launch.object_id: launch.launch_time for launch in sim.launches}
    errors = []
    for a in alerts:
        errs = validate(a.cap)
        if errs:
            errors.append({"identifier": a.identifier, "errors": errs[:3]})
    rows: dict[tuple, dict] = {}
    threat_by: dict[tuple, set[str]] = {}  # (flight, partner, code): the objects over it
    withdrawn, maritime = [], []
    falls: list[tuple] = []  # partner, flight, sea, absolute fall time s, lon, lat deg
    names = {}
    grounds, footprints, ends = {}, {}, {}
    notices = flight_notices(sim)
    announced = announced_flights(sim, notices)
    under_notice = set()  # (flight, partner, code) reached only by what a notice announced
    for p in partners:
        truth = truth_threats(sim, p.country, notices)
        for flight, th in truth.items():
            under_notice |= {(flight, p.id, code) for code in th["announced_areas"]}
        for a in area_data.areas(p.country):
            names[(p.id, a.code)] = a.name_en
            footprints[(p.id, a.code)] = a.footprint
        for flight, th in truth.items():
            grounds[flight] = th["ground"]
            ends[flight] = th["end_s"]
        for flight, th in truth.items():
            for code, (first, last) in th["areas"].items():
                rows[(flight, p.id, code)] = _row(flight, p.id, code, names, first, last)
                threat_by[(flight, p.id, code)] = th["by"][code]
        for flight, th in truth.items():
            for sea, t_fell, lon, lat in th["falls"]:
                falls.append((p.id, flight, sea, t_fell, lon, lat))
            for sea, times in th["seas"].items():
                maritime.append(
                    {
                        "flight": flight,
                        "partner": p.id,
                        "sea": sea,
                        "truth_s": min(times),
                        "first_message_s": None,
                    }
                )
    by_partner = {p.id: p for p in partners}
    for a in sorted(alerts, key=lambda a: (a.t_ns, a.identifier)):
        if a.partner not in by_partner:
            continue
        flight = event_flight.get(a.event_id)
        t_rel = ns_to_s(a.t_ns) - launch_t.get(flight, 0.0)
        expires_s = _expires_s(sim, a, launch_t.get(flight, 0.0))  # its CAP read once
        for key in a.areas:
            if key.startswith("sea:"):
                sea = key[4:]
                m = next(
                    (
                        m
                        for m in maritime
                        if m["flight"] == flight and m["partner"] == a.partner and m["sea"] == sea
                    ),
                    None,
                )
                if m is None:
                    m = {
                        "flight": flight,
                        "partner": a.partner,
                        "sea": sea,
                        "truth_s": None,
                        "first_message_s": None,
                    }
                    maritime.append(m)
                if m["first_message_s"] is None:
                    m["first_message_s"] = t_rel
                _credit_falls(a, sea, falls, maritime, launch_t)
                continue
            code = key.split(":", 1)[1]
            row = rows.get((flight, a.partner, code))
            if row is None:
                row = rows[(flight, a.partner, code)] = _row(flight, a.partner, code, names)
                if (flight, a.partner, code) in under_notice:
                    row["under_notice"] = True
            if row["first_message_s"] is None:
                row["first_message_s"] = t_rel
                if row["truth_s"] is not None:
                    row["lead_s"] = row["truth_s"] - t_rel
            row["kinds"].append(a.kind)
            row["expires_s"] = expires_s
            if a.shelter:
                row["shelter"] = True
                if row["first_shelter_s"] is None:
                    row["first_shelter_s"] = t_rel
            if a.kind in CALL_KINDS:
                # How far the truth lay from the stated 95 % region that made this call (the
                # worst of the area's calls); an announced flight's call has none, nor a call
                # for an area only the announced part of a flight reached (it threatened
                # nobody whatever was said).
                geom = (regions or {}).get(a.identifier, {}).get(key, {})
                m2 = (
                    None
                    if flight in announced or row.get("under_notice")
                    else region_m2(sim, flight, geom.get("region"))
                )
                prev = row.get("region_m2", 0.0)
                row["region_m2"] = None if m2 is None or prev is None else max(prev, m2)
            if a.kind == "ALL_CLEAR":
                row["all_clear_s"] = t_rel
                if row["hazard_end_s"] is not None:
                    row["all_clear_delay_s"] = t_rel - row["hazard_end_s"]
            if a.kind == "NO_THREAT":
                withdrawn.append(f"{a.partner}:{code}")
                row["withdrawn_s"] = t_rel
                if row["first_shelter_s"] is not None:
                    row["withdrawn_after_s"] = t_rel - row["first_shelter_s"]
    for r in rows.values():
        if r["truth_s"] is None and r["flight"] in grounds:
            # Warned and never reached: how far off the truth passed (a near miss or a phantom).
            r["truth_closest_km"] = closest_km(
                grounds[r["flight"]], footprints[(r["partner"], r["code"])]
            )
    areas = sorted(rows.values(), key=lambda r: (str(r["flight"]), r["partner"], r["code"]))
    seen = observed_objects(sim)
    root = {tr.object_id: tr.parent_id or tr.object_id for tr in sim.trajectories}
    seen_flights = None if seen is None else {root.get(k, k) for k in seen}

    def observed(r) -> bool:
        """Whether a sensor detected one of the objects over a truly threatened area."""
        return seen is None or bool(threat_by[(r["flight"], r["partner"], r["code"])] & seen)

    unwarned = [r for r in areas if r["truth_s"] is not None and not r["shelter"]]
    missed = sorted({f"{r['partner']}:{r['code']}" for r in unwarned if observed(r)})
    unobserved = sorted({f"{r['partner']}:{r['code']}" for r in unwarned if not observed(r)})
    # Told to shelter, never threatened: precautionary when every call's stated 95 % region
    # held the truth (the area was inside an honest region and the truth passed beside it),
    # else false (the region was wrong, or not known).
    never = [r for r in areas if r["truth_s"] is None and r["shelter"]]
    precautionary = sorted({f"{r['partner']}:{r['code']}" for r in never if _held(r)})
    false = sorted({f"{r['partner']}:{r['code']}" for r in never if not _held(r)})
    late = sorted(
        {
            f"{r['partner']}:{r['code']}"
            for r in areas
            if r["truth_s"] is not None
            and r["first_shelter_s"] is not None
            and r["first_shelter_s"] > r["truth_s"]
        }
    )
    # Told to shelter, no all-clear: when was it due? ``ALL_CLEAR_DUE_S`` after the hazard's
    # end (for an area never threatened, the flight's: its last piece down or in orbit). Due
    # after the run's end, nobody could send it in the run: the call must then stay in force
    # (its last message not expired) until that end, or people leave shelter before the fall.
    duration = getattr(sim.scenario, "duration_s", None)
    unclear, after_run, expired = set(), set(), set()
    for r in areas:
        if not r["shelter"] or r["all_clear_s"] is not None:
            continue
        key = f"{r['partner']}:{r['code']}"
        end = r["hazard_end_s"] if r["truth_s"] is not None else ends.get(r["flight"])
        t0 = launch_t.get(r["flight"], 0.0)
        if end is None or duration is None or t0 + end + ALL_CLEAR_DUE_S <= duration:
            unclear.add(key)
            continue
        r["all_clear_due_after_run"] = True
        if r.get("expires_s") is not None and r["expires_s"] < end:
            expired.add(key)
        else:
            after_run.add(key)
    return {
        "messages": len([a for a in alerts if a.partner in by_partner]),
        "xsd_valid": not errors,
        "xsd_errors": errors[:5],
        "missed_areas": missed,
        "unobserved_areas": unobserved,
        "false_areas": false,
        "precautionary_areas": precautionary,
        "late_areas": late,
        "sheltered_without_all_clear": sorted(unclear),
        "all_clear_after_run": sorted(after_run),
        "expired_before_hazard_end": sorted(expired),
        "withdrawals": len(withdrawn),
        "withdrawn": withdrawn,
        "areas": areas,
        "maritime": maritime,
        "false_seas": sorted(
            {f"{m['partner']}:{m['sea']}" for m in maritime if m["truth_s"] is None}
        ),
        "missed_seas": sorted(
            {
                f"{m['partner']}:{m['sea']}"
                for m in maritime
                if m["truth_s"] is not None
                and m["first_message_s"] is None
                and (seen_flights is None or m["flight"] in seen_flights)
            }
        ),
        "messages_by_kind": dict(Counter(a.kind for a in alerts if a.partner in by_partner)),
        "events": {e: f for e, f in sorted(event_flight.items())},
        "announced_flights": announced,
    }


def _expires_s(sim, alert: Alert, t_launch: float) -> float | None:
    """An alert's CAP ``expires`` (the latest of its infos'), s after the launch ``t_launch``
    (s from the scenario's epoch); None when the scenario has no epoch or the alert says none."""
    from lookout.warn.atom import summarise

    epoch = getattr(sim.scenario, "epoch", None)
    expires = summarise(alert.cap).expires if epoch is not None else None
    return None if expires is None else (expires - epoch).total_seconds() - t_launch


def _held(row: dict) -> bool:
    """Whether every shelter call of a row was made on a stated 95 % region that held the
    truth (``region_m2`` at most ``CHI2_2D_95``)."""
    m2 = row.get("region_m2")
    return m2 is not None and m2 <= CHI2_2D_95


def _credit_falls(alert, sea: str, falls, maritime: list[dict], launch_t: dict) -> None:
    """A maritime message tells ships of the hazard area it draws: every true fall of another
    flight in that sea, inside that area and already down when it was sent, was told too (two
    launches the picture put in one event share one chain of maritime messages)."""
    from lxml import etree

    polys = [
        shapely.Polygon([(lon, lat) for lat, lon in read_ring(text)])
        for text in etree.fromstring(alert.cap).xpath(
            "//cap:area/cap:polygon/text()", namespaces={"cap": CAP_NS}
        )
    ]
    t_sent = ns_to_s(alert.t_ns)
    for m in maritime:
        if m["partner"] != alert.partner or m["sea"] != sea or m["first_message_s"] is not None:
            continue
        for partner, flight, fsea, fell_t, lon, lat in falls:
            if (partner, flight, fsea) != (alert.partner, m["flight"], sea):
                continue
            if fell_t <= t_sent and any(shapely.contains_xy(p, lon, lat) for p in polys):
                m["first_message_s"] = t_sent - launch_t.get(flight, 0.0)
                break


def _row(flight, partner, code, names, first=None, last=None) -> dict:
    return {
        "flight": flight,
        "partner": partner,
        "code": code,
        "name_en": names.get((partner, code), code),
        "truth_s": first,
        "hazard_end_s": last,
        "first_message_s": None,
        "lead_s": None,
        "shelter": False,
        "first_shelter_s": None,
        "all_clear_s": None,
        "all_clear_delay_s": None,
        "expires_s": None,
        "kinds": [],
    }


__all__ = [
    "announced_flights",
    "attribute_events",
    "flight_notices",
    "judge",
    "region_m2",
    "truth_threats",
]
