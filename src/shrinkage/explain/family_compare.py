"""``shrinkage compare`` for counts (Poisson) and survival times (Cox).

The questions of the least-squares report, answered for a GLM family
(:class:`~.family_procedure.Family`): L1, L2, elastic net and the unpenalized fit,
each with its α chosen by K-fold CV on the family's deviance, then

- the coefficient table (standardized and original units, exact zeros as 0);
- paths on each penalty's own grid, the minimum-CV and 1-SE choices marked;
- repeated K-fold CV with the same folds for every method, the paired differences
  from the best with Nadeau–Bengio standard errors (:mod:`.repeated_cv`), "within
  noise" under 2 SE; for Cox also Harrell's C;
- Harrell's optimism bootstrap (``rms::validate``): the whole procedure, the CV choice
  of α included, refitted on each resample; corrected calibration slope and the
  family's indexes (Poisson: mean deviance, D², calibration intercept; Cox: Dxy, C);
- selection frequencies of L1 and elastic net over half-samples;
- the held-out rows as a last check, and the heuristic shrinkage of the unpenalized fit.
"""

from __future__ import annotations

import json
from pathlib import Path
from time import perf_counter

import numpy as np

from .family_measures import pearson_dispersion
from .family_procedure import METHODS, RATIOS, Family, inner_splits, procedure
from .resample import run_parallel, seeds

#: The default B of the optimism bootstrap per family: the Cox path is fitted by the
#: NumPy partial likelihood (not a compiled kernel), ~0.3 s per CV fit on 300 rows,
#: so 200 resamples × 3 CV fits would take minutes; the page says so.
DEFAULT_BOOTSTRAP = {"poisson": 200, "survival": 200}
PENALTIES = {
    "L1": "α·Σ|w|",
    "L2": "α/2·Σw²",
    "elastic net": "α·Σ(½|w| + ¼w²)",
    "none": "—",
}


def family_of(task: str) -> Family:
    if task == "poisson":
        from .counts import PoissonFamily

        return PoissonFamily()
    from .survival import CoxFamily

    return CoxFamily()


