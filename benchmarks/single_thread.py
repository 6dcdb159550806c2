"""Import first: limits every thread pool (BLAS, OpenMP, Numba) to one thread.

The variables must be set before numpy or any BLAS is loaded; ``threadpoolctl``
then confirms the limits in each worker (reported in RESULTS.md).
"""

import os

THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                    "NUMBA_NUM_THREADS", "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS")

for _variable in THREAD_VARIABLES:
    os.environ[_variable] = "1"
