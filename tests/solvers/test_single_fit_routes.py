"""One fit on a small dense design: the route chosen (Gram blocks or the compiled
residual path, ``_covariance.gram_blocks_pay``) and the answer, against scikit-learn."""

import numpy as np
import pytest
import sklearn.linear_model as skl

from shrinkage import Lasso
from shrinkage.solvers._covariance import gram_blocks_pay
from shrinkage.solvers.constants import SMALL_SINGLE_FIT, TINY_SINGLE_FIT
from shrinkage.solvers.dense_path import run_dense_path
from shrinkage.solvers.problems import LeastSquaresProblem


def ar1(n, p, rho, seed=0):
    rng = np.random.default_rng(seed)
    noise = rng.standard_normal((n, p))
    X = np.empty_like(noise)
    X[:, 0] = noise[:, 0]
    for j in range(1, p):
        X[:, j] = rho * X[:, j - 1] + np.sqrt(1 - rho**2) * noise[:, j]
    coef = np.zeros(p)
    coef[rng.choice(p, p // 10, replace=False)] = rng.standard_normal(p // 10)
    return X, X @ coef + rng.standard_normal(n) * np.std(X @ coef)


def blocks_pay(X, y):
    n = X.shape[0]
    return gram_blocks_pay(X, np.full(n, 1.0 / n), y - y.mean())


def test_the_route_follows_size_and_crowding():
    X, y = ar1(900, 250, 0.0)  # small, not crowded: the residual
    assert X.size <= SMALL_SINGLE_FIT and not blocks_pay(X, y)
    X, y = ar1(900, 250, 0.95)  # small, crowded: the Gram blocks
    assert blocks_pay(X, y)
    X, y = ar1(200, 50, 0.95)  # tiny: the residual even when crowded
    assert X.size <= TINY_SINGLE_FIT and not blocks_pay(X, y)
    X, y = ar1(3000, 30, 0.0)  # at most MIN_GROWTH features: the whole small Gram
    assert blocks_pay(X, y)
    X, y = ar1(4000, 100, 0.0)  # large: the blocks, as before
    assert X.size > SMALL_SINGLE_FIT and blocks_pay(X, y)
    X, y = ar1(900, 250, 0.0)
    assert blocks_pay(X.astype(np.float32), y)  # float32: the blocks


@pytest.mark.parametrize(
    ("n", "p", "rho"), [(900, 250, 0.0), (900, 250, 0.6), (900, 250, 0.95), (200, 50, 0.95),
                        (1797, 64, 0.6)],
)
@pytest.mark.parametrize("divisor", [20, 2000])
@pytest.mark.parametrize("variant", ["plain", "weights", "no-intercept"])
def test_a_small_fit_lands_on_scikit_learns_optimum(n, p, rho, divisor, variant):
    X, y = ar1(n, p, rho, seed=n + p)
    w = np.random.default_rng(1).uniform(0.2, 3.0, n) if variant == "weights" else None
    fit_intercept = variant != "no-intercept"
    Xc = X - X.mean(0) if fit_intercept else X
    alpha = np.max(np.abs(Xc.T @ (y - (y.mean() if fit_intercept else 0)))) / n / divisor
    ours = Lasso(alpha=alpha, tol=1e-10, fit_intercept=fit_intercept).fit(X, y, w)
    ref = skl.Lasso(alpha=alpha, tol=1e-13, max_iter=1_000_000, fit_intercept=fit_intercept)
    ref.fit(X, y, sample_weight=w)
    h = np.ones(n) if w is None else w

    def objective(model):
        r = y - X @ model.coef_ - model.intercept_
        return 0.5 * np.sum(h * r * r) / h.sum() + alpha * np.abs(model.coef_).sum()

    assert objective(ours) - objective(ref) <= 1e-9 * objective(ref)
    np.testing.assert_array_equal(ours.coef_ != 0, ref.coef_ != 0)


def test_the_cache_credit_changes_the_work_not_the_answer():
    # A path caching its Gram entries at once (inf) or only once paid for (0): the same
    # solutions to the tolerance, the same certificates.
    X, y = ar1(300, 900, 0.6)
    n = X.shape[0]
    answers = []
    for credit in (np.inf, 0.0):
        problem = LeastSquaresProblem(X, y, np.full(n, 1.0 / n), np.ones(X.shape[1]))
        alphas = problem.alpha_max * np.geomspace(1.0, 0.01, 20)
        coefs, gaps, _, converged, _ = run_dense_path(problem, alphas, 1e-10, 10_000, credit)
        assert converged.all()
        answers.append(coefs)
    np.testing.assert_allclose(answers[0], answers[1], atol=1e-6)
