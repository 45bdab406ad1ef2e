"""The trackers' small calls made cheaper give the floats they replaced (issue 16, speed-tracker,
perf52).

``motion.altitude_approx`` of (N, 3) rows runs compiled; ``motion.interp``, ``air_density``,
``air_pressure`` and ``sound_speed`` call numpy's C interpolation without ``np.interp``'s
wrapper; ``measure.radar_to_ecef``, ``geodesy.enu_basis`` and ``manoeuvre._shape`` build in
place what ``np.stack`` and ``np.broadcast_to`` built; ``manoeuvre.reseed`` runs compiled
(perfupd57) with numpy's air density. Each is compared bit for bit with the numpy expression it
stands for.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from lookout.physics import atmosphere
from lookout.physics.einsum import einsum
from lookout.tracking import motion


def _numpy_altitude(pos: np.ndarray) -> np.ndarray:
    """``altitude_approx``'s numpy expression."""
    r = np.sqrt(einsum("...i,...i->...", pos, pos))
    s2 = pos[..., 2] ** 2 / np.maximum(r * r, 1.0)
    a, b = motion.R_EQUATOR, motion._B_MICROMETRE_M
    return r - a * b / np.sqrt(b**2 * (1.0 - s2) + a**2 * s2)


def _bits(a) -> np.ndarray:
    return np.asarray(a, dtype=np.float64).view(np.int64)


@pytest.mark.parametrize("n", [0, 1, 2, 3, 5, 16, 200])
def test_the_compiled_altitude_is_numpys_to_the_bit(n):
    rng = np.random.default_rng(n)
    for scale in (1.0, 1e3, 6.4e6, 6.6e6, 4.2e7):
        full = rng.normal(size=(n, 10)) * scale
        for pos in (full[:, 0:3], np.ascontiguousarray(full[:, 3:6]), full[:, 3:6].T.copy().T):
            got = motion.altitude_approx(pos)
            assert got.shape == (n,)
            assert np.array_equal(_bits(got), _bits(_numpy_altitude(pos)))


def test_the_compiled_altitude_is_off_with_the_numpy_step(monkeypatch):
    calls = []
    monkeypatch.setenv("LOOKOUT_NUMPY_STEP", "1")
    from lookout.tracking import compiled

    monkeypatch.setattr(compiled, "altitudes", lambda pos: calls.append(pos))
    pos = np.array([[6.4e6, 1.0, 2.0]])
    assert np.array_equal(motion.altitude_approx(pos), _numpy_altitude(pos))
    assert not calls


def test_odd_layouts_and_bad_values_keep_numpys_altitude():
    pos = np.array([[0.0, 0.0, 0.0], [np.nan, 1.0, 2.0], [np.inf, 0.0, 0.0], [0.0, 0.0, 6.3e6]])
    with np.errstate(invalid="ignore"):
        assert np.array_equal(motion.altitude_approx(pos), _numpy_altitude(pos), equal_nan=True)
        many = np.random.default_rng(1).normal(size=(4, 5, 3)) * 6.4e6
        assert np.array_equal(motion.altitude_approx(many), _numpy_altitude(many))
        one = np.array([6.4e6, 2.0e5, 3.0e5])
        assert np.array_equal(motion.altitude_approx(one), _numpy_altitude(one))


def test_the_atmosphere_through_the_c_interp_is_the_atmosphere():
    alt = np.concatenate([np.linspace(-2e3, 1.2e6, 5001), [np.nan, np.inf, -np.inf]])
    rng = np.random.default_rng(2)
    alt = np.concatenate([alt, rng.uniform(-1e3, 3e5, 2000)])
    for mine, theirs in (
        (motion.air_density, atmosphere.density),
        (motion.air_pressure, atmosphere.pressure),
        (motion.sound_speed, atmosphere.speed_of_sound),
    ):
        assert np.array_equal(mine(alt), theirs(alt), equal_nan=True)
        assert mine(12_345.0) == theirs(12_345.0)
    xp, fp = np.array([0.0, 1.0, 5.0]), np.array([2.0, -1.0, 7.0])
    x = rng.uniform(-2.0, 8.0, 300)
    assert np.array_equal(motion.interp(x, xp, fp), np.interp(x, xp, fp))


