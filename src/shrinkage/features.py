"""Encoding a table's columns as features: a DataFrame into the numeric design of a
:class:`~shrinkage.datasets.Dataset`, and new rows into the same columns for prediction.

Categorical columns (text, booleans, pandas categories) are one-hot encoded with
readable names (``color=red``), the target is chosen by name, the task (regression or
classification) is inferred and can be overridden, and missing values are reported by
column with counts. The encoding is saved with a model, and the feature names travel
with the data to every table and figure. Reading the files is :mod:`shrinkage.io`'s job.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from .datasets import Dataset

# An object column whose values parse as numbers this often is a numeric column
# with stray text (a typo, "n/a"), not a categorical one.
_NUMERIC_SHARE = 0.9
# A UTF-8 byte-order mark (Notepad writes one), never part of a column name.
_BOM = "\ufeff"
# Checked before anything is allocated: categories per text column (one-hot columns).
MAX_LEVELS = 1000


def _normalized(name) -> str:
    return str(name).strip().lstrip(_BOM).strip()


def normalized_columns(columns, label: str = "the data") -> list[str]:
    """Column names as every reader and encoder compares them.

    Parameters
    ----------
    columns : iterable
        The names as read (a header ``a, b`` gives ``" b"``).
    label : str
        The file or table named in the error.

    Returns
    -------
    list of str
        The names without surrounding spaces or a byte-order mark, so that ``fit`` and
        ``predict`` see one spelling.

    Raises
    ------
    ValueError
        When two names are equal once normalized (``a`` and ``" a"``, or ``a`` twice).
    """
    from collections import Counter

    raw = [str(c) for c in columns]
    names = [_normalized(c) for c in raw]
    repeated = [name for name, count in Counter(names).items() if count > 1]
    if repeated:
        spellings = [r for r, n in zip(raw, names, strict=True) if n == repeated[0]]
        written = (
            f" ({' and '.join(map(repr, spellings))} once the spaces around names are removed)"
            if len(set(spellings)) > 1
            else ""
        )
        raise ValueError(
            f"{label} has {len(spellings)} columns named {repeated[0]!r}{written}; give each "
            "column its own name."
        )
    return names


def _from_frame(
    frame, target, task, drop_missing, label, max_levels=MAX_LEVELS, drop_columns=()
) -> Dataset:
    import pandas as pd

    if frame.shape[0] == 0 or frame.shape[1] == 0:
        raise ValueError(f"{label} is empty ({frame.shape[0]} rows, {frame.shape[1]} columns).")
    frame = frame.set_axis(normalized_columns(frame.columns, label), axis=1)
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
    # Dropped before the missing-value check: an ID or notes column with gaps must
    # not cost rows once the user has left it out.
    frame = _drop_named_columns(frame, list(drop_columns), target, label)
    missing = frame.isna().sum()
    missing = missing[missing > 0]
    rows_before = frame.shape[0]
    lost_classes: list[str] = []
    if len(missing):
        detail = ", ".join(f"{c}: {int(n)}" for c, n in missing.items())
        # A column missing on most rows (an empty trailing column, a notes field) is
        # better dropped than the rows: say so by name.
        sparse_columns = [str(c) for c, k in missing.items() if k > rows_before / 2 and c != target]
        column_hint = (
            f" A column missing on most rows is better left out: --drop {sparse_columns[0]!r}"
            f"{' (and the others)' if len(sparse_columns) > 1 else ''}."
            if sparse_columns
            else ""
        )
        if not drop_missing:
            raise ValueError(
                f"{label} has missing values ({detail}); impute them, or pass "
                "--drop-missing (drop_missing=True) to drop those rows." + column_hint
            )
        labels_before = set(frame[target].dropna().astype(str))
        frame = frame.dropna()
        if frame.shape[0] == 0:
            raise ValueError(
                f"Every row of {label} has a missing value ({detail})." + column_hint
            )
        lost_classes = sorted(labels_before - set(frame[target].astype(str)))
    y_raw = frame[target]
    features = frame.drop(columns=[target])
    if features.shape[1] == 0:
        raise ValueError(f"{label} has no feature columns besides the target {target!r}.")
    _check_text_in_numeric_columns(features)
    _warn_identifier_columns(features)
    categorical = [
        c
        for c in features.columns
        if features[c].dtype == object
        or isinstance(features[c].dtype, pd.CategoricalDtype)
        or features[c].dtype == bool
        or str(features[c].dtype) in ("string", "str")
    ]
    _check_levels(features, categorical, max_levels)
    encoding = {
        "columns": [str(c) for c in features.columns],
        "categorical": {
            str(c): sorted(str(v) for v in features[c].dropna().unique()) for c in categorical
        },
        "binary_as_one_column": True,
    }
    if drop_columns:
        # Remembered so that prediction files may still carry them (an ID column).
        encoding["dropped"] = list(drop_columns)
    X = encode_features(features, encoding, label)
    names = feature_names_of_encoding(encoding)
    _check_finite_matrix(X, names)
    description = (
        f"{label}: {X.shape[0]} rows, {features.shape[1]} columns"
        + (
            f" ({len(categorical)} categorical, indicator-coded to {X.shape[1]})"
            if categorical
            else ""
        )
        + (
            f"; {rows_before - X.shape[0]} of {rows_before} rows dropped for missing values"
            if len(missing)
            else ""
        )
    )

    data = Dataset(
        X, y_raw.to_numpy(), names, target, "auto", description, encoding=encoding, name=label
    )
    data = _with_task(data, task)
    if lost_classes and data.task == "classification":
        import warnings

        warnings.warn(
            f"Dropping the rows with missing values removed every row of the classes "
            f"{', '.join(lost_classes[:8])}{' …' if len(lost_classes) > 8 else ''} of "
            f"{target!r}: the model cannot predict them.",
            UserWarning,
            stacklevel=3,
        )
    return data


def _drop_named_columns(frame, drop_columns: list[str], target: str, label: str):
    if not drop_columns:
        return frame
    if target in drop_columns:
        raise ValueError(
            f"--drop names the target column {target!r}; name another target or keep it."
        )
    absent = [c for c in drop_columns if c not in frame.columns]
    if absent:
        raise ValueError(
            f"--drop names columns {label} lacks: {_shorten(absent)}; its columns are "
            f"{_shorten(list(frame.columns))}."
        )
    return frame.drop(columns=drop_columns)


#: From this many rows on, a text column with a different value in every row is refused.
_UNIQUE_ROWS_MIN = 20


def _check_levels(features, categorical, max_levels: int) -> None:
    """Refuse a text column with too many categories before one-hot encoding it, or
    with a different value in every row (an ID, a date, free text: each indicator would
    describe one row, which a model cannot learn from, and a new row matches none)."""
    for column in categorical:
        count = int(features[column].nunique(dropna=True))
        if count > max_levels:
            raise ValueError(
                f"Column {column!r} has {count} distinct values, more than --max-levels "
                f"{max_levels} (max_levels=): one-hot encoding would make {count} columns. "
                "Drop it if it is an ID or free text, or raise --max-levels."
            )
        rows = int(features[column].notna().sum())
        if rows >= _UNIQUE_ROWS_MIN and count == rows:
            raise ValueError(
                f"Column {column!r} has a different value in every one of its {rows} rows "
                f"(e.g. {str(features[column].dropna().iloc[0])!r}): an ID, a date or free "
                "text, whose indicators would each describe one row. Drop it with --drop "
                f"{column} (drop_columns=[{column!r}]), or make it numeric first (a date as "
                "days, a count as a number)."
            )


def encoded_levels(encoding: dict, column: str) -> list[str]:
    """The levels of a categorical ``column`` that get an indicator column: all of them,
    or only the second of two when ``binary_as_one_column`` (files written before that
    key existed keep every level)."""
    levels = encoding["categorical"].get(column) or []
    if encoding.get("binary_as_one_column", False) and len(levels) == 2:
        return levels[1:]
    return list(levels)


def feature_names_of_encoding(encoding: dict) -> list[str]:
    """``column`` for numeric columns, ``column=level`` for each encoded level of a
    categorical one (see :func:`encoded_levels`)."""
    names = []
    for column in encoding["columns"]:
        if column in encoding["categorical"]:
            names += [f"{column}={level}" for level in encoded_levels(encoding, column)]
        else:
            names.append(column)
    return names


def encode_features(frame, encoding: dict, label: str = "the data") -> np.ndarray:
    """Encode new rows exactly as the training columns were (for prediction).

    Missing or extra columns and unseen category levels are errors that name them.
    """
    columns = encoding["columns"]
    categorical = encoding["categorical"]
    frame = frame.set_axis(normalized_columns(frame.columns, label), axis=1)
    frame = frame.drop(columns=[c for c in encoding.get("dropped", ()) if c in frame.columns])
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
            text = _as_levels(values, levels)
            unseen = sorted(set(text) - set(levels))
            if unseen:
                raise ValueError(
                    f"Column {column!r} has values never seen in training: {_shorten(unseen)}."
                )
            blocks.append(
                np.column_stack(
                    [(text == level).to_numpy(float) for level in encoded_levels(encoding, column)]
                )
            )
        else:
            _check_text_in_numeric_columns(
                frame[[column]].astype(object), "fix them, or leave those rows out"
            )
            try:
                blocks.append(values.to_numpy(dtype=float)[:, None])
            except (TypeError, ValueError):
                raise ValueError(f"Column {column!r} must be numeric.") from None
    return np.hstack(blocks)


#: How a column that pandas read as booleans (``true``, ``TRUE``, ``True``) was saved.
_BOOLEAN_LEVELS = {"false": "False", "true": "True"}


def _as_levels(values, levels: list[str]):
    """``values`` as text comparable with the saved ``levels``. A column of booleans
    was saved as ``False``/``True``; read as text for prediction it is spelled as in the
    file (``true``, ``FALSE``), so those spellings are mapped back."""
    text = values.astype(str)
    if levels and set(levels) <= set(_BOOLEAN_LEVELS.values()):
        text = text.map(lambda v: _BOOLEAN_LEVELS.get(v.strip().lower(), v))
    return text


def _text_columns(frame):
    """``(name, values)`` of the columns of ``frame`` read as text (object or string)."""
    import pandas as pd

    for column in frame.columns:
        values = frame[column]
        if values.dtype == object or pd.api.types.is_string_dtype(values.dtype):
            yield column, values


_IDENTIFIER_NAMES = ("id", "identifier", "index", "row", "record", "patient")


def _warn_identifier_columns(features) -> None:
    """Warn about numeric columns that look like row identifiers: named like one (``Id``,
    ``patient_id``, ``record``) and holding whole numbers, at least 90% of them distinct
    (a patient can come back: mlbench's BreastCancer ``Id``, 645 values in 699 rows). An
    ID fitted as a predictor gets a weight from noise."""
    import re
    import warnings

    if features.shape[0] < 20:
        return
    for column in features.columns:
        values = features[column]
        words = [w for w in re.split(r"[^a-z]+", str(column).lower()) if w]
        if not any(w in _IDENTIFIER_NAMES for w in words) or values.dtype.kind not in "iuf":
            continue
        numbers = values.to_numpy(dtype=float)
        whole = np.all(numbers == np.round(numbers))
        if whole and np.unique(numbers).size >= 0.9 * numbers.size:
            warnings.warn(
                f"Column {column!r} holds a (nearly) distinct whole number in every row, like "
                f"a row identifier; it is used as a predictor. If it is an ID, leave it out: "
                f"--drop {str(column)!r} (drop_columns=[...]).",
                UserWarning,
                stacklevel=4,
            )


def _check_text_in_numeric_columns(
    features, remedy: str = "fix or remove them (or mark them missing and pass --drop-missing)"
) -> None:
    """Refuse a numeric column with a few text values (``remedy``: how to fix them)."""
    import pandas as pd

    for column, values in _text_columns(features):
        parsed = pd.to_numeric(values, errors="coerce")
        bad = parsed.isna() & values.notna()
        if 0 < bad.sum() and (1 - bad.mean()) >= _NUMERIC_SHARE:
            first = values[bad].iloc[0]
            row = values[bad].index[0]
            raise ValueError(
                f"Column {column!r} is numeric but has text values ({int(bad.sum())} of "
                f"{len(values)}, e.g. {first!r} in row {row}); {remedy}."
            )


def _check_finite_matrix(X, names) -> None:
    values = X.data if hasattr(X, "data") and not isinstance(X, np.ndarray) else X
    if not np.isfinite(values).all():
        bad = ~np.isfinite(np.asarray(X if isinstance(X, np.ndarray) else X.toarray()))
        columns = [names[j] for j in np.flatnonzero(bad.any(axis=0))]
        raise ValueError(f"Columns {_shorten(columns)} contain NaN or infinity.")


def _with_task(data: Dataset, task: str) -> Dataset:
    """Infer or check the task, and encode a classification target as 0/1."""
    y = _check_target_values(np.asarray(data.y), data.target_name)
    numeric = y.dtype.kind in "biuf"
    # Numbers are compared as numbers (0/1, 1/2, True/False), text as text.
    values = np.unique(y) if numeric else np.unique(y.astype(str))
    if values.size < 2:
        raise ValueError(
            f"The target {data.target_name!r} is constant ({values[0] if values.size else '—'}"
            "); there is nothing to predict."
        )
    task_was_auto = task == "auto" and data.task != "regression"
    if task == "auto" and data.task == "classification":
        task = "classification"  # a bundled data set that says so
    if task == "auto":
        task = "classification" if (values.size == 2 or not numeric) else "regression"
    if task == "classification":
        classes = [_label(v) for v in values]
        if values.size > 2:  # multinomial: y is the class index, classes its labels
            index = np.searchsorted(values, y if numeric else y.astype(str))
            if data.classes is not None and len(data.classes) == values.size:
                classes = list(data.classes)
            return replace(data, y=index.astype(float), task="classification", classes=classes)
        y01 = (y == values[1]) if numeric else (y.astype(str) == values[1])
        if data.task == "classification" and data.classes is not None:
            classes = data.classes  # bundled data already 0/1 with names
        return replace(data, y=np.asarray(y01, dtype=float), task="classification", classes=classes)
    if not numeric:
        raise ValueError(
            f"The target {data.target_name!r} is not numeric; use --task classification."
        )
    description = data.description
    if task_was_auto and _looks_like_class_codes(values):
        # Glass's "Type" 1…7 is a label, a count of 0…5 is a number: only the user
        # knows, so the guess is said out loud wherever the description goes (not as a
        # warning: counts are common regression targets).
        note = (
            f"the target {data.target_name!r} holds {values.size} integer values "
            f"({', '.join(_label(v) for v in values[:6])}{', …' if values.size > 6 else ''}), "
            "treated as a regression; if they are class labels, use --task classification "
            "(task='classification')"
        )
        description = f"{description}. Note: {note}"
    return replace(
        data, y=y.astype(float), task="regression", classes=None, description=description
    )


def _looks_like_class_codes(values: np.ndarray) -> bool:
    """Three to twenty distinct integer values: possibly class codes."""
    return 3 <= values.size <= 20 and bool(np.all(np.asarray(values, float) % 1 == 0))


def _label(value) -> str:
    """A class label as text: ``1`` for the integer-valued float 1.0, ``True`` for True."""
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return str(int(value))
    return str(value)


def _check_target_values(y: np.ndarray, name: str) -> np.ndarray:
    """Refuse complex, missing (NaN, None) or infinite targets, naming the count."""
    if y.dtype.kind == "c":
        raise ValueError(f"The target {name!r} is complex; give real numbers or labels.")
    if y.dtype.kind == "O":
        missing = np.array([v is None or v != v for v in y.ravel()])
        if missing.any():
            raise ValueError(
                f"The target {name!r} has {int(missing.sum())} missing values; drop those "
                "rows (--drop-missing for tables)."
            )
    if y.dtype.kind == "f" and not np.isfinite(y).all():
        bad = int(np.sum(~np.isfinite(y)))
        raise ValueError(
            f"The target {name!r} has {bad} NaN or infinite values; drop those rows "
            "(--drop-missing for tables)."
        )
    if y.ndim != 1:
        raise ValueError(f"The target {name!r} must be one column, got shape {y.shape}.")
    return y


def _isnan(y: np.ndarray) -> np.ndarray:
    return np.isnan(y) if y.dtype.kind in "fc" else np.zeros(y.shape, dtype=bool)


def _shorten(items: list, limit: int = 12) -> str:
    shown = ", ".join(repr(i) for i in items[:limit])
    return f"[{shown}{', …' if len(items) > limit else ''}]"
