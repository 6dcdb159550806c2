"""Datafits: the data term of the objective, one class each.

The one objective convention of shrinkage: with sample weights ``w`` scaled to
``h = w / Σw`` (so unit weights give ``h = 1/n``) and the linear predictor
``η = offset + β₀ + Xβ``,

.. math::

    F(\\beta_0, \\beta) = \\underbrace{\\sum_i h_i\\, \\ell(y_i, \\eta_i)}_{\\text{datafit}}
        + g(\\beta),

where :math:`g` is the penalty (:mod:`shrinkage.penalties`). A datafit gives, as a
function of the whole vector ``η``:

- ``value(y, η, h)``: ``Σ_i h_i ℓ(y_i, η_i)``;
- ``gradient(y, η, h)`` and ``hessian_diagonal(y, η, h)``: ``∂/∂η`` and the diagonal
  of ``∂²/∂η²`` of that value (the IRLS weights of the proximal-Newton solver,
  :mod:`shrinkage.solvers.glm`);
- ``inverse_link(η)``: the mean response;
- ``null_eta(y, h, offset)``: the intercept of the intercept-only model;
- ``conjugate(y, θ, h)``: the Fenchel conjugate for the duality gap, in the dual
  point's *residual units*: ``F*(−h⊙θ) = sup_η (−Σ_i h_i θ_i η_i − value(y, η, h))``,
  which for a separable datafit is ``Σ_i h_i ℓ_i*(−θ_i)``. At the optimum
  ``θ_i = −ℓ'(y_i, η_i)`` (``y − μ`` for a canonical link). ``None`` means the datafit
  has no usable conjugate: the solver then stops on the KKT violation alone;
- ``check_target(y)``: validate and encode ``y``, with an error that says the fix.

The separable datafits (:class:`Quadratic`, :class:`Logistic`, :class:`Poisson`,
:class:`Gamma`) are written per sample, as ``derivative``/``curvature`` of ``ℓ``;
:class:`Multinomial` takes a matrix ``η`` (one column per class).

A new datafit is one class here plus one line in :data:`DATAFITS` (or a module of
this package that registers it with :func:`register_datafit`, as
:mod:`shrinkage.datafits.cox` does): the path (:func:`shrinkage.path.make_problem`)
and the solver
(:class:`shrinkage.solvers.glm.GLMProblem`) need nothing else. The methods are
class methods so that the classes themselves can be used as datafits (the old
:mod:`shrinkage.losses` API); a datafit with parameters (Tweedie's power) would
use instance methods instead, which the solvers call the same way.
"""

from __future__ import annotations

import numpy as np
from scipy.special import expit, log_expit, log_softmax, xlogy

__all__ = [
    "DATAFITS",
    "Datafit",
    "Gamma",
    "Logistic",
    "Multinomial",
    "Poisson",
    "Quadratic",
    "SeparableDatafit",
    "Tweedie",
    "TweedieIdentity",
    "get_datafit",
]

# Fitted means of the intercept-only model are kept this far inside their range
# (a class absent from y, or an all-zero count), so the null intercept is finite.
MEAN_CLIP = 1e-12


