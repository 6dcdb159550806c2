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
td.num{text-align:right;font-variant-numeric:tabular-nums}td.zero{color:#aaa}
th[data-dir=asc]::after{content:" ▲"}th[data-dir=desc]::after{content:" ▼"}
input.filter{font-size:1rem;padding:.2rem .4rem;margin:.3rem 0;max-width:100%}
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
        return f"{value:.{digits}g}" if value == value else "—"  # NaN: not defined
    return str(value)


def comparison_rows(summary: dict) -> tuple[list[str], list[list]]:
    """The L1-vs-L2 table: one row per measured property, one column per model."""
    if summary["task"] in ("poisson", "survival"):
        from .family_report import comparison_rows as family_rows

        return family_rows(summary)
    models = summary["models"]
    names = list(models)
    regression = summary["task"] == "regression"
    key = "mse" if regression else "log_loss"
    second = "r2" if regression else "accuracy"

    def cv(m):
        c = models[m].get("cv_repeated")
        return f"{fmt(c['mean'])} ± {fmt(c['se'], 2)}" if c else "—"

    def val(m, k, digits=3):
        v = models[m].get("validation")
        return fmt(v.get(k), digits) if v else "—"

    multiclass = bool(summary.get("multiclass"))
    index = "r2" if regression else ("log_loss" if multiclass else "dxy")
    index_label = {"r2": "R²", "dxy": "Dxy", "log_loss": "log-loss"}[index]
    slope = "calibration_slope_corrected" if multiclass else "slope_corrected"

    def held_out_slope(m):
        value = models[m].get("calibration_slope", models[m]["held_out"].get("calibration_slope"))
        return fmt(value, 3)

    rows = [
        ["penalty"] + [models[m]["penalty"] for m in names],
        ["chosen α (mean loss + α·penalty)"] + [fmt(models[m].get("alpha")) for m in names],
        ["size of w: Σ|w| (L1), ½Σw² (L2), the mix (EN)"]
        + [fmt(models[m].get("penalty_value")) for m in names],
        ["weights exactly zero"]
        + [
            f"{models[m]['n_zero']} of {models[m]['n_zero'] + models[m]['n_nonzero']}"
            if multiclass
            else f"{models[m]['n_zero']} of {summary['n_features']}"
            for m in names
        ],
        ["features selected"]
        + [str(models[m].get("features_used", models[m]["n_nonzero"])) for m in names],
        [f"repeated-CV {key} (mean ± SE)"] + [cv(m) for m in names],
        ["calibration slope, bootstrap-corrected (1 = ideal)"] + [val(m, slope) for m in names],
        [f"{index_label}: apparent → corrected"]
        + [f"{val(m, index + '_apparent')} → {val(m, index + '_corrected')}" for m in names],
        [f"held-out {key} (last check)"] + [fmt(models[m]["held_out"][key]) for m in names],
        [f"held-out {second}"] + [fmt(models[m]["held_out"][second]) for m in names],
        ["calibration slope (held-out)"] + [held_out_slope(m) for m in names],
    ]
    if all("seconds" in models[m] for m in names):
        rows.append(["fit time incl. CV (s)"] + [fmt(models[m]["seconds"], 3) for m in names])
    return ["", *names], rows


def terminal_table(summary: dict) -> str:
    header, rows = comparison_rows(summary)
    table = [header] + rows
    widths = [max(len(str(row[k])) for row in table) for k in range(len(header))]
    widths[0] = min(widths[0], 52)
    lines = []
    for row in table:
        cells = [str(c)[: widths[k]].ljust(widths[k]) for k, c in enumerate(row)]
        lines.append("  ".join(cells))
    return "\n".join(lines)


def _section(title: str, *body: str) -> list[str]:
    return [f"<h2>{html.escape(title)}</h2>", *body]


def _note(text: str) -> str:
    return f"<p class='note'>{html.escape(text)}</p>"


def render_html(summary: dict, folder: Path) -> str:
    """The whole page: self-contained (figures inlined, inline JavaScript only)."""
    from .report_sections import (
        coefficient_table,
        collinearity_section,
        comparison_section,
        stability_section,
        uniqueness_section,
        validation_section,
    )

    figures = summary["figures"]
    header, rows = comparison_rows(summary)
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        "<meta name='viewport' content='width=device-width, initial-scale=1'>",
        f"<title>L1 vs L2 on {html.escape(summary['data'])}</title><style>{_STYLE}</style>",
        "</head><body>",
        f"<h1>L1 or L2 for {html.escape(summary['data'])}?</h1>",
        f"<p class='note'>{html.escape(summary['description'].rstrip('.'))}. "
        f"Task: {summary['task']}{html.escape(_target_words(summary))}; "
        f"{summary['n_train']} training and {summary['n_test']} held-out rows "
        f"(train_test_split, seed {summary.get('seed', 0)}"
        f"{', stratified by class' if summary['task'] == 'classification' else ''}), "
        f"{summary['n_features']} standardized features; {summary['cv_folds']}-fold CV to "
        f"choose α{' (ridge: exact leave-one-out)' if summary['task'] == 'regression' else ''}, "
        f"{summary['repeats']}×{summary['cv_folds']} repeated CV to compare, "
        f"B = {summary['bootstrap']} bootstrap resamples to validate"
        f"{html.escape(_dropped_words(summary))}. "
        f"shrinkage {html.escape(summary['version'])}.</p>",
        "<h2>Recommendation</h2><ul class='rec'>",
        *[f"<li>{html.escape(line)}</li>" for line in summary["recommendation"]],
        "</ul><h2>Measured on your data</h2>",
        _table(header, rows),
        *coefficient_table(summary),
        *comparison_section(summary, folder, _image),
        *validation_section(summary, folder, _image),
        *stability_section(summary, folder, _image),
        *_section(
            "Paths: each penalty on its own grid",
            _image(folder, figures["paths"]["png"], "L1, elastic net and L2 paths"),
            _note(
                "Left of each panel every weight is shrunk to (near) zero; right, the fit is "
                "near least squares. Dashed: the α with the smallest CV error; dotted: the "
                "largest α within one standard error of it (the 1-SE rule)."
            ),
        ),
        *_section(
            "Choosing alpha",
            _image(folder, figures["cv"]["png"], "cross-validation curves"),
        ),
        *uniqueness_section(summary),
        *(
            _section(
                "Why: the geometry",
                _image(folder, figures["geometry"]["png"], "L1 diamond and L2 circle"),
            )
            if "geometry" in figures
            else []
        ),
        *_section(
            "Why: constant against proportional pull",
            _image(folder, figures["penalty"]["png"], "penalty, gradient and proximal map"),
        ),
        *_section(
            "Coefficient magnitudes",
            _image(folder, figures["magnitudes"]["png"], "coefficient magnitudes"),
        ),
        *collinearity_section(summary),
        *_section(
            "Last check: the held-out rows",
            _image(folder, figures["calibration"]["png"], "calibration on held-out data"),
            _note(
                f"{summary['n_test']} rows never used for any choice. One split is noisy; "
                "the repeated CV and the bootstrap above carry the evidence."
            ),
        ),
        "<p class='note'>Every number above is in summary.json (coefficients also in "
        "coefficients.csv); every figure is also a PNG and an SVG file next to this page.</p>",
        f"<script>{_SCRIPT}</script></body></html>",
    ]
    return "\n".join(parts)


