"""The field's reference: the best tracker Stone Soup offers for Lookout's problem.

``run_stonesoup(detections)`` feeds Lookout's detections, in time order and grouped in scans
(one scan = one sensor at one instant), to a tracker composed of Stone Soup's own components, and
returns the same ``TrackerOutput`` as ``lookout.tracking.track``, so that ``lookout.scoring.score``
applies unchanged. It needs the optional extra: ``pip install 'lookout[stonesoup]'``.

The components, chosen to make the baseline credible rather than a straw man:

- **Motion**: Stone Soup has no ballistic model, so ``BallisticECEF`` is a small
  ``GaussianTransitionModel`` subclass: the ECEF state propagated by RK4 under the same J2 gravity
  as the flight model (``lookout.physics.gravity``) plus the Coriolis and centrifugal terms of the
  rotating frame, with white-noise acceleration of spectral density ``accel_noise`` (m²/s³) for
  everything else (thrust, drag). One model for all phases: Stone Soup has no IMM.
- **Filter**: Stone Soup's extended Kalman predictor and updater (``filter="ekf"``, the default;
  the Jacobian of the motion is Stone Soup's finite difference) or its unscented ones
  (``filter="ukf"``).
- **Radar**: ``CartesianToElevationBearingRange`` (``...RangeRate`` when the detection carries a
  range-rate) at the antenna, with the ECEF→(north, east, up) rotation, so that Stone Soup's
  bearing ``atan2(y, x)`` is the radar azimuth from north, clockwise. The antenna is taken as
  still for range-rate (the detection does not carry a ship's velocity).
- **Infrared**: ``CartesianToElevationBearing`` from the satellite, with no rotation (the
  line-of-sight angles are in ECEF axes). Infrared detections update tracks; they cannot start
  one (a line of sight is not reversible), so tracks start from radar only.
- **Association**: ``DistanceHypothesiser`` with the ``Mahalanobis`` measure and a gate of
  ``gate_sigma``, ``GNNWith2DAssignment``.
- **Initiation**: ``MultiMeasurementInitiator`` (the same GNN; ``min_points`` updates to
  confirm), from each radar detection's inverse measurement and a velocity prior of
  ``prior_speed_mps`` per axis.
- **Deletion**: ``UpdateTimeDeleter``, ``delete_after_s`` without an update
  (``tentative_delete_after_s`` for a track still held by the initiator).

Reports are every live track predicted (Stone Soup's predictor) to each report instant, after
every scan at or before that instant.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np

from lookout.geodesy import GM_EARTH, J2, OMEGA_EARTH, R_EQUATOR, ecef_to_geodetic, enu_basis
from lookout.physics.integrate import rk4_step
from lookout.timebase import ns_to_s
from lookout.tracking.log import TrackerOutput, TrackLog

#: Stone Soup timestamps are datetimes; this one stands for the scenario epoch.
EPOCH = datetime(2000, 1, 1)
_MAX_STEP_S = 5.0


@dataclass(frozen=True)
class StoneSoupConfig:
    """Parameters of the Stone Soup baseline.

    ``filter``: ``"ekf"`` or ``"ukf"``. ``accel_noise``: white-noise acceleration spectral
    density, m²/s³. ``gate_sigma``: Mahalanobis gate (σ). ``min_points``: updates to confirm a
    track. ``delete_after_s``: deletion after that long without an update
    (``tentative_delete_after_s`` for a track not yet confirmed). ``prior_speed_mps``:
    prior standard deviation of each velocity component of a new track. ``use_infrared``: feed
    infrared detections (as updates of radar-started tracks).
    """

    filter: str = "ekf"
    accel_noise: float = 30.0
    gate_sigma: float = 5.0
    min_points: int = 3
    delete_after_s: float = 10.0
    tentative_delete_after_s: float = 5.0
    prior_speed_mps: float = 4000.0
    use_infrared: bool = True

    def __post_init__(self) -> None:
        if self.filter not in ("ekf", "ukf"):
            raise ValueError(f"filter = {self.filter!r}, expected 'ekf' or 'ukf'")
        for name in (
            "accel_noise",
            "gate_sigma",
            "delete_after_s",
            "tentative_delete_after_s",
            "prior_speed_mps",
        ):
            if not getattr(self, name) > 0:
                raise ValueError(f"{name} = {getattr(self, name)!r}, expected > 0")
        if self.min_points < 1:
            raise ValueError(f"min_points = {self.min_points!r}, expected >= 1")


def _acceleration(_t, pos: np.ndarray, vel: np.ndarray) -> np.ndarray:
    """ECEF acceleration (n, 3) at positions and velocities (n, 3): J2 gravity (as
    ``lookout.physics.gravity.gravity_j2``), Coriolis and centrifugal terms of the frame rotating
    at ``OMEGA_EARTH`` about z. The same model as ``lookout.physics.frame``, written on its own:
    it groups the terms otherwise (``(f + w2) x`` where the shared function adds ``w2 x`` to
    ``f x``), so routing it through the shared function would change the baseline's figures in
    their last bits."""
    x, y, z = pos[:, 0], pos[:, 1], pos[:, 2]
    vx, vy = vel[:, 0], vel[:, 1]
    r2 = x * x + y * y + z * z
    z2 = z * z / r2
    k = 1.5 * J2 * R_EQUATOR**2 / r2
    base = -GM_EARTH / (r2 * np.sqrt(r2))
    f = base * (1.0 + k * (1.0 - 5.0 * z2))
    w2, w = OMEGA_EARTH**2, 2.0 * OMEGA_EARTH
    out = np.empty_like(pos)
    out[:, 0] = (f + w2) * x + w * vy
    out[:, 1] = (f + w2) * y - w * vx
    out[:, 2] = base * (1.0 + k * (3.0 - 5.0 * z2)) * z
    return out


def ballistic_propagate(x: np.ndarray, dt: float) -> np.ndarray:
    """ECEF states (6, n) propagated ``dt`` s under J2 gravity in the rotating frame, by RK4
    (``lookout.physics.integrate``)."""
    s = np.array(x, dtype=float)
    if dt == 0.0:
        return s
    n_steps = max(1, math.ceil(abs(dt) / _MAX_STEP_S))
    h = np.full(s.shape[1], dt / n_steps)
    pos, vel = s[0:3].T, s[3:6].T
    for _ in range(n_steps):
        pos, vel = rk4_step(_acceleration, None, pos, vel, h)
    return np.concatenate([pos.T, vel.T])


def _models():
    """Stone Soup classes, imported on first use so that Lookout does not need Stone Soup."""
    from stonesoup.base import Property
    from stonesoup.models.base import TimeVariantModel
    from stonesoup.models.measurement.nonlinear import (
        CartesianToElevationBearingRange,
        CartesianToElevationBearingRangeRate,
    )
    from stonesoup.models.transition.nonlinear import GaussianTransitionModel
    from stonesoup.types.array import CovarianceMatrix, StateVector, StateVectors

    class BallisticECEF(GaussianTransitionModel, TimeVariantModel):
        """Ballistic motion in ECEF (J2 gravity, rotating frame) with white-noise acceleration.

        State ``[x, y, z, vx, vy, vz]`` (m, m/s)."""

        accel_noise: float = Property(doc="Acceleration noise spectral density, m²/s³")

        @property
        def ndim_state(self) -> int:
            return 6

        def function(self, state, noise=False, **kwargs):
            dt = kwargs["time_interval"].total_seconds()
            sv = np.asarray(state.state_vector, dtype=float)
            out = ballistic_propagate(sv, dt)
            if isinstance(noise, bool) or noise is None:
                noise = self.rvs(num_samples=sv.shape[1], **kwargs) if noise else 0
            out = out + noise
            return StateVectors(out) if out.shape[1] > 1 else StateVector(out)

        def covar(self, time_interval, **kwargs):
            dt = abs(time_interval.total_seconds())
            q = self.accel_noise
            eye = np.eye(3)
            return CovarianceMatrix(
                np.block(
                    [
                        [q * dt**3 / 3 * eye, q * dt**2 / 2 * eye],
                        [q * dt**2 / 2 * eye, q * dt * eye],
                    ]
                )
            )

    class RadarModel(CartesianToElevationBearingRange):
        """Elevation, bearing, range at a radar, with a given ECEF→sensor rotation."""

        rotation: np.ndarray = Property(doc="ECEF -> sensor axes, (3, 3)")

        @property
        def rotation_matrix(self):
            return self.rotation

    class RadarRateModel(CartesianToElevationBearingRangeRate):
        """Elevation, bearing, range, range-rate at a radar, with a given rotation."""

        rotation: np.ndarray = Property(doc="ECEF -> sensor axes, (3, 3)")

        @property
        def rotation_matrix(self):
            return self.rotation

    return BallisticECEF, RadarModel, RadarRateModel


def _build(config: StoneSoupConfig):
    from stonesoup.dataassociator.neighbour import GNNWith2DAssignment
    from stonesoup.deleter.time import UpdateTimeDeleter
    from stonesoup.hypothesiser.distance import DistanceHypothesiser
    from stonesoup.initiator.simple import MultiMeasurementInitiator
    from stonesoup.measures import Mahalanobis
    from stonesoup.predictor.kalman import ExtendedKalmanPredictor, UnscentedKalmanPredictor
    from stonesoup.types.state import GaussianState
    from stonesoup.updater.kalman import ExtendedKalmanUpdater, UnscentedKalmanUpdater

    ballistic, *_ = _models()
    transition = ballistic(accel_noise=config.accel_noise)
    if config.filter == "ukf":
        predictor = UnscentedKalmanPredictor(transition)
        updater = UnscentedKalmanUpdater(measurement_model=None)
    else:
        predictor = ExtendedKalmanPredictor(transition)
        updater = ExtendedKalmanUpdater(measurement_model=None)
    hypothesiser = DistanceHypothesiser(
        predictor, updater, measure=Mahalanobis(), missed_distance=config.gate_sigma
    )
    associator = GNNWith2DAssignment(hypothesiser)
    deleter = UpdateTimeDeleter(timedelta(seconds=config.delete_after_s))
    prior = GaussianState(
        np.zeros((6, 1)), np.diag([0.0] * 3 + [config.prior_speed_mps**2] * 3), timestamp=EPOCH
    )
    initiator = MultiMeasurementInitiator(
        prior_state=prior,
        deleter=UpdateTimeDeleter(timedelta(seconds=config.tentative_delete_after_s)),
        data_associator=GNNWith2DAssignment(hypothesiser),
        updater=updater,
        min_points=config.min_points,
        skip_non_reversible=True,
    )
    return predictor, updater, associator, deleter, initiator


class _MeasurementModels:
    """One Stone Soup measurement model per sensor position (a fixed radar: one in all)."""

    def __init__(self) -> None:
        from stonesoup.models.measurement.nonlinear import CartesianToElevationBearing

        _, self.radar, self.radar_rate = _models()
        self.los = CartesianToElevationBearing
        self.cache: dict = {}

    def __call__(self, det, R: np.ndarray):
        pos = tuple(det.sensor_pos_ecef_m)
        key = (det.sensor_id, len(det.z), pos, R.tobytes())
        model = self.cache.get(key)
        if model is not None:
            return model
        offset = np.array(pos, dtype=float).reshape(3, 1)
        if det.kind == "radar":
            lat, lon, _ = ecef_to_geodetic(np.array(pos))
            e, n, u = enu_basis(lat, lon)
            # Rows north, east, up: Stone Soup's bearing atan2(y, x) is then the azimuth from
            # north, clockwise, and its elevation the elevation above the local horizontal.
            rot = np.stack([n, e, u])
            # Stone Soup orders [elevation, bearing, range(, range-rate)]; ours [range, az, el(,
            # range-rate)].
            perm = [2, 1, 0, 3][: len(det.z)]
            cls = self.radar if len(det.z) == 3 else self.radar_rate
            model = cls(
                ndim_state=6,
                mapping=(0, 1, 2),
                noise_covar=R[np.ix_(perm, perm)],
                translation_offset=offset,
                rotation=rot,
                **({"velocity_mapping": (3, 4, 5)} if len(det.z) == 4 else {}),
            )
        else:
            perm = [1, 0]
            model = self.los(
                ndim_state=6,
                mapping=(0, 1, 2),
                noise_covar=R[np.ix_(perm, perm)],
                translation_offset=offset,
            )
        self.cache[key] = model
        return model


def _to_stonesoup(detections: Sequence, use_infrared: bool):
    """Stone Soup detections, grouped in scans (sensor, instant) in time order: a list of
    (t_s, timestamp, set of detections); each detection's metadata holds its input index."""
    from stonesoup.types.angle import Bearing, Elevation
    from stonesoup.types.array import StateVector
    from stonesoup.types.detection import Detection as SSDetection

    models = _MeasurementModels()
    t_ns = np.array([d.t_ns for d in detections], dtype=np.int64)
    sensor = np.array([d.sensor_id for d in detections], dtype=object)
    order = np.lexsort((np.arange(t_ns.size), sensor.astype(str), t_ns))
    scans: list = []
    last_key = None
    for i in order:
        det = detections[i]
        if det.kind == "infrared" and not use_infrared:
            continue
        key = (det.t_ns, det.sensor_id)
        if key != last_key:
            ts = EPOCH + timedelta(microseconds=det.t_ns / 1e3)
            scans.append((ns_to_s(det.t_ns), ts, set()))
            last_key = key
        R = np.asarray(det.R, dtype=float)
        z = det.z
        if det.kind == "radar":
            vec = [Elevation(z[2]), Bearing(z[1]), z[0], *z[3:]]
        else:
            vec = [Elevation(z[1]), Bearing(z[0])]
        scans[-1][2].add(
            SSDetection(
                StateVector(vec),
                timestamp=scans[-1][1],
                measurement_model=models(det, R),
                metadata={"index": int(i)},
            )
        )
    return scans


