"""``Ridge`` and ``RidgeCV`` on Dask: every alpha from one eigendecomposition of the Gram.

scikit-learn's ridge objective with sample weights ``s`` and penalty factors ``v``,

.. math::

    \\min_{\\beta_0,\\beta}\\; \\sum_i s_i (y_i - \\beta_0 - x_i^\\top\\beta)^2
    + \\alpha \\sum_j v_j \\beta_j^2 ,

needs only the centred weighted moments ``G = Σ s (x − x̄)(x − x̄)ᵀ`` and
``c = Σ s (x − x̄)(y − ȳ)``. The unpenalized columns ``F`` (``v_j = 0``) are profiled
out by a Schur complement, the penalized ones ``P`` rescaled by ``D = diag(1/√v)``:

.. math::

    K = D\\,(G_{PP} - G_{PF} G_{FF}^{+} G_{FP})\\,D = V\\,\\mathrm{diag}(\\lambda)\\,V^\\top,
    \\qquad \\beta_P(\\alpha) = D\\,V\\,\\frac{V^\\top D (c_P - G_{PF}G_{FF}^{+}c_F)}
    {\\lambda + \\alpha},

the same factors as :class:`shrinkage.solvers.ridge.SpectralRidge` builds from ``X``
(``K = X̃ᵀX̃``), so the coefficients agree with the in-memory fit to rounding, and
``tr H(α) = k_free + Σ λ/(λ + α)`` and the GCV score come for free.

Cross-validation: ``cv=K`` scores each hashed fold from its own moments (``1 − R²``,
as in-memory K-fold), all from the first pass. ``cv=None`` is the exact leave-one-out
of the in-memory estimator, which needs each row's leverage
``H_ii(α) = s_i (1/W + x̃_{F,i}ᵀG_{FF}^{+}x̃_{F,i} + Σ_k u_{ik}²/(λ_k + α))``: a second
pass sums the squared leave-one-out residuals (and their squares, for the standard
error) over the rows; the per-row errors themselves are not kept.
"""

from __future__ import annotations

from typing import TypeVar

import numpy as np
import scipy.linalg as la

from .._validation import check_penalty_weights
from ..linear_model._ridge import _store
from ..selection import CVCurve, check_rule, one_standard_error_rule
from ..solvers.problems import LeastSquaresProblem
from ..solvers.ridge import _RANK_RTOL
from ._graph import map_reduce
from ._inputs import DaskData, set_feature_attributes
from .linear import check_folds_filled, check_n_folds, residual_sum_of_squares
from .moments import Stats, as_float_block, check_block_rows, gram_pass

T = TypeVar("T")


def _pseudo_inverse(matrix: np.ndarray) -> tuple[np.ndarray, int]:
    """``M⁺`` of a symmetric positive semi-definite matrix, and its rank."""
    if matrix.shape[0] == 0:
        return np.zeros((0, 0)), 0
    lam, vectors = la.eigh(matrix, check_finite=False)
    keep = lam > max(lam[-1], 0.0) * _RANK_RTOL
    vectors = vectors[:, keep]
    return (vectors / lam[keep]) @ vectors.T, int(keep.sum())


