"""The compiled GLM path (solvers/_glm_kernels.py; datafits: _glm_datafits.py) against
independent references:

- its per-sample math against datafits.py's NumPy versions;
- its path against GLMProblem's Python proximal-Newton path (same stopping rule);
- its solutions against the KKT conditions, computed here with NumPy;
- its objective against scikit-learn's LogisticRegression (L1, saga) and
  PoissonRegressor (L2), solved to tight tolerances.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.linear_model import LogisticRegression, PoissonRegressor
from sklearn_versions import l1_logistic

from shrinkage.datafits import Gamma, Logistic, Poisson
from shrinkage.path import alpha_grid, make_problem, regularization_path, solve_path
from shrinkage.penalties import Box, kkt_violation, penalty_strengths, penalty_value
from shrinkage.solvers import _glm_datafits as kernels
from shrinkage.solvers.glm import glm_path_applies

FAMILIES = {"logistic": (kernels.LOGISTIC, Logistic), "poisson": (kernels.POISSON, Poisson),
            "gamma": (kernels.GAMMA, Gamma)}  # fmt: skip


def _data(loss, n=200, p=25, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p))
    X[:, 3] += 2.0  # a column with a mean: the intercept must be profiled out
    beta = np.zeros(p)
    beta[:6] = rng.uniform(-1, 1, 6)
    eta = 0.4 * X @ beta
    if loss == "logistic":
        y = (rng.random(n) < 1 / (1 + np.exp(-eta))).astype(float)
    elif loss == "poisson":
        y = rng.poisson(np.exp(eta)).astype(float)
    else:
        y = rng.gamma(2.0, np.exp(eta) / 2.0)
    return X, y, rng


# ------------------------------------------------------------ per-sample math -------
@pytest.mark.parametrize("loss", ["logistic", "poisson", "gamma"])
def test_pointwise_math_equals_datafits(loss):
    code, datafit = FAMILIES[loss]
    rng = np.random.default_rng(1)
    n = 500
    eta = rng.uniform(-30, 30, n) if loss == "logistic" else rng.uniform(-5, 5, n)
    y = {
        "logistic": rng.integers(0, 2, n).astype(float),
        "poisson": rng.poisson(3.0, n).astype(float),
        "gamma": rng.gamma(2.0, 1.0, n),
    }[loss]
    np.testing.assert_allclose(
        kernels.pointwise(code, 1, y, eta), datafit.derivative(y, eta), rtol=1e-13, atol=1e-15
    )
    np.testing.assert_allclose(
        kernels.pointwise(code, 2, y, eta), datafit.curvature(y, eta), rtol=1e-12, atol=1e-300
    )
    # The one-exp forms the path uses: loss and derivative together, and the
    # curvature from the derivative.
    np.testing.assert_allclose(
        kernels.pointwise(code, 5, y, eta), datafit.derivative(y, eta), rtol=1e-13, atol=1e-15
    )
    np.testing.assert_allclose(
        kernels.pointwise(code, 6, y, eta), datafit.curvature(y, eta), rtol=1e-12, atol=1e-15
    )
    for i in range(0, n, 37):  # value and conjugate are sums: one sample at a time
        h = np.zeros(n)
        h[i] = 1.0
        for what in (0, 4):
            assert kernels.pointwise(code, what, y, eta)[i] == pytest.approx(
                datafit.value(y, eta, h), rel=1e-12, abs=1e-14
            )
    # Conjugate at dual points inside the domain (θ = −ℓ'(η), shrunk) and outside.
    theta = -0.9 * datafit.derivative(y, eta)
    got = kernels.pointwise(code, 3, y, theta)
    for i in range(0, n, 37):
        h = np.zeros(n)
        h[i] = 1.0
        assert got[i] == pytest.approx(datafit.conjugate(y, theta, h), rel=1e-12, abs=1e-14)
    outside = -5.0 if loss == "gamma" else y + 5.0  # μ < 0 (v < 0 for Gamma)
    assert np.isinf(kernels.pointwise(code, 3, y[:1], np.atleast_1d(outside)[:1])[0])


def test_log_polynomial_is_within_four_ulp():
    """The vectorizable ``log`` of the logistic conjugate (the duality gap) against
    NumPy's, over the normal range and around the ``√2`` switch."""
    from numba import njit

    from shrinkage.solvers._logistic_kernels import log_positive

    @njit
    def logs(x, out):
        for i in range(x.size):
            out[i] = log_positive(x[i])

    rng = np.random.default_rng(6)
    x = np.r_[
        rng.random(20_000),
        np.geomspace(2.3e-308, 1.7e308, 20_001),
        np.nextafter(np.sqrt(2.0), [0.0, 3.0]),
        1.0,
        0.5,
        1.0 - 1e-16,
    ]
    out = np.empty_like(x)
    logs(x, out)
    expected = np.log(x)
    # 3 ulp at worst (measured): the series and k·log 2 round separately.
    assert np.all(np.abs(out - expected) <= 4 * np.spacing(np.abs(expected)) + 1e-300)


