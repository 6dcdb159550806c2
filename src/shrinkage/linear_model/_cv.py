"""One skeleton for the cross-validated estimators, and the alpha grid they share.

Every CV estimator (``ElasticNetCV``/``LassoCV``, ``RidgeCV``, ``RelaxedLassoCV``,
``LogisticRegressionCV``) does the same five things; :class:`LinearModelCV` writes
the shared ones once:

1. validate, split the rows into folds (:func:`~shrinkage.selection.check_folds`)
   and build one grid per *setting* (an ``l1_ratio``, a ``gamma``, ...);
2. :meth:`LinearModelCV._cross_validate`: run ``fold_curve(setting, fold, train,
   test)`` for every (setting, fold) pair, in parallel threads with progress lines,
   and return the results as ``results[setting][fold]``;
3. :meth:`LinearModelCV._cv_curves`: one :class:`~shrinkage.selection.CVCurve` per
   setting from the test errors of shape ``(n_settings, n_alphas, n_folds)``;
4. :meth:`LinearModelCV._choose`: the (setting, alpha) pair by ``rule``: the smallest
   mean error ("min", ties to the simpler model), or the one-standard-error choice
   ("1se") on that setting's curve;
5. :meth:`LinearModelCV._refit`: fit the final estimator on all the data and copy its
   fitted attributes.

The one-standard-error rule (Breiman et al. 1984): with ``m(α)`` the mean CV error
over ``K`` folds and ``se(α) = sd_k(err_k(α))/√K``, take the simplest model with
``m(α) ≤ m(α_min) + se(α_min)``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from ..path import cv_alpha_grid
from ..selection import CVCurve, run_folds
from ..solvers.problems import LeastSquaresProblem
from ._base import LinearModelBase

__all__ = ["LinearModelCV", "cv_alpha_grid", "elastic_net_alpha_grid", "fold_metadata"]


def elastic_net_alpha_grid(
    X,
    y,
    sample_weight: np.ndarray,
    penalty_weights: np.ndarray,
    l1_ratio: float,
    alphas=100,
    eps: float = 1e-3,
    positive: bool = False,
    fit_intercept: bool = True,
) -> np.ndarray:
    """The alpha grid of ``ElasticNetCV``/``LassoCV`` (and ``RelaxedLassoCV``), decreasing.

    With an integer ``alphas``, ``alphas`` values log-spaced from ``α_max`` down to
    ``eps·α_max``, where ``α_max = max_j |∇_j| / (ρ v_j)`` is the smallest alpha at
    which every penalized coefficient is zero (``∇`` the gradient of
    ``½ Σ h_i r_i²`` at the unpenalized fit, ``ρ = l1_ratio``, ``v`` the penalty
    weights). Otherwise the given values, checked with scikit-learn's messages and
    sorted decreasing.

    Parameters
    ----------
    X : {ndarray, sparse matrix} of shape (n_samples, n_features)
    y : ndarray of shape (n_samples,)
    sample_weight : ndarray of shape (n_samples,)
        Normalized to sum to one.
    penalty_weights : ndarray of shape (n_features,)
    l1_ratio : float
        Must be > 0 for an automatic grid (``α_max`` is infinite for ridge).
    alphas : int or array-like, default=100
    eps : float, default=1e-3
    positive, fit_intercept : bool

    Returns
    -------
    ndarray of shape (n_alphas,)
    """

    def alpha_max() -> float:
        problem = LeastSquaresProblem(
            X, y, sample_weight, penalty_weights, l1_ratio, positive, fit_intercept, False
        )
        return problem.alpha_max

    return cv_alpha_grid(alphas, eps, l1_ratio, alpha_max)


def fold_metadata(params: dict, rows, n_samples: int) -> dict:
    """Scoring metadata for one test fold: per-sample values (e.g. ``sample_weight``)
    restricted to ``rows``, the rest as is."""
    out = {}
    for key, value in params.items():
        array = np.asarray(value) if value is not None else None
        sliced = array is not None and array.ndim > 0 and array.shape[0] == n_samples
        out[key] = array[rows] if sliced else value
    return out


class LinearModelCV(LinearModelBase):
    """Base of the CV estimators: the fold loop, the curves, the choice and the refit.

    Subclasses write ``fit`` as validate → :meth:`_cross_validate` →
    :meth:`_cv_curves` → :meth:`_choose` → :meth:`_refit`, and need ``n_jobs`` and
    ``verbose`` parameters. Class attributes:

    ``_cv_parameter`` : str
        The name of the grid's parameter ("alpha", or "C" for logistic).
    ``_larger_is_simpler`` : bool
        Whether a larger grid value is a simpler model (True for ``alpha``, False for
        ``C``); the 1-SE rule moves that way.
    """

    _cv_parameter = "alpha"
    _larger_is_simpler = True

    def _cross_validate(
        self, fold_curve: Callable, folds: Sequence, n_settings: int = 1
    ) -> list[list]:
        """``fold_curve(setting, fold, train, test)`` for every (setting, fold) pair.

        Runs in ``n_jobs`` threads (the Numba kernels release the GIL), with a line per
        finished pair when ``verbose``. Returns ``results[setting][fold]``.
        """
        tasks = [
            (setting, k, train, test)
            for setting in range(n_settings)
            for k, (train, test) in enumerate(folds)
        ]
        results = run_folds(fold_curve, tasks, self.n_jobs, self.verbose, type(self).__name__)
        n_folds = len(folds)
        return [results[i * n_folds : (i + 1) * n_folds] for i in range(n_settings)]

    def _cv_curves(self, grids, fold_errors, metric: str, n_nonzero=None) -> list[CVCurve]:
        """One :class:`CVCurve` per setting.

        Parameters
        ----------
        grids : sequence of ndarray of shape (n_alphas,)
            One per setting (or one shared by all).
        fold_errors : ndarray of shape (n_settings, n_alphas, n_folds), or a list of
            (n_alphas, n_folds) arrays
            Test error (lower is better).
        metric : str
        n_nonzero : array-like of shape (n_settings, n_alphas), optional
        """
        shared = len(grids) == 1
        return [
            CVCurve(
                grids[0] if shared else grids[i],
                fold_errors[i],
                metric=metric,
                larger_is_simpler=self._larger_is_simpler,
                n_nonzero=None if n_nonzero is None else n_nonzero[i],
                parameter=self._cv_parameter,
            )
            for i in range(len(fold_errors))
        ]

    def _choose(self, curves: Sequence[CVCurve], rule: str) -> tuple[int, int]:
        """``(setting, index)``: the setting whose curve reaches the smallest mean error
        (the first on ties), and on it the minimum or the 1-SE choice."""
        best = int(np.argmin([curve.mean[curve.index_min] for curve in curves]))
        return best, curves[best].chosen_index(rule)

    def _refit(self, final, X, y, sample_weight, attributes: Sequence[str], **fit_params):
        """Fit ``final`` on all the data and copy its ``attributes``; returns ``final``."""
        final.fit(X, y, sample_weight=sample_weight, **fit_params)
        for name in attributes:
            setattr(self, name, getattr(final, name))
        return final
