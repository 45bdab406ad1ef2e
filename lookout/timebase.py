"""Time's two units and the one conversion between them.

Integer nanoseconds from the scenario epoch on the wire (``t_ns`` fields), in the exchange and in
its clocks; float seconds in the physics, the tracker, the assessment and at the edges. Every
conversion goes through here, so each way is written once:

- ``s_to_ns`` rounds to the nearest nanosecond (ties to even), a float or an array alike.
  Truncating with ``int()`` can land a nanosecond short: a product such as ``x * 1e9`` may come
  out as ``…999.99999994``.
- ``s_to_ns_or_none`` the same for a time that may be unknown: None (or not finite) gives None.
- ``ns_to_s`` multiplies by ``1e-9`` (not ``/ 1e9``, which differs in the last bit): an int, a
  numpy int64 array or a float of nanoseconds.
- ``next_periodic_ns`` the first instant of a periodic schedule (``phase + k * period``, a
  sensor's scans) after a time in nanoseconds, as such an instant is stamped.
- ``NS_PER_S`` for a count of whole seconds in nanoseconds, and for a bound kept in float
  nanoseconds on purpose (a staleness or scan-window bound compared with integer times, whose
  comparison rounding would move by a nanosecond).
"""

from __future__ import annotations

import math

import numpy as np

NS_PER_S = 1_000_000_000


def s_to_ns(t_s):
    """Seconds to whole nanoseconds: an ``int`` for a number, an int64 array for an array."""
    if isinstance(t_s, np.ndarray):
        return np.round(t_s * 1e9).astype(np.int64)
    return round(t_s * 1e9)


def s_to_ns_or_none(t_s: float | None) -> int | None:
    """A time that may be unknown (None, or not finite) to whole nanoseconds, or None."""
    return None if t_s is None or not math.isfinite(t_s) else s_to_ns(t_s)


def ns_to_s(t_ns):
    """Nanoseconds to float seconds (a number or an array)."""
    return t_ns * 1e-9


def next_periodic_ns(t_ns: int, period_s: float, phase_s: float) -> int:
    """The first instant ``phase + k * period`` (ns, as a detection of a sensor looking on that
    schedule is stamped) after ``t_ns``."""
    k = math.floor((ns_to_s(t_ns) - phase_s) / period_s) + 1
    while True:  # float rounding near an instant: step on until strictly after
        t = s_to_ns(phase_s + k * period_s)
        if t > t_ns:
            return t
        k += 1
