"""The partner nodes' trackers made cheaper per scan give what they gave (issue 16, perf-nodes).

Each saving keeps what the tracker computes: the numpy-step switch still follows the
environment however it is changed; ``CdShape`` built from its shared tables is the shape built
from the drag tables afresh; the infrared sensors' per-sensor tables follow every new period,
frame count and sensor; ``TrackStore.compact`` dropping only its last rows keeps the others.
"""

from __future__ import annotations

import numpy as np
import pytest

from lookout.tracking import drag, motion
from lookout.tracking.infrared import InfraredSensors
from lookout.tracking.store import TRACK_ARRAYS, TrackStore


@pytest.mark.parametrize(
    ("value", "numpy"), [(None, False), ("", False), ("0", False), ("1", True), ("yes", True)]
)
def test_the_numpy_step_switch_follows_the_environment(monkeypatch, value, numpy):
    monkeypatch.setenv("LOOKOUT_NUMPY_STEP", "1")
    assert motion.numpy_step()
    if value is None:
        monkeypatch.delenv("LOOKOUT_NUMPY_STEP")
    else:
        monkeypatch.setenv("LOOKOUT_NUMPY_STEP", value)
    assert motion.numpy_step() is numpy


def test_the_numpy_step_switch_selects_the_numpy_prediction(monkeypatch):
    """With the switch set, ``propagate`` takes the numpy loop (not the compiled one)."""
    from lookout.tracking import compiled

    calls = []
    real = compiled.propagate
    monkeypatch.setattr(compiled, "propagate", lambda *a: calls.append(1) or real(*a))
    x = np.zeros((1, motion.NX))
    x[0, 0], x[0, 4], x[0, motion.KAPPA] = 6.5e6, 7e3, 1.0
    motion.propagate(x, np.array([2.0]))
    assert calls == [1]
    monkeypatch.setenv("LOOKOUT_NUMPY_STEP", "1")
    motion.propagate(x, np.array([2.0]))
    assert calls == [1]


def test_a_drag_shape_from_the_shared_tables_is_the_shape_built_afresh():
    rng = np.random.default_rng(7)
    n_tables = len(drag._drag_tables())
    w = rng.uniform(0.0, 1.0, size=(n_tables, 9))
    w[:, 0] = 0.0  # a row holding kappa
    mach = np.concatenate([rng.uniform(0.0, 30.0, 8), [0.0]])
    fresh = drag.CdShape(w)
    tables = [(t[0], np.exp(t[1])) for t in drag._drag_tables()]
    fresh.tables = tables
    fresh.slopes = [(cd[1:] - cd[:-1]) / (kn[1:] - kn[:-1]) for kn, cd in tables]
    for rows in (None, np.array([0, 3, 8])):
        m = mach if rows is None else mach[rows]
        got, want = drag.CdShape(w)(m, rows), fresh(m, rows)
        for a, b in zip(got, want, strict=True):
            assert np.array_equal(a.view(np.int64), b.view(np.int64))
    # Two shapes share the tables, neither writes them.
    assert drag.CdShape(w).tables is drag.CdShape(w[:, :2]).tables


def test_infrared_miss_chances_follow_new_periods_frames_and_sensors():
    """``frames`` and ``misses`` read each sensor's period and detection probability as they
    are now: after a new period, after frames counted (``note``) and for a sensor first seen."""
    tracks = TrackStore(4)
    ir = InfraredSensors(tracks)
    east = ir.code("geo-east")
    ir.set_period(east, 1.0)
    tracks.n = 2
    tracks.ir_t[:2], tracks.ir_sensor[:2] = -np.inf, -1
    tracks.ir_t2[:2], tracks.ir_sensor2[:2] = -np.inf, -1
    idx = np.array([0])
    both = np.array([0, 1])
    # No track seen by infrared: no frames, the probabilities as they were.
    c = np.array([[0.5, 0.5, 0.0], [0.5, 0.5, 0.0]])
    assert ir.frames(both, 10.0) is None
    assert ir.misses(both, 10.0, c) is c
    for t in (1.0, 2.0, 4.0):  # the frame at 3.0 missed
        ir.note(idx, "geo-east", t)
    tracks.t_base[0] = 4.0
    pd_before = ir.detection_prob(east)
    f1, _, m1, _ = ir.frames(both, 7.0)
    assert f1[0] == pytest.approx(1.0) and not np.isfinite(f1[1])
    assert m1[0] == pytest.approx(1.0 - pd_before)
    ir.note(idx, "geo-east", 6.0)  # one more frame counted: the probability moves
    tracks.t_base[0] = 6.0
    assert ir.detection_prob(east) != pd_before
    f1, _, m1, _ = ir.frames(both, 9.0)
    assert m1[0] == pytest.approx(1.0 - ir.detection_prob(east))
    ir.set_period(east, 0.5)  # a shorter revisit: frames every half second
    f1, _, _, _ = ir.frames(both, 9.0)
    assert f1[0] == pytest.approx(0.5)
    # Another sensor, first seen now: its own (unknown, then set) period.
    west = ir.code("geo-west")
    ir.note(np.array([1]), "geo-west", 6.2)
    tracks.t_base[1] = 6.2
    f1, _, _, _ = ir.frames(both, 9.0)
    assert not np.isfinite(f1[1])  # no period yet: no frames
    ir.set_period(west, 2.0)
    f1, _, m1, _ = ir.frames(both, 9.0)
    assert f1[1] == pytest.approx(2.0) and m1[1] == pytest.approx(1.0 - ir.detection_prob(west))
    got = ir.misses(both, 9.0, c)
    assert got[1, 0] == pytest.approx(0.5 * (1.0 - ir.detection_prob(west)) / (
        0.5 * (1.0 - ir.detection_prob(west)) + 0.5
    ))  # fmt: skip


