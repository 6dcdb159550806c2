"""The whole least-squares path on a dense ``X`` (residual updates) in one compiled call.

:func:`dense_path` is :func:`._gram_path.gram_path`'s algorithm for the designs that do
not form ``G = X̃ᵀHX̃`` (``p > n``, or ``p`` too large for a ``p²`` matrix): it keeps
the residual ``r = z − X̃β`` and runs the same steps as
:func:`~.least_squares.solve_least_squares`, alpha after alpha, without returning to
Python (whose per-alpha and per-round work, not the arithmetic, is what small paths
spend their time on):

- the working set of ``α_k`` is the sequential strong rule
  ``score_j(∇(β̂_{k−1})) > 2 l1_j(α_k) − l1_j(α_{k−1})`` plus the non-zero coefficients
  (``score`` is ``|∇_j|``, one-sided on a closed side of the box);
- rounds of coordinate descent (:func:`._kernels.cd_dense`'s: a sweep over the working
  set with residual updates, then sweeps over its non-zeros ``A``, these with glmnet's
  covariance updates on a cached block of ``G_AA``, stored in float32, while
  ``|A| ≤ n``, or up to ``2n`` while the block fits in L2: :mod:`._dense_gram_cache`)
  until a sweep
  changes nothing above the threshold, an Anderson
  extrapolation of the last ``anderson + 1`` iterates tried every ``anderson + 1``
  rounds (kept only if it lowers the objective: Bertrand & Massias 2021);
- scikit-learn's update test (the round's largest ``|Δβ_j|`` at most
  ``tol_rel·max|β_W|``), then the duality gap of the working-set problem
  (``O(n·|W|)``), tightening the threshold tenfold while either fails;
- then one full gradient ``∇ = X̃ᵀHr`` (``O(n·p)``): every feature violating its KKT
  condition joins the working set, and without one the alpha is done when the full
  duality gap (:func:`._kernels.elastic_net_gap`, a true bound on the suboptimality)
  is at most ``tol_abs``.

Every coordinate is penalized here (``l1_j + l2_j > 0``): unpenalized ones need the
projected dual point of :func:`~.least_squares.projected_gap`, and stay with the
Python solver.
"""

from __future__ import annotations

import numpy as np

from .._jit import njit
from ._dense_gram_cache import (
    GRAM_BLOCK_ROWS,
    GRAM_CACHE_ITEMSIZE,
    _active_gram_sweeps,
    _cache_capacity,
    _cache_features,
)
from ._dense_kkt import (
    _completed_gradient,
    _full_gradient,
    _mark_far_columns,
    _residual_move,
)
from ._kernels import (
    _FASTMATH,
    _changes_are_rounding,
    _nonzero_subset,
    _solve_small,
    _sweep_dense,
    _update_is_small,
    dense_gradient_subset,
    elastic_net_gap,
    screening_score,
)
from .constants import ANDERSON_RIDGE

__all__ = ["dense_path"]

@njit(cache=True, nogil=True, fastmath=_FASTMATH)
def _weighted_norm2(h, r):
    """``Σ_i h_i r_i²``."""
    acc = 0.0
    for i in range(r.shape[0]):
        acc += h[i] * r[i] * r[i]
    return acc


@njit(cache=True, nogil=True, fastmath=_FASTMATH)
def _penalty(values, l1, l2, features):
    """``Σ_t l1_j|v_t| + ½ l2_j v_t²`` with ``j = features[t]``."""
    acc = 0.0
    for t in range(features.shape[0]):
        j = features[t]
        b = values[t]
        acc += l1[j] * abs(b) + 0.5 * l2[j] * b * b
    return acc


