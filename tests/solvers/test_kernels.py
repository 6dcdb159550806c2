"""Each compiled kernel equals the NumPy math of :mod:`shrinkage.penalties` on random input.

The references are written here in plain NumPy: one cyclic coordinate-descent sweep
with the penalty's proximal map, the column norms and gradients in closed form, and
the duality gap as primal minus dual with the penalty's conjugate.
"""

import numpy as np
import pytest
import scipy.sparse as sp

from shrinkage.penalties import (
    Box,
    as_box,
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


CONSTRAINTS = ["none", "positive", "box"]


def _box(kind, p, rng=None) -> Box:
    """The unconstrained box, ``positive``'s, or random bounds (some sides open)."""
    if kind != "box":
        return as_box(kind == "positive", p)
    rng = np.random.default_rng(11) if rng is None else rng
    lower = -rng.uniform(0.0, 0.3, p)
    upper = rng.uniform(0.0, 0.3, p)
    lower[::3] = -np.inf
    upper[1::4] = np.inf
    upper[5] = 0.0  # only down
    return Box(lower, upper)


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
        box = positive.subset([j])
        new = float(elastic_net_prox(coef[j] + g / L, l1[j] / L, l2[j] / L, box)[0])
        r -= (new - coef[j]) * Xc[:, j]
        coef[j] = new
    return coef, r


@pytest.mark.parametrize("positive", [False, True])
def test_updated_coordinate_is_the_prox(rng, positive):
    box = as_box(positive, 1)
    for _ in range(200):
        z, L = rng.normal(0, 2), rng.random() + 0.1
        l1, l2 = rng.random(), rng.random()
        expected = elastic_net_prox(z / L, l1 / L, l2 / L, positive)
        got = _updated_coordinate(z, L, l1, l2, box.lower[0], box.upper[0])
        assert got == pytest.approx(float(expected), rel=1e-13, abs=1e-15)
    assert _updated_coordinate(5.0, 0.0, 0.1, 0.1, box.lower[0], box.upper[0]) == 0.0


def test_updated_coordinate_in_a_box_is_the_bounded_minimizer(rng):
    """Against scipy's bounded scalar minimizer of the 1-D objective."""
    from scipy.optimize import minimize_scalar

    for _ in range(100):
        z, L = rng.normal(0, 2), rng.random() + 0.1
        l1, l2 = rng.random() * 0.5, rng.random()
        lo, hi = -rng.random() * 0.5, rng.random() * 0.5
        got = _updated_coordinate(z, L, l1, l2, lo, hi)

        def objective(b, L=L, l1=l1, l2=l2, z=z):
            return 0.5 * (L + l2) * b * b - z * b + l1 * abs(b)

        ref = minimize_scalar(objective, bounds=(lo, hi), method="bounded")
        assert lo <= got <= hi
        assert objective(got) <= objective(ref.x) + 1e-15
        assert got == pytest.approx(ref.x, abs=1e-5)


def test_centered_column_norms_closed_form(rng):
    X, h, mu, *_ = _problem(rng)
    expected = h @ (X - mu) ** 2
    np.testing.assert_allclose(centered_column_norms(np.asfortranarray(X), h, mu), expected)


def _sweep_inputs(rng, kind):
    """Random inputs and the box of ``kind`` (the start inside the box)."""
    X, h, mu, z, l1, l2 = _problem(rng)
    box = _box(kind, X.shape[1], rng)
    coef = rng.standard_normal(X.shape[1]) * (rng.random(X.shape[1]) < 0.5)
    coef = box.project(coef)
    features = rng.permutation(X.shape[1]).astype(np.int64)
    lipschitz = h @ (X - mu) ** 2
    return X, h, mu, z, l1, l2, coef, features, lipschitz, box


@pytest.mark.parametrize("kind", CONSTRAINTS)
def test_cd_dense_one_sweep_equals_numpy(rng, kind):
    X, h, mu, z, l1, l2, coef, features, lipschitz, box = _sweep_inputs(rng, kind)
    expected, expected_r = _numpy_sweep(X, h, mu, z, coef, l1, l2, box, features)
    got = coef.copy()
    r = z - (X - mu) @ coef
    # threshold = inf: the round is the one sweep over `features`, no active sweeps
    cd_dense(
        np.asfortranarray(X), h, mu, r, got, lipschitz, l1, l2, box.lower, box.upper, features,
        0, np.inf,
    )  # fmt: skip
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(r, expected_r, rtol=1e-12, atol=1e-13)


@pytest.mark.parametrize("kind", CONSTRAINTS)
def test_cd_sparse_one_sweep_equals_numpy(rng, kind):
    X, h, mu, z, l1, l2, coef, features, lipschitz, box = _sweep_inputs(rng, kind)
    expected, expected_r = _numpy_sweep(X, h, mu, z, coef, l1, l2, box, features)
    A = sp.csc_matrix(X)
    A.sort_indices()
    got = coef.copy()
    # residual r = s + c with s = z − Xβ and the centring scalar c = μᵀβ
    s = z - A @ coef
    offset = np.array([mu @ coef])
    hx = A.T @ h
    cd_sparse(
        A.data, A.indices.astype(np.int64), A.indptr.astype(np.int64), h, hx, mu, s, offset,
        got, lipschitz, l1, l2, box.lower, box.upper, features, 0, np.inf,
    )  # fmt: skip
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(s + offset[0], expected_r, rtol=1e-12, atol=1e-13)


@pytest.mark.parametrize("kind", CONSTRAINTS)
def test_cd_gram_one_sweep_equals_numpy(rng, kind):
    X, h, mu, z, l1, l2, coef, features, lipschitz, box = _sweep_inputs(rng, kind)
    expected, expected_r = _numpy_sweep(X, h, mu, z, coef, l1, l2, box, features)
    Xc = X - mu
    gram = np.asfortranarray(Xc.T @ (h[:, None] * Xc))
    q = Xc.T @ (h * z)
    gradient = q - gram @ coef
    got = coef.copy()
    cd_gram(gram, gradient, got, lipschitz, l1, l2, box.lower, box.upper, features, 0, np.inf)
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(gradient, Xc.T @ (h * expected_r), rtol=1e-10, atol=1e-13)


@pytest.mark.parametrize("kind", CONSTRAINTS)
def test_cd_dense_rounds_reach_the_kkt_conditions(rng, kind):
    X, h, mu, z, l1, l2, coef, features, lipschitz, box = _sweep_inputs(rng, kind)
    r = z - (X - mu) @ coef
    for _ in range(2000):
        change = cd_dense(
            np.asfortranarray(X), h, mu, r, coef, lipschitz, l1, l2, box.lower, box.upper,
            features, 10, 1e-30,
        )  # fmt: skip
        if change <= 1e-30:
            break
    neg_gradient = (X - mu).T @ (h * (z - (X - mu) @ coef))
    assert kkt_violation(neg_gradient, coef, l1, l2, box).max() < 1e-12
    assert np.all((box.lower <= coef) & (coef <= box.upper))
    if kind == "box":  # the box binds somewhere (the test above can fail)
        assert np.any((coef == box.lower) | (coef == box.upper) & (coef != 0))


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


@pytest.mark.parametrize("kind", CONSTRAINTS)
def test_elastic_net_gap_is_primal_minus_dual(rng, kind):
    X, h, mu, z, l1, l2, coef, features, lipschitz, box = _sweep_inputs(rng, kind)
    l1[l1 == 0] = 0.01  # every coordinate penalized: no unpenalized correction
    Xc = X - mu
    r = z - Xc @ coef
    gradient = Xc.T @ (h * r)
    primal = 0.5 * h @ r**2 + penalty_value(coef, l1, l2)
    # θ = s r with the largest s ≤ 1 feasible on the pure-L1 coordinates' open sides
    pure = l2 == 0
    score = np.maximum(
        np.where(box.upper == np.inf, gradient, 0.0), np.where(box.lower == -np.inf, -gradient, 0)
    )
    s = min(1.0, np.min(l1[pure] / np.maximum(score[pure], 1e-300)))
    theta = s * r
    c = Xc.T @ (h * theta)
    # the open sides of the pure-L1 coordinates are feasible by construction (rounding)
    assert np.all(score[pure] * s <= l1[pure] * (1 + 1e-12))
    low = np.where(pure & (box.lower == -np.inf), -l1, -np.inf)
    c = np.clip(c, low, np.where(pure & (box.upper == np.inf), l1, np.inf))
    dual = h @ (z * theta) - 0.5 * h @ theta**2 - elastic_net_conjugate(c, l1, l2, box)
    assert np.isfinite(dual)
    got = elastic_net_gap(
        gradient, coef, h @ r**2, l1, l2, np.zeros_like(l1), box.lower, box.upper,
        np.arange(X.shape[1], dtype=np.int64),
    )  # fmt: skip
    assert got == pytest.approx(primal - dual, rel=1e-10, abs=1e-14)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_centered_norms_and_gradient_match_numpy(rng, dtype):
    """The one-pass Lipschitz constants and gradient at β = 0 (DenseDesign's setup)
    against their NumPy formulas, and the design's first gradient is that one."""
    from shrinkage.solvers._designs import DenseDesign
    from shrinkage.solvers._kernels import centered_norms_and_gradient

    X = np.asfortranarray(rng.standard_normal((30, 12)).astype(dtype) + 2.0)
    h = rng.random(30)
    h /= h.sum()
    target = rng.standard_normal(30)
    X64 = X.astype(np.float64)
    mu = h @ X64
    target = target - h @ target
    norms, gradient = centered_norms_and_gradient(X, h, mu, target)
    centred = X64 - mu
    np.testing.assert_allclose(norms, h @ centred**2, rtol=1e-12)
    np.testing.assert_allclose(gradient, centred.T @ (h * target), rtol=1e-10, atol=1e-14)
    design = DenseDesign(X, h, mu, target)
    np.testing.assert_allclose(design.gradient(), centred.T @ (h * target), atol=1e-13)
    coef = np.zeros(12)
    coef[[2, 7]] = [0.5, -1.0]
    design.set_coef(coef)  # then the gradient is the residual's again
    residual = target - centred @ coef
    np.testing.assert_allclose(design.gradient(), centred.T @ (h * residual), atol=1e-12)
    design.set_coef(np.zeros(12))
    np.testing.assert_allclose(design.gradient(), centred.T @ (h * target), atol=1e-13)
