"""Piecewise tables (a trajectory's samples, drag coefficients by Mach number, a ship's
waypoints): the segment that holds each query."""

from __future__ import annotations

import numpy as np


def segment_index(knots: np.ndarray, x: np.ndarray, last: int) -> np.ndarray:
    """Index ``i`` of the knot at or before each ``x`` (``knots[i] <= x < knots[i + 1]``), held
    to ``0 .. last``. As ``np.clip`` of the same, without its checks of integer bounds (some
    15 µs a call in numpy 2, paid at every step of a flight and a prediction)."""
    return np.minimum(np.maximum(np.searchsorted(knots, x, side="right") - 1, 0), last)
