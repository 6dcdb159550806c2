"""The smooth (L2-only) multinomial solve: L-BFGS, handing over to exact Newton.

References are independent of the solver: the gradient of the penalized softmax loss
written out in NumPy, and SciPy's ``trust-exact`` Newton on the same objective at a
tolerance far below the estimator's.
"""

import numpy as np
import pytest
from scipy.optimize import minimize
from scipy.special import log_softmax, softmax

from shrinkage import LogisticRegression
from shrinkage.solvers._multinomial_kernels import column_sums
from shrinkage.solvers.logistic import _HandOver, _lbfgs_budget, _ProgressWatch


def _objective(theta, X, Y, C):
    """scikit-learn's scaling: mean loss + ||B||²/(2Cn)."""
    n, p = X.shape
    K = Y.shape[1]
    B = theta[: K * p].reshape(K, p)
    eta = X @ B.T + theta[K * p :]
    residual = (softmax(eta, axis=1) - Y) / n
    value = -np.sum(Y * log_softmax(eta, axis=1)) / n + 0.5 * np.sum(B * B) / (C * n)
    gradient = np.concatenate([(residual.T @ X + B / (C * n)).ravel(), residual.sum(axis=0)])
    hessian = np.zeros((theta.size, theta.size))
    P = softmax(eta, axis=1)
    design = np.hstack([X, np.ones((n, 1))])
    for k in range(K):
        for m in range(K):
            w = ((k == m) * P[:, k] - P[:, k] * P[:, m]) / n
            block = design.T @ (w[:, None] * design)
            rows = list(range(k * p, (k + 1) * p)) + [K * p + k]
            cols = list(range(m * p, (m + 1) * p)) + [K * p + m]
            hessian[np.ix_(rows, cols)] += block
    hessian[: K * p, : K * p] += np.eye(K * p) / (C * n)
    return value, gradient, hessian


def _mixed_table(raw_scales):
    """One-hot, 0/1 and Gaussian columns, 5 classes; optionally on scales 1, 100, 1e4."""
    rng = np.random.default_rng(11)
    n = 1500
    onehot = np.eye(6)[rng.integers(0, 6, (n, 3))].reshape(n, -1)
    binary = (rng.random((n, 4)) < 0.3).astype(float)
    gaussian = rng.standard_normal((n, 3))
    X = np.hstack([onehot, binary, gaussian])
    score = X @ rng.standard_normal(X.shape[1]) * 0.5 + rng.standard_normal(n)
    y = np.digitize(score, np.quantile(score, [0.2, 0.4, 0.6, 0.8]))
    if raw_scales:
        X[:, -2] *= 100.0
        X[:, -1] *= 1e4
    return X, y


@pytest.mark.parametrize("raw_scales", [False, True])
@pytest.mark.parametrize("C", [0.01, 1.0, 1e4])
def test_default_fit_meets_its_tolerance_and_the_newton_reference(raw_scales, C):
    """Well scaled, L-BFGS alone converges; on raw scales it crawls and Newton finishes.
    Either way the gradient (NumPy's) is within ``tol``, and the objective and the
    probabilities agree with SciPy's exact-Hessian trust region run to 1e-12 (near
    one-hot directions have curvature 1/(Cn) only, so a gradient of ``tol`` still
    allows 1e-4 in the probabilities at C = 1e4)."""
    X, y = _mixed_table(raw_scales)
    Y = np.eye(5)[y]
    model = LogisticRegression(C=C, tol=1e-6).fit(X, y)
    theta = np.concatenate([model.coef_.ravel(), model.intercept_])
    value, gradient, _ = _objective(theta, X, Y, C)
    assert np.max(np.abs(gradient)) <= 1e-6
    # The last intercept fixed at 0: softmax ignores a shift common to every class,
    # so this is the same problem with a nonsingular Hessian (SciPy 1.10's trust-exact
    # does not return on the singular one).
    def reduced(t):
        value, gradient, hessian = _objective(np.append(t, 0.0), X, Y, C)
        return value, gradient[:-1], hessian[:-1, :-1]

    reference = minimize(
        lambda t: reduced(t)[:2],
        np.zeros(theta.size - 1),
        jac=True,
        hess=lambda t: reduced(t)[2],
        method="trust-exact",
        options={"gtol": 1e-12, "maxiter": 500},
    )
    assert value - reference.fun <= 1e-7 * reference.fun
    reference_coef = reference.x[: 5 * X.shape[1]].reshape(5, -1)
    reference_eta = X @ reference_coef.T + np.append(reference.x[5 * X.shape[1] :], 0.0)
    np.testing.assert_allclose(model.predict_proba(X), softmax(reference_eta, axis=1), atol=1e-4)


def test_progress_watch_hands_over_only_when_the_forecast_exceeds_the_budget():
    """A gradient shrinking 10× every 3 evaluations from 1 reaches 1e-6 in 18: within
    a budget of 30, no hand-over. Shrinking 10× every 30 evaluations forecasts 180:
    handed over at the first check, with the point of lowest objective kept."""
    fast = _ProgressWatch(tol=1e-6, budget=30)
    for k in range(18):
        fast.observe(np.full(2, k), 1.0 / (k + 1), np.full(2, 10.0 ** (-k / 3)))
    slow = _ProgressWatch(tol=1e-6, budget=30)
    with pytest.raises(_HandOver):
        for k in range(30):
            value = -1.0 if k == 4 else 5.0 - 0.1 * k
            slow.observe(np.full(2, k), value, np.full(2, 10.0 ** (-k / 30)))
    assert slow.count == 11  # the first evaluation after the 10 it waits for
    np.testing.assert_array_equal(slow.best_theta, [4.0, 4.0])
    # no progress at all: handed over too
    flat = _ProgressWatch(tol=1e-6, budget=1000)
    with pytest.raises(_HandOver):
        for _ in range(20):
            flat.observe(np.zeros(1), 1.0, np.ones(1))


def test_lbfgs_budget_grows_with_the_hessian_cost():
    """Two Newton steps' worth: none for a small table (Newton at once), tens of
    iterations for a tall one with 5 classes and 32 features."""
    assert _lbfgs_budget(178, 13, 3) < 10
    assert 30 <= _lbfgs_budget(3000, 32, 5) <= 200
    assert _lbfgs_budget(3000, 32, 5) < _lbfgs_budget(3000, 50, 5)


def test_column_sums_equal_numpy_sums():
    rng = np.random.default_rng(0)
    for shape in [(3000, 5), (1, 3), (7, 1)]:
        A = rng.standard_normal(shape)
        np.testing.assert_allclose(column_sums(A), A.sum(axis=0), rtol=1e-12, atol=1e-12)
