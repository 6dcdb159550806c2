"""The Gram cache of :func:`.dense_path.dense_path`'s active sweeps (glmnet's covariance
updates on the non-zeros of a ``p > n`` path): how many features it holds
(:func:`_cache_capacity`), filling it (:func:`_cache_features`, entries in register tiles:
:func:`_gram_entries`), evicting the features that left the active set, and the sweeps
that update the gradient from it (:func:`_active_gram_sweeps`).
"""

from __future__ import annotations

import numpy as np

from .._jit import njit
from ._kernels import _FASTMATH, _updated_coordinate

#: Most features whose Gram entries the active sweeps cache (2048² float64: 32 MiB).
MAX_CACHED_FEATURES = 2048
#: Largest Gram block (bytes) the active sweeps cache beyond ``n`` features: about a
#: core's L2 cache (see :func:`_cache_capacity`).
GRAM_BLOCK_BYTES = 1 << 20
#: Bytes of one entry of the Gram cache (float32: see :func:`.dense_path.dense_path`).
GRAM_CACHE_ITEMSIZE = 4
#: Features whose Gram entries :func:`_cache_features` computes together (their
#: weighted columns, 32·n floats, stay in L2 while the cached columns stream by).
GRAM_BLOCK_ROWS = 32


# ------------------------------------- active sweeps on a cached Gram block ----------
# A round is one sweep over the working set W (residual updates: every gradient there is
# a fresh O(n) dot product) and then up to `active_sweeps` sweeps over the non-zeros A
# of W. Those sweeps are most of the work of a path (on AR(1) designs with p > n, five
# visits of a non-zero for one of a working-set feature), and glmnet's covariance
# updates make them cheaper when |A| < 2n: with G_AA = X̃_AᵀHX̃_A, a coordinate update
# changes the gradient on A by −Δβ_j G_Aj, O(|A|) instead of the O(2n) of a dot product
# and a residual update. The Gram entries are cached across rounds and alphas (A changes
# slowly along a path), so a feature entering A costs one O(n·|cache|) column.


@njit(cache=True, nogil=True, fastmath=_FASTMATH)
def _cache_capacity(n_samples, itemsize):
    """Most features the Gram cache holds: ``n``, or more while covariance updates still
    beat residual sweeps over the ``|A| > n`` non-zeros.

    A coordinate update costs ``n_c`` multiply-adds on a cached row (``n_c ≥ |A|`` the
    cached features) against ``2n`` for a residual dot product and update, so the
    arithmetic favours the cache up to ``n_c = 2n``. Beyond ``n`` the two routes trade
    arithmetic for memory traffic, though: a sweep streams the ``n_c·|A|`` entries of
    the block against the ``n·|A|`` of ``X``'s columns (the residual stays in L1), so
    the block pays only while it stays in a core's L2 cache (``n_c²·itemsize ≤``
    :data:`GRAM_BLOCK_BYTES`, ``itemsize`` the entries' bytes:
    :data:`GRAM_CACHE_ITEMSIZE`). Measured on AR(1) float32 paths: 316×3162 (|A| to 452,
    a 0.8 MB block) gains 15–20% from a capacity of ``2n``, 577×1732 (|A| to 740,
    2.2 MB) nothing."""
    in_l2 = int(np.sqrt(GRAM_BLOCK_BYTES / itemsize))
    return min(max(n_samples, min(2 * n_samples, in_l2)), MAX_CACHED_FEATURES)


@njit(cache=True, nogil=True, fastmath=_FASTMATH)
def _evict_outside(features, cache, slot_of, cached, n_cached):
    """Drop the cached features outside ``features`` (they left A), keeping the others'
    entries; returns the new count.

    Slots move down in order, so the in-place copy reads every entry before it is
    overwritten. No entry is recomputed: a full rebuild each time A changes near the
    capacity would cost O(n·|A|²) a round."""
    capacity = cache.shape[0]
    keep = np.zeros(capacity, dtype=np.bool_)
    for j in features:
        if slot_of[j] >= 0:
            keep[slot_of[j]] = True
    new_slot = np.empty(capacity, dtype=np.int64)
    n_kept = 0
    for t in range(n_cached):
        if keep[t]:
            new_slot[t] = n_kept
            n_kept += 1
        else:
            slot_of[cached[t]] = -1
    for a in range(n_cached):
        if keep[a]:
            for b in range(n_cached):
                if keep[b]:
                    cache[new_slot[a], new_slot[b]] = cache[a, b]
    for t in range(n_cached):
        if keep[t]:
            cached[new_slot[t]] = cached[t]
            slot_of[cached[t]] = new_slot[t]
    return n_kept


