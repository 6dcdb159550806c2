"""The ridge Newton directions of the GLM solver (pure L2; exact, and by conjugate
gradients), against a direct least-squares solve of their model and against
scikit-learn's PoissonRegressor."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.linear_model import PoissonRegressor as SkPoisson

from shrinkage import PoissonRegressor
from shrinkage.solvers.glm import exact_ridge_newton_direction
from shrinkage.solvers.ridge_newton import ridge_newton_cg_direction


def _conjugate_gradients(sub, w, r, beta, l2, fit_intercept):
    """Newton-CG's direction asked for no tolerance: the model's minimizer too."""
    return ridge_newton_cg_direction(sub, w, r, beta, l2, fit_intercept, 0.0)


# (direction, rtol, atol): CG's iterates reach the minimizer to its rounding, not a
# factorization's.
DIRECTIONS = {
    "exact": (exact_ridge_newton_direction, 1e-9, 1e-11),
    "conjugate gradients": (_conjugate_gradients, 1e-7, 1e-9),
}


@pytest.mark.parametrize("direction", DIRECTIONS)
@pytest.mark.parametrize("shape", [(40, 8), (15, 30)], ids=["k<n (Cholesky)", "k>n (Woodbury)"])
@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("sparse", [False, True])
def test_direction_minimizes_the_quadratic_model(direction, shape, fit_intercept, sparse):
    """Δ, Δ₀ minimize ½Σw(r − xΔ − Δ₀)² + ½Σ l2 (β + Δ)²: the stacked least-squares
    problem [√W X, √W 1; √L, 0] [Δ; Δ₀] ≈ [√W r; −√L β], solved by lstsq."""
    solve, rtol, atol = DIRECTIONS[direction]
    rng = np.random.default_rng(0)
    n, k = shape
    X = rng.normal(size=(n, k))
    if direction != "exact":
        X += rng.normal(size=k)  # uncentred columns: the intercept's profiling matters
    w = rng.uniform(0.1, 2.0, n) / n
    r = rng.normal(size=n)
    beta = rng.normal(size=k)
    l2 = rng.uniform(0.01, 0.1, k)
    delta, delta0, X_delta = solve(sp.csr_matrix(X) if sparse else X, w, r, beta, l2, fit_intercept)
    columns = np.column_stack([X, np.ones(n)]) if fit_intercept else X
    top = np.sqrt(w)[:, None] * columns
    bottom = np.zeros((k, columns.shape[1]))
    bottom[:, :k] = np.diag(np.sqrt(l2))
    solution = np.linalg.lstsq(
        np.vstack([top, bottom]), np.r_[np.sqrt(w) * r, -np.sqrt(l2) * beta], rcond=None
    )[0]
    np.testing.assert_allclose(delta, solution[:k], rtol=rtol, atol=atol)
    assert delta0 == pytest.approx(solution[k] if fit_intercept else 0.0, abs=atol)
    np.testing.assert_allclose(X_delta, X @ delta + delta0, atol=atol)


def test_singular_system_falls_back():
    """Unpenalized duplicate columns: no exact solve (None), coordinate descent instead."""
    X = np.column_stack([np.arange(5.0), np.arange(5.0)])
    assert (
        exact_ridge_newton_direction(X, np.ones(5), np.ones(5), np.zeros(2), np.zeros(2), False)
        is None
    )


def _objective(X, y, alpha, coef, intercept):
    eta = X @ coef + intercept
    return np.mean(np.exp(eta) - y * eta) + alpha / 2 * coef @ coef


def _data(n, p, seed=1):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, p))
    return X, rng.poisson(np.exp(X[:, :5] @ np.full(5, 0.3))).astype(float)


@pytest.mark.parametrize(
    ("n", "p", "alpha"),
    [(300, 40, 0.01), (500, 20, 1e-4), (120, 300, 1.0)],
)
def test_poisson_ridge_equals_scikit_learn_lbfgs(n, p, alpha):
    X, y = _data(n, p)
    ours = PoissonRegressor(alpha=alpha, l1_ratio=0.0, tol=1e-10).fit(X, y)
    theirs = SkPoisson(alpha=alpha, solver="lbfgs", tol=1e-10, max_iter=100_000).fit(X, y)
    np.testing.assert_allclose(ours.coef_, theirs.coef_, atol=1e-6)
    assert (
        _objective(X, y, alpha, ours.coef_, ours.intercept_)
        <= _objective(X, y, alpha, theirs.coef_, theirs.intercept_) + 1e-14
    )


@pytest.mark.parametrize(
    ("n", "p", "alpha"),
    [(120, 300, 0.01), (60, 400, 1e-3), (200, 200, 1e-3)],
    ids=["issue 15: wide, weak L2", "wider, weaker", "square"],
)
def test_poisson_wide_weak_ridge_converges(n, p, alpha):
    """Wide and weakly penalized, where the coordinate-descent Newton direction needed
    over 1000 steps: converges (no ConvergenceWarning, an error under pytest) in a few
    steps, with the gradient of the objective zero and scikit-learn's objective
    (newton-cholesky; lbfgs needs ~10 s here) not lower than ours."""
    X, y = _data(n, p)
    ours = PoissonRegressor(alpha=alpha, l1_ratio=0.0, tol=1e-12, max_iter=100).fit(X, y)
    assert ours.n_iter_ <= 30
    mu = np.exp(X @ ours.coef_ + ours.intercept_)
    gradient = X.T @ (mu - y) / n + alpha * ours.coef_
    assert np.max(np.abs(gradient)) < 1e-10
    assert abs(np.mean(mu - y)) < 1e-10
    theirs = SkPoisson(alpha=alpha, solver="newton-cholesky", tol=1e-12, max_iter=1000).fit(X, y)
    assert (
        _objective(X, y, alpha, ours.coef_, ours.intercept_)
        <= _objective(X, y, alpha, theirs.coef_, theirs.intercept_) + 1e-14
    )


def test_poisson_ridge_on_correlated_columns_past_the_old_budget():
    """2000x400, correlation 0.9 (3.2e8 flops a direction: past the former 2e8 budget,
    where coordinate-descent directions took 100 steps and stopped 28% off): the
    exact direction, a few steps, scikit-learn's newton-cholesky answer."""
    rng = np.random.default_rng(30)
    n, p = 2000, 400
    common = rng.standard_normal((n, 1))
    X = np.sqrt(0.9) * common + np.sqrt(0.1) * rng.standard_normal((n, p))
    y = rng.poisson(np.exp(0.3 + X[:, :5] @ np.full(5, 0.1)))
    ours = PoissonRegressor(alpha=1e-2, tol=1e-8).fit(X, y)
    reference = SkPoisson(alpha=1e-2, solver="newton-cholesky", tol=1e-12).fit(X, y)
    assert ours.n_iter_ <= 10
    np.testing.assert_allclose(ours.coef_, reference.coef_, rtol=1e-5, atol=1e-7)
