"""The ``shrinkage nn`` experiment: every (method, λ, seed) of a grid, its table, its files.

:class:`ExperimentConfig` names the data, the network, the methods, the λ grid and the
seeds; :func:`run_experiment` trains each run (:func:`~shrinkage.nn.training.train`),
shows progress (:mod:`~shrinkage.nn.progress`) and writes the folder
(:mod:`~shrinkage.nn.results`) through :mod:`shrinkage._output`, which never overwrites
what it did not write. :class:`ExperimentResult` averages the runs over the seeds.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from .._output import check_target, staged_folder
from ..io import TableFormat
from .data import Split, load_csv, load_digits_split, load_fashion_mnist
from .progress import Progress
from .results import write_results
from .training import METHODS, RunResult, train

__all__ = ["ExperimentConfig", "ExperimentResult", "load_data", "run_experiment"]


@dataclass(frozen=True)
class ExperimentConfig:
    """Everything that defines a ``shrinkage nn`` run (saved in ``results.json``).

    Parameters
    ----------
    data : {"digits", "fashion-mnist", "csv"}, default="digits"
    path : str, optional
        The Fashion-MNIST folder or the CSV file (not for digits).
    target : str, optional
        The CSV's class column.
    n_train, n_test : int or None
        Training rows (default 1000) and test rows (default: all the others; a CSV holds
        out 25% of its rows).
    methods : tuple of str
        Among ``METHODS`` (``none``, ``l2``, ``weight-decay``, ``l1-loss``, ``prox-l1``,
        ``group-l1``); default all.
    lambdas : tuple of float, default=(0.3, 1.0, 3.0)
        The λ grid (each ``> 0``), in Nielsen's units: the strength is ``λ/n``.
    hidden : tuple of int, default=(30,)
        Hidden layer sizes.
    activation : {"sigmoid", "tanh", "relu"}, default="sigmoid"
    init : {"pytorch", "normal"}, default="pytorch"
    optimizer : {"sgd", "adam"}, default="sgd"
    lr : float, optional
        Learning rate (default 0.5 for SGD, 1e-3 for Adam).
    epochs : int, default=30
    batch_size : int, default=10
    seeds : tuple of int, default=(0, 1)
        One run per seed, method and λ. Methods, λ and seeds must each be given once.
    histogram_lambda : float, optional
        λ of the weight-histogram and training-curve figures, one of ``lambdas``
        (default: the grid's middle).
    table_format : shrinkage.io.TableFormat, optional
        The CSV's separator, decimal mark and encoding (``--sep``, ``--decimal``,
        ``--encoding``); default: comma-separated UTF-8 with decimal points.
    """

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
    table_format: TableFormat | None = None

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
        # A repeat is the same run again (same seed, same split): it would show in the
        # table as two independent runs, with a misleading "± 0.000".
        for what, values in (("method", self.methods), ("λ", self.lambdas), ("seed", self.seeds)):
            repeated = first_repeat(values)
            if repeated is not None:
                raise ValueError(f"{describe(what, repeated)} is listed twice; give each once.")
        if self.histogram_lambda is not None and self._grid_match(self.histogram_lambda) is None:
            # The figures draw the runs at this λ: outside the grid there are none.
            raise ValueError(
                f"histogram_lambda={self.histogram_lambda:g} is not in the λ grid "
                f"{format_grid(self.lambdas)}; pick one of them."
            )

    def _grid_match(self, lam: float) -> float | None:
        """The grid's λ equal to ``lam`` up to rounding (``0.1 * 3`` for 0.3), or None."""
        return next((g for g in self.lambdas if math.isclose(g, lam, rel_tol=1e-9)), None)

    @property
    def histogram_lam(self) -> float:
        """λ of the weight-histogram figure: as given (a grid value), or the grid's middle."""
        if self.histogram_lambda is not None:
            return self._grid_match(self.histogram_lambda)
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


def first_repeat(values) -> Any:
    """The first value of ``values`` that an earlier one equals, or None (``1`` = ``1.0``)."""
    seen = set()
    for value in values:
        if value in seen:
            return value
        seen.add(value)
    return None


def describe(what: str, value: Any) -> str:
    """``"seed 0"``, ``"λ = 1"``, ``"method 'none'"``: one value, for error messages."""
    if what == "λ":
        return f"λ = {value:g}"
    return f"{what} {value!r}" if isinstance(value, str) else f"{what} {value}"


def format_grid(lambdas) -> str:
    """``(0.3, 1, 3)``: a λ grid as the user typed it."""
    return "(" + ", ".join(f"{lam:g}" for lam in lambdas) + ")"


def load_data(config: ExperimentConfig, seed: int = 0) -> Split:
    """The :class:`Split` a config describes (the split is drawn with ``seed``)."""
    if config.data == "digits":
        return load_digits_split(config.n_train or 1000, seed=seed, n_test=config.n_test)
    if config.data == "fashion-mnist":
        return load_fashion_mnist(config.path, config.n_train, config.n_test, seed)
    return load_csv(
        config.path, config.target, n_train=config.n_train, n_test=config.n_test, seed=seed,
        table_format=config.table_format,
    )


@dataclass
class ExperimentResult:
    """Every run of an experiment; :meth:`table` and :meth:`to_markdown` summarize them."""

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
        non-empty folder is refused unless ``force`` and it is a previous shrinkage output;
        a folder holding other files, or the input data, is always refused. Files are
        written to a temporary folder next to it and moved into place at the end, so an
        interrupted run leaves nothing half written (:mod:`shrinkage._output`).
    force : bool
        Replace an existing ``out`` that shrinkage wrote.
    progress : bool
        Show a progress bar (tqdm if installed, else a line per run) on stderr.
    command : str, optional
        The command line to record in ``results.md``.
    """
    out_path = Path(out) if out is not None else None
    inputs = [config.path] if config.path else []
    if out_path is not None:  # fail before the training, not after
        check_target(out_path, force, inputs, folder=True)
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
        first_seed = plan[0][2]
        splits[first_seed] = load_data(config, first_seed)  # a bad input fails before the bar
        bar = Progress(len(plan) * config.epochs, len(plan), progress)
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
        with staged_folder(out_path, force, inputs) as folder:
            write_results(result, first, folder, command)
    return result
