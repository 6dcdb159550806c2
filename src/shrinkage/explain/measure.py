"""The L1-versus-L2 comparison, measured on the user's data.

Every row of the textbook table (sparsity, selection, uniqueness, multicollinearity,
``p > n``, held-out error, calibration, cost) is a number computed here, never a
sentence written in advance. The functions take standardized training and test
arrays and return plain dictionaries that :mod:`.report` lays out and ``summary.json``
stores.
"""

from __future__ import annotations

import time
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning

from ..datafits import Logistic, Quadratic
from ..linear_model import (
    ElasticNetCV,
    Lasso,
    LassoCV,
    LogisticRegression,
    LogisticRegressionCV,
    Ridge,
    RidgeCV,
)
from ..penalties import L1, ElasticNetPenalty
from ..solvers.ridge import SpectralRidge, ridge_alpha_grid

PENALTIES = {
    "L1": "α·Σ|w|",
    "L2": "α/2·Σw²",
    "elastic net": "α·Σ(ρ|w| + (1−ρ)/2·w²)",
    "relaxed lasso": "L1 selection + γ-blend with least squares",
    "none": "—",
}


def timed(function, *args, **kwargs):
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        result = function(*args, **kwargs)
    return result, time.perf_counter() - start


# -- fitting ------------------------------------------------------------------------------
def fit_models(task: str, X, y, cv: int, seed: int, n_jobs: int | None = 2) -> dict:
    """Fit L1, L2, elastic net (and relaxed lasso / unpenalized) with CV on the training set.

    ``n_jobs`` threads run the CV folds of each model (the answers do not depend on it).
    Returns ``{name: {"model", "seconds", "alpha", "alpha_1se", "curve"}}``.
    """
    models = {}
    if task == "regression":
        grid = ridge_alpha_grid(SpectralRidge(X, y[:, None], alpha_floor=np.inf).lam, 60)
        candidates = {
            "L1": LassoCV(cv=cv, n_jobs=n_jobs),
            "L2": RidgeCV(alphas=grid[::-1]),
            "elastic net": ElasticNetCV(l1_ratio=[0.2, 0.5, 0.8], cv=cv, n_jobs=n_jobs),
            "relaxed lasso": _ProcedureRelaxedLasso(cv, seed),
            "none": Ridge(alpha=0.0),
        }
    else:
        common = dict(
            Cs=20,
            cv=cv,
            scoring="neg_log_loss",
            max_iter=200,
            n_jobs=n_jobs,
            use_legacy_attributes=False,
        )
        candidates = {
            "L1": LogisticRegressionCV(l1_ratios=[1.0], **common),
            "L2": LogisticRegressionCV(l1_ratios=[0.0], **common),
            "elastic net": LogisticRegressionCV(l1_ratios=[0.5], **common),
            "none": LogisticRegression(C=np.inf, max_iter=200),
        }
    _warm_up(candidates, X, y, cv)
    for name, estimator in candidates.items():
        model, seconds = timed(estimator.fit, X, y)
        entry = {"model": model, "seconds": seconds, "curve": getattr(model, "cv_curve_", None)}
        if isinstance(model, RidgeCV):
            # scikit-learn's Ridge alpha multiplies Σw² against the *summed* squared
            # error: our α (mean loss, α/2·Σw²) is alpha/n.
            entry["alpha"] = float(model.alpha_) / len(y)
            entry["alpha_1se"] = float(model.alpha_1se_) / len(y)
        elif hasattr(model, "alpha_"):
            entry["alpha"] = float(np.atleast_1d(model.alpha_)[0])
            entry["alpha_1se"] = float(getattr(model, "alpha_1se_", np.nan))
        elif hasattr(model, "C_"):
            entry["alpha"] = 1.0 / (float(np.ravel(model.C_)[0]) * len(y))  # our α = 1/(C·n)
            entry["alpha_1se"] = 1.0 / (float(model.C_1se_) * len(y))
        if name == "elastic net":
            entry["l1_ratio"] = float(np.ravel(getattr(model, "l1_ratio_", [0.5]))[0])
        models[name] = entry
    return models


