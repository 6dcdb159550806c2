"""The whole fitting procedure, refitted on a resample: standardize, choose α by K-fold CV,
refit — for every method at once.

Resampling (repeated CV, the optimism bootstrap, stability selection) refits the
*procedure*, not a model with a fixed α: Harrell's point is that the choice of α is
part of what overfits. Doing that 200 times on ``10 000 × 100`` in seconds needs the
least-squares procedure on sufficient statistics. For rows weighted by ``w`` (bootstrap
counts, or 0/1 for a fold) the moments

.. math::

    W = \\sum w_i,\\quad S_x = \\sum w_i x_i,\\quad S_y = \\sum w_i y_i,\\quad
    S_{xx} = \\sum w_i x_i x_i^T,\\quad S_{xy} = \\sum w_i x_i y_i,\\quad
    S_{yy} = \\sum w_i y_i^2

are additive over disjoint row sets, so one pass over the data gives every fold's
moments and every training set is ``total − fold``
(:class:`shrinkage.solvers.moments.Moments`). A fit needs only the centred moments
(``G = S_{xx}/W − \\bar x\\bar x^T``, ``q = S_{xy}/W − \\bar x\\bar y``), and so does the
squared error of any linear predictor ``b_0 + x^T b`` on any row set
(:meth:`~shrinkage.solvers.moments.Moments.sse`).

The objectives are the library's: ``½·mean squared error + α·(ρ‖b‖₁ + (1−ρ)/2‖b‖²)``
on standardized columns (lasso ρ = 1, elastic net ρ ∈ {0.2, 0.5, 0.8}, ridge ρ = 0),
solved with the compiled Gram path (:func:`shrinkage.solvers._gram_path.gram_path`)
with warm starts along a decreasing grid; ridge in closed form from the
eigendecomposition of ``G``; the relaxed lasso blends the lasso with least squares on
its active set, ``γ ∈ {0, ¼, ½, ¾, 1}``. Logistic regression has no sufficient
statistics; its procedure refits the library's paths fold by fold
(:func:`logistic_procedure`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..solvers.least_squares import _least_norm_solve
from ..solvers.moments import Moments

METHODS = ("L1", "L2", "elastic net", "relaxed lasso", "none")
N_ALPHAS = 40
EN_RATIOS = (0.2, 0.5, 0.8)
GAMMAS = (0.0, 0.25, 0.5, 0.75, 1.0)
RIDGE_RANGE = (1e3, 1e-4)  # α on standardized columns: everything shrunk … near least squares
LASSO_EPS = 1e-3
TOL = 1e-4  # duality gap ≤ TOL·Σh(y − ȳ)², scikit-learn's and LassoCV's default


# -- the least-squares fits on standardized centred moments ---------------------------------
def _gram_path(Gs, qs, yy, alphas, l1_ratio):
    from ..solvers._gram_path import gram_path
    from ..solvers.constants import ACTIVE_SWEEPS, ANDERSON_DEPTH, SWEEP_THRESHOLD_FLOOR

    p, m = qs.size, alphas.size
    coefs = np.zeros((m, p))
    gaps = np.zeros(m)
    n_iters = np.zeros(m, dtype=np.int64)
    converged = np.zeros(m, dtype=bool)
    gram_path(
        np.asfortranarray(Gs),
        qs,
        yy,
        np.diag(Gs).copy(),
        np.zeros(p),
        alphas,
        alphas[0],
        float(l1_ratio),
        np.ones(p),
        np.full(p, -np.inf),  # no box
        np.full(p, np.inf),
        TOL * max(yy, 1e-300),
        10_000,
        ACTIVE_SWEEPS,
        ANDERSON_DEPTH,
        SWEEP_THRESHOLD_FLOOR,
        coefs,
        gaps,
        n_iters,
        converged,
    )
    return coefs.T  # (p, m)


def lasso_alphas(qs: np.ndarray, l1_ratio: float = 1.0, n: int = N_ALPHAS) -> np.ndarray:
    """glmnet's grid: ``α_max = max|q_j|/ρ`` (all zero) down to ``10⁻³·α_max``."""
    top = max(float(np.abs(qs).max()) / l1_ratio, 1e-12)
    return np.geomspace(top, top * LASSO_EPS, n)


def ridge_alphas(n: int = N_ALPHAS) -> np.ndarray:
    return np.geomspace(*RIDGE_RANGE, n)


