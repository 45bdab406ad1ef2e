"""Guidance for many launches at once: every aim and every candidate vehicle solved in lockstep.

A launch's guidance is its heading, its pitch-over angle (*kick*) and its thrust termination
(*cutoff*); shaping finds the ones that meet an aim. The cost of the flight model is per
propagation call far more than per flight (a call steps every flight of its batch together), so
this module keeps the number of calls small and puts everything it can into each:

1. **Fan** (one call for all requests): for every (aim, candidate vehicle), the boost alone at
   24 kicks. Every instant of a boost is a possible cutoff, so each boost gives a whole column of
   candidate flights; their apogee, range and bearing follow from the two-body (Kepler) arc of
   the cutoff state, with the Earth turning under it. That grid of outcomes is the **quick
   feasibility check** (an aim outside a vehicle's envelope is not tried on it) and, inverted,
   the first guess. Lifting vehicles, whose range the glide sets, fly a small grid of whole
   flights in the same call instead.
2. **Newton** (one call per iteration for all unsolved aims): each aim's trial point with its
   finite-difference neighbours, for three step lengths at once (the line search), so an
   iteration costs one call whatever the number of aims. Unknowns: (log kick, cutoff) for an
   azimuth-apogee-range aim; with the heading for a target; for a minimum-energy target the
   range, the bearing and the stationarity of range in the kick.

Errors are per request (a batch reports them, like ``sgp4``'s arrays): one unreachable aim never
spoils the others.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from lookout.flight.aim import Aim, AimError, check_lat_lon, km
from lookout.flight.guidance import (
    KICK_MAX,
    KICK_MIN,
    TOLERANCE,
    Outcome,
    evaluate,
    invert_grid,
    outcome,
    solve_orbit_many,
)
from lookout.flight.launch import Launch, LaunchError, Turn, launch_spec, underwater_rise
from lookout.geodesy import (
    GM_EARTH,
    OMEGA_EARTH,
    R_MEAN,
    ecef_to_geodetic,
    geodesic_inverse,
    geodetic_to_ecef,
)
from lookout.physics.propagate import propagate
from lookout.physics.vehicles import Vehicle, catalogue, vehicle

#: Distance (m) an impact may lie off the target's bearing; stationarity of range in log kick
#: for a minimum-energy flight. (The pitch-over bounds and the relative tolerance on apogee and
#: range, ``KICK_MIN``, ``KICK_MAX`` and ``TOLERANCE``, are guidance's.)
BEARING_TOLERANCE_M = 100.0
STATIONARY_TOLERANCE = 0.01
#: A depressed shot flies to this fraction of the minimum-energy apogee for its range.
DEPRESSED_APOGEE_FRACTION = 0.5
#: Without a named vehicle, an aim whose smallest able vehicle is this many times heavier (its
#: booster) than the smallest one reaching the range at all is refused, not silently flown.
MUCH_BIGGER = 2.0

FAN_KICKS = np.geomspace(KICK_MIN, KICK_MAX, 24)
FAN_CUTOFFS = 1.0 - 0.8 * np.linspace(1.0, 0.0, 18) ** 2  # fraction of the full burn
#: Lifting vehicles fly depressed: their grid is linear in the kick, dense at the flat end.
GRID_KICKS = np.radians(np.r_[20.0:60.0:5.0, 60.0:76.0:3.0])
GRID_CUTOFFS = np.array([0.55, 0.8, 1.0])
#: A glide vehicle's range grows fast with the burn: six cutoffs (with three, hgv's first guess
#: was 10% off and took two more Newton calls; a pull-up SRBM's gains no call from them).
GLIDE_GRID_CUTOFFS = np.array([0.55, 0.65, 0.75, 0.85, 0.93, 1.0])
MAX_ITERATIONS = 16
STEP_LENGTHS = (1.0, 0.5, 0.2)


@dataclass(frozen=True)
class Request:
    """One launch to plan: site (deg), aim, catalogue vehicle (None: the smallest able), and
    where it goes in the scenario. ``depth_m`` > 0 starts it under water."""

    site_lat_deg: float
    site_lon_deg: float
    aim: Aim
    vehicle: str | None = None
    object_id: str = "launch"
    launch_time: float = 0.0
    depth_m: float = 0.0


def plan_many(requests: list[Request]) -> list[Launch | AimError]:
    """Solve the guidance of every request; each result is a ``Launch`` or the ``AimError``
    that says why that request cannot be flown.

    Every request is solved as if launched at t = 0 and given its own launch time after: the
    dynamics are Earth-fixed, so the time changes a solution only through the rounding of
    ``launch_time + t`` (mass-raid's MR-07 solved at 105 s and at 0 s differ in the 15th
    digit), yet ``plancache`` keys a solution by the site, aim and vehicle alone. Solved at its
    own time, a cached plan was that of whichever launch of the aim was solved first, so a
    scenario flew other flights cold and from a cache that another scenario had filled."""
    out: list[Launch | AimError | None] = [None] * len(requests)
    jobs: list[_Job] = []
    orbits: list[_Job] = []
    for i, req in enumerate(requests):
        try:
            job = _job(i, replace(req, launch_time=0.0))
        except (AimError, LaunchError) as e:
            out[i] = e if isinstance(e, AimError) else AimError(str(e))
            continue
        (orbits if job.kind == "orbit" else jobs).append(job)
    if orbits:
        _plan_orbits(orbits)
        for job in orbits:
            out[job.index] = job.result
    if jobs:
        _fan(jobs)
        _solve(jobs)
        for job in jobs:
            out[job.index] = job.result
    return [
        replace(x, launch_time=req.launch_time) if isinstance(x, Launch) else x
        for x, req in zip(out, requests, strict=True)
    ]


def plan_one(req: Request) -> Launch:
    """``plan_many`` for one request; raises its ``AimError``."""
    result = plan_many([req])[0]
    if isinstance(result, AimError):
        raise result
    return result


# --- Setting up ---------------------------------------------------------------------------


@dataclass
class _Problem:
    """One (aim, vehicle) pair being solved."""

    vehicle: Vehicle
    base: Launch
    kind: str  # shape, target, minimum-energy
    apogee_m: float  # nan for minimum-energy
    range_m: float
    azimuth: float  # of the target (or the aim's), rad
    grid_apogee: np.ndarray | None = None  # (kicks, cutoffs) outcomes of the fan or grid
    grid_range: np.ndarray | None = None
    grid_miss: np.ndarray | None = None
    grid_params: np.ndarray | None = None  # (kicks, cutoffs, 2): log kick, cutoff (s)
    max_reach_m: float = 0.0
    x0: np.ndarray | None = None
    feasible: bool = False
    fanned: bool = False
    # Newton state.
    x: np.ndarray | None = None
    f: np.ndarray | None = None
    jac: np.ndarray | None = None
    dx: np.ndarray | None = None
    stalls: int = 0
    iterations: int = 0
    done: bool = False
    failed: bool = False


@dataclass
class _Job:
    index: int
    request: Request
    kind: str
    aim: Aim
    lat: float
    lon: float
    candidates: list[_Problem] = field(default_factory=list)
    current: int = 0
    result: Launch | AimError | None = None


def _job(index: int, req: Request) -> _Job:
    aim = req.aim
    check_lat_lon("site", req.site_lat_deg, req.site_lon_deg)
    kind = aim.kind()
    manoeuvre = aim.manoeuvre()
    if not req.depth_m >= 0:
        raise AimError(f"depth_m={req.depth_m:g} must be positive (metres below the surface)")
    lat, lon = np.radians(req.site_lat_deg), np.radians(req.site_lon_deg)
    job = _Job(index, req, kind, aim, float(lat), float(lon))
    vehicles = _candidates(req, kind, manoeuvre)
    if kind == "orbit":
        job.candidates = [_problem(job, v, "orbit", np.nan, np.nan, 0.0) for v in vehicles]
        return job
    if kind == "shape":
        az = np.radians(aim.azimuth_deg)
        for v in vehicles:
            job.candidates.append(
                _problem(job, v, "shape", aim.apogee_km * 1e3, aim.range_km * 1e3, az)
            )
        return job
    tlat, tlon = np.radians(aim.target_lat_deg), np.radians(aim.target_lon_deg)
    dist, az = (float(x) for x in geodesic_inverse(lat, lon, tlat, tlon))
    if dist < 1e3:
        raise AimError("the target is at the launch site")
    loft = aim.loft
    if loft == "minimum-energy":
        apogee, sub = np.nan, "minimum-energy"
    elif loft == "depressed":
        apogee, sub = DEPRESSED_APOGEE_FRACTION * minimum_energy_apogee(dist), "target"
    else:
        try:
            apogee, sub = float(loft) * 1e3, "target"
        except (TypeError, ValueError):
            raise AimError(
                f"loft={loft!r} is not minimum-energy, depressed or an apogee in km"
            ) from None
        if not apogee > 0:
            raise AimError(f"loft={loft!r} must be a positive apogee in km")
    job.candidates = [_problem(job, v, sub, apogee, dist, az) for v in vehicles]
    return job


def _candidates(req: Request, kind: str, manoeuvre: str | None) -> list[Vehicle]:
    if req.vehicle is not None:
        v = vehicle(req.vehicle)
        if manoeuvre is not None and (v.aero is None or v.aero.role != manoeuvre):
            able = [x.name for x in catalogue().values() if x.aero and x.aero.role == manoeuvre]
            what = "a pull-up" if manoeuvre == "pull_up" else "a glide"
            raise AimError(f"vehicle {v.name} cannot fly {what}; one of {', '.join(able)} can")
        if req.depth_m > 0 and v.underwater is None:
            able = [x.name for x in catalogue().values() if x.underwater]
            raise AimError(
                f"depth {req.depth_m:g} m: {v.name} cannot start under water; "
                f"one of {', '.join(able)} can"
            )
        if (kind == "orbit") != (v.vehicle_class == "SLV"):
            what = "an orbit needs a space launcher" if kind == "orbit" else "no orbit aim"
            raise AimError(f"vehicle {v.name} ({v.vehicle_class}): {what}")
        return [v]
    out = []
    for v in catalogue().values():
        if (v.vehicle_class == "SLV") != (kind == "orbit"):
            continue
        if (v.underwater is not None) != (req.depth_m > 0):
            continue
        role = v.aero.role if v.aero is not None else None
        if role != manoeuvre and not (req.depth_m > 0 and manoeuvre is None):
            continue
        out.append(v)
    if not out:
        want = {None: "a ballistic flight", "pull_up": "a pull-up", "glide": "a glide"}[manoeuvre]
        where = " from under water" if req.depth_m > 0 else ""
        raise AimError(f"no catalogue vehicle flies {want}{where}")
    return out


def _problem(job: _Job, v: Vehicle, kind: str, apogee: float, rng: float, az: float) -> _Problem:
    aim, req = job.aim, job.request
    glide_km = aim.pull_up_km if aim.pull_up_km is not None else aim.glide_km
    depth = req.depth_m if v.underwater is not None else 0.0
    turns = tuple(Turn(t.start_s, t.end_s, np.radians(t.bank_deg)) for t in aim.turns)
    if turns and v.lifting:
        first = min(t.start_s for t in turns)
        ignition = underwater_rise(v, depth)[0] if depth > 0 else 0.0
        if first < ignition + v.full_burn_s:
            raise AimError(
                f"turns: the first starts at {first:g} s, before {v.name}'s burnout "
                f"({ignition + v.full_burn_s:.0f} s after launch)"
            )
    base = Launch(
        req.object_id,
        v,
        job.lat,
        job.lon,
        az,
        kick=np.radians(2.0),
        launch_time=req.launch_time,
        glide_alt_m=glide_km * 1e3 if glide_km is not None else None,
        turns=turns,
        lift_to_drag=aim.lift_to_drag,
        depth_m=depth,
    )
    return _Problem(v, base, kind, apogee, rng, az)


def minimum_energy_apogee(range_m: float) -> float:
    """Keplerian apogee altitude (m, above the mean radius) of the minimum-energy flight over
    ``range_m`` of ground (no drag, no rotation): the flight-path angle at the surface is
    ``(pi - psi) / 4`` for a range angle ``psi``."""
    psi = range_m / R_MEAN
    s = np.sin(psi / 2)
    nu = 2 * s / (1 + s)
    gamma = (np.pi - psi) / 4
    a = R_MEAN / (2 - nu)
    e = np.sqrt(max(0.0, 1 - nu * (2 - nu) * np.cos(gamma) ** 2))
    return float(a * (1 + e) - R_MEAN)


def _plan_orbits(jobs: list[_Job]) -> None:
    """Every orbit job's insertion, all in lockstep: each job's candidate launchers in turn,
    the next one only where the one before failed."""
    errors: dict[int, list[AimError]] = {id(job): [] for job in jobs}
    todo = list(jobs)
    for rank in range(max(len(job.candidates) for job in jobs)):
        todo = [job for job in todo if rank < len(job.candidates)]
        if not todo:
            break
        results = solve_orbit_many(
            [
                (
                    replace(job.candidates[rank].base, azimuth=np.radians(job.aim.azimuth_deg)),
                    job.aim.orbit_km * 1e3,
                )
                for job in todo
            ]
        )
        for job, result in zip(todo, results, strict=True):
            if isinstance(result, AimError):
                errors[id(job)].append(result)
            else:
                job.result = result
        todo = [job for job in todo if job.result is None]
    for job in todo + [job for job in jobs if job.result is None]:
        errs = errors[id(job)]
        field = job.aim.named("orbit_km")
        job.result = AimError(
            f"{field}: {errs[0]}"
            if len(errs) == 1
            else f"{field}: no catalogue vehicle can fly this orbit; the largest says: {errs[-1]}"
        )


# --- The fan: one call for every first guess ----------------------------------------------


#: Candidates fanned at first per aim (the smallest that may reach it); the others only if these
#: fail. A fan flies as long as its longest boost, so a group also stops before a vehicle that
#: burns more than FAN_BURN_RATIO times as long as the group's first.
FAN_GROUP = 3
FAN_BURN_RATIO = 1.5


def _fan(jobs: list[_Job]) -> None:
    """Fly the fans of every job's first candidates in one call."""
    _fan_problems([p for job in jobs for p in _unfanned(job, 0)])


