"""One training run of ``shrinkage nn``: an MLP, one penalty method, one λ, one seed.

Methods (``λ`` in Nielsen's units: every penalty strength is ``λ/n``, ``n`` training rows):

=============== ===========================================================================
``none``        no penalty
``l2``          ``λ/(2n) Σw²`` added to the loss (coupled L2: the gradient gets ``λ/n·w``)
``weight-decay`` decoupled decay ``w ← w(1 − lr·λ/n)`` outside the gradient: AdamW's
                ``weight_decay=λ/n`` with ``--optimizer adam``; with SGD,
                ``Proximal(SGD, L2, decoupled=True)``, i.e. ``w ← w / (1 + lr·λ/n)``
``l1-loss``     ``λ/n Σ|w|`` added to the loss (subgradient; no exact zeros)
``prox-l1``     ``Proximal(optimizer, L1(model, λ, n_samples=n))``
``group-l1``    ``Proximal(optimizer, GroupL1(model, λ, groups="input", n_samples=n))``:
                whole inputs (first layer) and hidden units (later layers) drop out
=============== ===========================================================================

Only the weights of the linear layers are penalized, never the biases. The grid of runs,
its table and its files are :mod:`shrinkage.nn.experiment`'s job.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn

from .data import Split
from .mlp import build_mlp, hidden_units_pruned
from .penalties import L1, L2, GroupL1, Penalty
from .proximal import Proximal
from .reports import SparsityReport, TrainingHistory, saturation, sparsity
from .selection import default_include

__all__ = [
    "DEFAULT_LR",
    "METHODS",
    "OPTIMIZERS",
    "RunResult",
    "TrainingDiverged",
    "build_mlp",
    "hidden_units_pruned",
    "train",
    # The experiment lived here before the split; its names stay importable from this
    # module, loaded on first use (``experiment`` imports this module).
    "ExperimentConfig",  # noqa: F822
    "ExperimentResult",  # noqa: F822
    "load_data",  # noqa: F822
    "run_experiment",  # noqa: F822
]
_MOVED = frozenset(__all__[-4:])

METHODS: dict[str, str] = {
    "none": "no penalty",
    "l2": "L2 in the loss, λ/(2n)·Σw² (coupled)",
    "weight-decay": "decoupled weight decay: AdamW's w ← w(1 − lr·λ/n); SGD's w ← w/(1 + lr·λ/n)",
    "l1-loss": "L1 in the loss, λ/n·Σ|w| (subgradient)",
    "prox-l1": "proximal L1, λ/n·Σ|w|",
    "group-l1": "proximal group L1 by input, λ/n·Σ_g √p_g‖w_g‖",
}
OPTIMIZERS = ("sgd", "adam")
DEFAULT_LR = {"sgd": 0.5, "adam": 1e-3}


class TrainingDiverged(ValueError):
    """The loss became NaN or infinite."""


@dataclass
class RunResult:
    """One training run."""

    method: str
    lam: float
    seed: int
    test_accuracy: float
    train_accuracy: float
    sparsity: SparsityReport
    saturation: float | None
    seconds: float
    history: dict[str, list[float]]
    model: nn.Module = field(repr=False)

    def summary(self) -> dict[str, Any]:
        first = self.sparsity.layers[0]
        return {
            "method": self.method,
            "lambda": self.lam,
            "seed": self.seed,
            "test_accuracy": self.test_accuracy,
            "train_accuracy": self.train_accuracy,
            "zero_fraction": self.sparsity.zero_fraction,
            "hidden_units_pruned": hidden_units_pruned(self.model),
            "inputs_pruned": first.inputs_pruned,
            "n_inputs": first.n_inputs,
            "saturation": self.saturation,
            "seconds": self.seconds,
        }


def _make_optimizer(
    method: str, model: nn.Module, lam: float, n: int, optimizer: str, lr: float
) -> tuple[torch.optim.Optimizer, Penalty | None]:
    """The optimizer to step, and the penalty to add to the loss (or ``None``)."""
    if method == "weight-decay" and optimizer == "adam":
        decay = [
            p
            for m in model.modules()
            for p in m.parameters(recurse=False)
            if default_include("", p, m)
        ]
        rest = [p for p in model.parameters() if all(p is not q for q in decay)]
        groups = [{"params": decay, "weight_decay": lam / n}, {"params": rest, "weight_decay": 0.0}]
        return torch.optim.AdamW(groups, lr=lr), None
    if optimizer == "sgd":
        base: torch.optim.Optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    else:
        base = torch.optim.Adam(model.parameters(), lr=lr)
    if method == "none":
        return base, None
    if method == "l2":
        return base, L2(model, lam, n_samples=n)
    if method == "l1-loss":
        return base, L1(model, lam, n_samples=n)
    if method == "weight-decay":
        return Proximal(base, L2(model, lam, n_samples=n), decoupled=True), None
    if method == "prox-l1":
        return Proximal(base, L1(model, lam, n_samples=n)), None
    if method == "group-l1":
        return Proximal(base, GroupL1(model, lam, groups="input", n_samples=n)), None
    raise ValueError(f"method must be one of {list(METHODS)}, got {method!r}.")


def _accuracy(model: nn.Module, X: torch.Tensor, y: torch.Tensor) -> float:
    with torch.no_grad():
        was_training = model.training
        model.eval()
        correct = (model(X).argmax(dim=1) == y).sum().item()
        model.train(was_training)
    return correct / len(y)


def _check_positive(name: str, value: float, integer: bool = False) -> None:
    bad = not (isinstance(value, int) if integer else isinstance(value, (int, float)))
    if bad or isinstance(value, bool) or not math.isfinite(value) or value <= 0:
        kind = "a positive integer" if integer else "a positive number"
        raise ValueError(f"{name} must be {kind}, got {value!r}.")


def train(
    data: Split,
    method: str = "none",
    lam: float = 0.0,
    *,
    hidden: Sequence[int] = (30,),
    activation: str = "sigmoid",
    init: str = "pytorch",
    optimizer: str = "sgd",
    lr: float | None = None,
    epochs: int = 30,
    batch_size: int = 10,
    seed: int = 0,
    on_epoch: Callable[[int], None] | None = None,
) -> RunResult:
    """Train one MLP on ``data`` with one penalty; returns accuracies, sparsity, history.

    Parameters
    ----------
    data : Split
        From :func:`load_data` (or :mod:`shrinkage.nn.data`).
    method : str
        One of :data:`METHODS`.
    lam : float
        ``λ >= 0``; the penalty strength is ``λ/n`` (Nielsen), ``n`` the training rows.
    hidden, activation, init
        The network, see :func:`build_mlp`.
    optimizer : {"sgd", "adam"}
        Plain mini-batch SGD (no momentum) or Adam.
    lr : float, optional
        Learning rate; default 0.5 for SGD, 1e-3 for Adam.
    epochs, batch_size : int
        Passes over the training rows and rows per step (the last batch may be smaller).
    seed : int
        Seeds the initialization and the batch order (fully deterministic on CPU).
    on_epoch : callable, optional
        Called with the epoch number after each epoch (progress bars).

    Raises
    ------
    TrainingDiverged
        (a ``ValueError``) if the loss becomes NaN or infinite.
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {list(METHODS)}, got {method!r}.")
    if not (isinstance(lam, (int, float)) and math.isfinite(lam) and lam >= 0):
        raise ValueError(f"λ must be a finite number >= 0, got {lam!r}; λ=0 is no penalty.")
    if optimizer not in OPTIMIZERS:
        raise ValueError(f"optimizer must be one of {OPTIMIZERS}, got {optimizer!r}.")
    lr = DEFAULT_LR[optimizer] if lr is None else lr
    _check_positive("lr", lr)
    _check_positive("epochs", epochs, integer=True)
    _check_positive("batch_size", batch_size, integer=True)

    torch.manual_seed(seed)
    model = build_mlp(data.n_features, data.n_classes, hidden, activation, init)
    n = data.n_train
    opt, loss_penalty = _make_optimizer(method, model, lam, n, optimizer, lr)
    X_train = torch.from_numpy(data.X_train)
    y_train = torch.from_numpy(data.y_train)
    X_test = torch.from_numpy(data.X_test)
    y_test = torch.from_numpy(data.y_test)
    probe = X_test[:1000]  # the batch on which saturation is measured
    history = TrainingHistory(model, inputs=probe)
    history.record(0, test_accuracy=_accuracy(model, X_test, y_test))
    generator = torch.Generator().manual_seed(seed)
    loss_fn = nn.CrossEntropyLoss()
    start = time.perf_counter()
    for epoch in range(1, epochs + 1):
        order = torch.randperm(n, generator=generator)
        total = 0.0
        for begin in range(0, n, batch_size):
            rows = order[begin : begin + batch_size]
            opt.zero_grad()
            loss = loss_fn(model(X_train[rows]), y_train[rows])
            if loss_penalty is not None:
                loss = loss + loss_penalty()
            value = loss.item()
            if not math.isfinite(value):
                raise TrainingDiverged(
                    f"the loss became {value} at epoch {epoch} ({method}, λ={lam:g}, "
                    f"lr={lr:g}); lower the learning rate (--lr) or λ."
                )
            total += value * len(rows)
            loss.backward()
            opt.step()
        history.record(epoch, train_loss=total / n, test_accuracy=_accuracy(model, X_test, y_test))
        if on_epoch is not None:
            on_epoch(epoch)
    seconds = time.perf_counter() - start
    has_saturating = any(isinstance(m, (nn.Sigmoid, nn.Tanh)) for m in model.modules())
    return RunResult(
        method=method,
        lam=float(lam),
        seed=seed,
        test_accuracy=_accuracy(model, X_test, y_test),
        train_accuracy=_accuracy(model, X_train, y_train),
        sparsity=sparsity(model),
        saturation=saturation(model, probe) if has_saturating else None,
        seconds=seconds,
        history=history.to_dict(),
        model=model,
    )


def __getattr__(name: str) -> Any:
    if name in _MOVED:
        from . import experiment

        return getattr(experiment, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
