"""What fuzzing found in the Python API (issue 11): right answers against scikit-learn,
or one clear error, and no loop that ignores max_iter."""

import time

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
import sklearn.linear_model as skl

from shrinkage import (
    ElasticNetCV,
    Lasso,
    LassoCV,
    LassoIC,
    LogisticRegression,
    LogisticRegressionCV,
    RelaxedLassoCV,
    Ridge,
)
from shrinkage.path import lasso_path, regularization_path


@pytest.fixture
def binary(rng):
    X = rng.normal(size=(60, 4))
    y = (X[:, 0] + 0.8 * rng.normal(size=60) > 0).astype(float)
    return X, y


@pytest.fixture
def regression(rng):
    X = rng.normal(size=(50, 4))
    return X, X @ np.array([1.0, 2.0, 0.0, -0.5]) + 0.3 * rng.normal(size=50)


def test_scalar_sample_weight_is_one_weight_per_sample(binary):
    X, y = binary
    for c in (1.0, 3.0):
        ours = LogisticRegression(C=0.5, tol=1e-10).fit(X, y, sample_weight=c)
        ref = skl.LogisticRegression(C=0.5, tol=1e-10).fit(X, y, sample_weight=np.full(60, c))
        np.testing.assert_allclose(ours.coef_, ref.coef_, rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("scale", [1e300, 1e-300])
def test_weights_near_the_float_limits_match_unit_weights(regression, binary, scale):
    """Lasso normalizes weights: scaling them all changes nothing, even where Σw overflows."""
    X, y = regression
    w = np.linspace(1, 2, 50)
    ours = Lasso(alpha=0.05, tol=1e-10).fit(X, y, sample_weight=w * scale).coef_
    ref = skl.Lasso(alpha=0.05, tol=1e-10).fit(X, y, sample_weight=w).coef_
    np.testing.assert_allclose(ours, ref, atol=1e-5)


def test_overflowing_weight_sum_logistic_matches_sklearn(binary):
    """LogisticRegression's C multiplies Σw: huge weights mean almost no penalty."""
    X, y = binary
    w = np.full(60, 1e306)
    ours = LogisticRegression(C=1e-306, tol=1e-10).fit(X, y, sample_weight=w)
    ref = skl.LogisticRegression(C=1.0, tol=1e-10).fit(X, y)  # C·w is the same product
    np.testing.assert_allclose(ours.coef_, ref.coef_, rtol=1e-3, atol=1e-5)


@pytest.mark.parametrize("C", [1e-310, 5e-324])
def test_c_so_small_the_penalty_overflows_gives_the_null_model(binary, C):
    """1/(C·Σw) overflows: every coefficient is 0, the intercept is the log-odds of the
    mean (closed form), and the fit ends at once instead of looping forever."""
    X, y = binary
    start = time.perf_counter()
    model = LogisticRegression(C=C).fit(X, y)
    assert time.perf_counter() - start < 30
    np.testing.assert_allclose(model.coef_, 0.0, atol=1e-200)
    assert model.intercept_[0] == pytest.approx(np.log(y.mean() / (1 - y.mean())), rel=1e-6)


def test_tiny_weights_finish_within_max_iter(binary):
    X, y = binary
    model = LogisticRegression(max_iter=50).fit(X, y, sample_weight=np.full(60, 1e-300))
    # Σw·C is ~1e-298: the penalty dominates, every coefficient is (numerically) zero.
    assert np.all(np.abs(model.coef_) < 1e-12)
    assert model.n_iter_[0] <= 50


def test_zero_weight_folds_are_clear_errors(regression, binary):
    X, y = regression
    w = np.r_[np.zeros(25), np.ones(25)]
    for estimator in (LassoCV(cv=2), ElasticNetCV(cv=2), RelaxedLassoCV(cv=2)):
        with pytest.raises(ValueError, match="fold 1 of 2 has sample_weight 0"):
            estimator.fit(X, y, sample_weight=w)
    from sklearn.model_selection import KFold

    Xb, yb = binary
    order = np.argsort(yb, kind="stable")
    Xb, yb = Xb[order], yb[order]
    wb = np.r_[np.zeros(30), np.ones(30)]
    with pytest.raises(ValueError, match="sample_weight 0"):
        LogisticRegressionCV(
            cv=KFold(2), Cs=3, l1_ratios=(0.0,), scoring=None, use_legacy_attributes=False
        ).fit(Xb, yb, sample_weight=wb)


def test_lasso_ic_on_few_rows_says_what_is_missing(regression):
    X, y = regression
    for n in (3, 4):
        with pytest.raises(ValueError, match="noise_variance as a number") as error:
            LassoIC().fit(X[:n], y[:n])
        assert "cv" not in str(error.value).split("(")[0]
    LassoIC(noise_variance=1.0).fit(X[:4], y[:4])  # the suggested fix works


def test_logistic_regression_accepts_coo(binary):
    X, y = binary
    ours = LogisticRegression().fit(sp.coo_matrix(X), y)
    dense = LogisticRegression().fit(X, y)
    np.testing.assert_allclose(ours.coef_, dense.coef_, rtol=1e-8)


@pytest.mark.parametrize(
    "call",
    [
        lambda X, y: Lasso().fit(X + 1j, y),
        lambda X, y: Lasso().fit(X, y + 0j),
        lambda X, y: lasso_path(X + 0j, y),
        lambda X, y: regularization_path(X, y.astype(complex)),
        lambda X, y: Lasso().fit(X, y, sample_weight=np.ones(len(y)) + 0j),
    ],
)
def test_complex_input_is_refused(regression, call):
    X, y = regression
    with pytest.raises(ValueError, match="[Cc]omplex"):
        call(X, y)


def test_path_arguments(regression):
    X, y = regression
    with pytest.raises(ValueError, match="eps is alpha_min / alpha_max"):
        lasso_path(X, y, eps=-1.0)
    with pytest.raises(ValueError, match="eps"):
        regularization_path(X, y, eps=0.0)
    with pytest.raises(ValueError, match="coef_init contains NaN"):
        lasso_path(X, y, coef_init=np.full(4, np.nan))
    with pytest.raises(ValueError, match="coef_init has 3 values"):
        regularization_path(X, y, coef_init=np.zeros(3))
    with pytest.raises(ValueError, match="a path fits one target"):
        regularization_path(X, np.c_[y, y])


def test_unclear_numpy_and_pandas_messages_are_replaced(regression):
    X, y = regression
    with pytest.raises(ValueError, match="non-numeric values \\(e.g. 'x0'\\)"):
        Lasso().fit(X, np.array(["x0"] * 50))
    with pytest.raises(ValueError, match="missing|NaN"):
        Lasso().fit(X, pd.array([1.0] * 49 + [None], dtype="Float64"))
    with pytest.raises(ValueError, match="missing values \\(None / pd.NA\\)"):
        Lasso().fit(np.array([[1.0, pd.NA]] * 50, dtype=object), y)
    for estimator in (Lasso(), Ridge(), LogisticRegression()):
        target = (y > 0).astype(int) if isinstance(estimator, LogisticRegression) else y
        with pytest.raises(ValueError, match="overflow double precision"):
            estimator.fit(X * 1e306, target)


def test_ridge_extreme_weights_are_a_clear_error(regression):
    X, y = regression
    with pytest.raises(ValueError, match="Divide the weights and alpha"):
        Ridge().fit(X, y, sample_weight=np.full(50, 1e300))
