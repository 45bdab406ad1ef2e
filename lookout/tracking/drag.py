"""Drag noise of the coast and manoeuvre modes: what the motion model's drag leaves out.

The tracker's drag is the flight model's, ``½ ρ(h) |v| v kappa`` with the flight's atmosphere
(``lookout.tracking.motion``), and ``kappa = Cd A / m`` a state. What that leaves out of a
coasting body's drag, and nothing else, is its process noise:

- **The drag coefficient follows the Mach number** along the body's drag table, one of the
  catalogue's (``lookout/physics/vehicles.yaml``), which the tracker does not know. The
  prediction carries the tables' weighed mean shape at every RK4 stage (``cd_shape``,
  ``motion.propagate``: ``kappa`` a scale on the shape); what it leaves, the tables'
  departure from that shape, walks (``departure_walk``; none where one table fits, as a
  spent stage's). Above a table's last knot (Mach 10-30) ``Cd`` is constant: a hypersonic
  reentry vehicle's drag coefficient does not change; transonic, every table changes by tens
  of per cent, a few %/s. (``cd_mach_walk``, ``cd_mach_step``: the walk of the tables' whole
  change, for ``kappa`` held, ``TrackerConfig.cd_mach_mean`` off.)
- **RK4 across a drag table's knot** (``knot_variance``): ``Cd`` is linear in the Mach number
  between the tables' knots, its slope jumps at each, and an RK4 step across one is only
  second order, the tracker's and the flight's (the truth's) alike, both on steps of
  ``DRAG_STEP_RATE`` of the drag's time constant: a velocity error along the velocity of
  ``a |jump of d ln Cd/dM| |dM/dt| h² / sqrt(4320)`` (RMS, the knot anywhere in the step),
  white acceleration along the velocity over the step that crosses it.
- **The extended Kalman filter's linearisation** (``linearisation_sigmas``): drag is
  exponential in the altitude and quadratic in the speed, and the transition matrix keeps the
  first-order terms of the state's errors; the second-order ones, of the size the state's own
  uncertainty gives them, lie along the velocity (across it only through the direction's
  error) and are white acceleration of that size (``drag_q``).

Until 2026-12-03 both modes had a walk of 5 %/sqrt(s) and 5 % of the drag as white
acceleration, everywhere: a spent stage's position sigma grew 90 -> 950 m in 3-12 s unseen
below 25 km while its error stayed at 20-90 m (its ``kappa`` constant within 1 % there), and
the plain ballistic flights' reentry NEES in bounds was 0.22-0.54 (issue 17). The boost mode,
whose drag shares the velocity's direction with its thrust (only their sum is seen), keeps
those fractions (``TrackerConfig.drag_accel_fraction``, ``kappa_walk_per_sqrt_s``).
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

import numpy as np
from scipy.special import ndtr

from lookout.physics.einsum import einsum
from lookout.physics.frame import rotating_frame_acceleration
from lookout.physics.propagate import ATMOSPHERE_STEP_M, DT_ATMOSPHERE_MAX
from lookout.physics.tables import segment_index
from lookout.tracking.motion import (
    DRAG_STEP_RATE,
    KAPPA,
    KAPPA_UNIT,
    NX,
    air_density,
    altitude_approx,
    density_and_slope,
    interp,
    numpy_step,
    propagate,
    sound_speed,
    step_counts,
)

if TYPE_CHECKING:
    from lookout.tracking.config import TrackerConfig


#: ``lookout.tracking.compiled`` once imported (``cd_shape``; numba, on the first prediction).
_compiled = None


@cache
def _drag_tables() -> tuple[tuple[np.ndarray, np.ndarray, float, float], ...]:
    """Each catalogue drag table as (Mach knots, ln Cd at them, least and largest ``A / m``
    (m²/kg) of the catalogue's bodies that fly it after burnout): a spent stage dry (the last
    stage of a separating vehicle up to its full propellant, cut off early), a separated
    payload, an airframe that keeps its payload with its last stage."""
    from lookout.physics.vehicles import catalogue, drag_tables

    tables = drag_tables()
    spans: dict[str, list[float]] = {name: [] for name in tables}
    for v in catalogue().values():
        p, last = v.payload, v.stages[-1]
        for st in v.stages[:-1]:
            spans["spent_stage"].append(st.area_m2 / st.dry_kg)
        if p.separates:
            spans[p.drag].append(p.area_m2 / p.mass_kg)
            spans["spent_stage"] += [last.area_m2 / last.dry_kg, last.area_m2 / last.propellant_kg]
        else:
            area, mass = max(last.area_m2, p.area_m2), last.dry_kg + p.mass_kg
            spans[p.drag] += [area / mass, area / (mass + last.propellant_kg)]
    return tuple(
        (t.mach, np.log(t.cd), min(spans[name], default=0.0), max(spans[name], default=np.inf))
        for name, t in tables.items()
    )


def mach_rate(pos: np.ndarray, vel: np.ndarray, a_drag: np.ndarray) -> np.ndarray:
    """|dM/dt| (1/s) of bodies at ``pos``, ``vel`` (N, 3) decelerated by ``a_drag`` (N,) m/s²:
    the speed's rate (gravity and drag along the velocity) over the speed of sound, and the
    change of the speed of sound along the altitude the body crosses."""
    speed = np.maximum(np.sqrt(einsum("ij,ij->i", vel, vel)), 1e-3)
    up = pos / np.linalg.norm(pos, axis=1)[:, None]
    climb = einsum("ij,ij->i", up, vel)
    g_along = einsum("ij,ij->i", rotating_frame_acceleration(pos, vel), vel) / speed
    h = np.maximum(altitude_approx(pos), 0.0)
    c = sound_speed(h)
    dc_dh = (sound_speed(h + 100.0) - sound_speed(h - 100.0)) / 200.0
    mach = speed / c
    return np.abs(g_along - a_drag) / c + mach * np.abs(dc_dh * climb) / c


def _mach(pos: np.ndarray, vel: np.ndarray, floor_mps: float = 0.0) -> np.ndarray:
    """Mach number (N,) of bodies at ``pos``, ``vel`` (N, 3), the speed at least ``floor_mps``."""
    speed = np.sqrt(einsum("ij,ij->i", vel, vel))
    if floor_mps:
        speed = np.maximum(speed, floor_mps)
    return speed / sound_speed(np.maximum(altitude_approx(pos), 0.0))


def _table_weight(mach, knots, log_cd, lo, hi, kappa, kappa_sigma) -> np.ndarray:
    """Probability (N,) that ``kappa`` (of sigma ``kappa_sigma``) lies within the ``Cd A / m``
    of the catalogue's bodies flying one table (``lo``-``hi`` of ``A / m``) at ``mach``."""
    cd = np.exp(interp(mach, knots, log_cd))
    sig = np.maximum(kappa_sigma, 1e-12)
    return ndtr((cd * hi - kappa) / sig) - ndtr((cd * lo - kappa) / sig)


