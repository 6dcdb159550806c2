"""``shrinkage compare`` for a target with more than two classes (multinomial logistic).

The same questions as the binary report, answered with the multinomial model
``P(y = k | x) ∝ exp(b_{0k} + x^T b_k)``: the coefficient table has one row per
(feature, class); the paired repeated CV and the optimism bootstrap score the mean
log-loss (and the multi-class Brier score ``mean Σ_k (p_k − 1[y = k])²`` and the
accuracy); a feature counts as selected when any of its class coefficients is non-zero.
Every resample refits the whole procedure, the CV choice of α included: the procedure
of ``LogisticRegressionCV`` (:mod:`.multiclass_procedure`) on a compiled multinomial
path (:mod:`shrinkage.solvers.multinomial_path`).
"""

from __future__ import annotations

import html
import json
from pathlib import Path

import numpy as np

from . import figure_files, figures, multiclass_measures, repeated_cv
from .resample import run_parallel, seeds

METHODS = ("L1", "L2", "elastic net", "none")
RATIOS = {"L1": 1.0, "L2": 0.0, "elastic net": 0.5}


def _fit(method: str, X, y, folds: int, seed: int, rows=None):
    """The procedure of ``method`` on rows ``rows`` (repeats allowed) of ``X``, ``y``:
    :func:`.multiclass_procedure.fit_procedure` (``seed`` is unused: the folds are
    ``StratifiedKFold`` without shuffling, as ``LogisticRegressionCV(cv=folds)``'s)."""
    from .multiclass_procedure import fit_procedure

    del seed
    return fit_procedure(method, X, y, folds, rows)


def _probabilities(model, X, n_classes: int) -> np.ndarray:
    P = np.zeros((len(X), n_classes))
    P[:, model.classes_.astype(int)] = model.predict_proba(X)
    return P


def scores(P: np.ndarray, y: np.ndarray) -> dict:
    """Mean log-loss, multi-class Brier score, accuracy and calibration slope of
    probabilities ``P`` (see :func:`~.multiclass_measures.calibration_slope`)."""
    Y = np.eye(P.shape[1])[y.astype(int)]
    p_true = np.clip(P[np.arange(len(y)), y.astype(int)], 1e-15, 1)
    return {
        "log_loss": float(-np.mean(np.log(p_true))),
        "brier": float(np.mean(np.sum((P - Y) ** 2, axis=1))),
        "accuracy": float(np.mean(P.argmax(axis=1) == y)),
        "calibration_slope": multiclass_measures.calibration_slope(P, y),
    }


INDEXES = ("log_loss", "brier", "accuracy", "calibration_slope")


def _alpha(model, n: int, attribute: str = "C_") -> float | None:
    C = getattr(model, attribute, None)
    return None if C is None else 1.0 / (float(np.ravel(C)[0]) * n)


