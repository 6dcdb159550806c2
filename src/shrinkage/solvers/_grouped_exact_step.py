"""Newton on the support of the grouped multinomial model: the exact part of a step.

The grouped solver (:mod:`.grouped_multinomial`) minimizes each proximal Newton step's
quadratic model ``q(B) = ⟨G, B⟩ + ½⟨B, H B⟩ + Σ_j l1_j‖B_j‖ + ½ l2_j‖B_j‖²`` by block
coordinate descent, one feature's ``K`` class coefficients at a time. On correlated,
badly scaled columns (raw mlbench Vehicle, scales 1–1000) ``H`` is so ill-conditioned
that the sweeps crawl: 1000 sweeps a step and 300–900 outer steps a fit.

Where the sweeps have found the support ``S`` (the non-zero groups), ``q`` restricted to
``S`` is smooth: ``‖B_j‖`` is differentiable away from 0, with gradient ``u_j = B_j/‖B_j‖``
and Hessian ``(I − u_j u_jᵀ)/‖B_j‖``. Newton's method on it converges in a few
iterations whatever the conditioning. The gradient is read from the sweeps' own model
state (``M``, the model's gradient in ``η``), so it is exact in double precision; ``H``
only shapes the direction. The sweeps then resume from the result and settle the
support (a group that should be 0 is put there by them, not by Newton).
"""

from __future__ import annotations

import numpy as np
from scipy.linalg import cho_solve

from ..penalties import group_kkt_violation, group_penalty_value
from .multinomial_path import jittered_cho_factor, softmax_hessian_blocks

#: Newton iterations on the support per exact step, at most
NEWTON_ITERATIONS = 30
#: Armijo fraction of the line search on the model
ARMIJO = 1e-4
#: Newton stops when a group's norm falls below this fraction of its last value
COLLAPSE = 0.01
#: halvings of the line search, at most
HALVINGS = 40


def support_design(sub, support, fit_intercept: bool) -> np.ndarray:
    """The support's columns, with a column of ones for the intercepts last."""
    columns = sub[:, support]
    if fit_intercept:
        columns = np.column_stack([columns, np.ones(sub.shape[0])])
    return np.asfortranarray(columns)


def softmax_hessian(A, P_t, h) -> np.ndarray:
    """Feature-major ``H[(j,k),(l,c)] = Σ_i h_i a_ij a_il (δ_kc p_ik − p_ik p_ic)``, in
    double precision (``P_t`` class-major, (K, n)): each group's K × K block is
    contiguous, for the penalty's curvature."""
    q, K = A.shape[1], P_t.shape[0]
    blocks = softmax_hessian_blocks(A, P_t.T, h)
    return blocks.transpose(2, 0, 3, 1).reshape(q * K, q * K)


def exact_price(n: int, n_classes: int, support_size: int) -> float:
    """Multiply-adds of one exact step: ``H`` (``n D²/2``) and a factor of it (one
    Newton iteration is the usual need: the model is quadratic but for the norms)."""
    D = n_classes * (support_size + 1)
    return n * D * D / 2.0 + D**3 / 3.0


def model_violation(M, sub, coef, l1, l2, fit_intercept: bool) -> float:
    """The model's largest group KKT violation over the working set (intercepts
    included), from the sweeps' state: one pass over ``sub``.

    The sweeps stop when no block moves much, which on strongly correlated columns
    (ρ = 0.99) happens while the model is still far from its minimum: each block is
    nearly optimal given the others, the whole is not.
    """
    violation = group_kkt_violation(-(M @ sub), coef.T, l1, l2).max(initial=0.0)
    if fit_intercept:
        violation = max(violation, float(np.abs(M.sum(axis=1)).max()))
    return float(violation)


