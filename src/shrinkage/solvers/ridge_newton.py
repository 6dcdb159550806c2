"""Newton directions of the GLM solver where the penalty is pure L2 (ridge).

With no L1 and no bound on the working set, the quadratic model of a proximal-Newton
step (:func:`shrinkage.solvers.glm.newton_direction`),

.. math::

    \\tfrac12 \\sum_i w_i (r_i - x_i^\\top\\Delta - \\Delta_0)^2
    + \\tfrac12 \\sum_j l_{2,j} (\\beta_j + \\Delta_j)^2,

is minimized over ``Δ₀`` by ``Δ₀ = r̄ − x̄ᵀΔ`` (``w``-weighted means) and over ``Δ`` by
the normal equations

.. math::

    (\\tilde X^\\top W \\tilde X + L)\\,\\Delta = \\tilde X^\\top W (r - \\bar r) - L\\beta,
    \\qquad \\tilde X = X - 1\\bar x^\\top, \\quad L = \\operatorname{diag}(l_2).

Coordinate descent on this model converges slowly where it is ill-conditioned (weak
L2, correlated columns, more features than samples), so the solver solves it
directly instead:

- :func:`exact_ridge_newton_direction` factors the system (Cholesky, or Woodbury when
  ``k > n``) while that costs at most :data:`EXACT_NEWTON_MAX_FLOPS`;
- past that, :func:`ridge_newton_cg_direction` runs preconditioned conjugate gradients
  on it, matrix-free (two products with ``X`` per iteration), stopped at the accuracy
  the outer step asks for: Newton-CG (truncated Newton; Nocedal & Wright 2006, §7.1),
  the method of scikit-learn's ``newton-cg`` solver.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from ._mixed import xt_dot
from .problems import weighted_column_means

__all__ = [
    "EXACT_NEWTON_MAX_FLOPS",
    "exact_newton_fits",
    "exact_ridge_newton_direction",
    "ridge_newton_cg_direction",
]

# Flop budget of one exact ridge Newton direction (min(n, k)²·max(n, k) for k working
# features). 4e9: about 0.1 s per step on one core. At 2e8, Poisson ridge on 2000x400
# with correlation 0.9 (3.2e8) fell to coordinate descent: 100 steps, 28% off
# scikit-learn's newton-cholesky; now 3 steps, 0.04 s, the same answer. Past the
# budget the direction is Newton-CG's.
EXACT_NEWTON_MAX_FLOPS = 4e9
# and the smallest Cholesky pivot, relative to the largest, it accepts (else it falls
# back to coordinate descent): a condition number up to ~1e12.
EXACT_NEWTON_MIN_PIVOT_RATIO = 1e-6
# The conjugate-gradient solve of one Newton direction stops at the first of: its
# residual (the model's gradient) at most the tolerance the outer step asks for, at
# most CG_RELATIVE_TOL of the model's gradient at Δ = 0 (a truncated Newton step:
# the outer iteration then converges at least linearly at that rate), or
# CG_MAX_ITER iterations. Every iterate is a descent direction, so a truncated one
# still serves the line search.
CG_RELATIVE_TOL = 0.1
CG_MAX_ITER = 500


def exact_newton_fits(n_samples: int, n_features: int) -> bool:
    """Whether the exact direction on ``n_features`` working features is within
    :data:`EXACT_NEWTON_MAX_FLOPS`."""
    n, k = n_samples, n_features
    return k > 0 and min(n, k) ** 2 * max(n, k) <= EXACT_NEWTON_MAX_FLOPS


def _centring(sub, weights, residual, fit_intercept):
    """Weighted column means ``x̄``, the residual's mean ``r̄`` and ``r − r̄``."""
    if not fit_intercept:
        return np.zeros(sub.shape[1]), 0.0, residual
    total = weights.sum()
    mu = weighted_column_means(sub, weights) / total
    shift = float(np.dot(weights, residual) / total)
    return mu, shift, residual - shift


