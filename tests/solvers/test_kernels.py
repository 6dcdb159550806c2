"""Each compiled kernel equals the NumPy math of :mod:`shrinkage.penalties` on random input.

The references are written here in plain NumPy: one cyclic coordinate-descent sweep
with the penalty's proximal map, the column norms and gradients in closed form, and
the duality gap as primal minus dual with the penalty's conjugate.
"""

import numpy as np
import pytest
import scipy.sparse as sp

from shrinkage.penalties import (
    elastic_net_conjugate,
    elastic_net_prox,
    kkt_violation,
    penalty_value,
)
from shrinkage.solvers._kernels import (
    _updated_coordinate,
    cd_dense,
    cd_gram,
    cd_sparse,
    centered_column_norms,
    dense_gradient_subset,
    elastic_net_gap,
    sparse_gradient_subset,
)


def _problem(rng, n=40, p=12, density=0.4):
    X = rng.standard_normal((n, p)) * (rng.random((n, p)) < density) + 0.0
    X[:, 0] += 3.0  # a column with a large mean: the centring matters
    h = rng.random(n)
    h /= h.sum()
    mu = X.T @ h
    z = rng.standard_normal(n)
    z -= h @ z  # Σ h z = 0, as the problems prepare it
    l1 = rng.random(p) * 0.05
    l2 = rng.random(p) * 0.05
    l1[1] = 0.0  # pure ridge coordinate
    l2[2] = 0.0  # pure lasso coordinate
    return X, h, mu, z, l1, l2


def _numpy_sweep(X, h, mu, z, coef, l1, l2, positive, features):
    """One cyclic CD sweep: β_j ← prox of the coordinate problem, via penalties.py."""
    Xc = X - mu
    coef = coef.copy()
    r = z - Xc @ coef
    for j in features:
        L = h @ Xc[:, j] ** 2
        if L <= 0:
            continue
        g = Xc[:, j] @ (h * r)
        # argmin_b ½L(b − (β_j + g/L))² + l1|b| + ½l2 b²  =  prox at scale 1/L
        new = elastic_net_prox(coef[j] + g / L, l1[j] / L, l2[j] / L, positive)
        r -= (new - coef[j]) * Xc[:, j]
        coef[j] = new
    return coef, r


@pytest.mark.parametrize("positive", [False, True])
def test_updated_coordinate_is_the_prox(rng, positive):
    for _ in range(200):
        z, L = rng.normal(0, 2), rng.random() + 0.1
        l1, l2 = rng.random(), rng.random()
        expected = elastic_net_prox(z / L, l1 / L, l2 / L, positive)
        assert _updated_coordinate(z, L, l1, l2, positive) == pytest.approx(
            float(expected), rel=1e-13, abs=1e-15
        )
    assert _updated_coordinate(5.0, 0.0, 0.1, 0.1, positive) == 0.0  # constant column


def test_centered_column_norms_closed_form(rng):
    X, h, mu, *_ = _problem(rng)
    expected = h @ (X - mu) ** 2
    np.testing.assert_allclose(centered_column_norms(np.asfortranarray(X), h, mu), expected)


def _sweep_inputs(rng, positive):
    X, h, mu, z, l1, l2 = _problem(rng)
    coef = rng.standard_normal(X.shape[1]) * (rng.random(X.shape[1]) < 0.5)
    if positive:
        coef = np.abs(coef)
    features = rng.permutation(X.shape[1]).astype(np.int64)
    lipschitz = h @ (X - mu) ** 2
    return X, h, mu, z, l1, l2, coef, features, lipschitz


@pytest.mark.parametrize("positive", [False, True])
def test_cd_dense_one_sweep_equals_numpy(rng, positive):
    X, h, mu, z, l1, l2, coef, features, lipschitz = _sweep_inputs(rng, positive)
    expected, expected_r = _numpy_sweep(X, h, mu, z, coef, l1, l2, positive, features)
    got = coef.copy()
    r = z - (X - mu) @ coef
    # threshold = inf: the round is the one sweep over `features`, no active sweeps
    cd_dense(np.asfortranarray(X), h, mu, r, got, lipschitz, l1, l2, positive, features, 0, np.inf)
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(r, expected_r, rtol=1e-12, atol=1e-13)


