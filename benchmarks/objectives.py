"""The objectives every library's output is scored on (shrinkage's = scikit-learn's).

Least squares::

    1/(2n) ||y - Xw - b||^2 + alpha * (l1_ratio ||w||_1 + (1 - l1_ratio)/2 ||w||^2)

Logistic (y in {0, 1})::

    (1/n) sum_i [log(1 + exp(eta_i)) - y_i eta_i] + alpha * (same penalty),  eta = Xw + b
"""

from __future__ import annotations

import numpy as np


def _linear_predictors(X, coefs, intercepts):
    """``X @ coefs + intercepts`` for a path: shape (n_samples, n_alphas)."""
    return np.asarray(X @ coefs) + intercepts[None, :]


def penalty(coefs, alphas, l1_ratio):
    """Elastic-net penalty for each column of ``coefs`` (n_features, n_alphas)."""
    l1 = np.abs(coefs).sum(axis=0)
    l2 = (coefs * coefs).sum(axis=0)
    return alphas * (l1_ratio * l1 + 0.5 * (1.0 - l1_ratio) * l2)


def least_squares(X, y, coefs, intercepts, alphas, l1_ratio):
    """Least-squares objective at each alpha of a path."""
    residual = y[:, None] - _linear_predictors(X, coefs, intercepts)
    return 0.5 * np.mean(residual * residual, axis=0) + penalty(coefs, alphas, l1_ratio)


def logistic(X, y01, coefs, intercepts, alphas, l1_ratio):
    """Logistic objective at each alpha of a path."""
    eta = _linear_predictors(X, coefs, intercepts)
    loss = np.mean(np.logaddexp(0.0, eta) - y01[:, None] * eta, axis=0)
    return loss + penalty(coefs, alphas, l1_ratio)


def alpha_max(X, target, l1_ratio=1.0):
    """Smallest alpha whose solution (with intercept) is all zeros.

    ``max_j |x_j^T (target - mean(target))| / (n * l1_ratio)``; the same formula holds
    for least squares (target = y) and logistic (target = y01, whose null model
    predicts the mean).
    """
    centered = target - target.mean()
    gradient = np.asarray(X.T @ centered).ravel()
    return float(np.max(np.abs(gradient)) / (X.shape[0] * l1_ratio))


def relative_suboptimality(objective, reference):
    """``(objective - reference) / reference``, per alpha."""
    return (np.asarray(objective) - reference) / np.abs(reference)
