"""Data-fit terms (losses) as functions of the linear predictor ``η = Xβ + β₀``.

The one objective convention of shrinkage: with sample weights ``w`` scaled to
``h = w / Σw`` (so unit weights give ``h = 1/n``),

.. math::

    F(\\beta_0, \\beta) = \\sum_i h_i\\, \\ell(y_i, \\eta_i) + g(\\beta),

where :math:`g` is the penalty (:mod:`shrinkage.penalties`). For least squares
:math:`\\ell = \\tfrac12 (y - \\eta)^2`, which is scikit-learn's ``Lasso`` and
``ElasticNet`` objective exactly; for logistic regression
:math:`\\ell = \\log(1 + e^{\\eta}) - y\\eta` with ``y ∈ {0, 1}``.

Each loss gives its value, its derivative in η, its second derivative (the IRLS
weights), the inverse link, and the Fenchel conjugate used for duality gaps.
"""

from __future__ import annotations

import numpy as np
from scipy.special import expit, log_expit, xlogy

__all__ = ["Quadratic", "Logistic"]


class Quadratic:
    """Least squares, ``ℓ(y, η) = ½ (y − η)²``."""

    name = "squared_error"

    @staticmethod
    def value(y: np.ndarray, eta: np.ndarray, h: np.ndarray) -> float:
        return 0.5 * float(np.dot(h, (y - eta) ** 2))

    @staticmethod
    def derivative(y: np.ndarray, eta: np.ndarray) -> np.ndarray:
        """``∂ℓ/∂η = η − y``."""
        return eta - y

    @staticmethod
    def curvature(y: np.ndarray, eta: np.ndarray) -> np.ndarray:
        """``∂²ℓ/∂η² = 1``."""
        return np.ones_like(eta)

    @staticmethod
    def inverse_link(eta: np.ndarray) -> np.ndarray:
        return eta


class Logistic:
    """Binary log-loss, ``ℓ(y, η) = log(1 + e^η) − yη`` with ``y ∈ {0, 1}``."""

    name = "log_loss"

    @staticmethod
    def value(y: np.ndarray, eta: np.ndarray, h: np.ndarray) -> float:
        # log(1 + e^η) − yη = −log σ(η) + (1 − y)η, computed without overflow.
        return float(np.dot(h, -log_expit(eta) + (1.0 - y) * eta))

    @staticmethod
    def derivative(y: np.ndarray, eta: np.ndarray) -> np.ndarray:
        """``∂ℓ/∂η = σ(η) − y``."""
        return expit(eta) - y

    @staticmethod
    def curvature(y: np.ndarray, eta: np.ndarray) -> np.ndarray:
        """``∂²ℓ/∂η² = σ(η)(1 − σ(η))``."""
        p = expit(eta)
        return p * (1.0 - p)

    @staticmethod
    def inverse_link(eta: np.ndarray) -> np.ndarray:
        return expit(eta)

    @staticmethod
    def conjugate_at_residual(y: np.ndarray, mean: np.ndarray, h: np.ndarray) -> float:
        """``Σ h_i ℓ*_i(−θ_i)`` for the dual point ``θ = y − μ`` with ``μ ∈ [0, 1]``.

        ``ℓ*(−θ) = μ log μ + (1 − μ) log(1 − μ)`` where ``μ = y − θ`` (negative
        binary entropy), so the duality gap needs only the fitted means.
        """
        entropy = xlogy(mean, mean) + xlogy(1.0 - mean, 1.0 - mean)
        return float(np.dot(h, entropy))
