"""Data for ``shrinkage nn``: scikit-learn's digits, Fashion-MNIST IDX files, or a CSV file.

NumPy only (no torch): every loader returns a :class:`Split` of float32 features and int64
class labels ``0..n_classes-1``.
"""

from __future__ import annotations

import csv
import gzip
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

__all__ = ["Split", "load_csv", "load_digits_split", "load_fashion_mnist", "read_idx"]


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
    with opener(path, "rb") as f:
        raw = f.read()
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in _IDX_DTYPES:
        raise ValueError(f"{path} is not an IDX file (bad magic number {raw[:4]!r}).")
    dtype, ndim = _IDX_DTYPES[raw[2]], raw[3]
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
    for prefix in ("train", "t10k"):
        images = read_idx(_find_idx(folder, prefix, "images", 3))
        labels = read_idx(_find_idx(folder, prefix, "labels", 1))
        if images.ndim != 3 or labels.ndim != 1 or len(images) != len(labels):
            raise ValueError(
                f"{folder}: {prefix} images {images.shape} and labels {labels.shape} do not match."
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


def load_csv(
    path: str | Path,
    target: str,
    *,
    test_fraction: float = 0.25,
    n_train: int | None = None,
    seed: int = 0,
) -> Split:
    """A CSV file with a header row: ``target`` is the class column, the others features.

    Features must be numbers (they are standardized with the training rows' mean and
    standard deviation); the target may be any labels. A stratified ``test_fraction`` of
    the rows tests; ``n_train`` keeps that many of the remaining rows.

    Parameters
    ----------
    path : str or Path
    target : str
        Name of the class column.
    test_fraction : float, default=0.25
        Share of the rows held out for testing, stratified by class.
    n_train : int, optional
        Keep this many training rows (default: all the others).
    seed : int, default=0
        Seed of the split.

    Returns
    -------
    Split
    """
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"{path}: no such file (--csv takes a CSV file with a header row).")
    if not 0 < test_fraction < 1:
        raise ValueError(f"test_fraction must lie in (0, 1), got {test_fraction!r}.")
    with open(path, newline="", encoding="utf-8-sig") as f:  # (a spreadsheet's BOM too)
        rows = list(csv.reader(f))
    if len(rows) < 3:
        raise ValueError(f"{path}: need a header row and at least two data rows.")
    header, body = [h.strip() for h in rows[0]], [r for r in rows[1:] if r]
    if target not in header:
        raise ValueError(f"{path}: no column {target!r} (--target); columns are {header}.")
    t = header.index(target)
    features = [h for k, h in enumerate(header) if k != t]
    if not features:
        raise ValueError(f"{path}: no feature columns besides the target {target!r}.")
    X = np.empty((len(body), len(features)), dtype=np.float64)
    labels = []
    for i, row in enumerate(body):
        if len(row) != len(header):
            raise ValueError(
                f"{path}: row {i + 2} has {len(row)} fields, the header {len(header)}."
            )
        labels.append(row[t].strip())
        values = [v for k, v in enumerate(row) if k != t]
        for j, value in enumerate(values):
            try:
                X[i, j] = float(value)
            except ValueError:
                raise ValueError(
                    f"{path}: row {i + 2}, column {features[j]!r} is {value!r}, not a number. "
                    "Encode categorical features as numbers first."
                ) from None
    if not np.all(np.isfinite(X)):
        raise ValueError(f"{path}: missing or infinite feature values; fill or drop them first.")
    classes, y = np.unique(np.asarray(labels), return_inverse=True)
    if len(classes) < 2:
        raise ValueError(f"{path}: the target {target!r} has a single class.")
    from sklearn.model_selection import train_test_split

    counts = np.bincount(y)
    stratify = y if counts.min() >= 2 else None
    train, test = train_test_split(
        np.arange(len(y)), test_size=test_fraction, random_state=seed, stratify=stratify
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
