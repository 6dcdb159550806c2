"""Ridge regression solved exactly, for every ``alpha`` at once, from one decomposition.

The problem is scikit-learn's ``Ridge`` objective with sample weights ``s`` and
per-feature penalty factors ``v``:

.. math::

    \\min_{\\beta_0, \\beta}\\; \\sum_i s_i (y_i - \\beta_0 - x_i^\\top\\beta)^2
    + \\alpha \\sum_j v_j \\beta_j^2 .

Rows are scaled by ``√s``; the intercept and the unpenalized columns (``v_j = 0``)
span a free subspace with orthonormal basis ``Q`` that is projected out, and the
penalized columns are rescaled by ``1/√v_j``. What is left is a plain ridge on
``X̃ = (I − QQᵀ) A`` with ``A = diag(√s) X diag(1/√v)``, and with one decomposition
``X̃ᵀX̃ = V diag(λ) Vᵀ`` (n > p) or ``X̃ = U diag(d) Vᵀ`` (n ≤ p) every alpha costs
only a diagonal rescaling:

.. math::

    \\tilde\\beta(\\alpha) = V\\,\\mathrm{diag}\\Big(\\frac{1}{\\lambda_k + \\alpha}\\Big)
    V^\\top \\tilde X^\\top b,\\qquad
    H(\\alpha) = QQ^\\top + \\tilde X V\\,\\mathrm{diag}\\Big(\\frac{1}{\\lambda_k+\\alpha}\\Big)
    V^\\top\\tilde X^\\top,

so the exact leave-one-out residuals ``(b_i − (Hb)_i)/(1 − H_ii)``, the GCV score and
the effective degrees of freedom ``tr H = k_free + Σ λ_k/(λ_k + α)`` come for the whole
grid from the same factors. ``b = √s·y`` is the scaled target.
"""

from __future__ import annotations

import inspect

import numpy as np
import scipy.linalg as la
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from ._centring import project_out_twice_
from ._spectrum_accuracy import (
    graded_cholesky_factor,
    squared_spectrum_may_resolve,
    squared_spectrum_resolves,
)

# LAPACK's divide and conquer (syevd) for the eigendecompositions: 200x200 in 2.9 ms
# against the default syevr's 4.1. Only past tiny orders: SciPy 1.10's wrapper sizes
# its workspace wrongly for a 1x1 matrix, and tiny ones gain nothing.
_EVD_MIN_ORDER = 32


def _eigh(matrix: np.ndarray, **kwargs) -> tuple[np.ndarray, np.ndarray]:
    """``scipy.linalg.eigh`` with the driver chosen by the order (:data:`_EVD_MIN_ORDER`)."""
    driver = "evd" if matrix.shape[0] >= _EVD_MIN_ORDER else None
    return la.eigh(matrix, driver=driver, **kwargs)


# From moments (the Gram matrix is all there is): eigenvalues below this fraction of
# the largest are treated as exact zeros, so that alpha = 0 gives the minimum-norm
# least-squares solution instead of noise.
RANK_RTOL = 1e-12
# Locally: directions below max(n, p)·eps of the largest are numerical noise of the
# decomposition (a relative cut-off of 1e-12 dropped real directions when alpha is small).
_EPS = np.finfo(np.float64).eps
# Sparse designs up to this many cells are centred densely (exact and fast); larger ones
# are centred block by block, never all at once.
DENSIFY_LIMIT = 20_000_000
_BLOCK_ELEMENTS = 4_000_000
# Sparse data with both dimensions above this are solved by conjugate gradients.
DIRECT_LIMIT = 6000


# The solver names scikit-learn's Ridge accepts (every one is solved as documented in
# shrinkage.linear_model.Ridge; the name only keeps scikit-learn's contract).
SOLVER_NAMES = ("auto", "svd", "cholesky", "lsqr", "sparse_cg", "sag", "saga", "lbfgs")


def pseudo_inverse(matrix: np.ndarray) -> tuple[np.ndarray, int]:
    """``M⁺`` of a symmetric positive semi-definite matrix, and its rank.

    From ``M = V diag(λ) Vᵀ``: ``M⁺ = Σ_{λ_k > ε λ_max} v_k v_kᵀ / λ_k`` with
    ``ε =`` :data:`RANK_RTOL`.
    """
    if matrix.shape[0] == 0:
        return np.zeros((0, 0)), 0
    lam, vectors = _eigh(matrix, check_finite=False)
    keep = lam > max(lam[-1], 0.0) * RANK_RTOL
    vectors = vectors[:, keep]
    return (vectors / lam[keep]) @ vectors.T, int(keep.sum())


