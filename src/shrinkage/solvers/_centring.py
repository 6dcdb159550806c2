"""``A ← (I − qqᵀ)A`` applied twice, in place, for one unit vector ``q``: the intercept.

Ridge centres its own copy of a dense design explicitly (the shortcut through ``AᵀA``
cancels catastrophically on columns with a large offset), and projects twice: one pass
leaves ``eps·offset`` of the intercept's direction behind, the second removes it
("twice is enough"). With NumPy each pass is a product ``qᵀA`` and an update
``A −= q(qᵀA)`` whose outer product is a temporary as large as ``A``; here the update
and the next pass's product share one sweep, and nothing is allocated but two rows.

Measured (one thread, CPU ms, copy included; NumPy blocks of columns -> this kernel; the
copy alone): 200×3000 4.9 -> 0.9 (0.3), 20000×50 7.1 -> 1.4 (0.5), 2000×2000 33 -> 7.3
(4.1); agreement with ``X − mean`` twice to 1e-16 relative at column offsets of 1e6.
"""

from __future__ import annotations

import numpy as np

from .._jit import njit
from ._kernels import _FASTMATH

__all__ = ["project_out_twice_"]


def project_out_twice_(A: np.ndarray, q: np.ndarray) -> bool:
    """``A ← (I − qqᵀ)(I − qqᵀ)A`` in place for a contiguous float64 ``A`` (n, p) and a
    unit ``q`` (n,). Returns False, leaving ``A`` alone, for any other layout or dtype
    (the caller's general route then runs)."""
    if A.dtype != np.float64 or A.ndim != 2 or not A.flags.writeable:
        return False
    q = np.ascontiguousarray(q, dtype=np.float64)
    if A.flags.f_contiguous:
        _columns(A, q)
    elif A.flags.c_contiguous:
        _rows(A, q)
    else:
        return False
    return True


@njit(cache=True, nogil=True, fastmath=_FASTMATH)
def _columns(A, q):
    """Fortran order: each column in turn, while it is in cache."""
    n, p = A.shape
    for j in range(p):
        for _ in range(2):
            s = 0.0
            for i in range(n):
                s += q[i] * A[i, j]
            for i in range(n):
                A[i, j] -= q[i] * s


@njit(cache=True, nogil=True, fastmath=_FASTMATH)
def _rows(A, q):
    """C order: sweeps along the rows; the second projection's ``qᵀA`` is summed in the
    sweep that applies the first."""
    n, p = A.shape
    s = np.zeros(p)
    for i in range(n):
        for j in range(p):
            s[j] += q[i] * A[i, j]
    t = np.zeros(p)
    for i in range(n):
        for j in range(p):
            value = A[i, j] - q[i] * s[j]
            A[i, j] = value
            t[j] += q[i] * value
    for i in range(n):
        for j in range(p):
            A[i, j] -= q[i] * t[j]
