"""The working-set Gram design of single dense fits (:mod:`shrinkage.solvers._covariance`)
against independent references: the exact centred Gram matrix, scikit-learn's Lasso and
ElasticNet at a tight tolerance, and the duality gap as a bound on the suboptimality."""

import numpy as np
import pytest
from sklearn.linear_model import ElasticNet as SkElasticNet
from sklearn.linear_model import Lasso as SkLasso

from shrinkage import ElasticNet, Lasso
from shrinkage.solvers._covariance import (
    FULL_FRACTION,
    ROUNDED_GRAM_TOL,
    CovarianceDesign,
    limit_growth,
    solve_by_covariance,
)
from shrinkage.solvers.problems import LeastSquaresProblem


def _ar1(n, p, rho, seed=0, offset=0.0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p))
    for j in range(1, p):
        X[:, j] = rho * X[:, j - 1] + np.sqrt(1 - rho**2) * X[:, j]
    coef = np.zeros(p)
    coef[rng.choice(p, max(p // 10, 2), replace=False)] = rng.standard_normal(max(p // 10, 2))
    y = X @ coef + 0.5 * rng.standard_normal(n)
    return X + offset, y


def _alpha_max(X, y, l1_ratio=1.0):
    return np.max(np.abs((X - X.mean(0)).T @ (y - y.mean()))) / (X.shape[0] * l1_ratio)


def _objective(X, y, coef, intercept, alpha, l1_ratio):
    r = y - X @ coef - intercept
    return 0.5 * r @ r / X.shape[0] + alpha * (
        l1_ratio * np.abs(coef).sum() + 0.5 * (1 - l1_ratio) * coef @ coef
    )


def test_the_design_is_chosen_for_tall_dense_single_fits():
    X, y = _ar1(200, 20, 0.5)
    model = Lasso(alpha=0.01)
    h = np.full(200, 1 / 200)
    problem = LeastSquaresProblem(X, y, h, np.ones(20), 1.0, False, True, "single")
    assert type(problem.design) is CovarianceDesign
    assert (
        type(LeastSquaresProblem(X, y, h, np.ones(20), 1.0, False, True, "auto").design)
        is not CovarianceDesign
    )
    model.fit(X, y)  # (runs through it)


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("layout", ["F", "C", "C32"])
def test_gram_block_and_gradient_are_exact(weighted, layout):
    # C-ordered X goes through the one-pass gather (float32: and the fused residual and
    # gradient); the reference is the float64 algebra on the same (rounded) values.
    rng = np.random.default_rng(1)
    X, y = _ar1(120, 15, 0.6, offset=3.0)
    if layout == "C32":
        X = X.astype(np.float32).astype(np.float64)
    h = rng.uniform(0.5, 2.0, 120) if weighted else np.ones(120)
    h = h / h.sum()
    mu = X.T @ h
    z = y - h @ y
    given = {"F": np.asfortranarray(X), "C": np.ascontiguousarray(X)}.get(
        layout, np.ascontiguousarray(X, dtype=np.float32)
    )
    design = CovarianceDesign(given, h, mu, z)
    Xc = X - mu
    G = Xc.T @ (h[:, None] * Xc)
    features = np.array([3, 7, 1])
    design._ensure_cached(features)
    design._ensure_cached(np.array([0, 7, 12, 5]))
    slots = design._slot_of[design._cached]
    np.testing.assert_allclose(
        design.block[np.ix_(slots, slots)],
        G[np.ix_(design._cached, design._cached)],
        rtol=1e-12,
        atol=1e-14,
    )
    np.testing.assert_allclose(design.cached_lipschitz(), np.diag(G)[design._cached], rtol=1e-12)
    coef = np.zeros(15)
    coef[[0, 7]] = [0.3, -1.2]
    design.set_coef(coef)
    r = z - Xc @ coef
    np.testing.assert_allclose(design.gradient(), Xc.T @ (h * r), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(design.last_residual_norm2, h @ (r * r), rtol=1e-12)


def test_limit_growth_keeps_the_largest_scores():
    candidates = np.array([True, False, True, True, True])
    score = np.array([1.0, 9.0, 3.0, 2.0, 5.0])
    np.testing.assert_array_equal(
        limit_growth(candidates, score, 2), [False, False, True, False, True]
    )
    assert limit_growth(candidates, score, 4) is candidates


@pytest.mark.parametrize("rho", [0.0, 0.6, 0.95])
@pytest.mark.parametrize("fraction", [0.5, 0.05, 0.005])
@pytest.mark.parametrize("l1_ratio", [1.0, 0.7])
def test_single_fit_matches_scikit_learn(rho, fraction, l1_ratio):
    X, y = _ar1(400, 60, rho, seed=int(100 * rho))
    alpha = fraction * _alpha_max(X, y, l1_ratio)
    options = {"alpha": alpha, "tol": 1e-12, "max_iter": 100_000}
    if l1_ratio == 1.0:
        ours, ref = Lasso(**options).fit(X, y), SkLasso(**options).fit(X, y)
    else:
        ours = ElasticNet(l1_ratio=l1_ratio, **options).fit(X, y)
        ref = SkElasticNet(l1_ratio=l1_ratio, **options).fit(X, y)
    np.testing.assert_allclose(ours.coef_, ref.coef_, atol=1e-6)
    np.testing.assert_allclose(ours.intercept_, ref.intercept_, atol=1e-6)
    # dual_gap_ bounds the suboptimality (in scikit-learn's units: the gap of the
    # 1/n-scaled objective), and the certificate is met.
    sub = _objective(X, y, ours.coef_, ours.intercept_, alpha, l1_ratio) - _objective(
        X, y, ref.coef_, ref.intercept_, alpha, l1_ratio
    )
    assert sub <= ours.dual_gap_ + 1e-12
    assert ours.dual_gap_ <= 1e-12 * np.var(y) * 1.0001 + 1e-15


@pytest.mark.parametrize("rho", [0.0, 0.95])
def test_default_tolerance_certificate(rho):
    X, y = _ar1(500, 80, rho, seed=7)
    alpha = _alpha_max(X, y) / 20
    ours = Lasso(alpha=alpha).fit(X, y)
    ref = SkLasso(alpha=alpha, tol=1e-14, max_iter=100_000).fit(X, y)
    sub = _objective(X, y, ours.coef_, ours.intercept_, alpha, 1.0) - _objective(
        X, y, ref.coef_, ref.intercept_, alpha, 1.0
    )
    assert -1e-12 <= sub <= ours.dual_gap_ + 1e-12
    assert ours.dual_gap_ <= 1e-4 * np.var(y)
    assert ours.n_iter_ >= 1


def test_weights_bounds_penalty_factors_and_warm_start():
    rng = np.random.default_rng(3)
    X, y = _ar1(300, 40, 0.6, seed=3, offset=5.0)
    w = rng.uniform(0.2, 3.0, 300)
    alpha = _alpha_max(X, y) / 30
    options = {"alpha": alpha, "tol": 1e-12, "max_iter": 100_000}
    ours = Lasso(**options).fit(X, y, sample_weight=w)
    ref = SkLasso(**options).fit(X, y, sample_weight=w)
    np.testing.assert_allclose(ours.coef_, ref.coef_, atol=1e-6)
    ours = Lasso(positive=True, **options).fit(X, y)
    ref = SkLasso(positive=True, **options).fit(X, y)
    np.testing.assert_allclose(ours.coef_, ref.coef_, atol=1e-6)
    # An unpenalized feature (the Python solver on the same design): KKT at the end.
    factors = np.ones(40)
    factors[5] = 0.0
    model = Lasso(penalty_weights=factors, **options).fit(X, y)
    Xc, yc = X - X.mean(0), y - y.mean()
    grad = Xc.T @ (yc - Xc @ model.coef_) / 300
    assert abs(grad[5]) < 1e-6
    zero = model.coef_ == 0
    assert np.all(np.abs(grad[zero & (factors > 0)]) <= alpha * (1 + 1e-6))
    # A warm start from another alpha lands on the same solution.
    warm = Lasso(warm_start=True, **options).fit(X, y)
    warm.set_params(alpha=alpha / 3).fit(X, y)
    cold = SkLasso(alpha=alpha / 3, tol=1e-12, max_iter=100_000).fit(X, y)
    np.testing.assert_allclose(warm.coef_, cold.coef_, atol=1e-6)


@pytest.mark.parametrize("offset", [1e3, 1e5])
def test_large_means(offset):
    X, y = _ar1(300, 30, 0.3, seed=5, offset=offset)
    alpha = _alpha_max(X, y) / 20
    ours = Lasso(alpha=alpha, tol=1e-10, max_iter=100_000).fit(X, y)
    ref = SkLasso(alpha=alpha, tol=1e-10, max_iter=100_000).fit(X - offset, y)
    np.testing.assert_allclose(ours.coef_, ref.coef_, atol=1e-5)


def test_not_converged_warns():
    from sklearn.exceptions import ConvergenceWarning

    X, y = _ar1(400, 60, 0.95, seed=2)
    with pytest.warns(ConvergenceWarning, match="did not converge"):
        model = Lasso(alpha=_alpha_max(X, y) / 200, tol=1e-14, max_iter=2).fit(X, y)
    assert model.n_iter_ <= 3


def test_zero_sample_weights():
    rng = np.random.default_rng(4)
    X, y = _ar1(300, 40, 0.3, seed=4)
    w = rng.uniform(0.0, 2.0, 300)
    w[:50] = 0.0
    options = {"alpha": _alpha_max(X, y) / 20, "tol": 1e-12, "max_iter": 100_000}
    ours = Lasso(**options).fit(X, y, sample_weight=w)
    ref = SkLasso(**options).fit(X, y, sample_weight=w)
    np.testing.assert_allclose(ours.coef_, ref.coef_, atol=1e-7)


def _float32_problem(weighted, seed=11):
    X, y = _ar1(600, 80, 0.6, seed=seed, offset=2.0)
    X = np.ascontiguousarray(X, dtype=np.float32)
    rng = np.random.default_rng(seed)
    w = rng.uniform(0.2, 3.0, 600) if weighted else np.ones(600)
    h = w / w.sum()
    problem = LeastSquaresProblem(X, y, h, np.ones(80), 1.0, False, True, "single")
    assert type(problem.design) is CovarianceDesign
    return X.astype(np.float64), y, w, problem


def _weighted_objective(X, y, w, coef, intercept, alpha):
    r = y - X @ coef - intercept
    return 0.5 * (w * r) @ r / w.sum() + alpha * np.abs(coef).sum()


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("tol", [1e-3, ROUNDED_GRAM_TOL, 1e-9])
def test_float32_gram_products_keep_the_certificate(weighted, tol):
    """float32 C-ordered X at a loose tolerance: the Gram rows come from float32
    products, yet the duality gap bounds the suboptimality of the float64 iterate
    against scikit-learn's tight float64 solution; a tolerance below their rounding
    re-forms the rows in float64 and meets it."""
    X, y, w, problem = _float32_problem(weighted)
    alpha = _alpha_max(X, y) / 20
    info = solve_by_covariance(problem, alpha, problem.alpha_max, tol, 100_000)
    design = problem.design
    assert info.converged
    assert info.duality_gap <= tol * problem.target_norm2
    assert design.gram_dtype == (np.float32 if tol >= ROUNDED_GRAM_TOL else np.float64)
    ref = SkLasso(alpha=alpha, tol=1e-14, max_iter=100_000).fit(X, y, sample_weight=w)
    sub = _weighted_objective(X, y, w, problem.coef, problem.intercept, alpha) - (
        _weighted_objective(X, y, w, ref.coef_, ref.intercept_, alpha)
    )
    assert sub <= info.duality_gap + 1e-13
    np.testing.assert_allclose(problem.coef, ref.coef_, atol=1e-3 if tol > 1e-4 else 1e-5)


def test_float32_gram_products_fall_back_to_float64():
    """A tolerance the float32 products cannot reach (forced on): the solver re-forms
    the Gram rows in float64 instead of lowering its inner tolerance without end."""
    X, y, w, problem = _float32_problem(False, seed=12)
    alpha = _alpha_max(X, y) / 5  # (a small working set: no whole Gram matrix)
    design = problem.design
    design.use_single_precision()
    assert design.gram_dtype == np.float32 and not design.rounded  # (nothing cached)
    design._ensure_cached(np.arange(10))
    assert design.rounded
    info = solve_by_covariance(problem, alpha, problem.alpha_max, 1e-12, 100_000)
    assert info.converged and not design.rounded
    assert design.gram_dtype == np.float64 and design._cached.size < 40
    assert info.duality_gap <= 1e-12 * problem.target_norm2
    ref = SkLasso(alpha=alpha, tol=1e-14, max_iter=100_000).fit(X, y)
    np.testing.assert_allclose(problem.coef, ref.coef_, atol=1e-7)


def test_float32_estimator_default_tolerance():
    """Lasso on float32 C-ordered X at the default tolerance (float32 Gram products):
    scikit-learn's float64 solution to float32 accuracy, gap within the tolerance."""
    X, y, _, _ = _float32_problem(False, seed=13)
    alpha = _alpha_max(X, y) / 20
    ours = Lasso(alpha=alpha).fit(X.astype(np.float32), y)
    ref = SkLasso(alpha=alpha, tol=1e-14, max_iter=100_000).fit(X, y)
    assert ours.coef_.dtype == np.float32
    assert ours.dual_gap_ <= 1e-4 * np.var(y)
    np.testing.assert_allclose(ours.coef_, ref.coef_, atol=1e-3 * np.abs(ref.coef_).max())


def test_float32_whole_gram_matrix_keeps_the_certificate():
    """A crowded float32 design (rho 0.95: the whole Gram matrix at once) at a loose
    tolerance: float32 products, the gradient still from the exact residual, so the
    gap bounds the suboptimality against scikit-learn's tight float64 solution."""
    X, y = _ar1(600, 60, 0.95, seed=14)
    X32 = np.ascontiguousarray(X, dtype=np.float32)
    X = X32.astype(np.float64)
    h = np.full(600, 1 / 600)
    problem = LeastSquaresProblem(X32, y, h, np.ones(60), 1.0, False, True, "single")
    alpha = _alpha_max(X, y) / 20
    info = solve_by_covariance(problem, alpha, problem.alpha_max, 1e-4, 100_000)
    design = problem.design
    assert design._cached.size == 60 and design.rounded
    assert info.converged and info.duality_gap <= 1e-4 * problem.target_norm2
    ref = SkLasso(alpha=alpha, tol=1e-14, max_iter=100_000).fit(X, y)
    sub = _objective(X, y, problem.coef, problem.intercept, alpha, 1.0) - _objective(
        X, y, ref.coef_, ref.intercept_, alpha, 1.0
    )
    assert -1e-12 <= sub <= info.duality_gap + 1e-13
    # A tight tolerance: the whole matrix is formed again in float64.
    info = solve_by_covariance(problem, alpha, alpha, 1e-12, 100_000)
    assert not design.rounded and info.duality_gap <= 1e-12 * problem.target_norm2
    np.testing.assert_allclose(problem.coef, ref.coef_, atol=1e-7)


def test_uncorrelated_cold_start_grows_the_block_instead_of_the_whole_matrix(monkeypatch):
    # Far below alpha_max most features violate at the early checks of any design; an
    # uncorrelated one still ends with a fraction of them (here 252 of 600), so the
    # working set's block must keep growing instead of the whole Gram matrix being formed
    # (more than half the features outside violate at the second check here).
    rng = np.random.default_rng(11)
    n, p = 1500, 600
    X = rng.standard_normal((n, p))
    coef = rng.standard_normal(p) * (rng.random(p) < 0.5)
    y = X @ coef + rng.standard_normal(n)
    alpha = _alpha_max(X, y) / 20
    whole_matrix = []
    monkeypatch.setattr(
        CovarianceDesign, "_cache_all", lambda self: whole_matrix.append(self._cached.size)
    )
    ours = Lasso(alpha=alpha, tol=1e-10, max_iter=100_000).fit(X, y)
    ref = SkLasso(alpha=alpha, tol=1e-14, max_iter=100_000).fit(X, y)
    assert whole_matrix == []
    assert 0.1 * p < np.count_nonzero(ours.coef_) < FULL_FRACTION * p
    np.testing.assert_allclose(ours.coef_, ref.coef_, atol=1e-7)
    sub = _objective(X, y, ours.coef_, ours.intercept_, alpha, 1.0) - _objective(
        X, y, ref.coef_, ref.intercept_, alpha, 1.0
    )
    assert -1e-12 <= sub <= ours.dual_gap_ + 1e-12


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("weighted", [False, True])
def test_small_alpha_on_a_weakly_correlated_design_hands_over_to_residual_sweeps(
    dtype, weighted
):
    """Far below alpha_max most features of an uncorrelated design enter: the working
    set would pass half of them, so the fit goes on by residual sweeps from where the
    Gram blocks left it (no whole Gram matrix), and still reaches scikit-learn's tight
    solution with a true duality gap."""
    from shrinkage.solvers._designs import DenseDesign
    from shrinkage.solvers.step import solve_and_check

    X, y = _ar1(1500, 300, 0.0, seed=21)
    w = np.random.default_rng(21).uniform(0.2, 3.0, 1500) if weighted else np.ones(1500)
    alpha = _alpha_max(X, y) / 1000
    problem = LeastSquaresProblem(X.astype(dtype), y, w / w.sum(), np.ones(300), 1.0,
                                  False, True, "single")
    assert type(problem.design) is CovarianceDesign
    info = solve_and_check(problem, alpha, problem.alpha_max, 1e-10, 100_000)
    assert isinstance(problem.design, DenseDesign)  # handed over
    assert info.converged and info.duality_gap <= 1e-10 * problem.target_norm2
    ref = SkLasso(alpha=alpha, tol=1e-14, max_iter=100_000).fit(
        X.astype(dtype).astype(np.float64), y, sample_weight=w
    )
    assert np.count_nonzero(ref.coef_) > 150  # most features entered
    np.testing.assert_allclose(problem.coef, ref.coef_, atol=1e-6)
    assert problem.intercept == pytest.approx(ref.intercept_, abs=1e-6)
