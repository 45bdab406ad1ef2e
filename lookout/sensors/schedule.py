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


def declared_scans(scenario, partner: str) -> dict[str, tuple[float, float]]:
    """Each of ``partner``'s sensors' scan (radar) or frame (infrared) schedule,
    ``(period_s, phase_s)`` by sensor id, from ``scenario`` (a ``lookout.scenario.Scenario``):
    what that partner's node knows of when its sensors look."""
    out = {}
    for entry in scenario.sensors:
        sensor = entry.build()
        if sensor.partner != partner:
            continue
        p = sensor.params
        period = p.revisit_s if sensor.kind == "radar" else p.frame_s
        out[sensor.id] = (float(period), float(sensor.phase_s))
    return out
