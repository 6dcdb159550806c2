"""Which decomposition keeps ridge's digits: tests on the squared design.

:class:`~.ridge.SpectralRidge` decomposes ``X̃ᵀX̃`` (or ``X̃X̃ᵀ``) once for every alpha.
Squaring is cheap but squares ``X̃``'s condition number: features on very different
scales, nearly collinear columns and extreme sample weights lose the small directions
(a feature on a 1e7 times smaller scale was dropped outright). These tests decide,
from quantities the decomposition has at hand, whether the eigen-pairs serve the
alphas asked for to :data:`SPECTRUM_RTOL`, or an SVD must be taken: of a Cholesky
factor where only the columns' scales differ (:func:`graded_cholesky_factor`), else of
``X̃`` itself.
"""

from __future__ import annotations

import numpy as np
import scipy.linalg as la

_EPS = np.finfo(np.float64).eps
#: The eigen-pairs of the squared design (X̃ᵀX̃ or X̃X̃ᵀ) carry each eigenvalue to about
#: eps·λ_max, since squaring squares X̃'s condition number: a direction with
#: λ_k + α < eps·λ_max / SPECTRUM_RTOL would put a relative error above SPECTRUM_RTOL
#: into its coefficient (a feature on a 1e7 times smaller scale than another was
#: dropped outright). Such data are decomposed by an SVD instead: of a Cholesky factor
#: of X̃ᵀX̃ where only the columns' scales differ, else of X̃ itself.
SPECTRUM_RTOL = 1e-8


def squared_spectrum_resolves(
    lam: np.ndarray,
    vectors: np.ndarray,
    centred: np.ndarray,
    targets: np.ndarray,
    alpha_floor: float,
    rows: bool,
    projected: np.ndarray | None = None,
) -> bool:
    """Whether the eigen-pairs of a squared design give every ``α ≥ alpha_floor`` the
    coefficients to :data:`SPECTRUM_RTOL`, as the SVD of ``X̃`` would.

    ``lam, vectors`` are the eigen-pairs of ``X̃ᵀX̃`` (``rows=False``: vectors in
    feature space) or of ``X̃X̃ᵀ`` (``rows=True``: in sample space), ascending;
    ``targets`` is ``b`` (n, t) and ``projected`` ``X̃ᵀb`` where the caller has it.
    Squaring knows each eigenvalue to about ``eps·λ_max``, so a kept direction's
    coefficient ``β_k = c_k/(λ_k + α)`` is off by
    ``|β_k|·eps·λ_max/(λ_k + α)``, and a direction below the rank cut-off is lost
    whole unless it is an exact null of ``X̃`` (its image ``‖X̃v‖``, formed from ``X̃``
    itself, within the SVD's own cut-off ``max(n, p)·eps·σ_max``: dummies with an
    intercept). The sum of these errors must stay within ``SPECTRUM_RTOL·‖β‖`` at
    ``alpha_floor``, and the lost directions' share of ``X̃ᵀb`` (the solution's
    direction as ``α → ∞``) too. Features on very different scales, nearly collinear
    columns and extreme sample weights fail where they matter.
    """
    top = max(float(lam[-1]), 0.0) if lam.size else 0.0
    if top == 0.0 or alpha_floor == np.inf:
        return True
    n, p = centred.shape
    keep = lam > top * max(n, p) * _EPS
    strength = np.maximum(lam, 0.0)
    if projected is None and (not rows or not keep.all()):
        projected = centred.T @ targets
    if rows:
        c = np.sqrt(strength)[:, None] * (vectors.T @ targets)
    else:
        c = vectors.T @ projected
    lost = np.zeros_like(keep)
    dropped = np.flatnonzero(~keep)
    if dropped.size:
        # Each lost direction v = image/‖image‖ with X̃v formed from X̃ itself:
        # c = (X̃v)ᵀb, no signal within the rounding of that product.
        rounding = np.sqrt(top) * max(n, p) * _EPS
        if rows:
            images = centred.T @ vectors[:, dropped]  # X̃ᵀu (p, k)
            norms = np.linalg.norm(images, axis=0)
            c_lost = images.T @ projected / np.where(norms > 0, norms, 1.0)[:, None]
        else:
            images = centred @ vectors[:, dropped]  # X̃v (n, k)
            norms = np.linalg.norm(images, axis=0)
            c_lost = images.T @ targets
        product_rounding = max(n, p) * _EPS * norms[:, None] * np.linalg.norm(targets, axis=0)
        c_lost[np.abs(c_lost) <= product_rounding] = 0.0
        exact_null = norms <= rounding
        c_lost[exact_null] = 0.0
        strength[dropped] = norms**2
        c[dropped] = c_lost
        lost[dropped[~exact_null]] = True
    with np.errstate(divide="ignore", invalid="ignore"):
        beta = np.where(c == 0.0, 0.0, c / (strength + alpha_floor)[:, None])
    relative_error = np.zeros_like(lam)
    relative_error[keep] = _EPS * top / (lam[keep] + alpha_floor)
    relative_error[lost] = 1.0
    error = np.linalg.norm(beta * relative_error[:, None], axis=0)
    lost_share = np.linalg.norm(c[lost], axis=0)
    return bool(
        np.all(error <= SPECTRUM_RTOL * np.linalg.norm(beta, axis=0))
        and np.all(lost_share <= SPECTRUM_RTOL * np.linalg.norm(c, axis=0))
    )


