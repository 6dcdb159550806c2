"""Benchmark worker: runs the fits of one library, one JSON request per stdin line.

Started by ``harness.Worker`` with the interpreter of the library's environment::

    python benchmarks/worker.py LIBRARY

Requests (one JSON object per line) and replies (one per request, on stdout):

* ``{"op": "info"}`` -> versions, BLAS and thread settings seen by this process;
* ``{"op": "warmup", "task": T}`` -> fits ``T`` on tiny dense and sparse problems,
  so JIT compilation / cache loading and lazy imports are not timed later;
* ``{"op": "fit", "task": T, "problem": P, "scale": s, "tol": t, "out": PATH}``
  -> times one fit, saves ``coefs`` and ``intercepts`` to ``PATH`` (.npz).

Anything the libraries print goes to stderr, so stdout carries replies only.
"""

from __future__ import annotations

from single_thread import THREAD_VARIABLES  # isort: skip  (before numpy)

import json
import os
import sys
import time
import warnings

import numpy as np
from adapters import ADAPTERS
from problems import load_problem, tiny_problems
from tasks import TASKS


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
        "env": {var: os.environ.get(var) for var in (*THREAD_VARIABLES, "OPENBLAS_CORETYPE")},
    }
    try:
        import numba

        info["numba"] = numba.__version__
        info["numba_threads"] = numba.get_num_threads()
    except ImportError:
        pass
    return info


def _summarize(caught) -> list[str]:
    """Distinct warning messages (category and first line), at most five."""
    messages = []
    for item in caught:
        text = f"{item.category.__name__}: {str(item.message).splitlines()[0][:160]}"
        if text not in messages:
            messages.append(text)
    return messages[:5]


def warmup(adapter, task) -> dict:
    """Run ``task`` on tiny dense and sparse problems; return the seconds it took."""
    start = time.perf_counter()
    for problem in tiny_problems():
        alphas = task.alphas(problem)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                task.call(adapter, problem, alphas, 1e-4)
            except NotImplementedError:
                pass
    return {"status": "ok", "seconds": time.perf_counter() - start}


class Worker:
    """Keeps the adapter and the loaded problems between requests."""

    def __init__(self, library: str):
        self.adapter = ADAPTERS[library]()
        self.problems = {}

    def problem(self, name, scale):
        if (name, scale) not in self.problems:
            self.problems[(name, scale)] = load_problem(name, scale)
        return self.problems[(name, scale)]

    def fit(self, request) -> dict:
        task = TASKS[request["task"]]
        problem = self.problem(request["problem"], request["scale"])
        alphas = np.asarray(request["alphas"], dtype=np.float64)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            start = time.perf_counter()
            coefs, intercepts = task.call(self.adapter, problem, alphas, request["tol"])
            seconds = time.perf_counter() - start
        # An adapter that times inside another runtime (R's system.time) reports that.
        inner = getattr(self.adapter, "inner_seconds", None)
        if inner is not None:
            seconds, self.adapter.inner_seconds = inner, None
        np.savez(request["out"], coefs=np.asarray(coefs, dtype=np.float64),
                 intercepts=np.asarray(intercepts, dtype=np.float64))
        return {"status": "ok", "seconds": seconds, "warnings": _summarize(caught)}

    def handle(self, request) -> dict:
        op = request["op"]
        try:
            if op == "info":
                return {"status": "ok", **environment_info(self.adapter)}
            if op == "warmup":
                return warmup(self.adapter, TASKS[request["task"]])
            if op == "load":
                self.problem(request["problem"], request["scale"])
                return {"status": "ok"}
            if op == "fit":
                return self.fit(request)
            return {"status": "error", "message": f"unknown op {op!r}"}
        except NotImplementedError as error:
            return {"status": "n/a", "message": str(error)}
        except Exception as error:  # reported in the results table, not raised
            return {"status": "error", "message": f"{type(error).__name__}: {error}"[:300]}


def main() -> None:
    replies = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)  # library output (Python or C level) goes to stderr
    sys.stdout = sys.stderr
    worker = Worker(sys.argv[1])
    for line in sys.stdin:
        if line.strip():
            replies.write(json.dumps(worker.handle(json.loads(line))) + "\n")


if __name__ == "__main__":
    main()
