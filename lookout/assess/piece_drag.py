"""What a piece's deceleration says of what it is: a spent stage or a reentry vehicle.

A tumbling spent stage has three to five times a reentry vehicle's drag for its mass (Cd 0.8-1.3
against 0.12-0.5, and its own mass per area: ``impact.spent_stage_prior`` against the reentry
vehicle's ``BallisticPrior``). Between two assessed states of one track ``dt`` s apart, the
velocity change along the track beyond gravity and the rotating frame's terms is the drag's
impulse: ``r = u . (v1 - v0 - g dt) = -dt <1/2 rho v^2> Cd(M) / beta`` with ``beta`` the mass
per reference area. Under either hypothesis ``ln beta`` is normal (the priors'), ``Cd`` its
drag table's at the interval's Mach number; ``r`` is measured with the variance of the two
states' velocities along the track summed (the filter's states are positively correlated:
the difference is known better than that, so the evidence is understated, never overstated).
``log_likelihood_ratio`` is the log of the two marginal likelihoods' ratio, stage over reentry
vehicle: the impulse is log-normal under either, convolved with the measurement's error on a
grid that holds both; above the air both predict no deceleration and it is zero.
"""

from __future__ import annotations

from functools import cache

import numpy as np

from lookout.assess.impact import BallisticPrior, spent_stage_prior
from lookout.geodesy import ecef_to_geodetic
from lookout.physics import atmosphere
from lookout.physics.frame import rotating_frame_acceleration
from lookout.physics.vehicles import drag_tables

#: Nodes (sigmas of ``ln beta``) of the prior's grid, and points along the interval at which
#: the dynamic pressure is averaged (the density changes e-fold in 7 km, crossed in seconds).
_NODES = np.linspace(-5.0, 5.0, 101)
_ALONG = np.linspace(0.0, 1.0, 5)
#: Nodes (sigmas of the measured impulse) about the measurement.
_WINDOW = np.linspace(-6.0, 6.0, 121)


@cache
def _hypotheses() -> tuple[tuple[BallisticPrior, object], ...]:
    tables = drag_tables()
    return tuple((p, tables[p.drag_table]) for p in (spent_stage_prior(), BallisticPrior()))


def log_likelihood_ratio(dt: float, x0: np.ndarray, P0: np.ndarray, x1: np.ndarray,
                         P1: np.ndarray) -> float:  # fmt: skip
    """ln p(r | stage) - ln p(r | reentry vehicle) of the deceleration between states ``x0``
    and ``x1`` (ECEF SI, ``dt`` s apart, covariances ``P0``, ``P1``), the module doc's."""
    mid_p, mid_v = 0.5 * (x0[:3] + x1[:3]), 0.5 * (x0[3:] + x1[3:])
    g = rotating_frame_acceleration(mid_p[None], mid_v[None])[0]
    speed = float(np.linalg.norm(mid_v))
    if dt <= 0.0 or speed <= 0.0:
        return 0.0
    u = mid_v / speed
    r = float(u @ (x1[3:] - x0[3:] - g * dt))
    var = float(u @ (P0[3:, 3:] + P1[3:, 3:]) @ u)
    pts = x0[None, :] + _ALONG[:, None] * (x1 - x0)[None, :]
    _, _, h = ecef_to_geodetic(pts[:, :3])
    q = 0.5 * atmosphere.density(h) * np.einsum("ij,ij->i", pts[:, 3:], pts[:, 3:])
    q_mean = float(np.mean(q))
    mach = speed / float(atmosphere.speed_of_sound(np.array([np.mean(h)]))[0])
    sigma = float(np.sqrt(max(var, 1e-12)))
    logs = []
    for prior, table in _hypotheses():
        # The drag's impulse -z = c / beta is log-normal: ln(c) - ln(beta); convolved with the
        # measurement's normal error on a grid of z that holds both (either may be the sharper).
        c = dt * q_mean * float(table(np.array([mach]))[0])
        if c <= 0.0:
            logs.append(-0.5 * r**2 / sigma**2)
            continue
        mu, s_ln = np.log(c / prior.mass_per_area_kg_m2), prior.sigma_ln
        # In ln w, where the prior is normal: its tails add nothing across the grid's gaps.
        w = -r + sigma * _WINDOW
        u = np.unique(np.concatenate([mu + s_ln * _NODES, np.log(w[w > 0.0])]))
        f = -0.5 * ((u - mu) / s_ln) ** 2 - np.log(s_ln) - 0.5 * ((r + np.exp(u)) / sigma) ** 2
        top = float(f.max())
        logs.append(top + np.log(max(float(np.trapezoid(np.exp(f - top), u)), 1e-300)))
    return float(logs[0] - logs[1])


__all__ = ["log_likelihood_ratio"]
