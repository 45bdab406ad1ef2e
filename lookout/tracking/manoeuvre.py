"""The manoeuvre mode of the tracker's IMM: aerodynamic lift as a state, for lifting bodies.

A depressed SRBM pulling up (KN-23 class) or a glide vehicle holding its altitude and banking
(Hwasong-8, Hwasong-16B class) carries a lift acceleration of 1-4 g perpendicular to its
velocity for minutes: neither the coast mode (gravity and drag only) nor the boost mode (thrust,
bounded by the catalogue's burn times and delta-v) explains it, and a coast track misses a 2 g
pull-up by 10 m after one second and 1 km after ten.

The manoeuvre mode uses the tracker's state layout (``lookout.tracking.motion``) with the three
acceleration components holding the *aerodynamic* acceleration drag with ``kappa`` leaves out
(ECEF, m/s²): the lift across the velocity and the induced drag that lift brings along it, a
random walk driven by white jerk. The sizes are physical, not fitted:

- **Lift ceiling** ``a_max``: what the airframe can pull at the track's dynamic pressure. With a
  parabolic polar ``Cd = Cd0 + K Cl²`` of maximum lift-to-drag ``E`` (``lookout.physics.dynamics``)
  the best-L/D lift coefficient is ``Cl* = 2 Cd0 E``, so a lift coefficient up to ``f Cl*`` gives
  ``a_max = 2 f E q kappa0``, ``q = ½ ρ v²`` and ``kappa0 = Cd0 A / m`` bounded by the track's
  drag estimate (``kappa`` plus 3 sigma); capped by the structural limit. ``E``, ``f`` and the
  limit are the largest of the catalogue's lifting vehicles (``lookout.physics.vehicles``). Above
  ~80 km ``a_max`` vanishes: the mode is the coast mode there, and is never entered.
- **Jerk** ``sigma_j = min(jerk_sigma_mps3, a_max * rate_per_s)`` across the velocity: lift
  builds and turns at the rate of the guidance's manoeuvres (``rate_per_s``, 0.21 /s: the
  damping term of the catalogue's altitude hold of 60 s period, ``_catalogue_lift_rate``), at most
  ``jerk_sigma_mps3``; along it ``f / E`` of that (0.5): the induced drag ``K Cl² q A / m``
  changes with the lift at that rate where the lift coefficient is largest, ``f Cl*``.
- **Induced drag** at the largest lift is ``f / (2 E)`` of that lift (0.25: the polar at
  ``f Cl*`` has ``f²`` times the zero-lift drag), hence the lift prior's sigma along the
  velocity. Left out (lift across the velocity only), a KN-23 pushing over at apogee (2 m/s²
  of lift, 0.5 m/s² more drag) was 3 m/s behind along its track at 2-3 sigma within 10 s,
  the manoeuvre mode's NEES 40-50, and kn23-pullup's reentry NEES in bounds stayed at 0.77.

Lift and induced drag are coefficients times the dynamic pressure: over each prediction step the
acceleration state scales with ``q`` and turns with the velocity (``carry``), up to the ceiling.
The ceiling's drag coefficient is at most the catalogue's lifting airframes' zero-lift one at
the Mach number, and the onset is weighed by the probability that the body is such an airframe
(``airframe_probability``: a spent stage's drag is above any airframe's with its induced drag).

The mode is entered from coast at ``1 / onset_dwell_s`` per second wherever the ceiling is at
least ``min_lift_mps2`` and the object is not climbing (``onset_climbing``), for a track seen
lifting (``seen_lifting``: after its dive, a lift the catalogue's laws do not re-engage); for
any other, the catalogue's lift laws engaging at apogee alone, its manoeuvre mode is held
there at its floor (``floor_prob``), a fresh hypothesis reseeded from the coast mode
(``mixing.held_at_floor``; issue 13: at the rate srbm-salvo's ballistic reentry vehicles had it
at 3-9 %, its spread in their covariances, reentry NEES in bounds 0.61 -> 0.74); and with
probability ``apogee_onset_prob`` (even odds) where the object passes its apogee where the air
allows ``apogee_min_lift_mps2``:
the catalogue's lifting bodies engage their lift law there, saturated at what the air allows,
so that part of the onset carries the lift prior into the mixing (``mix_onset``). With the
rate alone, the mode took 12-20 s after a pull-up's lift began at apogee to pass one half
(kn23-pullup, slbm, hgv: NEES 50-150 meanwhile, the mode at 5-10 %, its lift held near zero
by the coast mode mixed into it at 15-20 % a second). It is left at ``1 / dwell_s``. While it
is less probable than ``reseed_prob`` it is, like the boost mode, not a track of its own but a
fresh hypothesis "lift began since the last update", restarted from the coast mode with the
lift prior (sigma ``a_max / 2`` across the velocity, a quarter of that along it).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import ndtr

from lookout.geodesy import G0, GM_EARTH
from lookout.physics.einsum import einsum
from lookout.physics.frame import rotating_frame_acceleration
from lookout.physics.propagate import osculating_orbit
from lookout.physics.vehicles import catalogue, drag_tables
from lookout.tracking.motion import (
    KAPPA,
    KAPPA_UNIT,
    NX,
    air_density,
    altitude_approx,
    interp,
    numpy_step,
    sound_speed,
)

#: ``lookout.tracking.compiled_imm`` once imported (numba: on the first reseed).
_compiled_imm = None


def _catalogue_lift() -> tuple[float, float, float]:
    """Largest maximum L/D, lift-coefficient factor and structural lift (m/s²) of the
    catalogue's lifting vehicles."""
    aeros = [v.aero for v in catalogue().values() if v.aero is not None]
    if not aeros:
        return 0.0, 0.0, 0.0
    return (
        max(a.lift_to_drag for a in aeros),
        max(a.cl_max_factor for a in aeros),
        max(a.max_lift_g for a in aeros) * G0,
    )


