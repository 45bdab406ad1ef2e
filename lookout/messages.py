"""The one schema module: every message Lookout exchanges, as msgspec structs.

JSON is for people and files, MessagePack for the wire; both encode the same structs. Every
message type derives from :class:`Message`, which tags each encoded message with a ``"type"``
field, so a stream of mixed messages decodes with ``decode_json(data, type=AnyMessage)``.

Times on the wire are integer nanoseconds from the scenario epoch (``t_ns``); lengths in metres,
angles in radians, speeds in m/s. States are ECEF ``[x, y, z, vx, vy, vz]`` (m, m/s) with full
6x6 covariances, row-major and symmetric.

A detection never says which truth object caused it: the simulator keeps that association apart,
for scoring only.

Between partners every message travels inside an :class:`Envelope`: the MessagePack of exactly
one message, its sender, the sender's sequence number and send time, and an Ed25519 signature
over :func:`signing_bytes` (header and payload together). ``docs/messages.md`` is the reference.

Version history (:data:`SCHEMA_VERSION`):

- 1: :class:`Detection`.
- 2: :class:`DetectionBatch`, :class:`LocalTrack`, :class:`SystemTrack` with its
  :class:`Assessment`, :class:`Heartbeat`, and the signed :class:`Envelope`. :class:`Detection`
  is unchanged: version-1 detections decode as before.
- 3: :class:`SystemTrack` gains ``event_id``, ``object_type`` and ``event_class`` (the launch
  event the track belongs to, what the object is, the event's class); :class:`Alert`, a
  partner's public warning (CAP 1.2 XML) on the exchange. Version-2 system tracks decode with
  the new fields None. (:class:`SystemTrackBatch`, from the exchange's own picture workers,
  came in without a version change: no partner sends or reads it.)
- 4: :class:`SystemTrack` gains ``last_detection_ns`` (when a sensor last saw the object, so a
  reader can tell a state seen a second ago from one coasted unseen for minutes).
- 5: every float field names its unit: ``Detection.sensor_pos_ecef_m`` and
  ``Assessment.launch_lat_rad``/``launch_lon_rad``/``impact_lat_rad``/``impact_lon_rad`` (were
  without the suffix). Version-4 envelopes are refused like any other.
  :class:`LocalTrack` gains ``last_detection_ns`` (optional: None when not known; the fusion
  then guesses an update from a covariance that did not grow).
  :class:`Assessment` gains ``impact_areas`` (optional, :class:`AreaShare`: the areas an
  impact's 95% region covers with their shares; empty when not given).
  :class:`SystemTrack` gains ``interim`` (false: a report instant's track, as before; true:
  an update of one track between report instants; optional: the version is not bumped, as for
  ``impact_areas``, see docs/messages.md).
- 6: :class:`SystemTrack` gains ``notices`` (the partners' pre-launch notifications its
  launch event matches; optional, empty when none), and :class:`LaunchNotice`, a partner's
  pre-launch notification, is a new payload type. A version-5 system track (MessagePack or
  JSON, without ``notices``) decodes with the list empty; version-5 envelopes are refused like
  any other version. :class:`LocalTrack` gains ``launch`` and then ``coasting_on_fit``
  (optional, the version not bumped, as for ``last_detection_ns``; docs/messages.md).
"""

from __future__ import annotations

import itertools
import math
import struct
from collections.abc import Sequence
from typing import Annotated, Any, Literal

import msgspec
import numpy as np

from lookout.timebase import NS_PER_S

#: Version of this schema; bumped on any change that old readers cannot decode.
SCHEMA_VERSION = 6

#: Sensor kinds and the layout of their measurement vector ``z``.
SENSOR_KINDS = ("radar", "infrared")
MEASUREMENT_SIZES = {"radar": (3, 4), "infrared": (2,)}

# --- physical plausibility -------------------------------------------------------------------
# What a message may say and still be about a real object near the Earth (SI). Generous on
# purpose: these bounds refuse the absurd (a state at 1e300 m, a radar under the crust, a
# covariance that is no covariance), never a real measurement or estimate.

#: Largest magnitude of any float anywhere in a message, and of any int (int64 with room).
MAX_FLOAT = 1e15
MAX_INT = 2**62
#: Longest string and list anywhere in a message (a batch's detections have their own bound).
MAX_STR = 256
MAX_LIST = 256
#: Largest CAP alert (bytes) in an ``Alert``.
MAX_ALERT_BYTES = 60_000
#: Most detections in one batch.
MAX_BATCH_DETECTIONS = 1000
#: Geocentric distance (m) of an object's estimated position: from 100 km under the pole's
#: surface to beyond geostationary orbit; its speed (m/s): above escape speed.
MIN_OBJECT_RADIUS_M = 6.25e6
MAX_OBJECT_RADIUS_M = 1.0e8
MAX_SPEED_MPS = 2.0e4
#: Where a sensor may be: a radar on the ground, at sea or in the air (Dead Sea to 20 km up,
#: pole to equator); an infrared satellite from low orbit to beyond geostationary.
SENSOR_RADIUS_M = {"radar": (6.33e6, 6.40e6), "infrared": (6.45e6, 5.0e7)}
#: Largest radar range (m) and range rate (m/s), and the 1-sigma bounds of a covariance:
#: positions (m), velocities (m/s), angles (rad).
MAX_RADAR_RANGE_M = 5.0e7
MAX_SIGMA_POSITION_M = 1.0e7
MAX_SIGMA_VELOCITY_MPS = 1.0e5
MAX_SNR_DB = 300.0
_TWO_PI = 2.0 * math.pi


def check_generic(msg: Any, name: str | None = None, *, passed: Any = None) -> None:
    """The rules every message obeys, by walking its fields: floats finite and at most
    :data:`MAX_FLOAT` in magnitude, ints at most :data:`MAX_INT`, strings and lists at most
    :data:`MAX_STR` / :data:`MAX_LIST` long, nested structs checked the same way. Raises
    ``ValueError`` naming the field (``SystemTrack.assessment.apogee_m``). ``passed``: an
    object (not None) that passed these rules before, a frozen struct (a system track's
    assessment, the same in every message of its track until the next one): a field holding
    that very object is not walked again."""
    name = name or type(msg).__name__
    for field in msg.__struct_fields__:
        v = getattr(msg, field)
        if v is passed and v is not None:
            continue
        _check_value(f"{name}.{field}", v)


