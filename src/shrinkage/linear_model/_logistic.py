"""``LogisticRegression``: drop-in for scikit-learn's, solved by proximal Newton + CD."""

from __future__ import annotations

import warnings
from numbers import Integral

import numpy as np
import scipy.sparse as sp
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted

from .._fitted import warm_start_coef
from .._validation import (
    check_l1_ratio,
    check_nonnegative_scalar,
    check_penalty_weights,
    check_sample_weight,
    logistic_penalty_strength,
    raw_sample_weight,
)
from ..path import _check_offset
from ..penalties import penalty_strengths
from ..solvers.grouped_multinomial import GroupedMultinomialProblem
from ..solvers.least_squares import SolveInfo
from ..solvers.logistic import LogisticProblem, MultinomialProblem
from ..solvers.multinomial_route import full_hessian_applies, full_hessian_path
from ..solvers.softmax_centring import SoftmaxCentring
from ..solvers.standardize import (
    coefficient_constraint,
    standardize_design,
    to_original_units,
    to_scaled_units,
)
from ..solvers.step import screened_solve
from ._base import LinearClassifierMixin, LinearModelBase, class_weights, validated_fit_input

_SOLVERS = ("auto", "lbfgs", "liblinear", "newton-cg", "newton-cholesky", "sag", "saga")
# scikit-learn's ConvergenceWarning wording per solver.
_SOLVER_WARNINGS = {
    "lbfgs": "lbfgs failed to converge. ",
    "newton-cg": "newton-cg failed to converge. Increase the number of iterations. ",
    "newton-cholesky": "Newton solver did not converge after {n} iterations. ",
    "liblinear": "Liblinear failed to converge, increase the number of iterations. ",
    "sag": "The max_iter was reached which means the coef_ did not converge. ",
    "saga": "The max_iter was reached which means the coef_ did not converge. ",
}
# Below this the KKT test is rounding noise in the mean log-loss.
_MIN_KKT_TOL = 1e-11
_MULTINOMIAL_PENALTIES = ("ungrouped", "grouped")


def check_multinomial_penalty(value) -> bool:
    """Validate ``multinomial_penalty``; True for "grouped"."""
    if not (isinstance(value, str) and value in _MULTINOMIAL_PENALTIES):
        raise ValueError(
            f"multinomial_penalty must be 'ungrouped' (one penalty per class coefficient, "
            f"scikit-learn's) or 'grouped' (one group per feature across the classes, "
            f"glmnet's type.multinomial='grouped'), got {value!r}."
        )
    return value == "grouped"


