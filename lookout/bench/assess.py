"""Cost of the assessment: one impact prediction with its ellipse, and a batch of 40 tracks.

Each track is a noisy post-burnout state of an IRBM (a ~13-minute flight) with a radar-grade
covariance (300 m, 15 m/s); a prediction flies 15 sigma points to the ground. Reported: seconds
for one track's prediction, for the 40-track batch (one propagation call), per track in the
batch, and for a full :class:`lookout.assess.Assessor` update of the 40 tracks (launch points,
orbits, territories as well).
"""

from __future__ import annotations

import numpy as np

from lookout.assess import Assessor, predict_impacts
from lookout.bench import best_of
from lookout.flight import Launch, fly
from lookout.physics.vehicles import vehicle


def _irbm() -> Launch:
    # Pyongyang area over northern Japan into the Pacific, about 2100 km.
    return Launch(
        "irbm", vehicle("irbm-liquid"), np.radians(39.0), np.radians(125.7),
        1.3210742477887496, 0.473064211682751, cutoff_s=104.90528739209225,
    )  # fmt: skip


def run(repeat: int = 3, batch: int = 40, seed: int = 0) -> dict:
    tr = fly([_irbm()], debris=False)[0]
    t_bo = tr.event("payload_separation").t
    rng = np.random.default_rng(seed)
    P = np.diag([300.0**2] * 3 + [15.0**2] * 3)
    times = t_bo + 10.0 + 15.0 * np.arange(batch)
    x = tr.flown_state_at(times) + rng.multivariate_normal(np.zeros(6), P, size=batch)
    Ps = np.broadcast_to(P, (batch, 6, 6))
    one = best_of(lambda: predict_impacts(times[:1], x[:1], Ps[:1]), repeat)
    many = best_of(lambda: predict_impacts(times, x, Ps), repeat)
    ids = [f"T{i}" for i in range(batch)]
    full = best_of(lambda: Assessor().update(times, ids, x, Ps, np.zeros(batch)), repeat)
    return {
        "sigma_points_per_track": 15,
        "one_prediction_s": one,
        "batch_tracks": batch,
        "batch_s": many,
        "batch_per_track_s": many / batch,
        "batch_speedup": one * batch / many,
        "assessor_update_batch_s": full,
    }
