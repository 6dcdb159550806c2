"""At equal ``tol``, LogisticRegression and LogisticRegressionCV's path are as close to
the optimum as scikit-learn, whatever the start (a fresh fit or a warm-started path).

References: scikit-learn's ``newton-cholesky`` and ``saga`` run to a tight ``tol``.
"""

import warnings

import numpy as np
import pytest
import sklearn.linear_model as skl
from sklearn.datasets import load_iris, make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import StratifiedKFold
from sklearn_versions import elastic_net_logistic

import shrinkage


def _newton_reference(C, X, y):
    """scikit-learn's newton-cholesky to a tight tol (its line search may hand over to
    lbfgs at the end, with a warning: rounding, not an inaccurate answer)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return skl.LogisticRegression(C=C, solver="newton-cholesky", tol=1e-12, max_iter=1000).fit(
            X, y
        )


@pytest.mark.parametrize("C", [1e-4, 215.44, 1e4])
def test_multinomial_l2_converges_on_unscaled_iris(C):
    # A weak penalty on unscaled features: L-BFGS needed far more than max_iter=100
    # iterations for tol=1e-8 (and warned); Newton's method takes ~10-20.
    X, y = load_iris(return_X_y=True)
    ours = shrinkage.LogisticRegression(C=C, tol=1e-8).fit(X, y)  # warnings are errors
    ref = _newton_reference(C, X, y)
    np.testing.assert_allclose(ours.coef_, ref.coef_, rtol=1e-5)
    np.testing.assert_allclose(ours.intercept_, ref.intercept_, rtol=1e-5)


def test_multinomial_cv_path_equals_fresh_fits():
    X, y = load_iris(return_X_y=True)
    cv = StratifiedKFold(5)
    lrcv = shrinkage.LogisticRegressionCV(
        Cs=[1e-2, 1.0, 215.44],
        tol=1e-8,
        cv=cv,
        use_legacy_attributes=True,
        l1_ratios=(0,),
        scoring="neg_log_loss",
    ).fit(X, y)
    train = next(cv.split(X, y))[0]
    for i, C in enumerate(lrcv.Cs_):
        ref = _newton_reference(C, X[train], y[train])
        for k, label in enumerate(lrcv.classes_):
            path = lrcv.coefs_paths_[label][0, i, 0]
            np.testing.assert_allclose(path[:-1], ref.coef_[k], rtol=1e-5)
            np.testing.assert_allclose(path[-1], ref.intercept_[k], rtol=1e-5)


@pytest.mark.parametrize(("C", "l1_ratio"), [(10.0, 0.1), (1.0, 0.9)])
def test_binary_elastic_net_accurate_at_a_loose_tol(C, l1_ratio):
    # Redundant (collinear) features make the objective flat: the KKT test alone
    # (largest violation <= tol) stopped 60% (relative) from the minimizer at tol=1e-3,
    # where scikit-learn's saga is within 2-40%.
    X, y = make_classification(n_samples=400, random_state=0)
    ours = shrinkage.LogisticRegression(C=C, l1_ratio=l1_ratio, solver="saga", tol=1e-3)
    ours.fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ref = skl.LogisticRegression(
            C=C, solver="saga", tol=1e-12, max_iter=200_000, **elastic_net_logistic(l1_ratio)
        ).fit(X, y)
    scale = np.max(np.abs(ref.coef_))
    assert np.max(np.abs(ours.coef_ - ref.coef_)) / scale < 1e-2
    # The CV path (warm started along Cs, compiled) stops by the same two tests.
    lrcv = shrinkage.LogisticRegressionCV(
        Cs=[C / 10, C], l1_ratios=[l1_ratio], cv=[(np.arange(400), np.arange(400))],
        solver="saga", tol=1e-3, use_legacy_attributes=True, scoring="neg_log_loss",
    ).fit(X, y)  # fmt: skip
    path = lrcv.coefs_paths_[1][0, 1, 0]
    assert np.max(np.abs(path[:-1] - ref.coef_[0])) / scale < 1e-2
