"""LinearModelBase: tags, predict, the Dask hook, coefficient shapes and the y check.

References are scikit-learn's own estimators (shapes, dtypes, MRO conventions) and
closed forms, never shrinkage's output.
"""

import numpy as np
import pytest
import scipy.sparse as sp
import sklearn.linear_model as skl
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin, is_classifier

import shrinkage.linear_model as lm
from shrinkage.linear_model import _base
from shrinkage.linear_model._base import (
    LinearClassifierMixin,
    LinearModelBase,
    check_finite_target,
    store_coef,
)

REGRESSORS = [
    lm.Lasso(alpha=0.1),
    lm.ElasticNet(alpha=0.1),
    lm.Ridge(),
    lm.LassoCV(alphas=5, cv=3),
    lm.ElasticNetCV(alphas=5, cv=3),
    lm.RidgeCV(),
    lm.LassoIC(),
    lm.RelaxedLasso(alpha=0.1),
    lm.RelaxedLassoCV(alphas=5, cv=3),
]
CLASSIFIERS = [
    lm.LogisticRegression(),
    lm.LogisticRegressionCV(Cs=3, cv=3, l1_ratios=(0.0,), use_legacy_attributes=False),
]


def _ids(estimators):
    return [type(e).__name__ for e in estimators]


@pytest.mark.parametrize("estimator", REGRESSORS + CLASSIFIERS, ids=_ids(REGRESSORS + CLASSIFIERS))
def test_every_estimator_shares_the_base_with_mixins_first(estimator):
    mro = type(estimator).__mro__
    assert isinstance(estimator, LinearModelBase)
    # scikit-learn's convention: mixins before the base classes, BaseEstimator last.
    assert mro.index(BaseEstimator) > mro.index(LinearModelBase)
    mixin = ClassifierMixin if is_classifier(estimator) else RegressorMixin
    assert mro.index(mixin) < mro.index(LinearModelBase)
    assert estimator.__sklearn_tags__().input_tags.sparse
    if is_classifier(estimator):
        assert isinstance(estimator, LinearClassifierMixin)


@pytest.mark.parametrize(
    "ours, theirs",
    [(lm.Lasso(), skl.Lasso()), (lm.Ridge(), skl.Ridge()), (lm.RidgeCV(), skl.RidgeCV())],
    ids=["Lasso", "Ridge", "RidgeCV"],
)
def test_multi_output_tag_as_scikit_learn(ours, theirs):
    assert (
        ours.__sklearn_tags__().target_tags.multi_output
        == theirs.__sklearn_tags__().target_tags.multi_output
    )


@pytest.mark.parametrize("estimator", REGRESSORS + CLASSIFIERS, ids=_ids(REGRESSORS + CLASSIFIERS))
def test_every_fit_goes_through_the_one_dask_hook(estimator, monkeypatch):
    """The base's hook is the only way to the distributed engine: whatever it returns
    is what ``fit`` returns, before any validation."""
    calls = []
    sentinel = object()

    def fake(est, X, y, sample_weight=None, **kwargs):
        calls.append((est, X, y, sample_weight))
        return sentinel

    monkeypatch.setattr(_base, "dask_fit", fake)
    X, y, w = "X", "y", "w"  # not even arrays: nothing else may look at them
    assert estimator.fit(X, y, sample_weight=w) is sentinel
    assert calls == [(estimator, X, y, w)]


def test_predict_is_the_linear_function(rng):
    X = rng.normal(size=(40, 6))
    y = X @ rng.normal(size=6) + 3.0
    for model in (lm.Lasso(alpha=0.01), lm.Ridge(), lm.ElasticNetCV(alphas=4, cv=3)):
        model.fit(X, y)
        np.testing.assert_allclose(model.predict(X), X @ model.coef_ + model.intercept_)
        np.testing.assert_allclose(
            model.predict(sp.csr_matrix(X)), X @ model.coef_ + model.intercept_
        )


def test_classifier_mixin_matches_closed_forms(rng):
    X = rng.normal(size=(60, 4))
    y3 = rng.integers(0, 3, 60)
    model = lm.LogisticRegression(C=0.5).fit(X, y3)
    scores = X @ model.coef_.T + model.intercept_
    np.testing.assert_allclose(model.decision_function(X), scores)
    expected = np.exp(scores - scores.max(axis=1, keepdims=True))
    expected /= expected.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(model.predict_proba(X), expected)
    np.testing.assert_array_equal(model.predict(X), model.classes_[scores.argmax(axis=1)])
    y2 = (X[:, 0] > 0).astype(int)
    binary = lm.LogisticRegression().fit(X, y2)
    eta = X @ binary.coef_[0] + binary.intercept_[0]
    np.testing.assert_allclose(binary.predict_proba(X)[:, 1], 1 / (1 + np.exp(-eta)))
    np.testing.assert_allclose(binary.predict_log_proba(X), np.log(binary.predict_proba(X)))


@pytest.mark.parametrize("y_shape", [(30,), (30, 1), (30, 3)])
@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name", ["Ridge", "ElasticNet"])
def test_coefficient_shapes_and_dtypes_as_scikit_learn(rng, y_shape, fit_intercept, dtype, name):
    X = rng.normal(size=(30, 5)).astype(dtype)
    y = rng.normal(size=y_shape).astype(dtype)
    ours = getattr(lm, name)(fit_intercept=fit_intercept).fit(X, y)
    theirs = getattr(skl, name)(fit_intercept=fit_intercept).fit(X, y)
    assert ours.coef_.shape == theirs.coef_.shape
    assert ours.coef_.dtype == theirs.coef_.dtype
    assert np.shape(ours.intercept_) == np.shape(theirs.intercept_)
    if fit_intercept:
        assert np.asarray(ours.intercept_).dtype == np.asarray(theirs.intercept_).dtype


def test_store_coef_without_squeeze_keeps_one_row():
    est = lm.Ridge()
    store_coef(est, np.ones((1, 4)), np.array([2.0]), 2, np.float32, squeeze=False)
    assert est.coef_.shape == (1, 4) and est.intercept_.shape == (1,)
    est = lm.Ridge(fit_intercept=False)
    store_coef(est, np.ones((1, 4)), np.array([2.0]), 1, np.float64)
    assert est.coef_.shape == (4,) and est.intercept_ == 0.0


@pytest.mark.parametrize("bad, word", [(np.nan, "NaN"), (np.inf, "infinity")])
@pytest.mark.parametrize(
    "estimator", [lm.Lasso(), lm.Ridge(), lm.RidgeCV(), lm.LassoCV(cv=3), lm.LassoIC()], ids=str
)
def test_non_finite_target_is_refused_with_the_fix(rng, estimator, bad, word):
    X = rng.normal(size=(20, 3))
    y = rng.normal(size=20)
    y[4] = bad
    # scikit-learn's validation sees the NaN first for some; either way the message starts
    # with scikit-learn's words.
    with pytest.raises(ValueError, match=f"Input y contains {word}"):
        estimator.fit(X, y)


def test_check_finite_target_overflow_only_when_asked():
    y = np.array([1.0, 1e200])
    np.testing.assert_array_equal(check_finite_target(y), y)
    with pytest.raises(ValueError, match="overflow"):
        check_finite_target(y, check_overflow=True)
