"""The tracker's ``logsumexp`` against scipy's, to the bit (``lookout.tracking.lse``)."""

import numpy as np
import pytest
from scipy.special import logsumexp as scipy_logsumexp

from lookout.tracking.lse import logsumexp


def _cases():
    rng = np.random.default_rng(16)
    yield rng.normal(scale=30.0, size=(7, 1200))  # a separation grid's log posterior
    yield rng.normal(scale=3.0, size=(40, 3))  # the association's mode costs
    yield -0.5 * rng.gamma(2.0, 50.0, size=(25, 6))
    ties = np.round(rng.normal(size=(12, 9)))  # several elements equal to the row's largest
    ties[3] = 2.0
    yield ties
    special = rng.normal(size=(6, 5))
    special[0] = -np.inf  # nothing
    special[1, 2] = np.inf
    special[2, 1] = np.nan
    special[3] = [1e308, 1e308, -1e308, 0.0, 709.0]
    special[4] = [-800.0, -790.0, -1e5, -np.inf, -745.0]
    yield special
    yield rng.normal(size=(1, 1))
    yield np.zeros((0, 4))
    yield np.zeros((3, 0))


@pytest.mark.parametrize("axis", [1, 0, -1])
def test_logsumexp_is_scipys_to_the_bit(axis):
    for a in _cases():
        with np.errstate(all="ignore"):
            want = scipy_logsumexp(a, axis=axis)
        got = logsumexp(a, axis=axis)
        assert got.shape == want.shape
        assert np.array_equal(got, want, equal_nan=True), (a, got, want)
        # ... and bit for bit (signed zeros, NaN payloads aside)
        fin = np.isfinite(want)
        assert np.array_equal(got[fin].view(np.int64), want[fin].view(np.int64))


def test_logsumexp_of_a_fresh_one_dimensional_array():
    a = np.array([-3.0, 2.5, 2.5, -np.inf, 0.1])
    assert logsumexp(a, axis=0) == scipy_logsumexp(a, axis=0)
