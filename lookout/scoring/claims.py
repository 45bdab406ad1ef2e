"""What a track's assessments claim, judged against what the truth did.

A duty officer acts on three claims of an assessed track: *where it was launched from*, *which
territories it overflies* and *where it comes down*. Each is judged against the truth:

- **Phantom launch**: a track whose assessment placed its launch point farther than
  ``phantom_km`` (50 km) from every true launch site, at any time. Counted once per track.
- **False overflight claim**: a (track, territory) pair where the track's assessment listed the
  territory as overflown (seen or predicted, during boost or after) and no object of the flight
  the track follows overflies that territory's land (its launching territory included; between
  the ground track's points too, ``Territories.crossed``: a 3 km tip of land between two points
  10 km apart is overflown). A track
  that follows no truth (a false track) has every claim false. Each claim carries the distance
  from the flight's true ground track to the claimed land, to tell a near miss from a phantom.
- **False impact-area claim**: a (track, territory) pair where the track's predicted impact
  point (after burnout, not the instantaneous impact point while thrusting) lay on that
  territory's land or in its approximate EEZ and no object of the flight comes down on that
  territory's land or in its EEZ. Claims of the high seas are never false alarms.

The flight a track follows is the launch of the truth object it was matched to (or duplicated)
most often (``lookout.scoring.association``); a flight's objects are the launch and every object
that separated from it (spent stages, the reentry vehicle). Territories are
``lookout.assess.territory``'s outlines and approximate EEZs, the same the assessment uses, so an
outline's coarseness never makes a claim false.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

from lookout.assess.territory import Territories, territories
from lookout.geodesy import ecef_to_geodetic, geodesic_inverse

#: A launch point farther than this from every true launch site is a phantom launch (km).
PHANTOM_KM = 50.0
_R_MEAN_M = 6371008.8


@dataclass(frozen=True)
class ClaimRecord:
    """One assessment of one track, as claims: launch point (rad, None if unknown),
    territories listed as overflown, and the impact area (code and kind) with whether the
    impact is the instantaneous impact point (``iip``, while thrusting)."""

    track_id: str
    t: float
    launch_lat: float | None
    launch_lon: float | None
    overflown: tuple[str, ...]
    impact_area: str | None
    impact_area_kind: str | None
    iip: bool


@dataclass(frozen=True)
class Flight:
    """What one launch truly did: its site (rad) and time (s), the territories its objects'
    ground tracks cross (launching territory included) and the territories (land or EEZ) its
    objects come down in, with the ground track's unit vectors for distances."""

    launch_id: str
    site_lat: float
    site_lon: float
    launch_time: float
    overflown: frozenset[str]
    impact_areas: frozenset[str]
    ground_xyz: np.ndarray = field(repr=False)


def root_of(trajectories: Sequence) -> dict[str, str]:
    """Each object id to the id of the launch it came from (following ``parent_id``)."""
    parent = {tr.object_id: tr.parent_id for tr in trajectories}
    out = {}
    for oid in parent:
        r, seen = oid, set()
        while parent.get(r) is not None and r not in seen:
            seen.add(r)
            r = parent[r]
        out[oid] = r
    return out


def _unit(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    return np.stack([np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)], axis=-1)


def flights(
    launches: Sequence, trajectories: Sequence, outlines: Territories | None = None
) -> dict[str, Flight]:
    """Per launch (``object_id``, ``site_lat``/``site_lon`` rad, ``launch_time`` s), what it
    truly did."""
    outlines = outlines or territories()
    root = root_of(trajectories)
    members: dict[str, list] = {}
    for tr in trajectories:
        members.setdefault(root[tr.object_id], []).append(tr)
    out = {}
    for launch in launches:
        over: set[str] = set()
        areas: set[str] = set()
        ground = []
        for tr in members.get(launch.object_id, []):
            t, lat, lon = _dense_ground_track(tr)
            over.update(outlines.crossed(lat, lon))  # between its points too
            ground.append(_unit(np.asarray(lat), np.asarray(lon)))
            if tr.event("impact") is not None and tr.event("orbit_insertion") is None:
                ilat, ilon, _ = ecef_to_geodetic(tr.event("impact").pos)
                area = outlines.area_at(float(ilat), float(ilon))
                if area.code is not None:
                    areas.add(area.code)
        out[launch.object_id] = Flight(
            launch.object_id,
            float(launch.site_lat),
            float(launch.site_lon),
            float(launch.launch_time),
            frozenset(over),
            frozenset(areas),
            np.concatenate(ground) if ground else np.zeros((0, 3)),
        )
    return out


