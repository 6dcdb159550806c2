"""Collinearity of the *data*, not of our encoding.

One-hot encoding every level of a categorical column beside an intercept makes the
columns of that factor sum to 1: an exact collinearity that says nothing about the
data. The diagnostics here use reference coding (the first level of each categorical
column dropped) and the generalized variance inflation factor of Fox & Monette (1992,
*JASA* 87:178) per original column ``j`` with ``d_j`` design columns:

.. math::

    \\mathrm{GVIF}_j = \\frac{\\det R_{jj}\\,\\det R_{-j,-j}}{\\det R},

``R`` the correlation matrix of the reference-coded design. It does not depend on
which level is the reference, it is the ordinary VIF ``1/(1 − R_j²)`` for a numeric
column, and ``GVIF^{1/(2d)}`` (what R's ``car::vif`` prints) is on the scale of
``√VIF`` so that columns with different ``d`` compare.
"""

from __future__ import annotations

import numpy as np


def column_groups(
    names: list[str], encoding: dict | None
) -> tuple[dict[str, list[int]], list[int]]:
    """Original column → indices of its reference-coded features in ``names``, and the
    indices kept (every numeric feature, all levels but the first present of a factor)."""
    groups: dict[str, list[int]] = {}
    position = {name: k for k, name in enumerate(names)}
    claimed = set()
    if encoding:
        for column in encoding["columns"]:
            levels = encoding["categorical"].get(column)
            if levels:
                present = [
                    position[f"{column}={lv}"] for lv in levels if f"{column}={lv}" in position
                ]
                if len(present) > 0:
                    claimed.update(present)
                    groups[column] = present[1:] if len(present) > 1 else present
            elif column in position:
                claimed.add(position[column])
                groups[column] = [position[column]]
    for k, name in enumerate(names):
        if k not in claimed:
            groups[name] = [k]
    groups = {c: idx for c, idx in groups.items() if idx}
    kept = sorted(k for idx in groups.values() for k in idx)
    return groups, kept


def _logdet(matrix: np.ndarray) -> float:
    if matrix.size == 0:
        return 0.0
    sign, value = np.linalg.slogdet(matrix)
    return float(value) if sign > 0 else -np.inf


def generalized_vif(X: np.ndarray, groups: dict[str, list[int]]) -> dict[str, dict]:
    """``{column: {"gvif", "df", "gvif_adjusted"}}`` with ``gvif_adjusted = GVIF^{1/(2·df)}``.

    ``X`` holds the columns named by ``groups`` (any scaling; only correlations matter).
    An exactly collinear design gives ``inf`` for the columns involved.
    """
    kept = sorted(k for idx in groups.values() for k in idx)
    where = {k: i for i, k in enumerate(kept)}
    R = np.nan_to_num(np.corrcoef(X[:, kept], rowvar=False))
    R = np.atleast_2d(R)
    total = _logdet(R)
    out = {}
    for column, idx in groups.items():
        inside = [where[k] for k in idx]
        outside = [i for i in range(len(kept)) if i not in set(inside)]
        if total == -np.inf:
            log_gvif = np.inf
        else:
            log_gvif = (
                _logdet(R[np.ix_(inside, inside)]) + _logdet(R[np.ix_(outside, outside)]) - total
            )
        gvif = float(np.exp(min(log_gvif, 700.0))) if np.isfinite(log_gvif) else np.inf
        df = len(idx)
        out[column] = {"gvif": gvif, "df": df, "gvif_adjusted": gvif ** (1.0 / (2 * df))}
    if total == -np.inf:  # only the columns in an exact dependence are infinite
        null = _null_directions(R)
        for column, idx in groups.items():
            inside = [where[k] for k in idx]
            if not np.any(np.abs(null[inside]) > 1e-8):
                rest = [i for i in range(len(kept)) if i not in set(inside)]
                # conditional on the rest being independent of this column's part: finite
                out[column] = _finite_gvif(R, inside, rest, len(idx))
    return out


def _null_directions(R):
    values, vectors = np.linalg.eigh(R)
    small = values < 1e-10 * max(values.max(), 1e-300)
    return np.abs(vectors[:, small]).sum(axis=1) if small.any() else np.zeros(R.shape[0])


def _finite_gvif(R, inside, outside, df):
    """GVIF with pseudo-determinants of the singular rest (its dependence is not ours)."""

    def pdet(M):
        v = np.linalg.eigvalsh(M)
        v = v[v > 1e-10 * max(v.max(), 1e-300)]
        return float(np.sum(np.log(v)))

    value = np.exp(pdet(R[np.ix_(inside, inside)]) + pdet(R[np.ix_(outside, outside)]) - pdet(R))
    return {"gvif": float(value), "df": df, "gvif_adjusted": float(value ** (1 / (2 * df)))}


def diagnose(X, names, encoding, lasso_coef, ridge_coef) -> dict:
    """``{"max_gvif", "columns", "gvif", "df", "condition_number", "most_correlated_pair"}``
    on the reference-coded design; the most correlated pair is taken between features of
    *different* original columns (levels of one factor are correlated by construction)."""
    groups, kept = column_groups(names, encoding)
    gv = generalized_vif(X, groups) if len(groups) >= 2 else {}
    owner = {k: c for c, idx in groups.items() for k in idx}
    Z = X[:, kept]
    out = {
        "coding": "reference (first level of each categorical column dropped)",
        "max_gvif": max((v["gvif"] for v in gv.values()), default=None),
        "max_gvif_adjusted": max((v["gvif_adjusted"] for v in gv.values()), default=None),
        "columns": {c: v["gvif_adjusted"] for c, v in gv.items()},
        "gvif": {c: v["gvif"] for c, v in gv.items()},
        "df": {c: v["df"] for c, v in gv.items()},
        "condition_number": float(np.linalg.cond(Z - Z.mean(0))) if Z.shape[1] <= 3000 else None,
    }
    if len(kept) >= 2:
        corr = np.nan_to_num(np.corrcoef(Z, rowvar=False))
        same = np.array([[owner[a] == owner[b] for b in kept] for a in kept])
        off = np.where(same, 0.0, np.abs(corr))
        if off.max() > 0:
            a, b = np.unravel_index(np.argmax(off), off.shape)
            ka, kb = kept[a], kept[b]
            out["most_correlated_pair"] = {
                "features": [names[ka], names[kb]],
                "columns": [owner[ka], owner[kb]],
                "correlation": float(corr[a, b]),
                "lasso": [float(lasso_coef[ka]), float(lasso_coef[kb])],
                "ridge": [float(ridge_coef[ka]), float(ridge_coef[kb])],
            }
    return out