def cd_mach_walk(
    pos: np.ndarray,
    vel: np.ndarray,
    a_drag: np.ndarray,
    kappa: np.ndarray | None = None,
    kappa_sigma: np.ndarray | None = None,
) -> np.ndarray:
    """Relative random walk (1/s: the variance rate of ``ln kappa``) of the drag coefficient of
    bodies at ``pos``, ``vel`` (N, 3) decelerated by ``a_drag`` (N,): across a table's segment
    ``[M_i, M_i+1]``, ``ln Cd`` changes by ``d_i``, crossed in ``(M_i+1 - M_i) / |dM/dt|``
    seconds; a walk of that variance over that time, ``d_i² |dM/dt| / (M_i+1 - M_i)``,
    averaged over the catalogue's tables the body may fly (the second moment of the change,
    the table unknown): each weighed by the probability that the body's ``kappa`` (N,, m²/kg,
    of sigma ``kappa_sigma``; without them, every table alike) lies within the ``Cd A / m`` of
    the catalogue's bodies that fly it. A spent stage (6e-4 m²/kg at Mach 5, which no reentry
    vehicle nor lifting airframe reaches) walks with the tumbling cylinder's table alone, whose
    ``Cd`` changes by 5-30 % across the transonic range, not the slender bodies' 60-100 %
    (irbm-overflight's stage, unseen below 17 km: sigma 3.3 km against a 0.4-0.9 km error).
    None above a table's last knot."""
    mach = _mach(pos, vel, floor_mps=1e-3)
    tables = _drag_tables()
    each = np.zeros((len(tables), mach.size))  # each table's walk per unit |dM/dt|
    w = np.ones((len(tables), mach.size))
    for k, (knots, log_cd, lo, hi) in enumerate(tables):
        i = segment_index(knots, mach, knots.size - 2)
        d = log_cd[i + 1] - log_cd[i]
        each[k] = np.where(mach < knots[-1], d * d / (knots[i + 1] - knots[i]), 0.0)
        if kappa is not None:
            w[k] = _table_weight(mach, knots, log_cd, lo, hi, kappa, kappa_sigma)
    total = w.sum(axis=0)
    # A body no table fits (outside the catalogue): every table alike.
    w = np.where(total > 1e-6, w, 1.0)
    q = (w * each).sum(axis=0) / w.sum(axis=0)
    return q * mach_rate(pos, vel, a_drag)


def _weights(mach, kappa, kappa_sigma, tables) -> np.ndarray:
    """Each table's weight (tables, N) for bodies at ``mach`` of ``kappa`` (sigma
    ``kappa_sigma``), ``_table_weight``; a body no table fits (outside the catalogue): every
    table alike."""
    w = np.ones((len(tables), mach.size))
    for k, (knots, log_cd, lo, hi) in enumerate(tables):
        w[k] = _table_weight(mach, knots, log_cd, lo, hi, kappa, kappa_sigma)
    return np.where(w.sum(axis=0) > 1e-6, w, 1.0)


@cache
def _union_grid() -> tuple[np.ndarray, np.ndarray]:
    """The catalogue tables' Mach knots, all of them (K,), and each table's ``ln Cd`` there
    (tables, K), ``Cd`` interpolated linearly in Mach as the flight model does."""
    from lookout.physics.vehicles import drag_tables

    tables = drag_tables()
    grid = np.array(sorted({float(m) for t in tables.values() for m in t.mach}))
    return grid, np.log(np.array([t(grid) for t in tables.values()]))


def _step(x0, x1, kappa, kappa_sigma):
    """``cd_mach_step``: the tables' whole change over the Mach range the step crosses."""
    m = [_mach(x[:, 0:3], x[:, 3:6]) for x in (x0, x1)]
    lo_m, hi_m = np.minimum(m[0], m[1]), np.maximum(m[0], m[1])
    tables = _drag_tables()
    w = _weights(m[0], kappa, kappa_sigma, tables)
    each = np.zeros((len(tables), lo_m.size))
    for k, (knots, log_cd, _, _) in enumerate(tables):
        # The part of each segment crossed (segments, N), summed over the segments in order.
        part = np.clip(
            np.minimum(hi_m, knots[1:, None]) - np.maximum(lo_m, knots[:-1, None]), 0.0, None
        )
        d = np.diff(log_cd)[:, None]
        each[k] = (d**2 * part / np.diff(knots)[:, None]).sum(axis=0)
    return (w * each).sum(axis=0) / w.sum(axis=0)


