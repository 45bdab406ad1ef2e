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

    def code(self, sensor: str) -> int:
        """The code of infrared sensor ``sensor`` (a new one gets the next)."""
        return self._ir_codes.setdefault(sensor, len(self._ir_codes))

    def set_period(self, code: int, period_s: float) -> None:
        """The frame period (s) of infrared sensor ``code``: its shortest revisit seen."""
        self._ir_period[code] = period_s

    def detection_prob(self, code: int) -> float:
        """Probability that infrared sensor ``code`` sees a burning plume it has been seeing in
        its next frame: its frames with a detection over the frames expected between two
        detections of the same track (a miss followed by a detection is a true miss, while the
        frames after a burnout are not counted), with a prior of 9 in 10."""
        hits, expected = self._ir_frames.get(code, (0, 0))
        return min((hits + 9.0) / (expected + 10.0), 0.99)

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
        period = np.array([self._ir_period.get(int(k), 0.0) for k in code[has]])
        ok = period > 0.0
        if not ok.all():
            has, period = has[ok], period[ok]
            if has.size == 0:
                return c
        t_ir = tracks.ir_t[sel[has]]
        t0 = np.maximum(tracks.t_base[sel[has]], t_ir)

        def frames_before(tq):  # frames of the sensor strictly after t_ir and before tq
            return np.maximum(np.ceil((tq - t_ir) / period - 1e-3) - 1.0, 0.0)

        missed = np.maximum(frames_before(t) - frames_before(t0), 0.0)
        if not (missed > 0).any():
            return c
        pd = np.array([self.detection_prob(int(k)) for k in code[has]])
        c = c.copy()
        c[has, BOOST] *= (1.0 - pd) ** missed
        c[has] /= c[has].sum(axis=1, keepdims=True)
        return c

    def note(self, idx: np.ndarray, sensor: str, t: float) -> None:
        """Tracks ``idx`` updated by infrared sensor ``sensor`` at ``t``: count the frames since
        the same sensor's previous detection of each (at most ten: a longer gap is a plume
        picked up again, not missed frames) for its detection probability, and remember it."""
        tracks = self.tracks
        code = self._ir_codes[sensor]
        period = self._ir_period.get(code, 0.0)
        if period > 0.0:
            same = tracks.ir_sensor[idx] == code
            gap = np.round((t - tracks.ir_t[idx][same]) / period)
            gap = gap[(gap >= 1) & (gap <= 10)]
            stats = self._ir_frames.setdefault(code, [0, 0])
            stats[0] += int(gap.size)
            stats[1] += int(gap.sum())
        tracks.ir_t[idx] = t
        tracks.ir_sensor[idx] = code