def _dense_ground_track(tr, step_m: float = 10e3):
    """A truth object's ground track ``(t, lat, lon)`` at its samples and between them every
    ``step_m`` or closer (its own interpolation, ``Trajectory.state_at``): a satellite's
    trajectory is sampled every 30 s, 230 km apart on the ground, and its samples alone miss
    land it crosses between two of them (quiet-sky's SAT-B over Korea's east coast for 5 s,
    which the tracks of it rightly claimed: the assessment densifies its own ground track,
    ``assess.assessment._densify_track``)."""
    lat, lon, _ = ecef_to_geodetic(tr.pos)
    lat, lon = np.asarray(lat, dtype=float), np.asarray(lon, dtype=float)
    if tr.t.size < 2:
        return tr.t, lat, lon
    u = _unit(lat, lon)
    ang = np.arccos(np.clip(np.einsum("ij,ij->i", u[:-1], u[1:]), -1.0, 1.0))
    k = np.maximum(1, np.ceil(ang * _R_MEAN_M / step_m).astype(int))
    if (k == 1).all():
        return tr.t, lat, lon
    seg = np.repeat(np.arange(tr.t.size - 1), k)
    s = (np.arange(k.sum()) - np.repeat(np.cumsum(k) - k, k)) / np.repeat(k, k)
    t = np.append(tr.t[seg] + s * (tr.t[seg + 1] - tr.t[seg]), tr.t[-1])
    la, lo, _ = ecef_to_geodetic(tr.state_at(t)[:, :3])
    return t, np.asarray(la, dtype=float), np.asarray(lo, dtype=float)


