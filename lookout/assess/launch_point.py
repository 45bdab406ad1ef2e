"""Launch point and launch time from a track's earliest states, with their uncertainty.

Two estimates, by what the earliest state is:

* **Boost** (the usual case: infrared sees the plume within seconds). A rocket rising from rest
  under a thrust acceleration that grows slowly as propellant burns has been flying for
  ``tau = k h / v_up`` (``h`` its height, ``v_up`` its vertical speed; ``k = 2`` for a constant
  acceleration, more for a growing one) and, after a vertical rise and a pitch-over in the plane
  of fire, has covered a ground distance ``d = c v_h tau`` back along its horizontal velocity
  ``v_h`` (``c`` from 1/2 for a constant horizontal acceleration down to ~0.1 for a late
  pitch-over). ``k`` and ``c`` are not known for an unknown vehicle: they enter as Gaussian
  uncertain parameters (k = 2.3 +- 0.25, c = 0.3 +- 0.12, which span the catalogue's flights in
  their first two minutes) next to the state's own covariance, in one unscented transform.
* **Coast** (a track that starts after burnout, radar only). The state is flown backwards through
  the same equations of motion to the ground. That arc misses the boost (a rocket climbs
  steeper and slower than the ballistic arc through its burnout state) by an amount the boost
  alone fixes, whatever state of the coast is flown back: the catalogue's boosts flown over
  pitch-overs, cut-offs and azimuths (``boost_ensemble``), those whose coast matches the
  state's (speed and flight-path angle of the arc at the ground) weighed by how well, give the
  site's offset from the arc's ground point along and across the arc and the launch time's
  from its ground time: their mean moves the estimate, their spread adds to the state's own
  covariance flown back, as does the body's unknown drag, linearised (``DRAG_STEP``).

Positions are (lat, lon) in radians with a 2-D (east, north) covariance in m^2; times in s from
the epoch.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lookout.assess.boost_ensemble import arc_features, arc_frame, offsets
from lookout.assess.impact import CHI2_2D_95, BallisticPrior, sigma_points
from lookout.geodesy import (
    ecef_to_geodetic,
    enu_basis,
    geodesic_direct,
    geodesic_inverse,
)
from lookout.physics import dynamics
from lookout.physics.einsum import einsum
from lookout.physics.integrate import rk4_step
from lookout.timebase import ns_to_s

#: Boost back-extrapolation parameters (mean, sigma): time factor k and distance factor c.
K_TIME = (2.3, 0.25)
C_DISTANCE = (0.3, 0.12)


def _longest_burn_s() -> float:
    """The catalogue's longest first-stage burn (s, ``lookout/physics/vehicles.yaml``), with the
    margin of a vehicle like it but not in the catalogue (10 % and 10 s)."""
    from lookout.physics.vehicles import catalogue

    return 1.1 * max(v.stages[0].burn_s for v in catalogue().values()) + 10.0


#: A boosting state whose flight back (``K_TIME h / v_up``) began longer ago than this is not a
#: rocket rising from the ground on its first stage, the flight the model describes (``K_TIME``
#: and ``C_DISTANCE`` span the catalogue's first two minutes): an upper stage lit high up after
#: a staging has no launch point of its own (``launch_from_boost``). Measured on
#: satellite-launch: the third stage's track, born at its ignition at 655 s and 400 km up, was
#: flown back 170-190 km from the site (+- 630 km) as if it had risen from the ground.
BURN_MAX_S = _longest_burn_s()
#: A coast state whose own uncertainty, flown back, spreads its launch point wider than this
#: (m, the 95 % ellipse's semi-major axis of the flight back alone, without the boost's model
#: error) gives no launch point (``launch_from_coast``): the resolution of a launch site, the
#: 50 km within which ``lookout.scoring.claims`` counts a launch point true. The boost's
#: offset (``boost_ensemble.offsets``) is what the unknown boost adds to any state, however
#: well known; this is what the track itself does not yet know. Measured on generated gen-11-01:
#: a lofted ICBM's reentry vehicle, its track started again 1,000 km up on the way down, its
#: velocity 100-400 m/s uncertain in its first seconds, was flown back 2,300 s to a launch
#: point 320 km from the site (its flight back alone 1 sigma ~500 km), then 150 km off on
#: Korea's north-west islands (~130 km), both named; 50 s later, known to 12 km, it was 12 km
#: from the site. Held at every sigma point of the state (``own_spread_at_points``), not at the
#: estimate alone: held-out world78 #06, a spent stage's 5-s-old one-radar track whose state
#: a 3.1 sigma azimuth draw had moved (NEES 12.6) flew back 49.9 km wide there, 59 km from the
#: site (a phantom launch); at the states its covariance holds, 46-69 km.
BACKWARD_STATE_MAX_M = 50e3
#: The step (in sigma of the log mass per area, ``BallisticPrior.sigma_ln``) of the two flights
#: back that linearise the launch point in the body's drag (``launch_from_coast``): small enough
#: that a light body's drag, flown back, stays finite, large enough for a difference above the
#: integration's rounding.
DRAG_STEP = 0.25
#: Backward integration step (s) and the longest time flown back.
BACKWARD_DT_S = 2.0
BACKWARD_MAX_S = 3600.0
#: A flight back down within this many seconds of its own is down, on the same point, in any
#: batch it is flown in (``_backward_to_ground``): a batch stops at ``BACKWARD_MAX_S`` counted
#: in its longest step, ``10 BACKWARD_DT_S``, so after no fewer than ``BACKWARD_MAX_S / (10
#: BACKWARD_DT_S)`` steps, and a flight down within this has taken no more steps (each of its
#: own is at least ``BACKWARD_DT_S``). A flight longer than this may be cut short by its batch.
SETTLED_S = (BACKWARD_MAX_S / (10.0 * BACKWARD_DT_S) - 1.0) * BACKWARD_DT_S


@dataclass
class LaunchEstimate:
    """Launch points of N tracks: lat, lon (rad), cov_en (N, 2, 2) m^2, time (s) and its sigma,
    and the method ("boost" or "backward")."""

    lat: np.ndarray
    lon: np.ndarray
    cov_en: np.ndarray
    t: np.ndarray
    t_sigma: np.ndarray
    method: str


@dataclass
class CoastFlights:
    """One coast state's flights back (``launch_from_coast``'s ``kept``), kept to fly the same
    state (the same time, mean, covariance and prior) no more: the ground points (S + 2, 3)
    ECEF m and times (S + 2,) s of its S sigma points and its two drag flights, and those
    ((S - 1) S) of each point's own sigma points (``own_spread_at_points``; None while not
    flown or not all down within ``SETTLED_S``)."""

    ground: np.ndarray
    times: np.ndarray
    spread: np.ndarray | None = None
    spread_times: np.ndarray | None = None


def _one(lat: float, lon: float, cov_en, t: float, t_sigma: float) -> LaunchEstimate:
    """A launch estimate (method "boost") of one launch point fitted to a track's boost."""
    return LaunchEstimate(
        np.array([lat]),
        np.array([lon]),
        np.asarray(cov_en, dtype=float)[None],
        np.array([t]),
        np.array([t_sigma]),
        "boost",
    )


