"""Multinomial logistic regression with an L1 part on badly placed and badly scaled
columns: the full-Hessian route (ungrouped, dense, small ``K(p+1)``) and the centred
columns of the class-wise and grouped solvers.

Independent references: the KKT conditions written out here in NumPy (softmax, the
ungrouped and the grouped subgradients), and the same model fitted on centred columns
(``β₀ = β̃₀ − Bx̄``: the probabilities must agree).
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from scipy.special import softmax
from sklearn.datasets import load_iris, load_wine
from sklearn.exceptions import ConvergenceWarning
from sklearn.preprocessing import StandardScaler

import shrinkage as sk
from shrinkage.solvers import multinomial_route


def _kkt(model, X, y, C, l1_ratio, weights=None, grouped=False, intercept=True):
    """Largest KKT violation of the mean-loss objective ``Σ h_i ℓ_i + α·penalty`` with
    ``h = w/Σw`` and ``α = 1/(C·Σw)`` (scikit-learn's ``C``); ``intercept=False``: no
    intercepts, so no condition on their gradient."""
    w = np.ones(len(y)) if weights is None else np.asarray(weights, float)
    h = w / w.sum()
    alpha = 1.0 / (C * w.sum())
    classes = np.unique(y)
    Y = (y[:, None] == classes[None, :]).astype(float)
    P = softmax(model.intercept_ + X @ model.coef_.T, axis=1)
    R = h[:, None] * (Y - P)
    G = X.T @ R  # (p, K): negative gradient of the loss
    B = model.coef_.T
    l1, l2 = alpha * l1_ratio, alpha * (1 - l1_ratio)
    target = G - l2 * B
    if grouped:
        norms = np.linalg.norm(B, axis=1)
        free = np.linalg.norm(target, axis=1) - l1
        at = np.linalg.norm(target - l1 * B / np.maximum(norms, 1e-300)[:, None], axis=1)
        feature = np.where(norms == 0, np.maximum(free, 0.0), at)
    else:
        free = np.maximum(np.abs(target) - l1, 0.0)
        feature = np.where(B == 0, free, np.abs(target - l1 * np.sign(B)))
    intercepts = float(np.abs(R.sum(axis=0)).max()) if intercept else 0.0
    return max(float(feature.max()), intercepts)


def _shifted_wine():
    X, y = load_wine(return_X_y=True)
    return StandardScaler().fit_transform(X) + 100.0, y


@pytest.mark.parametrize("grouped", [False, True])
@pytest.mark.parametrize("l1_ratio", [1.0, 0.5])
def test_uncentred_columns_converge_to_the_centred_fit(grouped, l1_ratio):
    # Before the columns were centred for the solvers, the grouped fit here ran to
    # max_iter=100 with a ConvergenceWarning and probabilities 0.72 off.
    X, y = _shifted_wine()
    options = dict(
        C=1.0,
        l1_ratio=l1_ratio,
        tol=1e-8,
        max_iter=100,
        multinomial_penalty="grouped" if grouped else "ungrouped",
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        model = sk.LogisticRegression(**options).fit(X, y)
        reference = sk.LogisticRegression(**options).fit(X - X.mean(axis=0), y)
    # tol keeps scikit-learn's meaning: the gradient on the caller's columns.
    assert _kkt(model, X, y, 1.0, l1_ratio, grouped=grouped) <= 1e-8
    # Both within tol of one optimum: probabilities agree to ~tol/curvature (was 0.72).
    np.testing.assert_allclose(
        model.predict_proba(X), reference.predict_proba(X - X.mean(axis=0)), atol=1e-6
    )
    np.testing.assert_allclose(model.intercept_.sum(), 0.0, atol=1e-12)


@pytest.mark.parametrize("C", [1.0, 100.0])
def test_raw_iris_near_separation_converges(C):
    # Nearly separable at C=100: the inner solve of the full-Hessian steps was cut too
    # early and the fit ran to max_iter=1000 with the violation stuck at 5e-3.
    X, y = load_iris(return_X_y=True)
    model = sk.LogisticRegression(C=C, l1_ratio=1.0, tol=1e-7, max_iter=200).fit(X, y)
    assert model.n_iter_[0] < 100
    assert _kkt(model, X, y, C, 1.0) <= 1e-7
    assert model.dual_gap_ < 1e-4


def test_weights_and_penalty_factors_on_the_full_hessian_route():
    rng = np.random.default_rng(3)
    n, p, K = 300, 12, 4
    X = rng.standard_normal((n, p)) * rng.uniform(0.1, 30.0, p) + rng.uniform(-50, 50, p)
    B = rng.standard_normal((K, p)) * (rng.random((K, p)) < 0.4) / X.std(axis=0)
    eta = (X - X.mean(axis=0)) @ B.T
    y = np.array([rng.choice(K, p=row) for row in softmax(eta, axis=1)])
    weights = rng.integers(0, 4, n).astype(float)  # zeros included
    factors = rng.uniform(0.5, 2.0, p)
    factors[0] = 0.0  # unpenalized
    assert multinomial_route.full_hessian_applies(X, K, 1.0, True, None, False)
    C = 0.5
    model = sk.LogisticRegression(C=C, l1_ratio=1.0, tol=1e-9, penalty_weights=factors)
    model.fit(X, y, sample_weight=weights)
    # KKT with the factors: |g_kj| ≤ α v_j at 0, g_kj = α v_j sign(B_kj) otherwise.
    w = weights / weights.sum()
    alpha = 1.0 / (C * weights.sum())
    Y = np.eye(K)[y]
    P = softmax(model.intercept_ + X @ model.coef_.T, axis=1)
    G = X.T @ (w[:, None] * (Y - P))
    bound = alpha * factors[:, None]
    Bt = model.coef_.T
    violation = np.where(Bt == 0, np.maximum(np.abs(G) - bound, 0), np.abs(G - bound * np.sign(Bt)))
    assert violation.max() <= 1e-9
    assert np.abs((w[:, None] * (Y - P)).sum(axis=0)).max() <= 1e-9
    # Rows of weight 0 do not enter: the fit on the other rows, weights 1..3, is equal.
    keep = weights > 0
    other = sk.LogisticRegression(C=C, l1_ratio=1.0, tol=1e-9, penalty_weights=factors)
    other.fit(X[keep], y[keep], sample_weight=weights[keep])
    np.testing.assert_allclose(
        model.predict_proba(X), other.predict_proba(X), atol=1e-7
    )


def test_cv_paths_solve_what_single_fits_solve():
    X, y = _shifted_wine()
    X = X * np.linspace(0.1, 10.0, X.shape[1])  # scales 0.1-10 on columns at 10-1000
    Cs = [0.1, 1.0, 10.0]
    cv = sk.LogisticRegressionCV(
        Cs=Cs, l1_ratios=[0.7], cv=3, tol=1e-8, max_iter=300, scoring="neg_log_loss",
        use_legacy_attributes=False,
    )
    cv.fit(X, y)
    C = float(np.ravel(cv.C_)[0])
    single = sk.LogisticRegression(C=C, l1_ratio=0.7, tol=1e-8, max_iter=300).fit(X, y)
    assert _kkt(cv, X, y, C, 0.7) <= 1e-8
    np.testing.assert_allclose(cv.predict_proba(X), single.predict_proba(X), atol=1e-6)


@pytest.mark.parametrize("data", ["iris", "wine"])
@pytest.mark.parametrize("l1_ratio", [1.0, 0.5])
@pytest.mark.parametrize("C", [0.1, 1.0, 100.0])
def test_without_intercept_on_raw_columns(data, l1_ratio, C):
    # Without intercepts the fit took the class-wise route on raw (uncentred, unscaled)
    # columns, which cannot be centred: 527 to 1000 steps and a ConvergenceWarning on
    # raw iris and wine at every C. The full-Hessian steps need 11 to 282.
    X, y = (load_iris if data == "iris" else load_wine)(return_X_y=True)
    assert multinomial_route.full_hessian_applies(X, 3, l1_ratio, False, None, False)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        model = sk.LogisticRegression(
            C=C, l1_ratio=l1_ratio, fit_intercept=False, tol=1e-7, max_iter=500
        ).fit(X, y)
    np.testing.assert_array_equal(model.intercept_, 0.0)
    assert _kkt(model, X, y, C, l1_ratio, intercept=False) <= 1e-7
    assert model.dual_gap_ < 1e-5


def test_without_intercept_both_routes_agree(monkeypatch):
    # Standardized wine, where the class-wise route converges too: the same optimum.
    X, y = load_wine(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    options = dict(C=1.0, l1_ratio=0.8, fit_intercept=False, tol=1e-9, max_iter=1000)
    full = sk.LogisticRegression(**options).fit(X, y)
    monkeypatch.setattr(multinomial_route, "FULL_HESSIAN_MAX_PARAMETERS", 0)
    classwise = sk.LogisticRegression(**options).fit(X, y)
    assert full.n_iter_[0] < classwise.n_iter_[0]
    np.testing.assert_allclose(full.predict_proba(X), classwise.predict_proba(X), atol=1e-7)
    np.testing.assert_array_equal(full.coef_ == 0, classwise.coef_ == 0)


def _shape_measurements(seed=0, n=400, p=16, n_classes=4):
    """Like mlbench's Vehicle: a few latent size and shape factors measured by many
    correlated, positive features on scales 1-1000 (an ill-conditioned softmax
    Hessian)."""
    rng = np.random.default_rng(seed)
    latent = rng.standard_normal((n, 3))
    X = latent @ rng.standard_normal((3, p)) + 0.05 * rng.standard_normal((n, p))
    X = X * np.logspace(0, 3, p) + 5 * np.logspace(0, 3, p)
    scores = latent @ rng.standard_normal((3, n_classes)) + rng.gumbel(size=(n, n_classes))
    return X, np.argmax(scores, axis=1)


@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("l1_ratio", [1.0, 0.5])
@pytest.mark.parametrize("C", [1.0, 100.0])
def test_ill_conditioned_raw_features_converge(fit_intercept, l1_ratio, C):
    # Coordinate descent alone on the model's Hessian needed thousands of sweeps here;
    # capped, the Newton steps stalled at max_iter=500 in 7 of these 8 cases (raw
    # Vehicle: 1000 steps and a warning). Exact active-set steps on the model and the
    # median shift of pure-L1 columns need 12-21.
    X, y = _shape_measurements()
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        model = sk.LogisticRegression(
            C=C, l1_ratio=l1_ratio, fit_intercept=fit_intercept, tol=1e-7, max_iter=500
        ).fit(X, y)
    assert model.n_iter_[0] < 100
    assert _kkt(model, X, y, C, l1_ratio, intercept=fit_intercept) <= 1e-7
    if l1_ratio == 1.0:
        # At a pure-L1 optimum each feature's class coefficients have 0 in their median
        # interval (else shifting them all by the median lowers the penalty, not the loss).
        B = np.sort(model.coef_, axis=0)
        K = B.shape[0]
        assert np.all((B[(K - 1) // 2] <= 0.0) & (B[K // 2] >= 0.0))


@pytest.mark.parametrize("fit_intercept", [True, False])
def test_warm_start_takes_the_full_hessian_route(fit_intercept):
    # A warm-started refit took the class-wise route (500 steps and a warning here).
    X, y = _shape_measurements(seed=1)
    options = dict(l1_ratio=0.8, fit_intercept=fit_intercept, tol=1e-8, max_iter=500)
    model = sk.LogisticRegression(C=1.0, warm_start=True, **options).fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        model.set_params(C=3.0).fit(X, y)
        cold = sk.LogisticRegression(C=3.0, **options).fit(X, y)
    assert model.n_iter_[0] < cold.n_iter_[0]
    assert _kkt(model, X, y, 3.0, 0.8, intercept=fit_intercept) <= 1e-8
    np.testing.assert_allclose(model.predict_proba(X), cold.predict_proba(X), atol=1e-6)


def test_offset_on_the_full_hessian_route(monkeypatch):
    # glmnet's (n, K) offset: η = offset + β₀ + Xβ. KKT written out with the offset,
    # and the class-wise route (which had it before) reaches the same optimum.
    X, y = load_wine(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    rng = np.random.default_rng(4)
    offset = rng.normal(scale=0.7, size=(len(y), 3))
    assert multinomial_route.full_hessian_applies(X, 3, 0.9, True, offset, False)
    options = dict(C=0.5, l1_ratio=0.9, tol=1e-9, max_iter=1000)
    model = sk.LogisticRegression(**options).fit(X, y, offset=offset)
    alpha = 1.0 / (0.5 * len(y))
    Y = np.eye(3)[y]
    P = softmax(offset + model.intercept_ + X @ model.coef_.T, axis=1)
    G = X.T @ (Y - P) / len(y)
    Bt = model.coef_.T
    l1, l2 = 0.9 * alpha, 0.1 * alpha
    target = G - l2 * Bt
    violation = np.where(
        Bt == 0, np.maximum(np.abs(target) - l1, 0), np.abs(target - l1 * np.sign(Bt))
    )
    assert violation.max() <= 1e-9
    assert np.abs((Y - P).mean(axis=0)).max() <= 1e-9
    assert model.dual_gap_ < 1e-7
    monkeypatch.setattr(multinomial_route, "FULL_HESSIAN_MAX_PARAMETERS", 0)
    classwise = sk.LogisticRegression(**options).fit(X, y, offset=offset)
    np.testing.assert_allclose(
        model.predict_proba(X, offset=offset), classwise.predict_proba(X, offset=offset),
        atol=1e-7,
    )  # fmt: skip


@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("l1_ratio", [1.0, 0.5])
def test_objective_matches_scikit_learns_saga(fit_intercept, l1_ratio):
    # scikit-learn's saga at tol=1e-12 (a few hundred epochs here) is an independent
    # reference for the optimum: the objectives agree to rounding.
    from scipy.special import logsumexp
    from sklearn.linear_model import LogisticRegression as SklearnLogistic

    X, y = load_iris(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    C = 1.0

    def objective(model):
        eta = X @ model.coef_.T + model.intercept_
        loss = np.sum(logsumexp(eta, axis=1) - eta[np.arange(len(y)), y])
        B = model.coef_
        return C * loss + l1_ratio * np.abs(B).sum() + 0.5 * (1 - l1_ratio) * (B * B).sum()

    ours = sk.LogisticRegression(
        C=C, l1_ratio=l1_ratio, fit_intercept=fit_intercept, tol=1e-10, max_iter=1000
    ).fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # penalty= is deprecated in 1.8+
        reference = SklearnLogistic(
            C=C, l1_ratio=l1_ratio, penalty="elasticnet", solver="saga",
            fit_intercept=fit_intercept, tol=1e-12, max_iter=100000,
        ).fit(X, y)  # fmt: skip
    assert objective(ours) <= objective(reference) * (1 + 1e-12)
    np.testing.assert_allclose(ours.coef_, reference.coef_, atol=1e-5)


@pytest.mark.parametrize("C", [0.1, 1.0, 100.0])
def test_grouped_penalty_on_raw_columns_without_intercept(C):
    # The grouped solver's inner sweeps stopped on 0.01·violation² against ΔᵀAΔ, units
    # that scale with the columns: on raw wine (proline ~10³) without intercepts every
    # inner solve ended after one sweep, 899-1000 steps. Scale-free now: 9-61.
    X, y = load_wine(return_X_y=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        model = sk.LogisticRegression(
            C=C, l1_ratio=0.8, fit_intercept=False, tol=1e-8, max_iter=300,
            multinomial_penalty="grouped",
        ).fit(X, y)  # fmt: skip
    assert model.n_iter_[0] < 150
    assert _kkt(model, X, y, C, 0.8, grouped=True, intercept=False) <= 1e-8


@pytest.mark.parametrize("C", [1.0, 100.0])
def test_sparse_counts_take_the_full_hessian_route(C):
    # Sparse X took the class-wise route, which cannot centre sparse columns: on count
    # features it ran to max_iter=1000 unconverged at C=1 and 100. Densified now (small
    # n·p): the same fit as the dense X, KKT written out.
    import scipy.sparse as sparse

    rng = np.random.default_rng(0)
    n, p, K = 600, 40, 4
    X = sparse.random(
        n, p, density=0.1, format="csr", random_state=0,
        data_rvs=lambda k: rng.poisson(3, k) + 1.0,
    )  # fmt: skip
    B = rng.standard_normal((K, p)) * (rng.random((K, p)) < 0.3)
    y = np.argmax(X @ B.T + rng.gumbel(size=(n, K)), axis=1)
    assert multinomial_route.full_hessian_applies(X, K, 0.5, True, None, False)
    options = dict(C=C, l1_ratio=0.5, tol=1e-8, max_iter=300)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        model = sk.LogisticRegression(**options).fit(X, y)
    dense = sk.LogisticRegression(**options).fit(X.toarray(), y)
    assert _kkt(model, X.toarray(), y, C, 0.5) <= 1e-8
    np.testing.assert_allclose(model.predict_proba(X), dense.predict_proba(X.toarray()), atol=1e-7)


@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("l1_ratio", [1.0, 0.5])
@pytest.mark.parametrize("C", [1.0, 100.0])
def test_grouped_penalty_on_ill_conditioned_raw_features(fit_intercept, l1_ratio, C):
    # The grouped solver's block sweeps crawl on this model's Hessian: every inner solve
    # ran to its 1000 sweeps, and raw Vehicle took 37-888 steps (1.5-39 s). Newton on the
    # support of the model, bought once the sweeps have cost a few of its price: 11-14.
    X, y = _shape_measurements(seed=2)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        model = sk.LogisticRegression(
            C=C, l1_ratio=l1_ratio, fit_intercept=fit_intercept, tol=1e-7, max_iter=500,
            multinomial_penalty="grouped",
        ).fit(X, y)  # fmt: skip
    assert model.n_iter_[0] < 40
    violation = _kkt(model, X, y, C, l1_ratio, grouped=True, intercept=fit_intercept)
    assert violation <= 1e-7


@pytest.mark.parametrize("l1_ratio", [1.0, 0.5])
@pytest.mark.parametrize("C", [1.0, 100.0])
def test_grouped_kkt_is_tested_on_the_callers_columns(l1_ratio, C):
    # Columns near 5000 with intercepts: the centred solver was given tol/(1 + √K·max|x̄|)
    # ≈ 1e-12, below the rounding of its gradient, and met it by chance (23-189 steps).
    # It now tests the KKT conditions on the caller's columns with tol itself.
    X, y = _shape_measurements(seed=0, n=800, p=18)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        model = sk.LogisticRegression(
            C=C, l1_ratio=l1_ratio, tol=1e-8, max_iter=500, multinomial_penalty="grouped"
        ).fit(X, y)
    assert model.n_iter_[0] < 20
    assert _kkt(model, X, y, C, l1_ratio, grouped=True) <= 1e-8
