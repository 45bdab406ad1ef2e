"""Tracks started from one infrared satellite alone (``MonoSightings``).

A plume that one satellite sees and no other (nor any radar) has no crossing of lines of sight
(``initiation.LinesOfSight``): each line of sight fixes two of its three coordinates. The third
is fixed by what a launch is: a rocket rising from rest at the ground, flying a boost that some
vehicle of the catalogue can fly. The unpaired lines of sight of each satellite are chained
frame to frame (``MonoSightings.add``); a chain swept for ``MONO_MIN_SPAN_S`` is fitted by
every boost of the catalogue (``boost_profiles.csv``: each vehicle over pitch-overs from lofted
to depressed, flown by ``lookout.app.boost_profiles``), each placed by its launch point on the
ellipsoid, its launch time and its azimuth (``fit_launch``, Levenberg-Marquardt on the lines of
sight's angular residuals). The fits are weighed by their likelihoods (every boost a priori
as likely); the best must pass a chi-square test, and the weighed launch points must agree
within ``MONO_LAUNCH_MAX_M`` (95 %), or nothing is started (yet). The track's prior is the
weighed boosts' state at the last line of sight, its covariance their spread plus each fit's
own: large along the line of sight, as one satellite's geometry leaves it.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
from scipy.optimize import linear_sum_assignment
from scipy.stats import chi2

from lookout.geodesy import ecef_to_geodetic, enu_basis, geodetic_to_ecef

PROFILE_TABLE = Path(__file__).with_name("boost_profiles.csv")
PROFILE_COLUMNS = ("vehicle", "kick_deg", "tau_s", "east_m", "north_m", "up_m")
#: Time step of the table's boosts (s).
PROFILE_STEP_S = 2.0

#: A chain of one satellite's lines of sight is fitted once it spans this long (s) with at
#: least ``MONO_MIN_LOS`` lines: half a minute of a burn sweeps the plume far enough across the
#: focal plane for its climb to tell its range.
MONO_MIN_SPAN_S = 30.0
MONO_MIN_LOS = 15
#: A chain that failed its fit is tried again this much later (s), with its new lines of sight,
#: up to ``MONO_FIT_MAX_SPAN_S``.
MONO_RETRY_S = 15.0
#: The first minute of a chain is what is fitted (at 30, 45 and 60 s), its state given then:
#: the boosts' first minute from the ground is what tells a launch, and a longer span lets one
#: boost of the grid take all the weight, its miss of a flight between the grid's pitch-overs
#: then unaccounted for (measured on the cases' one-satellite fits: at 60 s every launch point
#: within its 95 % ellipse; at 70-75 s, an IRBM's 4.2 km off with a 1.2 km ellipse), and a
#: state flown on past the fit by its boosts is off by their stagings (NEES 1,500-2,300 on 6
#: degrees of freedom at 94 and 364 s). A chain no boost fits by then is none's.
MONO_FIT_MAX_SPAN_S = 60.0
#: A chain not extended for this long (s) is dropped: its plume is out or taken by a track.
MONO_CHAIN_GAP_S = 10.0
#: Lines of sight used in one fit (evenly spaced through the chain), for its cost.
MONO_FIT_LOS = 40
#: What the table's boosts miss of a flight between the pitch-overs flown (m, per axis across
#: the line of sight): measured on world61 #02's IRBM, its best boost's residuals were within
#: the focal plane's noise with this added, chi-square 101 for 130 degrees of freedom.
MODEL_SIGMA_M = 500.0
#: ... and of its velocity (m/s per axis), added to the prior's covariance. Both while the
#: plume burns; the refit at burnout takes the grid's miss from the neighbouring pitch-overs'
#: fits instead (``_between_kicks``): with both, the floor made the burnout's covariance 10-100
#: times too wide in the four directions the lines of sight fix (world75 #07's flight, sensor
#: seeds 1-3: the error's squared sigmas there 0.005-0.13; burnout NEES 0.7-2.3 -> 1.3-4.6).
MODEL_SIGMA_MPS = 50.0
#: ... and of the launch point (m per axis) and time (s), added to theirs: half the difference
#: between the launch points of neighbouring pitch-overs fitted to one chain (2-6 km, 2-10 s
#: on the cases' IRBMs).
MODEL_LAUNCH_SIGMA_M = 3e3
MODEL_LAUNCH_SIGMA_S = 3.0
#: A chain whose best fit's chi-square exceeds this quantile is no catalogue boost from the
#: ground seen by this satellite: nothing is started from it.
MONO_FIT_QUANTILE = 0.999
#: The weighed launch points' 95 % ellipse must be within this (m, semi-major axis) for a track
#: to start: the 50 km within which a launch point is the launch (``lookout.scoring.claims``).
MONO_LAUNCH_MAX_M = 50e3
#: Where a plume is first seen (m, geodetic altitude): a boost from the ground is first seen by
#: an early-warning satellite when its plume clears the cloud tops and the water vapour that
#: absorb its band (the generic sensor's ``cloud_top_km``, 10 km), so the chain's first line
#: of sight, half a frame before which the plume rose through that height, tells how far the
#: boost has climbed then, and with its lines of sight after, its pitch-over: one satellite's
#: lines of sight alone leave the pitch-over open along them (world75 #07's IRBM: boosts of
#: 25-40 degrees within two chi-square units, their burnouts 3-76 km and 0.1-2.5 km/s apart),
#: their first sightings 7-12 km up.
PLUME_FIRST_SEEN_M = 10e3
#: ... its sigma (m): the cloud tops' spread over the world's weather, and the band's.
PLUME_FIRST_SEEN_SIGMA_M = 1.5e3
#: ... and the most a chain first seen higher costs (chi-square): a plume may be first seen
#: late (by a satellite near the limb, or a chain broken and started again), taken as likely
#: as not, anywhere in the 50 km above: the cost where that density, against the Gaussian's
#: peak, is the larger, ``-2 ln(sigma sqrt(2 pi) / 50 km)``, 5.2. A chain started 10 s late
#: (the test IRBM first seen at 16 km): burnout NEES 10-18 with a cost of 9, 3.8-7.4 with this.
PLUME_LATE_MAX_CHI2 = -2.0 * math.log(PLUME_FIRST_SEEN_SIGMA_M * math.sqrt(2.0 * math.pi) / 50e3)
#: 95 % of a 2-D Gaussian (chi-square, two degrees of freedom).
CHI2_2D_95 = 5.991464547107979

_R_EARTH = 6371e3
_STARTS_AZ = np.radians([0.0, 90.0, 180.0, 270.0])
_STARTS_DT = np.array([20.0, 60.0, 150.0])
_STEP = np.array([10.0, 10.0, 0.01, 1e-5])  # finite differences: e, n (m), t0 (s), az (rad)


@lru_cache(maxsize=1)
def profiles() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The shipped boosts: vehicle names (K,), pitch-overs (K,) deg, and positions (K, T, 3)
    m (east, north, up of the site, fired north) every ``PROFILE_STEP_S`` from lift-off, NaN
    past each one's burn."""
    with open(PROFILE_TABLE, newline="") as fh:
        rows = list(csv.DictReader(fh))
    keys: dict[tuple[str, float], list] = {}
    for r in rows:
        keys.setdefault((r["vehicle"], float(r["kick_deg"])), []).append(
            (float(r["tau_s"]), float(r["east_m"]), float(r["north_m"]), float(r["up_m"]))
        )
    n_t = max(round(max(v[0] for v in vals) / PROFILE_STEP_S) + 1 for vals in keys.values())
    enu = np.full((len(keys), n_t + 1, 3), np.nan)
    for k, vals in enumerate(keys.values()):
        a = np.array(vals)
        enu[k, np.round(a[:, 0] / PROFILE_STEP_S).astype(int)] = a[:, 1:]
    names = np.array([k[0] for k in keys])
    kicks = np.array([k[1] for k in keys])
    return names, kicks, enu