def test_the_manoeuvre_modes_cross_product_is_numpys():
    from lookout.tracking.manoeuvre import _cross

    rng = np.random.default_rng(4)
    for n in (0, 1, 2, 7, 60):
        full = rng.normal(size=(n, 10)) * rng.choice([1e-3, 1.0, 7e3])
        for a, b in ((full[:, 3:6], full[:, 0:3]), (full[:, 6:9].copy(), full[:, 3:6])):
            assert np.array_equal(_bits(_cross(a, b)), _bits(np.cross(a, b)))


def _stacked_radar_to_ecef(z, R, s, B):
    """``measure.radar_to_ecef`` as it was written with ``np.stack`` (perf52 fills in place)."""
    rng, az, el = z[:, 0], z[:, 1], z[:, 2]
    ce, se, ca, sa = np.cos(el), np.sin(el), np.cos(az), np.sin(az)
    enu = rng[:, None] * np.stack([ce * sa, ce * ca, se], axis=-1)
    J = np.empty((z.shape[0], 3, 3))
    J[:, :, 0] = np.stack([ce * sa, ce * ca, se], axis=-1)
    J[:, :, 1] = rng[:, None] * np.stack([ce * ca, -ce * sa, np.zeros_like(ce)], axis=-1)
    J[:, :, 2] = rng[:, None] * np.stack([-se * sa, -se * ca, ce], axis=-1)
    Je = B.T @ J
    return s + enu @ B, Je @ R[:, :3, :3] @ Je.transpose(0, 2, 1)


@pytest.mark.parametrize("n", [0, 1, 4, 37])
def test_the_radar_conversion_built_in_place_is_the_stacked_one_to_the_bit(n):
    from lookout.geodesy import enu_basis
    from lookout.tracking import measure

    rng = np.random.default_rng(52 + n)
    z = np.column_stack(
        [rng.uniform(1e3, 4e6, n), rng.uniform(0, 2 * np.pi, n), rng.uniform(-0.1, 1.5, n)]
    )
    if n > 2:
        z[1, 0], z[2, 2] = np.inf, np.nan  # bad values go through the same products
    A = rng.normal(size=(n, 4, 4)) * 50.0
    R = A @ A.transpose(0, 2, 1)
    s = np.array([-3.1e6, 4.1e6, 3.7e6])
    B = enu_basis(0.62, 2.2)
    with np.errstate(invalid="ignore"):
        got, want = measure.radar_to_ecef(z, R, s, B), _stacked_radar_to_ecef(z, R, s, B)
    for g, w in zip(got, want, strict=True):
        assert g.shape == w.shape
        assert np.array_equal(_bits(g), _bits(w))


def test_the_enu_basis_built_in_place_is_the_stacked_one_to_the_bit():
    from lookout.geodesy import enu_basis

    rng = np.random.default_rng(5)
    for lat, lon in (
        (0.3, -2.0),
        (rng.uniform(-1.6, 1.6, 7), rng.uniform(-4, 4, 7)),
        (rng.uniform(-1.6, 1.6, (2, 3)), rng.uniform(-4, 4, (2, 3))),
        (np.array([0.0, -0.0, np.nan]), np.array([np.pi, 0.0, 1.0])),
    ):
        sl, cl = np.sin(np.asarray(lat, float)), np.cos(np.asarray(lat, float))
        so, co = np.sin(np.asarray(lon, float)), np.cos(np.asarray(lon, float))
        zero = np.zeros_like(sl)
        want = np.stack(
            [
                np.stack([-so, co, zero], axis=-1),
                np.stack([-sl * co, -sl * so, cl], axis=-1),
                np.stack([cl * co, cl * so, sl], axis=-1),
            ],
            axis=-2,
        )
        got = enu_basis(lat, lon)
        assert got.shape == want.shape
        assert np.array_equal(_bits(got), _bits(want))


