"""The page, the terminal table and the recommendation of the count and survival reports."""

from __future__ import annotations

import html

from .report import _SCRIPT, _STYLE, _image, _note, _section, _table, fmt

_LABELS = {
    "deviance": "mean Poisson deviance",
    "d2": "D² (deviance explained)",
    "intercept": "calibration intercept (log scale)",
    "slope": "calibration slope",
    "dxy": "Somers' Dxy",
    "c_index": "Harrell's C",
}
_MODEL = {
    "poisson": "Poisson regression, log link: E[y] = exp(b₀ + xᵀb)",
    "survival": "Cox proportional hazards: h(t | x) = h₀(t)·exp(xᵀb), Breslow ties",
}


def _is_survival(summary) -> bool:
    return summary["task"] == "survival"


def comparison_rows(summary: dict) -> tuple[list[str], list[list]]:
    """One row per measured property, one column per method (also the terminal table)."""
    models = summary["models"]
    names = list(models)
    survival = _is_survival(summary)

    def cv(m, key="cv_repeated"):
        c = models[m].get(key)
        return f"{fmt(c['mean'])} ± {fmt(c['se'], 2)}" if c else "—"

    def val(m, k, digits=3):
        v = models[m].get("validation") or {}
        return fmt(v.get(k), digits)

    metric = "partial-likelihood deviance / event" if survival else "mean Poisson deviance"
    index = "dxy" if survival else "d2"
    rows = [
        ["penalty"] + [models[m]["penalty"] for m in names],
        ["chosen α (mean loss + α·penalty)"] + [fmt(models[m].get("alpha")) for m in names],
        ["weights exactly zero"]
        + [f"{models[m]['n_zero']} of {summary['n_features']}" for m in names],
        [f"repeated-CV {metric} (mean ± SE)"] + [cv(m) for m in names],
    ]
    if survival:
        rows.append(
            ["repeated-CV Harrell's C (mean ± SE)"] + [cv(m, "cv_repeated_c_index") for m in names]
        )
    rows += [
        ["calibration slope, bootstrap-corrected (1 = ideal)"]
        + [val(m, "slope_corrected") for m in names],
        [f"{_LABELS[index]}: apparent → corrected"]
        + [f"{val(m, index + '_apparent')} → {val(m, index + '_corrected')}" for m in names],
    ]
    held = ("c_index", "slope") if survival else ("deviance", "d2", "slope")
    for k in held:
        rows.append(
            [f"held-out {_LABELS[k]} (last check)"]
            + [fmt(models[m]["held_out"].get(k)) for m in names]
        )
    rows.append(["fit time incl. CV (s)"] + [fmt(models[m].get("seconds"), 3) for m in names])
    return ["", *names], rows


