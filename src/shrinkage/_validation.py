"""Input checks with errors that say what is wrong and how to fix it."""

from __future__ import annotations

from numbers import Real

import numpy as np
import scipy.sparse as sp


def check_finite_data(X, name: str = "X") -> None:
    """Raise a ValueError naming the problem if ``X`` holds NaN or infinity."""
    values = X.data if sp.issparse(X) else X
    if values.dtype.kind not in "fc":
        return
    if not np.isfinite(values).all():
        kind = "NaN" if np.isnan(values).any() else "infinity"
        raise ValueError(
            f"Input {name} contains {kind}. Remove or impute the missing or infinite "
            "values first (e.g. sklearn.impute.SimpleImputer, or drop those rows)."
        )


def check_numeric(X, name: str = "X") -> None:
    """Reject object or string arrays before scikit-learn gives a cryptic message."""
    dtype = getattr(X, "dtype", None)
    if dtype is not None and dtype.kind in "OUS":
        try:
            np.asarray(X, dtype=np.float64)
        except ValueError:  # text; a TypeError (odd objects) passes through as numpy's
            raise ValueError(
                f"Input {name} has non-numeric values (dtype {dtype}). Encode categorical "
                "columns first, e.g. with sklearn.preprocessing.OneHotEncoder or "
                "pandas.get_dummies."
            ) from None
    dtypes = getattr(X, "dtypes", None)  # pandas DataFrame
    if dtypes is not None and hasattr(dtypes, "__iter__") and not isinstance(dtypes, np.dtype):
        bad = [
            str(c)
            for c, d in zip(X.columns, dtypes, strict=True)
            if getattr(d, "kind", "f") in "OUS"
        ]
        if bad:
            raise ValueError(
                f"Input {name} has non-numeric columns {bad[:5]}. Encode them first, e.g. "
                "with pandas.get_dummies or sklearn.preprocessing.OneHotEncoder."
            )


def check_nonnegative_scalar(value, name: str, hint: str = "", allow_inf: bool = False) -> float:
    """A real number ``>= 0`` (finite unless ``allow_inf``)."""
    if isinstance(value, bool) or not isinstance(value, Real) or np.isnan(value):
        raise ValueError(f"{name} must be a real number >= 0, got {value!r}. {hint}".strip())
    if value < 0 or (not allow_inf and not np.isfinite(value)):
        raise ValueError(f"{name} must be >= 0 and finite, got {value!r}. {hint}".strip())
    return float(value)


def check_l1_ratio(l1_ratio) -> float:
    if isinstance(l1_ratio, bool) or not isinstance(l1_ratio, Real) or not 0 <= l1_ratio <= 1:
        raise ValueError(
            f"l1_ratio must be a number in [0, 1] (1 = lasso/L1, 0 = ridge/L2, between = "
            f"elastic net), got {l1_ratio!r}."
        )
    return float(l1_ratio)


def check_positive_int(value, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}.")
    return int(value)


def check_sample_weight(sample_weight, n_samples: int) -> np.ndarray:
    """Normalized weights ``h = w / Σw`` (``1/n`` when ``sample_weight`` is None)."""
    if sample_weight is None:
        return np.full(n_samples, 1.0 / n_samples)
    weights = np.asarray(sample_weight, dtype=np.float64)
    if weights.ndim == 0:
        weights = np.full(n_samples, float(weights))
    if weights.shape != (n_samples,):
        raise ValueError(
            f"sample_weight has shape {weights.shape} but X has {n_samples} samples; "
            "pass one weight per sample."
        )
    if not np.isfinite(weights).all():
        raise ValueError("sample_weight contains NaN or infinity; pass finite weights.")
    if (weights < 0).any():
        raise ValueError(
            "sample_weight has negative entries; weights must be >= 0 (use 0 to drop a sample)."
        )
    total = weights.sum()
    if total <= 0:
        raise ValueError("sample_weight sums to zero; at least one sample needs a positive weight.")
    return weights / total


def check_penalty_weights(penalty_weights, n_features: int) -> np.ndarray:
    """Per-feature penalty factors as float64, ``>= 0``, one per feature."""
    if penalty_weights is None:
        return np.ones(n_features)
    weights = np.asarray(penalty_weights, dtype=np.float64)
    if weights.ndim != 1 or weights.shape[0] != n_features:
        raise ValueError(
            f"penalty_weights has shape {weights.shape} but X has {n_features} features; "
            "pass one factor per feature (0 leaves a feature unpenalized)."
        )
    if not np.isfinite(weights).all() or (weights < 0).any():
        raise ValueError(
            "penalty_weights must be finite and >= 0 (0 = unpenalized, 1 = the usual penalty)."
        )
    return weights


def check_alpha_grid(alphas, name: str = "alphas", require_positive: bool = False) -> np.ndarray:
    """A user-given grid: non-empty, finite, ``>= 0`` (or ``> 0``) and monotonic.

    Returned sorted decreasing (scikit-learn's order for paths). A grid in no order is
    refused rather than silently reordered, so results never misalign with the list
    the caller holds.
    """
    try:
        grid = np.asarray(alphas, dtype=np.float64).ravel()
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be numbers, got {alphas!r}.") from None
    if grid.size == 0:
        raise ValueError(f"{name} is empty; pass at least one value or an integer grid size.")
    if not np.isfinite(grid).all():
        raise ValueError(f"{name} contains NaN or infinity; pass finite values.")
    if require_positive and (grid <= 0).any():
        raise ValueError(f"{name} must all be > 0, got min {grid.min():g}.")
    if (grid < 0).any():
        raise ValueError(f"{name} must all be >= 0, got min {grid.min():g}.")
    steps = np.diff(grid)
    if not ((steps <= 0).all() or (steps >= 0).all()):
        raise ValueError(
            f"{name} is not sorted; pass a monotonic grid, e.g. np.sort({name})[::-1] "
            "(decreasing, the order paths are solved in)."
        )
    return np.sort(grid)[::-1]