def _distance_to_land_km(ground_xyz: np.ndarray, code: str, outlines: Territories) -> float:
    """Great-circle distance (km) from a ground track to a territory's coast (0 if it crosses
    the land); NaN without a ground track."""
    coast = outlines.coast_xyz[outlines.coast_code == code]
    if ground_xyz.size == 0 or coast.size == 0:
        return float("nan")
    lat = np.arcsin(np.clip(ground_xyz[:, 2], -1, 1))
    lon = np.arctan2(ground_xyz[:, 1], ground_xyz[:, 0])
    if (outlines.land_at(lat, lon) == code).any():
        return 0.0
    step = max(1, ground_xyz.shape[0] // 3000)
    cos = np.clip(ground_xyz[::step] @ coast.T, -1.0, 1.0)
    return float(np.arccos(cos.max())) * _R_MEAN_M / 1e3


@dataclass(frozen=True)
class Claims:
    """The judged claims of a set of tracks; ``to_dict()`` is the JSON form (km, deg, s)."""

    phantom_launches: list[dict]
    false_overflights: list[dict]
    false_impact_areas: list[dict]
    launch_claims: int
    overflight_claims: int
    impact_area_claims: int

    def to_dict(self) -> dict:
        return {
            "phantom_launches": len(self.phantom_launches),
            "false_overflight_claims": len(self.false_overflights),
            "false_impact_area_claims": len(self.false_impact_areas),
            "tracks_with_launch_point": self.launch_claims,
            "overflight_claims": self.overflight_claims,
            "impact_area_claims": self.impact_area_claims,
            "phantom_launch_details": self.phantom_launches,
            "false_overflight_details": self.false_overflights,
            "false_impact_area_details": self.false_impact_areas,
        }


def judge_claims(
    records: Iterable[ClaimRecord],
    flight_of_track: dict[str, str | None],
    truth: dict[str, Flight],
    *,
    phantom_km: float = PHANTOM_KM,
    outlines: Territories | None = None,
) -> Claims:
    """Judge every claim of ``records`` (see the module doc). ``flight_of_track`` maps a track
    id to the launch id of the flight it follows (None or absent: it follows none)."""
    outlines = outlines or territories()
    sites = [(f.site_lat, f.site_lon) for f in truth.values()]
    phantom: dict[str, dict] = {}
    launch_tracks: set[str] = set()
    over_first: dict[tuple[str, str], ClaimRecord] = {}
    area_first: dict[tuple[str, str], ClaimRecord] = {}
    for r in sorted(records, key=lambda r: r.t):
        if r.launch_lat is not None and r.launch_lon is not None:
            launch_tracks.add(r.track_id)
            if r.track_id not in phantom:
                d_km = min(
                    (float(geodesic_inverse(r.launch_lat, r.launch_lon, la, lo)[0]) / 1e3
                     for la, lo in sites),
                    default=float("inf"),
                )  # fmt: skip
                if d_km > phantom_km:
                    phantom[r.track_id] = {
                        "track": r.track_id,
                        "t_s": r.t,
                        "lat_deg": float(np.degrees(r.launch_lat)),
                        "lon_deg": float(np.degrees(r.launch_lon)),
                        "nearest_launch_km": d_km if np.isfinite(d_km) else None,
                    }
        for code in r.overflown:
            over_first.setdefault((r.track_id, code), r)
        if not r.iip and r.impact_area is not None and r.impact_area_kind in ("land", "eez"):
            area_first.setdefault((r.track_id, r.impact_area), r)

    def flight(track: str) -> Flight | None:
        fid = flight_of_track.get(track)
        return truth.get(fid) if fid is not None else None

    false_over = []
    for (track, code), r in over_first.items():
        f = flight(track)
        if f is not None and code in f.overflown:
            continue
        miss = _distance_to_land_km(f.ground_xyz, code, outlines) if f is not None else None
        false_over.append({
            "track": track, "territory": code, "t_s": r.t, "iip": r.iip,
            "flight": f.launch_id if f else None,
            "truth_miss_km": miss if miss is None or np.isfinite(miss) else None,
        })  # fmt: skip
    false_area = []
    for (track, code), r in area_first.items():
        f = flight(track)
        if f is not None and code in f.impact_areas:
            continue
        false_area.append({
            "track": track, "territory": code, "kind": r.impact_area_kind, "t_s": r.t,
            "flight": f.launch_id if f else None,
            "truth_impact_areas": sorted(f.impact_areas) if f else [],
        })  # fmt: skip
    return Claims(
        phantom_launches=sorted(phantom.values(), key=lambda d: d["t_s"]),
        false_overflights=sorted(false_over, key=lambda d: d["t_s"]),
        false_impact_areas=sorted(false_area, key=lambda d: d["t_s"]),
        launch_claims=len(launch_tracks),
        overflight_claims=len(over_first),
        impact_area_claims=len(area_first),
    )


def flight_of_tracks(association, root: dict[str, str], names: dict[int, str]) -> dict[str, str]:
    """Each estimate id (as named by ``names``) to the launch of the truth it was matched to or
    duplicated most often (false estimates are absent)."""
    a = association
    on = np.where(a.is_matched, -1, a.duplicate_of)
    on[a.row] = a.truth
    sel = on >= 0
    out: dict[str, str] = {}
    if not sel.any():
        return out
    pairs, counts = np.unique(
        np.stack([a.est_id[sel], on[sel]], axis=1), axis=0, return_counts=True
    )
    best: dict[int, tuple[int, int]] = {}
    for (eid, j), n in zip(pairs.tolist(), counts.tolist(), strict=True):
        if eid not in best or n > best[eid][1]:
            best[eid] = (j, n)
    for eid, (j, _) in best.items():
        out[names.get(eid, str(eid))] = root.get(a.truths.ids[j], a.truths.ids[j])
    return out