CATALOGUE_LIFT_TO_DRAG, CATALOGUE_CL_FACTOR, CATALOGUE_MAX_LIFT_MPS2 = _catalogue_lift()


def _catalogue_lift_rate() -> float:
    """How fast (1/s) a lifting body's commanded lift changes, as a fraction of itself: its
    altitude hold (``lookout.physics.dynamics``) commands ``w² (h_cmd - h) - 2 z w h'`` (and
    gravity less the centrifugal relief), so the command moves at ``w² h' + 2 z w h''``, and
    ``h''`` is the lift it pulls: ``2 z w`` of the lift per second, the damping term's, besides
    the stiffness term's ``w² h'``. The catalogue's fastest hold (``hold_period_s`` 60 s,
    ``w = 2 pi / 60``, ``z = HOLD_DAMPING`` 1): 0.21 /s. (The rate was 0.1 /s, ``w`` alone,
    before branch manoeuvre-lag: the pull-up of ``tests/test_manoeuvre.py``, pushing over at
    apogee, had its lift estimate 20 s behind the hold's reversal.)"""
    from lookout.physics.dynamics import HOLD_DAMPING

    periods = [v.aero.hold_period_s for v in catalogue().values() if v.aero is not None]
    if not periods:
        return 0.1
    return 2.0 * HOLD_DAMPING * 2.0 * np.pi / min(periods)


CATALOGUE_LIFT_RATE_PER_S = _catalogue_lift_rate()


def _catalogue_airframe_kappa() -> tuple[np.ndarray, np.ndarray]:
    """The largest zero-lift drag coefficient per mass ``Cd0(M) A / m`` (m²/kg) of the
    catalogue's lifting airframes after burnout, on the union of their drag tables' Mach knots
    (linear between them, as each table): a glide vehicle alone once it separates; an airframe
    that keeps its payload (``separates: false``) with its last stage, dry (its lightest), under
    the stage's area."""
    tables = drag_tables()
    frames = []
    for v in catalogue().values():
        if v.aero is None:
            continue
        p, last = v.payload, v.stages[-1]
        if p.separates:
            frames.append((tables[p.drag], p.area_m2 / p.mass_kg))
        else:
            area = max(last.area_m2, p.area_m2)
            frames.append((tables[p.drag], area / (last.dry_kg + p.mass_kg)))
    if not frames:
        return np.array([0.0, 1.0]), np.zeros(2)
    mach = np.array(sorted({float(m) for table, _ in frames for m in table.mach}))
    return mach, np.max([table(mach) * a_m for table, a_m in frames], axis=0)


_AIRFRAME_MACH, _AIRFRAME_KAPPA = _catalogue_airframe_kappa()


def _catalogue_dive_speeds() -> np.ndarray:
    """The speeds (m/s) below which the catalogue's lifting vehicles release their lift and
    dive (``aero.dive_speed_mps``): 900 m/s for the pull-up airframes, 1800 for the glide
    vehicles."""
    return np.array(sorted(v.aero.dive_speed_mps for v in catalogue().values() if v.aero))


#: Dive speeds of the catalogue's lifting vehicles, each with the margin of a vehicle like it
#: but not in the catalogue (10 %, as the burns', ``mixing.BURNS_S``).
DIVE_SPEEDS_MPS = _catalogue_dive_speeds()
DIVE_SPEED_MARGIN = 0.1


