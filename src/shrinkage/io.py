"""Reading the user's data: files and DataFrames into a :class:`~shrinkage.datasets.Dataset`.

Formats: CSV / TSV (any delimiter pandas can sniff; ``--sep``, ``--decimal`` and
``--encoding`` for the others), Parquet, svmlight / libsvm and ``.npz``; in Python also
pandas and polars DataFrames. A file is checked before it is read (absent, a folder,
empty, unreadable), and a table that a wrong separator or decimal mark has garbled is
refused with the fix. The columns of a table become features in
:mod:`shrinkage.features`.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .datasets import BUNDLED, Dataset, load

# Reading a table ends in encoding its columns (read_data); the column names, the share
# of numbers that makes a column numeric and the finite check are the encoder's, so that
# reading and prediction agree.
from .features import (
    _NUMERIC_SHARE,
    MAX_LEVELS,
    _check_finite_matrix,
    _from_frame,
    _normalized,
    _text_columns,
    _with_task,
    normalized_columns,
)

# Re-exported: shrinkage.io's names from before the encoder had its own module.
from .features import encode_features as encode_features
from .features import encoded_levels as encoded_levels
from .features import feature_names_of_encoding as feature_names_of_encoding

TASKS = ("auto", "regression", "classification")
_TABLE_SUFFIXES = {".csv": ",", ".tsv": "\t", ".tab": "\t", ".txt": None}
_SVMLIGHT_SUFFIXES = {".svm", ".svmlight", ".libsvm"}
# Checked before anything is allocated: the largest feature index of an svmlight file
# (one column and one name each).
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
