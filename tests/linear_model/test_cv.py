"""Cross-validation: LassoCV / ElasticNetCV / LogisticRegressionCV against scikit-learn,
and the one-standard-error rule against its definition."""

import numpy as np
import pytest
import scipy.sparse as sp
import sklearn
from conftest import make_classification, make_regression
from sklearn import linear_model as sk
from sklearn.model_selection import KFold

from shrinkage import (
    ElasticNet,
    ElasticNetCV,
    Lasso,
    LassoCV,
    LogisticRegressionCV,
    one_standard_error_rule,
)
from shrinkage.selection import CVCurve

# scikit-learn 1.9 defaults warn; these are the explicit, non-legacy choices.
_NEW = dict(l1_ratios=(0.0,), scoring=None, use_legacy_attributes=False)
_SKLEARN_18 = pytest.mark.skipif(
    tuple(int(v) for v in sklearn.__version__.split(".")[:2]) < (1, 8),
    reason="scikit-learn's LogisticRegressionCV has use_legacy_attributes since 1.8",
)


def one_se_by_definition(alphas, fold_errors):
    mean = fold_errors.mean(axis=1)
    se = fold_errors.std(axis=1, ddof=1) / np.sqrt(fold_errors.shape[1])
    best = np.argmin(mean)
    return alphas[mean <= mean[best] + se[best]].max()


@pytest.mark.parametrize("weighted", [False, True])
def test_lassocv_matches_sklearn(rng, weighted):
    X, y = make_regression(rng, 90, 25)
    s = rng.uniform(0.5, 2.0, 90) if weighted else None
    ours = LassoCV(tol=1e-10, max_iter=10**5).fit(X, y, sample_weight=s)
    ref = sk.LassoCV(tol=1e-10, max_iter=10**5).fit(X, y, sample_weight=s)
    np.testing.assert_allclose(ours.alphas_, ref.alphas_, rtol=1e-12)
    np.testing.assert_allclose(ours.mse_path_, ref.mse_path_, rtol=1e-5)
    assert ours.alpha_ == pytest.approx(ref.alpha_)
    np.testing.assert_allclose(ours.coef_, ref.coef_, atol=1e-5)
    assert ours.intercept_ == pytest.approx(ref.intercept_, abs=1e-5)


def test_lassocv_sparse_equals_dense(rng):
    X, y = make_regression(rng, 80, 30, sparse=True)
    sparse = LassoCV(cv=4, tol=1e-10).fit(X, y)
    dense = LassoCV(cv=4, tol=1e-10).fit(X.toarray(), y)
    np.testing.assert_allclose(sparse.mse_path_, dense.mse_path_, rtol=1e-6)
    # The grids start from alpha_max = max|X^T y|/n, summed in a different order for
    # CSC and dense X (NumPy 1.24's OpenBLAS differed in the last bit): the same grid
    # point is chosen, equal to rounding.
    np.testing.assert_allclose(sparse.alphas_, dense.alphas_, rtol=1e-13)
    assert np.flatnonzero(sparse.alphas_ == sparse.alpha_).tolist() == np.flatnonzero(
        dense.alphas_ == dense.alpha_).tolist()
    assert sparse.alpha_ == pytest.approx(dense.alpha_, rel=1e-13)


def test_elasticnetcv_list_of_ratios_matches_sklearn(rng):
    X, y = make_regression(rng, 70, 15)
    folds = list(KFold(4, shuffle=True, random_state=0).split(X))
    kwargs = dict(l1_ratio=[0.2, 0.6, 1.0], cv=folds, tol=1e-10, max_iter=10**5)
    ours = ElasticNetCV(**kwargs).fit(X, y)
    ref = sk.ElasticNetCV(**kwargs).fit(X, y)
    assert ours.mse_path_.shape == ref.mse_path_.shape == (3, 100, 4)
    np.testing.assert_allclose(ours.alphas_, ref.alphas_, rtol=1e-12)
    # Small alphas with a small l1_ratio are ill-conditioned: equal objectives to
    # 1e-10 still leave test errors that differ in the 5th digit.
    np.testing.assert_allclose(ours.mse_path_, ref.mse_path_, rtol=1e-4)
    assert ours.l1_ratio_ == ref.l1_ratio_
    assert ours.alpha_ == pytest.approx(ref.alpha_)


