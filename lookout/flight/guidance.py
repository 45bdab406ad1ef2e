"""Trajectory shaping: solve a launch's guidance parameters so the flight meets its aim.

The free parameters are the pitch-over angle ``kick`` (how lofted or depressed the boost is) and
the thrust termination time ``cutoff_s`` (how much energy it gets); for orbit insertion, ``kick``
and the upper stages' pitch. Each solve starts from a coarse grid of candidate flights propagated
as one vectorised batch, then runs Newton iterations whose finite differences are also batched.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from lookout.flight.aim import AimError, km
from lookout.flight.launch import Launch, launch_spec
from lookout.geodesy import GM_EARTH, OMEGA_EARTH, R_EQUATOR, ecef_to_geodetic, geodesic_inverse
from lookout.physics.propagate import osculating_orbit, propagate
from lookout.physics.trajectory import Trajectory

#: Pitch-over angles searched (rad): from near-vertical lofts to depressed shots.
KICK_MIN, KICK_MAX = np.radians(0.05), np.radians(75.0)
#: Relative tolerance on apogee and range.
TOLERANCE = 1e-4


@dataclass(frozen=True)
class Outcome:
    """What a candidate flight achieved: apogee and ground range (m), flight time (s)."""

    apogee_m: float
    range_m: float
    flight_time_s: float
    burnout_alt_m: float
    impact_lat: float
    impact_lon: float
    impacted: bool


def outcome(launch: Launch, tr: Trajectory) -> Outcome:
    imp = tr.event("impact")
    bo = tr.final_burnout()
    bo_alt = float(ecef_to_geodetic(bo.pos)[2]) if bo is not None else float("nan")
    if imp is None:
        return Outcome(float(tr.alt.max()), np.inf, np.inf, bo_alt, np.nan, np.nan, False)
    lat, lon, _ = ecef_to_geodetic(imp.pos)
    dist, _ = geodesic_inverse(launch.site_lat, launch.site_lon, lat, lon)
    apo = tr.event("apogee")
    apogee = float(ecef_to_geodetic(apo.pos)[2]) if apo is not None else float(tr.alt.max())
    return Outcome(
        apogee, float(dist), imp.t - launch.launch_time, bo_alt, float(lat), float(lon), True
    )


def evaluate(launches: list[Launch], coarse: bool = False) -> list[Outcome]:
    """Fly every candidate (one batch, no debris) and report what each achieved (``coarse``:
    see ``propagate``)."""
    trs = propagate([launch_spec(x) for x in launches], spawn_debris=False, coarse=coarse)
    return [outcome(x, tr) for x, tr in zip(launches, trs, strict=True)]


def _grid(
    base: Launch, kicks: np.ndarray, cutoffs: np.ndarray
) -> tuple[np.ndarray, np.ndarray, list[Outcome]]:
    kk, cc = np.meshgrid(kicks, cutoffs, indexing="ij")
    cands = [
        replace(base, kick=float(k), cutoff_s=float(c))
        for k, c in zip(kk.ravel(), cc.ravel(), strict=True)
    ]
    return kk.ravel(), cc.ravel(), evaluate(cands)


def _residual(o: Outcome, apogee_m: float, range_m: float) -> np.ndarray:
    if not o.impacted:
        return np.array([np.log(max(o.apogee_m, 1.0) / apogee_m), 5.0])
    return np.array(
        [np.log(max(o.apogee_m, 1.0) / apogee_m), np.log(max(o.range_m, 1.0) / range_m)]
    )


def solve_apogee_range(
    base: Launch, apogee_m: float, range_m: float, start: Launch | None = None
) -> Launch:
    """Kick and cutoff so the flight reaches ``apogee_m`` and lands ``range_m`` from the site.

    ``start``, a nearby solution, skips the grid search when Newton converges from it.
    """
    if start is not None:
        try:
            x0 = np.array([np.log(start.kick), start.burn_s])
            return _newton(
                base, x0, lambda o: _residual(o, apogee_m, range_m), apogee_m, range_m, None
            )
        except AimError:
            pass
    full = base.vehicle.full_burn_s
    kicks = np.geomspace(KICK_MIN, KICK_MAX, 32)
    # Denser towards full burn, where the apogee grows fastest with the burn.
    cuts = full * (1.0 - 0.7 * np.linspace(1.0, 0.0, 14) ** 2)
    kk, cc, outs = _grid(base, kicks, cuts)
    shape = (kicks.size, cuts.size)
    out = np.array(
        [[np.log(max(o.apogee_m, 1.0)), np.log(o.range_m) if o.impacted else np.nan] for o in outs]
    ).reshape(shape + (2,))
    params = np.stack([np.log(kk), cc], axis=-1).reshape(shape + (2,))
    guess = invert_grid(params, out, np.array([np.log(apogee_m), np.log(range_m)]))
    if guess is None:
        _explain_unreachable(base, apogee_m, range_m, outs)
    return _newton(base, guess, lambda o: _residual(o, apogee_m, range_m), apogee_m, range_m, outs)


def invert_grid(
    params: np.ndarray, out: np.ndarray, target: np.ndarray, prefer_last: bool = False
) -> np.ndarray | None:
    """Parameters whose outcome is ``target``, by barycentric interpolation in the grid's cells.

    Each cell of the (kick, cutoff) grid is split in two triangles; the triangle whose image in
    outcome space contains the target gives the estimate: the first found, or with
    ``prefer_last`` the one with the largest second parameter (the longest burn). None if no
    triangle does.
    """
    a, b = params[:-1, :-1], params[1:, :-1]
    c, d = params[:-1, 1:], params[1:, 1:]
    oa, ob, oc, od = out[:-1, :-1], out[1:, :-1], out[:-1, 1:], out[1:, 1:]
    tri_p = np.concatenate(
        [np.stack([a, b, c], -2).reshape(-1, 3, 2), np.stack([b, d, c], -2).reshape(-1, 3, 2)]
    )
    tri_o = np.concatenate(
        [np.stack([oa, ob, oc], -2).reshape(-1, 3, 2), np.stack([ob, od, oc], -2).reshape(-1, 3, 2)]
    )
    e1 = tri_o[:, 1] - tri_o[:, 0]
    e2 = tri_o[:, 2] - tri_o[:, 0]
    rhs = target - tri_o[:, 0]
    det = e1[:, 0] * e2[:, 1] - e1[:, 1] * e2[:, 0]
    # NaN marks flights that never land; a degenerate triangle (det 0) gives u, w of opposite
    # infinite signs, whose sum is NaN: all are left out by the finiteness test.
    with np.errstate(divide="ignore", invalid="ignore"):
        u = (rhs[:, 0] * e2[:, 1] - rhs[:, 1] * e2[:, 0]) / det
        w = (e1[:, 0] * rhs[:, 1] - e1[:, 1] * rhs[:, 0]) / det
        inside = (u >= -1e-9) & (w >= -1e-9) & (u + w <= 1 + 1e-9)
    inside &= np.isfinite(u) & np.isfinite(w)
    if not inside.any():
        return None
    idx = np.flatnonzero(inside)
    pts = tri_p[idx, 0] + u[idx, None] * (tri_p[idx, 1] - tri_p[idx, 0])
    pts += w[idx, None] * (tri_p[idx, 2] - tri_p[idx, 0])
    return pts[int(np.argmax(pts[:, 1]))] if prefer_last else pts[0]


def _explain_unreachable(base: Launch, apogee_m: float, range_m: float, outs: list[Outcome]):
    name = base.vehicle.name
    ranged = [o for o in outs if o.impacted and o.range_m >= range_m]
    if not ranged:
        raise AimError(f"range {km(range_m / 1e3)} is beyond what {name} can reach")
    lowest_bo = min(o.burnout_alt_m for o in ranged)
    what = f"apogee {km(apogee_m / 1e3)} over {km(range_m / 1e3)}"
    if apogee_m < lowest_bo:
        raise AimError(
            f"{what} is below the burnout altitude of {name} that far (about {km(lowest_bo / 1e3)})"
        )
    raise AimError(f"{what} is beyond what {name} can fly")


def _newton(base: Launch, x: np.ndarray, residual, apogee_m, range_m, outs) -> Launch:
    """Newton on (log kick, cutoff) with batched forward differences and a backtracking line
    search on the residual norm."""
    full = base.vehicle.full_burn_s
    lo = np.array([np.log(KICK_MIN), 0.05 * full])
    hi = np.array([np.log(KICK_MAX), full])
    steps = np.array([1e-4, 1e-4 * full])

    def launch_at(p):
        return replace(base, kick=float(np.exp(p[0])), cutoff_s=float(p[1]))

    for _ in range(20):
        trial = [x, x + [steps[0], 0.0], x + [0.0, -steps[1]]]
        o0, o1, o2 = evaluate([launch_at(p) for p in trial])
        f0 = residual(o0)
        if np.max(np.abs(f0)) < TOLERANCE:
            return launch_at(x)
        jac = np.column_stack([(residual(o1) - f0) / steps[0], (residual(o2) - f0) / -steps[1]])
        try:
            dx = -np.linalg.solve(jac, f0)
        except np.linalg.LinAlgError:
            break
        fracs = np.array([1.0, 0.5, 0.25, 0.1])
        cands = [np.clip(x + f * dx, lo, hi) for f in fracs]
        norms = [np.linalg.norm(residual(o)) for o in evaluate([launch_at(p) for p in cands])]
        j = int(np.argmin(norms))
        if norms[j] >= np.linalg.norm(f0):
            break
        x = cands[j]
    if outs is None:
        raise AimError("no convergence from the starting point")
    _explain_unreachable(base, apogee_m, range_m, outs)
    raise AssertionError("unreachable")  # _explain_unreachable always raises


#: Re-entry vehicle mass (kg) of the second equivalent-range figure: a first-generation nuclear
#: warhead with its re-entry vehicle, of the order analysts assume when a test may have carried
#: a lighter dummy (Schiller, RAND RR-2104, 2017: some 500-1,000 kg; the upper end taken).
REALISTIC_RV_KG = 1000.0


def with_payload(base: Launch, payload_kg: float) -> Launch:
    """The same launch with a re-entry vehicle of another mass (same shape and drag)."""
    v = base.vehicle
    return replace(base, vehicle=replace(v, payload=replace(v.payload, mass_kg=payload_kg)))


def max_range(base: Launch) -> tuple[float, Launch]:
    """Longest ground range (m) of this launch's vehicle and burn, over all pitch-over angles,
    and the launch that flies it (``max_range_many`` for one)."""
    return max_range_many([base])[0]


def max_range_many(bases: list[Launch]) -> list[tuple[float, Launch]]:
    """``max_range`` of several launches in two batches: 20 angles each, then 9 around each
    one's best, with a parabola through the best three (range is flat at its maximum).

    The boost is re-flown for every angle, so a minimum-energy shot keeps the speed a lofted
    boost loses to gravity.
    """
    return max_range_refined(bases, evaluate(max_range_survey(bases)))


#: Pitch-over angles of ``max_range_many``'s first batch (rad).
MAX_RANGE_KICKS = np.geomspace(np.radians(0.5), KICK_MAX, 20)


def max_range_survey(bases: list[Launch]) -> list[Launch]:
    """The first batch of ``max_range_many``: every base at every angle of MAX_RANGE_KICKS (to
    be flown with other flights when that saves a propagation call)."""
    return [
        replace(b, object_id=f"{b.object_id}/max-range-{i}", kick=float(k))
        for b in bases
        for i, k in enumerate(MAX_RANGE_KICKS)
    ]


def max_range_refined(bases: list[Launch], survey: list[Outcome]) -> list[tuple[float, Launch]]:
    """``max_range_many`` from the outcomes of its first batch (``max_range_survey``)."""
    pts, launches = max_range_closer(bases, survey)
    return max_range_found(bases, pts, evaluate(launches))


def max_range_closer(
    bases: list[Launch], survey: list[Outcome]
) -> tuple[list[np.ndarray], list[Launch]]:
    """The second batch of ``max_range_many``: 9 log kicks around each base's best angle of the
    survey, and their launches."""
    kicks = MAX_RANGE_KICKS
    ranges = np.array([o.range_m if o.impacted else -1.0 for o in survey])
    ranges = ranges.reshape(len(bases), -1)
    for b, r in zip(bases, ranges, strict=True):
        if not np.isfinite(r).all():
            raise AimError(f"{b.vehicle.name} with this burn reaches orbit: no maximum range")
    pts = []
    for r in ranges:
        i = int(np.argmax(r))
        lo, hi = np.log(kicks[max(i - 1, 0)]), np.log(kicks[min(i + 1, kicks.size - 1)])
        pts.append(np.linspace(lo, hi, 9))
    launches = [
        replace(b, kick=float(np.exp(p))) for b, ps in zip(bases, pts, strict=True) for p in ps
    ]
    return pts, launches


def max_range_found(
    bases: list[Launch], pts: list[np.ndarray], outs: list[Outcome]
) -> list[tuple[float, Launch]]:
    """Each base's maximum range and its launch, from the second batch's outcomes."""
    fine = np.array([o.range_m if o.impacted else -1.0 for o in outs]).reshape(len(bases), -1)
    result = []
    for b, ps, r in zip(bases, pts, fine, strict=True):
        j = int(np.clip(np.argmax(r), 1, ps.size - 2))
        y0, y1, y2 = r[j - 1], r[j], r[j + 1]
        best_p, best_r = ps[int(np.argmax(r))], float(r.max())
        denom = y0 - 2 * y1 + y2
        if denom < 0:
            h = ps[1] - ps[0]
            p_star = ps[j] + 0.5 * h * (y0 - y2) / denom
            r_star = y1 - (y0 - y2) ** 2 / (8 * denom)
            if abs(p_star - ps[j]) <= h and r_star >= best_r:
                best_p, best_r = p_star, float(r_star)
        result.append((best_r, replace(b, kick=float(np.exp(best_p)))))
    return result


def solve_minimum_energy(base: Launch, range_m: float) -> Launch:
    """The least-energy flight to ``range_m``: the shortest burn whose best angle reaches it.

    Alternates between the best angle for the current burn and the burn that reaches the range
    at that angle; the best angle moves little with the burn, so two rounds settle it.
    """
    full = base.vehicle.full_burn_s
    reach, launch = max_range(replace(base, cutoff_s=full))
    if reach < range_m:
        raise AimError(
            f"range {km(range_m / 1e3)} is beyond what {base.vehicle.name} can reach "
            f"(at most about {km(reach / 1e3)})"
        )
    for _ in range(2):
        launch = _solve_cutoff_for_range(launch, range_m)
        _, launch = max_range(launch)
    return _solve_cutoff_for_range(launch, range_m)


def _solve_cutoff_for_range(launch: Launch, range_m: float) -> Launch:
    """Secant on the cutoff alone, at fixed angle, to land exactly at ``range_m``."""
    full = launch.vehicle.full_burn_s
    c0, c1 = launch.burn_s * 0.99, launch.burn_s
    o0, o1 = evaluate([replace(launch, cutoff_s=c0), replace(launch, cutoff_s=c1)])
    f0, f1 = o0.range_m - range_m, o1.range_m - range_m
    for _ in range(30):
        if abs(f1) < TOLERANCE * range_m or f1 == f0:
            break
        c2 = float(np.clip(c1 - f1 * (c1 - c0) / (f1 - f0), 0.05 * full, full))
        c0, f0 = c1, f1
        c1 = c2
        f1 = evaluate([replace(launch, cutoff_s=c1)])[0].range_m - range_m
    return replace(launch, cutoff_s=c1)


def minimum_energy_apogee(base: Launch, range_m: float) -> float:
    """Apogee (m) of the minimum-energy flight to ``range_m``."""
    launch = solve_minimum_energy(base, range_m)
    return evaluate([launch])[0].apogee_m


def solve_orbit(base: Launch, altitude_m: float) -> Launch:
    """Kick, upper-stage pitch and cutoff so the last stage burns out level at ``altitude_m``
    at the circular speed there (inertial); ``solve_orbit_many`` for one launch, raising its
    ``AimError``."""
    result = solve_orbit_many([(base, altitude_m)])[0]
    if isinstance(result, AimError):
        raise result
    return result


#: Newton's step lengths for orbit insertion, each flown with its two neighbours.
_ORBIT_FRACTIONS = (1.0, 0.5, 0.25, 0.1)


@dataclass
class _OrbitSolve:
    """One insertion being solved (``solve_orbit_many``)."""

    base: Launch
    altitude_m: float
    max_flight: float
    cands: list
    x: np.ndarray | None = None
    best_norm: float = np.inf
    result: Launch | AimError | None = None


def solve_orbit_many(aims: list[tuple[Launch, float]]) -> list[Launch | AimError]:
    """``solve_orbit`` for several (launch, altitude_m) at once, in lockstep: one propagation
    call for every grid, then one per Newton iteration for all the insertions still unsolved.

    The cutoff is not searched: each candidate burns fully and is cut where its inertial speed
    reaches the local circular speed (read off the trajectory), which leaves a well-conditioned
    2-D problem: the kick mostly sets the insertion altitude, the upper-stage pitch (which
    levels the climb out, see ``thrust_direction``) the flight-path angle there. Each result is
    the ``Launch`` or the ``AimError`` that says why that insertion cannot be flown.
    """
    solves: list[_OrbitSolve] = []
    out: list[Launch | AimError | None] = [None] * len(aims)
    for i, (base, altitude_m) in enumerate(aims):
        if altitude_m < 150e3:
            out[i] = AimError(
                f"orbit altitude {km(altitude_m / 1e3)} is too low to stay in orbit "
                "(at least 150 km)"
            )
            continue
        full = base.vehicle.full_burn_s
        flying = replace(base, orbit=True, cutoff_s=None, max_flight_s=full + 1.0)
        solves.append(_OrbitSolve(flying, altitude_m, base.max_flight_s, []))
    if not solves:
        return out  # type: ignore[return-value]

    kicks = np.radians(np.geomspace(2.0, 26.0, 10))
    pitches = np.radians(np.linspace(15.0, 85.0, 8))
    kk, pp = np.meshgrid(kicks, pitches, indexing="ij")
    params = np.stack([kk, pp], axis=-1)
    grid = params.reshape(-1, 2)
    res = _insertion([(o, x) for o in solves for x in grid]).reshape(
        (len(solves),) + kk.shape + (3,)
    )
    for o, r in zip(solves, res, strict=True):
        x = invert_grid(params, r[..., :2], np.zeros(2))
        if x is None:  # the target lies in a cell with a corner that never reaches orbital speed
            norms = np.linalg.norm(r[..., :2], axis=-1)
            if not np.isfinite(norms).any():
                o.result = AimError(f"{o.base.vehicle.name} cannot reach orbital speed")
                continue
            x = grid[int(np.nanargmin(norms))]
        o.cands = [x]
    lo = np.radians([0.5, 0.0])
    hi = np.radians([45.0, 89.0])
    step = 1e-4
    # Newton with its finite differences and line search in one batch per iteration: each
    # candidate step length is flown with its two neighbours.
    for _ in range(30):
        active = [o for o in solves if o.result is None]
        if not active:
            break
        flights = [
            (o, p) for o in active for c in o.cands for p in (c, c + [step, 0.0], c + [0.0, step])
        ]
        f_all = _insertion(flights)
        pos = 0
        for o in active:
            n = len(o.cands)
            f = f_all[pos : pos + 3 * n].reshape(n, 3, 3)
            pos += 3 * n
            norms = np.linalg.norm(f[:, 0, :2], axis=1)
            norms[~np.isfinite(norms)] = np.inf
            j = int(np.argmin(norms))
            if np.max(np.abs(f[j, 0, :2])) < 2e-5:
                o.result = replace(
                    _orbit_launch(o, o.cands[j], float(f[j, 0, 2])), max_flight_s=o.max_flight
                )
                continue
            if not norms[j] < o.best_norm:
                o.result = _orbit_unreachable(o)
                continue
            o.best_norm, o.x = norms[j], o.cands[j]
            jac = (f[j, 1:, :2] - f[j, 0, :2]).T / step
            try:
                dx = -np.linalg.solve(jac, f[j, 0, :2])
            except np.linalg.LinAlgError:
                o.result = _orbit_unreachable(o)
                continue
            o.cands = [np.clip(o.x + fr * dx, lo, hi) for fr in _ORBIT_FRACTIONS]
    for o in solves:
        if o.result is None:
            o.result = _orbit_unreachable(o)
    it = iter(solves)
    return [x if x is not None else next(it).result for x in out]


def _orbit_unreachable(o: _OrbitSolve) -> AimError:
    return AimError(
        f"orbit altitude {km(o.altitude_m / 1e3)} is beyond what {o.base.vehicle.name} can reach"
    )


def _orbit_launch(o: _OrbitSolve, x, cutoff=None) -> Launch:
    return replace(o.base, kick=float(x[0]), hold_pitch=float(x[1]), cutoff_s=cutoff)


def _insertion(flights: list[tuple[_OrbitSolve, np.ndarray]]) -> np.ndarray:
    """(relative altitude error, flight-path angle, cutoff) where each flight's inertial speed
    is circular, all flown in one batch; NaN where it never gets there."""
    trs = propagate([launch_spec(_orbit_launch(o, x)) for o, x in flights], spawn_debris=False)
    return np.array(
        [_at_circular(tr, o.base, o.altitude_m) for (o, _), tr in zip(flights, trs, strict=True)]
    )


def _at_circular(tr: Trajectory, base: Launch, altitude_m: float) -> np.ndarray:
    """(relative altitude error, flight-path angle, cutoff) where the speed is circular."""
    t0 = base.launch_time
    burning = tr.t <= t0 + base.vehicle.full_burn_s
    pos, vel = tr.pos[burning], tr.vel[burning]
    v_in = vel + np.cross([0.0, 0.0, OMEGA_EARTH], pos)
    r = np.linalg.norm(pos, axis=1)
    nu = np.einsum("ij,ij->i", v_in, v_in) * r / GM_EARTH - 1.0
    below = np.flatnonzero(nu < 0.0)
    if nu[-1] < 0.0 or below.size == 0:
        return np.full(3, np.nan)
    i = below[-1]
    s = nu[i] / (nu[i] - nu[i + 1])
    t = tr.t[i] + s * (tr.t[i + 1] - tr.t[i])
    p = tr.state_at(t)[:3]
    v = v_in[i] + s * (v_in[i + 1] - v_in[i])
    gamma = np.arcsin(p @ v / np.linalg.norm(p) / np.linalg.norm(v))
    alt = float(ecef_to_geodetic(p[None])[2][0])
    return np.array([(alt - altitude_m) / altitude_m, gamma, t - t0])


def orbit_elements(pos: np.ndarray, vel: np.ndarray) -> dict[str, float]:
    """Perigee and apogee altitude (km) and inclination (deg) from one ECEF state."""
    a, e, _, h = (x[0] for x in osculating_orbit(pos[None], vel[None]))
    return {
        "perigee_km": float(a * (1 - e) - R_EQUATOR) / 1e3,
        "apogee_km": float(a * (1 + e) - R_EQUATOR) / 1e3,
        "inclination_deg": float(np.degrees(np.arccos(h[2] / np.linalg.norm(h)))),
        "period_min": float(2 * np.pi * np.sqrt(a**3 / GM_EARTH) / 60.0),
    }
