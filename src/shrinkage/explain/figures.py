"""The report's figures, each written as PNG and SVG.

Figures are built on :class:`matplotlib.figure.Figure` directly (no pyplot, no GUI
backend), so the report renders the same on a server, in a thread or in CI.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np

#: resolution of the layers drawn as images inside the SVG files (print quality)
SVG_RASTER_DPI = 200


def _figure(width=6.4, height=4.0, ncols=1):
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width, height), layout="constrained")
    axes = figure.subplots(1, ncols) if ncols > 1 else figure.subplots()
    return figure, axes


def save(figure, folder: Path, name: str) -> dict:
    """Write ``name.png`` (for the page) and ``name.svg`` (for print)."""
    png, svg = folder / f"{name}.png", folder / f"{name}.svg"
    with warnings.catch_warnings():
        # Matplotlib warns when placing a loc="best" legend took over a second of wall
        # time: on a loaded machine that is the load, not the figure, and the file is
        # the same either way (a warning turned error must not lose the report).
        warnings.filterwarnings("ignore", message='Creating legend with loc="best"')
        figure.savefig(png, dpi=110)
        # The constrained layout ran for the PNG; its positions are in figure fractions,
        # so they hold for the SVG too. Freezing them skips a second layout pass (each
        # pass measures every tick label: about a third of a figure's cost).
        figure.set_layout_engine("none")
        # dpi sets only the resolution of rasterized layers (dense scatters)
        figure.savefig(svg, dpi=SVG_RASTER_DPI)
    return {"png": png.name, "svg": svg.name}


def paths_figure(lasso_path, ridge_path, names):
    """The lasso and ridge paths side by side (``shrinkage path``'s figure)."""
    from ..plotting import plot_paths

    figure, axes = _figure(11.0, 4.2, ncols=2)
    plot_paths(lasso_path, ridge_path, axes, n_labels=5, feature_names=names)
    return figure


def penalty_paths_figure(paths: dict):
    """One panel per penalty, each on its own grid from "everything shrunk" (left) to
    "near least squares" (right), with the minimum-CV and 1-SE choices marked.

    ``paths`` maps a title to ``(PathResult, alpha_min, alpha_1se, names)``.
    """
    from ..plotting import plot_path

    figure, axes = _figure(5.0 * len(paths), 4.4, ncols=len(paths))
    axes = np.atleast_1d(axes)
    for ax, (title, (path, alpha_min, alpha_1se, names)) in zip(axes, paths.items(), strict=True):
        plot_path(path, ax, n_labels=5, feature_names=names)
        ax.set_title(title, fontsize=10)
        for value, style, color, label in (
            (alpha_min, "--", "C0", "min CV"),
            (alpha_1se, ":", "C2", "1-SE"),
        ):
            if value is not None and np.isfinite(value) and value > 0:
                ax.axvline(
                    np.log10(value),
                    color=color,
                    linestyle=style,
                    linewidth=1.2,
                    label=f"{label}: α = {value:.3g}",
                )
        ax.set_xlabel("log10(α)   everything shrunk → near the unpenalized fit", fontsize=8)
        ax.legend(fontsize=7, frameon=False, loc="upper left")
    return figure


def repeated_cv_figure(per_method: dict, metric: str, comparison: list | None = None):
    """Left: mean repeated-CV error per method ± 2 corrected SE. Right: the paired
    difference of each method from the best ± 2 SE (crossing 0: within noise)."""
    names = list(per_method)
    figure, axes = _figure(11.0, 0.5 * len(names) + 1.8, ncols=2)
    y = np.arange(len(names))
    means = np.array([per_method[m]["mean"] for m in names])
    ses = np.array([per_method[m]["se"] for m in names])
    ax = axes[0]
    ax.errorbar(means, y, xerr=2 * ses, fmt="o", color="C3", ecolor="0.5", capsize=3)
    ax.axvline(means.min(), color="0.6", linestyle=":", linewidth=0.8)
    first = per_method[names[0]]
    ax.set_xlabel(f"{metric}: mean over {first['repeats']}×{first['folds']} folds ± 2 SE")
    ax.set_title("Repeated CV (same folds for every method)", fontsize=10)
    ax = axes[1]
    by_name = {c["a"]: c for c in comparison or []}
    diffs = np.array([by_name[m]["mean_difference"] if m in by_name else 0.0 for m in names])
    dses = np.array([by_name[m]["se"] if m in by_name else 0.0 for m in names])
    colors = ["0.4" if m not in by_name or by_name[m]["within_noise"] else "C3" for m in names]
    for k in range(len(names)):
        ax.errorbar(
            diffs[k], y[k], xerr=2 * dses[k], fmt="o", color=colors[k], ecolor="0.5", capsize=3
        )
    ax.axvline(0, color="0.3", linewidth=0.8)
    ax.set_xlabel(f"paired difference in {metric} from the best ± 2 SE")
    ax.set_title("Grey: within noise; red: worse by more than 2 SE", fontsize=10)
    for ax in axes:
        ax.set_yticks(y)
        ax.set_yticklabels(names)
        ax.invert_yaxis()
    return figure


def stability_figure(frequencies: dict, top: int = 25):
    """Selection frequency over half-samples (Meinshausen–Bühlmann) for L1 and EN."""
    methods = list(frequencies)
    names = list(next(iter(frequencies.values())))
    score = np.max([[frequencies[m][n] for n in names] for m in methods], axis=0)
    order = np.argsort(-score, kind="stable")[:top]
    figure, ax = _figure(6.8, 0.26 * len(order) + 1.4)
    y = np.arange(len(order))
    width = 0.8 / len(methods)
    for k, m in enumerate(methods):
        ax.barh(
            y + k * width,
            [frequencies[m][names[j]] for j in order],
            height=width,
            color=f"C{3 if m == 'L1' else 1}",
            label=m,
        )
    ax.axvspan(0.3, 0.7, color="0.9", zorder=0, label="unstable (30–70%)")
    ax.set_yticks(y + 0.4 - width / 2)
    ax.set_yticklabels([names[j] for j in order], fontsize=8)
    ax.invert_yaxis()
    ax.set_xlim(0, 1)
    ax.set_xlabel("share of random half-samples in which the feature is selected")
    ax.set_title("Stability of the selection", fontsize=10)
    ax.legend(fontsize=7, frameon=False, loc="lower right")
    return figure


def winners_curse_figure(curse: dict, top: int = 15):
    """Selection-half against fresh-half estimates (sign-aligned) of selected features."""
    items = list(curse["features"].items())[:top]
    figure, ax = _figure(6.8, 0.3 * max(len(items), 1) + 1.6)
    y = np.arange(len(items))
    for key, marker, color, label in (
        ("selection_half", "o", "C3", "unpenalized refit on the selection half"),
        ("fresh_half", "s", "C0", "unpenalized refit on a fresh half"),
        ("lasso_selection_half", "^", "C2", "lasso on the selection half"),
    ):
        ax.plot([v[key] for _, v in items], y, marker, color=color, label=label)
    ax.axvline(0, color="0.5", linewidth=0.6)
    ax.set_yticks(y)
    ax.set_yticklabels([k for k, _ in items], fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel("|coefficient| in the direction selected (standardized)")
    ax.set_title(f"Winner's curse over {curse['splits']} half splits", fontsize=10)
    ax.legend(fontsize=7, frameon=False)
    return figure


def calibrate_figure(task: str, validation: dict, methods=("none", "L1", "L2")):
    """``rms::calibrate`` style: apparent and bootstrap overfitting-corrected smoothed
    calibration curves, with the ideal line."""
    shown = [m for m in methods if m in validation]
    figure, axes = _figure(4.2 * len(shown), 4.0, ncols=len(shown))
    axes = np.atleast_1d(axes)
    for ax, m in zip(axes, shown, strict=True):
        c = validation[m]["calibration"]
        x = np.asarray(c["predicted"])
        ax.plot(x, x, color="0.5", linestyle="--", linewidth=0.8, label="ideal")
        ax.plot(x, c["apparent"], color="C0", linestyle=":", label="apparent")
        ax.plot(x, c["corrected"], color="C3", label="bias-corrected")
        ax.set_title(f"{m}: corrected slope {validation[m]['slope_corrected']:.3f}", fontsize=10)
        ax.set_xlabel("predicted" + (" probability" if task == "classification" else ""))
        ax.set_ylabel("observed (smoothed)")
        ax.legend(fontsize=7, frameon=False)
    return figure


#: every this many of the geometry figure's 20 001 boundary samples is drawn: 801
#: points, the last one (angle 2π) included, so the circle closes
_DRAW_STRIDE = 25


def _constrained_minimum(hessian, center, boundary):
    """Minimum of ``(w − c)ᵀH(w − c)`` over the points of a closed curve (dense sampling)."""
    diff = boundary - center
    values = np.einsum("ij,jk,ik->i", diff, hessian, diff)
    return boundary[np.argmin(values)]


def geometry_figure(X, y, names, budget_fraction: float = 0.5):
    """The two strongest standardized features: loss contours, the L1 diamond and the
    L2 circle of one budget ``t``, and where each constrained least squares lands.

    With the budget active, the ellipses first touch the diamond at a corner (a weight
    exactly zero) far more often than elsewhere; the circle has no corners.
    """
    figure, ax = _figure(5.6, 5.2)
    Z = X - X.mean(axis=0)
    target = y - y.mean()
    hessian = Z.T @ Z / len(y)
    ols = np.linalg.lstsq(Z, target, rcond=None)[0]
    budget = budget_fraction * np.abs(ols).sum()
    angles = np.linspace(0, 2 * np.pi, 20_001)
    circle = budget * np.column_stack([np.cos(angles), np.sin(angles)])
    diamond = circle / np.abs(circle).sum(axis=1, keepdims=True) * budget
    corners = budget * np.array([[1, 0], [0, 1], [-1, 0], [0, -1]], dtype=float)
    lasso = _constrained_minimum(hessian, ols, np.vstack([diamond, corners]))
    ridge = _constrained_minimum(hessian, ols, circle)
    span = 1.3 * max(np.abs(ols).max(), budget)
    grid = np.linspace(-span, span, 240)
    A, B = np.meshgrid(grid, grid)
    D = np.stack([A - ols[0], B - ols[1]], axis=-1)
    loss = np.einsum("...i,ij,...j->...", D, hessian, D)
    levels = sorted(
        {
            float(v)
            for v in (
                np.einsum("i,ij,j", lasso - ols, hessian, lasso - ols),
                np.einsum("i,ij,j", ridge - ols, hessian, ridge - ols),
            )
        }
        | set(np.quantile(loss, [0.02, 0.08, 0.2, 0.4]).tolist())
    )
    ax.contour(A, B, loss, levels=levels, colors="0.55", linewidths=0.8)
    # The dense samples above locate the constrained minima; drawing needs far fewer
    # vertices (a 20 001-vertex polygon costs ~0.4 s to add and ~0.5 MB of SVG): the
    # diamond is exactly its four corners, the circle smooth at 801 points.
    outline = np.vstack([corners, corners[:1]])
    ax.fill(
        outline[:, 0], outline[:, 1], alpha=0.18, color="C3", label=f"L1: |w₁|+|w₂| ≤ {budget:.3g}"
    )
    ax.plot(
        circle[::_DRAW_STRIDE, 0],
        circle[::_DRAW_STRIDE, 1],
        color="C0",
        linewidth=1.5,
        label=f"L2: √(w₁²+w₂²) ≤ {budget:.3g}",
    )
    ax.plot(*ols, "k+", markersize=12, label="least squares")
    on_axis = bool(np.isclose(lasso, 0.0, atol=1e-9 * budget).any())
    ax.plot(
        *lasso,
        "o",
        color="C3",
        markersize=8,
        label="L1 solution" + (" (on an axis: one weight is 0)" if on_axis else ""),
    )
    ax.plot(*ridge, "s", color="C0", markersize=7, label="L2 solution (both non-zero)")
    ax.axhline(0, color="0.3", linewidth=0.6)
    ax.axvline(0, color="0.3", linewidth=0.6)
    ax.set_aspect("equal")
    ax.set_xlim(-span, span)
    ax.set_ylim(-span, span)
    ax.set_xlabel(f"w for {names[0]} (standardized)")
    ax.set_ylabel(f"w for {names[1]} (standardized)")
    ax.set_title("Same budget, different shapes")
    ax.legend(fontsize=7, loc="lower left", frameon=True)
    return figure, {
        "lasso": lasso.tolist(),
        "ridge": ridge.tolist(),
        "budget": budget,
        "lasso_on_axis": on_axis,
    }


def penalty_figure(strength: float = 1.0):
    """Penalty, gradient and proximal map of L1 against L2 at one strength ``α``.

    Drawn from the library's own penalty objects (:mod:`shrinkage.penalties`), so the
    figure shows the convention every fit and every number of the report uses:
    L1 is ``α|w|`` and L2 is ``(α/2)w²``, whose prox (step 1) is ``z/(1 + α)``.
    """
    from ..penalties import L1, L2

    figure, axes = _figure(11.0, 3.5, ncols=3)
    w = np.linspace(-3, 3, 601)
    alpha = strength
    lasso, ridge = L1(alpha), L2(alpha)

    def pointwise_value(penalty):
        return np.array([penalty.value(np.array([v])) for v in w])

    def gradient(penalty):
        # g'(w) = l1·sign(w) + l2·w (the subgradient 0 at w = 0 for L1)
        l1, l2 = penalty.coordinate_strengths(w.size)
        return l1 * np.sign(w) + l2 * w

    axes[0].plot(w, pointwise_value(lasso), color="C3", label="L1: α|w|")
    axes[0].plot(w, pointwise_value(ridge), color="C0", label="L2: (α/2)w²")
    axes[0].set_title("penalty")
    axes[1].plot(w, gradient(lasso), color="C3", label="L1: ±α (constant)")
    axes[1].plot(w, gradient(ridge), color="C0", label="L2: αw (proportional)")
    axes[1].set_title("gradient: the pull towards 0")
    axes[1].set_ylim(-3 * alpha, 3 * alpha)
    z = w
    axes[2].plot(z, lasso.prox(z, 1.0), color="C3", label="L1: soft-threshold, 0 on [−α, α]")
    axes[2].plot(z, ridge.prox(z, 1.0), color="C0", label="L2: scale by 1/(1+α)")
    axes[2].plot(z, z, color="0.7", linewidth=0.8, linestyle="--", label="no penalty")
    axes[2].set_title("proximal map (one step)")
    for ax, label in zip(axes, ("w", "w", "z (before the step)"), strict=True):
        ax.axhline(0, color="0.5", linewidth=0.5)
        ax.axvline(0, color="0.5", linewidth=0.5)
        ax.set_xlabel(label)
        ax.legend(fontsize=7, frameon=False)
    return figure


def magnitudes_figure(lasso_coef, ridge_coef):
    """Histogram of |w| for L1 and L2, with the exact zeros counted."""
    figure, ax = _figure(6.4, 3.8)
    top = max(np.abs(lasso_coef).max(), np.abs(ridge_coef).max(), 1e-12)
    bins = np.linspace(0, top, 25)
    for coef, color, name in ((lasso_coef, "C3", "L1"), (ridge_coef, "C0", "L2")):
        nonzero = np.abs(coef[coef != 0])
        zeros = int(np.sum(coef == 0))
        ax.hist(
            nonzero,
            bins=bins,
            alpha=0.5,
            color=color,
            label=f"{name}: {zeros} exactly zero, {nonzero.size} non-zero",
        )
    ax.set_xlabel("|w| (standardized features)")
    ax.set_ylabel("features")
    ax.set_title("Coefficient magnitudes")
    ax.legend(fontsize=8, frameon=False)
    return figure


def cv_figure(curves: dict):
    """CV curves side by side, the minimum and the one-standard-error choice marked."""
    from ..plotting import plot_cv_curve

    shown = {k: v for k, v in curves.items() if v is not None}
    figure, axes = _figure(5.2 * len(shown), 3.8, ncols=len(shown))
    axes = np.atleast_1d(axes)
    for ax, (name, curve) in zip(axes, shown.items(), strict=True):
        plot_cv_curve(curve, ax, title=f"{name}: cross-validation")
    return figure


def calibration_figure(task: str, y, predicted: dict, slopes: dict):
    """Held-out outcome against prediction, one colour per model, slope in the legend."""
    figure, ax = _figure(5.6, 4.6)
    for k, (name, values) in enumerate(predicted.items()):
        color = f"C{k}"
        slope = slopes[name]
        label = (
            f"{name}: slope {slope:.2f}"
            if np.isfinite(slope)
            else f"{name}: slope — (held-out rows separated)"
        )
        if task == "regression":
            # thousands of markers: an image inside the SVG (axes and text stay vector)
            ax.scatter(values, y, s=8, alpha=0.45, color=color, label=label, rasterized=True)
        else:
            edges = np.quantile(values, np.linspace(0, 1, 11))
            which = np.clip(np.searchsorted(edges, values, side="right") - 1, 0, 9)
            means = [
                (values[which == b].mean(), y[which == b].mean())
                for b in range(10)
                if np.any(which == b)
            ]
            ax.plot(*np.array(means).T, "o-", color=color, markersize=4, label=label)
    low = min(np.min(y), min(np.min(v) for v in predicted.values()))
    high = max(np.max(y), max(np.max(v) for v in predicted.values()))
    ax.plot(
        [low, high],
        [low, high],
        color="0.5",
        linestyle="--",
        linewidth=0.8,
        label="perfect calibration",
    )
    ax.set_xlabel("prediction (held-out)" if task == "regression" else "predicted probability")
    ax.set_ylabel("observed" if task == "regression" else "observed frequency")
    ax.set_title("Calibration on held-out data")
    ax.legend(fontsize=7, frameon=False)
    return figure
