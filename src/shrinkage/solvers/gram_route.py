"""The compiled least-squares path on the Gram matrix: which matrices it runs on.

:func:`solve_on_gram` takes a :class:`~.problems.LeastSquaresProblem` on a
:class:`~._designs.GramDesign` along a grid of alphas in one compiled call
(:func:`._gram_path.gram_path`), and picks what that call sweeps on: ``G`` itself, ``G``
rounded to float32 (float32 data at once, float64 data once the path proves hard), or,
for float32 data on a :class:`~._single_gram.SingleGramDesign`, ``G`` formed in float32
with every alpha's gap certified afterwards from ``X`` and the float64 ``G`` taking over
from the first alpha that fails. :func:`shrinkage.path.solve_path` wraps the results.
"""

from __future__ import annotations

import numpy as np

from . import constants
from ._designs import GramDesign
from ._single_gram import SINGLE_GRAM_MIN_TOL, SingleGramDesign
from .constants import ACTIVE_SWEEPS, ANDERSON_DEPTH, SWEEP_THRESHOLD_FLOOR


def path_outputs(n_alphas: int, n_features: int):
    """Zeroed ``(coefs (n_alphas, p), gaps, n_iters, converged)`` for a compiled path."""
    return (
        np.zeros((n_alphas, n_features)),
        np.zeros(n_alphas),
        np.zeros(n_alphas, dtype=np.int64),
        np.zeros(n_alphas, dtype=bool),
    )


def gram_path_applies(problem, alphas) -> bool:
    """The compiled Gram path, unless some coordinate is unpenalized (a zero penalty
    weight or ``alpha = 0``): those need the projected dual point of
    :func:`~.least_squares.projected_gap` for a true gap."""
    if not isinstance(getattr(problem, "design", None), GramDesign):
        return False
    return bool(np.all(problem.penalty_weights > 0) and np.all(alphas > 0))


def rounded_sweep_matrix(design):
    """The float32 ``G`` the compiled path sweeps with: the design's own copy, one
    rounded from float32 data's ``G``, or None (sweeps on ``G`` itself).

    Float32 data copy at once, where float64 data wait until the path proves hard
    (:func:`solve_on_gram`): switching float32 data lazily as well measured
    1.04-1.22x slower (CPU s, min of 3 interleaved; lasso path 4472x2236 rho 0
    1.08 -> 1.31 s, rho 0.6 1.63 -> 1.79; elastic net 1414x707 rho 0.6 0.084 -> 0.095;
    only 6325x1581 rho 0.6 gained, 0.94x)."""
    if design.sweep_gram is not None:
        return design.sweep_gram
    return np.asfortranarray(design.gram, dtype=np.float32) if design.single else None


def run_gram_path(problem, gram, sweep_gram, rounded_after, coef, alphas, alpha_start,
                  tol, max_iter, coefs, gaps, n_iters, converged) -> None:
    """:func:`._gram_path.gram_path` on ``gram`` (sweeping on ``sweep_gram``) from
    ``coef`` (updated in place) along ``alphas``, its results into ``coefs``
    (n_alphas, p), ``gaps``, ``n_iters`` and ``converged``."""
    from ._gram_path import gram_path

    design = problem.design
    gram_path(
        gram,
        design.q,
        design.target_norm2,
        design.lipschitz,
        coef,
        alphas,
        alpha_start,
        problem.l1_ratio,
        problem.penalty_weights,
        problem.box.lower,
        problem.box.upper,
        problem.absolute_tol(tol),
        max_iter,
        ACTIVE_SWEEPS,
        ANDERSON_DEPTH,
        SWEEP_THRESHOLD_FLOOR,
        coefs,
        gaps,
        n_iters,
        converged,
        tol,  # tol_rel: scikit-learn's update test too
        True,
        sweep_gram,
        rounded_after,
    )


def solve_on_gram(problem, alphas, tol, max_iter):
    """The whole path in compiled code from the problem's coefficients.

    Returns ``(coefs (n_alphas, p), gaps, n_iters, converged, last)``: ``last`` the
    last alpha's coefficients."""
    design, n_alphas = problem.design, alphas.size
    coefs, gaps, n_iters, converged = path_outputs(n_alphas, problem.n_features)
    coef = problem.coef.copy()
    alpha_start = max(problem.alpha_max_or(alphas[0]), alphas[0])
    first_exact = 0  # the first alpha solved on the exact route
    if (
        isinstance(design, SingleGramDesign)
        and not design.has_exact_gram
        and tol >= SINGLE_GRAM_MIN_TOL
    ):
        # Float32 data: the path on G formed in float32, then every alpha's gap
        # certified from X (see _single_gram); the exact route takes over from the
        # first alpha that fails.
        single = design.sweep_gram
        run_gram_path(problem, single, single, 0.0, coef, alphas, alpha_start,
                      tol, max_iter, coefs, gaps, n_iters, converged)
        gaps[:] = design.exact_gaps(coefs, alphas, problem.l1_ratio, problem.penalty_weights,
                                    problem.box.lower, problem.box.upper)
        certified = gaps <= problem.absolute_tol(tol)  # (False for a NaN: G overflowed)
        converged &= certified
        failed = np.flatnonzero(~certified)
        if not failed.size:
            return coefs, gaps, n_iters, converged, coefs[-1].copy()
        first_exact = failed[0]
        start_coef = coefs[first_exact]  # (the float32 G's solution: a close start)
        coef = start_coef.copy() if np.all(np.isfinite(start_coef)) else problem.coef.copy()
        if first_exact > 0:
            alpha_start = alphas[first_exact - 1]
    sweep_gram, rounded_after = rounded_sweep_matrix(design), 0.0
    if (
        sweep_gram is None
        and design.gram.dtype == np.float64
        and problem.n_features >= constants.ROUNDED_SWEEPS_MIN_FEATURES
    ):
        rounded_after = constants.ROUNDED_SWEEPS_AFTER * problem.n_features**2
        if rounded_after > 0:
            # (np.empty: its pages are touched only if the path fills it.)
            sweep_gram = np.empty(design.gram.shape, dtype=np.float32, order="F")
        else:
            sweep_gram = np.asfortranarray(design.gram, dtype=np.float32)
    tail = slice(first_exact, n_alphas)
    tail_iters = np.zeros(n_alphas - first_exact, dtype=np.int64)
    # float32 data, or a float64 CV fold's design: sweeps on G rounded to float32 (half
    # the memory traffic; the gaps stay exact, see gram_path); other float64 designs
    # once the path proves hard (rounded_after).
    run_gram_path(problem, design.gram, sweep_gram, rounded_after, coef, alphas[tail],
                  alpha_start, tol, max_iter, coefs[tail], gaps[tail], tail_iters,
                  converged[tail])
    n_iters[tail] += tail_iters
    return coefs, gaps, n_iters, converged, coef
