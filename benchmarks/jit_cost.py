"""Import-to-first-fit: ``import`` + first ``Lasso.fit`` on small data, in a fresh process.

    python benchmarks/jit_cost.py [--repeats 3] [--depths 0,4,...] [--cold 2] [--features 50]
        [--out FILE]

What a user waits for in a new interpreter: from ``from sklearn.linear_model import
Lasso`` (or ``from shrinkage import Lasso``) to the end of the first ``fit`` on a
200 x ``--features`` problem (the data are built with NumPy before the clock starts).
Interpreter start-up and NumPy's import are excluded; each measurement is a new process,
timed from inside it, in both wall-clock and CPU time (CPU time is what to read on a
shared machine), single-threaded like the other benchmarks. The two libraries alternate,
at each of several stack depths (:data:`DEPTHS`: how many Python frames lie between the
script and the import, which alone moves either library's time by up to 0.3 s); the
summary is the median over the depths of the difference of the per-depth medians of
``--repeats`` runs each.

Both libraries import compiled bytecode, as from an installed package: the children run
with ``PYTHONPYCACHEPREFIX`` set to a temporary folder (filled by a first, untimed run of
each) and without ``PYTHONDONTWRITEBYTECODE``, which some environments set and which
would otherwise make every process compile shrinkage's sources (0.04 s) but not
scikit-learn's (whose ``.pyc`` files ship in site-packages).

shrinkage's Numba kernels are compiled with ``cache=True``:

* **warm cache**: ``NUMBA_CACHE_DIR`` points at a directory filled by one earlier run (what
  every run after the first one sees, whether the cache sits next to the sources or, for a
  read-only installation, in the user's cache directory);
* **cold cache**: a new empty ``NUMBA_CACHE_DIR`` per run (the first fit compiles its
  kernels: the cost paid once after installing or upgrading).

The package's own cache (next to its sources) is neither used nor touched. A last table
splits a warm-cache run into its parts (the scikit-learn base classes that both libraries
import, Numba's import, its compiler context -- which runs the ``numba_extensions``
entry points of installed packages --, its runtime, shrinkage's own modules, the fit)
and, for comparison, what Numba's own cache loader would add (its full context refresh,
which ``shrinkage._jit`` skips on a cache hit).
"""

import single_thread  # noqa: I001  (thread limits, inherited by the children)

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile

from report import markdown_table, write_markdown

SETUP = """
import json, time
import numpy as np
rng = np.random.default_rng(0)
X = rng.standard_normal((200, {features}))
y = X[:, 0] - 2 * X[:, 1] + rng.standard_normal(200)
"""

FIRST_FIT = {
    "sklearn": "from sklearn.linear_model import Lasso\nLasso(alpha=0.1).fit(X, y)",
    "shrinkage": "from shrinkage import Lasso\nLasso(alpha=0.1).fit(X, y)",
}

# The first fit runs `depth` Python frames below the script's top level (see DEPTHS).
PROBE = """
def first_fit():
    wall, cpu = time.perf_counter(), time.process_time()
{code}
    return {{"wall": time.perf_counter() - wall, "cpu": time.process_time() - cpu}}
def below(depth):
    return first_fit() if depth == 0 else below(depth - 1)
print(json.dumps(below({depth})))
"""

#: Stack depths (Python frames between the script and the import) the whole-run probes
#: run at. CPython (3.11-3.13) keeps its frames in 16 KB chunks that it maps when a call
#: needs a new one and unmaps when that call returns: where a hot loop of the imports
#: calls across a chunk's end, every such call maps, faults in and unmaps a chunk. Which
#: loops do depends on how deep the import starts, so one depth alone can add 0.1-0.3 s
#: to either library (page faults of 35,000-90,000 for the same work, perf: in
#: ``_PyThreadState_BumpFramePointerSlow``); a user's script, a function, a notebook
#: cell each start at another depth. The summary is the median over these depths of the
#: per-depth difference.
DEPTHS = (0, 4, 7, 10, 14, 18, 22, 27, 33, 45)

