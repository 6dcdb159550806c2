"""float32 data on the compiled Gram path: sweeps on ``G`` rounded to float32, exact checks.

``gram_path`` updates its gradient with a float32 copy of the Gram matrix when the data
are float32 (``sweep_gram``) but recomputes it from the exact ``G`` before every KKT
check and duality gap. These tests hold it to that, against objectives computed here in
float64 from the data alone: the reported gap bounds the distance to a tightly solved
float64 reference, the objective matches the float64 twin's to the tolerance, a tight
tolerance is still reached, and even a wrong sweep matrix cannot produce a wrong
certified answer.
"""

import numpy as np
import pytest

from shrinkage import regularization_path
from shrinkage.solvers._gram_path import gram_path
from shrinkage.solvers.constants import ACTIVE_SWEEPS, ANDERSON_DEPTH, SWEEP_THRESHOLD_FLOOR

from .float32_data import ar1_float32


def _objective(X, y, coef, alpha, l1_ratio):
    """½‖y − Xβ − b‖²/n + α(ρ‖β‖₁ + (1−ρ)‖β‖²/2) in float64, ``b`` optimal."""
    X = np.asarray(X, dtype=np.float64)
    r = (y - y.mean()) - (X - X.mean(axis=0)) @ coef
    l1, l2 = alpha * l1_ratio, alpha * (1 - l1_ratio)
    return 0.5 * (r @ r) / y.size + l1 * np.abs(coef).sum() + 0.5 * l2 * coef @ coef


@pytest.mark.parametrize("l1_ratio", [0.5, 1.0])
@pytest.mark.parametrize("tol", [1e-4, 1e-10])
def test_float32_path_certified_and_equal_to_float64(rng, l1_ratio, tol):
    X32, y = ar1_float32(rng, 300, 150)
    X64 = X32.astype(np.float64)  # the same numbers
    yc = y - y.mean()
    tol_abs = tol * (yc @ yc) / y.size
    single = regularization_path(X32, y, l1_ratio=l1_ratio, alphas=40, tol=tol)
    double = regularization_path(X64, y, l1_ratio=l1_ratio, alphas=single.alphas, tol=tol)
    tight = regularization_path(X64, y, l1_ratio=l1_ratio, alphas=single.alphas, tol=1e-14)
    assert single.converged.all() and double.converged.all()
    assert np.all(single.duality_gaps <= tol_abs * (1 + 1e-9))
    means = X64.mean(axis=0)
    np.testing.assert_allclose(single.intercepts, y.mean() - means @ single.coefs, atol=1e-8)
    slack = 1e-12 * (yc @ yc) / y.size  # float64 rounding of the objectives
    for k, alpha in enumerate(single.alphas):
        objective32, objective64, best = (
            _objective(X64, y, path.coefs[:, k], alpha, l1_ratio)
            for path in (single, double, tight)
        )
        # the reported gap bounds the float32 run's distance to the optimum
        assert objective32 - best <= single.duality_gaps[k] + slack
        # both runs are within tol_abs of the same optimum
        assert abs(objective32 - objective64) <= tol_abs + slack


@pytest.mark.parametrize("distortion", ["rounded", "wrong"])
def test_sweep_gram_cannot_break_the_certificate(rng, distortion):
    """The sweeps' matrix only steers: with ``G`` rounded to float32, or even a wrong
    one (off-diagonal entries scaled by 1.2), the path ends at the exact problem's
    solution, to gaps that bound the exact problem's suboptimality."""
    X32, y = ar1_float32(rng, 200, 80, rho=0.8)
    Xc = X32.astype(np.float64) - X32.astype(np.float64).mean(axis=0)
    yc = y - y.mean()
    n, p = Xc.shape
    gram = np.asfortranarray(Xc.T @ Xc / n)
    q, target_norm2 = Xc.T @ yc / n, yc @ yc / n
    sweep = gram.astype(np.float32)
    if distortion == "wrong":
        sweep = (1.2 * gram).astype(np.float32)
        np.fill_diagonal(sweep, np.diag(gram))
    sweep = np.asfortranarray(sweep)
    l1_ratio = 0.5
    alpha_max = np.max(np.abs(q)) / l1_ratio
    alphas = alpha_max * np.geomspace(1, 1e-3, 30)
    tol_abs = 1e-10 * target_norm2

    def run(sweep_gram):
        coefs = np.zeros((alphas.size, p))
        gaps, n_iters = np.zeros(alphas.size), np.zeros(alphas.size, dtype=np.int64)
        converged = np.zeros(alphas.size, dtype=bool)
        ones = np.ones(p)
        gram_path(
            gram, q, target_norm2, np.diag(gram).copy(), np.zeros(p), alphas, alpha_max,
            l1_ratio, ones, -np.inf * ones, np.inf * ones, tol_abs, 100_000,
            ACTIVE_SWEEPS, ANDERSON_DEPTH, SWEEP_THRESHOLD_FLOOR, coefs, gaps, n_iters,
            converged, 1e-10, True, sweep_gram,
        )  # fmt: skip
        return coefs, gaps, converged

    exact_coefs, exact_gaps, exact_converged = run(None)
    coefs, gaps, converged = run(sweep)
    assert exact_converged.all() and converged.all()
    assert np.all(gaps <= tol_abs)
    slack = 1e-12 * target_norm2
    for k, alpha in enumerate(alphas):
        objective = _objective(X32, y, coefs[k], alpha, l1_ratio)
        exact_objective = _objective(X32, y, exact_coefs[k], alpha, l1_ratio)
        assert objective - exact_objective <= gaps[k] + slack
        assert exact_objective - objective <= exact_gaps[k] + slack


@pytest.mark.parametrize("tol", [1e-4, 1e-10])
def test_float32_path_with_refused_steps_certified(rng, tol):
    """Strongly correlated columns and a support too large for the active-set steps'
    budget (p < 1000: the steps are refused, the rounds are coordinate descent's with
    their sweeps over the non-zeros on the float32 gradient): the float32 path's gaps
    still bound its distance to a tightly solved float64 reference, and it agrees with
    the float64 path to the tolerance."""
    X32, y = ar1_float32(rng, 400, 160, rho=0.95)
    X64 = X32.astype(np.float64)
    yc = y - y.mean()
    tol_abs = tol * (yc @ yc) / y.size
    single = regularization_path(X32, y, l1_ratio=0.5, alphas=60, eps=1e-3, tol=tol)
    double = regularization_path(X64, y, l1_ratio=0.5, alphas=single.alphas, tol=tol)
    tight = regularization_path(X64, y, l1_ratio=0.5, alphas=single.alphas, tol=1e-14)
    assert single.converged.all()
    assert np.all(single.duality_gaps <= tol_abs * (1 + 1e-9))
    assert single.n_nonzero.max() > 100  # the large supports this is about
    slack = 1e-12 * (yc @ yc) / y.size
    for k, alpha in enumerate(single.alphas):
        objective32, objective64, best = (
            _objective(X64, y, path.coefs[:, k], alpha, 0.5) for path in (single, double, tight)
        )
        assert objective32 - best <= single.duality_gaps[k] + slack
        assert abs(objective32 - objective64) <= tol_abs + slack
