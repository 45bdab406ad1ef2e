"""The fusion's covariance intersection's weight search compiled (numba).

``fusion.covariance_intersection_many`` tries every weight of ``_CI_WEIGHTS`` (51) on every
pair and keeps the one whose fused covariance has the least position trace: numpy inverted
all 51 information sums of every pair (``np.linalg.inv`` of (K, 51, 6, 6)), a tenth of the
fusion's time in mass-raid (issue 16). Here each sum's position trace comes from its Cholesky
factor instead (``ci_traces``: ``(M⁻¹)ᵢᵢ = |L⁻¹ eᵢ|²``, three forward substitutions), which
is not LAPACK's inverse to the bit, so it only shortlists: the weights whose trace is within
``SHORTLIST_REL`` of the pair's least are inverted by numpy as before and the least of those
taken (the first on a tie, as ``np.argmin``). The weight, the covariance and the state are
then the numpy search's to the bit, unless two weights' traces were within the factor's
rounding (some 1e-13 relative for a covariance of condition 1e3; ``SHORTLIST_REL`` is 1e-6)
of each other on the wrong side of the shortlist, which a pair whose sums are that badly
conditioned avoids: one with a factor that fails (a pivot not positive, or not finite) is
searched whole by numpy.

``LOOKOUT_NUMPY_STEP=1`` keeps the numpy search (as for the tracker's and the flight's step).
Imported on the first fusion of two estimates; compiled once per install and kept on disk
(numba's ``cache=True``).
"""

from __future__ import annotations

import math

import numba
import numpy as np

#: A weight whose position trace (from its Cholesky factor) is within this of the pair's
#: least is inverted by numpy (see the module doc).
SHORTLIST_REL = 1e-6


@numba.njit(cache=True, error_model="numpy")
def ci_traces(ia, ib, weights):
    """Position traces (K, W) of ``(w ia + (1 - w) ib)⁻¹`` for every pair (``ia``, ``ib``: (K,
    n, n) information matrices, n >= 3) and weight ``w`` of ``weights`` (W,); NaN where the sum
    is not numerically positive definite."""
    k_n, n = ia.shape[0], ia.shape[1]
    n_w = weights.size
    out = np.empty((k_n, n_w))
    L = np.empty((n, n))
    y = np.empty(n)
    for k in range(k_n):
        for j in range(n_w):
            w = weights[j]
            u = 1.0 - w
            ok = True
            # Cholesky, lower triangle, row by row.
            for r in range(n):
                for c in range(r + 1):
                    s = w * ia[k, r, c] + u * ib[k, r, c]
                    for m in range(c):
                        s -= L[r, m] * L[c, m]
                    if r == c:
                        if not (s > 0.0) or not math.isfinite(s):
                            ok = False
                            break
                        L[r, r] = math.sqrt(s)
                    else:
                        L[r, c] = s / L[c, c]
                if not ok:
                    break
            if not ok:
                out[k, j] = np.nan
                continue
            tr = 0.0
            for i in range(3):
                # L y = e_i: y's first i entries are zero.
                for r in range(n):
                    if r < i:
                        y[r] = 0.0
                        continue
                    s = 1.0 if r == i else 0.0
                    for m in range(i, r):
                        s -= L[r, m] * y[m]
                    y[r] = s / L[r, r]
                for r in range(i, n):
                    tr += y[r] * y[r]
            out[k, j] = tr
    return out


def warm() -> None:
    """Compile (or load from numba's cache) ``ci_traces`` for the fusion's arrays."""
    eye = np.eye(6)[None]
    ci_traces(eye, eye, np.linspace(1.0, 0.0, 3))
