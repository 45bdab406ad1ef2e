"""The association's gate compiled in fewer, larger calls (``compiled.gate_distances``,
``thrust_reachable``, ``coarse_near``) against what it replaced: the distances of every mode
and the staged hypothesis in one call, the same floats as ``mode_distances`` then
``iterated_distances`` (each compiled) called per hypothesis set, and to rounding the numpy
path's (``LOOKOUT_NUMPY_STEP=1``), the same gate decisions; the thrust's reach and the coarse
gate, the same decisions as their numpy paths on scenes with detections on both sides."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from test_update_compiled import _wide_scan

from lookout.tracking import TrackerConfig, association, measure
from lookout.tracking.formations import Formations
from lookout.tracking.scans import Scan

CASES = [("radar", 3), ("radar", 4), ("infrared", 2)]


def _hypotheses(rng, kind, m, n):
    """A scan of ``n`` detections and ``n`` tracks, three modes each and a staged hypothesis:
    the first mode's prior too wide for one linearization (``measure.position_bent``), the
    others tight (a kilometre, 100 m) or wide, the staged one either (its rows as the modes')."""
    x, P, scan = _wide_scan(rng, kind, m, n)
    xp = np.repeat(x[:, None], 3, axis=1) + rng.normal(0.0, 50.0, (n, 3, 10))
    Pp = np.repeat(P[:, None], 3, axis=1)
    tight = np.zeros((10, 10))
    tight[:3, :3] = np.eye(3) * 1e6
    tight[3:6, 3:6] = np.eye(3) * 1e2
    tight[6:, 6:] = np.eye(4)
    Pp[:, 1] = tight
    Pp[::2, 2] = tight * 1e-2  # every other track's third mode tight too
    # Every third track's third mode just wider than the bend's limit (1.5 times it).
    d = xp[::3, 2, :3] - scan.s
    a = measure.AZIMUTH_INDEX[kind]
    lim = measure.BEND_SHARE * np.sqrt(np.minimum(scan.R[:, a, a], scan.R[:, a + 1, a + 1]).min())
    Pp[::3, 2] = tight * (1.5 * lim * np.einsum("ij,ij->i", d, d) / 3e6)[:, None, None]
    xs = x + rng.normal(0.0, 50.0, (n, 10))
    Ps = np.where((np.arange(n) % 3 == 0)[:, None, None], P, tight)
    return xp, Pp, (np.full(n, 0.1), xs, Ps), scan


def _separate(scan, xp, Pp, staged, with_staged):
    """The distances as ``associate`` took them before: modes and staged hypothesis each
    through ``mode_distances`` then ``iterated_distances``."""
    d2, ld = association.iterated_distances(scan, xp, Pp, *association.mode_distances(scan, xp, Pp))
    n, mm = xp.shape[0], scan.z.shape[0]
    if with_staged:
        xs, Ps = staged[1][:, None], staged[2][:, None]
        d2s, lds = association.iterated_distances(
            scan, xs, Ps, *association.mode_distances(scan, xs, Ps)
        )
    else:
        d2s, lds = np.full((n, 1, mm), np.inf), np.zeros((n, 1, mm))
    return np.concatenate([d2, d2s], axis=1), np.concatenate([ld, lds], axis=1)


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("kind, m", CASES)
@pytest.mark.parametrize("with_staged", [True, False])
def test_one_call_gives_the_separate_calls_floats(monkeypatch, seed, kind, m, with_staged):
    """Every (hypothesis, detection) of a scan whose priors are wide and tight: the one call's
    d² and ln|S| are the four calls' to the bit; the numpy path's to rounding near the gate
    (a far pair's Gauss-Newton need not converge alike), every gate decision the same."""
    rng = np.random.default_rng(seed)
    n = 9
    xp, Pp, staged, scan = _hypotheses(rng, kind, m, n)
    monkeypatch.setenv("LOOKOUT_NUMPY_STEP", "0")
    bent = measure.position_bent(kind, xp.reshape(-1, 10), Pp.reshape(-1, 10, 10), scan)
    assert 0 < bent.size < 3 * n  # both kinds of rows
    d2, ld = association.gate_distances(scan, xp, Pp, staged, with_staged)
    d2_old, ld_old = _separate(scan, xp, Pp, staged, with_staged)
    assert d2.shape == ld.shape == (n, 4, n)
    assert np.array_equal(d2, d2_old) and np.array_equal(ld, ld_old)
    monkeypatch.setenv("LOOKOUT_NUMPY_STEP", "1")
    d2_np, ld_np = association.gate_distances(scan, xp, Pp, staged, with_staged)
    gate = TrackerConfig().gate(m)
    assert ((d2 <= gate) == (d2_np <= gate)).all()
    near = d2_np < 1e3
    assert near.any() and (~near).any()
    a, b, la, lb = d2[near], d2_np[near], ld[near], ld_np[near]
    assert (np.abs(a - b) <= 1e-6 * np.maximum(b, 1.0)).all()
    assert (np.abs(la - lb) <= 1e-6 * np.maximum(np.abs(lb), 1.0)).all()
    assert np.isinf(d2[:, 3]).all() != with_staged


def test_a_lone_staged_pair_is_summed_as_its_own_call(monkeypatch):
    """One track, one infrared detection: the staged hypothesis's 2 x 2 was a call of one pair
    (``compiled.mode_distances`` sums that in pairs), and is so in the one call."""
    monkeypatch.setenv("LOOKOUT_NUMPY_STEP", "0")
    for seed in range(200):
        rng = np.random.default_rng(seed)
        xp, Pp, staged, scan = _hypotheses(rng, "infrared", 2, 1)
        A = rng.normal(size=(4, 10, 10))
        P = A @ A.transpose(0, 2, 1)  # tight (metres): no row iterated
        Pp, staged = P[None, :3], (staged[0], staged[1], P[None, 3])
        d2, ld = association.gate_distances(scan, xp, Pp, staged, True)
        d2_old, ld_old = _separate(scan, xp, Pp, staged, True)
        assert np.array_equal(d2, d2_old) and np.array_equal(ld, ld_old)


def _radar_scan(rng, n):
    """A radar scan of ``n`` detections with their ECEF positions and covariances."""
    x, P, scan = _wide_scan(rng, "radar", 3, n)
    pos = x[:, :3] + rng.normal(size=(n, 3)) * rng.uniform(1e2, 3e5, (n, 1))
    A = rng.normal(size=(n, 3, 3)) * rng.uniform(10.0, 3e3, (n, 1, 1))
    cov = A @ A.transpose(0, 2, 1)
    sig = np.sqrt(np.trace(cov, axis1=1, axis2=2))
    return x, P, replace(scan, t=30.0, ecef_pos=pos, ecef_P=cov, ecef_sig=sig)


@pytest.mark.parametrize("seed", range(4))
def test_the_compiled_thrust_reach_decides_as_numpy(monkeypatch, seed):
    """``Associator._thrust_reachable`` both ways on tracks last updated 0-60 s before, against
    detections from metres to hundreds of kilometres off: the same decisions, both outcomes
    present, rows not asked reachable."""
    rng = np.random.default_rng(seed)
    n = 12
    x, P, scan = _radar_scan(rng, n)
    cfg = TrackerConfig()
    tracks = type("Tracks", (), {"t": scan.t - rng.uniform(0.0, 60.0, n)})()
    assoc = association.Associator(cfg, tracks, Formations(cfg, tracks), {})
    xp = np.repeat(x[:, None], 3, axis=1)
    Pp = np.repeat((P * rng.uniform(1e-6, 1.0, (n, 1, 1)))[:, None], 3, axis=1)
    rows = rng.uniform(size=(n, n)) < 0.7
    rows[0] = False
    out = []
    for step in ("1", "0"):
        monkeypatch.setenv("LOOKOUT_NUMPY_STEP", step)
        out.append(assoc._thrust_reachable(scan, np.arange(n), xp, Pp, rows))
    assert np.array_equal(out[0], out[1])
    assert out[1][0].all() and out[1][rows].any() and not out[1][rows].all()


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("kind", ["radar", "infrared"])
def test_the_compiled_coarse_gate_picks_the_numpy_tracks(monkeypatch, seed, kind):
    """``Associator.coarse`` both ways on tracks extrapolated 0-40 s, some in the air (drag),
    against a radar's or a satellite's detections: the same tracks, some near and some not."""
    rng = np.random.default_rng(seed)
    n = 40
    x, _, scan = _radar_scan(rng, n)
    if kind == "infrared":
        s = scan.s + np.array([0.0, 0.0, 3.6e7])
        d = x[:, :3] + rng.normal(size=(n, 3)) * 2e4 - s
        los = d / np.linalg.norm(d, axis=1)[:, None]
        z = np.stack([np.arctan2(los[:, 1], los[:, 0]), np.arcsin(los[:, 2])], axis=1)
        scan = Scan(30.0, "ir", "infrared", z, np.zeros((n, 2, 2)), s, np.arange(n),
                    s_vel=np.zeros(3), los=los, los_sig=np.full(n, 5e-5))  # fmt: skip
    up = x[:, :3] / np.linalg.norm(x[:, :3], axis=1)[:, None]
    low = rng.uniform(size=n) < 0.4
    pos = x[:, :3] + rng.normal(size=(n, 3)) * rng.uniform(1e3, 5e5, (n, 1))
    pos[low] = pos[low] - up[low] * (np.linalg.norm(pos[low], axis=1) - 6.40e6)[:, None]
    tracks = type("Tracks", (), {})()
    tracks.n = n
    tracks.t_base = scan.t - rng.uniform(0.0, 40.0, n)
    tracks.cpos = pos
    tracks.cvel = rng.normal(0.0, 3e3, (n, 3))
    tracks.cacc = rng.normal(0.0, 30.0, (n, 3))
    tracks.csig = np.abs(rng.normal(size=(n, 3))) * [3e3, 3e2, 30.0]
    tracks.cdrag = rng.uniform(0.0, 1e-3, n)
    cfg = TrackerConfig()
    assoc = association.Associator(cfg, tracks, Formations(cfg, tracks), {})
    out = []
    for step in ("1", "0"):
        monkeypatch.setenv("LOOKOUT_NUMPY_STEP", step)
        out.append(assoc.coarse(scan))
    assert np.array_equal(out[0], out[1])
    assert 0 < out[1].size < n