class MomentsRidge:
    """Exact weighted ridge with penalty factors, for all alphas, from moments.

    Parameters
    ----------
    stats : Stats
        Moments of ``(x − shift_x, y − shift_y)``; all folds but ``exclude`` are used.
    shift_x : ndarray of shape (n_features,)
    shift_y : ndarray of shape (n_targets,)
    penalty_weights : ndarray of shape (n_features,)
    fit_intercept : bool
    exclude : int, optional
        A CV fold to leave out (its rows are the test set).
    """

    def __init__(
        self, stats: Stats, shift_x, shift_y, penalty_weights, fit_intercept, exclude=None
    ):
        keep = np.arange(stats.n_folds) != (-1 if exclude is None else exclude)
        W = float(stats.weight[keep].sum())
        xx, xy = stats.xx[keep].sum(axis=0), stats.xy[keep].sum(axis=0)
        x, y, yy = stats.x[keep].sum(axis=0), stats.y[keep].sum(axis=0), stats.yy[keep].sum(axis=0)
        self.n_samples, self.total_weight = int(stats.rows[keep].sum()), W
        self.fit_intercept = fit_intercept
        if fit_intercept:
            mean_x, mean_y = x / W, y / W
        else:
            mean_x, mean_y = np.zeros_like(x), np.zeros_like(y)
        gram = xx - W * np.outer(mean_x, mean_x)
        cross = xy - W * np.outer(mean_x, mean_y)  # (p, t)
        target_norm2 = yy - W * mean_y * mean_y
        self.mean_x, self.mean_y = mean_x + shift_x, mean_y + shift_y

        self.n_features = gram.shape[0]
        self.free = np.flatnonzero(penalty_weights == 0)
        self.penalized = np.flatnonzero(penalty_weights > 0)
        F, P = self.free, self.penalized
        self.free_inverse, rank = _pseudo_inverse(gram[np.ix_(F, F)])
        self.n_free = rank + int(fit_intercept)
        self.gram_pf = gram[np.ix_(P, F)]
        self.gram_fp = gram[np.ix_(F, P)]
        self.cross_f = cross[F]
        # Regression of the penalized columns on the free ones, and what is left.
        self.B = self.gram_pf @ self.free_inverse
        schur = gram[np.ix_(P, P)] - self.B @ self.gram_fp
        self.scale = 1.0 / np.sqrt(penalty_weights[P])
        kernel = self.scale[:, None] * schur * self.scale[None, :]
        lam, V = la.eigh((kernel + kernel.T) / 2.0, check_finite=False)
        keep = lam > max(lam[-1] if lam.size else 0.0, 0.0) * _RANK_RTOL
        self.lam, self.V = lam[keep], V[:, keep]
        rhs = self.scale[:, None] * (cross[P] - self.B @ self.cross_f)
        self.c = self.V.T @ rhs  # (r, t)
        free_fit = np.einsum("ft,fg,gt->t", self.cross_f, self.free_inverse, self.cross_f)
        self.residual_norm2 = np.maximum(target_norm2 - free_fit, 0.0)

    def _gains(self, alphas) -> np.ndarray:
        return 1.0 / (self.lam[:, None] + np.asarray(alphas, dtype=np.float64)[None, :])

    def coefs(self, alphas, target: int = 0) -> tuple[np.ndarray, np.ndarray]:
        """Coefficients ``(n_features, n_alphas)`` and intercepts ``(n_alphas,)``."""
        tilde = self.V @ (self.c[:, target : target + 1] * self._gains(alphas))
        coef = np.zeros((self.n_features, tilde.shape[1]))
        coef[self.penalized] = self.scale[:, None] * tilde
        coef[self.free] = self.free_inverse @ (
            self.cross_f[:, target : target + 1] - self.gram_fp @ coef[self.penalized]
        )
        intercept = self.mean_y[target] - self.mean_x @ coef
        return coef, intercept if self.fit_intercept else np.zeros(coef.shape[1])

    def degrees_of_freedom(self, alphas) -> np.ndarray:
        """``tr H(α)``, counting the intercept and the unpenalized columns."""
        return self.n_free + (self.lam[:, None] * self._gains(alphas)).sum(axis=0)

    def rss(self, alphas, target: int = 0) -> np.ndarray:
        """``Σ s (y − ŷ(α))²`` from the spectrum: no pass over the rows."""
        gains = self._gains(alphas)
        c2 = self.c[:, target : target + 1] ** 2
        explained = (c2 * (2.0 * gains - self.lam[:, None] * gains * gains)).sum(axis=0)
        return np.maximum(self.residual_norm2[target] - explained, 0.0)

    def gcv(self, alphas, target: int = 0) -> np.ndarray:
        """``n·RSS / (n − tr H)²`` per alpha (first target by default)."""
        n = self.n_samples
        with np.errstate(divide="ignore"):
            return n * self.rss(alphas, target) / (n - self.degrees_of_freedom(alphas)) ** 2


