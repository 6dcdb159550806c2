"""Small inputs skip loading a kernel (NumPy does the same arithmetic): the NumPy paths of
``mirror_upper_triangle``, the packed Gram columns and ``all_within`` give the kernels'
bits and answers."""

import numpy as np
import pytest

from shrinkage.solvers import _covariance, _designs, _scan


@pytest.mark.parametrize("p", [1, 2, 7, 50, 128])
def test_mirror_small_equals_kernel(p):
    a = np.asfortranarray(np.random.default_rng(p).standard_normal((p, p)))
    upper = np.triu(a)
    b = a.copy(order="F")
    _designs.mirror_upper_triangle(a)
    _designs._mirror_upper_triangle(b)
    assert a.size <= _designs._MIRROR_NUMPY_MAX_SIZE
    assert a.tobytes() == b.tobytes()
    np.testing.assert_array_equal(a, upper + np.triu(upper, 1).T)  # from scratch


@pytest.mark.parametrize("x_dtype", [np.float64, np.float32])
@pytest.mark.parametrize("gram_dtype", [np.float64, np.float32])
def test_packed_columns_small_equal_kernel(x_dtype, gram_dtype):
    rng = np.random.default_rng(3)
    X = np.ascontiguousarray(rng.standard_normal((200, 50)) * 3 + 1, dtype=x_dtype)
    features = np.array([3, 0, 7, 49])
    h = rng.random(200)
    design = _covariance.CovarianceDesign.__new__(_covariance.CovarianceDesign)
    design.X, design.mu, design._sqrt_h = X, X.mean(axis=0).astype(np.float64), np.sqrt(h)
    design.gram_dtype = gram_dtype
    packed = design._packed(features)
    expected = np.empty_like(packed)
    _covariance._packed_rows(X, features, design.mu[features], design._sqrt_h, expected)
    assert packed.size <= _covariance._PACK_NUMPY_MAX_SIZE
    assert packed.dtype == gram_dtype and packed.tobytes() == expected.tobytes()
    reference = (X[:, features].astype(np.float64) - design.mu[features]) * np.sqrt(h)[:, None]
    np.testing.assert_allclose(packed, reference, rtol=1e-6 if gram_dtype == np.float32 else 0)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("bad", [None, np.nan, np.inf, -np.inf, 2.5, -2.5])
def test_all_within_small_equals_kernel(dtype, bad):
    X = np.random.default_rng(5).uniform(-2, 2, (30, 7)).astype(dtype)
    if bad is not None:
        X[4, 3] = bad
    expected = bool(np.isfinite(X).all() and np.abs(X).max() <= 2.0)
    assert _scan.all_within(X, 2.0) == expected
    assert bool(_scan._all_within(X.ravel(), 2.0)) == expected
    assert _scan.all_within(X.astype(np.float32), 1e100) == (bad is None or np.isfinite(bad))
