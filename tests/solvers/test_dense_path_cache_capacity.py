"""The Gram cache of ``dense_path``'s active sweeps past ``n`` features.

Beyond ``|A| = n`` the cache holds up to ``2n`` features while its block stays within
``GRAM_BLOCK_BYTES`` (:func:`~shrinkage.solvers._dense_gram_cache._cache_capacity`); past that,
the active sweeps fall back to residual updates. The paths below cross both limits
(more non-zeros than ``n``, then than ``2n``) on float32 data and are checked against
scikit-learn in float64 on the same data and against a duality gap written from
scratch here.
"""

import numpy as np
import pytest
from sklearn.linear_model import enet_path as sklearn_enet_path

from shrinkage.path import regularization_path
from shrinkage.solvers._dense_gram_cache import (
    GRAM_BLOCK_BYTES,
    MAX_CACHED_FEATURES,
    _cache_capacity,
)


def _wide_data(rng, n, p, rho=0.6):
    """AR(1)-correlated columns and a sparse truth."""
    X = rng.standard_normal((n, p))
    for j in range(1, p):
        X[:, j] = rho * X[:, j - 1] + np.sqrt(1 - rho**2) * X[:, j]
    coef = np.zeros(p)
    coef[:6] = [2.0, -1.5, 1.0, 0.8, -0.5, 1.2]
    return X, X @ coef + 0.3 * rng.standard_normal(n) + 1.5


def _objective(Xc, yc, coef, alpha, l1_ratio):
    """``(1/2n)‖y_c − X_cβ‖² + αρ‖β‖₁ + ½α(1−ρ)‖β‖²`` (scikit-learn's scaling)."""
    residual = yc - Xc @ coef
    return (
        0.5 * np.mean(residual**2)
        + alpha * l1_ratio * np.abs(coef).sum()
        + 0.5 * alpha * (1 - l1_ratio) * coef @ coef
    )


def _duality_gap(Xc, yc, coef, alpha, l1_ratio):
    """Primal minus dual objective of the elastic net, from scratch.

    The elastic net is the lasso of the augmented data ``X̃ = [X_c; √(nα(1−ρ)) I]``,
    ``ỹ = [y_c; 0]`` with ``λ = αρ``; its dual point ``θ = r̃ / max(nλ, ‖X̃ᵀr̃‖_∞)`` is
    feasible (``‖X̃ᵀθ‖_∞ ≤ 1``) and ``D(θ) = (‖ỹ‖² − ‖ỹ − nλθ‖²) / (2n)`` lower-bounds
    the optimum, so the gap bounds the true suboptimality."""
    n, p = Xc.shape
    lam = alpha * l1_ratio
    X_aug = np.vstack([Xc, np.sqrt(n * alpha * (1 - l1_ratio)) * np.eye(p)])
    y_aug = np.concatenate([yc, np.zeros(p)])
    residual = y_aug - X_aug @ coef
    theta = residual / max(n * lam, np.abs(X_aug.T @ residual).max())
    primal = 0.5 * residual @ residual / n + lam * np.abs(coef).sum()
    dual = (y_aug @ y_aug - np.sum((y_aug - n * lam * theta) ** 2)) / (2 * n)
    return primal - dual


def test_capacity_rule():
    """``2n`` while the block fits the byte budget, ``n`` when even that is over it."""
    f32_in_budget = int(np.sqrt(GRAM_BLOCK_BYTES / 4))
    assert _cache_capacity(100, 4) == 200  # 200² float32: 160 kB
    assert 316 < f32_in_budget < 2 * 316
    assert _cache_capacity(316, 4) == f32_in_budget  # between n and 2n
    assert _cache_capacity(577, 4) == 577  # 577² float32 is over the budget already
    assert _cache_capacity(316, 8) == int(np.sqrt(GRAM_BLOCK_BYTES / 8))
    assert _cache_capacity(5000, 4) == MAX_CACHED_FEATURES


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_more_non_zeros_than_n_and_2n(rng, dtype):
    """The path crosses ``|A| = n`` (the cache grows past n) and ``|A| = 2n`` (residual
    sweeps): coefficients and objectives of scikit-learn in float64 on the same data,
    and gaps that bound the suboptimality."""
    n, p, l1_ratio = 25, 200, 0.05
    X, y = _wide_data(rng, n, p)
    X = X.astype(dtype)
    assert _cache_capacity(n, X.itemsize) == 2 * n
    result = regularization_path(X, y, l1_ratio=l1_ratio, alphas=40, eps=1e-3, tol=1e-12)
    assert result.converged.all()
    assert result.n_nonzero.max() > 2 * n  # past both limits
    assert np.any((result.n_nonzero > n) & (result.n_nonzero <= 2 * n))
    X64 = X.astype(np.float64)
    Xc, yc = X64 - X64.mean(axis=0), y - y.mean()
    _, reference, _ = sklearn_enet_path(
        Xc, yc, l1_ratio=l1_ratio, alphas=result.alphas, tol=1e-14, max_iter=1_000_000
    )
    np.testing.assert_allclose(result.coefs, reference, atol=1e-6)
    for k, alpha in enumerate(result.alphas):
        ours = _objective(Xc, yc, result.coefs[:, k], alpha, l1_ratio)
        theirs = _objective(Xc, yc, reference[:, k], alpha, l1_ratio)
        assert ours <= theirs + 1e-10 * np.mean(yc**2)
        gap = _duality_gap(Xc, yc, result.coefs[:, k], alpha, l1_ratio)
        assert -1e-12 <= gap <= 1e-9 * np.mean(yc**2)


def test_loose_tolerance_gaps_bound_the_suboptimality(rng):
    """At a loose tolerance (the benchmarks' regime, fewer sweeps per round) the
    reported gap still bounds the distance to a tight solve, in and past the cache."""
    n, p, l1_ratio = 25, 200, 0.05
    X, y = _wide_data(rng, n, p)
    X32 = X.astype(np.float32)
    loose = regularization_path(X32, y, l1_ratio=l1_ratio, alphas=40, eps=1e-3, tol=1e-4)
    assert loose.n_nonzero.max() > 2 * n
    X64 = X32.astype(np.float64)
    Xc, yc = X64 - X64.mean(axis=0), y - y.mean()
    _, tight, _ = sklearn_enet_path(
        Xc, yc, l1_ratio=l1_ratio, alphas=loose.alphas, tol=1e-14, max_iter=1_000_000
    )
    for k, alpha in enumerate(loose.alphas):
        ours = _objective(Xc, yc, loose.coefs[:, k], alpha, l1_ratio)
        best = _objective(Xc, yc, tight[:, k], alpha, l1_ratio)
        scratch_gap = _duality_gap(Xc, yc, loose.coefs[:, k], alpha, l1_ratio)
        assert ours - best <= scratch_gap + 1e-12
        assert ours - best <= loose.duality_gaps[k] + 1e-12
        assert scratch_gap <= 1e-4 * np.mean(yc**2) * 1.01
