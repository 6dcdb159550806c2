"""Figures for paths and cross-validation curves.

Every function draws on the axes it is given (or on new ones), returns the axes and
never calls ``show()``: the caller decides whether to show or save. Matplotlib is
imported only here, and only when a function runs (``pip install shrinkage[plot]``).
"""

from __future__ import annotations

import numpy as np

__all__ = ["plot_path", "plot_paths", "plot_cv_curve"]


def _pyplot():
    try:
        import matplotlib.pyplot as plt
    except ImportError:  # pragma: no cover - depends on the environment
        raise ImportError(
            "Plotting needs Matplotlib: pip install 'shrinkage[plot]' (or matplotlib)."
        ) from None
    return plt


def _new_axes(ax, figsize=(6.0, 4.0)):
    if ax is not None:
        return ax
    _, ax = _pyplot().subplots(figsize=figsize, layout="constrained")
    return ax


def _strongest(coefs: np.ndarray, n_labels: int) -> np.ndarray:
    """Features with the largest |coefficient| at the least-penalized end of the path."""
    end = np.abs(coefs[:, -1])
    order = np.argsort(-end, kind="stable")
    return order[: min(n_labels, int(np.count_nonzero(end)) or n_labels)]


def plot_path(path, ax=None, *, n_labels: int = 5, feature_names=None, title=None):
    """Coefficients against ``log10(alpha)``, the strongest features labelled.

    Alpha decreases from left to right, so the model grows as one reads. The top axis
    counts the non-zero coefficients (exact zeros are what L1 makes and L2 never does).

    Parameters
    ----------
    path : PathResult
        From :func:`shrinkage.regularization_path` (any ``l1_ratio``).
    ax : matplotlib Axes, optional
    n_labels : int, default=5
        How many of the strongest features to name at the right edge.
    feature_names : list of str, optional
        Defaults to the path's feature names, else ``x0, x1, …``.
    title : str, optional

    Returns
    -------
    matplotlib.axes.Axes
    """
    ax = _new_axes(ax)
    log_alpha = np.log10(path.alphas)
    names = feature_names or path.feature_names or [f"x{j}" for j in range(path.coefs.shape[0])]
    lines = ax.plot(log_alpha, path.coefs.T, linewidth=1.0, alpha=0.85)
    ax.axhline(0.0, color="0.5", linewidth=0.6)
    ax.invert_xaxis()
    ax.set_xlabel("log10(alpha)   (weaker penalty →)")
    ax.set_ylabel("coefficient")
    labelled = _strongest(path.coefs, n_labels)
    ends = _spread(path.coefs[labelled, -1], np.ptp(path.coefs) * 0.05)
    for j, y_text in zip(labelled, ends, strict=True):
        ax.annotate(
            names[j],
            xy=(log_alpha[-1], path.coefs[j, -1]),
            xytext=(log_alpha[-1], y_text),
            textcoords="data",
            fontsize=8,
            va="center",
            ha="left",
            color=lines[j].get_color(),
            annotation_clip=False,
        )
    kind = {1.0: "L1 (lasso)", 0.0: "L2 (ridge)"}.get(
        path.l1_ratio, f"elastic net ρ={path.l1_ratio}"
    )
    ax.set_title(title or f"{kind} path")
    _nonzero_axis(ax, log_alpha, path.n_nonzero)
    return ax


def _spread(values: np.ndarray, gap: float) -> np.ndarray:
    """Label heights near ``values`` but at least ``gap`` apart (order kept)."""
    order = np.argsort(values)
    placed = np.asarray(values, dtype=float)[order].copy()
    for i in range(1, placed.size):
        placed[i] = max(placed[i], placed[i - 1] + gap)
    out = np.empty_like(placed)
    out[order] = placed
    return out


def _nonzero_axis(ax, positions, counts) -> None:
    """A top axis with the non-zero count at a few of the grid positions."""
    top = ax.secondary_xaxis("top")
    picks = np.unique(np.linspace(0, len(positions) - 1, 6).round().astype(int))
    top.set_xticks(positions[picks])
    top.set_xticklabels([str(int(counts[k])) for k in picks], fontsize=8)
    top.set_xlabel("non-zero coefficients", fontsize=8)


def plot_paths(lasso_path, ridge_path, axes=None, *, n_labels: int = 5, feature_names=None):
    """The lasso and ridge paths side by side: exact zeros against smooth shrinkage.

    Parameters
    ----------
    lasso_path, ridge_path : PathResult
    axes : sequence of two Axes, optional
    n_labels, feature_names
        As :func:`plot_path`.

    Returns
    -------
    ndarray of two matplotlib Axes
    """
    if axes is None:
        _, axes = _pyplot().subplots(1, 2, figsize=(11.0, 4.2), layout="constrained")
    plot_path(lasso_path, axes[0], n_labels=n_labels, feature_names=feature_names)
    plot_path(ridge_path, axes[1], n_labels=n_labels, feature_names=feature_names)
    return np.asarray(axes)


def plot_cv_curve(curve, ax=None, *, title=None):
    """Mean cross-validation error with ±1 standard-error bars, minimum and 1-SE marked.

    Parameters
    ----------
    curve : CVCurve
        E.g. ``LassoCV().fit(X, y).cv_curve_``.
    ax : matplotlib Axes, optional
    title : str, optional

    Returns
    -------
    matplotlib.axes.Axes
    """
    ax = _new_axes(ax)
    x = np.log10(curve.alphas)
    ax.errorbar(
        x,
        curve.mean,
        yerr=curve.standard_error,
        fmt="o",
        markersize=3,
        color="C3",
        ecolor="0.6",
        elinewidth=0.8,
        capsize=1.5,
    )
    name = curve.parameter
    ax.axvline(
        x[curve.index_min],
        color="C0",
        linestyle="--",
        linewidth=1.0,
        label=f"{name} min = {curve.alpha_min:.3g}",
    )
    ax.axvline(
        x[curve.index_1se],
        color="C2",
        linestyle=":",
        linewidth=1.2,
        label=f"{name} 1-SE = {curve.alpha_1se:.3g}",
    )
    if curve.larger_is_simpler:
        ax.invert_xaxis()  # simpler models on the left, as in plot_path
    ax.set_xlabel(f"log10({name})")
    ax.set_ylabel(f"CV {curve.metric}")
    ax.legend(fontsize=8, frameon=False)
    ax.set_title(title or f"Cross-validation ({curve.fold_errors.shape[1]} folds)")
    if curve.n_nonzero is not None:
        _nonzero_axis(ax, x, curve.n_nonzero)
    return ax
