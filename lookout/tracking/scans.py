"""Detections to arrays, once, grouped by sensor scan: the tracker's hot loop never touches a
message. A scan is every detection of one sensor at one instant (same ``sensor_id`` and
``t_ns``); scans are processed in time order (ties by sensor id, as given)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from lookout.geodesy import ecef_to_geodetic, enu_basis
from lookout.messages import Detection
from lookout.timebase import ns_to_s


@dataclass
class Scan:
    """One sensor scan: ``t`` s, ``z`` (M, m), ``R`` (M, m, m), sensor position ``s`` (3,) ECEF m,
    ``index`` (M,) global detection indices. The tracker fills in the sensor velocity ``s_vel``
    and, for a radar, the ENU basis ``B`` and the detections as ECEF points ``ecef_pos`` (M, 3)
    with covariances ``ecef_P`` (M, 3, 3) and RMS errors ``ecef_sig`` (M,) m; for an infrared
    sensor the unit lines of sight ``los`` (M, 3) and their RMS angular errors ``los_sig``."""

    t: float
    sensor: str
    kind: str
    z: np.ndarray
    R: np.ndarray
    s: np.ndarray
    index: np.ndarray
    s_vel: np.ndarray | None = None
    B: np.ndarray | None = None
    ecef_pos: np.ndarray | None = None
    ecef_P: np.ndarray | None = None
    ecef_sig: np.ndarray | None = None
    los: np.ndarray | None = None
    los_sig: np.ndarray | None = None

    @property
    def m(self) -> int:
        return self.z.shape[1]


def prepare(detections: Sequence[Detection], offset: int = 0) -> tuple[list[Scan], int]:
    """Scans in processing order, and the number of detections rejected (no sensor position, or
    a measurement size differing from the rest of its scan). ``offset`` is added to indices."""
    n = len(detections)
    if n == 0:
        return [], 0
    t_ns = np.fromiter((d.t_ns for d in detections), np.int64, n)
    codes: dict[str, int] = {}
    sc = np.fromiter((codes.setdefault(d.sensor_id, len(codes)) for d in detections), np.int64, n)
    order = np.lexsort((sc, t_ns))
    tn, so = t_ns[order], sc[order]
    brk = np.flatnonzero((tn[1:] != tn[:-1]) | (so[1:] != so[:-1])) + 1
    starts = np.concatenate([[0], brk, [n]]).tolist()
    order_l = order.tolist()
    scans, rejected = [], 0
    for a, b in zip(starts[:-1], starts[1:], strict=True):
        idx = order_l[a:b]
        first = detections[idx[0]]
        m = len(first.z)
        if first.sensor_pos_ecef_m is None:
            rejected += len(idx)
            continue
        good = [i for i in idx if len(detections[i].z) == m]
        rejected += len(idx) - len(good)
        dets = [detections[i] for i in good]
        r0 = dets[0].R
        if all(d.R is r0 for d in dets):
            R = np.broadcast_to(np.array(r0, dtype=float), (len(dets), m, m))
        else:
            R = np.array([d.R for d in dets], dtype=float)
        scans.append(
            Scan(
                t=ns_to_s(int(tn[a])),
                sensor=first.sensor_id,
                kind=first.kind,
                z=np.array([d.z for d in dets], dtype=float),
                R=R,
                s=np.array(first.sensor_pos_ecef_m, dtype=float),
                index=np.array(good, dtype=np.int64) + offset,
            )
        )
    return scans, rejected


class BasisCache:
    """ENU bases of sensor positions (fixed radars hit the cache every scan)."""

    def __init__(self, max_size: int = 4096) -> None:
        self._cache: dict[bytes, np.ndarray] = {}
        self._max = max_size

    def __call__(self, s: np.ndarray) -> np.ndarray:
        key = s.tobytes()
        B = self._cache.get(key)
        if B is None:
            lat, lon, _ = ecef_to_geodetic(s)
            B = enu_basis(lat, lon)
            if len(self._cache) >= self._max:
                self._cache.clear()
            self._cache[key] = B
        return B
