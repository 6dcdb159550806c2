"""The Gram matrix of dense data, made by float64 row blocks.

:func:`shrinkage.solvers._designs.raw_moments` reads ``X`` by blocks of rows (those of a
float64 Fortran-ordered ``X`` in place, any other copied, float32 widened, into one
float64 buffer) and accumulates ``BᵀB`` (upper triangle), ``Bᵀz`` and ``Bᵀh``; the
Gram path then never copies ``X`` (neither to float64 nor to Fortran order). Checked here
against NumPy's float64 product of the widened ``X`` (every product of two float32
numbers is exact in float64, so the two differ only by the float64 rounding of the sums,
bounded elementwise), against exactly centred float64 moments, across layouts (the same
numbers for C and Fortran order), and on a whole path against scikit-learn in float64
with a duality gap computed here from the data.
"""

import numpy as np
import pytest
from sklearn.linear_model import enet_path

from shrinkage import regularization_path
from shrinkage.linear_model import Lasso
from shrinkage.solvers import _designs
from shrinkage.solvers._designs import (
    _add_block_gram,
    _float64_row_blocks,
    full_gram,
    raw_moments,
)
from shrinkage.solvers.problems import LeastSquaresProblem

EPS64 = np.finfo(np.float64).eps


def _float32_design(rng, n, p, shift=0.0):
    X = rng.standard_normal((n, p)) * rng.uniform(0.5, 3.0, p) + shift
    return X.astype(np.float32)


def _summation_bound(A, B):
    """Elementwise bound on the float64 rounding of ``AᵀB`` summed in any order, exact
    products: ``(n − 1)·u·|A|ᵀ|B|`` to first order (doubled for the second)."""
    return 2 * A.shape[0] * EPS64 * (np.abs(A).T @ np.abs(B))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("order", ["C", "F"])
@pytest.mark.parametrize("block_rows", [1, 7, 64, 203, 10_000, None])
def test_raw_moments_equal_float64_product(rng, dtype, order, block_rows):
    """Blocks of float32 rows (widened) or float64 rows (a Fortran-ordered ``X``'s read
    in place, a C-ordered one's copied) against NumPy's float64 products."""
    n, p = 203, 37  # n is no multiple of 7 or 64
    X = np.asarray(_float32_design(rng, n, p, shift=2.0).astype(dtype), order=order)
    z = rng.standard_normal(n)
    Xd = X.astype(np.float64)
    moments = raw_moments(X, z, np.full(n, 1.0 / n), block_rows)
    upper = np.triu(np.ones((p, p), dtype=bool))
    reference = Xd.T @ Xd
    gap = np.abs(moments.upper_gram - reference)[upper]
    assert np.all(gap <= _summation_bound(Xd, Xd)[upper])
    assert np.all(np.abs(moments.xt_target - Xd.T @ z) <= _summation_bound(Xd, z[:, None])[:, 0])
    assert np.all(np.abs(moments.xt_weights - Xd.T @ np.full(n, 1.0 / n))
                  <= _summation_bound(Xd, np.full((n, 1), 1.0 / n))[:, 0])
    assert moments.upper_gram.flags.f_contiguous


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_raw_moments_with_unequal_weights_skip_the_gram(rng, dtype):
    """Unequal weights: ``Xᵀz`` and ``Xᵀh`` only (the Gram matrix comes from centred
    blocks), the same for both layouts."""
    n, p = 300, 9
    X = _float32_design(rng, n, p, shift=1.0).astype(dtype)
    z, h = rng.standard_normal(n), rng.uniform(0.1, 1.0, n)
    Xd = X.astype(np.float64)
    results = [raw_moments(np.asarray(X, order=order), z, h, 64) for order in "CF"]
    for moments in results:
        assert moments.upper_gram is None
        assert np.all(np.abs(moments.xt_weights - Xd.T @ h)
                      <= _summation_bound(Xd, h[:, None])[:, 0])
    assert np.array_equal(results[0].xt_weights, results[1].xt_weights)
    assert np.array_equal(results[0].xt_target, results[1].xt_target)


def test_raw_moments_without_weights(rng):
    X = _float32_design(rng, 50, 4)
    moments = raw_moments(X, np.ones(50))
    assert moments.xt_weights is None
    np.testing.assert_allclose(moments.xt_target, X.astype(np.float64).sum(axis=0), rtol=1e-13)


def _centred_reference(X, h, z):
    """``(X − μ)ᵀH(X − μ)`` and ``(X − μ)ᵀHz`` from the float64 data, centred first."""
    Xd = X.astype(np.float64)
    centred = Xd - h @ Xd
    return centred.T @ (h[:, None] * centred), centred.T @ (h * z)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("order", ["C", "F"])
