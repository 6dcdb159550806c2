"""``_dense_kkt._full_gradient`` (four columns per pass) against NumPy."""

import numpy as np
import pytest

from shrinkage.solvers._dense_kkt import _full_gradient


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("n_features", [1, 3, 4, 7, 33])
def test_full_gradient_matches_numpy(dtype, n_features):
    rng = np.random.default_rng(n_features)
    n_samples = 29
    X = np.asfortranarray(rng.standard_normal((n_samples, n_features)) + 2.0, dtype=dtype)
    h = rng.uniform(0.5, 1.5, n_samples)
    h /= h.sum()
    mu = (h @ X.astype(np.float64))
    r = rng.standard_normal(n_samples)
    known = rng.uniform(size=n_features) < 0.3
    sentinel = 123.0
    gradient = np.full(n_features, sentinel)
    total = _full_gradient(X, h, mu, r, gradient, known)
    expected = (X.astype(np.float64) - mu).T @ (h * r)
    np.testing.assert_allclose(gradient[~known], expected[~known], rtol=1e-12, atol=1e-12)
    assert np.all(gradient[known] == sentinel)  # the caller's values are left alone
    assert total == pytest.approx(np.sum(h * r), abs=1e-14)
    _full_gradient(X, h, mu, r, gradient)
    np.testing.assert_allclose(gradient, expected, rtol=1e-12, atol=1e-12)
