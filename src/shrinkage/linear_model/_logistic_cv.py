"""``LogisticRegressionCV``: ``C`` (and ``l1_ratio``) by cross-validation, plus the 1-SE rule.

Each fold solves the path over ``Cs`` (increasing ``C`` = decreasing penalty) with
warm starts: binary problems by the proximal-Newton path solver with strong rules,
multinomial ones class-block by class-block. Same objective and ``C`` as
:class:`LogisticRegression` (scikit-learn's).
"""

from __future__ import annotations

from numbers import Integral

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.class_weight import compute_class_weight
from sklearn.utils.multiclass import check_classification_targets

from .._dispatch import dask_fit
from .._validation import (
    check_alpha_grid,
    check_l1_ratio,
    check_nonnegative_scalar,
    check_penalty_weights,
    check_positive_int,
    check_sample_weight,
    logistic_penalty_strength,
    raw_sample_weight,
)
from ..selection import CVCurve, check_fold_weights, check_folds, check_rule, run_folds
from ..solvers.logistic import LogisticProblem, MultinomialProblem
from ..solvers.problems import penalty_strengths, strong_rule_set
from ._base import validated_fit_input
from ._logistic import _MIN_KKT_TOL, _SOLVERS, LogisticRegression


class LogisticRegressionCV(ClassifierMixin, BaseEstimator):
    """Logistic regression with ``C`` and ``l1_ratio`` chosen by cross-validation.

    Drop-in for ``sklearn.linear_model.LogisticRegressionCV`` (with
    ``use_legacy_attributes=False``, the layout scikit-learn moves to), plus the
    one-standard-error rule and the whole CV curve. The penalty is
    ``Σ_j v_j(ρ|β_j| + (1−ρ)/2 β_j²)`` against ``C·Σ s_i ℓ_i``.

    Parameters
    ----------
    Cs : int or array-like, default=10
        Grid of ``C`` (inverse strength, ``> 0``), or its size: ``np.logspace(-4, 4, Cs)``.
    l1_ratios : array-like or None, default=None
        Mixes to try; None means ``(0.0,)`` (L2), scikit-learn's coming default.
    fit_intercept : bool, default=True
    cv : int, cross-validation generator, iterable or None, default=None
        None means 5-fold ``StratifiedKFold``.
    dual : bool, default=False
        Must be False (the primal is solved).
    penalty : deprecated
        As :class:`LogisticRegression`; prefer ``l1_ratios``.
    scoring : str, callable or None, default=None
        None is accuracy (scikit-learn's current default); "neg_log_loss" is smoother
        and better suited to the 1-SE rule.
    solver : str, default="lbfgs"
        Accepted for compatibility; shrinkage uses proximal Newton for all penalties.
    tol : float, default=1e-4
        KKT tolerance on the gradient of the mean loss, as :class:`LogisticRegression`.
    max_iter : int, default=100
        Newton steps per C.
    class_weight : dict, "balanced" or None
    n_jobs : int or None
        Folds in parallel threads.
    verbose : int, default=0
        A line per finished fold.
    refit : bool, default=True
        Refit on all the data at the chosen (C, l1_ratio); otherwise average the
        fold coefficients at each fold's best C, as scikit-learn.
    intercept_scaling : float
        Accepted for compatibility (liblinear only in scikit-learn); not used.
    random_state : None
        Accepted for compatibility.
    use_legacy_attributes : bool, default=False
        True gives scikit-learn's legacy layout (``C_`` and ``l1_ratio_`` arrays,
        ``scores_`` and ``coefs_paths_`` dicts keyed by class).
    rule : {"min", "1se"}, default="min"
        The best mean score, or the smallest ``C`` (strongest penalty) whose mean
        score is within one standard error of the best.
    penalty_weights : array-like of shape (n_features,), optional

    Attributes
    ----------
    C_ : float
    l1_ratio_ : float
    C_min_, C_1se_ : float
        The best-scoring C and the one-standard-error C (at ``l1_ratio_``).
    Cs_ : ndarray of shape (n_cs,)
    l1_ratios_ : ndarray of shape (n_l1_ratios,)
    scores_ : ndarray of shape (n_folds, n_l1_ratios, n_cs)
    coefs_paths_ : ndarray of shape (n_folds, n_l1_ratios, n_cs, n_rows, n_dof)
        ``n_rows`` is 1 for binary problems and ``n_classes`` otherwise; ``n_dof`` is
        ``n_features + 1`` with an intercept (last column).
    n_iter_ : ndarray of shape (n_folds, n_l1_ratios, n_cs)
    cv_curve_ : CVCurve
        ``-score`` per fold along ``Cs_`` at ``l1_ratio_``, with ``plot()``.
    coef_, intercept_, classes_, n_features_in_, feature_names_in_
    """

    def __init__(
        self,
        *,
        Cs=10,
        l1_ratios=None,
        fit_intercept=True,
        cv=None,
        dual=False,
        penalty="deprecated",
        scoring=None,
        solver="lbfgs",
        tol=1e-4,
        max_iter=100,
        class_weight=None,
        n_jobs=None,
        verbose=0,
        refit=True,
        intercept_scaling=1.0,
        random_state=None,
        use_legacy_attributes=False,
        rule="min",
        penalty_weights=None,
    ):
        self.Cs = Cs
        self.l1_ratios = l1_ratios
        self.fit_intercept = fit_intercept
        self.cv = cv
        self.dual = dual
        self.penalty = penalty
        self.scoring = scoring
        self.solver = solver
        self.tol = tol
        self.max_iter = max_iter
        self.class_weight = class_weight
        self.n_jobs = n_jobs
        self.verbose = verbose
        self.refit = refit
        self.intercept_scaling = intercept_scaling
        self.random_state = random_state
        self.use_legacy_attributes = use_legacy_attributes
        self.rule = rule
        self.penalty_weights = penalty_weights

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags

    def _grid(self) -> np.ndarray:
        if isinstance(self.Cs, Integral) and not isinstance(self.Cs, bool):
            return np.logspace(-4, 4, check_positive_int(self.Cs, "Cs"))
        return check_alpha_grid(self.Cs, "Cs", require_positive=True)[::-1]  # increasing

    def _ratios(self) -> list[float]:
        if self.penalty not in ("deprecated", "l2", "l1", "elasticnet"):
            raise ValueError(
                f"penalty must be 'l1', 'l2' or 'elasticnet' (deprecated; prefer l1_ratios), "
                f"got {self.penalty!r}."
            )
        if self.l1_ratios is None:
            return [1.0] if self.penalty == "l1" else [0.0]
        ratios = np.atleast_1d(np.asarray(self.l1_ratios, dtype=object))
        if ratios.size == 0:
            raise ValueError("l1_ratios is empty; pass numbers in [0, 1].")
        return [check_l1_ratio(r) for r in ratios]

    def fit(self, X, y, sample_weight=None, **params):
        """Cross-validate the path over ``Cs`` (and ``l1_ratios``), then refit.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
        sample_weight : array-like of shape (n_samples,), optional
            Weights the training loss of every fold (the scorer is unweighted, as in
            scikit-learn without metadata routing).

        Returns
        -------
        self
        """
        fitted = dask_fit(self, X, y, sample_weight)
        if fitted is not None:
            return fitted
        rule = check_rule(self.rule)
        Cs, ratios = self._grid(), self._ratios()
        if self.dual:
            raise ValueError("dual=True is not supported: shrinkage solves the primal.")
        if self.solver not in _SOLVERS:
            raise ValueError(f"solver must be one of {_SOLVERS}, got {self.solver!r}.")
        check_nonnegative_scalar(self.tol, "tol")
        check_positive_int(self.max_iter, "max_iter")
        X, y = validated_fit_input(self, X, y)
        if sp.issparse(X):
            X = X.tocsr()
        check_classification_targets(y)
        self.classes_, encoded = np.unique(y, return_inverse=True)
        if self.classes_.size < 2:
            raise ValueError(
                f"y has only 1 class ({self.classes_[0]!r}); logistic regression needs at "
                "least 2 classes."
            )
        n_samples, n_features = X.shape
        raw = raw_sample_weight(sample_weight, n_samples).copy()
        if self.class_weight is not None:
            per_class = compute_class_weight(
                self.class_weight, classes=self.classes_, y=y, sample_weight=raw
            )
            raw = raw * per_class[encoded]
        weights = check_penalty_weights(self.penalty_weights, n_features)
        folds = check_folds(self.cv, X, y, classifier=True)
        check_fold_weights(folds, raw)
        for index, (train, _) in enumerate(folds):
            if np.unique(encoded[train]).size < 2:
                raise ValueError(
                    f"The training part of fold {index + 1} has only one class; use "
                    "stratified folds (cv as an integer does this) or fewer folds."
                )
        scorer = self._scorer()
        tol = max(self.tol, _MIN_KKT_TOL)

        def fold_path(ratio, train, test):
            coefs, intercepts, n_iter = _logistic_path(
                X[train],
                encoded[train],
                raw[train],
                weights,
                ratio,
                Cs,
                self.classes_.size,
                self.fit_intercept,
                tol,
                self.max_iter,
            )
            model = LogisticRegression()
            model.classes_ = self.classes_
            model.n_features_in_ = n_features
            scores = np.zeros(Cs.size)
            for k in range(Cs.size):
                model.coef_, model.intercept_ = coefs[k], intercepts[k]
                scores[k] = scorer(model, X[test], y[test])
            return coefs, intercepts, n_iter, scores

        tasks = [(ratio, train, test) for ratio in ratios for train, test in folds]
        results = run_folds(fold_path, tasks, self.n_jobs, self.verbose, type(self).__name__)
        n_folds, n_ratios = len(folds), len(ratios)

        def stacked(position):
            values = np.array([r[position] for r in results])
            values = values.reshape(n_ratios, n_folds, *values.shape[1:])
            return np.swapaxes(values, 0, 1)  # (n_folds, n_ratios, ...)

        coefs, intercepts, n_iter, scores = (stacked(i) for i in range(4))
        self.Cs_ = Cs
        self.l1_ratios_ = np.asarray(ratios)
        self.n_iter_ = n_iter
        dof = (
            np.concatenate([coefs, intercepts[..., None]], axis=-1) if self.fit_intercept else coefs
        )
        self.coefs_paths_ = dof
        self.scores_ = scores

        curves = [
            CVCurve(
                Cs, -scores[:, i].T, metric=self._metric(), larger_is_simpler=False, parameter="C"
            )
            for i in range(n_ratios)
        ]
        mean = scores.mean(axis=0)  # (n_ratios, n_cs)
        # Best mean score; ties go to the smallest C, then the first l1_ratio.
        best_ratio = int(np.argmax(mean.max(axis=1)))
        curve = curves[best_ratio]
        self.cv_curves_, self.cv_curve_ = curves, curve
        self.l1_ratio_ = ratios[best_ratio]
        self.C_min_, self.C_1se_ = curve.alpha_min, curve.alpha_1se
        chosen = curve.chosen_index(rule)
        self.C_ = float(Cs[chosen])

        if self.refit:
            final = LogisticRegression(
                C=self.C_,
                l1_ratio=self.l1_ratio_,
                fit_intercept=self.fit_intercept,
                tol=self.tol,
                max_iter=self.max_iter,
                penalty_weights=self.penalty_weights,
            ).fit(X, y, sample_weight=raw)
            self.coef_, self.intercept_ = final.coef_, final.intercept_
        else:
            # scikit-learn's refit=False: average each fold's best coefficients.
            best = np.argmax(scores[:, best_ratio], axis=1)
            folds_range = np.arange(n_folds)
            self.coef_ = coefs[folds_range, best_ratio, best].mean(axis=0)
            self.intercept_ = intercepts[folds_range, best_ratio, best].mean(axis=0)
            self.C_ = float(Cs[best].mean())
        if self.use_legacy_attributes:
            self._legacy_attributes()
        return self

    def _metric(self) -> str:
        if self.scoring is None:
            return "1 - accuracy"
        return f"-{self.scoring}" if isinstance(self.scoring, str) else "-score"

    def _scorer(self):
        from sklearn.metrics import check_scoring

        if self.scoring is None:
            return check_scoring(LogisticRegression(), scoring="accuracy")
        return check_scoring(LogisticRegression(), scoring=self.scoring)

    def _legacy_attributes(self) -> None:
        """scikit-learn's legacy layout: arrays per class, dicts keyed by class."""
        n_rows = 1 if self.classes_.size == 2 else self.classes_.size
        labels = self.classes_[1:] if n_rows == 1 else self.classes_
        scores = np.moveaxis(self.scores_, 1, 2)  # (n_folds, n_cs, n_ratios)
        paths = np.moveaxis(self.coefs_paths_, 1, 2)  # (n_folds, n_cs, n_ratios, rows, dof)
        self.scores_ = {label: scores for label in labels}
        self.coefs_paths_ = {label: paths[..., i, :] for i, label in enumerate(labels)}
        self.C_ = np.full(n_rows, self.C_)
        self.l1_ratio_ = np.full(n_rows, self.l1_ratio_)
        self.n_iter_ = np.moveaxis(self.n_iter_, 1, 2)[None]

    def decision_function(self, X):
        return LogisticRegression.decision_function(self, X)

    def predict(self, X):
        return LogisticRegression.predict(self, X)

    def predict_proba(self, X):
        return LogisticRegression.predict_proba(self, X)

    def predict_log_proba(self, X):
        return LogisticRegression.predict_log_proba(self, X)


