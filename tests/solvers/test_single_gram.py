"""Float32 paths on ``G`` formed in float32, certified from ``X`` (``solvers._single_gram``).

The path solves on the float32 ``G``; every alpha's duality gap is then recomputed from
the data in float64. These tests hold the reported gaps to gaps computed here with NumPy
from ``X`` alone (scikit-learn's formula), hold each gap to the distance from a tightly
solved float64 reference, and check that a failed certificate hands the rest of the
path to the exact route, whose answers are certified too.
"""

import numpy as np
import pytest

import shrinkage.solvers.gram_route as route_module
from shrinkage import regularization_path
from shrinkage.path import solve_path
from shrinkage.solvers import _single_gram
from shrinkage.solvers._single_gram import SINGLE_GRAM_MIN_TOL, SingleGramDesign
from shrinkage.solvers.problems import LeastSquaresProblem

from .float32_data import ar1_float32


def _lasso_gap(X, y, h, coef, alpha):
    """scikit-learn's lasso duality gap, weighted, in float64 from the data:
    ``½(1 + s²)‖r‖²_H + α‖β‖₁ − s·rᵀHz`` with ``s = min(1, α/‖X̃ᵀHr‖∞)``."""
    X = np.asarray(X, dtype=np.float64)
    mean = h @ X
    z = y - h @ y
    r = z - (X - mean) @ coef
    dual_norm = np.max(np.abs((X - mean).T @ (h * r)))
    s = min(1.0, alpha / dual_norm) if dual_norm > 0 else 1.0
    return 0.5 * (1 + s * s) * (r @ (h * r)) + alpha * np.abs(coef).sum() - s * (r @ (h * z))


def _objective(X, y, h, coef, alpha, l1_ratio):
    X = np.asarray(X, dtype=np.float64)
    r = (y - h @ y) - (X - h @ X) @ coef
    return (0.5 * r @ (h * r) + alpha * l1_ratio * np.abs(coef).sum()
            + 0.5 * alpha * (1 - l1_ratio) * coef @ coef)


def _record_routes(monkeypatch) -> list:
    """The dtype of ``G`` of each compiled path run (float32 route, float64 hand-over)."""
    routes = []
    run = route_module.run_gram_path

    def spy(problem, gram, *args):
        routes.append(gram.dtype)
        return run(problem, gram, *args)

    monkeypatch.setattr(route_module, "run_gram_path", spy)
    return routes


def _problem(X, y, h, l1_ratio=1.0):
    return LeastSquaresProblem(X, y, h, np.ones(X.shape[1]), l1_ratio,
                               precompute="path-float32")


@pytest.mark.parametrize("weighted", [False, True])
def test_reported_gaps_are_the_data_s_gaps(rng, weighted):
    """The gaps are those of the problem on ``X`` (NumPy, float64), not on the float32
    ``G``; they bound each alpha's distance to a tightly solved float64 path; the
    float64 ``G`` is never formed."""
    X, y = ar1_float32(rng, 700, 120, rho=0.6)
    h = rng.uniform(0.2, 1.0, y.size) if weighted else np.ones(y.size)
    h /= h.sum()
    problem = _problem(X, y, h)
    assert isinstance(problem.design, SingleGramDesign)
    alphas = problem.alpha_max * np.geomspace(1, 1e-3, 30)
    tol = 1e-4
    path = solve_path(problem, alphas, tol, 10_000)
    assert not problem.design.has_exact_gram
    assert path.converged.all()
    tol_abs = tol * problem.target_norm2
    assert np.all(path.duality_gaps <= tol_abs)
    tight = regularization_path(X.astype(np.float64), y, alphas=alphas, tol=1e-13,
                                sample_weight=h * y.size, max_iter=100_000)
    scale = problem.target_norm2
    for k, alpha in enumerate(alphas):
        coef = path.coefs[:, k]
        reference_gap = _lasso_gap(X, y, h, coef, alpha)
        assert path.duality_gaps[k] == pytest.approx(reference_gap, rel=1e-6, abs=1e-12 * scale)
        excess = _objective(X, y, h, coef, alpha, 1.0) - _objective(
            X, y, h, tight.coefs[:, k], alpha, 1.0)
        assert excess <= path.duality_gaps[k] + 1e-12 * scale


def test_tolerance_below_float32_resolution_takes_the_exact_route(rng):
    X, y = ar1_float32(rng, 500, 100)
    h = np.full(y.size, 1 / y.size)
    problem = _problem(X, y, h)
    alphas = problem.alpha_max * np.geomspace(1, 1e-2, 10)
    path = solve_path(problem, alphas, SINGLE_GRAM_MIN_TOL / 10, 10_000)
    assert problem.design.has_exact_gram
    assert path.converged.all()
    assert np.all(path.duality_gaps <= SINGLE_GRAM_MIN_TOL / 10 * problem.target_norm2)


