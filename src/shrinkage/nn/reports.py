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

The weight histograms (``log10 |w|`` with the exact zeros as their own bar) are drawn by
:mod:`shrinkage.nn.histograms`. Matplotlib is imported inside the plotting functions only,
and figures are built with :class:`matplotlib.figure.Figure` (no pyplot, no global state,
never ``show()``).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

import torch
from torch import Tensor, nn

from .._docs import inherit_entries
from .penalties import Penalty
from .selection import Include, PenalizedParameter, select_parameters

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes

__all__ = [
    "LayerSparsity",
    "SparsityReport",
    "TrainingHistory",
    "Weights",
    "saturation",
    "saturation_by_layer",
    "sparsity",
    "weight_entries",
    # Moved to ``histograms``; still importable from here, loaded on first use.
    "plot_weight_histogram",  # noqa: F822
    "plot_weight_histograms",  # noqa: F822
]
_MOVED = frozenset(("plot_weight_histogram", "plot_weight_histograms"))

Weights = nn.Module | Penalty | Tensor | Iterable[Tensor] | Iterable[tuple[str, Tensor]]


def weight_entries(weights: Weights, include: Include | None = None) -> list[PenalizedParameter]:
    """The tensors to measure: a penalty's own, or a selection (:func:`select_parameters`)."""
    if isinstance(weights, Penalty):
        return list(weights.entries)
    return select_parameters(weights, include)


@dataclass(frozen=True)
class LayerSparsity:
    """Sparsity of one weight tensor.

    Parameters
    ----------
    name : str
        The parameter's name.
    shape : tuple of int
    n_weights, n_zero : int
        Entries, and how many are exactly zero.

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
    """Per-layer :class:`LayerSparsity` and totals over all the weights measured.

    Parameters
    ----------
    layers : tuple of LayerSparsity
    """

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
    for entry in weight_entries(weights, include):
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

    Parameters
    ----------
    model : nn.Module
    inputs : Tensor
        A batch the model runs on.
    threshold : float, default=0.1
        Saturated when ``f'(z) / f'(0) < threshold``.

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


@inherit_entries(saturation_by_layer)
def saturation(model: nn.Module, inputs: Tensor, threshold: float = 0.1) -> float:
    """Fraction of saturated sigmoid / tanh activations on ``inputs``, over all such layers.

    See :func:`saturation_by_layer` for the definition and the parameters. Layers are
    weighted equally.

    Returns
    -------
    float
        In ``[0, 1]``.
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
    threshold : float, default=0.1
        The saturation threshold (:func:`saturation`).
    rows : list of dict, optional
        Rows already recorded (one per epoch); default empty.

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


def __getattr__(name: str) -> Any:
    if name in _MOVED:
        from . import histograms

        return getattr(histograms, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