# The parts of a first fit, in the order a first fit meets them.
CLOCK = """
parts = {}
def clock(name, start=[time.perf_counter(), time.process_time()]):
    wall, cpu = time.perf_counter(), time.process_time()
    parts[name] = {"wall": wall - start[0], "cpu": cpu - start[1]}
    start[:] = [wall, cpu]
import sklearn.base, sklearn.utils.validation, scipy.sparse
clock("scikit-learn base classes, scipy.sparse (imported by both)")
"""
BREAKDOWN = {
    "shrinkage": CLOCK + """
import shrinkage._jit  # imports numba as shrinkage does (collector paused)
clock("import numba (through shrinkage._jit)")
from numba.core.registry import cpu_target
context = cpu_target.target_context
clock("Numba's compiler context (runs the numba_extensions entry points)")
from numba.core.runtime import rtsys
rtsys.initialize(context)
clock("Numba's runtime (NRT) initialization")
from shrinkage import Lasso
clock("shrinkage's modules")
Lasso(alpha=0.1).fit(X, y)
clock("first fit (loads the cached kernels)")
Lasso(alpha=0.1).fit(X, y)
clock("second fit")
context.refresh()
clock("(not paid) Numba's full context refresh, which its own cache loader runs")
print(json.dumps(parts))
""",
    "sklearn": CLOCK + """
from sklearn.linear_model import Lasso
clock("import sklearn.linear_model")
Lasso(alpha=0.1).fit(X, y)
clock("first fit")
print(json.dumps(parts))
""",
}


def run(source: str, pycache: str, numba_cache_dir: str | None = None) -> dict:
    """Run ``source`` in a new interpreter; returns the JSON it prints last."""
    extra = {"PYTHONPYCACHEPREFIX": pycache}
    if numba_cache_dir is not None:
        extra["NUMBA_CACHE_DIR"] = numba_cache_dir
    env = single_thread.worker_environment(extra)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    result = subprocess.run([sys.executable, "-c", source], capture_output=True, text=True,
                            check=True, env=env)
    return json.loads(result.stdout.strip().splitlines()[-1])


def summary(runs: list[dict]) -> dict:
    """Median and best of the runs, per clock."""
    return {f"{stat}_{key}": f([r[key] for r in runs])
            for key in ("wall", "cpu") for stat, f in (("median", statistics.median),
                                                       ("best", min))}


def _indented(code: str) -> str:
    return "\n".join("    " + line for line in code.splitlines())


def measurements(repeats: int, cold: int, features: int, depths=DEPTHS) -> dict:
    """At each stack depth, ``repeats`` first fits of each (scikit-learn, shrinkage
    with a warm cache) run alternately; ``cold`` cold-cache runs (depth 0) and the
    breakdowns (median per part)."""
    setup = SETUP.format(features=features)

    def probe(lib: str, depth: int) -> str:
        return setup + PROBE.format(code=_indented(FIRST_FIT[lib]), depth=depth)

    by_depth: dict[int, dict[str, list[dict]]] = {d: {"sklearn": [], "warm": []}
                                                  for d in depths}
    cold_runs: list[dict] = []
    parts: dict[str, list[dict]] = {"sklearn": [], "shrinkage": []}
    with (tempfile.TemporaryDirectory(prefix="numba-cache-") as cache,
          tempfile.TemporaryDirectory(prefix="pycache-") as pycache):
        run(probe("shrinkage", 0), pycache, cache)  # fills the Numba cache and the bytecode
        run(probe("sklearn", 0), pycache)
        for k in range(repeats):
            for depth in depths:
                by_depth[depth]["sklearn"].append(run(probe("sklearn", depth), pycache))
                by_depth[depth]["warm"].append(run(probe("shrinkage", depth), pycache, cache))
            if k < cold:
                with tempfile.TemporaryDirectory(prefix="numba-cold-") as empty:
                    cold_runs.append(run(probe("shrinkage", 0), pycache, empty))
        for _ in range(repeats):
            for lib in parts:
                parts[lib].append(run(setup + BREAKDOWN[lib], pycache, cache))
    breakdown = {lib: {name: {key: statistics.median(p[name][key] for p in runs_)
                              for key in ("wall", "cpu")} for name in runs_[0]}
                 for lib, runs_ in parts.items()}
    depth_rows = {d: {"sklearn": summary(r["sklearn"]), "warm": summary(r["warm"])}
                  for d, r in by_depth.items()}
    return {"depths": depth_rows,
            "difference": {key: statistics.median(
                row["warm"][f"median_{key}"] - row["sklearn"][f"median_{key}"]
                for row in depth_rows.values()) for key in ("wall", "cpu")},
            "sklearn": summary([r for d in by_depth.values() for r in d["sklearn"]]),
            "warm": summary([r for d in by_depth.values() for r in d["warm"]]),
            "cold": summary(cold_runs) if cold_runs else None,
            "breakdown": breakdown, "repeats": repeats, "cold_runs": cold,
            "features": features, "load": os.getloadavg()[0]}


