"""A folder of Parquet files as Dask arrays, and a Dask cluster to fit them on.

:func:`read_parquet_folder` takes every row count and column type from the files'
footers (no data are read until a fit), so ``X`` has known chunks: no pass is spent
finding partition lengths, and CV folds (a hash of each row's global position) are
fixed by the file order (sorted by path) and the rows within each file.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from distributed import Client

# Row groups of one file are merged into blocks of about this many bytes of X.
BLOCK_BYTES = 128 * 2**20


@dataclass
class ParquetData:
    """Features, target and (optional) weights of a Parquet folder, as Dask arrays.

    Attributes
    ----------
    X : dask.array.Array of shape (n_samples, n_features), float64
    y : dask.array.Array of shape (n_samples,)
        float64 for a numeric target, else the labels (object).
    sample_weight : dask.array.Array of shape (n_samples,) or None
    feature_names : list of str
    files : list of Path
    """

    X: object
    y: object
    sample_weight: object | None
    feature_names: list
    files: list

    @property
    def n_samples(self) -> int:
        return int(self.X.shape[0])


def parquet_files(path) -> list[Path]:
    """The Parquet files under ``path`` (a file, or a folder searched recursively)."""
    path = Path(path)
    if path.is_file():
        return [path]
    if not path.exists():
        raise ValueError(f"{str(path)!r} does not exist; pass a Parquet file or a folder of them.")
    files = sorted(p for p in path.rglob("*.parquet") if p.is_file())
    if not files:
        raise ValueError(f"No *.parquet files under {str(path)!r}.")
    return files


def _is_numeric(arrow_type) -> bool:
    import pyarrow as pa

    return bool(
        pa.types.is_integer(arrow_type)
        or pa.types.is_floating(arrow_type)
        or pa.types.is_boolean(arrow_type)
        or pa.types.is_decimal(arrow_type)
    )


def _select_columns(schema, target, weight, columns, source) -> list[str]:
    names = list(schema.names)
    missing = [c for c in [target, weight, *(columns or [])] if c is not None and c not in names]
    if missing:
        raise ValueError(
            f"Column(s) {missing} not found in {source}; its columns are {names[:20]}"
            f"{' …' if len(names) > 20 else ''}."
        )
    features = (
        list(columns) if columns is not None else [c for c in names if c not in (target, weight)]
    )
    if target in features or (weight is not None and weight in features):
        raise ValueError("The target (and weight) column cannot also be a feature.")
    bad = [c for c in features if not _is_numeric(schema.field(c).type)]
    if bad:
        types = {c: str(schema.field(c).type) for c in bad[:5]}
        raise ValueError(
            f"Feature column(s) {types} in {source} are not numeric; encode them (e.g. one-hot) "
            "or drop them from the files (or choose the features with columns=[...])."
        )
    if not features:
        raise ValueError(f"{source} has no feature columns besides the target.")
    if weight is not None and not _is_numeric(schema.field(weight).type):
        raise ValueError(f"The weight column {weight!r} is not numeric.")
    return features


def _read_block(path, row_groups, features, target, weight, numeric_target):
    """One block of rows: ``(X, y, w)`` as NumPy arrays (runs on a worker)."""
    import pyarrow.parquet as pq

    wanted = features + [target] + ([weight] if weight is not None else [])
    table = pq.ParquetFile(path).read_row_groups(row_groups, columns=wanted)

    def column(name, dtype=np.float64):
        values = table.column(name).to_numpy(zero_copy_only=False)
        return values.astype(dtype) if dtype is not None else values

    X = np.empty((table.num_rows, len(features)))
    for j, name in enumerate(features):
        X[:, j] = column(name)  # nulls arrive as NaN and are reported by the fit
    y = column(target, np.float64 if numeric_target else None)
    w = column(weight) if weight is not None else None
    return X, y, w


def _blocks_of(metadata, n_features) -> list[tuple[list[int], int]]:
    """Consecutive row groups merged up to about :data:`BLOCK_BYTES` of ``X``."""
    target_rows = max(1, BLOCK_BYTES // (8 * n_features))
    blocks, current, rows = [], [], 0
    for group in range(metadata.num_row_groups):
        count = metadata.row_group(group).num_rows
        if current and rows + count > target_rows:
            blocks.append((current, rows))
            current, rows = [], 0
        current.append(group)
        rows += count
    if current:
        blocks.append((current, rows))
    return blocks


def read_parquet_folder(
    path, target: str, *, columns=None, weight: str | None = None
) -> ParquetData:
    """Lazily read a Parquet file or folder into Dask arrays for a distributed fit.

    Parameters
    ----------
    path : str or Path
        A ``.parquet`` file, or a folder: every ``*.parquet`` below it, in sorted order,
        all with the same columns.
    target : str
        The column to predict.
    columns : list of str, optional
        Feature columns (default: every column but the target and the weight; all
        must be numeric).
    weight : str, optional
        A column of sample weights.

    Returns
    -------
    ParquetData
    """
    import dask
    import dask.array as da
    import pyarrow.parquet as pq

    files = parquet_files(path)
    first = pq.ParquetFile(files[0]).schema_arrow
    features = _select_columns(first, target, weight, columns, str(files[0]))
    numeric_target = _is_numeric(first.field(target).type)
    read = dask.delayed(_read_block, pure=True, nout=3)
    X_parts, y_parts, w_parts = [], [], []
    for file in files:
        parquet = pq.ParquetFile(file)
        _select_columns(parquet.schema_arrow, target, weight, features, str(file))
        if _is_numeric(parquet.schema_arrow.field(target).type) != numeric_target:
            raise ValueError(f"The target column {target!r} changes type in {str(file)!r}.")
        for groups, rows in _blocks_of(parquet.metadata, len(features)):
            X, y, w = read(str(file), groups, features, target, weight, numeric_target)
            X_parts.append(da.from_delayed(X, shape=(rows, len(features)), dtype=np.float64))
            y_dtype = np.float64 if numeric_target else object
            y_parts.append(da.from_delayed(y, shape=(rows,), dtype=y_dtype))
            if weight is not None:
                w_parts.append(da.from_delayed(w, shape=(rows,), dtype=np.float64))
    if not X_parts:
        raise ValueError(f"The Parquet files under {str(path)!r} have no rows.")
    return ParquetData(
        da.concatenate(X_parts),
        da.concatenate(y_parts),
        da.concatenate(w_parts) if weight is not None else None,
        features,
        files,
    )


def read_parquet_in_memory(path, target: str, *, columns=None, weight: str | None = None) -> tuple:
    """The same columns as :func:`read_parquet_folder`, read whole into memory.

    Returns ``(X, y, sample_weight)`` with ``X`` a pandas DataFrame (so that the
    estimators record ``feature_names_in_``).
    """
    import pandas as pd
    import pyarrow.parquet as pq

    files = parquet_files(path)
    first = pq.ParquetFile(files[0]).schema_arrow
    features = _select_columns(first, target, weight, columns, str(files[0]))
    numeric_target = _is_numeric(first.field(target).type)
    parts = []
    for file in files:
        parquet = pq.ParquetFile(file)
        _select_columns(parquet.schema_arrow, target, weight, features, str(file))
        groups = list(range(parquet.metadata.num_row_groups))
        parts.append(_read_block(str(file), groups, features, target, weight, numeric_target))
    X = pd.DataFrame(np.concatenate([p[0] for p in parts]), columns=features)
    y = np.concatenate([p[1] for p in parts])
    w = np.concatenate([p[2] for p in parts]) if weight is not None else None
    return X, y, w


def connect(scheduler: str | None = None, **cluster_options) -> Client:
    """A ``distributed.Client``: to a running scheduler, or to a new local cluster.

    Parameters
    ----------
    scheduler : str, optional
        Address of a running scheduler, e.g. ``"tcp://10.0.0.5:8786"`` (start one with
        ``dask scheduler`` and workers with ``dask worker ADDRESS``). None starts a
        ``LocalCluster`` on this machine: one single-threaded worker process per core
        (BLAS is then single-threaded in each, and the cores are not oversubscribed).
    **cluster_options
        Passed to ``LocalCluster`` (e.g. ``memory_limit="4GiB"``, ``n_workers=2``).

    Returns
    -------
    distributed.Client
        Registered as the default scheduler: every Dask computation (and so every
        fit) runs on it until ``client.close()``.
    """
    try:
        from distributed import Client
    except ImportError:
        raise ValueError(
            "The Dask engine needs dask and distributed: pip install 'shrinkage[dask]'."
        ) from None
    if scheduler:
        try:
            return Client(scheduler, timeout="10s")
        except (OSError, TimeoutError) as error:
            raise ValueError(
                f"Could not connect to the Dask scheduler at {scheduler!r} ({error}). Check "
                "the address (tcp://HOST:8786) and that the scheduler is running, or leave "
                "the scheduler out to start a local cluster."
            ) from None
    import os

    options = {
        "n_workers": os.cpu_count() or 1,
        "threads_per_worker": 1,
        "processes": True,
        "dashboard_address": ":0",  # a free port: never clash with a running cluster
        **cluster_options,
    }
    # A client that starts its own LocalCluster also closes it on client.close().
    return Client(**options)


def close_client(client) -> None:
    """Close a client from :func:`connect` (and the local cluster it started, if any)."""
    client.close()
