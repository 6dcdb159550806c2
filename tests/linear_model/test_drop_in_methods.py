"""Methods and attributes scikit-learn's linear models have, on shrinkage's: the static
``path`` of each estimator (the same function scikit-learn binds, so the same call gives
the same path), ``sparsify``/``densify`` on LogisticRegressionCV, ``MultiTaskLasso.l1_ratio``."""

import numpy as np
import pytest
from sklearn import linear_model as sk

import shrinkage as sh

ESTIMATORS = [
    "Lasso", "ElasticNet", "LassoCV", "ElasticNetCV",
    "MultiTaskLasso", "MultiTaskElasticNet", "MultiTaskLassoCV", "MultiTaskElasticNetCV",
]


@pytest.mark.parametrize("name", ESTIMATORS)
def test_static_path_is_sklearns(name):
    rng = np.random.RandomState(21)
    X = rng.randn(30, 5)
    y = X @ rng.randn(5) + rng.randn(30)
    if name.startswith("MultiTask"):
        y = np.c_[y, -y + rng.randn(30)]
    alphas = np.array([0.1, 0.01])
    ours = getattr(sh, name).path(X, y, alphas=alphas, tol=1e-12)
    ref = getattr(sk, name).path(X, y, alphas=alphas, tol=1e-12, max_iter=10**5)
    np.testing.assert_allclose(ours[0], ref[0])
    np.testing.assert_allclose(ours[1], ref[1], rtol=1e-8, atol=1e-10)


def test_logistic_regression_cv_sparsify_densify():
    rng = np.random.RandomState(0)
    X = rng.randn(60, 8)
    y = X[:, 0] + 0.5 * rng.randn(60) > 0
    model = sh.LogisticRegressionCV(
        Cs=4, cv=3, l1_ratios=(1.0,), scoring="neg_log_loss", use_legacy_attributes=False
    ).fit(X, y)
    dense_scores, dense_proba = model.decision_function(X), model.predict_proba(X)
    assert model.sparsify() is model and hasattr(model.coef_, "toarray")
    np.testing.assert_array_equal(model.decision_function(X), dense_scores)
    np.testing.assert_array_equal(model.predict_proba(X), dense_proba)
    assert model.densify() is model and isinstance(model.coef_, np.ndarray)


def test_multitask_lasso_l1_ratio_is_one_and_not_a_parameter():
    assert sh.MultiTaskLasso().l1_ratio == sk.MultiTaskLasso().l1_ratio == 1.0
    assert "l1_ratio" not in sh.MultiTaskLasso().get_params()
