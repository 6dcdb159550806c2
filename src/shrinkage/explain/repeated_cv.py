"""Repeated K-fold CV with the same folds for every method (paired), and honest standard
errors for a mean over folds that are not independent.

For ``r`` repeats of ``K`` folds there are ``J = rK`` test-fold errors ``e_j`` per
method, and for a pair of methods the differences ``d_j = e_j(a) − e_j(b)`` on the same
folds. Their plain standard error ``s/√J`` is too small: training sets overlap, so the
``e_j`` are positively correlated. Nadeau & Bengio (2003, *Machine Learning* 52:239)
correct the variance of the mean with the test/train size ratio,

.. math::

    \\widehat{\\mathrm{Var}}(\\bar d) = \\Big(\\frac{1}{J} + \\frac{n_2}{n_1}\\Big)\\, s_d^2,

``n₂/n₁ = 1/(K−1)`` for K-fold CV (Bouckaert & Frank 2004 use it for repeated
K-fold). It is conservative compared with ``s/√J`` and stays bounded away from 0 as
``J`` grows, as it should: more repeats of the same data cannot remove the
sampling variance of the data themselves. We use it for every mean and every paired
difference, and call a difference *within noise* when ``|d̄| < 2·SE``.
"""

from __future__ import annotations

import numpy as np

from .procedure import LinearFit
from .resample import methods_for, refit, run_parallel, seeds


def corrected_se(values: np.ndarray, folds: int) -> float:
    """Nadeau–Bengio corrected standard error of the mean of ``J = rK`` fold values.

    Parameters
    ----------
    values : array of shape (J,)
        One value per test fold (an error, or a paired difference of errors).
    folds : int
        ``K``; the test/train ratio is ``1/(K − 1)``.

    Returns
    -------
    float
        ``sqrt((1/J + 1/(K−1)) · s²)`` with ``s²`` the sample variance (ddof 1).
    """
    values = np.asarray(values, dtype=float)
    J = values.size
    if J < 2:
        return float("nan")
    return float(np.sqrt((1.0 / J + 1.0 / (folds - 1)) * np.var(values, ddof=1)))


def fold_error(task: str, fit: LinearFit, X, y) -> float:
    """Mean squared error (regression) or mean log-loss (classification) on rows."""
    eta = fit.intercept + X @ fit.coef
    if task == "regression":
        return float(np.mean((y - eta) ** 2))
    return float(np.mean(np.logaddexp(0, eta) - y * eta))


def repeated_cv(
    task: str, X, y, *, repeats: int = 5, folds: int = 5, seed: int = 0, n_jobs=1, progress=None
) -> dict:
    """Every method on the same ``repeats × folds`` splits (stratified for classes).

    Returns ``{"metric", "repeats", "folds", "errors": {method: (J,) array}}``.
    """
    from sklearn.model_selection import KFold, StratifiedKFold

    methods = methods_for(task)
    splits = []
    for r in range(repeats):
        splitter = (
            StratifiedKFold(folds, shuffle=True, random_state=seed + r)
            if task == "classification"
            else KFold(folds, shuffle=True, random_state=seed + r)
        )
        splits += list(splitter.split(X, y))
    rngs = seeds(seed + 7919, len(splits))

    def one(item):
        (train, test), rng = item
        weights = np.zeros(len(y))
        weights[train] = 1.0
        fits = refit(task, X, y, weights, folds, rng)
        return {m: fold_error(task, fits[m], X[test], y[test]) for m in methods}

    results = run_parallel(one, zip(splits, rngs, strict=True), n_jobs, progress)
    errors = {m: np.array([r[m] for r in results]) for m in methods}
    metric = "mse" if task == "regression" else "log_loss"
    return {"metric": metric, "repeats": repeats, "folds": folds, "errors": errors}


def summarize(cv: dict) -> tuple[dict, list[dict]]:
    """Per-method ``{"metric", "repeats", "folds", "mean", "se"}`` and the paired
    comparison of every method against the best (lowest mean)."""
    k, errors = cv["folds"], cv["errors"]
    per_method = {
        m: {
            "metric": cv["metric"],
            "repeats": cv["repeats"],
            "folds": k,
            "mean": float(e.mean()),
            "se": corrected_se(e, k),
            "se_naive": float(e.std(ddof=1) / np.sqrt(e.size)),
        }
        for m, e in errors.items()
    }
    best = min(per_method, key=lambda m: per_method[m]["mean"])
    comparison = []
    for m, e in errors.items():
        if m == best:
            continue
        d = e - errors[best]
        se = corrected_se(d, k)
        comparison.append(
            {
                "a": m,
                "b": best,
                "metric": cv["metric"],
                "mean_difference": float(d.mean()),
                "relative_difference": float(d.mean() / errors[best].mean()),
                "se": se,
                "within_noise": bool(abs(d.mean()) < 2 * se) if np.isfinite(se) else True,
            }
        )
    return per_method, comparison
