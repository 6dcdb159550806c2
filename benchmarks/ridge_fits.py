"""``Ridge`` and ``RidgeCV``, shrinkage against scikit-learn, at their defaults.

Both libraries solve ridge directly, so their defaults are their accuracy: each row
gives the time of each (one thread, CPU time, best of three batches) and each one's
relative error against an independent reference, the weighted centred ridge solved
as one augmented least-squares problem on equilibrated columns (LAPACK ``lstsq``,
which never squares the design). ``RidgeCV`` (leave-one-out over its default alphas
0.1, 1, 10) is checked at the alpha it chose.

Data: scikit-learn's bundled sets as shipped (diabetes, its degree-3 polynomial
features, breast cancer and digits on their raw scales) and generated ones: one-hot
dummies with an intercept (exactly collinear), features on scales 1..1e5, a wide
Gaussian design, a square one (2000×2000) dense and sparse (density 1e-2).

Examples
--------
python benchmarks/ridge_fits.py                 # writes nothing; prints a markdown table
python benchmarks/ridge_fits.py --data digits wide
"""

from __future__ import annotations

import single_thread  # noqa: I001  (limits thread pools before numpy loads)

single_thread.drop_openblas_overrides()  # as on a user's machine

import argparse  # noqa: E402
from functools import partial  # noqa: E402

import numpy as np  # noqa: E402
from timing import cpu_ms_per_call  # noqa: E402


def datasets() -> dict:
    """name -> a function returning ``(X, y)``."""
    from sklearn.datasets import load_breast_cancer, load_diabetes, load_digits
    from sklearn.preprocessing import OneHotEncoder, PolynomialFeatures

    def diabetes_poly3():
        X, y = load_diabetes(return_X_y=True)
        return PolynomialFeatures(3, include_bias=False).fit_transform(X), y

    def one_hot():
        rng = np.random.default_rng(0)
        X = OneHotEncoder(sparse_output=False).fit_transform(rng.integers(0, 8, (5000, 10)))
        return X, X @ rng.standard_normal(X.shape[1]) + rng.standard_normal(5000)

    def raw_scales():
        rng = np.random.default_rng(1)
        scales = np.logspace(0, 5, 50)
        X = rng.standard_normal((20000, 50)) * scales
        return X, X @ (1.0 / scales) + rng.standard_normal(20000)

    def wide():
        rng = np.random.default_rng(2)
        X = rng.standard_normal((200, 3000))
        return X, X[:, :10].sum(axis=1) + rng.standard_normal(200)

    def square():
        rng = np.random.default_rng(3)
        X = rng.standard_normal((2000, 2000))
        return X, X[:, :20].sum(axis=1) + rng.standard_normal(2000)

    def sparse_square():
        import scipy.sparse as sp

        rng = np.random.default_rng(4)
        X = sp.random(2000, 2000, density=0.01, format="csr", random_state=5)
        return X, X @ rng.standard_normal(2000) + rng.standard_normal(2000)

    def as_float(loader):
        return lambda: tuple(np.asarray(a, dtype=float) for a in loader(return_X_y=True))

    return {
        "diabetes": as_float(load_diabetes),
        "diabetes_poly3": diabetes_poly3,
        "breast_cancer": as_float(load_breast_cancer),
        "digits": as_float(load_digits),
        "one_hot": one_hot,
        "raw_scales": raw_scales,
        "wide": wide,
        "square": square,
        "sparse_square": sparse_square,
    }


def reference_coef(X, y: np.ndarray, alpha: float) -> np.ndarray:
    """argmin ‖y − b − Xβ‖² + α‖β‖² by ``lstsq`` on equilibrated, augmented columns."""
    X = X.toarray() if hasattr(X, "toarray") else X
    Xc, yc = X - X.mean(axis=0), y - y.mean()
    scale = np.linalg.norm(Xc, axis=0)
    scale[scale == 0] = 1.0
    A = np.vstack([Xc / scale, np.diag(np.sqrt(alpha) / scale)])
    b = np.concatenate([yc, np.zeros(X.shape[1])])
    return np.linalg.lstsq(A, b, rcond=None)[0] / scale


def fit(estimator, X, y):
    return estimator().fit(X, y)


def relative_error(coef: np.ndarray, reference: np.ndarray) -> float:
    return float(np.linalg.norm(coef - reference) / np.linalg.norm(reference))


def main(argv: list[str] | None = None) -> None:
    makers = datasets()
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", nargs="+", default=list(makers), choices=list(makers))
    args = parser.parse_args(argv)

    import sklearn.linear_model as sklearn_lm

    import shrinkage

    print("| data | n x p | estimator | shrinkage ms | scikit-learn ms | ratio "
          "| error shrinkage | error scikit-learn | shrinkage's route |")
    print("|---|---|---|---|---|---|---|---|---|")
    for name in args.data:
        X, y = makers[name]()
        for estimator in ("Ridge", "RidgeCV"):
            ours = getattr(shrinkage, estimator)().fit(X, y)
            theirs = getattr(sklearn_lm, estimator)().fit(X, y)
            alpha = float(getattr(ours, "alpha_", 1.0))
            reference = reference_coef(X, y, alpha)
            errors = [relative_error(m.coef_, reference) for m in (ours, theirs)]
            if getattr(theirs, "alpha_", alpha) != alpha:  # another choice: its own reference
                errors[1] = relative_error(theirs.coef_, reference_coef(X, y, theirs.alpha_))
            times = [
                cpu_ms_per_call(partial(fit, getattr(lib, estimator), X, y))
                for lib in (shrinkage, sklearn_lm)
            ]
            route = getattr(ours, "method_", "leave-one-out")
            print(f"| {name} | {X.shape[0]}x{X.shape[1]} | {estimator} | {times[0]:.2f} "
                  f"| {times[1]:.2f} | {times[0] / times[1]:.2f} | {errors[0]:.1e} "
                  f"| {errors[1]:.1e} | {route} |", flush=True)


if __name__ == "__main__":
    main()