@pytest.mark.parametrize("positive", [False, True])
def test_cd_sparse_one_sweep_equals_numpy(rng, positive):
    X, h, mu, z, l1, l2, coef, features, lipschitz = _sweep_inputs(rng, positive)
    expected, expected_r = _numpy_sweep(X, h, mu, z, coef, l1, l2, positive, features)
    A = sp.csc_matrix(X)
    A.sort_indices()
    got = coef.copy()
    # residual r = s + c with s = z − Xβ and the centring scalar c = μᵀβ
    s = z - A @ coef
    offset = np.array([mu @ coef])
    hx = A.T @ h
    cd_sparse(
        A.data, A.indices.astype(np.int64), A.indptr.astype(np.int64), h, hx, mu, s, offset,
        got, lipschitz, l1, l2, positive, features, 0, np.inf,
    )  # fmt: skip
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(s + offset[0], expected_r, rtol=1e-12, atol=1e-13)


@pytest.mark.parametrize("positive", [False, True])
def test_cd_gram_one_sweep_equals_numpy(rng, positive):
    X, h, mu, z, l1, l2, coef, features, lipschitz = _sweep_inputs(rng, positive)
    expected, expected_r = _numpy_sweep(X, h, mu, z, coef, l1, l2, positive, features)
    Xc = X - mu
    gram = np.asfortranarray(Xc.T @ (h[:, None] * Xc))
    q = Xc.T @ (h * z)
    gradient = q - gram @ coef
    got = coef.copy()
    cd_gram(gram, gradient, got, lipschitz, l1, l2, positive, features, 0, np.inf)
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(gradient, Xc.T @ (h * expected_r), rtol=1e-10, atol=1e-13)


@pytest.mark.parametrize("positive", [False, True])
def test_cd_dense_rounds_reach_the_kkt_conditions(rng, positive):
    X, h, mu, z, l1, l2, coef, features, lipschitz = _sweep_inputs(rng, positive)
    r = z - (X - mu) @ coef
    for _ in range(2000):
        change = cd_dense(
            np.asfortranarray(X), h, mu, r, coef, lipschitz, l1, l2, positive, features, 10, 1e-30
        )
        if change <= 1e-30:
            break
    neg_gradient = (X - mu).T @ (h * (z - (X - mu) @ coef))
    assert kkt_violation(neg_gradient, coef, l1, l2, positive).max() < 1e-12


def test_gradient_subsets_closed_form(rng):
    X, h, mu, z, *_ = _problem(rng)
    features = np.array([3, 0, 7], dtype=np.int64)
    expected = X[:, features].T @ (h * z)  # Σ h z = 0: centring drops out
    np.testing.assert_allclose(
        dense_gradient_subset(np.asfortranarray(X), h, z, features), expected, rtol=1e-12
    )
    A = sp.csc_matrix(X)
    A.sort_indices()
    c = 0.7  # residual stored as s + c
    got = sparse_gradient_subset(
        A.data, A.indices.astype(np.int64), A.indptr.astype(np.int64), h, A.T @ h, z - c,
        np.array([c]), features,
    )  # fmt: skip
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("positive", [False, True])
def test_elastic_net_gap_is_primal_minus_dual(rng, positive):
    X, h, mu, z, l1, l2, coef, features, lipschitz = _sweep_inputs(rng, positive)
    l1[l1 == 0] = 0.01  # every coordinate penalized: no unpenalized correction
    Xc = X - mu
    r = z - Xc @ coef
    gradient = Xc.T @ (h * r)
    primal = 0.5 * h @ r**2 + penalty_value(coef, l1, l2)
    # θ = s r with the largest s ≤ 1 feasible on the pure-L1 coordinates
    pure = l2 == 0
    score = gradient if positive else np.abs(gradient)
    s = min(1.0, np.min(l1[pure] / np.maximum(score[pure], 1e-300)))
    theta = s * r
    dual = (
        h @ (z * theta)
        - 0.5 * h @ theta**2
        # Xcᵀ H θ = s ∇ exactly; recomputing the product can round past l1 (conjugate inf)
        - elastic_net_conjugate(s * gradient, l1, l2, positive)
    )
    got = elastic_net_gap(
        gradient, coef, h @ r**2, l1, l2, np.zeros_like(l1), positive,
        np.arange(X.shape[1], dtype=np.int64),
    )  # fmt: skip
    assert got == pytest.approx(primal - dual, rel=1e-10, abs=1e-14)
