"""Poisson benchmark: a 100-λ lasso path against R's glmnet, one L2 fit against scikit-learn.

    python benchmarks/glm_poisson.py                       # 2000×200 and 10000×1000
    python benchmarks/glm_poisson.py --sizes 2000x200      # one size
    python benchmarks/glm_poisson.py --out benchmarks/GLM_POISSON_RESULTS.json

**Path.** ``X`` standard normal / √p scaled columns, 20 true non-zero coefficients,
``y ~ Poisson(exp(0.5 + Xβ))``. R's glmnet 4.1 (``family="poisson"``,
``standardize=FALSE``, ``nlambda=100``, ``lambda.min.ratio=1e-3``) computes the λ
sequence and the path; its time is ``system.time`` around the ``glmnet`` call only (data
read from a binary file before). shrinkage then solves
``regularization_path(loss="poisson", alphas=<glmnet's λ>)``, timed around that call.
glmnet runs at its default ``thresh=1e-7`` and at ``1e-10``, shrinkage at
``tol=1e-2, 1e-3, 1e-4``; accuracy is the objective ``Σh(μ − yη) + λ‖β‖₁`` at every λ:
each run reports its largest relative excess over the best of all runs, so runs of equal
accuracy can be compared. ``ratio_to_glmnet_default`` is seconds over glmnet's at
``thresh=1e-7``.

**L2 fit.** ``PoissonRegressor(alpha, l1_ratio=0)`` against scikit-learn's
``PoissonRegressor(alpha)`` (``lbfgs`` and ``newton-cholesky``) at ``tol=1e-4``, with
the relative objective excess over a tight solution (scikit-learn ``newton-cholesky``,
``tol=1e-12``).

Timings are wall-clock, single process, on whatever else the machine is running: rerun
for stable numbers.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

R_SCRIPT = r"""
suppressPackageStartupMessages(library(glmnet))
invisible(glmnet.control(fdev = 0))  # the whole 100-lambda path, no early stop
args <- commandArgs(trailingOnly = TRUE)
n <- as.integer(args[2]); p <- as.integer(args[3]); thresh <- as.numeric(args[4])
x <- matrix(readBin(file.path(args[1], "x.bin"), "double", n * p), n, p)
y <- readBin(file.path(args[1], "y.bin"), "double", n)
fit <- NULL
timing <- system.time(
  fit <- glmnet(x, y, family = "poisson", standardize = FALSE, nlambda = 100,
                lambda.min.ratio = 1e-3, thresh = thresh)
)
writeBin(as.double(fit$lambda), file.path(args[1], "lambda.bin"))
writeBin(as.double(fit$a0), file.path(args[1], "a0.bin"))
writeBin(as.double(as.matrix(fit$beta)), file.path(args[1], "beta.bin"))
cat(timing[["elapsed"]], length(fit$lambda), "\n")
"""


def make_data(n: int, p: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p)) / np.sqrt(20)
    beta = np.zeros(p)
    beta[rng.choice(p, 20, replace=False)] = rng.uniform(-1, 1, 20)
    y = rng.poisson(np.exp(0.5 + X @ beta)).astype(float)
    return X, y


def objective(X, y, coef, intercept, alpha, l1_ratio=1.0):
    eta = X @ coef + intercept
    fit = np.mean(np.exp(eta) - y * eta)
    return fit + alpha * (l1_ratio * np.abs(coef).sum() + 0.5 * (1 - l1_ratio) * coef @ coef)


def run_glmnet(X, y, thresh: float):
    n, p = X.shape
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        np.asfortranarray(X).ravel(order="F").tofile(tmp / "x.bin")
        y.tofile(tmp / "y.bin")
        (tmp / "run.R").write_text(R_SCRIPT)
        out = subprocess.run(
            ["Rscript", str(tmp / "run.R"), str(tmp), str(n), str(p), repr(thresh)],
            capture_output=True,
            text=True,
            check=True,
        )
        seconds, n_lambda = out.stdout.split()
        lam = np.fromfile(tmp / "lambda.bin")
        a0 = np.fromfile(tmp / "a0.bin")
        beta = np.fromfile(tmp / "beta.bin").reshape(p, lam.size, order="F")
    return float(seconds), lam, a0, beta


def path_benchmark(n: int, p: int, thresholds, tols) -> dict:
    """glmnet at each ``thresh``, shrinkage at each ``tol``, all on glmnet's λ grid."""
    from shrinkage import regularization_path

    X, y = make_data(n, p)
    fits = {}
    lam = None
    for thresh in thresholds:
        seconds, lam_r, a0, beta = run_glmnet(X, y, thresh)
        lam = lam_r if lam is None else lam
        fits[f"glmnet thresh={thresh:g}"] = (seconds, beta, a0)
    regularization_path(X[:200], y[:200], loss="poisson", alphas=lam[:3])  # JIT warm-up
    for tol in tols:
        start = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ours = regularization_path(X, y, loss="poisson", alphas=lam, tol=tol, max_iter=1000)
        fits[f"shrinkage tol={tol:g}"] = (time.perf_counter() - start, ours.coefs, ours.intercepts)
    values = {
        name: np.array([objective(X, y, b[:, k], a[k], lam[k]) for k in range(lam.size)])
        for name, (_, b, a) in fits.items()
    }
    best = np.min(np.array(list(values.values())), axis=0)
    reference = fits[f"glmnet thresh={thresholds[0]:g}"][0]
    rows = {
        name: {
            "seconds": seconds,
            "ratio_to_glmnet_default": seconds / reference,
            "max_rel_excess": float(np.max((values[name] - best) / np.abs(best))),
        }
        for name, (seconds, _, _) in fits.items()
    }
    return {"task": f"poisson lasso path, {lam.size} lambdas", "n": n, "p": p, **rows}


