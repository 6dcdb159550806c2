"""Exact active-set (Newton) steps of the compiled Gram path.

The incrementally updated Cholesky factor is checked against NumPy's; the path with
the steps against scikit-learn and the KKT conditions (lasso, elastic net, box
bounds) on correlated designs where the steps are taken, and on a design with
duplicated columns, where the restricted system is singular and coordinate descent
must take over.
"""

import numpy as np
import pytest
from sklearn.linear_model import enet_path

from shrinkage.path import alpha_grid, solve_path
from shrinkage.penalties import Box, kkt_violation, penalty_strengths
from shrinkage.solvers._gram_active_set import (
    BLOCKED_BUILD_MIN,
    _append,
    _delete,
    _refine_shifted,
    sync_factor,
)
from shrinkage.solvers._gram_path import gram_path
from shrinkage.solvers.constants import ACTIVE_SWEEPS, ANDERSON_DEPTH, SWEEP_THRESHOLD_FLOOR
from shrinkage.solvers.problems import LeastSquaresProblem


def _ar1(rng, n, p, rho):
    X = np.empty((n, p))
    X[:, 0] = rng.standard_normal(n)
    for j in range(1, p):
        X[:, j] = rho * X[:, j - 1] + np.sqrt(1 - rho**2) * rng.standard_normal(n)
    coef = np.zeros(p)
    coef[rng.choice(p, p // 4, replace=False)] = rng.standard_normal(p // 4)
    return X, X @ coef + 0.5 * rng.standard_normal(n)


def test_factor_updates_match_cholesky(rng):
    """Appends and deletions (Givens) keep ``LLᵀ = G_AA + diag(l2_A)`` in ``order``."""
    p = 30
    A = rng.standard_normal((50, p))
    gram = A.T @ A
    l2 = rng.random(p)
    L = np.zeros((p, p))
    order = np.zeros(p, dtype=np.int64)
    position = np.full(p, -1, dtype=np.int64)
    m = 0
    for j in rng.permutation(p)[:20]:
        assert _append(gram, l2, L, order, position, m, j)
        m += 1
    for k in (0, 7, m - 3, m - 4):  # first, middle, near the end
        _delete(L, order, position, m, k)
        m -= 1
    members = order[:m]
    assert np.all(position[members] == np.arange(m))
    assert np.count_nonzero(position >= 0) == m
    expected = gram[np.ix_(members, members)] + np.diag(l2[members])
    factor = np.tril(L[:m, :m])
    np.testing.assert_allclose(factor @ factor.T, expected, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(factor, np.linalg.cholesky(expected), rtol=1e-10, atol=1e-10)


def test_singular_column_is_refused(rng):
    """A duplicated column has no pivot: it stays out and the factor is unchanged."""
    X = rng.standard_normal((40, 6))
    X[:, 4] = X[:, 1]
    gram = X.T @ X
    p = gram.shape[0]
    L = np.zeros((p, p))
    order = np.zeros(p, dtype=np.int64)
    position = np.full(p, -1, dtype=np.int64)
    size = np.zeros(1, dtype=np.int64)
    coef = np.array([1.0, 2.0, 0.0, -1.0, 0.5, 0.0])
    box = np.full(p, -np.inf), np.full(p, np.inf)
    ok = sync_factor(
        gram, np.zeros(p), coef, *box, np.arange(p), L, order, position, size, np.zeros(p, bool)
    )
    assert not ok
    assert size[0] == 3 and position[4] == -1  # 0, 1, 3 in; 4 (= column 1) refused


def _sync(gram, l2, coef, blocked):
    p = gram.shape[0]
    L = np.zeros((p, p))
    order = np.zeros(p, dtype=np.int64)
    position = np.full(p, -1, dtype=np.int64)
    size = np.zeros(1, dtype=np.int64)
    box = np.full(p, -np.inf), np.full(p, np.inf)
    ok = sync_factor(
        gram, l2, coef, *box, np.arange(p), L, order, position, size, np.zeros(p, bool), blocked
    )
    return ok, np.tril(L[: size[0], : size[0]]), order[: size[0]], position


def test_blocked_build_matches_cholesky(rng):
    """An empty factor built at once (LAPACK) holds the same rows, in the same order,
    as one appended row by row; with a duplicated column it falls back to the rows,
    which refuse that column."""
    p = 2 * BLOCKED_BUILD_MIN
    X, _ = _ar1(rng, 3 * p, p, 0.9)
    gram = X.T @ X / X.shape[0]
    l2 = 0.01 * rng.random(p)
    coef = rng.standard_normal(p)
    coef[::5] = 0.0
    ok, blocked, order, position = _sync(gram, l2, coef, True)
    ok_rows, rows, order_rows, _ = _sync(gram, l2, coef, False)
    assert ok and ok_rows
    np.testing.assert_array_equal(order, np.flatnonzero(coef))
    np.testing.assert_array_equal(order, order_rows)
    np.testing.assert_array_equal(position[order], np.arange(order.size))
    expected = gram[np.ix_(order, order)] + np.diag(l2[order])
    np.testing.assert_allclose(blocked @ blocked.T, expected, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(blocked, rows, rtol=1e-9, atol=1e-12)
    X[:, 7] = X[:, 3]
    coef[[3, 7]] = 1.0
    gram = X.T @ X / X.shape[0]
    ok, factor, order, position = _sync(gram, np.zeros(p), coef, True)
    assert not ok and position[7] == -1 and position[3] >= 0
    members = order
    np.testing.assert_allclose(
        factor @ factor.T, gram[np.ix_(members, members)], rtol=1e-10, atol=1e-10
    )


@pytest.mark.parametrize("ratio", [1.0, 1.07, 2.0])
def test_shifted_refinement_solves_the_new_system(rng, ratio):
    """A factor of ``G_AA + c'I`` solves ``(G_AA + cI)x = b``, ``c = c'/ratio``, by the
    preconditioned iteration: NumPy's solution to rounding, from the factor's own
    (``x = M⁻¹b``, residual ``−Dx``) as :func:`newton_step` starts it."""
    X, _ = _ar1(rng, 400, 200, 0.95)
    gram = X.T @ X / X.shape[0]
    members = np.arange(0, 200, 2)
    m = members.size
    c_factor = 1e-3
    shift = np.zeros(200)
    shift[members] = c_factor / ratio - c_factor
    block = gram[np.ix_(members, members)]
    L = np.linalg.cholesky(block + c_factor * np.eye(m))
    b = rng.standard_normal(m)
    x = np.linalg.solve(L.T, np.linalg.solve(L, b))
    r = -shift[members] * x
    _refine_shifted(L, m, members, shift, x, r, float(b @ x))
    expected = np.linalg.solve(block + c_factor / ratio * np.eye(m), b)
    np.testing.assert_allclose(x, expected, rtol=0, atol=1e-10 * np.abs(expected).max())


def _run(X, y, alphas, l1_ratio, tol_abs, newton, lower=None, upper=None, weights=None):
    n, p = X.shape
    Xc = X - X.mean(axis=0)
    yc = y - y.mean()
    gram = Xc.T @ Xc / n
    q = Xc.T @ yc / n
    lower = np.full(p, -np.inf) if lower is None else lower
    upper = np.full(p, np.inf) if upper is None else upper
    out = (
        np.zeros((alphas.size, p)),
        np.zeros(alphas.size),
        np.zeros(alphas.size, dtype=np.int64),
        np.zeros(alphas.size, dtype=bool),
    )
    gram_path(
        np.asfortranarray(gram),
        q,
        float(yc @ yc / n),
        np.diag(gram).copy(),
        np.zeros(p),
        alphas,
        alphas[0],
        l1_ratio,
        np.ones(p) if weights is None else weights,
        lower,
        upper,
        tol_abs,
        100_000,
        ACTIVE_SWEEPS,
        ANDERSON_DEPTH,
        SWEEP_THRESHOLD_FLOOR,
        *out,
        1e-4,
        newton,
    )
    return out, Xc, yc


def _objective(Xc, yc, coefs, alphas, l1_ratio):
    r = yc[:, None] - Xc @ coefs.T
    pen = l1_ratio * np.abs(coefs).sum(1) + 0.5 * (1 - l1_ratio) * (coefs**2).sum(1)
    return 0.5 * (r**2).mean(0) + alphas * pen


@pytest.mark.parametrize("l1_ratio", [1.0, 0.5])
@pytest.mark.parametrize("rho", [0.0, 0.9])
def test_newton_path_matches_scikit_learn(rng, l1_ratio, rho):
    """Tight tolerance: the path with active-set steps is optimal (KKT, sklearn's
    objective), its gaps are true, and on a correlated design it needs fewer rounds."""
    X, y = _ar1(rng, 300, 120, rho)
    n = X.shape[0]
    Xc0 = X - X.mean(axis=0)
    top = np.abs(Xc0.T @ (y - y.mean())).max() / n / l1_ratio
    alphas = np.geomspace(top, top * 1e-3, 40)
    target = float(((y - y.mean()) ** 2).mean())
    (coefs, gaps, n_iters, converged), Xc, yc = _run(X, y, alphas, l1_ratio, 1e-13 * target, True)
    assert converged.all()
    _, reference, _ = enet_path(
        Xc, yc, l1_ratio=l1_ratio, alphas=alphas, tol=1e-14, max_iter=1_000_000
    )
    ours = _objective(Xc, yc, coefs, alphas, l1_ratio)
    theirs = _objective(Xc, yc, reference.T, alphas, l1_ratio)
    assert np.all(ours <= theirs + 1e-11 * target)
    np.testing.assert_allclose(coefs, reference.T, atol=1e-5)
    for k, alpha in enumerate(alphas):
        coef = coefs[k]
        gradient = Xc.T @ (yc - Xc @ coef) / n
        l1, l2 = penalty_strengths(alpha, l1_ratio, np.ones(X.shape[1]))
        assert kkt_violation(gradient, coef, l1, l2, False).max() < 1e-7
        # the reported gap bounds the suboptimality (the reference is at least as good)
        assert ours[k] - min(ours[k], theirs[k]) <= gaps[k] + 1e-12 * target
    if rho > 0 and l1_ratio == 1.0:
        (_, _, cd_iters, _), _, _ = _run(X, y, alphas, l1_ratio, 1e-13 * target, False)
        assert n_iters.sum() < cd_iters.sum()


@pytest.mark.parametrize("l1_ratio", [0.5, 0.1])
def test_kept_factor_elastic_net_path_matches_scikit_learn(rng, l1_ratio):
    """An elastic net keeps its factor over alphas (built at once from 64 rows, steps
    solved iteratively as l2 moves): tight tolerance, optimal (KKT, sklearn's
    objective) with true gaps."""
    X, y = _ar1(rng, 500, 260, 0.95)
    n = X.shape[0]
    Xc0 = X - X.mean(axis=0)
    top = np.abs(Xc0.T @ (y - y.mean())).max() / n / l1_ratio
    alphas = np.geomspace(top, top * 1e-3, 60)
    target = float(((y - y.mean()) ** 2).mean())
    (coefs, gaps, _, converged), Xc, yc = _run(X, y, alphas, l1_ratio, 1e-13 * target, True)
    assert converged.all()
    assert np.count_nonzero(coefs[-1]) > BLOCKED_BUILD_MIN
    _, reference, _ = enet_path(
        Xc, yc, l1_ratio=l1_ratio, alphas=alphas, tol=1e-14, max_iter=1_000_000
    )
    ours = _objective(Xc, yc, coefs, alphas, l1_ratio)
    theirs = _objective(Xc, yc, reference.T, alphas, l1_ratio)
    assert np.all(ours <= theirs + 1e-11 * target)
    for k, alpha in enumerate(alphas):
        gradient = Xc.T @ (yc - Xc @ coefs[k]) / n
        l1, l2 = penalty_strengths(alpha, l1_ratio, np.ones(X.shape[1]))
        # (rho 0.95, 500x260: a gap of 1e-13 leaves KKT violations up to ~1e-6, as
        # without the kept factor; the gap and sklearn's objective are the checks)
        assert kkt_violation(gradient, coefs[k], l1, l2, False).max() < 1e-5
        assert ours[k] - min(ours[k], theirs[k]) <= gaps[k] + 1e-12 * target


@pytest.mark.parametrize("l1_ratio", [1.0, 0.5])
def test_newton_path_respects_a_box(rng, l1_ratio):
    """Binding lower/upper bounds (and positive coordinates): KKT of the box problem."""
    X, y = _ar1(rng, 250, 60, 0.8)
    p = X.shape[1]
    Xc0 = X - X.mean(axis=0)
    top = np.abs(Xc0.T @ (y - y.mean())).max() / X.shape[0] / l1_ratio
    alphas = np.geomspace(top, top * 1e-3, 30)
    lower = np.full(p, -np.inf)
    upper = np.full(p, np.inf)
    lower[::3] = -0.05
    upper[1::3] = 0.05
    lower[2::7] = 0.0  # positive
    target = float(((y - y.mean()) ** 2).mean())
    (coefs, _, _, converged), Xc, yc = _run(
        X, y, alphas, l1_ratio, 1e-13 * target, True, lower, upper
    )
    assert converged.all()
    box = Box(lower, upper)
    assert np.all((lower <= coefs) & (coefs <= upper))
    # the box binds, away from zero
    assert np.any((coefs == lower) & (lower < 0)) and np.any((coefs == upper) & (upper > 0))
    for k, alpha in enumerate(alphas):
        gradient = Xc.T @ (yc - Xc @ coefs[k]) / X.shape[0]
        l1, l2 = penalty_strengths(alpha, l1_ratio, np.ones(p))
        assert kkt_violation(gradient, coefs[k], l1, l2, box).max() < 1e-7


def test_duplicated_columns(rng):
    """Duplicated columns make ``G_AA`` singular: the path still converges with a true
    gap and scikit-learn's objective (the split between twins is not unique, their
    sum is)."""
    X, y = _ar1(rng, 200, 40, 0.7)
    X = np.hstack([X, X[:, :10]])  # columns 40..49 repeat 0..9
    n = X.shape[0]
    Xc0 = X - X.mean(axis=0)
    top = np.abs(Xc0.T @ (y - y.mean())).max() / n
    alphas = np.geomspace(top, top * 1e-3, 30)
    target = float(((y - y.mean()) ** 2).mean())
    (coefs, gaps, _, converged), Xc, yc = _run(X, y, alphas, 1.0, 1e-12 * target, True)
    assert converged.all() and np.all(gaps <= 1e-12 * target)
    _, reference, _ = enet_path(Xc, yc, l1_ratio=1.0, alphas=alphas, tol=1e-14, max_iter=1_000_000)
    ours = _objective(Xc, yc, coefs, alphas, 1.0)
    theirs = _objective(Xc, yc, reference.T, alphas, 1.0)
    np.testing.assert_allclose(ours, theirs, rtol=1e-9)
    twins = coefs[:, :10] + coefs[:, 40:]
    np.testing.assert_allclose(twins, reference.T[:, :10] + reference.T[:, 40:], atol=1e-5)


def test_problem_route_uses_the_steps(rng):
    """Through ``solve_path`` (the estimators' route): same answer as without the
    steps, to the tolerance's accuracy."""
    X, y = _ar1(rng, 400, 150, 0.9)
    h = np.full(X.shape[0], 1.0 / X.shape[0])
    problem = LeastSquaresProblem(X, y, h, np.ones(150), 1.0, False, True, precompute=True)
    grid = alpha_grid(problem.alpha_max, 50, 1e-3)
    result = solve_path(problem, grid, 1e-10, 100_000)
    assert result.converged.all()
    (coefs, _, _, _), _, _ = _run(X, y, grid, 1.0, 1e-14 * float(y.var()), False)
    np.testing.assert_allclose(result.coefs.T, coefs, atol=1e-6)


def test_an_unpenalized_feature_is_refused():
    """With a zero penalty weight ``elastic_net_gap`` has no true gap to give (the dual
    would need ``x̃_jᵀθ = 0`` exactly): the compiled path refuses instead of reporting
    a gap below the true suboptimality."""
    rng = np.random.default_rng(0)
    X = rng.standard_normal((60, 5))
    y = X @ np.array([1.0, 0.0, -2.0, 0.0, 0.5]) + rng.standard_normal(60)
    weights = np.array([1.0, 0.0, 1.0, 1.0, 1.0])
    with pytest.raises(ValueError, match="every penalty weight > 0"):
        _run(X, y, np.array([0.1]), 1.0, 1e-10, True, weights=weights)
