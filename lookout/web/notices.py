"""The partners' pre-launch notifications as the page draws them, and as GeoJSON.

Each notice a view holds (the common picture: every one; a partner's page: its own and those
the policy releases to it, class ``launch_notice``) is drawn from the time it is issued: its
launch area (a circle), its general direction (the azimuth sector, drawn from the site out to
its farthest hazard area, or ``SECTOR_REACH_M`` without any: a direction has no length) and its
hazard areas. Outlines are ``[[lat_deg, lon_deg], ...]``, closed, with longitudes continuous
(each step under 180 degrees: an area across the antimeridian runs on past 180, which the
globe draws whole). The GeoJSON (:func:`notices_geojson`) cuts them at the antimeridian into
[-180, 180] instead (RFC 7946, 3.1.9).
"""

from __future__ import annotations

import math

import numpy as np
import shapely
from shapely.geometry import mapping

from lookout.exchange.policy import Policy
from lookout.geodesy import geodesic_direct, geodesic_inverse, unwrap_lon_deg, wrap_lonlat
from lookout.messages import LaunchNotice
from lookout.scenario import Scenario

#: Points of a circle's outline (the hazard circles' own polygon has 64 sides:
#: ``lookout.assess.notices.CIRCLE_VERTICES``).
CIRCLE_POINTS = 64
#: How far the sector is drawn without hazard areas (m).
SECTOR_REACH_M = 1.0e6


def _outline(lat_rad, lon_rad) -> list[list[float]]:
    """Closed outline, degrees, longitudes continuous."""
    la = np.degrees(np.asarray(lat_rad, dtype=float))
    lo = unwrap_lon_deg(np.degrees(np.asarray(lon_rad, dtype=float)))
    if la[0] != la[-1] or lo[0] != lo[-1]:
        la, lo = np.append(la, la[0]), np.append(lo, lo[0])
    return [[round(float(a), 4), round(float(b), 4)] for a, b in zip(la, lo, strict=True)]


def _circle(lat: float, lon: float, radius_m: float) -> list[list[float]]:
    az = np.linspace(0.0, 2.0 * np.pi, CIRCLE_POINTS, endpoint=False)
    la, lo = geodesic_direct(np.full(az.size, lat), np.full(az.size, lon), az,
                             np.full(az.size, radius_m))  # fmt: skip
    return _outline(la, lo)


def _hazard_outlines(msg: LaunchNotice) -> list[tuple[str, list[list[float]]]]:
    out = []
    for h in msg.hazard_areas:
        if h.polygon_rad:
            la, lo = np.asarray(h.polygon_rad, dtype=float).T
            out.append((h.stage, _outline(la, lo)))
        else:
            out.append((h.stage, _circle(h.lat_rad, h.lon_rad, h.radius_m)))
    return out


def _sector(msg: LaunchNotice, reach_m: float) -> list[list[float]]:
    """The sector clockwise from ``azimuth_min`` to ``azimuth_max``, from the site out to
    ``reach_m``: site, arc, site."""
    width = (msg.azimuth_max_rad - msg.azimuth_min_rad) % (2.0 * math.pi)
    n = max(2, math.ceil(math.degrees(width) / 2.0) + 1)
    az = msg.azimuth_min_rad + np.linspace(0.0, width, n)
    la, lo = geodesic_direct(np.full(n, msg.site_lat_rad), np.full(n, msg.site_lon_rad), az,
                             np.full(n, reach_m))  # fmt: skip
    lat = np.concatenate([[msg.site_lat_rad], la, [msg.site_lat_rad]])
    lon = np.concatenate([[msg.site_lon_rad], lo, [msg.site_lon_rad]])
    return _outline(lat, lon)


def _holds(policy: Policy | None, view: str, msg: LaunchNotice) -> bool:
    if view == "all" or policy is None or view == msg.partner:
        return True
    return policy.may_receive(view, msg.partner, msg)


def notice_layer(scenario: Scenario, policy: Policy | None, view: str) -> list[dict]:
    """The notices ``view`` holds, each ``{id: "PARTNER/NOTICE_ID", partner, notice_id, kind,
    issued_s, window_s: [start, end], site: {lat_deg, lon_deg, radius_km, outline}, sector:
    {azimuth_deg: [from, to], reach_km, outline}, hazards: [{stage, outline}]}``."""
    out = []
    for entry in scenario.notices:
        msg = entry.message()
        if not _holds(policy, view, msg):
            continue
        hazards = _hazard_outlines(msg)
        reach = SECTOR_REACH_M
        if hazards:
            pts = np.radians(np.concatenate([np.asarray(o, dtype=float) for _, o in hazards]))
            site = np.full(len(pts), msg.site_lat_rad), np.full(len(pts), msg.site_lon_rad)
            dist, _ = geodesic_inverse(*site, pts[:, 0], pts[:, 1])
            reach = float(np.max(dist))
        out.append(
            {
                "id": f"{msg.partner}/{msg.notice_id}",
                "partner": msg.partner,
                "notice_id": msg.notice_id,
                "kind": msg.kind,
                "issued_s": entry.issued_s,
                "window_s": list(entry.window_s),
                "site": {
                    "lat_deg": round(math.degrees(msg.site_lat_rad), 4),
                    "lon_deg": round(math.degrees(msg.site_lon_rad), 4),
                    "radius_km": msg.site_radius_m / 1e3,
                    "outline": _circle(msg.site_lat_rad, msg.site_lon_rad, msg.site_radius_m),
                },
                "sector": {
                    "azimuth_deg": list(entry.azimuth_deg),
                    "reach_km": round(reach / 1e3, 1),
                    "outline": _sector(msg, reach),
                },
                "hazards": [{"stage": s, "outline": o} for s, o in hazards],
            }
        )
    return out


def notices_geojson(layer: list[dict]) -> dict:
    """A :func:`notice_layer` as a GeoJSON FeatureCollection: per notice its launch area, its
    sector and each hazard area, polygons cut at the antimeridian (RFC 7946: longitudes in
    [-180, 180], an area across 180 a MultiPolygon of its two sides)."""
    feats = []
    for n in layer:
        parts = [("launch_area", None, n["site"]["outline"])]
        parts += [("sector", None, n["sector"]["outline"])]
        parts += [("hazard_area", h["stage"], h["outline"]) for h in n["hazards"]]
        for what, stage, outline in parts:
            ring = [(lon, lat) for lat, lon in outline]
            geom = wrap_lonlat(shapely.Polygon(ring).buffer(0))
            props = {"notice": n["id"], "partner": n["partner"], "kind": n["kind"], "part": what,
                     "issued_s": n["issued_s"], "window_s": n["window_s"]}  # fmt: skip
            if stage is not None:
                props["stage"] = stage
            feats.append({"type": "Feature", "properties": props, "geometry": mapping(geom)})
    return {"type": "FeatureCollection", "features": feats}


__all__ = ["notice_layer", "notices_geojson"]
