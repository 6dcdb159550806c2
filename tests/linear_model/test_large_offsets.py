"""Ridge with columns far from zero (``X + 1e9``) against scikit-learn (issue 11).

An uncentred Gram minus a projection cancels catastrophically at such offsets; the
decomposition must centre first. scikit-learn centres ``X`` explicitly and is the
reference here.
"""

import numpy as np
import pytest
import scipy.sparse as sp
import sklearn.linear_model as skl

from shrinkage import Ridge, RidgeCV
from shrinkage.path import regularization_path

OFFSETS = [1e3, 1e6, 1.7e9]


def _data(n, p, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, p))
    coef = rng.normal(size=p)
    y = X @ coef + 0.1 * rng.normal(size=n) + 3.0
    weights = rng.uniform(0.2, 3.0, size=n)
    return X, y, weights


def _tolerance(offset):
    # X + offset is stored to about eps·offset absolute, so the data themselves carry
    # that error; scikit-learn's answer does too.
    return max(1e-6, 50 * np.finfo(float).eps * offset)


@pytest.mark.parametrize("offset", OFFSETS)
@pytest.mark.parametrize("shape", [(60, 5), (30, 50), (20, 70)], ids=["n>p", "n<p", "p>2n"])
@pytest.mark.parametrize("weighted", [False, True])
def test_ridge_matches_sklearn_with_offsets(offset, shape, weighted):
    X, y, w = _data(*shape)
    w = w if weighted else None
    ours = Ridge(alpha=1.0).fit(X + offset, y, sample_weight=w)
    ref = skl.Ridge(alpha=1.0).fit(X + offset, y, sample_weight=w)
    np.testing.assert_allclose(ours.coef_, ref.coef_, atol=_tolerance(offset) * 10, rtol=1e-4)
    np.testing.assert_allclose(
        ours.predict(X + offset), ref.predict(X + offset), rtol=1e-4, atol=1e-3
    )


@pytest.mark.parametrize("offset", OFFSETS)
@pytest.mark.parametrize("shape", [(80, 6), (25, 40)], ids=["n>p", "n<p"])
def test_sparse_ridge_with_offsets(offset, shape):
    X, y, w = _data(*shape, seed=1)
    rng = np.random.default_rng(2)
    X = (X + offset) * (rng.random(X.shape) < 0.9)  # mostly non-zero: a near-constant column
    ours = Ridge(alpha=1.0).fit(sp.csr_matrix(X), y, sample_weight=w)
    ref = skl.Ridge(alpha=1.0, solver="svd").fit(X, y, sample_weight=w)
    np.testing.assert_allclose(ours.coef_, ref.coef_, rtol=1e-4, atol=1e-9)


def test_sparse_ridge_blockwise_centring(monkeypatch):
    """The block-by-block route used for large sparse designs is exact too."""
    import shrinkage.solvers.ridge as ridge

    monkeypatch.setattr(ridge, "DENSIFY_LIMIT", 0)
    monkeypatch.setattr(ridge, "_BLOCK_ELEMENTS", 50)
    for shape in [(60, 7), (12, 30)]:
        X, y, w = _data(*shape, seed=3)
        X = X + 1e8
        ours = Ridge(alpha=2.0).fit(sp.csc_matrix(X), y, sample_weight=w)
        ref = skl.Ridge(alpha=2.0, solver="svd").fit(X, y, sample_weight=w)
        np.testing.assert_allclose(ours.coef_, ref.coef_, rtol=1e-4, atol=1e-8)


@pytest.mark.parametrize("offset", OFFSETS)
def test_ridge_cv_matches_sklearn_with_offsets(offset):
    X, y, _ = _data(60, 5, seed=4)
    alphas = np.geomspace(1e-2, 1e2, 9)
    ours = RidgeCV(alphas=alphas).fit(X + offset, y)
    ref = skl.RidgeCV(alphas=alphas).fit(X + offset, y)
    assert ours.alpha_ == pytest.approx(ref.alpha_)
    np.testing.assert_allclose(ours.coef_, ref.coef_, rtol=1e-4, atol=1e-9)


@pytest.mark.parametrize("offset", OFFSETS)
def test_ridge_path_matches_sklearn_with_offsets(offset):
    X, y, _ = _data(50, 6, seed=5)
    n = X.shape[0]
    alphas = np.array([1.0, 0.1, 0.01])
    result = regularization_path(X + offset, y, l1_ratio=0.0, alphas=alphas)
    for k, alpha in enumerate(result.alphas):
        # Our ½·mean loss + α/2‖β‖² is scikit-learn's Ridge with alpha·n.
        ref = skl.Ridge(alpha=alpha * n).fit(X + offset, y)
        np.testing.assert_allclose(result.coefs[:, k], ref.coef_, rtol=1e-4, atol=1e-9)
