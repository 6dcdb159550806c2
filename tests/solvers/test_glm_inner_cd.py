"""The Newton direction's coordinate descent of the compiled GLM path
(``_glm_kernels._accelerated_cd_dense``: weighted CD with Anderson steps on the active
sweeps; ``_accelerated_cd_sparse`` on CSC X) against scikit-learn's weighted lasso, and
its residual against ``X`` from scratch (an accepted Anderson step moves the
coefficients and the residual together)."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.linear_model import Lasso

from shrinkage.solvers import _glm_kernels as kernels
from shrinkage.solvers._kernels import cd_sparse


def _correlated(n, p, rho, seed):
    """AR(1) columns: slow coordinate descent, where the Anderson steps are taken."""
    rng = np.random.default_rng(seed)
    X = np.empty((n, p))
    X[:, 0] = rng.standard_normal(n)
    for j in range(1, p):
        X[:, j] = rho * X[:, j - 1] + np.sqrt(1 - rho**2) * rng.standard_normal(n)
    return np.asfortranarray(X + 0.5), rng  # a mean: the centring is exercised


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_direction_is_the_weighted_lasso_minimizer(dtype):
    n, p = 120, 60
    X, rng = _correlated(n, p, 0.95, seed=3)
    w = rng.uniform(0.05, 0.25, n) / n  # IRLS weights h·ℓ''
    r0 = rng.standard_normal(n)  # working residual
    Xd = np.asfortranarray(X.astype(dtype))
    mu = (w @ Xd) / w.sum()
    centred = Xd.astype(np.float64) - mu
    lipschitz = w @ centred**2
    r = r0 - (w @ r0) / w.sum()  # the intercept profiled out
    l1 = np.full(p, 0.05 * np.abs(centred.T @ (w * r)).max())
    l2 = np.zeros(p)
    lower, upper = np.full(p, -np.inf), np.full(p, np.inf)
    coef = np.zeros(p)
    features = np.arange(p)
    history = np.empty((kernels._ANDERSON_DEPTH + 1, p))
    trial_r, active = np.empty(n), np.empty(p, dtype=np.int64)
    for _ in range(5000):
        change = kernels._accelerated_cd_dense(
            Xd, w, mu, r, coef, lipschitz, l1, l2, lower, upper, features, 10, 1e-30,
            history, trial_r, active,
        )  # fmt: skip
        if change <= 1e-30:
            break
    else:
        pytest.fail("coordinate descent did not converge")
    np.testing.assert_allclose(r, r0 - (w @ r0) / w.sum() - centred @ coef, atol=1e-10)
    reference = Lasso(alpha=l1[0] / w.sum(), tol=1e-14, max_iter=10**6).fit(
        Xd.astype(np.float64), r0, sample_weight=w
    )
    assert np.count_nonzero(reference.coef_) >= 5
    np.testing.assert_allclose(coef, reference.coef_, atol=1e-7)


def _sparse_model(n, p, density, seed):
    """CSC columns with a mean (the centring is implicit) and the quadratic model of a
    Newton step: IRLS weights ``w``, working residual ``r0``, weighted means ``mu``,
    ``hx = Σ w x``, curvatures ``Σ w (x − mu)²``, and the residual with the intercept
    profiled out (``s``; ``c = 0``)."""
    rng = np.random.default_rng(seed)
    X = sp.random(n, p, density=density, format="csc", random_state=rng,
                  data_rvs=lambda k: rng.normal(1.0, 1.0, k))  # fmt: skip
    w = rng.uniform(0.05, 0.25, n) / n
    r0 = rng.standard_normal(n)
    dense = X.toarray()
    hx = w @ dense
    mu = hx / w.sum()
    centred = dense - mu
    lipschitz = w @ centred**2
    s = r0 - (w @ r0) / w.sum()
    return X, dense, centred, w, r0, s, mu, hx, lipschitz


def _model_value(w, residual, coef, l1):
    return 0.5 * w @ residual**2 + l1 @ np.abs(coef)


def _sparse_rounds(kernel, n, p, seed):
    """Rounds of ``kernel`` (``_accelerated_cd_sparse`` or plain ``cd_sparse``) to
    converge on :func:`_sparse_model`'s problem; with the data and the solution."""
    X, dense, centred, w, r0, s, mu, hx, lipschitz = _sparse_model(n, p, 0.1, seed)
    l1 = np.full(p, 0.02 * np.abs(centred.T @ (w * s)).max())
    l2 = np.zeros(p)
    lower, upper = np.full(p, -np.inf), np.full(p, np.inf)
    coef, offset = np.zeros(p), np.zeros(1)
    history = np.empty((kernels._SPARSE_ANDERSON_DEPTH + 1, p))
    trial_s, active = np.empty(n), np.empty(p, dtype=np.int64)
    args = (X.data, X.indices, X.indptr, w, hx, mu, s, offset, coef, lipschitz, l1, l2,
            lower, upper, np.arange(p), 10, 1e-30)  # fmt: skip
    for rounds in range(1, 5001):
        if kernel == "anderson":
            change = kernels._accelerated_cd_sparse(*args, history, trial_s, active)
        else:
            change = cd_sparse(*args)
        if change <= 1e-30:
            return rounds, (dense, centred, w, r0, s + offset[0], l1, coef)
    pytest.fail("coordinate descent did not converge")


