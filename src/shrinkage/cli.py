"""The ``shrinkage`` command line: compare, fit, predict, path (and nn with torch)."""

from __future__ import annotations

import argparse
import math
import os
import signal
import sys
import warnings
from pathlib import Path

import numpy as np

# A dense copy of the data above this many cells (8 bytes each) is refused up front.
MAX_DENSE_CELLS = 250_000_000


class _Parser(argparse.ArgumentParser):
    """argparse with shrinkage's one-line errors: ``shrinkage: error: …``, exit 2."""

    def error(self, message):
        self.print_usage(sys.stderr)
        self.exit(2, f"shrinkage: error: {message}\n")


def _number(low=None, high=None, *, integer=False, low_open=False, high_open=False, name="value"):
    """An argparse type: a finite number (or integer) within bounds, else a clear error."""

    def parse(text: str):
        try:
            value = int(text) if integer else float(text)
        except ValueError:
            kind = "an integer" if integer else "a number"
            raise argparse.ArgumentTypeError(f"{text!r} is not {kind}") from None
        if not math.isfinite(value):
            raise argparse.ArgumentTypeError(f"{text!r}: give a finite number")
        too_low = low is not None and (value <= low if low_open else value < low)
        too_high = high is not None and (value >= high if high_open else value > high)
        if too_low or too_high:
            lo, hi = ("" if b is None else f"{b}" if integer else f"{b:g}" for b in (low, high))
            bounds = (
                f"{'>' if low_open else '>='} {lo}"
                if high is None
                else f"in {'(' if low_open else '['}{lo}, {hi}{')' if high_open else ']'}"
            )
            raise argparse.ArgumentTypeError(f"{text!r}: must be {bounds}")
        return value

    parse.__name__ = name  # argparse names the type in messages
    return parse


_POSITIVE = _number(0, low_open=True, name="positive number")
_FOLDS = _number(2, integer=True, name="integer >= 2")
_COUNT = _number(1, integer=True, name="positive integer")
_RATIO = _number(0, 1, name="number in [0, 1]")
_FRACTION = _number(0, 1, low_open=True, name="fraction")
# A share held out: some rows must be left to fit on.
_HELD_OUT = _number(0, 1, low_open=True, high_open=True, name="fraction")
# NumPy's and scikit-learn's seeds are 32-bit.
_SEED = _number(0, 2**32 - 1, integer=True, name="seed")
_INTEGER = _number(integer=True, name="integer")


def _n_jobs(text: str) -> int:
    """An argparse type: threads, or -1 for one per core (joblib's -2: all but one)."""
    value = _INTEGER(text)
    if value == 0:
        raise argparse.ArgumentTypeError(
            f"{text!r}: 0 threads cannot run; give 1 or more, or -1 for one per core"
        )
    return value


DATA_HELP = (
    "CSV/TSV, Parquet, svmlight/libsvm or .npz file, or a bundled data set "
    "(diabetes, breast_cancer; default: diabetes)"
)


def _add_data_arguments(
    parser: argparse.ArgumentParser,
    default: str | None = "diabetes",
    tasks=("auto", "regression", "classification"),
):
    parser.add_argument("data", nargs="?", default=default, help=DATA_HELP)
    parser.add_argument("--target", help="target column of a table file")
    parser.add_argument(
        "--task",
        default="auto",
        choices=list(tasks),
        help="override the inferred task (default: auto)",
    )
    parser.add_argument("--drop-missing", action="store_true", help="drop rows with missing values")
    parser.add_argument(
        "--drop",
        metavar="COLUMNS",
        default="",
        help="comma-separated table columns to leave out (an ID column, a leak of the target)",
    )
    parser.add_argument(
        "--max-levels",
        type=_COUNT,
        default=1000,
        help="most categories a text column may have before it is refused (default 1000)",
    )
    _add_table_format_arguments(parser)


def _add_table_format_arguments(parser: argparse.ArgumentParser) -> None:
    from .io import add_table_format_arguments

    add_table_format_arguments(parser)


def _table_format(args):
    from .io import table_format_from_arguments

    return table_format_from_arguments(args)


