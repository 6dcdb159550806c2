"""Which parameters a penalty acts on: the weights of linear and convolution layers.

A penalty is built on a module or on tensors; :func:`select_parameters` turns either into
a list of :class:`PenalizedParameter`, each tensor once. By default a module contributes
the ``weight`` of its ``nn.Linear``, ``nn.Conv*d`` and ``nn.ConvTranspose*d`` layers
(:func:`default_include`) and never a bias, a normalization scale or shift, or an
embedding. Each :class:`PenalizedParameter` also knows how its weights group into
*units* (rows: everything feeding one output) and *inputs* (columns: everything reading
one input), which :class:`~shrinkage.nn.GroupL1` and :func:`~shrinkage.nn.sparsity` use.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Literal

from torch import Tensor, nn
from torch.nn.utils import parametrize

__all__ = [
    "Include",
    "PenalizedParameter",
    "Parameters",
    "computed_weights",
    "default_include",
    "select_parameters",
]

#: ``include(name, param, module) -> bool``: keep this parameter in the selection?
Include = Callable[[str, Tensor, "nn.Module | None"], bool]
#: What a penalty can be built on: a module, a tensor, tensors or (name, tensor) pairs.
Parameters = nn.Module | Tensor | Iterable[Tensor] | Iterable[tuple[str, Tensor]]

# The layers whose ``weight`` is penalized by default. Normalization layers (BatchNorm,
# LayerNorm, GroupNorm, ...) and every bias are left out: shrinking a scale or a shift
# changes what the layer computes without making the model any simpler. Embeddings are left
# out too: each row only gets gradient when its token appears, so a penalty there acts on
# rare tokens far more than on frequent ones (opt in with ``include=``).
_WEIGHT_LAYERS: tuple[type[nn.Module], ...] = (
    nn.Linear,
    nn.Conv1d,
    nn.Conv2d,
    nn.Conv3d,
    nn.ConvTranspose1d,
    nn.ConvTranspose2d,
    nn.ConvTranspose3d,
)
_TRANSPOSED = (nn.ConvTranspose1d, nn.ConvTranspose2d, nn.ConvTranspose3d)


def default_include(name: str, param: Tensor, module: nn.Module | None) -> bool:
    """The default selection: the ``weight`` of ``nn.Linear``, ``nn.Conv*d`` and
    ``nn.ConvTranspose*d`` layers (subclasses included), if it requires grad.

    Never a bias, a normalization scale or shift, or an embedding.

    Parameters
    ----------
    name : str
        The parameter's name in its module (``"weight"``, ``"bias"``, ...).
    param : Tensor
    module : nn.Module or None
        The module that owns it (None for a bare tensor: not selected).

    Returns
    -------
    bool
    """
    return (
        isinstance(module, _WEIGHT_LAYERS)
        and param is getattr(module, "weight", None)
        and param.requires_grad
    )


@dataclass(frozen=True, eq=False)
class PenalizedParameter:
    """One penalized tensor and how its weights group into units and inputs.

    The tensor is seen as ``(G, O, I, K...)``: ``G`` convolution groups, ``O`` outputs and
    ``I`` inputs per group, ``K`` kernel positions. An *output group* is everything that
    feeds one output unit or channel (a row of a linear weight); an *input group* is
    everything that reads one input feature or channel (a column).

    Parameters
    ----------
    name : str
        The tensor's name (``"0.weight"``).
    param : Tensor
    conv_groups : int, default=1
        ``G``, the ``groups`` of the convolution that owns it.
    transposed : bool, default=False
        True for a ``ConvTranspose`` weight, stored ``(in, out/G, K...)``.
    """

    name: str
    param: Tensor
    conv_groups: int = 1
    transposed: bool = False

    def grouped(self, tensor: Tensor | None = None) -> Tensor:
        """A view of ``tensor`` (default: the parameter) shaped ``(G, A, B, K...)``.

        ``A, B`` are ``O, I`` (outputs first) except for transposed convolutions, whose
        weights are stored inputs first. In-place changes to the view change the tensor.
        """
        t = self.param if tensor is None else tensor
        if t.dim() == 1:
            # A vector is a column: each entry is an output, the whole vector one input.
            return t.unflatten(0, (1, t.shape[0])).unsqueeze(2)
        g = self.conv_groups
        return t.unflatten(0, (g, t.shape[0] // g))

    def reduce_dims(self, groups: Literal["output", "input"]) -> tuple[int, ...]:
        """Dimensions of :meth:`grouped` summed over within one group."""
        ndim = 3 if self.param.dim() == 1 else self.param.dim() + 1
        kernel = tuple(range(3, ndim))
        out_dim, in_dim = (2, 1) if self.transposed else (1, 2)
        # An output group runs over the inputs (and kernel), an input group over the outputs.
        return (in_dim, *kernel) if groups == "output" else (out_dim, *kernel)

    def group_size(self, groups: Literal["output", "input"]) -> int:
        shape = self.grouped().shape
        return math.prod(shape[d] for d in self.reduce_dims(groups))


def computed_weights(module: nn.Module) -> dict[str, list[str]]:
    """The layers whose ``weight`` is computed from other parameters, so never selected.

    ``torch.nn.utils.parametrizations.weight_norm`` / ``spectral_norm`` (and the older
    ``torch.nn.utils.weight_norm`` / ``spectral_norm``) replace a layer's ``weight``
    parameter by a tensor computed at each forward from other parameters; the default
    selection, which takes the ``weight`` *parameter* of linear and convolution layers,
    then finds nothing in that layer.

    Parameters
    ----------
    module : nn.Module

    Returns
    -------
    dict
        ``{layer name: [names of the trainable parameters its weight is computed from]}``,
        for the linear and convolution layers whose weight is not a parameter.
    """
    found = {}
    for name, layer in module.named_modules():
        if not isinstance(layer, _WEIGHT_LAYERS) or "weight" in dict(
            layer.named_parameters(recurse=False)
        ):
            continue
        prefix = f"{name}." if name else ""
        if parametrize.is_parametrized(layer, "weight"):
            plist = layer.parametrizations["weight"]
            sources = [
                (f"{prefix}parametrizations.weight.{n}", p) for n, p in plist.named_parameters()
            ]
        elif isinstance(layer.__dict__.get("weight"), Tensor):  # torch.nn.utils.weight_norm
            sources = [
                (prefix + n, p)
                for n, p in layer.named_parameters(recurse=False)
                if n.startswith("weight")
            ]
        else:
            continue
        trainable = [n for n, p in sources if p.requires_grad]
        if trainable:  # a frozen weight is left out on purpose, as a frozen parameter is
            found[name] = trainable
    return found


def _check_initialized(name: str, param: Tensor) -> None:
    if isinstance(param, nn.parameter.UninitializedParameter):
        raise ValueError(
            f"parameter {name!r} is not initialized yet (a lazy module): run one forward pass "
            "before building the penalty."
        )


def _as_entries(parameters: Parameters, include: Include | None) -> list[PenalizedParameter]:
    if isinstance(parameters, nn.Module):
        keep = default_include if include is None else include
        layer_of = _parametrized_layers(parameters)
        entries, seen = [], set()
        for module_name, module in parameters.named_modules():
            # The originals of a parametrized weight are grouped as their layer's weight.
            layer = layer_of.get(id(module), module)
            for param_name, param in module.named_parameters(recurse=False):
                if id(param) in seen:  # tied weights are penalized once
                    continue
                name = f"{module_name}.{param_name}" if module_name else param_name
                if keep(name, param, module):
                    _check_initialized(name, param)
                    seen.add(id(param))
                    entries.append(
                        PenalizedParameter(
                            name,
                            param,
                            int(getattr(layer, "groups", 1)) if param.dim() > 2 else 1,
                            isinstance(layer, _TRANSPOSED),
                        )
                    )
        return entries
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    elif isinstance(parameters, (str, bytes)) or not isinstance(parameters, Iterable):
        raise TypeError(
            "parameters must be an nn.Module, a tensor, or an iterable of tensors or of "
            f"(name, tensor) pairs, got {parameters!r}. Pass the model itself, "
            "model.named_parameters(), or a list of tensors."
        )
    entries, seen = [], set()
    for k, item in enumerate(parameters):
        if isinstance(item, tuple) and len(item) == 2 and isinstance(item[1], Tensor):
            name, param = item
        elif isinstance(item, Tensor):
            name, param = f"params[{k}]", item
        else:
            raise TypeError(
                "parameters must be an nn.Module or an iterable of tensors or of "
                f"(name, tensor) pairs; item {k} is a {type(item).__name__}."
            )
        if id(param) in seen or (include is not None and not include(name, param, None)):
            continue
        seen.add(id(param))
        entries.append(PenalizedParameter(str(name), param))
    return entries


def _parametrized_layers(module: nn.Module) -> dict[int, nn.Module]:
    """``id(ParametrizationList) -> the layer it belongs to``, for every parametrized layer."""
    return {
        id(plist): layer
        for layer in module.modules()
        if parametrize.is_parametrized(layer)
        for plist in layer.parametrizations.values()
    }


def _check_include(include: Include | None) -> None:
    if include is not None and not callable(include):
        raise TypeError(
            "include must be a callable include(name, param, module) -> bool, got "
            f"{include!r}. To select by name: include=lambda name, param, module: "
            "name.endswith('weight')."
        )


def select_parameters(
    parameters: Parameters, include: Include | None = None
) -> list[PenalizedParameter]:
    """The tensors a penalty acts on.

    Parameters
    ----------
    parameters : nn.Module, Tensor or iterable
        A module: its parameters are walked layer by layer and kept when
        ``include(name, param, module)`` is true (default :func:`default_include`: the
        weights of linear and convolution layers). An iterable of tensors or of
        ``(name, tensor)`` pairs (``model.named_parameters()``): all are kept unless
        ``include(name, param, None)`` says otherwise.
    include : callable, optional
        ``include(name, param, module) -> bool``.

    Returns
    -------
    list of PenalizedParameter
        Each distinct tensor once (tied weights are not counted twice).
    """
    _check_include(include)
    entries = _as_entries(parameters, include)
    for entry in entries:
        p = entry.param
        _check_initialized(entry.name, p)
        if not p.is_floating_point():
            raise TypeError(f"parameter {entry.name!r} has dtype {p.dtype}; penalties need floats.")
        if p.dim() == 0:
            raise ValueError(f"parameter {entry.name!r} is a scalar; penalize tensors of dim >= 1.")
    return entries
