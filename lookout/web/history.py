"""The picture as the page draws it: one append-only log of entries per view.

A *view* is whose picture it is: ``"all"`` (the exchange's common picture) or a partner id (what
that partner's node accepted; the exchange's routing already left out what its policy
withholds). Every system-track update given to :meth:`PictureHistory.add` becomes entries of
that view's log, JSON-ready, at the web edge's units (seconds from the scenario epoch, degrees,
km, ECEF metres for positions):

- ``{"k": "s", "id", "t", "p": [x, y, z], "ph"}``: a trail sample (ECEF m; phase code 0 boost,
  1 coast, 2 reentry, -1 not yet assessed), at most one per ``trail_step_s`` and track;
- ``{"k": "a", "id", "t", "a": {...}}``: a new assessment (see :func:`assessment_view`), with the
  predicted path to impact (``path``, ECEF m) flown from the track's state by the flight model;
- ``{"k": "p", "id", "t", "partners"}``: the contributing partners changed;
- ``{"k": "e", "t", "id", "kind", "text"}``: a timeline event (new track, class, burnout and
  predicted impact, impact area, overflight, track lost, alerts);
- ``{"k": "w", "t", "alert": {...}}``: an alert (from :mod:`lookout.web.alerts`);
- ``{"k": "c", "t"}``: the picture's clock moved on.

The page fetches a view's log once and then follows it (server-sent events from its cursor), so
the live page and a replay draw the same log the same way; the time slider only chooses which
instant of it is drawn. Every entry carries ``w``, the wall time (ms since the Unix epoch) it was
appended, from which the page measures its update latency.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import numpy as np

from lookout import messages as m
from lookout.geodesy import geodesic_direct
from lookout.timebase import ns_to_s, s_to_ns

#: Phase codes of trail samples.
PHASE_CODE = {"boost": 0, "coast": 1, "reentry": 2}
#: Points of an ellipse outline.
ELLIPSE_POINTS = 48
#: Most points of a predicted path.
PATH_POINTS = 64


def ellipse_outline_deg(lat: float, lon: float, e: m.Ellipse | None) -> list[list[float]]:
    """The outline of an ellipse on the ground, ``[[lat_deg, lon_deg], ...]`` (closed), drawn
    with geodesics from its centre (``lat``, ``lon`` in rad) along each direction."""
    if e is None or not (e.semi_major_m > 0):
        return []
    th = np.linspace(0.0, 2 * np.pi, ELLIPSE_POINTS + 1)
    a, b = e.semi_major_m, max(e.semi_minor_m, 1.0)
    # A point at parameter th: a cos th along the major axis, b sin th across it.
    along, across = a * np.cos(th), b * np.sin(th)
    az = e.orientation_rad + np.arctan2(across, along)
    dist = np.hypot(along, across)
    la, lo = geodesic_direct(np.full_like(th, lat), np.full_like(th, lon), az, dist)
    return [[round(math.degrees(p), 4), round(math.degrees(q), 4)]
            for p, q in zip(la, lo, strict=True)]  # fmt: skip


def _deg(x: float | None) -> float | None:
    return None if x is None else round(math.degrees(x), 4)


def _km(x: float | None) -> float | None:
    return None if x is None or not math.isfinite(x) else round(x / 1e3, 1)


def _s(t_ns: int | None) -> float | None:
    return None if t_ns is None else ns_to_s(t_ns)


#: What the page calls the pieces of a launch that are not its payload.
PIECE_LABEL = {"spent_stage": "spent stage", "debris": "debris"}


def track_label(st: m.SystemTrack) -> str | None:
    """What the page calls a track: a spent stage or debris as such (its own range would make
    a stage falling off the coast an "SRBM"), else its launch event's class (by its payload),
    else its own class, "orbital" for an object in orbit, None before it is assessed."""
    if st.object_type in PIECE_LABEL:
        return PIECE_LABEL[st.object_type]
    a = st.assessment
    if a is not None and a.orbital:
        return "orbital"
    return st.event_class or (a.vehicle_class if a is not None else None)


def assessment_view(a: m.Assessment) -> dict:
    """An assessment at the web edge: degrees, km, seconds from the epoch; ellipse outlines."""
    out = {
        "t": ns_to_s(a.t_ns),
        "phase": a.phase,
        "class": a.vehicle_class,
        "orbital": a.orbital,
        "apogee_km": _km(a.apogee_m),
        "range_km": _km(a.range_m),
        "equivalent_range_km": _km(a.equivalent_range_m),
        "overflown": list(a.overflown),
        "launch": None,
        "impact": None,
        "orbit": None,
    }
    if a.launch_lat_rad is not None and a.launch_lon_rad is not None:
        out["launch"] = {
            "lat_deg": _deg(a.launch_lat_rad),
            "lon_deg": _deg(a.launch_lon_rad),
            "t": _s(a.launch_time_ns),
            "sigma_s": _s(a.launch_time_sigma_ns),
            "ellipse": ellipse_outline_deg(a.launch_lat_rad, a.launch_lon_rad, a.launch_ellipse),
            "semi_major_km": _km(a.launch_ellipse.semi_major_m) if a.launch_ellipse else None,
        }
    if a.impact_lat_rad is not None and a.impact_lon_rad is not None:
        e = a.impact_ellipse
        out["impact"] = {
            "lat_deg": _deg(a.impact_lat_rad),
            "lon_deg": _deg(a.impact_lon_rad),
            "t": _s(a.impact_time_ns),
            "sigma_s": _s(a.impact_time_sigma_ns),
            "iip": a.iip,
            "semi_major_km": _km(e.semi_major_m) if e else None,
            "semi_minor_km": _km(e.semi_minor_m) if e else None,
            "orientation_deg": round(math.degrees(e.orientation_rad), 1) if e else None,
            "ellipse": ellipse_outline_deg(a.impact_lat_rad, a.impact_lon_rad, e),
            "area": a.impact_area,
            "area_kind": a.impact_area_kind,
            "areas": [
                {"code": s.code, "kind": s.kind, "share": round(s.prob, 3)} for s in a.impact_areas
            ],
        }
    if a.orbit is not None:
        o = a.orbit
        out["orbit"] = {
            "perigee_km": _km(o.perigee_m),
            "apogee_km": _km(o.apogee_m),
            "inclination_deg": round(math.degrees(o.inclination_rad), 2),
            "period_min": round(o.period_s / 60.0, 1),
        }
    return out


def predicted_paths(states: np.ndarray, t0: np.ndarray) -> list[list[float]]:
    """The coasting flight of each state (N, 6) ECEF from ``t0`` (N,) to the ground, by the
    flight model (J2, rotating Earth, atmosphere, a reentry vehicle's drag), as flat
    ``[x, y, z, ...]`` lists (ECEF m, at most ``PATH_POINTS`` points, the last the impact)."""
    from lookout.assess.impact import MAX_COAST_S, BallisticPrior
    from lookout.physics.propagate import ObjectSpec, Segment, propagate

    prior = BallisticPrior()
    specs = [
        ObjectSpec(
            object_id=str(i),
            t0=float(t0[i]),
            pos0=np.asarray(states[i, :3], dtype=float),
            vel0=np.asarray(states[i, 3:6], dtype=float),
            segments=[
                Segment(np.inf, prior.mass_per_area_kg_m2, area_m2=1.0,
                        drag=prior.drag_table, kind="reentry_vehicle")
            ],
            t_stop=float(t0[i]) + MAX_COAST_S,
        )
        for i in range(len(states))
    ]  # fmt: skip
    out = []
    for tr in propagate(specs, spawn_debris=False)[: len(specs)]:
        pos = tr.pos
        if len(pos) > PATH_POINTS:
            idx = np.unique(np.linspace(0, len(pos) - 1, PATH_POINTS).round().astype(int))
            pos = pos[idx]
        out.append([round(float(v), 0) for v in pos.reshape(-1)])
    return out


@dataclass
class _Track:
    """What a view remembers of one system track, to know what changed."""

    last_t: float = -math.inf
    sample_t: float = -math.inf
    partners: tuple[str, ...] = ()
    assessment_ns: int | None = None
    phase: str | None = None
    label: str | None = None  # track_label at its last assessment
    impact_area: str | None = None
    overflown: tuple[str, ...] = ()
    lost: bool = False


@dataclass
class ViewLog:
    """One view's log (see the module docstring) and the latest system track of each id."""

    name: str
    entries: list[dict] = field(default_factory=list)
    latest: dict[str, m.SystemTrack] = field(default_factory=dict)
    tracks: dict[str, _Track] = field(default_factory=dict)
    t: float = -math.inf

    def current(self, stale_s: float) -> list[m.SystemTrack]:
        """The system tracks refreshed within ``stale_s`` of the view's latest time."""
        if not math.isfinite(self.t):
            return []
        limit = s_to_ns(self.t - stale_s)
        return [st for st in self.latest.values() if st.t_ns >= limit]


class PictureHistory:
    """Every view's log; feed it with :meth:`add` (one system-track update of one view),
    :meth:`add_event` and :meth:`add_alert`, and :meth:`flush` at the end of a batch.

    Predicted paths are flown in one batch per picture instant (every track of a view whose
    assessment changed; a path flown for one view is reused by the others), so a view's
    assessment entries are appended when that view's next instant starts or at :meth:`flush`.
    Each view keeps its own instant, so where they land in a view's log depends on that view's
    messages alone, not on how the views' deliveries interleave (live and replay interleave
    them differently; an assessment instant's tracks come twice, the fresh assessment with the
    second, after the common picture may have started the next instant). ``on_append`` is
    called after entries were appended (to wake the streams).
    """

    def __init__(
        self,
        views: Iterable[str],
        *,
        trail_step_s: float = 1.0,
        stale_s: float = 5.0,
        wall_ms: Callable[[], float] = lambda: time.time() * 1e3,
    ) -> None:
        self.views: dict[str, ViewLog] = {v: ViewLog(v) for v in views}
        self.trail_step_s = trail_step_s
        self.stale_s = stale_s
        self.wall_ms = wall_ms
        self.on_append: list[Callable[[], None]] = []
        self._pending: dict[str, list[tuple[m.SystemTrack, dict]]] = {v: [] for v in self.views}
        self._pending_t: dict[str, float] = dict.fromkeys(self.views, -math.inf)
        self._paths: dict[tuple[str, int], list[float]] = {}
        self.paths_flown = 0

    def view(self, name: str) -> ViewLog:
        try:
            return self.views[name]
        except KeyError:
            raise KeyError(f"view = {name!r}, expected one of {sorted(self.views)}") from None

    # -- input -------------------------------------------------------------------------------

    def add(self, view: str, st: m.SystemTrack) -> None:
        """One system-track update as ``view`` received it."""
        log = self.view(view)
        t = ns_to_s(st.t_ns)
        if t > self._pending_t[view] + 1e-9:
            self._fly_pending([view])
            self._pending_t[view] = t
        tid = st.system_track_id
        old = log.latest.get(tid)
        if old is not None and st.t_ns < old.t_ns:
            return  # out of order: the page keeps the newest
        log.latest[tid] = st
        w = self.wall_ms()
        out = log.entries
        if t > log.t:
            log.t = t
            out.append({"k": "c", "t": t, "w": w})
            self._lose_stale(log, w)
        tr = log.tracks.get(tid)
        if tr is None:
            tr = log.tracks[tid] = _Track()
            out.append({"k": "e", "t": t, "id": tid, "kind": "new", "w": w,
                        "text": f"{tid}: new track, from {', '.join(st.partners)}"})  # fmt: skip
        elif tr.lost:
            out.append({"k": "e", "t": t, "id": tid, "kind": "new", "w": w,
                        "text": f"{tid}: seen again"})  # fmt: skip
        tr.lost = False
        tr.last_t = t
        partners = tuple(st.partners)
        if partners != tr.partners:
            tr.partners = partners
            out.append({"k": "p", "id": tid, "t": t, "partners": list(partners), "w": w})
        a = st.assessment
        phase = tr.phase
        if a is not None and a.t_ns != tr.assessment_ns:
            tr.assessment_ns = a.t_ns
            phase = a.phase
            view_a = assessment_view(a)
            view_a.update(event=st.event_id, object=st.object_type, label=track_label(st),
                          announced=list(st.notices))  # fmt: skip
            self._events(log, tid, tr, a, view_a, w)
            wants_path = (
                not a.iip and not a.orbital and a.impact_lat_rad is not None and a.phase != "boost"
            )
            if wants_path:
                self._pending[view].append((st, view_a))
            else:
                view_a["path"] = None
                out.append({"k": "a", "id": tid, "t": ns_to_s(a.t_ns), "a": view_a, "w": w})
        if t - tr.sample_t >= self.trail_step_s - 1e-9 or phase != tr.phase:
            tr.sample_t = t
            out.append({"k": "s", "id": tid, "t": t, "w": w,
                        "p": [round(v, 0) for v in st.x[:3]],
                        "ph": PHASE_CODE.get(phase, -1)})  # fmt: skip
        tr.phase = phase
        self._notify()

    def add_event(self, view: str | None, t: float, kind: str, text: str, tid=None) -> None:
        """A timeline event for ``view`` (None: every view)."""
        w = self.wall_ms()
        for log in self._views(view):
            log.entries.append({"k": "e", "t": t, "id": tid, "kind": kind, "text": text, "w": w})
        self._notify()

    def add_alert(self, view: str | None, t: float, alert: dict, text: str) -> None:
        """An alert (see :mod:`lookout.web.alerts`) for ``view`` (None: every view), with its
        timeline event."""
        w = self.wall_ms()
        for log in self._views(view):
            log.entries.append({"k": "w", "t": t, "alert": alert, "w": w})
            log.entries.append({"k": "e", "t": t, "id": None, "kind": "alert", "text": text,
                                "w": w})  # fmt: skip
        self._notify()

    def flush(self) -> None:
        """Fly the predicted paths still pending and append their assessments."""
        self._fly_pending(list(self.views))
        self._notify()

    # -- output ------------------------------------------------------------------------------

    def since(self, view: str, cursor: int) -> tuple[list[dict], int]:
        """The entries of ``view`` from index ``cursor``, and the next cursor."""
        entries = self.view(view).entries
        return entries[cursor:], len(entries)

    def picture(self, view: str) -> tuple[int, list[m.SystemTrack]]:
        """The view's latest time (ns) and its current system tracks (not stale)."""
        log = self.view(view)
        t_ns = s_to_ns(log.t) if math.isfinite(log.t) else 0
        tracks = sorted(log.current(self.stale_s), key=lambda st: _track_order(st.system_track_id))
        return t_ns, tracks

    # -- internals ---------------------------------------------------------------------------

    def _views(self, view: str | None) -> list[ViewLog]:
        return list(self.views.values()) if view is None else [self.view(view)]

    def _notify(self) -> None:
        for f in self.on_append:
            f()

    def _lose_stale(self, log: ViewLog, w: float) -> None:
        for tid, tr in log.tracks.items():
            if not tr.lost and tr.last_t < log.t - self.stale_s:
                tr.lost = True
                log.entries.append({"k": "e", "t": tr.last_t + self.stale_s, "id": tid,
                                    "kind": "lost", "text": f"{tid}: no longer in the picture",
                                    "w": w})  # fmt: skip

    def _fly_pending(self, views: list[str]) -> None:
        pending = [(view, st, view_a) for view in views for st, view_a in self._pending[view]]
        if not pending:
            return
        todo = [(tid, st) for _, st, _ in pending
                if (tid := st.system_track_id, st.t_ns) not in self._paths]  # fmt: skip
        unique = {(st.system_track_id, st.t_ns): st for _, st in todo}
        if unique:
            keys = list(unique)
            states = np.array([unique[k].x for k in keys], dtype=float)
            t0 = np.array([ns_to_s(unique[k].t_ns) for k in keys])
            for k, path in zip(keys, predicted_paths(states, t0), strict=True):
                self._paths[k] = path
            self.paths_flown += len(keys)
        w = self.wall_ms()
        for view, st, view_a in pending:
            view_a["path"] = self._paths.get((st.system_track_id, st.t_ns))
            self.view(view).entries.append(
                {"k": "a", "id": st.system_track_id, "t": view_a["t"], "a": view_a, "w": w}
            )
        for view in views:
            self._pending[view].clear()
        if len(self._paths) > 4096:  # one instant's paths are all that is reused
            self._paths.clear()

    def _events(self, log: ViewLog, tid: str, tr: _Track, a: m.Assessment, va: dict, w) -> None:
        t = ns_to_s(a.t_ns)
        out = log.entries

        def event(kind: str, text: str) -> None:
            out.append({"k": "e", "t": t, "id": tid, "kind": kind, "text": text, "w": w})

        # Burnout first: a class taken at the burnout's own instant follows from it.
        if tr.phase == "boost" and a.phase != "boost":
            event("burnout", f"{tid}: burnout")
        cls = va["label"]
        if cls and cls != tr.label:
            old = tr.label
            what = "classified" if old is None else f"reclassified from {old}"
            event("class", f"{tid}: {what} {cls}")
            tr.label = cls
        imp = va["impact"]
        if imp is not None and not imp["iip"] and a.phase != "boost":
            area = impact_area_text(a, shares=False)
            if area != tr.impact_area:
                axis = f" ±{imp['semi_major_km']:.0f} km" if imp["semi_major_km"] else ""
                event("impact", f"{tid}: predicted impact {_latlon(imp)}{axis} ({area})")
                tr.impact_area = area
        new = [c for c in a.overflown if c not in tr.overflown]
        if new:
            event("overflight", f"{tid}: overflies {' '.join(new)}")
            tr.overflown = tuple(a.overflown)


def _latlon(p: dict) -> str:
    lat, lon = p["lat_deg"], p["lon_deg"]
    return f"{abs(lat):.2f}°{'N' if lat >= 0 else 'S'} {abs(lon):.2f}°{'E' if lon >= 0 else 'W'}"


def _track_order(tid: str):
    digits = tid.lstrip("S")
    return (0, int(digits), tid) if digits.isdigit() else (1, 0, tid)


def impact_area_text(a: m.Assessment, shares: bool = True) -> str:
    """Where an impact comes down, as a picture says it: the area named ("JP"); else the areas
    its 95% region covers ("JP 55% or RU 45%", without ``shares`` "JP or RU"), none being named
    until one holds 95% of the region (``lookout.assess.assessment.IMPACT_AREA_PROB``); else
    the high seas, or "area not yet known"."""
    if a.impact_area is not None:
        return a.impact_area
    if a.impact_area_kind == "high_seas":
        return "high seas"
    if a.impact_areas:
        return " or ".join(
            (s.code or "high seas") + (f" {_percent(s.prob)}" if shares else "")
            for s in a.impact_areas
        )
    return "area not yet known"


def _percent(p: float) -> str:
    return "<1%" if p < 0.01 else f"{p:.0%}"
