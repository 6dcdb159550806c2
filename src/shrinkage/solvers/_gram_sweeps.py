"""The sweeps of a round of :func:`._gram_path.gram_path`, and its Anderson extrapolation.

A round on the Gram matrix ``G`` moves the coefficients by coordinate descent with
covariance updates (``∇ −= Δβ_j G_:j``): :func:`._kernels.cd_gram` in general, the
sweep of the zero coordinates alone after an exact active-set step
(:func:`_sweep_after_step`), and for float32 data the sweeps on ``G`` rounded to float32
with the gradient rounded too (:func:`_cd_gram_single`). :func:`_sweep_round` picks one.
Every few rounds :func:`_gram_extrapolate` tries an Anderson step from the iterates.
None of these certifies anything: the path recomputes the exact gradient from the
float64 ``G`` before every gap or KKT check.
"""

from __future__ import annotations

import numpy as np

from .._jit import njit
from ._kernels import (
    _DENSE_UPDATE_FRACTION,
    _FASTMATH,
    _updated_coordinate,
    cd_gram,
)
from .dense_path import anderson_point

#: Sweep thresholds (relative to ``target_norm2``) down to which float32 data's rounded
#: sweeps keep the gradient in float32 (:func:`_cd_gram_single`). Rounding the gradient
#: itself, unlike rounding ``G``, leaves noise that does not shrink with the steps:
#: coordinate changes ``(L_j + l2_j)δ²`` of about ``eps32²·‖∇‖²/L`` ≤ 4e-15·target_norm2
#: per coordinate, more summed over a round. Below this the sweeps go on with the
#: float64 gradient (a float32 path to tol 1e-10 ran out of rounds otherwise).
SINGLE_GRADIENT_FLOOR = 1e-9


@njit(cache=True, nogil=True, fastmath=_FASTMATH)
def _sweep_after_step(gram, gradient, coef, lipschitz, l1, l2, lower, upper, features):
    """The coordinate sweep of a round that began with an active-set step: over the
    coordinates of ``features`` that are zero or on a bound only (as
    :func:`._kernels.cd_gram` otherwise); returns the largest ``(L_j + l2_j)δ²``.

    A whole step leaves every free non-zero at the minimizer of the restricted problem
    (to rounding). A full sweep would still move all of them as soon as one feature
    enters ahead of them in the order, each at the price of a gradient column
    (``O(p)``: half the cost of a lasso CV path on 1414x707). Only the KKT conditions
    of the others can fail; when a feature enters, the support changed and the next
    round's step re-solves the free ones exactly, at the price of one gradient update.
    After a cut step (the homotopy stopped at a sign change) the next round's step
    goes on from there (``solved`` is false), so the free ones need no sweep either.
    """
    largest_change = 0.0
    n_features = gradient.shape[0]
    contiguous = features.shape[0] > _DENSE_UPDATE_FRACTION * n_features
    for j in features:
        old = coef[j]
        if old != 0.0 and lower[j] < old < upper[j]:
            continue
        new = _updated_coordinate(
            lipschitz[j] * old + gradient[j], lipschitz[j], l1[j], l2[j], lower[j], upper[j]
        )
        delta = new - old
        if delta != 0.0:
            coef[j] = new
            if contiguous:
                for k in range(n_features):
                    gradient[k] -= delta * gram[k, j]
            else:
                for k in features:
                    gradient[k] -= delta * gram[k, j]
            change = (lipschitz[j] + l2[j]) * delta * delta
            if change > largest_change:
                largest_change = change
    return largest_change


@njit(cache=True, nogil=True, inline="always")
def _copy_into(destination, source):
    """``destination[:] = source`` for 1-d arrays of the same length, as a loop: Numba
    compiles a slice assignment's shape check with a formatted error message (its
    string helpers: some 2 s of the first, cold-cache compilation)."""
    for i in range(source.shape[0]):
        destination[i] = source[i]


@njit(cache=True, nogil=True, inline="always", fastmath=_FASTMATH)
def _gram_objective(coef, q, gradient, target_norm2, l1, l2, features):
    """``½‖r‖²_H + penalty`` from the Gram quantities (``β`` zero off ``features``)."""
    fit = 0.0
    penalty = 0.0
    for j in features:
        b = coef[j]
        fit += b * (q[j] + gradient[j])
        penalty += l1[j] * abs(b) + 0.5 * l2[j] * b * b
    return 0.5 * max(target_norm2 - fit, 0.0) + penalty


@njit(cache=True, nogil=True, fastmath=_FASTMATH, inline="always")
def _column_update(gram, gradient, d, j, features, contiguous):
    """``∇ −= d·G_:j``, on every feature (``contiguous``) or on ``features``."""
    if contiguous:
        for k in range(gradient.shape[0]):
            gradient[k] -= d * gram[k, j]
    else:
        for k in features:
            gradient[k] -= d * gram[k, j]