@njit(cache=True, nogil=True, fastmath=_FASTMATH)
def anderson_point(coef, lower, upper, features, history, point, current_values):
    """The Anderson extrapolation of the rows of ``history`` (iterates on ``features``)
    into ``point`` (clipped to the box), and ``coef`` on ``features`` into
    ``current_values``; False (``point`` unset) when the weights are undefined.

    The weights ``c`` minimize ``‖Σ_k c_k (β_{k+1} − β_k)‖`` subject to ``Σ c_k = 1``
    (with :data:`~.constants.ANDERSON_RIDGE` on the normal equations' diagonal)."""
    n_hist = history.shape[0] - 1
    n_set = features.shape[0]
    differences = np.empty((n_hist, n_set))
    for k in range(n_hist):
        for t in range(n_set):
            differences[k, t] = history[k + 1, t] - history[k, t]
    normal = differences @ differences.T
    ones = np.empty(n_hist)  # (np.ones: one more Numba helper to compile on a cold cache)
    ridge = 0.0
    for k in range(n_hist):
        ones[k] = 1.0
        ridge += normal[k, k]
    ridge *= ANDERSON_RIDGE / n_hist  # (rounding-stable weights: see the constant)
    for k in range(n_hist):
        normal[k, k] += ridge
    weights, ok = _solve_small(normal, ones)
    total = weights.sum()
    if not ok or total == 0.0:
        return False
    for t in range(n_set):
        # Σ c_k β_{k+1} as the last iterate plus a weighted sum of differences from it:
        # a coordinate that stood still (on a bound, say) stays exactly where it is,
        # where the plain weighted mean rounds it off by an ulp or two.
        last = history[n_hist, t]
        value = 0.0
        for k in range(n_hist):
            value += weights[k] * (history[k + 1, t] - last)
        j = features[t]
        point[t] = min(max(last + value / total, lower[j]), upper[j])  # back into the box
        current_values[t] = coef[j]
    return True


@njit(cache=True, nogil=True, fastmath=_FASTMATH)
def _extrapolate(X, h, mu, r, coef, l1, l2, lower, upper, features, history, trial_r):
    """Anderson step from the rows of ``history`` (iterates on ``features``,
    :func:`anderson_point`): move there, residual included, if that lowers
    ``½‖r‖²_H + penalty``; else stay."""
    n_set = features.shape[0]
    point = np.empty(n_set)
    current_values = np.empty(n_set)
    if not anderson_point(coef, lower, upper, features, history, point, current_values):
        return
    current = 0.5 * _weighted_norm2(h, r) + _penalty(current_values, l1, l2, features)
    n_samples = r.shape[0]
    for i in range(n_samples):
        trial_r[i] = r[i]
    for t in range(n_set):
        j = features[t]
        delta = point[t] - coef[j]
        if delta != 0.0:
            center = mu[j]
            for i in range(n_samples):
                trial_r[i] -= delta * (X[i, j] - center)
    trial = 0.5 * _weighted_norm2(h, trial_r) + _penalty(point, l1, l2, features)
    if trial < current:
        for t in range(n_set):
            coef[features[t]] = point[t]
        for i in range(n_samples):
            r[i] = trial_r[i]


@njit(cache=True, nogil=True, fastmath=_FASTMATH)
def _round(
    X,
    h,
    mu,
    r,
    coef,
    lipschitz,
    l1,
    l2,
    lower,
    upper,
    features,
    active_sweeps,
    threshold,
    cache,
    slot_of,
    cached,
    n_cached,
    scratch,
    scratch_gradient,
    credit,
):
    """One round (as :func:`._kernels.cd_dense`): a residual sweep over ``features``,
    then sweeps over its non-zeros, with the cached Gram block when it pays (|A| ≤
    the cache's capacity, :func:`._dense_gram_cache._cache_capacity`, and the
    residual sweeps so far, ``credit`` multiply-adds, have cost at least the missing
    entries: :func:`dense_path`'s ``cache_credit``). Returns
    ``(change, n_cached, credit)``."""
    change = _sweep_dense(X, h, mu, r, coef, lipschitz, l1, l2, lower, upper, features)
    if change <= threshold:
        return change, n_cached, credit
    active = np.empty(features.shape[0], dtype=np.int64)
    n_active = _nonzero_subset(coef, features, active)
    active = active[:n_active]
    grown = -1
    if n_active > 1:
        fill = _fill_cost(X.shape[0], active, slot_of, n_cached)
        if fill <= credit:
            grown = _cache_features(X, h, mu, active, cache, slot_of, cached, n_cached, scratch)
            if grown >= 0:
                credit -= fill
    if grown >= 0:
        n_cached = grown
        slots = np.empty(n_active, dtype=np.int64)
        for t in range(n_active):
            slots[t] = slot_of[active[t]]
        _active_gram_sweeps(
            X,
            h,
            mu,
            r,
            coef,
            lipschitz,
            l1,
            l2,
            lower,
            upper,
            active,
            cache,
            slots,
            n_cached,
            scratch_gradient,
            active_sweeps,
            threshold,
        )
        return change, n_cached, credit
    for _ in range(active_sweeps):
        credit += 2.0 * X.shape[0] * n_active  # (a dot product and an update per feature)
        if _sweep_dense(X, h, mu, r, coef, lipschitz, l1, l2, lower, upper, active) <= threshold:
            break
    return change, n_cached, credit