def _spectrum(Gs, rows: int):
    """Eigenvalues (clipped at 0) and eigenvectors of ``Gs``, the centred moments of
    ``rows`` distinct rows.

    Centred, ``rows`` rows span at most ``rows − 1`` dimensions. When that is fewer
    than the ``p`` columns (wide data) only the non-zero part is computed: a pivoted
    Cholesky factor ``Gs = AᵀA`` (LAPACK ``dpstrf``, which stops at the numerical
    rank ``r``) and the SVD of the ``r × p`` factor, ``O(p²r)`` instead of the
    ``O(p³)`` of a full ``eigh`` (37 × 2000: 0.03 s instead of 4 s per fold). The
    directions left out have eigenvalue 0 and ``qs`` has no component along them.
    """
    p = Gs.shape[0]
    if rows < 1 or rows - 1 >= p:  # (rows 0: not counted; assume full rank)
        values, vectors = np.linalg.eigh(Gs)
        return np.maximum(values, 0.0), vectors
    from scipy.linalg.lapack import dpstrf

    factor, pivots, rank, _ = dpstrf(Gs, lower=0)
    A = np.empty((rank, p))
    A[:, pivots - 1] = np.triu(factor[:rank])  # Gs = AᵀA (rows of the upper factor)
    _, s, vt = np.linalg.svd(A, full_matrices=False)
    return s**2, vt.T


def _ridge_path(qs, alphas, spectrum):
    values, vectors = spectrum
    rotated = vectors.T @ qs
    return vectors @ (rotated[:, None] / (values[:, None] + alphas[None, :]))


def _minimum_norm(qs, spectrum):
    """The minimum-norm least-squares solution ``Gs⁺qs`` from the spectrum."""
    values, vectors = spectrum
    keep = values > (values.max(initial=0.0) * values.size * np.finfo(float).eps)
    return vectors[:, keep] @ ((vectors[:, keep].T @ qs) / values[keep])


def _least_squares(Gs, qs, active=None):
    b = np.zeros(qs.size)
    idx = np.arange(qs.size) if active is None else np.flatnonzero(active)
    if idx.size:
        # The minimum-norm solution, eigenvalues below rounding dropped: a Gram that
        # is singular only to rounding (full one-hot coding with an intercept, cond
        # ~1e16) does not make np.linalg.solve raise, it returns noise (Servo's
        # unpenalized fit: corrected R² -206 instead of 0.72).
        b[idx] = _least_norm_solve(Gs[np.ix_(idx, idx)], qs[idx])
    return b


def _relaxed_paths(Gs, qs, lasso_coefs):
    """``(n_gammas, p, n_alphas)``: γ·lasso + (1−γ)·least squares on its active set."""
    refits = np.zeros_like(lasso_coefs)
    seen: dict[bytes, np.ndarray] = {}
    for k in range(lasso_coefs.shape[1]):
        active = lasso_coefs[:, k] != 0
        key = active.tobytes()
        if key not in seen:
            seen[key] = _least_squares(Gs, qs, active)
        refits[:, k] = seen[key]
    g = np.asarray(GAMMAS)[:, None, None]
    return g * lasso_coefs[None] + (1 - g) * refits[None]


def _candidates(methods, Gs, qs, yy, grids, rows: int = 0) -> dict[str, np.ndarray]:
    """Standardized coefficient candidates ``(p, m)`` of each method (the lasso path is
    computed once and shared with the relaxed lasso; ``rows``, the distinct rows
    behind ``Gs``, bounds its rank: see :func:`_spectrum`)."""
    out = {}
    lasso = None
    spectrum = None
    wide = 0 < rows <= qs.size  # fewer rows than columns: Gs is singular
    if "L2" in methods or ("none" in methods and wide):
        spectrum = _spectrum(Gs, rows)
    if "L1" in methods or "relaxed lasso" in methods:
        lasso = _gram_path(Gs, qs, yy, grids["L1"], 1.0)
    for method in methods:
        if method == "L1":
            out[method] = lasso
        elif method == "L2":
            out[method] = _ridge_path(qs, grids["L2"], spectrum)
        elif method == "elastic net":
            out[method] = np.hstack([_gram_path(Gs, qs, yy, grids[r], r) for r in EN_RATIOS])
        elif method == "relaxed lasso":
            out[method] = np.hstack(list(_relaxed_paths(Gs, qs, lasso)))
        elif wide:
            # no unique least-squares fit: the minimum-norm one, as Ridge(alpha=0)
            # (a solve of the singular Gs returns an interpolant of any norm)
            out[method] = _minimum_norm(qs, spectrum)[:, None]
        else:
            out[method] = _least_squares(Gs, qs)[:, None]
    return out


