"""The report's sections beyond the summary table: coefficients, the honest comparison,
Harrell's validation, stability and the winner's curse, uniqueness, collinearity."""

from __future__ import annotations

import html

from .report import _note, _section, _table, fmt


def _cell(value, digits: int = 4) -> str:
    """A numeric cell: exact zeros shown as a plain 0, sortable by ``data-v``."""
    if value is None:
        return "<td class='num' data-v=''>—</td>"
    value = float(value)
    if value == 0:
        return "<td class='num zero' data-v='0'>0</td>"
    return f"<td class='num' data-v='{value!r}'>{value:.{digits}g}</td>"


def coefficient_table(summary: dict) -> list[str]:
    """Features × methods on both scales, selection frequencies; sortable, filterable."""
    c = summary.get("coefficients")
    if not c:
        return []
    methods, freq = c["methods"], c["selection_frequency"]
    head = ["feature"]
    head += [f"{m} (std.)" for m in methods]
    head += [f"{m} (orig. units)" for m in methods]
    head += [f"{m} sel. freq." for m in freq]
    rows = []
    for k, name in enumerate(c["features"]):
        selected = any(c["standardized"][m][k] != 0 for m in methods if m not in ("L2", "none"))
        cells = [f"<td data-v='{html.escape(name)}'>{html.escape(name)}</td>"]
        cells += [_cell(c["standardized"][m][k]) for m in methods]
        cells += [_cell(c["original"][m][k]) for m in methods]
        cells += [_cell(freq[m][k], 2) for m in freq]
        rows.append(f"<tr data-selected='{int(selected)}'>{''.join(cells)}</tr>")
    intercept = "".join(
        ["<tr><td>(intercept, original units)</td>"]
        + ["<td></td>" for _ in methods]
        + [_cell(c["intercept_original"][m]) for m in methods]
        + ["<td></td>" for _ in freq]
        + ["</tr>"]
    )
    header = "".join(f"<th>{html.escape(h)}</th>" for h in head)
    return _section(
        "Coefficients",
        "<input class='filter' id='coef-filter' data-table='coef-table' type='search' "
        "placeholder='filter features…' aria-label='filter features'> "
        "<label><input type='checkbox' id='coef-table-nonzero'> only features some sparse "
        "method selects</label>",
        "<div class='scroll'><table class='sortable' id='coef-table'>"
        f"<thead><tr>{header}</tr></thead><tbody>{''.join(rows)}</tbody>"
        f"<tfoot>{intercept}</tfoot></table></div>",
        _note(
            "Standardized: per standard deviation of the feature (training rows); original "
            "units: per unit of the feature as in your data (for a category level, the "
            "difference that level makes). 0 is an exact zero. Selection frequency: share "
            "of random half-samples in which L1 / elastic net keep the feature. Click a "
            "header to sort. Also in coefficients.csv."
        ),
    )


def comparison_section(summary: dict, folder, image) -> list[str]:
    rows = []
    for m, r in summary["models"].items():
        cv = r.get("cv_repeated")
        if cv:
            rows.append([m, fmt(cv["mean"]), fmt(cv["se"], 2), fmt(cv["se_naive"], 2)])
    pairs = [
        [
            f"{c['a']} − {c['b']}",
            fmt(c["mean_difference"], 3),
            fmt(c["se"], 2),
            f"{c['relative_difference']:+.1%}",
            "within noise" if c["within_noise"] else "beyond 2 SE",
        ]
        for c in summary.get("comparison", [])
    ]
    metric = next(
        (r["cv_repeated"]["metric"] for r in summary["models"].values() if "cv_repeated" in r),
        "error",
    )
    return _section(
        "Is the difference more than noise?",
        image(folder, summary["figures"]["repeated_cv"]["png"], "repeated CV errors"),
        _table(["method", f"mean {metric}", "SE (corrected)", "SE (naive s/√J)"], rows),
        _table(["paired difference", "mean", "SE", "relative", "verdict"], pairs),
        _note(
            "Every method is refitted, with its own CV choice of α, on the same training "
            "folds and scored on the same test folds, so differences are paired. The "
            "standard errors use Nadeau & Bengio's correction, (1/J + 1/(K−1))·s², because "
            "the folds' training sets overlap and the naive s/√J is too small. A "
            "difference under 2 SE is called within noise."
        ),
    )