def _plain_floats(v: list) -> bool:
    """Whether every element of ``v`` is a float, finite and at most ``MAX_FLOAT`` in magnitude
    (a loop: a generator in ``all`` costs twice as much on a covariance's rows)."""
    for e in v:
        if not (type(e) is float and math.isfinite(e) and abs(e) <= MAX_FLOAT):
            return False
    return True


def _check_value(name: str, v: Any) -> None:
    if isinstance(v, bool) or v is None:
        return
    if isinstance(v, float):
        if not (math.isfinite(v) and abs(v) <= MAX_FLOAT):
            raise ValueError(f"{name}: {v!r} is not a finite number of plausible size")
    elif isinstance(v, int):
        if abs(v) > MAX_INT:
            raise ValueError(f"{name}: {v} is out of range (|v| <= 2**62)")
    elif isinstance(v, str | bytes):
        if len(v) > MAX_STR:
            raise ValueError(f"{name}: {len(v)} characters, at most {MAX_STR}")
    elif isinstance(v, list | tuple):
        if len(v) > MAX_LIST:
            raise ValueError(f"{name}: {len(v)} elements, at most {MAX_LIST}")
        for i, item in enumerate(v):
            if type(item) is float:  # the common case inline (no name made unless it fails)
                if math.isfinite(item) and abs(item) <= MAX_FLOAT:
                    continue
            elif type(item) is list:
                if len(item) <= MAX_LIST and _plain_floats(item):
                    continue
            _check_value(f"{name}[{i}]", item)
    elif isinstance(v, msgspec.Struct):
        if isinstance(v, Message):
            v.check()
        else:
            check_generic(v, name)


def _check_covariance_reference(name: str, C: Any, sigma_max: Any) -> None:
    """``C`` (..., n, n): symmetric, positive definite, 1-sigma at most ``sigma_max`` (n,)."""
    C = np.asarray(C, dtype=float)
    scale = np.abs(C).max(axis=(-2, -1), keepdims=True)
    if not np.all(np.abs(C - np.swapaxes(C, -1, -2)) <= 1e-9 * scale + 1e-300):
        raise ValueError(f"{name}: not symmetric")
    diagonal = np.diagonal(C, axis1=-2, axis2=-1)
    if np.any(diagonal > np.asarray(sigma_max, dtype=float) ** 2):
        raise ValueError(
            f"{name}: a standard deviation above its bound {sigma_max}: diagonal {diagonal}"
        )
    try:
        np.linalg.cholesky(C)
    except np.linalg.LinAlgError:
        raise ValueError(f"{name}: not positive definite") from None


def _check_covariance(name: str, C: Any, sigma_max: Any) -> None:
    """``C`` (..., n, n): symmetric, positive definite, 1-sigma at most ``sigma_max`` (n,).

    ``_check_covariance_reference``'s verdict, with one matrix of finite numbers (a track's
    ``P``: every local and system track checked) tested in plain floats, not a dozen numpy
    calls on a 6 x 6 (some 50 µs a track): the same operations on the same doubles (``|a - b|``
    against ``1e-9 * scale + 1e-300``, the diagonal against ``s * s``, numpy's ``**2``), then
    the same ``np.linalg.cholesky``. Anything else, and any matrix that fails, goes through the
    reference, which raises its own message."""
    n = len(sigma_max)
    rows = C.tolist() if type(C) is np.ndarray and C.shape == (n, n) else C
    if not (type(rows) is list and len(rows) == n and _finite_rows(rows, n)):
        return _check_covariance_reference(name, C, sigma_max)
    tol = 1e-9 * max(max(map(abs, row)) for row in rows) + 1e-300
    for i, row in enumerate(rows):
        s = float(sigma_max[i])
        if row[i] > s * s:
            return _check_covariance_reference(name, C, sigma_max)
        for j in range(i + 1, n):
            if not abs(row[j] - rows[j][i]) <= tol:
                return _check_covariance_reference(name, C, sigma_max)
    try:
        np.linalg.cholesky(rows)
    except np.linalg.LinAlgError:
        return _check_covariance_reference(name, C, sigma_max)
    return None


def _finite_rows(rows: list, n: int) -> bool:
    """Whether ``rows`` are ``n`` lists of ``n`` finite floats each."""
    for row in rows:
        if type(row) is not list or len(row) != n:
            return False
        for e in row:
            if not (type(e) is float and math.isfinite(e)):
                return False
    return True


def _check_state_reference(owner: str, x: Any, P: Any) -> None:
    """A plausible ECEF state and covariance: position near the Earth, speed below escape."""
    x = np.asarray(x, dtype=float)
    r, v = float(np.linalg.norm(x[:3])), float(np.linalg.norm(x[3:]))
    if not MIN_OBJECT_RADIUS_M <= r <= MAX_OBJECT_RADIUS_M:
        raise ValueError(
            f"{owner}.x: geocentric distance {r:.6g} m outside "
            f"[{MIN_OBJECT_RADIUS_M:g}, {MAX_OBJECT_RADIUS_M:g}]"
        )
    if not v <= MAX_SPEED_MPS:
        raise ValueError(f"{owner}.x: speed {v:.6g} m/s above {MAX_SPEED_MPS:g}")
    _check_covariance_reference(
        f"{owner}.P", P, [MAX_SIGMA_POSITION_M] * 3 + [MAX_SIGMA_VELOCITY_MPS] * 3
    )


#: ``_check_state``'s bounds on the distance and the speed, narrowed by a relative 1e-9: a
#: figure worked out in plain floats (another order of the sum of squares than numpy's, a few
#: units of the last place apart) and inside these is inside the bounds whichever way it is
#: summed; one outside them goes through the reference.
_R_LO, _R_HI = MIN_OBJECT_RADIUS_M * (1.0 + 1e-9), MAX_OBJECT_RADIUS_M * (1.0 - 1e-9)
_V_HI = MAX_SPEED_MPS * (1.0 - 1e-9)
_SIGMA_STATE = [MAX_SIGMA_POSITION_M] * 3 + [MAX_SIGMA_VELOCITY_MPS] * 3


def _check_state(owner: str, x: Any, P: Any) -> None:
    """A plausible ECEF state and covariance: position near the Earth, speed below escape.

    ``_check_state_reference``'s verdict (and its message when it fails), the distance and
    speed of six finite floats taken in plain floats, away from the bounds (``_R_LO``...)."""
    xs = x.tolist() if type(x) is np.ndarray else x
    if type(xs) is list and len(xs) == 6 and all(type(v) is float for v in xs):
        a, b, c, d, e, f = xs
        r, v = math.sqrt(a * a + b * b + c * c), math.sqrt(d * d + e * e + f * f)
        if _R_LO <= r <= _R_HI and v <= _V_HI:
            _check_covariance(f"{owner}.P", P, _SIGMA_STATE)
            return
    _check_state_reference(owner, x, P)