def compare_multiclass(
    data, out, *, cv, test_size, seed, force, progress, repeats, subsamples, n_jobs, bootstrap=200
) -> dict:
    """The multinomial report (see the module docstring); returns the summary."""
    from sklearn.model_selection import StratifiedKFold, train_test_split

    from .. import __version__
    from .._output import check_target, staged_folder
    from .compare import Progress, _jsonable, _standardize
    from .measure import penalty_value
    from .report import _STYLE, _table, comparison_rows, fmt
    from .report_sections import coefficient_table, comparison_section

    out = Path(out)
    check_target(out, force, folder=True)
    K = len(data.classes)
    X = data.X.toarray() if hasattr(data.X, "toarray") else np.asarray(data.X, float)
    if np.min(np.bincount(data.y.astype(int), minlength=K)) < 4:
        raise ValueError("Each class needs at least 4 rows for a held-out split and CV.")
    step = Progress(progress, steps=8)
    X_tr, X_te, y_tr, y_te = train_test_split(
        X, data.y, test_size=test_size, random_state=seed, stratify=data.y
    )
    X_tr, X_te, names, dropped, mean, scale = _standardize(X_tr, X_te, data.feature_names)
    folds = int(min(cv, np.min(np.bincount(y_tr.astype(int), minlength=K))))
    n = len(y_tr)

    step("fitting L1, L2, elastic net (multinomial) with cross-validation")
    models = {m: _fit(m, X_tr, y_tr, folds, seed) for m in METHODS}
    labels = [f"{f} [{c}]" for c in data.classes for f in names]
    rows = {}
    for m, model in models.items():
        B = np.asarray(model.coef_, float)  # (K, p)
        beta = B / scale
        b0 = np.ravel(model.intercept_) - beta @ mean
        rows[m] = {
            "penalty": {
                "L1": "α·Σ|w|",
                "L2": "α/2·Σw²",
                "elastic net": "α·Σ(½|w| + ¼w²)",
                "none": "—",
            }[m],
            "alpha": _alpha(model, n),
            "alpha_1se": _alpha(model, n, "C_1se_"),
            "n_zero": int(np.sum(B == 0)),
            "n_nonzero": int(np.count_nonzero(B)),
            "features_used": int(np.sum(np.any(B != 0, axis=0))),
            "penalty_value": penalty_value(m, B.ravel(), model),
            "coef": dict(zip(labels, B.ravel().tolist(), strict=True)),
            "coef_original_units": {
                c: dict(zip(names, beta[k].tolist(), strict=True))
                for k, c in enumerate(data.classes)
            },
            "intercept_original_units": dict(zip(data.classes, b0.tolist(), strict=True)),
            "held_out": scores(_probabilities(model, X_te, K), y_te),
        }

    step(f"repeated CV: {repeats} x {folds} folds, the same folds for every method")
    splits = []
    for r in range(repeats):
        splits += list(
            StratifiedKFold(folds, shuffle=True, random_state=seed + r).split(X_tr, y_tr)
        )

    def one_fold(split):
        train, test = split
        return {
            m: scores(
                _probabilities(_fit(m, X_tr, y_tr, folds, seed, train), X_tr[test], K),
                y_tr[test],
            )["log_loss"]
            for m in METHODS
        }

    results = run_parallel(one_fold, splits, n_jobs, step.counter("folds"))
    raw = {
        "metric": "log_loss",
        "repeats": repeats,
        "folds": folds,
        "errors": {m: np.array([r[m] for r in results]) for m in METHODS},
    }
    per_method, comparison = repeated_cv.summarize(raw)
    for m in METHODS:
        rows[m]["cv_repeated"] = per_method[m]

    step(f"optimism bootstrap (Efron-Gong, B = {bootstrap}), refitting the whole procedure")
    apparent = {m: scores(_probabilities(models[m], X_tr, K), y_tr) for m in METHODS}

    def one_boot(rng):
        rows_b = rng.integers(0, n, n)
        if np.unique(y_tr[rows_b]).size < K:
            return None
        out_b = {}
        for m in METHODS:
            fit = _fit(m, X_tr, y_tr, folds, seed, rows_b)
            train = scores(_probabilities(fit, X_tr[rows_b], K), y_tr[rows_b])
            test = scores(_probabilities(fit, X_tr, K), y_tr)
            out_b[m] = {k: train[k] - test[k] for k in train}
        return out_b

    boots = [
        b
        for b in run_parallel(one_boot, seeds(seed, bootstrap), n_jobs, step.counter("resamples"))
        if b is not None
    ]
    for m in METHODS:
        v = {"B": bootstrap, "B_used": len(boots)}
        for k, value in apparent[m].items():
            # A resample the model separates has no slope (NaN): the optimism of the
            # slope is averaged over the finite ones, and their count reported.
            finite = [b[m][k] for b in boots if np.isfinite(b[m][k])]
            optimism = float(np.mean(finite)) if finite else np.nan
            v[f"{k}_apparent"], v[f"{k}_optimism"] = value, optimism
            v[f"{k}_corrected"] = value - optimism
            if k == "calibration_slope":
                v["calibration_slope_B_finite"] = len(finite)
        rows[m]["validation"] = v

    step(f"selection frequency over {subsamples} half-samples (L1, elastic net)")
    for method in ("L1", "elastic net"):
        alpha, ratio = rows[method]["alpha"], RATIOS[method]

        def one_half(rng, alpha=alpha, ratio=ratio):
            idx = rng.choice(n, n // 2, replace=False)
            if np.unique(y_tr[idx]).size < K:
                return None
            # LogisticRegression(C=1/(α·n/2), l1_ratio=ρ, max_iter=300)'s fit (tol 10⁻⁴)
            coef = multiclass_measures.fit_path(
                X_tr[idx], y_tr[idx], [alpha], ratio, tol=1e-4, max_iter=300
            )[0][0]
            return np.any(coef != 0, axis=0)

        halves = [
            h for h in run_parallel(one_half, seeds(seed + 31, subsamples), n_jobs) if h is not None
        ]
        freq = np.mean(halves, axis=0) if halves else np.zeros(len(names))
        rows[method]["selection_frequency"] = dict(zip(names, freq.tolist(), strict=True))

    step("winner's curse over half splits, and uniqueness with a duplicated feature")
    curse = multiclass_measures.winners_curse(
        X_tr,
        y_tr,
        names,
        rows["L1"]["alpha"],
        # Three multinomial fits per split: 30 splits give the bias to a few percent.
        splits=min(subsamples, 30),
        seed=seed,
        n_jobs=n_jobs,
    )
    uniqueness = multiclass_measures.uniqueness(
        X_tr, y_tr, rows["L1"]["alpha"], rows["L2"]["alpha"], names
    )
    step("paths: each penalty on its own grid")
    paths = multiclass_measures.paths(X_tr, y_tr, rows, names, n_alphas=20)

    ybar = np.bincount(y_tr.astype(int), minlength=K) / n
    d_null = -2 * n * np.sum(ybar * np.log(np.clip(ybar, 1e-300, 1)))
    d_model = 2 * n * apparent["none"]["log_loss"]
    log_p = np.log(np.clip(_probabilities(models["none"], X_tr, K), 1e-300, 1))
    shrink = multiclass_heuristic(X_tr, y_tr, K, d_null - d_model, log_p)

    best = min(per_method, key=lambda m: per_method[m]["mean"])
    recommendation = [
        f"Lowest mean log-loss over {repeats}×{folds}-fold CV (same folds for every method): "
        f"{best} ({per_method[best]['mean']:.4g} ± {per_method[best]['se']:.2g} SE)."
    ]
    for c in comparison:
        verdict = "within noise" if c["within_noise"] else "worse by more than 2 SE"
        recommendation.append(
            f"{c['a']}: {c['mean_difference']:+.3g} ± {c['se']:.2g} against {best} ({verdict})."
        )
    noise = {c["a"] for c in comparison if c["within_noise"]} | {best}
    if "L1" in noise and rows["L1"]["features_used"] < len(names):
        recommendation.append(
            f"L1 predicts as well as the best within noise using {rows['L1']['features_used']} "
            f"of {len(names)} features: prefer it for a model you can read."
        )
    elif "L1" in noise:
        recommendation.append(
            "L1 keeps every feature at its chosen α: no sparser model to prefer; the methods "
            "differ only in how much they shrink."
        )
    unstable = [f for f, v in rows["L1"]["selection_frequency"].items() if 0.3 <= v <= 0.7]
    if unstable:
        recommendation.append(
            "The lasso's choice of "
            + ", ".join(unstable[:6])
            + " is unstable across half-samples (selected in 30–70%)."
        )
    v = rows["none"]["validation"]
    recommendation.append(
        f"The unpenalized fit's log-loss is {v['log_loss_apparent']:.3g} on its own rows and "
        f"{v['log_loss_corrected']:.3g} corrected for optimism (bootstrap); "
        + (
            f"heuristic shrinkage {shrink['value']:.3f}."
            if shrink["undefined"] is None
            else "heuristic shrinkage undefined. " + shrink["reason"]
        )
    )
    slopes = {m: rows[m]["validation"]["calibration_slope_corrected"] for m in METHODS}
    recommendation.append(
        "Bootstrap-corrected calibration slopes (1 = ideal, below 1 = predictions too "
        "extreme for new rows): "
        + ", ".join(f"{m} {fmt(v, 3)}" for m, v in slopes.items())
        + "."
        + (
            " — : no slope, the rows are separated by that model's predictions."
            if any(not np.isfinite(v) for v in slopes.values())
            else ""
        )
    )
    per_class = {m: [models[m].coef_[k] for k in range(K)] for m in METHODS}
    table = {
        "features": labels,
        "methods": list(METHODS),
        "standardized": {m: np.ravel(per_class[m]).tolist() for m in METHODS},
        "original": {m: np.ravel(np.asarray(per_class[m]) / scale).tolist() for m in METHODS},
        "intercept_original": {m: float("nan") for m in METHODS},
        # one intercept per class in coefficients.csv (the single row read "nan")
        "intercept_rows": {
            f"(intercept) [{c}]": {m: rows[m]["intercept_original_units"][c] for m in METHODS}
            for c in data.classes
        },
        "selection_frequency": {
            "L1": [rows["L1"]["selection_frequency"][f] for _ in data.classes for f in names]
        },
    }
    summary = {
        "version": __version__,
        "data": data.name or data.description.split(":")[0],
        "description": data.description,
        "task": "classification",
        "multiclass": True,
        "target": data.target_name,
        "classes": data.classes,
        "n_train": n,
        "n_test": int(len(y_te)),
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
        "recommendation": recommendation,
        "coefficients": table,
        "winners_curse": curse,
        "uniqueness": uniqueness,
    }
    with staged_folder(out, force) as folder:
        step("figures, report.html, summary.json and coefficients.csv")
        made = {
            "repeated_cv": figures.repeated_cv_figure(per_method, "log_loss", comparison),
            "stability": figures.stability_figure(
                {m: rows[m]["selection_frequency"] for m in ("L1", "elastic net")}
            ),
            "paths": figures.penalty_paths_figure(paths),
        }
        if curse.get("features"):
            made["winners_curse"] = figures.winners_curse_figure(curse)
        summary["figures"] = figure_files.save_all(made, folder, n_jobs)
        from .coefficients import write_csv
        from .report import _image

        write_csv(table, folder / "coefficients.csv")
        (folder / "summary.json").write_text(json.dumps(_jsonable(summary), indent=2))
        val_rows = [
            [k]
            + [
                f"{fmt(rows[m]['validation'][k + '_apparent'], 3)} → "
                f"{fmt(rows[m]['validation'][k + '_corrected'], 3)}"
                for m in METHODS
            ]
            for k in INDEXES
        ]
        held = [[k] + [fmt(rows[m]["held_out"][k], 4) for m in METHODS] for k in INDEXES]
        page = [
            "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
            "<meta name='viewport' content='width=device-width, initial-scale=1'>",
            f"<title>L1 vs L2 on {html.escape(summary['data'])}</title><style>{_STYLE}</style>",
            "</head><body>",
            f"<h1>L1 or L2 for {html.escape(summary['data'])}? ({K} classes)</h1>",
            f"<p class='note'>{html.escape(data.description)}. Multinomial logistic; {n} "
            f"training and {len(y_te)} held-out rows.</p>",
            "<h2>Recommendation</h2><ul class='rec'>",
            *[f"<li>{html.escape(line)}</li>" for line in recommendation],
            "</ul><h2>Measured on your data</h2>",
            _table(*comparison_rows(summary)),
            *coefficient_table(summary),
            *comparison_section(summary, folder, _image),
            "<h2>Validation (optimism bootstrap): apparent → corrected</h2>",
            _table(["index", *METHODS], val_rows),
            "<p class='note'>Calibration slope: the γ that best rescales every class's "
            "linear predictor, softmax(γη) (Harrell's slope). The unpenalized fit has slope 1 "
            "on its own rows; the corrected slope is what new rows would show. Below 1: "
            "predictions too extreme, the model needs shrinkage. A slope shown as — has no "
            "estimate: the rows are separated by the predictions (every row's own class "
            "ranked first, or tied first), so the likelihood of γ grows without bound "
            "(as the binary report's slope on separated rows).</p>",
            "<h2>Paths: each penalty on its own grid</h2>",
            _image(folder, summary["figures"]["paths"]["png"], "L1, elastic net and L2 paths"),
            "<p class='note'>Per feature, the norm of its class coefficients ‖B_j‖₂. Left of "
            "each panel every weight is shrunk to (near) zero; right, the fit is near the "
            "unpenalized one. Dashed: the α with the best CV log-loss; dotted: the 1-SE "
            "choice. Lasso norms reach exactly zero; ridge norms only approach it.</p>",
            "<h2>Stability of the selection</h2>",
            _image(folder, summary["figures"]["stability"]["png"], "selection frequencies"),
            *_curse_section(curse, summary["figures"], folder, _image, _table, fmt),
            *_uniqueness_section(uniqueness, _table, fmt),
            "<h2>Last check: the held-out rows</h2>",
            _table(["", *METHODS], held),
        ]
        from .report import _SCRIPT

        page.append(f"<script>{_SCRIPT}</script></body></html>")
        (folder / "report.html").write_text("\n".join(page), encoding="utf-8")
    step(f"done: {out / 'report.html'}")
    summary["timings"] = dict(step.times)  # as the binary report's (not in summary.json)
    summary["timings_cpu"] = dict(step.cpu_times)
    return summary


def multiclass_heuristic(X, y, K: int, lr: float, log_p=None) -> dict:
    """van Houwelingen–le Cessie ``(LR χ² − p)/LR χ²`` of the unpenalized multinomial
    fit, ``p = (K − 1)·rank`` of the centred design; undefined (NaN, with the reason)
    where that fit interpolates (``rank + 1 ≥ n``: any labels are separable) or the
    classes are separated (:func:`.validation.separation`): no maximum-likelihood
    estimate, and ``D_null − D_model`` is wherever the solver stopped. ``log_p``, the
    fit's log-probabilities, stand in for the separation LP on large data."""
    from .validation import design_rank, separation, undefined_reason

    n = len(y)
    columns = int(np.count_nonzero(np.ptp(X, axis=0) > 0))
    rank = design_rank(X)
    p = rank * (K - 1)
    reason = None
    if rank + 1 >= n:
        reason = "interpolates"
    elif separation(X, y, K, log_p):
        reason = "separated"
    value = np.nan if reason is not None else (lr - p) / lr if lr > 0 else np.nan
    return {
        "lr_chi2": float(lr),
        "p": p,
        "rank": rank,
        "p_columns": columns * (K - 1),
        "n": n,
        "value": float(value),
        "undefined": reason,
        "reason": undefined_reason(reason, n=n, p=rank, columns=columns, task="classification"),
    }


def _curse_section(curse, made, folder, image, table, fmt) -> list[str]:
    if not curse.get("features"):
        return []
    rows = [
        [
            name,
            f"{v['share_selected']:.0%}",
            fmt(v["lasso_selection_half"], 3),
            fmt(v["selection_half"], 3),
            fmt(v["fresh_half"], 3),
            fmt(v["bias"], 3),
        ]
        for name, v in list(curse["features"].items())[:20]
    ]
    header = ["feature", "selected in", "lasso", "unpenalized (sel. half)", "fresh half", "bias"]
    return [
        "<h2>The winner's curse, measured</h2>",
        image(folder, made["winners_curse"]["png"], "winner's curse"),
        table(header, rows),
        f"<p class='note'>Over {curse['splits']} random half splits the lasso (at the chosen "
        "α) selects features on one half; the unpenalized multinomial model on those features "
        "is fitted on that half and on the other. Each feature's class coefficients are "
        "projected on the direction first estimated (standardized units). Overall the "
        f"selection-half estimates are {fmt(curse['inflation'], 3)}× the fresh-half ones.</p>",
    ]


def _uniqueness_section(uniq, table, fmt) -> list[str]:
    if not uniq:
        return []
    rows = [
        ["lasso, copy placed last"] + [fmt(v) for v in uniq["lasso_split_copy_last"]],
        ["lasso, copy placed first"] + [fmt(v) for v in uniq["lasso_split_copy_first"]],
        ["ridge (copy last)"] + [fmt(v) for v in uniq["ridge_split"]],
    ]
    return [
        "<h2>Uniqueness: a duplicated feature</h2>",
        table(["‖B_j‖₂", "original column", "duplicate"], rows),
        f"<p class='note'>Feature {html.escape(uniq['feature'])} (lasso norm "
        f"{fmt(uniq['lasso_norm_before'])}) was duplicated. The lasso's penalty is the same "
        "for every split of the weight between the copies, so its solution is not unique "
        "and the split follows the column order; ridge's even split is its one solution.</p>",
    ]
