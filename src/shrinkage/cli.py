"""The ``shrinkage`` command line: compare, fit, predict, path (and nn with torch)."""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

import numpy as np

DATA_HELP = (
    "CSV/TSV, Parquet, svmlight/libsvm or .npz file, or a bundled data set "
    "(diabetes, breast_cancer; default: diabetes)"
)


def _add_data_arguments(parser: argparse.ArgumentParser, default: str | None = "diabetes"):
    parser.add_argument("data", nargs="?", default=default, help=DATA_HELP)
    parser.add_argument("--target", help="target column of a table file")
    parser.add_argument(
        "--task",
        default="auto",
        choices=["auto", "regression", "classification"],
        help="override the inferred task (default: auto)",
    )
    parser.add_argument("--drop-missing", action="store_true", help="drop rows with missing values")


def _read(args):
    from .io import read_data

    return read_data(args.data, target=args.target, task=args.task, drop_missing=args.drop_missing)


def _standardize(X: np.ndarray):
    center = X.mean(axis=0)
    scale = X.std(axis=0)
    scale[scale == 0] = 1.0
    return (X - center) / scale, center, scale


def _dense(X) -> np.ndarray:
    return X.toarray() if hasattr(X, "toarray") else np.asarray(X, dtype=float)


# -- compare ---------------------------------------------------------------------------------
def cmd_compare(args: argparse.Namespace) -> int:
    """Fit L1, L2 and elastic net with CV on your data and measure why they differ."""
    from .explain import compare
    from .explain.report import terminal_table

    data = _read(args)
    summary = compare(
        data,
        args.out,
        cv=args.cv,
        test_size=args.test_size,
        seed=args.seed,
        force=args.force,
        progress=not args.quiet,
    )
    print(terminal_table(summary))
    print()
    for line in summary["recommendation"]:
        print(f"- {line}")
    print(f"\nReport: {Path(args.out) / 'report.html'}  (numbers: summary.json)")
    return 0


# -- fit / predict ---------------------------------------------------------------------------
def _estimator(args, task: str, n_samples: int):
    from . import linear_model as lm

    ratio = {"l1": 1.0, "l2": 0.0, "elasticnet": args.l1_ratio}[args.penalty]
    if task == "classification":
        if args.alpha is not None:  # our α (mean log-loss) is 1/(C·n)
            C = 1.0 / (args.alpha * n_samples)
            return lm.LogisticRegression(C=C, l1_ratio=ratio, max_iter=500)
        return lm.LogisticRegressionCV(
            Cs=20,
            l1_ratios=[ratio],
            cv=args.cv,
            scoring="neg_log_loss",
            rule=args.rule,
            max_iter=500,
            use_legacy_attributes=False,
        )
    if args.penalty == "l2":
        if args.alpha is not None:  # scikit-learn's Ridge alpha = our α·n
            return lm.Ridge(alpha=args.alpha * n_samples)
        return lm.RidgeCV(alphas=np.geomspace(1e-4, 1e4, 50), rule=args.rule)
    if args.alpha is not None:
        return lm.ElasticNet(alpha=args.alpha, l1_ratio=ratio)
    if ratio == 1.0:
        return lm.LassoCV(cv=args.cv, rule=args.rule)
    return lm.ElasticNetCV(l1_ratio=ratio, cv=args.cv, rule=args.rule)


def cmd_fit(args: argparse.Namespace) -> int:
    """Fit one penalized model (alpha given, or chosen by CV) and save it as JSON."""
    from . import persist
    from ._output import check_target

    if args.alpha is not None and args.alpha <= 0:
        raise ValueError("--alpha must be > 0 (use a tiny value for almost no penalty).")
    check_target(Path(args.out), args.force)
    if args.engine == "dask" or args.scheduler is not None:
        return _fit_with_dask(args)
    data = _read(args)
    X, center, scale = _standardize(_dense(data.X))
    estimator = _estimator(args, data.task, len(data.y))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model = estimator.fit(X, data.y)
    for warning in caught:
        print(f"shrinkage: warning: {warning.message}", file=sys.stderr)
    description = persist.to_dict(
        model,
        feature_names=data.feature_names,
        task=data.task,
        center=center,
        scale=scale,
        encoding=data.encoding,
        target=data.target_name,
        classes=data.classes,
    )
    persist.save(description, args.out, force=args.force)
    coef = np.ravel(model.coef_)
    print(f"{type(model).__name__} on {data.description}")
    chosen = description["chosen"] or {"alpha": args.alpha}
    print(
        "chosen: "
        + ", ".join(f"{k.rstrip('_')}={v:.4g}" for k, v in chosen.items() if isinstance(v, float))
    )
    print(f"{np.count_nonzero(coef)} of {coef.size} weights non-zero (standardized):")
    for j in np.argsort(-np.abs(coef))[: args.top]:
        if coef[j] != 0:
            print(f"  {data.feature_names[j]:>30}  {coef[j]: .5g}")
    print(f"Saved: {args.out}")
    return 0