@njit(cache=True, nogil=True, fastmath=_FASTMATH, inline="always")
def _fill_cost(n_samples, features, slot_of, n_cached):
    """Multiply-adds that caching ``features`` costs: ``n`` for each entry between a
    missing feature and every feature cached after it."""
    missing = 0
    for j in features:
        if slot_of[j] < 0:
            missing += 1
    return float(n_samples) * missing * (n_cached + missing)


@njit(cache=True, nogil=True, fastmath=_FASTMATH)
def dense_path(
    X,
    h,
    mu,
    r,
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
    cache_credit,
):
    """The elastic-net path on a dense ``X`` in one call (see the module docstring).

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features), Fortran order, float64 or float32
    h : ndarray of shape (n_samples,)
        Sample weights summing to one.
    mu : ndarray of shape (n_features,)
        Column centres (``X̃ = X − 1μᵀ``, never formed).
    r : ndarray of shape (n_samples,)
        Residual ``z − X̃β`` of the warm start ``coef``; both are updated in place.
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
    cache_credit : float
        Multiply-adds of residual sweeps granted before the first Gram entries are
        cached: ``inf`` caches at once (a path reuses the entries at alpha after
        alpha), ``0`` only once the residual sweeps over the non-zeros have cost as
        much as the entries would (a single fit: caching 210 of 250 features at
        ``n = 900`` costs ``n·|A|²`` = 40M, about ten times the residual sweeps that
        converge it). Each fill spends the credit; sweeps earn it again (rent or buy:
        never more than twice the cheaper route's work).
    """
    n_features = X.shape[1]
    gradient = np.empty(n_features)
    _full_gradient(X, h, mu, r, gradient)
    in_set = np.zeros(n_features, dtype=np.bool_)
    # (the KKT passes that skip far columns: _mark_far_columns)
    known = np.zeros(n_features, dtype=np.bool_)
    none_given = np.zeros(n_features, dtype=np.bool_)
    root_lipschitz = np.sqrt(lipschitz)
    read_at = np.zeros(n_features)
    drift = 0.0
    last_r = r.copy()
    working_set = np.empty(n_features, dtype=np.int64)
    all_features = np.arange(n_features)
    l1 = np.empty(n_features)
    l2 = np.empty(n_features)
    before = np.empty(n_features)
    trial_r = np.empty(r.shape[0])
    history = np.empty((anderson + 1, n_features))
    floor = threshold_floor * max(target_norm2, 1e-300)
    # The Gram cache of the active sweeps: n features, up to 2n when the block stays
    # in L2 (_cache_capacity: beyond, residual sweeps cost no more than covariance
    # updates), and at most MAX_CACHED_FEATURES (its memory grows as the square).
    # Its entries are summed in float64 and stored in float32, whatever X's dtype:
    # that halves the bytes the covariance updates stream (most of a path's time: a
    # block of a few hundred features then stays in L2, and one of ~1000-2000 is read
    # from L3 at half the cost), and only the iterates between two residual refreshes
    # see its rounding: each round starts from the exact gradient, and the sweep over
    # W, the gaps and the KKT check read the residual, so a solution is a fixed point
    # of the rounds whatever the cache's rounding (its first update reads the exact
    # gradient and moves nothing, and so on down the sweep).
    capacity = min(n_features, _cache_capacity(X.shape[0], GRAM_CACHE_ITEMSIZE))
    cache = np.empty((capacity, capacity), dtype=np.float32)
    slot_of = np.full(n_features, -1, dtype=np.int64)
    cached = np.empty(capacity, dtype=np.int64)
    n_cached = 0
    scratch = np.empty((GRAM_BLOCK_ROWS, X.shape[0]))
    scratch_gradient = np.empty(capacity)
    previous = alpha_start
    last_threshold = tol_abs
    credit = cache_credit
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
            change, n_cached, credit = _round(
                X,
                h,
                mu,
                r,
                coef,
                lipschitz,
                l1,
                l2,
                lower,
                upper,
                features,
                active_sweeps,
                threshold,
                cache,
                slot_of,
                cached,
                n_cached,
                scratch,
                scratch_gradient,
                credit,
            )
            rounds += 1
            small = _update_is_small(coef, features, before, tol_rel)
            if anderson > 0 and n_set > 0:
                for t in range(n_set):
                    history[n_history, t] = coef[features[t]]
                n_history += 1
                if n_history == anderson + 1:
                    _extrapolate(
                        X,
                        h,
                        mu,
                        r,
                        coef,
                        l1,
                        l2,
                        lower,
                        upper,
                        features,
                        history[:, :n_set],
                        trial_r,
                    )
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
            on_set = np.empty(0)
            if rounds < max_iter and threshold > floor and n_set > 0:
                # The working-set gap first (O(n·|W|)); the full gradient, O(n·p),
                # only once that one is small enough.
                on_set = dense_gradient_subset(X, h, r, features)
                ws_gap = elastic_net_gap(
                    on_set,
                    coef,
                    _weighted_norm2(h, r),
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
            drift += _residual_move(h, r, last_r)
            if on_set.shape[0] == n_set and n_set > 0:
                # r has not moved since the working-set gap: its gradient is reused.
                _mark_far_columns(
                    gradient, root_lipschitz, read_at, drift, np.sqrt(_weighted_norm2(h, r)),
                    l1, coef, in_set, known,
                )
                _completed_gradient(X, h, mu, r, gradient, features, on_set, known)
            else:
                _mark_far_columns(
                    gradient, root_lipschitz, read_at, drift, np.sqrt(_weighted_norm2(h, r)),
                    l1, coef, none_given, known,
                )
                _full_gradient(X, h, mu, r, gradient, known)
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
                _weighted_norm2(h, r),
                l1,
                l2,
                lipschitz,
                lower,
                upper,
                all_features,
            )
            if gap <= tol_abs or rounds >= max_iter:
                break
            # Small changes but the gap still open (ill-conditioned): sweep on with a
            # tighter threshold (at the floor, a full check after every round).
            threshold = max(threshold * 0.1, floor)
        last_threshold = threshold
        coefs[k] = coef
        gaps[k] = gap
        n_iters[k] = rounds
        converged[k] = gap <= tol_abs
        previous = alpha


