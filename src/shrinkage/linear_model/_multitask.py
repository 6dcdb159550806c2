"""``MultiTaskLasso``, ``MultiTaskElasticNet`` and their CV versions.

Drop-in for scikit-learn's, and equal to glmnet's ``family="mgaussian"``
(``standardize=FALSE``, λ = ``alpha``, glmnet's alpha = ``l1_ratio``). The objective

.. math::

    \\frac{1}{2n}\\sum_i s_i\\lVert y_i - b - W^\\top x_i\\rVert_2^2
    + \\alpha\\rho\\sum_j \\lVert W_j\\rVert_2
    + \\frac{\\alpha(1-\\rho)}{2}\\lVert W\\rVert_F^2

(``W_j`` the row of feature ``j`` over the tasks, ``s`` the sample weights rescaled
to sum to ``n``) selects or drops a feature for every task together. It is solved by
block coordinate descent (:mod:`shrinkage.solvers.multitask`).
"""

from __future__ import annotations

from numbers import Real

import numpy as np
import scipy.sparse as sp
from sklearn.base import MultiOutputMixin, RegressorMixin
from sklearn.utils import check_random_state

from .._docs import inherit_entries
from .._fitted import warm_start_coef
from .._validation import (
    DataOverflowError,
    check_l1_ratio,
    check_nonnegative_scalar,
    check_positive_int,
    check_sample_weight,
)
from ..selection import (
    check_fold_weights,
    check_folds,
    check_rule,
    record_path_cv,
    run_folds,
)
from ..solvers.multitask import (
    make_multitask_design,
    multitask_alpha_max,
    solve_multitask,
    solve_multitask_path,
)
from ..solvers.standardize import standardize_design, to_original_units, to_scaled_units
from ._base import (
    LinearModelBase,
    check_finite_solution,
    validated_fit_input,
    warn_not_converged,
)
from ._coordinate_descent import _PathFunction
from ._cv import cv_alpha_grid
from ._routing import route_fit, splitter_router

__all__ = ["MultiTaskElasticNet", "MultiTaskLasso", "MultiTaskElasticNetCV", "MultiTaskLassoCV"]


def _check_common(estimator) -> None:
    check_nonnegative_scalar(estimator.tol, "tol")
    check_positive_int(estimator.max_iter, "max_iter")
    if estimator.selection not in ("cyclic", "random"):
        raise ValueError(f"selection must be 'cyclic' or 'random', got {estimator.selection!r}.")


def _validated_targets(estimator, X, y, mono_task_name: str):
    """``X`` (dense float or sparse) and a 2-D float ``Y``, scikit-learn's errors."""
    try:
        X, y = validated_fit_input(estimator, X, y, multi_output=True, y_numeric=True)
    except DataOverflowError as error:
        raise ValueError(
            f"Coordinate descent iterations resulted in non-finite parameter values. {error}"
        ) from None
    if np.ndim(y) == 1:
        raise ValueError(f"For mono-task outputs, use {mono_task_name}")
    Y = np.asarray(y, dtype=np.float64)
    if not np.isfinite(Y).all():
        raise ValueError("y contains NaN or infinity; drop or impute those rows first.")
    return X, Y


def _weights(sample_weight, n_samples: int):
    """``h`` summing to 1; a scalar weight is no weight (as scikit-learn)."""
    if isinstance(sample_weight, Real):
        sample_weight = None
    return check_sample_weight(sample_weight, n_samples), sample_weight


