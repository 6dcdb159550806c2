"""``shrinkage path``: the lasso and ridge paths on one α grid, as a table (and a figure)."""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from .data import _dense, _inputs, _read, _standardize


def cmd_path(args: argparse.Namespace) -> int:
    """Fit the lasso and ridge paths on one grid and show how many weights each keeps."""
    from .._output import check_target
    from ..path import regularization_path

    if args.out:
        _check_figure_suffix(Path(args.out))  # before the work, not after it
        check_target(Path(args.out), args.force, inputs=_inputs(args.data), folder=False)
    data = _read(args)
    loss = "logistic" if data.task == "classification" else "squared_error"
    X, _, _ = _standardize(_dense(data.X))
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
    if args.out:
        _save_path_figure(
            lasso, ridge, data.feature_names, Path(args.out), args.force, _inputs(args.data)
        )
    return 0


def _check_figure_suffix(out: Path) -> None:
    if out.suffix.lower() not in (".png", ".svg", ".pdf"):
        raise ValueError(
            f"--out is the figure of the paths and must end in .png, .svg or .pdf, got "
            f"{out.name!r}."
        )


def _save_path_figure(lasso, ridge, names, out: Path, force: bool, inputs=()) -> None:
    import io

    from .._output import write_file
    from ..explain.figures import paths_figure

    _check_figure_suffix(out)
    figure = paths_figure(lasso, ridge, names)
    buffer = io.BytesIO()
    figure.savefig(buffer, format=out.suffix[1:].lower(), dpi=120)
    write_file(out, buffer.getvalue(), force, inputs=inputs)
    print(f"Figure: {out}")
