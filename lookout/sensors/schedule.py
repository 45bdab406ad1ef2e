"""When a sensor looks: scans (radar) or frames (infrared) every period, from a phase offset."""

from __future__ import annotations

import math
import zlib

import numpy as np


def default_phase_s(sensor_id: str, period_s: float) -> float:
    """A phase offset in [0, period) derived from the sensor id, so that sensors do not all scan
    in lockstep, yet the same id always gets the same phase (crc32, not Python's salted hash)."""
    return period_s * (zlib.crc32(sensor_id.encode()) / 2**32)


def scan_times(t0: float, t1: float, period_s: float, phase_s: float) -> np.ndarray:
    """Times ``phase + k * period`` (s) in [t0, t1), with integer k: consecutive windows
    [t0, t1), [t1, t2) give exactly the instants of [t0, t2)."""
    k0 = math.ceil((t0 - phase_s) / period_s)
    k1 = math.ceil((t1 - phase_s) / period_s)
    return phase_s + np.arange(k0, max(k0, k1)) * period_s
