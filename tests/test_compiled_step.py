"""The compiled RK4 step (``lookout.physics.compiled``) flies the numpy step's flights.

Each representative flight is flown both ways (``LOOKOUT_NUMPY_STEP=1`` selects the numpy
step): the same samples, the same events, the same states to a few millimetres after
thousands of kilometres (the two differ only in the rounding of the transcendental functions
and of the sums' order), spent stages included.
"""

from __future__ import annotations

import numpy as np
import pytest

from lookout.flight import Launch, fly
from lookout.flight.launch import Turn
from lookout.physics.vehicles import vehicle


def _flights() -> dict[str, Launch]:
    r = np.radians
    return {
        "srbm": Launch("srbm", vehicle("srbm-solid"), r(38.0), r(127.0), r(90.0), r(20.0)),
        "icbm-stages": Launch(
            "icbm", vehicle("icbm-solid-3stage"), r(39.0), r(125.7), r(70.0), r(6.0),
            cutoff_s=150.0,
        ),
        "hgv-turning": Launch(
            "hgv", vehicle("hgv-solid"), r(39.0), r(125.75), r(90.0), r(56.5), cutoff_s=83.0,
            glide_alt_m=35e3, turns=(Turn(400.0, 470.0, r(30.0)),),
        ),
        # The guidance ``plan(39.66, 124.7, Aim(azimuth_deg=180, orbit_km=500))`` solves.
        "orbit": Launch(
            "slv", vehicle("slv-3stage"), r(39.66), r(124.7), np.pi, 0.23909941546254176,
            cutoff_s=408.1863266957136, orbit=True, hold_pitch=1.1053183270287736,
            max_flight_s=3600.0,
        ),
        "slbm-submerged": Launch(
            "slbm", vehicle("slbm-lifting"), r(40.0), r(128.35), r(90.0), r(64.0),
            glide_alt_m=40e3, depth_m=30.0,
        ),
    }  # fmt: skip


def _fly_both(monkeypatch, launch: Launch):
    monkeypatch.setenv("LOOKOUT_NUMPY_STEP", "1")
    slow = fly([launch])
    monkeypatch.setenv("LOOKOUT_NUMPY_STEP", "0")
    fast = fly([launch])
    return slow, fast


@pytest.mark.parametrize("name", list(_flights()))
def test_the_compiled_step_flies_the_numpy_steps_flight(monkeypatch, name):
    slow, fast = _fly_both(monkeypatch, _flights()[name])
    assert [tr.object_id for tr in slow] == [tr.object_id for tr in fast]
    if name == "icbm-stages":
        assert len(slow) == 4  # the reentry vehicle and its three spent stages
    for a, b in zip(slow, fast, strict=True):
        assert a.t.size == b.t.size > 10, a.object_id
        # Measured: within 2e-7 m (a submerged start's glide, 1.3e-6 m a turning glider's),
        # 1e-8 m/s and 1e-9 s, some 1e-12 of the distance flown.
        assert np.abs(a.t - b.t).max() < 1e-7
        assert np.linalg.norm(a.pos - b.pos, axis=1).max() < 1e-3, a.object_id  # m
        assert np.linalg.norm(a.vel - b.vel, axis=1).max() < 1e-6, a.object_id  # m/s
        assert [e.name for e in a.events] == [e.name for e in b.events]
        for ea, eb in zip(a.events, b.events, strict=True):
            assert abs(ea.t - eb.t) < 1e-7, (a.object_id, ea.name)
            assert np.linalg.norm(ea.pos - eb.pos) < 1e-3, (a.object_id, ea.name)
        if a.lift is not None:
            assert np.abs(a.lift - b.lift).max() < 1e-6
    main = slow[0]
    if name == "orbit":
        assert main.event("orbit_insertion") is not None and main.event("impact") is None
    else:
        assert main.event("impact") is not None
    if name in ("hgv-turning", "slbm-submerged"):
        assert main.event("glide") is not None


def test_the_numpy_step_is_what_the_environment_selects(monkeypatch):
    from lookout.physics import propagate

    monkeypatch.setenv("LOOKOUT_NUMPY_STEP", "1")
    assert not propagate.use_compiled_step()
    for value in ("0", ""):
        monkeypatch.setenv("LOOKOUT_NUMPY_STEP", value)
        assert propagate.use_compiled_step()


def _arcs(rng, n: int):
    """Steps (N,) of coasting bodies 100-1,000 km up, 1-30 s long, flown under a constant
    3 g pull to the centre: some over an apogee (radial rate from >= 0 to < 0)."""
    p0 = rng.normal(size=(n, 3))
    up = p0 / np.linalg.norm(p0, axis=1, keepdims=True)
    p0 = up * (6.4e6 + rng.uniform(1e5, 1e6, (n, 1)))
    side = np.cross(up, rng.normal(size=(n, 3)))
    side /= np.linalg.norm(side, axis=1, keepdims=True)
    v0 = up * rng.uniform(50.0, 300.0, (n, 1)) + side * rng.uniform(1e3, 5e3, (n, 1))
    h = rng.uniform(1.0, 30.0, n)
    g = -29.4 * up
    v1 = v0 + g * h[:, None]
    p1 = p0 + v0 * h[:, None] + 0.5 * g * h[:, None] ** 2
    return p0, v0, p1, v1, h


@pytest.mark.parametrize("kind", ["radial rate", "speed excess"])
def test_the_compiled_sign_change_finds_the_numpy_paths_root(kind):
    """``propagate._hermite_root`` compiled (the apogees, peaks and dives inside a step) against
    its numpy path, ``_sign_change`` over ``trajectory.hermite``: the same fraction of the step
    (measured: the same floats, numpy's ``einsum`` summed as it sums), and a root of the arc."""
    from lookout.physics import compiled, propagate
    from lookout.physics.trajectory import hermite

    p0, v0, p1, v1, h = _arcs(np.random.default_rng(54), 400)
    if kind == "radial rate":
        code, dive = propagate.RADIAL_RATE, None
        f0, f1 = np.sum(p0 * v0, axis=1), np.sum(p1 * v1, axis=1)
    else:
        s0, s1 = np.linalg.norm(v0, axis=1), np.linalg.norm(v1, axis=1)
        code, dive = propagate.SPEED_EXCESS, 0.5 * (s0 + s1)
        f0, f1 = s0 - dive, s1 - dive
    ok = (f0 >= 0) & (f1 < 0)
    assert ok.sum() > 50
    args = (p0[ok], v0[ok], p1[ok], v1[ok], h[ok], f0[ok], f1[ok])
    d = None if dive is None else dive[ok]
    slow = propagate._hermite_root(None, code, *args, d)
    fast = propagate._hermite_root(compiled, code, *args, d)
    assert np.abs(fast - slow).max() <= 1e-12
    assert ((fast > 0) & (fast < 1)).all()
    p, v = hermite(p0[ok], v0[ok], p1[ok], v1[ok], h[ok], fast)
    if d is None:
        resid = np.sum(p * v, axis=1) / np.linalg.norm(p, axis=1)  # m/s of radial speed
        assert np.abs(resid).max() < 1e-6
    else:
        assert np.abs(np.linalg.norm(v, axis=1) - d).max() < 1e-6  # m/s
