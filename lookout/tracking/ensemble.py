"""A one-satellite track's unseen coast flown as an ensemble of the boosts that fit it.

One satellite's lines of sight leave a boost's pitch-over and azimuth traded along them
(docs/history/tracking-log.md "irbm54"): the refit at the plume's end (``mono.fit_launch``) is
a mixture of the catalogue's boosts, each with its own state and covariance, its moments
hundreds of km wide along the line of sight by the reentry. Flown as one Gaussian, that spread
meets the air at its mean: a vertical sigma of 300 km against a 7 km scale height, where the
linearised drag threw the velocity's sigma to 2e8 m/s (main) or, flown over the spread, slowed
the mean to terminal speed 50 s early while the truth was still high and fast (reentry NEES
~1,000, vague54). No detection comes to update it, so the coast is a prediction alone: drawn
once from the mixture (members per boost by its weight, each from its boost's Gaussian, a
drag coefficient each from the prior), each member flown by its own gravity and drag. A member
under the ground is down; the object is likelier down than up (the falling-track rule's
reason, ``TrackerConfig.delete_fallen_alt_m``) once most are.

Above the air the track's Gaussian, flown linearly, stays its estimate: in the vacuum the
members' moments hold the same flight, but their few low boosts (6-7 % of the members below
200 km for most of world75 #07's coast, slowing in the upper air) widen the covariance 10-100
times in the directions the lines of sight fixed, where the Gaussian keeps the bulk of them
(the truth's NEES 0.3-0.5 under the moments, 2-5 under the Gaussian, world78 #04). From when
the Gaussian's mean comes down into the air (``TRACKER_DRAG_CEILING_M``), where its linearised drag
does not hold its spread, the track's estimate is the moments of the members still in the air
(``CoastEnsemble.reported``).

Nor does the linear flight always hold in the vacuum: over a spread of hundreds of km, gravity
bends the members' cloud where the Gaussian's linearised flight does not (the tracking tests'
IRBM, apogee 600 km: its NEES 3.8 -> 882 before its mean meets the air, the moments' 1.5-4.9).
So the Gaussian is tested against the members each second (``gaussian_disowned``): a Gaussian
that holds the flight's spread has half its members inside its 50 % ellipsoid, whatever a few
low boosts do; once half of them lie outside its 99 % ellipsoid (their median squared
Mahalanobis distance three times chi-square(6)'s median), it has lost the cloud and the
members' moments are the estimate from then on. Not sooner: on world75/78/79's IRBMs the
members' median reaches 10 (chi-square(6)'s 90 % point) as the Gaussian's mean nears the air
while the truth stays in the Gaussian's bulk (NEES ~2) and the moments run low (0.4-1), and a
switch there took world78 #04's coast in bounds 0.80 -> 0.68 (vague56)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lookout.tracking.config import TrackerConfig
from lookout.tracking.mono import MonoFit
from lookout.tracking.motion import KAPPA, KAPPA_UNIT, NX, altitude_approx, propagate

#: Members drawn per track: the moments' own sampling error, ``sqrt(2 / N)`` of a variance,
#: 6 %.
ENSEMBLE_SIZE = 512

#: Chi-square(6)'s 99 % point: a Gaussian whose 99 % ellipsoid holds under half the members
#: airborne has lost them (``gaussian_disowned``). Its median is 5.35; 512 members put their
#: own median within ~0.5 of it, and 7 % of outliers (world75 #07's low boosts) to 5.6.
DISOWN_M2 = 16.81


@dataclass
class CoastEnsemble:
    """Members' states ``x`` (N, 10) at ``t`` (s), whether each is still in the air ``up``
    (N,, bool), and whether their moments are the track's estimate (from the Gaussian's
    meeting the air on)."""

    t: float
    x: np.ndarray
    up: np.ndarray
    reported: bool = False

    @property
    def airborne(self) -> float:
        """The share of the members still in the air."""
        return float(self.up.mean())

    def in_air(self) -> np.ndarray:
        """The position and velocity (M, 6) of the members in the air (all of them when none
        is)."""
        return self.x[self.up, 0:6] if self.up.any() else self.x[:, 0:6]


def draw(fit: MonoFit, config: TrackerConfig, seed: int) -> CoastEnsemble:
    """``ENSEMBLE_SIZE`` members of ``fit``'s mixture at ``fit.t``: each boost's share by its
    weight, its position and velocity from the boost's state and covariance, its drag
    coefficient ``kappa`` from the prior (``init_kappa_m2_kg`` ± ``init_kappa_sigma_m2_kg``) as
    the log-normal of those moments (a drag coefficient is positive). Deterministic in
    ``seed``."""
    rng = np.random.default_rng(seed)
    n = ENSEMBLE_SIZE
    w = np.asarray(fit.weights, dtype=float)
    k = rng.choice(w.size, size=n, p=w / w.sum())
    vals, vecs = np.linalg.eigh(fit.covs)
    root = vecs * np.sqrt(np.maximum(vals, 0.0))[:, None, :]
    z = rng.standard_normal((n, 6))
    x = np.zeros((n, NX))
    x[:, 0:6] = fit.states[k] + np.einsum("nij,nj->ni", root[k], z)
    m, s = config.init_kappa_m2_kg, config.init_kappa_sigma_m2_kg
    s2 = np.log1p((s / m) ** 2)
    x[:, KAPPA] = np.exp(np.log(m) - 0.5 * s2 + np.sqrt(s2) * rng.standard_normal(n)) / KAPPA_UNIT
    up = altitude_approx(x[:, 0:3]) > config.delete_fallen_alt_m
    return CoastEnsemble(float(fit.t), x, up)


def fly(ens: CoastEnsemble, t: float, config: TrackerConfig) -> None:
    """Fly ``ens``'s members still in the air on to ``t`` (s, not before ``ens.t``), in place:
    gravity and drag, no thrust; a member under the ground (``delete_fallen_alt_m``) stays
    there, down."""
    dt = t - ens.t
    if dt <= 0.0:
        return
    rows = np.flatnonzero(ens.up)
    if rows.size:
        y, _ = propagate(ens.x[rows], np.full(rows.size, dt), config.max_step_s, False)
        ens.x[rows] = y
        ens.up[rows] = altitude_approx(y[:, 0:3]) > config.delete_fallen_alt_m
    ens.t = float(t)


def moments(ens: CoastEnsemble) -> tuple[np.ndarray, np.ndarray]:
    """The mean (6,) and covariance (6, 6) of the position and velocity of ``ens``'s members
    in the air (all of them when none is)."""
    x = ens.in_air()
    mean = x.mean(axis=0)
    d = x - mean
    return mean, d.T @ d / max(x.shape[0] - 1, 1)


def gaussian_disowned(ens: CoastEnsemble, mean: np.ndarray, cov: np.ndarray) -> bool:
    """Whether the Gaussian ``mean`` (6,), ``cov`` (6, 6) (position and velocity) has lost
    ``ens``'s members in the air: under half of them inside its 99 % ellipsoid (their median
    squared Mahalanobis distance over ``DISOWN_M2``)."""
    x = ens.in_air()
    d = x - mean
    try:
        m2 = np.einsum("ni,in->n", d, np.linalg.solve(cov, d.T))
    except np.linalg.LinAlgError:
        return True
    return bool(np.median(m2) > DISOWN_M2)


__all__ = [
    "DISOWN_M2",
    "ENSEMBLE_SIZE",
    "CoastEnsemble",
    "draw",
    "fly",
    "gaussian_disowned",
    "moments",
]