def exact_ridge_newton_direction(sub, weights, residual, coef, l2, fit_intercept):
    """Exact minimizer of the ridge model (the module's normal equations).

    With ``k ≤ n`` features the ``k×k`` system is solved by Cholesky; with ``k > n``
    (and every ``l2_j > 0``) the Woodbury identity, ``B = W^{1/2}X̃``:
    ``(BᵀB + L)⁻¹v = L⁻¹v − L⁻¹Bᵀ(I + BL⁻¹Bᵀ)⁻¹BL⁻¹v``, costs ``O(k n²)``.

    Returns ``(delta_coef, delta_intercept, X_delta)`` as
    :func:`~shrinkage.solvers.glm.newton_direction`, or None when the system is
    singular (unpenalized collinear columns), so that the caller falls back to
    coordinate descent.
    """
    from scipy.linalg import LinAlgError, cho_factor, cho_solve

    sub = sub.toarray() if sp.issparse(sub) else np.asarray(sub)
    mu, shift, centred_residual = _centring(sub, weights, residual, fit_intercept)
    centred = sub - mu if fit_intercept else sub
    root = np.sqrt(weights)
    B = root[:, None] * centred
    rhs = B.T @ (root * centred_residual) - l2 * coef
    n, k = B.shape

    def factor(matrix):
        factors = cho_factor(matrix)
        pivots = np.abs(np.diag(factors[0]))
        # Condition number ≈ (max/min pivot)²: past ~1e12 the solve is rounding noise.
        if pivots.min() <= EXACT_NEWTON_MIN_PIVOT_RATIO * pivots.max():
            raise LinAlgError("numerically singular")
        return factors

    try:
        if k <= n or not np.all(l2 > 0):
            system = B.T @ B
            system[np.diag_indices_from(system)] += l2
            delta = cho_solve(factor(system), rhs)
        else:
            scaled_rhs = rhs / l2
            small = (B / l2) @ B.T
            small[np.diag_indices_from(small)] += 1.0
            delta = scaled_rhs - (B.T @ cho_solve(factor(small), B @ scaled_rhs)) / l2
    except LinAlgError:
        return None
    if not np.all(np.isfinite(delta)):
        return None
    delta_intercept = shift - float(mu @ delta)
    X_delta = sub @ delta + delta_intercept
    return delta, delta_intercept, X_delta


def _weighted_squared_column_sums(sub, weights) -> np.ndarray:
    """``Σ_i w_i x_ij²`` for dense or sparse ``sub``."""
    if sp.issparse(sub):
        return np.asarray(sub.multiply(sub).T @ weights, dtype=np.float64).ravel()
    return np.einsum("ij,ij,i->j", sub, sub, weights, dtype=np.float64)


def ridge_newton_cg_direction(
    sub, weights, residual, coef, l2, fit_intercept, tolerance
):
    """Minimize the ridge model by conjugate gradients, preconditioned by the diagonal
    of ``X̃ᵀWX̃ + L``, without forming the system (dense or sparse ``sub``).

    Stops once the model's gradient (the CG residual) is at most ``tolerance`` in
    every coordinate, or at most :data:`CG_RELATIVE_TOL` of its value at ``Δ = 0``, or
    after :data:`CG_MAX_ITER` iterations. Returns ``(delta_coef, delta_intercept,
    X_delta)`` as :func:`exact_ridge_newton_direction`.
    """
    mu, shift, centred_residual = _centring(sub, weights, residual, fit_intercept)

    def centred_product(v):  # X̃v
        return np.asarray(sub @ v, dtype=np.float64).ravel() - float(mu @ v)

    def centred_transpose_product(u):  # X̃ᵀu
        if sp.issparse(sub):
            product = np.asarray(sub.T @ u, dtype=np.float64).ravel()
        else:
            product = xt_dot(sub, u)
        return product - mu * u.sum()

    rhs = centred_transpose_product(weights * centred_residual) - l2 * coef
    k = rhs.size
    # diag(X̃ᵀWX̃) = Σ w x² − (Σw) x̄²; clipped, as rounding can cancel it for
    # columns with a large mean (it only scales the search).
    diagonal = _weighted_squared_column_sums(sub, weights) - weights.sum() * mu * mu + l2
    floor = 1e-12 * float(np.max(diagonal, initial=0.0)) + np.finfo(float).tiny
    diagonal = np.maximum(diagonal, floor)

    stop = max(tolerance, 0.0)
    stop = min(stop, CG_RELATIVE_TOL * float(np.max(np.abs(rhs), initial=0.0)))
    delta = np.zeros(k)
    X_delta = np.zeros(sub.shape[0])  # X̃Δ, accumulated alongside Δ
    gradient = rhs.copy()  # the model's negative gradient at Δ: rhs − (X̃ᵀWX̃ + L)Δ
    preconditioned = gradient / diagonal
    search = preconditioned.copy()
    product = float(gradient @ preconditioned)
    for _ in range(CG_MAX_ITER):
        if float(np.max(np.abs(gradient), initial=0.0)) <= stop or not product > 0.0:
            break
        X_search = centred_product(search)
        curvature_search = centred_transpose_product(weights * X_search) + l2 * search
        curvature = float(search @ curvature_search)
        if not curvature > 0.0:  # flat direction (unpenalized, collinear): stop here
            break
        step = product / curvature
        delta += step * search
        X_delta += step * X_search
        gradient -= step * curvature_search
        preconditioned = gradient / diagonal
        next_product = float(gradient @ preconditioned)
        search = preconditioned + (next_product / product) * search
        product = next_product
    delta_intercept = shift - float(mu @ delta)
    # X̃Δ + r̄ = XΔ − x̄ᵀΔ + r̄ = XΔ + Δ₀
    return delta, delta_intercept, X_delta + shift
