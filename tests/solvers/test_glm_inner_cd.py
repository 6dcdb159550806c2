"""The Newton direction's coordinate descent of the compiled GLM path
(``_glm_kernels._accelerated_cd_dense``: weighted CD with Anderson steps on the active
sweeps) against scikit-learn's weighted lasso, and its residual against ``X`` from
scratch (an accepted Anderson step moves the coefficients and the residual together)."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.linear_model import Lasso

from shrinkage.solvers import _glm_kernels as kernels


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
