"""``report.html`` (self-contained, phone-readable) and the terminal table."""

from __future__ import annotations

import base64
import html
from pathlib import Path

_STYLE = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0;padding:1rem;
line-height:1.45;color:#1b1b1b;max-width:1100px;margin:auto}
h1{font-size:1.5rem}h2{font-size:1.15rem;margin-top:2rem;border-bottom:1px solid #ddd}
.scroll{overflow-x:auto}table{border-collapse:collapse;font-size:.9rem}
td,th{border:1px solid #ddd;padding:.3rem .5rem;text-align:left;vertical-align:top}
th{background:#f4f4f4}img{max-width:100%;height:auto;display:block;margin:.5rem 0}
.note{color:#555;font-size:.9rem}ul.rec li{margin:.3rem 0}
"""


def _image(folder: Path, name: str, alt: str) -> str:
    data = base64.b64encode((folder / name).read_bytes()).decode("ascii")
    return f'<img src="data:image/png;base64,{data}" alt="{html.escape(alt)}">'


def _table(header: list[str], rows: list[list]) -> str:
    head = "".join(f"<th>{html.escape(str(h))}</th>" for h in header)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in row) + "</tr>" for row in rows
    )
    return f'<div class="scroll"><table><tr>{head}</tr>{body}</table></div>'


def fmt(value, digits: int = 4) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:.{digits}g}"
    return str(value)


def comparison_rows(summary: dict) -> tuple[list[str], list[list]]:
    """The L1-vs-L2 table: one row per measured property, one column per model."""
    models = summary["models"]
    names = list(models)
    key = "mse" if summary["task"] == "regression" else "log_loss"
    second = "r2" if summary["task"] == "regression" else "accuracy"
    rows = [
        ["penalty"] + [models[m]["penalty"] for m in names],
        ["chosen α (mean loss + α·penalty)"] + [fmt(models[m].get("alpha")) for m in names],
        ["size of w: Σ|w| (L1), Σw² (L2), the mix (EN)"]
        + [fmt(models[m].get("penalty_value")) for m in names],
        ["weights exactly zero"]
        + [f"{models[m]['n_zero']} of {summary['n_features']}" for m in names],
        ["features selected"] + [str(models[m]["n_nonzero"]) for m in names],
        [f"held-out {key}"] + [fmt(models[m]["held_out"][key]) for m in names],
        [f"held-out {second}"] + [fmt(models[m]["held_out"][second]) for m in names],
        ["calibration slope (held-out, 1 = ideal)"]
        + [fmt(models[m]["calibration_slope"], 3) for m in names],
        ["fit time incl. CV (s)"] + [fmt(models[m]["seconds"], 3) for m in names],
    ]
    return ["", *names], rows


def terminal_table(summary: dict) -> str:
    header, rows = comparison_rows(summary)
    table = [header] + rows
    widths = [max(len(str(row[k])) for row in table) for k in range(len(header))]
    widths[0] = min(widths[0], 40)
    lines = []
    for row in table:
        cells = [str(c)[: widths[k]].ljust(widths[k]) for k, c in enumerate(row)]
        lines.append("  ".join(cells))
    return "\n".join(lines)


def render_html(summary: dict, folder: Path) -> str:
    figures = summary["figures"]
    header, rows = comparison_rows(summary)
    uniq = summary.get("uniqueness")
    coll = summary["multicollinearity"]
    wide = summary["wide_regime"]
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        "<meta name='viewport' content='width=device-width, initial-scale=1'>",
        f"<title>L1 vs L2 on {html.escape(summary['data'])}</title><style>{_STYLE}</style>",
        "</head><body>",
        f"<h1>L1 or L2 for {html.escape(summary['data'])}?</h1>",
        f"<p class='note'>{html.escape(summary['description'])}. Task: {summary['task']}; "
        f"{summary['n_train']} training and {summary['n_test']} held-out rows, "
        f"{summary['n_features']} standardized features; {summary['cv_folds']}-fold CV. "
        f"shrinkage {html.escape(summary['version'])}.</p>",
        "<h2>Recommendation</h2><ul class='rec'>",
        *[f"<li>{html.escape(line)}</li>" for line in summary["recommendation"]],
        "</ul><h2>Measured on your data</h2>",
        _table(header, rows),
        "<h2>Paths: exact zeros against smooth shrinkage</h2>",
        _image(folder, figures["paths"]["png"], "lasso and ridge paths"),
        *(
            [
                "<h2>Why: the geometry</h2>",
                _image(folder, figures["geometry"]["png"], "L1 diamond and L2 circle"),
            ]
            if "geometry" in figures
            else []
        ),
        "<h2>Why: constant against proportional pull</h2>",
        _image(folder, figures["penalty"]["png"], "penalty, gradient and proximal map"),
        "<h2>Coefficient magnitudes</h2>",
        _image(folder, figures["magnitudes"]["png"], "coefficient magnitudes"),
    ]
    if uniq:
        parts += [
            "<h2>Uniqueness: a duplicated feature</h2>",
            _table(
                ["", "original column", "duplicate"],
                [
                    ["lasso, copy placed last"] + [fmt(v) for v in uniq["lasso_split_copy_last"]],
                    ["lasso, copy placed first"] + [fmt(v) for v in uniq["lasso_split_copy_first"]],
                    ["ridge (either order)"] + [fmt(v) for v in uniq["ridge_split"]],
                ],
            ),
            f"<p class='note'>Feature {html.escape(uniq['feature'])} (lasso weight "
            f"{fmt(uniq['lasso_coef_before'])}, ridge {fmt(uniq['ridge_coef_before'])}) was "
            "duplicated. The two lasso fits differ but their objectives agree to "
            f"{uniq['lasso_objective_gap']:.1e}: the lasso solution is not unique. Ridge "
            "splits the weight evenly, its unique solution.</p>",
        ]
    pair = coll.get("most_correlated_pair")
    parts += ["<h2>Multicollinearity and p &gt; n</h2>"]
    facts = [["condition number of X", fmt(coll.get("condition_number"))]]
    if "max_vif" in coll:
        facts += [
            ["largest variance inflation factor", fmt(coll["max_vif"])],
            ["features with VIF > 10", str(coll["n_vif_above_10"])],
        ]
    if pair:
        facts += [
            [f"most correlated pair ({pair['correlation']:.2f})", " & ".join(pair["features"])],
            ["their lasso weights", ", ".join(fmt(v) for v in pair["lasso"])],
            ["their ridge weights", ", ".join(fmt(v) for v in pair["ridge"])],
        ]
    facts += [
        [
            f"p > n: {wide['n_rows']} rows, {wide['n_features']} features",
            f"lasso keeps {wide['lasso_nonzero']} (at most n), ridge keeps {wide['ridge_nonzero']}",
        ]
    ]
    parts.append(_table(["", "value"], facts))
    parts += [
        "<h2>Choosing alpha</h2>",
        _image(folder, figures["cv"]["png"], "cross-validation curves"),
        "<h2>Calibration</h2>",
        _image(folder, figures["calibration"]["png"], "calibration on held-out data"),
        "<p class='note'>Every number above is in summary.json; every figure is also a PNG "
        "and an SVG file next to this page.</p></body></html>",
    ]
    return "\n".join(parts)