def newton_on_support(
    sub, P_t, hP_t, h, M, coef, d_eta, d_intercept, l1, l2, fit_intercept: bool, tolerance
) -> int:
    """Minimize the model over the non-zero groups of ``coef`` (and the intercepts).

    Arrays as :func:`._grouped_newton_sweeps` keeps them, updated in place: ``M`` (K, n)
    the model's gradient in ``η``, ``d_eta`` (K, n) and ``d_intercept`` (K,) the step's
    change of ``η`` and of the intercepts, ``coef`` (m, K) the working set's rows.
    Stops when every group's gradient norm on the support, and the intercepts', is at
    most ``tolerance``. Returns the number of Newton iterations.
    """
    support = np.flatnonzero(np.any(coef != 0.0, axis=1))
    if support.size == 0:
        return 0
    K = coef.shape[1]
    A = support_design(sub, support, fit_intercept)
    q = A.shape[1]
    H = softmax_hessian(A, P_t, h)
    # s·11ᵀ on each group's class block acts on the softmax's null directions alone,
    # which the model's gradient never has: it makes the system definite.
    diagonal = np.diagonal(H).reshape(q, K).sum(axis=1)
    null_shift = np.maximum(diagonal, np.finfo(float).tiny) / K**2
    ones = np.ones((K, K))
    l1_s, l2_s = l1[support], l2[support]
    previous = np.zeros(support.size)  # (no test on the first iteration)
    for iteration in range(NEWTON_ITERATIONS):
        B = coef[support]
        norms = np.linalg.norm(B, axis=1)
        if np.any(norms < COLLAPSE * previous):
            # A group is heading for 0, where ‖B_j‖ is not smooth: Newton only creeps
            # there (30 iterations, 9.6e-8 left), a block solve puts it there exactly.
            return iteration
        previous = norms
        units = B / norms[:, None]
        loss_gradient = (M @ A).T  # (q, K)
        gradient = loss_gradient.copy()
        gradient[: support.size] += l1_s[:, None] * units + l2_s[:, None] * B
        if np.linalg.norm(gradient, axis=1).max() <= tolerance:
            return iteration
        system = H.copy()
        for a in range(q):
            block = slice(a * K, (a + 1) * K)
            system[block, block] += null_shift[a] * ones
            if a < support.size:
                curvature = l1_s[a] / norms[a]
                system[block, block] += curvature * (np.eye(K) - np.outer(units[a], units[a]))
                system[block, block] += l2_s[a] * np.eye(K)
        direction = -_solve(system, gradient.ravel()).reshape(q, K)
        if not _line_search_and_move(
            A, P_t, hP_t, h, M, coef, d_eta, d_intercept, support, l1_s, l2_s,
            loss_gradient, gradient, direction, fit_intercept,
        ):  # fmt: skip
            return iteration
    return NEWTON_ITERATIONS


def _solve(system, rhs):
    top = max(float(np.max(np.diagonal(system))), 1e-300)
    factor = jittered_cho_factor(system, top)
    if factor is None:
        return rhs / top  # a scaled gradient step: still descent
    return cho_solve(factor, rhs, check_finite=False)


def _line_search_and_move(
    A, P_t, hP_t, h, M, coef, d_eta, d_intercept, support, l1, l2, loss_gradient,
    gradient, direction, fit_intercept,
) -> bool:  # fmt: skip
    """Backtrack on the model along ``direction`` (exact: its curvature is
    ``Σ_i h_i (Σ_k p_ik δη_ik² − (Σ_k p_ik δη_ik)²)``), then take the step into the
    sweeps' state. False when no decrease is found."""
    d_eta_step = direction.T @ A.T  # (K, n)
    weighted = np.einsum("kn,kn->n", P_t, d_eta_step)
    curvature = float(h @ (np.einsum("kn,kn->n", P_t, d_eta_step * d_eta_step) - weighted**2))
    B = coef[support]
    D_B = direction[: support.size]
    slope = float(np.vdot(loss_gradient, direction))  # the model's loss part
    penalty = group_penalty_value(B.T, l1, l2)
    decrease = float(np.vdot(gradient, direction))  # < 0 for a descent direction
    if not decrease < 0.0:
        return False
    step = 1.0
    for _ in range(HALVINGS):
        change = step * slope + 0.5 * step * step * curvature
        change += group_penalty_value((B + step * D_B).T, l1, l2) - penalty
        if change <= ARMIJO * step * decrease:
            break
        step *= 0.5
    else:
        return False
    coef[support] += step * D_B
    if fit_intercept:
        d_intercept += step * direction[-1]
    d_eta += step * d_eta_step
    M += step * hP_t * (d_eta_step - weighted)
    return True
