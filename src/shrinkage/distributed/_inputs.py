"""Dask inputs checked once, up front, and cut into aligned row blocks.

Everything the engines need from the data goes through :class:`DaskData`: ``X`` as a
Dask array with one column chunk, ``y`` and the sample weights split at the same rows,
the feature names of a DataFrame, and the dtype the coefficients are returned in.
Nothing here reads the data except when the row counts of the blocks are unknown
*and* needed (see :meth:`DaskData.lengths`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from numbers import Real

import numpy as np

from ._graph import is_dask_collection

# The engines hold a few p×p float64 matrices per block in flight (8p² bytes each).
MAX_FEATURES = 20_000


def _da():
    import dask.array as da

    return da


def _is_frame(obj) -> bool:
    return is_dask_collection(obj) and hasattr(obj, "map_partitions") and hasattr(obj, "dtypes")


def _numeric_kind(dtype) -> bool:
    """Numbers and booleans, NumPy or pandas extension dtypes."""
    import pandas as pd

    return bool(pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_bool_dtype(dtype)) and (
        getattr(dtype, "kind", "f") != "c"
    )


def feature_names_of(frame) -> np.ndarray | None:
    """Column names when they are all strings (scikit-learn's rule), else None."""
    names = np.asarray(list(frame.columns), dtype=object)
    kinds = {isinstance(name, str) for name in names}
    if kinds == {True}:
        return names
    if len(kinds) > 1:
        raise ValueError(
            "X has column names of mixed types (strings and others); scikit-learn needs all "
            "of them strings to record feature names. Rename them, e.g. "
            "X.columns = X.columns.astype(str)."
        )
    return None


def _frame_to_array(frame, name: str):
    """A Dask DataFrame or Series as a Dask array (row chunks possibly unknown)."""
    if frame.ndim == 2:
        dtypes = dict(frame.dtypes.items())
    else:
        dtypes = {frame.name: frame.dtype}
    bad = [str(c) for c, d in dtypes.items() if not _numeric_kind(d)]
    if bad:
        raise ValueError(
            f"{name} has non-numeric columns {bad[:5]}; encode them first (e.g. "
            "dask_ml.preprocessing.Categorizer + DummyEncoder, or pandas.get_dummies on each "
            "partition), or drop them."
        )
    kinds = set(dtypes.values())
    single_float = len(kinds) == 1 and next(iter(kinds)) in (np.float64, np.float32)
    if not single_float:
        # Mixed or extension dtypes (bool, Int64 with <NA>, …) would give an object
        # array; float64 per partition keeps it numeric (<NA> becomes NaN, reported).
        frame = frame.astype(np.float64)
    return frame.to_dask_array()


def _as_dask_array(obj, name: str, labels: bool = False):
    """Any supported container as a Dask array."""
    da = _da()
    if _is_frame(obj):
        if labels:
            import warnings

            with warnings.catch_warnings():
                # Text labels become object arrays, which is what the label pass wants.
                warnings.filterwarnings("ignore", "Dask currently has limited support for")
                return obj.to_dask_array()
        return _frame_to_array(obj, name)
    if is_dask_collection(obj):
        if not hasattr(obj, "chunks"):
            raise ValueError(
                f"{name} is a {type(obj).__name__}; the distributed engine takes Dask arrays, "
                "DataFrames or Series (convert a Bag with .to_dataframe())."
            )
        return obj
    return da.from_array(np.asarray(obj), chunks=-1)


def _known(array) -> bool:
    return not any(np.isnan(c) for c in array.chunks[0])


def _check_dtype(array, name: str, labels: bool = False) -> None:
    if labels:
        return
    if not _numeric_kind(array.dtype):
        raise ValueError(
            f"{name} has non-numeric dtype {array.dtype}; encode it as numbers first "
            "(e.g. with dask_ml.preprocessing or pandas.get_dummies on each partition)."
        )


@dataclass
class DaskData:
    """Row-aligned Dask inputs.

    Attributes
    ----------
    X : dask.array.Array of shape (n_samples, n_features)
        One chunk along the columns.
    y : dask.array.Array of shape (n_samples,) or (n_samples, n_targets)
        Same row blocks as ``X`` (chunk sizes may be unknown, then checked block by
        block during each pass).
    w : dask.array.Array of shape (n_samples,) or None
        Sample weights, same row blocks.
    weight_scale : float
        A scalar ``sample_weight``: every row's weight.
    feature_names : ndarray of str or None
    dtype : numpy dtype
        float32 for float32 ``X`` (coefficients are returned in it), else float64.
    y_ndim : int
        1 for a vector ``y``, 2 for a column matrix (multi-output).
    """

    X: object
    y: object
    w: object | None
    weight_scale: float
    feature_names: np.ndarray | None
    dtype: np.dtype
    y_ndim: int
    _lengths: tuple | None = field(default=None, repr=False)

    @property
    def n_features(self) -> int:
        return int(self.X.shape[1])

    @property
    def n_targets(self) -> int:
        return 1 if self.y.ndim == 1 else int(self.y.shape[1])

    @property
    def n_blocks(self) -> int:
        return int(self.X.numblocks[0])

    def declared_lengths(self) -> tuple | None:
        """Row count of every block when known without reading the data."""
        if self._lengths is not None:
            return self._lengths
        if _known(self.X):
            return tuple(int(c) for c in self.X.chunks[0])
        return None

    def lengths(self) -> tuple:
        """Row count of every block; computed (one read of ``X``) when unknown.

        Only cross-validation needs them (a row's fold is a hash of its global
        position); a Dask DataFrame's partitions have unknown lengths until read.
        """
        declared = self.declared_lengths()
        if declared is None:
            import dask

            counts = dask.compute(*[_block_rows(block) for block in self.blocks()[0]])
            self._lengths = tuple(int(c) for c in counts)
            declared = self._lengths
        return declared

    def blocks(self) -> tuple[list, list, list]:
        """Delayed row blocks of ``X``, ``y`` and ``w`` (None where absent).

        Keys are shared with the collections' graphs (no graph optimization), so a
        ``y`` computed from ``X`` reuses each ``X`` block instead of recomputing it.
        """
        xs = list(self.X.to_delayed(optimize_graph=False).ravel())
        ys = list(self.y.to_delayed(optimize_graph=False).ravel())
        ws = (
            list(self.w.to_delayed(optimize_graph=False).ravel())
            if self.w is not None
            else [None] * len(xs)
        )
        return xs, ys, ws

    def offsets(self) -> np.ndarray:
        """Global position of each block's first row."""
        return np.concatenate([[0], np.cumsum(self.lengths())[:-1]]).astype(np.int64)


def _block_rows(block):
    import dask

    return dask.delayed(len, pure=True)(block)


def _with_known_chunks(array):
    """A copy of ``array`` with its row chunk sizes computed (one read of it)."""
    if _known(array):
        return array
    da = _da()
    copy = da.Array(array.dask, array.name, array.chunks, meta=array._meta)
    return copy.compute_chunk_sizes()


def _align(array, X, name: str):
    """``array`` split at the same rows as ``X``; returns ``(array, X)``.

    Arrays whose row chunks are unknown but equal in number are kept as they are
    (their row counts are checked block by block in each pass); otherwise the
    unknown lengths are read once and ``array`` is rechunked like ``X``.
    """
    if array.shape[0] == X.shape[0] and array.chunks[0] == X.chunks[0]:
        return array, X
    if not (_known(array) and _known(X)):
        if array.numblocks[0] == X.numblocks[0]:
            return array, X
        array, X = _with_known_chunks(array), _with_known_chunks(X)
    if array.shape[0] != X.shape[0]:
        raise ValueError(
            f"X has {X.shape[0]} rows but {name} has {array.shape[0]}; pass one "
            f"{name} value per row of X."
        )
    return array.rechunk((X.chunks[0],) + array.chunks[1:]), X


def _check_weight(sample_weight, X):
    """Sample weights as ``(array or None, scalar scale, X)``."""
    if sample_weight is None:
        return None, 1.0, X
    if isinstance(sample_weight, Real) or (
        not is_dask_collection(sample_weight) and np.ndim(sample_weight) == 0
    ):
        value = float(sample_weight)
        if not np.isfinite(value) or value <= 0:
            raise ValueError(
                f"sample_weight={value!r} must be a finite number > 0 when given as a scalar."
            )
        return None, value, X
    w = _as_dask_array(sample_weight, "sample_weight")
    if w.ndim == 2 and w.shape[1] == 1:
        w = w[:, 0]
    if w.ndim != 1:
        raise ValueError(
            f"sample_weight has {w.ndim} dimensions; pass one weight per row of X (1-D)."
        )
    _check_dtype(w, "sample_weight")
    w, X = _align(w, X, "sample_weight")
    return w, 1.0, X


def prepare(
    X, y, sample_weight=None, *, multi_output=False, labels=False, feature_names=None
) -> DaskData:
    """Check the Dask inputs of ``fit`` and return them as :class:`DaskData`.

    Parameters
    ----------
    X : dask.array.Array or dask.dataframe.DataFrame
    y : Dask array, Series or DataFrame, or an in-memory array
    sample_weight : None, scalar, or array-like (Dask or in memory)
    multi_output : bool
        Accept a 2-D ``y`` (one column per target).
    labels : bool
        ``y`` holds class labels (any dtype) instead of numbers.
    feature_names : sequence of str, optional
        Names for the columns of a Dask array (a DataFrame brings its own).
    """
    names = None
    if _is_frame(X):
        if X.ndim != 2:
            raise ValueError("X is a Dask Series; pass a DataFrame or a 2-D array (X.to_frame()).")
        names = feature_names_of(X)
    X = _as_dask_array(X, "X")
    if X.ndim != 2:
        raise ValueError(
            f"X must be 2-D (n_samples, n_features), got {X.ndim} dimensions; reshape it, "
            "e.g. X[:, None] for a single feature."
        )
    _check_dtype(X, "X")
    if np.isnan(X.shape[1]):
        raise ValueError("X has an unknown number of columns; build it with known columns.")
    n_features = int(X.shape[1])
    if n_features == 0:
        raise ValueError("X has 0 features; at least one is required.")
    if n_features > MAX_FEATURES:
        gigabytes = 8 * n_features**2 / 1e9
        raise ValueError(
            f"X has {n_features} features: the distributed engine forms p×p matrices "
            f"({gigabytes:.1f} GB each), limited to p <= {MAX_FEATURES}. Screen features "
            "first, or fit sparse data in memory (scipy.sparse X with Lasso/ElasticNet)."
        )
    if feature_names is not None:
        names = np.asarray(list(feature_names), dtype=object)
        if names.shape != (n_features,):
            raise ValueError(
                f"feature_names has {names.size} names but X has {n_features} columns."
            )
    if X.numblocks[1] > 1:
        X = X.rechunk({1: -1})  # whole rows per block: each block gives its own Gram

    if y is None:
        raise ValueError("y is required: pass the target (a Dask array or Series).")
    y = _as_dask_array(y, "y", labels=labels)
    if y.ndim == 2 and y.shape[1] == 1 and not multi_output:
        y = y[:, 0]
    y_ndim = y.ndim
    if y.ndim == 2 and not multi_output:
        raise ValueError(
            f"y has {y.shape[1]} columns; this estimator fits one target. Fit one model per column."
        )
    if y.ndim not in (1, 2) or (y.ndim == 2 and np.isnan(y.shape[1])):
        raise ValueError(f"y must be 1-D (or 2-D with known columns), got shape {y.shape}.")
    _check_dtype(y, "y", labels)
    if y.ndim == 2 and y.numblocks[1] > 1:
        y = y.rechunk({1: -1})
    y, X = _align(y, X, "y")
    w, scale, X = _check_weight(sample_weight, X)
    if w is not None and y.chunks[0] != X.chunks[0] and _known(X):
        y, X = _align(y, X, "y")  # X's lengths were read for the weights
    dtype = np.dtype(np.float32) if X.dtype == np.float32 else np.dtype(np.float64)
    return DaskData(X, y, w, scale, names, dtype, y_ndim)


def set_feature_attributes(estimator, data: DaskData) -> None:
    """``n_features_in_`` and ``feature_names_in_`` as scikit-learn's ``fit`` sets them."""
    estimator.n_features_in_ = data.n_features
    if data.feature_names is not None:
        estimator.feature_names_in_ = data.feature_names
    elif hasattr(estimator, "feature_names_in_"):
        del estimator.feature_names_in_
