"""New tracks from the detections no track took: their priors.

A radar detection starts a tentative track (``radar_priors``: position from the measurement,
velocity from the prior and the range-rate if measured), or, next to a confirmed track updated
in the same scan, a piece separating from it, from that track's estimate (behind its thrust
since an unseen staging if it still thrusts, ``dropped_priors``). An infrared line of
sight is kept for ``ir_pair_max_dt_s`` and triangulated with another satellite's
(``LinesOfSight``: the weighted least-squares point between the two lines, gated on their miss
distance), the crossing's prior ``infrared_priors``, unless it lies where a radar's lone
detection started a track a moment before (``at_radar_seeds``). Each new track holds the three
IMM modes (``new_states``).
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import linear_sum_assignment

from lookout.physics.einsum import einsum
from lookout.physics.trajectory import REENTRY_ALTITUDE_M
from lookout.tracking import manoeuvre
from lookout.tracking.config import TrackerConfig
from lookout.tracking.formations import (
    PARTING_TIME_SIGMA_S,
    parting_spread,
    unseen_parting_time_sigma,
)
from lookout.tracking.mixing import (
    BOOST,
    COAST,
    INV_EXHAUST_SPM,
    MANOEUVRE,
    NMODE,
    boost_jerk_q,
    combine,
)
from lookout.tracking.motion import KAPPA, KAPPA_UNIT, NX, altitude_approx
from lookout.tracking.scans import Scan

#: Two infrared lines of sight that cross above this altitude (m) are no rocket's plume: it is
#: far above where any catalogue burn ends.
IR_CROSSING_MAX_ALT_M = 3000e3
_BIG = 1e12


def new_states(pos, P_pos, vel, P_vel, boost_prob, cfg: TrackerConfig):
    """Mode estimates ``xm`` (k, 3, 10), ``Pm`` (k, 3, 10, 10) and probabilities ``mu`` (k, 3)
    of new tracks at positions ``pos`` (k, 3), velocities ``vel`` (k, 3) with covariances
    ``P_pos``, ``P_vel`` (k, 3, 3), boost mode ``boost_prob`` probable, the drag and thrust
    priors of the configuration.

    The boost mode is a rocket first seen at a point of its burn nothing tells: its thrust
    any the catalogue allows (``ir_init_acc_sigma_mps2``, whether a radar or two satellites
    saw it), its drag coefficient a burning stack's (``boost_kappa_m2_kg``), not the
    prior of any body (``init_kappa_m2_kg``: spent stages, light payloads, 1e-3 ± 1.5e-3).
    In the air thrust and drag share the direction of flight: with the generic prior a
    depressed SRBM's boost mode at 11-15 km and Mach 5-7 (500 kPa) held 500 ± 750 m/s² of
    drag against its thrust, its velocity, then unknown by 2 km/s, flown through drag of that
    size (kn23-pullup's infrared track of KN23-1: 1,270 m/s off under a 580 m/s sigma), and a
    clipped negative drag coefficient threw away the thrust an update had found (slbm); with a
    radar's 30 m/s² of thrust (the prior of a stage just lit, ``init_acc_sigma_mps2``) and a
    burning stack's drag, kn23-south's SRBM, 93-156 m/s² late in its burn, was 680 m/s off
    under a 230 m/s sigma."""
    k = pos.shape[0]
    xm = np.zeros((k, NMODE, NX))
    Pm = np.zeros((k, NMODE, NX, NX))
    for mode in (BOOST, COAST, MANOEUVRE):
        xm[:, mode, 0:3] = pos
        xm[:, mode, 3:6] = vel
        xm[:, mode, KAPPA] = cfg.init_kappa_m2_kg / KAPPA_UNIT
        Pm[:, mode, 0:3, 0:3] = P_pos
        Pm[:, mode, 3:6, 3:6] = P_vel
        Pm[:, mode, KAPPA, KAPPA] = (cfg.init_kappa_sigma_m2_kg / KAPPA_UNIT) ** 2
    Pm[:, BOOST, 6:9, 6:9] = np.eye(3) * cfg.ir_init_acc_sigma_mps2**2
    xm[:, BOOST, KAPPA] = cfg.boost_kappa_m2_kg / KAPPA_UNIT
    Pm[:, BOOST, KAPPA, KAPPA] = (cfg.boost_kappa_sigma_m2_kg / KAPPA_UNIT) ** 2
    mu = np.empty((k, NMODE))
    mu[:, BOOST], mu[:, COAST] = boost_prob, 1.0 - boost_prob
    # --- manoeuvre mode: a new track is not known to manoeuvre (a seed from coast) ---
    mu[:, MANOEUVRE] = 1e-6
    mu /= mu.sum(axis=1, keepdims=True)
    xm[:, MANOEUVRE], Pm[:, MANOEUVRE] = manoeuvre.reseed(xm[:, COAST], Pm[:, COAST], cfg.manoeuvre)
    # --- end manoeuvre mode ---
    return xm, Pm, mu


def released_drag_prior(x: np.ndarray, P: np.ndarray, cfg: TrackerConfig) -> None:
    """A released object's drag coefficient (``x`` (k, modes, NX), ``P`` in place): the new
    track's prior, not its parent's estimate. A spent stage and its payload are two bodies of
    one velocity, not one ballistic coefficient: an empty SRBM stage at 17 km decelerates at
    28 g where its missile does at 3 g (srbm-salvo's SRBM-4, 400 m/s apart after a second).
    With its parent's drag the stage's track predicted the missile, lost the stage at the next
    scan and followed the missile as a second, vaguer track, which claimed an impact area
    (track 760, JP's EEZ at 135 s)."""
    x[..., KAPPA] = cfg.init_kappa_m2_kg / KAPPA_UNIT
    P[..., KAPPA, :] = 0.0
    P[..., :, KAPPA] = 0.0
    P[..., KAPPA, KAPPA] = (cfg.init_kappa_sigma_m2_kg / KAPPA_UNIT) ** 2


def pushed(P: np.ndarray, cfg: TrackerConfig) -> np.ndarray:
    """Covariances ``P`` (..., NX, NX) of a body's estimate grown by a separation push
    (``spawn_pos_sigma_m``, ``spawn_vel_sigma_mps`` per axis): the prior of the other body of
    a pair that parted from it, or of either when which one the estimate is of is not known
    (``young_pairs``). A copy."""
    P = P.copy()
    P[..., :3, :3] += np.eye(3) * cfg.spawn_pos_sigma_m**2
    P[..., 3:6, 3:6] += np.eye(3) * cfg.spawn_vel_sigma_mps**2
    return P


def parting_push(tracks, rows: np.ndarray, t: float, cfg: TrackerConfig) -> np.ndarray:
    """Covariance (k, 6, 6) of how a piece born at ``t`` next to the tracks ``rows`` may
    differ from their coasting estimates, where they are above the air and parted from it at
    their last thrust within ``separation_lookback_s`` or were never seen thrusting (the
    parting unseen, up to that long before): if the parent has stopped thrusting, the relative
    state of two bodies pushed apart by springs or retro motors (``formations.parting_spread``,
    as ``Tracker._parted_priors`` grows the parent's own prior); if it still thrusts (its
    boost probability), its stage falls behind by the thrust, tens of m/s within seconds
    (``pushed``'s): the two weighed, a mixture of one mean. NaN rows elsewhere (a parent
    seen thrusting at ``t``, or in the air, its drag not the piece's): ``pushed``'s alone.
    (Next to a parent whose boost mode is an estimate of its own, ``behind_thrust`` weighs
    the thrust's part instead.)

    world79 #07's third stage, born on us-fbx-west's detection 1 s after it dropped its
    payload into orbit (3 m/s apart): ``pushed``'s 30 m/s per axis left its velocity sigma
    27 m/s against an error of 9 after the six detections it had, and its NEES 0.9, carried
    unseen for 350 s."""
    ok, spread = _coasting_parting(tracks, rows, t, cfg)
    out = np.full((rows.size, 6, 6), np.nan)
    if ok.any():
        b = tracks.mu[rows[ok], BOOST][:, None, None]
        wide = np.zeros((1, 6, 6))
        wide[0, :3, :3] = np.eye(3) * cfg.spawn_pos_sigma_m**2
        wide[0, 3:, 3:] = np.eye(3) * cfg.spawn_vel_sigma_mps**2
        out[ok] = (1.0 - b) * spread + b * wide
    return out


def _coasting_parting(tracks, rows: np.ndarray, t: float, cfg: TrackerConfig):
    """Where ``parting_push``'s coasting parting applies to the tracks ``rows`` (k,) bool, and
    its relative state's covariance there (``formations.parting_spread``)."""
    tau = t - tracks.boosted[rows]
    unseen = tau == np.inf
    ok = unseen | (np.isfinite(tau) & (tau > 0.0) & (tau <= cfg.separation_lookback_s))
    x6 = combine(tracks.xm[rows], tracks.Pm[rows], tracks.mu[rows])[0]
    ok &= altitude_approx(x6[:, :3]) >= REENTRY_ALTITUDE_M
    spread = np.zeros((0, 6, 6))
    if ok.any():
        sig_t = np.where(unseen[ok], unseen_parting_time_sigma(cfg), PARTING_TIME_SIGMA_S)
        spread = parting_spread(x6[ok], np.where(unseen[ok], 0.0, tau[ok]), cfg, sig_t)
    return ok, spread


def spawned(xm, Pm, pos, P_pos, cfg: TrackerConfig, parting=None):
    """Mode estimates ``xm`` (k, modes, NX), ``Pm`` of pieces born at the points ``pos``
    (k, 3), ``P_pos`` (k, 3, 3) from the estimates ``xm``, ``Pm`` of the bodies they parted
    from: those grown by a separation push (``pushed``), the drag the new track's prior
    (``released_drag_prior``), updated with the point. ``parting`` (k, 6, 6), NaN rows where
    it does not apply: the relative state of a pair pushed apart while coasting
    (``parting_push``), which grows the coast and manoeuvre modes in place of ``pushed``'s.
    Copies."""
    x1, P1 = xm.copy(), pushed(Pm, cfg)
    if parting is not None:
        ok = np.isfinite(parting).all(axis=(1, 2))
        for mode in (COAST, MANOEUVRE):
            P1[ok, mode] = Pm[ok, mode]
            P1[ok, mode, :6, :6] += parting[ok]
    released_drag_prior(x1, P1, cfg)
    Sk = P1[:, :, :3, :3] + P_pos[:, None]
    K = P1[:, :, :, :3] @ np.linalg.inv(Sk)
    x1 += (K @ (pos[:, None] - x1[:, :, :3])[..., None])[..., 0]
    P1 -= K @ P1[:, :, :3, :]
    P1 = 0.5 * (P1 + P1.transpose(0, 1, 3, 2))
    return x1, P1


#: Cells of the time since a staging no track saw (``behind_thrust``), log-spaced from
#: ``STAGING_AGE_MIN_S`` (and one cell below it) to ``separation_lookback_s``: each cell's
#: own spread (its width's uniform variance through the offset's slope) is then a fixed
#: share of the offset, some 5 %. On world80 #03's three sensor seeds 12, 24, 48 and 96 cells
#: gave the stage's birth NEES within 0.4 of each other.
STAGING_AGE_CELLS = 32
STAGING_AGE_MIN_S = 0.1


def thrust_offsets(a: np.ndarray, s: np.ndarray, inv_c: np.ndarray):
    """How far a stack thrusting at ``a`` (k, 3) m/s² now has drawn ahead of a body it dropped
    ``s`` (G,) s ago, per unit of its thrust now: ``(f_r, f_v)`` (k, G), the position and the
    velocity offsets are ``f_r a`` and ``f_v a``, and ``g`` (k, G), its thrust then over now.
    A burning stage's thrust grows as its mass falls (``mixing.thrust_growth``, at the inverse
    exhaust speed ``inv_c`` (k,) s/m): ``s`` before, it was ``a / (1 + |a| s / c)``; the
    offsets are that integrated once (``f_v = ln(1 + k s) / k``) and twice (``f_r = s / k -
    ln(1 + k s) / k²``), ``k = |a| / c`` (``s`` and ``s² / 2`` where ``k`` is 0)."""
    k = (np.sqrt(einsum("ij,ij->i", a, a)) * inv_c)[:, None]
    ks = k * s[None, :]
    small = ks < 1e-6
    ksafe = np.where(small, 1.0, k)
    lg = np.log1p(ks)
    f_v = np.where(small, s[None, :], lg / ksafe)
    f_r = np.where(small, 0.5 * s[None, :] ** 2, s[None, :] / ksafe - lg / ksafe**2)
    return f_r, f_v, 1.0 / (1.0 + ks)


def behind_thrust(x: np.ndarray, P: np.ndarray, inv_c: np.ndarray, cfg: TrackerConfig):
    """The state (position, velocity) of a body a thrusting stack dropped at a staging no
    track saw, from the stack's boost-mode estimate ``x`` (k, 10), ``P`` (inverse exhaust
    speed ``inv_c`` (k,) s/m): per cell of the time ``s`` since the staging
    (``STAGING_AGE_CELLS``), its mean (k, G, 6), covariance (k, G, 6, 6) and the cell's prior
    probability (G,).

    The body coasts from the staging on while the stack thrusts: it is the stack now less
    the thrust integrated over ``s`` (``thrust_offsets``), linear in the stack's state and
    thrust, so each cell's covariance is the estimate's carried through that map, its thrust's
    uncertainty with it (a one-satellite stack's thrust axis can be 60 degrees off, world80
    #03); besides, the thrust's own random walk over ``s`` run back (``mixing.boost_jerk_q``'s
    white jerk: its integrals' covariances ``q s³/3``, ``5 q s⁴/24``, ``2 q s⁵/15``), the
    cell's width (uniform, through the offset's slope in ``s``), and the separation push
    (``spawn_pos_sigma_m``, ``spawn_vel_sigma_mps``, as ``pushed``). ``s`` is uniform up to
    ``separation_lookback_s``: the radars resolve a parted pair within it (an unseen staging
    no older); the gravity gradient over the offset (2e-3 m/s² at 2 km) and the dropped body's
    drag (above the air) are left out."""
    k = x.shape[0]
    edges = np.concatenate([[0.0], np.geomspace(STAGING_AGE_MIN_S, cfg.separation_lookback_s,
                                                STAGING_AGE_CELLS)])  # fmt: skip
    s = 0.5 * (edges[:-1] + edges[1:])
    w = np.diff(edges)
    a = x[:, 6:9]
    f_r, f_v, g = thrust_offsets(a, s, inv_c)
    G = s.size
    # y = M [pos; vel; a], M = [I6, -(f_r I; f_v I)].
    M = np.zeros((k, G, 6, 9))
    M[:, :, :, :6] = np.eye(6)
    eye = np.eye(3)
    M[:, :, :3, 6:9] = -f_r[:, :, None, None] * eye
    M[:, :, 3:, 6:9] = -f_v[:, :, None, None] * eye
    mean = einsum("kgij,kj->kgi", M, x[:, :9])
    cov = M @ P[:, None, :9, :9] @ M.transpose(0, 1, 3, 2)
    q = boost_jerk_q(x, P, cfg)[:, None]
    s2 = s[None, :, None, None] ** 2
    s3 = s2 * s[None, :, None, None]
    cov[:, :, :3, :3] += q * (2.0 / 15.0) * s3 * s2
    cov[:, :, 3:, 3:] += q * s3 / 3.0
    cross = q * (5.0 / 24.0) * s2 * s2
    cov[:, :, :3, 3:] += cross
    cov[:, :, 3:, :3] += cross
    J = np.concatenate([f_v[..., None] * a[:, None], g[..., None] * a[:, None]], axis=2)
    cov += (w * w / 12.0)[None, :, None, None] * J[..., :, None] * J[..., None, :]
    cov[:, :, :3, :3] += eye * cfg.spawn_pos_sigma_m**2
    cov[:, :, 3:, 3:] += eye * cfg.spawn_vel_sigma_mps**2
    return mean, cov, w / w.sum()


def dropped_priors(tracks, rows: np.ndarray, t: float, pos, P_pos, x1, P1, cfg: TrackerConfig):
    """The coast and manoeuvre modes of pieces born at ``t`` at the points ``pos`` (k, 3),
    ``P_pos`` next to the tracks ``rows`` (k,) whose boost mode is an estimate of its own
    (``boost_reseed_prob``), their priors ``x1``, ``P1`` (``spawned``) changed in place: the
    piece the stack's dropped body (``behind_thrust``, from the boost mode and from its
    staging hypothesis, ``Tracker._predict_staged``, each by its probability), or, as far as
    the parent is believed coasting, the parent's coast mode grown by the parting
    (``parting_push``'s coasting spread where it applies, else ``pushed``'s); each weighed by
    how well it holds the point, updated with it and moment-matched. The manoeuvre mode a
    seed from the coast mode, as a new track's (``new_states``).

    world80 #03's ICBM, staged at 154.3 s unseen (one satellite's lines of sight): the stage
    first seen at 163.3 s 1,796 m and 405 m/s behind the stack, born on ``pushed``'s 100 m
    and 30 m/s per axis about the stack's estimate (its thrust's part of them): NEES 17.9 /
    22.4 / 17.4 on three sensor seeds; the coast's small process noise kept it until the data
    outweighed it."""
    b = tracks.mu[rows, BOOST]
    q = tracks.share[rows]
    k = rows.size
    parts_m, parts_P, parts_w = [], [], []
    for xh, Ph, inv_c, wh in (
        (tracks.xm[rows, BOOST], tracks.Pm[rows, BOOST], tracks.ex_b[rows], b * (1.0 - q)),
        (tracks.xs[rows], tracks.Ps[rows], np.full(k, INV_EXHAUST_SPM), b * q),
    ):
        m, C, w = behind_thrust(xh, Ph, inv_c, cfg)
        parts_m.append(m)
        parts_P.append(C)
        parts_w.append(wh[:, None] * w[None, :])
    ok, spread = _coasting_parting(tracks, rows, t, cfg)
    Pc = tracks.Pm[rows, COAST, :6, :6].copy()
    Pc[ok] += spread
    Pc[~ok] += pushed(np.zeros((1, 6, 6)), cfg)[0]
    parts_m.append(tracks.xm[rows, COAST, None, :6])
    parts_P.append(Pc[:, None])
    parts_w.append((1.0 - b)[:, None])
    m = np.concatenate(parts_m, axis=1)  # (k, C, 6)
    C = np.concatenate(parts_P, axis=1)
    lw = np.log(np.maximum(np.concatenate(parts_w, axis=1), 1e-300))
    # Each one updated with the point; weighed by its likelihood there.
    S = C[:, :, :3, :3] + P_pos[:, None]
    Si = np.linalg.inv(S)
    d = pos[:, None, :] - m[:, :, :3]
    K = C[:, :, :, :3] @ Si
    m1 = m + einsum("kcij,kcj->kci", K, d)
    C1 = C - K @ C[:, :, :3, :]
    lw = lw - 0.5 * (einsum("kci,kcij,kcj->kc", d, Si, d) + np.linalg.slogdet(S)[1])
    w = np.exp(lw - lw.max(axis=1, keepdims=True))
    w /= w.sum(axis=1, keepdims=True)
    mean = einsum("kc,kci->ki", w, m1)
    dm = m1 - mean[:, None]
    cov = einsum("kc,kcij->kij", w, C1 + dm[..., :, None] * dm[..., None, :])
    x1[:, COAST, :6] = mean
    P1[:, COAST, :6, :] = 0.0
    P1[:, COAST, :, :6] = 0.0
    P1[:, COAST, :6, :6] = 0.5 * (cov + cov.transpose(0, 2, 1))
    x1[:, COAST, 6:9] = 0.0
    xr, Pr = manoeuvre.reseed(
        np.ascontiguousarray(x1[:, COAST]), P1[:, COAST].copy(), cfg.manoeuvre
    )
    x1[:, MANOEUVRE], P1[:, MANOEUVRE] = xr, Pr


def staging_possible(rows: np.ndarray) -> np.ndarray:
    """Whether each piece born in one scan next to the track in ``rows`` (k,), its parent's
    row, may be a stage that parent dropped (k,) bool: only where it is the one piece born
    next to that parent in the scan. A staging drops one body (each of the catalogue's stages
    spawns its spent self, nothing more), so two or more pieces seen beside a stack at once
    are not a staging but a break-up's debris (3 to 8 pieces, ``lookout.failure``), which
    coast from where the stack came apart, the thrust ended with it: ``spawned``'s prior
    about the parent's estimate, its separation push ``pushed``'s, is theirs, not
    ``dropped_priors``' (behind the thrust over a time since the staging of up to
    ``separation_lookback_s``, a moment ago as likely as a minute). The thrust between the
    break-up and the scan (within the radar's revisit) is left out: a break-up 2 s before
    the scan leaves its pieces 0.6 sigma behind that prior on average, still consistent
    (``tests/test_tracking_dropped_stage.py``).

    irbm-breakup (branch sep60): the IRBM came apart at 217.0 s into six pieces, five
    born at once at kr-ewr-central's 217.07 s scan next to the stack's track (boost 0.991),
    in KR's node and in the fusion alike. Taken as stages dropped unseen they were born
    83-248 m/s off in velocity at sigmas of 66-103 m/s per axis (the mixture's weight on
    stagings seconds old, which the point, loose across the line of sight, did not tell
    from now; about the stack, 40-84 m/s off at 44); pieces born beside their tracks 22-30
    s later, on the parting's few m/s, started 15-22 m/s off at 2.8-4.0 m/s (NEES 72-180),
    and one of them, the picture's S12, put Aomori under a false shelter call, its fall
    predicted 25 km from any piece's at a 7.4 km sigma (m² 12.9)."""
    _, at, count = np.unique(rows, return_inverse=True, return_counts=True)
    return count[at] == 1


def young_pairs(scan: Scan, spare: np.ndarray, near, young, ids, twin, jb, cfg: TrackerConfig):
    """The detections of ``scan`` that start the twin of a young track (``young``, per
    detection the id of the tentative track born on its own updated in this scan that gates
    it, ``Associator.near_young``; -1: none) and are a pair with that track's own detection:
    ``(j, k)``, the detections and the indices into the scan's assignment (``ids``, ``twin``:
    the assigned tracks' ids and twins' ids, -1: none; ``jb``: their detections) of their
    young tracks.

    ``spare``: the detections no track takes (no branch, none held), ``near``: per detection
    the confirmed track updated in this scan gating it (-1: none; None: none is). As
    ``Tracker._initiate_radar`` twins them, the first such detection of each young track
    with no twin yet; a pair when the two detections' points are as far apart as two bodies
    of one pair can be
    (``born_together``'s test: their covariances summed plus ``formation_max_separation_m``
    in any direction, the chi-square gate on three degrees of freedom).

    A young track's two or three points do not tell which of two bodies a few hundred
    metres apart is its object: world60 #03's IRBM, its stage and warhead 140 m apart in range
    at 1,550 km from tr-ewr-east (21.6 m range sigma, angles 2 km), the young track of two
    detections of the stage extrapolated its range to 64 m and took the warhead's detection
    (a range innovation of 0.5 sigma against the stage's 1.5), and its twin born on the stage's
    detection knew nothing of its velocity (3 km/s a side): at the next scan the young
    track, a sigma of 47 m off the stage's range by 200 m, still took the stage's detection
    from its vague twin, and held three stage and four warhead detections (its ellipse held
    the truth 0.11 of the time). Either of the pair is the young track's object, so each of
    the two starts from its estimate as a body pushed off it (``pushed``, ``spawned``): the
    young track's prior before its own detection grown by the push, and the twin's too."""
    none = np.zeros(0, dtype=np.int64)
    if young is None or jb.size == 0:
        return none, none
    lone = spare & (young >= 0)
    if near is not None:
        lone &= near < 0
    j = np.flatnonzero(lone)
    if j.size == 0:
        return none, none
    # One twin per young track: the first detection of the scan next to it.
    _, first = np.unique(young[j], return_index=True)
    j = j[first]
    hit = young[j][:, None] == ids[None, :]  # the young track's index in the assignment
    k = np.where(hit.any(axis=1), hit.argmax(axis=1), -1)
    ok = k >= 0
    j, k = j[ok], k[ok]
    ok = twin[k] < 0
    j, k = j[ok], k[ok]
    if j.size == 0:
        return none, none
    a, b = scan.ecef_pos[jb[k]], scan.ecef_pos[j]
    d = a - b
    S = scan.ecef_P[jb[k]] + scan.ecef_P[j] + np.eye(3) * cfg.formation_max_separation_m**2 / 3
    d2 = einsum("ki,ki->k", d, np.linalg.solve(S, d[..., None])[..., 0])
    ok = d2 <= cfg.gate(3)
    return j[ok], k[ok]


def radar_priors(tracks, scan: Scan, free: np.ndarray, near, cfg: TrackerConfig):
    """Priors of the tracks started by radar detections ``free`` of ``scan``: ``xm``, ``Pm``,
    ``mu`` (``new_states``), each one's parent (the id of the confirmed track updated in this
    scan that gates it, ``near``; -1: none; None if ``near`` is None) and the parents' rows in
    ``tracks`` (the track store; None if none)."""
    z, R = scan.z[free], scan.R[free]
    pos, P_pos = scan.ecef_pos[free], scan.ecef_P[free]
    k = free.size
    sv2 = cfg.init_vel_sigma_mps**2
    vel = np.zeros((k, 3))
    P_vel = np.empty((k, 3, 3))
    P_vel[:] = np.eye(3) * sv2
    if scan.m == 4:
        los = pos - scan.s
        los /= np.linalg.norm(los, axis=1, keepdims=True)
        s_rr = sv2 + R[:, 3, 3]
        innov = z[:, 3] + los @ scan.s_vel
        gain = sv2 * los / s_rr[:, None]
        vel = gain * innov[:, None]
        P_vel -= sv2 * gain[:, :, None] * los[:, None, :]
    parent = near[free] if near is not None else None
    xm, Pm, mu = new_states(pos, P_pos, vel, P_vel, cfg.init_boost_prob_radar, cfg)
    pi = None
    if parent is not None and (parent >= 0).any():
        # Born next to a confirmed track updated in this scan: an object it released (a
        # spent stage, a reentry vehicle) at its place and velocity but for the separation
        # push, so the prior is the parent's estimate grown by ``spawn_pos_sigma_m`` and
        # ``spawn_vel_sigma_mps``, updated with the detection (ECEF point), not the vague
        # ``init_vel_sigma_mps``: the new track is as accurate as its parent at once.
        kid = np.flatnonzero(parent >= 0)
        pi = np.searchsorted(tracks.ids[: tracks.n], parent[kid])
        # Mode by mode (a stage dropped at burnout is in the parent's coast mode).
        push = parting_push(tracks, pi, scan.t, cfg)
        x1, P1 = spawned(tracks.xm[pi], tracks.Pm[pi], pos[kid], P_pos[kid], cfg, push)
        # Next to a stack still thrusting: the piece it dropped at a staging maybe unseen;
        # not where the scan starts more than one piece next to it (``staging_possible``).
        live = np.flatnonzero(
            (tracks.mu[pi, BOOST] >= cfg.boost_reseed_prob) & staging_possible(pi)
        )
        if live.size:
            xl, Pl = x1[live], P1[live]
            dropped_priors(tracks, pi[live], scan.t, pos[kid[live]], P_pos[kid[live]], xl, Pl, cfg)
            x1[live], P1[live] = xl, Pl
        # A released object is less likely to be thrusting than its parent: a dropped
        # stage falls behind (the thrusting stack ahead keeps the older track,
        # ``order_siblings``), a payload separates at burnout; its boost probability is at
        # most a new track's, its boost mode the parent's (the thrust, should it be the
        # stack). Measured on irbm-overflight: a stage born with its parent's 0.95 boost
        # probability at burnout flies on at 196 m/s² for 2 s, 500 m off.
        pb = np.minimum(tracks.mu[pi, BOOST], cfg.init_boost_prob_radar)
        pm = mu[kid, MANOEUVRE] = np.maximum(tracks.mu[pi, MANOEUVRE], 1e-6)  # manoeuvre
        mu[kid, BOOST], mu[kid, COAST] = pb, 1.0 - pb - pm
        xm[kid], Pm[kid] = x1, P1
    return xm, Pm, mu, parent, pi


def born_together(scan: Scan, free: np.ndarray, parent, cfg: TrackerConfig) -> np.ndarray:
    """Pairs (k, 2) of positions in ``free`` whose radar detections start two tracks of one
    closely spaced pair, first seen already parted (a reentry vehicle and its spent stage
    after burnout, the radars' range reached late): neither next to a confirmed track
    (``parent``, -1; None: none is), their positions as far apart as such a pair can be,
    and each the other's only such neighbour (three are left to the GNN, as
    ``Formations.order_siblings`` leaves them). As far apart: the difference of the two
    points, their covariances summed plus a separation of ``formation_max_separation_m`` in
    any direction (per axis ``L²/3``, a vector of length ``L`` in a uniformly random
    direction), within the chi-square gate on three degrees of freedom."""
    if free.size < 2:
        return np.zeros((0, 2), dtype=np.int64)
    lone = np.ones(free.size, dtype=bool) if parent is None else parent < 0
    pos, P = scan.ecef_pos[free], scan.ecef_P[free]
    d = pos[:, None, :] - pos[None, :, :]
    S = P[:, None] + P[None, :] + np.eye(3) * cfg.formation_max_separation_m**2 / 3.0
    d2 = einsum("abi,abi->ab", d, np.linalg.solve(S, d[..., None])[..., 0])
    close = (d2 <= cfg.gate(3)) & lone[:, None] & lone[None, :]
    np.fill_diagonal(close, False)
    single = close.sum(axis=1) == 1
    close &= single[:, None] & single[None, :]
    at = np.arange(free.size)
    a, b = np.nonzero(close & (at[:, None] <= at))  # ``np.triu``'s, its mask not built in Python
    out = np.empty((a.size, 2), dtype=a.dtype)
    out[:, 0], out[:, 1] = a, b
    return out


def infrared_priors(pos: np.ndarray, P_pos: np.ndarray, cfg: TrackerConfig):
    """Priors ``xm``, ``Pm``, ``mu`` of the tracks started at the crossings ``pos`` (k, 3),
    ``P_pos`` (k, 3, 3) of two satellites' lines of sight (``LinesOfSight``): a plume, so
    thrusting, at an unknown velocity and thrust acceleration."""
    k = pos.shape[0]
    vel = np.zeros((k, 3))
    P_vel = np.empty((k, 3, 3))
    P_vel[:] = np.eye(3) * cfg.init_vel_sigma_mps**2
    return new_states(pos, P_pos, vel, P_vel, 1.0 - cfg.ir_coast_likelihood, cfg)


def at_radar_seeds(tracks, t: float, pos: np.ndarray, P_pos: np.ndarray, gate: float) -> np.ndarray:
    """(k,) bool: the infrared crossings at ``pos`` (k, 3), covariances ``P_pos`` (k, 3, 3),
    at time ``t`` (s) that lie inside the position gate (chi-square ``gate``, 3 dof, under
    both covariances) of a track that one radar detection alone started (one hit, no parent,
    tentative) in ``tracks`` (``store.TrackStore``).

    Such a track knows where its object was, not how it moves, so no line of sight gates it
    (``Associator.associate``); a crossing where it is is its object seen by two satellites,
    not a second object, and a track started on it is a second track of one object: korea74
    #00's SRBM-1, first seen by a ship's radar at 150.36 s and by two satellites at 150.37 s,
    had two tracks, the crossing's taking nothing for 3 s (a duplicate) until it went to the
    spent stage. Left to the radar's track, the lines of sight of the next frames gate it
    once its second detection gives it a velocity. Its position is carried to ``t`` with its
    velocity's uncertainty."""
    k = pos.shape[0]
    out = np.zeros(k, dtype=bool)
    n = tracks.n
    seeds = np.flatnonzero(
        (tracks.hits[:n] == 1) & (tracks.parent[:n] < 0) & ~tracks.confirmed[:n]
        & (tracks.ir_sensor[:n] < 0)
    )  # fmt: skip
    if k == 0 or seeds.size == 0:
        return out
    x, P = combine(tracks.xm[seeds], tracks.Pm[seeds], tracks.mu[seeds])
    dt = t - tracks.t_base[seeds]
    p = x[:, :3] + dt[:, None] * x[:, 3:]
    Pp = (
        P[:, :3, :3]
        + dt[:, None, None] * (P[:, :3, 3:] + P[:, 3:, :3])
        + (dt**2)[:, None, None] * P[:, 3:, 3:]
    )
    d = pos[:, None, :] - p[None, :, :]  # (k, s, 3)
    S = P_pos[:, None, :, :] + Pp[None, :, :, :]
    d2 = einsum("ksi,ksi->ks", d, np.linalg.solve(S, d[..., None])[..., 0])
    return (d2 <= gate).any(axis=1)


class LinesOfSight:
    """Unpaired infrared lines of sight: t, sensor code, origin, unit vector, sigma, index;
    each kept ``ir_pair_max_dt_s`` for another satellite's to cross (``pair``)."""

    def __init__(self, config: TrackerConfig) -> None:
        self.config = config
        self._gate = config.gate(2)
        self._ir = (
            np.zeros(0),
            np.zeros(0, dtype=np.int64),
            np.zeros((0, 3)),
            np.zeros((0, 3)),
            np.zeros(0),
            np.zeros(0, dtype=np.int64),
        )

    def pair(self, scan: Scan, free: np.ndarray, code: int):
        """Triangulate the lines of sight ``free`` of ``scan`` (infrared sensor ``code``) with
        the buffered ones of other satellites, and buffer the rest. Returns the crossings
        (``_triangulate``: positions (k, 3), covariances (k, 3, 3), the detection indices of
        the current and of the buffered line of each), or None."""
        cfg = self.config
        made = None
        u = scan.los[free]
        sig = np.sqrt(scan.R[free, 1, 1])
        idx = scan.index[free]
        bt, bc, bs, bu, bsig, bidx = self._ir
        live = (scan.t - bt) <= cfg.ir_pair_max_dt_s
        bt, bc, bs, bu, bsig, bidx = (a[live] for a in (bt, bc, bs, bu, bsig, bidx))
        paired = np.zeros(free.size, dtype=bool)
        other = np.flatnonzero(bc != code)
        if other.size:
            used = self._triangulate(scan, u, sig, other, bt, bs, bu, bsig)
            if used is not None:
                cur, buf, pos, P_pos = used
                made = (pos, P_pos, idx[cur], bidx[other][buf])
                paired[cur] = True
                keep = np.ones(bt.size, dtype=bool)
                keep[other[buf]] = False
                bt, bc, bs, bu, bsig, bidx = (a[keep] for a in (bt, bc, bs, bu, bsig, bidx))
        new = ~paired
        k = int(new.sum())
        self._ir = (
            np.concatenate([bt, np.full(k, scan.t)]),
            np.concatenate([bc, np.full(k, code, dtype=np.int64)]),
            np.concatenate([bs, np.broadcast_to(scan.s, (k, 3))]),
            np.concatenate([bu, u[new]]),
            np.concatenate([bsig, sig[new]]),
            np.concatenate([bidx, idx[new]]),
        )
        return made

    def _triangulate(self, scan, u, sig, other, bt, bs, bu, bsig):
        """Triangulate current lines of sight with buffered ones of other satellites: the
        (current, buffer-subset) indices used and their crossings' positions and covariances,
        or None."""
        cfg = self.config
        sA, uA = scan.s, u[:, None, :]  # (k, 1, 3)
        sB, uB = bs[other][None], bu[other][None]  # (1, b, 3)
        dtb = (scan.t - bt[other])[None]
        w0 = sA - sB
        b = einsum("kbi,kbi->kb", uA, uB)
        d = einsum("kbi,kbi->kb", uA, w0)
        e = einsum("kbi,kbi->kb", uB, w0)
        den = 1.0 - b * b
        safe = np.where(den > 1e-6, den, 1.0)
        lam = (b * e - d) / safe
        mu_ = (e - b * d) / safe
        miss = (sA + lam[..., None] * uA) - (sB + mu_[..., None] * uB)
        miss2 = einsum("kbi,kbi->kb", miss, miss)
        var = (sig[:, None] * lam) ** 2 + (bsig[other][None] * mu_) ** 2
        var += (cfg.ir_max_speed_mps * dtb) ** 2
        ok = (den > 1e-6) & (lam > 0) & (mu_ > 0) & (miss2 <= self._gate * var)
        if not ok.any():
            return None
        cost = np.where(ok, miss2 / var, _BIG)
        r, c = linear_sum_assignment(cost)
        good = ok[r, c]
        r, c = r[good], c[good]
        if r.size == 0:
            return None
        # Weighted least-squares point nearest both lines.
        lamr, mur = lam[r, c], mu_[r, c]
        ua, ub = u[r], bu[other][c]
        va = (sig[r] * lamr) ** 2
        vb = (bsig[other][c] * mur) ** 2 + (cfg.ir_max_speed_mps * dtb[0, c]) ** 2
        eye = np.eye(3)
        Ia = (eye - ua[:, :, None] * ua[:, None, :]) / va[:, None, None]
        Ib = (eye - ub[:, :, None] * ub[:, None, :]) / vb[:, None, None]
        info = Ia + Ib + eye * 1e-12
        rhs = Ia @ sA + (Ib @ bs[other][c][:, :, None])[:, :, 0]
        P_pos = np.linalg.inv(info)
        pos = (P_pos @ rhs[:, :, None])[:, :, 0]
        alt = altitude_approx(pos)
        fine = (alt > 0.0) & (alt < IR_CROSSING_MAX_ALT_M)
        r, c, pos, P_pos = r[fine], c[fine], pos[fine], P_pos[fine]
        if r.size == 0:
            return None
        return r, c, pos, P_pos
