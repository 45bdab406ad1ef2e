"""What a sensor's false alarms look like, learned from its scans (``SensorClutter``): the
clutter density that scores a detection against being a false alarm, and the coverage a radar's
detections have spanned, against which a track's misses are judged when the radar's field of view
is not declared (``existence.RadarLooks``)."""

from __future__ import annotations

import math

import numpy as np

TWO_PI = 2.0 * math.pi
#: A radar's scans seen before its coverage is learned well enough to judge tracks by it.
COVERAGE_MIN_SCANS = 20
#: A radar whose detections leave no run of empty 5° azimuth bins wider than this (30°) looks
#: all round: with one false alarm a scan, bins are still empty by chance after a few hundred
#: scans, a sector's blind side is one wide run.
COVERAGE_AZ_GAP_BINS = 6


def sector_bins(bins: np.ndarray) -> np.ndarray:
    """The azimuth bins inside a radar's sector, from the bins its detections occupied
    (``SensorClutter.covers``)."""
    n = bins.size
    if not bins.any():
        return bins
    # Runs of empty bins, around the circle: start from an occupied bin.
    start = int(np.flatnonzero(bins)[0])
    ring = np.roll(bins, -start)
    best, best_at, run = 0, 0, 0
    for i in range(n):
        run = 0 if ring[i] else run + 1
        if run > best:
            best, best_at = run, i - run + 1
    out = np.ones(n, dtype=bool)
    if best <= COVERAGE_AZ_GAP_BINS:
        return out
    gap = (np.arange(best_at - 1, best_at + best + 1) + start) % n  # with one bin each side
    out[gap] = False
    return out


class SensorClutter:
    """What a sensor's false alarms look like, learned from its scans: the measurement volume
    its detections span (azimuth by occupied 5° bins, so a sector across north is not taken for
    a full circle) and the detections per scan left unassociated. Until seen well, the volume is
    small and the density high: conservative, it only delays confirmation."""

    AZ_BINS = 72

    def __init__(self, kind: str, m: int) -> None:
        self.az = 1 if kind == "radar" else 0
        self.lo = np.full(m, np.inf)
        self.hi = np.full(m, -np.inf)
        self.bins = np.zeros(self.AZ_BINS, dtype=bool)
        # ``sector_bins`` of ``bins``, and how many bins were occupied when it was found (bins
        # are only ever added: the count tells when to find it again).
        self._sector: tuple[int, np.ndarray] | None = None
        self.scans = 0
        self.free = 0
        # Smallest spans credited (m, rad, rad, m/s; IR rad, rad): a sensor's field of view is
        # no smaller, and a few early detections must not make the density enormous.
        self.floor = (
            np.array([100e3, 0.2, 0.1, 1000.0])[:m] if kind == "radar" else np.array([0.02, 0.02])
        )
        self.floor[self.az] = 0.0
        self.az_floor = 0.2 if kind == "radar" else 0.02
        self.log_density = 0.0

    def covers(self, enu: np.ndarray, margin_m: np.ndarray) -> np.ndarray:
        """Whether points at ``enu`` (3, k) m in the radar's ENU frame lie inside the
        measurement volume its detections have spanned so far (range, elevation, and the
        azimuth sector: the circle less its widest run of empty 5° bins, and less one bin at
        each edge, a bin at the edge of the sector being only partly inside it; all round if
        no run of empty bins is wider than ``COVERAGE_AZ_GAP_BINS``), by ``margin_m`` (k,) m.
        The detections (false alarms fill the field of view uniformly) span it from inside:
        until seen well, the coverage is taken smaller than it is, and a track near its edge
        is not judged by the radar."""
        if self.scans < COVERAGE_MIN_SCANS or self.az != 1:
            return np.zeros(enu.shape[1], dtype=bool)
        e, nn, u = enu
        horiz = np.hypot(e, nn)
        rng = np.hypot(horiz, u)
        el = np.arctan2(u, horiz)
        ang = margin_m / np.maximum(rng, 1.0)
        ok = (rng - margin_m >= self.lo[0]) & (rng + margin_m <= self.hi[0])
        ok &= (el - ang >= self.lo[2]) & (el + ang <= self.hi[2])
        occupied = int(self.bins.sum())
        if self._sector is None or self._sector[0] != occupied:
            self._sector = (occupied, sector_bins(self.bins))
        inner = self._sector[1]
        az = np.arctan2(e, nn)
        for a in (az - ang, az, az + ang):
            b = ((a % TWO_PI) / TWO_PI * self.AZ_BINS).astype(np.int64)
            ok &= inner[np.minimum(np.maximum(b, 0), self.AZ_BINS - 1)]
        return ok

    def learn(self, z: np.ndarray, n_free: int) -> None:
        self.scans += 1
        self.free += n_free
        np.minimum(self.lo, z.min(axis=0), out=self.lo)
        np.maximum(self.hi, z.max(axis=0), out=self.hi)
        b = ((z[:, self.az] % TWO_PI) / TWO_PI * self.AZ_BINS).astype(np.int64)
        # ``np.clip`` of integers, without its checks of the bounds (some 15 µs a call).
        self.bins[np.minimum(np.maximum(b, 0), self.AZ_BINS - 1)] = True
        span = np.maximum(self.hi - self.lo, self.floor)
        span[self.az] = max(self.bins.sum() * TWO_PI / self.AZ_BINS, self.az_floor)
        rate = max(self.free / self.scans, 0.1)
        self.log_density = math.log(rate) - float(np.log(span).sum())