def states_surely_plausible(x: np.ndarray, P: np.ndarray) -> np.ndarray:
    """Which of the states (N, 6) and covariances (N, 6, 6), floats, pass ``_check_state`` for
    sure, in one batch (a report's system tracks: a dozen numpy calls for all, not per track):
    every figure finite, the distance and speed inside the narrowed bounds (``_R_LO``...), the
    covariance's symmetry and diagonal tested as the reference tests them (the same operations
    on the same doubles, matrix by matrix) and one ``np.linalg.cholesky`` of them all (LAPACK's
    factorisation of each matrix, as for one). False: not known here (a row near a bound, a
    failing test, or any matrix of the batch not positive definite); ``_check_state`` tells."""
    x = np.asarray(x, dtype=float)
    P = np.asarray(P, dtype=float)
    n = x.shape[0]
    if n == 0 or x.shape != (n, 6) or P.shape != (n, 6, 6):
        return np.zeros(n, dtype=bool)
    ok = np.zeros(n, dtype=bool)
    rows = np.flatnonzero(np.isfinite(x).all(axis=1) & np.isfinite(P).all(axis=(1, 2)))
    x, P = x[rows], P[rows]
    r = np.sqrt(np.einsum("ij,ij->i", x[:, :3], x[:, :3]))
    v = np.sqrt(np.einsum("ij,ij->i", x[:, 3:], x[:, 3:]))
    good = (r >= _R_LO) & (r <= _R_HI) & (v <= _V_HI)
    scale = np.abs(P).max(axis=(-2, -1), keepdims=True)
    good &= np.all(np.abs(P - np.swapaxes(P, -1, -2)) <= 1e-9 * scale + 1e-300, axis=(1, 2))
    good &= np.all(
        np.diagonal(P, axis1=-2, axis2=-1) <= np.asarray(_SIGMA_STATE, dtype=float) ** 2, axis=1
    )
    if good.any():
        try:
            np.linalg.cholesky(P[good])
        except np.linalg.LinAlgError:
            return ok
    ok[rows[good]] = True
    return ok


def _check_detections(owner: str, dets: Sequence[Detection]) -> None:
    """Vectorised physics of detections (one sensor's, usually): measurement ranges, the
    covariance, the SNR, the sensor's position."""
    by_shape: dict[tuple[str, int], list[int]] = {}
    for i, d in enumerate(dets):
        by_shape.setdefault((d.kind, len(d.z)), []).append(i)
    for (kind, m), idx in by_shape.items():
        z = np.array([dets[i].z for i in idx], dtype=float)
        R = np.array([dets[i].R for i in idx], dtype=float)
        if kind == "radar":
            lo = [0.0, 0.0, -math.pi / 2, -MAX_SPEED_MPS][:m]
            hi = [MAX_RADAR_RANGE_M, _TWO_PI, math.pi / 2, MAX_SPEED_MPS][:m]
            sig = [MAX_SIGMA_POSITION_M, math.pi, math.pi, MAX_SIGMA_VELOCITY_MPS][:m]
            names = ["range_m", "azimuth_rad", "elevation_rad", "range_rate_mps"]
        else:
            lo, hi = [-math.pi, -math.pi / 2], [math.pi, math.pi / 2]
            sig = [math.pi, math.pi]
            names = ["azimuth_rad", "elevation_rad"]
        bad = (z < lo) | (z > hi)
        if kind == "radar":
            bad[:, 0] |= z[:, 0] <= 0.0
        if bad.any():
            k, j = np.argwhere(bad)[0]
            raise ValueError(
                f"{owner}[{idx[k]}].z: {names[j]} = {z[k, j]:.6g} outside "
                f"[{lo[j]:.6g}, {hi[j]:.6g}]"
            )
        _check_covariance(f"{owner}.R", R, sig)
    snr = np.array([d.snr_db for d in dets], dtype=float)
    if np.any(np.abs(snr) > MAX_SNR_DB):
        raise ValueError(f"{owner}.snr_db: {snr[np.abs(snr) > MAX_SNR_DB][0]:g} dB is absurd")
    for i, d in enumerate(dets):
        if d.sensor_pos_ecef_m is not None:
            lo_r, hi_r = SENSOR_RADIUS_M[d.kind]
            r = math.hypot(*d.sensor_pos_ecef_m)
            if not lo_r <= r <= hi_r:
                raise ValueError(
                    f"{owner}[{i}].sensor_pos_ecef_m: a {d.kind} {r:.6g} m from the Earth's "
                    f"centre, expected [{lo_r:g}, {hi_r:g}]"
                )
        if abs(d.t_ns) > MAX_INT:
            raise ValueError(f"{owner}[{i}].t_ns: {d.t_ns} out of range")
        if len(d.sensor_id) > MAX_STR or len(d.partner) > MAX_STR:
            raise ValueError(f"{owner}[{i}]: sensor_id or partner longer than {MAX_STR}")


class Message(msgspec.Struct, frozen=True, kw_only=True, tag_field="type"):
    """Base of every message; subclasses choose their ``type`` tag.

    :meth:`check` is the physical plausibility of a message that decoded (its shape is the
    decoder's): every message type gets the generic rules (finite, bounded numbers, bounded
    lists and strings, see :func:`check_generic`), and a type adds its physics by overriding
    it (calling ``super().check()`` or :func:`check_generic` for the rest).
    """

    def check(self) -> None:
        """Raise ``ValueError`` naming the field and the value unless the message is physically
        plausible."""
        check_generic(self)