def check_class_offset(offset, n_samples: int, n_classes: int) -> np.ndarray | None:
    """glmnet's offset: one value per sample for two classes, an ``(n_samples, K)``
    matrix (one column per class, in the order of ``classes_``) for ``K ≥ 3``.

    A single column is refused for ``K ≥ 3``: an offset common to all classes cancels
    in the softmax, so it would silently do nothing (glmnet also requires ``n × K``).
    """
    if offset is None or n_classes <= 2:
        return _check_offset(offset, n_samples)
    try:
        offset = np.asarray(offset, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError("offset must be numbers, one row per sample.") from None
    if offset.shape != (n_samples, n_classes):
        raise ValueError(
            f"offset has shape {offset.shape} but the multinomial model needs "
            f"(n_samples, n_classes) = ({n_samples}, {n_classes}): one column per class in "
            "the order of classes_ (glmnet's n x K offset; one column common to all "
            "classes would cancel in the softmax)."
        )
    if not np.isfinite(offset).all():
        raise ValueError("offset contains NaN or infinity; pass finite values.")
    return offset


def check_grouped_bounds(grouped: bool, n_classes: int, l1_ratio: float, bounded: bool):
    """Refuse ``lower_bounds``/``upper_bounds`` with the grouped multinomial penalty.

    Its block update is the prox of ``l1‖b‖₂ + ½l2‖b‖₂²`` over a feature's K class
    coefficients; intersected with a box it has no closed form, and this solver's
    exact block step (a secular equation in ``‖b‖``) does not hold there; nor does
    the group penalty's conjugate (the duality gap) or its column centring. glmnet
    4.1 does offer it (its solutions meet the boxed group KKT conditions): not yet
    here.
    """
    if bounded and use_grouped_solver(grouped, n_classes, l1_ratio):
        raise NotImplementedError(
            "lower_bounds/upper_bounds are not implemented with "
            "multinomial_penalty='grouped' (the group-lasso block update restricted to a "
            "box has no closed form). Use multinomial_penalty='ungrouped', or drop the bounds."
        )


def use_grouped_solver(grouped: bool, n_classes: int, l1_ratio: float) -> bool:
    """The grouped solver only where it differs: three or more classes and an L1 part
    (two classes have one coefficient row; without L1 both penalties are ridge)."""
    return grouped and n_classes > 2 and l1_ratio > 0


def _resolve_penalty(penalty, l1_ratio, C, estimator: str = "LogisticRegression"):
    """scikit-learn 1.9's reading of the deprecated ``penalty`` against ``l1_ratio`` and ``C``.

    Returns the penalty name scikit-learn would use ("l1", "l2", "elasticnet" or None),
    with its warnings: ``penalty`` itself is deprecated and wins over ``l1_ratio``.
    """
    if penalty == "deprecated":
        if l1_ratio is None or l1_ratio == 0:
            name = "l2"
            if l1_ratio is None:
                warnings.warn(
                    "'l1_ratio=None' was deprecated in version 1.8 and will "
                    "trigger an error in 1.10. Use 0<=l1_ratio<=1 instead.",
                    FutureWarning,
                    stacklevel=4,
                )
        elif l1_ratio == 1:
            name = "l1"
        else:
            name = "elasticnet"
        if C == np.inf:
            name = None
        return name
    if penalty not in ("l1", "l2", "elasticnet", None):
        raise ValueError(
            f"The 'penalty' parameter of {estimator} must be a str among "
            f"{{'l1', 'l2', 'elasticnet'}} or None. Got {penalty!r} instead."
        )
    warnings.warn(
        "'penalty' was deprecated in version 1.8 and will be removed in"
        " 1.10. To avoid this warning, leave 'penalty' set to its default"
        " value and use 'l1_ratio' or 'C' instead."
        " Use l1_ratio=0 instead of penalty='l2',"
        " l1_ratio=1 instead of penalty='l1',"
        " l1_ratio set to a float between 0 and 1 instead of"
        " penalty='elasticnet', and C=np.inf instead of penalty=None.",
        FutureWarning,
        stacklevel=4,
    )
    return penalty


def check_class_count(solver, classes: np.ndarray) -> None:
    """scikit-learn's errors for one class in ``y``, and for liblinear with more than two."""
    n_classes = classes.size
    if n_classes < 2:
        raise ValueError(
            "This solver needs samples of at least 2 classes in the data, but the data "
            f"contains only one class: {classes[0]}. Logistic regression tells classes "
            "apart; check y (a filter or a split may have removed the other classes)."
        )
    if solver == "liblinear" and n_classes > 2:
        raise ValueError(
            "The 'liblinear' solver does not support multiclass classification"
            " (n_classes >= 3). Either use another solver or wrap the "
            "estimator in a OneVsRestClassifier to keep applying a "
            "one-versus-rest scheme."
        )


def check_solver(solver, penalty, dual) -> str:
    """scikit-learn's errors for solver/penalty/dual combinations it does not support.

    shrinkage solves every combination with the same proximal-Newton solver, but keeps
    scikit-learn's contract: what scikit-learn refuses is refused, with its message.
    """
    if solver not in _SOLVERS:
        raise ValueError(
            "The 'solver' parameter of LogisticRegression must be a str among "
            f"{set(_SOLVERS[1:])}. Got {solver!r} instead."
        )
    if solver == "auto":  # shrinkage's own default: every penalty, primal only
        return solver
    if solver not in ["liblinear", "saga"] and penalty not in ("l2", None):
        raise ValueError(
            f"Solver {solver} supports only 'l2' or None penalties, got {penalty} penalty."
        )
    if solver != "liblinear" and dual:
        raise ValueError(f"Solver {solver} supports only dual=False, got dual={dual}")
    if penalty == "elasticnet" and solver != "saga":
        raise ValueError(f"Only 'saga' solver supports elasticnet penalty, got solver={solver}.")
    if solver == "liblinear" and penalty is None:
        raise ValueError(
            "C=np.inf as well as penalty=None is not supported for the liblinear solver"
        )
    return solver


class SparseCoefMixin:
    """``sparsify`` and ``densify`` of a fitted classifier's ``coef_``, as scikit-learn's
    linear classifiers (``LogisticRegression`` and ``LogisticRegressionCV``)."""

    def densify(self):
        """Turn a sparse ``coef_`` (see :meth:`sparsify`) back into a dense array.

        Returns
        -------
        self
        """
        check_is_fitted(self)
        if sp.issparse(self.coef_):
            self.coef_ = self.coef_.toarray()
        return self

    def sparsify(self):
        """Store ``coef_`` as a SciPy sparse matrix (memory and speed for L1 models).

        Predictions use it as is; :meth:`densify` reverts. As scikit-learn's.

        Returns
        -------
        self
        """
        check_is_fitted(self)
        self.coef_ = sp.csr_matrix(self.coef_)
        return self


class LogisticRegression(SparseCoefMixin, LinearClassifierMixin, LinearModelBase):
    """Logistic regression with L1, L2 or elastic-net penalty.

    Minimizes scikit-learn's objective

    .. math::

        C \\sum_i s_i\\,\\ell_i(\\beta_0, \\beta)
        + \\sum_j v_j\\Big(\\rho|\\beta_j| + \\frac{1-\\rho}{2}\\beta_j^2\\Big)

    (``ℓ`` the log-loss, binary or multinomial; ``s`` sample weights times class
    weights; ``ρ = l1_ratio``; ``v = penalty_weights``), which is shrinkage's
    convention ``Σ hᵢℓᵢ + α·penalty`` with ``α = 1/(C·Σsᵢ)`` and ``h = s/Σs``.
    Binary problems have one coefficient row; three or more classes are fitted
    jointly (multinomial), as scikit-learn does since 1.8.

    Parameters
    ----------
    penalty : {"l1", "l2", "elasticnet", None}, deprecated
        Use ``l1_ratio`` and ``C``; if given it must agree with ``l1_ratio``.
    C : float, default=1.0
        Inverse penalty strength, ``> 0``; ``np.inf`` for no penalty.
    l1_ratio : float, default=0.0
        Mix in [0, 1]: 0 is L2, 1 is L1.
    dual : bool, default=False
        Only the primal problem is solved; ``True`` is an error.
    tol : float, default=1e-4
        Stop when every KKT violation of the mean-loss objective
        ``Σ hᵢℓᵢ + α·penalty`` is at most ``tol`` (scikit-learn's lbfgs applies its
        ``tol`` to the same gradient).
    fit_intercept : bool, default=True
    intercept_scaling : float, default=1
        Accepted for compatibility (a liblinear device; the intercept here is never
        penalized).
    class_weight : dict or "balanced", optional
    random_state : None
        Accepted for compatibility; the solver is deterministic.
    solver : str, default="auto"
        Accepted for compatibility: every choice runs proximal Newton with
        coordinate descent, which minimizes the same objective.
    max_iter : int, default=100
        Most Newton steps.
    verbose : int, default=0
    warm_start : bool, default=False
    n_jobs : None
        Accepted for compatibility.
    penalty_weights : array-like of shape (n_features,), optional
        Per-feature penalty factors; 0 leaves a feature unpenalized.
    standardize : bool, default=False
        glmnet's ``standardize=TRUE``: fit in the columns ``x_j / s_j`` (``s_j`` the
        standard deviation weighted by ``s`` with the ``1/n`` formula) with the same
        ``C``; ``coef_`` in original units, 0 for a constant column
        (:mod:`shrinkage.solvers.standardize`).
    multinomial_penalty : {"ungrouped", "grouped"}, default="ungrouped"
        With three or more classes: "ungrouped" (scikit-learn's) penalizes each of the
        ``K × p`` coefficients on its own; "grouped" puts a group lasso over each
        feature's K class coefficients,
        ``Σ_j v_j(ρ‖B_·j‖₂ + (1−ρ)/2‖B_·j‖₂²)``, so a feature is in or out for all
        classes at once (glmnet's ``type.multinomial="grouped"`` at
        ``λ = 1/(C·Σsᵢ)``; the fitted columns of ``coef_`` sum to zero, as glmnet's).
        The two are the same for binary targets (one coefficient row) and for
        ``l1_ratio=0`` (ridge).
    lower_bounds, upper_bounds : float or array-like of shape (n_features,), optional
        Box constraints ``lower_j ≤ β_j ≤ upper_j`` on the coefficients (glmnet's
        ``lower.limits`` / ``upper.limits``): a scalar or one per feature, ``None`` for
        unbounded, with ``lower ≤ 0 ≤ upper``; in original units, also with
        ``standardize=True``. With K classes every class coefficient of feature ``j`` is
        bounded (glmnet's ``family="multinomial"``); not with
        ``multinomial_penalty="grouped"`` (NotImplementedError).

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
    coef_ : ndarray of shape (1, n_features) or (n_classes, n_features)
    intercept_ : ndarray of shape (1,) or (n_classes,)
    n_iter_ : ndarray of shape (1,)
        Newton steps (ungrouped multinomial: passes over the classes).
    dual_gap_ : float
        Duality gap reached, in the mean-loss units ``Σ hᵢℓᵢ + α·penalty``.
    n_features_in_ : int
    feature_names_in_ : ndarray of str
    """

    def __init__(
        self,
        penalty="deprecated",
        *,
        C=1.0,
        l1_ratio=0.0,
        dual=False,
        tol=1e-4,
        fit_intercept=True,
        intercept_scaling=1,
        class_weight=None,
        random_state=None,
        solver="auto",
        max_iter=100,
        verbose=0,
        warm_start=False,
        n_jobs=None,
        penalty_weights=None,
        standardize=False,
        multinomial_penalty="ungrouped",
        lower_bounds=None,
        upper_bounds=None,
    ):
        self.penalty = penalty
        self.C = C
        self.l1_ratio = l1_ratio
        self.dual = dual
        self.tol = tol
        self.fit_intercept = fit_intercept
        self.intercept_scaling = intercept_scaling
        self.class_weight = class_weight
        self.random_state = random_state
        self.solver = solver
        self.max_iter = max_iter
        self.verbose = verbose
        self.warm_start = warm_start
        self.n_jobs = n_jobs
        self.penalty_weights = penalty_weights
        self.standardize = standardize
        self.multinomial_penalty = multinomial_penalty
        self.lower_bounds = lower_bounds
        self.upper_bounds = upper_bounds

    def _check_params(self):
        """Resolve penalty, C and l1_ratio as scikit-learn 1.9; return (C, l1_ratio)."""
        C = check_nonnegative_scalar(
            self.C,
            "C",
            "C is the inverse penalty strength; use np.inf for no penalty.",
            allow_inf=True,
        )
        if C == 0:
            raise ValueError(
                "The 'C' parameter of LogisticRegression must be a float in the range "
                "(0.0, inf]. Got 0 instead (C must be > 0; a small C is a strong penalty)."
            )
        if self.l1_ratio is not None:
            check_l1_ratio(self.l1_ratio)
        penalty = _resolve_penalty(self.penalty, self.l1_ratio, C)
        check_solver(self.solver, penalty, self.dual)
        if penalty != "elasticnet" and self.l1_ratio is not None and 0 < self.l1_ratio < 1:
            warnings.warn(
                f"l1_ratio parameter is only used when penalty is 'elasticnet'. Got "
                f"(penalty={penalty})",
                stacklevel=3,
            )
        if (self.penalty == "l2" and self.l1_ratio != 0) or (
            self.penalty == "l1" and self.l1_ratio != 1
        ):
            warnings.warn(
                f"Inconsistent values: penalty={self.penalty} with "
                f"l1_ratio={self.l1_ratio}. penalty is deprecated. Please use "
                "l1_ratio only.",
                stacklevel=3,
            )
        if penalty == "elasticnet" and self.l1_ratio is None:
            raise ValueError("l1_ratio must be specified when penalty is elasticnet.")
        if self.penalty is None:
            if self.C != 1.0:
                warnings.warn(
                    "Setting penalty=None will ignore the C and l1_ratio parameters",
                    stacklevel=3,
                )
            C = np.inf
        if self.dual and self.solver == "auto":
            raise ValueError(
                "dual=True is not supported: shrinkage solves the primal; set dual=False."
            )
        # liblinear's dual=True problem has the same solution as the primal one.
        l1_ratio = {"l1": 1.0, "l2": 0.0, None: 0.0}.get(penalty, self.l1_ratio)
        check_nonnegative_scalar(self.tol, "tol")
        if not (isinstance(self.max_iter, Integral) and self.max_iter >= 0):
            raise ValueError(f"max_iter must be an integer >= 0, got {self.max_iter!r}.")
        if self.n_jobs is not None:
            warnings.warn(
                "'n_jobs' has no effect since 1.8 and will be removed in 1.10. "
                f"You provided 'n_jobs={self.n_jobs}', please leave it unspecified.",
                FutureWarning,
                stacklevel=3,
            )
        return C, float(l1_ratio)

    def fit(self, X, y, sample_weight=None, offset=None):
        """Fit the model.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
            Class labels; two or more distinct values.
        sample_weight : array-like of shape (n_samples,), optional
        offset : array-like of shape (n_samples,) or (n_samples, n_classes), optional
            Fixed part of the linear predictor, ``η = offset + β₀ + Xβ`` (glmnet's
            ``offset``): one value per sample for two classes, one column per class
            (in the order of ``classes_``; glmnet's ``n × K``) for three or more. As the GLM
            regressors, ``predict``/``decision_function``/``predict_proba`` add an
            offset only when given one again (glmnet's ``newoffset``).

        Returns
        -------
        self
        """
        if (fitted := self._dask_fit(X, y, sample_weight, offset)) is not None:
            return fitted
        C, l1_ratio = self._check_params()
        grouped = check_multinomial_penalty(self.multinomial_penalty)
        X, y = validated_fit_input(
            self, X, y, accept_large_sparse=self.solver not in ("liblinear", "sag", "saga")
        )
        if getattr(X, "format", None) == "coo":
            X = X.tocsr()  # the solver slices columns; COO cannot be indexed
        if self.solver == "liblinear" and (X.max() if X.size else 0) > 1e30:
            raise ValueError(
                "Using the 'liblinear' solver while X contains a maximum "
                "value > 1e30 results in a frozen fit. Please choose another "
                "solver or rescale the input X."
            )
        check_classification_targets(y)
        self.classes_, encoded = np.unique(y, return_inverse=True)
        n_classes = self.classes_.size
        check_class_count(self.solver, self.classes_)
        n_samples, n_features = X.shape
        offset = check_class_offset(offset, n_samples, n_classes)
        check_grouped_bounds(grouped, n_classes, l1_ratio, self._bounded())
        # A scalar weight is one weight per sample (it scales Σw, hence the penalty).
        raw_weights = raw_sample_weight(sample_weight, n_samples)
        h = check_sample_weight(raw_weights, n_samples)
        penalized_weights = raw_weights
        if self.class_weight is not None:
            # As scikit-learn: "balanced" counts classes with the sample weights.
            per_class = class_weights(
                self.class_weight,
                self.classes_,
                y,
                np.broadcast_to(np.asarray(raw_weights, dtype=np.float64), (n_samples,)),
            )
            class_factor = per_class[encoded]
            penalized_weights = raw_weights * class_factor
            h = check_sample_weight(penalized_weights, n_samples)
        weights = check_penalty_weights(self.penalty_weights, n_features)
        alpha = float(logistic_penalty_strength(C, penalized_weights))
        # scikit-learn's lbfgs compares its gtol with the gradient of the mean loss,
        # which is exactly our KKT violation: the same tol means the same accuracy.
        tol = max(self.tol, _MIN_KKT_TOL)
        X_in = X  # the caller's X: its dtype is coef_'s
        X, self._scales = standardize_design(X, h, self.standardize)
        constraint = coefficient_constraint(
            n_features, self.lower_bounds, self.upper_bounds, False, self._scales
        )

        if self.max_iter == 0:
            # scikit-learn: max_iter=0 leaves the starting point (all zeros) and warns.
            n_rows = 1 if n_classes == 2 else n_classes
            self.coef_ = np.zeros((n_rows, n_features))
            self.intercept_ = np.zeros(n_rows)
            self.n_iter_ = np.zeros(1, dtype=np.int32)
            self.dual_gap_ = np.inf
            self._warn_not_converged(np.inf)
        elif n_classes == 2:
            self._fit_binary(X, encoded, h, weights, l1_ratio, alpha, tol, constraint, offset)
        elif use_grouped_solver(grouped, n_classes, l1_ratio):
            self._fit_grouped(X, encoded, h, weights, l1_ratio, alpha, tol, offset)
        else:
            self._fit_multinomial(X, encoded, h, weights, l1_ratio, alpha, tol, constraint, offset)
        # liblinear returns float64 whatever the input (scikit-learn's contract).
        dtype = np.float64 if self.solver == "liblinear" else X_in.dtype
        self.coef_ = to_original_units(self.coef_, self.__dict__.pop("_scales"), axis=1)
        self.coef_ = self.coef_.astype(dtype)
        self.intercept_ = self.intercept_.astype(dtype)
        self.n_iter_ = np.asarray(self.n_iter_, dtype=np.int32)
        return self

    def _warm_coef(self, shape):
        coef = warm_start_coef(self, shape)
        if coef is None:
            return None, None
        return to_scaled_units(coef, self._scales, axis=1), self.intercept_

    def _bounded(self) -> bool:
        return self.lower_bounds is not None or self.upper_bounds is not None

    def _fit_binary(
        self, X, encoded, h, weights, l1_ratio, alpha, tol, constraint=False, offset=None
    ):
        problem = LogisticProblem(
            X,
            encoded.astype(np.float64),
            h,
            weights,
            l1_ratio,
            constraint,
            self.fit_intercept,
            offset=offset,
        )
        start_alpha = problem.alpha_max
        coef, intercept = self._warm_coef((1, X.shape[1]))
        if coef is not None:
            problem.intercept_ = float(intercept[0])
            problem.set_coef(problem.box.project(coef[0]))
            start_alpha = alpha
        # No finite check: logistic scores saturate instead of overflowing, and the
        # warning is LogisticRegression's own (scikit-learn's wording per solver).
        # tol_rel: scikit-learn's saga/CD test too (the last step small relative to β):
        # on flat directions the KKT test alone stops far from the optimum.
        info = screened_solve(
            problem, alpha, start_alpha, tol, self.max_iter, relative=False, tol_rel=tol
        )
        self._report(info)
        self.coef_ = problem.coef[None, :].copy()
        self.intercept_ = np.array([problem.intercept if self.fit_intercept else 0.0])
        self.n_iter_ = np.array([info.n_iter])
        self.dual_gap_ = info.duality_gap

    def _fit_multinomial(
        self, X, encoded, h, weights, l1_ratio, alpha, tol, constraint=False, offset=None
    ):
        n_classes = self.classes_.size
        Y = np.eye(n_classes)[encoded]
        coef, intercept = self._warm_coef((n_classes, X.shape[1]))
        if full_hessian_applies(X, n_classes, l1_ratio, self.fit_intercept, offset, constraint):
            start = None if coef is None else (coef, intercept)
            path = full_hessian_path(
                X, encoded, h, weights, l1_ratio, [alpha], n_classes, tol, self.max_iter,
                self.fit_intercept, start, offset,
            )  # fmt: skip
            # The certificate, on the problem the path solved.
            problem = MultinomialProblem(X, Y, h, weights, l1_ratio, self.fit_intercept, offset)
            problem.set_coef(path.coefs[0], path.intercepts[0])
            gradient = problem._class_gradients()
            l1, l2 = penalty_strengths(alpha, l1_ratio, weights)
            gap = problem.duality_gap(gradient, problem.probabilities(), l1, l2)
            info = SolveInfo(gap, int(path.n_steps[0]), gradient, bool(path.converged[0]))
            self._report(info)
            self._keep_multinomial(problem, SoftmaxCentring(X, h, False), info)
            return
        centring = SoftmaxCentring(X, h, self.fit_intercept and l1_ratio > 0)
        problem = MultinomialProblem(
            centring.X, Y, h, weights, l1_ratio, self.fit_intercept, offset, constraint,
            column_means=centring.means,
        )  # fmt: skip
        if coef is not None:
            if problem.positive is not False:
                coef = problem.positive.project(coef)
            problem.set_coef(coef, centring.to_centred(coef, intercept))
        info = problem.solve(alpha, tol, self.max_iter)
        self._report(info)
        self._keep_multinomial(problem, centring, info)

    def _keep_multinomial(self, problem, centring, info) -> None:
        """The fitted attributes of a softmax solve, intercepts back on the caller's
        columns."""
        self.coef_ = problem.coef.copy()
        self.intercept_ = (
            centring.to_original(problem.coef, problem.intercept.copy())
            if self.fit_intercept
            else np.zeros(problem.n_classes)
        )
        self.n_iter_ = np.array([info.n_iter])
        self.dual_gap_ = info.duality_gap

    def _fit_grouped(self, X, encoded, h, weights, l1_ratio, alpha, tol, offset=None):
        Y = np.eye(self.classes_.size)[encoded]
        centring = SoftmaxCentring(X, h, self.fit_intercept)  # grouped: always an L1 part
        problem = GroupedMultinomialProblem(
            centring.X, Y, h, weights, l1_ratio, self.fit_intercept, offset,
            column_means=centring.means,
        )  # fmt: skip
        start_alpha = problem.alpha_max
        coef, intercept = self._warm_coef((self.classes_.size, X.shape[1]))
        if coef is not None:
            problem.set_coef(coef, centring.to_centred(coef, intercept))
            start_alpha = alpha
        info = screened_solve(problem, alpha, start_alpha, tol, self.max_iter)
        self._report(info)
        self._keep_multinomial(problem, centring, info)

    def _report(self, info) -> None:
        if self.verbose:
            print(
                f"[LogisticRegression] {info.n_iter} Newton steps, duality gap "
                f"{info.duality_gap:.3e}, converged={info.converged}",
                flush=True,
            )
        if not info.converged:
            self._warn_not_converged(info.duality_gap)

    def _warn_not_converged(self, gap) -> None:
        from sklearn.exceptions import ConvergenceWarning

        # scikit-learn's wording for the solver asked for comes first, so filters and
        # tests written for scikit-learn's warning keep matching; then what happened.
        warnings.warn(
            f"{_SOLVER_WARNINGS.get(self.solver, '').format(n=self.max_iter)}"
            f"LogisticRegression did not converge in max_iter={self.max_iter} iterations "
            f"(tol={self.tol:g}; duality gap reached {gap:.3e}; shrinkage solves every "
            "solver= by proximal Newton steps, or by L-BFGS iterations for a multinomial "
            "fit with no L1 part and over 256 parameters). "
            "Increase the number of iterations (max_iter), standardize the features, or use "
            "a smaller C (more penalty); perfectly separable data with a tiny penalty has no "
            "finite solution.",
            ConvergenceWarning,
            stacklevel=4,
        )