def _standardized(moments: Moments):
    mx, my, G, q, yy = moments.centred()
    scale = np.sqrt(np.maximum(np.diag(G), 0.0))
    live = scale > 1e-12 * max(scale.max(), 1e-300)
    scale = np.where(live, scale, 1.0)
    Gs = G / np.outer(scale, scale)
    qs = q / scale
    Gs[~live, :] = 0.0
    Gs[:, ~live] = 0.0
    qs[~live] = 0.0
    # Column-major for the compiled path (each call would copy p² otherwise); sums
    # known to be bit-for-bit symmetric give it as a view.
    Gs = Gs.T if moments.symmetric else np.asfortranarray(Gs)
    return mx, my, Gs, qs, yy, scale


def _to_raw(Bs, mx, my, scale):
    B = Bs / scale[:, None]
    return my - mx @ B, B


def _grids(qs):
    grids = {"L1": lasso_alphas(qs), "L2": ridge_alphas()}
    for r in EN_RATIOS:
        grids[r] = lasso_alphas(qs, r)
    return grids


@dataclass
class LinearFit:
    """A fitted linear predictor ``η = intercept + X @ coef`` (raw units of ``X``)."""

    intercept: float
    coef: np.ndarray
    index: int = 0  # the chosen candidate (for the record)
    params: dict | None = None  # the chosen α (and ρ, γ), our α on standardized columns


def least_squares_procedure(folds: list[Moments], methods=METHODS) -> dict[str, LinearFit]:
    """Fit every method on the union of ``folds``, choosing α (and ρ, γ) by leaving each
    fold out in turn: the candidate with the smallest pooled CV squared error wins.

    The grids are fixed by the whole training set (as ``LassoCV`` does), so the folds'
    candidates line up.
    """
    total = folds[0]
    for f in folds[1:]:
        total = total + f
    mx, my, Gs, qs, yy, scale = _standardized(total)
    grids = _grids(qs)
    train_sets = [total - f for f in folds] if len(folds) > 1 else []
    full = _candidates(methods, Gs, qs, yy, grids, total.rows)
    errors = {m: np.zeros(c.shape[1]) for m, c in full.items()}
    for train, test in zip(train_sets, folds if train_sets else [], strict=True):
        tmx, tmy, tGs, tqs, tyy, tscale = _standardized(train)
        for m, candidates in _candidates(methods, tGs, tqs, tyy, grids, train.rows).items():
            b0, B = _to_raw(candidates, tmx, tmy, tscale)
            errors[m] += _sse(test, b0, B)
    fits = {}
    for m in methods:
        choice = int(np.argmin(errors[m])) if train_sets else full[m].shape[1] - 1
        b0, B = _to_raw(full[m][:, [choice]], mx, my, scale)
        fits[m] = LinearFit(float(b0[0]), B[:, 0], choice, _parameters(m, choice, grids))
    return fits


def _sse(moments: Moments, intercepts, B) -> np.ndarray:
    """:meth:`Moments.sse` of the candidates ``B`` (p, m), on the moments of their
    support only: a sparse path (the lasso on wide data keeps at most ``n`` of ``p``
    columns) then costs ``O(|S|²m)``, not ``O(p²m)``."""
    support = np.flatnonzero(np.any(B != 0, axis=1))
    if 2 * support.size > B.shape[0]:
        return moments.sse(intercepts, B)
    part = Moments(
        moments.weight,
        moments.x[support],
        moments.y,
        moments.xx[np.ix_(support, support)],
        moments.xy[support],
        moments.yy,
        moments.rows,
    )
    return part.sse(intercepts, B[support])


