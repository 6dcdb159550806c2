"""The blocked Fortran copy (:mod:`shrinkage.solvers._layout`) against NumPy's."""

import numpy as np
import pytest

from shrinkage.solvers._layout import MAX_ROW_RUNS, ROW_BLOCK, fortran_copy, fortran_rows


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.int64])
@pytest.mark.parametrize(
    "n_rows", [1, ROW_BLOCK - 1, ROW_BLOCK, ROW_BLOCK + 1, 3 * ROW_BLOCK + 17]
)
def test_copy_equals_numpy_fortran_array(dtype, n_rows):
    X = np.random.default_rng(n_rows).normal(size=(n_rows, 37)).astype(dtype)
    out = fortran_copy(X)
    assert out.flags.f_contiguous and out.dtype == X.dtype and out.shape == X.shape
    np.testing.assert_array_equal(out, np.asfortranarray(X))
    assert X.flags.f_contiguous or not np.shares_memory(out, X)


@pytest.mark.parametrize(
    "rows",
    [
        np.arange(20, 97),  # one run (a KFold's first training set)
        np.r_[0:30, 55:97],  # two runs (a middle fold's)
        np.r_[5, 7, 9, 10, 11, 50],  # runs of one and three
        np.arange(0, 97, 2)[: MAX_ROW_RUNS + 3],  # too many runs: NumPy's gather
        np.array([3, 2, 1]),  # decreasing
        np.array([], dtype=np.int64),
    ],
)
@pytest.mark.parametrize("order", ["F", "C"])
def test_fortran_rows_equals_numpy_fancy_indexing(rows, order):
    X = np.asarray(np.random.default_rng(1).normal(size=(97, 13)), order=order)
    out = fortran_rows(X, rows)
    np.testing.assert_array_equal(out, X[rows])
    assert out.dtype == X.dtype and out.shape == (rows.size, 13)
    assert not np.shares_memory(out, X)
    if order == "F" and 0 < rows.size and np.count_nonzero(np.diff(rows) != 1) < MAX_ROW_RUNS:
        assert out.flags.f_contiguous


def test_fortran_input_is_returned_as_is():
    X = np.asfortranarray(np.arange(2 * ROW_BLOCK * 3.0).reshape(-1, 3))
    assert fortran_copy(X) is X


def test_strided_views_and_lists():
    base = np.random.default_rng(0).normal(size=(3 * ROW_BLOCK, 40))
    view = base[::2, 1::3]  # neither C- nor Fortran-contiguous
    np.testing.assert_array_equal(fortran_copy(view), view)
    assert fortran_copy(view).flags.f_contiguous
    rows = [[1.0, 2.0], [3.0, 4.0]]
    np.testing.assert_array_equal(fortran_copy(rows), np.array(rows))


def test_single_fit_on_c_and_fortran_input_is_identical():
    # The residual route (n <= 2p) copies C-ordered X to Fortran order: it sees the same
    # numbers in the same layout, so the fit is the same to the last bit.
    from shrinkage import Lasso

    rng = np.random.default_rng(5)
    X = rng.normal(size=(3 * ROW_BLOCK + 5, 500))
    y = X[:, :10] @ rng.normal(size=10) + rng.normal(size=X.shape[0])
    c = Lasso(alpha=0.05).fit(X, y)
    f = Lasso(alpha=0.05).fit(np.asfortranarray(X), y)
    np.testing.assert_array_equal(c.coef_, f.coef_)
    assert c.intercept_ == f.intercept_
