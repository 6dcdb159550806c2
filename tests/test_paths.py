"""Paths: scikit-learn's lasso_path/enet_path, the result object, logistic paths."""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
import sklearn.linear_model as sk
from conftest import enet_objective, logistic_objective, make_classification, make_regression
from sklearn.exceptions import ConvergenceWarning
from sklearn_versions import grid_size, l1_logistic

from shrinkage import PathResult, enet_path, lasso_path, regularization_path


def test_lasso_path_matches_sklearn(rng):
    X, y = make_regression(rng, 60, 25)
    X = X - X.mean(0)
    y = y - y.mean()
    alphas, coefs, gaps = lasso_path(X, y, alphas=30, tol=1e-12)
    ref_alphas, ref_coefs, _ = sk.lasso_path(X, y, **grid_size(30), tol=1e-12, max_iter=10**5)
    np.testing.assert_allclose(alphas, ref_alphas, rtol=1e-12)
    for k in range(30):
        f = enet_objective(X, y, coefs[:, k], 0, alphas[k], 1.0)
        f_ref = enet_objective(X, y, ref_coefs[:, k], 0, alphas[k], 1.0)
        assert f <= f_ref * (1 + 1e-9)
    np.testing.assert_allclose(coefs, ref_coefs, atol=1e-6)
    assert gaps.shape == (30,)


def test_enet_path_explicit_alphas_and_n_iter(rng):
    X, y = make_regression(rng, 50, 12)
    given = [0.5, 0.01, 0.1]
    alphas, coefs, gaps, n_iters = enet_path(
        X, y, l1_ratio=0.3, alphas=given, tol=1e-12, return_n_iter=True
    )
    ref_alphas, ref_coefs, _ = sk.enet_path(
        X, y, l1_ratio=0.3, alphas=given, tol=1e-12, max_iter=10**5
    )
    np.testing.assert_allclose(alphas, [0.5, 0.1, 0.01])
    for k in range(3):
        f = enet_objective(X, y, coefs[:, k], 0, alphas[k], 0.3)
        assert f <= enet_objective(X, y, ref_coefs[:, k], 0, alphas[k], 0.3) * (1 + 1e-9)
    np.testing.assert_allclose(coefs, ref_coefs, atol=1e-4)
    assert len(n_iters) == 3


def test_path_result_object(rng):
    X, y = make_regression(rng, 60, 20)
    result = regularization_path(X, y, alphas=15, tol=1e-10)
    assert isinstance(result, PathResult)
    assert result.coefs.shape == (20, 15)
    assert np.all(np.diff(result.alphas) < 0)
    assert result.n_nonzero[0] == 0 and result.n_nonzero[-1] > 0
    np.testing.assert_array_equal(result.n_nonzero, np.count_nonzero(result.coefs, axis=0))
    assert result.converged.all() and result.total_time > 0
    # every point of the path is the estimator's answer at that alpha
    for k in (3, 14):
        ref = sk.Lasso(alpha=result.alphas[k], tol=1e-12, max_iter=10**5).fit(X, y)
        np.testing.assert_allclose(result.coefs[:, k], ref.coef_, atol=1e-6)
        assert result.intercepts[k] == pytest.approx(ref.intercept_, abs=1e-6)
    assert "n_alphas=15" in repr(result)


def test_path_sparse_and_dense_agree(rng):
    X, y = make_regression(rng, 80, 30, sparse=True)
    dense = regularization_path(X.toarray(), y, alphas=20, tol=1e-12, l1_ratio=0.6)
    sparse = regularization_path(X, y, alphas=20, tol=1e-12, l1_ratio=0.6)
    # Both gaps are certified <= 1e-12·var(y); a gap g allows coefficients to differ by
    # about sqrt(2g / curvature) along a flat direction (here 2e-7 with equal objectives),
    # so the objectives are compared tightly and the coefficients to 1e-6.
    for result in (dense, sparse):
        assert np.all(result.duality_gaps <= 1e-12 * np.var(y))
    for k, alpha in enumerate(dense.alphas):
        objective_dense = enet_objective(
            X.toarray(), y, dense.coefs[:, k], dense.intercepts[k], alpha, 0.6
        )
        objective_sparse = enet_objective(
            X.toarray(), y, sparse.coefs[:, k], sparse.intercepts[k], alpha, 0.6
        )
        assert abs(objective_sparse - objective_dense) <= 2e-12 * np.var(y)
    np.testing.assert_allclose(sparse.coefs, dense.coefs, atol=1e-6)
    np.testing.assert_allclose(sparse.intercepts, dense.intercepts, atol=1e-6)