# --------------------------------------------------------- against GLMProblem -------
def _both_paths(loss, X, y, n_alphas=25, eps=1e-2, tol=1e-10, **options):
    h = options.pop("h", np.full(X.shape[0], 1.0 / X.shape[0]))
    weights = options.pop("penalty_weights", np.ones(X.shape[1]))
    kwargs = dict(
        loss=loss,
        h=h,
        penalty_weights=weights,
        l1_ratio=options.pop("l1_ratio", 1.0),
        positive=options.pop("positive", False),
        fit_intercept=options.pop("fit_intercept", True),
        offset=options.pop("offset", None),
    )
    problem = make_problem(X, y, **kwargs)
    grid = options.pop("grid", None)
    if grid is None:
        grid = alpha_grid(problem.alpha_max, n_alphas, eps)
    assert glm_path_applies(problem)
    compiled = solve_path(problem, grid, tol, 10_000)  # dispatches to glm_path
    # A progress callback keeps solve_path on the Python solver.
    python = solve_path(make_problem(X, y, **kwargs), grid, tol, 10_000, progress=_quiet)
    return compiled, python, problem


def _quiet(*args):
    return None


@pytest.mark.parametrize("loss", ["logistic", "poisson"])
@pytest.mark.parametrize("l1_ratio", [1.0, 0.5, 0.0])
@pytest.mark.parametrize("positive", [False, True, "box"])
def test_equals_python_path(loss, l1_ratio, positive):
    X, y, rng = _data(loss)
    n, p = X.shape
    if positive == "box":  # bounds that bind, some sides open, on penalized features too
        lower, upper = np.full(p, -np.inf), np.full(p, np.inf)
        lower[::3], upper[1::3] = -0.05, 0.05
        upper[2] = 0.0  # an unpenalized feature held at its bound
        positive = Box(lower, upper)
    sample_weight = rng.uniform(0.2, 2.0, n)
    sample_weight[:10] = 0.0  # zero weights: rows that must not count
    weights = rng.uniform(0.5, 2.0, p)
    weights[[2, 7]] = 0.0  # unpenalized
    offset = rng.normal(0, 0.3, n)
    grid = None
    if l1_ratio == 0.0:
        grid = np.geomspace(1.0, 1e-3, 20)
    compiled, python, problem = _both_paths(
        loss,
        X,
        y,
        h=sample_weight / sample_weight.sum(),
        penalty_weights=weights,
        l1_ratio=l1_ratio,
        positive=positive,
        offset=offset,
        grid=grid,
    )
    assert compiled.converged.all() and python.converged.all()
    np.testing.assert_allclose(compiled.coefs, python.coefs, atol=1e-7)
    np.testing.assert_allclose(compiled.intercepts, python.intercepts, atol=1e-7)
    # Same zeros (the support is what a lasso path reports).
    if l1_ratio > 0:
        both = (np.abs(compiled.coefs) > 1e-6) | (np.abs(python.coefs) > 1e-6)
        assert np.array_equal((compiled.coefs != 0)[both], (python.coefs != 0)[both])
    np.testing.assert_allclose(compiled.duality_gaps, python.duality_gaps, atol=1e-9)
    if positive is True:
        assert (compiled.coefs[weights > 0] >= 0).all()
    elif positive is not False:
        inside = (positive.lower[:, None] <= compiled.coefs) & (
            compiled.coefs <= positive.upper[:, None]
        )
        assert inside.all()
        assert np.any(np.isclose(compiled.coefs, positive.upper[:, None]) & (compiled.coefs != 0))