def _fit_with_dask(args: argparse.Namespace) -> int:
    """``--engine dask``: stream a Parquet folder through a Dask cluster (one pass per fit
    for least squares, one per Newton step for logistic). Features are used as stored:
    standardize them upstream if their scales differ."""
    from . import persist
    from .distributed.command import load_for_engine

    task = "classification" if args.task == "classification" else "regression"
    with load_for_engine(args.data, args.target, args.engine, args.scheduler) as data:
        estimator = _estimator(args, task, n_samples=_dask_rows(data))
        model = data.fit(estimator)
        names = list(data.feature_names)
    description = persist.to_dict(model, feature_names=names, task=task, target=args.target)
    persist.save(description, args.out, force=args.force)
    coef = np.ravel(model.coef_)
    print(f"{type(model).__name__} on {args.data} with the Dask engine")
    print(f"{np.count_nonzero(coef)} of {coef.size} weights non-zero. Saved: {args.out}")
    return 0


def _dask_rows(data) -> int:
    rows = data.X.shape[0]
    return int(rows) if rows == rows else int(data.X.shape[0].compute())


def cmd_predict(args: argparse.Namespace) -> int:
    """Predict from a saved model on new rows with the same columns."""
    from . import persist
    from ._output import write_file
    from .io import encode_features, read_frame

    model = persist.load(args.model)
    path = Path(args.data)
    target = model.description.get("target")
    truth = None
    if path.suffix.lower() == ".npz":
        archive = np.load(path, allow_pickle=False)
        if "X" not in archive.files:
            raise ValueError(f"{path.name} needs an array 'X'.")
        X = np.asarray(archive["X"], dtype=float)
    else:
        frame = read_frame(path)
        if target in frame.columns:
            truth = frame[target].to_numpy()
            frame = frame.drop(columns=[target])
        if model.encoding is None:
            raise ValueError("This model was fitted on a matrix, not a table; pass an .npz.")
        X = encode_features(frame, model.encoding, path.name)
    lines = ["prediction" + (",probability" if model.task == "classification" else "")]
    predicted = model.predict(X)
    if model.task == "classification":
        probability = model.predict_proba(X)
        lines += [f"{p},{q:.6g}" for p, q in zip(predicted, probability, strict=True)]
    else:
        lines += [f"{p:.10g}" for p in predicted]
    text = "\n".join(lines) + "\n"
    if args.out in (None, "-"):
        sys.stdout.write(text)
    else:
        write_file(Path(args.out), text.encode(), args.force)
        print(f"{len(predicted)} predictions written to {args.out}", file=sys.stderr)
    if truth is not None:
        if model.task == "classification":
            score = np.mean(np.asarray(predicted, dtype=str) == np.asarray(truth, dtype=str))
            print(f"accuracy against {target!r}: {score:.4f}", file=sys.stderr)
        else:
            mse = float(np.mean((np.asarray(truth, float) - predicted) ** 2))
            print(f"mean squared error against {target!r}: {mse:.6g}", file=sys.stderr)
    return 0


# -- path ---------------------------------------------------------------------------------------
def cmd_path(args: argparse.Namespace) -> int:
    """Fit the lasso and ridge paths on one grid and show how many weights each keeps."""
    from .path import regularization_path

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
        _save_path_figure(lasso, ridge, data.feature_names, Path(args.out), args.force)
    return 0


def _save_path_figure(lasso, ridge, names, out: Path, force: bool) -> None:
    import io

    from ._output import write_file
    from .explain.figures import paths_figure

    if out.suffix.lower() not in (".png", ".svg", ".pdf"):
        raise ValueError(f"--out must end in .png, .svg or .pdf, got {out.name!r}.")
    figure = paths_figure(lasso, ridge, names)
    buffer = io.BytesIO()
    figure.savefig(buffer, format=out.suffix[1:].lower(), dpi=120)
    write_file(out, buffer.getvalue(), force)
    print(f"Figure: {out}")


