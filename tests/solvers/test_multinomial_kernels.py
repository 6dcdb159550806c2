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