def test_the_aerodynamic_shape_without_broadcast_to_is_the_same():
    from lookout.tracking import manoeuvre

    rng = np.random.default_rng(9)
    vel = rng.normal(size=(6, 3)) * 2e3
    vel[0] = 0.0  # the floor on the speed
    for along in (0.25, np.float64(0.5), rng.uniform(0, 1, 6)):
        a = np.broadcast_to(np.asarray(along, dtype=float), (6,))
        speed2 = np.maximum(einsum("ij,ij->i", vel, vel), 1e-6)
        outer = vel[:, :, None] * vel[:, None, :] / speed2[:, None, None]
        want = manoeuvre._EYE3 - (1.0 - a * a)[:, None, None] * outer
        assert np.array_equal(_bits(manoeuvre._shape(vel, along)), _bits(want))


def _coast_modes(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Mode estimates (n, 3, 10), (n, 3, 10, 10) whose coast modes span the lift ceiling's
    cases: below the ground, in the air at every Mach, above it; at rest; a drag coefficient
    of either sign and a negative variance (its floor)."""
    rng = np.random.default_rng(seed)
    xm, Pm = np.zeros((n, 3, 10)), np.zeros((n, 3, 10, 10))
    u = rng.normal(size=(n, 3))
    u /= np.linalg.norm(u, axis=1, keepdims=True)
    xm[:, 1, 0:3] = u * (6.371e6 + rng.uniform(-5e3, 2e5, n))[:, None]
    xm[:, 1, 3:6] = rng.normal(size=(n, 3)) * rng.choice([1.0, 300.0, 3e3, 7e3], size=(n, 1))
    xm[:, 1, 6:10] = rng.normal(size=(n, 4)) * [30.0, 30.0, 30.0, 0.5]
    A = rng.normal(size=(n, 10, 10))
    Pm[:, 1] = A @ A.transpose(0, 2, 1)
    if n:
        xm[0, 1, 3:6] = 0.0  # the speed's floor
        Pm[-1, 1, 9, 9] = -1.0  # the drag variance's floor
    return xm, Pm


@pytest.mark.parametrize("n", [0, 1, 7, 500])
def test_the_compiled_manoeuvre_reseed_is_numpys_to_the_bit(n, monkeypatch):
    from lookout.tracking import manoeuvre
    from lookout.tracking.config import TrackerConfig

    xm, Pm = _coast_modes(n, n)
    pick = np.arange(n) % 2 == 0
    base = TrackerConfig().manoeuvre
    for cfg in (base, dataclasses.replace(base, lift_to_drag=0.7, max_lift_mps2=45.0)):
        # As the trackers pass them: a mode of the stacked estimates (rows 80 bytes apart),
        # rows picked by a mask (copies), contiguous copies.
        layouts = ((xm[:, 1], Pm[:, 1]), (xm[pick, 1], Pm[pick, 1]))
        for xc, Pc in (*layouts, (xm[:, 1].copy(), Pm[:, 1].copy())):
            monkeypatch.setenv("LOOKOUT_NUMPY_STEP", "1")
            want = manoeuvre.reseed(xc, Pc, cfg)
            monkeypatch.setenv("LOOKOUT_NUMPY_STEP", "0")
            got = manoeuvre.reseed(xc, Pc, cfg)
            for g, w in zip(got, want, strict=True):
                assert g.shape == w.shape
                assert np.array_equal(_bits(g), _bits(w))
    if n:  # what it is: a fresh lift prior, the rest of the coast mode untouched
        x, P = got
        assert np.all(x[:, 6:9] == 0.0) and np.array_equal(x[:, 9], xm[:, 1, 9])
        assert np.all(P[:, 6:9, :6] == 0.0) and np.all(P[:, 6:9, 9] == 0.0)
        assert np.all(np.linalg.eigvalsh(P[:, 6:9, 6:9]) > 0.0)


def test_the_compiled_manoeuvre_reseed_is_off_with_the_numpy_step(monkeypatch):
    from lookout.tracking import compiled_imm, manoeuvre
    from lookout.tracking.config import TrackerConfig

    calls = []
    monkeypatch.setenv("LOOKOUT_NUMPY_STEP", "1")
    monkeypatch.setattr(compiled_imm, "reseed", lambda *a: calls.append(a))
    xm, Pm = _coast_modes(3, 1)
    manoeuvre.reseed(xm[:, 1], Pm[:, 1], TrackerConfig().manoeuvre)
    assert not calls
