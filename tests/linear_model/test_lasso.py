"""Lasso and ElasticNet against scikit-learn, KKT conditions and duality gaps."""

import numpy as np
import pytest
import scipy.sparse as sp
import sklearn.linear_model as sk
from conftest import enet_objective, make_regression
from sklearn.exceptions import ConvergenceWarning

from shrinkage import ElasticNet, Lasso


def kkt_violation(X, y, coef, intercept, alpha, l1_ratio, sample_weight=None, penalty_weights=None):
    """Largest distance of −∇f to α·v·∂(ρ|β| + (1−ρ)/2 β²), computed independently."""
    n = X.shape[0]
    w = np.ones(n) if sample_weight is None else sample_weight * n / sample_weight.sum()
    v = np.ones(X.shape[1]) if penalty_weights is None else penalty_weights
    r = y - X @ coef - intercept
    neg_grad = np.asarray(X.T @ (w * r)).ravel() / n - alpha * (1 - l1_ratio) * v * coef
    l1 = alpha * l1_ratio * v
    viol = np.where(
        coef != 0, np.abs(neg_grad - l1 * np.sign(coef)), np.maximum(np.abs(neg_grad) - l1, 0)
    )
    return viol.max()


@pytest.mark.parametrize("l1_ratio", [1.0, 0.5, 0.1])
@pytest.mark.parametrize("alpha_fraction", [0.5, 0.05, 0.002])
@pytest.mark.parametrize("shape", [(80, 30), (40, 120)])
def test_objective_no_worse_than_sklearn(rng, l1_ratio, alpha_fraction, shape):
    X, y = make_regression(rng, *shape)
    alpha_max = np.abs((X - X.mean(0)).T @ (y - y.mean())).max() / (len(y) * l1_ratio)
    alpha = alpha_fraction * alpha_max
    ours = ElasticNet(alpha=alpha, l1_ratio=l1_ratio, tol=1e-12, max_iter=100_000).fit(X, y)
    ref = sk.ElasticNet(alpha=alpha, l1_ratio=l1_ratio, tol=1e-12, max_iter=100_000).fit(X, y)
    f_ours = enet_objective(X, y, ours.coef_, ours.intercept_, alpha, l1_ratio)
    f_ref = enet_objective(X, y, ref.coef_, ref.intercept_, alpha, l1_ratio)
    assert f_ours <= f_ref * (1 + 1e-9)
    assert kkt_violation(X, y, ours.coef_, ours.intercept_, alpha, l1_ratio) < 1e-5
    np.testing.assert_allclose(ours.predict(X), ref.predict(X), rtol=1e-5, atol=1e-5)


def test_duality_gap_below_tolerance_and_certifies_suboptimality(rng):
    X, y = make_regression(rng, 60, 40)
    loose = Lasso(alpha=0.05, tol=1e-3).fit(X, y)
    tight = Lasso(alpha=0.05, tol=1e-13, max_iter=100_000).fit(X, y)
    scale = np.mean((y - y.mean()) ** 2)
    assert loose.dual_gap_ <= 1e-3 * scale
    sub = enet_objective(X, y, loose.coef_, loose.intercept_, 0.05, 1.0) - enet_objective(
        X, y, tight.coef_, tight.intercept_, 0.05, 1.0
    )
    assert -1e-12 <= sub <= loose.dual_gap_ + 1e-12  # a gap bounds the suboptimality


@pytest.mark.parametrize("l1_ratio", [1.0, 0.7])
def test_sparse_equals_dense(rng, l1_ratio):
    X, y = make_regression(rng, 100, 40, sparse=True)
    dense = ElasticNet(alpha=0.02, l1_ratio=l1_ratio, tol=1e-12, max_iter=10**5).fit(X.toarray(), y)
    for fmt in (sp.csc_matrix, sp.csr_matrix):
        sparse = ElasticNet(alpha=0.02, l1_ratio=l1_ratio, tol=1e-12, max_iter=10**5).fit(fmt(X), y)
        np.testing.assert_allclose(sparse.coef_, dense.coef_, atol=1e-8)
        assert sparse.intercept_ == pytest.approx(dense.intercept_, abs=1e-8)


