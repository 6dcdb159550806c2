"""Three ways to hold the design matrix during coordinate descent.

Each *design state* owns the residual of the weighted least-squares problem
``½ Σ h_i (z_i − x̃_iᵀβ)² + penalty`` for one target ``z`` and offers the same
four operations, so the outer solver (:mod:`.least_squares`) never asks what kind
of data it has:

- ``set_coef(coef)``: make the residual agree with ``coef``;
- ``run(coef, features, l1, l2, box, active_sweeps, threshold)``: one round of
  coordinate descent over ``features`` (the kernels of :mod:`._kernels`) within the
  :class:`~shrinkage.penalties.Box` ``box``;
- ``gradient()``: the full vector ``∇_j = Σ_i h_i x̃_ij r_i`` (the KKT check);
- ``gradient_on(features)``: the same on a working set only (its duality gap);
- ``residual_norm2()``: ``Σ_i h_i r_i²``.

Choosing among them is the shape strategy of the solver: :class:`GramDesign` for
dense ``n ≫ p`` (glmnet's covariance updates: after one ``X̃ᵀHX̃`` a coordinate
update costs ``O(|W|)``), :class:`DenseDesign` otherwise, :class:`SparseDesign`
for SciPy sparse input (never densified, never centred explicitly).
"""

from __future__ import annotations

import ctypes

import numpy as np
import scipy.sparse as sp
from scipy.linalg import cython_blas
from scipy.linalg.blas import dsyr, dsyrk

from .._jit import njit
from ._kernels import (
    cd_dense,
    cd_gram,
    cd_sparse,
    centered_norms_and_gradient,
    dense_gradient_subset,
    sparse_gradient_subset,
)
from ._layout import copy_rows, fortran_copy
from ._mixed import x_dot_subset, xt_dot
from .constants import (
    CONSTANT_COLUMN_RATIO_CENTRED,
    CONSTANT_COLUMN_RATIO_UNCENTRED,
    SINGLE_RESIDUAL_FLOOR,
)

# A column whose centred second moment is below `ratio` times its raw one is constant
# up to rounding: its Lipschitz constant is set to 0 (coefficient 0). The ratio is the
# rounding noise of the formula used (see .constants).
_EXACT_CENTRING_RATIO = CONSTANT_COLUMN_RATIO_CENTRED
_UNCENTRED_RATIO = CONSTANT_COLUMN_RATIO_UNCENTRED


def _mark_constant_columns(lipschitz, raw_second_moment, ratio) -> np.ndarray:
    constant = lipschitz <= ratio * raw_second_moment
    return np.where(constant, 0.0, lipschitz)


