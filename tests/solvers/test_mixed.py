"""float32 designs times float64 vectors (:mod:`shrinkage.solvers._mixed`) against the
float64 products of the same values, and float32 single fits against scikit-learn's
float64 fits and the KKT conditions."""

import numpy as np
import pytest
from sklearn.linear_model import Lasso as SkLasso

from shrinkage import Lasso
from shrinkage.solvers._mixed import x_dot_subset, xt_dot


@pytest.mark.parametrize("shape", [(7, 3), (50, 9), (33, 17), (200, 64)])
def test_products_match_float64_in_either_layout(shape):
    rng = np.random.default_rng(0)
    X = (rng.standard_normal(shape) * 3.0 + 1.0).astype(np.float32)
    w = rng.standard_normal(shape[0])
    features = np.sort(rng.choice(shape[1], max(shape[1] // 2, 1), replace=False))
    coef = rng.standard_normal(features.size)
    X64 = X.astype(np.float64)
    expected_t = X64.T @ w
    expected = X64[:, features] @ coef
    for layout in (np.ascontiguousarray(X), np.asfortranarray(X)):
        got_t = xt_dot(layout, w)
        got = x_dot_subset(layout, features, coef)
        assert got_t.dtype == np.float64 and got.dtype == np.float64
        # float64 sums of exact float32 values: rounding of float64, not of float32
        np.testing.assert_allclose(got_t, expected_t, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)
    # (x_dot_subset sums in the same order for either layout: the same bits)
    assert np.array_equal(
        x_dot_subset(np.ascontiguousarray(X), features, coef),
        x_dot_subset(np.asfortranarray(X), features, coef),
    )


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(1, 1), (9, 4), (200, 64), (31, 500)])
def test_subset_product_of_fortran_design_matches_numpy(dtype, shape):
    # Fortran order, either dtype: the compiled column pass, against NumPy's float64
    # product of the same values (a sorted, an unsorted and an empty subset).
    rng = np.random.default_rng(shape[1])
    X = np.asfortranarray((rng.standard_normal(shape) * 2.0 - 0.5).astype(dtype))
    X64 = X.astype(np.float64)
    k = max(shape[1] // 3, 1)
    subsets = [np.sort(rng.choice(shape[1], k, replace=False)), rng.permutation(shape[1])[:k]]
    for features in [*subsets, np.empty(0, dtype=np.int64)]:
        coef = rng.standard_normal(features.size)
        got = x_dot_subset(X, features, coef)
        assert got.dtype == np.float64 and got.shape == (shape[0],)
        np.testing.assert_allclose(got, X64[:, features] @ coef, rtol=1e-12, atol=1e-12)
    # the C-ordered copy gives the same bits (float32: the row pass, same order of
    # sums) or agrees to rounding (float64: NumPy's BLAS product)
    features, coef = subsets[0], rng.standard_normal(k)
    fortran = x_dot_subset(X, features, coef)
    c_order = x_dot_subset(np.ascontiguousarray(X), features, coef)
    if dtype == np.float32:
        assert np.array_equal(fortran, c_order)
    else:
        np.testing.assert_allclose(fortran, c_order, rtol=1e-12, atol=1e-12)


def test_float64_and_strided_inputs_keep_numpy():
    rng = np.random.default_rng(1)
    X = rng.standard_normal((40, 10))
    w = rng.standard_normal(40)
    np.testing.assert_array_equal(xt_dot(X, w), X.T @ w)
    strided = X.astype(np.float32)[::2, ::2]
    np.testing.assert_allclose(
        xt_dot(strided, w[:20]), strided.astype(np.float64).T @ w[:20], rtol=1e-12
    )


def _ar1(n, p, rho, seed):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p))
    for j in range(1, p):
        X[:, j] = rho * X[:, j - 1] + np.sqrt(1 - rho**2) * X[:, j]
    coef = np.zeros(p)
    coef[rng.choice(p, max(p // 10, 2), replace=False)] = rng.standard_normal(max(p // 10, 2))
    return X, X @ coef + 0.5 * rng.standard_normal(n)


@pytest.mark.parametrize("shape", [(300, 60), (120, 120), (80, 200)])
@pytest.mark.parametrize("order", ["C", "F"])
def test_float32_single_fit_matches_sklearn_and_kkt(shape, order):
    # Both routes (tall: the working-set Gram design; n ≈ p or wide: the residual)
    X64, y = _ar1(*shape, rho=0.6, seed=shape[0])
    X = np.asarray(X64.astype(np.float32), order=order)
    Xv = X.astype(np.float64)  # the values the fit sees
    alpha = np.max(np.abs((Xv - Xv.mean(0)).T @ (y - y.mean()))) / shape[0] / 20
    ours = Lasso(alpha=alpha, tol=1e-10, max_iter=100_000).fit(X, y)
    ref = SkLasso(alpha=alpha, tol=1e-12, max_iter=100_000).fit(Xv, y)
    np.testing.assert_allclose(ours.coef_, ref.coef_, atol=1e-6)
    np.testing.assert_allclose(ours.intercept_, ref.intercept_, atol=1e-6)
    # KKT on the float64 values: |x̃_jᵀr|/n ≤ α, equality with the sign on the support
    r = y - Xv @ ours.coef_ - ours.intercept_
    grad = (Xv - Xv.mean(0)).T @ r / shape[0]
    assert np.all(np.abs(grad) <= alpha * (1 + 1e-5))
    on = ours.coef_ != 0
    np.testing.assert_allclose(grad[on], alpha * np.sign(ours.coef_[on]), rtol=1e-5)