def solve_positive_ridge(problem, alpha: float, total_weight: float, tol: float, max_iter: int):
    """Non-negative ridge by coordinate descent on a least-squares problem (``l1_ratio=0``).

    Ridge's ``Σ s (y − β₀ − xᵀβ)² + α Σ v β²`` is ``2Σs`` times the problem's
    ``½ Σ h (y − β₀ − xᵀβ)² + α'/2 Σ v β²`` (``h = s/Σs``) at ``α' = α/Σs``. Solved on
    every feature (no screening) to a duality gap of ``tol·1e-4``.

    Parameters
    ----------
    problem : shrinkage.solvers.problems.LeastSquaresProblem
        With ``l1_ratio=0`` and ``positive=True``, on rows or on moments.
    alpha : float
        Ridge's ``alpha`` (scikit-learn's meaning).
    total_weight : float
        ``Σ s`` (``n`` without sample weights).
    tol : float
    max_iter : int

    Returns
    -------
    SolveInfo
    """
    working_set = np.ones(problem.n_features, dtype=bool)
    return problem.solve(alpha / total_weight, working_set, tol * 1e-4, max_iter)


def _free_basis(n_samples, sqrt_weights, X, free_columns, fit_intercept):
    """Orthonormal basis ``Q`` of the free columns (scaled), with the triangular factor.

    Returns ``Q (n, r)``, ``R (r, r)``, the kept column positions (in the order of
    ``[intercept] + free_columns``) and the number of candidate columns.
    """
    blocks = []
    if fit_intercept:
        blocks.append(sqrt_weights[:, None])
    if free_columns.size:
        Xf = X[:, free_columns]
        Xf = Xf.toarray() if sp.issparse(Xf) else np.asarray(Xf, dtype=np.float64)
        blocks.append(sqrt_weights[:, None] * Xf)
    if not blocks:
        return np.zeros((n_samples, 0)), np.zeros((0, 0)), np.zeros(0, dtype=int), 0
    F = np.hstack(blocks)
    Q, R, pivots = la.qr(F, mode="economic", pivoting=True)
    diag = np.abs(np.diag(R))
    rank = int(np.sum(diag > diag.max() * max(F.shape) * np.finfo(float).eps)) if diag.size else 0
    return Q[:, :rank], R[:rank, :rank], pivots[:rank], F.shape[1]


