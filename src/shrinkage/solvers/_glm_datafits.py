"""The per-sample datafits of the compiled GLM path (:func:`._glm_kernels.glm_path`),
written for Numba: the loss ``ℓ(y, η)``, its derivative and curvature in ``η``, the
conjugate ``ℓ*(y, θ)`` for the duality gap, and the line search's trial point, each for
the integer codes below.

They are the ones of :mod:`shrinkage.datafits` (``Logistic``, ``Poisson``, ``Gamma``);
``tests/solvers/test_glm_path.py`` checks them equal to the NumPy versions through
:func:`pointwise`. The logistic loss, derivative and conjugate use the polynomial
``exp``/``log1p``/``log`` of :mod:`._logistic_kernels` (within a few ulp of libm's) so
that the per-sample loops vectorize.
"""

from __future__ import annotations

import math

import numpy as np

from .._jit import njit
from ._logistic_kernels import exp_neg, log1p_unit, log_positive

LOGISTIC = 0
POISSON = 1
GAMMA = 2


# ------------------------------------------------------------ per-sample math -------
@njit(cache=True, nogil=True, inline="always")
def _sigmoid(eta):
    if eta >= 0.0:
        return 1.0 / (1.0 + math.exp(-eta))
    e = math.exp(eta)
    return e / (1.0 + e)


@njit(cache=True, nogil=True, inline="always")
def loss(family, y, eta):
    """``ℓ(y, η)``: logistic ``log(1 + e^η) − yη``, Poisson ``e^η − yη``, Gamma
    ``y e^{−η} + η``."""
    if family == LOGISTIC:
        # log(1 + e^η) = max(η, 0) + log1p(e^{−|η|}), without overflow.
        return max(eta, 0.0) + math.log1p(math.exp(-abs(eta))) - y * eta
    if family == POISSON:
        return math.exp(eta) - y * eta
    return y * math.exp(-eta) + eta


@njit(cache=True, nogil=True, inline="always")
def derivative(family, y, eta):
    """``∂ℓ/∂η``: ``σ(η) − y``, ``e^η − y``, ``1 − y e^{−η}``."""
    if family == LOGISTIC:
        return _sigmoid(eta) - y
    if family == POISSON:
        return math.exp(eta) - y
    return 1.0 - y * math.exp(-eta)


@njit(cache=True, nogil=True, inline="always")
def curvature(family, y, eta):
    """``∂²ℓ/∂η²``: ``σ(1 − σ)``, ``e^η``, ``y e^{−η}``."""
    if family == LOGISTIC:
        p = _sigmoid(eta)
        return p * (1.0 - p)
    if family == POISSON:
        return math.exp(eta)
    return y * math.exp(-eta)


@njit(cache=True, nogil=True, inline="always")
def _logistic_loss_and_derivative(y, eta):
    """``(log(1 + e^η) − yη, σ(η) − y)`` from one ``e^{−|η|}``, with the polynomial
    ``exp``/``log1p`` of :mod:`._logistic_kernels` (within ~1 ulp of libm's): unlike
    libm's calls they vectorize, and ``log1p`` was ~⅔ of a line-search trial's time."""
    e = exp_neg(abs(eta))
    sigma = (1.0 if eta >= 0.0 else e) / (1.0 + e)
    return max(eta, 0.0) + log1p_unit(e) - y * eta, sigma - y


@njit(cache=True, nogil=True, inline="always")
def _trial_point(family, y, h, eta, change, step, trial_eta, trial_d):
    """``trial_eta = η + step·change``, ``trial_d = ℓ'(trial_eta)``; returns
    ``F(trial_eta)``. The logistic loop is written apart, branch-free, so that it
    vectorizes."""
    value = 0.0
    if family == LOGISTIC:
        for i in range(y.shape[0]):
            x = eta[i] + step * change[i]
            trial_eta[i] = x
            loss_i, trial_d[i] = _logistic_loss_and_derivative(y[i], x)
            # h_i = 0 rows add nothing, even an infinite loss.
            value += h[i] * loss_i if h[i] != 0.0 else 0.0
        return value
    for i in range(y.shape[0]):
        x = eta[i] + step * change[i]
        trial_eta[i] = x
        loss_i, trial_d[i] = loss_and_derivative(family, y[i], x)
        if h[i] != 0.0:
            value += h[i] * loss_i
    return value


