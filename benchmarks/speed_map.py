"""Speed map: shrinkage against the fastest anchor on a grid of shapes, not four points.

    python benchmarks/speed_map.py --quick          # smoke run (< 3 min): see below
    python benchmarks/speed_map.py                  # the whole grid (hours)
    python benchmarks/speed_map.py --sizes medium --kinds f64 --rhos 0.6 --tasks lasso_path
    python benchmarks/speed_map.py --problems 3000x800-r0.6-f64 7000x300-r0.3-f32  # off grid

The workers import whichever ``shrinkage`` Python finds: to time a working tree that is
not the installed one, run with ``PYTHONPATH=$PWD/src`` (the workers inherit it).

Grid (issue 13): ``n/p`` in {1/30, 1/10, 1/3, 1, 2, 4, 10, 40}; AR(1) feature correlation
``rho`` in {0, 0.6, 0.95}; sizes ``n·p`` of about 1e4 (small), 1e6 (medium), 1e7 (large);
data dense float64 and float32, and CSC at densities 1e-3 and 1e-2 (no correlation,
medium and large only: a small sparse matrix has a handful of non-zeros); tasks: lasso
path and elastic-net path (``l1_ratio=0.5``, 100 alphas), L1-logistic path (50 alphas),
one lasso fit at ``alpha_max/20`` and 5-fold ``LassoCV`` (100 alphas, ``KFold(5)``).
Problems are made by ``problems.map_problem`` (named ``map-{n}x{p}-r{rho}-{kind}``).
``--problems`` times named shapes off the grid instead (any ``n``, ``p``, ``rho``, kind;
written to ``_cache/off_grid/`` unless ``--out`` says otherwise, never into the map): the
check on shapes nothing was tuned on.

Everything runs on the harness of ``run.py`` / ``calibrate.py`` (one worker process
per library, every thread pool at one thread, warm-up first): per cell and library,
``calibrate.search`` finds the loosest tolerance reaching a relative suboptimality of
1e-6 along the path (against shrinkage at tol 1e-13), kept in
``speed_map_tolerances.json``; the search starts at the tolerance calibrated for the
nearest cell already in that file (same library and task), so it usually takes two
fits, not five or six at ever tighter tolerances; then the libraries take turns
(interleaved rounds) and the best time counts. ``LassoCV`` takes each library's
calibrated lasso-path tolerance on the same data (scikit-learn gets ``max_iter`` high
enough to converge). The anchors are scikit-learn, skglm, adelie, python-glmnet and R's
glmnet (``Rscript``, timed in R with ``system.time``, ``glmnet.control(fdev=0)``); one
that is not installed is skipped.

Fits are timed by the worker's CPU time (``--clock cpu``, the default; R's glmnet by the
user + system time of ``system.time``): every pool runs one thread, so CPU time is the
fit's own work, and a shared, loaded machine does not inflate one library's turn more
than another's. ``--clock wall`` times wall-clock instead. ``--merge`` adds the cells of
a run to those already in the output JSON (a cell measured again replaces its record),
so slices run on different days build one map; every cell records its clock, the
commit timed (``+`` for uncommitted changes under ``src/``) and the date.

Before each timed fit the driver flushes pending file writes (``os.sync``: R's adapter
writes X for every fit, and the writeback would otherwise run during the next library's
fit) and the worker touches and frees twice the data's bytes (``worker.recycle_memory``:
on a virtual machine with free page reporting, memory idle for ~2 s goes back to the
host and touching it again costs system time, 0.2 s for an 80 MB copy here). Each worker
reports the best fit's system time, page faults and involuntary context switches with
the results (``usage`` in the JSON).

``OPENBLAS_CORETYPE`` and ``OPENBLAS_L2_SIZE`` are removed from this command's
environment (as on a user's machine), unless ``--keep-openblas-env``; the BLAS kernel
every worker reports (threadpoolctl) is written with the results, as is the load
average of the machine at each cell.

``--quick`` is a smoke run of the whole pipeline in under 3 minutes: 15 cells (every
task on the small size, dense float64, rho = 0.6, n/p in {1/10, 1, 10}), tolerances
from the file (no search), a 5 s time-out per fit, and the anchors that were the fastest
in some cell of the full or the quick map -- scikit-learn, adelie and R's glmnet. skglm
(never the fastest in any cell measured, its Numba kernels compiled at every worker
start) and python-glmnet are left out unless named with ``--libraries``.

Output: ``SPEED_MAP.md`` (table, geometric mean of the ratios), ``SPEED_MAP.json`` and
``speed_map.png`` (heat map of shrinkage's time / the fastest anchor's, per cell);
``--quick`` writes them under ``_cache/`` unless ``--out`` says otherwise.
"""

