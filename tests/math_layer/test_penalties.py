"""The math of the penalties: prox is the argmin, KKT distance, conjugate."""

import numpy as np
import pytest
from scipy.optimize import minimize_scalar

from shrinkage.penalties import (
    L1,
    L2,
    ElasticNetPenalty,
    elastic_net_conjugate,
    elastic_net_prox,
    soft_threshold,
)


@pytest.mark.parametrize("l1_ratio", [0.0, 0.3, 1.0])
@pytest.mark.parametrize("positive", [False, True])
def test_prox_is_the_argmin(rng, l1_ratio, positive):
    v = np.array([1.0, 0.5, 2.0, 0.0])
    penalty = ElasticNetPenalty(0.7, l1_ratio, v, positive)
    z = rng.normal(0, 2, size=4)
    step = 0.8
    prox = penalty.prox(z, step)
    for j in range(4):
        l1 = 0.7 * l1_ratio * v[j]
        l2 = 0.7 * (1 - l1_ratio) * v[j]
        bounds = (0, 50) if positive else (-50, 50)
        best = minimize_scalar(
            lambda b, l1=l1, l2=l2, j=j: (
                0.5 * (b - z[j]) ** 2 + step * (l1 * abs(b) + 0.5 * l2 * b * b)
            ),
            bounds=bounds,
            method="bounded",
            options={"xatol": 1e-12},
        ).x
        assert prox[j] == pytest.approx(best, abs=1e-7)


def test_soft_threshold_closed_form():
    z = np.array([-3.0, -0.5, 0.0, 0.2, 2.5])
    np.testing.assert_allclose(soft_threshold(z, 1.0), [-2.0, 0.0, 0.0, 0.0, 1.5])


def test_l1_prox_gives_exact_zeros_l2_prox_never_does():
    z = np.linspace(-1, 1, 21)
    assert np.count_nonzero(L1(1.0).prox(z, 0.5) == 0) == 11  # |z| <= 0.5
    assert np.count_nonzero(L2(1.0).prox(z, 0.5) == 0) == 1  # only z = 0 itself
    np.testing.assert_allclose(L2(1.0).prox(z, 0.5), z / 1.5)


def test_subdifferential_distance_zero_at_lasso_optimum():
    # 1-D lasso: min ½(b − 3)² + |b| has b* = 2; gradient of the fit at b* is −1.
    penalty = L1(1.0)
    assert penalty.subdifferential_distance(np.array([2.0]), np.array([-1.0]))[0] == 0
    assert penalty.subdifferential_distance(np.array([2.5]), np.array([-0.5]))[0] == 0.5
    # At zero, any gradient in [−1, 1] is optimal.
    assert penalty.subdifferential_distance(np.array([0.0]), np.array([0.7]))[0] == 0
    assert penalty.subdifferential_distance(np.array([0.0]), np.array([1.5]))[0] == 0.5


@pytest.mark.parametrize("l1_ratio", [0.0, 0.5])
def test_conjugate_matches_numerical_sup(l1_ratio):
    penalty = ElasticNetPenalty(0.9, l1_ratio)
    z = np.array([0.2, -1.7, 3.0])
    grid = np.linspace(-60, 60, 600_001)
    g = 0.9 * l1_ratio * np.abs(grid) + 0.45 * (1 - l1_ratio) * grid**2
    numeric = sum(np.max(zj * grid - g) for zj in z)
    assert penalty.conjugate(z) == pytest.approx(numeric, rel=1e-6, abs=1e-8)


def test_conjugate_of_l1_is_an_indicator():
    penalty = L1(1.0)
    assert penalty.conjugate(np.array([0.5, -1.0])) == 0
    assert penalty.conjugate(np.array([1.5])) == np.inf


def test_value_and_validation():
    penalty = ElasticNetPenalty(2.0, 0.25, np.array([1.0, 0.0]))
    assert penalty.value(np.array([1.0, 5.0])) == pytest.approx(2 * (0.25 + 0.375))
    with pytest.raises(ValueError, match="alpha"):
        ElasticNetPenalty(-1.0)
    with pytest.raises(ValueError, match="l1_ratio"):
        ElasticNetPenalty(1.0, 1.5)


@pytest.mark.parametrize("positive", [False, True])
def test_alpha_max_is_where_zero_stops_being_optimal(rng, positive):
    """At ``alpha_max`` the KKT conditions hold at β = 0; just below, some feature
    violates them (checked with the penalty's own subdifferential distance)."""
    from shrinkage.penalties import ElasticNetPenalty

    gradient = rng.normal(size=8)  # data-fit gradient at β = 0
    weights = rng.uniform(0.5, 2.0, 8)
    penalty = ElasticNetPenalty(1.0, 0.7, weights, positive)
    top = penalty.alpha_max(gradient)
    zero = np.zeros(8)
    at = ElasticNetPenalty(top, 0.7, weights, positive)
    below = ElasticNetPenalty(0.999 * top, 0.7, weights, positive)
    assert at.subdifferential_distance(zero, gradient).max() < 1e-12
    assert below.subdifferential_distance(zero, gradient).max() > 0