@dataclass(frozen=True)
class ManoeuvreConfig:
    """Parameters of the manoeuvre mode (SI units); see the module docstring."""

    #: Rate (1/s) at which lift builds or turns, as a fraction of the ceiling: the catalogue's
    #: altitude hold, ``2 z w`` (0.21 /s for a 60 s hold; ``_catalogue_lift_rate``).
    rate_per_s: float = CATALOGUE_LIFT_RATE_PER_S
    #: Largest white jerk of the lift (m/s³): 2 g built in 10 s.
    jerk_sigma_mps3: float = 2.0
    #: Mean time (s) a coasting object in the air flies before it manoeuvres, and a manoeuvre
    #: lasts: a pull-up or glide comes once, tens of seconds to minutes after apogee. The onset
    #: at that rate is for tracks seen lifting only (``mixing.transition``).
    onset_dwell_s: float = 100.0
    dwell_s: float = 300.0
    #: Lift ceiling (m/s²) below which the mode is not entered at the onset rate
    #: (``onset_dwell_s``): a manoeuvre that begins after apogee is a pull-up or a glide of
    #: at least a tenth of a g.
    min_lift_mps2: float = 1.0
    #: ... and at apogee (``apogee_onset_prob``): the catalogue's lifting bodies engage their
    #: lift there, saturated at what the air allows however little, and the coast mode covers
    #: no lift (its noise is what its drag model leaves out, ``tracking.drag``): a lift of
    #: 0.01 m/s² is a velocity error of 1 m/s in 100 s, the order of a radar's range-rate
    #: noise. With the 1 m/s² above, slbm's airframe pushing over at its 60 km apogee (0.5
    #: m/s² of lift, the most the air allowed) was followed by the coast mode alone for 25 s,
    #: its NEES 20 -> 10,000.
    apogee_min_lift_mps2: float = 0.01
    #: Highest apogee (m) from which a coasting body entering the air may be a lifting body
    #: whose law engaged at that apogee (``entering_air``): the highest first peak of the
    #: published glide flights the catalogue flies (``lookout/scoring/published_flights.csv``:
    #: the Hwasong-16B of 2024-04-02, 101.1 km), and 10 km for one of that family flown
    #: higher (a choice). Not every reentry vehicle: irbm-overflight's, from 900 km, drew the
    #: mode on its way in, reentry RMSE 67 -> 238 m.
    glide_apogee_max_m: float = 111e3
    #: Below this probability the mode is a reseeded hypothesis, not a track (see the boost
    #: mode's ``boost_reseed_prob``).
    reseed_prob: float = 0.01
    #: Probability the mode keeps where the body is out of every catalogue airframe's lifting
    #: envelope (``beyond_envelope``): the IMM's floor, a reseeded hypothesis that lets a real
    #: pull-up the catalogue does not know come back through the data. A choice between 0 (it
    #: could never come back) and ``reseed_prob`` (where it would count in the output, the
    #: gate and the coast mode's mixing): the gate's floor, ``TrackerConfig.gate_mode_floor``.
    floor_prob: float = 1e-3
    lift_to_drag: float = CATALOGUE_LIFT_TO_DRAG
    cl_max_factor: float = CATALOGUE_CL_FACTOR
    max_lift_mps2: float = CATALOGUE_MAX_LIFT_MPS2
    #: Whether the mode may be entered on the way up (climb rate above ``climb_mps``): the
    #: catalogue's lifting bodies engage their lift at apogee and the published ones manoeuvre
    #: after it (a terminal pull-up, a glide), while a ballistic missile climbs through the air
    #: after every burnout. Measured with ``lookout bench tracker``'s 4000 detections of
    #: mass-raid: coast NEES in bounds 0.59 when entered climbing, 0.69 (as with no manoeuvre
    #: mode) when not; kn23-pullup 0.886 either way.
    onset_climbing: bool = False
    climb_mps: float = 100.0
    #: Probability that a coasting object passing its apogee in the air (where it can pull
    #: ``min_lift_mps2``) begins to manoeuvre there: the catalogue's lifting bodies engage
    #: their lift law at apogee (``lookout.physics.dynamics``, docs/flight.md), and whether
    #: the object is one is not known: even odds.
    apogee_onset_prob: float = 0.5
    #: A track is *seen lifting* (a lifting airframe under its lift law, ``seen_lifting``)
    #: at an update where its manoeuvre mode is the likelier and that mode's lift across the
    #: velocity is away from zero by this squared Mahalanobis distance (two degrees of
    #: freedom): 11.8 is the 3-sigma level, chi-square(2) at 0.9973. A choice between "some
    #: lift" and "lift for sure": a wrong flag only keeps a manoeuvre hypothesis alive that
    #: the data then weighs out.
    seen_lift_chi2: float = 11.83

    @property
    def induced_prior_ratio(self) -> float:
        """Induced drag at the largest lift coefficient over that lift: with the polar
        ``Cd = Cd0 + Cl² / (4 Cd0 E²)`` at ``Cl = f Cl* = 2 f E Cd0``, ``f / (2 E)`` (0.25)."""
        return self.cl_max_factor / (2.0 * self.lift_to_drag) if self.lift_to_drag > 0 else 0.0

    @property
    def induced_jerk_ratio(self) -> float:
        """How fast the induced drag changes with the lift there: ``d(Cl²/(4 Cd0 E²)) / dCl``
        over ``Cl / ...``, ``f / E`` (0.5)."""
        return self.cl_max_factor / self.lift_to_drag if self.lift_to_drag > 0 else 0.0

    def __post_init__(self) -> None:
        for name in ("rate_per_s", "jerk_sigma_mps3", "onset_dwell_s", "dwell_s"):
            value = getattr(self, name)
            if not value > 0:
                raise ValueError(f"ManoeuvreConfig.{name} = {value!r}: expected a positive number")
        if not 0.0 <= self.apogee_onset_prob <= 1.0:
            raise ValueError(
                f"ManoeuvreConfig.apogee_onset_prob = {self.apogee_onset_prob!r}: expected [0, 1]"
            )
        if not 0.0 < self.reseed_prob < 1.0:
            raise ValueError(f"ManoeuvreConfig.reseed_prob = {self.reseed_prob!r}: expected (0, 1)")
        if not 0.0 < self.floor_prob <= self.reseed_prob:
            raise ValueError(
                f"ManoeuvreConfig.floor_prob = {self.floor_prob!r}: expected (0, reseed_prob]"
            )


