"""Weight histograms: the distribution of ``log10 |w|``, exact zeros as their own bar.

Exact zeros have no logarithm, and they are what an L1 proximal map produces, so they get
a separate bar at the left; the other magnitudes are binned on a log scale. Matplotlib is
imported inside the functions only, and figures are :class:`matplotlib.figure.Figure`
objects (no pyplot, no global state, never ``show()``).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import torch
from torch import Tensor

from .reports import Weights, weight_entries

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["plot_weight_histogram", "plot_weight_histograms"]


def _magnitudes(weights: Weights) -> Tensor:
    with torch.no_grad():
        return torch.cat(
            [e.param.detach().abs().flatten().double().cpu() for e in weight_entries(weights)]
        )


def plot_weight_histogram(
    weights: Weights,
    ax: Axes | None = None,
    *,
    bins: int = 40,
    label: str | None = None,
    low: float = -8.0,
) -> Axes:
    """Histogram of ``log10 |w|``, exact zeros as a separate bar on the left.

    Parameters
    ----------
    weights : nn.Module, Penalty or tensors
        As for :func:`sparsity`.
    ax : matplotlib Axes, optional
        Drawn on; a new figure's axes otherwise.
    bins : int
        Bins over the non-zero magnitudes.
    label : str, optional
        Title.
    low : float
        ``log10|w|`` below this (but not zero) is clipped into the first bin.

    Returns
    -------
    Axes
        The y axis is the fraction of all weights. Non-finite weights (a diverged model)
        are not drawn; the title says how many there are.
    """
    import numpy as np

    if ax is None:
        from matplotlib.figure import Figure

        ax = Figure(figsize=(4, 3)).subplots()
    mags = _magnitudes(weights).numpy()
    n = mags.size
    # A diverged model has inf / NaN weights: they have no place on the axis (and made
    # np.histogram raise), so the finite ones are drawn and the title counts the others.
    finite = np.isfinite(mags)
    n_nonfinite = int(n - finite.sum())
    nonzero = np.log10(mags[finite & (mags > 0)]).clip(min=low)
    hi = max(float(nonzero.max()) if nonzero.size else 0.0, low + 1.0)
    lo = min(float(nonzero.min()) if nonzero.size else hi - 1.0, hi - 1.0)
    counts, edges = np.histogram(nonzero, bins=bins, range=(lo, hi))
    width = edges[1] - edges[0]
    ax.bar(edges[:-1], counts / n, width=width, align="edge", color="tab:blue")
    zero_x = lo - 3 * width  # the zeros' bar, apart from the rest
    n_zero = int(np.sum(mags == 0))
    ax.bar([zero_x], [n_zero / n], width=2 * width, color="tab:red")
    # Ticks at whole powers of ten only (at most 5): a label 10^k must sit at k. The range
    # spans at least one decade, so it holds at least one whole power.
    powers = np.arange(np.ceil(lo), np.floor(hi) + 1)
    powers = powers[:: -(-len(powers) // 5)]
    ax.set_xticks([zero_x, *powers])
    ax.set_xticklabels(["0"] + [f"$10^{{{p:.0f}}}$" for p in powers])
    ax.set_xlabel("|w|")
    ax.set_ylabel("fraction of weights")
    title = f"{label + ': ' if label else ''}{n_zero / n:.0%} exact zeros"
    if n_nonfinite:
        title += f", {n_nonfinite} non-finite (not drawn)"
    ax.set_title(title, fontsize=9)
    return ax


def plot_weight_histograms(
    named_weights: Mapping[str, Weights],
    path: str | Path | None = None,
    *,
    ncols: int = 3,
    bins: int = 40,
    dpi: int = 90,
) -> Figure:
    """One :func:`plot_weight_histogram` panel per entry; saved to ``path`` if given.

    Parameters
    ----------
    named_weights : mapping of str to Tensor or ndarray
        Panel title -> weights.
    path : str or Path, optional
        Where to save the figure (the format from the suffix).
    ncols : int, default=3
        Panels per row.
    bins : int, default=40
    dpi : int, default=90
        Resolution of the saved file.

    Returns
    -------
    matplotlib.figure.Figure
    """
    from matplotlib.figure import Figure

    n = len(named_weights)
    if n == 0:
        raise ValueError("nothing to plot: named_weights is empty.")
    ncols = min(ncols, n)
    nrows = -(-n // ncols)
    fig = Figure(figsize=(3.4 * ncols, 2.6 * nrows), layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=False).ravel()
    for ax, (label, weights) in zip(axes, named_weights.items(), strict=False):
        plot_weight_histogram(weights, ax, bins=bins, label=label)
    for ax in axes[n:]:
        ax.set_visible(False)
    if path is not None:
        fig.savefig(path, dpi=dpi)
    return fig
