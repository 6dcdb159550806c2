"""The layout of ``CV_RESULTS.md`` / ``.json`` (``cv.py``), on the shared pieces of
``report.py``; ``cv.py --from-json`` re-renders the markdown from a saved JSON."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
from cv_tasks import TIE_FRACTION_OF_SE
from report import environment_section, markdown_table, write_json, write_markdown
from report import fmt_seconds as _s
from timing import CONTAMINATED_CORES, REPEAT_BELOW_S


def _cell(record) -> str:
    if record is None:
        return ""
    if record["status"] == "ok":
        marks = ("¹" if not record.get("repeats_s") else "") + (
            "†" if record.get("contaminated") else "")
        return f"{_s(record['time_s'])}{marks}"
    if record["status"] == "skipped":
        return "not run²"
    if record["status"] == "timeout":
        return record.get("message", "timeout")
    return {"unavailable": "not installed"}.get(record["status"], "error")


def lasso_tables(args, setups, records, accuracies, columns) -> list[str]:
    lines = ["## 5-fold LassoCV, 100 alphas", "",
             "Seconds (median of 3 runs after a first run; ¹ one run, the first took over "
             f"{REPEAT_BELOW_S:.0f} s; ² not run, see notes; † other processes used more than "
             f"{CONTAMINATED_CORES} cores during the run(s) kept: the machine is shared). "
             "Ratios are shrinkage's time (n_jobs=1) over the other's: **below 1 means "
             "shrinkage is faster**; the target is ≤ 0.33 against scikit-learn.", ""]
    others = [c for c in columns if not c.startswith("shrinkage")]
    header = ["problem (n × p)", *columns, "shrinkage / sklearn", "shrinkage / best other",
              "best other"]
    lines += markdown_table(header, [])
    for name, setup in setups.items():
        n, p = setup["shape"]
        row = [f"{name} ({n} × {p})"] + [_cell(records.get((c, name))) for c in columns]
        mine = records.get(("shrinkage", name))
        ok = {c: records[(c, name)]["time_s"] for c in others
              if records.get((c, name), {}).get("status") == "ok"}
        if mine and mine["status"] == "ok" and ok:
            skl = ok.get("sklearn")
            row.append(f"**{mine['time_s'] / skl:.2f}**" if skl else "—")
            best = min(ok, key=ok.get)
            row += [f"{mine['time_s'] / ok[best]:.2f}", best]
        else:
            row += ["—", "—", "—"]
        lines.append("| " + " | ".join(row) + " |")
    lines += ["", "### shrinkage time / other library's time (n_jobs=1 both)", ""]
    header = ["problem", *others]
    lines += markdown_table(header, [])
    for name in setups:
        mine = records.get(("shrinkage", name))
        row = [name]
        for c in others:
            rec = records.get((c, name))
            ok = mine and mine["status"] == "ok" and rec and rec["status"] == "ok"
            row.append(f"{mine['time_s'] / rec['time_s']:.2f}" if ok else "—")
        lines.append("| " + " | ".join(row) + " |")
    lines += ["", "### First run on each problem (seconds; after the tiny warm-up)", ""]
    header = ["problem", *columns]
    lines += markdown_table(header, [])
    for name in setups:
        row = [name]
        for c in columns:
            rec = records.get((c, name))
            row.append(_s(rec["first_s"]) if rec and rec["status"] == "ok" else "")
        lines.append("| " + " | ".join(row) + " |")
    lines += ["", "### Chosen alpha and CV error against the exact CV curve", "",
              "The exact curve: shrinkage's path at tol 1e-13 on each training fold, test MSE "
              "computed by the benchmark. `index`: position of the chosen alpha in the grid "
              "(0 = alpha_max); `CV MSE (own)`: the library's mean CV error there; `regret`: "
              "(exact CV error at its choice − exact minimum) / exact minimum, and in units of "
              "the standard error of the exact minimum; `curve dev.`: max over the grid of "
              "|own mean CV error − exact| / exact (and the grid index where it occurs). "
              "Verdict: `same alpha` as the exact minimum, `tie` (another alpha within "
              f"{TIE_FRACTION_OF_SE:g} SE), or `DIFFERENT`.", "",
              "| problem | exact min: index, alpha, CV MSE ± SE | library | index | alpha | "
              "CV MSE (own) | regret (rel. / SE) | curve dev. | verdict |",
              "|---|---|---|---|---|---|---|---|---|"]
    for name in setups:
        exact = setups[name]["exact"]
        head = (f"{exact['index']}, {exact['alpha']:.4g}, {exact['min']:.6g} ± "
                f"{exact['se']:.3g}")
        for c in columns:
            acc = accuracies.get((c, name))
            if acc is None:
                continue
            grid_note = "" if acc["grid_matches"] else " (grid differs!)"
            lines.append(
                f"| {name} | {head} | {c} | {acc['index']} | "
                f"{records[(c, name)]['alpha']:.4g}{grid_note} | {acc['own_mse_at_choice']:.6g} | "
                f"{acc['regret_rel']:.1e} / {acc['regret_in_se']:.2g} | "
                f"{acc['curve_dev_rel']:.1e} (at {acc['curve_dev_index']}) | {acc['verdict']} |")
            head = "″"
    lines += ["", "### Tolerances passed (the lasso-path tolerances of tolerances.json)", ""]
    header = ["problem", *[c for c in columns if "n_jobs" not in c]]
    lines += markdown_table(header, [])
    for name in setups:
        row = [name]
        for c in header[1:]:
            rec = records.get((c, name))
            row.append(f"{rec['tol']:.0e}" if rec and "tol" in rec else "")
        lines.append("| " + " | ".join(row) + " |")
    return lines + [""]


def ridge_tables(ridge) -> list[str]:
    lines = ["## RidgeCV, 100 alphas", "",
             "`np.geomspace(1e-6, 1e4, 100) × ‖X − mean‖²_F / p` (scikit-learn's Ridge units), "
             "the same grid for both. LOO: `cv=None` (both exact leave-one-out; scikit-learn "
             "picks `gcv_mode` itself: SVD of X for n > p, eigen of XXᵀ otherwise). 5-fold: "
             "the same `KFold(5)` folds as LassoCV, passed explicitly (scikit-learn: "
             "`GridSearchCV` over 500 Ridge fits; shrinkage: one decomposition per fold). "
             "`one decomposition`: median of 3 of `np.linalg.eigh(XcᵀXc)` including "
             "forming `XcᵀXc` (n > p) or `np.linalg.svd(Xc, full_matrices=False)` (n ≤ p), "
             "Xc the centred X; `SpectralRidge`: shrinkage's set-up on all the data "
             "(decomposition + projections). Seconds as above (¹: one run).", ""]
    for mode, title in (("loo", "Leave-one-out (`cv=None`)"), ("kfold", "5-fold (`cv=folds`)")):
        lines += [f"### {title}", "",
                  "| problem (n × p) | one decomposition | SpectralRidge set-up | shrinkage "
                  "RidgeCV | sklearn RidgeCV | shrinkage / sklearn | shrinkage / one "
                  "decomposition | alpha index (shrinkage / sklearn) | best_score_ "
                  "(shrinkage / sklearn) |",
                  "|---|---|---|---|---|---|---|---|---|"]
        for name, decomposition in ridge["decomposition"].items():
            mine = ridge["cells"].get(("shrinkage", name, mode))
            theirs = ridge["cells"].get(("sklearn", name, mode))
            shape = ridge["shapes"][name]
            dec = decomposition.get("decomposition_s", float("nan"))
            kind = "eigh" if shape[0] > shape[1] else "svd"
            row = [f"{name} ({shape[0]} × {shape[1]})", f"{_s(dec)} ({kind})",
                   _s(decomposition.get("spectral_ridge_s", float("nan"))),
                   _cell(mine), _cell(theirs)]
            both = mine and theirs and mine["status"] == "ok" and theirs["status"] == "ok"
            row.append(f"**{mine['time_s'] / theirs['time_s']:.2f}**" if both else "—")
            row.append(f"{mine['time_s'] / dec:.1f}" if mine and mine["status"] == "ok" else "—")
            if both:
                same = "" if mine["index"] == theirs["index"] else " **differ**"
                row.append(f"{mine['index']} / {theirs['index']}{same}")
                row.append(f"{mine['best_score']:.10g} / {theirs['best_score']:.10g}")
            else:
                row += ["—", "—"]
            lines.append("| " + " | ".join(row) + " |")
        lines.append("")
    lines += ["Decomposition details (seconds): " + "; ".join(
        f"{name}: " + ", ".join(f"{k[:-2]} {_s(v)}" for k, v in d.items()
                                if k.endswith("_s") and isinstance(v, float))
        for name, d in ridge["decomposition"].items()) + ".", ""]
    return lines


def first_call_table(rows) -> list[str]:
    lines = ["## First call in a fresh process (diabetes; no warm-up)", "",
             "| process | import (s) | LassoCV 1st (s) | LassoCV 2nd (s) | RidgeCV 1st (s) | "
             "RidgeCV 2nd (s) |", "|---|---|---|---|---|---|"]
    for row in rows:
        if row.get("status") != "ok":
            lines.append(f"| {row['label']} | error: {row.get('message', '')} | | | | |")
            continue
        lines.append(f"| {row['label']} | {row['import_s']:.3f} | {row['lasso_cv_first_s']:.3f}"
                     f" | {row['lasso_cv_second_s']:.4f} | {row['ridge_cv_first_s']:.3f} | "
                     f"{row['ridge_cv_second_s']:.4f} |")
    return lines + [""]


def notes_lines(records, ridge) -> list[str]:
    lines = ["## Notes, warnings, errors", ""]
    for (library, name), record in records.items():
        if record["status"] not in ("ok",):
            lines.append(f"- {library} / {name}: {record['status']}: {record.get('message', '')}")
        for warning in record.get("warnings", []):
            lines.append(f"- {library} / {name}: {warning}")
        lengths = record.get("extra", {}).get("path_lengths")
        if lengths and min(lengths) < max(lengths):
            lines.append(f"- {library} / {name}: glmnet paths stopped early: {lengths} lambdas")
    for (library, name, mode), record in (ridge or {}).get("cells", {}).items():
        if record["status"] != "ok":
            lines.append(f"- ridge {mode} {library} / {name}: {record['status']}: "
                         f"{record.get('message', '')}")
        for warning in record.get("warnings", []):
            lines.append(f"- ridge {mode} {library} / {name}: {warning}")
    return lines + [""]


def summary_lines(setups, records, accuracies, ridge) -> list[str]:
    """The issue's targets, checked: 3x scikit-learn, fastest of all, ridge ~ one
    decomposition; and whether the chosen alphas agree."""
    lines = ["## Summary", ""]
    met, rows = 0, []
    for name in setups:
        mine, theirs = records.get(("shrinkage", name)), records.get(("sklearn", name))
        others = {c: r["time_s"] for (c, n), r in records.items()
                  if n == name and not c.startswith("shrinkage") and r["status"] == "ok"}
        if not (mine and mine["status"] == "ok"):
            continue
        text = f"{name}: "
        if theirs and theirs["status"] == "ok":
            ratio = mine["time_s"] / theirs["time_s"]
            met += ratio <= 1 / 3
            text += (f"{ratio:.3f} × scikit-learn's time ({1 / ratio:.2f}× faster; "
                     f"{'meets' if ratio <= 1 / 3 else 'MISSES'} the 3× target)")
        else:
            text += "scikit-learn not run (its path alone exceeds 60 s)"
        if others:
            best = min(others, key=others.get)
            ratio = mine["time_s"] / others[best]
            text += (f"; {'fastest' if ratio < 1 else 'NOT fastest'} of all "
                     f"({ratio:.2f} × the best other, {best})")
        rows.append(f"- LassoCV {text}.")
    compared = sum(1 for n in setups if records.get(("sklearn", n), {}).get("status") == "ok")
    lines.append(f"**5-fold LassoCV** (n_jobs=1): 3× faster than scikit-learn on {met} of "
                 f"{compared} problems where scikit-learn ran.")
    lines += [""] + rows
    disagreements = [f"{c} / {n}" for (c, n), a in accuracies.items()
                     if a["verdict"] == "DIFFERENT"]
    ties = [f"{c} / {n}" for (c, n), a in accuracies.items() if a["verdict"] == "tie"]
    lines += ["", "Chosen alpha: " + (
        "every library picks the exact CV minimum" if not (disagreements or ties) else
        (f"ties (within {TIE_FRACTION_OF_SE:g} SE of the exact minimum): {', '.join(ties)}"
         if ties else "") + ("; " if ties and disagreements else "")
        + (f"**different from the exact minimum: {', '.join(disagreements)}**"
           if disagreements else "")) + "."]
    if ridge:
        lines += [""]
        for mode, title in (("loo", "leave-one-out"), ("kfold", "5-fold")):
            parts = []
            for name, decomposition in ridge["decomposition"].items():
                mine = ridge["cells"].get(("shrinkage", name, mode))
                theirs = ridge["cells"].get(("sklearn", name, mode))
                if not (mine and theirs and mine["status"] == "ok" and theirs["status"] == "ok"):
                    continue
                dec = decomposition.get("decomposition_s", float("nan"))
                same = "same alpha_" if mine["index"] == theirs["index"] else "**alpha_ differs**"
                ratio = mine["time_s"] / theirs["time_s"]
                parts.append(f"{name} {ratio:.2f} × sklearn{'' if ratio < 1 else ' (SLOWER)'}, "
                             f"{mine['time_s'] / dec:.1f} × one decomposition "
                             f"({_s(mine['time_s'])} s vs {_s(dec)} s), {same}")
            lines.append(f"- RidgeCV {title}: " + "; ".join(parts) + ".")
    return lines + [""]


def contention_lines(meta, records, ridge) -> list[str]:
    loads = [r.get("max_foreign") for r in records.values() if r.get("status") == "ok"]
    loads += [r.get("max_foreign") for r in (ridge or {}).get("cells", {}).values()
              if r.get("status") == "ok"]
    loads = [x for x in loads if x is not None and np.isfinite(x)]
    if not loads:
        return []
    flagged = sum(x > CONTAMINATED_CORES for x in loads)
    return [f"**Machine load.** Other processes used a median of {np.median(loads):.2f} "
            f"(max {np.max(loads):.2f}) cores during the kept runs; {flagged} of {len(loads)} "
            f"cells are marked † (> {CONTAMINATED_CORES} cores); "
            f"{meta.get('waited_for_quiet_s', 0):.0f} s were spent waiting for a quiet "
            "machine. "
            + ("Absolute times are inflated and noisy where marked †; libraries took turns "
               "on each problem, so the ratios are less affected than the times."
               if flagged else "The timings were not disturbed."), ""]


def write_outputs(args, meta, setups, infos, records, accuracies, ridge, first_calls) -> None:
    columns = [c for c in dict.fromkeys(lib for lib, _ in records)]
    revision_note = meta["revision"]
    if meta.get("revision_at_start") and meta["revision_at_start"] != meta["revision"]:
        revision_note = (f"{meta['revision_at_start']} at the start, {meta['revision']} at the "
                         "end (the workers imported the code at their start)")
    lines = ["# Cross-validation benchmarks (issue #3)", "",
             f"Command: `{meta['command']}` — {meta['date']}, wall time "
             f"{meta['wall_seconds'] / 60:.1f} min"
             + (f" (quick mode: synthetic problems scaled by {meta['scale']})"
                if meta["quick"] else ""),
             "", f"shrinkage revision: {revision_note}.", "",
             "Single thread everywhere (n_jobs=1, BLAS/OpenMP/Numba at one thread), the same "
             "5 folds (`KFold(5)`, no shuffle) and the same 100 alphas for every library, each "
             "library at its calibrated lasso-path tolerance (~1e-6 relative suboptimality). "
             "How each library is called: see the docstring of `benchmarks/cv_tasks.py` and "
             "the README. `shrinkage (n_jobs=2)` is shown for information only (2 threads, "
             "folds in parallel; the machine has "
             f"{os.cpu_count()} cores); every ratio uses n_jobs=1.", ""]
    lines += contention_lines(meta, records, ridge)
    lines += summary_lines(setups, records, accuracies, ridge)
    if records:
        lines += lasso_tables(args, setups, records, accuracies, columns)
    if ridge:
        lines += ridge_tables(ridge)
    if first_calls:
        lines += first_call_table(first_calls)
    lines += environment_section(infos)
    lines += notes_lines(records, ridge)
    write_markdown(args.output, lines)
    if getattr(args, "from_json", None):
        return
    dump = {
        "meta": meta, "infos": infos,
        "problems": {name: {"shape": s["shape"], "alphas": s["alphas"].tolist(),
                            "exact_mean_mse": s["exact"]["mean"].tolist(),
                            "exact": {k: v for k, v in s["exact"].items() if k != "mean"}}
                     for name, s in setups.items()},
        "lasso_cv": {f"{lib}/{name}": {**rec, **({"accuracy": accuracies[(lib, name)]}
                                                 if (lib, name) in accuracies else {})}
                     for (lib, name), rec in records.items()},
        "ridge_cv": None if not ridge else {
            "decomposition": ridge["decomposition"], "shapes": ridge["shapes"],
            "cells": {f"{lib}/{name}/{mode}": rec
                      for (lib, name, mode), rec in ridge["cells"].items()}},
        "first_call": first_calls,
    }
    write_json(args.output.with_suffix(".json"), dump)


def rerender(args) -> None:
    """Write the markdown again from a saved JSON (no fits)."""
    dump = json.loads(Path(args.from_json).read_text())
    setups = {name: {"shape": p["shape"], "alphas": np.asarray(p["alphas"]),
                     "exact": {**p["exact"], "mean": np.asarray(p["exact_mean_mse"])}}
              for name, p in dump["problems"].items()}
    records, accuracies = {}, {}
    for key, record in dump["lasso_cv"].items():
        column, name = key.rsplit("/", 1)
        accuracy_record = record.pop("accuracy", None)
        records[(column, name)] = record
        if accuracy_record is not None:
            accuracies[(column, name)] = accuracy_record
    ridge = dump.get("ridge_cv")
    if ridge:
        ridge["cells"] = {tuple(key.split("/")): rec for key, rec in ridge["cells"].items()}
    write_outputs(args, dump["meta"], setups, dump["infos"], records, accuracies, ridge,
                  dump.get("first_call") or [])
    print(f"wrote {args.output} from {args.from_json}")
