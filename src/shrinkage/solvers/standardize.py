"""glmnet's ``standardize=TRUE``, exactly, as a scaled design.

glmnet solves the problem in the columns ``x_j / s_j`` with

.. math::

    \\bar x_j = \\sum_i h_i x_{ij},\\qquad
    s_j = \\sqrt{\\textstyle\\sum_i h_i (x_{ij} - \\bar x_j)^2},\\qquad h = w / \\textstyle\\sum w,

the weighted standard deviation with the ``1/n`` formula (also without an intercept:
checked against glmnet 4.1-6 for gaussian, poisson and binomial), and applies the
**same** ``λ`` and penalty to the coefficients ``b_j = β_j s_j`` of those columns;
it returns ``β_j = b_j / s_j``. The centring itself changes nothing: the intercept
absorbs it (our solvers centre internally). In original units the penalty is therefore

.. math::

    \\alpha \\sum_j v_j \\Big(\\rho s_j |\\beta_j| + \\frac{1-\\rho}{2} s_j^2 \\beta_j^2\\Big),

a different weight on each part; solving in the scaled design instead keeps every
solver and kernel unchanged and exact, for every datafit. Bounds on the
original-unit ``β`` become bounds ``s_j·lower``, ``s_j·upper`` on ``b``. A column
that is constant on the rows with positive weight has ``s_j = 0``: glmnet gives it
coefficient 0, and so do we (the scaled column is all zeros and its coefficient is
set to 0).

Use, in any estimator or path (one line before the fit, one after)::

    X_fit, scales = standardize_design(X, h, standardize)
    ...  # fit on X_fit; warm starts: to_scaled_units(coef, scales)
    coef = to_original_units(coef, scales)  # identity when scales is None

Sparse ``X`` is scaled as ``X · diag(1/s)`` (same sparsity, never densified).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from ..penalties import Box, coefficient_box

__all__ = [
    "ColumnScales",
    "coefficient_constraint",
    "column_scales",
    "standardize_design",
    "to_original_units",
    "to_scaled_units",
]


@dataclass(frozen=True)
class ColumnScales:
    """Per-column scales ``s_j`` of glmnet's standardization.

    Attributes
    ----------
    scales : ndarray of shape (n_features,)
        ``s_j``; 0 for a constant column.
    inverse : ndarray of shape (n_features,)
        ``1/s_j``, and 0 for a constant column (its coefficient is 0).
    """

    scales: np.ndarray
    inverse: np.ndarray

    def scale_design(self, X):
        """``X · diag(1/s)``: a new dense array, or a sparse matrix of the same format."""
        if sp.issparse(X):
            scaled = X @ sp.diags(self.inverse)
            return scaled.asformat(X.format) if X.format != "coo" else scaled.tocsr()
        X = np.asarray(X)
        return X * self.inverse.astype(X.dtype, copy=False)

    def scaled_bounds(self, lower, upper) -> tuple[np.ndarray, np.ndarray]:
        """Bounds on the original-unit ``β`` as bounds on ``b = β s`` (glmnet's
        ``lower.limits``/``upper.limits`` keep their original-unit meaning)."""
        lower = np.broadcast_to(np.asarray(lower, dtype=np.float64), self.scales.shape)
        upper = np.broadcast_to(np.asarray(upper, dtype=np.float64), self.scales.shape)
        with np.errstate(invalid="ignore"):  # ±inf · 0 for a constant column
            lower, upper = lower * self.scales, upper * self.scales
        # (its coefficient is 0 either way; infinite bounds stay infinite)
        return np.where(np.isnan(lower), 0.0, lower), np.where(np.isnan(upper), 0.0, upper)


def column_scales(X, h: np.ndarray) -> ColumnScales:
    """glmnet's scales ``s_j = sqrt(Σ_i h_i (x_ij − x̄_j)²)`` (module docstring).

    Parameters
    ----------
    X : {ndarray, sparse matrix} of shape (n_samples, n_features)
    h : ndarray of shape (n_samples,)
        Sample weights summing to 1.

    Returns
    -------
    ColumnScales
    """
    h = np.asarray(h, dtype=np.float64)
    if sp.issparse(X):
        variance, constant = _sparse_moments(X, h)
    else:
        X = np.asarray(X, dtype=np.float64)
        mean = h @ X
        variance = h @ (X - mean) ** 2  # centred first: no cancellation
        rows = X[h > 0]
        constant = (rows.max(axis=0) == rows.min(axis=0)) if rows.shape[0] else True
    scales = np.sqrt(np.maximum(variance, 0.0))
    # A column constant on the weighted rows has s_j = 0 up to the rounding of its mean.
    scales = np.where(constant, 0.0, scales)
    positive = scales > 0
    inverse = np.zeros_like(scales)
    inverse[positive] = 1.0 / scales[positive]
    return ColumnScales(scales=scales, inverse=inverse)


def _sparse_moments(X, h):
    """Weighted centred variances and constant-column flags of a sparse ``X``, from
    its stored entries: ``Σ_stored h(x − m)² + m²·(Σh over the implicit zeros)``."""
    X = X.tocsc()
    n_features = X.shape[1]
    column = np.repeat(np.arange(n_features), np.diff(X.indptr))
    weight = h[X.indices]
    data = X.data.astype(np.float64, copy=False)
    mean = np.bincount(column, weight * data, minlength=n_features)
    stored_weight = np.bincount(column, weight, minlength=n_features)
    centred = np.bincount(column, weight * (data - mean[column]) ** 2, minlength=n_features)
    variance = centred + mean**2 * np.maximum(1.0 - stored_weight, 0.0)
    positive_rows = X[np.flatnonzero(h > 0)]
    if positive_rows.shape[0] == 0:
        return variance, np.ones(n_features, dtype=bool)
    high = positive_rows.max(axis=0).toarray().ravel()
    low = positive_rows.min(axis=0).toarray().ravel()
    return variance, high == low


def standardize_design(X, h: np.ndarray, standardize: bool):
    """``(X_fit, scales)``: the scaled design and its :class:`ColumnScales`, or
    ``(X, None)`` when ``standardize`` is False.

    Parameters
    ----------
    X : {ndarray, sparse matrix} of shape (n_samples, n_features)
    h : ndarray of shape (n_samples,)
        Sample weights summing to 1 (the scales are weighted, as glmnet's).
    standardize : bool
    """
    if not isinstance(standardize, (bool, np.bool_)):
        raise ValueError(
            f"standardize must be True or False, got {standardize!r} (True scales every "
            "column by its weighted 1/n standard deviation inside the fit, as glmnet)."
        )
    if not standardize:
        return X, None
    scales = column_scales(X, h)
    return scales.scale_design(X), scales


def coefficient_constraint(
    n_features: int,
    lower_bounds=None,
    upper_bounds=None,
    positive: bool = False,
    scales: ColumnScales | None = None,
):
    """What a problem's ``positive`` argument takes: ``positive`` itself (a bool) when no
    bound is given, else the :class:`~shrinkage.penalties.Box` of the bounds (validated
    by :func:`~shrinkage.penalties.coefficient_box`) in the units the solver sees:
    original-unit bounds times ``s_j`` under ``standardize=True`` (glmnet's meaning).
    """
    if lower_bounds is None and upper_bounds is None:
        return bool(positive)
    box = coefficient_box(n_features, lower_bounds, upper_bounds, positive)
    if scales is None:
        return box
    return Box(*scales.scaled_bounds(box.lower, box.upper))


def to_original_units(coef, scales: ColumnScales | None, axis: int = 0) -> np.ndarray:
    """``β = b / s`` along ``axis`` (the features' axis); ``coef`` unchanged when
    ``scales`` is None."""
    if scales is None:
        return coef
    coef = np.asarray(coef)
    shape = [1] * coef.ndim
    shape[axis] = -1
    return coef * scales.inverse.reshape(shape)


def to_scaled_units(coef, scales: ColumnScales | None, axis: int = 0) -> np.ndarray:
    """``b = β · s`` along ``axis`` (a warm start); unchanged when ``scales`` is None."""
    if scales is None:
        return coef
    coef = np.asarray(coef)
    shape = [1] * coef.ndim
    shape[axis] = -1
    return coef * scales.scales.reshape(shape)
