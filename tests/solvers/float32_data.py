"""Shared test data for the float32 solver tests."""

import numpy as np


def ar1_float32(rng, n, p, rho=0.6):
    """Gaussian rows, AR(1) correlation across columns (the speed map's design)."""
    X = np.empty((n, p))
    X[:, 0] = rng.standard_normal(n)
    for j in range(1, p):
        X[:, j] = rho * X[:, j - 1] + np.sqrt(1 - rho**2) * rng.standard_normal(n)
    coef = np.zeros(p)
    coef[: p // 10] = rng.standard_normal(p // 10) * 2
    y = X @ coef + rng.standard_normal(n)
    return X.astype(np.float32), y
