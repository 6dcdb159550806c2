"""CoxPH, CoxPHCV and the Cox path against R (glmnet, survival), KKT and brute force.

References: ``tests/reference/glmnet/cox.json`` (``scripts/glmnet_reference.R``: glmnet
4.1 ``family="cox"`` fits and ``survival::coxph`` ridge fits) and ``cox_cv.json``
(``scripts/glmnet_cox_cv_reference.R``: ``cv.glmnet`` with fixed ``foldid``). R is not
needed to run these tests.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.model_selection import PredefinedSplit

from shrinkage import CoxPH, CoxPHCV, regularization_path
from shrinkage.datafits import get_datafit
from shrinkage.datafits.cox import Cox

REFERENCE = Path(__file__).parents[1] / "reference" / "glmnet"


def load(name: str) -> dict:
    with open(REFERENCE / f"{name}.json") as f:
        return json.load(f)


def load_data(name: str) -> tuple[np.ndarray, np.ndarray]:
    d = load(f"data_{name}")
    return np.asarray(d["x"], dtype=float), np.asarray(d["y"], dtype=float)


COX = load("cox")
COX_CV = load("cox_cv")
COX_CV_WEIGHTED = load("cox_cv_weighted")
TIGHT = dict(tol=1e-11, max_iter=100_000)


def case_inputs(case):
    x, y = load_data(case["data"])
    args = case["glmnet_args"]
    return x, y, args.get("weights"), args.get("offset")


def kkt_violation(x, y, beta, lam, rho, weights=None, offset=None, ties="breslow"):
    """Largest violation of the optimality conditions of F(Xβ + offset) + λ P(β)."""
    n = len(y)
    h = np.ones(n) / n if weights is None else np.asarray(weights) / np.sum(weights)
    eta = x @ beta + (0.0 if offset is None else np.asarray(offset))
    grad = x.T @ Cox(ties).gradient(Cox(ties).check_target(y), eta, h) + lam * (1 - rho) * beta
    return np.max(
        np.where(
            beta != 0,
            np.abs(grad + lam * rho * np.sign(beta)),
            np.maximum(np.abs(grad) - lam * rho, 0.0),
        )
    )


# ------------------------------------------------------------------ the datafit in the house


def test_cox_is_a_registered_datafit():
    cox = get_datafit("cox")
    assert isinstance(cox, Cox) and cox.ties == "breslow" and not cox.has_intercept


# (the case with lower.limits/upper.limits is checked in test_bounds.py)
UNBOUNDED = [c for c in COX["cases"] if "lower.limits" not in c["glmnet_args"]]


@pytest.mark.parametrize("case", UNBOUNDED, ids=[c["name"] for c in UNBOUNDED])
def test_path_equals_glmnet(case):
    """regularization_path(loss="cox") at glmnet's lambdas: coefficients to 1e-6
    (they agree to ~1e-12), no intercept, and our KKT conditions hold."""
    x, y, w, offset = case_inputs(case)
    rho = case["glmnet_args"]["alpha"]
    result = regularization_path(
        x,
        y,
        loss="cox",
        l1_ratio=rho,
        alphas=case["lambda"],
        sample_weight=w,
        offset=offset,
        standardize=bool(case["glmnet_args"]["standardize"]),
        **TIGHT,
    )
    np.testing.assert_allclose(result.coefs.T, case["beta"], atol=1e-6, rtol=0)
    np.testing.assert_array_equal(result.intercepts, 0.0)
    assert result.loss == "cox" and result.converged.all()


@pytest.mark.parametrize("case", UNBOUNDED, ids=[c["name"] for c in UNBOUNDED])
def test_estimator_equals_glmnet_at_every_lambda(case):
    x, y, w, offset = case_inputs(case)
    rho = case["glmnet_args"]["alpha"]
    standardize = bool(case["glmnet_args"]["standardize"])
    for lam, beta in zip(case["lambda"], case["beta"], strict=True):
        model = CoxPH(lam, l1_ratio=rho, standardize=standardize, **TIGHT)
        model.fit(x, y, sample_weight=w, offset=offset)
        np.testing.assert_allclose(model.coef_, beta, atol=1e-6, rtol=0)
        if not standardize:  # (standardized: the conditions hold in the scaled columns)
            assert kkt_violation(x, y, model.coef_, lam, rho, w, offset) < 1e-9
        assert not hasattr(model, "intercept_")


def test_sparse_X_and_structured_y_give_the_same_fit():
    case = COX["cases"][0]
    x, y, _, _ = case_inputs(case)
    lam, beta = case["lambda"][1], case["beta"][1]
    structured = np.empty(len(y), dtype=[("event", "?"), ("time", "<f8")])
    structured["event"], structured["time"] = y[:, 1] == 1, y[:, 0]
    model = CoxPH(lam, **TIGHT).fit(sp.csr_matrix(x), structured)
    np.testing.assert_allclose(model.coef_, beta, atol=1e-6, rtol=0)


def test_penalty_weights_zero_leaves_a_feature_free():
    """v_0 = 0: feature 0 is unpenalized; the others' KKT conditions use λ·v_j."""
    x, y = load_data("cox")
    v = np.ones(x.shape[1])
    v[0] = 0.0
    lam = 0.05
    model = CoxPH(lam, penalty_weights=v, **TIGHT).fit(x, y)
    h = np.full(len(y), 1 / len(y))
    grad = x.T @ Cox().gradient(Cox().check_target(y), x @ model.coef_, h)
    assert abs(grad[0]) < 1e-10 and model.coef_[0] != 0
    beta = model.coef_[1:]
    viol = np.where(
        beta != 0, np.abs(grad[1:] + lam * np.sign(beta)), np.maximum(np.abs(grad[1:]) - lam, 0)
    )
    assert viol.max() < 1e-10