def compare_family(
    data, out, *, cv, test_size, seed, force, progress, repeats, subsamples, n_jobs, bootstrap
) -> dict:
    """The report for ``data.task`` in ``{"poisson", "survival"}``; returns the summary."""
    from sklearn.model_selection import train_test_split

    from .._output import check_target
    from .compare import Progress, _standardize

    out = Path(out)
    check_target(out, force, folder=True)
    family = family_of(data.task)
    bootstrap_default = bootstrap is None
    B = DEFAULT_BOOTSTRAP[data.task] if bootstrap is None else int(bootstrap)
    X = data.X.toarray() if hasattr(data.X, "toarray") else np.asarray(data.X, float)
    y = np.asarray(data.y, float)
    n_all = len(y)
    strata = family.stratify(y)
    if strata is not None:
        events = int(np.sum(strata == 1))
        if events < 10:
            raise ValueError(
                f"The survival data have {events} events; a Cox comparison with CV and a "
                "held-out split needs at least 10."
            )
        if np.min(np.bincount(strata, minlength=2)) < 4:
            strata = None  # (almost) no censoring: nothing to stratify the splits on
    step = Progress(progress, steps=9)
    train_rows, test_rows = train_test_split(
        np.arange(n_all), test_size=test_size, random_state=seed, stratify=strata
    )
    X_tr, X_te, y_tr, y_te = X[train_rows], X[test_rows], y[train_rows], y[test_rows]
    X_tr, X_te, names, dropped, mean, scale = _standardize(X_tr, X_te, data.feature_names)
    n = len(y_tr)
    folds = int(min(cv, n))
    if strata is not None:
        folds = int(min(folds, np.sum(y_tr[:, 1] == 1)))

    step(f"fitting L1, L2, elastic net and the unpenalized {family.task} model with CV")
    fits, seconds = {}, {}
    splits = inner_splits(np.arange(n), folds, np.random.default_rng(seed))
    for m in METHODS:
        start = perf_counter()
        fits[m] = family.fit_method(m, X_tr, y_tr, splits)
        seconds[m] = perf_counter() - start
    rows = _rows(family, fits, names, mean, scale, X_te, y_te, seconds)

    step("paths, each penalty on its own grid")
    paths = _paths(family, X_tr, y_tr, fits, names)

    step(f"repeated CV: {repeats} x {folds} folds, the same folds for every method")
    raw = _repeated_cv(family, X_tr, y_tr, repeats, folds, seed, n_jobs, step.counter("folds"))
    from .repeated_cv import summarize

    per_method, comparison = summarize(
        {"metric": family.metric, "repeats": repeats, "folds": folds, "errors": raw["errors"]}
    )
    for m in METHODS:
        rows[m]["cv_repeated"] = per_method[m]
    extra_comparison = {}
    if raw.get("c_index"):
        c_per, c_cmp = _summarize_higher(raw["c_index"], repeats, folds, "c_index")
        for m in METHODS:
            rows[m]["cv_repeated_c_index"] = c_per[m]
        extra_comparison["c_index"] = c_cmp

    step(f"optimism bootstrap (Efron-Gong, B = {B}), refitting the whole procedure")
    validated = _optimism(
        family, X_tr, y_tr, fits, B, folds, seed, n_jobs, step.counter("resamples")
    )
    for m in METHODS:
        rows[m]["validation"] = validated[m]
    lr = family.lr_chi2(family.eta(fits["none"], X_tr), y_tr)
    # the LR χ²'s degrees of freedom: the rank (the levels of a one-hot column sum to 1)
    from .validation import design_rank, undefined_reason

    p = design_rank(X_tr)
    # p + 1 ≥ n (the intercept, or for Cox the free shift of η): the unpenalized fit can
    # give every training row any linear predictor; its LR χ² is the saturated one.
    reason = "interpolates" if p + 1 >= n else None
    columns = len(names)
    shrink = {
        "lr_chi2": lr,
        "p": p,
        "p_columns": columns,
        "n": n,
        "value": (lr - p) / lr if lr > 0 and reason is None else float("nan"),
        "undefined": reason,
        "reason": undefined_reason(reason, n=n, p=p, columns=columns, task=family.task),
    }
    if family.task == "poisson":
        # Over-dispersion inflates the Poisson LR χ²: the quasi-Poisson χ² is LR/φ̂.
        phi = pearson_dispersion(y_tr, family.eta(fits["none"], X_tr), p)
        shrink["dispersion"] = phi
        quasi = lr / phi if phi > 0 else float("nan")
        shrink["value_quasi_poisson"] = (
            (quasi - p) / quasi if quasi > 0 and reason is None else float("nan")
        )

    step(f"stability selection ({subsamples} half-samples)")
    frequencies = _selection_frequency(family, X_tr, y_tr, names, fits, subsamples, seed, n_jobs)
    for m, value in frequencies.items():
        rows[m]["selection_frequency"] = value

    step("collinearity of the data (generalized VIF, reference coding)")
    from . import coefficients, collinearity

    collinear = collinearity.diagnose(X_tr, names, data.encoding, fits["L1"].coef, fits["L2"].coef)

    step("recommendation")
    table = coefficients.table(rows, names, mean, scale, frequencies)
    if not family.has_intercept:
        table["intercept_original"] = {m: None for m in METHODS}
    from .family_report import recommendation

    summary = {
        "version": _version(),
        "data": data.name or data.description.split(":")[0],
        "description": data.description,
        "task": family.task,
        "target": data.target_name,
        "classes": None,
        "n_train": n,
        "n_test": int(len(y_te)),
        "n_features": len(names),
        "dropped_constant_features": dropped,
        "cv_folds": folds,
        "repeats": repeats,
        "bootstrap": B,
        "bootstrap_default": bootstrap_default,
        "seed": seed,
        "split": {"test_rows": np.sort(test_rows).tolist()},
        "metric": family.metric,
        "models": rows,
        "comparison": comparison,
        "comparison_more": extra_comparison,
        "heuristic_shrinkage": shrink["value"],
        "heuristic_shrinkage_detail": shrink,
        "collinearity": collinear,
        "coefficients": table,
    }
    if family.task == "survival":
        summary["events"] = {"train": int(y_tr[:, 1].sum()), "test": int(y_te[:, 1].sum())}
    summary["recommendation"] = recommendation(summary)
    held = (X_te, y_te)
    _write(summary, out, force, family, fits, paths, per_method, frequencies, held, step, n_jobs)
    step(f"done: {out / 'report.html'}")
    summary["timings"] = dict(step.times)
    return summary


def _version():
    from .. import __version__

    return __version__


