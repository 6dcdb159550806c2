"""Whether an input is a Dask collection, without importing Dask (or anything of
shrinkage): a leaf that both the in-memory dispatch (:mod:`shrinkage._dispatch`) and the
Dask engine (:mod:`shrinkage.distributed`) import, so neither imports the other for it."""

from __future__ import annotations

__all__ = ["is_dask_collection"]

_DASK_MODULES = ("dask", "dask_expr")


def is_dask_collection(obj) -> bool:
    """Whether ``obj`` is a Dask collection, checked by its type's module name (so
    that Dask is not imported for in-memory data)."""
    return type(obj).__module__.partition(".")[0] in _DASK_MODULES
