"""The compiled GLM path's KKT check on a single-precision copy of X
(solvers/_glm_single.py, ``_screened_gradient``), against references computed here:

- the kernel keeps a float32 gradient entry only where the double-precision gradient
  (NumPy) proves the KKT condition of that zero coefficient, and within its error bound;
- the paths that use it satisfy the KKT conditions (NumPy) at every alpha, and their
  duality gaps bound the suboptimality against tightly solved paths;
- so do the paths whose Newton directions come from coordinate descent on the copy
  (``SINGLE_CD_MIN_ENTRIES``), down to tolerances below float32's rounding (where the
  kernel goes on in double).
"""

from __future__ import annotations

import numpy as np
import pytest

from shrinkage.datafits import Logistic
from shrinkage.path import regularization_path
from shrinkage.penalties import kkt_violation, penalty_strengths, penalty_value
from shrinkage.solvers import _glm_single as kernels
from shrinkage.solvers import glm_compiled_path as glm


def _screened(X, scaled, coef, l1, lower, upper, repeat=2):
    """The kernel ``repeat`` times (the first call copies the eligible columns)."""
    X32 = np.empty(X.shape, dtype=np.float32, order="F")
    colmax = np.full(X.shape[1], -1.0)
    features = np.arange(X.shape[1])
    for _ in range(repeat):
        gradient = np.full(X.shape[1], np.nan)
        kernels._screened_gradient(
            X, X32, colmax, scaled, features, coef, l1, lower, upper, gradient
        )
    return gradient, X32, colmax


def test_copy_on_first_visit_rounds_and_takes_column_maxima():
    rng = np.random.default_rng(0)
    p = 7
    X = np.asfortranarray(rng.standard_normal((50, p)) * np.logspace(-40, 30, p))
    coef = np.zeros(p)
    coef[2] = 1.0  # not eligible: never copied
    scaled = rng.standard_normal(50)
    gradient, X32, colmax = _screened(X, scaled, coef, np.ones(p), np.full(p, -np.inf),
                                      np.full(p, np.inf), repeat=1)  # fmt: skip
    copied = np.arange(p) != 2
    np.testing.assert_array_equal(X32[:, copied], X[:, copied].astype(np.float32))
    np.testing.assert_array_equal(colmax[copied], np.abs(X[:, copied]).max(axis=0))
    assert colmax[2] == -1.0
    # the first visit is the double product
    np.testing.assert_allclose(gradient, X.T @ scaled, rtol=1e-12)


def test_float32_entries_only_where_the_double_gradient_proves_kkt():
    rng = np.random.default_rng(1)
    n, p = 300, 400
    X = rng.standard_normal((n, p)) * rng.uniform(0.01, 100.0, p)
    X[:, 5] *= 1e-39  # below float32's normal range: an absolute rounding
    X[:, 6] *= 1e36  # past float32's range for some entries: inf in the copy
    X = np.asfortranarray(X)
    scaled = rng.standard_normal(n) / n
    exact = X.T @ scaled
    # thresholds on both sides of |g|: far below, far above, and within rounding of it
    l1 = np.abs(exact) * rng.choice([0.5, 2.0, 1.0 - 1e-9, 1.0 + 1e-9, 1.0 + 1e-6], p)
    l1[:3] = 0.0  # unpenalized
    coef = np.zeros(p)
    coef[10:20] = rng.standard_normal(10)  # non-zero coefficients
    lower, upper = np.full(p, -np.inf), np.full(p, np.inf)
    lower[30:35] = 0.0  # boxed
    gradient, _, colmax = _screened(X, scaled, coef, l1, lower, upper)
    kept = np.abs(gradient - exact) > 1e-12 * np.abs(X).T @ np.abs(scaled)
    assert kept.any()  # the float32 path is taken
    # kept only for zero, penalized, unboxed coordinates that satisfy KKT exactly
    assert np.all(coef[kept] == 0) and np.all(l1[kept] > 0)
    assert np.all(np.isinf(lower[kept]) & np.isinf(upper[kept]))
    assert np.all(np.abs(exact[kept]) <= l1[kept])
    # within the float32 rounding of the products
    bound = 2.0**-24 * (np.abs(X).T @ np.abs(scaled)) * (1 + 1e-6)
    assert np.all(np.abs(gradient - exact)[kept] <= bound[kept] + 1e-300)
    # elsewhere the double product
    np.testing.assert_allclose(
        gradient[~kept],
        exact[~kept],
        rtol=1e-12,
        atol=1e-12 * float(np.abs(X).max() * np.abs(scaled).sum()),
    )
    # and the violation agrees with the exact gradient's everywhere
    np.testing.assert_array_equal(
        kkt_violation(gradient, coef, l1, np.zeros(p), False) > 0,
        kkt_violation(exact, coef, l1, np.zeros(p), False) > 0,
    )