@dataclass
class MonoFit:
    """A chain's fit (``fit_launch``): the launch point (rad) and its (east, north) covariance
    (m²), the launch time (s) and its sigma, the state (6,) at ``t`` (the last line of sight)
    and its covariance (6, 6), the best fit's chi-square and its degrees of freedom, and
    whether it passed (``MONO_FIT_QUANTILE``, ``MONO_LAUNCH_MAX_M``); and the weighed boosts
    the state is the mean of: their rows in ``profiles()`` (M,), weights (M,), fitted azimuths
    (M,) rad and states (M, 6) at ``t`` with their covariances (M, 6, 6)."""

    lat: float
    lon: float
    cov_en: np.ndarray
    t_launch: float
    t_sigma: float
    t: float
    x: np.ndarray
    P: np.ndarray
    chi2: float
    dof: int
    ok: bool
    boosts: np.ndarray | None = None
    weights: np.ndarray | None = None
    azimuths: np.ndarray | None = None
    states: np.ndarray | None = None
    covs: np.ndarray | None = None


def _ground_point(s: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Where the ray from ``s`` along ``u`` (unit) meets the WGS84 ellipsoid (ECEF m); its
    closest approach if it misses."""
    a2, b2 = 6378137.0**2, 6356752.314245179**2
    w = np.array([1.0 / a2, 1.0 / a2, 1.0 / b2])
    qa = np.sum(w * u * u)
    qb = 2.0 * np.sum(w * s * u)
    qc = np.sum(w * s * s) - 1.0
    disc = qb * qb - 4.0 * qa * qc
    lam = (-qb - math.sqrt(disc)) / (2.0 * qa) if disc >= 0 else -qb / (2.0 * qa)
    return s + lam * u


def _model(th, k, t, enu, g_lat, g_lon):
    """ECEF positions (M, N, 3) at times ``t`` (N,) of boosts ``k`` (M,) placed by ``th`` (M, 4):
    launch point (east, north m from ``g_lat, g_lon``), launch time (s), azimuth (rad); and
    where the boost is not flying then (before lift-off, past its burn)."""
    lat = g_lat + th[:, 1] / _R_EARTH
    lon = g_lon + th[:, 0] / (_R_EARTH * math.cos(g_lat))
    site = geodetic_to_ecef(lat, lon, 0.0)
    basis = enu_basis(lat, lon)
    tau = (t[None] - th[:, 2:3]) / PROFILE_STEP_S
    n_t = enu.shape[1]
    i0 = np.clip(np.floor(tau).astype(np.int64), 0, n_t - 2)
    f = np.clip(tau - i0, 0.0, 1.0)[..., None]
    pr = enu[k]
    p0 = np.take_along_axis(pr, i0[..., None], axis=1)
    p1 = np.take_along_axis(pr, (i0 + 1)[..., None], axis=1)
    loc = p0 + f * (p1 - p0)
    ca, sa = np.cos(th[:, 3:4]), np.sin(th[:, 3:4])
    east = loc[..., 0] * ca + loc[..., 1] * sa
    north = -loc[..., 0] * sa + loc[..., 1] * ca
    loc = np.stack([east, north, loc[..., 2]], axis=-1)
    bad = (tau < 0.0) | ~np.isfinite(loc).all(axis=-1)
    loc = np.nan_to_num(loc)
    return site[:, None] + np.einsum("mnj,mji->mni", loc, basis), bad


def fit_launch(t, s, u, sig, t_state: float | None = None, burnt_out_s: float = 0.0) -> MonoFit:
    """Fit the catalogue's boosts to one satellite's lines of sight of one plume: times ``t``
    (N,) s, satellite positions ``s`` (N, 3) and unit lines of sight ``u`` (N, 3) ECEF, their
    angular sigma ``sig`` (N,) rad; the state is given at ``t_state`` (default: the last line
    of sight). ``burnt_out_s`` > 0: the plume went out within that long (s, a frame) after
    ``t_state``, and the state is the coast's that follows (``_burnt_out``)."""
    names, kicks, enu = profiles()
    t_state = float(t[-1]) if t_state is None else float(t_state)
    n = t.size
    # The plume rose through ``PLUME_FIRST_SEEN_M`` between the frame before the first line
    # of sight and it (``first_seen``).
    steps = np.diff(t)
    frame = float(steps[steps > 0].min()) if (steps > 0).any() else 1.0
    t_rise = float(t[0]) - 0.5 * frame
    if n > MONO_FIT_LOS:
        pick = np.unique(np.round(np.linspace(0, n - 1, MONO_FIT_LOS)).astype(int))
        t, s, u, sig = t[pick], s[pick], u[pick], sig[pick]
        n = t.size
    # Two axes across each line of sight.
    ax = np.cross(u, [0.0, 0.0, 1.0])
    ax /= np.linalg.norm(ax, axis=1, keepdims=True)
    bx = np.cross(u, ax)
    g = _ground_point(s[0], u[0])
    rng = np.linalg.norm(g - s[0])
    sig_eff = np.sqrt(sig**2 + (MODEL_SIGMA_M / rng) ** 2)
    glat, glon, _ = ecef_to_geodetic(g[None])
    glat, glon = float(glat[0]), float(glon[0])

    def resid(th, k):
        p, bad = _model(th, k, t, enu, glat, glon)
        d = p - s[None]
        d /= np.linalg.norm(d, axis=-1, keepdims=True)
        r = np.concatenate([(d * ax).sum(-1) / sig_eff, (d * bx).sum(-1) / sig_eff], axis=-1)
        r[np.concatenate([bad, bad], axis=-1)] = 1e3
        return np.concatenate([r, first_seen(th, k)[:, None]], axis=-1)

    def first_seen(th, k):
        # The boost's height half a frame before its first line of sight, against where a
        # plume is first seen: below it, it could not have been seen (the full Gaussian);
        # above it, seen late, at most ``PLUME_LATE_MAX_CHI2``.
        tau = (t_rise - th[:, 2]) / PROFILE_STEP_S
        i0 = np.clip(np.floor(tau).astype(np.int64), 0, enu.shape[1] - 2)
        f = np.clip(tau - i0, 0.0, 1.0)
        up = enu[k, i0, 2] + f * (enu[k, i0 + 1, 2] - enu[k, i0, 2])
        up = np.where(tau < 0.0, 0.0, np.nan_to_num(up, nan=PLUME_FIRST_SEEN_M))
        z = (up - PLUME_FIRST_SEEN_M) / PLUME_FIRST_SEEN_SIGMA_M
        return np.where(z < 0.0, z, np.minimum(z, math.sqrt(PLUME_LATE_MAX_CHI2)))

    n_k = enu.shape[0]
    kk, aa, dd = np.meshgrid(np.arange(n_k), _STARTS_AZ, _STARTS_DT, indexing="ij")
    kk = kk.ravel()
    th = np.stack([np.zeros(kk.size), np.zeros(kk.size), t[0] - dd.ravel(), aa.ravel()], axis=-1)
    th, kk, cost = _lm(resid, th, kk, 8)
    # Keep each boost's best start, and only the boosts that may still fit.
    best = np.full(n_k, -1)
    for i in np.argsort(cost)[::-1]:
        best[kk[i]] = i
    best_of = best
    best = best[best >= 0]
    best = best[cost[best] <= cost[best].min() + 200.0]
    if burnt_out_s > 0.0:
        # ... and their neighbours' in pitch-over, for the grid's miss (``_between_kicks``).
        nb = _kick_neighbours()[kk[best]]
        nb = best_of[nb[nb >= 0]]
        best = np.union1d(best, nb[nb >= 0])
    th, kk, cost = _lm(resid, th[best], kk[best], 30)
    dof = 2 * n + 1 - 4
    c_min = float(cost.min())
    # Each boost's fit: its parameters' covariance from the Jacobian at the optimum.
    w = np.exp(-0.5 * (cost - c_min))
    keep = w > 1e-6
    t_end = np.array([t_state - 0.5, t_state + 0.5])
    between = None
    if burnt_out_s > 0.0:
        between = _between_kicks(*_state(th, kk, t_end, enu, glat, glon, True), kk, keep)
    th, kk, cost, w = th[keep], kk[keep], cost[keep], w[keep] / w[keep].sum()
    r0 = resid(th, kk)
    jac = np.stack([(resid(th + _STEP * np.eye(4)[j], kk) - r0) / _STEP[j] for j in range(4)], -1)
    info = np.einsum("mni,mnj->mij", jac, jac)
    cov_th = np.linalg.pinv(info)

    # The state at the last line of sight, and its derivatives in the parameters.
    def state(thq):
        if burnt_out_s > 0.0:
            return _state(thq, kk, t_end, enu, glat, glon, True)[0]
        return _state(thq, kk, t_end, enu, glat, glon)

    x = state(th)
    dx = np.stack([(state(th + _STEP * np.eye(4)[j]) - x) / _STEP[j] for j in range(4)], -1)
    P = dx @ cov_th @ dx.transpose(0, 2, 1)
    if burnt_out_s > 0.0:
        # The grid's miss, between its pitch-overs, measured (``_between_kicks``); what the
        # floor below stands for while the burn goes on, counted once.
        P += between
        _burnt_out(x, P, th, kk, t_state, burnt_out_s, enu, glat, glon)
    else:
        P[:, :3, :3] += np.eye(3) * MODEL_SIGMA_M**2
        P[:, 3:, 3:] += np.eye(3) * MODEL_SIGMA_MPS**2
    xm = w @ x
    d = x - xm
    Pm = np.einsum("m,mij->ij", w, P + d[:, :, None] * d[:, None, :])
    # The launch point: (east, north) from the ground point and the launch time.
    en = th[:, :2]
    enm = w @ en
    de = en - enm
    cov_en = np.einsum("m,mij->ij", w, cov_th[:, :2, :2] + de[:, :, None] * de[:, None, :])
    cov_en += np.eye(2) * MODEL_LAUNCH_SIGMA_M**2
    t0 = float(w @ th[:, 2])
    t_var = float(w @ (cov_th[:, 2, 2] + (th[:, 2] - t0) ** 2)) + MODEL_LAUNCH_SIGMA_S**2
    lat = glat + enm[1] / _R_EARTH
    lon = glon + enm[0] / (_R_EARTH * math.cos(glat))
    semi = math.sqrt(CHI2_2D_95 * max(np.linalg.eigvalsh(cov_en).max(), 0.0))
    ok = c_min <= chi2.ppf(MONO_FIT_QUANTILE, dof) and semi <= MONO_LAUNCH_MAX_M
    return MonoFit(
        lat=lat, lon=lon, cov_en=cov_en, t_launch=t0,
        t_sigma=math.sqrt(t_var), t=t_state, x=xm, P=0.5 * (Pm + Pm.T),
        chi2=c_min, dof=dof, ok=bool(ok), boosts=kk, weights=w, azimuths=th[:, 3], states=x,
        covs=0.5 * (P + P.transpose(0, 2, 1)),
    )  # fmt: skip


def _state(th, kk, t_end, enu, glat, glon, ended: bool = False):
    """The states (M, 6) of boosts ``kk`` placed by ``th`` at the middle of ``t_end`` (two
    times a second apart): a fit ending at its boost's burnout, the velocity of the last
    second flown. ``ended`` (a plume gone out at the first time's half a second on): a boost
    whose burn ends before the second time has its state from the second before, flown on
    half a second, and the states come with whether each boost flies at the first time."""
    p, bad = _model(th, kk, t_end, enu, glat, glon)
    x = np.concatenate([p.mean(axis=1), p[:, 1] - p[:, 0]], axis=-1)
    if not ended:
        return x
    late = bad[:, 1] & ~bad[:, 0]
    if late.any():
        q, _ = _model(th[late], kk[late], t_end - 0.5, enu, glat, glon)
        v = q[:, 1] - q[:, 0]
        x[late] = np.concatenate([q[:, 1] + 0.5 * v, v], axis=-1)
    return x, ~bad[:, 0]


@lru_cache(maxsize=1)
def _kick_neighbours() -> np.ndarray:
    """Each boost's neighbours in the table (K, 2): the same vehicle's next pitch-overs down
    and up (-1: none, the grid's end)."""
    names, kicks, _ = profiles()
    out = np.full((names.size, 2), -1)
    for v in np.unique(names):
        rows = np.flatnonzero(names == v)
        rows = rows[np.argsort(kicks[rows])]
        out[rows[1:], 0] = rows[:-1]
        out[rows[:-1], 1] = rows[1:]
    return out


def _between_kicks(x: np.ndarray, flying: np.ndarray, kk: np.ndarray, keep: np.ndarray):
    """What the table misses of a flight between its pitch-overs, as a covariance (M, 6, 6)
    for each kept (``keep``) fit of ``x`` (all fits' states, (F, 6), of boosts ``kk``, and
    whether each still burns there, ``flying``: one burnt out is no neighbour to take): a
    flight's pitch-over is anywhere between the grid's, so a boost fitted best stands for
    the flights from halfway to its neighbour below to halfway to its neighbour above, each
    fitted to the same lines of sight; their states, linear in the pitch-over between
    neighbours ``d`` apart (``x`` of the neighbour less the boost's), are spread over half of
    each side evenly, ``sum(d d^T) / 24`` (``d d^T / 12`` at the grid's end: its one side).
    The miss grows with the burn: the test IRBM's pitch-over, 28.2 degrees, fitted at 30 over
    its whole burn, put its burnout 9 km and 300 m/s off under 1.5 km and 77 m/s sigmas
    (NEES 56), its impact 170 km off a 260 x 110 km ellipse."""
    nb = _kick_neighbours()
    out = []
    for i in np.flatnonzero(keep):
        sides = []
        for b in nb[kk[i]]:
            j = np.flatnonzero((kk == b) & flying)
            if b >= 0 and j.size:
                sides.append(x[j[0]] - x[i])
        c = np.zeros((6, 6))
        for d in sides:
            c += np.outer(d, d) / (24.0 if len(sides) == 2 else 12.0)
        out.append(c)
    return np.array(out).reshape(-1, 6, 6)


def _burnt_out(x, P, th, kk, t_state: float, frame_s: float, enu, glat, glon) -> None:
    """Make the boosts' states ``x`` (M, 6), ``P`` (M, 6, 6) at ``t_state`` (their plume's
    last line of sight) those of the coasts that follow, in place: the plume went out
    somewhere in the next ``frame_s``, evenly likely, so each boost's thrust over that time
    (its acceleration there, from its table; none past its full burn) adds half of its
    velocity increment to the velocity and the increment's spread, ``(a frame_s)² / 12``
    along it, to the covariance (an IRBM's 60-80 m/s² over a 1 s frame: 35 m/s on 20 m/s)."""
    p, bad = _model(th, kk, np.array([t_state - 1.0, t_state, t_state + 1.0]), enu, glat, glon)
    acc = p[:, 2] - 2.0 * p[:, 1] + p[:, 0]
    acc[bad.any(axis=1)] = 0.0
    dv = acc * frame_s
    x[:, 3:] += 0.5 * dv
    P[:, 3:, 3:] += dv[:, :, None] * dv[:, None, :] / 12.0


def _lm(resid, th, kk, iters: int):
    """Levenberg-Marquardt on the 4 parameters of many fits at once: ``iters`` steps from
    ``th`` (M, 4) of boosts ``kk``; returns the parameters, the boosts and the costs
    (chi-square)."""
    r = resid(th, kk)
    cost = (r**2).sum(-1)
    lam = np.full(kk.size, 1e-2)
    eye = np.eye(4)
    for _ in range(iters):
        jac = np.stack([(resid(th + _STEP * eye[j], kk) - r) / _STEP[j] for j in range(4)], -1)
        H = np.einsum("mni,mnj->mij", jac, jac)
        grad = np.einsum("mni,mn->mi", jac, r)
        damp = lam[:, None, None] * (H * eye) + eye * 1e-12
        step = -np.linalg.solve(H + damp, grad[..., None])[..., 0]
        th_n = th + step
        r_n = resid(th_n, kk)
        c_n = (r_n**2).sum(-1)
        better = c_n < cost
        th[better], r[better], cost[better] = th_n[better], r_n[better], c_n[better]
        lam = np.where(better, lam * 0.3, lam * 10.0)
    return th, kk, cost


class MonoSightings:
    """Each infrared satellite's unpaired lines of sight, chained frame to frame, and the
    tracks their fits start (``add``)."""

    def __init__(self, max_speed_mps: float) -> None:
        self.max_speed_mps = max_speed_mps
        # Per sensor code: chains, each a dict of lists t, s, u, sig, idx and its next fit time.
        self._chains: dict[int, list[dict]] = {}

    def add(self, t: float, code: int, s: np.ndarray, u: np.ndarray, sig, idx):
        """Chain the unpaired lines of sight ``u`` (k, 3) of sensor ``code`` at ``t`` (from
        ``s``, sigmas ``sig`` rad, detection indices ``idx``) onto its chains (nearest first
        within the angle a plume at ``max_speed_mps`` sweeps), start chains with the others,
        drop stale chains, and fit those due. Returns the passed fits, each one's detection
        indices and its chain (a dict of lists: times ``t``, satellite positions ``s``, lines
        of sight ``u``, sigmas ``sig``): a list of (``MonoFit``, indices, chain)."""
        chains = [c for c in self._chains.get(code, []) if t - c["t"][-1] <= MONO_CHAIN_GAP_S]
        k = u.shape[0]
        taken = np.zeros(k, dtype=bool)
        if chains and k:
            last = np.array([c["u"][-1] for c in chains])
            dt = np.array([t - c["t"][-1] for c in chains])
            g = _ground_point(s, u[0])
            rng = max(np.linalg.norm(g - s) - 2000e3, 1e6)
            cosang = np.clip(u @ last.T, -1.0, 1.0)
            ang = np.arccos(cosang)
            gate = self.max_speed_mps * dt[None] / rng + 5.0 * np.asarray(sig)[:, None]
            ok = (ang <= gate) & (dt[None] > 0)
            cost = np.where(ok, ang, 1e3)
            r, c = linear_sum_assignment(cost)
            for i, j in zip(r, c, strict=True):
                if ok[i, j]:
                    ch = chains[j]
                    ch["t"].append(t)
                    ch["s"].append(s)
                    ch["u"].append(u[i])
                    ch["sig"].append(float(sig[i]))
                    ch["idx"].append(int(idx[i]))
                    taken[i] = True
        for i in np.flatnonzero(~taken):
            chains.append({"t": [t], "s": [s], "u": [u[i]], "sig": [float(sig[i])],
                           "idx": [int(idx[i])], "next": t + MONO_MIN_SPAN_S})  # fmt: skip
        out = []
        left = []
        for ch in chains:
            if t >= ch["next"] and len(ch["t"]) >= MONO_MIN_LOS and ch["t"][-1] == t:
                ct = np.array(ch["t"])
                if t - ct[0] > MONO_FIT_MAX_SPAN_S + 0.5 * MONO_RETRY_S:
                    # Fitted over its first minute in vain: no launch's. Kept (never fitted
                    # again) to take its plume's lines of sight, which would start another.
                    ch["next"] = math.inf
                    left.append(ch)
                    continue
                k = ct <= ct[0] + MONO_FIT_MAX_SPAN_S
                fit = fit_launch(
                    ct[k], np.array(ch["s"])[k], np.array(ch["u"])[k], np.array(ch["sig"])[k], t
                )
                if fit.ok:
                    out.append((fit, np.array(ch["idx"], dtype=np.int64), ch))
                    continue
                ch["next"] = t + MONO_RETRY_S
            left.append(ch)
        self._chains[code] = left
        return out