def _unfanned(job: _Job, start: int) -> list[_Problem]:
    """The next FAN_GROUP candidates from ``start`` on that may reach the aim and have no fan."""
    out = []
    for p in job.candidates[start:]:
        if p.fanned:
            continue
        if job.request.vehicle is None and _reach_bound(p) < p.range_m:
            p.fanned, p.max_reach_m = True, 0.0  # hopeless: not even without losses
            continue
        if out and p.vehicle.full_burn_s > FAN_BURN_RATIO * out[0].vehicle.full_burn_s:
            break
        out.append(p)
        if len(out) == FAN_GROUP:
            break
    return out


def _reach_bound(p: _Problem) -> float:
    """Upper bound (m) of a vehicle's range: its ideal delta-v plus the Earth's rotation, spent
    from the surface on a Keplerian minimum-energy arc (no gravity, drag or steering loss)."""
    v = p.vehicle.ideal_delta_v_mps() + OMEGA_EARTH * R_MEAN * np.cos(p.base.site_lat)
    nu = v**2 * R_MEAN / GM_EARTH
    if nu >= 1.0:
        return np.inf
    return float(2 * np.arcsin(nu / (2 - nu)) * R_MEAN)


def _fan_problems(problems: list[_Problem]) -> None:
    """Fly these candidates' fans (or grids) in one call; fill each problem's outcome grid,
    feasibility and first guess."""
    if not problems:
        return
    specs, owners = [], []
    for p in problems:
        p.fanned = True
        if p.vehicle.lifting:
            full = p.vehicle.full_burn_s
            for k in GRID_KICKS:
                for c in _grid_cutoffs(p):
                    launch = replace(p.base, kick=float(k), cutoff_s=float(c * full))
                    specs.append(launch_spec(launch))
                    owners.append((p, "grid"))
        else:
            stop = p.base.ignition_s + p.vehicle.full_burn_s + 0.5
            for k in FAN_KICKS:
                launch = replace(p.base, kick=float(k), cutoff_s=None, max_flight_s=stop)
                specs.append(launch_spec(launch))
                owners.append((p, "fan"))
    trajectories = propagate(specs, spawn_debris=False, coarse=True)
    by_problem: dict[int, list] = {}
    for (p, what), tr in zip(owners, trajectories, strict=True):
        by_problem.setdefault(id(p), [p, what, []])[2].append(tr)
    for p, what, trs in by_problem.values():
        if what == "fan":
            _kepler_grid(p, trs)
        else:
            _flown_grid(p, trs)
        _first_guess(p)