@njit(cache=True, nogil=True, fastmath=_FASTMATH)
def _cd_gram_single(
    gram, gradient, single, coef, lipschitz, l1, l2, lower, upper, features, sweeps, threshold
):
    """:func:`._kernels.cd_gram` on the float32 ``gram`` with the gradient rounded to float32
    for the round (``single``, copied back at its end: the column updates then run in
    single precision, no conversions; :func:`._kernels._sweep_gram`).

    The rounding is that of the data (float32 ``X``): the sweeps already update with
    ``G`` rounded to float32, and every check restarts from the exact float64 gradient
    (:func:`._gram_path.gram_path`'s ``sweep_gram``), so the certificates are unchanged."""
    n_features = gradient.shape[0]
    contiguous = features.shape[0] > _DENSE_UPDATE_FRACTION * n_features
    if contiguous:
        for k in range(n_features):
            single[k] = gradient[k]
    else:
        for k in features:
            single[k] = gradient[k]
    change, work = cd_gram(
        gram, single, coef, lipschitz, l1, l2, lower, upper, features, sweeps, threshold
    )
    if contiguous:
        for k in range(n_features):
            gradient[k] = single[k]
    else:
        for k in features:
            gradient[k] = single[k]
    return change, work


@njit(cache=True, nogil=True, inline="always", fastmath=_FASTMATH)
def _sweep_round(
    gram,
    sweeping,
    exact,
    stepped,
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
    single,
    single_floor,
):
    """A round's sweeps (:func:`_sweep_after_step` after an active-set step, else
    :func:`._kernels.cd_gram`) on ``gram`` when ``exact`` or ``sweeping`` is None, else
    on ``sweeping``: with the gradient in float32 (``single``, :func:`_cd_gram_single`)
    while ``threshold`` is above ``single_floor``. Returns the change and the work of
    the round's descent (0 after a step)."""
    if stepped:
        if sweeping is None or exact:
            return _sweep_after_step(
                gram, gradient, coef, lipschitz, l1, l2, lower, upper, features
            ), 0.0
        return _sweep_after_step(
            sweeping, gradient, coef, lipschitz, l1, l2, lower, upper, features
        ), 0.0
    if sweeping is None or exact:
        return cd_gram(
            gram, gradient, coef, lipschitz, l1, l2, lower, upper, features, sweeps, threshold
        )
    if threshold <= single_floor:
        return cd_gram(
            sweeping, gradient, coef, lipschitz, l1, l2, lower, upper, features, sweeps, threshold
        )
    return _cd_gram_single(
        sweeping, gradient, single, coef, lipschitz, l1, l2, lower, upper, features, sweeps,
        threshold,
    )  # fmt: skip


@njit(cache=True, nogil=True, fastmath=_FASTMATH)
def _gram_extrapolate(
    gram,
    sweeping,
    exact,
    q,
    target_norm2,
    coef,
    gradient,
    l1,
    l2,
    lower,
    upper,
    features,
    history,
    contiguous,
):
    """Anderson step from the rows of ``history`` (iterates on ``features``; the point of
    :func:`.dense_path.anderson_point`): move there if it lowers the objective
    (Bertrand & Massias 2021), else stay. Returns whether it moved (the gradient is
    then exact on ``features``, and everywhere with ``contiguous``)."""
    n_set = features.shape[0]
    point = np.empty(n_set)
    current_values = np.empty(n_set)
    if not anderson_point(coef, lower, upper, features, history, point, current_values):
        return False
    current = _gram_objective(coef, q, gradient, target_norm2, l1, l2, features)
    saved_coef = coef.copy()
    saved_gradient = gradient.copy()
    for t in range(n_set):
        coef[features[t]] = point[t]
    # The gradient at the new point by the columns of the coordinates that moved
    # (``∇ −= Δβ_j G_:j``, contiguous): over all features when the sweeps keep it
    # exact everywhere (``contiguous``, as :func:`._kernels._sweep_gram`), so that the
    # KKT check that follows needs no O(p·nnz) recomputation; else on ``features``.
    for t in range(n_set):
        j = features[t]
        d = coef[j] - saved_coef[j]
        if d != 0.0:
            if sweeping is None or exact:
                _column_update(gram, gradient, d, j, features, contiguous)
            else:
                _column_update(sweeping, gradient, d, j, features, contiguous)
    trial = _gram_objective(coef, q, gradient, target_norm2, l1, l2, features)
    if not trial < current:
        _copy_into(coef, saved_coef)
        _copy_into(gradient, saved_gradient)
        return False
    return True
