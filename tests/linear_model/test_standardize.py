"""``standardize=True``: glmnet's ``standardize=TRUE``, exactly.

References, none of them our own output:

* R's glmnet 4.1-6 (``tests/reference/glmnet``): every stored ``standardize=TRUE`` case of
  ``gaussian.json`` and ``poisson.json`` (box constraints as ``lower_bounds``/
  ``upper_bounds``, in original units), to 1e-6. glmnet's gaussian λ carries a ``1/s_y`` on
  the ridge part (docs/parametrizations.md); the mapping is written out here, in the test.
* the scales against NumPy's weighted covariance (``np.cov(aweights=h, bias=True)``);
* scikit-learn's ``LogisticRegression`` fitted on a manually standardized ``X`` and the
  coefficients divided back;
* the KKT conditions in original units: ``|x_jᵀ h r| ≤ α v_j s_j``, with equality on the
  active set;
* invariances: rescaling a column by ``c`` rescales its coefficient by ``1/c`` and leaves
  predictions unchanged; sparse ``X`` gives the dense answer;
* CV: each fold is standardized with its training rows' scales (glmnet's ``cv.glmnet``).
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp

import shrinkage as sk
from shrinkage.path import regularization_path
from shrinkage.solvers.standardize import column_scales, standardize_design

REFERENCE = Path(__file__).parents[1] / "reference" / "glmnet"
TOL = 1e-6


def _load(name: str) -> dict:
    with open(REFERENCE / f"{name}.json") as f:
        return json.load(f)


def _standardized_cases(family: str) -> list[dict]:
    return [c for c in _load(family)["cases"] if c["glmnet_args"]["standardize"]]


def _limit(value, unbounded: float):
    """glmnet's stored lower.limits / upper.limits (JSON null = ±Inf), or None."""
    if value is None:
        return None
    return np.asarray([unbounded if v is None else v for v in np.atleast_1d(value)], float)


def _glmnet_inputs(case: dict):
    """X, y, raw weights, penalty weights (glmnet rescales pf to sum to p), offset."""
    data = _load(f"data_{case['data']}")
    X, y = np.asarray(data["x"], dtype=float), np.asarray(data["y"], dtype=float)
    args = case["glmnet_args"]
    w = np.asarray(args["weights"], dtype=float) if "weights" in args else None
    p = X.shape[1]
    pf = np.asarray(args.get("penalty.factor", np.ones(p)), dtype=float)
    offset = np.asarray(args["offset"], dtype=float) if "offset" in args else None
    return X, y, w, pf * p / pf.sum(), offset


def _bounds(case: dict) -> dict:
    args = case["glmnet_args"]
    return {
        "lower_bounds": _limit(args.get("lower.limits"), -np.inf),
        "upper_bounds": _limit(args.get("upper.limits"), np.inf),
    }


# ------------------------------------------------------------------ R's glmnet


@pytest.mark.parametrize("case", _standardized_cases("gaussian"), ids=lambda c: c["name"])
def test_gaussian_equals_glmnet(case):
    """glmnet(λ, α) = ours at ``alpha = λα + λ(1−α)/s_y``, ``l1_ratio = λα/alpha``
    (glmnet's ridge part is divided by the weighted 1/n sd of y; none for α = 1)."""
    X, y, w, v, _ = _glmnet_inputs(case)
    h = np.ones(y.size) / y.size if w is None else w / w.sum()
    s_y = np.sqrt(h @ (y - h @ y) ** 2)
    rho = case["glmnet_args"]["alpha"]
    for k, lam in enumerate(case["lambda"]):
        alpha = lam * rho + lam * (1 - rho) / s_y
        l1_ratio = lam * rho / alpha
        path = regularization_path(
            X,
            y,
            l1_ratio=l1_ratio,
            alphas=[alpha],
            sample_weight=w,
            penalty_weights=v,
            standardize=True,
            tol=1e-14,
            max_iter=100_000,
            **_bounds(case),
        )
        np.testing.assert_allclose(path.coefs[:, 0], case["beta"][k], atol=TOL)
        np.testing.assert_allclose(path.intercepts[0], case["a0"][k], atol=TOL)
        # The estimator: the same fit.
        model = sk.ElasticNet(
            alpha=alpha,
            l1_ratio=l1_ratio,
            penalty_weights=v,
            standardize=True,
            tol=1e-14,
            max_iter=100_000,
            **_bounds(case),
        ).fit(X, y, sample_weight=w)
        np.testing.assert_allclose(model.coef_, case["beta"][k], atol=TOL)
        np.testing.assert_allclose(model.intercept_, case["a0"][k], atol=TOL)


