"""Harrell's validation: the Efron–Gong optimism bootstrap (``rms::validate``), the
overfitting-corrected calibration curve (``rms::calibrate``) and the heuristic shrinkage.

For an index ``I`` (R², MSE, calibration slope and intercept; for classes Somers' Dxy,
the Brier score) the apparent value ``I_app`` is measured on the data the procedure was
fitted on. In each of ``B`` bootstrap samples the *whole procedure* (standardize, inner
CV choice of α, refit) is run again, giving a model ``f_b``; its optimism is

.. math::

    O_b = I(f_b;\\ \\text{bootstrap sample}) − I(f_b;\\ \\text{original data}),

and the optimism-corrected index is ``I_app − mean_b O_b`` (Efron & Gong 1983; Harrell,
*Regression Modeling Strategies*, §5.3). For classes the resamples are drawn within
each class (every class keeps its count), so a rare class cannot vanish from a
resample and leave nothing to refit. The calibration slope of ``y`` on the linear
predictor ``η`` is 1 in the sample a model is fitted on (least squares); its corrected
value estimates how much the predictions of new data must be shrunk.

The heuristic shrinkage of van Houwelingen & le Cessie (1990) is
``(LR χ² − p)/LR χ²`` with the model likelihood-ratio χ² as ``rms`` computes it:
``−n·log(1 − R²)`` for least squares and ``D_null − D_model`` (deviances) for logistic.
"""

from __future__ import annotations

import numpy as np

from .procedure import LinearFit
from .resample import methods_for, refit, run_parallel, seeds

REGRESSION_INDEXES = ("r2", "mse", "intercept", "slope")
CLASSIFICATION_INDEXES = ("dxy", "auc", "brier", "intercept", "slope")
CALIBRATION_GRID = 40
SMOOTH_ROWS = 2000


def _weighted_slope(eta, y, w):
    """Least-squares intercept and slope of ``y`` on ``η`` with weights."""
    W = w.sum()
    me, my = w @ eta / W, w @ y / W
    var = w @ (eta - me) ** 2
    slope = (w @ ((eta - me) * (y - my))) / var if var > 0 else np.nan
    return my - slope * me, slope


def _logistic_recalibration(eta, y, w, iterations: int = 50):
    """Maximum-likelihood ``(a, b)`` of ``logit P(y=1) = a + b·η`` (weighted Newton)."""
    X = np.column_stack([np.ones_like(eta), eta])
    beta = np.array([0.0, 1.0])
    for _ in range(iterations):
        p = 1 / (1 + np.exp(-np.clip(X @ beta, -35, 35)))
        grad = X.T @ (w * (y - p))
        hess = (X * (w * p * (1 - p))[:, None]).T @ X
        try:
            step = np.linalg.solve(hess + 1e-10 * np.eye(2), grad)
        except np.linalg.LinAlgError:
            return np.nan, np.nan
        beta = beta + step
        if np.abs(step).max() < 1e-10:
            break
    else:
        return np.nan, np.nan  # no maximum: the outcome is separated by η
    if np.abs(beta).max() > 1e3:
        return np.nan, np.nan
    return float(beta[0]), float(beta[1])


def weighted_auc(score, y, w) -> float:
    """``P(score₁ > score₀) + ½P(tie)`` with row weights (Mann–Whitney).

    Over the distinct scores ``s_g`` (ascending) with positive and negative weights
    ``P_g``, ``N_g``: ``Σ_g P_g (Σ_{g' < g} N_{g'} + ½N_g) / (ΣP · ΣN)``.
    """
    _, group = np.unique(score, return_inverse=True)
    positive = np.bincount(group, weights=w * (y == 1))
    negative = np.bincount(group, weights=w * (y == 0))
    below = np.cumsum(negative) - negative
    denominator = positive.sum() * negative.sum()
    total = positive @ (below + 0.5 * negative)
    return float(total / denominator) if denominator > 0 else np.nan


def indexes(task: str, fit: LinearFit, X, y, w) -> dict:
    """The validated indexes of the linear predictor of ``fit`` on weighted rows."""
    rows = w > 0
    X, y, w = X[rows], y[rows], w[rows]
    eta = fit.intercept + X @ fit.coef
    W = w.sum()
    if task == "regression":
        sse = w @ (y - eta) ** 2
        sst = w @ (y - w @ y / W) ** 2
        a, b = _weighted_slope(eta, y, w)
        return {"r2": 1 - sse / sst, "mse": sse / W, "intercept": a, "slope": b}
    p = 1 / (1 + np.exp(-np.clip(eta, -35, 35)))
    auc = weighted_auc(eta, y, w)
    a, b = _logistic_recalibration(eta, y, w)
    return {
        "dxy": 2 * auc - 1,
        "auc": auc,
        "brier": float(w @ (p - y) ** 2 / W),
        "intercept": a,
        "slope": b,
    }


