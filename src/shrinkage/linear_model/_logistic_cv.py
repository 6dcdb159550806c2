"""``LogisticRegressionCV``: ``C`` (and ``l1_ratio``) by cross-validation, plus the 1-SE rule.

Each fold solves the path over ``Cs`` (increasing ``C`` = decreasing penalty) with
warm starts: binary problems by the proximal-Newton path solver with strong rules,
multinomial ones class-block by class-block (``multinomial_penalty="grouped"``: by
feature blocks over the classes, with strong rules on the group norms). Same objective and ``C`` as
:class:`LogisticRegression` (scikit-learn's).
"""

from __future__ import annotations

import warnings
from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
from sklearn.utils import metadata_routing
from sklearn.utils.multiclass import check_classification_targets

from .._validation import (
    check_l1_ratio,
    check_nonnegative_scalar,
    check_penalty_weights,
    check_positive_int,
    check_sample_weight,
    logistic_penalty_strength,
    raw_sample_weight,
    refuse_scalar_grid,
)
from ..selection import check_fold_weights, check_folds, check_rule
from ..solvers.glm import glm_path, glm_path_applies
from ..solvers.grouped_multinomial import GroupedMultinomialProblem
from ..solvers.logistic import LogisticProblem, MultinomialProblem
from ..solvers.multinomial_route import full_hessian_applies, full_hessian_path
from ..solvers.softmax_centring import SoftmaxCentring
from ..solvers.standardize import coefficient_constraint, standardize_design, to_original_units
from ..solvers.step import screened_solve
from ._base import LinearClassifierMixin, class_weights, validated_fit_input
from ._cv import LinearModelCV, fold_metadata
from ._logistic import (
    _MIN_KKT_TOL,
    LogisticRegression,
    SparseCoefMixin,
    check_class_count,
    check_class_offset,
    check_grouped_bounds,
    check_multinomial_penalty,
    check_solver,
    use_grouped_solver,
)
from ._routing import cv_router, raise_for_params, route_fit, routing_enabled


