"""Input checks with errors that say what is wrong and how to fix it."""

from __future__ import annotations

import inspect
import warnings
from functools import cache
from numbers import Real

import numpy as np
import scipy.sparse as sp

# Values beyond this overflow once squared and summed (Gram matrices, losses, norms):
# refused with a message rather than answered with zeros or an inscrutable LAPACK error.
MAX_ABS_VALUE = 1e100


class DataOverflowError(ValueError):
    """Values so large that their squares overflow: a ValueError that solvers may word
    in their own terms (scikit-learn's coordinate descent names its iterations)."""


def check_finite_data(X, name: str = "X") -> None:
    """Raise a ValueError naming the problem if ``X`` holds NaN, infinity, or values so
    large that their squares overflow."""
    values = X.data if sp.issparse(X) else X
    if values.dtype.kind not in "fc":
        return
    if values.dtype.kind == "f" and values.size:
        # One pass each for the largest and smallest value, no temporary: both carry a
        # NaN through, and NaN compares false, so finite data within range returns here
        # (half the time of ``isfinite`` then ``abs``); anything else is diagnosed below.
        if float(values.max()) <= MAX_ABS_VALUE and float(values.min()) >= -MAX_ABS_VALUE:
            return
    if not np.isfinite(values).all():
        kind = "NaN" if np.isnan(values).any() else "infinity"
        raise ValueError(
            f"Input {name} contains {kind}. Remove or impute the missing or infinite "
            "values first (e.g. sklearn.impute.SimpleImputer, or drop those rows)."
        )
    largest = float(np.max(np.abs(values))) if values.size else 0.0
    if largest > MAX_ABS_VALUE:
        raise DataOverflowError(
            f"Input {name} has values up to {largest:.3g}; squares of values above "
            f"{MAX_ABS_VALUE:.0e} overflow double precision. Rescale {name} first (e.g. "
            "divide by its largest value, or sklearn.preprocessing.StandardScaler)."
        )


def check_numeric(X, name: str = "X") -> None:
    """Reject object or string arrays before scikit-learn gives a cryptic message."""
    dtype = getattr(X, "dtype", None)
    if dtype is not None and dtype.kind == "c":
        raise ValueError(_complex_message(name))
    if dtype is not None and dtype.kind in "OUS":
        try:
            converted = np.asarray(X, dtype=np.float64)
        except TypeError:
            if not _has_missing_objects(X):
                raise  # other objects (a dict): numpy's "must be a string or a number"
            raise ValueError(
                f"Input {name} has missing values (None / pd.NA); impute or drop them first."
            ) from None
        except ValueError:  # text
            raise ValueError(
                f"Input {name} has non-numeric values (dtype {dtype}). Encode categorical "
                "columns first, e.g. with sklearn.preprocessing.OneHotEncoder or "
                "pandas.get_dummies."
            ) from None
        del converted
    dtypes = getattr(X, "dtypes", None)  # pandas DataFrame
    if dtypes is not None and hasattr(dtypes, "__iter__") and not isinstance(dtypes, np.dtype):
        bad = [
            str(c)
            for c, d in zip(X.columns, dtypes, strict=True)
            if getattr(d, "kind", "f") in "OUS" and not _numeric_categorical(d)
        ]
        if bad:
            raise ValueError(
                f"Input {name} has non-numeric columns {bad[:5]}. Encode them first, e.g. "
                "with pandas.get_dummies or sklearn.preprocessing.OneHotEncoder."
            )


def _numeric_categorical(dtype) -> bool:
    """A pandas ``Categorical`` of numbers: its values are read as numbers, as
    scikit-learn reads them (``pd.Categorical([1, 2, 3])``)."""
    categories = getattr(dtype, "categories", None)
    return categories is not None and categories.dtype.kind in "iufb"


def _has_missing_objects(X) -> bool:
    import pandas as pd

    return bool(np.any(pd.isna(np.asarray(X, dtype=object))))


def _complex_message(name: str) -> str:
    return (
        f"Complex data not supported: input {name} is complex, and shrinkage fits "
        f"real-valued data only. Pass the real "
        f"part ({name}.real) or split real and imaginary parts into separate columns."
    )