class Detection(Message, tag="detection"):
    """One sensor's measurement of one (possibly false) target at one instant.

    ``z`` by ``kind``:

    - ``radar``: ``[range_m, azimuth_rad, elevation_rad]`` or with ``range_rate_mps`` appended,
      in the radar's local East-North-Up frame at ``sensor_pos_ecef_m``; azimuth from north,
      clockwise, in [0, 2π); elevation above the local horizontal plane.
    - ``infrared``: ``[azimuth_rad, elevation_rad]`` of the unit line of sight ``u`` from the
      satellite at ``sensor_pos_ecef_m`` to the plume, in ECEF axes:
      ``u = (cos el cos az, cos el sin az, sin el)``; azimuth in [-π, π).

    ``R`` is the covariance of ``z`` (same order, SI units squared); ``snr_db`` the measured
    signal-to-noise ratio of the detection.
    """

    t_ns: int
    sensor_id: str
    partner: str
    kind: Literal["radar", "infrared"]
    z: list[float]
    R: list[list[float]]
    snr_db: float
    sensor_pos_ecef_m: list[float] | None = None

    def __post_init__(self) -> None:
        # The common case in few operations (this runs for every detection made or decoded);
        # the explanation only when something is wrong.
        R, m = self.R, len(self.z)
        if not (
            m in MEASUREMENT_SIZES[self.kind]
            and len(R) == m
            and set(map(len, R)) == {m}
            and min([R[i][i] for i in range(m)]) > 0.0
            and math.isfinite(sum(self.z) + sum(map(sum, R)) + self.snr_db)
            and (self.sensor_pos_ecef_m is None or len(self.sensor_pos_ecef_m) == 3)
        ):
            self._explain()

    def _explain(self) -> None:
        sizes = MEASUREMENT_SIZES[self.kind]
        m = len(self.z)
        if m not in sizes:
            raise ValueError(
                f"z: a {self.kind} measurement has {' or '.join(map(str, sizes))} elements, got {m}"
            )
        if len(self.R) != m or any(len(row) != m for row in self.R):
            raise ValueError(f"R: expected a {m}x{m} covariance for z of length {m}, got {self.R}")
        for name, values in (("z", self.z), ("R", sum(self.R, [])), ("snr_db", [self.snr_db])):
            if not all(map(math.isfinite, values)):
                raise ValueError(f"{name}: expected finite numbers, got {getattr(self, name)}")
        diagonal = [self.R[i][i] for i in range(m)]
        if any(not x > 0.0 for x in diagonal):
            raise ValueError(f"R: diagonal must be positive, got {diagonal}")
        raise ValueError(
            f"sensor_pos_ecef_m: expected 3 ECEF coordinates (m), got {self.sensor_pos_ecef_m}"
        )

    def check(self) -> None:
        _check_detections("Detection", [self])


def _check_shape(owner: str, x: list[float], P: list[list[float]]) -> None:
    """Raise naming the field unless ``x`` is 6 finite numbers and ``P`` a finite 6x6 with a
    positive diagonal."""
    if len(x) != 6 or not all(map(math.isfinite, x)):
        raise ValueError(f"{owner}.x: expected 6 finite ECEF numbers (m, m/s), got {x}")
    if len(P) != 6 or any(len(row) != 6 for row in P):
        raise ValueError(f"{owner}.P: expected a 6x6 covariance, got {P}")
    if not all(map(math.isfinite, itertools.chain.from_iterable(P))):
        raise ValueError(f"{owner}.P: expected finite numbers, got {P}")
    diagonal = [P[i][i] for i in range(6)]
    if any(not v > 0.0 for v in diagonal):
        raise ValueError(f"{owner}.P: diagonal must be positive, got {diagonal}")


class DetectionBatch(Message, tag="detection_batch"):
    """Detections of one sensor, sent together in one envelope (one signature for many).

    Every detection has this batch's ``partner`` and ``sensor_id``, so releasability, which may
    be per sensor, applies to the batch as a whole. Detections are in time order.
    """

    partner: str
    sensor_id: str
    detections: list[Detection]

    def __post_init__(self) -> None:
        for i, d in enumerate(self.detections):
            if d.partner != self.partner or d.sensor_id != self.sensor_id:
                raise ValueError(
                    f"detections[{i}]: partner/sensor_id {d.partner}/{d.sensor_id} differs from "
                    f"the batch's {self.partner}/{self.sensor_id}"
                )

    def check(self) -> None:
        n = len(self.detections)
        if not 1 <= n <= MAX_BATCH_DETECTIONS:
            raise ValueError(
                f"DetectionBatch.detections: {n} detections, expected 1 to {MAX_BATCH_DETECTIONS}"
            )
        t = [d.t_ns for d in self.detections]
        if any(b < a for a, b in zip(t, t[1:], strict=False)):
            raise ValueError("DetectionBatch.detections: not in time order")
        for name in ("partner", "sensor_id"):
            _check_value(f"DetectionBatch.{name}", getattr(self, name))
        _check_detections("DetectionBatch.detections", self.detections)


class LaunchFit(msgspec.Struct, frozen=True, kw_only=True):
    """A launch fitted by a partner's tracker to one track's boost (a track started from one
    infrared satellite, ``lookout.tracking.mono``): the geodetic launch point ``lat_rad``,
    ``lon_rad``, its (east, north) covariance ``cov_en_m2`` (2x2, m²), the launch time ``t_ns``
    and its 1-sigma ``t_sigma_s``."""

    lat_rad: float
    lon_rad: float
    cov_en_m2: list[list[float]]
    t_ns: int
    t_sigma_s: float


def _check_launch(owner: str, launch: LaunchFit, t_ns: int) -> None:
    """Raise naming the field unless ``launch`` is a launch point on the Earth with a
    plausible covariance, at or before ``t_ns`` (the state it belongs to)."""
    name = f"{owner}.launch"
    if not (math.isfinite(launch.lat_rad) and abs(launch.lat_rad) <= math.pi / 2):
        raise ValueError(
            f"{name}.lat_rad: expected a latitude in [-pi/2, pi/2], got {launch.lat_rad}"
        )
    if not (math.isfinite(launch.lon_rad) and abs(launch.lon_rad) <= math.pi):
        raise ValueError(f"{name}.lon_rad: expected a longitude in [-pi, pi], got {launch.lon_rad}")
    C = launch.cov_en_m2
    if len(C) != 2 or any(len(row) != 2 for row in C):
        raise ValueError(f"{name}.cov_en_m2: expected a 2x2 covariance (m²), got {C}")
    if not all(map(math.isfinite, itertools.chain.from_iterable(C))):
        raise ValueError(f"{name}.cov_en_m2: expected finite numbers, got {C}")
    _check_covariance_reference(f"{name}.cov_en_m2", C, [MAX_SIGMA_POSITION_M] * 2)
    if not (math.isfinite(launch.t_sigma_s) and 0.0 <= launch.t_sigma_s <= MAX_FLOAT):
        raise ValueError(f"{name}.t_sigma_s: expected a sigma >= 0 (s), got {launch.t_sigma_s}")
    if launch.t_ns > t_ns:
        raise ValueError(f"{name}.t_ns: launch at {launch.t_ns} after the state's t_ns {t_ns}")