import single_thread  # noqa: I001  (limits thread pools before numpy loads)

single_thread.drop_openblas_overrides()  # as on a user's machine (workers inherit it)

import argparse  # noqa: E402
import contextlib  # noqa: E402
import math  # noqa: E402
import os  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
from calibrate import START, Cell, load_tolerances, save, search  # noqa: E402
from harness import (  # noqa: E402
    BENCH_DIR,
    CACHE,
    TARGET_SUBOPTIMALITY,
    WorkerProcess,
    load_fit,
    objective_path,
    reference_objective,
)
from objectives import relative_suboptimality  # noqa: E402
from problems import MAP_PREFIX, load_problem, map_name, parse_map_name  # noqa: E402
from report import (  # noqa: E402
    environment_section,
    fastest,
    geometric_mean,
    markdown_table,
    write_json,
)
from report import write_markdown as write_lines  # noqa: E402
from tasks import TASKS  # noqa: E402
from timing import interleaved_best  # noqa: E402

RATIOS = {"1/30": 1 / 30, "1/10": 0.1, "1/3": 1 / 3, "1": 1.0, "2": 2.0, "4": 4.0, "10": 10.0,
          "40": 40.0}
RHOS = (0.0, 0.6, 0.95)
SIZES = {"small": 1e4, "medium": 1e6, "large": 1e7}
KINDS = ("f64", "f32", "sp0.001", "sp0.01")
MAP_TASKS = ("lasso_path", "enet_path", "logistic_l1_path", "single_lasso", "lasso_cv")
ANCHORS = ("sklearn", "skglm", "adelie", "glmnet", "rglmnet")
#: the anchors of --quick: those fastest in some cell of the full or the quick map
QUICK_ANCHORS = ("sklearn", "adelie", "rglmnet")
TOLERANCE_FILE = BENCH_DIR / "speed_map_tolerances.json"
#: CV runs the path on 5 folds: the slowest library may take this many path times
CV_TIMEOUT_FACTOR = 8


def shape(size: float, ratio: float) -> tuple[int, int]:
    return max(int(round(math.sqrt(size * ratio))), 20), max(int(round(math.sqrt(size / ratio))), 3)


def off_grid_name(text: str) -> str:
    """``map-{n}x{p}-r{rho}-{kind}`` (the ``map-`` prefix optional) in its canonical
    spelling, or an ``argparse`` error that names the expected form."""
    name = text if text.startswith(MAP_PREFIX) else MAP_PREFIX + text
    try:
        n, p, rho, kind = parse_map_name(name)
    except ValueError:
        n = p = rho = kind = None
    if n is None or n < 2 or p < 1 or not 0.0 <= rho < 1.0 or kind not in KINDS:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a problem name: write NxP-rRHO-KIND, e.g. 3000x800-r0.6-f64 "
            f"(n >= 2 rows, p >= 1 columns, 0 <= RHO < 1, KIND one of {', '.join(KINDS)})")
    return map_name(n, p, rho, kind)


def grid_problems(args) -> list[str]:
    if args.problems:
        return list(dict.fromkeys(args.problems))  # (in order, once each)
    names = []
    for size_name in args.sizes:
        for kind in args.kinds:
            sparse = kind.startswith("sp")
            if sparse and size_name == "small":
                continue
            for ratio_name in args.ratios:
                n, p = shape(SIZES[size_name], RATIOS[ratio_name])
                for rho in ((0.0,) if sparse else args.rhos):
                    if sparse and n * p * float(kind[2:]) < 2000:
                        continue
                    names.append(map_name(n, p, rho, kind))
    return names


