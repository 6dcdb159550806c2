"""Least squares from weighted moments: ``Σ w xxᵀ``, ``Σ w x y``, ``Σ w y²``, ``Σ w x``, ``Σ w``.

For ``n ≫ p`` the penalized least-squares path needs the data only through the sums

.. math::

    W = \\sum_i w_i,\\quad \\sum_i w_i x_i,\\quad \\sum_i w_i y_i,\\quad
    \\sum_i w_i x_i x_i^\\top,\\quad \\sum_i w_i x_i y_i,\\quad \\sum_i w_i y_i^2 ,

which add over disjoint sets of rows. So the moments of a training set are those
of the other folds added (or of all the data minus the held-out fold): K-fold
cross-validation forms one ``p × p`` matrix instead of K, and the same sums come
from chunked or distributed data (:mod:`shrinkage.distributed` adds them over
blocks). The rows are shifted by ``(shift_x, shift_y)`` first (the weighted means,
or a pilot estimate of them): with columns whose mean is large against their
spread, ``Σ w x xᵀ − W x̄ x̄ᵀ`` would cancel most digits.

:class:`Moments` is the one container of these sums (used by the in-memory CV, the
Dask engine and :mod:`shrinkage.explain`); :class:`MomentsDesign` is the
least-squares design built from it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import scipy.sparse as sp
from scipy.linalg import blas

from .._jit import njit
from ._designs import (
    GramDesign,
    _mirror_upper_triangle,
    accumulate_row_blocks,
    mirror_upper_triangle,
    rows_per_block,
)
from .constants import CONSTANT_COLUMN_RATIO_UNCENTRED

# A centred column norm below this fraction of the raw second moment is rounding:
# the column is constant on these rows.


@dataclass
class Moments:
    """Weighted sums over one set of rows of ``(x − shift_x, y − shift_y)``.

    One target (``y`` 1-D when summed) gives scalar ``y`` and ``yy`` and ``xy`` of
    shape ``(p,)``; ``t`` targets give shapes ``(t,)``, ``(t,)`` and ``(p, t)``
    (:meth:`target` picks one).

    Attributes
    ----------
    weight : float
        ``W = Σ w``.
    x : ndarray of shape (p,)
        ``Σ w (x − shift_x)``.
    y : float or ndarray of shape (t,)
        ``Σ w (y − shift_y)``.
    xx : ndarray of shape (p, p)
        ``Σ w (x − shift_x)(x − shift_x)ᵀ``.
    xy : ndarray of shape (p,) or (p, t)
        ``Σ w (x − shift_x)(y − shift_y)``.
    yy : float or ndarray of shape (t,)
        ``Σ w (y − shift_y)²``.
    rows : int
        Number of rows summed.
    min_weight : float
        Smallest weight seen (``inf`` without weights), so that a caller can refuse
        negative weights after summing.
    symmetric : bool
        Whether ``xx`` is known to be exactly symmetric (bit for bit): true for the
        sums of :meth:`of_groups` and their sums, differences and multiples, so that
        :class:`MomentsDesign` need not check (a strided ``p²`` pass per fold).
    """

    weight: float
    x: np.ndarray
    y: float | np.ndarray
    xx: np.ndarray
    xy: np.ndarray
    yy: float | np.ndarray
    rows: int = 0
    min_weight: float = np.inf
    symmetric: bool = False

    def __add__(self, other: Moments) -> Moments:
        return Moments(
            self.weight + other.weight,
            self.x + other.x,
            self.y + other.y,
            self.xx + other.xx,
            self.xy + other.xy,
            self.yy + other.yy,
            self.rows + other.rows,
            min(self.min_weight, other.min_weight),
            self.symmetric and other.symmetric,
        )

    def __sub__(self, other: Moments) -> Moments:
        """The rows of ``self`` without those of ``other`` (a subset of them)."""
        return Moments(
            self.weight - other.weight,
            self.x - other.x,
            self.y - other.y,
            self.xx - other.xx,
            self.xy - other.xy,
            self.yy - other.yy,
            self.rows - other.rows,
            self.min_weight,
            self.symmetric and other.symmetric,
        )

    def scaled(self, factor: float) -> Moments:
        """Every row's weight multiplied by ``factor`` (a scalar ``sample_weight``)."""
        return Moments(
            self.weight * factor,
            self.x * factor,
            self.y * factor,
            self.xx * factor,
            self.xy * factor,
            self.yy * factor,
            self.rows,
            self.min_weight * factor,
            self.symmetric,
        )

    def target(self, index: int) -> Moments:
        """The moments of one target (``self`` when there is only one)."""
        if np.ndim(self.y) == 0:
            return self
        return replace(
            self,
            y=float(self.y[index]),
            xy=self.xy[:, index],
            yy=float(self.yy[index]),
        )

    @classmethod
    def of_rows(cls, X, y, w=None, shift_x=0.0, shift_y=0.0) -> Moments:
        """Moments of ``(X − shift_x, y − shift_y)`` with weights ``w`` (None: 1).

        Parameters
        ----------
        X : ndarray or sparse matrix of shape (n, p)
        y : ndarray of shape (n,) or (n, t)
        w : ndarray of shape (n,), optional
        shift_x : float or ndarray of shape (p,)
        shift_y : float or ndarray of shape (t,)
        """
        return cls.of_groups(X, y, w, shift_x, shift_y)[0]

    @classmethod
    def of_groups(
        cls, X, y, w, shift_x, shift_y, order=None, bounds=None, mirror=True
    ) -> list[Moments]:
        """:meth:`of_rows` of each group of rows, in one sweep.

        Parameters
        ----------
        X, y, w, shift_x, shift_y
            As :meth:`of_rows` (negative weights count as 0 in the sums; see
            ``min_weight``).
        order : ndarray of int of shape (n,), optional
            Rows sorted by group: group ``k`` is ``order[bounds[k]:bounds[k+1]]``.
        bounds : ndarray of int, optional
            Group boundaries in ``order`` (default: one group, all rows in order).
        mirror : bool, default=True
            Whether to fill the lower triangle of ``xx`` (False: only its upper triangle
            is set, ``symmetric`` is False; for a caller that reads upper triangles only,
            as :meth:`MomentsDesign.of_difference`).

        Returns
        -------
        list of Moments
            One per group.

        Notes
        -----
        The rows go through one reused buffer, a block at a time, as
        ``B = √w (x − shift_x)``; :func:`._designs.accumulate_row_blocks` (the blocked
        accumulation of :func:`._designs.raw_moments` too) adds the upper triangle of
        ``BᵀB`` (a symmetric rank-k update, half the flops of a general product) and
        ``LB`` with ``Lᵀ = √w [y − shift_y, 1]`` (``Σ w x y`` and ``Σ w x``); ``Σ w``,
        ``Σ w y`` and ``Σ w y²`` are sums over the group's rows. Shifting, weighting and
        gathering the rows of a group cost no copy of the data, and mirroring the upper
        triangle in place makes ``xx`` exactly symmetric.
        """
        y = np.asarray(y, dtype=np.float64)
        single = y.ndim == 1
        n, p = X.shape
        Y = y.reshape(n, -1)
        t = Y.shape[1]
        bounds = np.array([0, n]) if bounds is None else np.asarray(bounds)
        weights = None if w is None else np.maximum(np.asarray(w, dtype=np.float64), 0.0)
        root_w = None if weights is None else np.sqrt(weights)
        shifted_y = Y - shift_y
        # Lᵀ = √w [y − shift_y, 1]: L·B with B = √w (x − shift_x) gives Σ w (x − s)(y − s)
        # and Σ w (x − s).
        left = np.vstack([shifted_y.T, np.ones((1, n))])
        if root_w is not None:
            left *= root_w
        # (C-ordered: the rows of X, as a fold's copy, fill it contiguously)
        buffer = np.empty((rows_per_block(n, p), p))
        out = []
        for k in range(len(bounds) - 1):
            group = slice(bounds[k], bounds[k + 1])
            rows = group if order is None else order[group]
            blocks = _shifted_blocks(X, rows, shift_x, root_w, buffer)
            upper, products = accumulate_row_blocks(blocks, left, p)
            if mirror:  # (the lower triangle from the upper one: bit for bit symmetric)
                mirror_upper_triangle(upper)
            part_y = shifted_y[rows]
            part_w = None if weights is None else weights[rows]
            total = float(part_y.shape[0] if part_w is None else part_w.sum())
            y_sum = part_y.sum(axis=0) if part_w is None else part_w @ part_y
            squares = part_y * part_y
            yy = squares.sum(axis=0) if part_w is None else part_w @ squares
            smallest = np.inf
            if w is not None and bounds[k + 1] > bounds[k]:
                smallest = float(np.asarray(w)[rows].min())
            out.append(
                cls(
                    total,
                    products[t].copy(),
                    float(y_sum[0]) if single else y_sum,
                    upper,
                    products[0].copy() if single else products[:t].T.copy(),
                    float(yy[0]) if single else yy,
                    int(bounds[k + 1] - bounds[k]),
                    smallest,
                    mirror,
                )
            )
        return out

    def centred(self, fit_intercept: bool = True):
        """Per unit weight: ``x̄, ȳ`` (in the shifted coordinates; 0 without an
        intercept), ``G = Σw(x − x̄)(x − x̄)ᵀ/W``, ``q = Σw(x − x̄)(y − ȳ)/W`` and
        ``Σw(y − ȳ)²/W`` (clipped at 0)."""
        total = self.weight
        mean_x = self.x / total if fit_intercept else np.zeros_like(self.x)
        mean_y = self.y / total if fit_intercept else 0.0 * self.y
        gram = self.xx / total - np.outer(mean_x, mean_x)
        q = self.xy / total - (
            mean_x * mean_y if np.ndim(mean_y) == 0 else np.outer(mean_x, mean_y)
        )
        yy = np.maximum(self.yy / total - mean_y * mean_y, 0.0)
        return mean_x, mean_y, gram, q, float(yy) if np.ndim(yy) == 0 else yy

    def sse(self, intercepts, coefs, shift_x=0.0, shift_y=0.0) -> np.ndarray:
        """``Σ w (y − β₀ − xᵀβ)²`` over these rows, one per column of ``coefs``.

        With ``C`` the centred moments, ``W`` the weight and ``x̄, ȳ`` the means,

        .. math::

            \\mathrm{SSE} = C_{yy} - 2\\beta^\\top C_{xy} + \\beta^\\top C_{xx}\\beta
            + W(\\bar y - \\beta_0 - \\bar x^\\top\\beta)^2 ,

        evaluated in the shifted coordinates (no cancellation of large means).

        Parameters
        ----------
        intercepts : float or ndarray of shape (m,)
            In the raw coordinates of ``x`` and ``y``.
        coefs : ndarray of shape (p,) or (p, m)
        shift_x, shift_y
            The shifts these moments were summed with (one target).

        Returns
        -------
        ndarray of shape (m,)
        """
        coefs = np.asarray(coefs, dtype=np.float64)
        coefs = coefs[:, None] if coefs.ndim == 1 else coefs
        W = self.weight
        mean_x, mean_y = self.x / W, self.y / W
        cxy = self.xy - W * mean_x * mean_y
        cyy = self.yy - W * mean_y * mean_y
        # The prediction's offset in the shifted coordinates.
        offset = intercepts + np.broadcast_to(shift_x, mean_x.shape) @ coefs - shift_y
        # C_xx β = xx β − W x̄ (x̄ᵀβ): no p × p temporary (a CV fit scores every fold).
        projected = self.xx @ coefs
        projected -= W * np.outer(mean_x, mean_x @ coefs)
        quadratic = np.einsum("ja,ja->a", coefs, projected)
        bias = mean_y - offset - mean_x @ coefs
        return np.maximum(cyy - 2.0 * (cxy @ coefs) + quadratic + W * bias * bias, 0.0)


