"""Driving the workers: one subprocess per library, per-fit timeouts, references, scores.

Each library runs in its own long-lived worker process (``worker.py``, started with
the interpreter of the library's environment), so imports and JIT compilation are
paid once per library. A fit that exceeds its timeout is killed with its worker;
the next request starts a fresh one (warmed up again). How fits are repeated and timed
is in ``timing.py``; the environment of the workers in ``single_thread.py``.
"""

from __future__ import annotations

import json
import queue
import resource
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import objectives
from adapters import ADAPTERS, VENVS
from single_thread import worker_environment

BENCH_DIR = Path(__file__).resolve().parent
CACHE = BENCH_DIR / "_cache"
#: the accuracy every library is tuned to (max relative suboptimality over a path)
TARGET_SUBOPTIMALITY = 1e-6
#: tolerances of the reference fits (shrinkage, far below the target)
REFERENCE_TOL = {"squared_error": 1e-13, "logistic": 1e-11}
#: address-space cap of a worker: a library that tries to allocate more fails with
#: MemoryError instead of sending the shared machine into the OOM killer (glum builds
#: a dense p x p matrix on the 50000-feature sparse problem: 20 GB)
WORKER_MEMORY_BYTES = 8 * 2**30


def _limit_memory() -> None:
    """Runs in the worker just before it starts (``preexec_fn``)."""
    resource.setrlimit(resource.RLIMIT_AS, (WORKER_MEMORY_BYTES, WORKER_MEMORY_BYTES))


def interpreter(library: str) -> Path | None:
    """Python of the library's environment, or None if that environment is missing."""
    if library not in VENVS:
        return Path(sys.executable)
    python = BENCH_DIR / VENVS[library] / "bin" / "python"
    return python if python.exists() else None


class WorkerProcess:
    """A ``worker.py`` subprocess answering JSON requests, with timeouts.

    ``kind`` is the worker's set of operations (``worker.worker_class``: ``"path"`` or
    ``"cv"``); ``extra_env`` is added to its environment (e.g. ``NUMBA_CACHE_DIR``).
    """

    def __init__(self, library: str, log_path: Path, kind: str = "path",
                 extra_env: dict[str, str] | None = None):
        self.library = library
        self.log_path = log_path
        self.kind = kind
        self.extra_env = dict(extra_env or {})
        self.process = None
        self.replies = None
        self.warm_tasks = {}

    def start(self) -> None:
        python = interpreter(self.library)
        if python is None:
            raise RuntimeError(f"no environment for {self.library} ({VENVS[self.library]})")
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = open(self.log_path, "a")  # noqa: SIM115 (closed with the process)
        self.process = subprocess.Popen(
            [str(python), str(BENCH_DIR / "worker.py"), self.library, self.kind],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log, text=True,
            cwd=BENCH_DIR, env=worker_environment(self.extra_env), preexec_fn=_limit_memory)
        self.replies = queue.Queue()
        threading.Thread(target=self._read, args=(self.process.stdout, self.replies),
                         daemon=True).start()
        self.warm_tasks = {}

    @staticmethod
    def _read(stream, replies) -> None:
        for line in stream:
            replies.put(json.loads(line))
        replies.put(None)  # the worker exited

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def request(self, payload: dict, timeout: float) -> dict:
        """Send one request; ``{"status": "timeout"}`` (worker killed) if no reply in time."""
        if not self.alive:
            try:
                self.start()
            except RuntimeError as error:  # the library's environment is missing
                return {"status": "unavailable", "message": str(error)}
        self.process.stdin.write(json.dumps(payload) + "\n")
        self.process.stdin.flush()
        try:
            reply = self.replies.get(timeout=timeout)
        except queue.Empty:
            self.stop()
            return {"status": "timeout", "message": f"> {timeout:.0f} s"}
        if reply is None:
            self.stop()
            return {"status": "error", "message": f"worker died (see {self.log_path.name})"}
        return reply

    def warm_up(self, task_name: str) -> dict:
        """Warm-up fit for a task, once per worker process."""
        if not self.alive or task_name not in self.warm_tasks:
            # (request() starts a dead worker, which empties warm_tasks, before this stores)
            self.warm_tasks[task_name] = self.request({"op": "warmup", "task": task_name}, 600)
        return self.warm_tasks[task_name]

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self.process = None


# -------------------------------------------------------------- scoring ---------------
def objective_path(task, problem, alphas, coefs, intercepts) -> np.ndarray:
    """Our objective (see ``objectives.py``) at each alpha of a fitted path."""
    score = objectives.logistic if task.loss == "logistic" else objectives.least_squares
    return score(problem.X, task.target(problem), coefs, intercepts, alphas, task.l1_ratio)


def load_fit(path: Path):
    with np.load(path) as data:
        return data["coefs"], data["intercepts"]


def reference_objective(task, problem, alphas, scale) -> np.ndarray:
    """Objective of shrinkage at a far tighter tolerance (cached per task and problem)."""
    suffix = "" if scale == 1.0 else f"_s{scale:g}"
    path = CACHE / "reference" / f"{task.name}__{problem.name}{suffix}.npz"
    if path.exists():
        with np.load(path) as data:
            if data["alphas"].shape == alphas.shape and np.allclose(data["alphas"], alphas):
                return data["objective"]
    coefs, intercepts = task.call(ADAPTERS["shrinkage"](), problem, alphas,
                                  REFERENCE_TOL[task.loss])
    objective = objective_path(task, problem, alphas, coefs, intercepts)
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez(path, alphas=alphas, objective=objective)
    return objective


def fit_path(library: str, task_name: str, problem_name: str, scale: float, tag: str) -> Path:
    suffix = "" if scale == 1.0 else f"_s{scale:g}"
    path = CACHE / "fits" / library / f"{task_name}__{problem_name}{suffix}__{tag}.npz"
    path.parent.mkdir(parents=True, exist_ok=True)
    return path
