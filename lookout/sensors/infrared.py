"""Space-based infrared: a satellite that sees burning plumes above the cloud tops.

Measurement ``z = [azimuth_rad, elevation_rad]``: the angles of the unit line of sight ``u`` from
the satellite to the plume, in ECEF axes, ``u = (cos el cos az, cos el sin az, sin el)``, azimuth
in [-π, π). The detection carries the satellite's ECEF position, so the line of sight is a ray in
ECEF. The focal-plane error is isotropic, ``sigma_los_urad`` on each of two perpendicular axes,
so ``R = diag((sigma / cos el)², sigma²)`` in rad² (azimuth stretches by 1 / cos el). The frame
is singular only for a line of sight along the Earth's axis, which a geostationary sensor never
has.

A plume is seen in a frame when the object is alive and thrusting, above ``cloud_top_km``, the
line of sight clears the Earth raised by the cloud tops (``horizon.line_of_sight_clear``), and
its SNR reaches ``snr_min_db``. SNR is the plume's irradiance at the aperture over the sensor's
noise-equivalent irradiance: ``I / (range² NEI)``, with a stated in-band plume radiant intensity
``I``; the reported ``snr_db`` is that expected value. Light time (0.12 s from geostationary
orbit) and aberration are neglected; both are below the noise for a plume moving a few km/s.
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
from lookout.fields import Finite, Lon, NonEmpty, NonNegative, Positive
from lookout.geodesy import ecef_to_geodetic
from lookout.messages import Detection
from lookout.sensors import _validate as v
from lookout.sensors.batch import MeasurementBatch
from lookout.sensors.horizon import line_of_sight_clear
from lookout.sensors.orbit import KeplerOrbit, geostationary_ecef
from lookout.sensors.schedule import default_phase_s, scan_times
from lookout.sensors.truth import TruthLabels, TruthSamples


@dataclass(frozen=True)
class InfraredParams:
    """An infrared satellite's parameters, as a scenario states them.

    Either ``geo_lon_deg`` (geostationary) or ``orbit`` (a ``KeplerOrbit`` or a mapping of its
    fields). Defaults describe a generic geostationary early-warning sensor: 1 s frames, 20 µrad
    line-of-sight noise (about 0.7 km at the ground from geostationary orbit), a 100 kW/sr plume
    (a medium liquid-fuel booster in the 2.7 µm band, order of magnitude) seen at about 29 dB.
    """

    id: NonEmpty
    partner: NonEmpty
    geo_lon_deg: Lon | None = None
    orbit: KeplerOrbit | None = None
    frame_s: Positive = 1.0
    phase_s: NonNegative | None = None
    sigma_los_urad: Positive = 20.0
    cloud_top_km: Annotated[float, Meta(ge=0.0, le=100.0)] = 10.0
    plume_intensity_kw_sr: Positive = 100.0
    nei_w_m2: Positive = 1e-13
    snr_min_db: Finite = 10.0

    def __post_init__(self) -> None:
        who = f"infrared {self.id!r}"
        if isinstance(self.orbit, dict):
            try:
                object.__setattr__(self, "orbit", KeplerOrbit(**self.orbit))
            except TypeError as exc:
                v.fail(who, "orbit", self.orbit, f"KeplerOrbit fields ({exc})")
        if (self.geo_lon_deg is None) == (self.orbit is None):
            v.fail(who, "orbit", self.orbit, "either geo_lon_deg or an orbit, not both")
        fields.check(self, functools.partial(v.fail, who))
        if self.phase_s is not None and self.phase_s > self.frame_s:
            v.fail(who, "phase_s", self.phase_s, f"<= frame_s ({self.frame_s:g})")

    @classmethod
    def from_dict(cls, data: dict) -> InfraredParams:
        """From a scenario mapping; unknown keys are an error naming them."""
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            who = f"infrared {data.get('id', '?')!r}"
            v.fail(who, unknown[0], data[unknown[0]], f"one of the infrared fields {sorted(known)}")
        return cls(**data)


def plume_snr_db(range_m, intensity_w_sr: float, nei_w_m2: float) -> np.ndarray:
    """SNR (dB) of a point plume of radiant intensity ``intensity_w_sr`` at ``range_m``."""
    range_m = np.asarray(range_m, dtype=float)
    return 10.0 * np.log10(intensity_w_sr / (range_m**2 * nei_w_m2))


class InfraredSatellite:
    """A space-based infrared sensor (``lookout.sensors.Sensor``)."""

    kind = "infrared"

    def __init__(self, params: InfraredParams) -> None:
        p = params
        self.params = p
        self.id, self.partner = p.id, p.partner
        self.sigma = p.sigma_los_urad * 1e-6
        self.cloud_top_m = p.cloud_top_km * 1e3
        self.intensity_w_sr = p.plume_intensity_kw_sr * 1e3
        self.phase_s = p.phase_s if p.phase_s is not None else default_phase_s(p.id, p.frame_s)
        self._geo_pos = None if p.geo_lon_deg is None else geostationary_ecef(p.geo_lon_deg)

    def scan_times(self, t0: float, t1: float) -> np.ndarray:
        """Frame instants (s) in [t0, t1)."""
        return scan_times(t0, t1, self.params.frame_s, self.phase_s)

    def position_at(self, times) -> np.ndarray:
        """Satellite ECEF position (T, 3) m."""
        times = np.atleast_1d(np.asarray(times, dtype=float))
        if self._geo_pos is not None:
            return np.broadcast_to(self._geo_pos, (times.size, 3))
        return self.params.orbit.position_ecef(times)

    def visible(self, truth: TruthSamples) -> tuple[np.ndarray, np.ndarray]:
        """(T, N) bool mask of plumes seen, and (T, N) mean SNR (dB; NaN where not thrusting)."""
        sat = self.position_at(truth.t)
        candidate = truth.alive & truth.thrusting
        ti, ni = np.nonzero(candidate)
        pos = truth.pos[ti, ni]
        _, _, alt = ecef_to_geodetic(pos)
        rng_m = np.linalg.norm(pos - sat[ti], axis=-1)
        snr = plume_snr_db(rng_m, self.intensity_w_sr, self.params.nei_w_m2)
        ok = (
            (alt > self.cloud_top_m)
            & (snr >= self.params.snr_min_db)
            & line_of_sight_clear(sat[ti], pos, self.cloud_top_m)
        )
        seen = np.zeros(candidate.shape, dtype=bool)
        seen[ti, ni] = ok
        snr_all = np.full(candidate.shape, np.nan)
        snr_all[ti, ni] = snr
        return seen, snr_all

    def measure(self, truth: TruthSamples, rng: np.random.Generator) -> MeasurementBatch:
        """Line-of-sight detections at each of ``truth.t`` (each one frame)."""
        sat = self.position_at(truth.t)
        seen, snr = self.visible(truth)
        ti, ni = np.nonzero(seen)
        d = truth.pos[ti, ni] - sat[ti]
        u = d / np.linalg.norm(d, axis=-1, keepdims=True)
        az = np.arctan2(u[:, 1], u[:, 0])
        el = np.arcsin(np.clip(u[:, 2], -1.0, 1.0))
        noise = rng.standard_normal((ti.size, 2)) * self.sigma
        el_m = el + noise[:, 1]
        az_m = az + noise[:, 0] / np.cos(el)
        az_m = (az_m + math.pi) % (2.0 * math.pi) - math.pi
        R = np.zeros((ti.size, 2, 2))
        R[:, 0, 0] = (self.sigma / np.cos(el_m)) ** 2
        R[:, 1, 1] = self.sigma**2
        return MeasurementBatch.build(
            sensor_id=self.id,
            partner=self.partner,
            kind=self.kind,
            t=truth.t[ti],
            z=np.stack([az_m, el_m], axis=-1).reshape(-1, 2),
            R=R,
            snr_db=snr[ti, ni],
            sensor_pos=sat[ti],
            truth_index=ni,
            object_ids=truth.object_ids,
        )

    def detect(
        self, truth: TruthSamples, rng: np.random.Generator
    ) -> tuple[list[Detection], TruthLabels]:
        """Detections as messages, with the parallel truth labels."""
        return self.measure(truth, rng).to_messages()
