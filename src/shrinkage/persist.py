"""Saving and loading fitted linear models as JSON: safe, versioned, readable.

Loading never executes code (no pickle): the file holds numbers, names and the
estimator's class name, which must be one of shrinkage's linear estimators. The
format carries its own version; a file from a newer format is refused with a message.
Everything needed to predict travels with it: the column encoding (one-hot levels),
the standardization and, for classification, the class labels.
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
    model, *, feature_names, task, center=None, scale=None, encoding=None, target=None, classes=None
) -> dict:
    """A JSON-ready description of a fitted linear model and its preprocessing."""
    from . import __version__

    name = type(model).__name__
    if name not in _ESTIMATORS:
        raise ValueError(f"Only shrinkage's linear estimators can be saved, got {name}.")
    coef = np.atleast_2d(np.asarray(model.coef_, dtype=float))
    intercept = np.atleast_1d(np.asarray(model.intercept_, dtype=float))
    params = {
        k: v
        for k, v in model.get_params().items()
        if isinstance(v, (int, float, str, bool)) or v is None
    }
    chosen = {
        k: _plain(getattr(model, k))
        for k in ("alpha_", "C_", "l1_ratio_", "gamma_")
        if hasattr(model, k)
    }
    p = coef.shape[1]
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "shrinkage_version": __version__,
        "estimator": name,
        "task": task,
        "params": params,
        "chosen": chosen,
        "feature_names": list(feature_names),
        "target": target,
        "classes": classes,
        "encoding": encoding,
        "center": (np.zeros(p) if center is None else np.asarray(center, float)).tolist(),
        "scale": (np.ones(p) if scale is None else np.asarray(scale, float)).tolist(),
        "coef": coef.tolist(),
        "intercept": intercept.tolist(),
    }


def _plain(value):
    value = np.asarray(value)
    return value.item() if value.size == 1 else value.tolist()


def save(description: dict, path, force: bool = False) -> None:
    """Write the description to ``path`` (never replacing a file unless ``force``)."""
    from ._output import write_file

    write_file(Path(path), json.dumps(description, indent=1).encode("utf-8"), force)


def load(path) -> SavedModel:
    """Read a saved model; clear errors for anything that is not one."""
    path = Path(path)
    if not path.exists():
        raise ValueError(f"No such model file: {path}.")
    try:
        description = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise ValueError(f"{path} is not a shrinkage model (not JSON).") from None
    if not isinstance(description, dict) or description.get("format") != FORMAT:
        raise ValueError(f"{path} is not a shrinkage model file.")
    if description.get("format_version", 0) > FORMAT_VERSION:
        raise ValueError(
            f"{path} uses model format {description['format_version']}; this shrinkage reads "
            f"up to {FORMAT_VERSION}. Upgrade shrinkage."
        )
    if description.get("estimator") not in _ESTIMATORS:
        raise ValueError(f"{path} names an unknown estimator {description.get('estimator')!r}.")
    return SavedModel(description)


class SavedModel:
    """A loaded model: predicts from raw feature matrices (standardized inside)."""

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
        scores = ((X - self.center) / self.scale) @ self.coef.T + self.intercept
        return scores[:, 0] if scores.shape[1] == 1 else scores

    def predict(self, X) -> np.ndarray:
        scores = self.decision_function(X)
        if self.task != "classification":
            return scores
        labels = np.asarray(self.classes if self.classes else [0, 1], dtype=object)
        return labels[(scores > 0).astype(int)]

    def predict_proba(self, X) -> np.ndarray:
        scores = self.decision_function(X)
        return 1.0 / (1.0 + np.exp(-scores))
