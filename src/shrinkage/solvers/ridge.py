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

# Eigenvalues below this fraction of the largest are treated as exact zeros, so that
# alpha = 0 gives the minimum-norm least-squares solution instead of noise.
_RANK_RTOL = 1e-12
# Sparse data with both dimensions above this are solved by conjugate gradients.
DIRECT_LIMIT = 6000


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

    Parameters
    ----------
    X : ndarray or sparse matrix of shape (n_samples, n_features)
    Y : ndarray of shape (n_samples, n_targets)
    sample_weight : ndarray of shape (n_samples,) or None
        Multiplies each row's squared error (scikit-learn's meaning: not normalized).
    penalty_weights : ndarray of shape (n_features,) or None
        ``v_j >= 0``; 0 leaves a feature unpenalized.
    fit_intercept : bool

    Notes
    -----
    Cost: ``O(n p min(n, p))`` once, then ``O(p·r)`` per alpha for coefficients and
    ``O(n·r)`` per alpha for leave-one-out errors (``r`` the rank).
    """

    def __init__(self, X, Y, sample_weight=None, penalty_weights=None, fit_intercept=True):
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
        self.b = self.sqrt_weights[:, None] * Y
        self.Qb = Q.T @ self.b
        b_perp = self.b - Q @ self.Qb

        A = self._scaled_penalized(X)
        self.A = A
        self.QA = np.asarray((A.T @ Q).T) if Q.shape[1] else np.zeros((0, A.shape[1]))
        self.Atb = np.asarray(A.T @ b_perp)  # = X̃ᵀ b, since X̃ᵀ = Aᵀ(I − QQᵀ)
        self.residual_norm2 = np.sum(b_perp**2, axis=0)  # ‖(I − QQᵀ) b‖² per target
        self.b_perp = b_perp
        self._decompose(A, n, self.penalized.size)

    # -- set-up ----------------------------------------------------------------------
    def _scaled_penalized(self, X):
        Xp = X[:, self.penalized]
        if sp.issparse(Xp):
            return (sp.diags(self.sqrt_weights) @ sp.csc_matrix(Xp) @ sp.diags(self.scale)).tocsc()
        return (self.sqrt_weights[:, None] * np.asarray(Xp, dtype=np.float64)) * self.scale

    def _project(self, M):
        """``(I − QQᵀ) M`` for a dense ``M`` with n rows."""
        if self.Q.shape[1] == 0:
            return M
        return M - self.Q @ (self.Q.T @ M)

    def _decompose(self, A, n, p):
        """Eigen-pairs ``(λ, V)`` of ``X̃ᵀX̃``, the fitted basis ``M = X̃V`` (n, r) and the
        projections ``c = VᵀX̃ᵀb`` (r, t): ``β̃(α) = V (c/(λ+α))``, ``X̃β̃(α) = M (c/(λ+α))``
        and ``diag H(α) = QQᵀ_ii + Σ_k M_ik²/(λ_k+α)``."""
        if p == 0:
            self.lam, self.V = np.zeros(0), np.zeros((0, 0))
            self.M, self.c = np.zeros((n, 0)), np.zeros((0, self.b.shape[1]))
            return
        if not sp.issparse(A) and n <= p and p <= 2 * n:
            # Thin SVD of X̃ itself: more accurate than squaring it, and about as cheap
            # as the kernel while p is within a few times n.
            U, d, Vt = la.svd(self._project(A), full_matrices=False, lapack_driver="gesdd")
            keep = d > d[0] * np.sqrt(_RANK_RTOL)
            U, d, Vt = U[:, keep], d[keep], Vt[keep]
            self.lam, self.V, self.M = d**2, Vt.T, U * d
            self.c = d[:, None] * (U.T @ self.b_perp)
        elif n > p:
            gram = A.T @ A
            gram = gram.toarray() if sp.issparse(gram) else np.asarray(gram)
            gram = gram - self.QA.T @ self.QA
            lam, V = la.eigh(gram, overwrite_a=True, check_finite=False)
            keep = lam > max(lam[-1], 0.0) * _RANK_RTOL
            self.lam, self.V = lam[keep], V[:, keep]
            self.M = self._project(np.asarray(A @ self.V))
            self.c = self.V.T @ self.Atb
        else:
            # Wide (sparse, or dense with p > 2n): eigen-pairs of the n×n kernel
            # X̃X̃ᵀ = U diag(λ) Uᵀ, formed in n²p instead of the SVD's larger constant;
            # then V = X̃ᵀU/√λ = AᵀU/√λ (U is orthogonal to Q).
            kernel = A @ A.T
            kernel = kernel.toarray() if sp.issparse(kernel) else np.asarray(kernel)
            kernel = self._project(self._project(kernel).T)
            lam, U = la.eigh(kernel, overwrite_a=True, check_finite=False)
            keep = lam > max(lam[-1], 0.0) * _RANK_RTOL
            lam, U = lam[keep], U[:, keep]
            root = np.sqrt(lam)
            self.lam, self.V, self.M = lam, np.asarray(A.T @ U) / root, U * root
            self.c = root[:, None] * (U.T @ self.b_perp)

    # -- solutions -----------------------------------------------------------------------
    def _gains(self, alphas):
        """``1/(λ_k + α)`` as an (r, n_alphas) array."""
        alphas = np.asarray(alphas, dtype=np.float64).reshape(1, -1)
        return 1.0 / (self.lam[:, None] + alphas)

    def assemble(self, tilde, target=0):
        """Full coefficients and intercepts from penalized solutions ``β̃`` (p_pen, K)."""
        coef = np.zeros((self.n_features, tilde.shape[1]))
        coef[self.penalized] = tilde * self.scale[:, None]
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

    def coefs(self, alphas, target=0):
        """Coefficients (n_features, n_alphas) and intercepts (n_alphas,) for one target."""
        tilde = self.V @ (self.c[:, target : target + 1] * self._gains(alphas))
        return self.assemble(tilde, target)

    def n_free(self) -> int:
        return self.Q.shape[1]

    def degrees_of_freedom(self, alphas) -> np.ndarray:
        """``tr H(α)``, counting the intercept and the unpenalized columns."""
        return self.n_free() + (self.lam[:, None] * self._gains(alphas)).sum(axis=0)

    def hat_diagonal(self, alphas) -> np.ndarray:
        """``diag H(α)`` as an (n_samples, n_alphas) array."""
        base = np.sum(self.Q**2, axis=1)[:, None]
        return base + (self.M**2) @ self._gains(alphas)

    def residuals(self, alphas, target=0) -> np.ndarray:
        """In-sample residuals ``b − Hb`` in the √s-scaled space, (n, n_alphas)."""
        fitted = self.M @ (self.c[:, target : target + 1] * self._gains(alphas))
        return self.b_perp[:, target : target + 1] - fitted

    def loo_residuals(self, alphas, target=0) -> np.ndarray:
        """Exact leave-one-out residuals in the √s-scaled space, (n, n_alphas).

        Row ``i`` is ``√s_i (y_i − ŷ_{−i})`` where ``ŷ_{−i}`` is the fit without row ``i``.
        A row with leverage 1 (it alone determines a parameter) has no finite
        leave-one-out prediction and gets ``inf``.
        """
        leverage = self.hat_diagonal(alphas)
        with np.errstate(divide="ignore", invalid="ignore"):
            out = self.residuals(alphas, target) / (1.0 - leverage)
        return np.where(np.isfinite(out), out, np.inf)

    def gcv(self, alphas, target=0) -> np.ndarray:
        """Generalized cross-validation ``n‖b − Hb‖² / (n − tr H)²`` per alpha."""
        n = self.n_samples
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
