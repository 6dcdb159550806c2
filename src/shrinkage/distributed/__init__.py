"""The distributed engine: the same estimators on Dask arrays and DataFrames.

``Lasso().fit(X, y)`` with ``X`` a Dask array or DataFrame lands here (through
:func:`dask_fit`, called by every estimator's ``fit``); nothing else changes for the user, and the
fitted attributes are NumPy arrays, as after an in-memory fit.

- Least squares (``Lasso``, ``ElasticNet``, ``LassoCV``, ``ElasticNetCV``, ``LassoIC``,
  ``ElasticNetIC``, ``Ridge``, ``RidgeCV``): one parallel pass computes the weighted Gram statistics
  ``Σ w x xᵀ``, ``Σ w x y``, … block by block (:mod:`.moments`), then the in-memory
  solvers run on the ``p × p`` matrix. CV folds are fixed per row by a hash of its
  position, so every fold's statistics come from the same pass.
- ``LogisticRegression`` (binary): proximal Newton, one pass per Newton step
  (:mod:`.logistic`).

Cost and limits: a pass reads every row once and does ``n·p²`` flops (``K`` folds
cost the same, the rows being split among them); the driver holds a few ``p × p``
float64 matrices (``8p²`` bytes each, 80 MB at ``p = 3000``); each worker holds one
block plus ``(K+1)`` such matrices. ``p`` is capped at 20,000. Wide or sparse data
(``p`` in the tens of thousands, mostly zeros) fit better in memory with a
``scipy.sparse`` ``X``.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, TypeVar

from ._graph import is_dask_collection
from .moments import fold_of_rows, row_folds

T = TypeVar("T")

if TYPE_CHECKING:
    from ..path import PathResult

__all__ = ["dask_fit", "fit", "regularization_path", "row_folds", "fold_of_rows"]


def _in_memory(obj):
    """A Dask collection computed to NumPy (small ``y`` or weights beside in-memory X)."""
    if obj is not None and is_dask_collection(obj):
        import numpy as np

        return np.asarray(obj.compute())
    return obj


def dask_fit(estimator: T, X, y, sample_weight=None, **kwargs) -> T | None:
    """Fit ``estimator`` with the distributed engine if any input is a Dask collection.

    Returns the fitted estimator, or None when the inputs live in memory (the caller
    then fits in memory).
    """
    if not any(is_dask_collection(a) for a in (X, y, sample_weight)):
        return None
    return fit(estimator, X, y, sample_weight=sample_weight, **kwargs)


def fit(estimator: T, X, y, sample_weight=None, feature_names=None) -> T:
    """Fit a shrinkage estimator on Dask data; return it fitted.

    Parameters
    ----------
    estimator : Lasso, ElasticNet, LassoCV, ElasticNetCV, LassoIC, ElasticNetIC, Ridge, RidgeCV
        or LogisticRegression
    X : dask.array.Array or dask.dataframe.DataFrame of shape (n_samples, n_features)
        Numeric; chunked (partitioned) by rows.
    y : Dask array, Series or DataFrame, or an in-memory array
        Split like ``X`` (rechunked when needed).
    sample_weight : None, float, or array-like of shape (n_samples,)
    feature_names : sequence of str, optional
        Names of a Dask array's columns (recorded as ``feature_names_in_``); a
        DataFrame's own column names are used otherwise.

    Returns
    -------
    estimator
        With the attributes of an in-memory fit (``coef_``, ``intercept_``, …).

    Raises
    ------
    ValueError
        For options the distributed engine does not offer (the message names the
        alternative), and for invalid data (non-numeric columns, NaN, misaligned
        partitions, …).
    """
    if not is_dask_collection(X):
        # Only y or the weights are Dask: they are small, and X decides the engine.
        return estimator.fit(X, _in_memory(y), sample_weight=_in_memory(sample_weight))

    engine = _engine_of(estimator)
    if engine is None:
        raise ValueError(
            f"{type(estimator).__name__} has no distributed engine. With Dask input use "
            "Lasso, ElasticNet, LassoCV, ElasticNetCV, LassoIC, ElasticNetIC, Ridge, RidgeCV "
            "or LogisticRegression (binary), or compute X and y to memory (X.compute()) for "
            "this estimator."
        )
    from ._inputs import prepare

    module, function, options = engine
    data = prepare(X, y, sample_weight, feature_names=feature_names, **options)
    return getattr(import_module(f"{__name__}.{module}"), function)(estimator, data)


# The engine of each estimator family: (module, function, options of ``prepare``), by
# class name, looked up along the estimator's MRO as ``isinstance`` would (``Lasso``
# is an ``ElasticNet``, ``LassoCV`` an ``ElasticNetCV``). By name, so that this
# package does not import the estimators that dispatch to it (no import cycle).
_ENGINES = {
    "ElasticNetCV": ("linear", "fit_elastic_net_cv", {}),
    "ElasticNetIC": ("information_criteria", "fit_elastic_net_ic", {}),
    "ElasticNet": ("linear", "fit_elastic_net", {"multi_output": True}),
    "RidgeCV": ("ridge", "fit_ridge_cv", {"multi_output": True}),
    "Ridge": ("ridge", "fit_ridge", {"multi_output": True}),
    "LogisticRegression": ("logistic", "fit_logistic", {"labels": True}),
}


def _engine_of(estimator):
    for cls in type(estimator).__mro__:
        if cls.__module__.startswith("shrinkage.") and cls.__name__ in _ENGINES:
            return _ENGINES[cls.__name__]
    return None


def regularization_path(
    X,
    y,
    *,
    l1_ratio: float = 1.0,
    alphas=100,
    eps: float = 1e-3,
    penalty_weights=None,
    positive: bool = False,
    fit_intercept: bool = True,
    sample_weight=None,
    tol: float = 1e-4,
    max_iter: int = 1000,
    feature_names=None,
) -> PathResult:
    """The whole least-squares path on Dask data, from one pass.

    Minimizes, for each ``alpha`` of the grid (as
    :func:`shrinkage.path.regularization_path` with ``loss="squared_error"``),

    .. math::

        \\tfrac12 \\sum_i h_i (y_i - \\beta_0 - x_i^\\top\\beta)^2
        + \\alpha\\sum_j v_j\\big(\\rho|\\beta_j| + \\tfrac{1-\\rho}{2}\\beta_j^2\\big),
        \\qquad h = w / \\textstyle\\sum w .

    Parameters
    ----------
    X : dask.array.Array or dask.dataframe.DataFrame
    y : Dask array or Series (or in memory)
    l1_ratio, alphas, eps, penalty_weights, positive, fit_intercept, sample_weight, tol,
    max_iter
        As :func:`shrinkage.path.regularization_path`.
    feature_names : sequence of str, optional

    Returns
    -------
    PathResult
        ``times`` covers the solve on the Gram matrix only (not the pass).
    """
    from .._validation import check_l1_ratio, check_nonnegative_scalar, check_positive_int
    from ._inputs import prepare
    from .linear import least_squares_path

    l1_ratio = check_l1_ratio(l1_ratio)
    check_nonnegative_scalar(tol, "tol")
    max_iter = check_positive_int(max_iter, "max_iter")
    data = prepare(X, y, sample_weight, feature_names=feature_names)
    return least_squares_path(
        data,
        l1_ratio=l1_ratio,
        alphas=alphas,
        eps=eps,
        penalty_weights=penalty_weights,
        positive=positive,
        fit_intercept=fit_intercept,
        tol=tol,
        max_iter=max_iter,
    )