class SummaryCurve(CVCurve):
    """A :class:`CVCurve` known by its mean and standard error only.

    A Dask ``RidgeCV`` with exact leave-one-out has one error per row and alpha; it
    keeps their mean and standard error, not the errors themselves:
    ``fold_errors`` is a read-only NaN array of the right shape (no memory).
    """

    def __init__(self, alphas, mean, standard_error, n_samples: int, metric: str):
        self.alphas = np.asarray(alphas, dtype=np.float64)
        self.fold_errors = np.broadcast_to(np.nan, (self.alphas.size, n_samples))
        self.metric, self.larger_is_simpler = metric, True
        self.n_nonzero, self.parameter = None, "alpha"
        self.mean = np.asarray(mean, dtype=np.float64)
        self.standard_error = np.asarray(standard_error, dtype=np.float64)
        self.index_min, self.index_1se = one_standard_error_rule(
            self.alphas, self.mean, self.standard_error
        )


class _LeaveOneOutSums:
    """Sums over rows of the squared leave-one-out residuals, per target and alpha."""

    def __init__(self, sum_e, sum_e2, joint_e2, n_inf, rows):
        self.sum_e, self.sum_e2, self.joint_e2 = sum_e, sum_e2, joint_e2
        self.n_inf, self.rows = n_inf, rows

    def __add__(self, other):
        return _LeaveOneOutSums(
            self.sum_e + other.sum_e,
            self.sum_e2 + other.sum_e2,
            self.joint_e2 + other.joint_e2,
            self.n_inf + other.n_inf,
            self.rows + other.rows,
        )


def _loo_block(X, y, w, info, shared) -> _LeaveOneOutSums:
    """Leave-one-out residuals ``√s (y − ŷ)/(1 − H_ii)`` of one block (on a worker)."""
    ridge, alphas, coefs, intercepts, scale = shared
    index, _, declared = info
    n = check_block_rows(index, declared, X, y, w)
    X = as_float_block(X, "X", index)
    Y = as_float_block(y, "y", index).reshape(n, -1)
    s = np.full(n, scale) if w is None else as_float_block(w, "sample_weight", index) * scale
    centred = X - ridge.mean_x
    F, P = ridge.free, ridge.penalized
    free_part = np.einsum("if,fg,ig->i", centred[:, F], ridge.free_inverse, centred[:, F])
    base = s * (free_part + (1.0 / ridge.total_weight if ridge.fit_intercept else 0.0))
    projected = ((centred[:, P] - centred[:, F] @ ridge.B.T) * ridge.scale) @ ridge.V
    leverage = base[:, None] + s[:, None] * ((projected**2) @ ridge._gains(alphas))
    n_targets = Y.shape[1]
    errors = np.empty((n_targets, n, alphas.size))
    for t in range(n_targets):
        residual = Y[:, t : t + 1] - (X @ coefs[t] + intercepts[t])
        with np.errstate(divide="ignore", invalid="ignore"):
            loo = np.sqrt(s)[:, None] * residual / (1.0 - leverage)
        errors[t] = np.where(np.isfinite(loo), loo, np.inf) ** 2
    finite = np.isfinite(errors)
    safe = np.where(finite, errors, 0.0)
    joint = safe.mean(axis=0)
    return _LeaveOneOutSums(
        safe.sum(axis=1),
        (safe * safe).sum(axis=1),
        (joint * joint).sum(axis=0),
        (~finite).sum(axis=1),
        n,
    )


def _mean_and_error(sum_e, sum_e2, n_inf, n):
    """Mean and ``sd/√n`` (ddof=1) from sums; infinite where any row was."""
    mean = sum_e / n
    variance = np.maximum(sum_e2 - n * mean * mean, 0.0) / max(n - 1, 1)
    error = np.sqrt(variance / n)
    return np.where(n_inf > 0, np.inf, mean), np.where(n_inf > 0, np.nan, error)