def test_penalty_value_closed_form(rng):
    """The value the solvers use, on per-feature strengths, against the formula."""
    from shrinkage.penalties import penalty_strengths, penalty_value

    coef = rng.normal(size=6) * (rng.random(6) < 0.5)
    weights = rng.uniform(0.0, 2.0, 6)
    l1, l2 = penalty_strengths(0.3, 0.4, weights)
    expected = 0.3 * np.sum(weights * (0.4 * np.abs(coef) + 0.3 * coef**2))
    assert penalty_value(coef, l1, l2) == pytest.approx(expected, rel=1e-14)


# ------------------------------------------------------------------ the box
def _random_box(rng, p):
    from shrinkage.penalties import Box

    lower = -rng.uniform(0, 1, p)
    upper = rng.uniform(0, 1, p)
    lower[::3] = -np.inf
    upper[1::4] = np.inf
    upper[2] = 0.0
    return Box(lower, upper)


def test_box_conjugate_is_the_supremum_over_the_box(rng):
    """``g*(z) = sup_{lower ≤ b ≤ upper} zb − l1|b| − ½l2 b²`` against a fine grid (finite
    sides) and the closed forms of the open sides."""
    p = 12
    box = _random_box(rng, p)
    l1 = rng.uniform(0, 0.5, p)
    l2 = rng.uniform(0, 1.0, p)
    l2[::2] = 0.0  # pure L1: finite only where the pushed side is bounded
    for _ in range(20):
        z = rng.normal(0, 1.0, p)
        for j in range(p):
            lo, hi = box.lower[j], box.upper[j]
            grid = np.append(np.linspace(max(lo, -50.0), min(hi, 50.0), 200_001), 0.0)
            values = z[j] * grid - l1[j] * np.abs(grid) - 0.5 * l2[j] * grid**2
            got = elastic_net_conjugate(z[j : j + 1], l1[j : j + 1], l2[j : j + 1], box.subset([j]))
            open_side = (z[j] > l1[j] and hi == np.inf) or (z[j] < -l1[j] and lo == -np.inf)
            if l2[j] == 0 and open_side:
                assert got == np.inf
            else:
                assert got == pytest.approx(values.max(), abs=1e-6)


def test_box_prox_is_the_bounded_minimizer(rng):
    from scipy.optimize import minimize_scalar

    box = _random_box(rng, 8)
    for _ in range(30):
        z = rng.normal(0, 2, 8)
        l1, l2 = rng.uniform(0, 0.5, 8), rng.uniform(0, 1, 8)
        got = elastic_net_prox(z, l1, l2, box)
        for j in range(8):
            lo, hi = max(box.lower[j], -20.0), min(box.upper[j], 20.0)

            def f(b, zj=z[j], a=l1[j], c=l2[j]):
                return 0.5 * (b - zj) ** 2 + a * abs(b) + 0.5 * c * b * b

            ref = minimize_scalar(f, bounds=(lo, hi), method="bounded", options={"xatol": 1e-10})
            assert f(got[j]) <= f(ref.x) + 1e-12
            assert box.lower[j] <= got[j] <= box.upper[j]


def test_box_kkt_violation_is_zero_exactly_at_the_prox(rng):
    """For ``½‖b − z‖² + g(b)`` in the box the minimizer is the prox; the KKT distance
    (−∇f = z − b) is 0 there, and positive a step away inside the box."""
    from shrinkage.penalties import kkt_violation

    box = _random_box(rng, 12)
    z = rng.normal(0, 2, 12)
    l1, l2 = rng.uniform(0, 0.5, 12), rng.uniform(0, 1, 12)
    b = elastic_net_prox(z, l1, l2, box)
    assert kkt_violation(z - b, b, l1, l2, box).max() < 1e-12
    on_bound = (b == box.lower) | (b == box.upper)
    assert np.any(on_bound & (b != 0))  # some coordinate rests on its bound
    moved = box.project(b - 0.1 * np.sign(b - 0.05))
    changed = moved != b
    assert np.all(kkt_violation(z - moved, moved, l1, l2, box)[changed] > 0)


def test_screening_score_is_one_sided_where_the_box_is():
    from shrinkage.penalties import Box, screening_score

    g = np.array([1.0, -1.0, 1.0, -1.0, 2.0])
    box = Box(np.array([-np.inf, -np.inf, 0.0, 0.0, 0.0]), np.array([np.inf, 0, np.inf, 1, 0]))
    np.testing.assert_array_equal(screening_score(g, box), [1.0, 1.0, 1.0, -1.0, -np.inf])
    np.testing.assert_array_equal(screening_score(g, False), np.abs(g))
    np.testing.assert_array_equal(screening_score(g, True), g)