def _kepler_grid(p: _Problem, trs: list) -> None:
    """Outcomes of every (kick, cutoff) of a fan: the two-body arc of each cutoff state."""
    full = p.vehicle.full_burn_s
    t_ign = p.base.launch_time + p.base.ignition_s
    cut_t = t_ign + FAN_CUTOFFS * full
    states = np.stack([tr.state_at(np.minimum(cut_t, tr.t_end)) for tr in trs])  # (K, C, 6)
    k, c = states.shape[:2]
    flat = states.reshape(-1, 6)
    r_impact = float(np.linalg.norm(geodetic_to_ecef(p.base.site_lat, p.base.site_lon)))
    apogee, impact, ok = kepler_arc(flat[:, :3], flat[:, 3:], r_impact)
    rng = np.full(flat.shape[0], np.nan)
    miss = np.full(flat.shape[0], np.nan)
    if ok.any():
        lat, lon, _ = ecef_to_geodetic(impact[ok])
        n_ok = lat.size
        d, az = geodesic_inverse(
            np.full(n_ok, p.base.site_lat), np.full(n_ok, p.base.site_lon), lat, lon
        )
        rng[ok] = d
        miss[ok] = _wrap(az - p.azimuth)
    p.grid_apogee = np.log(np.maximum(apogee, 1.0)).reshape(k, c)
    p.grid_range = np.log(np.maximum(rng, 1.0)).reshape(k, c)
    p.grid_miss = miss.reshape(k, c)
    kk, cc = np.meshgrid(np.log(FAN_KICKS), FAN_CUTOFFS * full, indexing="ij")
    p.grid_params = np.stack([kk, cc], axis=-1)