class SpectralRidge:
    """Exact weighted ridge with penalty factors, for any number of alphas.

    Built from the rows (``SpectralRidge(X, Y, ...)``: exact leave-one-out, the most
    accurate route) or from their moments (:meth:`from_moments`: data summed in one
    pass, e.g. on Dask; ``n ≫ p``).

    Parameters
    ----------
    X : ndarray or sparse matrix of shape (n_samples, n_features)
    Y : ndarray of shape (n_samples, n_targets)
    sample_weight : ndarray of shape (n_samples,) or None
        Multiplies each row's squared error (scikit-learn's meaning: not normalized).
    penalty_weights : ndarray of shape (n_features,) or None
        ``v_j >= 0``; 0 leaves a feature unpenalized.
    fit_intercept : bool
    alpha_floor : float, default=0.0
        The smallest alpha the decomposition will serve. The eigen-decomposition of the
        squared design is kept only where it resolves every direction to
        :data:`._spectrum_accuracy.SPECTRUM_RTOL` at that alpha
        (:func:`._spectrum_accuracy.squared_spectrum_resolves`), else
        the SVD of ``X̃`` is taken; ``np.inf`` when only the spectrum's range is wanted.

    Notes
    -----
    Cost: ``O(n p min(n, p))`` once, then ``O(p·r)`` per alpha for coefficients and
    ``O(n·r)`` per alpha for leave-one-out errors (``r`` the rank).
    """

    def __init__(
        self,
        X,
        Y,
        sample_weight=None,
        penalty_weights=None,
        fit_intercept=True,
        alpha_floor: float = 0.0,
    ):
        self.alpha_floor = float(alpha_floor)
        if sp.issparse(X):
            X = sp.csc_matrix(X)
        n, p = X.shape
        self.n_samples, self.n_features = n, p
        self.fit_intercept = fit_intercept
        s = np.ones(n) if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
        self.sqrt_weights = np.sqrt(s)
        v = np.ones(p) if penalty_weights is None else np.asarray(penalty_weights, float)
        self.penalized = np.flatnonzero(v > 0)
        self.free_columns = np.flatnonzero(v == 0)
        self.scale = 1.0 / np.sqrt(v[self.penalized])  # β_j = scale_j · β̃_j

        Q, R, pivots, _ = _free_basis(n, self.sqrt_weights, X, self.free_columns, fit_intercept)
        self.Q, self.R, self.pivots = Q, R, pivots
        Y = np.asarray(Y, dtype=np.float64)
        Y = Y[:, None] if Y.ndim == 1 else Y  # one target: a column (n,) would broadcast to n×n
        self.b = self.sqrt_weights[:, None] * Y
        self.Qb = Q.T @ self.b
        b_perp = self.b - Q @ self.Qb

        A = self._scaled_penalized(X)
        self.A = A
        self.QA = np.asarray((A.T @ Q).T) if Q.shape[1] else np.zeros((0, A.shape[1]))
        self.Atb = None  # X̃ᵀb, set by the decomposition from the centred X̃
        self.residual_norm2 = np.sum(b_perp**2, axis=0)  # ‖(I − QQᵀ) b‖² per target
        self.b_perp = b_perp
        self._decompose(A, n, self.penalized.size)

    @classmethod
    def from_moments(
        cls, moments, shift_x, shift_y, penalty_weights, fit_intercept: bool
    ) -> SpectralRidge:
        """The same factors from the moments of the rows (no ``X``).

        With the centred weighted moments ``G = Σ s (x − x̄)(x − x̄)ᵀ`` and
        ``c = Σ s (x − x̄)(y − ȳ)``, the unpenalized columns ``F`` are profiled out by
        a Schur complement and the penalized ones ``P`` rescaled by
        ``D = diag(1/√v)``:

        .. math::

            K = D\\,(G_{PP} - G_{PF} G_{FF}^{+} G_{FP})\\,D = V\\,\\mathrm{diag}(\\lambda)
            \\,V^\\top,\\qquad
            \\beta_P(\\alpha) = D\\,V\\,
            \\frac{V^\\top D (c_P - G_{PF}G_{FF}^{+}c_F)}{\\lambda + \\alpha},

        the same ``K = X̃ᵀX̃`` as from the rows, so the coefficients agree to rounding,
        and ``tr H(α)``, the residual sum of squares and GCV follow from the
        spectrum. The leave-one-out errors need each row's leverage
        (:meth:`leverage`), hence a pass over the rows.

        Parameters
        ----------
        moments : shrinkage.solvers.moments.Moments
            Of ``(x − shift_x, y − shift_y)`` with the sample weights (any number of
            targets).
        shift_x : ndarray of shape (n_features,)
        shift_y : float or ndarray of shape (n_targets,)
        penalty_weights : ndarray of shape (n_features,)
        fit_intercept : bool
        """
        self = cls.__new__(cls)
        W = float(moments.weight)
        x, xx = moments.x, moments.xx
        y, yy = np.atleast_1d(moments.y), np.atleast_1d(moments.yy)
        xy = moments.xy.reshape(x.shape[0], -1)
        self.n_samples, self.total_weight = int(moments.rows), W
        self.fit_intercept = fit_intercept
        if fit_intercept:
            mean_x, mean_y = x / W, y / W
        else:
            mean_x, mean_y = np.zeros_like(x), np.zeros_like(y)
        gram = xx - W * np.outer(mean_x, mean_x)
        cross = xy - W * np.outer(mean_x, mean_y)  # (p, t)
        target_norm2 = yy - W * mean_y * mean_y
        self.mean_x = mean_x + shift_x
        self.mean_y = mean_y + np.atleast_1d(shift_y)

        self.n_features = gram.shape[0]
        self.Q = None  # no rows: the free part is profiled out of the moments
        self.free_columns = np.flatnonzero(penalty_weights == 0)
        self.penalized = np.flatnonzero(penalty_weights > 0)
        F, P = self.free_columns, self.penalized
        self.free_inverse, rank = pseudo_inverse(gram[np.ix_(F, F)])
        self.free_rank = rank + int(fit_intercept)
        self.gram_fp = gram[np.ix_(F, P)]
        self.cross_f = cross[F]
        # Regression of the penalized columns on the free ones, and what is left.
        self.B = gram[np.ix_(P, F)] @ self.free_inverse
        schur = gram[np.ix_(P, P)] - self.B @ self.gram_fp
        self.scale = 1.0 / np.sqrt(penalty_weights[P])
        kernel = self.scale[:, None] * schur * self.scale[None, :]
        kernel = (kernel + kernel.T) / 2.0
        if kernel.size and (factor := graded_cholesky_factor(kernel, self.n_samples)) is not None:
            # Independent columns on different scales: the SVD of a Cholesky factor
            # keeps the small directions that eigh's eps·λ_max error would blur.
            _, d, Vt = la.svd(factor, check_finite=False, lapack_driver="gesdd")
            self.lam, self.V = d**2, Vt.T
        else:
            lam, V = _eigh(kernel, check_finite=False)
            keep = lam > max(lam[-1] if lam.size else 0.0, 0.0) * RANK_RTOL
            self.lam, self.V = lam[keep], V[:, keep]
        rhs = self.scale[:, None] * (cross[P] - self.B @ self.cross_f)
        self.c = self.V.T @ rhs  # (r, t)
        free_fit = np.einsum("ft,fg,gt->t", self.cross_f, self.free_inverse, self.cross_f)
        self.residual_norm2 = np.maximum(target_norm2 - free_fit, 0.0)
        return self

    # -- set-up ----------------------------------------------------------------------
    def _scaled_penalized(self, X):
        Xp = X if self.penalized.size == X.shape[1] else X[:, self.penalized]
        if sp.issparse(Xp):
            return (sp.diags(self.sqrt_weights) @ sp.csc_matrix(Xp) @ sp.diags(self.scale)).tocsc()
        # One copy, scaled in place (the unit weights and penalties of a plain fit skip it).
        A = np.array(Xp, dtype=np.float64, copy=True)
        if np.any(self.sqrt_weights != 1.0):
            A *= self.sqrt_weights[:, None]
        if np.any(self.scale != 1.0):
            A *= self.scale
        return A

    def _project(self, M):
        """``(I − QQᵀ) M`` for a dense ``M`` with n rows."""
        if self.Q.shape[1] == 0:
            return M
        return M - self.Q @ (self.Q.T @ M)

    def _decompose(self, A, n, p):
        """Eigen-pairs ``(λ, V)`` of ``X̃ᵀX̃``, the fitted basis ``M = X̃V`` (n, r) and the
        projections ``c = VᵀX̃ᵀb`` (r, t): ``β̃(α) = V (c/(λ+α))``, ``X̃β̃(α) = M (c/(λ+α))``
        and ``diag H(α) = QQᵀ_ii + Σ_k M_ik²/(λ_k+α)``.

        ``X̃ = (I − QQᵀ)A`` is always formed (or accumulated) explicitly: the shortcut
        ``AᵀA − (QᵀA)ᵀ(QᵀA)`` cancels catastrophically when a column has a large offset
        (``X + 1e9``: both terms are ~1e18 times the answer).
        """
        if p == 0:
            self.route = "eigen"
            self.lam, self.V = np.zeros(0), np.zeros((0, 0))
            self.M, self.c = np.zeros((n, 0)), np.zeros((0, self.b.shape[1]))
            self.Atb = np.zeros((0, self.b.shape[1]))
            return
        if sp.issparse(A) and n * p <= DENSIFY_LIMIT:
            A = A.toarray()  # small enough: the exact dense route below
        if not sp.issparse(A):
            # A is this object's own scaled copy of X: centre it in place (no 2nd copy).
            self._decompose_dense(self._centre_in_place(A), n, p)
            return
        # Large sparse: X̃ is never formed whole; each block of columns is centred in turn.
        # X̃ᵀb too: Aᵀb_perp would cancel like the Gram (A ~ offset, Σ b_perp ~ 0).
        self.Atb = self._centred_product(A, self.b_perp)
        self.route = "eigen" if n > p else "kernel"
        if n > p:
            lam, V = _eigh(self._centred_gram(A), overwrite_a=True, check_finite=False)
            keep = lam > max(lam[-1], 0.0) * max(n, p) * _EPS
            self.lam, self.V = lam[keep], V[:, keep]
            self.M = self._centred_times(A, self.V)
            self.c = self.V.T @ self.Atb
        else:
            lam, U = _eigh(self._centred_kernel(A), overwrite_a=True, check_finite=False)
            keep = lam > max(lam[-1], 0.0) * max(n, p) * _EPS
            lam, U = lam[keep], U[:, keep]
            root = np.sqrt(lam)
            self.lam, self.M = lam, U * root
            self.V = self._centred_product(A, U) / root
            self.c = root[:, None] * (U.T @ self.b_perp)

    def _decompose_dense(self, centred: np.ndarray, n: int, p: int) -> None:
        """The decomposition from the explicitly centred ``X̃`` (n, p)."""
        self.Atb = centred.T @ self.b_perp
        if n > p:
            gram = centred.T @ centred
            if squared_spectrum_may_resolve(gram, self.alpha_floor):
                lam, V = _eigh(gram, check_finite=False)
                if squared_spectrum_resolves(
                    lam, V, centred, self.b_perp, self.alpha_floor, rows=False, projected=self.Atb
                ):
                    keep = lam > max(lam[-1], 0.0) * max(n, p) * _EPS
                    self.lam, self.V = lam[keep], V[:, keep]
                    self.M = centred @ self.V
                    self.c = self.V.T @ self.Atb
                    self.route = "eigen"
                    return
            # Columns on different scales, not nearly dependent: the SVD of a
            # Cholesky factor of G (p×p) instead of X̃'s (n×p).
            if (factor := graded_cholesky_factor(gram, n)) is not None:
                _, d, Vt = la.svd(factor, check_finite=False, lapack_driver="gesdd")
                keep = d > d[0] * max(n, p) * _EPS if d.size and d[0] > 0 else d > 0
                self.lam, self.V = d[keep] ** 2, Vt[keep].T
                self.M = centred @ self.V
                self.c = self.V.T @ self.Atb
                self.route = "cholesky-svd"
                return
        elif squared_spectrum_may_resolve(kernel := centred @ centred.T, self.alpha_floor):
            # Wide (p >= n): eigen-pairs of the n×n kernel X̃X̃ᵀ = U diag(λ) Uᵀ, formed in
            # n²p, a third of the SVD's time at p = n (2000×2000: 1.8 s against 3.8 s
            # for a RidgeCV); then V = X̃ᵀU/√λ.
            lam, U = _eigh(kernel, overwrite_a=True, check_finite=False)
            if squared_spectrum_resolves(
                lam, U, centred, self.b_perp, self.alpha_floor, rows=True, projected=self.Atb
            ):
                keep = lam > max(lam[-1], 0.0) * max(n, p) * _EPS
                lam, U = lam[keep], U[:, keep]
                root = np.sqrt(lam)
                self.lam, self.M = lam, U * root
                # V = X̃ᵀU/√λ (p, r) only if asked for: coefficients need V·w =
                # X̃ᵀ(U w/√λ), n·r + p·n per alpha, not V's n·p·r (half of a RidgeCV).
                self._V, self._V_factors = None, (centred, U / root)
                self.c = root[:, None] * (U.T @ self.b_perp)
                self.route = "kernel"
                return
        # Thin SVD of X̃ itself: more accurate than squaring it (eps·σ_max per singular
        # value), where the squared spectrum would lose directions that matter.
        U, d, Vt = la.svd(centred, full_matrices=False, lapack_driver="gesdd")
        keep = d > d[0] * max(n, p) * _EPS if d.size and d[0] > 0 else d > 0
        U, d, Vt = U[:, keep], d[keep], Vt[keep]
        self.lam, self.V, self.M = d**2, Vt.T, U * d
        self.c = d[:, None] * (U.T @ self.b_perp)
        self.route = "svd"

    def _centred_product(self, A, B: np.ndarray) -> np.ndarray:
        """``X̃ᵀB`` (p, k) for a dense ``B`` with n rows, block by block."""
        out = np.empty((A.shape[1], B.shape[1]))
        for columns in self._column_blocks(A.shape[1]):
            out[columns] = self._centred(A[:, columns]).T @ B
        return out

    def _centred_times(self, A, V: np.ndarray) -> np.ndarray:
        """``X̃V`` (n, k), block by block."""
        out = np.zeros((A.shape[0], V.shape[1]))
        for columns in self._column_blocks(A.shape[1]):
            out += self._centred(A[:, columns]) @ V[columns]
        return out

    def _centred(self, block):
        """``(I − QQᵀ)`` applied twice to a dense block: one pass leaves ``eps·offset``
        of the free directions behind, the second removes it ("twice is enough")."""
        block = np.asarray(block.toarray() if sp.issparse(block) else block, dtype=np.float64)
        return self._project(self._project(block))

    def _centre_in_place(self, A: np.ndarray) -> np.ndarray:
        """:meth:`_centred` without a copy, a block of columns at a time."""
        if self.Q.shape[1] == 0:
            return A
        if self.Q.shape[1] == 1 and project_out_twice_(A, self.Q[:, 0]):
            return A  # the intercept alone: one compiled sweep per projection
        for columns in self._column_blocks(A.shape[1]):
            for _ in range(2):
                A[:, columns] -= self.Q @ (self.Q.T @ A[:, columns])
        return A

    def _column_blocks(self, p):
        width = max(1, _BLOCK_ELEMENTS // max(self.n_samples, 1))
        return [slice(start, min(start + width, p)) for start in range(0, p, width)]

    def _centred_gram(self, A) -> np.ndarray:
        """``X̃ᵀX̃`` (p, p), accumulated over column blocks of ``X̃`` for sparse ``A``."""
        if not sp.issparse(A):
            centred = self._centred(A)
            return centred.T @ centred
        p = A.shape[1]
        gram = np.empty((p, p))
        for columns in self._column_blocks(p):
            # X̃ᵀX̃[:, J] = AᵀX̃_J − (QᵀA)ᵀ(QᵀX̃_J), and QᵀX̃_J ≈ 0 after two projections.
            centred = self._centred(A[:, columns])
            gram[:, columns] = np.asarray(A.T @ centred) - self.QA.T @ (self.Q.T @ centred)
        return 0.5 * (gram + gram.T)

    def _centred_kernel(self, A) -> np.ndarray:
        """``X̃X̃ᵀ`` (n, n), accumulated over column blocks of ``X̃``."""
        n, p = A.shape
        kernel = np.zeros((n, n))
        for columns in self._column_blocks(p):
            centred = self._centred(A[:, columns])
            kernel += centred @ centred.T
        return kernel

    # -- solutions -----------------------------------------------------------------------
    def _gains(self, alphas):
        """``1/(λ_k + α)`` as an (r, n_alphas) array."""
        alphas = np.asarray(alphas, dtype=np.float64).reshape(1, -1)
        return 1.0 / (self.lam[:, None] + alphas)

    def assemble(self, tilde, target=0):
        """Full coefficients and intercepts from penalized solutions ``β̃`` (p_pen, K)."""
        coef = np.zeros((self.n_features, tilde.shape[1]))
        coef[self.penalized] = tilde * self.scale[:, None]
        if self.Q is None:
            # From moments: β_F = G_FF⁺(c_F − G_FP β_P), β₀ = ȳ − x̄ᵀβ.
            coef[self.free_columns] = self.free_inverse @ (
                self.cross_f[:, target : target + 1] - self.gram_fp @ coef[self.penalized]
            )
            intercept = self.mean_y[target] - self.mean_x @ coef
            return coef, intercept if self.fit_intercept else np.zeros(coef.shape[1])
        intercept = np.zeros(tilde.shape[1])
        if self.Q.shape[1]:
            # Free part: Q R γ = QQᵀ(b − Aβ̃)  ⇒  γ = R⁻¹(Qᵀb − (QᵀA)β̃).
            gamma = la.solve_triangular(self.R, self.Qb[:, target : target + 1] - self.QA @ tilde)
            names = (["intercept"] if self.fit_intercept else []) + list(self.free_columns)
            for row, position in enumerate(self.pivots):
                if names[position] == "intercept":
                    intercept = gamma[row]
                else:
                    coef[names[position]] = gamma[row]
        return coef, intercept

    @property
    def V(self) -> np.ndarray:
        """Eigenvectors ``V`` (p, r) of ``X̃ᵀX̃``: ``X̃ = M Vᵀ`` with ``M = X̃V``."""
        if getattr(self, "_V", None) is None and getattr(self, "_V_factors", None):
            centred, scaled_U = self._V_factors
            self._V, self._V_factors = centred.T @ scaled_U, None
        return self._V

    @V.setter
    def V(self, value: np.ndarray) -> None:
        self._V, self._V_factors = value, None

    def coefs(self, alphas, target=0):
        """Coefficients (n_features, n_alphas) and intercepts (n_alphas,) for one target."""
        weights = self.c[:, target : target + 1] * self._gains(alphas)
        if getattr(self, "_V_factors", None):
            centred, scaled_U = self._V_factors
            tilde = centred.T @ (scaled_U @ weights)
        else:
            tilde = self.V @ weights
        return self.assemble(tilde, target)

    def coefs_at(self, alphas) -> tuple[np.ndarray, np.ndarray]:
        """One alpha per target: coefficients (n_targets, n_features), intercepts
        (n_targets,)."""
        n_targets = len(alphas)
        coefs, intercepts = np.zeros((n_targets, self.n_features)), np.zeros(n_targets)
        for t in range(n_targets):
            coef, intercept = self.coefs(alphas[t : t + 1], target=t)
            coefs[t], intercepts[t] = coef[:, 0], intercept[0]
        return coefs, intercepts

    def n_free(self) -> int:
        """Dimension of the unpenalized part (intercept and free columns)."""
        return self.free_rank if self.Q is None else self.Q.shape[1]

    def degrees_of_freedom(self, alphas) -> np.ndarray:
        """``tr H(α)``, counting the intercept and the unpenalized columns."""
        return self.n_free() + (self.lam[:, None] * self._gains(alphas)).sum(axis=0)

    def hat_diagonal(self, alphas) -> np.ndarray:
        """``diag H(α)`` as an (n_samples, n_alphas) array."""
        base = np.sum(self.Q**2, axis=1)[:, None]
        return base + (self.M**2) @ self._gains(alphas)

    def _basis(self) -> np.ndarray:
        """Orthonormal basis ``U = M/√λ`` (n, r) of the penalized fitted space."""
        return self.M / np.sqrt(self.lam) if self.lam.size else self.M

    def _shrink(self, alphas) -> np.ndarray:
        """``α/(λ_k + α)`` (r, n_alphas): what the penalty leaves of each direction."""
        alphas = np.asarray(alphas, dtype=np.float64).reshape(1, -1)
        return alphas * self._gains(alphas)

    def hat_complement(self, alphas) -> np.ndarray:
        """``1 − diag H(α)`` (n_samples, n_alphas), without cancellation.

        ``1 − h_i = (1 − ‖Q_i‖² − ‖U_i‖²) + Σ_k U_ik² α/(λ_k+α)``: at small α (wide data
        nearly interpolated) ``h_i → 1`` and ``1 − h_i`` computed as a difference loses
        all but a few digits; this form keeps them.
        """
        U2 = self._basis() ** 2
        shrunk = U2 @ self._shrink(alphas)
        if self._spans_all():
            return shrunk  # the outside part is exactly 0; computed, it would be noise
        outside = 1.0 - np.sum(self.Q**2, axis=1) - U2.sum(axis=1)
        return np.maximum(outside, 0.0)[:, None] + shrunk

    def _spans_all(self) -> bool:
        """Whether ``[Q U]`` spans all n rows (e.g. wide data of full row rank)."""
        return self.Q.shape[1] + self.lam.size >= self.n_samples

    def residuals(self, alphas, target=0) -> np.ndarray:
        """In-sample residuals ``b − Hb`` in the √s-scaled space, (n, n_alphas).

        Written as the part of ``b`` outside the fitted space plus ``U diag(α/(λ+α)) Uᵀb``,
        so that small residuals at small α are not the difference of two large numbers.
        """
        U = self._basis()
        coords = self.c[:, target] / np.sqrt(self.lam) if self.lam.size else self.c[:, target]
        shrunk = U @ (coords[:, None] * self._shrink(alphas))
        if self._spans_all():
            return shrunk  # b lies in the fitted space: only the shrunk part remains
        outside = self.b_perp[:, target] - U @ coords
        return outside[:, None] + shrunk

    def loo_residuals(self, alphas, target=0) -> np.ndarray:
        """Exact leave-one-out residuals in the √s-scaled space, (n, n_alphas).

        Row ``i`` is ``√s_i (y_i − ŷ_{−i})`` where ``ŷ_{−i}`` is the fit without row ``i``.
        A row with leverage 1 (it alone determines a parameter) has no finite
        leave-one-out prediction and gets ``inf``.
        """
        with np.errstate(divide="ignore", invalid="ignore"):
            out = self.residuals(alphas, target) / self.hat_complement(alphas)
        return np.where(np.isfinite(out), out, np.inf)

    def rss(self, alphas, target=0) -> np.ndarray:
        """``‖b − Hb‖² = Σ s (y − ŷ(α))²`` from the spectrum alone (no rows):
        ``‖b_⊥‖² − Σ_k c_k² (2/(λ_k+α) − λ_k/(λ_k+α)²)``, clipped at 0.

        Loses digits when the fit is close (use :meth:`residuals` when there are rows).
        """
        gains = self._gains(alphas)
        c2 = self.c[:, target : target + 1] ** 2
        explained = (c2 * (2.0 * gains - self.lam[:, None] * gains * gains)).sum(axis=0)
        return np.maximum(self.residual_norm2[target] - explained, 0.0)

    def leverage(self, X, sample_weight, alphas) -> np.ndarray:
        """``diag H(α)`` (n_rows, n_alphas) of rows ``X`` of the data summarized by
        :meth:`from_moments`, with their weights ``s``:
        ``H_ii = s_i (1/W + x̃_{F,i}ᵀG_{FF}^{+}x̃_{F,i} + Σ_k u_{ik}²/(λ_k + α))``."""
        s = sample_weight
        centred = X - self.mean_x
        F, P = self.free_columns, self.penalized
        free_part = np.einsum("if,fg,ig->i", centred[:, F], self.free_inverse, centred[:, F])
        base = s * (free_part + (1.0 / self.total_weight if self.fit_intercept else 0.0))
        projected = ((centred[:, P] - centred[:, F] @ self.B.T) * self.scale) @ self.V
        return base[:, None] + s[:, None] * ((projected**2) @ self._gains(alphas))

    def gcv(self, alphas, target=0) -> np.ndarray:
        """Generalized cross-validation ``n‖b − Hb‖² / (n − tr H)²`` per alpha."""
        n = self.n_samples
        if self.Q is None:
            with np.errstate(divide="ignore"):
                return n * self.rss(alphas, target) / (n - self.degrees_of_freedom(alphas)) ** 2
        rss = np.sum(self.residuals(alphas, target) ** 2, axis=0)
        with np.errstate(divide="ignore"):
            return n * rss / (n - self.degrees_of_freedom(alphas)) ** 2


def solve_ridge_cg(X, y, sample_weight, penalty_weights, fit_intercept, alpha, tol, max_iter):
    """Ridge on large sparse data by conjugate gradients on the normal equations.

    Solves ``(X̃ᵀX̃ + α I) β̃ = X̃ᵀ b`` with a Jacobi preconditioner, ``X̃`` applied
    implicitly (never densified, never centred explicitly).
    Returns ``coef, intercept, n_iter``.
    """
    n, p = X.shape
    problem = _ImplicitRidge(X, y, sample_weight, penalty_weights, fit_intercept)
    A, m = problem.A, problem.A.shape[1]

    def normal_matvec(x):
        return A.T @ problem.project(A @ x) + alpha * x

    column_norms = np.asarray(A.multiply(A).sum(axis=0)).ravel() - np.sum(problem.QA**2, axis=0)
    # A preconditioner only: cancellation (large offsets) may make it tiny or negative.
    column_norms = np.maximum(column_norms, 1e-12 * max(column_norms.max(), 1.0))
    preconditioner = spla.LinearOperator((m, m), matvec=lambda r: r / (column_norms + alpha))
    operator = spla.LinearOperator((m, m), matvec=normal_matvec, dtype=np.float64)
    iterations = [0]

    def count(_):
        iterations[0] += 1

    # SciPy < 1.12 calls the relative tolerance ``tol`` (``rtol`` since 1.12).
    tolerance = {"rtol": tol} if "rtol" in inspect.signature(spla.cg).parameters else {"tol": tol}
    tilde, info = spla.cg(
        operator,
        problem.Atb,
        **tolerance,
        atol=0.0,
        maxiter=max_iter,
        M=preconditioner,
        callback=count,
    )
    coef, intercept = problem.assemble(tilde[:, None])
    return coef[:, 0], float(intercept[0]), iterations[0], info == 0


class _ImplicitRidge(SpectralRidge):
    """The projections of :class:`SpectralRidge` without the decomposition."""

    def __init__(self, X, y, sample_weight, penalty_weights, fit_intercept):
        X = sp.csc_matrix(X)
        n, p = X.shape
        self.n_samples, self.n_features = n, p
        self.fit_intercept = fit_intercept
        s = np.ones(n) if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
        self.sqrt_weights = np.sqrt(s)
        v = np.ones(p) if penalty_weights is None else np.asarray(penalty_weights, float)
        self.penalized = np.flatnonzero(v > 0)
        self.free_columns = np.flatnonzero(v == 0)
        self.scale = 1.0 / np.sqrt(v[self.penalized])
        Q, R, pivots, _ = _free_basis(n, self.sqrt_weights, X, self.free_columns, fit_intercept)
        self.Q, self.R, self.pivots = Q, R, pivots
        b = self.sqrt_weights * np.asarray(y, dtype=np.float64)
        self.Qb = (Q.T @ b)[:, None]
        self.A = sp.csc_matrix(self._scaled_penalized(X))
        self.QA = np.asarray((self.A.T @ Q).T) if Q.shape[1] else np.zeros((0, self.A.shape[1]))
        self.Atb = np.asarray(self.A.T @ self.project(b)).ravel()

    def project(self, v):
        if self.Q.shape[1] == 0:
            return v
        return v - self.Q @ (self.Q.T @ v)


def ridge_alpha_grid(eigenvalues, n_alphas: int = 100) -> np.ndarray:
    """A decreasing grid that spans ridge's whole range of degrees of freedom.

    ``tr H(α) = Σ λ_k/(λ_k + α)`` goes from about ``0.001·r`` at ``α = 10³ λ_max`` to
    about ``r − 0.001·r`` at ``α = 10⁻³ λ_min`` (``λ`` the non-zero eigenvalues of
    ``X̃ᵀX̃``). glmnet's lasso-style grid (``alpha_max / l1_ratio``) starts far above
    where ridge does anything and stops before it fits closely.
    """
    eigenvalues = np.asarray(eigenvalues, dtype=np.float64)
    eigenvalues = eigenvalues[eigenvalues > 0]
    if eigenvalues.size == 0:
        return np.geomspace(1.0, 1e-6, n_alphas)
    high = 1e3 * eigenvalues.max()
    low = max(1e-3 * eigenvalues.min(), 1e-9 * eigenvalues.max())
    return np.geomspace(high, low, n_alphas)
