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


def _spectrum(Z: np.ndarray):
    """Singular values and right singular vectors of ``Z`` (``n × m``), through the
    triangular factor of a QR decomposition: the ``n × m`` left vectors, which a tall
    ``Z`` would make large, are never formed."""
    if Z.shape[1] == 0:
        return np.zeros(0), np.zeros((0, 0))
    if Z.shape[0] > Z.shape[1]:
        Z = np.linalg.qr(Z, mode="r")
    _, s, vt = np.linalg.svd(Z, full_matrices=False)
    return s, vt


def _unit_columns(X: np.ndarray) -> np.ndarray:
    """Columns centred and scaled to length 1 (a constant column stays 0)."""
    Z = X - X.mean(axis=0)
    norms = np.sqrt(np.einsum("ij,ij->j", Z, Z))
    return Z / np.where(norms > 0, norms, 1.0)


def _rank_of(Z: np.ndarray, s: np.ndarray) -> int:
    """Numerical rank of ``Z`` from its singular values ``s`` (NumPy's ``matrix_rank``
    threshold, ``max(n, m)·ε·s_max``)."""
    if s.size == 0 or s[0] == 0:
        return 0
    return int(np.sum(s > s[0] * max(Z.shape) * np.finfo(float).eps))


def generalized_vif(X: np.ndarray, groups: dict[str, list[int]]) -> dict[str, dict]:
    """``{column: {"gvif", "df", "gvif_adjusted"}}`` with ``gvif_adjusted = GVIF^{1/(2·df)}``.

    ``X`` holds the columns named by ``groups`` (any scaling; only correlations matter).

    The design ``Z`` (the kept columns centred, of length 1, so that ``R = ZᵀZ``) is
    factored once, ``Z = U S Vᵀ``. With full column rank,
    ``det R_{-j,-j} / det R = det (R⁻¹)_{jj}`` (the block inverse) and
    ``(R⁻¹)_{jj} = V_j S⁻² V_jᵀ``: every column's GVIF from one factorization,
    ``det R_{jj} · det (R⁻¹)_{jj}``, with no ``p × p`` determinant per column.

    Rank-deficient (always when there are at least as many columns as rows: centred,
    ``n`` rows span ``n − 1`` dimensions), the columns that enter a linear dependence,
    those with a component outside the row space of ``Z`` (``‖V_j‖ < 1``), get
    ``inf``: one of them is an exact combination of the others, and a determinant
    ratio computed in floating point would give a large *finite* number made of
    round-off instead. The others keep their finite GVIF, from the canonical
    correlations with the rest (the residuals of regressing them on it).
    """
    kept = sorted(k for idx in groups.values() for k in idx)
    Z = _unit_columns(np.asarray(X, dtype=float)[:, kept])
    s, vt = _spectrum(Z)
    return _gvif(Z, s, vt, groups, kept)


def _gvif(Z, s, vt, groups, kept) -> dict[str, dict]:
    """:func:`generalized_vif` of the unit columns ``Z`` (of ``kept``), factored."""
    where = {k: i for i, k in enumerate(kept)}
    rank = _rank_of(Z, s)
    out = {}
    if rank == len(kept):
        W = vt.T / s  # R⁻¹ = W Wᵀ
        for column, idx in groups.items():
            inside = [where[k] for k in idx]
            block = Z[:, inside].T @ Z[:, inside]
            inverse = W[inside] @ W[inside].T
            out[column] = _entry(_logdet(block) + _logdet(inverse), len(idx))
        return out
    # a column's squared distance from the row space: 0 for a column outside any dependence
    outside_row_space = 1.0 - np.einsum("ij,ij->j", vt[:rank], vt[:rank])
    for column, idx in groups.items():
        inside = [where[k] for k in idx]
        if np.any(outside_row_space[inside] > DEPENDENCE_TOL):
            out[column] = {"gvif": np.inf, "df": len(idx), "gvif_adjusted": np.inf}
        else:
            rest = np.delete(np.arange(len(kept)), inside)
            out[column] = _entry(_log_gvif_by_residuals(Z, inside, rest), len(idx))
    return out


# ‖component outside the row space‖² above which a column counts as part of an exact
# dependence: well above the round-off of 1 − ‖V_j‖² (≈ rank·ε), well below any real one
DEPENDENCE_TOL = 1e-10


def _entry(log_gvif: float, df: int) -> dict:
    gvif = float(np.exp(min(log_gvif, 700.0)))
    return {"gvif": gvif, "df": df, "gvif_adjusted": gvif ** (1.0 / (2 * df))}


def _logdet(matrix: np.ndarray) -> float:
    if matrix.size == 0:
        return 0.0
    sign, value = np.linalg.slogdet(matrix)
    return float(value) if sign > 0 else -np.inf