def check_real_target(y, name: str = "y", numeric: bool = True) -> None:
    """Clear errors for a target that is complex, text, or holds None / pd.NA.

    ``numeric``: the target must be numbers (regression); class labels may be text.
    """
    dtype = getattr(y, "dtype", None)
    if dtype is None:
        y = np.asarray(y)
        dtype = y.dtype
    if dtype.kind == "c":
        raise ValueError(_complex_message(name))
    if not numeric or dtype.kind not in "OUS":
        return
    try:
        np.asarray(y, dtype=np.float64)
    except TypeError:
        raise ValueError(
            f"{name} has missing values (None / pd.NA); drop or impute those rows first."
        ) from None
    except ValueError:
        example = next((v for v in np.ravel(np.asarray(y, dtype=object)) if _not_number(v)), "")
        raise ValueError(
            f"{name} has non-numeric values (e.g. {example!r}); a regressor needs a numeric "
            "target. For class labels use LogisticRegression(CV)."
        ) from None


def _not_number(value) -> bool:
    try:
        float(value)
    except (TypeError, ValueError):
        return True
    return False


def check_nonnegative_scalar(value, name: str, hint: str = "", allow_inf: bool = False) -> float:
    """A real number ``>= 0`` (finite unless ``allow_inf``)."""
    if isinstance(value, bool) or not isinstance(value, Real) or np.isnan(value):
        raise ValueError(f"{name} must be a real number >= 0, got {value!r}. {hint}".strip())
    if value < 0 or (not allow_inf and not np.isfinite(value)):
        raise ValueError(f"{name} must be >= 0 and finite, got {value!r}. {hint}".strip())
    return float(value)


#: Parameters with a bool default that also take numbers (scikit-learn's ``verbose``).
_NOT_ONLY_BOOL = frozenset({"verbose"})


@cache
def _boolean_parameters(cls: type) -> tuple[str, ...]:
    """The parameters of ``cls.__init__`` whose default is True or False."""
    return tuple(
        name
        for name, parameter in inspect.signature(cls.__init__).parameters.items()
        if isinstance(parameter.default, bool) and name not in _NOT_ONLY_BOOL
    )


def check_boolean_parameters(estimator) -> None:
    """Refuse a non-bool value for a parameter whose default is True or False.

    A string is truthy, so ``positive="no"`` or ``fit_intercept="False"`` would otherwise
    fit the opposite of what was asked, silently (scikit-learn refuses them too).
    NumPy bools are accepted.
    """
    for name in _boolean_parameters(type(estimator)):
        value = getattr(estimator, name)
        if not isinstance(value, (bool, np.bool_)):
            why = " (a string such as 'False' counts as True)" if isinstance(value, str) else ""
            raise ValueError(
                f"{name} must be True or False, got {value!r}{why}. Pass {name}=True or "
                f"{name}=False."
            )


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


def raw_sample_weight(sample_weight, n_samples: int) -> np.ndarray:
    """Validated weights in the caller's scale, one per sample (a scalar is broadcast).

    Raises a ValueError for a wrong shape, complex, non-finite or negative weights, or
    weights that are all zero.
    """
    if sample_weight is None:
        return np.ones(n_samples)
    weights = np.asarray(sample_weight)
    if weights.dtype.kind == "c":
        raise ValueError(_complex_message("sample_weight"))
    try:
        weights = weights.astype(np.float64)
    except (TypeError, ValueError):
        raise ValueError("sample_weight must be numbers (one per sample, or a scalar).") from None
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
    if not (weights > 0).any():
        raise ValueError("sample_weight sums to zero; at least one sample needs a positive weight.")
    return weights


def log_weight_total(weights: np.ndarray) -> float:
    """``log Σw`` without overflow (weights near the float maximum) or underflow."""
    largest = float(np.max(weights))
    return float(np.log(largest) + np.log(np.sum(weights / largest)))


def check_sample_weight(sample_weight, n_samples: int) -> np.ndarray:
    """Normalized weights ``h = w / Σw`` (``1/n`` when ``sample_weight`` is None).

    The sum is taken after dividing by the largest weight, so weights whose sum
    overflows (or underflows) normalize correctly.
    """
    if sample_weight is None:
        return np.full(n_samples, 1.0 / n_samples)
    weights = raw_sample_weight(sample_weight, n_samples)
    weights = weights / weights.max()
    return weights / weights.sum()


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


