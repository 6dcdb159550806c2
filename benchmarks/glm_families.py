"""GLM families against R's glmnet: whole 100-lambda paths at equal accuracy.

For each family (one function each, registered in ``FAMILIES``) and problem size:

1. simulate data (fixed seed) and the alpha grid (``alpha_max`` down to ``eps·alpha_max``);
2. time R's ``glmnet`` on that grid inside R (``system.time``) for a list of ``thresh``
   values, and shrinkage's ``regularization_path`` for a list of ``tol`` values: CPU
   time (user + system, all threads), the best of ``--repeat`` runs (default 2);
3. evaluate every returned path on the one objective (ours, which glmnet minimises too:
   ``tests/reference/glmnet/README.md``) and report each run's suboptimality,
   ``max_λ (f(β_run) − f*)/|f*|`` with ``f*`` the best objective any run reached;
4. at equal accuracy: for each glmnet run, the fastest shrinkage run at least as accurate,
   and the time ratio ours / glmnet (below 1: shrinkage is faster).

R (``r-base-core``, ``r-cran-glmnet``) must be installed for the comparison; with
``--no-r`` only shrinkage is timed. Usage::

    PYTHONPATH=src python benchmarks/glm_families.py --quick
    PYTHONPATH=src python benchmarks/glm_families.py --family cox --out results.json

A new family is one ``bench_<family>``-style function (data, objective, R call) added to
``FAMILIES``.

Measured (2026-11-30, glmnet 4.1-6, R 4.2.2, a shared 2-core machine; CPU seconds, best
of 2–3 runs; ``python benchmarks/glm_families.py --family cox [--size 10000x1000]``),
Cox with the compiled path (:mod:`shrinkage.solvers._cox_kernels`), pairs at equal
accuracy (suboptimality of ours ≤ glmnet's):

======== ============= ============== ================ ====== =============
n × p    glmnet thresh glmnet s (sub) shrinkage tol    ours s ratio
======== ============= ============== ================ ====== =============
2000×200  1e-7         0.40 (6.1e-6)  1e-3 (2.5e-6)    0.14   0.34
2000×200  1e-9         1.02 (7.0e-8)  1e-4 (9.0e-9)    0.36   0.35
2000×200  1e-11        2.40 (2.2e-10) 1e-5 (8.7e-11)   0.68   0.28
10⁴×10³   1e-7         8.71 (1.3e-5)  1e-3 (6.4e-6)    5.33   0.61
10⁴×10³   1e-9         32.1 (2.7e-7)  1e-4 (8.6e-9)    13.7   0.43
10⁴×10³   1e-11        67.5 (3.1e-10) 1e-5 (8.5e-11)   23.7   0.35
======== ============= ============== ================ ====== =============
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

FULL_SIZES = [(2000, 200), (10_000, 1000)]
QUICK_SIZES = [(2000, 200)]
R_THRESH = [1e-7, 1e-9, 1e-11]
OUR_TOL = [1e-3, 1e-4, 1e-5, 1e-6]
QUICK_R_THRESH = [1e-7, 1e-10]
QUICK_OUR_TOL = [1e-3, 1e-5]


@dataclass
class Run:
    """One timed path: who, at which accuracy setting, seconds, suboptimality."""

    solver: str
    setting: float
    seconds: float
    suboptimality: float = float("nan")


@dataclass
class Comparison:
    family: str
    n: int
    p: int
    eps: float
    runs: list[Run] = field(default_factory=list)
    ratios: list[dict] = field(default_factory=list)


# ---------------------------------------------------------------------- R


R_PATH_SCRIPT = """
suppressPackageStartupMessages(library(glmnet))
args <- commandArgs(trailingOnly = TRUE)
dir <- args[1]; n <- as.integer(args[2]); p <- as.integer(args[3]); nl <- as.integer(args[4])
family <- args[5]
x <- matrix(readBin(file.path(dir, "x.bin"), "double", n * p), n, p)
lam <- readBin(file.path(dir, "lambda.bin"), "double", nl)
if (family == "cox") {
  y <- matrix(readBin(file.path(dir, "y.bin"), "double", n * 2), n, 2)
  colnames(y) <- c("time", "status")
} else {
  y <- readBin(file.path(dir, "y.bin"), "double", n)
}
repeats <- as.integer(args[6])
for (th in as.numeric(args[-(1:6)])) {
  best <- Inf
  for (r in seq_len(repeats)) {
    tm <- system.time(fit <- glmnet(x, y, family = family, lambda = lam,
                                    standardize = FALSE, thresh = th, maxit = 1e7))
    best <- min(best, tm[["user.self"]] + tm[["sys.self"]])  # CPU time
  }
  cat(sprintf("THRESH %g SECONDS %.6f\\n", th, best))
  writeBin(as.vector(as.matrix(fit$beta)), file.path(dir, sprintf("beta_%g.bin", th)))
  if (!is.null(fit$a0)) writeBin(as.vector(fit$a0), file.path(dir, sprintf("a0_%g.bin", th)))
}
"""


def run_glmnet(
    family: str, X, y, alphas, thresholds, workdir: Path, repeats: int = 2
) -> list[tuple]:
    """glmnet paths for each ``thresh``: ``[(thresh, seconds, coefs (p, L), a0 or None)]``,
    timed by R's ``system.time`` around the ``glmnet`` call only: CPU time (user +
    system), the best of ``repeats`` runs."""
    n, p = X.shape
    np.asarray(X, dtype=np.float64).T.tofile(workdir / "x.bin")  # column-major for R
    np.asarray(y, dtype=np.float64).T.tofile(workdir / "y.bin")
    np.asarray(alphas, dtype=np.float64).tofile(workdir / "lambda.bin")
    script = workdir / "path.R"
    script.write_text(R_PATH_SCRIPT)
    command = [
        "Rscript", str(script), str(workdir), str(n), str(p), str(len(alphas)), family,
        str(repeats),
    ]  # fmt: skip
    output = subprocess.run(
        command + [repr(t) for t in thresholds], capture_output=True, text=True, check=True
    ).stdout
    runs = []
    for line in output.splitlines():
        if not line.startswith("THRESH"):
            continue
        _, thresh, _, seconds = line.split()
        coefs = np.fromfile(workdir / f"beta_{thresh}.bin").reshape(len(alphas), p).T
        a0_file = workdir / f"a0_{thresh}.bin"
        a0 = np.fromfile(a0_file) if a0_file.exists() else None
        runs.append((float(thresh), float(seconds), coefs, a0))
    return runs


def r_available() -> bool:
    try:
        subprocess.run(
            ["Rscript", "-e", "library(glmnet)"], capture_output=True, check=True, timeout=60
        )
    except (OSError, subprocess.SubprocessError):
        return False
    return True


# ---------------------------------------------------------------------- shared driver


def compare(family, X, y, alphas, objective, args, r_family: str) -> Comparison:
    """Time both sides on one grid and put every run on the same objective."""
    from shrinkage import regularization_path

    n, p = X.shape
    result = Comparison(family, n, p, args.eps)
    objectives = []
    regularization_path(X[:50], y[:50], loss=family, alphas=3)  # compile outside timing
    for tol in args.tol:
        seconds = np.inf
        for _ in range(args.repeat):  # CPU time (all threads), the best of the repeats
            start = time.process_time()
            path = regularization_path(X, y, loss=family, alphas=alphas, tol=tol, max_iter=100_000)
            seconds = min(seconds, time.process_time() - start)
        result.runs.append(Run("shrinkage", tol, seconds))
        objectives.append(objective(path.coefs, path.intercepts))
        print(f"  shrinkage tol={tol:g}: {seconds:.2f} s", flush=True)
    if args.r:
        with tempfile.TemporaryDirectory() as tmp:
            for thresh, seconds, coefs, a0 in run_glmnet(
                r_family, X, y, alphas, args.thresh, Path(tmp), args.repeat
            ):
                result.runs.append(Run("glmnet", thresh, seconds))
                objectives.append(objective(coefs, a0))
                print(f"  glmnet thresh={thresh:g}: {seconds:.2f} s", flush=True)
    best = np.min(objectives, axis=0)
    for run, values in zip(result.runs, objectives, strict=True):
        run.suboptimality = float(np.max((values - best) / np.abs(best)))
    ours = [r for r in result.runs if r.solver == "shrinkage"]
    for theirs in (r for r in result.runs if r.solver == "glmnet"):
        good = [r for r in ours if r.suboptimality <= max(theirs.suboptimality, 1e-15)]
        if good:
            fastest = min(good, key=lambda r: r.seconds)
            result.ratios.append(
                {
                    "glmnet_thresh": theirs.setting,
                    "glmnet_suboptimality": theirs.suboptimality,
                    "shrinkage_tol": fastest.setting,
                    "shrinkage_suboptimality": fastest.suboptimality,
                    "ratio": fastest.seconds / theirs.seconds,
                }
            )
    return result


# ---------------------------------------------------------------------- families


def cox_data(n: int, p: int, seed: int = 0):
    """Exponential survival times with 10 true effects of ±0.5 and ~30 % censoring."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p))
    beta = np.zeros(p)
    beta[:10] = 0.5 * rng.choice([-1.0, 1.0], 10)
    rate = np.exp(X @ beta)
    event_time = rng.exponential(1.0 / rate)
    censor_time = rng.exponential(3.0 / rate.mean(), n)
    y = np.column_stack([np.minimum(event_time, censor_time), event_time <= censor_time])
    return X, y.astype(np.float64)


