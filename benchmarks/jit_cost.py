"""Import-to-first-fit: ``import`` + first ``Lasso.fit`` on small data, in a fresh process.

    python benchmarks/jit_cost.py [--repeats 5] [--cold 2] [--markdown] [--out FILE]

What a user waits for in a new interpreter: from ``import shrinkage`` (or scikit-learn's
``from sklearn.linear_model import Lasso``) to the end of the first ``fit`` on a 200x20
problem (the data are built with NumPy before the clock starts). Interpreter start-up and
NumPy's import are excluded; each measurement is a new process, timed from inside it, in
both wall-clock and CPU time (CPU time is what to read on a shared machine), single-
threaded like the other benchmarks. The two libraries alternate, and the table shows the
best of ``--repeats`` runs of each.

shrinkage's Numba kernels are compiled with ``cache=True``:

* **warm cache**: ``NUMBA_CACHE_DIR`` points at a directory filled by one earlier run (what
  every run after the first one sees, whether the cache sits next to the sources or, for a
  read-only installation, in the user's cache directory);
* **cold cache**: a new empty ``NUMBA_CACHE_DIR`` per run (the first fit compiles its
  kernels: the cost paid once after installing or upgrading).

The package's own cache (next to its sources) is neither used nor touched. A last table
splits a warm-cache run into its parts (the scikit-learn base classes that both libraries
import, Numba's import, Numba's one-time initialization of its compiler context, which
loading a cached kernel needs as much as compiling one, shrinkage's own modules, and the
fit).
"""

import single_thread  # noqa: I001  (thread limits, inherited by the children)

import argparse
import json
import subprocess
import sys
import tempfile

from report import markdown_table, write_markdown

SETUP = """
import json, time
import numpy as np
rng = np.random.default_rng(0)
X = rng.standard_normal((200, 20))
y = X[:, 0] - 2 * X[:, 1] + rng.standard_normal(200)
"""

FIRST_FIT = {
    "sklearn": "from sklearn.linear_model import Lasso\nLasso(alpha=0.1).fit(X, y)",
    "shrinkage": "import shrinkage\nshrinkage.Lasso(alpha=0.1).fit(X, y)",
}

PROBE = SETUP + """
wall, cpu = time.perf_counter(), time.process_time()
{code}
print(json.dumps({{"wall": time.perf_counter() - wall, "cpu": time.process_time() - cpu}}))
"""

# The parts of shrinkage's first fit, in the order a first fit meets them.
BREAKDOWN = SETUP + """
parts = {}
def clock(name, start=[time.perf_counter(), time.process_time()]):
    wall, cpu = time.perf_counter(), time.process_time()
    parts[name] = {"wall": wall - start[0], "cpu": cpu - start[1]}
    start[:] = [wall, cpu]
import sklearn.base, sklearn.utils.validation, scipy.sparse
clock("scikit-learn base classes, scipy.sparse (imported by both)")
import numba
clock("import numba")
from numba.core import entrypoints
from numba.core.registry import cpu_target
entrypoints.init_all()
cpu_target.target_context.refresh()
clock("Numba's compiler context and extensions (once per process)")
import shrinkage
from shrinkage.linear_model import Lasso
clock("shrinkage's modules")
Lasso(alpha=0.1).fit(X, y)
clock("first fit (loads the cached kernels)")
Lasso(alpha=0.1).fit(X, y)
clock("second fit")
print(json.dumps(parts))
"""


def run(source: str, numba_cache_dir: str | None = None) -> dict:
    """Run ``source`` in a new interpreter; returns the JSON it prints last."""
    env = single_thread.worker_environment(
        None if numba_cache_dir is None else {"NUMBA_CACHE_DIR": numba_cache_dir})
    result = subprocess.run([sys.executable, "-c", source], capture_output=True, text=True,
                            check=True, env=env)
    return json.loads(result.stdout.strip().splitlines()[-1])


def best(runs: list[dict]) -> dict:
    return {key: min(r[key] for r in runs) for key in ("wall", "cpu")}


def measurements(repeats: int, cold: int) -> dict:
    """Best-of-``repeats`` first fits (scikit-learn, shrinkage warm) run alternately, best
    of ``cold`` cold-cache runs, and the breakdown of warm runs (best per part)."""
    runs: dict[str, list[dict]] = {"sklearn": [], "warm": [], "cold": []}
    with tempfile.TemporaryDirectory(prefix="numba-cache-") as cache:
        run(PROBE.format(code=FIRST_FIT["shrinkage"]), cache)  # fills the cache
        for k in range(repeats):
            runs["sklearn"].append(run(PROBE.format(code=FIRST_FIT["sklearn"])))
            runs["warm"].append(run(PROBE.format(code=FIRST_FIT["shrinkage"]), cache))
            if k < cold:
                with tempfile.TemporaryDirectory(prefix="numba-cold-") as empty:
                    runs["cold"].append(run(PROBE.format(code=FIRST_FIT["shrinkage"]), empty))
        parts = [run(BREAKDOWN, cache) for _ in range(repeats)]
    # The breakdown: per part, the best over the runs.
    names = list(parts[0])
    breakdown = {n: {key: min(p[n][key] for p in parts) for key in ("wall", "cpu")}
                 for n in names}
    return {"sklearn": best(runs["sklearn"]), "warm": best(runs["warm"]),
            "cold": best(runs["cold"]) if runs["cold"] else None, "breakdown": breakdown,
            "repeats": repeats, "cold_runs": cold}


def markdown(result: dict) -> list[str]:
    sk = result["sklearn"]
    rows = [["scikit-learn `Lasso`", f"{sk['wall']:.3f}", f"{sk['cpu']:.3f}", "", ""]]
    for key, label in (("warm", "shrinkage `Lasso`, warm Numba cache"),
                       ("cold", "shrinkage `Lasso`, cold Numba cache (compiles)")):
        t = result[key]
        if t is None:
            continue
        rows.append([label, f"{t['wall']:.3f}", f"{t['cpu']:.3f}",
                     f"{t['wall'] - sk['wall']:+.3f}", f"{t['cpu'] - sk['cpu']:+.3f}"])
    lines = markdown_table(["fresh process, import to end of first fit", "wall (s)", "CPU (s)",
                            "wall − scikit-learn", "CPU − scikit-learn"], rows,
                           right=range(1, 5))
    lines += ["", f"Best of {result['repeats']} runs each (cold: {result['cold_runs']}); "
              "200x20 dense float64, `alpha=0.1`.", ""]
    lines += markdown_table(
        ["part of a warm-cache shrinkage first fit", "wall (s)", "CPU (s)"],
        [[name, f"{t['wall']:.3f}", f"{t['cpu']:.3f}"]
         for name, t in result["breakdown"].items()], right=(1, 2))
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5, help="runs per library (best)")
    parser.add_argument("--cold", type=int, default=2, help="cold-cache runs (best)")
    parser.add_argument("--markdown", action="store_true", help="print a markdown table")
    parser.add_argument("--out", help="also write the markdown tables here")
    parser.add_argument("--json", help="also write the raw numbers here")
    args = parser.parse_args()
    result = measurements(args.repeats, args.cold)
    lines = markdown(result)
    if args.markdown or args.out:
        print("\n".join(lines))
    else:
        print(json.dumps(result, indent=1))
    if args.out:
        write_markdown(args.out, lines)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f, indent=1)


if __name__ == "__main__":
    main()
