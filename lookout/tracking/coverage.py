"""A radar's declared field of view: where and when it looks, as its node's configuration says.

A partner node knows its own radars: their site (or a ship's track), range, azimuth sector,
elevation limits, revisit period and scan phase, and when they are out of action. With them the
tracker judges a track's existence against what the radar *could* see (``existence.RadarLooks``),
rather than against the coverage learned from the radar's detections (``SensorClutter``), which
is found from inside, smaller than it is until seen well, and which counts no look at a scan that
brought no detection at all (a third of the scans of a radar with one false alarm a scan).

``RadarCoverage.of_radar`` takes a ``lookout.sensors.Radar`` (read by its attributes: tracking
does not import the simulator's sensors) and ``declared_coverage`` every radar of a scenario, or
of one partner.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from scipy.special import ndtr

from lookout.geodesy import R_EQUATOR, R_POLAR
from lookout.physics.einsum import einsum

TWO_PI = 2.0 * math.pi

#: Antenna ECEF position (T, 3) m and ENU basis (T, 3, 3) at scan instants (T,) s.
Antenna = Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]


@dataclass(frozen=True)
class RadarCoverage:
    """Where and when a radar looks (SI, radians): range, elevation limits, the azimuth sector
    (``boresight_rad`` ± ``half_span_rad``; π or more: all round), scans every ``revisit_s`` from
    ``phase_s``, none inside ``outages`` ((start, end) s pairs), and the antenna's position and
    ENU basis at any instant (``antenna``)."""

    max_range_m: float
    el_min_rad: float
    el_max_rad: float
    boresight_rad: float
    half_span_rad: float
    revisit_s: float
    phase_s: float
    antenna: Antenna
    outages: tuple[tuple[float, float], ...] = ()

    @classmethod
    def of_radar(cls, radar, outages: Sequence[tuple[float, float]] = ()) -> RadarCoverage:
        """The coverage a ``lookout.sensors.Radar`` declares (its parameters as built)."""

        def antenna(times: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            pos, _, basis = radar.antenna_at(times)
            return pos, basis

        return cls(
            max_range_m=float(radar.max_range_m),
            el_min_rad=float(radar.el_min),
            el_max_rad=float(radar.el_max),
            boresight_rad=float(radar.boresight),
            half_span_rad=float(radar.half_span),
            revisit_s=float(radar.params.revisit_s),
            phase_s=float(radar.phase_s),
            antenna=antenna,
            outages=tuple((float(a), float(b)) for a, b in outages),
        )

    def scan_times(self, after: float, before: float) -> np.ndarray:
        """The radar's scan instants strictly inside (``after``, ``before``) s, less those in an
        outage (a radar out of action looks at nothing)."""
        eps = 1e-6
        k0 = math.floor((after - self.phase_s) / self.revisit_s + eps) + 1
        k1 = math.ceil((before - self.phase_s) / self.revisit_s - eps) - 1
        if k1 < k0:
            return np.zeros(0)
        t = self.phase_s + self.revisit_s * np.arange(k0, k1 + 1)
        t = t[(t > after + eps) & (t < before - eps)]
        for a, b in self.outages:
            t = t[(t < a) | (t >= b)]
        return t

    def inside_prob(
        self, enu: np.ndarray, sigma_m: np.ndarray, site: np.ndarray, points: np.ndarray
    ) -> np.ndarray:
        """Probability (k,) that objects at ``enu`` (3, k) m in the radar's ENU frame (ECEF
        ``points`` (k, 3); antenna at ECEF ``site`` (3,)), each with a position error of
        ``sigma_m`` (k,) m on every axis, lie inside the declared field: within range, the
        elevation limits and the azimuth sector (each limit's distance over the sigma, through
        the normal distribution, the limits taken as independent), and above the Earth's limb
        (the mean point's line of sight). A track far inside is looked at for certain; one
        whose prediction has grown wider than its distance to the edge only partly, and a
        miss tells that much less (``existence.RadarLooks.note``)."""
        e, n, u = enu
        horiz = np.hypot(e, n)
        rng = np.hypot(horiz, u)
        el = np.arctan2(u, horiz)
        sig = np.maximum(sigma_m, 1.0)
        p = ndtr((self.max_range_m - rng) / sig)
        p *= ndtr((el - self.el_min_rad) * rng / sig)
        p *= ndtr((self.el_max_rad - el) * rng / sig)
        if self.half_span_rad < math.pi:
            az = np.arctan2(e, n)
            off = np.abs((az - self.boresight_rad + math.pi) % TWO_PI - math.pi)
            p *= ndtr((self.half_span_rad - off) * horiz / sig)
        low = (el < 0.0) & (p > 0.0)
        if low.any():
            # Below the local horizontal the Earth may be in the way (above it, never: the
            # ellipsoid lies below its tangent plane).
            p[low] *= _clear_of_earth(site, points[low])
        return p


def _clear_of_earth(site: np.ndarray, points: np.ndarray) -> np.ndarray:
    """Whether the segments ``site`` (3,) -> ``points`` (k, 3) (ECEF m) stay above the WGS84
    ellipsoid: scaled to the unit sphere, the segment's closest approach to the centre."""
    scale = 1.0 / np.array([R_EQUATOR, R_EQUATOR, R_POLAR])
    q0 = np.asarray(site, dtype=float) * scale
    q1 = points * scale
    d = q1 - q0
    dd = einsum("ki,ki->k", d, d)
    s = np.clip(-(d @ q0) / np.where(dd > 0, dd, 1.0), 0.0, 1.0)
    closest = q0 + s[:, None] * d
    r2 = einsum("ki,ki->k", closest, closest)
    return r2 >= min(1.0, float(q0 @ q0)) * (1.0 - 1e-12)


def declared_coverage(scenario, partner: str | None = None) -> dict[str, RadarCoverage]:
    """The declared coverage of every radar of ``scenario`` (a ``lookout.scenario.Scenario``),
    or of ``partner``'s only: what that partner's node knows from its configuration."""
    out = {}
    for entry in scenario.sensors:
        sensor = entry.build()
        if sensor.kind != "radar" or (partner is not None and sensor.partner != partner):
            continue
        out[sensor.id] = RadarCoverage.of_radar(sensor, entry.outages)
    return out
