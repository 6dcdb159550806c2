"""The whole least-squares path on a SciPy sparse (CSC) ``X`` in one compiled call.

:func:`sparse_path` is :func:`.dense_path.dense_path`'s algorithm (strong rule, rounds of
active-set coordinate descent, Anderson extrapolation kept only when it lowers the
objective, scikit-learn's update test, the working-set gap, then one full KKT pass and
the full duality gap per alpha) on the CSC arrays ``(data, indices, indptr)`` of
:class:`~._designs.SparseDesign`. On sparse data a coordinate update costs
``O(nnz_j)``, a few dozen operations, so the per-alpha and per-round Python work of
:func:`~.least_squares.solve_least_squares` was most of a path's time.

The design is never centred explicitly (as :class:`~._designs.SparseDesign`): the
residual ``r = z − X̃β`` with ``X̃ = X − 1μᵀ`` is stored as ``r = s + c``, a vector
``s = z − Xβ`` and a scalar ``c = μᵀβ``, so an update of ``β_j`` moves ``s`` on the
``nnz_j`` rows of column ``j`` and ``c`` by ``Δβ_j μ_j``. The gradient is

.. math::

    \\nabla_j = \\sum_i h_i \\tilde x_{ij} r_i
        = \\sum_{i:\\,x_{ij}\\neq0} h_i x_{ij} s_i + c\\, (Hx)_j - \\mu_j \\sum_i h_i r_i,

the last term 0 up to rounding along the path (``Σ h r = 0`` when ``μ`` is the
weighted mean and ``z`` is centred, or ``μ = 0``), so the sweeps drop it and the full
gradient (KKT check and gap) keeps it, as the Python solver does. The objective is
the same ``½ Σ h_i r_i² + Σ_j l1_j|β_j| + ½ l2_j β_j²`` and the gap is the same
:func:`._kernels.elastic_net_gap`.

There is no cached Gram block here (unlike the dense path): a covariance update costs
``O(|A|)`` where a residual update of a sparse column costs ``O(nnz_j)``, usually less.
Every coordinate is penalized (unpenalized ones need the projected dual point of
:func:`~.least_squares.projected_gap`, and stay with the Python solver).
"""

from __future__ import annotations

import time

import numpy as np

from .._jit import njit
from ._kernels import (
    _FASTMATH,
    _changes_are_rounding,
    _nonzero_subset,
    _update_is_small,
    elastic_net_gap,
    screening_score,
    sweep_sparse_weighted,
)
from .constants import ACTIVE_SWEEPS, ANDERSON_DEPTH, SWEEP_THRESHOLD_FLOOR
from .dense_path import _penalty, anderson_point

__all__ = ["run_sparse_path", "sparse_path", "sparse_path_applies"]


@njit(cache=True, nogil=True, fastmath=_FASTMATH)
def _residual_norm2(h, s, c):
    """``Σ_i h_i (s_i + c)²``."""
    acc = 0.0
    for i in range(s.shape[0]):
        r = s[i] + c
        acc += h[i] * r * r
    return acc


@njit(cache=True, nogil=True, fastmath=_FASTMATH)
def _full_gradient(hdata, indices, indptr, h, hx, mu, h_sum, s, c, gradient):
    """``∇_j = Σ_nnz h_i x_ij s_i + c·hx_j − μ_j Σ_i h_i r_i`` for every feature."""
    total = c * h_sum
    for i in range(s.shape[0]):
        total += h[i] * s[i]
    for j in range(gradient.shape[0]):
        acc = c * hx[j]
        for k in range(indptr[j], indptr[j + 1]):
            acc += hdata[k] * s[indices[k]]
        gradient[j] = acc - mu[j] * total


@njit(cache=True, nogil=True, fastmath=_FASTMATH)
def _gradient_subset(hdata, indices, indptr, hx, s, c, features):
    """``Σ_nnz h_i x_ij s_i + c·hx_j`` on ``features`` (the working-set gap's gradient,
    as :func:`._kernels.sparse_gradient_subset`)."""
    out = np.empty(features.shape[0])
    for t in range(features.shape[0]):
        j = features[t]
        acc = c * hx[j]
        for k in range(indptr[j], indptr[j + 1]):
            acc += hdata[k] * s[indices[k]]
        out[t] = acc
    return out


