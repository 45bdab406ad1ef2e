"""Announced launches: a partner's pre-launch notification (``lookout.messages.LaunchNotice``)
as geometry, and the tests a launch event and its objects are held to against it.

States notify their launches ahead (the Hague Code of Conduct's pre-launch notifications, the
1988 US-USSR Ballistic Missile Launch Notification Agreement, NOTAM/NAVAREA hazard areas): a
window, a launch area, the general direction (an azimuth sector), the kind, the hazard areas
where stages fall. An :class:`Announcement` holds one and answers, each test within the
estimate's uncertainty (a 99.9 % gate, as the launch events' own gates):

- :meth:`Announcement.in_window`: a launch time (with its sigma) in the window;
- :meth:`Announcement.at_site`: a launch point (with its east/north covariance) in the area;
- :meth:`Announcement.off_sector`: a point downrange (a sub-point, an instantaneous or
  predicted impact point) seen from the announced site *beyond its uncertainty* outside the
  sector (the point's 99.9 % region and the launch area both wholly outside it);
- :attr:`Announcement.hazards`: the hazard areas as one lon/lat geometry (``shapely``), for a
  fall's ellipse to be held against; a polygon's sides each go the short way round (less
  than 180 degrees of longitude) and an area across the antimeridian is cut there, its
  longitudes in [-180, 180].

Angles in radians, lengths in metres, times in seconds from the scenario epoch.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import shapely

from lookout.assess.events import LAUNCH_GATE_CHI2, LAUNCH_TIME_FLOOR_S, LAUNCH_TIME_SIGMAS
from lookout.geodesy import geodesic_direct, geodesic_inverse, unwrap_lon_deg, wrap_lonlat
from lookout.messages import LaunchNotice
from lookout.timebase import ns_to_s

#: Vertices of a hazard circle's polygon: the chord of 64 sides sags 0.12 % of the radius.
CIRCLE_VERTICES = 64
_GATE = math.sqrt(LAUNCH_GATE_CHI2)  # 3.72 sigma: the 99.9 % gate of a 2-D point


@dataclass(frozen=True)
class Announcement:
    """One partner's notification, checked (see the module doc)."""

    partner: str
    notice_id: str
    kind: str
    window_start_s: float
    window_end_s: float
    site_lat: float
    site_lon: float
    site_radius_m: float
    azimuth_min: float
    azimuth_max: float
    hazards: object  # shapely geometry in lon/lat degrees, or None without hazard areas

    @classmethod
    def of(cls, msg: LaunchNotice) -> Announcement:
        polys = []
        for h in msg.hazard_areas:
            if h.polygon_rad:
                # Each side the short way round: a polygon across 180 E stays whole.
                la, lo = np.degrees(np.asarray(h.polygon_rad, dtype=float)).T
                polys.append(shapely.Polygon(np.column_stack([unwrap_lon_deg(lo), la])).buffer(0))
            else:
                az = np.linspace(0.0, 2.0 * np.pi, CIRCLE_VERTICES, endpoint=False)
                la, lo = geodesic_direct(
                    np.full(az.size, h.lat_rad), np.full(az.size, h.lon_rad), az,
                    np.full(az.size, h.radius_m),
                )  # fmt: skip
                # Longitudes continuous about the centre's (a circle across 180 E stays whole).
                lo0 = np.degrees(h.lon_rad)
                lo = lo0 + (np.degrees(lo) - lo0 + 180.0) % 360.0 - 180.0
                polys.append(shapely.Polygon(np.column_stack([lo, np.degrees(la)])))
        # Cut at the antimeridian into [-180, 180], where the points held against it are.
        hazards = wrap_lonlat(shapely.union_all(polys)) if polys else None
        if hazards is not None:
            shapely.prepare(hazards)
        return cls(
            partner=msg.partner,
            notice_id=msg.notice_id,
            kind=msg.kind,
            window_start_s=ns_to_s(msg.window_start_ns),
            window_end_s=ns_to_s(msg.window_end_ns),
            site_lat=msg.site_lat_rad,
            site_lon=msg.site_lon_rad,
            site_radius_m=msg.site_radius_m,
            azimuth_min=msg.azimuth_min_rad,
            azimuth_max=msg.azimuth_max_rad,
            hazards=hazards,
        )

    @property
    def key(self) -> tuple[str, str]:
        return (self.partner, self.notice_id)

    def in_window(self, t_launch: float, sigma_s: float) -> bool:
        """A launch time within the window, allowing its uncertainty (the events' time gate)."""
        slack = max(LAUNCH_TIME_SIGMAS * sigma_s, LAUNCH_TIME_FLOOR_S)
        return self.window_start_s - slack <= t_launch <= self.window_end_s + slack

    def at_site(self, lat: float, lon: float, cov_en: np.ndarray) -> bool:
        """A launch point (rad, its east/north covariance, m^2) in the announced area: inside
        the circle, or its 99.9 % ellipse reaching it."""
        dist, az = geodesic_inverse(self.site_lat, self.site_lon, lat, lon)
        excess = float(dist) - self.site_radius_m
        if excess <= 0.0:
            return True
        u = np.array([math.sin(float(az)), math.cos(float(az))])
        return excess**2 <= LAUNCH_GATE_CHI2 * float(u @ np.asarray(cov_en) @ u)

    def off_sector(self, lat: float, lon: float, cov_en: np.ndarray) -> bool:
        """Whether a point (rad; east/north covariance, m^2) lies outside the azimuth sector as
        seen from the announced site beyond its uncertainty: the disc of the launch area's
        radius plus 3.72 sigma across the line of sight (the 99.9 % gate), seen from the
        site's centre, subtends half-angle ``asin(r / d)`` about the point's azimuth; the point
        is off the sector when that whole cone misses it. Nearer than ``r`` it is never off
        (its direction is not known)."""
        dist, az = geodesic_inverse(self.site_lat, self.site_lon, lat, lon)
        dist, az = float(dist), float(az) % (2.0 * math.pi)
        across = np.array([math.cos(az), -math.sin(az)])  # east/north, across the line of sight
        r = self.site_radius_m + _GATE * math.sqrt(float(across @ np.asarray(cov_en) @ across))
        if dist <= r:
            return False
        return self.sector_gap(az) > math.asin(r / dist)

    def off_sector_nominal(self, lat, lon) -> np.ndarray:
        """Per point (rad, arrays), whether it lies off the sector with no uncertainty (the
        flight itself): ``off_sector`` with a zero covariance, at once for every point. The
        judge holds the truth to it and the warn desk its nominal ground tracks."""
        lat, lon = np.atleast_1d(np.asarray(lat, float)), np.atleast_1d(np.asarray(lon, float))
        n = lat.size
        dist, az = geodesic_inverse(np.full(n, self.site_lat), np.full(n, self.site_lon), lat, lon)
        dist, gap = np.atleast_1d(dist), self.sector_gap(np.atleast_1d(az))
        r = self.site_radius_m
        return (dist > r) & (gap > np.arcsin(r / np.maximum(dist, r)))

    def sector_gap(self, az):
        """Angle (rad, >= 0) from azimuth ``az`` (rad; a float or an array) to the sector (0
        inside it)."""
        two_pi = 2.0 * math.pi
        width = (self.azimuth_max - self.azimuth_min) % two_pi
        into = (np.asarray(az, dtype=float) - self.azimuth_min) % two_pi
        gap = np.where(into <= width, 0.0, np.minimum(into - width, two_pi - into))
        return float(gap) if gap.ndim == 0 else gap

    def fall_in_hazard(self, ellipse) -> bool:
        """Whether a fall's ellipse (a lon/lat polygon) meets one of the hazard areas."""
        return self.hazards is not None and bool(
            shapely.intersects(self.hazards, wrap_lonlat(ellipse))
        )


__all__ = ["Announcement"]
