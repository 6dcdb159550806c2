"""The in-place double projection Ridge centres its design with, against NumPy."""

import numpy as np
import pytest

from shrinkage.solvers._centring import project_out_twice_


@pytest.mark.parametrize("order", ["C", "F"])
@pytest.mark.parametrize("shape", [(7, 3), (200, 31), (3, 40)])
@pytest.mark.parametrize("weighted", [False, True])
def test_projects_out_q_twice_in_place(order, shape, weighted):
    """Columns with offsets of 1e6: the result is orthogonal to q to rounding of the
    spread, not of the offset, and equals NumPy's (I − qqᵀ)² A."""
    rng = np.random.default_rng(sum(shape))
    n = shape[0]
    X = np.asarray(rng.standard_normal(shape) * 3 + 1e6, order=order)
    w = rng.uniform(0.1, 3.0, n) if weighted else np.ones(n)
    q = np.sqrt(w) / np.linalg.norm(np.sqrt(w))
    expected = X - np.outer(q, q @ X)
    expected -= np.outer(q, q @ expected)
    A = X.copy(order=order)
    assert project_out_twice_(A, q)
    np.testing.assert_allclose(A, expected, rtol=0, atol=1e-9 * np.abs(expected).max())
    assert np.abs(q @ A).max() <= 1e-12 * np.linalg.norm(A, axis=0).max()


def test_other_layouts_are_left_to_the_caller():
    q = np.full(6, 1 / np.sqrt(6))
    X = np.arange(36.0).reshape(6, 6)
    for A in (X[:, ::2], X.astype(np.float32)):
        before = A.copy()
        assert not project_out_twice_(A, q)
        np.testing.assert_array_equal(A, before)
