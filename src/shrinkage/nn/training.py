"""Train a small MLP with each kind of penalty over a λ grid: the ``shrinkage nn`` job.

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

Only the weights of the linear layers are penalized, never the biases.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from .data import Split, load_csv, load_digits_split, load_fashion_mnist
from .penalties import L1, L2, GroupL1, Penalty, default_include
from .proximal import Proximal
from .reports import (
    SparsityReport,
    TrainingHistory,
    saturation,
    sparsity,
)

__all__ = [
    "METHODS",
    "ExperimentConfig",
    "ExperimentResult",
    "RunResult",
    "TrainingDiverged",
    "build_mlp",
    "hidden_units_pruned",
    "load_data",
    "run_experiment",
    "train",
]

METHODS: dict[str, str] = {
    "none": "no penalty",
    "l2": "L2 in the loss, λ/(2n)·Σw² (coupled)",
    "weight-decay": "decoupled weight decay, w ← w(1 − lr·λ/n)",
    "l1-loss": "L1 in the loss, λ/n·Σ|w| (subgradient)",
    "prox-l1": "proximal L1, λ/n·Σ|w|",
    "group-l1": "proximal group L1 by input, λ/n·Σ_g √p_g‖w_g‖",
}
ACTIVATIONS = {"sigmoid": nn.Sigmoid, "tanh": nn.Tanh, "relu": nn.ReLU}
OPTIMIZERS = ("sgd", "adam")
DEFAULT_LR = {"sgd": 0.5, "adam": 1e-3}


class TrainingDiverged(ValueError):
    """The loss became NaN or infinite."""


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


def hidden_units_pruned(model: nn.Module) -> int:
    """Hidden units of an MLP that no longer matter: all incoming weights zero (the unit
    outputs a constant) or all outgoing weights zero (nobody reads it)."""
    linears = [m for m in model.modules() if isinstance(m, nn.Linear)]
    pruned = 0
    for layer, following in zip(linears[:-1], linears[1:], strict=True):
        w_in, w_out = layer.weight.detach(), following.weight.detach()
        pruned += int(((w_in == 0).all(dim=1) | (w_out == 0).all(dim=0)).sum())
    return pruned


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


# -- the experiment -----------------------------------------------------------------------


@dataclass(frozen=True)
class ExperimentConfig:
    """Everything that defines a ``shrinkage nn`` run (saved in ``results.json``)."""

    data: str = "digits"  # "digits", "fashion-mnist" or "csv"
    path: str | None = None  # the Fashion-MNIST folder or the CSV file
    target: str | None = None  # the CSV class column
    n_train: int | None = 1000
    n_test: int | None = None
    methods: tuple[str, ...] = tuple(METHODS)
    lambdas: tuple[float, ...] = (0.3, 1.0, 3.0)
    hidden: tuple[int, ...] = (30,)
    activation: str = "sigmoid"
    init: str = "pytorch"
    optimizer: str = "sgd"
    lr: float | None = None
    epochs: int = 30
    batch_size: int = 10
    seeds: tuple[int, ...] = (0, 1)
    histogram_lambda: float | None = None

    def __post_init__(self) -> None:
        if self.data not in ("digits", "fashion-mnist", "csv"):
            raise ValueError(f"data must be digits, fashion-mnist or csv, got {self.data!r}.")
        if self.data != "digits" and not self.path:
            raise ValueError(f"data={self.data!r} needs a path.")
        if self.data == "csv" and not self.target:
            raise ValueError("a CSV needs the name of its class column (--target COLUMN).")
        unknown = [m for m in self.methods if m not in METHODS]
        if unknown or not self.methods:
            raise ValueError(f"unknown methods {unknown}; choose among {list(METHODS)}.")
        if not self.lambdas:
            raise ValueError("the λ grid is empty.")
        for lam in self.lambdas:
            if not (math.isfinite(lam) and lam > 0):
                raise ValueError(
                    f"every λ must be a finite number > 0 (λ=0 is the method 'none'), got {lam!r}."
                )
        if not self.seeds:
            raise ValueError("give at least one seed.")

    @property
    def histogram_lam(self) -> float:
        """λ of the weight-histogram figure: as given, or the grid's geometric middle."""
        if self.histogram_lambda is not None:
            return self.histogram_lambda
        grid = sorted(self.lambdas)
        return grid[(len(grid) - 1) // 2]

    def runs(self) -> list[tuple[str, float, int]]:
        """``(method, λ, seed)`` for every run; ``none`` once per seed with λ = 0."""
        out = []
        for seed in self.seeds:
            for method in self.methods:
                for lam in [0.0] if method == "none" else self.lambdas:
                    out.append((method, lam, seed))
        return out


def load_data(config: ExperimentConfig, seed: int = 0) -> Split:
    """The :class:`Split` a config describes (the split is drawn with ``seed``)."""
    if config.data == "digits":
        return load_digits_split(config.n_train or 1000, seed=seed, n_test=config.n_test)
    if config.data == "fashion-mnist":
        return load_fashion_mnist(config.path, config.n_train, config.n_test, seed)
    return load_csv(config.path, config.target, n_train=config.n_train, seed=seed)


@dataclass
class ExperimentResult:
    config: ExperimentConfig
    data_description: str
    runs: list[RunResult]
    n_constant_features: int

    def table(self) -> list[dict[str, Any]]:
        """One row per (method, λ): means (and standard deviations) over the seeds."""
        rows = []
        keys = []
        for run in self.runs:
            if (run.method, run.lam) not in keys:
                keys.append((run.method, run.lam))
        for method, lam in keys:
            group = [r.summary() for r in self.runs if (r.method, r.lam) == (method, lam)]
            row: dict[str, Any] = {"method": method, "lambda": lam, "n_seeds": len(group)}
            for key in (
                "test_accuracy",
                "train_accuracy",
                "zero_fraction",
                "saturation",
                "hidden_units_pruned",
                "inputs_pruned",
                "seconds",
            ):
                values = [g[key] for g in group if g[key] is not None]
                row[key] = float(np.mean(values)) if values else None
                if key in ("test_accuracy", "zero_fraction"):
                    row[key + "_std"] = float(np.std(values)) if values else None
            row["n_inputs"] = group[0]["n_inputs"]
            rows.append(row)
        return rows

    def to_markdown(self) -> str:
        c = self.config
        n_hidden = sum(c.hidden)
        lines = [
            "| method | λ | test accuracy | train accuracy | exact zeros | "
            f"hidden units pruned (of {n_hidden}) | inputs pruned | saturation |",
            "|---|---:|---:|---:|---:|---:|---:|---:|",
        ]

        def count(value: float) -> str:  # a mean over seeds need not be whole
            return f"{value:.0f}" if float(value).is_integer() else f"{value:.1f}"

        for row in self.table():
            sd = f" ± {row['test_accuracy_std']:.3f}" if row["n_seeds"] > 1 else ""
            sat = "–" if row["saturation"] is None else f"{row['saturation']:.3f}"
            lines.append(
                f"| {row['method']} | {row['lambda']:g} | {row['test_accuracy']:.3f}{sd} | "
                f"{row['train_accuracy']:.3f} | {row['zero_fraction']:.1%} | "
                f"{count(row['hidden_units_pruned'])} | "
                f"{count(row['inputs_pruned'])}/{row['n_inputs']} | "
                f"{sat} |"
            )
        return "\n".join(lines)


class _Progress:
    """tqdm if installed (on stderr), else one printed line per finished run."""

    def __init__(self, total_epochs: int, n_runs: int, enabled: bool) -> None:
        self.enabled, self.n_runs, self.done = enabled, n_runs, 0
        self.bar = None
        if enabled:
            try:
                from tqdm import tqdm
            except ImportError:
                tqdm = None
            if tqdm is not None:
                self.bar = tqdm(total=total_epochs, unit="epoch", file=sys.stderr, leave=False)

    def start(self, label: str) -> None:
        if self.bar is not None:
            self.bar.set_description(label)

    def epoch(self, _epoch: int) -> None:
        if self.bar is not None:
            self.bar.update(1)

    def finished(self, label: str, run: RunResult) -> None:
        self.done += 1
        if self.enabled and self.bar is None:
            print(
                f"[{self.done}/{self.n_runs}] {label}: test accuracy {run.test_accuracy:.3f}, "
                f"exact zeros {run.sparsity.zero_fraction:.1%} ({run.seconds:.1f} s)",
                file=sys.stderr,
                flush=True,
            )

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def _check_out(out: Path, force: bool) -> None:
    if out.exists():
        if not out.is_dir():
            raise ValueError(f"{out} exists and is not a folder; choose another --out.")
        if any(out.iterdir()) and not force:
            raise ValueError(
                f"{out} exists and is not empty; pass --force to replace it, or choose "
                "another --out."
            )


def run_experiment(
    config: ExperimentConfig,
    out: str | Path | None = None,
    *,
    force: bool = False,
    progress: bool = True,
    command: str | None = None,
) -> ExperimentResult:
    """Train every ``(method, λ, seed)`` of ``config``; write the table and figures to ``out``.

    Parameters
    ----------
    config : ExperimentConfig
    out : path, optional
        Folder to create with ``results.md``, ``results.json`` and the figures. An existing
        non-empty folder is refused unless ``force``. Files are written to a temporary
        folder next to it and moved into place at the end, so an interrupted run leaves
        nothing half written.
    force : bool
        Replace an existing ``out``.
    progress : bool
        Show a progress bar (tqdm if installed, else a line per run) on stderr.
    command : str, optional
        The command line to record in ``results.md``.
    """
    out_path = Path(out) if out is not None else None
    if out_path is not None:  # fail before the training, not after
        _check_out(out_path, force)
        try:
            import matplotlib  # noqa: F401
        except ImportError:
            raise ValueError(
                "writing the figures needs matplotlib: pip install 'shrinkage[plot]'."
            ) from None
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny matrices: one thread is fastest and deterministic
    try:
        splits: dict[int, Split] = {}
        runs: list[RunResult] = []
        plan = config.runs()
        bar = _Progress(len(plan) * config.epochs, len(plan), progress)
        try:
            for method, lam, seed in plan:
                if seed not in splits:
                    splits[seed] = load_data(config, seed)
                label = f"{method} λ={lam:g} seed={seed}"
                bar.start(label)
                run = train(
                    splits[seed],
                    method,
                    lam,
                    hidden=config.hidden,
                    activation=config.activation,
                    init=config.init,
                    optimizer=config.optimizer,
                    lr=config.lr,
                    epochs=config.epochs,
                    batch_size=config.batch_size,
                    seed=seed,
                    on_epoch=bar.epoch,
                )
                runs.append(run)
                bar.finished(label, run)
        finally:
            bar.close()
    finally:
        torch.set_num_threads(threads)
    first = splits[config.seeds[0]]
    result = ExperimentResult(config, first.description, runs, first.n_constant_features)
    if out_path is not None:
        _write_atomically(out_path, force, lambda folder: _write(result, first, folder, command))
    return result


def _write_atomically(out: Path, force: bool, write: Callable[[Path], None]) -> None:
    _check_out(out, force)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=out.parent))
    try:
        write(tmp)
        os.chmod(tmp, 0o755)  # mkdtemp makes it private
        if out.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-", dir=out.parent))
            os.replace(out, old / "replaced")
            os.replace(tmp, out)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _jsonable(value: Any) -> Any:
    """NaN/inf → null, floats to 6 significant digits (the measurements are not finer)."""
    if isinstance(value, float):
        return float(f"{value:.6g}") if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return value


