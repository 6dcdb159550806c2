"""AIC / BIC / EBIC choice of alpha, and the relaxed lasso."""

import numpy as np
import pytest
from conftest import make_regression
from sklearn import linear_model as sk
from sklearn.datasets import load_diabetes

from shrinkage import (
    ElasticNet,
    ElasticNetIC,
    Lasso,
    LassoIC,
    RelaxedLasso,
    RelaxedLassoCV,
)


def sparse_truth(rng, n, p, k=5, noise=1.0):
    X = rng.normal(size=(n, p))
    coef = np.zeros(p)
    support = rng.choice(p, k, replace=False)
    coef[support] = rng.choice([-1, 1], k) * rng.uniform(2.0, 4.0, k)
    return X, X @ coef + 3.0 + noise * rng.normal(size=n), set(support)


def test_lassoic_matches_lassolarsic_on_diabetes():
    X, y = load_diabetes(return_X_y=True)
    for criterion in ("aic", "bic"):
        ours = LassoIC(criterion=criterion, noise_variance="ols", alphas=2000, eps=1e-4).fit(X, y)
        ref = sk.LassoLarsIC(criterion=criterion).fit(X, y)
        assert ours.noise_variance_ == pytest.approx(ref.noise_variance_, rel=1e-10)
        # LARS finds the exact knots; a fine grid gets within a whisker of its minimum.
        assert ours.criterion_.min() == pytest.approx(ref.criterion_.min(), rel=1e-4)
        assert set(np.flatnonzero(ours.coef_)) == set(np.flatnonzero(ref.coef_))


def test_criterion_is_the_written_formula(rng):
    X, y = make_regression(rng, 60, 8)
    model = LassoIC(criterion="bic", noise_variance=2.0, alphas=20).fit(X, y)
    path = model.path_
    for k in (0, 7, 19):
        rss = np.sum((y - X @ path.coefs[:, k] - path.intercepts[k]) ** 2)
        df = np.count_nonzero(path.coefs[:, k])
        expected = 60 * np.log(2 * np.pi * 2.0) + rss / 2.0 + np.log(60) * df
        assert model.criterion_[k] == pytest.approx(expected)


def test_bic_recovers_the_true_support(rng):
    # BIC's log(n) per feature is consistent for a fixed, modest p (with many candidate
    # features, see the extended BIC below).
    X, y, support = sparse_truth(rng, 200, 12, k=4, noise=0.5)
    # Scored on the least-squares refit (the LARS-OLS hybrid), BIC finds the support.
    relaxed = LassoIC(criterion="bic", relax=True).fit(X, y)
    assert set(np.flatnonzero(relaxed.coef_)) == support
    # On the shrunken lasso fits BIC misses nothing but buys back the shrinkage bias
    # with a few noise features, as scikit-learn's LassoLarsIC does.
    plain = LassoIC(criterion="bic").fit(X, y)
    assert support <= set(np.flatnonzero(plain.coef_))
    assert plain.noise_variance_ == pytest.approx(0.25, rel=0.3)


def test_ebic_recovers_the_true_support_when_p_exceeds_n(rng):
    X, y, support = sparse_truth(rng, 100, 300, noise=0.5)
    model = LassoIC(criterion="ebic", ebic_gamma=1.0, relax=True).fit(X, y)
    assert set(np.flatnonzero(model.coef_)) == support
    assert 0.1 < model.noise_variance_ < 0.5  # true 0.25; Reid et al.'s CV estimate
    assert support <= set(np.flatnonzero(LassoIC(criterion="ebic").fit(X, y).coef_))


def test_elastic_net_degrees_of_freedom_is_the_divergence(rng):
    # Stein: df = Σ_i ∂ŷ_i/∂y_i, measured by refitting with each y_i nudged.
    X, y = make_regression(rng, 30, 8, noise=1.0)
    alpha, ratio = 0.05, 0.5
    model = ElasticNetIC(l1_ratio=ratio, alphas=[alpha], noise_variance=1.0, tol=1e-14)
    df = model.fit(X, y).degrees_of_freedom_[0]
    base = ElasticNet(alpha=alpha, l1_ratio=ratio, tol=1e-14, max_iter=10**5).fit(X, y)
    step, divergence = 1e-6, 0.0
    for i in range(30):
        nudged = y.copy()
        nudged[i] += step
        fit = ElasticNet(alpha=alpha, l1_ratio=ratio, tol=1e-14, max_iter=10**5).fit(X, nudged)
        divergence += (fit.predict(X[i : i + 1])[0] - base.predict(X[i : i + 1])[0]) / step
    assert df == pytest.approx(divergence - 1.0, abs=1e-4)  # the intercept is not counted