def test_logistic_path_matches_sklearn_objective(rng):
    X, y = make_classification(rng, 150, 15)
    result = regularization_path(X, y, loss="logistic", alphas=10, eps=0.02, tol=1e-9)
    n = len(y)
    for k in (2, 6, 9):
        alpha = result.alphas[k]
        coef, intercept = result.coefs[:, k], result.intercepts[k]
        # KKT conditions of the mean-loss objective, computed here independently.
        eta = X @ coef + intercept
        grad = X.T @ (1 / (1 + np.exp(-eta)) - y) / n
        active = coef != 0
        assert abs(np.mean(1 / (1 + np.exp(-eta)) - y)) < 1e-7
        np.testing.assert_allclose(grad[active], -alpha * np.sign(coef[active]), atol=1e-7)
        assert np.all(np.abs(grad[~active]) <= alpha * (1 + 1e-7))
        # liblinear as a second reference: ours is at least as good. Its
        # coordinate order is random, and at tol=1e-10 it may stop at max_iter
        # on some machines; a less converged reference only weakens the bound.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            ref = sk.LogisticRegression(
                C=1 / (n * alpha),
                **l1_logistic(),
                solver="liblinear",
                tol=1e-10,
                max_iter=10**4,
                intercept_scaling=1e4,
                random_state=0,
            ).fit(X, y)
        f = logistic_objective(X, y, coef, intercept, alpha, 1.0)
        f_ref = logistic_objective(X, y, ref.coef_[0], ref.intercept_[0], alpha, 1.0)
        assert f <= f_ref + 1e-9
    assert result.n_nonzero[0] == 0


def test_logistic_path_sparse_equals_dense(rng):
    X, y = make_classification(rng, 100, 12)
    X[rng.random(X.shape) < 0.6] = 0
    dense = regularization_path(X, y, loss="logistic", alphas=8, eps=0.05, tol=1e-10)
    sparse = regularization_path(
        sp.csr_matrix(X), y, loss="logistic", alphas=8, eps=0.05, tol=1e-10
    )
    np.testing.assert_allclose(sparse.coefs, dense.coefs, atol=1e-7)


def test_bad_alpha_grids():
    X = np.eye(5)
    y = np.arange(5.0)
    with pytest.raises(ValueError, match="empty"):
        regularization_path(X, y, alphas=[])
    with pytest.raises(ValueError, match=">= 0"):
        regularization_path(X, y, alphas=[0.1, -1.0])
    with pytest.raises(ValueError, match="loss"):
        regularization_path(X, y, loss="hinge")


def test_logistic_path_tol_is_scale_free(rng):
    # Rescaling X rescales the coefficients and alpha_max, never the accuracy reached.
    X, y = make_classification(rng, 150, 10)
    small = regularization_path(X, y, loss="logistic", alphas=8, eps=0.02, tol=1e-6)
    large = regularization_path(100 * X, y, loss="logistic", alphas=8, eps=0.02, tol=1e-6)
    np.testing.assert_allclose(large.alphas, 100 * small.alphas, rtol=1e-10)
    np.testing.assert_allclose(100 * large.coefs, small.coefs, atol=1e-4)


@pytest.mark.parametrize("weighted, fit_intercept", [(False, True), (True, False)])
def test_small_sparse_input_gives_the_dense_answer(monkeypatch, weighted, fit_intercept):
    # The library's own limit (the autouse fixture lowers it for the other tests). On this
    # low-rank problem (scikit-learn's test_sparse_dense_equality, 6 x 24) the sparse and
    # dense routes stop apart within tol=1e-6; below the limit both take the dense route.
    monkeypatch.setattr("shrinkage.solvers.problems.SMALL_SPARSE_CELLS", 100_000)
    from sklearn.datasets import make_regression as sk_make_regression

    from shrinkage import Lasso

    X, y = sk_make_regression(
        n_samples=6, n_features=24, effective_rank=12, n_informative=12,
        bias=4 * fit_intercept, noise=1, random_state=42,
    )
    w = np.abs(np.random.RandomState(42).normal(scale=10, size=6)) if weighted else None
    model = Lasso(fit_intercept=fit_intercept, tol=1e-6)
    # Dense in the layout the sparse input becomes (Fortran): BLAS may round X.T @ h apart
    # for C and Fortran order (numpy 1.24's OpenBLAS does), which moves the stopping point.
    dense = model.fit(sp.csc_matrix(X).toarray(), y, sample_weight=w)
    dense_coef, dense_intercept = dense.coef_.copy(), dense.intercept_
    sparse = model.fit(sp.csc_matrix(X), y, sample_weight=w)
    np.testing.assert_allclose(sparse.coef_, dense_coef, rtol=1e-12, atol=1e-14)
    assert sparse.intercept_ == pytest.approx(dense_intercept, rel=1e-12, abs=1e-14)


def test_small_sparse_input_gives_the_dense_cv_curve(rng, monkeypatch):
    # Below the limit the CV estimators take the dense route too (fold moments), so the
    # whole curve and the choice are the same in either format.
    monkeypatch.setattr("shrinkage.solvers.problems.SMALL_SPARSE_CELLS", 100_000)
    from shrinkage import ElasticNetCV, LassoCV

    X, y = make_regression(rng, 40, 10)
    X[rng.random(X.shape) < 0.5] = 0.0
    Xs = sp.csc_matrix(X)
    for cls in (LassoCV, ElasticNetCV):
        # The dense array in the memory order the sparse one densifies to: C and Fortran
        # order round differently in BLAS (1e-8 relative here), which tol then carries.
        dense = cls(cv=4, tol=1e-8).fit(Xs.toarray(), y)
        sparse = cls(cv=4, tol=1e-8).fit(Xs, y)
        np.testing.assert_allclose(sparse.mse_path_, dense.mse_path_, rtol=1e-12)
        assert sparse.alpha_ == dense.alpha_
        assert sparse.intercept_ == pytest.approx(dense.intercept_, rel=1e-12)
