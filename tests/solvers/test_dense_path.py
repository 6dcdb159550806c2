"""The compiled dense-residual path (``dense_path``) against the Python working-set path,
scikit-learn, the KKT conditions and its own duality gaps.

The compiled route runs for dense least squares without a Gram matrix (``p > n``, or
``precompute=False``) when every coordinate is penalized; the Python route is forced
by a progress callback.
"""

import numpy as np
import pytest
from sklearn.linear_model import enet_path as sklearn_enet_path

from shrinkage.path import alpha_grid, regularization_path, solve_path
from shrinkage.penalties import Box, kkt_violation, penalty_strengths
from shrinkage.solvers._designs import DenseDesign
from shrinkage.solvers.dense_path import dense_path_applies
from shrinkage.solvers.problems import LeastSquaresProblem


def _wide_data(rng, n=40, p=120, rho=0.6):
    """AR(1)-correlated columns (p > n) and a sparse truth."""
    X = rng.standard_normal((n, p))
    for j in range(1, p):
        X[:, j] = rho * X[:, j - 1] + np.sqrt(1 - rho**2) * X[:, j]
    coef = np.zeros(p)
    coef[:6] = [2.0, -1.5, 1.0, 0.8, -0.5, 1.2]
    y = X @ coef + 0.3 * rng.standard_normal(n) + 1.5
    return X, y


def _problem(X, y, h, l1_ratio=1.0, positive=False, weights=None):
    weights = np.ones(X.shape[1]) if weights is None else weights
    return LeastSquaresProblem(X, y, h, weights, l1_ratio, positive, True, precompute="path")


def _box(p):
    """Bounds that bind on the large coefficients, some sides open, one fixed at 0."""
    lower = np.full(p, -np.inf)
    upper = np.full(p, np.inf)
    lower[[1, 5]] = [-0.4, 0.0]
    upper[[0, 3, 7]] = [0.9, 0.5, 0.0]
    return Box(lower, upper)


def _assert_kkt(X, y, h, result, l1_ratio, positive, weights=None, atol=1e-6):
    """Optimality of every alpha, written independently of the solver."""
    weights = np.ones(X.shape[1]) if weights is None else weights
    Xc = X - h @ X
    yc = y - h @ y
    for k, alpha in enumerate(result.alphas):
        coef = result.coefs[:, k]
        neg_gradient = Xc.T @ (h * (yc - Xc @ coef))
        l1, l2 = penalty_strengths(alpha, l1_ratio, weights)
        assert kkt_violation(neg_gradient, coef, l1, l2, positive).max() < atol
        if positive is True:
            assert (coef >= 0).all()
        elif positive is not False:
            assert np.all((positive.lower <= coef) & (coef <= positive.upper))


def test_the_compiled_route_is_taken(rng):
    X, y = _wide_data(rng)
    h = np.full(X.shape[0], 1.0 / X.shape[0])
    problem = _problem(X, y, h)
    assert type(problem.design) is DenseDesign
    grid = alpha_grid(problem.alpha_max, 5, 1e-2)
    assert dense_path_applies(problem, grid)
    weights = np.ones(X.shape[1])
    weights[3] = 0.0  # an unpenalized feature: the projected gap of the Python solver
    assert not dense_path_applies(_problem(X, y, h, weights=weights), grid)
    assert not dense_path_applies(problem, np.array([1.0, 0.0]))


