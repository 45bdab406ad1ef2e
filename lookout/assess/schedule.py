"""When a system track is assessed: when it has changed enough to matter, not on a fixed clock.

An assessment flies the sigma points of a track to the ground (``impact.predict_impacts``) and
weighs its overflights: the costly part of the picture after the fusion. A track whose
estimate has not moved since its last assessment has the same prediction, only later along
it. :class:`LookSchedule` picks, at each report instant, the tracks due a new look (an
assessment):

- a **new** track (never assessed);
- a **phase change** since the last look: the boost mode taken or left (``BOOST_THRESHOLD``),
  known to coast or no longer (``COAST_CONFIDENCE``), the apogee passed (radial velocity's sign),
  reentry (descending below ``REENTRY_ALTITUDE_M``): the assessment's phase and what it takes
  from the track's past (burnout, the apogee, the launch point) change there;
- **new information**: detections since the last look (``FusedTrack.last_seen``) that moved the
  estimate by a meaningful amount: the Kullback-Leibler divergence of the track's estimate from
  the last look's flown on to now (kinematically: gravity and the rotating frame, no process
  noise) at least ``CHANGE_NATS``. It is half the squared Mahalanobis distance of the state's
  move when the covariance is the same, and grows as the covariance shrinks below the one flown
  on (a measurement that sharpened the estimate): one number for "the state or the covariance
  moved by a fraction of its sigma". A thrust or drag the flight does not model makes a boosting
  or reentering track due at nearly every instant it is seen, as those phases should be;
- a look the assessor asked for (``Assessment.look_again_t``: an impact area or a predicted
  overflight held at one look is named only when held ``IMPACT_AREA_CONFIRM_S`` later, so that
  look must come);
- the **longest interval** ``MAX_INTERVAL_S`` since the last look, whatever else (the launch
  events' live members, ``events.ACTIVE_S``, and the warnings' looks need a track's
  assessment renewed: its impact time, its area, its class as the flight goes on).

Everything is computed for all tracks of the instant at once (numpy over the tracks).

Not the picture's default (``PICTURE_PARAMS["assess_on"]``): the assessment's cost is its
batches', not its tracks' (a batch integrates its sigma points in lock-step, some 200 steps for
the reentry vehicles' prior, 1,000 for the tumbling stages', whatever the number of rows), so
fewer tracks per batch saves little, and batches every second cost four to five times the 5 s
clock's (mass-raid's first 300 s, ``--speed 0``: 0.25-0.28 against 0.06 CPU-s per
scenario-second for an assessment age p50 of 1.3 s against 2.6 s; the changed tracks looked at
every 2 s, ``BATCH_S``: 0.16, p50 2.0 s; every 5 s: 0.10, p50 3.3 s, worse than the clock, a
steady track then waiting ``MAX_INTERVAL_S``; ``docs/history/benchmarks-log.md``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lookout.assess.assessment import BOOST_THRESHOLD, COAST_CONFIDENCE, Assessment
from lookout.geodesy import GM_EARTH, OMEGA_EARTH, ecef_to_geodetic
from lookout.physics.einsum import einsum
from lookout.physics.trajectory import REENTRY_ALTITUDE_M

#: A track with detections since its last look is due when its estimate's divergence from that
#: look's (flown on) is at least this (nats): a move of two sigmas (Mahalanobis) at the same
#: covariance. A choice: measured on mass-raid's first 300 s, one second after a look a
#: coasting track's divergence is 0.5 nats at the median (a radar track's second of
#: information), a boosting one's 4.6 and a reentering one's 0.9 (its drag carried on,
#: ``_Look.acc``); at 0.5 nats 68 % of the track-instants were looks, at 2, 49 %.
CHANGE_NATS = 2.0
#: The longest a track goes without a look (s), whatever it does: well within the launch
#: events' ``ACTIVE_S`` (30 s), twice the former fixed period (5 s).
MAX_INTERVAL_S = 10.0
#: Instants (s) at which the tracks that changed are looked at (multiples of it); a new track,
#: a phase change and a look the assessor asked for are taken at any report instant.
BATCH_S = 1.0


@dataclass
class _Look:
    t: float
    x: np.ndarray
    P: np.ndarray
    phase: int
    again_t: float | None = None
    #: The acceleration beyond gravity and the frame's (m/s², ECEF) between the look before and
    #: this one, while boosting or reentering (thrust, drag); zero otherwise.
    acc: np.ndarray | None = None


def phase_keys(x: np.ndarray, boost_prob: np.ndarray) -> np.ndarray:
    """A code (N,) of what the assessment's phase depends on: boost mode, known to coast,
    descending, below the reentry altitude while descending (bits 0-3)."""
    bp = np.asarray(boost_prob, dtype=float)
    vr = einsum("ij,ij->i", x[:, :3], x[:, 3:])
    _, _, alt = ecef_to_geodetic(x[:, :3])
    alt = np.atleast_1d(alt)
    down = vr < 0
    return (
        (bp >= BOOST_THRESHOLD).astype(int)
        | (bp <= 1.0 - COAST_CONFIDENCE).astype(int) << 1
        | down.astype(int) << 2
        | (down & (alt < REENTRY_ALTITUDE_M)).astype(int) << 3
    )


def flown(
    x: np.ndarray, P: np.ndarray, dt: np.ndarray, extra: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """States (N, 6) ECEF flown on ``dt`` (N,) s at their constant acceleration (gravity, the
    Coriolis and centrifugal terms; over the ``MAX_INTERVAL_S`` a coasting object's state is off
    by metres, far inside its sigma), and their covariances flown kinematically (F P F'),
    without process noise."""
    r, v = x[:, :3], x[:, 3:]
    w = np.array([0.0, 0.0, OMEGA_EARTH])
    rn = np.linalg.norm(r, axis=1, keepdims=True)
    acc = -GM_EARTH * r / rn**3 - 2.0 * np.cross(w, v) - np.cross(w, np.cross(w, r))
    if extra is not None:
        acc = acc + extra
    d = dt[:, None]
    out = np.concatenate([r + v * d + 0.5 * acc * d**2, v + acc * d], axis=1)
    n = x.shape[0]
    F = np.tile(np.eye(6), (n, 1, 1))
    F[:, 0, 3] = F[:, 1, 4] = F[:, 2, 5] = dt
    return out, F @ P @ np.swapaxes(F, 1, 2)


def divergence(x: np.ndarray, P: np.ndarray, x0: np.ndarray, P0: np.ndarray) -> np.ndarray:
    """KL(N(x, P) || N(x0, P0)) (N,) in nats; inf where it cannot be computed."""
    k = x.shape[1]
    out = np.full(x.shape[0], np.inf)
    try:
        L0 = np.linalg.cholesky(P0)
        L = np.linalg.cholesky(P)
    except np.linalg.LinAlgError:
        ok = np.array([_pd(a) and _pd(b) for a, b in zip(P, P0, strict=True)])
        if ok.any():
            out[ok] = divergence(x[ok], P[ok], x0[ok], P0[ok])
        return out
    A = np.linalg.solve(L0, L)  # L0^-1 L: tr(P0^-1 P) = |A|_F^2
    d = np.linalg.solve(L0, (x - x0)[:, :, None])[:, :, 0]
    logdet = 2.0 * (
        np.log(np.abs(np.diagonal(L0, axis1=1, axis2=2))).sum(1)
        - np.log(np.abs(np.diagonal(L, axis1=1, axis2=2))).sum(1)
    )
    kl = 0.5 * ((A**2).sum((1, 2)) - k + (d**2).sum(1) + logdet)
    return np.where(np.isfinite(kl), kl, np.inf)


def _pd(P: np.ndarray) -> bool:
    try:
        np.linalg.cholesky(P)
        return True
    except np.linalg.LinAlgError:
        return False


class LookSchedule:
    """Which tracks of a report instant are due a look (see the module's doc); remembers each
    track's last look."""

    def __init__(
        self, change_nats: float = CHANGE_NATS, max_interval_s: float = MAX_INTERVAL_S
    ) -> None:
        self.change_nats = change_nats
        self.max_interval_s = max_interval_s
        self.batch_s = BATCH_S
        self._looks: dict[str, _Look] = {}
        self.looks = 0  # tracks assessed so far
        self.offered = 0  # tracks offered so far (one per track and instant)
        #: Looks by reason (a look with several counts under the first of: new, interval,
        #: phase, again, change).
        self.why = dict.fromkeys(("new", "interval", "phase", "again", "change"), 0)

    def due(
        self,
        t: float,
        ids: list[str],
        x: np.ndarray,
        P: np.ndarray,
        boost_prob: np.ndarray,
        last_seen: list[float | None],
    ) -> np.ndarray:
        """Indices of the tracks due a look at ``t``; they are taken as looked at now."""
        n = len(ids)
        self.offered += n
        if n == 0:
            return np.zeros(0, dtype=int)
        x = np.asarray(x, dtype=float).reshape(n, 6)
        P = np.asarray(P, dtype=float).reshape(n, 6, 6)
        phase = phase_keys(x, boost_prob)
        prev = [self._looks.get(k) for k in ids]
        due = np.array([p is None for p in prev])
        self.why["new"] += int(due.sum())
        old = np.flatnonzero(~due)
        if old.size:
            t0 = np.array([prev[i].t for i in old])
            seen = np.array([last_seen[i] if last_seen[i] is not None else -np.inf for i in old])
            again = np.array([prev[i].again_t if prev[i].again_t is not None else np.inf
                              for i in old])  # fmt: skip
            late = t - t0 >= self.max_interval_s - 1e-6
            phased = phase[old] != np.array([prev[i].phase for i in old])
            asked = t >= again - 1e-6
            now = late | phased | asked
            self.why["interval"] += int(late.sum())
            self.why["phase"] += int((phased & ~late).sum())
            self.why["again"] += int((asked & ~late & ~phased).sum())
            k = t / self.batch_s
            if abs(k - round(k)) >= 1e-6:  # between batch instants: only what cannot wait
                self.why["interval"] -= int(late.sum())
                now = (phased | asked) & ~late
                news = np.zeros(0, dtype=int)
            else:
                news = np.flatnonzero(~now & (seen > t0 + 1e-9))
            if news.size:
                rows = old[news]
                x0 = np.array([prev[i].x for i in rows])
                P0 = np.array([prev[i].P for i in rows])
                extra = np.array([prev[i].acc if prev[i].acc is not None else np.zeros(3)
                                  for i in rows])  # fmt: skip
                xf, Pf = flown(x0, P0, t - t0[news], extra)
                moved = divergence(x[rows], 0.5 * (P[rows] + np.swapaxes(P[rows], 1, 2)), xf, Pf)
                now[news] = moved >= self.change_nats
                self.why["change"] += int(now[news].sum())
            due[old] = now
        rows = np.flatnonzero(due)
        # Thrust or drag: the velocity's change since the last look beyond what gravity and
        # the frame made, carried on to the next (a burn's or a reentry's acceleration changes
        # little in a few seconds; when it does, the next look comes sooner).
        acc = np.zeros((rows.size, 3))
        pushed = [j for j, i in enumerate(rows.tolist())
                  if prev[i] is not None and phase[i] & 0b1001 and t > prev[i].t]  # fmt: skip
        if pushed:
            src = rows[pushed]
            dt = np.array([t - prev[i].t for i in src])
            x0 = np.array([prev[i].x for i in src])
            xf, _ = flown(x0, np.zeros((len(src), 6, 6)), dt)
            acc[pushed] = (x[src, 3:] - xf[:, 3:]) / dt[:, None]
        for j, i in enumerate(rows.tolist()):
            self._looks[ids[i]] = _Look(t, x[i].copy(), P[i].copy(), int(phase[i]), acc=acc[j])
        self.looks += rows.size
        return rows

    def assessed(self, fresh: list[Assessment]) -> None:
        """Take the assessor's requests for a next look (``Assessment.look_again_t``)."""
        for a in fresh:
            look = self._looks.get(a.track_id)
            if look is not None and abs(look.t - a.t) < 1e-6:
                look.again_t = a.look_again_t

    def knows(self, track_id: str) -> bool:
        return track_id in self._looks

    def forget(self, keep: set[str]) -> None:
        """Drop the tracks not in ``keep`` (gone from the picture)."""
        for k in [k for k in self._looks if k not in keep]:
            del self._looks[k]
