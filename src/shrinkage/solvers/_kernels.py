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

Accumulations are float64 whatever the dtype of ``X``, but for a float32 residual
(:func:`cd_dense` on float32 data far from the tolerance floor,
:class:`._designs.SingleDenseDesign`): its dot products and updates are float32.
"""

from __future__ import annotations

import numpy as np

from .._jit import njit

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
@njit(cache=True, nogil=True, inline="always")
def _common_weight(h):
    """``h_0`` when every ``h_i`` equals it (no sample weights), else 0."""
    for i in range(1, h.shape[0]):
        if h[i] != h[0]:
            return 0.0
    return h[0] if h.shape[0] else 0.0


@njit(cache=True, nogil=True, inline="always")
def _column_dot(X, h, r, j, weight):
    """``Σ_i h_i x_ij r_i``; with equal weights (``weight = h_0``, :func:`_common_weight`)
    as ``h_0 Σ_i x_ij r_i``, leaving ``h`` unread: one stream of three (1000x1000
    float32: 0.43 instead of 0.60 ns an entry for a dot product and its residual
    update). That sum is in the precision of ``x_ij r_i``: float32 for a float32 ``X``
    and residual (SIMD lanes twice as wide, no conversion per entry: 0.26 -> 0.18 ns
    an entry), else float64."""
    if weight != 0.0:
        unweighted = np.float32(0.0)  # (typed float64 unless X and r are float32)
        for i in range(X.shape[0]):
            unweighted += X[i, j] * r[i]
        return unweighted * weight
    acc = 0.0
    for i in range(X.shape[0]):
        acc += h[i] * X[i, j] * r[i]
    return acc


@njit(cache=True, nogil=True, fastmath=_FASTMATH)
def _sweep_dense(X, h, mu, r, coef, lipschitz, l1, l2, lower, upper, features):
    n_samples = X.shape[0]
    largest_change = 0.0
    weight = _common_weight(h)  # (no sample_weight: the dot products leave h unread)
    precision = np.empty(2, dtype=r.dtype)  # δ and μ_j in the residual's precision
    for j in features:
        gradient = _column_dot(X, h, r, j, weight)
        old = coef[j]
        new = _updated_coordinate(
            lipschitz[j] * old + gradient, lipschitz[j], l1[j], l2[j], lower[j], upper[j]
        )
        delta = new - old
        if delta != 0.0:
            coef[j] = new
            precision[0] = delta
            precision[1] = mu[j]
            step = precision[0]
            center = precision[1]
            for i in range(n_samples):
                r[i] -= step * (X[i, j] - center)
            change = (lipschitz[j] + l2[j]) * delta * delta
            if change > largest_change:
                largest_change = change
    return largest_change


@njit(cache=True, nogil=True, fastmath=_FASTMATH)
def cd_dense(
    X, h, mu, r, coef, lipschitz, l1, l2, lower, upper, features, active_sweeps, threshold
):
    """One round over ``features`` of a dense ``X``; returns the full sweep's change.

    ``lower``, ``upper`` (one per feature) is the box of the coefficients. A float32
    residual ``r`` (float32 ``X``) is updated in float32 and drifts from ``z − X̃β`` by
    rounding: the caller recomputes it exactly before any gradient it certifies a gap
    or KKT condition with (:class:`._designs.SingleDenseDesign`)."""
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
def sweep_sparse_weighted(
    data, hdata, indices, indptr, hx, mu, s, offset, coef, lipschitz, l1, l2, lower, upper, features
):
    """:func:`_sweep_sparse` with ``hdata = h[indices]·data`` formed once (the compiled
    sparse path's): the gradient reads ``hdata`` in order instead of gathering ``h``."""
    largest_change = 0.0
    c = offset[0]
    for j in features:
        start, end = indptr[j], indptr[j + 1]
        gradient = c * hx[j]
        for k in range(start, end):
            gradient += hdata[k] * s[indices[k]]
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

# Covariance updates (glmnet): keep the gradient g = q − Gβ on the working set; an
# update of β_j costs O(|W|) instead of O(n).
# When the working set is a large part of all features, updating the whole gradient
# column (contiguous: SIMD) is cheaper than gathering the working set's rows.
_DENSE_UPDATE_FRACTION = 0.25


@njit(cache=True, nogil=True, fastmath=_FASTMATH)
def _sweep_gram(gram, gradient, coef, lipschitz, l1, l2, lower, upper, features, working_set):
    """A sweep over ``features`` with covariance updates of ``gradient`` (on
    ``working_set``, or all of it when contiguous); returns the largest
    ``(L_j + l2_j)δ²``. The updates run in ``gradient``'s precision: a float32 gradient
    (:func:`._gram_sweeps._cd_gram_single`) with a float32 ``gram`` takes ``δ`` rounded to
    float32 (a float64 factor would promote every update: 0.19 instead of 0.12 ns an
    entry); a float64 gradient takes ``δ`` as it is."""
    largest_change = 0.0
    n_features = gradient.shape[0]
    contiguous = working_set.shape[0] > _DENSE_UPDATE_FRACTION * n_features
    precision = np.empty(1, dtype=gradient.dtype)  # δ in the gradient's precision
    for j in features:
        old = coef[j]
        new = _updated_coordinate(
            lipschitz[j] * old + gradient[j], lipschitz[j], l1[j], l2[j], lower[j], upper[j]
        )
        delta = new - old
        if delta != 0.0:
            coef[j] = new
            precision[0] = delta
            step = precision[0]
            if contiguous:
                # (entries off the working set change too; callers recompute those)
                for k in range(n_features):
                    gradient[k] -= step * gram[k, j]
            else:
                for k in working_set:
                    gradient[k] -= step * gram[k, j]
            change = (lipschitz[j] + l2[j]) * delta * delta
            if change > largest_change:
                largest_change = change
    return largest_change


@njit(cache=True, nogil=True, fastmath=_FASTMATH)
def cd_gram(
    gram, gradient, coef, lipschitz, l1, l2, lower, upper, features, active_sweeps, threshold
):
    """One round over ``features`` on the Gram matrix: a sweep over ``features``, then
    up to ``active_sweeps`` over their non-zeros while the change exceeds
    ``threshold``. Returns the full sweep's change and the round's work in
    multiply-adds (what :func:`._gram_path.gram_path`'s step rule weighs):
    ``n_nonzero·len`` per sweep over the non-zeros (each a column update of length
    ``len``: ``p``, or ``|features|`` when not contiguous, as :func:`_sweep_gram`),
    plus ``|features|``.

    ``gradient`` must hold ``q − Gβ`` on ``features`` at entry and does at exit.
    """
    change = _sweep_gram(gram, gradient, coef, lipschitz, l1, l2, lower, upper, features, features)
    n_set = features.shape[0]
    n_features = gradient.shape[0]
    length = n_features if n_set > _DENSE_UPDATE_FRACTION * n_features else n_set
    active = np.empty(n_set, dtype=np.int64)
    n_active = _nonzero_subset(coef, features, active)
    sweeps = 1
    if change > threshold:
        for _ in range(active_sweeps):
            sweeps += 1
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
    return change, float(n_set) + float(sweeps) * n_active * length


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
def _weighted_residual(h, r):
    """``w = h ∘ r`` and ``Σ_i w_i``: a centred gradient is then
    ``Σ_i h_i (x_ij − μ_j) r_i = Σ_i x_ij w_i − μ_j Σ_i w_i`` (one pass over ``X``)."""
    weighted = np.empty(r.shape[0])
    total = 0.0
    for i in range(r.shape[0]):
        weighted[i] = h[i] * r[i]
        total += weighted[i]
    return weighted, total


@njit(cache=True, nogil=True, fastmath=_FASTMATH)
def centered_norms_and_gradient(X, h, mu, target):
    """:func:`centered_column_norms` and ``∇_j = Σ_i h_i (x_ij − mu_j) z_i`` (the
    gradient at ``β = 0``, residual ``z = target``) in one pass over ``X``.

    A single fit reads ``X`` a handful of times before its first sweep; this is one
    of them instead of two (each column is still in cache for its second sum)."""
    n_samples, n_features = X.shape
    norms = np.empty(n_features)
    gradient = np.empty(n_features)
    weighted, total = _weighted_residual(h, target)
    for j in range(n_features):
        center = mu[j]
        acc = 0.0
        dot = 0.0
        for i in range(n_samples):
            d = X[i, j] - center
            acc += h[i] * d * d
            dot += X[i, j] * weighted[i]
        norms[j] = acc
        gradient[j] = dot - center * total
    return norms, gradient


@njit(cache=True, nogil=True, fastmath=_FASTMATH)
def dense_gradient_subset(X, h, r, features):
    """``Σ_i h_i x_ij r_i`` for ``j`` in ``features`` (centring drops out: ``Σ h r = 0``)."""
    out = np.empty(features.shape[0])
    weight = _common_weight(h)  # (as _sweep_dense: equal weights leave h unread)
    for k in range(features.shape[0]):
        out[k] = _column_dot(X, h, r, features[k], weight)
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


# ------------------------------------------ small helpers shared by the compiled paths ---
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
def _changes_are_rounding(coef, features, before, l1, l2, lipschitz, target_norm2):
    """Whether every ``|Δβ_j|`` since ``before`` is within the rounding of a coordinate
    update, ``1e-13·(l1_j + L_j|β_j| + sqrt(L_j Σh z²)) / (L_j + l2_j)`` (the terms of
    ``z_j = L_jβ_j + ∇_j``, with ``|∇_j| ≤ sqrt(L_j‖r‖²_H)``; 1e-13: a thousand
    times double rounding). The compiled paths ask it when scikit-learn's update test
    fails at the sweep-threshold floor."""
    for t in range(features.shape[0]):
        j = features[t]
        b = coef[j]
        curvature = lipschitz[j] + l2[j]
        if curvature <= 0.0:
            continue
        scale = l1[j] + lipschitz[j] * abs(b) + np.sqrt(lipschitz[j] * target_norm2)
        if abs(b - before[t]) > 1e-13 * scale / curvature:
            return False
    return True


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
