"""Anderson extrapolation of the working-set solver (:func:`shrinkage.solvers.least_squares.
_anderson_point`): the extrapolation of exact fixed-point iterates, and stability to rounding."""

import numpy as np

from shrinkage import ElasticNet
from shrinkage.solvers.least_squares import _anderson_point


def test_extrapolates_a_linear_fixed_point_iteration():
    # β_{k+1} = Mβ_k + c converges to β* = (I − M)⁻¹c; with as many differences as
    # dimensions, the Anderson point of the iterates is β* (a Krylov argument).
    rng = np.random.default_rng(0)
    M = np.diag([0.9, 0.5, -0.3])
    c = rng.normal(size=3)
    iterates = [np.zeros(3)]
    for _ in range(4):
        iterates.append(M @ iterates[-1] + c)
    np.testing.assert_allclose(_anderson_point(iterates), np.linalg.solve(np.eye(3) - M, c),
                               rtol=1e-6)


def test_weights_scaled_by_a_constant_give_the_same_fit():
    # scikit-learn's test_enet_sample_weight_consistency: the two fits see weights that
    # differ by rounding only. Unregularized, the nearly singular Anderson normal
    # equations turned that rounding into different steps (coefficients 1.3e-6 apart).
    rng = np.random.RandomState(42)
    X, y = rng.rand(10, 5), rng.rand(10)
    weights = rng.uniform(low=0.01, high=2, size=10)
    fits = [
        ElasticNet(alpha=0.01, l1_ratio=0.5, tol=1e-6, precompute=precompute).fit(
            X, y, sample_weight=scale * weights
        )
        for precompute in (True, False)
        for scale in (1.0, np.pi)
    ]
    for first, second in (fits[:2], fits[2:]):
        np.testing.assert_allclose(second.coef_, first.coef_, rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(second.intercept_, first.intercept_, rtol=1e-9)


def test_a_coordinate_that_stood_still_stays_exactly_put():
    """Iterates whose coordinate 0 sat on a bound (0.9) in every round, the others moving:
    every extrapolation (the compiled paths' and the Python solver's) keeps it at
    exactly 0.9, so that a KKT check that compares it with the bound sees it there. A
    weighted mean of the iterates rounds it an ulp or two off for most weights."""
    from shrinkage.solvers.dense_path import anderson_point

    rng = np.random.default_rng(3)
    n_set = 6
    features = np.arange(n_set)
    lower, upper = np.full(n_set, -np.inf), np.full(n_set, np.inf)
    upper[0] = 0.9
    for _ in range(20):
        history = rng.standard_normal((6, n_set)).cumsum(axis=0)
        history[:, 0] = 0.9
        point, current = np.empty(n_set), np.empty(n_set)
        assert anderson_point(history[-1].copy(), lower, upper, features, history, point, current)
        assert point[0] == 0.9
        assert _anderson_point(list(history))[0] == 0.9