def _states_sure(tracks: Sequence[Any]) -> list[bool]:
    """Which of ``tracks`` (each with ``x`` and ``P``) pass ``_check_state`` for sure, in one
    batch (``states_surely_plausible``); all False when their shapes differ."""
    try:
        x = np.array([t.x for t in tracks], dtype=float)
        P = np.array([t.P for t in tracks], dtype=float)
    except (ValueError, TypeError):  # ragged, or not numbers: each track tells
        return [False] * len(tracks)
    return states_surely_plausible(x, P).tolist()


class LocalTrack(Message, tag="local_track"):
    """A partner's own track of one object, from its own tracker.

    ``track_id`` is stable within the partner; ``x`` the ECEF state (m, m/s) at ``t_ns``; ``P``
    its full 6x6 covariance (row-major, symmetric); ``boost_prob`` the tracker's probability
    that the object is thrusting, in [0, 1]; ``sensors`` the partner's sensor ids whose
    detections the track has used; ``last_detection_ns`` when the partner's sensors last saw
    the object (the track's last update; None: not told): ``t_ns - last_detection_ns`` is how
    long the state has coasted unseen. ``launch``: the launch its tracker fitted to the track's
    boost (:class:`LaunchFit`; None: none fitted), the one trustworthy part of a track started
    from one satellite, whose states are known to tens of km along its line of sight.
    ``coasting_on_fit``: True while the state is its tracker's prediction from that fit, the
    plume gone out and no sensor seeing the object since ``last_detection_ns`` (a predicted
    flight, not an object lost: its covariance only grows, and is the fit's); it needs
    ``launch``.
    """

    partner: str
    track_id: str
    t_ns: int
    x: list[float]
    P: list[list[float]]
    boost_prob: float
    sensors: list[str]
    last_detection_ns: int | None = None
    launch: LaunchFit | None = None
    coasting_on_fit: bool = False

    def __post_init__(self) -> None:
        _check_shape("LocalTrack", self.x, self.P)
        if not 0.0 <= self.boost_prob <= 1.0:
            raise ValueError(
                f"LocalTrack.boost_prob: expected a probability, got {self.boost_prob}"
            )
        if self.launch is not None:
            _check_launch("LocalTrack", self.launch, self.t_ns)
        if not isinstance(self.coasting_on_fit, bool):
            raise ValueError(
                f"LocalTrack.coasting_on_fit: expected true or false, got {self.coasting_on_fit!r}"
            )
        if self.coasting_on_fit and self.launch is None:
            raise ValueError(
                "LocalTrack.coasting_on_fit: true, but no launch (the fit it coasts on) given"
            )

    def check(self) -> None:
        check_generic(self)
        _check_state("LocalTrack", self.x, self.P)


class LocalTrackBatch(Message, tag="local_track_batch"):
    """A partner's report of one instant ``t_ns``: its local tracks at that instant, sent
    together in one envelope (one signature, one audit row and one relay for the report, not
    one per track). Every track has the batch's ``partner`` and ``t_ns``; releasability is
    decided per track by its node (``Policy.may_publish``: the sensors of every track) before
    it is batched. At most :data:`MAX_LIST` tracks; a node sends a larger report in several
    batches."""

    partner: str
    t_ns: int
    tracks: list[LocalTrack]

    def __post_init__(self) -> None:
        for i, track in enumerate(self.tracks):
            if track.partner != self.partner or track.t_ns != self.t_ns:
                raise ValueError(
                    f"tracks[{i}]: partner/t_ns {track.partner}/{track.t_ns} differs from the "
                    f"batch's {self.partner}/{self.t_ns}"
                )

    def check(self) -> None:
        n = len(self.tracks)
        if not 1 <= n <= MAX_LIST:
            raise ValueError(f"LocalTrackBatch.tracks: {n} tracks, expected 1 to {MAX_LIST}")
        _check_value("LocalTrackBatch.partner", self.partner)
        _check_value("LocalTrackBatch.t_ns", self.t_ns)
        # The tracks' states and covariances tested in one batch (``states_surely_plausible``),
        # not each one's ``_check_state``: mass-raid's 613 batches of 17 tracks, 284 -> 165 µs
        # a batch (fuse56). A track it cannot vouch for is checked on its own, which says why.
        sure = _states_sure(self.tracks)
        for i, track in enumerate(self.tracks):
            try:
                if sure[i]:
                    check_generic(track)
                else:
                    track.check()
            except ValueError as e:
                raise ValueError(f"LocalTrackBatch.tracks[{i}]: {e}") from None


class Ellipse(msgspec.Struct, frozen=True, kw_only=True):
    """A 95% ellipse on the ground: semi-axes (m) and the major axis's azimuth (rad from north,
    clockwise, in [0, π))."""

    semi_major_m: float
    semi_minor_m: float
    orientation_rad: float


class Orbit(msgspec.Struct, frozen=True, kw_only=True):
    """Osculating two-body orbit: perigee and apogee altitudes above the equatorial radius (m),
    inclination (rad), period (s)."""

    perigee_m: float
    apogee_m: float
    inclination_rad: float
    period_s: float


class AreaShare(msgspec.Struct, frozen=True, kw_only=True):
    """One area an impact's 95% region covers: a territory's land and EEZ together (``code``,
    ISO 3166-1 alpha-2, with the ``kind`` holding most of its share), or the high seas
    (``code`` None), and ``prob``, the probability (0 to 1) that the impact lies in it (its
    share of the impact's distribution)."""

    code: str | None
    kind: Literal["land", "eez", "high_seas"]
    prob: float


