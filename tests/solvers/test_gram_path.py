"""The compiled Gram path (``gram_path``) and the Python working-set path agree.

Both run on the same Gram design; the Python route is forced by a progress callback
(the compiled one only runs without it). Each is also checked on its own against the
KKT conditions written with :mod:`shrinkage.penalties`.
"""

import numpy as np
import pytest

from shrinkage.path import alpha_grid, solve_path
from shrinkage.penalties import Box, kkt_violation, penalty_strengths
from shrinkage.solvers.problems import LeastSquaresProblem


def _data(rng, n=120, p=15):
    X = rng.standard_normal((n, p))
    X[:, 1] = X[:, 0] + rng.standard_normal(n)  # correlated pair (well conditioned)
    coef = np.zeros(p)
    coef[:4] = [2.0, -1.0, 0.5, 1.5]
    y = X @ coef + 0.5 * rng.standard_normal(n)
    h = rng.random(n) + 0.5
    return X, y, h / h.sum()


def _problem(X, y, h, l1_ratio, positive):
    return LeastSquaresProblem(
        X, y, h, np.ones(X.shape[1]), l1_ratio, positive, True, precompute=True
    )


def _box(p):
    """Bounds that bind on the large coefficients, some sides open, one fixed at 0."""
    lower = np.full(p, -np.inf)
    upper = np.full(p, np.inf)
    lower[[1, 5]] = [-0.4, 0.0]
    upper[[0, 3, 6]] = [1.2, 0.8, 0.0]
    return Box(lower, upper)


@pytest.mark.parametrize(
    ("l1_ratio", "positive"),
    [(1.0, False), (0.5, False), (1.0, True), (0.3, True), (1.0, "box"), (0.4, "box")],
)
def test_gram_path_equals_python_path(rng, l1_ratio, positive):
    X, y, h = _data(rng)
    if positive == "box":
        positive = _box(X.shape[1])
    compiled = _problem(X, y, h, l1_ratio, positive)
    grid = alpha_grid(compiled.alpha_max, 12, 1e-3)
    fast = solve_path(compiled, grid, 1e-15, 100_000)
    python = solve_path(
        _problem(X, y, h, l1_ratio, positive), grid, 1e-15, 100_000, progress=lambda *a: None
    )
    assert fast.converged.all() and python.converged.all()
    np.testing.assert_allclose(fast.coefs, python.coefs, atol=1e-8)
    np.testing.assert_allclose(fast.intercepts, python.intercepts, atol=1e-8)
    # and each satisfies the optimality conditions, computed independently
    Xc = X - h @ X
    yc = y - h @ y
    for result in (fast, python):
        for k, alpha in enumerate(grid):
            coef = result.coefs[:, k]
            neg_gradient = Xc.T @ (h * (yc - Xc @ coef))
            l1, l2 = penalty_strengths(alpha, l1_ratio, np.ones(X.shape[1]))
            assert kkt_violation(neg_gradient, coef, l1, l2, positive).max() < 1e-6
            if positive is True:
                assert (coef >= 0).all()
            elif positive is not False:
                assert np.all((positive.lower <= coef) & (coef <= positive.upper))
    if positive is not False and positive is not True:  # the box binds
        assert np.any(fast.coefs[[0, 1, 3]] == np.array([[1.2], [-0.4], [0.8]]))
