"""The tracks' state, one row per track in parallel arrays (``TrackStore``): the IMM's mode
estimates and probabilities, times, ids, scores, the coarse gate's extrapolation, what is known
of each track's birth and thrust, its looks by each radar. Rows ``[0, n)`` are live, in
ascending id order (new tracks are appended, ids are never reused), so a track is found by
``np.searchsorted(ids[:n], id)``.
"""

from __future__ import annotations

import math

import numpy as np

from lookout.tracking.mixing import BOOST, INV_EXHAUST_SIGMA_SPM, INV_EXHAUST_SPM, NMODE
from lookout.tracking.motion import NX

TRACK_ARRAYS = (
    "xm", "Pm", "mu", "t", "t_base", "ids", "hits", "llr", "confirmed", "timeout",
    "cpos", "cvel", "cacc", "csig", "cdrag", "parent", "twin", "born", "ir_t", "ir_sensor",
    "ir_t2", "ir_sensor2", "parted", "boosted", "thrust_t0", "llr_max", "pd_hits", "pd_looks",
    "unseen_parting",
    "pd_t", "pd_run", "pd_range",
    "pd_cost", "pd_tent", "pd_seen",
    "fixes", "fix_t", "xs", "Ps", "share", "lifted", "thrust_dir",
    "ex_b", "ex_var", "ex_tb", "ex_ts", "ex_ys", "ex_yvar",
)  # fmt: skip


