"""The one schema module: every message Lookout exchanges, as msgspec structs.

JSON is for people and files, MessagePack for the wire; both encode the same structs. Every
message type derives from :class:`Message`, which tags each encoded message with a ``"type"``
field, so a stream of mixed messages decodes with ``decode_json(data, type=AnyMessage)`` once
later messages join the union.

Times on the wire are integer nanoseconds from the scenario epoch (``t_ns``); lengths in metres,
angles in radians, speeds in m/s.

A detection never says which truth object caused it: the simulator keeps that association apart,
for scoring only.
"""

from __future__ import annotations

import math
from typing import Any, Literal

import msgspec

#: Version of this schema; bumped on any change that old readers cannot decode.
SCHEMA_VERSION = 1

#: Sensor kinds and the layout of their measurement vector ``z``.
SENSOR_KINDS = ("radar", "infrared")
MEASUREMENT_SIZES = {"radar": (3, 4), "infrared": (2,)}


class Message(msgspec.Struct, frozen=True, kw_only=True, tag_field="type"):
    """Base of every message; subclasses choose their ``type`` tag."""


class Detection(Message, tag="detection"):
    """One sensor's measurement of one (possibly false) target at one instant.

    ``z`` by ``kind``:

    - ``radar``: ``[range_m, azimuth_rad, elevation_rad]`` or with ``range_rate_mps`` appended,
      in the radar's local East-North-Up frame at ``sensor_pos_ecef``; azimuth from north,
      clockwise, in [0, 2π); elevation above the local horizontal plane.
    - ``infrared``: ``[azimuth_rad, elevation_rad]`` of the unit line of sight ``u`` from the
      satellite at ``sensor_pos_ecef`` to the plume, in ECEF axes:
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
    sensor_pos_ecef: list[float] | None = None

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
            and (self.sensor_pos_ecef is None or len(self.sensor_pos_ecef) == 3)
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
            f"sensor_pos_ecef: expected 3 ECEF coordinates (m), got {self.sensor_pos_ecef}"
        )


#: Every message type; later issues add LocalTrack, SystemTrack, Envelope to this union.
AnyMessage = Detection

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
