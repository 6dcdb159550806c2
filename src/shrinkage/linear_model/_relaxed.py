"""Relaxed lasso (glmnet's ``relax=TRUE``): select with the lasso, then undo some shrinkage.

At each alpha the lasso selects the active set ``A``; an unpenalized least-squares fit
on ``A`` (with intercept and sample weights) gives ``β_LS``, and the relaxed fit blends
the two (Meinshausen 2007; Hastie, Tibshirani & Tibshirani 2020):

.. math::

    \\hat\\beta_{relax}(\\alpha, \\gamma) = \\gamma\\,\\hat\\beta_{lasso}(\\alpha)
    + (1-\\gamma)\\,\\hat\\beta_{LS}(A_\\alpha),\\qquad \\gamma\\in[0, 1],

so ``gamma=1`` is the lasso and ``gamma=0`` least squares on the selected features.
The lasso's L1 penalty shrinks the large coefficients it keeps as much as the small
ones; relaxing keeps its selection but removes part of that bias.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from sklearn.base import RegressorMixin

from .._validation import check_penalty_weights, check_sample_weight
from ..path import solve_path
from ..selection import check_fold_weights, check_folds, check_rule
from ..solvers.problems import LeastSquaresProblem
from ..solvers.standardize import standardize_design, to_original_units
from ._base import LinearModelBase, validated_fit_input
from ._coordinate_descent import Lasso
from ._cv import LinearModelCV, elastic_net_alpha_grid


def check_gamma(gamma, name: str = "gamma") -> float:
    ok = not isinstance(gamma, bool) and isinstance(gamma, (int, float, np.number))
    if not ok or not 0.0 <= float(gamma) <= 1.0:
        raise ValueError(
            f"{name} must be in [0, 1] (1 = lasso, 0 = least squares on the selected "
            f"features), got {gamma!r}."
        )
    return float(gamma)


def least_squares_on(X, y, h, active, fit_intercept) -> tuple[np.ndarray, float]:
    """Weighted least squares on the columns ``active`` (minimum norm if not unique).

    Returns the full-length coefficient vector (zeros off ``active``) and the intercept.
    """
    coef = np.zeros(X.shape[1])
    y_mean = float(h @ y) if fit_intercept else 0.0
    if active.size == 0:
        return coef, y_mean
    XA = X[:, active]
    XA = XA.toarray() if sp.issparse(XA) else np.asarray(XA, dtype=np.float64)
    x_mean = h @ XA if fit_intercept else np.zeros(active.size)
    root = np.sqrt(h)[:, None]
    solution = np.linalg.lstsq(root * (XA - x_mean), root[:, 0] * (y - y_mean), rcond=None)[0]
    coef[active] = solution
    return coef, y_mean - float(x_mean @ solution)


class _RelaxedPath:
    """Lasso path plus the least-squares refit on each distinct active set."""

    def __init__(self, X, y, h, path, fit_intercept):
        self.lasso_coefs, self.lasso_intercepts = path.coefs, path.intercepts
        self.ls_coefs = np.zeros_like(path.coefs)
        self.ls_intercepts = np.zeros_like(path.intercepts)
        cache: dict[bytes, tuple[np.ndarray, float]] = {}
        for k in range(path.alphas.size):
            active = np.flatnonzero(path.coefs[:, k])
            key = active.tobytes()
            if key not in cache:
                cache[key] = least_squares_on(X, y, h, active, fit_intercept)
            self.ls_coefs[:, k], self.ls_intercepts[k] = cache[key]

    def predictions(self, X, gammas) -> np.ndarray:
        """Predictions of shape (n_gammas, n_samples, n_alphas); linear in gamma."""
        lasso = np.asarray(X @ self.lasso_coefs) + self.lasso_intercepts
        ls = np.asarray(X @ self.ls_coefs) + self.ls_intercepts
        g = np.asarray(gammas)[:, None, None]
        return g * lasso[None] + (1.0 - g) * ls[None]


class RelaxedLasso(RegressorMixin, LinearModelBase):
    """Lasso selection with a least-squares refit blended in by ``gamma``.

    Parameters
    ----------
    alpha : float, default=1.0
        Lasso strength (:class:`Lasso`'s meaning).
    gamma : float in [0, 1], default=0.5
        1 is the lasso, 0 least squares on the lasso's selected features.
    fit_intercept, precompute, max_iter, tol, positive, penalty_weights, standardize
        As :class:`Lasso` (``standardize`` changes the selection only: the
        least-squares refit does not depend on the columns' scales).

    Attributes
    ----------
    coef_, intercept_ : the relaxed fit
    lasso_coef_, lasso_intercept_ : the lasso fit at ``alpha``
    ls_coef_, ls_intercept_ : least squares on the selected features
    n_features_in_, feature_names_in_
    """

    def __init__(
        self,
        alpha=1.0,
        *,
        gamma=0.5,
        fit_intercept=True,
        precompute="auto",
        max_iter=1000,
        tol=1e-4,
        positive=False,
        penalty_weights=None,
        standardize=False,
    ):
        self.alpha = alpha
        self.gamma = gamma
        self.fit_intercept = fit_intercept
        self.precompute = precompute
        self.max_iter = max_iter
        self.tol = tol
        self.positive = positive
        self.penalty_weights = penalty_weights
        self.standardize = standardize

    def fit(self, X, y, sample_weight=None):
        """Fit the lasso at ``alpha``, refit least squares on its support, blend.

        Returns
        -------
        self
        """
        if (fitted := self._dask_fit(X, y, sample_weight)) is not None:
            return fitted
        gamma = check_gamma(self.gamma)
        lasso = Lasso(
            alpha=self.alpha,
            fit_intercept=self.fit_intercept,
            precompute=self.precompute,
            max_iter=self.max_iter,
            tol=self.tol,
            positive=self.positive,
            penalty_weights=self.penalty_weights,
            standardize=self.standardize,
        )
        X, y = validated_fit_input(self, X, y, y_numeric=True)
        y = np.asarray(y, dtype=np.float64).ravel()
        lasso.fit(X, y, sample_weight=sample_weight)
        h = check_sample_weight(sample_weight, X.shape[0])
        active = np.flatnonzero(lasso.coef_)
        ls_coef, ls_intercept = least_squares_on(X, y, h, active, self.fit_intercept)
        self.lasso_coef_, self.lasso_intercept_ = lasso.coef_, lasso.intercept_
        self.n_iter_ = lasso.n_iter_
        self.ls_coef_, self.ls_intercept_ = ls_coef, ls_intercept
        blend = gamma * lasso.coef_ + (1.0 - gamma) * ls_coef
        self.coef_ = blend.astype(lasso.coef_.dtype, copy=False)  # float32 X: float32, as Lasso
        self.intercept_ = gamma * float(lasso.intercept_) + (1.0 - gamma) * ls_intercept
        return self


class RelaxedLassoCV(RegressorMixin, LinearModelCV):
    """Relaxed lasso with ``alpha`` and ``gamma`` chosen by K-fold cross-validation.

    Every fold fits the lasso path once; the least-squares refits are shared by all the
    alphas with the same active set, and all gammas come from the same two predictions
    (the blend is linear), so the (alpha, gamma) grid costs little more than the lasso.

    Parameters
    ----------
    gammas : array-like, default=(0, 0.25, 0.5, 0.75, 1)
        Values in [0, 1]; 1 (the plain lasso) is always worth keeping.
    eps, alphas, fit_intercept, precompute, max_iter, tol, cv, n_jobs, verbose, positive,
    penalty_weights, standardize
        As :class:`LassoCV` (each fold standardized with its training rows' scales).
    rule : {"min", "1se"}, default="min"
        "1se": the largest alpha (then the largest gamma) whose mean error is within
        one standard error of the minimum over the whole grid.

    Attributes
    ----------
    alpha_, gamma_ : float
    alphas_ : ndarray of shape (n_alphas,)
    gammas_ : ndarray of shape (n_gammas,)
    mse_path_ : ndarray of shape (n_gammas, n_alphas, n_folds)
    cv_curve_ : CVCurve
        The curve at ``gamma_``.
    cv_curves_ : list of CVCurve, one per gamma
    coef_, intercept_, lasso_coef_, ls_coef_, n_features_in_, feature_names_in_
    """

    def __init__(
        self,
        *,
        gammas=(0.0, 0.25, 0.5, 0.75, 1.0),
        eps=1e-3,
        alphas=100,
        fit_intercept=True,
        precompute="auto",
        max_iter=1000,
        tol=1e-4,
        cv=None,
        n_jobs=None,
        verbose=0,
        positive=False,
        rule="min",
        penalty_weights=None,
        standardize=False,
    ):
        self.gammas = gammas
        self.eps = eps
        self.alphas = alphas
        self.fit_intercept = fit_intercept
        self.precompute = precompute
        self.max_iter = max_iter
        self.tol = tol
        self.cv = cv
        self.n_jobs = n_jobs
        self.verbose = verbose
        self.positive = positive
        self.rule = rule
        self.penalty_weights = penalty_weights
        self.standardize = standardize

    def fit(self, X, y, sample_weight=None):
        """Cross-validate over (alpha, gamma), then refit at the choice.

        Returns
        -------
        self
        """
        if (fitted := self._dask_fit(X, y, sample_weight)) is not None:
            return fitted
        rule = check_rule(self.rule)
        gammas = np.atleast_1d(np.asarray(self.gammas, dtype=object))
        if gammas.size == 0:
            raise ValueError("gammas is empty; pass values in [0, 1], e.g. (0, 0.5, 1).")
        gammas = np.array([check_gamma(g, "gammas") for g in gammas])
        X, y = validated_fit_input(self, X, y, y_numeric=True)
        if sp.issparse(X):
            X = X.tocsr()
        y = np.asarray(y, dtype=np.float64).ravel()
        n, p = X.shape
        h = check_sample_weight(sample_weight, n)
        v = check_penalty_weights(self.penalty_weights, p)
        folds = check_folds(self.cv, X, y, classifier=False, rule=rule)
        check_fold_weights(folds, sample_weight)
        X_grid, _ = standardize_design(X, h, self.standardize)
        grid = elastic_net_alpha_grid(
            X_grid, y, h, v, 1.0, self.alphas, self.eps, self.positive, self.fit_intercept
        )
        del X_grid

        def fold_curve(setting, fold, train, test):
            h_train = h[train] / h[train].sum()
            X_train, scales = standardize_design(X[train], h_train, self.standardize)
            problem = LeastSquaresProblem(
                X_train,
                y[train],
                h_train,
                v,
                1.0,
                self.positive,
                self.fit_intercept,
                self.precompute,
            )
            path = solve_path(problem, grid, self.tol, self.max_iter)
            path.coefs = to_original_units(path.coefs, scales)
            relaxed = _RelaxedPath(X[train], y[train], h_train, path, self.fit_intercept)
            predicted = relaxed.predictions(X[test], gammas)
            squared = (predicted - y[test][None, :, None]) ** 2
            return np.average(squared, axis=1, weights=h[test])  # (n_gammas, n_alphas)

        # One setting: every gamma comes from the same fold path (the blend is linear).
        (results,) = self._cross_validate(fold_curve, folds)
        mse = np.stack(results, axis=-1)  # (n_gammas, n_alphas, n_folds)
        self.mse_path_, self.alphas_, self.gammas_ = mse, grid, gammas
        self.cv_curves_ = self._cv_curves([grid], mse, "mean squared error")
        g, a = self._choose(self.cv_curves_, rule)
        self.alpha_, self.gamma_ = float(grid[a]), float(gammas[g])
        self.cv_curve_ = self.cv_curves_[int(np.flatnonzero(gammas == self.gamma_)[0])]
        final = RelaxedLasso(
            alpha=self.alpha_,
            gamma=self.gamma_,
            fit_intercept=self.fit_intercept,
            precompute=self.precompute,
            max_iter=self.max_iter,
            tol=self.tol,
            positive=self.positive,
            penalty_weights=self.penalty_weights,
            standardize=self.standardize,
        )
        names = ("coef_", "intercept_", "lasso_coef_", "lasso_intercept_", "ls_coef_")
        self._refit(final, X, y, sample_weight, (*names, "ls_intercept_", "n_iter_"))
        return self

    def _choose(self, curves, rule) -> tuple[int, int]:
        """``(gamma index, alpha index)``. "1se" looks over the whole (gamma, alpha) grid:
        within one standard error of the overall minimum, the largest alpha, then the
        largest gamma (the most shrinkage)."""
        means = np.array([c.mean for c in curves])  # (n_gammas, n_alphas)
        ses = np.array([c.standard_error for c in curves])
        g_best, a_best = np.unravel_index(np.nanargmin(means), means.shape)
        if rule == "min":
            return int(g_best), int(a_best)
        within = np.argwhere(means <= means[g_best, a_best] + ses[g_best, a_best])
        g, a = max(within, key=lambda ga: (self.alphas_[ga[1]], self.gammas_[ga[0]]))
        return int(g), int(a)