# Constants of the small calls below, made once (``np.eye`` and list literals are a call and an
# allocation each, at every prediction of every track).
_EYE3 = np.eye(3)[None]
_EYE3.flags.writeable = False
_EYE2_TINY = np.eye(2)[None] * 1e-12
_EYE2_TINY.flags.writeable = False
_EYE3_MICRO = np.eye(3)[None] * 1e-6
_EYE3_MICRO.flags.writeable = False
_UP = np.array([[0.0, 0.0, 1.0]])
_EAST = np.array([[1.0, 0.0, 0.0]])


def _cross(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``np.cross`` of vectors (N, 3): its products and differences in its order (the same
    floats), without its axis handling (two dozen numpy calls)."""
    out = np.empty(a.shape)
    out[:, 0] = a[:, 1] * b[:, 2] - a[:, 2] * b[:, 1]
    out[:, 1] = a[:, 2] * b[:, 0] - a[:, 0] * b[:, 2]
    out[:, 2] = a[:, 0] * b[:, 1] - a[:, 1] * b[:, 0]
    return out


def lift_ceiling(x: np.ndarray, P: np.ndarray, cfg: ManoeuvreConfig) -> np.ndarray:
    """Largest lift acceleration (m/s²) the tracked object (states (N, 10), covariances
    (N, 10, 10)) can pull at its dynamic pressure, bounded by its drag estimate."""
    pos, vel = x[:, 0:3], x[:, 3:6]
    alt = np.maximum(altitude_approx(pos), 0.0)
    v2 = einsum("ij,ij->i", vel, vel)
    q = 0.5 * air_density(alt) * v2
    kap = KAPPA_UNIT * (np.abs(x[:, KAPPA]) + 3.0 * np.sqrt(np.maximum(P[:, KAPPA, KAPPA], 0.0)))
    # No more than the catalogue's lifting airframes' zero-lift drag at this Mach: a body of
    # higher drag (a tumbling stage, a track whose drag is not yet known) lifts no more.
    mach = np.sqrt(v2) / sound_speed(alt)
    kap = np.minimum(kap, interp(mach, _AIRFRAME_MACH, _AIRFRAME_KAPPA))
    a = 2.0 * cfg.cl_max_factor * cfg.lift_to_drag * q * kap
    return np.minimum(a, cfg.max_lift_mps2)


def _across(vel: np.ndarray) -> np.ndarray:
    """Projectors (N, 3, 3) onto the plane perpendicular to each velocity."""
    speed2 = np.maximum(einsum("ij,ij->i", vel, vel), 1e-6)
    return _EYE3 - vel[:, :, None] * vel[:, None, :] / speed2[:, None, None]


def _shape(vel: np.ndarray, along) -> np.ndarray:
    """Covariance shapes (N, 3, 3) of an aerodynamic acceleration: unit variance across each
    velocity, ``along**2`` (a number, or one per velocity) along it."""
    speed2 = np.maximum(einsum("ij,ij->i", vel, vel), 1e-6)
    outer = vel[:, :, None] * vel[:, None, :] / speed2[:, None, None]
    along = np.asarray(along, dtype=float)
    f = 1.0 - along * along
    if f.ndim == 0:  # one ratio for all (the same products, without ``broadcast_to``)
        return _EYE3 - f * outer
    return _EYE3 - np.broadcast_to(f, speed2.shape)[:, None, None] * outer


def jerk_q(
    x: np.ndarray, P: np.ndarray, cfg: ManoeuvreConfig, ceiling: np.ndarray | None = None
) -> np.ndarray:
    """Spectral density (m²/s⁵) of the lift's white jerk per state (``ceiling``: their
    ``lift_ceiling``, if the caller has it)."""
    if ceiling is None:
        ceiling = lift_ceiling(x, P, cfg)
    sig = np.minimum(cfg.jerk_sigma_mps3, ceiling * cfg.rate_per_s)
    return sig * sig


def process_noise(x: np.ndarray, P: np.ndarray, dt: np.ndarray, cfg: ManoeuvreConfig):
    """The lift's part of Q (N, 10, 10) over ``dt``: white jerk perpendicular to the velocity,
    integrated into velocity and position (the constant-jerk-noise blocks)."""
    dt = np.abs(dt)
    top = lift_ceiling(x, P, cfg)
    qj = jerk_q(x, P, cfg, top)
    d2, d3 = dt * dt, dt * dt * dt
    blocks = (
        np.stack(
            [
                np.stack([d3 * d2 / 20.0, d2 * d2 / 8.0, d3 / 6.0], -1),
                np.stack([d2 * d2 / 8.0, d3 / 3.0, d2 / 2.0], -1),
                np.stack([d3 / 6.0, d2 / 2.0, dt], -1),
            ],
            -2,
        )
        * qj[:, None, None]
    )  # (N, 3, 3) over (pos, vel, acc)
    # The induced drag changes with the lift as ``d(a_ind)/d(a_lift) = a_lift / (2 E² a_d0)``,
    # ``f / E`` at the ceiling ``a_max = 2 f E a_d0``, in proportion to the lift pulled: a
    # body pulling none (a ballistic reentry vehicle) gets no more drag noise than in coast.
    vel = x[:, 3:6]
    lift = einsum("nij,nj->ni", _across(vel), x[:, 6:9])
    ceiling = np.maximum(top, 1e-9)
    pulled = np.minimum(np.sqrt(einsum("ij,ij->i", lift, lift)) / ceiling, 1.0)
    perp = _shape(vel, cfg.induced_jerk_ratio * pulled)
    Q = np.zeros((x.shape[0], NX, NX))
    Q[:, 0:9, 0:9] = einsum("nab,nij->naibj", blocks, perp).reshape(-1, 9, 9)
    return Q


def carry(x0: np.ndarray, xp: np.ndarray, F: np.ndarray, P0: np.ndarray, cfg: ManoeuvreConfig):
    """The aerodynamic acceleration of manoeuvre-mode states carried over a prediction from
    ``x0`` to ``xp`` (N, 10), their transition matrices ``F`` (N, 10, 10) changed with it, in
    place: lift and induced drag are the body's coefficients times its dynamic pressure, the
    lift across the velocity and the induced drag along it. So over the step the acceleration
    scales as the dynamic pressure ``q`` and turns with the velocity; held fixed in ECEF (a
    random walk alone), it lagged a pull-up whose lift grew with ``q`` as the body sank into
    the air (slbm: 4 -> 37 m/s² in 32 s, the lift estimate 15 m/s² behind, the mode's NEES
    20-25) and turned part of the lift along the velocity. Not beyond the lift ceiling at
    ``xp`` (``lift_ceiling``, covariances ``P0``), nor is its spread: below its ceiling a body
    holding an altitude pulls what the hold asks, not in proportion to ``q``, and a ballistic
    body's lift prior carried down into the air grew past any airframe's (an SRBM's reentry
    vehicle unseen below 37 km: position sigma 10 km against a 1.5 km error)."""
    v0, v1 = x0[:, 3:6], xp[:, 3:6]
    s0 = np.maximum(np.sqrt(einsum("ij,ij->i", v0, v0)), 1e-3)
    s1 = np.maximum(np.sqrt(einsum("ij,ij->i", v1, v1)), 1e-3)
    rho0 = air_density(np.maximum(altitude_approx(x0[:, 0:3]), 0.0))
    rho1 = air_density(np.maximum(altitude_approx(xp[:, 0:3]), 0.0))
    a0 = x0[:, 6:9]
    # The lift it may be pulling: its estimate and spread, neither carried past the ceiling.
    a_mag = np.sqrt(einsum("ij,ij->i", a0, a0)) + lift_sigma_mps2(P0)
    scale = np.where(rho0 > 0.0, rho1 * s1 * s1 / np.maximum(rho0 * s0 * s0, 1e-300), 1.0)
    cap = lift_ceiling(xp, P0, cfg) / np.maximum(a_mag, 1e-12)
    scale = np.where(scale > 1.0, np.minimum(scale, np.maximum(cap, 1.0)), scale)
    # The rotation taking the velocity's direction at x0 to that at xp (Rodrigues).
    u0, u1 = v0 / s0[:, None], v1 / s1[:, None]
    axis = _cross(u0, u1)
    sin = np.sqrt(einsum("ij,ij->i", axis, axis))
    cos = einsum("ij,ij->i", u0, u1)
    k = axis / np.maximum(sin, 1e-12)[:, None]
    K = np.zeros((x0.shape[0], 3, 3))
    K[:, 0, 1], K[:, 0, 2], K[:, 1, 2] = -k[:, 2], k[:, 1], -k[:, 0]
    K[:, 1, 0], K[:, 2, 0], K[:, 2, 1] = k[:, 2], -k[:, 1], k[:, 0]
    R = _EYE3 + sin[:, None, None] * K + (1.0 - cos)[:, None, None] * (K @ K)
    M = scale[:, None, None] * R
    xp[:, 6:9] = einsum("nij,nj->ni", M, a0)
    F[:, 6:9, :] = M @ F[:, 6:9, :]


def apogee_probability(x: np.ndarray, P: np.ndarray, dt: np.ndarray) -> np.ndarray:
    """Probability (N,) that the object passes its apogee within ``dt`` of its state ``x``
    (covariance ``P``): its climb rate, of that uncertainty, falls through zero in between
    (falling at the radial acceleration of gravity less the centrifugal relief)."""
    pos, vel = x[:, 0:3], x[:, 3:6]
    r = np.linalg.norm(pos, axis=1)
    up = pos / r[:, None]
    climb = einsum("ij,ij->i", up, vel)
    v2 = einsum("ij,ij->i", vel, vel)
    a_up = -GM_EARTH / (r * r) + np.maximum(v2 - climb * climb, 0.0) / r
    climb1 = climb + a_up * np.abs(dt)
    sig = np.sqrt(np.maximum(einsum("ni,nij,nj->n", up, P[:, 3:6, 3:6], up), 1e-6))
    return np.clip(ndtr(climb / sig) - ndtr(climb1 / sig), 0.0, 1.0)


def entering_air(
    x: np.ndarray, P: np.ndarray, dt: np.ndarray, cfg: ManoeuvreConfig, ceiling: np.ndarray
) -> np.ndarray:
    """Whether (N, 0 or 1) descending objects (states ``x``, covariances ``P``, their
    ``lift_ceiling`` now) come down within ``dt`` to where the air first lets them pull
    ``apogee_min_lift_mps2``: the ceiling below it now and at or above it ``dt`` on along the
    velocity, from an apogee (osculating) no higher than ``glide_apogee_max_m``. A lifting
    body whose apogee is above the air (a glide vehicle boosted to 100 km, as the Hwasong-16B
    on 2024-04-02 and 2025-01-06) engages its lift law at apogee in vacuum, saturated at what
    the air allows (``lookout.physics.dynamics``): that lift grows from nothing as it
    descends, 0.1-0.5 m/s² by 70-60 km, under the ``min_lift_mps2`` at which the onset rate
    begins. Without this its coast mode alone followed it down, NEES
    10 -> 8,800 between 90 and 65 km (tests/data/scenarios/hgv-hwasong16b.yaml), and the
    track was dropped and born again in the glide, a phantom launch."""
    pos, vel = x[:, 0:3], x[:, 3:6]
    descending = einsum("ij,ij->i", pos, vel) < 0.0
    a, e, energy, _ = osculating_orbit(pos, vel)
    r = np.sqrt(einsum("ij,ij->i", pos, pos))
    apogee = altitude_approx(pos) + np.where(energy < 0.0, a * (1.0 + e) - r, np.inf)
    low = apogee <= cfg.glide_apogee_max_m
    ahead = x.copy()
    ahead[:, 0:3] = pos + vel * np.broadcast_to(np.abs(dt), pos.shape[:1])[:, None]
    later = lift_ceiling(ahead, P, cfg)
    crossing = (ceiling < cfg.apogee_min_lift_mps2) & (later >= cfg.apogee_min_lift_mps2)
    return (descending & low & crossing).astype(float)


def airframe_probability(x: np.ndarray, P: np.ndarray, cfg: ManoeuvreConfig) -> np.ndarray:
    """Probability (N,) that coasting states ``x`` (covariances ``P``) are one of the
    catalogue's lifting airframes, from their drag: a coast mode's ``kappa`` holds all the
    drag, the induced drag of any lift with it, so an airframe's is at most its zero-lift
    ``Cd0(M) A / m`` (``_AIRFRAME_KAPPA``) times ``1 + f²`` (the polar at the largest lift
    coefficient, ``f Cl*``); the Gaussian's mass below that. A spent stage (``kappa`` 6e-4
    m²/kg, known to 3 %, against the airframes' 1.5e-4 at Mach 10) is none, and does not
    begin to manoeuvre unseen: irbm-overflight's stage, out of the radars' sight below 25 km,
    drew the manoeuvre mode to 44 % with a position sigma of 12 km against its 1 km error."""
    pos, vel = x[:, 0:3], x[:, 3:6]
    alt = np.maximum(altitude_approx(pos), 0.0)
    mach = np.sqrt(einsum("ij,ij->i", vel, vel)) / sound_speed(alt)
    most = interp(mach, _AIRFRAME_MACH, _AIRFRAME_KAPPA) * (1.0 + cfg.cl_max_factor**2)
    sig = np.sqrt(np.maximum(P[:, KAPPA, KAPPA], 0.0)) * KAPPA_UNIT
    z = (most - np.abs(x[:, KAPPA]) * KAPPA_UNIT) / np.maximum(sig, 1e-12)
    return ndtr(z)


def rate_onset_possible(x: np.ndarray, P: np.ndarray, cfg: ManoeuvreConfig) -> np.ndarray:
    """Where (N,) coasting states ``x`` (covariances ``P``) could begin to manoeuvre at the
    rate ``1 / onset_dwell_s``: the air allows ``min_lift_mps2``, the body no longer climbs
    (``onset_climbing``) and is within some airframe's lifting envelope (``beyond_envelope``)."""
    ok = lift_ceiling(x, P, cfg) >= cfg.min_lift_mps2
    if not cfg.onset_climbing:
        pos, vel = x[:, 0:3], x[:, 3:6]
        climb = einsum("ij,ij->i", pos, vel) / np.linalg.norm(pos, axis=1)
        ok &= climb <= cfg.climb_mps
    return ok & ~beyond_envelope(x)


