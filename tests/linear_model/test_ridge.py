"""Ridge and RidgeCV against the closed form, brute-force leave-one-out and scikit-learn."""

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn import linear_model as sk
from sklearn.metrics import r2_score
from sklearn.model_selection import KFold
from sklearn_versions import requires_sklearn

import shrinkage.linear_model._ridge as ridge_module
from shrinkage import Ridge, RidgeCV, regularization_path
from shrinkage.solvers.ridge import SpectralRidge, ridge_alpha_grid


def closed_form(X, y, alpha, sample_weight=None, penalty_weights=None, fit_intercept=True):
    """argmin Σ s (y − b − Xw)² + α Σ v w², by the normal equations with an intercept column."""
    n, p = X.shape
    s = np.ones(n) if sample_weight is None else np.asarray(sample_weight, float)
    v = np.ones(p) if penalty_weights is None else np.asarray(penalty_weights, float)
    Z = np.column_stack([X, np.ones(n)]) if fit_intercept else X
    D = np.diag(np.concatenate([v, [0.0]]) if fit_intercept else v)
    A = Z.T @ (s[:, None] * Z) + alpha * D
    theta = np.linalg.solve(A, Z.T @ (s * y))
    return (theta[:p], theta[p]) if fit_intercept else (theta, 0.0)


def data(rng, n, p, shift=3.0):
    X = rng.normal(size=(n, p)) + shift
    y = X @ rng.normal(size=p) + rng.normal(size=n) + 2.0
    return X, y


@pytest.mark.parametrize("shape", [(60, 8), (15, 40)])
@pytest.mark.parametrize("to_sparse", [False, True])
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_ridge_equals_closed_form(rng, shape, to_sparse, fit_intercept):
    X, y = data(rng, *shape)
    s = rng.uniform(0.2, 3.0, shape[0])
    v = rng.uniform(0.5, 2.0, shape[1])
    for alpha in (0.01, 1.0, 100.0):
        model = Ridge(alpha=alpha, fit_intercept=fit_intercept, penalty_weights=v)
        model.fit(sp.csr_matrix(X) if to_sparse else X, y, sample_weight=s)
        coef, intercept = closed_form(X, y, alpha, s, v, fit_intercept)
        np.testing.assert_allclose(model.coef_, coef, rtol=1e-8, atol=1e-9)
        assert model.intercept_ == pytest.approx(intercept, rel=1e-8, abs=1e-8)


def test_unpenalized_features_and_multi_target(rng):
    X, y = data(rng, 50, 6)
    Y = np.column_stack([y, -2 * y + rng.normal(size=50)])
    v = np.array([0.0, 1.0, 1.0, 0.0, 2.0, 1.0])
    model = Ridge(alpha=[0.5, 5.0], penalty_weights=v).fit(X, Y)
    for t, alpha in enumerate([0.5, 5.0]):
        coef, intercept = closed_form(X, Y[:, t], alpha, penalty_weights=v)
        np.testing.assert_allclose(model.coef_[t], coef, rtol=1e-9, atol=1e-10)
        assert model.intercept_[t] == pytest.approx(intercept)


def test_matches_sklearn_ridge(rng):
    X, y = data(rng, 80, 12)
    for alpha in (1e-3, 1.0, 1e3):
        ours = Ridge(alpha=alpha).fit(X, y)
        ref = sk.Ridge(alpha=alpha, solver="cholesky").fit(X, y)
        np.testing.assert_allclose(ours.coef_, ref.coef_, rtol=1e-8, atol=1e-10)
        assert ours.intercept_ == pytest.approx(ref.intercept_)


def test_alpha_zero_is_minimum_norm_least_squares(rng):
    X, y = data(rng, 10, 30, shift=0.0)
    model = Ridge(alpha=0.0, fit_intercept=False).fit(X, y)
    np.testing.assert_allclose(model.coef_, np.linalg.pinv(X) @ y, atol=1e-8)


def test_large_sparse_uses_conjugate_gradients(rng, monkeypatch):
    monkeypatch.setattr(ridge_module, "DIRECT_LIMIT", 5)
    X, y = data(rng, 40, 12)
    X[rng.random(X.shape) < 0.5] = 0.0
    model = Ridge(alpha=2.0, tol=1e-12, penalty_weights=np.r_[0.0, np.ones(11)])
    model.fit(sp.csr_matrix(X), y)
    assert model.method_ == "cg"
    coef, intercept = closed_form(X, y, 2.0, penalty_weights=np.r_[0.0, np.ones(11)])
    np.testing.assert_allclose(model.coef_, coef, rtol=1e-7, atol=1e-8)
    assert model.intercept_ == pytest.approx(intercept, rel=1e-7)


