"""One parallel pass: a function of every row block, summed by a tree of additions."""

from __future__ import annotations

from collections.abc import Callable

from .._dask_input import is_dask_collection  # noqa: F401 (re-exported)

# Partial results summed per task of the reduction tree (as dask.array's split_every).
SPLIT_EVERY = 8


def _sum(parts):
    total = parts[0]
    for part in parts[1:]:
        total = total + part
    return total


def tree_sum(parts: list):
    """Delayed sum of delayed ``parts`` by a tree (depth ``log_8`` of the count)."""
    import dask

    add = dask.delayed(_sum, pure=True)
    while len(parts) > 1:
        parts = [add(parts[i : i + SPLIT_EVERY]) for i in range(0, len(parts), SPLIT_EVERY)]
    return parts[0]


def map_reduce(function: Callable, data, shared, positions: bool = False, with_x: bool = True):
    """``Σ_blocks function(X_b, y_b, w_b, info_b, shared)``, computed in one pass.

    Parameters
    ----------
    function : callable
        Top-level (picklable) function of a block; returns something with ``+``.
    data : DaskData
    shared : object
        Parameters for every block, sent once (one key in the graph).
    positions : bool
        Give each block its global first row (reads the block lengths if unknown).
    with_x : bool
        False passes ``X_b = None`` (a pass over the labels and weights only).

    ``info_b`` is ``(block index, first row or None, declared row count or None)``.
    Runs on the current Dask scheduler: a ``distributed.Client`` when one is active.
    """
    import dask

    xs, ys, ws = data.blocks()
    if not with_x:
        xs = [None] * len(xs)
    declared = data.lengths() if positions else data.declared_lengths()
    starts = data.offsets() if positions else [None] * len(xs)
    shared = dask.delayed(shared, pure=True)
    task = dask.delayed(function, pure=True)
    parts = [
        task(x, y, w, (b, starts[b], None if declared is None else declared[b]), shared)
        for b, (x, y, w) in enumerate(zip(xs, ys, ws, strict=True))
    ]
    return dask.compute(tree_sum(parts))[0]


def on_first_block(function: Callable, data, *args):
    """``function(X_b, y_b, w_b, *args)`` on the first block where it is not None.

    Runs where the block is (only the result travels): a cheap pilot look at the data.
    """
    import dask

    task = dask.delayed(function, pure=True)
    for x, y, w in zip(*data.blocks(), strict=True):
        result = dask.compute(task(x, y, w, *args))[0]
        if result is not None:
            return result
    raise ValueError("X has 0 rows; at least one sample is required.")
