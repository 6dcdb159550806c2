"""Multi-task lasso / elastic net against scikit-learn and the group-lasso KKT conditions."""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
import sklearn.linear_model as sk
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.estimator_checks import parametrize_with_checks
from sklearn_versions import grid_size, requires_sklearn

from shrinkage import (
    MultiTaskElasticNet,
    MultiTaskElasticNetCV,
    MultiTaskLasso,
    MultiTaskLassoCV,
    enet_path,
)
from shrinkage.solvers.multitask import make_multitask_design, solve_multitask

EXACT = {"tol": 1e-13, "max_iter": 200_000}


def _data(n, p, tasks, correlated=False, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.randn(n, p)
    if correlated:  # AR(1)-like columns, correlation 0.9 between neighbours
        for j in range(1, p):
            X[:, j] = 0.9 * X[:, j - 1] + np.sqrt(1 - 0.81) * X[:, j]
    W = np.zeros((p, tasks))
    W[: min(5, p)] = rng.randn(min(5, p), tasks)
    Y = X @ W + 0.5 * rng.randn(n, tasks) + rng.randn(tasks)
    return X, Y


SHAPES = [
    pytest.param(200, 20, 3, False, id="tall"),
    pytest.param(40, 60, 4, False, id="wide"),
    pytest.param(30, 500, 2, False, id="p>>n"),
    pytest.param(100, 40, 3, True, id="correlated"),
    pytest.param(60, 25, 1, False, id="one-task"),
    pytest.param(50, 30, 12, False, id="many-tasks"),
]


def _kkt_violation(X, Y, coef, intercept, alpha, l1_ratio, weights=None):
    """Largest violation of the group-lasso KKT conditions (0 at the solution).

    With ``g_j = X_jᵀ S R / n − α(1−ρ)W_j`` (``S`` the weights, summing to ``n``):
    ``‖g_j‖ ≤ αρ`` for a zero row, ``g_j = αρ W_j/‖W_j‖`` for a non-zero row.
    """
    n = X.shape[0]
    s = np.ones(n) if weights is None else weights * n / weights.sum()
    R = Y - X @ coef.T - intercept
    G = (X * s[:, None]).T @ R / n - alpha * (1 - l1_ratio) * coef.T
    worst = 0.0
    for j in range(X.shape[1]):
        w = coef[:, j]
        norm = np.linalg.norm(w)
        if norm == 0:
            worst = max(worst, np.linalg.norm(G[j]) - alpha * l1_ratio)
        else:
            worst = max(worst, np.abs(G[j] - alpha * l1_ratio * w / norm).max())
    return worst


@pytest.mark.parametrize("n, p, tasks, correlated", SHAPES)
@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("l1_ratio", [1.0, 0.6])
def test_equals_sklearn_and_kkt(n, p, tasks, correlated, fit_intercept, l1_ratio):
    X, Y = _data(n, p, tasks, correlated)
    alpha_max = np.sqrt(((X.T @ (Y - Y.mean(0))) ** 2).sum(axis=1)).max() / n
    alpha = 0.1 * alpha_max / l1_ratio
    if l1_ratio == 1.0:
        ours = MultiTaskLasso(alpha=alpha, fit_intercept=fit_intercept, **EXACT)
        ref = sk.MultiTaskLasso(alpha=alpha, fit_intercept=fit_intercept, **EXACT)
    else:
        ours = MultiTaskElasticNet(
            alpha=alpha, l1_ratio=l1_ratio, fit_intercept=fit_intercept, **EXACT
        )
        ref = sk.MultiTaskElasticNet(
            alpha=alpha, l1_ratio=l1_ratio, fit_intercept=fit_intercept, **EXACT
        )
    ours.fit(X, Y)
    ref.fit(X, Y)
    assert ours.coef_.shape == (tasks, p)
    np.testing.assert_allclose(ours.coef_, ref.coef_, atol=1e-7, rtol=0)
    np.testing.assert_allclose(ours.intercept_, ref.intercept_, atol=1e-7, rtol=0)
    assert 0 < np.count_nonzero(np.any(ours.coef_ != 0, axis=0)) < p  # a real selection
    assert _kkt_violation(X, Y, ours.coef_, ours.intercept_, alpha, l1_ratio) < 1e-6
    assert ours.dual_gap_ <= 1e-13 * ((Y - Y.mean(0) * fit_intercept) ** 2).sum() / n


@requires_sklearn(1, 9, "MultiTaskElasticNet.fit(sample_weight=)")
def test_sample_weight_equals_sklearn_and_repeated_rows():
    X, Y = _data(60, 15, 3)
    weights = np.random.RandomState(1).randint(0, 4, size=60).astype(float)
    ours = MultiTaskElasticNet(alpha=0.05, l1_ratio=0.7, **EXACT).fit(X, Y, sample_weight=weights)
    ref = sk.MultiTaskElasticNet(alpha=0.05, l1_ratio=0.7, **EXACT).fit(X, Y, sample_weight=weights)
    np.testing.assert_allclose(ours.coef_, ref.coef_, atol=1e-8)
    np.testing.assert_allclose(ours.intercept_, ref.intercept_, atol=1e-8)
    # Integer weights are repeated rows (weights rescale to sum to n, so α is unchanged).
    rows = np.repeat(np.arange(60), weights.astype(int))
    repeated = MultiTaskElasticNet(alpha=0.05, l1_ratio=0.7, **EXACT).fit(X[rows], Y[rows])
    np.testing.assert_allclose(ours.coef_, repeated.coef_, atol=1e-8)
    assert _kkt_violation(X, Y, ours.coef_, ours.intercept_, 0.05, 0.7, weights) < 1e-7


@requires_sklearn(1, 9, "sparse X in MultiTaskLasso")
def test_sparse_equals_dense():
    X, Y = _data(80, 30, 3)
    X[np.abs(X) < 0.8] = 0.0
    dense = MultiTaskLasso(alpha=0.05, **EXACT).fit(X, Y)
    sparse = MultiTaskLasso(alpha=0.05, **EXACT).fit(sp.csr_matrix(X), Y)
    ref = sk.MultiTaskLasso(alpha=0.05, **EXACT).fit(sp.csc_matrix(X), Y)
    np.testing.assert_allclose(sparse.coef_, dense.coef_, atol=1e-9)
    np.testing.assert_allclose(sparse.coef_, ref.coef_, atol=1e-8)
    np.testing.assert_allclose(sparse.intercept_, ref.intercept_, atol=1e-8)


@pytest.mark.parametrize("gram", [True, False])
@pytest.mark.parametrize("sparse", [False, True])
def test_both_designs_reach_the_gap(gram, sparse):
    X, Y = _data(70, 50, 3, correlated=True)
    n = X.shape[0]
    data = sp.csr_matrix(X) if sparse else X
    design, _, _ = make_multitask_design(data, Y, np.full(n, 1 / n), True, gram=gram)
    coef = np.zeros((50, 3))
    tol_abs = 1e-12 * ((Y - Y.mean(0)) ** 2).sum() / n
    info = solve_multitask(design, coef, 0.05, 0.02, tol_abs, 100_000)
    assert info.converged and info.duality_gap <= tol_abs
    ref = sk.MultiTaskElasticNet(alpha=0.07, l1_ratio=5 / 7, **EXACT).fit(X, Y)
    np.testing.assert_allclose(coef.T, ref.coef_, atol=1e-7)


def test_enet_path_2d_equals_sklearn():
    X, Y = _data(50, 40, 3)
    a_ref, c_ref, _ = sk.enet_path(X, Y, l1_ratio=0.8, **grid_size(15), tol=1e-12, max_iter=100_000)
    a, c, gaps = enet_path(X, Y, l1_ratio=0.8, alphas=15, tol=1e-12, max_iter=100_000)
    np.testing.assert_allclose(a, a_ref, rtol=1e-12)
    assert c.shape == c_ref.shape == (3, 40, 15)
    np.testing.assert_allclose(c, c_ref, atol=1e-7)
    assert np.all(gaps <= 1e-12 * (Y**2).sum() / 50 + 1e-15)


@pytest.mark.parametrize(
    "cls, ref_cls, kwargs",
    [
        (MultiTaskLassoCV, sk.MultiTaskLassoCV, {}),
        (MultiTaskElasticNetCV, sk.MultiTaskElasticNetCV, {"l1_ratio": [0.3, 0.9]}),
    ],
)
def test_cv_equals_sklearn(cls, ref_cls, kwargs):
    X, Y = _data(90, 30, 3)
    ours = cls(cv=4, alphas=20, tol=1e-12, max_iter=100_000, **kwargs).fit(X, Y)
    ref = ref_cls(cv=4, **grid_size(20), tol=1e-12, max_iter=100_000, **kwargs).fit(X, Y)
    np.testing.assert_allclose(ours.alphas_, ref.alphas_, rtol=1e-12)
    np.testing.assert_allclose(ours.mse_path_, ref.mse_path_, rtol=1e-7)
    assert ours.alpha_ == pytest.approx(ref.alpha_, rel=1e-12)
    np.testing.assert_allclose(ours.coef_, ref.coef_, atol=1e-7)
    np.testing.assert_allclose(ours.intercept_, ref.intercept_, atol=1e-7)
    if "l1_ratio" in kwargs:
        assert ours.l1_ratio_ == ref.l1_ratio_
    else:
        assert not hasattr(ours, "l1_ratio_")


def test_cv_one_standard_error_rule():
    X, Y = _data(90, 30, 3)
    model = MultiTaskLassoCV(cv=5, alphas=30, rule="1se").fit(X, Y)
    curve = model.cv_curve_
    mean, se = model.mse_path_.mean(axis=1), model.mse_path_.std(axis=1, ddof=1) / np.sqrt(5)
    best = int(np.argmin(mean))
    expected = model.alphas_[mean <= mean[best] + se[best]].max()
    assert model.alpha_ == expected == curve.alpha_1se
    assert model.alpha_ >= curve.alpha_min


def test_errors_as_sklearn():
    X, Y = _data(20, 5, 2)
    with pytest.raises(ValueError, match="For mono-task outputs, use ElasticNet"):
        MultiTaskElasticNet().fit(X, Y[:, 0])
    with pytest.raises(ValueError, match="For mono-task outputs, use Lasso"):
        MultiTaskLasso().fit(X, Y[:, 0])
    with pytest.raises(ValueError, match="For mono-task outputs, use LassoCV"):
        MultiTaskLassoCV().fit(X, Y[:, 0])
    with pytest.raises(ValueError, match="l1_ratio"):
        MultiTaskElasticNet(l1_ratio=2).fit(X, Y)
    with pytest.raises(ValueError, match="alpha"):
        MultiTaskLasso(alpha=-1).fit(X, Y)


def test_convergence_warning_and_warm_start():
    X, Y = _data(60, 40, 3, correlated=True)
    with pytest.warns(ConvergenceWarning, match="Objective did not converge"):
        model = MultiTaskLasso(alpha=0.01, max_iter=2, tol=1e-12).fit(X, Y)
    assert model.n_iter_ == 2
    model.set_params(warm_start=True, max_iter=100_000)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        model.fit(X, Y)
    ref = sk.MultiTaskLasso(alpha=0.01, tol=1e-12, max_iter=100_000).fit(X, Y)
    np.testing.assert_allclose(model.coef_, ref.coef_, atol=1e-7)
    # At the solution a warm start verifies the gap and does no sweep.
    assert model.fit(X, Y).n_iter_ == 0


def test_random_selection_same_solution():
    X, Y = _data(60, 30, 3)
    cyclic = MultiTaskElasticNet(alpha=0.05, **EXACT).fit(X, Y)
    random = MultiTaskElasticNet(alpha=0.05, selection="random", random_state=0, **EXACT)
    np.testing.assert_allclose(random.fit(X, Y).coef_, cyclic.coef_, atol=1e-8)


def test_float32_gives_float32():
    X, Y = _data(40, 10, 2)
    model = MultiTaskLasso(alpha=0.1).fit(X.astype(np.float32), Y.astype(np.float32))
    assert model.coef_.dtype == np.float32 and model.intercept_.dtype == np.float32


_CHECK = {"tol": 1e-12, "max_iter": 100_000}


@parametrize_with_checks(
    [
        MultiTaskLasso(alpha=0.1),
        MultiTaskElasticNet(alpha=0.1),
        MultiTaskLassoCV(cv=3, alphas=10, **_CHECK),
        MultiTaskElasticNetCV(cv=3, alphas=10, l1_ratio=[0.5, 1.0], **_CHECK),
    ]
)
def test_sklearn_contract(estimator, check):
    check(estimator)


def test_equals_glmnet_mgaussian():
    # R's glmnet 4.1 family="mgaussian" (standardize=FALSE, thresh=1e-14) at λ = alpha,
    # glmnet's alpha = l1_ratio; numbers from scripts/glmnet_mgaussian_multitask.R.
    import json
    from pathlib import Path

    data = json.loads(
        (
            Path(__file__).parents[1] / "reference" / "glmnet" / "mgaussian_multitask.json"
        ).read_text()
    )
    X, Y = np.array(data["X"]), np.array(data["Y"])
    for fit in data["fits"]:
        model = MultiTaskElasticNet(alpha=fit["alpha"], l1_ratio=fit["l1_ratio"], **EXACT)
        model.fit(X, Y)
        np.testing.assert_allclose(model.coef_.T, fit["coef"], atol=1e-6, rtol=0)
        np.testing.assert_allclose(model.intercept_, fit["intercept"], atol=1e-6, rtol=0)