def _shifted_blocks(X, rows, shift_x, root_w, buffer):
    """``(part, B)``: consecutive blocks of ``rows`` (a slice or indices) of ``X`` (dense
    or sparse) as ``B = √w (x − shift_x)`` in ``buffer`` (C-ordered float64, reused:
    each block is valid until the next)."""
    step = buffer.shape[0]
    if isinstance(rows, slice):
        parts = (slice(s, min(s + step, rows.stop)) for s in range(rows.start, rows.stop, step))
    else:
        parts = (rows[s : s + step] for s in range(0, rows.size, step))
    for part in parts:
        size = part.stop - part.start if isinstance(part, slice) else part.size
        block = buffer[:size]
        rows_of_x = X[part]
        np.subtract(rows_of_x.toarray() if sp.issparse(X) else rows_of_x, shift_x, out=block)
        if root_w is not None:
            block *= root_w[part, None]
        yield part, block


class MomentsDesign(GramDesign):
    """:class:`GramDesign` built from moments instead of from ``X``."""

    def __init__(self, moments: Moments, fit_intercept: bool):
        if moments.weight <= 0:
            raise ValueError("The training rows have zero total sample weight.")
        mean_x, mean_y, q, target_norm2 = _centred_vectors(moments, fit_intercept)
        self.gram = _centred_gram(moments.xx, moments.weight, mean_x, moments.symmetric)
        self.q = q
        self.target_norm2 = target_norm2
        diagonal = np.diag(self.gram).copy()
        raw = np.diag(moments.xx) / moments.weight
        self.lipschitz = np.where(diagonal <= CONSTANT_COLUMN_RATIO_UNCENTRED * raw, 0.0, diagonal)
        self.grad = self.q.copy()
        self._coef = np.zeros(self.q.shape[0])
        self.mean_x, self.mean_y = mean_x, mean_y

    @classmethod
    def of_difference(
        cls, total: Moments, part: Moments, fit_intercept: bool, dtype=np.float64, out=None
    ) -> MomentsDesign:
        """The design of the rows of ``total`` without those of ``part`` (a training set:
        all rows minus a held-out fold), its ``G`` in ``dtype``.

        The same numbers as ``MomentsDesign(total - part)`` (to rounding) with ``G``
        rounded once to ``dtype``, in one pass over the upper triangles of the two
        ``xx`` (their lower triangles are not read: ``part``'s need not be set) and no
        ``p × p`` temporary: ``G_ij = (xx_ij − xx'_ij)/W − x̄_i x̄_j`` for ``i ≤ j``,
        mirrored. (The four ``p²`` passes and three temporaries of the difference, the
        centring and the rounding were a sixth of a 6325x1581 ``LassoCV``.) ``out``: a
        ``(p, p)`` Fortran-ordered array of ``dtype`` to hold ``G`` (a released fold's),
        else a new one.

        For float32 data ``G`` is float32: the compiled path's steps stream columns of
        ``G`` (gradient updates, factor appends), and float32 halves those reads; its
        rounding (``2⁻²⁴`` relative) is that of the data themselves. The Lipschitz
        constants are then the rounded diagonal (constant columns stay 0), so that a
        coordinate update and its gradient column agree.
        """
        train = Moments(
            total.weight - part.weight,
            total.x - part.x,
            total.y - part.y,
            None,
            total.xy - part.xy,
            total.yy - part.yy,
            total.rows - part.rows,
            total.min_weight,
        )
        if train.weight <= 0:
            raise ValueError("The training rows have zero total sample weight.")
        self = cls.__new__(cls)
        mean_x, mean_y, q, target_norm2 = _centred_vectors(train, fit_intercept)
        p = q.shape[0]
        reusable = (
            out is not None
            and out.shape == (p, p)
            and out.dtype == dtype
            and out.flags.f_contiguous
        )
        gram = out if reusable else np.empty((p, p), dtype=dtype, order="F")
        raw = np.empty(p)
        diagonal = np.empty(p)  # (G's diagonal before any rounding to dtype)
        _centred_difference(total.xx, part.xx, train.weight, mean_x, gram, raw, diagonal)
        self.gram = gram
        self.q = q
        self.target_norm2 = target_norm2
        # As __init__ (constant columns: 0), with the diagonal rounded as G is.
        constant = diagonal <= CONSTANT_COLUMN_RATIO_UNCENTRED * raw
        self.lipschitz = np.where(constant, 0.0, np.diag(gram).astype(np.float64))
        self.grad = self.q.copy()
        self._coef = np.zeros(p)
        self.mean_x, self.mean_y = mean_x, mean_y
        return self

