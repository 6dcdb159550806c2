"""Agreement on data the speed work was never tuned on: one-hot categorical, 0/1 and
Gaussian columns (3500 x 500, n/p = 7), float64 and float32; and a wide one (700 x
1000: one-hot groups, 0/1 columns, sample weights) whose one-hot groups are exactly
collinear with the intercept, for 5-fold LassoCV at tol 1e-8, as are scikit-learn's
digits with every pixel one-hot encoded.

Also: ElasticNet on AR(1) designs of other shapes (1500 x 700, 90 x 2500, 2600 x 1300
float32, 50000 x 60 float32), and a mixed table saved as a spreadsheet's export (';',
decimal commas, cp1252) read back through ``shrinkage.io.TableFormat``.

References are independent: scikit-learn's ``Lasso``/``ElasticNet``/``enet_path``/
``LassoCV`` at tight tolerances, and the KKT conditions of the L1-logistic path
recomputed from scratch. Prints the worst differences and the ConvergenceWarnings of
each section (there should be none); run from the repository root:

    python benchmarks/unseen_data_check.py
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
import scipy.sparse as sp
from scipy.special import expit
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import ElasticNet as SkElasticNet
from sklearn.linear_model import Lasso as SkLasso
from sklearn.linear_model import LassoCV as SkLassoCV
from sklearn.linear_model import enet_path as sk_enet_path
from sklearn.model_selection import KFold

from shrinkage import regularization_path
from shrinkage.linear_model import ElasticNet, Lasso, LassoCV


def make_data(seed: int = 11):
    """30 categorical columns (12 levels, one-hot), 60 sparse 0/1, 80 Gaussian."""
    rng = np.random.default_rng(seed)
    n = 3500
    levels = rng.integers(0, 12, size=(n, 30))
    onehot = np.zeros((n, 360))
    for c in range(30):
        onehot[np.arange(n), c * 12 + levels[:, c]] = 1.0
    binary = (rng.random((n, 60)) < 0.15).astype(float)
    gaussian = rng.standard_normal((n, 80))
    X = np.hstack([onehot, binary, gaussian])
    y = X[:, :5] @ [2.0, -1.0, 1.0, 3.0, -2.0] + 1.5 * X[:, 370] + gaussian[:, 0]
    y = y + rng.standard_normal(n)
    return X, y, np.hstack([onehot, binary])


def make_wide_one_hot(seed: int = 11):
    """700 x 1000: 41 one-hot groups of 6 levels, 0/1 columns, positive sample weights."""
    rng = np.random.default_rng(seed)
    n, p = 700, 1000
    X = np.zeros((n, p))
    levels = rng.integers(0, 6, size=(n, 41))
    for g in range(41):
        X[np.arange(n), g * 6 + levels[:, g]] = 1.0
    X[:, p // 2 :] = rng.random((n, p - p // 2)) < 0.2
    y = X[:, :6] @ rng.standard_normal(6) + rng.standard_normal(n)
    return X, y, rng.uniform(0.2, 3.0, n)


def convergence_warnings(caught) -> str:
    """How many ConvergenceWarnings ``caught`` holds."""
    return f"{sum(issubclass(w.category, ConvergenceWarning) for w in caught)} convergence warnings"


def wide_one_hot_cv() -> None:
    """5-fold LassoCV at tol 1e-8 on :func:`make_wide_one_hot`, against scikit-learn's."""
    X, y, w = make_wide_one_hot()
    folds = list(KFold(5, shuffle=True, random_state=1).split(X))
    settings = dict(cv=folds, alphas=30, tol=1e-8, max_iter=10**5)
    fits = {}
    for dtype in (np.float64, np.float32):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            start = time.perf_counter()
            ours = LassoCV(**settings).fit(X.astype(dtype), y, sample_weight=w)
        fits[dtype] = ours, time.perf_counter() - start, convergence_warnings(caught)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        start = time.perf_counter()
        grid = fits[np.float64][0].alphas_
        ref = SkLassoCV(**dict(settings, alphas=grid)).fit(X, y, sample_weight=w)
    print(
        f"wide one-hot {X.shape}: scikit-learn LassoCV {time.perf_counter() - start:.1f} s, "
        f"{convergence_warnings(caught)}"
    )
    for dtype, (ours, seconds, caught) in fits.items():
        rel = np.max(np.abs(ours.mse_path_ - ref.mse_path_) / ref.mse_path_)
        print(
            f"wide one-hot {dtype.__name__} LassoCV {seconds:.1f} s: alpha_ {ours.alpha_:.6g} "
            f"vs {ref.alpha_:.6g}, mse_path_ rel {rel:.1e}, {caught}"
        )


