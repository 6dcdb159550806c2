"""Agreement on data the speed work was never tuned on: one-hot categorical, 0/1 and
Gaussian columns (3500 x 500, n/p = 7), float64 and float32.

References are independent: scikit-learn's ``Lasso``/``ElasticNet``/``enet_path``/
``LassoCV`` at tight tolerances, and the KKT conditions of the L1-logistic path
recomputed from scratch. Prints the worst differences; run from the repository root:

    python benchmarks/unseen_data_check.py
"""

from __future__ import annotations

import argparse
import warnings

import numpy as np
import scipy.sparse as sp
from scipy.special import expit
from sklearn.linear_model import ElasticNet as SkElasticNet
from sklearn.linear_model import Lasso as SkLasso
from sklearn.linear_model import LassoCV as SkLassoCV
from sklearn.linear_model import enet_path as sk_enet_path

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


def main() -> None:
    warnings.simplefilter("ignore")
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
            X64 - X64.mean(0), y - y.mean(), l1_ratio=0.5, alphas=alphas, tol=1e-12,
            max_iter=10**5,
        )
        path = regularization_path(Xd, y, l1_ratio=0.5, alphas=alphas, tol=1e-10)
        coefs = np.asarray(path.coefs)
        coefs = coefs if coefs.shape[0] == alphas.size else coefs.T
        diff = np.max(np.abs(coefs - sk_coefs.T))
        print(f"{dtype.__name__} enet path: max |coef diff| {diff:.1e}")

    # (float64: the folds sweep on a float32 copy of G, their gaps on G itself)
    for dtype in (np.float64, np.float32):
        ours = LassoCV(cv=5, alphas=40, tol=1e-8, max_iter=10**5).fit(X.astype(dtype), y)
        ref = SkLassoCV(cv=5, alphas=ours.alphas_, tol=1e-8, max_iter=10**5).fit(X, y)
        rel = np.max(np.abs(ours.mse_path_ - ref.mse_path_) / ref.mse_path_)
        print(
            f"{dtype.__name__} LassoCV: alpha_ {ours.alpha_:.6g} vs {ref.alpha_:.6g}, "
            f"mse_path_ rel {rel:.1e}"
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