def _centred_vectors(moments: Moments, fit_intercept: bool):
    """:meth:`Moments.centred` without the Gram matrix: ``x̄, ȳ, q`` and ``Σw(y − ȳ)²/W``."""
    total = moments.weight
    mean_x = moments.x / total if fit_intercept else np.zeros_like(moments.x)
    mean_y = moments.y / total if fit_intercept else 0.0 * moments.y
    q = moments.xy / total - (
        mean_x * mean_y if np.ndim(mean_y) == 0 else np.outer(mean_x, mean_y)
    )
    yy = np.maximum(moments.yy / total - mean_y * mean_y, 0.0)
    return mean_x, mean_y, q, float(yy) if np.ndim(yy) == 0 else yy


@njit(cache=True, nogil=True)
def _centred_difference(xx, minus, total, mean_x, gram, raw, diagonal):
    """``gram = (xx − minus)/W − x̄x̄ᵀ`` (in ``gram``'s dtype) from the upper triangles of
    ``xx`` and ``minus`` (Fortran-ordered: column ``j``'s rows ``0..j`` contiguous),
    ``raw = diag(xx − minus)/W`` and ``diagonal`` the float64 diagonal of ``gram``. The
    lower triangle is mirrored tile by tile (the strided reads stay cached), so ``gram``
    is exactly symmetric."""
    p = xx.shape[0]
    for j in range(p):
        mean_j = mean_x[j]
        for i in range(j + 1):
            gram[i, j] = (xx[i, j] - minus[i, j]) / total - mean_x[i] * mean_j
        raw[j] = (xx[j, j] - minus[j, j]) / total
        diagonal[j] = raw[j] - mean_j * mean_j
    _mirror_upper_triangle(gram)


def _centred_gram(
    xx: np.ndarray, total: float, mean_x: np.ndarray, symmetric: bool = False
) -> np.ndarray:
    """``G = xx/W − x̄x̄ᵀ``, Fortran-ordered (as the compiled path reads columns), in two
    passes over ``p²`` and no temporary (a CV fit builds one per fold: the six passes
    of the plain formula were a tenth of a 1414x707 ``LassoCV``).

    ``xx`` from :meth:`Moments.of_groups` (and sums, differences and multiples of
    those) is exactly symmetric, and so is ``G`` then (``x̄_i x̄_j = x̄_j x̄_i``); any
    other is symmetrized first (``symmetric``: known to be, no check).
    """
    if not symmetric and not np.array_equal(xx, xx.T):
        xx = (xx + xx.T) / 2.0
    gram = np.empty(xx.shape, order="F")
    # xx is symmetric: its transpose is the same matrix, read contiguously when xx is
    # C-ordered.
    np.divide(xx.T if xx.flags.c_contiguous else xx, total, out=gram)
    if np.any(mean_x):
        # The rank-one update in place (the Fortran-ordered array is BLAS's own).
        gram = blas.dger(-1.0, mean_x, mean_x, a=gram, overwrite_a=1)
    return gram
