"""Data for ``shrinkage nn``: scikit-learn's digits, Fashion-MNIST IDX files, or a CSV file.

NumPy only (no torch): every loader returns a :class:`Split` of float32 features and int64
class labels ``0..n_classes-1``. A CSV is read by :func:`shrinkage.io.read_frame` (pandas).
"""

from __future__ import annotations

import gzip
import math
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..io import TableFormat, read_frame

__all__ = [
    "Split",
    "load_csv",
    "load_digits_split",
    "load_fashion_mnist",
    "read_idx",
]


@dataclass(frozen=True)
class Split:
    """A classification data set, split into training and test rows.

    Parameters
    ----------
    name : str
    X_train, y_train : ndarray
        Training features (float32) and class codes ``0 .. n_classes - 1``.
    X_test, y_test : ndarray
    n_classes : int
    description : str, default=""
        Where the data come from, for reports.
    image_shape : tuple of int, optional
        ``(height, width)`` when each row is an image (for weight pictures).
    """

    name: str
    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    n_classes: int
    description: str = ""
    image_shape: tuple[int, int] | None = None  # for pictures of the inputs kept

    @property
    def n_train(self) -> int:
        return self.X_train.shape[0]

    @property
    def n_features(self) -> int:
        return self.X_train.shape[1]

    @property
    def n_constant_features(self) -> int:
        """Features constant on the training rows: any penalty drops them for free."""
        return int(np.sum(np.ptp(self.X_train, axis=0) == 0))


def _subsample(n_available: int, n: int | None, rng: np.random.Generator, what: str) -> np.ndarray:
    if n is None:
        return np.arange(n_available)
    if n < 1 or n > n_available:
        raise ValueError(f"{what} must lie in [1, {n_available}], got {n}.")
    return np.sort(rng.choice(n_available, size=n, replace=False))


def load_digits_split(n_train: int = 1000, seed: int = 0, n_test: int | None = None) -> Split:
    """scikit-learn's 8x8 digits (1797 images), pixels scaled to [0, 1].

    ``n_train`` random rows train; the others (or ``n_test`` of them) test.

    Parameters
    ----------
    n_train : int, default=1000
        Training rows, drawn at random.
    seed : int, default=0
        Seed of the draw.
    n_test : int, optional
        Test rows among the others (default: all of them).

    Returns
    -------
    Split
    """
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    if not 1 <= n_train < len(X):
        raise ValueError(f"n_train must lie in [1, {len(X) - 1}] for digits, got {n_train}.")
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(X))
    train, rest = order[:n_train], order[n_train:]
    test = rest[_subsample(len(rest), n_test, rng, "n_test")]
    X = (X / 16.0).astype(np.float32)
    return Split(
        "digits",
        X[train],
        y[train].astype(np.int64),
        X[test],
        y[test].astype(np.int64),
        10,
        f"scikit-learn digits: {n_train} training / {len(test)} test images of 8x8 pixels",
        (8, 8),
    )


_IDX_DTYPES = {
    0x08: np.dtype(np.uint8),
    0x09: np.dtype(np.int8),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}


def read_idx(path: str | Path) -> np.ndarray:
    """Read an IDX file (the MNIST / Fashion-MNIST format), gzipped or not.

    Format: two zero bytes, a type byte (0x08 ubyte, 0x09 byte, 0x0B int16, 0x0C int32,
    0x0D float32, 0x0E float64), the number of dimensions ``d``, ``d`` big-endian int32
    sizes, then the data in C order. A ``.gz`` suffix (or the gzip magic bytes) means gzip.

    Parameters
    ----------
    path : str or Path

    Returns
    -------
    ndarray
        Of the file's dtype and shape.
    """
    path = Path(path)
    with open(path, "rb") as f:
        head = f.read(2)
    opener = gzip.open if head == b"\x1f\x8b" else open
    try:
        with opener(path, "rb") as f:
            raw = f.read()
    # A download cut short ends the gzip stream early (EOFError); damaged bytes fail the
    # decompression (zlib.error) or the checksum (BadGzipFile). Name the file, not the codec.
    except (EOFError, zlib.error, gzip.BadGzipFile) as error:
        raise ValueError(
            f"{path}: the gzip file is truncated or corrupt ({error}); download it again."
        ) from None
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in _IDX_DTYPES:
        raise ValueError(f"{path} is not an IDX file (bad magic number {raw[:4]!r}).")
    dtype, ndim = _IDX_DTYPES[raw[2]], raw[3]
    if len(raw) < 4 + 4 * ndim:
        raise ValueError(
            f"{path}: the header announces {ndim} dimensions but the file ends before their "
            "sizes; the file is truncated or corrupt."
        )
    shape = tuple(int(s) for s in np.frombuffer(raw, ">i4", count=ndim, offset=4))
    offset = 4 + 4 * ndim
    expected = math.prod(shape) * dtype.itemsize
    if len(raw) - offset != expected:
        raise ValueError(
            f"{path}: the header says {shape} of {dtype} ({expected} bytes) but "
            f"{len(raw) - offset} bytes follow; the file is truncated or corrupt."
        )
    data = np.frombuffer(raw, dtype, offset=offset).reshape(shape)
    return data.astype(dtype.newbyteorder("="))