class StartUpAllowance:
    """A worker whose fits may take ``extra`` seconds more than the time-out: R's glmnet
    starts ``Rscript`` for every fit (a second or more; far more on a loaded machine) and is
    timed inside R, so the time-out, which is about the fit, must not count the start-up
    (a time-out kills the worker, and the next fit pays a fresh warm-up)."""

    def __init__(self, worker, extra: float):
        self.worker, self.extra = worker, extra
        self.library = worker.library

    def warm_up(self, task_name: str) -> dict:
        return self.worker.warm_up(task_name)

    def request(self, payload: dict, timeout: float) -> dict:
        return self.worker.request(payload, timeout + self.extra)

    def stop(self) -> None:
        self.worker.stop()


#: seconds of start-up a fit may add to the time-out, per library (see StartUpAllowance)
START_UP_S = {"rglmnet": 30.0}


def nearest_calibrated_tol(entries: dict, name: str) -> float | None:
    """Tolerance calibrated for the grid cell nearest to ``name`` among ``entries``
    (``{problem: entry}`` of one library and task), or None when none reached the target.

    Distance: |log n/n'| + |log p/p'| + 3|rho − rho'|, plus 1 for another data kind
    (correlation moves the tolerance a library needs most: rho 0.95 cells need decades
    tighter ones than rho 0 or 0.6). Neighbouring cells need about the same tolerance
    (it depends on how the library's stopping rule relates to suboptimality, which
    moves slowly with shape), so
    the search started there confirms it with one looser fit instead of walking the grid
    from a fixed guess -- at large sizes each of those fits of a slow library takes minutes.
    """
    n, p, rho, kind = parse_map_name(name)
    best, best_distance = None, math.inf
    for other, entry in entries.items():
        if other == name or not other.startswith("map-") or not entry.get("reached"):
            continue
        n2, p2, rho2, kind2 = parse_map_name(other)
        distance = (abs(math.log(n / n2)) + abs(math.log(p / p2)) + 3 * abs(rho - rho2)
                    + (kind != kind2))
        if distance < best_distance:
            best, best_distance = entry["tol"], distance
    return best


def tolerance(worker, task, problem, args) -> dict:
    """Calibrated tolerance of a cell (searched once, then read from the file)."""
    library = worker.library
    path_task = TASKS["lasso_path"] if task.name == "lasso_cv" else task
    known = load_tolerances(TOLERANCE_FILE).get(library, {}).get(path_task.name, {}).get(
        problem.name)
    if known is not None and not args.recalibrate:
        return known
    cell = Cell(worker, path_task, problem, args.timeout)
    calibrated = load_tolerances(TOLERANCE_FILE).get(library, {}).get(path_task.name, {})
    default_start = START.get(library, 1e-6)
    start = nearest_calibrated_tol(calibrated, problem.name) or default_start
    # No plateau verdict among tolerances looser than the library's usual first guess
    # (a neighbour's may be far looser than this cell needs).
    entry = search(cell, start, plateau_below=default_start)
    save(library, path_task.name, problem.name, entry, TOLERANCE_FILE)
    return entry


def run_cell(workers, task, name, args) -> dict:
    problem = load_problem(name)
    if task.loss == "logistic" and problem.y01 is None:
        return {}
    path_task = TASKS["lasso_path"] if task.name == "lasso_cv" else task
    alphas = path_task.alphas(problem)
    record = {"task": task.name, "problem": name, "shape": list(problem.shape),
              "load_before": os.getloadavg()[0], "libraries": {}}
    payloads = {}
    for library, worker in workers.items():
        entry = tolerance(worker, task, problem, args)
        info = {"tol": entry["tol"], "reached": entry.get("reached"),
                "subopt": entry.get("subopt"), "status": entry["status"]}
        if entry["status"] != "ok":
            info["seconds"] = None
        else:
            # (per process: two runs in one tree must not read each other's fits)
            out = CACHE / "fits" / library / f"speed_map_{os.getpid()}.npz"
            out.parent.mkdir(parents=True, exist_ok=True)  # a fresh checkout has no _cache
            payloads[library] = {"task": task.name, "problem": name, "scale": 1.0,
                                 "alphas": alphas.tolist(), "tol": entry["tol"],
                                 "out": str(out)}
        record["libraries"][library] = info
    if args.quick and "shrinkage" in payloads:
        # One untimed fit on the cell's own data first: with a cold Numba cache the kernels
        # for this shape compile here, not inside the short time-out of --quick (which would
        # kill the worker mid-compilation, every time).
        workers["shrinkage"].request({"op": "fit", **payloads["shrinkage"]}, 600)
    timeout = args.timeout * (CV_TIMEOUT_FACTOR if task.name == "lasso_cv" else 1)
    timings = interleaved_best(workers, payloads, args.repeats, timeout, args.repeat_below)
    for library, timing in timings.items():
        info = record["libraries"][library]
        if timing.status != "ok":
            info["status"], info["message"] = timing.status, timing.message
        info["seconds"] = timing.best if timing.status == "ok" and timing.seconds else None
        if timing.best_usage:
            info["usage"] = timing.best_usage
    if task.name != "lasso_cv":  # (a CV fit has no path objective; its tol is the path's)
        check_timed_accuracy(path_task, problem, alphas, payloads, record)
    for payload in payloads.values():
        Path(payload["out"]).unlink(missing_ok=True)
    record["load_after"] = os.getloadavg()[0]
    record["ratio"] = ratio_of(record)
    return record