def _read(args, multiclass: bool = False, task: str | None = None):
    from .io import read_data

    _warn_unused_target(args)
    data = read_data(
        args.data,
        target=args.target,
        task=task or args.task,
        drop_missing=args.drop_missing,
        max_levels=args.max_levels,
        drop_columns=args.drop.split(","),
        table_format=_table_format(args),
    )
    if "Note: " in data.description and task is None:
        print(f"shrinkage: note: {data.description.split('Note: ', 1)[1]}", file=sys.stderr)
    if not multiclass and data.task == "classification" and len(data.classes or ()) > 2:
        raise ValueError(
            f"{data.target_name!r} has {len(data.classes)} classes; only `shrinkage compare` "
            "handles multi-class targets so far (fit, predict and path are binary)."
        )
    return data


def _warn_unused_target(args) -> None:
    """``--target`` names a table column; a matrix file or bundled data set carries its
    own target, so the option would otherwise be ignored without a word."""
    from .datasets import BUNDLED
    from .io import _SVMLIGHT_SUFFIXES

    if not args.target:
        return
    suffix = Path(args.data).suffix.lower()
    if suffix == ".npz":
        where = f"{Path(args.data).name} holds its target (the array 'y')"
    elif suffix in _SVMLIGHT_SUFFIXES:
        where = f"{Path(args.data).name} holds its target (the label of each line)"
    elif args.data in BUNDLED and not Path(args.data).exists():
        where = f"the bundled data set {args.data!r} has its own target"
    else:
        return
    print(f"shrinkage: warning: --target {args.target} is ignored: {where}.", file=sys.stderr)


def _inputs(*paths) -> list[str]:
    """The command's input files (never to be overwritten or deleted by an output)."""
    return [p for p in paths if p is not None and Path(p).exists()]


def _standardize(X: np.ndarray):
    center = X.mean(axis=0)
    scale = X.std(axis=0)
    scale[scale == 0] = 1.0
    return (X - center) / scale, center, scale


def _dense(X) -> np.ndarray:
    """A dense float copy, refused up front when it would not fit in memory."""
    n, p = X.shape
    if n * p > MAX_DENSE_CELLS:
        raise ValueError(
            f"The data are {n} x {p} = {n * p:,} cells; a dense copy needs "
            f"{n * p * 8 / 1e9:.1f} GB. Use fewer features (e.g. a lower --max-levels) or "
            "the Python API on the sparse matrix."
        )
    return X.toarray() if hasattr(X, "toarray") else np.asarray(X, dtype=float)


# -- compare ---------------------------------------------------------------------------------
def _read_compare(args):
    """compare's data: a survival target (``--time``/``--event``), counts (``--task
    poisson``, or guessed: :mod:`shrinkage.explain.counts`), or what ``_read`` gives."""
    from .datasets import BUNDLED
    from .explain.counts import as_counts
    from .explain.survival import read_survival

    if args.time or args.event:
        if not (args.time and args.event):
            raise ValueError("--time and --event go together: name both columns.")
        if args.target or args.task != "auto":
            raise ValueError("--time/--event are the survival target; drop --target and --task.")
        return read_survival(
            args.data,
            args.time,
            args.event,
            drop_missing=args.drop_missing,
            max_levels=args.max_levels,
            drop_columns=args.drop.split(","),
            table_format=_table_format(args),
        )
    # The notes of the task guess are printed together below, not by _read.
    data = _read(args, multiclass=True, task="regression" if args.task == "poisson" else args.task)
    bundled = args.data in BUNDLED and not Path(args.data).exists()  # its task is known
    data, notes = as_counts(data, args.task, guess=not bundled)
    if "Note: " in data.description:
        notes.insert(0, data.description.split("Note: ", 1)[1])
    for note in notes:
        print(f"shrinkage: note: {note}", file=sys.stderr)
    return data


def cmd_compare(args: argparse.Namespace) -> int:
    """Fit L1, L2 and elastic net with CV on your data and measure why they differ."""
    from ._output import check_target
    from .explain import compare
    from .explain.report import terminal_table

    check_target(Path(args.out), args.force, inputs=_inputs(args.data), folder=True)
    data = _read_compare(args)
    summary = compare(
        data,
        args.out,
        cv=args.cv,
        test_size=args.test_size,
        seed=args.seed,
        force=args.force,
        progress=not args.quiet,
        repeats=args.repeats,
        bootstrap=args.bootstrap,
        subsamples=args.subsamples,
        n_jobs=args.n_jobs,
    )
    print(terminal_table(summary))
    print()
    for line in summary["recommendation"]:
        print(f"- {line}")
    print(f"\nReport: {Path(args.out) / 'report.html'}  (numbers: summary.json)")
    return 0


