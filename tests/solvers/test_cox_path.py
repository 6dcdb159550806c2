"""The compiled Breslow Cox path (solvers/_cox_kernels.py): its sums against the Cox
datafit of datafits/cox.py, its path against the Python proximal-Newton solver, and
the KKT conditions. (The paths against R's glmnet: tests/linear_model/test_cox.py.)"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import shrinkage.datafits.cox as cox_module
from shrinkage.datafits.cox import Cox
from shrinkage.path import alpha_grid, make_problem, solve_path
from shrinkage.penalties import kkt_violation, penalty_strengths
from shrinkage.solvers import _cox_kernels as kernels
from shrinkage.solvers.glm import glm_path_applies

REFERENCE = Path(__file__).parents[1] / "reference" / "glmnet"


def _ties_data():
    with open(REFERENCE / "data_cox_ties.json") as f:
        d = json.load(f)
    return np.asarray(d["x"], dtype=float), np.asarray(d["y"], dtype=float)


def _sorted_inputs(target, h):
    order = target.order.astype(np.int64)
    group = target.group.astype(np.int64)
    first = target.first.astype(np.int64)
    h_s = h[order]
    ev_h_s = np.where(target.event[order] & (h_s > 0), h_s, 0.0)
    hd = np.bincount(group, weights=ev_h_s, minlength=first.size)
    return order, group, first, h_s, ev_h_s, hd


def test_value_gradient_and_hessian_equal_the_datafit():
    """Tied times, censored rows tied with events, zero and unequal weights."""
    X, y = _ties_data()
    rng = np.random.default_rng(0)
    n = len(y)
    h = rng.uniform(0.2, 2.0, n)
    h[:7] = 0.0
    h /= h.sum()
    eta = X @ rng.normal(0, 0.5, X.shape[1]) + 3.0
    cox = Cox("breslow")
    target = cox.check_target(y)
    order, group, first, h_s, ev_h_s, hd = _sorted_inputs(target, h)
    a_s, risk = np.empty(n), np.empty(first.size)
    value, spread = kernels.cox_value(eta, order, group, first, h_s, ev_h_s, hd, a_s, risk, 500.0)
    assert value == pytest.approx(cox.value(target, eta, h), rel=1e-13)
    assert spread == pytest.approx(np.ptp(eta[h > 0]), rel=1e-14)
    g, w, r0 = np.empty(n), np.empty(n), np.empty(n)
    floor = 1e-10
    kernels.cox_model(
        order, group, h_s, ev_h_s, hd, a_s, risk, floor, g, w, r0,
        np.empty(first.size), np.empty(first.size),
    )  # fmt: skip
    np.testing.assert_allclose(g, cox.gradient(target, eta, h), rtol=1e-11, atol=1e-17)
    weights, residual = cox.newton_model(target, eta, h, floor)
    np.testing.assert_allclose(w, weights, rtol=1e-10, atol=1e-17)
    np.testing.assert_allclose(r0, residual, rtol=1e-9, atol=1e-12)


def _problem(X, y, h, **options):
    return make_problem(
        X,
        Cox().check_target(y),
        loss=Cox(),
        h=h,
        penalty_weights=options.get("penalty_weights", np.ones(X.shape[1])),
        l1_ratio=options.get("l1_ratio", 1.0),
        positive=options.get("positive", False),
        fit_intercept=False,
        offset=options.get("offset"),
    )


def _quiet(*args):
    return None


@pytest.mark.parametrize("l1_ratio", [1.0, 0.5])
@pytest.mark.parametrize("positive", [False, True])
def test_equals_python_path(l1_ratio, positive):
    """Weights (some zero), an offset, unpenalized features, ties: the compiled path and
    the Python solver (kept by a progress callback) give the same path."""
    X, y = _ties_data()
    rng = np.random.default_rng(1)
    n, p = X.shape
    w = rng.uniform(0.2, 2.0, n)
    w[:5] = 0.0
    options = dict(
        penalty_weights=np.r_[0.0, rng.uniform(0.5, 2.0, p - 1)],
        l1_ratio=l1_ratio,
        positive=positive,
        offset=rng.normal(0, 0.3, n),
    )
    h = w / w.sum()
    problem = _problem(X, y, h, **options)
    assert glm_path_applies(problem)
    grid = alpha_grid(problem.alpha_max, 25, 1e-3)
    compiled = solve_path(problem, grid, 1e-9, 10_000)
    python = solve_path(_problem(X, y, h, **options), grid, 1e-9, 10_000, progress=_quiet)
    assert compiled.converged.all() and python.converged.all()
    np.testing.assert_allclose(compiled.coefs, python.coefs, atol=1e-7)
    assert np.all(compiled.intercepts == 0)
    if positive:
        assert (compiled.coefs[1:] >= 0).all()


def test_kkt_at_every_alpha():
    X, y = _ties_data()
    n, p = X.shape
    h = np.full(n, 1.0 / n)
    problem = _problem(X, y, h, l1_ratio=0.8)
    grid = alpha_grid(problem.alpha_max, 30, 1e-3)
    tol = 1e-8
    path = solve_path(problem, grid, tol, 10_000)
    cox = Cox()
    target = cox.check_target(y)
    for k, alpha in enumerate(grid):
        coef = path.coefs[:, k]
        gradient = -X.T @ cox.gradient(target, X @ coef, h)
        l1, l2 = penalty_strengths(alpha, 0.8, np.ones(p))
        assert kkt_violation(gradient, coef, l1, l2, False).max() <= problem.absolute_tol(tol)
        assert path.duality_gaps[k] <= problem.absolute_tol(tol)


def test_a_wide_spread_of_eta_hands_over_to_the_python_solver(monkeypatch):
    """Past the linear range of η the kernel stops; the rest of the path is solved in
    log space by GLMProblem, and the whole path is unchanged."""
    X, y = _ties_data()
    h = np.full(len(y), 1.0 / len(y))
    problem = _problem(X, y, h)
    grid = alpha_grid(problem.alpha_max, 20, 1e-2)
    reference = solve_path(_problem(X, y, h), grid, 1e-9, 10_000, progress=_quiet)
    monkeypatch.setattr(cox_module, "_LINEAR_SPREAD", 1.5)  # reached mid-path
    spreads = [np.ptp(X @ reference.coefs[:, k]) for k in range(grid.size)]
    assert spreads[0] < 1.5 < spreads[-1]
    handed_over = solve_path(problem, grid, 1e-9, 10_000)
    assert handed_over.converged.all()
    np.testing.assert_allclose(handed_over.coefs, reference.coefs, atol=1e-7)