@njit(cache=True, nogil=True, fastmath=_FASTMATH)
def _residual_sums(h, s, c, h_sum, s_ref, c_ref):
    """``(Σ_i h_i r_i, ‖r − r_ref‖_H, ‖s‖_H)`` in one pass over the samples."""
    total = c * h_sum
    distance2 = 0.0
    norm2 = 0.0
    shift = c - c_ref
    for i in range(s.shape[0]):
        hs = h[i] * s[i]
        total += hs
        norm2 += hs * s[i]
        d = s[i] - s_ref[i] + shift
        distance2 += h[i] * d * d
    return total, np.sqrt(distance2), np.sqrt(norm2)


@njit(cache=True, nogil=True, fastmath=_FASTMATH)
def _column_gradient(hdata, indices, indptr, hx, s, c, j):
    """``Σ_nnz h_i x_ij s_i + c·hx_j`` (the sweeps' gradient of ``β_j``)."""
    acc = c * hx[j]
    for k in range(indptr[j], indptr[j + 1]):
        acc += hdata[k] * s[indices[k]]
    return acc


@njit(cache=True, nogil=True, fastmath=_FASTMATH)
def _kkt_gradient(
    hdata, indices, indptr, hx, mu, s, c, total, gradient, in_set, features, ws_values,
    lipschitz, l1, bound, g_ref, stale,
):  # fmt: skip
    """The full gradient of the KKT check and the gap, without the columns whose
    gradient is known to stay below ``l1_j``; returns how many were skipped.

    On ``features`` (the working set) it is ``ws_values - μ_j Σ h r`` when the caller
    has just computed ``ws_values`` (the working-set gap's, on the same residual), else
    it is computed. A column ``j`` outside the working set has ``β_j = 0``, and
    ``|∇_j(r)| ≤ |∇_j(r_ref)| + ‖x̃_j‖_H ‖r − r_ref‖_H`` (Cauchy–Schwarz): where
    ``bound[j]`` (that right-hand side, rounding included) is below ``l1_j``, ``∇_j``
    can neither violate the KKT conditions nor raise the gap's dual scale, and its
    conjugate term is 0 -- the gap is the one the exact gradient gives. Such a column
    keeps ``∇_j(r_ref)`` (``stale[j]``), below ``l1_j`` as the true value is.
    """
    for t in range(features.shape[0]):
        j = features[t]
        if ws_values.shape[0] == features.shape[0]:
            value = ws_values[t]
        else:
            value = _column_gradient(hdata, indices, indptr, hx, s, c, j)
        gradient[j] = value - mu[j] * total
        stale[j] = False
    skipped = 0
    for j in range(gradient.shape[0]):
        if in_set[j]:
            continue
        if lipschitz[j] > 0.0 and bound[j] < l1[j]:
            gradient[j] = g_ref[j]
            stale[j] = True
            skipped += 1
        else:
            gradient[j] = _column_gradient(hdata, indices, indptr, hx, s, c, j) - mu[j] * total
            stale[j] = False
    return skipped


@njit(cache=True, nogil=True, fastmath=_FASTMATH)
def _gradient_bounds(g_ref, norms, slack, distance, magnitude, bound):
    """``bound_j = |∇_j(r_ref)| + ‖x̃_j‖_H·‖r − r_ref‖_H`` plus a rounding slack (the
    gradients' and the distance's, relative to the raw magnitudes of ``s`` and ``c``)."""
    for j in range(g_ref.shape[0]):
        bound[j] = abs(g_ref[j]) + norms[j] * distance + slack[j] * magnitude


@njit(cache=True, nogil=True, fastmath=_FASTMATH)
def _refresh_reference(
    hdata, indices, indptr, hx, mu, s, c, total, gradient, stale, g_ref, s_ref
):  # fmt: skip
    """Make the current residual the reference: the stale gradients computed, then
    ``g_ref = ∇(r)`` and ``s_ref = s`` (the caller keeps ``c``)."""
    for j in range(gradient.shape[0]):
        if stale[j]:
            gradient[j] = _column_gradient(hdata, indices, indptr, hx, s, c, j) - mu[j] * total
            stale[j] = False
        g_ref[j] = gradient[j]
    for i in range(s.shape[0]):
        s_ref[i] = s[i]


