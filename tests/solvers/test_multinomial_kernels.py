"""The fused trial-point kernel of the multinomial path against NumPy/SciPy."""

import numpy as np
import pytest
from scipy.special import logsumexp, softmax

from shrinkage.solvers._multinomial_kernels import softmax_step


@pytest.mark.parametrize("step", [1.0, 0.25])
def test_softmax_step_matches_numpy(step):
    rng = np.random.default_rng(3)
    n, q, K = 57, 6, 4
    A = rng.normal(size=(n, q))
    y = rng.integers(0, K, n)
    h = rng.random(n)
    h /= h.sum()
    eta0 = rng.normal(size=(n, K)) * 3
    delta = rng.normal(size=(K, q))
    d_eta = np.empty((n, K))
    eta, P, R, g = np.empty((n, K)), np.empty((n, K)), np.empty((n, K)), np.empty((K, q))
    F = softmax_step(A, delta, d_eta, True, eta0, step, y, h, eta, P, R, g)
    ref_eta = eta0 + step * A @ delta.T
    ref_F = h @ (logsumexp(ref_eta, axis=1) - ref_eta[np.arange(n), y])
    ref_R = h[:, None] * (np.eye(K)[y] - softmax(ref_eta, axis=1))
    np.testing.assert_allclose(d_eta, A @ delta.T, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(eta, ref_eta, rtol=1e-12, atol=1e-12)
    assert F == pytest.approx(ref_F, rel=1e-12)
    np.testing.assert_allclose(P, softmax(ref_eta, axis=1), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(R, ref_R, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(g, ref_R.T @ A, rtol=1e-10, atol=1e-14)
    # a shorter step along the same direction reads the stored Δη
    F2 = softmax_step(A, 0 * delta, d_eta, False, eta0, step / 2, y, h, eta, P, R, g)
    half = eta0 + step / 2 * A @ delta.T
    assert F2 == pytest.approx(h @ (logsumexp(half, axis=1) - half[np.arange(n), y]), rel=1e-12)


@pytest.mark.parametrize("scale", [1.0, 300.0])
def test_softmax_loss_residual_is_the_datafit(scale):
    """The L-BFGS objective's fused loss and gradient equal ``Multinomial.value`` and
    ``Multinomial.gradient`` (NumPy), large logits included (the max shift)."""
    from shrinkage.datafits import Multinomial
    from shrinkage.solvers._multinomial_kernels import softmax_loss_residual

    rng = np.random.default_rng(3)
    eta = scale * rng.standard_normal((50, 4))
    Y = np.eye(4)[rng.integers(0, 4, 50)]
    h = rng.uniform(0.5, 1.5, 50)
    h /= h.sum()
    residual = np.empty_like(eta)
    value = softmax_loss_residual(eta, Y, h, residual)
    assert value == pytest.approx(Multinomial.value(Y, eta, h), rel=1e-13)
    np.testing.assert_allclose(residual, Multinomial.gradient(Y, eta, h), rtol=1e-12, atol=1e-17)