def onset_probability(
    x: np.ndarray,
    P: np.ndarray,
    dt: np.ndarray,
    cfg: ManoeuvreConfig,
    split: bool = False,
    rate: np.ndarray | None = None,
):
    """Probability (N,) that a coasting object begins to manoeuvre within ``dt``: none where
    it cannot pull ``min_lift_mps2``; ``apogee_onset_prob`` of the probability that its apogee
    falls within ``dt``, and a rate of ``1 / onset_dwell_s`` once it no longer climbs
    (``rate_onset_possible``), only where ``rate`` (N,, bool; None: everywhere). With
    ``split``, also the part (N,) of it that is an onset at apogee (``mix_onset``)."""
    ceiling = lift_ceiling(x, P, cfg)
    p = -np.expm1(-np.abs(dt) / cfg.onset_dwell_s)
    airframe = airframe_probability(x, P, cfg)
    p = p * airframe
    p = np.where(rate_onset_possible(x, P, cfg), p, 0.0)
    if rate is not None:
        p = np.where(rate, p, 0.0)
    beyond = beyond_envelope(x)
    at_apogee = np.zeros_like(p)
    if cfg.apogee_onset_prob > 0.0:
        apogee = apogee_probability(x, P, dt)
        apogee = np.where(ceiling >= cfg.apogee_min_lift_mps2, apogee, 0.0)
        # An apogee above the air: the lift law engaged there is felt where the air first
        # allows ``apogee_min_lift_mps2`` on the way down (``entering_air``).
        apogee = np.maximum(apogee, entering_air(x, P, dt, cfg, ceiling))
        at_apogee = (1.0 - p) * cfg.apogee_onset_prob * apogee * airframe
        at_apogee = np.where(beyond, 0.0, at_apogee)
        p = p + at_apogee
    return (p, at_apogee) if split else p


