"""CPU time of one refit of the multi-class report's procedure (all four methods) on
bootstrap resamples of the benchmark data (10 000 × 100, 5 classes, the 75 % training
split, standardized), best of ``--runs``; optionally saves the fits for comparison.

    python benchmarks/multiclass_refit.py [--resamples 3] [--runs 3] [--save fits.npz]
        [--profile] [--classes 5]
"""

import argparse
import cProfile
import pstats
import time

import numpy as np
from compare_speed import synthetic
from sklearn.model_selection import train_test_split

from shrinkage.explain.multiclass import METHODS, _fit


def data(classes: int, rows: int, features: int):
    d = synthetic("multiclass", rows, features, classes)
    X_tr, _, y_tr, _ = train_test_split(d.X, d.y, test_size=0.25, random_state=0, stratify=d.y)
    X_tr = (X_tr - X_tr.mean(axis=0)) / X_tr.std(axis=0)
    return X_tr, y_tr


def main(args) -> None:
    X, y = data(args.classes, args.rows, args.features)
    n = len(y)
    resamples = [np.random.default_rng(s).integers(0, n, n) for s in range(args.resamples)]
    fits, best = {}, {}
    profiler = cProfile.Profile(time.process_time) if args.profile else None
    for run in range(args.runs):
        for s, rows in enumerate(resamples):
            for m in METHODS:
                start = time.process_time()
                if profiler and run == args.runs - 1:
                    profiler.enable()
                fit = _fit(m, X, y, 5, 0, rows)
                if profiler:
                    profiler.disable()
                t = time.process_time() - start
                best[s, m] = min(best.get((s, m), np.inf), t)
                fits[f"{s}/{m}/coef"] = fit.coef_
                fits[f"{s}/{m}/intercept"] = fit.intercept_
                fits[f"{s}/{m}/C"] = np.array([np.nan if fit.C_ is None else fit.C_])
    for s in range(args.resamples):
        per = {m: best[s, m] for m in METHODS}
        print(
            f"resample {s}: total {sum(per.values()):.2f} s CPU  "
            + "  ".join(f"{m} {t:.2f}" for m, t in per.items())
            + "  C: "
            + " ".join(f"{fits[f'{s}/{m}/C'][0]:.3g}" for m in METHODS[:3])
        )
    if args.save:
        np.savez(args.save, **fits)
    if profiler:
        pstats.Stats(profiler).sort_stats("tottime").print_stats(25)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--resamples", type=int, default=3)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--classes", type=int, default=5)
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--features", type=int, default=100)
    parser.add_argument("--save")
    parser.add_argument("--profile", action="store_true")
    main(parser.parse_args())