def recommendation(summary: dict) -> list[str]:
    """Lines that rest on the paired repeated CV; "within noise" under 2 SE."""
    models = summary["models"]
    survival = _is_survival(summary)
    metric = "partial-likelihood deviance per event" if survival else "mean Poisson deviance"
    per = {m: r["cv_repeated"] for m, r in models.items()}
    best = min(per, key=lambda m: per[m]["mean"])
    lines = [
        f"Lowest {metric} over {summary['repeats']}×{summary['cv_folds']}-fold CV (same folds "
        f"for every method): {best} ({per[best]['mean']:.4g} ± {per[best]['se']:.2g} SE)."
    ]
    for c in summary["comparison"]:
        verdict = "within noise" if c["within_noise"] else "worse by more than 2 SE"
        lines.append(f"{c['a']}: {c['mean_difference']:+.3g} ± {c['se']:.2g} ({verdict}).")
    c_cmp = (summary.get("comparison_more") or {}).get("c_index")
    if c_cmp:
        top = c_cmp[0]["b"]
        noisy = [c["a"] for c in c_cmp if c["within_noise"]]
        lines.append(
            f"Harrell's C is highest for {top} "
            f"({models[top]['cv_repeated_c_index']['mean']:.3f}); "
            + (
                f"{', '.join(noisy)} within noise of it."
                if len(noisy) == len(c_cmp)
                else "the others: "
                + ", ".join(f"{c['a']} {c['mean_difference']:+.3f} ± {c['se']:.2g}" for c in c_cmp)
                + "."
            )
        )
    noise = {c["a"] for c in summary["comparison"] if c["within_noise"]} | {best}
    p = summary["n_features"]
    if "L1" in noise and models["L1"]["n_nonzero"] < p:
        lines.append(
            f"L1 predicts as well as the best within noise with {models['L1']['n_nonzero']} of "
            f"{p} features: prefer it for a model you can read."
        )
    elif "L1" in noise:
        lines.append(
            "L1 keeps every feature at its chosen α: no sparser model to prefer; the methods "
            "differ only in how much they shrink."
        )
    elif best in ("L2", "elastic net"):
        lines.append(
            f"{best} is better than L1 by more than the noise: the signal is spread over many "
            "features, which the lasso's selection loses."
        )
    unstable = [
        f for f, v in (models["L1"].get("selection_frequency") or {}).items() if 0.3 <= v <= 0.7
    ]
    if unstable:
        lines.append(
            "The lasso's choice of "
            + ", ".join(unstable[:6])
            + (" …" if len(unstable) > 6 else "")
            + " is unstable across half-samples (selected in 30–70%)."
        )
    lines.append(
        "Bootstrap-corrected calibration slopes (1 = ideal; below 1: predictions too extreme "
        "for new rows, the model needs shrinkage): "
        + ", ".join(_slope(m, models[m].get("validation") or {}) for m in models)
        + "."
    )
    shrink = summary.get("heuristic_shrinkage_detail") or {}
    if shrink.get("reason"):
        lines.append(
            "Heuristic shrinkage of the unpenalized fit (van Houwelingen & le Cessie): "
            f"undefined. {shrink['reason']} Use a penalty (or fewer features than rows)."
        )
    elif shrink:
        lines.append(
            f"Heuristic shrinkage of the unpenalized fit (van Houwelingen & le Cessie): "
            f"{fmt(shrink.get('value'), 3)} (LR χ² {fmt(shrink.get('lr_chi2'), 4)} on "
            f"{shrink.get('p')} features)."
        )
    phi = shrink.get("dispersion")
    if phi is not None and phi > 1.5 and not shrink.get("reason"):
        lines.append(
            f"The counts are over-dispersed (Pearson χ²/df = {phi:.3g} for the unpenalized "
            "fit, 1 for Poisson data): the log-mean model is still estimated consistently, "
            "but the Poisson likelihood overstates the information in the data. With the "
            f"quasi-Poisson LR χ²/φ̂ the heuristic shrinkage is "
            f"{fmt(shrink.get('value_quasi_poisson'), 3)}; a negative binomial model may fit "
            "better."
        )
    return lines


def _slope(method: str, validation: dict) -> str:
    """The corrected slope, flagged when its Monte-Carlo error is large (resamples in
    which CV chose an almost-null model have near-constant η and a wild slope)."""
    value, se = validation.get("slope_corrected"), validation.get("slope_optimism_mc_se")
    if value is None or se is None or not se == se or se <= 0.05:
        return f"{method} {fmt(value, 3)}"
    return f"{method} {fmt(value, 3)} (Monte-Carlo SE {fmt(se, 2)}: unstable)"


def _validation_table(summary: dict) -> list[str]:
    models = {m: r["validation"] for m, r in summary["models"].items()}
    keys = (
        ("slope", "dxy", "c_index")
        if _is_survival(summary)
        else (
            "slope",
            "intercept",
            "deviance",
            "d2",
        )
    )
    rows = [
        [_LABELS[k]]
        + [
            f"{fmt(v[k + '_apparent'], 3)} − ({fmt(v[k + '_optimism'], 2)}) = "
            f"{fmt(v[k + '_corrected'], 3)}"
            for v in models.values()
        ]
        for k in keys
    ]
    first = next(iter(models.values()))
    B, used = first["B"], first["B_used"]
    default_note = (
        f" B = {B} is this family's default (the Cox fits are slower than the compiled "
        "least-squares ones; 200 resamples would take minutes): pass --bootstrap 200 for "
        "Harrell's usual B, at the cost of time."
        if summary.get("bootstrap_default") and B < 200
        else ""
    )
    return _section(
        "Validation: how much would new data disappoint? (Harrell)",
        _table(["index: apparent − optimism = corrected", *models], rows),
        _note(
            f"Efron–Gong optimism bootstrap as rms::validate, B = {B} ({used} usable): in each "
            "resample the whole procedure (standardizing, the CV choice of α, the refit) is "
            "run again; optimism = index on the resample − index on the original rows. "
            + (
                "Calibration slope: the Cox coefficient of the model's linear predictor; "
                "Dxy = 2(C − ½)."
                if _is_survival(summary)
                else "Calibration: the Poisson regression log E[y] = a + b·η of the "
                "outcome on the model's log-mean η (slope b, intercept a)."
            )
            + " A corrected slope below 1 is the shrinkage new predictions would need."
            + default_note
        ),
    )


