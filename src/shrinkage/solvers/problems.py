"""Fitting problems: data prepared once, then solved at any ``alpha`` from a warm start.

A *problem* binds the data, the loss and the fixed parts of the penalty (mix,
per-feature factors, sign constraint). It exposes the small interface the path
driver and the estimators need:

- ``alpha_max``: the smallest ``alpha`` at which every penalized coefficient is 0;
- ``solve(alpha, working_set)``: minimize from the current coefficients (warm start);
- ``coef``, ``intercept``, ``gradient``: the current state.

The least-squares problem is scikit-learn's ``ElasticNet`` objective with sample
weights ``h = w / Σw`` (``1/n`` unweighted):

.. math::

    \\tfrac12 \\sum_i h_i (y_i - \\beta_0 - x_i^\\top\\beta)^2
    + \\alpha \\sum_j v_j\\big(\\rho|\\beta_j| + \\tfrac{1-\\rho}{2}\\beta_j^2\\big).

The intercept is profiled out by centring ``X`` and ``y`` with the weighted means.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np
import scipy.sparse as sp

# The penalty's math lives in shrinkage.penalties; re-exported for existing imports.
from ..penalties import alpha_max_from_gradient, as_box, penalty_strengths, screening_score
from ._covariance import gram_blocks_pay
from ._designs import (
    full_gram_applies,
    make_design,
    raw_moments,
    single_fit_gram,
    single_gram_path,
)
from ._layout import fortran_copy
from ._mixed import xt_dot
from .least_squares import SolveInfo, duality_gap, solve_least_squares, solve_working_set

__all__ = [
    "LeastSquaresProblem",
    "Problem",
    "SolveInfo",
    "alpha_max_from_gradient",
    "penalty_strengths",
    "solved_densely",
    "strong_rule_set",
    "weighted_column_means",
]


class Problem(Protocol):
    """What every fitting problem offers (least squares, GLMs, multinomial, Dask).

    The one way to solve a problem is :func:`shrinkage.solvers.step.screened_solve`
    (or ``solve_and_check``), which screens with the strong rule and then calls
    :meth:`solve`.

    Attributes
    ----------
    loss : str
        The ``loss=`` name.
    n_features : int
    coef : ndarray
        Current coefficients: the warm start of the next :meth:`solve`.
    intercept : float or ndarray
    gradient : ndarray of shape (n_features,)
        Minus the data-fit gradient at ``coef`` (what the strong rule screens).
    penalty_weights : ndarray of shape (n_features,)
    l1_ratio : float
    positive : bool or Box
        The sign constraint, or the box ``lower ≤ β ≤ upper`` of the coefficients.
    """

    loss: str
    n_features: int
    coef: np.ndarray
    gradient: np.ndarray
    penalty_weights: np.ndarray
    l1_ratio: float
    positive: bool

    @property
    def intercept(self): ...

    @property
    def alpha_max(self) -> float:
        """Smallest ``alpha`` at which every penalized coefficient is 0."""
        ...

    def absolute_tol(self, tol: float) -> float:
        """The stopping target in the solver's own units for a relative ``tol``."""
        ...

    def set_coef(self, coef: np.ndarray) -> None:
        """Move to ``coef`` (a warm start)."""
        ...

    def solve(
        self,
        alpha: float,
        working_set: np.ndarray,
        tol: float,
        max_iter: int,
        rng: np.random.Generator | None = None,
    ) -> SolveInfo:
        """Minimize at ``alpha`` from the current ``coef``.

        ``working_set`` (bool, n_features) is where to start (updated in place; a
        solver may ignore it, its KKT check adds any feature that violates), ``tol``
        is relative (see :meth:`absolute_tol`), ``max_iter`` the sweep or Newton-step
        budget, ``rng`` a random coordinate order (``selection='random'``).
        """
        ...


# Sparse inputs up to this many cells (800 kB as float64) are solved as dense arrays:
# dense BLAS is as fast there, and the same data then give the same answer in either
# format (the sparse and dense routes would otherwise stop at different points within
# tol, 6e-6 apart on scikit-learn's test_sparse_dense_equality).
SMALL_SPARSE_CELLS = 100_000


def solved_densely(X) -> bool:
    """Whether sparse ``X`` is small enough to be solved as a dense array."""
    return sp.issparse(X) and X.shape[0] * X.shape[1] <= SMALL_SPARSE_CELLS


def _gram_by_row_blocks(X, precompute) -> bool:
    """Whether the dense ``X`` goes on the full Gram matrix: its moments are then made by
    float64 row blocks (:func:`._designs.raw_moments`) from ``X`` as given, without the
    Fortran copy the other dense designs read (the blocks make C and Fortran order give
    the same numbers)."""
    return not sp.issparse(X) and full_gram_applies(X, precompute)


