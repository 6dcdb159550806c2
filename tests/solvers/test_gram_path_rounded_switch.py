"""Float64 Gram paths that switch their sweeps to a float32 copy of ``G`` mid-path.

With ``rounded_after`` > 0, :func:`gram_path` receives an *unfilled* float32 buffer and
sweeps on the float64 ``G`` until its descent work passes ``rounded_after``; then it
fills the buffer with ``G`` rounded to float32 and sweeps on that, its KKT checks and
gaps still on ``G``. These tests hold it to that: the buffer is never read before the
switch (a NaN-filled one changes nothing), the switch fills it with ``G`` rounded, and
the switched path's gaps bound its distance to scikit-learn's tightly solved path.
"""

import numpy as np
import pytest
from sklearn.linear_model import enet_path

from shrinkage import regularization_path
from shrinkage.solvers import constants
from shrinkage.solvers._gram_path import gram_path
from shrinkage.solvers.constants import ACTIVE_SWEEPS, ANDERSON_DEPTH, SWEEP_THRESHOLD_FLOOR

from .float32_data import ar1_float32


def _gram_problem(rng, n=400, p=120, rho=0.8):
    X, y = ar1_float32(rng, n, p, rho=rho)
    Xc = X.astype(np.float64)
    Xc -= Xc.mean(axis=0)
    Xc += 1e-3 * rng.standard_normal(Xc.shape)  # float64 numbers, not float32 ones
    yc = y - y.mean()
    gram = np.asfortranarray(Xc.T @ Xc / n)
    return Xc, yc, gram, Xc.T @ yc / n, yc @ yc / n


def _run(gram, q, target_norm2, alphas, l1_ratio, tol_abs, sweep_gram, rounded_after):
    p = q.size
    coefs = np.zeros((alphas.size, p))
    gaps, n_iters = np.zeros(alphas.size), np.zeros(alphas.size, dtype=np.int64)
    converged = np.zeros(alphas.size, dtype=bool)
    ones = np.ones(p)
    gram_path(
        gram, q, target_norm2, np.diag(gram).copy(), np.zeros(p), alphas, alphas[0],
        l1_ratio, ones, -np.inf * ones, np.inf * ones, tol_abs, 100_000,
        ACTIVE_SWEEPS, ANDERSON_DEPTH, SWEEP_THRESHOLD_FLOOR, coefs, gaps, n_iters,
        converged, 1e-10, True, sweep_gram, rounded_after,
    )  # fmt: skip
    return coefs, gaps, n_iters, converged


@pytest.mark.parametrize("l1_ratio", [1.0, 0.5])
def test_buffer_is_unread_before_the_switch_and_filled_at_it(rng, l1_ratio):
    _, _, gram, q, target_norm2 = _gram_problem(rng)
    alphas = np.max(np.abs(q)) / l1_ratio * np.geomspace(1, 1e-3, 30)
    tol_abs = 1e-10 * target_norm2
    p = q.size
    never = np.full((p, p), np.nan, dtype=np.float32, order="F")
    zeros = np.zeros((p, p), dtype=np.float32, order="F")
    unswitched = _run(gram, q, target_norm2, alphas, l1_ratio, tol_abs, never, 1e300)
    # Whatever the buffer holds, it is never read before the switch: the same path to
    # the last bit, and the NaNs are still there.
    again = _run(gram, q, target_norm2, alphas, l1_ratio, tol_abs, zeros, 1e300)
    for a, b in zip(unswitched, again, strict=True):
        np.testing.assert_array_equal(a, b)
    assert np.isnan(never).all()
    assert unswitched[3].all() and np.all(unswitched[1] <= tol_abs)
    # A switch after the first round's work: the buffer then holds G rounded.
    buffer = np.full((p, p), np.nan, dtype=np.float32, order="F")
    coefs, gaps, _, converged = _run(gram, q, target_norm2, alphas, l1_ratio, tol_abs, buffer, 1.0)
    np.testing.assert_array_equal(buffer, gram.astype(np.float32))
    assert converged.all() and np.all(gaps <= tol_abs)
    assert not np.array_equal(coefs, unswitched[0])  # the rounded sweeps did run


