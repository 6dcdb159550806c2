"""One ``Lasso`` fit at several alphas, shrinkage against scikit-learn, as users call it.

The speed map (``speed_map.py``) times single fits at ``alpha_max/20`` only, at
calibrated tolerances. Users also fit far below it (``alpha_max/200``, ``/2000``: most
features enter) and at the estimators' default ``tol``. This script times both
libraries' ``Lasso(alpha).fit`` there, side by side, one thread, CPU time (best of
three batches), and prints each fit's relative suboptimality against a tight reference
(scikit-learn at ``tol=1e-13``), since equal ``tol`` is not equal accuracy: the ratio
only means something next to those two numbers.

Data: AR(1) Gaussian designs (correlation ``rho`` between neighbouring features),
``p/10`` true features with standard-normal coefficients and Gaussian noise as large
as the signal (a harder, denser problem than the speed map's).

Examples
--------
python benchmarks/single_fit_alphas.py                       # 7 shapes x rho 0 / 0.6 / 0.9
python benchmarks/single_fit_alphas.py --shapes 900x250 --rhos 0.6 --divisors 200
"""

from __future__ import annotations

import single_thread  # noqa: I001  (limits thread pools before numpy loads)

single_thread.drop_openblas_overrides()  # as on a user's machine

import argparse  # noqa: E402
from functools import partial  # noqa: E402

import numpy as np  # noqa: E402
from timing import cpu_ms_per_call  # noqa: E402

DEFAULT_SHAPES = ("900x250", "3000x100", "1797x64", "500x200", "2000x500", "5000x700",
                  "10000x300")


def ar1_design(rng: np.random.Generator, n: int, p: int, rho: float) -> np.ndarray:
    """Gaussian columns with ``corr(x_j, x_k) = rho^|j-k|``."""
    noise = rng.standard_normal((n, p))
    X = np.empty_like(noise)
    X[:, 0] = noise[:, 0]
    for j in range(1, p):
        X[:, j] = rho * X[:, j - 1] + np.sqrt(1.0 - rho**2) * noise[:, j]
    return X


def make_problem(n: int, p: int, rho: float) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng([n, p, int(rho * 10)])
    X = ar1_design(rng, n, p, rho)
    k = max(2, p // 10)
    coef = np.zeros(p)
    coef[rng.choice(p, k, replace=False)] = rng.standard_normal(k)
    signal = X @ coef
    return X, signal + rng.standard_normal(n) * np.std(signal)


def fit(estimator, X, y, alpha):
    return estimator(alpha=alpha).fit(X, y)


def objective(X, y, alpha, model) -> float:
    residual = y - X @ model.coef_ - model.intercept_
    return residual @ residual / (2 * len(y)) + alpha * np.abs(model.coef_).sum()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--shapes", nargs="+", default=list(DEFAULT_SHAPES),
                        help="n x p, e.g. 900x250")
    parser.add_argument("--rhos", nargs="+", type=float, default=[0.0, 0.6, 0.9])
    parser.add_argument("--divisors", nargs="+", type=float, default=[20, 200, 2000],
                        help="fit at alpha_max / each")
    args = parser.parse_args(argv)

    import sklearn.linear_model as sklearn_lm

    import shrinkage

    print("| problem | alpha | non-zeros | shrinkage ms | scikit-learn ms | ratio "
          "| subopt. shrinkage | subopt. scikit-learn |")
    print("|---|---|---|---|---|---|---|---|")
    for shape in args.shapes:
        n, p = (int(v) for v in shape.lower().split("x"))
        for rho in args.rhos:
            X, y = make_problem(n, p, rho)
            alpha_max = np.max(np.abs((X - X.mean(0)).T @ (y - y.mean()))) / n
            for divisor in args.divisors:
                alpha = alpha_max / divisor
                ours = shrinkage.Lasso(alpha=alpha).fit(X, y)
                theirs = sklearn_lm.Lasso(alpha=alpha).fit(X, y)
                reference = sklearn_lm.Lasso(alpha=alpha, tol=1e-13, max_iter=1_000_000)
                best = objective(X, y, alpha, reference.fit(X, y))
                ours_ms = cpu_ms_per_call(partial(fit, shrinkage.Lasso, X, y, alpha))
                theirs_ms = cpu_ms_per_call(partial(fit, sklearn_lm.Lasso, X, y, alpha))
                gaps = [(objective(X, y, alpha, m) - best) / best for m in (ours, theirs)]
                print(f"| {n}x{p} rho {rho:g} | max/{divisor:g} | {np.count_nonzero(ours.coef_)} "
                      f"| {ours_ms:.2f} | {theirs_ms:.2f} | {ours_ms / theirs_ms:.2f} "
                      f"| {gaps[0]:.1e} | {gaps[1]:.1e} |", flush=True)


if __name__ == "__main__":
    main()
