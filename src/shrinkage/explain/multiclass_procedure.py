"""The multinomial report's fitting procedure, refitted on every resample.

The procedure is the one the report always used (``LogisticRegressionCV(Cs=12,
l1_ratios=[ρ], cv=folds, scoring="neg_log_loss", max_iter=200)`` then the refit at the
chosen ``C``; ``LogisticRegression(C=inf, max_iter=300)`` for "none"), done here with
the compiled-BLAS path :func:`shrinkage.solvers.multinomial_path.multinomial_path`
instead of the estimators' class-by-class solver:

- the same grid ``C ∈ logspace(−4, 4, 12)``, ``α = 1/(C·n_train)``, warm-started from
  the strongest penalty;
- the same folds (``StratifiedKFold(folds)`` without shuffling, over the rows as
  given: a bootstrap's copies of a row are cut as separate rows, as before);
- the same score (the mean test log-loss, probabilities clipped to ``[ε, 1 − ε]`` as
  scikit-learn's ``log_loss``), the same choice (the best summed score over folds,
  the smallest ``C`` on ties) and the 1-SE ``C`` of
  :class:`~shrinkage.selection.CVCurve`;
- the same objective and stopping rule (the KKT violation ≤ ``tol`` = 10⁻⁴).

A resample's copies of a row become one row with its count as weight, which leaves
every objective and score unchanged and cuts the rows to the distinct ones. The folds
and the refit of one method share their Newton models and path increments (``shared``
of :func:`~shrinkage.solvers.multinomial_path.multinomial_path`): fewer Hessians and
steps, the same stopping rule on each path.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
from scipy.special import softmax

CS = np.logspace(-4, 4, 12)
TOL = 1e-4
MAX_ITER = 200
MAX_ITER_NONE = 300
RATIOS = {"L1": 1.0, "L2": 0.0, "elastic net": 0.5}
_EPS = np.finfo(np.float64).eps


@dataclass
class MultinomialFit:
    """A fitted multinomial model with the attributes the report reads."""

    coef_: np.ndarray  # (K, p)
    intercept_: np.ndarray  # (K,)
    classes_: np.ndarray  # the labels present in the fit, as given
    C_: float | None = None
    C_1se_: float | None = None
    l1_ratio_: float | None = None

    def predict_proba(self, X) -> np.ndarray:
        return softmax(np.asarray(X, float) @ self.coef_.T + self.intercept_, axis=1)


def _collapse(rows: np.ndarray, n: int):
    """Distinct rows of ``rows`` (indices, with repeats) and their counts."""
    counts = np.bincount(rows, minlength=n)
    distinct = np.flatnonzero(counts)
    return distinct, counts[distinct].astype(np.float64)


def _path(X, codes, rows, alphas, ratio, K, max_iter=MAX_ITER, shared=None):
    from ..solvers.multinomial_path import multinomial_path

    distinct, counts = _collapse(rows, X.shape[0])
    return multinomial_path(
        X[distinct], codes[distinct], counts, alphas, ratio, K, tol=TOL, max_iter=max_iter,
        shared=shared,
    )  # fmt: skip


def _log_losses(X, codes, rows, coefs, intercepts) -> np.ndarray:
    """The mean log-loss on the rows ``rows`` of each model of a path (``coefs`` (m, K,
    p), ``intercepts`` (m, K)): one product for the whole path."""
    distinct, counts = _collapse(rows, X.shape[0])
    m, K, p = coefs.shape
    eta = (X[distinct] @ coefs.reshape(m * K, p).T).reshape(-1, m, K) + intercepts
    P = softmax(eta, axis=2)
    p_true = np.clip(P[np.arange(distinct.size), :, codes[distinct]], _EPS, 1 - _EPS)
    return -(counts @ np.log(p_true)) / counts.sum()


def fit_procedure(method: str, X, y, folds: int, rows=None) -> MultinomialFit:
    """The procedure of ``method`` ("L1", "L2", "elastic net" or "none") on the rows
    ``rows`` of ``X``, ``y`` (indices, repeats allowed; all rows by default)."""
    from sklearn.model_selection import StratifiedKFold

    from ..selection import CVCurve

    X = np.asarray(X, dtype=np.float64)
    rows = np.arange(X.shape[0]) if rows is None else np.asarray(rows, dtype=np.int64)
    classes, codes_rows = np.unique(np.asarray(y)[rows], return_inverse=True)
    codes = np.zeros(X.shape[0], dtype=np.int64)
    codes[rows] = codes_rows
    K = classes.size
    if method == "none":
        res = _path(X, codes, rows, np.array([0.0]), 0.0, K, MAX_ITER_NONE)
        return MultinomialFit(res.coefs[0], res.intercepts[0], classes)
    ratio = RATIOS[method]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a class with fewer rows than folds, as before
        splits = list(StratifiedKFold(folds).split(np.zeros(rows.size), codes_rows))
    scores = np.zeros((len(splits), CS.size))
    # The folds and the refit are the same problem on overlapping rows: at each C they
    # share one Newton model (H), which only shapes their steps (see multinomial_path).
    shared: dict = {}
    for f, (train, test) in enumerate(splits):
        res = _path(X, codes, rows[train], 1.0 / (CS * train.size), ratio, K, shared=shared)
        scores[f] = -_log_losses(X, codes, rows[test], res.coefs, res.intercepts)
    best = int(np.argmax(scores.sum(axis=0)))
    curve = CVCurve(CS, -scores.T, metric="-neg_log_loss", larger_is_simpler=False, parameter="C")
    res = _path(X, codes, rows, 1.0 / (CS[: best + 1] * rows.size), ratio, K, shared=shared)
    return MultinomialFit(
        res.coefs[-1], res.intercepts[-1], classes, float(CS[best]), curve.alpha_1se, ratio
    )
