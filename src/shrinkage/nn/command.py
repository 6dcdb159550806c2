"""The ``shrinkage nn`` command: ``register(subparsers)`` adds it to a parser.

This module imports neither torch nor matplotlib: the handler does, when it runs, so the
``shrinkage`` command starts fast and works without PyTorch for its other commands.
"""

from __future__ import annotations

import argparse
import math
import shlex
import sys

__all__ = ["main", "register", "run"]

METHOD_NAMES = ("none", "l2", "weight-decay", "l1-loss", "prox-l1", "group-l1")

DESCRIPTION = """\
Train a small MLP with each penalty over a grid of λ and write a table and figures:
test accuracy, fraction of weights exactly zero and sigmoid saturation against λ, and
weight histograms per penalty. Every penalty is on the weights only (never the biases), at
strength λ/n with n the number of training rows (Nielsen's convention).

methods:
  none          no penalty
  l2            λ/(2n)·Σw² in the loss (coupled L2, = SGD/Adam weight_decay)
  weight-decay  decoupled decay: w ← w(1 − lr·λ/n) (AdamW) with --optimizer adam,
                w ← w/(1 + lr·λ/n) after the step with sgd
  l1-loss       λ/n·Σ|w| in the loss (subgradient: weights hover around 0, never reach it)
  prox-l1       λ/n·Σ|w| by its proximal map after each step (exact zeros)
  group-l1      group L1 on whole inputs / hidden units, by its proximal map
"""

EPILOG = """\
examples:
  shrinkage nn --out nn-digits                 # digits, all methods, 2 seeds (about 1 minute)
  shrinkage nn --out nn-fashion --fashion-mnist /usr/share/datasets/fashion-mnist \\
      --n-train 1000 --hidden 100 --epochs 30
  shrinkage nn --out nn-csv --csv data.csv --target label --methods none,l2,prox-l1
  shrinkage nn --out nn-csv --csv export.csv --target label \\
      --sep ';' --decimal , --encoding cp1252  # a European spreadsheet's export

The folder gets results.md, results.json and PNG figures. An existing non-empty folder is
refused; --force replaces only a folder that shrinkage wrote.
"""


def _lambdas(text: str) -> tuple[float, ...]:
    values = []
    for part in text.split(","):
        try:
            lam = float(part)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"{part!r} is not a number; give λ values like 0.1,1,5"
            ) from None
        if not math.isfinite(lam) or lam <= 0:
            raise argparse.ArgumentTypeError(
                f"λ must be a finite number > 0, got {part!r} (λ = 0 is the method 'none')"
            )
        if lam in values:  # (1 and 1.0 alike)
            raise argparse.ArgumentTypeError(
                f"λ = {lam:g} is listed twice in {text!r}; give each λ once"
            )
        values.append(lam)
    return tuple(values)


def _methods(text: str) -> tuple[str, ...]:
    methods = tuple(m.strip() for m in text.split(",") if m.strip())
    unknown = [m for m in methods if m not in METHOD_NAMES]
    if unknown or not methods:
        raise argparse.ArgumentTypeError(
            f"unknown method(s) {unknown}; choose among {','.join(METHOD_NAMES)}"
        )
    for k, method in enumerate(methods):
        if method in methods[:k]:
            raise argparse.ArgumentTypeError(
                f"method {method!r} is listed twice in {text!r}; give each method once"
            )
    return methods


def _ints(text: str, minimum: int) -> tuple[int, ...]:
    try:
        values = tuple(int(v) for v in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a comma-separated list of integers"
        ) from None
    if any(v < minimum for v in values):
        raise argparse.ArgumentTypeError(f"values must be >= {minimum}, got {text!r}")
    return values


def _seeds(text: str) -> tuple[int, ...]:
    seeds = _ints(text, 0)
    for k, seed in enumerate(seeds):
        # The same seed is the same run again: the table's "± sd" would count it twice.
        if seed in seeds[:k]:
            raise argparse.ArgumentTypeError(
                f"seed {seed} is listed twice in {text!r}: a repeated seed repeats the same "
                "run, and mean ± sd would count it as two; give each seed once"
            )
    return seeds


def _positive_int(text: str) -> int:
    (value,) = _ints(text, 1)
    return value


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"must be a finite number > 0, got {text!r}")
    return value


