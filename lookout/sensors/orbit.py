"""Satellite positions: geostationary, or Keplerian elements with J2 secular drift.

The Keplerian propagation is analytic: two-body motion on an ellipse whose node, perigee and
mean anomaly drift at the first-order secular J2 rates (Vallado, *Fundamentals of Astrodynamics*,
§9.6). No drag, no lunisolar terms: good to kilometres over the hours of a scenario.

Inertial frame: the one aligned with ECEF at the scenario epoch (t = 0). So ``raan_deg`` is the
longitude (east of Greenwich) of the ascending node at the epoch, and no sidereal time is needed.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import Annotated

import numpy as np
from msgspec import Meta

from lookout import fields
from lookout.fields import Finite, Positive
from lookout.geodesy import GM_EARTH, J2, OMEGA_EARTH, R_EQUATOR, geodetic_to_ecef
from lookout.sensors import _validate as v

#: Radius of the geostationary orbit (m): GM / ω² = r³.
R_GEO = (GM_EARTH / OMEGA_EARTH**2) ** (1.0 / 3.0)


def geostationary_ecef(lon_deg: float) -> np.ndarray:
    """ECEF position (3,) m of a geostationary satellite at ``lon_deg``."""
    return geodetic_to_ecef(0.0, math.radians(lon_deg), R_GEO - R_EQUATOR)


@dataclass(frozen=True)
class KeplerOrbit:
    """Mean elements at the scenario epoch: semi-major axis ``a_km``, eccentricity ``e``,
    inclination, longitude of the ascending node at epoch, argument of perigee and mean anomaly
    (degrees). ``j2`` adds the secular J2 drift (on by default)."""

    a_km: Positive
    e: Annotated[float, Meta(ge=0.0, lt=1.0, description="an eccentricity in [0, 1)")] = 0.0
    i_deg: Annotated[float, Meta(ge=0.0, le=180.0)] = 0.0
    raan_deg: Finite = 0.0
    argp_deg: Finite = 0.0
    mean_anomaly_deg: Finite = 0.0
    j2: bool = True

    def __post_init__(self) -> None:
        fields.check(self, functools.partial(v.fail, "orbit"))
        if self.a_km * 1e3 * (1.0 - self.e) <= R_EQUATOR:
            v.fail(
                "orbit", "a_km", self.a_km, f"a perigee above the Earth's surface (e = {self.e})"
            )

    @property
    def mean_motion(self) -> float:
        """Two-body mean motion (rad/s)."""
        return math.sqrt(GM_EARTH / (self.a_km * 1e3) ** 3)

    def secular_rates(self) -> tuple[float, float, float]:
        """d(raan)/dt, d(argp)/dt, d(mean anomaly)/dt in rad/s."""
        n = self.mean_motion
        if not self.j2:
            return 0.0, 0.0, n
        a, e, i = self.a_km * 1e3, self.e, math.radians(self.i_deg)
        k = 1.5 * n * J2 * (R_EQUATOR / (a * (1.0 - e * e))) ** 2
        c2 = math.cos(i) ** 2
        return (
            -k * math.cos(i),
            0.5 * k * (5.0 * c2 - 1.0),
            n + 0.5 * k * math.sqrt(1.0 - e * e) * (3.0 * c2 - 1.0),
        )

    def position_eci(self, times) -> np.ndarray:
        """Position (T, 3) m in the epoch-aligned inertial frame at ``times`` (s)."""
        t = np.atleast_1d(np.asarray(times, dtype=float))
        raan_dot, argp_dot, m_dot = self.secular_rates()
        a, e = self.a_km * 1e3, self.e
        raan = math.radians(self.raan_deg) + raan_dot * t
        argp = math.radians(self.argp_deg) + argp_dot * t
        mean = math.radians(self.mean_anomaly_deg) + m_dot * t
        ecc = mean.copy() if e < 0.8 else np.full_like(mean, math.pi)
        for _ in range(30):  # Newton on Kepler's equation; quadratic, converged well before 30
            ecc -= (ecc - e * np.sin(ecc) - mean) / (1.0 - e * np.cos(ecc))
        x_pf = a * (np.cos(ecc) - e)
        y_pf = a * math.sqrt(1.0 - e * e) * np.sin(ecc)
        ci, si = math.cos(math.radians(self.i_deg)), math.sin(math.radians(self.i_deg))
        cw, sw, co, so = np.cos(argp), np.sin(argp), np.cos(raan), np.sin(raan)
        # Perifocal -> inertial: R3(-raan) R1(-i) R3(-argp), applied to (x_pf, y_pf, 0).
        x = (co * cw - so * sw * ci) * x_pf + (-co * sw - so * cw * ci) * y_pf
        y = (so * cw + co * sw * ci) * x_pf + (-so * sw + co * cw * ci) * y_pf
        z = (sw * si) * x_pf + (cw * si) * y_pf
        return np.stack([x, y, z], axis=-1)

    def position_ecef(self, times) -> np.ndarray:
        """Position (T, 3) ECEF m at ``times`` (s from the scenario epoch)."""
        t = np.atleast_1d(np.asarray(times, dtype=float))
        r = self.position_eci(t)
        th = OMEGA_EARTH * t
        c, s = np.cos(th), np.sin(th)
        return np.stack([c * r[:, 0] + s * r[:, 1], -s * r[:, 0] + c * r[:, 1], r[:, 2]], axis=-1)
