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


@pytest.mark.parametrize("positive", [False, True])
def test_correlated_lasso_path_matches_scikit_learn(positive):
    """n ≈ 2p, AR(1) 0.8: the path takes exact active-set steps, sweeps only the zero
    coordinates after them and skips the KKT gradient while its updates cover every
    feature (working set > p/4). Reference: scikit-learn's ``lasso_path`` at a tight
    tolerance; every alpha's objective within 1e-6 (relative) and a true gap ≤ tol."""
    from sklearn.linear_model import lasso_path

    rng = np.random.default_rng(3)
    n, p = 240, 120
    X = np.empty((n, p))
    X[:, 0] = rng.standard_normal(n)
    for j in range(1, p):
        X[:, j] = 0.8 * X[:, j - 1] + 0.6 * rng.standard_normal(n)
    y = X[:, ::7] @ rng.standard_normal(X[:, ::7].shape[1]) + rng.standard_normal(n)
    h = np.full(n, 1.0 / n)
    problem = _problem(X, y, h, 1.0, positive)
    alphas = alpha_grid(problem.alpha_max, 60, 1e-3)
    path = solve_path(problem, alphas, 1e-8, 100_000)
    assert path.converged.all()
    assert np.all(path.duality_gaps <= 1e-8 * problem.target_norm2)
    Xc, yc = X - X.mean(axis=0), y - y.mean()
    _, reference, _ = lasso_path(Xc, yc, alphas=alphas, tol=1e-14, max_iter=1_000_000,
                                 positive=positive)

    def objective(coef, alpha):
        r = yc - Xc @ coef
        return r @ r / (2 * n) + alpha * np.abs(coef).sum()

    for k, alpha in enumerate(alphas):
        ours, theirs = objective(path.coefs[:, k], alpha), objective(reference[:, k], alpha)
        assert ours <= theirs * (1 + 1e-6)
