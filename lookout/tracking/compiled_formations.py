"""The separation speed's posterior of closely spaced pairs (``formations.Formations._order``)
compiled (numba): one pair at a time.

Per pair and scan the numpy path makes some forty calls over the 1,200 cells of
``SEPARATION_GRID_MPS`` (and the staging family's 600 of ``THRUST_GRID_MPS2``): the two
orders' likelihoods (``logsumexp`` twice, ``logaddexp`` of the families), the posterior
updated (``logaddexp`` of the even likelihood), scaled by its top, its mean and variance
(``Formations._separation_moments``) and its share of slow speeds (``_pushed_apart``), each
allocating its own (k, G) array. This is the same arithmetic written out per pair, each
operation in the numpy path's order (``lse.logsumexp``'s, numpy's ``logaddexp``). Scalar
``exp`` and ``log1p`` cost several times numpy's SIMD loops, so the kernel leaves out those
whose result cannot change a figure: the cells more than 746 below a row's top (``exp`` is 0
there; in mass-raid's first 300 s, 58 % of the cells of the pairs ordered) and ``log1p(exp(-2
|x|))`` from ``|x| = 19`` on (under half an ulp of ``|x|``); one ``exp`` per cell serves the
moments and the slow share. Its sums run left to right where numpy's are pairwise and its
``exp``/``log1p`` are libm's, so the figures agree to the last digits
(``tests/test_formations_compiled.py`` compares them, and the orders decided, on trackers' own
scans). On 600 of mass-raid's calls: 322 -> 86 µs a call (4.9 pairs), the moments of
``_in_formation_range`` 39 -> 17 µs.

``LOOKOUT_NUMPY_STEP=1`` keeps the numpy path (``motion.numpy_step``). Imported on the first
pair ordered; compiled once per install and kept on disk (numba's ``cache=True``).
"""

from __future__ import annotations

import math

import numba
import numpy as np

_LOG2 = math.log(2.0)
#: Below this, ``exp`` is 0 (the smallest subnormal is ``exp(-744.4)``): cells this far under
#: a row's top are skipped, not summed, the same sum.
_UNDERFLOW = -746.0


@numba.njit(cache=True, error_model="numpy")
def _logaddexp(x, y):
    """numpy's ``logaddexp`` of two floats (its npy_logaddexp: ties, then the larger plus
    ``log1p(exp(-|x - y|))``; NaN where the difference is)."""
    if x == y:
        return x + _LOG2  # infinities of one sign included
    d = x - y
    if d > 0.0:
        return x + math.log1p(math.exp(-d))
    if d <= 0.0:
        return y + math.log1p(math.exp(d))
    return d  # NaN


@numba.njit(cache=True, error_model="numpy")
def _logsumexp(a):
    """``lse.logsumexp`` of a row: its largest element, the count of its ties, the sum of the
    rest's ``exp(a - a_max)`` over that count, ``log1p(s) + log(m) + a_max``; where that is not
    finite, ``log(sum(exp(a)))``."""
    n = a.size
    top = -np.inf
    nan = False
    for j in range(n):
        if a[j] != a[j]:
            nan = True
        elif a[j] > top:
            top = a[j]
    if nan:
        top = np.nan
    m = 0.0
    s = 0.0
    for j in range(n):
        if a[j] == top:
            m += 1.0
        elif a[j] - top >= _UNDERFLOW:  # below, ``exp`` is 0: the sum is the same
            s += math.exp(a[j] - top)
    if s != 0.0:
        s = s / m
    out = math.log1p(s) + math.log(m) + top
    if not math.isfinite(out):
        t = 0.0
        for j in range(n):
            t += math.exp(a[j])
        out = math.log(t)
    return out


@numba.njit(cache=True, error_model="numpy")
def _scaled(lp, e):
    """``exp(lp - max(lp))`` of a row into ``e``, and the row's largest element and the sum of
    ``e`` (0 for the cells below ``_UNDERFLOW``, without their ``exp``)."""
    n = lp.size
    top = -np.inf
    for j in range(n):
        if lp[j] > top:
            top = lp[j]
    total = 0.0
    for j in range(n):
        x = lp[j] - top
        e[j] = math.exp(x) if x >= _UNDERFLOW else 0.0
        total += e[j]
    return top, total


@numba.njit(cache=True, error_model="numpy")
def _moments(e, total, v, grid_step, out, i):
    """``Formations._separation_moments`` of one row, ``e`` its cells scaled by its top
    (``_scaled``) and ``total`` their sum: mean and variance into ``out[i]`` (normalised, the
    first two moments, the grid's rounding of the mean added)."""
    s1 = 0.0
    s2 = 0.0
    for j in range(e.size):
        if e[j] != 0.0:
            p = e[j] / total
            s1 += p * v[j]
            s2 += p * (v[j] * v[j])
    out[i, 0] = s1
    out[i, 1] = max(s2 - s1 * s1, 0.0) + (grid_step * s1) ** 2 / 12.0