def mix_onset(
    P0: np.ndarray,
    w: np.ndarray,
    at_apogee: np.ndarray,
    p_onset: np.ndarray,
    xm: np.ndarray,
    Pm: np.ndarray,
    coast: int,
    mode: int,
    cfg: ManoeuvreConfig,
) -> None:
    """The IMM mixing's share of the coast mode in the manoeuvre mode's prior (``P0`` (N, M,
    10, 10), changed in place; ``w`` (N, M, M) the mixing weights; ``xm``, ``Pm`` the mode
    estimates), the part of it that is an onset at apogee (``at_apogee`` of ``p_onset``, from
    ``onset_probability``): there a lifting body's law engages with its lift saturated at
    what the air allows (``lookout.physics.dynamics``), so that share carries the lift prior
    (``reseed``: sigma half the ceiling), not the coast mode's lift, zero and certain. An onset
    elsewhere builds its lift at the manoeuvre rate (the jerk) and is mixed in as it is: with
    the prior there too (a 25 km hold, ceiling 20 g) the mode's lift spread 50 m/s² wide and
    the coast mode took over mid-hold (kn23-south's climbing NEES in bounds 0.88 -> 0.64)."""
    frac = np.where(p_onset > 0.0, at_apogee / np.maximum(p_onset, 1e-300), 0.0)
    share = w[:, coast, mode] * frac
    on = share > 0.0
    if on.any():
        # Saturated: a lift of the ceiling's size, its direction across the velocity unknown
        # (per axis of that plane, half its square): twice the reseed's variance.
        prior = 2.0 * lift_prior(xm[on, coast], Pm[on, coast], cfg)
        P0[on, mode, 6:9, 6:9] += share[on, None, None] * prior