def _smooth(x, y, w, grid, span):
    """Local-linear Gaussian-kernel smooth of ``y`` on ``x`` at ``grid`` (bandwidth ``span``)."""
    d = (x[None, :] - grid[:, None]) / span
    k = np.exp(-0.5 * d * d) * w[None, :]
    s0, s1, s2 = k.sum(1), (k * d).sum(1), (k * d * d).sum(1)
    t0, t1 = k @ y, (k * d) @ y
    det = s0 * s2 - s1 * s1
    with np.errstate(invalid="ignore", divide="ignore"):
        out = np.where(det > 1e-12 * s0 * s0, (s2 * t0 - s1 * t1) / det, t0 / s0)
    return out


def _predict(task, fit, X):
    eta = fit.intercept + X @ fit.coef
    return eta if task == "regression" else 1 / (1 + np.exp(-np.clip(eta, -35, 35)))


def optimism_bootstrap(
    task: str,
    X,
    y,
    fits: dict[str, LinearFit],
    *,
    B: int = 200,
    folds: int = 5,
    seed: int = 0,
    n_jobs=1,
    progress=None,
    methods=None,
) -> dict:
    """``rms::validate`` for every method, plus the ``rms::calibrate`` curve.

    ``fits`` are the procedure's fits on all of ``(X, y)`` (the apparent models).
    Returns ``{method: {"B", "<index>_apparent", "<index>_optimism",
    "<index>_corrected", ..., "calibration": {"predicted", "apparent", "corrected"}}}``.
    """
    n = len(y)
    ones = np.ones(n)
    methods = methods_for(task) if methods is None else tuple(methods)
    names = REGRESSION_INDEXES if task == "regression" else CLASSIFICATION_INDEXES
    rng0 = np.random.default_rng(seed)
    smooth_rows = rng0.choice(n, min(n, SMOOTH_ROWS), replace=False)
    grids, spans, apparent_curves = {}, {}, {}
    for m in methods:
        pred = _predict(task, fits[m], X)
        lo, hi = np.quantile(pred, [0.02, 0.98])
        grids[m] = np.linspace(lo, hi, CALIBRATION_GRID)
        spans[m] = max(0.15 * (hi - lo), 1e-12)
        apparent_curves[m] = _smooth(
            pred[smooth_rows], y[smooth_rows], ones[smooth_rows], grids[m], spans[m]
        )

    strata = [np.flatnonzero(y == c) for c in np.unique(y)] if task != "regression" else None

    def one(rng):
        weights = _bootstrap_weights(rng, n, strata)
        fits_b = refit(task, X, y, weights, folds, rng, methods)
        out = {}
        for m in methods:
            train = indexes(task, fits_b[m], X, y, weights)
            test = indexes(task, fits_b[m], X, y, ones)
            pred = _predict(task, fits_b[m], X[smooth_rows])
            curve_train = _smooth(pred, y[smooth_rows], weights[smooth_rows], grids[m], spans[m])
            curve_test = _smooth(pred, y[smooth_rows], ones[smooth_rows], grids[m], spans[m])
            out[m] = (
                {k: train[k] - test[k] for k in names},
                test["slope"],
                curve_train - curve_test,
                np.count_nonzero(fits_b[m].coef),
            )
        return out

    results = run_parallel(one, seeds(seed, B), n_jobs, progress)
    report = {}
    for m in methods:
        apparent = indexes(task, fits[m], X, y, ones)
        entry: dict = {"B": B}
        for k in names:
            optimism = np.array([r[m][0][k] for r in results], dtype=float)
            good = np.isfinite(optimism)
            entry[f"{k}_apparent"] = apparent[k]
            entry[f"{k}_optimism"] = float(optimism[good].mean()) if good.any() else np.nan
            entry[f"{k}_corrected"] = apparent[k] - entry[f"{k}_optimism"]
            entry[f"{k}_optimism_mc_se"] = (
                float(optimism[good].std(ddof=1) / np.sqrt(good.sum()))
                if good.sum() > 1
                else np.nan
            )
            entry[f"{k}_n_valid"] = int(good.sum())
        curve_optimism = np.nanmean(np.array([r[m][2] for r in results]), axis=0)
        entry["calibration"] = {
            "predicted": grids[m].tolist(),
            "apparent": apparent_curves[m].tolist(),
            "corrected": (apparent_curves[m] - curve_optimism).tolist(),
            "smoother": f"local-linear Gaussian kernel, bandwidth {spans[m]:.3g}",
        }
        entry["apparent_fit"] = {
            "parameters": fits[m].params or {},
            "n_nonzero": int(np.count_nonzero(fits[m].coef)),
        }
        entry["features_selected_mean"] = float(np.mean([r[m][3] for r in results]))
        report[m] = entry
    return report


