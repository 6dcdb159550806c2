"""PoissonRegressor, GammaRegressor, TweedieRegressor and their CV versions.

References, none of them shrinkage's own output:

* scikit-learn's ``PoissonRegressor`` / ``GammaRegressor`` / ``TweedieRegressor``
  (``solver="newton-cholesky"``, ``tol=1e-12``) at ``l1_ratio=0``: the same objective,
  so the same coefficients, predictions and D²;
* scikit-learn's loss objects (``HalfTweedieLoss``) and ``mean_tweedie_deviance`` for
  the Tweedie datafit and the CV deviance;
* R's glmnet 4.1 (``tests/reference/glmnet/poisson.json``) at every stored λ, and
  ``cv.glmnet`` curves for a fixed ``foldid`` (``cv_poisson.json``, from
  ``scripts/glmnet_cv_reference.R``);
* the KKT conditions of the objective, written out in NumPy.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn import linear_model as sk
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.estimator_checks import parametrize_with_checks

from shrinkage import (
    GammaRegressor,
    GammaRegressorCV,
    PoissonRegressor,
    PoissonRegressorCV,
    TweedieRegressor,
    TweedieRegressorCV,
)
from shrinkage.datafits import Tweedie

REFERENCE = Path(__file__).parents[1] / "reference" / "glmnet"
TIGHT = {"tol": 1e-12, "max_iter": 1000}


def _load(name: str) -> dict:
    with open(REFERENCE / f"{name}.json") as f:
        return json.load(f)


def _poisson_data() -> tuple[np.ndarray, np.ndarray]:
    d = _load("data_poisson")
    return np.asarray(d["x"], dtype=float), np.asarray(d["y"], dtype=float)


def _glm_data(n, p, seed=0):
    """Counts, positive and zero-inflated positive targets from a log-linear mean."""
    rng = np.random.RandomState(seed)
    X = rng.randn(n, p) / np.sqrt(p)
    mean = np.exp(0.5 * X @ rng.randn(p) + 0.3)
    counts = rng.poisson(mean).astype(float)
    positive = rng.gamma(2.0, mean / 2.0)
    compound = np.where(rng.rand(n) < 0.3, 0.0, positive)
    weights = rng.uniform(0.5, 1.5, n)
    return X, {"counts": counts, "positive": positive, "compound": compound}, weights


# (ours, scikit-learn's, target) with the same parameters
FAMILIES = [
    pytest.param(PoissonRegressor, sk.PoissonRegressor, {}, "counts", id="poisson"),
    pytest.param(GammaRegressor, sk.GammaRegressor, {}, "positive", id="gamma"),
    pytest.param(TweedieRegressor, sk.TweedieRegressor, {"power": 1.5}, "compound", id="tw1.5"),
    pytest.param(TweedieRegressor, sk.TweedieRegressor, {"power": 0.0}, "positive", id="tw0"),
    pytest.param(TweedieRegressor, sk.TweedieRegressor, {"power": 3.0}, "positive", id="tw3"),
]


# ----------------------------------------------------------------- scikit-learn, l1_ratio=0


@pytest.mark.parametrize(("ours", "theirs", "extra", "target"), FAMILIES)
@pytest.mark.parametrize(("n", "p"), [(200, 10), (40, 80), (1000, 30)])
@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("weighted", [False, True])
def test_equals_sklearn_at_l1_ratio_0(ours, theirs, extra, target, n, p, fit_intercept, weighted):
    X, targets, weights = _glm_data(n, p)
    y = targets[target]
    sample_weight = weights if weighted else None
    params = {"alpha": 0.1, "fit_intercept": fit_intercept, **extra}
    mine = ours(**params, **TIGHT).fit(X, y, sample_weight=sample_weight)
    with warnings.catch_warnings():
        # power 3: scikit-learn's Newton solver falls back to lbfgs (a warning), as designed
        warnings.simplefilter("ignore", ConvergenceWarning)
        ref = theirs(**params, solver="newton-cholesky", tol=1e-12, max_iter=10_000)
        ref.fit(X, y, sample_weight=sample_weight)
    np.testing.assert_allclose(mine.coef_, ref.coef_, rtol=1e-6, atol=1e-6)
    assert mine.intercept_ == pytest.approx(ref.intercept_, rel=1e-6, abs=1e-6)
    np.testing.assert_allclose(mine.predict(X), ref.predict(X), rtol=1e-6)
    assert mine.score(X, y, sample_weight) == pytest.approx(
        ref.score(X, y, sample_weight), abs=1e-6
    )


@pytest.mark.parametrize(("ours", "theirs", "extra", "target"), FAMILIES[:3])
def test_sparse_input_equals_dense(ours, theirs, extra, target):
    X, targets, _ = _glm_data(150, 20, seed=1)
    X[np.abs(X) < 0.15] = 0.0
    y = targets[target]
    dense = ours(alpha=0.05, **extra, **TIGHT).fit(X, y)
    for fmt in ("csr", "csc"):
        sparse = ours(alpha=0.05, **extra, **TIGHT).fit(sp.csr_matrix(X).asformat(fmt), y)
        np.testing.assert_allclose(sparse.coef_, dense.coef_, rtol=1e-9, atol=1e-10)
        assert sparse.intercept_ == pytest.approx(dense.intercept_, abs=1e-10)


def test_attributes_and_solver_names():
    X, targets, _ = _glm_data(100, 5)
    for solver in ("lbfgs", "newton-cholesky", "newton-cd"):
        model = PoissonRegressor(solver=solver).fit(X, targets["counts"])
        assert model.solver_ == "newton-cd"
        assert model.coef_.shape == (5,)
        assert isinstance(model.intercept_, float)
        assert isinstance(model.n_iter_, int) and model.n_iter_ >= 1
    with pytest.raises(ValueError, match="solver must be one of"):
        PoissonRegressor(solver="sag").fit(X, targets["counts"])


def test_float32_input_gives_float32_coef_as_sklearn():
    X, targets, _ = _glm_data(100, 5)
    ours = PoissonRegressor().fit(X.astype(np.float32), targets["counts"])
    ref = sk.PoissonRegressor().fit(X.astype(np.float32), targets["counts"])
    if ref.coef_.dtype != np.float32:  # scikit-learn 1.6 fits float32 input in float64
        pytest.skip(f"this scikit-learn gives {ref.coef_.dtype} coef_ for float32 input")
    assert ours.coef_.dtype == ref.coef_.dtype


def test_warm_start_reaches_the_same_solution():
    X, targets, _ = _glm_data(300, 20)
    y = targets["counts"]
    cold = PoissonRegressor(alpha=0.01, l1_ratio=0.5, **TIGHT).fit(X, y)
    warm = PoissonRegressor(alpha=0.1, l1_ratio=0.5, warm_start=True, **TIGHT).fit(X, y)
    warm.set_params(alpha=0.01).fit(X, y)
    np.testing.assert_allclose(warm.coef_, cold.coef_, atol=1e-9)
    assert warm.intercept_ == pytest.approx(cold.intercept_, abs=1e-9)


def test_convergence_warning_when_max_iter_is_too_small():
    X, targets, _ = _glm_data(300, 20)
    with pytest.warns(ConvergenceWarning, match="did not converge"):
        PoissonRegressor(alpha=1e-4, max_iter=1, tol=1e-12).fit(X, targets["counts"])


def test_tweedie_datafit_matches_sklearn_loss():
    from sklearn._loss.loss import HalfTweedieLoss

    rng = np.random.RandomState(0)
    y = rng.gamma(2.0, 1.0, 50)
    eta = rng.randn(50)
    for power in (-1.0, 0.0, 1.0, 1.3, 2.0, 3.0):
        gradient, hessian = HalfTweedieLoss(power=power).gradient_hessian(y, eta)
        datafit = Tweedie(power)
        np.testing.assert_allclose(datafit.derivative(y, eta), gradient, rtol=1e-12, atol=1e-13)
        np.testing.assert_allclose(datafit.curvature(y, eta), hessian, rtol=1e-12, atol=1e-13)
        loss = HalfTweedieLoss(power=power).loss(y, eta)
        # equal up to a constant in eta: the difference does not depend on eta
        shift = loss - datafit._loss(y, eta)
        shift2 = HalfTweedieLoss(power=power).loss(y, eta + 0.7) - datafit._loss(y, eta + 0.7)
        np.testing.assert_allclose(shift, shift2, atol=1e-10)


@pytest.mark.parametrize("power", [1.0, 1.5, 2.0])
def test_tweedie_identity_link_equals_sklearn(power):
    X, targets, _ = _glm_data(200, 6, seed=2)
    y = targets["positive"] + 1.0
    ours = TweedieRegressor(power=power, link="identity", alpha=0.1, **TIGHT).fit(X, y)
    ref = sk.TweedieRegressor(
        power=power, link="identity", alpha=0.1, solver="newton-cholesky", tol=1e-12
    ).fit(X, y)
    np.testing.assert_allclose(ours.coef_, ref.coef_, atol=1e-6)
    assert ours.intercept_ == pytest.approx(ref.intercept_, abs=1e-6)
    np.testing.assert_allclose(ours.predict(X), ref.predict(X), rtol=1e-6)


def test_tweedie_link_auto_and_identity():
    X, targets, _ = _glm_data(100, 5)
    y = targets["positive"]
    assert TweedieRegressor(power=0)._link() == "identity"
    assert TweedieRegressor(power=1.5)._link() == "log"
    with pytest.raises(ValueError, match="link must be"):
        TweedieRegressor(power=1, link="logit").fit(X, y)
    with pytest.raises(ValueError, match="0 < power < 1"):
        TweedieRegressor(power=0.5).fit(X, y)


# ----------------------------------------------------------------- scikit-learn's contract

_EXACT = {"tol": 1e-12, "max_iter": 1000}


@parametrize_with_checks(
    [
        PoissonRegressor(),
        PoissonRegressor(alpha=0.1, l1_ratio=1.0),
        GammaRegressor(),
        TweedieRegressor(power=1.5),
        TweedieRegressor(),
        # CV: weights vs repeated rows compared to 1e-7 needs the exact solution (see
        # test_estimator_checks.py); at tol=1e-4 the stopping points differ by ~1e-5.
        # (a 10-alpha grid keeps these checks quick; GammaRegressorCV shares the code)
        PoissonRegressorCV(cv=3, alphas=10, **_EXACT),
        TweedieRegressorCV(power=1.5, cv=3, alphas=10, **_EXACT),
    ]
)
def test_sklearn_estimator_checks(estimator, check):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        check(estimator)


# ----------------------------------------------------------------- R's glmnet


def _poisson_cases(standardize: bool):
    return [c for c in _load("poisson")["cases"] if c["glmnet_args"]["standardize"] == standardize]


def _kkt_residual(X, y, h, offset, coef, intercept, lam, rho):
    """Largest KKT violation of Σh(μ − yη) + λ(ρ‖β‖₁ + (1−ρ)/2‖β‖²), in NumPy."""
    eta = offset + intercept + X @ coef
    gradient = X.T @ (h * (y - np.exp(eta))) - lam * (1 - rho) * coef
    at_zero = coef == 0
    violation = np.where(
        at_zero,
        np.maximum(np.abs(gradient) - lam * rho, 0.0),
        np.abs(gradient - lam * rho * np.sign(coef)),
    )
    return max(violation.max(), abs(np.sum(h * (y - np.exp(eta)))))


@pytest.mark.parametrize("case", _poisson_cases(False), ids=lambda c: c["name"])
def test_equals_glmnet_poisson(case):
    X, y = _poisson_data()
    args = case["glmnet_args"]
    offset = np.asarray(args["offset"]) if "offset" in args else None
    weights = np.asarray(args["weights"]) if "weights" in args else None
    h = np.ones(len(y)) / len(y) if weights is None else weights / weights.sum()
    for lam, a0, beta in zip(case["lambda"], case["a0"], case["beta"], strict=True):
        model = PoissonRegressor(alpha=lam, l1_ratio=args["alpha"], **TIGHT)
        model.fit(X, y, sample_weight=weights, offset=offset)
        np.testing.assert_allclose(model.coef_, beta, atol=1e-6)
        assert model.intercept_ == pytest.approx(a0, abs=1e-6)
        # zeros where glmnet has zeros (the lasso part selects the same features)
        np.testing.assert_array_equal(model.coef_ == 0, np.asarray(beta) == 0)
        zero = np.zeros(len(y)) if offset is None else offset
        assert (
            _kkt_residual(X, y, h, zero, model.coef_, model.intercept_, lam, args["alpha"]) < 1e-8
        )


@pytest.mark.parametrize("case", _poisson_cases(True), ids=lambda c: c["name"])
def test_equals_glmnet_poisson_standardized(case):
    """glmnet's standardize=TRUE: the same coefficients in original units (1e-6)."""
    args = case["glmnet_args"]
    X, y = _poisson_data()
    offset = np.asarray(args["offset"]) if "offset" in args else None
    weights = np.asarray(args["weights"]) if "weights" in args else None
    # glmnet's lower.limits / upper.limits (scalars in the stored cases)
    bounds = {"lower_bounds": args.get("lower.limits"), "upper_bounds": args.get("upper.limits")}
    for lam, a0, beta in zip(case["lambda"], case["a0"], case["beta"], strict=True):
        model = PoissonRegressor(
            alpha=lam, l1_ratio=args["alpha"], standardize=True, **bounds, **TIGHT
        )
        model.fit(X, y, sample_weight=weights, offset=offset)
        np.testing.assert_allclose(model.coef_, beta, atol=1e-6)
        assert model.intercept_ == pytest.approx(a0, abs=1e-6)


