"""The sparse design leaves the caller's matrix as given (no in-place index sort)."""

import numpy as np
import scipy.sparse as sp

from shrinkage.solvers._designs import SparseDesign


def _unsorted_csc(rng):
    dense = rng.standard_normal((30, 6)) * (rng.random((30, 6)) < 0.4)
    X = sp.csc_matrix(dense)
    # Reverse the row indices inside each column: same matrix, unsorted indices.
    for j in range(X.shape[1]):
        lo, hi = X.indptr[j], X.indptr[j + 1]
        X.indices[lo:hi] = X.indices[lo:hi][::-1].copy()
        X.data[lo:hi] = X.data[lo:hi][::-1].copy()
    X.has_sorted_indices = False
    return X, dense


def test_unsorted_csc_is_not_modified_and_gives_the_sorted_moments():
    rng = np.random.default_rng(0)
    X, dense = _unsorted_csc(rng)
    indices_before, data_before = X.indices.copy(), X.data.copy()
    h = rng.random(30) + 0.5
    mu = (h @ dense) / h.sum()
    design = SparseDesign(X, h, mu, rng.standard_normal(30))

    np.testing.assert_array_equal(X.indices, indices_before)
    np.testing.assert_array_equal(X.data, data_before)
    assert not X.has_sorted_indices
    np.testing.assert_allclose(design.X.toarray(), dense)
    np.testing.assert_allclose(design.hx, h @ dense, rtol=1e-12)
