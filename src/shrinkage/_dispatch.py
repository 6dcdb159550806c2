"""The input decides the engine: Dask collections go to :mod:`shrinkage.distributed`.

The estimators call :func:`dask_fit` first thing in ``fit``. The check is by the
type's module name, so neither Dask nor the distributed engine is imported for
in-memory data (an in-memory fit pays one attribute look-up per input); the
distributed engine is below the estimators (it never imports them), so it is
imported here, on the first Dask input.
"""

from __future__ import annotations

from ._dask_input import is_dask_collection
from ._validation import check_boolean_parameters

__all__ = ["dask_fit", "is_dask_collection"]


def dask_fit(estimator, X, y, sample_weight=None, **kwargs):
    """The estimator fitted by the distributed engine when an input is a Dask
    collection, else None (the caller then fits in memory)."""
    if not any(is_dask_collection(a) for a in (X, y, sample_weight)):
        return None
    check_boolean_parameters(estimator)  # the in-memory fit checks them in its own path
    from .distributed import dask_fit as distributed_fit

    return distributed_fit(estimator, X, y, sample_weight, **kwargs)
