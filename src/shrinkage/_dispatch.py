"""The input decides the engine: Dask collections go to :mod:`shrinkage.distributed`.

The estimators call :func:`dask_fit` first thing in ``fit``. The check is by the
type's module name, so Dask itself is imported only when the data are Dask arrays
or DataFrames; the distributed engine is below the estimators (it never imports
them), so this module imports it directly.
"""

from __future__ import annotations

from .distributed import dask_fit, is_dask_collection

__all__ = ["dask_fit", "is_dask_collection"]