def _grid_cutoffs(p: _Problem) -> np.ndarray:
    """Cutoffs (fractions of the full burn) of a lifting vehicle's grid."""
    glide = p.vehicle.aero is not None and p.vehicle.aero.role == "glide"
    return GLIDE_GRID_CUTOFFS if glide else GRID_CUTOFFS


def _flown_grid(p: _Problem, trs: list) -> None:
    full = p.vehicle.full_burn_s
    outs = [outcome(replace(p.base), tr) for tr in trs]
    shape = (GRID_KICKS.size, _grid_cutoffs(p).size)
    apo = np.array([o.apogee_m for o in outs]).reshape(shape)
    rng = np.array([o.range_m if o.impacted else np.nan for o in outs]).reshape(shape)
    miss = np.array([_miss(p, o) for o in outs]).reshape(shape)
    p.grid_apogee = np.log(np.maximum(apo, 1.0))
    p.grid_range = np.log(np.maximum(rng, 1.0))
    p.grid_miss = miss
    kk, cc = np.meshgrid(np.log(GRID_KICKS), _grid_cutoffs(p) * full, indexing="ij")
    p.grid_params = np.stack([kk, cc], axis=-1)


def kepler_arc(pos: np.ndarray, vel: np.ndarray, r_impact: float):
    """Two-body arc of ECEF states (N, 3): apogee altitude (m, NaN past it), the ECEF impact
    point (N, 3) where the arc comes down to radius ``r_impact`` (the Earth having turned
    meanwhile), and whether it does (not for orbits or escape)."""
    w = np.array([0.0, 0.0, OMEGA_EARTH])
    v_in = vel + np.cross(w, pos)
    r = np.linalg.norm(pos, axis=1)
    energy = 0.5 * np.einsum("ij,ij->i", v_in, v_in) - GM_EARTH / r
    h = np.cross(pos, v_in)
    hn = np.linalg.norm(h, axis=1)
    p = hn**2 / GM_EARTH
    e_vec = np.cross(v_in, h) / GM_EARTH - pos / r[:, None]
    e = np.linalg.norm(e_vec, axis=1)
    bound = (energy < 0) & (e > 1e-9) & (hn > 0)
    a = np.where(bound, -GM_EARTH / (2 * np.where(bound, energy, -1.0)), np.nan)
    e_safe = np.where(bound, e, 0.5)
    e_hat = e_vec / np.maximum(e, 1e-12)[:, None]
    apo_point = -e_hat * (a * (1 + e))[:, None]
    rising = np.einsum("ij,ij->i", pos, v_in) > 0
    apogee = np.full(r.size, np.nan)
    good = bound & np.isfinite(apo_point).all(axis=1)
    if good.any():
        apogee[good] = ecef_to_geodetic(apo_point[good])[2]
    apogee = np.where(rising, apogee, ecef_to_geodetic(pos)[2])
    # True anomalies now and at impact (on the way down).
    cos_nu0 = np.clip(np.einsum("ij,ij->i", e_hat, pos) / r, -1.0, 1.0)
    nu0 = np.where(rising, np.arccos(cos_nu0), 2 * np.pi - np.arccos(cos_nu0))
    cos_nui = (p / r_impact - 1.0) / e_safe
    reaches = bound & (cos_nui >= -1.0) & (cos_nui <= 1.0) & (a * (1 - e_safe) < r_impact)
    nui = 2 * np.pi - np.arccos(np.clip(cos_nui, -1.0, 1.0))
    dnu = np.mod(nui - nu0, 2 * np.pi)

    def mean_anomaly(nu):
        big_e = 2 * np.arctan(np.sqrt((1 - e_safe) / (1 + e_safe)) * np.tan(nu / 2))
        return big_e - e_safe * np.sin(big_e)

    n = np.sqrt(GM_EARTH / np.where(bound, a, 1.0) ** 3)
    tof = np.mod(mean_anomaly(nui) - mean_anomaly(nu0), 2 * np.pi) / n
    u0 = pos / r[:, None]
    h_hat = h / np.maximum(hn, 1e-9)[:, None]
    w_hat = np.cross(h_hat, u0)
    point = r_impact * (np.cos(dnu)[:, None] * u0 + np.sin(dnu)[:, None] * w_hat)
    turn = -OMEGA_EARTH * tof
    c, s = np.cos(turn), np.sin(turn)
    impact = np.stack(
        [c * point[:, 0] - s * point[:, 1], s * point[:, 0] + c * point[:, 1], point[:, 2]], axis=1
    )
    return apogee, impact, reaches & np.isfinite(impact).all(axis=1)