@pytest.mark.parametrize("case", _standardized_cases("poisson"), ids=lambda c: c["name"])
def test_poisson_path_equals_glmnet(case):
    X, y, w, v, offset = _glmnet_inputs(case)
    path = regularization_path(
        X,
        y,
        loss="poisson",
        l1_ratio=case["glmnet_args"]["alpha"],
        alphas=np.asarray(case["lambda"]),
        sample_weight=w,
        penalty_weights=v,
        offset=offset,
        standardize=True,
        tol=1e-13,
        max_iter=1000,
        **_bounds(case),
    )
    np.testing.assert_allclose(path.coefs.T, case["beta"], atol=TOL)
    np.testing.assert_allclose(path.intercepts, case["a0"], atol=TOL)


def test_reference_cases_are_found():
    """The loops above run: the stored standardize=TRUE cases, with bounds too."""
    assert len(_standardized_cases("gaussian")) == 4
    assert len(_standardized_cases("poisson")) == 3
    bounded = [c for c in _standardized_cases("gaussian") if _bounds(c)["lower_bounds"] is not None]
    assert len(bounded) == 1


# ------------------------------------------------------------------ the scales


def _data(n=90, p=6, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, p)) * np.array([1, 10, 0.1, 1, 3, 1])[:p] + 4.0
    y = X @ np.array([1, 0.1, 5, 0, 0.3, 0])[:p] + rng.normal(size=n)
    w = rng.uniform(0.5, 2.0, n)
    return X, y, w


def test_scales_are_the_weighted_population_sd():
    X, _, w = _data()
    h = w / w.sum()
    expected = np.sqrt(np.diag(np.cov(X, rowvar=False, aweights=h, bias=True)))
    np.testing.assert_allclose(column_scales(X, h).scales, expected, rtol=1e-13)
    sparse = sp.random(200, 30, density=0.2, format="csr", random_state=1)
    hs = np.random.default_rng(2).uniform(0.1, 1, 200)
    hs /= hs.sum()
    dense = sparse.toarray()
    expected = np.sqrt(np.diag(np.cov(dense, rowvar=False, aweights=hs, bias=True)))
    np.testing.assert_allclose(column_scales(sparse, hs).scales, expected, rtol=1e-12)
    scaled, _ = standardize_design(sparse, hs, True)
    assert sp.issparse(scaled) and scaled.format == "csr" and scaled.nnz == sparse.nnz


def test_bad_standardize_value_is_refused():
    X, y, _ = _data()
    with pytest.raises(ValueError, match="standardize must be True or False"):
        sk.Lasso(alpha=0.1, standardize="yes").fit(X, y)


# ------------------------------------------------------------------ independent refs