def _k_fold_errors(stats, shift_x, shift_y, weights, fit_intercept, grid) -> np.ndarray:
    """``1 − R²`` of each hashed fold, shape (n_targets, n_alphas, n_folds)."""
    n_targets = stats.y.shape[1]
    out = np.zeros((n_targets, grid.size, stats.n_folds))
    for k in range(stats.n_folds):
        ridge = MomentsRidge(stats, shift_x, shift_y, weights, fit_intercept, exclude=k)
        for t in range(n_targets):
            coef, intercept = ridge.coefs(grid, target=t)
            test = stats.moments(k, t)
            sse = residual_sum_of_squares(test, shift_x, float(shift_y[t]), coef, intercept)
            total = max(test.yy - test.y * test.y / test.weight, 0.0)
            # scikit-learn's r2_score with force_finite: a constant test target scores
            # R² = 1 when predicted exactly, else 0.
            if total > 0:
                out[t, :, k] = sse / total
            else:
                out[t, :, k] = np.where(sse == 0, 0.0, 1.0)
    return out


def fit_ridge(estimator: T, data: DaskData) -> T:
    """:class:`~shrinkage.linear_model.Ridge` on Dask data."""
    from ..linear_model._ridge import _SOLVERS

    if estimator.solver not in _SOLVERS:
        raise ValueError(f"solver must be one of {list(_SOLVERS)}, got {estimator.solver!r}.")
    n_targets, p = data.n_targets, data.n_features
    alphas = estimator._alphas(n_targets)
    weights = check_penalty_weights(estimator.penalty_weights, p)
    stats, shift_x, shift_y = gram_pass(data, estimator.fit_intercept)
    coefs, intercepts = np.zeros((n_targets, p)), np.zeros(n_targets)
    if estimator.positive:
        estimator.solver_ = "cd"
        estimator.n_iter_ = np.zeros(n_targets, dtype=int)
        max_iter = estimator.max_iter if estimator.max_iter is not None else 10 * p + 100
        for t in range(n_targets):
            # As in memory: non-negative ridge by coordinate descent (l1_ratio = 0).
            problem = LeastSquaresProblem.from_moments(
                stats.moments(None, t),
                shift_x,
                float(shift_y[t]),
                weights,
                0.0,
                True,
                estimator.fit_intercept,
            )
            info = problem.solve(
                alphas[t] / stats.weight.sum(),
                np.ones(p, dtype=bool),
                estimator.tol * 1e-4,
                max_iter,
            )
            coefs[t], intercepts[t] = problem.coef, problem.intercept
            estimator.n_iter_[t] = info.n_iter
    else:
        estimator.solver_ = "eigen"
        estimator.n_iter_ = np.ones(n_targets, dtype=int)
        ridge = MomentsRidge(stats, shift_x, shift_y, weights, estimator.fit_intercept)
        for t in range(n_targets):
            coef, intercept = ridge.coefs(alphas[t : t + 1], target=t)
            coefs[t], intercepts[t] = coef[:, 0], intercept[0]
    _store(estimator, coefs, intercepts, data.y_ndim == 1, data.dtype)
    set_feature_attributes(estimator, data)
    return estimator


