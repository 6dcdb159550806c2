"""How fits are timed: every benchmark's repeat policy, and the machine-load monitor.

Three policies, one per kind of report (all on the worker processes of ``harness.py``,
after a warm-up fit, with ``time.perf_counter`` inside the worker around the library
call):

* :func:`time_cell` -- best of ``repeats`` fits in a row (``run.py``, ``RESULTS.md``);
* :func:`interleaved_best` -- libraries take turns, best of the rounds
  (``speed_map.py``);
* :func:`time_cells` -- load-aware: one first run per cell, then the repeats round-robin;
  before each run wait (within a budget) for a quiet machine, record the CPU that
  *other* processes used during the run (:class:`LoadMonitor`, from ``/proc``), re-run
  contaminated repeats and keep the median of the cleanest ones (``cv.py``).

:func:`best_of`, :func:`median_of` and :func:`cpu_ms_per_call` time a Python callable in
this process (for the scripts that do not use workers).
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

#: best-of policy: a fit slower than this is not repeated (keeps a full run in budget)
REPEAT_ONLY_BELOW_S = 10.0


# ------------------------------------------------------------- in this process ----
def best_of(function: Callable, repeat: int = 1) -> tuple[float, object]:
    """``(fastest seconds, last value)`` of ``repeat`` calls of ``function()``."""
    best, value = math.inf, None
    for _ in range(repeat):
        start = time.perf_counter()
        value = function()
        best = min(best, time.perf_counter() - start)
    return best, value


def cpu_ms_per_call(function: Callable, budget_s: float = 0.3) -> float:
    """Milliseconds of CPU time per call of ``function()``: after a warm-up call, the
    best of three batches of about ``budget_s`` each (fits of a few ms need batches)."""
    function()
    start = time.process_time()
    function()
    once = time.process_time() - start
    calls = max(2, int(budget_s / max(once, 1e-5)))
    best = math.inf
    for _ in range(3):
        start = time.process_time()
        for _ in range(calls):
            function()
        best = min(best, (time.process_time() - start) / calls)
    return 1e3 * best


def median_of(function: Callable, repeats: int = 3) -> float:
    """Median seconds of ``repeats`` calls of ``function()``."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return float(np.median(times))


# ------------------------------------------------------------ best of N in a row ----
@dataclass
class Timing:
    """Outcome of timing one cell (library x task x problem)."""

    status: str  # ok, n/a, timeout, error
    seconds: list[float] = field(default_factory=list)
    message: str = ""
    warnings: list[str] = field(default_factory=list)
    #: per fit, the worker's system time, page faults and switches (``worker._usage``)
    usages: list[dict] = field(default_factory=list)

    @property
    def best(self) -> float:
        return min(self.seconds) if self.seconds else float("nan")

    @property
    def best_usage(self) -> dict:
        """The usage of the fastest fit (empty if the worker reported none)."""
        if not self.seconds or len(self.usages) != len(self.seconds):
            return {}
        return self.usages[int(np.argmin(self.seconds))]


def time_cell(worker, payload: dict, repeats: int, timeout: float,
              repeat_below: float = REPEAT_ONLY_BELOW_S) -> Timing:
    """Best of ``repeats`` fits (a fit slower than ``repeat_below`` seconds runs once)."""
    warm = worker.warm_up(payload["task"])
    if warm["status"] not in ("ok",):
        return Timing(warm["status"], message=warm.get("message", "warm-up failed"))
    timing = Timing("ok")
    for _ in range(repeats):
        reply = worker.request({"op": "fit", **payload}, timeout)
        if reply["status"] != "ok":
            return Timing(reply["status"], message=reply.get("message", ""))
        timing.seconds.append(reply["seconds"])
        timing.usages.append(reply.get("usage", {}))
        timing.warnings = sorted(set(timing.warnings) | set(reply["warnings"]))
        if reply["seconds"] > repeat_below:
            break
    return timing


def interleaved_best(workers: dict, payloads: dict, repeats: int, timeout: float,
                     repeat_below: float) -> dict[str, Timing]:
    """Libraries take turns (ours, theirs, ours, theirs ...) for ``repeats`` rounds.

    ``payloads`` maps a library to its fit request, ``workers`` a library to its worker.
    A library whose fit took over ``repeat_below`` seconds, or failed, is not run again.
    Returns each library's :class:`Timing` (``best`` is the fastest round).
    """
    timings = {library: Timing("ok") for library in payloads}
    for _ in range(repeats):
        for library, payload in payloads.items():
            timing = timings[library]
            if timing.status != "ok" or (timing.seconds and timing.best > repeat_below):
                continue
            # Flush the previous fit's file writes first (R's adapter writes X for every
            # fit, each worker its coefficients): the kernel's writeback otherwise runs
            # on the other core during the next library's fit, which in the fixed order
            # is ours after R's (single fit 3162x3162 rho 0.6: 0.36 s of CPU in the map
            # with R and adelie, 0.10 s without them).
            if hasattr(os, "sync"):  # (not on Windows)
                os.sync()
            once = time_cell(workers[library], payload, 1, timeout)
            if once.status != "ok":
                timings[library] = once
                continue
            timing.seconds += once.seconds
            timing.usages += once.usages
            timing.warnings = sorted(set(timing.warnings) | set(once.warnings))
    return timings


