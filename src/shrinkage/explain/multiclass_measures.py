"""Measurements of the multinomial report: calibration slope, paths, winner's curse, uniqueness.

The multinomial model is ``P(y = k | x) = softmax(η)_k`` with ``η_k = b_{0k} + xᵀB_k``.
Each measurement is the multi-class counterpart of the binary report's:

- **calibration slope** ``γ̂ = argmax_γ Σ_i log softmax(γ η_i)_{y_i}``: one shrinkage
  factor for all classes (Harrell's slope; 1 for the unpenalized fit on its own rows,
  below 1 on new rows when the model overfits). ``log P`` differs from ``η`` by a
  per-row constant, which softmax ignores, so ``γ`` is found from the probabilities;
- **paths**: per feature, the norm ``‖B_j‖₂`` of its ``K`` class coefficients along
  each penalty's own grid (lasso norms reach exactly 0, ridge norms only approach it);
- **winner's curse**: the direction ``B_j`` a lasso selects on one half, then the
  unpenalized refit on the selected features on that half and on the fresh half,
  each projected on the selected direction;
- **uniqueness**: duplicate the strongest feature; the lasso's split of the weight
  between the copies follows the column order, ridge's is even.
"""

from __future__ import annotations

import numpy as np
from scipy.special import logsumexp, softmax

from .resample import run_parallel, seeds

_EPS = 1e-15


def calibration_slope(P: np.ndarray, y: np.ndarray, iterations: int = 50) -> float:
    """Harrell's calibration slope of class probabilities ``P`` (n, K) for labels ``y``.

    Newton's method on the concave ``ℓ(γ) = Σ_i [γ L_{i,y_i} − log Σ_k e^{γ L_ik}]``,
    ``L = log P``: ``ℓ'(γ) = Σ_i (L_{i,y_i} − E_γ L_i)`` and ``ℓ''(γ) = −Σ_i Var_γ L_i``.
    NaN where no maximum exists: the rows are separated by ``P`` (every row's own class
    first or tied first, one at least strictly), as the binary slope.
    """
    L = np.log(np.clip(P, _EPS, 1.0))
    L = L - L.mean(axis=1, keepdims=True)  # softmax is shift-invariant per row
    observed = L[np.arange(len(y)), y.astype(int)].sum()

    def loglik(gamma: float) -> float:
        return float(gamma * observed - logsumexp(gamma * L, axis=1).sum())

    others = np.where(np.eye(L.shape[1], dtype=bool)[y.astype(int)], -np.inf, L)
    margin = L[np.arange(len(y)), y.astype(int)] - others.max(axis=1)
    if np.all(margin >= 0) and np.any(margin > 0):
        # The rows are separated by the predictions: no row's own class is behind
        # another (a tie at most) and some is ahead, so ℓ'(γ) > 0 for every γ and the
        # likelihood has no maximum. Any number a solver stops at (46 seen with one
        # tie) would be read as calibration, and +∞ is no estimate either: NaN, as
        # the binary slope (measure.calibration_slope) gives for separated rows.
        return float("nan")
    gamma, current = 1.0, loglik(1.0)
    for _ in range(iterations):
        S = softmax(gamma * L, axis=1)
        mean = np.sum(S * L, axis=1)
        slope = observed - mean.sum()
        curvature = float((np.sum(S * L * L, axis=1) - mean * mean).sum())
        if curvature <= 1e-300:
            # No spread left to rescale: constant probabilities (slope undefined) at the
            # start, or γ pushed every row to one class.
            return float("nan") if gamma == 1.0 else float(gamma)
        step = slope / curvature
        # Damped Newton: halve the step until the concave log-likelihood increases.
        for _ in range(60):
            candidate = loglik(gamma + step)
            if candidate >= current - 1e-12 * abs(current):
                break
            step *= 0.5
        gamma, current = gamma + step, candidate
        if abs(step) <= 1e-12 * max(1.0, abs(gamma)):
            break
    return float(gamma)