def fitted(fits) -> dict[str, LaunchEstimate]:
    """Launch estimates (method "boost") of the launches a tracker fitted to its tracks' boosts
    (``lookout.tracking.mono.MonoFit`` by track id: ``lat``, ``lon`` rad, ``cov_en`` m²,
    ``t_launch`` s, ``t_sigma`` s), by the track id as a string (``Assessor.update``'s
    ``launches``)."""
    return {str(k): _one(f.lat, f.lon, f.cov_en, f.t_launch, f.t_sigma) for k, f in fits.items()}


def reported(launch) -> LaunchEstimate:
    """The launch estimate (method "boost") of a launch a partner's tracker fitted and sent
    with its local track (``lookout.messages.LaunchFit``)."""
    return _one(
        launch.lat_rad, launch.lon_rad, launch.cov_en_m2, ns_to_s(launch.t_ns), launch.t_sigma_s
    )


def _enu_offsets(lat0, lon0, lat, lon):
    dist, az = geodesic_inverse(
        np.broadcast_to(lat0, lat.shape).ravel(),
        np.broadcast_to(lon0, lon.shape).ravel(),
        lat.ravel(),
        lon.ravel(),
    )
    dist, az = dist.reshape(lat.shape), az.reshape(lat.shape)
    return np.stack([dist * np.sin(az), dist * np.cos(az)], axis=-1)


