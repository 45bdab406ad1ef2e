"""The truth trajectory of one flying object: dense samples, phases and events.

Times are float seconds from the scenario epoch; positions and velocities ECEF metres and m/s.
Between samples the state is a cubic Hermite interpolation of position and velocity
(``state_at``), within millimetres in position at the integrator's step sizes; its velocity is
a few mm/s off over the 30 s steps of a coast in vacuum, so scoring takes ``flown_state_at``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from lookout.geodesy import ecef_to_geodetic
from lookout.physics import dynamics
from lookout.physics.einsum import einsum
from lookout.physics.frame import rotating_frame_acceleration
from lookout.physics.integrate import rk4_step
from lookout.physics.tables import segment_index

#: Phase codes stored per sample.
BOOST, COAST, REENTRY = 0, 1, 2
PHASE_NAMES = ("boost", "coast", "reentry")

#: Kinds of flying object; they differ in radar cross-section and in whether they burn.
KINDS = ("booster", "reentry_vehicle", "spent_stage", "payload")

#: Altitude (m) below which a descending, unpowered object is in reentry.
REENTRY_ALTITUDE_M = 100e3


def hermite(p0, v0, p1, v1, h, s):
    """Cubic Hermite position and velocity at fraction ``s`` (N,) of steps of length ``h`` (N,)
    between states (p0, v0) and (p1, v1), each (N, 3)."""
    s = s[:, None]
    hv0, hv1 = v0 * h[:, None], v1 * h[:, None]
    s2, s3 = s * s, s * s * s
    pos = (2 * s3 - 3 * s2 + 1) * p0 + (s3 - 2 * s2 + s) * hv0 + (-2 * s3 + 3 * s2) * p1
    pos += (s3 - s2) * hv1
    vel = (6 * s2 - 6 * s) * p0 + (3 * s2 - 4 * s + 1) * hv0 + (-6 * s2 + 6 * s) * p1
    vel = (vel + (3 * s2 - 2 * s) * hv1) / h[:, None]
    return pos, vel


def _gravity_step(pos, vel, dt):
    """One RK4 step of ``dt`` (N,) s under the flight's gravity and frame terms alone."""
    return rk4_step(lambda _t, p, v: rotating_frame_acceleration(p, v), None, pos, vel, dt)


def _coast_step(pos, vel, dt, alt, area_per_mass, table):
    """One RK4 step of ``dt`` (N,) s of coasting bodies (gravity, frame and drag), from geodetic
    altitudes ``alt`` (N,), the altitude inside the step moving as the integrator's does."""
    alt0 = alt - dynamics.radial_height(pos)
    return rk4_step(
        lambda _t, p, v: dynamics.coast_acceleration(
            p, v, alt0 + dynamics.radial_height(p), area_per_mass, table
        ),
        None, pos, vel, dt,
    )  # fmt: skip


@dataclass(frozen=True)
class Event:
    """A moment in a flight: ``burnout``, ``stage_separation``, ``payload_separation``,
    ``apogee``, ``reentry``, ``impact`` or ``orbit_insertion``; for a lifting body also ``glide``
    (its lift law engages, at apogee), ``pull_up`` (its lift first reaches 1 g), ``peak`` (a
    later top of a skip) and ``dive`` (lift released); ``stage`` is the 1-based stage number
    where one applies."""

    name: str
    t: float
    pos: np.ndarray
    vel: np.ndarray
    stage: int | None = None


