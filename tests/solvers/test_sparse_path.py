"""The compiled sparse (CSC) path (``sparse_path``) against scikit-learn, the dense path on
the same data densified, the Python working-set path, the KKT conditions and its own
duality gaps.

The compiled route runs for least squares on sparse ``X`` when every coordinate is
penalized; the Python route is forced by a progress callback. (conftest lowers the
size below which sparse input is densified, so these small matrices stay sparse.)
"""

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.linear_model import enet_path as sklearn_enet_path

from shrinkage.path import alpha_grid, regularization_path, solve_path
from shrinkage.penalties import Box, kkt_violation, penalty_strengths
from shrinkage.solvers._designs import DenseDesign, SparseDesign
from shrinkage.solvers.problems import LeastSquaresProblem
from shrinkage.solvers.sparse_path import sparse_path_applies


def _sparse_data(rng, n=80, p=200, density=0.08, shift=0.0):
    """A random CSC matrix (standard normal entries, uncentred columns) and a sparse
    truth; ``shift`` moves the stored entries off zero mean (large column means)."""
    X = sp.random(n, p, density=density, format="csc", random_state=rng)
    X.data = rng.standard_normal(X.data.size) + shift
    coef = np.zeros(p)
    coef[:6] = [2.0, -1.5, 1.0, 0.8, -0.5, 1.2]
    y = X @ coef + 0.3 * rng.standard_normal(n) + 1.5
    return X, y


def _weights(rng, n):
    h = rng.random(n) + 0.5
    return h / h.sum()


def _problem(
    X, y, h, l1_ratio=1.0, positive=False, weights=None, fit_intercept=True, precompute="path"
):
    weights = np.ones(X.shape[1]) if weights is None else weights
    return LeastSquaresProblem(X, y, h, weights, l1_ratio, positive, fit_intercept, precompute)


def _box(p):
    """Bounds that bind on the large coefficients, some sides open, one fixed at 0."""
    lower = np.full(p, -np.inf)
    upper = np.full(p, np.inf)
    lower[[1, 4, 5]] = [-0.1, -0.5, 0.0]
    upper[[0, 3, 7]] = [0.3, 0.1, 0.0]
    return Box(lower, upper)


def _assert_kkt(X, y, h, result, l1_ratio, positive, fit_intercept=True, atol=1e-6):
    """Optimality of every alpha, written independently of the solver (dense NumPy)."""
    X = X.toarray()
    weights = np.ones(X.shape[1])
    Xc = X - h @ X if fit_intercept else X
    yc = y - h @ y if fit_intercept else y
    for k, alpha in enumerate(result.alphas):
        coef = result.coefs[:, k]
        neg_gradient = Xc.T @ (h * (yc - Xc @ coef))
        l1, l2 = penalty_strengths(alpha, l1_ratio, weights)
        at = coef
        if positive is not False and positive is not True:
            # The violation jumps at a bound: a coefficient a rounding error inside
            # (-0.19999999999999998 for -0.2, a step that moved it 3e-17) counts as on it.
            at = np.where(np.abs(coef - positive.lower) <= 1e-12, positive.lower, coef)
            at = np.where(np.abs(coef - positive.upper) <= 1e-12, positive.upper, at)
        assert kkt_violation(neg_gradient, at, l1, l2, positive).max() < atol
        if positive is True:
            assert (coef >= 0).all()
        elif positive is not False:
            assert np.all((positive.lower <= coef) & (coef <= positive.upper))


def test_the_compiled_route_is_taken(rng):
    X, y = _sparse_data(rng)
    h = np.full(X.shape[0], 1.0 / X.shape[0])
    problem = _problem(X, y, h)
    assert type(problem.design) is SparseDesign
    grid = alpha_grid(problem.alpha_max, 5, 1e-2)
    assert sparse_path_applies(problem, grid)
    weights = np.ones(X.shape[1])
    weights[3] = 0.0  # an unpenalized feature: the projected gap of the Python solver
    assert not sparse_path_applies(_problem(X, y, h, weights=weights), grid)
    assert not sparse_path_applies(problem, np.array([1.0, 0.0]))
    assert not sparse_path_applies(_problem(X.toarray(), y, h), grid)


