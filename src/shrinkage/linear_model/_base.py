"""Pieces shared by the scikit-learn estimators."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from sklearn.base import is_regressor
from sklearn.utils.validation import check_is_fitted, validate_data

from .._validation import check_finite_data, check_numeric, check_real_target
from ..solvers.step import check_finite_solution, warn_not_converged  # noqa: F401 (re-exported)

_SPARSE_FORMATS = ["csr", "csc", "coo"]


def validated_fit_input(estimator, X, y, **options):
    """``validate_data`` for ``fit``, with shrinkage's clear messages for text and NaN."""
    check_numeric(X, "X")
    if y is not None:
        check_real_target(y, "y", numeric=is_regressor(estimator))
    X, y = validate_data(
        estimator,
        X,
        y,
        accept_sparse=_SPARSE_FORMATS,
        dtype=[np.float64, np.float32],
        ensure_all_finite=False,
        **options,
    )
    check_finite_data(X, "X")
    return X, y


def linear_scores(estimator, X) -> np.ndarray:
    """``X @ coef_.T + intercept_`` for a fitted linear estimator, input checked."""
    check_is_fitted(estimator)
    check_numeric(X, "X")
    X = validate_data(
        estimator,
        X,
        accept_sparse=_SPARSE_FORMATS,
        reset=False,
        ensure_all_finite=False,
        dtype=[np.float64, np.float32],
    )
    check_finite_data(X, "X")
    coef = estimator.coef_
    if sp.issparse(coef):  # after LogisticRegression.sparsify()
        return np.asarray((X @ coef.T).toarray() if sp.issparse(X) else X @ coef.T.toarray()) + (
            estimator.intercept_
        )
    return np.asarray(X @ np.asarray(coef).T) + estimator.intercept_


def class_weights(class_weight, classes, y, sample_weight) -> np.ndarray:
    """scikit-learn's ``compute_class_weight`` with sample weights, on every supported
    scikit-learn version ("balanced": ``Σw / (n_classes · Σw per class)``; its
    ``sample_weight`` argument appeared in 1.7)."""
    from sklearn.utils.class_weight import compute_class_weight

    if isinstance(class_weight, str) and class_weight == "balanced":
        encoded = np.searchsorted(classes, y)
        counts = np.bincount(encoded, weights=sample_weight, minlength=len(classes))
        return counts.sum() / (len(classes) * counts)
    return compute_class_weight(class_weight, classes=classes, y=y)
