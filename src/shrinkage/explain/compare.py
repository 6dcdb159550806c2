"""``shrinkage compare``: L1, L2 and elastic net fitted, measured and reported."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np

from .. import __version__
from ..datasets import Dataset
from . import figures, measure, report

STEPS = 8


class Progress:
    """One line per step on stderr, with the time it took."""

    def __init__(self, enabled: bool = True):
        self.enabled, self.step, self.start = enabled, 0, time.perf_counter()

    def __call__(self, message: str) -> None:
        self.step += 1
        if self.enabled:
            elapsed = time.perf_counter() - self.start
            print(f"[{self.step}/{STEPS}] {message} ({elapsed:.1f} s)", file=sys.stderr, flush=True)


def _standardize(X_train, X_test, names):
    mean, scale = X_train.mean(axis=0), X_train.std(axis=0)
    keep = scale > 0
    dropped = [n for n, k in zip(names, keep, strict=True) if not k]
    scale = np.where(keep, scale, 1.0)
    return (
        ((X_train - mean) / scale)[:, keep],
        ((X_test - mean) / scale)[:, keep],
        [n for n, k in zip(names, keep, strict=True) if k],
        dropped,
    )


def _split(data: Dataset, test_size: float, seed: int):
    from sklearn.model_selection import train_test_split

    X = data.X.toarray() if hasattr(data.X, "toarray") else np.asarray(data.X, dtype=float)
    stratify = data.y if data.task == "classification" else None
    if data.task == "classification" and np.min(np.bincount(data.y.astype(int))) < 4:
        raise ValueError("Each class needs at least 4 rows for a held-out split and CV.")
    return train_test_split(X, data.y, test_size=test_size, random_state=seed, stratify=stratify)


def compare(
    data: Dataset,
    out: str | Path,
    *,
    cv: int = 5,
    test_size: float = 0.25,
    seed: int = 0,
    force: bool = False,
    progress: bool = True,
) -> dict:
    """Fit L1, L2, elastic net (relaxed lasso and unpenalized) and measure every row.

    Writes ``report.html``, ``summary.json`` and the figures (PNG and SVG) into ``out``
    (refusing to replace an existing non-empty folder unless ``force``) and returns
    the summary dictionary.
    """
    from .._output import check_target, staged_folder
    from ..path import regularization_path

    out = Path(out)
    check_target(out, force)  # fail before the work, not after
    if data.X.shape[0] < 20:
        raise ValueError(f"compare needs at least 20 rows, got {data.X.shape[0]}.")
    step = Progress(progress)
    X_train, X_test, y_train, y_test = _split(data, test_size, seed)
    X_train, X_test, names, dropped = _standardize(X_train, X_test, data.feature_names)
    task = data.task
    folds = int(
        min(cv, np.min(np.bincount(y_train.astype(int))))
        if task == "classification"
        else min(cv, len(y_train))
    )

    step("fitting L1, L2, elastic net with cross-validation")
    models = measure.fit_models(task, X_train, y_train, folds, seed)
    rows, predicted = {}, {}
    for name, entry in models.items():
        coef = measure.coefficients(entry["model"])
        values = measure.predictions(task, entry["model"], X_test)
        predicted[name] = values
        order = np.argsort(-np.abs(coef))
        rows[name] = {
            "penalty": measure.PENALTIES[name],
            "alpha": entry.get("alpha"),
            "alpha_1se": entry.get("alpha_1se"),
            "penalty_value": measure.penalty_value(name, coef, entry["model"]),
            "n_zero": int(np.sum(coef == 0)),
            "n_nonzero": int(np.count_nonzero(coef)),
            "selected": [names[j] for j in order if coef[j] != 0],
            "coef": dict(zip(names, coef.tolist(), strict=True)),
            "held_out": measure.held_out_error(task, y_test, values),
            "calibration_slope": measure.calibration_slope(task, y_test, values),
            "seconds": entry["seconds"],
        }

    step("paths with warm starts")
    loss = "squared_error" if task == "regression" else "logistic"
    lasso_path = regularization_path(X_train, y_train, loss=loss, l1_ratio=1.0, alphas=60)
    ridge_path = regularization_path(
        X_train, y_train, loss=loss, l1_ratio=0.0, alphas=lasso_path.alphas
    )

    step("uniqueness: duplicating a selected feature")
    lasso_coef = measure.coefficients(models["L1"]["model"])
    ridge_coef = measure.coefficients(models["L2"]["model"])
    # scikit-learn's Ridge alpha (summed loss) for the Ridge refits below.
    ridge_alpha_sklearn = models["L2"]["alpha"] * len(y_train)
    uniqueness = measure.uniqueness(
        task,
        X_train,
        y_train,
        models["L1"]["alpha"],
        ridge_alpha_sklearn if task == "regression" else models["L2"]["alpha"],
        names,
    )

    step("multicollinearity and p > n")
    collinearity = measure.multicollinearity(X_train, lasso_coef, ridge_coef, names)
    wide = measure.wide_regime(
        task,
        X_train,
        y_train,
        models["L1"]["alpha"],
        ridge_alpha_sklearn if task == "regression" else models["L2"]["alpha"],
        seed,
    )

    step("recommendation")
    recommendation = measure.recommend(task, rows, collinearity, len(names))
    summary = {
        "version": __version__,
        "data": data.name or data.description.split(":")[0],
        "description": data.description,
        "task": task,
        "target": data.target_name,
        "classes": data.classes,
        "n_train": int(len(y_train)),
        "n_test": int(len(y_test)),
        "n_features": len(names),
        "dropped_constant_features": dropped,
        "cv_folds": folds,
        "seed": seed,
        "models": rows,
        "uniqueness": uniqueness,
        "multicollinearity": collinearity,
        "wide_regime": wide,
        "recommendation": recommendation,
    }

    with staged_folder(out, force) as folder:
        step("figures")
        strongest = np.argsort(-np.abs(ridge_coef))[:2]
        geometry, geometry_numbers = (
            figures.geometry_figure(X_train[:, strongest], y_train, [names[j] for j in strongest])
            if len(names) >= 2
            else (None, None)
        )
        made = {
            "paths": figures.paths_figure(lasso_path, ridge_path, names),
            "penalty": figures.penalty_figure(),
            "magnitudes": figures.magnitudes_figure(lasso_coef, ridge_coef),
            "cv": figures.cv_figure(
                {"L1": models["L1"]["curve"], "L2": _ridge_curve(models, task)}
            ),
            "calibration": figures.calibration_figure(
                task,
                y_test,
                {k: predicted[k] for k in ("none", "L1", "L2")},
                {k: rows[k]["calibration_slope"] for k in ("none", "L1", "L2")},
            ),
        }
        if geometry is not None:
            made["geometry"] = geometry
            summary["geometry"] = geometry_numbers
        summary["figures"] = {name: figures.save(fig, folder, name) for name, fig in made.items()}
        step("report.html and summary.json")
        (folder / "summary.json").write_text(json.dumps(_jsonable(summary), indent=2))
        (folder / "report.html").write_text(report.render_html(summary, folder), encoding="utf-8")
    step(f"done: {out / 'report.html'}")
    return summary


def _ridge_curve(models, task):
    """The ridge CV curve in our alpha (RidgeCV's grid is scikit-learn's: ours times n)."""
    from ..selection import CVCurve

    curve = models["L2"]["curve"]
    if task != "regression" or curve is None:
        return curve
    scale = models["L2"]["alpha"] / float(models["L2"]["model"].alpha_)
    return CVCurve(curve.alphas * scale, curve.fold_errors, metric=curve.metric)


def _jsonable(value):
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (np.floating, float)):
        return float(value) if np.isfinite(value) else None
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.bool_):
        return bool(value)
    return value