def _summarise(
    lat, lon, tl, w, extra_cov=None, extra_t=None, method="boost", shift=None
) -> LaunchEstimate:
    """Weighted mean and covariance of sigma-point launch points (N, S), the mean moved by
    ``shift`` (N, 2) (east, north) m if given."""
    lat0, lon0 = lat[:, :1], lon[:, :1]
    d = _enu_offsets(lat0, lon0, lat, lon)
    m = einsum("s,nsi->ni", w, d)
    dd = d - m[:, None]
    cov = einsum("s,nsi,nsj->nij", w, dd, dd)
    if extra_cov is not None:
        cov = cov + extra_cov
    if shift is not None:
        m = m + shift
    mt = tl @ w
    vt = ((tl - mt[:, None]) ** 2) @ w
    if extra_t is not None:
        vt = vt + extra_t**2
    la, lo = geodesic_direct(lat0[:, 0], lon0[:, 0], np.arctan2(m[:, 0], m[:, 1]), np.hypot(*m.T))
    return LaunchEstimate(np.asarray(la), np.asarray(lo), cov, mt, np.sqrt(vt), method)


def _boost_points(x: np.ndarray, P: np.ndarray):
    """The unscented transform's sigma points of N boosting states (N, 6) known to (N, 6, 6),
    with the model's ``K_TIME`` and ``C_DISTANCE``: the points (N, S, 8), their weights (S,),
    their geodetic lat, lon, height (N, S), ENU velocity (N, S, 3) and the time each has been
    flying as a first stage from the ground (``tau = k h / v_up``, s, (N, S))."""
    n = x.shape[0]
    mean = np.concatenate([x, np.tile([K_TIME[0], C_DISTANCE[0]], (n, 1))], axis=1)
    cov = np.zeros((n, 8, 8))
    cov[:, :6, :6] = np.asarray(P, dtype=float).reshape(n, 6, 6)
    cov[:, 6, 6], cov[:, 7, 7] = K_TIME[1] ** 2, C_DISTANCE[1] ** 2
    pts, w = sigma_points(mean, cov)
    lat, lon, h = ecef_to_geodetic(pts[..., :3])
    v = einsum("nsij,nsj->nsi", enu_basis(lat, lon), pts[..., 3:6])
    v_up = np.maximum(v[..., 2], 1.0)
    tau = np.maximum(pts[..., 6], 1.0) * np.maximum(h, 0.0) / v_up
    return pts, w, lat, lon, h, v, tau


def lit_high_up(x: np.ndarray, P: np.ndarray) -> np.ndarray:
    """(N,) whether each boosting state (N, 6), known to (N, 6, 6), is an upper stage's burning
    high up: climbing, and its flight back as a first stage from the ground (``K_TIME h /
    v_up``) begun longer ago than any first stage burns (``BURN_MAX_S``), at every sigma point,
    the most favourable to a first stage included. ``launch_from_boost`` gives no such state a
    launch point; what ``Assessor`` does with a track seen so is in ``UPPER_BURN_S``'s note."""
    x = np.atleast_2d(np.asarray(x, dtype=float))
    _, _, _, _, _, v, tau = _boost_points(x, P)
    return ((v[..., 2] > 0.0) & (tau > BURN_MAX_S)).all(axis=1)


