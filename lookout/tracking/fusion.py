"""Fusion into the common picture: every partner's shared detections and local tracks.

Two kinds of input, as the partners' releasability allows:

- **Detections** (measurement-level fusion): every shared detection, of every partner, goes into
  one ``Tracker``, in time order. Detections arrive from several partners with different
  delays, so they wait in a reorder buffer until the *watermark* (the latest detection time
  seen, minus ``latency_s``) passes them; a detection older than what was already processed is
  counted as late and dropped (it cannot be put back into the past of a Kalman filter).
- **Local tracks** (track-to-track fusion): a partner that shares only its tracks (say, for its
  infrared satellites) sends ``LocalTrack`` estimates. At each report instant each local track,
  predicted there if needed, is associated with the nearest measurement-level track (chi-square
  gate on the position difference under both covariances) and fused with it by covariance
  intersection: the cross-correlation between a partner's track and the exchange's track is
  unknown (they may share detections, and share the same motion model's errors), and CI is
  consistent whatever it is (Julier & Uhlmann, 1997). The weight minimises the trace of the fused
  position covariance. A local track with no partner in the picture becomes a system track of
  its own.

System track ids are stable: a measurement-level track keeps its id for life, and a local track
keeps the id of the system track it first belonged to; when a measurement-level track first takes
up a local track that already had a system track, it inherits that id.

All times are message times (the detections' ``t_ns``), never the wall clock, so fusing the same
messages in the same order gives the same picture: the exchange's replay relies on it.
"""

from __future__ import annotations

import heapq
import math
from dataclasses import dataclass, field

import numpy as np

from lookout.flight.gravity import gravity_j2
from lookout.geodesy import OMEGA_EARTH
from lookout.messages import Detection, DetectionBatch, LocalTrack
from lookout.tracking.config import TrackerConfig
from lookout.tracking.tracker import Tracker

#: Chi-square (3 dof) gate for associating a local track with a system track: 99.9%.
LOCAL_GATE_CHI2 = 16.27
#: Candidate weights of covariance intersection.
_CI_WEIGHTS = np.linspace(0.02, 0.98, 49)


@dataclass
class FusedTrack:
    """One system track at a report instant (SI, ECEF)."""

    system_track_id: str
    t: float
    x: np.ndarray  # (6,)
    P: np.ndarray  # (6, 6)
    boost_prob: float
    partners: tuple[str, ...]
    tracker_id: int | None = None  # the measurement-level track, if any
    local: tuple[tuple[str, str], ...] = ()  # (partner, local track id) fused in


@dataclass
class _Local:
    partner: str
    track_id: str
    t: float
    x: np.ndarray
    P: np.ndarray
    boost_prob: float


@dataclass
class FusionCounters:
    detections: int = 0
    late_detections: int = 0
    local_tracks: int = 0
    reports: int = 0
    per_partner: dict[str, int] = field(default_factory=dict)


def _coast(x: np.ndarray, P: np.ndarray, dt: float) -> tuple[np.ndarray, np.ndarray]:
    """A local track carried ``dt`` s forward (a fraction of a report period): constant
    acceleration of gravity and the rotating frame over the step, and the covariance through
    the constant-velocity transition."""
    if dt <= 1e-9:
        return x, P
    pos, vel = x[:3], x[3:]
    acc = gravity_j2(pos[None])[0]
    acc += np.array([2 * OMEGA_EARTH * vel[1] + OMEGA_EARTH**2 * pos[0],
                     -2 * OMEGA_EARTH * vel[0] + OMEGA_EARTH**2 * pos[1], 0.0])  # fmt: skip
    xn = np.concatenate([pos + vel * dt + 0.5 * acc * dt * dt, vel + acc * dt])
    F = np.eye(6)
    F[:3, 3:] = dt * np.eye(3)
    return xn, F @ P @ F.T


