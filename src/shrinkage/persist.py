"""Saving and loading fitted linear models as JSON: safe, versioned, readable.

Loading never executes code (no pickle): the file holds numbers, names and the
estimator's class name, which must be one of shrinkage's linear estimators. The
format carries its own version; a file from a newer format is refused with a message.
Everything needed to predict travels with it: the column encoding (one-hot levels),
the standardization and, for classification, the class labels. ``alpha_mean_loss``
(optional, null when unknown) is the penalty strength as ``shrinkage fit --alpha`` takes
it; ``chosen`` holds the estimator's own CV choices in the estimator's units.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

FORMAT = "shrinkage-model"
FORMAT_VERSION = 1
_ESTIMATORS = (
    "Lasso",
    "ElasticNet",
    "Ridge",
    "LogisticRegression",
    "LassoCV",
    "ElasticNetCV",
    "RidgeCV",
    "LogisticRegressionCV",
    "RelaxedLasso",
    "RelaxedLassoCV",
    "LassoIC",
    "ElasticNetIC",
)


def to_dict(
    model,
    *,
    feature_names,
    task,
    center=None,
    scale=None,
    encoding=None,
    target=None,
    classes=None,
    alpha_mean_loss: float | None = None,
) -> dict:
    """A JSON-ready description of a fitted linear model and its preprocessing.

    Parameters
    ----------
    model : estimator
        A fitted linear estimator of shrinkage (one of ``_ESTIMATORS``).
    feature_names : list of str
        One name per column of the matrix it was fitted on.
    task : {"regression", "classification"}
    center, scale : array-like, optional
        The standardization applied before the fit (default: none).
    encoding : dict, optional
        The column encoding of a table (:func:`shrinkage.io.read_data`'s).
    target : str, optional
        The target column's name.
    classes : list of str, optional
        The class labels (default: the model's ``classes_``).
    alpha_mean_loss : float, optional
        The penalty strength on the scale of ``shrinkage fit --alpha`` (mean loss +
        α·penalty), for every estimator; stored as ``alpha_mean_loss``. ``chosen`` keeps
        the estimator's own attributes in its own units (``RidgeCV.alpha_`` weighs the
        summed squared errors, ``C_`` is an inverse), as files before this key did.

    Returns
    -------
    dict
    """
    from . import __version__

    name = type(model).__name__
    if name not in _ESTIMATORS:
        raise ValueError(f"Only shrinkage's linear estimators can be saved, got {name}.")
    coef = np.atleast_2d(np.asarray(model.coef_, dtype=float))
    intercept = np.atleast_1d(np.asarray(model.intercept_, dtype=float))
    params = {
        k: (v if not isinstance(v, float) or np.isfinite(v) else str(v))  # strict JSON
        for k, v in model.get_params().items()
        if isinstance(v, (int, float, str, bool)) or v is None
    }
    chosen = {
        k: _finite_or_none(_plain(getattr(model, k)))
        for k in ("alpha_", "C_", "l1_ratio_", "gamma_")
        if hasattr(model, k)
    }
    p = coef.shape[1]
    if task == "classification" and classes is None and hasattr(model, "classes_"):
        classes = [_label(c) for c in model.classes_]  # the labels the model was fitted on
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "shrinkage_version": __version__,
        "estimator": name,
        "task": task,
        "params": params,
        "chosen": chosen,
        "alpha_mean_loss": None if alpha_mean_loss is None else float(alpha_mean_loss),
        "feature_names": list(feature_names),
        "target": target,
        "classes": classes,
        "encoding": encoding,
        "center": (np.zeros(p) if center is None else np.asarray(center, float)).tolist(),
        "scale": (np.ones(p) if scale is None else np.asarray(scale, float)).tolist(),
        "coef": coef.tolist(),
        "intercept": intercept.tolist(),
    }


def _label(value) -> str:
    value = value.item() if hasattr(value, "item") else value
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _finite_or_none(value):
    if isinstance(value, float) and not np.isfinite(value):
        return None
    return value


def _plain(value):
    value = np.asarray(value)
    return value.item() if value.size == 1 else value.tolist()


def save(description: dict, path, force: bool = False, inputs=()) -> None:
    """Write the description to ``path`` (never replacing a file unless ``force``, and
    never one of ``inputs``). Strict JSON: NaN or infinity is an error, not a token."""
    from ._output import write_file

    try:
        validate(description)
        text = json.dumps(description, indent=1, allow_nan=False)
    except (_Invalid, ValueError) as error:
        raise ValueError(f"The fitted model cannot be saved: {error}") from None
    write_file(Path(path), text.encode("utf-8"), force, inputs=inputs)


# A model file is small (numbers per feature); anything far larger is not one.
_MAX_MODEL_BYTES = 512 * 1024 * 1024
_MAX_DEPTH = 6  # the deepest a valid file nests: encoding → categorical → levels


def load(path) -> SavedModel:
    """Read a saved model; one clear ValueError for anything that is not a valid one.

    Only JSON is parsed (no code runs), and every field is checked against the schema
    (type, shape, finiteness, nesting depth) before it is used.
    """
    path = Path(path)
    if not path.exists():
        raise ValueError(f"No such model file: {path}.")
    if not path.is_file():
        raise ValueError(f"{path} is not a file; give a model file written by 'shrinkage fit'.")
    if path.stat().st_size > _MAX_MODEL_BYTES:
        raise ValueError(f"{path} is too large to be a shrinkage model file.")
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise ValueError(f"{path} cannot be read ({error.strerror}).") from None
    except UnicodeDecodeError:
        raise ValueError(f"{path} is not a shrinkage model (not JSON).") from None
    try:
        description = json.loads(text, parse_constant=_refuse_constant)
    except (json.JSONDecodeError, ValueError, RecursionError):
        raise ValueError(f"{path} is not a shrinkage model (not valid JSON).") from None
    if not isinstance(description, dict) or description.get("format") != FORMAT:
        raise ValueError(f"{path} is not a shrinkage model file.")
    try:
        validate(description)
    except _Invalid as error:
        raise ValueError(f"{path} is not a valid shrinkage model: {error}") from None
    return SavedModel(description)


def _refuse_constant(name):
    raise ValueError(f"JSON constant {name} is not allowed")


class _Invalid(Exception):
    """A schema violation; turned into one ValueError naming the file."""


def validate(description: dict) -> None:
    """Check a model description against the schema; raise ``_Invalid`` naming the field."""
    if _depth(description) > _MAX_DEPTH:
        raise _Invalid(f"nested deeper than {_MAX_DEPTH} levels.")
    version = description.get("format_version")
    if isinstance(version, bool) or not isinstance(version, int):
        raise _Invalid(f"format_version must be an integer, got {version!r}.")
    if version > FORMAT_VERSION:
        raise _Invalid(
            f"it uses model format {version}; this shrinkage reads up to {FORMAT_VERSION}. "
            "Upgrade shrinkage."
        )
    if version < 1:
        raise _Invalid(f"format_version {version} is not a known format.")
    if description.get("estimator") not in _ESTIMATORS:
        raise _Invalid(f"unknown estimator {description.get('estimator')!r}.")
    task = description.get("task")
    if task not in ("regression", "classification"):
        raise _Invalid(f"task must be 'regression' or 'classification', got {task!r}.")
    names = _string_list(description, "feature_names")
    p = len(names)
    if p == 0:
        raise _Invalid("feature_names is empty.")
    classes = description.get("classes")
    if task == "classification":
        classes = _string_list(description, "classes")
        if len(classes) < 2 or len(set(classes)) != len(classes):
            raise _Invalid("classes must list at least 2 distinct labels.")
    elif classes is not None:
        raise _Invalid("a regression model has no classes.")
    rows = 1 if task == "regression" or len(classes) == 2 else len(classes)
    _finite_numbers(description, "coef", (rows, p))
    _finite_numbers(description, "intercept", (rows,))
    _finite_numbers(description, "center", (p,))
    scale = _finite_numbers(description, "scale", (p,))
    if np.any(scale <= 0):
        raise _Invalid("scale must be > 0 for every feature.")
    _check_encoding(description.get("encoding"), names)
    for key in ("params", "chosen"):
        if not isinstance(description.get(key, {}), dict):
            raise _Invalid(f"{key} must be an object.")
    target = description.get("target")
    if target is not None and not isinstance(target, str):
        raise _Invalid("target must be a string or null.")
    alpha = description.get("alpha_mean_loss")  # absent from files written before it
    number = isinstance(alpha, (int, float)) and not isinstance(alpha, bool)
    if alpha is not None and not (number and np.isfinite(alpha) and alpha >= 0):
        raise _Invalid("alpha_mean_loss must be a finite number >= 0 or null.")


def _depth(value, level: int = 0) -> int:
    """Nesting depth, iteratively bounded (a file 5000 levels deep stops early)."""
    if level > _MAX_DEPTH:
        return level
    if isinstance(value, dict):
        return max((_depth(v, level + 1) for v in value.values()), default=level + 1)
    if isinstance(value, list):
        return max((_depth(v, level + 1) for v in value), default=level + 1)
    return level


def _string_list(description: dict, key: str) -> list[str]:
    value = description.get(key)
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise _Invalid(f"{key} must be a list of strings.")
    return value


def _finite_numbers(description: dict, key: str, shape: tuple) -> np.ndarray:
    value = description.get(key)
    if not _all_numbers(value):
        raise _Invalid(f"{key} must hold numbers only.")
    try:
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise _Invalid(f"{key} has an irregular shape.") from None
    if array.shape != shape:
        raise _Invalid(f"{key} has shape {array.shape}; expected {shape}.")
    if not np.isfinite(array).all():
        raise _Invalid(f"{key} contains NaN or infinity.")
    return array


def _all_numbers(value) -> bool:
    if isinstance(value, list):
        return all(_all_numbers(v) for v in value)
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _check_encoding(encoding, names: list[str]) -> None:
    if encoding is None:
        return
    if not isinstance(encoding, dict):
        raise _Invalid("encoding must be an object or null.")
    columns = encoding.get("columns")
    categorical = encoding.get("categorical")
    if not isinstance(columns, list) or not all(isinstance(c, str) for c in columns):
        raise _Invalid("encoding.columns must be a list of strings.")
    if not isinstance(categorical, dict) or not all(
        isinstance(levels, list) and all(isinstance(v, str) for v in levels)
        for levels in categorical.values()
    ):
        raise _Invalid("encoding.categorical must map columns to lists of strings.")
    if not isinstance(encoding.get("binary_as_one_column", False), bool):
        raise _Invalid("encoding.binary_as_one_column must be true or false.")
    dropped = encoding.get("dropped", [])
    if not isinstance(dropped, list) or not all(isinstance(c, str) for c in dropped):
        raise _Invalid("encoding.dropped must be a list of strings.")
    from .features import feature_names_of_encoding

    if feature_names_of_encoding(encoding) != names:
        raise _Invalid("encoding does not match feature_names.")


class SavedModel:
    """A loaded (and validated) model: predicts from raw feature matrices."""

    def __init__(self, description: dict):
        self.description = description
        self.coef = np.asarray(description["coef"], dtype=float)
        self.intercept = np.asarray(description["intercept"], dtype=float)
        self.center = np.asarray(description["center"], dtype=float)
        self.scale = np.asarray(description["scale"], dtype=float)
        self.task = description["task"]
        self.feature_names = description["feature_names"]
        self.encoding = description.get("encoding")
        self.classes = description.get("classes")

    def decision_function(self, X) -> np.ndarray:
        X = np.asarray(X, dtype=float)
        if X.ndim != 2 or X.shape[1] != self.coef.shape[1]:
            raise ValueError(
                f"The model expects {self.coef.shape[1]} features, got shape {X.shape}."
            )
        if not np.isfinite(X).all():
            rows = np.flatnonzero(~np.isfinite(X).all(axis=1))
            raise ValueError(
                f"The data have NaN or infinite values (rows {list(rows[:5] + 1)}); fix "
                "or drop those rows."
            )
        with np.errstate(over="ignore", invalid="ignore"):
            scores = ((X - self.center) / self.scale) @ self.coef.T + self.intercept
        if not np.isfinite(scores).all():
            raise ValueError(
                "Some predictions overflow (values far outside the training range); check "
                "the data's units and scale."
            )
        return scores[:, 0] if scores.shape[1] == 1 else scores

    def predict(self, X) -> np.ndarray:
        scores = self.decision_function(X)
        if self.task != "classification":
            return scores
        labels = np.asarray(self.classes, dtype=object)
        if scores.ndim == 2:
            return labels[np.argmax(scores, axis=1)]
        return labels[(scores > 0).astype(int)]

    def predict_proba(self, X) -> np.ndarray:
        """Probability of the second class (binary), or of each class (columns)."""
        from scipy.special import expit, softmax

        scores = self.decision_function(X)
        return softmax(scores, axis=1) if scores.ndim == 2 else expit(scores)