class Datafit:
    """Base class: the interface every datafit implements (see the module docstring).

    Attributes
    ----------
    name : str
        The ``loss=`` name, e.g. ``"squared_error"``, ``"logistic"``, ``"poisson"``.
    has_intercept : bool
        False when ``F`` is unchanged by a shift of ``η`` (Cox's partial likelihood).
    categorical_target : bool
        True when ``y`` holds class labels (any type), not numbers.
    structured_target : bool
        True when ``y`` is a record per sample, not one number (Cox's ``(time, event)``):
        ``check_target`` alone validates its form and returns the datafit's own object.
    """

    name: str = ""
    has_intercept: bool = True
    categorical_target: bool = False
    structured_target: bool = False

    def check_target(self, y) -> np.ndarray:
        raise NotImplementedError

    def value(self, y, eta, h) -> float:
        raise NotImplementedError

    def gradient(self, y, eta, h) -> np.ndarray:
        raise NotImplementedError

    def hessian_diagonal(self, y, eta, h) -> np.ndarray:
        raise NotImplementedError

    def inverse_link(self, eta) -> np.ndarray:
        raise NotImplementedError

    def null_eta(self, y, h, offset) -> float:
        """Intercept of the intercept-only model: by Newton's method on the scalar
        ``b ↦ value(y, offset + b, h)`` (subclasses give closed forms)."""
        if not self.has_intercept:
            return 0.0
        offset = np.zeros(len(h)) if offset is None else offset
        b = 0.0
        for _ in range(100):
            eta = offset + b
            slope = float(np.sum(self.gradient(y, eta, h)))
            curvature = float(np.sum(self.hessian_diagonal(y, eta, h)))
            if not curvature > 0:
                break
            step = slope / curvature
            b -= step
            if abs(step) <= 1e-14 * max(1.0, abs(b)):
                break
        return float(b)

    def conjugate(self, y, theta, h) -> float | None:
        return None

    # -- helpers the solvers use; defaults from the interface above -----------------
    def newton_model(self, y, eta, h, min_curvature: float):
        """The quadratic model of ``F`` at ``η`` as weighted least squares:
        ``(weights, residual)`` with ``weights = max(∂²F, h·min_curvature)`` and
        ``residual = −∂F / weights`` (the IRLS working residual)."""
        weights = np.maximum(self.hessian_diagonal(y, eta, h), h * min_curvature)
        gradient = self.gradient(y, eta, h)
        safe = np.where(weights > 0, weights, 1.0)
        return weights, np.where(weights > 0, -gradient / safe, 0.0)

    def dual_residual(self, y, eta, h) -> np.ndarray:
        """``θ = −(∂F/∂η)/h``, the dual point (before rescaling) in residual units."""
        gradient = self.gradient(y, eta, h)
        safe = np.where(h > 0, h, 1.0)
        return np.where(h > 0, -gradient / safe, 0.0)


class SeparableDatafit(Datafit):
    """``F(η) = Σ_i h_i ℓ(y_i, η_i)``: written through ``ℓ'`` and ``ℓ''`` per sample."""

    @classmethod
    def derivative(cls, y, eta) -> np.ndarray:
        """``∂ℓ/∂η`` per sample."""
        raise NotImplementedError

    @classmethod
    def curvature(cls, y, eta) -> np.ndarray:
        """``∂²ℓ/∂η²`` per sample."""
        raise NotImplementedError

    @classmethod
    def gradient(cls, y, eta, h) -> np.ndarray:
        return h * cls.derivative(y, eta)

    @classmethod
    def hessian_diagonal(cls, y, eta, h) -> np.ndarray:
        return h * cls.curvature(y, eta)

    @classmethod
    def newton_model(cls, y, eta, h, min_curvature: float):
        # Per sample: h_i drops out of the working residual exactly (and zero weights
        # give a finite residual that the weights then ignore).
        curvature = np.maximum(cls.curvature(y, eta), min_curvature)
        return h * curvature, -cls.derivative(y, eta) / curvature

    @classmethod
    def dual_residual(cls, y, eta, h) -> np.ndarray:
        return -cls.derivative(y, eta)


def _numeric_target(y, what: str) -> np.ndarray:
    try:
        y = np.asarray(y, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"y has non-numeric values; {what} needs a numeric target.") from None
    if not np.isfinite(y).all():
        raise ValueError("y contains NaN or infinity; drop or impute those rows first.")
    return y


def _offset_or_zero(offset, n: int) -> np.ndarray:
    return np.zeros(n) if offset is None else np.asarray(offset, dtype=np.float64)


class Quadratic(SeparableDatafit):
    """Least squares, ``ℓ(y, η) = ½ (y − η)²`` (scikit-learn's Lasso/ElasticNet)."""

    name = "squared_error"

    @classmethod
    def check_target(cls, y) -> np.ndarray:
        return _numeric_target(y, "least squares")

    @classmethod
    def value(cls, y, eta, h) -> float:
        return 0.5 * float(np.dot(h, (y - eta) ** 2))

    @classmethod
    def derivative(cls, y, eta) -> np.ndarray:
        """``∂ℓ/∂η = η − y``."""
        return eta - y

    @classmethod
    def curvature(cls, y, eta) -> np.ndarray:
        """``∂²ℓ/∂η² = 1``."""
        return np.ones_like(eta)

    @classmethod
    def inverse_link(cls, eta) -> np.ndarray:
        return eta

    @classmethod
    def null_eta(cls, y, h, offset) -> float:
        """``Σ h (y − offset) / Σ h``."""
        return float(np.dot(h, y - _offset_or_zero(offset, len(h))) / np.sum(h))

    @classmethod
    def conjugate(cls, y, theta, h) -> float:
        """``ℓ*(−θ) = ½θ² − yθ``."""
        return float(np.dot(h, 0.5 * theta * theta - y * theta))


