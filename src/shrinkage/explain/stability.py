"""Stability of the lasso's selection, and the winner's curse it causes.

*Selection frequency* (Meinshausen & Bühlmann 2010, *JRSS B* 72:417): refit the lasso
(and the elastic net) at the chosen α on ``S`` random halves of the rows, drawn
without replacement, and count how often each feature is non-zero. A feature the
lasso keeps in every half is a stable choice; one kept in 30–70% of halves is a
coin toss among correlated features — the features the uniqueness experiment shows
the lasso swapping between.

*Winner's curse* (Harrell, *RMS* §4.3): a coefficient that is reported because it was
selected is biased away from zero. Split the rows into halves ``A`` and ``B``;
select with the lasso on ``A``; refit least squares (logistic: maximum likelihood) on
the selected features on ``A`` and, for the same features, on the fresh half ``B``.
Over many splits, ``mean sign(β_A)·(β_A − β_B)`` measures the bias for each feature,
and ``Σ|β_A| / Σ sign(β_A)·β_B`` the overall inflation. Coefficients are on the
standardized scale of the training data.
"""

from __future__ import annotations

import numpy as np

from .procedure import Moments, _gram_path, _least_squares, _standardized
from .resample import run_parallel, seeds


def _penalized(task, X, y, penalties):
    """Coefficients (standardized within ``X``'s rows) at each ``(α, ρ)`` of
    ``penalties`` (a dict), each warm-started down a short grid from ``α_max``.

    The rows are standardized (or their moments formed) once for all the penalties:
    on ``5 000 × 100`` half-samples that Python-level work is a tenth of a half-sample's
    time, done while holding the GIL that the compiled path solvers release.
    """
    if task == "regression":
        _, _, Gs, qs, yy, _ = _standardized(Moments.of_rows(X, y))
        out = {}
        for key, (alpha, ratio) in penalties.items():
            top = max(float(np.abs(qs).max()) / ratio, alpha * 1.0001)
            out[key] = _gram_path(Gs, qs, yy, np.geomspace(top, alpha, 8), ratio)[:, -1]
        return out
    from ..solvers.logistic_gram_path import logistic_path

    Z = np.asfortranarray((X - X.mean(axis=0)) / _scale(X))
    residual = y - y.mean()
    score = float(np.abs(Z.T @ residual).max() / len(y))
    weights = np.ones(len(y))
    out = {}
    for key, (alpha, ratio) in penalties.items():
        top = max(score / ratio, alpha * 1.0001)
        # regularization_path(loss="logistic", tol=1e-5)'s objective and stopping rule
        grid = np.geomspace(top, alpha, 8)
        out[key] = logistic_path(Z, y, weights, grid, ratio, tol=1e-5, max_iter=1000).coefs[:, -1]
    return out


def _unpenalized(task, X, y, active):
    """Least squares (or maximum-likelihood logistic) on the ``active`` columns of ``X``."""
    beta = np.zeros(X.shape[1])
    idx = np.flatnonzero(active)
    if idx.size == 0:
        return beta
    if task == "regression":
        _, _, G, q, _ = Moments.of_rows(X[:, idx], y).centred()
        beta[idx] = _least_squares(G, q)
        return beta
    from ..solvers.logistic_gram_path import logistic_path

    # ridge α = 1e-6 keeps separated data finite (as regularization_path(tol=1e-6) did)
    res = logistic_path(
        np.asfortranarray(X[:, idx]), y, np.ones(len(y)), np.array([1e-6]), 0.0, tol=1e-6,
        max_iter=1000,
    )  # fmt: skip
    beta[idx] = res.coefs[:, 0]
    return beta


def selection_frequency(
    task,
    X,
    y,
    names,
    penalties: dict[str, tuple[float, float]],
    *,
    subsamples: int = 100,
    seed: int = 0,
    n_jobs=1,
) -> dict[str, dict[str, float]]:
    """``{method: {feature: fraction of half-samples in which it is non-zero}}``.

    ``penalties`` maps a method to its ``(α, ρ)`` (our α: mean loss, standardized).
    """
    n = len(y)
    half = n // 2

    def one(rng):
        rows = rng.choice(n, half, replace=False)
        if task == "classification" and np.unique(y[rows]).size < 2:
            return None
        return {m: coef != 0 for m, coef in _penalized(task, X[rows], y[rows], penalties).items()}

    results = [r for r in run_parallel(one, seeds(seed + 31, subsamples), n_jobs) if r is not None]
    out = {}
    for m in penalties:
        freq = np.mean([r[m] for r in results], axis=0) if results else np.zeros(len(names))
        out[m] = dict(zip(names, np.asarray(freq, dtype=float).tolist(), strict=True))
    return out


def winners_curse(
    task,
    X,
    y,
    names,
    alpha: float,
    *,
    splits: int = 50,
    seed: int = 0,
    n_jobs=1,
    min_share: float = 0.1,
) -> dict:
    """Selection-half against fresh-half estimates of the features the lasso selects."""
    n = len(y)

    def one(rng):
        order = rng.permutation(n)
        a, b = order[: n // 2], order[n // 2 :]
        if task == "classification" and (np.unique(y[a]).size < 2 or np.unique(y[b]).size < 2):
            return None
        Xa, ya = X[a], y[a]
        lasso = _penalized(task, Xa, ya, {"L1": (alpha, 1.0)})["L1"]
        active = lasso != 0
        return (
            active,
            _unpenalized(task, Xa, ya, active),
            _unpenalized(task, X[b], y[b], active),
            lasso * (1.0 / _scale(Xa)),
        )

    results = [r for r in run_parallel(one, seeds(seed + 57, splits), n_jobs) if r is not None]
    if not results:
        return {"splits": 0, "features": {}}
    active = np.array([r[0] for r in results])
    A = np.array([r[1] for r in results])
    B = np.array([r[2] for r in results])
    L = np.array([r[3] for r in results])
    sign = np.sign(A)
    features = {}
    for j, name in enumerate(names):
        chosen = active[:, j]
        if chosen.mean() < min_share:
            continue
        sa, sb = (sign * A)[chosen, j], (sign * B)[chosen, j]
        features[name] = {
            "share_selected": float(chosen.mean()),
            "selection_half": float(sa.mean()),
            "fresh_half": float(sb.mean()),
            "lasso_selection_half": float((sign * L)[chosen, j].mean()),
            "bias": float((sa - sb).mean()),
            "bias_se": (
                float((sa - sb).std(ddof=1) / np.sqrt(chosen.sum())) if chosen.sum() > 1 else None
            ),
        }
    fresh = float((sign * B)[active].sum())
    # the fresh half may not even agree in sign on average: no finite ratio then
    inflation = float(np.abs(A[active]).sum() / fresh) if fresh > 0 else float("nan")
    return {
        "splits": len(results),
        "alpha": alpha,
        "inflation": inflation,
        "features": dict(sorted(features.items(), key=lambda kv: -kv[1]["share_selected"])),
    }


def _scale(X):
    """The columns' standard deviations within these rows (1 for a constant column):
    dividing standardized coefficients by it gives those of the columns of ``X``."""
    sd = X.std(axis=0)
    return np.where(sd > 0, sd, 1.0)
