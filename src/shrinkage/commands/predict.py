"""``shrinkage predict``: predictions of a model file (``shrinkage fit``) on new rows, as CSV.

The rows are encoded with the model's own column encoding; when the file also has the
target column, the accuracy or mean squared error against it goes to standard error.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from .data import _inputs, _table_format


def cmd_predict(args: argparse.Namespace) -> int:
    """Predict from a saved model on new rows with the same columns."""
    from .. import persist
    from .._output import check_target, write_file

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
    from ..features import encode_features
    from ..io import read_frame, read_npz_matrix

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
        else:  # binary: the probability of the second class (fit's "positive" one)
            writer.writerow(["prediction", "probability"])
            writer.writerows([p, f"{q:.6g}"] for p, q in zip(predicted, probability, strict=True))
    else:
        writer.writerow(["prediction"])
        writer.writerows([f"{p:.10g}"] for p in predicted)
    return buffer.getvalue()


def _print_score(model, truth, predicted) -> None:
    target = model.description.get("target")
    if model.task == "classification":
        from ..features import _label

        # Labels spelled as at fit time: a target column written 1.0/0.0 is class "1".
        labels = np.asarray([_label(v) for v in truth], dtype=str)
        known = np.isin(labels, np.asarray(model.classes, dtype=str))
        if not known.any():
            print(
                f"(the labels of {target!r} ({', '.join(sorted(set(labels))[:5])}) are none "
                f"of the model's classes ({', '.join(map(str, model.classes))}); is the "
                "target coded differently? No accuracy computed)",
                file=sys.stderr,
            )
            return
        if not known.all():
            unseen = sorted(set(labels[~known]))
            print(
                f"shrinkage: warning: {int((~known).sum())} rows have labels the model "
                f"never saw ({', '.join(unseen[:5])}); they count as wrong.",
                file=sys.stderr,
            )
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