@pytest.mark.parametrize("loss", ["logistic", "poisson", "gamma"])
def test_kkt_at_every_alpha(loss):
    """The KKT conditions, from datafits.py's gradient, hold at every alpha."""
    X, y, rng = _data(loss, n=300, p=40, seed=3)
    tol = 1e-8
    compiled, _, problem = _both_paths(loss, X, y, n_alphas=30, tol=tol, l1_ratio=0.7)
    datafit = FAMILIES[loss][1]
    h = np.full(X.shape[0], 1.0 / X.shape[0])
    target = problem.absolute_tol(tol)
    for k, alpha in enumerate(compiled.alphas):
        coef = compiled.coefs[:, k]
        eta = compiled.intercepts[k] + X @ coef
        scaled = -datafit.gradient(y, eta, h)
        l1, l2 = penalty_strengths(alpha, 0.7, np.ones(X.shape[1]))
        assert kkt_violation(X.T @ scaled, coef, l1, l2, False).max() <= target
        assert abs(scaled.sum()) <= target
        assert compiled.duality_gaps[k] >= 0 and np.isfinite(compiled.duality_gaps[k])


def test_no_intercept_matches_python():
    X, y, _ = _data("poisson", seed=5)
    compiled, python, _ = _both_paths("poisson", X, y, fit_intercept=False, l1_ratio=0.5)
    np.testing.assert_allclose(compiled.coefs, python.coefs, atol=1e-7)
    assert (compiled.intercepts == 0).all()


# --------------------------------------------------------- against scikit-learn -----
def test_l1_logistic_objective_matches_sklearn():
    """Ours minimizes (1/n)Σℓ + α‖β‖₁; scikit-learn's C-form is the same with
    C = 1/(nα) (and an unpenalized intercept under saga)."""
    X, y, _ = _data("logistic", n=150, p=10, seed=7)
    n = X.shape[0]
    result = regularization_path(X, y, loss="logistic", alphas=8, eps=0.05, tol=1e-10)
    h = np.full(n, 1.0 / n)
    for k in (2, 5, 7):
        alpha = result.alphas[k]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            sk = LogisticRegression(
                C=1.0 / (n * alpha), **l1_logistic(), solver="saga", tol=1e-12, max_iter=200_000
            ).fit(X, y)

        def objective(b0, b, alpha=alpha):
            return Logistic.value(y, b0 + X @ b, h) + penalty_value(
                b, alpha * np.ones(b.size), np.zeros(b.size)
            )

        ours = objective(result.intercepts[k], result.coefs[:, k])
        theirs = objective(float(sk.intercept_[0]), sk.coef_.ravel())
        assert ours <= theirs + 1e-10
        assert theirs - ours <= 1e-7
        np.testing.assert_allclose(result.coefs[:, k], sk.coef_.ravel(), atol=1e-4)


def test_ridge_poisson_matches_sklearn():
    """l1_ratio = 0: ours is (1/n)Σ(e^η − yη) + α/2‖β‖², PoissonRegressor's objective."""
    X, y, _ = _data("poisson", n=300, p=12, seed=11)
    alphas = np.array([0.5, 0.1, 0.02])
    result = regularization_path(X, y, loss="poisson", l1_ratio=0.0, alphas=alphas, tol=1e-10)
    for k, alpha in enumerate(alphas):
        sk = PoissonRegressor(alpha=alpha, tol=1e-12, max_iter=10_000).fit(X, y)
        np.testing.assert_allclose(result.coefs[:, k], sk.coef_, atol=1e-6)
        assert result.intercepts[k] == pytest.approx(sk.intercept_, abs=1e-6)


# ------------------------------------------------------------- dispatch, safety -----
def test_applies_only_to_known_datafits():
    """Logistic, Poisson, Gamma on dense or sparse X (test_glm_path_sparse.py); not
    least squares (its own paths)."""
    X, y, _ = _data("logistic")
    common = dict(h=np.full(X.shape[0], 1 / X.shape[0]), penalty_weights=np.ones(X.shape[1]),
                  l1_ratio=1.0, positive=False, fit_intercept=True)  # fmt: skip
    assert glm_path_applies(make_problem(X, y, loss="logistic", **common))
    assert glm_path_applies(make_problem(sp.csc_matrix(X), y, loss="logistic", **common))
    assert not glm_path_applies(make_problem(X, y, loss="squared_error", **common))