def fit_ridge_cv(estimator: T, data: DaskData) -> T:
    """:class:`~shrinkage.linear_model.RidgeCV` on Dask data.

    ``cv=None``: exact leave-one-out (one more pass). ``cv=K``: ``K`` hashed folds
    scored by ``1 − R²`` from the first pass. Scorers, ``store_cv_results`` and
    splitter objects need the in-memory estimator.
    """
    rule = check_rule(estimator.rule)
    grid = estimator._grid()
    if estimator.scoring is not None:
        raise ValueError(
            f"scoring={estimator.scoring!r} is not available with Dask input (a scorer needs "
            "every prediction in memory): use scoring=None (squared error for leave-one-out, "
            "R² for cv=K), or compute X to memory."
        )
    if estimator.store_cv_results:
        raise ValueError(
            "store_cv_results=True is not available with Dask input (it keeps one value per "
            "row and alpha); use cv_curve_ (mean and standard error), or compute X to memory."
        )
    weights = check_penalty_weights(estimator.penalty_weights, data.n_features)
    n_folds = 1 if estimator.cv is None else check_n_folds(estimator.cv)
    stats, shift_x, shift_y = gram_pass(data, estimator.fit_intercept, n_folds)
    n_samples, n_targets = int(stats.rows.sum()), stats.y.shape[1]
    if n_samples < 2:
        raise ValueError(f"Cross-validation needs at least 2 samples, got {n_samples} sample.")
    full = MomentsRidge(stats, shift_x, shift_y, weights, estimator.fit_intercept)
    per_target = estimator.alpha_per_target and n_targets > 1

    if estimator.cv is None:
        metric = "squared error (leave-one-out)"
        curves = _leave_one_out_curves(full, data, grid, per_target, metric)
        offset = 0.0
    else:
        check_n_folds(estimator.cv, n_samples)
        check_folds_filled(stats)
        errors = _k_fold_errors(stats, shift_x, shift_y, weights, estimator.fit_intercept, grid)
        metric = "1 - R²"
        curves = (
            [CVCurve(grid, errors[t], metric=metric) for t in range(n_targets)]
            if per_target
            else [CVCurve(grid, errors.mean(axis=0), metric=metric)]
        )
        offset = 1.0

    chosen = [curve.chosen_index(rule) for curve in curves]
    estimator.cv_curve_ = curves[0]
    estimator.alpha_min_, estimator.alpha_1se_ = curves[0].alpha_min, curves[0].alpha_1se
    scores = [offset - curve.mean[k] for curve, k in zip(curves, chosen, strict=True)]
    alphas_chosen = [grid[k] for k in chosen]
    if per_target:
        estimator.alpha_ = np.asarray(alphas_chosen)
        estimator.best_score_ = np.asarray(scores)
    else:
        estimator.alpha_ = float(alphas_chosen[0])
        estimator.best_score_ = float(scores[0])
        alphas_chosen = alphas_chosen * n_targets

    coefs, intercepts = np.zeros((n_targets, data.n_features)), np.zeros(n_targets)
    for t in range(n_targets):
        coef, intercept = full.coefs([alphas_chosen[t]], target=t)
        coefs[t], intercepts[t] = coef[:, 0], intercept[0]
    _store(estimator, coefs, intercepts, data.y_ndim == 1, data.dtype)
    estimator.dof_ = full.degrees_of_freedom(grid)
    estimator.gcv_ = full.gcv(grid)
    set_feature_attributes(estimator, data)
    return estimator


def _leave_one_out_curves(full, data, grid, per_target, metric) -> list[CVCurve]:
    """Exact leave-one-out curves from a second pass over the rows."""
    n_targets = full.mean_y.shape[0]
    fits = [full.coefs(grid, target=t) for t in range(n_targets)]
    coefs = np.stack([c for c, _ in fits])
    intercepts = np.stack([i for _, i in fits])
    sums = map_reduce(_loo_block, data, (full, grid, coefs, intercepts, data.weight_scale))
    n = sums.rows
    if per_target:
        curves = []
        for t in range(n_targets):
            mean, error = _mean_and_error(sums.sum_e[t], sums.sum_e2[t], sums.n_inf[t], n)
            curves.append(SummaryCurve(grid, mean, error, n, metric))
        return curves
    # One curve for all targets: the per-row error is the mean over the targets.
    n_inf = sums.n_inf.sum(axis=0)
    mean, error = _mean_and_error(sums.sum_e.mean(axis=0), sums.joint_e2, n_inf, n)
    return [SummaryCurve(grid, mean, error, n, metric)]
