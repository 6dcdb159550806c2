"""Float32 data on the Gram route: the path solves on ``G`` formed in float32, and its
duality gaps are certified afterwards from ``X`` itself, all alphas in one pass.

Why. The compiled Gram path (:func:`._gram_path.gram_path`) certifies every alpha
with a duality gap on ``G = X̃ᵀHX̃``. For float32 data, a float64 ``G`` costs a
``dsyrk`` at float64 width (4472x2236: 0.45 s, as much as scikit-learn's whole
float32 path), where ``ssyrk`` forms ``G`` rounded to float32 in half that. The
float32 ``G`` holds the data's own precision (``X`` has 24 bits), so the path solves
the problem on it, as scikit-learn does for float32 data.

What stays exact. The gaps such a path reports are those of the float32 ``G``. So
after the path, :meth:`SingleGramDesign.exact_gaps` recomputes every alpha's residual
``r_k = z − X̃β_k`` and gradient ``X̃ᵀHr_k`` from ``X`` in float64 (two float64
``gemm`` over row blocks, ``2·n·p·n_alphas`` multiply-adds: 4472x2236, 100 alphas,
about 0.1 s), and the duality gap of each alpha from them: the certificate of the
problem on the data, not on a rounded ``G``. An alpha whose exact gap exceeds the
tolerance (a tolerance below float32's resolution, or an ill-conditioned ``G``)
and every alpha after it are solved again from there on the exact route (float64
``G``, formed then: :attr:`SingleGramDesign.gram`).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from scipy.linalg import blas

from ._designs import (
    _EXACT_CENTRING_RATIO,
    GramDesign,
    _mark_constant_columns,
    full_gram,
    mirror_upper_triangle,
)
from ._kernels import elastic_net_gap

#: The smallest relative ``tol`` solved on the float32 ``G``: the gap of an iterate
#: moves by about ``√n·2⁻²⁴`` of ``Σh z²`` between the float32 and the exact ``G``
#: (4472x2236, 100 alphas: 4.5311e-4 vs 4.5310e-4 at tol 1e-4); tighter tolerances
#: go to the exact route at once instead of failing certification alpha by alpha.
SINGLE_GRAM_MIN_TOL = 1e-5

#: The float32 route pays from this many features per alpha of the path on: forming
#: ``G`` in float32 saves about ``n·p²/4`` float64 multiply-adds (``ssyrk`` against
#: ``dsyrk``, plus cheaper checks), certifying costs ``2·n·p`` per alpha. Measured
#: (CPU s, float32 route / float64 ``G``, 100 alphas, interleaved in one process):
#: 4472x2236 lasso rho 0 0.82, rho 0.6 0.90, enet rho 0.6 0.96; 3162x3162 lasso 0.81
#: (but see SINGLE_GRAM_MIN_ASPECT);
#: 8000x4000 lasso rho 0.6 0.81; but 6325x1581 1.11-1.17, 10000x1000 1.39.
SINGLE_GRAM_FEATURES_PER_ALPHA = 20

#: ... and from this many features on whatever the grid: the route's two float64 passes
#: over ``X`` (forming ``G`` with ``q``, certifying) cost about what ``ssyrk`` saves at a
#: few hundred features. AR(1) rho 0.6 lasso, tol 1e-4, float32 route / float64 ``G``:
#: 10 alphas 5000x200 1.47; 20 alphas 3000x600 1.15, 20000x500 1.38, 6000x1000 (enet)
#: 0.93; 40 alphas 3000x800 1.07, 4000x1000 1.01.
SINGLE_GRAM_MIN_FEATURES = 2000

#: ... and on data at least this many times taller than wide. The float32 ``G``'s optimum
#: is the data's to within the gap, but near ``n = p`` its smallest eigenvalues are so
#: small that the rounding moves the optimum to the edge of that gap: 3162x3162 float32
#: AR(1) 0.6, elastic net at tol 3.16e-5, relative suboptimality 9.3e-5 against 5.6e-7
#: on the float64 ``G`` (all its gaps within tol either way). At n = 2p (4472x2236)
#: the two routes reach the same suboptimality at the same tol.
SINGLE_GRAM_MIN_ASPECT = 2.0

#: Rows of ``X`` per block when forming ``G`` and certifying (float64 copies of this
#: many rows: 1024 x 2236 is 18 MB).
_BLOCK_ROWS = 1024


def single_gram_pays(X, tol: float, n_alphas: int) -> bool:
    """Whether a path of ``n_alphas`` on the dense ``X`` at ``tol`` takes the float32
    route (:data:`SINGLE_GRAM_FEATURES_PER_ALPHA`, :data:`SINGLE_GRAM_MIN_FEATURES`,
    :data:`SINGLE_GRAM_MIN_ASPECT`, :data:`SINGLE_GRAM_MIN_TOL`)."""
    return (
        not sp.issparse(X)
        and getattr(X, "dtype", None) == np.float32
        and tol >= SINGLE_GRAM_MIN_TOL
        and X.shape[1] >= max(SINGLE_GRAM_FEATURES_PER_ALPHA * n_alphas,
                              SINGLE_GRAM_MIN_FEATURES)
        and X.shape[0] >= SINGLE_GRAM_MIN_ASPECT * X.shape[1]
    )


class SingleGramDesign(GramDesign):
    """:class:`GramDesign` of float32 data whose float64 ``G`` is formed only if asked
    for (:attr:`gram`): ``q``, the Lipschitz constants and the gradients are exact
    (float64 sums from ``X``), ``sweep_gram`` is ``G`` formed in float32 (``ssyrk``).

    :func:`.gram_route.solve_on_gram` solves on ``sweep_gram`` and certifies with
    :meth:`exact_gaps`; every other user of :attr:`gram` (the Python solvers, a path
    that failed certification) gets the float64 ``G`` of :class:`GramDesign`."""

    single = True

    def __init__(self, X: np.ndarray, h: np.ndarray, mu: np.ndarray, target: np.ndarray):
        n_features = X.shape[1]
        self._X, self._h, self._mu, self._target = X, h, np.asarray(mu, np.float64), target
        self._gram = None
        # One pass: q and the diagonal in float64, G from the rows rounded to float32.
        single = np.zeros((n_features, n_features), dtype=np.float32, order="F")
        q = np.zeros(n_features)
        diagonal = np.zeros(n_features)
        sqrt_h = np.sqrt(h)
        for rows, block in self._centred_blocks(scaled=True):
            q += (sqrt_h[rows] * target[rows]) @ block
            diagonal += np.einsum("ij,ij->j", block, block)
            rounded = np.asfortranarray(block, dtype=np.float32)
            single = blas.ssyrk(1.0, rounded, beta=1.0, c=single, trans=1, lower=0,
                                overwrite_c=1)
        mirror_upper_triangle(single)
        self.sweep_gram = single
        self.q = q
        self.target_norm2 = float(np.dot(h, target * target))
        raw = diagonal + self._mu * self._mu * h.sum()
        self.lipschitz = _mark_constant_columns(diagonal.copy(), raw, _EXACT_CENTRING_RATIO)
        self._coef = np.zeros(n_features)
        self.grad = q.copy()
        self._residual_norm2 = self.target_norm2

    @property
    def gram(self) -> np.ndarray:
        """The float64 ``G`` of :class:`GramDesign`, formed at the first use."""
        if self._gram is None:
            self._gram, _ = full_gram(self._X, self._h, self._mu, self._target)
        return self._gram

    @property
    def has_exact_gram(self) -> bool:
        return self._gram is not None

    def gradient(self) -> np.ndarray:
        if self._gram is not None:
            grad = super().gradient()
            self._residual_norm2 = super().residual_norm2()
            return grad
        if not np.any(self._coef):
            self.grad = self.q.copy()
            self._residual_norm2 = self.target_norm2
            return self.grad.copy()
        # From X: two passes, not the float64 G.
        gradients, residual_norm2 = self.exact_gradients(self._coef[None, :])
        self.grad = gradients[:, 0]
        self._residual_norm2 = float(residual_norm2[0])
        return self.grad.copy()

    def residual_norm2(self) -> float:
        if self._gram is not None:
            return super().residual_norm2()
        return self._residual_norm2

    def exact_gradients(self, coefs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(X̃ᵀH r_k for each k, ‖r_k‖²_H)`` with ``r_k = z − X̃β_k``, ``coefs`` of
        shape ``(m, p)``: float64 products of ``X``'s row blocks (``X`` itself, not
        ``G``). Returns arrays of shape ``(p, m)`` and ``(m,)``."""
        coefs_t = np.asfortranarray(np.asarray(coefs, dtype=np.float64).T)
        gradients = np.zeros(coefs_t.shape)
        residual_norm2 = np.zeros(coefs_t.shape[1])
        for rows, block in self._centred_blocks(scaled=False):
            residual = self._target[rows, None] - block @ coefs_t
            weighted = residual * self._h[rows, None]
            gradients += block.T @ weighted
            residual_norm2 += np.einsum("ij,ij->j", residual, weighted)
        return gradients, residual_norm2

    def exact_gaps(self, coefs, alphas, l1_ratio, weights, lower, upper) -> np.ndarray:
        """The duality gap of each ``coefs[k]`` at ``alphas[k]`` (the formula of
        :func:`._kernels.elastic_net_gap`) from :meth:`exact_gradients`."""
        gradients, residual_norm2 = self.exact_gradients(coefs)
        features = np.arange(coefs.shape[1], dtype=np.int64)
        gaps = np.empty(len(alphas))
        for k, alpha in enumerate(alphas):
            l1 = alpha * l1_ratio * weights
            l2 = alpha * (1.0 - l1_ratio) * weights
            gaps[k] = elastic_net_gap(
                np.ascontiguousarray(gradients[:, k]), coefs[k], float(residual_norm2[k]),
                l1, l2, self.lipschitz, lower, upper, features,
            )
        return gaps

    def _centred_blocks(self, scaled: bool):
        """``(rows, (X[rows] − μ)·[√h])`` as float64 Fortran-ordered blocks (copies, so
        C- and Fortran-ordered ``X`` give the same numbers)."""
        X, n_samples = self._X, self._X.shape[0]
        sqrt_h = np.sqrt(self._h) if scaled else None
        for start in range(0, n_samples, _BLOCK_ROWS):
            rows = slice(start, min(start + _BLOCK_ROWS, n_samples))
            block = np.asfortranarray(X[rows], dtype=np.float64)
            block -= self._mu
            if scaled:
                block *= sqrt_h[rows, None]
            yield rows, block

