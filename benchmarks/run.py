"""Run the benchmark suite and write ``benchmarks/RESULTS.md``.

    python benchmarks/run.py [--quick] [--tasks T ...] [--problems P ...] [--libraries L ...]

Every library fits every (task, problem) cell in its own single-threaded worker
process, after a warm-up fit; the time is the best of ``--repeats`` runs. Each fit is
scored on shrinkage's objective against a reference (the lowest objective reached by
any solver, including shrinkage at a far tighter tolerance), so that times are
compared at equal accuracy. Tolerances come from ``tolerances.json`` (written by
``calibrate.py``).
"""

import single_thread  # noqa: F401, I001  (limits thread pools before numpy loads)

import argparse
import platform
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from adapters import ADAPTERS
from calibrate import load_tolerances, tolerance_entry
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
from report import revision, write_json
from run_report import write_report
from single_thread import worker_environment
from tasks import TASKS, selected_cells
from timing import time_cell

QUICK_SCALE = 0.25


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help=f"synthetic problems scaled by {QUICK_SCALE}, one repeat")
    parser.add_argument("--tasks", nargs="+", choices=sorted(TASKS), default=list(TASKS))
    parser.add_argument("--problems", nargs="+", default=None,
                        help="restrict to these problems (default: all of each task)")
    parser.add_argument("--libraries", nargs="+", choices=sorted(ADAPTERS),
                        default=list(ADAPTERS))
    parser.add_argument("--repeats", type=int, default=None, help="default 3 (quick: 1)")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds per fit")
    parser.add_argument("--rerun-failed", action="store_true",
                        help="also run the cells that timed out or failed at calibration")
    parser.add_argument("--output", type=Path, default=None,
                        help="default benchmarks/RESULTS.md (quick: _cache/RESULTS-quick.md)")
    args = parser.parse_args(argv)
    args.scale = QUICK_SCALE if args.quick else 1.0
    args.repeats = args.repeats or (1 if args.quick else 3)
    if args.output is None:
        args.output = CACHE / "RESULTS-quick.md" if args.quick else BENCH_DIR / "RESULTS.md"
    return args


def run_library(library, cells, args, tolerances, grids) -> tuple[dict, dict]:
    """Time every cell for one library; returns (worker info, {cell: record})."""
    worker = WorkerProcess(library, CACHE / "logs" / f"{library}.log")
    info = worker.request({"op": "info"}, 300)
    records = {}
    if info["status"] != "ok":
        print(f"[{library}] unavailable: {info.get('message')}", flush=True)
        worker.stop()
        for task, name in cells:
            records[(task.name, name)] = {"status": "unavailable", "message": info.get("message")}
        return info, records
    info["warmup_seconds"] = {}
    for task, name in cells:
        entry = tolerance_entry(tolerances, library, task.name, name)
        tol = float(entry["tol"])
        if entry["status"] in ("timeout", "error") and not args.rerun_failed:
            message = (f"> {args.timeout:.0f} s" if entry["status"] == "timeout"
                       else entry.get("message", "error"))
            records[(task.name, name)] = {
                "status": entry["status"], "tol": tol, "warnings": [],
                "message": f"{message} (at calibration, tol={tol:.0e}; not re-run)"}
            print(f"[{library}] {task.name:17s} {name:15s} skipped ({entry['status']} at "
                  "calibration)", flush=True)
            continue
        out = fit_path(library, task.name, name, args.scale, "run")
        payload = {"task": task.name, "problem": name, "scale": args.scale,
                   "alphas": grids[(task.name, name)].tolist(), "tol": tol, "out": str(out)}
        worker.request({"op": "load", "problem": name, "scale": args.scale}, 300)
        timing = time_cell(worker, payload, args.repeats, args.timeout)
        warm = worker.warm_tasks.get(task.name, {})
        info["warmup_seconds"].setdefault(task.name, warm.get("seconds"))
        records[(task.name, name)] = {"status": timing.status, "seconds": timing.seconds,
                                      "best": timing.best, "tol": tol, "message": timing.message,
                                      "warnings": timing.warnings, "fit": str(out)}
        shown = f"{timing.best:.3f} s" if timing.status == "ok" else timing.status
        print(f"[{library}] {task.name:17s} {name:15s} tol={tol:<8.0e} {shown}", flush=True)
    worker.stop()
    return info, records


def score(cells, records, scale, grids) -> dict:
    """Fill each record's objective / suboptimality; returns reference objectives."""
    references = {}
    for task, name in cells:
        problem = load_problem(name, scale)
        alphas = grids[(task.name, name)]
        start = time.perf_counter()
        reference = reference_objective(task, problem, alphas, scale)
        objectives = {}
        for library, cell_records in records.items():
            record = cell_records.get((task.name, name))
            if record and record["status"] == "ok":
                coefs, intercepts = load_fit(Path(record["fit"]))
                objectives[library] = objective_path(task, problem, alphas, coefs, intercepts)
        best = np.min([reference, *objectives.values()], axis=0)
        for library, objective in objectives.items():
            subopt = relative_suboptimality(objective, best)
            record = records[library][(task.name, name)]
            record["subopt"] = float(subopt.max())
            record["subopt_argmax"] = int(subopt.argmax())
        references[(task.name, name)] = {
            "reference_gap_to_best": float(relative_suboptimality(reference, best).max()),
            "seconds": time.perf_counter() - start}
    return references


def jit_cost() -> str:
    """Output of ``jit_cost.py`` (import + first fit, in fresh processes)."""
    result = subprocess.run([sys.executable, str(BENCH_DIR / "jit_cost.py"), "--markdown"],
                            capture_output=True, text=True, timeout=900,
                            env=worker_environment())
    return result.stdout if result.returncode == 0 else f"jit_cost.py failed:\n{result.stderr}"


def main(argv=None) -> None:
    args = parse_args(argv)
    started = time.time()
    cells = selected_cells(args)
    grids = {}
    for task, name in cells:  # generates and caches the problems on first use
        grids[(task.name, name)] = task.alphas(load_problem(name, args.scale))
    tolerances = load_tolerances()
    infos, records = {}, {}
    for library in args.libraries:
        infos[library], records[library] = run_library(library, cells, args, tolerances, grids)
    print("scoring against the references ...", flush=True)
    references = score(cells, records, args.scale, grids)
    first_call = jit_cost() if not args.quick else "(skipped in --quick mode)"
    meta = {"command": " ".join(["python benchmarks/run.py", *(argv or sys.argv[1:])]),
            "quick": args.quick, "scale": args.scale, "repeats": args.repeats,
            "timeout": args.timeout, "target": TARGET_SUBOPTIMALITY,
            "wall_seconds": time.time() - started, "platform": platform.platform(),
            "revision": revision(),
            "date": time.strftime("%Y-%m-%d %H:%M:%S %Z")}
    write_report(args.output, meta, cells, infos, records, references, first_call)
    dump = {"meta": meta, "infos": infos, "records": {
        lib: {f"{t}/{p}": rec for (t, p), rec in recs.items()} for lib, recs in records.items()}}
    write_json(args.output.with_suffix(".json"), dump)
    print(f"wrote {args.output} in {time.time() - started:.0f} s", flush=True)


if __name__ == "__main__":
    main()
