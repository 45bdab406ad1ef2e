"""The EKF update of the tracks' mode estimates with their assigned detections
(``update_modes``): each mode updated on its own, its probability from the innovation
likelihoods, drag kept from pushing (``truncate_drag``), the pairs of closely spaced objects
updated as formations (``formations.update_formation``).
"""

from __future__ import annotations

import math

import numpy as np
from scipy.special import log_ndtr

from lookout.physics.einsum import einsum
from lookout.tracking import measure
from lookout.tracking.config import TrackerConfig
from lookout.tracking.formations import Formation, update_formation
from lookout.tracking.mixing import BOOST, COAST, MANOEUVRE, NMODE
from lookout.tracking.motion import KAPPA, NX, numpy_step
from lookout.tracking.scans import Scan

_LOG_2PI = math.log(2.0 * math.pi)

#: ``lookout.tracking.compiled`` once imported (numba: on the first update).
_compiled = None


#: The closed-form inverse (``inv_small``) is kept where the determinant of ``S``'s
#: correlation matrix (``delta = det S / prod S_ii``: 1 for uncorrelated components, 0 for a
#: singular ``S``) is at least this, ``sqrt(eps)``; below, ``scaled_ldl``. The cofactors of a
#: correlation matrix cancel, and lose some ``eps / delta`` of the d²: a vague track seen by a
#: radar (sigmas of thousands of km in range, of km/s in range rate) correlates range, angles
#: and range rate to within 1e-7 of one, ``delta`` 1e-19, and mass-raid's gate read a detection
#: at d² 38,462 as 22.6, inside the gate. Measured on mass-raid's 3.9 million d² (closed form
#: against the scaled factor): 3e-8 relative at most for ``delta`` in [1e-8, 1e-6), 2e-6 in
#: [1e-10, 1e-8), 2e-2 in [1e-14, 1e-10), 1e7 below (docs/history/tracking-log.md, scale58).
CLOSED_FORM_MIN_DELTA = math.sqrt(np.finfo(float).eps)


