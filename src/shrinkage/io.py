"""Reading the user's data: files and DataFrames into a :class:`~shrinkage.datasets.Dataset`.

Formats: CSV / TSV (any delimiter pandas can sniff), Parquet, svmlight / libsvm and
``.npz``; in Python also pandas and polars DataFrames. Categorical columns are one-hot
encoded with readable names (``color=red``), the target is chosen by name, the task
(regression or binary classification) is inferred and can be overridden, and missing
values are reported by column with counts. The feature names travel with the data to
every table and figure.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from .datasets import BUNDLED, Dataset, load

TASKS = ("auto", "regression", "classification")
_TABLE_SUFFIXES = {".csv": ",", ".tsv": "\t", ".tab": "\t", ".txt": None}
_SVMLIGHT_SUFFIXES = {".svm", ".svmlight", ".libsvm"}
# An object column whose values parse as numbers this often is a numeric column
# with stray text (a typo, "n/a"), not a categorical one.
_NUMERIC_SHARE = 0.9
# A UTF-8 byte-order mark (Notepad writes one), never part of a column name.
_BOM = "\ufeff"
# Checked before anything is allocated: categories per text column (one-hot columns),
# and the largest feature index of an svmlight file (one column and one name each).
MAX_LEVELS = 1000
MAX_SVMLIGHT_FEATURES = 1_000_000


@dataclass(frozen=True)
class TableFormat:
    """How a CSV/TSV file is written: its field separator (None: by its suffix, a
    ``.txt`` sniffed), decimal mark and text encoding. A European spreadsheet's export
    is ``TableFormat(sep=";", decimal=",", encoding="cp1252")``."""

    sep: str | None = None
    decimal: str = "."
    encoding: str = "utf-8"

    def __post_init__(self):
        import codecs

        if self.sep is not None and len(self.sep) != 1:
            raise ValueError(f"sep must be one character, got {self.sep!r}.")
        if len(self.decimal) != 1 or self.decimal == self.sep:
            raise ValueError(
                f"decimal must be one character other than the separator, got {self.decimal!r}."
            )
        try:
            codecs.lookup(self.encoding)
        except LookupError:
            raise ValueError(
                f"Unknown text encoding {self.encoding!r}; e.g. utf-8, cp1252, latin-1."
            ) from None


def add_table_format_arguments(parser) -> None:
    """Add ``--sep``, ``--decimal`` and ``--encoding`` (a table file's
    :class:`TableFormat`) to an ``argparse`` parser, for every command that reads one.

    Parameters
    ----------
    parser : argparse.ArgumentParser
    """
    parser.add_argument(
        "--sep",
        help="field separator of a CSV/TSV file (default: ',' for .csv, tab for .tsv; "
        "';' for a European spreadsheet's export)",
    )
    parser.add_argument(
        "--decimal", default=".", help="decimal mark of its numbers (default '.'; or ',')"
    )
    parser.add_argument(
        "--encoding",
        default="utf-8",
        help="its text encoding (default utf-8; e.g. cp1252 or latin-1)",
    )


def table_format_from_arguments(args) -> TableFormat:
    """The :class:`TableFormat` of parsed :func:`add_table_format_arguments` options
    (``--sep tab`` or ``\\t`` is a tab).

    Parameters
    ----------
    args : argparse.Namespace

    Returns
    -------
    TableFormat
    """
    sep = "\t" if args.sep in ("\\t", "tab") else args.sep
    return TableFormat(sep=sep, decimal=args.decimal, encoding=args.encoding)


def read_data(
    source,
    *,
    target: str | None = None,
    task: str = "auto",
    drop_missing: bool = False,
    max_levels: int = MAX_LEVELS,
    drop_columns=(),
    table_format: TableFormat | None = None,
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
    max_levels : int
        The most categories a text column may have; more (an ID column, free text)
        is an error before the one-hot matrix is allocated. So is a text column with a
        different value in every one of 20 or more rows (an ID, a date).
    drop_columns : sequence of str
        Table columns to leave out (an ID column, a leak of the target). Naming a
        column the table lacks, or the target, is an error.
    table_format : TableFormat, optional
        Separator, decimal mark and encoding of a CSV/TSV file (default: by its
        suffix, ``.`` and UTF-8).

    Returns

    Notes
    -----
    A text column with two values becomes one indicator column, ``column=level`` for
    the second level in sorted order: its two one-hot columns would be exact mirrors
    (``x₂ = 1 − x₁``), which splits a lasso's choice arbitrarily between them. A
    column with more levels keeps one indicator per level, glmnet's practice, so that
    the penalty treats every level alike whatever the reference would have been.
    -------
    Dataset
    """
    if task not in TASKS:
        raise ValueError(f"task must be one of {TASKS}, got {task!r}.")
    drop_columns = _check_drop_columns(drop_columns)
    if _is_dataframe(source):
        return _from_frame(
            _to_pandas(source), target, task, drop_missing, "DataFrame", max_levels, drop_columns
        )
    if isinstance(source, str) and source in BUNDLED and not Path(source).exists():
        _refuse_drop_without_table(drop_columns, source)
        data = load(source)
        return _with_task(data, task)
    path = Path(source)
    if not path.exists():
        raise ValueError(
            f"No such file: {path}. Give a CSV/TSV, Parquet, svmlight or .npz file, or a "
            f"bundled data set: {', '.join(sorted(BUNDLED))}."
        )
    _check_readable_file(path)
    suffix = path.suffix.lower()
    if suffix == ".npz":
        _refuse_drop_without_table(drop_columns, path.name)
        return _with_task(_read_npz(path), task)
    if suffix in _SVMLIGHT_SUFFIXES:
        _refuse_drop_without_table(drop_columns, path.name)
        return _with_task(_read_svmlight(path), task)
    if suffix in (".parquet", ".pq"):
        frame = _read_parquet(path)
    elif suffix in _TABLE_SUFFIXES or suffix in (".gz", ".bz2", ".zip", ".xz"):
        frame = _read_table(path, table_format=table_format)
    else:
        raise ValueError(
            f"Unknown file type {suffix!r} for {path.name}; use .csv, .tsv, .txt, .parquet, "
            ".svm/.libsvm or .npz."
        )
    return _from_frame(frame, target, task, drop_missing, path.name, max_levels, drop_columns)