def digits_one_hot_cv() -> None:
    """5-fold LassoCV at tol 1e-8 on real data made categorical: scikit-learn's digits,
    each pixel one-hot in 8 intensity levels (all kept, so collinear with the intercept)
    plus the pixels thresholded to 0/1, target the digit, on all rows and on 400."""
    from sklearn.datasets import load_digits

    digits = load_digits()
    levels = np.digitize(digits.data, [1, 3, 5, 7, 9, 11, 13])
    one_hot = np.hstack([levels == k for k in range(8)]).astype(float)
    X = np.hstack([one_hot[:, one_hot.any(axis=0)], digits.data > 8]).astype(float)
    y = digits.target.astype(float)
    for rows in (np.arange(y.size), np.random.default_rng(1).choice(y.size, 400, replace=False)):
        Xr, yr = X[rows], y[rows]
        w = np.random.default_rng(3).uniform(0.5, 2.0, yr.size)
        settings = dict(
            cv=KFold(5, shuffle=True, random_state=0), alphas=30, tol=1e-8, max_iter=10**5
        )
        ref = None
        for dtype in (np.float64, np.float32):
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                start = time.perf_counter()
                ours = LassoCV(**settings).fit(Xr.astype(dtype), yr, sample_weight=w)
                seconds = time.perf_counter() - start
            if ref is None:
                ref = SkLassoCV(**dict(settings, alphas=ours.alphas_)).fit(Xr, yr, sample_weight=w)
            rel = np.max(np.abs(ours.mse_path_ - ref.mse_path_) / ref.mse_path_)
            print(
                f"digits one-hot {Xr.shape} {dtype.__name__} LassoCV {seconds:.1f} s: alpha_ "
                f"{ours.alpha_:.6g} vs {ref.alpha_:.6g}, mse_path_ rel {rel:.1e}, "
                f"{convergence_warnings(caught)}"
            )


def _objective(X, y, coef, alpha, l1_ratio) -> float:
    """The elastic-net objective on centred ``X, y``, in float64 (a float32 ``coef_``,
    as scikit-learn returns for float32 data, summed in float32 would add ~1e-8)."""
    coef = np.asarray(coef, dtype=np.float64)
    r = y - X @ coef
    penalty = l1_ratio * np.abs(coef).sum() + 0.5 * (1 - l1_ratio) * coef @ coef
    return r @ r / (2 * y.size) + alpha * penalty


