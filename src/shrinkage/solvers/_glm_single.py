"""The float32 side of the compiled GLM path (:func:`._glm_kernels.glm_path`) on dense
double ``X``: a single-precision copy ``X32 = fl32(X)``, made column by column on first
use, read where its rounding provably cannot change the answer.

- :func:`_screened_gradient`: the full gradient of the KKT check reads ``X32`` for a
  zero coefficient whose violation is 0 even after the worst-case rounding, ``X``
  otherwise (the violation, the gap and the next alpha's strong rule are unchanged);
- :func:`_single_copy`: copies a Newton step's working set into ``X32`` so that its
  coordinate descent reads half the bytes;
- :func:`_eta_change`: that step's change of ``η`` recomputed from ``X`` in double, so
  the line search, ``η`` and ``F`` stay exact (``X32`` only shapes the direction).

Why a module of its own: these kernels and their rounding bounds are the one place the
path trusts a float32 copy of double data; the rest of :mod:`._glm_kernels` never
sees ``X32``.
"""

from __future__ import annotations

import numpy as np

from .._jit import njit
from ._kernels import _FASTMATH

#: relative rounding of a float64 to float32 (round to nearest)
_SINGLE_UNIT = 2.0**-24
#: the largest absolute rounding of a float64 below float32's normal range to float32
_SINGLE_SUBNORMAL = 2.0**-150
#: a Newton step's coordinate descent reads ``fl32(X)`` only while the KKT violation is
#: above this many times the bound on the model gradient's error from the rounding
_SINGLE_MARGIN = 64.0


@njit(cache=True, nogil=True, fastmath=_FASTMATH)
def _screened_gradient(X, X32, colmax, scaled, features, coef, l1, lower, upper, gradient):
    """``gradient_j = x_jᵀ scaled`` for ``features``, read from the single-precision copy
    ``X32 = fl32(X)`` where that proves the KKT conditions of ``j`` hold, from ``X``
    otherwise.

    For a zero coefficient with an unbounded box the violation is
    ``max(|g_j| − l1_j, 0)``. ``X32`` differs from ``X`` by at most ``2⁻²⁴|X_ij|`` (plus
    ``2⁻¹⁵⁰`` below float32's normal range), and the products are summed in double, so
    ``|g_j − g̃_j| ≤ e_j = (2⁻²⁴ + n·2⁻⁵²)·max_i|X_ij|·Σ|scaled| + n·2⁻¹⁵⁰·Σ|scaled|``
    (the ``n·2⁻⁵²`` term bounds the double sums' rounding). Where
    ``|g̃_j| + e_j ≤ l1_j``, ``|g_j| ≤ l1_j``: the violation is exactly 0, as the double
    product would find, and ``g̃_j`` is kept (it enters the duality gap only through
    ``|g_j|/l1_j ≤ 1`` and the zero conjugate of ``|g_j| ≤ l1_j``, both unchanged, and
    the next alpha's strong rule). Everywhere else (non-zero, boxed or unpenalized
    coordinates, and the few near or past ``l1_j``) the double product decides.

    The copy is made column by column, on a column's first double product here
    (``colmax_j < 0``: not yet copied; then ``colmax_j = max_i |X_ij|``), so it costs
    no pass over ``X`` of its own, and columns never screened are never copied.
    Why: the full gradient of a wide path's KKT check is bound by memory bandwidth,
    and ``X32`` is half the bytes.
    """
    n = scaled.shape[0]
    mass = 0.0
    for i in range(n):
        mass += abs(scaled[i])
    relative = (_SINGLE_UNIT + n * 2.0**-52) * mass
    absolute = n * _SINGLE_SUBNORMAL * mass
    for j in features:
        eligible = coef[j] == 0.0 and l1[j] > 0.0
        eligible = eligible and lower[j] == -np.inf and upper[j] == np.inf
        if eligible and colmax[j] >= 0.0:
            acc = 0.0
            for i in range(n):
                acc += X32[i, j] * scaled[i]
            # (a NaN or inf acc fails the test: the double product decides)
            if abs(acc) + relative * colmax[j] + absolute <= l1[j]:
                gradient[j] = acc
                continue
        acc = 0.0
        if eligible and colmax[j] < 0.0:
            largest = 0.0
            for i in range(n):
                x = X[i, j]
                X32[i, j] = x
                largest = max(largest, abs(x))
                acc += x * scaled[i]
            colmax[j] = largest
        else:
            for i in range(n):
                acc += X[i, j] * scaled[i]
        gradient[j] = acc


@njit(cache=True, nogil=True, fastmath=_FASTMATH)
def _eta_change(X, coef, trial, features, delta_intercept, change):
    """``change = Δβ₀ + Σ_j (trial_j − coef_j) x_j`` over ``features``, in double."""
    for i in range(change.shape[0]):
        change[i] = delta_intercept
    for j in features:
        delta = trial[j] - coef[j]
        if delta != 0.0:
            for i in range(change.shape[0]):
                change[i] += delta * X[i, j]


@njit(cache=True, nogil=True, fastmath=_FASTMATH)
def _single_copy(X, X32, colmax, features):
    """Copy the columns of ``features`` not yet in ``X32`` (``colmax_j < 0``) and
    record their ``max_i |X_ij|``; returns the largest ``colmax`` over ``features``."""
    largest = 0.0
    for j in features:
        if colmax[j] < 0.0:
            top = 0.0
            for i in range(X.shape[0]):
                x = X[i, j]
                X32[i, j] = x
                top = max(top, abs(x))
            colmax[j] = top
        largest = max(largest, colmax[j])
    return largest
