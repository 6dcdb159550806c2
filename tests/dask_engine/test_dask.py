"""The distributed engine against the in-memory estimators, on a Dask LocalCluster.

The in-memory estimators are themselves tested against scikit-learn; here the Dask
fits must give the same coefficients to solver tolerance, and the big path is
checked by its KKT conditions with gradients from an independent Dask computation
(plain ``X.T @ r``, not the Gram pass). Data are generated chunk by chunk with
``dask.array.random``; the big one is never materialized.
"""

import importlib

import numpy as np
import pytest


def _require(module: str):
    """Skip the module unless ``module`` imports (pytest.importorskip, but also for a
    partial install whose import raises ImportError, e.g. dask without pandas)."""
    try:
        return importlib.import_module(module)
    except ImportError as error:
        pytest.skip(f"{module} is not available: {error}", allow_module_level=True)


_require("dask")
_require("distributed")
da = _require("dask.array")
_require("dask.dataframe")

import dask  # noqa: E402
import dask.dataframe as dd  # noqa: E402
import pandas as pd  # noqa: E402
from conftest import enet_objective, logistic_objective  # noqa: E402
from distributed import Client, LocalCluster  # noqa: E402
from sklearn.base import clone  # noqa: E402

from shrinkage.distributed import fit, regularization_path, row_folds  # noqa: E402
from shrinkage.distributed.command import (  # noqa: E402
    add_engine_arguments,
    load_for_engine,
)
from shrinkage.distributed.io import read_parquet_folder  # noqa: E402
from shrinkage.linear_model import (  # noqa: E402
    ElasticNet,
    ElasticNetCV,
    ElasticNetIC,
    Lasso,
    LassoCV,
    LassoIC,
    LogisticRegression,
    RelaxedLasso,
    Ridge,
    RidgeCV,
)


@pytest.fixture(scope="module")
def client():
    # In-process workers keep the start-up light; the engine is the same with processes.
    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, processes=False, dashboard_address=":0"
        ) as cluster,
        Client(cluster) as client,
    ):
        yield client