def multinomial_alpha_max(X: np.ndarray, y: np.ndarray, l1_ratio: float) -> float:
    """The smallest α at which every class coefficient is 0 (intercepts free):
    ``max_{j,k} |x_jᵀ(p̄_k − y_k)| / (n·ρ)`` with ``p̄`` the class frequencies."""
    K = int(y.max()) + 1
    Y = np.eye(K)[y.astype(int)]
    gradient = X.T @ (Y.mean(axis=0) - Y) / len(y)
    return float(np.max(np.abs(gradient)) / max(l1_ratio, 1e-3))


def fit_path(X, y, alphas, l1_ratio: float, *, tol: float = 1e-8, max_iter: int = 500):
    """The multinomial path on ``alphas`` (decreasing), by
    :func:`shrinkage.solvers.multinomial_path.multinomial_path`, on the classes present
    in ``y``: ``(coefs (m, K, p), intercepts (m, K))`` with ``K = max(y) + 1`` and zero
    rows for the absent classes (as the estimators' ``classes_`` placed them)."""
    from ..solvers.multinomial_path import multinomial_path

    y = np.asarray(y).astype(np.int64)
    present, codes = np.unique(y, return_inverse=True)
    res = multinomial_path(
        X, codes, np.ones(len(y)), np.atleast_1d(alphas), l1_ratio, present.size,
        tol=tol, max_iter=max_iter,
    )  # fmt: skip
    K = int(y.max()) + 1
    coefs = np.zeros((res.coefs.shape[0], K, X.shape[1]))
    intercepts = np.zeros((res.coefs.shape[0], K))
    coefs[:, present], intercepts[:, present] = res.coefs, res.intercepts
    return coefs, intercepts


def _fit(X, y, alpha: float, l1_ratio: float) -> np.ndarray:
    """The (K, p) coefficients at one α (tol 10⁻⁸, as the report always used)."""
    return fit_path(X, y, [alpha], l1_ratio)[0][0]


def group_norm_path(X, y, grid: np.ndarray, l1_ratio: float, names) -> object:
    """The multinomial path on ``grid`` (decreasing) with warm starts, as a
    :class:`~shrinkage.path.PathResult` whose "coefficients" are the norms ``‖B_j‖₂``."""
    from ..path import PathResult

    coefs, _ = fit_path(X, y, grid, l1_ratio)
    norms = np.linalg.norm(coefs, axis=1).T  # (p, m)
    return PathResult(
        alphas=grid,
        coefs=norms,
        intercepts=np.zeros(grid.size),
        duality_gaps=np.full(grid.size, np.nan),
        n_iters=np.zeros(grid.size, dtype=np.int64),
        n_nonzero=np.count_nonzero(norms, axis=0),
        times=np.zeros(grid.size),
        converged=np.ones(grid.size, dtype=bool),
        l1_ratio=l1_ratio,
        loss="multinomial",
        feature_names=list(names),
    )


def paths(X, y, rows: dict, names, n_alphas: int = 30) -> dict:
    """L1, elastic net and L2 group-norm paths, each on its own grid, with the chosen α
    marked: ``{title: (PathResult, alpha_min, alpha_1se, names)}`` as
    :func:`~shrinkage.explain.figures.penalty_paths_figure` reads it."""
    out = {}
    for method, ratio, title in (
        ("L1", 1.0, "L1 (lasso): ‖B_j‖₂ over classes"),
        ("elastic net", 0.5, "elastic net (ρ = 0.5)"),
        ("L2", 0.0, "L2 (ridge)"),
    ):
        chosen = [v for v in (rows[method].get("alpha"), rows[method].get("alpha_1se")) if v]
        if ratio > 0:
            top = multinomial_alpha_max(X, y, ratio)
            low = min([top * 1e-3] + [0.3 * c for c in chosen])
        else:  # ridge never reaches 0: from 30× above to 30× below the choices
            middle = chosen or [1.0 / len(y)]
            top, low = 30 * max(middle), min(middle) / 30
        grid = np.geomspace(top, low, n_alphas)
        out[title] = (
            group_norm_path(X, y, grid, ratio, names),
            rows[method].get("alpha"),
            rows[method].get("alpha_1se"),
            list(names),
        )
    return out