@njit(cache=True, nogil=True, inline="always")
def loss_and_derivative(family, y, eta):
    """``(ℓ, ∂ℓ/∂η)`` from one ``exp`` (the line search's trial point becomes the next
    step's point, so its derivative is needed there anyway)."""
    if family == LOGISTIC:
        return _logistic_loss_and_derivative(y, eta)
    if family == POISSON:
        e = math.exp(eta)
        return e - y * eta, e - y
    e = y * math.exp(-eta)
    return e + eta, 1.0 - e


@njit(cache=True, nogil=True, inline="always")
def curvature_from_derivative(family, y, d):
    """``∂²ℓ/∂η²`` from ``d = ∂ℓ/∂η`` without another ``exp``: ``σ(1 − σ)`` with
    ``σ = d + y``; ``e^η = d + y``; ``y e^{−η} = 1 − d``."""
    if family == LOGISTIC:
        # 1 − σ as (1 − y) − d: exact where σ → 1 (y = 1, d = σ − 1 → 0⁻).
        return (d + y) * ((1.0 - y) - d)
    if family == POISSON:
        return d + y
    return 1.0 - d


@njit(cache=True, nogil=True, inline="always")
def _xlogx(a):
    return a * math.log(a) if a > 0.0 else 0.0


@njit(cache=True, nogil=True, inline="always")
def _xlogx_fast(a):
    """``a log a`` (0 at 0) with :func:`._logistic_kernels.log_positive` (vectorizes;
    a subnormal ``a`` contributes below ``10⁻³⁰⁵``, whatever its log)."""
    return a * log_positive(a) if a >= 2.2250738585072014e-308 else 0.0


@njit(cache=True, nogil=True, inline="always")
def conjugate(family, y, theta):
    """``ℓ*(−θ)`` (``inf`` outside its domain): ``μ log μ + (1 − μ) log(1 − μ)`` with
    ``μ = y − θ ∈ [0, 1]``; ``μ log μ − μ`` with ``μ = y − θ ≥ 0``;
    ``v log(v/y) − v`` with ``v = 1 + θ ≥ 0``."""
    if family == LOGISTIC:
        mean = y - theta
        if mean < -1e-12 or mean > 1.0 + 1e-12:
            return np.inf
        mean = min(max(mean, 0.0), 1.0)  # rounding only
        return _xlogx_fast(mean) + _xlogx_fast(1.0 - mean)
    if family == POISSON:
        mean = y - theta
        if mean < 0.0:
            return np.inf
        return _xlogx(mean) - mean
    v = 1.0 + theta
    if v < 0.0:
        return np.inf
    return (v * math.log(v / y) if v > 0.0 else 0.0) - v


@njit(cache=True, nogil=True)
def pointwise(family, what, y, eta):
    """Vectorized per-sample math (``what``: 0 loss, 1 derivative, 2 curvature,
    3 conjugate with ``eta`` read as ``θ``, 4 and 5 the loss and derivative of
    :func:`loss_and_derivative`, 6 :func:`curvature_from_derivative`), for tests
    against datafits.py."""
    out = np.empty(y.shape[0])
    for i in range(y.shape[0]):
        if what == 0:
            out[i] = loss(family, y[i], eta[i])
        elif what == 1:
            out[i] = derivative(family, y[i], eta[i])
        elif what == 2:
            out[i] = curvature(family, y[i], eta[i])
        elif what == 3:
            out[i] = conjugate(family, y[i], eta[i])
        elif what == 4:
            out[i] = loss_and_derivative(family, y[i], eta[i])[0]
        elif what == 5:
            out[i] = loss_and_derivative(family, y[i], eta[i])[1]
        else:
            out[i] = curvature_from_derivative(family, y[i], derivative(family, y[i], eta[i]))
    return out


# ------------------------------------------------------------- path pieces ----------