def covariance_intersection(
    xa: np.ndarray, Pa: np.ndarray, xb: np.ndarray, Pb: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """CI of two estimates (n,) with covariances (n, n), the weight minimising the trace of
    the fused position block."""
    ia, ib = np.linalg.inv(Pa), np.linalg.inv(Pb)
    w = _CI_WEIGHTS[:, None, None]
    info = w * ia + (1.0 - w) * ib
    P_all = np.linalg.inv(info)
    best = int(np.argmin(np.trace(P_all[:, :3, :3], axis1=1, axis2=2)))
    wb = _CI_WEIGHTS[best]
    P = P_all[best]
    x = P @ (wb * ia @ xa + (1.0 - wb) * ib @ xb)
    return x, 0.5 * (P + P.T)


class PictureFusion:
    """Fuses partners' messages into system tracks reported every ``report_period_s``.

    ``ingest(sender, message)`` takes ``Detection``, ``DetectionBatch`` and ``LocalTrack``
    messages (others are ignored) and returns the ``FusedTrack``s of every report instant the
    watermark passed, in order, as ``[(t, [FusedTrack, ...]), ...]``.
    """

    def __init__(
        self,
        config: TrackerConfig | None = None,
        *,
        report_period_s: float = 1.0,
        latency_s: float = 1.0,
        local_max_age_s: float = 5.0,
        first_system_track_id: int = 1,
    ) -> None:
        self.tracker = Tracker(config)
        self.report_period_s = report_period_s
        self.latency_s = latency_s
        self.local_max_age_s = local_max_age_s
        self.counters = FusionCounters()
        self._buffer: list[tuple[int, int, str, Detection]] = []
        self._arrivals = 0
        self._processed_t_ns = -(2**63)
        self._latest_t_ns: int | None = None
        self._next_report: int | None = None  # index k of the next report instant
        self._n_fed = 0  # detections given to the tracker so far (its detection indices)
        self._partners_of_track: dict[int, set[str]] = {}
        self._locals: dict[tuple[str, str], _Local] = {}
        self._sys_of_track: dict[int, str] = {}
        self._sys_of_local: dict[tuple[str, str], str] = {}
        # A restarted exchange starts above every id it may have given (lookout.exchange).
        self._next_sys = first_system_track_id

    # ------------------------------------------------------------------ input

    def ingest(self, sender: str, message) -> list[tuple[float, list[FusedTrack]]]:
        if isinstance(message, DetectionBatch):
            for det in message.detections:
                self._buffer_detection(sender, det)
        elif isinstance(message, Detection):
            self._buffer_detection(sender, message)
        elif isinstance(message, LocalTrack):
            self.counters.local_tracks += 1
            key = (sender, message.track_id)
            self._locals[key] = _Local(
                sender,
                message.track_id,
                message.t_ns * 1e-9,
                np.asarray(message.x, dtype=float),
                np.asarray(message.P, dtype=float),
                message.boost_prob,
            )
            self._advance(message.t_ns)
            return self._drain()
        else:
            return []
        return self._drain()

    def flush(self) -> list[tuple[float, list[FusedTrack]]]:
        """Process everything buffered and report up to the latest time seen."""
        if self._latest_t_ns is None:
            return []
        self._latest_t_ns += int(self.latency_s * 1e9) + 1
        return self._drain()

    def _buffer_detection(self, sender: str, det: Detection) -> None:
        self.counters.detections += 1
        self.counters.per_partner[sender] = self.counters.per_partner.get(sender, 0) + 1
        if det.t_ns < self._processed_t_ns:
            self.counters.late_detections += 1
            return
        self._arrivals += 1
        heapq.heappush(self._buffer, (det.t_ns, self._arrivals, sender, det))
        self._advance(det.t_ns)

    def _advance(self, t_ns: int) -> None:
        if self._latest_t_ns is None or t_ns > self._latest_t_ns:
            self._latest_t_ns = t_ns
        if self._next_report is None:
            self._next_report = math.floor(t_ns * 1e-9 / self.report_period_s) + 1

    # ------------------------------------------------------------------ processing

    def _drain(self) -> list[tuple[float, list[FusedTrack]]]:
        if self._latest_t_ns is None:
            return []
        watermark = self._latest_t_ns - int(self.latency_s * 1e9)
        out = []
        while True:
            t_report = self._next_report * self.report_period_s
            t_report_ns = round(t_report * 1e9)
            upto = min(watermark, t_report_ns)
            self._process_until(upto)
            if t_report_ns > watermark:
                break
            out.append((t_report, self._report(t_report)))
            self._next_report += 1
        return out

    def _process_until(self, t_ns: int) -> None:
        chunk, partners = [], []
        while self._buffer and self._buffer[0][0] <= t_ns:
            _, _, sender, det = heapq.heappop(self._buffer)
            chunk.append(det)
            partners.append(sender)
        if not chunk:
            return
        self._processed_t_ns = max(self._processed_t_ns, chunk[-1].t_ns)
        first, self._n_fed = self._n_fed, self._n_fed + len(chunk)
        rows = self.tracker.process(chunk)
        for tid, di in zip(rows.track_id.tolist(), rows.detection_index.tolist(), strict=True):
            if di >= first:
                self._partners_of_track.setdefault(tid, set()).add(partners[di - first])

    def _report(self, t: float) -> list[FusedTrack]:
        self.counters.reports += 1
        rep = self.tracker.report(t)
        locals_now = self._locals_at(t)
        fused: list[FusedTrack] = []
        used_local: set[tuple[str, str]] = set()
        taken: set[str] = set()
        for i in range(len(rep)):
            tid = int(rep.track_id[i])
            x, P = rep.x[i], rep.P[i]
            near = self._associate(x, P, locals_now, used_local)
            for key, lx, lP in near:
                x, P = covariance_intersection(x, P, lx, lP)
                used_local.add(key)
            sys_id = self._sys_of_track.get(tid)
            if sys_id is None:
                inherited = [self._sys_of_local[k] for k, _, _ in near if k in self._sys_of_local]
                inherited = [s for s in inherited if s not in taken]
                sys_id = inherited[0] if inherited else self._new_id()
                self._sys_of_track[tid] = sys_id
            for key, _, _ in near:
                self._sys_of_local[key] = sys_id
            taken.add(sys_id)
            partners = set(self._partners_of_track.get(tid, ())) | {k[0] for k, _, _ in near}
            fused.append(
                FusedTrack(
                    sys_id,
                    t,
                    x,
                    P,
                    float(rep.boost_prob[i]),
                    tuple(sorted(partners)),
                    tid,
                    tuple(k for k, _, _ in near),
                )
            )
        for key, (lx, lP, bp) in locals_now.items():
            if key in used_local:
                continue
            sys_id = self._sys_of_local.get(key)
            if sys_id is None or sys_id in taken:
                sys_id = self._new_id()
                self._sys_of_local[key] = sys_id
            taken.add(sys_id)
            fused.append(FusedTrack(sys_id, t, lx, lP, bp, (key[0],), None, (key,)))
        return fused

    def _new_id(self) -> str:
        sys_id = f"S{self._next_sys}"
        self._next_sys += 1
        return sys_id

    def _locals_at(self, t: float) -> dict[tuple[str, str], tuple[np.ndarray, np.ndarray, float]]:
        """Every fresh local track, predicted (coasting) to ``t``."""
        for key in [k for k, v in self._locals.items() if t - v.t > self.local_max_age_s]:
            del self._locals[key]
        out = {}
        for v in self._locals.values():
            if v.t > t + 1e-9:
                continue
            x6, P6 = _coast(v.x, v.P, t - v.t)
            out[(v.partner, v.track_id)] = (x6, P6, v.boost_prob)
        return out

    @staticmethod
    def _associate(x, P, locals_now, used) -> list:
        """Local tracks (one per partner, the nearest) within the gate of track (x, P)."""
        best: dict[str, tuple[float, tuple, np.ndarray, np.ndarray]] = {}
        for key, (lx, lP, _) in locals_now.items():
            if key in used:
                continue
            d = lx[:3] - x[:3]
            S = P[:3, :3] + lP[:3, :3]
            try:
                d2 = float(d @ np.linalg.solve(S, d))
            except np.linalg.LinAlgError:
                continue
            if d2 <= LOCAL_GATE_CHI2 and (key[0] not in best or d2 < best[key[0]][0]):
                best[key[0]] = (d2, key, lx, lP)
        return [(key, lx, lP) for _, key, lx, lP in sorted(best.values(), key=lambda b: b[1])]