@pytest.mark.parametrize("l1_ratio", [1.0, 0.5])
@pytest.mark.parametrize("tol", [1e-4, 1e-9])
def test_switched_public_path_is_certified_against_scikit_learn(rng, monkeypatch, l1_ratio, tol):
    """``regularization_path`` on float64 data with p ≥ ROUNDED_SWEEPS_MIN_FEATURES, its
    switch forced early (and never): both runs' gaps bound their distance to
    scikit-learn's path solved to 1e-13, which the two agree with to the tolerance."""
    n, p = 700, 320
    X, y = ar1_float32(rng, n, p, rho=0.9)
    X = X.astype(np.float64) + 1e-3 * rng.standard_normal((n, p))
    assert p >= constants.ROUNDED_SWEEPS_MIN_FEATURES
    yc = y - y.mean()
    Xc = X - X.mean(axis=0)
    tol_abs = tol * (yc @ yc) / n
    runs = {}
    for after in (1e-12, 1e300):  # switch at the first round / never
        monkeypatch.setattr(constants, "ROUNDED_SWEEPS_AFTER", after)
        runs[after] = regularization_path(X, y, l1_ratio=l1_ratio, alphas=40, tol=tol)
    alphas = runs[1e300].alphas
    _, reference, _ = enet_path(Xc, yc, l1_ratio=l1_ratio, alphas=alphas, tol=1e-13,
                                max_iter=1_000_000, precompute=True)  # fmt: skip

    def objective(coef, alpha):
        r = yc - Xc @ coef
        return (0.5 * (r @ r) / n + alpha * l1_ratio * np.abs(coef).sum()
                + 0.5 * alpha * (1 - l1_ratio) * coef @ coef)  # fmt: skip

    slack = 1e-11 * (yc @ yc) / n
    switched = runs[1e-12]
    assert switched.converged.all() and runs[1e300].converged.all()
    assert np.all(switched.duality_gaps <= tol_abs * (1 + 1e-9))
    assert not np.array_equal(switched.coefs, runs[1e300].coefs)
    for k, alpha in enumerate(alphas):
        best = objective(reference[:, k], alpha)
        for run in runs.values():
            value = objective(run.coefs[:, k], alpha)
            assert value - best <= run.duality_gaps[k] + slack
    np.testing.assert_allclose(
        switched.intercepts, y.mean() - X.mean(axis=0) @ switched.coefs, atol=1e-8
    )


@pytest.mark.parametrize("p", [3, 8, 13, 50, 303])
@pytest.mark.parametrize("density", [0.2, 0.6, 0.97, 1.0])
def test_exact_gradient_is_q_minus_g_beta(rng, p, density):
    """The checks' gradient, by columns (few non-zeros) or from the upper triangle four
    columns at a time (every remainder of p mod 4, runs of four zeros among non-zeros):
    ``q − Gβ`` as NumPy computes it, whatever the lower triangle holds."""
    from shrinkage.solvers._gram_path import _exact_gradient

    A = rng.standard_normal((p + 7, p))
    gram = np.asfortranarray(A.T @ A)
    q = rng.standard_normal(p)
    coef = np.where(rng.random(p) < density, rng.standard_normal(p), 0.0)
    coef[4:8] = 0.0  # a whole block of four without a non-zero
    expected = q - gram @ coef
    if np.count_nonzero(coef) >= 0.5 * p:
        gram[np.tril_indices(p, -1)] = np.nan  # the symmetric route reads no other
    gradient = np.full(p, np.nan)
    _exact_gradient(gram, q, coef, gradient)
    np.testing.assert_allclose(gradient, expected, rtol=1e-12, atol=1e-12 * np.abs(expected).max())
