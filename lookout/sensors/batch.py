"""A sensor's detections as arrays, and their conversion to ``Detection`` messages.

Sensors compute in arrays; messages are made once, at the edge. ``truth_index`` says which truth
object (column of the ``TruthSamples``) caused each row, -1 for a false alarm; it never enters a
message.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from lookout.messages import Detection
from lookout.sensors.truth import TruthLabels
from lookout.timebase import s_to_ns


@dataclass(frozen=True)
class MeasurementBatch:
    """K detections by one sensor: ``t`` (K,) s, ``z`` (K, m), ``R`` (K, m, m), ``snr_db`` (K,),
    ``sensor_pos`` (K, 3) ECEF m, ``truth_index`` (K,) int (-1: false alarm).

    Rows are in time order and, within one instant, ordered by the first measurement component,
    so the order of rows says nothing about truth.
    """

    sensor_id: str
    partner: str
    kind: str
    t: np.ndarray
    z: np.ndarray
    R: np.ndarray
    snr_db: np.ndarray
    sensor_pos: np.ndarray
    truth_index: np.ndarray
    object_ids: tuple[str, ...]

    def __len__(self) -> int:
        return self.t.size

    @classmethod
    def build(cls, sensor_id, partner, kind, t, z, R, snr_db, sensor_pos, truth_index, object_ids):
        """Assemble rows in any order; sorts them by time, then by the first component of z."""
        t = np.asarray(t, dtype=float)
        z = np.asarray(z, dtype=float)
        order = np.lexsort((z[:, 0], t)) if t.size else np.zeros(0, dtype=int)
        return cls(
            sensor_id=sensor_id,
            partner=partner,
            kind=kind,
            t=t[order],
            z=z[order],
            R=np.asarray(R, dtype=float)[order],
            snr_db=np.asarray(snr_db, dtype=float)[order],
            sensor_pos=np.asarray(sensor_pos, dtype=float)[order],
            truth_index=np.asarray(truth_index, dtype=np.int64)[order],
            object_ids=tuple(object_ids),
        )

    def select(self, keep: np.ndarray) -> MeasurementBatch:
        """The rows where ``keep`` (a boolean mask), in their order."""
        return dataclasses.replace(
            self,
            t=self.t[keep],
            z=self.z[keep],
            R=self.R[keep],
            snr_db=self.snr_db[keep],
            sensor_pos=self.sensor_pos[keep],
            truth_index=self.truth_index[keep],
        )

    @property
    def t_ns(self) -> np.ndarray:
        """Times as integer nanoseconds from the scenario epoch."""
        return s_to_ns(self.t)

    def truth_labels(self) -> TruthLabels:
        """The truth object id of each row, None for a false alarm."""
        ids = self.object_ids
        return [ids[i] if i >= 0 else None for i in self.truth_index.tolist()]

    def to_messages(self) -> tuple[list[Detection], TruthLabels]:
        """The rows as ``Detection`` messages, with the parallel truth labels.

        Where every row has the same covariance or sensor position (a fixed radar), the messages
        share one list for it rather than a copy each: messages are values, never mutated.
        """
        n = len(self)
        sid, partner, kind = self.sensor_id, self.partner, self.kind
        R = _rows_or_shared(self.R, n)
        pos = _rows_or_shared(self.sensor_pos, n)
        dets = [
            Detection(
                t_ns=t_ns,
                sensor_id=sid,
                partner=partner,
                kind=kind,
                z=z,
                R=r,
                snr_db=snr,
                sensor_pos_ecef_m=p,
            )
            for t_ns, z, r, snr, p in zip(
                self.t_ns.tolist(), self.z.tolist(), R, self.snr_db.tolist(), pos, strict=True
            )
        ]
        return dets, self.truth_labels()


def _rows_or_shared(arr: np.ndarray, n: int) -> list:
    """``arr.tolist()``, or one shared row repeated when all rows are equal (much faster)."""
    if n and (arr == arr[0]).all():
        return [arr[0].tolist()] * n
    return arr.tolist()