def launch_from_boost(t, x: np.ndarray, P: np.ndarray) -> LaunchEstimate:
    """Launch point and time of N boosting tracks from one state each (see the module doc)."""
    x = np.atleast_2d(np.asarray(x, dtype=float))
    n = x.shape[0]
    t = np.broadcast_to(np.asarray(t, dtype=float), (n,))
    pts, w, lat, lon, _, v, tau = _boost_points(x, P)
    dist = np.maximum(pts[..., 7], 0.0) * np.hypot(v[..., 0], v[..., 1]) * tau
    back = np.arctan2(-v[..., 0], -v[..., 1])
    la, lo = geodesic_direct(lat.ravel(), lon.ravel(), back.ravel(), dist.ravel())
    la, lo = np.reshape(la, lat.shape), np.reshape(lo, lat.shape)
    est = _summarise(la, lo, t[:, None] - tau, w, method="boost")
    # A thrusting state that is not climbing, or climbing so slowly that its flight back began
    # longer ago than any vehicle burns, is no rising rocket's (an infrared track whose
    # velocity its lines of sight never fixed, at 10 km and 100-500 m/s: measured on
    # depressed-srbm-pair's picture, flown back 1,400 km to Hokkaido): no launch point. Nor is
    # one taken from a state that is only *probably* climbing: where a sigma point's vertical
    # speed is not positive the flight back ``h / v_up`` diverges and the transform's mean and
    # covariance mean nothing (srbm-salvo: a track confirmed mid-boost at 12 km with vertical
    # speed 165 +- 300 m/s was flown back 2,300 km to Sichuan). The state must be known to
    # climb, and to have climbed for less than the longest first-stage burn, at every sigma point.
    bad = ((v[..., 2] <= 0.0) | (tau > BURN_MAX_S)).any(axis=1)
    if bad.any():
        est.lat[bad] = est.lon[bad] = est.t[bad] = est.t_sigma[bad] = np.nan
        est.cov_en[bad] = np.nan
    return est


def _backward_to_ground(t: np.ndarray, x: np.ndarray, prior: BallisticPrior, mass=None):
    """Fly states (M, 6) backwards in time (coasting, the prior's nominal drag or the mass per
    area ``mass`` (M,) kg/m^2) to the WGS84 surface.

    Returns the ground points (M, 3) ECEF, the velocities there (M, 3) and the times (M,); NaN
    for states that do not get there within ``BACKWARD_MAX_S``.
    """
    m = x.shape[0]
    pos, vel = x[:, :3].copy(), x[:, 3:].copy()
    tt = np.asarray(t, dtype=float).copy()
    mass = np.full(m, prior.mass_per_area_kg_m2) if mass is None else np.asarray(mass, float)
    table = np.full(m, dynamics.DRAG_TABLE_NAMES.index(prior.drag_table))

    def acc(tq, p, v):
        zeros = np.zeros(p.shape[0])
        mode = np.zeros(p.shape[0], dtype=int)
        return dynamics.acceleration(tq, p, v, mass, zeros, zeros, zeros, 1.0, table, mode, None)

    out_p = np.full((m, 3), np.nan)
    out_v = np.full((m, 3), np.nan)
    out_t = np.full(m, np.nan)
    # The flights still in the air (their rows of x): only they are stepped on, each as it
    # would be in the whole batch (every figure a row's own), and the batch's time flown
    # counts the longest step among them, as among all.
    idx = np.arange(m)
    _, _, alt = ecef_to_geodetic(pos)
    flown = 0.0
    while idx.size and flown < BACKWARD_MAX_S:
        # Smaller steps low down, where the arc is steep and the drag strong.
        dt = -np.where(alt > 100e3, 10.0 * BACKWARD_DT_S, BACKWARD_DT_S)
        new_pos, new_vel = rk4_step(acc, tt, pos, vel, dt)
        _, _, new_alt = ecef_to_geodetic(new_pos)
        hit = new_alt <= 0
        if hit.any():
            s = (alt[hit] / (alt[hit] - new_alt[hit]))[:, None]
            down = idx[hit]
            out_p[down] = pos[hit] + s * (new_pos[hit] - pos[hit])
            out_v[down] = vel[hit] + s * (new_vel[hit] - vel[hit])
            out_t[down] = tt[hit] + s[:, 0] * dt[hit]
            on = ~hit
            idx, new_pos, new_vel, new_alt = idx[on], new_pos[on], new_vel[on], new_alt[on]
            tt, mass, table, dt_on = tt[on], mass[on], table[on], dt[on]
        else:
            dt_on = dt
        pos, vel, alt = new_pos, new_vel, new_alt
        tt = tt + dt_on
        flown += abs(float(dt.min()))
    return out_p, out_v, out_t