# -- fit / predict ---------------------------------------------------------------------------
#: The mix each --penalty implies; --l1-ratio chooses it for elasticnet only.
_PENALTY_L1_RATIO = {"l1": 1.0, "l2": 0.0}


def _l1_ratio(args) -> float:
    """The elastic-net mix of ``--penalty`` and ``--l1-ratio``; a ratio that contradicts
    the penalty (``--penalty l1 --l1-ratio 0.3``) is refused, not silently ignored."""
    given = getattr(args, "l1_ratio", None)
    if args.penalty == "elasticnet":
        return 0.5 if given is None else given
    implied = _PENALTY_L1_RATIO[args.penalty]
    if given is not None and given != implied:
        raise ValueError(
            f"--l1-ratio {given:g} applies to --penalty elasticnet; --penalty {args.penalty} "
            f"is --l1-ratio {implied:g}. Drop --l1-ratio, or use --penalty elasticnet."
        )
    return implied


def _estimator(args, task: str, n_samples: int):
    from . import linear_model as lm

    ratio = _l1_ratio(args)
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
    if ratio == 0.0:  # the elastic net's α grid starts where the L1 part zeroes every weight
        raise ValueError(
            "--penalty elasticnet --l1-ratio 0 is ridge, whose α cannot be chosen on the "
            "elastic-net grid: use --penalty l2 (its own CV grid), or give --alpha."
        )
    if ratio == 1.0:
        return lm.LassoCV(cv=args.cv, rule=args.rule)
    return lm.ElasticNetCV(l1_ratio=ratio, cv=args.cv, rule=args.rule)


def cmd_fit(args: argparse.Namespace) -> int:
    """Fit one penalized model (alpha given, or chosen by CV) and save it as JSON."""
    from . import persist
    from ._output import check_target

    check_target(Path(args.out), args.force, inputs=_inputs(args.data), folder=False)
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
    alpha = _alpha_in_option_units(model, len(data.y))
    description = persist.to_dict(
        model,
        feature_names=data.feature_names,
        task=data.task,
        center=center,
        scale=scale,
        encoding=data.encoding,
        target=data.target_name,
        classes=data.classes,
        alpha_mean_loss=alpha,
    )
    persist.save(description, args.out, force=args.force, inputs=_inputs(args.data))
    coef = np.ravel(model.coef_)
    print(f"{type(model).__name__} on {data.description}")
    print(_chosen_line(args, alpha, description["chosen"]))
    print(f"{np.count_nonzero(coef)} of {coef.size} weights non-zero (standardized):")
    for j in np.argsort(-np.abs(coef))[: args.top]:
        if coef[j] != 0:
            print(f"  {data.feature_names[j]:>30}  {coef[j]: .5g}")
    print(f"Saved: {args.out}")
    return 0


def _alpha_in_option_units(model, n_samples: int) -> float:
    """The fitted penalty strength as ``--alpha`` takes it (mean loss + α·penalty), so
    that passing it back refits the same model without CV: the inverse of
    :func:`_estimator`'s mapping. Ridge's ``alpha`` weighs the *summed* squared errors
    (``α·n``), logistic regression's ``C`` is ``1/(α·n)``."""
    name = type(model).__name__

    def chosen(attribute: str) -> float:  # the CV choice, else the parameter
        value = getattr(model, f"{attribute}_", None)
        return float(np.ravel(getattr(model, attribute) if value is None else value)[0])

    if name.startswith("LogisticRegression"):
        return 1.0 / (chosen("C") * n_samples)
    if name in ("Ridge", "RidgeCV"):
        return chosen("alpha") / n_samples
    return chosen("alpha")


def _chosen_line(args, alpha: float, chosen: dict) -> str:
    """``chosen: alpha=…``: the α that ``--alpha`` reproduces, and the CV's other choices."""
    if args.alpha is not None:
        return f"chosen: alpha={args.alpha:.6g} (given)"
    extra = ", ".join(
        f"{k.rstrip('_')}={v:.4g}"
        for k, v in chosen.items()
        if k not in ("alpha_", "C_") and isinstance(v, float)
    )
    return (
        f"chosen: alpha={alpha:.6g}{', ' + extra if extra else ''} "
        f"(--alpha {alpha:.6g} refits this model without CV)"
    )