class MultiTaskElasticNet(MultiOutputMixin, RegressorMixin, LinearModelBase):
    """Multi-task elastic net: an L1/L2 (group) penalty over each feature's tasks.

    Minimizes ``1/(2n) Σ s_i‖y_i − b − Wᵀx_i‖² + α ρ Σ_j ‖W_j‖₂ + α(1 − ρ)/2 ‖W‖²_F``
    (module docstring). Same parameters, attributes and solution as
    ``sklearn.linear_model.MultiTaskElasticNet``; glmnet's ``family="mgaussian"``.

    Parameters
    ----------
    alpha : float, default=1.0
        Penalty strength ``>= 0``.
    l1_ratio : float, default=0.5
        ``ρ`` in [0, 1]: 1 is the multi-task lasso (group L1/L2), 0 is ridge.
    fit_intercept : bool, default=True
        Fit one unpenalized intercept per task.
    copy_X : bool, default=True
        ``X`` is never modified (accepted for compatibility).
    max_iter : int, default=1000
        Most block-coordinate sweeps.
    tol : float, default=1e-4
        Stop when the duality gap is at most ``tol·Σ s_i‖y_i − ȳ‖²/n``
        (scikit-learn's rule).
    warm_start : bool, default=False
        Start from the previous ``coef_``.
    random_state : int, RandomState or None
        Seed of the row order when ``selection="random"``.
    selection : {"cyclic", "random"}, default="cyclic"
    standardize : bool, default=False
        glmnet's ``standardize=TRUE``: fit in the columns ``x_j / s_j`` (``s_j`` the
        weighted ``1/n`` standard deviation) with the same ``alpha``, i.e. the penalty
        ``α Σ_j (ρ s_j‖W_j‖₂ + (1−ρ)/2 s_j²‖W_j‖²)``; ``coef_`` in original units
        (:mod:`shrinkage.solvers.standardize`).

    Attributes
    ----------
    coef_ : ndarray of shape (n_tasks, n_features)
    intercept_ : ndarray of shape (n_tasks,) or 0.0
    dual_gap_ : float
        Duality gap reached, in the units of the objective above.
    eps_ : float
        The absolute tolerance on the gap, in scikit-learn's units (times ``n``).
    n_iter_ : int
        Sweeps done.
    sparse_coef_ : scipy.sparse matrix
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Only when ``X`` has column names.
    """

    _l1_ratio_fixed: float | None = None
    _mono_task_name = "ElasticNet"
    path = _PathFunction("enet_path")  # (scikit-learn's static method, 2-D y: multi-task)

    def __init__(
        self,
        alpha=1.0,
        *,
        l1_ratio=0.5,
        fit_intercept=True,
        copy_X=True,
        max_iter=1000,
        tol=1e-4,
        warm_start=False,
        random_state=None,
        selection="cyclic",
        standardize=False,
    ):
        self.alpha = alpha
        self.l1_ratio = l1_ratio
        self.fit_intercept = fit_intercept
        self.copy_X = copy_X
        self.max_iter = max_iter
        self.tol = tol
        self.warm_start = warm_start
        self.random_state = random_state
        self.selection = selection
        self.standardize = standardize

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()  # sparse input: LinearModelBase
        tags.target_tags.single_output = False
        return tags

    def fit(self, X, y, sample_weight=None):
        """Fit the model.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : array-like of shape (n_samples, n_tasks)
        sample_weight : float or array-like of shape (n_samples,), optional
            Rescaled to sum to ``n_samples`` (a scalar means no weights).

        Returns
        -------
        self
        """
        alpha = check_nonnegative_scalar(self.alpha, "alpha")
        l1_ratio = self._l1_ratio_fixed
        if l1_ratio is None:
            l1_ratio = check_l1_ratio(self.l1_ratio)
        _check_common(self)
        X, Y = _validated_targets(self, X, y, self._mono_task_name)
        n_samples, n_features = X.shape
        h, _ = _weights(sample_weight, n_samples)
        X_fit, scales = standardize_design(X, h, self.standardize)
        design, x_offset, y_offset = make_multitask_design(X_fit, Y, h, self.fit_intercept)
        coef = np.zeros((n_features, Y.shape[1]))
        l1, l2 = alpha * l1_ratio, alpha * (1.0 - l1_ratio)
        l1_previous = multitask_alpha_max(design.xty, 1.0)  # cold start: W = 0 solves it
        previous = warm_start_coef(self, (Y.shape[1], n_features))
        if previous is not None:
            coef[...] = to_scaled_units(previous.T, scales)
            l1_previous = l1
        rng = check_random_state(self.random_state) if self.selection == "random" else None
        tol_abs = self.tol * design.target_norm2
        info = solve_multitask(
            design,
            coef,
            l1,
            l2,
            tol_abs,
            self.max_iter,
            (),
            rng,
            l1_previous=l1_previous,
            tol_rel=self.tol,
        )
        check_finite_solution(coef, info.duality_gap)
        if not info.converged:
            warn_not_converged(info.duality_gap, self.tol, self.max_iter, alpha, tol_abs)
        dtype = X.dtype
        self.coef_ = np.asarray(to_original_units(coef, scales).T, dtype=dtype)
        if self.fit_intercept:  # x_offset and coef both in the fit's units
            self.intercept_ = np.asarray(y_offset - x_offset @ coef, dtype=dtype)
        else:
            self.intercept_ = 0.0
        self.dual_gap_ = float(info.duality_gap)
        self.eps_ = float(tol_abs * n_samples)
        self.n_iter_ = int(info.n_iter)
        return self

    @property
    def sparse_coef_(self):
        """``coef_`` as a SciPy sparse matrix."""
        return sp.csr_matrix(self.coef_)


