"""Penalties: L1, L2 and the elastic net, with per-feature weights.

Every penalty in shrinkage is a special case of the weighted elastic net

.. math::

    g(\\beta) = \\alpha \\sum_j v_j \\Big(\\rho\\,|\\beta_j|
                + \\frac{1-\\rho}{2}\\,\\beta_j^2\\Big)

with strength :math:`\\alpha \\ge 0`, mix :math:`\\rho` = ``l1_ratio`` in
:math:`[0, 1]` and per-feature factors :math:`v_j` = ``penalty_weights``
(:math:`v_j = 0` leaves feature *j* unpenalized). ``L1`` is :math:`\\rho = 1`,
``L2`` is :math:`\\rho = 0`. Optionally :math:`\\beta_j \\ge 0` (``positive``).

The penalty is separable, so each piece acts coordinate-wise through two arrays,
``l1 = α ρ v`` and ``l2 = α (1 − ρ) v``; solvers only ever see those arrays.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

__all__ = ["ElasticNetPenalty", "L1", "L2", "soft_threshold"]


def soft_threshold(z: np.ndarray, threshold: np.ndarray | float) -> np.ndarray:
    """Soft-thresholding, the proximal map of ``threshold·|x|``.

    .. math:: S(z, t) = \\operatorname{sign}(z)\\max(|z| - t, 0)
    """
    z = np.asarray(z)
    return np.sign(z) * np.maximum(np.abs(z) - threshold, 0.0)


@dataclass(frozen=True)
class ElasticNetPenalty:
    """Weighted elastic-net penalty ``α Σ_j v_j (ρ|β_j| + (1−ρ)/2 β_j²)``.

    Parameters
    ----------
    alpha : float
        Strength, ``alpha >= 0``.
    l1_ratio : float
        Mix ρ in [0, 1]: 1 is the lasso (L1), 0 is ridge (L2).
    penalty_weights : ndarray of shape (n_features,), optional
        Per-feature factors ``v_j >= 0``; 0 leaves a feature unpenalized. ``None``
        means all ones.
    positive : bool
        Constrain the coefficients to be non-negative.
    """

    alpha: float
    l1_ratio: float = 1.0
    penalty_weights: np.ndarray | None = field(default=None, compare=False)
    positive: bool = False

    def __post_init__(self) -> None:
        if not np.isfinite(self.alpha) or self.alpha < 0:
            raise ValueError(
                f"alpha must be a finite number >= 0, got {self.alpha!r}. "
                "Use alpha=0 for no penalty."
            )
        if not 0.0 <= self.l1_ratio <= 1.0:
            raise ValueError(
                f"l1_ratio must lie in [0, 1] (1 = lasso, 0 = ridge), got {self.l1_ratio!r}."
            )

    def weights(self, n_features: int) -> np.ndarray:
        """The per-feature factors ``v`` as a float64 array."""
        if self.penalty_weights is None:
            return np.ones(n_features)
        return np.asarray(self.penalty_weights, dtype=np.float64)

    def coordinate_strengths(self, n_features: int) -> tuple[np.ndarray, np.ndarray]:
        """Per-feature ``(l1, l2)`` so that ``g(β) = Σ l1_j|β_j| + ½ l2_j β_j²``."""
        v = self.weights(n_features)
        return self.alpha * self.l1_ratio * v, self.alpha * (1.0 - self.l1_ratio) * v

    def value(self, coef: np.ndarray) -> float:
        """The penalty ``g(β)``; ``inf`` if ``positive`` and some ``β_j < 0``."""
        coef = np.asarray(coef, dtype=np.float64)
        if self.positive and np.any(coef < 0):
            return np.inf
        l1, l2 = self.coordinate_strengths(coef.shape[-1])
        return float(np.sum(l1 * np.abs(coef)) + 0.5 * np.sum(l2 * coef**2))

    def prox(self, z: np.ndarray, step: float | np.ndarray) -> np.ndarray:
        """Proximal map ``argmin_b ½‖b − z‖² + step·g(b)``.

        Closed form: ``S(z, step·l1) / (1 + step·l2)`` (clipped at 0 if ``positive``).
        """
        z = np.asarray(z, dtype=np.float64)
        l1, l2 = self.coordinate_strengths(z.shape[-1])
        if self.positive:
            shrunk = np.maximum(z - step * l1, 0.0)
        else:
            shrunk = soft_threshold(z, step * l1)
        return shrunk / (1.0 + step * l2)

    def subdifferential_distance(self, coef: np.ndarray, gradient: np.ndarray) -> np.ndarray:
        """Distance of ``−gradient`` to ``∂g(coef)``, coordinate-wise: the KKT violation.

        ``gradient`` is the gradient of the data-fit term. At a minimizer of
        ``f + g`` every entry is zero.
        """
        coef = np.asarray(coef, dtype=np.float64)
        neg_grad = -np.asarray(gradient, dtype=np.float64)
        l1, l2 = self.coordinate_strengths(coef.shape[-1])
        target = neg_grad - l2 * coef
        at_zero = coef == 0
        # β_j ≠ 0: ∂ is the single point l1·sign(β_j); β_j = 0: the interval [−l1, l1]
        # (or (−∞, l1] under the positivity constraint).
        distance = np.abs(target - l1 * np.sign(coef))
        if self.positive:
            zero_dist = np.maximum(target - l1, 0.0)
        else:
            zero_dist = np.maximum(np.abs(target) - l1, 0.0)
        return np.where(at_zero, zero_dist, distance)

    def conjugate(self, z: np.ndarray) -> float:
        """Fenchel conjugate ``g*(z) = Σ_j sup_b (z_j b − g_j(b))``.

        ``(|z_j| − l1_j)₊² / (2 l2_j)`` where ``l2_j > 0``; the indicator of
        ``|z_j| ≤ l1_j`` where ``l2_j = 0``. Under ``positive``, ``|z_j|`` becomes
        ``z_j``.
        """
        z = np.asarray(z, dtype=np.float64)
        l1, l2 = self.coordinate_strengths(z.shape[-1])
        excess = np.maximum((z if self.positive else np.abs(z)) - l1, 0.0)
        smooth = l2 > 0
        if np.any(excess[~smooth] > 0):
            return np.inf
        return float(np.sum(excess[smooth] ** 2 / (2.0 * l2[smooth])))


def L1(alpha: float, penalty_weights: np.ndarray | None = None, positive: bool = False):
    """The lasso penalty ``α Σ v_j |β_j|``."""
    return ElasticNetPenalty(alpha, 1.0, penalty_weights, positive)


def L2(alpha: float, penalty_weights: np.ndarray | None = None):
    """The ridge penalty ``α/2 Σ v_j β_j²``."""
    return ElasticNetPenalty(alpha, 0.0, penalty_weights)
