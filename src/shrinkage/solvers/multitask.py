"""Multi-task elastic net by block coordinate descent (scikit-learn's and glmnet's).

Minimizes, for ``W`` of shape (n_features, n_tasks),

.. math::

    \\tfrac12 \\sum_i h_i \\lVert \\tilde y_i - \\tilde x_i^\\top W\\rVert_2^2
    + l_1 \\sum_j \\lVert W_j\\rVert_2 + \\tfrac{l_2}{2}\\lVert W\\rVert_F^2,

with ``h`` summing to 1 (``1/n``: scikit-learn's ``1/(2n)‖Y − XW‖²_F``), ``l1 =
alpha·l1_ratio``, ``l2 = alpha·(1 − l1_ratio)`` and ``x̃, ỹ`` centred by their
``h``-weighted means when an intercept is fitted. That is scikit-learn's
``MultiTaskElasticNet`` and glmnet's ``family="mgaussian"`` (``standardize=FALSE``,
λ = alpha, glmnet's alpha = l1_ratio).

A row update is exact (Simon, Friedman & Hastie 2013): with ``L_j = Σ h_i x̃_ij²``
and ``z_j = X̃_jᵀ H R + L_j W_j``, ``W_j ← max(0, 1 − l1/‖z_j‖) z_j / (L_j + l2)``.

Two designs share one driver. :class:`GramDesign` keeps ``G = X̃ᵀHX̃`` and ``C =
X̃ᵀHỸ`` (tall or sparse data: nothing of size n is touched during the solve);
:class:`ResidualDesign` keeps ``√h X̃`` and the residuals (wide data). The driver
sweeps a working set (the non-zero rows plus the rows the KKT check or the strong
rule flags) and stops on scikit-learn's rule: the duality gap of its
``gap_enet_multi_task`` at most ``tol·‖Ỹ‖²_H``, checked once a sweep changes ``W``
by at most ``tol·max|W|``.

Sparse ``X`` is solved on its Gram matrix (formed with sparse products, centred
implicitly) up to a few thousand features, and densified beyond; a sparse residual
kernel is still to do.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from .._jit import njit
from ._kernels import _FASTMATH

__all__ = [
    "GramDesign",
    "ResidualDesign",
    "make_multitask_design",
    "multitask_gap",
    "multitask_alpha_max",
    "solve_multitask",
    "solve_multitask_path",
]


# ----------------------------------------------------------------------------- kernels
@njit(cache=True, nogil=True, inline="always", fastmath=_FASTMATH)
def _block_update(z, lipschitz, l1, l2, out):
    """``out ← max(0, 1 − l1/‖z‖) z / (L + l2)``: the exact minimizer of one row."""
    norm2 = 0.0
    for t in range(z.size):
        norm2 += z[t] * z[t]
    norm = np.sqrt(norm2)
    if norm <= l1 or lipschitz <= 0.0:
        for t in range(z.size):
            out[t] = 0.0
        return
    scale = (1.0 - l1 / norm) / (lipschitz + l2)
    for t in range(z.size):
        out[t] = scale * z[t]


@njit(cache=True, nogil=True, fastmath=_FASTMATH)
def bcd_gram(gram, gradient, coef, lipschitz, l1, l2, working_set, max_sweeps, threshold, tol_rel):
    """Sweeps over ``working_set`` on the Gram matrix, ``gradient = C − G W`` kept
    current on the working set only. Stops when a sweep's largest
    ``(L_j + l2)‖ΔW_j‖²`` is at most ``threshold`` and its largest ``|ΔW|`` at most
    ``tol_rel·max|W|`` (scikit-learn's test before it checks the gap). Returns the
    sweeps done and whether the last sweep passed the second test."""
    n_tasks = coef.shape[1]
    z = np.empty(n_tasks)
    new = np.empty(n_tasks)
    delta = np.empty(n_tasks)
    sweeps = 0
    small = False
    while sweeps < max_sweeps:
        sweeps += 1
        largest = 0.0
        d_w_max = 0.0
        w_max = 0.0
        for j in working_set:
            lj = lipschitz[j]
            if lj <= 0.0:
                continue
            for t in range(n_tasks):
                z[t] = gradient[j, t] + lj * coef[j, t]
            _block_update(z, lj, l1, l2, new)
            change = 0.0
            for t in range(n_tasks):
                delta[t] = new[t] - coef[j, t]
                change += delta[t] * delta[t]
                d_w_max = max(d_w_max, abs(delta[t]))
                w_max = max(w_max, abs(new[t]))
            if change == 0.0:
                continue
            for t in range(n_tasks):
                coef[j, t] = new[t]
            row = gram[j]
            for k in working_set:
                g = row[k]
                if g != 0.0:
                    for t in range(n_tasks):
                        gradient[k, t] -= g * delta[t]
            change *= lj + l2
            if change > largest:
                largest = change
        small = w_max == 0.0 or d_w_max <= tol_rel * w_max
        if largest <= threshold and small:
            break
    return sweeps, small


@njit(cache=True, nogil=True, fastmath=_FASTMATH)
def bcd_residual(
    xt, residual, coef, lipschitz, l1, l2, working_set, max_sweeps, threshold, tol_rel
):
    """Sweeps over ``working_set`` on ``xt = (√h X̃)ᵀ`` (rows contiguous), residuals
    ``residual`` of shape (n_tasks, n_samples) kept current. Stops as
    :func:`bcd_gram`."""
    n_tasks, n_samples = residual.shape
    z = np.empty(n_tasks)
    new = np.empty(n_tasks)
    delta = np.empty(n_tasks)
    sweeps = 0
    small = False
    while sweeps < max_sweeps:
        sweeps += 1
        largest = 0.0
        d_w_max = 0.0
        w_max = 0.0
        for j in working_set:
            lj = lipschitz[j]
            if lj <= 0.0:
                continue
            column = xt[j]
            for t in range(n_tasks):
                r = residual[t]
                acc = 0.0
                for i in range(n_samples):
                    acc += column[i] * r[i]
                z[t] = acc + lj * coef[j, t]
            _block_update(z, lj, l1, l2, new)
            change = 0.0
            for t in range(n_tasks):
                delta[t] = new[t] - coef[j, t]
                change += delta[t] * delta[t]
                d_w_max = max(d_w_max, abs(delta[t]))
                w_max = max(w_max, abs(new[t]))
            if change == 0.0:
                continue
            for t in range(n_tasks):
                coef[j, t] = new[t]
                d = delta[t]
                if d != 0.0:
                    r = residual[t]
                    for i in range(n_samples):
                        r[i] -= d * column[i]
            change *= lj + l2
            if change > largest:
                largest = change
        small = w_max == 0.0 or d_w_max <= tol_rel * w_max
        if largest <= threshold and small:
            break
    return sweeps, small


@njit(cache=True, nogil=True, fastmath=_FASTMATH)
def residual_gradient(xt, residual, out):
    """``out = xt @ residualᵀ`` (p, T), one contiguous dot product per entry: no BLAS
    threads, which contend with the fold threads and with other processes."""
    n_tasks, n_samples = residual.shape
    for j in range(xt.shape[0]):
        column = xt[j]
        for t in range(n_tasks):
            r = residual[t]
            acc = 0.0
            for i in range(n_samples):
                acc += column[i] * r[i]
            out[j, t] = acc


# ----------------------------------------------------------------------------- designs
@dataclass
class GramDesign:
    """Moments ``G = X̃ᵀHX̃`` (p, p), ``C = X̃ᵀHỸ`` (p, T) and ``‖Ỹ‖²_H``."""

    gram: np.ndarray
    xty: np.ndarray
    target_norm2: float

    @property
    def lipschitz(self) -> np.ndarray:
        return np.ascontiguousarray(np.diag(self.gram))

    def start(self, coef):
        """State for :meth:`sweep`: the gradient ``C − G W``."""
        return self.gradient(coef)

    def gradient(self, coef, state=None) -> np.ndarray:
        rows = np.flatnonzero(np.any(coef != 0.0, axis=1))
        if rows.size == 0:
            return self.xty.copy()
        return self.xty - self.gram[:, rows] @ coef[rows]

    def residual_terms(self, coef, gradient, state=None) -> tuple[float, float]:
        """``‖R‖²_H`` and ``⟨R, Ỹ⟩_H`` from the moments."""
        wc = float(np.vdot(coef, self.xty))
        ry = self.target_norm2 - wc
        rr = ry - float(np.vdot(coef, gradient))
        return max(rr, 0.0), ry

    def refresh(self, state, gradient) -> None:
        state[...] = gradient  # the state is the gradient itself: make it exact again

    def sweep(self, state, coef, lipschitz, l1, l2, working_set, max_sweeps, threshold, tol_rel):
        return bcd_gram(
            self.gram, state, coef, lipschitz, l1, l2, working_set, max_sweeps, threshold, tol_rel
        )


@dataclass
class ResidualDesign:
    """``xt = (√h X̃)ᵀ`` (p, n) and ``yt = (√h Ỹ)ᵀ`` (T, n)."""

    xt: np.ndarray
    yt: np.ndarray

    @property
    def lipschitz(self) -> np.ndarray:
        return np.einsum("ij,ij->i", self.xt, self.xt)

    @property
    def target_norm2(self) -> float:
        return float(np.vdot(self.yt, self.yt))

    @property
    def xty(self) -> np.ndarray:
        return self.xt @ self.yt.T

    def start(self, coef):
        """State for :meth:`sweep`: the residuals ``(√h(Ỹ − X̃W))ᵀ``."""
        rows = np.flatnonzero(np.any(coef != 0.0, axis=1))
        residual = self.yt.copy()
        if rows.size:
            residual -= coef[rows].T @ self.xt[rows]
        return residual

    def gradient(self, coef, state) -> np.ndarray:
        out = np.empty((self.xt.shape[0], state.shape[0]))
        residual_gradient(self.xt, state, out)
        return out

    def residual_terms(self, coef, gradient, state) -> tuple[float, float]:
        return float(np.vdot(state, state)), float(np.vdot(state, self.yt))

    def refresh(self, state, gradient) -> None:
        pass  # the residuals are kept exact by the sweeps

    def sweep(self, state, coef, lipschitz, l1, l2, working_set, max_sweeps, threshold, tol_rel):
        return bcd_residual(
            self.xt, state, coef, lipschitz, l1, l2, working_set, max_sweeps, threshold, tol_rel
        )


def make_multitask_design(X, Y, h, fit_intercept: bool, gram="auto"):
    """The design for ``X`` (dense or sparse), ``Y`` (n, T) and weights ``h`` (sum 1).

    Returns ``(design, x_offset, y_offset)``: the intercept is
    ``y_offset − x_offset @ W``. ``gram``: "auto" (``n > p``, or sparse ``X`` with at
    most ``_SPARSE_GRAM_LIMIT`` features), True or False.
    """
    n_samples, n_features = X.shape
    Y = np.asarray(Y, dtype=np.float64)
    x_offset = np.asarray(h @ X, dtype=np.float64).ravel() if fit_intercept else None
    y_offset = h @ Y if fit_intercept else np.zeros(Y.shape[1])
    if x_offset is None:
        x_offset = np.zeros(n_features)
    Yc = Y - y_offset
    if isinstance(gram, str):
        gram = n_samples > n_features or (sp.issparse(X) and n_features <= _SPARSE_GRAM_LIMIT)
    if sp.issparse(X):
        if not gram:
            X = X.toarray()
        else:
            Xh = sp.csr_matrix(X.multiply(h[:, None]))
            G = np.asarray((X.T @ Xh).toarray(), dtype=np.float64)
            G -= np.outer(x_offset, x_offset)  # Σh = 1: X̃ᵀHX̃ = XᵀHX − μμᵀ
            C = np.asarray(Xh.T @ Yc, dtype=np.float64)  # Σh Ỹ = 0: the μ term drops
            yy = float(np.sum(h[:, None] * Yc * Yc))
            return GramDesign(np.ascontiguousarray(G), C, yy), x_offset, y_offset
    root = np.sqrt(h)
    Xs = (np.asarray(X, dtype=np.float64) - x_offset) * root[:, None]
    Ys = Yc * root[:, None]
    if gram:
        G = Xs.T @ Xs
        return GramDesign(G, Xs.T @ Ys, float(np.vdot(Ys, Ys))), x_offset, y_offset
    return (
        ResidualDesign(np.ascontiguousarray(Xs.T), np.ascontiguousarray(Ys.T)),
        x_offset,
        y_offset,
    )


#: Sparse ``X`` with more features (and fewer rows) than this is densified for the
#: residual kernel rather than given a p × p Gram matrix.
_SPARSE_GRAM_LIMIT = 5000


# ----------------------------------------------------------------------------- gap
def multitask_gap(coef, gradient, rr, ry, l1, l2) -> float:
    """scikit-learn's ``gap_enet_multi_task`` in the objective's own units.

    ``gradient = X̃ᵀH R``, ``rr = ‖R‖²_H``, ``ry = ⟨R, Ỹ⟩_H``. For ``l1 > 0`` the dual
    point is ``R`` scaled so that ``max_j ‖X̃_jᵀHR − l2 W_j‖ ≤ l1``; for ``l1 = 0`` it
    is scikit-learn's ridge formula (and for ``l1 = l2 = 0`` its ``‖XᵀR‖²``, times
    ``n``, so a caller may divide by ``n`` as scikit-learn does).
    """
    w2 = float(np.vdot(coef, coef))
    if l1 == 0.0:
        g2 = float(np.vdot(gradient, gradient))
        if l2 == 0.0:
            return g2
        return rr + 0.5 * l2 * w2 - ry + g2 / (2.0 * l2)
    xta = gradient - l2 * coef
    dual_norm = float(np.sqrt((xta * xta).sum(axis=1)).max()) if xta.size else 0.0
    l21 = float(np.sqrt((coef * coef).sum(axis=1)).sum())
    primal = 0.5 * (rr + l2 * w2) + l1 * l21
    scale = l1 / dual_norm if dual_norm > l1 else 1.0
    dual = -0.5 * scale**2 * (rr + l2 * w2) + scale * ry
    return primal - dual


def multitask_alpha_max(xty, l1_ratio: float) -> float:
    """Smallest alpha with ``W = 0``: ``max_j ‖C_j‖₂ / l1_ratio`` (scikit-learn's grid)."""
    if xty.size == 0:
        return 0.0
    return float(np.sqrt((xty * xty).sum(axis=1)).max()) / l1_ratio


# ----------------------------------------------------------------------------- driver
@dataclass
class MultiTaskInfo:
    duality_gap: float
    n_iter: int
    converged: bool


def solve_multitask(
    design,
    coef,
    l1: float,
    l2: float,
    tol_abs: float,
    max_iter: int,
    working_set=None,
    rng=None,
    lipschitz=None,
    l1_previous=None,
    tol_rel: float = np.inf,
) -> MultiTaskInfo:
    """Minimize in place from ``coef`` (p, T) to a duality gap ``≤ tol_abs``.

    The working set starts as ``working_set`` plus the non-zero rows, plus (with
    ``l1_previous``, the l1 strength ``coef`` solves) the rows of the sequential
    strong rule ``‖z_j‖ ≥ 2 l1 − l1_previous``; with neither, every row. After
    each inner solve the full KKT check adds the rows with ``‖z_j‖ > l1`` outside
    it, and when none is left but the gap is still too large the inner threshold
    shrinks. As scikit-learn, a solve that has swept stops only once a sweep's
    largest ``|ΔW|`` is at most ``tol_rel·max|W|`` too (so it is never less accurate
    than scikit-learn's at the same ``tol``). ``max_iter`` bounds the total sweeps. ``rng`` (a
    RandomState) shuffles the order of each inner solve (``selection='random'``).
    """
    n_features = coef.shape[0]
    if lipschitz is None:
        lipschitz = design.lipschitz
    active = np.zeros(n_features, dtype=bool)
    if l1 == 0.0 or (working_set is None and l1_previous is None):
        active[:] = True
    elif working_set is not None:
        active[np.asarray(working_set, dtype=np.intp)] = True  # (not a[()]: every row)
    active |= np.any(coef != 0.0, axis=1)
    active &= lipschitz > 0.0
    coef[lipschitz <= 0.0] = 0.0
    state = design.start(coef)
    threshold = tol_abs
    n_iter = 0
    small = True  # nothing swept yet: the gap alone decides, as scikit-learn's first check
    while True:
        gradient = design.gradient(coef, state)
        rr, ry = design.residual_terms(coef, gradient, state)
        gap = multitask_gap(coef, gradient, rr, ry, l1, l2)
        if not np.isfinite(gap):
            return MultiTaskInfo(gap, n_iter, False)
        if gap <= tol_abs and small:
            return MultiTaskInfo(gap, n_iter, True)
        if n_iter >= max_iter:
            return MultiTaskInfo(gap, n_iter, gap <= tol_abs)
        norms = np.sqrt((gradient * gradient).sum(axis=1))
        outside = ~active & (lipschitz > 0.0)
        if l1_previous is not None:
            _add_largest(active, outside & (norms >= 2.0 * l1 - l1_previous), norms)
            l1_previous = None
        violators = ~active & (norms > l1) & (lipschitz > 0.0)
        if violators.any():
            _add_largest(active, violators, norms)
        elif gap > tol_abs:
            threshold = min(threshold, gap) * 0.1
        design.refresh(state, gradient)
        rows = np.flatnonzero(active)
        if rng is not None:
            rows = rng.permutation(rows)
        sweeps, small = design.sweep(
            state, coef, lipschitz, l1, l2, rows, max_iter - n_iter, threshold, tol_rel
        )
        n_iter += sweeps


def _add_largest(active, candidates, norms) -> None:
    """Add the candidate rows to the working set, at most as many as it holds (and
    at least ``_MIN_GROWTH``), the largest ``‖z_j‖`` first: with p ≫ n the strong
    rule and the KKT check flag thousands of rows near the threshold, and sweeping
    them all costs more than the extra checks a smaller set needs."""
    rows = np.flatnonzero(candidates)
    cap = max(_MIN_GROWTH, int(active.sum()))
    if rows.size > cap:
        rows = rows[np.argpartition(-norms[rows], cap - 1)[:cap]]
    active[rows] = True


_MIN_GROWTH = 32


def solve_multitask_path(
    design, alphas, l1_ratio, tol_abs, max_iter, coef=None, rng=None, tol_rel=np.inf
):
    """The path over decreasing ``alphas`` with warm starts and the strong rule.

    Returns ``coefs`` (n_alphas, p, T), ``gaps``, ``n_iters`` and ``converged``.
    """
    xty = design.xty
    n_features, n_tasks = xty.shape
    coef = np.zeros((n_features, n_tasks)) if coef is None else coef
    lipschitz = design.lipschitz
    alpha_max = multitask_alpha_max(xty, l1_ratio) if l1_ratio > 0 else np.inf
    previous = max(alpha_max, alphas[0]) if alphas.size else 0.0
    coefs = np.zeros((alphas.size, n_features, n_tasks))
    gaps = np.zeros(alphas.size)
    n_iters = np.zeros(alphas.size, dtype=np.int64)
    converged = np.zeros(alphas.size, dtype=bool)
    for k, alpha in enumerate(alphas):
        l1, l2 = alpha * l1_ratio, alpha * (1.0 - l1_ratio)
        info = solve_multitask(
            design,
            coef,
            l1,
            l2,
            tol_abs,
            max_iter,
            (),
            rng,
            lipschitz,
            l1_previous=previous * l1_ratio if np.isfinite(previous) else None,
            tol_rel=tol_rel,
        )
        coefs[k] = coef
        gaps[k], n_iters[k], converged[k] = info.duality_gap, info.n_iter, info.converged
        previous = alpha
    return coefs, gaps, n_iters, converged
