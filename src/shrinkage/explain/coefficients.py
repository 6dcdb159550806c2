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


INTERCEPT_LABEL = "(intercept)"


def write_csv(coefs: dict, path: Path) -> None:
    """``coefficients.csv``: feature, then ``<method> (standardized)`` and
    ``<method> (original units)`` per method, then the selection frequencies, and last
    ``kind``: ``intercept`` or ``feature``.

    The intercept rows come first, named ``(intercept)`` (one per class for a
    multinomial model, ``(intercept) [class]``; none for a Cox model), with the
    original-units values only. A feature of the data may itself be named
    ``(intercept)``: ``kind`` is the one unambiguous way to tell the rows apart (the
    column is last, so readers that address columns by name are unchanged).
    ``coefs["intercept_rows"]`` (``{label: {method: value}}``), where given, replaces
    the single row built from ``coefs["intercept_original"]``; a row with no finite
    value (no intercept in the model) is left out.
    """
    methods = coefs["methods"]
    freq = coefs["selection_frequency"]
    header = ["feature"]
    header += [f"{m} (standardized)" for m in methods]
    header += [f"{m} (original units)" for m in methods]
    header += [f"{m} selection frequency" for m in freq]
    header += ["kind"]
    intercepts = coefs.get("intercept_rows") or {
        INTERCEPT_LABEL: coefs.get("intercept_original") or {}
    }
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        for label, values in intercepts.items():
            cells = [values.get(m) for m in methods]
            if not any(v is not None and np.isfinite(float(v)) for v in cells):
                continue
            writer.writerow(
                [label]
                + ["" for _ in methods]
                + [_number(v) for v in cells]
                + ["" for _ in freq]
                + ["intercept"]
            )
        for k, name in enumerate(coefs["features"]):
            writer.writerow(
                [name]
                + [_number(coefs["standardized"][m][k]) for m in methods]
                + [_number(coefs["original"][m][k]) for m in methods]
                + [_number(freq[m][k]) for m in freq]
                + ["feature"]
            )


def _number(value) -> str:
    if value is None:
        return ""
    value = float(value)
    return "0" if value == 0 else repr(value)
