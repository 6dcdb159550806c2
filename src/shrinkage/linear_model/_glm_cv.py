"""``PoissonRegressorCV`` (and Gamma, Tweedie): ``alpha`` chosen by K-fold CV, as ``cv.glmnet``.

Every fold solves the whole path on one grid (from ``alpha_max`` of all the data down
to ``eps·alpha_max``, or the grid given) with warm starts and strong rules
(:func:`shrinkage.path.solve_path`), and scores each alpha on its held-out rows with
glmnet's ``type.measure``:

- ``"deviance"``: the mean unit deviance ``d(y, μ)`` of the family (Poisson
  ``2(y log(y/μ) − y + μ)``), computed from ``η`` so that ``μ`` never underflows;
- ``"mse"``: ``(y − μ)²``; ``"mae"``: ``|y − μ|``.

Fold errors are weighted means over the test rows (test ``sample_weight``). The folds
are then averaged as ``cv.glmnet`` does (``cvstats``): fold ``k`` weighs ``W_k``, the
summed ``sample_weight`` of its test rows (its size without weights), so

.. math::

    m = \\frac{\\sum_k W_k e_k}{\\sum_k W_k}, \\qquad
    se = \\sqrt{\\frac{\\sum_k W_k (e_k - m)^2}{(K - 1)\\sum_k W_k}}

are glmnet's ``cvm`` and ``cvsd`` for any fold sizes and weights (with equal ``W_k``
they are the plain mean and ``sd/√K``). The curve, the minimum and the
one-standard-error choice (``lambda.min``, ``lambda.1se``) are in a
:class:`~shrinkage.selection.CVCurve`.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from scipy.special import xlogy
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.utils.validation import check_is_fitted

from .._docs import inherit_entries
from .._validation import (
    check_l1_ratio,
    check_nonnegative_scalar,
    check_penalty_weights,
    check_positive_int,
    check_sample_weight,
    raw_sample_weight,
)
from ..path import _check_offset, make_problem, solve_path
from ..selection import CVCurve, check_fold_weights, check_folds, check_rule, run_folds
from ..solvers.standardize import coefficient_constraint, standardize_design, to_original_units
from ._base import validated_fit_input
from ._cv import cv_alpha_grid
from ._glm import GammaRegressor, PoissonRegressor, TweedieRegressor
from ._routing import route_fit, splitter_router

__all__ = ["GammaRegressorCV", "PoissonRegressorCV", "TweedieRegressorCV", "unit_deviance"]

MEASURES = {"deviance": "mean deviance", "mse": "mean squared error", "mae": "mean absolute error"}


def unit_deviance(y, eta, power: float, link: str = "log") -> np.ndarray:
    """Tweedie unit deviance ``d(y, μ)`` per sample, ``μ = e^η`` (log link) or ``η``
    (identity link; a non-positive mean gives NaN for ``power > 0``).

    Power 0 ``(y − μ)²``; 1 ``2(y log(y/μ) − y + μ)``;
    2 ``2(log(μ/y) + y/μ − 1)``; otherwise
    ``2(y^{2−p}/((1−p)(2−p)) − y μ^{1−p}/(1−p) + μ^{2−p}/(2−p))``.
    """
    y = np.asarray(y, dtype=np.float64)
    eta = np.asarray(eta, dtype=np.float64)
    if link == "identity":
        if power == 0:
            return (y - eta) ** 2
        with np.errstate(divide="ignore", invalid="ignore"):
            log_mean = np.where(eta > 0, np.log(np.where(eta > 0, eta, 1.0)), np.nan)
        return unit_deviance(y, log_mean, power)
    p = float(power)
    if p == 1:
        return 2.0 * (xlogy(y, y) - y - y * eta + np.exp(eta))
    if p == 2:
        return 2.0 * (eta - np.log(y) + y * np.exp(-eta) - 1.0)
    # scikit-learn's convention for y < 0 (possible for p < 0): max(y, 0)^{2−p}.
    saturated = np.maximum(y, 0.0) ** (2 - p) / ((1 - p) * (2 - p))
    return 2.0 * (saturated - y * np.exp((1 - p) * eta) / (1 - p) + np.exp((2 - p) * eta) / (2 - p))


class _GLMRegressorCV(RegressorMixin, BaseEstimator):
    """K-fold CV over an alpha grid for one GLM family (see the module docstring)."""

    _estimator_class = PoissonRegressor

    def __init__(
        self,
        *,
        l1_ratio=1.0,
        eps=1e-3,
        alphas=100,
        fit_intercept=True,
        max_iter=100,
        tol=1e-4,
        cv=None,
        measure="deviance",
        rule="min",
        n_jobs=None,
        verbose=0,
        penalty_weights=None,
        standardize=False,
        lower_bounds=None,
        upper_bounds=None,
    ):
        self.l1_ratio = l1_ratio
        self.eps = eps
        self.alphas = alphas
        self.fit_intercept = fit_intercept
        self.max_iter = max_iter
        self.tol = tol
        self.cv = cv
        self.measure = measure
        self.rule = rule
        self.n_jobs = n_jobs
        self.verbose = verbose
        self.penalty_weights = penalty_weights
        self.standardize = standardize
        self.lower_bounds = lower_bounds
        self.upper_bounds = upper_bounds

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        tags.target_tags.positive_only = (
            self._estimator(1.0).__sklearn_tags__().target_tags.positive_only
        )
        return tags

    def _family_params(self) -> dict:
        return {}

    def _estimator(self, alpha: float):
        return self._estimator_class(
            alpha=alpha,
            l1_ratio=self.l1_ratio,
            fit_intercept=self.fit_intercept,
            max_iter=self.max_iter,
            tol=self.tol,
            penalty_weights=self.penalty_weights,
            standardize=self.standardize,
            lower_bounds=self.lower_bounds,
            upper_bounds=self.upper_bounds,
            **self._family_params(),
        )

    def _check_measure(self) -> str:
        if self.measure not in MEASURES:
            raise ValueError(
                f"measure must be one of {', '.join(map(repr, MEASURES))} (glmnet's "
                f"type.measure), got {self.measure!r}."
            )
        return self.measure

    def fit(self, X, y, sample_weight=None, offset=None, **params):
        """Cross-validate the path, choose alpha, refit on all the data.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
        sample_weight : array-like of shape (n_samples,), optional
            Weights the training loss of every fold and the test errors.
        offset : array-like of shape (n_samples,), optional
            Fixed part of the linear predictor, in training and in test rows.
        **params
            Split metadata (``groups``), only with metadata routing enabled.

        Returns
        -------
        self
        """
        split_params, _ = route_fit(self, params, sample_weight, scorer_gets_weight=False)
        rule = check_rule(self.rule)
        measure = self._check_measure()
        l1_ratio = check_l1_ratio(self.l1_ratio)
        check_nonnegative_scalar(self.tol, "tol")
        check_positive_int(self.max_iter, "max_iter")
        check_nonnegative_scalar(self.eps, "eps")
        template = self._estimator(1.0)
        template._check_params()
        datafit = template._datafit()
        X, y = validated_fit_input(self, X, y, y_numeric=True)
        y = template._check_target(datafit, y)
        if sp.issparse(X):
            X = X.tocsr()  # folds slice rows
        n_samples, n_features = X.shape
        h = check_sample_weight(sample_weight, n_samples)
        offset = _check_offset(offset, n_samples)
        weights = check_penalty_weights(self.penalty_weights, n_features)
        folds = check_folds(self.cv, X, y, False, split_params, rule)
        check_fold_weights(folds, sample_weight)

        def problem_on(rows):
            """The problem on ``rows``, standardized on them as cv.glmnet does, and its
            column scales (None without standardize)."""
            h_rows = h[rows] / h[rows].sum()
            X_rows, scales = standardize_design(X[rows], h_rows, self.standardize)
            return make_problem(
                X_rows,
                y[rows],
                loss=datafit,
                h=h_rows,
                penalty_weights=weights,
                l1_ratio=l1_ratio,
                positive=coefficient_constraint(
                    n_features, self.lower_bounds, self.upper_bounds, False, scales
                ),
                fit_intercept=self.fit_intercept,
                offset=None if offset is None else offset[rows],
            ), scales

        grid = self._grid(problem_on(np.arange(n_samples))[0], l1_ratio)
        power = template._tweedie_power()
        link = "identity" if datafit.name in ("squared_error", "tweedie_identity") else "log"

        def fold_path(train, test):
            problem, scales = problem_on(train)
            path = solve_path(problem, grid, self.tol, self.max_iter)
            coefs = to_original_units(path.coefs, scales, axis=0)
            eta = np.asarray(X[test] @ coefs) + path.intercepts
            if offset is not None:
                eta = eta + offset[test][:, None]
            mean = eta if link == "identity" else np.exp(eta)
            target = y[test][:, None]
            if measure == "deviance":
                error = unit_deviance(target, eta, power, link)
            elif measure == "mse":
                error = (target - mean) ** 2
            else:
                error = np.abs(target - mean)
            return np.average(error, axis=0, weights=h[test]), path.n_nonzero

        results = run_folds(fold_path, folds, self.n_jobs, self.verbose, type(self).__name__)
        fold_errors = np.column_stack([errors for errors, _ in results])
        nonzero = np.mean([count for _, count in results], axis=0)
        raw_weight = raw_sample_weight(sample_weight, n_samples)
        curve = CVCurve(
            grid,
            fold_errors,
            metric=MEASURES[measure],
            n_nonzero=np.round(nonzero).astype(int),
            # cv.glmnet weighs each fold by its summed (raw) observation weight
            fold_weights=np.array([raw_weight[test].sum() for _, test in folds]),
        )
        self.cv_curve_ = curve
        self.alphas_ = grid
        self.mse_path_ = fold_errors
        self.alpha_min_, self.alpha_1se_ = curve.alpha_min, curve.alpha_1se
        self.alpha_ = float(grid[curve.chosen_index(rule)])
        self.cv_results_ = {
            "alphas": grid,
            "mean": curve.mean,
            "standard_error": curve.standard_error,
            "fold_errors": fold_errors,
            "n_nonzero": curve.n_nonzero,
            "measure": measure,
        }
        final = self._estimator(self.alpha_).fit(X, y, sample_weight=sample_weight, offset=offset)
        self.estimator_ = final
        self.coef_, self.intercept_, self.n_iter_ = final.coef_, final.intercept_, final.n_iter_
        return self

    def _grid(self, problem, l1_ratio: float) -> np.ndarray:
        return cv_alpha_grid(self.alphas, self.eps, l1_ratio, lambda: problem.alpha_max)

    def get_metadata_routing(self):
        """The router: ``groups`` (and other split metadata) go to the splitter."""
        from sklearn.model_selection import check_cv

        return splitter_router(self, check_cv(self.cv))

    def predict(self, X, offset=None):
        """Predicted mean of the final model (``offset`` optional)."""
        check_is_fitted(self)
        return self.estimator_.predict(X, offset=offset)

    def score(self, X, y, sample_weight=None):
        """D² of the final model (fraction of deviance explained)."""
        check_is_fitted(self)
        return self.estimator_.score(X, y, sample_weight=sample_weight)


@inherit_entries(PoissonRegressor)
class PoissonRegressorCV(_GLMRegressorCV):
    """:class:`PoissonRegressor` with ``alpha`` chosen by K-fold CV (``cv.glmnet``).

    Parameters
    ----------
    l1_ratio : float, default=1.0
        Mix (glmnet's ``alpha``); must be > 0 for the automatic grid.
    eps : float, default=1e-3
        ``alpha_min / alpha_max`` of the automatic grid.
    alphas : int or array-like, default=100
        Grid size or the grid itself (solved in decreasing order).
    fit_intercept, max_iter, tol, penalty_weights, standardize
        As :class:`PoissonRegressor`, for every fold and the final fit (with
        ``standardize`` each fold is scaled on its own training rows, as cv.glmnet).
    cv : int, cross-validation generator, iterable or None, default=None
        None is 5-fold ``KFold``; an iterable of ``(train, test)`` gives glmnet's
        ``foldid`` exactly.
    measure : {"deviance", "mse", "mae"}, default="deviance"
        glmnet's ``type.measure``.
    rule : {"min", "1se"}, default="min"
        ``lambda.min`` or ``lambda.1se``.
    n_jobs : int or None
        Folds in parallel threads.
    verbose : int, default=0

    Attributes
    ----------
    alpha_ : float
        Chosen by ``rule``.
    alpha_min_, alpha_1se_ : float
    alphas_ : ndarray of shape (n_alphas,)
        Decreasing.
    mse_path_ : ndarray of shape (n_alphas, n_folds)
        Test error (``measure``) of every fold at every alpha.
    cv_curve_ : CVCurve
        Mean and standard error over folds weighted by each fold's summed
        ``sample_weight`` (glmnet's ``cvm``, ``cvsd``), choices, ``plot()``.
    cv_results_ : dict
        ``alphas``, ``mean`` (glmnet's ``cvm``), ``standard_error`` (``cvsd``),
        ``fold_errors``, ``n_nonzero``, ``measure``.
    estimator_ : PoissonRegressor, GammaRegressor or TweedieRegressor
        The final model (of the class's family) on all the data.
    coef_, intercept_, n_iter_
        The final model's (``estimator_``).
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Only when ``X`` has column names.
    """

    _estimator_class = PoissonRegressor


@inherit_entries(PoissonRegressorCV, GammaRegressor, PoissonRegressor)
class GammaRegressorCV(_GLMRegressorCV):
    """:class:`GammaRegressor` with ``alpha`` chosen by K-fold CV; as
    :class:`PoissonRegressorCV` (``deviance`` is the Gamma deviance)."""

    _estimator_class = GammaRegressor


@inherit_entries(PoissonRegressorCV, TweedieRegressor, PoissonRegressor)
class TweedieRegressorCV(_GLMRegressorCV):
    """:class:`TweedieRegressor` with ``alpha`` chosen by K-fold CV; as
    :class:`PoissonRegressorCV`, plus ``power`` and ``link``."""

    _estimator_class = TweedieRegressor

    def __init__(
        self,
        *,
        power=0.0,
        link="auto",
        l1_ratio=1.0,
        eps=1e-3,
        alphas=100,
        fit_intercept=True,
        max_iter=100,
        tol=1e-4,
        cv=None,
        measure="deviance",
        rule="min",
        n_jobs=None,
        verbose=0,
        penalty_weights=None,
        standardize=False,
        lower_bounds=None,
        upper_bounds=None,
    ):
        super().__init__(
            l1_ratio=l1_ratio,
            eps=eps,
            alphas=alphas,
            fit_intercept=fit_intercept,
            max_iter=max_iter,
            tol=tol,
            cv=cv,
            measure=measure,
            rule=rule,
            n_jobs=n_jobs,
            verbose=verbose,
            penalty_weights=penalty_weights,
            standardize=standardize,
            lower_bounds=lower_bounds,
            upper_bounds=upper_bounds,
        )
        self.power = power
        self.link = link

    def _family_params(self) -> dict:
        return {"power": self.power, "link": self.link}