def _check_drop_columns(drop_columns) -> list[str]:
    if isinstance(drop_columns, str):
        drop_columns = [drop_columns]
    try:
        names = [str(c).strip() for c in drop_columns]
    except TypeError:
        raise ValueError(
            f"drop_columns must be a list of column names, got {drop_columns!r}."
        ) from None
    return [c for c in names if c]


def _refuse_drop_without_table(drop_columns: list[str], label: str) -> None:
    if drop_columns:
        raise ValueError(
            f"--drop (drop_columns=) names table columns, but {label} has no named columns; "
            "select the features before saving the file instead."
        )


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


def _check_readable_file(path: Path) -> None:
    if not path.exists():
        raise ValueError(f"No such file: {path}.")
    if path.is_dir():
        raise ValueError(f"{path} is a folder; give one data file.")
    if not os.access(path, os.R_OK):
        raise ValueError(f"{path} cannot be read (permission denied).")
    if path.stat().st_size == 0:
        raise ValueError(f"{path} is empty (0 bytes).")


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


def _read_table(path: Path, text_columns=(), table_format: TableFormat | None = None):
    import pandas as pd

    table_format = table_format or TableFormat()
    separator = table_format.sep or _TABLE_SUFFIXES.get(path.suffix.lower())
    if separator is None and path.suffix.lower() in (".gz", ".bz2", ".zip", ".xz"):
        separator = _TABLE_SUFFIXES.get(Path(path.stem).suffix.lower())
    if separator == table_format.decimal:
        raise ValueError(
            f"The decimal mark {table_format.decimal!r} is also {path.name}'s field separator; "
            "give the separator too, e.g. --sep ';' (sep=';'), the usual one with decimal "
            "commas."
        )
    options = {"decimal": table_format.decimal, "encoding": _without_bom(table_format.encoding)}
    if separator is None:
        options.update(sep=None, engine="python")
    else:
        options.update(sep=separator)
    try:
        header = _header(path, options)
        frame = pd.read_csv(path, dtype=_text_dtypes(header, text_columns), **options)
    except pd.errors.EmptyDataError:
        raise ValueError(f"{path.name} has no columns (an empty table).") from None
    except PermissionError:
        raise ValueError(f"{path.name} cannot be read (permission denied).") from None
    except UnicodeDecodeError as error:
        raise ValueError(
            f"{path.name} is not {table_format.encoding} text ({error.reason} at byte "
            f"{error.start}); give its encoding, e.g. --encoding cp1252 (encoding='cp1252') "
            "for a Windows spreadsheet's export, or save it as UTF-8."
        ) from None
    except (pd.errors.ParserError, OSError, EOFError) as error:
        # OSError/EOFError: a corrupt or truncated .gz/.bz2/.xz/.zip
        message = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise ValueError(f"{path.name} could not be read as a table: {message}") from None
    except Exception as error:  # noqa: BLE001 - zlib.error, lzma.LZMAError, zipfile errors
        raise ValueError(
            f"{path.name} could not be read as a table ({type(error).__name__}: {error})."
        ) from None
    # Checked on the header as written: pandas renames a repeated name (a, a.1).
    normalized_columns([name for name in header if name.strip()], path.name)
    frame = frame.set_axis(normalized_columns(frame.columns, path.name), axis=1)
    _check_table_format(frame, path.name, separator, table_format)
    return frame