def _bootstrap_weights(rng, n: int, strata) -> np.ndarray:
    """Resample counts of the ``n`` rows: plain (``strata`` None) or within each class,
    keeping every class's count. A plain resample of a rare class (6 positives in 268
    rows) can miss it altogether, and no classifier can be refitted there."""
    if strata is None:
        return np.bincount(rng.integers(0, n, n), minlength=n).astype(float)
    weights = np.zeros(n)
    for rows in strata:
        np.add.at(weights, rows[rng.integers(0, rows.size, rows.size)], 1.0)
    return weights


# The residual sum of squares of a least-squares fit below this share of the total: the
# fit reproduces the outcome exactly (R² = 1 to rounding), and −n·log(1 − R²) is +∞.
EXACT_FIT_RSS = 1e-10


def design_rank(X) -> int:
    """Numerical rank of the centred design (``np.linalg.matrix_rank``, its default
    tolerance): the degrees of freedom of the slopes, whatever the column count (a
    duplicated column, or the one-hot levels of a column that sum to 1, add none)."""
    X = np.asarray(X, dtype=float)
    if X.shape[1] == 0:
        return 0
    return int(np.linalg.matrix_rank(X - X.mean(axis=0)))


# The separation LP's constraint matrix, n·(K − 1) × K·(p + 1): at most this many entries
# (32 MB; 10 000 rows × 100 features, two classes: 2·10⁶ entries, 2.8 s). Beyond it the
# fitted predictor of the unpenalized fit is checked instead (complete separation only).
SEPARATION_LP_ENTRIES = 4_000_000


def separation(X, y, n_classes: int | None = None, eta=None) -> bool:
    """Whether the classes ``y`` (codes 0..K−1) are separated by a linear predictor
    with intercepts, completely or quasi-completely: the maximum-likelihood estimate of
    the (multinomial) logistic model does not exist (Albert & Anderson 1984).

    The linear program of Konis (2007; R's ``detectseparation``), for ``K`` classes:
    maximize ``Σ_i Σ_{k≠y_i} (b_{y_i} − b_k)ᵀx̃_i`` subject to every term ``≥ 0`` and
    ``|b| ≤ 1`` (``x̃ = (1, x)``). Its optimum is 0 unless a direction exists along
    which no row's probability of its own class falls and some row's rises: then the
    likelihood grows without bound along it.

    Where that program is too large (:data:`SEPARATION_LP_ENTRIES`), ``eta``, the
    unpenalized fit's linear predictors (``(n,)`` for two classes, ``(n, K)``), is
    checked for complete separation instead: every row's own class strictly first.
    """
    from scipy.optimize import linprog

    X = np.asarray(X, dtype=float)
    y = np.asarray(y).astype(int)
    K = int(n_classes or y.max() + 1)
    n, q = X.shape[0], X.shape[1] + 1
    if n * (K - 1) * K * q > SEPARATION_LP_ENTRIES:
        if eta is None:
            return False
        eta = np.asarray(eta, dtype=float)
        if eta.ndim == 1:
            eta = np.column_stack([np.zeros(n), eta])
        own = eta[np.arange(n), y]
        others = np.where(np.eye(K, dtype=bool)[y], -np.inf, eta).max(axis=1)
        return bool(np.all(own > others))
    Xt = np.column_stack([np.ones(n), (X - X.mean(axis=0)) / np.maximum(X.std(axis=0), 1e-300)])
    blocks = []
    for k in range(K):
        rows = y != k
        # (b_{y_i} − b_k)ᵀx̃_i for every row i not of class k: a row of A per pair
        A = np.zeros((int(rows.sum()), K * q))
        for c in range(K):
            mine = rows & (y == c)
            A[mine[rows], c * q : (c + 1) * q] = Xt[mine]
        A[:, k * q : (k + 1) * q] -= Xt[rows]
        blocks.append(A)
    A = np.vstack(blocks)
    res = linprog(-A.sum(axis=0), A_ub=-A, b_ub=np.zeros(len(A)), bounds=(-1, 1), method="highs")
    if res.status != 0:
        return False  # no answer from the solver: claim nothing
    return bool(-res.fun > 1e-6 * max(1.0, np.sqrt(len(A))))