@pytest.mark.parametrize(
    "shift, weighted",
    [(0.0, False), (3.0, False), (1e4, False), (3.0, True)],
    ids=["centred", "uncentred", "huge-means", "weighted"],
)
def test_full_gram_matches_centred_float64(rng, dtype, order, shift, weighted):
    """Equal weights with moderate means: uncentred moments minus ``μμᵀ``; huge means
    (the subtraction would cancel) or unequal weights: centred blocks. Either way
    accurate to 1e-10 of the centred moments, exactly symmetric, Fortran-ordered."""
    n, p = 1001, 23
    X = np.asarray(_float32_design(rng, n, p, shift).astype(dtype), order=order)
    h = rng.uniform(0.2, 1.0, n) if weighted else np.ones(n)
    h /= h.sum()
    y = rng.standard_normal(n)
    z = y - h @ y
    mu = h @ X.astype(np.float64)
    gram, q = full_gram(X, h, mu, z)
    reference, reference_q = _centred_reference(X, h, z)
    scale = np.sqrt(np.outer(np.diag(reference), np.diag(reference)))
    assert np.all(np.abs(gram - reference) <= 1e-10 * scale)
    atol_q = 1e-10 * np.sqrt(np.diag(reference)).max()
    np.testing.assert_allclose(q, reference_q, rtol=0, atol=atol_q)
    assert np.array_equal(gram, gram.T)
    assert gram.flags.f_contiguous


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("weighted", [False, True])
def test_layouts_give_the_same_numbers(rng, dtype, weighted):
    """C- and Fortran-ordered data give the same Gram matrix, means, path and single fit
    (``precompute=True``) to the last bit: the row blocks are laid out one way. ``X``
    is large enough to be read in several blocks, the last one shorter."""
    n, p = 40_000, 60
    assert n * p > _designs._ONE_BLOCK_CELLS and n % _designs.rows_per_block(n, p) != 0
    X = _float32_design(rng, n, p, shift=1.0).astype(dtype)
    y = rng.standard_normal(n)
    h = rng.uniform(0.5, 1.0, n) if weighted else np.ones(n)
    h /= h.sum()
    problems = [
        LeastSquaresProblem(np.asarray(X, order=order), y, h, np.ones(p), precompute="path")
        for order in "CF"
    ]
    for name in ("gram", "q", "lipschitz"):
        assert np.array_equal(getattr(problems[0].design, name), getattr(problems[1].design, name))
    assert np.array_equal(problems[0].mu, problems[1].mu)
    weights = None if not weighted else h * n
    paths = [
        regularization_path(np.asarray(X, order=order), y, l1_ratio=0.5, alphas=20,
                            sample_weight=weights)
        for order in "CF"
    ]
    assert np.array_equal(paths[0].coefs, paths[1].coefs)
    assert np.array_equal(paths[0].duality_gaps, paths[1].duality_gaps)
    fits = [
        Lasso(alpha=paths[0].alphas[10], precompute=True).fit(
            np.asarray(X, order=order), y, sample_weight=weights
        )
        for order in "CF"
    ]
    assert np.array_equal(fits[0].coef_, fits[1].coef_)
    assert fits[0].intercept_ == fits[1].intercept_


def test_float64_fortran_blocks_are_read_in_place(rng):
    """A float64 Fortran-ordered ``X``'s blocks are views of ``X`` (no copy), a C-ordered
    one's copies; BLAS gives the same sums from either (it packs its operands)."""
    X = np.asfortranarray(rng.standard_normal((1000, 30)))
    blocks = list(_float64_row_blocks(X, 300))
    assert all(np.shares_memory(block, X) for _, block in blocks)
    assert [rows.stop for rows, _ in blocks] == [300, 600, 900, 1000]
    copied = next(_float64_row_blocks(np.ascontiguousarray(X), 300))[1]
    assert not np.shares_memory(copied, X) and copied.flags.f_contiguous
    for _, block in blocks:
        views, copies = np.zeros((30, 30), order="F"), np.zeros((30, 30), order="F")
        _add_block_gram(views, block)
        _add_block_gram(copies, np.asfortranarray(block))
        assert np.array_equal(views, copies)
        reference = block.T @ block
        upper = np.triu(np.ones((30, 30), dtype=bool))
        assert np.all(np.abs(views - reference)[upper]
                      <= _summation_bound(block, block)[upper])


