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

This module is the one NumPy home of the penalty's math: the strengths
(:func:`penalty_strengths`), ``alpha_max`` (:func:`alpha_max_from_gradient`), the
value (:func:`penalty_value`), the proximal map (:func:`elastic_net_prox`), the KKT
distance (:func:`kkt_violation`) and the conjugate (:func:`elastic_net_conjugate`);
the box constraints ``lower_j ≤ β_j ≤ upper_j`` (glmnet's ``lower.limits`` and
``upper.limits``; ``positive`` is the box ``[0, ∞)``) in :class:`Box`, which every one
of those functions accepts in place of the ``positive`` flag;
and the same for the grouped elastic net over a ``(K, p)`` coefficient matrix
(:class:`GroupElasticNetPenalty`, :func:`group_penalty_value`, :func:`group_prox`,
:func:`group_kkt_violation`, :func:`group_alpha_max`, :func:`group_conjugate`).
The compiled coordinate update and gap in :mod:`shrinkage.solvers._kernels` repeat
them inside Numba loops, and ``tests/solvers`` checks that they agree.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

__all__ = [
    "Box",
    "ElasticNetPenalty",
    "GroupElasticNetPenalty",
    "L1",
    "L2",
    "alpha_max_from_gradient",
    "as_box",
    "coefficient_box",
    "elastic_net_conjugate",
    "elastic_net_prox",
    "group_alpha_max",
    "group_conjugate",
    "group_kkt_violation",
    "group_penalty_value",
    "group_prox",
    "kkt_violation",
    "penalty_strengths",
    "penalty_value",
    "screening_score",
    "soft_threshold",
]

# glmnet's floor on the mix when finding alpha_max: ridge alone has alpha_max = ∞.
MIN_L1_RATIO_FOR_GRID = 1e-3


# ------------------------------------------------------------------------- the box
@dataclass(frozen=True)
class Box:
    """Per-feature bounds ``lower_j ≤ β_j ≤ upper_j`` with ``lower ≤ 0 ≤ upper``.

    glmnet's ``lower.limits`` / ``upper.limits``. ``β = 0`` is always feasible, which
    is what every warm start, screening rule and ``alpha_max`` assume. The penalty
    with the box is ``g_j(b) = l1_j|b| + ½ l2_j b² + ι_{[lower_j, upper_j]}(b)``,
    still separable, so each coordinate update is the unconstrained one clipped to
    the box (a one-dimensional convex problem).

    Attributes
    ----------
    lower, upper : ndarray of shape (n_features,)
        ``-inf`` / ``+inf`` where unbounded.
    """

    lower: np.ndarray
    upper: np.ndarray

    @classmethod
    def unbounded(cls, n_features: int) -> Box:
        return cls(np.full(n_features, -np.inf), np.full(n_features, np.inf))

    @classmethod
    def nonnegative(cls, n_features: int) -> Box:
        """``positive=True``: ``β ≥ 0``."""
        return cls(np.zeros(n_features), np.full(n_features, np.inf))

    @property
    def is_unbounded(self) -> bool:
        return bool(np.all(self.lower == -np.inf) and np.all(self.upper == np.inf))

    def subset(self, features: np.ndarray) -> Box:
        """The box of ``features`` only (for a problem on those columns)."""
        return Box(self.lower[features], self.upper[features])

    def project(self, coef: np.ndarray) -> np.ndarray:
        return np.clip(coef, self.lower, self.upper)


def as_box(constraint, n_features: int) -> Box:
    """A :class:`Box` from ``positive`` (a bool) or a :class:`Box` (returned as is)."""
    if isinstance(constraint, Box):
        return constraint
    return Box.nonnegative(n_features) if constraint else Box.unbounded(n_features)


