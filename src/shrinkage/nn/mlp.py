"""The network of ``shrinkage nn``: a multilayer perceptron, and its pruned hidden units.

``Linear → activation → ... → Linear``, the last layer giving logits (the softmax is in
the loss). Only the ``Linear`` weights are penalized (:func:`~shrinkage.nn.default_include`).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

__all__ = ["ACTIVATIONS", "build_mlp", "hidden_units_pruned"]

ACTIVATIONS = {"sigmoid": nn.Sigmoid, "tanh": nn.Tanh, "relu": nn.ReLU}


def build_mlp(
    n_features: int,
    n_classes: int,
    hidden: Sequence[int] = (30,),
    activation: str = "sigmoid",
    init: str = "pytorch",
) -> nn.Sequential:
    """``Linear → activation → ... → Linear`` (logits; softmax is in the loss).

    ``init="normal"`` draws every weight and bias from N(0, 1), the initialization of
    Nielsen's chapters 1-3 (large: sigmoid units start saturated); ``"pytorch"`` keeps
    PyTorch's default ``U(±1/sqrt(fan_in))``.

    Parameters
    ----------
    n_features : int
        Inputs of the first layer.
    n_classes : int
        Outputs (logits) of the last layer.
    hidden : sequence of int, default=(30,)
        Units of each hidden layer.
    activation : {"sigmoid", "tanh", "relu"}, default="sigmoid"
    init : {"pytorch", "normal"}, default="pytorch"

    Returns
    -------
    nn.Sequential
    """
    if activation not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {sorted(ACTIVATIONS)}, got {activation!r}.")
    if init not in ("pytorch", "normal"):
        raise ValueError(f"init must be 'pytorch' or 'normal', got {init!r}.")
    if not hidden or any(h < 1 for h in hidden):
        raise ValueError(f"hidden layer sizes must be positive integers, got {list(hidden)}.")
    layers: list[nn.Module] = []
    sizes = [n_features, *hidden]
    for n_in, n_out in zip(sizes[:-1], sizes[1:], strict=True):
        layers += [nn.Linear(n_in, n_out), ACTIVATIONS[activation]()]
    layers.append(nn.Linear(sizes[-1], n_classes))
    model = nn.Sequential(*layers)
    if init == "normal":
        with torch.no_grad():
            for p in model.parameters():
                p.normal_()
    return model


def hidden_units_pruned(model: nn.Module) -> int:
    """Hidden units of an MLP that no longer matter: all incoming weights zero (the unit
    outputs a constant) or all outgoing weights zero (nobody reads it)."""
    linears = [m for m in model.modules() if isinstance(m, nn.Linear)]
    pruned = 0
    for layer, following in zip(linears[:-1], linears[1:], strict=True):
        w_in, w_out = layer.weight.detach(), following.weight.detach()
        pruned += int(((w_in == 0).all(dim=1) | (w_out == 0).all(dim=0)).sum())
    return pruned
