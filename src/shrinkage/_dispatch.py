"""The input decides the engine: Dask collections go to :mod:`shrinkage.distributed`.

The estimators call :func:`dask_fit` first thing in ``fit``. The check is by the
type's module name, so neither Dask nor the distributed engine is imported for
in-memory data (an in-memory fit pays one attribute look-up per input); the
distributed engine is below the estimators (it never imports them), so it is
imported here, on the first Dask input.
"""

from __future__ import annotations

__all__ = ["dask_fit", "is_dask_collection"]

_DASK_MODULES = ("dask", "dask_expr")


def is_dask_collection(obj) -> bool:
    """Whether ``obj`` is a Dask collection, checked by its type's module name (so
    that Dask is not imported for in-memory data)."""
    return type(obj).__module__.partition(".")[0] in _DASK_MODULES


def dask_fit(estimator, X, y, sample_weight=None, **kwargs):
    """The estimator fitted by the distributed engine when an input is a Dask
    collection, else None (the caller then fits in memory)."""
    if not any(is_dask_collection(a) for a in (X, y, sample_weight)):
        return None
    from .distributed import dask_fit as distributed_fit

    return distributed_fit(estimator, X, y, sample_weight, **kwargs)