@njit(cache=True, nogil=True, inline="always")
def _store_symmetric(cache, row, column, value):
    cache[row, column] = value
    cache[column, row] = value


@njit(cache=True, nogil=True, inline="always")
def _store_centred(cache, rows, totals, b, slot, center, acc):
    """Entry of new row ``rows[b]`` and cached ``slot`` (both sides: symmetric), centred
    on the cached feature's mean."""
    _store_symmetric(cache, rows[b], slot, acc - center * totals[b])


@njit(cache=True, nogil=True, fastmath=_FASTMATH)
def _entries_of_feature(X, mu, columns, totals, rows, first, n_rows, cache, slot, k):
    """The entries of the new rows ``rows[first:n_rows]`` against cached feature ``k``
    (in ``slot``), four rows per read of ``x_k``."""
    n_samples = X.shape[0]
    center = mu[k]
    b = first
    while b + 4 <= n_rows:
        acc0 = 0.0
        acc1 = 0.0
        acc2 = 0.0
        acc3 = 0.0
        for i in range(n_samples):
            x = X[i, k]
            acc0 += columns[b, i] * x
            acc1 += columns[b + 1, i] * x
            acc2 += columns[b + 2, i] * x
            acc3 += columns[b + 3, i] * x
        _store_centred(cache, rows, totals, b, slot, center, acc0)
        _store_centred(cache, rows, totals, b + 1, slot, center, acc1)
        _store_centred(cache, rows, totals, b + 2, slot, center, acc2)
        _store_centred(cache, rows, totals, b + 3, slot, center, acc3)
        b += 4
    while b < n_rows:
        acc = 0.0
        for i in range(n_samples):
            acc += columns[b, i] * X[i, k]
        _store_centred(cache, rows, totals, b, slot, center, acc)
        b += 1


@njit(cache=True, nogil=True, fastmath=_FASTMATH)
def _gram_entries(X, mu, columns, totals, rows, n_rows, cache, cached, n_cached):
    """Entries ``Σ_i columns[b, i]·x̃_ik`` of the cache rows ``rows[:n_rows]`` (and,
    symmetric, columns) against every cached feature ``k``.

    ``columns[b] = h ∘ x̃_j`` of the feature of row ``rows[b]``, ``totals[b]`` its sum
    (the centring of ``x_k``: ``Σ h x̃_j (x_k − μ_k) = Σ h x̃_j x_k − μ_k Σ h x̃_j``).
    Register tiles of four cached features by four new rows: each sample's four ``x_ik``
    and four ``columns[b, i]`` feed 16 multiply-adds, where one feature by four rows
    loaded five numbers for four (the loads, not the arithmetic, bound that loop).
    Column ``k`` of ``X`` still comes from memory once per four new features. n x
    cached x new rows, CPU ms, float32 X (float64): 1826x1000x32 6.1 -> 3.0 (7.2 ->
    3.4), 1000x1000x32 3.4 -> 1.6 (3.9 -> 1.5), 577x500x32 0.92 -> 0.42 (1.0 -> 0.46);
    the same with code built for an AVX2-only CPU (``NUMBA_CPU_NAME=haswell``, 16
    vector registers): 5.7 -> 2.7 (6.7 -> 3.4)."""
    n_samples = X.shape[0]
    t = 0
    while t + 4 <= n_cached:
        k0 = cached[t]
        k1 = cached[t + 1]
        k2 = cached[t + 2]
        k3 = cached[t + 3]
        b = 0
        while b + 4 <= n_rows:
            a00 = a01 = a02 = a03 = 0.0
            a10 = a11 = a12 = a13 = 0.0
            a20 = a21 = a22 = a23 = 0.0
            a30 = a31 = a32 = a33 = 0.0
            for i in range(n_samples):
                x0 = X[i, k0]
                x1 = X[i, k1]
                x2 = X[i, k2]
                x3 = X[i, k3]
                c0 = columns[b, i]
                c1 = columns[b + 1, i]
                c2 = columns[b + 2, i]
                c3 = columns[b + 3, i]
                a00 += c0 * x0
                a01 += c1 * x0
                a02 += c2 * x0
                a03 += c3 * x0
                a10 += c0 * x1
                a11 += c1 * x1
                a12 += c2 * x1
                a13 += c3 * x1
                a20 += c0 * x2
                a21 += c1 * x2
                a22 += c2 * x2
                a23 += c3 * x2
                a30 += c0 * x3
                a31 += c1 * x3
                a32 += c2 * x3
                a33 += c3 * x3
            for u, k, acc0, acc1, acc2, acc3 in (
                (0, k0, a00, a01, a02, a03),
                (1, k1, a10, a11, a12, a13),
                (2, k2, a20, a21, a22, a23),
                (3, k3, a30, a31, a32, a33),
            ):
                center = mu[k]
                _store_centred(cache, rows, totals, b, t + u, center, acc0)
                _store_centred(cache, rows, totals, b + 1, t + u, center, acc1)
                _store_centred(cache, rows, totals, b + 2, t + u, center, acc2)
                _store_centred(cache, rows, totals, b + 3, t + u, center, acc3)
            b += 4
        if b < n_rows:  # (the last n_rows mod 4 rows)
            for u in range(t, t + 4):
                _entries_of_feature(X, mu, columns, totals, rows, b, n_rows, cache, u, cached[u])
        t += 4
    while t < n_cached:  # (the last n_cached mod 4 features)
        _entries_of_feature(X, mu, columns, totals, rows, 0, n_rows, cache, t, cached[t])
        t += 1