class Logistic(SeparableDatafit):
    """Binary log-loss, ``ℓ(y, η) = log(1 + e^η) − yη`` with ``y ∈ {0, 1}``."""

    name = "logistic"
    categorical_target = True

    @classmethod
    def check_target(cls, y) -> np.ndarray:
        """Two labels, mapped to 0 and 1 in sorted order."""
        classes, encoded = np.unique(y, return_inverse=True)
        if classes.size != 2:
            raise ValueError(
                f"Binary logistic regression needs exactly 2 classes in y, found "
                f"{classes.size}. Use LogisticRegression for more than two classes."
            )
        return encoded.astype(np.float64)

    @classmethod
    def value(cls, y, eta, h) -> float:
        # log(1 + e^η) − yη = −log σ(η) + (1 − y)η, computed without overflow.
        return float(np.dot(h, -log_expit(eta) + (1.0 - y) * eta))

    @classmethod
    def derivative(cls, y, eta) -> np.ndarray:
        """``∂ℓ/∂η = σ(η) − y``."""
        return expit(eta) - y

    @classmethod
    def curvature(cls, y, eta) -> np.ndarray:
        """``∂²ℓ/∂η² = σ(η)(1 − σ(η))``."""
        p = expit(eta)
        return p * (1.0 - p)

    @classmethod
    def inverse_link(cls, eta) -> np.ndarray:
        return expit(eta)

    @classmethod
    def null_eta(cls, y, h, offset) -> float:
        """``logit(Σ h y)`` (mean clipped by ``MEAN_CLIP``); Newton's method with an offset."""
        if offset is not None and np.any(offset != 0):
            return Datafit.null_eta(cls, y, h, offset)
        mean = float(np.dot(h, y))
        mean = min(max(mean, MEAN_CLIP), 1 - MEAN_CLIP)
        return float(np.log(mean / (1.0 - mean)))

    @classmethod
    def conjugate(cls, y, theta, h) -> float:
        """``ℓ*(−θ) = μ log μ + (1 − μ) log(1 − μ)`` with ``μ = y − θ ∈ [0, 1]``
        (negative binary entropy; ``inf`` outside)."""
        return cls.conjugate_at_residual(y, y - theta, h)

    @staticmethod
    def conjugate_at_residual(y, mean, h) -> float:
        """``Σ h_i ℓ*_i(−θ_i)`` from the means ``μ = y − θ`` (the old losses API)."""
        if np.any(mean < -1e-12) or np.any(mean > 1 + 1e-12):
            return np.inf
        mean = np.clip(mean, 0.0, 1.0)  # rounding only
        entropy = xlogy(mean, mean) + xlogy(1.0 - mean, 1.0 - mean)
        return float(np.dot(h, entropy))


class Poisson(SeparableDatafit):
    """Poisson with log link, ``ℓ(y, η) = e^η − yη`` with counts ``y ≥ 0``.

    Half the Poisson deviance up to a constant in ``η``: scikit-learn's
    ``PoissonRegressor`` and glmnet's ``family="poisson"`` objective.
    """

    name = "poisson"

    @classmethod
    def check_target(cls, y) -> np.ndarray:
        y = _numeric_target(y, "Poisson regression")
        if np.any(y < 0):
            raise ValueError(
                f"Poisson regression needs y >= 0 (counts or rates), found min(y) = "
                f"{y.min():g}. Shift or transform y, or use loss='squared_error'."
            )
        return y

    @classmethod
    def value(cls, y, eta, h) -> float:
        return float(np.dot(h, np.exp(eta) - y * eta))

    @classmethod
    def derivative(cls, y, eta) -> np.ndarray:
        """``∂ℓ/∂η = e^η − y``."""
        return np.exp(eta) - y

    @classmethod
    def curvature(cls, y, eta) -> np.ndarray:
        """``∂²ℓ/∂η² = e^η``."""
        return np.exp(eta)

    @classmethod
    def inverse_link(cls, eta) -> np.ndarray:
        return np.exp(eta)

    @classmethod
    def null_eta(cls, y, h, offset) -> float:
        """``log(Σ h y / Σ h e^offset)`` (the mean clipped by ``MEAN_CLIP``)."""
        exposure = float(np.dot(h, np.exp(_offset_or_zero(offset, len(h)))))
        return float(np.log(max(float(np.dot(h, y)), MEAN_CLIP) / exposure))

    @classmethod
    def conjugate(cls, y, theta, h) -> float:
        """``ℓ*(−θ) = μ log μ − μ`` with ``μ = y − θ ≥ 0`` (``inf`` if ``μ < 0``)."""
        mean = y - theta
        if np.any(mean < 0):
            return np.inf
        return float(np.dot(h, xlogy(mean, mean) - mean))


