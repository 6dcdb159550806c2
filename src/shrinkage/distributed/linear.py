"""``Lasso``, ``ElasticNet`` and their CV on Dask: one Gram pass, then paths in memory.

After :func:`~.moments.gram_pass` the problem is the in-memory one on the Gram
matrix (:meth:`LeastSquaresProblem.from_moments`): the same covariance-update
coordinate descent, the same duality-gap stopping rule, hence the same coefficients
to solver tolerance. Cross-validation keeps each fold's moments from that same pass;
fold ``k`` trains on the sum of the other folds' moments and is scored from its own:

.. math::

    \\sum_{i \\in k} w_i (y_i - \\beta_0 - x_i^\\top\\beta)^2
    = C_{yy} - 2\\beta^\\top C_{xy} + \\beta^\\top C_{xx}\\beta
      + W_k(\\bar y_k - \\beta_0 - \\bar x_k^\\top\\beta)^2

with ``C`` the fold's centred moments and ``W_k`` its weight, so no second pass is
needed for the test errors either.
"""

from __future__ import annotations

from numbers import Integral
from typing import TypeVar

import numpy as np
from sklearn.utils import check_random_state

from .._fitted import store_coef
from .._validation import (
    check_alpha_grid,
    check_nonnegative_scalar,
    check_penalty_weights,
    check_positive_int,
)
from ..path import PathResult, alpha_grid, cv_alpha_grid, solve_path
from ..selection import check_rule, record_path_cv, run_folds
from ..solvers.problems import LeastSquaresProblem
from ..solvers.ridge import SpectralRidge
from ..solvers.step import solve_and_check, warn_not_converged
from ._inputs import DaskData, set_feature_attributes
from .moments import FoldMoments, gram_pass

T = TypeVar("T")


def check_precompute(precompute) -> None:
    if precompute is False:
        raise ValueError(
            "precompute=False is not available with Dask input: the distributed engine "
            "always solves on the Gram matrix (one pass over the data). Use "
            "precompute='auto', or compute X to memory for the row-wise solver."
        )


def check_n_folds(cv, n_samples: int | None = None) -> int:
    """``cv`` as a number of hashed folds (None means 5, as in memory)."""
    if cv is None:
        return 5
    if isinstance(cv, Integral) and not isinstance(cv, bool):
        if cv < 2:
            raise ValueError(f"cv={cv} folds is too few; cross-validation needs >= 2.")
        if n_samples is not None and cv > n_samples:
            raise ValueError(f"cv={cv} folds but only {n_samples} samples; use cv <= {n_samples}.")
        return int(cv)
    raise ValueError(
        f"cv={cv!r} is not available with Dask input: pass cv=K (an integer). Folds are "
        "assigned per row by a hash of its position, so every fold comes from the same "
        "pass; shrinkage.distributed.row_folds(n_samples, K) gives them as (train, test) "
        "pairs for an in-memory fit with the same folds."
    )


def check_folds_filled(folds: FoldMoments) -> None:
    """Every fold has rows and weight, and so does every training set."""
    total = sum(m.weight for m in folds)
    for k, fold in enumerate(folds):
        if fold.rows == 0 or fold.weight <= 0:
            raise ValueError(
                f"CV fold {k} has no rows with positive weight; use fewer folds (cv) or more data."
            )
        if total - fold.weight <= 0:
            raise ValueError(f"The training set of CV fold {k} has zero total sample weight.")


def problem_from(
    folds: FoldMoments,
    shift_x,
    shift_y,
    penalty_weights,
    l1_ratio,
    positive,
    fit_intercept,
    fold=None,
) -> LeastSquaresProblem:
    """The least-squares problem (first target) on all rows (``fold=None``) or on a
    fold's training rows."""
    moments = folds.total() if fold is None else folds.training(fold)
    return LeastSquaresProblem.from_moments(
        moments.target(0),
        shift_x,
        float(shift_y[0]),
        penalty_weights,
        l1_ratio,
        positive,
        fit_intercept,
    )


def _solve_one(problem, alpha, tol, max_iter, rng, start=None):
    """The in-memory estimator's step at one alpha: from ``start`` (a warm start) or
    cold from ``alpha_max``, screened, solved, checked (:func:`solve_and_check`)."""
    previous_alpha = problem.alpha_max
    if start is not None:
        problem.set_coef(start)
        previous_alpha = alpha
    return solve_and_check(problem, alpha, previous_alpha, tol, max_iter, rng)


