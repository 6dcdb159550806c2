"""The data of the ``shrinkage`` commands: read as the data options say, and made dense.

Shared by compare, fit and path (predict reads a model's columns in :mod:`.predict`).
Notes and warnings about the data go to standard error as ``shrinkage: note: …``;
refusals are ``ValueError``, which :func:`shrinkage.cli.main` prints as one line.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

# A dense copy of the data above this many cells (8 bytes each) is refused up front.
MAX_DENSE_CELLS = 250_000_000


def _table_format(args):
    from ..io import table_format_from_arguments

    return table_format_from_arguments(args)


def _read(args, multiclass: bool = False, task: str | None = None):
    import warnings

    from ..io import read_data

    _warn_unused_target(args)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", UserWarning)
        data = read_data(
            args.data,
            target=args.target,
            task=task or args.task,
            drop_missing=args.drop_missing,
            max_levels=args.max_levels,
            drop_columns=args.drop.split(","),
            table_format=_table_format(args),
        )
    for warning in caught:  # as the module says: one line each, no source location
        print(f"shrinkage: warning: {warning.message}", file=sys.stderr)
    if "Note: " in data.description and task is None:
        print(f"shrinkage: note: {data.description.split('Note: ', 1)[1]}", file=sys.stderr)
    if not multiclass and data.task == "classification" and len(data.classes or ()) > 2:
        raise ValueError(
            f"{data.target_name!r} has {len(data.classes)} classes; only `shrinkage compare` "
            "handles multi-class targets so far (fit, predict and path are binary)."
        )
    return data


def _warn_unused_target(args) -> None:
    """``--target`` names a table column; a matrix file or bundled data set carries its
    own target, so the option would otherwise be ignored without a word."""
    from ..datasets import BUNDLED
    from ..io import _SVMLIGHT_SUFFIXES

    if not args.target:
        return
    suffix = Path(args.data).suffix.lower()
    if suffix == ".npz":
        where = f"{Path(args.data).name} holds its target (the array 'y')"
    elif suffix in _SVMLIGHT_SUFFIXES:
        where = f"{Path(args.data).name} holds its target (the label of each line)"
    elif args.data in BUNDLED and not Path(args.data).exists():
        where = f"the bundled data set {args.data!r} has its own target"
    else:
        return
    print(f"shrinkage: warning: --target {args.target} is ignored: {where}.", file=sys.stderr)


def _inputs(*paths) -> list[str]:
    """The command's input files (never to be overwritten or deleted by an output)."""
    return [p for p in paths if p is not None and Path(p).exists()]


def _standardize(X: np.ndarray):
    center = X.mean(axis=0)
    scale = X.std(axis=0)
    scale[scale == 0] = 1.0
    return (X - center) / scale, center, scale


def _dense(X) -> np.ndarray:
    """A dense float copy, refused up front when it would not fit in memory."""
    n, p = X.shape
    if n * p > MAX_DENSE_CELLS:
        raise ValueError(
            f"The data are {n} x {p} = {n * p:,} cells; a dense copy needs "
            f"{n * p * 8 / 1e9:.1f} GB. Use fewer features (e.g. a lower --max-levels) or "
            "the Python API on the sparse matrix."
        )
    return X.toarray() if hasattr(X, "toarray") else np.asarray(X, dtype=float)