@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize(
    ("l1_ratio", "positive"),
    [(1.0, False), (0.5, False), (1.0, True), (0.3, True), (1.0, "box"), (0.4, "box")],
)
def test_sparse_path_equals_python_path(rng, l1_ratio, positive, fit_intercept):
    X, y = _sparse_data(rng)
    h = _weights(rng, X.shape[0])  # sample weights
    if positive == "box":
        positive = _box(X.shape[1])
    compiled = _problem(X, y, h, l1_ratio, positive, fit_intercept=fit_intercept)
    grid = alpha_grid(compiled.alpha_max, 15, 1e-2)
    fast = solve_path(compiled, grid, 1e-14, 100_000)
    python = solve_path(
        _problem(X, y, h, l1_ratio, positive, fit_intercept=fit_intercept),
        grid,
        1e-14,
        100_000,
        progress=lambda *a: None,
    )
    assert fast.converged.all() and python.converged.all()
    assert np.all(fast.duality_gaps <= 1e-14 * compiled.target_norm2)
    np.testing.assert_allclose(fast.coefs, python.coefs, atol=1e-6)
    np.testing.assert_allclose(fast.intercepts, python.intercepts, atol=1e-6)
    for result in (fast, python):
        _assert_kkt(X, y, h, result, l1_ratio, positive, fit_intercept)
    if positive is not False and positive is not True:  # some non-zero bound binds
        at_bound = (fast.coefs == positive.lower[:, None]) | (fast.coefs == positive.upper[:, None])
        assert np.any(at_bound & (fast.coefs != 0))
    # the problem is left at the last alpha's solution (its state agrees)
    np.testing.assert_array_equal(compiled.coef, fast.coefs[:, -1])
    last = _residual_norm2(X, y, h, fast, fit_intercept)
    np.testing.assert_allclose(compiled.design.residual_norm2(), last, rtol=1e-10)


def _residual_norm2(X, y, h, result, fit_intercept):
    """``Σ h r²`` at the last alpha, from scratch."""
    r = y - X @ result.coefs[:, -1] - (result.intercepts[-1] if fit_intercept else 0.0)
    return float(h @ (r * r))


@pytest.mark.parametrize("l1_ratio", [1.0, 0.5])
def test_sparse_path_matches_scikit_learn_without_intercept(rng, l1_ratio):
    """scikit-learn's enet_path on the same CSC matrix (no intercept: its paths
    do not centre sparse input)."""
    X, y = _sparse_data(rng, n=60, p=250)
    result = regularization_path(
        X, y, l1_ratio=l1_ratio, alphas=30, eps=1e-2, tol=1e-12, fit_intercept=False
    )
    assert result.converged.all()
    _, coefs, _ = sklearn_enet_path(
        X, y, l1_ratio=l1_ratio, alphas=result.alphas, tol=1e-14, max_iter=1_000_000
    )
    np.testing.assert_allclose(result.coefs, coefs, atol=1e-7)
    np.testing.assert_array_equal(result.intercepts, 0.0)


@pytest.mark.parametrize("l1_ratio", [1.0, 0.5])
def test_sparse_path_matches_scikit_learn_with_intercept(rng, l1_ratio):
    """With an intercept: scikit-learn on the explicitly centred (dense) data."""
    X, y = _sparse_data(rng, n=60, p=250, shift=0.7)
    result = regularization_path(X, y, l1_ratio=l1_ratio, alphas=30, eps=1e-2, tol=1e-12)
    assert result.converged.all()
    Xd = X.toarray()
    Xc, yc = Xd - Xd.mean(axis=0), y - y.mean()
    _, coefs, _ = sklearn_enet_path(
        Xc, yc, l1_ratio=l1_ratio, alphas=result.alphas, tol=1e-14, max_iter=1_000_000
    )
    np.testing.assert_allclose(result.coefs, coefs, atol=1e-7)
    np.testing.assert_allclose(result.intercepts, y.mean() - Xd.mean(axis=0) @ coefs, atol=1e-7)


@pytest.mark.parametrize("l1_ratio", [1.0, 0.7])
def test_sparse_path_agrees_with_the_dense_path(rng, l1_ratio):
    """The same data densified (p > n: the compiled dense path), sample weights on."""
    X, y = _sparse_data(rng, shift=0.3)
    h = _weights(rng, X.shape[0])
    sparse = _problem(X, y, h, l1_ratio)
    dense = _problem(X.toarray(), y, h, l1_ratio)
    assert type(dense.design) is DenseDesign
    grid = alpha_grid(sparse.alpha_max, 25, 1e-2)
    fast_sparse = solve_path(sparse, grid, 1e-13, 100_000)
    fast_dense = solve_path(dense, grid, 1e-13, 100_000)
    assert fast_sparse.converged.all() and fast_dense.converged.all()
    np.testing.assert_allclose(fast_sparse.coefs, fast_dense.coefs, atol=1e-6)
    np.testing.assert_allclose(fast_sparse.intercepts, fast_dense.intercepts, atol=1e-6)
    # Both gaps are true certificates of the same objective: they are small on both.
    assert np.all(fast_sparse.duality_gaps <= 1e-13 * sparse.target_norm2)