@njit(cache=True, nogil=True, fastmath=_FASTMATH)
def _extrapolate(
    data, indices, indptr, h, mu, s, offset, coef, l1, l2, lower, upper, features, history, trial_s
):
    """Anderson step from the rows of ``history`` (iterates on ``features``,
    :func:`.dense_path.anderson_point`): move there, residual ``(s, c)`` included, if that
    lowers ``½‖r‖²_H + penalty`` (:func:`move_if_lower`); else stay."""
    n_set = features.shape[0]
    point = np.empty(n_set)
    current_values = np.empty(n_set)
    if anderson_point(coef, lower, upper, features, history, point, current_values):
        move_if_lower(
            data, indices, indptr, h, mu, s, offset, coef, l1, l2, features, point,
            current_values, trial_s,
        )  # fmt: skip


@njit(cache=True, nogil=True, fastmath=_FASTMATH)
def move_if_lower(
    data, indices, indptr, h, mu, s, offset, coef, l1, l2, features, point, current_values,
    trial_s,
):  # fmt: skip
    """Set ``coef`` on ``features`` (now ``current_values``) to ``point`` if that lowers
    ``½ Σ_i h_i (s_i + c)² + penalty``, moving the implicitly centred residual ``(s, c)``
    (``c = offset[0]``) with it: a column's non-zeros and ``c += δ·μ_j`` per moved
    coefficient; else leave everything as it is."""
    n_set = features.shape[0]
    c = offset[0]
    current = 0.5 * _residual_norm2(h, s, c) + _penalty(current_values, l1, l2, features)
    for i in range(s.shape[0]):
        trial_s[i] = s[i]
    trial_c = c
    for t in range(n_set):
        j = features[t]
        delta = point[t] - coef[j]
        if delta != 0.0:
            for k in range(indptr[j], indptr[j + 1]):
                trial_s[indices[k]] -= delta * data[k]
            trial_c += delta * mu[j]
    trial = 0.5 * _residual_norm2(h, trial_s, trial_c) + _penalty(point, l1, l2, features)
    if trial < current:
        for t in range(n_set):
            coef[features[t]] = point[t]
        for i in range(s.shape[0]):
            s[i] = trial_s[i]
        offset[0] = trial_c


@njit(cache=True, nogil=True, fastmath=_FASTMATH)
def _round(
    data,
    hdata,
    indices,
    indptr,
    hx,
    mu,
    s,
    offset,
    coef,
    lipschitz,
    l1,
    l2,
    lower,
    upper,
    features,
    active_sweeps,
    threshold,
    active,
):
    """One round (as :func:`._kernels.cd_sparse`): a sweep over ``features``, then up to
    ``active_sweeps`` sweeps over its non-zeros; returns the first sweep's change."""
    change = sweep_sparse_weighted(
        data, hdata, indices, indptr, hx, mu, s, offset, coef, lipschitz, l1, l2, lower, upper,
        features,
    )  # fmt: skip
    if change <= threshold:
        return change
    n_active = _nonzero_subset(coef, features, active)
    for _ in range(active_sweeps):
        active_change = sweep_sparse_weighted(
            data, hdata, indices, indptr, hx, mu, s, offset, coef, lipschitz, l1, l2, lower,
            upper, active[:n_active],
        )  # fmt: skip
        if active_change <= threshold:
            break
    return change