def _wide_logistic(seed, n=120, p=900, rho=0.5):
    rng = np.random.default_rng(seed)
    X = np.empty((n, p))
    X[:, 0] = rng.standard_normal(n)
    for j in range(1, p):
        X[:, j] = rho * X[:, j - 1] + np.sqrt(1 - rho**2) * rng.standard_normal(n)
    beta = np.zeros(p)
    beta[rng.choice(p, 10, replace=False)] = rng.choice([-1.0, 1.0], 10) * 1.5
    y = (rng.random(n) < 1.0 / (1.0 + np.exp(-(X @ beta)))).astype(float)
    return X, y


@pytest.fixture
def screen_always(monkeypatch):
    """The single-precision check on any size of design; records that it was built."""
    built = []
    original = glm._single_precision_screen

    def recording(X, n_alphas):
        X32, colmax = original(X, n_alphas)
        built.append(colmax.size == X.shape[1])
        return X32, colmax

    monkeypatch.setattr(glm, "SINGLE_SCREEN_MIN_ENTRIES", 0)
    monkeypatch.setattr(glm, "_single_precision_screen", recording)
    return built


@pytest.mark.parametrize(
    ("l1_ratio", "single_cd", "shape", "tol"),
    [
        (1.0, False, (120, 900), 1e-6),
        (0.6, False, (120, 900), 1e-6),
        (1.0, True, (120, 900), 1e-6),
        (0.6, True, (600, 150), 1e-6),
        (1.0, True, (600, 150), 1e-10),
    ],
)
def test_screened_paths_satisfy_kkt_and_certify_their_gaps(
    screen_always, monkeypatch, l1_ratio, single_cd, shape, tol
):
    X, y = _wide_logistic(seed=2, n=shape[0], p=shape[1])
    n, p = X.shape
    if single_cd:
        double = regularization_path(X, y, loss="logistic", l1_ratio=l1_ratio, alphas=25,
                                     eps=1e-2, tol=tol, max_iter=1000)  # fmt: skip
        screen_always.clear()
        monkeypatch.setattr(glm, "SINGLE_CD_MIN_ENTRIES", 0)
    path = regularization_path(X, y, loss="logistic", l1_ratio=l1_ratio, alphas=25,
                               eps=1e-2, tol=tol, max_iter=1000)  # fmt: skip
    assert screen_always == [True]
    assert path.converged.all()
    if single_cd:  # the float32 directions were taken: not the double path's iterates
        assert not np.array_equal(path.coefs, double.coefs)
    h = np.full(n, 1.0 / n)
    # the relative tolerance is against the null model's gradient (absolute_tol)
    null = -Logistic.gradient(y, np.full(n, np.log(y.mean() / (1 - y.mean()))), h)
    target = tol * np.abs(X.T @ null).max()
    tight = regularization_path(X, y, loss="logistic", l1_ratio=l1_ratio, alphas=path.alphas,
                                tol=1e-12, max_iter=10_000)  # fmt: skip
    for k, alpha in enumerate(path.alphas):
        coef = path.coefs[:, k]
        scaled = -Logistic.gradient(y, path.intercepts[k] + X @ coef, h)
        l1, l2 = penalty_strengths(alpha, l1_ratio, np.ones(p))
        assert kkt_violation(X.T @ scaled, coef, l1, l2, False).max() <= target * (1 + 1e-9)
        assert abs(scaled.sum()) <= target

        def objective(b0, b, l1=l1, l2=l2):
            return Logistic.value(y, b0 + X @ b, h) + penalty_value(b, l1, l2)

        excess = objective(path.intercepts[k], coef) - objective(
            tight.intercepts[k], tight.coefs[:, k]
        )
        # (1e-10: the rounding of F's two evaluations, here and in the kernel)
        assert path.duality_gaps[k] >= excess - 1e-10
        assert np.isfinite(path.duality_gaps[k])
