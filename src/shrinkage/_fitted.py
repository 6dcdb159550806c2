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


def warm_start_coef(estimator, shape: tuple[int, ...]) -> np.ndarray | None:
    """The fitted ``coef_`` a ``warm_start`` fit begins from, or None for a cold start.

    None when ``warm_start`` is off, the estimator has not been fitted, or ``coef_`` has
    another shape than ``shape`` (a fit on other features, classes or targets starts from
    zero, as a first fit does). A ``coef_`` or ``intercept_`` holding NaN or inf is
    refused: every solver would carry it into each update (one returned NaN weights,
    others failed deep inside a factorization).

    Parameters
    ----------
    estimator : estimator with ``warm_start``, maybe fitted
    shape : tuple of int
        The shape of ``coef_`` this fit would store, e.g. ``(n_features,)``.

    Returns
    -------
    ndarray of float64, or None
        A dense copy of ``coef_`` (a sparsified ``coef_`` is densified).
    """
    coef = getattr(estimator, "coef_", None)
    if not getattr(estimator, "warm_start", False) or coef is None:
        return None
    coef = coef.toarray() if hasattr(coef, "toarray") else coef
    coef = np.asarray(coef, dtype=np.float64)
    if coef.shape != tuple(shape):
        return None
    intercept = np.asarray(getattr(estimator, "intercept_", 0.0), dtype=np.float64)
    for name, value in (("coef_", coef), ("intercept_", intercept)):
        if not np.all(np.isfinite(value)):
            raise ValueError(
                f"warm_start=True starts from the fitted {name}, which holds NaN or inf. "
                "Floating-point under-/overflow in an earlier fit, or values set by hand, "
                "leave such coefficients; refit with warm_start=False, or set "
                f"{name} to finite values."
            )
    return coef.copy()