def _logistic_path(
    X, encoded, raw_weight, weights, l1_ratio, Cs, n_classes, fit_intercept, tol, max_iter
):
    """Coefficients along increasing ``Cs`` with warm starts.

    Returns ``coefs (n_cs, n_rows, p)``, ``intercepts (n_cs, n_rows)``, ``n_iter (n_cs,)``
    with ``n_rows = 1`` for two classes.
    """
    h = check_sample_weight(raw_weight, raw_weight.size)
    alphas = logistic_penalty_strength(Cs, raw_weight)  # decreasing
    n_rows = 1 if n_classes == 2 else n_classes
    coefs = np.zeros((Cs.size, n_rows, X.shape[1]))
    intercepts = np.zeros((Cs.size, n_rows))
    n_iter = np.zeros(Cs.size, dtype=int)
    if n_classes == 2:
        problem = LogisticProblem(
            X, encoded.astype(float), h, weights, l1_ratio, False, fit_intercept
        )
        previous = max(problem.alpha_max, alphas[0])
        for k, alpha in enumerate(alphas):
            l1_new, _ = penalty_strengths(alpha, l1_ratio, weights)
            l1_old, _ = penalty_strengths(previous, l1_ratio, weights)
            working_set = strong_rule_set(problem.gradient, l1_new, l1_old, False)
            info = problem.solve(alpha, working_set, tol, max_iter, relative=False)
            coefs[k, 0], intercepts[k, 0] = problem.coef, problem.intercept
            n_iter[k], previous = info.n_iter, alpha
    else:
        problem = MultinomialProblem(
            X, np.eye(n_classes)[encoded], h, weights, l1_ratio, fit_intercept
        )
        for k, alpha in enumerate(alphas):
            info = problem.solve(alpha, tol, max_iter)
            coefs[k], intercepts[k] = problem.coef, problem.intercept
            n_iter[k] = info.n_iter
    if not fit_intercept:
        intercepts[:] = 0.0
    return coefs, intercepts, n_iter