@cache
def _knot_jumps() -> np.ndarray:
    """Each catalogue table's jump of ``d ln Cd / dM`` (per Mach) at each of the union grid's
    knots (tables, K), ``Cd`` linear in Mach between its own knots (zero at the others and at
    the grid's ends)."""
    grid, log_cd = _union_grid()
    cd = np.exp(log_cd)
    slope = np.diff(cd, axis=1) / np.diff(grid)
    out = np.zeros_like(cd)
    out[:, 1:-1] = (slope[:, 1:] - slope[:, :-1]) / cd[:, 1:-1]
    # A table's own segment split by another's knot: its slopes differ by their rounding.
    return np.where(np.abs(out) > 1e-9, out, 0.0)


KNOT_MEAN_SQUARE = 1.0 / 4320.0
"""Mean square of RK4's velocity error, over ``(J h²)²``, from a jump ``J`` of the
acceleration's rate at a point anywhere in a step of ``h`` (uniformly): RK4 on an
acceleration of time is Simpson's rule, whose error for ``J max(t - s, 0)`` is ``J h² e(s/h)``
with ``e(x) = (3 - 5x)/6 - (1 - x)²/2`` for ``x <= 1/2``, ``(1 - x)(1/6 - (1 - x)/2)``
beyond: mean 0, at most 1/24 (the knot midway), mean square 1/4320."""

#: The flight model's bounds on a coasting step in the air besides the drag's rate.
_FLIGHT_STEP_MAX_S = DT_ATMOSPHERE_MAX
_FLIGHT_STEP_M = ATMOSPHERE_STEP_M


def knot_variance(
    x0: np.ndarray,
    x1: np.ndarray,
    dt: np.ndarray,
    a_drag: np.ndarray,
    lam: np.ndarray,
    w: np.ndarray,
) -> np.ndarray:
    """Variance (N,, m²/s²) of the velocity along the velocity that RK4 leaves at the drag
    tables' knots crossed over a prediction from states ``x0`` to ``x1`` (N, 10) in ``dt`` (N,)
    s, by bodies of drag ``a_drag`` (N,, m/s²) and drag rate ``lam = rho kappa |v|`` (N,,
    1/s), the tables weighed by ``w`` (tables, N; the shape the prediction carries,
    ``cd_shape``). At each knot the shape's slope ``d ln Cd/dM`` jumps by ``s`` (the tables'
    jumps weighed), so the drag's rate jumps by ``J = a_drag |s| |dM/dt|``; RK4's error over a
    step of ``h`` that crosses it has mean square ``KNOT_MEAN_SQUARE (J h²)²``, the tracker's
    own (``h`` the prediction's step, ``motion.step_counts``: at most ``DRAG_STEP_RATE /
    lam``) and the flight's, which the truth carries (the same bound, 2 s and 2.8 km down at
    most). irbm-overflight's like spent stages (world59 #05's, seen each 0.7 s at Mach 1.2
    -> 0.6, 4-1 km) went through the knots at 1.2, 1.0 and 0.8 3.5 and 1.2 cm/s off along
    the velocity against a velocity sigma there of 1-0.3 cm/s given its position (the drag
    holding the velocity to the position: terminal speed): NEES 16-480 for 15 s after each
    knot. None where the shape is held (``w`` zero) or one table's segment holds the step."""
    grid, _ = _union_grid()
    m0 = _mach(x0[:, 0:3], x0[:, 3:6])
    m1 = _mach(x1[:, 0:3], x1[:, 3:6])
    lo_m, hi_m = np.minimum(m0, m1), np.maximum(m0, m1)
    total = w.sum(axis=0)
    wn = np.where(total > 0.0, w / np.where(total > 0.0, total, 1.0), 0.0)
    jump = einsum("kg,kn->gn", _knot_jumps(), wn)  # (K, N)
    crossed = (grid[:, None] > lo_m) & (grid[:, None] <= hi_m)
    s2 = (jump * jump * crossed).sum(axis=0)
    adt = np.maximum(np.abs(dt), 1e-9)
    m_rate = (hi_m - lo_m) / adt
    pos, vel = x0[:, 0:3], x0[:, 3:6]
    v_down = np.abs(einsum("ij,ij->i", pos, vel)) / np.linalg.norm(pos, axis=1)
    h_air = DRAG_STEP_RATE / np.maximum(lam, 1e-12)
    h_flight = np.minimum(
        np.minimum(h_air, _FLIGHT_STEP_MAX_S), _FLIGHT_STEP_M / np.maximum(v_down, 1.0)
    )
    h_track = np.minimum(h_air, adt)
    j2 = (a_drag * m_rate) ** 2 * s2
    return KNOT_MEAN_SQUARE * j2 * (h_track**4 + h_flight**4)