def other_shapes(seed: int = 11) -> None:
    """ElasticNet at two alphas on AR(1) designs of n/p 2.1, 0.036, 2 (float32) and 833
    (float32), against scikit-learn's on the centred float64 values at tol 1e-13."""
    rng = np.random.default_rng(seed)
    for n, p, rho, dtype in ((1500, 700, 0.7, np.float64), (90, 2500, 0.3, np.float64),
                             (2600, 1300, 0.5, np.float32), (50000, 60, 0.9, np.float32)):
        Z = rng.standard_normal((n, p))
        X = Z.copy()
        for j in range(1, p):
            X[:, j] = rho * X[:, j - 1] + np.sqrt(1 - rho**2) * Z[:, j]
        k = max(3, p // 20)
        w = np.zeros(p)
        w[rng.choice(p, k, replace=False)] = rng.standard_normal(k)
        y = X @ w + rng.standard_normal(n)
        X = X.astype(dtype)
        Xc = X.astype(np.float64) - X.astype(np.float64).mean(0)
        yc = y - y.mean()
        alpha_max = np.abs(Xc.T @ yc).max() / n
        for fraction, l1_ratio in ((0.1, 1.0), (0.01, 0.7)):
            alpha = fraction * alpha_max
            ours = ElasticNet(alpha=alpha, l1_ratio=l1_ratio, tol=1e-10, max_iter=10**6)
            ours.fit(X, y)
            ref = SkElasticNet(alpha=alpha, l1_ratio=l1_ratio, tol=1e-13, max_iter=10**6,
                               fit_intercept=False).fit(Xc, yc)
            mine = _objective(Xc, yc, ours.coef_, alpha, l1_ratio)
            theirs = _objective(Xc, yc, ref.coef_, alpha, l1_ratio)
            print(
                f"{n}x{p} rho {rho} {dtype.__name__} alpha_max*{fraction} l1_ratio {l1_ratio}: "
                f"objective rel {(mine - theirs) / theirs:+.1e}, dual_gap_ "
                f"{ours.dual_gap_:.1e}, non-zeros {np.count_nonzero(ours.coef_)} vs "
                f"{np.count_nonzero(ref.coef_)}"
            )


def spreadsheet_table(seed: int = 11) -> None:
    """A mixed table (age, a 0/1 column, a 5-level and a 2-level text column, income,
    15 Gaussian columns) saved as a spreadsheet's export (';', decimal commas, cp1252,
    accented levels), read back with its TableFormat, and fitted against scikit-learn."""
    import os
    import tempfile

    import pandas as pd

    from shrinkage.io import TableFormat, read_data

    rng = np.random.default_rng(seed)
    n = 900
    frame = pd.DataFrame({
        "age": rng.normal(45, 12, n).round(1),
        "smoker": rng.integers(0, 2, n),
        "region": rng.choice(["Nord", "Süd", "Ost", "West", "Zentrum"], n),
        "plan": rng.choice(["basic", "premium"], n),
        "income": rng.lognormal(10, 0.5, n).round(2),
    })
    for j in range(15):
        frame[f"g{j}"] = rng.standard_normal(n)
    frame["cost"] = (0.05 * frame.age + 2 * frame.smoker + 1.5 * (frame.region == "Süd")
                     + 1e-5 * frame.income + 0.5 * frame.g0 + rng.standard_normal(n))
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "export.csv")
        frame.to_csv(path, sep=";", decimal=",", index=False, encoding="cp1252")
        data = read_data(path, target="cost",
                         table_format=TableFormat(sep=";", decimal=",", encoding="cp1252"))
    X = (data.X - data.X.mean(0)) / data.X.std(0)
    y = np.asarray(data.y, dtype=np.float64)
    yc = y - y.mean()
    print(f"spreadsheet export {X.shape}: {', '.join(data.feature_names[:7])}, ...")
    for alpha, l1_ratio in ((0.05, 1.0), (0.02, 0.5), (0.002, 0.8)):
        ours = ElasticNet(alpha=alpha, l1_ratio=l1_ratio, tol=1e-12, max_iter=10**6).fit(X, y)
        ref = SkElasticNet(alpha=alpha, l1_ratio=l1_ratio, tol=1e-14, max_iter=10**6).fit(X, y)
        mine = _objective(X, yc, ours.coef_, alpha, l1_ratio)
        theirs = _objective(X, yc, ref.coef_, alpha, l1_ratio)
        print(
            f"  ElasticNet alpha {alpha} l1_ratio {l1_ratio}: objective rel "
            f"{(mine - theirs) / theirs:+.1e}, max |coef diff| "
            f"{np.max(np.abs(ours.coef_ - ref.coef_)):.1e}"
        )
    ours = LassoCV(cv=5).fit(X, y)
    ref = SkLassoCV(cv=5, alphas=ours.alphas_, tol=1e-8, max_iter=10**5).fit(X, y)
    rel = np.max(np.abs(ours.mse_path_ - ref.mse_path_) / ref.mse_path_)
    print(f"  LassoCV alpha_ {ours.alpha_:.6g} vs {ref.alpha_:.6g}, mse_path_ rel {rel:.1e}")


