"""Pieces shared by the scikit-learn estimators."""

from __future__ import annotations

import warnings

from sklearn.exceptions import ConvergenceWarning


def warn_not_converged(
    gap: float, tol: float, max_iter: int, alpha: float, absolute_tol: float | None = None
) -> None:
    """A ConvergenceWarning that says what was reached and what to try."""
    target = "" if absolute_tol is None else f" {absolute_tol:.3e}"
    warnings.warn(
        f"Objective did not converge at alpha={alpha:.4g}: duality gap {gap:.3e} is above "
        f"the tolerance{target} after max_iter={max_iter} iterations (tol={tol:g}, "
        "relative to the variance of y). "
        "Try increasing max_iter, loosening tol, standardizing the features, or a "
        "larger alpha (tiny alphas on correlated features converge slowly).",
        ConvergenceWarning,
        stacklevel=3,
    )
