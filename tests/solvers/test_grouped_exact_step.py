"""Newton on the support of the grouped multinomial model (:mod:`._grouped_exact_step`).

References written out here in NumPy: the softmax Hessian as ``Σ_i h_i (a_i a_iᵀ) ⊗
(diag p_i − p_i p_iᵀ)``, and the model's KKT conditions from that dense Hessian.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.special import softmax

from shrinkage.solvers._grouped_exact_step import (
    model_violation,
    newton_on_support,
    softmax_hessian,
)


def _problem(seed, n=120, p=6, K=4):
    rng = np.random.default_rng(seed)
    latent = rng.standard_normal((n, 2))
    X = latent @ rng.standard_normal((2, p)) + 0.1 * rng.standard_normal((n, p))
    X = np.asfortranarray(X * np.logspace(0, 2, p))  # correlated, scales 1-100
    y = rng.integers(0, K, n)
    h = rng.uniform(0.5, 2.0, n)
    h /= h.sum()
    eta = 0.1 * rng.standard_normal((n, K))
    return X, np.eye(K)[y], h, softmax(eta, axis=1)


def _dense_hessian(A, P, h):
    """Feature-major ``Σ_i h_i (a_i a_iᵀ) ⊗ (diag p_i − p_i p_iᵀ)``."""
    return sum(
        h[i] * np.kron(np.outer(A[i], A[i]), np.diag(P[i]) - np.outer(P[i], P[i]))
        for i in range(A.shape[0])
    )


def test_softmax_hessian_is_the_kronecker_sum():
    X, _, h, P = _problem(0)
    A = np.asfortranarray(np.column_stack([X, np.ones(len(X))]))
    np.testing.assert_allclose(
        softmax_hessian(A, np.ascontiguousarray(P.T), h), _dense_hessian(A, P, h),
        rtol=1e-10, atol=1e-10 * np.abs(_dense_hessian(A, P, h)).max(),
    )  # fmt: skip


@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("l2", [0.0, 0.05])
def test_newton_solves_the_model_on_its_support(fit_intercept, l2):
    X, Y, h, P = _problem(1)
    n, p = X.shape
    K = Y.shape[1]
    rng = np.random.default_rng(2)
    start = rng.standard_normal((p, K)) / X.std(axis=0)[:, None]
    start -= start.mean(axis=1, keepdims=True)  # sum-zero groups, as the solver keeps
    start[[1, 4]] = 0.0  # two groups off the support
    l1 = np.full(p, 0.02)
    l2v = np.full(p, l2)
    P_t = np.ascontiguousarray(P.T)
    M = np.ascontiguousarray((h[:, None] * (P - Y)).T)  # the model's gradient in η
    coef = start.copy()
    d_eta = np.zeros((K, n))
    d_intercept = np.zeros(K)
    tol = 1e-10
    newton_on_support(X, P_t, P_t * h, h, M, coef, d_eta, d_intercept, l1, l2v, fit_intercept, tol)
    np.testing.assert_array_equal(coef[[1, 4]], 0.0)  # the support is left alone
    # The model's gradient from the dense Hessian, independent of the solver's state.
    A = np.column_stack([X, np.ones(n)])
    change = np.vstack([coef - start, d_intercept]).ravel()
    gradient = (A.T @ (h[:, None] * (P - Y))).ravel() + _dense_hessian(A, P, h) @ change
    gradient = gradient.reshape(p + 1, K)
    support = [0, 2, 3, 5]
    B = coef[support]
    norms = np.linalg.norm(B, axis=1)
    stationarity = gradient[support] + l1[support, None] * B / norms[:, None] + l2 * B
    assert np.linalg.norm(stationarity, axis=1).max() <= 10 * tol
    if fit_intercept:
        assert np.abs(gradient[-1]).max() <= 10 * tol
    else:
        np.testing.assert_array_equal(d_intercept, 0.0)
    # d_eta is the change of η that the coefficients and intercepts made.
    np.testing.assert_allclose(d_eta.T, X @ (coef - start) + d_intercept, atol=1e-12)
    # The solver's own reading of the model's KKT agrees on the support.
    assert model_violation(M, X[:, support], coef[support], l1[support], l2v[support],
                           fit_intercept) <= 10 * tol  # fmt: skip
