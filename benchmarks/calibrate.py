"""Tune each library's tolerance per cell to reach the same accuracy; writes tolerances.json.

    python benchmarks/calibrate.py [--tasks ...] [--problems ...] [--libraries ...]

For every (library, task, problem) cell, search the loosest tolerance (on a grid of
half decades) whose fit has a relative suboptimality (max over the path, against
the tight shrinkage reference) of at most ``TARGET_SUBOPTIMALITY``. Stopping
criteria differ between libraries (relative duality gap, absolute KKT violation,
change of objective ...), so this is the only way to compare times at equal
accuracy. Entries for cells not re-calibrated are kept.
"""

import single_thread  # noqa: F401, I001  (limits thread pools before numpy loads)

import argparse
import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from adapters import ADAPTERS
from harness import (
    BENCH_DIR,
    CACHE,
    TARGET_SUBOPTIMALITY,
    WorkerProcess,
    fit_path,
    load_fit,
    objective_path,
    reference_objective,
)
from objectives import relative_suboptimality
from problems import load_problem
from tasks import TASKS, selected_cells

#: the tolerances of ``run.py`` and ``cv.py`` (``speed_map.py`` keeps its own file)
TOLERANCES = BENCH_DIR / "tolerances.json"

#: tolerance grid: 1e-1 ... 1e-14 in half decades
GRID = [10.0 ** (-k / 2) for k in range(2, 29)]
#: first guess per library (unless tolerances.json has one for the cell)
START = {"shrinkage": 1e-6, "sklearn": 1e-6, "skglm": 1e-6, "celer": 1e-6, "glum": 1e-6,
         "adelie": 1e-9, "glmnet": 1e-8, "rglmnet": 1e-8}


@dataclass
class Trial:
    """One fit at one tolerance: its worst suboptimality over the path and its time."""

    subopt: float
    seconds: float | None
    status: str  # ok, timeout, n/a, error
    message: str = ""

    @property
    def good(self) -> bool:
        return self.status == "ok" and self.subopt <= TARGET_SUBOPTIMALITY


class Cell:
    """One (library, task, problem) cell: fits at a given tolerance, scored."""

    def __init__(self, worker, task, problem, timeout):
        self.worker, self.task, self.problem, self.timeout = worker, task, problem, timeout
        self.alphas = task.alphas(problem)
        self.initial_reference = reference_objective(task, problem, self.alphas, 1.0)
        self.reference = self.initial_reference.copy()
        self.tried: dict[float, Trial] = {}

    def fit(self, tol: float) -> Trial:
        """Fit at ``tol`` (once) and score it against the best objective seen so far."""
        if tol in self.tried:
            return self.tried[tol]
        out = fit_path(self.worker.library, self.task.name, self.problem.name, 1.0, "calib")
        self.worker.warm_up(self.task.name)
        reply = self.worker.request(
            {"op": "fit", "task": self.task.name, "problem": self.problem.name, "scale": 1.0,
             "alphas": self.alphas.tolist(), "tol": tol, "out": str(out)}, self.timeout)
        if reply["status"] != "ok":
            self.tried[tol] = Trial(math.inf, None, reply["status"], reply.get("message", ""))
            return self.tried[tol]
        coefs, intercepts = load_fit(out)
        objective = objective_path(self.task, self.problem, self.alphas, coefs, intercepts)
        self.reference = np.minimum(self.reference, objective)
        subopt = float(relative_suboptimality(objective, self.reference).max())
        self.tried[tol] = Trial(subopt, reply["seconds"], "ok")
        return self.tried[tol]

    def reference_improvement(self) -> float:
        """How much better than the tight shrinkage reference this library got (relative)."""
        return float(relative_suboptimality(self.initial_reference, self.reference).max())


def _summary(tol: float, trial: Trial, reached: bool) -> dict:
    summary = {"tol": float(f"{tol:.3g}"), "subopt": trial.subopt, "seconds": trial.seconds,
               "status": trial.status, "reached": reached}
    if trial.message:
        summary["message"] = trial.message
    return summary


def _plateau(cell: Cell, n: int = 4, below: float = math.inf) -> bool:
    """The last ``n`` tightenings (among the tolerances at or below ``below``) did not
    halve the suboptimality: tighter will not help."""
    subopts = [trial.subopt for tol, trial in sorted(cell.tried.items(), reverse=True)
               if tol <= below]
    return len(subopts) > n and subopts[-1] > 0.5 * subopts[-1 - n]