@pytest.mark.parametrize("rho", [1.0, 0.5])
def test_warm_start_reaches_the_same_solution(rho):
    x, y = load_data("cox")
    model = CoxPH(0.05, l1_ratio=rho, warm_start=True, **TIGHT).fit(x, y)
    model.set_params(alpha=0.02).fit(x, y)
    cold = CoxPH(0.02, l1_ratio=rho, **TIGHT).fit(x, y)
    np.testing.assert_allclose(model.coef_, cold.coef_, atol=1e-9)
    assert kkt_violation(x, y, model.coef_, 0.02, rho) < 1e-9


def test_scikit_learn_tools_work():
    """clone, get_params and cross_val_score (KFold on the 2-column target, score = C)."""
    from sklearn.base import clone
    from sklearn.model_selection import KFold, cross_val_score

    x, y = load_data("cox")
    model = clone(CoxPH(0.05, l1_ratio=0.5))
    assert model.get_params()["l1_ratio"] == 0.5
    scores = cross_val_score(model, x, y, cv=KFold(3, shuffle=True, random_state=0))
    assert scores.shape == (3,) and np.all((scores > 0.5) & (scores <= 1.0))


def test_feature_names_are_kept():
    pd = pytest.importorskip("pandas")
    x, y = load_data("cox")
    frame = pd.DataFrame(x, columns=[f"g{j}" for j in range(x.shape[1])])
    model = CoxPH(0.05).fit(frame, y)
    assert list(model.feature_names_in_) == list(frame.columns) and model.n_features_in_ == 30
    np.testing.assert_allclose(model.predict(frame), x @ model.coef_)


# ------------------------------------------------------------------ Efron ties


@pytest.mark.parametrize("ties", ["efron", "breslow"])
def test_ridge_equals_coxph(ties):
    """survival::coxph(~ ridge(x, theta, scale=FALSE)) minimises −loglik + θ/2‖β‖²,
    ours divided by n: CoxPH(alpha=θ/n, l1_ratio=0)."""
    x, y = load_data("cox_ties")
    n = len(y)
    for ref in (r for r in COX["coxph_ridge"] if r["ties"] == ties):
        model = CoxPH(ref["theta"] / n, l1_ratio=0.0, ties=ties, **TIGHT).fit(x, y)
        np.testing.assert_allclose(model.coef_, ref["coef"], atol=1e-6, rtol=0)


def test_efron_lasso_satisfies_its_kkt_conditions():
    x, y = load_data("cox_ties")
    model = CoxPH(0.05, ties="efron", **TIGHT).fit(x, y)
    assert 0 < np.count_nonzero(model.coef_) < x.shape[1]
    assert kkt_violation(x, y, model.coef_, 0.05, 1.0, ties="efron") < 1e-9
    breslow = CoxPH(0.05, ties="breslow", **TIGHT).fit(x, y)
    assert np.abs(model.coef_ - breslow.coef_).max() > 1e-3  # the ties option matters here


# ------------------------------------------------------------------ predictions


def brute_force_cindex(time, event, risk):
    """Harrell's C over all pairs: i an event and (t_i < t_j, or t_i = t_j, j censored)."""
    num = den = 0.0
    for i in range(len(time)):
        if not event[i]:
            continue
        for j in range(len(time)):
            if time[i] < time[j] or (time[i] == time[j] and not event[j]):
                den += 1
                num += 1.0 if risk[i] > risk[j] else 0.5 if risk[i] == risk[j] else 0.0
    return num / den