def _find_idx(folder: Path, prefix: str, kind: str, ndim: int) -> Path:
    names = [f"{prefix}-{kind}-idx{ndim}-ubyte", f"{prefix}-{kind}.idx{ndim}-ubyte"]
    for name in names:
        for candidate in (folder / name, folder / f"{name}.gz"):
            if candidate.is_file():
                return candidate
    raise ValueError(
        f"no {names[0]}[.gz] in {folder}. Point --fashion-mnist at the folder holding the four "
        "IDX files (the Debian package dataset-fashion-mnist installs them in "
        "/usr/share/datasets/fashion-mnist)."
    )


def _check_images_and_labels(
    image_file: Path, images: np.ndarray, label_file: Path, labels: np.ndarray
) -> None:
    """Refuse image and label files that cannot be one labelled image set."""
    if images.ndim != 3:
        raise ValueError(
            f"{image_file}: expected images (n, height, width), got shape {images.shape}."
        )
    if labels.ndim != 1:
        raise ValueError(f"{label_file}: expected one label per image, got shape {labels.shape}.")
    if len(images) != len(labels):
        raise ValueError(
            f"{image_file.name} holds {len(images)} images but {label_file.name} "
            f"{len(labels)} labels; the two files must come from the same data set."
        )
    if len(images) == 0:
        raise ValueError(f"{image_file}: no images.")
    # Class codes index the network's outputs: a float or negative label has no output.
    if labels.dtype.kind not in "iu" or labels.min() < 0:
        raise ValueError(
            f"{label_file}: labels must be non-negative integers (class codes), got "
            f"{labels.dtype} values from {labels.min()} to {labels.max()}."
        )


def _check_same_image_size(
    train_file: Path, train_shape: tuple[int, ...], test_file: Path, test_shape: tuple[int, ...]
) -> None:
    """The network reads every pixel: training and test images must have the same size."""
    if tuple(train_shape) != tuple(test_shape):
        raise ValueError(
            f"{train_file.parent}: the training images ({train_file.name}) are "
            f"{train_shape[0]}x{train_shape[1]} pixels but the test images ({test_file.name}) "
            f"{test_shape[0]}x{test_shape[1]}; the four files must come from the same data set."
        )