class Gamma(SeparableDatafit):
    """Gamma with log link, ``ℓ(y, η) = y e^{−η} + η`` with ``y > 0``.

    Half the Gamma deviance up to a constant in ``η`` (scikit-learn's ``GammaRegressor``).
    """

    name = "gamma"

    @classmethod
    def check_target(cls, y) -> np.ndarray:
        y = _numeric_target(y, "Gamma regression")
        if np.any(y <= 0):
            raise ValueError(
                f"Gamma regression needs y > 0, found min(y) = {y.min():g}. Drop the "
                "non-positive rows or use loss='poisson' for counts."
            )
        return y

    @classmethod
    def value(cls, y, eta, h) -> float:
        return float(np.dot(h, y * np.exp(-eta) + eta))

    @classmethod
    def derivative(cls, y, eta) -> np.ndarray:
        """``∂ℓ/∂η = 1 − y e^{−η}``."""
        return 1.0 - y * np.exp(-eta)

    @classmethod
    def curvature(cls, y, eta) -> np.ndarray:
        """``∂²ℓ/∂η² = y e^{−η}``."""
        return y * np.exp(-eta)

    @classmethod
    def inverse_link(cls, eta) -> np.ndarray:
        return np.exp(eta)

    @classmethod
    def null_eta(cls, y, h, offset) -> float:
        """``log(Σ h y e^{−offset} / Σ h)``."""
        offset = _offset_or_zero(offset, len(h))
        return float(np.log(np.dot(h, y * np.exp(-offset)) / np.sum(h)))

    @classmethod
    def conjugate(cls, y, theta, h) -> float:
        """``ℓ*(−θ) = v log(v / y) − v`` with ``v = 1 + θ ≥ 0`` (``inf`` if ``v < 0``)."""
        v = 1.0 + theta
        if np.any(v < 0):
            return np.inf
        return float(np.dot(h, xlogy(v, v / y) - v))


