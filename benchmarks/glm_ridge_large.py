"""L2 (ridge) GLMs on designs past the exact Newton direction's flop budget, where
shrinkage's Newton directions come from conjugate gradients: shrinkage against
scikit-learn's ``lbfgs`` (its default), at equal accuracy.

For each problem (binary ``LogisticRegression`` and ``PoissonRegressor``, dense
Gaussian designs with equicorrelation rho, and a sparse one) it fits shrinkage at its
defaults, then scikit-learn's lbfgs at its default tol and at tighter ones
(1e-6, 1e-8, 1e-10, ``max_iter`` 100000). The reference objective is the lowest any
fit reached; each fit's accuracy is its relative excess over it. The ratio divides
shrinkage's time by that of the first scikit-learn fit at least as accurate as
shrinkage's (or 1e-10, whichever is looser). One thread, CPU time, best of
``--repeats``.

Examples
--------
python benchmarks/glm_ridge_large.py            # prints a markdown table
python benchmarks/glm_ridge_large.py --quick    # two problems
"""

from __future__ import annotations

import single_thread  # noqa: I001  (limits thread pools before numpy loads)

single_thread.drop_openblas_overrides()  # as on a user's machine

import argparse  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402

import numpy as np  # noqa: E402
import scipy.sparse as sp  # noqa: E402

PROBLEMS = [
    # (family, n, p, rho or "sparse", penalty: C for logistic, alpha for Poisson)
    ("logistic", 5000, 2000, 0.5, 1.0),
    ("logistic", 5000, 2000, 0.5, 100.0),
    ("logistic", 2000, 3000, 0.9, 100.0),
    ("logistic", 20000, 20000, "sparse", 10.0),
    ("poisson", 5000, 2000, 0.5, 0.01),
    ("poisson", 2000, 3000, 0.9, 0.01),
    ("poisson", 1000, 10000, 0.0, 0.01),
]


def design(n, p, rho, rng):
    if rho == "sparse":
        return sp.random(
            n, p, density=2e-3, format="csr", random_state=rng, data_rvs=rng.standard_normal
        )
    X = np.sqrt(1 - rho) * rng.standard_normal((n, p))
    X += np.sqrt(rho) * rng.standard_normal((n, 1))
    return X / np.sqrt(p / 10)


def problem_data(family, n, p, rho, seed=0):
    rng = np.random.default_rng(seed)
    X = design(n, p, rho, rng)
    eta = np.asarray(X @ (0.3 * rng.standard_normal(p))).ravel()
    if family == "logistic":
        return X, (eta + rng.logistic(size=n) > 0).astype(float)
    return X, rng.poisson(np.exp(np.clip(eta / np.sqrt(10), -3, 3))).astype(float)


def objective(family, X, y, coef, intercept, strength):
    eta = np.asarray(X @ np.ravel(coef)).ravel() + float(np.ravel(intercept)[0])
    if family == "logistic":  # scikit-learn's: C·Σ log-loss + ½‖β‖²
        return strength * np.sum(np.logaddexp(0, eta) - y * eta) + 0.5 * coef.ravel() @ coef.ravel()
    return np.mean(np.exp(eta) - y * eta) + strength / 2 * coef.ravel() @ coef.ravel()


def timed(make, X, y, repeats):
    best, model = np.inf, None
    for _ in range(repeats):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            start = time.process_time()
            model = make().fit(X, y)
            best = min(best, time.process_time() - start)
    return best, model


def run(problem, repeats):
    import sklearn.linear_model as sk

    import shrinkage

    family, n, p, rho, strength = problem
    X, y = problem_data(family, n, p, rho)
    if family == "logistic":
        ours = lambda: shrinkage.LogisticRegression(C=strength)  # noqa: E731
        theirs = lambda tol: sk.LogisticRegression(C=strength, tol=tol, max_iter=100_000)  # noqa: E731
        default_tol = 1e-4
    else:
        ours = lambda: shrinkage.PoissonRegressor(alpha=strength)  # noqa: E731
        theirs = lambda tol: sk.PoissonRegressor(alpha=strength, tol=tol, max_iter=100_000)  # noqa: E731
        default_tol = 1e-4
    fits = {"shrinkage": timed(ours, X, y, repeats)}
    for tol in (default_tol, 1e-6, 1e-8, 1e-10):
        fits[f"sklearn tol {tol:g}"] = timed(lambda: theirs(tol), X, y, repeats)  # noqa: B023
    values = {
        name: objective(family, X, y, m.coef_, m.intercept_, strength)
        for name, (_, m) in fits.items()
    }
    best = min(values.values())
    excess = {name: (v - best) / abs(best) for name, v in values.items()}
    target = max(excess["shrinkage"], 1e-10)
    match = next((k for k in fits if k != "shrinkage" and excess[k] <= target), None)
    ratio = fits["shrinkage"][0] / fits[match][0] if match else float("nan")
    kind = "sparse 2e-3" if rho == "sparse" else f"rho {rho}"
    label = f"{family} {n}x{p} {kind}, {'C' if family == 'logistic' else 'alpha'}={strength:g}"
    cells = ", ".join(f"{k} {fits[k][0]:.3g} s ({excess[k]:.1e})" for k in fits)
    return f"| {label} | {ratio:.2f} ({match}) | {cells} |"


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="two problems only")
    parser.add_argument("--repeats", type=int, default=2, help="best of (default 2)")
    args = parser.parse_args(argv)
    problems = [PROBLEMS[0], PROBLEMS[5]] if args.quick else PROBLEMS
    print("| problem | ratio (the scikit-learn fit matched) | CPU s (relative excess) |")
    print("|---|---|---|")
    for problem in problems:
        print(run(problem, args.repeats), flush=True)


if __name__ == "__main__":
    main()