def _first_guess(p: _Problem) -> None:
    """Feasibility and the first guess from the outcome grid."""
    rng = p.grid_range
    finite = np.isfinite(rng) & np.isfinite(p.grid_apogee)
    p.max_reach_m = float(np.exp(np.nanmax(np.where(finite, rng, np.nan)))) if finite.any() else 0
    if not finite.any():
        return
    if not p.vehicle.lifting and p.max_reach_m < p.range_m:
        # Past the grid's longest arc the range may still be within reach: its maximum over the
        # kick lies between two of the fan's (24 over 0.05-75 degrees, 37 % apart; a short-burn
        # solid stack peaks sharply there: mrbm-solid-2stage's 1,957 km seen as 1,904).
        p.max_reach_m = max(p.max_reach_m, float(np.exp(_peak_over_kick(p)[1])))
    if p.kind == "minimum-energy":
        guess = _minimum_energy_guess(p)
        if guess is None:  # the grid's best kick at every cutoff falls short: not this vehicle
            return
    else:
        target = np.array([np.log(p.apogee_m), np.log(p.range_m)])
        out = np.stack([p.grid_apogee, np.where(finite, rng, np.nan)], axis=-1)
        guess = invert_grid(p.grid_params, out, target, prefer_last=True)
        if guess is None:
            guess = _nearest_guess(p, target, finite)
            if guess is None:
                return
    log_k, cut = guess
    miss = _interp_miss(p, log_k, cut)
    az = p.azimuth - miss if p.kind != "shape" else p.azimuth
    p.x0 = np.array([az, log_k, cut]) if p.kind != "shape" else np.array([log_k, cut])
    p.feasible = True


def _nearest_guess(p: _Problem, target: np.ndarray, finite: np.ndarray) -> np.ndarray | None:
    """The grid point nearest the target when the target lies just outside the (approximate)
    envelope: the Kepler arcs leave out drag, which lowers apogees the real flight can reach.
    None when the target is clearly out of reach."""
    if np.log(p.range_m) > np.nanmax(np.where(finite, p.grid_range, np.nan)) + 0.02:
        return None
    d = np.hypot(p.grid_apogee - target[0], np.where(finite, p.grid_range - target[1], np.inf))
    i = np.unravel_index(int(np.nanargmin(np.where(finite, d, np.inf))), d.shape)
    if d[i] > 0.35:
        return None
    return p.grid_params[i]


def _minimum_energy_guess(p: _Problem) -> np.ndarray | None:
    """The shortest cutoff whose best kick reaches the range, on the grid."""
    rng = np.where(np.isfinite(p.grid_range), p.grid_range, -np.inf)
    best = rng.max(axis=0)  # per cutoff
    target = np.log(p.range_m)
    reach = np.flatnonzero(best >= target)
    if reach.size == 0:
        log_k, peak = _peak_over_kick(p)
        return np.array([log_k, p.grid_params[0, -1, 1]]) if peak >= target else None
    j = reach[0]
    cut = p.grid_params[0, j, 1]
    if j > 0 and np.isfinite(best[j - 1]):
        f = (target - best[j - 1]) / (best[j] - best[j - 1])
        cut = p.grid_params[0, j - 1, 1] + f * (p.grid_params[0, j, 1] - p.grid_params[0, j - 1, 1])
        j_col = j
    else:
        j_col = j
    i = int(np.argmax(rng[:, j_col]))
    log_k = p.grid_params[i, 0, 0]
    if 0 < i < rng.shape[0] - 1:  # parabola through the best kick and its neighbours
        y0, y1, y2 = rng[i - 1, j_col], rng[i, j_col], rng[i + 1, j_col]
        denom = y0 - 2 * y1 + y2
        if np.isfinite(denom) and denom < 0:
            step = p.grid_params[i + 1, 0, 0] - p.grid_params[i, 0, 0]
            log_k = log_k + 0.5 * step * (y0 - y2) / denom
    return np.array([log_k, cut])


def _peak_over_kick(p: _Problem) -> tuple[float, float]:
    """The log kick and log range of the top of the parabola (in log kick) through the fan's
    longest arc of the full burn and its two neighbours; the grid's own where it is an end or
    the three do not curve down."""
    rng = np.where(np.isfinite(p.grid_range[:, -1]), p.grid_range[:, -1], -np.inf)
    i = int(np.argmax(rng))
    log_k, top = float(p.grid_params[i, 0, 0]), float(rng[i])
    if not 0 < i < rng.size - 1:
        return log_k, top
    y0, y1, y2 = rng[i - 1], rng[i], rng[i + 1]
    denom = y0 - 2 * y1 + y2
    if not (np.isfinite(denom) and denom < 0):
        return log_k, top
    step = p.grid_params[i + 1, 0, 0] - p.grid_params[i, 0, 0]  # even in log kick
    u = 0.5 * (y0 - y2) / denom  # the vertex, in steps from the best kick
    return log_k + u * step, float(y1 - 0.25 * (y0 - y2) * u)