@pytest.mark.parametrize("precompute", [True, False])
def test_gram_and_direct_solvers_agree(rng, precompute):
    X, y = make_regression(rng, 200, 20)
    ref = sk.Lasso(alpha=0.03, tol=1e-12, max_iter=10**5).fit(X, y)
    ours = Lasso(alpha=0.03, tol=1e-12, precompute=precompute).fit(X, y)
    np.testing.assert_allclose(ours.coef_, ref.coef_, atol=1e-7)


def test_float32_kept_and_close_to_float64(rng):
    X, y = make_regression(rng, 80, 20)
    m64 = Lasso(alpha=0.05, tol=1e-10).fit(X, y)
    m32 = Lasso(alpha=0.05, tol=1e-10).fit(X.astype(np.float32), y.astype(np.float32))
    assert m32.coef_.dtype == np.float32
    np.testing.assert_allclose(m32.coef_, m64.coef_, atol=1e-4)


def test_fortran_integer_and_single_feature_input(rng):
    X, y = make_regression(rng, 50, 6)
    ref = sk.Lasso(alpha=0.1, tol=1e-12).fit(X, y)
    np.testing.assert_allclose(
        Lasso(alpha=0.1, tol=1e-12).fit(np.asfortranarray(X), y).coef_, ref.coef_, atol=1e-8
    )
    Xi = rng.integers(-5, 5, size=(50, 4))
    ref_i = sk.Lasso(alpha=0.1, tol=1e-12).fit(Xi, y)
    np.testing.assert_allclose(Lasso(alpha=0.1, tol=1e-12).fit(Xi, y).coef_, ref_i.coef_, atol=1e-8)
    one = Lasso(alpha=0.1, tol=1e-12).fit(X[:, :1], y)
    ref_one = sk.Lasso(alpha=0.1, tol=1e-12).fit(X[:, :1], y)
    assert one.coef_[0] == pytest.approx(ref_one.coef_[0], abs=1e-9)


def test_alpha_above_alpha_max_gives_zeros_and_mean_intercept(rng):
    X, y = make_regression(rng, 50, 10)
    alpha_max = np.abs((X - X.mean(0)).T @ (y - y.mean())).max() / len(y)
    model = Lasso(alpha=alpha_max * 1.0001).fit(X, y)
    assert np.all(model.coef_ == 0)
    assert model.intercept_ == pytest.approx(y.mean())
    assert np.any(Lasso(alpha=alpha_max * 0.99).fit(X, y).coef_ != 0)


def test_constant_column_gets_zero_weight(rng):
    X, y = make_regression(rng, 50, 5)
    X[:, 2] = 3.0
    model = Lasso(alpha=0.01, tol=1e-12).fit(X, y)
    ref = sk.Lasso(alpha=0.01, tol=1e-12).fit(X, y)
    assert model.coef_[2] == 0
    np.testing.assert_allclose(model.coef_, ref.coef_, atol=1e-8)


def test_integer_sample_weights_equal_repeated_rows(rng):
    X, y = make_regression(rng, 40, 15)
    counts = rng.integers(0, 4, size=40)
    weighted = ElasticNet(alpha=0.05, l1_ratio=0.8, tol=1e-13).fit(X, y, sample_weight=counts)
    repeated = ElasticNet(alpha=0.05, l1_ratio=0.8, tol=1e-13).fit(
        np.repeat(X, counts, axis=0), np.repeat(y, counts)
    )
    np.testing.assert_allclose(weighted.coef_, repeated.coef_, atol=1e-8)
    assert weighted.intercept_ == pytest.approx(repeated.intercept_, abs=1e-8)