def _without_bom(encoding: str) -> str:
    """``utf-8-sig`` for UTF-8: it drops a byte-order mark, which pandas' sniffing reader
    (a ``.txt`` file) would otherwise keep in the first column's name."""
    import codecs

    return "utf-8-sig" if codecs.lookup(encoding).name == "utf-8" else encoding


def _header(path: Path, options: dict) -> list[str]:
    """The header row as written (``" city"``), before pandas renames a repeated name
    (``a,a`` becomes ``a`` and ``a.1``); blank names are left to pandas (``Unnamed: 1``)."""
    import pandas as pd

    row = pd.read_csv(path, header=None, nrows=1, dtype=str, keep_default_na=False, **options)
    return [str(name) for name in row.iloc[0]] if len(row) else []


def _text_dtypes(header: list[str], text_columns) -> dict | None:
    """``dtype=`` reading ``text_columns`` (normalized names) as text, keyed by the names
    as the header spells them (``" city"``)."""
    wanted = set(text_columns)
    dtypes = {name: str for name in header if _normalized(name) in wanted}
    return dtypes or None


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


def _check_table_format(frame, name: str, separator, table_format: TableFormat) -> None:
    """Refuse what a wrong separator or decimal mark makes of a table, instead of
    fitting it: one column whose name holds the real separator, or numbers read as text
    because of their decimal mark or digit grouping (they would become categories)."""
    if frame.shape[1] == 1:
        header = str(frame.columns[0])
        # (each separator as the command line and the Python API spell it)
        for other, cli, api in ((";", "';'", "';'"), ("\t", "tab", "'\\t'"),
                                ("|", "'|'", "'|'"), (",", "','", "','")):
            if other != separator and other in header:
                raise ValueError(
                    f"{name} was read as one column {header[:60]!r}; its fields look "
                    f"separated by {cli}: pass --sep {cli} (sep={api}), with --decimal ',' "
                    "if its numbers use decimal commas."
                )
    decimal = table_format.decimal
    mark = "," if decimal == "." else "."  # the mark that would make numbers text
    fractions = _has_fractions(frame)
    for column, values in _text_columns(frame):
        text = values.dropna().astype(str).str.strip()
        use = _use_of_mark(text, mark, decimal)
        if use is None:
            continue
        if use == "either" and fractions:
            use = "grouping"  # the file's other numbers have fractions after `decimal`
        raise ValueError(_misread_numbers_message(column, name, text, mark, decimal, use))