def check_timed_accuracy(task, problem, alphas, payloads, record) -> None:
    """Score the fits just timed as the calibration scored its trials, and mark a
    library whose fit missed the target (``reached`` False, ``timed_subopt``).

    A tolerance is calibrated once; a later change of a solver's stopping point (or of
    a library's version) can leave it too loose. Without this check the map went on
    reporting the old accuracy (lasso path 4472x2236 rho 0.6: calibrated at 1e-3 with
    a suboptimality of 4.8e-7, which the code of a later stop turned into 1.5e-5). The
    reference here (the tight shrinkage fit and this cell's timed fits) is never below
    the calibration's (the best of all its trials), so a fit that passed calibration
    passes here too: no slack."""
    objectives = {}
    for library, payload in payloads.items():
        if record["libraries"][library].get("seconds"):
            coefs, intercepts = load_fit(Path(payload["out"]))
            objectives[library] = objective_path(task, problem, alphas, coefs, intercepts)
    if not objectives:
        return
    reference = reference_objective(task, problem, alphas, 1.0)
    for objective in objectives.values():
        reference = np.minimum(reference, objective)
    for library, objective in objectives.items():
        info = record["libraries"][library]
        info["timed_subopt"] = float(relative_suboptimality(objective, reference).max())
        if info["timed_subopt"] > TARGET_SUBOPTIMALITY:
            info["reached"] = False


def _anchor_times(record) -> dict[str, float]:
    """Times of the anchors that reached the target accuracy."""
    return {k: v["seconds"] for k, v in record["libraries"].items()
            if k != "shrinkage" and v.get("seconds") and v.get("reached", True) is not False}


def ratio_of(record) -> float | None:
    """Our time over the fastest anchor's at equal accuracy; None when either side has
    no fit that reached the target (ours missing it: recalibrate the cell)."""
    if record["libraries"].get("shrinkage", {}).get("reached") is False:
        return None
    ours = record["libraries"].get("shrinkage", {}).get("seconds")
    anchors = _anchor_times(record)
    if not ours or not anchors:
        return None
    return ours / anchors[fastest(anchors)]


def best_anchor(record) -> str:
    return fastest(_anchor_times(record)) or "-"


def _row(r) -> list[str]:
    libs = r["libraries"]
    ours = libs.get("shrinkage", {}).get("seconds")
    anchor = best_anchor(r)
    anchor_s = libs.get(anchor, {}).get("seconds") if anchor != "-" else None
    everyone = ", ".join(
        f"{k} {v['seconds']:.3g}{'' if v.get('reached', True) is not False else '*'}"
        if v.get("seconds") else f"{k} {v.get('status')}" for k, v in libs.items())
    ratio = f"**{r['ratio']:.2f}**" if r.get("ratio") and r["ratio"] > 1 else (
        f"{r['ratio']:.2f}" if r.get("ratio") else "-")
    run = f"{r['load_before']:.1f}, {r.get('clock', 'wall')}, {r.get('commit', '?')}"
    if ours and anchor_s:
        return [r["task"], r["problem"][4:], f"{ours:.3g}", anchor, f"{anchor_s:.3g}", ratio,
                everyone, run]
    # no anchor reached the target: our seconds as in the other rows (or "-" if none)
    return [r["task"], r["problem"][4:], f"{ours:.3g}" if ours else "-", anchor, "-", "-",
            everyone, run]


