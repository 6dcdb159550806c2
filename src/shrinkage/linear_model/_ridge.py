"""``Ridge`` and ``RidgeCV``: exact ridge regression, drop-in for scikit-learn's.

``alpha`` keeps scikit-learn's Ridge meaning, the penalty on the *summed* squared
error:

.. math::

    \\min\\; \\sum_i s_i (y_i - \\beta_0 - x_i^\\top\\beta)^2 + \\alpha\\sum_j v_j\\beta_j^2 ,

which is shrinkage's one convention (``Σ h_i ½ r_i² + α' Σ v_j (1−ρ)/2 β_j²`` with
``ρ = 0``) at ``α' = alpha / Σ s_i`` (``alpha / n`` without weights). Dense data and
sparse data with a small side are solved exactly from one decomposition
(:mod:`shrinkage.solvers.ridge`); large sparse data by conjugate gradients.
"""

from __future__ import annotations

import warnings
from functools import partial
from numbers import Real

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, MultiOutputMixin, RegressorMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_scalar

from .._validation import (
    check_nonnegative_scalar,
    check_penalty_weights,
    check_positive_int,
    raw_sample_weight,
)
from ..selection import (
    CVCurve,
    check_fold_weights,
    check_folds,
    check_rule,
    first_best_index,
)
from ..solvers.ridge import DIRECT_LIMIT, SOLVER_NAMES, SpectralRidge, solve_ridge_cg
from ..solvers.ridge_direct import solve_ridge_direct
from ._base import LinearModelBase, check_finite_target, validated_fit_input
from ._cv import LinearModelCV, fold_metadata
from ._routing import cv_router, route_fit, routing_enabled, scorer_takes_sample_weight

_SOLVERS = SOLVER_NAMES
_ITERATIVE = ("lsqr", "sparse_cg", "sag", "saga", "lbfgs")
# scikit-learn reports an iteration count only for these solvers (None otherwise).
_COUNTS_ITERATIONS = ("lsqr", "sag", "saga")


def _resolve_solver(solver, positive: bool, sparse_input: bool, fit_intercept: bool, tol, max_iter):
    """The solver name scikit-learn would use (its ``solver_``), with its errors and warnings.

    shrinkage solves every case exactly (or by conjugate gradients / coordinate
    descent, see :class:`Ridge`), so the name only keeps scikit-learn's observable
    contract: the same accepted values, errors for the same invalid combinations, and
    the same ``solver_``.
    """
    if solver not in _SOLVERS:
        raise ValueError(
            f"The 'solver' parameter of Ridge must be a str among {set(_SOLVERS)}. "
            f"Got {solver!r} instead."
        )
    if solver == "lbfgs" and not positive:
        raise ValueError(
            "'lbfgs' solver can be used only when positive=True. Please use another solver."
        )
    if positive:
        if solver not in ("auto", "lbfgs"):
            raise ValueError(
                f"solver='{solver}' does not support positive fitting. Please"
                " set the solver to 'auto' or 'lbfgs', or set `positive=False`"
            )
        return "lbfgs"
    if sparse_input and fit_intercept:
        if solver not in ("auto", "lbfgs", "lsqr", "sag", "sparse_cg"):
            raise ValueError(
                f"solver='{solver}' does not support fitting the intercept "
                "on sparse data. Please set the solver to 'auto' or "
                "'lsqr', 'sparse_cg', 'sag', 'lbfgs' "
                "or set `fit_intercept=False`"
            )
        if solver == "sag" and max_iter is None and tol > 1e-4:
            warnings.warn(
                '"sag" solver requires many iterations to fit '
                "an intercept with sparse inputs. Either set the "
                'solver to "auto" or "sparse_cg", or set a low '
                '"tol" and a high "max_iter" (especially if inputs are '
                "not standardized).",
                stacklevel=3,
            )
        return solver if solver in ("lsqr", "sag") else "sparse_cg"
    if solver == "auto":
        return "sparse_cg" if sparse_input else "cholesky"
    if solver == "svd" and sparse_input:
        raise TypeError("SVD solver does not support sparse inputs currently")
    return solver


