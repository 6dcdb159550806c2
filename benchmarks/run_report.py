"""The layout of ``RESULTS.md`` (``run.py``), on the shared pieces of ``report.py``."""

from __future__ import annotations

from harness import TARGET_SUBOPTIMALITY
from problems import load_problem
from report import (
    environment_section,
    fmt_seconds,
    fmt_subopt,
    markdown_table,
    ratio_to_fastest,
    write_markdown,
)

#: a competitor counts for the ratio only if it is at least this accurate
COMPARABLE_SUBOPTIMALITY = 10 * TARGET_SUBOPTIMALITY


def format_cell(record: dict | None) -> str:
    """``time (suboptimality)``, or why there is no time."""
    if record is None:
        return ""
    status = record["status"]
    if status == "ok":
        return f"{fmt_seconds(record['best'])} ({fmt_subopt(record['subopt'])})"
    if status == "timeout":
        return "> " + record["message"].split("> ")[-1].split(" s")[0] + " s"
    return {"n/a": "n/a", "unavailable": "not installed"}.get(status, "error")


def _comparable(record) -> bool:
    return (record is not None and record["status"] == "ok"
            and record["subopt"] <= COMPARABLE_SUBOPTIMALITY)


def shrinkage_ratio(cell_records: dict) -> tuple[str, str]:
    """``shrinkage time / fastest other time`` among comparably accurate fits."""
    mine = cell_records.get("shrinkage")
    others = {lib: rec["best"] for lib, rec in cell_records.items()
              if lib != "shrinkage" and _comparable(rec)}
    if not _comparable(mine):
        return "—", "—"
    ratio, best = ratio_to_fastest(mine["best"], others)
    return ("—", "—") if ratio is None else (f"{ratio:.2f}", best)


def task_table(task, names, libraries, records, scale) -> list[str]:
    header = ["problem (n × p)", *libraries, "shrinkage / best other", "best other"]
    rows = []
    for name in names:
        n, p = load_problem(name, scale).shape
        cell_records = {lib: records[lib].get((task.name, name)) for lib in libraries}
        rows.append([f"{name} ({n} × {p})",
                     *(format_cell(cell_records[lib]) for lib in libraries),
                     *shrinkage_ratio(cell_records)])
    return [f"### {task.title}", "", *markdown_table(header, rows), ""]


def tolerance_table(task, names, libraries, records) -> list[str]:
    rows = []
    for name in names:
        row = [name]
        for lib in libraries:
            record = records[lib].get((task.name, name))
            shown = record and "tol" in record and record["status"] not in ("n/a", "unavailable")
            row.append(f"{record['tol']:.0e}" if shown else "")
        rows.append(row)
    return [f"**{task.title}**", "", *markdown_table(["problem", *libraries], rows), ""]


def notes_section(cells, libraries, records) -> list[str]:
    lines = ["## Warnings, errors and time-outs", ""]
    for task, name in cells:
        for lib in libraries:
            record = records[lib].get((task.name, name))
            if record is None:
                continue
            notes = list(record.get("warnings", []))
            if record["status"] != "ok":
                notes.insert(0, f"{record['status']}: {record.get('message', '')}")
            for note in notes:
                lines.append(f"- {lib} / {task.name} / {name}: {note}")
    return lines + ([""] if len(lines) > 2 else ["None.", ""])


def write_report(path, meta, cells, infos, records, references, first_call) -> None:
    libraries = list(records)
    tasks = list(dict.fromkeys(task for task, _ in cells))
    names_of = {task: [n for t, n in cells if t is task] for task in tasks}
    lines = [
        "# shrinkage benchmarks", "",
        f"Command: `{meta['command']}` — {meta['date']}, total wall time "
        f"{meta['wall_seconds'] / 60:.1f} min" + (" (quick mode: synthetic problems scaled "
                                                  f"by {meta['scale']})" if meta["quick"] else ""),
        "", f"shrinkage revision: {meta['revision']}.", "",
        "Each cell: **time in seconds** (best of "
        f"{meta['repeats']}, single thread, after a warm-up fit; a fit over 10 s runs once) and, "
        "in parentheses, the **relative suboptimality** `max over the path of "
        "(objective - reference) / reference` on shrinkage's objective, the reference being the "
        "lowest objective any solver reached at that alpha (shrinkage at tol 1e-13 / 1e-11 "
        "included). Tolerances were tuned per cell (`calibrate.py`) for a suboptimality of "
        f"about {TARGET_SUBOPTIMALITY:.0e}; the values passed are listed below. "
        f"`> {meta['timeout']:.0f} s`: killed after that time. `shrinkage / best other`: "
        "shrinkage's time over the fastest other library whose suboptimality is at most "
        f"{COMPARABLE_SUBOPTIMALITY:.0e} (below 1: shrinkage is faster).", "",
        "## Results", ""]
    for task in tasks:
        lines += task_table(task, names_of[task], libraries, records, meta["scale"])
    lines += ["## Tolerances passed (each library's own `tol` / `gradient_tol` / `thresh`)", ""]
    for task in tasks:
        lines += tolerance_table(task, names_of[task], libraries, records)
    lines += environment_section(infos)
    lines += ["## First-call cost (import + first fit, fresh process)", "", first_call, ""]
    worst = max((r["reference_gap_to_best"] for r in references.values()), default=0.0)
    lines += ["## Reference check", "",
              "Largest relative gap between the shrinkage reference (tight tolerance) and the "
              f"best objective found by any solver: {worst:.1e}"
              + (" (the reference itself is accurate)." if worst < 1e-9 else
                 " — the tight shrinkage fit was beaten: see the notes."), ""]
    lines += notes_section(cells, libraries, records)
    write_markdown(path, lines)
