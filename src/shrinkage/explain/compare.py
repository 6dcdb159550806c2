"""``shrinkage compare``: L1, L2 and elastic net fitted, measured and reported."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np

from .. import __version__
from .._output import jsonable as _jsonable
from ..datasets import Dataset
from . import (
    coefficients,
    collinearity,
    figure_files,
    figures,
    measure,
    recommend,
    repeated_cv,
    report,
    resample,
    stability,
    validation,
)

STEPS = 11


class Progress:
    """One line per step on stderr, with the time it took; resampling steps also report
    how far they are (every 10%). ``times`` holds each step's wall time, ``cpu_times``
    its CPU time (this process's threads; worker processes report their own)."""

    def __init__(self, enabled: bool = True, steps: int = STEPS):
        self.enabled, self.step, self.start = enabled, 0, time.perf_counter()
        self.steps = steps
        self.times: dict[str, float] = {}
        self.cpu_times: dict[str, float] = {}
        self._last, self._last_cpu = self.start, time.process_time()
        self._label = None

    def __call__(self, message: str) -> None:
        now, cpu = time.perf_counter(), time.process_time()
        if self._label is not None:
            self.times[self._label] = now - self._last
            self.cpu_times[self._label] = cpu - self._last_cpu
        self._last, self._last_cpu, self._label = now, cpu, message.split(":")[0]
        self.step += 1
        if self.enabled:
            elapsed = now - self.start
            print(
                f"[{self.step}/{self.steps}] {message} ({elapsed:.1f} s)",
                file=sys.stderr,
                flush=True,
            )

    def counter(self, what: str):
        """A ``progress(done, total)`` callback printing at each tenth."""

        def report(done: int, total: int) -> None:
            if self.enabled and (done == total or done % max(total // 10, 1) == 0):
                elapsed = time.perf_counter() - self.start
                print(
                    f"      {what}: {done}/{total} ({elapsed:.1f} s)", file=sys.stderr, flush=True
                )

        return report


def _standardize(X_train, X_test, names):
    mean, scale = X_train.mean(axis=0), X_train.std(axis=0)
    keep = scale > 0
    dropped = [n for n, k in zip(names, keep, strict=True) if not k]
    scale = np.where(keep, scale, 1.0)
    return (
        ((X_train - mean) / scale)[:, keep],
        ((X_test - mean) / scale)[:, keep],
        [n for n, k in zip(names, keep, strict=True) if k],
        dropped,
        mean[keep],
        scale[keep],
    )


def _split(data: Dataset, test_size: float, seed: int):
    from sklearn.model_selection import train_test_split

    X = data.X.toarray() if hasattr(data.X, "toarray") else np.asarray(data.X, dtype=float)
    stratify = data.y if data.task == "classification" else None
    if data.task == "classification" and np.min(np.bincount(data.y.astype(int))) < 4:
        raise ValueError("Each class needs at least 4 rows for a held-out split and CV.")
    return train_test_split(X, data.y, test_size=test_size, random_state=seed, stratify=stratify)


MIN_ROWS = 20  # rows in the data
MIN_TRAIN_ROWS = 10  # rows left to train on after the held-out split


_TASKS = ("regression", "classification", "poisson", "survival")


def _check_dataset_contents(data: Dataset) -> None:
    """Refuse a hand-built ``Dataset`` whose parts do not fit together, naming the part:
    deep inside, a NaN column reads as constant (and was silently dropped), labels
    1/2 or -1/1 broke the class counts, a short name list broke a zip."""
    if data.task not in _TASKS:
        raise ValueError(f"Dataset.task is {data.task!r}; use one of {', '.join(_TASKS)}.")
    X = data.X
    if not isinstance(X, np.ndarray) or X.ndim != 2 or not np.issubdtype(X.dtype, np.number):
        raise ValueError(
            "Dataset.X must be a 2-D numeric NumPy array (got "
            f"{type(X).__name__} {getattr(X, 'dtype', '')}); np.asarray it, and encode "
            "text columns first, e.g. with shrinkage.io.read_data."
        )
    if not np.all(np.isfinite(X)):
        bad = [data.feature_names[j] for j in np.flatnonzero(~np.isfinite(X).all(axis=0))]
        raise ValueError(
            f"Dataset.X holds NaN or infinite values (columns {bad[:5]}); drop or impute "
            "those rows first (read_data(..., drop_missing=True) does)."
        )
    if len(data.feature_names) != X.shape[1]:
        raise ValueError(
            f"Dataset.feature_names has {len(data.feature_names)} names for "
            f"{X.shape[1]} columns of X; give one name per column."
        )
    if data.task in ("regression", "classification"):
        y = np.asarray(data.y)
        if y.shape[0] != X.shape[0]:
            raise ValueError(f"Dataset.y has {y.shape[0]} rows, X has {X.shape[0]}.")
    if data.task == "classification":
        codes = np.unique(np.asarray(data.y))
        if not (
            np.issubdtype(codes.dtype, np.number)
            and np.array_equal(codes, np.arange(codes.size))
        ):
            raise ValueError(
                "Dataset.y of a classification must be coded 0, 1, ..., K-1 (got labels "
                f"{codes[:6].tolist()}); keep the labels in Dataset.classes, e.g. "
                "codes, labels = np.unique(y, return_inverse=True)[::-1]."
            )


def _check_data(data) -> None:
    """Refuse, with how to make one, what is not a :class:`~shrinkage.datasets.Dataset`.

    A table, a path or ``(X, y)`` is not taken directly: what the report needs beyond
    the numbers (the target's name, the task, the class labels, the categorical
    columns behind the one-hot features) is what :func:`shrinkage.io.read_data` works
    out, with its options (``target``, ``task``, ``drop_missing``, ``max_levels``, ...);
    repeating them here would be a second, diverging reader.
    """
    if isinstance(data, Dataset):
        _check_dataset_contents(data)
        return
    kind = type(data).__name__
    if kind == "DataFrame":
        how = "shrinkage.io.read_data(frame, target='<column>') (pandas or polars)"
    elif isinstance(data, (str, Path)):
        how = "shrinkage.io.read_data(path, target='<column>') (or a bundled name)"
    elif isinstance(data, (tuple, list)):
        how = (
            "shrinkage.datasets.Dataset(X, y, feature_names, target_name, task, "
            "description) from (X, y), task 'regression' or 'classification' "
            "(y coded 0, 1, ...)"
        )
    else:
        how = "shrinkage.io.read_data(...) (a file, a bundled name or a DataFrame)"
    raise TypeError(f"compare needs a shrinkage.datasets.Dataset, got {kind}; make one with {how}.")


def _check_split(n_rows: int, cv, test_size) -> None:
    """Refuse, before any fitting, a ``cv`` or ``test_size`` the data cannot serve.

    The training set (``n_rows`` less the ``ceil(test_size·n_rows)`` held out, as
    scikit-learn's ``train_test_split``) needs ``MIN_TRAIN_ROWS`` rows and at least one
    row per fold: the estimators' rule ``cv <= n``.
    """
    if isinstance(cv, bool) or not isinstance(cv, (int, np.integer)) or cv < 2:
        raise ValueError(f"cv must be an integer >= 2 (folds), got {cv!r}.")
    if isinstance(test_size, bool) or not isinstance(test_size, (float, int, np.number)):
        raise ValueError(f"test_size must be a fraction of the rows, got {test_size!r}.")
    if not 0 < test_size < 1:
        raise ValueError(f"test_size must be a fraction between 0 and 1, got {test_size!r}.")
    n_test = int(np.ceil(test_size * n_rows))
    n_train = n_rows - n_test
    if n_train < MIN_TRAIN_ROWS:
        largest = np.floor(100 * (n_rows - MIN_TRAIN_ROWS) / n_rows) / 100
        raise ValueError(
            f"test_size={test_size} (--test-size) holds out {n_test} of the {n_rows} rows "
            f"and leaves {n_train} to train on; compare needs at least {MIN_TRAIN_ROWS} "
            f"training rows: use test_size <= {largest:g}."
        )
    if cv > n_train:
        raise ValueError(
            f"cv={cv} folds but only {n_train} training rows ({n_rows} rows less the "
            f"{n_test} held out by test_size={test_size}); use cv <= {n_train}."
        )


def compare(
    data: Dataset,
    out: str | Path,
    *,
    cv: int = 5,
    test_size: float = 0.25,
    seed: int = 0,
    force: bool = False,
    progress: bool = True,
    repeats: int = 5,
    bootstrap: int | None = None,
    subsamples: int = 100,
    n_jobs: int | None = 2,
) -> dict:
    """Fit L1, L2, elastic net (relaxed lasso and unpenalized), measure and validate them.

    ``data.task`` "regression" or "classification" (two or more classes); "poisson"
    (counts) or "survival" (``y`` the columns time, event) get the GLM report of
    :mod:`.family_compare`.

    Parameters
    ----------
    data : Dataset
        From :func:`shrinkage.io.read_data` (a file, a bundled name or a DataFrame)
        or built from arrays; anything else is a ``TypeError`` that says so.
    out : path
        Folder for ``report.html``, ``summary.json``, ``coefficients.csv`` and the
        figures (PNG and SVG); an existing non-empty folder is replaced only with
        ``force``, and only if shrinkage wrote it. A file, or a folder holding files
        shrinkage did not write, is never replaced or deleted (a ``ValueError``
        before any fitting).
    cv : int
        Folds, for the choice of α and for the repeated CV: at least 2 and at most the
        training rows (resamples with fewer distinct rows use one fold per row).
    test_size : float
        Share of rows held out as a last check (never used for any choice), in
        ``(0, 1)``; at least ``MIN_TRAIN_ROWS`` (10) rows must be left to train on.
    seed : int
    repeats : int
        Repeats of ``cv``-fold CV for the paired comparison (default 5 × 5).
    bootstrap : int, optional
        ``B``, bootstrap resamples of the optimism bootstrap (default 200; for Cox
        models 50, see :mod:`.family_compare`).
    subsamples : int
        Half-samples for the selection frequencies.
    n_jobs : int
        Threads for the resampling and the CV fits; processes for writing the
        figures (Linux).

    Returns
    -------
    dict
        The summary (also written as ``summary.json``).

    Raises
    ------
    TypeError
        ``data`` is not a ``Dataset``.
    ValueError
        Too few rows, a ``cv``/``test_size`` the training rows cannot serve, or an
        ``out`` that would lose something (before any fitting).
    """
    from threadpoolctl import threadpool_limits

    from .._output import PYTHON, spoken_as, words

    _check_data(data)

    # One BLAS thread: the work is many small (p × p) problems run on our own threads;
    # a multi-threaded BLAS under them oversubscribes the cores (40× slower eigh seen).
    # Messages about ``out`` name the keyword arguments (out=, force=True), or the
    # command line's flags when ``shrinkage compare`` called (it says so: spoken_as).
    with spoken_as(words(PYTHON)), threadpool_limits(limits=1, user_api="blas"):
        return _compare(
            data,
            out,
            cv=cv,
            test_size=test_size,
            seed=seed,
            force=force,
            progress=progress,
            repeats=repeats,
            bootstrap=bootstrap,
            subsamples=subsamples,
            n_jobs=n_jobs,
        )


def _compare(
    data, out, *, cv, test_size, seed, force, progress, repeats, bootstrap, subsamples, n_jobs
) -> dict:
    from .._output import check_target, staged_folder

    out = Path(out)
    check_target(out, force, folder=True)  # fail before the work, not after
    if data.X.shape[0] < MIN_ROWS:
        raise ValueError(f"compare needs at least {MIN_ROWS} rows, got {data.X.shape[0]}.")
    _check_split(data.X.shape[0], cv, test_size)
    if repeats < 1 or (bootstrap is not None and bootstrap < 1) or subsamples < 1:
        raise ValueError("repeats, bootstrap and subsamples must be at least 1.")
    if data.task in ("poisson", "survival"):
        from .family_compare import compare_family

        return compare_family(
            data,
            out,
            cv=cv,
            test_size=test_size,
            seed=seed,
            force=force,
            progress=progress,
            repeats=repeats,
            subsamples=subsamples,
            n_jobs=n_jobs,
            bootstrap=bootstrap,
        )
    bootstrap = 200 if bootstrap is None else bootstrap
    if data.task == "classification" and len(data.classes or [0, 1]) > 2:
        from .multiclass import compare_multiclass

        return compare_multiclass(
            data,
            out,
            cv=cv,
            test_size=test_size,
            seed=seed,
            force=force,
            progress=progress,
            repeats=repeats,
            subsamples=subsamples,
            n_jobs=n_jobs,
            bootstrap=bootstrap,
        )
    step = Progress(progress)
    X_train, X_test, y_train, y_test = _split(data, test_size, seed)
    X_train, X_test, names, dropped, mean, scale = _standardize(X_train, X_test, data.feature_names)
    task = data.task
    folds = int(
        min(cv, np.min(np.bincount(y_train.astype(int))))
        if task == "classification"
        else min(cv, len(y_train))
    )

    step("fitting L1, L2, elastic net with cross-validation")
    models = measure.fit_models(task, X_train, y_train, folds, seed, n_jobs=n_jobs)
    rows, predicted = {}, {}
    for name, entry in models.items():
        coef = measure.coefficients(entry["model"])
        values = measure.predictions(task, entry["model"], X_test)
        predicted[name] = values
        order = np.argsort(-np.abs(coef))
        intercept = float(np.ravel(entry["model"].intercept_)[0])
        b0, beta = coefficients.original_units(coef, intercept, mean, scale)
        rows[name] = {
            "penalty": measure.PENALTIES[name],
            "alpha": entry.get("alpha"),
            "alpha_1se": entry.get("alpha_1se"),
            "l1_ratio": entry.get("l1_ratio"),
            "penalty_value": measure.penalty_value(name, coef, entry["model"]),
            "n_zero": int(np.sum(coef == 0)),
            "n_nonzero": int(np.count_nonzero(coef)),
            "selected": [names[j] for j in order if coef[j] != 0],
            "intercept": intercept,
            "coef": dict(zip(names, coef.tolist(), strict=True)),
            "intercept_original_units": b0,
            "coef_original_units": dict(zip(names, beta.tolist(), strict=True)),
            "held_out": measure.held_out_error(task, y_test, values),
            "calibration_slope": measure.calibration_slope(task, y_test, values),
            "seconds": entry["seconds"],
        }

    step("paths, each penalty on its own grid")
    paths = measure.paths(task, X_train, y_train, models, names)

    step(f"repeated CV: {repeats} x {folds} folds, the same folds for every method")
    cv_raw = repeated_cv.repeated_cv(
        task,
        X_train,
        y_train,
        repeats=repeats,
        folds=folds,
        seed=seed,
        n_jobs=n_jobs,
        progress=step.counter("folds"),
    )
    per_method, comparison = repeated_cv.summarize(cv_raw)
    for name, value in per_method.items():
        if name in rows:
            rows[name]["cv_repeated"] = value

    step(f"optimism bootstrap (Efron-Gong, B = {bootstrap}), refitting the whole procedure")
    apparent = resample.refit(
        task, X_train, y_train, np.ones(len(y_train)), folds, np.random.default_rng(seed)
    )
    validated = validation.optimism_bootstrap(
        task,
        X_train,
        y_train,
        apparent,
        B=bootstrap,
        folds=folds,
        seed=seed,
        n_jobs=n_jobs,
        progress=step.counter("resamples"),
    )
    for name, value in validated.items():
        if name in rows:
            rows[name]["validation"] = value
    shrink = validation.heuristic_shrinkage(task, apparent["none"], X_train, y_train)

    step(f"stability selection ({subsamples} half-samples) and the winner's curse")
    penalties = {"L1": (models["L1"]["alpha"], 1.0)}
    if models["elastic net"].get("alpha"):
        penalties["elastic net"] = (
            models["elastic net"]["alpha"],
            models["elastic net"].get("l1_ratio") or 0.5,
        )
    frequencies = stability.selection_frequency(
        task, X_train, y_train, names, penalties, subsamples=subsamples, seed=seed, n_jobs=n_jobs
    )
    for name, value in frequencies.items():
        rows[name]["selection_frequency"] = value
    curse = stability.winners_curse(
        task, X_train, y_train, names, models["L1"]["alpha"], seed=seed, n_jobs=n_jobs
    )

    step("uniqueness: duplicating a selected feature")
    lasso_coef = measure.coefficients(models["L1"]["model"])
    ridge_coef = measure.coefficients(models["L2"]["model"])
    # scikit-learn's Ridge alpha (summed loss) for the Ridge refits below.
    ridge_alpha_sklearn = models["L2"]["alpha"] * len(y_train)
    uniqueness = measure.uniqueness(
        task,
        X_train,
        y_train,
        models["L1"]["alpha"],
        ridge_alpha_sklearn if task == "regression" else models["L2"]["alpha"],
        names,
    )

    step("collinearity of the data (generalized VIF, reference coding) and p > n")
    collinear = collinearity.diagnose(X_train, names, data.encoding, lasso_coef, ridge_coef)
    wide = measure.wide_regime(
        task,
        X_train,
        y_train,
        models["L1"]["alpha"],
        ridge_alpha_sklearn if task == "regression" else models["L2"]["alpha"],
        seed,
    )

    step("recommendation")
    table = coefficients.table(rows, names, mean, scale, frequencies)
    recommendation = recommend.recommend(
        task, rows, comparison, collinear, frequencies, uniqueness, curse, shrink, len(names)
    )
    summary = {
        "version": __version__,
        "data": data.name or data.description.split(":")[0],
        "description": data.description,
        "task": task,
        "target": data.target_name,
        "classes": data.classes,
        "n_train": int(len(y_train)),
        "n_test": int(len(y_test)),
        "n_features": len(names),
        "dropped_constant_features": dropped,
        "cv_folds": folds,
        "repeats": repeats,
        "bootstrap": bootstrap,
        "seed": seed,
        "models": rows,
        "comparison": comparison,
        "heuristic_shrinkage": shrink["value"],
        "heuristic_shrinkage_detail": shrink,
        "collinearity": collinear,
        "winners_curse": curse,
        "uniqueness": uniqueness,
        "wide_regime": wide,
        "recommendation": recommendation,
        "coefficients": table,
    }

    with staged_folder(out, force) as folder:
        step("figures")
        strongest = np.argsort(-np.abs(ridge_coef))[:2]
        geometry, geometry_numbers = (
            figures.geometry_figure(X_train[:, strongest], y_train, [names[j] for j in strongest])
            if len(names) >= 2
            else (None, None)
        )
        made = {
            "paths": figures.penalty_paths_figure(paths),
            "penalty": figures.penalty_figure(),
            "magnitudes": figures.magnitudes_figure(lasso_coef, ridge_coef),
            "cv": figures.cv_figure(
                {
                    "L1": models["L1"]["curve"],
                    "elastic net": models["elastic net"]["curve"],
                    "L2": _ridge_curve(models, task),
                }
            ),
            "repeated_cv": figures.repeated_cv_figure(per_method, cv_raw["metric"], comparison),
            "calibrate": figures.calibrate_figure(task, validated),
            "stability": figures.stability_figure(frequencies),
            "calibration": figures.calibration_figure(
                task,
                y_test,
                {k: predicted[k] for k in ("none", "L1", "L2")},
                {k: rows[k]["calibration_slope"] for k in ("none", "L1", "L2")},
            ),
        }
        if curse["features"]:
            made["winners_curse"] = figures.winners_curse_figure(curse)
        if geometry is not None:
            made["geometry"] = geometry
            summary["geometry"] = geometry_numbers
        summary["figures"] = figure_files.save_all(made, folder, n_jobs)
        step("report.html, summary.json and coefficients.csv")
        coefficients.write_csv(table, folder / "coefficients.csv")
        summary["timings"] = dict(step.times)
        summary["timings_cpu"] = dict(step.cpu_times)
        (folder / "summary.json").write_text(json.dumps(_jsonable(summary), indent=2))
        (folder / "report.html").write_text(report.render_html(summary, folder), encoding="utf-8")
    step(f"done: {out / 'report.html'}")
    summary["timings"] = dict(step.times)
    summary["timings_cpu"] = dict(step.cpu_times)
    return summary


def _ridge_curve(models, task):
    """The ridge CV curve in our alpha (RidgeCV's grid is scikit-learn's: ours times n)."""
    from ..selection import CVCurve

    curve = models["L2"]["curve"]
    if task != "regression" or curve is None:
        return curve
    scale = models["L2"]["alpha"] / float(models["L2"]["model"].alpha_)
    return CVCurve(curve.alphas * scale, curve.fold_errors, metric=curve.metric)
