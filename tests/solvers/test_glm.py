"""The generic GLM solver on datafits other than the logistic loss.

References: scikit-learn's ``PoissonRegressor`` and ``GammaRegressor`` (ridge), the
KKT conditions written out in NumPy (lasso), and SciPy's L-BFGS on the objective
written out here (with an offset).
"""

import numpy as np
import pytest
from scipy.optimize import minimize
from sklearn.linear_model import GammaRegressor, PoissonRegressor

from shrinkage.datafits import DATAFITS, Quadratic, register_datafit
from shrinkage.path import regularization_path
from shrinkage.solvers.logistic import MultinomialProblem
from shrinkage.solvers.step import screened_solve


def _counts(rng, n=200, p=6):
    X = rng.standard_normal((n, p))
    eta = 0.3 + X @ np.array([0.5, -0.3, 0.0, 0.2, 0.0, 0.1])
    exposure = rng.uniform(0.5, 2.0, n)
    y = rng.poisson(exposure * np.exp(eta)).astype(float)
    return X, y, np.log(exposure)


def _poisson_kkt(X, y, offset, coef, intercept, alpha, l1_ratio=1.0):
    """Largest KKT violation of mean(e^η − yη) + α‖β‖₁, with h = 1/n."""
    eta = offset + intercept + X @ coef
    residual = (np.exp(eta) - y) / y.size
    gradient = X.T @ residual
    on = coef != 0
    violation = np.where(
        on, np.abs(gradient + alpha * l1_ratio * np.sign(coef)), np.abs(gradient) - alpha
    )
    return max(violation.max(), abs(residual.sum()))


def test_poisson_ridge_equals_scikit_learn(rng):
    X, y, _ = _counts(rng)
    alpha = 0.05
    result = regularization_path(X, y, loss="poisson", l1_ratio=0.0, alphas=[alpha], tol=1e-12)
    reference = PoissonRegressor(alpha=alpha, tol=1e-12, max_iter=10_000).fit(X, y)
    np.testing.assert_allclose(result.coefs[:, 0], reference.coef_, rtol=1e-7, atol=1e-9)
    assert result.intercepts[0] == pytest.approx(reference.intercept_, rel=1e-7)
    assert result.converged.all()


def test_gamma_ridge_equals_scikit_learn(rng):
    X = rng.standard_normal((150, 4))
    y = rng.gamma(2.0, np.exp(0.2 + X @ np.array([0.3, -0.2, 0.0, 0.1])) / 2.0)
    alpha = 0.02
    result = regularization_path(X, y, loss="gamma", l1_ratio=0.0, alphas=[alpha], tol=1e-12)
    reference = GammaRegressor(alpha=alpha, tol=1e-12, max_iter=10_000).fit(X, y)
    np.testing.assert_allclose(result.coefs[:, 0], reference.coef_, rtol=1e-6, atol=1e-9)
    assert result.intercepts[0] == pytest.approx(reference.intercept_, rel=1e-6)


@pytest.mark.parametrize("with_offset", [False, True])
def test_poisson_lasso_path_meets_the_kkt_conditions(rng, with_offset):
    X, y, log_exposure = _counts(rng)
    offset = log_exposure if with_offset else np.zeros(y.size)
    result = regularization_path(
        X, y, loss="poisson", alphas=8, tol=1e-10, offset=offset if with_offset else None
    )
    assert result.converged.all()
    assert result.coefs[:, 0].tolist() == [0.0] * X.shape[1]  # alpha_max: all zero
    assert 0 < result.n_nonzero[-1]
    for k, alpha in enumerate(result.alphas):
        violation = _poisson_kkt(X, y, offset, result.coefs[:, k], result.intercepts[k], alpha)
        assert violation < 1e-8


