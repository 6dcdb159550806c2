"""The fitting procedure of the count and survival reports, refitted on any rows.

A *family* (:class:`Family`; :class:`~.counts.PoissonFamily`,
:class:`~.survival.CoxFamily`) says how to fit, predict and score one kind of target.
:func:`procedure` runs the whole procedure for every method on some rows:

- L1 (ρ = 1), elastic net (ρ = ½) and L2 (ρ = 0): the library's CV estimator
  (``PoissonRegressorCV`` / ``CoxPHCV``) with ``standardize=True`` (glmnet's: each
  column scaled by its standard deviation on the rows at hand, in every inner fold too),
  choosing α by K-fold CV on the family's deviance over the estimator's own grid (for
  L2 an explicit grid, ridge having no ``α_max``);
- none: the unpenalized fit.

Inner folds are drawn over the *distinct* rows (``groups``), so that the copies of a row
made by the bootstrap stay in one fold and CV never tests on training rows. The same
function serves the apparent fit, every fold of the repeated CV and every bootstrap
resample: Harrell's point is that the choice of α is part of what overfits.

The ridge grid runs over ``κ·[10³, 10⁻⁴]`` with ``κ = Σ_i h_i ∂²ℓ/∂η_i²`` at the null
model, the curvature of the datafit per standardized column (``ȳ`` for Poisson; 1 for
least squares, where this is the least-squares report's ridge range): from everything
shrunk to near the unpenalized fit.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np

METHODS = ("L1", "L2", "elastic net", "none")
RATIOS = {"L1": 1.0, "elastic net": 0.5, "L2": 0.0}
RIDGE_RANGE = (1e3, 1e-4)


@dataclass
class Fit:
    """One method's fit on some rows: coefficients on the columns given (no
    standardization left to undo), and what CV chose."""

    coef: np.ndarray
    intercept: float = 0.0
    alpha: float | None = None
    alpha_1se: float | None = None
    curve: object = None
    grid: np.ndarray | None = None
    extra: dict = field(default_factory=dict)


class Family:
    """What differs between targets. Subclasses set the class attributes and
    implement the methods below."""

    task = ""
    loss = ""  # regularization_path's loss
    metric = ""  # the repeated-CV metric (lower is better)
    metric_label = ""
    has_intercept = True
    n_alphas = 40
    indexes_validated: tuple[str, ...] = ()
    tol = 1e-4

    # -- the target ------------------------------------------------------------------
    def stratify(self, y):
        """Labels to stratify splits on (None: plain K-fold)."""
        return None

    def rows(self, y, index):
        return y[index]

    # -- fitting ---------------------------------------------------------------------
    def cv_estimator(self, ratio: float, alphas, cv):
        raise NotImplementedError

    def estimator(self, alpha: float, ratio: float):
        raise NotImplementedError

    def curvature(self, y) -> float:
        """``κ``: the datafit's curvature per standardized column at the null model."""
        raise NotImplementedError

    def eta(self, fit: Fit, X) -> np.ndarray:
        return fit.intercept + X @ fit.coef

    # -- scoring ----------------------------------------------------------------------
    def fold_scores(self, eta_all, y, train, test) -> dict:
        """Held-out scores of a fold: ``{metric: value, ...}``; ``eta_all`` on every row
        of the CV data (the Cox deviance needs the training rows too)."""
        raise NotImplementedError

    def indexes(self, eta, y) -> dict:
        raise NotImplementedError

    def held_out(self, eta, y) -> dict:
        return self.indexes(eta, y)

    def lr_chi2(self, eta, y) -> float:
        raise NotImplementedError

    # -- the procedure ---------------------------------------------------------------
    def ridge_grid(self, y) -> np.ndarray:
        kappa = max(self.curvature(y), 1e-12)
        return kappa * np.geomspace(*RIDGE_RANGE, self.n_alphas)

    def fit_method(self, method: str, X, y, splits) -> Fit:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if method == "none":
                model = self.estimator(0.0, 0.0).fit(X, y)
                return Fit(
                    np.asarray(model.coef_, float), _intercept(model), extra={"model": model}
                )
            ratio = RATIOS[method]
            alphas = self.ridge_grid(y) if ratio == 0 else self.n_alphas
            model = self.cv_estimator(ratio, alphas, splits).fit(X, y)
        return Fit(
            np.asarray(model.coef_, float),
            _intercept(model),
            float(model.alpha_),
            float(model.alpha_1se_),
            model.cv_curve_,
            np.asarray(model.alphas_, float),
            {"model": model},
        )


def _intercept(model) -> float:
    return float(np.ravel(getattr(model, "intercept_", 0.0))[0])


def inner_splits(groups: np.ndarray, k: int, rng) -> list[tuple[np.ndarray, np.ndarray]]:
    """K folds over the distinct values of ``groups`` (rows that are copies of one
    original row share a group and a fold); fewer than ``k`` distinct values (a
    bootstrap resample) give one fold each, not empty folds."""
    distinct, inverse = np.unique(groups, return_inverse=True)
    k = min(k, distinct.size)
    fold_of = np.empty(distinct.size, dtype=int)
    fold_of[rng.permutation(distinct.size)] = np.arange(distinct.size) % k
    assignment = fold_of[inverse.ravel()]
    return [(np.flatnonzero(assignment != f), np.flatnonzero(assignment == f)) for f in range(k)]


def procedure(family: Family, X, y, folds: int, rng, groups=None, methods=METHODS) -> dict:
    """Every method fitted on ``(X, y)`` with its α chosen by ``folds``-fold CV."""
    groups = np.arange(len(X)) if groups is None else np.asarray(groups)
    splits = inner_splits(groups, folds, rng)
    return {m: family.fit_method(m, X, y, splits) for m in methods}