def squared_spectrum_may_resolve(square: np.ndarray, alpha_floor: float) -> bool:
    """A cheap test before the eigendecomposition of a squared design ``S``: False when
    some eigenvalue has ``λ + alpha_floor < eps·λ_max /`` :data:`SPECTRUM_RTOL`, so
    that an SVD is taken without an eigendecomposition first.

    One Cholesky attempt on ``S + (alpha_floor − τ) I`` (a third of ``p³``, against
    ``eigh``'s ``~9p³``) answers it; ``λ_max`` comes from a few power steps, a lower
    bound, so a doubtful case goes on to ``eigh`` and the exact test
    (:func:`squared_spectrum_resolves`).
    """
    if alpha_floor == np.inf or square.shape[0] == 0:
        return True
    vector = np.sqrt(np.abs(np.diag(square))) + 1.0
    top = float(np.max(np.diag(square)))
    for _ in range(8):
        image = square @ vector
        top = max(top, float(vector @ image) / float(vector @ vector))
        length = float(np.linalg.norm(image))
        if length == 0.0:
            break
        vector = image / length
    if top <= 0.0:
        return True
    shift = alpha_floor - _EPS * top / SPECTRUM_RTOL
    if shift >= 0.0:
        return True
    shifted = square + shift * np.eye(square.shape[0])
    _, info = la.lapack.dpotrf(shifted, lower=False, overwrite_a=True, clean=False)
    return info == 0


def graded_cholesky_factor(gram: np.ndarray, n_samples: int) -> np.ndarray | None:
    """``R`` (p, p, upper) with ``X̃ᵀX̃ = RᵀR``, accurate in every direction where only
    the columns' scales differ; None where the columns themselves are nearly dependent.

    Cholesky of the equilibrated ``DGD`` (unit diagonal) errs by about
    ``eps·√n·κ(DGD)`` relatively, whatever the scales in ``D`` (Demmel's graded
    matrices), so the SVD of ``R = R_s D⁻¹`` knows each singular value to ``eps·σ_max``
    as the SVD of ``X̃`` itself would, at a fraction of its cost on tall data. Taken
    where ``κ(DGD)`` (LAPACK's estimate) keeps that error within
    :data:`SPECTRUM_RTOL`.
    """
    equilibrated = equilibrated_cholesky(gram, 0.0, np.sqrt(n_samples))
    if equilibrated is None:
        return None
    factor, root = equilibrated
    return factor * root[None, :]


def equilibrated_cholesky(
    square: np.ndarray, shift: float, error_factor: float
) -> tuple[np.ndarray, np.ndarray] | None:
    """``(R_s, r)``: the upper Cholesky factor of ``D(S + shift·I)D`` (unit diagonal,
    ``D = diag(1/r)``, ``r = √diag(S + shift·I)``), or None where that matrix is not
    positive definite or ``error_factor·eps·κ`` (LAPACK's condition estimate) exceeds
    :data:`SPECTRUM_RTOL`. Equilibrating makes Cholesky's error independent of the
    columns' scales."""
    diagonal = np.diag(square) + shift
    if not np.all(diagonal > 0):
        return None
    root = np.sqrt(diagonal)
    H = square / root[:, None] / root[None, :]
    H[np.diag_indices_from(H)] = 1.0  # (s_jj + shift)/(s_jj + shift), without rounding
    anorm = np.abs(H).sum(axis=0).max()
    factor, info = la.lapack.dpotrf(H, lower=False, overwrite_a=True, clean=True)
    if info != 0:
        return None
    rcond, info = la.lapack.dpocon(factor, anorm)  # upper factor (uplo "U")
    if info != 0 or not error_factor * _EPS <= SPECTRUM_RTOL * rcond:
        return None
    return factor, root