def run_stonesoup(
    detections: Sequence,
    *,
    report_period_s: float = 1.0,
    t_end: float | None = None,
    config: StoneSoupConfig | None = None,
) -> TrackerOutput:
    """Track ``detections`` (``lookout.messages.Detection``, any order) with Stone Soup.

    Reports every ``report_period_s`` s, on multiples of it, from the first detection to
    ``t_end`` (default: the last detection). Rows of ``updates`` carry the index of their
    detection in ``detections``; ``boost_prob`` is NaN (one motion model, no estimate);
    every output track is confirmed (tentative ones stay inside Stone Soup's initiator).
    """
    config = config or StoneSoupConfig()
    wall0 = time.perf_counter()
    predictor, updater, associator, deleter, initiator = _build(config)
    scans = _to_stonesoup(detections, config.use_infrared)

    tracks: set = set()
    confirmed: list = []
    rep_rows: list = []
    numbers: dict = {}
    t_last = scans[-1][0] if scans else 0.0
    t_end = t_last if t_end is None else float(t_end)
    t_first = scans[0][0] if scans else 0.0
    n0 = math.ceil(t_first / report_period_s - 1e-9)
    n1 = math.floor(t_end / report_period_s + 1e-9)
    report_t = np.arange(n0, n1 + 1) * report_period_s if scans else np.zeros(0)
    r = 0

    def report_until(t_s: float) -> None:
        nonlocal r
        while r < report_t.size and report_t[r] < t_s - 1e-9:
            ts = EPOCH + timedelta(seconds=float(report_t[r]))
            for track in tracks:
                pred = predictor.predict(track.state, timestamp=ts)
                rep_rows.append((report_t[r], numbers[track.id], pred.state_vector, pred.covar))
            r += 1

    for t_s, ts, dets in scans:
        report_until(t_s)
        used = set()
        if tracks:
            for track, hyp in associator.associate(tracks, dets, ts).items():
                if hyp:
                    track.append(updater.update(hyp))
                    used.add(hyp.measurement)
                else:
                    track.append(hyp.prediction)
            tracks -= deleter.delete_tracks(tracks)
        for track in initiator.initiate(dets - used, ts):
            numbers[track.id] = len(numbers) + 1
            tracks.add(track)
            confirmed.append(track)
    report_until(t_end + 1e-6)

    updates = _update_log(confirmed, numbers)
    reports = _log(rep_rows, np.full(len(rep_rows), -1, dtype=np.int64))
    return TrackerOutput(
        updates=updates,
        reports=reports,
        n_detections=len(detections),
        wall_s=time.perf_counter() - wall0,
    )


def _update_log(tracks: list, numbers: dict) -> TrackLog:
    from stonesoup.types.update import Update

    rows, index = [], []
    for track in tracks:
        for state in track.states:
            if isinstance(state, Update) and state.hypothesis.measurement is not None:
                meta = getattr(state.hypothesis.measurement, "metadata", None) or {}
                if "index" not in meta:
                    continue
                t = (state.timestamp - EPOCH).total_seconds()
                rows.append((t, numbers[track.id], state.state_vector, state.covar))
                index.append(meta["index"])
    return _log(rows, np.array(index, dtype=np.int64))


def _log(rows: list, detection_index: np.ndarray) -> TrackLog:
    if not rows:
        return TrackLog.empty()
    t, ids, x, P = zip(*rows, strict=True)
    k = len(rows)
    return TrackLog(
        t=np.array(t, dtype=float),
        track_id=np.array(ids, dtype=np.int64),
        x=np.array([np.asarray(v, dtype=float).ravel() for v in x]),
        P=np.array([np.asarray(c, dtype=float) for c in P]),
        boost_prob=np.full(k, np.nan),
        detection_index=detection_index,
        confirmed=np.ones(k, dtype=bool),
    )
