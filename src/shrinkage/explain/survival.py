"""Survival targets: reading ``--time COL --event COL``, and the Cox family of the report.

The target is a pair per row: the observed time (the event's or the censoring's) and
the event indicator (1 = the event was observed, 0 = censored). Both columns leave the
features. Times must be finite and non-negative; the event column must be 0/1 (or
True/False). R's ``survival`` also accepts 1/2 (1 = censored, 2 = event), as in its
``lung`` data: that is refused with the recoding to use, rather than guessed.

**The family** (:class:`CoxFamily`): the proportional-hazards model
``h(t | x) = h₀(t)·exp(xᵀb)``, the library's ``CoxPHCV`` (−log partial likelihood / n +
α·penalty, Breslow ties: glmnet's ``family="cox"``), compared on the cross-validated
partial-likelihood deviance per event (Verweij & van Houwelingen; glmnet's
``type.measure="deviance"``) and Harrell's C; the calibration slope is the Cox
coefficient of the linear predictor on new rows (see :mod:`.family_measures`).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np

from . import family_measures as fm
from .family_procedure import Family


def read_survival(
    source,
    time: str,
    event: str,
    *,
    drop_missing: bool = False,
    max_levels: int = 1000,
    drop_columns=(),
    table_format=None,
):
    """A table file (or DataFrame) with a survival target as a
    :class:`~shrinkage.datasets.Dataset` whose ``y`` is ``(n, 2)``: time, event
    (``table_format``: a CSV's :class:`~shrinkage.io.TableFormat`)."""
    from ..io import _is_dataframe, _to_pandas, read_data, read_frame

    if _is_dataframe(source):
        frame, label = _to_pandas(source), "DataFrame"
    else:
        path = Path(source)
        if not path.exists():
            raise ValueError(
                f"No such file: {path}. --time/--event need a table file (CSV/TSV/Parquet) "
                "with a time and an event column."
            )
        if path.suffix.lower() in (".npz", ".svm", ".svmlight", ".libsvm"):
            raise ValueError(
                f"--time/--event need a table with named columns (CSV/TSV/Parquet), not "
                f"{path.suffix}."
            )
        frame, label = read_frame(path, table_format=table_format), path.name
    frame.columns = [str(c).strip() for c in frame.columns]
    if time == event:
        raise ValueError(f"--time and --event name the same column {time!r}.")
    for option, column in (("--time", time), ("--event", event)):
        if column not in frame.columns:
            raise ValueError(
                f"{option} column {column!r} is not in {label}; its columns are "
                f"{list(frame.columns)[:12]}."
            )
    dropped = [c for c in drop_columns if c]
    for column in (time, event):
        if column in dropped:
            raise ValueError(f"{column!r} is the survival target; it cannot also be dropped.")
    # Missing values are handled here, so that the event column stays aligned.
    considered = frame.drop(columns=[c for c in dropped if c in frame.columns])
    missing = considered.isna().any(axis=1)
    if missing.any():
        if not drop_missing:
            counts = considered.isna().sum()
            detail = ", ".join(f"{c}: {int(n)}" for c, n in counts[counts > 0].items())
            raise ValueError(
                f"{label} has missing values ({detail}); impute them, or pass "
                "--drop-missing to drop those rows."
            )
        frame = frame.loc[~missing].reset_index(drop=True)
        if len(frame) == 0:
            raise ValueError(f"Every row of {label} has a missing value.")
    times = _times(frame[time], time)
    events = _events(frame[event], event)
    data = read_data(
        frame.drop(columns=[event]),
        target=time,
        task="regression",
        max_levels=max_levels,
        drop_columns=dropped,
    )
    n_missing = int(missing.sum())
    description = data.description.split(". Note: ")[0].replace("DataFrame", label, 1)
    description = description.replace(" columns", " feature columns", 1)
    description += (
        f"; survival target: time {time!r}, event {event!r} ({int(events.sum())} events, "
        f"{int((events == 0).sum())} censored)"
        + (f", {n_missing} rows with missing values dropped" if n_missing else "")
    )
    return replace(
        data,
        y=np.column_stack([times, events]),
        task="survival",
        target_name=f"{time} / {event}",
        description=description,
        name=label,
    )


def _times(values, name: str) -> np.ndarray:
    import pandas as pd

    parsed = pd.to_numeric(values, errors="coerce")
    if parsed.isna().any():
        first = values[parsed.isna()].iloc[0]
        raise ValueError(f"The time column {name!r} must be numeric; found {first!r}.")
    t = parsed.to_numpy(float)
    if not np.all(np.isfinite(t)):
        raise ValueError(f"The time column {name!r} has infinite values; drop those rows.")
    if np.any(t < 0):
        raise ValueError(
            f"The time column {name!r} has {int(np.sum(t < 0))} negative times (min "
            f"{t.min():g}); survival times are durations ≥ 0 (check that it is not a date "
            "difference taken the wrong way round)."
        )
    return t


def _events(values, name: str) -> np.ndarray:
    import pandas as pd

    if values.dtype == bool:
        return values.to_numpy(float)
    parsed = pd.to_numeric(values, errors="coerce")
    if parsed.isna().any():
        first = values[parsed.isna()].iloc[0]
        raise ValueError(
            f"The event column {name!r} must be 0/1 (1 = event observed, 0 = censored); "
            f"found {first!r}."
        )
    e = parsed.to_numpy(float)
    levels = sorted(set(np.unique(e).tolist()))
    if levels == [1.0, 2.0] or levels == [2.0]:
        raise ValueError(
            f"The event column {name!r} holds 1/2 (R's survival coding: 1 = censored, "
            "2 = event); recode it to 0/1 (event = status − 1)."
        )
    if not set(levels) <= {0.0, 1.0}:
        raise ValueError(
            f"The event column {name!r} must be 0/1 (1 = event observed, 0 = censored); "
            f"found values {[f'{v:g}' for v in levels[:6]]}."
        )
    if not np.any(e == 1):
        raise ValueError(
            f"The event column {name!r} has no events (every row censored): a Cox model "
            "has nothing to fit."
        )
    return e


class CoxFamily(Family):
    """Cox proportional hazards (see the module docstring)."""

    task = "survival"
    loss = "cox"
    metric = "cox_deviance"
    metric_label = "partial-likelihood deviance per event"
    has_intercept = False
    n_alphas = 20
    indexes_validated = ("dxy", "c_index", "slope")
    tol = 1e-5

    def stratify(self, y):
        return y[:, 1].astype(int)

    def cv_estimator(self, ratio, alphas, cv):
        from ..linear_model import CoxPHCV

        return CoxPHCV(
            l1_ratio=ratio, alphas=alphas, cv=cv, standardize=True, tol=self.tol, max_iter=200
        )

    def estimator(self, alpha, ratio):
        from ..linear_model import CoxPH

        return CoxPH(alpha=alpha, l1_ratio=ratio, standardize=True, tol=1e-7, max_iter=300)

    def curvature(self, y) -> float:
        from ..datafits.cox import Cox

        n = len(y)
        return float(np.sum(Cox().hessian_diagonal(y, np.zeros(n), np.full(n, 1.0 / n))))

    def eta(self, fit, X):
        return X @ fit.coef

    def fold_scores(self, eta_all, y, train, test) -> dict:
        time, event = y[:, 0], y[:, 1].astype(bool)
        return {
            "cox_deviance": fm.cox_cv_deviance(time, event, eta_all, train, test),
            "c_index": fm.c_index(time[test], event[test], eta_all[test]),
        }

    def indexes(self, eta, y) -> dict:
        return fm.cox_indexes(y[:, 0], y[:, 1].astype(bool), eta)

    def lr_chi2(self, eta, y) -> float:
        return fm.cox_lr_chi2(y[:, 0], y[:, 1].astype(bool), eta)
