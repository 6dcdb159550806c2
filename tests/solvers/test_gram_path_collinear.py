"""Gram paths on exactly collinear designs: one-hot groups with an intercept.

Each row has a single 1 in every group of one-hot columns, so once centred the group's
columns sum to zero: ``G`` has a null direction, and on a support that holds a whole
group with as many positive as negative coefficients the lasso objective is flat along
it. ``G`` rounded to float32 (the sweeps' copy of a float64 ``G``) tilts that direction,
and coordinate descent on the copy creeps along it at a constant change per round,
never settling (scikit-learn's update test never passes, so no gap was ever checked:
20000 rounds at an alpha before :data:`STALLED_ROUNDS`). These tests hold the path to
converging there, with gaps that bound its distance to scikit-learn's solutions.
"""

import numpy as np
import pytest
from conftest import one_hot_design
from sklearn.linear_model import lasso_path

from shrinkage.solvers._gram_path import STALLED_ROUNDS, gram_path
from shrinkage.solvers.constants import ACTIVE_SWEEPS, ANDERSON_DEPTH, SWEEP_THRESHOLD_FLOOR


def _weighted_moments(X, y, w):
    """``G``, ``q`` and ``Σh z²`` of the weighted, centred problem (h = w / Σw)."""
    h = w / w.sum()
    Xc, yc = X - h @ X, y - h @ y
    gram = np.asfortranarray((Xc * h[:, None]).T @ Xc)
    return gram, Xc.T @ (h * yc), yc @ (h * yc), Xc, yc, h


@pytest.mark.parametrize(
    ("seed", "n", "groups", "extra"), [(0, 300, 30, 100), (1, 200, 30, 60), (3, 400, 40, 150)]
)
def test_rounded_sweeps_converge_on_one_hot_groups(seed, n, groups, extra):
    rng = np.random.default_rng(seed)
    X, y = one_hot_design(rng, n, groups, extra)
    w = rng.uniform(0.2, 3.0, n)
    gram, q, target_norm2, Xc, yc, h = _weighted_moments(X, y, w)
    p = q.size
    alphas = np.max(np.abs(q)) * np.geomspace(1, 1e-2, 30)
    tol_abs = 1e-8 * target_norm2
    coefs = np.zeros((alphas.size, p))
    gaps, n_iters = np.zeros(alphas.size), np.zeros(alphas.size, dtype=np.int64)
    converged = np.zeros(alphas.size, dtype=bool)
    ones = np.ones(p)
    max_iter = 20_000
    gram_path(
        gram, q, target_norm2, np.diag(gram).copy(), np.zeros(p), alphas, alphas[0], 1.0,
        ones, -np.inf * ones, np.inf * ones, tol_abs, max_iter, ACTIVE_SWEEPS, ANDERSON_DEPTH,
        SWEEP_THRESHOLD_FLOOR, coefs, gaps, n_iters, converged, 1e-8, True,
        np.asfortranarray(gram, dtype=np.float32), 0.0,
    )  # fmt: skip
    assert converged.all() and np.all(gaps <= tol_abs)
    # Without the stalled-round check some alpha ran to max_iter; with it, a few
    # checks past STALLED_ROUNDS at most.
    assert n_iters.max() < 10 * STALLED_ROUNDS
    # The gaps are certificates: scikit-learn's path of the same problem (rows scaled
    # by √(n h)), solved far tighter, is no better than ours by more than our gap.
    scale = np.sqrt(n * h)
    Xs, ys = Xc * scale[:, None], yc * scale
    _, ref_coefs, _ = lasso_path(Xs, ys, alphas=alphas, tol=1e-12, max_iter=10**6)

    def objective(beta, alpha):
        r = ys - Xs @ beta
        return r @ r / (2 * n) + alpha * np.abs(beta).sum()

    ours = np.array([objective(c, a) for c, a in zip(coefs, alphas, strict=True)])
    ref = np.array([objective(c, a) for c, a in zip(ref_coefs.T, alphas, strict=True)])
    assert np.all(ours - ref <= gaps + 1e-12 * target_norm2)
    assert np.all(ref - ours <= 1e-10 * target_norm2)  # (and ours is a lasso solution)
