"""The multinomial path against independent references: scikit-learn (L2, unpenalized),
the KKT conditions and the objective of the library's MultinomialProblem (L1, elastic net)."""

import numpy as np
import pytest
from scipy.special import logsumexp
from sklearn.linear_model import LogisticRegression as SkLogisticRegression

from shrinkage.solvers.logistic import MultinomialProblem
from shrinkage.solvers.multinomial_path import multinomial_alpha_max, multinomial_path


@pytest.fixture
def data():
    rng = np.random.default_rng(0)
    n, p, K = 240, 7, 4
    X = rng.normal(size=(n, p))
    X[:, 1] = X[:, 0] + 0.3 * rng.normal(size=n)
    y = np.argmax(X[:, :3] @ rng.normal(size=(3, K)) + rng.gumbel(size=(n, K)), axis=1)
    w = rng.integers(1, 4, n).astype(float)  # bootstrap-like counts
    return X, y, w, K


def objective(X, y, w, B, b0, alpha, ratio):
    h = w / w.sum()
    eta = X @ B.T + b0
    loss = h @ (logsumexp(eta, axis=1) - eta[np.arange(len(y)), y])
    return loss + alpha * (ratio * np.abs(B).sum() + 0.5 * (1 - ratio) * (B * B).sum())


def kkt(X, y, w, B, b0, alpha, ratio):
    h = w / w.sum()
    eta = X @ B.T + b0
    R = h[:, None] * (np.eye(B.shape[0])[y] - np.exp(eta - logsumexp(eta, axis=1)[:, None]))
    g = (X.T @ R).T - alpha * (1 - ratio) * B
    l1 = alpha * ratio
    v = np.where(B == 0, np.maximum(np.abs(g) - l1, 0), np.abs(g - l1 * np.sign(B)))
    return max(v.max(), np.abs(R.sum(axis=0)).max())


@pytest.mark.parametrize("alpha", [0.05, 1e-3])
def test_ridge_matches_scikit_learn(data, alpha):
    X, y, w, K = data
    res = multinomial_path(X, y, w, np.array([1.0, alpha]), 0.0, K, tol=1e-10)
    ref = SkLogisticRegression(C=1 / (alpha * w.sum()), tol=1e-12, max_iter=10_000)
    ref.fit(X, y, sample_weight=w)
    np.testing.assert_allclose(res.coefs[-1], ref.coef_, atol=1e-6)
    np.testing.assert_allclose(
        res.intercepts[-1], ref.intercept_ - ref.intercept_.mean(), atol=1e-6
    )
    assert res.converged.all()


def test_unpenalized_matches_scikit_learn(data):
    X, y, w, K = data
    res = multinomial_path(X, y, w, np.array([0.0]), 0.0, K, tol=1e-10)
    ref = SkLogisticRegression(C=np.inf, tol=1e-12, max_iter=10_000).fit(X, y, sample_weight=w)
    np.testing.assert_allclose(res.coefs[0], ref.coef_, atol=1e-5)


@pytest.mark.parametrize("ratio", [1.0, 0.5])
def test_lasso_and_elastic_net_satisfy_kkt_and_reach_the_optimum(data, ratio):
    X, y, w, K = data
    top = multinomial_alpha_max(X, y, w, K, ratio)
    grid = np.geomspace(top, top / 200, 8)
    res = multinomial_path(X, y, w, grid, ratio, K, tol=1e-9)
    assert res.converged.all()
    assert not np.any(res.coefs[0]) and np.count_nonzero(res.coefs[-1]) > 3
    for k, alpha in enumerate(grid):
        assert kkt(X, y, w, res.coefs[k], res.intercepts[k], alpha, ratio) <= 1e-8
    # The library's class-by-class solver, run tight, reaches the same objective.
    h = w / w.sum()
    problem = MultinomialProblem(X, np.eye(K)[y], h, np.ones(X.shape[1]), ratio)
    problem.solve(grid[-1], None, 1e-9, 5000)
    ours = objective(X, y, w, res.coefs[-1], res.intercepts[-1], grid[-1], ratio)
    theirs = objective(X, y, w, problem.coef, problem.intercept, grid[-1], ratio)
    assert ours == pytest.approx(theirs, abs=1e-9)