def search(cell: Cell, start: float, plateau_below: float = math.inf) -> dict:
    """Loosest grid tolerance whose fit reaches the target suboptimality.

    Starting from ``start``: loosen (twice at most) while the fit times out; then loosen
    while the
    target is still met, or tighten until it is. If tightening hits the timeout before
    any fit finished, the cell is recorded as a time-out (``run.py`` then skips it); if
    the accuracy stops improving, the timeout is hit after some finished fits, or the
    grid ends, the tightest finished tolerance is kept with the accuracy it reached.
    Only tolerances at or below ``plateau_below`` count for the plateau: a library may
    return the same fit at every loose tolerance (its stopping rule not yet binding),
    which is no sign that tighter ones will not help.
    """
    i = int(np.argmin(np.abs(np.log10(GRID) - np.log10(start))))
    trial = cell.fit(GRID[i])
    for _ in range(2):
        if trial.status != "timeout" or i == 0:
            break
        i -= 1
        trial = cell.fit(GRID[i])
    if trial.status != "ok":
        return _summary(GRID[i], trial, reached=False)
    if trial.good:
        while i > 0 and cell.fit(GRID[i - 1]).good:
            i -= 1
        return _summary(GRID[i], cell.tried[GRID[i]], reached=True)
    while i + 1 < len(GRID) and not _plateau(cell, below=plateau_below):
        trial = cell.fit(GRID[i + 1])
        if trial.good:
            return _summary(GRID[i + 1], trial, reached=True)
        if trial.status != "ok":
            break
        i += 1
    return _summary(GRID[i], cell.tried[GRID[i]], reached=False)


# ----------------------------------------------------------- the tolerance files ----
def load_tolerances(path: Path = TOLERANCES) -> dict:
    """``{library: {task: {problem: entry}}}``; empty when the file does not exist."""
    return json.loads(path.read_text()) if path.exists() else {}


def tolerance_entry(tolerances: dict, library: str, task: str, problem: str) -> dict:
    """Calibration entry of a cell (``tol``, ``status`` ...), else the library's default
    tolerance with status ``"uncalibrated"``."""
    entry = tolerances.get(library, {}).get(task, {}).get(problem)
    return entry or {"tol": ADAPTERS[library].default_tol, "status": "uncalibrated"}


def save(library, task_name, problem_name, result, path: Path = TOLERANCES) -> None:
    """Merge one entry into the tolerance file (re-read first: calibrations may run in
    parallel, one per library)."""
    tolerances = load_tolerances(path)
    tolerances.setdefault(library, {}).setdefault(task_name, {})[problem_name] = result
    path.write_text(json.dumps(tolerances, indent=1, sort_keys=True) + "\n")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", nargs="+", choices=sorted(TASKS), default=list(TASKS))
    parser.add_argument("--problems", nargs="+", default=None)
    parser.add_argument("--libraries", nargs="+", choices=sorted(ADAPTERS),
                        default=list(ADAPTERS))
    parser.add_argument("--timeout", type=float, default=60.0)
    args = parser.parse_args(argv)
    for library in args.libraries:
        worker = WorkerProcess(library, CACHE / "logs" / f"calibrate_{library}.log")
        info = worker.request({"op": "info"}, 300)
        if info["status"] != "ok":
            print(f"[{library}] unavailable: {info.get('message')}")
            continue
        for task, name in selected_cells(args):
            cell = Cell(worker, task, load_problem(name), args.timeout)
            previous = load_tolerances().get(library, {}).get(task.name, {}).get(name)
            start = previous["tol"] if previous else START[library]
            result = search(cell, start)
            if result["status"] == "n/a":
                continue
            save(library, task.name, name, result)
            tried = ", ".join(f"{tol:.0e}:{trial.subopt:.0e}" if trial.status == "ok"
                              else f"{tol:.0e}:{trial.status}"
                              for tol, trial in sorted(cell.tried.items(), reverse=True))
            print(f"[{library}] {task.name:17s} {name:15s} -> tol {result['tol']:.0e} "
                  f"{result['status']} subopt {result['subopt']:.1e}  (tried {tried}; "
                  f"beat reference by {cell.reference_improvement():.0e})", flush=True)
        worker.stop()


if __name__ == "__main__":
    main()