@njit(cache=True, nogil=True, fastmath=_FASTMATH)
def _cache_features(X, h, mu, features, cache, slot_of, cached, n_cached, columns):
    """Add the features of ``features`` missing from the cache (their Gram entries with
    every cached feature), evicting cached features outside ``features`` when needed;
    returns the new count, or -1 (cache untouched) when ``features`` do not fit.

    ``columns`` (shape ``(block, n)``) is scratch: the missing features are added
    ``block`` at a time (:func:`_gram_entries`)."""
    capacity = cache.shape[0]
    if features.shape[0] > capacity:
        return -1
    missing = 0
    for j in features:
        if slot_of[j] < 0:
            missing += 1
    if missing == 0:
        return n_cached
    if n_cached + missing > capacity:
        n_cached = _evict_outside(features, cache, slot_of, cached, n_cached)
    n_samples = X.shape[0]
    block = columns.shape[0]
    totals = np.empty(block)
    rows = np.empty(block, dtype=np.int64)
    n_rows = 0
    for position in range(features.shape[0]):
        j = features[position]
        if slot_of[j] < 0:
            center = mu[j]
            total = 0.0
            for i in range(n_samples):
                columns[n_rows, i] = h[i] * (X[i, j] - center)
                total += columns[n_rows, i]
            totals[n_rows] = total
            rows[n_rows] = n_cached
            cached[n_cached] = j
            slot_of[j] = n_cached
            n_cached += 1
            n_rows += 1
        if n_rows == block or (n_rows > 0 and position == features.shape[0] - 1):
            # (entries between two new features of the block are computed twice, once
            # from each side: the later write keeps the block symmetric)
            _gram_entries(X, mu, columns, totals, rows, n_rows, cache, cached, n_cached)
            n_rows = 0
    return n_cached


@njit(cache=True, nogil=True, fastmath=_FASTMATH)
def _active_gram_sweeps(
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
    gradient,
    sweeps,
    threshold,
):
    """Up to ``sweeps`` sweeps over ``active`` with covariance updates, then the residual
    catches up.

    ``gradient`` is indexed by cache slot: it starts from the residual on the slots of
    ``active`` (``slots``) and every update subtracts ``Δβ_j`` times row ``slot_j`` of
    the cache from all ``n_cached`` slots (contiguous: SIMD; the entries of cached
    features outside ``active`` are never read). The iterates are those of residual
    sweeps, up to rounding."""
    n_active = active.shape[0]
    n_samples = X.shape[0]
    start = np.empty(n_active)
    for t in range(n_active):
        j = active[t]
        start[t] = coef[j]
        center = mu[j]
        acc = 0.0
        for i in range(n_samples):
            acc += h[i] * (X[i, j] - center) * r[i]
        gradient[slots[t]] = acc
    for _ in range(sweeps):
        largest_change = 0.0
        for t in range(n_active):
            j = active[t]
            s = slots[t]
            old = coef[j]
            new = _updated_coordinate(
                lipschitz[j] * old + gradient[s], lipschitz[j], l1[j], l2[j], lower[j], upper[j]
            )
            delta = new - old
            if delta != 0.0:
                coef[j] = new
                for u in range(n_cached):
                    gradient[u] -= delta * cache[s, u]
                change = (lipschitz[j] + l2[j]) * delta * delta
                if change > largest_change:
                    largest_change = change
        if largest_change <= threshold:
            break
    for t in range(n_active):
        j = active[t]
        delta = coef[j] - start[t]
        if delta != 0.0:
            center = mu[j]
            for i in range(n_samples):
                r[i] -= delta * (X[i, j] - center)
