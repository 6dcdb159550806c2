"""``LogisticRegression``: drop-in for scikit-learn's, solved by proximal Newton + CD."""

from __future__ import annotations

import warnings

import numpy as np
from scipy.special import expit, softmax
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.class_weight import compute_class_weight
from sklearn.utils.multiclass import check_classification_targets

from .._dispatch import dask_fit
from .._validation import (
    check_l1_ratio,
    check_nonnegative_scalar,
    check_penalty_weights,
    check_positive_int,
    check_sample_weight,
    logistic_penalty_strength,
    raw_sample_weight,
)
from ..solvers.logistic import LogisticProblem, MultinomialProblem
from ..solvers.problems import penalty_strengths, strong_rule_set
from ._base import linear_scores, validated_fit_input

_SOLVERS = ("auto", "lbfgs", "liblinear", "newton-cg", "newton-cholesky", "sag", "saga")
# Below this the KKT test is rounding noise in the mean log-loss.
_MIN_KKT_TOL = 1e-11


def _effective_l1_ratio(penalty, l1_ratio) -> tuple[float, bool]:
    """Resolve the deprecated ``penalty`` against ``l1_ratio``; return (ratio, unpenalized)."""
    if penalty == "deprecated":
        return check_l1_ratio(l1_ratio), False
    warnings.warn(
        "'penalty' is deprecated (as in scikit-learn 1.8+): use l1_ratio=1 for 'l1', "
        "l1_ratio=0 for 'l2', 0<l1_ratio<1 for 'elasticnet' and C=np.inf for None.",
        FutureWarning,
        stacklevel=3,
    )
    if penalty is None:
        return 0.0, True
    if penalty == "l1":
        if l1_ratio not in (0.0, 1.0):
            raise ValueError(
                f"penalty='l1' contradicts l1_ratio={l1_ratio}; drop penalty and set "
                "l1_ratio=1 (or the mix you want)."
            )
        return 1.0, False
    if penalty == "l2":
        if l1_ratio != 0.0:
            raise ValueError(
                f"penalty='l2' contradicts l1_ratio={l1_ratio}; drop penalty and set l1_ratio=0."
            )
        return 0.0, False
    if penalty == "elasticnet":
        return check_l1_ratio(l1_ratio), False
    raise ValueError(
        f"penalty must be 'l1', 'l2', 'elasticnet' or None (deprecated; prefer l1_ratio), "
        f"got {penalty!r}."
    )