def test_one_standard_error_rule_by_definition(rng):
    X, y = make_regression(rng, 100, 40, noise=3.0)
    model = LassoCV(rule="1se", tol=1e-8).fit(X, y)
    expected = one_se_by_definition(model.alphas_, model.mse_path_)
    assert model.alpha_1se_ == expected == model.alpha_
    assert model.alpha_min_ == model.alphas_[np.argmin(model.mse_path_.mean(axis=1))]
    assert model.alpha_1se_ >= model.alpha_min_
    # The final model is the lasso at the 1-SE alpha, fitted on all the data.
    ref = Lasso(alpha=model.alpha_, tol=1e-8).fit(X, y)
    np.testing.assert_allclose(model.coef_, ref.coef_, atol=1e-6)
    assert np.count_nonzero(model.coef_) <= np.count_nonzero(
        Lasso(alpha=model.alpha_min_, tol=1e-8).fit(X, y).coef_
    )


def test_one_standard_error_rule_function():
    alphas = np.array([10.0, 5.0, 1.0, 0.5])
    mean = np.array([4.0, 2.2, 2.0, 2.1])
    se = np.array([0.1, 0.1, 0.3, 0.1])
    assert one_standard_error_rule(alphas, mean, se) == (2, 1)
    # Ties in the minimum go to the larger alpha.
    assert one_standard_error_rule(alphas, [3.0, 2.0, 2.0, 5.0], np.zeros(4)) == (1, 1)
    with pytest.raises(ValueError, match="NaN"):
        one_standard_error_rule(alphas, np.full(4, np.nan), se)


def test_cv_curve_keeps_mean_and_standard_error():
    errors = np.array([[1.0, 3.0], [2.0, 2.0], [0.0, 6.0]])
    curve = CVCurve(np.array([3.0, 2.0, 1.0]), errors)
    np.testing.assert_allclose(curve.mean, [2.0, 2.0, 3.0])
    np.testing.assert_allclose(curve.standard_error, [1.0, 0.0, 3.0])
    assert curve.alpha_min == 3.0


def test_parallel_folds_and_random_state_reproduce(rng):
    X, y = make_regression(rng, 80, 20)
    serial = ElasticNetCV(l1_ratio=[0.5, 1.0], cv=4).fit(X, y)
    threaded = ElasticNetCV(l1_ratio=[0.5, 1.0], cv=4, n_jobs=2).fit(X, y)
    np.testing.assert_array_equal(serial.mse_path_, threaded.mse_path_)
    a = LassoCV(selection="random", random_state=3, cv=3).fit(X, y)
    b = LassoCV(selection="random", random_state=3, cv=3).fit(X, y)
    np.testing.assert_array_equal(a.mse_path_, b.mse_path_)
    np.testing.assert_array_equal(a.coef_, b.coef_)


def test_verbose_shows_fold_progress(rng, capsys):
    X, y = make_regression(rng, 40, 5)
    LassoCV(cv=3, verbose=1).fit(X, y)
    assert capsys.readouterr().err.count("[LassoCV]") == 3


def test_penalty_weights_pass_through_to_the_final_model(rng):
    X, y = make_regression(rng, 60, 10)
    v = np.r_[0.0, np.ones(9)]
    model = ElasticNetCV(l1_ratio=0.7, penalty_weights=v, cv=3).fit(X, y)
    ref = ElasticNet(alpha=model.alpha_, l1_ratio=0.7, penalty_weights=v).fit(X, y)
    np.testing.assert_allclose(model.coef_, ref.coef_, atol=1e-8)
    assert model.coef_[0] != 0.0


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"alphas": []}, "empty"),
        ({"alphas": [1.0, -0.1]}, ">= 0"),
        ({"cv": 50}, "only 30 samples"),
        ({"cv": 1}, ">= 2"),
        ({"rule": "2se"}, "rule"),
    ],
)
def test_lassocv_bad_input(rng, kwargs, message):
    X, y = make_regression(rng, 30, 5)
    with pytest.raises(ValueError, match=message):
        LassoCV(**kwargs).fit(X, y)


def test_increasing_grid_is_accepted_and_solved_decreasing(rng):
    X, y = make_regression(rng, 40, 5)
    model = LassoCV(alphas=[0.01, 0.1, 1.0], cv=3).fit(X, y)
    np.testing.assert_allclose(model.alphas_, [1.0, 0.1, 0.01])


# -- logistic ----------------------------------------------------------------------------


