"""What a penalty did to a network: exact zeros, pruned units and inputs, saturation.

* :func:`sparsity` -- per layer: exact-zero weights, *units pruned* (output groups, i.e. rows
  of a linear weight, all zero: the unit ignores its inputs) and *inputs pruned* (input
  groups, i.e. columns, all zero: the layer ignores that input). On the first layer the
  pruned inputs are the features the network no longer reads.
* :func:`saturation` -- the fraction of sigmoid / tanh activations that are saturated on a
  batch: activation ``f`` is saturated at ``z`` when ``f'(z) / f'(0) < threshold``
  (default 0.1, i.e. learning through that unit is at least 10x slower than at ``z = 0``:
  ``|z| > 3.64`` for the sigmoid, ``|z| > 1.82`` for tanh).
* :class:`TrainingHistory` -- both of them (and any metric you pass) recorded over epochs.
* :func:`plot_weight_histogram`, :func:`plot_weight_histograms` -- the distribution of
  ``log10 |w|``, with the exact zeros as their own bar (they have no logarithm).

Matplotlib is imported inside the plotting functions only, and figures are built with
:class:`matplotlib.figure.Figure` (no pyplot, no global state, never ``show()``).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch
from torch import Tensor, nn

from .penalties import Include, PenalizedParameter, Penalty, select_parameters

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = [
    "LayerSparsity",
    "SparsityReport",
    "TrainingHistory",
    "plot_weight_histogram",
    "plot_weight_histograms",
    "saturation",
    "saturation_by_layer",
    "sparsity",
]

Weights = nn.Module | Penalty | Tensor | Iterable[Tensor] | Iterable[tuple[str, Tensor]]


def _entries(weights: Weights, include: Include | None = None) -> list[PenalizedParameter]:
    if isinstance(weights, Penalty):
        return list(weights.entries)
    return select_parameters(weights, include)


@dataclass(frozen=True)
class LayerSparsity:
    """Sparsity of one weight tensor.

    Attributes
    ----------
    n_units, units_pruned : int
        Output groups (rows of a linear weight, output channels of a convolution) and how
        many are entirely zero.
    n_inputs, inputs_pruned : int
        Input groups (columns, input channels) and how many are entirely zero.
    """

    name: str
    shape: tuple[int, ...]
    n_weights: int
    n_zero: int
    n_units: int
    units_pruned: int
    n_inputs: int
    inputs_pruned: int

    @property
    def zero_fraction(self) -> float:
        return self.n_zero / self.n_weights


@dataclass(frozen=True)
class SparsityReport:
    """Per-layer :class:`LayerSparsity` and totals over all the weights measured."""

    layers: tuple[LayerSparsity, ...]

    @property
    def n_weights(self) -> int:
        return sum(layer.n_weights for layer in self.layers)

    @property
    def n_zero(self) -> int:
        return sum(layer.n_zero for layer in self.layers)

    @property
    def zero_fraction(self) -> float:
        """Exact zeros over all the weights measured."""
        return self.n_zero / self.n_weights

    @property
    def inputs_pruned(self) -> int:
        """Inputs of the first layer (in module order) that no weight reads."""
        return self.layers[0].inputs_pruned

    @property
    def n_inputs(self) -> int:
        return self.layers[0].n_inputs

    def to_dict(self) -> dict[str, Any]:
        return {
            "n_weights": self.n_weights,
            "n_zero": self.n_zero,
            "zero_fraction": self.zero_fraction,
            "layers": [{**asdict(layer), "shape": list(layer.shape)} for layer in self.layers],
        }

    def to_markdown(self) -> str:
        lines = [
            "| layer | shape | exact zeros | units pruned | inputs pruned |",
            "|---|---|---:|---:|---:|",
        ]
        for layer in self.layers:
            lines.append(
                f"| {layer.name} | {'x'.join(map(str, layer.shape))} | "
                f"{layer.n_zero}/{layer.n_weights} ({layer.zero_fraction:.1%}) | "
                f"{layer.units_pruned}/{layer.n_units} | {layer.inputs_pruned}/{layer.n_inputs} |"
            )
        lines.append(
            f"| **total** | | {self.n_zero}/{self.n_weights} ({self.zero_fraction:.1%}) | | |"
        )
        return "\n".join(lines)


@torch.no_grad()
def sparsity(weights: Weights, include: Include | None = None) -> SparsityReport:
    """Exact zeros, pruned units and pruned inputs, layer by layer.

    Parameters
    ----------
    weights : nn.Module, Penalty, Tensor or iterable of tensors
        A module (default selection: the weights of its linear and convolution layers, as
        the penalties use), a penalty (its parameters), or tensors.
    include : callable, optional
        ``include(name, param, module) -> bool``, as for the penalties.

    Returns
    -------
    SparsityReport
    """
    layers = []
    for entry in _entries(weights, include):
        zero = entry.grouped() == 0
        # A group is pruned when all its weights are zero: reduce "all" over its dims.
        units = zero.all(dim=entry.reduce_dims("output"))
        inputs = zero.all(dim=entry.reduce_dims("input"))
        layers.append(
            LayerSparsity(
                name=entry.name,
                shape=tuple(entry.param.shape),
                n_weights=entry.param.numel(),
                n_zero=int(zero.sum()),
                n_units=units.numel(),
                units_pruned=int(units.sum()),
                n_inputs=inputs.numel(),
                inputs_pruned=int(inputs.sum()),
            )
        )
    if not layers:
        raise ValueError("no weights to measure: the selection is empty.")
    return SparsityReport(tuple(layers))


_SATURATING = (nn.Sigmoid, nn.Tanh)


def _relative_derivative(module: nn.Module, output: Tensor) -> Tensor:
    # f'(z)/f'(0) from the output: 4σ(1-σ) for the sigmoid, 1 - tanh² for tanh.
    if isinstance(module, nn.Sigmoid):
        return 4 * output * (1 - output)
    return 1 - output * output


@torch.no_grad()
def saturation_by_layer(
    model: nn.Module, inputs: Tensor, threshold: float = 0.1
) -> dict[str, float]:
    """Fraction of saturated activations of each ``nn.Sigmoid`` / ``nn.Tanh`` module.

    An activation ``f(z)`` is saturated when ``f'(z) / f'(0) < threshold``: for the
    sigmoid ``4σ(z)(1 − σ(z)) < threshold``, for tanh ``1 − tanh(z)² < threshold``. The
    fraction is over all units of the layer and all rows of ``inputs`` (the model runs in
    eval mode, then its mode is restored). Activations called as functions
    (``torch.sigmoid``) cannot be seen: use the modules.

    Returns
    -------
    dict
        Module name -> fraction in ``[0, 1]``.
    """
    if not 0 < threshold < 1:
        raise ValueError(f"threshold must lie in (0, 1), got {threshold!r}.")
    found: dict[str, list[Tensor]] = {}
    handles = []
    for name, module in model.named_modules():
        if isinstance(module, _SATURATING):

            def hook(mod, args, output, name=name):
                saturated = _relative_derivative(mod, output) < threshold
                found.setdefault(name, []).append(saturated.float().mean())

            handles.append(module.register_forward_hook(hook))
    if not handles:
        raise ValueError(
            "the model has no nn.Sigmoid or nn.Tanh module, so there is no saturation to "
            "measure (activations called as functions are invisible to hooks)."
        )
    was_training = model.training
    try:
        model.eval()
        model(inputs)
    finally:
        model.train(was_training)
        for handle in handles:
            handle.remove()
    # A module used several times (called in a loop) counts every call.
    return {name: float(torch.stack(values).mean()) for name, values in found.items()}


def saturation(model: nn.Module, inputs: Tensor, threshold: float = 0.1) -> float:
    """Fraction of saturated sigmoid / tanh activations on ``inputs``, over all such layers.

    See :func:`saturation_by_layer` for the definition. Layers are weighted equally.
    """
    by_layer = saturation_by_layer(model, inputs, threshold)
    return sum(by_layer.values()) / len(by_layer)


@dataclass
class TrainingHistory:
    """Sparsity, saturation and your metrics, recorded once per epoch.

    Parameters
    ----------
    model : nn.Module
    inputs : Tensor, optional
        A fixed batch on which :func:`saturation` is measured (skipped if ``None`` or if the
        model has no sigmoid / tanh module).
    weights : Penalty or tensors, optional
        What :func:`sparsity` measures (default: the model's default selection).

    Examples
    --------
    >>> history = TrainingHistory(model, inputs=x_test[:512])   # doctest: +SKIP
    >>> for epoch in range(n_epochs):                            # doctest: +SKIP
    ...     train_one_epoch()
    ...     history.record(epoch, test_accuracy=accuracy())
    >>> history["zero_fraction"]                                 # doctest: +SKIP
    """

    model: nn.Module
    inputs: Tensor | None = None
    weights: Weights | None = None
    threshold: float = 0.1
    rows: list[dict[str, float]] = field(default_factory=list)

    def __post_init__(self) -> None:
        has_saturating = any(isinstance(m, _SATURATING) for m in self.model.modules())
        self._measure_saturation = self.inputs is not None and has_saturating

    def record(self, epoch: int, **metrics: float) -> dict[str, float]:
        """Measure now and append a row ``{epoch, zero_fraction, ..., **metrics}``."""
        report = sparsity(self.model if self.weights is None else self.weights)
        row: dict[str, float] = {
            "epoch": epoch,
            "zero_fraction": report.zero_fraction,
            "units_pruned": sum(layer.units_pruned for layer in report.layers),
            "inputs_pruned": report.inputs_pruned,
        }
        if self._measure_saturation:
            row["saturation"] = saturation(self.model, self.inputs, self.threshold)
        row.update({k: float(v) for k, v in metrics.items()})
        self.rows.append(row)
        return row

    def __getitem__(self, key: str) -> list[float]:
        return [row.get(key, math.nan) for row in self.rows]

    def __len__(self) -> int:
        return len(self.rows)

    def to_dict(self) -> dict[str, list[float]]:
        """Column lists, ``{"epoch": [...], "zero_fraction": [...], ...}``."""
        keys: list[str] = []
        for row in self.rows:
            keys += [k for k in row if k not in keys]
        return {k: self[k] for k in keys}

    def plot(self, keys: Sequence[str] = ("zero_fraction", "saturation"), ax: Axes | None = None):
        """Plot the given columns against the epoch; returns the Axes."""
        if ax is None:
            from matplotlib.figure import Figure

            ax = Figure(figsize=(5, 3.2)).subplots()
        epochs = self["epoch"]
        for key in keys:
            ax.plot(epochs, self[key], label=key.replace("_", " "))
        ax.set_xlabel("epoch")
        ax.legend(frameon=False)
        return ax


def _magnitudes(weights: Weights) -> Tensor:
    with torch.no_grad():
        return torch.cat(
            [e.param.detach().abs().flatten().double().cpu() for e in _entries(weights)]
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
        The y axis is the fraction of all weights.
    """
    import numpy as np

    if ax is None:
        from matplotlib.figure import Figure

        ax = Figure(figsize=(4, 3)).subplots()
    mags = _magnitudes(weights).numpy()
    n = mags.size
    nonzero = np.log10(mags[mags > 0]).clip(min=low)
    hi = max(float(nonzero.max()) if nonzero.size else 0.0, low + 1.0)
    lo = min(float(nonzero.min()) if nonzero.size else hi - 1.0, hi - 1.0)
    counts, edges = np.histogram(nonzero, bins=bins, range=(lo, hi))
    width = edges[1] - edges[0]
    ax.bar(edges[:-1], counts / n, width=width, align="edge", color="tab:blue")
    zero_x = lo - 3 * width  # the zeros' bar, apart from the rest
    n_zero = int(np.sum(mags == 0))
    ax.bar([zero_x], [n_zero / n], width=2 * width, color="tab:red")
    ax.set_xticks([zero_x, *np.linspace(np.ceil(lo), np.floor(hi), 4)])
    ax.set_xticklabels(
        ["0"] + [f"$10^{{{t:.0f}}}$" for t in np.linspace(np.ceil(lo), np.floor(hi), 4)]
    )
    ax.set_xlabel("|w|")
    ax.set_ylabel("fraction of weights")
    ax.set_title(f"{label + ': ' if label else ''}{n_zero / n:.0%} exact zeros", fontsize=9)
    return ax


def plot_weight_histograms(
    named_weights: Mapping[str, Weights],
    path: str | Path | None = None,
    *,
    ncols: int = 3,
    bins: int = 40,
    dpi: int = 90,
) -> Figure:
    """One :func:`plot_weight_histogram` panel per entry; saved to ``path`` if given."""
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