def test_positive_ridge_satisfies_kkt(rng):
    X, y = data(rng, 60, 8, shift=0.0)
    alpha = 3.0
    model = Ridge(alpha=alpha, positive=True).fit(X, y)
    assert (model.coef_ >= 0).all() and (model.coef_ == 0).any()
    r = y - X @ model.coef_ - model.intercept_
    gradient = -2 * X.T @ r + 2 * alpha * model.coef_  # of Σr² + α‖w‖²
    assert abs(r.sum()) < 1e-6 * np.abs(y).sum()
    active = model.coef_ > 0
    scale = np.abs(2 * X.T @ y).max()
    assert np.abs(gradient[active]).max() < 1e-5 * scale
    assert gradient[~active].min() > -1e-5 * scale


def test_float32_kept(rng):
    X, y = data(rng, 30, 4)
    model = Ridge().fit(X.astype(np.float32), y)
    assert model.coef_.dtype == np.float32


# -- the spectral path -------------------------------------------------------------------


@pytest.mark.parametrize("shape", [(40, 6), (12, 30)])
@pytest.mark.parametrize("to_sparse", [False, True])
def test_leave_one_out_equals_refitting(rng, shape, to_sparse):
    X, y = data(rng, *shape)
    s = rng.uniform(0.5, 2.0, shape[0])
    alphas = np.array([0.1, 3.0, 50.0])
    ridge = SpectralRidge(sp.csc_matrix(X) if to_sparse else X, y[:, None], s)
    loo = ridge.loo_residuals(alphas)
    for i in range(0, shape[0], 3):
        keep = np.arange(shape[0]) != i
        for k, alpha in enumerate(alphas):
            coef, intercept = closed_form(X[keep], y[keep], alpha, s[keep])
            expected = np.sqrt(s[i]) * (y[i] - X[i] @ coef - intercept)
            assert loo[i, k] == pytest.approx(expected, rel=1e-7, abs=1e-9)


def test_degrees_of_freedom_and_gcv_from_explicit_hat_matrix(rng):
    X, y = data(rng, 30, 5)
    alphas = np.array([0.01, 1.0, 100.0])
    ridge = SpectralRidge(X, y[:, None])
    Z = np.column_stack([X, np.ones(30)])
    for k, alpha in enumerate(alphas):
        D = np.diag([1.0] * 5 + [0.0])
        H = Z @ np.linalg.solve(Z.T @ Z + alpha * D, Z.T)
        assert ridge.degrees_of_freedom(alphas)[k] == pytest.approx(np.trace(H))
        np.testing.assert_allclose(ridge.hat_diagonal(alphas)[:, k], np.diag(H), atol=1e-12)
        rss = np.sum((y - H @ y) ** 2)
        assert ridge.gcv(alphas)[k] == pytest.approx(30 * rss / (30 - np.trace(H)) ** 2)


def test_regularization_path_with_l1_ratio_zero_is_exact(rng):
    X, y = data(rng, 50, 7)
    path = regularization_path(X, y, l1_ratio=0.0, alphas=[10.0, 1.0, 0.1])
    for k, alpha in enumerate(path.alphas):
        # Σh ½r² + α/2‖w‖² with h = 1/n is sklearn's Ridge at alpha·n.
        coef, intercept = closed_form(X, y, alpha * 50)
        np.testing.assert_allclose(path.coefs[:, k], coef, rtol=1e-9)
        assert path.intercepts[k] == pytest.approx(intercept)


def test_ridge_grid_spans_degrees_of_freedom(rng):
    X, y = data(rng, 60, 10)
    ridge = SpectralRidge(X, y[:, None])
    df = ridge.degrees_of_freedom(ridge_alpha_grid(ridge.lam, 50)) - 1
    assert df[0] < 0.05 and df[-1] > 9.9
    assert np.all(np.diff(df) > 0)


# -- RidgeCV ----------------------------------------------------------------------------------


@pytest.mark.parametrize("weighted", [False, True])
def test_ridgecv_leave_one_out_matches_sklearn(rng, weighted):
    X, y = data(rng, 70, 9)
    s = rng.uniform(0.3, 3.0, 70) if weighted else None
    alphas = np.geomspace(1e-3, 1e3, 30)
    ours = RidgeCV(alphas=alphas, store_cv_results=True).fit(X, y, sample_weight=s)
    ref = sk.RidgeCV(alphas=alphas, store_cv_results=True).fit(X, y, sample_weight=s)
    np.testing.assert_allclose(ours.cv_results_, ref.cv_results_, rtol=1e-8)
    assert ours.alpha_ == ref.alpha_
    assert ours.best_score_ == pytest.approx(ref.best_score_)
    np.testing.assert_allclose(ours.coef_, ref.coef_, rtol=1e-8)


