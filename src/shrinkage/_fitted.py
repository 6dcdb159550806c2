"""Fitted attributes in scikit-learn's shapes, shared by the estimators and the Dask engine."""

from __future__ import annotations

import numpy as np


def store_coef(estimator, coefs, intercepts, y_ndim: int, dtype, squeeze: bool = True) -> None:
    """Write ``coef_`` and ``intercept_`` in scikit-learn's shapes and the input dtype.

    Parameters
    ----------
    coefs : array-like of shape (n_targets, n_features)
    intercepts : array-like of shape (n_targets,)
        Ignored (zeros) without ``fit_intercept``.
    y_ndim : int
        ``y.ndim`` as passed to ``fit``.
    dtype : numpy dtype
        The input's floating dtype.
    squeeze : bool, default=True
        One target gives ``coef_`` of shape ``(n_features,)`` even for ``y`` of shape
        ``(n, 1)`` (scikit-learn's rule); False keeps ``(1, n_features)`` there.

    The rules, as scikit-learn's regressors:

    ============  =====================  ==========================================
    ``y``         ``coef_``              ``intercept_``
    ============  =====================  ==========================================
    ``(n,)``      ``(p,)``               scalar of ``dtype``
    ``(n, 1)``    ``(p,)``               ``(1,)``
    ``(n, k)``    ``(k, p)``             ``(k,)``
    ============  =====================  ==========================================

    Without an intercept ``intercept_`` is ``0.0`` whatever the shape of ``y``.
    """
    dtype = np.dtype(dtype)
    coefs = np.asarray(coefs, dtype=dtype)
    estimator.coef_ = coefs[0] if coefs.shape[0] == 1 and (squeeze or y_ndim == 1) else coefs
    if not estimator.fit_intercept:
        estimator.intercept_ = 0.0  # scikit-learn: a plain 0.0 for any y
    elif y_ndim == 1:
        estimator.intercept_ = dtype.type(intercepts[0])
    else:
        estimator.intercept_ = np.asarray(intercepts, dtype=dtype)