def cell_order(record) -> tuple:
    """Table order: task, data kind, size decade, correlation, then n/p."""
    n, p = record["shape"]
    kind, rho = record["problem"].split("-")[-1], record["problem"].split("-")[2]
    return (MAP_TASKS.index(record["task"]) if record["task"] in MAP_TASKS else 99, kind,
            round(math.log10(n * p)), rho, n / p)


def write_markdown(records, infos, path: Path, elapsed: float) -> None:
    ratios = [r["ratio"] for r in records if r.get("ratio")]
    lines = ["# Speed map", "",
             "Ratio = shrinkage's time / the fastest anchor's, at equal accuracy (each library",
             "at its calibrated tolerance: max relative suboptimality along the path <= 1e-6;",
             "cells timed from stop 24 (2026-12-02) on also score the fits timed; a library",
             "whose fit missed 1e-6 is marked *, a cell whose own fit missed has no ratio),",
             "one thread, best of the interleaved repeats, timed by each worker's CPU time",
             "(`--clock cpu`; R's glmnet: user + system time of `system.time`) unless a",
             "cell says wall. Before each timed fit the harness flushes file writes",
             "(`os.sync`) and the worker touches and frees twice the data's bytes, so no fit",
             "pays for the previous one's writeback or for memory its virtual machine handed",
             "back to the host (cells timed before commit 1b0e69f lack the second).",
             "Generated by `benchmarks/speed_map.py`; a cell's last column",
             "gives the load average before it, its clock and the commit timed.", "",
             f"**Geometric mean of the ratios: {geometric_mean(ratios):.2f}** over "
             f"{len(ratios)} cells ({sum(r <= 1.0 for r in ratios)} at or below 1.0). "
             + (f"Wall time of the last run {elapsed:.0f} s." if elapsed else ""), ""]
    lines += environment_section(infos)
    header = ["task", "problem (n x p, rho, kind)", "shrinkage s", "fastest anchor", "its s",
              "ratio", "all (s; * = target accuracy not reached)", "load, clock, commit"]
    ordered = sorted(records, key=cell_order)
    lines += ["## Cells", "", *markdown_table(header, (_row(r) for r in ordered))]
    write_lines(path, lines)