# -- the parser --------------------------------------------------------------------------------
def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="shrinkage",
        description="L1 / L2 / elastic-net regularized learning: fit, compare, explain.",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    compare = commands.add_parser(
        "compare",
        help="L1 vs L2 vs elastic net on your data: measured report",
        description=cmd_compare.__doc__,
        epilog="examples:\n  shrinkage compare\n  shrinkage compare houses.csv --target price "
        "--out report\n  shrinkage compare breast_cancer --out bc --force",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _add_data_arguments(compare)
    compare.add_argument(
        "--out", default="shrinkage-report", help="output folder (default: shrinkage-report)"
    )
    compare.add_argument("--cv", type=int, default=5, help="CV folds (default 5)")
    compare.add_argument(
        "--test-size", type=float, default=0.25, help="held-out fraction (default 0.25)"
    )
    compare.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    compare.add_argument("--force", action="store_true", help="replace an existing --out")
    compare.add_argument("--quiet", action="store_true", help="no progress lines")
    compare.set_defaults(handler=cmd_compare)

    fit = commands.add_parser(
        "fit",
        help="fit one model and save it (JSON, no pickle)",
        description=cmd_fit.__doc__,
        epilog="examples:\n  shrinkage fit houses.csv --target price --penalty l1 --out m.json"
        "\n  shrinkage fit diabetes --penalty l2 --alpha 10 --out ridge.json"
        "\n  shrinkage fit parquet_folder/ --target y --engine dask --scheduler tcp://host:8786 "
        "--alpha 0.01 --out m.json",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _add_data_arguments(fit)
    fit.add_argument("--penalty", default="l1", choices=["l1", "l2", "elasticnet"])
    fit.add_argument(
        "--alpha",
        type=float,
        help="penalty strength α of mean loss + α·penalty, for every penalty and task "
        "(default: chosen by CV)",
    )
    fit.add_argument("--l1-ratio", type=float, default=0.5, help="elastic-net mix (default 0.5)")
    fit.add_argument("--cv", type=int, default=5, help="CV folds when --alpha is not given")
    fit.add_argument(
        "--rule",
        default="min",
        choices=["min", "1se"],
        help="CV choice: minimum error or the 1-SE rule",
    )
    fit.add_argument("--out", required=True, help="model file to write (.json)")
    fit.add_argument("--force", action="store_true", help="replace an existing --out")
    fit.add_argument("--top", type=int, default=15, help="weights to print (default 15)")
    from .distributed.command import add_engine_arguments

    add_engine_arguments(fit)
    fit.set_defaults(handler=cmd_fit)

    predict = commands.add_parser(
        "predict",
        help="predict from a saved model on new data",
        description=cmd_predict.__doc__,
        epilog="example:\n  shrinkage predict m.json new_houses.csv --out predictions.csv",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    predict.add_argument("model", help="a model file written by 'shrinkage fit'")
    predict.add_argument("data", help="CSV/TSV/Parquet with the training columns, or .npz")
    predict.add_argument("--out", help="CSV to write (default: standard output)")
    predict.add_argument("--force", action="store_true", help="replace an existing --out")
    predict.set_defaults(handler=cmd_predict)

    path = commands.add_parser(
        "path",
        help="lasso and ridge paths side by side (table and figure)",
        description=cmd_path.__doc__,
        epilog="examples:\n  shrinkage path\n  shrinkage path breast_cancer --out paths.png",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _add_data_arguments(path)
    path.add_argument(
        "--data", dest="data_option", choices=["diabetes", "breast_cancer"], help=argparse.SUPPRESS
    )  # the form of version 0.1 ("--data NAME")
    path.add_argument("--n-alphas", type=int, default=30, help="grid size (default 30)")
    path.add_argument(
        "--eps", type=float, default=1e-3, help="alpha_min / alpha_max (default 1e-3)"
    )
    path.add_argument("--tol", type=float, default=1e-6, help="solver tolerance (default 1e-6)")
    path.add_argument("--rows", type=int, default=10, help="rows of the table (default 10)")
    path.add_argument("--out", help="also draw the paths to this .png/.svg/.pdf")
    path.add_argument("--force", action="store_true", help="replace an existing --out")
    path.set_defaults(handler=cmd_path)

    _add_optional_commands(commands)
    return parser


def _add_optional_commands(commands) -> None:
    """Commands for the extras. Registering imports neither torch nor matplotlib; the
    handler says how to install what is missing."""
    from .nn.command import register as register_nn

    register_nn(commands)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "data_option", None):
        args.data = args.data_option
    if not getattr(args, "handler", None):
        parser.print_help()
        return 0
    try:
        return args.handler(args)
    except ValueError as error:
        print(f"shrinkage: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("shrinkage: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