@njit(cache=True, nogil=True, fastmath=_FASTMATH)
def sparse_path(
    data,
    hdata,
    indices,
    indptr,
    h,
    hx,
    mu,
    s,
    offset,
    lipschitz,
    coef,
    alphas,
    alpha_start,
    l1_ratio,
    weights,
    lower,
    upper,
    tol_abs,
    max_iter,
    active_sweeps,
    anderson,
    threshold_floor,
    target_norm2,
    coefs,
    gaps,
    n_iters,
    converged,
    tol_rel,
    norms,
    slack,
):
    """The elastic-net path on a CSC ``X`` in one call (see the module docstring).

    Parameters
    ----------
    data, indices, indptr : ndarray
        The CSC arrays of ``X`` (sorted indices), ``data`` float64.
    hdata : ndarray of shape (nnz,)
        ``h_i x_ij`` for every stored entry (``data`` times ``h[indices]``): the
        gradient's products read one array in order instead of gathering ``h``.
    h : ndarray of shape (n_samples,)
        Sample weights summing to one.
    hx : ndarray of shape (n_features,)
        ``Σ_i h_i x_ij``.
    mu : ndarray of shape (n_features,)
        Column centres (``X̃ = X − 1μᵀ``, never formed).
    s : ndarray of shape (n_samples,), offset : ndarray of shape (1,)
        The residual ``r = s + offset[0]`` of the warm start ``coef``; all three are
        updated in place.
    lipschitz : ndarray of shape (n_features,)
        ``L_j = Σ_i h_i x̃_ij²`` (0 marks a constant column).
    coef : ndarray of shape (n_features,)
    alphas : ndarray of shape (n_alphas,)
        Decreasing, positive.
    alpha_start : float
        The alpha ``coef`` solves (``alpha_max`` from zero): the strong rule's previous
        alpha for ``alphas[0]``.
    l1_ratio : float
    weights : ndarray of shape (n_features,)
        Positive penalty factors: ``l1_j = α ρ w_j``, ``l2_j = α (1 − ρ) w_j``.
    lower, upper : ndarray of shape (n_features,)
        The box of the coefficients (``lower ≤ 0 ≤ upper``).
    tol_abs : float
        Duality-gap target of every alpha.
    max_iter : int
        Rounds per alpha.
    active_sweeps, anderson, threshold_floor : int, int, float
        :mod:`.constants` (the sweep threshold is never lowered below
        ``threshold_floor·target_norm2``).
    target_norm2 : float
        ``Σ h_i z_i²``.
    coefs, gaps, n_iters, converged : ndarray
        Outputs: shape (n_alphas, n_features), then (n_alphas,) each.
    tol_rel : float
        scikit-learn's update test (``inf``: the gap alone decides).
    norms, slack : ndarray of shape (n_features,)
        An upper bound on ``‖x̃_j‖_H`` (``sqrt(L_j)`` plus its rounding) and the rounding
        scale of ``∇_j`` per unit of ``‖s‖_H + |c|``: the bound that lets the KKT pass
        skip a column (:func:`_kkt_gradient`).

    Returns
    -------
    gradient : ndarray of shape (n_features,)
        The full gradient ``∇_j = Σ_i h_i x̃_ij r_i`` at the last alpha's solution.
    """
    n_features = coef.shape[0]
    h_sum = 0.0
    for i in range(h.shape[0]):
        h_sum += h[i]
    gradient = np.empty(n_features)
    _full_gradient(hdata, indices, indptr, h, hx, mu, h_sum, s, offset[0], gradient)
    # The reference residual of the gradient bounds (see _kkt_gradient) and its gradient.
    g_ref = gradient.copy()
    s_ref = s.copy()
    c_ref = offset[0]
    ref_norm = np.sqrt(_residual_norm2(h, s, 0.0))
    stale = np.zeros(n_features, dtype=np.bool_)
    bound = np.full(n_features, np.inf)
    no_values = np.empty(0)
    root_h_sum = np.sqrt(h_sum)
    # The bounds cost O(n + p) a pass: they pay where the columns hold more entries.
    use_bounds = indptr[n_features] >= 2 * s.shape[0]
    in_set = np.zeros(n_features, dtype=np.bool_)
    working_set = np.empty(n_features, dtype=np.int64)
    active = np.empty(n_features, dtype=np.int64)
    all_features = np.arange(n_features)
    l1 = np.empty(n_features)
    l2 = np.empty(n_features)
    before = np.empty(n_features)
    trial_s = np.empty(s.shape[0])
    history = np.empty((anderson + 1, n_features))
    floor = threshold_floor * max(target_norm2, 1e-300)
    previous = alpha_start
    last_threshold = tol_abs
    for k in range(alphas.shape[0]):
        alpha = alphas[k]
        n_set = 0
        for j in range(n_features):
            l1[j] = alpha * l1_ratio * weights[j]
            l2[j] = alpha * (1.0 - l1_ratio) * weights[j]
            # The strong rule on the previous solution's (exact) gradient.
            score = screening_score(gradient[j], lower[j], upper[j])
            in_set[j] = coef[j] != 0.0 or score > 2.0 * l1[j] - previous * l1_ratio * weights[j]
            if in_set[j]:
                working_set[n_set] = j
                n_set += 1
        # The threshold that brought the previous alpha's gap under tol, one decade
        # looser: fewer settle-check-tighten rounds than restarting from tol.
        threshold = max(min(tol_abs, 10.0 * last_threshold), floor)
        rounds = 0
        gap = np.inf
        n_history = 0
        while True:
            features = working_set[:n_set]
            for t in range(n_set):
                before[t] = coef[features[t]]
            change = _round(
                data, hdata, indices, indptr, hx, mu, s, offset, coef, lipschitz, l1, l2,
                lower, upper, features, active_sweeps, threshold, active,
            )  # fmt: skip
            rounds += 1
            small = _update_is_small(coef, features, before, tol_rel)
            if anderson > 0 and n_set > 0:
                for t in range(n_set):
                    history[n_history, t] = coef[features[t]]
                n_history += 1
                if n_history == anderson + 1:
                    _extrapolate(
                        data, indices, indptr, h, mu, s, offset, coef, l1, l2, lower, upper,
                        features, history[:, :n_set], trial_s,
                    )  # fmt: skip
                    n_history = 0
            if change > threshold and rounds < max_iter:
                continue
            if not small and threshold <= floor:
                # At the floor, changes within rounding pass the test: a coefficient
                # that rounding alone sets (one entering a hair below its alpha_max,
                # at 1e-16) changes by 100% every sweep and would never pass it.
                small = _changes_are_rounding(
                    coef, features, before, l1, l2, lipschitz, target_norm2
                )
            if not small and rounds < max_iter:
                # No gap before a small update (and a tighter threshold, so that the
                # cheap sweeps over the non-zeros do the work).
                threshold = max(threshold * 0.1, floor)
                continue
            ws_values = no_values
            if rounds < max_iter and threshold > floor and n_set > 0:
                # The working-set gap first (O(nnz of W) + O(n)); the full gradient
                # only once that one is small enough (and it reuses these values).
                ws_values = _gradient_subset(hdata, indices, indptr, hx, s, offset[0], features)
                ws_gap = elastic_net_gap(
                    ws_values,
                    coef,
                    _residual_norm2(h, s, offset[0]),
                    l1,
                    l2,
                    lipschitz,
                    lower,
                    upper,
                    features,
                )
                if ws_gap > tol_abs:
                    threshold = max(threshold * 0.1, floor)
                    continue
            c = offset[0]
            total, distance, s_norm = _residual_sums(h, s, c, h_sum, s_ref, c_ref)
            if use_bounds:
                magnitude = s_norm + ref_norm + (abs(c) + abs(c_ref)) * root_h_sum + distance
                _gradient_bounds(g_ref, norms, slack, distance, magnitude, bound)
            skipped = _kkt_gradient(
                hdata, indices, indptr, hx, mu, s, c, total, gradient, in_set, features,
                ws_values, lipschitz, l1, bound, g_ref, stale,
            )  # fmt: skip
            if use_bounds and 4 * skipped < n_features - n_set:
                # The bounds skip few columns: the residual has moved too far from the
                # reference; make this one the reference (the skipped few computed).
                _refresh_reference(
                    hdata, indices, indptr, hx, mu, s, c, total, gradient, stale, g_ref, s_ref
                )
                c_ref = c
                ref_norm = s_norm
            added = False
            for j in range(n_features):
                if not in_set[j] and lipschitz[j] > 0.0:
                    if screening_score(gradient[j], lower[j], upper[j]) > l1[j]:
                        in_set[j] = True
                        working_set[n_set] = j
                        n_set += 1
                        added = True
            if added and rounds < max_iter:
                n_history = 0  # the working set changed: restart the history
                continue
            gap = elastic_net_gap(
                gradient,
                coef,
                _residual_norm2(h, s, offset[0]),
                l1,
                l2,
                lipschitz,
                lower,
                upper,
                all_features,
            )
            if gap <= tol_abs or rounds >= max_iter:
                break
            threshold = max(threshold * 0.1, floor)
        last_threshold = threshold
        coefs[k] = coef
        gaps[k] = gap
        n_iters[k] = rounds
        converged[k] = gap <= tol_abs
        previous = alpha
    # Every loop above ends on a KKT pass at the final residual: with the skipped
    # columns computed, `gradient` is the exact gradient the problem keeps.
    total = _residual_sums(h, s, offset[0], h_sum, s_ref, c_ref)[0]
    for j in range(n_features):
        if stale[j]:
            gradient[j] = (
                _column_gradient(hdata, indices, indptr, hx, s, offset[0], j) - mu[j] * total
            )
    return gradient