def dense_path_applies(problem, alphas) -> bool:
    """Whether :func:`run_dense_path` can solve ``problem`` along ``alphas``: least
    squares held as a dense residual (:class:`~._designs.DenseDesign`), every
    coordinate penalized (a zero weight or ``alpha = 0`` needs the projected gap)."""
    from ._designs import DenseDesign

    design = getattr(problem, "design", None)
    if type(design) is not DenseDesign or alphas.size == 0:
        return False
    return bool(np.all(problem.penalty_weights > 0) and np.all(alphas > 0))


def run_dense_path(
    problem,
    alphas: np.ndarray,
    tol: float,
    max_iter: int,
    cache_credit: float = np.inf,
    threshold_floor: float | None = None,
):
    """Solve ``problem`` (a dense :class:`~.problems.LeastSquaresProblem`) along
    ``alphas`` with :func:`dense_path`, from its current coefficients (``cache_credit``:
    :func:`dense_path`'s; the default caches at once, as a path should).

    Returns ``(coefs, gaps, n_iters, converged, seconds)`` with ``coefs`` of shape
    (n_alphas, n_features); the problem is left at the last alpha's solution.
    """
    import time

    from .constants import ACTIVE_SWEEPS, ANDERSON_DEPTH, SWEEP_THRESHOLD_FLOOR
    from .gram_route import path_outputs

    design, n_alphas = problem.design, alphas.size
    coefs, gaps, n_iters, converged = path_outputs(n_alphas, problem.n_features)
    coef = problem.coef.copy()
    residual = np.array(design.r, dtype=np.float64)
    start = time.perf_counter()
    dense_path(
        design.X,
        design.h,
        design.mu,  # (the design's: it may hold a centred copy of X with mu = 0)
        residual,
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
        SWEEP_THRESHOLD_FLOOR if threshold_floor is None else threshold_floor,
        float(problem.target_norm2),
        coefs,
        gaps,
        n_iters,
        converged,
        float(tol),  # tol_rel: scikit-learn's update test too
        float(cache_credit),
    )
    seconds = time.perf_counter() - start
    problem.set_coef(coef)
    return coefs, gaps, n_iters, converged, seconds
