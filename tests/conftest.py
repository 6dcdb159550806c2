"""Shared fixtures and independent reference computations (plain NumPy, no shrinkage)."""

import numpy as np
import pytest
import scipy.sparse as sp


@pytest.fixture
def rng():
    return np.random.default_rng(0)


def enet_objective(
    X, y, coef, intercept, alpha, l1_ratio, sample_weight=None, penalty_weights=None
):
    """scikit-learn's ElasticNet objective, written out independently."""
    n = X.shape[0]
    w = np.ones(n) if sample_weight is None else np.asarray(sample_weight, float)
    w = w * n / w.sum()
    v = np.ones(X.shape[1]) if penalty_weights is None else np.asarray(penalty_weights)
    r = y - (X @ coef) - intercept
    return (
        0.5 / n * np.sum(w * r * r)
        + alpha * l1_ratio * np.sum(v * np.abs(coef))
        + 0.5 * alpha * (1 - l1_ratio) * np.sum(v * coef**2)
    )


def logistic_objective(X, y01, coef, intercept, alpha, l1_ratio, sample_weight=None):
    """Mean log-loss plus the elastic-net penalty, written out independently."""
    n = X.shape[0]
    w = np.ones(n) if sample_weight is None else np.asarray(sample_weight, float)
    eta = np.asarray(X @ coef).ravel() + intercept
    loss = np.sum(w * (np.logaddexp(0, eta) - y01 * eta)) / w.sum()
    return loss + alpha * (l1_ratio * np.abs(coef).sum() + 0.5 * (1 - l1_ratio) * (coef**2).sum())


def make_regression(rng, n=80, p=30, n_informative=5, noise=0.5, rho=0.3, sparse=False):
    cov = rho ** np.abs(np.subtract.outer(np.arange(p), np.arange(p)))
    X = rng.multivariate_normal(np.zeros(p), cov, size=n) + rng.normal(size=p) * 2
    coef = np.zeros(p)
    coef[rng.choice(p, n_informative, replace=False)] = rng.normal(0, 3, n_informative)
    y = X @ coef + 1.5 + noise * rng.normal(size=n)
    if sparse:
        X[rng.random(X.shape) < 0.7] = 0.0
        y = X @ coef + 1.5 + noise * rng.normal(size=n)
        return sp.csc_matrix(X), y
    return X, y


def one_hot_design(rng, n, groups, extra, levels=6):
    """``groups`` one-hot groups of ``levels`` columns (each row has one 1 per group, so
    with an intercept the groups are exactly collinear), ``extra`` 0/1 columns, and a
    target on the first group and the last three columns."""
    X = np.zeros((n, groups * levels + extra))
    categories = rng.integers(0, levels, size=(n, groups))
    for g in range(groups):
        X[np.arange(n), g * levels + categories[:, g]] = 1.0
    X[:, groups * levels :] = rng.random((n, extra)) < 0.2
    y = X[:, :levels] @ rng.standard_normal(levels) + X[:, -3:] @ [1.0, -2.0, 0.5]
    return X, y + rng.standard_normal(n)


def make_classification(rng, n=120, p=20, n_informative=4):
    X = rng.normal(size=(n, p))
    coef = np.zeros(p)
    coef[:n_informative] = rng.normal(0, 2, n_informative)
    y = (rng.random(n) < 1 / (1 + np.exp(-(X @ coef - 0.3)))).astype(float)
    return X, y


@pytest.fixture(autouse=True)
def _sparse_kernels_on_small_data(monkeypatch):
    """The library solves small sparse inputs (<= 1e5 cells) as dense arrays. The tests
    use small data, so they lower that limit to keep exercising the sparse kernels;
    test_small_sparse_input_gives_the_dense_answer checks the limit itself."""
    monkeypatch.setattr("shrinkage.solvers.problems.SMALL_SPARSE_CELLS", 0)