def _interp_miss(p: _Problem, log_k: float, cut: float) -> float:
    """Bearing miss (rad) of the grid at (log kick, cutoff), bilinear."""
    ks, cs = p.grid_params[:, 0, 0], p.grid_params[0, :, 1]
    i = int(np.clip(np.searchsorted(ks, log_k) - 1, 0, ks.size - 2))
    j = int(np.clip(np.searchsorted(cs, cut) - 1, 0, cs.size - 2))
    u = np.clip((log_k - ks[i]) / (ks[i + 1] - ks[i]), 0, 1)
    w = np.clip((cut - cs[j]) / (cs[j + 1] - cs[j]), 0, 1)
    m = p.grid_miss[i : i + 2, j : j + 2]
    if not np.isfinite(m).all():
        finite = m[np.isfinite(m)]
        return float(finite.mean()) if finite.size else 0.0
    return float(
        (1 - u) * (1 - w) * m[0, 0]
        + u * (1 - w) * m[1, 0]
        + (1 - u) * w * m[0, 1]
        + u * w * m[1, 1]
    )


# --- Newton, in lockstep --------------------------------------------------------------------

_STEP_AZ = 1e-5
_STEP_K = 1e-4
_STEP_C = 1e-4  # fraction of the full burn, taken backwards
_STEP_K2 = 0.02  # log kick, for the curvature of a minimum-energy flight


def _perturbations(p: _Problem) -> list[np.ndarray]:
    full = p.vehicle.full_burn_s
    if p.kind == "shape":
        return [np.zeros(2), np.array([_STEP_K, 0.0]), np.array([0.0, -_STEP_C * full])]
    if p.kind == "target":
        return [
            np.zeros(3),
            np.array([_STEP_AZ, 0, 0]),
            np.array([0, _STEP_K, 0]),
            np.array([0, 0, -_STEP_C * full]),
        ]
    return [
        np.zeros(3),
        np.array([_STEP_AZ, 0, 0]),
        np.array([0, 0, -_STEP_C * full]),
        np.array([0, _STEP_K2, 0]),
        np.array([0, -_STEP_K2, 0]),
    ]


def _launch_at(p: _Problem, x: np.ndarray) -> Launch:
    if p.kind == "shape":
        return replace(p.base, kick=float(np.exp(x[0])), cutoff_s=float(x[1]))
    return replace(p.base, azimuth=float(x[0]), kick=float(np.exp(x[1])), cutoff_s=float(x[2]))


def _clip(p: _Problem, x: np.ndarray) -> np.ndarray:
    full = p.vehicle.full_burn_s
    x = x.copy()
    x[-2] = np.clip(x[-2], np.log(KICK_MIN), np.log(KICK_MAX))
    x[-1] = np.clip(x[-1], 0.05 * full, full)
    return x


def _miss(p: _Problem, o: Outcome) -> float:
    if not o.impacted:
        return np.nan
    _, az = geodesic_inverse(p.base.site_lat, p.base.site_lon, o.impact_lat, o.impact_lon)
    return float(_wrap(float(az) - p.azimuth))


def _wrap(a):
    return np.angle(np.exp(1j * np.asarray(a)))


def _point_residual(p: _Problem, o: Outcome) -> np.ndarray:
    """Log apogee and range errors and the bearing miss of one flight (for a minimum-energy
    aim without the stationarity, which takes the neighbours)."""
    if not o.impacted:
        big = np.array([np.log(max(o.apogee_m, 1.0) / max(p.apogee_m, 1.0)), 5.0, 1.0])
        return big if p.kind == "target" else big[:2] if p.kind == "shape" else big[[1, 2]]
    lr = np.log(o.range_m / p.range_m)
    if p.kind == "minimum-energy":
        return np.array([lr, _miss(p, o)])
    la = np.log(max(o.apogee_m, 1.0) / p.apogee_m)
    if p.kind == "shape":
        return np.array([la, lr])
    return np.array([la, lr, _miss(p, o)])


def _residual(p: _Problem, outs: list[Outcome]) -> tuple[np.ndarray, np.ndarray | None]:
    """Tolerance-scaled residual at the trial point, and its Jacobian (w.r.t. x)."""
    o = outs[0]

    def res(o: Outcome) -> np.ndarray:
        return _point_residual(p, o)

    f0 = res(o)
    full = p.vehicle.full_burn_s
    steps = [s for s in _perturbations(p)[1:]]
    if p.kind == "minimum-energy":
        lr_plus = np.log(outs[3].range_m / p.range_m) if outs[3].impacted else np.nan
        lr_minus = np.log(outs[4].range_m / p.range_m) if outs[4].impacted else np.nan
        g = (lr_plus - lr_minus) / (2 * _STEP_K2)
        curv = (lr_plus - 2 * f0[0] + lr_minus) / _STEP_K2**2
        f = np.array([f0[0], f0[1], g])
        d_az = (res(outs[1]) - f0) / _STEP_AZ
        d_c = (res(outs[2]) - f0) / (-_STEP_C * full)
        d_k = np.array([g, (_miss(p, outs[3]) - _miss(p, outs[4])) / (2 * _STEP_K2)])
        jac = np.array([[d_az[0], d_k[0], d_c[0]], [d_az[1], d_k[1], d_c[1]], [0.0, curv, 0.0]])
        return f, jac
    cols = [(res(oo) - f0) / s[np.flatnonzero(s)[0]] for oo, s in zip(outs[1:], steps, strict=True)]
    return f0, np.column_stack(cols)


