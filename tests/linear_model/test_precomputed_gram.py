"""A user's Gram matrix (``precompute=XᵀX``) in the paths and the CV estimators, as
scikit-learn accepts it: checked, then the same answers as without it."""

import warnings

import numpy as np
import pytest
from sklearn import linear_model as sk

import shrinkage as sh


@pytest.fixture
def centred():
    rng = np.random.RandomState(0)
    X = rng.randn(60, 7)
    X -= X.mean(axis=0)  # the paths fit no intercept: scikit-learn's Gram is of this X
    y = X @ rng.randn(7) + rng.randn(60)
    return X, y - y.mean()


@pytest.mark.parametrize("path", ["lasso_path", "enet_path"])
def test_paths_take_a_gram_matrix_like_sklearn(centred, path):
    X, y = centred
    gram, alphas = X.T @ X, np.geomspace(1.0, 1e-3, 8)
    ours = getattr(sh, path)(X, y, precompute=gram, Xy=X.T @ y, alphas=alphas, tol=1e-12)
    ref = getattr(sk, path)(X, y, precompute=gram, Xy=X.T @ y, alphas=alphas, tol=1e-12,
                            max_iter=10**5)
    np.testing.assert_allclose(ours[0], ref[0])
    np.testing.assert_allclose(ours[1], ref[1], rtol=1e-7, atol=1e-9)


def test_path_refuses_a_gram_matrix_of_other_data(centred):
    X, y = centred
    with pytest.raises(ValueError, match="did not pass validation"):
        sh.enet_path(X, y, precompute=2 * X.T @ X, alphas=[0.1])
    with pytest.raises(ValueError, match=r"shape \(3, 3\), expected \(7, 7\)"):
        sh.lasso_path(X, y, precompute=np.eye(3), alphas=[0.1])
    with pytest.raises(ValueError, match="standardize=True"):
        sh.regularization_path(X, y, precompute=X.T @ X, standardize=True)


@pytest.mark.parametrize("estimator", ["LassoCV", "ElasticNetCV"])
def test_cv_estimators_take_a_gram_matrix(estimator):
    rng = np.random.RandomState(1)
    X = rng.randn(80, 6) + 3.0  # uncentred: the folds and the refit form their own
    y = X @ rng.randn(6) + rng.randn(80)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # ("recomputing Gram matrix")
        ours = getattr(sh, estimator)(cv=3, tol=1e-12, precompute=X.T @ X).fit(X, y)
    plain = getattr(sh, estimator)(cv=3, tol=1e-12).fit(X, y)
    ref = getattr(sk, estimator)(cv=3, tol=1e-12, max_iter=10**5).fit(X, y)
    assert ours.alpha_ == plain.alpha_
    np.testing.assert_allclose(ours.coef_, plain.coef_, rtol=1e-10, atol=1e-12)
    assert ours.alpha_ == pytest.approx(ref.alpha_, rel=1e-10)
    np.testing.assert_allclose(ours.mse_path_, ref.mse_path_, rtol=1e-6)


def test_cv_refuses_a_gram_matrix_of_the_wrong_shape_before_any_fold():
    rng = np.random.RandomState(2)
    X, y = rng.randn(30, 4), rng.randn(30)
    with pytest.raises(ValueError, match=r"shape \(3, 3\), expected \(4, 4\)"):
        sh.LassoCV(cv=3, precompute=np.eye(3)).fit(X, y)