class LogisticRegression(ClassifierMixin, BaseEstimator):
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

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
    coef_ : ndarray of shape (1, n_features) or (n_classes, n_features)
    intercept_ : ndarray of shape (1,) or (n_classes,)
    n_iter_ : ndarray of shape (1,)
        Newton steps (for multinomial: passes over the classes).
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

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags

    def _check_params(self):
        l1_ratio, unpenalized = _effective_l1_ratio(self.penalty, self.l1_ratio)
        C = check_nonnegative_scalar(
            self.C,
            "C",
            "C is the inverse penalty strength; use np.inf for no penalty.",
            allow_inf=True,
        )
        if C == 0:
            raise ValueError(
                "C must be > 0 (it divides the penalty); use a small C for a strong penalty."
            )
        if unpenalized:
            C = np.inf
        if self.dual:
            raise ValueError(
                "dual=True is not supported: shrinkage solves the primal; set dual=False."
            )
        if self.solver not in _SOLVERS:
            raise ValueError(f"solver must be one of {_SOLVERS}, got {self.solver!r}.")
        check_nonnegative_scalar(self.tol, "tol")
        check_positive_int(self.max_iter, "max_iter")
        if self.n_jobs is not None:
            warnings.warn(
                "n_jobs has no effect on LogisticRegression.", FutureWarning, stacklevel=3
            )
        return C, l1_ratio

    def fit(self, X, y, sample_weight=None):
        """Fit the model.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
            Class labels; two or more distinct values.
        sample_weight : array-like of shape (n_samples,), optional

        Returns
        -------
        self
        """
        fitted = dask_fit(self, X, y, sample_weight)
        if fitted is not None:
            return fitted
        C, l1_ratio = self._check_params()
        X, y = validated_fit_input(self, X, y)
        if getattr(X, "format", None) == "coo":
            X = X.tocsr()  # the solver slices columns; COO cannot be indexed
        check_classification_targets(y)
        self.classes_, encoded = np.unique(y, return_inverse=True)
        n_classes = self.classes_.size
        if n_classes < 2:
            raise ValueError(
                f"y has only 1 class ({self.classes_[0]!r}); logistic regression needs at "
                "least 2 classes in the training data."
            )
        n_samples, n_features = X.shape
        # A scalar weight is one weight per sample (it scales Σw, hence the penalty).
        raw_weights = raw_sample_weight(sample_weight, n_samples)
        h = check_sample_weight(raw_weights, n_samples)
        penalized_weights = raw_weights
        if self.class_weight is not None:
            # As scikit-learn: "balanced" counts classes with the sample weights.
            per_class = compute_class_weight(
                self.class_weight,
                classes=self.classes_,
                y=y,
                sample_weight=np.broadcast_to(raw_weights, (n_samples,)),
            )
            class_factor = per_class[encoded]
            penalized_weights = raw_weights * class_factor
            h = check_sample_weight(penalized_weights, n_samples)
        weights = check_penalty_weights(self.penalty_weights, n_features)
        alpha = float(logistic_penalty_strength(C, penalized_weights))
        # scikit-learn's lbfgs compares its gtol with the gradient of the mean loss,
        # which is exactly our KKT violation: the same tol means the same accuracy.
        tol = max(self.tol, _MIN_KKT_TOL)

        if n_classes == 2:
            self._fit_binary(X, encoded, h, weights, l1_ratio, alpha, tol)
        else:
            self._fit_multinomial(X, encoded, h, weights, l1_ratio, alpha, tol)
        self.coef_ = self.coef_.astype(X.dtype)
        self.intercept_ = self.intercept_.astype(X.dtype)
        return self

    def _warm_coef(self, shape):
        if self.warm_start and getattr(self, "coef_", None) is not None:
            if self.coef_.shape == shape:
                return self.coef_, self.intercept_
        return None, None

    def _fit_binary(self, X, encoded, h, weights, l1_ratio, alpha, tol):
        problem = LogisticProblem(
            X, encoded.astype(np.float64), h, weights, l1_ratio, False, self.fit_intercept
        )
        start_alpha = problem.alpha_max
        coef, intercept = self._warm_coef((1, X.shape[1]))
        if coef is not None:
            problem.intercept_ = float(intercept[0])
            problem.set_coef(coef[0])
            start_alpha = alpha
        l1_new, _ = penalty_strengths(alpha, l1_ratio, weights)
        l1_old, _ = penalty_strengths(max(start_alpha, alpha), l1_ratio, weights)
        working_set = strong_rule_set(problem.gradient, l1_new, l1_old, False)
        info = problem.solve(alpha, working_set, tol, self.max_iter, relative=False)
        self._report(info)
        self.coef_ = problem.coef[None, :].copy()
        self.intercept_ = np.array([problem.intercept if self.fit_intercept else 0.0])
        self.n_iter_ = np.array([info.n_iter])
        self.dual_gap_ = info.duality_gap

    def _fit_multinomial(self, X, encoded, h, weights, l1_ratio, alpha, tol):
        Y = np.eye(self.classes_.size)[encoded]
        problem = MultinomialProblem(X, Y, h, weights, l1_ratio, self.fit_intercept)
        coef, intercept = self._warm_coef((self.classes_.size, X.shape[1]))
        if coef is not None:
            problem.set_coef(coef, intercept)
        info = problem.solve(alpha, tol, self.max_iter)
        self._report(info)
        self.coef_ = problem.coef.copy()
        self.intercept_ = problem.intercept.copy() if self.fit_intercept else np.zeros(Y.shape[1])
        self.n_iter_ = np.array([info.n_iter])
        self.dual_gap_ = info.duality_gap

    def _report(self, info) -> None:
        if self.verbose:
            print(
                f"[LogisticRegression] {info.n_iter} Newton steps, duality gap "
                f"{info.duality_gap:.3e}, converged={info.converged}",
                flush=True,
            )
        if not info.converged:
            from sklearn.exceptions import ConvergenceWarning

            warnings.warn(
                f"LogisticRegression did not converge in max_iter={self.max_iter} Newton "
                f"steps (tol={self.tol:g}; duality gap reached {info.duality_gap:.3e}). "
                "Increase max_iter, standardize the features, or use a smaller C (more "
                "penalty); perfectly separable data with a tiny penalty has no finite "
                "solution.",
                ConvergenceWarning,
                stacklevel=3,
            )

    def decision_function(self, X):
        """Linear scores ``X @ coef_.T + intercept_`` (one column for binary)."""
        scores = linear_scores(self, X)
        return scores.ravel() if scores.shape[1] == 1 else scores

    def predict(self, X):
        """Most probable class for each row."""
        scores = self.decision_function(X)
        if scores.ndim == 1:
            return self.classes_[(scores > 0).astype(int)]
        return self.classes_[np.argmax(scores, axis=1)]

    def predict_proba(self, X):
        """Class probabilities, columns in the order of ``classes_``."""
        scores = self.decision_function(X)
        if scores.ndim == 1:
            p = expit(scores)
            return np.column_stack([1.0 - p, p])
        return softmax(scores, axis=1)

    def predict_log_proba(self, X):
        """Logarithm of :meth:`predict_proba`."""
        with np.errstate(divide="ignore"):
            return np.log(self.predict_proba(X))
