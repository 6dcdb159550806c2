"""The losses: derivatives match finite differences, the inverse link is right."""

import numpy as np
import pytest

from shrinkage.losses import Logistic, Quadratic


@pytest.mark.parametrize("loss", [Quadratic, Logistic])
def test_derivatives_match_finite_differences(rng, loss):
    y = (rng.random(20) < 0.5).astype(float)
    eta = rng.normal(0, 2, size=20)
    step = 1e-6

    def pointwise(e):
        return np.array([loss.value(y[i : i + 1], e[i : i + 1], np.ones(1)) for i in range(20)])

    numeric_first = (pointwise(eta + step) - pointwise(eta - step)) / (2 * step)
    np.testing.assert_allclose(loss.derivative(y, eta), numeric_first, atol=1e-6)
    numeric_second = (loss.derivative(y, eta + step) - loss.derivative(y, eta - step)) / (2 * step)
    np.testing.assert_allclose(loss.curvature(y, eta), numeric_second, atol=1e-6)


def test_logistic_value_is_stable_and_inverse_link_is_sigmoid():
    eta = np.array([-800.0, 0.0, 800.0])
    y = np.array([0.0, 1.0, 1.0])
    assert Logistic.value(y, eta, np.ones(3)) == pytest.approx(np.log(2))
    np.testing.assert_allclose(Logistic.inverse_link(eta), [0.0, 0.5, 1.0])
    np.testing.assert_allclose(Quadratic.inverse_link(eta), eta)