def refuse_scalar_grid(values, name: str = "alphas", count: str = "log-spaced down from alpha_max"):
    """A CV grid is a count or an array: ``alphas=10.0`` or ``"10"`` would be one value.

    ``count`` says how a count's values are spaced.
    """
    if np.ndim(values) == 0:
        hint = "numbers, not text" if isinstance(values, str) else f"[{values!r}] for one value"
        raise ValueError(
            f"{name} must be an integer (how many values, {count}) or an array of values, "
            f"got {values!r}; pass {hint}."
        )


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


# Penalty strengths above this give coefficients that are 0 to double precision, and
# larger ones overflow in the solver's products (2·α, α·β²): they are capped here.
MAX_PENALTY_STRENGTH = 1e250


def logistic_penalty_strength(C, weights: np.ndarray) -> np.ndarray:
    """scikit-learn's ``C`` (summed loss) as our ``α = 1/(C·Σw)`` (mean loss), safely.

    Computed in logarithms so that neither ``C·Σw`` underflowing (``C = 1e-310``) nor
    ``Σw`` overflowing gives ``inf`` or 0 silently. ``α`` is capped at
    :data:`MAX_PENALTY_STRENGTH`, where every penalized coefficient is already 0;
    ``C = inf`` gives 0.
    """
    C = np.asarray(C, dtype=np.float64)
    with np.errstate(divide="ignore"):
        log_alpha = -np.log(C) - log_weight_total(weights)
    log_alpha = np.minimum(log_alpha, np.log(MAX_PENALTY_STRENGTH))
    with np.errstate(under="ignore"):
        return np.exp(log_alpha)


#: With ``standardize=True`` the solver's Gram matrix is of the scaled ``X``.
GRAM_OF_UNSCALED_X = (
    "A precomputed Gram matrix is of the unscaled X; with standardize=True pass "
    "precompute=True (the Gram matrix of the scaled X is formed inside)."
)


def check_gram_shape(precompute, n_features: int) -> np.ndarray:
    """A user's ``precompute`` Gram matrix as an array, refused unless ``(p, p)``."""
    gram = np.asarray(precompute)
    if gram.shape != (n_features, n_features):
        raise ValueError(
            f"The precomputed Gram matrix has shape {gram.shape}, expected "
            f"({n_features}, {n_features})."
        )
    return gram


def check_precomputed_gram(precompute, X, h, fit_intercept: bool):
    """``precompute`` for the solver: a user Gram matrix is checked, then formed again.

    ``h``: the sample weights, summing to one.

    scikit-learn accepts ``precompute=XᵀX`` (of the centred, weighted ``X``). We keep
    that contract: the same validation (shape, one element recomputed, the same error
    message) and the same warning when ``X`` is not centred; a Gram matrix that
    passes is equal to the one shrinkage forms itself, so that one is used (``True``).
    """
    if not hasattr(precompute, "__array__"):
        return precompute
    gram = check_gram_shape(precompute, X.shape[1])
    n_features = X.shape[1]
    if sp.issparse(X):
        return "auto"
    offset = h @ X if fit_intercept else np.zeros(n_features)
    if fit_intercept and not np.allclose(offset, np.zeros(n_features)):
        warnings.warn(
            "Gram matrix was provided but X was centered to fit intercept: "
            "recomputing Gram matrix.",
            UserWarning,
            stacklevel=3,
        )
        return "auto"
    # scikit-learn's check: one element of (√w X_c)ᵀ(√w X_c), w summing to n.
    scale = np.sqrt(h * X.shape[0])
    f1 = n_features // 2
    f2 = min(f1 + 1, n_features - 1)
    expected = np.dot((X[:, f1] - offset[f1]) * scale, (X[:, f2] - offset[f2]) * scale)
    actual = gram[f1, f2]
    rtol = max(1e-4 if dtype == np.float32 else 1e-7 for dtype in (gram.dtype, X.dtype))
    if not np.isclose(expected, actual, rtol=rtol, atol=1e-5):
        raise ValueError(
            "Gram matrix passed in via 'precompute' parameter "
            "did not pass validation when a single element was "
            "checked - please check that it was computed "
            f"properly. For element ({f1},{f2}) we computed "
            f"{expected} but the user-supplied value was "
            f"{actual}."
        )
    return True