def sparse_path_applies(problem, alphas) -> bool:
    """Whether :func:`run_sparse_path` can solve ``problem`` along ``alphas``: least
    squares on a CSC design (:class:`~._designs.SparseDesign`), every coordinate
    penalized (a zero weight or ``alpha = 0`` needs the projected gap)."""
    from ._designs import SparseDesign

    design = getattr(problem, "design", None)
    if type(design) is not SparseDesign or alphas.size == 0:
        return False
    return bool(np.all(problem.penalty_weights > 0) and np.all(alphas > 0))


def _bound_scales(design) -> tuple[np.ndarray, np.ndarray]:
    """``(norms, slack)`` of :func:`sparse_path`: ``‖x̃_j‖_H`` bounded above through the
    rounding of ``L_j = Σh x² − 2μ_j hx_j + μ_j² Σh`` (cancellation included), and a
    rounding scale of ``∇_j`` far above a sum's (1e-9 of the raw column norm)."""
    mu = np.asarray(design.mu, dtype=np.float64)
    raw = design.second_moment + np.abs(2 * mu * design.hx) + mu * mu * design.h_sum
    norms = np.sqrt(design.lipschitz + 1e-12 * raw)
    slack = 1e-9 * (np.sqrt(design.second_moment) + np.abs(mu) * np.sqrt(design.h_sum))
    return norms, slack