def _cv_reference():
    ref = _load("cv_poisson")
    foldid = np.asarray(ref["foldid"])
    folds = [
        (np.flatnonzero(foldid != k), np.flatnonzero(foldid == k))
        for k in range(1, foldid.max() + 1)
    ]
    offset_case = next(
        c for c in _load("poisson")["cases"] if c["name"] == "std_false_alpha05_offset"
    )
    return ref, folds, np.asarray(offset_case["glmnet_args"]["offset"])


@pytest.mark.parametrize("index", [0, 1], ids=["alpha1", "alpha05_offset"])
def test_alpha_grid_equals_glmnet_lambda_sequence(index):
    ref, folds, offset = _cv_reference()
    case = ref["cases"][index]
    X, y = _poisson_data()
    model = PoissonRegressorCV(
        l1_ratio=case["alpha"],
        eps=case["lambda_min_ratio"],
        alphas=case["nlambda"],
        cv=folds,
        tol=1e-6,
    )
    model.fit(X, y, offset=offset if case["has_offset"] else None)
    np.testing.assert_allclose(model.alphas_, case["lambda"], rtol=1e-10)


@pytest.mark.parametrize(
    ("index", "measure"),
    [(0, "deviance"), (0, "mse"), (0, "mae"), (1, "deviance")],
)
def test_cv_curve_equals_cv_glmnet(index, measure):
    ref, folds, offset = _cv_reference()
    case = ref["cases"][index]
    expected = case["measures"][measure]
    X, y = _poisson_data()
    model = PoissonRegressorCV(
        l1_ratio=case["alpha"],
        alphas=case["lambda"],
        cv=folds,
        measure=measure,
        tol=1e-10,
        max_iter=1000,
    )
    model.fit(X, y, offset=offset if case["has_offset"] else None)
    np.testing.assert_allclose(model.alphas_, case["lambda"], rtol=1e-14)
    np.testing.assert_allclose(model.cv_results_["mean"], expected["cvm"], rtol=1e-7)
    np.testing.assert_allclose(
        model.cv_results_["standard_error"], expected["cvsd"], rtol=1e-5, atol=1e-8
    )
    assert model.alpha_min_ == pytest.approx(expected["lambda_min"], rel=1e-12)
    assert model.alpha_1se_ == pytest.approx(expected["lambda_1se"], rel=1e-12)
    assert model.alpha_ == model.alpha_min_
    assert model.mse_path_.shape == (len(case["lambda"]), len(folds))


