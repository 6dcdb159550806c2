"""Coordinate-descent kernels (the only Numba code in shrinkage).

Every kernel minimizes, in place, the weighted penalized least-squares problem

.. math::

    \\min_\\beta\\; \\tfrac12 \\sum_i h_i r_i^2
        + \\sum_{j \\in W} \\big(l1_j |\\beta_j| + \\tfrac12 l2_j \\beta_j^2\\big),
    \\qquad r = z - \\tilde X \\beta,

over the coordinates of a working set ``W`` (the rest stay fixed). ``X̃`` is ``X``
with each column centred by ``mu_j`` (implicitly: ``X`` is never copied); when
``mu`` is the ``h``-weighted column mean and ``Σ h_i r_i = 0`` at the start, the
centring keeps ``Σ h_i r_i = 0``, which is what profiles out an intercept. With
``h = 1/n`` this is scikit-learn's Lasso/ElasticNet; with IRLS weights it is one
proximal-Newton step of logistic regression.

A coordinate update is exact:
``β_j ← S(L_j β_j + ∇_j, l1_j) / (L_j + l2_j)`` with ``L_j = Σ h_i x̃_ij²`` and
``∇_j = Σ h_i x̃_ij r_i``. A sweep reports the largest ``(L_j + l2_j) Δβ_j²``, an
upper bound on twice the objective decrease of one coordinate; the caller compares
it with the duality-gap tolerance.

Each ``cd_*`` function does one *round* of glmnet's active-set cycling: a sweep
over ``W``, then (unless that sweep changed nothing above ``threshold``) up to
``active_sweeps`` sweeps over the non-zero coordinates of ``W`` only. It returns the
largest change of the sweep over ``W``; the caller repeats rounds (with Anderson
extrapolation, :mod:`.least_squares`) until that change is below ``threshold``.

Accumulations are float64 whatever the dtype of ``X``.
"""

from __future__ import annotations

import numpy as np
from numba import njit

# Reassociation lets LLVM vectorize the dot products (SIMD reductions); NaN and inf
# keep their IEEE meaning (no 'nnan'/'ninf'), so bad input is never silently hidden.
_FASTMATH = {"reassoc", "contract", "nsz", "arcp"}


@njit(cache=True, nogil=True, inline="always", fastmath=_FASTMATH)
def _updated_coordinate(z, lipschitz, l1, l2, lower, upper):
    """``argmin_b ½(L + l2) b² − z b + l1|b|`` over ``lower ≤ b ≤ upper``.

    The problem is one-dimensional and convex, so the box minimizer is the free one
    clipped to the box (``lower ≤ 0 ≤ upper``; ``positive`` is ``[0, ∞)``).
    ``L = 0`` marks a constant column: its coefficient is 0 (the minimum-norm choice).
    """
    if lipschitz <= 0.0:
        return 0.0
    denominator = lipschitz + l2
    if z > l1:
        return min((z - l1) / denominator, upper)
    if z < -l1:
        return max((z + l1) / denominator, lower)
    return 0.0


@njit(cache=True, nogil=True, inline="always")
def screening_score(g, lower, upper):
    """:func:`shrinkage.penalties.screening_score` for one coordinate: how hard
    ``g = −∇_j f`` pushes a zero coefficient into its box."""
    if lower < 0.0:
        return abs(g) if upper > 0.0 else -g
    return g if upper > 0.0 else -np.inf


@njit(cache=True, nogil=True, inline="always")
def _one_side_conjugate(excess, l2, bound):
    """``sup_{0 ≤ t ≤ bound} (excess·t − ½ l2 t²)`` (0 if ``excess ≤ 0``)."""
    if excess <= 0.0:
        return 0.0
    if l2 > 0.0:
        t = excess / l2
        if t <= bound:
            return 0.5 * excess * t
        return excess * bound - 0.5 * l2 * bound * bound
    return excess * bound  # inf for an unbounded side: infeasible