@pytest.mark.parametrize(("first_failure", "bad_gap"), [(0, np.inf), (7, np.inf), (19, np.inf),
                                                      (7, np.nan)])
def test_failed_certificate_hands_the_rest_to_the_exact_route(
    rng, monkeypatch, first_failure, bad_gap
):
    """An alpha whose certificate fails (forced here: an infinite or NaN gap) and all
    after it are solved again on the float64 ``G``: the path then equals the float64
    route's to its tolerance, every gap a true one."""
    X, y = ar1_float32(rng, 400, 90, rho=0.8)
    h = np.full(y.size, 1 / y.size)
    l1_ratio = 0.5
    real = SingleGramDesign.exact_gaps

    def failing_from(self, coefs, alphas, *args):
        gaps = real(self, coefs, alphas, *args)
        gaps[first_failure:] = bad_gap  # (NaN: a float32 G that overflowed)
        return gaps

    monkeypatch.setattr(SingleGramDesign, "exact_gaps", failing_from)
    routes = _record_routes(monkeypatch)
    problem = _problem(X, y, h, l1_ratio)
    alphas = problem.alpha_max * np.geomspace(1, 1e-3, 20)
    tol = 1e-4
    path = solve_path(problem, alphas, tol, 10_000)
    assert routes == [np.float32, np.float64]
    assert problem.design.has_exact_gram
    assert path.converged.all()
    assert np.all(np.isfinite(path.duality_gaps))
    tol_abs = tol * problem.target_norm2
    assert np.all(path.duality_gaps <= tol_abs)
    tight = regularization_path(X.astype(np.float64), y, l1_ratio=l1_ratio, alphas=alphas,
                                tol=1e-13, max_iter=100_000)
    for k, alpha in enumerate(alphas):
        excess = _objective(X, y, h, path.coefs[:, k], alpha, l1_ratio) - _objective(
            X, y, h, tight.coefs[:, k], alpha, l1_ratio)
        assert excess <= path.duality_gaps[k] + 1e-12 * problem.target_norm2
    # The state left for the caller is the last alpha's, with its exact gradient.
    np.testing.assert_allclose(problem.coef, path.coefs[:, -1])
    Xc = X.astype(np.float64) - X.astype(np.float64).mean(axis=0)
    exact = Xc.T @ ((y - y.mean()) - Xc @ problem.coef) / y.size
    np.testing.assert_allclose(problem.gradient, exact, rtol=0, atol=1e-10 * np.abs(exact).max())


def test_correlated_data_fall_back_and_stay_certified(monkeypatch):
    """Nearly collinear float32 columns with large means (AR(1) 0.999 and 0.9999,
    shift 100), at tolerances just above the float32 route's floor: some paths fail a
    certificate on the float32 ``G``; every path still ends certified and converged."""
    rng = np.random.default_rng(0)
    routes = _record_routes(monkeypatch)
    fallbacks = 0
    for rho, tol in [(rho, tol) for rho in (0.999, 0.9999) for tol in (1e-5, 3e-5)]:
        X, y = ar1_float32(rng, 600, 200, rho=rho)
        X = (10 * X + 100).astype(np.float32)
        h = np.full(y.size, 1 / y.size)
        problem = _problem(X, y, h)
        alphas = problem.alpha_max * np.geomspace(1, 1e-4, 50)
        routes.clear()
        path = solve_path(problem, alphas, tol, 10_000)
        fallbacks += np.float64 in routes
        assert path.converged.all()
        assert np.all(path.duality_gaps <= tol * problem.target_norm2)
        for k in (0, 25, 49):
            gap = _lasso_gap(X, y, h, path.coefs[:, k], alphas[k])
            # (a difference of near-equal sums: compared on the scale of ‖z‖²/n)
            assert path.duality_gaps[k] == pytest.approx(
                gap, rel=1e-6, abs=1e-12 * problem.target_norm2)
    assert fallbacks >= 1  # (else this test would not exercise the hand-over)


@pytest.mark.parametrize(
    ("dtype", "n_alphas", "tol", "min_features", "expected"),
    [
        (np.float32, 10, 1e-4, 150, True),
        (np.float32, 11, 1e-4, 150, False),  # p = 200 < 20 features per alpha
        (np.float32, 10, 1e-4, 250, False),  # p < the route's minimum
        (np.float32, 10, 1e-4, 150, "square"),  # n < 2p
        (np.float32, 10, SINGLE_GRAM_MIN_TOL / 2, 150, False),
        (np.float64, 10, 1e-4, 150, False),
    ],
)
def test_regularization_path_takes_the_route_where_it_pays(
    rng, monkeypatch, dtype, n_alphas, tol, min_features, expected
):
    """``regularization_path`` solves on the float32 ``G`` only for float32 data, at a
    tolerance float32 resolves, with enough features (per alpha, and in all: the
    minimum is lowered here to keep the data small); either way its gaps are the
    data's."""
    monkeypatch.setattr(_single_gram, "SINGLE_GRAM_MIN_FEATURES", min_features)
    X, y = ar1_float32(rng, 300 if expected == "square" else 500, 200)
    X = X.astype(dtype)
    expected = expected is True
    made = []
    init = SingleGramDesign.__init__

    def spy(self, *args):
        made.append(True)
        init(self, *args)

    monkeypatch.setattr(SingleGramDesign, "__init__", spy)
    path = regularization_path(X, y, alphas=n_alphas, tol=tol)
    assert bool(made) == expected
    assert path.converged.all()
    yc = y - y.mean()
    assert np.all(path.duality_gaps <= tol * (yc @ yc) / y.size)
    for k in range(n_alphas):
        assert path.duality_gaps[k] == pytest.approx(
            _lasso_gap(X, y, np.full(y.size, 1 / y.size), path.coefs[:, k], path.alphas[k]),
            rel=1e-6, abs=1e-12 * (yc @ yc) / y.size)


