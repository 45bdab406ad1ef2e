"""The trackers' small calls made cheaper give the floats they replaced (issue 16, speed-tracker).

``motion.altitude_approx`` of (N, 3) rows runs compiled; ``motion.interp``, ``air_density``,
``air_pressure`` and ``sound_speed`` call numpy's C interpolation without ``np.interp``'s
wrapper. Each is compared bit for bit with the numpy expression it stands for.
"""

from __future__ import annotations

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