def test_lasso_kkt_in_original_units_with_weights():
    """Minimizer of ``½Σh r² + α Σ v_j s_j|β_j|``: ``|x_jᵀh r| ≤ α v_j s_j``."""
    X, y, w = _data()
    h = w / w.sum()
    v = np.array([1.0, 0.5, 2.0, 1.0, 0.0, 1.0])
    alpha = 0.05
    model = sk.Lasso(alpha=alpha, penalty_weights=v, standardize=True, tol=1e-14).fit(
        X, y, sample_weight=w
    )
    s = np.sqrt(h @ (X - h @ X) ** 2)
    r = y - X @ model.coef_ - model.intercept_
    assert abs(h @ r) < 1e-10  # the intercept's condition
    grad = X.T @ (h * r)
    active = model.coef_ != 0
    assert active.sum() >= 3 and not active.all()
    np.testing.assert_allclose(
        grad[active], alpha * v[active] * s[active] * np.sign(model.coef_[active]), atol=1e-9
    )
    assert np.all(np.abs(grad[~active]) <= alpha * v[~active] * s[~active] + 1e-9)


@pytest.mark.parametrize("n_classes", [2, 3])
def test_logistic_equals_sklearn_on_manually_standardized_X(n_classes):
    from scipy.special import logsumexp
    from sklearn.linear_model import LogisticRegression as SkLogistic

    X, y, w = _data(n=150)
    labels = np.digitize(y, np.quantile(y, np.linspace(0, 1, n_classes + 1)[1:-1]))
    h = w / w.sum()
    s = np.sqrt(h @ (X - h @ X) ** 2)
    Z, C = X / s, 0.3
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = SkLogistic(C=C, tol=1e-14, max_iter=100_000).fit(Z, labels, sample_weight=w)
    ours = sk.LogisticRegression(C=C, tol=1e-12, max_iter=1000, standardize=True).fit(
        X, labels, sample_weight=w
    )

    def objective(coef, intercept):  # scikit-learn's, in the standardized columns
        eta = Z @ coef.T + intercept
        if n_classes == 2:
            loss = np.logaddexp(0, eta[:, 0]) - labels * eta[:, 0]
        else:
            loss = logsumexp(eta, axis=1) - eta[np.arange(labels.size), labels]
        return C * np.sum(w * loss) + 0.5 * np.sum(coef**2)

    best = objective(ref.coef_, ref.intercept_)
    assert objective(ours.coef_ * s, ours.intercept_) <= best * (1 + 1e-8)
    if n_classes == 2:
        np.testing.assert_allclose(ours.coef_ * s, ref.coef_, atol=1e-6)
        np.testing.assert_allclose(ours.intercept_, ref.intercept_, atol=1e-6)
    else:
        # The multinomial objective is flat here (uncentred columns): the solver stops
        # within 1e-9 of the optimum's value but ~1e-3 from its coefficients, with or
        # without standardize; the probabilities agree closely.
        np.testing.assert_allclose(ours.predict_proba(X), ref.predict_proba(Z), atol=1e-4)


def test_lasso_cv_folds_use_training_scales():
    """Fold k's test error at each alpha is that of a fit standardized on the training
    rows alone (glmnet's cv.glmnet), scored on the test rows in original units."""
    from sklearn.model_selection import KFold

    X, y, _ = _data(n=60)
    alphas = [0.3, 0.1, 0.03]
    folds = list(KFold(3).split(X))
    cv = sk.LassoCV(alphas=alphas, cv=folds, standardize=True, tol=1e-12).fit(X, y)
    for k, (train, test) in enumerate(folds):
        Xt = X[train]
        s = Xt.std(axis=0)  # 1/n sd of the training rows
        for i, alpha in enumerate(sorted(alphas, reverse=True)):
            ref = sk.Lasso(alpha=alpha, tol=1e-12).fit(Xt / s, y[train])  # no standardize
            mse = np.mean((X[test] @ (ref.coef_ / s) + ref.intercept_ - y[test]) ** 2)
            np.testing.assert_allclose(cv.mse_path_[i, k], mse, rtol=1e-7)


# ------------------------------------------------------------------ invariances

_X, _y, _w = _data(n=120)
_SCALE = np.array([1.0, 2.0, 3.0, 0.5, 1.0, 10.0])


