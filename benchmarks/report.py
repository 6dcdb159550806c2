"""Markdown report (``RESULTS.md``) from the timings and scores of ``run.py``."""

from __future__ import annotations

import os
from pathlib import Path

from harness import TARGET_SUBOPTIMALITY
from problems import load_problem

#: a competitor counts for the ratio only if it is at least this accurate
COMPARABLE_SUBOPTIMALITY = 10 * TARGET_SUBOPTIMALITY


def _seconds(value: float) -> str:
    """About three significant digits: 14.2, 1.31, 0.135, 0.061, 0.0012, 0.00061."""
    for bound, digits in ((10, 1), (1, 2), (0.01, 3), (0.001, 4)):
        if value >= bound:
            return f"{value:.{digits}f}"
    return f"{value:.5f}"


def _subopt(value: float) -> str:
    return "0" if value <= 0 else f"{value:.0e}"


def format_cell(record: dict | None) -> str:
    """``time (suboptimality)``, or why there is no time."""
    if record is None:
        return ""
    status = record["status"]
    if status == "ok":
        return f"{_seconds(record['best'])} ({_subopt(record['subopt'])})"
    if status == "timeout":
        return "> " + record["message"].split("> ")[-1].split(" s")[0] + " s"
    return {"n/a": "n/a", "unavailable": "not installed"}.get(status, "error")


def _comparable(record) -> bool:
    return (record is not None and record["status"] == "ok"
            and record["subopt"] <= COMPARABLE_SUBOPTIMALITY)


def shrinkage_ratio(cell_records: dict) -> tuple[str, str]:
    """``shrinkage time / fastest other time`` among comparably accurate fits."""
    mine = cell_records.get("shrinkage")
    others = {lib: rec for lib, rec in cell_records.items()
              if lib != "shrinkage" and _comparable(rec)}
    if not _comparable(mine) or not others:
        return "—", "—"
    fastest = min(others, key=lambda lib: others[lib]["best"])
    return f"{mine['best'] / others[fastest]['best']:.2f}", fastest


def task_table(task, names, libraries, records, scale) -> list[str]:
    header = ["problem (n × p)", *libraries, "shrinkage / best other", "best other"]
    lines = [f"### {task.title}", "",
             "| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for name in names:
        problem = load_problem(name, scale)
        n, p = problem.shape
        cell_records = {lib: records[lib].get((task.name, name)) for lib in libraries}
        ratio, fastest = shrinkage_ratio(cell_records)
        row = [f"{name} ({n} × {p})", *(format_cell(cell_records[lib]) for lib in libraries),
               ratio, fastest]
        lines.append("| " + " | ".join(row) + " |")
    return lines + [""]


def tolerance_table(task, names, libraries, records) -> list[str]:
    header = ["problem", *libraries]
    lines = [f"**{task.title}**", "",
             "| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for name in names:
        row = [name]
        for lib in libraries:
            record = records[lib].get((task.name, name))
            shown = record and "tol" in record and record["status"] not in ("n/a", "unavailable")
            row.append(f"{record['tol']:.0e}" if shown else "")
        lines.append("| " + " | ".join(row) + " |")
    return lines + [""]


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown"


def environment_section(meta, infos) -> list[str]:
    lines = ["## Environment", "",
             f"- CPU: {cpu_model()}, {os.cpu_count()} logical cores; {meta['platform']}",
             "- Threads: OMP/OPENBLAS/MKL/NUMBA/VECLIB/NUMEXPR_NUM_THREADS=1 in every worker "
             "(set before numpy loads); adelie `n_threads=1`; thread pools below as "
             "reported by threadpoolctl inside each worker.",
             f"- OPENBLAS_CORETYPE: `{os.environ.get('OPENBLAS_CORETYPE', '(unset)')}` "
             "(inherited unchanged by every worker)", "",
             "| library | version | python | numpy | scipy | numba (threads) | BLAS / OpenMP "
             "(threads) | warm-up (s, first task) |",
             "|---|---|---|---|---|---|---|---|"]
    for library, info in infos.items():
        if info.get("status") != "ok":
            lines.append(f"| {library} | not installed | | | | | | |")
            continue
        pools = "; ".join(
            f"{p['internal_api']} {p.get('version') or ''} {p.get('architecture') or ''} "
            f"({p['num_threads']})".replace("  ", " ")
            for p in info["threadpools"])
        numba = f"{info['numba']} ({info['numba_threads']})" if "numba" in info else "—"
        warm = info.get("warmup_seconds", {})
        first = next((v for v in warm.values() if v is not None), float("nan"))
        lines.append(f"| {library} | {info['version']} | {info['python']} | {info['numpy']} | "
                     f"{info['scipy']} | {numba} | {pools} | {first:.2f} |")
    return lines + [""]


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
    lines += environment_section(meta, infos)
    lines += ["## First-call cost (import + first fit, fresh process)", "", first_call, ""]
    worst = max((r["reference_gap_to_best"] for r in references.values()), default=0.0)
    lines += ["## Reference check", "",
              "Largest relative gap between the shrinkage reference (tight tolerance) and the "
              f"best objective found by any solver: {worst:.1e}"
              + (" (the reference itself is accurate)." if worst < 1e-9 else
                 " — the tight shrinkage fit was beaten: see the notes."), ""]
    lines += notes_section(cells, libraries, records)
    Path(path).write_text("\n".join(lines))