def heuristic_shrinkage(task: str, fit_none: LinearFit, X, y) -> dict:
    """van Houwelingen–le Cessie ``(LR χ² − p)/LR χ²`` for the unpenalized fit.

    Least squares: ``LR χ² = −n·log(1 − R²)`` (rms's ``ols``); logistic:
    ``LR χ² = D_null − D_model``. ``p`` is the numerical rank of the centred design
    (:func:`design_rank`), not the column count: duplicated columns add no degree of
    freedom.

    The heuristic needs a maximum-likelihood fit that exists and does not reproduce
    the training rows. It is undefined (``value`` NaN, ``undefined`` the reason) when

    - ``p + 1 ≥ n`` (slopes and intercept at least the rows): the unpenalized fit
      interpolates the training rows (least squares: RSS = 0, LR χ² = +∞; logistic:
      any labels are separable) — ``"interpolates"``;
    - least squares reproduces ``y`` exactly (RSS ≤ 10⁻¹⁰·TSS): LR χ² = +∞ —
      ``"exact fit"``;
    - the classes are separated (:func:`separation`): the fit's coefficients diverge
      and ``D_null − D_model`` is wherever the solver stopped — ``"separated"``.
    """
    n = len(y)
    columns = int(np.count_nonzero(np.ptp(X, axis=0) > 0))
    p = design_rank(X)
    eta = fit_none.intercept + X @ fit_none.coef
    reason = None
    if task == "regression":
        rss = float(np.sum((y - eta) ** 2))
        tss = float(np.sum((y - y.mean()) ** 2))
        r2 = 1 - rss / tss if tss > 0 else np.nan
        lr = -n * np.log(max(1 - r2, 1e-300)) if np.isfinite(r2) else np.nan
        if p + 1 >= n:
            reason = "interpolates"
        elif tss > 0 and rss <= EXACT_FIT_RSS * tss:
            reason = "exact fit"
        if reason is not None:
            lr = float("inf")
        extra = {"rss_share": rss / tss if tss > 0 else np.nan}
    else:
        ybar = y.mean()
        d_null = -2 * np.sum(y * np.log(ybar) + (1 - y) * np.log(1 - ybar))
        d_model = 2 * np.sum(np.logaddexp(0, eta) - y * eta)
        lr = d_null - d_model
        if p + 1 >= n:
            reason = "interpolates"
        elif separation(X, y, 2, eta):
            reason = "separated"
        extra = {}
    value = np.nan if reason is not None else float((lr - p) / lr) if lr > 0 else np.nan
    return {
        "lr_chi2": float(lr),
        "p": p,
        "p_columns": columns,
        "n": int(n),
        "value": float(value),
        "undefined": reason,
        "reason": undefined_reason(reason, n=n, p=p, columns=columns, task=task, **extra),
        **extra,
    }


def undefined_reason(reason, *, n, p, columns, task, rss_share=None) -> str | None:
    """The sentence the report shows where the heuristic shrinkage is undefined."""
    if reason is None:
        return None
    rank = (
        f"the centred design has rank {p}"
        + (f" (of {columns} columns)" if columns != p else "")
        + f", so with the intercept {p + 1} parameters for {n} training rows"
    )
    if reason == "interpolates":
        what = {
            "regression": "reproduces every training outcome exactly (RSS = 0)",
            "classification": "separates the classes of the training rows perfectly (any "
            "labels can be separated)",
            "poisson": "can match every training count (the saturated model; a zero "
            "count's mean pushed to 0)",
            "survival": "can order the training rows' risks at will (the partial "
            "likelihood has no maximum)",
        }[task]
        return (
            f"The unpenalized fit interpolates the training rows: {rank}, and it {what}. "
            "Its apparent fit is perfect, so overfitting is maximal, and the heuristic "
            "shrinkage (LR χ² − p)/LR χ² does not apply (LR χ² is infinite or meaningless)."
        )
    if reason == "exact fit":
        return (
            "The unpenalized fit reproduces the training outcome exactly (residual sum "
            f"of squares {rss_share:.1e} of the total): LR χ² = −n·log(1 − R²) is "
            "infinite and the heuristic shrinkage does not apply. Either the outcome is "
            "an exact linear function of the features (no noise), or the fit interpolates."
        )
    if reason == "separated":
        return (
            "The classes of the training rows are separated by a linear predictor: the "
            "unpenalized fit has no maximum-likelihood estimate (its coefficients grow "
            "without bound, and LR χ² = D_null − D_model is wherever the solver stopped), "
            "so the heuristic shrinkage does not apply, and the unpenalized model "
            "overfits as far as the solver lets it."
        )
    return None