@numba.njit(cache=True, error_model="numpy")
def moments(lp, v, grid_step):
    """Mean and variance (k, 2) of the separation speed of rows ``lp`` (k, G) on grid ``v``
    (``Formations._separation_moments``)."""
    out = np.empty((lp.shape[0], 2))
    e = np.empty(lp.shape[1])
    for i in range(lp.shape[0]):
        _, total = _scaled(lp[i], e)
        _moments(e, total, v, grid_step, out, i)
    return out


@numba.njit(cache=True, error_model="numpy")
def _even(x):
    """``logaddexp(x, -x)``: ``|x| + log1p(exp(-2|x|))`` as numpy's, that is ``|x|`` itself
    from 19 on (``exp(-38)``, 3e-17, is under half an ulp of 19)."""
    ax = abs(x)
    if ax >= 19.0:
        return ax
    return _logaddexp(x, -x)


@numba.njit(cache=True, error_model="numpy")
def order_pairs(prior, a, bc, g, gc, shared, v, st_of, lw_st, gt, A, grid_step, max_speed):
    """The order of the pairs (k,) and their separation speed's posterior updated, as
    ``Formations._order`` (its numpy lines from ``logw`` to ``_pushed_apart``). ``prior`` (k, G)
    the push family's log prior on ``v`` (``SEPARATION_GRID_MPS``); ``a``, ``bc``, ``g``,
    ``gc`` (k,) the matched filter's terms; ``shared`` (k,) the pairs sharing their detections;
    ``st_of`` (k,) each pair's row in ``lw_st`` (S, T), the staging family's log weights on
    ``A`` (``THRUST_GRID_MPS2``), with its filter's ``gt`` (S,), or -1 for a pair with no such
    family. Returns the two orders' log likelihoods after the swap (right, wrong (k,)), the
    swap (k,), the posteriors scaled by their common top (k, G) and (S, T), their mean and
    variance (k, 2) and whether each is a push (its cells of ``|v| <= max_speed`` at least half
    of both families' mass)."""
    k, G = prior.shape
    T = A.size
    right = np.empty(k)
    wrong = np.empty(k)
    swap = np.zeros(k, dtype=np.bool_)
    lp = np.empty((k, G))
    lpt = np.empty(lw_st.shape)
    mom = np.empty((k, 2))
    pushed = np.zeros(k, dtype=np.bool_)
    bufr = np.empty(G)
    bufw = np.empty(G)
    bufa = np.empty(T)
    bufb = np.empty(T)
    for i in range(k):
        half_a = 0.5 * a[i]
        for j in range(G):
            logw = prior[i, j] - half_a * v[j] * v[j] - bc[i] * v[j]
            gv = g[i] * v[j]
            bufr[j] = logw + gv + gc[i]
            bufw[j] = logw - gv - gc[i]
        r = _logsumexp(bufr)
        w = _logsumexp(bufw)
        s = st_of[i]
        if s >= 0:
            for j in range(T):
                ga = gt[s] * A[j]
                bufa[j] = lw_st[s, j] + ga
                bufb[j] = lw_st[s, j] - ga
            r = _logaddexp(r, _logsumexp(bufa))
            w = _logaddexp(w, _logsumexp(bufb))
        gi = g[i]
        gti = gt[s] if s >= 0 else 0.0
        if shared[i] and w > r:
            swap[i] = True
            gi = -gi
            gti = -gti
            r, w = w, r
        right[i] = r
        wrong[i] = w
        top = -np.inf
        for j in range(G):
            vg = gi * v[j]
            like = _even(vg) if shared[i] else vg
            x = prior[i, j] + like - half_a * v[j] * v[j]
            lp[i, j] = x
            if x > top:
                top = x
        if s >= 0:
            for j in range(T):
                ag = gti * A[j]
                like = _even(ag) if shared[i] else ag
                x = lw_st[s, j] + like
                lpt[s, j] = x
                if x > top:
                    top = x
        for j in range(G):
            lp[i, j] -= top
        thrust = 0.0
        if s >= 0:
            for j in range(T):
                lpt[s, j] -= top
                if lpt[s, j] >= _UNDERFLOW:
                    thrust += math.exp(lpt[s, j])
        # The moments of the row on its own scale; its mass (``exp(lp)``, as
        # ``Formations._pushed_apart``) that times ``exp`` of its top, 1 unless the staging
        # family's is higher.
        m, total = _scaled(lp[i], bufr)
        _moments(bufr, total, v, grid_step, mom, i)
        slow = 0.0
        for j in range(G):
            if abs(v[j]) <= max_speed:
                slow += bufr[j]
        scale = math.exp(m)
        pushed[i] = slow * scale >= 0.5 * (total * scale + thrust)
    return right, wrong, swap, lp, lpt, mom, pushed


def warm() -> None:
    """Compile (or load) the kernels once on a tiny case, with the argument types
    ``Formations._order`` passes."""
    k, G, T = 1, 4, 2
    v = np.linspace(-2.0, 2.0, G)
    A = np.linspace(-1.0, 1.0, T)
    one = np.ones(k)
    order_pairs(
        np.zeros((k, G)), one, one, one, one, np.ones(k, dtype=bool), v,
        np.zeros(k, dtype=np.int64), np.zeros((k, T)), one, A, 0.01, 1.0,
    )  # fmt: skip
    moments(np.zeros((k, G)), v, 0.01)
