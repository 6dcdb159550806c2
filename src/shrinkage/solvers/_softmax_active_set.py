"""Exact active-set steps on the quadratic model of a multinomial proximal-Newton step.

:mod:`.multinomial_path` minimizes, at each Newton step, the model

.. math::

    m(\\theta) = -g^\\top(\\theta - \\theta_0) + \\tfrac12 (\\theta - \\theta_0)^\\top H
        (\\theta - \\theta_0) + \\textstyle\\sum_c l1_c|\\theta_c| + \\tfrac12 l2_c\\theta_c^2

by coordinate descent on the dense ``H``. On raw, strongly correlated columns ``H`` is
so ill-conditioned that coordinate descent needs thousands of sweeps (mlbench Vehicle,
18 shape measurements on scales 1-1000, C=10, ``l1_ratio=0.5``: 123 s of sweeps for an
accurate model minimum; capped, the outer steps stall at 1000 with a warning). Once the
support ``A`` and the signs ``s`` are known, ``m`` restricted to them is a quadratic whose
minimizer is one linear solve:

.. math::

    (H_{AA} + \\operatorname{diag} l2_A)\\,\\delta = w_A - l2_A\\circ\\theta_A - l1_A\\circ s_A,

``w = g − H(θ − θ₀)`` the model's negative gradient. As in the lasso's Gram path
(:mod:`._gram_active_set`), the step goes to ``θ + tδ`` with the largest ``t ≤ 1`` that
keeps every sign (a homotopy along the faces of the orthant: each piece lowers ``m``),
puts the coordinates that cross exactly on zero and solves again without them.

``H`` is singular along a shift common to all ``K`` classes of one column (softmax is
unchanged by it). Where all ``K`` coordinates of a column are free and unridged, the
system gets ``s_a 11ᵀ`` on that column's class block: it acts on the null space alone, so
where the right-hand side is orthogonal to it (the intercepts: their gradients sum to
zero over the classes) the solution is unchanged, and elsewhere the step is still a
descent direction of ``m`` with its minimizer along it at ``t ≥ 1``. The caller's
coordinate descent then checks the zeros and goes on; nothing here is trusted
without the outer KKT test.
"""

from __future__ import annotations

import numpy as np
from scipy.linalg import LinAlgError, cho_factor, cho_solve

__all__ = ["active_set_pieces"]

#: pieces of one active-set step before coordinate descent takes over again
MAX_PIECES = 20


def active_set_pieces(H, theta, work, l1, l2, live, n_classes: int) -> int:
    """Active-set steps on the free coordinates of ``theta`` (updated in place, with
    ``work``, the model's negative gradient); the number of linear systems solved."""
    q = theta.size // n_classes
    for piece in range(MAX_PIECES):
        _median_shift(theta, l1, l2, live, n_classes)
        free = np.flatnonzero(live & ((theta != 0.0) | (l1 == 0.0)))
        if free.size == 0:
            return piece
        signs = np.sign(theta[free])
        rhs = work[free] - l2[free] * theta[free] - l1[free] * signs
        factor = _factor(H, free, l2, q, n_classes)
        if factor is None:
            return piece
        delta = cho_solve(factor, rhs, check_finite=False)
        if not float(rhs @ delta) > 0.0:  # not a descent direction (rounding)
            return piece + 1
        # The first sign change among penalized non-zeros ends the piece.
        before = theta[free]
        crossing = (l1[free] > 0.0) & (signs * delta < 0.0)
        ratio = np.full(free.size, np.inf)
        ratio[crossing] = -before[crossing] / delta[crossing]
        step = min(1.0, float(ratio.min()))
        moved = before + step * delta
        moved[ratio <= step] = 0.0  # exactly on zero: they leave the support
        theta[free] = moved
        work -= H[:, free] @ (moved - before)
        if step == 1.0:  # the restricted problem is solved
            return piece + 1
    return MAX_PIECES


def _median_shift(theta, l1, l2, live, n_classes: int) -> None:
    """Minimize the model exactly along each column's common shift ``θ_·a + c·1``.

    The smooth part of the model is constant along it (``H`` is null there and the
    gradient sums to zero over the classes), so for a pure-L1 column only ``Σ_k |θ_ka
    + c|`` changes: least at ``−c`` in the median interval of ``θ_·a``. Its end closest
    to ``θ_·a``'s shift 0 is taken, and the coordinate there lands exactly on zero. Without
    this, a column with all ``K`` coordinates free and unbalanced signs has no restricted
    minimizer (the objective falls along the shift until a sign changes), and exact steps
    and sweeps alternate without end (raw Vehicle without intercepts, C=10: 1000 steps)."""
    T = theta.reshape(n_classes, -1)
    S = np.sort(T, axis=0)
    low, high = S[(n_classes - 1) // 2], S[n_classes // 2]
    shift = np.where(low > 0.0, low, np.where(high < 0.0, high, 0.0))
    pure_l1 = (l1[: T.shape[1]] > 0.0) & (l2[: T.shape[1]] == 0.0) & live[: T.shape[1]]
    shift = np.where(pure_l1, shift, 0.0)
    if np.any(shift != 0.0):
        T -= shift  # (the coordinate equal to the shift becomes exactly 0)


def _factor(H, free, l2, q: int, n_classes: int):
    """Cholesky factor of ``H_AA + diag(l2_A)`` plus ``s_a 11ᵀ`` on each unridged column
    whose ``K`` class coordinates are all free; None if it stays singular."""
    M = H[np.ix_(free, free)]
    diagonal = np.diag(M) + l2[free]
    M[np.diag_indices_from(M)] = diagonal
    column = free % q
    whole = np.bincount(column, minlength=q) == n_classes  # all K classes free
    unridged = np.bincount(column, weights=l2[free], minlength=q) == 0.0
    null = (whole & unridged)[column]
    if np.any(null):
        # s_a = (mean of the block's diagonal)/K on every pair of the column's block
        shift = np.bincount(column, weights=diagonal, minlength=q) / n_classes**2
        shift = np.maximum(shift, 1e-300)[column]
        same = (column[:, None] == column[None, :]) & null[:, None]
        M += np.where(same, shift[:, None], 0.0)
    # H is formed in single precision (relative error ~1e-7): a ridge far below that
    # keeps collinear supports factorable (digits: 56 of 192 factorizations failed
    # without it) and moves the step by less than H's own rounding.
    top = max(float(np.abs(np.diag(M)).max(initial=0.0)), 1e-300)
    jitter = top * 1e-10
    for _ in range(3):
        M[np.diag_indices_from(M)] += jitter
        try:
            return cho_factor(M, check_finite=False)
        except LinAlgError:  # collinear columns: nudge (the step is still a descent)
            jitter *= 99.0  # (total ×100 per try)
    return None