def test_ridgecv_multi_target_and_scorer_match_sklearn(rng):
    X, y = data(rng, 50, 6)
    Y = np.column_stack([y, np.sin(y) + rng.normal(size=50)])
    alphas = np.geomspace(1e-2, 1e3, 20)
    for kwargs in ({"alpha_per_target": True}, {"scoring": "neg_mean_absolute_error"}):
        ours = RidgeCV(alphas=alphas, **kwargs).fit(X, Y)
        ref = sk.RidgeCV(alphas=alphas, **kwargs).fit(X, Y)
        np.testing.assert_allclose(ours.alpha_, ref.alpha_)
        np.testing.assert_allclose(ours.best_score_, ref.best_score_, rtol=1e-8)


def test_ridgecv_k_fold_matches_sklearn(rng):
    X, y = data(rng, 60, 8)
    alphas = np.geomspace(1e-2, 1e4, 15)
    ours = RidgeCV(alphas=alphas, cv=4).fit(X, y)
    ref = sk.RidgeCV(alphas=alphas, cv=4).fit(X, y)
    assert ours.alpha_ == ref.alpha_
    assert ours.best_score_ == pytest.approx(ref.best_score_)


def _weighted_fold_problem():
    """1000x5 data with unequal weights on which weighted and unweighted fold scores pick
    different alphas (the tests check that they do)."""
    rng = np.random.default_rng(3)
    X = rng.standard_normal((1000, 5))
    X[:, 1] = X[:, 1] * 100 + 50
    y = X @ np.arange(1.0, 6.0) + 3 * rng.standard_normal(1000)
    w = rng.uniform(0, 2, 1000)
    return X, y, w, np.logspace(-2, 3, 11), KFold(5, shuffle=True, random_state=0)


def _grid_search_by_hand(X, y, w, alphas, cv, weighted):
    """Mean over folds of the test R² (weighted by the test rows' weights or not) of
    scikit-learn's Ridge fitted with the training rows' weights."""
    scores = np.zeros(len(alphas))
    for train, test in cv.split(X):
        for k, alpha in enumerate(alphas):
            model = sk.Ridge(alpha=alpha).fit(X[train], y[train], sample_weight=w[train])
            scores[k] += r2_score(y[test], model.predict(X[test]),
                                  sample_weight=w[test] if weighted else None)
    return scores / cv.get_n_splits()


def test_ridgecv_k_fold_weights_the_test_scores_like_the_fit():
    X, y, w, alphas, cv = _weighted_fold_problem()
    weighted = _grid_search_by_hand(X, y, w, alphas, cv, weighted=True)
    unweighted = _grid_search_by_hand(X, y, w, alphas, cv, weighted=False)
    assert np.argmax(weighted) != np.argmax(unweighted)  # the data tell them apart
    model = RidgeCV(alphas=alphas, cv=cv).fit(X, y, sample_weight=w)
    assert model.alpha_ == alphas[np.argmax(weighted)]
    assert model.best_score_ == pytest.approx(weighted.max(), rel=1e-10)


@requires_sklearn(1, 7, "grid search passes sample_weight to the scorer")
@pytest.mark.parametrize("scoring", [None, "neg_mean_squared_error"])
def test_ridgecv_k_fold_weighted_scores_match_sklearn(scoring):
    X, y, w, alphas, cv = _weighted_fold_problem()
    ours = RidgeCV(alphas=alphas, cv=cv, scoring=scoring).fit(X, y, sample_weight=w)
    ref = sk.RidgeCV(alphas=alphas, cv=cv, scoring=scoring).fit(X, y, sample_weight=w)
    assert ours.alpha_ == ref.alpha_
    assert ours.best_score_ == pytest.approx(ref.best_score_, rel=1e-10)


def test_ridgecv_k_fold_scorer_without_weights_warns_and_scores_unweighted():
    X, y, w, alphas, cv = _weighted_fold_problem()
    unweighted = _grid_search_by_hand(X, y, w, alphas, cv, weighted=False)
    with pytest.warns(UserWarning, match="does not support sample_weight"):
        model = RidgeCV(alphas=alphas, cv=cv, scoring=lambda est, X, y: est.score(X, y)).fit(
            X, y, sample_weight=w
        )
    assert model.alpha_ == alphas[np.argmax(unweighted)]
    assert model.best_score_ == pytest.approx(unweighted.max(), rel=1e-10)


