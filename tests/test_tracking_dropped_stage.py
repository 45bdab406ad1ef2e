"""A piece born next to a stack still thrusting, its staging unseen, starts where the stack's
thrust since the staging has left it: behind by ``½ a s²`` and ``a s`` over the unknown time
``s``, the thrust's own uncertainty in the spread (``initiation.dropped_priors``; branch
sep59, world80 #03's stage 1 born at NEES 17-22 on ``pushed``'s 100 m and 30 m/s)."""

from __future__ import annotations

import numpy as np
from scipy.stats import chi2

from lookout.tracking import Tracker
from lookout.tracking.initiation import new_states, radar_priors
from lookout.tracking.mixing import BOOST, COAST, INV_EXHAUST_SPM
from lookout.tracking.scans import Scan

#: world80 #03's stack at no-ewr-north's first scan of it (163.3 s, 9 s after its unseen
#: staging), ECEF (m, m/s), rounded; its second stage thrusting at some 45 m/s².
POS = np.array([2141.5e3, 1903.5e3, 5766.0e3])
VEL = np.array([-2533.0, -473.0, 3251.0])
#: The stack's estimate's sigmas: position (m), velocity (m/s), thrust (m/s²) per axis.
SIG_POS, SIG_VEL, SIG_ACC = 300.0, 80.0, 20.0
#: The radar's point: 31 m along its line of sight (range), 1,640 m across (its angles).
SIG_RANGE, SIG_ACROSS = 31.0, 1640.0


def _stacks(n, rng, a_true: np.ndarray, cfg):
    """``n`` thrusting stacks' tracks at POS, VEL with acceleration ``a_true``: their estimates
    drawn about the truth with sigmas SIG_POS, SIG_VEL, SIG_ACC (the boost mode's)."""
    P = np.zeros((10, 10))
    P[:3, :3] = np.eye(3) * SIG_POS**2
    P[3:6, 3:6] = np.eye(3) * SIG_VEL**2
    P[6:9, 6:9] = np.eye(3) * SIG_ACC**2
    err = rng.multivariate_normal(np.zeros(9), P[:9, :9], size=n)
    xm, Pm, mu = new_states(
        POS + err[:, :3],
        np.broadcast_to(P[:3, :3], (n, 3, 3)),
        VEL + err[:, 3:6],
        np.broadcast_to(P[3:6, 3:6], (n, 3, 3)),
        0.995,
        cfg,
    )
    xm[:, BOOST, 6:9] = a_true + err[:, 6:9]
    Pm[:, BOOST, :9, :9] = P[:9, :9]
    return xm, Pm, mu


def _radar_scan(truth: np.ndarray, vhat: np.ndarray, rng) -> Scan:
    """A radar's points of ``truth``'s positions at 10 s, its line of sight across the velocity
    ``vhat``: sigma SIG_RANGE along it, SIG_ACROSS across."""
    n = len(truth)
    los = np.cross(vhat, POS / np.linalg.norm(POS))
    los /= np.linalg.norm(los)
    P_pos = np.eye(3) * SIG_ACROSS**2 + (SIG_RANGE**2 - SIG_ACROSS**2) * np.outer(los, los)
    pts = truth[:, :3] + rng.multivariate_normal(np.zeros(3), P_pos, size=n)
    return Scan(
        t=10.0,
        sensor="radar",
        kind="radar",
        z=np.zeros((n, 3)),
        R=np.broadcast_to(np.eye(3), (n, 3, 3)),
        s=np.zeros(3),
        index=np.arange(n),
        ecef_pos=pts,
        ecef_P=np.broadcast_to(P_pos, (n, 3, 3)).copy(),
    )