def seen_lifting(x: np.ndarray, P: np.ndarray, mu: np.ndarray, cfg: ManoeuvreConfig) -> np.ndarray:
    """Whether tracks whose manoeuvre mode (states ``x`` (N, 10), covariances ``P``) has
    probability ``mu`` (N,) are seen lifting: the mode the likelier and its lift across the
    velocity away from zero at ``seen_lift_chi2`` (squared Mahalanobis, in the plane across
    the velocity). Such a body is one of the lifting airframes, flying its lift law from
    apogee until it dives (``lookout.physics.dynamics``): ``mixing.transition``."""
    vel = x[:, 3:6]
    speed = np.maximum(np.sqrt(einsum("ij,ij->i", vel, vel)), 1e-3)
    u = vel / speed[:, None]
    # Two unit vectors across the velocity: any vector not along it, crossed with it.
    ref = np.where(np.abs(u[:, 2:3]) < 0.9, _UP, _EAST)
    e1 = _cross(u, ref)
    e1 /= np.linalg.norm(e1, axis=1)[:, None]
    e2 = _cross(u, e1)
    B = np.stack([e1, e2], axis=1)  # (N, 2, 3)
    a = einsum("nij,nj->ni", B, x[:, 6:9])
    S = B @ P[:, 6:9, 6:9] @ B.transpose(0, 2, 1) + _EYE2_TINY
    d2 = einsum("ni,ni->n", a, np.linalg.solve(S, a[..., None])[..., 0])
    return (mu >= 0.5) & (d2 >= cfg.seen_lift_chi2)


def end_probability(dt: np.ndarray, cfg: ManoeuvreConfig) -> np.ndarray:
    return -np.expm1(-np.abs(dt) / cfg.dwell_s)


def dive_survival(speed: np.ndarray) -> np.ndarray:
    """Fraction (N,) of the catalogue's lifting vehicles whose lift law still runs at
    ``speed`` (N,) m/s: whose dive speed, uniform over ``DIVE_SPEEDS_MPS`` ± the margin, is
    below it."""
    d = DIVE_SPEEDS_MPS
    if d.size == 0:
        return np.zeros(np.shape(speed))
    lo, width = (1.0 - DIVE_SPEED_MARGIN) * d, 2.0 * DIVE_SPEED_MARGIN * d
    v = np.asarray(speed, dtype=float)[..., None]
    return np.clip((v - lo) / width, 0.0, 1.0).mean(axis=-1)


def beyond_envelope(x: np.ndarray) -> np.ndarray:
    """Whether bodies at states ``x`` (N, 10) are out of every catalogue airframe's lifting
    envelope (N,): slower than all their dive speeds, less the margin (``dive_survival`` nil,
    under 810 m/s), where each has released its lift for good (``lookout.physics.dynamics``).
    Such a body neither begins to manoeuvre (``onset_probability``) nor goes on manoeuvring
    (``mixing.transition``), unless it was seen lifting: a spent stage or a reentry vehicle
    falling unseen below Mach 1-2 drew the manoeuvre mode to 10-20 % at the onset rate, a
    3-10 km sigma against its 0.1-0.5 km error (irbm-overflight's stage, reentry NEES 0.2)."""
    vel = x[:, 3:6]
    return dive_survival(np.sqrt(einsum("ij,ij->i", vel, vel))) <= 0.0


