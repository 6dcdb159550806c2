"""Which solver takes an ungrouped multinomial fit with an L1 part.

:class:`~.logistic.MultinomialProblem` steps class by class (a binary-shaped proximal
Newton step for one class, the others fixed), so its convergence across classes is
linear; :func:`~.multinomial_path.multinomial_path` takes proximal Newton steps on the
full ``K(p+1)``-square Hessian. Where that Hessian is small the full steps win by one
to two orders of magnitude (one thread, CPU s, ``tol=1e-6``, L1, class-wise steps ->
full Hessian):

========================  ======  ================  =============
data (n × p, K classes)   C       class-wise        full Hessian
========================  ======  ================  =============
digits 1797 × 64, K 10    1       2.75 (131 steps)  0.13 (16)
2000 × 200, K 5           1       3.65 (175)        0.18 (12)
5000 × 300, K 4           1       10.5 (146)        0.50 (12)
3000 × 50, K 40           1       14.3 (72)         2.89 (15)
20000 × 100, K 10         1       83.0 (300, cut)   1.14 (11)
20000 × 300, K 10         1       175 (300, cut)    7.7 (12)
8000 × 50, K 80           1       184 (71)          28.0 (17)
========================  ======  ================  =============

Both minimize the same objective and stop on the same test (the largest KKT
violation, intercepts included, at most ``tol``). The full Hessian is used for dense
``X`` (sparse ``X`` densified, up to :data:`SPARSE_DENSIFY_MAX_ENTRIES`) with no bounds
(with or without intercepts and offsets), while ``K(p+1) ≤``
:data:`FULL_HESSIAN_MAX_PARAMETERS`; the smooth (pure L2) fit keeps its own route.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from ..penalties import Box
from .multinomial_path import MultinomialPath, multinomial_path

__all__ = [
    "FULL_HESSIAN_MAX_PARAMETERS",
    "SPARSE_DENSIFY_MAX_ENTRIES",
    "full_hessian_applies",
    "full_hessian_path",
]

#: the largest ``K(p+1)`` for the full Hessian (134 MB in float64, about three times
#: that at its peak while formed, in K²/2 products of ``n × (p+1)`` by its transpose).
#: 2048 before the model's exact active-set steps; between 2048 and 4096 the class-wise
#: route was 1.5-23x slower (one thread, CPU s, tol 1e-6, L1, class-wise -> full:
#: 5000×500 K=6 C=1 35.7 -> 6.5 s; 20000×300 K=10 C=1 175 s unconverged at 300 steps
#: -> 7.7 s; 3000×300 K=7 with 20 redundant features, C=1: 300 steps, gap 0.47 -> 11
#: steps) and only lower-C fits with few non-zeros were a little faster (5000×500 C=0.05:
#: 1.3 vs 1.6 s).
FULL_HESSIAN_MAX_PARAMETERS = 4096
#: a sparse ``X`` takes the full-Hessian route densified, up to this many entries of
#: ``n × (p+1)`` (134 MB; the route keeps a dense centred copy of that size anyway).
#: The class-wise route cannot centre sparse columns: on 3000×150 count features
#: (density 0.1, 5 classes) it ran 1000 steps unconverged at C=1 and C=100 (12-17 s);
#: densified, 17-21 steps (0.1-1.7 s).
SPARSE_DENSIFY_MAX_ENTRIES = 2**24


def full_hessian_applies(
    X, n_classes: int, l1_ratio: float, fit_intercept: bool, offset, constraint
) -> bool:
    """True where :func:`full_hessian_path` solves the multinomial fit."""
    unbounded = constraint is False or (isinstance(constraint, Box) and constraint.is_unbounded)
    return (
        l1_ratio > 0
        and unbounded
        and (not sp.issparse(X) or X.shape[0] * (X.shape[1] + 1) <= SPARSE_DENSIFY_MAX_ENTRIES)
        and n_classes * (X.shape[1] + 1) <= FULL_HESSIAN_MAX_PARAMETERS
    )


def full_hessian_path(
    X: np.ndarray,
    encoded: np.ndarray,
    h: np.ndarray,
    penalty_weights: np.ndarray,
    l1_ratio: float,
    alphas: np.ndarray,
    n_classes: int,
    tol: float,
    max_iter: int,
    fit_intercept: bool = True,
    start: tuple[np.ndarray, np.ndarray] | None = None,
    offset: np.ndarray | None = None,
) -> MultinomialPath:
    """The fits at ``alphas`` (decreasing) of ``Σ_i h_i ℓ(y_i, β₀ + Bx_i) + α Σ_kj v_j(ρ|B_kj|
    + ½(1 − ρ)B_kj²)``, by :func:`~.multinomial_path.multinomial_path` on the rows of
    positive weight (rows of weight 0 do not enter the objective); ``start``: a warm
    start ``(coef, intercept)``; ``offset`` an ``(n, K)`` fixed part of ``η``."""
    keep = h > 0
    if not keep.all():
        X, encoded, h = X[keep], encoded[keep], h[keep]
        offset = None if offset is None else offset[keep]
    if sp.issparse(X):
        X = X.toarray()
    return multinomial_path(
        X,
        encoded,
        h,
        np.asarray(alphas, dtype=np.float64),
        l1_ratio,
        n_classes,
        tol=tol,
        max_iter=max_iter,
        penalty_weights=penalty_weights,
        fit_intercept=fit_intercept,
        start=start,
        offset=offset,
    )