def _parameters(method: str, choice: int, grids: dict) -> dict:
    """The α (ρ, γ) behind candidate ``choice`` of ``method``."""
    n = N_ALPHAS
    if method in ("L1", "L2"):
        return {"alpha": float(grids[method][choice])}
    if method == "elastic net":
        ratio = EN_RATIOS[choice // n]
        return {"alpha": float(grids[ratio][choice % n]), "l1_ratio": ratio}
    if method == "relaxed lasso":
        return {"alpha": float(grids["L1"][choice % n]), "gamma": GAMMAS[choice // n]}
    return {}


def fold_moments(X, y, weights, assignment, k: int) -> list[Moments]:
    """Moments of each inner fold (rows with ``assignment == f`` and positive weight)."""
    out = []
    for f in range(k):
        rows = np.flatnonzero((assignment == f) & (weights > 0))
        out.append(Moments.of_rows(X[rows], y[rows], weights[rows]))
    return out


def inner_assignment(weights, k: int, rng) -> np.ndarray:
    """Inner folds over the *distinct* rows in a resample, so that copies of a row made
    by the bootstrap stay in one fold (otherwise CV would test on training rows)."""
    rows = np.flatnonzero(weights > 0)
    assignment = np.full(weights.size, -1)
    assignment[rng.permutation(rows)] = np.arange(rows.size) % k
    return assignment


# -- logistic --------------------------------------------------------------------------------
LOGISTIC_TOL = 1e-4  # regularization_path's default: KKT violation ≤ tol·‖Zᵀh(y − ȳ)‖∞
# regularization_path's default too: on separated data (no finite unpenalized fit) the
# answer is where the steps stop, so the cap is kept the same
LOGISTIC_MAX_ITER = 1000
LOGISTIC_RATIOS = {"L1": 1.0, "L2": 0.0, "elastic net": 0.5}


def logistic_procedure(
    X, y, weights, assignment, k: int, methods=METHODS, n_alphas: int = 20
) -> dict[str, LinearFit]:
    """The logistic analogue of :func:`least_squares_procedure` (multi-class: one-vs-rest
    is *not* used; only binary 0/1 targets come here). Each method's path is fitted on
    every inner training set and scored by the pooled log-loss of its fold.

    The inner folds are cut once and shared by every method; the paths are
    :func:`.logistic_path.logistic_path` (the objective and stopping rule of
    ``regularization_path(loss="logistic", tol=1e-4)``, fitted on the ``p × p``
    Hessian). Grids: ``α_max`` of the rows (``/ρ``) down to ``10⁻³·α_max``
    (ridge: ``10⁻⁵`` of ``α_max/10⁻³``).
    """
    from ..solvers.logistic_gram_path import logistic_path, null_gradient_norm

    rows = weights > 0
    mean = np.average(X[rows], axis=0, weights=weights[rows])
    sd = np.sqrt(np.average((X[rows] - mean) ** 2, axis=0, weights=weights[rows]))
    sd = np.where(sd > 1e-12, sd, 1.0)
    # the resample's distinct rows, standardized on them (columns contiguous: Z[:, j])
    Z = np.asfortranarray((X[rows] - mean) / sd)
    yr, wr, fold_of = y[rows], weights[rows], assignment[rows]
    # the paths read the design in single precision, rows contiguous (see
    # logistic_path): rounded once here, each training set a block of its rows
    Zs = np.ascontiguousarray(Z, dtype=np.float32)
    scale = null_gradient_norm(Z, yr, wr)
    folds = []
    for f in range(k):
        train, test = fold_of != f, fold_of == f
        if np.unique(yr[train]).size < 2 or not test.any():
            continue  # a tiny resample left one class out of this training fold
        # each path's tolerance scale, from the double-precision rows (zero weight
        # leaves the others out)
        fold_scale = null_gradient_norm(Z, yr, np.where(train, wr, 0.0))
        folds.append((Zs[train], yr[train], wr[train], fold_scale, Z[test], yr[test], wr[test]))

    def path(ratio, grid, data=None, start=None):
        Zt, yt, wt, st = data[:4] if data is not None else (Zs, yr, wr, scale)
        return logistic_path(
            Zt, yt, wt, grid, ratio, tol=LOGISTIC_TOL, max_iter=LOGISTIC_MAX_ITER, scale=st,
            start=start,
        )  # fmt: skip

    fits = {}
    for method in methods:
        if method == "none":
            res = path(0.0, np.array([1e-8]))
            b0, b = float(res.intercepts[0]), res.coefs[:, 0]
            fits[method] = LinearFit(b0 - (mean / sd) @ b, b / sd)
            continue
        if method == "relaxed lasso":
            continue  # the library's relaxed lasso is least squares only
        ratio = LOGISTIC_RATIOS[method]
        top = max(scale / max(ratio, 1e-3), 1e-8)
        grid = np.geomspace(top, top * (1e-3 if ratio > 0 else 1e-5), n_alphas)
        errors = np.zeros(n_alphas)
        fold_paths = []
        for data in folds:
            res = path(ratio, grid, data)
            Zv, yv, wv = data[4:]
            eta = res.intercepts[None, :] + Zv @ res.coefs
            errors += wv @ (np.logaddexp(0, eta) - yv[:, None] * eta)
            fold_paths.append(res)
        j = int(np.argmin(errors))
        # the refit at α_j starts from the folds' average answer there (each fold holds
        # 4/5 of the rows: a close guess), not from the top of the path; the stopping
        # rule is the same, so the answer is the same to the tolerance
        start = None
        if fold_paths:
            start = (
                float(np.mean([r.intercepts[j] for r in fold_paths])),
                np.mean([r.coefs[:, j] for r in fold_paths], axis=0),
            )
        res = path(ratio, grid[j : j + 1] if start is not None else grid[: j + 1], start=start)
        b0, b = float(res.intercepts[-1]), res.coefs[:, -1]
        fits[method] = LinearFit(b0 - (mean / sd) @ b, b / sd, j)
    return fits