def _estimators():
    multi = np.c_[_y, 2 * _y + np.random.default_rng(3).normal(size=_y.size)]
    binary = (_y > np.median(_y)).astype(int)
    three = np.digitize(_y, np.quantile(_y, [1 / 3, 2 / 3]))
    return [
        (sk.Lasso(alpha=0.05, standardize=True, tol=1e-12), _y),
        (sk.ElasticNet(alpha=0.1, l1_ratio=0.3, standardize=True, tol=1e-12), _y),
        (sk.LassoCV(standardize=True, cv=3, tol=1e-10), _y),
        (sk.ElasticNetCV(l1_ratio=[0.5, 1], standardize=True, cv=3, tol=1e-10), _y),
        (sk.LogisticRegression(C=0.5, l1_ratio=1.0, standardize=True, tol=1e-10), binary),
        (
            sk.LogisticRegression(C=0.5, l1_ratio=0.5, standardize=True, tol=1e-10, max_iter=5000),
            three,
        ),
        (
            sk.LogisticRegressionCV(
                Cs=5,
                l1_ratios=(1.0,),
                cv=3,
                scoring="neg_log_loss",
                use_legacy_attributes=False,
                standardize=True,
                tol=1e-10,
            ),
            binary,
        ),
        (sk.RelaxedLasso(alpha=0.05, standardize=True, tol=1e-12), _y),
        (sk.RelaxedLassoCV(standardize=True, cv=3, tol=1e-10), _y),
        (sk.LassoIC(standardize=True), _y),
        (sk.ElasticNetIC(l1_ratio=0.5, standardize=True), _y),
        (sk.MultiTaskElasticNet(alpha=0.1, standardize=True, tol=1e-12), multi),
        (sk.MultiTaskLassoCV(standardize=True, cv=3, tol=1e-10), multi),
    ]


def _output(model, X):
    return model.predict_proba(X) if hasattr(model, "predict_proba") else model.predict(X)


@pytest.mark.parametrize(
    "estimator,target", _estimators(), ids=lambda e: type(e).__name__ if hasattr(e, "fit") else ""
)
def test_rescaling_a_column_rescales_its_coefficient(estimator, target):
    first = estimator.fit(_X, target, sample_weight=_w)
    coef, output = np.array(first.coef_), _output(first, _X)
    second = estimator.fit(_X * _SCALE, target, sample_weight=_w)
    np.testing.assert_allclose(coef, np.array(second.coef_) * _SCALE, atol=1e-8)
    np.testing.assert_allclose(output, _output(second, _X * _SCALE), atol=1e-8)
    # and standardize=False does depend on the scales (the check above can fail)
    plain = estimator.set_params(standardize=False)
    a = np.array(plain.fit(_X, target, sample_weight=_w).coef_)
    b = np.array(plain.fit(_X * _SCALE, target, sample_weight=_w).coef_) * _SCALE
    assert np.abs(a - b).max() > 1e-4


def test_path_invariance_poisson():
    rng = np.random.default_rng(4)
    X = rng.normal(size=(200, 5)) * [1, 5, 0.2, 1, 2]
    counts = rng.poisson(np.exp(0.3 * X[:, 0] + 0.05 * X[:, 1]))
    c = np.array([3.0, 0.1, 7.0, 1.0, 2.0])
    a = regularization_path(X, counts, loss="poisson", alphas=5, standardize=True, tol=1e-12)
    b = regularization_path(X * c, counts, loss="poisson", alphas=5, standardize=True, tol=1e-12)
    np.testing.assert_allclose(a.alphas, b.alphas, rtol=1e-12)  # λ_max of the scaled design
    np.testing.assert_allclose(a.coefs, b.coefs * c[:, None], atol=1e-9)
    np.testing.assert_allclose(a.intercepts, b.intercepts, atol=1e-9)


# ------------------------------------------------------------------ sparse, constant


