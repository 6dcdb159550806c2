"""Tune each library's tolerance per cell to reach the same accuracy; writes tolerances.json.

    python benchmarks/calibrate.py [--tasks ...] [--problems ...] [--libraries ...]

For every (library, task, problem) cell, search the loosest tolerance (on a grid of
half decades) whose fit has a relative suboptimality (max over the path, against
the tight shrinkage reference) of at most ``TARGET_SUBOPTIMALITY``. Stopping
criteria differ between libraries (relative duality gap, absolute KKT violation,
change of objective ...), so this is the only way to compare times at equal
accuracy. Entries for cells not re-calibrated are kept.
"""

import single_thread  # isort: skip  (limits thread pools before numpy loads)

import argparse
import json
import math

import numpy as np

from adapters import ADAPTERS
from harness import (
    CACHE, TARGET_SUBOPTIMALITY, WorkerProcess, fit_path, load_fit, objective_path,
    reference_objective,
)
from problems import load_problem
from run import TOLERANCES, load_tolerances, selected_cells
from tasks import TASKS

#: tolerance grid: 1e-1 ... 1e-14 in half decades
GRID = [10.0 ** (-k / 2) for k in range(2, 29)]
#: first guess per library (its default, or what usually lands near 1e-6)
START = {"shrinkage": 1e-6, "sklearn": 1e-6, "skglm": 1e-6, "celer": 1e-6, "glum": 1e-6,
         "adelie": 1e-9, "glmnet": 1e-9}


class Cell:
    """One (library, task, problem) cell: fits at a given tolerance, scored."""

    def __init__(self, worker, task, problem, timeout):
        self.worker, self.task, self.problem, self.timeout = worker, task, problem, timeout
        self.alphas = task.alphas(problem)
        self.reference = reference_objective(task, problem, self.alphas, 1.0)
        self.tried = {}

    def suboptimality(self, tol: float) -> tuple[float, float | None]:
        """(max relative suboptimality, seconds, status) at ``tol``; inf if it failed."""
        if tol in self.tried:
            return self.tried[tol]
        out = fit_path(self.worker.library, self.task.name, self.problem.name, 1.0, "calib")
        self.worker.warm_up(self.task.name)
        reply = self.worker.request(
            {"op": "fit", "task": self.task.name, "problem": self.problem.name, "scale": 1.0,
             "alphas": self.alphas.tolist(), "tol": tol, "out": str(out)}, self.timeout)
        if reply["status"] != "ok":
            self.tried[tol] = (math.inf, None, reply["status"])
            return self.tried[tol]
        coefs, intercepts = load_fit(out)
        objective = objective_path(self.task, self.problem, self.alphas, coefs, intercepts)
        self.reference = np.minimum(self.reference, objective)
        subopt = float(((objective - self.reference) / np.abs(self.reference)).max())
        self.tried[tol] = (subopt, reply["seconds"], "ok")
        return self.tried[tol]


def search(cell: Cell, start: float) -> dict:
    """Loosest grid tolerance with suboptimality <= target (tightest tried if none)."""
    index = int(np.argmin(np.abs(np.log10(GRID) - np.log10(start))))
    subopt, seconds, status = cell.suboptimality(GRID[index])
    if status != "ok":  # n/a, error, or too slow even at the first guess
        return {"tol": GRID[index], "subopt": subopt, "seconds": seconds, "status": status,
                "reached": False}
    step = -1 if status == "ok" and subopt <= TARGET_SUBOPTIMALITY else 1  # loosen / tighten
    best = index if step == -1 else None
    while 0 <= index + step < len(GRID):
        index += step
        subopt, _, status = cell.suboptimality(GRID[index])
        good = status == "ok" and subopt <= TARGET_SUBOPTIMALITY
        if status != "ok" and step == 1:
            break  # a tighter tolerance only gets slower
        if step == -1 and not good:
            break
        if good:
            best = index
            if step == 1:
                break
    chosen = GRID[best] if best is not None else min(cell.tried)
    subopt, seconds, status = cell.tried[chosen]
    return {"tol": float(f"{chosen:.3g}"), "subopt": subopt, "seconds": seconds,
            "status": status, "reached": best is not None}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", nargs="+", choices=sorted(TASKS), default=list(TASKS))
    parser.add_argument("--problems", nargs="+", default=None)
    parser.add_argument("--libraries", nargs="+", choices=sorted(ADAPTERS),
                        default=list(ADAPTERS))
    parser.add_argument("--timeout", type=float, default=60.0)
    args = parser.parse_args(argv)
    tolerances = load_tolerances()
    for library in args.libraries:
        worker = WorkerProcess(library, CACHE / "logs" / f"calibrate_{library}.log")
        info = worker.request({"op": "info"}, 300)
        if info["status"] != "ok":
            print(f"[{library}] unavailable: {info.get('message')}")
            continue
        for task, name in selected_cells(args):
            cell = Cell(worker, task, load_problem(name), args.timeout)
            result = search(cell, START[library])
            if result["status"] == "n/a":
                continue
            tolerances.setdefault(library, {}).setdefault(task.name, {})[name] = result
            tried = ", ".join(f"{t:.0e}:{s:.0e}" for t, (s, _, _) in sorted(cell.tried.items()))
            print(f"[{library}] {task.name:17s} {name:15s} -> tol {result['tol']:.0e} "
                  f"subopt {result['subopt']:.1e}  (tried {tried})", flush=True)
            TOLERANCES.write_text(json.dumps(tolerances, indent=1, sort_keys=True))
        worker.stop()


if __name__ == "__main__":
    main()