def validation_section(summary: dict, folder, image) -> list[str]:
    task = summary["task"]
    keys = (
        ("slope", "intercept", "r2", "mse")
        if task == "regression"
        else ("slope", "intercept", "dxy", "auc", "brier")
    )
    label = {
        "slope": "calibration slope",
        "intercept": "calibration intercept",
        "r2": "R²",
        "mse": "MSE",
        "dxy": "Somers' Dxy",
        "auc": "AUC (c)",
        "brier": "Brier score",
    }
    models = {m: r["validation"] for m, r in summary["models"].items() if "validation" in r}
    if not models:
        return []
    rows = []
    for k in keys:
        rows.append(
            [label[k]]
            + [
                f"{fmt(v[k + '_apparent'], 3)} − ({fmt(v[k + '_optimism'], 2)}) = "
                f"{fmt(v[k + '_corrected'], 3)}"
                for v in models.values()
            ]
        )
    detail = summary.get("heuristic_shrinkage_detail") or {}
    B = next(iter(models.values()))["B"]
    return _section(
        "Validation: how much would new data disappoint? (Harrell)",
        _table(["index: apparent − optimism = corrected", *models], rows),
        _note(
            f"Efron–Gong optimism bootstrap as rms::validate, B = {B}: in each resample the "
            "whole procedure (standardizing, the CV choice of α, the refit) is run again; "
            "optimism = index on the resample − index on the original rows. A corrected "
            "slope below 1 is the shrinkage new predictions would need. " + heuristic_words(detail)
        ),
        image(folder, summary["figures"]["calibrate"]["png"], "bias-corrected calibration"),
        _note(
            "rms::calibrate style: the smoothed observed outcome against the prediction, as "
            "fitted (apparent) and corrected for overfitting by the same bootstrap."
        ),
    )


def heuristic_words(detail: dict) -> str:
    """The heuristic shrinkage in words: the formula with its numbers, or, where it is
    undefined (an interpolating or separated unpenalized fit), why."""
    if detail.get("reason"):
        return (
            "Heuristic shrinkage (van Houwelingen & le Cessie) of the unpenalized fit: "
            f"undefined. {detail['reason']}"
        )
    p, columns = detail.get("p"), detail.get("p_columns")
    rank = (
        f"; p = {p}, the rank of the centred design ({columns} columns)"
        if columns is not None and columns != p
        else ""
    )
    return (
        "Heuristic shrinkage (van Houwelingen & le Cessie) of the unpenalized fit: "
        f"(LR χ² − p)/LR χ² = ({fmt(detail.get('lr_chi2'))} − {p})/"
        f"{fmt(detail.get('lr_chi2'))} = {fmt(detail.get('value'), 3)}{rank}."
    )


def stability_section(summary: dict, folder, image) -> list[str]:
    figures = summary["figures"]
    parts = _section(
        "Stability of the selection",
        image(folder, figures["stability"]["png"], "selection frequencies"),
        _note(
            "Meinshausen–Bühlmann stability: the lasso and the elastic net refitted at their "
            "chosen α on random halves of the training rows. Features kept in 30–70% of the "
            "halves are the ones the lasso swaps between among correlated features."
        ),
    )
    curse = summary.get("winners_curse") or {}
    if curse.get("features"):
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
        parts += _section(
            "The winner's curse, measured",
            image(folder, figures["winners_curse"]["png"], "winner's curse"),
            _table(
                [
                    "feature",
                    "selected in",
                    "lasso (sel. half)",
                    "unpenalized refit (sel. half)",
                    "unpenalized refit (fresh half)",
                    "bias",
                ],
                rows,
            ),
            _note(
                f"Over {curse['splits']} random half splits: the lasso (at the chosen α) "
                "selects on one half; the unpenalized model on the selected features (least "
                "squares, or logistic regression for a class target) is fitted on that half "
                "and on the other. Estimates are signed in the direction first "
                "estimated (standardized units). Overall the selection-half estimates are "
                f"{fmt(curse['inflation'], 3)}× the fresh-half ones."
            ),
        )
    return parts