def test_ridge_degrees_of_freedom_is_the_hat_trace(rng):
    X, y = make_regression(rng, 40, 6)
    model = ElasticNetIC(l1_ratio=0.0, criterion="aic", alphas=[0.5, 0.05], noise_variance=1.0)
    model.fit(X, y)
    Xc = X - X.mean(0)
    for k, alpha in enumerate(model.alphas_):
        H = Xc @ np.linalg.solve(Xc.T @ Xc + 40 * alpha * np.eye(6), Xc.T)
        assert model.degrees_of_freedom_[k] == pytest.approx(np.trace(H))


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"criterion": "hqic"}, "criterion"),
        ({"ebic_gamma": 2.0}, r"\[0, 1\]"),
        ({"noise_variance": -1.0}, ">= 0"),
        ({"noise_variance": 0.0}, "> 0"),
        ({"noise_variance": "ols"}, "n_samples > n_features"),
    ],
)
def test_information_criteria_bad_input(rng, kwargs, message):
    X, y = make_regression(rng, 20, 30)
    with pytest.raises(ValueError, match=message):
        LassoIC(**kwargs).fit(X, y)


# -- relaxed lasso ----------------------------------------------------------------------------


def test_relaxed_gamma_zero_is_least_squares_on_the_selection(rng):
    X, y = make_regression(rng, 80, 20)
    model = RelaxedLasso(alpha=0.3, gamma=0.0, tol=1e-10).fit(X, y)
    active = np.flatnonzero(Lasso(alpha=0.3, tol=1e-10).fit(X, y).coef_)
    assert 0 < active.size < 20
    design = np.column_stack([X[:, active], np.ones(80)])
    solution = np.linalg.lstsq(design, y, rcond=None)[0]
    np.testing.assert_allclose(model.coef_[active], solution[:-1], rtol=1e-8)
    assert model.intercept_ == pytest.approx(solution[-1])
    assert np.all(np.delete(model.coef_, active) == 0)


def test_relaxed_blend_and_gamma_one_is_the_lasso(rng):
    X, y = make_regression(rng, 60, 10)
    lasso = Lasso(alpha=0.2).fit(X, y)
    one = RelaxedLasso(alpha=0.2, gamma=1.0).fit(X, y)
    np.testing.assert_allclose(one.coef_, lasso.coef_)
    half = RelaxedLasso(alpha=0.2, gamma=0.5).fit(X, y)
    zero = RelaxedLasso(alpha=0.2, gamma=0.0).fit(X, y)
    np.testing.assert_allclose(half.coef_, 0.5 * (lasso.coef_ + zero.coef_))


def test_relaxed_cv_at_gamma_one_is_lassocv(rng):
    X, y = make_regression(rng, 90, 15)
    relaxed = RelaxedLassoCV(gammas=[0.0, 1.0], tol=1e-10, cv=4).fit(X, y)
    ref = sk.LassoCV(tol=1e-10, cv=4, max_iter=10**5).fit(X, y)
    np.testing.assert_allclose(relaxed.alphas_, ref.alphas_)
    np.testing.assert_allclose(relaxed.mse_path_[1], ref.mse_path_, rtol=1e-5)
    best = np.min(relaxed.mse_path_.mean(axis=2))
    chosen = relaxed.mse_path_[
        list(relaxed.gammas_).index(relaxed.gamma_), list(relaxed.alphas_).index(relaxed.alpha_)
    ].mean()
    assert chosen == best


def test_relaxed_cv_one_standard_error(rng):
    X, y = make_regression(rng, 90, 30, noise=2.0)
    model = RelaxedLassoCV(rule="1se", cv=4).fit(X, y)
    means = model.mse_path_.mean(axis=2)
    ses = model.mse_path_.std(axis=2, ddof=1) / 2.0
    g, a = np.unravel_index(np.argmin(means), means.shape)
    ok = means <= means[g, a] + ses[g, a]
    assert model.alpha_ == model.alphas_[np.flatnonzero(ok.any(axis=0))].max()


@pytest.mark.parametrize("gamma", [-0.1, 1.5])
def test_gamma_outside_unit_interval(rng, gamma):
    X, y = make_regression(rng, 30, 5)
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        RelaxedLasso(gamma=gamma).fit(X, y)
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        RelaxedLassoCV(gammas=[0.0, gamma]).fit(X, y)