def _scale(p: _Problem) -> np.ndarray:
    """Tolerance of each residual component, to compare residuals as one norm."""
    miss_tol = BEARING_TOLERANCE_M / p.range_m
    if p.kind == "shape":
        return np.array([TOLERANCE, TOLERANCE])
    if p.kind == "target":
        return np.array([TOLERANCE, TOLERANCE, miss_tol])
    return np.array([TOLERANCE, miss_tol, STATIONARY_TOLERANCE])


def _solve(jobs: list[_Job]) -> None:
    """Newton for every job's current candidate, all in one call per iteration."""
    for job in jobs:
        _next_candidate(job, start=0)
    # Each candidate has up to MAX_ITERATIONS + 1 rounds before the next is tried, so a job
    # that goes through several needs that many per candidate (a loft below every vehicle's
    # was left with no result, and a traceback, when the rounds stopped at one candidate's).
    rounds = (MAX_ITERATIONS + 2) * max(len(job.candidates) for job in jobs)
    for _ in range(rounds):
        active = [job for job in jobs if job.result is None]
        if not active:
            break
        trials, owners = [], []
        for job in active:
            p = job.candidates[job.current]
            for alpha in STEP_LENGTHS if p.dx is not None else (0.0,):
                x = _clip(p, p.x + alpha * p.dx) if p.dx is not None else p.x
                # The full step is flown with its finite-difference neighbours; a shorter one,
                # the line search's fallback, alone (it then keeps the Jacobian it came from).
                # A minimum-energy residual needs its kick neighbours at every point.
                alone = alpha not in (0.0, STEP_LENGTHS[0]) and p.kind != "minimum-energy"
                perturbations = _perturbations(p)[:1] if alone else _perturbations(p)
                pts = [_clip(p, x + d) if i else x for i, d in enumerate(perturbations)]
                trials += [_launch_at(p, q) for q in pts]
                owners.append((job, p, x, len(pts)))
        outs = evaluate(trials)
        pos = 0
        best: dict[int, tuple] = {}
        for job, p, x, n in owners:
            if n == 1:
                f, jac = _point_residual(p, outs[pos]), None
            else:
                f, jac = _residual(p, outs[pos : pos + n])
            pos += n
            norm = float(np.max(np.abs(f / _scale(p)))) if np.isfinite(f).all() else np.inf
            if id(job) not in best or norm < best[id(job)][0]:
                best[id(job)] = (norm, x, f, jac)
        for job in active:
            p = job.candidates[job.current]
            norm, x, f, jac = best[id(job)]
            p.iterations += 1
            old = float(np.max(np.abs(p.f / _scale(p)))) if p.f is not None else np.inf
            if norm <= 1.0:
                job.result = _settle(job, p, _launch_at(p, x))
                continue
            if norm < old:
                p.x, p.f, p.stalls = x, f, 0
                p.jac = jac if jac is not None else p.jac
            else:
                p.stalls += 1
            step = None
            if p.jac is not None and np.isfinite(p.jac).all():
                try:
                    step = -np.linalg.solve(p.jac, p.f)
                except np.linalg.LinAlgError:
                    step = None
            if step is not None and p.stalls:
                step *= 0.1**p.stalls
            if step is None or p.stalls > 2 or p.iterations > MAX_ITERATIONS:
                _next_candidate(job, start=job.current + 1, failed=p)
                continue
            p.dx = step
    for job in jobs:
        if job.result is None:  # not reached with the rounds above; kept as the last word
            job.result = _explain(job)


def _settle(job: _Job, p: _Problem, launch: Launch) -> Launch | AimError:
    """The solved launch, unless no vehicle was named and it takes a much bigger one than the
    smallest that reaches the range at all (an aim only a different kind of missile flies)."""
    if job.request.vehicle is not None:
        return launch
    reaching = [q for q in job.candidates if q.max_reach_m >= p.range_m]
    if not reaching:
        return launch
    small = reaching[0]
    ratio = p.vehicle.booster_mass_kg / small.vehicle.booster_mass_kg
    if ratio <= MUCH_BIGGER:
        return launch
    field, what = _what(job, p)
    hint = ""
    lifting = [
        v.name
        for v in catalogue().values()
        if v.aero and v.aero.role == "pull_up" and v.underwater is None
    ]
    if p.kind != "minimum-energy" and lifting and small.vehicle.vehicle_class == "SRBM":
        hint = f", or give the aim a pull-up (pull_up_km) for a manoeuvring SRBM ({lifting[0]})"
    return AimError(
        f"{field}: {what}: {small.vehicle.name} reaches that range but cannot fly this aim; only "
        f"{p.vehicle.name} ({p.vehicle.liftoff_mass_kg / 1e3:.1f} t, {ratio:.0f} times the "
        f"booster) can: name it (vehicle: {p.vehicle.name}) if that is meant{hint}"
    )


def _next_candidate(job: _Job, start: int, failed: _Problem | None = None) -> None:
    """Move the job to its next feasible candidate (fanning more if need be), or settle it
    with the error."""
    for i in range(start, len(job.candidates)):
        p = job.candidates[i]
        if not p.fanned:
            _fan_problems(_unfanned(job, i))
        if p.feasible:
            job.current = i
            p.x, p.f, p.jac, p.dx, p.stalls, p.iterations = p.x0.copy(), None, None, None, 0, 0
            return
    job.result = _explain(job)