def _bound_array(value, name: str, n_features: int, unbounded: float) -> np.ndarray:
    if value is None:
        return np.full(n_features, unbounded)
    try:
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(
            f"{name} must be a number or an array of numbers (one per feature), got {value!r}."
        ) from None
    if array.size == 1 and array.ndim <= 1:  # a scalar (glmnet recycles length 1 too)
        array = np.full(n_features, float(array.ravel()[0]))
    if array.shape != (n_features,):
        raise ValueError(
            f"{name} must be a scalar or have one value per feature ({n_features}), "
            f"got shape {array.shape}."
        )
    if np.isnan(array).any():
        raise ValueError(f"{name} contains NaN; use -inf / inf for an unbounded feature.")
    return array.copy()


def coefficient_box(
    n_features: int, lower_bounds=None, upper_bounds=None, positive: bool = False
) -> Box:
    """Validate the bounds options of an estimator and return the :class:`Box`.

    Parameters
    ----------
    n_features : int
    lower_bounds, upper_bounds : float or array-like of shape (n_features,), optional
        ``None`` is unbounded; each must satisfy ``lower ≤ 0 ≤ upper`` (as glmnet
        requires: ``β = 0`` must be feasible).
    positive : bool
        ``positive=True`` is ``lower_bounds=0``; combined with a lower bound it must
        not conflict (a lower bound below 0 does).

    Raises
    ------
    ValueError
        With the problem and the fix.
    """
    lower = _bound_array(lower_bounds, "lower_bounds", n_features, -np.inf)
    upper = _bound_array(upper_bounds, "upper_bounds", n_features, np.inf)
    if np.any(lower > 0):
        raise ValueError(
            "lower_bounds must be <= 0 for every feature (glmnet's lower.limits: the "
            "coefficients start at 0), got a positive value; shift the feature or fit "
            "without that bound."
        )
    if np.any(upper < 0):
        raise ValueError(
            "upper_bounds must be >= 0 for every feature (glmnet's upper.limits: the "
            "coefficients start at 0), got a negative value; flip the feature's sign or "
            "fit without that bound."
        )
    if positive:
        if lower_bounds is not None and np.any(lower < 0):
            raise ValueError(
                "positive=True means lower_bounds=0, but lower_bounds below 0 were also "
                "given; pass one of them (positive=True alone, or lower_bounds=0)."
            )
        lower = np.zeros(n_features)
    return Box(lower, upper)


def screening_score(gradient: np.ndarray, constraint) -> np.ndarray:
    """How hard ``−∇f`` pushes a zero coefficient into the box: ``|∇_j|`` if it may
    move both ways, ``∇_j`` if only up (``positive``), ``−∇_j`` if only down, ``−∞``
    if it is fixed at 0. ``β_j = 0`` is optimal iff the score is at most ``l1_j``."""
    gradient = np.asarray(gradient, dtype=np.float64)
    box = as_box(constraint, gradient.shape[-1])
    up, down = box.upper > 0, box.lower < 0
    return np.where(
        down, np.where(up, np.abs(gradient), -gradient), np.where(up, gradient, -np.inf)
    )


def soft_threshold(z: np.ndarray, threshold: np.ndarray | float) -> np.ndarray:
    """Soft-thresholding, the proximal map of ``threshold·|x|``.

    .. math:: S(z, t) = \\operatorname{sign}(z)\\max(|z| - t, 0)
    """
    z = np.asarray(z)
    return np.sign(z) * np.maximum(np.abs(z) - threshold, 0.0)


def penalty_strengths(alpha, l1_ratio, penalty_weights) -> tuple[np.ndarray, np.ndarray]:
    """Per-feature ``(l1, l2) = (α ρ v, α (1 − ρ) v)`` of the weighted elastic net."""
    return alpha * l1_ratio * penalty_weights, alpha * (1.0 - l1_ratio) * penalty_weights


