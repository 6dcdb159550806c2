"""Benchmark worker: runs the fits of one library, one JSON request per stdin line.

Started by ``harness.WorkerProcess`` with the interpreter of the library's environment::

    python benchmarks/worker.py LIBRARY [KIND]

``KIND`` picks the set of operations: ``path`` (default, :class:`PathWorker`, the fits of
``run.py``, ``calibrate.py`` and ``speed_map.py``) or ``cv`` (``cv_tasks.CVWorker``, the
cross-validation fits of ``cv.py``). Every kind answers

* ``{"op": "info"}`` -> versions, BLAS and thread settings seen by this process;
* ``{"op": "warmup", ...}`` -> runs the kind's fits on tiny dense and sparse problems,
  so JIT compilation / cache loading and lazy imports are not timed later;

and :class:`PathWorker` also

* ``{"op": "load", "problem": P, "scale": s}`` -> loads a problem (not timed);
* ``{"op": "fit", "task": T, "problem": P, "scale": s, "alphas": [...], "tol": t,
  "out": PATH}`` -> times one fit, saves ``coefs`` and ``intercepts`` to ``PATH`` (.npz).

A library that cannot do a fit raises ``NotImplementedError`` (reply ``"n/a"``); any
other exception is reported as ``"error"``, never raised. Anything the libraries print
goes to stderr, so stdout carries replies only.
"""

from __future__ import annotations

from single_thread import blas_environment  # isort: skip  (before numpy)

import json
import os
import sys
import time
import warnings

import numpy as np
from adapters import ADAPTERS
from problems import load_problem, tiny_problems
from tasks import TASKS


def fit_clock() -> float:
    """The clock a fit is timed with: wall time, or this process's CPU time when
    ``BENCH_CLOCK=cpu`` (every pool runs one thread, so CPU time is the fit's own work and
    other processes on a loaded machine do not inflate it; R's adapter follows suit)."""
    if os.environ.get("BENCH_CLOCK") == "cpu":
        return time.process_time()
    return time.perf_counter()


def environment_info(adapter) -> dict:
    """Library version, numpy/scipy versions, BLAS and thread limits of this process."""
    import scipy
    from threadpoolctl import threadpool_info

    info = {
        "library": adapter.name,
        "version": adapter.version(),
        "python": sys.version.split()[0],
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "threadpools": [
            {key: pool.get(key) for key in
             ("user_api", "internal_api", "version", "num_threads", "architecture")}
            for pool in threadpool_info()
        ],
        "env": blas_environment(),
    }
    try:
        import numba

        info["numba"] = numba.__version__
        info["numba_threads"] = numba.get_num_threads()
    except ImportError:
        pass
    return info


#: bytes touched per page by :func:`recycle_memory`
PAGE_BYTES = 4096


def data_bytes(problem) -> int:
    """Bytes of a problem's design matrix (its three arrays when sparse)."""
    X = problem.X
    if hasattr(X, "data") and hasattr(X, "indices"):
        return X.data.nbytes + X.indices.nbytes + X.indptr.nbytes
    return X.nbytes


def recycle_memory(n_bytes: int) -> None:
    """Touch and free ``n_bytes`` of fresh memory just before a timed fit (not timed).

    Why: on a virtual machine with free page reporting (e.g. Firecracker, as on the
    machines these maps were made on), memory a process freed more than ~2 s ago is handed
    back to the host, and touching it again costs the next fit system time: ~2.5 ms per MB
    here, 0.2 s for the 80 MB Fortran copy a single fit on 1000x10000 makes. In a map's
    interleaved rounds every library's fit came seconds after its previous one, so each
    paid it again, by how much depending on its allocations and the order of the turns.
    Pages freed a moment ago go back to the kernel's free lists first and are reused first,
    so the fit that follows allocates recently used memory, as on a machine without page
    reporting. The worker of an external runtime (R) does this before it starts it.
    """
    if n_bytes <= 0:
        return
    scratch = np.empty(n_bytes, dtype=np.uint8)
    scratch[::PAGE_BYTES] = 1
    del scratch


def _usage() -> dict:
    """This process's kernel time, page faults and context switches so far: a fit whose
    CPU time is inflated shows why (system time for page faults or writeback, involuntary
    switches for a busy machine). Zeros where ``resource`` is missing (Windows)."""
    try:
        import resource
    except ImportError:
        return {"sys_s": 0.0, "minor_faults": 0, "involuntary_switches": 0}
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return {"sys_s": usage.ru_stime, "minor_faults": usage.ru_minflt,
            "involuntary_switches": usage.ru_nivcsw}


def summarize_warnings(caught) -> list[str]:
    """Distinct warning messages (category and first line), at most five."""
    messages = []
    for item in caught:
        text = f"{item.category.__name__}: {str(item.message).splitlines()[0][:160]}"
        if text not in messages:
            messages.append(text)
    return messages[:5]


