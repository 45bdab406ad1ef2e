"""The separation speed's posterior compiled (``compiled_formations``) orders a tracker's
closely spaced pairs as the numpy path does (``LOOKOUT_NUMPY_STEP=1``): every
``Formations._order`` call of two runs, recorded with the formations' state before it, made
again both ways from the same inputs: the same detections to the same tracks, the same
formations, the posteriors and what is taken from them equal to rounding.

The runs: an IRBM and its stage pushed apart at burnout, two radars (``test_tracking_separation``'s
first scene: pairs sharing their detections, then coasting as a formation), and a stack and its
stage parted at a staging, seen each second by a precise radar (``test_tracker_stages``'s: the
staging family learnt, the detections listed in turn either way round, so that the order is
swapped at every other scan)."""

from __future__ import annotations

import copy

import numpy as np
import pytest
from scenes import count_calls, radar, sense
from test_tracker_stages import (
    _formation_run,
    _order_over_scans,
    _stack_takes,
    _staging_geometry,
    _thrusting_stack_and_stage,
)

from lookout.flight import fly
from lookout.tracking import Tracker, TrackerConfig, compiled_formations, formations, track
from lookout.tracking.formations import _A, SEPARATION_GRID_MPS

#: Agreement asked of every figure, relative to the largest of its row (a posterior's log
#: cells) or array. The two paths differ in one scan's rounding only (the compiled sums run
#: left to right where numpy's are pairwise; libm's ``exp``/``log1p`` against numpy's SIMD
#: loops): measured at most 3e-15 of a row's largest, but 4e-12 of a learnt posterior's
#: variance, the difference of its second moment and its squared mean some 3,000 times larger
#: (a 3 m/s speed known to 0.05 m/s). 1e-9 is far above that, and far below any figure the
#: order or a formation turns on (the two orders' log likelihoods apart by 1e-9 of their size;
#: a mean speed off by 1e-9 of its spread, a nanometre in a relative state a kilometre across).
RTOL = 1e-9


def _close(a, b, axes=None):
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    assert a.shape == b.shape
    assert (np.isfinite(a) == np.isfinite(b)).all()
    fin = np.isfinite(a)
    assert (a[~fin] == b[~fin]).all()  # infinities of the same sign
    a, b = np.where(fin, a, 0.0), np.where(fin, b, 0.0)
    scale = np.abs(a).max(axis=axes, keepdims=True) if axes else np.abs(a).max(initial=0.0)
    assert (np.abs(a - b) <= RTOL * np.maximum(scale, 1e-300)).all(), np.abs(a - b).max()


def _recording(monkeypatch, run, every=1):
    """Every ``every``-th ``Formations._order`` call of ``run()``: a copy of the formations
    (its track store with it) and the arguments, as they were before the call."""
    calls = []
    real = formations.Formations._order
    count = [0]

    def recorded(self, *args):
        if count[0] % every == 0:
            calls.append(copy.deepcopy((self, args)))
        count[0] += 1
        return real(self, *args)

    monkeypatch.setattr(formations.Formations, "_order", recorded)
    run()
    monkeypatch.setattr(formations.Formations, "_order", real)
    return calls


def _both(monkeypatch, call):
    """``call`` made on the numpy path and on the compiled one: each way, the order and the
    formation returned, the formations after it, and what the posterior's step gave (the two
    orders' log likelihoods, the swap, the posteriors; None if no pair got that far)."""
    out = []
    for step, module, name in (("1", formations, "_posterior"),
                               ("0", compiled_formations, "order_pairs")):  # fmt: skip
        monkeypatch.setenv("LOOKOUT_NUMPY_STEP", step)
        real, seen = getattr(module, name), []

        def kept(*a, _real=real, _seen=seen):
            _seen.append(_real(*a))
            return _seen[-1]

        monkeypatch.setattr(module, name, kept)
        f, args = copy.deepcopy(call)
        jb, formation = f._order(*args)
        monkeypatch.setattr(module, name, real)
        out.append((jb, formation, f, seen[0] if seen else None))
    return out


def _irbm_and_stage():
    """An IRBM's flight with its stage (1,400 calls, a few dozen of them ordering a pair)."""
    from scenes import irbm_launch

    trajs = fly([irbm_launch()])
    specs = [radar("r1", 38.0, 129.0, 60.0), radar("r2", 40.0, 145.0, 270.0, span_deg=360.0)]
    dets, _ = sense(trajs, specs, seed=6)
    track(dets)


def _formation():
    _formation_run(0, TrackerConfig(), duration_s=60.0)


def _staging():
    _order_over_scans(_staging_geometry()[5])


def _thrusting():
    """The staging geometry with the stack's track taken as thrusting (its thrust estimate's
    offset to the pair's separation: ``bc``, ``gc``), 20 m/s² along the axis."""
    tracker = Tracker()
    s, B, _, p, v_hat, a_hat = _staging_geometry()
    _thrusting_stack_and_stage(tracker, p, v_hat, a_hat, 0.0)
    tracker.tracks.parted[:2] = 0.0
    tracker.tracks.thrust_dir[1] = a_hat
    _stack_takes(tracker, s, B, 8, lambda x, t: (x, x - 0.5 * 20.0 * t * t * a_hat))


