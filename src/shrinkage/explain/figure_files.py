"""Writing the report's figures (PNG and SVG), in forked processes when ``n_jobs`` allows.

Matplotlib lays out and draws in Python (tick placement, text metrics: ~0.2–1 s per
figure), holding the GIL, so threads do not draw two figures at once. A forked child
does: it shares the figures the parent built (copy-on-write, nothing pickled) and the
parent's loaded fonts, writes its share of the files and exits. Forking is used only on
Linux, after the resampling threads have finished; a child that fails, or does not
finish in :data:`TIMEOUT` seconds, has its figures written by the parent instead, so
the files are the same either way.
"""

from __future__ import annotations

import os
import signal
import sys
import time
import warnings
from pathlib import Path

from .figures import save

#: seconds to wait for a child before writing its figures in the parent
TIMEOUT = 120.0
#: :func:`_warm_up`'s cost in the units of :func:`_shares` (~0.4 s)
WARM_UP_COST = 3


def save_all(made: dict, folder: Path, n_jobs: int | None = 1) -> dict:
    """Write every figure of ``made`` (``{name: Figure}``) as ``name.png`` and
    ``name.svg`` in ``folder``; ``n_jobs`` processes share the work (Linux).

    Returns ``{name: {"png": file name, "svg": file name}}`` in the order of ``made``.
    """
    names = list(made)
    from .resample import effective_workers

    workers = min(effective_workers(n_jobs), len(names))
    if workers > 1 and sys.platform.startswith("linux") and hasattr(os, "fork"):
        _warm_up()  # the children inherit the loaded fonts and backends
        shares = _shares(made, workers)
        children = [(_fork(made, folder, share), share) for share in shares[1:]]
        for name in shares[0]:
            save(made[name], folder, name)
        for pid, share in children:
            if pid is None or not _finished(pid, made, folder, share):
                for name in share:
                    save(made[name], folder, name)
    else:
        for name in names:
            save(made[name], folder, name)
    return {name: {"png": f"{name}.png", "svg": f"{name}.svg"} for name in names}


def _shares(made: dict, workers: int) -> list[list[str]]:
    """Split the figures into ``workers`` groups of about equal cost (largest first,
    each to the lightest group). The cost of a figure is about proportional to its
    number of axes (each lays out and draws its own ticks and labels), plus one: a
    unit is ~0.13 s on one core."""
    cost = {name: 1 + len(figure.axes) for name, figure in made.items()}
    shares: list[list[str]] = [[] for _ in range(workers)]
    # the parent (group 0) warmed up first
    load = [WARM_UP_COST] + [0] * (workers - 1)
    for name in sorted(made, key=lambda n: -cost[n]):
        lightest = load.index(min(load))
        shares[lightest].append(name)
        load[lightest] += cost[name]
    return shares


def _fork(made: dict, folder: Path, share: list[str]) -> int | None:
    """Start a child that writes ``share`` and exits (status 0 on success)."""
    with warnings.catch_warnings():
        # Python ≥ 3.12 warns on forking a process with threads (here idle BLAS
        # threads at most); the child only draws and writes files.
        warnings.simplefilter("ignore", DeprecationWarning)
        try:
            pid = os.fork()
        except OSError:
            return None
    if pid == 0:  # the child: never return into the caller's code
        status = 1
        try:
            for name in share:
                save(made[name], folder, name)
            status = 0
        finally:
            os._exit(status)
    return pid


def _finished(pid: int, made: dict, folder: Path, share: list[str]) -> bool:
    """Wait for the child; True when it exited cleanly and wrote every file."""
    deadline = time.monotonic() + TIMEOUT
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            return False
        time.sleep(0.01)
    written = all((folder / f"{n}.{ext}").is_file() for n in share for ext in ("png", "svg"))
    return os.waitstatus_to_exitcode(status) == 0 and written


def _warm_up() -> None:
    """Draw a small figure to memory: loads the Agg and SVG backends, PIL's PNG writer
    and the default font once, before the processes split."""
    import io

    from matplotlib.figure import Figure

    figure = Figure(figsize=(2, 2), layout="constrained")
    ax = figure.subplots()
    ax.plot([0, 1], [0, 1], label="x")
    ax.set_title("x")
    ax.legend(fontsize=7)
    figure.savefig(io.BytesIO(), format="png", dpi=110)
    figure.savefig(io.BytesIO(), format="svg")
