"""Command-line glue: ``--engine {memory,dask}``, ``--scheduler``, and loading the data.

Used by ``shrinkage fit``::

    parser = commands.add_parser("fit", ...)
    add_engine_arguments(parser)
    ...
    with load_for_engine(args.data, args.target, args.engine, args.scheduler) as data:
        data.fit(estimator)

Nothing here imports Dask unless ``--engine dask`` is chosen.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from dataclasses import dataclass, field

ENGINES = ("memory", "dask")


def add_engine_arguments(parser: argparse.ArgumentParser) -> None:
    """Add ``--engine`` and ``--scheduler`` to ``parser``."""
    group = parser.add_argument_group("engine")
    group.add_argument(
        "--engine",
        choices=ENGINES,
        default="memory",
        help=(
            "memory: read the data whole into memory (default); dask: stream a folder of "
            "Parquet files through a Dask cluster (one pass per fit for least squares, one "
            "per Newton step for logistic regression)"
        ),
    )
    group.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        default=None,
        help=(
            "with --engine dask: address of a running Dask scheduler, e.g. "
            "tcp://10.0.0.5:8786 (default: start a local cluster, one worker per core)"
        ),
    )


@dataclass
class EngineData:
    """The data loaded for one engine; close it (or use ``with``) when done.

    Attributes
    ----------
    X : pandas DataFrame (memory) or dask.array.Array (dask)
    y : ndarray or dask.array.Array
    feature_names : list of str
    engine : {"memory", "dask"}
    client : distributed.Client or None
    """

    X: object
    y: object
    feature_names: list
    engine: str
    client: object | None = field(default=None, repr=False)

    def fit(self, estimator, sample_weight=None):
        """Fit ``estimator`` on the data with this engine (feature names recorded)."""
        if self.engine == "dask":
            from . import fit

            return fit(
                estimator,
                self.X,
                self.y,
                sample_weight=sample_weight,
                feature_names=self.feature_names,
            )
        return estimator.fit(self.X, self.y, sample_weight=sample_weight)

    def close(self) -> None:
        if self.client is not None:
            from .io import close_client

            close_client(self.client)
            self.client = None

    def __enter__(self) -> EngineData:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def load_for_engine(
    path: str,
    target: str,
    engine: str = "memory",
    scheduler: str | None = None,
    drop: Sequence[str] = (),
) -> EngineData:
    """Load a Parquet file or folder for ``engine``.

    Parameters
    ----------
    path : str
        A ``.parquet`` file or a folder of them (searched recursively, sorted by path).
    target : str
        The column to predict; every other column is a feature and must be numeric.
    engine : {"memory", "dask"}
    scheduler : str, optional
        Dask scheduler address; None starts a local cluster (dask engine only).
    drop : sequence of str, optional
        Columns to leave out of the features (``--drop``).

    Returns
    -------
    EngineData

    Raises
    ------
    ValueError
        Unknown engine, ``scheduler`` without the dask engine, missing files or
        columns, non-numeric features, Dask not installed, unreachable scheduler.
    """
    if engine not in ENGINES:
        raise ValueError(f"engine must be one of {ENGINES}, got {engine!r}.")
    if target is None:
        raise ValueError("Name the target column (--target COLUMN).")
    columns = _kept_columns(path, target, drop) if drop else None
    if engine == "memory":
        if scheduler is not None:
            raise ValueError("--scheduler needs --engine dask.")
        from .io import read_parquet_in_memory

        X, y, _ = read_parquet_in_memory(path, target, columns=columns)
        return EngineData(X, y, list(X.columns), "memory")
    try:
        import dask  # noqa: F401
        import distributed  # noqa: F401
    except ImportError:
        raise ValueError(
            "--engine dask needs dask and distributed: pip install 'shrinkage[dask]'."
        ) from None
    from .io import connect, read_parquet_folder

    # Footers only: errors come before any cluster starts.
    data = read_parquet_folder(path, target, columns=columns)
    client = connect(scheduler)
    return EngineData(data.X, data.y, data.feature_names, "dask", client)


def _kept_columns(path: str, target: str, drop: Sequence[str]) -> list[str]:
    """Every column of the first file but the target and ``drop`` (all must exist)."""
    import pyarrow.parquet as pq

    from .io import parquet_files

    names = list(pq.ParquetFile(parquet_files(path)[0]).schema_arrow.names)
    unknown = [c for c in drop if c not in names]
    if unknown:
        raise ValueError(f"--drop names column(s) {unknown} that {path!r} does not have.")
    return [c for c in names if c != target and c not in drop]