def _fly_back(t, states: np.ndarray, prior: BallisticPrior, mass=None, kept=None):
    """``_backward_to_ground`` of N states' R flights each (``states`` (N, R, 6) at ``t``
    (N,), mass per area (N, R) or the prior's): the ground points (N, R, 3) and times (N, R),
    and whether each state's R flights are all down within ``SETTLED_S`` (N,). ``kept``: per
    state, (ground points, times) of the same flights from an earlier call, or None; those
    are not flown again, unless a flight flown beside them is not down within ``SETTLED_S``
    (its end may depend on its batch): then all are flown, as one batch, as without ``kept``."""
    t = np.asarray(t, dtype=float)
    n, r, _ = states.shape
    fresh = np.array([k is None for k in kept], dtype=bool) if kept else np.ones(n, dtype=bool)

    def fly(sel):
        m = None if mass is None else mass[sel].ravel()
        gp, _, gt = _backward_to_ground(np.repeat(t[sel], r), states[sel].reshape(-1, 6), prior, m)
        return gp.reshape(-1, r, 3), gt.reshape(-1, r)

    def settled(gt, tt):
        return (np.isfinite(gt) & (np.abs(gt - tt[:, None]) <= SETTLED_S)).all(axis=1)

    if fresh.all():
        gp, gt = fly(fresh)
        return gp, gt, settled(gt, t)
    gp, gt = np.empty((n, r, 3)), np.empty((n, r))
    for i in np.flatnonzero(~fresh).tolist():
        gp[i], gt[i] = kept[i]
    if fresh.any():
        gp[fresh], gt[fresh] = fly(fresh)
        if not settled(gt[fresh], t[fresh]).all():
            gp, gt = fly(np.ones(n, dtype=bool))
    return gp, gt, settled(gt, t)