def _raw_sample_weight(sample_weight, n_samples) -> np.ndarray | None:
    """Validated weights in scikit-learn's (unnormalized) scale, or None."""
    if sample_weight is None:
        return None
    if np.asarray(sample_weight).ndim > 1:
        raise ValueError("Sample weights must be 1D array or scalar")  # scikit-learn's words
    weights = raw_sample_weight(sample_weight, n_samples)  # shape, sign and finiteness
    largest = float(weights.max())
    if not 1e-100 <= largest <= 1e100:
        # Ridge's weights are not normalized (they trade off against alpha), and √w·x
        # squared overflows or underflows at such scales.
        raise ValueError(
            f"sample_weight reaches {largest:.3g}; ridge needs weights within 1e-100..1e100. "
            "Divide the weights and alpha by the same factor (e.g. the largest weight): "
            "the solution is unchanged."
        )
    return weights.copy()


def _targets(y) -> np.ndarray:
    Y = check_finite_target(y)
    return Y.reshape(Y.shape[0], -1)


class Ridge(MultiOutputMixin, RegressorMixin, LinearModelBase):
    """Linear least squares with an L2 penalty, solved exactly.

    Minimizes ``Σ s_i (y_i − β₀ − x_iᵀβ)² + alpha Σ_j v_j β_j²`` (scikit-learn's
    ``Ridge``; ``s`` the sample weights, ``v`` the penalty weights). Every weight is
    shrunk towards zero in proportion to its size, none becomes exactly zero, and the
    solution is unique for any ``alpha > 0``.

    Parameters
    ----------
    alpha : float or array-like of shape (n_targets,), default=1.0
        Penalty strength ``>= 0`` (one per target allowed). ``alpha = 0`` gives the
        minimum-norm least-squares solution.
    fit_intercept : bool, default=True
    copy_X : bool, default=True
        Accepted for compatibility; ``X`` is never modified.
    max_iter : int or None, default=None
        Conjugate-gradient iterations for large sparse data (default ``10·p``).
    tol : float, default=1e-4
        Large sparse data only: relative residual of the normal equations at which
        conjugate gradients stop. Everything else is solved exactly.
    solver : str, default="auto"
        Accepted for compatibility with scikit-learn's names. Dense data (and sparse
        data with ``min(n, p) <= 6000``) are always solved to 1e-8: at a few alphas by
        conjugate gradients (sparse data, where they reach that within the dense
        route's cost) or Cholesky on the equilibrated normal equations where they are
        well conditioned, else by an eigendecomposition of ``X̃ᵀX̃`` or ``X̃X̃ᵀ``, or an
        SVD of ``X̃`` where squaring loses digits; the iterative
        names ("lsqr", "sparse_cg", "sag", "saga", "lbfgs") on large sparse data use
        preconditioned conjugate gradients.
    positive : bool, default=False
        Constrain the coefficients to be ``>= 0`` (solved by coordinate descent to a
        duality gap of ``tol·1e-4``).
    random_state : None
        Accepted for compatibility; nothing is random.
    penalty_weights : array-like of shape (n_features,), optional
        Per-feature factors ``v_j >= 0``; 0 leaves a feature unpenalized.

    Attributes
    ----------
    coef_ : ndarray of shape (n_features,) or (n_targets, n_features)
    intercept_ : float or ndarray of shape (n_targets,)
    n_iter_ : None or ndarray of shape (n_targets,)
        As scikit-learn: an array only when ``solver_`` is "lsqr", "sag" or "saga"
        (iterations of shrinkage's solver; 1 when solved directly), None otherwise.
    solver_ : str
        The solver scikit-learn would have used ("cholesky", "sparse_cg", "lbfgs",
        or the one asked for), for compatibility.
    method_ : str
        What shrinkage actually did: "cholesky" (the normal equations, equilibrated,
        where their estimated condition number keeps the answer to 1e-8), "cg"
        (conjugate gradients: large sparse data at ``tol``; smaller sparse data to a
        residual that keeps 1e-8), "eigen"
        (``X̃ᵀX̃``), "kernel" (``X̃X̃ᵀ``), "svd" (of ``X̃``: where squaring would lose
        digits) or "cd" (coordinate descent).
    n_features_in_ : int
    feature_names_in_ : ndarray of str
    """

    def __init__(
        self,
        alpha=1.0,
        *,
        fit_intercept=True,
        copy_X=True,
        max_iter=None,
        tol=1e-4,
        solver="auto",
        positive=False,
        random_state=None,
        penalty_weights=None,
    ):
        self.alpha = alpha
        self.fit_intercept = fit_intercept
        self.copy_X = copy_X
        self.max_iter = max_iter
        self.tol = tol
        self.solver = solver
        self.positive = positive
        self.random_state = random_state
        self.penalty_weights = penalty_weights

    def _alphas(self, n_targets) -> np.ndarray:
        # Raveled, as scikit-learn: a (1, n_targets) array is one alpha per target.
        alphas = np.asarray(self.alpha, dtype=object).ravel()
        if alphas.size not in (1, n_targets):
            raise ValueError(
                "Number of targets and number of penalties do not correspond: "
                f"{alphas.size} != {n_targets}"
            )
        checked = [
            check_nonnegative_scalar(a, "alpha", "Use alpha=0 for least squares.") for a in alphas
        ]
        return np.broadcast_to(np.asarray(checked, dtype=np.float64), (n_targets,))

    def fit(self, X, y, sample_weight=None):
        """Fit the model.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_targets)
        sample_weight : float or array-like of shape (n_samples,), optional

        Returns
        -------
        self
        """
        if (fitted := self._dask_fit(X, y, sample_weight)) is not None:
            return fitted
        check_nonnegative_scalar(self.tol, "tol")
        if self.max_iter is not None:
            check_positive_int(self.max_iter, "max_iter")
        solver = _resolve_solver(
            self.solver, self.positive, sp.issparse(X), self.fit_intercept, self.tol, self.max_iter
        )
        X, y = validated_fit_input(self, X, y, multi_output=True, y_numeric=True)
        Y = _targets(y)
        n_samples, n_features = X.shape
        alphas = self._alphas(Y.shape[1])
        s = _raw_sample_weight(sample_weight, n_samples)
        v = check_penalty_weights(self.penalty_weights, n_features)
        max_iter = self.max_iter if self.max_iter is not None else 10 * n_features + 100

        coefs = np.zeros((Y.shape[1], n_features))
        intercepts = np.zeros(Y.shape[1])
        n_iter = np.ones(Y.shape[1], dtype=np.int32)  # one direct solve
        if self.positive:
            self.method_ = "cd"
            for t in range(Y.shape[1]):
                coefs[t], intercepts[t], n_iter[t], converged = _positive_ridge(
                    X, Y[:, t], s, v, self.fit_intercept, alphas[t], self.tol, max_iter
                )
                if not converged:
                    # scikit-learn's wording (its positive solver is lbfgs), so code
                    # that filters this warning keeps working.
                    warnings.warn(
                        "The lbfgs solver did not converge. Try increasing max_iter "
                        f"or tol. Currently: max_iter={max_iter} and tol={self.tol} "
                        "(shrinkage solves positive=True by coordinate descent).",
                        ConvergenceWarning,
                        stacklevel=2,
                    )
        elif sp.issparse(X) and min(X.shape) > DIRECT_LIMIT:
            self.method_ = "cg"
            for t in range(Y.shape[1]):
                coefs[t], intercepts[t], n_iter[t], _ = solve_ridge_cg(
                    X, Y[:, t], s, v, self.fit_intercept, alphas[t], self.tol, max_iter
                )
        elif (direct := solve_ridge_direct(X, Y, s, v, self.fit_intercept, alphas)) is not None:
            coefs, intercepts, self.method_ = direct
        else:
            spectral = SpectralRidge(X, Y, s, v, self.fit_intercept, alpha_floor=min(alphas))
            self.method_ = spectral.route
            coefs, intercepts = spectral.coefs_at(alphas)
        self.solver_ = solver
        self.n_iter_ = n_iter if solver in _COUNTS_ITERATIONS else None
        self._store_coef(coefs, intercepts, np.ndim(y), X.dtype)
        return self