def _enet_gap(X, y, coef, l1, l2):
    """Duality gap and objective of ``½‖yc − Xcβ‖²/n + l1‖β‖₁ + ½ l2‖β‖²`` at ``coef``
    from the float64 data: scikit-learn's ``enet_coordinate_descent`` gap (the residual
    rescaled into the dual feasible set) of the problem times ``n``, divided by ``n``."""
    n = y.size
    Xc = X - X.mean(axis=0)
    yc = y - y.mean()
    r = yc - Xc @ coef
    alpha, beta = n * l1, n * l2
    dual_norm = np.abs(Xc.T @ r - beta * coef).max()
    const = alpha / dual_norm if dual_norm > alpha else 1.0
    gap = (0.5 * (r @ r) * (1 + const**2) + alpha * np.abs(coef).sum() - const * (r @ yc)
           + 0.5 * beta * (1 + const**2) * (coef @ coef))
    objective = 0.5 * (r @ r) / n + l1 * np.abs(coef).sum() + 0.5 * l2 * (coef @ coef)
    return gap / n, objective


@pytest.mark.parametrize("l1_ratio", [0.5, 1.0])
def test_float32_path_matches_sklearn_float64_with_true_gaps(rng, l1_ratio):
    """A float32 n > p path (the widened Gram route) against scikit-learn solving the same
    numbers in float64 to 1e-12: the reported gaps meet the tolerance and bound the
    distance to scikit-learn's objective; gaps recomputed here from the data agree."""
    n, p, tol = 1500, 120, 1e-6
    X32 = _float32_design(rng, n, p, shift=0.5)
    coef = np.zeros(p)
    coef[:12] = rng.standard_normal(12) * 2
    X64 = X32.astype(np.float64)
    y = X64 @ coef + rng.standard_normal(n)
    yc = y - y.mean()
    tol_abs = tol * (yc @ yc) / n
    ours = regularization_path(X32, y, l1_ratio=l1_ratio, alphas=30, eps=1e-3, tol=tol)
    _, reference, _ = enet_path(X64 - X64.mean(axis=0), yc, l1_ratio=l1_ratio,
                                alphas=ours.alphas, tol=1e-12, max_iter=100_000)
    assert ours.converged.all()
    assert np.all(ours.duality_gaps <= tol_abs)
    slack = 1e-12 * (yc @ yc) / n
    for k, alpha in enumerate(ours.alphas):
        l1, l2 = alpha * l1_ratio, alpha * (1 - l1_ratio)
        gap, objective = _enet_gap(X64, y, ours.coefs[:, k], l1, l2)
        _, best = _enet_gap(X64, y, reference[:, k], l1, l2)
        assert objective - best <= ours.duality_gaps[k] + slack
        assert -slack <= gap <= 10 * tol_abs
        np.testing.assert_allclose(ours.coefs[:, k], reference[:, k],
                                   atol=1e-2 * np.abs(reference[:, k]).max() + 1e-8)


def test_gram_without_scipys_exported_dsyrk(rng, monkeypatch):
    """Where SciPy does not export ``dsyrk`` to Cython (``_DSYRK`` is None), the blocks
    are copies for every layout and SciPy's Python ``dsyrk`` accumulates them: the same
    moments as NumPy's product within the rounding bound, and still the same bits for C
    and Fortran input, several blocks with a short last one."""
    monkeypatch.setattr(_designs, "_DSYRK", None)
    X = rng.standard_normal((1000, 30)) * rng.uniform(0.5, 3.0, 30) + 1.0
    z = rng.standard_normal(1000)
    blocks = list(_float64_row_blocks(np.asfortranarray(X), 300))
    assert not any(np.shares_memory(block, X) for _, block in blocks)
    moments = [raw_moments(np.asarray(X, order=order), z, block_rows=300) for order in "CF"]
    assert np.array_equal(moments[0].upper_gram, moments[1].upper_gram)
    assert np.array_equal(moments[0].xt_target, moments[1].xt_target)
    upper = np.triu(np.ones((30, 30), dtype=bool))
    error = np.abs(moments[0].upper_gram - X.T @ X)[upper]
    assert np.all(error <= _summation_bound(X, X)[upper])
    assert np.allclose(moments[0].xt_target, X.T @ z, rtol=1e-13, atol=0)
    for block in (np.asfortranarray(X[:300]), np.ascontiguousarray(X[:300])):  # 'T', 'N'
        gram = np.zeros((30, 30), order="F")
        _add_block_gram(gram, block)
        error = np.abs(gram - X[:300].T @ X[:300])[upper]
        assert np.all(error <= _summation_bound(X[:300], X[:300])[upper])