def departure_walk(m0: np.ndarray, m1: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Variance (N,) of ``ln kappa`` that the tables' weighed mean shape (``CdShape``, which
    the prediction carries) leaves over a step from Mach ``m0`` to ``m1`` (N,), the tables
    weighed by ``w`` (tables, N): on each segment of the union of the tables' knots, each
    table's change of ``ln Cd`` less the mean's, ``d_k - d``, squared and weighed, times the
    part of the segment crossed (a walk in Mach: the same over a segment whatever the steps).
    None where one table fits (a spent stage's): its shape is then carried exactly. The step's
    own mean slope taken as the mean (before 2026-12-03) walked by the kink at every knot a
    step crossed, 5-9 % a step, never taken back: lofted-icbm's third stage's sigma 0.1 ->
    14 % over Mach 5.5 -> 0.8, NEES 0.01-0.5 falling unseen."""
    grid, log_cd = _union_grid()
    lo_m, hi_m = np.minimum(m0, m1), np.maximum(m0, m1)
    wn = w / w.sum(axis=0)
    d = np.diff(log_cd, axis=1)  # (tables, segments)
    part = np.clip(np.minimum(hi_m, grid[1:, None]) - np.maximum(lo_m, grid[:-1, None]), 0.0, None)
    frac = part / np.diff(grid)[:, None]  # (segments, N)
    mean = einsum("ks,kn->sn", d, wn)
    var = einsum("kn,ksn->sn", wn, (d[:, :, None] - mean[None]) ** 2)
    return (var * frac).sum(axis=0)


@cache
def _shape_tables() -> tuple[tuple, tuple]:
    """``CdShape``'s tables, worked out once (a prediction builds a ``CdShape`` per call): each
    table's knots and ``Cd`` (not its log), and each segment's slope, worked out as the call
    did per row (elementwise: the same bits). Shared by every ``CdShape``: not to be written."""
    tables = tuple((t[0], np.exp(t[1])) for t in _drag_tables())
    slopes = tuple((cd[1:] - cd[:-1]) / (kn[1:] - kn[:-1]) for kn, cd in tables)
    return tables, slopes


class CdShape:
    """The shape ``exp(g(M))`` of the drag coefficient in the Mach number that a prediction
    carries (``motion.propagate``'s ``cd_shape``): ``g`` the catalogue tables' ``ln Cd``
    weighed by ``w`` (tables, N; rows of zero weight hold ``kappa``: ``g`` = 0), each table's
    ``Cd`` linear in Mach between its knots as the flight model's, flat above its last."""

    def __init__(self, w: np.ndarray, normalised: np.ndarray | None = None) -> None:
        if normalised is None:
            total = w.sum(axis=0)
            normalised = np.where(total > 0.0, w / np.where(total > 0.0, total, 1.0), 0.0)
        self.w = normalised
        self.w_raw = w
        self.tables, self.slopes = _shape_tables()

    def __call__(self, mach: np.ndarray, rows: np.ndarray | None = None):
        """``g`` (N,) and ``dg/dM`` (N,) at ``mach`` of rows ``rows`` (None: all)."""
        w = self.w if rows is None else self.w[:, rows]
        g = np.zeros(mach.size)
        dg = np.zeros(mach.size)
        for k, (knots, cd) in enumerate(self.tables):
            c = interp(mach, knots, cd)
            i = segment_index(knots, mach, knots.size - 2)
            slope = self.slopes[k][i]
            g += w[k] * np.log(c)
            dg += w[k] * np.where(mach < knots[-1], slope, 0.0) / c
        return g, dg


def cd_shape(x: np.ndarray, P: np.ndarray, follow: np.ndarray) -> CdShape:
    """The drag-table shape (``CdShape``) that states ``x`` (N, 10) of covariances ``P`` carry
    over a prediction: the tables weighed at their Mach number by the probability that their
    ``kappa`` lies within the ``Cd A / m`` of the catalogue's bodies flying each
    (``_table_weight``), for rows ``follow`` (N,, bool); the others hold ``kappa``. Compiled
    (``compiled.cd_weights``: libm's ``exp`` and ``erfc``, the last digits) unless
    ``LOOKOUT_NUMPY_STEP=1``."""
    if not numpy_step() and x.ndim == 2:
        global _compiled
        if _compiled is None:
            from lookout.tracking import compiled as _compiled
        w_raw, w = _compiled.cd_weights(
            np.ascontiguousarray(x, dtype=float),
            np.ascontiguousarray(P, dtype=float),
            np.ascontiguousarray(follow, dtype=bool),
        )
        return CdShape(w_raw, w)
    mach = _mach(x[:, 0:3], x[:, 3:6], floor_mps=1e-3)
    kappa = np.abs(x[:, KAPPA]) * KAPPA_UNIT
    sig = np.sqrt(np.maximum(P[:, KAPPA, KAPPA], 0.0)) * KAPPA_UNIT
    w = _weights(mach, kappa, sig, _drag_tables())
    return CdShape(np.where(follow[None, :], w, 0.0))


def cd_mach_step(
    x0: np.ndarray,
    x1: np.ndarray,
    kappa: np.ndarray,
    kappa_sigma: np.ndarray,
) -> np.ndarray:
    """Variance (N,) of the change of ``ln kappa`` over a prediction from states ``x0`` to
    ``x1`` (N, 10): ``cd_mach_walk`` integrated over the Mach range the step crosses, from
    its ends, ``d_i²`` times the part of each table segment crossed. At its start alone a
    step's rate missed the range a body decelerating at hundreds of m/s² crosses within it
    (lofted-icbm's third stage from Mach 20 to 3 in 4 s at 30-12 km: its drag coefficient
    certain to 0.1 %, NEES 36-92,000). For ``kappa`` held over the step
    (``TrackerConfig.cd_mach_mean`` off); where the prediction carries the tables' shape
    (``cd_shape``) the walk is their departure from it alone (``departure_walk``)."""
    return _step(x0, x1, kappa, kappa_sigma)


#: Below this altitude (m) a drag mode's prediction flies its ``kappa``'s spread
#: (``kappa_spread``): at 100 km a light body's drag (1e-3 m²/kg at 7 km/s) is a hundredth of
#: a m/s², metres over a minute; above it the drag, and so its spread, is none the filter sees.
KAPPA_SPREAD_CEILING_M = 100e3
#: The points' distance from the mean in ``kappa``'s sigmas, ``sqrt(3)``: the unscented
#: transform's in one dimension (weights 1/6, 2/3, 1/6), a Gaussian's moments to the fourth.
SPREAD_POINT = 3.0**0.5


#: The least distance of ``kappa``'s estimate from zero, in its sigmas, whose spread is flown:
#: nearer, two points of non-negative weights and ``kappa`` no less than zero cannot hold its
#: mean and variance within three sigmas above it (``_spread_points``).
SPREAD_MIN_SIGMAS = 1.0 / 3.0


def _spread_points(x0: np.ndarray, P0: np.ndarray):
    """The direction ``d`` (N, 10) along ``kappa`` (``P0[:, kappa] / sigma_kappa``) of priors
    ``x0`` (N, 10), ``P0`` (N, 10, 10); the points ``x0 + a d`` and ``x0 - b d`` (2N, 10); and
    ``a``, ``b`` (N,) and the weights (3, N) of the upper point, the lower one and ``x0``.

    ``b = min(sqrt(3), kappa / sigma)`` keeps the lower point's ``kappa`` at zero or above,
    ``a = max(sqrt(3), 1 / b)`` and the weights ``1 / (a (a + b))``, ``1 / (b (a + b))``,
    ``1 - 1 / (a b)`` hold ``kappa``'s mean and variance (the unscented transform's points
    and weights, 1/6, 1/6, 2/3, where ``kappa`` is more than sqrt(3) sigmas above zero); a
    drag coefficient's spread is skewed to the large side, as a lognormal's. The symmetric
    points with the lower one's ``kappa`` floored at zero (before 2026-12-06) flew a drag
    coefficient 12 % too large on average where its sigma is its size (a falling stage's
    at 70-30 km, seen: world72 #07's NEES 18-21 against 7-8 linearised)."""
    s = np.sqrt(np.maximum(P0[:, KAPPA, KAPPA], 0.0))
    ok = s > 0.0
    d = np.where(ok[:, None], P0[:, :, KAPPA] / np.where(ok, s, 1.0)[:, None], 0.0)
    room = np.maximum(x0[:, KAPPA], 0.0) / np.where(ok, s, 1.0)
    b = np.clip(np.where(ok, room, SPREAD_POINT), SPREAD_MIN_SIGMAS, SPREAD_POINT)
    a = np.maximum(SPREAD_POINT, 1.0 / b)
    weights = np.stack([1.0 / (a * (a + b)), 1.0 / (b * (a + b)), 1.0 - 1.0 / (a * b)])
    pts = np.concatenate([x0 + a[:, None] * d, x0 - b[:, None] * d])
    pts[:, KAPPA] = np.maximum(pts[:, KAPPA], 0.0)  # rounding alone
    return d, pts, a, b, weights


def _flight_resolved(x, dt, max_step_s, max_steps) -> np.ndarray:
    """Whether the prediction of states ``x`` (N, 10) over ``dt`` (N,) s is an RK4 flight of
    its drag (N,, bool): its steps (``motion.step_counts``, at most ``max_steps``, 0: no cap)
    within ``h rho kappa |v| <= 1`` at the lowest point ``step_counts`` takes (RK4's bound on
    a decay is 2.8), and finite. ``step_counts`` keeps a step to ``DRAG_STEP_RATE`` of the
    drag's time constant but not below 0.1 s, and a capped (tentative) track's drag is
    flown at the largest ``kappa`` its step holds (``motion.propagate``): a state so stiff
    is not flown as its drag would have it."""
    finite = np.isfinite(x).all(axis=1) & np.isfinite(dt)
    xs = np.where(finite[:, None], x, 0.0)
    xs[~finite, 0] = 7e6  # a placeholder in the vacuum for the counts; not resolved anyway
    dts = np.where(finite, dt, 0.0)
    steps = step_counts(xs, dts, max_step_s)
    steps = np.where((max_steps > 0) & (steps > max_steps), max_steps, steps)
    pos, vel = xs[:, 0:3], xs[:, 3:6]
    r = np.maximum(np.sqrt(einsum("ij,ij->i", pos, pos)), 1.0)
    v_down = -einsum("ij,ij->i", pos, vel) / r
    speed = np.sqrt(einsum("ij,ij->i", vel, vel))
    low = np.maximum(altitude_approx(pos) - np.maximum(v_down, 0.0) * np.abs(dts), 0.0)
    lam = air_density(low) * KAPPA_UNIT * np.abs(xs[:, KAPPA]) * np.maximum(speed, 1.0)
    return finite & (lam * np.abs(dts) / steps <= 1.0)


def spread_rows(x0, P0, dt, max_step_s, max_steps) -> np.ndarray:
    """The coasting or manoeuvring priors ``x0`` (N, 10), ``P0`` (N, 10, 10) whose
    prediction over ``dt`` (N,) s flies ``kappa``'s spread (``kappa_spread``; N,, bool):
    below ``KAPPA_SPREAD_CEILING_M``, ``kappa`` uncertain, and the mean's and both points'
    flights resolved (``_flight_resolved``, steps at most ``max_steps`` (N,)). Elsewhere the
    transition's linearisation stays: the points of a track just born, whose velocity is
    known to tens of km/s with ``kappa`` (me72 #01's partners: a point at 77 km/s and 13 km
    for a track at 4.2 km/s, ``rho kappa |v|`` 950/s over 0.1-s RK4 steps), flew to 1e10
    m/s in one prediction, and the covariance's determinant came out negative in the
    gating, ``ln`` of it NaN."""
    below = altitude_approx(x0[:, 0:3]) < KAPPA_SPREAD_CEILING_M
    var = np.maximum(P0[:, KAPPA, KAPPA], 0.0)
    room = x0[:, KAPPA] >= SPREAD_MIN_SIGMAS * np.sqrt(var)
    out = below & (var > 0.0) & room
    rows = np.flatnonzero(out)
    if rows.size:
        _, pts, *_ = _spread_points(x0[rows], P0[rows])
        dt2, cap2 = np.concatenate([dt[rows], dt[rows]]), np.tile(max_steps[rows], 2)
        ok = _flight_resolved(x0[rows], dt[rows], max_step_s, max_steps[rows])
        both = _flight_resolved(pts, dt2, max_step_s, cap2)
        out[rows] = ok & both[: rows.size] & both[rows.size :]
    return out


def kappa_spread(x0, P0, xp, F, Pp, dt, max_step_s, max_steps, w=None) -> None:
    """The drag coefficient's spread flown, not linearised (``xp`` (N, 10) and ``Pp`` (N, 10,
    10) in place): the predictions ``xp``, ``F P0 Fᵀ + Q`` of the coasting or manoeuvring
    priors ``x0``, ``P0`` (N, 10, 10) over ``dt`` (N,) s have their part along ``kappa`` (``d
    = P0[:, kappa] / sigma_kappa``: ``kappa`` one sigma off, and what its covariances with the
    rest move with it) flown as the one-dimensional unscented transform's points ``x0 + a d``,
    ``x0 - b d`` and ``x0`` (``_spread_points``: ``a = b = sqrt(3)``, weights 1/6, 1/6, 2/3,
    where ``kappa`` is sqrt(3) sigmas above zero; nearer, the lower point at zero and the
    weights holding ``kappa``'s mean and variance) instead of ``F d``: ``Pp`` less ``(F
    d)(F d)ᵀ`` plus the points' spread, the position and velocity their weighed mean. The
    thrust, lift and ``kappa`` itself keep the transition's ``F d``. ``w`` (tables, N): the
    drag tables' shape the prediction carried (``cd_shape``), flown alike.

    Drag is exponential in the altitude and quadratic in the speed, and a drag coefficient
    known to tens of per cent is not a small error in the dense air: linearised at the mean
    (a slow body), the transition damps every velocity hypothesis alike, and a fast one (a
    slender warhead under a track's mean of 3-5 times its ``kappa``) leaves the ellipsoid.
    me71 #00's SRBM-2, unseen under every radar's floor for its last 32 s: its track 6.6 km
    up at impact at 540 m/s (truth 1,070), NEES 16-23 over the last 15 s, the assessor's
    impact time 21 s late at 2.1 of its sigmas; the points flown, 5.4 km, NEES 2.4-5.3 over
    the last 20 s, 19 s late at 1.2 sigma (``tests/test_rv_unseen.py``). The drag's
    linearisation noise then keeps only ``kappa``'s cross terms independent of it
    (``linearisation_sigmas``' ``flown``)."""
    n = x0.shape[0]
    if n == 0:
        return
    d, pts, a, b, (w_up, w_low, w_mid) = _spread_points(x0, P0)
    shape = None if w is None else CdShape(np.concatenate([w, w], axis=1))
    y, _ = propagate(
        pts,
        np.concatenate([dt, dt]),
        max_step_s,
        with_jacobian=False,
        max_steps=np.concatenate([max_steps, max_steps]),
        cd_shape=shape,
    )
    # Position and velocity flown; thrust, lift and ``kappa`` itself as the transition
    # carries them (the weights hold ``kappa``'s mean and variance: ``F d`` whole).
    mean = xp.copy()
    mean[:, 0:6] = (
        w_mid[:, None] * xp[:, 0:6] + w_up[:, None] * y[:n, 0:6] + w_low[:, None] * y[n:, 0:6]
    )
    Fd = einsum("nij,nj->ni", F, d)
    Pp -= Fd[:, :, None] * Fd[:, None, :]
    e = np.zeros((3, n, NX))
    for k, (yi, si) in enumerate(((y[:n], a), (y[n:], -b), (xp, 0.0 * a))):
        e[k, :, 0:6] = yi[:, 0:6] - mean[:, 0:6]
        e[k, :, 6:] = si[:, None] * Fd[:, 6:]
    for k, wk in enumerate((w_up, w_low, w_mid)):
        Pp += wk[:, None, None] * e[k, :, :, None] * e[k, :, None, :]
    xp[:] = mean


REL_VAR_MAX = 1e6
"""The largest relative variance (of altitude over the scale height, drag coefficient, speed)
``linearisation_sigma`` expands: a floating-point guard for diverged tracks, not a tuning."""


def linearisation_sigma(
    x: np.ndarray, P: np.ndarray, a_drag: np.ndarray, kap: np.ndarray
) -> np.ndarray:
    """Standard deviation (m/s², (N,)) of what the extended Kalman filter's linearised drag
    leaves out along the velocity, for states ``x`` (N, 10) of covariances ``P`` (N, 10, 10),
    drag ``a_drag`` and drag coefficient ``kap`` (N,; KAPPA_UNIT, floored):
    ``linearisation_sigmas``' first."""
    return linearisation_sigmas(x, P, a_drag, kap)[0]


def linearisation_sigmas(
    x: np.ndarray,
    P: np.ndarray,
    a_drag: np.ndarray,
    kap: np.ndarray,
    flown: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Standard deviations (m/s², (N,) each) of what the extended Kalman filter's linearised
    drag leaves out along the velocity and on each axis across it, for states ``x`` (N, 10) of
    covariances ``P`` (N, 10, 10), drag ``a_drag`` and drag coefficient ``kap`` (N,;
    KAPPA_UNIT, floored). The drag ``-a0 exp(-eta) (1 + k) |v + dv| (v + dv) / v²``, in the
    relative errors of altitude ``eta = dh / H`` (``H`` the density scale height there), drag
    coefficient ``k = dkappa / kappa``, speed along ``n = dv_along / v`` and direction across
    ``c = dv_across / v`` (2 axes), has the second-order terms ``eta²/2 - eta k - 2 eta n + 2 k
    n + n² + |c|²/2`` along the velocity and ``c (k - eta + n)`` across it, of which the
    transition matrix keeps none. For independent Gaussian errors of relative sigmas ``s_h,
    s_k, s_v`` and ``s_c`` (each axis across) their variances are ``s_h⁴/2 + 2 s_v⁴ + s_h² s_k²
    + 4 s_h² s_v² + 4 s_k² s_v² + s_c⁴`` along and ``s_c² (s_k² + s_h² + s_v²)`` across. A
    tracked reentry vehicle (altitude to 10 m of a 6.5 km scale height, ``kappa`` to 20 %)
    gets 0.03 % of its drag along; a track just born (altitude to kilometres, ``kappa`` to 150
    %) as much as its drag. Across, where the drag's size errors do not reach but through the
    velocity's direction, a track whose direction is known to microradians gets next to
    nothing (the same error taken on every axis had irbm-east-fourth's spent stage, falling
    unseen below 8 km, at a cross-track velocity sigma of 4.5 m/s against a 0.25 m/s error).

    Where ``kappa``'s spread is flown (``flown`` (N,, bool, or the share in [0, 1] of those
    terms the points hold: ``drag_q``), ``kappa_spread``), the terms in ``k`` times the parts
    of ``eta`` and ``n`` that move with it are in the flown points (the one-dimensional
    unscented transform holds a quadratic's mean and variance exactly): of ``eta k`` and ``2
    k n`` only the parts independent of ``k`` are left, ``s_h² (1 - r_hk²) s_k²`` and ``4
    s_v² (1 - r_vk²) s_k²`` (``r`` their correlations)."""
    pos, vel = x[:, 0:3], x[:, 3:6]
    up = pos / np.linalg.norm(pos, axis=1)[:, None]
    speed = np.maximum(np.sqrt(einsum("ij,ij->i", vel, vel)), 1e-3)
    along = vel / speed[:, None]
    var_h = np.maximum(einsum("ni,nij,nj->n", up, P[:, 0:3, 0:3], up), 0.0)
    var_v = np.maximum(einsum("ni,nij,nj->n", along, P[:, 3:6, 3:6], along), 0.0)
    var_c = np.maximum(np.trace(P[:, 3:6, 3:6], axis1=1, axis2=2) - var_v, 0.0) / 2.0
    rho, drho = density_and_slope(altitude_approx(pos))
    inv_h = np.abs(drho) / np.maximum(rho, 1e-300)
    # Relative variances beyond REL_VAR_MAX (a sigma of 1000 times the quantity itself) are a
    # diverged track's, whose expansion means nothing: they are held there so that their
    # squares stay finite (a position variance of 1e170 m² made inf, and 0 * inf NaN above
    # the atmosphere, in every covariance downstream).
    sh2 = np.minimum(var_h * inv_h * inv_h, REL_VAR_MAX)
    sk2 = np.minimum(np.maximum(P[:, KAPPA, KAPPA], 0.0) / (kap * kap), REL_VAR_MAX)
    sv2 = np.minimum(var_v / (speed * speed), REL_VAR_MAX)
    sc2 = np.minimum(var_c / (speed * speed), REL_VAR_MAX)
    fh = fv = 1.0
    if flown is not None:
        var_k = np.maximum(P[:, KAPPA, KAPPA], 0.0)
        c_hk = einsum("ni,ni->n", up, P[:, 0:3, KAPPA])
        c_vk = einsum("ni,ni->n", along, P[:, 3:6, KAPPA])
        held = np.asarray(flown, dtype=float)
        fh = 1.0 - held * _corr2(c_hk, var_h, var_k)
        fv = 1.0 - held * _corr2(c_vk, var_v, var_k)
    var = 0.5 * sh2 * sh2 + 2.0 * sv2 * sv2 + sh2 * sk2 * fh + 4.0 * sh2 * sv2
    var += 4.0 * sk2 * sv2 * fv + sc2 * sc2
    return a_drag * np.sqrt(var), a_drag * np.sqrt(sc2 * (sk2 + sh2 + sv2))


def spread_share(dt: np.ndarray, tau_s: float) -> np.ndarray:
    """The share (N,) of the linearisation's ``kappa`` cross terms that the flown points
    (``kappa_spread``) hold over a step of ``dt`` (N,) s: ``min(|dt| / tau, 1)``. The
    linearisation noise is white acceleration over ``tau`` (``accel_noise_tau_s``, 10 s),
    velocity variance ``lin² tau dt`` over a step; the points fly the same second-order
    term as an acceleration held over the step, ``lin² dt²``, no more: the rest,
    ``lin² dt (tau - dt)``, stays noise. Taken out whole at every step (before 2026-12-06), a
    track seen four times a second lost 97 % of it for the 2.5 % the points hold:
    world72 #07's falling first stage, seen at 70-30 km, NEES 18-21 with them flown
    against 7-8 linearised (reentry NEES in bounds 1.00 -> 0.24)."""
    return np.minimum(np.abs(dt) / tau_s, 1.0)


def _corr2(c: np.ndarray, var_a: np.ndarray, var_b: np.ndarray) -> np.ndarray:
    """Squared correlation ``c² / (var_a var_b)`` (N,), in [0, 1]; 0 where a variance is 0."""
    den = var_a * var_b
    return np.where(den > 0.0, np.minimum(c * c / np.where(den > 0.0, den, 1.0), 1.0), 0.0)


def drag_q(
    x: np.ndarray,
    P: np.ndarray,
    config: TrackerConfig,
    x1: np.ndarray | None = None,
    dt: np.ndarray | None = None,
    w: np.ndarray | None = None,
    flown: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """White acceleration (m²/s³) on every axis, drag-coefficient walk (KAPPA_UNIT²/s) and
    white acceleration added along the velocity (m²/s³; ``motion.along_noise``) spectral
    densities of coasting or manoeuvring states ``x`` (N, 10), covariances ``P`` (N, 10, 10):
    the coast floor, the linearisation's (below), and the walk of ``kappa`` with the Mach
    number (over the Mach range of the step to ``x1`` in ``dt`` (N,) s where given:
    ``cd_mach_step``). ``kappa`` is floored at ``kappa_floor_m2_kg`` in the drag that sets
    both, as in the boost mode's noise. With ``w`` (tables, N), the tables' weights of the
    shape the prediction carried (``cd_shape``), the walk is what that shape leaves
    (``departure_walk``). ``flown`` (N,, bool): the rows whose prediction flies ``kappa``'s
    spread (``spread_rows``); None: with ``TrackerConfig.kappa_spread`` those below
    ``KAPPA_SPREAD_CEILING_M``.

    The linearisation's part (``linearisation_sigmas``) is white acceleration over the coast
    floor's correlation time, 10 s, along the velocity, and across it only its product with
    the direction's error: the same on every axis had irbm-east-fourth's spent stage, falling
    unseen below 8 km, at a cross-track velocity sigma of 4.5 m/s against a 0.25 m/s error
    (0.76 m/s now; NEES 0.12 -> 0.72). The second-order filter's ``lin² dt`` over each step
    instead (branches coast-consist, reentry-nees) moved srbm-salvo's coast NEES in bounds
    0.914 -> 0.897 and lofted-icbm's reentry 0.717 -> 0.441: kept out (docs/tracking.md)."""
    pos, vel = x[:, 0:3], x[:, 3:6]
    v2 = einsum("ij,ij->i", vel, vel)
    kap = np.abs(x[:, KAPPA]) + config.kappa_floor_m2_kg / KAPPA_UNIT
    a_drag = 0.5 * air_density(np.maximum(altitude_approx(pos), 0.0)) * v2 * kap
    a_drag = a_drag * KAPPA_UNIT
    if flown is None and config.kappa_spread:
        flown = altitude_approx(pos) < KAPPA_SPREAD_CEILING_M
    if flown is not None and dt is not None:
        # The points hold the cross terms over the step alone (``spread_share``).
        flown = flown * spread_share(dt, config.accel_noise_tau_s)
    lin, lin_c = linearisation_sigmas(x, P, a_drag, kap, flown)
    q_acc = (config.coast_accel_sigma_mps2**2 + lin_c * lin_c) * config.accel_noise_tau_s
    q_along = (lin * lin - lin_c * lin_c) * config.accel_noise_tau_s
    sig = np.sqrt(np.maximum(P[:, KAPPA, KAPPA], 0.0)) * KAPPA_UNIT
    if x1 is None:
        walk = cd_mach_walk(pos, vel, a_drag, np.abs(x[:, KAPPA]) * KAPPA_UNIT, sig)
    elif w is not None:
        var = departure_walk(_mach(pos, vel), _mach(x1[:, 0:3], x1[:, 3:6]), w)
        walk = var / np.maximum(np.abs(dt), 1e-9)
        lam = 2.0 * a_drag / np.maximum(np.sqrt(v2), 1e-3)
        q_along = q_along + knot_variance(x, x1, dt, a_drag, lam, w) / np.maximum(np.abs(dt), 1e-9)
    else:
        var = _step(x, x1, np.abs(x[:, KAPPA]) * KAPPA_UNIT, sig)
        walk = var / np.maximum(np.abs(dt), 1e-9)
    q_kappa = walk * kap * kap
    return q_acc, q_kappa, q_along


__all__ = [
    "CdShape",
    "cd_mach_step",
    "cd_mach_walk",
    "cd_shape",
    "departure_walk",
    "drag_q",
    "kappa_spread",
    "knot_variance",
    "linearisation_sigma",
    "linearisation_sigmas",
    "mach_rate",
    "spread_rows",
    "spread_share",
]
