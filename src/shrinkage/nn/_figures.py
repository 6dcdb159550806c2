"""The figures of ``shrinkage nn`` (matplotlib, object API only: no pyplot, no show)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from .histograms import plot_weight_histograms

if TYPE_CHECKING:  # pragma: no cover
    from .data import Split
    from .training import ExperimentResult

DPI = 90
COLORS = {
    "none": "black",
    "l2": "tab:blue",
    "weight-decay": "tab:cyan",
    "l1-loss": "tab:orange",
    "prox-l1": "tab:red",
    "group-l1": "tab:purple",
}


def _figure(width: float = 5.2, height: float = 3.4):
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), layout="constrained")


def _draw_versus_lambda(ax, result: ExperimentResult, key: str, ylabel: str) -> None:
    table = result.table()
    lambdas = sorted({row["lambda"] for row in table if row["method"] != "none"})
    for method in result.config.methods:
        rows = [r for r in table if r["method"] == method]
        if not rows or rows[0][key] is None:
            continue
        std = rows[0].get(key + "_std")
        if method == "none":
            value = rows[0][key]
            ax.axhline(value, color="black", ls="--", lw=1, label="none")
            if std:
                ax.axhspan(value - std, value + std, color="black", alpha=0.08)
            continue
        err = [r.get(key + "_std") or 0.0 for r in rows]
        ax.errorbar(
            [r["lambda"] for r in rows],
            [r[key] for r in rows],
            yerr=err if any(err) else None,
            marker="o",
            ms=4,
            capsize=2,
            color=COLORS.get(method),
            label=method,
        )
    ax.set_xscale("log")
    ax.set_xticks(lambdas, [f"{lam:g}" for lam in lambdas])
    ax.minorticks_off()
    ax.set_xlabel("λ (penalty strength λ/n)")
    ax.set_ylabel(ylabel)
    ax.grid(alpha=0.3)


def _versus_lambda(
    result: ExperimentResult, key: str, ylabel: str, path: Path, zoom: bool = False
) -> None:
    baseline = [r[key] for r in result.table() if r["method"] == "none"]
    zoom = zoom and bool(baseline)
    fig = _figure(9.0 if zoom else 5.2, 3.4)
    axes = fig.subplots(1, 2 if zoom else 1, squeeze=False).ravel()
    for ax in axes:
        _draw_versus_lambda(ax, result, key, ylabel)
    axes[0].legend(frameon=False, fontsize=8)
    if zoom:  # the same plot, within 10 points of the unpenalized network
        axes[1].set_ylim(baseline[0] - 0.10, min(1.0, baseline[0] + 0.03))
        axes[1].set_title("zoom: within 0.10 of none", fontsize=9)
    fig.savefig(path, dpi=DPI)


def _first_seed_runs(result: ExperimentResult, lam: float):
    seed = result.config.seeds[0]
    runs = {}
    for run in result.runs:
        if run.seed == seed and (run.method == "none" or np.isclose(run.lam, lam)):
            runs[run.method] = run
    return runs


def _histograms(result: ExperimentResult, path: Path) -> None:
    lam = result.config.histogram_lam
    runs = _first_seed_runs(result, lam)
    named = {
        (m if m == "none" else f"{m} λ={lam:g}"): runs[m].model
        for m in result.config.methods
        if m in runs
    }
    plot_weight_histograms(named, path, ncols=3, bins=30, dpi=DPI)


def _training_curves(result: ExperimentResult, path: Path) -> None:
    lam = result.config.histogram_lam
    runs = _first_seed_runs(result, lam)
    keys = ["test_accuracy"]
    if any(max(r.history["zero_fraction"]) > 0 for r in runs.values()):
        keys.append("zero_fraction")
    if any("saturation" in r.history for r in runs.values()):
        keys.append("saturation")
    fig = _figure(1.0 + 2.8 * len(keys), 3.2)
    axes = fig.subplots(1, len(keys), squeeze=False).ravel()
    for ax, key in zip(axes, keys, strict=True):
        for method in result.config.methods:
            if method in runs and key in runs[method].history:
                h = runs[method].history
                label = method if method == "none" else f"{method} λ={lam:g}"
                ax.plot(h["epoch"], h[key], color=COLORS.get(method), lw=1.2, label=label)
        ax.set_xlabel("epoch")
        ax.set_title(key.replace("_", " "), fontsize=9)
        ax.grid(alpha=0.3)
    axes[0].legend(frameon=False, fontsize=7)
    fig.savefig(path, dpi=DPI)


def _inputs_kept(result: ExperimentResult, data: Split, path: Path) -> bool:
    import matplotlib

    methods = [m for m in ("prox-l1", "group-l1") if m in result.config.methods]
    if data.image_shape is None or not methods:
        return False
    seed = result.config.seeds[0]
    lambdas = sorted(result.config.lambdas)
    fig = _figure(1.3 * len(lambdas) + 0.6, 1.45 * len(methods) + 0.3)
    axes = fig.subplots(len(methods), len(lambdas), squeeze=False)
    for i, method in enumerate(methods):
        for j, lam in enumerate(lambdas):
            ax = axes[i, j]
            run = next(
                r
                for r in result.runs
                if r.method == method and r.seed == seed and np.isclose(r.lam, lam)
            )
            first = next(m for m in run.model.modules() if hasattr(m, "weight"))
            # Each input's weight norm (a column of the first layer); white = exactly 0.
            norms = first.weight.detach().norm(dim=0).numpy().reshape(data.image_shape)
            image = np.ma.masked_equal(norms, 0.0)
            cmap = matplotlib.colormaps["Greys"].with_extremes(bad="white")
            ax.imshow(image, cmap=cmap, vmin=0, interpolation="nearest")
            ax.set_xticks([])
            ax.set_yticks([])
            ax.set_title(f"λ={lam:g}: {int((norms > 0).sum())} kept", fontsize=7)
            if j == 0:
                ax.set_ylabel(method, fontsize=8)
    fig.suptitle(
        "weight norm of each input pixel in the first layer (white: exactly 0)", fontsize=8
    )
    fig.savefig(path, dpi=DPI)
    return True


def write_all(result: ExperimentResult, data: Split, folder: Path) -> list[str]:
    """Write every figure into ``folder``; returns the file names."""
    names = []
    _versus_lambda(
        result, "test_accuracy", "test accuracy", folder / "accuracy_vs_lambda.png", zoom=True
    )
    names.append("accuracy_vs_lambda.png")
    _versus_lambda(
        result, "zero_fraction", "fraction of weights exactly 0", folder / "zeros_vs_lambda.png"
    )
    names.append("zeros_vs_lambda.png")
    if any(r.saturation is not None for r in result.runs):
        _versus_lambda(
            result,
            "saturation",
            "saturated sigmoid/tanh activations",
            folder / "saturation_vs_lambda.png",
        )
        names.append("saturation_vs_lambda.png")
    _histograms(result, folder / "weight_histograms.png")
    names.append("weight_histograms.png")
    _training_curves(result, folder / "training_curves.png")
    names.append("training_curves.png")
    if _inputs_kept(result, data, folder / "inputs_kept.png"):
        names.append("inputs_kept.png")
    return names