@pytest.mark.parametrize("drop", [[4], [3, 4], [0], [1, 3], [0, 1, 2, 3, 4], []])
def test_compact_keeps_the_live_tracks_in_order(drop):
    rng = np.random.default_rng(len(drop))
    store = TrackStore(8)
    store.n = 5
    for name in TRACK_ARRAYS:
        arr = getattr(store, name)
        arr[...] = rng.normal(size=arr.shape) * 100 if arr.dtype.kind == "f" else rng.integers(
            0, 100, size=arr.shape
        ).astype(arr.dtype)  # fmt: skip
    before = {name: getattr(store, name)[:5].copy() for name in TRACK_ARRAYS}
    keep = np.ones(5, dtype=bool)
    keep[drop] = False
    store.compact(keep)
    assert store.n == int(keep.sum())
    for name in TRACK_ARRAYS:
        assert np.array_equal(getattr(store, name)[: store.n], before[name][keep]), name


def test_the_kernels_get_writable_arrays_from_read_only_views(monkeypatch):
    """``burnout_within``, ``mix`` (through ``_frame_arrays``) and the association's distances
    hand the compiled kernels writable arrays when given read-only views (``np.broadcast_to``'s),
    so a run compiles no second signature of them (``compiled_imm.warm`` compiles the
    writable one); the values are the same."""
    from lookout.messages import Detection
    from lookout.tracking import association, compiled, compiled_imm, mixing
    from lookout.tracking.scans import prepare

    n = 3
    f = np.broadcast_to(np.array([0.5, np.inf, 1.0]), (n,))
    assert not f.flags.writeable
    got = mixing._frame_arrays((f, f, f, f), n)
    assert all(a.flags.writeable and a.flags.c_contiguous for a in got)
    assert all(np.array_equal(a, f) for a in got)

    seen = []
    real = compiled_imm.burnout_within
    monkeypatch.setattr(compiled_imm, "burnout_within", lambda *a: seen.append(a) or real(*a))
    x = np.zeros((n, motion.NX))
    x[:, 0], x[:, 4], x[:, 6] = 6.5e6, 3e3, 50.0
    P = np.broadcast_to(np.eye(motion.NX), (n, motion.NX, motion.NX)).copy()
    mixing.burnout_within(x, P, np.broadcast_to(np.array([1.0, 2.0, 3.0]), (n,)), (f, f, f, f))
    assert seen and all(a.flags.writeable for a in seen[0] if isinstance(a, np.ndarray))

    calls = []
    real_md = compiled.mode_distances
    monkeypatch.setattr(compiled, "mode_distances", lambda *a: calls.append(a) or real_md(*a))

    det = Detection(
        t_ns=1_000_000_000, sensor_id="r", partner="KR", kind="radar",
        z=[1.0e5, 0.1, 0.2], R=[[1e4, 0.0, 0.0], [0.0, 1e-6, 0.0], [0.0, 0.0, 1e-6]],
        snr_db=20.0, sensor_pos_ecef_m=[6.4e6, 0.0, 0.0],
    )  # fmt: skip
    scans, _ = prepare([det], 0)
    scan = scans[0]
    from lookout.tracking import Tracker

    Tracker()._sensor_geometry(scan)
    scan.R = np.broadcast_to(scan.R, scan.R.shape)  # read-only, as a view would be
    xm = np.zeros((1, 3, motion.NX))
    xm[:, :, 0], xm[:, :, 1], xm[:, :, 2], xm[:, :, 4] = 6.45e6, 1e5, 5e4, 3e3
    Pm = np.broadcast_to(np.eye(motion.NX) * 1e4, (1, 3, motion.NX, motion.NX)).copy()
    association.mode_distances(scan, xm, Pm)
    assert calls and calls[0][1].flags.writeable
