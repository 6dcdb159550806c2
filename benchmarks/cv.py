"""Cross-validation benchmark: 5-fold LassoCV over 100 alphas, and RidgeCV over 100 alphas.

    python benchmarks/cv.py                    # full run -> benchmarks/CV_RESULTS.md / .json
    python benchmarks/cv.py --quick            # 1/4-size synthetic problems, no poly3 (< 2 min)
    python benchmarks/cv.py --libraries shrinkage sklearn --problems dense_tall diabetes
    python benchmarks/cv.py --no-ridge         # LassoCV part only (or --no-lasso)
    python benchmarks/cv.py --profile dense_tall [--profile-what lasso|ridge|ridge5]

What each library runs, the folds, the grids and the exact CV curve the chosen alphas
are checked against: ``cv_tasks.py``. The tables: ``cv_report.py``.

**Timing** (``timing.time_cells``). Every library runs in its own worker process
(``worker.py LIBRARY cv``, under the interpreter of its environment, ``harness.py``),
every thread pool at one thread, warmed up first on tiny problems (Numba compilation,
imports). Each cell
is run once ("first run on this problem") and, if that took under 5 s, three more
times: the time is the median of those three. A cell over 5 s is timed once; a run
over 60 s is killed (``> 60 s``). Cells whose 100-alpha path alone timed out or failed
in ``tolerances.json`` are not run. Per problem, the libraries take turns (all first
runs, then the repeats round-robin). The machine may be shared: before each run the
driver waits (120 s in all at most, ``--wait-budget``) until other processes use
< 0.15 cores, measures the CPU other processes used during the run (``/proc``),
re-runs a contaminated
repeat (> 0.25 cores) up to 4 times, and marks cells whose kept runs were
contaminated with † in the report.
"""

from __future__ import annotations

import single_thread  # noqa: F401  # isort: skip  (limits thread pools before numpy)

import argparse
import platform
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from calibrate import TOLERANCES, load_tolerances, tolerance_entry
from cv_report import rerender, write_outputs
from cv_tasks import (
    LASSO_TASK,
    N_FOLDS,
    accuracy,
    cv_shrinkage,
    exact_cv_curve,
    kfold_ids,
    ridge_cv,
    ridge_grid,
)
from harness import BENCH_DIR, WorkerProcess
from problems import load_problem
from report import revision
from timing import WAIT_BUDGET_S, LoadMonitor, MonitoredWorker, time_cells

LIBRARIES = ("shrinkage", "sklearn", "skglm", "celer", "glum", "adelie", "glmnet")
PROBLEMS = ("dense_tall", "dense_wide", "sparse", "diabetes", "diabetes_poly3")
QUICK_PROBLEMS = ("dense_tall", "dense_wide", "sparse", "diabetes")
RIDGE_PROBLEMS = ("dense_tall", "dense_wide", "diabetes", "diabetes_poly3")
QUICK_SCALE = 0.25


def cv_process(library: str, log_name: str, extra_env: dict | None = None) -> WorkerProcess:
    """A worker process running the CV operations (``worker.py LIBRARY cv``)."""
    return WorkerProcess(library, BENCH_DIR / "_cache" / "logs" / log_name, kind="cv",
                         extra_env=extra_env)


def make_driver(library, warmup_request, timeout, monitor) -> MonitoredWorker:
    """A CV worker that waits for a quiet machine before each timed run."""
    return MonitoredWorker(cv_process(library, f"cv-{library}.log"), warmup_request, timeout,
                           monitor)


def skip_reason(tolerances, library, name) -> tuple[float, str | None]:
    """Calibrated path tolerance, and why the cell is not run (its path failed)."""
    entry = tolerance_entry(tolerances, library, "lasso_path", name)
    if entry["status"] == "uncalibrated":
        return entry["tol"], None
    if entry["status"] == "timeout":
        return entry["tol"], "path alone > 60 s at calibration: CV not run"
    if entry["status"] == "error":
        return entry["tol"], f"path failed at calibration ({entry.get('message', '')[:80]})"
    return float(entry["tol"]), None