def test_ridgecv_k_fold_scalar_weight_is_that_weight_on_every_row():
    # (scikit-learn 1.9 passes the scalar to the scorer, and every fold scores NaN)
    X, y, _, alphas, cv = _weighted_fold_problem()
    scalar = RidgeCV(alphas=alphas, cv=cv).fit(X, y, sample_weight=2.0)
    rows = RidgeCV(alphas=alphas, cv=cv).fit(X, y, sample_weight=np.full(len(y), 2.0))
    assert scalar.alpha_ == rows.alpha_
    assert scalar.best_score_ == pytest.approx(rows.best_score_, rel=1e-12)
    np.testing.assert_allclose(scalar.coef_, rows.coef_, rtol=1e-12)


def test_ridgecv_one_standard_error_rule_by_definition(rng):
    X, y = data(rng, 40, 10)
    alphas = np.geomspace(1e-3, 1e4, 40)
    model = RidgeCV(alphas=alphas, rule="1se").fit(X, y)
    errors = model.cv_curve_.fold_errors  # (n_alphas, n_samples) squared LOO errors
    mean = errors.mean(axis=1)
    se = errors.std(axis=1, ddof=1) / np.sqrt(errors.shape[1])
    best = np.argmin(mean)
    candidates = alphas[mean <= mean[best] + se[best]]
    assert model.alpha_ == candidates.max()
    assert model.alpha_min_ == alphas[best]
    assert model.alpha_ >= model.alpha_min_
    coef, _ = closed_form(X, y, model.alpha_)
    np.testing.assert_allclose(model.coef_, coef, rtol=1e-8)


def test_ridgecv_reports_degrees_of_freedom(rng):
    X, y = data(rng, 40, 5)
    model = RidgeCV(alphas=[1e-6, 1e6]).fit(X, y)
    np.testing.assert_allclose(model.dof_, [6.0, 1.0], atol=1e-3)  # p + 1 and the intercept


@pytest.mark.parametrize(
    "alphas, message",
    [([], "empty"), ([1.0, -1.0], "> 0"), ([0.0, 1.0], "> 0"), ([1.0, np.nan], "NaN")],
)
def test_ridgecv_bad_grids(rng, alphas, message):
    X, y = data(rng, 20, 3)
    with pytest.raises(ValueError, match=message):
        RidgeCV(alphas=alphas).fit(X, y)


def test_ridge_bad_input(rng):
    X, y = data(rng, 20, 3)
    with pytest.raises(ValueError, match="targets"):
        Ridge(alpha=[1.0, 2.0, 3.0]).fit(X, y)
    with pytest.raises(ValueError, match="solver"):
        Ridge(solver="magic").fit(X, y)
    with pytest.raises(ValueError, match=">= 0"):
        Ridge(alpha=-1.0).fit(X, y)
    with pytest.raises(ValueError, match="rule"):
        RidgeCV(rule="best").fit(X, y)


@pytest.mark.parametrize("weighted", [False, True])
def test_loo_on_wide_data_at_tiny_alpha_is_accurate(weighted):
    # Nearly interpolating fits (wide data, alpha=1e-5): h_ii -> 1, and the LOO residual
    # r_i / (1 - h_ii) is a ratio of two tiny numbers. Reference: each left-out row refitted
    # in the well-conditioned kernel form beta = A^T (A A^T + alpha I)^-1 b.
    rng = np.random.default_rng(3)
    n, p, alpha = 10, 50, 1e-5
    X, y = rng.normal(size=(n, p)), rng.normal(size=n)
    s = np.where(np.arange(n) % 2 == 0, 0.5, 1.0) if weighted else np.ones(n)
    ridge = SpectralRidge(X, y, s if weighted else None, None, False)  # 1-D y: one target
    loo = ridge.loo_residuals(np.array([alpha]))[:, 0] / np.sqrt(s)
    expected = np.empty(n)
    for i in range(n):
        keep = np.arange(n) != i
        A, b = X[keep] * np.sqrt(s[keep])[:, None], y[keep] * np.sqrt(s[keep])
        beta = A.T @ np.linalg.solve(A @ A.T + alpha * np.eye(n - 1), b)
        expected[i] = y[i] - X[i] @ beta
    np.testing.assert_allclose(loo, expected, rtol=1e-10)