def markdown(result: dict) -> list[str]:
    difference = result["difference"]
    lines = [f"Import-to-first-fit, shrinkage − scikit-learn (median over {len(result['depths'])} "
             f"stack depths of the per-depth medians): **{difference['cpu']:+.3f} s CPU**, "
             f"{difference['wall']:+.3f} s wall.", ""]
    rows = []
    for depth, row in result["depths"].items():
        sk, warm = row["sklearn"], row["warm"]
        rows.append([str(depth), f"{sk['median_cpu']:.3f}", f"{warm['median_cpu']:.3f}",
                     f"{warm['median_cpu'] - sk['median_cpu']:+.3f}"])
    lines += markdown_table(["stack depth of the import", "scikit-learn `Lasso`, CPU (s)",
                             "shrinkage `Lasso`, warm cache, CPU (s)", "difference"], rows,
                            right=range(1, 4))
    lines.append("")
    sk = result["sklearn"]
    rows = [["scikit-learn `Lasso`", *(f"{sk[k]:.3f}" for k in _COLUMNS), "", ""]]
    for key, label in (("warm", "shrinkage `Lasso`, warm Numba cache"),
                       ("cold", "shrinkage `Lasso`, cold Numba cache (compiles, depth 0)")):
        t = result[key]
        if t is None:
            continue
        rows.append([label, *(f"{t[k]:.3f}" for k in _COLUMNS),
                     f"{t['median_wall'] - sk['median_wall']:+.3f}",
                     f"{t['median_cpu'] - sk['median_cpu']:+.3f}"])
    lines += markdown_table(["fresh process, import to end of first fit (all depths)",
                             "wall median (s)", "CPU median (s)", "wall best (s)",
                             "CPU best (s)", "wall − scikit-learn", "CPU − scikit-learn"], rows,
                            right=range(1, 7))
    lines += ["", f"Median (and best) of {result['repeats']} alternating runs each at each "
              f"depth (cold: {result['cold_runs']}); 200x{result['features']} dense float64, "
              f"`alpha=0.1`; load average {result['load']:.1f}.", ""]
    for lib, title in (("shrinkage", "part of a warm-cache shrinkage first fit"),
                       ("sklearn", "part of a scikit-learn first fit")):
        lines += markdown_table(
            [title, "wall (s)", "CPU (s)"],
            [[name, f"{t['wall']:.3f}", f"{t['cpu']:.3f}"]
             for name, t in result["breakdown"][lib].items()], right=(1, 2))
        lines.append("")
    return lines[:-1]


_COLUMNS = ("median_wall", "median_cpu", "best_wall", "best_cpu")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3,
                        help="runs per library at each stack depth")
    parser.add_argument("--depths", default=",".join(map(str, DEPTHS)),
                        help="stack depths of the import, comma-separated (see DEPTHS)")
    parser.add_argument("--cold", type=int, default=2, help="cold-cache runs")
    parser.add_argument("--features", type=int, default=50, help="columns of X (200 rows)")
    parser.add_argument("--markdown", action="store_true", help="print a markdown table")
    parser.add_argument("--out", help="also write the markdown tables here")
    parser.add_argument("--json", help="also write the raw numbers here")
    args = parser.parse_args()
    depths = tuple(int(d) for d in args.depths.split(","))
    result = measurements(args.repeats, args.cold, args.features, depths)
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
