"""What every benchmark report shares: number formats, ratios, tables, environment, files.

The report layouts live next to their command (``run_report.py`` for ``RESULTS.md``,
``cv_report.py`` for ``CV_RESULTS.md``, ``speed_map.py`` for ``SPEED_MAP.md``); they
build on these pieces.

Ratios are always ``shrinkage's time / another library's time`` (below 1: shrinkage is
faster). Over many cells they are summarized by the geometric mean
``exp(mean(log r))``, the only mean for which a cell twice as slow and one twice as fast
cancel out.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import platform
import subprocess
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent


# ---------------------------------------------------------------- numbers ----
def fmt_seconds(value: float) -> str:
    """About three significant digits: 14.2, 1.31, 0.135, 0.061, 0.0012, 0.00061."""
    for bound, digits in ((10, 1), (1, 2), (0.01, 3), (0.001, 4)):
        if value >= bound:
            return f"{value:.{digits}f}"
    return f"{value:.5f}"


def fmt_subopt(value: float) -> str:
    """A relative suboptimality: ``0`` when the fit is the best one, else ``1e-07``."""
    return "0" if value <= 0 else f"{value:.0e}"


def geometric_mean(ratios: Iterable[float]) -> float:
    """``exp(mean(log r))`` of the positive finite ratios; NaN when there are none."""
    logs = [math.log(r) for r in ratios if r is not None and r > 0 and math.isfinite(r)]
    return math.exp(sum(logs) / len(logs)) if logs else float("nan")


def fastest(times: Mapping[str, float]) -> str | None:
    """Name of the smallest positive finite time (first one on ties), None if none."""
    usable = {k: t for k, t in times.items() if t is not None and math.isfinite(t) and t > 0}
    return min(usable, key=usable.get) if usable else None


def ratio_to_fastest(mine: float | None,
                     others: Mapping[str, float]) -> tuple[float | None, str | None]:
    """``(mine / fastest other time, that library)``; ``(None, None)`` when either side is
    missing."""
    best = fastest(others)
    if mine is None or not math.isfinite(mine) or best is None:
        return None, None
    return mine / others[best], best


# ----------------------------------------------------------------- markdown ----
def markdown_row(cells: Iterable[object]) -> str:
    """One row of a markdown table."""
    return "| " + " | ".join(str(cell) for cell in cells) + " |"


def markdown_table(header: Sequence[str], rows: Iterable[Sequence[str]],
                   right: Sequence[int] = ()) -> list[str]:
    """Lines of a markdown table (no blank line after it); columns ``right`` (indices)
    are right-aligned."""
    rule = "|" + "".join("---:|" if j in right else "---|" for j in range(len(header)))
    return [markdown_row(header), rule, *(markdown_row(row) for row in rows)]


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown"


def revision() -> str:
    """HEAD of the checkout, and a fingerprint of any uncommitted change under src/
    (read-only git; ``unknown`` outside a repository)."""
    def git(*cmd):
        return subprocess.run(["git", *cmd], capture_output=True, text=True,
                              cwd=BENCH_DIR).stdout

    commit = git("rev-parse", "--short", "HEAD").strip() or "unknown"
    changed = git("status", "--porcelain", "--", "../src").splitlines()
    if not changed:
        return commit
    diff = git("diff", "HEAD", "--", "../src")
    digest = f"; diff sha1 {hashlib.sha1(diff.encode()).hexdigest()[:10]}" if diff else ""
    return (f"{commit} + uncommitted changes under src/ "
            f"({', '.join(line.strip() for line in changed[:6])}{digest})")


def thread_pools(info: dict) -> str:
    """The BLAS / OpenMP pools a worker saw (threadpoolctl), with their thread counts."""
    return "; ".join(
        " ".join(str(part) for part in (p.get("internal_api"), p.get("version"),
                                        p.get("architecture"), f"({p.get('num_threads')})")
                 if part)
        for p in info.get("threadpools", []))


def _warmup_seconds(info: dict) -> float | None:
    warm = info.get("warmup_seconds")
    if isinstance(warm, dict):  # per task: the first one
        warm = next((v for v in warm.values() if v is not None), None)
    return warm


def environment_section(infos: Mapping[str, dict], notes: Sequence[str] = ()) -> list[str]:
    """``## Environment``: the machine, the thread limits, ``notes``, and one row per
    library with the versions and thread pools its worker reported."""
    from single_thread import OPENBLAS_OVERRIDES

    overrides = ", ".join(f"{v}: `{os.environ.get(v, '(unset)')}`" for v in OPENBLAS_OVERRIDES)
    lines = ["## Environment", "",
             f"- CPU: {cpu_model()}, {os.cpu_count()} logical cores; {platform.platform()}",
             "- Threads: OMP/OPENBLAS/MKL/NUMBA/VECLIB/NUMEXPR_NUM_THREADS=1 in every worker "
             "(set before numpy loads); adelie `n_threads=1`; thread pools below as "
             "reported by threadpoolctl inside each worker.",
             f"- {overrides} (in this command; inherited by every worker)",
             *(f"- {note}" for note in notes), ""]
    rows = []
    for library, info in infos.items():
        if info.get("status") != "ok":
            rows.append([library, "not installed", "", "", "", "", "", ""])
            continue
        numba = f"{info['numba']} ({info['numba_threads']})" if "numba" in info else "—"
        warm = _warmup_seconds(info)
        rows.append([library, info["version"], info["python"], info["numpy"], info["scipy"],
                     numba, thread_pools(info), "" if warm is None else f"{warm:.2f}"])
    header = ["library", "version", "python", "numpy", "scipy", "numba (threads)",
              "BLAS / OpenMP (threads)", "warm-up (s)"]
    return lines + markdown_table(header, rows) + [""]


# -------------------------------------------------------------------- files ----
def write_markdown(path: Path, lines: Sequence[str]) -> None:
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text("\n".join(lines).rstrip("\n") + "\n")


def write_json(path: Path, data) -> None:
    """``data`` as indented JSON (anything JSON cannot hold is written as its ``str``)."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(json.dumps(data, indent=1, default=str) + "\n")