class Tweedie(Datafit):
    """Tweedie deviance with log link and power ``p`` (an instance datafit).

    ``ℓ(y, η) = e^{(2−p)η}/(2−p) − y e^{(1−p)η}/(1−p)``: half the Tweedie deviance
    up to a constant in ``η`` (scikit-learn's ``HalfTweedieLoss``), with the limits
    ``p = 1`` (Poisson, ``e^η − yη``) and ``p = 2`` (Gamma, ``y e^{−η} + η``). With
    ``μ = e^η``:

    - ``ℓ' = μ^{1−p}(μ − y)``;
    - ``ℓ'' = μ^{1−p}((2−p)μ − (1−p)y)``, which is ``≥ 0`` for ``1 ≤ p ≤ 2`` (convex);
      outside that range it can be negative, and the Newton model floors it (the
      solver then finds a stationary point, as scikit-learn's).

    Targets: ``p ≤ 0`` any real ``y``; ``1 ≤ p < 2`` ``y ≥ 0``; ``p ≥ 2`` ``y > 0``;
    no Tweedie distribution exists for ``0 < p < 1``. No conjugate is given: the
    solver stops on the KKT violation.
    """

    name = "tweedie"

    def __init__(self, power: float = 1.5):
        power = float(power)
        if 0 < power < 1:
            raise ValueError(
                f"No Tweedie distribution exists for 0 < power < 1, got power={power:g}; "
                "use power <= 0, or power >= 1 (1 Poisson, 2 Gamma, 1 < p < 2 compound "
                "Poisson-Gamma)."
            )
        self.power = power

    def __repr__(self) -> str:
        return f"Tweedie(power={self.power:g})"

    def check_target(self, y) -> np.ndarray:
        y = _numeric_target(y, "Tweedie regression")
        p = self.power
        if p >= 2 and np.any(y <= 0):
            raise ValueError(
                f"Tweedie regression with power={p:g} needs y > 0, found min(y) = {y.min():g}."
            )
        if 1 <= p < 2 and np.any(y < 0):
            raise ValueError(
                f"Tweedie regression with power={p:g} needs y >= 0, found min(y) = {y.min():g}."
            )
        return y

    def _loss(self, y, eta) -> np.ndarray:
        p = self.power
        if p == 1:
            return np.exp(eta) - y * eta
        if p == 2:
            return y * np.exp(-eta) + eta
        return np.exp((2 - p) * eta) / (2 - p) - y * np.exp((1 - p) * eta) / (1 - p)

    def derivative(self, y, eta) -> np.ndarray:
        """``∂ℓ/∂η = μ^{1−p}(μ − y)``."""
        p = self.power
        return np.exp((2 - p) * eta) - y * np.exp((1 - p) * eta)

    def curvature(self, y, eta) -> np.ndarray:
        """``∂²ℓ/∂η² = (2−p)μ^{2−p} − (1−p) y μ^{1−p}``."""
        p = self.power
        return (2 - p) * np.exp((2 - p) * eta) - (1 - p) * y * np.exp((1 - p) * eta)

    def value(self, y, eta, h) -> float:
        return float(np.dot(h, self._loss(y, eta)))

    def gradient(self, y, eta, h) -> np.ndarray:
        return h * self.derivative(y, eta)

    def hessian_diagonal(self, y, eta, h) -> np.ndarray:
        return h * self.curvature(y, eta)

    def inverse_link(self, eta) -> np.ndarray:
        return np.exp(eta)

    def null_eta(self, y, h, offset) -> float:
        """``log(Σ h y / Σ h)`` without an offset (``Σ h ℓ' = 0`` at a constant mean
        ``μ = ȳ_h`` for every power); Newton's method with one."""
        if offset is not None and np.any(offset != 0):
            return Datafit.null_eta(self, y, h, offset)
        mean = float(np.dot(h, y) / np.sum(h))
        return float(np.log(max(mean, MEAN_CLIP)))

    def newton_model(self, y, eta, h, min_curvature: float):
        curvature = np.maximum(self.curvature(y, eta), min_curvature)
        return h * curvature, -self.derivative(y, eta) / curvature

    def dual_residual(self, y, eta, h) -> np.ndarray:
        return -self.derivative(y, eta)


class TweedieIdentity(Tweedie):
    """Tweedie deviance with the identity link, ``μ = η > 0`` (scikit-learn's
    ``HalfTweedieLossIdentity``), for ``power != 0`` (power 0 is :class:`Quadratic`).

    ``ℓ = μ^{2−p}/(2−p) − y μ^{1−p}/(1−p)`` (limits ``μ − y log μ`` at ``p = 1``,
    ``y/μ + log μ`` at ``p = 2``), ``ℓ' = μ^{−p}(μ − y)``,
    ``ℓ'' = (1−p)μ^{−p} + p y μ^{−p−1}`` (not convex everywhere: the Newton model
    floors it). ``ℓ = +∞`` where ``η ≤ 0``, so the line search keeps ``μ`` positive.
    """

    name = "tweedie_identity"

    def __repr__(self) -> str:
        return f"TweedieIdentity(power={self.power:g})"

    def _loss(self, y, eta) -> np.ndarray:
        p = self.power
        with np.errstate(divide="ignore", invalid="ignore"):
            mu = np.where(eta > 0, eta, np.nan)
            if p == 1:
                loss = mu - y * np.log(mu)
            elif p == 2:
                loss = y / mu + np.log(mu)
            else:
                loss = mu ** (2 - p) / (2 - p) - y * mu ** (1 - p) / (1 - p)
        return np.where(eta > 0, loss, np.inf)

    def derivative(self, y, eta) -> np.ndarray:
        """``∂ℓ/∂η = μ^{−p}(μ − y)``."""
        return eta ** (-self.power) * (eta - y)

    def curvature(self, y, eta) -> np.ndarray:
        """``∂²ℓ/∂η² = (1−p)μ^{−p} + p y μ^{−p−1}``."""
        p = self.power
        return (1 - p) * eta ** (-p) + p * y * eta ** (-p - 1)

    def inverse_link(self, eta) -> np.ndarray:
        return np.asarray(eta, dtype=np.float64)

    def null_eta(self, y, h, offset) -> float:
        """``Σ h y / Σ h`` (the mean) without an offset; Newton's method with one."""
        if offset is not None and np.any(offset != 0):
            return Datafit.null_eta(self, y, h, offset)
        return float(max(np.dot(h, y) / np.sum(h), MEAN_CLIP))