def test_predict_and_score_by_definition():
    x, y = load_data("cox_ties")
    model = CoxPH(0.02, **TIGHT).fit(x[:150], y[:150])
    risk = model.predict(x[150:])
    np.testing.assert_allclose(risk, x[150:] @ model.coef_, rtol=1e-14)
    expected = brute_force_cindex(y[150:, 0], y[150:, 1] == 1, risk)
    assert model.score(x[150:], y[150:]) == pytest.approx(expected, rel=1e-14)
    # integer sample weights count the pairs as repeated rows would
    counts = np.arange(50) % 3 + 1
    rows = 150 + np.repeat(np.arange(50), counts)
    assert model.score(x[150:], y[150:], sample_weight=counts) == pytest.approx(
        model.score(x[rows], y[rows]), rel=1e-12
    )


def test_survival_function_by_hand():
    """Breslow: Ĥ₀(t) = Σ_{t_k ≤ t} d_k / Σ_{j: t_j ≥ t_k} e^{η_j}; S(t|x) = e^{−Ĥ₀(t) e^{η(x)}}."""
    x, y = load_data("cox_ties")
    x, y = x[:40, :3], y[:40]
    model = CoxPH(0.01, **TIGHT).fit(x, y)
    eta = x @ model.coef_
    time, event = y[:, 0], y[:, 1] == 1
    event_times = np.unique(time[event])
    steps = [np.sum(event & (time == t)) / np.sum(np.exp(eta[time >= t])) for t in event_times]
    np.testing.assert_allclose(model.unique_times_, event_times)
    np.testing.assert_allclose(model.baseline_cumulative_hazard_, np.cumsum(steps), rtol=1e-12)
    grid = np.array([0.0, event_times[0], (event_times[2] + event_times[3]) / 2, 1e9])
    hazard0 = np.array([0.0, steps[0], np.sum(steps[:3]), np.sum(steps)])
    x_new = x[:4]
    expected = np.exp(-hazard0[None, :] * np.exp(x_new @ model.coef_)[:, None])
    np.testing.assert_allclose(model.predict_survival_function(x_new, grid), expected, rtol=1e-12)
    np.testing.assert_allclose(
        model.predict_cumulative_hazard(x_new, grid),
        hazard0[None, :] * np.exp(x_new @ model.coef_)[:, None],
        rtol=1e-12,
        atol=1e-300,
    )
    assert model.predict_survival_function(x_new).shape == (4, event_times.size)


# ------------------------------------------------------------------ CV against cv.glmnet


@pytest.mark.parametrize(
    "case",
    COX_CV["cases"] + COX_CV_WEIGHTED["cases"],
    ids=[c["name"] for c in COX_CV["cases"] + COX_CV_WEIGHTED["cases"]],
)
def test_cv_curve_equals_cv_glmnet(case):
    """cv.glmnet with the same foldid and lambda: cvm, cvsd, lambda.min, lambda.1se and
    the refitted coefficients (deviance: grouped; C: Harrell's C per fold, pairs weighted
    w_i w_j); ``cox_cv_weighted`` has unequal fold sizes and weights."""
    x, y = load_data(case["data"])
    model = CoxPHCV(
        l1_ratio=case["alpha"],
        alphas=case["lambda"],
        scoring="C" if case["type_measure"] == "C" else "deviance",
        cv=PredefinedSplit(np.asarray(case["foldid"]) - 1),
        **TIGHT,
    ).fit(x, y, sample_weight=case.get("weights"), offset=case.get("offset"))
    np.testing.assert_allclose(model.cv_results_["mean"], case["cvm"], rtol=1e-8)
    np.testing.assert_allclose(model.cv_results_["std_error"], case["cvsd"], rtol=1e-7)
    assert model.alpha_min_ == pytest.approx(case["lambda_min"], rel=1e-12)
    assert model.alpha_1se_ == pytest.approx(case["lambda_1se"], rel=1e-12)
    np.testing.assert_allclose(model.coef_, case["beta_min"], atol=1e-6, rtol=0)


def test_cv_rule_and_curve():
    x, y = load_data("cox")
    cv = PredefinedSplit(np.arange(len(y)) % 4)
    one_se = CoxPHCV(alphas=12, cv=cv, rule="1se").fit(x, y)
    best = CoxPHCV(alphas=12, cv=cv).fit(x, y)
    assert one_se.alpha_ == one_se.alpha_1se_ >= best.alpha_ == best.alpha_min_
    curve = best.cv_curve_
    assert curve.fold_errors.shape == (12, 4)
    assert curve.mean[curve.index_min] == curve.mean.min()
    np.testing.assert_allclose(best.coef_, CoxPH(best.alpha_).fit(x, y).coef_, atol=1e-6)


def test_cv_verbose_prints_progress(capsys):
    x, y = load_data("cox")
    CoxPHCV(alphas=5, cv=3, verbose=1).fit(x, y)
    assert "[CoxPHCV] 3/3 done" in capsys.readouterr().err