# --------------------------------------------------------------- load-aware ----
#: a first run longer than this is not repeated
REPEAT_BELOW_S = 5.0
#: a run during which other processes used more than this many cores is "contaminated"
CONTAMINATED_CORES = 0.25
#: wait before a run until other processes use less than this many cores
QUIET_CORES = 0.15
#: contaminated repeats re-run, per cell at most
EXTRA_ATTEMPTS = 4
#: total seconds a whole run may spend waiting for a quiet machine (default)
WAIT_BUDGET_S = 120.0


class LoadMonitor:
    """CPU time used by *other* processes (the machine may be shared), from ``/proc``.

    ``foreign cores`` over a window = (busy CPU time of the machine - CPU time of this
    process and the worker) / wall time. Before every timed run the driver waits (within a
    total budget) until the machine is quiet; every run records its foreign load, and a
    contaminated repeat is run again (see :func:`time_cells`).
    """

    HZ = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100

    def __init__(self, wait_budget_s: float = WAIT_BUDGET_S):
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

    def wait_for_quiet(self, pids, window: float = 0.3) -> float:
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


class MonitoredWorker:
    """A worker process, warmed up once (again after a time-out kills it), whose runs
    wait for a quiet machine and record the foreign load."""

    def __init__(self, process, warmup_request: dict, timeout: float, monitor: LoadMonitor):
        self.process = process
        self.library = process.library
        self.warmup_request = warmup_request
        self.timeout = timeout
        self.monitor = monitor
        self.warm = False
        self.warmup_seconds = None

    def info(self) -> dict:
        from harness import interpreter

        if interpreter(self.library) is None:
            return {"status": "unavailable", "message": "environment missing"}
        return self.process.request({"op": "info"}, 300)

    def ensure_warm(self) -> dict:
        if not (self.process.alive and self.warm):
            reply = self.process.request({"op": "warmup", **self.warmup_request}, 900)
            if reply["status"] != "ok":
                return reply
            self.warm = True
            if self.warmup_seconds is None:
                self.warmup_seconds = reply["seconds"]
        return {"status": "ok"}

    def measured(self, payload: dict) -> dict:
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

    def stop(self) -> None:
        self.process.stop()


def is_clean(run: dict) -> bool:
    """Whether other processes stayed under ``CONTAMINATED_CORES`` during a run (a reply
    carries the load as ``foreign_cores``, a kept repeat as ``foreign``)."""
    load = run.get("foreign_cores", run.get("foreign", float("nan")))
    return not (load > CONTAMINATED_CORES)  # NaN (no /proc) counts as clean


def first_pass(driver: MonitoredWorker, payload: dict) -> dict:
    """The first run of a cell; a slow one (no repeats follow) that shared the machine
    is run once more and the cleaner of the two kept."""
    first = driver.measured(payload)
    record = dict(first)
    if first["status"] != "ok":
        return record
    record.update(first_s=first["seconds"], first_foreign=first["foreign_cores"], runs=[],
                  attempts=1)
    if first["seconds"] >= REPEAT_BELOW_S and not is_clean(first) and first["seconds"] < 30:
        again = driver.measured(payload)
        record["attempts"] = 2
        if again["status"] == "ok" and again["foreign_cores"] < first["foreign_cores"]:
            record.update({k: v for k, v in again.items() if k not in ("first_s",)})
    return record


def repeat_pass(driver: MonitoredWorker, payload: dict, record: dict,
                extra_attempts: int) -> int:
    """One more timed run for a quick cell; contaminated runs are retried (at most
    ``extra_attempts`` in all for the cell). Returns the attempts left."""
    while True:
        run = driver.measured(payload)
        record["attempts"] += 1
        if run["status"] != "ok":
            record["repeat_error"] = f"{run['status']}: {run.get('message', '')}"
            return extra_attempts
        record["runs"].append({"s": run["seconds"], "foreign": run["foreign_cores"]})
        if is_clean(run) or extra_attempts <= 0:
            return extra_attempts
        extra_attempts -= 1


def finish(record: dict, repeats: int) -> dict:
    """Median of the ``repeats`` runs with the least foreign load (the clean ones when
    there are enough)."""
    if record["status"] != "ok":
        return record
    runs = record.pop("runs", [])
    if runs:
        order = sorted(range(len(runs)), key=lambda i: (not is_clean(runs[i]), i))
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


def time_cells(cells: dict, repeats: int) -> dict:
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
