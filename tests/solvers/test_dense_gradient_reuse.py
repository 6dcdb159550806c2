"""The dense residual routes reuse a working set's gradient for the full one (the KKT
check after a working-set gap): checked against gradients, gaps and solutions computed
from scratch (NumPy, scikit-learn)."""

import numpy as np
from sklearn.linear_model import Lasso as SklearnLasso
from sklearn.linear_model import lasso_path as sklearn_lasso_path

from shrinkage import Lasso, regularization_path
from shrinkage.penalties import Box
from shrinkage.solvers._designs import DenseDesign


def _wide(rng, n, p, rho=0.5, scaled=False):
    X = rng.standard_normal((n, p))
    for j in range(1, p):
        X[:, j] = rho * X[:, j - 1] + np.sqrt(1 - rho**2) * X[:, j]
    if scaled:  # columns of very different scales and means
        X = X * rng.uniform(0.1, 10.0, p) + rng.uniform(-5.0, 5.0, p)
    coef = np.zeros(p)
    coef[rng.choice(p, 8, replace=False)] = rng.uniform(1.0, 2.0, 8)
    return X, X @ coef + 0.5 * rng.standard_normal(n)


def _scratch_gradient(X, h, mu, r):
    return (X - mu).T @ (h * r)


def test_full_gradient_after_working_set_gradient_matches_scratch():
    rng = np.random.default_rng(0)
    X, y = _wide(rng, 50, 200, scaled=True)
    h = np.full(50, 1 / 50)
    mu = h @ X
    design = DenseDesign(X, h, mu, y - h @ y)
    coef = np.zeros(200)
    l1 = np.full(200, 0.05 * np.max(np.abs(_scratch_gradient(X, h, mu, design.r))))
    box = Box(np.full(200, -np.inf), np.full(200, np.inf))
    features = np.arange(0, 200, 3)
    design.run(coef, features, l1, np.zeros(200), box, 10, 1e-12)
    design.gradient_on(features)
    expected = _scratch_gradient(X, h, mu, design.r)
    np.testing.assert_allclose(design.gradient(), expected, rtol=1e-10, atol=1e-12)
    # Once the residual moves, the stored values are not reused.
    design.gradient_on(features)
    design.run(coef, np.arange(200), l1 * 0.5, np.zeros(200), box, 1, 1e-14)
    expected = _scratch_gradient(X, h, mu, design.r)
    np.testing.assert_allclose(design.gradient(), expected, rtol=1e-10, atol=1e-12)


def _gap_from_scratch(X, y, coef, alpha):
    """The Lasso duality gap at ``coef`` (intercept profiled out), from NumPy alone."""
    n = X.shape[0]
    Xc, yc = X - X.mean(0), y - y.mean()
    r = yc - Xc @ coef
    primal = 0.5 * r @ r / n + alpha * np.abs(coef).sum()
    theta = r * min(1.0, alpha / np.max(np.abs(Xc.T @ r / n)))
    dual = 0.5 * yc @ yc / n - 0.5 * np.sum((yc - theta) ** 2) / n
    return primal - dual


def test_wide_single_fits_agree_with_sklearn_and_certify_their_gap():
    rng = np.random.default_rng(1)
    for n, p, rho, scaled in [(60, 400, 0.0, False), (80, 300, 0.9, True), (40, 500, 0.5, True)]:
        X, y = _wide(rng, n, p, rho, scaled)
        top = np.max(np.abs((X - X.mean(0)).T @ (y - y.mean()))) / n
        for alpha in (top / 20, top / 200):
            ours = Lasso(alpha=alpha, tol=1e-10, max_iter=100_000).fit(X, y)
            theirs = SklearnLasso(alpha=alpha, tol=1e-12, max_iter=200_000).fit(X, y)
            scale = np.max(np.abs(theirs.coef_))
            np.testing.assert_allclose(ours.coef_, theirs.coef_, atol=1e-6 * scale)
            assert ours.dual_gap_ >= _gap_from_scratch(X, y, ours.coef_, alpha) - 1e-12


def test_wide_compiled_path_agrees_with_sklearn_and_certifies_its_gaps():
    rng = np.random.default_rng(2)
    for n, p, rho, scaled in [(60, 400, 0.0, True), (50, 300, 0.9, False)]:
        X, y = _wide(rng, n, p, rho, scaled)
        top = np.max(np.abs((X - X.mean(0)).T @ (y - y.mean()))) / n
        alphas = np.geomspace(top, top / 100, 30)
        path = regularization_path(X, y, alphas=alphas, tol=1e-10, max_iter=100_000)
        _, reference, _ = sklearn_lasso_path(
            X - X.mean(0), y - y.mean(), alphas=alphas, tol=1e-12, max_iter=200_000
        )
        np.testing.assert_allclose(path.coefs, reference, atol=1e-6 * np.max(np.abs(reference)))
        for k, alpha in enumerate(alphas):
            scratch = _gap_from_scratch(X, y, path.coefs[:, k], alpha)
            assert path.duality_gaps[k] >= scratch - 1e-12