def fit_elastic_net(estimator: T, data: DaskData) -> T:
    """:class:`~shrinkage.linear_model.ElasticNet` / ``Lasso`` on Dask data."""
    alpha, l1_ratio = estimator._check_params()
    check_precompute(estimator.precompute)
    p, n_targets = data.n_features, data.n_targets
    weights = check_penalty_weights(estimator.penalty_weights, p)
    folds, shift_x, shift_y = gram_pass(data, estimator.fit_intercept)
    moments = folds.total()
    rng = check_random_state(estimator.random_state) if estimator.selection == "random" else None
    previous = None
    if estimator.warm_start and hasattr(estimator, "coef_"):
        previous = np.atleast_2d(estimator.coef_)
        if previous.shape != (n_targets, p):
            previous = None

    coefs, intercepts, gaps, n_iters = [], [], [], []
    for t in range(n_targets):
        problem = LeastSquaresProblem.from_moments(
            moments.target(t),
            shift_x,
            float(shift_y[t]),
            weights,
            l1_ratio,
            estimator.positive,
            estimator.fit_intercept,
        )
        start = None if previous is None else previous[t]
        info = _solve_one(problem, alpha, estimator.tol, estimator.max_iter, rng, start)
        coefs.append(problem.coef)
        intercepts.append(problem.intercept if estimator.fit_intercept else 0.0)
        gaps.append(info.duality_gap)
        n_iters.append(info.n_iter)

    single = data.y_ndim == 1
    store_coef(estimator, coefs, intercepts, data.y_ndim, data.dtype)
    estimator.dual_gap_ = gaps[0] if single else np.array(gaps)
    estimator.n_iter_ = n_iters[0] if single else n_iters
    set_feature_attributes(estimator, data)
    return estimator


def _grid(estimator, l1_ratio, alpha_max=None) -> np.ndarray | None:
    """The in-memory estimator's grid (:func:`~shrinkage.path.cv_alpha_grid`):
    log-spaced down from ``alpha_max`` of all rows, or the given values in any order,
    checked with the same messages and sorted decreasing.

    ``alpha_max`` is a callable (the moments are needed); without it, an automatic
    grid is only checked (before the pass: ``l1_ratio=0`` is refused as in memory)
    and None is returned.
    """
    automatic = isinstance(estimator.alphas, Integral) and not isinstance(estimator.alphas, bool)
    if automatic and alpha_max is None:
        # The checks of an automatic grid, with nothing computed yet.
        cv_alpha_grid(estimator.alphas, estimator.eps, l1_ratio, lambda: 1.0)
        return None
    return cv_alpha_grid(estimator.alphas, estimator.eps, l1_ratio, alpha_max)


def fit_elastic_net_cv(estimator: T, data: DaskData) -> T:
    """:class:`~shrinkage.linear_model.ElasticNetCV` / ``LassoCV`` on Dask data.

    The folds are hashed per row (:func:`~.moments.fold_of_rows`), so ``cv`` must be
    a number of folds; ``cv=None`` means 5 such folds (not scikit-learn's contiguous
    ``KFold``).
    """
    rule = check_rule(estimator.rule)
    l1_ratios = estimator._l1_ratios()
    check_nonnegative_scalar(estimator.tol, "tol")
    check_positive_int(estimator.max_iter, "max_iter")
    check_nonnegative_scalar(estimator.eps, "eps")
    check_precompute(estimator.precompute)
    n_folds = check_n_folds(estimator.cv)
    weights = check_penalty_weights(estimator.penalty_weights, data.n_features)
    for ratio in l1_ratios:  # a bad grid fails before the pass
        _grid(estimator, ratio)
    folds, shift_x, shift_y = gram_pass(data, estimator.fit_intercept, n_folds)
    check_n_folds(estimator.cv, sum(m.rows for m in folds))
    check_folds_filled(folds)
    fit_intercept, positive = estimator.fit_intercept, estimator.positive

    def alpha_max(ratio):  # of all rows; only asked for by an automatic grid
        return lambda: problem_from(
            folds, shift_x, shift_y, weights, ratio, positive, fit_intercept
        ).alpha_max

    grids = [_grid(estimator, r, alpha_max(r)) for r in l1_ratios]
    seed = check_random_state(estimator.random_state).randint(np.iinfo(np.int32).max)

    def fold_path(index, fold):
        grid, ratio = grids[index], l1_ratios[index]
        problem = problem_from(
            folds, shift_x, shift_y, weights, ratio, positive, fit_intercept, fold
        )
        rng = np.random.RandomState(seed) if estimator.selection == "random" else None
        path = solve_path(problem, grid, estimator.tol, estimator.max_iter, rng)
        test = folds[fold].target(0)
        sse = test.sse(path.intercepts, path.coefs, shift_x, float(shift_y[0]))
        return sse / test.weight, path.n_nonzero, path.converged.all()

    tasks = [(i, k) for i in range(len(l1_ratios)) for k in range(n_folds)]
    results = run_folds(
        fold_path, tasks, estimator.n_jobs, estimator.verbose, type(estimator).__name__
    )
    # user → fit → dask_fit → distributed.fit → here → record_path_cv → warn
    record_path_cv(estimator, results, grids, l1_ratios, n_folds, rule, stacklevel=6)

    # The final model from the total moments: no second pass.
    problem = problem_from(
        folds, shift_x, shift_y, weights, estimator.l1_ratio_, positive, fit_intercept
    )
    info = _solve_one(problem, estimator.alpha_, estimator.tol, estimator.max_iter, None)
    store_coef(estimator, [problem.coef], [problem.intercept], 1, data.dtype)
    estimator.dual_gap_, estimator.n_iter_ = info.duality_gap, info.n_iter
    set_feature_attributes(estimator, data)
    return estimator