@njit(cache=True, nogil=True, inline="always")
def box_conjugate(z, l1, l2, lower, upper):
    """``g_j*(z) = sup_{lower ≤ b ≤ upper} (z b − l1|b| − ½ l2 b²)``, the two sides
    apart (:func:`shrinkage.penalties.elastic_net_conjugate`)."""
    return _one_side_conjugate(z - l1, l2, upper) + _one_side_conjugate(-z - l1, l2, -lower)


@njit(cache=True, nogil=True, inline="always")
def dual_scale_score(g, lower, upper):
    """The part of ``g`` a pure-L1 coordinate's dual constraint bounds: the sides where
    the box is open (a finite bound makes that side's conjugate finite instead)."""
    score = 0.0
    if upper == np.inf and g > score:
        score = g
    if lower == -np.inf and -g > score:
        score = -g
    return score


@njit(cache=True, nogil=True, fastmath=_FASTMATH)
def _nonzero_subset(coef, features, out):
    n_active = 0
    for j in features:
        if coef[j] != 0.0:
            out[n_active] = j
            n_active += 1
    return n_active


# ---------------------------------------------------------------- dense X ------------
@njit(cache=True, nogil=True, fastmath=_FASTMATH)
def _sweep_dense(X, h, mu, r, coef, lipschitz, l1, l2, lower, upper, features):
    n_samples = X.shape[0]
    largest_change = 0.0
    for j in features:
        gradient = 0.0
        for i in range(n_samples):
            gradient += h[i] * X[i, j] * r[i]
        old = coef[j]
        new = _updated_coordinate(
            lipschitz[j] * old + gradient, lipschitz[j], l1[j], l2[j], lower[j], upper[j]
        )
        delta = new - old
        if delta != 0.0:
            coef[j] = new
            center = mu[j]
            for i in range(n_samples):
                r[i] -= delta * (X[i, j] - center)
            change = (lipschitz[j] + l2[j]) * delta * delta
            if change > largest_change:
                largest_change = change
    return largest_change


@njit(cache=True, nogil=True, fastmath=_FASTMATH)
def cd_dense(
    X, h, mu, r, coef, lipschitz, l1, l2, lower, upper, features, active_sweeps, threshold
):
    """One round over ``features`` of a dense ``X``; returns the full sweep's change.

    ``lower``, ``upper`` (one per feature) is the box of the coefficients."""
    change = _sweep_dense(X, h, mu, r, coef, lipschitz, l1, l2, lower, upper, features)
    if change > threshold:
        active = np.empty(features.shape[0], dtype=np.int64)
        n_active = _nonzero_subset(coef, features, active)
        for _ in range(active_sweeps):
            if (
                _sweep_dense(X, h, mu, r, coef, lipschitz, l1, l2, lower, upper, active[:n_active])
                <= threshold
            ):
                break
    return change


# ------------------------------------------------------------ sparse CSC X -----------
# The residual is stored as r = s + c: the centring term −Δβ_j·mu_j is the same for
# every row, so it goes into the scalar c and an update costs O(nnz of column j).
# Then ∇_j = Σ_nnz h_i x_ij s_i + c·hx_j, with hx_j = Σ_i h_i x_ij.
@njit(cache=True, nogil=True, fastmath=_FASTMATH)
def _sweep_sparse(
    data, indices, indptr, h, hx, mu, s, offset, coef, lipschitz, l1, l2, lower, upper, features
):
    largest_change = 0.0
    c = offset[0]
    for j in features:
        start, end = indptr[j], indptr[j + 1]
        gradient = c * hx[j]
        for k in range(start, end):
            i = indices[k]
            gradient += h[i] * data[k] * s[i]
        old = coef[j]
        new = _updated_coordinate(
            lipschitz[j] * old + gradient, lipschitz[j], l1[j], l2[j], lower[j], upper[j]
        )
        delta = new - old
        if delta != 0.0:
            coef[j] = new
            for k in range(start, end):
                s[indices[k]] -= delta * data[k]
            c += delta * mu[j]
            change = (lipschitz[j] + l2[j]) * delta * delta
            if change > largest_change:
                largest_change = change
    offset[0] = c
    return largest_change