def _compact_json(payload: dict[str, Any]) -> str:
    """One line per top-level key, and per run / table row: small, and diffable."""

    def dump(value: Any) -> str:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))

    lines = []
    for key, value in payload.items():
        if isinstance(value, list) and value and isinstance(value[0], dict):
            items = ",\n  ".join(dump(v) for v in value)
            lines.append(f"{dump(key)}:[\n  {items}\n ]")
        else:
            lines.append(f"{dump(key)}:{dump(value)}")
    return "{\n " + ",\n ".join(lines) + "\n}\n"


def _write(result: ExperimentResult, data: Split, folder: Path, command: str | None) -> None:
    from . import _figures

    config = result.config
    figures = _figures.write_all(result, data, folder)
    payload = {
        "config": asdict(config),
        "data": result.data_description,
        "n_constant_features": result.n_constant_features,
        "command": command,
        "table": result.table(),
        "runs": [
            {**r.summary(), "sparsity": r.sparsity.to_dict(), "history": r.history}
            for r in result.runs
        ],
        "figures": figures,
        "versions": {"torch": torch.__version__, "numpy": np.__version__},
    }
    (folder / "results.json").write_text(_compact_json(_jsonable(payload)))
    lr = config.lr if config.lr is not None else DEFAULT_LR[config.optimizer]
    hidden = "-".join(map(str, config.hidden))
    lines = [
        "# shrinkage nn results",
        "",
        f"Data: {result.data_description}.",
        f"Network: MLP {data.n_features}-{hidden}-{data.n_classes}, {config.activation} "
        f"hidden units, {config.init} initialization; {config.optimizer} lr={lr:g}, batch "
        f"{config.batch_size}, {config.epochs} epochs; seeds {list(config.seeds)}; penalty "
        "strength λ/n on the weights (never the biases).",
        f"Inputs constant on the training rows (dropped by any L1 for free): "
        f"{result.n_constant_features} of {data.n_features}.",
        "",
    ]
    if command:
        lines += ["Command:", "", "```", command, "```", ""]
    lines += [
        result.to_markdown(),
        "",
        "Test accuracy after the last epoch (mean ± sd over seeds); exact zeros over all "
        "weights; hidden units pruned = rows or columns of hidden weights all zero; inputs "
        "pruned = first-layer columns all zero; saturation = fraction of sigmoid/tanh "
        "activations with f'(z)/f'(0) < 0.1 on up to 1000 test rows.",
        "",
        "Methods: " + "; ".join(f"`{m}`: {METHODS[m]}" for m in config.methods) + ".",
        "",
        "Figures: " + ", ".join(f"[{name}]({name})" for name in figures) + ".",
        "",
    ]
    (folder / "results.md").write_text("\n".join(lines))