@pytest.mark.parametrize(
    ("index", "measure"),
    [(0, "deviance"), (0, "mse"), (0, "mae"), (1, "deviance")],
)
def test_cv_curve_with_weights_and_unequal_folds_equals_cv_glmnet(index, measure):
    """cv.glmnet weighs each fold by its summed weight (folds of 25 ... 250 rows, weights
    in [0.2, 2]): cvm, cvsd, lambda.min and lambda.1se equal R's."""
    ref = _load("cv_poisson_weighted")
    foldid = np.asarray(ref["foldid"])
    folds = [
        (np.flatnonzero(foldid != k), np.flatnonzero(foldid == k))
        for k in range(1, foldid.max() + 1)
    ]
    assert len({len(test) for _, test in folds}) == len(folds)  # unequal sizes
    offset = _cv_reference()[2]
    case = ref["cases"][index]
    expected = case["measures"][measure]
    X, y = _poisson_data()
    model = PoissonRegressorCV(
        l1_ratio=case["alpha"],
        alphas=case["lambda"],
        cv=folds,
        measure=measure,
        tol=1e-10,
        max_iter=1000,
    )
    model.fit(X, y, sample_weight=ref["weights"], offset=offset if case["has_offset"] else None)
    np.testing.assert_allclose(model.cv_results_["mean"], expected["cvm"], rtol=1e-7)
    np.testing.assert_allclose(
        model.cv_results_["standard_error"], expected["cvsd"], rtol=1e-5, atol=1e-8
    )
    assert model.alpha_min_ == pytest.approx(expected["lambda_min"], rel=1e-12)
    assert model.alpha_1se_ == pytest.approx(expected["lambda_1se"], rel=1e-12)
    # the unweighted average over folds is measurably different here
    unweighted = model.mse_path_.mean(axis=1)
    assert np.max(np.abs(unweighted - expected["cvm"]) / np.abs(expected["cvm"])) > 1e-4