@_SKLEARN_18
def test_logisticregressioncv_l2_matches_sklearn(rng):
    X, y = make_classification(rng, 150, 8)
    ours = LogisticRegressionCV(Cs=8, tol=1e-10, max_iter=1000, **_NEW).fit(X, y)
    ref = sk.LogisticRegressionCV(
        Cs=8,
        l1_ratios=(0.0,),
        scoring="accuracy",
        tol=1e-10,
        max_iter=10000,
        use_legacy_attributes=False,
    ).fit(X, y)
    np.testing.assert_allclose(ours.Cs_, ref.Cs_)
    np.testing.assert_allclose(ours.scores_, ref.scores_, atol=1e-12)
    assert ours.C_ == ref.C_
    np.testing.assert_allclose(ours.coef_, ref.coef_, rtol=1e-5, atol=1e-6)
    assert ours.coefs_paths_.shape == ref.coefs_paths_.shape


@_SKLEARN_18
def test_logisticregressioncv_log_loss_l1_against_saga_fold_fits(rng):
    # saga reaches the L1 optimum on this small, well-conditioned problem.
    X, y = make_classification(rng, 120, 6)
    X = (X - X.mean(0)) / X.std(0)
    Cs = np.logspace(-2, 1, 4)
    ours = LogisticRegressionCV(
        Cs=Cs,
        l1_ratios=[1.0],
        scoring="neg_log_loss",
        cv=3,
        tol=1e-10,
        max_iter=1000,
        use_legacy_attributes=False,
    ).fit(X, y)
    ref = sk.LogisticRegressionCV(
        Cs=Cs,
        l1_ratios=[1.0],
        scoring="neg_log_loss",
        cv=3,
        solver="saga",
        tol=1e-10,
        max_iter=10**5,
        use_legacy_attributes=False,
    ).fit(X, y)
    # At the smallest C every weight is 0, and the optimum is the intercept-only model
    # (the training base rate): exact here, where saga crawls (its intercept step is
    # scaled by C). The other Cs are compared with saga.
    np.testing.assert_allclose(ours.scores_[:, :, 1:], ref.scores_[:, :, 1:], rtol=1e-4)
    assert np.all(ours.coefs_paths_[:, 0, 0, 0, :-1] == 0.0)
    from sklearn.model_selection import StratifiedKFold

    for k, (train, test) in enumerate(StratifiedKFold(3).split(X, y)):
        rate = y[train].mean()
        base = np.mean(y[test] * np.log(rate) + (1 - y[test]) * np.log(1 - rate))
        assert ours.scores_[k, 0, 0] == pytest.approx(base, rel=1e-8)


@_SKLEARN_18
def test_logisticregressioncv_multinomial_and_legacy_layout(rng):
    from sklearn.datasets import load_iris

    X, y = load_iris(return_X_y=True)
    X = (X - X.mean(0)) / X.std(0)
    ours = LogisticRegressionCV(
        Cs=4, tol=1e-10, max_iter=1000, l1_ratios=(0.0,), scoring=None, use_legacy_attributes=True
    )
    ours.fit(X, y)
    ref = sk.LogisticRegressionCV(
        Cs=4,
        l1_ratios=(0.0,),
        scoring="accuracy",
        tol=1e-10,
        max_iter=10000,
        use_legacy_attributes=True,
    ).fit(X, y)
    np.testing.assert_allclose(ours.C_, ref.C_)
    for label in ref.scores_:
        assert ours.scores_[label].shape == ref.scores_[label].shape
        np.testing.assert_allclose(ours.scores_[label], ref.scores_[label])
        assert ours.coefs_paths_[label].shape == ref.coefs_paths_[label].shape
    assert ours.n_iter_.shape == ref.n_iter_.shape


def test_logisticregressioncv_one_se_takes_smaller_C(rng):
    X, y = make_classification(rng, 200, 15)
    model = LogisticRegressionCV(
        Cs=12, l1_ratios=[1.0], scoring="neg_log_loss", rule="1se", use_legacy_attributes=False
    )
    model.fit(X, y)
    errors = -model.scores_[:, 0].T  # (n_cs, n_folds)
    mean = errors.mean(axis=1)
    se = errors.std(axis=1, ddof=1) / np.sqrt(errors.shape[1])
    best = np.argmin(mean)
    assert model.C_ == model.Cs_[mean <= mean[best] + se[best]].min()
    assert model.C_ <= model.C_min_


