"""``LassoCV`` and ``ElasticNetCV``: drop-in for scikit-learn's, plus the 1-SE rule.

Each fold solves the whole path on one alpha grid (computed once on all the data)
with warm starts and strong rules; folds run in parallel threads (the Numba kernels
release the GIL). The test error of every fold at every alpha is kept in a
:class:`~shrinkage.selection.CVCurve`.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import scipy.sparse as sp
from sklearn.base import RegressorMixin
from sklearn.utils import check_random_state

from .._docs import inherit_entries
from .._validation import (
    check_gram_shape,
    check_l1_ratio,
    check_nonnegative_scalar,
    check_penalty_weights,
    check_positive_int,
    check_sample_weight,
)
from ..path import solve_path
from ..selection import check_fold_weights, check_folds, check_rule, record_path_cv
from ..solvers import constants
from ..solvers._designs import mirror_upper_triangle
from ..solvers._layout import fortran_copy, fortran_rows, row_major_copy, rows_of
from ..solvers._single_gram import SINGLE_GRAM_MIN_TOL
from ..solvers.moments import Moments, MomentsDesign
from ..solvers.problems import LeastSquaresProblem, solved_densely
from ..solvers.standardize import coefficient_constraint, standardize_design, to_original_units
from ..solvers.step import solve_and_check
from ._base import check_finite_target, validated_fit_input
from ._coordinate_descent import ElasticNet, _PathFunction
from ._cv import LinearModelCV, elastic_net_alpha_grid
from ._routing import route_fit, splitter_router


class ElasticNetCV(RegressorMixin, LinearModelCV):
    """Elastic net with ``alpha`` (and ``l1_ratio``) chosen by K-fold cross-validation.

    Same parameters, attributes and choice as ``sklearn.linear_model.ElasticNetCV``,
    plus the one-standard-error rule, per-feature penalty weights and the whole CV
    curve. The objective is :class:`ElasticNet`'s:
    ``1/(2n) Σ s_i (y_i − β₀ − x_iᵀβ)² + α Σ_j v_j (ρ|β_j| + (1−ρ)/2 β_j²)``.

    Parameters
    ----------
    l1_ratio : float or list of float, default=0.5
        Mix(es) in [0, 1] to try; with a list the best (l1_ratio, alpha) pair wins.
    eps : float, default=1e-3
        ``alpha_min / alpha_max`` of the automatic grid.
    alphas : int or array-like, default=100
        Grid size, or the grid itself (``>= 0``, monotonic; solved decreasing).
    fit_intercept, precompute, max_iter, tol, copy_X, positive, random_state, selection
        As :class:`ElasticNet`, applied to every fold and to the final fit.
    cv : int, cross-validation generator, iterable or None, default=None
        None means 5-fold ``KFold`` (no shuffling), as scikit-learn.
    verbose : int, default=0
        Print a line per finished fold.
    n_jobs : int or None, default=None
        Folds solved in parallel threads.
    rule : {"min", "1se"}, default="min"
        Which alpha the final model uses: the smallest mean CV error (scikit-learn's
        choice), or the largest alpha within one standard error of it (glmnet's
        ``lambda.1se``: a sparser model that predicts about as well). The mean and
        its standard error are over folds with equal weight, as scikit-learn's
        ``mse_path_``; ``cv.glmnet`` weights each fold by its rows, so with folds of
        unequal size the two can choose differently.
    penalty_weights : array-like of shape (n_features,), optional
        Per-feature penalty factors (0 = unpenalized).
    standardize : bool, default=False
        As :class:`ElasticNet` (glmnet's ``standardize=TRUE``). As glmnet, the grid
        comes from the standardized data and each fold is standardized with the
        scales of its own training rows.
    lower_bounds, upper_bounds : float or array-like of shape (n_features,), optional
        As :class:`ElasticNet` (glmnet's ``lower.limits`` / ``upper.limits``), for
        the grid, every fold and the final fit.

    Attributes
    ----------
    alpha_ : float
        Alpha of the final model (per ``rule``).
    alpha_min_, alpha_1se_ : float
        The minimum-error alpha and the one-standard-error alpha (at ``l1_ratio_``).
    l1_ratio_ : float
    alphas_ : ndarray of shape (n_alphas,) or (n_l1_ratio, n_alphas)
    mse_path_ : ndarray of shape (n_alphas, n_folds) or (n_l1_ratio, n_alphas, n_folds)
        Test mean squared error of each fold along the path; axes of length 1 (one
        fold, one alpha) are dropped, as scikit-learn does.
    cv_curve_ : CVCurve
        The curve at ``l1_ratio_`` (mean, standard error, ``plot()``).
    cv_curves_ : list of CVCurve
        One per ``l1_ratio``.
    coef_, intercept_, dual_gap_, n_iter_, n_features_in_, feature_names_in_
        Of the final model, fitted on all the data.
    """

    path_l1_ratio_fixed: float | None = None
    path = _PathFunction("enet_path")  # (scikit-learn's static method)

    def __init__(
        self,
        *,
        l1_ratio=0.5,
        eps=1e-3,
        alphas=100,
        fit_intercept=True,
        precompute="auto",
        max_iter=1000,
        tol=1e-4,
        cv=None,
        copy_X=True,
        verbose=0,
        n_jobs=None,
        positive=False,
        random_state=None,
        selection="cyclic",
        rule="min",
        penalty_weights=None,
        standardize=False,
        lower_bounds=None,
        upper_bounds=None,
    ):
        self.l1_ratio = l1_ratio
        self.eps = eps
        self.alphas = alphas
        self.fit_intercept = fit_intercept
        self.precompute = precompute
        self.max_iter = max_iter
        self.tol = tol
        self.cv = cv
        self.copy_X = copy_X
        self.verbose = verbose
        self.n_jobs = n_jobs
        self.positive = positive
        self.random_state = random_state
        self.selection = selection
        self.rule = rule
        self.penalty_weights = penalty_weights
        self.standardize = standardize
        self.lower_bounds = lower_bounds
        self.upper_bounds = upper_bounds

    def _constraint(self, n_features, scales=None):
        """``positive`` and the bounds as the problems take them (scaled by ``scales``)."""
        return coefficient_constraint(
            n_features, self.lower_bounds, self.upper_bounds, self.positive, scales
        )

    def _l1_ratios(self) -> list[float]:
        if self.path_l1_ratio_fixed is not None:
            return [self.path_l1_ratio_fixed]
        ratios = np.atleast_1d(np.asarray(self.l1_ratio, dtype=object))
        if ratios.size == 0:
            raise ValueError("l1_ratio is empty; pass a number in [0, 1] or a list of them.")
        return [check_l1_ratio(r) for r in ratios]

    def _fold_precompute(self):
        """``precompute`` for the folds' paths: a user's Gram matrix is of all of ``X``,
        so it serves no fold's training rows; each fold forms its own (``True``). The
        final fit on all the data checks and uses it as :class:`ElasticNet` does."""
        return True if hasattr(self.precompute, "__array__") else self.precompute

    def _final_estimator(self, alpha, l1_ratio) -> ElasticNet:
        return ElasticNet(
            alpha=alpha,
            l1_ratio=l1_ratio,
            fit_intercept=self.fit_intercept,
            precompute=self.precompute,
            max_iter=self.max_iter,
            tol=self.tol,
            positive=self.positive,
            random_state=self.random_state,
            selection=self.selection,
            penalty_weights=self.penalty_weights,
            standardize=self.standardize,
            lower_bounds=self.lower_bounds,
            upper_bounds=self.upper_bounds,
        )

    def fit(self, X, y, sample_weight=None, **params):
        """Cross-validate the path(s), choose alpha, refit on all the data.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
        sample_weight : array-like of shape (n_samples,), optional
            Weights the training loss of every fold and the test error
            (``np.average`` with the test weights), as scikit-learn.
        **params
            Metadata for the splitter (``groups``), only with
            ``sklearn.set_config(enable_metadata_routing=True)``, as scikit-learn.

        Returns
        -------
        self
        """
        if (fitted := self._dask_fit(X, y, sample_weight)) is not None:
            return fitted
        split_params, _ = route_fit(self, params, sample_weight, scorer_gets_weight=False)
        rule = check_rule(self.rule)
        l1_ratios = self._l1_ratios()
        check_nonnegative_scalar(self.tol, "tol")
        check_positive_int(self.max_iter, "max_iter")
        check_nonnegative_scalar(self.eps, "eps")
        X, y = validated_fit_input(self, X, y, y_numeric=True)
        if sp.issparse(X):
            # Small: the dense route (fold moments), as the fits themselves; else folds
            # slice rows.
            X = X.toarray(order="F") if solved_densely(X) else X.tocsr()
        y = np.asarray(y, dtype=np.float64)
        if y.ndim == 2 and y.shape[1] == 1:
            y = y.ravel()
        if y.ndim != 1:
            raise ValueError(
                f"y has shape {y.shape}; {type(self).__name__} fits one target. Fit one model "
                "per column."
            )
        y = check_finite_target(y)
        n_samples, n_features = X.shape
        h = check_sample_weight(sample_weight, n_samples)
        raw_weight = None if sample_weight is None else h * n_samples
        weights = check_penalty_weights(self.penalty_weights, n_features)
        if hasattr(self.precompute, "__array__"):
            check_gram_shape(self.precompute, n_features)  # before any fold is solved
        folds = check_folds(self.cv, X, y, False, split_params, rule)
        check_fold_weights(folds, sample_weight)
        by_moments = self._fold_moments_apply(X, folds)
        if not sp.issparse(X):
            # One layout: the same rounding for any input's. Rows (C order) where the
            # folds are summed as moments: those read X by rows only (a fold's rows, its
            # predictions), a KFold's test rows are then a view, and NumPy's default
            # layout needs no copy (6325x1581: the copy was 4% of a LassoCV).
            X = row_major_copy(X) if by_moments else fortran_copy(X)
        X_grid, grid_scales = standardize_design(X, h, self.standardize)
        self._constraint(n_features)  # bad bounds: a clear error before any fold
        grids = [self._grid(X_grid, y, h, weights, ratio, grid_scales) for ratio in l1_ratios]
        del X_grid
        rng_seed = check_random_state(self.random_state).randint(np.iinfo(np.int32).max)

        moments = self._fold_moments(X, y, h, folds) if by_moments else None
        if moments is not None and (
            # alpha = 0 leaves the compiled path for dense solves on G: in float64.
            any(np.any(grid <= 0) for grid in grids)
            or self.tol < _FOLD_SINGLE_GRAM_MIN_TOL
        ):
            moments.single_gram = False

        fold_precompute = self._fold_precompute()
        if isinstance(fold_precompute, str):
            fold_precompute = "path"  # (a whole path per fold)

        def fold_curve(index, fold, train, test):
            grid, ratio = grids[index], l1_ratios[index]
            if moments is not None:
                problem = moments.problem(fold, weights, ratio, self._constraint(n_features))
            else:
                h_train = h[train] / h[train].sum()
                # glmnet standardizes each fold with its training rows' scales.
                # (standardize: the scales of X[train]'s C order, to the last bit as before)
                rows = X[train] if self.standardize else fortran_rows(X, train)
                X_train, scales = standardize_design(rows, h_train, self.standardize)
                problem = LeastSquaresProblem(
                    X_train,
                    y[train],
                    h_train,
                    weights,
                    ratio,
                    self._constraint(n_features, scales),
                    self.fit_intercept,
                    fold_precompute,
                )
            rng = np.random.RandomState(rng_seed) if self.selection == "random" else None
            path = solve_path(problem, grid, self.tol, self.max_iter, rng, keep_state=False)
            if moments is None:
                path.coefs = to_original_units(path.coefs, scales)
            if moments is not None and moments.scores_from_moments(fold):
                mse = moments.test_mse(fold, path.intercepts, path.coefs)
            else:
                predictions = np.asarray(rows_of(X, test) @ path.coefs) + path.intercepts
                squared = (predictions - y[test][:, None]) ** 2
                test_weight = None if raw_weight is None else raw_weight[test]
                mse = np.average(squared, axis=0, weights=test_weight)
            if moments is not None:
                moments.release(problem)
            return mse, path.n_nonzero, path.converged.all()

        results = self._cross_validate(fold_curve, folds, len(l1_ratios))
        flat = [result for per_ratio in results for result in per_ratio]
        # One function turns fold paths into curves and the choice, here and on Dask.
        record_path_cv(self, flat, grids, l1_ratios, len(folds), rule)

        if moments is not None:
            self._refit_from_moments(moments, weights)
        else:
            final = self._final_estimator(self.alpha_, self.l1_ratio_)
            self._refit(final, X, y, sample_weight, ("coef_", "intercept_", "dual_gap_", "n_iter_"))
        return self

    def _fold_moments(self, X, y, h, folds):
        """Per-fold moments when the folds partition the rows of a tall dense ``X``
        (:meth:`_fold_moments_apply`), else None."""
        if not self._fold_moments_apply(X, folds):
            return None
        return _FoldMoments(X, y, h, [test for _, test in folds], self.fit_intercept)

    def _fold_moments_apply(self, X, folds) -> bool:
        """Whether the folds solve on moments (:class:`_FoldMoments`): when they
        partition the rows of a tall dense ``X``."""
        n, p = X.shape
        # standardize: every training fold has its own scales, not the total's moments.
        precompute = self._fold_precompute()
        if sp.issparse(X) or precompute is False or p > 4000 or self.standardize:
            return False
        # An elastic net's Gram folds only pay from n_train ≈ p/2 on (_FOLD_GRAM_MIN_RATIO_ENET).
        lasso = all(ratio == 1.0 for ratio in self._l1_ratios())
        min_ratio = _FOLD_GRAM_MIN_RATIO if lasso else _FOLD_GRAM_MIN_RATIO_ENET
        if precompute == "auto" and min(train.size for train, _ in folds) < (
            min_ratio * p
        ):
            return False
        tests = [test for _, test in folds]
        covered = np.bincount(np.concatenate(tests), minlength=n)
        if covered.max() != 1 or covered.min() != 1:
            return False
        return all(train.size + test.size == n for train, test in folds)

    def _refit_from_moments(self, moments, weights) -> None:
        """The final model from the full-data moments (no second pass over ``X``)."""
        constraint = self._constraint(weights.size)
        problem = moments.problem(None, weights, self.l1_ratio_, constraint)
        info = solve_and_check(problem, self.alpha_, problem.alpha_max, self.tol, self.max_iter)
        self._store_coef([problem.coef], [problem.intercept], 1, moments.dtype)
        self.dual_gap_, self.n_iter_ = info.duality_gap, info.n_iter

    def _grid(self, X, y, h, weights, l1_ratio, scales=None) -> np.ndarray:
        """:func:`~._cv.elastic_net_alpha_grid` with this estimator's settings."""
        constraint = self._constraint(X.shape[1], scales)
        return elastic_net_alpha_grid(
            X, y, h, weights, l1_ratio, self.alphas, self.eps, constraint, self.fit_intercept
        )

    def get_metadata_routing(self):
        """The router: ``groups`` (and other split metadata) go to the splitter."""
        from sklearn.model_selection import check_cv

        return splitter_router(self, check_cv(self.cv))

    @property
    def sparse_coef_(self):
        return sp.csr_matrix(np.atleast_2d(self.coef_))


#: Each fold solves a whole path, on its Gram matrix when its training set has at
#: least this many rows per feature. The path's exact active-set steps
#: (:mod:`shrinkage.solvers._gram_active_set`) made the Gram path the faster one from
#: about n = p/2 on (AR(1) rho=0.6, tol 1e-4, CPU s, Gram vs residual: 500x1000 0.49
#: vs 1.17, 800x1000 0.65 vs ~12), and down to n_train ≈ p/4 (5-fold LassoCV, 100
#: alphas, CPU s, Gram vs residual folds: 577x1732 rho 0 0.67 vs 1.47, rho 0.6 0.60
#: vs 1.61, rho 0.95 0.54 vs 1.49; 450x1732 rho 0.6 0.55 vs 0.87; default LassoCV()
#: on 577x1732 rho 0.6 0.61 vs 1.80), not at n_train ≈ p/12 (316x3162: 1.88 vs
#: 1.00); the moments (one pass over X, the training sets' as total minus fold) then
#: also save a Gram matrix per fold.
_FOLD_GRAM_MIN_RATIO = 0.2
#: The same for an elastic net (some ``l1_ratio < 1``): the Gram path loses below
#: n_train ≈ p/2. Measured when its active-set factor was rebuilt at every alpha
#: (577x1732 rho 0.6, ElasticNetCV(l1_ratio=0.5), CPU s: 6.3 on Gram folds vs 1.8 on
#: residual folds) and again with the factor kept over alphas (_gram_steps.FACTOR_MAX_SHIFT;
#: tol 1e-4, load 4, Gram vs residual folds: 577x1732 1.85 vs 0.89, 1000x1500 (n_train/p
#: 0.53) 2.02 vs 1.75, 800x1000 (0.64) 0.78 vs 0.83): the break-even stays near 0.5-0.6.
_FOLD_GRAM_MIN_RATIO_ENET = 0.5
#: Float32 data: the folds' Gram matrices are kept in float32 from this many features
#: on, where a float64 ``G`` (≥ 0.7 MB) no longer sits in a core's cache next to the
#: path's factor. 5-fold LassoCV, 100 alphas, CPU s, float64 vs float32 fold Gram
#: (interleaved runs, min of 6): 1414x707 rho 0.6 0.346 vs 0.307, rho 0 0.287 vs
#: 0.259; 2000x500 rho 0 0.084 vs 0.077, rho 0.6 0.101 vs 0.093; 3162x316 rho 0.6
#: 0.0425 vs 0.0419; below, none (6325x158: 0.0225 vs 0.0228).
_SINGLE_GRAM_MIN_FEATURES = 300
#: ... and only at a ``tol`` from this one on (a whole path's float32 route has the same
#: bound, :data:`~shrinkage.solvers._single_gram.SINGLE_GRAM_MIN_TOL`). Tighter, the
#: float32 rounding of ``G`` decides: it tilts the flat directions of exactly collinear
#: columns (one-hot groups that each sum to one, with an intercept): on a support that
#: holds a whole group the optimum moves to the end of a face that was flat, and
#: coordinate descent creeps along it (~3e-8 a round) instead of converging (700x1000
#: one-hot plus 0/1 columns, sample weights, 5-fold LassoCV at tol 1e-8: 9 of 30
#: alphas of one fold still 2-6e-8 off after 100000 rounds each, 446 s in all; on
#: float64 Gram matrices 12 s, every fold converged, the same alpha_ as scikit-learn).
_FOLD_SINGLE_GRAM_MIN_TOL = SINGLE_GRAM_MIN_TOL
#: Float32 folds with fewer training rows than this share of the features sweep their
#: float32 ``G`` with the compiled path's rounded rounds (float32 gradient during a
#: round, ``q − Gβ`` recomputed from ``G`` before each check, as the float32 route of
#: :mod:`~shrinkage.solvers._single_gram`) instead of updating a float64 gradient from
#: float32 columns. The wider the folds, the more it gains (5-fold LassoCV, 100
#: alphas, tol 3.16e-5, CPU s, min of 3 interleaved, n_train/p: new vs old): 800x3000
#: rho 0.3 (0.21) 1.03 vs 2.49, 577x1732 rho 0.6 (0.27) 0.28 vs 0.49, 1000x2700 rho
#: 0.3 (0.30) 1.26 vs 1.91, 700x1400 rho 0.5 (0.40) 0.31 vs 0.35, 1414x2000 rho 0.3
#: (0.57) 0.85 vs 1.01; from n_train ≈ 0.8p on no gain (1000x1000 rho 0.6 0.99x,
#: 3162x3162 rho 0.6 1.09x) nor on tall folds (stop 27: 0.90-1.06x). The same alpha_
#: every time; mse_path_ within 4e-4 (relative) of the old route's, both at the tol.
_FOLD_SINGLE_ROUNDS_MAX_RATIO = 0.6
#: Float64 data: from ROUNDED_SWEEPS_MIN_FEATURES on (:mod:`..solvers.constants`), the
#: folds' compiled paths sweep from their start on a float32 copy of ``G``
#: (``GramDesign.sweep_gram``), with their KKT checks and duality gaps on the float64
#: ``G`` (:func:`~shrinkage.solvers._gram_path.gram_path`: the gradient is recomputed
#: exactly before each check), as float32 data's paths. The sweeps, the extrapolations
#: and the active-set steps stream ``G``'s columns (and the factor, float32 with it):
#: half the memory traffic. 5-fold LassoCV, 100 alphas, the calibrated tol, CPU s,
#: min of 2-3 interleaved, float64 G vs float32 sweeps: 4472x2236 rho 0.6 5.64 vs
#: 3.96, 6325x1581 rho 0.6 1.55 vs 1.19, 4472x2236 rho 0
#: 3.72 vs 2.95, 1000x1000 rho 0.6 1.28 vs 0.87, 800x3000 rho 0.6 2.60 vs 1.66,
#: 1414x707 rho 0.6 0.46 vs 0.32; 2000x500 rho 0.95 0.099 vs 0.101, 3162x316 rho 0.95
#: 0.045 vs 0.046; below, none (6325x158 rho 0: 0.019 vs 0.020). A float64 factor
#: instead (exact steps) was 7-34% slower, and no more accurate at the folds' tol
#: (1000x1000 rho 0.6, tol 1e-4: mse_path_ within 3.1e-4 of a tol 1e-9 fit with
#: float64 sweeps, 4.4e-4 with float32 ones, the same alpha_). (A whole path switches
#: to it only once it proves hard: :func:`~shrinkage.solvers.gram_route.solve_on_gram`. A fold's
#: copy pays at once: the folds share one buffer, no fresh pages.)


class _FoldMoments:
    """Moments of each held-out fold; a training set's are the total minus its fold's."""

    def __init__(self, X, y, h, tests, fit_intercept):
        # Any shift near the means serves (the moments are exact for any): in X's own
        # dtype, as numpy's mixed float32 @ float64 product is a slow non-BLAS loop.
        if fit_intercept:
            self.shift_x = np.asarray(h.astype(X.dtype) @ X, dtype=np.float64)
        else:
            self.shift_x = np.zeros(X.shape[1])
        self.shift_y = float(h @ y) if fit_intercept else 0.0
        self.fit_intercept = fit_intercept
        self.dtype = X.dtype
        self.single_gram = X.dtype == np.float32 and X.shape[1] >= _SINGLE_GRAM_MIN_FEATURES
        # Float64 data: the folds keep G in float64 (their checks and gaps) and sweep on
        # a float32 copy (ROUNDED_SWEEPS_MIN_FEATURES).
        self.rounded_sweeps = (
            X.dtype == np.float64 and X.shape[1] >= constants.ROUNDED_SWEEPS_MIN_FEATURES
        )
        # X is row-major (fit): a fold's rows, a view or a copy, are what the row
        # blocks of of_groups read fastest. Only the upper triangles: the training
        # sets' designs read no other (MomentsDesign.of_difference); the total and a
        # fold scored from its moments are mirrored (_mirrored).
        self.folds = [
            Moments.of_groups(
                rows_of(X, test), y[test], h[test], self.shift_x, self.shift_y, mirror=False
            )[0]
            for test in tests
        ]
        self.total = _mirrored(_summed(self.folds))
        self._spare_grams: list[np.ndarray] = []  # (release, problem)
        self._spare_sweep_grams: list[np.ndarray] = []

    def _wide(self, fold: int) -> bool:
        """Whether ``fold``'s training set has fewer rows than
        ``_FOLD_SINGLE_ROUNDS_MAX_RATIO`` times the features."""
        train_rows = self.total.rows - self.folds[fold].rows
        return train_rows < _FOLD_SINGLE_ROUNDS_MAX_RATIO * self.shift_x.shape[0]

    def scores_from_moments(self, fold: int) -> bool:
        """Whether the test error of ``fold`` is cheaper from its moments (``p²`` per
        alpha) than from predictions (``n_test·p`` per alpha): when ``p ≤ n_test``."""
        moments = self.folds[fold]
        return moments.x.shape[0] <= moments.rows and moments.weight > 0

    def test_mse(self, fold: int, intercepts, coefs) -> np.ndarray:
        """Weighted test MSE of each column of ``coefs`` on ``fold``'s rows, from their
        moments (:meth:`Moments.sse` over the fold's weight ``Σ_test h``): the same
        number as ``np.average((y − β₀ − Xβ)², weights=h)`` without a pass over ``X``."""
        moments = self.folds[fold] = _mirrored(self.folds[fold])
        sse = moments.sse(intercepts, coefs, self.shift_x, self.shift_y)
        return sse / moments.weight

    def release(self, problem: LeastSquaresProblem) -> None:
        """``problem``'s Gram matrix, of a fold whose path is done, for the next fold's.

        A fold's ``G`` is a fresh ``p²`` array otherwise, its pages touched anew: on a
        virtual machine that hands freed memory back to the host, ~2.5 ms of system
        time per MB (800x3000: 72 MB a fold)."""
        design = problem.design
        self._spare_grams.append(design.gram)
        if design.sweep_gram is not None and design.sweep_gram is not design.gram:
            self._spare_sweep_grams.append(design.sweep_gram)

    def problem(self, fold, penalty_weights, l1_ratio, positive) -> LeastSquaresProblem:
        design = None
        if fold is not None:
            # Float32 data: the folds' paths on a float32 Gram (half the memory traffic
            # of the path's steps, rounding at the data's own precision, as
            # scikit-learn's float32 folds); the final fit keeps float64, so dual_gap_
            # certifies the full-precision problem. Only while every coefficient starts
            # at zero (all penalized): the gradient is then q whatever G's precision.
            single = self.single_gram and np.all(penalty_weights > 0)
            try:
                spare = self._spare_grams.pop()
            except IndexError:  # (pop, not a test first: folds may run in threads)
                spare = None
            design = MomentsDesign.of_difference(
                self.total,
                self.folds[fold],
                self.fit_intercept,
                np.float32 if single else np.float64,
                spare,
            )
            if self.rounded_sweeps:
                design.sweep_gram = _rounded_copy(design.gram, self._spare_sweep_grams)
            elif single and self._wide(fold):
                design.sweep_gram = design.gram  # (rounded rounds on G itself)
        return LeastSquaresProblem.from_moments(
            self.total,
            self.shift_x,
            self.shift_y,
            penalty_weights,
            l1_ratio,
            positive,
            self.fit_intercept,
            design,
        )


def _rounded_copy(gram: np.ndarray, spares: list[np.ndarray]) -> np.ndarray:
    """``gram`` rounded to float32, Fortran-ordered, in one of ``spares`` (a released
    fold's: no fresh pages, see :meth:`_FoldMoments.release`) when there is one."""
    try:
        out = spares.pop()
    except IndexError:  # (pop, not a test first: folds may run in threads)
        return np.asfortranarray(gram, dtype=np.float32)
    if out.shape != gram.shape:
        return np.asfortranarray(gram, dtype=np.float32)
    np.copyto(out, gram, casting="same_kind")
    return out


def _summed(parts: list[Moments]) -> Moments:
    """``parts[0] + parts[1] + …`` (the same sums, in the same order), with one ``p × p``
    array instead of a temporary per addition."""
    total = replace(parts[0], xx=parts[0].xx.copy(order="F"))
    for part in parts[1:]:
        total.xx += part.xx
        total = replace(
            total,
            weight=total.weight + part.weight,
            x=total.x + part.x,
            y=total.y + part.y,
            xy=total.xy + part.xy,
            yy=total.yy + part.yy,
            rows=total.rows + part.rows,
            min_weight=min(total.min_weight, part.min_weight),
            symmetric=total.symmetric and part.symmetric,
        )
    return total


def _mirrored(moments: Moments) -> Moments:
    """``moments`` with ``xx``'s lower triangle set from its upper one (in place)."""
    if not moments.symmetric:
        mirror_upper_triangle(moments.xx)
        moments.symmetric = True
    return moments


@inherit_entries(ElasticNetCV, ElasticNet)
class LassoCV(ElasticNetCV):
    """Lasso with ``alpha`` chosen by K-fold cross-validation (and the 1-SE rule).

    :class:`ElasticNetCV` with ``l1_ratio=1``; same parameters otherwise, and the
    same attributes as ``sklearn.linear_model.LassoCV`` plus ``alpha_1se_``,
    ``alpha_min_`` and ``cv_curve_``.
    """

    path_l1_ratio_fixed = 1.0
    path = _PathFunction("lasso_path")

    def __init__(
        self,
        *,
        eps=1e-3,
        alphas=100,
        fit_intercept=True,
        precompute="auto",
        max_iter=1000,
        tol=1e-4,
        copy_X=True,
        cv=None,
        verbose=False,
        n_jobs=None,
        positive=False,
        random_state=None,
        selection="cyclic",
        rule="min",
        penalty_weights=None,
        standardize=False,
        lower_bounds=None,
        upper_bounds=None,
    ):
        super().__init__(
            l1_ratio=1.0,
            eps=eps,
            alphas=alphas,
            fit_intercept=fit_intercept,
            precompute=precompute,
            max_iter=max_iter,
            tol=tol,
            cv=cv,
            copy_X=copy_X,
            verbose=verbose,
            n_jobs=n_jobs,
            positive=positive,
            random_state=random_state,
            selection=selection,
            rule=rule,
            penalty_weights=penalty_weights,
            standardize=standardize,
            lower_bounds=lower_bounds,
            upper_bounds=upper_bounds,
        )