def register(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add the ``nn`` command to ``subparsers`` (from ``parser.add_subparsers()``)."""
    p = subparsers.add_parser(
        "nn",
        help="L1 / L2 / weight decay / proximal L1 on a small neural network (needs torch)",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "--out", required=True, metavar="DIR", help="folder to create for the table and figures"
    )
    p.add_argument(
        "--force",
        action="store_true",
        help="replace a previous shrinkage --out folder (never one holding files it did not write)",
    )
    data = p.add_mutually_exclusive_group()
    data.add_argument(
        "--digits", action="store_true", help="scikit-learn's 8x8 digits (the default)"
    )
    data.add_argument(
        "--fashion-mnist",
        metavar="DIR",
        help="folder with the Fashion-MNIST (or MNIST) IDX files, .gz or not",
    )
    data.add_argument("--csv", metavar="FILE", help="CSV file with a header row; numeric features")
    p.add_argument("--target", metavar="COLUMN", help="class column of --csv")
    from ..io import add_table_format_arguments

    add_table_format_arguments(p)  # --sep, --decimal, --encoding of --csv, as for fit
    p.add_argument(
        "--n-train",
        type=_positive_int,
        default=None,
        metavar="N",
        help="training rows (default: 1000 for images, all for a CSV)",
    )
    p.add_argument(
        "--n-test",
        type=_positive_int,
        default=None,
        metavar="N",
        help="test rows (default: the rest of digits, all 10000 Fashion-MNIST test images, "
        "25%% of a CSV's rows)",
    )
    p.add_argument(
        "--methods",
        type=_methods,
        default=METHOD_NAMES,
        metavar="LIST",
        help=f"comma-separated subset of {','.join(METHOD_NAMES)} (default: all)",
    )
    p.add_argument(
        "--lambdas",
        type=_lambdas,
        default=None,
        metavar="LIST",
        help="comma-separated λ > 0 (default 0.3,1,3)",
    )
    p.add_argument(
        "--hidden",
        type=lambda t: _ints(t, 1),
        default=(30,),
        metavar="SIZES",
        help="hidden layer sizes, e.g. 100 or 100,30 (default 30)",
    )
    p.add_argument(
        "--activation",
        choices=("sigmoid", "tanh", "relu"),
        default="sigmoid",
        help="hidden activation (default sigmoid, as in Nielsen's book)",
    )
    p.add_argument(
        "--init",
        choices=("pytorch", "normal"),
        default="pytorch",
        help="pytorch: U(±1/sqrt(fan_in)); normal: N(0, 1), Nielsen's large "
        "initialization (default pytorch)",
    )
    p.add_argument(
        "--optimizer",
        choices=("sgd", "adam"),
        default="sgd",
        help="mini-batch SGD without momentum, or Adam (default sgd)",
    )
    p.add_argument(
        "--lr",
        type=_positive_float,
        default=None,
        help="learning rate (default 0.5 for sgd, 0.001 for adam)",
    )
    p.add_argument("--epochs", type=_positive_int, default=30, help="default 30")
    p.add_argument("--batch-size", type=_positive_int, default=10, help="default 10")
    p.add_argument(
        "--seeds",
        type=_seeds,
        default=(0, 1),
        metavar="LIST",
        help="comma-separated seeds; the table shows mean ± sd (default 0,1)",
    )
    p.add_argument(
        "--histogram-lambda",
        type=_positive_float,
        default=None,
        metavar="λ",
        help="λ of the weight histograms and training curves, one of --lambdas "
        "(default: the middle of the grid)",
    )
    p.add_argument("--quiet", action="store_true", help="no progress output")
    p.set_defaults(handler=run)
    return p


def run(args: argparse.Namespace) -> int:
    """Handler: build the config, train, write ``--out``. Errors are ``ValueError``s."""
    try:
        from .experiment import ExperimentConfig, run_experiment
    except ImportError as error:  # torch (or matplotlib) missing
        raise ValueError(
            f"shrinkage nn needs PyTorch and matplotlib ({error}); install them with "
            "pip install 'shrinkage[torch,plot]'."
        ) from None
    if args.csv and not args.target:
        raise ValueError("--csv needs --target COLUMN (the class column).")
    if args.target and not args.csv:
        raise ValueError("--target only applies to --csv.")
    table_format = _csv_table_format(args)
    data, path = "digits", None
    if args.fashion_mnist:
        data, path = "fashion-mnist", args.fashion_mnist
    elif args.csv:
        data, path = "csv", args.csv
    n_train = args.n_train if args.n_train is not None or data == "csv" else 1000
    lambdas = args.lambdas if args.lambdas is not None else ExperimentConfig.lambdas
    _check_histogram_lambda(args.histogram_lambda, lambdas, default=args.lambdas is None)
    config = ExperimentConfig(
        data=data,
        path=path,
        target=args.target,
        n_train=n_train,
        n_test=args.n_test,
        methods=tuple(args.methods),
        lambdas=lambdas,
        hidden=tuple(args.hidden),
        activation=args.activation,
        init=args.init,
        optimizer=args.optimizer,
        lr=args.lr,
        epochs=args.epochs,
        batch_size=args.batch_size,
        seeds=tuple(args.seeds),
        histogram_lambda=args.histogram_lambda,
        table_format=table_format if args.csv else None,
    )
    command = "shrinkage nn " + " ".join(shlex.quote(a) for a in _reconstruct(args))
    try:
        result = run_experiment(
            config, args.out, force=args.force, progress=not args.quiet, command=command
        )
    except OSError as error:
        raise ValueError(f"cannot read or write a file: {error}") from None
    if not args.quiet:
        print(result.to_markdown())
        print(f"\nwrote {args.out}/results.md, results.json and figures")
    return 0


def _csv_table_format(args: argparse.Namespace):
    """``--sep``, ``--decimal`` and ``--encoding`` as a :class:`~shrinkage.io.TableFormat`.

    The options and their reading are those of ``shrinkage fit``; they describe the
    ``--csv`` file, and are refused without one.
    """
    from ..io import table_format_from_arguments

    if not args.csv and (args.sep is not None or args.decimal != "." or args.encoding != "utf-8"):
        raise ValueError("--sep, --decimal and --encoding only apply to --csv.")
    return table_format_from_arguments(args)


def _check_histogram_lambda(lam: float | None, lambdas: tuple[float, ...], default: bool) -> None:
    """Refuse a ``--histogram-lambda`` outside the grid, in the command's words.

    The histograms and training curves draw the runs at that λ; outside the grid there are
    none, and the figures used to show the method ``none`` alone.
    """
    if lam is None or any(math.isclose(lam, g, rel_tol=1e-9) for g in lambdas):
        return
    grid = "(" + ", ".join(f"{g:g}" for g in lambdas) + ")" + (", the default" if default else "")
    raise ValueError(f"--histogram-lambda {lam:g} is not in --lambdas {grid}; pick one of them.")


def _reconstruct(args: argparse.Namespace) -> list[str]:
    """The options that differ from the defaults, as a command line (for results.md)."""
    words = ["--out", str(args.out)]
    if args.fashion_mnist:
        words += ["--fashion-mnist", args.fashion_mnist]
    if args.csv:
        words += ["--csv", args.csv, "--target", args.target]
    defaults = {
        "sep": None,
        "decimal": ".",
        "encoding": "utf-8",
        "n_train": None,
        "n_test": None,
        "methods": METHOD_NAMES,
        "lambdas": None,
        "hidden": (30,),
        "activation": "sigmoid",
        "init": "pytorch",
        "optimizer": "sgd",
        "lr": None,
        "epochs": 30,
        "batch_size": 10,
        "seeds": (0, 1),
        "histogram_lambda": None,
    }
    for key, default in defaults.items():
        value = getattr(args, key)
        if value != default:
            if isinstance(value, tuple):
                value = ",".join(f"{v:g}" if isinstance(v, float) else str(v) for v in value)
            words += ["--" + key.replace("_", "-"), str(value)]
    return words


def main(argv: list[str] | None = None) -> int:
    """``python -m shrinkage.nn.command ...``: the ``nn`` command on its own."""
    parser = argparse.ArgumentParser(prog="shrinkage")
    register(parser.add_subparsers(dest="command", required=True, metavar="COMMAND"))
    args = parser.parse_args(["nn", *(sys.argv[1:] if argv is None else argv)])
    try:
        return args.handler(args)
    except ValueError as error:
        print(f"shrinkage: error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