def write_figure(records, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.colors import LogNorm

    panels = sorted({(r["task"], r["problem"].split("-")[-1]) for r in records})
    if not panels:
        return
    ncols = min(len(panels), 3)
    nrows = math.ceil(len(panels) / ncols)
    # Constrained layout: each panel has its own row labels and x label, which the
    # default layout lets overlap the neighbouring panels.
    fig, axes = plt.subplots(
        nrows, ncols, figsize=(5.6 * ncols, 3.4 * nrows), squeeze=False, constrained_layout=True
    )
    norm = LogNorm(vmin=0.1, vmax=10.0)
    image = None
    for ax, (task, kind) in zip(axes.flat, panels, strict=False):
        cells = [r for r in records if r["task"] == task and r["problem"].endswith(kind)]
        def row_of(r):  # size class (decade of n·p) and correlation
            return round(math.log10(r["shape"][0] * r["shape"][1])), r["problem"].split("-")[2]

        def col_of(r):  # the grid's nominal n/p (rounding of n and p moves the exact one)
            exact = r["shape"][0] / r["shape"][1]
            return min(RATIOS.values(), key=lambda ratio: abs(math.log(exact / ratio)))

        rows = sorted({row_of(r) for r in cells})
        cols = sorted({col_of(r) for r in cells})
        grid = np.full((len(rows), len(cols)), np.nan)
        for r in cells:
            i = rows.index(row_of(r))
            j = cols.index(col_of(r))
            if r.get("ratio"):
                grid[i, j] = r["ratio"]
        image = ax.imshow(grid, cmap="RdYlGn_r", norm=norm, aspect="auto")
        for (i, j), value in np.ndenumerate(grid):
            if np.isfinite(value):
                ax.text(j, i, f"{value:.2f}", ha="center", va="center", fontsize=7)
        ax.set_xticks(range(len(cols)), [f"{c:.2g}" for c in cols], fontsize=7)
        ax.set_yticks(range(len(rows)), [f"n·p 1e{s} {rho}" for s, rho in rows], fontsize=7)
        ax.set_xlabel("n / p")
        ax.set_title(f"{task}, {kind}", fontsize=9)
    for ax in list(axes.flat)[len(panels):]:
        ax.axis("off")
    if image is not None:
        fig.colorbar(image, ax=axes, label="shrinkage / fastest anchor (log)")
    fig.savefig(path, dpi=110)
    plt.close(fig)


def merged_with_disk(records, path: Path) -> list[dict]:
    """``records`` added to the cells on disk now (``--merge``): two runs that merge into
    one folder at the same time each keep the other's cells. Call under :func:`locked`."""
    mine = {(r["task"], r["problem"]) for r in records}
    return [r for r in earlier_records(path) if (r["task"], r["problem"]) not in mine] + records


@contextlib.contextmanager
def locked(path: Path):
    """An exclusive lock on ``path`` + ``.lock`` (read-modify-write of the JSON)."""
    import fcntl

    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_suffix(".lock"), "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def write_outputs(records, infos, args, stem, elapsed, figure=False) -> None:
    """Table and JSON (after every cell: a long run keeps what it measured), figure."""
    path = args.out / f"{stem}.json"
    with locked(path):
        if args.merge:
            records = merged_with_disk(records, path)
        write_json(path, {"records": records, "environment": infos, "elapsed_s": elapsed})
    write_markdown(records, infos, args.out / f"{stem}.md", elapsed)
    if figure:
        write_figure(records, args.out / f"{stem.lower().replace('-', '_')}.png")


def earlier_records(path: Path) -> list[dict]:
    """The cells of an earlier run (``--merge``); none when there is no such file."""
    if not path.exists():
        return []
    import json

    return json.loads(path.read_text())["records"]


def source_commit() -> str:
    """The commit of the source tree being timed (``+`` when it has uncommitted changes)."""
    import subprocess

    def git(*command):
        done = subprocess.run(["git", *command], cwd=BENCH_DIR, capture_output=True, text=True)
        return done.stdout.strip() if done.returncode == 0 else ""

    commit = git("rev-parse", "--short", "HEAD")
    return commit + ("+" if commit and git("status", "--porcelain", "--", "../src") else "")


def combine(args) -> None:
    """``--combine``: one map from the JSON files of slices run apart (no fits)."""
    import json

    stem = "SPEED_MAP-quick" if args.quick else "SPEED_MAP"
    records, infos = [], {}
    for path in args.combine:
        data = json.loads(path.read_text())
        newer = {(r["task"], r["problem"]) for r in data["records"]}
        records = [r for r in records if (r["task"], r["problem"]) not in newer]
        records += data["records"]
        infos.update(data.get("environment", {}))
    args.merge = False  # the listed files are the whole map (name --out's own to keep it)
    write_outputs(records, infos, args, stem, 0.0, figure=True)
    ratios = [r["ratio"] for r in records if r.get("ratio")]
    print(f"{len(records)} cells; geometric mean {geometric_mean(ratios):.2f} over "
          f"{len(ratios)} with a ratio -> {args.out / (stem + '.md')}")


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--tasks", nargs="+", choices=MAP_TASKS, default=list(MAP_TASKS))
    parser.add_argument("--ratios", nargs="+", choices=list(RATIOS), default=list(RATIOS))
    parser.add_argument("--rhos", nargs="+", type=float, default=list(RHOS))
    parser.add_argument("--sizes", nargs="+", choices=list(SIZES), default=list(SIZES))
    parser.add_argument("--kinds", nargs="+", choices=KINDS, default=list(KINDS))
    parser.add_argument("--problems", nargs="+", type=off_grid_name, default=None,
                        metavar="NxP-rRHO-KIND",
                        help="time these shapes instead of the grid (e.g. 3000x800-r0.6-f64); "
                             "outputs go to benchmarks/_cache/off_grid unless --out is given")
    parser.add_argument("--libraries", nargs="+", default=None,
                        help=f"default: shrinkage and {', '.join(ANCHORS)} "
                             f"(--quick: {', '.join(QUICK_ANCHORS)})")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--timeout", type=float, default=60.0)
    parser.add_argument("--repeat-below", type=float, default=10.0,
                        help="a fit slower than this (s) is not repeated")
    parser.add_argument("--recalibrate", action="store_true")
    parser.add_argument("--keep-openblas-env", action="store_true")
    parser.add_argument("--clock", choices=("cpu", "wall"), default="cpu",
                        help="time fits by the worker's CPU time (default: robust on a "
                             "loaded machine, every pool runs one thread) or wall time")
    parser.add_argument("--merge", action="store_true",
                        help="add to the cells already in the output JSON (a cell measured "
                             "again replaces its old record) instead of starting afresh: "
                             "slices run on different days build one map")
    parser.add_argument("--out", type=Path, default=None, help="folder for the outputs")
    parser.add_argument("--combine", nargs="+", type=Path, default=None, metavar="JSON",
                        help="run nothing: merge these SPEED_MAP JSON files (a later file's "
                             "cell replaces an earlier one's) into --out's map, then write "
                             "its table and heat map")
    args = parser.parse_args(argv)
    if args.quick:
        args.ratios, args.rhos, args.sizes, args.kinds = ["1/10", "1", "10"], [0.6], ["small"], [
            "f64"]
        args.timeout, args.repeat_below = min(args.timeout, 5.0), 0.5
    if args.libraries is None:
        args.libraries = ["shrinkage", *(QUICK_ANCHORS if args.quick else ANCHORS)]
    if args.quick and args.problems:
        parser.error("--quick runs its own small grid: drop --problems (or --quick)")
    if args.out is None:
        # (off-grid cells never land in the map by default: they are not its cells)
        args.out = CACHE / "off_grid" if args.problems else CACHE if args.quick else BENCH_DIR
    return args


def main(argv=None) -> None:
    args = parse_args(argv)
    if args.combine:
        combine(args)
        return
    os.environ["BENCH_CLOCK"] = args.clock  # the workers (and Rscript) inherit it
    start = time.perf_counter()
    workers, infos = {}, {}
    for library in args.libraries:
        worker = WorkerProcess(library, CACHE / "logs" / f"speed_map_{library}.log")
        try:
            info = worker.request({"op": "info"}, 300)
        except Exception as error:  # no environment for it
            info = {"status": "error", "message": str(error)}
        if info.get("status") != "ok":
            print(f"[{library}] skipped: {info.get('message', 'unavailable')}", flush=True)
            worker.stop()
            continue
        if library in START_UP_S:
            worker = StartUpAllowance(worker, START_UP_S[library])
        workers[library], infos[library] = worker, info
    if "shrinkage" not in workers:
        raise SystemExit("shrinkage's worker did not start")
    stem = "SPEED_MAP-quick" if args.quick else "SPEED_MAP"
    args.out.mkdir(parents=True, exist_ok=True)
    records = []  # this run's cells (--merge adds those on disk at every write)
    stamp = {"clock": args.clock, "commit": source_commit(), "date": time.strftime("%Y-%m-%d")}
    problems = grid_problems(args)
    for name in problems:
        for task_name in args.tasks:
            record = run_cell(workers, TASKS[task_name], name, args)
            if not record:
                continue
            record.update(stamp)
            records.append(record)
            ratio = record["ratio"]
            print(f"{task_name:17s} {name:28s} ratio "
                  f"{'-' if ratio is None else f'{ratio:.2f}'} vs {best_anchor(record):8s} "
                  f"load {record['load_before']:.1f}  " + "  ".join(
                      f"{k}:{v['seconds']:.3g}" if v.get("seconds") else f"{k}:{v['status']}"
                      for k, v in record["libraries"].items()), flush=True)
            write_outputs(records, infos, args, stem, time.perf_counter() - start)
    for worker in workers.values():
        worker.stop()
    elapsed = time.perf_counter() - start
    write_outputs(records, infos, args, stem, elapsed, figure=True)
    ratios = [r["ratio"] for r in records if r.get("ratio")]
    if ratios:
        print(f"geometric mean {geometric_mean(ratios):.2f} over {len(ratios)} cells, "
              f"{elapsed:.0f} s")


if __name__ == "__main__":
    main()