def _closed_form(S: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``inv_small``'s closed forms (m = 2, 3, 4): the inverse, the determinant of the leading
    block of up to three and, for m = 4, the Schur complement of that block (else 1)."""
    m = S.shape[-1]
    if m == 4:
        # Schur complement of the leading 3 x 3 block (range, azimuth, elevation).
        Ainv, det, _ = _closed_form(S[..., :3, :3])
        b = S[..., :3, 3]
        Ab = einsum("...ij,...j->...i", Ainv, b)
        sc = S[..., 3, 3] - einsum("...i,...i->...", b, Ab)
        # At least the subtraction's rounding (positive in exact arithmetic: S = H P H' + R): a
        # vague track's range-rate variance (1e14) less its part explained by the range. A row
        # this low has ``delta`` below 1e-13: ``innovation_inverse`` takes ``scaled_ldl`` there.
        sc = np.maximum(sc, 1e-13 * S[..., 3, 3])
        inv = np.empty_like(S)
        w = Ab / sc[..., None]
        inv[..., :3, :3] = Ainv + w[..., :, None] * Ab[..., None, :]
        inv[..., :3, 3] = inv[..., 3, :3] = -w
        inv[..., 3, 3] = 1.0 / sc
        return inv, det, sc
    one = np.ones(S.shape[:-2])
    if m == 2:
        a, b, d = S[..., 0, 0], S[..., 0, 1], S[..., 1, 1]
        det = a * d - b * b
        inv = np.empty_like(S)
        inv[..., 0, 0], inv[..., 1, 1] = d / det, a / det
        inv[..., 0, 1] = inv[..., 1, 0] = -b / det
        return inv, det, one
    a, b, c = S[..., 0, 0], S[..., 0, 1], S[..., 0, 2]
    d, e, f = S[..., 1, 1], S[..., 1, 2], S[..., 2, 2]
    A, B, C = d * f - e * e, c * e - b * f, b * e - c * d
    det = a * A + b * B + c * C
    inv = np.empty_like(S)
    inv[..., 0, 0], inv[..., 1, 1], inv[..., 2, 2] = A, a * f - c * c, a * d - b * b
    inv[..., 0, 1] = inv[..., 1, 0] = B
    inv[..., 0, 2] = inv[..., 2, 0] = C
    inv[..., 1, 2] = inv[..., 2, 1] = b * c - a * e
    inv /= det[..., None, None]
    return inv, det, one


def inv_small(S: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Inverse and log-determinant of a stack of small SPD matrices (..., m, m); closed forms
    for m = 2, 3 and 4 (numpy's batched LAPACK costs more than the arithmetic on tiny stacks).
    Accurate only where ``S`` is well conditioned once scaled (``innovation_inverse``)."""
    m = S.shape[-1]
    if 2 <= m <= 4:
        inv, det, sc = _closed_form(S)
        return inv, np.log(det) + np.log(sc)  # sc is 1 below m = 4
    sign, logdet = np.linalg.slogdet(S)
    return np.linalg.inv(S), logdet


def ill_conditioned(S: np.ndarray, det: np.ndarray, sc: np.ndarray) -> np.ndarray:
    """Where the closed form's ``det`` (and ``sc``) of ``S`` (..., m, m), m = 2-4, say its
    correlation matrix's determinant is below ``CLOSED_FORM_MIN_DELTA`` (or is not a number):
    the closed form is not to be trusted there (``compiled._ill`` the same, float for float)."""
    m = S.shape[-1]
    prod = S[..., 0, 0] * S[..., 1, 1]
    for i in range(2, m):
        prod = prod * S[..., i, i]
    return ~(det * sc >= CLOSED_FORM_MIN_DELTA * prod)


def scaled_ldl(S: np.ndarray, R: np.ndarray, nu: np.ndarray):
    """Inverse, determinant parts and squared Mahalanobis distance of innovations ``nu`` (N, m)
    through covariances ``S = H P H' + R`` (N, m, m) of noises ``R`` (N, m, m), for those the
    closed form cannot take (``ill_conditioned``): ``S`` scaled to unit diagonal
    (``D^-1/2 S D^-1/2``), factored ``L diag(p) L'``, d² as ``sum y_k² / p_k`` with ``L y =
    D^-1/2 nu`` (no cancellation), the inverse from the factor. ``S - R = H P H'`` is positive
    semi-definite, so each diagonal element of ``S`` is at least ``R``'s and each pivot ``p_k``
    (the Schur complement of ``S``'s leading k - 1 block in its leading k) at least ``R``'s
    pivot with the same scaling: a pivot (or diagonal) the rounding put below is raised to
    it. Returns the inverse (N, m, m), the determinant of the leading block of up to three and
    the rest (m = 4: the last pivot unscaled; else 1) as ``_closed_form``'s, d² (N,) and
    whether a pivot was raised (N,). ``compiled._scaled_ldl`` the same, float for float."""
    N, m = nu.shape
    d = np.sqrt(np.maximum(np.einsum("kii->ki", S), np.einsum("kii->ki", R)))
    C = S / d[:, :, None] / d[:, None, :]
    Rc = R / d[:, :, None] / d[:, None, :]
    L, Lr = np.zeros((N, m, m)), np.zeros((N, m, m))
    p, pr = np.empty((N, m)), np.empty((N, m))
    raised = np.zeros(N, dtype=bool)
    for j in range(m):
        q, qr = C[:, j, j].copy(), Rc[:, j, j].copy()
        for c in range(j):
            q = q - L[:, j, c] * L[:, j, c] * p[:, c]
            qr = qr - Lr[:, j, c] * Lr[:, j, c] * pr[:, c]
        pr[:, j] = qr
        low = qr > q  # a NaN floor (a singular R) raises nothing
        raised |= low
        p[:, j] = np.where(low, qr, q)
        L[:, j, j] = Lr[:, j, j] = 1.0
        for i in range(j + 1, m):
            q, qr = C[:, i, j].copy(), Rc[:, i, j].copy()
            for c in range(j):
                q = q - L[:, i, c] * L[:, j, c] * p[:, c]
                qr = qr - Lr[:, i, c] * Lr[:, j, c] * pr[:, c]
            L[:, i, j] = q / p[:, j]
            Lr[:, i, j] = qr / pr[:, j]
    # M = L^-1 (unit lower triangular), y = M u.
    M = np.zeros((N, m, m))
    for i in range(m):
        M[:, i, i] = 1.0
        for j in range(i):
            q = np.zeros(N)
            for c in range(j, i):
                q = q - L[:, i, c] * M[:, c, j]
            M[:, i, j] = q
    u = nu / d
    d2 = np.zeros(N)
    for i in range(m):
        y = np.zeros(N)
        for c in range(i + 1):
            y = y + M[:, i, c] * u[:, c]
        d2 = d2 + y * y / p[:, i]
    inv = np.empty((N, m, m))
    for a in range(m):
        for b in range(m):
            q = np.zeros(N)
            for c in range(max(a, b), m):
                q = q + M[:, c, a] * M[:, c, b] / p[:, c]
            inv[:, a, b] = q / d[:, a] / d[:, b]
    det = np.ones(N)
    for i in range(min(m, 3)):
        det = det * (d[:, i] * d[:, i] * p[:, i])
    sc = d[:, 3] * d[:, 3] * p[:, 3] if m == 4 else np.ones(N)
    return inv, det, sc, d2, raised


def innovation_inverse(S: np.ndarray, R: np.ndarray, nu: np.ndarray, quadratic):
    """``S`` (..., m, m) inverted, its log-determinant and the squared Mahalanobis distances
    of ``nu`` (..., m) through it, ``R`` (broadcast to ``S``) the measurement noise in it:
    the closed form (``inv_small``; d² by ``quadratic(nu, inv)``, the caller's sum) where it is
    accurate, ``scaled_ldl`` where not (``ill_conditioned``); other m, numpy's LU."""
    m = S.shape[-1]
    if not 2 <= m <= 4:
        inv, logdet = inv_small(S)
        return inv, logdet, quadratic(nu, inv)
    inv, det, sc = _closed_form(S)
    d2 = quadratic(nu, inv)
    ill = ill_conditioned(S, det, sc)
    if ill.any():
        R = np.broadcast_to(R, S.shape)
        nu_b = np.broadcast_to(nu, S.shape[:-1])
        inv[ill], det[ill], sc[ill], d2[ill], _ = scaled_ldl(S[ill], R[ill], nu_b[ill])
    return inv, np.log(det) + np.log(sc), d2  # sc is 1 below m = 4


def ekf_update(kind: str, xs, Ps, zh, H, z, R):
    """The EKF update of states ``xs`` (N, n) with covariances ``Ps`` (N, n, n), their
    measurements predicted ``zh`` (N, m) with Jacobians ``H`` (N, m, 6), by detections ``z``
    (N, m) of noise ``R`` (N, m, m) of a ``kind`` sensor: updated states and covariances,
    innovations (N, m), their covariances ``S``, the gains ``K`` (N, n, m) and the innovations'
    log-likelihoods (N,). Compiled (``compiled.ekf_update``: the same arithmetic in one call
    instead of some twenty numpy calls; sums in another order, the last digits differ) unless
    ``LOOKOUT_NUMPY_STEP=1``."""
    m = zh.shape[1]
    if 2 <= m <= 4 and xs.dtype == np.float64 and not numpy_step():
        global _compiled
        if _compiled is None:
            from lookout.tracking import compiled as _compiled
        x_new, P_new, nu, S, K, d2, det, sc = _compiled.ekf_update(
            xs, Ps, zh, H, z, R, measure.AZIMUTH_INDEX[kind]
        )
        # The logarithms numpy's (as ``association.mode_distances``).
        logdet = np.log(det) + np.log(sc) if m == 4 else np.log(det)
        return x_new, P_new, nu, S, K, -0.5 * (d2 + logdet + m * _LOG_2PI)
    nu = measure.wrap(z - zh, kind)
    PHt = Ps[:, :, :6] @ H.transpose(0, 2, 1)  # (N, n, m)
    S = H @ PHt[:, :6, :] + R
    Sinv, logdet, d2 = innovation_inverse(
        S, R, nu, lambda nu, Sinv: einsum("ki,kij,kj->k", nu, Sinv, nu)
    )
    K = PHt @ Sinv
    ll = -0.5 * (d2 + logdet + m * _LOG_2PI)
    # Joseph's form, ``(I - K H) P (I - K H)' + K R K'``: positive semi-definite whatever
    # ``K``'s rounding. ``P - K S K'`` is so only for the exact gain, and a young track's
    # vague velocity against a range rate known to 0.5 m/s makes ``S`` ill-conditioned: its
    # range-rate Schur complement is the difference of numbers 1e14 apart, and me63 #05's
    # staged hypothesis came out of an update with a covariance eigenvalue of -3,776 m².
    IKH = np.empty(Ps.shape)
    IKH[:] = np.eye(Ps.shape[1])
    IKH[:, :, :6] -= K @ H
    KR = K @ R
    P_new = IKH @ Ps @ IKH.transpose(0, 2, 1) + KR @ K.transpose(0, 2, 1)
    x_new = xs + (K @ nu[:, :, None])[:, :, 0]
    return x_new, P_new, nu, S, K, ll


def update_modes(
    scan: Scan,
    jb: np.ndarray,
    formation: Formation | None,
    xp: np.ndarray,
    Pp: np.ndarray,
    c: np.ndarray,
    thrust_ok: np.ndarray,
    cfg: TrackerConfig,
    staged=None,
    contested=None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """EKF update of tracks predicted to ``xp`` (na, 3, 10), ``Pp`` (na, 3, 10, 10) with mode
    probabilities ``c`` (na, 3) with detections ``jb`` (na,) of ``scan``, mode by mode; the
    tracks of ``formation`` (``Formations.order_siblings``) by ``update_formation`` instead.
    Where ``thrust_ok`` is False no thrust reaches the detection
    (``association.thrust_reachable``): the boost mode gets no weight from it.

    ``staged`` (``Tracker._predict_staged``): the share ``q`` (na,) of the predicted boost
    probability that is the staged hypothesis (the next stage lit, ``mixing.staged_prior``)
    and its prediction (na, 10), (na, 10, 10): updated as a fourth mode (a boost mode), the
    boost probability split between the two by their likelihoods. Returns the updated mode
    estimates and mode probabilities (the boost mode's the total of both hypotheses', its
    estimate the more probable one's), and, with ``staged``, the staged hypothesis's share
    of it and its estimate.

    ``contested`` (``Associator.contested``): per track the detection of its sibling (-1:
    none) and the probability ``w`` that the two detections are the other way round. Such a
    track is updated with each (the two-track JPDA's marginal): per mode, the pairing's
    probability given the mode is ``w`` times the mode's likelihood over the track's mixture
    likelihood (the mode's share of the evidence the joint event was weighed on), and the
    two updates are moment-matched, so the covariance keeps the spread between them (a
    track with no staged hypothesis only)."""
    m, kind = scan.m, scan.kind
    na = jb.size
    xs = xp.reshape(NMODE * na, NX)
    Ps = Pp.reshape(NMODE * na, NX, NX)
    st = np.zeros(0, dtype=np.int64)
    if staged is not None:
        q = staged[0].copy()
        if formation is not None:
            q[formation.rows] = 0.0  # a formation coasts together
        st = np.flatnonzero(q > 0.0)
    if st.size:
        # The staged modes' rows after the modes' (the formation's rows index the latter).
        xs = np.concatenate([xs, staged[1][st]])
        Ps = np.concatenate([Ps, staged[2][st]])
    nm = NMODE * na
    jj = np.concatenate([jb.repeat(NMODE), jb[st]])
    ar = np.zeros(0, dtype=np.int64)
    if contested is not None:
        alt, w_alt, _ = contested
        busy = np.zeros(na, dtype=bool)
        busy[st] = True
        ar = np.flatnonzero((alt != -1) & (w_alt > 0.0) & ~busy)
    n_main = xs.shape[0]
    if ar.size:
        # The other pairing's rows after the staged ones: every mode of each contested track.
        rows_alt = (ar[:, None] * NMODE + np.arange(NMODE)).ravel()
        xs = np.concatenate([xs, xs[rows_alt]])
        Ps = np.concatenate([Ps, Ps[rows_alt]])
        missed = np.repeat(alt[ar] < 0, NMODE)  # the track's object missed: not updated
        jj = np.concatenate([jj, np.repeat(np.where(alt[ar] >= 0, alt[ar], jb[ar]), NMODE)])
    zh, H = measure.linearized(kind, xs, Ps, scan, jj, m)
    x_new, P_new, nu, S, K, ll = ekf_update(kind, xs, Ps, zh, H, scan.z[jj], scan.R[jj])
    if formation is not None:
        update_formation(scan, formation, xs, Ps, c, zh, H, x_new, P_new, ll, K, S, nu)
    # Drag cannot push (``truncate_drag``) in the modes where it is the only force along
    # the track; in the boost mode thrust and drag share that direction (only their sum is
    # seen), and a negative kappa there is more thrust: its mean is clipped, as before.
    drag_only = np.concatenate(
        [
            np.arange(NMODE * na) % NMODE != BOOST,
            np.zeros(st.size, bool),
            np.arange(NMODE * ar.size) % NMODE != BOOST,
        ]
    )
    dll_drag, moved, gain = truncate_drag(
        xs[drag_only], Ps[drag_only], x_new, P_new, np.flatnonzero(drag_only)
    )
    ll[drag_only] += dll_drag
    if formation is not None and formation.rel is not None and moved.size:
        main = moved < n_main
        shift_relative(formation, moved[main], gain[main])
    # Thrust cannot pull back (``truncate_thrust``) in the boost modes, the staged ones too;
    # not in a formation's (it coasts together, its relative state estimated with its modes).
    thrusting = ~drag_only
    if formation is not None:
        for k in (formation.rows, formation.rel):
            if k is not None:
                thrusting[np.asarray(k, dtype=np.int64) * NMODE + BOOST] = False
    dll_thrust, _, _ = truncate_thrust(
        xs[thrusting], Ps[thrusting], x_new, P_new, np.flatnonzero(thrusting)
    )
    ll[thrusting] += dll_thrust
    if ar.size:
        # Both pairings of a contested track, per mode (``contested``): the joint event's
        # probability over the track's own mixture likelihood of its detection (``cost``:
        # -2 ln of it), times the mode's likelihood, moment-matched.
        cost = contested[2]
        w_r = np.repeat(w_alt[ar], NMODE)
        own = np.repeat(cost[ar, 0], NMODE)
        other = np.repeat(cost[ar, 1], NMODE)
        # ``ll`` holds the -m ln(2π) / 2 that ``cost`` leaves out; a missed object's
        # likelihood is every mode's alike.
        l1 = ll[rows_alt] + np.log1p(-np.minimum(w_r, 1.0 - 1e-300)) + 0.5 * (own + m * _LOG_2PI)
        l2 = np.where(missed, 0.0, ll[n_main:] + 0.5 * (other + m * _LOG_2PI)) + np.log(w_r)
        x_new[n_main:][missed] = xs[n_main:][missed]
        P_new[n_main:][missed] = Ps[n_main:][missed]
        top = np.maximum(l1, l2)
        top = np.where(np.isfinite(top), top, 0.0)
        a1, a2 = np.exp(l1 - top), np.exp(l2 - top)
        tot = a1 + a2
        p2 = np.where(tot > 0.0, a2 / np.maximum(tot, 1e-300), w_r)
        x1, x2 = x_new[rows_alt], x_new[n_main:]
        d = x2 - x1
        x_new[rows_alt] = x1 + p2[:, None] * d
        P_new[rows_alt] = (
            (1.0 - p2)[:, None, None] * P_new[rows_alt]
            + p2[:, None, None] * P_new[n_main:]
            + (p2 * (1.0 - p2))[:, None, None] * d[:, :, None] * d[:, None, :]
        )
        with np.errstate(divide="ignore"):
            ll[rows_alt] = top + np.log(tot)
        x_new, P_new, ll = x_new[:n_main], P_new[:n_main], ll[:n_main]
    x_new[:, KAPPA] = np.maximum(x_new[:, KAPPA], 0.0)
    P_new = 0.5 * (P_new + P_new.transpose(0, 2, 1))
    x_st, P_st, ll_st = x_new[nm:], P_new[nm:], ll[nm:]
    x_new, P_new, ll = x_new[:nm], P_new[:nm], ll[:nm].reshape(na, NMODE)
    if kind == "infrared":
        ll[:, COAST] += math.log(cfg.ir_coast_likelihood)
        ll[:, MANOEUVRE] += math.log(cfg.ir_coast_likelihood)  # manoeuvre mode: no plume
    ll[~thrust_ok, BOOST] = -np.inf
    x_new = x_new.reshape(na, NMODE, NX)
    P_new = P_new.reshape(na, NMODE, NX, NX)
    share = np.zeros(na)
    xs_new, Ps_new = x_new[:, BOOST].copy(), P_new[:, BOOST].copy()
    if st.size:
        # The boost mode's two hypotheses, weighed by their likelihoods: the current stage
        # (its share ``1 - q``) and the next one (``q``).
        ll_st = np.where(thrust_ok[st], ll_st, -np.inf)
        top = ll.max(axis=1)
        top[st] = np.maximum(top[st], ll_st)
        ll -= top[:, None]
        mu = c * np.exp(ll)
        w_st = c[st, BOOST] * q[st] * np.exp(ll_st - top[st])
        w_b = mu[st, BOOST] * (1.0 - q[st])
        mu[st, BOOST] = w_b + w_st
        share[st] = w_st / np.maximum(w_b + w_st, 1e-300)
        xs_new[st], Ps_new[st] = x_st, P_st
    else:
        ll -= ll.max(axis=1, keepdims=True)
        mu = c * np.exp(ll)
    mu /= mu.sum(axis=1, keepdims=True)
    mu = np.clip(mu, 1e-12, 1.0)
    mu /= mu.sum(axis=1, keepdims=True)
    if formation is not None and formation.sink is not None:
        formation.sink.commit(formation, scan.t, x_new, mu)
    # The more probable hypothesis is the boost mode, the other the staged one.
    swap = share > 0.5
    if swap.any():
        xb, Pb = x_new[swap, BOOST].copy(), P_new[swap, BOOST].copy()
        x_new[swap, BOOST], P_new[swap, BOOST] = xs_new[swap], Ps_new[swap]
        xs_new[swap], Ps_new[swap] = xb, Pb
        share[swap] = 1.0 - share[swap]
    if staged is None:
        return x_new, P_new, mu
    return x_new, P_new, mu, (share, xs_new, Ps_new)


def truncate_drag(xs, Ps, x_new: np.ndarray, P_new: np.ndarray, rows: np.ndarray):
    """Drag cannot push: ``kappa >= 0`` honoured in an update (predictions ``xs``, ``Ps`` of
    the mode-expanded ``rows`` of the updates ``x_new``, ``P_new``, changed in place). Returns
    the log of each row's evidence factor for the constraint, the rows whose estimate it
    moved and the regression factor ``g`` of each (the move of ``kappa``'s mean over its
    variance: every state correlated with ``kappa`` moves by its covariance with it times
    ``g``; ``shift_relative`` moves a formation's relative state so).

    The belief is the Gaussian restricted to ``kappa >= 0``. For a linear update the
    likelihood of a detection under the restricted prior is the Gaussian one times
    ``Phi(k / s) / Phi(k0 / s0)``, the mass of the posterior over the mass of the prediction
    on the side the constraint allows (``k``, ``s`` the posterior mean and sigma of
    ``kappa``; ``k0``, ``s0`` the prediction's): a coast mode that could follow a
    thrusting rocket only by a negative drag coefficient, an along-track *push*, pays for it
    in its mode probability, where clipping ``kappa`` at zero in the mean alone kept the
    velocity gain the push gave. Where the posterior mean is negative, the estimate takes the
    truncated Gaussian's mean of ``kappa``, the other states moved by their regression on it:
    only where the constraint is violated, so an unobservable ``kappa`` (above the air) is not
    pushed up at every update. The covariance is kept: a mode whose posterior needs a push is
    the wrong model of the object (a rocket thrusting), and the truncated variance, near zero
    far in the tail, made its drag coefficient certain at zero (measured on gen-1-05: coast
    NEES in bounds 0.93 -> 0.64 with it, 0.96 without; the stage's track, born from such a
    coast mode, kept a drag coefficient half its parent's)."""
    k = x_new[rows, KAPPA]
    s = np.sqrt(np.maximum(P_new[rows, KAPPA, KAPPA], 1e-30))
    s0 = np.sqrt(np.maximum(Ps[:, KAPPA, KAPPA], 1e-30))
    a = k / s
    dll = log_ndtr(a) - log_ndtr(xs[:, KAPPA] / s0)
    neg = np.flatnonzero(k < 0.0)
    gain = np.zeros(0)
    if neg.size:
        k, a, s = k[neg], a[neg], s[neg]
        neg = rows[neg]
        # Inverse Mills ratio phi(a) / Phi(a), stable far in the tail.
        lam = np.exp(-0.5 * a * a - 0.5 * _LOG_2PI - log_ndtr(a))
        mean = k + s * lam
        col = P_new[neg, :, KAPPA]  # (k, 10): covariances with kappa
        gain = (mean - k) / (s * s)
        x_new[neg] += col * gain[:, None]
        x_new[neg, KAPPA] = np.maximum(x_new[neg, KAPPA], 0.0)
    return dll, neg, gain


def truncate_thrust(xs, Ps, x_new: np.ndarray, P_new: np.ndarray, rows: np.ndarray):
    """Thrust cannot pull back: a rocket's thrust lies along its body, within a few degrees
    of its velocity, so its component ``f = u . a_thrust`` along the velocity's direction
    ``u`` is ``>= 0``, honoured in the boost modes' updates as ``truncate_drag`` honours
    ``kappa >= 0`` (predictions ``xs``, ``Ps`` of the mode-expanded ``rows`` of the updates
    ``x_new``, ``P_new``, changed in place; ``u`` the prediction's, fixed, so that ``f`` is
    linear in the state): the evidence factor ``Phi(f / s) / Phi(f0 / s0)``, and where the
    posterior mean of ``f`` is negative the truncated Gaussian's mean, the other states moved
    by their regression on ``f``; the covariance kept. Where the velocity's direction is not
    known (its speed within 3 sigma of the velocity's total spread: a track just born, a
    launch's first seconds) nothing is done.

    Unconstrained, a boost mode takes a body's drag for thrust against its velocity: the
    spent first stage of hgv-hwasong16b, parted at 25 km with 93 m/s² of drag, was followed
    for 20 s by a boost mode thrusting back at 14-70 m/s² (3-4 sigma below zero) at boost
    probabilities of 0.4-1.0, while its coast mode, mixed with it at every step, kept a drag
    coefficient of 3.7e-4 m²/kg against the truth's 1.7e-3 (10 sigma); once the boost mode
    fell to its reseeding level the coast mode alone mispredicted the ship radar's range rate
    by 23 m/s (d² 46.8 against a gate of 23.5) and a second track took the stage for 18 s.
    Returns the log of each row's evidence factor, the rows moved and their regression
    factors (as ``truncate_drag``'s)."""
    v = xs[:, 3:6]
    speed = np.sqrt(einsum("ni,ni->n", v, v))
    u = v / np.maximum(speed, 1e-9)[:, None]
    known = speed > 3.0 * np.sqrt(np.maximum(np.trace(Ps[:, 3:6, 3:6], axis1=1, axis2=2), 0.0))
    f0 = einsum("ni,ni->n", u, xs[:, 6:9])
    s0 = np.sqrt(np.maximum(einsum("ni,nij,nj->n", u, Ps[:, 6:9, 6:9], u), 1e-30))
    f = einsum("ni,ni->n", u, x_new[rows, 6:9])
    Pf = einsum("nij,nj->ni", P_new[rows][:, :, 6:9], u)  # (k, 10): covariances with f
    s = np.sqrt(np.maximum(einsum("ni,ni->n", u, Pf[:, 6:9]), 1e-30))
    dll = np.where(known, log_ndtr(f / s) - log_ndtr(f0 / s0), 0.0)
    neg = np.flatnonzero(known & (f < 0.0))
    gain = np.zeros(0)
    if neg.size:
        a = f[neg] / s[neg]
        lam = np.exp(-0.5 * a * a - 0.5 * _LOG_2PI - log_ndtr(a))
        gain = lam / s[neg]  # (mean - f) / s²: the truncated mean is f + s lam
        x_new[rows[neg]] += Pf[neg] * gain[:, None]
    return dll, rows[neg], gain


def shift_relative(f: Formation, moved: np.ndarray, gain: np.ndarray) -> None:
    """The relative states of the formation ``f`` (its per-mode updates ``f.r_m``, which
    ``update_formation`` estimated jointly with their tracks' modes) moved with the mode
    estimates ``truncate_drag`` moved: ``moved`` (mode-expanded rows, ``NMODE`` per track),
    each by its regression factor ``gain`` times the relative state's covariance with
    ``kappa`` (``f.C_m``, the cross-covariance's ``kappa`` row). Moved alone, the track's
    estimate and the relative state it carries were of two different beliefs: the partner's
    predicted position (the track less the relative state, for the older) moved with the
    track alone, not as their joint estimate says."""
    track, mode = np.divmod(moved, NMODE)
    of = {int(row): i for i, row in enumerate(f.rel.tolist())}
    k = np.array([of.get(int(row), -1) for row in track.tolist()], dtype=np.int64)
    sel = k >= 0
    if not sel.any():
        return
    k, mode, g = k[sel], mode[sel], gain[sel]
    f.r_m[k, mode] += f.C_m[k, mode, KAPPA, :] * g[:, None]