def uniqueness_section(summary: dict) -> list[str]:
    uniq = summary.get("uniqueness")
    if not uniq:
        return []
    freq = summary["models"]["L1"].get("selection_frequency", {})
    unstable = [f for f, v in freq.items() if 0.3 <= v <= 0.7]
    tie = (
        f" Across half-samples the lasso's selection wavers on {', '.join(unstable[:6])}"
        f"{' …' if len(unstable) > 6 else ''} (selected in 30–70% of them): with correlated "
        "features, which one carries the weight is decided by the sample and the column "
        "order, as here."
        if unstable
        else " No feature has a selection frequency between 30% and 70%: on these data the "
        "lasso's choice does not waver."
    )
    return _section(
        "Uniqueness: a duplicated feature",
        _table(
            ["", "original column", "duplicate"],
            [
                ["lasso, copy placed last"] + [fmt(v) for v in uniq["lasso_split_copy_last"]],
                ["lasso, copy placed first"] + [fmt(v) for v in uniq["lasso_split_copy_first"]],
                ["ridge (either order)"] + [fmt(v) for v in uniq["ridge_split"]],
            ],
        ),
        _note(
            f"Feature {uniq['feature']} (lasso weight {fmt(uniq['lasso_coef_before'])}, ridge "
            f"{fmt(uniq['ridge_coef_before'])}) was duplicated. The two lasso fits differ but "
            f"their objectives agree to {uniq['lasso_objective_gap']:.1e}: the lasso solution "
            "is not unique. Ridge splits the weight evenly, its unique solution." + tie
        ),
    )


def collinearity_section(summary: dict) -> list[str]:
    coll = summary["collinearity"]
    wide = summary["wide_regime"]
    columns = sorted(coll["columns"], key=lambda c: -(coll["columns"][c] or 0))
    rows = [
        [c, fmt(coll["gvif"][c], 3), str(coll["df"][c]), fmt(coll["columns"][c], 3)]
        for c in columns[:25]
    ]
    facts = [["condition number (centred, reference-coded)", fmt(coll.get("condition_number"))]]
    pair = coll.get("most_correlated_pair")
    if pair:
        facts += [
            [
                f"most correlated pair across columns ({pair['correlation']:.2f})",
                " & ".join(pair["features"]),
            ],
            ["their lasso weights", ", ".join(fmt(v) for v in pair["lasso"])],
            ["their ridge weights", ", ".join(fmt(v) for v in pair["ridge"])],
        ]
    facts.append(
        [
            f"p > n: {wide['n_rows']} rows, {wide['n_features']} features",
            f"lasso keeps {wide['lasso_nonzero']} (at most n), ridge keeps {wide['ridge_nonzero']}",
        ]
    )
    if coll.get("rank") is not None:
        facts.insert(
            0,
            [
                "rank of the centred design",
                f"{coll['rank']} of {coll['n_design_columns']} columns ({coll['n_rows']} rows)",
            ],
        )
    dependence = [_note(coll["note"])] if coll.get("note") else []
    return _section(
        "Collinearity of the data, and p > n",
        *dependence,
        _table(["column", "GVIF", "df", "GVIF^(1/(2·df))"], rows),
        _note(
            "Generalized VIF (Fox & Monette 1992) per original column on reference coding "
            "(one level of each categorical column dropped), as R's car::vif: the one-hot "
            "levels of one column always sum to 1, which is our encoding, not your data. "
            "GVIF^(1/(2·df)) above √10 ≈ 3.2 matches VIF > 10."
        ),
        _table(["", "value"], facts),
    )