@njit(cache=True, nogil=True, fastmath=_FASTMATH)
def cd_sparse(
    data,
    indices,
    indptr,
    h,
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
):
    """One round over ``features`` of a CSC matrix; returns the full sweep's change."""
    change = _sweep_sparse(
        data,
        indices,
        indptr,
        h,
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
    )
    if change > threshold:
        active = np.empty(features.shape[0], dtype=np.int64)
        n_active = _nonzero_subset(coef, features, active)
        for _ in range(active_sweeps):
            active_change = _sweep_sparse(
                data,
                indices,
                indptr,
                h,
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
                active[:n_active],
            )
            if active_change <= threshold:
                break
    return change


# -------------------------------------------------------- Gram matrix G = X̃ᵀHX̃ -------
from ._gram_active_set import newton_step, sync_factor  # noqa: E402

# Covariance updates (glmnet): keep the gradient g = q − Gβ on the working set; an
# update of β_j costs O(|W|) instead of O(n).
# When the working set is a large part of all features, updating the whole gradient
# column (contiguous: SIMD) is cheaper than gathering the working set's rows.
_DENSE_UPDATE_FRACTION = 0.25


@njit(cache=True, nogil=True, fastmath=_FASTMATH)
def _sweep_gram(gram, gradient, coef, lipschitz, l1, l2, lower, upper, features, working_set):
    largest_change = 0.0
    n_features = gradient.shape[0]
    contiguous = working_set.shape[0] > _DENSE_UPDATE_FRACTION * n_features
    for j in features:
        old = coef[j]
        new = _updated_coordinate(
            lipschitz[j] * old + gradient[j], lipschitz[j], l1[j], l2[j], lower[j], upper[j]
        )
        delta = new - old
        if delta != 0.0:
            coef[j] = new
            if contiguous:
                # (entries off the working set change too; callers recompute those)
                for k in range(n_features):
                    gradient[k] -= delta * gram[k, j]
            else:
                for k in working_set:
                    gradient[k] -= delta * gram[k, j]
            change = (lipschitz[j] + l2[j]) * delta * delta
            if change > largest_change:
                largest_change = change
    return largest_change


@njit(cache=True, nogil=True, fastmath=_FASTMATH)
def cd_gram(
    gram, gradient, coef, lipschitz, l1, l2, lower, upper, features, active_sweeps, threshold
):
    """One round over ``features`` on the Gram matrix; returns the full sweep's change.

    ``gradient`` must hold ``q − Gβ`` on ``features`` at entry and does at exit.
    """
    change = _sweep_gram(gram, gradient, coef, lipschitz, l1, l2, lower, upper, features, features)
    if change > threshold:
        active = np.empty(features.shape[0], dtype=np.int64)
        n_active = _nonzero_subset(coef, features, active)
        for _ in range(active_sweeps):
            active_change = _sweep_gram(
                gram,
                gradient,
                coef,
                lipschitz,
                l1,
                l2,
                lower,
                upper,
                active[:n_active],
                features,
            )
            if active_change <= threshold:
                break
    return change


@njit(cache=True, nogil=True, fastmath=_FASTMATH)
def centered_column_norms(X, h, mu):
    """``L_j = Σ_i h_i (x_ij − mu_j)²`` for a dense ``X``, without a centred copy."""
    n_samples, n_features = X.shape
    out = np.zeros(n_features)
    for j in range(n_features):
        acc = 0.0
        center = mu[j]
        for i in range(n_samples):
            d = X[i, j] - center
            acc += h[i] * d * d
        out[j] = acc
    return out


