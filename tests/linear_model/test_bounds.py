"""``lower_bounds`` / ``upper_bounds``: glmnet's ``lower.limits`` / ``upper.limits``.

References, none of them our own output:

* R's glmnet 4.1-6 (``tests/reference/glmnet``, made by ``scripts/glmnet_reference.R``):
  the gaussian, binomial and Cox cases with bounds, to 1e-6 (the standardized gaussian
  and Poisson ones are in ``test_standardize.py`` and ``test_glm_estimators.py``);
* SciPy's L-BFGS-B on the smooth split form ``β = β⁺ − β⁻`` (``0 ≤ β⁺ ≤ upper``,
  ``0 ≤ β⁻ ≤ −lower``), for least squares, logistic and Poisson;
* the KKT conditions with the box's normal cone, in NumPy (Cox with a NumPy Breslow
  gradient);
* duality gaps that bound the suboptimality ``P(β) − P(β*)``.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.optimize import minimize

import shrinkage as sk
from shrinkage.path import regularization_path

REFERENCE = Path(__file__).parents[1] / "reference" / "glmnet"
TOL = 1e-6


def _load(name: str) -> dict:
    with open(REFERENCE / f"{name}.json") as f:
        return json.load(f)


def _limit(value, unbounded: float):
    """A stored limit (JSON null = ±Inf) as an array, or None when absent."""
    if value is None:
        return None
    return np.asarray([unbounded if v is None else v for v in np.atleast_1d(value)], float)


def _case_inputs(case: dict):
    data = _load(f"data_{case['data']}")
    X, y = np.asarray(data["x"], dtype=float), np.asarray(data["y"], dtype=float)
    args = case["glmnet_args"]
    bounds = {
        "lower_bounds": _limit(args.get("lower.limits"), -np.inf),
        "upper_bounds": _limit(args.get("upper.limits"), np.inf),
    }
    w = np.asarray(args["weights"], dtype=float) if "weights" in args else None
    offset = np.asarray(args["offset"], dtype=float) if "offset" in args else None
    return X, y, w, offset, bounds


def _bounded_cases(family: str) -> list[dict]:
    return [c for c in _load(family)["cases"] if "lower.limits" in c["glmnet_args"]]


# ------------------------------------------------------------------ R's glmnet


@pytest.mark.parametrize(
    "case",
    [c for c in _bounded_cases("gaussian") if not c["glmnet_args"]["standardize"]],
    ids=lambda c: c["name"],
)
def test_gaussian_equals_glmnet(case):
    """glmnet(λ, α) = ours at ``alpha = λα + λ(1−α)/s_y``, ``l1_ratio = λα/alpha``
    (docs/parametrizations.md)."""
    X, y, _, _, bounds = _case_inputs(case)
    rho = case["glmnet_args"]["alpha"]
    s_y = y.std()
    for k, lam in enumerate(case["lambda"]):
        alpha = lam * rho + lam * (1 - rho) / s_y
        ratio = lam * rho / alpha
        model = sk.ElasticNet(alpha=alpha, l1_ratio=ratio, tol=1e-14, max_iter=100_000, **bounds)
        model.fit(X, y)
        np.testing.assert_allclose(model.coef_, case["beta"][k], atol=TOL)
        assert model.intercept_ == pytest.approx(case["a0"][k], abs=TOL)
    if rho == 1:  # the whole path at once (the compiled Gram path)
        path = regularization_path(X, y, alphas=case["lambda"], tol=1e-14, **bounds)
        np.testing.assert_allclose(path.coefs.T, case["beta"], atol=TOL)
        np.testing.assert_allclose(path.intercepts, case["a0"], atol=TOL)


@pytest.mark.parametrize("case", _load("binomial")["cases"], ids=lambda c: c["name"])
def test_binomial_equals_glmnet(case):
    """``LogisticRegression(C = 1/(λ·Σw))`` with bounds, offsets, weights and
    standardize as glmnet's ``family="binomial"``; and the logistic path."""
    X, y, w, offset, bounds = _case_inputs(case)
    args = case["glmnet_args"]
    total = y.size if w is None else w.sum()
    for k, lam in enumerate(case["lambda"]):
        model = sk.LogisticRegression(
            C=1.0 / (lam * total),
            l1_ratio=args["alpha"],
            standardize=args["standardize"],
            tol=1e-12,
            max_iter=1000,
            **bounds,
        ).fit(X, y, sample_weight=w, offset=offset)
        np.testing.assert_allclose(model.coef_[0], case["beta"][k], atol=TOL)
        assert model.intercept_[0] == pytest.approx(case["a0"][k], abs=TOL)
    path = regularization_path(
        X,
        y,
        loss="logistic",
        l1_ratio=args["alpha"],
        alphas=case["lambda"],
        sample_weight=w,
        offset=offset,
        standardize=args["standardize"],
        tol=1e-13,
        max_iter=1000,
        **bounds,
    )
    np.testing.assert_allclose(path.coefs.T, case["beta"], atol=TOL)
    np.testing.assert_allclose(path.intercepts, case["a0"], atol=TOL)