def alpha_max_from_gradient(gradient, l1_ratio, penalty_weights, positive) -> float:
    """Smallest ``alpha`` at which ``β = 0`` is optimal: ``max_j |∇_j| / (ρ v_j)``.

    ``gradient`` is the *negative* data-fit gradient at ``β = 0`` (intercept and
    unpenalized features fitted), over penalized features; ``positive`` (a bool or a
    :class:`Box`) makes the score one-sided (:func:`screening_score`).
    ``ρ`` is floored at ``MIN_L1_RATIO_FOR_GRID`` (glmnet), since ridge alone has none.
    """
    penalized = penalty_weights > 0
    if not penalized.any():
        return 0.0
    score = screening_score(gradient, positive)[penalized]
    if score.max() <= 0:  # nothing can leave 0 (a box closed on the pushed side)
        score = np.abs(gradient[penalized])
    mix = max(l1_ratio, MIN_L1_RATIO_FOR_GRID)
    return float(np.max(score / (mix * penalty_weights[penalized])))


def penalty_value(coef: np.ndarray, l1: np.ndarray, l2: np.ndarray) -> float:
    """``g(β) = Σ_j l1_j |β_j| + ½ l2_j β_j²`` (the sign constraint is not checked)."""
    return float(np.dot(l1, np.abs(coef)) + 0.5 * np.dot(l2, coef * coef))


def elastic_net_prox(z, l1, l2, positive: bool = False) -> np.ndarray:
    """``argmin_b ½(b − z)² + l1|b| + ½ l2 b²`` coordinate-wise: ``S(z, l1)/(1 + l2)``.

    Under ``positive`` the soft-threshold becomes ``max(z − l1, 0)``; with a
    :class:`Box` the result is clipped to it. (For a step size ``t`` pass
    ``t·l1, t·l2``.)
    """
    z = np.asarray(z, dtype=np.float64)
    if isinstance(positive, Box):  # the 1-D problem is convex: clip the free minimizer
        return np.clip(soft_threshold(z, l1) / (1.0 + l2), positive.lower, positive.upper)
    shrunk = np.maximum(z - l1, 0.0) if positive else soft_threshold(z, l1)
    return shrunk / (1.0 + l2)


def kkt_violation(neg_gradient, coef, l1, l2, positive: bool) -> np.ndarray:
    """Per-feature distance of ``−∇f`` to ``∂g(β)``: zero everywhere at a minimizer.

    ``neg_gradient`` is minus the data-fit gradient (``X̃ᵀH r`` for least squares).
    Where ``β_j ≠ 0`` the subdifferential is the point ``l1_j sign(β_j) + l2_j β_j``;
    at ``β_j = 0`` it is ``[−l1_j, l1_j]``. With a box (``positive`` a :class:`Box`, or
    ``True`` for ``[0, ∞)``) the normal cone is added: at ``β_j = upper_j`` the interval
    opens to ``+∞``, at ``β_j = lower_j`` to ``−∞`` (a coefficient on its bound with
    the gradient pushing outward is optimal).
    """
    neg_gradient = np.asarray(neg_gradient, dtype=np.float64)
    coef = np.asarray(coef, dtype=np.float64)
    target = neg_gradient - l2 * coef
    sign = np.sign(coef)
    low = np.where(sign == 0, -l1, l1 * sign)
    high = np.where(sign == 0, l1, l1 * sign)
    if positive is not False:
        box = as_box(positive, coef.shape[-1])
        low = np.where(coef <= box.lower, -np.inf, low)
        high = np.where(coef >= box.upper, np.inf, high)
    return np.maximum(np.maximum(low - target, target - high), 0.0)