def test_poisson_overflowing_steps_backtrack():
    """Heavy-tailed columns make full Newton steps overflow exp(η): the line search
    must reject them and still reach the KKT conditions."""
    rng = np.random.default_rng(4)
    n, p = 200, 8
    X = rng.standard_t(1.0, size=(n, p))  # Cauchy: a few huge entries
    y = rng.poisson(2.0, n).astype(float)
    y[np.argmax(X[:, 0])] = 400.0
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        result = regularization_path(X, y, loss="poisson", alphas=20, eps=1e-3, tol=1e-8)
    assert np.isfinite(result.coefs).all() and result.converged.all()
    compiled, python, _ = _both_paths("poisson", X, y, n_alphas=20, eps=1e-3, tol=1e-10)
    np.testing.assert_allclose(compiled.coefs, python.coefs, atol=1e-6)


def test_regularization_path_uses_the_compiled_path(monkeypatch):
    """regularization_path(loss="logistic") on dense and sparse X goes through glm_path
    (the Python solver would give the same numbers, so only a spy can tell)."""
    import shrinkage.solvers.glm as glm

    calls = []
    original = glm.glm_path

    def spy(*args, **kwargs):
        calls.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(glm, "glm_path", spy)
    X, y, _ = _data("logistic")
    regularization_path(X, y, loss="logistic", alphas=5)
    assert calls == [1]
    regularization_path(sp.csr_matrix(X), y, loss="logistic", alphas=5)
    assert calls == [1, 1]


# ------------------------------------------------------------- float32 designs -----
@pytest.mark.parametrize("order", ["C", "F"])
def test_float32_design_gradient_and_eta_in_float64(order):
    """On float32 X the problem's gradient and η are the float64 products with the
    float32 values (NumPy on an explicit float64 copy), whatever X's layout."""
    X, y, _ = _data("logistic", n=120, p=30, seed=13)
    X32 = np.asarray(X, dtype=np.float32, order=order)
    X64 = X32.astype(np.float64)
    n = X.shape[0]
    h = np.full(n, 1.0 / n)
    problem = make_problem(X32, y, loss="logistic", h=h, penalty_weights=np.ones(30),
                           l1_ratio=1.0, positive=False, fit_intercept=True)  # fmt: skip
    eta0 = np.full(n, problem.intercept)
    np.testing.assert_allclose(
        problem.gradient, X64.T @ -Logistic.gradient(y, eta0, h), rtol=1e-12, atol=1e-15
    )
    coef = np.zeros(30)
    coef[[2, 7, 19]] = [0.5, -1.25, 2.0]
    problem.set_coef(coef)
    np.testing.assert_allclose(problem.eta, problem.intercept + X64 @ coef, rtol=1e-12)
    eta = problem.eta
    np.testing.assert_allclose(
        problem.gradient, X64.T @ -Logistic.gradient(y, eta, h), rtol=1e-12, atol=1e-15
    )


def test_float32_logistic_path_kkt_and_sklearn():
    """The path on float32 X solves the problem on its float32 values: the KKT
    conditions recomputed in float64 hold at every alpha, and the coefficients agree
    with scikit-learn's liblinear at a tight tolerance (C = 1/(nα))."""
    X, y, _ = _data("logistic", n=300, p=40, seed=17)
    X32 = np.asfortranarray(X, dtype=np.float32)
    X64 = X32.astype(np.float64)
    n, p = X64.shape
    tol = 1e-9
    result = regularization_path(X32, y, loss="logistic", alphas=12, eps=0.05, tol=tol)
    h = np.full(n, 1.0 / n)
    null = -Logistic.gradient(y, np.full(n, np.log(y.mean() / (1 - y.mean()))), h)
    target = tol * np.abs(X64.T @ null).max()
    for k, alpha in enumerate(result.alphas):
        coef = result.coefs[:, k]
        scaled = -Logistic.gradient(y, result.intercepts[k] + X64 @ coef, h)
        l1, l2 = penalty_strengths(alpha, 1.0, np.ones(p))
        assert kkt_violation(X64.T @ scaled, coef, l1, l2, False).max() <= 1.01 * target
        assert abs(scaled.sum()) <= 1.01 * target
    for k in (3, 8, 11):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            sk = LogisticRegression(
                C=1.0 / (n * result.alphas[k]), **l1_logistic(), solver="liblinear",
                tol=1e-12, max_iter=100_000, intercept_scaling=1e4,
            ).fit(X64, y)  # fmt: skip
        np.testing.assert_allclose(result.coefs[:, k], sk.coef_.ravel(), atol=1e-4)
