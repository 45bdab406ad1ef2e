"""The partners' sensors as the page draws them: where each is and what it covers.

A radar's coverage is its azimuth sector out to its instrumented range (``max_range_km``, taken
as a ground distance: an outline for the eye, not the detection volume, which also depends on
altitude, elevation limits and the horizon); a ship-borne radar is drawn where it is at the
scenario's start. An infrared satellite is drawn at its position at the start, with the
footprint where it sees the Earth above the horizon.

A partner's page shows its own sensors and those whose detections the policy releases to it.
"""

from __future__ import annotations

import math

import numpy as np

from lookout.exchange.policy import Policy
from lookout.geodesy import R_EQUATOR, ecef_to_geodetic, geodesic_direct
from lookout.scenario import Scenario

_OUTLINE_POINTS = 72


def _fan(lat: float, lon: float, az0: float, span: float, dist_m: float) -> list[list[float]]:
    """Closed outline (degrees) of a sector of ``span`` rad centred on azimuth ``az0`` (rad) out
    to ``dist_m``, from (``lat``, ``lon``) rad; a full circle when ``span`` >= 2 pi."""
    full = span >= 2 * math.pi - 1e-9
    n = _OUTLINE_POINTS if full else max(8, int(_OUTLINE_POINTS * span / (2 * math.pi)) + 2)
    az = np.linspace(az0 - span / 2, az0 + span / 2, n + (1 if full else 0))
    la, lo = geodesic_direct(np.full(az.shape, lat), np.full(az.shape, lon), az,
                             np.full(az.shape, dist_m))  # fmt: skip
    pts = [[round(math.degrees(p), 4), round(math.degrees(q), 4)]
           for p, q in zip(la, lo, strict=True)]  # fmt: skip
    if full:
        return pts
    site = [round(math.degrees(lat), 4), round(math.degrees(lon), 4)]
    return [site, *pts, site]


def sensor_layer(scenario: Scenario, policy: Policy | None, view: str) -> list[dict]:
    """The sensors ``view`` may see (``"all"``: every one), each ``{id, partner, type, lat_deg,
    lon_deg, alt_km, coverage: [[lat_deg, lon_deg], ...], note}``."""
    visible: set[str] | None = None
    if view != "all" and policy is not None:
        visible = set()
        for sender in policy.partners:
            visible |= set(policy.grant(view, sender).detection)
        visible |= set(policy.sensors.get(view, ()))
    out = []
    for entry in scenario.sensors:
        spec = entry.spec
        if visible is not None and spec["id"] not in visible:
            continue
        kind = spec.get("type")
        item = {"id": spec["id"], "partner": spec["partner"], "type": kind}
        if kind == "radar":
            if spec.get("track"):
                _, lat_d, lon_d = spec["track"][0]
            else:
                lat_d, lon_d = spec["lat_deg"], spec["lon_deg"]
            lat, lon = math.radians(lat_d), math.radians(lon_d)
            span = math.radians(float(spec.get("span_deg", 120.0)))
            az = math.radians(float(spec.get("azimuth_deg", 0.0)))
            rng = float(spec.get("max_range_km", 1000.0)) * 1e3
            item |= {
                "lat_deg": lat_d,
                "lon_deg": lon_d,
                "alt_km": float(spec.get("alt_m", 0.0)) / 1e3,
                "coverage": _fan(lat, lon, az, span, rng),
                "note": f"radar, {rng / 1e3:.0f} km instrumented range, "
                f"{math.degrees(span):.0f}° sector"
                + (", ship (drawn at its start)" if spec.get("track") else ""),
            }
        else:
            sat = entry.build()
            pos = np.asarray(sat.position_at(np.array([0.0])), dtype=float).reshape(-1, 3)[0]
            lat, lon, alt = (float(v) for v in ecef_to_geodetic(pos))
            r = float(np.linalg.norm(pos))
            central = math.acos(min(1.0, R_EQUATOR / r))  # horizon seen from the satellite
            item |= {
                "lat_deg": round(math.degrees(lat), 4),
                "lon_deg": round(math.degrees(lon), 4),
                "alt_km": round(alt / 1e3, 1),
                "coverage": _fan(lat, lon, 0.0, 2 * math.pi, central * R_EQUATOR * 0.999),
                "note": f"infrared satellite at {alt / 1e3:.0f} km, boost phase only",
            }
        out.append(item)
    return out