def dive_probability(x: np.ndarray, dt: np.ndarray, cfg: ManoeuvreConfig) -> np.ndarray:
    """Probability (N,) that lifting airframes seen lifting, manoeuvre-mode states ``x``
    (N, 10), end their lift law within ``dt`` (N,) s: the catalogue's lifting bodies fly it
    from apogee until their speed falls to their dive speed, then release the lift for good
    (``lookout.physics.dynamics``), so it ends as the speed crosses a dive speed,
    ``1 - S(v1) / S(v0)`` (``dive_survival``), ``v1`` the speed ``dt`` on at the state's
    rate (gravity, drag and its induced drag along the velocity), and at no other speed. A
    body slower than every dive speed still lifting is no vehicle of the catalogue: there the
    mode's dwell (``end_probability``). With the dwell everywhere (1/300 s), slbm's lift law
    passing through zero at 1,200 m/s (its hold, 345-360 s) went to the coast mode within
    6 s: 10 % of the probability fed to it over 30 s, and a coast mode fitting a small lift
    as well as the manoeuvre mode by a sharper prediction (NEES 25-290 meanwhile)."""
    pos, vel = x[:, 0:3], x[:, 3:6]
    speed = np.sqrt(einsum("ij,ij->i", vel, vel))
    u = vel / np.maximum(speed, 1e-3)[:, None]
    alt = np.maximum(altitude_approx(pos), 0.0)
    drag = 0.5 * air_density(alt) * speed * speed * np.abs(x[:, KAPPA]) * KAPPA_UNIT
    along = einsum("ij,ij->i", rotating_frame_acceleration(pos, vel) + x[:, 6:9], u) - drag
    v1 = np.maximum(speed + along * np.abs(dt), 0.0)
    s0, s1 = dive_survival(speed), dive_survival(v1)
    p = np.where(v1 < speed, 1.0 - s1 / np.maximum(s0, 1e-300), 0.0)
    return np.where(s0 > 0.0, np.clip(p, 0.0, 1.0), end_probability(dt, cfg))


def lift_prior(x: np.ndarray, P: np.ndarray, cfg: ManoeuvreConfig) -> np.ndarray:
    """Covariance (N, 3, 3) of the aerodynamic acceleration of an object that has just begun
    to manoeuvre: sigma half the ceiling across the velocity, ``induced_prior_ratio`` of that
    along it (the induced drag), plus 1e-6 m²/s⁴ to keep it positive definite."""
    sig = 0.5 * lift_ceiling(x, P, cfg)
    shape = _shape(x[:, 3:6], cfg.induced_prior_ratio)
    return (sig * sig)[:, None, None] * shape + _EYE3_MICRO


def reseed(x_coast: np.ndarray, P_coast: np.ndarray, cfg: ManoeuvreConfig):
    """A fresh manoeuvre-mode estimate from the coast mode's: no lift yet, its prior
    ``lift_prior`` (sigma half the ceiling across the velocity, a quarter of that along it).
    Compiled (``compiled_imm.reseed``, the same floats: the air density numpy's) unless
    ``LOOKOUT_NUMPY_STEP=1``; some 7,000 calls in mass-raid's first 300 s of trackers, one a
    radar scan's new tracks."""
    if (
        x_coast.ndim == 2
        and x_coast.strides[1] == 8
        and x_coast.dtype == np.float64
        and not numpy_step()
    ):
        global _compiled_imm
        if _compiled_imm is None:
            from lookout.tracking import compiled_imm as _compiled_imm
        rho = air_density(np.maximum(altitude_approx(x_coast[:, 0:3]), 0.0))
        along = float(cfg.induced_prior_ratio)
        return _compiled_imm.reseed(
            x_coast,
            P_coast,
            rho,
            2.0 * cfg.cl_max_factor * cfg.lift_to_drag,
            float(cfg.max_lift_mps2),
            1.0 - along * along,
        )
    x = x_coast.copy()
    x[:, 6:9] = 0.0
    P = P_coast.copy()
    P[:, 6:9, :] = 0.0
    P[:, :, 6:9] = 0.0
    P[:, 6:9, 6:9] = lift_prior(x_coast, P_coast, cfg)
    return x, P


def lift_sigma_mps2(P: np.ndarray) -> np.ndarray:
    """RMS lift uncertainty (m/s²) of manoeuvre-mode covariances (N, 10, 10)."""
    return np.sqrt(np.trace(P[:, 6:9, 6:9], axis1=1, axis2=2))


__all__ = [
    "CATALOGUE_LIFT_TO_DRAG",
    "airframe_probability",
    "beyond_envelope",
    "carry",
    "dive_probability",
    "dive_survival",
    "ManoeuvreConfig",
    "end_probability",
    "jerk_q",
    "lift_ceiling",
    "lift_prior",
    "mix_onset",
    "onset_probability",
    "process_noise",
    "rate_onset_possible",
    "reseed",
    "seen_lifting",
]