def elastic_net_conjugate(z, l1, l2, positive: bool = False) -> float:
    """Fenchel conjugate ``g*(z) = Σ_j sup_b (z_j b − l1_j|b| − ½ l2_j b²)``.

    ``(|z_j| − l1_j)₊² / (2 l2_j)`` where ``l2_j > 0``, and the indicator of
    ``|z_j| ≤ l1_j`` where ``l2_j = 0`` (``inf`` outside). Under ``positive``,
    ``|z_j|`` becomes ``z_j``.

    With a :class:`Box` ``[a, c]`` (``a ≤ 0 ≤ c``) the supremum is over the box, so
    it is finite wherever the bound on the pushed side is: the two sides separate,
    ``g*(z) = φ(z − l1, c) + φ(−z − l1, −a)`` with
    ``φ(e, U) = sup_{0 ≤ t ≤ U} (e t − ½ l2 t²)``, i.e. 0 for ``e ≤ 0``,
    ``e²/(2 l2)`` if ``e ≤ l2 U``, else ``e U − ½ l2 U²`` (``e U`` when ``l2 = 0``;
    ``+∞`` when also ``U = ∞``).
    """
    z = np.asarray(z, dtype=np.float64)
    l1 = np.asarray(l1, dtype=np.float64)
    l2 = np.asarray(l2, dtype=np.float64)
    if isinstance(positive, Box):
        up = _one_side_conjugate(z - l1, l2, positive.upper)
        down = _one_side_conjugate(-z - l1, l2, -positive.lower)
        return float(np.sum(up) + np.sum(down))
    excess = np.maximum((z if positive else np.abs(z)) - l1, 0.0)
    smooth = l2 > 0
    if np.any(excess[~smooth] > 0):
        return np.inf
    return float(np.sum(excess[smooth] ** 2 / (2.0 * l2[smooth])))


def _one_side_conjugate(excess, l2, bound) -> np.ndarray:
    """``φ(e, U) = sup_{0 ≤ t ≤ U} (e t − ½ l2 t²)`` elementwise (see
    :func:`elastic_net_conjugate`)."""
    excess = np.broadcast_to(excess, np.shape(bound)).astype(np.float64)
    out = np.zeros_like(excess)
    pushed = excess > 0
    e, U, c = excess[pushed], bound[pushed], np.broadcast_to(l2, np.shape(bound))[pushed]
    with np.errstate(divide="ignore", invalid="ignore"):
        free = np.where(c > 0, e / np.where(c > 0, c, 1.0), np.inf)  # unconstrained t
        inside = free <= U
        value = np.where(
            inside, e * free - 0.5 * c * free**2, e * U - 0.5 * c * np.where(c > 0, U, 0.0) ** 2
        )
    out[pushed] = np.where(np.isnan(value), np.inf, value)
    return out


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
        return penalty_strengths(self.alpha, self.l1_ratio, self.weights(n_features))

    def value(self, coef: np.ndarray) -> float:
        """The penalty ``g(β)``; ``inf`` if ``positive`` and some ``β_j < 0``."""
        coef = np.asarray(coef, dtype=np.float64)
        if self.positive and np.any(coef < 0):
            return np.inf
        l1, l2 = self.coordinate_strengths(coef.shape[-1])
        return penalty_value(coef, l1, l2)

    def prox(self, z: np.ndarray, step: float | np.ndarray) -> np.ndarray:
        """Proximal map ``argmin_b ½‖b − z‖² + step·g(b)``.

        Closed form: ``S(z, step·l1) / (1 + step·l2)`` (clipped at 0 if ``positive``).
        """
        z = np.asarray(z, dtype=np.float64)
        l1, l2 = self.coordinate_strengths(z.shape[-1])
        return elastic_net_prox(z, step * l1, step * l2, self.positive)

    def subdifferential_distance(self, coef: np.ndarray, gradient: np.ndarray) -> np.ndarray:
        """Distance of ``−gradient`` to ``∂g(coef)``, coordinate-wise: the KKT violation.

        ``gradient`` is the gradient of the data-fit term. At a minimizer of
        ``f + g`` every entry is zero.
        """
        coef = np.asarray(coef, dtype=np.float64)
        neg_grad = -np.asarray(gradient, dtype=np.float64)
        l1, l2 = self.coordinate_strengths(coef.shape[-1])
        return kkt_violation(neg_grad, coef, l1, l2, self.positive)

    def alpha_max(self, gradient: np.ndarray) -> float:
        """Smallest strength at which ``β = 0`` is optimal, given the data-fit
        ``gradient`` at ``β = 0`` (this penalty's own ``alpha`` plays no part)."""
        neg_grad = -np.asarray(gradient, dtype=np.float64)
        v = self.weights(neg_grad.shape[-1])
        return alpha_max_from_gradient(neg_grad, self.l1_ratio, v, self.positive)

    def conjugate(self, z: np.ndarray) -> float:
        """Fenchel conjugate ``g*(z) = Σ_j sup_b (z_j b − g_j(b))``.

        ``(|z_j| − l1_j)₊² / (2 l2_j)`` where ``l2_j > 0``; the indicator of
        ``|z_j| ≤ l1_j`` where ``l2_j = 0``. Under ``positive``, ``|z_j|`` becomes
        ``z_j``.
        """
        z = np.asarray(z, dtype=np.float64)
        l1, l2 = self.coordinate_strengths(z.shape[-1])
        return elastic_net_conjugate(z, l1, l2, self.positive)