@pytest.mark.parametrize(
    ("l1_ratio", "positive"),
    [(1.0, False), (0.5, False), (1.0, True), (0.3, True), (1.0, "box"), (0.4, "box")],
)
def test_dense_path_equals_python_path(rng, l1_ratio, positive):
    X, y = _wide_data(rng)
    h = rng.random(X.shape[0]) + 0.5  # sample weights
    h /= h.sum()
    if positive == "box":
        positive = _box(X.shape[1])
    compiled = _problem(X, y, h, l1_ratio, positive)
    grid = alpha_grid(compiled.alpha_max, 15, 1e-2)
    fast = solve_path(compiled, grid, 1e-14, 100_000)
    python = solve_path(
        _problem(X, y, h, l1_ratio, positive), grid, 1e-14, 100_000, progress=lambda *a: None
    )
    assert fast.converged.all() and python.converged.all()
    np.testing.assert_allclose(fast.coefs, python.coefs, atol=1e-6)
    np.testing.assert_allclose(fast.intercepts, python.intercepts, atol=1e-6)
    for result in (fast, python):
        _assert_kkt(X, y, h, result, l1_ratio, positive)
    if positive is not False and positive is not True:  # some non-zero bound binds
        at_bound = (fast.coefs == positive.lower[:, None]) | (fast.coefs == positive.upper[:, None])
        assert np.any(at_bound & (fast.coefs != 0))
    # the problem is left at the last alpha's solution (its state agrees)
    np.testing.assert_array_equal(compiled.coef, fast.coefs[:, -1])


@pytest.mark.parametrize("l1_ratio", [1.0, 0.5])
def test_dense_path_matches_scikit_learn(rng, l1_ratio):
    X, y = _wide_data(rng, n=50, p=200)
    result = regularization_path(X, y, l1_ratio=l1_ratio, alphas=30, eps=1e-2, tol=1e-12)
    assert result.converged.all()
    Xc, yc = X - X.mean(axis=0), y - y.mean()
    _, coefs, _ = sklearn_enet_path(
        Xc, yc, l1_ratio=l1_ratio, alphas=result.alphas, tol=1e-14, max_iter=1_000_000
    )
    np.testing.assert_allclose(result.coefs, coefs, atol=1e-7)
    np.testing.assert_allclose(result.intercepts, y.mean() - X.mean(axis=0) @ coefs, atol=1e-7)


@pytest.mark.parametrize("l1_ratio", [1.0, 0.5])
def test_float32_path_with_a_float32_gram_cache_matches_scikit_learn(rng, l1_ratio):
    """float32 ``X`` caches its active Gram block in float32: the path still solves the
    problem of the float32 data (scikit-learn on them in float64), gaps certified."""
    X, y = _wide_data(rng, n=60, p=240)
    X32 = X.astype(np.float32)
    result = regularization_path(X32, y, l1_ratio=l1_ratio, alphas=40, eps=1e-3, tol=1e-12)
    assert result.converged.all()
    assert result.n_nonzero.max() > 20  # the covariance sweeps (and their cache) ran
    X64 = X32.astype(np.float64)
    Xc, yc = X64 - X64.mean(axis=0), y - y.mean()
    _, coefs, _ = sklearn_enet_path(
        Xc, yc, l1_ratio=l1_ratio, alphas=result.alphas, tol=1e-14, max_iter=1_000_000
    )
    np.testing.assert_allclose(result.coefs, coefs, atol=1e-6)
    assert np.all(result.duality_gaps <= 1e-12 * np.mean(yc**2))


def test_duality_gaps_are_certificates(rng):
    """The reported gap bounds the suboptimality against a far tighter solve."""
    X, y = _wide_data(rng, n=60, p=150)
    loose = regularization_path(X, y, alphas=20, eps=1e-2, tol=1e-4)
    tight = regularization_path(X, y, alphas=loose.alphas, tol=1e-14)

    def objective(result):
        residual = y[:, None] - X @ result.coefs - result.intercepts
        return 0.5 * np.mean(residual**2, axis=0) + result.alphas * np.abs(result.coefs).sum(0)

    assert loose.converged.all()
    target_norm2 = np.mean((y - y.mean()) ** 2)
    assert np.all(loose.duality_gaps <= 1e-4 * target_norm2)
    assert np.all(objective(loose) - objective(tight) <= loose.duality_gaps + 1e-12)


def test_penalty_weights_float32_and_a_warm_start(rng):
    X, y = _wide_data(rng)
    weights = rng.random(X.shape[1]) + 0.5
    h = np.full(X.shape[0], 1.0 / X.shape[0])
    result = regularization_path(
        X.astype(np.float32), y, penalty_weights=weights, alphas=12, eps=1e-2, tol=1e-12
    )
    assert result.converged.all()
    _assert_kkt(X.astype(np.float32).astype(float), y, h, result, 1.0, False, weights)
    # a warm start far from the solution changes nothing but the work
    start = rng.standard_normal(X.shape[1])
    warm = regularization_path(
        X, y, penalty_weights=weights, alphas=result.alphas, tol=1e-12, coef_init=start
    )
    cold = regularization_path(X, y, penalty_weights=weights, alphas=result.alphas, tol=1e-12)
    np.testing.assert_allclose(warm.coefs, cold.coefs, atol=1e-7)


