"""A lone detection of a piece born next to its parent goes to the parent
(``Associator._lone_to_parent``; mrbm-iran-israel's MRBM-2, issue 13)."""

from __future__ import annotations

import numpy as np

from lookout.tracking.association import Associator
from lookout.tracking.config import TrackerConfig
from lookout.tracking.mixing import NMODE
from lookout.tracking.motion import NX
from lookout.tracking.store import TrackStore


def _store(hits_kid: int = 1):
    """Rows 0: a parent (id 0, never seen thrusting), 1: its piece (id 1) born on ``hits_kid``
    detections, 2: an unrelated track (id 2)."""
    tracks = TrackStore()
    xm = np.zeros((1, NMODE, NX))
    Pm = np.broadcast_to(np.eye(NX), (1, NMODE, NX, NX)).copy()
    mu = np.full((1, NMODE), 1.0 / NMODE)
    (pid,) = tracks.add(xm, Pm, mu, 299.0, 5, 0.0, 10.0)
    tracks.add(xm, Pm, mu, 300.0, hits_kid, 0.0, 10.0, parent=np.array([pid]))
    tracks.add(xm, Pm, mu, 300.0, 5, 0.0, 10.0)
    return tracks


def _assign(tracks, ia, jb, ok):
    a = Associator(TrackerConfig(), tracks, None, {})
    cand = np.arange(tracks.n)
    return a._lone_to_parent(cand, np.array(ia), np.array(jb), np.array(ok, dtype=bool))


def test_lone_detection_goes_to_the_parent():
    # Detection 0 gated by the parent and its one-detection piece alone; GNN gave it to the
    # piece, the parent has none: the parent takes it.
    ok = [[1, 0], [1, 0], [0, 1]]
    ia, jb = _assign(_store(), [1, 2], [0, 1], ok)
    assert ia.tolist() == [0, 2] and jb.tolist() == [0, 1]


def test_piece_keeps_it_otherwise():
    ok = [[1, 1], [1, 0], [0, 0]]
    # The parent has a detection of its own: the piece keeps its.
    ia, jb = _assign(_store(), [0, 1], [1, 0], ok)
    assert ia.tolist() == [0, 1] and jb.tolist() == [1, 0]
    # A third track gates it too: left to GNN.
    ok3 = [[1, 0], [1, 0], [1, 1]]
    ia, jb = _assign(_store(), [1, 2], [0, 1], ok3)
    assert ia.tolist() == [1, 2] and jb.tolist() == [0, 1]
    # A piece born next to its parent seen thrusting a moment before (its motion its own
    # from the burnout): GNN's.
    tracks = _store()
    tracks.boosted[0] = 299.0
    ia, jb = _assign(tracks, [1, 2], [0, 1], [[1, 0], [1, 0], [0, 1]])
    assert ia.tolist() == [1, 2] and jb.tolist() == [0, 1]
    # A piece with detections of its own (its state no longer its parent's): left to GNN.
    ia, jb = _assign(_store(hits_kid=2), [1], [0], [[1, 0], [1, 0], [0, 0]])
    assert ia.tolist() == [1] and jb.tolist() == [0]