def _has_fractions(frame) -> bool:
    """Whether some number column holds fractions: the decimal mark it was read with is
    then the file's."""
    for column in frame.columns:
        values = frame[column]
        if values.dtype.kind == "f" and bool((values.dropna() % 1 != 0).any()):
            return True
    return False


def _use_of_mark(text, mark: str, decimal: str) -> str | None:
    """How the numbers of a text column use ``mark`` (the decimal mark they were not
    read with): ``"decimal"`` (``98,53``), ``"grouping"`` of digits (``1,234,567``, or
    ``1,234.5`` with ``decimal`` after it), ``"either"`` (``77,429``: 77429 or 77.429), or
    None when the column is not numbers written with ``mark``."""
    m, d = re.escape(mark), re.escape(decimal)
    numbers = text[text.str.fullmatch(rf"[-+]?\d+(?:{m}\d+)*(?:{d}\d*)?")]
    marked = numbers[numbers.str.contains(mark, regex=False)]
    if not len(text) or len(numbers) < _NUMERIC_SHARE * len(text) or not len(marked):
        return None
    grouped = numbers.str.fullmatch(rf"[-+]?(?:0|[1-9]\d{{0,2}}(?:{m}\d{{3}})*)(?:{d}\d*)?")
    if not grouped.all():
        one_mark = marked.str.fullmatch(rf"[-+]?\d+{m}\d+").all()
        return "decimal" if one_mark else None
    several = (marked.str.count(m) > 1) | marked.str.contains(decimal, regex=False)
    return "grouping" if several.any() else "either"


def _misread_numbers_message(column, name: str, text, mark: str, decimal: str, use: str) -> str:
    """The one-line refusal for :func:`_use_of_mark`'s finding, with the fix."""
    example = next(v for v in text if mark in v)
    comma = mark == ","
    where = f"Column {column!r} of {name} holds numbers with"
    grouping_fix = (
        "save the file without digit grouping (a number format without a thousands "
        f"separator), or read it with pandas.read_csv(..., thousands={mark!r}) and pass "
        "the DataFrame to shrinkage.read_data"
    )
    decimal_fix = (
        "pass --decimal ',' (decimal=',') to read them as numbers"
        if comma
        else "the file's numbers use '.': drop --decimal ',' (decimal=',')"
    )
    if use == "decimal":
        marks = "commas" if comma else "points"
        return f"{where} decimal {marks} (e.g. {example!r}); {decimal_fix}."
    if use == "grouping":
        return (
            f"{where} {mark!r} grouping their digits (e.g. {example!r}), read as text; "
            f"{grouping_fix}."
        )
    return (
        f"{where} {mark!r} before three digits (e.g. {example!r}), read as text: if it groups "
        f"digits, {grouping_fix}; if it is a decimal {'comma' if comma else 'point'}, "
        f"{decimal_fix}."
    )


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
    X, y = _real_matrix(archive[x_key], path.name, x_key), np.asarray(archive[y_key])
    if X.ndim != 2 or y.ndim != 1 or X.shape[0] != y.shape[0]:
        raise ValueError(
            f"{path.name}: X must be 2-D and y 1-D with as many rows, got X {X.shape} and "
            f"y {y.shape}."
        )
    names = _npz_feature_names(archive, keys, X.shape[1], path.name)
    _check_finite_matrix(X, names)
    return Dataset(
        X, y, names, "y", "auto", f"{path.name} ({X.shape[0]}×{X.shape[1]})", name=path.name
    )


def _npz_feature_names(archive, keys, n_features: int, label: str) -> list[str]:
    if "feature_names" not in keys:
        return [f"x{j}" for j in range(n_features)]
    names = np.asarray(archive["feature_names"])
    if names.ndim != 1 or names.size != n_features:
        raise ValueError(
            f"{label}: 'feature_names' has {names.size} entries (shape {names.shape}) but X "
            f"has {n_features} columns; give one name per column."
        )
    return [str(n) for n in names]


