"""The geodetic conversion's direct PROJ call (``geodesy._PROJ_CALL``) gives pyproj's
``Transformer.transform`` figures to the bit, whatever the layout of its input."""

import numpy as np

from lookout import geodesy
from lookout.geodesy import R_EQUATOR, ecef_to_geodetic, geodetic_altitude


def _points(n=2000, seed=16):
    rng = np.random.default_rng(seed)
    d = rng.normal(size=(n, 3))
    d /= np.linalg.norm(d, axis=1, keepdims=True)
    # under the ground to beyond geostationary orbit, and the poles' neighbourhood
    r = R_EQUATOR + rng.choice([-3e4, 1.0, 2e5, 4e7], size=n) * rng.uniform(0, 1, n)
    pos = d * r[:, None]
    pos[:4, :2] = [[0.0, 0.0], [1e-3, 0.0], [0.0, -2e-6], [0.0, 0.0]]
    return pos


def _reference(pos):
    lat, lon, alt = geodesy._TO_GEODETIC.transform(pos[..., 0], pos[..., 1], pos[..., 2])
    return np.radians(lat), np.radians(lon), np.asarray(alt, dtype=float)


def _same(got, want):
    pairs = zip(got, want, strict=True)
    return all(np.array_equal(a, b) and np.shape(a) == np.shape(b) for a, b in pairs)


def test_the_direct_call_is_taken_and_gives_transforms_figures():
    assert geodesy._PROJ_CALL is not None  # this pyproj has it: the lean path is the one tested
    pos = _points()
    want = _reference(pos)
    assert _same(ecef_to_geodetic(pos), want)
    assert np.array_equal(geodetic_altitude(pos), want[2])
    # Fortran order, a strided view, a single row, one point, no point
    assert _same(ecef_to_geodetic(np.asfortranarray(pos)), want)
    assert _same(ecef_to_geodetic(pos[::3]), _reference(pos[::3]))
    assert _same(ecef_to_geodetic(pos[5:6]), _reference(pos[5:6]))
    assert _same(ecef_to_geodetic(pos[5]), _reference(pos[5]))
    assert _same(ecef_to_geodetic(pos[:0]), _reference(pos[:0]))
    # (k, m, 3): transform's own path
    assert _same(ecef_to_geodetic(pos[:12].reshape(3, 4, 3)), _reference(pos[:12].reshape(3, 4, 3)))


def test_the_input_is_left_as_it_was():
    pos = _points(50)
    before = pos.copy()
    ecef_to_geodetic(pos)
    geodetic_altitude(pos[:, :])
    assert np.array_equal(pos, before)
