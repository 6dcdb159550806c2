"""The ``shrinkage`` command line: the parser of compare, fit, predict, path (and nn
with torch), and running the chosen command as a process.

This module owns what the user types and sees around a command: the options and their
help, argument checks (``shrinkage: error: …``, exit 2), and :func:`main`, which turns
every failure into one line and an exit status (2 error, 130 Ctrl-C, 143 SIGTERM, 141
closed pipe) and keeps a narrow terminal encoding from failing the command. What each
command does once parsed is in :mod:`shrinkage.commands` (``nn``: :mod:`shrinkage.nn.command`).
"""

from __future__ import annotations

import argparse
import math
import os
import signal
import sys

from .commands.compare import cmd_compare
from .commands.fit import cmd_fit
from .commands.path import cmd_path
from .commands.predict import cmd_predict


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
    compare.add_argument(
        "--force",
        action="store_true",
        help="replace a previous shrinkage --out folder (never one holding files it did not write)",
    )
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