def _what(job: _Job, p: _Problem) -> tuple[str, str]:
    """The aim's field at stake in problem ``p`` (as given: ``target=(42, 150)``, ``loft=8.4``,
    ``apogee_km=20``) and what it asks of the flight, in the planner's figures (``km``)."""
    aim, dist = job.aim, km(p.range_m / 1e3)
    if p.kind == "minimum-energy":
        return aim.named("target"), f"range {dist}"
    apogee = f"apogee {km(p.apogee_m / 1e3)}"
    if p.kind == "shape":
        return f"{aim.named('apogee_km')}, {aim.named('range_km')}", f"{apogee} over {dist}"
    if aim.loft == "depressed":
        low = km(minimum_energy_apogee(p.range_m) / 1e3)
        apogee += f" ({DEPRESSED_APOGEE_FRACTION:g} of the minimum-energy {low})"
    return aim.named("loft"), f"{apogee} over {dist}"


def _explain(job: _Job) -> AimError:
    """Why no candidate could fly the aim (the largest one's reason), naming the aim's field at
    stake and its value."""
    p = job.candidates[-1]
    name = p.vehicle.name
    dist = km(p.range_m / 1e3)
    field, what = _what(job, p)
    if p.max_reach_m < p.range_m:
        field = job.aim.named("range_km" if p.kind == "shape" else "target")
        msg = f"range {dist} is beyond what {name} can reach"
        if p.max_reach_m > 0 and p.grid_range is not None:
            msg += f" (at most about {km(p.max_reach_m / 1e3)})"
    elif p.kind == "minimum-energy":
        msg = f"no minimum-energy flight of {name} to {dist} was found"
    else:
        msg = f"{what} is beyond what {name} can fly"
        low = _lowest_apogee(p)
        if low is not None and p.apogee_m < low:
            msg = f"{what} is below the lowest {name} can fly that far (about {km(low / 1e3)})"
    if len(job.candidates) > 1:
        msg = f"no catalogue vehicle can fly this aim; the largest says: {msg}"
    return AimError(f"{field}: {msg}")


def _lowest_apogee(p: _Problem) -> float | None:
    """Lowest apogee (m) of the grid's flights that reach the problem's range, or None."""
    if p.grid_range is None:
        return None
    ok = np.isfinite(p.grid_range) & (p.grid_range >= np.log(p.range_m))
    if not ok.any():
        return None
    return float(np.exp(np.min(p.grid_apogee[ok])))


# --- The baseline: one aim at a time ----------------------------------------------------------


def plan_sequential(req: Request) -> Launch:
    """The planner this module replaced, kept as the named baseline of ``lookout bench plan``:
    one aim at a time, each candidate vehicle in turn, a 448-flight grid per solve
    (``guidance.solve_apogee_range``), a secant on the heading for targets and nested searches
    for minimum-energy flights. Ballistic aims only (what it supported)."""
    from lookout.flight import guidance as g

    aim = req.aim
    kind = aim.kind()
    check_lat_lon("site", req.site_lat_deg, req.site_lon_deg)
    if req.vehicle is not None:
        vehicles = [vehicle(req.vehicle)]
    else:
        vehicles = [
            v
            for v in catalogue().values()
            if (v.vehicle_class == "SLV") == (kind == "orbit")
            and not v.lifting
            and v.underwater is None
        ]
    lat, lon = np.radians(req.site_lat_deg), np.radians(req.site_lon_deg)
    errors = []
    for v in vehicles:
        base = Launch(
            req.object_id,
            v,
            lat,
            lon,
            np.radians(aim.azimuth_deg or 0.0),
            kick=np.radians(2.0),
            launch_time=req.launch_time,
        )
        try:
            if kind == "orbit":
                return g.solve_orbit(base, aim.orbit_km * 1e3)
            if kind == "shape":
                return g.solve_apogee_range(base, aim.apogee_km * 1e3, aim.range_km * 1e3)
            return _sequential_target(g, base, aim)
        except AimError as e:
            errors.append(e)
    if len(errors) == 1:
        raise errors[0]
    raise AimError(f"no catalogue vehicle can fly this aim; the largest says: {errors[-1]}")


def _sequential_target(g, base: Launch, aim: Aim) -> Launch:
    tlat, tlon = np.radians(aim.target_lat_deg), np.radians(aim.target_lon_deg)
    dist, az = (float(x) for x in geodesic_inverse(base.site_lat, base.site_lon, tlat, tlon))

    def solve_loft(b: Launch, start: Launch | None) -> Launch:
        if aim.loft == "minimum-energy":
            return g.solve_minimum_energy(b, dist)
        if aim.loft == "depressed":
            apogee = DEPRESSED_APOGEE_FRACTION * g.minimum_energy_apogee(b, dist)
            return g.solve_apogee_range(b, apogee, dist, start)
        return g.solve_apogee_range(b, float(aim.loft) * 1e3, dist, start)

    headings, misses = [], []
    heading, launch = az, None
    for _ in range(6):
        launch = solve_loft(replace(base, azimuth=heading), launch)
        out = evaluate([launch])[0]
        _, az_hit = geodesic_inverse(base.site_lat, base.site_lon, out.impact_lat, out.impact_lon)
        miss = float(_wrap(float(az_hit) - az))
        if abs(miss) * dist < BEARING_TOLERANCE_M:
            break
        headings.append(heading)
        misses.append(miss)
        if len(headings) == 1:
            heading = heading - miss
        else:
            slope = (misses[-1] - misses[-2]) / (headings[-1] - headings[-2])
            heading = headings[-1] - misses[-1] / (slope if abs(slope) > 1e-3 else 1.0)
    return launch
