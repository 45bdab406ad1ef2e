"""Where a flying object may pass over and come down, from now to impact: the ground geometry
the warning decisions test areas against.

:func:`corridor` flies the 15 sigma points of a track's state and covariance, augmented with the
log of its mass per reference area under the assessment's prior (``BallisticPrior``), coasting
to the ground through the flight model (``lookout.physics.propagate``), as the impact prediction
does (``lookout.assess.impact``); here every sigma trajectory is kept and sampled. At each
sample time the sigma points' ground positions, on an azimuthal-equidistant plane about the
nominal sub-point, give a weighted mean and covariance; its 95 % ellipse (chi-square, 2 dof) is
where over the ground the object may be at that time. The convex hull of two consecutive
ellipses is the ground swept between them: a *segment*, with its time span. The corridor is the
chain of segments; its last ellipse is the 95 % impact ellipse. For a boosting track the flight
is the one that would follow if thrust stopped now, so the corridor ends at the instantaneous
impact point's ellipse.

Polygons are shapely geometries in (lon, lat) degrees with longitudes continuous along the
flight (they may pass 180; ``lookout.warn.areas.wrap_geometry`` brings them back). Sampling is
adaptive: the nominal moves at most ``SAMPLE_M`` over the ground between samples.

Computing a corridor costs one propagation of 15 trajectories; :func:`corridor` remembers the
last few hundred (a pure function of its inputs), so the partners of one process that receive
the same system track share the work.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

import numpy as np
import shapely

from lookout.assess.impact import CHI2_2D_95, MAX_COAST_S, BallisticPrior, sigma_points
from lookout.geodesy import ecef_to_geodetic, geodesic_direct, geodesic_inverse
from lookout.physics.propagate import ObjectSpec, Segment, propagate
from lookout.timebase import s_to_ns

#: Largest ground distance (m) of the nominal between two samples of the corridor.
SAMPLE_M = 40e3
#: Bounds on the time step (s) between samples.
SAMPLE_MIN_S, SAMPLE_MAX_S = 2.0, 30.0
#: Smallest semi-axis (m) drawn, so that a very sharp estimate still has an area.
MIN_AXIS_M = 1e3
#: Largest semi-axis (m) drawn: beyond, an ellipse says nothing and would wrap the globe.
MAX_DRAWN_AXIS_M = 3000e3
#: Vertices of each ellipse.
ELLIPSE_VERTICES = 24
#: Corridors remembered.
CACHE_SIZE = 512


@dataclass(frozen=True)
class Corridor:
    """The ground a flight may pass over from ``t`` on (s from the epoch).

    ``t0``/``t1`` (K,) are the segments' time spans, ``segments`` (K,) their polygons and
    ``seg_axis_m`` (K,) the larger 95 % semi-major axis of their two ellipses;
    ``cov_en``
    (K + 1, 2, 2) the (east, north) covariance (m^2) of the ground position at each sample;
    ``track_lat``/``track_lon`` (K + 1,) degrees the nominal ground track at the sample times
    ``times`` (K + 1,). ``impact`` is the 95 % ellipse polygon of the fall, ``impact_lat``,
    ``impact_lon`` (deg), ``impact_time`` (s) its centre and mean time, ``impact_time_sigma``
    (s); ``axes_m`` the ellipse's semi-axes and ``orientation_deg`` the major axis's bearing.
    ``complete`` is False when some sigma points did not come down within the longest coast.
    ``apogee_s`` is the time (s from the epoch) the nominal stops climbing (``t`` when it
    already descends): before it the flight climbs away from the ground under it.
    """

    t: float
    times: np.ndarray
    t0: np.ndarray
    t1: np.ndarray
    segments: np.ndarray
    seg_axis_m: np.ndarray
    cov_en: np.ndarray
    track_lat: np.ndarray
    track_lon: np.ndarray
    impact: object
    impact_lat: float
    impact_lon: float
    impact_time: float
    impact_time_sigma: float
    axes_m: tuple[float, float]
    orientation_deg: float
    complete: bool
    apogee_s: float = -np.inf

    def heading_deg(self, t: float) -> float:
        """Bearing (deg from north) of the nominal ground track at time ``t``."""
        k = int(np.clip(np.searchsorted(self.times, t) - 1, 0, self.times.size - 2))
        _, az = geodesic_inverse(
            np.radians(self.track_lat[k]),
            np.radians(self.track_lon[k]),
            np.radians(self.track_lat[k + 1]),
            np.radians(self.track_lon[k + 1]),
        )
        return float(np.degrees(az)) % 360.0

    def expects(self, t: float, lat_deg: float, lon_deg: float, spread_m: float = 0.0) -> float:
        """Squared Mahalanobis distance of a ground point at time ``t`` from where this corridor
        put the object then (its nominal and covariance there, plus ``spread_m`` per axis)."""
        lat0, lon0 = self.position(t)
        k = int(np.clip(np.searchsorted(self.times, t), 0, self.times.size - 1))
        cov = self.cov_en[k] + (spread_m**2 + MIN_AXIS_M**2) * np.eye(2)
        dist, az = geodesic_inverse(
            np.radians(lat0), np.radians(lon0), np.radians(lat_deg), np.radians(lon_deg)
        )
        d = np.array([float(dist) * np.sin(float(az)), float(dist) * np.cos(float(az))])
        return float(d @ np.linalg.solve(cov, d))

    def position(self, t: float) -> tuple[float, float]:
        """Nominal (lat, lon) in degrees at time ``t`` (clamped to the corridor's span)."""
        return (
            float(np.interp(t, self.times, self.track_lat)),
            float(np.interp(t, self.times, self.track_lon)),
        )


def ellipse_polygon(lat_deg: float, lon_deg: float, cov_en: np.ndarray, quantile=CHI2_2D_95):
    """The ellipse {d : d^T C^-1 d <= quantile} about a point as a lon/lat polygon."""
    return _ellipses(
        np.array([lat_deg]), np.array([lon_deg]), np.asarray(cov_en, dtype=float)[None], quantile
    )[0]


def _ellipse_rings(lat_deg, lon_deg, cov_en, quantile=CHI2_2D_95) -> np.ndarray:
    """Rings (N, V, 2) of (lon, lat) degrees of N ellipses about points (deg) with (east, north)
    covariances (N, 2, 2); longitudes continuous about each centre."""
    w, v = np.linalg.eigh(cov_en)
    axes = np.clip(np.sqrt(quantile * np.maximum(w, 0.0)), MIN_AXIS_M, MAX_DRAWN_AXIS_M)
    ang = np.linspace(0.0, 2 * np.pi, ELLIPSE_VERTICES, endpoint=False)
    unit = np.stack([np.cos(ang), np.sin(ang)])  # (2, V)
    # Offsets (N, V, 2) east/north: v @ diag(axes) @ unit.
    off = np.einsum("nij,nj,jv->nvi", v, axes, unit)
    dist = np.hypot(off[..., 0], off[..., 1])
    az = np.arctan2(off[..., 0], off[..., 1])
    n, nv = dist.shape
    la, lo = geodesic_direct(
        np.repeat(np.radians(lat_deg), nv), np.repeat(np.radians(lon_deg), nv),
        az.ravel(), dist.ravel(),
    )  # fmt: skip
    la = np.degrees(np.reshape(la, (n, nv)))
    lo = np.degrees(np.reshape(lo, (n, nv)))
    lo = lon_deg[:, None] + (lo - lon_deg[:, None] + 180.0) % 360.0 - 180.0
    return np.stack([lo, la], axis=-1)


def _ellipses(lat_deg, lon_deg, cov_en, quantile=CHI2_2D_95) -> np.ndarray:
    """Polygons (N,) of N ellipses (the convex hulls of their rings: always valid)."""
    return shapely.convex_hull(shapely.multipoints(_ellipse_rings(lat_deg, lon_deg, cov_en,
                                                                  quantile)))  # fmt: skip


def _swept(rings: np.ndarray) -> np.ndarray:
    """The ground swept between consecutive ellipses: hulls (K - 1,) of ring pairs."""
    pairs = np.concatenate([rings[:-1], rings[1:]], axis=1)
    return shapely.convex_hull(shapely.multipoints(pairs))


_cache: OrderedDict[tuple, Corridor | None] = OrderedDict()


def corridor(
    t: float, x: np.ndarray, P: np.ndarray, prior: BallisticPrior | None = None
) -> Corridor | None:
    """The corridor of a track with state ``x`` (6,) ECEF and covariance ``P`` (6, 6) at ``t``
    (see the module doc); None if its nominal does not come down within the longest coast."""
    return corridors([(t, x, P)], prior)[0]


def corridors(
    tracks: list[tuple[float, np.ndarray, np.ndarray]], prior: BallisticPrior | None = None
) -> list[Corridor | None]:
    """:func:`corridor` of several tracks ``(t, x, P)``, their sigma points flown in one batch."""
    prior = prior or BallisticPrior()
    keys, todo = [], []
    for t, x, P in tracks:
        x = np.ascontiguousarray(x, dtype=float)
        P = np.ascontiguousarray(P, dtype=float)
        key = (s_to_ns(t), x.tobytes(), P.tobytes(), prior)
        keys.append(key)
        if key not in _cache and all(key != k for k, _ in todo):
            todo.append((key, (t, x, P)))
    if todo:
        fresh = _corridor_batch([args for _, args in todo], prior)
        for (key, _), c in zip(todo, fresh, strict=True):
            _cache[key] = c
    out = []
    for key in keys:
        _cache.move_to_end(key)
        out.append(_cache[key])
    while len(_cache) > CACHE_SIZE:
        _cache.popitem(last=False)
    return out


def _corridor_batch(tracks, prior: BallisticPrior) -> list[Corridor | None]:
    n = len(tracks)
    mean = np.array([np.append(x, np.log(prior.mass_per_area_kg_m2)) for _, x, _ in tracks])
    cov = np.zeros((n, 7, 7))
    for i, (_, _, P) in enumerate(tracks):
        cov[i, :6, :6] = P
    cov[:, 6, 6] = prior.sigma_ln**2
    pts, w = sigma_points(mean, cov)
    n_sig = pts.shape[1]
    specs = [
        ObjectSpec(
            object_id=f"{i}:{j}",
            t0=tracks[i][0],
            pos0=pts[i, j, :3],
            vel0=pts[i, j, 3:6],
            segments=[
                Segment(
                    np.inf,
                    float(np.exp(pts[i, j, 6])),
                    area_m2=1.0,
                    drag=prior.drag_table,
                    kind="reentry_vehicle",
                )
            ],
            t_stop=tracks[i][0] + MAX_COAST_S,
        )
        for i in range(n)
        for j in range(n_sig)
    ]
    trs = propagate(specs, spawn_debris=False)
    return [
        _from_sigma_trajectories(tracks[i][0], trs[i * n_sig : (i + 1) * n_sig], w)
        for i in range(n)
    ]


def _from_sigma_trajectories(t: float, trs, w: np.ndarray) -> Corridor | None:
    ends = np.array([tr.t_end if tr.event("impact") is not None else np.nan for tr in trs])
    if not np.isfinite(ends[0]):
        return None
    ok = np.isfinite(ends)
    t_last = float(np.nanmax(ends))
    times = _sample_times(trs[0], t, t_last)
    # Ground positions (S, T) of every sigma point at every sample (held at its impact after).
    lat = np.empty((len(trs), times.size))
    lon = np.empty_like(lat)
    for j, tr in enumerate(trs):
        la, lo, _ = ecef_to_geodetic(tr.state_at(np.minimum(times, tr.t_end))[:, :3])
        lat[j], lon[j] = la, lo
    ww = np.where(ok, w, 0.0)
    ww = ww / ww.sum()
    lat0, lon0 = lat[0], lon[0]
    dist, az = geodesic_inverse(
        np.broadcast_to(lat0, lat.shape).ravel(),
        np.broadcast_to(lon0, lon.shape).ravel(),
        lat.ravel(),
        lon.ravel(),
    )
    d = np.stack([dist * np.sin(az), dist * np.cos(az)], axis=-1).reshape(len(trs), times.size, 2)
    d = np.where(ok[:, None, None], d, 0.0)
    m = np.einsum("s,sti->ti", ww, d)
    dd = d - m[None]
    cov_t = np.einsum("s,sti,stj->tij", ww, dd, dd)
    c_lat, c_lon = geodesic_direct(lat0, lon0, np.arctan2(m[:, 0], m[:, 1]), np.hypot(*m.T))
    c_lat = np.degrees(np.asarray(c_lat))
    c_lon = np.degrees(np.unwrap(np.asarray(c_lon)))
    rings = _ellipse_rings(c_lat, c_lon, cov_t)
    segs = _swept(rings)
    impact = shapely.convex_hull(shapely.multipoints(rings[-1]))
    semi_major = np.sqrt(CHI2_2D_95 * np.maximum(np.linalg.eigvalsh(cov_t)[:, 1], 0.0))
    imp_t = ends[ok]
    wi = ww[ok] / ww[ok].sum()
    mt = float(wi @ imp_t)
    st = float(np.sqrt(wi @ (imp_t - mt) ** 2))
    wv, vv = np.linalg.eigh(cov_t[-1])
    axes = np.sqrt(CHI2_2D_95 * np.maximum(wv, 0.0))
    major = vv[:, 1]
    return Corridor(
        t=t,
        times=times,
        t0=times[:-1],
        t1=times[1:],
        segments=segs,
        seg_axis_m=np.maximum(semi_major[:-1], semi_major[1:]),
        cov_en=cov_t,
        track_lat=c_lat,
        track_lon=c_lon,
        impact=impact,
        impact_lat=float(c_lat[-1]),
        impact_lon=float(c_lon[-1]),
        impact_time=mt,
        impact_time_sigma=st,
        axes_m=(float(axes[1]), float(axes[0])),
        orientation_deg=float(np.degrees(np.arctan2(major[0], major[1])) % 180.0),
        complete=bool(ok.all()),
        apogee_s=_apogee(trs[0], t, t_last),
    )


def _apogee(nominal, t: float, t_end: float) -> float:
    """When (s) the nominal stops climbing between ``t`` and ``t_end`` (``t`` if it already
    descends): the radial speed's first zero, from 400 samples, interpolated."""
    probe = np.linspace(t, min(t_end, nominal.t_end), 400)
    x = nominal.state_at(probe)
    rv = np.einsum("ij,ij->i", x[:, :3], x[:, 3:])
    k = int(np.argmax(rv <= 0.0)) if np.any(rv <= 0.0) else probe.size - 1
    if k == 0:
        return float(t)
    return float(probe[k - 1] + (probe[k] - probe[k - 1]) * rv[k - 1] / (rv[k - 1] - rv[k]))


def _sample_times(nominal, t: float, t_end: float) -> np.ndarray:
    """Sample times from ``t`` to ``t_end``, the nominal moving at most ``SAMPLE_M`` between
    two (its ground speed from its own samples)."""
    if t_end <= t:
        return np.array([t, t + 1e-3])
    probe = np.linspace(t, min(t_end, nominal.t_end), 200)
    la, lo, _ = ecef_to_geodetic(nominal.state_at(probe)[:, :3])
    step, _ = (
        geodesic_inverse(la[:-1], lo[:-1], la[1:], lo[1:]) if probe.size > 1 else (np.zeros(0), 0)
    )
    speed = np.maximum(step / np.maximum(np.diff(probe), 1e-9), 1.0)
    out = [t]
    while out[-1] < t_end:
        k = min(int(np.searchsorted(probe, out[-1])), speed.size - 1)
        dt = float(np.clip(SAMPLE_M / speed[k], SAMPLE_MIN_S, SAMPLE_MAX_S))
        out.append(min(out[-1] + dt, t_end))
    return np.array(out)


__all__ = ["Corridor", "corridor", "corridors", "ellipse_polygon"]
