"""A single Lasso / ElasticNet fit on sparse X goes through the compiled sparse path
(``solvers.step._compiled_single_solve``) and lands on scikit-learn's optimum."""

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.linear_model import ElasticNet as SkElasticNet
from sklearn.linear_model import Lasso as SkLasso

import shrinkage.solvers.sparse_path as sparse_path_module
from shrinkage import ElasticNet, Lasso


def _data(n, p, density, seed):
    rng = np.random.default_rng(seed)
    X = sp.random(n, p, density=density, format="csc", random_state=seed)
    w = np.zeros(p)
    w[:15] = rng.standard_normal(15)
    return X, X @ w + 0.1 * rng.standard_normal(n)


def _objective(X, y, coef, intercept, alpha, l1_ratio):
    r = y - X @ coef - intercept
    return 0.5 * np.mean(r**2) + alpha * (
        l1_ratio * np.abs(coef).sum() + 0.5 * (1 - l1_ratio) * coef @ coef
    )


@pytest.mark.parametrize("shape", [(150, 2000, 0.02), (1200, 400, 0.01)])
@pytest.mark.parametrize("l1_ratio", [1.0, 0.5])
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_sparse_single_fit_matches_sklearn(monkeypatch, shape, l1_ratio, fit_intercept):
    calls = []
    run = sparse_path_module.run_sparse_path
    monkeypatch.setattr(
        sparse_path_module, "run_sparse_path", lambda *a, **k: calls.append(1) or run(*a, **k)
    )
    X, y = _data(*shape, seed=3)
    yc = y - y.mean() if fit_intercept else y
    alpha = np.abs(X.T @ yc).max() / X.shape[0] / 15
    ours = ElasticNet(alpha=alpha, l1_ratio=l1_ratio, fit_intercept=fit_intercept,
                      tol=1e-10, max_iter=100_000).fit(X, y)
    assert calls, "the sparse single fit did not take the compiled path"
    theirs = SkElasticNet(alpha=alpha, l1_ratio=l1_ratio, fit_intercept=fit_intercept,
                          tol=1e-12, max_iter=1_000_000).fit(X, y)
    f_ours = _objective(X, y, ours.coef_, ours.intercept_, alpha, l1_ratio)
    f_theirs = _objective(X, y, theirs.coef_, theirs.intercept_, alpha, l1_ratio)
    assert f_ours <= f_theirs * (1 + 1e-9)
    np.testing.assert_allclose(ours.coef_, theirs.coef_, atol=1e-6)
    # the reported gap is a certificate: it bounds the distance to scikit-learn's optimum
    assert 0 <= f_ours - min(f_ours, f_theirs) <= ours.dual_gap_ + 1e-15


def test_sparse_single_fit_equals_dense_fit():
    X, y = _data(300, 900, 0.02, seed=4)
    alpha = 0.02
    sparse_fit = Lasso(alpha=alpha, tol=1e-12, max_iter=100_000).fit(X, y)
    dense_fit = Lasso(alpha=alpha, tol=1e-12, max_iter=100_000).fit(X.toarray(), y)
    np.testing.assert_allclose(sparse_fit.coef_, dense_fit.coef_, atol=1e-8)
    np.testing.assert_allclose(sparse_fit.intercept_, dense_fit.intercept_, atol=1e-8)


def test_sparse_single_fit_warm_start_and_unpenalized_fall_back():
    X, y = _data(300, 900, 0.02, seed=5)
    model = Lasso(alpha=0.05, warm_start=True, tol=1e-10, max_iter=100_000).fit(X, y)
    model.set_params(alpha=0.02).fit(X, y)
    reference = SkLasso(alpha=0.02, tol=1e-12, max_iter=1_000_000).fit(X, y)
    np.testing.assert_allclose(model.coef_, reference.coef_, atol=1e-6)
    weights = np.ones(X.shape[1])
    weights[0] = 0.0  # an unpenalized feature: the Python solver's projected gap
    fit = Lasso(alpha=0.02, penalty_weights=weights, tol=1e-10, max_iter=100_000).fit(X, y)
    assert fit.dual_gap_ <= 1e-10 * np.mean((y - y.mean()) ** 2) + 1e-12