def test_cv_deviance_is_the_tweedie_deviance():
    from sklearn.metrics import mean_tweedie_deviance

    from shrinkage.linear_model._glm_cv import unit_deviance

    rng = np.random.RandomState(0)
    y = rng.gamma(2.0, 1.0, 50)
    y[:5] = 0.0
    eta = rng.randn(50)
    for power in (-1.0, 0.0, 1.0, 1.5):
        assert unit_deviance(y, eta, power).mean() == pytest.approx(
            mean_tweedie_deviance(y, np.exp(eta), power=power), rel=1e-12
        )
    for power in (2.0, 3.0):
        assert unit_deviance(y[5:], eta[5:], power).mean() == pytest.approx(
            mean_tweedie_deviance(y[5:], np.exp(eta[5:]), power=power), rel=1e-12
        )
    assert unit_deviance(y, eta, 0.0, "identity").mean() == pytest.approx(
        mean_tweedie_deviance(y, eta, power=0), rel=1e-12
    )


def test_cv_final_model_is_the_fit_at_the_chosen_alpha():
    X, y = _poisson_data()
    sparse = PoissonRegressorCV(cv=3, alphas=20, rule="1se", **TIGHT).fit(X, y)
    assert sparse.alpha_ == sparse.alpha_1se_ >= sparse.alpha_min_
    model = PoissonRegressorCV(cv=3, alphas=20, **TIGHT).fit(X, y)
    refit = PoissonRegressor(alpha=model.alpha_, l1_ratio=1.0, **TIGHT).fit(X, y)
    np.testing.assert_allclose(model.coef_, refit.coef_, atol=1e-10)
    np.testing.assert_allclose(model.predict(X), refit.predict(X), rtol=1e-10)
    assert model.cv_curve_.alpha_min == model.alpha_min_