def test_large_means_use_a_centred_copy(rng):
    """Columns whose means dwarf their spread: the design centres a copy of ``X`` (its
    ``mu`` is then 0) and the path's intercepts still use the original means."""
    X, y = _wide_data(rng)
    shifted = X + 1e5
    problem = _problem(shifted, y, np.full(X.shape[0], 1.0 / X.shape[0]))
    assert np.all(problem.design.mu == 0)  # the centred copy
    result = regularization_path(shifted, y, alphas=10, eps=1e-2, tol=1e-12)
    plain = regularization_path(X, y, alphas=result.alphas, tol=1e-12)
    assert result.converged.all()
    np.testing.assert_allclose(result.coefs, plain.coefs, atol=1e-7)
    np.testing.assert_allclose(
        result.intercepts, y.mean() - shifted.mean(axis=0) @ result.coefs, atol=1e-6
    )
    _assert_kkt(X, y, np.full(X.shape[0], 1.0 / X.shape[0]), result, 1.0, False)


def test_max_iter_reached_is_reported(rng):
    X, y = _wide_data(rng, rho=0.95)
    problem = _problem(X, y, np.full(X.shape[0], 1.0 / X.shape[0]))
    grid = alpha_grid(problem.alpha_max, 10, 1e-2)
    result = solve_path(problem, grid, 1e-14, 2)
    assert np.all(result.n_iters <= 2)
    assert not result.converged.all()
    assert np.all(result.converged == (result.duality_gaps <= 1e-14 * problem.target_norm2))


@pytest.mark.parametrize("block", [1, 3, 4, 32])
def test_cached_gram_entries(rng, block):
    """The cache of the active sweeps holds ``Σ h (x_j − μ_j)(x_k − μ_k)``, and starts
    over when new features do not fit; the same entries whatever the number of
    features computed together (``block``: one, a remainder, the unrolled four, and
    requests split across blocks)."""
    from shrinkage.solvers._dense_gram_cache import _cache_features

    X = np.asfortranarray(rng.standard_normal((12, 30)) + 3.0)
    h = rng.random(12) + 0.5
    h /= h.sum()
    mu = h @ X
    capacity = 8
    cache = np.empty((capacity, capacity))
    slot_of = np.full(30, -1, dtype=np.int64)
    cached = np.empty(capacity, dtype=np.int64)
    scratch = np.empty((block, 12))
    Xc = X - mu
    gram = Xc.T @ (h[:, None] * Xc)

    def check(n_cached):
        features = cached[:n_cached]
        assert np.all(slot_of[features] == np.arange(n_cached))
        assert np.count_nonzero(slot_of >= 0) == n_cached
        block = cache[:n_cached, :n_cached]
        np.testing.assert_allclose(block, gram[np.ix_(features, features)], atol=1e-13)

    n_cached = _cache_features(X, h, mu, np.array([3, 7, 1]), cache, slot_of, cached, 0, scratch)
    assert n_cached == 3
    check(n_cached)
    n_cached = _cache_features(X, h, mu, np.array([7, 9]), cache, slot_of, cached, 3, scratch)
    assert n_cached == 4 and list(cached[:4]) == [3, 7, 1, 9]
    check(n_cached)
    # five more do not fit: the features outside the request (7, 1, 9) are evicted and
    # 3 keeps its (moved) entries
    asked = np.array([20, 21, 22, 23, 24, 3])
    n_cached = _cache_features(X, h, mu, asked, cache, slot_of, cached, n_cached, scratch)
    assert n_cached == 6 and cached[0] == 3 and sorted(cached[:6]) == sorted(asked)
    check(n_cached)
    # eviction keeps the order of the survivors
    asked = np.array([22, 24, 3, 5, 6, 8, 10])
    n_cached = _cache_features(X, h, mu, asked, cache, slot_of, cached, n_cached, scratch)
    assert n_cached == 7 and list(cached[:3]) == [3, 22, 24]
    check(n_cached)
    # more than the capacity: refused, the cache untouched (the caller sweeps with
    # residual updates)
    many = np.arange(capacity + 1)
    assert _cache_features(X, h, mu, many, cache, slot_of, cached, n_cached, scratch) == -1
    check(n_cached)


