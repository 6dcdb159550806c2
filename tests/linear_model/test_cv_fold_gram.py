"""LassoCV's fold Gram matrices: each training set's as the total minus its fold's
(one pass over X), kept in float32 for wide enough float32 data; checked against the
Gram of the training rows formed directly and against scikit-learn."""

import numpy as np
import pytest
from conftest import one_hot_design
from sklearn import linear_model as sk
from sklearn.model_selection import KFold

import shrinkage.linear_model._elastic_net_cv as cv_module
from shrinkage import LassoCV
from shrinkage.linear_model._elastic_net_cv import (
    _FOLD_SINGLE_ROUNDS_MAX_RATIO,
    _SINGLE_GRAM_MIN_FEATURES,
)


def _correlated(rng, n, p, rho=0.6, dtype=np.float64):
    """AR(1) columns (correlation ``rho**|i-j|``) with large means, a sparse target."""
    X = np.empty((n, p))
    X[:, 0] = rng.standard_normal(n)
    for j in range(1, p):
        X[:, j] = rho * X[:, j - 1] + np.sqrt(1 - rho**2) * rng.standard_normal(n)
    X += rng.uniform(-5.0, 5.0, p)
    beta = np.zeros(p)
    beta[:: max(1, p // 20)] = rng.standard_normal(len(range(0, p, max(1, p // 20))))
    y = X @ beta + rng.standard_normal(n) + 3.0
    return np.asfortranarray(X.astype(dtype)), y


def _direct_gram(X, rows):
    """``X̃ᵀX̃/n`` of ``rows`` (centred by their means), in float64 from scratch."""
    Xt = X[rows].astype(np.float64)
    Xc = Xt - Xt.mean(axis=0)
    return Xc.T @ Xc / rows.size


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_fold_gram_from_downdate_equals_direct_gram(rng, dtype):
    n, p = 500, _SINGLE_GRAM_MIN_FEATURES + 20
    X, y = _correlated(rng, n, p, dtype=dtype)
    folds = list(KFold(5, shuffle=True, random_state=0).split(X))
    estimator = LassoCV(cv=5)
    moments = estimator._fold_moments(X, y, np.full(n, 1.0 / n), folds)
    assert moments is not None
    weights, constraint = np.ones(p), estimator._constraint(p)
    for k, (train, _) in enumerate(folds):
        gram = moments.problem(k, weights, 1.0, constraint).design.gram
        direct = _direct_gram(X, train)
        # float32 data: the fold's Gram is the float64 one rounded once (half an ulp,
        # plus the float64 downdate's own rounding).
        assert gram.dtype == dtype
        scale = np.abs(direct).max()
        ulp = np.finfo(dtype).eps
        assert np.all(np.abs(gram - direct) <= ulp * np.abs(direct) + 1e-12 * scale)
    # The final fit's Gram stays float64 (its dual_gap_ certifies the exact problem).
    final = moments.problem(None, weights, 1.0, constraint).design.gram
    assert final.dtype == np.float64
    np.testing.assert_allclose(final, _direct_gram(X, np.arange(n)), rtol=0, atol=1e-12 * scale)


def test_float32_lassocv_matches_sklearn_and_float64(rng, monkeypatch):
    # Wide enough float32 data: the fold paths run on float32 Gram matrices (at tol 1e-8
    # too, below the bound that keeps them float64 on collinear designs: the float32
    # route's own accuracy, on a design that has no exactly flat direction).
    monkeypatch.setattr(cv_module, "_FOLD_SINGLE_GRAM_MIN_TOL", 0.0)
    n, p = 800, _SINGLE_GRAM_MIN_FEATURES + 20
    X32, y = _correlated(rng, n, p, dtype=np.float32)
    X64 = X32.astype(np.float64)  # the same numbers, in float64
    settings = dict(cv=5, alphas=25, tol=1e-8, max_iter=10**5)
    ours = LassoCV(**settings).fit(X32, y)
    ours64 = LassoCV(**settings).fit(X64, y)
    # scikit-learn on our grid (an int ``alphas`` needs scikit-learn >= 1.7).
    reference = dict(settings, alphas=ours64.alphas_)
    ref = sk.LassoCV(**reference).fit(X64, y)
    # The float32 rounding of G moves the fold errors by ~1e-7 (relative) only.
    np.testing.assert_allclose(ours.mse_path_, ours64.mse_path_, rtol=1e-5)
    np.testing.assert_allclose(ours.mse_path_, ref.mse_path_, rtol=1e-5)
    # The same grid point.
    assert ours.alpha_ == pytest.approx(ref.alpha_, rel=1e-12)
    assert ours.alpha_ == pytest.approx(ours64.alpha_, rel=1e-12)
    np.testing.assert_allclose(ours.coef_, ref.coef_, atol=1e-5)
    # scikit-learn's own float32 run (all of it in float32) chooses the same alpha.
    own32 = sk.LassoCV(cv=5, alphas=ours64.alphas_).fit(X32, y)
    assert ours.alpha_ == pytest.approx(own32.alpha_)
    # The final fit solves the float64 problem (the float64 run's, to rounding; coef_
    # is then stored in X's dtype, as scikit-learn's).
    assert ours.coef_.dtype == np.float32
    np.testing.assert_allclose(ours.coef_, ours64.coef_, rtol=2**-23, atol=1e-12)
    assert ours.dual_gap_ == pytest.approx(ours64.dual_gap_, rel=1e-6)


@pytest.mark.parametrize("n", [300, 1000])
def test_wide_float32_folds_sweep_their_float32_gram(rng, monkeypatch, n):
    """Float32 folds with fewer training rows than _FOLD_SINGLE_ROUNDS_MAX_RATIO·p sweep
    their float32 G itself with the rounded rounds (no copy, none kept for reuse); taller
    ones update a float64 gradient. Either way the fold curves are the float64 run's and
    scikit-learn's, and the choice the same (at tol 1e-8, the float32 route forced as
    in test_float32_lassocv_matches_sklearn_and_float64)."""
    monkeypatch.setattr(cv_module, "_FOLD_SINGLE_GRAM_MIN_TOL", 0.0)
    p = _SINGLE_GRAM_MIN_FEATURES + 200
    wide = 0.8 * n < _FOLD_SINGLE_ROUNDS_MAX_RATIO * p
    assert wide == (n == 300)
    X32, y = _correlated(rng, n, p, dtype=np.float32)
    folds = list(KFold(5).split(X32))
    estimator = LassoCV(cv=folds)
    moments = estimator._fold_moments(X32, y, np.full(n, 1.0 / n), folds)
    assert moments is not None
    weights, constraint = np.ones(p), estimator._constraint(p)
    for k in range(len(folds)):
        problem = moments.problem(k, weights, 1.0, constraint)
        design = problem.design
        assert design.gram.dtype == np.float32
        assert (design.sweep_gram is design.gram) == wide
        assert wide or design.sweep_gram is None
        moments.release(problem)
        assert not moments._spare_sweep_grams
    settings = dict(cv=folds, alphas=25, tol=1e-8, max_iter=10**5)
    ours = LassoCV(**settings).fit(X32, y)
    X64 = X32.astype(np.float64)
    ours64 = LassoCV(**settings).fit(X64, y)
    ref = sk.LassoCV(**dict(settings, alphas=ours64.alphas_)).fit(X64, y)
    # G rounded to float32 moves the fold errors by ~1e-5 (relative) on wide folds,
    # whose G is singular (either sweep: 0.6-1.0e-5 on the old one, seeds 0-3), ~1e-7
    # on tall ones (test_float32_lassocv_matches_sklearn_and_float64).
    rtol = 5e-5 if wide else 1e-5
    np.testing.assert_allclose(ours.mse_path_, ours64.mse_path_, rtol=rtol)
    np.testing.assert_allclose(ours.mse_path_, ref.mse_path_, rtol=rtol)
    assert ours.alpha_ == pytest.approx(ref.alpha_, rel=1e-12)


def _gap_from_scratch(X, y, alpha, coef, intercept):
    """Duality gap of ``1/(2n)‖y − β₀ − Xβ‖² + α‖β‖₁`` at ``(β₀, β)`` from the data
    alone: the residual scaled into the dual feasible set ``‖X̃ᵀθ‖_∞ ≤ nα``."""
    n = y.size
    Xc = X - X.mean(axis=0)
    yc = y - y.mean()
    residual = y - intercept - X @ coef
    primal = residual @ residual / (2 * n) + alpha * np.abs(coef).sum()
    r = yc - Xc @ coef  # (the optimal intercept's residual: centred)
    theta = r / max(1.0, np.abs(Xc.T @ r).max() / (n * alpha))
    dual = (yc @ yc - (yc - theta) @ (yc - theta)) / (2 * n)
    return primal - dual, yc @ yc / n


def test_float64_folds_sweep_in_float32_with_exact_certificates(rng):
    # Wide enough float64 data: the folds keep G in float64 and sweep on a float32
    # copy; every fold's gap (from its training rows, not from G) is within tol.
    from shrinkage.path import solve_path
    from shrinkage.solvers.constants import ROUNDED_SWEEPS_MIN_FEATURES

    n, p = 700, ROUNDED_SWEEPS_MIN_FEATURES + 20
    X, y = _correlated(rng, n, p, rho=0.9)
    folds = list(KFold(5).split(X))
    estimator = LassoCV(cv=folds, alphas=20, tol=1e-4)
    moments = estimator._fold_moments(X, y, np.full(n, 1.0 / n), folds)
    weights, constraint = np.ones(p), estimator._constraint(p)
    grid = estimator._grid(X, y, np.full(n, 1.0 / n), weights, 1.0)
    for k, (train, _) in enumerate(folds):
        problem = moments.problem(k, weights, 1.0, constraint)
        design = problem.design
        assert design.gram.dtype == np.float64
        assert design.sweep_gram.dtype == np.float32
        assert design.sweep_gram.flags.f_contiguous
        np.testing.assert_array_equal(design.sweep_gram, design.gram.astype(np.float32))
        path = solve_path(problem, grid, 1e-4, 10**5, keep_state=False)
        assert path.converged.all()
        moments.release(problem)  # (the next fold reuses both matrices)
        for a, alpha in enumerate(grid):
            gap, target_norm2 = _gap_from_scratch(
                X[train], y[train], alpha, path.coefs[:, a], path.intercepts[a]
            )
            assert gap <= 1e-4 * target_norm2 * (1 + 1e-6) + 1e-12
            assert gap >= -1e-12 * target_norm2
    # The final fit has no rounded copy (dual_gap_ certifies the float64 problem).
    assert moments.problem(None, weights, 1.0, constraint).design.sweep_gram is None


def test_float64_lassocv_with_float32_sweeps_matches_sklearn(rng):
    from shrinkage.solvers.constants import ROUNDED_SWEEPS_MIN_FEATURES

    n, p = 900, ROUNDED_SWEEPS_MIN_FEATURES + 50
    X, y = _correlated(rng, n, p, rho=0.6)
    settings = dict(cv=5, alphas=25, tol=1e-10, max_iter=10**5)
    ours = LassoCV(**settings).fit(X, y)
    ref = sk.LassoCV(**dict(settings, alphas=ours.alphas_)).fit(X, y)
    np.testing.assert_allclose(ours.alphas_, ref.alphas_, rtol=1e-14)
    np.testing.assert_allclose(ours.mse_path_, ref.mse_path_, rtol=1e-7)
    assert ours.alpha_ == ref.alpha_
    np.testing.assert_allclose(ours.coef_, ref.coef_, atol=1e-7)


def test_lassocv_converges_on_one_hot_groups_at_tight_tol(monkeypatch):
    """One-hot groups with an intercept and sample weights, 5-fold LassoCV at tol 1e-8.

    The groups are exactly collinear, and G rounded to float32 tilts their flat
    directions: float32 folds on a float32 G crept along them until max_iter (as did
    float64 folds' float32 sweeps, before _gram_path.STALLED_ROUNDS). Below
    _FOLD_SINGLE_GRAM_MIN_TOL float32 folds solve on float64 Gram matrices; every fold
    path of either dtype converges, and both choose the same alpha with the same curves.
    """
    import warnings

    from sklearn.exceptions import ConvergenceWarning

    X, y = one_hot_design(np.random.default_rng(0), 250, 40, 120)
    w = np.random.default_rng(1).uniform(0.2, 3.0, y.size)
    folds = list(KFold(5, shuffle=True, random_state=0).split(X))
    grams = []
    solve = cv_module.solve_path

    def spy(problem, *args, **kwargs):
        grams.append(problem.design.gram.dtype)
        return solve(problem, *args, **kwargs)

    monkeypatch.setattr(cv_module, "solve_path", spy)
    fits = {}
    for dtype in (np.float32, np.float64):
        with warnings.catch_warnings():
            warnings.simplefilter("error", ConvergenceWarning)
            fits[dtype] = LassoCV(cv=folds, alphas=20, tol=1e-8, max_iter=20_000).fit(
                X.astype(dtype), y, sample_weight=w
            )
    assert grams == [np.float64] * 10  # the float32 run's folds too
    ours32, ours64 = fits[np.float32], fits[np.float64]
    assert ours32.alpha_ == ours64.alpha_
    # (Wide folds, 200 rows for 360 features: solutions differ off the training rows
    # within the gap, as on the AR(1) folds above.)
    np.testing.assert_allclose(ours32.mse_path_, ours64.mse_path_, rtol=5e-5)
