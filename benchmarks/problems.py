"""Benchmark problems: generated with fixed seeds, cached under ``benchmarks/_cache``.

Every problem holds a design ``X`` (dense float64 or scipy CSC), a continuous target
``y`` (least squares) and a binary target ``y01`` in {0, 1} (logistic). Synthetic
problems draw both targets from sparse "true" coefficients on the same ``X``; the
real data sets carry only the target they have.

The cache is plain ``.npz`` (no pickles), so the separate virtual environments used
for adelie and glmnet (numpy 1.x) load exactly the same arrays as the main one.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipy.sparse as sp

CACHE = Path(__file__).resolve().parent / "_cache" / "problems"
SEED = 0


@dataclass
class Problem:
    """One data set: ``X``, and the targets it supports (``None`` if not)."""

    name: str
    X: np.ndarray | sp.csc_matrix
    y: np.ndarray | None
    y01: np.ndarray | None
    description: str

    @property
    def shape(self) -> tuple[int, int]:
        return self.X.shape


# --------------------------------------------------------------- generators ----------
def _ar1_design(rng, n_samples, n_features, rho):
    """Gaussian rows with Toeplitz correlation ``rho**|i-j|`` (an AR(1) across columns)."""
    X = np.empty((n_samples, n_features))
    X[:, 0] = rng.standard_normal(n_samples)
    scale = np.sqrt(1.0 - rho**2)
    for j in range(1, n_features):
        X[:, j] = rho * X[:, j - 1] + scale * rng.standard_normal(n_samples)
    return X


def _sparse_coef(rng, n_features, n_nonzero):
    """``n_nonzero`` coefficients of size 1..2 and random sign at random positions."""
    coef = np.zeros(n_features)
    support = rng.choice(n_features, n_nonzero, replace=False)
    coef[support] = rng.choice([-1.0, 1.0], n_nonzero) * rng.uniform(1.0, 2.0, n_nonzero)
    return coef


def _targets(rng, X, n_nonzero, snr=3.0, logit_scale=2.0):
    """Continuous target with signal-to-noise ratio ``snr`` and a logistic 0/1 target.

    The logistic linear predictor is rescaled to standard deviation ``logit_scale``
    (classes overlap: the problem is not separable at the true coefficients).
    """
    signal = np.asarray(X @ _sparse_coef(rng, X.shape[1], n_nonzero)).ravel()
    noise_std = signal.std() / snr
    y = signal + 0.5 + noise_std * rng.standard_normal(X.shape[0])
    eta = np.asarray(X @ _sparse_coef(rng, X.shape[1], n_nonzero)).ravel()
    eta = logit_scale * (eta - eta.mean()) / eta.std() + 0.3
    y01 = (rng.uniform(size=X.shape[0]) < 1.0 / (1.0 + np.exp(-eta))).astype(np.float64)
    return y, y01


def dense_tall(scale=1.0):
    n, p = int(20000 * scale), int(500 * scale)
    rng = np.random.default_rng(SEED)
    X = _ar1_design(rng, n, p, rho=0.5)
    y, y01 = _targets(rng, X, n_nonzero=max(p // 10, 5))
    return Problem("dense_tall", X, y, y01, f"Gaussian, Toeplitz rho=0.5, {p // 10} true non-zeros")


def dense_wide(scale=1.0):
    n, p = int(300 * scale), int(10000 * scale)
    rng = np.random.default_rng(SEED + 1)
    X = _ar1_design(rng, n, p, rho=0.5)
    y, y01 = _targets(rng, X, n_nonzero=20)
    return Problem("dense_wide", X, y, y01, "Gaussian, Toeplitz rho=0.5, 20 true non-zeros")


def sparse(scale=1.0):
    n, p = int(20000 * scale), int(50000 * scale)
    rng = np.random.default_rng(SEED + 2)
    X = sp.random(n, p, density=1e-3, format="csc", random_state=rng,
                  data_rvs=rng.standard_normal)
    X.sort_indices()
    y, y01 = _targets(rng, X, n_nonzero=1000)
    return Problem("sparse", X, y, y01, "CSC, density 0.001, N(0,1) entries, 1000 true non-zeros")


def _standardize(X):
    std = X.std(axis=0)
    std[std == 0] = 1.0
    return (X - X.mean(axis=0)) / std


def diabetes(scale=1.0):
    from sklearn.datasets import load_diabetes

    X, y = load_diabetes(return_X_y=True)
    return Problem("diabetes", np.asarray(X, dtype=np.float64), y, None,
                   "sklearn load_diabetes (scaled features as shipped)")


def diabetes_poly(scale=1.0):
    """Diabetes with all monomials up to degree 3: 285 strongly correlated features."""
    from sklearn.datasets import load_diabetes
    from sklearn.preprocessing import PolynomialFeatures

    X, y = load_diabetes(return_X_y=True)
    X = _standardize(PolynomialFeatures(3, include_bias=False).fit_transform(X))
    return Problem("diabetes_poly3", X, y, None,
                   "load_diabetes, degree-3 polynomial features, standardized")


def breast_cancer(scale=1.0):
    from sklearn.datasets import load_breast_cancer

    X, y = load_breast_cancer(return_X_y=True)
    return Problem("breast_cancer", _standardize(X), None, y.astype(np.float64),
                   "sklearn load_breast_cancer, standardized")


def digits(scale=1.0):
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    return Problem("digits", _standardize(X.astype(np.float64)), None,
                   (y >= 5).astype(np.float64),
                   "sklearn load_digits, standardized, y = (digit >= 5)")


GENERATORS = {
    "dense_tall": dense_tall,
    "dense_wide": dense_wide,
    "sparse": sparse,
    "diabetes": diabetes,
    "diabetes_poly3": diabetes_poly,
    "breast_cancer": breast_cancer,
    "digits": digits,
}
#: Problems whose size the ``--quick`` mode shrinks (the real ones are small anyway).
SCALABLE = {"dense_tall", "dense_wide", "sparse"}


# ------------------------------------------------------- speed-map problems ----------
#: ``map-{n}x{p}-r{rho}-{kind}``: kind is f64 / f32 (dense, AR(1) correlation rho) or
#: sp{density} (CSC, N(0,1) entries, rho ignored). Made on demand (see speed_map.py).
MAP_PREFIX = "map-"


def map_name(n: int, p: int, rho: float, kind: str) -> str:
    return f"{MAP_PREFIX}{n}x{p}-r{rho:g}-{kind}"


def parse_map_name(name: str) -> tuple[int, int, float, str]:
    shape, rho, kind = name[len(MAP_PREFIX):].split("-")
    n, p = (int(v) for v in shape.split("x"))
    return n, p, float(rho[1:]), kind


def map_problem(name: str) -> Problem:
    n, p, rho, kind = parse_map_name(name)
    rng = np.random.default_rng([SEED, n, p, int(1000 * rho), len(kind)])
    if kind.startswith("sp"):
        density = float(kind[2:])
        X = sp.random(n, p, density=density, format="csc", random_state=rng,
                      data_rvs=rng.standard_normal)
        X.sort_indices()
        description = f"CSC, density {density:g}"
    else:
        X = _ar1_design(rng, n, p, rho)
        description = f"Gaussian, AR(1) rho={rho:g}, {kind}"
    y, y01 = _targets(rng, X, n_nonzero=max(min(n, p) // 10, 2))
    if kind == "f32":
        X = X.astype(np.float32)
    return Problem(name, X, y, y01, description)


def short_path(name: str) -> bool:
    """Stop the path at 1e-2 alpha_max (p > n or sparse: before it interpolates)."""
    if not name.startswith(MAP_PREFIX):
        return False
    n, p, _, kind = parse_map_name(name)
    return p > n or kind.startswith("sp")


# ------------------------------------------------------------------- cache -----------
def _cache_stem(name: str, scale: float) -> Path:
    suffix = "" if scale == 1.0 else f"_s{scale:g}"
    return CACHE / f"{name}{suffix}"


def save_problem(problem: Problem, scale: float = 1.0) -> None:
    stem = _cache_stem(problem.name, scale)
    stem.parent.mkdir(parents=True, exist_ok=True)
    arrays = {"description": np.array(problem.description)}
    if problem.y is not None:
        arrays["y"] = problem.y
    if problem.y01 is not None:
        arrays["y01"] = problem.y01
    if sp.issparse(problem.X):
        sp.save_npz(f"{stem}_X_csc.npz", problem.X)
    else:
        arrays["X"] = problem.X
    np.savez(f"{stem}.npz", **arrays)


def load_problem(name: str, scale: float = 1.0) -> Problem:
    """Load a cached problem, generating (and caching) it on first use."""
    if name not in SCALABLE:
        scale = 1.0
    stem = _cache_stem(name, scale)
    if not Path(f"{stem}.npz").exists():
        if name.startswith(MAP_PREFIX):
            save_problem(map_problem(name), scale)
        else:
            save_problem(GENERATORS[name](scale), scale)
    with np.load(f"{stem}.npz") as data:
        X = data["X"] if "X" in data else sp.load_npz(f"{stem}_X_csc.npz").tocsc()
        y = data["y"] if "y" in data else None
        y01 = data["y01"] if "y01" in data else None
        description = str(data["description"])
    return Problem(name, X, y, y01, description)


def tiny_problems(
    seed: int = 123, cv_routes: bool = False, float32: bool = True
) -> list[Problem]:
    """Small wide, tall and sparse problems for warm-up fits (JIT compilation of every
    code path a solver may take, lazy imports).

    The dense ones come in float64 and (``float32``) float32: a float32 ``X`` compiles
    its own kernel variants, and without them the first float32 cell timed its
    compilation (10-20 s).
    With ``cv_routes`` a 700x320 one too, past the 300 features from which
    cross-validation's folds take other routes (float32 ``G``, float32 sweeps); only
    then, as scikit-learn's L1-logistic path on it takes some 25 s."""
    rng = np.random.default_rng(seed)
    shapes = [(60, 30), (300, 10)] + ([(700, 320)] if cv_routes else [])
    dense = [rng.standard_normal(shape) for shape in shapes]
    designs = [*dense, *(X.astype(np.float32) for X in dense if float32),
               sp.random(60, 30, density=0.3, format="csc", random_state=rng)]
    problems = []
    for X in designs:
        n_nonzero = 1 if X.shape[1] == 10 else 3  # (1: starts with one feature)
        y, y01 = _targets(rng, X if sp.issparse(X) else X.astype(np.float64),
                          n_nonzero=n_nonzero)
        problems.append(Problem("tiny", X, y, y01, "warm-up"))
    return problems
