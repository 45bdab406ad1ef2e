"""How far thrust can carry an object from its ballistic path: the largest displacement any
vehicle of the catalogue (``lookout/physics/vehicles.yaml``) gains over a coasting body in a
given time, with a margin for a vehicle like them but not in it.

A boost mode flown unseen for tens of seconds has a thrust acceleration that has random-walked
far past what a rocket can do, so its gate takes a false alarm a hundred kilometres off the
path (measured on srbm-salvo: a track lost 38 s late in a 60 s burn took a false alarm 130 km
above its prediction, then coasted off to 3,000 km altitude). No thrust does that: in ``dt``
seconds the displacement from the ballistic path is ``∫₀^dt (dt - s) a(t₀ + s) ds``, largest
at the end of the most violent burn; the vacuum thrust of each stage over its falling mass
(Tsiolkovsky's rocket, no drag nor gravity losses) bounds it from above.
"""

from __future__ import annotations

import functools

import numpy as np

from lookout.physics.vehicles import G0, catalogue, drag_tables
from lookout.tracking.motion import interp

#: Margin over the catalogue for a vehicle like its members but not among them (as the burn
#: survival of ``lookout.tracking.mixing`` allows 10 % on the burn times).
MARGIN = 1.1
_STEP_S = 0.5


def _thrust_acceleration(stages, liftoff_kg: float) -> np.ndarray:
    """Vacuum thrust acceleration (m/s²) every ``_STEP_S`` through the burns, stage after stage
    (no coast between stages: a bound, not a flight)."""
    mass, out = liftoff_kg, []
    for s in stages:
        t = np.arange(0.0, s.burn_s, _STEP_S) + 0.5 * _STEP_S
        flow = s.mass_flow_kgps
        out.append(s.isp_vac_s * G0 * flow / (mass - flow * t))
        mass -= s.propellant_kg + s.dry_kg
    return np.concatenate(out)


@functools.cache
def _table() -> tuple[np.ndarray, np.ndarray, float]:
    """Gap lengths (s), the largest thrust displacement over each (m), and the largest whole
    delta-v (m/s), which the displacement grows by per second past the longest burn."""
    profiles = [_thrust_acceleration(v.stages, v.liftoff_mass_kg) for v in catalogue().values()]
    n_max = max(a.size for a in profiles)
    gaps = np.arange(n_max + 1) * _STEP_S
    best = np.zeros(gaps.size)
    dv_max = 0.0
    for a in profiles:
        a = np.concatenate([a, np.zeros(n_max - a.size + 1)])
        t = (np.arange(a.size) + 0.5) * _STEP_S
        # V(t) = ∫ a, W(t) = ∫ s a(s) ds; over [t0, t0 + dt]: dt-weighted (t0+dt)·ΔV - ΔW.
        V = np.concatenate([[0.0], np.cumsum(a) * _STEP_S])
        W = np.concatenate([[0.0], np.cumsum(a * t) * _STEP_S])
        dv_max = max(dv_max, float(V[-1]))
        # Every (gap, window end) at once: rows are gaps, columns the windows' ends.
        end = np.arange(V.size)[None, :]
        start = end - np.arange(gaps.size)[:, None]
        ok = start >= 0
        s0 = np.where(ok, start, 0)
        d = end * _STEP_S * (V[end] - V[s0]) - (W[end] - W[s0])
        best = np.maximum(best, np.where(ok, d, -np.inf).max(axis=1))
    return gaps, best, dv_max


def thrust_displacement_m(dt) -> np.ndarray:
    """The largest distance (m) an object can move away from the ballistic path of its state
    ``dt`` seconds (array) before, under thrust, with ``MARGIN`` for an unknown vehicle."""
    gaps, best, dv_max = _table()
    dt = np.abs(np.asarray(dt, dtype=float))
    inside = interp(dt, gaps, best)
    beyond = best[-1] + dv_max * np.maximum(dt - gaps[-1], 0.0)
    return MARGIN * np.where(dt <= gaps[-1], inside, beyond)


@functools.cache
def thrust_acceleration_max_mps2() -> float:
    """The largest vacuum thrust acceleration (m/s²) of any stage of the catalogue: its thrust
    over the mass left at its burnout, 284 m/s² (slbm-lifting's)."""
    best = 0.0
    for v in catalogue().values():
        mass = v.liftoff_mass_kg
        for s in v.stages:
            best = max(best, s.isp_vac_s * G0 * s.mass_flow_kgps / (mass - s.propellant_kg))
            mass -= s.propellant_kg + s.dry_kg
    return best


def unknown_thrust_sigma_mps2() -> float:
    """Per-axis sigma (m/s²) of the thrust of a rocket seen burning, nothing else known of it:
    its direction any, its magnitude any from none to the catalogue's largest with ``MARGIN``
    (``A``), uniformly. Then ``E|a|² = A²/3``, ``A²/9`` on each axis: ``A / 3``, 104 m/s².
    Its spread holds every thrust of the catalogue within 3 sigma on each axis, as the
    infrared-born track of a rocket late in its burn needs (kn23-pullup's KN23-1, 110-170 m/s²
    in its last five seconds, is lost with the catalogue's rms, 33 m/s² per axis; see
    ``TrackerConfig.ir_init_acc_sigma_mps2``)."""
    return MARGIN * thrust_acceleration_max_mps2() / 3.0


@functools.cache
def _booster_kappa() -> tuple[float, float]:
    """The drag coefficient per mass ``Cd A / m`` (m²/kg) of a burning stack, as a prior: any
    the catalogue's first stages have in their burn, uniformly (nothing tells which stack, nor
    where in its burn): from none to the largest, ``Cd`` the booster table's largest (0.42,
    transonic) over the stack's mass at burnout, with the margin (``MARGIN``) of a vehicle not
    in the catalogue (3.7e-4: slbm-lifting's and irbm-liquid-light's 3.1-3.4e-4); its mean and
    sigma, 1.9e-4 and 1.1e-4. First stages only: they burn in the air, where drag is felt; an
    upper stage's larger coefficient (up to 9.3e-4, icbm-solid-3stage's third) lights above it
    (the shipped and generated flights stage at 74-115 km, under 200 Pa: its drag below 0.2
    m/s²)."""
    cd = float(drag_tables()["booster"].cd.max())
    most = 0.0
    for v in catalogue().values():
        first = v.stages[0]
        area = max(s.area_m2 for s in v.stages)
        most = max(most, cd * area / (v.liftoff_mass_kg - first.propellant_kg))
    most *= MARGIN
    return 0.5 * most, most / np.sqrt(12.0)


def booster_kappa_m2_kg() -> float:
    """Mean of a burning stack's drag coefficient prior (m²/kg), ``_booster_kappa``."""
    return _booster_kappa()[0]


def booster_kappa_sigma_m2_kg() -> float:
    """Sigma of a burning stack's drag coefficient prior (m²/kg), ``_booster_kappa``."""
    return _booster_kappa()[1]