def l2_benchmark(n: int, p: int, alpha: float = 1e-3, tol: float = 1e-4) -> dict:
    from sklearn.linear_model import PoissonRegressor as SkPoisson

    from shrinkage import PoissonRegressor

    X, y = make_data(n, p, seed=1)
    exact = SkPoisson(alpha=alpha, solver="newton-cholesky", tol=1e-12, max_iter=1000).fit(X, y)
    f_best = objective(X, y, exact.coef_, exact.intercept_, alpha, 0.0)
    PoissonRegressor(alpha=alpha).fit(X[:100], y[:100])  # JIT warm-up
    rows = {}
    for name, model in (
        ("shrinkage", PoissonRegressor(alpha=alpha, tol=tol)),
        ("sklearn_lbfgs", SkPoisson(alpha=alpha, tol=tol)),
        ("sklearn_newton_cholesky", SkPoisson(alpha=alpha, tol=tol, solver="newton-cholesky")),
    ):
        start = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model.fit(X, y)
        seconds = time.perf_counter() - start
        f = objective(X, y, model.coef_, model.intercept_, alpha, 0.0)
        rows[name] = {"seconds": seconds, "rel_excess": float((f - f_best) / abs(f_best))}
    return {"task": f"PoissonRegressor L2, alpha={alpha}", "n": n, "p": p, "tol": tol, **rows}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", nargs="+", default=["2000x200", "10000x1000"])
    ap.add_argument(
        "--thresh", type=float, nargs="+", default=[1e-7, 1e-10], help="glmnet's thresh"
    )
    ap.add_argument(
        "--tol", type=float, nargs="+", default=[1e-2, 1e-3, 1e-4], help="shrinkage's tol"
    )
    ap.add_argument("--no-l2", action="store_true")
    ap.add_argument("--out", type=Path)
    args = ap.parse_args(argv)
    results = []
    for size in args.sizes:
        n, p = (int(v) for v in size.split("x"))
        row = path_benchmark(n, p, args.thresh, args.tol)
        print(json.dumps(row), flush=True)
        results.append(row)
        if not args.no_l2:
            row = l2_benchmark(n, p)
            print(json.dumps(row), flush=True)
            results.append(row)
    if args.out:
        args.out.write_text(json.dumps(results, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
