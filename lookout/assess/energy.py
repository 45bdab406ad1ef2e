"""Figures read off a coasting state's energy: orbit or not, the orbit, the equivalent
minimum-energy range of a lofted flight, and the class by range.

Equivalent range: a lofted flight spends its burnout energy on height. The same energy on a
minimum-energy trajectory would go as far as the Keplerian range angle ``psi`` with
``sin(psi / 2) = nu / (2 - nu)``, ``nu = v^2 R / GM`` the energy expressed as a speed ``v`` at the
surface (radius ``R``, the mean Earth radius), from the specific orbital energy in the inertial
frame. It neglects drag (which shortens short-range flights by some per cent), the Earth's
rotation under the flight (east/west shots gain/lose up to ~10%) and the boost's own ground
distance; class bands are wide enough for that.
"""

from __future__ import annotations

import numpy as np

from lookout.geodesy import GM_EARTH, R_EQUATOR, R_MEAN
from lookout.messages import Orbit  # the wire form is the one orbit record
from lookout.physics.einsum import einsum
from lookout.physics.propagate import ORBIT_MIN_PERIGEE_M, osculating_orbit, perigee_altitude

#: Range class boundaries (m): SRBM < 1000 km <= MRBM < 3000 km <= IRBM < 5500 km <= ICBM.
CLASS_BOUNDS_M = ((1000e3, "SRBM"), (3000e3, "MRBM"), (5500e3, "IRBM"))
#: A flight is lofted when its apogee exceeds the Keplerian minimum-energy apogee for its range
#: by this factor (minimum-energy flights of the catalogue come out at 1.0-1.4 with drag and boost).
LOFTED_FACTOR = 1.6


def orbit_dict(o: Orbit) -> dict:
    """An orbit at the edges: km, degrees, minutes."""
    return {
        "perigee_km": o.perigee_m / 1e3,
        "apogee_km": o.apogee_m / 1e3,
        "inclination_deg": float(np.degrees(o.inclination_rad)),
        "period_min": o.period_s / 60.0,
    }


def orbits(x: np.ndarray) -> tuple[np.ndarray, list[Orbit | None]]:
    """Whether each ECEF state (N, 6) is in orbit (perigee above 100 km), and its orbit."""
    x = np.atleast_2d(x)
    a, e, energy, h = osculating_orbit(x[:, :3], x[:, 3:])
    h2 = einsum("ij,ij->i", h, h)
    rp = np.where(energy < 0, a * (1 - e), h2 / (GM_EARTH * (1 + e)))
    orbital = (energy < 0) & (rp - R_EQUATOR > ORBIT_MIN_PERIGEE_M)
    out: list[Orbit | None] = []
    for i in range(x.shape[0]):
        if not orbital[i]:
            out.append(None)
            continue
        out.append(
            Orbit(
                perigee_m=float(rp[i] - R_EQUATOR),
                apogee_m=float(a[i] * (1 + e[i]) - R_EQUATOR),
                inclination_rad=float(np.arccos(h[i, 2] / np.sqrt(h2[i]))),
                period_s=float(2 * np.pi * np.sqrt(a[i] ** 3 / GM_EARTH)),
            )
        )
    return orbital, out


def orbit_within(x: np.ndarray, P: np.ndarray, z: float) -> np.ndarray:
    """Whether orbit is within the uncertainty of each ECEF state (N, 6) with covariance
    (N, 6, 6): its perigee altitude's upper bound, ``z`` standard deviations above the value
    at the state, is above ``ORBIT_MIN_PERIGEE_M``. The perigee's spread is taken from
    central differences one standard deviation out along each principal axis of ``P``
    (statistical linearisation: the perigee of a near-circular orbit has a kink where the
    eccentricity passes zero, which a derivative at the point would not see past)."""
    x = np.atleast_2d(np.asarray(x, dtype=float))
    n = x.shape[0]
    P = np.asarray(P, dtype=float).reshape(n, 6, 6)
    lam, vec = np.linalg.eigh(0.5 * (P + P.transpose(0, 2, 1)))
    steps = vec * np.sqrt(np.maximum(lam, 0.0))[:, None, :]  # (N, 6, 6): columns are axes
    pts = np.concatenate(
        [x[:, None, :] + steps.transpose(0, 2, 1), x[:, None, :] - steps.transpose(0, 2, 1)],
        axis=1,
    ).reshape(n * 12, 6)
    hp = perigee_altitude(pts[:, :3], pts[:, 3:]).reshape(n, 12)
    g = 0.5 * (hp[:, :6] - hp[:, 6:])
    h0 = perigee_altitude(x[:, :3], x[:, 3:])
    upper = h0 + z * np.sqrt(einsum("ij,ij->i", g, g))
    return np.maximum(upper, hp.max(axis=1)) > ORBIT_MIN_PERIGEE_M


def specific_energy(x: np.ndarray) -> np.ndarray:
    """Inertial specific orbital energy (J/kg) of ECEF states (N, 6)."""
    return osculating_orbit(np.atleast_2d(x)[:, :3], np.atleast_2d(x)[:, 3:])[2]


def equivalent_range(energy: np.ndarray) -> np.ndarray:
    """Keplerian minimum-energy ground range (m) of a flight with this specific energy (J/kg);
    half the circumference for energies at or above circular speed at the surface."""
    v2 = 2.0 * (np.asarray(energy, dtype=float) + GM_EARTH / R_MEAN)
    nu = np.maximum(v2, 0.0) * R_MEAN / GM_EARTH
    with np.errstate(divide="ignore", invalid="ignore"):
        s = np.where(nu < 1.0, nu / (2.0 - nu), 1.0)
    return 2.0 * np.arcsin(np.clip(s, 0.0, 1.0)) * R_MEAN


def minimum_energy_apogee(range_m: np.ndarray) -> np.ndarray:
    """Keplerian apogee altitude (m above the mean radius) of the minimum-energy flight."""
    psi = np.asarray(range_m, dtype=float) / R_MEAN
    s = np.sin(psi / 2)
    nu = 2 * s / (1 + s)
    gamma = (np.pi - psi) / 4
    a = R_MEAN / (2 - nu)
    e = np.sqrt(np.maximum(0.0, 1 - nu * (2 - nu) * np.cos(gamma) ** 2))
    return a * (1 + e) - R_MEAN


def is_lofted(apogee_m: np.ndarray, range_m: np.ndarray) -> np.ndarray:
    """Whether a flight's apogee (m) is well above the minimum-energy apogee for its range (m)."""
    return np.asarray(apogee_m) > LOFTED_FACTOR * minimum_energy_apogee(range_m)


def range_class(range_m: float) -> str:
    """SRBM, MRBM, IRBM or ICBM by ground range (m)."""
    for bound, name in CLASS_BOUNDS_M:
        if range_m < bound:
            return name
    return "ICBM"