class Multinomial(Datafit):
    """Softmax cross-entropy over ``K`` classes, on a matrix ``η`` of shape ``(n, K)``.

    ``ℓ(y_i, η_i) = −Σ_k Y_ik log softmax(η_i)_k`` with one-hot ``Y``. The Hessian
    diagonal is that of each class block, ``h_i p_ik (1 − p_ik)`` (glmnet's block
    coordinate scheme uses exactly these blocks). The intercepts are defined up to a
    common shift; :meth:`null_eta` returns the centred log class priors.
    """

    name = "multinomial"
    categorical_target = True

    @classmethod
    def check_target(cls, y) -> np.ndarray:
        """Labels to the one-hot matrix ``(n_samples, n_classes)`` (sorted labels)."""
        classes, encoded = np.unique(np.asarray(y), return_inverse=True)
        if classes.size < 2:
            raise ValueError(
                f"Multinomial regression needs at least 2 classes in y, found {classes.size}."
            )
        return np.eye(classes.size)[encoded.ravel()]

    @classmethod
    def value(cls, y, eta, h) -> float:
        return float(-np.sum(h[:, None] * y * log_softmax(eta, axis=1)))

    @classmethod
    def gradient(cls, y, eta, h) -> np.ndarray:
        return h[:, None] * (cls.inverse_link(eta) - y)

    @classmethod
    def hessian_diagonal(cls, y, eta, h) -> np.ndarray:
        p = cls.inverse_link(eta)
        return h[:, None] * p * (1.0 - p)

    @classmethod
    def inverse_link(cls, eta) -> np.ndarray:
        return np.exp(log_softmax(eta, axis=1))

    @classmethod
    def null_eta(cls, y, h, offset) -> np.ndarray:
        """Centred log priors ``log π_k − mean_k log π_k`` (priors clipped by ``MEAN_CLIP``)."""
        if offset is not None:
            raise NotImplementedError("Multinomial regression takes no offset.")
        prior = np.clip(h @ y, MEAN_CLIP, None)
        return np.log(prior) - np.log(prior).mean()

    @classmethod
    def conjugate(cls, y, theta, h) -> float:
        """``Σ_k μ_k log μ_k`` (negative entropy) with ``μ = Y − θ`` on the simplex."""
        mean = y - theta
        if np.any(mean < -1e-12):
            return np.inf
        return float(np.dot(h, np.sum(xlogy(mean, mean), axis=1)))

    @classmethod
    def newton_model(cls, y, eta, h, min_curvature: float):
        """Per class block, as the binary case: weights ``h p(1 − p)`` (floored) and
        working residual ``(Y − P) / (p(1 − p))``, both ``(n, K)``."""
        p = cls.inverse_link(eta)
        curvature = np.maximum(p * (1.0 - p), min_curvature)
        return h[:, None] * curvature, (y - p) / curvature

    @classmethod
    def dual_residual(cls, y, eta, h) -> np.ndarray:
        return y - cls.inverse_link(eta)


DATAFITS: dict[str, type[Datafit]] = {
    cls.name: cls for cls in (Quadratic, Logistic, Poisson, Gamma, Tweedie, Multinomial)
}


def register_datafit(cls: type[Datafit]) -> type[Datafit]:
    """Add a datafit class to :data:`DATAFITS` under its ``name`` (usable as a decorator)."""
    DATAFITS[cls.name] = cls
    return cls


# Cox lives in its own module of this package (its target, Breslow's baseline, the
# C-index) and registers itself there; importing it here puts "cox" in DATAFITS.
from . import cox  # noqa: E402, F401


def get_datafit(name) -> Datafit:
    """The datafit for a ``loss=`` name (an instance; a datafit object passes through)."""
    if isinstance(name, Datafit):
        return name
    if isinstance(name, type) and issubclass(name, Datafit):
        return name()
    if isinstance(name, str) and name in DATAFITS:
        return DATAFITS[name]()
    valid = ", ".join(repr(key) for key in DATAFITS)
    raise ValueError(f"loss must be one of {valid}, got {name!r}.")