def test_duplicated_rows_equal_counts(data):
    X, y, w, K = data
    rows = np.repeat(np.arange(len(y)), w.astype(int))
    grid = np.array([0.02, 0.005])
    a = multinomial_path(X, y, w, grid, 0.5, K, tol=1e-10)
    b = multinomial_path(X[rows], y[rows], np.ones(rows.size), grid, 0.5, K, tol=1e-10)
    np.testing.assert_allclose(a.coefs, b.coefs, atol=1e-7)


def test_constant_column_and_absent_class(data):
    X, y, w, K = data
    X = X.copy()
    X[:, 2] = 3.0
    keep = y != 1  # class 1 absent: its probabilities go to 0
    res = multinomial_path(X[keep], y[keep], w[keep], np.array([0.01]), 0.5, K, tol=1e-6)
    assert res.converged.all()
    assert not np.any(res.coefs[0][:, 2])
    assert np.all(res.intercepts[0][1] < res.intercepts[0][[0, 2, 3]] - 5)


def test_bad_input_is_refused(data):
    X, y, w, K = data
    with pytest.raises(ValueError, match="labels"):
        multinomial_path(X, y + 1, w, np.array([0.1]), 1.0, K)
    with pytest.raises(ValueError, match="w must"):
        multinomial_path(X, y, np.zeros_like(w), np.array([0.1]), 1.0, K)


@pytest.mark.parametrize("ratio", [0.0, 0.5, 1.0])
def test_shared_models_leave_each_path_at_its_own_optimum(data, ratio):
    # The folds of a CV share their Newton models and path increments (``shared``):
    # only the steps may change, every point must still meet its own KKT conditions
    # and agree with the path solved alone.
    X, y, w, K = data
    grid = multinomial_alpha_max(X, y, w, K, max(ratio, 0.5)) * np.logspace(0, -3, 6)
    shared: dict = {}
    folds = np.array_split(np.arange(len(y)), 4)
    for test in folds:
        train = np.setdiff1d(np.arange(len(y)), test)
        Xt, yt, wt = X[train], y[train], w[train]
        res = multinomial_path(Xt, yt, wt, grid, ratio, K, tol=1e-9, shared=shared)
        alone = multinomial_path(Xt, yt, wt, grid, ratio, K, tol=1e-9)
        assert res.converged.all()
        for B, b0, alpha in zip(res.coefs, res.intercepts, grid, strict=True):
            assert kkt(Xt, yt, wt, B, b0, alpha, ratio) <= 1e-8
        if ratio < 1:  # (pure L1 leaves a shift common to the classes free: K is even)
            # tol 1e-9 on the gradient leaves ~1e-9/α in the coefficients at the last α
            np.testing.assert_allclose(res.coefs, alone.coefs, atol=1e-5)
            np.testing.assert_allclose(res.intercepts, alone.intercepts, atol=1e-5)
        for k, alpha in enumerate(grid):
            ours = objective(Xt, yt, wt, res.coefs[k], res.intercepts[k], alpha, ratio)
            theirs = objective(Xt, yt, wt, alone.coefs[k], alone.intercepts[k], alpha, ratio)
            assert ours == pytest.approx(theirs, abs=1e-12)
    assert shared["models"] and set(shared["points"]) == set(range(grid.size))  # in use


def test_shared_models_of_other_columns_are_not_used(data):
    X, y, w, K = data
    shared: dict = {}
    multinomial_path(X, y, w, np.array([0.01]), 0.0, K, shared=shared)
    Z = X.copy()
    Z[:, 3] = 1.0  # a constant column: other live columns, the shared H does not fit
    res = multinomial_path(Z, y, w, np.array([0.01]), 0.0, K, tol=1e-9, shared=shared)
    assert kkt(Z, y, w, res.coefs[0], res.intercepts[0], 0.01, 0.0) <= 1e-8
    assert np.all(res.coefs[0][:, 3] == 0.0)