class Assessment(msgspec.Struct, frozen=True, kw_only=True):
    """What is known of one system track at ``t_ns``; every estimate is None until known.

    ``phase`` as the assessment names it ("boost", "coast", "reentry"). Launch: geodetic
    ``launch_lat_rad``/``launch_lon_rad``, ``launch_time_ns`` with its 1-sigma
    ``launch_time_sigma_ns``, and a 95% ``launch_ellipse``. Impact:
    ``impact_lat_rad``/``impact_lon_rad``, ``impact_time_ns`` (1-sigma ``impact_time_sigma_ns``),
    95% ``impact_ellipse``; ``iip`` is True while thrusting, when the impact is the instantaneous
    impact point (where it would come down if thrust stopped now). ``vehicle_class`` one of
    SRBM/MRBM/IRBM/ICBM; ``orbital`` with its ``orbit`` when the object is in orbit rather than
    ballistic; ``overflown`` ISO 3166-1 alpha-2 codes of the territories the ground track
    crosses, in order; ``impact_area`` the code of the land or EEZ where it comes down (None:
    high seas), ``impact_area_kind`` "land", "eez" or "high_seas" (both None with an impact:
    no area named yet, its 95% region spanning several; named once one holds 95% of it, kept
    while it holds more than half). ``impact_areas``: after burnout, the areas the impact's 95%
    region covers, each with its share, the largest first ("JP or RU" while none is named).
    """

    t_ns: int
    phase: str
    launch_lat_rad: float | None = None
    launch_lon_rad: float | None = None
    launch_time_ns: int | None = None
    launch_time_sigma_ns: int | None = None
    launch_ellipse: Ellipse | None = None
    impact_lat_rad: float | None = None
    impact_lon_rad: float | None = None
    impact_time_ns: int | None = None
    impact_time_sigma_ns: int | None = None
    impact_ellipse: Ellipse | None = None
    iip: bool = False
    apogee_m: float | None = None
    range_m: float | None = None
    equivalent_range_m: float | None = None
    vehicle_class: Literal["SRBM", "MRBM", "IRBM", "ICBM"] | None = None
    orbital: bool = False
    orbit: Orbit | None = None
    overflown: list[str] = []
    impact_area: str | None = None
    impact_area_kind: Literal["land", "eez", "high_seas"] | None = None
    impact_areas: list[AreaShare] = []


#: What an object of a launch is (``lookout.assess.events``): still thrusting, the payload
#: (reentry vehicle or satellite), a spent stage, other debris, or not yet told.
ObjectType = Literal["booster", "payload", "spent_stage", "debris", "unknown"]


class SystemTrack(Message, tag="system_track"):
    """One object in the common picture, fused from the partners in ``partners``.

    ``system_track_id`` is stable for the life of the object; ``x``/``P`` as in
    :class:`LocalTrack`; ``assessment`` the latest assessment, if any. ``event_id`` names the
    launch event the object belongs to (stable; every object of one launch shares it),
    ``object_type`` what the object is, and ``event_class`` the event's class by its payload
    (SRBM/MRBM/IRBM/ICBM, or SLV for a space launch); None until first assessed.
    ``last_detection_ns`` is when a sensor last saw the object (its last detection, or its
    partners' last update of their local tracks): ``t_ns - last_detection_ns`` is how long the
    state has coasted unseen (an object out of every sensor's coverage); None if not known.
    ``interim``: an update between two report instants of a track that took detections since
    the last one (its state at its latest detection, ``t_ns``), sent so that a detection is in
    the picture without waiting for the next report; the report instants carry every track.
    A reader that takes the picture instant by instant (a warning desk, the scores) takes the
    reports (``interim`` false). ``notices``: every :class:`LaunchNotice` the object's launch
    event matches (launch point in its area, launch time in its window, heading in its
    sector, each within its uncertainty), each as ``"PARTNER/NOTICE_ID"`` (the announcing
    partner and its notice's id); empty for a launch nobody announced.
    """

    system_track_id: str
    t_ns: int
    x: list[float]
    P: list[list[float]]
    partners: list[str]
    assessment: Assessment | None = None
    event_id: str | None = None
    object_type: ObjectType | None = None
    event_class: Literal["SRBM", "MRBM", "IRBM", "ICBM", "SLV"] | None = None
    last_detection_ns: int | None = None
    interim: bool = False
    notices: list[str] = []

    def __post_init__(self) -> None:
        _check_shape("SystemTrack", self.x, self.P)
        if not self.partners:
            raise ValueError("SystemTrack.partners: expected at least one contributing partner")

    def check(self) -> None:
        check_generic(self)
        _check_state("SystemTrack", self.x, self.P)
        self.check_assessment()

    def check_assessment(self) -> None:
        """``check``'s tests of the assessment alone (the figures' ranges)."""
        a = self.assessment
        if a is not None:
            for name in ("launch_lat_rad", "impact_lat_rad"):
                v = getattr(a, name)
                if v is not None and not -math.pi / 2 <= v <= math.pi / 2:
                    raise ValueError(f"SystemTrack.assessment.{name}: {v!r} rad is no latitude")
            for name in ("launch_lon_rad", "impact_lon_rad"):
                v = getattr(a, name)
                if v is not None and not -_TWO_PI <= v <= _TWO_PI:
                    raise ValueError(f"SystemTrack.assessment.{name}: {v!r} rad is no longitude")
            for name in ("apogee_m", "range_m", "equivalent_range_m"):
                v = getattr(a, name)
                if v is not None and not 0.0 <= v <= MAX_OBJECT_RADIUS_M:
                    raise ValueError(f"SystemTrack.assessment.{name}: {v!r} m is out of range")
            for name in ("launch_ellipse", "impact_ellipse"):
                e = getattr(a, name)
                if e is not None and not (
                    0.0 <= e.semi_minor_m <= e.semi_major_m <= MAX_OBJECT_RADIUS_M
                ):
                    raise ValueError(f"SystemTrack.assessment.{name}: semi-axes {e} implausible")
            for ar in a.impact_areas:
                if not 0.0 <= ar.prob <= 1.0:
                    raise ValueError(
                        f"SystemTrack.assessment.impact_areas: prob {ar.prob!r} of {ar.code!r}"
                        " is no probability"
                    )


#: The furthest a heartbeat's ``next_ns`` may lie after its ``t_ns`` (ns).
MAX_PROMISE_NS = 10 * NS_PER_S


class Heartbeat(Message, tag="heartbeat", omit_defaults=True):
    """A partner's sign of life: its clock ``t_ns`` and its own heartbeat counter ``seq``.

    ``next_ns`` (optional, after ``t_ns``): the earliest time anything of this partner still to
    come may speak of (its sensors' next scan, its next report instant), so that nothing
    before it is still to come, not only nothing up to ``t_ns``. Omitted when the node
    promises no more than its clock (the message then encodes as before the field existed)."""

    partner: str
    t_ns: int
    seq: int
    next_ns: int | None = None

    def check(self) -> None:
        check_generic(self)
        if self.seq < 0:
            raise ValueError(f"Heartbeat.seq: {self.seq}, expected a count (>= 0)")
        if self.next_ns is not None and not (
            self.t_ns < self.next_ns <= self.t_ns + MAX_PROMISE_NS
        ):
            raise ValueError(
                f"Heartbeat.next_ns: {self.next_ns}, expected after t_ns ({self.t_ns}) by at"
                f" most {MAX_PROMISE_NS // NS_PER_S} s"
            )


