"""Cold-cache cost of the common first calls: ``import`` + first call with Numba compiling.

    PYTHONPATH=src python benchmarks/jit_cold.py [--repeats 1] [--calls lasso_C_small ...]
        [--src OTHER/src]

Each measurement is a new process with a new, empty ``NUMBA_CACHE_DIR`` (what the first
fit after ``pip install`` and every CI run pay), single-threaded like the other
benchmarks, timed from inside it in CPU time (wall time is noise on a shared machine)
from the import of shrinkage to the end of the first call; the data are built before.
It also counts the kernels compiled (Numba's ``numba:compile`` events: shrinkage's
kernels and Numba's own helpers). ``--src`` runs the same calls on another checkout
(e.g. ``git worktree`` of the base commit) in alternation, for an A/B at the same load.
"""

import single_thread  # noqa: I001  (thread limits, inherited by the children)

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile

CHILD = """
import json, time, warnings
import numpy as np
from numba.core import event
warnings.simplefilter("ignore")
n, p = {shape}
rng = np.random.default_rng(0)
X = rng.standard_normal((n, p))
X = np.asfortranarray(X) if "{order}" == "F" else X
y = X[:, 0] - 2 * X[:, 1] + rng.standard_normal(n)
compiled = {{"shrinkage": 0, "numba": 0}}
class Count(event.Listener):
    def on_start(self, ev):
        module = ev.data["dispatcher"].py_func.__module__
        compiled["shrinkage" if module.startswith("shrinkage") else "numba"] += 1
    def on_end(self, ev):
        pass
event.register("numba:compile", Count())
cpu = time.process_time()
{code}
print(json.dumps({{"cpu": time.process_time() - cpu, **compiled}}))
"""

CALLS = {
    "Lasso": "from shrinkage import Lasso\nLasso(alpha=0.1).fit(X, y)",
    "ElasticNet": "from shrinkage import ElasticNet\n"
                  "ElasticNet(alpha=0.1, l1_ratio=0.5).fit(X, y)",
    "LogisticRegression": "from shrinkage import LogisticRegression\n"
                          "LogisticRegression(l1_ratio=1.0, C=1.0).fit(X, y > 0)",
    "lasso_path": "from shrinkage import lasso_path\n"
                  "lasso_path(X, y, alphas=np.geomspace(1.0, 1e-3, 30))",
}
SHAPES = {"small": (200, 50), "medium": (1000, 300)}
DEFAULT = ("Lasso_C_small", "Lasso_F_small", "ElasticNet_C_small",
           "LogisticRegression_C_small", "lasso_path_C_small", "lasso_path_F_medium")


def run(call: str, src: str) -> dict:
    """One cold-cache process for ``call`` (``NAME_ORDER_SIZE``) on the sources ``src``."""
    name, order, size = call.rsplit("_", 2)
    source = CHILD.format(shape=SHAPES[size], order=order, code=CALLS[name])
    with tempfile.TemporaryDirectory(prefix="numba-cold-") as empty:
        env = single_thread.worker_environment({"NUMBA_CACHE_DIR": empty,
                                                 "PYTHONPATH": src})
        result = subprocess.run([sys.executable, "-c", source], capture_output=True,
                                text=True, check=True, env=env)
    return json.loads(result.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--calls", nargs="+", default=DEFAULT)
    parser.add_argument("--src", help="another checkout's src/, run in alternation")
    args = parser.parse_args()
    here = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "src")
    trees = {"this": here, **({"other": os.path.abspath(args.src)} if args.src else {})}
    runs = {(call, tree): [] for call in args.calls for tree in trees}
    for _ in range(args.repeats):
        for call in args.calls:
            for tree, src in trees.items():
                runs[call, tree].append(run(call, src))
    print(f"| first call, cold cache | {' | '.join(f'{t}: CPU (s), kernels' for t in trees)} |")
    print(f"|---|{'---:|' * len(trees)}")
    for call in args.calls:
        cells = []
        for tree in trees:
            r = runs[call, tree]
            cells.append(f"{statistics.median(x['cpu'] for x in r):.1f}, "
                         f"{r[0]['shrinkage']} + {r[0]['numba']} Numba helpers")
        print(f"| `{call}` | {' | '.join(cells)} |")
    print(f"\nload average {os.getloadavg()[0]:.1f}; median of {args.repeats} run(s)")


if __name__ == "__main__":
    main()
