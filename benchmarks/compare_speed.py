"""Wall and CPU time of ``shrinkage compare`` on 10 000 × 100 (defaults: 5 × 5 repeated CV,
B = 200 optimism bootstrap, 100 half-samples, two threads).

    python benchmarks/compare_speed.py [regression|classification]
"""

import argparse
import os
import resource
import tempfile
import time

import numpy as np

from shrinkage.datasets import Dataset
from shrinkage.explain import compare


def main(task: str = "regression") -> None:
    rng = np.random.default_rng(0)
    n, p = 10_000, 100
    X = rng.normal(size=(n, p))
    X[:, 1] = X[:, 0] + 0.3 * rng.normal(size=n)
    beta = np.zeros(p)
    beta[:10] = rng.normal(size=10)
    y = X @ beta + 2 * rng.normal(size=n)
    if task == "classification":
        y = (y + rng.logistic(size=n) > 0).astype(float)
    data = Dataset(
        X,
        y,
        [f"x{j}" for j in range(p)],
        "y",
        task,
        "synthetic 10000 x 100",
        classes=[0, 1] if task == "classification" else None,
        name="synthetic",
    )
    print("load average before:", os.getloadavg())
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as folder:
        summary = compare(data, os.path.join(folder, "report"), n_jobs=2)
    wall = time.perf_counter() - start
    usage = resource.getrusage(resource.RUSAGE_SELF)
    print(
        f"wall {wall:.1f} s, CPU {usage.ru_utime + usage.ru_stime:.1f} s, "
        f"load average after: {os.getloadavg()}"
    )
    for step, seconds in summary["timings"].items():
        print(f"  {seconds:7.2f} s  {step}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("task", nargs="?", default="regression",
                        choices=("regression", "classification"))
    main(parser.parse_args().task)
