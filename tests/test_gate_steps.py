"""The iterated gate's Gauss-Newton steps, each pair on its own (``compiled.gate_gauss_newton``,
``association._gate_linearized``): a pair stops when its own step is small or when it is beyond
any gate (``association.GATE_BEYOND``). Against the steps every pair of a call took together
until the slowest was done (``measure.linearized``'s, which the update still takes): every
gate decision the same, the near pairs' d² within 1e-6, a gated pair's cost beside a far mode
the same; a pair's d² no longer depends on what else the scan holds."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from test_update_compiled import RTOL, _both, _wide_scan

from lookout.tracking import TrackerConfig, association, measure


def _distances(scan, x, P):
    xp, Pp = x[:, None], P[:, None]
    d2, ld = association.mode_distances(scan, xp, Pp)
    d2, ld = association.iterated_distances(scan, xp, Pp, d2, ld)
    return d2[:, 0], ld[:, 0]


def _call_wide(scan, x, P):
    """The distances with every pair of the scan stepping until the slowest is done: the gate
    before each pair stopped on its own (``measure.linearized``, the numpy path)."""
    n, mm = x.shape[0], scan.z.shape[0]
    r, jj = np.repeat(np.arange(n), mm), np.tile(np.arange(mm), n)
    zh, H = measure.linearized(scan.kind, x[r], P[r], scan, jj, scan.m)
    nu = measure.wrap(scan.z[jj] - zh, scan.kind)
    S = H @ P[r, :6, :6] @ H.transpose(0, 2, 1) + scan.R[jj]
    d2 = np.einsum("ki,kij,kj->k", nu, np.linalg.inv(S), nu).reshape(n, mm)
    return d2, np.linalg.slogdet(S)[1].reshape(n, mm)


CASES = [("radar", 3), ("radar", 4), ("infrared", 2)]


@pytest.mark.parametrize("seed", [0, 1, 2, 36, 37])
@pytest.mark.parametrize("kind, m", CASES)
def test_each_pair_stepping_on_its_own_gates_as_all_stepping_together(monkeypatch, seed, kind, m):
    """Wide priors (60-80 km along a line of sight), each against every detection of the scan:
    the gate's decisions are those of the call-wide steps; a pair near its gate (d² < 1,000)
    and not left beyond ``GATE_BEYOND`` has its d² within 1e-6 (steps under a metre left
    out); and a gated pair's cost (``mixture_cost``, a far mode's term
    beside a near one's) is the same to the bit. The compiled kernel and its numpy reference
    agree to rounding."""
    monkeypatch.setenv("LOOKOUT_NUMPY_STEP", "1")
    rng = np.random.default_rng(seed)
    n = 12
    x, P, scan = _wide_scan(rng, kind, m, n)
    old, old_ld = _call_wide(scan, x, P)
    (d2s, lds), (d2f, ldf) = _both(monkeypatch, _distances, scan, x, P)
    gate = TrackerConfig().gate(m)
    for d2, ld in ((d2s, lds), (d2f, ldf)):
        assert ((d2 <= gate) == (old <= gate)).all()
        far = d2 > association.GATE_BEYOND  # left where it was (its old d² may be 891)
        near = (old < 1e3) & ~far
        assert near.diagonal().all()  # each prior's own detection is near
        assert (np.abs(d2 - old) <= 1e-6 * np.maximum(old, 1.0))[near].all()
        assert (np.abs(ld - old_ld) <= 1e-6 * np.maximum(np.abs(old_ld), 1.0))[near].all()
        # Two modes of each (track, detection), weighed 0.9 / 0.1: this pair's d² and the
        # transposed pair's (another prior against another detection). Where one is gated
        # and the other above 1e4, the far term vanishes both ways: the same cost.
        pair = np.stack([d2, d2.T], axis=1), np.stack([ld, ld.T], axis=1)
        pair_old = np.stack([old, old.T], axis=1), np.stack([old_ld, old_ld.T], axis=1)
        c = np.tile([0.9, 0.1], (n, 1))
        live = np.ones((n, 2, n), dtype=bool)
        cost = association.mixture_cost(*pair, c, live)
        cost_old = association.mixture_cost(*pair_old, c, live)
        gated = (pair_old[0] <= gate).any(axis=1)
        one_far = gated & ((pair_old[0] > 1e4).any(axis=1))
        assert (cost[one_far] == cost_old[one_far]).all()
    scale = np.maximum(d2s, 1.0)
    assert (np.abs(d2s - d2f) <= RTOL * scale)[d2s < 1e3].all()
    assert ((d2s <= gate) == (d2f <= gate)).all()


@pytest.mark.parametrize("kind, m", CASES)
def test_a_pairs_distance_is_its_own_whatever_else_the_scan_holds(monkeypatch, kind, m):
    """A prior against its own detection, alone in the scan and beside eleven others' (whose
    steps, before, kept the whole call stepping): the same d² and ln|S| (the kernel's to the
    bit; numpy's to rounding)."""
    rng = np.random.default_rng(7)
    n = 12
    x, P, scan = _wide_scan(rng, kind, m, n)
    for step in ("1", "0"):
        monkeypatch.setenv("LOOKOUT_NUMPY_STEP", step)
        d2, ld = _distances(scan, x, P)
        for k in range(n):
            one = slice(k, k + 1)
            alone = replace(scan, z=scan.z[one], R=scan.R[one], index=scan.index[one])
            d2k, ldk = _distances(alone, x[one], P[one])
            if step == "0":  # the kernel: pair by pair, the same floats
                assert d2k[0, 0] == d2[k, k] and ldk[0, 0] == ld[k, k]
            else:  # numpy's sums may take another order on another shape
                assert abs(d2k[0, 0] - d2[k, k]) <= RTOL * max(d2[k, k], 1.0)
                assert abs(ldk[0, 0] - ld[k, k]) <= RTOL * max(abs(ld[k, k]), 1.0)


def test_too_near_a_limit_changes_a_gate_decision(monkeypatch):
    """The limit has to be far beyond the gate: a pair of this scene whose d² is 129 after its
    first step ends at 20, in the gate (its first linearization, at the prior's mean, 2,960);
    with the limit at twice the gate it is left out."""
    rng = np.random.default_rng(37)
    x, P, scan = _wide_scan(rng, "radar", 4, 12)
    monkeypatch.setenv("LOOKOUT_NUMPY_STEP", "0")
    gate = TrackerConfig().gate(4)
    d2, _ = _distances(scan, x, P)
    assert ((d2 <= gate) == (_call_wide(scan, x, P)[0] <= gate)).all()
    monkeypatch.setattr(association, "GATE_BEYOND", 2.0 * gate)
    d2_tight, _ = _distances(scan, x, P)
    assert ((d2 <= gate) & (d2_tight > gate)).any()
