"""The benchmarks' process environment: one thread per pool, and the machine's BLAS overrides.

Import first: importing this module limits every thread pool (BLAS, OpenMP, Numba) to one
thread. The variables must be set before numpy or any BLAS is loaded; ``threadpoolctl``
then confirms the limits in each worker (reported with the results).

Some machines set ``OPENBLAS_CORETYPE`` / ``OPENBLAS_L2_SIZE``, which make current NumPy's
OpenBLAS pick slower kernels than a user's machine would (issue 13). A script that wants
the native kernels calls :func:`drop_openblas_overrides` right after this import, still
before numpy loads; its workers inherit the environment.
"""

from __future__ import annotations

import os
import sys

THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                    "NUMBA_NUM_THREADS", "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS")
#: set by some machines, never by a user's: they slow current NumPy's OpenBLAS
OPENBLAS_OVERRIDES = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")
#: command-line flag that keeps the overrides (for comparison runs)
KEEP_OPENBLAS_FLAG = "--keep-openblas-env"

for _variable in THREAD_VARIABLES:
    os.environ[_variable] = "1"


def drop_openblas_overrides(argv: list[str] | None = None) -> None:
    """Remove :data:`OPENBLAS_OVERRIDES` from this process's environment.

    Call it before numpy is imported (the BLAS reads them when it loads; later, only the
    worker processes started afterwards see the change); skipped when ``argv`` (default
    ``sys.argv``) holds ``--keep-openblas-env``.
    """
    if KEEP_OPENBLAS_FLAG in (sys.argv if argv is None else argv):
        return
    for variable in OPENBLAS_OVERRIDES:
        os.environ.pop(variable, None)


def worker_environment(extra: dict[str, str] | None = None) -> dict[str, str]:
    """This process's environment with every thread pool at one thread, plus ``extra``."""
    env = dict(os.environ)
    env.update({variable: "1" for variable in THREAD_VARIABLES})
    env.update(extra or {})
    return env


def blas_environment() -> dict[str, str | None]:
    """The thread limits and BLAS overrides this process runs with (for the reports)."""
    return {variable: os.environ.get(variable)
            for variable in (*THREAD_VARIABLES, *OPENBLAS_OVERRIDES)}