@njit(cache=True, nogil=True, fastmath=_FASTMATH)
def dense_gradient_subset(X, h, r, features):
    """``Σ_i h_i x_ij r_i`` for ``j`` in ``features`` (centring drops out: ``Σ h r = 0``)."""
    out = np.empty(features.shape[0])
    n_samples = X.shape[0]
    for k in range(features.shape[0]):
        j = features[k]
        acc = 0.0
        for i in range(n_samples):
            acc += h[i] * X[i, j] * r[i]
        out[k] = acc
    return out


@njit(cache=True, nogil=True, fastmath=_FASTMATH)
def sparse_gradient_subset(data, indices, indptr, h, hx, s, offset, features):
    """Sparse counterpart of :func:`dense_gradient_subset` (residual ``s + c``)."""
    out = np.empty(features.shape[0])
    c = offset[0]
    for k in range(features.shape[0]):
        j = features[k]
        acc = c * hx[j]
        for t in range(indptr[j], indptr[j + 1]):
            acc += h[indices[t]] * data[t] * s[indices[t]]
        out[k] = acc
    return out


@njit(cache=True, nogil=True, fastmath=_FASTMATH)
def elastic_net_gap(gradient, coef, residual_norm2, l1, l2, lipschitz, lower, upper, features):
    """Duality gap over ``features`` (``gradient[k]`` belongs to ``features[k]``).

    See :func:`shrinkage.solvers.least_squares.duality_gap` for the formula. The dual
    scale keeps the pure-L1 coordinates feasible on the sides their box leaves open;
    on a bounded side the box makes the conjugate finite (:func:`box_conjugate`).
    """
    worst_ratio = 1.0
    for k in range(features.shape[0]):
        j = features[k]
        if l2[j] == 0.0 and l1[j] > 0.0:
            score = dual_scale_score(gradient[k], lower[j], upper[j])
            if score > worst_ratio * l1[j]:
                worst_ratio = score / l1[j]
    scale = 1.0 / worst_ratio
    gap = 0.5 * (1.0 - scale) * (1.0 - scale) * residual_norm2
    for k in range(features.shape[0]):
        j = features[k]
        g = gradient[k]
        b = coef[j]
        lo = lower[j]
        hi = upper[j]
        gap += l1[j] * abs(b) + 0.5 * l2[j] * b * b - scale * b * g
        z = scale * g
        if l2[j] > 0.0:
            gap += box_conjugate(z, l1[j], l2[j], lo, hi)
        elif l1[j] > 0.0:
            # Open sides are feasible by the choice of scale (up to rounding): only the
            # bounded sides add their (finite) conjugate.
            if hi < np.inf:
                gap += _one_side_conjugate(z - l1[j], 0.0, hi)
            if lo > -np.inf:
                gap += _one_side_conjugate(-z - l1[j], 0.0, -lo)
        elif lipschitz[j] > 0.0:
            if (g > 0.0 and hi < np.inf) or (g < 0.0 and lo > -np.inf):
                gap += box_conjugate(z, 0.0, 0.0, lo, hi)  # pushed onto a finite bound
            else:
                # Unpenalized and free on the pushed side: what one exact coordinate
                # step (clipped to the box) would still gain.
                step = min(max(g, lipschitz[j] * (lo - b)), lipschitz[j] * (hi - b))
                gap += step * step / (2.0 * lipschitz[j])
    return max(gap, 0.0)


# ------------------------------------------------- a whole path on the Gram matrix ------
#: The largest support the path factors for its active-set steps (the factor is a
#: capacity² array next to the Gram matrix).
NEWTON_MAX_SIZE = 3000
#: Active-set steps per alpha that may fail (singular system, no descent) before the
#: alpha is left to coordinate descent.
NEWTON_MAX_FAILURES = 2
#: Sweeps over the non-zeros per round while active-set steps are on (they, not the
#: sweeps, converge on a fixed support).
NEWTON_ACTIVE_SWEEPS = 0
#: Pieces of one active-set step (homotopy along the faces) before coordinate descent
#: takes over again.
NEWTON_MAX_PIECES = 20