def test_sample_weights_match_sklearn(rng):
    X, y = make_regression(rng, 60, 12)
    w = rng.uniform(0.1, 3, size=60)
    ours = Lasso(alpha=0.05, tol=1e-12).fit(X, y, sample_weight=w)
    ref = sk.Lasso(alpha=0.05, tol=1e-12, max_iter=10**5).fit(X, y, sample_weight=w)
    np.testing.assert_allclose(ours.coef_, ref.coef_, atol=1e-7)
    assert kkt_violation(X, y, ours.coef_, ours.intercept_, 0.05, 1.0, w) < 1e-6


def test_penalty_weights_equal_column_rescaling(rng):
    # v_j|β_j| with x_j is the plain lasso on x_j / v_j with β̃_j = v_j β_j.
    X, y = make_regression(rng, 70, 10)
    v = rng.uniform(0.2, 3.0, size=10)
    ours = Lasso(alpha=0.05, tol=1e-12, penalty_weights=v).fit(X, y)
    ref = sk.Lasso(alpha=0.05, tol=1e-12, max_iter=10**5).fit(X / v, y)
    np.testing.assert_allclose(ours.coef_ * v, ref.coef_, atol=1e-7)


def test_unpenalized_feature_is_fitted_freely(rng):
    X, y = make_regression(rng, 70, 10)
    v = np.ones(10)
    v[[0, 3]] = 0.0
    model = Lasso(alpha=10.0, tol=1e-12, penalty_weights=v).fit(X, y)
    # Huge alpha: penalized weights vanish, the free ones are least squares on their own.
    assert np.all(model.coef_[v > 0] == 0)
    ls = np.linalg.lstsq(np.column_stack([np.ones(70), X[:, [0, 3]]]), y, rcond=None)[0]
    np.testing.assert_allclose(model.coef_[[0, 3]], ls[1:], rtol=1e-8)
    assert kkt_violation(X, y, model.coef_, model.intercept_, 10.0, 1.0, None, v) < 1e-8


def test_positive_matches_sklearn(rng):
    X, y = make_regression(rng, 60, 15)
    ours = Lasso(alpha=0.02, positive=True, tol=1e-12).fit(X, y)
    ref = sk.Lasso(alpha=0.02, positive=True, tol=1e-12, max_iter=10**5).fit(X, y)
    assert np.all(ours.coef_ >= 0)
    np.testing.assert_allclose(ours.coef_, ref.coef_, atol=1e-7)


def test_no_intercept_and_multi_output(rng):
    X, y = make_regression(rng, 50, 8)
    Y = np.column_stack([y, -2 * y + 1])
    ours = ElasticNet(alpha=0.1, fit_intercept=False, tol=1e-12).fit(X, Y)
    ref = sk.ElasticNet(alpha=0.1, fit_intercept=False, tol=1e-12, max_iter=10**5).fit(X, Y)
    assert ours.coef_.shape == (2, 8)
    np.testing.assert_allclose(ours.intercept_, 0)
    for t in range(2):
        f_ours = enet_objective(X, Y[:, t], ours.coef_[t], 0.0, 0.1, 0.5)
        f_ref = enet_objective(X, Y[:, t], ref.coef_[t], 0.0, 0.1, 0.5)
        assert f_ours <= f_ref * (1 + 1e-9)
    np.testing.assert_allclose(ours.coef_, ref.coef_, atol=1e-4)


def test_warm_start_and_random_selection(rng):
    X, y = make_regression(rng, 80, 20)
    ref = sk.Lasso(alpha=0.02, tol=1e-12, max_iter=10**5).fit(X, y)
    model = Lasso(alpha=0.2, warm_start=True, tol=1e-12).fit(X, y)
    model.set_params(alpha=0.02).fit(X, y)
    np.testing.assert_allclose(model.coef_, ref.coef_, atol=1e-7)
    shuffled = Lasso(alpha=0.02, selection="random", random_state=0, tol=1e-12).fit(X, y)
    np.testing.assert_allclose(shuffled.coef_, ref.coef_, atol=1e-7)