class Status(Message, tag="status"):
    """The exchange's word to every partner on the picture it delivers, at least every second
    while envelopes arrive.

    ``degraded`` is True while the exchange is behind (``lag_ns``: the largest age of an
    envelope it took in the last period, on its clock) and sheds work: ``shed`` counts, by
    payload type, the messages taken (audited, kept for replay) in the period but left out of
    the fusion; ``late`` the envelopes too old for the live picture. While degraded, a partner's
    picture may be missing objects: it must say so to its users.
    """

    t_ns: int
    degraded: bool
    lag_ns: Annotated[int, msgspec.Meta(ge=0)]
    shed: dict[str, Annotated[int, msgspec.Meta(ge=0)]] = {}
    late: Annotated[int, msgspec.Meta(ge=0)] = 0

    def check(self) -> None:
        check_generic(self)
        if len(self.shed) > MAX_LIST or any(len(k) > MAX_STR for k in self.shed):
            raise ValueError(f"Status.shed: too many or too long keys ({len(self.shed)})")


#: Kinds of public warning message (``lookout.warn.notice``).
AlertKind = Literal[
    "LAUNCH", "IMPACT_PREDICTED", "PASSED_OVER", "FELL_AT_SEA", "FELL_ON_LAND", "NO_THREAT",
    "ALL_CLEAR", "MARITIME", "CORRECTION",
]  # fmt: skip


class Alert(Message, tag="alert"):
    """A partner's public warning: one CAP 1.2 alert as its issuing authority signed it.

    ``cap`` is the alert's XML (UTF-8, with its enveloped XML signature), the message itself;
    the other fields repeat what it says, for indexing without parsing it: the CAP
    ``identifier``, ``t_ns`` its ``sent`` time on the scenario clock, the launch ``event_id``,
    the lifecycle ``kind``, the ``areas`` addressed (``COUNTRY:CODE``, or ``sea:<key>`` for a
    maritime message) and whether it calls people to ``shelter``.
    """

    partner: str
    identifier: str
    t_ns: int
    event_id: str
    kind: AlertKind
    areas: list[str]
    shelter: bool
    cap: bytes

    def __post_init__(self) -> None:
        if not self.cap.lstrip().startswith(b"<"):
            raise ValueError(f"Alert.cap: expected CAP XML bytes, got {self.cap[:40]!r}")

    def check(self) -> None:
        # The CAP XML is the message (tens of kB, bounded by the envelope's size); every other
        # field by the generic rules.
        for field in self.__struct_fields__:
            if field != "cap":
                _check_value(f"Alert.{field}", getattr(self, field))
        if len(self.cap) > MAX_ALERT_BYTES:
            raise ValueError(f"Alert.cap: {len(self.cap)} bytes, at most {MAX_ALERT_BYTES}")


class HazardArea(msgspec.Struct, frozen=True, kw_only=True):
    """One announced hazard (drop) area of a launch: a circle (``lat_rad``, ``lon_rad``,
    ``radius_m``) or a polygon (``polygon_rad``: its corners as ``[lat_rad, lon_rad]``, at
    least three, in order); ``stage`` names what falls there (free text: "stage 1",
    "fairing"), optional."""

    stage: str = ""
    lat_rad: float | None = None
    lon_rad: float | None = None
    radius_m: float | None = None
    polygon_rad: list[list[float]] = []


#: Kinds of launch a partner announces (``LaunchNotice.kind``).
LaunchKind = Literal["space_launch", "test"]


class LaunchNotice(Message, tag="launch_notice"):
    """A partner's pre-launch notification of one of its own launches, as states give them
    (the Hague Code of Conduct's pre-launch notifications, the 1988 US-USSR Ballistic Missile
    Launch Notification Agreement, NOTAM/NAVAREA hazard areas): ``notice_id`` (the partner's
    own, stable), issued at ``t_ns``; the launch window ``window_start_ns`` to
    ``window_end_ns``; the launch area, a circle of ``site_radius_m`` about ``site_lat_rad``,
    ``site_lon_rad``; the general direction, the azimuth sector ``azimuth_min_rad`` clockwise
    to ``azimuth_max_rad`` (from north; it may wrap through north); the ``kind`` of launch;
    the hazard areas of its stages (``hazard_areas``, possibly none). Sent by the announcing
    partner (the envelope's sender is ``partner``), relayed under the policy class
    ``launch_notice``. What it changes is in docs/warning-decisions.md (Announced launches)."""

    partner: str
    notice_id: str
    t_ns: int
    window_start_ns: int
    window_end_ns: int
    site_lat_rad: float
    site_lon_rad: float
    site_radius_m: float
    azimuth_min_rad: float
    azimuth_max_rad: float
    kind: LaunchKind
    hazard_areas: list[HazardArea] = []

    def check(self) -> None:
        check_generic(self)
        if not self.notice_id:
            raise ValueError("LaunchNotice.notice_id: expected a non-empty id")
        if self.window_end_ns <= self.window_start_ns:
            raise ValueError(
                f"LaunchNotice.window_end_ns: {self.window_end_ns}, expected after "
                f"window_start_ns ({self.window_start_ns})"
            )
        _check_lat_lon("LaunchNotice.site", self.site_lat_rad, self.site_lon_rad)
        if not 0.0 < self.site_radius_m <= 1e6:
            raise ValueError(
                f"LaunchNotice.site_radius_m: {self.site_radius_m!r}, expected (0, 1e6] m"
            )
        for name in ("azimuth_min_rad", "azimuth_max_rad"):
            v = getattr(self, name)
            if not 0.0 <= v < _TWO_PI:
                raise ValueError(f"LaunchNotice.{name}: {v!r}, expected [0, 2 pi) rad")
        for i, h in enumerate(self.hazard_areas):
            where = f"LaunchNotice.hazard_areas[{i}]"
            circle = (h.lat_rad, h.lon_rad, h.radius_m)
            if h.polygon_rad:
                if any(v is not None for v in circle):
                    raise ValueError(f"{where}: a circle or a polygon, not both")
                if len(h.polygon_rad) < 3 or any(len(c) != 2 for c in h.polygon_rad):
                    raise ValueError(f"{where}.polygon_rad: expected 3 or more [lat, lon] corners")
                for lat, lon in h.polygon_rad:
                    _check_lat_lon(f"{where}.polygon_rad", lat, lon)
                from lookout.geodesy import ring_round_pole

                if ring_round_pole(np.degrees([lon for _, lon in h.polygon_rad])):
                    raise ValueError(f"{where}.polygon_rad: goes round a pole, expected a polygon")
            else:
                if any(v is None for v in circle):
                    raise ValueError(f"{where}: expected lat_rad, lon_rad, radius_m or a polygon")
                _check_lat_lon(where, h.lat_rad, h.lon_rad)
                if not 0.0 < h.radius_m <= 5e6:
                    raise ValueError(f"{where}.radius_m: {h.radius_m!r}, expected (0, 5e6] m")


