"""The Gram pass: weighted moments of every row block, per CV fold, in one parallel pass.

For least squares with any L1/L2 penalty and ``n ≫ p`` the data enter only through

.. math::

    W = \\sum_i w_i,\\quad \\sum_i w_i x_i,\\quad \\sum_i w_i y_i,\\quad
    \\sum_i w_i x_i x_i^\\top,\\quad \\sum_i w_i x_i y_i,\\quad \\sum_i w_i y_i^2 ,

which add over blocks of rows. Each block computes them for each CV fold of its rows
(a row's fold is a hash of its global position, :func:`fold_of_rows`); the blocks'
results are summed by a tree, so every fold's moments come from the same single
pass, and a training set's are the sum of the other folds' (adding the others avoids
the cancellation of ``total − fold``). The sums themselves and what is done with them
live in :mod:`shrinkage.solvers.moments`; this module only runs the pass.

The rows are shifted by ``(shift_x, shift_y)`` before squaring: with columns whose
mean is large against their spread, ``Σ w x xᵀ − W x̄ x̄ᵀ`` would cancel most digits.
The shift is the weighted mean of a pilot block (the first one), so the centred
moments are accurate to about the spread of the data rather than its size; the
exact means are recovered from the shifted sums.
"""

from __future__ import annotations

import operator
from functools import reduce
from typing import TYPE_CHECKING

import numpy as np

from ..solvers.moments import Moments
from ._graph import map_reduce, on_first_block

if TYPE_CHECKING:
    from ._inputs import DaskData

_MIX = (np.uint64(0xBF58476D1CE4E5B9), np.uint64(0x94D049BB133111EB))
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)


def fold_of_rows(positions, n_folds: int) -> np.ndarray:
    """The CV fold of each row: SplitMix64 of its global position, modulo ``n_folds``.

    A hash (not ``position mod K``) so that data sorted or periodic in the row order
    still get folds that look random; fixed per row, so it does not depend on how
    the data are split into blocks.
    """
    z = np.asarray(positions, dtype=np.uint64) + _GOLDEN
    z = (z ^ (z >> np.uint64(30))) * _MIX[0]
    z = (z ^ (z >> np.uint64(27))) * _MIX[1]
    z = z ^ (z >> np.uint64(31))
    return (z % np.uint64(n_folds)).astype(np.intp)


def row_folds(n_samples: int, n_folds: int = 5) -> list[tuple[np.ndarray, np.ndarray]]:
    """The distributed engine's CV folds as ``(train, test)`` index pairs.

    Pass them as ``cv=`` to an in-memory estimator to reproduce a Dask fit exactly.

    Parameters
    ----------
    n_samples : int
        Rows of the data set (in their global order).
    n_folds : int, default=5

    Returns
    -------
    list of (ndarray, ndarray)
    """
    fold = fold_of_rows(np.arange(n_samples), n_folds)
    rows = np.arange(n_samples)
    return [(rows[fold != k], rows[fold == k]) for k in range(n_folds)]


class FoldMoments(tuple):
    """:class:`~shrinkage.solvers.moments.Moments` of each CV fold's rows (one entry
    when there are no folds), added fold by fold over the blocks of the pass."""

    def __add__(self, other: FoldMoments) -> FoldMoments:
        return FoldMoments(a + b for a, b in zip(self, other, strict=True))

    @property
    def n_folds(self) -> int:
        return len(self)

    @property
    def n_targets(self) -> int:
        return int(np.size(self[0].y))

    def scaled(self, factor: float) -> FoldMoments:
        return FoldMoments(m.scaled(factor) for m in self)

    def total(self) -> Moments:
        """The moments of all rows."""
        return reduce(operator.add, self)

    def training(self, fold: int) -> Moments:
        """All rows but ``fold``'s: the other folds added (no ``total − fold``
        cancellation)."""
        return reduce(operator.add, (m for k, m in enumerate(self) if k != fold))

    def check_finite(self) -> None:
        """Non-finite sums mean NaN or infinity in the data: say where."""
        for name, field in (
            ("sample_weight", "weight"),
            ("X", "xx"),
            ("y", "yy"),
            ("X or y", "xy"),
        ):
            if not all(np.isfinite(getattr(m, field)).all() for m in self):
                raise ValueError(
                    f"{name} contains NaN or infinity (found while summing the data). Drop "
                    "or impute those rows first (e.g. X = X[da.isfinite(X).all(axis=1)])."
                )
        if min(m.min_weight for m in self) < 0:
            raise ValueError(
                "sample_weight has negative entries; weights must be >= 0 (0 drops a row)."
            )
        if sum(m.weight for m in self) <= 0:
            raise ValueError(
                "sample_weight sums to zero; at least one sample needs a positive weight."
            )