def test_block_rows_do_not_change_the_result(rng, monkeypatch):
    """``X`` read in several row blocks, the last one shorter, gives the design of one
    block up to float32 rounding (``G``) and float64 rounding (``q``, gradients)."""
    X, y = ar1_float32(rng, 1000, 40)
    h = np.full(y.size, 1 / y.size)
    whole = _problem(X, y, h).design
    monkeypatch.setattr(_single_gram, "_BLOCK_ROWS", 128)
    blocks = _problem(X, y, h).design
    Xc = X.astype(np.float64) - X.astype(np.float64).mean(axis=0)
    gram = Xc.T @ Xc / y.size
    for design in (whole, blocks):
        np.testing.assert_allclose(design.sweep_gram, gram, rtol=0, atol=1e-6 * gram.max())
        np.testing.assert_allclose(design.q, Xc.T @ (y - y.mean()) / y.size, rtol=1e-10)
        np.testing.assert_allclose(design.lipschitz, np.diag(gram), rtol=1e-10)
        assert np.array_equal(design.sweep_gram, design.sweep_gram.T)
    coefs = np.vstack([np.zeros(40), rng.standard_normal(40)])
    gradients, norms = blocks.exact_gradients(coefs)
    residuals = (y - y.mean())[:, None] - Xc @ coefs.T
    np.testing.assert_allclose(gradients, Xc.T @ residuals / y.size, rtol=1e-10)
    np.testing.assert_allclose(norms, (residuals**2).sum(axis=0) / y.size, rtol=1e-10)


@pytest.mark.parametrize("weighted", [False, True])
def test_layouts_give_the_same_numbers(rng, monkeypatch, weighted):
    """C- and Fortran-ordered float32 data give the same float32 ``G``, ``q``, Lipschitz
    constants and path to the last bit (the row blocks are copied one way), read in
    several blocks, the last one shorter."""
    monkeypatch.setattr(_single_gram, "_BLOCK_ROWS", 96)
    X, y = ar1_float32(rng, 500, 60)
    h = rng.uniform(0.5, 1.0, y.size) if weighted else np.ones(y.size)
    h /= h.sum()
    problems = [_problem(np.asarray(X, order=order), y, h) for order in "CF"]
    for name in ("sweep_gram", "q", "lipschitz"):
        assert np.array_equal(getattr(problems[0].design, name),
                              getattr(problems[1].design, name))
    alphas = problems[0].alpha_max * np.geomspace(1, 1e-2, 15)
    paths = [solve_path(problem, alphas, 1e-4, 10_000) for problem in problems]
    assert np.array_equal(paths[0].coefs, paths[1].coefs)
    assert np.array_equal(paths[0].duality_gaps, paths[1].duality_gaps)


def test_float32_gram_overflow_hands_over(rng):
    """Float32 data whose squares pass float32's range (entries ~3e19: ``G``'s diagonal,
    the variances, ~1e39): the float32 ``G`` overflows, the certificates fail, and the
    float64 route solves the path from there, certified."""
    X, y = ar1_float32(rng, 300, 60)
    X = (X.astype(np.float64) * 3e19).astype(np.float32)
    y = y * 3e19
    h = np.full(y.size, 1 / y.size)
    problem = _problem(X, y, h)
    assert not np.all(np.isfinite(problem.design.sweep_gram))
    alphas = problem.alpha_max * np.geomspace(1, 1e-2, 10)
    with np.errstate(all="ignore"):
        path = solve_path(problem, alphas, 1e-4, 10_000)
    assert problem.design.has_exact_gram
    assert np.all(np.isfinite(path.coefs)) and path.converged.all()
    assert np.all(path.duality_gaps <= 1e-4 * problem.target_norm2)
    reference = regularization_path(X.astype(np.float64), y, alphas=alphas, tol=1e-4)
    np.testing.assert_allclose(path.coefs, reference.coefs, rtol=1e-3,
                               atol=1e-3 * np.abs(reference.coefs).max())