# Sorting and filtering of tables with class "sortable" (no network, no library).
_SCRIPT = """
document.querySelectorAll('table.sortable').forEach(function(table){
  var body = table.tBodies[0];
  table.querySelectorAll('thead th').forEach(function(th, col){
    th.style.cursor = 'pointer';
    th.title = 'sort';
    th.addEventListener('click', function(){
      var up = th.dataset.dir !== 'asc';
      table.querySelectorAll('thead th').forEach(function(h){ delete h.dataset.dir; });
      th.dataset.dir = up ? 'asc' : 'desc';
      var rows = Array.from(body.rows);
      rows.sort(function(a, b){
        var x = a.cells[col].dataset.v, y = b.cells[col].dataset.v;
        var nx = parseFloat(x), ny = parseFloat(y);
        var c = (isNaN(nx) || isNaN(ny)) ? String(x).localeCompare(String(y)) : nx - ny;
        return up ? c : -c;
      });
      rows.forEach(function(r){ body.appendChild(r); });
    });
  });
});
document.querySelectorAll('input.filter').forEach(function(input){
  var table = document.getElementById(input.dataset.table);
  function apply(){
    var text = input.value.toLowerCase();
    var nonzero = document.getElementById(input.dataset.table + '-nonzero');
    Array.from(table.tBodies[0].rows).forEach(function(r){
      var hit = r.cells[0].textContent.toLowerCase().indexOf(text) >= 0;
      if (nonzero && nonzero.checked) { hit = hit && r.dataset.selected === '1'; }
      r.style.display = hit ? '' : 'none';
    });
  }
  input.addEventListener('input', apply);
  var box = document.getElementById(input.dataset.table + '-nonzero');
  if (box) { box.addEventListener('change', apply); }
});
"""


def _target_words(summary: dict) -> str:
    """Which class the probabilities are of: the report's coefficients, calibration and
    predictions are all for ``P(target = classes[1])``."""
    classes = summary.get("classes") or []
    target = summary.get("target")
    if summary.get("task") != "classification" or len(classes) != 2:
        return f" ({target})" if target else ""
    name = target or "target"
    return (
        f" ({name}); the probability modelled is P({name} = {classes[1]}) against "
        f"{classes[0]}: positive coefficients favour {classes[1]}"
    )


def _dropped_words(summary: dict) -> str:
    dropped = summary.get("dropped_constant_features") or []
    if not dropped:
        return ""
    shown = ", ".join(str(d) for d in dropped[:5]) + (" …" if len(dropped) > 5 else "")
    return f"; constant on the training rows, so dropped: {shown}"
