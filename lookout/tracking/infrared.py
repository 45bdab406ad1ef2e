"""What the infrared sensors tell of a track's thrust (``InfraredSensors``): each sensor sees
only burning plumes, so each frame it takes without seeing a plume it was seeing is evidence
that the thrust has ended (``InfraredSensors.misses``), weighed by the sensor's own plume
detection probability, learned from its frames (``InfraredSensors.note``).
"""

from __future__ import annotations

import numpy as np

from lookout.tracking.mixing import BOOST


class InfraredSensors:
    """Each infrared sensor's code (in order of first sight), frame period and plume detection
    statistics; ``tracks``: the tracker's track store (``store.TrackStore``), whose ``ir_t``
    and ``ir_sensor`` hold each track's last infrared detection."""

    def __init__(self, tracks) -> None:
        self.tracks = tracks
        self._ir_codes: dict[str, int] = {}
        # Per infrared sensor code: its frame period (s) and its plumes' detection statistics
        # [frames with a detection, frames expected] (``detection_prob``).
        self._ir_period: dict[int, float] = {}
        self._ir_frames: dict[int, list[int]] = {}
        # ``_per_sensor``'s tables (period, detection_prob per code, then the none's), built
        # again only after one of the above changed (a new code, period or frame count).
        self._tables: tuple[np.ndarray, np.ndarray] | None = None

    def code(self, sensor: str) -> int:
        """The code of infrared sensor ``sensor`` (a new one gets the next)."""
        code = self._ir_codes.get(sensor)
        if code is None:
            code = self._ir_codes[sensor] = len(self._ir_codes)
            self._tables = None
        return code

    def set_period(self, code: int, period_s: float) -> None:
        """The frame period (s) of infrared sensor ``code``: its shortest revisit seen."""
        if self._ir_period.get(code) != period_s:
            self._ir_period[code] = period_s
            self._tables = None

    def detection_prob(self, code: int) -> float:
        """Probability that infrared sensor ``code`` sees a burning plume it has been seeing in
        its next frame: its frames with a detection over the frames expected between two
        detections of the same track (a miss followed by a detection is a true miss, while the
        frames after a burnout are not counted), with a prior of 9 in 10."""
        hits, expected = self._ir_frames.get(code, (0, 0))
        return min((hits + 9.0) / (expected + 10.0), 0.99)

    def _per_sensor(self, codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Frame period (s; 0: not known) and ``detection_prob`` of the sensor of each code in
        ``codes`` (-1: none, period 0): looked up per sensor, a few, not per track."""
        n = len(self._ir_codes)
        if self._tables is None:
            self._tables = (
                np.array([self._ir_period.get(k, 0.0) for k in range(n)] + [0.0]),
                np.array([self.detection_prob(k) for k in range(n)] + [0.0]),
            )
        period, pd = self._tables
        at = np.where(codes >= 0, codes, n)
        return period[at], pd[at]

    def misses(self, sel: np.ndarray, t: float, c: np.ndarray) -> np.ndarray:
        """Predicted mode probabilities ``c`` (n, 2) of tracks ``sel`` at ``t`` with the evidence
        of the frames their last infrared sensor took since their mode estimates without seeing
        the plume: each multiplies the boost mode by ``1 - Pd`` (``detection_prob``), the
        coast mode by one (infrared sees only burning plumes). Without it a track seen only by
        infrared, whose plume goes out at burnout, is flown on unseen in boost for a minute or
        more before the boost mode's 100 s dwell lets it go, its speed past any vehicle's."""
        tracks = self.tracks
        code = tracks.ir_sensor[sel]
        has = np.flatnonzero(code >= 0)
        if has.size == 0:
            return c
        period, pd = self._per_sensor(code[has])
        ok = period > 0.0
        if not ok.all():
            has, period, pd = has[ok], period[ok], pd[ok]
            if has.size == 0:
                return c
        t_ir = tracks.ir_t[sel[has]]
        t0 = np.maximum(tracks.t_base[sel[has]], t_ir)

        def frames_before(tq):  # frames of the sensor strictly after t_ir and before tq
            return np.maximum(np.ceil((tq - t_ir) / period - 1e-3) - 1.0, 0.0)

        missed = np.maximum(frames_before(t) - frames_before(t0), 0.0)
        if not (missed > 0).any():
            return c
        c = c.copy()
        c[has, BOOST] *= (1.0 - pd) ** missed
        c[has] /= c[has].sum(axis=1, keepdims=True)
        return c

    def frames(self, sel: np.ndarray, t: float) -> tuple | None:
        """The first two frames that the infrared sensors seeing the plume of tracks ``sel``
        take between their mode estimates and ``t`` (``mixing.burnout_within``'s ``frames``:
        their times after the estimates, +inf: none, and each one's chance ``1 - Pd`` of
        missing a burning plume): the last sensor's, as ``misses`` counts them, and the one
        before's if it saw the plume within a frame of the last (two satellites see a burn,
        and the first to look after the burnout dates it); None when no track has one."""
        tracks = self.tracks
        if not ((tracks.ir_sensor[sel] >= 0).any() or (tracks.ir_sensor2[sel] >= 0).any()):
            return None  # no sensor, so no period: every time below would stay +inf
        n = sel.size
        times = np.full((n, 4), np.inf)
        miss = np.ones((n, 4))
        t_base = tracks.t_base[sel]
        last_t = tracks.ir_t[sel]
        for col, (code_arr, t_arr) in enumerate(
            ((tracks.ir_sensor, tracks.ir_t), (tracks.ir_sensor2, tracks.ir_t2))
        ):
            code = code_arr[sel]
            t_ir = t_arr[sel]
            period, pd = self._per_sensor(code)
            ok = period > 0.0
            if col == 1:  # the other sensor: only if it saw the plume within a frame of the last
                ok &= t_ir >= last_t - period * (1.0 + 1e-3)
            if not ok.any():
                continue
            has = np.flatnonzero(ok)
            p, ti = period[has], t_ir[has]
            t0 = np.maximum(t_base[has], ti)
            # the first frame strictly after t0 (frames at t_ir + m p, m >= 1), as ``misses``
            m = np.maximum(np.floor((t0 - ti) / p + 1e-3) + 1.0, 1.0)
            for k in range(2):
                f = ti + (m + k) * p
                times[has, 2 * col + k] = np.where(f < t - 1e-3 * p, f - t_base[has], np.inf)
                miss[has, 2 * col + k] = 1.0 - pd[has]
        if not np.isfinite(times).any():
            return None
        order = np.argsort(times, axis=1)[:, :2]
        f = np.take_along_axis(times, order, axis=1)
        mm = np.take_along_axis(miss, order, axis=1)
        return f[:, 0], f[:, 1], mm[:, 0], mm[:, 1]

    def note(self, idx: np.ndarray, sensor: str, t: float) -> None:
        """Tracks ``idx`` updated by infrared sensor ``sensor`` at ``t``: count the frames since
        the same sensor's previous detection of each (at most ten: a longer gap is a plume
        picked up again, not missed frames) for its detection probability, and remember it."""
        tracks = self.tracks
        code = self._ir_codes[sensor]
        period = self._ir_period.get(code, 0.0)
        # The sensor seen before, if another: kept, for the frames it too takes dark (``frames``).
        other = (tracks.ir_sensor[idx] >= 0) & (tracks.ir_sensor[idx] != code)
        tracks.ir_t2[idx[other]] = tracks.ir_t[idx[other]]
        tracks.ir_sensor2[idx[other]] = tracks.ir_sensor[idx[other]]
        if period > 0.0:
            same = tracks.ir_sensor[idx] == code
            gap = np.round((t - tracks.ir_t[idx][same]) / period)
            gap = gap[(gap >= 1) & (gap <= 10)]
            stats = self._ir_frames.setdefault(code, [0, 0])
            stats[0] += int(gap.size)
            stats[1] += int(gap.sum())
            self._tables = None
        tracks.ir_t[idx] = t
        tracks.ir_sensor[idx] = code