@njit(cache=True, nogil=True)
def _support_state(coef, features, lower, upper, support, position):
    """Record each feature's state (0: zero, ±1: free with that sign, ±2: on a bound)
    in ``support``; return whether any changed since the last call, the number of
    free non-zeros, and how many must enter or leave the factor."""
    changed = False
    n_free = 0
    n_moves = 0
    for j in features:
        b = coef[j]
        state = 0
        if b != 0.0:
            state = 1 if b > 0.0 else -1
            if b <= lower[j] or b >= upper[j]:
                state *= 2
        if state != support[j]:
            changed = True
            support[j] = state
        free = state == 1 or state == -1
        n_free += free
        n_moves += free != (position[j] >= 0)
    return changed, n_free, n_moves


@njit(cache=True, nogil=True)
def _active_set_step(
    gram,
    gradient,
    coef,
    l1,
    l2,
    lower,
    upper,
    features,
    support,
    solved,
    active_sweeps,
    factor,
    order,
    position,
    factor_size,
    scratch,
    work,
):
    """An active-set step (:func:`.newton_step`) unless the support is unchanged since
    it was solved or the cost model forbids it; the step's status (1 exact, 2 cut,
    0 failed), −1 when none was tried, −2 when none was tried and the support moved."""
    changed, n_free, n_moves = _support_state(coef, features, lower, upper, support, position)
    # Tried even when the support moved: a wrong sign only cuts the step (homotopy),
    # and waiting for a still round costs more rounds than a cut step (1000x1000 CV
    # folds: 2.0 vs 2.6 s).
    if solved and not changed:
        return -1
    if not _newton_pays(n_free, n_moves, factor_size[0], gradient.shape[0], active_sweeps):
        return -2 if changed else -1
    if not sync_factor(
        gram, l2, coef, lower, upper, features, factor, order, position, factor_size, scratch
    ):
        return 0
    return newton_step(
        gram,
        gradient,
        coef,
        l1,
        l2,
        lower,
        upper,
        features,
        factor,
        order,
        position,
        factor_size,
        work[0],
        work[1],
        NEWTON_MAX_PIECES,
    )


@njit(cache=True, nogil=True, inline="always")
def _newton_pays(n_free, n_moves, size, n_features, active_sweeps):
    """Cost model: an active-set step costs a triangular solve (``m²``) per feature
    that enters or leaves the factor, two more for the step and a gradient update
    (``m·p``); a round of coordinate descent up to ``(1 + active_sweeps)·m·p``. The
    step replaces many rounds on a correlated support: take it while it costs at
    most a few rounds."""
    if n_free == 0:
        return False
    m = max(size, n_free)
    step = (n_moves + 2.0) * m * m + m * n_features
    return step <= 4.0 * (1.0 + active_sweeps) * n_free * n_features


@njit(cache=True, nogil=True, fastmath=_FASTMATH)
def _update_is_small(coef, features, before, tol_rel):
    """scikit-learn's test before it checks the gap: the largest ``|Δβ_j|`` since
    ``before`` (``before[t]`` belongs to ``features[t]``) is at most
    ``tol_rel·max|β_j|`` over ``features`` (true when all are zero)."""
    w_max = 0.0
    d_w_max = 0.0
    for t in range(features.shape[0]):
        b = coef[features[t]]
        w_max = max(w_max, abs(b))
        d_w_max = max(d_w_max, abs(b - before[t]))
    return w_max == 0.0 or d_w_max <= tol_rel * w_max