def test_sparse_direction_is_the_weighted_lasso_minimizer():
    """``_accelerated_cd_sparse`` converges to scikit-learn's weighted lasso, in far
    fewer rounds than without the Anderson steps, and its implicit residual ``s + c``
    is the model's, recomputed from ``X``."""
    n, p = 150, 200  # many non-zeros for n: slow active sweeps, as late on a path
    rounds, (dense, centred, w, r0, residual, l1, coef) = _sparse_rounds("anderson", n, p, 5)
    plain_rounds, _ = _sparse_rounds("plain", n, p, 5)
    assert rounds < plain_rounds / 2  # measured 33 against 212
    np.testing.assert_allclose(residual, r0 - (w @ r0) / w.sum() - centred @ coef, atol=1e-10)
    reference = Lasso(alpha=l1[0] / w.sum(), tol=1e-14, max_iter=10**6).fit(
        dense, r0, sample_weight=w
    )
    assert np.count_nonzero(reference.coef_) >= 40
    np.testing.assert_allclose(coef, reference.coef_, atol=1e-7)


def test_sparse_anderson_step_lowers_the_model_on_its_orthant():
    """From the iterates of slow active sweeps, the extrapolation is taken, lowers the
    model ``½ Σ w r² + l1‖β‖₁`` below the last iterate's, moves no coefficient across
    zero, and leaves ``s + c`` equal to the residual recomputed from ``X``."""
    n, p = 150, 200
    X, dense, centred, w, r0, s, mu, hx, lipschitz = _sparse_model(n, p, 0.1, seed=7)
    l1 = np.full(p, 0.02 * np.abs(centred.T @ (w * s)).max())
    l2 = np.zeros(p)
    lower, upper = np.full(p, -np.inf), np.full(p, np.inf)
    coef, offset = np.zeros(p), np.zeros(1)
    args = (X.data, X.indices, X.indptr, w, hx, mu, s, offset, coef, lipschitz, l1, l2,
            lower, upper)  # fmt: skip
    for _ in range(20):  # settle the support
        kernels._sweep_sparse(*args, np.arange(p))
    support = np.flatnonzero(coef)
    depth = kernels._SPARSE_ANDERSON_DEPTH
    history = np.empty((depth + 1, support.size))
    for k in range(depth + 1):
        kernels._sweep_sparse(*args, support)
        history[k] = coef[support]
    last = coef.copy()
    before = _model_value(w, s + offset[0], coef, l1)
    kernels._extrapolate_sparse(
        X.data, X.indices, X.indptr, w, mu, s, offset, coef, l1, l2, lower, upper, support,
        history, np.empty(n),
    )  # fmt: skip
    assert not np.array_equal(coef, last)  # taken
    residual = r0 - (w @ r0) / w.sum() - centred @ coef
    np.testing.assert_allclose(s + offset[0], residual, atol=1e-10)
    assert _model_value(w, residual, coef, l1) < before
    assert np.all(coef * last >= 0.0) and np.all(coef[last == 0.0] == 0.0)
