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

A formation's update (``formations.update_formation``: the relative state carried into each
mode by its regression, ``_per_mode_relative``, then each track updated with both detections
as ``[x; r]``) is one call a scan too, ``update_formation``: some 60 numpy calls on stacks of
16 x 16 and 8 x 8 before, among them ``pinv``, ``eigh``, ``inv`` and ``slogdet``, here LAPACK's
through numba (SciPy's build) and sums in index order, so the last digits differ
(``tests/test_formation_update_compiled.py``).

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
    m, N = 3, _NMODE
    eye = np.broadcast_to(np.eye(_NX), (N, _NX, _NX)).copy()
    idx = np.zeros(1, dtype=np.int64)
    update_formation(
        idx, 1, np.ones((N, _NX)), eye, np.full((1, N), 1.0 / N), np.zeros((1, 6)),
        np.eye(6)[None].copy(), np.zeros((1, _NX, 6)), 0.01, 0.01, np.zeros((N, m)),
        np.ones((N, m, 6)), np.zeros((N, _NX, m)), np.broadcast_to(np.eye(m), (N, m, m)).copy(),
        np.zeros((N, m)), np.zeros((2, m)), np.broadcast_to(np.eye(m), (2, m, m)).copy(), idx,
        idx + 1, np.ones(1), np.zeros((1, m, m)), 1, np.ones((N, _NX)), eye.copy(), np.zeros(N),
    )  # fmt: skip
    # ``_order``'s: the coast mode's covariances a strided view of the modes' (``Pp[:, COAST]``).
    two = np.arange(2, dtype=np.int64)
    xbar = np.ones((2, 6))
    P = np.broadcast_to(np.eye(_NX), (2, N, _NX, _NX)).copy()[:, 1]
    H = np.zeros((2, m, 6))
    H[:, 0, 0] = H[:, 1, 1] = H[:, 2, 2] = 1.0
    z, R = np.zeros((2, m)), np.broadcast_to(np.eye(m), (2, m, m)).copy()
    no, one = np.zeros(1, dtype=np.bool_), np.ones(1)
    sibling_pairs(
        np.ones((2, 2), dtype=np.bool_), two, two, two, two - 1, two, two - 1, xbar, P, 1.0, 1.0,
        1.0,
    )  # fmt: skip
    dx = pair_filter(
        xbar, idx, one, no, np.zeros((0, 6)), H, z, R, idx, idx + 1, 1, np.ones((2, N)),
        np.ones((2, N, _NX)), idx, idx + 1, no, two - 1, two, np.ones((1, 3)),
    )[0]  # fmt: skip
    formation_prior(xbar, P, H, idx, idx + 1, dx, one, one, one, one, one, one, one, 0.01)


# --- a formation's update (``formations.update_formation``): one call a scan -------------------

_NMODE = 3
_BOOST = 0
_MANOEUVRE = 2
_NX = 10
_LOG_2PI = math.log(2.0 * math.pi)


@numba.njit(cache=True, error_model="numpy")
def _pinv_hermitian(a, rcond):
    """``np.linalg.pinv(a, rcond, hermitian=True)`` of a symmetric matrix: its eigenvectors
    (LAPACK's ``syevd``, as numpy's ``eigh``) and the reciprocals of the eigenvalues above
    ``rcond`` times the largest in size, the rest 0."""
    ev, V = np.linalg.eigh(a)
    n = ev.size
    top = 0.0
    for j in range(n):
        top = max(top, abs(ev[j]))
    cut = rcond * top
    inv = np.zeros(n)
    for j in range(n):
        if abs(ev[j]) > cut:
            inv[j] = 1.0 / abs(ev[j]) * (1.0 if ev[j] >= 0.0 else -1.0)
    out = np.zeros((n, n))
    for i in range(n):
        for j in range(n):
            s = 0.0
            for q in range(n):
                s += V[i, q] * inv[q] * V[j, q]
            out[i, j] = s
    return out


@numba.njit(cache=True, error_model="numpy")
def _per_mode_relative(rel, xs, Ps, c, r, Prr, C, boost_floor, man_floor):
    """``formations._per_mode_relative``: each track's relative state carried into each of its
    modes by its regression on the track's state. Returns ``r_m`` (k, NMODE, 6), ``Prr_m``
    (k, NMODE, 6, 6), ``C_m`` (k, NMODE, NX, 6) and the modes carried (k, NMODE)."""
    k = rel.size
    nx = _NX
    r_m = np.empty((k, _NMODE, 6))
    Prr_m = np.empty((k, _NMODE, 6, 6))
    C_m = np.empty((k, _NMODE, nx, 6))
    carried = np.ones((k, _NMODE), dtype=np.bool_)
    w = np.empty(_NMODE)
    xbar = np.empty(nx)
    dx = np.empty((_NMODE, nx))
    Pbar = np.empty((nx, nx))
    d = np.empty(nx)
    Bt = np.empty((nx, 6))
    eps = np.empty((6, 6))
    for i in range(k):
        t = rel[i]
        ci = c[t]
        carried[i, _BOOST] = ci[_BOOST] >= boost_floor
        carried[i, _MANOEUVRE] = ci[_MANOEUVRE] >= man_floor
        anyc = False
        for mm in range(_NMODE):
            anyc = anyc or carried[i, mm]
        if not anyc:
            for mm in range(_NMODE):
                carried[i, mm] = True
        total = 0.0
        for mm in range(_NMODE):
            w[mm] = ci[mm] if carried[i, mm] else 0.0
            total += w[mm]
        if total > 0.0:
            for mm in range(_NMODE):
                w[mm] = w[mm] / max(total, 1e-300)
        else:
            s = 0.0
            for mm in range(_NMODE):
                s += ci[mm]
            for mm in range(_NMODE):
                w[mm] = ci[mm] / s
        for a in range(nx):
            s = 0.0
            for mm in range(_NMODE):
                s += w[mm] * xs[_NMODE * t + mm, a]
            xbar[a] = s
        for mm in range(_NMODE):
            for a in range(nx):
                dx[mm, a] = xs[_NMODE * t + mm, a] - xbar[a]
        for a in range(nx):
            for b in range(nx):
                s = 0.0
                for mm in range(_NMODE):
                    s += w[mm] * (Ps[_NMODE * t + mm, a, b] + dx[mm, a] * dx[mm, b])
                Pbar[a, b] = s
        # P̄⁻¹ on the correlation scale, a state no mode varies without weight.
        for a in range(nx):
            da = math.sqrt(max(Pbar[a, a], 0.0))
            d[a] = da if da > 0.0 else 1.0
        sc = np.empty((nx, nx))
        for a in range(nx):
            for b in range(nx):
                sc[a, b] = Pbar[a, b] / (d[a] * d[b])
        pi = _pinv_hermitian(sc, 1e-12)
        for a in range(nx):
            for j in range(6):
                s = 0.0
                for b in range(nx):
                    s += pi[a, b] / (d[a] * d[b]) * C[i, b, j]
                Bt[a, j] = s
        for a in range(6):
            for b in range(6):
                s = 0.0
                for q in range(nx):
                    s += C[i, q, a] * Bt[q, b]
                eps[a, b] = Prr[i, a, b] - s
        sym = np.empty((6, 6))
        for a in range(6):
            for b in range(6):
                sym[a, b] = 0.5 * (eps[a, b] + eps[b, a])
        ev, V = np.linalg.eigh(sym)
        for a in range(6):
            for b in range(6):
                s = 0.0
                for q in range(6):
                    s += V[a, q] * max(ev[q], 0.0) * V[b, q]
                eps[a, b] = s
        for mm in range(_NMODE):
            row = _NMODE * t + mm
            for j in range(6):
                s = 0.0
                for a in range(nx):
                    s += dx[mm, a] * Bt[a, j]
                r_m[i, mm, j] = r[i, j] + s
            for a in range(nx):
                for j in range(6):
                    s = 0.0
                    for b in range(nx):
                        s += Ps[row, a, b] * Bt[b, j]
                    C_m[i, mm, a, j] = s
            for a in range(6):
                for b in range(6):
                    s = 0.0
                    for q in range(nx):
                        s += Bt[q, a] * C_m[i, mm, q, b]
                    sym[a, b] = s + eps[a, b]
            for a in range(6):
                for b in range(6):
                    Prr_m[i, mm, a, b] = 0.5 * (sym[a, b] + sym[b, a])
    return r_m, Prr_m, C_m, carried


@numba.njit(cache=True, error_model="numpy")
def update_formation(
    rel, nf, xs, Ps, c, r, Prr, C, boost_floor, man_floor, zh, H, K, S, nu, z, R, own, other,
    sign, extra, az, x_new, P_new, ll,
):  # fmt: skip
    """``formations.update_formation`` whole: the relative state carried into each mode
    (``_per_mode_relative``), the tracks updated alone through their cross-covariance, the
    formation's rows (``rel[:nf]``, their detections ``own``, ``other``, side ``sign``, the
    partner's white noise ``extra``) updated with both detections as ``[x; r]``; written into
    ``x_new``, ``P_new``, ``ll`` (mode-expanded rows), the relative state's per mode returned
    (``r_m``, ``Prr_m``, ``C_m``) with the modes carried. ``az``: the azimuth's index in a
    measurement (wrapped to [-π, π))."""
    r_m, Prr_m, C_m, carried = _per_mode_relative(rel, xs, Ps, c, r, Prr, C, boost_floor, man_floor)
    k = rel.size
    m = H.shape[1]
    nx = _NX
    HC = np.empty((m, 6))
    Kr = np.empty((6, m))
    for i in range(nf, k):
        for mm in range(_NMODE):
            row = _NMODE * rel[i] + mm
            Cr = C_m[i, mm]
            for a in range(m):
                for j in range(6):
                    s = 0.0
                    for b in range(6):
                        s += H[row, a, b] * Cr[b, j]
                    HC[a, j] = s
            Sinv = np.linalg.solve(np.ascontiguousarray(S[row]), np.eye(m))
            for j in range(6):
                for a in range(m):
                    s = 0.0
                    for b in range(m):
                        s += HC[b, j] * Sinv[b, a]
                    Kr[j, a] = s
            for j in range(6):
                s = 0.0
                for a in range(m):
                    s += Kr[j, a] * nu[row, a]
                r_m[i, mm, j] += s
            for a in range(6):
                for b in range(6):
                    s = 0.0
                    for q in range(m):
                        s += Kr[a, q] * HC[q, b]
                    Prr_m[i, mm, a, b] -= s
            for a in range(nx):
                for j in range(6):
                    s = 0.0
                    for q in range(m):
                        s += K[row, a, q] * HC[q, j]
                    Cr[a, j] -= s
    n2 = 2 * m
    na = nx + 6
    y0 = np.empty(na)
    Y0 = np.empty((na, na))
    Ha = np.empty((n2, na))
    YHt = np.empty((na, n2))
    S2 = np.empty((n2, n2))
    nu2 = np.empty(n2)
    K2 = np.empty((na, n2))
    KS = np.empty((na, n2))
    for i in range(nf):
        sg = sign[i]
        for mm in range(_NMODE):
            row = _NMODE * rel[i] + mm
            for a in range(nx):
                y0[a] = xs[row, a]
                for b in range(nx):
                    Y0[a, b] = Ps[row, a, b]
                for j in range(6):
                    Y0[a, nx + j] = C_m[i, mm, a, j]
                    Y0[nx + j, a] = C_m[i, mm, a, j]
            for j in range(6):
                y0[nx + j] = r_m[i, mm, j]
                for q in range(6):
                    Y0[nx + j, nx + q] = Prr_m[i, mm, j, q]
            Ha[:] = 0.0
            for a in range(m):
                for b in range(6):
                    Ha[a, b] = H[row, a, b]
                    Ha[m + a, b] = H[row, a, b]
                    Ha[m + a, nx + b] = -sg * H[row, a, b]
            for a in range(na):
                for j in range(n2):
                    s = 0.0
                    for q in range(na):
                        s += Y0[a, q] * Ha[j, q]
                    YHt[a, j] = s
            for a in range(n2):
                for j in range(n2):
                    s = 0.0
                    for q in range(na):
                        s += Ha[a, q] * YHt[q, j]
                    S2[a, j] = s
            for a in range(m):
                s = 0.0
                for b in range(6):
                    s += H[row, a, b] * r_m[i, mm, b]
                zr2 = zh[row, a] - sg * s
                nu2[a] = z[own[i], a] - zh[row, a]
                nu2[m + a] = z[other[i], a] - zr2
            for h in (az, m + az):
                nu2[h] = (nu2[h] + math.pi) % (2.0 * math.pi) - math.pi
            for a in range(m):
                for b in range(m):
                    S2[a, b] += R[own[i], a, b]
                    S2[m + a, m + b] += R[other[i], a, b] + extra[i, a, b]
            Sinv = np.linalg.solve(S2, np.eye(n2))
            _, logdet = np.linalg.slogdet(S2)
            for a in range(na):
                for j in range(n2):
                    s = 0.0
                    for q in range(n2):
                        s += YHt[a, q] * Sinv[q, j]
                    K2[a, j] = s
            for a in range(na):
                for j in range(n2):
                    s = 0.0
                    for q in range(n2):
                        s += K2[a, q] * S2[q, j]
                    KS[a, j] = s
            for a in range(na):
                s = 0.0
                for q in range(n2):
                    s += K2[a, q] * nu2[q]
                y = y0[a] + s
                if a < nx:
                    x_new[row, a] = y
                else:
                    r_m[i, mm, a - nx] = y
            for a in range(na):
                for b in range(na):
                    s = 0.0
                    for q in range(n2):
                        s += KS[a, q] * K2[b, q]
                    yab = Y0[a, b] - s
                    if a < nx and b < nx:
                        P_new[row, a, b] = yab
                    elif a < nx:
                        C_m[i, mm, a, b - nx] = yab
                    elif b >= nx:
                        Prr_m[i, mm, a - nx, b - nx] = yab
            d2 = 0.0
            for a in range(n2):
                s = 0.0
                for b in range(n2):
                    s += Sinv[a, b] * nu2[b]
                d2 += nu2[a] * s
            ll[row] = -0.5 * (d2 + logdet + n2 * _LOG_2PI)
    return r_m, Prr_m, C_m, carried


# --- ``Formations._order``'s pairs and their matched filter: one call each a scan --------------


@numba.njit(cache=True, error_model="numpy")
def sibling_pairs(ok, ia, jb, cand, parent, ids, twin, xbar, P, max_dv2, twin_var, gate3):
    """``Formations._order``'s closely spaced pairs, its numpy lines from ``mutual`` to the
    disjoint pairs: of the tracks ``cand[ia]`` assigned detections ``jb``, the pairs (rows
    ``p_ < c_`` of ``ia``) each gating the other's detection (``ok``) or born one next to the
    other (``parent``, ``ids``), moving together (velocities of ``xbar`` within
    ``max_dv2``; twins, or a piece and its parent, within the gate ``gate3`` of their
    velocities' covariances ``P`` summed plus ``twin_var`` per axis), each track in one pair
    only. Returns ``p_``, ``c_``, whether each pair shares its detections and whether it is
    kin (one born next to the other)."""
    k = ia.size
    mutual = np.zeros((k, k), dtype=np.bool_)
    kin = np.zeros((k, k), dtype=np.bool_)
    for i in range(k):
        for j in range(k):
            mutual[i, j] = ok[ia[i], jb[j]] and ok[ia[j], jb[i]]
            ti, tj = cand[ia[i]], cand[ia[j]]
            kin[i, j] = parent[ti] == ids[tj] or parent[tj] == ids[ti]
    pr = np.empty(k * k, dtype=np.int64)
    pc = np.empty(k * k, dtype=np.int64)
    n = 0
    dv = np.empty(3)
    Sv = np.empty((3, 3))
    for i in range(k):
        for j in range(i + 1, k):
            if not (mutual[i, j] or kin[i, j]):
                continue
            ri, rj = ia[i], ia[j]
            s = 0.0
            for q in range(3):
                dv[q] = xbar[ri, 3 + q] - xbar[rj, 3 + q]
                s += dv[q] * dv[q]
            near = s <= max_dv2
            ti, tj = cand[ri], cand[rj]
            twins = twin[ti] == ids[tj] or twin[tj] == ids[ti]
            if not near and (twins or kin[i, j]):
                for a in range(3):
                    for b in range(3):
                        Sv[a, b] = P[ri, 3 + a, 3 + b] + P[rj, 3 + a, 3 + b]
                    Sv[a, a] += twin_var
                sol = np.linalg.solve(Sv, dv)
                d2 = 0.0
                for q in range(3):
                    d2 += dv[q] * sol[q]
                near = d2 <= gate3
            if near:
                pr[n] = i
                pc[n] = j
                n += 1
    cnt = np.zeros(k, dtype=np.int64)
    for q in range(n):
        cnt[pr[q]] += 1
        cnt[pc[q]] += 1
    out = 0
    for q in range(n):
        if cnt[pr[q]] == 1 and cnt[pc[q]] == 1:
            out += 1
    p_ = np.empty(out, dtype=np.int64)
    c_ = np.empty(out, dtype=np.int64)
    shared = np.empty(out, dtype=np.bool_)
    kin_pc = np.empty(out, dtype=np.bool_)
    o = 0
    for q in range(n):
        if cnt[pr[q]] == 1 and cnt[pc[q]] == 1:
            p_[o], c_[o] = pr[q], pc[q]
            shared[o] = mutual[pr[q], pc[q]]
            kin_pc[o] = kin[pr[q], pc[q]]
            o += 1
    return p_, c_, shared, kin_pc


@numba.njit(cache=True, error_model="numpy")
def pair_filter(xbar, rp, tau, fall, dxf, H, z, R, jp, jc, az, mu, xm, older, young, staging,
                parent, ids, axis):  # fmt: skip
    """``Formations._order``'s matched filter of the pairs (rows ``rp`` of ``xbar`` and ``H``,
    the older's; detections ``jp``, ``jc`` of ``z``, ``R``), its numpy lines from ``dx`` to
    ``bc``: the relative motion per m/s ``dx`` (k, 6) (the straight line along the older's
    velocity, ``tau`` s long, or ``dxf``'s rows for the pairs falling freely, ``fall``), its
    measurement ``dz`` (k, m), the detections' difference solved with their summed noise
    ``w`` (k, m), ``g`` and ``a`` (k,), and the thrusts' offset's ``gc``, ``bc`` (k,): the
    older's thrust less the younger's (``mu``, ``xm``: the store's boost modes; where the
    older is taken as thrusting and the pair is not ``staging``), along ``axis`` for a pair
    of which the younger was born next to the older."""
    k = rp.size
    m = z.shape[1]
    dx = np.empty((k, 6))
    dz = np.empty((k, m))
    w = np.empty((k, m))
    g = np.empty(k)
    a = np.empty(k)
    gc = np.empty(k)
    bc = np.empty(k)
    f = 0
    Rs = np.empty((m, m))
    zd = np.empty(m)
    dzi = np.empty(m)
    dzc = np.empty(m)
    dacc = np.empty(3)
    c6 = np.empty(6)
    for i in range(k):
        r = rp[i]
        if fall[i]:
            for q in range(6):
                dx[i, q] = dxf[f, q]
            f += 1
        else:
            s = 0.0
            for q in range(3):
                s += xbar[r, 3 + q] * xbar[r, 3 + q]
            nrm = math.sqrt(s)
            for q in range(3):
                vh = xbar[r, 3 + q] / nrm
                dx[i, q] = tau[i] * vh
                dx[i, 3 + q] = vh
        for q in range(m):
            s = 0.0
            for j in range(6):
                s += H[r, q, j] * dx[i, j]
            dz[i, q] = s
            dzi[q] = s
            zd[q] = z[jp[i], q] - z[jc[i], q]
            for j in range(m):
                Rs[q, j] = R[jp[i], q, j] + R[jc[i], q, j]
        zd[az] = (zd[az] + math.pi) % (2.0 * math.pi) - math.pi
        wi = np.linalg.solve(Rs, zd)
        wz = np.linalg.solve(Rs, dzi)
        sg = 0.0
        sa = 0.0
        for q in range(m):
            w[i, q] = wi[q]
            sg += dzi[q] * wi[q]
            sa += dzi[q] * wz[q]
        g[i] = sg
        a[i] = sa
        o, y = older[i], young[i]
        thrusting = mu[o, 0] >= 0.5 and not staging[i]
        for q in range(3):
            dacc[q] = mu[o, 0] * xm[o, 0, 6 + q] - mu[y, 0] * xm[y, 0, 6 + q] if thrusting else 0.0
        s = 0.0
        for q in range(3):
            s += axis[i, q] * axis[i, q]
        if parent[y] == ids[o] and s > 0.0:
            size = 0.0
            for q in range(3):
                size += dacc[q] * axis[i, q]
            for q in range(3):
                dacc[q] = size * axis[i, q]
        half = 0.5 * (tau[i] * tau[i])
        for q in range(3):
            c6[q] = half * dacc[q]
            c6[3 + q] = tau[i] * dacc[q]
        sg = 0.0
        sa = 0.0
        for q in range(m):
            s = 0.0
            for j in range(6):
                s += H[r, q, j] * c6[j]
            dzc[q] = s
            sg += s * wi[q]
            sa += s * wz[q]
        gc[i] = sg
        bc[i] = sa
    return dx, dz, w, g, a, gc, bc


@numba.njit(cache=True, error_model="numpy")
def formation_prior(xbar, P, H, rp, rc, dx, v_mean, v_var, tau, sig_pos, sig_vel, sig_down,
                    sig_t, push_sigma):  # fmt: skip
    """``Formations._order``'s formations' start, its numpy lines from ``r0`` to ``q``: of the
    pairs (rows ``rp``, older, and ``rc``, younger, of ``xbar``, ``P``, ``H``) the relative
    state ``r0`` (k, 6), one push of the posterior's mean speed along ``dx``, and its
    covariance ``Prr0`` (k, 6, 6), the speed's variance along it plus what the one-push motion
    leaves out (``_relative_prior``: the parting's time ``sig_t``, the push's direction off the
    older's velocity by its error and ``push_sigma``, drag's ``sig_pos``, ``sig_vel``); per
    track, older ones then younger, the white noise ``extra`` (2k, m, m) drag met on the way
    down (``sig_down``) adds to the partner's detection, and ``q`` (2k,) its size against the
    track's predicted uncertainty there."""
    k = rp.size
    m = H.shape[1]
    r0 = np.empty((k, 6))
    Prr0 = np.empty((k, 6, 6))
    extra = np.empty((2 * k, m, m))
    q = np.empty(2 * k)
    S = np.empty((m, m))
    HP = np.empty((m, 6))
    for i in range(k):
        r = rp[i]
        for a in range(6):
            r0[i, a] = v_mean[i] * dx[i, a]
            for b in range(6):
                Prr0[i, a, b] = v_var[i] * dx[i, a] * dx[i, b]
        vel_var = P[r, 3, 3] + P[r, 4, 4] + P[r, 5, 5]
        vv = 0.0
        for a in range(3):
            vv += xbar[r, 3 + a] * xbar[r, 3 + a]
        sig_dir = math.hypot(math.sqrt(vel_var / vv), push_sigma)
        speed = math.sqrt(v_mean[i] * v_mean[i] + v_var[i])
        sv2 = (sig_dir * speed) ** 2 + sig_vel[i] ** 2
        sp2 = (sig_t[i] * speed) ** 2 + sig_pos[i] ** 2 + sv2 * tau[i] ** 2
        for a in range(3):
            Prr0[i, a, a] += sp2
            Prr0[i, 3 + a, 3 + a] += sv2
    for h in range(2 * k):
        r = rp[h] if h < k else rc[h - k]
        sd2 = sig_down[h % k] ** 2
        for a in range(m):
            for b in range(m):
                s = 0.0
                for j in range(3):
                    s += H[r, a, j] * H[r, b, j]
                extra[h, a, b] = sd2 * s
        for a in range(m):
            for b in range(6):
                s = 0.0
                for j in range(6):
                    s += H[r, a, j] * P[r, j, b]
                HP[a, b] = s
        for a in range(m):
            for b in range(m):
                s = 0.0
                for j in range(6):
                    s += HP[a, j] * H[r, b, j]
                S[a, b] = s
        Si = np.linalg.solve(S, np.eye(m))
        s = 0.0
        for a in range(m):
            for b in range(m):
                s += Si[a, b] * extra[h, b, a]
        q[h] = s
    return r0, Prr0, extra, q