def _warm_up(candidates: dict, X, y, cv: int) -> None:
    """Fit a copy of each model once, untimed: the first call of a compiled kernel in a
    process includes loading (or compiling) it, which is not fitting time. The copy
    sees data of the same kind (which kernel runs depends on it: ``n > 2p`` picks the
    Gram kernels), subsampled to ``4p + 50`` rows (a CV fold's training rows stay above
    ``2p``), with a three-value ``C`` grid: the kernels are the same for any grid, and
    a 2 000-row warm-up of every model on the full grid cost a third of this step."""
    import copy

    rows = np.arange(len(y))
    keep = 4 * X.shape[1] + 50
    if X.shape[0] > keep:
        rows = np.random.default_rng(0).choice(len(y), keep, replace=False)
        present = np.unique(y[rows])
        for c in np.setdiff1d(np.unique(y), present) if len(present) < 20 else ():
            rows = np.r_[rows, np.flatnonzero(y == c)[:2]]  # every class in the sample
    # One copy per estimator class: L1, L2 and elastic net share their kernels (the
    # mix is a number, not a type, to the compiled code).
    first = {type(estimator): estimator for estimator in reversed(candidates.values())}
    for estimator in first.values():
        warm = copy.deepcopy(estimator)
        if hasattr(warm, "Cs"):  # LogisticRegressionCV
            warm.set_params(Cs=3)
        try:
            timed(warm.fit, X[rows], y[rows])
        except ValueError:
            pass  # too few rows for this model's CV here: its timing keeps the compile


class _ProcedureRelaxedLasso:
    """The relaxed lasso with α and γ chosen by K-fold CV, fitted on sufficient
    statistics (:func:`.procedure.least_squares_procedure`): the same estimator as
    :class:`~shrinkage.linear_model.RelaxedLassoCV` (γ ∈ {0, ¼, ½, ¾, 1}), whose
    least-squares refits on the rows cost minutes on ``10 000 × 100``."""

    def __init__(self, cv: int, seed: int):
        self.cv, self.seed = cv, seed

    def fit(self, X, y):
        from .procedure import fold_moments, least_squares_procedure

        assignment = np.random.default_rng(self.seed).permutation(len(y)) % self.cv
        fit = least_squares_procedure(
            fold_moments(X, y, np.ones(len(y)), assignment, self.cv), ("relaxed lasso",)
        )["relaxed lasso"]
        self.coef_, self.intercept_ = fit.coef, fit.intercept
        self.alpha_, self.gamma_ = fit.params["alpha"], fit.params["gamma"]
        self.alpha_1se_ = np.nan
        return self

    def predict(self, X):
        return self.intercept_ + X @ self.coef_


def coefficients(model) -> np.ndarray:
    return np.ravel(np.asarray(model.coef_, dtype=float))


def penalty_value(name: str, coef: np.ndarray, model) -> float | None:
    """The fitted model's penalty at ``α = 1``, in the library's one convention
    (:class:`shrinkage.penalties.ElasticNetPenalty`): ``Σ|w|`` (L1), ``½Σw²`` (L2),
    ``ρΣ|w| + (1 − ρ)/2 Σw²`` (elastic net)."""
    if name in ("L1", "relaxed lasso"):
        ratio = 1.0
    elif name == "L2":
        ratio = 0.0
    elif name == "elastic net":
        ratio = float(np.atleast_1d(getattr(model, "l1_ratio_", 0.5))[0])
    else:
        return None
    return ElasticNetPenalty(1.0, ratio).value(np.asarray(coef, dtype=np.float64))


# -- held-out behaviour -------------------------------------------------------------------
def predictions(task: str, model, X) -> np.ndarray:
    if task == "regression":
        return np.asarray(model.predict(X), dtype=float)
    return np.asarray(model.predict_proba(X)[:, 1], dtype=float)


def held_out_error(task: str, y, predicted) -> dict:
    if task == "regression":
        mse = float(np.mean((y - predicted) ** 2))
        r2 = 1.0 - mse / float(np.var(y)) if np.var(y) > 0 else float("nan")
        return {"mse": mse, "r2": r2}
    p = np.clip(predicted, 1e-12, 1 - 1e-12)
    log_loss = float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))
    accuracy = float(np.mean((p > 0.5) == (y == 1)))
    return {"log_loss": log_loss, "accuracy": accuracy}


