"""``logsumexp`` over one axis of a real array, the arithmetic of ``scipy.special.logsumexp``
(1.15 and later) without its array-API dispatch.

scipy's takes some 40-60 µs a call on the tracker's arrays of a few rows (most of it input
promotion, namespace lookups and the sign bookkeeping that real input never needs); the
tracker calls it several times a scan (``association.mixture_cost``, ``formations``). This one
does the same operations in the same order on the same arrays (``tests/test_lse.py`` compares
the two to the bit, ties, infinities and NaN included): the largest element of each row ``a_max``
(every element equal to it left out of the sum and counted, ``m``), ``s`` the sum of the rest's
``exp(a - a_max)`` over ``m``, ``log1p(s) + log(m) + a_max``; where that is not finite, the direct
``log(sum(exp(a)))``. For real input ``s >= 0`` or NaN, so scipy's sign terms are 1 and its
reflections of ``s < -1`` never apply.
"""

from __future__ import annotations

import numpy as np


def logsumexp(a: np.ndarray, axis: int) -> np.ndarray:
    """``log(sum(exp(a), axis))`` of a real float array ``a``, that axis removed."""
    a = np.asarray(a, dtype=float)
    if a.size == 0:
        return np.squeeze(np.full_like(a.sum(axis=axis, keepdims=True), -np.inf), axis=axis)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        a_max = a.max(axis=axis, keepdims=True)
        top = a == a_max
        m = top.sum(axis=axis, keepdims=True, dtype=float)
        s = np.exp(np.where(top, -np.inf, a) - a_max).sum(axis=axis, keepdims=True)
        s = np.where(s == 0, s, s / m)
        out = np.log1p(s) + np.log(m) + a_max
        finite = np.isfinite(out)
        if not finite.all():
            out = np.where(finite, out, np.log(np.exp(a).sum(axis=axis, keepdims=True)))
    return np.squeeze(out, axis=axis)