def launch_from_coast(
    t,
    x: np.ndarray,
    P: np.ndarray,
    prior: BallisticPrior | None = None,
    kept: list[CoastFlights | None] | None = None,
):
    """Launch point and time of N coasting tracks by flying their states backwards to the
    ground, moved and widened by what the boost adds (``boost_ensemble.offsets``; see the
    module doc). ``kept``: per state, its flights from an earlier call with the same state
    and prior (``CoastFlights``), or None; they are not flown again (the same launch points
    to the bit), and a None is replaced in place with this call's flights where they are all
    down within ``SETTLED_S``."""
    prior = prior or BallisticPrior()
    x = np.atleast_2d(np.asarray(x, dtype=float))
    n = x.shape[0]
    t = np.broadcast_to(np.asarray(t, dtype=float), (n,))
    pts, w = sigma_points(x, np.asarray(P, dtype=float).reshape(n, 6, 6))
    s = pts.shape[1]
    # Two more flights of the nominal state, its mass per area the prior's times
    # exp(+-DRAG_STEP sigma_ln): what drag did to the arc flown back through the air is as
    # unknown as it is for the impact (``predict_impacts``), but flown back a light body's
    # drag grows without bound, so it enters linearised, not through sigma points 2.65
    # sigma out (304 kg/m^2 from 10 s after an SLBM's burnout never reached the ground).
    beta = prior.mass_per_area_kg_m2 * np.exp(prior.sigma_ln * DRAG_STEP * np.array([1.0, -1.0]))
    states = np.concatenate([pts, np.repeat(x[:, None], 2, axis=1)], axis=1)
    mass = np.concatenate([np.full((n, s), prior.mass_per_area_kg_m2),
                           np.broadcast_to(beta, (n, 2))], axis=1)  # fmt: skip
    old = None if kept is None else [k if k is None else (k.ground, k.times) for k in kept]
    gp, gt, down = _fly_back(t, states, prior, mass, old)
    if kept is not None:
        for i in np.flatnonzero(down).tolist():
            kept[i] = kept[i] or CoastFlights(gp[i].copy(), gt[i].copy())
    lat, lon, _ = ecef_to_geodetic(gp.reshape(-1, 3))
    lat, lon, gt = lat.reshape(n, s + 2), lon.reshape(n, s + 2), gt.reshape(n, s + 2)
    d_drag = _enu_offsets(lat[:, s + 1 :], lon[:, s + 1 :], lat[:, s : s + 1], lon[:, s : s + 1])
    g_drag = d_drag[:, 0] / (2.0 * DRAG_STEP)  # (N, 2): m per sigma of the log mass per area
    t_drag = (gt[:, s] - gt[:, s + 1]) / (2.0 * DRAG_STEP)
    drag = einsum("ni,nj->nij", g_drag, g_drag)
    lat, lon, gt = lat[:, :s], lon[:, :s], gt[:, :s]
    # What the arc misses of the boost (``boost_ensemble``): the catalogue's boosts whose coast
    # is like this one's place the site so far along and across the arc from its ground point.
    la0, lo0, _ = ecef_to_geodetic(x[:, :3])
    dist, _ = geodesic_inverse(lat[:, 0], lon[:, 0], la0, lo0)
    f = arc_features(pts)
    f_mean = einsum("s,nsi->ni", w, f)
    df = f - f_mean[:, None]
    f_cov = einsum("s,nsi,nsj->nij", w, df, df)
    off, off_cov, _ = offsets(f[:, 0], f_cov)
    frame = arc_frame(lat[:, 0], lon[:, 0], la0, lo0)  # rows: along, across (east, north)
    shift = einsum("nki,nk->ni", frame, off[:, :2])
    extra = einsum("nki,nkl,nlj->nij", frame, off_cov[:, :2, :2], frame)
    est = _summarise(
        lat,
        lon,
        gt + off[:, 2:3],
        w,
        extra + drag,
        np.sqrt(off_cov[:, 2, 2] + t_drag**2),
        method="backward",
        shift=np.nan_to_num(shift),
    )
    # A launch point less certain (1 sigma, major axis) than the distance it was flown back
    # says nothing of where the launch was: no launch point (srbm-salvo: a false track whose
    # velocity no sensor fixed, 3 km/s uncertain, flown back 900 km to Japan +- 2,900 km; a
    # missile's track after burnout: 35 km back +- 10 km). Nor does one that the state's own
    # uncertainty, flown back, spreads over more than a launch area (``BACKWARD_STATE_MAX_M``).
    major = np.sqrt(np.linalg.eigvalsh(np.nan_to_num(est.cov_en, nan=np.inf))[:, -1])
    own = np.nan_to_num(est.cov_en - extra - drag, nan=np.inf)  # the state's own
    own_major = np.sqrt(np.maximum(np.linalg.eigvalsh(own)[:, -1], 0.0) * CHI2_2D_95)
    vague = ~(major <= np.nan_to_num(dist, nan=0.0)) | ~(own_major <= BACKWARD_STATE_MAX_M)
    # That spread is the state's own wherever the state truly is: held at every sigma point
    # of the state, not at the estimate alone (as ``launch_from_boost``'s climb). Judged at the
    # estimate, the gate passes first the estimates whose error narrows their flight back,
    # the displaced ones (young53, ``benchmarks/launch_draws.py``); and the ellipse given is
    # the widest of those spreads, not the estimate's: world78 #06's track 396 at 285 s, 1,000
    # states drawn about the truth under its covariance, 0.089 given a launch point, the site
    # outside the 95 % ellipse of 0.303 of them with the estimate's spread, 0.079 with this.
    ok = np.flatnonzero(~vague)
    if ok.size:
        old = None if kept is None else [_spread_of(kept[i]) for i in ok.tolist()]
        widest, widest_cov, gp, gt, down = _own_spread(t[ok], pts[ok], prior, old)
        for k, i in enumerate(ok.tolist()):
            if kept is not None and kept[i] is not None and kept[i].spread is None and down[k]:
                kept[i].spread, kept[i].spread_times = gp[k].copy(), gt[k].copy()
        vague[ok] = ~(widest <= BACKWARD_STATE_MAX_M)
        est.cov_en[ok] = widest_cov + extra[ok] + drag[ok]
    if vague.any():
        est.lat[vague] = est.lon[vague] = est.t[vague] = est.t_sigma[vague] = np.nan
        est.cov_en[vague] = np.nan
    return est