def regression(n=6000, p=15, chunk=1000, seed=0, mean=0.0, weights=False):
    """Dask X, y (and weights), generated chunk by chunk; columns with large means."""
    rng = da.random.default_rng(seed)
    X = rng.standard_normal((n, p), chunks=(chunk, p)) + mean * np.arange(1, p + 1)
    beta = np.zeros(p)
    beta[: p // 3] = np.linspace(2.0, -1.0, p // 3)
    y = X @ beta + 3.0 + rng.standard_normal(n, chunks=chunk)
    w = rng.uniform(0.2, 3.0, size=n, chunks=chunk) if weights else None
    return X, y, w


def computed(*arrays):
    return [None if a is None else np.asarray(a) for a in dask.compute(*arrays)]


# -- least squares at one alpha -------------------------------------------------------


def test_lasso_matches_memory_with_large_means(client):
    X, y, _ = regression(mean=1e4)  # the pilot shift keeps the Gram accurate
    Xm, ym = computed(X, y)
    memory = Lasso(alpha=0.05, tol=1e-10).fit(Xm, ym)
    fitted = Lasso(alpha=0.05, tol=1e-10).fit(X, y)
    np.testing.assert_allclose(fitted.coef_, memory.coef_, rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(fitted.intercept_, memory.intercept_, rtol=1e-7)
    assert isinstance(fitted.coef_, np.ndarray) and fitted.n_features_in_ == X.shape[1]
    assert fitted.dual_gap_ <= 1e-10 * np.var(ym)
    # The objective reached, written out independently.
    ours = enet_objective(Xm, ym, fitted.coef_, fitted.intercept_, 0.05, 1.0)
    theirs = enet_objective(Xm, ym, memory.coef_, memory.intercept_, 0.05, 1.0)
    assert ours <= theirs * (1 + 1e-10)


def test_elastic_net_weighted_penalty_weights_positive(client):
    X, y, w = regression(weights=True, seed=1)
    Xm, ym, wm = computed(X, y, w)
    factors = np.r_[0.0, np.linspace(0.5, 2.0, X.shape[1] - 1)]
    options = dict(alpha=0.03, l1_ratio=0.7, penalty_weights=factors, positive=True, tol=1e-10)
    memory = ElasticNet(**options).fit(Xm, ym, sample_weight=wm)
    fitted = ElasticNet(**options).fit(X, y, sample_weight=w)
    np.testing.assert_allclose(fitted.coef_, memory.coef_, rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(fitted.intercept_, memory.intercept_, rtol=1e-7)
    assert (fitted.coef_ >= 0).all()


def test_no_intercept_multi_output_and_float32(client):
    X, y, _ = regression(seed=2)
    Y = da.stack([y, 2.0 * y - 1.0], axis=1)
    Xm, Ym = computed(X, Y)
    memory = Lasso(alpha=0.1, fit_intercept=False, tol=1e-10).fit(Xm, Ym)
    fitted = Lasso(alpha=0.1, fit_intercept=False, tol=1e-10).fit(X, Y)
    assert fitted.coef_.shape == (2, X.shape[1])
    np.testing.assert_allclose(fitted.coef_, memory.coef_, rtol=1e-7, atol=1e-9)
    np.testing.assert_array_equal(fitted.intercept_, 0.0)
    single = Lasso(alpha=0.1).fit(X.astype(np.float32), y)
    assert single.coef_.dtype == np.float32


def test_same_result_whatever_the_chunks(client):
    X, y, _ = regression(seed=3)
    a = LassoCV(cv=4).fit(X, y)
    b = LassoCV(cv=4).fit(X.rechunk((2500, -1)), y.rechunk(700))
    assert a.alpha_ == b.alpha_
    np.testing.assert_allclose(a.mse_path_, b.mse_path_, rtol=1e-10)
    np.testing.assert_allclose(a.coef_, b.coef_, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("l1_ratio", [0.0, 0.5])
def test_path_matches_memory(client, l1_ratio):
    from shrinkage.path import regularization_path as in_memory_path

    X, y, w = regression(seed=12, weights=True, mean=20.0)
    Xm, ym, wm = computed(X, y, w)
    options = dict(l1_ratio=l1_ratio, alphas=15, tol=1e-10)
    memory = in_memory_path(Xm, ym, sample_weight=wm, **options)
    fitted = regularization_path(X, y, sample_weight=w, **options)
    np.testing.assert_allclose(fitted.alphas, memory.alphas, rtol=1e-12)
    np.testing.assert_allclose(fitted.coefs, memory.coefs, rtol=0, atol=1e-8)
    np.testing.assert_allclose(fitted.intercepts, memory.intercepts, rtol=1e-8)


# -- cross-validation -----------------------------------------------------------------


@pytest.mark.parametrize("rule", ["min", "1se"])
def test_lasso_cv_matches_memory_with_the_same_folds(client, rule):
    X, y, w = regression(seed=4, weights=True, mean=50.0)
    Xm, ym, wm = computed(X, y, w)
    folds = row_folds(Xm.shape[0], 5)
    memory = LassoCV(cv=folds, rule=rule, tol=1e-9).fit(Xm, ym, sample_weight=wm)
    fitted = LassoCV(cv=5, rule=rule, tol=1e-9).fit(X, y, sample_weight=w)
    np.testing.assert_allclose(fitted.alphas_, memory.alphas_, rtol=1e-10)
    np.testing.assert_allclose(fitted.mse_path_, memory.mse_path_, rtol=1e-6)
    # The same grid point (grids agree to rounding: alpha_max from the same moments).
    assert fitted.alpha_ == pytest.approx(memory.alpha_, rel=1e-10)
    assert fitted.alpha_1se_ == pytest.approx(memory.alpha_1se_, rel=1e-10)
    np.testing.assert_allclose(fitted.coef_, memory.coef_, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(fitted.intercept_, memory.intercept_, rtol=1e-7)


def test_elastic_net_cv_over_l1_ratios(client):
    X, y, _ = regression(seed=5)
    Xm, ym = computed(X, y)
    folds = row_folds(Xm.shape[0], 3)
    options = dict(l1_ratio=[0.2, 0.9], alphas=20, tol=1e-9)
    memory = ElasticNetCV(cv=folds, **options).fit(Xm, ym)
    fitted = ElasticNetCV(cv=3, **options).fit(X, y)
    assert fitted.l1_ratio_ == memory.l1_ratio_
    assert fitted.alpha_ == pytest.approx(memory.alpha_, rel=1e-10)
    np.testing.assert_allclose(fitted.mse_path_, memory.mse_path_, rtol=1e-6)
    np.testing.assert_allclose(fitted.coef_, memory.coef_, rtol=1e-6, atol=1e-9)


def test_cv_grids_in_any_order_as_in_memory(client):
    # A grid in no order was refused on Dask ("alphas is not sorted") while the in-memory
    # estimators (and scikit-learn) sort it: the same alphas_, mse_path_ rows and alpha_.
    X, y, w = regression(seed=13, weights=True)
    Xm, ym, wm = computed(X, y, w)
    folds = row_folds(Xm.shape[0], 4)
    for estimator in (
        LassoCV(alphas=[0.1, 1.0, 0.01], tol=1e-10),
        ElasticNetCV(l1_ratio=[0.0, 0.5], alphas=[0.1, 3.0, 0.01], tol=1e-10),
    ):
        memory = clone(estimator).set_params(cv=folds).fit(Xm, ym, sample_weight=wm)
        fitted = clone(estimator).set_params(cv=4).fit(X, y, sample_weight=w)
        np.testing.assert_array_equal(fitted.alphas_, memory.alphas_)
        np.testing.assert_allclose(fitted.mse_path_, memory.mse_path_, rtol=1e-8)
        assert (fitted.alpha_, fitted.l1_ratio_) == (memory.alpha_, memory.l1_ratio_)
        np.testing.assert_allclose(fitted.coef_, memory.coef_, rtol=1e-8, atol=1e-10)
        np.testing.assert_allclose(fitted.intercept_, memory.intercept_, rtol=1e-8)


def test_automatic_grid_with_l1_ratio_zero_is_refused_as_in_memory(client):
    # scikit-learn's message; the Dask engine built a grid from a ridge "alpha_max".
    X, y, _ = regression(n=2000, p=4, chunk=500)
    Xm, ym = computed(X, y)
    message = "Automatic alpha grid generation is not supported for l1_ratio=0"
    with pytest.raises(ValueError, match=message):
        ElasticNetCV(l1_ratio=[0.0, 0.5], cv=3).fit(Xm, ym)
    with pytest.raises(ValueError, match=message):
        ElasticNetCV(l1_ratio=[0.0, 0.5], cv=3).fit(X, y)


def test_ridge_cv_alpha_per_target_as_in_memory(client):
    X, y, w = regression(seed=14, weights=True)
    noise = da.random.default_rng(15).standard_normal(X.shape[0], chunks=1000)
    Y = da.stack([y, 3.0 * y + 20.0 * noise], axis=1)  # the targets want other alphas
    Xm, Ym, wm = computed(X, Y, w)
    alphas = np.geomspace(1e-2, 1e5, 15)
    # K folds: refused in memory (scikit-learn's message), so on Dask too (it fitted).
    message = "cv!=None and alpha_per_target=True are incompatible"
    with pytest.raises(ValueError, match=message):
        RidgeCV(alphas=alphas, cv=row_folds(Xm.shape[0], 3), alpha_per_target=True).fit(Xm, Ym)
    with pytest.raises(ValueError, match=message):
        RidgeCV(alphas=alphas, cv=3, alpha_per_target=True).fit(X, Y)
    # Leave-one-out: one alpha per target, the same ones.
    memory = RidgeCV(alphas=alphas, alpha_per_target=True).fit(Xm, Ym, sample_weight=wm)
    fitted = RidgeCV(alphas=alphas, alpha_per_target=True).fit(X, Y, sample_weight=w)
    assert memory.alpha_[0] != memory.alpha_[1]
    np.testing.assert_array_equal(fitted.alpha_, memory.alpha_)
    np.testing.assert_allclose(fitted.best_score_, memory.best_score_, rtol=1e-8)
    np.testing.assert_allclose(fitted.coef_, memory.coef_, rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(fitted.intercept_, memory.intercept_, rtol=1e-8)


def test_row_folds_partition_the_rows():
    folds = row_folds(10_000, 5)
    tests = np.concatenate([test for _, test in folds])
    np.testing.assert_array_equal(np.sort(tests), np.arange(10_000))
    sizes = np.array([test.size for _, test in folds])
    assert np.all(np.abs(sizes - 2000) < 200)  # a hash: about equal


# -- information criteria ------------------------------------------------------------


@pytest.mark.parametrize(
    "estimator, weighted",
    [
        (LassoIC(tol=1e-12), True),
        (LassoIC(criterion="ebic", fit_intercept=False, tol=1e-12), False),
        (LassoIC(criterion="aic", relax=True, tol=1e-12), True),
        (LassoIC(penalty_weights=np.r_[0.0, np.ones(11)], tol=1e-12), False),
        (ElasticNetIC(l1_ratio=0.5, tol=1e-12), True),
        (ElasticNetIC(l1_ratio=0.0), True),  # ridge: the spectral path and its grid
    ],
    ids=["bic", "ebic-no-intercept", "aic-relax", "free-column", "enet", "ridge"],
)
def test_information_criteria_match_memory(client, estimator, weighted):
    # LassoIC/ElasticNetIC raised "has no distributed engine" on Dask input (the docs
    # said they computed it into memory): the path, RSS, df and the OLS noise variance
    # now come from the Gram pass.
    X, y, w = regression(p=12, seed=16, weights=weighted, mean=30.0)
    Xm, ym, wm = computed(X, y, w)
    memory = clone(estimator).fit(Xm, ym, sample_weight=wm)
    fitted = clone(estimator).fit(X, y, sample_weight=w)
    # (The grids agree to rounding: alpha_max with a free column is profiled out of
    # columns with means up to 360, 3e-12 apart.)
    assert fitted.alpha_ == pytest.approx(memory.alpha_, rel=1e-10)
    np.testing.assert_allclose(fitted.alphas_, memory.alphas_, rtol=1e-10)
    np.testing.assert_allclose(fitted.criterion_, memory.criterion_, rtol=1e-10)
    np.testing.assert_allclose(fitted.degrees_of_freedom_, memory.degrees_of_freedom_, atol=1e-9)
    assert fitted.noise_variance_ == pytest.approx(memory.noise_variance_, rel=1e-10)
    np.testing.assert_allclose(fitted.coef_, memory.coef_, rtol=1e-8, atol=1e-10)
    assert fitted.intercept_ == pytest.approx(memory.intercept_, rel=1e-9, abs=1e-12)
    assert isinstance(fitted.coef_, np.ndarray) and fitted.n_features_in_ == 12


def test_lasso_ic_noise_variance_by_cv_uses_the_hashed_folds(client):
    # p close to n: "auto" estimates the noise by cross-validation (Reid et al.), on
    # Dask with the engine's hashed folds; the same formula in memory on those folds.
    from shrinkage.linear_model._information_criteria import elastic_net_degrees_of_freedom

    # (From NumPy arrays: computing a generated y just before its fit can race with
    # distributed's release of the same keys on this small graph, a KeyError on gather.)
    rng = np.random.default_rng(17)
    Xm = rng.standard_normal((45, 25))
    ym = Xm[:, :4] @ [1.0, -2.0, 0.5, 0.2] + 0.5 * rng.standard_normal(45)
    X, y = da.from_array(Xm, chunks=(15, 25)), da.from_array(ym, chunks=15)
    n, p = Xm.shape
    fitted = LassoIC(tol=1e-12).fit(X, y)
    cv = ElasticNetCV(l1_ratio=1.0, tol=1e-12, cv=row_folds(n, 5)).fit(Xm, ym)
    rss = np.sum((ym - Xm @ cv.coef_ - cv.intercept_) ** 2)
    df = elastic_net_degrees_of_freedom(
        Xm, np.full(n, 1.0 / n), cv.coef_, cv.alpha_, 1.0, np.ones(p), True
    )
    assert fitted.noise_variance_ == pytest.approx(rss / (n - df - 1), rel=1e-9)
    memory = LassoIC(tol=1e-12, noise_variance=fitted.noise_variance_).fit(Xm, ym)
    assert fitted.alpha_ == pytest.approx(memory.alpha_, rel=1e-12)
    np.testing.assert_allclose(fitted.criterion_, memory.criterion_, rtol=1e-10)
    np.testing.assert_allclose(fitted.coef_, memory.coef_, rtol=1e-8, atol=1e-10)


# -- ridge ----------------------------------------------------------------------------


def _exact_ridge(X, y, w, alpha, factors):
    """Weighted ridge by the normal equations of exactly centred data, in long double:
    ``(coef, intercept)``."""
    L = np.longdouble
    X, y, w = X.astype(L), y.astype(L), w.astype(L)
    mean_x, mean_y = (w @ X) / w.sum(), (w @ y) / w.sum()
    Xc, yc = X - mean_x, y - mean_y
    A = (Xc * w[:, None]).T @ Xc + alpha * np.diag(factors.astype(L))
    b = (Xc * w[:, None]).T @ yc
    coef = np.linalg.solve(A.astype(float), b.astype(float))
    coef = coef + np.linalg.solve(A.astype(float), (b - A @ coef.astype(L)).astype(float))
    return coef, float(mean_y - mean_x @ coef.astype(L))


def test_ridge_matches_memory(client):
    X, y, w = regression(seed=6, weights=True, mean=100.0)
    Xm, ym, wm = computed(X, y, w)
    p = X.shape[1]
    for alpha, factors in ((5.0, np.ones(p)), (50.0, np.r_[0.0, np.full(p - 1, 2.0)])):
        memory = Ridge(alpha=alpha, penalty_weights=factors).fit(Xm, ym, sample_weight=wm)
        fitted = Ridge(alpha=alpha, penalty_weights=factors).fit(X, y, sample_weight=w)
        # Columns with means up to 1500: the in-memory decomposition keeps ~1e-10, the
        # shifted moments ~1e-14 (against an exact long-double reference).
        exact, intercept = _exact_ridge(Xm, ym, wm, alpha, factors)
        np.testing.assert_allclose(fitted.coef_, exact, rtol=0, atol=1e-12)
        np.testing.assert_allclose(fitted.intercept_, intercept, rtol=1e-11)
        np.testing.assert_allclose(fitted.coef_, memory.coef_, rtol=0, atol=1e-8)
        np.testing.assert_allclose(fitted.intercept_, memory.intercept_, rtol=1e-7)
    memory = Ridge(alpha=1e3, positive=True).fit(Xm, ym)
    fitted = Ridge(alpha=1e3, positive=True).fit(X, y)
    np.testing.assert_allclose(fitted.coef_, memory.coef_, rtol=1e-7, atol=1e-10)


def test_ridge_cv_leave_one_out_and_k_fold(client):
    X, y, w = regression(seed=7, weights=True)
    Xm, ym, wm = computed(X, y, w)
    alphas = np.geomspace(1e-2, 1e5, 15)
    memory = RidgeCV(alphas=alphas).fit(Xm, ym, sample_weight=wm)
    fitted = RidgeCV(alphas=alphas).fit(X, y, sample_weight=w)  # a second pass: exact LOO
    assert fitted.alpha_ == memory.alpha_
    np.testing.assert_allclose(fitted.cv_curve_.mean, memory.cv_curve_.mean, rtol=1e-8)
    np.testing.assert_allclose(
        fitted.cv_curve_.standard_error, memory.cv_curve_.standard_error, rtol=1e-6
    )
    np.testing.assert_allclose(fitted.gcv_, memory.gcv_, rtol=1e-8)
    np.testing.assert_allclose(fitted.dof_, memory.dof_, rtol=1e-8)
    np.testing.assert_allclose(fitted.coef_, memory.coef_, rtol=1e-8, atol=1e-10)
    assert fitted.best_score_ == pytest.approx(memory.best_score_, rel=1e-8)

    # K-fold without weights: in memory the test folds are scored unweighted, as
    # scikit-learn's grid search does; the Dask engine weights them (docs/compatibility.md).
    folds = row_folds(Xm.shape[0], 4)
    memory = RidgeCV(alphas=alphas, cv=folds).fit(Xm, ym)
    fitted = RidgeCV(alphas=alphas, cv=4).fit(X, y)
    assert fitted.alpha_ == memory.alpha_
    np.testing.assert_allclose(
        fitted.cv_curve_.fold_errors, memory.cv_curve_.fold_errors, atol=1e-9
    )


# -- logistic -------------------------------------------------------------------------


def classification(n=6000, p=10, chunk=1000, seed=0):
    rng = da.random.default_rng(seed)
    X = rng.standard_normal((n, p), chunks=(chunk, p)) + 5.0
    beta = np.zeros(p)
    beta[:4] = [1.5, -1.0, 0.8, 0.5]
    probability = 1.0 / (1.0 + da.exp(-((X - 5.0) @ beta - 0.3)))
    y = (rng.random(n, chunks=chunk) < probability).astype(int)
    return X, y


def _logistic_kkt(Xm, y01, h, coef, intercept, alpha, l1_ratio):
    """The largest KKT violation of the mean-loss objective, by plain NumPy."""
    p = 1.0 / (1.0 + np.exp(-(Xm @ coef + intercept)))
    gradient = Xm.T @ (h * (p - y01)) + alpha * (1 - l1_ratio) * coef
    l1 = alpha * l1_ratio
    zero = coef == 0
    violation = np.where(
        zero, np.maximum(np.abs(gradient) - l1, 0), np.abs(gradient + l1 * np.sign(coef))
    )
    return max(violation.max(), abs(np.sum(h * (p - y01))))


@pytest.mark.parametrize(
    "options",
    [
        dict(C=0.05, l1_ratio=1.0),
        dict(C=1.0, l1_ratio=0.0),
        dict(C=0.1, l1_ratio=0.5, class_weight="balanced"),
    ],
)
def test_logistic_matches_memory(client, options):
    X, y = classification()
    w = da.random.default_rng(9).uniform(0.5, 2.0, size=X.shape[0], chunks=1000)
    Xm, ym, wm = computed(X, y, w)
    memory = LogisticRegression(tol=1e-8, **options).fit(Xm, ym, sample_weight=wm)
    fitted = LogisticRegression(tol=1e-8, **options).fit(X, y, sample_weight=w)
    np.testing.assert_array_equal(fitted.classes_, memory.classes_)
    # Both stop at a KKT violation <= 1e-8; the coefficients agree to about that over
    # the curvature (small here: columns with mean 5 against the intercept).
    np.testing.assert_allclose(fitted.coef_, memory.coef_, atol=2e-5)
    np.testing.assert_allclose(fitted.intercept_, memory.intercept_, atol=2e-4)
    assert fitted.n_iter_[0] <= 15 and fitted.dual_gap_ < 1e-6
    # Independently: the KKT conditions and the objective, class weights written out.
    s = wm.copy()
    if options.get("class_weight") == "balanced":
        totals = np.array([wm[ym == label].sum() for label in (0, 1)])
        s = wm * (wm.sum() / (2.0 * totals))[ym]
    alpha, l1_ratio = 1.0 / (options["C"] * s.sum()), options["l1_ratio"]
    coef, intercept = fitted.coef_[0], fitted.intercept_[0]
    assert _logistic_kkt(Xm, ym, s / s.sum(), coef, intercept, alpha, l1_ratio) <= 1e-8
    ours = logistic_objective(Xm, ym, coef, intercept, alpha, l1_ratio, s)
    theirs = logistic_objective(Xm, ym, memory.coef_[0], memory.intercept_[0], alpha, l1_ratio, s)
    assert ours <= theirs + 1e-10


def test_logistic_text_labels_from_a_dataframe(client):
    X, y = classification(seed=3)
    Xm, ym = computed(X, y)
    frame = pd.DataFrame(Xm, columns=[f"x{j}" for j in range(Xm.shape[1])])
    frame["label"] = np.where(ym == 1, "spam", "ham")
    ddf = dd.from_pandas(frame, npartitions=5)
    features = list(frame.columns[:-1])
    memory = LogisticRegression(C=0.5, tol=1e-8).fit(frame[features], frame["label"])
    fitted = LogisticRegression(C=0.5, tol=1e-8).fit(ddf[features], ddf["label"])
    np.testing.assert_array_equal(fitted.classes_, ["ham", "spam"])
    np.testing.assert_array_equal(fitted.feature_names_in_, features)
    np.testing.assert_allclose(fitted.coef_, memory.coef_, atol=2e-5)


# -- DataFrames, Parquet, CLI glue ----------------------------------------------------


def test_dataframe_with_unknown_partition_lengths(client):
    X, y, _ = regression(seed=8)
    Xm, ym = computed(X, y)
    frame = pd.DataFrame(Xm, columns=[f"f{j}" for j in range(Xm.shape[1])])
    frame["y"] = ym
    ddf = dd.from_pandas(frame, npartitions=6)
    features = list(frame.columns[:-1])
    memory = LassoCV(cv=row_folds(len(frame), 3)).fit(frame[features], ym)
    fitted = LassoCV(cv=3).fit(ddf[features], ddf["y"])  # lengths read for the folds
    assert fitted.alpha_ == pytest.approx(memory.alpha_, rel=1e-10)
    np.testing.assert_array_equal(fitted.feature_names_in_, features)
    np.testing.assert_allclose(fitted.coef_, memory.coef_, rtol=1e-6, atol=1e-9)
    # A plain fit on the same frame's arrays needs no lengths at all.
    Xu, yu = ddf[features].to_dask_array(), ddf["y"].to_dask_array()
    assert np.isnan(Xu.shape[0])
    lasso = Lasso(alpha=0.1).fit(Xu, yu)
    np.testing.assert_allclose(lasso.coef_, Lasso(alpha=0.1).fit(Xm, ym).coef_, atol=1e-9)
    assert not hasattr(lasso, "feature_names_in_")


def test_dataframe_with_boolean_and_nullable_columns(client):
    frame = pd.DataFrame(
        {
            "x": np.linspace(0, 1, 40),
            "flag": np.arange(40) % 2 == 0,
            "count": pd.array(np.arange(40) % 3, dtype="Int64"),
        }
    )
    y = 2.0 * frame["x"].to_numpy() + frame["flag"].to_numpy() + 0.5 * np.arange(40) % 3
    ddf = dd.from_pandas(frame, npartitions=3)
    fitted = Lasso(alpha=0.01).fit(ddf, y)
    memory = Lasso(alpha=0.01).fit(frame.astype(float), y)
    np.testing.assert_allclose(fitted.coef_, memory.coef_, atol=1e-10)
    frame.loc[5, "count"] = pd.NA
    with pytest.raises(ValueError, match="NaN"):
        Lasso(alpha=0.01).fit(dd.from_pandas(frame, npartitions=3), y)


def test_parquet_folder_and_engines(client, tmp_path):
    X, y, _ = regression(n=3000, p=5, seed=10)
    Xm, ym = computed(X, y)
    frame = pd.DataFrame(Xm, columns=list("abcde"))
    frame["target"] = ym
    (tmp_path / "part").mkdir()
    frame.iloc[:1200].to_parquet(tmp_path / "a.parquet", row_group_size=300)
    frame.iloc[1200:].to_parquet(tmp_path / "part" / "b.parquet", row_group_size=500)
    data = read_parquet_folder(tmp_path, "target")
    assert data.X.chunks[0] == (1200, 1800) and data.feature_names == list("abcde")
    fitted = fit(LassoCV(cv=3), data.X, data.y, feature_names=data.feature_names)
    memory = LassoCV(cv=row_folds(3000, 3)).fit(frame[list("abcde")], ym)
    assert fitted.alpha_ == pytest.approx(memory.alpha_, rel=1e-10)
    np.testing.assert_array_equal(fitted.feature_names_in_, list("abcde"))

    with load_for_engine(str(tmp_path), "target", "memory") as loaded:
        in_memory = loaded.fit(Lasso(alpha=0.1))
    with load_for_engine(str(tmp_path), "target", "dask", client.scheduler.address) as loaded:
        on_dask = loaded.fit(Lasso(alpha=0.1))
    np.testing.assert_allclose(on_dask.coef_, in_memory.coef_, atol=1e-9)
    np.testing.assert_array_equal(on_dask.feature_names_in_, in_memory.feature_names_in_)
    # --drop: the column is left out on both engines (the dask engine kept it before),
    # and the fit equals one on the other columns
    for engine, address in (("memory", None), ("dask", client.scheduler.address)):
        with load_for_engine(str(tmp_path), "target", engine, address, ["b"]) as loaded:
            dropped = loaded.fit(Lasso(alpha=0.1))
        np.testing.assert_array_equal(dropped.feature_names_in_, list("acde"))
        reference = Lasso(alpha=0.1).fit(frame[list("acde")], ym)
        np.testing.assert_allclose(dropped.coef_, reference.coef_, atol=1e-9)
    with pytest.raises(ValueError, match=r"--drop names column\(s\) \['zz'\]"):
        load_for_engine(str(tmp_path), "target", "memory", drop=["zz"])

    frame["text"] = "x"
    frame.to_parquet(tmp_path / "a.parquet")
    with pytest.raises(ValueError, match="not numeric"):
        read_parquet_folder(tmp_path, "target")
    with pytest.raises(ValueError, match="not found"):
        read_parquet_folder(tmp_path / "part", "missing")
    with pytest.raises(ValueError, match="does not exist"):
        load_for_engine(str(tmp_path / "nowhere"), "target", "memory")


def test_engine_arguments():
    import argparse

    parser = argparse.ArgumentParser()
    add_engine_arguments(parser)
    args = parser.parse_args(["--engine", "dask", "--scheduler", "tcp://h:8786"])
    assert (args.engine, args.scheduler) == ("dask", "tcp://h:8786")
    assert parser.parse_args([]).engine == "memory"
    with pytest.raises(ValueError, match="needs --engine dask"):
        load_for_engine("x", "y", "memory", "tcp://h:8786")


# -- the big path: never in memory; KKT from an independent computation --------------


def test_big_lasso_path_satisfies_kkt(client):
    n, p = 1_000_000, 20
    X, y, _ = regression(n=n, p=p, chunk=125_000, seed=11, mean=10.0)
    path = regularization_path(X, y, alphas=12, eps=1e-3, tol=1e-10)
    assert path.coefs.shape == (p, 12) and path.converged.all()
    # Gradient of ½ mean (y − β₀ − Xβ)² at every alpha by dask matrix products.
    residuals = y[:, None] - (X @ path.coefs + path.intercepts)
    gradient, intercept_gradient = dask.compute(X.T @ residuals / n, residuals.mean(axis=0))
    np.testing.assert_allclose(intercept_gradient, 0.0, atol=1e-8)
    scale = np.abs(gradient).max()
    for k, alpha in enumerate(path.alphas):
        active = path.coefs[:, k] != 0
        g = gradient[:, k]
        assert np.all(np.abs(g[~active]) <= alpha + 1e-6 * scale)
        np.testing.assert_allclose(
            g[active], alpha * np.sign(path.coefs[active, k]), atol=1e-6 * scale
        )
    # The least-regularized fit recovers the generating coefficients.
    truth = np.zeros(p)
    truth[: p // 3] = np.linspace(2.0, -1.0, p // 3)
    np.testing.assert_allclose(path.coefs[:, -1], truth, atol=0.01)


# -- dispatch --------------------------------------------------------------------------


class _MyRidge(Ridge):
    """A user's subclass: still a Ridge, so it gets the Ridge engine."""


def test_subclasses_get_their_parents_engine_and_lookalikes_none(client):
    X, y, _ = regression(n=2000, p=5, chunk=500, seed=4)
    Xm, ym = computed(X, y)
    fitted = _MyRidge(alpha=2.0).fit(X, y)
    # The closed form, written out: (X̃ᵀX̃ + αI) β = X̃ᵀỹ on centred data.
    Xc, yc = Xm - Xm.mean(axis=0), ym - ym.mean()
    coef = np.linalg.solve(Xc.T @ Xc + 2.0 * np.eye(5), Xc.T @ yc)
    np.testing.assert_allclose(fitted.coef_, coef, rtol=1e-9)
    # Lasso is an ElasticNet, LassoCV an ElasticNetCV (found along the MRO).
    assert fit(Lasso(alpha=0.1), X, y).coef_.shape == (5,)
    assert fit(LassoCV(cv=3, alphas=5), X, y).alpha_ > 0

    class Ridge:  # same name, not shrinkage's
        pass

    with pytest.raises(ValueError, match="no distributed engine"):
        fit(Ridge(), X, y)


# -- clear errors ---------------------------------------------------------------------


def test_clear_errors(client):
    X, y, _ = regression(n=2000, p=4, chunk=500)
    with pytest.raises(ValueError, match="cv=K"):
        LassoCV(cv=[(np.arange(10), np.arange(10, 20))]).fit(X, y)
    with pytest.raises(ValueError, match="precompute=False"):
        Lasso(precompute=False).fit(X, y)
    with pytest.raises(ValueError, match="no distributed engine"):
        fit(RelaxedLasso(), X, y)
    with pytest.raises(ValueError, match="scoring"):
        RidgeCV(scoring="r2").fit(X, y)
    with pytest.raises(ValueError, match="binary"):
        LogisticRegression().fit(X, (y > 2).astype(int) + (y > 4).astype(int))
    with pytest.raises(ValueError, match="rows"):
        Lasso().fit(X, y[:-1])
    with pytest.raises(ValueError, match="NaN"):
        Lasso().fit(da.where(X > 3, np.nan, X), y)
    with pytest.raises(ValueError, match="negative"):
        Lasso().fit(X, y, sample_weight=y)
    with pytest.raises(ValueError, match="2-D"):
        Lasso().fit(X[:, 0], y)
    frame = dd.from_pandas(pd.DataFrame({"a": np.arange(6.0), "b": list("xyzxyz")}), 2)
    with pytest.raises(ValueError, match="non-numeric columns"):
        Lasso().fit(frame, frame["a"])
    rows_3_3 = dd.from_pandas(pd.DataFrame({"a": np.arange(6.0)}), npartitions=2)
    rows_4_2 = dd.from_pandas(pd.Series(np.arange(6.0)), chunksize=4)
    with pytest.raises(ValueError, match="not aligned"):
        Lasso().fit(rows_3_3.to_dask_array(), rows_4_2.to_dask_array())


def test_ridge_cv_ties_go_to_the_first_alpha_on_dask_as_in_memory():
    # Zero features: every alpha predicts the mean, so all score alike; scikit-learn
    # keeps the first alpha in the caller's order (not the largest).
    rng = np.random.default_rng(4)
    X = np.zeros((60, 3))
    y = rng.normal(size=60)
    alphas = [0.1, 10.0, 1.0]
    memory = RidgeCV(alphas=alphas, cv=3).fit(X, y)
    on_dask = RidgeCV(alphas=alphas, cv=3).fit(
        da.from_array(X, chunks=20), da.from_array(y, chunks=20)
    )
    assert memory.alpha_ == on_dask.alpha_ == 0.1


def test_a_string_for_a_boolean_parameter_is_refused_on_dask_input_too():
    # The Dask engine is chosen before the in-memory checks: Lasso(positive="no") fitted
    # a positive lasso on Dask arrays, silently.
    rng = np.random.default_rng(0)
    X = da.from_array(rng.normal(size=(200, 4)), chunks=50)
    y = X[:, 0] - X[:, 1]
    with pytest.raises(ValueError, match="positive must be True or False"):
        Lasso(positive="no").fit(X, y)


def test_a_scalar_alpha_grid_is_refused_on_dask_input_too():
    rng = np.random.default_rng(0)
    X = da.from_array(rng.normal(size=(200, 4)), chunks=50)
    y = X[:, 0] - X[:, 1]
    with pytest.raises(ValueError, match="alphas must be an integer"):
        ElasticNetCV(alphas=10.0, cv=3).fit(X, y)