def as_float_block(block, name: str, index: int) -> np.ndarray:
    """A block as float64, with a clear message for values that are not numbers."""
    try:
        return np.asarray(block, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(
            f"{name} block {index} has values that are not numbers (e.g. pandas <NA>); fill "
            "or drop missing values first (X.fillna(...) or X.dropna())."
        ) from None


def check_block_rows(index, declared, *blocks) -> int:
    """All blocks of one row range have the same number of rows (and the declared one)."""
    counts = {len(b) for b in blocks if b is not None}
    if declared is not None:
        counts.add(int(declared))
    if len(counts) > 1:
        raise ValueError(
            f"Row block {index} has different numbers of rows in X, y and sample_weight "
            f"{sorted(counts)}: their partitions are not aligned. Build y (and the weights) "
            "from the same DataFrame as X, or pass arrays with the same chunks."
        )
    return counts.pop()


def block_moments(X, y, w, info, shared) -> FoldMoments:
    """:class:`FoldMoments` of one row block (runs on a worker).

    ``shared = (shift_x, shift_y, n_folds)``. With folds, the rows are visited fold
    by fold (a stable sort of their fold numbers), each fold summed separately.
    """
    shift_x, shift_y, n_folds = shared
    index, start, declared = info
    n = check_block_rows(index, declared, X, y, w)
    X = as_float_block(X, "X", index)
    Y = as_float_block(y, "y", index).reshape(n, -1)
    w = None if w is None else as_float_block(w, "sample_weight", index)
    if n_folds == 1:
        return FoldMoments(Moments.of_groups(X, Y, w, shift_x, shift_y))
    fold = fold_of_rows(np.arange(start, start + n), n_folds)
    order = np.argsort(fold, kind="stable")
    bounds = np.concatenate([[0], np.cumsum(np.bincount(fold, minlength=n_folds))])
    return FoldMoments(Moments.of_groups(X, Y, w, shift_x, shift_y, order, bounds))


def _pilot_means(X, y, w, with_y: bool):
    """Weighted means of one block (None when it is empty), on its worker."""
    check_block_rows(0, None, X, y, w)
    if len(X) == 0:
        return None
    X = as_float_block(X, "X", 0)
    weights = None if w is None else np.maximum(as_float_block(w, "sample_weight", 0), 0.0)
    if weights is not None and weights.sum() <= 0:
        weights = None
    shift_y = None
    if with_y:
        Y = as_float_block(y, "y", 0).reshape(X.shape[0], -1)
        shift_y = np.average(Y, axis=0, weights=weights)
    return np.average(X, axis=0, weights=weights), shift_y


def pilot_shift(
    data: DaskData, fit_intercept: bool, with_y: bool = True
) -> tuple[np.ndarray, np.ndarray]:
    """Approximate means of ``X`` and ``y`` from the first block (zeros without an
    intercept, where the moments are not centred and a shift would change them).

    ``with_y=False`` leaves ``y`` unshifted (class labels).
    """
    p, t = data.n_features, data.n_targets
    if not fit_intercept:
        return np.zeros(p), np.zeros(t)
    shift_x, shift_y = on_first_block(_pilot_means, data, with_y)
    shift_y = np.zeros(t) if shift_y is None else shift_y
    # A pilot with NaN only delays the error to the pass, which names the culprit.
    return np.nan_to_num(shift_x), np.nan_to_num(shift_y)


def gram_pass(
    data: DaskData, fit_intercept: bool, n_folds: int = 1
) -> tuple[FoldMoments, np.ndarray, np.ndarray]:
    """One pass over the data: ``(moments, shift_x, shift_y)``.

    Parameters
    ----------
    data : DaskData
    fit_intercept : bool
        Shift by the pilot means (see the module notes); no shift otherwise.
    n_folds : int
        ``> 1`` keeps the moments of each CV fold separately (rows by
        :func:`fold_of_rows` of their global position).

    Returns
    -------
    moments : FoldMoments
        Of ``(x − shift_x, y − shift_y)`` for every target, one entry per fold;
        checked for NaN, infinity and negative weights.
    shift_x : ndarray of shape (n_features,)
    shift_y : ndarray of shape (n_targets,)
    """
    shift_x, shift_y = pilot_shift(data, fit_intercept)
    moments = map_reduce(
        block_moments, data, (shift_x, shift_y, n_folds), positions=n_folds > 1
    ).scaled(data.weight_scale)
    moments.check_finite()
    return moments, shift_x, shift_y