def test_lasso_df_is_the_rank_of_the_active_columns():
    """Duplicated columns: the lasso splits a coefficient over twins, and a relaxed
    refit (minimum norm) too; df is the rank of the active columns (Tibshirani &
    Taylor 2012), computed here by NumPy from the columns themselves, not the count."""
    rng = np.random.default_rng(0)
    X = rng.standard_normal((100, 10))
    X[:, 1] = X[:, 0]
    X[:, 4] = X[:, 3]
    y = X[:, 0] - 2 * X[:, 3] + X[:, 6] + 0.5 * rng.standard_normal(100)
    for relax in (False, True):
        ic = LassoIC(noise_variance=0.25, alphas=15, relax=relax).fit(X, y)
        coefs = ic.path_.coefs
        rank = [
            np.linalg.matrix_rank(X[:, np.abs(c) > 1e-10]) if np.any(c) else 0 for c in coefs.T
        ]
        np.testing.assert_array_equal(ic.degrees_of_freedom_, rank)
        assert any(np.count_nonzero(c) > r for c, r in zip(coefs.T, rank, strict=True))


def test_rounding_level_coefficients_are_not_counted():
    """A coefficient of 1e-13 (a variable entering, a remnant on a twin) adds no df,
    nor does rounding at alpha_max, where every coefficient is 0 (scikit-learn's
    LassoLarsIC: df 0 there, and the same BIC at every knot of its path, on wine)."""
    from sklearn.linear_model import LassoLarsIC

    rng = np.random.default_rng(4)
    common = rng.standard_normal((200, 1))
    X = np.sqrt(0.95) * common + np.sqrt(0.05) * rng.standard_normal((200, 20))
    y = X[:, :4] @ np.r_[1.0, -1.0, 0.5, 0.5] + 0.5 * rng.standard_normal(200)
    ic = LassoIC(noise_variance=0.25, alphas=30, tol=1e-10).fit(X, y)
    coefs = ic.path_.coefs
    contribution = np.abs(coefs) * (X - X.mean(0)).std(0)[:, None]
    big = contribution > 1e-10 * y.std()
    np.testing.assert_array_equal(ic.degrees_of_freedom_, big.sum(axis=0))
    lars = LassoLarsIC(criterion="bic", noise_variance=0.25).fit(X, y)
    assert lars.alpha_ == pytest.approx(ic.alpha_, rel=0.5)
    from sklearn.datasets import load_wine

    Xw, _ = load_wine(return_X_y=True)
    yw, Xw = Xw[:, 0], Xw[:, 1:]
    lars = LassoLarsIC(criterion="bic").fit(Xw, yw)
    knots = lars.alphas_[lars.alphas_ > 0]
    ours = LassoIC(criterion="bic", alphas=knots, noise_variance="ols", tol=1e-10).fit(Xw, yw)
    np.testing.assert_allclose(ours.criterion_, lars.criterion_[: knots.size], rtol=1e-9)
    assert ours.alpha_ == lars.alpha_


@pytest.mark.parametrize(
    "args, message",
    [
        ((1.0, 3, -1.0), "eps"),
        ((1.0, 3, float("nan")), "eps"),
        ((1.0, 3, 0.0), "eps"),
        ((1.0, 0), "n_alphas"),
        ((-1.0, 3), "alpha_max"),
        ((float("nan"), 3), "alpha_max"),
    ],
)
def test_alpha_grid_refuses_what_is_no_grid(args, message):
    from shrinkage import alpha_grid

    with pytest.raises(ValueError, match=message):
        alpha_grid(*args)


def test_every_grid_refuses_a_bad_eps_by_name():
    from shrinkage import MultiTaskLassoCV, RelaxedLassoCV, lasso_path

    rng = np.random.default_rng(0)
    X, Y = rng.standard_normal((60, 10)), rng.standard_normal((60, 2))
    for fit in (
        lambda: lasso_path(X, Y, eps=-1, alphas=5),
        lambda: lasso_path(X, Y, eps=np.nan, alphas=5),
        lambda: RelaxedLassoCV(eps=np.nan).fit(X, Y[:, 0]),
        lambda: RelaxedLassoCV(eps=-1).fit(X, Y[:, 0]),
        lambda: MultiTaskLassoCV(eps=0).fit(X, Y),
    ):
        with pytest.raises(ValueError, match="eps"):
            fit()