def _births(n, rng, thrust_mps2: float, max_age_s: float, fixed_age_s=None):
    """``n`` stacks thrusting at ``thrust_mps2`` along their velocity, each estimated with an
    error drawn from its own covariance, each with a stage dropped a uniform time up to
    ``max_age_s`` (or ``fixed_age_s``) before and seen now by a radar looking across the
    velocity: the stages' priors' coast modes (``radar_priors``) and their truths (n, 6)."""
    tracker = Tracker()
    cfg = tracker.config
    vhat = VEL / np.linalg.norm(VEL)
    a_true = thrust_mps2 * vhat
    xm, Pm, mu = _stacks(n, rng, a_true, cfg)
    parents = tracker._add(xm, Pm, mu, 10.0, 20, 100.0, 10.0)
    tracks = tracker.tracks
    tracks.confirmed[: tracks.n] = True
    tracks.boosted[: tracks.n] = 10.0
    # The truths: the stage coasting since ``s``, the stack thrusting on (its thrust grown as
    # its mass fell, at the catalogue's mean exhaust speed); the springs' push besides.
    s = rng.uniform(0.0, max_age_s, n) if fixed_age_s is None else np.full(n, fixed_age_s)
    f_r, f_v = _offsets(thrust_mps2, s)
    push = rng.normal(0.0, 3.0, n)[:, None] * vhat
    truth = np.empty((n, 6))
    truth[:, :3] = POS - f_r[:, None] * vhat - s[:, None] * push
    truth[:, 3:] = VEL - f_v[:, None] * vhat - push
    # The radar's points, its line of sight across the velocity.
    scan = _radar_scan(truth, vhat, rng)
    xp, Pp, _, _, _ = radar_priors(tracks, scan, np.arange(n), parents, cfg)
    return xp[:, COAST, :6], Pp[:, COAST, :6, :6], truth


def _offsets(thrust_mps2: float, s: np.ndarray):
    """How far (m, m/s) a stack thrusting at ``thrust_mps2`` now, its thrust grown as its mass
    fell at the catalogue's mean exhaust speed (``a(t - u) = a / (1 + a u / c)``), has drawn
    ahead of a body it dropped ``s`` (n,) s ago: ``∫ u a(t - u) du`` and ``∫ a(t - u) du``
    over ``[0, s]``, by the trapezoid rule on a fine grid (not the tracker's closed form)."""
    u = np.linspace(0.0, 1.0, 2001)[None, :] * s[:, None]
    a = thrust_mps2 / (1.0 + thrust_mps2 * u * INV_EXHAUST_SPM)
    return np.trapezoid(u * a, u, axis=1), np.trapezoid(a, u, axis=1)


def _nees(x: np.ndarray, P: np.ndarray, truth: np.ndarray) -> np.ndarray:
    e = x - truth
    return np.einsum("ki,ki->k", e, np.linalg.solve(P, e[..., None])[..., 0])


def test_a_stage_dropped_unseen_behind_a_thrusting_stack_is_born_consistent():
    """World80 #03's geometry: the stack's second stage at 45 m/s², the radar's point 1.6 km
    loose across its line of sight, along which the stage falls behind. Over stagings
    drawn as the tracker takes them (uniform up to ``separation_lookback_s``), the stage's
    prior is consistent: its NEES on six degrees of freedom averages 6 (6.1; main 47,000,
    median 20,000, on ``pushed``'s 100 m and 30 m/s about the stack's estimate) and no more
    than chi-square's share lies past its 99 % point (1.3 %; main 97 %)."""
    max_age = Tracker().config.separation_lookback_s
    x, P, truth = _births(300, np.random.default_rng(59), 45.0, max_age)
    nees = _nees(x, P, truth)
    assert 5.0 < nees.mean() < 7.0, nees.mean()
    assert np.mean(nees > chi2.ppf(0.99, 6)) < 0.025, np.sort(nees)[-10:]


def test_world80_s_stage_nine_seconds_behind_its_stack_is_within_the_gate():
    """World80 #03's own case, the staging 9 s before the radar's first scan of the pair
    (1.65 km and 376 m/s apart here): the stage's prior holds it inside its 99 % region
    nearly every time (1.7 % outside, NEES mean 6.7; main: never, NEES mean 52, with this
    stack known to 300 m and 80 m/s; 17-22 on the three sensor seeds' real births, the stack
    one satellite's)."""
    x, P, truth = _births(300, np.random.default_rng(80), 45.0, 0.0, fixed_age_s=9.0)
    nees = _nees(x, P, truth)
    assert np.mean(nees > chi2.ppf(0.99, 6)) < 0.05, np.sort(nees)[-10:]
    assert nees.mean() < 9.0, nees.mean()


