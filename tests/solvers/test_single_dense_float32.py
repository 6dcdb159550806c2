"""One fit on float32 data with n <= 2p: rounds on a float32 residual, exact checks.

:class:`~shrinkage.solvers._designs.SingleDenseDesign` sweeps with a float32 copy of the
residual but recomputes the float64 residual from the coefficients before every
gradient, residual norm and duality gap. These tests hold it to that against
quantities computed here in float64 from the data alone: the duality gap recomputed
from scratch, the distance to scikit-learn's tightly solved float64 fit, a tight
tolerance still reached (the float64 rounds take over below the floor), and a
corrupted float32 residual that still cannot produce a wrong certified answer.
"""

import numpy as np
import pytest
from sklearn.linear_model import ElasticNet as SkElasticNet

import shrinkage.solvers._designs as designs
from shrinkage.solvers.constants import SINGLE_RESIDUAL_FLOOR
from shrinkage.solvers.problems import LeastSquaresProblem
from shrinkage.solvers.step import solve_and_check

from .float32_data import ar1_float32


def _primal_and_gap(X, y, coef, alpha, l1_ratio):
    """Primal objective (intercept profiled out) and the duality gap at the rescaled
    residual, both from scratch in float64 (no solver code)."""
    Xc = np.asarray(X, dtype=np.float64)
    Xc = Xc - Xc.mean(axis=0)
    yc = y - y.mean()
    n = y.size
    l1, l2 = alpha * l1_ratio, alpha * (1 - l1_ratio)
    r = yc - Xc @ coef
    primal = 0.5 * (r @ r) / n + l1 * np.abs(coef).sum() + 0.5 * l2 * coef @ coef
    c = Xc.T @ r / n  # X̃ᵀθ/n at θ = r
    if l2 == 0:
        s = min(1.0, l1 / np.max(np.abs(c)))
        conjugate = 0.0  # s·c is feasible
    else:
        s = 1.0
        conjugate = 0.5 * np.sum(np.maximum(np.abs(c) - l1, 0.0) ** 2) / l2
    theta = s * r
    dual = (yc @ theta) / n - 0.5 * (theta @ theta) / n - conjugate
    return primal, primal - dual


def _alpha(X, y, fraction, l1_ratio):
    Xc = X.astype(np.float64) - X.astype(np.float64).mean(axis=0)
    return fraction * np.max(np.abs(Xc.T @ (y - y.mean()))) / y.size / l1_ratio


def _fit(X, y, alpha, l1_ratio, tol):
    """One estimator fit's solve (``precompute="single"``), float64 coefficients and
    the reported gap (``coef_`` itself is float32 for float32 data)."""
    n, p = X.shape
    problem = LeastSquaresProblem(
        np.asfortranarray(X), y, np.full(n, 1.0 / n), np.ones(p), l1_ratio, False, True,
        "single",
    )  # fmt: skip
    info = solve_and_check(problem, alpha, problem.alpha_max, tol, 100_000)
    assert info.converged
    return problem.coef, info.duality_gap


def _count_rounds(monkeypatch):
    """Count the rounds of the single design on a float32 and on a float64 residual."""
    counts = {"single": 0, "double": 0}
    rounds = designs.cd_dense

    def counted(X, h, mu, r, *args):
        counts["single" if r.dtype == np.float32 else "double"] += 1
        return rounds(X, h, mu, r, *args)

    monkeypatch.setattr(designs, "cd_dense", counted)
    return counts


@pytest.mark.parametrize("l1_ratio", [1.0, 0.5])
@pytest.mark.parametrize("tol", [1e-3, 1e-8, 1e-12])
def test_float32_fit_certified_against_float64_reference(rng, monkeypatch, l1_ratio, tol):
    X32, y = ar1_float32(rng, 150, 200)
    alpha = _alpha(X32, y, 0.05, l1_ratio)
    counts = _count_rounds(monkeypatch)
    coef, dual_gap = _fit(X32, y, alpha, l1_ratio, tol)
    # float32 rounds far from the floor; float64 ones take over below it
    if tol * 10 >= SINGLE_RESIDUAL_FLOOR:
        assert counts["single"] > 0
    else:
        assert counts["single"] == 0 and counts["double"] > 0
    yc = y - y.mean()
    tol_abs = tol * (yc @ yc) / y.size
    primal, gap = _primal_and_gap(X32, y, coef, alpha, l1_ratio)
    slack = 1e-12 * (yc @ yc) / y.size  # float64 rounding of the objectives
    # the reported gap is the gap at the exact residual, below the tolerance
    assert dual_gap <= tol_abs
    assert abs(gap - dual_gap) <= 1e-6 * gap + slack
    # and a true certificate: it bounds the distance to a tightly solved reference
    reference = SkElasticNet(
        alpha=alpha, l1_ratio=l1_ratio, tol=1e-14, max_iter=1_000_000
    ).fit(X32.astype(np.float64), y)
    best, _ = _primal_and_gap(X32, y, reference.coef_, alpha, l1_ratio)
    assert primal - best <= dual_gap + slack
    if tol <= 1e-8:
        np.testing.assert_allclose(coef, reference.coef_, atol=1e-4 * np.abs(reference.coef_).max())


def test_float32_rounds_run_where_the_design_is_single(rng):
    X32, y = ar1_float32(rng, 120, 100)
    problem_x = np.asfortranarray(X32)
    h = np.full(y.size, 1.0 / y.size)
    mu = problem_x.astype(np.float64).mean(axis=0)
    design = designs.make_design(problem_x, h, mu, y - y.mean(), "single")
    assert type(design) is designs.SingleDenseDesign
    double = designs.make_design(problem_x.astype(np.float64), h, mu, y - y.mean(), "single")
    assert type(double) is designs.DenseDesign


def test_corrupted_float32_residual_cannot_break_the_certificate(rng, monkeypatch):
    """The float32 residual only steers: with noise added to it after each of the first
    float32 rounds (1e-2 of its size: a residual that no longer belongs to the
    coefficients), the fit still ends at gaps computed from the exact residual, which
    bound the true suboptimality."""
    X32, y = ar1_float32(rng, 150, 200, rho=0.8)
    alpha = _alpha(X32, y, 0.05, 1.0)
    rounds = designs.cd_dense
    noise = np.random.default_rng(1)
    corrupted = []

    def corrupting(X, h, mu, r, *args):
        change = rounds(X, h, mu, r, *args)
        if r.dtype == np.float32 and len(corrupted) < 5:
            corrupted.append(True)
            r += (1e-2 * np.abs(r).max() * noise.standard_normal(r.size)).astype(r.dtype)
        return change

    monkeypatch.setattr(designs, "cd_dense", corrupting)
    tol = 1e-6
    coef, dual_gap = _fit(X32, y, alpha, 1.0, tol)
    assert len(corrupted) == 5
    yc = y - y.mean()
    primal, gap = _primal_and_gap(X32, y, coef, alpha, 1.0)
    slack = 1e-12 * (yc @ yc) / y.size
    assert dual_gap <= tol * (yc @ yc) / y.size
    assert abs(gap - dual_gap) <= 1e-6 * gap + slack
    reference = SkElasticNet(alpha=alpha, l1_ratio=1.0, tol=1e-14, max_iter=1_000_000).fit(
        X32.astype(np.float64), y
    )
    best, _ = _primal_and_gap(X32, y, reference.coef_, alpha, 1.0)
    assert primal - best <= dual_gap + slack