def run_lasso(args, setups, tolerances, monitor) -> tuple[dict, dict]:
    infos, drivers, columns = {}, {}, []
    for library in args.libraries:
        n_jobs_list = ([1, 2] if (library == "shrinkage" and args.two_jobs and not args.quick)
                       else [1])
        driver = make_driver(library, {"n_jobs": n_jobs_list}, args.timeout, monitor)
        info = driver.info()
        infos[library] = info
        if info["status"] != "ok":
            print(f"[{library}] unavailable: {info.get('message')}", flush=True)
            driver.stop()
            driver = None
        else:
            warm = driver.ensure_warm()
            print(f"[{library}] warm-up {warm['status']} "
                  f"({driver.warmup_seconds or float('nan'):.1f} s)", flush=True)
        drivers[library] = driver
        for n_jobs in n_jobs_list:
            columns.append((library if n_jobs == 1 else f"{library} (n_jobs={n_jobs})",
                            library, n_jobs))
    records = {}
    for name, setup in setups.items():
        cells = {}
        for column, library, n_jobs in columns:
            tol, reason = skip_reason(tolerances, library, name)
            if drivers[library] is None:
                records[(column, name)] = {"status": "unavailable", "tol": tol}
                continue
            if reason is not None:
                records[(column, name)] = {"status": "skipped", "message": reason, "tol": tol}
                continue
            payload = {"op": "cv", "problem": name, "scale": args.scale,
                       "alphas": setup["alphas"].tolist(), "foldid": setup["foldid"].tolist(),
                       "tol": tol, "n_jobs": n_jobs}
            cells[(column, name)] = (drivers[library], payload)
        for key, record in time_cells(cells, args.repeats).items():
            record["tol"] = cells[key][1]["tol"]
            records[key] = record
        for column, _, _ in columns:
            record = records[(column, name)]
            shown = (f"{record['time_s']:.3f} s (first {record['first_s']:.3f} s, "
                     f"n={record['n_timed']}, foreign load {record['max_foreign']:.2f}) "
                     f"alpha={record['alpha']:.4g}" if record["status"] == "ok" else
                     f"{record['status']} {record.get('message', '')}")
            print(f"[{column}] {name:15s} tol={record.get('tol', float('nan')):<8.2g} {shown}",
                  flush=True)
    for library, driver in drivers.items():
        if driver is not None:
            infos[library]["warmup_seconds"] = driver.warmup_seconds
            driver.stop()
    return infos, records


def run_ridge(args, setups, monitor) -> dict:
    out = {"decomposition": {}, "cells": {}}
    drivers = {lib: make_driver(lib, {"lasso": False, "ridge": True}, args.ridge_timeout, monitor)
               for lib in ("shrinkage", "sklearn")}
    names = [n for n in RIDGE_PROBLEMS if n in setups or n in args.ridge_problems]
    for name in names:
        problem = load_problem(name, args.scale)
        grid = ridge_grid(problem.X)
        foldid = kfold_ids(problem.shape[0])
        out["decomposition"][name] = drivers["shrinkage"].measured(
            {"op": "decomposition", "problem": name, "scale": args.scale})
        for mode, ids in (("loo", None), ("kfold", foldid)):
            cells = {(library, name, mode): (driver, {
                "op": "ridge", "problem": name, "scale": args.scale, "alphas": grid.tolist(),
                "foldid": None if ids is None else ids.tolist()})
                for library, driver in drivers.items()}
            for (library, _, _), record in time_cells(cells, args.repeats).items():
                record["grid"] = [float(grid[0]), float(grid[-1])]
                if record["status"] == "ok":
                    record["index"] = int(np.argmin(np.abs(np.log(grid) - np.log(record["alpha"]))))
                out["cells"][(library, name, mode)] = record
                shown = (f"{record['time_s']:.3f} s (n={record['n_timed']}, foreign load "
                         f"{record['max_foreign']:.2f}) alpha index "
                         f"{record['index']}" if record["status"] == "ok"
                         else f"{record['status']} {record.get('message', '')}")
                print(f"[ridge {mode:5s}] {library:9s} {name:15s} {shown}", flush=True)
    for driver in drivers.values():
        driver.stop()
    return out


