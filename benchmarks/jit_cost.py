"""First-call cost: ``import`` + first ``Lasso.fit`` on diabetes, in a fresh process.

    python benchmarks/jit_cost.py [--markdown]

For shrinkage (Numba kernels, ``cache=True``) and scikit-learn (compiled Cython).
shrinkage runs three times with ``NUMBA_CACHE_DIR`` pointing at a new, empty
directory: the first run compiles (the cost a user pays once, right after
installing), the next two load the kernels from the cache the first one wrote. The
package's own cache (next to its sources) is neither used nor touched.
Each measurement is a new interpreter, timed from inside it (interpreter start-up
itself is excluded), single-threaded like the benchmarks.
"""

import single_thread  # noqa: I001  (thread limits, inherited by the children)

import argparse
import json
import subprocess
import sys
import tempfile

from report import markdown_table

PROBE = """
import time
start = time.perf_counter()
from {module} import Lasso
imported = time.perf_counter()
from sklearn.datasets import load_diabetes
X, y = load_diabetes(return_X_y=True)
loaded = time.perf_counter()
Lasso(alpha=0.1).fit(X, y)
first = time.perf_counter()
Lasso(alpha=0.1).fit(X, y)
second = time.perf_counter()
print(__import__("json").dumps({{"import": imported - start, "first_fit": first - loaded,
                                 "second_fit": second - first}}))
"""


def probe(module: str, numba_cache_dir: str | None = None) -> dict:
    """Run the probe in a new interpreter; returns its timings (seconds)."""
    env = single_thread.worker_environment(
        None if numba_cache_dir is None else {"NUMBA_CACHE_DIR": numba_cache_dir})
    result = subprocess.run([sys.executable, "-c", PROBE.format(module=module)],
                            capture_output=True, text=True, check=True, env=env)
    return json.loads(result.stdout.strip().splitlines()[-1])


def measurements() -> list[tuple[str, dict]]:
    rows = [("sklearn.linear_model.Lasso", probe("sklearn.linear_model"))]
    with tempfile.TemporaryDirectory(prefix="numba-cache-") as cache:
        rows.append(("shrinkage.Lasso, run 1: empty Numba cache (compiles)",
                     probe("shrinkage", cache)))
        rows.append(("shrinkage.Lasso, run 2: Numba cache from run 1", probe("shrinkage", cache)))
        rows.append(("shrinkage.Lasso, run 3: Numba cache from run 1", probe("shrinkage", cache)))
    return rows


def markdown(rows) -> str:
    header = ["fresh process", "import (s)", "first fit (s)", "second fit (s)"]
    return "\n".join(markdown_table(header, (
        [label, f"{t['import']:.3f}", f"{t['first_fit']:.3f}", f"{t['second_fit']:.4f}"]
        for label, t in rows)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--markdown", action="store_true", help="print a markdown table")
    args = parser.parse_args()
    rows = measurements()
    if args.markdown:
        print(markdown(rows))
    else:
        for label, t in rows:
            print(f"{label:60s} import {t['import']:.3f} s  first fit {t['first_fit']:.3f} s  "
                  f"second fit {t['second_fit']:.4f} s")


if __name__ == "__main__":
    main()