@pytest.mark.parametrize("case", _bounded_cases("cox"), ids=lambda c: c["name"])
def test_cox_equals_glmnet(case):
    X, y, _, _, bounds = _case_inputs(case)
    rho = case["glmnet_args"]["alpha"]
    for k, lam in enumerate(case["lambda"]):
        model = sk.CoxPH(lam, l1_ratio=rho, tol=1e-12, max_iter=1000, **bounds).fit(X, y)
        np.testing.assert_allclose(model.coef_, case["beta"][k], atol=TOL)
    path = regularization_path(
        X, y, loss="cox", l1_ratio=rho, alphas=case["lambda"], tol=1e-12, **bounds
    )
    np.testing.assert_allclose(path.coefs.T, case["beta"], atol=TOL)


def test_reference_cases_bind():
    """The stored bounds are active (so the tests above check the box, not only the
    penalty): some coefficient sits on a bound in each case."""
    for family in ("gaussian", "binomial", "cox", "poisson"):
        for case in _bounded_cases(family):
            X, _, _, _, bounds = _case_inputs(case)
            lower = np.broadcast_to(bounds["lower_bounds"], X.shape[1])
            upper = np.broadcast_to(bounds["upper_bounds"], X.shape[1])
            beta = np.asarray(case["beta"])
            on_bound = (np.isclose(beta, lower) | np.isclose(beta, upper)) & (beta != 0)
            assert on_bound.any(), case["name"]


# ------------------------------------------------------------------ SciPy


def _data(n=150, p=8, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, p))
    X[:, 1] += 0.5 * X[:, 0]
    beta = np.array([1.5, -1.0, 0.8, 0.0, 0.6, -0.4, 0.0, 0.3])[:p]
    return X, X @ beta, rng


LOWER = np.array([-np.inf, -0.3, 0.0, -1.0, -np.inf, -0.1, -np.inf, -np.inf])
UPPER = np.array([0.7, np.inf, np.inf, 0.0, 0.2, np.inf, 0.1, np.inf])


def _loss(name, X, y, offset):
    """Mean loss and its gradient in η (NumPy, written out)."""

    def value_and_gradient(eta):
        eta = eta + offset
        if name == "squared_error":
            r = eta - y
            return 0.5 * np.mean(r * r), r / y.size
        if name == "logistic":
            p = 1.0 / (1.0 + np.exp(-eta))
            return np.mean(np.logaddexp(0.0, eta) - y * eta), (p - y) / y.size
        mu = np.exp(eta)
        return np.mean(mu - y * eta), (mu - y) / y.size

    return value_and_gradient