@dataclass
class Trajectory:
    """Samples of one object's truth state.

    ``thrusting[i]`` tells whether an engine burns during the step that starts at sample ``i``;
    ``kind[i]`` the kind of object at that sample (a booster becomes a reentry vehicle when its
    payload separates).
    """

    object_id: str
    t: np.ndarray  # (M,)
    pos: np.ndarray  # (M, 3)
    vel: np.ndarray  # (M, 3)
    thrusting: np.ndarray  # (M,) bool
    kind: np.ndarray  # (M,) int index into KINDS
    events: list[Event] = field(default_factory=list)
    parent_id: str | None = None
    #: Lift acceleration (M, 3), ECEF m/s^2, of a lifting body at its samples; None otherwise.
    lift: np.ndarray | None = None
    #: Area per mass (m^2/kg, M,) and drag table (index into ``dynamics.DRAG_TABLE_NAMES``) of
    #: the step from each sample where it only coasts (0 where it thrusts, lifts or is under
    #: water): ``flown_state_at`` flies its drag. None: gravity alone is flown.
    area_per_mass: np.ndarray | None = None
    drag_table: np.ndarray | None = None

    def __post_init__(self) -> None:
        lat, lon, alt = ecef_to_geodetic(self.pos)
        self.lat, self.lon, self.alt = lat, lon, alt
        descending = einsum("ij,ij->i", self.pos, self.vel) < 0
        self.phase = np.where(
            self.thrusting,
            BOOST,
            np.where(descending & (alt < REENTRY_ALTITUDE_M), REENTRY, COAST),
        ).astype(np.int8)

    @property
    def t_start(self) -> float:
        return float(self.t[0])

    @property
    def t_end(self) -> float:
        return float(self.t[-1])

    def event(self, name: str) -> Event | None:
        """The first event of that name, or None."""
        return next((e for e in self.events if e.name == name), None)

    def lift_at(self, times: np.ndarray | float) -> np.ndarray:
        """Lift acceleration (..., 3), ECEF m/s^2, at the given times (linear between samples;
        zero for a body without lift)."""
        times = np.asarray(times, dtype=float)
        if self.lift is None:
            return np.zeros(times.shape + (3,))
        return np.stack([np.interp(times, self.t, self.lift[:, i]) for i in range(3)], axis=-1)

    def final_burnout(self) -> Event | None:
        """The last stage's burnout (or thrust termination), or None."""
        return next((e for e in reversed(self.events) if e.name == "burnout"), None)

    def state_at(self, times: np.ndarray | float) -> np.ndarray:
        """ECEF state (..., 6) at the given times, NaN outside [t_start, t_end]."""
        times = np.asarray(times, dtype=float)
        flat = times.ravel()
        out = np.full((flat.size, 6), np.nan)
        inside = (flat >= self.t[0]) & (flat <= self.t[-1])
        if inside.any() and self.t.size > 1:
            tq = flat[inside]
            i = segment_index(self.t, tq, self.t.size - 2)
            h = self.t[i + 1] - self.t[i]
            h = np.where(h > 0, h, 1.0)
            pos, vel = hermite(
                self.pos[i], self.vel[i], self.pos[i + 1], self.vel[i + 1], h, (tq - self.t[i]) / h
            )
            out[inside] = np.concatenate([pos, vel], axis=1)
        elif inside.any():
            out[inside] = np.concatenate([self.pos[0], self.vel[0]])
        return out.reshape(times.shape + (6,))

    def flown_state_at(self, times: np.ndarray | float) -> np.ndarray:
        """ECEF state (..., 6) at the given times, NaN outside [t_start, t_end], as flown: one
        RK4 step of the flight's gravity (J2, rotating frame), and of its drag where the step
        only coasts, from the sample before, plus the cubic Hermite interpolation of what that
        leaves between the two samples (thrust, lift; else only the integrator's error). The
        same at the samples as ``state_at``. In the air the cubic misses the drag's growth as a
        body plunges: satellite-launch's second stage at 45-35 km, on 1.2 s steps, 0.16 m/s off
        a flight at 0.05 s steps between samples within 0.02 m/s of it; flown, 0.07 m/s. In
        vacuum the cubic's velocity misses the orbit's fourth derivative: on the 30 s steps of a
        coast it swings by ±3.5 mm/s with the step's period (gen-2-03's IRBM at
        700 km), against a coasting track's velocity sigma of 5-15 mm/s, which made the score's
        NEES of a well-fitted coast swing 3-60 from one second to the next; flown, it is off by
        under 0.05 mm/s (gravity's RK4 over 30 s). For scoring, where the truth's velocity is
        compared with covariances; the sensors, whose noise is metres, keep ``state_at``."""
        times = np.asarray(times, dtype=float)
        flat = times.ravel()
        out = self.state_at(flat)
        inside = np.flatnonzero(np.isfinite(out[:, 0]))
        if inside.size and self.t.size > 1:
            tq = flat[inside]
            i = segment_index(self.t, tq, self.t.size - 2)
            h = self.t[i + 1] - self.t[i]
            s = tq - self.t[i]
            h = np.where(h > 0, h, 1.0)
            p0, v0, p1, v1 = self.pos[i], self.vel[i], self.pos[i + 1], self.vel[i + 1]
            # The flight from the sample before (gravity, and the drag of a coasting step), to
            # the query and over the whole step.
            if self.area_per_mass is None or not self.area_per_mass[i].any():
                gp, gv = _gravity_step(
                    np.concatenate([p0, p0]), np.concatenate([v0, v0]), np.r_[s, h]
                )
            else:
                gp, gv = _coast_step(
                    np.concatenate([p0, p0]), np.concatenate([v0, v0]), np.r_[s, h],
                    np.tile(self.alt[i], 2), np.tile(self.area_per_mass[i], 2),
                    np.tile(self.drag_table[i], 2),
                )  # fmt: skip
            n = tq.size
            dp, dv = hermite(
                np.zeros_like(p0), np.zeros_like(v0), p1 - gp[n:], v1 - gv[n:], h, s / h
            )
            out[inside] = np.concatenate([gp[:n] + dp, gv[:n] + dv], axis=1)
        return out.reshape(times.shape + (6,))

    def sample_index_at(self, times: np.ndarray | float) -> np.ndarray:
        """Index of the sample whose step contains each time (for per-step flags)."""
        times = np.asarray(times, dtype=float)
        return segment_index(self.t, times, self.t.size - 1)

    def thrusting_at(self, times: np.ndarray | float) -> np.ndarray:
        """Whether an engine burns at each time (False outside the trajectory)."""
        times = np.asarray(times, dtype=float)
        inside = (times >= self.t[0]) & (times <= self.t[-1])
        return self.thrusting[self.sample_index_at(times)] & inside

    def kind_at(self, times: np.ndarray | float) -> np.ndarray:
        """Kind index (into KINDS) at each time."""
        return self.kind[self.sample_index_at(times)]
