"""The Newton-CG direction of the GLM solver (pure L2 past the exact solve's flop
budget): its truncated solves, and the fits it drives against scikit-learn's Newton
solvers and the gradient written out here. (That it minimizes the quadratic model is
tested with the exact direction, in test_exact_ridge_newton.py.)"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.linear_model import LogisticRegression as SkLogistic
from sklearn.linear_model import PoissonRegressor as SkPoisson

from shrinkage import LogisticRegression, PoissonRegressor
from shrinkage.solvers import ridge_newton
from shrinkage.solvers.ridge_newton import ridge_newton_cg_direction


def _model(n, k, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, k)) + rng.normal(size=k)  # uncentred columns
    w = rng.uniform(0.1, 2.0, n) / n
    return X, w, rng.normal(size=n), rng.normal(size=k), rng.uniform(0.01, 0.1, k)


def _model_gradient(X, w, r, beta, l2, delta, fit_intercept):
    """``−∇_Δ`` of ½Σw(r − xΔ − Δ₀)² + ½Σ l2 (β + Δ)² with Δ₀ at its minimizer."""
    if fit_intercept:
        mean = w @ X / w.sum()
        X = X - mean
        r = r - np.dot(w, r) / w.sum()
    return X.T @ (w * (r - X @ delta)) - l2 * (beta + delta)


@pytest.mark.parametrize("fit_intercept", [True, False])
def test_direction_stops_at_the_accuracy_asked_for(fit_intercept):
    """A truncated solve: the model's gradient at the returned Δ is within the
    tolerance asked for, or within a tenth of its value at Δ = 0, whichever is
    smaller; and it is a descent direction of the model."""
    X, w, r, beta, l2 = _model(200, 150, seed=3)
    start = np.max(np.abs(_model_gradient(X, w, r, beta, l2, np.zeros(150), fit_intercept)))
    for tolerance in (start, 1e-2 * start, 1e-6 * start):
        delta, _, _ = ridge_newton_cg_direction(X, w, r, beta, l2, fit_intercept, tolerance)
        left = np.max(np.abs(_model_gradient(X, w, r, beta, l2, delta, fit_intercept)))
        assert left <= min(tolerance, ridge_newton.CG_RELATIVE_TOL * start) * (1 + 1e-9)
        assert _model_gradient(X, w, r, beta, l2, np.zeros(150), fit_intercept) @ delta > 0


def _correlated(n, p, rho, seed):
    rng = np.random.default_rng(seed)
    X = np.sqrt(1 - rho) * rng.standard_normal((n, p)) + np.sqrt(rho) * rng.standard_normal(
        (n, 1)
    )
    return X / np.sqrt(p / 10), rng


@pytest.fixture
def no_exact_budget(monkeypatch):
    """Every ridge direction by conjugate gradients, on data small enough to test."""
    monkeypatch.setattr(ridge_newton, "EXACT_NEWTON_MAX_FLOPS", 0.0)


@pytest.mark.parametrize("sparse", [False, True])
def test_poisson_ridge_by_newton_cg_equals_newton_cholesky(no_exact_budget, sparse):
    X, rng = _correlated(300, 200, 0.9, seed=5)
    y = rng.poisson(np.exp(0.3 + X[:, :5] @ np.full(5, 0.2)))
    data = sp.csr_matrix(X) if sparse else X
    ours = PoissonRegressor(alpha=1e-3, tol=1e-10).fit(data, y)
    assert ours.n_iter_ <= 20
    mu = np.exp(X @ ours.coef_ + ours.intercept_)
    gradient = X.T @ (mu - y) / X.shape[0] + 1e-3 * ours.coef_
    assert np.max(np.abs(gradient)) < 1e-9
    assert abs(np.mean(mu - y)) < 1e-9
    theirs = SkPoisson(alpha=1e-3, solver="newton-cholesky", tol=1e-12, max_iter=1000).fit(X, y)
    np.testing.assert_allclose(ours.coef_, theirs.coef_, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("sparse", [False, True])
def test_binary_logistic_by_newton_cg_equals_newton_cholesky(no_exact_budget, sparse):
    X, rng = _correlated(400, 300, 0.9, seed=6)
    y = (X[:, :10] @ rng.normal(size=10) + rng.logistic(size=400) > 0).astype(float)
    data = sp.csr_matrix(X) if sparse else X
    ours = LogisticRegression(C=100.0, tol=1e-10).fit(data, y)
    assert ours.n_iter_[0] <= 25
    p = 1 / (1 + np.exp(-(X @ ours.coef_[0] + ours.intercept_[0])))
    # scikit-learn's objective: C·Σ log-loss + ½‖β‖²
    assert np.max(np.abs(100.0 * X.T @ (p - y) + ours.coef_[0])) < 1e-6
    theirs = SkLogistic(C=100.0, solver="newton-cholesky", tol=1e-12, max_iter=1000).fit(X, y)
    np.testing.assert_allclose(ours.coef_, theirs.coef_, rtol=1e-5, atol=1e-6)


def test_logistic_ridge_past_the_exact_budget_converges_in_a_few_steps():
    """2000x1500 with correlation 0.9 (4.5e9 flops for the exact direction, past its
    budget). Before Newton-CG, coordinate-descent directions served here: on 2000x3000
    with the same correlation and C they took 48 steps, 12 s, and stopped with the
    objective 4e-3 (relative) above the optimum; Newton-CG takes about ten."""
    X, rng = _correlated(2000, 1500, 0.9, seed=7)
    assert not ridge_newton.exact_newton_fits(*X.shape)
    y = (X @ (0.3 * rng.normal(size=1500)) + rng.logistic(size=2000) > 0).astype(float)
    ours = LogisticRegression(C=100.0, tol=1e-8).fit(X, y)
    assert ours.n_iter_[0] <= 15
    p = 1 / (1 + np.exp(-(X @ ours.coef_[0] + ours.intercept_[0])))
    gradient = X.T @ (p - y) / 2000 + ours.coef_[0] / (100.0 * 2000)
    assert np.max(np.abs(gradient)) < 1e-8
    assert abs(np.mean(p - y)) < 1e-8
