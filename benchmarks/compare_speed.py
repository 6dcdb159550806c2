"""Wall and CPU time of ``shrinkage compare`` on 10 000 × 100, stage by stage (defaults:
5 × 5 repeated CV, B = 200 optimism bootstrap, 100 half-samples, ``--n-jobs 2``).

    python benchmarks/compare_speed.py [regression|classification|multiclass] [--n-jobs 2]
        [--classes 5] [--bootstrap 200] [--repeats 5] [--rows 10000] [--features 100]

The data: ``p`` standard normal columns (``x1`` correlated 0.96 with ``x0``) and 10 true
effects; the regression target has noise SD 2, the binary one is its logistic draw and
the multi-class one the ``argmax`` of ``K`` such scores. It prints each stage's wall
time and the CPU time of this process and of its worker processes (``CPU`` counts
every thread; on a machine shared with other work, CPU time is the stable number, and
``wall ≈ CPU / cores`` is what an idle machine with that many cores would show).
"""

import argparse
import os
import resource
import tempfile
import time

import numpy as np

from shrinkage.datasets import Dataset
from shrinkage.explain import compare


def synthetic(task: str, n: int = 10_000, p: int = 100, classes: int = 5, seed: int = 0):
    """The benchmark data set (see the module docstring)."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, p))
    X[:, 1] = X[:, 0] + 0.3 * rng.normal(size=n)
    beta = np.zeros(p)
    beta[:10] = rng.normal(size=10)
    labels = None
    if task == "multiclass":
        B = np.zeros((p, classes))
        B[:10] = rng.normal(size=(10, classes))
        y = np.argmax(X @ B + rng.gumbel(size=(n, classes)), axis=1).astype(float)
        labels = [f"c{k}" for k in range(classes)]
        task = "classification"
    else:
        y = X @ beta + 2 * rng.normal(size=n)
        if task == "classification":
            y = (y + rng.logistic(size=n) > 0).astype(float)
            labels = [0, 1]
    return Dataset(
        X,
        y,
        [f"x{j}" for j in range(p)],
        "y",
        task,
        f"synthetic {n} x {p}",
        classes=labels,
        name="synthetic",
    )


def _cpu() -> tuple[float, float]:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime, children.ru_utime + children.ru_stime


def main(args) -> None:
    data = synthetic(args.task, args.rows, args.features, args.classes)
    print("load average before:", os.getloadavg())
    cpu_before = _cpu()
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as folder:
        summary = compare(
            data,
            os.path.join(folder, "report"),
            n_jobs=args.n_jobs,
            bootstrap=args.bootstrap,
            repeats=args.repeats,
        )
    wall = time.perf_counter() - start
    own, children = (after - before for after, before in zip(_cpu(), cpu_before, strict=True))
    print(
        f"wall {wall:.1f} s, CPU {own + children:.1f} s (this process {own:.1f} s, "
        f"workers {children:.1f} s), load average after: {os.getloadavg()}"
    )
    cpu = summary.get("timings_cpu", {})
    print(f"  {'wall s':>8} {'CPU s':>8}  stage (CPU: this process's threads)")
    for step, seconds in summary.get("timings", {}).items():
        print(f"  {seconds:8.2f} {cpu.get(step, float('nan')):8.2f}  {step}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "task",
        nargs="?",
        default="regression",
        choices=("regression", "classification", "multiclass"),
    )
    parser.add_argument("--n-jobs", type=int, default=2)
    parser.add_argument("--classes", type=int, default=5)
    parser.add_argument("--bootstrap", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--features", type=int, default=100)
    main(parser.parse_args())