def run_first_calls() -> list[dict]:
    """shrinkage (empty Numba cache, then the cache it wrote) and scikit-learn, each in a
    fresh worker without warm-up."""
    rows = []
    with tempfile.TemporaryDirectory(prefix="numba-cache-cv-") as cache:
        for label, library, env in (
                ("shrinkage, empty Numba cache (compiles)", "shrinkage",
                 {"NUMBA_CACHE_DIR": cache}),
                ("shrinkage, Numba cache of the run above", "shrinkage",
                 {"NUMBA_CACHE_DIR": cache}),
                ("scikit-learn", "sklearn", {})):
            process = cv_process(library, f"cv-first-{library}.log", env)
            reply = process.request({"op": "first_call"}, 900)
            process.stop()
            rows.append({"label": label, **reply})
            print(f"[first call] {label}: {reply}", flush=True)
    return rows


# ----------------------------------------------------------------------- profiling ----
def profile(name, what, scale) -> None:
    """cProfile of one shrinkage CV fit (after a warm-up fit), top functions."""
    import cProfile
    import pstats

    tolerances = load_tolerances(TOLERANCES)
    problem = load_problem(name, scale)
    foldid = kfold_ids(problem.shape[0])
    if what == "lasso":
        alphas = LASSO_TASK.alphas(problem)
        tol, _ = skip_reason(tolerances, "shrinkage", name)

        def call():
            return cv_shrinkage(problem.X, problem.y, alphas, foldid, tol)
    else:
        grid = ridge_grid(problem.X)

        def call():
            return ridge_cv("shrinkage", problem.X, problem.y, grid,
                            foldid if what == "ridge5" else None)
    call()  # warm-up (JIT, imports)
    start = time.perf_counter()
    call()
    print(f"{what} on {name}: {time.perf_counter() - start:.3f} s (unprofiled)")
    profiler = cProfile.Profile()
    profiler.enable()
    call()
    profiler.disable()
    stats = pstats.Stats(profiler).strip_dirs()
    stats.sort_stats("tottime").print_stats(25)
    stats.sort_stats("cumulative").print_stats(30)


# ---------------------------------------------------------------------------- main ----
def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--quick", action="store_true",
                        help=f"synthetic problems scaled by {QUICK_SCALE}, no poly3, 1 repeat")
    parser.add_argument("--libraries", nargs="+", choices=LIBRARIES, default=list(LIBRARIES))
    parser.add_argument("--problems", nargs="+", choices=PROBLEMS, default=None)
    parser.add_argument("--repeats", type=int, default=None, help="default 3 (quick: 1)")
    parser.add_argument("--timeout", type=float, default=None,
                        help="seconds per LassoCV run (default 60; quick 30)")
    parser.add_argument("--no-lasso", action="store_true")
    parser.add_argument("--no-ridge", action="store_true")
    parser.add_argument("--no-first-call", action="store_true")
    parser.add_argument("--no-two-jobs", dest="two_jobs", action="store_false",
                        help="skip the shrinkage n_jobs=2 line")
    parser.add_argument("--output", type=Path, default=None)
    parser.add_argument("--wait-budget", type=float, default=None,
                        help="seconds in all to wait for a quiet machine before runs "
                             f"(default {WAIT_BUDGET_S:.0f}; quick 15)")
    parser.add_argument("--from-json", metavar="PATH",
                        help="only rewrite the markdown from a saved CV_RESULTS.json")
    parser.add_argument("--profile", metavar="PROBLEM", choices=PROBLEMS)
    parser.add_argument("--profile-what", choices=("lasso", "ridge", "ridge5"), default="lasso")
    args = parser.parse_args(argv)
    args.scale = QUICK_SCALE if args.quick else 1.0
    args.repeats = args.repeats or (1 if args.quick else 3)
    args.timeout = args.timeout or (30.0 if args.quick else 60.0)
    args.ridge_timeout = 60.0 if args.quick else 150.0
    if args.wait_budget is None:
        args.wait_budget = 15.0 if args.quick else WAIT_BUDGET_S
    if args.problems is None:
        args.problems = list(QUICK_PROBLEMS if args.quick else PROBLEMS)
    args.ridge_problems = [n for n in args.problems if n in RIDGE_PROBLEMS]
    if args.output is None:
        args.output = (BENCH_DIR / "_cache" / "CV_RESULTS-quick.md" if args.quick
                       else BENCH_DIR / "CV_RESULTS.md")
    return args


