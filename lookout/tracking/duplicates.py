"""Two confirmed tracks of one object (``Duplicates``): a sequential test per pair, the merge
of a pair found to be one object, and the end of a track whose object's detections went to
another track.

The tracker can hold two tracks of one object for a while: a second track born on detections
the first missed (a staging its motion model did not expect, a handover between radars), the
first then flying on beside it or drifting off its object. A radar measures an object once per
scan, so the scans of the radars that see the pair tell one object from two:

- a scan that updates both tracks (two detections, one in each gate) saw two objects, or one
  and a false alarm; two such scans (``RESOLVED_COMMON``, the fusion's rule) and the pair is
  two objects for good, however close their states (a spent stage and its payload);
- a scan that updates one of them with a detection the other's gate also holds is what one
  object does at every scan it is detected, and two objects only when the radar misses one:
  the likelihood ratio of one object over two is ``(2 - p) / (2 (1 - p))`` (``p`` the
  detection probability with that radar; given one detection at least, two objects give
  exactly one with probability ``2 p (1 - p) / (1 - (1 - p)^2)``): 5.5 at ``p = 0.9``, 1.1 at
  ``p = 0.2``. ``p`` is the larger of the two tracks' detection probabilities with that radar
  at their last detections (``pd_run``): the one starved of detections learns a falling one
  from its misses.

Wald's sequential test sums those log ratios over the pair's scans while the two states agree
(the difference of their position-velocity estimates inside the 99.9 % chi-square gate of
``P1 + P2``, the cross-covariance left out: the errors of two tracks of one object are
positively correlated, so the difference's true covariance is smaller and a true duplicate
passes it) and merges the pair at ``delete_score_drop`` (ln 10⁶), the evidence the tracker
asks of its misses before it deletes a track: the track with the lower score goes. A scan
that updates both resets the sum.

A pair whose younger was born next to the older at a scan that updated the older (``parent``:
a piece separating, ``initiation.radar_priors``) was resolved at that scan and is the business
of ``formations``: it is never tested.

The end of a track that lost its object (``gone``): a track whose object's detections go to
another track, in its gate (the pair above) or born where it was (its first detection inside
the lost one's position gate, at a scan that did not update it: the lost one's motion model
stopped explaining its object), is missed by the radar at the scan that updates the other.
Its miss costs what the radar's detection probability at its last detection says
(``existence.RadarLooks.note``), not the probability it learns from its looks, which falls with
every miss as if its object faded: the radar still sees the object, at the rate it saw it, in
the other track.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.stats import chi2

from lookout.physics.einsum import einsum
from lookout.tracking.config import TrackerConfig

#: Two tracks that scans of one radar both updated this many times are two objects (the
#: fusion's ``RESOLVED_COMMON``: one such scan can be a false alarm taken by one of them).
RESOLVED_COMMON = 2
#: The pair's states agree: their position-velocity difference inside this chi-square gate of
#: the sum of their covariances (6 dof, 99.9 %, the fusion's ``MERGE_GATE_CHI2``).
AGREE_CHI2 = float(chi2.ppf(0.999, 6))
#: A track is born where a confirmed one was: its first detection's position inside the
#: confirmed one's predicted position gate (3 dof, 1 - 10⁻⁶, the fusion's ``KEEP_GATE_CHI2``).
BORN_AT_CHI2 = float(chi2.ppf(1.0 - 1e-6, 3))


class Duplicates:
    """The suspect pairs of the tracks of ``tracks`` (``store.TrackStore``), by (older id,
    younger id): the sequential test's log likelihood ratio of one object over two, the scans
    that updated both, and whether the younger was born where the older was."""

    def __init__(self, config: TrackerConfig, tracks) -> None:
        self.config = config
        self.tracks = tracks
        self.pairs: dict[tuple[int, int], list] = {}
        self.resolved: set[tuple[int, int]] = set()

    def born(self, scan, new_rows, cand, updated, xbar, Pbar) -> None:
        """New radar-born tracks (store rows ``new_rows``, born on the scan's detections in
        their order) whose first detection lies in the position gate (``BORN_AT_CHI2``) of a
        confirmed track of ``cand`` (predicted ``xbar``, ``Pbar``) that this scan did not
        update: each such pair is suspect, the older lost its object to the younger."""
        tracks = self.tracks
        if new_rows.size == 0 or cand.size == 0:
            return
        # ``np.isin``'s, without its sort (a few rows each).
        live = tracks.confirmed[cand] & ~(cand[:, None] == updated).any(axis=1)
        if not live.any():
            return
        rows = cand[live]
        xs, Ps = xbar[live, :3], Pbar[live, :3, :3]
        kids = new_rows[tracks.parent[new_rows] < 0]
        if kids.size == 0:
            return
        z = tracks.xm[kids, 0, :3]  # the first detection's position (``new_states``)
        R = tracks.Pm[kids, 0, :3, :3]
        d = z[:, None, :] - xs[None, :, :]
        S = R[:, None] + Ps[None, :]
        d2 = einsum("kri,kri->kr", d, np.linalg.solve(S, d[..., None])[..., 0])
        for k, r in zip(*np.nonzero(d2 <= BORN_AT_CHI2), strict=True):
            key = (int(tracks.ids[rows[r]]), int(tracks.ids[kids[k]]))
            if key not in self.resolved:
                self.pairs.setdefault(key, [0.0, 0, True])

    def note(self, scan, cand, ok, ia, jb, xbar, Pbar, code: int) -> tuple[np.ndarray, list]:
        """A radar scan's assignment (``cand`` the predicted tracks' rows, ``ok`` their gates
        (n, M), ``cand[ia]`` updated by detections ``jb``; ``xbar``, ``Pbar`` their predicted
        position-velocity; ``code`` the radar's column in the per-radar arrays) as evidence
        on the suspect pairs: returns the rows of the tracks whose object's detection went to
        another track at this scan (``gone``), and the pairs to merge, (kept row, deleted
        row)."""
        tracks = self.tracks
        n = tracks.n
        none = np.zeros(0, dtype=np.int64)
        conf = tracks.confirmed[cand]
        upd = np.zeros(cand.size, dtype=bool)
        upd[ia] = True
        det_of = np.full(cand.size, -1, dtype=np.int64)
        det_of[ia] = jb
        # New suspects: a confirmed track not updated whose gate holds the detection that
        # updated another confirmed track; and the scans that updated two gating each other's.
        both: set[tuple[int, int]] = set()
        one: dict[tuple[int, int], int] = {}  # pair -> row (into cand) of the one updated
        upd_conf = np.flatnonzero(upd & conf)
        gates = ok[:, det_of[upd_conf]] & conf[:, None]  # (n, k): who gates whose detection
        gates[upd_conf, np.arange(upd_conf.size)] = False
        for b, k in zip(*np.nonzero(gates), strict=True):
            a = int(upd_conf[k])
            key = self._key(int(cand[a]), int(cand[b]))
            if key is None:
                continue
            if upd[b]:
                both.add(key)
            else:
                one[key] = a
        for key in both:
            if key in self.pairs:
                self._common(key)
        for key in one:
            if key not in self.pairs and key not in self.resolved and key not in both:
                self.pairs[key] = [0.0, 0, False]
        ids = tracks.ids[:n]
        if len(self.resolved) > 2 * n + 64:  # forget the pairs of tracks deleted since
            alive = set(ids.tolist())
            self.resolved = {k for k in self.resolved if k[0] in alive and k[1] in alive}
        if not self.pairs:
            return none, []
        row_of_cand = {int(tracks.ids[r]): i for i, r in enumerate(cand.tolist())}
        gone, merges = [], []
        for key in list(self.pairs):
            if key in both:
                continue
            ra, rb = (np.searchsorted(ids, k) for k in key)
            if ra >= n or rb >= n or ids[ra] != key[0] or ids[rb] != key[1]:
                del self.pairs[key]  # one of them was deleted
                continue
            ca, cb = row_of_cand.get(key[0]), row_of_cand.get(key[1])
            ua = ca is not None and upd[ca]
            ub = cb is not None and upd[cb]
            if ua == ub:
                continue
            kept, lost = (ra, rb) if ua else (rb, ra)
            rec = self.pairs[key]
            # The younger born where the older was took the older's object's detection.
            if key in one or (rec[2] and kept == rb and tracks.confirmed[rb]):
                gone.append(lost)
            if key not in one:
                continue  # the other's gate does not hold the detection
            # The pair's states agree?
            ck, cl = (ca, cb) if ua else (cb, ca)
            if cl is None:
                rec[0] = 0.0
                continue
            d = xbar[ck] - xbar[cl]
            S = Pbar[ck] + Pbar[cl]
            try:
                d2 = float(d @ np.linalg.solve(S, d))
            except np.linalg.LinAlgError:
                d2 = math.inf
            if not d2 <= AGREE_CHI2:
                rec[0] = 0.0
                continue
            p = min(
                max(float(tracks.pd_run[ra, code]), float(tracks.pd_run[rb, code])),
                self.config.detection_prob,
            )
            if not p > 0.0:
                continue
            rec[0] += math.log((2.0 - p) / (2.0 * (1.0 - p)))
            if rec[0] >= self.config.delete_score_drop:
                keep, drop = (ra, rb) if tracks.llr[ra] >= tracks.llr[rb] else (rb, ra)
                merges.append((keep, drop))
                del self.pairs[key]
        return np.asarray(sorted(set(gone)), dtype=np.int64), merges

    def _key(self, ra: int, rb: int) -> tuple[int, int] | None:
        """The pair of store rows ``ra``, ``rb`` as (older id, younger id); None if one was
        born next to the other (a piece separating: ``formations``) or they were resolved."""
        tracks = self.tracks
        a, b = int(tracks.ids[ra]), int(tracks.ids[rb])
        if a > b:
            a, b, ra, rb = b, a, rb, ra
        if tracks.parent[rb] == a or (a, b) in self.resolved:
            return None
        return (a, b)

    def _common(self, key: tuple[int, int]) -> None:
        """A scan updated both tracks of ``key``: the test starts again, and two such scans
        make them two objects."""
        rec = self.pairs[key]
        rec[0] = 0.0
        rec[1] += 1
        if rec[1] >= RESOLVED_COMMON:
            del self.pairs[key]
            self.resolved.add(key)
