"""Ridge at a few alphas by one Cholesky factorization each, when it is accurate.

For ``alpha > 0`` the ridge solution solves the normal equations of the centred,
weighted design ``X̃ = diag(√s)(X − x̄) diag(1/√v)`` and target ``b = √s (y − ȳ)``:

.. math::

    (\\tilde X^\\top \\tilde X + \\alpha I)\\,\\tilde\\beta = \\tilde X^\\top b
    \\quad (n \\ge p), \\qquad
    \\tilde\\beta = \\tilde X^\\top (\\tilde X \\tilde X^\\top + \\alpha I)^{-1} b
    \\quad (n < p),

at ``n p min(n, p) + min(n, p)³/3`` operations: a fraction of the eigendecomposition
that :class:`~.ridge.SpectralRidge` needs to serve every alpha (and leave-one-out) at
once. The matrix is equilibrated (unit diagonal) before it is factored, which makes
Cholesky's error independent of the features' scales, and LAPACK's condition estimate
of the equilibrated matrix decides whether the answer holds
:data:`~._spectrum_accuracy.SPECTRUM_RTOL`; where it does not (nearly collinear columns at a small
alpha, ``alpha = 0``), the caller takes the spectral route, which resolves what it can
and takes the minimum-norm answer in the rest.
"""

from __future__ import annotations

import numpy as np
import scipy.linalg as la
import scipy.sparse as sp

from . import ridge
from ._spectrum_accuracy import SPECTRUM_RTOL, equilibrated_cholesky

#: More distinct alphas than this: one decomposition for all is cheaper.
MAX_DIRECT_ALPHAS = 4


def solve_ridge_direct(X, Y, sample_weight, penalty_weights, fit_intercept: bool, alphas):
    """Coefficients ``(n_targets, n_features)``, intercepts ``(n_targets,)`` and the
    method ("cholesky", or "cg" for sparse data) of the ridge at ``alphas[t]`` for
    target ``t``, or None where this route does not apply
    or would not be accurate (every penalty weight and alpha ``> 0``; sparse ``X`` only
    as small as :class:`~.ridge.SpectralRidge` densifies it).

    Parameters
    ----------
    X : ndarray or sparse matrix of shape (n_samples, n_features)
    Y : ndarray of shape (n_samples, n_targets)
    sample_weight : ndarray of shape (n_samples,) or None
        Multiplies each row's squared error (scikit-learn's meaning).
    penalty_weights : ndarray of shape (n_features,)
    fit_intercept : bool
    alphas : ndarray of shape (n_targets,)
    """
    alphas = np.asarray(alphas, dtype=np.float64)
    distinct = np.unique(alphas)
    if (
        np.any(penalty_weights <= 0)
        or distinct[0] <= 0
        or distinct.size > MAX_DIRECT_ALPHAS
        or (sp.issparse(X) and X.shape[0] * X.shape[1] > ridge.DENSIFY_LIMIT)
    ):
        return None
    if sp.issparse(X):
        if (
            solved := _sparse_conjugate_gradients(
                X, Y, sample_weight, fit_intercept, alphas, penalty_weights
            )
        ) is not None:
            return (*solved, "cg")
        X = X.toarray()  # centred, it is dense anyway (as SpectralRidge does)
    n, p = X.shape
    s = np.ones(n) if sample_weight is None else sample_weight
    if fit_intercept:
        x_mean = (s @ X) / s.sum()
        y_mean = (s @ Y) / s.sum()
    else:
        x_mean, y_mean = np.zeros(p), np.zeros(Y.shape[1])
    root = np.sqrt(s)[:, None]
    scale = 1.0 / np.sqrt(penalty_weights)
    centred = np.subtract(X, x_mean, dtype=np.float64)  # one copy, scaled in place
    if sample_weight is not None:
        centred *= root
    if np.any(scale != 1.0):
        centred *= scale
    b = root * (Y - y_mean)
    primal = n >= p
    square = centred.T @ centred if primal else centred @ centred.T
    rhs = centred.T @ b if primal else b

    coefs = np.empty((Y.shape[1], p))
    for alpha in distinct:
        solution = _equilibrated_solve(square, alpha, rhs[:, alphas == alpha], n if primal else p)
        if solution is None:
            return None
        beta = solution if primal else centred.T @ solution
        coefs[alphas == alpha] = (beta * scale[:, None]).T
    intercepts = y_mean - coefs @ x_mean if fit_intercept else np.zeros(Y.shape[1])
    return coefs, intercepts, "cholesky"


def _equilibrated_solve(square: np.ndarray, alpha: float, rhs: np.ndarray, summed: int):
    """``(S + αI)⁻¹ rhs`` by Cholesky of the equilibrated ``D(S + αI)D``, or None where
    its estimated condition number times ``√summed·eps`` exceeds ``SPECTRUM_RTOL``:
    forming ``S`` from sums of ``summed`` products errs by about ``√summed·eps``
    relative to its diagonal, and the condition number carries that into the answer
    (one-hot columns with an intercept at alpha 1e-4 were off by 1.4e-6 without it)."""
    equilibrated = equilibrated_cholesky(square, alpha, np.sqrt(summed))
    if equilibrated is None:
        return None
    factor, root = equilibrated
    z = la.cho_solve((factor, False), rhs / root[:, None], check_finite=False)
    return z / root[:, None]


def _sparse_conjugate_gradients(X, Y, sample_weight, fit_intercept, alphas, penalty_weights):
    """Each target by preconditioned conjugate gradients on the normal equations
    (:func:`~.ridge.solve_ridge_cg`, ``X`` never densified), to a residual that bounds
    the coefficients' relative error by :data:`SPECTRUM_RTOL` through the condition
    number ``(‖X̃‖_F² + α)/α``; None where that tolerance is below what CG reaches in
    floating point (1e-14) or CG does not get there within the operations of the dense
    Cholesky route (2000×2000 at density 1e-2: 13 ms against 270 ms)."""
    n, p = X.shape
    m = min(n, p)
    dense_cost = n * p * m + m**3 / 3.0
    iteration_cost = 4.0 * X.nnz + 10.0 * (n + p)
    budget = int(dense_cost / iteration_cost)
    if budget < 10:
        return None
    s = np.ones(n) if sample_weight is None else sample_weight
    frobenius2 = float(
        np.asarray(X.multiply(X).T @ s).sum() / np.min(penalty_weights)
    )  # ≥ λ_max(X̃ᵀX̃): centring only lowers it
    coefs, intercepts = np.empty((Y.shape[1], p)), np.empty(Y.shape[1])
    for t in range(Y.shape[1]):
        rtol = SPECTRUM_RTOL * alphas[t] / (frobenius2 + alphas[t])
        if rtol < 1e-14:
            return None
        coef, intercept, _, converged = ridge.solve_ridge_cg(
            X, Y[:, t], sample_weight, penalty_weights, fit_intercept, alphas[t], rtol, budget
        )
        if not converged:
            return None
        coefs[t], intercepts[t] = coef, intercept
    return coefs, intercepts
