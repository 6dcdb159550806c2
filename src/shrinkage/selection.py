"""Choosing ``alpha``: cross-validation curves, the one-standard-error rule, folds.

The CV estimators (``LassoCV``, ``ElasticNetCV``, ``RidgeCV``, ``LogisticRegressionCV``,
``RelaxedLassoCV``) all keep their whole curve in a :class:`CVCurve`: the error of
every fold at every alpha, its mean and standard error, the minimum and the
one-standard-error choice, and a :meth:`CVCurve.plot` method.

The one-standard-error rule (Breiman et al. 1984; Hastie, Tibshirani & Friedman,
*Elements of Statistical Learning*, §7.10): with ``m(α)`` the mean CV error over ``K``
folds and ``se(α) = sd_k(err_k(α)) / √K``, take the *largest* alpha (the simplest
model) whose mean error is within one standard error of the minimum:

.. math::

    \\alpha_{1se} = \\max\\{\\alpha : m(\\alpha) \\le m(\\alpha_{min}) + se(\\alpha_{min})\\}.

**Weighted folds** (R's ``cv.glmnet``, ``cvstats`` in glmnet 4.1): with a weight ``W_k``
per fold (its summed observation weight; for the Cox deviance its summed event weight),

.. math::

    m = \\frac{\\sum_k W_k e_k}{\\sum_k W_k}, \\qquad
    se = \\sqrt{\\frac{\\sum_k W_k (e_k - m)^2}{(K - 1)\\sum_k W_k}},

which is the unweighted pair above when all ``W_k`` are equal. The glmnet-style CV
estimators (``PoissonRegressorCV``, ``GammaRegressorCV``, ``TweedieRegressorCV``,
``CoxPHCV``) pass ``fold_weights``; the scikit-learn drop-ins (``LassoCV``,
``ElasticNetCV``, ``LogisticRegressionCV``, ``MultiTaskLassoCV``, ...) do not, because
scikit-learn averages their ``mse_path_`` / scores unweighted over folds.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field

import numpy as np

__all__ = [
    "first_best_index",
    "CVCurve",
    "one_standard_error_rule",
    "weighted_fold_summary",
    "check_folds",
    "run_folds",
    "record_path_cv",
]

RULES = ("min", "1se")


def check_rule(rule: str) -> str:
    if rule not in RULES:
        raise ValueError(
            f"rule must be 'min' (smallest CV error) or '1se' (largest alpha within one "
            f"standard error of the minimum), got {rule!r}."
        )
    return rule


def one_standard_error_rule(alphas, mean, standard_error) -> tuple[int, int]:
    """Indices of the minimum and of the one-standard-error choice.

    Parameters
    ----------
    alphas : array-like of shape (n_alphas,)
        Penalty strengths, in any order.
    mean, standard_error : array-like of shape (n_alphas,)
        Mean CV error (lower is better) and its standard error.

    Returns
    -------
    index_min, index_1se : int
        ``index_1se`` is the largest alpha whose mean is at most
        ``mean[index_min] + standard_error[index_min]``. Ties in the minimum go to the
        largest alpha.
    """
    alphas = np.asarray(alphas, dtype=np.float64)
    mean = np.asarray(mean, dtype=np.float64)
    standard_error = np.asarray(standard_error, dtype=np.float64)
    finite = np.isfinite(mean)
    if not finite.any():
        raise ValueError("Every CV error is NaN or infinite; no alpha can be chosen.")
    best = np.min(mean[finite])
    at_best = np.flatnonzero(finite & (mean == best))
    index_min = int(at_best[np.argmax(alphas[at_best])])
    threshold = best + np.nan_to_num(standard_error[index_min])
    within = np.flatnonzero(finite & (mean <= threshold))
    index_1se = int(within[np.argmax(alphas[within])])
    return index_min, index_1se


def _check_fold_weights(fold_weights, n_folds: int) -> np.ndarray:
    weights = np.asarray(fold_weights, dtype=np.float64)
    if weights.shape != (n_folds,):
        raise ValueError(
            f"fold_weights must have one entry per fold ({n_folds}); got shape {weights.shape}."
        )
    if not (np.all(np.isfinite(weights)) and np.all(weights >= 0) and weights.sum() > 0):
        raise ValueError(
            "fold_weights must be finite, non-negative and not all zero (each fold's "
            "summed sample weight)."
        )
    return weights


def weighted_fold_summary(fold_errors, fold_weights) -> tuple[np.ndarray, np.ndarray]:
    """cv.glmnet's ``cvm`` and ``cvsd`` from fold errors and fold weights.

    Parameters
    ----------
    fold_errors : array-like of shape (n_alphas, n_folds)
        ``e_k(α)``, each fold's (weighted mean) test error.
    fold_weights : array-like of shape (n_folds,)
        ``W_k``: the fold's summed observation weight (glmnet's ``wisum``).

    Returns
    -------
    mean, standard_error : ndarray of shape (n_alphas,)
        ``m = Σ W_k e_k / Σ W_k`` and ``sqrt(Σ W_k (e_k − m)² / Σ W_k / (K − 1))``
        (0 with one fold), as glmnet's ``cvstats``.
    """
    errors = np.asarray(fold_errors, dtype=np.float64)
    weights = np.asarray(fold_weights, dtype=np.float64)
    n_folds = errors.shape[1]
    total = weights.sum()
    with np.errstate(invalid="ignore"):
        mean = errors @ weights / total
        spread = ((errors - mean[:, None]) ** 2) @ weights / total
    return mean, np.sqrt(spread / max(n_folds - 1, 1))


@dataclass
class CVCurve:
    """Cross-validated error along a grid of alphas.

    Attributes
    ----------
    alphas : ndarray of shape (n_alphas,)
        The grid, in the estimator's own ``alpha`` units (``C`` for logistic).
    fold_errors : ndarray of shape (n_alphas, n_folds)
        Error of each fold (lower is better; scores are negated).
    mean, standard_error : ndarray of shape (n_alphas,)
        Mean over folds and ``sd / √n_folds`` (``ddof=1``); with ``fold_weights``
        glmnet's weighted ``cvm`` and ``cvsd`` (see the module docstring).
    index_min, index_1se : int
        Position of the minimum and of the one-standard-error choice.
    metric : str
        What ``fold_errors`` measure (e.g. "mean squared error").
    larger_is_simpler : bool
        True for ``alpha`` (more penalty), False for ``C`` (less penalty).
    n_nonzero : ndarray of shape (n_alphas,) or None
        Non-zero coefficients of the full-data fit at each alpha, when known.
    parameter : str, default="alpha"
        The grid's name in reports and plots (``"C"`` for logistic regression).
    fold_weights : ndarray of shape (n_folds,) or None
        ``W_k`` of cv.glmnet's weighted average over folds (only their ratios matter);
        None averages the folds unweighted, as scikit-learn.
    """

    alphas: np.ndarray
    fold_errors: np.ndarray
    metric: str = "mean squared error"
    larger_is_simpler: bool = True
    n_nonzero: np.ndarray | None = None
    parameter: str = "alpha"
    fold_weights: np.ndarray | None = None
    mean: np.ndarray = field(init=False)
    standard_error: np.ndarray = field(init=False)
    index_min: int = field(init=False)
    index_1se: int = field(init=False)

    def __post_init__(self):
        self.alphas = np.asarray(self.alphas, dtype=np.float64)
        self.fold_errors = np.asarray(self.fold_errors, dtype=np.float64)
        n_folds = self.fold_errors.shape[1]
        if self.fold_weights is None:
            with np.errstate(invalid="ignore"):
                self.mean = self.fold_errors.mean(axis=1)
                spread = self.fold_errors.std(axis=1, ddof=1) if n_folds > 1 else 0.0
            self.standard_error = np.asarray(spread / np.sqrt(n_folds)) * np.ones_like(self.mean)
        else:
            self.fold_weights = _check_fold_weights(self.fold_weights, n_folds)
            self.mean, self.standard_error = weighted_fold_summary(
                self.fold_errors, self.fold_weights
            )
        # The 1-SE rule moves towards the simpler model: larger alpha, or smaller C.
        order = self.alphas if self.larger_is_simpler else -self.alphas
        self.index_min, self.index_1se = one_standard_error_rule(
            order, self.mean, self.standard_error
        )

    @property
    def alpha_min(self) -> float:
        return float(self.alphas[self.index_min])

    @property
    def alpha_1se(self) -> float:
        return float(self.alphas[self.index_1se])

    def chosen_index(self, rule: str) -> int:
        return self.index_min if check_rule(rule) == "min" else self.index_1se

    def __repr__(self) -> str:
        return (
            f"CVCurve({self.parameter}_min={self.alpha_min:.4g}, "
            f"{self.parameter}_1se={self.alpha_1se:.4g}, n_alphas={self.alphas.size}, "
            f"n_folds={self.fold_errors.shape[1]}, best {self.metric}="
            f"{self.mean[self.index_min]:.4g} ± {self.standard_error[self.index_min]:.2g})"
        )

    def plot(self, ax=None, **kwargs):
        """Mean CV error with ±1 SE bars, the minimum and the 1-SE choice marked.

        See :func:`shrinkage.plotting.plot_cv_curve`. Returns the Matplotlib axes.
        """
        from .plotting import plot_cv_curve

        return plot_cv_curve(self, ax=ax, **kwargs)


def check_folds(cv, X, y, classifier: bool, split_params: dict | None = None, rule: str = "min"):
    """scikit-learn's ``check_cv`` with a clear error when there are too few samples.

    ``split_params`` (e.g. ``groups``, from metadata routing) go to ``split``. One fold
    (a single validation split, e.g. ``PredefinedSplit`` or ``ShuffleSplit(n_splits=1)``)
    is accepted, as scikit-learn does, except with ``rule="1se"``: a standard error
    over folds needs two or more.
    Returns the list of ``(train, test)`` index pairs.
    """
    from sklearn.model_selection import check_cv

    n_samples = X.shape[0]
    n_splits = cv if cv is not None else 5
    if isinstance(n_splits, (int, np.integer)) and not isinstance(n_splits, bool):
        if n_splits < 2:
            raise ValueError(f"cv={n_splits} folds is too few; cross-validation needs >= 2.")
        if n_splits > n_samples:
            raise ValueError(
                f"cv={n_splits} folds but only {n_samples} samples; use cv <= {n_samples} "
                "(or more data)."
            )
    splitter = check_cv(n_splits, y, classifier=classifier)
    folds = [
        (
            _fold_rows(train, n_samples, index, "training"),
            _fold_rows(test, n_samples, index, "test"),
        )
        for index, (train, test) in enumerate(splitter.split(X, y, **(split_params or {})), 1)
    ]
    if not folds:
        raise ValueError("The cv splitter gave no folds; give it at least one (train, test) split.")
    for index, (train, test) in enumerate(folds, 1):
        for rows, which in ((train, "training"), (test, "test")):
            if rows.size == 0:
                raise ValueError(
                    f"Fold {index} of the cv splitter has no {which} rows; every fold needs "
                    "at least one training and one test row."
                )
    if len(folds) == 1 and rule == "1se":
        raise ValueError(
            "rule='1se' needs the spread of the CV error over folds, but the cv splitter "
            "gave one fold (a single validation split). Use rule='min', or a cv with 2 or "
            "more folds."
        )
    return folds


def _fold_rows(part, n_samples: int, index: int, which: str) -> np.ndarray:
    """A fold's rows as non-negative int64 indices, whatever form the splitter gave.

    scikit-learn accepts integer indices (negative ones counting from the end), Python
    lists and boolean masks; the fitting code slices, subtracts and counts rows, which
    only integer arrays support uniformly (a mask's ``rows[-1] - rows[0]`` is an error,
    a list has no ``.size``).
    """
    rows = np.asarray(part).reshape(-1)
    if rows.size == 0:
        return np.empty(0, dtype=np.int64)
    if rows.dtype == bool and rows.shape != (n_samples,):
        raise ValueError(
            f"The {which} mask of fold {index} has shape {rows.shape}, but X has "
            f"{n_samples} rows; give one boolean per row, or integer row indices."
        )
    if rows.dtype != bool and not np.issubdtype(rows.dtype, np.integer):
        raise ValueError(
            f"The {which} rows of fold {index} are {rows.dtype} values; give integer row "
            "indices or a boolean mask."
        )
    try:
        return np.arange(n_samples, dtype=np.int64)[rows]
    except IndexError as error:
        raise ValueError(
            f"The {which} rows of fold {index} index outside X's {n_samples} rows ({error})."
        ) from None


def check_fold_weights(folds, sample_weight) -> None:
    """Refuse folds whose training or test rows all have zero weight.

    A zero-weight test part has no error to average (``0/0``), and a zero-weight
    training part has no loss to fit; neither is a fold one can learn from.
    """
    if sample_weight is None:
        return
    weights = np.asarray(sample_weight, dtype=np.float64)
    if weights.ndim == 0:
        return
    for index, (train, test) in enumerate(folds, start=1):
        for part, rows in (("test", test), ("training", train)):
            if not np.any(weights[rows] > 0):
                raise ValueError(
                    f"Every {part} row of fold {index} of {len(folds)} has sample_weight 0, "
                    "so that fold cannot be fitted or scored. Shuffle the rows into the "
                    "folds (cv=KFold(n_splits, shuffle=True, random_state=0)), or drop the "
                    "zero-weight rows before fitting."
                )


def run_folds(function, tasks, n_jobs=None, verbose=0, label="CV") -> list:
    """Run ``function(*task)`` for every task, in parallel threads with ``n_jobs``.

    The Numba kernels release the GIL, so threads share ``X`` without copying it.
    With ``verbose`` a line per finished task goes to stderr.
    """
    from joblib import Parallel, delayed

    start = time.perf_counter()
    total = len(tasks)

    def timed(index, task):
        result = function(*task)
        if verbose:
            print(
                f"[{label}] {index + 1}/{total} done ({time.perf_counter() - start:.1f} s elapsed)",
                file=sys.stderr,
                flush=True,
            )
        return result

    if n_jobs in (None, 1) or total == 1:
        return [timed(i, task) for i, task in enumerate(tasks)]
    return Parallel(n_jobs=n_jobs, prefer="threads")(
        delayed(timed)(i, task) for i, task in enumerate(tasks)
    )


def record_path_cv(
    estimator, results, grids, l1_ratios, n_folds: int, rule: str, stacklevel: int = 3
) -> None:
    """Turn the fold paths of an elastic-net CV into its curves and its choice.

    Shared by ``ElasticNetCV``/``LassoCV`` in memory and on Dask. The choice is
    scikit-learn's: the ``(l1_ratio, alpha)`` with the smallest mean test error, or,
    with ``rule="1se"``, the largest alpha within one standard error of the minimum
    at that ``l1_ratio``.

    Parameters
    ----------
    estimator : ElasticNetCV or LassoCV
        Gets ``cv_curves_``, ``cv_curve_``, ``l1_ratio_``, ``alpha_min_``,
        ``alpha_1se_``, ``alpha_``, ``mse_path_`` and ``alphas_``.
    results : list of (ndarray, ndarray, bool)
        ``(test mse per alpha, n_nonzero per alpha, converged)`` per (l1_ratio, fold),
        the l1_ratio varying slowest.
    grids : list of ndarray
        The alpha grid of each l1_ratio.
    l1_ratios : list of float
    n_folds : int
    rule : {"min", "1se"}
    stacklevel : int
        Of the ConvergenceWarning when some fold path did not converge (3: the
        caller's caller, the user's ``fit``).
    """
    import warnings
    from numbers import Integral

    from sklearn.exceptions import ConvergenceWarning

    if not all(converged for _, _, converged in results):
        warnings.warn(
            "Some fold paths did not reach the duality-gap tolerance at every alpha; the "
            "CV curve may be slightly off at those alphas. Increase max_iter or loosen tol.",
            ConvergenceWarning,
            stacklevel=stacklevel,
        )
    mse = np.array([r[0] for r in results]).reshape(len(l1_ratios), n_folds, -1)
    nonzero = np.array([r[1] for r in results]).reshape(len(l1_ratios), n_folds, -1)
    mse = np.moveaxis(mse, 1, 2)  # (n_l1_ratio, n_alphas, n_folds)
    estimator.cv_curves_ = [
        CVCurve(
            grids[i],
            mse[i],
            metric="mean squared error",
            n_nonzero=np.round(nonzero[i].mean(axis=0)).astype(int),
        )
        for i in range(len(l1_ratios))
    ]
    best = int(np.argmin([curve.mean[curve.index_min] for curve in estimator.cv_curves_]))
    curve = estimator.cv_curves_[best]
    estimator.cv_curve_ = curve
    estimator.l1_ratio_ = l1_ratios[best]
    estimator.alpha_min_, estimator.alpha_1se_ = curve.alpha_min, curve.alpha_1se
    estimator.alpha_ = float(curve.alphas[curve.chosen_index(rule)])
    single = len(l1_ratios) == 1
    # scikit-learn squeezes every axis of length 1 (one l1_ratio, one fold, one alpha).
    estimator.mse_path_ = np.squeeze(mse)
    # scikit-learn: one grid per l1_ratio only when the grids are computed.
    alphas = estimator.alphas
    given = not (isinstance(alphas, Integral) and not isinstance(alphas, bool))
    estimator.alphas_ = grids[0] if single or given else np.array(grids)


def first_best_index(scores) -> int:
    """Index of the first largest score, a NaN never chosen (0 when all are NaN).

    scikit-learn's ``RidgeCV`` choice: ties go to the alpha that comes first in the
    caller's order. Shared by the in-memory and the Dask ``RidgeCV``.
    """
    scores = np.asarray(scores, dtype=np.float64)
    finite = ~np.isnan(scores)
    if not finite.any():
        return 0
    return int(np.argmax(np.where(finite, scores, -np.inf)))