def _scipy_fit(name, X, y, alpha, l1_ratio, lower, upper, offset):
    """L-BFGS-B on ``β = β⁺ − β⁻``: smooth, with the box as simple bounds."""
    n, p = X.shape
    loss = _loss(name, X, y, offset)

    def objective(theta):
        plus, minus, b0 = theta[:p], theta[p : 2 * p], theta[-1]
        beta = plus - minus
        value, d = loss(b0 + X @ beta)
        grad = X.T @ d + alpha * (1 - l1_ratio) * beta
        penalty = alpha * (l1_ratio * np.sum(plus + minus) + (1 - l1_ratio) / 2 * beta @ beta)
        l1 = alpha * l1_ratio
        return value + penalty, np.concatenate([grad + l1, -grad + l1, [d.sum()]])

    box = [(0.0, None if np.isinf(u) else u) for u in upper]
    box += [(0.0, None if np.isinf(lo) else -lo) for lo in lower]
    result = minimize(
        objective,
        np.zeros(2 * p + 1),
        jac=True,
        method="L-BFGS-B",
        bounds=box + [(None, None)],
        options={"ftol": 1e-15, "gtol": 1e-11, "maxiter": 20_000, "maxcor": 30},
    )
    return result.x[:p] - result.x[p : 2 * p], result.x[-1]


@pytest.mark.parametrize("name", ["squared_error", "logistic", "poisson"])
@pytest.mark.parametrize("l1_ratio", [1.0, 0.5])
def test_equals_scipy_bounded_minimizer(name, l1_ratio):
    X, eta, rng = _data()
    n = X.shape[0]
    offset = rng.normal(0, 0.3, n) if name != "squared_error" else np.zeros(n)
    if name == "squared_error":
        y, alpha = eta + 0.3 * rng.normal(size=n), 0.02
        model = sk.ElasticNet(alpha=alpha, l1_ratio=l1_ratio, tol=1e-14, max_iter=100_000)
        fit = {}
    elif name == "logistic":
        y = (rng.random(n) < 1 / (1 + np.exp(-eta - offset))).astype(float)
        alpha = 0.01
        model = sk.LogisticRegression(C=1 / (alpha * n), l1_ratio=l1_ratio, tol=1e-12)
        fit = {"offset": offset}
    else:
        y = rng.poisson(np.exp(0.4 * eta + offset)).astype(float)
        alpha = 0.01
        model = sk.PoissonRegressor(alpha=alpha, l1_ratio=l1_ratio, tol=1e-12, max_iter=1000)
        fit = {"offset": offset}
    model.set_params(lower_bounds=LOWER, upper_bounds=UPPER).fit(X, y, **fit)
    coef, intercept = _scipy_fit(name, X, y, alpha, l1_ratio, LOWER, UPPER, offset)
    np.testing.assert_allclose(np.ravel(model.coef_), coef, atol=1e-6)
    assert np.ravel(model.intercept_)[0] == pytest.approx(intercept, abs=1e-6)
    on_bound = np.isclose(coef, LOWER) | np.isclose(coef, UPPER)
    assert np.any(on_bound & (coef != 0))  # the box binds: the check can fail


# ------------------------------------------------------------------ KKT, gaps


def _box_kkt(neg_gradient, coef, l1, l2, lower, upper, room=1e-12):
    """Distance of ``−∇f − l2·β`` to ``l1·∂|β| + N_[lower, upper](β)``, per feature."""
    t = neg_gradient - l2 * coef
    s = np.sign(coef)
    low = np.where(s == 0, -l1, l1 * s)
    high = np.where(s == 0, l1, l1 * s)
    low = np.where(coef <= lower + room, -np.inf, low)
    high = np.where(coef >= upper - room, np.inf, high)
    return np.maximum(np.maximum(low - t, t - high), 0.0)


