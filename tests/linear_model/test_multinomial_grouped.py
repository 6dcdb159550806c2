"""Grouped and ungrouped multinomial lasso, equal to R's glmnet ``type.multinomial``.

References: ``tests/reference/glmnet/multinomial.json`` (glmnet 4.1-6 at
``thresh=1e-30``, produced by ``scripts/glmnet_reference.R``) on
``data_multinomial.json``. glmnet's λ is our ``alpha = 1/(n·C)``, its ``alpha`` our
``l1_ratio``. glmnet returns intercepts summing to zero and, per feature, class
coefficients with median zero (ungrouped; with ρ = 1 and K = 3 the optimum has
this already) or sum zero (grouped, likewise the optimum's own choice); the
probabilities are compared as well, which no such centring affects.

Besides glmnet, the solutions are checked against the group KKT conditions written
out here in NumPy:

* ``‖∇_j F‖₂ ≤ λρv_j`` for every zero column ``B_·j``;
* ``−∇_j F = λv_j(ρ B_·j/‖B_·j‖ + (1−ρ)B_·j)`` for every non-zero one;
* ``Σ_i h_i(y_ik − p_ik) = 0`` (intercepts).
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.optimize import minimize
from scipy.special import softmax

from shrinkage.linear_model import LogisticRegression, LogisticRegressionCV
from shrinkage.penalties import GroupElasticNetPenalty, group_kkt_violation, group_prox

REFERENCE = Path(__file__).parents[1] / "reference" / "glmnet"
COEF_TOL = 1e-6


def _load(name):
    with open(REFERENCE / f"{name}.json") as f:
        return json.load(f)


def _data():
    d = _load("data_multinomial")
    return np.asarray(d["x"], dtype=float), np.asarray(d["y"])


CASES = _load("multinomial")["cases"]


def _fit(X, y, lam, rho, kind, **kwargs):
    model = LogisticRegression(
        C=1.0 / (X.shape[0] * lam),
        l1_ratio=rho,
        multinomial_penalty=kind,
        tol=1e-10,
        max_iter=1000,
        **kwargs,
    )
    return model.fit(X, y)


def _probabilities(X, coef, intercept):
    return softmax(np.asarray(X @ coef.T) + intercept, axis=1)


def _group_kkt(X, y, coef, intercept, lam, rho, v=None, h=None):
    """Largest violation of the group KKT conditions (NumPy only, no shrinkage code)."""
    n, p = X.shape
    v = np.ones(p) if v is None else v
    h = np.full(n, 1.0 / n) if h is None else h
    classes, encoded = np.unique(y, return_inverse=True)
    Y = np.eye(classes.size)[encoded]
    R = h[:, None] * (Y - _probabilities(X, coef, intercept))
    neg_grad = np.asarray(X.T @ R).T  # (K, p)
    worst = np.abs(R.sum(axis=0)).max()
    for j in range(p):
        b = coef[:, j]
        norm = np.linalg.norm(b)
        if norm == 0:
            worst = max(worst, np.linalg.norm(neg_grad[:, j]) - lam * rho * v[j])
        else:
            target = lam * v[j] * (rho * b / norm + (1 - rho) * b)
            worst = max(worst, np.abs(neg_grad[:, j] - target).max())
    return worst


# ----------------------------------------------------------------- glmnet equality


def _case_id(case):
    return case["name"]


@pytest.mark.parametrize("sparse", [False, True], ids=["dense", "sparse"])
@pytest.mark.parametrize("case", CASES, ids=_case_id)
def test_equals_glmnet_at_every_lambda(case, sparse):
    args = case["glmnet_args"]
    standardize = bool(args["standardize"])
    X, y = _data()
    Xfit = sp.csr_matrix(X) if sparse else X
    kind = args["type.multinomial"]
    rho = float(args["alpha"])
    assert case["classes"] == [str(int(c)) for c in np.unique(y)]
    for lam, a0, beta in zip(case["lambda"], case["a0"], case["beta"], strict=True):
        model = _fit(Xfit, y, lam, rho, kind, standardize=standardize)
        beta, a0 = np.asarray(beta), np.asarray(a0)
        coef = model.coef_.copy()
        if kind == "ungrouped":
            coef -= np.median(coef, axis=0)  # glmnet's centring (a no-op at the optimum)
        np.testing.assert_allclose(coef, beta, atol=COEF_TOL, rtol=0)
        np.testing.assert_allclose(model.intercept_, a0, atol=COEF_TOL, rtol=0)
        np.testing.assert_allclose(
            model.predict_proba(X), _probabilities(X, beta, a0), atol=COEF_TOL, rtol=0
        )
        # Same support as glmnet, feature by feature (whole columns when grouped).
        np.testing.assert_array_equal(coef != 0, beta != 0)
        if kind == "grouped" and not standardize:  # (else: in the scaled columns)
            assert _group_kkt(X, y, model.coef_, model.intercept_, lam, rho) < 1e-8


# ----------------------------------------------------------------- structure


def test_grouped_zeroes_whole_features_ungrouped_single_entries():
    X, y = _data()
    lam = 0.0115
    grouped = _fit(X, y, lam, 1.0, "grouped").coef_
    ungrouped = _fit(X, y, lam, 1.0, "ungrouped").coef_
    zero_g = grouped == 0
    # grouped: a column is all zero or all non-zero
    assert np.all(zero_g.all(axis=0) | ~zero_g.any(axis=0))
    assert zero_g.all(axis=0).any() and (~zero_g).all(axis=0).any()
    # ungrouped: some feature is in for one class and out for another
    zero_u = ungrouped == 0
    assert np.any(zero_u.any(axis=0) & ~zero_u.all(axis=0))


@pytest.mark.parametrize("rho", [1.0, 0.5])
def test_group_kkt_with_penalty_weights_and_sample_weights(rho):
    X, y = _data()
    rng = np.random.default_rng(0)
    v = rng.uniform(0.5, 2.0, X.shape[1])
    v[3] = 0.0  # unpenalized
    w = rng.uniform(0.2, 2.0, X.shape[0])
    lam = 0.02
    model = _fit(
        X,
        y,
        lam,
        rho,
        "grouped",
        penalty_weights=v,
    )
    # refit with sample weights: alpha = 1/(C·Σw)
    model_w = LogisticRegression(
        C=1.0 / (w.sum() * lam),
        l1_ratio=rho,
        multinomial_penalty="grouped",
        tol=1e-10,
        max_iter=1000,
        penalty_weights=v,
    ).fit(X, y, sample_weight=w)
    assert _group_kkt(X, y, model.coef_, model.intercept_, lam, rho, v) < 1e-8
    h = w / w.sum()
    assert _group_kkt(X, y, model_w.coef_, model_w.intercept_, lam, rho, v, h) < 1e-8
    assert np.all(model.coef_[:, 3] != 0)
    np.testing.assert_allclose(model.coef_.sum(axis=0), 0.0, atol=1e-12)


def test_grouped_path_starts_at_alpha_max():
    X, y = _data()
    n = X.shape[0]
    classes, encoded = np.unique(y, return_inverse=True)
    Y = np.eye(classes.size)[encoded]
    # Intercept-only fit: the class priors; alpha_max = max_j ‖X_jᵀ(Y − π)/n‖₂.
    norms = np.linalg.norm(X.T @ (Y - Y.mean(axis=0)) / n, axis=1)
    alpha_max = norms.max()
    at_max = _fit(X, y, alpha_max * (1 + 1e-8), 1.0, "grouped")
    assert np.all(at_max.coef_ == 0)
    np.testing.assert_allclose(at_max.predict_proba(X), np.tile(Y.mean(axis=0), (n, 1)), atol=1e-9)
    below = _fit(X, y, alpha_max * (1 - 1e-3), 1.0, "grouped")
    entered = np.flatnonzero(np.any(below.coef_ != 0, axis=0))
    np.testing.assert_array_equal(entered, [np.argmax(norms)])


def test_binary_grouped_equals_ungrouped():
    X, y = _data()
    keep = y != y.max()
    Xb, yb = X[keep], y[keep]
    for rho in (1.0, 0.5):
        a = _fit(Xb, yb, 0.02, rho, "grouped")
        b = _fit(Xb, yb, 0.02, rho, "ungrouped")
        assert a.coef_.shape == (1, X.shape[1])
        np.testing.assert_array_equal(a.coef_, b.coef_)


def test_ridge_grouped_equals_ungrouped():
    X, y = _data()
    a = _fit(X, y, 0.02, 0.0, "grouped")
    b = _fit(X, y, 0.02, 0.0, "ungrouped")
    np.testing.assert_array_equal(a.coef_, b.coef_)


def test_warm_start_grouped_reaches_the_same_optimum():
    X, y = _data()
    model = _fit(X, y, 0.05, 1.0, "grouped", warm_start=True)
    model.set_params(C=1.0 / (X.shape[0] * 0.0046))
    model.fit(X, y)
    case = next(c for c in CASES if c["name"] == "grouped_std_false_alpha1")
    np.testing.assert_allclose(model.coef_, case["beta"][-1], atol=COEF_TOL, rtol=0)


@pytest.mark.parametrize("bad", ["group", None, 1, "GROUPED"])
def test_bad_multinomial_penalty_is_a_clear_error(bad):
    X, y = _data()
    with pytest.raises(ValueError, match="multinomial_penalty must be 'ungrouped'"):
        LogisticRegression(multinomial_penalty=bad).fit(X, y)
    with pytest.raises(ValueError, match="multinomial_penalty must be 'ungrouped'"):
        LogisticRegressionCV(
            multinomial_penalty=bad, l1_ratios=(1.0,), use_legacy_attributes=False, scoring=None
        ).fit(X, y)


# ----------------------------------------------------------------- CV


def test_cv_grouped_picks_C_and_refits():
    X, y = _data()
    n = X.shape[0]
    Cs = 1.0 / (n * np.array([0.1, 0.03, 0.01, 0.003]))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no convergence warning either
        cv = LogisticRegressionCV(
            Cs=Cs,
            l1_ratios=(1.0,),
            multinomial_penalty="grouped",
            scoring="neg_log_loss",
            use_legacy_attributes=False,
            tol=1e-10,
            max_iter=1000,
            cv=3,
        ).fit(X, y)
    assert cv.C_ in Cs
    lam = 1.0 / (n * cv.C_)
    assert _group_kkt(X, y, cv.coef_, cv.intercept_, lam, 1.0) < 1e-8
    # every fold's path is row sparse: features in or out for all classes
    paths = cv.coefs_paths_[..., :-1]  # (folds, ratios, Cs, K, p)
    zero = paths == 0
    assert np.all(zero.all(axis=-2) | ~zero.any(axis=-2))
    assert zero.all(axis=-2).any()
    assert cv.coef_.shape == (3, X.shape[1])


# ----------------------------------------------------------------- penalty math


def test_group_prox_is_the_minimizer():
    rng = np.random.default_rng(1)
    Z = rng.normal(size=(4, 6))
    l1 = np.array([0.0, 0.5, 1.0, 3.0, 0.2, 10.0])
    l2 = np.array([0.0, 0.0, 0.5, 1.0, 2.0, 0.0])
    B = group_prox(Z, l1, l2)
    for j in range(Z.shape[1]):

        def objective(b, j=j):
            n = np.linalg.norm(b)
            return 0.5 * np.sum((b - Z[:, j]) ** 2) + l1[j] * n + 0.5 * l2[j] * n * n

        best = minimize(
            objective,
            Z[:, j] * 0.5,
            method="Nelder-Mead",
            options={"xatol": 1e-10, "fatol": 1e-14, "maxiter": 20000},
        )
        assert objective(B[:, j]) <= best.fun + 1e-9
    # the prox point satisfies its optimality condition: Z − B ∈ ∂g(B)
    assert group_kkt_violation(Z - B, B, l1, l2).max() < 1e-12
    assert np.all((B == 0).all(axis=0) == (np.linalg.norm(Z, axis=0) <= l1))


def test_group_kkt_without_intercept_and_sparse_float32():
    X, y = _data()
    lam = 0.01
    model = _fit(X, y, lam, 1.0, "grouped", fit_intercept=False)
    np.testing.assert_array_equal(model.intercept_, 0.0)
    # no intercept: only the feature conditions apply (the intercept gradient is free)
    n, K = X.shape[0], 3
    Y = np.eye(K)[np.unique(y, return_inverse=True)[1]]
    R = (Y - _probabilities(X, model.coef_, 0.0)) / n
    G = X.T @ R
    norms = np.linalg.norm(model.coef_, axis=0)
    zero = norms == 0
    assert np.all(np.linalg.norm(G[zero], axis=1) <= lam + 1e-9)
    unit = model.coef_[:, ~zero] / norms[~zero]
    np.testing.assert_allclose(G[~zero], lam * unit.T, atol=1e-8)
    sparse = _fit(sp.csr_matrix(X.astype(np.float32)), y, lam, 1.0, "grouped")
    assert sparse.coef_.dtype == np.float32
    X32 = X.astype(np.float32).astype(np.float64)
    assert _group_kkt(X32, y, sparse.coef_.astype(float), sparse.intercept_, lam, 1.0) < 1e-6


def test_group_penalty_class_matches_its_formula():
    rng = np.random.default_rng(2)
    B = rng.normal(size=(3, 5))
    B[:, 1] = 0.0
    v = np.array([1.0, 2.0, 0.0, 0.5, 1.0])
    pen = GroupElasticNetPenalty(0.3, 0.25, v)
    norms = np.linalg.norm(B, axis=0)
    expected = 0.3 * np.sum(v * (0.25 * norms + 0.375 * norms**2))
    assert pen.value(B) == pytest.approx(expected, rel=1e-14)
    grad = rng.normal(size=(3, 5))
    penalized = v > 0
    expected_max = np.max(np.linalg.norm(grad, axis=0)[penalized] / (0.25 * v[penalized]))
    assert pen.alpha_max(grad) == pytest.approx(expected_max, rel=1e-14)
    with pytest.raises(ValueError, match="alpha must be a finite number"):
        GroupElasticNetPenalty(-1.0)