def test_duality_gaps_are_certificates(rng):
    """The reported gap bounds the suboptimality against a far tighter solve."""
    X, y = _sparse_data(rng, n=70, p=180, shift=0.5)
    loose = regularization_path(X, y, alphas=20, eps=1e-2, tol=1e-4)
    tight = regularization_path(X, y, alphas=loose.alphas, tol=1e-14)
    Xd = X.toarray()

    def objective(result):
        residual = y[:, None] - Xd @ result.coefs - result.intercepts
        return 0.5 * np.mean(residual**2, axis=0) + result.alphas * np.abs(result.coefs).sum(0)

    assert loose.converged.all()
    target_norm2 = np.mean((y - y.mean()) ** 2)
    assert np.all(loose.duality_gaps <= 1e-4 * target_norm2)
    assert np.all(objective(loose) - objective(tight) <= loose.duality_gaps + 1e-12)


def test_penalty_weights_float32_and_a_warm_start(rng):
    X, y = _sparse_data(rng)
    weights = rng.random(X.shape[1]) + 0.5
    X32 = X.astype(np.float32)
    result = regularization_path(X32, y, penalty_weights=weights, alphas=12, eps=1e-2, tol=1e-12)
    assert result.converged.all()
    h = np.full(X.shape[0], 1.0 / X.shape[0])
    Xd = X32.astype(np.float64).toarray()
    Xc, yc = Xd - h @ Xd, y - h @ y
    for k, alpha in enumerate(result.alphas):
        coef = result.coefs[:, k]
        l1, l2 = penalty_strengths(alpha, 1.0, weights)
        assert kkt_violation(Xc.T @ (h * (yc - Xc @ coef)), coef, l1, l2, False).max() < 1e-6
    # a warm start far from the solution changes nothing but the work
    start = rng.standard_normal(X.shape[1])
    warm = regularization_path(
        X, y, penalty_weights=weights, alphas=result.alphas, tol=1e-12, coef_init=start
    )
    cold = regularization_path(X, y, penalty_weights=weights, alphas=result.alphas, tol=1e-12)
    assert warm.converged.all()
    np.testing.assert_allclose(warm.coefs, cold.coefs, atol=1e-7)


def test_empty_and_constant_columns(rng):
    """An all-zero column and a constant (fully stored) one get coefficient 0."""
    X, y = _sparse_data(rng)
    X = sp.lil_matrix(X)
    X[:, 10] = 0.0
    X[:, 11] = 2.5
    X = sp.csc_matrix(X)
    X.eliminate_zeros()
    result = regularization_path(X, y, alphas=15, eps=1e-2, tol=1e-12)
    assert result.converged.all()
    np.testing.assert_array_equal(result.coefs[[10, 11]], 0.0)
    _assert_kkt(X, y, np.full(X.shape[0], 1.0 / X.shape[0]), result, 1.0, False)


def test_max_iter_reached_is_reported(rng):
    X, y = _sparse_data(rng, density=0.3)
    problem = _problem(X, y, np.full(X.shape[0], 1.0 / X.shape[0]))
    grid = alpha_grid(problem.alpha_max, 10, 1e-2)
    result = solve_path(problem, grid, 1e-14, 2)
    assert np.all(result.n_iters <= 2)
    assert not result.converged.all()
    assert np.all(result.converged == (result.duality_gaps <= 1e-14 * problem.target_norm2))


@pytest.mark.parametrize("sparse_input", [True, False])
def test_a_grid_that_starts_just_below_alpha_max(sparse_input):
    """The first alpha one ulp below ``alpha_max`` (a grid computed elsewhere): one
    feature enters at a value set by rounding (1e-16), which changes every sweep, so
    scikit-learn's update test never passes. At the sweep-threshold floor the update
    test is dropped and the gap decides; the path does not spin to ``max_iter``."""
    X, y = _sparse_data(np.random.default_rng(1), n=300, p=60, density=0.05)
    X = X if sparse_input else X.toarray()  # (dense: the dense path, same rule)
    h = np.full(X.shape[0], 1.0 / X.shape[0])
    problem = _problem(X, y, h, precompute=False)
    top = np.nextafter(problem.alpha_max, 0.0)
    grid = np.geomspace(top, top * 1e-2, 10)
    result = solve_path(problem, grid, 0.1, 100_000)
    assert result.converged.all()
    assert result.n_iters.max() < 1000


