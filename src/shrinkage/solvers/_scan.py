"""One pass over a dense array: are all its values finite and within a bound?

:func:`shrinkage._validation.check_finite_data` takes two passes (``max`` and ``min``)
for clean data; on the inputs of a single fit (a few MB) that pass is a few percent of
the fit. This kernel answers the common case in one pass; anything else goes to the
full check for its message. Small arrays take NumPy's two passes instead: a kernel's
first call in a process loads its machine code from Numba's cache (~3 ms of CPU, see
benchmarks/JIT_COST.md), more than NumPy spends on them.
"""

from __future__ import annotations

import numpy as np

from .._jit import njit

#: Arrays of at most this many values are checked with NumPy (not worth loading a kernel).
NUMPY_MAX_SIZE = 1 << 16


@njit(cache=True, nogil=True)
def _all_within(values, limit):
    ok = True
    for i in range(values.shape[0]):
        ok &= abs(values[i]) <= limit  # (NaN compares false)
    return ok


def all_within(X: np.ndarray, limit: float) -> bool:
    """``|x| ≤ limit`` for every value of a C- or Fortran-contiguous float array (NaN
    fails); ``False`` for other layouts (the caller then checks the slow way)."""
    if not (X.flags.c_contiguous or X.flags.f_contiguous) or X.dtype.kind != "f":
        return False
    values = X.ravel(order="K")
    if values.size <= NUMPY_MAX_SIZE:
        # (a float64 bound, as the kernel compares: a Python float would be cast to
        # float32 against float32 values; NaN compares false)
        return bool(np.all(np.abs(values) <= np.float64(limit)))
    return bool(_all_within(values, limit))