@pytest.mark.parametrize("shape", [(50, 200), (400, 30)])
@pytest.mark.parametrize("sparse", [False, True])
def test_warm_start_at_the_solution_takes_no_sweep(rng, shape, sparse):
    """Refitting a converged model with ``warm_start=True`` checks the duality gap before
    any sweep, as scikit-learn does: ``n_iter_ == 0``, the same coefficients, and a gap
    that still bounds the suboptimality against scikit-learn solved to 1e-12; a warm
    start at another alpha still sweeps and reaches scikit-learn's solution."""
    X, y = make_regression(rng, *shape)
    Xf = sp.csr_matrix(X) if sparse else X
    model = ElasticNet(alpha=1e-2, l1_ratio=0.7, tol=1e-4).fit(Xf, y)
    cold_coef, cold_iter = model.coef_.copy(), model.n_iter_
    assert cold_iter > 1
    model.set_params(warm_start=True).fit(Xf, y)
    assert model.n_iter_ == 0
    assert np.array_equal(model.coef_, cold_coef)
    ref = sk.ElasticNet(alpha=1e-2, l1_ratio=0.7, tol=1e-12, max_iter=10**6).fit(X, y)
    f_ours = enet_objective(X, y, model.coef_, model.intercept_, 1e-2, 0.7)
    f_ref = enet_objective(X, y, ref.coef_, ref.intercept_, 1e-2, 0.7)
    assert 0 <= f_ours - f_ref <= model.dual_gap_ + 1e-14  # in the objective's units
    model.set_params(alpha=3e-3, tol=1e-10).fit(Xf, y)
    assert model.n_iter_ > 0
    ref.set_params(alpha=3e-3).fit(X, y)
    np.testing.assert_allclose(model.coef_, ref.coef_, atol=1e-6)


def test_convergence_warning_states_gap_and_fix(rng):
    X, y = make_regression(rng, 50, 100, rho=0.95)
    with pytest.warns(ConvergenceWarning, match=r"duality gap .* max_iter=2.*increasing max_iter"):
        Lasso(alpha=1e-4, max_iter=2, tol=1e-12).fit(X, y)


def test_duplicated_feature_lasso_objective_matches(rng):
    # Lasso's solution is not unique with a duplicated column: compare objectives.
    X, y = make_regression(rng, 60, 6)
    X = np.column_stack([X, X[:, 0]])
    ours = Lasso(alpha=0.05, tol=1e-13).fit(X, y)
    ref = sk.Lasso(alpha=0.05, tol=1e-13, max_iter=10**5).fit(X, y)
    f = lambda m: enet_objective(X, y, m.coef_, m.intercept_, 0.05, 1.0)  # noqa: E731
    assert f(ours) <= f(ref) * (1 + 1e-9)


@pytest.mark.parametrize("precompute", [True, False])
def test_large_column_means_do_not_lose_precision(rng, precompute):
    X, y = make_regression(rng, 300, 8)
    X[:, 1] += 1e5  # a mean far larger than the spread: centring must be exact
    X[:, 4] = 7.0  # and a constant column
    ours = Lasso(alpha=0.01, tol=1e-12, precompute=precompute).fit(X, y)
    ref = sk.Lasso(alpha=0.01, tol=1e-12, max_iter=10**5).fit(X, y)
    np.testing.assert_allclose(ours.coef_, ref.coef_, atol=1e-6)
    assert ours.coef_[4] == 0


@pytest.mark.parametrize("precompute", [True, False])
def test_alpha_zero_is_least_squares(rng, precompute):
    X, y = make_regression(rng, 120, 10)
    model = ElasticNet(alpha=0.0, tol=1e-12, max_iter=10**5, precompute=precompute)
    with pytest.warns(UserWarning, match="With alpha=0"):  # scikit-learn's warning
        model.fit(X, y)
    ols = np.linalg.lstsq(np.column_stack([np.ones(120), X]), y, rcond=None)[0]
    np.testing.assert_allclose(model.coef_, ols[1:], rtol=1e-6, atol=1e-8)
    assert model.intercept_ == pytest.approx(ols[0], rel=1e-6)