def L1(alpha: float, penalty_weights: np.ndarray | None = None, positive: bool = False):
    """The lasso penalty ``α Σ v_j |β_j|``."""
    return ElasticNetPenalty(alpha, 1.0, penalty_weights, positive)


def L2(alpha: float, penalty_weights: np.ndarray | None = None):
    """The ridge penalty ``α/2 Σ v_j β_j²``."""
    return ElasticNetPenalty(alpha, 0.0, penalty_weights)


# ----------------------------------------------------------------------------- group
# The grouped elastic net over the rows of a coefficient matrix: one group per
# feature j holding its K class (or task) coefficients B_·j,
#
#     g(B) = α Σ_j v_j (ρ‖B_·j‖₂ + (1−ρ)/2 ‖B_·j‖₂²),
#
# glmnet's ``type.multinomial="grouped"`` (and ``family="mgaussian"``). As for the
# elastic net, solvers see ``l1 = αρv`` and ``l2 = α(1−ρ)v`` (from
# :func:`penalty_strengths`). Coefficients are laid out ``(K, p)``: column j is
# feature j's group.


def _group_norms(coef: np.ndarray) -> np.ndarray:
    """``‖B_·j‖₂`` per column of a ``(K, p)`` matrix."""
    coef = np.asarray(coef, dtype=np.float64)
    return np.sqrt(np.einsum("kj,kj->j", coef, coef))


def group_penalty_value(coef: np.ndarray, l1: np.ndarray, l2: np.ndarray) -> float:
    """``Σ_j l1_j ‖B_·j‖₂ + ½ l2_j ‖B_·j‖₂²`` for ``coef`` of shape ``(K, p)``."""
    norms = _group_norms(coef)
    return float(np.dot(l1, norms) + 0.5 * np.dot(l2, norms * norms))


def group_prox(z: np.ndarray, l1, l2) -> np.ndarray:
    """``argmin_B ½‖B − Z‖²_F + Σ_j l1_j‖B_·j‖ + ½ l2_j‖B_·j‖²``, column by column:

    .. math:: B_{·j} = \\max\\big(0, 1 − l1_j/\\lVert Z_{·j}\\rVert\\big)\\, Z_{·j} / (1 + l2_j)

    (group soft-thresholding; for a step size ``t`` pass ``t·l1, t·l2``).
    """
    z = np.asarray(z, dtype=np.float64)
    norms = _group_norms(z)
    with np.errstate(divide="ignore", invalid="ignore"):
        shrink = np.where(norms > l1, 1.0 - l1 / norms, 0.0)
    return z * (shrink / (1.0 + np.asarray(l2, dtype=np.float64)))