def _log_gvif_by_residuals(Z, inside, rest) -> float:
    """``log det R_jj − log det E_jᵀE_j``, ``E_j`` the residuals of the columns ``inside``
    regressed on the columns ``rest`` (least squares, any rank): ``Π 1/(1 − ρ_k²)`` over
    their canonical correlations, the GVIF, defined when the rest is singular too."""
    A = Z[:, inside]
    if rest.size:
        A = A - Z[:, rest] @ np.linalg.lstsq(Z[:, rest], A, rcond=None)[0]
    return _logdet(Z[:, inside].T @ Z[:, inside]) - _logdet(A.T @ A)


def diagnose(X, names, encoding, lasso_coef, ridge_coef) -> dict:
    """Collinearity of the reference-coded design ``X[:, kept]``.

    Returns ``{"coding", "max_gvif", "max_gvif_adjusted", "columns", "gvif", "df",
    "condition_number", "rank", "n_rows", "n_design_columns", "dependent_columns",
    "note", "most_correlated_pair"}``. ``rank`` is that of the centred design;
    below ``n_design_columns`` the columns are linearly dependent, the original
    columns in a dependence (``dependent_columns`` of them) have an infinite GVIF
    and the condition number is infinite; ``note`` says so in words (``None``
    otherwise). The most correlated pair is taken between features of *different*
    original columns (levels of one factor are correlated by construction).
    """
    groups, kept = column_groups(names, encoding)
    Z = _unit_columns(np.asarray(X, dtype=float)[:, kept])
    s, vt = _spectrum(Z)  # one factorization for the GVIFs, the rank and κ
    gv = _gvif(Z, s, vt, groups, kept) if len(groups) >= 2 else {}
    rank = _rank_of(Z, s)
    n_rows, m = Z.shape
    dependent = sum(bool(np.isinf(v["gvif"])) for v in gv.values())
    out = {
        "coding": "reference (first level of each categorical column dropped)",
        "max_gvif": max((v["gvif"] for v in gv.values()), default=None),
        "max_gvif_adjusted": max((v["gvif_adjusted"] for v in gv.values()), default=None),
        "columns": {c: v["gvif_adjusted"] for c, v in gv.items()},
        "gvif": {c: v["gvif"] for c, v in gv.items()},
        "df": {c: v["df"] for c, v in gv.items()},
        # of the centred columns scaled to length 1 (for the standardized design that
        # compare passes, the condition number of the centred design itself)
        "condition_number": _condition_number(s, rank, min(n_rows, m)),
        "rank": rank,
        "n_rows": int(n_rows),
        "n_design_columns": int(m),
        "dependent_columns": dependent,
        "note": _dependence_note(rank, n_rows, m, dependent, len(gv)),
    }
    if len(kept) >= 2:
        pair = _most_correlated_pair(Z, kept, groups)
        if pair is not None:
            a, b, r = pair
            out["most_correlated_pair"] = {
                "features": [names[a], names[b]],
                "columns": [_owner(groups, a), _owner(groups, b)],
                "correlation": r,
                "lasso": [float(lasso_coef[a]), float(lasso_coef[b])],
                "ridge": [float(ridge_coef[a]), float(ridge_coef[b])],
            }
    return out


def _condition_number(s, rank: int, most: int) -> float | None:
    """``s_max/s_min``; infinite for a rank below ``min(n, m)`` (no columns: ``None``)."""
    if most == 0:
        return None
    return float(s[0] / s[-1]) if rank == most else np.inf


def _owner(groups, k) -> str:
    return next(c for c, idx in groups.items() if k in idx)


def _most_correlated_pair(Z, kept, groups):
    """``(feature a, feature b, correlation)`` of largest ``|r|`` between features of
    different original columns, or ``None`` when every such correlation is 0."""
    owner = np.empty(len(kept), dtype=int)
    position = {k: i for i, k in enumerate(kept)}
    for g, idx in enumerate(groups.values()):
        owner[[position[k] for k in idx]] = g
    corr = Z.T @ Z  # columns of length 1: the correlations
    off = np.where(owner[:, None] == owner[None, :], 0.0, np.abs(corr))
    if not off.max() > 0:
        return None
    a, b = np.unravel_index(np.argmax(off), off.shape)
    return kept[a], kept[b], float(np.clip(corr[a, b], -1.0, 1.0))


def _dependence_note(rank, n_rows, m, n_dependent, n_columns) -> str | None:
    """The plain statement of an exact dependence (``None`` without one)."""
    if rank >= m:
        return None
    why = (
        f"the centred design has {m} columns but {n_rows} rows, so rank at most "
        f"{n_rows - 1} (here {rank})"
        if m >= n_rows
        else f"the centred design has rank {rank} < {m} columns"
    )
    which = (
        "every column's VIF is infinite"
        if n_dependent == n_columns
        else f"{n_dependent} of the {n_columns} columns have an infinite VIF"
    )
    return (
        f"The columns are linearly dependent: {why}; {which} (each such column is an "
        "exact linear combination of the others), and no finite VIF is reported for "
        "them. The lasso's choice among them is arbitrary and the unpenalized fit is "
        "not unique; ridge and elastic net remain unique."
    )