def main(argv=None) -> None:
    args = parse_args(argv)
    if args.worker:  # the old way to start a CV worker: ``worker.py LIBRARY cv`` now
        from worker import serve, worker_class

        serve(worker_class("cv")(args.worker))
        return
    if args.profile:
        profile(args.profile, args.profile_what, args.scale)
        return
    if args.from_json:
        rerender(args)
        return
    from sklearn.model_selection import KFold

    started = time.time()
    revision_at_start = revision()
    monitor = LoadMonitor(args.wait_budget)
    tolerances = load_tolerances(TOLERANCES)
    setups = {}
    if not args.no_lasso:
        for name in args.problems:
            problem = load_problem(name, args.scale)
            foldid = kfold_ids(problem.shape[0])
            for k, (_, test) in enumerate(KFold(N_FOLDS).split(problem.X)):
                assert np.array_equal(np.flatnonzero(foldid == k), test), "fold mismatch"
            alphas = LASSO_TASK.alphas(problem)
            exact = exact_cv_curve(name, args.scale, problem, alphas, foldid)
            mean = exact["fold_mse"].mean(axis=1)
            best = int(np.argmin(mean))
            se = float(exact["fold_mse"][best].std(ddof=1) / np.sqrt(N_FOLDS))
            setups[name] = {"shape": list(problem.shape), "alphas": alphas, "foldid": foldid,
                            "exact": {"mean": mean, "index": best, "alpha": float(alphas[best]),
                                      "min": float(mean[best]), "se": se,
                                      "seconds": exact["seconds"]}}
            print(f"[exact] {name:15s} min CV MSE {mean[best]:.6g} at index {best} "
                  f"({exact['seconds']:.1f} s to compute, cached)", flush=True)
    infos, records, accuracies = {}, {}, {}
    if setups:
        infos, records = run_lasso(args, setups, tolerances, monitor)
        for (library, name), record in records.items():
            if record["status"] == "ok":
                exact = setups[name]["exact"]
                accuracies[(library, name)] = accuracy(record, setups[name]["alphas"],
                                                       exact["mean"], exact["se"])
    ridge = None
    if not args.no_ridge and args.ridge_problems:
        ridge = run_ridge(args, {n: None for n in args.ridge_problems}, monitor)
        ridge["shapes"] = {n: list(load_problem(n, args.scale).shape)
                           for n in ridge["decomposition"]}
    first_calls = [] if (args.no_first_call or args.quick) else run_first_calls()
    meta = {"command": " ".join(["python benchmarks/cv.py", *(argv or sys.argv[1:])]),
            "quick": args.quick, "scale": args.scale, "repeats": args.repeats,
            "timeout": args.timeout, "wall_seconds": time.time() - started,
            "platform": platform.platform(), "revision": revision(),
            "revision_at_start": revision_at_start,
            "waited_for_quiet_s": monitor.waited_s,
            "date": time.strftime("%Y-%m-%d %H:%M:%S %Z")}
    write_outputs(args, meta, setups, infos, records, accuracies, ridge, first_calls)
    print(f"wrote {args.output} in {time.time() - started:.0f} s", flush=True)


if __name__ == "__main__":
    main()