def calibration_slope(task: str, y, predicted) -> float:
    """Slope of the outcome on the prediction on held-out data (1 = well calibrated).

    Regression: least-squares slope of ``y`` on ``ŷ``. Classification: the logistic
    slope of ``y`` on ``logit(p̂)``. An overfitted model predicts too extreme values
    and gets a slope below 1 (Steyerberg, *Clinical Prediction Models*).
    """
    if task == "regression":
        centred = predicted - predicted.mean()
        denominator = float(centred @ centred)
        return float(centred @ (y - y.mean()) / denominator) if denominator > 0 else np.nan
    p = np.clip(predicted, 1e-9, 1 - 1e-9)
    logit = np.log(p / (1 - p))[:, None]
    if np.ptp(logit) == 0:
        return float("nan")
    positive, negative = logit[y == 1, 0], logit[y != 1, 0]
    if positive.size and negative.size and negative.max() <= positive.min():
        # The held-out rows are separated by the prediction (completely, or with ties
        # at the boundary only): the slope's likelihood has no maximum (it grows
        # without bound), and any number a solver stops at (30, 46, 87 seen; 99 with
        # one tie) would be read as calibration. None, as for the bootstrap.
        return float("nan")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        fit = LogisticRegression(C=np.inf, max_iter=500).fit(logit, y)
    return float(fit.coef_[0, 0])


# -- the L1-vs-L2 experiments ------------------------------------------------------------
def uniqueness(task: str, X, y, lasso_alpha: float, ridge_alpha: float, names) -> dict | None:
    """Duplicate the strongest selected feature and refit, in both column orders.

    The loss sees only ``a + b`` of the two copies and the L1 penalty only
    ``|a| + |b|``, so every split of the weight with equal signs is optimal: coordinate
    descent gives most of it to whichever copy comes first. Ridge's ``a² + b²`` is
    smallest at the even split, its unique solution. ``ridge_alpha`` is scikit-learn's
    Ridge alpha (regression) or our α (classification).
    """
    n = len(y)

    def l1_fit(design):
        if task == "regression":
            return Lasso(alpha=lasso_alpha, tol=1e-12, max_iter=100_000).fit(design, y)
        return LogisticRegression(
            C=1 / (lasso_alpha * n), l1_ratio=1.0, tol=1e-10, max_iter=1000
        ).fit(design, y)

    def l2_fit(design):
        if task == "regression":
            return Ridge(alpha=ridge_alpha).fit(design, y)
        return LogisticRegression(C=1 / (ridge_alpha * n), tol=1e-10, max_iter=1000).fit(design, y)

    def objective(fit, design):
        # The library's objective: mean datafit + the L1 penalty.
        eta = design @ np.ravel(fit.coef_) + np.ravel(fit.intercept_)[0]
        datafit = Quadratic if task == "regression" else Logistic
        h = np.full(n, 1.0 / n)
        return datafit.value(y, eta, h) + L1(lasso_alpha).value(np.ravel(fit.coef_))

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        lasso = l1_fit(X)
        coef = np.ravel(lasso.coef_)
        if not np.any(coef):
            return None
        j = int(np.argmax(np.abs(coef)))
        first = np.column_stack([X, X[:, j]])  # duplicate at the end
        second = np.column_stack([X[:, j], X])  # duplicate at the front
        splits, objectives = [], []
        for design, a, b in ((first, j, X.shape[1]), (second, j + 1, 0)):
            fit = l1_fit(design)
            fitted = np.ravel(fit.coef_)
            splits.append([float(fitted[a]), float(fitted[b])])
            objectives.append(objective(fit, design))
        ridge = np.ravel(l2_fit(first).coef_)
        original = np.ravel(l2_fit(X).coef_)
    return {
        "feature": names[j],
        "lasso_coef_before": float(coef[j]),
        "lasso_split_copy_last": splits[0],
        "lasso_split_copy_first": splits[1],
        "lasso_objective_gap": abs(objectives[0] - objectives[1]),
        "ridge_coef_before": float(original[j]),
        "ridge_split": [float(ridge[j]), float(ridge[-1])],
    }


