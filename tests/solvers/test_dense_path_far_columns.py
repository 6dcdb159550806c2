"""The KKT passes of ``dense_path`` skip the columns a Cauchy–Schwarz bound keeps below
their l1 bound (``_mark_far_columns``): the bound against gradients from scratch, and
long wide paths (where most KKT passes skip columns) against the KKT conditions and a
duality gap computed from scratch with NumPy."""

import numpy as np
import pytest

from shrinkage import regularization_path
from shrinkage.solvers._dense_kkt import _mark_far_columns, _residual_move


def _ar1(rng, n, p, rho):
    X = rng.standard_normal((n, p))
    for j in range(1, p):
        X[:, j] = rho * X[:, j - 1] + np.sqrt(1 - rho**2) * X[:, j]
    return X


def _scratch_gradient(X, h, r):
    Xc = X - h @ X
    return Xc.T @ (h * r)


def test_columns_marked_far_are_below_their_bound_after_several_moves(rng):
    """A column left out by the bound (its gradient read residuals ago) satisfies
    ``|∇_j(r)| < l1_j`` at the current residual, from scratch; the columns read get
    ``read_at = drift``."""
    n, p = 30, 400
    X = _ar1(rng, n, p, 0.5)
    h = rng.uniform(0.5, 1.5, n)
    h /= h.sum()
    Xc = X - h @ X
    root_lipschitz = np.sqrt(h @ Xc**2)
    r = rng.standard_normal(n)
    last_r = r.copy()
    gradient = _scratch_gradient(X, h, r)
    l1 = np.full(p, 0.6 * np.max(np.abs(gradient)))
    read_at = np.zeros(p)
    drift = 0.0
    coef = np.zeros(p)
    given = np.zeros(p, dtype=bool)
    given[:5] = True
    coef[7] = 0.3  # a non-zero is always read
    known = np.zeros(p, dtype=bool)
    n_skipped = 0
    for _ in range(6):
        r = r + 0.02 * rng.standard_normal(n)  # small moves: the bound leaves columns out
        drift += _residual_move(h, r, last_r)
        np.testing.assert_array_equal(last_r, r)
        n_skipped += _mark_far_columns(
            gradient, root_lipschitz, read_at, drift, np.sqrt(h @ r**2), l1, coef, given, known
        )
        exact = _scratch_gradient(X, h, r)
        far = known & ~given
        assert np.all(np.abs(exact[far]) < l1[far])
        assert known[:5].all() and not known[7]
        assert np.all(read_at[~far] == drift)
        gradient[~far] = exact[~far]  # what the caller reads
    assert n_skipped > p  # the bound did leave columns out


@pytest.mark.parametrize("l1_ratio", [1.0, 0.5])
@pytest.mark.parametrize("n_alphas, rho", [(100, 0.6), (8, 0.9)])
def test_wide_paths_keep_kkt_and_true_gaps(rng, l1_ratio, n_alphas, rho):
    """Wide AR(1) designs: every alpha satisfies its KKT conditions, and the reported
    gap is the duality gap at the dual point ``r`` (scaled for the lasso) computed from
    scratch, all columns read: a skipped violator would be missing from the reported
    one. 100 alphas: most KKT passes leave columns out; 8 alphas of a strongly
    correlated design: the strong rule misses features, found by those passes."""
    n, p = 60, 900
    X = _ar1(rng, n, p, rho)
    truth = np.zeros(p)
    truth[rng.choice(p, 20, replace=False)] = rng.uniform(-2, 2, 20)
    y = X @ truth + 0.5 * rng.standard_normal(n)
    result = regularization_path(X, y, l1_ratio=l1_ratio, alphas=n_alphas, eps=1e-3, tol=1e-6)
    assert result.converged.all()
    Xc, yc = X - X.mean(0), y - y.mean()
    for k, alpha in enumerate(result.alphas):
        coef = result.coefs[:, k]
        r = yc - Xc @ coef
        grad = Xc.T @ r / n
        l1, l2 = alpha * l1_ratio, alpha * (1 - l1_ratio)
        # KKT (independent of the solver)
        zero = coef == 0
        assert np.all(np.abs(grad[zero]) <= l1 * (1 + 1e-6) + 1e-9)
        primal = 0.5 * r @ r / n + l1 * np.abs(coef).sum() + 0.5 * l2 * coef @ coef
        if l2 == 0.0:
            theta = r * min(1.0, l1 / np.max(np.abs(grad)))
            conjugate = 0.0
        else:
            theta = r
            conjugate = np.sum(np.maximum(np.abs(grad) - l1, 0.0) ** 2) / (2 * l2)
        dual = 0.5 * yc @ yc / n - 0.5 * np.sum((yc - theta) ** 2) / n - conjugate
        scratch_gap = primal - dual
        scale = np.mean(yc**2)
        assert result.duality_gaps[k] == pytest.approx(scratch_gap, rel=1e-6, abs=1e-13 * scale)
        assert result.duality_gaps[k] <= 1e-6 * scale
