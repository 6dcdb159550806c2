"""Column centring for the softmax solvers with an L1 part, as glmnet does.

With an intercept, the softmax loss depends on ``(β₀, B)`` only through
``η = β₀ + XBᵀ``. On ``X̃ = X − 1x̄ᵀ`` (``x̄`` the ``h``-weighted column means) the same
model is ``η = β̃₀ + X̃Bᵀ`` with ``β̃₀ = β₀ + Bx̄``: the coefficients and the penalty do
not change, only the intercepts move. The block steps of
:class:`~.logistic.MultinomialProblem` and
:class:`~.grouped_multinomial.GroupedMultinomialProblem` treat the intercepts and the
coefficients as separate blocks (the grouped step drops the cross terms ``X̃ᵀ diag(…)1``
of the Hessian). Those terms are near zero on centred columns and large on uncentred
ones, where the steps stalled: wine with 100 added to each standardized column, grouped
lasso, C = 1: 100 steps, a ConvergenceWarning and probabilities 0.72 off the optimum;
centred it takes 8 steps.

The single fit and every path of :class:`~shrinkage.linear_model.LogisticRegressionCV`
centre the same way (each on its own rows), so that a fit and a fold's path solve the
same problem in the same coordinates and stop at points equally close to it. The
solvers take ``means`` (``column_means=``) and test the KKT conditions on the caller's
columns, ``X̃ᵀR + (1ᵀR)x̄ᵀ``: ``tol`` keeps the meaning scikit-learn gives it.

Sparse ``X`` is left alone (centring would fill it), as is the smooth L2 route (L-BFGS,
then Newton on the full Hessian, which has the cross terms).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

__all__ = ["SoftmaxCentring"]


class SoftmaxCentring:
    """The centred design for a softmax solver and the map of its intercepts back.

    Parameters
    ----------
    X : ndarray or sparse matrix of shape (n_samples, n_features)
    h : ndarray of shape (n_samples,)
        Sample weights summing to one (the solvers' ``h``).
    applies : bool
        Centre only when True (an intercept is fitted and the penalty has an L1 part);
        a sparse ``X`` is never centred.

    Attributes
    ----------
    X : ndarray or sparse matrix
        ``X − 1x̄ᵀ`` in float64, Fortran order (the solvers' layout), or ``X`` itself.
    means : ndarray of shape (n_features,) or None
        ``x̄ = Xᵀh``, None when ``X`` is left alone.
    """

    def __init__(self, X, h: np.ndarray, applies: bool) -> None:
        self.X, self.means = X, None
        if not applies or sp.issparse(X):
            return
        means = np.asarray(h @ X, dtype=np.float64)
        if not np.any(means):
            return
        centred = np.empty(X.shape, dtype=np.float64, order="F")
        np.subtract(X, means, out=centred)
        self.X, self.means = centred, means

    def to_centred(self, coef: np.ndarray, intercept: np.ndarray) -> np.ndarray:
        """Intercepts ``β̃₀ = β₀ + Bx̄`` for a start ``(β₀, B)`` given on ``X``."""
        if self.means is None:
            return intercept
        return np.asarray(intercept, dtype=np.float64) + coef @ self.means

    def to_original(self, coef: np.ndarray, intercept: np.ndarray) -> np.ndarray:
        """Intercepts on ``X``, ``β₀ = β̃₀ − Bx̄``, re-centred to sum zero over the
        classes (the solvers' and glmnet's choice: softmax is unchanged by a shift
        common to all classes)."""
        if self.means is None:
            return intercept
        original = np.asarray(intercept, dtype=np.float64) - coef @ self.means
        return original - original.mean()
