"""The ground a manoeuvring object can still reach, and a 95% region that covers it.

A ballistic prediction (``lookout.assess.impact``) of a lifting body is wrong by hundreds of
kilometres: a KN-23-class SRBM that pulls up at 40 km glides on far past its ballistic impact,
and a glide vehicle can turn. What the object will do is its guidance's choice; what it *can*
do is physics. So the impact of an object judged able to manoeuvre (``manoeuvre_capable``) is
widened to its *reachable footprint*: the object's estimated state is flown with the flight
model (``lookout.physics.propagate``: J2 gravity, atmosphere, a parabolic drag polar with lift
perpendicular to the velocity) as a lifting body of the catalogue's largest lift-to-drag ratio
and lift limits, under these limiting guidance choices:

- hold its present altitude at the best lift-to-drag ratio until it is too slow to glide (the
  catalogue's lowest dive speed), with the ballistic-coefficient prior's upper 2-sigma mass
  per area (a heavier body keeps its speed longer): the farthest it reaches, straight on and
  banked ``BANK_RAD`` to either side (the cross-range it can turn);
- pull down at once (hold the ground): the nearest.

Its ballistic impact (lift held at zero) is the third limit. The 95% region is then the
ballistic ellipse grown by the spread of these reach points, scaled until every reach point is
inside it (Mahalanobis radius within the chi-square(2) 95% quantile): the region covers every
limit of the manoeuvre and the track's own uncertainty about each.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lookout.assess.impact import CHI2_2D_95, MAX_COAST_S, BallisticPrior
from lookout.geodesy import ecef_to_geodetic, geodesic_direct, geodesic_inverse
from lookout.physics.einsum import einsum
from lookout.physics.propagate import ObjectSpec, Segment, propagate_impacts
from lookout.physics.vehicles import catalogue

#: Bank (rad) of the banked glides: 30 degrees, the turn that trades least range for
#: cross-range (steeper banks cannot hold the altitude and come down short; measured on
#: kn23-pullup's states, a 60 degree bank landed as short as a dive).
BANK_RAD = np.pi / 6
#: Altitude (m) above which lift is too weak to count (dynamic pressure of a few hundred Pa).
LIFT_CEILING_M = 90e3


@dataclass(frozen=True)
class LiftLimits:
    """The catalogue's most capable lifting body: L/D, lift-coefficient factor, largest lift
    (m/s²), lowest dive speed (m/s) and shortest altitude-hold period (s)."""

    lift_to_drag: float
    cl_max_factor: float
    max_lift_mps2: float
    dive_speed_mps: float
    hold_period_s: float


def catalogue_limits() -> LiftLimits:
    aeros = [v.aero for v in catalogue().values() if v.aero is not None]
    return LiftLimits(
        lift_to_drag=max(a.lift_to_drag for a in aeros),
        cl_max_factor=max(a.cl_max_factor for a in aeros),
        max_lift_mps2=max(a.max_lift_g for a in aeros) * 9.80665,
        dive_speed_mps=min(a.dive_speed_mps for a in aeros),
        hold_period_s=min(a.hold_period_s for a in aeros),
    )


def hold_altitudes(x: np.ndarray, nominal: list) -> tuple[np.ndarray, np.ndarray]:
    """The altitude (m) each state (N, 6) would glide at, and whether it glides from now: a
    descending state from its present altitude, a climbing one from its apogee (that of its
    ballistic ``nominal`` trajectory, ``ImpactBatch.nominal``), both within ``LIFT_CEILING_M``."""
    _, _, alt = ecef_to_geodetic(np.atleast_2d(x)[:, :3])
    x = np.atleast_2d(x)
    climbing = einsum("ij,ij->i", x[:, :3], x[:, 3:6]) > 0
    hold = alt.copy()
    for i in np.flatnonzero(climbing):
        ev = nominal[i].event("apogee") if nominal[i] is not None else None
        if ev is not None:
            hold[i] = ecef_to_geodetic(ev.pos)[2]
    return np.clip(hold, 0.0, LIFT_CEILING_M), ~climbing


def reach_impacts(
    t: np.ndarray,
    x: np.ndarray,
    hold_alt_m: np.ndarray,
    from_start: np.ndarray,
    prior: BallisticPrior | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Impact latitude, longitude (rad) and time (s), each (N, 4), of N states (N, 6) flown
    under the limiting manoeuvres: glide at ``hold_alt_m`` straight, banked left and right,
    and pull down; the glide from now where ``from_start``, else from apogee (``hold_altitudes``).
    NaN where a trajectory does not come down within ``MAX_COAST_S``."""
    x = np.atleast_2d(np.asarray(x, dtype=float))
    specs = reach_specs(t, x, hold_alt_m, from_start, prior)
    impacts = propagate_impacts(specs, coarse=True)  # the impacts alone: no trajectories
    k = len(specs) // x.shape[0] if x.shape[0] else 4  # the plans per state
    lat = np.full((x.shape[0], k), np.nan)
    lon = np.full((x.shape[0], k), np.nan)
    tim = np.full((x.shape[0], k), np.nan)
    for j, ev in enumerate(impacts):
        if ev is not None:
            la, lo, _ = ecef_to_geodetic(ev.pos)
            lat[j // k, j % k], lon[j // k, j % k], tim[j // k, j % k] = la, lo, ev.t
    return lat, lon, tim


def reach_specs(t, x, hold_alt_m, from_start, prior: BallisticPrior | None = None) -> list:
    """The flights ``reach_impacts`` flies (``propagate``'s objects): per state, in order, the
    glide straight, banked left and right, and the pull-down."""
    prior = prior or BallisticPrior()
    lim = catalogue_limits()
    x = np.atleast_2d(np.asarray(x, dtype=float))
    t = np.broadcast_to(np.asarray(t, dtype=float), (x.shape[0],))
    heavy = prior.mass_per_area_kg_m2 * float(np.exp(2.0 * prior.sigma_ln))
    plans = [
        (0.0, None, heavy),
        (BANK_RAD, None, heavy),
        (-BANK_RAD, None, heavy),
        (0.0, 0.0, prior.mass_per_area_kg_m2),
    ]
    specs = []
    for i in range(x.shape[0]):
        hold = float(hold_alt_m[i])
        for bank, hold_alt, mass_per_area in plans:
            specs.append(
                ObjectSpec(
                    object_id=f"{i}:{len(specs)}",
                    t0=float(t[i]),
                    pos0=x[i, :3],
                    vel0=x[i, 3:6],
                    segments=[
                        Segment(
                            np.inf,
                            mass_per_area,
                            area_m2=1.0,
                            drag=prior.drag_table,
                            kind="reentry_vehicle",
                            lift=True,
                            bank=bank,
                        )
                    ],
                    t_stop=float(t[i]) + MAX_COAST_S,
                    lift_to_drag=lim.lift_to_drag,
                    cl_max_factor=lim.cl_max_factor,
                    max_lift_mps2=lim.max_lift_mps2,
                    glide_alt_m=hold if hold_alt is None else hold_alt,
                    hold_omega=2 * np.pi / lim.hold_period_s,
                    dive_speed_mps=lim.dive_speed_mps,
                    lift_from_start=bool(from_start[i]),
                )
            )
    return specs


def widen(lat0, lon0, cov_en, t0, t_sigma, r_lat, r_lon, r_t):
    """The 95% region of one object covering its ballistic ellipse (``lat0``, ``lon0``,
    ``cov_en``) and its reach points (``r_lat``, ``r_lon``, rad): the centre (lat, lon), the
    covariance (2, 2) and the impact time and its sigma (s)."""
    ok = np.isfinite(r_lat)
    if not ok.any():
        return lat0, lon0, cov_en, t0, t_sigma
    dist, az = geodesic_inverse(
        np.full(ok.sum(), lat0), np.full(ok.sum(), lon0), r_lat[ok], r_lon[ok]
    )
    pts = np.concatenate([np.zeros((1, 2)), np.stack([dist * np.sin(az), dist * np.cos(az)], 1)])
    centre = 0.5 * (pts.min(axis=0) + pts.max(axis=0))
    d = pts - centre
    # The ellipse of the reach points: their spread, scaled until every point is inside at the
    # 95% quantile (regularised by a metre: two points make a segment).
    spread = d.T @ d / len(d) + np.eye(2)
    worst = float(np.max(einsum("ki,ij,kj->k", d, np.linalg.inv(spread), d)))
    spread *= max(worst / CHI2_2D_95, 1e-9)
    # Each point is as uncertain as the ballistic impact: the region must hold the sum of the
    # two ellipses, which lies inside E((1 + 1/p) C + (1 + p) S) for any p > 0 (the outer
    # ellipse of a Minkowski sum; p minimising the trace).
    p = np.sqrt(np.trace(cov_en) / max(np.trace(spread), 1e-9))
    p = max(p, 1e-6)
    cov = (1.0 + 1.0 / p) * cov_en + (1.0 + p) * spread
    shift = float(np.hypot(*centre))
    lat, lon = geodesic_direct(
        np.array([lat0]), np.array([lon0]), np.array([np.arctan2(centre[0], centre[1])]),
        np.array([shift]),
    )  # fmt: skip
    times = np.concatenate([[t0], r_t[ok]])
    t_mid = 0.5 * (times.min() + times.max())
    t_sig = float(np.hypot(t_sigma, 0.5 * (times.max() - times.min())))
    return float(lat[0]), float(lon[0]), cov, float(t_mid), t_sig