def _check_lat_lon(name: str, lat: float, lon: float) -> None:
    if not -math.pi / 2 <= lat <= math.pi / 2:
        raise ValueError(f"{name}: latitude {lat!r} rad is no latitude")
    if not -_TWO_PI <= lon <= _TWO_PI:
        raise ValueError(f"{name}: longitude {lon!r} rad is no longitude")


class SystemTrackBatch(Message, tag="system_track_batch"):
    """System tracks of one report instant ``t_ns`` from one of the exchange's own picture
    workers (the envelope's sender; ``lookout.app.picture_workers``), for the exchange to check,
    audit, seal one by one as its own and release. At most :data:`MAX_LIST` tracks."""

    t_ns: int
    tracks: list[SystemTrack]

    def check(self) -> None:
        n = len(self.tracks)
        if not 1 <= n <= MAX_LIST:
            raise ValueError(f"SystemTrackBatch.tracks: {n} tracks, expected 1 to {MAX_LIST}")
        _check_value("SystemTrackBatch.t_ns", self.t_ns)
        for i, track in enumerate(self.tracks):
            try:
                track.check()
            except ValueError as e:
                raise ValueError(f"SystemTrackBatch.tracks[{i}]: {e}") from None


#: A partner id as it appears in envelopes and bus subjects: letters, digits, "_" and "-".
PartnerId = Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z0-9_-]{1,64}$")]


class Envelope(Message, tag="envelope"):
    """One signed message on the wire.

    ``version`` is :data:`SCHEMA_VERSION` of the sender; ``sender`` the partner id (or
    ``"EXCHANGE"`` for the exchange's own messages); ``seq`` the sender's sequence number,
    strictly increasing per sender over the sender's life (gaps allowed); ``sent_ns`` the send
    time on the exchange's clock (int ns); ``payload_type`` the ``type`` tag of the message in
    ``payload``, which is the MessagePack of exactly one message; ``signature`` the 64-byte
    Ed25519 signature of :func:`signing_bytes` of all the other fields.
    """

    version: Annotated[int, msgspec.Meta(ge=0, lt=2**16)]
    sender: PartnerId
    seq: Annotated[int, msgspec.Meta(ge=0, le=2**63 - 1)]
    sent_ns: Annotated[int, msgspec.Meta(ge=-(2**63), le=2**63 - 1)]
    payload_type: Annotated[str, msgspec.Meta(pattern=r"^[a-z_]{1,32}$")]
    payload: bytes
    signature: Annotated[bytes, msgspec.Meta(min_length=64, max_length=64)]


def payload_times(message: Message) -> tuple[int, int] | None:
    """The earliest and latest ``t_ns`` a message speaks of (its own, and those of the messages
    in its list fields, as a batch's detections), or None if it has none. Generic, so a new
    payload type is bounded in time the same way."""
    times = []
    for field in message.__struct_fields__:
        v = getattr(message, field)
        if field == "t_ns" and isinstance(v, int):
            times.append(v)
        elif isinstance(v, list) and v and isinstance(v[0], Message):
            times += [t for item in v for t in (payload_times(item) or ())]
    return (min(times), max(times)) if times else None


#: Every message type, decodable by its ``type`` tag.
AnyMessage = (
    Detection
    | DetectionBatch
    | LocalTrack
    | LocalTrackBatch
    | SystemTrack
    | Heartbeat
    | Status
    | Alert
    | Envelope
    | SystemTrackBatch
    | LaunchNotice
)

#: Message types an envelope may carry, by tag.
PAYLOAD_TYPES: dict[str, type[Message]] = {
    "detection": Detection,
    "detection_batch": DetectionBatch,
    "local_track": LocalTrack,
    "local_track_batch": LocalTrackBatch,
    "system_track": SystemTrack,
    "heartbeat": Heartbeat,
    "status": Status,
    "alert": Alert,
    "system_track_batch": SystemTrackBatch,
    "launch_notice": LaunchNotice,
}

#: Domain separation for envelope signatures: these bytes start every signed string.
SIGNING_CONTEXT = b"lookout-envelope\x00"


def signing_bytes(
    version: int, sender: str, seq: int, sent_ns: int, payload_type: str, payload: bytes
) -> bytes:
    """The canonical byte string an envelope's signature covers.

    ``SIGNING_CONTEXT``, then big-endian ``version`` (uint16), ``seq`` (uint64), ``sent_ns``
    (int64), then ``sender``, ``payload_type`` (each UTF-8 preceded by its length as uint8) and
    ``payload`` (preceded by its length as uint32). Every field has a fixed width or a length, so
    no two different headers give the same bytes.
    """
    s, t = sender.encode(), payload_type.encode()
    return b"".join(
        (
            SIGNING_CONTEXT,
            struct.pack(">HQqB", version, seq, sent_ns, len(s)),
            s,
            struct.pack(">B", len(t)),
            t,
            struct.pack(">I", len(payload)),
            payload,
        )
    )


_JSON_ENCODER = msgspec.json.Encoder()
_MSGPACK_ENCODER = msgspec.msgpack.Encoder()


def encode_json(msg: Any) -> bytes:
    """A message (or list of messages) as compact JSON bytes."""
    return _JSON_ENCODER.encode(msg)


def decode_json(data: bytes | str, type: Any = AnyMessage) -> Any:  # noqa: A002
    """Decode and validate JSON into ``type``; raises ``msgspec.ValidationError`` naming the
    field at fault."""
    return msgspec.json.decode(data, type=type)


def encode_msgpack(msg: Any) -> bytes:
    """A message (or list of messages) as MessagePack bytes, for the wire."""
    return _MSGPACK_ENCODER.encode(msg)


def decode_msgpack(data: bytes, type: Any = AnyMessage) -> Any:  # noqa: A002
    """Decode and validate MessagePack into ``type``."""
    return msgspec.msgpack.decode(data, type=type)