@njit(cache=True, nogil=True, fastmath=_FASTMATH)
def _full_gram_gradient(gram, q, coef, gradient, skip):
    """``q − Gβ`` for every feature not in ``skip`` (those are kept exact by the sweeps)."""
    n_features = q.shape[0]
    nonzero = np.empty(n_features, dtype=np.int64)
    n_nonzero = 0
    for j in range(n_features):
        if coef[j] != 0.0:
            nonzero[n_nonzero] = j
            n_nonzero += 1
    for j in range(n_features):
        if skip[j]:
            continue
        acc = q[j]
        for t in range(n_nonzero):
            i = nonzero[t]
            acc -= gram[j, i] * coef[i]
        gradient[j] = acc


@njit(cache=True, nogil=True, fastmath=_FASTMATH)
def _solve_small(matrix, rhs):
    """Gaussian elimination with partial pivoting for a tiny system; (x, ok)."""
    size = rhs.shape[0]
    a = matrix.copy()
    b = rhs.copy()
    for col in range(size):
        pivot = col
        for row in range(col + 1, size):
            if abs(a[row, col]) > abs(a[pivot, col]):
                pivot = row
        if abs(a[pivot, col]) <= 1e-300:
            return b, False
        if pivot != col:
            for k in range(size):
                a[col, k], a[pivot, k] = a[pivot, k], a[col, k]
            b[col], b[pivot] = b[pivot], b[col]
        for row in range(col + 1, size):
            factor = a[row, col] / a[col, col]
            for k in range(col, size):
                a[row, k] -= factor * a[col, k]
            b[row] -= factor * b[col]
    for col in range(size - 1, -1, -1):
        acc = b[col]
        for k in range(col + 1, size):
            acc -= a[col, k] * b[k]
        b[col] = acc / a[col, col]
    for k in range(size):
        if not np.isfinite(b[k]):
            return b, False
    return b, True


@njit(cache=True, nogil=True, fastmath=_FASTMATH)
def _gram_objective(coef, q, gradient, target_norm2, l1, l2, features):
    """``½‖r‖²_H + penalty`` from the Gram quantities (``β`` zero off ``features``)."""
    fit = 0.0
    penalty = 0.0
    for j in features:
        b = coef[j]
        fit += b * (q[j] + gradient[j])
        penalty += l1[j] * abs(b) + 0.5 * l2[j] * b * b
    return 0.5 * max(target_norm2 - fit, 0.0) + penalty


@njit(cache=True, nogil=True, fastmath=_FASTMATH)
def _gram_extrapolate(
    gram, q, target_norm2, coef, gradient, l1, l2, lower, upper, features, history
):
    """Anderson step from the rows of ``history`` (iterates on ``features``): move there
    if it lowers the objective (Bertrand & Massias 2021), else stay."""
    n_hist = history.shape[0] - 1
    n_set = features.shape[0]
    differences = np.empty((n_hist, n_set))
    for k in range(n_hist):
        for t in range(n_set):
            differences[k, t] = history[k + 1, t] - history[k, t]
    normal = differences @ differences.T
    weights, ok = _solve_small(normal, np.ones(n_hist))
    total = weights.sum()
    if not ok or total == 0.0:
        return
    current = _gram_objective(coef, q, gradient, target_norm2, l1, l2, features)
    saved_coef = coef.copy()
    saved_gradient = gradient.copy()
    for t in range(n_set):
        value = 0.0
        for k in range(n_hist):
            value += weights[k] * history[k + 1, t]
        value /= total
        j = features[t]
        coef[j] = min(max(value, lower[j]), upper[j])  # back into the box
    for t in range(n_set):  # the gradient on the working set at the new point
        j = features[t]
        acc = q[j]
        for u in range(n_set):
            i = features[u]
            if coef[i] != 0.0:
                acc -= gram[j, i] * coef[i]
        gradient[j] = acc
    trial = _gram_objective(coef, q, gradient, target_norm2, l1, l2, features)
    if not trial < current:
        coef[:] = saved_coef
        gradient[:] = saved_gradient