class Worker:
    """Base of the workers: the library's adapter, loaded problems, ``op_*`` dispatch."""

    def __init__(self, library: str):
        self.library = library
        self.adapter = ADAPTERS[library]()
        self.problems = {}

    def problem(self, name: str, scale: float):
        if (name, scale) not in self.problems:
            self.problems[(name, scale)] = load_problem(name, scale)
        return self.problems[(name, scale)]

    def op_info(self, request) -> dict:
        return {"status": "ok", **environment_info(self.adapter)}

    def op_load(self, request) -> dict:
        self.problem(request["problem"], request["scale"])
        return {"status": "ok"}

    def handle(self, request: dict) -> dict:
        """The reply to one request (``op`` names the method ``op_<op>``)."""
        op = request["op"]
        method = getattr(self, f"op_{op}", None)
        if method is None:
            return {"status": "error", "message": f"unknown op {op!r}"}
        try:
            return method(request)
        except NotImplementedError as error:
            return {"status": "n/a", "message": str(error)}
        except Exception as error:  # reported in the results table, not raised
            return {"status": "error", "message": f"{type(error).__name__}: {error}"[:300]}


class PathWorker(Worker):
    """The fits of the task table (``tasks.py``): paths, single fits, ``lasso_cv``."""

    def op_warmup(self, request) -> dict:
        """Run the task on tiny dense and sparse problems; return the seconds it took."""
        task = TASKS[request["task"]]
        start = time.perf_counter()
        for problem in tiny_problems(cv_routes=request["task"] == "lasso_cv"):
            alphas = task.alphas(problem)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                try:
                    task.call(self.adapter, problem, alphas, 1e-4)
                except Exception:  # noqa: BLE001 (the timed fit reports its own error)
                    pass
        return {"status": "ok", "seconds": time.perf_counter() - start}

    def op_fit(self, request) -> dict:
        """Time one fit. A fit during which Numba compiled a kernel (a route no warm-up
        took: the active-set steps of a large support, say) is timed once more, so
        that no record holds compilation (a 0.9 s fit once read 17 s)."""
        task = TASKS[request["task"]]
        problem = self.problem(request["problem"], request["scale"])
        alphas = np.asarray(request["alphas"], dtype=np.float64)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            compilations = CompilationCounter()
            with compilations:
                coefs, intercepts, seconds, usage = self._timed_fit(task, problem, alphas,
                                                                    request["tol"])
            if compilations.count:
                coefs, intercepts, seconds, usage = self._timed_fit(task, problem, alphas,
                                                                    request["tol"])
        np.savez(request["out"], coefs=np.asarray(coefs, dtype=np.float64),
                 intercepts=np.asarray(intercepts, dtype=np.float64))
        return {"status": "ok", "seconds": seconds, "warnings": summarize_warnings(caught),
                "usage": usage, "compiled_first": compilations.count}

    def _timed_fit(self, task, problem, alphas, tol):
        recycle_memory(2 * data_bytes(problem))
        usage_before = _usage()
        start = fit_clock()
        coefs, intercepts = task.call(self.adapter, problem, alphas, tol)
        seconds = fit_clock() - start
        usage = {key: value - usage_before[key] for key, value in _usage().items()}
        # An adapter that times inside another runtime (R's system.time) reports that.
        inner = getattr(self.adapter, "inner_seconds", None)
        if inner is not None:
            seconds, self.adapter.inner_seconds = inner, None
        return coefs, intercepts, seconds, usage


class CompilationCounter:
    """``with CompilationCounter() as c:`` counts Numba's compilations (cache misses:
    a kernel loaded from the cache is not one) in the block; 0 without Numba."""

    def __init__(self):
        self.count = 0
        self._installed = None

    def __enter__(self):
        if "numba" not in sys.modules:  # (a library without Numba: nothing to count)
            return self
        from numba.core import event

        counter = self

        class _Listener(event.Listener):
            def on_start(self, data):
                counter.count += 1

            def on_end(self, data):
                pass

        self._installed = event.install_listener("numba:compile", _Listener())
        self._installed.__enter__()
        return self

    def __exit__(self, *exc):
        if self._installed is not None:
            self._installed.__exit__(*exc)
            self._installed = None
        return False


def worker_class(kind: str) -> type[Worker]:
    """The worker of a kind (imported lazily: ``cv`` pulls in the CV calls)."""
    if kind == "path":
        return PathWorker
    if kind == "cv":
        from cv_tasks import CVWorker

        return CVWorker
    raise ValueError(f"unknown worker kind {kind!r}: use 'path' or 'cv'")


def serve(worker: Worker) -> None:
    """Answer the JSON requests on stdin, one line each, until stdin closes."""
    replies = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)  # library output (Python or C level) goes to stderr
    sys.stdout = sys.stderr
    for line in sys.stdin:
        if line.strip():
            replies.write(json.dumps(worker.handle(json.loads(line))) + "\n")


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] in ("-h", "--help"):
        print(__doc__)
        return
    library, kind = argv[0], (argv[1] if len(argv) > 1 else "path")
    serve(worker_class(kind)(library))


if __name__ == "__main__":
    main()
