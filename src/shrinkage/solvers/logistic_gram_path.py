"""The procedure's penalized logistic paths: proximal Newton on a ``p × p`` Hessian that is
refreshed only when it stops paying.

The report's resampled procedure
(:func:`shrinkage.explain.procedure.logistic_procedure`) fits ~19 logistic paths per
resample on ``n ≫ p`` data (``10 000 × 100``: 4 000–7 500 distinct rows, 100
columns). It minimizes, for each α of a decreasing grid,

.. math::

    F(\\beta_0, \\beta)
    + \\alpha\\big(\\rho\\|\\beta\\|_1 + \\tfrac{1-\\rho}{2}\\|\\beta\\|_2^2\\big),
    \\qquad F = \\sum_i h_i\\,\\big(\\log(1 + e^{\\eta_i}) - y_i\\eta_i\\big),\\quad
    \\eta = \\beta_0 + Z\\beta,\\quad h = w/\\textstyle\\sum w,

the objective of :func:`shrinkage.path.regularization_path` with ``loss="logistic"``,
and stops at each α on the same rule: the largest KKT violation (intercept included)
at most ``tol·‖Zᵀh(y − ȳ)‖∞`` (:meth:`shrinkage.solvers.glm.GLMProblem.absolute_tol`).
So the answer is the library's to that tolerance; only the way there differs.

Each step minimizes the quadratic model of ``F`` plus the penalty. With
``v_i = h_i σ_i(1 − σ_i)``, ``V = Σv``, ``m = Zᵀv/V`` the model's Hessian, with the
intercept profiled out, is ``G = Zᵀ diag(v) Z − V m mᵀ`` and its gradient
``g_r = g − m g_0`` (``g = Zᵀh(y − σ)``, ``g_0 = Σh(y − σ)``); the step solves

.. math::

    \\min_{\\beta'}\\ \\tfrac12 \\beta'^T G \\beta' - (G\\beta + g_r)^T\\beta'
    + \\text{penalty}(\\beta')

by coordinate descent on ``G`` (:func:`shrinkage.solvers._kernels.cd_gram`; for ridge,
ρ = 0, by a Cholesky solve), with ``δ_0 = g_0/V − mᵀδ``, then backtracks on the
objective (Armijo). Forming ``G`` costs ``n·p²`` against ``n·p`` for everything
else in a step, so ``G`` is kept — across steps and across α — and formed anew only
when the KKT violation fell by less than :data:`REFRESH_RATE` in the last step, or a
step was cut short. A stale ``G`` is still positive semi-definite, so the step is
still a descent direction and the line search keeps the objective decreasing; it
only converges linearly instead of quadratically. Along a warm-started path that
needs ~2–3 steps per α and a fresh ``G`` every ~3 α: on ``4 000 × 100`` about a
third of the compiled coordinate-descent path's time for the same tolerance.

The loop over α and steps is compiled (:func:`._logistic_kernels.run_path`); it
comes back here only to form ``G`` (BLAS). With :data:`DESIGN_SINGLE` every product
with the design reads ``Z̃ = fl32(Z)`` (half the memory traffic of the two ``n·p``
products each step needs, the bulk of a step) but multiplies and sums in double, so
``η``, ``F`` and ``g`` are those of the problem on ``Z̃`` to double rounding: the path
solves that problem to ``tol``. ``Z̃`` differs from ``Z`` by a relative ``2⁻²⁴``,
which moves the KKT violation by at most ``2⁻²⁴·Σ_i h_i|d_i z_ij| ≤ 6·10⁻⁸·max|z_ij|``,
far below the tolerance ``tol·‖Zᵀh(y − ȳ)‖∞``.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from . import _logistic_kernels as kernels
from ._logistic_kernels import REFRESH_RATE  # noqa: F401  (re-exported: the refresh rule)
from .constants import CURVATURE_FLOOR

#: form the Hessian in single precision (see :func:`_form_model`)
HESSIAN_SINGLE = True
#: keep the design in single precision for the products ``Zδ`` and ``Zᵀr`` (see
#: :func:`logistic_path`)
DESIGN_SINGLE = True


class LogisticPath(NamedTuple):
    coefs: np.ndarray  # (p, m)
    intercepts: np.ndarray  # (m,)
    converged: np.ndarray  # (m,) bool
    n_steps: np.ndarray  # (m,) Newton steps per α
    n_hessians: int  # times G was formed


def null_gradient_norm(Z: np.ndarray, y: np.ndarray, w: np.ndarray) -> float:
    """``‖Zᵀh(y − ȳ)‖∞`` with ``h = w/Σw``: the intercept-only fit's gradient, which
    scales the tolerance (and, divided by ρ, is ``α_max``)."""
    h = w / w.sum()
    return float(np.abs(Z.T @ (h * (y - h @ y))).max(initial=0.0))


def _form_model(Zr, y, h, d):
    """The model's Hessian ``G = Zᵀdiag(v)Z − V m mᵀ`` at the point with ``d = σ − y``,
    with ``diag(G)``, ``m`` and ``V``.

    With :data:`HESSIAN_SINGLE`, ``ZᵀZ`` is a single-precision ``syrk`` (half the time
    of the ``n·p²`` product): ``G`` only shapes the step — the gradient and the KKT test
    stay in double — so that changes no answer.
    """
    sigma = d + y
    v = h * np.maximum(sigma * (1.0 - sigma), CURVATURE_FLOOR)
    V = float(v.sum())
    A = np.empty(Zr.shape, dtype=np.float32 if HESSIAN_SINGLE else np.float64)
    m = np.empty(Zr.shape[1])
    kernels.scaled_rows(Zr, v, A, m)
    m /= V
    G = (A.T @ A).astype(np.float64)  # NumPy hands AᵀA to BLAS's syrk
    G -= V * np.outer(m, m)
    G = np.asfortranarray(G)
    return G, np.ascontiguousarray(np.maximum(np.diag(G), 0.0)), m, V


def logistic_path(
    Z: np.ndarray,
    y: np.ndarray,
    w: np.ndarray,
    alphas: np.ndarray,
    l1_ratio: float,
    *,
    tol: float = 1e-4,
    max_iter: int = 100,
    scale: float | None = None,
    start: tuple[float, np.ndarray] | None = None,
) -> LogisticPath:
    """The penalized logistic path along ``alphas`` (decreasing), warm-started from the
    intercept-only fit (or from ``start``).

    Parameters
    ----------
    Z : ndarray of shape (n, p)
        The design (the procedure standardizes it); rows with ``w = 0`` cost time but
        change nothing — leave them out. A single-precision ``Z`` (rows contiguous,
        as the products read it) is taken as ``Z̃`` itself, without a copy; pass
        ``scale`` from the double-precision rows then.
    y : ndarray of shape (n,)
        0/1 labels; both must be present.
    w : ndarray of shape (n,)
        Positive row weights (bootstrap counts); ``h = w/Σw``.
    alphas : ndarray of shape (m,)
        Decreasing penalty strengths (our α: mean loss).
    l1_ratio : float
        ρ in [0, 1].
    tol : float
        Relative KKT tolerance (``regularization_path``'s ``tol``).
    max_iter : int
        Newton steps per α.
    scale : float, optional
        ``‖Zᵀh(y − ȳ)‖∞`` when the caller has it (:func:`null_gradient_norm`).
    start : (float, ndarray of shape (p,)), optional
        ``(β_0, β)`` to start from instead of the intercept-only fit: a guess near the
        answer at ``alphas[0]`` saves the path down to it. The answer is the same to
        the tolerance (the stopping rule does not depend on the start), though not
        the same to rounding.

    Returns
    -------
    LogisticPath
        ``coefs`` (p, m), ``intercepts`` (m,), ``converged`` (m,), ``n_steps`` (m,)
        and ``n_hessians``.
    """
    Z = np.asarray(Z)
    if Z.dtype != np.float32:
        Z = np.asarray(Z, dtype=np.float64)
    y = np.ascontiguousarray(y, dtype=np.float64)
    h = np.ascontiguousarray(w, dtype=np.float64) / float(np.sum(w))
    alphas = np.asarray(alphas, dtype=np.float64)
    n, p = Z.shape
    present = y[h > 0]
    if not (np.any(present == 0.0) and np.any(present == 1.0)):
        raise ValueError(
            "logistic_path needs both classes (0 and 1) among the rows with positive weight."
        )
    ybar = float(h @ y)
    if scale is None:
        scale = null_gradient_norm(np.asarray(Z, dtype=np.float64), y, w)
    tol_abs = tol * max(scale, np.finfo(float).tiny)
    # Z̃ = fl32(Z), rows contiguous: see the module docstring
    Zr = np.ascontiguousarray(Z, dtype=np.float32 if DESIGN_SINGLE else np.float64)
    m = alphas.size
    coefs, intercepts = np.zeros((p, m)), np.zeros(m)
    converged, n_steps = np.zeros(m, dtype=bool), np.zeros(m, dtype=np.int64)
    # the state at the intercept-only fit: η, d = σ − y, g = −Zᵀ(h d); the scalars
    # (intercept, F, g_0) and the loop's control slots live in `flt` and `ctl`
    if start is None:
        b0, coef = float(np.log(ybar / (1.0 - ybar))), np.zeros(p)
        eta = np.full(n, b0)
    else:
        b0, coef = float(start[0]), np.array(start[1], dtype=np.float64)
        eta = np.full(n, b0)
        kernels.product(Zr, coef, b0, eta)
    d, g = np.empty(n), np.empty(p)
    # (a trial of step 0 from η itself: fills d and g)
    F, g0 = kernels.trial(
        Zr, y, h, eta, np.zeros(n), coef, 0.0, False, 0.0, eta, d, np.empty(n), g
    )  # fmt: skip
    flt = np.array([np.inf, 0.0, b0, F, g0])
    ctl = np.zeros(5, dtype=np.int64)
    G, diag, mean, V = np.zeros((p, p), order="F"), np.zeros(p), np.zeros(p), 1.0
    hessians = 0
    while kernels.run_path(
        Zr, y, h, alphas, float(l1_ratio), tol_abs, max_iter, G, diag, mean, V,
        coef, eta, d, g, ctl, flt, coefs, intercepts, converged, n_steps,
    ):  # fmt: skip
        G, diag, mean, V = _form_model(Zr, y, h, d)
        hessians += 1
        ctl[kernels._MODEL], ctl[kernels._FRESH], ctl[kernels._CHOLESKY] = 1, 1, 0
    return LogisticPath(coefs, intercepts, converged, n_steps, hessians)