def _sparse_problem():
    # 1500 x 80 = 120 000 cells: above the size solved densely, so the sparse route runs.
    rng = np.random.default_rng(5)
    X = sp.random(1500, 80, density=0.1, format="csr", random_state=6)
    X = X @ sp.diags(rng.uniform(0.1, 10, 80))
    y = np.asarray(X @ (rng.normal(size=80) * (rng.random(80) < 0.2))).ravel()
    y = y + rng.normal(size=1500)
    return X.tocsr(), y, rng.uniform(0.5, 2, 1500)


def test_sparse_equals_dense():
    X, y, w = _sparse_problem()
    dense = X.toarray()
    for model in (
        sk.Lasso(alpha=0.02, standardize=True, tol=1e-12),
        sk.ElasticNet(alpha=0.02, l1_ratio=0.5, standardize=True, tol=1e-12),
    ):
        a = model.fit(X, y, sample_weight=w).coef_
        b = model.fit(dense, y, sample_weight=w).coef_
        np.testing.assert_allclose(a, b, atol=1e-8)
    binary = (y > np.median(y)).astype(int)
    logistic = sk.LogisticRegression(C=0.05, l1_ratio=1.0, standardize=True, tol=1e-10)
    a = logistic.fit(X, binary, sample_weight=w).coef_
    b = logistic.fit(dense, binary, sample_weight=w).coef_
    np.testing.assert_allclose(a, b, atol=1e-7)
    counts = np.random.default_rng(7).poisson(np.exp(np.clip(y, -3, 3) / 4))
    pa = regularization_path(X, counts, loss="poisson", alphas=4, standardize=True, tol=1e-12)
    pb = regularization_path(dense, counts, loss="poisson", alphas=4, standardize=True, tol=1e-12)
    np.testing.assert_allclose(pa.coefs, pb.coefs, atol=1e-8)


@pytest.mark.parametrize("sparse", [False, True])
def test_constant_column_gets_zero(sparse):
    X, y, w = _data()
    X[:, 2] = 3.0  # constant, nonzero
    v = np.ones(X.shape[1])
    v[2] = 0.0  # even unpenalized: glmnet gives it 0
    Xin = sp.csr_matrix(X) if sparse else X
    assert column_scales(Xin, w / w.sum()).scales[2] == 0.0
    model = sk.Lasso(alpha=0.01, penalty_weights=v, standardize=True).fit(Xin, y, sample_weight=w)
    assert model.coef_[2] == 0.0 and np.all(np.isfinite(model.coef_))
    binary = (y > np.median(y)).astype(int)
    logistic = sk.LogisticRegression(C=1.0, standardize=True).fit(Xin, binary)
    assert logistic.coef_[0, 2] == 0.0
    path = regularization_path(Xin, y, alphas=3, standardize=True)
    assert np.all(path.coefs[2] == 0.0)


def test_warm_start_in_original_units():
    X, y, w = _data()
    model = sk.Lasso(alpha=0.05, standardize=True, warm_start=True, tol=1e-12)
    first = model.fit(X, y, sample_weight=w).coef_.copy()
    again = model.fit(X, y, sample_weight=w)
    np.testing.assert_allclose(again.coef_, first, atol=1e-10)
    assert again.n_iter_ <= 2  # started at the solution, not at b = β


def test_default_is_off():
    X, y, _ = _data()
    for cls in (sk.Lasso, sk.ElasticNet, sk.LogisticRegression, sk.MultiTaskLasso):
        assert cls().get_params()["standardize"] is False
    a = sk.Lasso(alpha=0.1).fit(X, y).coef_
    b = sk.Lasso(alpha=0.1, standardize=False).fit(X, y).coef_
    np.testing.assert_array_equal(a, b)


def test_dask_input_is_refused_with_a_clear_message():
    da = pytest.importorskip("dask.array")
    X, y, _ = _data()
    with pytest.raises(ValueError, match=r"standardize=True\) is not available on Dask"):
        sk.Lasso(alpha=0.1, standardize=True).fit(da.from_array(X), da.from_array(y))
