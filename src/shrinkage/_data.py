"""Turning user input into the arrays the solvers expect, with clear errors."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from ._validation import check_finite_data, check_numeric


def feature_names_of(X) -> list[str] | None:
    columns = getattr(X, "columns", None)
    if columns is None:
        return None
    return [str(c) for c in columns]


def check_design(X, y=None):
    """Validate ``X`` (and ``y``) for the functional API.

    Dense input stays float32 or float64 (integers become float64); sparse input
    becomes CSC. Returns ``X, y, feature_names``.
    """
    feature_names = feature_names_of(X)
    check_numeric(X, "X")
    if sp.issparse(X):
        X = sp.csc_matrix(X)
        if X.dtype not in (np.float32, np.float64):
            X = X.astype(np.float64)
    else:
        X = np.asarray(X)
        if X.dtype not in (np.float32, np.float64):
            X = X.astype(np.float64)
        if X.ndim != 2:
            raise ValueError(
                f"X must be 2-D (n_samples, n_features), got shape {X.shape}. "
                "Reshape a single feature with X.reshape(-1, 1)."
            )
    if X.shape[0] == 0 or X.shape[1] == 0:
        raise ValueError(
            f"X is empty (shape {X.shape}); at least 1 sample and 1 feature are needed."
        )
    check_finite_data(X, "X")
    if y is None:
        return X, None, feature_names
    y = np.asarray(y)
    if y.ndim != 1:
        y = y.ravel() if y.ndim == 2 and y.shape[1] == 1 else y
    if y.shape[0] != X.shape[0]:
        raise ValueError(
            f"X has {X.shape[0]} samples but y has {y.shape[0]}; they must match row for row."
        )
    return X, y, feature_names


def prepare_targets(y, loss: str) -> np.ndarray:
    """The target as the datafit of ``loss`` reads it (its ``check_target``: floats for
    least squares, 0/1 for binary logistic, counts ``>= 0`` for Poisson, ...)."""
    from .datafits import get_datafit

    return get_datafit(loss).check_target(y)
