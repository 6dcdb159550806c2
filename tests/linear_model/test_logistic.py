"""LogisticRegression against scikit-learn and the KKT conditions."""

import warnings

import numpy as np
import pytest
import sklearn
import sklearn.linear_model as sk
from conftest import logistic_objective, make_classification
from sklearn.datasets import load_iris
from sklearn.preprocessing import StandardScaler

from shrinkage import LogisticRegression


@pytest.mark.parametrize("C", [0.05, 1.0, 20.0])
def test_l2_matches_sklearn_lbfgs(rng, C):
    X, y = make_classification(rng)
    ours = LogisticRegression(C=C, tol=1e-8).fit(X, y)
    ref = sk.LogisticRegression(C=C, tol=1e-10, max_iter=10**4).fit(X, y)
    np.testing.assert_allclose(ours.coef_, ref.coef_, atol=1e-5)
    np.testing.assert_allclose(ours.intercept_, ref.intercept_, atol=1e-5)
    np.testing.assert_allclose(ours.predict_proba(X), ref.predict_proba(X), atol=1e-6)


@pytest.mark.parametrize("l1_ratio", [1.0, 0.5])
@pytest.mark.parametrize("C", [0.02, 0.3])
def test_l1_and_enet_objective_no_worse_than_sklearn(rng, l1_ratio, C):
    X, y = make_classification(rng)
    n = len(y)
    alpha = 1 / (C * n)
    ours = LogisticRegression(C=C, l1_ratio=l1_ratio, tol=1e-8).fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # saga may stop at its max_iter
        ref = sk.LogisticRegression(
            C=C, l1_ratio=l1_ratio, solver="saga", tol=1e-12, max_iter=20_000
        ).fit(X, y)
    f = logistic_objective(X, y, ours.coef_[0], ours.intercept_[0], alpha, l1_ratio)
    f_ref = logistic_objective(X, y, ref.coef_[0], ref.intercept_[0], alpha, l1_ratio)
    assert f <= f_ref + 1e-10
    assert np.count_nonzero(ours.coef_) < X.shape[1]  # L1 part gives exact zeros
    # KKT, computed here from scratch
    p = 1 / (1 + np.exp(-(X @ ours.coef_[0] + ours.intercept_[0])))
    neg_grad = X.T @ (y - p) / n - alpha * (1 - l1_ratio) * ours.coef_[0]
    l1 = alpha * l1_ratio
    viol = np.where(
        ours.coef_[0] != 0,
        np.abs(neg_grad - l1 * np.sign(ours.coef_[0])),
        np.maximum(np.abs(neg_grad) - l1, 0),
    )
    assert viol.max() < 1e-7
    assert abs(np.mean(y - p)) < 1e-7
    assert 0 <= ours.dual_gap_ < 1e-8


def test_string_labels_and_class_order(rng):
    X, y = make_classification(rng)
    labels = np.where(y == 1, "yes", "no")
    model = LogisticRegression(C=0.5).fit(X, labels)
    np.testing.assert_array_equal(model.classes_, ["no", "yes"])
    ref = sk.LogisticRegression(C=0.5, tol=1e-10).fit(X, labels)
    assert np.mean(model.predict(X) == ref.predict(X)) == 1.0


def test_multinomial_matches_sklearn():
    X, y = load_iris(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    ours = LogisticRegression(C=0.5, tol=1e-8, max_iter=500).fit(X, y)
    ref = sk.LogisticRegression(C=0.5, tol=1e-10, max_iter=10**4).fit(X, y)
    assert ours.coef_.shape == (3, 4)
    np.testing.assert_allclose(ours.predict_proba(X), ref.predict_proba(X), atol=1e-5)
    np.testing.assert_allclose(ours.coef_, ref.coef_, atol=1e-4)
    np.testing.assert_allclose(ours.intercept_, ref.intercept_, atol=1e-4)


def test_multinomial_l1_is_sparse_and_optimal():
    X, y = load_iris(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    C, n = 0.05, len(y)
    ours = LogisticRegression(C=C, l1_ratio=1.0, tol=1e-8, max_iter=500).fit(X, y)
    assert np.count_nonzero(ours.coef_ == 0) > 0
    eta = X @ ours.coef_.T + ours.intercept_
    P = np.exp(eta - eta.max(1, keepdims=True))
    P /= P.sum(1, keepdims=True)
    Y = np.eye(3)[y]
    neg_grad = X.T @ (Y - P) / n  # (p, K)
    l1 = 1 / (C * n)
    B = ours.coef_.T
    viol = np.where(
        B != 0, np.abs(neg_grad - l1 * np.sign(B)), np.maximum(np.abs(neg_grad) - l1, 0)
    )
    assert viol.max() < 1e-6


@pytest.mark.skipif(
    tuple(int(v) for v in sklearn.__version__.split(".")[:2]) < (1, 7),
    reason="scikit-learn < 1.7 ignores sample_weight in class_weight='balanced'; ours is 1.7+'s",
)
def test_sample_and_class_weights_match_sklearn(rng):
    X, y = make_classification(rng)
    w = rng.uniform(0.2, 2.0, size=len(y))
    ours = LogisticRegression(C=0.3, tol=1e-8, class_weight="balanced").fit(X, y, sample_weight=w)
    ref = sk.LogisticRegression(C=0.3, tol=1e-10, class_weight="balanced", max_iter=10**4).fit(
        X, y, sample_weight=w
    )
    np.testing.assert_allclose(ours.coef_, ref.coef_, atol=1e-5)


def test_unpenalized_with_C_inf(rng):
    X, y = make_classification(rng, n=300, p=5)
    ours = LogisticRegression(C=np.inf, tol=1e-8).fit(X, y)
    ref = sk.LogisticRegression(C=np.inf, tol=1e-10, max_iter=10**4).fit(X, y)
    np.testing.assert_allclose(ours.coef_, ref.coef_, rtol=1e-4)


def test_deprecated_penalty_wins_with_sklearns_warnings(rng):
    # scikit-learn 1.9: the deprecated penalty wins over l1_ratio, with a FutureWarning
    # and a UserWarning about the inconsistency (it used to be an error here).
    X, y = make_classification(rng)
    with pytest.warns(FutureWarning, match="deprecated"), pytest.warns(
        UserWarning, match="Inconsistent values"
    ):
        model = LogisticRegression(penalty="l1", C=0.1).fit(X, y)
    assert np.any(model.coef_ == 0)
    with pytest.warns(FutureWarning), pytest.warns(UserWarning, match="only used when"), (
        pytest.warns(UserWarning, match="Inconsistent values")
    ):
        l2 = LogisticRegression(penalty="l2", l1_ratio=0.5).fit(X, y)
    np.testing.assert_allclose(l2.coef_, LogisticRegression(l1_ratio=0.0).fit(X, y).coef_)


def test_single_class_is_a_clear_error(rng):
    X = rng.normal(size=(10, 3))
    with pytest.raises(ValueError, match="only one class"):
        LogisticRegression().fit(X, np.ones(10))