def main() -> None:
    warnings.simplefilter("ignore")
    other_shapes()
    spreadsheet_table()
    wide_one_hot_cv()
    digits_one_hot_cv()
    X, y, zero_one = make_data()
    n = X.shape[0]
    print("data", X.shape)
    for dtype in (np.float64, np.float32):
        Xd = X.astype(dtype)
        X64 = Xd.astype(np.float64)
        alpha_max = np.max(np.abs((X64 - X64.mean(0)).T @ (y - y.mean()))) / n
        for alpha in (alpha_max / 10, alpha_max / 300):
            for ours, theirs, extra in (
                (Lasso, SkLasso, {}),
                (ElasticNet, SkElasticNet, {"l1_ratio": 0.5}),
            ):
                a = ours(alpha=alpha, tol=1e-10, max_iter=10**5, **extra).fit(Xd, y)
                b = theirs(alpha=alpha, tol=1e-12, max_iter=10**5, **extra).fit(X64, y)
                print(
                    f"{dtype.__name__} {ours.__name__} alpha_max/{alpha_max / alpha:.0f}: "
                    f"max |coef diff| {np.max(np.abs(a.coef_ - b.coef_)):.1e}, "
                    f"non-zeros {np.count_nonzero(a.coef_)} vs {np.count_nonzero(b.coef_)}"
                )
        alphas = np.geomspace(alpha_max, alpha_max / 1000, 60)
        _, sk_coefs, _ = sk_enet_path(
            X64 - X64.mean(0),
            y - y.mean(),
            l1_ratio=0.5,
            alphas=alphas,
            tol=1e-12,
            max_iter=10**5,
        )
        path = regularization_path(Xd, y, l1_ratio=0.5, alphas=alphas, tol=1e-10)
        coefs = np.asarray(path.coefs)
        coefs = coefs if coefs.shape[0] == alphas.size else coefs.T
        diff = np.max(np.abs(coefs - sk_coefs.T))
        print(f"{dtype.__name__} enet path: max |coef diff| {diff:.1e}")

    # (float64: the folds sweep on a float32 copy of G, their gaps on G itself)
    for dtype in (np.float64, np.float32):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            ours = LassoCV(cv=5, alphas=40, tol=1e-8, max_iter=10**5).fit(X.astype(dtype), y)
        ref = SkLassoCV(cv=5, alphas=ours.alphas_, tol=1e-8, max_iter=10**5).fit(X, y)
        rel = np.max(np.abs(ours.mse_path_ - ref.mse_path_) / ref.mse_path_)
        print(
            f"{dtype.__name__} LassoCV: alpha_ {ours.alpha_:.6g} vs {ref.alpha_:.6g}, "
            f"mse_path_ rel {rel:.1e}, {convergence_warnings(caught)}"
        )

    labels = (y > np.median(y)).astype(float)
    for design, name in ((sp.csr_matrix(zero_one), "sparse 0/1"), (X, "dense")):
        path = regularization_path(design, labels, loss="logistic", alphas=30, eps=1e-2, tol=1e-8)
        coefs = np.asarray(path.coefs)
        coefs = coefs if coefs.shape[0] == 30 else coefs.T
        intercepts = np.ravel(path.intercepts)
        dense = design.toarray() if sp.issparse(design) else design
        worst = 0.0
        for k, alpha in enumerate(path.alphas):
            beta = coefs[k]
            grad = dense.T @ (labels - expit(dense @ beta + intercepts[k])) / n
            zero = beta == 0
            if zero.any():
                worst = max(worst, (np.max(np.abs(grad[zero])) - alpha) / alpha)
            if (~zero).any():
                off = np.max(np.abs(grad[~zero] - alpha * np.sign(beta[~zero])))
                worst = max(worst, off / alpha)
        print(f"L1-logistic path, {name}: worst KKT violation / alpha {worst:.1e}")


if __name__ == "__main__":
    argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    ).parse_args()
    main()
