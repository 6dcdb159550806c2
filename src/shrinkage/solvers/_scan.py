"""One pass over a dense array: are all its values finite and within a bound?

:func:`shrinkage._validation.check_finite_data` takes two passes (``max`` and ``min``)
for clean data; on the inputs of a single fit (a few MB) that pass is a few percent of
the fit. This kernel answers the common case in one pass; anything else goes to the
full check for its message.
"""

from __future__ import annotations

import numpy as np

from .._jit import njit


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
    return bool(_all_within(X.ravel(order="K"), limit))
