"""The compiled GLM path on sparse (CSC) X against independent references.

- the same path on the densified X (the dense kernel, itself checked against the
  Python solver in test_glm_path.py), with sample weights, offsets, penalty weights,
  boxes, no intercept and standardization;
- the KKT conditions, computed here with NumPy on the sparse matrix;
- scikit-learn's LogisticRegression (L1, liblinear and saga at tight tolerances) on
  the same sparse data, and the duality gap as a bound on the suboptimality;
- input forms: CSR, unsorted or duplicate entries, 64-bit indices, never densified.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.linear_model import LogisticRegression
from sklearn_versions import l1_logistic

from shrinkage.datafits import Gamma, Logistic, Poisson
from shrinkage.path import alpha_grid, make_problem, regularization_path, solve_path
from shrinkage.penalties import Box, kkt_violation, penalty_strengths, penalty_value
from shrinkage.solvers.glm import glm_path_applies

DATAFITS = {"logistic": Logistic, "poisson": Poisson, "gamma": Gamma}


def _sparse_data(loss, n=150, p=120, density=0.08, seed=0):
    """CSC X with non-centred columns (entries around 1: the centring must be implicit
    and exact) and a target from a sparse model."""
    rng = np.random.default_rng(seed)
    X = sp.random(n, p, density=density, format="csc", random_state=rng,
                  data_rvs=lambda k: rng.normal(1.0, 1.0, k))  # fmt: skip
    beta = np.zeros(p)
    beta[:8] = rng.uniform(-2, 2, 8)
    eta = 0.5 * (X @ beta)
    if loss == "logistic":
        y = (rng.random(n) < 1 / (1 + np.exp(-eta))).astype(float)
    elif loss == "poisson":
        y = rng.poisson(np.exp(eta)).astype(float)
    else:
        y = rng.gamma(2.0, np.exp(eta) / 2.0)
    return X, y, rng


def _path(X, y, loss, grid=None, n_alphas=20, tol=1e-10, eps=1e-2, **kwargs):
    n, p = X.shape
    options = dict(
        loss=loss,
        h=kwargs.pop("h", np.full(n, 1.0 / n)),
        penalty_weights=kwargs.pop("penalty_weights", np.ones(p)),
        l1_ratio=kwargs.pop("l1_ratio", 1.0),
        positive=kwargs.pop("positive", False),
        fit_intercept=kwargs.pop("fit_intercept", True),
        offset=kwargs.pop("offset", None),
    )
    problem = make_problem(X, y, **options)
    assert glm_path_applies(problem)
    if grid is None:
        grid = alpha_grid(problem.alpha_max, n_alphas, eps)
    return solve_path(problem, grid, tol, 10_000), problem


@pytest.mark.parametrize("loss", ["logistic", "poisson", "gamma"])
@pytest.mark.parametrize("l1_ratio", [1.0, 0.5])
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_equals_dense_path(loss, l1_ratio, fit_intercept):
    X, y, rng = _sparse_data(loss, seed=1)
    n, p = X.shape
    sample_weight = rng.uniform(0.2, 2.0, n)
    sample_weight[:7] = 0.0  # rows that must not count
    weights = rng.uniform(0.5, 2.0, p)
    weights[[3, 50]] = 0.0  # unpenalized
    lower, upper = np.full(p, -np.inf), np.full(p, np.inf)
    lower[::4], upper[1::4] = -0.1, 0.1
    common = dict(
        h=sample_weight / sample_weight.sum(),
        penalty_weights=weights,
        l1_ratio=l1_ratio,
        positive=Box(lower, upper),
        fit_intercept=fit_intercept,
        offset=rng.normal(0.0, 0.3, n),
    )
    # eps: stop before the nearly interpolating end, where Poisson with bounds needs
    # more than 10⁴ Newton steps for tol = 1e-10 (dense and Python solver alike).
    sparse, problem = _path(X, y, loss, eps=0.05, **common)
    dense, _ = _path(X.toarray(), y, loss, grid=sparse.alphas, **common)
    assert sparse.converged.all() and dense.converged.all()
    np.testing.assert_allclose(sparse.coefs, dense.coefs, atol=1e-7)
    np.testing.assert_allclose(sparse.intercepts, dense.intercepts, atol=1e-7)
    np.testing.assert_allclose(sparse.duality_gaps, dense.duality_gaps, atol=1e-9)
    assert sp.issparse(problem.X)  # never densified


@pytest.mark.parametrize("loss", ["logistic", "poisson", "gamma"])
def test_kkt_at_every_alpha(loss):
    """The KKT conditions, from datafits.py's gradient and the sparse X, hold at every
    alpha; the gap is finite and non-negative."""
    X, y, _ = _sparse_data(loss, n=200, p=300, density=0.03, seed=2)
    tol = 1e-8
    result, problem = _path(X, y, loss, n_alphas=25, tol=tol, l1_ratio=0.8)
    h = np.full(X.shape[0], 1.0 / X.shape[0])
    target = problem.absolute_tol(tol)
    for k, alpha in enumerate(result.alphas):
        coef = result.coefs[:, k]
        scaled = -DATAFITS[loss].gradient(y, result.intercepts[k] + X @ coef, h)
        l1, l2 = penalty_strengths(alpha, 0.8, np.ones(X.shape[1]))
        assert kkt_violation(X.T @ scaled, coef, l1, l2, False).max() <= target
        assert abs(scaled.sum()) <= target
        assert 0 <= result.duality_gaps[k] < np.inf


@pytest.mark.parametrize("solver", ["liblinear", "saga"])
def test_l1_logistic_matches_sklearn_on_sparse(solver):
    """Ours minimizes (1/n)Σℓ + α‖β‖₁; scikit-learn's C-form is the same with
    C = 1/(nα). liblinear penalizes its intercept: fit it without (and ours too)."""
    X, y, _ = _sparse_data("logistic", n=200, p=60, density=0.15, seed=3)
    X = X.tocsr()  # CSR input: converted, still sparse
    n = X.shape[0]
    fit_intercept = solver == "saga"
    result = regularization_path(X, y, loss="logistic", alphas=8, eps=0.05, tol=1e-10,
                                 fit_intercept=fit_intercept)  # fmt: skip
    h = np.full(n, 1.0 / n)
    for k in (2, 5, 7):
        alpha = result.alphas[k]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            sk = LogisticRegression(C=1.0 / (n * alpha), **l1_logistic(), solver=solver,
                                    tol=1e-12, max_iter=200_000,
                                    fit_intercept=fit_intercept).fit(X, y)  # fmt: skip

        def objective(b0, b, alpha=alpha):
            return Logistic.value(y, b0 + X @ b, h) + penalty_value(
                b, alpha * np.ones(b.size), np.zeros(b.size)
            )

        ours = objective(result.intercepts[k], result.coefs[:, k])
        theirs = objective(float(np.ravel(sk.intercept_)[0]), sk.coef_.ravel())
        assert ours <= theirs + 1e-10
        assert theirs - ours <= 1e-7
        # The gap certifies the suboptimality against an independent solution.
        assert ours - theirs <= result.duality_gaps[k] + 1e-12
        np.testing.assert_allclose(result.coefs[:, k], sk.coef_.ravel(), atol=1e-4)


def test_standardize_equals_dense():
    """standardize=True scales the sparse columns (never centres them): same path as
    on the densified X."""
    X, y, _ = _sparse_data("logistic", seed=4)
    X = X @ sp.diags(np.linspace(0.1, 10.0, X.shape[1]))
    kwargs = dict(loss="logistic", alphas=15, eps=1e-2, tol=1e-10, standardize=True)
    sparse = regularization_path(sp.csc_matrix(X), y, **kwargs)
    dense = regularization_path(X.toarray(), y, **kwargs)
    np.testing.assert_allclose(sparse.alphas, dense.alphas, rtol=1e-12)
    np.testing.assert_allclose(sparse.coefs, dense.coefs, atol=1e-6)
    np.testing.assert_allclose(sparse.intercepts, dense.intercepts, atol=1e-7)


def test_non_canonical_and_64_bit_indices():
    """Duplicate entries (summed), unsorted indices and int64 index arrays give the
    path of the canonical matrix (to 1e-8: solved at a KKT tolerance of 1e-12, where
    the duplicates' rounding and the solver's own stopping point stay far below)."""
    X, y, rng = _sparse_data("logistic", seed=5)
    reference, _ = _path(X, y, "logistic", tol=1e-12)
    coo = X.tocoo()
    split = rng.uniform(0.2, 0.8, coo.nnz)  # every entry as two duplicates
    rows = np.concatenate([coo.row, coo.row])
    cols = np.concatenate([coo.col, coo.col])
    vals = np.concatenate([split * coo.data, (1 - split) * coo.data])
    # Column-major order, shuffled within each column: CSC arrays built by hand (a
    # COO conversion would sum the duplicates).
    order = np.lexsort((rng.random(rows.size), cols))
    indptr = np.searchsorted(cols[order], np.arange(X.shape[1] + 1))
    duplicated = sp.csc_matrix((vals[order], rows[order], indptr), shape=X.shape)
    assert not duplicated.has_canonical_format
    wide = X.copy()
    wide.indices = wide.indices.astype(np.int64)
    wide.indptr = wide.indptr.astype(np.int64)
    for variant in (duplicated, wide):
        got, _ = _path(variant, y, "logistic", grid=reference.alphas, tol=1e-12)
        np.testing.assert_allclose(got.coefs, reference.coefs, atol=1e-8)


def test_loose_tol_path_keeps_kkt_and_certified_gap():
    """At a loose tolerance each Newton direction is solved inexactly (one round of
    coordinate descent, glm.PATH_INNER_ROUNDS): every alpha must still meet the KKT
    target (NumPy on the sparse X), and its gap must bound the suboptimality against
    scikit-learn's liblinear at a tight tolerance (no intercept: liblinear penalizes
    its own)."""
    X, y, _ = _sparse_data("logistic", n=400, p=200, density=0.03, seed=4)
    n = X.shape[0]
    tol = 1e-3
    result, problem = _path(X, y, "logistic", n_alphas=30, tol=tol, fit_intercept=False)
    h = np.full(n, 1.0 / n)
    target = problem.absolute_tol(tol)
    for k in (3, 8, 13):
        alpha, coef = result.alphas[k], result.coefs[:, k]
        scaled = -Logistic.gradient(y, X @ coef, h)
        l1, l2 = penalty_strengths(alpha, 1.0, np.ones(X.shape[1]))
        assert kkt_violation(X.T @ scaled, coef, l1, l2, False).max() <= target
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            sk = LogisticRegression(C=1.0 / (n * alpha), **l1_logistic(), solver="liblinear",
                                    tol=1e-10, max_iter=10_000,
                                    fit_intercept=False).fit(X, y)  # fmt: skip

        def objective(b, alpha=alpha):
            return Logistic.value(y, X @ b, h) + alpha * np.abs(b).sum()

        ours, theirs = objective(coef), objective(sk.coef_.ravel())
        assert ours - theirs <= result.duality_gaps[k] + 1e-12
        assert ours - theirs <= 1e-3 * abs(theirs)