@pytest.mark.parametrize("sparse", [False, True])
def test_lasso_kkt_with_bounds(sparse):
    X, eta, rng = _data(n=200, p=8, seed=2)
    y = eta + 0.2 * rng.normal(size=200)
    w = rng.uniform(0.5, 2.0, 200)
    h = w / w.sum()
    Xin = sp.csr_matrix(X) if sparse else X
    model = sk.Lasso(alpha=0.01, lower_bounds=LOWER, upper_bounds=UPPER, tol=1e-14)
    model.fit(Xin, y, sample_weight=w)
    coef = model.coef_
    assert np.all((LOWER <= coef) & (coef <= UPPER))
    r = y - X @ coef - model.intercept_
    assert abs(h @ r) < 1e-10
    v = _box_kkt(X.T @ (h * r), coef, 0.01, 0.0, LOWER, UPPER)
    assert v.max() < 1e-9
    dense = sk.Lasso(alpha=0.01, lower_bounds=LOWER, upper_bounds=UPPER, tol=1e-14)
    np.testing.assert_allclose(dense.fit(X, y, sample_weight=w).coef_, coef, atol=1e-9)


def _breslow_gradient(X, time, event, eta):
    """``∂/∂β`` of ``−(1/n)Σ_events [η_i − log Σ_{t_j ≥ t_i} e^{η_j}]`` (no ties)."""
    n = time.size
    risk = np.exp(eta)
    at_risk = time[None, :] >= time[:, None]  # row i: the risk set of t_i
    weights = at_risk * risk[None, :]
    expected = weights @ X / weights.sum(axis=1, keepdims=True)
    return -(X[event] - expected[event]).sum(axis=0) / n


def test_cox_kkt_with_bounds():
    rng = np.random.default_rng(5)
    n, p = 150, 6
    X = rng.normal(size=(n, p))
    time = rng.exponential(np.exp(-X @ np.array([1.0, -0.8, 0.5, 0, 0, 0.3])))
    event = rng.random(n) < 0.8
    lower = np.array([-np.inf, -0.2, 0.0, -0.1, -np.inf, -np.inf])
    upper = np.array([0.5, np.inf, 0.2, 0.0, np.inf, 0.1])
    model = sk.CoxPH(0.01, l1_ratio=0.7, lower_bounds=lower, upper_bounds=upper, tol=1e-12)
    model.fit(X, np.column_stack([time, event]))
    coef = model.coef_
    grad = _breslow_gradient(X, time, event, X @ coef)
    v = _box_kkt(-grad, coef, 0.007, 0.003, lower, upper)
    assert v.max() < 1e-9
    assert np.any(np.isclose(coef, upper) & (coef != 0))


def _least_squares_objective(X, y, h, coef, intercept, alpha, l1_ratio, v):
    r = y - X @ coef - intercept
    return 0.5 * h @ r**2 + alpha * (
        l1_ratio * v @ np.abs(coef) + (1 - l1_ratio) / 2 * v @ (coef * coef)
    )


@pytest.mark.parametrize("l1_ratio", [1.0, 0.6])
@pytest.mark.parametrize("precompute", [False, True])
@pytest.mark.parametrize("free", [False, True])
def test_gap_bounds_the_suboptimality(l1_ratio, precompute, free):
    """A loose fit's ``dual_gap_`` is at least its distance to the optimum in objective
    (the box's conjugate is exact, finite on bounded sides); ``free``: an unpenalized,
    unbounded feature too (the projected dual point)."""
    X, eta, rng = _data(n=120, p=8, seed=3)
    y = eta + 0.3 * rng.normal(size=120)
    h = np.full(120, 1 / 120)
    v = np.ones(8)
    if free:
        v[7] = 0.0
    common = dict(
        l1_ratio=l1_ratio,
        lower_bounds=LOWER,
        upper_bounds=UPPER,
        precompute=precompute,
        penalty_weights=v,
    )
    best = sk.ElasticNet(alpha=0.005, tol=1e-15, max_iter=100_000, **common).fit(X, y)
    optimum = _least_squares_objective(X, y, h, best.coef_, best.intercept_, 0.005, l1_ratio, v)
    assert best.dual_gap_ <= 1e-15 * np.var(y)
    for tol in (1e-2, 1e-3, 1e-5):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            loose = sk.ElasticNet(alpha=0.005, tol=tol, max_iter=3, **common).fit(X, y)
        value = _least_squares_objective(X, y, h, loose.coef_, loose.intercept_, 0.005, l1_ratio, v)
        assert -1e-13 <= value - optimum <= loose.dual_gap_ + 1e-13