def _fit_with_dask(args: argparse.Namespace) -> int:
    """``--engine dask``: stream a Parquet folder through a Dask cluster (one pass per fit
    for least squares, one per Newton step for logistic). Features are used as stored:
    standardize them upstream if their scales differ."""
    from . import persist
    from .distributed.command import load_for_engine

    task = "classification" if args.task == "classification" else "regression"
    with load_for_engine(args.data, args.target, args.engine, args.scheduler) as data:
        n_samples = _dask_rows(data)
        estimator = _estimator(args, task, n_samples=n_samples)
        model = data.fit(estimator)
        names = list(data.feature_names)
    description = persist.to_dict(
        model,
        feature_names=names,
        task=task,
        target=args.target,
        alpha_mean_loss=_alpha_in_option_units(model, n_samples),
    )
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
    from ._output import check_target, write_file

    inputs = _inputs(args.model, args.data)
    if args.out not in (None, "-"):
        check_target(Path(args.out), args.force, inputs=inputs, folder=False)
    model = persist.load(args.model)
    X, truth = _prediction_rows(model, Path(args.data), _table_format(args))
    predicted = model.predict(X)
    text = _predictions_csv(model, X, predicted)
    if args.out in (None, "-"):
        sys.stdout.write(text)
    else:
        write_file(Path(args.out), text.encode(), args.force, inputs=inputs)
        print(f"{len(predicted)} predictions written to {args.out}", file=sys.stderr)
    if truth is not None:
        _print_score(model, truth, predicted)
    return 0


def _prediction_rows(model, path: Path, table_format=None):
    """The feature matrix of a prediction file, and the true target if it has one."""
    from .features import encode_features
    from .io import read_frame, read_npz_matrix

    target = model.description.get("target")
    if path.suffix.lower() == ".npz":
        X = read_npz_matrix(path)
        _refuse_no_rows(len(X), path, "its X has 0 rows")
        return X, None
    if model.encoding is None:
        raise ValueError("This model was fitted on a matrix, not a table; pass an .npz.")
    # Text columns stay text ("01" is a level, not the number 1).
    frame = read_frame(
        path, text_columns=list(model.encoding["categorical"]), table_format=table_format
    )
    _refuse_no_rows(len(frame), path, "a header and no data rows")
    truth = None
    if target in frame.columns:
        truth = frame[target].to_numpy()
        frame = frame.drop(columns=[target])
    return encode_features(frame, model.encoding, path.name), truth


def _refuse_no_rows(rows: int, path: Path, what: str) -> None:
    if rows == 0:
        raise ValueError(f"{path.name} has no rows to predict ({what}).")


def _predictions_csv(model, X, predicted) -> str:
    """Predictions as CSV through the csv module (labels with commas are quoted)."""
    import csv
    import io

    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    if model.task == "classification":
        probability = model.predict_proba(X)
        if probability.ndim == 2:
            writer.writerow(["prediction", *(f"probability_{c}" for c in model.classes)])
            writer.writerows(
                [p, *(f"{q:.6g}" for q in row)]
                for p, row in zip(predicted, probability, strict=True)
            )
        else:
            writer.writerow(["prediction", "probability"])
            writer.writerows([p, f"{q:.6g}"] for p, q in zip(predicted, probability, strict=True))
    else:
        writer.writerow(["prediction"])
        writer.writerows([f"{p:.10g}"] for p in predicted)
    return buffer.getvalue()


def _print_score(model, truth, predicted) -> None:
    target = model.description.get("target")
    if model.task == "classification":
        from .features import _label

        # Labels spelled as at fit time: a target column written 1.0/0.0 is class "1".
        labels = np.asarray([_label(v) for v in truth], dtype=str)
        score = np.mean(np.asarray(predicted, dtype=str) == labels)
        print(f"accuracy against {target!r}: {score:.4f}", file=sys.stderr)
        return
    try:
        truth = np.asarray(truth, dtype=float)
    except (TypeError, ValueError):
        print(f"({target!r} is not numeric; no error computed)", file=sys.stderr)
        return
    mse = float(np.mean((truth - predicted) ** 2))
    print(f"mean squared error against {target!r}: {mse:.6g}", file=sys.stderr)