def load_fashion_mnist(
    folder: str | Path, n_train: int | None = 1000, n_test: int | None = None, seed: int = 0
) -> Split:
    """Fashion-MNIST (or MNIST) from a folder of IDX files, pixels scaled to [0, 1].

    Reads ``train-images-idx3-ubyte``, ``train-labels-idx1-ubyte``,
    ``t10k-images-idx3-ubyte`` and ``t10k-labels-idx1-ubyte``, each possibly ``.gz``.
    ``n_train`` / ``n_test`` random rows of the official training / test sets (``None``: all).

    Parameters
    ----------
    folder : str or Path
        The folder holding the four IDX files.
    n_train : int or None, default=1000
        Rows drawn from the training set; None keeps all 60000.
    n_test : int or None, default=None
        Rows drawn from the test set; None keeps all 10000.
    seed : int, default=0
        Seed of the draws.

    Returns
    -------
    Split
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise ValueError(f"{folder} is not a folder (--fashion-mnist takes the folder).")
    rng = np.random.default_rng(seed)
    parts = {}
    image_files = {}
    for prefix in ("train", "t10k"):
        image_files[prefix] = _find_idx(folder, prefix, "images", 3)
        label_file = _find_idx(folder, prefix, "labels", 1)
        images, labels = read_idx(image_files[prefix]), read_idx(label_file)
        _check_images_and_labels(image_files[prefix], images, label_file, labels)
        if prefix == "t10k":  # else the first evaluation fails, after a training epoch
            _check_same_image_size(
                image_files["train"], parts["train"][2], image_files[prefix], images.shape[1:]
            )
        n = n_train if prefix == "train" else n_test
        rows = _subsample(len(images), n, rng, "n_train" if prefix == "train" else "n_test")
        scale = 255.0 if images.dtype == np.uint8 else 1.0
        parts[prefix] = (
            (images[rows].reshape(len(rows), -1) / scale).astype(np.float32),
            labels[rows].astype(np.int64),
            images.shape[1:],
        )
    (X_train, y_train, shape), (X_test, y_test, _) = parts["train"], parts["t10k"]
    n_classes = int(max(y_train.max(), y_test.max())) + 1
    return Split(
        "fashion-mnist",
        X_train,
        y_train,
        X_test,
        y_test,
        n_classes,
        f"Fashion-MNIST from {folder}: {len(y_train)} training / {len(y_test)} test images of "
        f"{shape[0]}x{shape[1]} pixels",
        (int(shape[0]), int(shape[1])),
    )


def _numeric_features(path: Path, features) -> np.ndarray:
    """The feature columns of a CSV as a float64 matrix: numbers, none missing."""
    import pandas as pd

    columns = []
    for name in features.columns:
        values = features[name]
        numbers = pd.to_numeric(values, errors="coerce")
        text = (numbers.isna() & values.notna()).to_numpy()
        if text.any():
            row = int(np.flatnonzero(text)[0])
            raise ValueError(
                f"{path}: row {row + 2}, column {name!r} is {values.iloc[row]!r}, not a number. "
                "Encode categorical features as numbers first."
            )
        columns.append(numbers.to_numpy(dtype=np.float64, na_value=np.nan))
    X = np.column_stack(columns)
    finite = np.isfinite(X)
    if not finite.all():
        bad = [features.columns[j] for j in np.flatnonzero(~finite.all(axis=0))]
        raise ValueError(
            f"{path}: missing or infinite feature values in {bad}; fill or drop them first."
        )
    return X


def _class_labels(path: Path, column, target: str) -> np.ndarray:
    """The target column as text labels (read as text: ``"01"`` stays ``"01"``)."""
    missing = column.isna().to_numpy()
    if missing.any():
        raise ValueError(
            f"{path}: the target {target!r} is missing in {int(missing.sum())} rows (the first "
            f"is row {int(np.flatnonzero(missing)[0]) + 2}); drop those rows first."
        )
    return column.astype(str).str.strip().to_numpy(dtype=str)


def _fractional_numbers(labels: np.ndarray, decimal: str) -> np.ndarray:
    """Which labels are finite numbers with a fractional part; none when any is a name."""
    try:
        numbers = np.array([float(v.replace(decimal, ".")) for v in labels])
    except ValueError:
        return np.zeros(len(labels), dtype=bool)
    finite = np.isfinite(numbers)
    return finite & (np.where(finite, numbers, 0) % 1 != 0)


def _check_class_labels(path: Path, target: str, labels: np.ndarray, decimal: str) -> None:
    """Refuse a target that is not a class label: ``shrinkage nn`` classifies.

    Each distinct value becomes a class (a network output), and a class needs rows to learn
    from and rows to test on. A measurement or an ID gives classes of one row each, hence
    two refusals: numbers with fractions of which some value occurs in a single row (class
    codes are names or integers, and repeat: ``0.5`` / ``1.5`` codes pass), and, for any
    labels, more classes than half the rows (fewer than two rows per class on average).
    """
    classes, counts = np.unique(labels, return_counts=True)
    fractional = _fractional_numbers(labels, decimal)
    single = int(np.sum(counts == 1))
    if fractional.any() and single:
        example = labels[np.flatnonzero(fractional)[0]]
        raise ValueError(
            f"{path}: the target {target!r} holds numbers with fractions (e.g. {example}), "
            f"{len(classes)} distinct values in {len(labels)} rows, {single} of them in a "
            "single row: a continuous target, but shrinkage nn classifies. Give a column of "
            "class labels; shrinkage fit fits a regression."
        )
    if 2 * len(classes) > len(labels):
        raise ValueError(
            f"{path}: the target {target!r} has {len(classes)} classes in {len(labels)} rows, "
            "fewer than 2 rows per class: a measurement or an ID, not a class label "
            "(shrinkage nn classifies, and a class needs rows to learn from and rows to "
            "test on). Give a column of class labels."
        )


def load_csv(
    path: str | Path,
    target: str,
    *,
    test_fraction: float = 0.25,
    n_train: int | None = None,
    n_test: int | None = None,
    seed: int = 0,
    table_format: TableFormat | None = None,
) -> Split:
    """A CSV file with a header row: ``target`` is the class column, the others features.

    Features must be numbers (they are standardized with the training rows' mean and
    standard deviation); the target may be any labels. A stratified ``test_fraction`` of
    the rows (or ``n_test`` rows) tests; ``n_train`` keeps that many of the remaining rows.
    The split is stratified by class when every class can be on both sides, random otherwise.
    The file is read by :func:`shrinkage.io.read_frame`, as ``shrinkage fit`` reads tables,
    with the same messages for a wrong encoding, separator or decimal mark.

    Parameters
    ----------
    path : str or Path
    target : str
        Name of the class column.
    test_fraction : float, default=0.25
        Share of the rows held out for testing, stratified by class.
    n_train : int, optional
        Keep this many training rows (default: all the others).
    n_test : int, optional
        Hold out exactly this many rows for testing instead of ``test_fraction`` of them,
        as ``n_test`` means for the image data sets.
    seed : int, default=0
        Seed of the split.
    table_format : TableFormat, optional
        Field separator, decimal mark and text encoding of the file
        (:class:`shrinkage.io.TableFormat`; default: ``,`` for a ``.csv`` file, ``.`` and
        UTF-8).

    Returns
    -------
    Split

    Raises
    ------
    ValueError
        For a file that cannot be read as such a table, and for a target that is not a
        class label: numbers with fractions, some of them in a single row (a continuous
        target), or more classes than half the rows (fewer than two rows per class; a class
        needs rows to learn from and rows to be tested on).
    """
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"{path}: no such file (--csv takes a CSV file with a header row).")
    if not 0 < test_fraction < 1:
        raise ValueError(f"test_fraction must lie in (0, 1), got {test_fraction!r}.")
    table_format = table_format or TableFormat()
    frame = read_frame(path, text_columns=[target], table_format=table_format)
    frame.columns = [str(c).strip() for c in frame.columns]
    if len(frame) < 2:
        raise ValueError(f"{path}: need a header row and at least two data rows.")
    header = list(frame.columns)
    if target not in header:
        raise ValueError(f"{path}: no column {target!r} (--target); columns are {header}.")
    features = [h for h in header if h != target]
    if not features:
        raise ValueError(f"{path}: no feature columns besides the target {target!r}.")
    X = _numeric_features(path, frame[features])
    labels = _class_labels(path, frame[target], target)
    classes, y = np.unique(labels, return_inverse=True)
    if len(classes) < 2:
        raise ValueError(f"{path}: the target {target!r} has a single class.")
    _check_class_labels(path, target, labels, table_format.decimal)
    from sklearn.model_selection import train_test_split

    if n_test is not None and not 1 <= n_test <= len(y) - 1:
        raise ValueError(
            f"n_test must lie in [1, {len(y) - 1}] for {path.name} ({len(y)} rows), got {n_test}."
        )
    n_held_out = n_test if n_test is not None else math.ceil(test_fraction * len(y))
    # Stratifying needs every class twice, and room for every class on both sides;
    # scikit-learn raises otherwise, so the split is then simply random.
    counts = np.bincount(y)
    can_stratify = counts.min() >= 2 and len(classes) <= min(n_held_out, len(y) - n_held_out)
    train, test = train_test_split(
        np.arange(len(y)),
        test_size=n_test if n_test is not None else test_fraction,
        random_state=seed,
        stratify=y if can_stratify else None,
    )
    rng = np.random.default_rng(seed)
    train = np.sort(train[_subsample(len(train), n_train, rng, "n_train")])
    mean, scale = X[train].mean(axis=0), X[train].std(axis=0)
    scale[scale == 0] = 1.0
    Xs = ((X - mean) / scale).astype(np.float32)
    return Split(
        "csv",
        Xs[train],
        y[train].astype(np.int64),
        Xs[np.sort(test)],
        y[np.sort(test)].astype(np.int64),
        len(classes),
        f"{path.name}: {len(train)} training / {len(test)} test rows, {len(features)} "
        f"standardized features, target {target!r} with {len(classes)} classes",
    )