def weighted_column_means(X, h: np.ndarray) -> np.ndarray:
    """``Σ_i h_i x_ij`` for dense or sparse ``X`` (``h`` sums to one)."""
    if not sp.issparse(X):
        return xt_dot(X, h)  # (float32 X: float64 sums without NumPy's slow mixed product)
    return np.asarray(X.T @ h, dtype=np.float64).ravel()


def strong_rule_set(gradient, l1_new, l1_previous, positive) -> np.ndarray:
    """Sequential strong rule (Tibshirani et al. 2012): keep ``|∇_j| ≥ 2 l1_new − l1_prev``
    (one-sided where the box, ``positive`` a bool or a Box, is closed on one side)."""
    score = screening_score(gradient, positive)
    # Strict: a feature exactly at the threshold (the first one, at alpha_max) has a
    # zero solution; letting it in only lets rounding make it 1e-17 instead of 0.
    return score > 2.0 * l1_new - l1_previous


class LeastSquaresProblem:
    """Penalized (weighted) least squares on dense or sparse ``X``.

    Parameters
    ----------
    X : ndarray or sparse matrix of shape (n_samples, n_features)
    y : ndarray of shape (n_samples,)
    h : ndarray of shape (n_samples,)
        Sample weights normalized to sum to one.
    penalty_weights : ndarray of shape (n_features,)
    l1_ratio : float
    positive : bool or Box
        ``True`` for ``β ≥ 0``; a :class:`~shrinkage.penalties.Box` for
        ``lower ≤ β ≤ upper`` (in the units of ``X``'s columns).
    fit_intercept : bool
    precompute : "auto" or bool
        Use the Gram matrix (``"auto"``: dense with ``n > 2p``).
    """

    loss = "squared_error"

    def __init__(
        self,
        X,
        y,
        h,
        penalty_weights,
        l1_ratio=1.0,
        positive=False,
        fit_intercept=True,
        precompute="auto",
    ):
        if solved_densely(X):
            X = X.toarray(order="F")
        # One fit with the route left to us (precompute="auto"): the compiled path may
        # solve it (step._compiled_single_solve). An explicit precompute (False, True, a
        # Gram matrix) keeps the one algorithm of the Python rounds on any design, so
        # the choices give the same iterates, as scikit-learn's tests compare them.
        self.single_fit_auto = isinstance(precompute, str) and precompute == "single"
        one_fit_on_gram = (self.single_fit_auto and not sp.issparse(X)) and single_fit_gram(X)
        by_row_blocks = _gram_by_row_blocks(X, precompute)
        self.n_features = X.shape[1]
        self.h = h
        self.penalty_weights = penalty_weights
        self.l1_ratio = l1_ratio
        self.positive = positive
        self.box = as_box(positive, self.n_features)
        y = np.asarray(y, dtype=np.float64)
        self.y_offset = float(np.dot(h, y)) if fit_intercept else 0.0
        target = y - self.y_offset
        if one_fit_on_gram and not gram_blocks_pay(X, h, target, fit_intercept):
            precompute, one_fit_on_gram = "single-residual", False
        if not sp.issparse(X) and not one_fit_on_gram and not by_row_blocks:
            # (One fit on the working set's Gram block reads any layout: no copy.)
            # One layout whatever the caller's (the dense solver wants Fortran anyway):
            # X.T @ h, X @ β and the Gram matrix round the same for C, F or small
            # sparse input, so the same data give the same answer to the last bit.
            X = fortran_copy(X)
        moments = None
        if by_row_blocks:
            # The full Gram matrix: XᵀX (equal weights), Xᵀz and the means in one pass
            # over row blocks in X's own layout (no Fortran copy, the same numbers for C
            # or F); unequal weights: the means only, the Gram matrix from centred blocks.
            # (A float32 path's means only: its G is formed in float32, SingleGramDesign.)
            moments = raw_moments(X, target, h, gram=not single_gram_path(X, precompute))
        if not fit_intercept:
            self.mu = np.zeros(self.n_features)
        elif moments is not None:
            self.mu = moments.xt_weights
        else:
            self.mu = weighted_column_means(X, h)
        self.target_norm2 = float(np.dot(h, target * target))
        self.design = make_design(X, h, self.mu, target, precompute, moments)
        self.coef = np.zeros(self.n_features)
        self.design.set_coef(self.coef)
        self.gradient = self.design.gradient()
        self._fit_unpenalized()

    @classmethod
    def from_moments(
        cls,
        moments,
        shift_x,
        shift_y,
        penalty_weights,
        l1_ratio,
        positive,
        fit_intercept,
        design=None,
    ) -> LeastSquaresProblem:
        """The problem on rows summarized by :class:`~.moments.Moments` of
        ``(X − shift_x, y − shift_y)`` (shifts must be 0 without an intercept), or by
        ``design``, a :class:`~.moments.MomentsDesign` already made of them (then
        ``moments`` is not read)."""
        from .moments import MomentsDesign

        self = cls.__new__(cls)
        if design is None:
            design = MomentsDesign(moments, fit_intercept)
        self.n_features = design.q.shape[0]
        self.h = None
        self.penalty_weights = penalty_weights
        self.l1_ratio = l1_ratio
        self.positive = positive
        self.box = as_box(positive, self.n_features)
        self.mu = design.mean_x + shift_x
        self.y_offset = float(design.mean_y + shift_y)
        self.target_norm2 = design.target_norm2
        self.design = design
        self.coef = np.zeros(self.n_features)
        design.set_coef(self.coef)
        self.gradient = design.gradient()
        self._fit_unpenalized()
        return self

    def _fit_unpenalized(self) -> None:
        """Fit the unpenalized features alone: the state every path starts from."""
        free = np.flatnonzero(self.penalty_weights == 0)
        if free.size == 0:
            return
        zeros = np.zeros(self.n_features)
        threshold = 1e-14 * max(self.target_norm2, 1e-300)
        # Least squares on the free features only (the others stay at zero).
        solve_working_set(self.design, self.coef, free, zeros, zeros, self.box, threshold, 100_000)
        self.gradient = self.design.gradient()

    @property
    def alpha_max(self) -> float:
        if np.any(self.coef[self.penalty_weights > 0] != 0):
            raise RuntimeError("alpha_max is defined at the unpenalized start only")
        return alpha_max_from_gradient(
            self.gradient, self.l1_ratio, self.penalty_weights, self.positive
        )

    def alpha_max_or(self, default: float) -> float:
        """``alpha_max`` at the unpenalized start; ``default`` after a warm start."""
        if np.any(self.coef[self.penalty_weights > 0] != 0):
            return default
        return self.alpha_max

    @property
    def intercept(self) -> float:
        return self.y_offset - float(self.mu @ self.coef)

    def absolute_tol(self, tol: float) -> float:
        """scikit-learn's rule: the gap is compared with ``tol·Σ h_i (y_i − ȳ)²``."""
        return tol * self.target_norm2

    def set_coef(self, coef: np.ndarray) -> None:
        self.coef = np.array(coef, dtype=np.float64)
        self.design.set_coef(self.coef)
        self.gradient = self.design.gradient()

    def use_residual_design(self) -> None:
        """Continue from the current coefficients on the residual design of the same
        data (:class:`~._designs.DenseDesign`: coordinate updates of ``r = z − X̃β``)
        instead of a :class:`~._covariance.CovarianceDesign`."""
        from ._designs import DenseDesign, SingleDenseDesign

        old = self.design
        X = fortran_copy(old.X)
        kind = SingleDenseDesign if X.dtype == np.float32 else DenseDesign
        self.design = kind(X, old.h, old.mu, old.target)
        self.design.set_coef(self.coef)
        self.gradient = self.design.gradient()

    def duality_gap(self, alpha: float) -> float:
        """The duality gap at ``alpha`` of the current coefficients (no sweep): what a
        warm start checks before it solves (see :func:`.least_squares.duality_gap`)."""
        l1, l2 = penalty_strengths(alpha, self.l1_ratio, self.penalty_weights)
        return duality_gap(self.gradient, self.coef, self.design.residual_norm2(), l1, l2,
                           self.box, self.design.lipschitz)

    def solve(self, alpha, working_set, tol, max_iter, rng=None) -> SolveInfo:
        """Minimize at ``alpha`` from the current coefficients; ``tol`` is relative."""
        l1, l2 = penalty_strengths(alpha, self.l1_ratio, self.penalty_weights)
        design = self.design
        if rng is not None:
            design = _ShuffledOrder(design, rng)
        info = solve_least_squares(
            design,
            self.coef,
            l1,
            l2,
            self.box,
            self.absolute_tol(tol),
            max_iter,
            working_set,
            tol_rel=tol,  # scikit-learn's update test too (see solve_least_squares)
        )
        self.gradient = info.gradient
        return info


class _ShuffledOrder:
    """Visit the working set in a random order (``selection='random'``)."""

    def __init__(self, design, rng):
        self._design, self._rng = design, rng

    def run(self, coef, features, *args):
        return self._design.run(coef, self._rng.permutation(features), *args)

    def __getattr__(self, name):
        return getattr(self._design, name)
