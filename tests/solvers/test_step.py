"""The shared step (warm start, screen, solve, check) against scikit-learn and KKT."""

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import Lasso as SkLasso

from shrinkage.solvers.problems import LeastSquaresProblem
from shrinkage.solvers.step import screened_solve, solve_and_check


def _problem(seed=0, n=80, p=30):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p))
    y = X[:, :3] @ np.array([2.0, -1.0, 0.5]) + rng.standard_normal(n)
    h = np.full(n, 1.0 / n)
    return X, y, LeastSquaresProblem(X, y, h, np.ones(p), 1.0, False, True, False)


def test_screened_solve_matches_sklearn_from_cold_and_warm_starts():
    X, y, problem = _problem()
    alphas = np.geomspace(problem.alpha_max, problem.alpha_max / 50, 6)
    previous = problem.alpha_max
    for alpha in alphas:
        info = screened_solve(problem, alpha, previous, 1e-12, 10_000)
        assert info.converged
        reference = SkLasso(alpha=alpha, tol=1e-12, max_iter=100_000).fit(X, y)
        np.testing.assert_allclose(problem.coef, reference.coef_, atol=1e-8)
        previous = alpha


def test_solve_and_check_warns_with_advice_when_not_converged():
    _, _, problem = _problem(n=40, p=60)
    with pytest.warns(ConvergenceWarning, match="Try increasing max_iter"):
        solve_and_check(problem, problem.alpha_max / 1000, problem.alpha_max, 1e-14, 1)


def test_solve_and_check_refuses_non_finite_coefficients():
    _, _, problem = _problem()
    alpha_max = problem.alpha_max
    problem.coef[0] = np.nan  # what an overflowing solve leaves behind
    problem.solve = lambda *args, **kwargs: type("Info", (), {"duality_gap": 0.0})()
    with pytest.raises(ValueError, match="non-finite parameter values"):
        solve_and_check(problem, alpha_max / 2, alpha_max, 1e-4, 10)