def _positive_ridge(X, y, s, v, fit_intercept, alpha, tol, max_iter):
    """Non-negative ridge by coordinate descent on the same objective (l1_ratio = 0)."""
    from ..solvers.problems import LeastSquaresProblem
    from ..solvers.ridge import solve_positive_ridge

    n = X.shape[0]
    h = np.full(n, 1.0 / n) if s is None else s / s.sum()
    total = n if s is None else s.sum()
    problem = LeastSquaresProblem(X, y, h, v, 0.0, True, fit_intercept, "auto")
    info = solve_positive_ridge(problem, alpha, total, tol, max_iter)
    intercept = problem.intercept if fit_intercept else 0.0
    return problem.coef, intercept, info.n_iter, info.converged


def _is_scalar(sample_weight) -> bool:
    """A number or a 0-d array (``np.asarray`` first: scikit-learn's test weights refuse
    ``np.ndim``)."""
    return isinstance(sample_weight, Real) or (
        sample_weight is not None and np.asarray(sample_weight).ndim == 0
    )


class _FixedPredictions(RegressorMixin, BaseEstimator):
    """Stands in for a regressor so a scikit-learn scorer can score given predictions."""

    def __init__(self, predictions=None):
        self.predictions = predictions

    def predict(self, X):
        return self.predictions