def render_html(summary: dict, folder) -> str:
    """The whole page, self-contained (figures inlined, inline JavaScript only)."""
    from .report_sections import coefficient_table, comparison_section, stability_section

    figures = summary["figures"]
    survival = _is_survival(summary)
    header, rows = comparison_rows(summary)
    events = summary.get("events")
    facts = (
        f"{summary['n_train']} training rows ({events['train']} events) and "
        f"{summary['n_test']} held-out rows ({events['test']} events)"
        if events
        else f"{summary['n_train']} training and {summary['n_test']} held-out rows"
    )
    c_more = (summary.get("comparison_more") or {}).get("c_index") or []
    c_rows = [
        [
            f"{c['a']} − {c['b']}",
            fmt(c["mean_difference"], 3),
            fmt(c["se"], 2),
            "within noise" if c["within_noise"] else "beyond 2 SE",
        ]
        for c in c_more
    ]
    held_keys = (
        ("c_index", "dxy", "slope") if survival else ("deviance", "d2", "slope", "intercept")
    )
    held = [
        [_LABELS[k]] + [fmt(r["held_out"].get(k)) for r in summary["models"].values()]
        for k in held_keys
    ]
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        "<meta name='viewport' content='width=device-width, initial-scale=1'>",
        f"<title>L1 vs L2 on {html.escape(summary['data'])}</title><style>{_STYLE}</style>",
        "</head><body>",
        f"<h1>L1 or L2 for {html.escape(summary['data'])}? "
        f"({'survival, Cox' if survival else 'counts, Poisson'})</h1>",
        f"<p class='note'>{html.escape(summary['description'].rstrip('.'))}. "
        f"{html.escape(_MODEL[summary['task']])}. {facts}, {summary['n_features']} "
        f"standardized features; {summary['cv_folds']}-fold CV to choose α, "
        f"{summary['repeats']}×{summary['cv_folds']} repeated CV to compare, "
        f"B = {summary['bootstrap']} bootstrap resamples to validate. "
        f"shrinkage {html.escape(summary['version'])}.</p>",
        "<h2>Recommendation</h2><ul class='rec'>",
        *[f"<li>{html.escape(line)}</li>" for line in summary["recommendation"]],
        "</ul><h2>Measured on your data</h2>",
        _table(header, rows),
        *coefficient_table(summary),
        *comparison_section(summary, folder, _image),
        *(
            [
                _table(["paired difference in Harrell's C", "mean", "SE", "verdict"], c_rows),
                _note("Higher C is better; the same folds and corrected SEs as above."),
            ]
            if c_rows
            else []
        ),
        *_validation_table(summary),
        *stability_section(summary, folder, _image),
        *_section(
            "Paths: each penalty on its own grid",
            _image(folder, figures["paths"]["png"], "L1, elastic net and L2 paths"),
            _note(
                "Left of each panel every weight is shrunk to zero; right, the fit is near "
                "the unpenalized one. Dashed: the α with the smallest CV deviance; dotted: "
                "the largest α within one standard error of it (the 1-SE rule)."
            ),
        ),
        *_section(
            "Choosing alpha",
            _image(folder, figures["cv"]["png"], "cross-validation curves"),
            _note(
                "K-fold CV of the "
                + (
                    "partial-likelihood deviance per event (glmnet's cv.glmnet for Cox)."
                    if survival
                    else "mean Poisson deviance (glmnet's cv.glmnet for Poisson)."
                )
            ),
        ),
        *_section(
            "Last check: the held-out rows",
            _table(["", *summary["models"]], held),
            _image(folder, figures["calibration"]["png"], "calibration on held-out rows"),
            _note(
                f"{summary['n_test']} rows never used for any choice. "
                + (
                    "Solid: Kaplan–Meier in tertiles of the model's risk score; dashed: the "
                    "mean of the model's predicted survival curves in the same rows. "
                    if survival
                    else "Observed against predicted mean count in deciles of the "
                    "prediction (log scale). "
                )
                + "One split is noisy; the repeated CV and the bootstrap above carry the "
                "evidence."
            ),
        ),
        "<p class='note'>Every number above is in summary.json (coefficients also in "
        "coefficients.csv); every figure is also a PNG and an SVG file next to this page.</p>",
        f"<script>{_SCRIPT}</script></body></html>",
    ]
    return "\n".join(parts)
