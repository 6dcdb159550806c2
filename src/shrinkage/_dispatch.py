"""The input decides the engine: Dask collections go to :mod:`shrinkage.distributed`.

Checked by the type's module name, so neither Dask nor the distributed engine is
imported unless the data are Dask arrays or DataFrames.
"""

from __future__ import annotations


def is_dask_collection(obj) -> bool:
    return type(obj).__module__.split(".")[0] in ("dask", "dask_expr")


def dask_fit(estimator, X, y, sample_weight=None, **kwargs):
    """Fit ``estimator`` with the distributed engine if any input is a Dask collection.

    Returns the fitted estimator, or None when the inputs live in memory.
    """
    if not any(is_dask_collection(a) for a in (X, y, sample_weight)):
        return None
    from .distributed import fit

    return fit(estimator, X, y, sample_weight=sample_weight, **kwargs)
