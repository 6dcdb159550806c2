"""The ``shrinkage`` command line."""

from __future__ import annotations

import argparse
import sys

import numpy as np


def _standardize(X: np.ndarray) -> np.ndarray:
    scale = X.std(axis=0)
    scale[scale == 0] = 1.0
    return (X - X.mean(axis=0)) / scale


def cmd_path(args: argparse.Namespace) -> int:
    """Fit the lasso and ridge paths on one grid and show how many weights each keeps."""
    from .datasets import load
    from .path import regularization_path

    data = load(args.data)
    loss = "logistic" if data.task == "classification" else "squared_error"
    X = _standardize(np.asarray(data.X, dtype=float))
    lasso = regularization_path(
        X, data.y, loss=loss, l1_ratio=1.0, alphas=args.n_alphas, eps=args.eps, tol=args.tol
    )
    # Ridge on the same alphas: its path starts where the lasso's does.
    ridge = regularization_path(
        X, data.y, loss=loss, l1_ratio=0.0, alphas=lasso.alphas, tol=args.tol
    )
    p = X.shape[1]
    print(f"{data.description}")
    print(f"n={X.shape[0]} samples, p={p} standardized features, loss={loss}\n")
    print(
        f"{'alpha':>12}  {'lasso non-zero':>14}  {'ridge non-zero':>14}  "
        f"{'lasso |w|_1':>11}  {'ridge |w|_2':>11}"
    )
    shown = np.unique(np.linspace(0, args.n_alphas - 1, max(args.rows, 2)).round().astype(int))
    for k in shown:
        print(
            f"{lasso.alphas[k]:12.5g}  {lasso.n_nonzero[k]:>11}/{p:<2}  "
            f"{ridge.n_nonzero[k]:>11}/{p:<2}  {np.abs(lasso.coefs[:, k]).sum():11.4g}  "
            f"{np.linalg.norm(ridge.coefs[:, k]):11.4g}"
        )
    print(
        f"\nL1 keeps {lasso.n_nonzero.min()}..{lasso.n_nonzero.max()} of {p} weights along "
        f"the path (exact zeros); L2 keeps {ridge.n_nonzero.min()}..{ridge.n_nonzero.max()}."
    )
    print(f"Path times: lasso {lasso.total_time:.3f}s, ridge {ridge.total_time:.3f}s.")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="shrinkage",
        description="L1 / L2 / elastic-net regularized learning.",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    path = commands.add_parser(
        "path",
        help="lasso and ridge paths on a bundled data set",
        description=cmd_path.__doc__,
        epilog="example: shrinkage path --data diabetes --n-alphas 50",
    )
    path.add_argument(
        "--data",
        default="diabetes",
        choices=["diabetes", "breast_cancer"],
        help="bundled data set (default: diabetes)",
    )
    path.add_argument("--n-alphas", type=int, default=30, help="grid size (default 30)")
    path.add_argument(
        "--eps", type=float, default=1e-3, help="alpha_min / alpha_max (default 1e-3)"
    )
    path.add_argument("--tol", type=float, default=1e-6, help="solver tolerance (default 1e-6)")
    path.add_argument("--rows", type=int, default=10, help="rows of the table (default 10)")
    path.set_defaults(handler=cmd_path)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "handler", None):
        parser.print_help()
        return 0
    try:
        return args.handler(args)
    except ValueError as error:
        print(f"shrinkage: error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