class LogisticRegressionCV(SparseCoefMixin, LinearClassifierMixin, LinearModelCV):
    """Logistic regression with ``C`` and ``l1_ratio`` chosen by cross-validation.

    Drop-in for ``sklearn.linear_model.LogisticRegressionCV`` 1.9 (same defaults,
    warnings, choice and attribute layouts), plus the one-standard-error rule and the
    whole CV curve. The penalty is ``Σ_j v_j(ρ|β_j| + (1−ρ)/2 β_j²)`` against
    ``C·Σ s_i ℓ_i``.

    Parameters
    ----------
    Cs : int or array-like, default=10
        Grid of ``C`` (inverse strength, ``> 0``; ``np.inf`` for no penalty), kept in
        the given order, or its size: ``np.logspace(-4, 4, Cs)``.
    l1_ratios : array-like or None, default="warn"
        Mixes to try. As scikit-learn 1.9, the default warns and means None, which is
        L2 (or the deprecated ``penalty``) with the ``l1_ratios`` axis dropped from the
        legacy attributes; pass e.g. ``(0.0,)``.
    fit_intercept : bool, default=True
    cv : int, cross-validation generator, iterable or None, default=None
        None means 5-fold ``StratifiedKFold``.
    dual : bool, default=False
        Only with ``solver="liblinear"`` (as scikit-learn); the primal is solved, which
        has the same solution.
    penalty : deprecated
        As :class:`LogisticRegression`; prefer ``l1_ratios``.
    scoring : str, callable or None, default="warn"
        None (and the warning default) is accuracy; "neg_log_loss" is smoother and
        better suited to the 1-SE rule. Also used by :meth:`score`.
    solver : str, default="auto"
        scikit-learn's names are accepted and checked as scikit-learn does (e.g.
        "lbfgs" refuses an L1 penalty); every choice runs shrinkage's proximal Newton,
        which minimizes the same objective. "auto" (shrinkage's) accepts any penalty.
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
    use_legacy_attributes : bool, default="warn"
        As scikit-learn 1.9: the default warns and means True (``C_`` and
        ``l1_ratio_`` arrays, ``scores_`` and ``coefs_paths_`` dicts keyed by class);
        False gives the layout scikit-learn 1.10 moves to (below).
    rule : {"min", "1se"}, default="min"
        The best mean score, or the smallest ``C`` (strongest penalty) whose mean
        score is within one standard error of the best.
    penalty_weights : array-like of shape (n_features,), optional
    standardize : bool, default=False
        As :class:`LogisticRegression` (glmnet's ``standardize=TRUE``); each fold is
        standardized with the scales of its own training rows, as glmnet's CV.
    lower_bounds, upper_bounds : float or array-like of shape (n_features,), optional
        As :class:`LogisticRegression` (every class coefficient of a feature; not with
        ``multinomial_penalty="grouped"``), for every fold and the final fit.
    multinomial_penalty : {"ungrouped", "grouped"}, default="ungrouped"
        As :class:`LogisticRegression`: "grouped" is glmnet's
        ``type.multinomial="grouped"`` (a feature in or out for all classes); the
        same as "ungrouped" for binary targets and ``l1_ratio=0``.

    Attributes
    ----------
    The shapes below are those of ``use_legacy_attributes=False``; the legacy layout
    is scikit-learn's (see its documentation).

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

    # As scikit-learn: score()'s sample_weight is not a request of the estimator itself
    # (it goes to the scorer when routing is enabled).
    __metadata_request__score = {"sample_weight": metadata_routing.UNUSED}
    _cv_parameter = "C"
    _larger_is_simpler = False  # a larger C is a weaker penalty

    def __init__(
        self,
        *,
        Cs=10,
        l1_ratios="warn",
        fit_intercept=True,
        cv=None,
        dual=False,
        penalty="deprecated",
        scoring="warn",
        solver="auto",
        tol=1e-4,
        max_iter=100,
        class_weight=None,
        n_jobs=None,
        verbose=0,
        refit=True,
        intercept_scaling=1.0,
        random_state=None,
        use_legacy_attributes="warn",
        rule="min",
        penalty_weights=None,
        standardize=False,
        multinomial_penalty="ungrouped",
        lower_bounds=None,
        upper_bounds=None,
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
        self.standardize = standardize
        self.multinomial_penalty = multinomial_penalty
        self.lower_bounds = lower_bounds
        self.upper_bounds = upper_bounds

    def _grid(self) -> np.ndarray:
        """``Cs_`` in the caller's order (as scikit-learn); ``np.inf`` means no penalty."""
        if isinstance(self.Cs, Integral) and not isinstance(self.Cs, bool):
            return np.logspace(-4, 4, check_positive_int(self.Cs, "Cs"))
        refuse_scalar_grid(self.Cs, "Cs", "log-spaced from 1e-4 to 1e4")
        Cs = np.asarray(self.Cs, dtype=np.float64).ravel()
        if Cs.size == 0 or np.isnan(Cs).any() or (Cs <= 0).any():
            raise ValueError(f"Cs must be numbers > 0 (np.inf for no penalty), got {self.Cs!r}.")
        return Cs

    def _options(self):
        """scikit-learn 1.9's reading of ``l1_ratios``, ``penalty``, ``scoring`` and
        ``use_legacy_attributes``, with the same warnings and errors.

        Returns ``(l1_ratios, penalty, scoring, legacy)``; ``l1_ratios`` is None or a list.
        """
        l1_ratios = self.l1_ratios
        if isinstance(l1_ratios, str) and l1_ratios == "warn":
            l1_ratios = None
            warnings.warn(
                "The default value for l1_ratios will change from None to (0.0,) "
                "in version 1.10. From version 1.10 onwards, only array-like "
                "with values in [0, 1] will be allowed, None will be forbidden. "
                "To avoid this warning, explicitly set a value, "
                "e.g. l1_ratios=(0,).",
                FutureWarning,
                stacklevel=3,
            )
        if self.penalty == "deprecated":
            if self.l1_ratios is None:
                warnings.warn(
                    "'l1_ratios=None' was deprecated in version 1.8 and will "
                    "trigger an error in 1.10. Use an array-like with values"
                    "in [0, 1] instead.",
                    FutureWarning,
                    stacklevel=3,
                )
            if l1_ratios is None or np.all(np.asarray(l1_ratios, dtype=object) == 0):
                penalty = "l2"
            elif np.all(np.asarray(l1_ratios, dtype=object) == 1):
                penalty = "l1"
            else:
                penalty = "elasticnet"
        else:
            if self.penalty not in ("l1", "l2", "elasticnet"):
                raise ValueError(
                    "The 'penalty' parameter of LogisticRegressionCV must be a str among "
                    f"{{'l1', 'l2', 'elasticnet'}}. Got {self.penalty!r} instead."
                )
            penalty = self.penalty
            warnings.warn(
                "'penalty' was deprecated in version 1.8 and will be removed in"
                " 1.10. To avoid this warning, leave 'penalty' set to its default"
                " value and use 'l1_ratios' and 'Cs' instead."
                " Use l1_ratios=(0,) instead of penalty='l2',"
                " l1_ratios=(1,) instead of penalty='l1',"
                " l1_ratios set to floats between 0 and 1 instead of"
                " penalty='elasticnet', and Cs=(np.inf,) instead of penalty=None.",
                FutureWarning,
                stacklevel=3,
            )
        scoring = self.scoring
        if isinstance(scoring, str) and scoring == "warn":
            warnings.warn(
                "The default value of the parameter 'scoring' will change from None, "
                "i.e. accuracy, to 'neg_log_loss' in version 1.11. To silence this "
                "warning, explicitly set the scoring parameter: "
                "scoring='neg_log_loss' for the new, scoring='accuracy' or "
                "scoring=None for the old default.",
                FutureWarning,
                stacklevel=3,
            )
            scoring = None
        legacy = self.use_legacy_attributes
        if isinstance(legacy, str) and legacy == "warn":
            warnings.warn(
                f"The fitted attributes of {type(self).__name__} will be "
                "simplified in scikit-learn 1.10 to remove redundancy. Set"
                "`use_legacy_attributes=False` to enable the new behavior now, or "
                "set it to `True` to silence this warning during the transition period "
                "while keeping the deprecated behavior for the time being. The default "
                "value of use_legacy_attributes will change from True to False in "
                f"scikit-learn 1.10. See the docstring of {type(self).__name__} "
                "for more details.",
                FutureWarning,
                stacklevel=3,
            )
            legacy = True
        check_solver(self.solver, penalty, self.dual)
        if penalty == "elasticnet":
            if (
                l1_ratios is None
                or len(l1_ratios) == 0
                or any(
                    not isinstance(r, Real) or isinstance(r, bool) or r < 0 or r > 1
                    for r in l1_ratios
                )
            ):
                raise ValueError(
                    "l1_ratios must be an array-like of numbers between "
                    f"0 and 1; got (l1_ratios={l1_ratios!r})"
                )
        elif l1_ratios is not None and self.penalty != "deprecated":
            warnings.warn(
                f"l1_ratios parameter is only used when penalty is 'elasticnet'. Got "
                f"(penalty={penalty})",
                stacklevel=3,
            )
        if l1_ratios is not None:
            l1_ratios = [check_l1_ratio(r) for r in np.atleast_1d(l1_ratios)]
            if not l1_ratios:
                raise ValueError("l1_ratios is empty; pass numbers in [0, 1].")
        return l1_ratios, penalty, scoring, bool(legacy)

    def fit(self, X, y, sample_weight=None, offset=None, **params):
        """Cross-validate the path over ``Cs`` (and ``l1_ratios``), then refit.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
        sample_weight : array-like of shape (n_samples,), optional
            Weights the training loss of every fold and, as scikit-learn, the
            scorer on each test fold.
        offset : array-like of shape (n_samples,) or (n_samples, n_classes), optional
            The fixed part of the linear predictor (glmnet's ``offset``; one column per
            class, in the order of ``classes_``, for three or more); each row's offset
            goes with it into its training or test fold (the test folds are scored with
            it) and into the final fit.
        **params : dict
            Metadata for the splitter (``groups``) and the scorer; only with
            ``sklearn.set_config(enable_metadata_routing=True)``, as scikit-learn.

        Returns
        -------
        self
        """
        if (fitted := self._dask_fit(X, y, sample_weight, offset)) is not None:
            return fitted
        rule = check_rule(self.rule)
        l1_ratios, penalty, scoring, legacy = self._options()
        grouped = check_multinomial_penalty(self.multinomial_penalty)
        Cs = self._grid()
        if self.dual and self.solver != "liblinear":
            raise ValueError("dual=True is not supported: shrinkage solves the primal.")
        check_nonnegative_scalar(self.tol, "tol")
        check_positive_int(self.max_iter, "max_iter")
        X, y = validated_fit_input(self, X, y)
        if sp.issparse(X):
            X = X.tocsr()
        check_classification_targets(y)
        self.classes_, encoded = np.unique(y, return_inverse=True)
        n_classes = self.classes_.size
        check_class_count(self.solver, self.classes_)
        split_params, score_params = route_fit(self, params, sample_weight, scorer_gets_weight=True)
        n_samples, n_features = X.shape
        offset = check_class_offset(offset, n_samples, n_classes)
        bounded = self.lower_bounds is not None or self.upper_bounds is not None
        if bounded:
            for ratio in l1_ratios if l1_ratios is not None else [1.0 if penalty == "l1" else 0.0]:
                check_grouped_bounds(grouped, n_classes, ratio, bounded)
        coefficient_constraint(n_features, self.lower_bounds, self.upper_bounds)  # check
        raw = raw_sample_weight(sample_weight, n_samples).copy()
        if isinstance(self.class_weight, dict) and not set(self.class_weight) <= set(self.classes_):
            raise ValueError(
                "The given class_weight dict must have the class labels as keys; "
                f"classes={self.classes_} but key={self.class_weight.keys()}"
            )
        if self.class_weight is not None:
            per_class = class_weights(self.class_weight, self.classes_, y, raw)
            raw = raw * per_class[encoded]
        weights = check_penalty_weights(self.penalty_weights, n_features)
        folds = check_folds(self.cv, X, y, True, split_params, rule)
        check_fold_weights(folds, raw)
        scorer = _fold_scorer(scoring, self.classes_)
        tol = max(self.tol, _MIN_KKT_TOL)
        # None (scikit-learn's "no l1_ratios") is fitted as the penalty it stands for.
        ratios = l1_ratios if l1_ratios is not None else [1.0 if penalty == "l1" else 0.0]
        order = np.argsort(Cs, kind="stable")  # the path runs by increasing C

        def fold_curve(setting, fold, train, test):
            ratio = ratios[setting]
            h_train = check_sample_weight(raw[train], train.size)
            X_train, scales = standardize_design(X[train], h_train, self.standardize)
            coefs, intercepts, n_iter = _logistic_path(
                X_train,
                encoded[train],
                raw[train],
                weights,
                ratio,
                Cs[order],
                n_classes,
                self.fit_intercept,
                tol,
                self.max_iter,
                grouped,
                constraint=coefficient_constraint(
                    n_features, self.lower_bounds, self.upper_bounds, False, scales
                ),
                offset=None if offset is None else offset[train],
            )
            coefs = to_original_units(coefs, scales, axis=2)  # (n_cs, n_rows, p)
            back = np.argsort(order)  # to the caller's order of Cs
            coefs, intercepts, n_iter = coefs[back], intercepts[back], n_iter[back]
            # The test rows' offsets go into the scores the scorer sees.
            model = LogisticRegression() if offset is None else _WithOffset(offset[test])
            model.classes_ = self.classes_
            model.n_features_in_ = n_features
            test_params = fold_metadata(score_params, test, n_samples)
            scores = np.zeros(Cs.size)
            for k in range(Cs.size):
                model.coef_, model.intercept_ = coefs[k], intercepts[k]
                scores[k] = scorer(model, X[test], y[test], **test_params)
            return coefs, intercepts, n_iter, scores

        n_folds, n_ratios = len(folds), len(ratios)
        results = self._cross_validate(fold_curve, folds, n_ratios)  # [ratio][fold]

        def stacked(position):  # (n_folds, n_ratios, ...)
            values = np.array([[r[position] for r in per_ratio] for per_ratio in results])
            return np.ascontiguousarray(np.swapaxes(values, 0, 1))

        # (n_folds, n_ratios, n_cs, ...): scikit-learn's new layout
        coefs, intercepts, n_iter, scores = (stacked(i) for i in range(4))
        paths = (
            np.concatenate([coefs, intercepts[..., None]], axis=-1) if self.fit_intercept else coefs
        )
        self.Cs_ = Cs
        self.l1_ratios_ = np.asarray(l1_ratios if l1_ratios is not None else [None])

        # Our curves (lower is better) for the 1-SE rule and plots.
        sorted_scores = scores[:, :, order]  # (n_folds, n_ratios, n_cs)
        errors = [-sorted_scores[:, i].T for i in range(n_ratios)]  # (n_cs, n_folds) each
        curves = self._cv_curves([Cs[order]], errors, self._metric())
        # scikit-learn's choice: the best summed score over folds, first in
        # (C, l1_ratio) order on ties.
        total = scores.sum(axis=0).T  # (n_cs, n_ratios)
        best_c, best_ratio = np.unravel_index(np.argmax(total), total.shape)
        curve = curves[best_ratio]
        self.cv_curves_, self.cv_curve_ = curves, curve
        self.C_min_, self.C_1se_ = float(Cs[best_c]), curve.alpha_1se
        if rule == "1se":
            best_c = int(order[curve.index_1se])
        C, ratio = float(Cs[best_c]), ratios[best_ratio]

        if self.refit:
            final = LogisticRegression(
                C=C,
                l1_ratio=ratio,
                fit_intercept=self.fit_intercept,
                tol=self.tol,
                max_iter=self.max_iter,
                penalty_weights=self.penalty_weights,
                standardize=self.standardize,
                multinomial_penalty=self.multinomial_penalty,
                lower_bounds=self.lower_bounds,
                upper_bounds=self.upper_bounds,
            )
            extra = {} if offset is None else {"offset": offset}
            self._refit(final, X, y, raw, ("coef_", "intercept_"), **extra)
            chosen_ratio = l1_ratios[best_ratio] if l1_ratios is not None else None
        else:
            # scikit-learn's refit=False: average each fold's best coefficients.
            per_fold = scores.transpose(0, 2, 1).reshape(n_folds, -1)  # (folds, cs*ratios)
            cs_index, ratio_index = np.unravel_index(
                np.argmax(per_fold, axis=1), (Cs.size, n_ratios)
            )
            fold_range = np.arange(n_folds)
            self.coef_ = coefs[fold_range, ratio_index, cs_index].mean(axis=0)
            self.intercept_ = intercepts[fold_range, ratio_index, cs_index].mean(axis=0)
            C = float(np.mean(Cs[cs_index]))
            chosen_ratio = (
                float(np.mean(np.asarray(ratios)[ratio_index])) if penalty == "elasticnet" else 0.0
            )
        if not self.fit_intercept:
            self.intercept_ = np.zeros_like(self.intercept_)

        if legacy:
            self._legacy_attributes(paths, scores, n_iter, C, chosen_ratio, l1_ratios is None)
        else:
            self.coefs_paths_, self.scores_, self.n_iter_ = paths, scores, n_iter
            self.C_ = C
            if l1_ratios is None:
                self.l1_ratio_ = 1.0 if self.penalty == "l1" else 0.0
            else:
                self.l1_ratio_ = float(chosen_ratio)
        return self

    def _metric(self) -> str:
        if self.scoring in (None, "warn"):
            return "1 - accuracy"
        return f"-{self.scoring}" if isinstance(self.scoring, str) else "-score"

    def _get_scorer(self):
        """The scorer ``scoring`` names (accuracy by default), as scikit-learn's."""
        from sklearn.metrics import get_scorer

        if self.scoring is None or (isinstance(self.scoring, str) and self.scoring == "warn"):
            return get_scorer("accuracy")
        return get_scorer(self.scoring)

    def score(self, X, y, *, sample_weight=None, **score_params):
        """Score with ``scoring`` (accuracy by default) on the given data, as scikit-learn.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
        sample_weight : array-like of shape (n_samples,), optional
        **score_params : dict
            Metadata for the scorer (metadata routing only).

        Returns
        -------
        float
        """
        raise_for_params(score_params, self, "score")
        if sample_weight is not None:
            score_params["sample_weight"] = sample_weight
        if routing_enabled():
            from sklearn.utils.metadata_routing import process_routing

            routed = process_routing(self, "score", **score_params).scorer.score
        else:
            routed = {}
            if score_params.get("sample_weight") is not None:
                routed["sample_weight"] = score_params["sample_weight"]
        return self._get_scorer()(self, X, y, **routed)

    def get_metadata_routing(self):
        """The router: ``groups`` to the splitter, scoring metadata to the scorer."""
        return cv_router(self, self._get_scorer(), self.cv, score_method=True)

    def _legacy_attributes(self, paths, scores, n_iter, C, ratio, no_ratios) -> None:
        """scikit-learn 1.9's legacy layout (its default): dicts keyed by class, arrays
        per class, the ``l1_ratios`` axis dropped when ``l1_ratios`` is None."""
        binary = self.classes_.size == 2
        labels = self.classes_[1:] if binary else self.classes_
        n_rows = len(labels)
        # paths: (n_folds, n_ratios, n_cs, n_rows, n_dof)
        #     -> (n_rows, n_folds, n_cs, n_ratios, n_dof)
        per_class = np.moveaxis(paths, (3, 0, 1), (0, 1, 3))
        legacy_scores = np.swapaxes(scores, 1, 2)  # (n_folds, n_cs, n_ratios)
        legacy_iter = np.swapaxes(n_iter, 1, 2)[None]  # (1, n_folds, n_cs, n_ratios)
        if no_ratios:
            per_class = per_class[:, :, :, 0]
            legacy_scores = legacy_scores[:, :, 0]
            legacy_iter = legacy_iter[:, :, :, 0]
        self.coefs_paths_ = {label: per_class[i] for i, label in enumerate(labels)}
        self.scores_ = {label: legacy_scores.copy() for label in labels}
        self.n_iter_ = legacy_iter
        self.C_ = np.full(n_rows, C)
        self.l1_ratio_ = np.asarray([ratio] * n_rows)


