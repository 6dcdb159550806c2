"""Penalized weighted least squares at one ``alpha``: working sets, KKT checks, gap.

Solves

.. math::

    \\min_\\beta P(\\beta) = \\tfrac12 \\sum_i h_i r_i^2
        + \\sum_j \\big(l1_j|\\beta_j| + \\tfrac12 l2_j\\beta_j^2\\big),
    \\qquad r = z - \\tilde X\\beta,

whose Fenchel dual is

.. math::

    D(\\theta) = \\sum_i h_i z_i\\theta_i - \\tfrac12 \\sum_i h_i \\theta_i^2
        - \\sum_j g_j^*(\\tilde x_j^\\top H \\theta).

The dual point is the rescaled residual ``θ = s·r`` with the largest ``s ≤ 1``
that keeps it feasible (``|x̃_jᵀHθ| ≤ l1_j`` on pure-L1 coordinates), so the
duality gap ``P(β) − D(θ) ≥ P(β) − P(β*)`` certifies the accuracy reached.

Box constraints ``lower_j ≤ β_j ≤ upper_j`` (:class:`~shrinkage.penalties.Box`;
``positive`` is ``[0, ∞)``) are part of ``g_j``: the coordinate update is clipped to
the box, the KKT check lets a coefficient on its bound have a gradient pushing
outward, and ``g_j*`` is the supremum over the box, finite on every bounded side
(:func:`shrinkage.penalties.elastic_net_conjugate`), so the gap stays a true bound;
the dual scale ``s`` only has to make the open sides feasible.

The outer loop (working sets, as glmnet's strong rules with a KKT check):

1. solve on the working set ``W`` with active-set coordinate descent until the
   duality gap of the problem restricted to ``W`` is at most ``tol`` (lowering the
   sweep threshold as needed) and, with ``tol_rel`` (scikit-learn's second test), the
   last sweep moved no coefficient by more than ``tol_rel·max|β|``;
2. compute the full gradient, hence the duality gap; stop if ``gap ≤ tol``;
3. add every feature violating its KKT condition to ``W`` and go back to 1. (With
   no violator the full gap equals the restricted one, so step 2 ends the loop.)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..penalties import as_box, elastic_net_conjugate, kkt_violation, penalty_value
from ._covariance import MIN_GROWTH, limit_growth
from ._kernels import elastic_net_gap
from .constants import ACTIVE_SWEEPS, ANDERSON_DEPTH, ANDERSON_RIDGE, GAP_EVERY, MAX_FREE

__all__ = [
    "SolveInfo",
    "duality_gap",
    "kkt_violation",
    "projected_gap",
    "solve_least_squares",
    "solve_working_set",
]


@dataclass
class SolveInfo:
    """What one call of :func:`solve_least_squares` reached."""

    duality_gap: float
    n_iter: int
    gradient: np.ndarray
    converged: bool


def duality_gap(
    gradient: np.ndarray,
    coef: np.ndarray,
    residual_norm2: float,
    l1: np.ndarray,
    l2: np.ndarray,
    positive,
    lipschitz: np.ndarray | None = None,
) -> float:
    """Duality gap of the elastic net at ``coef``, from ``∇ = X̃ᵀHr`` and ``‖r‖²_H``.

    With ``θ = s r``: ``gap = ½(1 − s)²‖r‖²_H − s βᵀ∇ + g(β) + g*(s∇)``, written
    without ``‖z‖²`` so that no large terms cancel.

    Unpenalized coordinates (``l1 = l2 = 0``) make the dual demand ``x̃_jᵀHθ = 0``
    exactly, which no rescaling gives; for them ``Σ ∇_j²/(2L_j)`` (what one exact
    coordinate step would still gain) is added instead, given ``lipschitz``; unless
    the gradient pushes it onto a finite bound, where the box's conjugate is exact.
    ``positive`` is a bool or a :class:`~shrinkage.penalties.Box`.
    """
    if lipschitz is None:
        lipschitz = np.zeros_like(l1)
    box = as_box(positive, coef.shape[0])
    return elastic_net_gap(
        np.ascontiguousarray(gradient, dtype=np.float64),
        coef,
        float(residual_norm2),
        l1,
        l2,
        lipschitz,
        box.lower,
        box.upper,
        np.arange(coef.shape[0]),
    )


def _least_norm_solve(matrix: np.ndarray, rhs: np.ndarray) -> np.ndarray:
    """Least-norm solution of a symmetric PSD system (eigenvalues below rounding dropped)."""
    values, vectors = np.linalg.eigh((matrix + matrix.T) / 2.0)
    keep = values > max(values[-1], 0.0) * matrix.shape[0] * np.finfo(float).eps
    return vectors[:, keep] @ ((vectors[:, keep].T @ rhs) / values[keep])


def projected_gap(design, coef, gradient, l1, l2, free, box=None) -> tuple[float, np.ndarray]:
    """Duality gap with the dual point projected for the unpenalized coordinates.

    The dual of an unpenalized coordinate ``j`` demands ``x̃_jᵀHθ = 0`` exactly. With
    ``δ`` solving ``G_FF δ = ∇_F`` (``G = X̃ᵀHX̃``, ``F`` the free coordinates,
    least-norm if ``G_FF`` is singular), ``u = r − X̃_F δ`` is the residual of the exact
    least-squares refit of ``β_F``: ``X̃_FᵀHu = 0``. The dual point is ``θ = s u`` with
    the largest ``s ≤ 1`` feasible for the pure-L1 coordinates, and

    ``P(β) − D(θ) = ½‖r − θ‖²_H + Σ_j (g_j(β_j) − s β_j c_j + g_j*(s c_j))``,
    ``c = X̃ᵀHu = ∇ − G_{:,F} δ``,

    a true bound on ``P(β) − P(β*)`` (up to rounding in ``c_F``). With a ``box`` (open on
    the free coordinates) ``s`` only has to make the open sides of the pure-L1
    coordinates feasible and ``g_j*`` is taken over the box. Returns
    ``(gap, δ, decrease)``: ``β_F + δ`` is the exact block minimizer over ``F``, it
    lowers ``P`` by ``½ ∇_Fᵀδ`` and leaves ``θ`` unchanged, so its gap is ``gap − decrease``.
    """
    g_free = gradient[free]
    block = design.free_gram(free)
    delta = _least_norm_solve(block, g_free)
    c = gradient - design.gram_product(free, delta)
    c[free] = 0.0
    rr = design.residual_norm2()
    rv = float(g_free @ delta)
    vv = float(delta @ (block @ delta))
    pure_l1 = (l2 == 0) & (l1 > 0)
    bounded = box is not None and not box.is_unbounded
    score = np.abs(c)
    if bounded:  # only the open sides constrain s
        score = np.maximum(
            np.where(box.upper == np.inf, c, 0.0), np.where(box.lower == -np.inf, -c, 0.0)
        )
    worst = 1.0
    if pure_l1.any():
        worst = max(1.0, float(np.max(score[pure_l1] / l1[pure_l1])))
    s = 1.0 / worst
    gap = 0.5 * ((1 - s) ** 2 * rr + 2 * s * (1 - s) * rv + s * s * vv)
    gap += penalty_value(coef, l1, l2) - s * float(coef @ c)
    if bounded:
        # g_j* over the box for every penalized coordinate (the open sides of the
        # pure-L1 ones are feasible by the choice of s: clip away rounding).
        penalized = (l1 > 0) | (l2 > 0)
        limit = np.where(pure_l1, l1, np.inf)
        z = np.clip(
            s * c,
            np.where(box.lower == -np.inf, -limit, -np.inf),
            np.where(box.upper == np.inf, limit, np.inf),
        )
        gap += elastic_net_conjugate(
            z[penalized], l1[penalized], l2[penalized], box.subset(penalized)
        )
        return max(gap, 0.0), delta, 0.5 * rv
    # The conjugate over the coordinates with an L2 part (the others are feasible by
    # the choice of s, or free with c_j = 0).
    ridge = l2 > 0
    gap += elastic_net_conjugate(s * c[ridge], l1[ridge], l2[ridge])
    return max(gap, 0.0), delta, 0.5 * rv



def _anderson_point(history: list[np.ndarray]) -> np.ndarray | None:
    """Extrapolate the fixed-point iterates: ``Σ c_k β_k`` with ``c`` minimizing
    ``‖Σ c_k (β_{k+1} − β_k)‖`` subject to ``Σ c_k = 1``."""
    iterates = np.asarray(history)
    differences = np.diff(iterates, axis=0)
    normal = differences @ differences.T
    # (constants.ANDERSON_RIDGE: weights stable under rounding of the iterates)
    normal[np.diag_indices_from(normal)] += ANDERSON_RIDGE * np.trace(normal) / normal.shape[0]
    try:
        z = np.linalg.solve(normal, np.ones(normal.shape[0]))
    except np.linalg.LinAlgError:
        return None
    if not np.isfinite(z).all() or z.sum() == 0:
        return None
    # From the last iterate: a coordinate that stood still (on a bound) stays exactly.
    last = iterates[-1]
    return last + (z / z.sum()) @ (iterates[1:] - last)


def _try_extrapolation(design, coef, features, history, l1, l2, box) -> None:
    """Move to the Anderson point if it lowers the objective (Bertrand & Massias 2021)."""
    point = _anderson_point(history)
    if point is None:
        return
    point = np.clip(point, box.lower[features], box.upper[features])  # into the box
    current = 0.5 * design.residual_norm2() + penalty_value(
        coef[features], l1[features], l2[features]
    )
    saved = coef[features].copy()
    coef[features] = point
    design.set_coef(coef)
    trial = 0.5 * design.residual_norm2() + penalty_value(point, l1[features], l2[features])
    if not trial < current:
        coef[features] = saved
        design.set_coef(coef)


def _working_set_gap(design, coef, features, l1, l2, box) -> float:
    """Duality gap of the problem restricted to ``features`` (cost O(n·|W|))."""
    return elastic_net_gap(
        design.gradient_on(features),
        coef,
        design.residual_norm2(),
        l1,
        l2,
        design.lipschitz,
        box.lower,
        box.upper,
        features,
    )


def _update_is_small(coef, features, before, tol_rel) -> bool:
    """scikit-learn's test before it checks the gap: the round's largest ``|Δβ_j|`` is
    at most ``tol_rel·max_j |β_j|`` over ``features`` (true when all are zero)."""
    if tol_rel is None:
        return True
    now = coef[features]
    w_max = float(np.max(np.abs(now))) if now.size else 0.0
    return w_max == 0.0 or float(np.max(np.abs(now - before))) <= tol_rel * w_max


def solve_working_set(
    design, coef, features, l1, l2, positive, threshold, max_rounds, tol=None, tol_rel=None
) -> tuple[int, float, bool]:
    """Rounds of active-set CD over ``features``, Anderson-extrapolated every ``K``.

    Without ``tol``: stop when a sweep changes nothing above ``threshold``. With
    ``tol``: stop when the working-set duality gap is at most ``tol``, checking it
    whenever a sweep settles (then lowering ``threshold`` if the gap is not there
    yet) and every ``GAP_EVERY`` rounds. ``positive`` is a bool or a
    :class:`~shrinkage.penalties.Box`. With ``tol_rel`` too, the gap is checked
    (and the solve stops) only after a round whose largest ``|Δβ_j|`` is at most
    ``tol_rel·max|β_W|``: scikit-learn's test, which keeps the iterates moving while
    a flat objective already certifies ``tol`` (a round that settles is one sweep, so
    this is scikit-learn's per-sweep test; other rounds are judged more strictly).
    Returns ``(rounds, threshold, small)``, ``small`` whether the last round passed
    that test.
    """
    box = as_box(positive, coef.shape[0])
    history = []
    small = True
    for done in range(1, max_rounds + 1):
        before = coef[features] if tol_rel is not None else None  # (a copy: fancy index)
        change = design.run(coef, features, l1, l2, box, ACTIVE_SWEEPS, threshold)
        settled = change <= threshold
        if tol is None and settled:
            return done, threshold, True
        if tol is not None and (settled or done % GAP_EVERY == 0):
            small = _update_is_small(coef, features, before, tol_rel)
            # The gap, O(n·|W|), only once the update is small (scikit-learn's order).
            if small and _working_set_gap(design, coef, features, l1, l2, box) <= tol:
                return done, threshold, True
            if settled:  # (small or not: the sweeps over the non-zeros are the cheap ones)
                threshold *= 0.1
        history.append(coef[features].copy())
        if len(history) > ANDERSON_DEPTH:
            _try_extrapolation(design, coef, features, history, l1, l2, box)
            history.clear()
    return max_rounds, threshold, small


def solve_least_squares(
    design,
    coef: np.ndarray,
    l1: np.ndarray,
    l2: np.ndarray,
    positive,
    tol: float,
    max_iter: int,
    working_set: np.ndarray,
    tol_rel: float | None = None,
) -> SolveInfo:
    """Minimize ``P`` from the warm start ``coef`` (updated in place).

    Parameters
    ----------
    design : DenseDesign, SparseDesign or GramDesign
        Holds the residual of ``coef`` (``design.set_coef(coef)`` was called).
    coef : ndarray of shape (n_features,), float64
    l1, l2 : ndarray of shape (n_features,)
        Per-feature penalty strengths.
    positive : bool or Box
        The sign constraint, or the box ``lower ≤ β ≤ upper``.
    tol : float
        Absolute duality-gap target.
    max_iter : int
        Budget of sweeps over the working set.
    working_set : ndarray of bool, shape (n_features,)
        Features to start with (updated in place; non-zeros and unpenalized features
        are always added).
    tol_rel : float, optional
        scikit-learn's second test: stop only after a sweep whose largest ``|Δβ_j|``
        is at most ``tol_rel·max_j|β_j|`` (scikit-learn passes its relative ``tol``).
        On flat directions (nearly collinear features, small ``l2``) the gap can
        certify ``tol`` while the coefficients are still far from ``β*``; this keeps
        them moving. ``None``: the gap alone decides. Convergence (``SolveInfo.converged``)
        is ``gap ≤ tol`` either way, so ``max_iter`` sweeps ending with a small gap are
        converged, as in scikit-learn.

    Returns
    -------
    SolveInfo
    """
    box = as_box(positive, coef.shape[0])
    working_set |= coef != 0
    unpenalized = (l1 == 0) & (l2 == 0)
    working_set |= unpenalized
    # Unpenalized coordinates need a projected dual point for a true certificate (bounds
    # on them, and more than MAX_FREE of them (a |F|² matrix), keep the older bound).
    free = np.flatnonzero(unpenalized & (design.lipschitz > 0))
    if free.size > MAX_FREE or not (
        np.all(box.lower[free] == -np.inf) and np.all(box.upper[free] == np.inf)
    ):
        free = None
    # The sweep threshold compares (L_j + l2_j)Δβ_j² with the gap tolerance.
    threshold = tol
    n_iter = 0
    small = True
    while True:
        features = np.flatnonzero(working_set)
        # Solve the working-set problem to gap <= tol (O(n·|W|) per check); the full
        # gradient, O(n·p), is computed only once that is reached.
        if features.size:
            rounds, threshold, small = solve_working_set(
                design,
                coef,
                features,
                l1,
                l2,
                box,
                threshold,
                max(max_iter - n_iter, 1),
                tol,
                tol_rel,
            )
            n_iter += rounds
        gradient = design.gradient()
        if free is not None and free.size:
            gap, delta, decrease = projected_gap(design, coef, gradient, l1, l2, free, box)
            # The exact block step on the unpenalized coordinates (Newton on a
            # quadratic) only lowers the objective, at the same dual point: take it.
            coef[free] += delta
            design.set_coef(coef)
            gradient = design.gradient()
            gap = max(gap - decrease, 0.0)
        else:
            gap = duality_gap(
                gradient, coef, design.residual_norm2(), l1, l2, box, design.lipschitz
            )
        if gap <= tol and (small or n_iter >= max_iter):
            return SolveInfo(gap, n_iter, gradient, True)
        if n_iter >= max_iter or not threshold >= 1e-300:  # also NaN
            return SolveInfo(gap, n_iter, gradient, gap <= tol)
        violation = kkt_violation(gradient, coef, l1, l2, box)
        violators = ~working_set & (violation > 0)
        if violators.any():
            if getattr(design, "grows_working_set", False):
                # Each feature admitted costs the design a Gram row: the largest
                # violations first, at most doubling the set per check.
                violators = limit_growth(
                    violators, violation, max(int(working_set.sum()), MIN_GROWTH)
                )
            working_set |= violators
        else:
            threshold *= 0.1
