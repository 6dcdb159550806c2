"""Multinomial (softmax) logistic regression with an L1 penalty: shrinkage against
scikit-learn's ``saga`` (its only solver for an L1 multinomial fit), at equal accuracy.

For each problem (standardized columns, as saga needs) it fits shrinkage at
``tol=1e-8`` (and at its default 1e-4), then scikit-learn's saga at tol 1e-4, 1e-6 and
1e-8 (``max_iter`` 20000). The reference objective is the lowest any fit reached
(scikit-learn's form, ``C·Σ log-loss + Σ|B|``); each fit's accuracy is its relative
excess over it. The ratio divides shrinkage's time by that of the first saga fit at
least as accurate (or within 1e-10, whichever is looser); no saga fit that accurate
gives no ratio ("-"). One thread, CPU time, best of ``--repeats``.

``--before`` also times shrinkage's class-wise solver (the route these fits took before
the full-Hessian one, forced here), to show what the route is worth.

Examples
--------
python benchmarks/multinomial_l1.py            # prints a markdown table
python benchmarks/multinomial_l1.py --quick    # two problems
"""

from __future__ import annotations

import single_thread  # noqa: I001  (limits thread pools before numpy loads)

single_thread.drop_openblas_overrides()  # as on a user's machine

import argparse  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402

import numpy as np  # noqa: E402

PROBLEMS = [
    # (name, n, p, classes (None: the data set's), C)
    ("digits", None, None, None, 1.0),
    ("digits", None, None, None, 0.1),
    ("wine", None, None, None, 1.0),
    ("synthetic", 2000, 200, 5, 1.0),
    ("synthetic", 5000, 300, 4, 0.1),
    ("synthetic", 20000, 100, 10, 1.0),
]


def problem_data(name, n, p, K, seed=0):
    from sklearn.datasets import load_digits, load_wine
    from sklearn.preprocessing import StandardScaler

    if name == "digits":
        X, y = load_digits(return_X_y=True)
    elif name == "wine":
        X, y = load_wine(return_X_y=True)
    else:
        rng = np.random.default_rng(seed)
        X = rng.standard_normal((n, p))
        B = rng.standard_normal((K, p)) * (rng.random((K, p)) < 0.1)
        eta = X @ B.T
        P = np.exp(eta - eta.max(axis=1, keepdims=True))
        P /= P.sum(axis=1, keepdims=True)
        y = (P.cumsum(axis=1) < rng.random((n, 1))).sum(axis=1)
    X = StandardScaler().fit_transform(X.astype(float))
    return X[:, X.std(axis=0) > 0], y


def objective(X, y, coef, intercept, C):
    """scikit-learn's: ``C·Σ_i (logsumexp(η_i) − η_{i,y_i}) + Σ|B|``."""
    eta = X @ coef.T + intercept
    top = eta.max(axis=1, keepdims=True)
    lse = top[:, 0] + np.log(np.exp(eta - top).sum(axis=1))
    return C * np.sum(lse - eta[np.arange(len(y)), y]) + np.abs(coef).sum()


def timed(make, X, y, repeats):
    best, model = np.inf, None
    for _ in range(repeats):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            start = time.process_time()
            model = make().fit(X, y)
            best = min(best, time.process_time() - start)
    return best, model


def run(problem, repeats, before=False):
    import sklearn.linear_model as sk

    import shrinkage

    name, n, p, K, C = problem
    X, y = problem_data(name, n, p, K)
    classes = np.unique(y)
    y = np.searchsorted(classes, y)

    def ours(tol):
        return lambda: shrinkage.LogisticRegression(C=C, l1_ratio=1.0, tol=tol, max_iter=1000)

    def saga(tol):
        return lambda: sk.LogisticRegression(
            C=C, l1_ratio=1.0, solver="saga", tol=tol, max_iter=20_000
        )

    fits = {"shrinkage": timed(ours(1e-8), X, y, repeats)}
    fits["shrinkage tol 1e-4"] = timed(ours(1e-4), X, y, repeats)
    if before:
        from shrinkage.linear_model import _logistic

        routed = _logistic.full_hessian_applies
        _logistic.full_hessian_applies = lambda *args, **kwargs: False
        try:
            fits["class-wise (before)"] = timed(ours(1e-8), X, y, 1)
        finally:
            _logistic.full_hessian_applies = routed
    for tol in (1e-4, 1e-6, 1e-8):
        fits[f"saga tol {tol:g}"] = timed(saga(tol), X, y, 1 if tol < 1e-4 else repeats)
    values = {k: objective(X, y, m.coef_, m.intercept_, C) for k, (_, m) in fits.items()}
    best = min(values.values())
    excess = {k: (v - best) / abs(best) for k, v in values.items()}
    target = max(excess["shrinkage"], 1e-10)
    match = next((k for k in fits if k.startswith("saga") and excess[k] <= target), None)
    ratio = f"{fits['shrinkage'][0] / fits[match][0]:.3f} ({match})" if match else "-"
    shape = f"{X.shape[0]}x{X.shape[1]}, K={classes.size}"
    cells = ", ".join(f"{k} {fits[k][0]:.3g} s ({excess[k]:.1e})" for k in fits)
    return f"| {name} {shape}, C={C:g} | {ratio} | {cells} |"


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="two problems only")
    parser.add_argument("--repeats", type=int, default=2, help="best of (default 2)")
    parser.add_argument(
        "--before", action="store_true", help="also time the class-wise solver (forced)"
    )
    args = parser.parse_args(argv)
    problems = [PROBLEMS[2], PROBLEMS[0]] if args.quick else PROBLEMS
    print("| problem | ratio (the saga fit matched) | CPU s (relative excess) |")
    print("|---|---|---|")
    for problem in problems:
        print(run(problem, args.repeats, args.before), flush=True)


if __name__ == "__main__":
    main()
