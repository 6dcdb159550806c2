"""Refitting the procedure on resamples: one entry point for both tasks, run in threads.

:func:`refit` fits every method on the rows weighted by ``weights`` (a bootstrap's
counts, or 0/1 for a training fold), with the inner K-fold choice of α made on those
rows only. :func:`run_parallel` maps it over resamples with ``n_jobs`` threads: the
least-squares work is BLAS and compiled code that releases the GIL.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np

from .procedure import (
    METHODS,
    LinearFit,
    fold_moments,
    inner_assignment,
    least_squares_procedure,
    logistic_procedure,
)


def methods_for(task: str) -> tuple[str, ...]:
    return METHODS if task == "regression" else tuple(m for m in METHODS if m != "relaxed lasso")


def refit(task: str, X, y, weights, folds: int, rng, methods=None) -> dict[str, LinearFit]:
    """The whole procedure (standardize, CV choice of α, refit) on the weighted rows.

    A resample with fewer distinct rows than ``folds`` (a bootstrap has about 63% of
    them) is cut into as many folds as it has rows: leave-one-out, the nearest to the
    ``folds`` asked for (more folds than rows would leave some empty).
    """
    methods = methods_for(task) if methods is None else tuple(methods)
    folds = min(folds, int(np.count_nonzero(weights > 0)))
    assignment = inner_assignment(weights, folds, rng)
    if task == "regression":
        return least_squares_procedure(fold_moments(X, y, weights, assignment, folds), methods)
    return logistic_procedure(X, y, weights, assignment, folds, methods)


def run_parallel(function, items, n_jobs: int | None, progress=None) -> list:
    """``[function(item) for item in items]`` on ``n_jobs`` threads (order kept).

    BLAS is held to one thread meanwhile: the matrices are small (``p × p``), and a
    multi-threaded BLAS on each of several worker threads oversubscribes the cores.
    """
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1, user_api="blas"):
        return _run(function, list(items), n_jobs, progress)


def effective_workers(n_jobs) -> int:
    """Workers for ``n_jobs`` as joblib reads it: None or 0 one, ``-1`` one per core,
    ``-2`` all but one, ..."""
    if not n_jobs:
        return 1
    from joblib import effective_n_jobs

    return max(int(effective_n_jobs(int(n_jobs))), 1)


def _run(function, items, n_jobs, progress) -> list:
    n_jobs = effective_workers(n_jobs)
    results = [None] * len(items)
    if n_jobs == 1:
        for i, item in enumerate(items):
            results[i] = function(item)
            if progress:
                progress(i + 1, len(items))
        return results
    with ThreadPoolExecutor(n_jobs) as pool:
        futures = {pool.submit(function, item): i for i, item in enumerate(items)}
        done = 0
        for future in _as_completed(futures):
            results[futures[future]] = future.result()
            done += 1
            if progress:
                progress(done, len(items))
    return results


def _as_completed(futures):
    from concurrent.futures import as_completed

    return as_completed(futures)


def seeds(seed: int, count: int) -> list[np.random.Generator]:
    """Independent generators, one per resample (reproducible in any thread order)."""
    return [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(count)]