@pytest.mark.parametrize("loss", ["logistic", "poisson"])
@pytest.mark.parametrize("bounded", [True, False])
def test_glm_gap_bounds_the_suboptimality_with_offset_and_bounds(loss, bounded):
    """With an offset the dual gains ``−Σ h θ offset`` (the gap was not a bound before)."""
    X, eta, rng = _data(n=150, p=8, seed=4)
    offset = rng.normal(0, 0.5, 150)
    if loss == "logistic":
        y = (rng.random(150) < 1 / (1 + np.exp(-eta - offset))).astype(float)
    else:
        y = rng.poisson(np.exp(0.4 * eta + offset)).astype(float)
    value = _loss(loss, X, y, offset)

    def objective(path, k):
        coef = path.coefs[:, k]
        return value(path.intercepts[k] + X @ coef)[0] + path.alphas[k] * np.abs(coef).sum()

    alphas = [0.05, 0.02, 0.01]
    common = dict(loss=loss, alphas=alphas, offset=offset)
    if bounded:
        common.update(lower_bounds=LOWER, upper_bounds=UPPER)
    best = regularization_path(X, y, tol=1e-13, max_iter=1000, **common)
    assert best.duality_gaps.max() < 1e-10  # a certificate: tight at the optimum
    for tol in (1e-1, 1e-3):
        loose = regularization_path(X, y, tol=tol, **common)
        for k in range(3):
            sub = objective(loose, k) - objective(best, k)
            assert -1e-12 <= sub <= loose.duality_gaps[k] + 1e-12


# ------------------------------------------------------------------ options, errors


def test_positive_is_lower_bound_zero():
    X, eta, rng = _data()
    y = eta + 0.3 * rng.normal(size=X.shape[0])
    a = sk.Lasso(alpha=0.01, positive=True, tol=1e-12).fit(X, y)
    b = sk.Lasso(alpha=0.01, lower_bounds=0.0, tol=1e-12).fit(X, y)
    c = sk.Lasso(alpha=0.01, positive=True, lower_bounds=0.0, upper_bounds=0.5, tol=1e-12)
    np.testing.assert_allclose(a.coef_, b.coef_, atol=1e-10)
    c.fit(X, y)
    assert np.all((c.coef_ >= 0) & (c.coef_ <= 0.5)) and np.any(c.coef_ == 0.5)
    with pytest.raises(ValueError, match="positive=True means lower_bounds=0"):
        sk.Lasso(alpha=0.01, positive=True, lower_bounds=-1.0).fit(X, y)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"lower_bounds": 0.1}, "lower_bounds must be <= 0"),
        ({"upper_bounds": -0.1}, "upper_bounds must be >= 0"),
        ({"lower_bounds": [-1.0, -1.0]}, r"one value per feature \(8\)"),
        ({"upper_bounds": [np.nan] * 8}, "upper_bounds contains NaN"),
        ({"lower_bounds": "low"}, "lower_bounds must be a number"),
    ],
)
def test_bad_bounds_are_refused(options, message):
    X, eta, _ = _data()
    with pytest.raises(ValueError, match=message):
        sk.ElasticNet(alpha=0.1, **options).fit(X, eta)
    with pytest.raises(ValueError, match=message):
        regularization_path(X, eta, alphas=3, **options)
    with pytest.raises(ValueError, match=message):
        sk.LogisticRegression(**options).fit(X, eta > 0)


