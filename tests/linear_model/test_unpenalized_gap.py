"""``dual_gap_`` certifies the fit when some coordinates are unpenalized (issue 10, item 6)."""

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.datasets import make_regression

from shrinkage import ElasticNet, Lasso
from shrinkage.path import regularization_path


def _problem():
    return make_regression(300, 100, effective_rank=10, noise=1.0, random_state=0)


def _objective(X, y, coef, intercept, alpha, weights, l1_ratio=1.0):
    r = y - X @ coef - intercept
    return 0.5 * np.mean(r**2) + alpha * np.sum(
        weights * (l1_ratio * np.abs(coef) + 0.5 * (1 - l1_ratio) * coef**2)
    )


@pytest.mark.parametrize("precompute", [False, True])
@pytest.mark.parametrize("sparse", [False, True])
def test_alpha_zero_is_least_squares(precompute, sparse):
    X, y = _problem()
    Xc, yc = X - X.mean(0), y - y.mean()
    exact = np.linalg.lstsq(Xc, yc, rcond=None)[0]
    best = 0.5 * np.mean((yc - Xc @ exact) ** 2)
    data = sp.csc_matrix(X) if sparse else X
    # scikit-learn's advice to use LinearRegression, kept for drop-in compatibility.
    with pytest.warns(UserWarning, match="alpha=0"):
        model = Lasso(alpha=0, tol=1e-4, precompute=precompute and not sparse).fit(data, y)
    excess = _objective(X, y, model.coef_, model.intercept_, 0.0, np.ones(100)) - best
    assert model.dual_gap_ >= excess - 1e-12 * best
    assert excess <= 1e-9 * best  # the block step makes it exact, not just within tol


@pytest.mark.parametrize("precompute", [False, True])
@pytest.mark.parametrize("l1_ratio", [1.0, 0.5])
def test_gap_bounds_suboptimality_with_free_coordinates(precompute, l1_ratio):
    X, y = _problem()
    weights = np.ones(100)
    weights[:10] = 0.0
    for alpha in (0.1, 0.01, 0.001):
        kwargs = dict(alpha=alpha, l1_ratio=l1_ratio, penalty_weights=weights,
                      precompute=precompute)
        loose = ElasticNet(tol=1e-3, **kwargs).fit(X, y)
        tight = ElasticNet(tol=1e-13, max_iter=100_000, **kwargs).fit(X, y)
        best = _objective(X, y, tight.coef_, tight.intercept_, alpha, weights, l1_ratio)
        excess = _objective(X, y, loose.coef_, loose.intercept_, alpha, weights, l1_ratio) - best
        assert loose.dual_gap_ >= excess - 1e-12 * abs(best)
        assert tight.dual_gap_ <= 1e-13 * np.var(y)


def test_path_with_free_coordinates_reports_true_gaps():
    X, y = _problem()
    weights = np.ones(100)
    weights[:5] = 0.0
    loose = regularization_path(X, y, penalty_weights=weights, alphas=20, tol=1e-3)
    tight = regularization_path(X, y, penalty_weights=weights, alphas=loose.alphas, tol=1e-13,
                                max_iter=100_000)
    for k, alpha in enumerate(loose.alphas):
        mine = _objective(X, y, loose.coefs[:, k], loose.intercepts[k], alpha, weights)
        best = _objective(X, y, tight.coefs[:, k], tight.intercepts[k], alpha, weights)
        assert loose.duality_gaps[k] >= mine - best - 1e-12 * abs(best)
