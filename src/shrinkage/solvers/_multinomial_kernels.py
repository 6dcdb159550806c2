"""The fused trial-point kernels of :mod:`.multinomial_path` (Numba).

A Newton step of the multinomial path evaluates the loss and gradient at
``Θ + t·Δ``: ``Δη = X̃Δᵀ``, the softmax of ``η + tΔη``, the residual and ``RᵀX̃``. As
NumPy calls these are two skinny BLAS products (``K = 5`` columns), bound by the
memory traffic over ``X̃``, and a chain of elementwise passes (``logsumexp``, ``exp``,
the residual), each allocating a temporary; on the report's problems (``n ≈ 4000``,
``p = 100``) they cost several times the arithmetic. One pass over the rows does it
all while each row of ``X̃`` is in cache, but for the ``exp``, left to NumPy.
"""

from __future__ import annotations

import numpy as np

from .._jit import njit

# As in ._kernels: reassociation vectorizes the dot products; NaN and inf keep their
# IEEE meaning.
_FASTMATH = {"reassoc", "contract", "nsz", "arcp"}


def softmax_step(A, delta, d_eta, fresh, eta0, step, y, h, eta, prob, residual, gradient):
    """The trial point ``Θ + step·Δ`` in two passes over the rows of ``A`` (``X̃``,
    n × q) around one vectorized ``exp``: returns the mean loss

    .. math::

        F = \\sum_i h_i\\Big(\\log\\sum_k e^{\\eta_{ik}} - \\eta_{i y_i}\\Big),
        \\qquad \\eta = \\eta_0 + \\text{step}\\cdot\\Delta\\eta,

    with ``η`` in ``eta``, the probabilities ``p_ik`` in ``prob``, the residual ``r_ik =
    h_i (1[y_i = k] − p_ik)`` (``−∂F/∂η``) in ``residual`` and the negative gradient
    ``Σ_i r_i x̃_iᵀ`` (K × q) in ``gradient``. With ``fresh``, ``Δη = X̃Δᵀ`` is computed
    into ``d_eta`` on the way (a first trial); otherwise ``d_eta`` is read (a shorter
    step along the same ``Δ``). NumPy's ``exp`` is SIMD; Numba's, without SVML, is a
    scalar call per entry, which cost as much as the two products.
    """
    top = np.empty(A.shape[0])
    _shifted_eta(A, delta, d_eta, fresh, eta0, step, eta, prob, top)
    np.exp(prob, out=prob)
    return _loss_and_gradient(A, prob, top, eta, y, h, residual, gradient)


@njit(cache=True, nogil=True, fastmath=_FASTMATH)
def _shifted_eta(A, delta, d_eta, fresh, eta0, step, eta, shifted, top):
    """``η = η₀ + step·Δη`` (with ``Δη = X̃Δᵀ`` made first when ``fresh``), its row
    maxima ``top`` and ``η − top`` in ``shifted`` (the ``logsumexp`` shift)."""
    n, q = A.shape
    K = eta0.shape[1]
    for i in range(n):
        if fresh:
            for k in range(K):
                acc = 0.0
                for j in range(q):
                    acc += delta[k, j] * A[i, j]
                d_eta[i, k] = acc
        largest = -np.inf
        for k in range(K):
            value = eta0[i, k] + step * d_eta[i, k]
            eta[i, k] = value
            if value > largest:
                largest = value
        top[i] = largest
        for k in range(K):
            shifted[i, k] = eta[i, k] - largest


@njit(cache=True, nogil=True, fastmath=_FASTMATH)
def _loss_and_gradient(A, prob, top, eta, y, h, residual, gradient):
    """From ``prob = exp(η − top)`` (unnormalized): the mean loss, the probabilities
    (normalized in place), the residual and the negative gradient ``RᵀX̃``."""
    n, q = A.shape
    K = eta.shape[1]
    gradient[:, :] = 0.0
    total = 0.0
    for i in range(n):
        s = 0.0
        for k in range(K):
            s += prob[i, k]
        total += h[i] * (top[i] + np.log(s) - eta[i, y[i]])
        for k in range(K):
            prob[i, k] /= s
            r = -h[i] * prob[i, k]
            if k == y[i]:
                r += h[i]
            residual[i, k] = r
            for j in range(q):
                gradient[k, j] += r * A[i, j]
    return total


def column_sums(A: np.ndarray) -> np.ndarray:
    """``Σ_i A_ik`` of an ``(n, K)`` array as one BLAS product: NumPy's ``A.sum(axis=0)``
    over the rows of a C-ordered array with few columns is about 6× slower (75 µs
    against 12 µs at 3000 × 5), and it runs once per objective evaluation."""
    return A.T @ np.ones(A.shape[0], dtype=A.dtype)


def softmax_loss_residual(eta, Y, h, residual) -> float:
    """The mean loss ``Σ_i h_i Σ_k y_ik(logΣ_l e^{η_il} − η_ik)`` at ``η`` (n × K) and
    its gradient ``h_i(p_ik − y_ik)`` into ``residual``, in two compiled passes around
    one vectorized ``exp`` (the L-BFGS objective of a smooth multinomial fit; NumPy's
    chain of ``log_softmax`` passes and temporaries cost several times this)."""
    top = np.empty(eta.shape[0])
    _row_shift(eta, residual, top)
    np.exp(residual, out=residual)
    return _normalized_loss(eta, Y, h, top, residual)


@njit(cache=True, nogil=True, fastmath=_FASTMATH)
def _row_shift(eta, shifted, top):
    """Row maxima of ``η`` into ``top``, ``η − top`` into ``shifted``."""
    n, K = eta.shape
    for i in range(n):
        largest = -np.inf
        for k in range(K):
            if eta[i, k] > largest:
                largest = eta[i, k]
        top[i] = largest
        for k in range(K):
            shifted[i, k] = eta[i, k] - largest


@njit(cache=True, nogil=True, fastmath=_FASTMATH)
def _normalized_loss(eta, Y, h, top, prob):
    """From ``prob = exp(η − top)``: the loss, and ``h(p − y)`` in place of ``prob``."""
    n, K = eta.shape
    total = 0.0
    for i in range(n):
        s = 0.0
        for k in range(K):
            s += prob[i, k]
        log_sum = top[i] + np.log(s)
        for k in range(K):
            total += h[i] * Y[i, k] * (log_sum - eta[i, k])
            prob[i, k] = h[i] * (prob[i, k] / s - Y[i, k])
    return total