def test_grouped_multinomial_bounds_are_not_offered():
    """Bounds with K classes are offered ungrouped (tests/linear_model/
    test_multinomial_options.py), not with the grouped penalty."""
    X, eta, _ = _data()
    three = np.digitize(eta, np.quantile(eta, [1 / 3, 2 / 3]))
    with pytest.raises(NotImplementedError, match="multinomial_penalty='grouped'"):
        sk.LogisticRegression(lower_bounds=-1.0, multinomial_penalty="grouped", l1_ratio=1.0).fit(
            X, three
        )
    with pytest.raises(NotImplementedError, match="multinomial_penalty='grouped'"):
        sk.LogisticRegressionCV(
            multinomial_penalty="grouped",
            upper_bounds=1.0,
            cv=3,
            Cs=2,
            l1_ratios=(1.0,),
            scoring="neg_log_loss",
            use_legacy_attributes=False,
        ).fit(X, three)


def test_dask_input_with_bounds_is_refused():
    da = pytest.importorskip("dask.array")
    X, eta, _ = _data()
    with pytest.raises(NotImplementedError, match="lower_bounds/upper_bounds is not available"):
        sk.Lasso(alpha=0.1, lower_bounds=-1.0).fit(da.from_array(X), da.from_array(eta))


def test_unbounded_defaults_change_nothing():
    X, eta, rng = _data()
    y = eta + 0.3 * rng.normal(size=X.shape[0])
    a = sk.ElasticNet(alpha=0.05).fit(X, y).coef_
    b = sk.ElasticNet(alpha=0.05, lower_bounds=-np.inf, upper_bounds=np.inf).fit(X, y).coef_
    np.testing.assert_allclose(a, b, atol=1e-12)


# ------------------------------------------------------------------ CV estimators


def _in_box(coef, lower=LOWER, upper=UPPER) -> bool:
    coef = np.ravel(coef)
    return bool(np.all((lower <= coef) & (coef <= upper)))


def test_lasso_cv_folds_are_bounded_fits():
    """Each fold's error is that of a bounded Lasso on its training rows (the grid from
    the bounded problem's alpha_max), and the final fit is bounded."""
    from sklearn.model_selection import KFold

    X, eta, rng = _data(n=90)
    y = eta + 0.3 * rng.normal(size=90)
    folds = list(KFold(3).split(X))
    alphas = [0.2, 0.05, 0.01]
    bounds = dict(lower_bounds=LOWER, upper_bounds=UPPER)
    cv = sk.LassoCV(alphas=alphas, cv=folds, tol=1e-12, **bounds).fit(X, y)
    assert _in_box(cv.coef_)
    for k, (train, test) in enumerate(folds):
        for i, alpha in enumerate(sorted(alphas, reverse=True)):
            ref = sk.Lasso(alpha=alpha, tol=1e-12, **bounds).fit(X[train], y[train])
            mse = np.mean((ref.predict(X[test]) - y[test]) ** 2)
            np.testing.assert_allclose(cv.mse_path_[i, k], mse, rtol=1e-7)


def test_cv_estimators_stay_in_the_box():
    X, eta, rng = _data(n=120)
    n = X.shape[0]
    bounds = dict(lower_bounds=LOWER, upper_bounds=UPPER)
    counts = rng.poisson(np.exp(0.4 * eta)).astype(float)
    binary = (eta + rng.normal(size=n) > 0).astype(int)
    survival = np.column_stack([rng.exponential(np.exp(-0.5 * eta)), rng.random(n) < 0.8])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fitted = [
            sk.ElasticNetCV(l1_ratio=[0.5, 1.0], cv=3, alphas=5, **bounds).fit(X, eta),
            sk.PoissonRegressorCV(cv=3, alphas=5, **bounds).fit(X, counts),
            sk.LogisticRegressionCV(
                Cs=3, l1_ratios=(1.0,), cv=3, use_legacy_attributes=False, **bounds
            ).fit(X, binary),
            sk.CoxPHCV(cv=3, alphas=5, **bounds).fit(X, survival),
        ]
    for model in fitted:
        assert _in_box(model.coef_), type(model).__name__
    assert np.any(np.isclose(np.ravel(fitted[0].coef_), UPPER))  # the box binds