@pytest.mark.parametrize("scene", [_irbm_and_stage, _formation, _staging, _thrusting])
def test_a_trackers_pairs_are_ordered_the_same_both_ways(monkeypatch, scene):
    calls = _recording(monkeypatch, scene)
    assert len(calls) >= 8
    seen = {"pairs": 0, "formations": 0, "swaps": 0, "staging": 0}
    for call in calls:
        (jb0, f0, slow, post0), (jb1, f1, fast, post1) = _both(monkeypatch, call)
        assert (post0 is None) == (post1 is None)
        if post0 is not None:
            # The two orders' log likelihoods (on one scale: their difference decides), the
            # swap, the posteriors.
            _close(np.stack(post0[:2]), np.stack(post1[:2]))
            assert np.array_equal(post0[2], post1[2])
            _close(post0[3], post1[3], axes=(1,))
            if post0[4] is not None:
                _close(post0[4], post1[4], axes=(1,))
        # The same detections to the same tracks, the same formations.
        assert np.array_equal(jb0, jb1)
        assert (f0 is None) == (f1 is None)
        seen["swaps"] += int((jb0 != call[1][3]).any())
        if f0 is not None:
            seen["formations"] += 1
            for name in ("rows", "own", "other", "sign", "partner"):
                assert np.array_equal(getattr(f0, name), getattr(f1, name)), name
            _close(f0.w, f1.w)
            _close(f0.r0, f1.r0, axes=(1,))
            _close(f0.Prr0, f1.Prr0, axes=(1, 2))
            _close(f0.extra, f1.extra, axes=(1, 2))
        # The posteriors kept for the next scan, and the relative motion found.
        assert slow._separation.keys() == fast._separation.keys()
        assert slow._staging.keys() == fast._staging.keys()
        assert slow._relative.keys() == fast._relative.keys()
        for i, row in slow._separation.items():
            assert row.shape == SEPARATION_GRID_MPS.shape
            _close(row, fast._separation[i])
        for i, row in slow._staging.items():
            assert row.shape == _A.shape
            _close(row, fast._staging[i])
        ids = [i for i in slow._separation if i not in call[0]._separation or
               not np.array_equal(slow._separation[i], call[0]._separation[i])]  # fmt: skip
        seen["pairs"] += len(ids)
        seen["staging"] += len(slow._staging)
        if ids:
            young = np.flatnonzero(np.isin(slow.tracks.ids[: slow.tracks.n], ids))
            monkeypatch.setenv("LOOKOUT_NUMPY_STEP", "1")
            want = slow._separation_moments(young)
            monkeypatch.setenv("LOOKOUT_NUMPY_STEP", "0")
            mean, var = fast._separation_moments(young)
            # The mean of a posterior even in sign is a difference of sums a hundred times
            # larger: its rounding is the spread's.
            assert (np.abs(mean - want[0]) <= RTOL * np.sqrt(want[1])).all()
            _close(var, want[1])
    # Each run exercised what it is here for.
    assert seen["pairs"] >= 8, seen
    if scene is _formation:
        assert seen["formations"] >= 20, seen
    if scene is _staging:  # GNN's order turned at every other scan
        assert seen["staging"] >= 5 and seen["swaps"] >= 3, seen


def test_the_compiled_posterior_is_taken_unless_told_not_to(monkeypatch):
    """``LOOKOUT_NUMPY_STEP=1`` keeps numpy; otherwise the kernels find the pairs, their
    matched filter and their order."""
    called = count_calls(
        monkeypatch, compiled_formations, ("order_pairs", "sibling_pairs", "pair_filter")
    )
    monkeypatch.setenv("LOOKOUT_NUMPY_STEP", "1")
    assert all(_order_over_scans(_staging_geometry()[5])[3:])
    assert not called
    monkeypatch.setenv("LOOKOUT_NUMPY_STEP", "0")
    assert all(_order_over_scans(_staging_geometry()[5])[3:])
    assert called.count("order_pairs") == 8
    assert called.count("pair_filter") == 8 and called.count("sibling_pairs") >= 8


def test_the_compiled_logsumexp_and_logaddexp_are_numpys_at_the_edges():
    """Rows with ties, infinities and a NaN; sums far apart and equal (the kernels' helpers,
    against ``lse.logsumexp`` and ``np.logaddexp``)."""
    from lookout.tracking.lse import logsumexp

    rows = [
        np.array([0.0, 0.0, -1.0]), np.array([-np.inf, -np.inf]), np.array([np.inf, 0.0]),
        np.array([np.nan, 0.0]), np.array([-1e5, 3.0, 2.5]), np.array([7.0]),
    ]  # fmt: skip
    for row in rows:
        want = logsumexp(row[None], axis=1)[0]
        got = compiled_formations._logsumexp(row)
        same = got == want or (np.isnan(want) and np.isnan(got))
        assert same or abs(got - want) <= 1e-15 * abs(want), (row, got, want)
    for x, y in [(0.0, 0.0), (-np.inf, -np.inf), (3.0, -2.0), (-2.0, 3.0), (np.inf, 1.0),
                 (1e3, -1e3)]:  # fmt: skip
        want = np.logaddexp(x, y)
        got = compiled_formations._logaddexp(x, y)
        assert got == want or abs(got - want) <= 1e-15 * abs(want), (x, y, got, want)