def _as_index_array(features: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(features, dtype=np.int64)


class DenseDesign:
    """Dense ``X`` (Fortran order), centred on the fly by ``mu``."""

    def __init__(self, X: np.ndarray, h: np.ndarray, mu: np.ndarray, target: np.ndarray):
        self.X = fortran_copy(X)
        target64 = np.ascontiguousarray(target, dtype=np.float64)
        lipschitz, gradient = centered_norms_and_gradient(self.X, h, mu, target64)
        raw = lipschitz + mu * mu * h.sum()
        self.lipschitz = _mark_constant_columns(lipschitz, raw, _EXACT_CENTRING_RATIO)
        # The gradient at β = 0 (read in the same pass): the first `gradient()` of a fit
        # from zero returns it instead of reading X again.
        self._gradient_at_zero = gradient
        if np.any((self.lipschitz > 0) & (mu * mu > 1e6 * self.lipschitz)):
            # Means that dwarf the spread would cost digits in Σ h x r: centre a copy.
            self.X = np.asfortranarray(self.X - mu.astype(self.X.dtype))
            mu = np.zeros_like(mu)
            self._gradient_at_zero = None
        self.h, self.mu, self.target = h, mu, target
        self.r = target.astype(np.float64, copy=True)
        self._at_zero = True  # r is the target (β = 0) until a round or set_coef
        # The last `gradient_on` (features, Σ h x r on them) while r is unchanged since:
        # the full gradient that follows a working-set gap reads only the other columns.
        self._partial = None

    def set_coef(self, coef: np.ndarray) -> None:
        nonzero = np.flatnonzero(coef)
        self._partial = None
        self._at_zero = nonzero.size == 0
        if self._at_zero:
            self.r = self.target.astype(np.float64, copy=True)
            return
        # (X is Fortran-ordered: a compiled pass over the non-zero columns, no copy)
        fitted = x_dot_subset(self.X, nonzero, coef[nonzero]) - self.mu[nonzero] @ coef[nonzero]
        self.r = self.target - fitted

    def set_residual(self, residual: np.ndarray) -> None:
        """Take the residual as known (the caller knows it for its coefficients)."""
        self.r = np.array(residual, dtype=np.float64)
        self._at_zero = False
        self._partial = None

    def run(self, coef, features, l1, l2, box, active_sweeps, threshold) -> float:
        return self._round_on(self.r, coef, features, l1, l2, box, active_sweeps, threshold)

    def _round_on(self, residual, coef, features, l1, l2, box, active_sweeps, threshold):
        """One round of :func:`._kernels.cd_dense` updating ``residual`` in place."""
        self._at_zero = False
        self._partial = None
        return cd_dense(
            self.X,
            self.h,
            self.mu,
            residual,
            coef,
            self.lipschitz,
            l1,
            l2,
            box.lower,
            box.upper,
            _as_index_array(features),
            active_sweeps,
            threshold,
        )

    def gradient(self) -> np.ndarray:
        if self._at_zero and self._gradient_at_zero is not None:
            return self._gradient_at_zero.copy()
        if self._partial is not None:
            return self._completed_gradient(*self._partial)
        weighted = self.h * self.r
        return xt_dot(self.X, weighted) - self.mu * weighted.sum()

    def _completed_gradient(self, features: np.ndarray, on_features: np.ndarray) -> np.ndarray:
        """The full gradient from its values on ``features`` (read at the same
        residual): only the other columns are read, ``O(n·(p − |W|))`` (nothing when
        the working set is every feature, as far below ``alpha_max``)."""
        n_features = self.X.shape[1]
        raw = np.empty(n_features)
        raw[features] = on_features
        rest = np.ones(n_features, dtype=bool)
        rest[features] = False
        rest = np.flatnonzero(rest)
        if rest.size:
            raw[rest] = dense_gradient_subset(self.X, self.h, self.r, rest)
        # The centring term of `gradient` (Σ h r is 0 only up to rounding).
        return raw - self.mu * float(np.dot(self.h, self.r))

    def gradient_on(self, features: np.ndarray) -> np.ndarray:
        features = _as_index_array(features)
        values = dense_gradient_subset(self.X, self.h, self.r, features)
        self._partial = (features, values)
        return values

    def residual_norm2(self) -> float:
        return float(np.dot(self.h, self.r * self.r))

    def free_gram(self, free: np.ndarray) -> np.ndarray:
        """``X̃_FᵀHX̃_F`` for the columns ``free`` (the unpenalized block)."""
        block = np.asarray(self.X[:, free], dtype=np.float64) - self.mu[free]
        return block.T @ (self.h[:, None] * block)

    def gram_product(self, free: np.ndarray, delta: np.ndarray) -> np.ndarray:
        """``X̃ᵀHX̃_F δ`` (all features): the gradient change of ``β_F += δ``."""
        v = x_dot_subset(self.X, free, delta) - self.mu[free] @ delta
        weighted = self.h * v
        return xt_dot(self.X, weighted) - self.mu * weighted.sum()


class SingleDenseDesign(DenseDesign):
    """:class:`DenseDesign` of a float32 ``X`` whose rounds run on a float32 residual.

    A round of coordinate descent reads every column of the working set against the
    residual: with both in float32 the dot products and updates take SIMD lanes twice
    as wide as float64's and no conversion per entry (one fit, 1000x1000: 0.26 -> 0.18
    ns an entry). The float32 residual drifts from ``z − X̃β`` by rounding, so it is
    only ever used to choose coordinate steps: before any gradient, residual norm or
    gap is read, the float64 residual is recomputed exactly from the coefficients
    (``O(n·nnz)``; :attr:`r` does it on access), and the duality gap stays a true
    certificate. The float32 drift also limits how small a step the rounds can resolve:
    rounds whose sweep threshold is below ``SINGLE_RESIDUAL_FLOOR·Σh z²`` run on the
    float64 residual (:class:`DenseDesign`'s), as at a tight ``tol``.
    """

    # The coefficients the float32 residual belongs to while the float64 one is stale
    # (None: `_r` is exact), and the float32 residual (None: made from `_r` when needed).
    _coef = None
    _r32 = None

    def __init__(self, X: np.ndarray, h: np.ndarray, mu: np.ndarray, target: np.ndarray):
        super().__init__(X, h, mu, target)
        self._floor = SINGLE_RESIDUAL_FLOOR * float(np.dot(h, target * target))

    @property
    def r(self) -> np.ndarray:
        """The float64 residual ``z − X̃β``, recomputed if float32 rounds moved ``β``."""
        if self._coef is not None:
            coef, self._coef, self._r32 = self._coef, None, None
            DenseDesign.set_coef(self, coef)
        return self._r

    @r.setter
    def r(self, value: np.ndarray) -> None:
        self._r = value

    def set_coef(self, coef: np.ndarray) -> None:
        self._coef = self._r32 = None
        super().set_coef(coef)

    def set_residual(self, residual: np.ndarray) -> None:
        self._coef = self._r32 = None
        super().set_residual(residual)

    def run(self, coef, features, l1, l2, box, active_sweeps, threshold) -> float:
        if threshold < self._floor:  # (reading `r` makes it exact first)
            self._r32 = None
            return super().run(coef, features, l1, l2, box, active_sweeps, threshold)
        if self._r32 is None:
            self._r32 = self.r.astype(np.float32)
        self._coef = coef  # (the caller's array: `r` follows it when read)
        return self._round_on(self._r32, coef, features, l1, l2, box, active_sweeps, threshold)


class SparseDesign:
    """SciPy sparse ``X`` (CSC), centred implicitly through a scalar residual offset."""

    def __init__(self, X: sp.spmatrix, h: np.ndarray, mu: np.ndarray, target: np.ndarray):
        if type(X) is not sp.csc_matrix:
            X = sp.csc_matrix(X)
        if not X.has_sorted_indices:
            X = X.sorted_indices()  # a copy: the caller's matrix is left as given
        self.X = X
        self.h, self.mu, self.target = h, mu, target
        self.h_sum = float(h.sum())
        from .sparse_path import csc_weighted_moments

        self.hx, squares = csc_weighted_moments(
            np.asarray(X.data, dtype=np.float64), X.indices, X.indptr, h
        )
        lipschitz = np.maximum(squares - 2 * mu * self.hx + mu**2 * self.h_sum, 0.0)
        self.lipschitz = _mark_constant_columns(lipschitz, squares, _UNCENTRED_RATIO)
        #: ``Σ_i h_i x_ij²`` (uncentred): the rounding scale of ``lipschitz`` and of the
        #: gradients (the compiled path's bound on a skipped gradient).
        self.second_moment = squares
        self.s = target.astype(np.float64, copy=True)
        self.offset = np.zeros(1)

    def set_coef(self, coef: np.ndarray) -> None:
        nonzero = np.flatnonzero(coef)
        if nonzero.size == 0:  # every path starts here: no column slice of X
            self.s = self.target.astype(np.float64, copy=True)
            self.offset[0] = 0.0
            return
        self.s = self.target - self.X[:, nonzero] @ coef[nonzero]
        self.offset[0] = self.mu[nonzero] @ coef[nonzero]

    def set_residual(self, residual: np.ndarray) -> None:
        """Take the residual as known (the caller knows it for its coefficients)."""
        self.s = np.array(residual, dtype=np.float64)
        self.offset[0] = 0.0

    def run(self, coef, features, l1, l2, box, active_sweeps, threshold) -> float:
        return cd_sparse(
            self.X.data,
            self.X.indices,
            self.X.indptr,
            self.h,
            self.hx,
            self.mu,
            self.s,
            self.offset,
            coef,
            self.lipschitz,
            l1,
            l2,
            box.lower,
            box.upper,
            _as_index_array(features),
            active_sweeps,
            threshold,
        )

    def gradient(self) -> np.ndarray:
        c = self.offset[0]
        weighted = self.h * self.s
        residual_sum = weighted.sum() + c * self.h_sum
        return np.asarray(self.X.T @ weighted) + c * self.hx - self.mu * residual_sum

    def gradient_on(self, features: np.ndarray) -> np.ndarray:
        X = self.X
        return sparse_gradient_subset(
            X.data,
            X.indices,
            X.indptr,
            self.h,
            self.hx,
            self.s,
            self.offset,
            _as_index_array(features),
        )

    def residual_norm2(self) -> float:
        r = self.s + self.offset[0]
        return float(np.dot(self.h, r * r))

    def free_gram(self, free: np.ndarray) -> np.ndarray:
        """``X̃_FᵀHX̃_F = X_FᵀHX_F − hx μᵀ − μ hxᵀ + Σh μμᵀ`` (no densified ``X``)."""
        block = self.X[:, free]
        raw = np.asarray((block.T @ block.multiply(self.h[:, None])).todense())
        hx, mu = self.hx[free], self.mu[free]
        return raw - np.outer(hx, mu) - np.outer(mu, hx) + self.h_sum * np.outer(mu, mu)

    def gram_product(self, free: np.ndarray, delta: np.ndarray) -> np.ndarray:
        v = np.asarray(self.X[:, free] @ delta).ravel() - self.mu[free] @ delta
        weighted = self.h * v
        return np.asarray(self.X.T @ weighted).ravel() - self.mu * weighted.sum()


class GramDesign:
    """The Gram matrix ``G = X̃ᵀHX̃`` and ``q = X̃ᵀHz``, formed once (dense ``n ≫ p``)."""

    #: float32 data: the compiled path sweeps on a float32 copy of ``gram`` (its checks
    #: and duality gaps stay on ``gram``: :func:`._gram_path.gram_path`). Subclasses
    #: built from moments keep the default.
    single: bool = False
    #: A float32 copy of ``gram`` given by the design's builder for the compiled path's
    #: sweeps (as ``single`` does, without that copy being made here), or None.
    sweep_gram: np.ndarray | None = None

    def __init__(
        self, X: np.ndarray, h: np.ndarray, mu: np.ndarray, target: np.ndarray, moments=None
    ):
        gram, q = full_gram(X, h, mu, target, moments)
        # Either way the entries are accurate to about 1e-10 of the centred moments.
        self.gram = gram
        self.single = X.dtype == np.float32
        self.q = q
        self.target_norm2 = float(np.dot(h, target * target))
        raw = np.diag(self.gram) + mu * mu * h.sum()
        self.lipschitz = _mark_constant_columns(
            np.diag(self.gram).copy(), raw, _EXACT_CENTRING_RATIO
        )
        self.grad = q.copy()
        self._coef = np.zeros(X.shape[1])

    def set_coef(self, coef: np.ndarray) -> None:
        # Keeps a reference: the solver updates ``coef`` in place.
        self._coef = coef
        self.gradient()

    def run(self, coef, features, l1, l2, box, active_sweeps, threshold) -> float:
        change, _ = cd_gram(
            self.gram,
            self.grad,
            coef,
            self.lipschitz,
            l1,
            l2,
            box.lower,
            box.upper,
            _as_index_array(features),
            active_sweeps,
            threshold,
        )
        return change

    def gradient(self) -> np.ndarray:
        nonzero = np.flatnonzero(self._coef)
        self.grad = self.q - self.gram[:, nonzero] @ self._coef[nonzero]
        return self.grad.copy()

    def gradient_on(self, features: np.ndarray) -> np.ndarray:
        # cd_gram keeps the gradient exact on the working set it sweeps.
        return self.grad[features]

    def free_gram(self, free: np.ndarray) -> np.ndarray:
        return self.gram[np.ix_(free, free)]

    def gram_product(self, free: np.ndarray, delta: np.ndarray) -> np.ndarray:
        return self.gram[:, free] @ delta

    def residual_norm2(self) -> float:
        # ‖r‖²_H = zᵀHz − 2βᵀq + βᵀGβ = zᵀHz − βᵀq − βᵀ(q − Gβ)
        coef = self._coef
        return max(self.target_norm2 - coef @ self.q - coef @ self.grad, 0.0)


def full_gram(X, h, mu, target, moments=None) -> tuple[np.ndarray, np.ndarray]:
    """``(G, q) = (X̃ᵀHX̃, X̃ᵀHz)``, Fortran-ordered ``G``, accurate to about 1e-10 of the
    centred moments (uncentred products when the weights are equal and the means allow
    it, else centred blocks). ``X`` is read by row blocks in any layout, never copied
    whole: C- and Fortran-ordered ``X`` give the same numbers.

    ``moments``: :func:`raw_moments` of ``X`` with ``z`` and ``h`` when the caller already
    made them (so ``X`` is read once); made here otherwise."""
    if moments is None:
        moments = raw_moments(X, target, h)
    gram, q = None, None
    if moments.upper_gram is not None:
        gram, q = _gram_from_raw_moments(moments, h[0], mu)
    if gram is None:
        gram, q = _centered_gram(X, h, mu, target)
    return gram, q


def _gram_from_raw_moments(moments, weight, mu):
    """``G = w·XᵀX − μμᵀ`` and ``q = w·Xᵀz`` from :class:`RawMoments` (equal weights
    ``w``), with no copy of ``X``: the products of a float32 ``X`` are exact in float64, so
    ``G`` differs from the float64 product of the widened ``X`` only by the float64
    rounding of the sums.

    Returns ``(None, None)`` when the means are so large against the spreads that the
    subtraction would lose more than about 6 digits; the caller then centres."""
    raw = moments.upper_gram  # (consumed: scaled and updated in place)
    raw *= weight
    spread = np.diag(raw) - mu * mu
    if np.any((mu != 0) & (mu * mu > 1e6 * spread)):
        return None, None
    # rank-one update of the upper triangle in place (no p×p temporary), then mirror
    gram = dsyr(-1.0, np.ascontiguousarray(mu, dtype=np.float64), lower=0, a=raw,
                overwrite_a=1)
    mirror_upper_triangle(gram)
    # q = Σ h (x − μ) z = Σ h x z, since Σ h z = 0 (z is centred or mu is 0).
    return gram, moments.xt_target * weight


def _centered_gram(X, h, mu, target):
    """``G = X̃ᵀHX̃`` by centring blocks of rows: exact for any means and weights.

    The blocks are copied into one Fortran-ordered float64 buffer whatever ``X``'s
    layout, so C- and Fortran-ordered ``X`` give the same numbers."""
    n_features = X.shape[1]
    gram = np.zeros((n_features, n_features), order="F")
    q = np.zeros(n_features)
    sqrt_h = np.sqrt(h)
    mu = np.asarray(mu, dtype=np.float64)
    for rows, block in _float64_row_blocks(X, writable=True):
        block -= mu
        block *= sqrt_h[rows, None]
        _add_block_gram(gram, block)
        q += (sqrt_h[rows] * target[rows]) @ block
    mirror_upper_triangle(gram)
    return gram, q


#: Rows of ``X`` per block: at least ``_MIN_BLOCK_ROWS``, and about ``_BLOCK_BYTES`` of
#: float64 or ``2p`` rows, whichever is more (every block reads and writes the upper
#: triangle of ``G`` once: with few rows a wide ``G`` would cost more traffic than
#: ``X``; ``2p`` rather than ``p/2`` rows, CPU s of the problem's set-up, C / F input:
#: 10000x1000 0.181 / 0.173 -> 0.190 / 0.167, 6325x1581 0.278 / 0.246 -> 0.268 / 0.239,
#: 4472x2236 0.356 / 0.330 -> 0.365 / 0.324). An ``X`` of at most ``_ONE_BLOCK_CELLS``
#: entries is one block: a copy of it stays in cache, and one BLAS call over all rows
#: is the fastest (the medium shapes).
#: One thread, CPU s of ``XᵀX`` with ``Xᵀz``: see :func:`raw_moments`.
_BLOCK_BYTES = 1 << 20
_MIN_BLOCK_ROWS = 256
_ONE_BLOCK_CELLS = 1 << 21


class RawMoments:
    """Uncentred, unweighted cross products of a dense ``X`` accumulated in float64:
    the upper triangle of ``XᵀX`` (Fortran order, the lower triangle unset; ``None``
    when the weights are unequal: the Gram matrix is then made from centred blocks),
    ``Xᵀz`` and ``Xᵀh`` (``None`` when not asked for). Made for one Gram matrix:
    :func:`full_gram` overwrites ``upper_gram``."""

    def __init__(self, upper_gram, xt_target, xt_weights):
        self.upper_gram = upper_gram
        self.xt_target = xt_target
        self.xt_weights = xt_weights


def raw_moments(X, target, h=None, block_rows=None, gram=True) -> RawMoments:
    """``XᵀX`` (upper triangle; only when ``h`` is None or equal), ``Xᵀz`` and ``Xᵀh``
    (``None`` without ``h``) in one pass over ``X`` by row blocks (any layout, no copy
    of ``X``). ``gram=False``: ``Xᵀz`` and ``Xᵀh`` only.

    Each block ``B`` adds ``BᵀB`` (BLAS ``dsyrk``, upper triangle) and ``[z h]ᵀB``. The
    blocks are Fortran-ordered float64: a float64 Fortran-ordered ``X``'s own rows read
    in place (BLAS takes its leading dimension), any other ``X`` copied (widened) into
    one buffer, so that BLAS sees the same numbers in the same order and both layouts
    give the same results to the last bit. For a float32 ``X`` every product is exact
    and only the float64 sums round, as in the float64 product of the widened ``X``.

    Measured on float64 (:class:`~.problems.LeastSquaresProblem` set-up, one thread,
    CPU s, Fortran copy + NumPy's ``XᵀX`` -> blocks of ``p/2`` rows; C / F input):
    20000x500 0.122 / 0.092 -> 0.104 / 0.095, 10000x1000 0.187 / 0.161 -> 0.178 / 0.167,
    6325x1581 0.283 / 0.248 -> 0.267 / 0.254, 4472x2236 0.384 / 0.356 -> 0.360 / 0.343;
    1e6 cells (2000x500, 1414x707, 6325x158, 3162x316) within 0.002 either way.
    """
    n_features = X.shape[1]
    with_gram = gram and (h is None or bool(np.all(h == h[0])))
    columns = [np.asarray(target, dtype=np.float64)]
    if h is not None:
        columns.append(np.asarray(h, dtype=np.float64))
    left = np.vstack(columns)
    gram, products = accumulate_row_blocks(
        _float64_row_blocks(X, block_rows), left, n_features, with_gram
    )
    return RawMoments(gram, products[0], products[1] if h is not None else None)


def accumulate_row_blocks(blocks, left, n_features, with_gram=True):
    """``(upper(Σ BᵀB), Σ L[:, rows] B)`` over ``(rows, B)`` from ``blocks``: the one
    blocked accumulation of cross products (:func:`raw_moments`, and
    :meth:`.moments.Moments.of_groups` on shifted and weighted blocks).

    Parameters
    ----------
    blocks : iterable of (slice or ndarray of int, ndarray of shape (m, p))
        Rows (indices into ``left``'s columns) and their float64 block with a unit row
        stride (Fortran-ordered, or rows of a Fortran-ordered array).
    left : ndarray of shape (k, n)
        The ``k`` vectors whose products with ``X`` are wanted (rows of ``Lᵀ``).
    n_features : int
    with_gram : bool
        Whether to accumulate ``BᵀB`` (else the first result is ``None``).

    Returns
    -------
    upper : ndarray of shape (p, p), Fortran-ordered, or None
        The upper triangle of ``Σ BᵀB`` (BLAS ``dsyrk``; the lower one unset).
    products : ndarray of shape (k, p)
        ``Σ L[:, rows] B`` (one product per block: ``(k, m) @ (m, p)`` runs twice as
        fast as ``Bᵀ L[:, rows]ᵀ``).
    """
    gram = np.zeros((n_features, n_features), order="F") if with_gram else None
    products = np.zeros((left.shape[0], n_features))
    for rows, block in blocks:
        if with_gram:
            _add_block_gram(gram, block)
        products += left[:, rows] @ block
    return gram, products


def rows_per_block(n_samples: int, n_features: int) -> int:
    """Rows of each row block of an ``(n_samples, n_features)`` ``X`` (the constants above)."""
    if n_samples * n_features <= _ONE_BLOCK_CELLS:
        return max(n_samples, 1)
    rows = max(_BLOCK_BYTES // (8 * max(n_features, 1)), _MIN_BLOCK_ROWS, 2 * n_features)
    return max(min(rows, n_samples), 1)


def _float64_row_blocks(X, block_rows=None, writable=False):
    """``(rows, block)``: consecutive row blocks of ``X`` as Fortran-ordered float64
    ``(m, p)`` arrays (unit row stride): views of a float64 Fortran-ordered ``X`` unless
    ``writable``, else copies in one reused buffer (valid until the next block). The
    blocks depend on ``X``'s shape only, not on its layout."""
    n_samples, n_features = X.shape
    if block_rows is None:
        block_rows = rows_per_block(n_samples, n_features)
    block_rows = max(min(block_rows, n_samples), 1)
    in_place = (not writable and X.dtype == np.float64 and X.flags.f_contiguous
                and _DSYRK is not None)
    buffer = None if in_place else np.empty((block_rows, n_features), order="F")
    for start in range(0, n_samples, block_rows):
        rows = slice(start, min(start + block_rows, n_samples))
        if in_place:
            yield rows, X[rows]
            continue
        block = buffer[: rows.stop - start]
        copy_rows(X, start, rows.stop, block)
        yield rows, block


def _add_block_gram(gram, block) -> None:
    """``gram += BᵀB`` on the upper triangle, in place (``gram`` Fortran-ordered float64;
    ``B`` float64 with a unit row or column stride: Fortran-ordered or rows of such an
    array, read as ``dsyrk('U', 'T')`` with its leading dimension, or C-ordered, read as
    the Fortran-ordered ``Bᵀ`` by ``dsyrk('U', 'N')``; the two round differently)."""
    m, p = block.shape
    if m == 0:
        return
    if block.dtype != np.float64 or not gram.flags.f_contiguous or gram.shape != (p, p):
        raise ValueError("_add_block_gram: a float64 block and Fortran-ordered Gram matrix")
    if block.strides[0] == 8 or m == 1:
        _blas_syrk_upper(gram, block, b"T", max(block.strides[1] // 8, m, 1))
    elif block.strides[1] == 8 or p == 1:
        _blas_syrk_upper(gram, block, b"N", max(block.strides[0] // 8, p, 1))
    else:
        raise ValueError("_add_block_gram: the block needs a unit row or column stride")


def _cython_blas_pointer(name: str) -> int:
    """The address of SciPy's Cython BLAS function ``name`` (its ``__pyx_capi__`` capsule)."""
    capsule = cython_blas.__pyx_capi__[name]
    api = ctypes.pythonapi
    api.PyCapsule_GetName.restype = ctypes.c_char_p
    api.PyCapsule_GetName.argtypes = [ctypes.py_object]
    api.PyCapsule_GetPointer.restype = ctypes.c_void_p
    api.PyCapsule_GetPointer.argtypes = [ctypes.py_object, ctypes.c_char_p]
    return api.PyCapsule_GetPointer(capsule, api.PyCapsule_GetName(capsule))


_INT_P = ctypes.POINTER(ctypes.c_int)
_DOUBLE_P = ctypes.POINTER(ctypes.c_double)


def _bind_dsyrk():
    """BLAS ``dsyrk(uplo, trans, n, k, alpha, a, lda, beta, c, ldc)`` (Fortran's
    by-reference arguments) through SciPy's exported Cython BLAS, or None where this
    SciPy build does not export it (then :func:`_blas_syrk_upper` uses SciPy's Python
    wrapper, and Fortran-ordered X is copied by blocks like any other X).

    SciPy's Python wrapper would copy a block of rows of a Fortran-ordered X (not
    contiguous); BLAS itself reads it in place with ``lda = n``.
    """
    try:
        address = _cython_blas_pointer("dsyrk")
    except (AttributeError, KeyError, TypeError, ValueError):  # no such export
        return None
    if not address:
        return None
    return ctypes.CFUNCTYPE(
        None, ctypes.c_char_p, ctypes.c_char_p, _INT_P, _INT_P, _DOUBLE_P, ctypes.c_void_p,
        _INT_P, _DOUBLE_P, ctypes.c_void_p, _INT_P,
    )(address)


_DSYRK = _bind_dsyrk()


def _blas_syrk_upper(gram, block, trans: bytes, lda: int) -> None:
    """BLAS ``dsyrk('U', trans)``: the upper triangle of ``gram += blockᵀ block``, the
    block read as ``(m, p)`` column-major (``'T'``) or as its ``(p, m)`` transpose
    (``'N'``), with leading dimension ``lda``."""
    m, p = block.shape
    if _DSYRK is None:
        # SciPy's wrapper (it copies a block that is not contiguous), same BLAS routine.
        a = block if trans == b"T" else block.T
        updated = dsyrk(1.0, a, beta=1.0, c=gram, trans=int(trans == b"T"), lower=0,
                        overwrite_c=1)
        if updated is not gram:  # not updated in place (cannot happen for this gram)
            gram[...] = updated
        return
    one = ctypes.c_double(1.0)
    _DSYRK(
        b"U", trans, ctypes.byref(ctypes.c_int(p)), ctypes.byref(ctypes.c_int(m)),
        ctypes.byref(one), block.ctypes.data, ctypes.byref(ctypes.c_int(lda)),
        ctypes.byref(one), gram.ctypes.data, ctypes.byref(ctypes.c_int(p)),
    )


def mirror_upper_triangle(a: np.ndarray) -> None:
    """``a[i, j] = a[j, i]`` below the diagonal of the square ``a``, in place.

    Small matrices by NumPy's fancy indexing: the kernel's first call in a process loads
    its machine code from Numba's cache (~3 ms of CPU, benchmarks/JIT_COST.md), more than
    NumPy's copy of a few thousand entries takes (both copy, so the results are equal)."""
    if a.size <= _MIRROR_NUMPY_MAX_SIZE:
        rows, columns = np.tril_indices(a.shape[0], -1)
        a[rows, columns] = a[columns, rows]
    else:
        _mirror_upper_triangle(a)


#: Matrices of at most this many entries are mirrored with NumPy.
_MIRROR_NUMPY_MAX_SIZE = 1 << 14


@njit(cache=True, nogil=True)
def _mirror_upper_triangle(a):
    # a[i, j] = a[j, i] below the diagonal, tile by tile (the strided reads stay cached).
    p = a.shape[0]
    tile = 64
    for j0 in range(0, p, tile):
        for i0 in range(j0, p, tile):
            for j in range(j0, min(j0 + tile, p)):
                for i in range(max(i0, j + 1), min(i0 + tile, p)):
                    a[i, j] = a[j, i]


#: Gram formation costs n·p² once; then a coordinate update costs O(p) contiguous
#: instead of O(n) twice (gradient and residual). Over a whole path (hundreds of sweeps
#: over hundreds of features) that pays from about n = p/2 on (AR(1) rho=0.6, tol 1e-4,
#: CPU s, Gram vs residual: 577x1732 0.74 vs 0.49, 707x1414 0.48 vs 0.52, 1000x1000
#: 3.2 vs 6.5, 1414x707 0.30 vs 1.13; 800x1000 to 1e-2: 0.23 vs 0.40); a single fit
#: needs far fewer sweeps: n > 2p. (0.75 for paths failed scikit-learn's sample-weight
#: equivalence check on LassoIC to 1e-7, weighted and repeated rows then taking different
#: designs: kept at 1 until that check is made design-independent.)
_GRAM_MIN_RATIO = {"auto": 2.0, "path": 1.0, "path-float32": 1.0}
_GRAM_MAX_FEATURES = 4000


def single_fit_gram(X) -> bool:
    """Whether one fit on the dense ``X`` solves on Gram entries (the working set's:
    :class:`~._covariance.CovarianceDesign`): where a Gram matrix pays (``n > 2p``)."""
    n_samples, n_features = X.shape
    return n_samples > _GRAM_MIN_RATIO["auto"] * n_features and n_features <= _GRAM_MAX_FEATURES


def full_gram_applies(X, precompute="auto") -> bool:
    """Whether :func:`make_design` puts the dense ``X`` on a :class:`GramDesign`."""
    n_samples, n_features = X.shape
    if isinstance(precompute, str) and precompute in ("single", "single-residual"):
        return False
    if isinstance(precompute, str) and precompute in _GRAM_MIN_RATIO:
        ratio = _GRAM_MIN_RATIO[precompute]
        return (
            n_samples > ratio * n_features
            if precompute == "auto"
            else n_samples >= ratio * n_features
        ) and n_features <= _GRAM_MAX_FEATURES
    return bool(precompute)


def make_design(
    X, h: np.ndarray, mu: np.ndarray, target: np.ndarray, precompute="auto", moments=None
) -> DenseDesign | SparseDesign | GramDesign:
    """Pick the design state by the data's shape (or by ``precompute``: ``"auto"``,
    ``"single"`` for one fit of an estimator, ``"path"`` for a whole path, or a bool).
    ``moments``: :func:`raw_moments` of ``X`` already made for a :class:`GramDesign`."""
    if sp.issparse(X):
        return SparseDesign(X, h, mu, target)
    if isinstance(precompute, str) and precompute in ("single", "single-residual"):
        # One fit: the Gram block of the working set only, where a Gram matrix would pay
        # ("single-residual": the caller found it would not, _covariance.gram_blocks_pay).
        from ._covariance import CovarianceDesign

        if precompute == "single" and single_fit_gram(X):
            return CovarianceDesign(X, h, mu, target)
        if X.dtype == np.float32:
            return SingleDenseDesign(X, h, mu, target)
        return DenseDesign(X, h, mu, target)
    if full_gram_applies(X, precompute):
        if single_gram_path(X, precompute):
            from ._single_gram import SingleGramDesign

            return SingleGramDesign(X, h, mu, target)
        return GramDesign(X, h, mu, target, moments)
    return DenseDesign(X, h, mu, target)


def single_gram_path(X, precompute) -> bool:
    """Whether a whole path on the dense float32 ``X`` solves on ``G`` formed in float32
    (:class:`~._single_gram.SingleGramDesign`; its float64 ``G`` only if needed): the
    ``"path-float32"`` of :func:`shrinkage.path.regularization_path`, where it pays."""
    return (
        not sp.issparse(X)
        and X.dtype == np.float32
        and isinstance(precompute, str)
        and precompute == "path-float32"
        and full_gram_applies(X, precompute)
    )