def _rows(family, fits, names, mean, scale, X_te, y_te, seconds) -> dict:
    from .coefficients import original_units
    from .measure import penalty_value

    rows = {}
    for m, fit in fits.items():
        coef = fit.coef
        order = np.argsort(-np.abs(coef), kind="stable")
        b0, beta = original_units(coef, fit.intercept, mean, scale)
        held = family.held_out(family.eta(fit, X_te), y_te)
        rows[m] = {
            "penalty": PENALTIES[m],
            "alpha": fit.alpha,
            "alpha_1se": fit.alpha_1se,
            "l1_ratio": RATIOS.get(m) if m != "none" else None,
            "penalty_value": penalty_value(m, coef, fit),
            "n_zero": int(np.sum(coef == 0)),
            "n_nonzero": int(np.count_nonzero(coef)),
            "selected": [names[j] for j in order if coef[j] != 0],
            "intercept": fit.intercept if family.has_intercept else None,
            "coef": dict(zip(names, coef.tolist(), strict=True)),
            "intercept_original_units": b0 if family.has_intercept else None,
            "coef_original_units": dict(zip(names, beta.tolist(), strict=True)),
            "held_out": held,
            "calibration_slope": held.get("slope"),
            "seconds": seconds[m],
        }
    return rows


def _paths(family, X, y, fits, names) -> dict:
    """``{title: (PathResult, alpha_min, alpha_1se, names)}`` on each penalty's CV grid
    (L1 and elastic net: ``α_max`` down to ``10⁻³·α_max``; L2: the ridge range)."""
    import warnings

    from ..path import regularization_path

    out = {}
    for m, title in (
        ("L1", "L1 (lasso)"),
        ("elastic net", "elastic net (ρ = 0.5)"),
        ("L2", "L2 (ridge)"),
    ):
        fit = fits[m]
        grid = np.sort(np.asarray(fit.grid, float))[::-1]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            path = regularization_path(
                X,
                y,
                loss=family.loss,
                l1_ratio=RATIOS[m],
                alphas=grid,
                fit_intercept=family.has_intercept,
                tol=1e-5,
            )
        out[title] = (path, fit.alpha, fit.alpha_1se, list(names))
    return out


def _splitter(family, repeats, folds, seed, y):
    from sklearn.model_selection import KFold, StratifiedKFold

    strata = family.stratify(y)
    splits = []
    for r in range(repeats):
        if strata is not None and np.unique(strata).size > 1:
            splitter = StratifiedKFold(folds, shuffle=True, random_state=seed + r)
            splits += list(splitter.split(y, strata))
        else:
            splits += list(KFold(folds, shuffle=True, random_state=seed + r).split(y))
    return splits


def _repeated_cv(family, X, y, repeats, folds, seed, n_jobs, progress) -> dict:
    """Every method refitted (with its inner CV) on the same training folds."""
    splits = _splitter(family, repeats, folds, seed, y)
    rngs = seeds(seed + 7919, len(splits))

    def one(item):
        (train, test), rng = item
        fits = procedure(family, X[train], y[train], folds, rng)
        return {m: family.fold_scores(family.eta(fits[m], X), y, train, test) for m in METHODS}

    results = run_parallel(one, list(zip(splits, rngs, strict=True)), n_jobs, progress)
    out = {"errors": {m: np.array([r[m][family.metric] for r in results]) for m in METHODS}}
    if "c_index" in results[0][METHODS[0]]:
        out["c_index"] = {m: np.array([r[m]["c_index"] for r in results]) for m in METHODS}
    return out


def _summarize_higher(values: dict, repeats: int, folds: int, metric: str):
    """:func:`.repeated_cv.summarize` for a score where higher is better (C-index)."""
    from .repeated_cv import summarize

    per, cmp = summarize(
        {
            "metric": metric,
            "repeats": repeats,
            "folds": folds,
            "errors": {m: -v for m, v in values.items()},
        }
    )
    for v in per.values():
        v["mean"] = -v["mean"]
    for c in cmp:
        c["mean_difference"] = -c["mean_difference"]
        c["relative_difference"] = -c["relative_difference"]
    return per, cmp


