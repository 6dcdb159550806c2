"""Cross-validation benchmark: 5-fold LassoCV over 100 alphas, and RidgeCV over 100 alphas.

    python benchmarks/cv.py                    # full run -> benchmarks/CV_RESULTS.md / .json
    python benchmarks/cv.py --quick            # 1/4-size synthetic problems, no poly3 (< 2 min)
    python benchmarks/cv.py --libraries shrinkage sklearn --problems dense_tall diabetes
    python benchmarks/cv.py --no-ridge         # LassoCV part only (or --no-lasso)
    python benchmarks/cv.py --profile dense_tall [--profile-what lasso|ridge|ridge5]

**LassoCV.** Every library gets the same data (``problems.py``), the same 5 folds
(``KFold(5)`` without shuffling, passed as explicit ``(train, test)`` index pairs or, for
glmnet, as ``groups`` = the fold id, which makes glmnet use ``GroupKFold`` = the same
folds), the same 100-alpha grid computed once on all the data (the grid of the
``lasso_path`` task: ``alpha_max`` down to ``1e-3 alpha_max``, ``1e-2`` for dense_wide and
sparse), in each library's own units, and the per-library tolerance that
``calibrate.py`` found for the 100-alpha lasso path on that problem (~1e-6 relative
suboptimality, ``tolerances.json``). What each library runs:

* shrinkage: ``shrinkage.LassoCV(alphas=grid, cv=folds, tol, n_jobs=1)`` (and, on a
  separate line, ``n_jobs=2``);
* scikit-learn: ``sklearn.linear_model.LassoCV(alphas=grid, cv=folds, tol, n_jobs=1)``;
* celer: ``celer.LassoCV`` 0.7.4 fails with scikit-learn >= 1.7 (it passes ``n_alphas``
  to ``LinearModelCV``), so a loop over the folds with the warm-started ``celer.Lasso``
  path of ``adapters.Celer``, then one ``Lasso`` fit at the chosen alpha;
* glum: ``GeneralizedLinearRegressorCV(alphas=grid, l1_ratio=1, cv=folds, gradient_tol)``
  (it refits the whole path on all the data at the end, as the library does);
* glmnet (python-glmnet): ``ElasticNet(lambda_path=grid, n_splits=5, scoring=MSE)`` fitted
  with ``groups=fold id``, ``y`` scaled as in ``adapters.Glmnet`` (it fits the full-data
  path first, as the library does);
* adelie: a loop over the folds calling ``adelie.grpnet`` on the grid (``cv_grpnet``
  takes neither folds nor a grid: it draws random folds and builds its own path), then
  the path on all the data down to the chosen alpha;
* skglm: a loop over the folds with the warm-started ``skglm.Lasso`` path of
  ``adapters.Skglm``, then one ``Lasso`` fit at the chosen alpha
  (``GeneralizedLinearEstimatorCV`` only takes a number of *shuffled* folds).

The accuracy check compares every library's mean CV curve and chosen alpha with the
*exact* CV curve: shrinkage's path on each training fold at ``tol=1e-13``, the test
MSE computed here (``_cache/cv/``).

**RidgeCV.** ``shrinkage.RidgeCV(alphas=grid)`` against ``sklearn.linear_model.RidgeCV``
with the same 100 alphas (``np.geomspace``, scaled to the data), with ``cv=None`` (exact
leave-one-out from one decomposition) and with the same 5 folds; and the time of one
decomposition (``eigh(XᵀX)`` for n > p, ``svd(X)`` otherwise) for scale.

**Timing.** Every library runs in its own worker process (this file with ``--worker``,
under the interpreter of its environment, like ``harness.py``), every thread pool at
one thread, warmed up first on tiny problems (Numba compilation, imports). Each cell
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

from single_thread import THREAD_VARIABLES  # noqa: F401  # isort: skip  (before numpy)

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from adapters import ADAPTERS, MAX_SWEEPS
from problems import load_problem, tiny_problems
from tasks import TASKS

BENCH_DIR = Path(__file__).resolve().parent
CV_CACHE = BENCH_DIR / "_cache" / "cv"
LIBRARIES = ("shrinkage", "sklearn", "skglm", "celer", "glum", "adelie", "glmnet")
PROBLEMS = ("dense_tall", "dense_wide", "sparse", "diabetes", "diabetes_poly3")
QUICK_PROBLEMS = ("dense_tall", "dense_wide", "sparse", "diabetes")
RIDGE_PROBLEMS = ("dense_tall", "dense_wide", "diabetes", "diabetes_poly3")
QUICK_SCALE = 0.25
N_FOLDS = 5
N_RIDGE_ALPHAS = 100
#: a first run longer than this is not repeated
REPEAT_BELOW_S = 5.0
#: a run during which other processes used more than this many cores is "contaminated"
CONTAMINATED_CORES = 0.25
#: wait before a run until other processes use less than this many cores
QUIET_CORES = 0.15
#: contaminated repeats re-run, per cell at most
EXTRA_ATTEMPTS = 4
#: total seconds the whole run may spend waiting for a quiet machine
WAIT_BUDGET_S = 120.0
#: tolerance of the exact CV curve (shrinkage's path on each fold)
REFERENCE_TOL = 1e-13
#: a different chosen alpha whose exact CV error is within this fraction of the
#: standard error (at the minimum) of the best one counts as a tie, not a disagreement
TIE_FRACTION_OF_SE = 0.01
LASSO_TASK = TASKS["lasso_path"]


# ===================================================================== folds, grids ====
def kfold_ids(n_samples: int, n_folds: int = N_FOLDS) -> np.ndarray:
    """Fold id of each row for ``KFold(n_folds)`` without shuffling (contiguous blocks,
    the first ``n % k`` folds one row longer)."""
    sizes = np.full(n_folds, n_samples // n_folds)
    sizes[: n_samples % n_folds] += 1
    return np.repeat(np.arange(n_folds), sizes)


def folds_from_ids(foldid: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
    return [(np.flatnonzero(foldid != k), np.flatnonzero(foldid == k))
            for k in range(int(foldid.max()) + 1)]


def ridge_grid(X) -> np.ndarray:
    """100 alphas (scikit-learn's Ridge units), ``1e-6 .. 1e4`` times the mean eigenvalue
    of the centred Gram matrix ``||X - mean||_F^2 / p``: wide enough that the LOO optimum
    is inside on every problem here."""
    centred = X - X.mean(axis=0)
    scale = float(np.sum(centred * centred)) / X.shape[1]
    return np.geomspace(1e-6, 1e4, N_RIDGE_ALPHAS) * scale


def test_mse(X, y, coefs, intercepts, test) -> np.ndarray:
    """Test mean squared error at every alpha of a path."""
    predictions = np.asarray(X[test] @ coefs) + np.asarray(intercepts)[None, :]
    return np.mean((predictions - y[test][:, None]) ** 2, axis=0)


# ================================================================ library CV calls ====
# Each returns {"alpha": chosen alpha, "mean_mse": (n_alphas,), "fold_mse": (n_alphas,
# n_folds) or None, "extra": {...}}; the whole call is timed.
def cv_shrinkage(X, y, alphas, foldid, tol, n_jobs=1):
    import shrinkage

    model = shrinkage.LassoCV(alphas=alphas, cv=folds_from_ids(foldid), tol=tol,
                              max_iter=MAX_SWEEPS, n_jobs=n_jobs).fit(X, y)
    return {"alpha": model.alpha_, "alphas": model.alphas_, "fold_mse": model.mse_path_,
            "extra": {"alpha_1se": model.alpha_1se_}}


def cv_sklearn(X, y, alphas, foldid, tol, n_jobs=1):
    from sklearn.linear_model import LassoCV

    model = LassoCV(alphas=alphas, cv=folds_from_ids(foldid), tol=tol, max_iter=MAX_SWEEPS,
                    n_jobs=n_jobs).fit(X, y)
    return {"alpha": model.alpha_, "alphas": model.alphas_, "fold_mse": model.mse_path_}


def cv_celer(X, y, alphas, foldid, tol, n_jobs=1):
    # celer.LassoCV 0.7.4 fails with scikit-learn >= 1.7 (it passes ``n_alphas`` to
    # LinearModelCV), so: its warm-started Lasso path on each fold, as for skglm.
    adapter = ADAPTERS["celer"]()
    return _loop_cv(adapter, X, y, alphas, foldid, tol,
                    lambda best: adapter.single_fit(X, y, float(alphas[best]), tol))


def cv_glum(X, y, alphas, foldid, tol, n_jobs=1):
    from glum import GeneralizedLinearRegressorCV

    model = GeneralizedLinearRegressorCV(
        alphas=np.asarray(alphas), l1_ratio=1.0, family="normal", gradient_tol=tol,
        max_iter=1000, max_inner_iter=MAX_SWEEPS, cv=folds_from_ids(foldid), n_jobs=n_jobs)
    model.fit(X, y)
    # normal deviance with test weights normalized to 1 = test MSE; (folds, l1, alphas)
    return {"alpha": model.alpha_, "alphas": model.alphas_,
            "fold_mse": np.asarray(model.deviance_path_)[:, 0, :].T}


def _loop_cv(adapter, X, y, alphas, foldid, tol, refit):
    fold_mse = np.empty((len(alphas), int(foldid.max()) + 1))
    for k, (train, test) in enumerate(folds_from_ids(foldid)):
        coefs, intercepts = adapter.lasso_path(X[train], y[train], alphas, tol)
        fold_mse[:, k] = test_mse(X, y, coefs, intercepts, test)
    best = int(np.argmin(fold_mse.mean(axis=1)))
    refit(best)
    return {"alpha": float(alphas[best]), "alphas": alphas, "fold_mse": fold_mse}


def cv_skglm(X, y, alphas, foldid, tol, n_jobs=1):
    adapter = ADAPTERS["skglm"]()
    return _loop_cv(adapter, X, y, alphas, foldid, tol,
                    lambda best: adapter.single_fit(X, y, float(alphas[best]), tol))


def cv_adelie(X, y, alphas, foldid, tol, n_jobs=1):
    adapter = ADAPTERS["adelie"]()
    return _loop_cv(adapter, X, y, alphas, foldid, tol,
                    lambda best: adapter.lasso_path(X, y, alphas[: best + 1], tol))


def cv_glmnet(X, y, alphas, foldid, tol, n_jobs=1):
    from glmnet import ElasticNet

    lengths = []

    class CountingElasticNet(ElasticNet):
        """Records how many lambdas each fit returned (glmnet may stop a path early)."""

        def _fit(self, *args, **kwargs):
            fitted = super()._fit(*args, **kwargs)
            lengths.append(len(self.lambda_path_))
            return fitted

    # as adapters.Glmnet: fit y/s with lambda = alpha/s (exact for the lasso)
    s = float(np.std(y))
    model = CountingElasticNet(alpha=1.0, lambda_path=np.asarray(alphas) / s,
                               standardize=False, fit_intercept=True, tol=tol,
                               n_splits=N_FOLDS, scoring="mean_squared_error", n_jobs=n_jobs,
                               max_iter=MAX_SWEEPS * 10)
    model.fit(X, y / s, groups=foldid)
    return {"alpha": float(np.ravel(model.lambda_max_)[0]) * s,
            "alphas": np.asarray(model.lambda_path_) * s,
            "mean_mse": -np.asarray(model.cv_mean_score_) * s**2, "fold_mse": None,
            "extra": {"path_lengths": lengths}}


CV_CALLS = {"shrinkage": cv_shrinkage, "sklearn": cv_sklearn, "skglm": cv_skglm,
            "celer": cv_celer, "glum": cv_glum, "adelie": cv_adelie, "glmnet": cv_glmnet}


def ridge_cv(library, X, y, grid, foldid):
    """RidgeCV of shrinkage or scikit-learn: leave-one-out (foldid None) or K-fold."""
    folds = None if foldid is None else folds_from_ids(foldid)
    if library == "shrinkage":
        from shrinkage import RidgeCV

        model = RidgeCV(alphas=grid, cv=folds, n_jobs=1)
    else:
        from sklearn.linear_model import RidgeCV

        model = RidgeCV(alphas=grid, cv=folds)
    model.fit(X, y)
    return {"alpha": float(model.alpha_), "best_score": float(model.best_score_)}


# ========================================================================== worker ====
def _median_time(function, repeats=3):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def decomposition_times(X, y) -> dict:
    """One decomposition of the centred data, median of 3 each, and shrinkage's
    ``SpectralRidge`` set-up (decomposition + projections)."""
    import scipy.linalg

    from shrinkage.solvers.ridge import SpectralRidge

    n, p = X.shape
    centred = X - X.mean(axis=0)
    out = {}
    if n > p:
        gram = centred.T @ centred
        out["gram_s"] = _median_time(lambda: centred.T @ centred)
        out["eigh_s"] = _median_time(lambda: np.linalg.eigh(gram))
        out["decomposition_s"] = out["gram_s"] + out["eigh_s"]
        out["decomposition"] = "eigh(XᵀX) incl. forming XᵀX"
    else:
        out["svd_s"] = _median_time(lambda: np.linalg.svd(centred, full_matrices=False))
        out["scipy_gesdd_s"] = _median_time(lambda: scipy.linalg.svd(
            centred, full_matrices=False, lapack_driver="gesdd"))
        kernel = centred @ centred.T
        # what scikit-learn's RidgeCV does for n <= p (gcv_mode="eigen")
        out["kernel_eigh_s"] = (_median_time(lambda: centred @ centred.T)
                                + _median_time(lambda: np.linalg.eigh(kernel)))
        out["decomposition_s"] = out["svd_s"]
        out["decomposition"] = "svd(X, full_matrices=False)"
    out["spectral_ridge_s"] = _median_time(lambda: SpectralRidge(X, y[:, None], None, None, True))
    return out


class CVWorker:
    def __init__(self, library):
        self.library = library
        self.adapter = ADAPTERS[library]()
        self.problems = {}

    def problem(self, name, scale):
        if (name, scale) not in self.problems:
            self.problems[(name, scale)] = load_problem(name, scale)
        return self.problems[(name, scale)]

    def warmup(self, request):
        start = time.perf_counter()
        for problem in tiny_problems():
            alphas = LASSO_TASK.alphas(problem)
            foldid = kfold_ids(problem.shape[0])
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                for n_jobs in request.get("n_jobs", [1]) if request.get("lasso", True) else []:
                    CV_CALLS[self.library](problem.X, problem.y, alphas, foldid, 1e-4, n_jobs)
                if request.get("ridge") and not sp.issparse(problem.X):
                    grid = ridge_grid(problem.X)
                    ridge_cv(self.library, problem.X, problem.y, grid, None)
                    ridge_cv(self.library, problem.X, problem.y, grid, foldid)
        return {"status": "ok", "seconds": time.perf_counter() - start}

    def run(self, request):
        from worker import _summarize

        problem = self.problem(request["problem"], request["scale"])
        foldid = None if request.get("foldid") is None else np.asarray(request["foldid"])
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            start = time.perf_counter()
            if request["op"] == "cv":
                result = CV_CALLS[self.library](
                    problem.X, problem.y, np.asarray(request["alphas"]), foldid,
                    request["tol"], request.get("n_jobs", 1))
            else:
                result = ridge_cv(self.library, problem.X, problem.y,
                                  np.asarray(request["alphas"]), foldid)
            seconds = time.perf_counter() - start
        reply = {"status": "ok", "seconds": seconds, "warnings": _summarize(caught),
                 "alpha": float(result["alpha"]), "extra": result.get("extra", {})}
        if "best_score" in result:
            reply["best_score"] = result["best_score"]
        if request["op"] == "cv":
            fold_mse = result.get("fold_mse")
            mean = result.get("mean_mse")
            if mean is None:
                mean = np.asarray(fold_mse).mean(axis=1)
            reply["mean_mse"] = np.asarray(mean, dtype=float).tolist()
            reply["alphas"] = np.asarray(result["alphas"], dtype=float).tolist()
        return reply

    def first_call(self, request):
        """In a fresh process: import, then the first and second fits on diabetes."""
        out = {"status": "ok"}
        start = time.perf_counter()
        __import__("shrinkage" if self.library == "shrinkage" else "sklearn.linear_model")
        out["import_s"] = time.perf_counter() - start
        problem = self.problem("diabetes", 1.0)
        alphas, foldid = LASSO_TASK.alphas(problem), kfold_ids(problem.shape[0])
        grid = ridge_grid(problem.X)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for label, call in (
                    ("lasso_cv", lambda: CV_CALLS[self.library](problem.X, problem.y, alphas,
                                                                foldid, 1e-4)),
                    ("ridge_cv", lambda: ridge_cv(self.library, problem.X, problem.y, grid,
                                                  None))):
                for attempt in ("first", "second"):
                    start = time.perf_counter()
                    call()
                    out[f"{label}_{attempt}_s"] = time.perf_counter() - start
        return out

    def handle(self, request):
        from worker import environment_info

        op = request["op"]
        try:
            if op == "info":
                return {"status": "ok", **environment_info(self.adapter)}
            if op == "warmup":
                return self.warmup(request)
            if op in ("cv", "ridge"):
                return self.run(request)
            if op == "decomposition":
                problem = self.problem(request["problem"], request["scale"])
                return {"status": "ok", **decomposition_times(problem.X, problem.y)}
            if op == "first_call":
                return self.first_call(request)
            return {"status": "error", "message": f"unknown op {op!r}"}
        except NotImplementedError as error:
            return {"status": "n/a", "message": str(error)}
        except Exception as error:  # reported in the tables
            return {"status": "error", "message": f"{type(error).__name__}: {error}"[:300]}


def worker_main(library) -> None:
    replies = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)  # library output (Python or C level) goes to stderr
    sys.stdout = sys.stderr
    worker = CVWorker(library)
    for line in sys.stdin:
        if line.strip():
            replies.write(json.dumps(worker.handle(json.loads(line))) + "\n")


# ========================================================================== driver ====
def _make_process(library, log_name, extra_env=None):
    """A ``harness.WorkerProcess`` that runs this file's worker instead of worker.py."""
    import queue
    import threading

    from harness import WorkerProcess, _limit_memory, interpreter, worker_environment

    class Process(WorkerProcess):
        def start(self):
            python = interpreter(self.library)
            if python is None:
                raise RuntimeError(f"no environment for {self.library}")
            self.log_path.parent.mkdir(parents=True, exist_ok=True)
            log = open(self.log_path, "a")  # noqa: SIM115 (closed with the process)
            env = worker_environment()
            env.update(extra_env or {})
            self.process = subprocess.Popen(
                [str(python), str(BENCH_DIR / "cv.py"), "--worker", self.library],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log, text=True,
                cwd=BENCH_DIR, env=env, preexec_fn=_limit_memory)
            self.replies = queue.Queue()
            threading.Thread(target=self._read, args=(self.process.stdout, self.replies),
                             daemon=True).start()
            self.warm_tasks = {}

    return Process(library, BENCH_DIR / "_cache" / "logs" / log_name)


class LoadMonitor:
    """CPU time used by *other* processes (the machine may be shared), from ``/proc``.

    ``foreign cores`` over a window = (busy CPU time of the machine − CPU time of this
    process and the worker) / wall time. Before every timed run the driver waits (within a
    total budget) until the machine is quiet; every run records its foreign load, and a
    contaminated repeat is run again (see ``time_cells``).
    """

    HZ = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100

    def __init__(self, wait_budget_s):
        self.wait_budget_s = wait_budget_s
        self.waited_s = 0.0
        self.available = Path("/proc/stat").exists()

    @staticmethod
    def _busy() -> int:
        with open("/proc/stat") as stat:
            values = [int(v) for v in stat.readline().split()[1:8]]
        return values[0] + values[1] + values[2] + values[5] + values[6]  # no idle/iowait

    @staticmethod
    def _own(pids) -> int:
        total = 0
        for pid in pids:
            try:
                with open(f"/proc/{pid}/stat") as stat:
                    fields = stat.read().rsplit(")", 1)[1].split()
                total += int(fields[11]) + int(fields[12])  # utime + stime (all threads)
            except (OSError, IndexError, ValueError):
                pass
        return total

    def snapshot(self, pids):
        if not self.available:
            return None
        return self._busy(), self._own(pids), time.perf_counter()

    def foreign_cores(self, before, pids) -> float:
        if before is None:
            return float("nan")
        busy, own, start = before
        wall = max(time.perf_counter() - start, 1e-9)
        return max(0.0, (self._busy() - busy - (self._own(pids) - own)) / self.HZ / wall)

    def wait_for_quiet(self, pids, window=0.3) -> float:
        """Sleep in windows until the foreign load is below ``QUIET_CORES`` (or the wait
        budget is spent); returns the load of the last window."""
        if not self.available:
            return float("nan")
        while True:
            before = self.snapshot(pids)
            time.sleep(window)
            load = self.foreign_cores(before, pids)
            if load < QUIET_CORES or self.waited_s >= self.wait_budget_s:
                return load
            self.waited_s += window


class Driver:
    """One worker process per library, re-warmed after a time-out kills it."""

    def __init__(self, library, warmup_request, timeout, monitor):
        self.library = library
        self.process = _make_process(library, f"cv-{library}.log")
        self.warmup_request = warmup_request
        self.timeout = timeout
        self.monitor = monitor
        self.warm = False
        self.warmup_seconds = None

    def info(self):
        from harness import interpreter

        if interpreter(self.library) is None:
            return {"status": "unavailable", "message": "environment missing"}
        return self.process.request({"op": "info"}, 300)

    def ensure_warm(self):
        if not (self.process.alive and self.warm):
            reply = self.process.request({"op": "warmup", **self.warmup_request}, 900)
            if reply["status"] != "ok":
                return reply
            self.warm = True
            if self.warmup_seconds is None:
                self.warmup_seconds = reply["seconds"]
        return {"status": "ok"}

    def measured(self, payload) -> dict:
        """One run, after waiting for a quiet machine; records the foreign load."""
        warm = self.ensure_warm()
        if warm["status"] != "ok":
            return {"status": warm["status"], "message": warm.get("message", "warm-up")}
        pids = [os.getpid(), self.process.process.pid]
        before_load = self.monitor.wait_for_quiet(pids)
        before = self.monitor.snapshot(pids)
        reply = self.process.request(payload, self.timeout)
        reply["foreign_cores"] = self.monitor.foreign_cores(before, pids)
        reply["foreign_before"] = before_load
        if reply["status"] != "ok":
            self.warm = self.warm and self.process.alive
            if reply["status"] == "timeout":
                reply["message"] = f"> {self.timeout:.0f} s"
        return reply

    def stop(self):
        self.process.stop()


def _clean(run) -> bool:
    load = run.get("foreign_cores", float("nan"))
    return not (load > CONTAMINATED_CORES)  # NaN (no /proc) counts as clean


def first_pass(driver, payload) -> dict:
    """The first run of a cell; a slow one (no repeats follow) that shared the machine
    is run once more and the cleaner of the two kept."""
    first = driver.measured(payload)
    record = dict(first)
    if first["status"] != "ok":
        return record
    record.update(first_s=first["seconds"], first_foreign=first["foreign_cores"], runs=[],
                  attempts=1)
    if first["seconds"] >= REPEAT_BELOW_S and not _clean(first) and first["seconds"] < 30:
        again = driver.measured(payload)
        record["attempts"] = 2
        if again["status"] == "ok" and again["foreign_cores"] < first["foreign_cores"]:
            record.update({k: v for k, v in again.items() if k not in ("first_s",)})
    return record


def repeat_pass(driver, payload, record, extra_attempts) -> int:
    """One more timed run for a quick cell; contaminated runs are retried (at most
    ``extra_attempts`` in all for the cell). Returns the attempts left."""
    while True:
        run = driver.measured(payload)
        record["attempts"] += 1
        if run["status"] != "ok":
            record["repeat_error"] = f"{run['status']}: {run.get('message', '')}"
            return extra_attempts
        record["runs"].append({"s": run["seconds"], "foreign": run["foreign_cores"]})
        if _clean(run) or extra_attempts <= 0:
            return extra_attempts
        extra_attempts -= 1


def finish(record, repeats) -> dict:
    """Median of the ``repeats`` runs with the least foreign load (the clean ones when
    there are enough)."""
    if record["status"] != "ok":
        return record
    runs = record.pop("runs", [])
    if runs:
        order = sorted(range(len(runs)), key=lambda i: (not _clean(runs[i]), i))
        used = [runs[i] for i in sorted(order[:repeats])]
        record["all_repeats"] = runs
        record["repeats_s"] = [r["s"] for r in used]
        record["repeats_foreign"] = [r["foreign"] for r in used]
        record["time_s"] = float(np.median(record["repeats_s"]))
        record["min_s"] = float(np.min(record["repeats_s"]))
        record["n_timed"] = len(used)
        loads = record["repeats_foreign"]
    else:
        record["repeats_s"] = []
        record["time_s"] = record["seconds"]
        record["n_timed"] = 1
        loads = [record["foreign_cores"]]
    record["max_foreign"] = float(np.nanmax(loads)) if loads else float("nan")
    record["contaminated"] = bool(record["max_foreign"] > CONTAMINATED_CORES)
    return record


def time_cells(cells, repeats) -> dict:
    """Time ``cells`` {key: (driver, payload)} round-robin: first runs of all, then the
    repeats in turns, so that a busy spell of the machine hits every library alike."""
    records = {}
    for key, (driver, payload) in cells.items():
        records[key] = first_pass(driver, payload)
    quick = [key for key, rec in records.items()
             if rec["status"] == "ok" and rec["seconds"] < REPEAT_BELOW_S]
    budget = {key: EXTRA_ATTEMPTS for key in quick}
    for _ in range(repeats):
        for key in quick:
            driver, payload = cells[key]
            budget[key] = repeat_pass(driver, payload, records[key], budget[key])
    return {key: finish(rec, repeats) for key, rec in records.items()}


# ------------------------------------------------------------------ exact CV curves ----
def exact_cv_curve(name, scale, problem, alphas, foldid) -> dict:
    """Test MSE of shrinkage's path at tol 1e-13 on each fold (cached)."""
    from shrinkage.path import regularization_path

    suffix = "" if scale == 1.0 else f"_s{scale:g}"
    path = CV_CACHE / f"exact_lasso_cv__{name}{suffix}.npz"
    if path.exists():
        with np.load(path) as data:
            if (data["alphas"].shape == alphas.shape and np.allclose(data["alphas"], alphas)
                    and np.array_equal(data["foldid"], foldid)):
                return {"fold_mse": data["fold_mse"], "seconds": float(data["seconds"])}
    start = time.perf_counter()
    fold_mse = np.empty((len(alphas), int(foldid.max()) + 1))
    for k, (train, test) in enumerate(folds_from_ids(foldid)):
        result = regularization_path(problem.X[train], problem.y[train], alphas=alphas,
                                     tol=REFERENCE_TOL, max_iter=MAX_SWEEPS)
        fold_mse[:, k] = test_mse(problem.X, problem.y, result.coefs, result.intercepts, test)
    seconds = time.perf_counter() - start
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez(path, alphas=alphas, foldid=foldid, fold_mse=fold_mse, seconds=seconds)
    return {"fold_mse": fold_mse, "seconds": seconds}


def accuracy(record, alphas, exact_mean, exact_se_at_min) -> dict:
    """Chosen alpha and CV curve of one library against the exact curve."""
    index = int(np.argmin(np.abs(np.log(alphas) - np.log(record["alpha"]))))
    off_grid = abs(alphas[index] - record["alpha"]) > 1e-8 * alphas[index]
    mean = np.asarray(record["mean_mse"])
    lib_alphas = np.asarray(record["alphas"])
    best = int(np.argmin(exact_mean))
    regret = exact_mean[index] - exact_mean[best]
    if index == best:
        verdict = "same alpha"
    elif regret <= TIE_FRACTION_OF_SE * exact_se_at_min:
        verdict = "tie"
    else:
        verdict = "DIFFERENT"
    return {
        "index": index, "off_grid": bool(off_grid),
        "grid_matches": bool(lib_alphas.shape == alphas.shape
                             and np.allclose(lib_alphas, alphas, rtol=1e-9)),
        "own_mse_at_choice": float(mean[index]),
        "exact_mse_at_choice": float(exact_mean[index]),
        "regret_rel": float(regret / exact_mean[best]),
        "regret_in_se": float(regret / exact_se_at_min) if exact_se_at_min > 0 else 0.0,
        "curve_dev_rel": float(np.max(np.abs(mean - exact_mean) / exact_mean)),
        "curve_dev_index": int(np.argmax(np.abs(mean - exact_mean) / exact_mean)),
        "verdict": verdict,
    }


def skip_reason(tolerances, library, name) -> tuple[float, str | None]:
    """Calibrated path tolerance, and why the cell is not run (its path failed)."""
    entry = tolerances.get(library, {}).get("lasso_path", {}).get(name)
    if entry is None:
        return ADAPTERS[library].default_tol, None
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
        driver = Driver(library, {"n_jobs": n_jobs_list}, args.timeout, monitor)
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
    drivers = {lib: Driver(lib, {"lasso": False, "ridge": True}, args.ridge_timeout, monitor)
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
            process = _make_process(library, f"cv-first-{library}.log", env)
            reply = process.request({"op": "first_call"}, 900)
            process.stop()
            rows.append({"label": label, **reply})
            print(f"[first call] {label}: {reply}", flush=True)
    return rows


# ------------------------------------------------------------------------ report ----
def _s(value) -> str:
    from report import _seconds

    return _seconds(value)


def revision() -> str:
    """HEAD, and a fingerprint of any uncommitted change under src/ (read-only git)."""
    import hashlib

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
    lines += ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
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
    lines += ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
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
    lines += ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
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
    lines += ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
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


def environment_lines(infos) -> list[str]:
    from report import cpu_model

    lines = ["## Environment", "",
             f"- CPU: {cpu_model()}, {os.cpu_count()} logical cores; {platform.platform()}",
             "- OMP/OPENBLAS/MKL/NUMBA/VECLIB/NUMEXPR_NUM_THREADS=1 in every worker; thread "
             "pools seen by threadpoolctl in each worker below.", "",
             "| library | version | numpy | scipy | BLAS / OpenMP (threads) | warm-up (s) |",
             "|---|---|---|---|---|---|"]
    for library, info in infos.items():
        if info.get("status") != "ok":
            lines.append(f"| {library} | not installed | | | | |")
            continue
        pools = "; ".join(f"{p['internal_api']} ({p['num_threads']})" for p in info["threadpools"])
        warm = info.get("warmup_seconds")
        lines.append(f"| {library} | {info['version']} | {info['numpy']} | {info['scipy']} | "
                     f"{pools} | {'' if warm is None else f'{warm:.1f}'} |")
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
             "How each library is called: see the docstring of `benchmarks/cv.py` and "
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
    lines += environment_lines(infos)
    lines += notes_lines(records, ridge)
    args.output.write_text("\n".join(lines))
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
    args.output.with_suffix(".json").write_text(json.dumps(dump, indent=1, default=str))


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


# ----------------------------------------------------------------------- profiling ----
def profile(name, what, scale) -> None:
    """cProfile of one shrinkage CV fit (after a warm-up fit), top functions."""
    import cProfile
    import pstats

    tolerances = json.loads((BENCH_DIR / "tolerances.json").read_text())
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
    if args.worker:
        worker_main(args.worker)
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
    tolerances = json.loads((BENCH_DIR / "tolerances.json").read_text())
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