# -- path ---------------------------------------------------------------------------------------
def cmd_path(args: argparse.Namespace) -> int:
    """Fit the lasso and ridge paths on one grid and show how many weights each keeps."""
    from ._output import check_target
    from .path import regularization_path

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

    from ._output import write_file
    from .explain.figures import paths_figure

    _check_figure_suffix(out)
    figure = paths_figure(lasso, ridge, names)
    buffer = io.BytesIO()
    figure.savefig(buffer, format=out.suffix[1:].lower(), dpi=120)
    write_file(out, buffer.getvalue(), force, inputs=inputs)
    print(f"Figure: {out}")


# -- the parser --------------------------------------------------------------------------------
def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="shrinkage",
        description="L1 / L2 / elastic-net regularized learning: fit, compare, explain.",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    compare = commands.add_parser(
        "compare",
        help="L1 vs L2 vs elastic net on your data: measured report",
        description=cmd_compare.__doc__,
        epilog="examples:\n  shrinkage compare\n  shrinkage compare houses.csv --target price "
        "--out report\n  shrinkage compare breast_cancer --out bc --force"
        "\n  shrinkage compare visits.csv --target visits --task poisson"
        "\n  shrinkage compare lung.csv --time time --event status --drop-missing",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _add_data_arguments(compare, tasks=("auto", "regression", "classification", "poisson"))
    compare.add_argument("--time", metavar="COL", help="survival time column (Cox models)")
    compare.add_argument(
        "--event", metavar="COL", help="event column, 1 = event, 0 = censored (with --time)"
    )
    compare.add_argument(
        "--out", default="shrinkage-report", help="output folder (default: shrinkage-report)"
    )
    compare.add_argument("--cv", type=_FOLDS, default=5, help="CV folds (default 5)")
    compare.add_argument(
        "--test-size",
        type=_HELD_OUT,
        default=0.25,
        help="held-out fraction, in (0, 1) (default 0.25)",
    )
    compare.add_argument(
        "--seed", type=_SEED, default=0, help="random seed, 0 to 2**32 - 1 (default 0)"
    )
    compare.add_argument(
        "--repeats",
        type=_COUNT,
        default=5,
        help="repeats of the K-fold CV comparison (default 5)",
    )
    compare.add_argument(
        "--bootstrap",
        type=_COUNT,
        default=None,
        help="B, resamples of the optimism bootstrap validation (default 200)",
    )
    compare.add_argument(
        "--subsamples",
        type=_COUNT,
        default=100,
        help="half-samples for the selection frequencies (default 100)",
    )
    compare.add_argument(
        "--n-jobs",
        type=_n_jobs,
        default=2,
        help="threads for the resampling, -1 for one per core (default 2)",
    )
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
        type=_POSITIVE,
        help="penalty strength α of mean loss + α·penalty, for every penalty and task "
        "(default: chosen by CV)",
    )
    fit.add_argument(
        "--l1-ratio",
        type=_RATIO,
        help="elastic-net mix, 1 = L1, 0 = L2 (with --penalty elasticnet; default 0.5)",
    )
    fit.add_argument("--cv", type=_FOLDS, default=5, help="CV folds when --alpha is not given")
    fit.add_argument(
        "--rule",
        default="min",
        choices=["min", "1se"],
        help="CV choice: minimum error or the 1-SE rule",
    )
    fit.add_argument("--out", required=True, help="model file to write (.json)")
    fit.add_argument("--force", action="store_true", help="replace an existing --out")
    fit.add_argument("--top", type=_COUNT, default=15, help="weights to print (default 15)")
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
    _add_table_format_arguments(predict)
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
    path.add_argument("--n-alphas", type=_COUNT, default=30, help="grid size (default 30)")
    path.add_argument(
        "--eps", type=_FRACTION, default=1e-3, help="alpha_min / alpha_max (default 1e-3)"
    )
    path.add_argument("--tol", type=_POSITIVE, default=1e-6, help="solver tolerance (default 1e-6)")
    path.add_argument("--rows", type=_COUNT, default=10, help="rows of the table (default 10)")
    path.add_argument("--out", help="also draw the paths to this image file (.png, .svg or .pdf)")
    path.add_argument("--force", action="store_true", help="replace an existing --out")
    path.set_defaults(handler=cmd_path)

    _add_optional_commands(commands)
    return parser