def _unpenalized(X, y, active: np.ndarray, K: int) -> np.ndarray:
    """Multinomial fit on the ``active`` columns (a tiny ridge, ``C = 10⁴``, keeps
    separable data finite); returns (K, p) with zeros elsewhere."""
    B = np.zeros((K, X.shape[1]))
    if not active.any():
        return B
    coef = fit_path(X[:, active], y, [1.0 / (1e4 * len(y))], 0.0)[0][0]
    B[: coef.shape[0], active] = coef
    return B


def winners_curse(
    X, y, names, alpha: float, *, splits: int = 30, seed: int = 0, n_jobs=1, min_share=0.1
) -> dict:
    """Selection-half against fresh-half estimates of the features the lasso selects,
    each projected on the direction ``B_j/‖B_j‖`` of the selection-half refit (so a
    positive number means "the same direction"); in the format of the binary report."""
    n, K = len(y), int(y.max()) + 1

    def one(rng):
        order = rng.permutation(n)
        a, b = order[: n // 2], order[n // 2 :]
        if np.unique(y[a]).size < K or np.unique(y[b]).size < K:
            return None
        lasso = np.zeros((K, X.shape[1]))
        fitted = _fit(X[a], y[a], alpha, 1.0)
        lasso[: fitted.shape[0]] = fitted
        active = np.any(lasso != 0, axis=0)
        return (
            active,
            _unpenalized(X[a], y[a], active, K),
            _unpenalized(X[b], y[b], active, K),
            lasso,
        )

    results = [r for r in run_parallel(one, seeds(seed + 57, splits), n_jobs) if r is not None]
    if not results:
        return {"splits": 0, "features": {}}
    features = {}
    inflated, fresh_total = 0.0, 0.0
    for j, name in enumerate(names):
        chosen = [r for r in results if r[0][j]]
        if len(chosen) / len(results) < min_share:
            continue
        sa, sb, sl = [], [], []
        for _, A, B, L in chosen:
            norm = np.linalg.norm(A[:, j])
            direction = A[:, j] / norm if norm > 0 else np.zeros(K)
            sa.append(norm)
            sb.append(float(direction @ B[:, j]))
            sl.append(float(direction @ L[:, j]))
        sa, sb = np.array(sa), np.array(sb)
        inflated += sa.sum()
        fresh_total += sb.sum()
        features[name] = {
            "share_selected": len(chosen) / len(results),
            "selection_half": float(sa.mean()),
            "fresh_half": float(sb.mean()),
            "lasso_selection_half": float(np.mean(sl)),
            "bias": float((sa - sb).mean()),
            "bias_se": float((sa - sb).std(ddof=1) / np.sqrt(len(sa))) if len(sa) > 1 else None,
        }
    return {
        "splits": len(results),
        "alpha": alpha,
        "inflation": inflated / fresh_total if fresh_total > 0 else float("nan"),
        "features": dict(sorted(features.items(), key=lambda kv: -kv[1]["share_selected"])),
    }


def uniqueness(X, y, lasso_alpha: float, ridge_alpha: float, names) -> dict | None:
    """Duplicate the feature with the largest lasso norm and refit in both column orders.

    The loss sees only ``B_a + B_b`` of the two copies; the lasso's ``‖B_a‖₁ + ‖B_b‖₁``
    is the same for every split with agreeing signs, so the solution is not unique and
    the solver's split follows the column order. Ridge's ``‖B_a‖² + ‖B_b‖²`` has the
    even split as its one minimum.
    """
    lasso = _fit(X, y, lasso_alpha, 1.0)
    norms = np.linalg.norm(lasso, axis=0)
    if not np.any(norms):
        return None
    j = int(np.argmax(norms))
    p = X.shape[1]
    first = np.column_stack([X, X[:, j]])
    second = np.column_stack([X[:, j], X])
    splits = []
    for design, a, b in ((first, j, p), (second, j + 1, 0)):
        B = _fit(design, y, lasso_alpha, 1.0)
        splits.append([float(np.linalg.norm(B[:, a])), float(np.linalg.norm(B[:, b]))])
    ridge = _fit(first, y, ridge_alpha, 0.0)
    return {
        "feature": names[j],
        "lasso_norm_before": float(norms[j]),
        "lasso_split_copy_last": splits[0],
        "lasso_split_copy_first": splits[1],
        "ridge_split": [float(np.linalg.norm(ridge[:, j])), float(np.linalg.norm(ridge[:, p]))],
    }