def _breakups(n, rng, thrust_mps2: float, pieces: int, max_age_s: float):
    """``n`` stacks thrusting at ``thrust_mps2`` along their velocity (estimated as
    ``_births``'), each broken up a uniform time up to ``max_age_s`` before a radar's scan
    (its revisit: it watched the stack) into ``pieces`` debris seen together beside it, each
    coasting since with the simulator's explosion push (``failure.separation_speeds``, a
    random direction): the pieces' priors' reported estimates (``radar_priors``, mode
    probabilities mixed) and their truths (n * pieces, 6), and the stacks' velocity
    directions per piece."""
    from lookout.failure import separation_speeds
    from lookout.tracking.mixing import combine

    tracker = Tracker()
    cfg = tracker.config
    vhat = VEL / np.linalg.norm(VEL)
    xm, Pm, mu = _stacks(n, rng, thrust_mps2 * vhat, cfg)
    parents = tracker._add(xm, Pm, mu, 10.0, 20, 100.0, 10.0)
    tracks = tracker.tracks
    tracks.confirmed[: tracks.n] = True
    tracks.boosted[: tracks.n] = 10.0
    k = n * pieces
    s = np.repeat(rng.uniform(0.0, max_age_s, n), pieces)
    f_r, f_v = _offsets(thrust_mps2, s)
    direction = rng.standard_normal((k, 3))
    direction /= np.linalg.norm(direction, axis=1, keepdims=True)
    dv = separation_speeds(np.full(k, 3e-3), rng)[:, None] * direction
    truth = np.empty((k, 6))
    truth[:, :3] = POS - f_r[:, None] * vhat + s[:, None] * dv
    truth[:, 3:] = VEL - f_v[:, None] * vhat + dv
    scan = _radar_scan(truth, vhat, rng)
    near = np.repeat(parents, pieces)
    xp, Pp, mp, _, _ = radar_priors(tracks, scan, np.arange(k), near, cfg)
    x, Px = combine(xp, Pp, mp)
    return x[:, :6], Px[:, :6, :6], truth, vhat


def test_pieces_seen_together_beside_a_thrusting_stack_are_a_break_up_s_not_stages():
    """irbm-breakup's case (branch sep60): pieces seen at once beside a stack still
    thrusting, kr-ewr-central's scan 0.07 s after it came apart. A staging drops one body, so
    these are debris coasting from where the stack broke up, the thrust ended with it: their
    priors sit about the stack's estimate, their velocity along the flight 0.11 of its sigma
    off on average (NEES mean 5.4, 0.5 % past the 99 % point), not behind it by a thrust over
    stagings up to two minutes old (sep59's prior taken for them: 0.62 sigma behind, twice as
    wide; irbm-breakup's five pieces 83-248 m/s off, and through their tracks' own pieces a
    false shelter call for Aomori). Seen up to a 2 s revisit after the break-up they are
    0.62 sigma ahead instead (the thrust over that time is not in the prior), still
    consistent: NEES mean 6.0, 1.2 % past the 99 % point."""
    for age, centred in ((0.1, True), (2.0, False)):
        x, P, truth, vhat = _breakups(200, np.random.default_rng(60), 45.0, 3, age)
        nees = _nees(x, P, truth)
        assert 4.5 < nees.mean() < 7.0, (age, nees.mean())
        assert np.mean(nees > chi2.ppf(0.99, 6)) < 0.02, (age, np.sort(nees)[-10:])
        along = np.einsum("ki,i->k", x[:, 3:] - truth[:, 3:], vhat)
        z = along / np.sqrt(np.einsum("i,kij,j->k", vhat, P[:, 3:, 3:], vhat))
        if centred:
            assert abs(np.mean(z)) < 0.25, np.mean(z)


def test_a_lone_piece_beside_a_thrusting_stack_keeps_the_staging_prior():
    """One piece seen beside the stack (world80 #03's stage 1) is still weighed as a stage
    dropped unseen (``initiation.staging_possible``): the same prior as ``_births``' test."""
    from lookout.tracking.initiation import staging_possible

    assert staging_possible(np.array([4, 7, 4, 9])).tolist() == [False, True, False, True]