def _add_optional_commands(commands) -> None:
    """Commands for the extras. Registering imports neither torch nor matplotlib; the
    handler says how to install what is missing."""
    from .nn.command import register as register_nn

    register_nn(commands)


class Terminated(Exception):
    """SIGTERM, raised like KeyboardInterrupt so that the same clean-up runs."""


def _on_sigterm(signum, frame):
    raise Terminated()


#: How the command spells in ASCII what a narrow terminal encoding cannot show.
_ASCII_SPELLING = {
    "±": "+/-", "×": "x", "√": "sqrt", "α": "alpha", "λ": "lambda", "β": "beta",
    "ρ": "rho", "Σ": "sum", "≤": "<=", "≥": ">=", "≈": "~", "≠": "!=", "→": "->",
    "←": "<-", "·": "*", "…": "...", "—": "--", "–": "-", "‖": "||", "²": "^2",
    "³": "^3", "⁻": "-", "¹": "^1", "½": "1/2", "∞": "inf", "’": "'", "“": '"', "”": '"',
}
_ASCII_ERRORS = "shrinkage-ascii"


def _spell_in_ascii(error: UnicodeError) -> tuple[str, int]:
    """Codec error handler: ASCII for the characters the encoding lacks (a known
    spelling, else the letter without its accent, else ``?``)."""
    import unicodedata

    if not isinstance(error, UnicodeEncodeError):
        raise error
    spelled = []
    for char in error.object[error.start : error.end]:
        ascii_form = unicodedata.normalize("NFKD", char).encode("ascii", "ignore").decode()
        spelled.append(_ASCII_SPELLING.get(char) or ascii_form or "?")
    return "".join(spelled), error.end


def _tolerate_narrow_terminals() -> None:
    """Let a terminal whose encoding lacks ±, ×, α (a Windows code page,
    ``PYTHONIOENCODING=ascii``) lose those characters, not the command: they are
    spelled in ASCII. (``fit --help`` and ``nn --help`` had raised UnicodeEncodeError,
    and ``compare`` failed on its terminal summary after writing the report.)"""
    import codecs

    try:
        codecs.lookup_error(_ASCII_ERRORS)
    except LookupError:
        codecs.register_error(_ASCII_ERRORS, _spell_in_ascii)
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        encoding = getattr(stream, "encoding", None)
        if reconfigure is None or not encoding:
            continue
        try:
            "".join(_ASCII_SPELLING).encode(encoding)
        except UnicodeEncodeError:
            reconfigure(errors=_ASCII_ERRORS)
        except LookupError:  # (an encoding Python does not know: leave the stream)
            continue


def main(argv: list[str] | None = None) -> int:
    _tolerate_narrow_terminals()
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "data_option", None):
        args.data = args.data_option
    if not getattr(args, "handler", None):
        parser.print_help()
        return 0
    previous = _install_sigterm()
    try:
        return args.handler(args)
    except ValueError as error:
        return _error(str(error))
    except KeyboardInterrupt:
        print("shrinkage: interrupted", file=sys.stderr)
        return 130
    except Terminated:
        print("shrinkage: terminated", file=sys.stderr)
        return 143
    except BrokenPipeError:
        # The reader went away (``shrinkage predict … | head``): not an error to report.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 141
    except OSError as error:
        where = f": {error.filename}" if error.filename else ""
        return _error(f"{error.strerror or error}{where}")
    except MemoryError:
        return _error("out of memory; use a smaller input (fewer rows or features).")
    except Exception as error:  # noqa: BLE001 - one line, never a traceback
        if os.environ.get("SHRINKAGE_DEBUG"):
            raise
        return _error(
            f"unexpected {type(error).__name__}: {error} (set SHRINKAGE_DEBUG=1 for the "
            "traceback, and please report it)"
        )
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def _error(message: str) -> int:
    first = message.strip().splitlines()[0] if message.strip() else "failed"
    print(f"shrinkage: error: {first}", file=sys.stderr)
    return 2


def _install_sigterm():
    """SIGTERM cleans up like Ctrl-C (only in the main thread, where Python can)."""
    import threading

    if threading.current_thread() is not threading.main_thread():
        return None
    return signal.signal(signal.SIGTERM, _on_sigterm)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