@_SKLEARN_18
def test_logisticregressioncv_one_class_fold():
    X = np.arange(20, dtype=float).reshape(-1, 1)
    y = np.r_[np.zeros(10), np.ones(10)]
    folds = [(np.arange(10), np.arange(10, 20)), (np.arange(10, 20), np.arange(10))]
    # As scikit-learn: a training fold with one class still fits (its intercept runs off
    # towards the unbounded optimum until the tolerance stops it) and is scored.
    model = LogisticRegressionCV(cv=folds, Cs=3, **_NEW).fit(X, y)
    ref = sk.LogisticRegressionCV(cv=folds, Cs=3, **_NEW).fit(X, y)
    assert np.isfinite(model.coefs_paths_).all()
    np.testing.assert_array_equal(model.scores_, ref.scores_)  # accuracy 0 on every fold
    assert model.C_ == ref.C_


def test_logisticregressioncv_sparse_input(rng):
    X, y = make_classification(rng, 100, 10)
    dense = LogisticRegressionCV(
        Cs=5, l1_ratios=[0.5], cv=3, scoring=None, use_legacy_attributes=False
    ).fit(X, y)
    sparse = LogisticRegressionCV(
        Cs=5, l1_ratios=[0.5], cv=3, scoring=None, use_legacy_attributes=False
    ).fit(sp.csr_matrix(X), y)
    np.testing.assert_allclose(dense.scores_, sparse.scores_)


@pytest.mark.parametrize("offset", [0.0, 1e4])
def test_fold_moments_equal_refitting_each_fold(rng, offset):
    # Tall dense data: training moments are total − fold (one Gram for all folds).
    X, y = make_regression(rng, 300, 12)
    X = X + offset  # large column means must not cost digits
    s = rng.uniform(0.5, 2.0, 300)
    fast = ElasticNetCV(l1_ratio=[0.5, 1.0], cv=4, tol=1e-10).fit(X, y, sample_weight=s)
    slow = ElasticNetCV(l1_ratio=[0.5, 1.0], cv=4, tol=1e-10, precompute=False)
    slow.fit(X, y, sample_weight=s)
    np.testing.assert_allclose(fast.mse_path_, slow.mse_path_, rtol=1e-6)
    np.testing.assert_allclose(fast.coef_, slow.coef_, rtol=1e-6, atol=1e-8)
    assert fast.intercept_ == pytest.approx(slow.intercept_, rel=1e-7)


@pytest.mark.parametrize(("n", "p"), [(100, 120), (150, 100)])
def test_fold_moments_when_n_is_near_p(rng, n, p):
    # From n_train >= p/2 the folds solve Gram paths from moments (total − fold), with
    # the path's active-set steps; a correlated design with n_train < p makes G_AA
    # singular near the end of the path.
    X = np.empty((n, p))
    X[:, 0] = rng.standard_normal(n)
    for j in range(1, p):
        X[:, j] = 0.8 * X[:, j - 1] + 0.6 * rng.standard_normal(n)
    y = X[:, ::7] @ rng.standard_normal(len(range(0, p, 7))) + 0.5 * rng.standard_normal(n)
    folds = list(KFold(5).split(X))
    moments = LassoCV(cv=5)._fold_moments(np.asfortranarray(X), y, np.full(n, 1 / n), folds)
    assert moments is not None
    fast = LassoCV(cv=5, tol=1e-10, max_iter=10**5).fit(X, y)
    slow = LassoCV(cv=5, tol=1e-10, max_iter=10**5, precompute=False).fit(X, y)
    ref = sk.LassoCV(cv=5, tol=1e-10, max_iter=10**5).fit(X, y)
    for other in (slow, ref):
        np.testing.assert_allclose(fast.mse_path_, other.mse_path_, rtol=1e-5)
        assert fast.alpha_ == pytest.approx(other.alpha_)
        np.testing.assert_allclose(fast.coef_, other.coef_, atol=1e-5)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_tall_folds_score_from_moments_as_sklearn(rng, dtype):
    # p <= n_test: each fold's test MSE comes from its moments (no predictions), the
    # folds shuffled (moments gathered by rows); float32 X is summed in float64.
    X, y = make_regression(rng, 400, 15)
    X = (X + 3.0).astype(dtype)
    s = rng.uniform(0.5, 2.0, 400)
    cv = KFold(5, shuffle=True, random_state=0)
    ours = LassoCV(cv=cv, tol=1e-10, max_iter=10**5).fit(X, y, sample_weight=s)
    ref = sk.LassoCV(cv=cv, tol=1e-10, max_iter=10**5)
    ref.fit(X.astype(np.float64), y, sample_weight=s)
    np.testing.assert_allclose(ours.mse_path_, ref.mse_path_, rtol=1e-6)
    assert ours.alpha_ == pytest.approx(ref.alpha_)
    np.testing.assert_allclose(ours.coef_, ref.coef_, atol=1e-5)