def _gap_from_scratch(X, y, h, coef, intercept, alpha, l1_ratio):
    """The elastic-net duality gap at ``(coef, intercept)`` in dense NumPy: the dual
    point is the residual scaled into the pure-L1 constraints (no box)."""
    Xd = X.toarray()
    mu, y_mean = h @ Xd, h @ y
    residual = (y - y_mean) - (Xd - mu) @ coef
    gradient = (Xd - mu).T @ (h * residual)
    l1, l2 = alpha * l1_ratio, alpha * (1 - l1_ratio)
    norm2 = h @ (residual * residual)
    scale = 1.0 if l2 > 0 else min(1.0, l1 / max(np.abs(gradient).max(), 1e-300))
    z = scale * gradient
    conjugate = np.maximum(np.abs(z) - l1, 0.0) ** 2 / (2 * l2) if l2 > 0 else 0.0
    penalty = l1 * np.abs(coef) + 0.5 * l2 * coef * coef
    return 0.5 * (1 - scale) ** 2 * norm2 + np.sum(penalty - scale * coef * gradient + conjugate)


@pytest.mark.parametrize("l1_ratio", [1.0, 0.5])
def test_gaps_with_skipped_columns_equal_the_gaps_from_scratch(rng, l1_ratio):
    """Columns many times longer than the samples (the KKT pass skips those whose
    gradient bound stays below l1): every reported gap is the gap of the exact gradient."""
    X, y = _sparse_data(rng, n=60, p=600, density=0.15, shift=0.2)
    h = _weights(rng, X.shape[0])
    problem = _problem(X, y, h, l1_ratio)
    top = problem.alpha_max
    grid = alpha_grid(top, 40, 1e-2)
    result = solve_path(problem, grid, 1e-6, 100_000)
    assert result.converged.all()
    for k, alpha in enumerate(grid):
        exact = _gap_from_scratch(
            X, y, h, result.coefs[:, k], result.intercepts[k], alpha, l1_ratio
        )
        np.testing.assert_allclose(result.duality_gaps[k], exact, rtol=1e-6, atol=1e-15)
    _assert_kkt(X, y, h, result, l1_ratio, False, atol=1e-2 * top)
    # The problem keeps the exact gradient of the last solution (skipped columns too).
    Xd = X.toarray() - h @ X.toarray()
    residual = (y - h @ y) - Xd @ result.coefs[:, -1]
    np.testing.assert_allclose(problem.gradient, Xd.T @ (h * residual), rtol=1e-9, atol=1e-13)


def test_the_kkt_pass_skips_only_columns_below_their_bound(rng):
    """``_kkt_gradient`` against the dense gradient: a skipped column's true gradient is
    below l1 (the Cauchy–Schwarz bound holds), the others are computed exactly."""
    from shrinkage.solvers.sparse_path import _bound_scales, _gradient_bounds, _kkt_gradient

    X, y = _sparse_data(rng, n=50, p=300, density=0.2, shift=0.4)
    h = _weights(rng, X.shape[0])
    problem = _problem(X, y, h)
    design = problem.design
    Xd = X.toarray() - design.mu
    hdata = X.data * h[X.indices]

    def exact(s, c):
        return Xd.T @ (h * (s + c))

    s_ref, c_ref = rng.standard_normal(50), 0.3
    s, c = s_ref + 0.05 * rng.standard_normal(50), 0.25
    g_ref = exact(s_ref, c_ref)
    distance = np.sqrt(h @ (s - s_ref + c - c_ref) ** 2)
    norms, slack = _bound_scales(design)
    magnitude = np.sqrt(h @ s**2) + np.sqrt(h @ s_ref**2) + abs(c) + abs(c_ref) + distance
    bound = np.empty(300)
    _gradient_bounds(g_ref, norms, slack, distance, magnitude, bound)
    l1 = np.full(300, np.quantile(np.abs(g_ref), 0.7))
    in_set = np.zeros(300, dtype=bool)
    in_set[:10] = True
    features = np.arange(10)
    gradient, stale = np.empty(300), np.zeros(300, dtype=bool)
    total = h @ (s + c)
    skipped = _kkt_gradient(
        hdata, X.indices, X.indptr, design.hx, design.mu, s, c, total, gradient, in_set,
        features, np.empty(0), design.lipschitz, l1, bound, g_ref, stale,
    )  # fmt: skip
    truth = exact(s, c)
    assert skipped == stale.sum() > 0
    assert not stale[:10].any()
    assert np.all(np.abs(truth[stale]) < l1[stale])
    np.testing.assert_allclose(gradient[~stale], truth[~stale], rtol=1e-10, atol=1e-12)
