"""The assessment's reach flights (``footprint.reach_impacts``) fly their impacts without
building trajectories (``propagate.propagate_impacts``), each step compiled whole
(``compiled.glide_step``): the same impact events, to the bit, as the trajectories
``propagate`` builds for the same objects step by step."""

from __future__ import annotations

import numpy as np
import pytest

from lookout.assess.footprint import reach_impacts, reach_specs
from lookout.geodesy import ecef_to_geodetic, enu_basis, geodetic_to_ecef
from lookout.physics.propagate import NUMPY_STEP_ENV, propagate, propagate_impacts


def _states(seed: int, n: int) -> np.ndarray:
    """Lifting-body states over Korea: 20-90 km up, 1.5-3.5 km/s, climbing or descending."""
    rng = np.random.default_rng(seed)
    lat = np.radians(rng.uniform(36.0, 41.0, n))
    lon = np.radians(rng.uniform(125.0, 131.0, n))
    alt = rng.uniform(20e3, 90e3, n)
    pos = geodetic_to_ecef(lat, lon, alt)
    speed = rng.uniform(1500.0, 3500.0, n)
    gamma = np.radians(rng.uniform(-25.0, 20.0, n))
    az = rng.uniform(0.0, 2 * np.pi, n)
    enu = np.stack([np.cos(gamma) * np.sin(az), np.cos(gamma) * np.cos(az), np.sin(gamma)], 1)
    vel = speed[:, None] * np.einsum("ni,nij->nj", enu, enu_basis(lat, lon))
    return np.concatenate([pos, vel], axis=1)


@pytest.mark.parametrize("numpy_step", [False, True])
def test_the_reach_flights_impacts_are_the_trajectories_impacts_to_the_bit(numpy_step, monkeypatch):
    if numpy_step:  # the loop's numpy lines (no compiled step), impacts only
        monkeypatch.setenv(NUMPY_STEP_ENV, "1")
    x = _states(7, 12)
    t = np.linspace(100.0, 400.0, len(x))
    alt = ecef_to_geodetic(x[:, :3])[2]
    start = np.arange(len(x)) % 3 != 0  # some glide from now, the others from their apogee
    hold = np.where(start, alt, np.minimum(alt + 10e3, 90e3))
    specs = reach_specs(t, x, hold, start)
    trs = propagate(specs, spawn_debris=False, coarse=True)
    got = propagate_impacts(specs, coarse=True)
    assert len(got) == len(trs) == 4 * len(x)
    landed = dived = 0
    for tr, ev in zip(trs, got, strict=True):
        want = tr.event("impact")
        assert (want is None) == (ev is None), tr.object_id
        dived += tr.event("dive") is not None
        if want is None:
            continue
        landed += 1
        assert ev.t == want.t
        assert np.array_equal(ev.pos, want.pos) and np.array_equal(ev.vel, want.vel)
    assert landed >= 40 and dived >= 10  # the flights land, and glides end in dives
    # reach_impacts reads them as before: latitude, longitude, time of each plan's impact.
    lat, lon, tim = reach_impacts(t, x, hold, start)
    for j, tr in enumerate(trs):
        ev = tr.event("impact")
        la, lo, _ = ecef_to_geodetic(ev.pos)
        assert (lat[j // 4, j % 4], lon[j // 4, j % 4], tim[j // 4, j % 4]) == (la, lo, ev.t)