def test_poisson_with_offset_equals_a_direct_fit(rng):
    """Elastic net with a ridge part only on the smooth side: compare with L-BFGS on
    mean(e^η − yη) + α/2‖β‖², η = offset + β₀ + Xβ, written out here."""
    X, y, offset = _counts(rng)
    alpha = 0.03
    n, p = X.shape

    def objective(theta):
        eta = offset + theta[0] + X @ theta[1:]
        mean = np.exp(eta)
        value = np.mean(mean - y * eta) + 0.5 * alpha * theta[1:] @ theta[1:]
        residual = (mean - y) / n
        return value, np.concatenate([[residual.sum()], X.T @ residual + alpha * theta[1:]])

    best = minimize(objective, np.zeros(p + 1), jac=True, method="L-BFGS-B",
                    options={"gtol": 1e-13, "ftol": 1e-16, "maxiter": 10_000})  # fmt: skip
    result = regularization_path(
        X, y, loss="poisson", l1_ratio=0.0, alphas=[alpha], tol=1e-12, offset=offset
    )
    np.testing.assert_allclose(result.coefs[:, 0], best.x[1:], atol=1e-7)
    assert result.intercepts[0] == pytest.approx(best.x[0], abs=1e-7)


def test_a_new_datafit_needs_no_branch_in_the_path(rng):
    """Register a datafit under a new name: the path solves it with the generic GLM
    solver. (Least squares by proximal Newton must give least squares.)"""

    class SquaredByNewton(Quadratic):
        name = "squared_error_by_newton"

    register_datafit(SquaredByNewton)
    try:
        X = rng.standard_normal((80, 5))
        y = X @ np.array([1.0, 0.0, -0.5, 0.0, 0.2]) + 0.1 * rng.standard_normal(80)
        glm = regularization_path(X, y, loss="squared_error_by_newton", alphas=6, tol=1e-12)
        lsq = regularization_path(X, y, alphas=glm.alphas, tol=1e-14)
    finally:
        del DATAFITS["squared_error_by_newton"]
    assert glm.loss == "squared_error_by_newton"
    np.testing.assert_allclose(glm.coefs, lsq.coefs, atol=1e-8)


def test_multinomial_takes_the_one_solve_signature(rng):
    """MultinomialProblem runs through the shared screened step; checked on the KKT
    conditions of the softmax lasso, computed here."""
    n, p, k = 150, 5, 3
    X = rng.standard_normal((n, p))
    labels = np.argmax(X[:, :k] + rng.standard_normal((n, k)), axis=1)
    Y = np.eye(k)[labels]
    h = np.full(n, 1 / n)
    problem = MultinomialProblem(X, Y, h, np.ones(p), 1.0, True)
    alpha = 0.3 * problem.alpha_max
    info = screened_solve(problem, alpha, problem.alpha_max, 1e-10, 1000)
    assert info.converged
    eta = X @ problem.coef.T + problem.intercept
    P = np.exp(eta - eta.max(axis=1, keepdims=True))
    P /= P.sum(axis=1, keepdims=True)
    gradient = X.T @ ((P - Y) / n)  # (p, K)
    coef = problem.coef.T
    violation = np.where(
        coef != 0, np.abs(gradient + alpha * np.sign(coef)), np.abs(gradient) - alpha
    )
    assert violation.max() < 1e-9
    assert np.abs((P - Y).sum(axis=0) / n).max() < 1e-9


def test_a_datafit_without_intercept_fits_none(rng):
    """``has_intercept = False`` (as Cox's partial likelihood): no intercept is fitted,
    whatever ``fit_intercept`` says, and the KKT conditions hold without one."""
    from shrinkage.datafits import Poisson
    from shrinkage.solvers.glm import GLMProblem

    class PoissonThroughOrigin(Poisson):
        has_intercept = False

    X, y, _ = _counts(rng)
    n, p = X.shape
    problem = GLMProblem(PoissonThroughOrigin(), X, y, np.full(n, 1 / n), np.ones(p))
    alpha = 0.2 * problem.alpha_max
    info = screened_solve(problem, alpha, problem.alpha_max, 1e-10, 1000)
    assert info.converged and problem.intercept == 0.0
    gradient = X.T @ ((np.exp(X @ problem.coef) - y) / n)
    on = problem.coef != 0
    assert on.any()
    assert np.abs(gradient[on] + alpha * np.sign(problem.coef[on])).max() < 1e-8
    assert np.abs(gradient[~on]).max() <= alpha + 1e-8