class RidgeCV(MultiOutputMixin, RegressorMixin, LinearModelCV):
    """Ridge with ``alpha`` chosen by exact leave-one-out or K-fold cross-validation.

    With ``cv=None`` (default) every alpha's exact leave-one-out error comes from one
    decomposition of the data (no refitting); with ``cv`` folds each fold is one
    decomposition giving all alphas at once. The chosen model is refitted on all the
    data from the full-data decomposition, which also gives the effective degrees of
    freedom ``tr H(α)`` and the GCV score at every alpha.

    Parameters
    ----------
    alphas : array-like of shape (n_alphas,), default=(0.1, 1.0, 10.0)
        Candidate strengths (scikit-learn's Ridge meaning), ``> 0``, in any order.
    fit_intercept : bool, default=True
    scoring : str, callable or None, default=None
        None: squared error (leave-one-out) or R² (K-fold), as scikit-learn.
        Otherwise any scikit-learn regression scorer.
    cv : int, cross-validation generator, iterable or None, default=None
        None: efficient exact leave-one-out.
    gcv_mode : None or str
        Accepted for compatibility; the decomposition is chosen by shape.
    store_cv_results : bool, default=False
        Keep the per-sample leave-one-out squared errors (or predictions, with a
        scorer) in ``cv_results_``, as scikit-learn.
    alpha_per_target : bool, default=False
        Choose one alpha per target.
    rule : {"min", "1se"}, default="min"
        Which alpha the final model uses: the best CV score, or the largest alpha
        within one standard error of it (:func:`shrinkage.selection.one_standard_error_rule`).
    penalty_weights : array-like of shape (n_features,), optional
    n_jobs : int or None
        Threads for K-fold cross-validation.
    verbose : int, default=0

    Attributes
    ----------
    alpha_ : float or ndarray of shape (n_targets,)
        The alpha of the final model (per ``rule``).
    alpha_min_, alpha_1se_ : float
        The best-scoring alpha and the one-standard-error alpha (first target).
    best_score_ : float or ndarray
        Score of ``alpha_`` (scikit-learn's sign: larger is better).
    cv_curve_ : CVCurve
        The error at every alpha, per fold (per sample for leave-one-out), with mean,
        standard error and a ``plot()`` method (first target).
    dof_ : ndarray of shape (n_alphas,)
        Effective degrees of freedom ``tr H`` of the full-data fit at each alpha
        (including the intercept).
    gcv_ : ndarray of shape (n_alphas,)
        Generalized cross-validation ``n‖√s(y − ŷ)‖² / (n − tr H)²`` (first target).
    coef_, intercept_, n_features_in_, feature_names_in_
    cv_results_ : ndarray
        Only with ``store_cv_results``.
    """

    def __init__(
        self,
        alphas=(0.1, 1.0, 10.0),
        *,
        fit_intercept=True,
        scoring=None,
        cv=None,
        gcv_mode=None,
        store_cv_results=False,
        alpha_per_target=False,
        rule="min",
        penalty_weights=None,
        n_jobs=None,
        verbose=0,
    ):
        self.alphas = alphas
        self.fit_intercept = fit_intercept
        self.scoring = scoring
        self.cv = cv
        self.gcv_mode = gcv_mode
        self.store_cv_results = store_cv_results
        self.alpha_per_target = alpha_per_target
        self.rule = rule
        self.penalty_weights = penalty_weights
        self.n_jobs = n_jobs
        self.verbose = verbose

    def _grid(self) -> np.ndarray:
        """The alphas in the caller's order, checked with scikit-learn's messages.

        Leave-one-out needs ``alpha > 0`` (as scikit-learn's); K-fold accepts 0.
        """
        alphas = self.alphas
        if isinstance(alphas, str):
            raise ValueError(f"alphas must be numbers > 0, got the string {alphas!r}.")
        check = partial(
            check_scalar,
            target_type=Real,
            min_val=0.0,
            include_boundaries="neither" if self.cv is None else "left",
        )
        if isinstance(alphas, (np.ndarray, list, tuple)) and np.ndim(alphas) > 0:
            if len(alphas) == 1:
                check(alphas[0], "alphas")
            else:
                for index, alpha in enumerate(alphas):
                    check(alpha, f"alphas[{index}]")
        elif isinstance(alphas, Real):
            check(alphas, "alphas")
        grid = np.asarray(alphas, dtype=np.float64).ravel()
        if grid.size == 0:
            raise ValueError("alphas is empty; pass at least one value.")
        if not np.isfinite(grid).all():
            raise ValueError(f"alphas contains NaN or infinity, got {alphas!r}.")
        return grid

    def _check_gcv_mode(self, X) -> None:
        if self.gcv_mode not in (None, "auto", "svd", "eigen"):
            raise ValueError(
                "The 'gcv_mode' parameter of RidgeCV must be a str among "
                f"{{'auto', 'svd', 'eigen'}} or None. Got {self.gcv_mode!r} instead."
            )
        if self.gcv_mode == "svd" and sp.issparse(X):
            # scikit-learn's deprecation; shrinkage's decomposition handles sparse X anyway.
            warnings.warn(
                "The 'svd' mode is not supported for sparse X, we fallback to "
                "`gcv_mode='eigen'`. Passing `gcv_mode='svd'` on sparse X will raise "
                "an error in 1.11, use the default or pass `gcv_mode='eigen'` to "
                "suppress this warning.",
                FutureWarning,
                stacklevel=3,
            )

    def fit(self, X, y, sample_weight=None, **params):
        """Choose alpha by cross-validation and fit the final model on all the data.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_targets)
        sample_weight : float or array-like of shape (n_samples,), optional
        **params : dict
            Metadata for the scorer and the splitter (``groups``); only with
            ``sklearn.set_config(enable_metadata_routing=True)``, as scikit-learn.

        Returns
        -------
        self
        """
        if (fitted := self._dask_fit(X, y, sample_weight)) is not None:
            return fitted
        rule = check_rule(self.rule)
        grid = self._grid()
        if self.cv is not None:
            if self.store_cv_results:
                raise ValueError("cv!=None and store_cv_results=True are incompatible")
            if self.alpha_per_target:
                raise ValueError("cv!=None and alpha_per_target=True are incompatible")
        # Leave-one-out scores are weighted as the fit; K-fold scores too when the
        # scorer accepts the weights (scikit-learn's grid search from 1.7 on). A scalar
        # weight scales every row alike: no score changes, none is passed.
        scored_weight = None if _is_scalar(sample_weight) else sample_weight
        split_params, score_params = route_fit(
            self, params, scored_weight,
            scorer_gets_weight=self.cv is None or (
                scored_weight is not None
                and not routing_enabled()
                and scorer_takes_sample_weight(self._get_scorer(), self)
            ),
        )
        input_dtype = getattr(X, "dtype", None)
        X, y = validated_fit_input(self, X, y, multi_output=True, y_numeric=True)
        self._check_gcv_mode(X)
        if sp.issparse(X):
            X = X.tocsr()  # folds slice rows
        Y = _targets(y)
        n_samples, n_features = X.shape
        s = _raw_sample_weight(sample_weight, n_samples)
        v = check_penalty_weights(self.penalty_weights, n_features)
        if sp.issparse(X) and min(X.shape) > DIRECT_LIMIT:
            raise ValueError(
                f"X is sparse with shape {X.shape}; RidgeCV decomposes X exactly and needs "
                f"min(n_samples, n_features) <= {DIRECT_LIMIT}. Use LassoCV/ElasticNetCV with "
                "l1_ratio near 0, or Ridge at a few alphas."
            )
        full = SpectralRidge(X, Y, s, v, self.fit_intercept, alpha_floor=grid.min())
        n_targets = Y.shape[1]
        per_target = bool(self.alpha_per_target) and n_targets > 1
        if self.cv is None:
            scores, fold_errors = self._leave_one_out(full, y, Y, s, grid, score_params)
        else:
            scores, fold_errors = self._k_fold(X, y, Y, s, v, grid, split_params, score_params)

        # scikit-learn's choice: the first alpha (in the caller's order) with the best
        # score; a NaN score never wins, so an all-NaN grid keeps the first alpha.
        columns = scores if per_target else scores.reshape(grid.size, -1)[:, :1]
        best = [first_best_index(columns[:, t]) for t in range(columns.shape[1])]
        metric = self._metric_name()
        curves = [
            _curve_or_none(grid, fold_errors[t] if per_target else fold_errors.mean(axis=0), metric)
            for t in range(len(best))
        ]
        if rule == "1se":
            if any(c is None for c in curves):
                raise ValueError("Every CV error is NaN or infinite; no alpha can be chosen.")
            best = [c.index_1se for c in curves]
        self.cv_curve_ = curves[0]
        self.alpha_min_ = float(grid[first_best_index(columns[:, 0])])
        self.alpha_1se_ = curves[0].alpha_1se if curves[0] is not None else self.alpha_min_
        if per_target:
            self.alpha_ = grid[best]
            self.best_score_ = scores[best, np.arange(n_targets)]
            alphas_chosen = list(self.alpha_)
        else:
            self.alpha_ = float(grid[best[0]])
            self.best_score_ = scores[best[0]]
            if np.ndim(self.best_score_) == 0:
                self.best_score_ = float(self.best_score_)
            alphas_chosen = [self.alpha_] * n_targets

        coefs, intercepts = full.coefs_at(alphas_chosen)
        dtype = input_dtype if input_dtype in (np.float32, np.float64) else X.dtype
        self._store_coef(coefs, intercepts, np.ndim(y), dtype)
        if self.store_cv_results:
            self.cv_results_ = self.cv_results_.astype(dtype, copy=False)
        self.dof_ = full.degrees_of_freedom(grid)
        self.gcv_ = full.gcv(grid)
        return self

    def _metric_name(self) -> str:
        if self.scoring is not None:
            return f"-{self.scoring}" if isinstance(self.scoring, str) else "-score"
        return "squared error (leave-one-out)" if self.cv is None else "1 - R²"

    def _leave_one_out(self, full, y, Y, s, grid, score_params):
        """scikit-learn's scores (n_alphas,) or (n_alphas, n_targets), and the errors
        (n_targets, n_alphas, n_samples) for the curves (lower is better)."""
        n_samples, n_targets = Y.shape
        # √s-scaled leave-one-out residuals, (n_samples, n_targets, n_alphas)
        loo = np.stack([full.loo_residuals(grid, target=t) for t in range(n_targets)], axis=1)
        scorer = self._scorer()
        # scikit-learn scores per target only for a 2-D y with several targets.
        per_target = bool(self.alpha_per_target) and np.ndim(y) == 2 and n_targets > 1
        if scorer is None:
            squared = loo**2
            errors = np.moveaxis(squared, 0, -1)  # (n_targets, n_alphas, n_samples)
            with np.errstate(invalid="ignore", over="ignore"):
                scores = -squared.mean(axis=0).T if per_target else -squared.mean(axis=(0, 1))
            stored = squared
        else:
            sqrt_s = np.ones(n_samples) if s is None else np.sqrt(s)
            with np.errstate(divide="ignore", invalid="ignore"):
                predictions = Y[:, :, None] - loo / sqrt_s[:, None, None]
            stored = predictions
            scores = np.zeros((grid.size, n_targets) if per_target else grid.size)
            for k in range(grid.size):
                if per_target:
                    scores[k] = [
                        scorer(
                            _FixedPredictions(predictions[:, t, k]), None, Y[:, t], **score_params
                        )
                        for t in range(n_targets)
                    ]
                else:
                    # One call with every target, as scikit-learn: a multi-output
                    # scorer sees the whole (n_samples, n_targets) prediction.
                    pred = predictions[:, :, k] if np.ndim(y) == 2 else predictions[:, 0, k]
                    scores[k] = scorer(_FixedPredictions(pred), None, y, **score_params)
            # A scorer gives one number for all samples: no per-sample spread.
            target_scores = scores.T if per_target else np.tile(scores, (n_targets, 1))
            errors = np.repeat(-target_scores[:, :, None], n_samples, axis=2)
        if self.store_cv_results:
            self.cv_results_ = stored[:, 0] if np.ndim(y) == 1 else stored
        return scores, errors

    def _scorer(self):
        if self.scoring is None:
            return None
        from sklearn.metrics import check_scoring

        return check_scoring(self, scoring=self.scoring)

    def _get_scorer(self, for_routing: bool = False):
        """The scorer for K-fold scores and for routing (scikit-learn's rule).

        With routing enabled and no ``scoring``, R² that requests ``sample_weight``
        (the estimator's own ``score``), as scikit-learn's RidgeCV.
        """
        from sklearn.metrics import check_scoring, get_scorer

        if self.scoring is None and (routing_enabled() or for_routing):
            return get_scorer("r2").set_score_request(sample_weight=True)
        return check_scoring(self, scoring=self.scoring)

    def get_metadata_routing(self):
        """The router: the scorer gets ``fit``'s scoring metadata, the splitter ``groups``."""
        return cv_router(self, self._get_scorer(for_routing=True), self.cv)

    def _k_fold(self, X, y, Y, s, v, grid, split_params, score_params):
        """Mean test scores (n_alphas,) as scikit-learn's grid search, and the errors
        (n_targets, n_alphas, n_folds) for the curves (lower is better)."""
        folds = check_folds(self.cv, X, y, False, split_params, self.rule)  # checked in fit
        check_fold_weights(folds, s)
        scorer = self._get_scorer()
        offset = 1.0 if self.scoring is None else 0.0  # the curve holds 1 − R²

        def fold_curve(setting, fold, train, test):
            weights = None if s is None else s[train]
            fold = SpectralRidge(
                X[train], Y[train], weights, v, self.fit_intercept, alpha_floor=grid.min()
            )
            predictions = np.zeros((test.size, Y.shape[1], grid.size))
            for t in range(Y.shape[1]):
                coef, intercept = fold.coefs(grid, target=t)
                predictions[:, t] = np.asarray(X[test] @ coef) + intercept
            extra = fold_metadata(score_params, test, len(Y))
            truth = y[test]
            out = np.zeros(grid.size)
            for k in range(grid.size):
                pred = predictions[:, :, k] if np.ndim(y) == 2 else predictions[:, 0, k]
                out[k] = scorer(_FixedPredictions(pred), None, truth, **extra)
            return out

        (results,) = self._cross_validate(fold_curve, folds)
        fold_table = np.stack(results, axis=-1)  # (n_alphas, n_folds)
        scores = fold_table.mean(axis=1)
        errors = np.broadcast_to(offset - fold_table, (Y.shape[1], *fold_table.shape))
        return scores, errors


def _curve_or_none(grid, fold_errors, metric) -> CVCurve | None:
    """The CV curve, or None when no alpha has a finite error (nothing to plot)."""
    try:
        return CVCurve(grid, fold_errors, metric=metric)
    except ValueError:  # every mean error is NaN or infinite
        return None