def wide_regime(task: str, X, y, lasso_alpha: float, ridge_alpha: float, seed: int) -> dict:
    """Fewer rows than features: keep ``n = p/2`` rows (at least 3) and refit both.

    The lasso can select at most ``n`` features (a KKT fact for data in general
    position); ridge keeps all ``p`` and stays unique.
    """
    n, p = X.shape
    rows = max(3, min(p // 2, n - 1))
    rng = np.random.default_rng(seed)
    keep = rng.choice(n, rows, replace=False)
    if task == "classification" and np.unique(y[keep]).size < 2:
        both = [rng.choice(np.flatnonzero(y == c)) for c in (0, 1)]
        keep = np.unique(np.r_[both, keep[: rows - 2]])
    Xs, ys = X[keep], y[keep]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        if task == "regression":
            lasso = Lasso(alpha=lasso_alpha / 10, max_iter=100_000).fit(Xs, ys)
            ridge = Ridge(alpha=ridge_alpha).fit(Xs, ys)
        else:
            C = 10.0 / (lasso_alpha * len(ys))
            lasso = LogisticRegression(C=C, l1_ratio=1.0, max_iter=500).fit(Xs, ys)
            ridge = LogisticRegression(C=1.0 / (ridge_alpha * len(ys)), max_iter=500).fit(Xs, ys)
    return {
        "n_rows": int(len(keep)),
        "n_features": int(p),
        "lasso_nonzero": int(np.count_nonzero(lasso.coef_)),
        "ridge_nonzero": int(np.count_nonzero(ridge.coef_)),
    }


# -- paths -----------------------------------------------------------------------------------
def paths(task: str, X, y, models: dict, names) -> dict:
    """L1, elastic net (at its chosen ρ) and L2 paths, each on its own grid.

    The lasso and elastic net grids run from ``α_max`` (every weight zero) down far
    enough to include the chosen α and reach ``10⁻³·α_max``; the ridge grid is
    :func:`~shrinkage.solvers.ridge.ridge_alpha_grid` (``10³·λ_max`` to ``10⁻³·λ_min``
    of ``X̃ᵀX̃/n``: degrees of freedom from about 0 to about ``p``), the grid ridge's
    CV chose from. Returns ``{title: (PathResult, alpha_min, alpha_1se, names)}``.
    """
    from ..path import regularization_path

    loss = "squared_error" if task == "regression" else "logistic"
    out = {}
    for name, ratio, title in (
        ("L1", 1.0, "L1 (lasso)"),
        ("elastic net", models["elastic net"].get("l1_ratio") or 0.5, None),
    ):
        chosen = [v for v in (models[name].get("alpha"), models[name].get("alpha_1se")) if v]
        # a one-point grid is exactly [α_max] (np.geomspace keeps its start): α_max
        # without solving a path down to 10⁻³·α_max to learn it
        top = float(regularization_path(X, y, loss=loss, l1_ratio=ratio, alphas=1).alphas[0])
        low = min([top * 1e-3] + [0.3 * c for c in chosen])
        grid = np.geomspace(top, low, 60)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            path = regularization_path(X, y, loss=loss, l1_ratio=ratio, alphas=grid)
        out[title or f"elastic net (ρ = {ratio:g})"] = (
            path,
            models[name].get("alpha"),
            models[name].get("alpha_1se"),
            names,
        )
    n = len(y)
    if task == "regression":
        # atleast_2d: the covariance of a single column is a 0-d array.
        covariance = np.atleast_2d(np.cov(X, rowvar=False, bias=True))
        grid = ridge_alpha_grid(np.linalg.eigvalsh(covariance), 60)
    else:
        curve = models["L2"]["curve"]
        cs = np.asarray(curve.alphas if curve is not None else np.logspace(-4, 4, 20))
        grid = np.sort(1.0 / (cs * n))[::-1]
    chosen = [v for v in (models["L2"].get("alpha"), models["L2"].get("alpha_1se")) if v]
    grid = np.geomspace(
        max(grid[0], *(3 * c for c in chosen)), min(grid[-1], *(c / 3 for c in chosen)), 60
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        path = regularization_path(X, y, loss=loss, l1_ratio=0.0, alphas=grid)
    out["L2 (ridge)"] = (path, models["L2"].get("alpha"), models["L2"].get("alpha_1se"), names)
    return out
