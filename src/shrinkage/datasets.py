"""Data sets that ship with shrinkage (through scikit-learn, which bundles them)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class Dataset:
    """A design matrix with its target and names."""

    X: np.ndarray
    y: np.ndarray
    feature_names: list[str]
    target_name: str
    task: str  # "regression" or "classification"
    description: str
    classes: list | None = field(default=None)  # labels of 0 and 1 (classification)
    # How table columns became features: {"columns": [...], "categorical": {col: levels}}
    encoding: dict | None = field(default=None)
    name: str = ""  # short label for titles: the file name or the bundled name


def load_diabetes() -> Dataset:
    """Efron et al.'s diabetes data (n=442, p=10), the LARS paper's example."""
    from sklearn.datasets import load_diabetes as _load

    bunch = _load()
    return Dataset(
        bunch.data,
        bunch.target,
        list(bunch.feature_names),
        "disease_progression",
        "regression",
        "Diabetes progression one year after baseline (Efron et al. 2004).",
    )


def load_breast_cancer() -> Dataset:
    """Wisconsin diagnostic breast cancer (n=569, p=30), binary."""
    from sklearn.datasets import load_breast_cancer as _load

    bunch = _load()
    return Dataset(
        bunch.data,
        bunch.target.astype(float),
        list(bunch.feature_names),
        "benign",
        "classification",
        "Breast cancer diagnosis, malignant (0) or benign (1).",
        classes=["malignant", "benign"],
    )


def load_wine() -> Dataset:
    """Forina's wine recognition data (n=178, p=13), three cultivars (multi-class)."""
    from sklearn.datasets import load_wine as _load

    bunch = _load()
    return Dataset(
        bunch.data,
        bunch.target.astype(float),
        list(bunch.feature_names),
        "cultivar",
        "classification",
        "Wine cultivar from 13 chemical measurements (Forina et al.), 3 classes.",
        classes=[str(c) for c in bunch.target_names],
    )


BUNDLED = {"diabetes": load_diabetes, "breast_cancer": load_breast_cancer, "wine": load_wine}


def load(name: str) -> Dataset:
    """Load a bundled data set by name (``diabetes`` or ``breast_cancer``)."""
    try:
        data = BUNDLED[name]()
    except KeyError:
        raise ValueError(
            f"Unknown bundled data set {name!r}; choose one of {sorted(BUNDLED)}."
        ) from None
    data.name = name
    return data