@njit(cache=True, nogil=True, fastmath=_FASTMATH)
def gram_path(
    gram,
    q,
    target_norm2,
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
    coefs,
    gaps,
    n_iters,
    converged,
    tol_rel=np.inf,
    newton=True,
):
    """The whole elastic-net path on ``G = X̃ᵀHX̃``, ``q = X̃ᵀHz``, in one call.

    glmnet's covariance-update algorithm without leaving compiled code: for each alpha
    (decreasing) the sequential strong rule picks the working set, rounds of
    :func:`cd_gram` converge on it, a KKT check over all features adds any feature the
    rule missed, and the alpha is done when the duality gap (:func:`elastic_net_gap`)
    is at most ``tol_abs``. Every ``anderson + 1`` rounds an Anderson extrapolation of
    the iterates is tried (kept only if it lowers the objective), which is what
    ill-conditioned designs need. The sweep threshold is never lowered below
    ``threshold_floor·target_norm2``. As scikit-learn (and
    :func:`~shrinkage.solvers.least_squares.solve_least_squares` with ``tol_rel``), an
    alpha ends only after a round whose largest ``|Δβ_j|`` is at most
    ``tol_rel·max|β_W|``: on flat directions the gap certifies ``tol_abs`` before the
    coefficients have settled (``inf``: the gap alone decides). The tuning constants
    (``active_sweeps``, ``anderson``, ``threshold_floor``) come from :mod:`.constants`,
    shared with the Python solver. ``coef`` is the warm start and is updated in place.
    ``lower``, ``upper`` is the box of the coefficients (``[0, ∞)`` for ``positive``).
    Results go to ``coefs`` (n_alphas, p), ``gaps``, ``n_iters`` and ``converged``.

    With ``newton``, once a round leaves the support and signs of ``β`` unchanged, an
    exact active-set step (:mod:`._gram_active_set`: one solve with an incrementally
    updated Cholesky factor of ``G_AA + diag(l2_A)``) replaces the many sweeps that
    correlated supports need; it is taken only when a cost model says it is cheaper
    than a few rounds, and the gap and KKT checks decide convergence as before.
    """
    n_features = q.shape[0]
    gradient = q.copy()
    _full_gram_gradient(gram, q, coef, gradient, np.zeros(n_features, dtype=np.bool_))
    in_set = np.zeros(n_features, dtype=np.bool_)
    working_set = np.empty(n_features, dtype=np.int64)
    all_features = np.arange(n_features)
    l1 = np.empty(n_features)
    l2 = np.empty(n_features)
    previous = alpha_start
    floor = threshold_floor * max(target_norm2, 1e-300)
    last_threshold = tol_abs
    before = np.empty(n_features)
    # The active-set steps' state: the factor of the support (rows of L in `order`),
    # each feature's position in it (−1: out), and the support's state last round.
    capacity = min(n_features, NEWTON_MAX_SIZE) if newton else 0
    factor = np.empty((capacity, capacity))
    order = np.empty(capacity, dtype=np.int64)
    position = np.full(n_features, -1, dtype=np.int64)
    factor_size = np.zeros(1, dtype=np.int64)
    scratch = np.zeros(n_features, dtype=np.bool_)
    newton_work = np.empty((2, n_features if newton else 0))
    support = np.zeros(n_features, dtype=np.int8)
    ridge = l1_ratio < 1.0
    for k in range(alphas.shape[0]):
        alpha = alphas[k]
        for j in range(n_features):
            l1[j] = alpha * l1_ratio * weights[j]
            l2[j] = alpha * (1.0 - l1_ratio) * weights[j]
            score = screening_score(gradient[j], lower[j], upper[j])
            if coef[j] != 0.0 or score > 2.0 * l1[j] - previous * l1_ratio * weights[j]:
                in_set[j] = True
        n_set = 0
        for j in range(n_features):
            if in_set[j]:
                working_set[n_set] = j
                n_set += 1
        # The sweep threshold that brought the previous alpha's gap under tol is a good
        # start for this one (one decade looser): far fewer settle-check-tighten rounds
        # than restarting from tol each time.
        threshold = max(min(tol_abs, 10.0 * last_threshold), floor)
        rounds = 0
        gap = np.inf
        history = np.empty((anderson + 1, n_features))
        n_history = 0
        if ridge:  # l2 moved with alpha: the factor of G_AA + diag(l2_A) is stale
            for t in range(factor_size[0]):
                position[order[t]] = -1
            factor_size[0] = 0
        newton_failures = 0
        solved = False  # the support's restricted problem was solved exactly
        while True:
            features = working_set[:n_set]
            sweeps = active_sweeps
            if capacity > 0 and newton_failures < NEWTON_MAX_FAILURES:
                # An exact step on the current support (at a new alpha: the last
                # one's, a predictor step) instead of many sweeps.
                status = _active_set_step(
                    gram,
                    gradient,
                    coef,
                    l1,
                    l2,
                    lower,
                    upper,
                    features,
                    support,
                    solved,
                    active_sweeps,
                    factor,
                    order,
                    position,
                    factor_size,
                    scratch,
                    newton_work,
                )
                if status == 0:
                    newton_failures += 1
                if status >= 0 or status == -2:
                    solved = status == 1
                if status > 0:
                    n_history = 0  # a jump: the Anderson history is stale
                sweeps = NEWTON_ACTIVE_SWEEPS
            for t in range(n_set):
                before[t] = coef[features[t]]
            change = cd_gram(
                gram,
                gradient,
                coef,
                lipschitz,
                l1,
                l2,
                lower,
                upper,
                features,
                sweeps,
                threshold,
            )
            rounds += 1
            small = _update_is_small(coef, features, before, tol_rel)
            if anderson > 0:
                for t in range(n_set):
                    history[n_history, t] = coef[features[t]]
                n_history += 1
                if n_history == anderson + 1:
                    _gram_extrapolate(
                        gram,
                        q,
                        target_norm2,
                        coef,
                        gradient,
                        l1,
                        l2,
                        lower,
                        upper,
                        features,
                        history[:, :n_set],
                    )
                    n_history = 0
            if change > threshold and rounds < max_iter:
                continue
            if not small and rounds < max_iter:
                # scikit-learn's test: no gap before a small update (and a tighter
                # threshold, so that the cheap sweeps over the non-zeros do the work).
                threshold = max(threshold * 0.1, floor)
                continue
            if rounds < max_iter and threshold > floor:
                # The gap of the working-set problem first (its gradient is exact): the
                # full gradient, O(p·nnz), only once that one is small enough.
                residual_norm2 = max(target_norm2 - coef @ q - coef @ gradient, 0.0)
                ws_gap = elastic_net_gap(
                    gradient[features],
                    coef,
                    residual_norm2,
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
            _full_gram_gradient(gram, q, coef, gradient, in_set)
            added = False
            for j in range(n_features):
                if not in_set[j]:
                    score = screening_score(gradient[j], lower[j], upper[j])
                    if score > l1[j] and lipschitz[j] > 0.0:
                        in_set[j] = True
                        working_set[n_set] = j
                        n_set += 1
                        added = True
            if added and rounds < max_iter:
                n_history = 0  # the working set changed: restart the history
                continue
            residual_norm2 = max(target_norm2 - coef @ q - coef @ gradient, 0.0)
            gap = elastic_net_gap(
                gradient, coef, residual_norm2, l1, l2, lipschitz, lower, upper, all_features
            )
            if gap <= tol_abs or rounds >= max_iter:
                break
            # Small changes but a gap still open: ill-conditioned, keep sweeping with
            # a tighter inner threshold (at the floor, a gap check after every round).
            threshold = max(threshold * 0.1, floor)
        last_threshold = threshold
        coefs[k] = coef
        gaps[k] = gap
        n_iters[k] = rounds
        converged[k] = gap <= tol_abs
        previous = alpha