def _ridge_path(folds, shift_x, shift_y, weights, fit_intercept, grid) -> PathResult:
    """Pure ridge solved exactly for the whole grid (as the in-memory path does).

    ``½Σh r² + α/2 Σv β²`` is ``Σs r² + (α·Σs) Σv β²`` over ``2Σs``: ridge's alpha is
    ``α·Σs``. The gaps are those of exact solutions (rounding only), reported as 0.
    """
    import time

    start = time.perf_counter()
    moments = folds.total()
    ridge = SpectralRidge.from_moments(moments, shift_x, shift_y, weights, fit_intercept)
    coefs, intercepts = ridge.coefs(grid * moments.weight)
    times = np.full(grid.size, (time.perf_counter() - start) / grid.size)
    return PathResult(
        alphas=grid,
        coefs=coefs,
        intercepts=intercepts,
        duality_gaps=np.zeros(grid.size),
        n_iters=np.zeros(grid.size, dtype=np.int64),
        n_nonzero=np.count_nonzero(coefs, axis=0),
        times=times,
        converged=np.ones(grid.size, dtype=bool),
        l1_ratio=0.0,
        loss="squared_error",
    )


def least_squares_path(
    data: DaskData,
    *,
    l1_ratio: float,
    alphas,
    eps: float,
    penalty_weights,
    positive: bool,
    fit_intercept: bool,
    tol: float,
    max_iter: int,
) -> PathResult:
    """The whole least-squares path from one pass (see
    :func:`shrinkage.distributed.regularization_path`)."""
    weights = check_penalty_weights(penalty_weights, data.n_features)
    folds, shift_x, shift_y = gram_pass(data, fit_intercept)
    return path_from_moments(
        folds,
        shift_x,
        shift_y,
        weights,
        l1_ratio=l1_ratio,
        alphas=alphas,
        eps=eps,
        positive=positive,
        fit_intercept=fit_intercept,
        tol=tol,
        max_iter=max_iter,
        feature_names=data.feature_names,
    )


def path_from_moments(
    folds: FoldMoments,
    shift_x,
    shift_y,
    weights,
    *,
    l1_ratio: float,
    alphas,
    eps: float,
    positive: bool,
    fit_intercept: bool,
    tol: float,
    max_iter: int,
    feature_names=None,
) -> PathResult:
    """The path of :func:`shrinkage.path.regularization_path` from the moments of a
    :func:`~.moments.gram_pass` (first target): a log grid down from ``alpha_max``
    (integer ``alphas``) or the given one (monotonic, solved decreasing); pure ridge
    exactly (every alpha from one eigendecomposition)."""
    problem = problem_from(folds, shift_x, shift_y, weights, l1_ratio, positive, fit_intercept)
    if isinstance(alphas, Integral) and not isinstance(alphas, bool):
        grid = alpha_grid(problem.alpha_max, check_positive_int(alphas, "alphas"), eps)
    else:
        grid = check_alpha_grid(alphas)
    if l1_ratio == 0.0 and not positive:
        result = _ridge_path(folds, shift_x, shift_y, weights, fit_intercept, grid)
    else:
        result = solve_path(problem, grid, tol, max_iter)
    if not fit_intercept:
        result.intercepts = np.zeros(grid.size)
    if feature_names is not None:
        result.feature_names = list(feature_names)
    if not result.converged.all():
        worst = int(np.flatnonzero(~result.converged)[0])
        warn_not_converged(result.duality_gaps[worst], tol, max_iter, result.alphas[worst])
    return result
