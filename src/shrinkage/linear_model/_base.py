"""Pieces shared by the scikit-learn estimators."""

from __future__ import annotations

import warnings

from sklearn.exceptions import ConvergenceWarning


def warn_not_converged(gap: float, tol: float, max_iter: int, alpha: float) -> None:
    """A ConvergenceWarning that says what was reached and what to try."""
    warnings.warn(
        f"Objective did not converge at alpha={alpha:.4g}: duality gap {gap:.3e} is above "
        f"the tolerance after max_iter={max_iter} iterations (tol={tol:g}, relative). "
        "Try increasing max_iter, loosening tol, standardizing the features, or a "
        "larger alpha (tiny alphas on correlated features converge slowly).",
        ConvergenceWarning,
        stacklevel=3,
    )
