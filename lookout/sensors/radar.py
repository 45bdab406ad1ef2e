"""Ground and ship-borne surveillance radar.

Measurement ``z = [range_m, azimuth_rad, elevation_rad]`` (``+ [range_rate_mps]`` when the radar
has ``sigma_rr_mps``), in the local East-North-Up frame at the antenna (``lookout.geodesy``):
azimuth from north, clockwise, in [0, 2π); elevation above the local horizontal; range-rate the
rate of change of range, positive opening, relative to the (possibly sailing) antenna.
``R = diag(sigma_range², sigma_az², sigma_el²[, sigma_rr²])`` in m², rad², rad², (m/s)².

The radar scans every ``revisit_s`` from its phase; one scan measures every object at the scan
instant. An object is in view when it is alive, within ``max_range_km``, inside the azimuth
sector and elevation limits, and the straight line of sight clears the WGS84 ellipsoid
(``horizon.line_of_sight_clear``; no refraction).

Detection follows the radar equation and a Swerling-1 (slowly fluctuating, exponential power)
target in a square-law detector:

- ``SNR = snr_ref_db + 10 log10(rcs / 1 m²) - 40 log10(range / ref_range)`` (dB), the mean
  signal-to-noise ratio;
- threshold ``T = -ln(pfa)`` on the cell's power over mean noise, so ``Pfa = exp(-T)``;
- the cell's power is ``(1 + SNR) X`` with ``X ~ Exp(1)``, so ``Pd = Pfa ** (1 / (1 + SNR))``.

The reported ``snr_db`` is that measured power in dB (signal plus noise over noise). False alarms
are Poisson with mean ``false_alarms_per_scan`` (about ``pfa`` times the resolution cells in the
field of view), uniform in range, azimuth, elevation (and range-rate) over the field of view,
with power ``T + Exp(1)``.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from dataclasses import dataclass
from typing import Annotated

import numpy as np
from msgspec import Meta

from lookout import fields
from lookout.fields import Finite, Lat, Lon, NonEmpty, NonNegative, Positive
from lookout.geodesy import enu_basis, geodesic_direct, geodesic_inverse, geodetic_to_ecef
from lookout.messages import Detection
from lookout.physics.tables import segment_index
from lookout.physics.trajectory import KINDS
from lookout.sensors import _validate as v
from lookout.sensors.batch import MeasurementBatch
from lookout.sensors.horizon import line_of_sight_clear
from lookout.sensors.schedule import default_phase_s, scan_times
from lookout.sensors.truth import TruthLabels, TruthSamples

#: Nominal radar cross-section (m²) per object kind, aspect-averaged, for an S- to X-band
#: surveillance radar. Plausible orders of magnitude, not data on any real vehicle:
#: a boosting missile seen from the side (metres-long body, several m²: 10), a conical reentry
#: vehicle (small and shaped to be: 0.05), a tumbling spent stage (a long empty tank: 5), a
#: payload or small satellite (about 1). Swerling-1 fluctuation models the aspect changes.
RCS_M2: dict[str, float] = {
    "booster": 10.0,
    "reentry_vehicle": 0.05,
    "spent_stage": 5.0,
    "payload": 1.0,
}
_RCS_BY_KIND = np.array([RCS_M2[k] for k in KINDS])

_TWO_PI = 2.0 * math.pi


def radar_snr_db(range_m, rcs_m2, snr_ref_db: float, ref_range_m: float) -> np.ndarray:
    """Mean SNR (dB) from the radar equation: ``snr_ref_db`` for 1 m² at ``ref_range_m``,
    falling as the fourth power of range."""
    range_m = np.asarray(range_m, dtype=float)
    return snr_ref_db + 10.0 * np.log10(rcs_m2) - 40.0 * np.log10(range_m / ref_range_m)


def swerling1_pd(snr_db, pfa: float) -> np.ndarray:
    """Probability of detection of a Swerling-1 target at mean SNR ``snr_db`` (dB), square-law
    detector, single pulse (or coherently integrated dwell), false-alarm probability ``pfa``."""
    snr = 10.0 ** (np.asarray(snr_db, dtype=float) / 10.0)
    return pfa ** (1.0 / (1.0 + snr))


Waypoint = Annotated[tuple[Finite, Lat, Lon], Meta(description="(t_s, lat_deg, lon_deg)")]
Elevation = Annotated[float, Meta(ge=-90.0, le=90.0)]
Probability = Annotated[
    float, Meta(gt=0.0, lt=1.0, description="a probability strictly between 0 and 1")
]


@dataclass(frozen=True)
class RadarParams:
    """A radar's parameters, as a scenario states them (degrees, km, mrad at this edge).

    The site is ``lat_deg``, ``lon_deg`` (fixed) or ``track``, a ship's waypoints
    ``(t_s, lat_deg, lon_deg)`` sailed along geodesics at constant speed between them (held at
    the ends); ``alt_m`` is the antenna's height above the WGS84 ellipsoid. ``azimuth_deg`` is
    the boresight from true north; ``span_deg`` the full azimuth width (360: all round).
    Defaults describe a generic transportable X-band early-warning phased array.
    """

    id: NonEmpty
    partner: NonEmpty
    lat_deg: Lat | None = None
    lon_deg: Lon | None = None
    alt_m: Annotated[float, Meta(ge=-500.0, le=10_000.0)] = 0.0
    track: tuple[Waypoint, ...] | None = None
    azimuth_deg: Finite = 0.0
    span_deg: Annotated[float, Meta(ge=1e-6, le=360.0)] = 120.0
    el_min_deg: Elevation = 1.0
    el_max_deg: Elevation = 70.0
    max_range_km: Positive = 1000.0
    revisit_s: Positive = 1.0
    phase_s: NonNegative | None = None
    sigma_range_m: Positive = 10.0
    sigma_az_mrad: Positive = 0.5
    sigma_el_mrad: Positive = 0.5
    sigma_rr_mps: Positive | None = None
    snr_ref_db: Finite = 20.0
    ref_range_km: Positive = 1000.0
    pfa: Probability = 1e-6
    false_alarms_per_scan: NonNegative = 1.0
    max_range_rate_mps: Positive = 8000.0

    def __post_init__(self) -> None:
        who = f"radar {self.id!r}"
        fields.check(self, functools.partial(v.fail, who))
        fixed = self.lat_deg is not None or self.lon_deg is not None
        if fixed == (self.track is not None):
            v.fail(who, "track", self.track, "either lat_deg and lon_deg, or a track, not both")
        if fixed and (self.lat_deg is None or self.lon_deg is None):
            v.fail(who, "lat_deg", self.lat_deg, "lat_deg and lon_deg both")
        if not fixed:
            track = tuple(tuple(float(x) for x in wp) for wp in self.track)
            if not track:
                v.fail(who, "track", self.track, "a list of (t_s, lat_deg, lon_deg) waypoints")
            times = [wp[0] for wp in track]
            if any(b <= a for a, b in zip(times, times[1:], strict=False)):
                v.fail(who, "track", self.track, "waypoint times strictly increasing")
            object.__setattr__(self, "track", track)
        if self.el_max_deg <= self.el_min_deg:
            v.fail(who, "el_max_deg", self.el_max_deg, f"> el_min_deg ({self.el_min_deg})")
        if self.phase_s is not None and self.phase_s > self.revisit_s:
            v.fail(who, "phase_s", self.phase_s, f"<= revisit_s ({self.revisit_s:g})")

    @classmethod
    def from_dict(cls, data: dict) -> RadarParams:
        """From a scenario mapping; unknown keys are an error naming them."""
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            who = f"radar {data.get('id', '?')!r}"
            v.fail(who, unknown[0], data[unknown[0]], f"one of the radar fields {sorted(known)}")
        return cls(**data)


class Radar:
    """A radar sensor (``lookout.sensors.Sensor``): scans, visibility and measurements."""

    kind = "radar"

    def __init__(self, params: RadarParams) -> None:
        p = params
        self.params = p
        self.id, self.partner = p.id, p.partner
        self.max_range_m = p.max_range_km * 1e3
        self.ref_range_m = p.ref_range_km * 1e3
        self.boresight = math.radians(p.azimuth_deg) % _TWO_PI
        self.half_span = math.radians(p.span_deg) / 2.0
        self.el_min, self.el_max = math.radians(p.el_min_deg), math.radians(p.el_max_deg)
        self.threshold = -math.log(p.pfa)
        self.phase_s = p.phase_s if p.phase_s is not None else default_phase_s(p.id, p.revisit_s)
        sig = [p.sigma_range_m, p.sigma_az_mrad * 1e-3, p.sigma_el_mrad * 1e-3]
        if p.sigma_rr_mps is not None:
            sig.append(p.sigma_rr_mps)
        self.sigma = np.array(sig)
        self.R = np.diag(self.sigma**2)
        if p.track is None:
            lat, lon = math.radians(p.lat_deg), math.radians(p.lon_deg)
            self._fixed_pos = geodetic_to_ecef(lat, lon, p.alt_m)
            self._fixed_basis = enu_basis(lat, lon)
        else:
            wp = np.array(p.track)
            self._wp_t = wp[:, 0]
            self._wp_lat, self._wp_lon = np.radians(wp[:, 1]), np.radians(wp[:, 2])
            if wp.shape[0] > 1:
                self._leg_len, self._leg_az = geodesic_inverse(
                    self._wp_lat[:-1], self._wp_lon[:-1], self._wp_lat[1:], self._wp_lon[1:]
                )

    @property
    def measurement_size(self) -> int:
        return self.sigma.size

    def scan_times(self, t0: float, t1: float) -> np.ndarray:
        """Scan instants (s) in [t0, t1)."""
        return scan_times(t0, t1, self.params.revisit_s, self.phase_s)

    def _geodetic_at(self, times: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        if self._wp_t.size == 1:
            return np.full(times.shape, self._wp_lat[0]), np.full(times.shape, self._wp_lon[0])
        i = segment_index(self._wp_t, times, self._wp_t.size - 2)
        frac = np.clip((times - self._wp_t[i]) / (self._wp_t[i + 1] - self._wp_t[i]), 0.0, 1.0)
        return geodesic_direct(
            self._wp_lat[i], self._wp_lon[i], self._leg_az[i], frac * self._leg_len[i]
        )

    def antenna_at(self, times) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Antenna ECEF position (T, 3) m, velocity (T, 3) m/s and ENU basis (T, 3, 3)."""
        times = np.atleast_1d(np.asarray(times, dtype=float))
        n = times.size
        if self.params.track is None:
            return (
                np.broadcast_to(self._fixed_pos, (n, 3)),
                np.zeros((n, 3)),
                np.broadcast_to(self._fixed_basis, (n, 3, 3)),
            )
        alt = self.params.alt_m
        lat, lon = self._geodetic_at(times)
        pos = geodetic_to_ecef(lat, lon, alt)
        # Velocity over ground by a central difference; ECEF is Earth-fixed, so this is it.
        lat_a, lon_a = self._geodetic_at(times - 0.5)
        lat_b, lon_b = self._geodetic_at(times + 0.5)
        vel = geodetic_to_ecef(lat_b, lon_b, alt) - geodetic_to_ecef(lat_a, lon_a, alt)
        return pos, vel, enu_basis(lat, lon)

    def measure_true(self, truth: TruthSamples) -> dict[str, np.ndarray]:
        """Noise-free geometry of every object at every time, arrays of shape (T, N):
        ``range``, ``azimuth``, ``elevation``, ``range_rate`` (SI), ``in_view`` (bool, field of
        view and horizon), ``snr_db`` (mean, from the radar equation); and ``antenna_pos``
        (T, 3) ECEF m."""
        rpos, rvel, basis = self.antenna_at(truth.t)
        alive = truth.alive
        d = np.where(alive[..., None], truth.pos - rpos[:, None, :], 0.0)
        dv = np.where(alive[..., None], truth.vel - rvel[:, None, :], 0.0)
        enu = np.einsum("tij,tnj->tni", basis, d)
        rng_m = np.linalg.norm(enu, axis=-1)
        safe = np.where(rng_m > 0, rng_m, 1.0)
        az = np.arctan2(enu[..., 0], enu[..., 1]) % _TWO_PI
        el = np.arctan2(enu[..., 2], np.hypot(enu[..., 0], enu[..., 1]))
        rr = np.einsum("tni,tni->tn", d, dv) / safe
        off = (az - self.boresight + math.pi) % _TWO_PI - math.pi
        in_view = (
            alive
            & (rng_m > 0)
            & (rng_m <= self.max_range_m)
            & (el >= self.el_min)
            & (el <= self.el_max)
            & ((self.half_span >= math.pi) | (np.abs(off) <= self.half_span))
        )
        ti, ni = np.nonzero(in_view)
        in_view[ti, ni] = line_of_sight_clear(rpos[ti], truth.pos[ti, ni])
        rcs = _RCS_BY_KIND[np.clip(truth.kind, 0, len(KINDS) - 1)]
        snr = radar_snr_db(safe, rcs, self.params.snr_ref_db, self.ref_range_m)
        return {
            "range": rng_m,
            "azimuth": az,
            "elevation": el,
            "range_rate": rr,
            "in_view": in_view,
            "snr_db": snr,
            "antenna_pos": rpos,
        }

    def measure(self, truth: TruthSamples, rng: np.random.Generator) -> MeasurementBatch:
        """Detections at each of ``truth.t`` (each one scan): targets and false alarms."""
        geo = self.measure_true(truth)
        ti, ni = np.nonzero(geo["in_view"])
        snr_lin = 10.0 ** (geo["snr_db"][ti, ni] / 10.0)
        power = (1.0 + snr_lin) * rng.standard_exponential(ti.size)
        hit = power > self.threshold
        ti, ni, power = ti[hit], ni[hit], power[hit]
        cols = [geo["range"], geo["azimuth"], geo["elevation"], geo["range_rate"]]
        m = self.measurement_size
        z_true = np.stack([c[ti, ni] for c in cols[:m]], axis=-1)
        z = z_true + rng.standard_normal(z_true.shape) * self.sigma
        z[:, 1] %= _TWO_PI

        # False alarms: Poisson count per scan, uniform over the field of view.
        p = self.params
        n_fa = rng.poisson(p.false_alarms_per_scan, size=truth.t.size)
        tf = np.repeat(np.arange(truth.t.size), n_fa)
        k = tf.size
        fa = [
            rng.uniform(0.0, self.max_range_m, k),
            (self.boresight + rng.uniform(-self.half_span, self.half_span, k)) % _TWO_PI,
            rng.uniform(self.el_min, self.el_max, k),
            rng.uniform(-p.max_range_rate_mps, p.max_range_rate_mps, k),
        ]
        fa_power = self.threshold + rng.standard_exponential(k)

        t_idx = np.concatenate([ti, tf])
        count = t_idx.size
        return MeasurementBatch.build(
            sensor_id=self.id,
            partner=self.partner,
            kind=self.kind,
            t=truth.t[t_idx],
            z=np.concatenate([z, np.stack(fa[:m], axis=-1)]),
            R=np.broadcast_to(self.R, (count, m, m)),
            snr_db=10.0 * np.log10(np.concatenate([power, fa_power])),
            sensor_pos=geo["antenna_pos"][t_idx],
            truth_index=np.concatenate([ni, np.full(k, -1)]),
            object_ids=truth.object_ids,
        )

    def detect(
        self, truth: TruthSamples, rng: np.random.Generator
    ) -> tuple[list[Detection], TruthLabels]:
        """Detections as messages, with the parallel truth labels (None: false alarm)."""
        return self.measure(truth, rng).to_messages()