def run_sparse_path(problem, alphas: np.ndarray, tol: float, max_iter: int):
    """Solve ``problem`` (a sparse :class:`~.problems.LeastSquaresProblem`) along
    ``alphas`` with :func:`sparse_path`, from its current coefficients.

    Returns ``(coefs, gaps, n_iters, converged, seconds)`` with ``coefs`` of shape
    (n_alphas, n_features); the problem is left at the last alpha's solution.
    """
    design, n_alphas = problem.design, alphas.size
    X = design.X
    coefs = np.zeros((n_alphas, problem.n_features))
    gaps = np.zeros(n_alphas)
    n_iters = np.zeros(n_alphas, dtype=np.int64)
    converged = np.zeros(n_alphas, dtype=bool)
    coef = problem.coef.copy()
    s = np.array(design.s, dtype=np.float64)
    offset = np.array(design.offset, dtype=np.float64)
    h = np.ascontiguousarray(design.h, dtype=np.float64)
    data = np.asarray(X.data, dtype=np.float64)
    start = time.perf_counter()
    gradient = sparse_path(
        data,
        data * h[X.indices],
        X.indices,
        X.indptr,
        h,
        design.hx,
        np.ascontiguousarray(design.mu, dtype=np.float64),
        s,
        offset,
        design.lipschitz,
        coef,
        np.ascontiguousarray(alphas, dtype=np.float64),
        float(max(problem.alpha_max_or(alphas[0]), alphas[0])),
        float(problem.l1_ratio),
        np.ascontiguousarray(problem.penalty_weights, dtype=np.float64),
        problem.box.lower,
        problem.box.upper,
        float(problem.absolute_tol(tol)),
        int(max_iter),
        ACTIVE_SWEEPS,
        ANDERSON_DEPTH,
        SWEEP_THRESHOLD_FLOOR,
        float(problem.target_norm2),
        coefs,
        gaps,
        n_iters,
        converged,
        float(tol),  # tol_rel: scikit-learn's update test too
        *_bound_scales(design),
    )
    seconds = time.perf_counter() - start
    # The kernel kept the residual (s, offset) of `coef`: take it instead of forming it
    # again from X (scipy's column slicing costs more than the solve on small fits).
    problem.coef = coef
    design.s, design.offset = s, offset
    problem.gradient = gradient
    return coefs, gaps, n_iters, converged, seconds


@njit(cache=True, nogil=True)
def csc_weighted_moments(data, indices, indptr, h):
    """``(Σ_i h_i x_ij, Σ_i h_i x_ij²)`` of every column of a CSC matrix, in one pass
    (no product matrix ``X∘X`` and no transposed copy, as ``X.multiply(X).T @ h``)."""
    n_features = indptr.shape[0] - 1
    first = np.zeros(n_features)
    second = np.zeros(n_features)
    for j in range(n_features):
        a = 0.0
        b = 0.0
        for k in range(indptr[j], indptr[j + 1]):
            v = data[k] * h[indices[k]]
            a += v
            b += v * data[k]
        first[j] = a
        second[j] = b
    return first, second
