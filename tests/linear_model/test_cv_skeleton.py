"""The CV skeleton (LinearModelCV) and the public alpha grid.

References: scikit-learn's LassoCV/ElasticNetCV grids, the closed-form ``alpha_max``,
and hand-computed choices on made-up curves.
"""

import numpy as np
import pytest
import scipy.sparse as sp
import sklearn.linear_model as skl
from sklearn_versions import grid_size

import shrinkage.linear_model as lm
from shrinkage.linear_model._cv import LinearModelCV, elastic_net_alpha_grid
from shrinkage.selection import CVCurve


@pytest.mark.parametrize(
    "estimator",
    [lm.ElasticNetCV(), lm.LassoCV(), lm.RidgeCV(), lm.RelaxedLassoCV(), lm.LogisticRegressionCV()],
    ids=lambda e: type(e).__name__,
)
def test_all_cv_estimators_share_the_skeleton(estimator):
    assert isinstance(estimator, LinearModelCV)


@pytest.mark.parametrize("l1_ratio", [1.0, 0.5])
@pytest.mark.parametrize("sparse", [False, True])
def test_grid_equals_scikit_learn(rng, l1_ratio, sparse):
    X = rng.normal(size=(50, 8))
    y = X[:, 0] * 3 + rng.normal(size=50)
    h = np.full(50, 1 / 50)
    grid = elastic_net_alpha_grid(
        sp.csr_matrix(X) if sparse else X, y, h, np.ones(8), l1_ratio, alphas=20, eps=1e-2
    )
    theirs = skl.ElasticNetCV(l1_ratio=l1_ratio, **grid_size(20), eps=1e-2, cv=3).fit(X, y).alphas_
    np.testing.assert_allclose(grid, theirs, rtol=1e-10)
    # alpha_max in closed form: max |X_cᵀ(y − ȳ)| / (n ρ)
    Xc = X - X.mean(axis=0)
    assert grid[0] == pytest.approx(np.abs(Xc.T @ (y - y.mean())).max() / (50 * l1_ratio))


def test_grid_given_values_sorted_decreasing_and_checked():
    X, y, h = np.eye(3), np.arange(3.0), np.full(3, 1 / 3)
    grid = elastic_net_alpha_grid(X, y, h, np.ones(3), 1.0, alphas=[0.1, 1.0, 0.5])
    np.testing.assert_array_equal(grid, [1.0, 0.5, 0.1])
    with pytest.raises(ValueError, match=r"alphas\[1\]"):
        elastic_net_alpha_grid(X, y, h, np.ones(3), 1.0, alphas=[0.1, -1.0])
    with pytest.raises(ValueError, match="l1_ratio"):
        elastic_net_alpha_grid(X, y, h, np.ones(3), 0.0, alphas=10)


def test_relaxed_lasso_cv_uses_the_public_grid(rng):
    X = rng.normal(size=(60, 5))
    y = X[:, 0] + rng.normal(size=60)
    model = lm.RelaxedLassoCV(alphas=7, eps=1e-2, cv=3).fit(X, y)
    expected = elastic_net_alpha_grid(X, y, np.full(60, 1 / 60), np.ones(5), 1.0, 7, 1e-2)
    np.testing.assert_array_equal(model.alphas_, expected)


class _Skeleton(LinearModelCV):
    def __init__(self, n_jobs=None, verbose=0):
        self.n_jobs = n_jobs
        self.verbose = verbose


@pytest.mark.parametrize("n_jobs", [None, 2])
def test_cross_validate_returns_results_by_setting_then_fold(n_jobs):
    folds = [(np.array([1, 2]), np.array([0])), (np.array([0, 2]), np.array([1]))]
    results = _Skeleton(n_jobs=n_jobs)._cross_validate(
        lambda s, k, train, test: (s, k, int(test[0])), folds, n_settings=3
    )
    assert results == [[(s, k, k) for k in range(2)] for s in range(3)]


def test_cross_validate_prints_progress(capsys):
    folds = [(np.array([1]), np.array([0])), (np.array([0]), np.array([1]))]
    _Skeleton(verbose=1)._cross_validate(lambda *a: None, folds)
    assert capsys.readouterr().err.count("[_Skeleton]") == 2


def test_choose_min_and_one_standard_error_by_hand():
    alphas = np.array([4.0, 2.0, 1.0])
    # setting 0: mean (3, 2, 2.5); setting 1: mean (2.5, 1, 1.2) with folds spread ±1
    a = np.array([[3.0, 3.0], [2.0, 2.0], [2.5, 2.5]])
    b = np.array([[2.5, 2.5], [0.0, 2.0], [1.2, 1.2]])
    curves = _Skeleton()._cv_curves([alphas], [a, b], "mse")
    assert all(c.parameter == "alpha" and c.larger_is_simpler for c in curves)
    assert _Skeleton()._choose(curves, "min") == (1, 1)
    # se at the minimum: sd(0, 2)/√2 = 1, so threshold 2: the largest alpha with mean <= 2
    # on setting 1 is 2.0 (index 1); 4.0 has mean 2.5.
    assert _Skeleton()._choose(curves, "1se") == (1, 1)
    b_close = np.array([[1.9, 1.9], [0.0, 2.0], [1.2, 1.2]])
    curves = _Skeleton()._cv_curves([alphas], [a, b_close], "mse")
    assert _Skeleton()._choose(curves, "1se") == (1, 0)


def test_logistic_curves_run_in_c(rng):
    X = rng.normal(size=(80, 3))
    y = (X[:, 0] + rng.normal(size=80) > 0).astype(int)
    model = lm.LogisticRegressionCV(
        Cs=[0.01, 1.0, 0.1],
        cv=3,
        l1_ratios=(0.0,),
        use_legacy_attributes=False,
        scoring="neg_log_loss",
    ).fit(X, y)
    curve = model.cv_curve_
    assert isinstance(curve, CVCurve) and curve.parameter == "C" and not curve.larger_is_simpler
    np.testing.assert_array_equal(curve.alphas, [0.01, 0.1, 1.0])
    # the curve holds -score per fold, in increasing C
    np.testing.assert_allclose(curve.fold_errors, -model.scores_[:, 0][:, [0, 2, 1]].T)


def test_refit_copies_the_final_model(rng):
    X = rng.normal(size=(40, 4))
    y = X @ np.array([1.0, 0, 0, 2.0]) + rng.normal(size=40) * 0.1
    cv = lm.LassoCV(alphas=6, cv=3, precompute=False).fit(X, y)
    final = skl.Lasso(alpha=cv.alpha_, tol=1e-10, max_iter=100_000).fit(X, y)
    np.testing.assert_allclose(cv.coef_, final.coef_, atol=1e-4)