class TrackStore:
    """Every per-track array (``TRACK_ARRAYS``), with room for ``cap`` tracks to start with
    (grown by doubling); ``n`` tracks live."""

    def __init__(self, cap: int = 64) -> None:
        self.xm = np.zeros((cap, NMODE, NX))
        self.Pm = np.zeros((cap, NMODE, NX, NX))
        self.mu = np.zeros((cap, NMODE))
        # The boost mode's second hypothesis (``mixing.staged_prior``): the next stage lit, its
        # estimate and its share of the boost probability (``mu[:, BOOST]``, the total).
        self.xs = np.zeros((cap, NX))
        self.Ps = np.zeros((cap, NX, NX))
        self.share = np.zeros(cap)
        self.t = np.zeros(cap)  # last update (s)
        self.t_base = np.zeros(cap)  # time of the mode estimates: last update, or later
        self.ids = np.zeros(cap, dtype=np.int64)
        self.hits = np.zeros(cap, dtype=np.int64)
        # Times the detections fixed the track's position in three dimensions: each radar
        # detection, the infrared pair it was born from, each line of sight of another
        # infrared sensor than the one before (a triangulation); see ``existence.confirmable``.
        self.fixes = np.zeros(cap, dtype=np.int64)
        # ... and the time (s) of the last of them: how long the boost mode's thrust has turned
        # unmeasured (``mixing.turn_held``).
        self.fix_t = np.zeros(cap)
        self.llr = np.zeros(cap)
        # The highest score each track reached: a confirmed track whose score falls
        # ``delete_score_drop`` below it is deleted (``existence.RadarLooks.note``).
        self.llr_max = np.zeros(cap)
        # Per (track, radar): detections and looks (the track predicted inside the radar's
        # coverage at one of its scans), each discounted by ``1 - 1 / pd_memory_looks`` per
        # look, for the track's detection probability with that radar (``RadarLooks.note``).
        self.pd_hits = np.zeros((cap, 0))
        self.pd_looks = np.zeros((cap, 0))
        self.pd_t = np.zeros((cap, 0))  # time of the last look (s)
        # ... and the Pd it saw the track with at its last detection (``RadarLooks.note``).
        self.pd_run = np.zeros((cap, 0))
        # ... and the track's range from it then (m; 0: never seen by it).
        self.pd_range = np.zeros((cap, 0))
        # ... and the score its misses cost since it last saw the track (``RadarLooks.note``).
        self.pd_cost = np.zeros((cap, 0))
        # ... and the time (s) it last detected the track while tentative (0: never).
        self.pd_tent = np.zeros((cap, 0))
        # ... and the time (s) it last detected the track, tentative or confirmed (0: never).
        self.pd_seen = np.zeros((cap, 0))
        self.confirmed = np.zeros(cap, dtype=bool)
        self.timeout = np.zeros(cap)
        # Cheap extrapolation for the coarse gate: position, velocity, acceleration (gravity
        # and mean thrust) at the last update; position, velocity and acceleration sigmas.
        self.cpos = np.zeros((cap, 3))
        self.cvel = np.zeros((cap, 3))
        self.cacc = np.zeros((cap, 3))
        self.csig = np.zeros((cap, 3))
        self.cdrag = np.zeros(cap)  # largest plausible kappa (m²/kg)
        # Id of the confirmed track a radar-started track was born next to (-1: none), see
        # ``Formations.order_siblings``.
        self.parent = np.full(cap, -1, dtype=np.int64)
        # Id of the track born with it in the same radar scan, next to it, neither next to a
        # confirmed track (-1: none): a pair first seen already parted, which is which is the
        # order of the scan's detections (``initiation.born_together``).
        self.twin = np.full(cap, -1, dtype=np.int64)
        self.born = np.zeros(cap)  # time of the first detection (s)
        # When a track born next to another most likely came apart from it (s): the other's
        # last update seen thrusting, if that was a moment before (objects part at burnout
        # and staging), else its own first detection (``Tracker._initiate_radar``).
        self.parted = np.zeros(cap)
        # Last update (s) at which each track was more likely thrusting than not (-inf: never).
        self.boosted = np.zeros(cap)
        # A track born next to one never seen thrusting: that one was first seen already
        # coasting, on either piece, so which of the two is ahead is not known
        # (``Formations._separation_logp``).
        self.unseen_parting = np.zeros(cap, dtype=bool)
        # When its object was first seen thrusting (s; +inf: never), for how long it may go on
        # (``mixing.burnout_probability``); a track born next to a thrusting one inherits it.
        self.thrust_t0 = np.zeros(cap)
        # When its object was first seen lifting (s; +inf: never): a lifting airframe, whose
        # manoeuvre mode is its lift law, zero lift included (``manoeuvre.seen_lifting``).
        self.lifted = np.zeros(cap)
        # The last infrared detection of each track: its time (s) and its sensor's code (-1:
        # none), for the frames that sensor has since taken without seeing the plume
        # (``InfraredSensors.misses``).
        self.ir_t = np.zeros(cap)
        self.ir_sensor = np.full(cap, -1, dtype=np.int64)
        # ... and of the other infrared sensor that saw it last (``InfraredSensors.frames``).
        self.ir_t2 = np.zeros(cap)
        self.ir_sensor2 = np.full(cap, -1, dtype=np.int64)
        # A track born next to a thrusting one (parted at its staging): the direction of that
        # one's thrust at the parting (unit ECEF; zero: none), the stack's axis, along which
        # the next stage thrusts (``Formations.order_siblings``).
        self.thrust_dir = np.zeros((cap, 3))
        # The inverse exhaust speed (s/m) its boost mode's thrust grows at, learnt from its
        # thrust (``mixing.exhaust_learn``): the estimate, its variance, its time (s), and the
        # start of the span it is being measured over (time, ``1/|a|`` and its variance).
        self.ex_b = np.zeros(cap)
        self.ex_var = np.zeros(cap)
        self.ex_tb = np.zeros(cap)
        self.ex_ts = np.zeros(cap)
        self.ex_ys = np.zeros(cap)
        self.ex_yvar = np.zeros(cap)
        self.n = 0
        self._next_id = 1

    def add(
        self, xm, Pm, mu, t: float, hits: int, llr: float, timeout: float, parent=None
    ) -> np.ndarray:
        """Append new tracks born at ``t`` with mode estimates ``xm``, ``Pm``, ``mu``: their ids
        (rows ``n - k`` to ``n``). Their ``confirmed`` flags and coarse-gate extrapolation are
        the caller's (``Tracker._add``)."""
        k = xm.shape[0]
        need = self.n + k
        self.grow(need)
        # The new rows as a slice: the same values as by their indices, each array's write
        # without an index array to walk (some 4,600 calls of fifty writes in mass-raid's
        # first 300 s of trackers).
        s = slice(self.n, need)
        self.xm[s], self.Pm[s], self.mu[s] = xm, Pm, mu
        self.xs[s], self.Ps[s], self.share[s] = xm[:, BOOST], Pm[:, BOOST], 0.0
        self.t[s] = self.t_base[s] = t
        ids = np.arange(self._next_id, self._next_id + k, dtype=np.int64)
        self._next_id += k
        self.ids[s] = ids
        self.hits[s] = hits
        self.fixes[s] = 1  # a radar detection, or two infrared lines of sight crossing
        self.fix_t[s] = t
        self.llr[s] = llr
        self.llr_max[s] = llr
        self.pd_hits[s] = 0.0
        self.pd_looks[s] = 0.0
        self.pd_t[s] = t
        self.pd_run[s] = 0.0
        self.pd_range[s] = 0.0
        self.pd_cost[s] = 0.0
        self.pd_tent[s] = 0.0
        self.pd_seen[s] = 0.0
        self.timeout[s] = timeout
        self.parent[s] = -1 if parent is None else parent
        self.twin[s] = -1
        self.born[s] = t
        self.ir_t[s] = -math.inf
        self.ir_sensor[s] = -1
        self.ir_t2[s] = -math.inf
        self.ir_sensor2[s] = -1
        self.parted[s] = t
        self.unseen_parting[s] = False
        self.thrust_dir[s] = 0.0
        self.boosted[s] = np.where(mu[:, BOOST] >= 0.5, t, -math.inf)
        self.thrust_t0[s] = np.where(mu[:, BOOST] >= 0.5, t, math.inf)
        self.lifted[s] = math.inf
        self.ex_b[s], self.ex_var[s] = INV_EXHAUST_SPM, INV_EXHAUST_SIGMA_SPM**2
        self.ex_tb[s], self.ex_ts[s], self.ex_ys[s], self.ex_yvar[s] = t, math.nan, 0.0, 0.0
        self.n = need
        return ids

    def grow(self, need: int) -> None:
        """Room for ``need`` tracks in every per-track array (doubling)."""
        if need > self.xm.shape[0]:
            cap = max(need, 2 * self.xm.shape[0])
            for name in TRACK_ARRAYS:
                arr = getattr(self, name)
                new = np.zeros((cap, *arr.shape[1:]), dtype=arr.dtype)
                new[: self.n] = arr[: self.n]
                setattr(self, name, new)

    def clone(self, idx: np.ndarray) -> np.ndarray:
        """Copies of tracks ``idx`` (every per-track array, new ids): their slots."""
        k = idx.size
        need = self.n + k
        self.grow(need)
        s = np.arange(self.n, need)
        for name in TRACK_ARRAYS:
            arr = getattr(self, name)
            arr[s] = arr[idx]
        self.ids[s] = np.arange(self._next_id, self._next_id + k, dtype=np.int64)
        self._next_id += k
        self.n = need
        return s

    def compact(self, keep: np.ndarray) -> None:
        """Keep the live tracks where ``keep`` (n,), in order."""
        idx = np.flatnonzero(keep[: self.n])
        k = idx.size
        # The rows before the first one dropped stay where they are: only those after move
        # (the same arrays as ``arr[:k] = arr[: self.n][keep]``, without its index built per
        # array and its copy of the rows that stay).
        first = int(np.argmin(keep[: self.n])) if k < self.n else k
        idx = idx[first:]
        if idx.size:  # else only the last rows were dropped: nothing moves
            for name in TRACK_ARRAYS:
                arr = getattr(self, name)
                arr[first:k] = arr[idx]
        self.n = k
