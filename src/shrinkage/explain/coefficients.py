"""The coefficient table: one row per feature, one column per method, on the
standardized scale and in the data's own units.

The models are fitted on standardized columns ``z_j = (x_j − m_j)/s_j`` (training
mean and standard deviation), so with ``η = b₀ + Σ b_j z_j``

.. math::

    \\beta_j = b_j / s_j,\\qquad \\beta_0 = b_0 − \\sum_j b_j m_j / s_j

are the same model in original units (per unit of ``x_j``; for a one-hot level, the
difference that level makes). Exact zeros stay exact zeros.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np


def original_units(coef_std, intercept_std, mean, scale):
    """``(β₀, β)`` in original units from the standardized ``(b₀, b)``."""
    coef_std = np.asarray(coef_std, dtype=float)
    beta = coef_std / scale
    return float(intercept_std - beta @ mean), beta


def table(models: dict, names: list[str], mean, scale, stability: dict | None = None) -> dict:
    """``{"features", "methods", "standardized", "original", "intercept_original",
    "selection_frequency"}`` with ``standardized[method]`` a list aligned with ``features``."""
    out = {"features": list(names), "methods": list(models), "standardized": {}, "original": {}}
    out["intercept_original"] = {}
    for method, row in models.items():
        b = np.array([row["coef"][n] for n in names])
        b0, beta = original_units(b, row.get("intercept", 0.0) or 0.0, mean, scale)
        out["standardized"][method] = b.tolist()
        out["original"][method] = beta.tolist()
        out["intercept_original"][method] = b0
    out["selection_frequency"] = {
        m: [freq.get(n) for n in names] for m, freq in (stability or {}).items()
    }
    return out


def write_csv(coefs: dict, path: Path) -> None:
    """``coefficients.csv``: feature, then ``<method> (standardized)`` and
    ``<method> (original units)`` per method, then the selection frequencies; the first
    row is the intercept (original units only)."""
    methods = coefs["methods"]
    freq = coefs["selection_frequency"]
    header = ["feature"]
    header += [f"{m} (standardized)" for m in methods]
    header += [f"{m} (original units)" for m in methods]
    header += [f"{m} selection frequency" for m in freq]
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerow(
            ["(intercept)"]
            + ["" for _ in methods]
            + [repr(float(coefs["intercept_original"][m])) for m in methods]
            + ["" for _ in freq]
        )
        for k, name in enumerate(coefs["features"]):
            writer.writerow(
                [name]
                + [_number(coefs["standardized"][m][k]) for m in methods]
                + [_number(coefs["original"][m][k]) for m in methods]
                + [_number(freq[m][k]) for m in freq]
            )


def _number(value) -> str:
    if value is None:
        return ""
    value = float(value)
    return "0" if value == 0 else repr(value)