def own_spread_at_points(
    t, pts: np.ndarray, prior: BallisticPrior
) -> tuple[np.ndarray, np.ndarray]:
    """The flight back's own spread at each state the covariance of N coast states at ``t``
    (N,) holds, its sigma points ``pts`` (N, 2n+1, 6): from each point, its own sigma points
    under the same covariance flown back to the ground. Returns the largest 95 % semi-major
    axis (N,) m over the points (inf where a flight does not reach the ground) and that
    point's (east, north) covariance (N, 2, 2) m^2."""
    return _own_spread(t, pts, prior)[:2]


def _spread_of(kept: CoastFlights | None):
    return None if kept is None or kept.spread is None else (kept.spread, kept.spread_times)


def _own_spread(t, pts: np.ndarray, prior: BallisticPrior, kept=None):
    """``own_spread_at_points``, and its flights' ground points (N, (2n) (2n+1), 3), times and
    whether they are all down within ``SETTLED_S`` (N,) (``_fly_back``, with ``kept``)."""
    n, s, _ = pts.shape
    cols = pts[:, 1:] - pts[:, :1]  # (N, 2n, 6): the covariance's sigma offsets
    # Each point j's own sigma points: the point, then the point plus each offset.
    around = pts[:, 1:, None, :] + np.concatenate([np.zeros((n, 1, 6)), cols], axis=1)[:, None]
    gp, gt, down = _fly_back(t, around.reshape(n, (s - 1) * s, 6), prior, None, kept)
    lat, lon, _ = ecef_to_geodetic(gp.reshape(-1, 3))
    lat, lon = lat.reshape(n * (s - 1), s), lon.reshape(n * (s - 1), s)
    d = _enu_offsets(lat[:, :1], lon[:, :1], lat[:, 1:], lon[:, 1:])  # (N(2n), 2n, 2)
    landed = np.isfinite(d).all(axis=(1, 2))  # (N(2n),): each point's flights all down
    dd = np.where(landed[:, None, None], d - d.mean(axis=1, keepdims=True), 0.0)
    cov = einsum("nsi,nsj->nij", dd, dd) / (s - 1)
    major = np.sqrt(np.maximum(np.linalg.eigvalsh(cov)[:, -1], 0.0) * CHI2_2D_95)
    major = np.where(landed, major, np.inf).reshape(n, s - 1)
    j = np.argmax(major, axis=1)
    return major.max(axis=1), cov.reshape(n, s - 1, 2, 2)[np.arange(n), j], gp, gt, down