# ----------------------------------------------------------------- bad input


def test_bad_targets():
    X, targets, _ = _glm_data(50, 3)
    y = targets["counts"]
    with pytest.raises(ValueError, match=r"out of the valid range.*needs y >= 0"):
        PoissonRegressor().fit(X, y - 1.0)
    with pytest.raises(ValueError, match=r"out of the valid range.*needs y > 0"):
        GammaRegressor().fit(X, y)  # counts include zeros
    for bad in (np.nan, np.inf):
        y_bad = y.copy()
        y_bad[3] = bad
        with pytest.raises(ValueError, match="NaN or infinity|contains NaN|infinity"):
            PoissonRegressor().fit(X, y_bad)
    # non-integer counts are fine (Poisson quasi-likelihood), as in scikit-learn
    rates = y + 0.25
    ours = PoissonRegressor(**TIGHT).fit(X, rates)
    ref = sk.PoissonRegressor(solver="newton-cholesky", tol=1e-12).fit(X, rates)
    np.testing.assert_allclose(ours.coef_, ref.coef_, atol=1e-6)


def test_bad_X_and_offset():
    X, targets, _ = _glm_data(50, 3)
    y = targets["counts"]
    X_nan = X.copy()
    X_nan[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        PoissonRegressor().fit(X_nan, y)
    with pytest.raises(ValueError, match="offset has shape"):
        PoissonRegressor().fit(X, y, offset=np.zeros(49))
    with pytest.raises(ValueError, match="offset contains NaN"):
        PoissonRegressor().fit(X, y, offset=np.full(50, np.nan))
    model = PoissonRegressor().fit(X, y)
    with pytest.raises(ValueError, match="offset has shape"):
        model.predict(X, offset=np.zeros(3))
    with pytest.raises(ValueError, match="measure must be one of"):
        PoissonRegressorCV(measure="auc").fit(X, y)
    with pytest.raises(ValueError, match="rule must be"):
        PoissonRegressorCV(rule="best").fit(X, y)


def test_offset_is_log_exposure():
    """Counts over exposures t: fitting y with offset log t is fitting the rate y/t with
    weights t (the Poisson likelihood factorizes so), an independent identity."""
    X, targets, _ = _glm_data(300, 6)
    rng = np.random.RandomState(3)
    exposure = rng.uniform(0.5, 3.0, 300)
    y = rng.poisson(exposure * np.exp(0.3 * X[:, 0])).astype(float)
    with_offset = PoissonRegressor(alpha=0.01, **TIGHT).fit(X, y, offset=np.log(exposure))
    ref = sk.PoissonRegressor(
        alpha=0.01 * 300 / exposure.sum(), solver="newton-cholesky", tol=1e-12
    )
    ref.fit(X, y / exposure, sample_weight=exposure)
    np.testing.assert_allclose(with_offset.coef_, ref.coef_, atol=1e-6)
    assert with_offset.intercept_ == pytest.approx(ref.intercept_, abs=1e-6)
    np.testing.assert_allclose(
        with_offset.predict(X, offset=np.log(exposure)), exposure * ref.predict(X), rtol=1e-6
    )


def test_gamma_cv_fold_errors_are_test_deviances():
    """Each fold error is scikit-learn's mean Gamma deviance of that fold's fit on its
    held-out rows (the fit at one alpha checked against scikit-learn's GammaRegressor)."""
    from sklearn.metrics import mean_tweedie_deviance
    from sklearn.model_selection import KFold

    X, targets, _ = _glm_data(120, 5, seed=4)
    y = targets["positive"]
    folds = list(KFold(3).split(X))
    grid = [0.5, 0.1, 0.02]
    model = GammaRegressorCV(l1_ratio=0.0, alphas=grid, cv=folds, **TIGHT).fit(X, y)
    for k, (train, test) in enumerate(folds):
        for i, alpha in enumerate(grid):
            ref = sk.GammaRegressor(alpha=alpha, solver="newton-cholesky", tol=1e-12)
            ref.fit(X[train], y[train])
            expected = mean_tweedie_deviance(y[test], ref.predict(X[test]), power=2)
            assert model.mse_path_[i, k] == pytest.approx(expected, rel=1e-7)


def test_poisson_cv_with_standardize_is_invariant_to_column_scales():
    """Rescaling a column by c: the same alpha, the coefficient divided by c, the same
    predictions (each fold standardized on its own training rows)."""
    X, y = _poisson_data()
    scaled = X * np.r_[1000.0, np.ones(X.shape[1] - 1)]
    kwargs = dict(l1_ratio=1.0, alphas=15, cv=3, tol=1e-10, max_iter=500, standardize=True)
    base = PoissonRegressorCV(**kwargs).fit(X, y)
    other = PoissonRegressorCV(**kwargs).fit(scaled, y)
    assert other.alpha_ == pytest.approx(base.alpha_, rel=1e-12)
    np.testing.assert_allclose(other.coef_[0] * 1000.0, base.coef_[0], rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(other.predict(scaled), base.predict(X), rtol=1e-6)


@pytest.mark.parametrize(
    "make", [PoissonRegressor, GammaRegressor, lambda: TweedieRegressor(power=1.5)]
)
def test_score_is_nan_for_a_constant_target_as_sklearn(make):
    # D² divides by the null model's deviance, 0 for a constant y: scikit-learn's GLMs
    # return NaN there (sklearn.metrics.d2_tweedie_score raises ZeroDivisionError).
    X = np.random.RandomState(0).randn(30, 3)
    y = np.full(30, 2.0)
    assert np.isnan(make().fit(X, y).score(X, y))


@pytest.mark.parametrize("make", [PoissonRegressor, lambda: TweedieRegressor(power=1.5)])
def test_score_is_nan_for_an_all_zero_test_target(make):
    """A zero-heavy fold's test rows can be all zero: scikit-learn returns NaN; the
    null prediction (mean 0) must not reach the deviance, which refuses it."""
    rng = np.random.RandomState(0)
    X = rng.randn(40, 3)
    y = rng.poisson(np.exp(0.3 * X[:, 0]))
    model = make().fit(X, y)
    assert np.isnan(model.score(X[:10], np.zeros(10)))
    assert np.isnan(model.score(X, np.where(np.arange(40) < 10, 0, y), np.arange(40) < 10))


@pytest.mark.parametrize("power", [0, 1, 1.5, 2])
def test_weighted_score_is_sklearns_d2(power):
    from sklearn.metrics import d2_tweedie_score

    rng = np.random.RandomState(1)
    X = rng.randn(80, 4)
    y = rng.gamma(2.0, 1.0, 80)
    w = rng.uniform(0, 2, 80)
    model = TweedieRegressor(power=power, alpha=0.1).fit(X, y)
    expected = d2_tweedie_score(y, model.predict(X), sample_weight=w, power=power)
    assert model.score(X, y, sample_weight=w) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("power", [1, 1.5, 2, 3])
@pytest.mark.parametrize("l1_ratio", [0.0, 0.5])
def test_constant_target_is_the_intercept_only_model_at_once(power, l1_ratio):
    # The null model fits a constant y exactly; its gradient is rounding noise, which a
    # tolerance relative to it could never meet (power 1.5 ran max_iter steps and warned).
    X = np.random.RandomState(0).randn(30, 3)
    y = np.full(30, 2.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        model = TweedieRegressor(power=power, alpha=1.0, l1_ratio=l1_ratio).fit(X, y)
        cv = TweedieRegressorCV(power=power, l1_ratio=l1_ratio or 0.5, cv=3).fit(X, y)
    for fitted in (model, cv):
        np.testing.assert_array_equal(fitted.coef_, 0.0)
        assert fitted.intercept_ == pytest.approx(np.log(2.0), rel=1e-15)
        np.testing.assert_allclose(fitted.predict(X), 2.0, rtol=1e-15)


def test_poisson_lasso_on_correlated_columns_converges_in_a_few_newton_steps():
    """3000x100, correlation 0.5, 88 active at alpha 3e-3: Newton directions as
    accurate as the violation converged linearly (1000 steps, unconverged); the
    forcing term tightens them when a step gains less than half (constants). Checked
    on the KKT conditions with the gradient written out here."""
    rng = np.random.default_rng(40)
    n, p = 3000, 100
    X = np.sqrt(0.5) * rng.standard_normal((n, 1)) + np.sqrt(0.5) * rng.standard_normal((n, p))
    beta = np.zeros(p)
    beta[:20] = rng.choice([-1, 1], 20) * 0.3 / np.sqrt(20)
    y = rng.poisson(np.exp(0.5 + X @ beta)).astype(float)
    alpha = 3e-3
    model = PoissonRegressor(alpha=alpha, l1_ratio=1.0, tol=1e-6, max_iter=100).fit(X, y)
    assert model.n_iter_ <= 30
    mu = np.exp(model.intercept_ + X @ model.coef_)
    gradient = X.T @ (mu - y) / n
    coef = model.coef_
    violation = np.where(
        coef != 0,
        np.abs(gradient + alpha * np.sign(coef)),
        np.maximum(np.abs(gradient) - alpha, 0.0),
    )
    scale = np.abs(X.T @ (y.mean() - y) / n).max()
    assert violation.max() <= 1e-5 * scale
    assert abs(np.mean(mu - y)) <= 1e-5 * scale
