"""Datafits: gradient and Hessian diagonal against finite differences, the conjugate
against its definition (a numerical supremum), the null intercept against its
optimality condition, and the target checks."""

import numpy as np
import pytest
from scipy.optimize import minimize, minimize_scalar

from shrinkage.datafits import (
    DATAFITS,
    Gamma,
    Logistic,
    Multinomial,
    Poisson,
    Quadratic,
    get_datafit,
)

SEPARABLE = [Quadratic, Logistic, Poisson, Gamma]


def _sample(rng, datafit, n=15):
    eta = rng.normal(0, 1, n)
    if datafit is Logistic:
        y = (rng.random(n) < 0.5).astype(float)
    elif datafit is Poisson:
        y = rng.poisson(2.0, n).astype(float)
    elif datafit is Gamma:
        y = rng.gamma(2.0, 1.0, n)
    else:
        y = rng.normal(0, 2, n)
    h = rng.random(n)
    return y, eta, h / h.sum()


@pytest.mark.parametrize("cls", SEPARABLE)
def test_gradient_and_hessian_match_finite_differences(rng, cls):
    datafit = get_datafit(cls.name)
    y, eta, h = _sample(rng, cls)
    step = 1e-6
    basis = np.eye(eta.size)
    numeric = np.array(
        [
            (datafit.value(y, eta + step * e, h) - datafit.value(y, eta - step * e, h)) / (2 * step)
            for e in basis
        ]
    )
    np.testing.assert_allclose(datafit.gradient(y, eta, h), numeric, rtol=1e-6, atol=1e-9)
    second = np.array(
        [
            (datafit.gradient(y, eta + step * e, h) - datafit.gradient(y, eta - step * e, h))[i]
            / (2 * step)
            for i, e in enumerate(basis)
        ]
    )
    np.testing.assert_allclose(datafit.hessian_diagonal(y, eta, h), second, rtol=1e-6, atol=1e-9)


def test_multinomial_gradient_and_hessian_match_finite_differences(rng):
    n, k = 8, 3
    eta = rng.normal(0, 1, (n, k))
    Y = Multinomial.check_target(rng.integers(0, k, n))
    h = np.full(n, 1 / n)
    step = 1e-6
    numeric = np.zeros((n, k))
    second = np.zeros((n, k))
    for i in range(n):
        for c in range(k):
            e = np.zeros((n, k))
            e[i, c] = step
            numeric[i, c] = (
                Multinomial.value(Y, eta + e, h) - Multinomial.value(Y, eta - e, h)
            ) / (2 * step)
            second[i, c] = (
                Multinomial.gradient(Y, eta + e, h) - Multinomial.gradient(Y, eta - e, h)
            )[i, c] / (2 * step)
    np.testing.assert_allclose(Multinomial.gradient(Y, eta, h), numeric, atol=1e-9)
    np.testing.assert_allclose(Multinomial.hessian_diagonal(Y, eta, h), second, atol=1e-8)


def _dual_point(rng, cls, y):
    """A θ inside the conjugate's domain (μ = y − θ in the mean range)."""
    if cls is Logistic:
        return y - rng.uniform(0.05, 0.95, y.size)
    if cls is Poisson:
        return y - rng.uniform(0.1, 5.0, y.size)
    if cls is Gamma:
        return rng.uniform(-0.9, 2.0, y.size)
    return rng.normal(0, 1, y.size)


@pytest.mark.parametrize("cls", SEPARABLE)
def test_conjugate_is_the_supremum(rng, cls):
    y, _, h = _sample(rng, cls, n=6)
    theta = _dual_point(rng, cls, y)
    # F*(−h⊙θ) = Σ_i h_i sup_η (−θ_i η − ℓ(y_i, η)), each a 1-D concave maximization
    total = 0.0
    one = np.ones(1)
    for i in range(y.size):

        def negative(e, i=i):
            return cls.value(y[i : i + 1], np.array([e]), one) + theta[i] * e

        best = minimize_scalar(negative, bounds=(-40, 40), method="bounded",
                               options={"xatol": 1e-12})  # fmt: skip
        total += h[i] * -best.fun
    assert cls.conjugate(y, theta, h) == pytest.approx(total, rel=1e-7, abs=1e-9)


def test_conjugate_outside_the_domain_is_infinite():
    y = np.array([1.0, 0.0])
    h = np.array([0.5, 0.5])
    assert Poisson.conjugate(y, np.array([2.0, 0.0]), h) == np.inf  # μ = −1
    assert Gamma.conjugate(y, np.array([-2.0, 0.0]), h) == np.inf  # 1 + θ < 0
    assert Logistic.conjugate(y, np.array([-0.5, 0.0]), h) == np.inf  # μ = 1.5


def test_multinomial_conjugate_is_the_supremum(rng):
    k = 3
    Y = np.eye(k)[[0]]
    mu = np.array([[0.2, 0.5, 0.3]])
    theta = Y - mu
    h = np.ones(1)

    def negative(e):
        return Multinomial.value(Y, e[None, :], h) + theta[0] @ e

    best = minimize(negative, np.zeros(k), method="BFGS", options={"gtol": 1e-10})
    assert Multinomial.conjugate(Y, theta, h) == pytest.approx(-best.fun, rel=1e-7)


@pytest.mark.parametrize("cls", [Quadratic, Logistic, Poisson, Gamma])
@pytest.mark.parametrize("with_offset", [False, True])
def test_null_eta_zeroes_the_intercept_gradient(rng, cls, with_offset):
    y, _, h = _sample(rng, cls, n=30)
    offset = rng.normal(0, 0.5, y.size) if with_offset else None
    b = cls.null_eta(y, h, offset)
    eta = np.full(y.size, b) + (0 if offset is None else offset)
    assert abs(np.sum(cls.gradient(y, eta, h))) < 1e-10


@pytest.mark.parametrize("cls", SEPARABLE)
def test_inverse_link_is_the_mean_at_the_optimum(rng, cls):
    # The gradient vanishes where the mean response equals y (canonical and log links).
    y, _, h = _sample(rng, cls)
    if cls is Logistic:
        y = rng.uniform(0.1, 0.9, y.size)  # a mean in (0, 1) to invert
    if cls is Poisson:
        y = y + 0.5  # a positive mean to invert
    if cls is Quadratic:
        eta = y.copy()
    elif cls is Logistic:
        eta = np.log(y / (1 - y))
    else:
        eta = np.log(y)
    np.testing.assert_allclose(cls.inverse_link(eta), y, rtol=1e-12)
    np.testing.assert_allclose(cls.gradient(y, eta, h), 0.0, atol=1e-14)


def test_target_checks_say_the_fix():
    with pytest.raises(ValueError, match="y >= 0"):
        Poisson.check_target([1.0, -2.0])
    with pytest.raises(ValueError, match="y > 0"):
        Gamma.check_target([1.0, 0.0])
    with pytest.raises(ValueError, match="exactly 2 classes"):
        Logistic.check_target([0, 1, 2])
    np.testing.assert_array_equal(Logistic.check_target(["b", "a", "b"]), [1.0, 0.0, 1.0])
    np.testing.assert_array_equal(Multinomial.check_target([2, 0]), [[0.0, 1.0], [1.0, 0.0]])
    with pytest.raises(ValueError, match="NaN"):
        Quadratic.check_target([1.0, np.nan])


def test_registry_and_clear_error():
    assert set(DATAFITS) >= {"squared_error", "logistic", "poisson", "gamma", "multinomial"}
    assert isinstance(get_datafit("poisson"), Poisson)
    with pytest.raises(ValueError, match="'squared_error'.*'poisson'"):
        get_datafit("huber")
