"""The KKT pass of the dense least-squares path (:func:`.dense_path.dense_path`): the
full gradient ``∇_j = Σ_i h_i (x_ij − μ_j) r_i`` over the columns it must read, and the
test that leaves out the columns provably below their bound.

Why a module of its own: this pass reads all of ``X`` (``O(n·p)``, about a third of a
wide path), and what it may skip rests on one bound (below), apart from the rounds of
coordinate descent that make up the rest of :mod:`.dense_path`.
"""

from __future__ import annotations

import numpy as np

from .._jit import njit
from ._kernels import _FASTMATH, _weighted_residual


@njit(cache=True, nogil=True, fastmath=_FASTMATH)
def _full_gradient(X, h, mu, r, gradient, known=None):
    """``∇_j = Σ_i h_i (x_ij − μ_j) r_i`` for every feature (the KKT check and the gap),
    except those marked in ``known`` (the caller has them); returns ``Σ h r``.

    The centring term ``μ_j Σ h_i r_i`` is kept: ``Σ h r`` is 0 only up to rounding.
    Four columns share each read of ``h ∘ r`` (:func:`_four_dots`): four independent
    sums keep the loads in flight, about BLAS ``gemv``'s speed (one column at a time
    runs ~30% slower on 1000×10000, where these passes are a third of a path)."""
    n_features = X.shape[1]
    weighted, total = _weighted_residual(h, r)
    todo = np.empty(n_features, dtype=np.int64)
    n_todo = 0
    for j in range(n_features):
        if known is None or not known[j]:
            todo[n_todo] = j
            n_todo += 1
    t = 0
    while t + 4 <= n_todo:
        _four_dots(X, weighted, mu, total, todo[t], todo[t + 1], todo[t + 2], todo[t + 3], gradient)
        t += 4
    while t < n_todo:
        j = todo[t]
        acc = 0.0
        for i in range(X.shape[0]):
            acc += X[i, j] * weighted[i]
        gradient[j] = acc - mu[j] * total
        t += 1
    return total


@njit(cache=True, nogil=True, fastmath=_FASTMATH, inline="always")
def _four_dots(X, weighted, mu, total, j0, j1, j2, j3, gradient):
    """``gradient[j] = Σ_i x_ij w_i − μ_j Σ w`` for four columns in one pass over ``w``."""
    acc0 = 0.0
    acc1 = 0.0
    acc2 = 0.0
    acc3 = 0.0
    for i in range(X.shape[0]):
        w = weighted[i]
        acc0 += X[i, j0] * w
        acc1 += X[i, j1] * w
        acc2 += X[i, j2] * w
        acc3 += X[i, j3] * w
    gradient[j0] = acc0 - mu[j0] * total
    gradient[j1] = acc1 - mu[j1] * total
    gradient[j2] = acc2 - mu[j2] * total
    gradient[j3] = acc3 - mu[j3] * total


@njit(cache=True, nogil=True, fastmath=_FASTMATH)
def _completed_gradient(X, h, mu, r, gradient, features, on_features, known):
    """:func:`_full_gradient` given its values on the working set ``features``
    (marked in ``known``, with the columns left out by :func:`_mark_far_columns`),
    read at the same residual by the working-set gap (``Σ h x r``, centring left
    out): only the other columns are read."""
    total = _full_gradient(X, h, mu, r, gradient, known)
    for t in range(features.shape[0]):
        j = features[t]
        gradient[j] = on_features[t] - mu[j] * total


# ------------------------------- KKT passes that skip columns far from their bound ----
# The KKT check of an alpha reads every column of X (O(n·p), ~a third of a wide path):
# yet most columns outside the working set sit far below their l1 bound, and the
# residual moves little from one check to the next. By Cauchy–Schwarz in the H inner
# product, |∇_j(r) − ∇_j(r')| = |Σ h x̃_j (r − r')| ≤ sqrt(L_j)·‖r − r'‖_H, so a column
# whose gradient was read at an earlier residual r' satisfies its KKT condition now
# when |∇_j(r')| + sqrt(L_j)·‖r − r'‖_H < l1_j: it is not read. Its stored (older)
# gradient then stays below l1_j too, so its gap term is the true one, zero (β_j = 0).
# ‖r − r'‖_H is bounded by the sum of the moves between consecutive checks (triangle
# inequality): one running total ``drift``, and per column the total at its last read.


@njit(cache=True, nogil=True, fastmath=_FASTMATH)
def _residual_move(h, r, last_r):
    """``‖r − last_r‖_H``, then ``last_r ← r``."""
    acc = 0.0
    for i in range(r.shape[0]):
        d = r[i] - last_r[i]
        acc += h[i] * d * d
        last_r[i] = r[i]
    return np.sqrt(acc)


@njit(cache=True, nogil=True, fastmath=_FASTMATH)
def _mark_far_columns(gradient, root_lipschitz, read_at, drift, r_norm, l1, coef, given, known):
    """``known[j]``: ``j`` among the columns ``given`` by the caller (read at this
    residual), or zero and certainly below its bound,
    ``|∇_j| + sqrt(L_j)·(drift − read_at_j) < l1_j`` (plus a margin of
    ``1e-10·sqrt(L_j)·‖r‖_H`` for the rounding of the dot products, far above it for
    ``n < 10⁵``); the others get ``read_at_j = drift`` (the caller reads them now).
    A non-zero is always read: its gap term needs its exact gradient.
    Returns the number of columns left out."""
    skipped = 0
    for j in range(gradient.shape[0]):
        if given[j]:
            known[j] = True
            read_at[j] = drift
            continue
        bound = abs(gradient[j]) + root_lipschitz[j] * (drift - read_at[j] + 1e-10 * r_norm)
        far = coef[j] == 0.0 and root_lipschitz[j] > 0.0 and bound < l1[j]
        known[j] = far
        if far:
            skipped += 1
        else:
            read_at[j] = drift
    return skipped
