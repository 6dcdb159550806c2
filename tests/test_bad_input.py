"""Bad input gets a clear ValueError that names the problem and the fix."""

import numpy as np
import pytest

import shrinkage as sh
from shrinkage import ElasticNet, Lasso, LogisticRegression, regularization_path

X = np.random.default_rng(0).normal(size=(20, 3))
y = X @ np.array([1.0, -2.0, 0.0]) + 0.1
y01 = (y > 0).astype(float)


@pytest.mark.parametrize("bad, match", [(np.nan, "NaN"), (np.inf, "infinity")])
def test_non_finite_x(bad, match):
    Xb = X.copy()
    Xb[3, 1] = bad
    for model, target in ((Lasso(), y), (LogisticRegression(), y01)):
        with pytest.raises(ValueError, match=f"contains {match}.*impute"):
            model.fit(Xb, target)
    with pytest.raises(ValueError, match=match):
        regularization_path(Xb, y)


def test_non_finite_y():
    yb = y.copy()
    yb[0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        Lasso().fit(X, yb)


def test_mismatched_lengths():
    with pytest.raises(ValueError, match="inconsistent numbers of samples|must match"):
        Lasso().fit(X, y[:-1])
    with pytest.raises(ValueError, match="must match"):
        regularization_path(X, y[:-1])


def test_empty_data():
    with pytest.raises(ValueError, match="0 sample"):
        Lasso().fit(np.empty((0, 3)), np.empty(0))
    with pytest.raises(ValueError, match="empty"):
        regularization_path(np.empty((0, 3)), np.empty(0))


def test_non_numeric_columns():
    Xs = X.astype(object)
    Xs[0, 0] = "red"
    with pytest.raises(ValueError, match="non-numeric.*OneHotEncoder"):
        Lasso().fit(Xs, y)
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame({"a": X[:, 0], "colour": ["red", "blue"] * 10})
    with pytest.raises(ValueError, match="non-numeric columns \\['colour'\\]"):
        Lasso().fit(frame, y)
    frame["colour"] = pd.Categorical(frame["colour"])  # categories of text: refused too
    with pytest.raises(ValueError, match="non-numeric columns \\['colour'\\]"):
        Lasso().fit(frame, y)


def test_numeric_categorical_columns_are_read_as_numbers():
    """As scikit-learn: a Categorical of numbers is its numbers (not its codes)."""
    pd = pytest.importorskip("pandas")
    levels = np.array([10.0, 20.0, 40.0, 20.0] * 5)
    frame = pd.DataFrame({"a": X[:, 0], "level": pd.Categorical(levels)})
    plain = Lasso(alpha=0.01).fit(np.c_[X[:, 0], levels], y)
    np.testing.assert_allclose(Lasso(alpha=0.01).fit(frame, y).coef_, plain.coef_)


@pytest.mark.parametrize(
    "model, match",
    [
        (Lasso(alpha=-1.0), "alpha must be >= 0"),
        (ElasticNet(l1_ratio=1.5), "l1_ratio must be a number in \\[0, 1\\]"),
        (ElasticNet(l1_ratio=-0.1), "l1_ratio"),
        (Lasso(tol=-1), "tol"),
        (Lasso(max_iter=0), "max_iter must be a positive integer"),
        (Lasso(penalty_weights=[1.0, 1.0]), "penalty_weights has shape .* 3 features"),
        (Lasso(penalty_weights=[1.0, -1.0, 1.0]), "penalty_weights must be finite and >= 0"),
        (Lasso(selection="greedy"), "selection"),
    ],
)
def test_bad_regression_parameters(model, match):
    with pytest.raises(ValueError, match=match):
        model.fit(X, y)


@pytest.mark.parametrize(
    "model, match",
    [
        (LogisticRegression(C=-1.0), "C must be >= 0"),
        (LogisticRegression(C=0.0), "C must be > 0"),
        (LogisticRegression(l1_ratio=2.0), "l1_ratio"),
        (LogisticRegression(dual=True), "dual=True is not supported"),
        (LogisticRegression(solver="magic"), "'solver' parameter of LogisticRegression must be"),
    ],
)
def test_bad_logistic_parameters(model, match):
    with pytest.raises(ValueError, match=match):
        model.fit(X, y01)


def test_negative_sample_weight():
    w = np.ones(20)
    w[2] = -1
    with pytest.raises(ValueError, match="negative entries.*>= 0"):
        Lasso().fit(X, y, sample_weight=w)
    with pytest.raises(ValueError, match="negative"):
        LogisticRegression().fit(X, y01, sample_weight=w)
    with pytest.raises(ValueError, match="one weight per sample"):
        Lasso().fit(X, y, sample_weight=np.ones(5))
    with pytest.raises(ValueError, match="sums to zero"):
        Lasso().fit(X, y, sample_weight=np.zeros(20))


def test_binary_path_needs_two_classes():
    with pytest.raises(ValueError, match="exactly 2 classes"):
        regularization_path(X, np.zeros(20), loss="logistic")


def _warm_start_cases():
    rng = np.random.default_rng(1)
    Xw = rng.normal(size=(60, 4))
    yw = Xw @ np.array([1.0, -0.5, 0.0, 0.3]) + rng.normal(size=60)
    counts = rng.poisson(np.exp(0.3 * Xw[:, 0])).astype(float)
    survival = np.c_[rng.exponential(size=60), rng.integers(0, 2, 60)]
    binary = (yw > 0).astype(int)
    return [
        (Lasso(alpha=0.1), yw),
        (ElasticNet(alpha=0.1), yw),
        (sh.MultiTaskLasso(alpha=0.1), np.c_[yw, -yw]),
        (sh.MultiTaskElasticNet(alpha=0.1), np.c_[yw, -yw]),
        (LogisticRegression(), binary),
        (LogisticRegression(l1_ratio=1.0, C=0.5), binary),
        (LogisticRegression(), np.digitize(yw, [-1, 1])),  # three classes
        (sh.PoissonRegressor(alpha=0.1), counts),
        (sh.GammaRegressor(alpha=0.1), counts + 1),
        (sh.TweedieRegressor(power=1.5, alpha=0.1), counts),
        (sh.CoxPH(0.05), survival),
    ], Xw


@pytest.mark.parametrize("case", range(11))
@pytest.mark.parametrize("attribute", ["coef_", "intercept_"])
def test_warm_start_from_non_finite_coefficients_is_refused(case, attribute):
    # Before: Lasso silently restarted, L1-logistic returned NaN weights, the other
    # logistic and GLM fits failed inside a Cholesky factorization ("array must not
    # contain infs or NaNs"), MultiTaskLasso blamed the data.
    cases, Xw = _warm_start_cases()
    model, target = cases[case]
    model.set_params(warm_start=True).fit(Xw, target)
    if attribute == "intercept_" and not hasattr(model, "intercept_"):
        pytest.skip("no intercept_ (CoxPH)")
    setattr(model, attribute, np.full_like(np.asarray(getattr(model, attribute), float), np.nan))
    with pytest.raises(ValueError, match=f"warm_start=True starts from the fitted {attribute}"):
        model.fit(Xw, target)
    # A cold start ignores the broken attribute and fits.
    model.set_params(warm_start=False).fit(Xw, target)
    assert np.all(np.isfinite(model.coef_))


def test_single_class_error_names_the_class():
    cv = sh.LogisticRegressionCV(
        Cs=2, cv=2, l1_ratios=(0.0,), scoring="neg_log_loss", use_legacy_attributes=False
    )
    for model in (LogisticRegression(), cv):
        with pytest.raises(ValueError, match="contains only one class: 7"):
            model.fit(X, np.full(20, 7))


@pytest.mark.parametrize(
    "model",
    [
        Lasso(positive="no"),
        Lasso(fit_intercept="False"),
        ElasticNet(copy_X="no"),
        sh.Ridge(fit_intercept="False"),
        LogisticRegression(fit_intercept="False"),
        sh.LassoCV(positive="no"),
        sh.RidgeCV(alpha_per_target=1),
        sh.MultiTaskLasso(warm_start="yes"),
        sh.LassoIC(relax="yes"),
        sh.CoxPH(0.1, standardize="no"),
    ],
    ids=lambda m: type(m).__name__,
)
def test_a_string_for_a_boolean_parameter_is_refused(model):
    # "False" is a truthy string: Lasso(positive="no") fitted a positive lasso, silently.
    target = y01 if isinstance(model, LogisticRegression) else y
    if isinstance(model, sh.MultiTaskLasso):
        target = np.c_[y, y]
    if isinstance(model, sh.CoxPH):
        target = np.c_[np.arange(1, 21), np.ones(20)]
    with pytest.raises(ValueError, match="must be True or False"):
        model.fit(X, target)


def test_numpy_bools_and_numeric_verbose_are_accepted():
    Lasso(fit_intercept=np.True_, positive=np.False_).fit(X, y)
    sh.LassoCV(verbose=0, cv=3).fit(X, y)


@pytest.mark.parametrize(
    "model",
    [
        sh.LassoCV(alphas=10.0),
        sh.LassoCV(alphas="10"),
        sh.ElasticNetCV(alphas=100.0),
        sh.PoissonRegressorCV(alphas=5.0),
        sh.LogisticRegressionCV(
            Cs="10", l1_ratios=(0.0,), scoring="neg_log_loss", use_legacy_attributes=False
        ),
        sh.LogisticRegressionCV(
            Cs=10.5, l1_ratios=(0.0,), scoring="neg_log_loss", use_legacy_attributes=False
        ),
    ],
    ids=lambda m: f"{type(m).__name__}-{getattr(m, 'alphas', getattr(m, 'Cs', ''))!r}",
)
def test_a_scalar_grid_that_is_not_a_count_is_refused(model):
    # alphas=10.0 ran a one-alpha "cross-validation" at alpha 10 (Cs="10" one C of 10),
    # silently; scikit-learn refuses both.
    target = y01 if isinstance(model, sh.LogisticRegressionCV) else y
    if isinstance(model, sh.PoissonRegressorCV):
        target = np.round(np.abs(y))
    with pytest.raises(ValueError, match="must be an integer .* or an array"):
        model.fit(X, target)