@pytest.mark.parametrize("block", [5, 8, 32])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_cached_gram_entries_in_register_tiles(rng, block, dtype):
    """Entries computed four cached features by four new rows at a time, with every
    remainder (of features mod 4 and of rows mod 4) along the way: the same as the
    Gram matrix formed by NumPy, to the float32 cache's rounding."""
    from shrinkage.solvers._dense_gram_cache import _cache_features

    n, p, capacity = 37, 90, 64
    X = np.asfortranarray((rng.standard_normal((n, p)) + 2.0).astype(dtype))
    h = rng.random(n) + 0.5
    h /= h.sum()
    mu = h @ X.astype(np.float64)
    cache = np.empty((capacity, capacity), dtype=np.float32)
    slot_of = np.full(p, -1, dtype=np.int64)
    cached = np.empty(capacity, dtype=np.int64)
    scratch = np.empty((block, n))
    Xc = X.astype(np.float64) - mu
    gram = Xc.T @ (h[:, None] * Xc)
    order = rng.permutation(p)
    n_cached = 0
    for size in (13, 10, 9, 1, 6):  # 13, 23, 32, 33, 39 cached: every remainder mod 4
        features = np.concatenate([cached[:n_cached], order[n_cached : n_cached + size]])
        n_cached = _cache_features(X, h, mu, features, cache, slot_of, cached, n_cached, scratch)
        assert n_cached == features.size
        kept = cached[:n_cached]
        np.testing.assert_allclose(
            cache[:n_cached, :n_cached], gram[np.ix_(kept, kept)], rtol=1e-6, atol=1e-6
        )


def test_more_non_zeros_than_rows(rng):
    """A ridge-like elastic net keeps more non-zeros than rows: the active sweeps go
    past n (the cache then grows to at most 2n, then residual updates); same answer."""
    X, y = _wide_data(rng, n=25, p=80)
    h = np.full(X.shape[0], 1.0 / X.shape[0])
    compiled = _problem(X, y, h, 0.05)
    grid = alpha_grid(compiled.alpha_max, 15, 1e-2)
    fast = solve_path(compiled, grid, 1e-14, 100_000)
    python = solve_path(_problem(X, y, h, 0.05), grid, 1e-14, 100_000, progress=lambda *a: None)
    assert fast.n_nonzero.max() > X.shape[0]
    assert fast.converged.all()
    np.testing.assert_allclose(fast.coefs, python.coefs, atol=1e-6)
    _assert_kkt(X, y, h, fast, 0.05, False)


def test_tall_data_without_gram_agrees_with_the_gram_path(rng):
    """``precompute=False`` on n > p takes the dense path (a cache of all p features)."""
    X = rng.standard_normal((200, 30))
    y = X[:, :4] @ np.array([1.0, -2.0, 0.5, 1.5]) + rng.standard_normal(200)
    h = np.full(200, 1.0 / 200)
    dense = LeastSquaresProblem(X, y, h, np.ones(30), 0.7, False, True, precompute=False)
    gram = LeastSquaresProblem(X, y, h, np.ones(30), 0.7, False, True, precompute=True)
    grid = alpha_grid(dense.alpha_max, 20, 1e-3)
    assert dense_path_applies(dense, grid) and not dense_path_applies(gram, grid)
    fast = solve_path(dense, grid, 1e-13, 100_000)
    reference = solve_path(gram, grid, 1e-13, 100_000)
    assert fast.converged.all()
    np.testing.assert_allclose(fast.coefs, reference.coefs, atol=1e-7)
    _assert_kkt(X, y, h, fast, 0.7, False)