@inherit_entries(MultiTaskElasticNet)
class MultiTaskLasso(MultiTaskElasticNet):
    """Multi-task lasso: :class:`MultiTaskElasticNet` with ``l1_ratio=1``.

    Minimizes ``1/(2n) Σ s_i‖y_i − b − Wᵀx_i‖² + α Σ_j ‖W_j‖₂``: a feature is kept
    or dropped for all tasks together. Parameters and attributes as
    :class:`MultiTaskElasticNet` (without ``l1_ratio``).
    """

    _l1_ratio_fixed = 1.0
    _mono_task_name = "Lasso"
    l1_ratio = 1.0  # (read-only, as scikit-learn's; not a parameter)

    def __init__(
        self,
        alpha=1.0,
        *,
        fit_intercept=True,
        copy_X=True,
        max_iter=1000,
        tol=1e-4,
        warm_start=False,
        random_state=None,
        selection="cyclic",
        standardize=False,
    ):
        self.alpha = alpha
        self.fit_intercept = fit_intercept
        self.copy_X = copy_X
        self.max_iter = max_iter
        self.tol = tol
        self.warm_start = warm_start
        self.random_state = random_state
        self.selection = selection
        self.standardize = standardize


class MultiTaskElasticNetCV(MultiOutputMixin, RegressorMixin, LinearModelBase):
    """Multi-task elastic net with ``alpha`` (and ``l1_ratio``) chosen by K-fold CV.

    Same parameters, attributes and choice as
    ``sklearn.linear_model.MultiTaskElasticNetCV``, plus the one-standard-error rule
    (``rule="1se"``) and the whole CV curve. Each fold solves the path on one grid
    (computed on all the data) with warm starts; the test error is the mean squared
    error over the test rows (weighted by ``sample_weight``) and the tasks.

    Parameters
    ----------
    l1_ratio : float or list of float, default=0.5
    eps : float, default=1e-3
        ``alpha_min / alpha_max`` of the automatic grid.
    alphas : int or array-like, default=100
        Grid size, or the grid itself.
    fit_intercept, max_iter, tol, copy_X, random_state, selection
        As :class:`MultiTaskElasticNet`.
    cv : int, cross-validation generator, iterable or None, default=None
        None means 5-fold ``KFold``.
    verbose : int, default=0
    n_jobs : int or None, default=None
        Folds solved in parallel threads.
    rule : {"min", "1se"}, default="min"
        The smallest mean CV error (scikit-learn's choice) or the largest alpha
        within one standard error of it (glmnet's ``lambda.1se``).
    standardize : bool, default=False
        As :class:`MultiTaskElasticNet`; the grid comes from the standardized data
        and each fold is standardized with its own training rows' scales (glmnet).

    Attributes
    ----------
    alpha_, l1_ratio_ : float
    alpha_min_, alpha_1se_ : float
    alphas_ : ndarray of shape (n_alphas,) or (n_l1_ratio, n_alphas)
    mse_path_ : ndarray of shape (n_alphas, n_folds) or (n_l1_ratio, n_alphas, n_folds)
        Axes of length 1 (one fold, one alpha) are dropped, as scikit-learn does.
    cv_curve_ : CVCurve
    cv_curves_ : list of CVCurve
    coef_, intercept_, dual_gap_, n_iter_, n_features_in_, feature_names_in_
        Of the final model, fitted on all the data.
    """

    _l1_ratio_fixed: float | None = None
    path = _PathFunction("enet_path")
    _final_class = MultiTaskElasticNet

    def __init__(
        self,
        *,
        l1_ratio=0.5,
        eps=1e-3,
        alphas=100,
        fit_intercept=True,
        max_iter=1000,
        tol=1e-4,
        cv=None,
        copy_X=True,
        verbose=0,
        n_jobs=None,
        random_state=None,
        selection="cyclic",
        rule="min",
        standardize=False,
    ):
        self.l1_ratio = l1_ratio
        self.eps = eps
        self.alphas = alphas
        self.fit_intercept = fit_intercept
        self.max_iter = max_iter
        self.tol = tol
        self.cv = cv
        self.copy_X = copy_X
        self.verbose = verbose
        self.n_jobs = n_jobs
        self.random_state = random_state
        self.selection = selection
        self.rule = rule
        self.standardize = standardize

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()  # sparse input: LinearModelBase
        tags.target_tags.single_output = False
        return tags

    def _l1_ratios(self) -> list[float]:
        if self._l1_ratio_fixed is not None:
            return [self._l1_ratio_fixed]
        ratios = np.atleast_1d(np.asarray(self.l1_ratio, dtype=object))
        if ratios.size == 0:
            raise ValueError("l1_ratio is empty; pass a number in [0, 1] or a list of them.")
        return [check_l1_ratio(r) for r in ratios]

    def _grid(self, design, l1_ratio) -> np.ndarray:
        return cv_alpha_grid(
            self.alphas, self.eps, l1_ratio, lambda: multitask_alpha_max(design.xty, l1_ratio)
        )

    def fit(self, X, y, sample_weight=None, **params):
        """Cross-validate the path(s), choose alpha, refit on all the data.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : array-like of shape (n_samples, n_tasks)
        sample_weight : float or array-like of shape (n_samples,), optional
            Weights the training loss of every fold and the test error.
        **params
            Metadata for the splitter (``groups``), only with metadata routing on.

        Returns
        -------
        self
        """
        split_params, _ = route_fit(self, params, sample_weight, scorer_gets_weight=False)
        rule = check_rule(self.rule)
        l1_ratios = self._l1_ratios()
        _check_common(self)
        check_nonnegative_scalar(self.eps, "eps")
        X, Y = _validated_targets(self, X, y, type(self).__name__[9:])
        if sp.issparse(X):
            X = X.tocsr()
        n_samples = X.shape[0]
        h, sample_weight = _weights(sample_weight, n_samples)
        raw_weight = None if sample_weight is None else h * n_samples
        folds = check_folds(self.cv, X, Y, False, split_params, rule)
        check_fold_weights(folds, sample_weight)
        X_grid, _ = standardize_design(X, h, self.standardize)
        full, _, _ = make_multitask_design(X_grid, Y, h, self.fit_intercept)
        grids = [self._grid(full, ratio) for ratio in l1_ratios]
        del full, X_grid
        seed = check_random_state(self.random_state).randint(np.iinfo(np.int32).max)

        def fold_path(index, train, test):
            grid, ratio = grids[index], l1_ratios[index]
            h_train = h[train] / h[train].sum()
            X_train, scales = standardize_design(X[train], h_train, self.standardize)
            design, x_offset, y_offset = make_multitask_design(
                X_train, Y[train], h_train, self.fit_intercept
            )
            rng = np.random.RandomState(seed) if self.selection == "random" else None
            coefs, _, _, converged = solve_multitask_path(
                design,
                grid,
                ratio,
                self.tol * design.target_norm2,
                self.max_iter,
                rng=rng,
                tol_rel=self.tol,
            )
            intercepts = y_offset - np.einsum("p,kpt->kt", x_offset, coefs)
            coefs = to_original_units(coefs, scales, axis=1)  # (n_alphas, p, n_tasks)
            X_test = X[test]
            if sp.issparse(X_test):
                predictions = np.stack([np.asarray(X_test @ c) for c in coefs])
            else:
                predictions = X_test @ coefs  # (n_alphas, n_test, n_tasks)
            residuals = predictions + intercepts[:, None, :] - Y[test][None]
            weight = None if raw_weight is None else raw_weight[test]
            mse = np.average(residuals**2, axis=1, weights=weight).mean(axis=1)
            nonzero = np.count_nonzero(np.any(coefs != 0, axis=2), axis=1)
            return mse, nonzero, converged.all()

        tasks = [(i, train, test) for i in range(len(l1_ratios)) for train, test in folds]
        results = run_folds(fold_path, tasks, self.n_jobs, self.verbose, type(self).__name__)
        record_path_cv(self, results, grids, l1_ratios, len(folds), rule)
        if self._l1_ratio_fixed is not None:
            del self.l1_ratio_  # scikit-learn's MultiTaskLassoCV has no l1_ratio_

        final = self._final_class(
            alpha=self.alpha_,
            fit_intercept=self.fit_intercept,
            max_iter=self.max_iter,
            tol=self.tol,
            random_state=self.random_state,
            selection=self.selection,
            standardize=self.standardize,
        )
        if self._l1_ratio_fixed is None:
            final.set_params(l1_ratio=self.l1_ratio_)
        final.fit(X, Y, sample_weight=sample_weight)
        self.coef_, self.intercept_ = final.coef_, final.intercept_
        self.dual_gap_, self.n_iter_ = final.dual_gap_, final.n_iter_
        return self

    def get_metadata_routing(self):
        """The router: ``groups`` (and other split metadata) go to the splitter."""
        from sklearn.model_selection import check_cv

        return splitter_router(self, check_cv(self.cv))

    @property
    def sparse_coef_(self):
        return sp.csr_matrix(self.coef_)


@inherit_entries(MultiTaskElasticNetCV, MultiTaskElasticNet)
class MultiTaskLassoCV(MultiTaskElasticNetCV):
    """Multi-task lasso with ``alpha`` chosen by K-fold cross-validation.

    :class:`MultiTaskElasticNetCV` with ``l1_ratio=1`` (no ``l1_ratio_``
    attribute, as scikit-learn).
    """

    _l1_ratio_fixed = 1.0
    path = _PathFunction("lasso_path")
    _final_class = MultiTaskLasso

    def __init__(
        self,
        *,
        eps=1e-3,
        alphas=100,
        fit_intercept=True,
        max_iter=1000,
        tol=1e-4,
        copy_X=True,
        cv=None,
        verbose=False,
        n_jobs=None,
        random_state=None,
        selection="cyclic",
        rule="min",
        standardize=False,
    ):
        self.eps = eps
        self.alphas = alphas
        self.fit_intercept = fit_intercept
        self.max_iter = max_iter
        self.tol = tol
        self.copy_X = copy_X
        self.cv = cv
        self.verbose = verbose
        self.n_jobs = n_jobs
        self.random_state = random_state
        self.selection = selection
        self.rule = rule
        self.standardize = standardize
