"""``CoxPH`` and ``CoxPHCV``: penalized Cox proportional hazards, equal to R's glmnet.

The objective, with ``h = w / Σw`` (``1/n`` without sample weights), is

.. math::

    F(X\\beta + \\text{offset}) + \\alpha \\sum_j v_j
        \\Big(\\rho|\\beta_j| + \\frac{1-\\rho}{2}\\beta_j^2\\Big),

``F`` the negative log partial likelihood of :class:`shrinkage.datafits.cox.Cox`
(Breslow's or Efron's ties), ``ρ = l1_ratio``, ``v = penalty_weights``. With Breslow
ties this is R glmnet's ``family="cox"`` at ``lambda = alpha`` and glmnet's
``alpha = l1_ratio`` (``standardize=FALSE``; glmnet rescales ``penalty.factor`` to sum
to ``p``, pass it so rescaled). There is no intercept: ``F`` is unchanged by a shift of
``η``. It is solved by the generic proximal-Newton solver
(:class:`shrinkage.solvers.glm.GLMProblem`) through the one solve step
(:func:`shrinkage.solvers.step.solve_and_check`); ``CoxPHCV``'s fold paths go through
:func:`shrinkage.path.solve_path`, compiled on dense ``X`` with Breslow ties
(:mod:`shrinkage.solvers._cox_kernels`).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted, validate_data

from .._fitted import warm_start_coef
from .._validation import (
    check_boolean_parameters,
    check_finite_data,
    check_l1_ratio,
    check_nonnegative_scalar,
    check_numeric,
    check_penalty_weights,
    check_positive_int,
    check_sample_weight,
    raw_sample_weight,
)
from ..datafits.cox import (
    TIES,
    Cox,
    CoxTarget,
    breslow_baseline,
    concordance_index,
    cumulative_hazard_function,
    survival_function,
)
from ..path import _check_offset, make_problem, solve_path
from ..selection import (
    CVCurve,
    check_fold_weights,
    check_folds,
    check_rule,
    run_folds,
)
from ..solvers.standardize import (
    coefficient_constraint,
    standardize_design,
    to_original_units,
    to_scaled_units,
)
from ..solvers.step import check_finite_solution, solve_and_check
from ._cv import cv_alpha_grid

__all__ = ["CoxPH", "CoxPHCV"]

_SPARSE_FORMATS = ["csr", "csc", "coo"]
SCORINGS = ("deviance", "C")


# ---------------------------------------------------------------------- input


def _check_X(estimator, X, reset: bool):
    if reset:  # fit
        check_boolean_parameters(estimator)
    check_numeric(X, "X")
    X = validate_data(
        estimator,
        X,
        reset=reset,
        accept_sparse=_SPARSE_FORMATS,
        dtype=[np.float64, np.float32],
        ensure_all_finite=False,
    )
    check_finite_data(X, "X")
    return X


def _check_survival(y, ties: str, n_samples: int) -> CoxTarget:
    """The survival target, sorted once, with one row per sample of ``X``."""
    if y is None:
        raise ValueError(
            "CoxPH needs a survival target y: a 2-column array (time, event) or a "
            "scikit-survival structured array."
        )
    target = Cox(ties).check_target(y)
    if len(target) != n_samples:
        raise ValueError(
            f"X has {n_samples} samples but y has {len(target)}; they must match row for row."
        )
    return target


def _check_ties(ties) -> str:
    if ties not in TIES:
        raise ValueError(
            f"ties must be 'breslow' (glmnet's) or 'efron' (survival::coxph's default), "
            f"got {ties!r}."
        )
    return ties


# ---------------------------------------------------------------------- CoxPH


class _CoxPredictions:
    """Risk scores, survival curves and the C-index of a fitted Cox model (``coef_``,
    ``unique_times_``, ``baseline_cumulative_hazard_``)."""

    def predict(self, X, offset=None) -> np.ndarray:
        """Risk score ``η = Xβ (+ offset)``: higher means an earlier event."""
        check_is_fitted(self)
        X = _check_X(self, X, reset=False)
        eta = np.asarray(X @ self.coef_, dtype=np.float64).ravel()
        offset = _check_offset(offset, X.shape[0])
        return eta if offset is None else eta + offset

    def _times(self, times) -> np.ndarray:
        if times is None:
            return self.unique_times_
        times = np.atleast_1d(np.asarray(times, dtype=np.float64))
        if times.ndim != 1 or not np.isfinite(times).all():
            raise ValueError("times must be a 1-D array of finite numbers.")
        return times

    def predict_cumulative_hazard(self, X, times=None, offset=None) -> np.ndarray:
        """``H(t | x) = Ĥ₀(t)·exp(η(x))`` with Breslow's ``Ĥ₀`` (a step function).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        times : array-like of shape (n_times,), optional
            Where to evaluate; default ``unique_times_``.
        offset : array-like of shape (n_samples,), optional

        Returns
        -------
        ndarray of shape (n_samples, n_times)
        """
        eta = self.predict(X, offset)
        return cumulative_hazard_function(
            self.unique_times_, self.baseline_cumulative_hazard_, self._times(times), eta
        )

    def predict_survival_function(self, X, times=None, offset=None) -> np.ndarray:
        """``S(t | x) = exp(−Ĥ₀(t)·exp(η(x)))`` with Breslow's ``Ĥ₀``.

        Returns numbers, shape ``(n_samples, n_times)``, at ``times`` (default
        ``unique_times_``); ``S = 1`` before the first event time.
        """
        eta = self.predict(X, offset)
        return survival_function(
            self.unique_times_, self.baseline_cumulative_hazard_, self._times(times), eta
        )

    def score(self, X, y, sample_weight=None) -> float:
        """Harrell's concordance index of ``predict(X)`` for the survival target ``y``.

        With ``sample_weight`` the pair ``(i, j)`` counts ``w_i w_j`` times (R's
        ``survival::concordance(weights=)``, as ``cv.glmnet``'s ``type.measure="C"``).
        """
        risk = self.predict(X)
        target = _check_survival(y, "breslow", risk.shape[0])
        weights = None if sample_weight is None else check_sample_weight(sample_weight, len(risk))
        return concordance_index(target.time, target.event, risk, weights)


class CoxPH(_CoxPredictions, BaseEstimator):
    """Cox proportional hazards with an elastic-net penalty (glmnet's ``family="cox"``).

    Minimizes

    .. math::

        -\\frac{1}{\\sum_i w_i}\\,\\log PL(\\beta) + \\alpha \\sum_j v_j
        \\Big(\\rho|\\beta_j| + \\frac{1-\\rho}{2}\\beta_j^2\\Big)

    where ``log PL`` is the (weighted) log partial likelihood of ``η = Xβ + offset``
    with Breslow's or Efron's handling of tied event times. With ``ties="breslow"``
    the coefficients equal R glmnet's ``glmnet(x, y, family="cox", lambda=alpha,
    alpha=l1_ratio, standardize=FALSE)``. Censored subjects tied with an event are in
    its risk set. There is no intercept (the partial likelihood ignores shifts of η).

    Parameters
    ----------
    alpha : float, default=1.0
        Penalty strength ``>= 0`` (glmnet's ``lambda``).
    l1_ratio : float, default=1.0
        Mix in [0, 1]: 1 is the lasso, 0 is ridge (glmnet's ``alpha``).
    ties : {"breslow", "efron"}, default="breslow"
        Tied event times: Breslow (glmnet's only choice) or Efron (``coxph``'s default).
    penalty_weights : array-like of shape (n_features,), optional
        Per-feature factors ``v_j >= 0``; 0 leaves a feature unpenalized.
    tol : float, default=1e-7
        Stop when the largest violation of the optimality (KKT) conditions is at most
        ``tol·‖Xᵀ∇F(offset)‖∞`` (relative to the gradient at ``β = 0``).
    max_iter : int, default=1000
        Most proximal-Newton steps.
    warm_start : bool, default=False
        Start from the previous ``coef_``.
    standardize : bool, default=False
        glmnet's ``standardize=TRUE``: fit in the columns ``x_j / s_j`` (``s_j`` their
        weighted 1/n standard deviation; per training fold in CV), coefficients
        returned in original units (:mod:`shrinkage.solvers.standardize`).
    lower_bounds, upper_bounds : float or array-like of shape (n_features,), optional
        Box constraints ``lower_j ≤ β_j ≤ upper_j`` (glmnet's ``lower.limits`` /
        ``upper.limits``; ``lower ≤ 0 ≤ upper``), in original units.

    Attributes
    ----------
    coef_ : ndarray of shape (n_features,)
        Log hazard ratios.
    n_iter_ : int
        Proximal-Newton steps taken.
    dual_gap_ : float
        The Cox datafit has no closed-form dual, so this is the largest KKT violation
        reached (in the objective's units), the solver's stopping criterion.
    baseline_cumulative_hazard_ : ndarray of shape (n_event_times,)
        Breslow's estimate ``Ĥ₀`` at ``unique_times_`` (for ``η = Xβ + offset``).
    unique_times_ : ndarray of shape (n_event_times,)
        Distinct event times of the training data, increasing.
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Only when ``X`` has column names.

    Notes
    -----
    ``y`` is a 2-column array ``(time, event)`` (event 1 = observed, 0 = censored) or
    a scikit-survival structured array (a boolean event field and a numeric time
    field). ``predict`` gives the risk score ``η = Xβ``; ``score`` Harrell's C-index.
    """

    def __init__(
        self,
        alpha=1.0,
        *,
        l1_ratio=1.0,
        ties="breslow",
        penalty_weights=None,
        tol=1e-7,
        max_iter=1000,
        warm_start=False,
        standardize=False,
        lower_bounds=None,
        upper_bounds=None,
    ):
        self.alpha = alpha
        self.l1_ratio = l1_ratio
        self.ties = ties
        self.penalty_weights = penalty_weights
        self.tol = tol
        self.max_iter = max_iter
        self.warm_start = warm_start
        self.standardize = standardize
        self.lower_bounds = lower_bounds
        self.upper_bounds = upper_bounds

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        tags.target_tags.required = True
        return tags

    def fit(self, X, y, sample_weight=None, offset=None):
        """Fit the penalized Cox model.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : array-like of shape (n_samples, 2), or structured array of shape (n_samples,)
            ``(time, event)`` per sample.
        sample_weight : array-like of shape (n_samples,), optional
            Case weights (only their ratios matter).
        offset : array-like of shape (n_samples,), optional
            Fixed part of the linear predictor (glmnet's ``offset``).

        Returns
        -------
        self
        """
        alpha = check_nonnegative_scalar(self.alpha, "alpha")
        l1_ratio = check_l1_ratio(self.l1_ratio)
        ties = _check_ties(self.ties)
        check_nonnegative_scalar(self.tol, "tol")
        max_iter = check_positive_int(self.max_iter, "max_iter")
        X = _check_X(self, X, reset=True)
        n_samples, n_features = X.shape
        target = _check_survival(y, ties, n_samples)
        h = check_sample_weight(sample_weight, n_samples)
        weights = check_penalty_weights(self.penalty_weights, n_features)
        offset = _check_offset(offset, n_samples)
        X_given = X
        X, scales = standardize_design(X, h, self.standardize)
        problem = make_problem(
            X,
            target,
            loss=Cox(ties),
            h=h,
            penalty_weights=weights,
            l1_ratio=l1_ratio,
            positive=coefficient_constraint(
                n_features, self.lower_bounds, self.upper_bounds, False, scales
            ),
            fit_intercept=False,
            offset=offset,
        )
        previous_alpha = problem.alpha_max
        coef = warm_start_coef(self, (n_features,))
        if coef is not None:
            problem.set_coef(problem.box.project(to_scaled_units(coef, scales)))
            previous_alpha = alpha
        info = solve_and_check(problem, alpha, previous_alpha, self.tol, max_iter)
        self.coef_ = np.array(to_original_units(problem.coef, scales), dtype=np.float64)
        self.n_iter_ = int(info.n_iter)
        self.dual_gap_ = float(info.duality_gap)
        # η of X as given (the solver works on centred columns: η up to a shift),
        # the scale predict() applies Ĥ₀ on.
        eta = np.asarray(X_given @ self.coef_).ravel() + (0.0 if offset is None else offset)
        self._set_baseline(target, eta, h)
        return self

    def _set_baseline(self, target: CoxTarget, eta: np.ndarray, h: np.ndarray) -> None:
        """Breslow's baseline cumulative hazard at the fitted linear predictor."""
        self.unique_times_, self.baseline_cumulative_hazard_ = breslow_baseline(
            target.time, target.event, eta, weights=h
        )


# ---------------------------------------------------------------------- CV


def _saturated(target: CoxTarget, h: np.ndarray) -> float:
    """``Σ_k H_k log H_k`` over distinct event times (``H_k``: summed ``h`` of deaths)."""
    ev = target.event & (h > 0)
    _, inverse = np.unique(target.time[ev], return_inverse=True)
    big_h = np.bincount(inverse.ravel(), weights=h[ev])
    return float(np.dot(big_h, np.log(big_h)))


class _DevianceScorer:
    """R's ``coxnet.deviance`` (``std.weights=TRUE``) of one data set, many η:
    ``2·n·(F(η) − Σ_k H_k log H_k)`` with the target sorted once."""

    def __init__(self, cox: Cox, target: CoxTarget, h: np.ndarray):
        self.cox, self.target, self.h = cox, target, h
        self.n = len(target)
        self.saturated = _saturated(target, h)

    def __call__(self, eta: np.ndarray) -> float:
        return 2.0 * self.n * (self.cox.value(self.target, eta, self.h) - self.saturated)


class CoxPHCV(_CoxPredictions, BaseEstimator):
    """:class:`CoxPH` with ``alpha`` chosen by K-fold cross-validation (glmnet's
    ``cv.glmnet(family="cox")``).

    Every fold solves the whole path on one grid (from the full data's ``alpha_max``
    down to ``eps·alpha_max``) with warm starts and strong rules. Measures:

    - ``"deviance"`` (glmnet's default, ``grouped=TRUE``): for fold ``k`` with training
      coefficients ``β_k``, ``(D(all data, β_k) − D(training data, β_k)) / E_k`` where
      ``D`` is glmnet's ``coxnet.deviance`` (weights rescaled to sum to the rows used)
      and ``E_k`` the summed weight of the fold's events: the partial likelihood the
      held-out fold adds, which stays defined for small folds;
    - ``"C"``: Harrell's C-index of the fold's risk scores ``X_k β_k`` (with
      ``sample_weight`` the pair ``(i, j)`` counts ``w_i w_j``, as glmnet's ``Cindex``;
      reported negated in ``cv_curve_.fold_errors`` so lower is better; ``cv_results_``
      keeps the C-index itself).

    Folds are averaged as glmnet's ``cvstats``: weighted by ``E_k`` (deviance) or
    by the fold's summed weight (C), with ``se = sqrt(Σ W_k(e_k − m)²/ΣW_k/(K−1))``.

    Parameters
    ----------
    l1_ratio : float, default=1.0
    alphas : int or array-like, default=100
        Grid size, or the grid itself (solved decreasing).
    eps : float, default=1e-3
        ``alpha_min / alpha_max`` of the automatic grid.
    ties : {"breslow", "efron"}, default="breslow"
    penalty_weights : array-like of shape (n_features,), optional
    scoring : {"deviance", "C"}, default="deviance"
    cv : int, cross-validation generator or iterable, default=None
        5-fold ``KFold`` (unshuffled: shuffle rows sorted by time first, or pass
        ``KFold(5, shuffle=True)``). ``PredefinedSplit(foldid − 1)`` reproduces a
        ``cv.glmnet(foldid=foldid)`` run.
    rule : {"min", "1se"}, default="min"
        The final model's alpha: the best CV measure, or the largest alpha within
        one standard error of it (glmnet's ``lambda.1se``).
    tol, max_iter
        As :class:`CoxPH`, for every fold and the final fit.
    n_jobs : int, optional
        Folds solved in parallel threads.
    verbose : int, default=0
        A line per finished fold.
    standardize : bool, default=False
        glmnet's ``standardize=TRUE``: fit in the columns ``x_j / s_j`` (``s_j`` their
        weighted 1/n standard deviation; per training fold in CV), coefficients
        returned in original units (:mod:`shrinkage.solvers.standardize`).
    lower_bounds, upper_bounds : float or array-like of shape (n_features,), optional
        Box constraints ``lower_j ≤ β_j ≤ upper_j`` (glmnet's ``lower.limits`` /
        ``upper.limits``; ``lower ≤ 0 ≤ upper``), in original units.

    Attributes
    ----------
    alpha_, alpha_min_, alpha_1se_ : float
    alphas_ : ndarray of shape (n_alphas,)
    cv_curve_ : CVCurve
        Fold errors, weighted mean and standard error, ``plot()``.
    cv_results_ : dict of ndarray
        ``alphas``, ``mean``, ``std_error`` (of the measure as named by ``scoring``,
        C-index not negated), ``fold_values`` (n_alphas, n_folds), ``n_nonzero``.
    coef_, n_iter_, dual_gap_, baseline_cumulative_hazard_, unique_times_
        Of the final :class:`CoxPH` fitted on all the data at ``alpha_``.
    n_features_in_, feature_names_in_
    """

    def __init__(
        self,
        *,
        l1_ratio=1.0,
        alphas=100,
        eps=1e-3,
        ties="breslow",
        penalty_weights=None,
        scoring="deviance",
        cv=None,
        rule="min",
        tol=1e-7,
        max_iter=1000,
        n_jobs=None,
        verbose=0,
        standardize=False,
        lower_bounds=None,
        upper_bounds=None,
    ):
        self.l1_ratio = l1_ratio
        self.alphas = alphas
        self.eps = eps
        self.ties = ties
        self.penalty_weights = penalty_weights
        self.scoring = scoring
        self.cv = cv
        self.rule = rule
        self.tol = tol
        self.max_iter = max_iter
        self.n_jobs = n_jobs
        self.verbose = verbose
        self.standardize = standardize
        self.lower_bounds = lower_bounds
        self.upper_bounds = upper_bounds

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        tags.target_tags.required = True
        return tags

    def _grid(self, alpha_max: float) -> np.ndarray:
        return cv_alpha_grid(self.alphas, self.eps, self.l1_ratio, lambda: alpha_max)

    def fit(self, X, y, sample_weight=None, offset=None):
        """Cross-validate the path, choose alpha, refit on all the data.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : array-like of shape (n_samples, 2), or structured array
        sample_weight : array-like of shape (n_samples,), optional
        offset : array-like of shape (n_samples,), optional

        Returns
        -------
        self
        """
        rule = check_rule(self.rule)
        if self.scoring not in SCORINGS:
            raise ValueError(
                f"scoring must be 'deviance' (glmnet's default) or 'C' (Harrell's "
                f"C-index), got {self.scoring!r}."
            )
        l1_ratio = check_l1_ratio(self.l1_ratio)
        ties = _check_ties(self.ties)
        check_nonnegative_scalar(self.tol, "tol")
        check_nonnegative_scalar(self.eps, "eps")
        max_iter = check_positive_int(self.max_iter, "max_iter")
        X = _check_X(self, X, reset=True)
        if sp.issparse(X):
            X = X.tocsr()  # folds slice rows
        n_samples, n_features = X.shape
        target = _check_survival(y, ties, n_samples)
        h = check_sample_weight(sample_weight, n_samples)
        raw_weight = raw_sample_weight(sample_weight, n_samples)
        weights = check_penalty_weights(self.penalty_weights, n_features)
        offset = _check_offset(offset, n_samples)
        eta_offset = np.zeros(n_samples) if offset is None else offset
        folds = check_folds(
            self.cv, X, np.column_stack([target.time, target.event]), False, rule=rule
        )
        check_fold_weights(folds, sample_weight)
        for index, (train, _) in enumerate(folds, start=1):
            if not np.any(target.event[train] & (h[train] > 0)):
                raise ValueError(
                    f"The training part of fold {index} has no events; the Cox model "
                    "cannot be fitted there. Use fewer folds or shuffle the rows."
                )

        def problem_of(rows):
            """The problem on ``rows`` (all when None), standardized on those rows as
            cv.glmnet does, and its column scales (None without standardize)."""
            h_rows = h if rows is None else h[rows] / h[rows].sum()
            X_rows, scales = standardize_design(
                X if rows is None else X[rows], h_rows, self.standardize
            )
            return make_problem(
                X_rows,
                target if rows is None else target[rows],
                loss=Cox(ties),  # one datafit per problem: its cache is per thread
                h=h_rows,
                penalty_weights=weights,
                l1_ratio=l1_ratio,
                positive=coefficient_constraint(
                    n_features, self.lower_bounds, self.upper_bounds, False, scales
                ),
                fit_intercept=False,
                offset=offset if offset is None or rows is None else offset[rows],
            ), scales

        grid = self._grid(problem_of(None)[0].alpha_max)
        deviance = self.scoring == "deviance"
        # glmnet's Cindex weights the pair (i, j) by w_i w_j (None: every pair once)
        pair_weights = None if sample_weight is None else raw_weight

        def fold_path(train, test):
            problem, scales = problem_of(train)
            if deviance:
                full_deviance = _DevianceScorer(Cox(ties), target, h)
                train_deviance = _DevianceScorer(Cox(ties), problem.y, problem.h)
            values = np.empty(grid.size)
            n_nonzero = np.empty(grid.size, dtype=int)
            # The whole fold path at once (compiled for dense X with Breslow ties).
            path = solve_path(problem, grid, self.tol, max_iter)
            check_finite_solution(path.coefs, float(np.max(path.duality_gaps)))
            converged = bool(path.converged.all())
            for k in range(grid.size):
                coef = to_original_units(path.coefs[:, k], scales)
                active = np.flatnonzero(coef)
                n_nonzero[k] = active.size
                if deviance:
                    eta = np.asarray(X[:, active] @ coef[active]).ravel() + eta_offset
                    # η on the training rows: the fold's own η up to a shift (the
                    # partial likelihood does not see one)
                    values[k] = full_deviance(eta) - train_deviance(eta[train])
                else:
                    risk = np.asarray(X[test] @ coef).ravel()
                    values[k] = concordance_index(
                        target.time[test],
                        target.event[test],
                        risk,
                        None if pair_weights is None else pair_weights[test],
                    )
            return values, n_nonzero, converged

        results = run_folds(fold_path, folds, self.n_jobs, self.verbose, type(self).__name__)
        self._record(results, folds, grid, target, raw_weight, rule)
        final = CoxPH(
            self.alpha_,
            l1_ratio=l1_ratio,
            ties=ties,
            penalty_weights=self.penalty_weights,
            tol=self.tol,
            max_iter=max_iter,
            standardize=self.standardize,
            lower_bounds=self.lower_bounds,
            upper_bounds=self.upper_bounds,
        )
        final.fit(X, target, sample_weight, offset)
        for name in (
            "coef_",
            "n_iter_",
            "dual_gap_",
            "baseline_cumulative_hazard_",
            "unique_times_",
        ):
            setattr(self, name, getattr(final, name))
        return self

    def _record(self, results, folds, grid, target, raw_weight, rule) -> None:
        import warnings

        from sklearn.exceptions import ConvergenceWarning

        if not all(converged for _, _, converged in results):
            warnings.warn(
                "Some fold paths did not reach the KKT tolerance at every alpha; the CV "
                "curve may be slightly off at those alphas. Increase max_iter or loosen tol.",
                ConvergenceWarning,
                stacklevel=3,
            )
        values = np.column_stack([r[0] for r in results])  # (n_alphas, n_folds)
        n_nonzero = np.round(np.mean([r[1] for r in results], axis=0)).astype(int)
        if self.scoring == "deviance":
            # per unit of the held-out fold's (raw) event weight, as glmnet's cv.coxnet
            fold_weights = np.array(
                [np.sum((raw_weight * target.event)[test]) for _, test in folds]
            )
            values = values / fold_weights[None, :]
            errors = values
            metric = "partial-likelihood deviance"
        else:
            fold_weights = np.array([np.sum(raw_weight[test]) for _, test in folds])
            errors = -values
            metric = "negative C-index"
        curve = CVCurve(grid, errors, metric=metric, n_nonzero=n_nonzero, fold_weights=fold_weights)
        sign = 1.0 if self.scoring == "deviance" else -1.0
        self.cv_curve_ = curve
        self.cv_results_ = {
            "alphas": grid,
            "mean": sign * curve.mean,
            "std_error": curve.standard_error,
            "fold_values": values,
            "n_nonzero": n_nonzero,
        }
        self.alphas_ = grid
        self.alpha_min_, self.alpha_1se_ = curve.alpha_min, curve.alpha_1se
        self.alpha_ = float(grid[curve.chosen_index(rule)])