def _real_matrix(values, label: str, key: str) -> np.ndarray:
    """An array as float64; complex or text is a clear error, not a truncation."""
    values = np.asarray(values)
    if values.dtype.kind == "c":
        raise ValueError(f"{label}: {key!r} is complex; give real numbers.")
    try:
        return values.astype(np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"{label}: {key!r} must hold numbers (dtype {values.dtype}).") from None


def read_npz_matrix(path: Path) -> np.ndarray:
    """The ``X`` of an ``.npz`` file given for prediction, checked."""
    path = Path(path)
    _check_readable_file(path)
    try:
        archive = np.load(path, allow_pickle=False)
    except Exception as error:  # noqa: BLE001
        raise ValueError(f"{path.name} is not a readable .npz file ({error}).") from None
    if "X" not in archive.files:
        raise ValueError(f"{path.name} needs an array 'X'.")
    X = _real_matrix(archive["X"], path.name, "X")
    if X.ndim != 2:
        raise ValueError(f"{path.name}: X must be 2-D, got shape {X.shape}.")
    return X


def _svmlight_largest_index(path: Path) -> int:
    """The largest feature index in an svmlight file, read as text before any matrix is
    built (a single ``2000000000:1`` would otherwise allocate 2e9 columns)."""
    import bz2
    import gzip

    opener = {".gz": gzip.open, ".bz2": bz2.open}.get(path.suffix.lower(), open)
    largest = -1
    token = re.compile(rb"(?:^|\s)(\d+):")
    with opener(path, "rb") as stream:
        for line in stream:
            line = line.split(b"#", 1)[0]
            for match in token.finditer(line):
                largest = max(largest, int(match.group(1)))
    return largest


def _read_svmlight(path: Path) -> Dataset:
    from sklearn.datasets import load_svmlight_file

    try:
        largest = _svmlight_largest_index(path)
    except (OSError, EOFError) as error:
        raise ValueError(f"{path.name} could not be read ({error}).") from None
    if largest >= MAX_SVMLIGHT_FEATURES:
        raise ValueError(
            f"{path.name} names feature index {largest}; shrinkage reads svmlight files with "
            f"indices below {MAX_SVMLIGHT_FEATURES:,} (each index is a column). Renumber the "
            "features densely."
        )
    try:
        X, y = load_svmlight_file(str(path))
    except Exception as error:  # noqa: BLE001 - sklearn raises ValueError or others
        raise ValueError(f"{path.name} is not a valid svmlight/libsvm file ({error}).") from None
    names = [f"x{j}" for j in range(X.shape[1])]
    return Dataset(
        X.tocsc(), y, names, "y", "auto", f"{path.name} ({X.shape[0]}×{X.shape[1]})", name=path.name
    )


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
        + (f", {int(missing.sum())} missing values dropped" if len(missing) else "")
    )
    data = Dataset(
        X, y_raw.to_numpy(), names, target, "auto", description, encoding=encoding, name=label
    )
    return _with_task(data, task)


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


def read_frame(path, text_columns=(), table_format: TableFormat | None = None) -> object:
    """A table file (CSV/TSV/Parquet) as a pandas DataFrame, with clear errors.

    Column names are :func:`normalized_columns` (no surrounding spaces or byte-order
    mark; repeated names refused). ``text_columns`` (normalized names) are read as text,
    so that a level such as ``"01"`` is not parsed as the number 1; ``table_format`` as
    :func:`read_data`'s.
    """
    path = Path(path)
    if not path.exists():
        raise ValueError(f"No such file: {path}.")
    _check_readable_file(path)
    if path.suffix.lower() in (".parquet", ".pq"):
        frame = _read_parquet(path)
        frame = frame.set_axis(normalized_columns(frame.columns, path.name), axis=1)
        for column in set(text_columns) & set(frame.columns):
            frame[column] = frame[column].map(lambda v: v if v is None else str(v))
        return frame
    return _read_table(path, text_columns=text_columns, table_format=table_format)


def _text_columns(frame):
    """``(name, values)`` of the columns of ``frame`` read as text (object or string)."""
    import pandas as pd

    for column in frame.columns:
        values = frame[column]
        if values.dtype == object or pd.api.types.is_string_dtype(values.dtype):
            yield column, values


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
