"""Reading the user's data: files and DataFrames into a :class:`~shrinkage.datasets.Dataset`.

Formats: CSV / TSV (any delimiter pandas can sniff), Parquet, svmlight / libsvm and
``.npz``; in Python also pandas and polars DataFrames. Categorical columns are one-hot
encoded with readable names (``color=red``), the target is chosen by name, the task
(regression or binary classification) is inferred and can be overridden, and missing
values are reported by column with counts. The feature names travel with the data to
every table and figure.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np

from .datasets import BUNDLED, Dataset, load

TASKS = ("auto", "regression", "classification")
_TABLE_SUFFIXES = {".csv": ",", ".tsv": "\t", ".tab": "\t", ".txt": None}
_SVMLIGHT_SUFFIXES = {".svm", ".svmlight", ".libsvm"}
# An object column whose values parse as numbers this often is a numeric column
# with stray text (a typo, "n/a"), not a categorical one.
_NUMERIC_SHARE = 0.9


def read_data(
    source,
    *,
    target: str | None = None,
    task: str = "auto",
    drop_missing: bool = False,
) -> Dataset:
    """Read a file, a bundled data set name or a DataFrame.

    Parameters
    ----------
    source : str, Path, pandas.DataFrame or polars.DataFrame
        A path (``.csv``, ``.tsv``, ``.txt``, ``.parquet``, ``.svm``/``.libsvm``,
        ``.npz``) or a bundled name (``diabetes``, ``breast_cancer``).
    target : str, optional
        The target column (tables). Not needed for svmlight, ``.npz`` or bundled data.
    task : {"auto", "regression", "classification"}
        "auto": classification when the target has two values or is text.
    drop_missing : bool
        Drop the rows with missing values (otherwise they are an error that lists
        the columns and counts).

    Returns
    -------
    Dataset
    """
    if task not in TASKS:
        raise ValueError(f"task must be one of {TASKS}, got {task!r}.")
    if _is_dataframe(source):
        return _from_frame(_to_pandas(source), target, task, drop_missing, "DataFrame")
    if isinstance(source, str) and source in BUNDLED and not Path(source).exists():
        data = load(source)
        return _with_task(data, task)
    path = Path(source)
    if not path.exists():
        raise ValueError(
            f"No such file: {path}. Give a CSV/TSV, Parquet, svmlight or .npz file, or a "
            f"bundled data set: {', '.join(sorted(BUNDLED))}."
        )
    if path.is_dir():
        raise ValueError(f"{path} is a folder; give one data file.")
    if path.stat().st_size == 0:
        raise ValueError(f"{path} is empty (0 bytes).")
    suffix = path.suffix.lower()
    if suffix == ".npz":
        return _with_task(_read_npz(path), task)
    if suffix in _SVMLIGHT_SUFFIXES:
        return _with_task(_read_svmlight(path), task)
    if suffix in (".parquet", ".pq"):
        frame = _read_parquet(path)
    elif suffix in _TABLE_SUFFIXES or suffix in (".gz", ".bz2", ".zip", ".xz"):
        frame = _read_table(path)
    else:
        raise ValueError(
            f"Unknown file type {suffix!r} for {path.name}; use .csv, .tsv, .txt, .parquet, "
            ".svm/.libsvm or .npz."
        )
    return _from_frame(frame, target, task, drop_missing, path.name)


def _is_dataframe(obj) -> bool:
    return type(obj).__name__ in ("DataFrame", "LazyFrame") and hasattr(obj, "columns")


def _to_pandas(frame):
    import pandas as pd

    if isinstance(frame, pd.DataFrame):
        return frame
    if type(frame).__name__ == "LazyFrame":
        frame = frame.collect()
    try:
        return frame.to_pandas()  # polars, with pyarrow
    except Exception:  # noqa: BLE001 - polars without pyarrow: go through plain lists
        return pd.DataFrame(frame.to_dict(as_series=False))


def _read_table(path: Path):
    import pandas as pd

    separator = _TABLE_SUFFIXES.get(path.suffix.lower())
    try:
        if separator is None:
            frame = pd.read_csv(path, sep=None, engine="python")
        else:
            frame = pd.read_csv(path, sep=separator)
    except pd.errors.EmptyDataError:
        raise ValueError(f"{path.name} has no columns (an empty table).") from None
    except (pd.errors.ParserError, UnicodeDecodeError) as error:
        raise ValueError(
            f"{path.name} could not be read as a table: {str(error).splitlines()[0]}"
        ) from None
    return frame


def _read_parquet(path: Path):
    import pandas as pd

    try:
        return pd.read_parquet(path)
    except ImportError:
        raise ValueError(
            "Reading Parquet needs pyarrow: pip install 'shrinkage[io]' (or pyarrow)."
        ) from None
    except Exception as error:  # noqa: BLE001 - pyarrow's errors have many types
        raise ValueError(
            f"{path.name} could not be read as Parquet: {str(error).splitlines()[0]}"
        ) from None


def _read_npz(path: Path) -> Dataset:
    try:
        archive = np.load(path, allow_pickle=False)
    except Exception as error:  # noqa: BLE001
        raise ValueError(f"{path.name} is not a readable .npz file ({error}).") from None
    keys = set(archive.files)
    x_key = next((k for k in ("X", "x", "data") if k in keys), None)
    y_key = next((k for k in ("y", "target") if k in keys), None)
    if x_key is None or y_key is None:
        raise ValueError(
            f"{path.name} holds {sorted(keys)}; a data .npz needs arrays 'X' and 'y' "
            "(optionally 'feature_names')."
        )
    X, y = np.asarray(archive[x_key], dtype=float), np.asarray(archive[y_key])
    if X.ndim != 2 or y.ndim != 1 or X.shape[0] != y.shape[0]:
        raise ValueError(
            f"{path.name}: X must be 2-D and y 1-D with as many rows, got X {X.shape} and "
            f"y {y.shape}."
        )
    names = (
        [str(n) for n in archive["feature_names"]]
        if "feature_names" in keys
        else [f"x{j}" for j in range(X.shape[1])]
    )
    _check_finite_matrix(X, names)
    return Dataset(
        X, y, names, "y", "auto", f"{path.name} ({X.shape[0]}×{X.shape[1]})", name=path.name
    )


def _read_svmlight(path: Path) -> Dataset:
    from sklearn.datasets import load_svmlight_file

    try:
        X, y = load_svmlight_file(str(path))
    except Exception as error:  # noqa: BLE001 - sklearn raises ValueError or others
        raise ValueError(f"{path.name} is not a valid svmlight/libsvm file ({error}).") from None
    names = [f"x{j}" for j in range(X.shape[1])]
    return Dataset(
        X.tocsc(), y, names, "y", "auto", f"{path.name} ({X.shape[0]}×{X.shape[1]})", name=path.name
    )


def _from_frame(frame, target, task, drop_missing, label) -> Dataset:
    import pandas as pd

    if frame.shape[0] == 0 or frame.shape[1] == 0:
        raise ValueError(f"{label} is empty ({frame.shape[0]} rows, {frame.shape[1]} columns).")
    frame.columns = [str(c).strip() for c in frame.columns]
    if target is None:
        raise ValueError(
            f"Name the target column with --target (target=...); {label} has columns "
            f"{_shorten(list(frame.columns))}."
        )
    if target not in frame.columns:
        raise ValueError(
            f"Target column {target!r} is not in {label}; its columns are "
            f"{_shorten(list(frame.columns))}."
        )
    missing = frame.isna().sum()
    missing = missing[missing > 0]
    if len(missing):
        detail = ", ".join(f"{c}: {int(n)}" for c, n in missing.items())
        if not drop_missing:
            raise ValueError(
                f"{label} has missing values ({detail}); impute them, or pass "
                "--drop-missing (drop_missing=True) to drop those rows."
            )
        frame = frame.dropna()
        if frame.shape[0] == 0:
            raise ValueError(f"Every row of {label} has a missing value ({detail}).")
    y_raw = frame[target]
    features = frame.drop(columns=[target])
    if features.shape[1] == 0:
        raise ValueError(f"{label} has no feature columns besides the target {target!r}.")
    _check_text_in_numeric_columns(features)
    categorical = [
        c
        for c in features.columns
        if features[c].dtype == object
        or isinstance(features[c].dtype, pd.CategoricalDtype)
        or features[c].dtype == bool
        or str(features[c].dtype) in ("string", "str")
    ]
    encoding = {
        "columns": [str(c) for c in features.columns],
        "categorical": {
            str(c): sorted(str(v) for v in features[c].dropna().unique()) for c in categorical
        },
    }
    X = encode_features(features, encoding, label)
    names = feature_names_of_encoding(encoding)
    _check_finite_matrix(X, names)
    description = (
        f"{label}: {X.shape[0]} rows, {features.shape[1]} columns"
        + (
            f" ({len(categorical)} categorical, one-hot encoded to {X.shape[1]})"
            if categorical
            else ""
        )
        + (f", {int(missing.sum())} missing values dropped" if len(missing) else "")
    )
    data = Dataset(
        X, y_raw.to_numpy(), names, target, "auto", description, encoding=encoding, name=label
    )
    return _with_task(data, task)


def feature_names_of_encoding(encoding: dict) -> list[str]:
    """``column`` for numeric columns, ``column=level`` for each level of a categorical one."""
    names = []
    for column in encoding["columns"]:
        levels = encoding["categorical"].get(column)
        names += [f"{column}={level}" for level in levels] if levels else [column]
    return names


def encode_features(frame, encoding: dict, label: str = "the data") -> np.ndarray:
    """Encode new rows exactly as the training columns were (for prediction).

    Missing or extra columns and unseen category levels are errors that name them.
    """
    columns = encoding["columns"]
    categorical = encoding["categorical"]
    frame = frame.copy()
    frame.columns = [str(c).strip() for c in frame.columns]
    absent = [c for c in columns if c not in frame.columns]
    if absent:
        raise ValueError(f"{label} lacks the columns {_shorten(absent)} the model was fitted on.")
    extra = [c for c in frame.columns if c not in columns]
    if extra:
        raise ValueError(
            f"{label} has columns the model does not know: {_shorten(extra)}; drop them "
            "(or the target column) first."
        )
    if frame[columns].isna().any().any():
        counts = frame[columns].isna().sum()
        detail = ", ".join(f"{c}: {int(n)}" for c, n in counts[counts > 0].items())
        raise ValueError(f"{label} has missing values ({detail}); impute or drop those rows.")
    blocks = []
    for column in columns:
        values = frame[column]
        if column in categorical:
            levels = categorical[column]
            text = values.astype(str)
            unseen = sorted(set(text) - set(levels))
            if unseen:
                raise ValueError(
                    f"Column {column!r} has values never seen in training: {_shorten(unseen)}."
                )
            blocks.append(np.column_stack([(text == level).to_numpy(float) for level in levels]))
        else:
            _check_text_in_numeric_columns(frame[[column]].astype(object))
            try:
                blocks.append(values.to_numpy(dtype=float)[:, None])
            except (TypeError, ValueError):
                raise ValueError(f"Column {column!r} must be numeric.") from None
    return np.hstack(blocks)


def read_frame(path) -> object:
    """A table file (CSV/TSV/Parquet) as a pandas DataFrame, with clear errors."""
    path = Path(path)
    if not path.exists():
        raise ValueError(f"No such file: {path}.")
    if path.stat().st_size == 0:
        raise ValueError(f"{path} is empty (0 bytes).")
    if path.suffix.lower() in (".parquet", ".pq"):
        return _read_parquet(path)
    return _read_table(path)


def _check_text_in_numeric_columns(features) -> None:
    import pandas as pd

    for column in features.columns:
        values = features[column]
        if not (values.dtype == object or pd.api.types.is_string_dtype(values.dtype)):
            continue
        parsed = pd.to_numeric(values, errors="coerce")
        bad = parsed.isna() & values.notna()
        if 0 < bad.sum() and (1 - bad.mean()) >= _NUMERIC_SHARE:
            first = values[bad].iloc[0]
            row = values[bad].index[0]
            raise ValueError(
                f"Column {column!r} is numeric but has text values ({int(bad.sum())} of "
                f"{len(values)}, e.g. {first!r} in row {row}); fix or remove them (or mark "
                "them missing and pass --drop-missing)."
            )


def _check_finite_matrix(X, names) -> None:
    values = X.data if hasattr(X, "data") and not isinstance(X, np.ndarray) else X
    if not np.isfinite(values).all():
        bad = ~np.isfinite(np.asarray(X if isinstance(X, np.ndarray) else X.toarray()))
        columns = [names[j] for j in np.flatnonzero(bad.any(axis=0))]
        raise ValueError(f"Columns {_shorten(columns)} contain NaN or infinity.")


def _with_task(data: Dataset, task: str) -> Dataset:
    """Infer or check the task, and encode a classification target as 0/1."""
    y = np.asarray(data.y)
    values = np.unique(y[~_isnan(y)]) if y.dtype.kind in "fc" else np.unique(y.astype(str))
    if values.size < 2:
        raise ValueError(
            f"The target {data.target_name!r} is constant ({values[0] if values.size else '—'}"
            "); there is nothing to predict."
        )
    numeric = y.dtype.kind in "biufc"
    if task == "auto" and data.task == "classification":
        task = "classification"  # a bundled data set that says so
    if task == "auto":
        task = "classification" if (values.size == 2 or not numeric) else "regression"
    if task == "classification":
        classes = [str(v) for v in values]
        if values.size > 2:  # multinomial: y is the class index, classes its labels
            index = np.searchsorted(values, y.astype(str) if not numeric else y)
            if data.classes is not None and len(data.classes) == values.size:
                classes = list(data.classes)
            return replace(data, y=index.astype(float), task="classification", classes=classes)
        y01 = (y.astype(str) == classes[1]).astype(float) if not numeric else (y == values[1])
        if data.task == "classification" and data.classes is not None:
            classes = data.classes  # bundled data already 0/1 with names
        return replace(data, y=np.asarray(y01, dtype=float), task="classification", classes=classes)
    if not numeric:
        raise ValueError(
            f"The target {data.target_name!r} is not numeric; use --task classification."
        )
    return replace(data, y=y.astype(float), task="regression", classes=None)


def _isnan(y: np.ndarray) -> np.ndarray:
    return np.isnan(y) if y.dtype.kind in "fc" else np.zeros(y.shape, dtype=bool)


def _shorten(items: list, limit: int = 12) -> str:
    shown = ", ".join(repr(i) for i in items[:limit])
    return f"[{shown}{', …' if len(items) > limit else ''}]"
