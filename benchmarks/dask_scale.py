"""The distributed engine at scale: data larger than the cluster's memory.

Usage::

    python benchmarks/dask_scale.py                       # the full run (~6-8 min)
    python benchmarks/dask_scale.py --rows 2000000 --quick  # a smoke run

What is measured (see ``benchmarks/DASK_RESULTS.md``):

1. Baseline: the in-memory ``X.T @ X`` of one block (1 and all BLAS threads).
2. The Gram pass on data persisted in the cluster's memory: throughput against (1).
3. Data larger than the cluster's memory (default 50M × 100 float64 = 40 GB against
   2 workers × 3 GiB), generated block by block on the workers and never stored:
   a generation-only pass (the floor of any pass), the Gram pass, the whole lasso
   path (100 alphas) and ``LassoCV`` (5 folds, 100 alphas).
4. Against dask-ml at a size it handles (persisted data): ``LinearRegression(
   penalty="l1")`` and ``LogisticRegression(penalty="l1")`` with the ``admm`` and
   ``proximal_grad`` solvers, time and objective reached, both objectives computed
   by the same code (ours, on the same persisted data). dask-glm (under dask-ml)
   penalizes the intercept too; the data are centred so that costs it nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import warnings

import numpy as np
from timing import best_of as timed

SEED = 20240601


def _x_block(block_id=None, *, rows, p, seed):
    """Features of one block: uniform (fast to generate), unit variance, offset means."""
    i = block_id[0]
    rng = np.random.default_rng([seed, i])
    X = rng.random((rows[i], p))
    X -= 0.5
    X *= np.sqrt(12.0)
    X += np.linspace(-3.0, 3.0, p)
    return X


def _y_block(X, block_id=None, *, beta, intercept, seed, logistic):
    rng = np.random.default_rng([seed, 10_000_019, block_id[0]])
    # X @ β minus the means' part: no temporary copy of the block.
    eta = X @ beta + (intercept - np.linspace(-3.0, 3.0, X.shape[1]) @ beta)
    if logistic:
        return (rng.random(X.shape[0]) < 1.0 / (1.0 + np.exp(-eta))).astype(np.float64)
    return eta + rng.standard_normal(X.shape[0])


def make_data(n, p, chunk, seed=SEED, logistic=False, intercept=5.0):
    """Dask ``X, y``: each block generated on a worker from its index (never stored)."""
    import dask.array as da

    rows = (chunk,) * (n // chunk) + ((n % chunk,) if n % chunk else ())
    X = da.map_blocks(_x_block, chunks=(rows, (p,)), dtype=np.float64, rows=rows, p=p, seed=seed)
    beta = np.zeros(p)
    beta[: p // 10] = np.linspace(1.0, -0.5, p // 10)
    if logistic:
        beta *= 0.5
    y = da.map_blocks(
        _y_block,
        X,
        drop_axis=1,
        dtype=np.float64,
        beta=beta,
        intercept=intercept,
        seed=seed,
        logistic=logistic,
    )
    return X, y, beta


def baseline(chunk, p):
    """``X.T @ X`` of one in-memory block, 1 thread and all threads."""
    from threadpoolctl import threadpool_limits

    X = _x_block((0,), rows=(chunk,), p=p, seed=SEED)
    out = {"generate_block_s": timed(lambda: _x_block((0,), rows=(chunk,), p=p, seed=SEED), 3)[0]}
    for threads in (1, os.cpu_count()):
        with threadpool_limits(threads):
            seconds, _ = timed(lambda: X.T @ X, 5)
        out[f"xtx_{threads}_threads_s"] = seconds
        out[f"xtx_{threads}_threads_GBps"] = X.nbytes / seconds / 1e9
    out["block_bytes"] = X.nbytes
    return out


def _block_sums(X, y, w, info, shared):
    """A pass that only touches every value: the floor under the Gram pass."""
    return np.array([X.sum(), y.sum()])


def generation_pass_seconds(X, y):
    from shrinkage.distributed._graph import map_reduce
    from shrinkage.distributed._inputs import prepare

    data = prepare(X, y)
    return timed(lambda: map_reduce(_block_sums, data, None))[0]


def gram_pass_seconds(X, y, n_folds=1):
    from shrinkage.distributed._inputs import prepare
    from shrinkage.distributed.moments import gram_pass

    data = prepare(X, y)
    return timed(lambda: gram_pass(data, True, n_folds))[0]


def lasso_objective(X, y, coef, intercept, alpha):
    """``1/(2n) Σ (y − b − Xβ)² + α‖β‖₁`` by one Dask pass (the same code for all)."""
    import dask

    r = y - X @ coef - intercept
    mean_square = dask.compute((r * r).mean())[0]
    return 0.5 * mean_square + alpha * np.abs(coef).sum()


def logistic_objective(X, y, coef, intercept, alpha):
    import dask
    import dask.array as da

    eta = X @ coef + intercept
    loss = dask.compute(da.mean(da.logaddexp(0.0, eta) - y * eta))[0]
    return loss + alpha * np.abs(coef).sum()


def against_dask_ml(n, p, chunk, max_iter):
    """Lasso and L1 logistic regression: shrinkage vs dask-ml on persisted data."""
    from dask_ml.linear_model import LinearRegression as DaskMLLinear
    from dask_ml.linear_model import LogisticRegression as DaskMLLogistic

    from shrinkage.linear_model import Lasso, LogisticRegression

    rows = []
    X, y, _ = make_data(n, p, chunk, seed=SEED + 1, intercept=0.0)
    X = (X - np.linspace(-3.0, 3.0, p)).persist()  # centred: dask-glm penalizes the intercept
    y = y.persist()
    alpha = 0.02
    seconds, ours = timed(lambda: Lasso(alpha=alpha, tol=1e-6).fit(X, y))
    reference = Lasso(alpha=alpha, tol=1e-12).fit(X, y)
    best = lasso_objective(X, y, reference.coef_, reference.intercept_, alpha)
    rows.append(
        (
            "lasso",
            "shrinkage (Gram pass + CD)",
            seconds,
            lasso_objective(X, y, ours.coef_, ours.intercept_, alpha) - best,
        )
    )
    for solver in ("admm", "proximal_grad"):
        C = 1.0 / (2 * n * alpha)  # dask-glm: Σ(y − Xβ)² + ‖β‖₁/C
        model = DaskMLLinear(penalty="l1", C=C, solver=solver, max_iter=max_iter)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            seconds, model = timed(lambda model=model: model.fit(X, y))
        value = lasso_objective(X, y, np.asarray(model.coef_), float(model.intercept_), alpha)
        rows.append(("lasso", f"dask-ml {solver} (max_iter={max_iter})", seconds, value - best))

    Xc, yc, _ = make_data(n, p, chunk, seed=SEED + 2, logistic=True, intercept=0.0)
    Xc = (Xc - np.linspace(-3.0, 3.0, p)).persist()
    yc = yc.persist()
    alpha = 0.01  # our mean-loss units; dask-glm sums the loss, so C = 1/(α·n) for both
    C = 1.0 / (alpha * n)
    seconds, ours = timed(lambda: LogisticRegression(C=C, l1_ratio=1.0, tol=1e-6).fit(Xc, yc))
    reference = LogisticRegression(C=C, l1_ratio=1.0, tol=1e-10).fit(Xc, yc)
    best = logistic_objective(Xc, yc, reference.coef_[0], reference.intercept_[0], alpha)
    value = logistic_objective(Xc, yc, ours.coef_[0], ours.intercept_[0], alpha)
    rows.append(
        ("logistic", f"shrinkage (prox. Newton, {ours.n_iter_[0]} steps)", seconds, value - best)
    )
    for solver in ("admm", "proximal_grad"):
        model = DaskMLLogistic(penalty="l1", C=C, solver=solver, max_iter=max_iter)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            seconds, model = timed(lambda model=model: model.fit(Xc, yc))
        value = logistic_objective(
            Xc, yc, np.asarray(model.coef_).ravel(), float(np.ravel(model.intercept_)[0]), alpha
        )
        rows.append(("logistic", f"dask-ml {solver} (max_iter={max_iter})", seconds, value - best))
    return rows


def markdown(r) -> str:
    """The tables of ``DASK_RESULTS.md``."""
    gb = r["block_bytes"] / 1e9
    lines = [
        "| step | data | seconds | GB/s | rows/s |",
        "|---|---|---:|---:|---:|",
        f"| in-memory `X.T @ X`, one block, 1 thread | {gb:.1f} GB in memory | "
        f"{r['xtx_1_threads_s']:.3f} | {r['xtx_1_threads_GBps']:.2f} | "
        f"{r['chunk'] / r['xtx_1_threads_s']:,.0f} |",
        f"| in-memory `X.T @ X`, one block, {r['workers']} threads | {gb:.1f} GB in memory | "
        f"{r['xtx_2_threads_s']:.3f} | {r['xtx_2_threads_GBps']:.2f} | "
        f"{r['chunk'] / r['xtx_2_threads_s']:,.0f} |",
        f"| Gram pass, persisted data | {r['persisted_rows'] * r['features'] * 8 / 1e9:.1f} GB "
        f"in the cluster | {r['persisted_gram_pass_s']:.2f} | "
        f"{r['persisted_gram_pass_GBps']:.2f} | {r['persisted_gram_pass_rows_per_s']:,.0f} |",
        f"| generation only (floor of a pass) | {r['data_GB']:.0f} GB generated | "
        f"{r['generation_pass_s']:.1f} | {r['data_GB'] / r['generation_pass_s']:.2f} | "
        f"{r['rows'] / r['generation_pass_s']:,.0f} |",
        f"| Gram pass | {r['data_GB']:.0f} GB generated | {r['gram_pass_s']:.1f} | "
        f"{r['gram_pass_GBps']:.2f} | {r['gram_pass_rows_per_s']:,.0f} |",
        f"| whole lasso path, 100 alphas (pass + path) | {r['data_GB']:.0f} GB generated | "
        f"{r['lasso_path_s']:.1f} | | |",
        f"| … of which the path on the p×p Gram | | {r['lasso_path_solve_s']:.2f} | | |",
        f"| `LassoCV(cv=5)`, 100 alphas (one pass, 6 paths) | {r['data_GB']:.0f} GB "
        f"generated | {r['lasso_cv_s']:.1f} | | |",
    ]
    if "dask_ml" in r:
        lines += [
            "",
            f"| problem ({r['dask_ml_rows']:,} × {r['features']}, persisted) | solver | "
            "seconds | objective − optimum |",
            "|---|---|---:|---:|",
        ]
        lines += [
            f"| {problem} | {solver} | {seconds:.1f} | {gap:.2e} |"
            for problem, solver, seconds, gap in r["dask_ml"]
        ]
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=50_000_000)
    parser.add_argument("--features", type=int, default=100)
    parser.add_argument("--chunk", type=int, default=250_000, help="rows per block")
    parser.add_argument("--workers", type=int, default=os.cpu_count())
    parser.add_argument("--memory-limit", default="3GiB", help="per worker")
    parser.add_argument("--persisted-rows", type=int, default=4_000_000)
    parser.add_argument("--dask-ml-rows", type=int, default=250_000)
    parser.add_argument("--dask-ml-max-iter", type=int, default=50)
    parser.add_argument("--json", default=None, help="write the numbers here")
    parser.add_argument("--quick", action="store_true", help="skip dask-ml")
    args = parser.parse_args(argv)

    from distributed import Client, LocalCluster

    from shrinkage.distributed import regularization_path
    from shrinkage.linear_model import LassoCV

    n, p, chunk = args.rows, args.features, args.chunk
    results = {"rows": n, "features": p, "chunk": chunk, "workers": args.workers}
    results["data_GB"] = n * p * 8 / 1e9
    results["load_average_before"] = os.getloadavg()
    results.update(baseline(chunk, p))
    with (
        LocalCluster(
            n_workers=args.workers,
            threads_per_worker=1,
            memory_limit=args.memory_limit,
            processes=True,
            dashboard_address=None,
        ) as cluster,
        Client(cluster),
    ):
        results["cluster_memory_GB"] = (
            sum(w.memory_limit for w in cluster.scheduler.workers.values()) / 1e9
        )

        # Gram pass on persisted data: the pass itself against X.T @ X in memory.
        X, y, _ = make_data(args.persisted_rows, p, chunk)
        X, y = X.persist(), y.persist()
        seconds = gram_pass_seconds(X, y)
        seconds = min(seconds, gram_pass_seconds(X, y))
        results["persisted_rows"] = args.persisted_rows
        results["persisted_gram_pass_s"] = seconds
        results["persisted_gram_pass_GBps"] = X.nbytes / seconds / 1e9
        results["persisted_gram_pass_rows_per_s"] = args.persisted_rows / seconds

        # Data larger than the cluster's memory, generated on the workers.
        X, y, beta = make_data(n, p, chunk)
        results["generation_pass_s"] = generation_pass_seconds(X, y)
        seconds = gram_pass_seconds(X, y)
        results["gram_pass_s"] = seconds
        results["gram_pass_GBps"] = X.nbytes / seconds / 1e9
        results["gram_pass_rows_per_s"] = n / seconds
        seconds, path = timed(lambda: regularization_path(X, y, alphas=100, tol=1e-6))
        results["lasso_path_s"] = seconds
        results["lasso_path_solve_s"] = path.total_time
        results["lasso_path_nonzero_last"] = int(path.n_nonzero[-1])
        results["lasso_path_max_coef_error_last"] = float(np.abs(path.coefs[:, -1] - beta).max())
        seconds, cv = timed(lambda: LassoCV(cv=5, tol=1e-6).fit(X, y))
        results["lasso_cv_s"] = seconds
        results["lasso_cv_alpha"] = cv.alpha_
        results["lasso_cv_nonzero"] = int(np.count_nonzero(cv.coef_))

        if not args.quick:
            results["dask_ml_rows"] = args.dask_ml_rows
            results["dask_ml"] = against_dask_ml(args.dask_ml_rows, p, chunk, args.dask_ml_max_iter)

    results["load_average_after"] = os.getloadavg()
    print(json.dumps(results, indent=2, default=float))
    print(markdown(results))
    if args.json:
        with open(args.json, "w") as handle:
            json.dump(results, handle, indent=2, default=float)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