def bench_cox(n: int, p: int, args) -> Comparison:
    """Cox (Breslow, glmnet's only ties): −(1/n) log partial likelihood + λ‖β‖₁."""
    from shrinkage.datafits.cox import Cox
    from shrinkage.path import alpha_grid, make_problem

    X, y = cox_data(n, p, args.seed)
    cox = Cox()
    target = cox.check_target(y)
    h = np.full(n, 1.0 / n)
    problem = make_problem(
        X, target, loss=cox, h=h, penalty_weights=np.ones(p), l1_ratio=1.0,
        positive=False, fit_intercept=False,
    )  # fmt: skip
    alphas = alpha_grid(problem.alpha_max, 100, args.eps)

    def objective(coefs, intercepts):
        del intercepts  # no intercept in the Cox model
        return np.array(
            [
                cox.value(target, X @ coefs[:, k], h) + alphas[k] * np.abs(coefs[:, k]).sum()
                for k in range(alphas.size)
            ]
        )

    print(f"cox {n}x{p}: {int(y[:, 1].sum())} events", flush=True)
    return compare("cox", X, y, alphas, objective, args, r_family="cox")


FAMILIES = {"cox": bench_cox}


# ---------------------------------------------------------------------- report


def report(results: list[Comparison]) -> str:
    lines = [
        "| family | n × p | solver | setting | seconds | suboptimality |",
        "|---|---|---|---|---|---|",
    ]
    for c in results:
        for r in c.runs:
            name = "tol" if r.solver == "shrinkage" else "thresh"
            lines.append(
                f"| {c.family} | {c.n} × {c.p} | {r.solver} | {name}={r.setting:g} | "
                f"{r.seconds:.2f} | {r.suboptimality:.1e} |"
            )
    lines += [
        "",
        "| family | n × p | glmnet thresh (subopt) | shrinkage tol (subopt) "
        "| time ratio ours/glmnet |",
        "|---|---|---|---|---|",
    ]
    for c in results:
        for q in c.ratios:
            lines.append(
                f"| {c.family} | {c.n} × {c.p} | {q['glmnet_thresh']:g} "
                f"({q['glmnet_suboptimality']:.1e}) | {q['shrinkage_tol']:g} "
                f"({q['shrinkage_suboptimality']:.1e}) | {q['ratio']:.2f} |"
            )
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--family", choices=sorted(FAMILIES), action="append")
    parser.add_argument("--quick", action="store_true", help="2000 × 200 only, 2 settings each")
    parser.add_argument("--size", action="append", help="N×P, e.g. 10000x1000 (repeatable)")
    parser.add_argument("--eps", type=float, default=1e-3, help="alpha_min / alpha_max")
    parser.add_argument("--tol", type=float, nargs="+", help="shrinkage tolerances")
    parser.add_argument("--thresh", type=float, nargs="+", help="glmnet thresh values")
    parser.add_argument("--no-r", dest="r", action="store_false", help="time shrinkage only")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--repeat", type=int, default=2, help="timed runs per setting; the best CPU time counts"
    )
    parser.add_argument("--out", type=Path, help="write the results as JSON here")
    args = parser.parse_args(argv)
    sizes = QUICK_SIZES if args.quick else FULL_SIZES
    if args.size:
        sizes = [tuple(int(v) for v in s.lower().split("x")) for s in args.size]
    args.tol = args.tol or (QUICK_OUR_TOL if args.quick else OUR_TOL)
    args.thresh = args.thresh or (QUICK_R_THRESH if args.quick else R_THRESH)
    if args.r and not r_available():
        print("R with glmnet not found: timing shrinkage only (--no-r).", file=sys.stderr)
        args.r = False
    results = [
        FAMILIES[family](n, p, args) for family in (args.family or FAMILIES) for n, p in sizes
    ]
    print(report(results))
    if args.out:
        args.out.write_text(json.dumps([asdict(r) for r in results], indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
