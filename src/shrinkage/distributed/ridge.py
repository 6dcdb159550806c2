"""``Ridge`` and ``RidgeCV`` on Dask: every alpha from one eigendecomposition of the Gram.

scikit-learn's ridge objective with sample weights ``s`` and penalty factors ``v``,

.. math::

    \\min_{\\beta_0,\\beta}\\; \\sum_i s_i (y_i - \\beta_0 - x_i^\\top\\beta)^2
    + \\alpha \\sum_j v_j \\beta_j^2 ,

needs only the weighted moments of the rows: one pass (:func:`~.moments.gram_pass`)
sums them, and :meth:`shrinkage.solvers.ridge.SpectralRidge.from_moments` solves it
for every alpha from the same factors as the in-memory ``Ridge`` (the coefficients
agree to rounding; ``tr H(α)`` and GCV come from the spectrum).

Cross-validation: ``cv=K`` scores each hashed fold from its own moments (``1 − R²``,
as in-memory K-fold), all from the first pass. ``cv=None`` is the exact leave-one-out
of the in-memory estimator, which needs each row's leverage
(:meth:`~shrinkage.solvers.ridge.SpectralRidge.leverage`): a second pass sums the
squared leave-one-out residuals (and their squares, for the standard error) over the
rows; the per-row errors themselves are not kept.
"""

from __future__ import annotations

from typing import TypeVar

import numpy as np

from .._fitted import store_coef
from .._validation import check_penalty_weights
from ..selection import CVCurve, check_rule, first_best_index, one_standard_error_rule
from ..solvers.problems import LeastSquaresProblem
from ..solvers.ridge import (
    SOLVER_NAMES,
    SpectralRidge,
    solve_positive_ridge,
)
from ._graph import map_reduce
from ._inputs import DaskData, set_feature_attributes
from .linear import check_folds_filled, check_n_folds
from .moments import FoldMoments, as_float_block, check_block_rows, gram_pass

T = TypeVar("T")


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
    leverage = ridge.leverage(X, s, alphas)
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


def _k_fold_errors(
    folds: FoldMoments, shift_x, shift_y, weights, fit_intercept, grid
) -> np.ndarray:
    """``1 − R²`` of each hashed fold, shape (n_targets, n_alphas, n_folds)."""
    n_targets = folds.n_targets
    out = np.zeros((n_targets, grid.size, folds.n_folds))
    for k in range(folds.n_folds):
        training = folds.training(k)
        ridge = SpectralRidge.from_moments(training, shift_x, shift_y, weights, fit_intercept)
        for t in range(n_targets):
            coef, intercept = ridge.coefs(grid, target=t)
            test = folds[k].target(t)
            sse = test.sse(intercept, coef, shift_x, float(shift_y[t]))
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
    if estimator.solver not in SOLVER_NAMES:
        raise ValueError(f"solver must be one of {list(SOLVER_NAMES)}, got {estimator.solver!r}.")
    n_targets, p = data.n_targets, data.n_features
    alphas = estimator._alphas(n_targets)
    weights = check_penalty_weights(estimator.penalty_weights, p)
    folds, shift_x, shift_y = gram_pass(data, estimator.fit_intercept)
    moments = folds.total()
    coefs, intercepts = np.zeros((n_targets, p)), np.zeros(n_targets)
    if estimator.positive:
        estimator.solver_ = "cd"
        estimator.n_iter_ = np.zeros(n_targets, dtype=int)
        max_iter = estimator.max_iter if estimator.max_iter is not None else 10 * p + 100
        for t in range(n_targets):
            # As in memory: non-negative ridge by coordinate descent (l1_ratio = 0).
            problem = LeastSquaresProblem.from_moments(
                moments.target(t),
                shift_x,
                float(shift_y[t]),
                weights,
                0.0,
                True,
                estimator.fit_intercept,
            )
            info = solve_positive_ridge(problem, alphas[t], moments.weight, estimator.tol, max_iter)
            coefs[t], intercepts[t] = problem.coef, problem.intercept
            estimator.n_iter_[t] = info.n_iter
    else:
        estimator.solver_ = "eigen"
        estimator.n_iter_ = np.ones(n_targets, dtype=int)
        ridge = SpectralRidge.from_moments(
            moments, shift_x, shift_y, weights, estimator.fit_intercept
        )
        coefs, intercepts = ridge.coefs_at(alphas)
    store_coef(estimator, coefs, intercepts, data.y_ndim, data.dtype)
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
    if estimator.cv is not None and estimator.alpha_per_target:
        # As in memory (and scikit-learn): per-target alphas only with leave-one-out.
        raise ValueError("cv!=None and alpha_per_target=True are incompatible")
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
    folds, shift_x, shift_y = gram_pass(data, estimator.fit_intercept, n_folds)
    n_samples, n_targets = sum(m.rows for m in folds), folds.n_targets
    if n_samples < 2:
        raise ValueError(f"Cross-validation needs at least 2 samples, got {n_samples} sample.")
    full = SpectralRidge.from_moments(
        folds.total(), shift_x, shift_y, weights, estimator.fit_intercept
    )
    per_target = estimator.alpha_per_target and n_targets > 1

    if estimator.cv is None:
        metric = "squared error (leave-one-out)"
        curves = _leave_one_out_curves(full, data, grid, per_target, metric)
        offset = 0.0
    else:
        check_n_folds(estimator.cv, n_samples)
        check_folds_filled(folds)
        errors = _k_fold_errors(folds, shift_x, shift_y, weights, estimator.fit_intercept, grid)
        metric = "1 - R²"
        curves = (
            [CVCurve(grid, errors[t], metric=metric) for t in range(n_targets)]
            if per_target
            else [CVCurve(grid, errors.mean(axis=0), metric=metric)]
        )
        offset = 1.0

    # As in memory: the first best alpha in the caller's order (or the 1-SE choice).
    first_best = [first_best_index(-curve.mean) for curve in curves]
    chosen = first_best if rule == "min" else [curve.index_1se for curve in curves]
    estimator.cv_curve_ = curves[0]
    estimator.alpha_min_ = float(grid[first_best[0]])
    estimator.alpha_1se_ = curves[0].alpha_1se
    scores = [offset - curve.mean[k] for curve, k in zip(curves, chosen, strict=True)]
    alphas_chosen = [grid[k] for k in chosen]
    if per_target:
        estimator.alpha_ = np.asarray(alphas_chosen)
        estimator.best_score_ = np.asarray(scores)
    else:
        estimator.alpha_ = float(alphas_chosen[0])
        estimator.best_score_ = float(scores[0])
        alphas_chosen = alphas_chosen * n_targets

    coefs, intercepts = full.coefs_at(alphas_chosen)
    store_coef(estimator, coefs, intercepts, data.y_ndim, data.dtype)
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