def _logistic_path(
    X,
    encoded,
    raw_weight,
    weights,
    l1_ratio,
    Cs,
    n_classes,
    fit_intercept,
    tol,
    max_iter,
    grouped=False,
    constraint=False,
    offset=None,
):
    """Coefficients along increasing ``Cs`` with warm starts (``grouped``: the grouped
    multinomial penalty, where it differs from the ungrouped one; ``constraint``: the
    box or sign constraint (not grouped); ``offset``: glmnet's, ``(n,)`` for two classes,
    ``(n, K)`` for K).

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
            X, encoded.astype(float), h, weights, l1_ratio, constraint, fit_intercept, offset
        )
        if glm_path_applies(problem):
            # The whole path in compiled code; scikit-learn's absolute tol expressed in
            # the path's relative units (no convergence warning per fold and C, as
            # scikit-learn's path).
            path = glm_path(problem, alphas, tol / problem.absolute_tol(1.0), max_iter, tol_rel=tol)
            coefs[:, 0], intercepts[:, 0], n_iter[:] = path.coefs.T, path.intercepts, path.n_iters
        else:
            previous = problem.alpha_max
            for k, alpha in enumerate(alphas):
                info = screened_solve(
                    problem, alpha, previous, tol, max_iter, relative=False, tol_rel=tol
                )
                coefs[k, 0], intercepts[k, 0] = problem.coef, problem.intercept
                n_iter[k], previous = info.n_iter, alpha
    elif use_grouped_solver(grouped, n_classes, l1_ratio):
        # Centred as LogisticRegression's own fit (see softmax_centring).
        centring = SoftmaxCentring(X, h, fit_intercept)
        problem = GroupedMultinomialProblem(
            centring.X, np.eye(n_classes)[encoded], h, weights, l1_ratio, fit_intercept, offset,
            column_means=centring.means,
        )  # fmt: skip
        previous = problem.alpha_max
        for k, alpha in enumerate(alphas):
            info = screened_solve(problem, alpha, previous, tol, max_iter)
            coefs[k] = problem.coef
            intercepts[k] = centring.to_original(problem.coef, problem.intercept)
            n_iter[k], previous = info.n_iter, alpha
    elif full_hessian_applies(X, n_classes, l1_ratio, fit_intercept, offset, constraint):
        # The solver of LogisticRegression's own fit (see multinomial_route).
        path = full_hessian_path(
            X, encoded, h, weights, l1_ratio, alphas, n_classes, tol, max_iter, fit_intercept,
            offset=offset,
        )  # fmt: skip
        coefs[:], intercepts[:], n_iter[:] = path.coefs, path.intercepts, path.n_steps
    else:
        centring = SoftmaxCentring(X, h, fit_intercept and l1_ratio > 0)
        problem = MultinomialProblem(
            centring.X,
            np.eye(n_classes)[encoded],
            h,
            weights,
            l1_ratio,
            fit_intercept,
            offset,
            constraint,
            column_means=centring.means,
        )
        for k, alpha in enumerate(alphas):
            info = problem.solve(alpha, tol, max_iter)
            coefs[k] = problem.coef
            intercepts[k] = centring.to_original(problem.coef, problem.intercept)
            n_iter[k] = info.n_iter
    if not fit_intercept:
        intercepts[:] = 0.0
    return coefs, intercepts, n_iter


class _WithOffset(LogisticRegression):
    """A fold's model whose scores include the test rows' offset, so that any
    scorer (it calls ``decision_function`` / ``predict_proba`` / ``predict`` on X
    alone) scores ``offset + β₀ + Xβ``."""

    def __init__(self, test_offset=None):
        super().__init__()
        self.test_offset = test_offset

    def decision_function(self, X, offset=None):
        return super().decision_function(X, self.test_offset if offset is None else offset)


def _fold_scorer(scoring, classes):
    """The scorer for one test fold, as scikit-learn's ``_log_reg_scoring_path``.

    ``None`` is the model's (weighted) accuracy. A metric that takes ``labels`` gets
    every class (and ``pos_label`` for binary problems), so a test fold that lacks a
    class is still scored.
    """
    import inspect

    from sklearn.metrics import get_scorer, make_scorer

    if scoring is None:

        def accuracy(model, X, y, sample_weight=None, **_):
            return model.score(X, y, sample_weight=sample_weight)

        return accuracy
    scorer = get_scorer(scoring)
    func = getattr(scorer, "_score_func", None)
    if func is None or "labels" not in inspect.signature(func).parameters:
        return scorer
    extra = {}
    if len(classes) <= 2 and "pos_label" in inspect.signature(func).parameters:
        extra["pos_label"] = classes[-1]
    return make_scorer(
        func,
        greater_is_better=scorer._sign == 1,
        response_method=scorer._response_method,
        labels=classes,
        **extra,
        **getattr(scorer, "_kwargs", {}),
    )