def _optimism(family, X, y, fits, B, folds, seed, n_jobs, progress, methods=METHODS) -> dict:
    """``rms::validate`` for every method: ``{"B", "B_used", "<index>_apparent",
    "<index>_optimism", "<index>_corrected", "<index>_n_valid"}``."""
    n = len(y)
    names = family.indexes_validated

    def one(rng):
        idx = rng.integers(0, n, n)
        try:
            fits_b = procedure(family, X[idx], y[idx], folds, rng, groups=idx, methods=methods)
        except ValueError:
            return None  # e.g. an inner training fold without events
        out = {}
        for m in methods:
            train = family.indexes(family.eta(fits_b[m], X[idx]), y[idx])
            test = family.indexes(family.eta(fits_b[m], X), y)
            out[m] = {k: train[k] - test[k] for k in names}
        return out

    results = [r for r in run_parallel(one, seeds(seed, B), n_jobs, progress) if r is not None]
    report = {}
    for m in methods:
        apparent = family.indexes(family.eta(fits[m], X), y)
        entry = {"B": B, "B_used": len(results)}
        for k in names:
            optimism = np.array([r[m][k] for r in results], dtype=float)
            good = np.isfinite(optimism)
            value = float(np.mean(optimism[good])) if good.any() else float("nan")
            entry[f"{k}_apparent"] = apparent[k]
            entry[f"{k}_optimism"] = value
            entry[f"{k}_corrected"] = apparent[k] - value
            entry[f"{k}_optimism_mc_se"] = (
                float(optimism[good].std(ddof=1) / np.sqrt(good.sum()))
                if good.sum() > 1
                else float("nan")
            )
            entry[f"{k}_n_valid"] = int(good.sum())
        entry["apparent_fit"] = {
            "parameters": {"alpha": fits[m].alpha} if fits[m].alpha is not None else {},
            "n_nonzero": int(np.count_nonzero(fits[m].coef)),
        }
        report[m] = entry
    return report


def _selection_frequency(family, X, y, names, fits, subsamples, seed, n_jobs) -> dict:
    """L1 and elastic net refitted at their chosen α on random halves (standardized
    within each half), and how often each feature is non-zero."""
    import warnings

    n = len(y)
    penalties = {m: (fits[m].alpha, RATIOS[m]) for m in ("L1", "elastic net")}

    def one(rng):
        half = rng.choice(n, n // 2, replace=False)
        out = {}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for m, (alpha, ratio) in penalties.items():
                try:
                    coef = family.estimator(alpha, ratio).fit(X[half], y[half]).coef_
                except ValueError:
                    return None  # a half without events
                out[m] = np.asarray(coef) != 0
        return out

    results = [r for r in run_parallel(one, seeds(seed + 31, subsamples), n_jobs) if r is not None]
    frequencies = {}
    for m in penalties:
        freq = np.mean([r[m] for r in results], axis=0) if results else np.zeros(len(names))
        frequencies[m] = dict(zip(names, np.asarray(freq, float).tolist(), strict=True))
    return frequencies


def _write(summary, out, force, family, fits, paths, per_method, frequencies, held, step, n_jobs=1):
    from .._output import jsonable, staged_folder
    from . import coefficients, family_figures, figure_files, figures
    from .family_report import render_html

    X_te, y_te = held
    shown = ("none", "L1", "L2")
    slopes = {m: summary["models"][m]["held_out"]["slope"] for m in shown}

    with staged_folder(out, force) as folder:
        step("figures, report.html, summary.json and coefficients.csv")
        made = {
            "paths": figures.penalty_paths_figure(paths),
            "cv": figures.cv_figure({m: fits[m].curve for m in ("L1", "elastic net", "L2")}),
            "repeated_cv": figures.repeated_cv_figure(
                per_method, family.metric_label, summary["comparison"]
            ),
            "stability": figures.stability_figure(frequencies),
            "calibration": (
                family_figures.cox_calibration_figure(
                    y_te[:, 0],
                    y_te[:, 1].astype(bool),
                    {m: fits[m].extra["model"] for m in shown},
                    X_te,
                    slopes,
                )
                if family.task == "survival"
                else family_figures.poisson_calibration_figure(
                    y_te, {m: np.exp(family.eta(fits[m], X_te)) for m in shown}, slopes
                )
            ),
        }
        summary["figures"] = figure_files.save_all(made, folder, n_jobs)
        # The Cox model has no intercept (its values are None): write_csv leaves that
        # row out. (Dropping lines that start with "(intercept)" also dropped a feature
        # so named.)
        coefficients.write_csv(summary["coefficients"], folder / "coefficients.csv")
        summary["timings"] = dict(step.times)
        (folder / "summary.json").write_text(json.dumps(jsonable(summary), indent=2))
        (folder / "report.html").write_text(render_html(summary, folder), encoding="utf-8")
