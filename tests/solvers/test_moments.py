"""The one moments type and the exact ridge built from it, against direct computation.

:class:`shrinkage.solvers.moments.Moments` is shared by the in-memory CV, the Dask
engine and :mod:`shrinkage.explain`; :meth:`SpectralRidge.from_moments` is the Dask
engine's ridge. References: the sums written out with NumPy, the ridge normal
equations, the explicit hat matrix and scikit-learn's ``Ridge``.
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.linear_model import Ridge as SkRidge

from shrinkage.solvers.moments import Moments, MomentsDesign
from shrinkage.solvers.ridge import SpectralRidge, pseudo_inverse


def _data(n=300, p=6, t=2, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, p)) * np.arange(1, p + 1) + 50.0  # large means: shifts matter
    Y = X @ rng.normal(size=(p, t)) + rng.normal(size=(n, t))
    w = rng.random(n) + 0.1
    return X, Y, w


def _direct(X, Y, w, shift_x, shift_y):
    Xc, Yc = X - shift_x, Y - shift_y
    return (
        w.sum(),
        w @ Xc,
        w @ Yc,
        Xc.T @ (w[:, None] * Xc),
        Xc.T @ (w[:, None] * Yc),
        w @ (Yc * Yc),
    )


@pytest.mark.parametrize("n", [5, 4096, 9000])  # below, at and across the row buffer
def test_moments_are_the_weighted_sums(n):
    X, Y, w = _data(n=n)
    shift_x, shift_y = X[:3].mean(axis=0), Y[:3].mean(axis=0)
    m = Moments.of_rows(X, Y, w, shift_x, shift_y)
    expected = _direct(X, Y, w, shift_x, shift_y)
    for got, want in zip((m.weight, m.x, m.y, m.xx, m.xy, m.yy), expected, strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-9 * n)
    assert m.rows == n and m.min_weight == pytest.approx(w.min())
    # One target: scalars and vectors, equal to that target's column.
    one = Moments.of_rows(X, Y[:, 1], w, shift_x, shift_y[1])
    assert np.ndim(one.y) == 0 and one.xy.shape == (X.shape[1],)
    picked = m.target(1)
    np.testing.assert_allclose(one.xy, picked.xy, rtol=1e-12)
    assert one.yy == pytest.approx(picked.yy, rel=1e-12)


def test_sparse_rows_give_the_dense_moments():
    X, Y, w = _data(n=200)
    X[X < 50] = 0.0
    dense = Moments.of_rows(X, Y[:, 0], w)
    sparse = Moments.of_rows(sp.csr_matrix(X), Y[:, 0], w)
    np.testing.assert_allclose(sparse.xx, dense.xx, rtol=1e-14)
    np.testing.assert_allclose(sparse.xy, dense.xy, rtol=1e-14)


def test_groups_add_up_and_subtract():
    X, Y, w = _data(n=500)
    group = np.random.default_rng(1).integers(0, 4, X.shape[0])
    order = np.argsort(group, kind="stable")
    bounds = np.concatenate([[0], np.cumsum(np.bincount(group, minlength=4))])
    parts = Moments.of_groups(X, Y, w, 0.0, 0.0, order, bounds)
    for k, part in enumerate(parts):
        rows = group == k
        np.testing.assert_allclose(part.xx, _direct(X[rows], Y[rows], w[rows], 0, 0)[3], rtol=1e-12)
        assert part.rows == rows.sum()
    total = parts[0] + parts[1] + parts[2] + parts[3]
    np.testing.assert_allclose(total.xx, _direct(X, Y, w, 0, 0)[3], rtol=1e-12)
    rest = total - parts[2]
    np.testing.assert_allclose(
        rest.xy, _direct(X[group != 2], Y[group != 2], w[group != 2], 0, 0)[4], rtol=1e-9
    )
    half = total.scaled(0.5)
    assert half.weight == pytest.approx(total.weight / 2) and half.rows == total.rows


def test_sse_is_the_weighted_residual_sum_of_squares():
    X, Y, w = _data(n=400)
    y = Y[:, 0]
    shift_x, shift_y = X.mean(axis=0) + 0.3, y.mean() - 0.2
    m = Moments.of_rows(X, y, w, shift_x, shift_y)
    rng = np.random.default_rng(2)
    coefs, intercepts = rng.normal(size=(X.shape[1], 3)), rng.normal(size=3)
    expected = [w @ (y - b0 - X @ b) ** 2 for b0, b in zip(intercepts, coefs.T, strict=True)]
    np.testing.assert_allclose(m.sse(intercepts, coefs, shift_x, shift_y), expected, rtol=1e-9)
    # Unshifted moments, one coefficient vector.
    plain = Moments.of_rows(X, y, w)
    assert plain.sse(1.5, coefs[:, 0])[0] == pytest.approx(
        w @ (y - 1.5 - X @ coefs[:, 0]) ** 2, rel=1e-8
    )


def test_centred_moments():
    X, Y, w = _data(n=200)
    y = Y[:, 0]
    mean_x, mean_y, G, q, yy = Moments.of_rows(X, y, w).centred()
    h = w / w.sum()
    np.testing.assert_allclose(mean_x, h @ X, rtol=1e-12)
    Xc, yc = X - h @ X, y - h @ y
    np.testing.assert_allclose(G, Xc.T @ (h[:, None] * Xc), rtol=1e-8, atol=1e-8)
    np.testing.assert_allclose(q, Xc.T @ (h * yc), rtol=1e-7)
    assert yy == pytest.approx(h @ yc**2, rel=1e-8)


@pytest.mark.parametrize("fit_intercept", [True, False])
def test_design_gram_of_a_training_set_is_the_centred_gram(fit_intercept):
    """The Gram design a CV fold builds (total minus the held-out rows' moments):
    Fortran-ordered, exactly symmetric, equal to the centred rows' ``X̃ᵀHX̃``."""
    X, Y, w = _data(n=400, p=9)
    y = Y[:, 0]
    shift = X.mean(axis=0) if fit_intercept else 0.0
    total = Moments.of_rows(X, y, w, shift, y.mean() if fit_intercept else 0.0)
    held_out = Moments.of_rows(X[:80], y[:80], w[:80], shift, y.mean() if fit_intercept else 0.0)
    design = MomentsDesign(total - held_out, fit_intercept)
    Xt, wt = X[80:], w[80:]
    h = wt / wt.sum()
    Xc = Xt - h @ Xt if fit_intercept else Xt
    np.testing.assert_allclose(design.gram, Xc.T @ (h[:, None] * Xc), rtol=1e-9, atol=1e-9)
    assert design.gram.flags.f_contiguous
    assert np.array_equal(design.gram, design.gram.T)
    # Moments built by hand with a (rounding-level) asymmetric xx are symmetrized.
    # (by the constructor: not flagged as exactly symmetric, as of_groups' sums are).
    train = total - held_out
    assert train.symmetric
    xx = train.xx.copy()
    xx[0, 1] *= 1.0 + 1e-15
    skewed = Moments(train.weight, train.x, train.y, xx, train.xy, train.yy, train.rows)
    assert not skewed.symmetric
    skewed_gram = MomentsDesign(skewed, fit_intercept).gram
    assert np.array_equal(skewed_gram, skewed_gram.T)


def test_pseudo_inverse_is_moore_penrose():
    rng = np.random.default_rng(3)
    A = rng.normal(size=(5, 3))
    M = A @ A.T  # rank 3
    inverse, rank = pseudo_inverse(M)
    assert rank == 3
    np.testing.assert_allclose(inverse, np.linalg.pinv(M, hermitian=True), atol=1e-10)
    assert pseudo_inverse(np.zeros((0, 0)))[1] == 0


def _ridge_by_normal_equations(X, y, s, v, alpha):
    """``min Σ s (y − β₀ − xβ)² + α Σ v β²`` by its normal equations (intercept free)."""
    Z = np.c_[np.ones(len(y)), X]
    penalty = np.diag(np.r_[0.0, v]) * alpha
    solution = np.linalg.solve(Z.T @ (s[:, None] * Z) + penalty, Z.T @ (s * y))
    return solution[1:], solution[0]


def test_ridge_from_moments_solves_the_normal_equations():
    X, Y, w = _data(n=300)
    v = np.array([1.0, 0.0, 2.0, 1.0, 0.5, 1.0])  # one unpenalized column
    shift_x, shift_y = X[:10].mean(axis=0), Y[:10].mean(axis=0)
    ridge = SpectralRidge.from_moments(
        Moments.of_rows(X, Y, w, shift_x, shift_y), shift_x, shift_y, v, True
    )
    alphas = np.array([0.1, 10.0, 1000.0])
    for t in range(2):
        coefs, intercepts = ridge.coefs(alphas, target=t)
        for k, alpha in enumerate(alphas):
            coef, intercept = _ridge_by_normal_equations(X, Y[:, t], w, v, alpha)
            np.testing.assert_allclose(coefs[:, k], coef, rtol=1e-7, atol=1e-9)
            assert intercepts[k] == pytest.approx(intercept, rel=1e-7)
    # One alpha per target.
    coefs, intercepts = ridge.coefs_at([10.0, 1000.0])
    np.testing.assert_allclose(
        coefs[1], _ridge_by_normal_equations(X, Y[:, 1], w, v, 1000.0)[0], rtol=1e-7
    )


def test_ridge_from_moments_matches_scikit_learn_without_intercept():
    X, Y, w = _data(n=200)
    y = Y[:, 0]
    ridge = SpectralRidge.from_moments(Moments.of_rows(X, y, w), 0.0, 0.0, np.ones(6), False)
    coef, intercept = ridge.coefs([3.0])
    reference = SkRidge(alpha=3.0, fit_intercept=False, solver="cholesky").fit(X, y, w)
    np.testing.assert_allclose(coef[:, 0], reference.coef_, rtol=1e-7)
    assert intercept[0] == 0.0


def test_ridge_from_moments_rss_dof_gcv_and_leverage_match_the_hat_matrix():
    X, Y, w = _data(n=120, p=4, seed=5)
    y = Y[:, 0]
    v = np.array([1.0, 0.0, 1.0, 3.0])
    shift_x = X.mean(axis=0)
    ridge = SpectralRidge.from_moments(
        Moments.of_rows(X, y, w, shift_x, y.mean()), shift_x, y.mean(), v, True
    )
    alpha = 7.0
    # The explicit hat matrix of the √s-scaled problem: H = S½ Z (ZᵀSZ + P)⁻¹ Zᵀ S½.
    Z = np.c_[np.ones(len(y)), X]
    root = np.sqrt(w)
    inner = np.linalg.inv(Z.T @ (w[:, None] * Z) + alpha * np.diag(np.r_[0.0, v]))
    H = (root[:, None] * Z) @ inner @ (Z.T * root)
    residual = root * y - H @ (root * y)
    assert ridge.rss([alpha])[0] == pytest.approx(residual @ residual, rel=1e-8)
    assert ridge.degrees_of_freedom([alpha])[0] == pytest.approx(np.trace(H), rel=1e-10)
    n = len(y)
    gcv = n * (residual @ residual) / (n - np.trace(H)) ** 2
    assert ridge.gcv([alpha])[0] == pytest.approx(gcv, rel=1e-8)
    np.testing.assert_allclose(ridge.leverage(X, w, [alpha])[:, 0], np.diag(H), rtol=1e-8)


def test_ridge_from_moments_agrees_with_ridge_from_rows():
    X, Y, w = _data(n=250, seed=7)
    v = np.array([1.0, 0.0, 1.0, 1.0, 4.0, 1.0])
    rows = SpectralRidge(X, Y, w, v, True)
    shift_x, shift_y = X.mean(axis=0), Y.mean(axis=0)
    moments = SpectralRidge.from_moments(
        Moments.of_rows(X, Y, w, shift_x, shift_y), shift_x, shift_y, v, True
    )
    grid = np.geomspace(1e-2, 1e3, 6)
    for t in range(2):
        np.testing.assert_allclose(
            moments.coefs(grid, t)[0], rows.coefs(grid, t)[0], rtol=1e-7, atol=1e-10
        )
        np.testing.assert_allclose(moments.gcv(grid, t), rows.gcv(grid, t), rtol=1e-6)
    np.testing.assert_allclose(
        moments.degrees_of_freedom(grid), rows.degrees_of_freedom(grid), rtol=1e-10
    )