# ------------------------------------------------------------------ bad input


@pytest.mark.parametrize(
    "y, message",
    [
        (np.column_stack([-np.ones(6), np.ones(6)]), "non-negative"),
        (np.column_stack([np.arange(1.0, 7), np.zeros(6)]), "no events"),
        (np.arange(1.0, 7), "2-column"),
        (np.column_stack([np.arange(1.0, 7), np.ones(6), np.ones(6)]), "2-column"),
        (np.column_stack([[np.nan, 1, 2, 3, 4, 5], np.ones(6)]), "finite"),
        (np.column_stack([np.arange(1.0, 7), np.full(6, 2.0)]), "binary"),
        (None, "survival target"),
    ],
)
def test_bad_targets_are_refused(y, message):
    x = np.random.default_rng(0).normal(size=(6, 2))
    with pytest.raises(ValueError, match=message):
        CoxPH(0.1).fit(x, y)


def test_bad_inputs_are_refused():
    x, y = load_data("cox")
    with pytest.raises(ValueError, match="match row for row"):
        CoxPH(0.1).fit(x[:10], y[:11])
    bad_x = x.copy()
    bad_x[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        CoxPH(0.1).fit(bad_x, y)
    with pytest.raises(ValueError, match="ties"):
        CoxPH(0.1, ties="exact").fit(x, y)
    with pytest.raises(ValueError, match="offset"):
        CoxPH(0.1).fit(x, y, offset=np.ones(3))
    with pytest.raises(ValueError, match="scoring"):
        CoxPHCV(scoring="mse").fit(x, y)
    with pytest.raises(ValueError, match="alpha"):
        CoxPH(-1.0).fit(x, y)


def test_standardize_makes_the_cv_fit_invariant_to_column_scales():
    """glmnet's standardize: rescaling a column by c divides its coefficient by c and
    leaves the chosen alpha and the risk scores unchanged (folds standardized on their
    own training rows); without it the fit changes."""
    x, y = load_data("cox")
    scaled = x * np.r_[100.0, np.ones(x.shape[1] - 1)]
    kwargs = dict(alphas=12, cv=3, tol=1e-10)
    base = CoxPHCV(standardize=True, **kwargs).fit(x, y)
    other = CoxPHCV(standardize=True, **kwargs).fit(scaled, y)
    assert base.alpha_ == pytest.approx(other.alpha_, rel=1e-12)
    np.testing.assert_allclose(other.coef_[0] * 100.0, base.coef_[0], rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(other.predict(scaled), base.predict(x), rtol=1e-6, atol=1e-8)
    plain = CoxPH(base.alpha_, tol=1e-10).fit(scaled, y)
    assert not np.allclose(plain.coef_[0] * 100.0, base.coef_[0], rtol=1e-3)


@pytest.mark.parametrize("ties", ["breslow", "efron"])
@pytest.mark.parametrize("shift", [10.0, 100.0])
def test_fit_is_invariant_to_shifting_columns(ties, shift):
    """The partial likelihood ignores shifts of η, so X + c gives the same model:
    coefficients, KKT conditions met on the shifted data (the gradient written out
    above, not the solver's), and the same survival curves. Uncentred columns used to
    stall the solver 98% off at c = 100 (a raw calorie count on survival::lung)."""
    rng = np.random.default_rng(3)
    n, p = 300, 5
    X = rng.standard_normal((n, p))
    T = rng.exponential(np.exp(-X @ np.r_[0.5, -0.5, 0.5, 0.5, -0.5]))
    C = rng.exponential(np.quantile(T, 0.7) * 2, n)
    y = np.column_stack([np.ceil(np.minimum(T, C) * 20) / 20, (T <= C).astype(float)])
    shifted = X + shift * np.r_[1.0, -2.0, 0.5, 3.0, 1.0]
    base = CoxPH(0.01, ties=ties).fit(X, y)
    moved = CoxPH(0.01, ties=ties).fit(shifted, y)
    np.testing.assert_allclose(moved.coef_, base.coef_, rtol=1e-5, atol=1e-7)
    assert kkt_violation(shifted, y, moved.coef_, 0.01, 1.0, ties=ties) <= 1e-6
    np.testing.assert_allclose(
        moved.predict_survival_function(shifted[:20]),
        base.predict_survival_function(X[:20]),
        rtol=1e-5,
        atol=1e-8,
    )
    path = regularization_path(shifted, y, loss=Cox(ties), alphas=[0.05, 0.01], tol=1e-7)
    np.testing.assert_allclose(path.coefs[:, -1], base.coef_, rtol=1e-4, atol=1e-6)