def group_kkt_violation(neg_gradient, coef, l1, l2) -> np.ndarray:
    """Per-feature distance of ``−∇_j f`` (a K-vector) to ``∂g_j(B_·j)``.

    At ``B_·j = 0`` the subdifferential is the ball ``‖u‖ ≤ l1_j`` (the violation is
    ``(‖∇_j‖ − l1_j)₊``); elsewhere it is the point ``l1_j B_·j/‖B_·j‖ + l2_j B_·j``.
    ``neg_gradient`` and ``coef`` have shape ``(K, p)``.
    """
    neg_gradient = np.asarray(neg_gradient, dtype=np.float64)
    coef = np.asarray(coef, dtype=np.float64)
    norms = _group_norms(coef)
    target = neg_gradient - l2 * coef
    at_zero = norms == 0
    with np.errstate(divide="ignore", invalid="ignore"):
        unit = np.where(at_zero, 0.0, coef / np.where(at_zero, 1.0, norms))
    moving = _group_norms(target - l1 * unit)
    zero_violation = np.maximum(_group_norms(target) - l1, 0.0)
    return np.where(at_zero, zero_violation, moving)


def group_alpha_max(neg_gradient, l1_ratio: float, penalty_weights) -> float:
    """Smallest ``alpha`` with ``B = 0`` optimal: ``max_j ‖∇_j F(0)‖₂ / (ρ v_j)``.

    ``neg_gradient`` ``(K, p)`` is taken at ``B = 0`` with the intercepts and the
    unpenalized features fitted; ``ρ`` is floored at ``MIN_L1_RATIO_FOR_GRID``.
    """
    return alpha_max_from_gradient(
        _group_norms(neg_gradient), l1_ratio, np.asarray(penalty_weights), False
    )


def group_conjugate(z, l1, l2) -> float:
    """``g*(Z) = Σ_j sup_b (Z_·jᵀ b − l1_j‖b‖ − ½ l2_j‖b‖²)``: ``(‖Z_·j‖ − l1_j)₊²/(2 l2_j)``
    where ``l2_j > 0``, the indicator of ``‖Z_·j‖ ≤ l1_j`` where ``l2_j = 0``."""
    return elastic_net_conjugate(_group_norms(z), l1, l2)


@dataclass(frozen=True)
class GroupElasticNetPenalty:
    """Grouped elastic net ``α Σ_j v_j (ρ‖B_·j‖₂ + (1−ρ)/2 ‖B_·j‖₂²)`` on ``(K, p)``
    coefficients: a feature is in or out for all K classes at once.

    Parameters
    ----------
    alpha : float
    l1_ratio : float
    penalty_weights : ndarray of shape (n_features,), optional
    """

    alpha: float
    l1_ratio: float = 1.0
    penalty_weights: np.ndarray | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        ElasticNetPenalty(self.alpha, self.l1_ratio)  # the same checks and messages

    def strengths(self, n_features: int) -> tuple[np.ndarray, np.ndarray]:
        v = np.ones(n_features) if self.penalty_weights is None else self.penalty_weights
        return penalty_strengths(self.alpha, self.l1_ratio, np.asarray(v, dtype=np.float64))

    def value(self, coef: np.ndarray) -> float:
        return group_penalty_value(coef, *self.strengths(np.shape(coef)[-1]))

    def prox(self, z: np.ndarray, step: float) -> np.ndarray:
        l1, l2 = self.strengths(np.shape(z)[-1])
        return group_prox(z, step * l1, step * l2)

    def subdifferential_distance(self, coef: np.ndarray, gradient: np.ndarray) -> np.ndarray:
        """Per-feature KKT violation given the data-fit ``gradient`` ``(K, p)``."""
        l1, l2 = self.strengths(np.shape(coef)[-1])
        return group_kkt_violation(-np.asarray(gradient, dtype=np.float64), coef, l1, l2)

    def alpha_max(self, gradient: np.ndarray) -> float:
        v = self.penalty_weights
        v = np.ones(np.shape(gradient)[-1]) if v is None else np.asarray(v, dtype=np.float64)
        return group_alpha_max(-np.asarray(gradient, dtype=np.float64), self.l1_ratio, v)

    def conjugate(self, z: np.ndarray) -> float:
        return group_conjugate(z, *self.strengths(np.shape(z)[-1]))
