"""The whole penalized-GLM path in compiled code: the Python side of
:mod:`._glm_kernels` (logistic, Poisson, Gamma) and :mod:`._cox_kernels` (Breslow Cox).

:func:`glm_path` solves the problem of a :class:`~.glm.GLMProblem`,

.. math::

    \\min_{\\beta_0, \\beta}\\ F(\\text{offset} + \\beta_0 + X\\beta) + g_\\alpha(\\beta),

along a decreasing grid of ``alpha`` with the same algorithm as
:meth:`~.glm.GLMProblem.solve` (warm start, strong rule, proximal-Newton steps with an
Armijo line search, stop at the largest KKT violation relative to the null model's
gradient, the same duality gap), but in one compiled call for the whole path instead
of Python work per alpha and per Newton step. :func:`shrinkage.path.solve_path` calls
it wherever :func:`glm_path_applies`: logistic, Poisson or Gamma on dense or sparse
``X`` (sparse columns centred implicitly, never densified); Cox with Breslow ties on
dense ``X``, where the rest of the path goes back to :class:`~.glm.GLMProblem` if the
kernel stops early.

What this module owns is everything between the problem and the kernels: which
datafits the kernels know (exact classes only), the arrays they take (canonical CSC
for sparse ``X``, the single-precision copy's room for the KKT screen on large dense
``X``, the inner coordinate-descent rounds), and the :class:`GLMPath` they fill. The
per-sample math is :mod:`._glm_datafits`, the float32 side :mod:`._glm_single`.

Why a module of its own: :mod:`.glm` is the Python solver (one problem, one ``alpha``
at a time, any datafit); this is the driver of the compiled path, with its own tuning
constants. :mod:`.glm` re-exports :func:`glm_path`, :func:`glm_path_applies` and
:class:`GLMPath`, so ``shrinkage.solvers.glm.glm_path`` is still the name to import.
It reads :class:`~.glm.GLMProblem` at call time only, so that re-export is not an
import cycle.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

import numpy as np
import scipy.sparse as sp

from ..penalties import penalty_strengths
from .constants import (
    ACTIVE_SWEEPS,
    ARMIJO,
    CURVATURE_FLOOR,
    LINE_SEARCH_HALVINGS,
    NEWTON_INNER_ROUNDS,
)

if TYPE_CHECKING:
    from .glm import GLMProblem

#: Coordinate-descent rounds per Newton direction in the compiled path
#: (:func:`glm_path`): one (a sweep over the working set, then up to ``ACTIVE_SWEEPS``
#: over its non-zeros), against the Python solver's ``NEWTON_INNER_ROUNDS``. A path's
#: warm-started steps are short and an inexact direction is cheap to improve at the
#: next step, while 10 rounds over-solve every direction: on the speed map's sparse
#: logistic cells (``benchmarks/speed_map.py --tasks logistic_l1_path --kinds sp0.01``)
#: one round reaches the same relative suboptimality (1e-6 along the path) 10-50%
#: sooner. Not with ``tol_rel`` (scikit-learn's test on the last step's coefficient
#: change, LogisticRegressionCV): a short inexact step would pass that test far from
#: the minimizer. Sparse ``X`` only: on dense correlated designs one round lands
#: further from the optimum at the same KKT tolerance (577 × 1732, rho 0.6: 10 rounds
#: reach 1e-6 at tol 3.16e-5 in 166 ms, one round needs 1e-5 and 270 ms; 3162 × 316,
#: rho 0.6: 105 ms against 123 ms), so dense ``X`` keeps ``NEWTON_INNER_ROUNDS``.
PATH_INNER_ROUNDS = 1
#: the compiled path checks the KKT conditions of a dense double ``X`` of at least this
#: many entries (16 MiB) on a single-precision copy (:func:`_single_precision_screen`)
SINGLE_SCREEN_MIN_ENTRIES = 2**21
#: ... and at most this many (a 512 MiB copy): beyond, the copy's memory outweighs a
#: faster check, and the check reads the double ``X`` as before
SINGLE_SCREEN_MAX_ENTRIES = 2**27
#: with the copy, a Newton step's coordinate descent reads it (half the bytes) once its
#: working set holds this many entries (16 MiB of doubles: beyond the cache, where a
#: sweep is bound by memory bandwidth)
SINGLE_CD_MIN_ENTRIES = 2**21

__all__ = [
    "GLMPath",
    "glm_path",
    "glm_path_applies",
]


def _family_code(datafit) -> int | None:
    """The compiled kernels' code for a datafit, or None. Exact classes only: a
    subclass may change the math the kernels hard-code."""
    from ..datafits import Gamma, Logistic, Poisson
    from ._glm_datafits import GAMMA, LOGISTIC, POISSON

    return {Logistic: LOGISTIC, Poisson: POISSON, Gamma: GAMMA}.get(type(datafit))


def _is_breslow_cox(datafit) -> bool:
    """Cox with Breslow ties (exact class): what :mod:`._cox_kernels` computes."""
    from ..datafits.cox import Cox

    return type(datafit) is Cox and datafit.ties == "breslow"


def glm_path_applies(problem) -> bool:
    """Whether :func:`glm_path` can solve ``problem``: a :class:`GLMProblem` with a
    datafit the kernels know: logistic, Poisson, Gamma on dense or sparse ``X``; Cox
    with Breslow ties on dense ``X``."""
    from .glm import GLMProblem  # at call time: .glm re-exports this module's names

    if not isinstance(problem, GLMProblem):
        return False
    if _family_code(problem.datafit) is not None:
        return isinstance(problem.X, np.ndarray) or sp.issparse(problem.X)
    return isinstance(problem.X, np.ndarray) and _is_breslow_cox(problem.datafit)


def _csc_arrays(X) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(data, indices, indptr)`` of ``X`` in canonical CSC form (float64 values, no
    duplicate entries: the kernels sum squares entry by entry). No copy when ``X``
    is already so."""
    X = X.tocsc()
    if not X.has_canonical_format:
        X = X.copy()
        X.sum_duplicates()
    return np.asarray(X.data, dtype=np.float64), X.indices, X.indptr


class GLMPath(NamedTuple):
    """What :func:`glm_path` returns (:func:`shrinkage.path.solve_path` wraps it in a
    ``PathResult``; the solvers do not import the path module)."""

    coefs: np.ndarray  # (n_features, n_alphas)
    intercepts: np.ndarray
    duality_gaps: np.ndarray
    n_iters: np.ndarray  # Newton steps per alpha
    converged: np.ndarray
    seconds: float


def glm_path(
    problem: GLMProblem, alphas: np.ndarray, tol: float, max_iter: int, tol_rel: float = np.inf
) -> GLMPath:
    """The whole path along ``alphas`` (decreasing) in compiled code.

    The same problem, warm start, strong rule, stopping rule (largest KKT violation at
    most ``tol`` relative to the null model's gradient, :meth:`GLMProblem.absolute_tol`)
    and duality gap as :func:`shrinkage.path.solve_path` with the Python solver, without
    Python work per alpha or per Newton step (:func:`._glm_kernels.glm_path`). Starts
    from ``problem``'s current point and leaves it at the last alpha's solution.
    :func:`shrinkage.path.solve_path` calls it wherever it applies, so a CV fold needs
    only ``solve_path(make_problem(...), alphas, tol, max_iter)``.

    Parameters
    ----------
    problem : GLMProblem
        :func:`glm_path_applies` must hold.
    alphas : ndarray of shape (n_alphas,)
        Decreasing penalty strengths.
    tol : float
        Relative KKT tolerance.
    max_iter : int
        Newton steps per alpha.
    tol_rel : float, default=inf
        Also require the last Newton step to move no coefficient by more than
        ``tol_rel·max|β|`` (as ``GLMProblem.solve``'s ``tol_rel``).

    Returns
    -------
    GLMPath
    """
    import time

    from ._glm_kernels import glm_path as compiled_path

    if not glm_path_applies(problem):
        raise ValueError(
            "glm_path needs a GLMProblem with a logistic, Poisson or Gamma datafit (dense "
            "or sparse X) or a Breslow Cox one (dense X); use "
            "shrinkage.path.solve_path for the others."
        )
    alphas = np.ascontiguousarray(alphas, dtype=np.float64)
    if _is_breslow_cox(problem.datafit):
        return _cox_path(problem, alphas, tol, max_iter)
    n_alphas, n_features = alphas.size, problem.n_features
    if problem.null_is_exact:
        problem._reset_to_null()
        return GLMPath(
            np.zeros((n_features, n_alphas)), np.full(n_alphas, problem.intercept_),
            np.zeros(n_alphas), np.zeros(n_alphas, dtype=np.int64),
            np.ones(n_alphas, dtype=bool), 0.0,
        )
    coefs = np.zeros((n_alphas, n_features))
    intercepts = np.zeros(n_alphas)
    gaps = np.zeros(n_alphas)
    n_iters = np.zeros(n_alphas, dtype=np.int64)
    converged = np.zeros(n_alphas, dtype=bool)
    coef = problem.coef.copy()
    intercept = np.array([problem.intercept_])
    eta = np.array(problem.eta, dtype=np.float64)
    gradient = np.array(problem.gradient, dtype=np.float64)
    if sp.issparse(problem.X):
        # Unused; Fortran-only (2×2: a size-0 or size-1 array would also count as C
        # order) so that the kernel compiled for dense X serves.
        X = np.empty((2, 2), order="F")
        data, indices, indptr = _csc_arrays(problem.X)
    else:
        X = problem.X
        data, indices, indptr = np.empty(0), np.empty(0, np.int32), np.empty(0, np.int32)
    X32, colmax = _single_precision_screen(X, alphas.size)
    exact_steps = np.isfinite(tol_rel)
    inner_rounds = (
        PATH_INNER_ROUNDS if sp.issparse(problem.X) and not exact_steps else NEWTON_INNER_ROUNDS
    )
    start = time.perf_counter()
    compiled_path(
        X,
        data,
        indices,
        indptr,
        problem.y,
        np.ascontiguousarray(problem.h, dtype=np.float64),
        eta,
        np.zeros(eta.size) if problem.offset is None else problem.offset,
        coef,
        intercept,
        gradient,
        alphas,
        max(problem.alpha_max, alphas[0]),
        float(problem.l1_ratio),
        np.ascontiguousarray(problem.penalty_weights, dtype=np.float64),
        problem.box.lower,
        problem.box.upper,
        problem.fit_intercept,
        _family_code(problem.datafit),
        problem.absolute_tol(tol),
        int(max_iter),
        CURVATURE_FLOOR,
        ARMIJO,
        inner_rounds,
        ACTIVE_SWEEPS,
        LINE_SEARCH_HALVINGS,
        coefs,
        intercepts,
        gaps,
        n_iters,
        converged,
        X32,
        colmax,
        float(tol_rel),
        float(SINGLE_CD_MIN_ENTRIES),
    )
    problem.coef, problem.intercept_, problem.eta = coef, float(intercept[0]), eta
    problem.gradient = gradient
    return GLMPath(coefs.T, intercepts, gaps, n_iters, converged, time.perf_counter() - start)


def _single_precision_screen(X: np.ndarray, n_alphas: int) -> tuple[np.ndarray, np.ndarray]:
    """Room for ``fl32(X)`` and ``max_i |X_ij|`` (``−1``: not copied yet) for the compiled
    path's KKT check (:func:`._glm_single._screened_gradient`, which copies a column
    on its first visit) where it pays, else placeholders (an empty ``colmax``).

    Each alpha ends with the gradient of the features outside the working set, a pass
    over (most of) ``X`` bound by memory bandwidth on a large design; read from the
    single-precision copy it moves half the bytes. The copy costs half of ``X``'s
    memory, so: a dense double ``X`` of at least :data:`SINGLE_SCREEN_MIN_ENTRIES`
    entries (smaller ones stay in cache), at most :data:`SINGLE_SCREEN_MAX_ENTRIES`,
    and a path of several alphas.
    """
    sized = SINGLE_SCREEN_MIN_ENTRIES <= X.size <= SINGLE_SCREEN_MAX_ENTRIES
    if X.dtype != np.float64 or not sized or n_alphas < 4:
        return np.empty((2, 2), dtype=np.float32, order="F"), np.empty(0)
    return np.empty(X.shape, dtype=np.float32, order="F"), np.full(X.shape[1], -1.0)


def _cox_path(problem: GLMProblem, alphas: np.ndarray, tol: float, max_iter: int) -> GLMPath:
    """:func:`glm_path` for Breslow Cox (:func:`._cox_kernels.cox_path`): the target's
    sort by time is reused, the sums are in ``O(n)`` per evaluation. Where the kernel
    stops early (``η`` spread past the linear range), the rest of the path is solved
    by :class:`GLMProblem`, whose datafit switches to log space."""
    import time

    from ..datafits.cox import _LINEAR_SPREAD
    from ._cox_kernels import cox_path
    from .problems import strong_rule_set

    target = problem.y
    h = np.asarray(problem.h, dtype=np.float64)
    order = np.ascontiguousarray(target.order, dtype=np.int64)
    group = np.ascontiguousarray(target.group, dtype=np.int64)
    first = np.ascontiguousarray(target.first, dtype=np.int64)
    h_s = h[order]
    ev_h_s = np.where(target.event[order] & (h_s > 0), h_s, 0.0)
    hd = np.bincount(group, weights=ev_h_s, minlength=first.size)
    n_alphas, n_features = alphas.size, problem.n_features
    coefs = np.zeros((n_alphas, n_features))
    gaps = np.zeros(n_alphas)
    n_iters = np.zeros(n_alphas, dtype=np.int64)
    converged = np.zeros(n_alphas, dtype=bool)
    coef = problem.coef.copy()
    eta = np.array(problem.eta, dtype=np.float64)
    gradient = np.array(problem.gradient, dtype=np.float64)
    alpha_start = max(problem.alpha_max, alphas[0])
    start = time.perf_counter()
    done = cox_path(
        problem.X,
        order,
        group,
        first,
        h_s,
        ev_h_s,
        hd,
        eta,
        coef,
        gradient,
        alphas,
        alpha_start,
        float(problem.l1_ratio),
        np.ascontiguousarray(problem.penalty_weights, dtype=np.float64),
        np.ascontiguousarray(problem.box.lower, dtype=np.float64),
        np.ascontiguousarray(problem.box.upper, dtype=np.float64),
        problem.absolute_tol(tol),
        int(max_iter),
        CURVATURE_FLOOR,
        ARMIJO,
        NEWTON_INNER_ROUNDS,
        ACTIVE_SWEEPS,
        LINE_SEARCH_HALVINGS,
        _LINEAR_SPREAD,
        coefs,
        gaps,
        n_iters,
        converged,
    )
    if done == n_alphas:
        problem.coef, problem.eta, problem.gradient = coef, eta, gradient
    else:
        problem.set_coef(coef)  # the last solved alpha's point, gradient recomputed
        previous = alphas[done - 1] if done else alpha_start
        for k in range(done, n_alphas):
            l1_new, _ = penalty_strengths(alphas[k], problem.l1_ratio, problem.penalty_weights)
            l1_old, _ = penalty_strengths(
                max(previous, alphas[k]), problem.l1_ratio, problem.penalty_weights
            )
            working_set = strong_rule_set(problem.gradient, l1_new, l1_old, problem.positive)
            info = problem.solve(alphas[k], working_set, tol, max_iter)
            coefs[k] = problem.coef
            gaps[k], n_iters[k], converged[k] = info.duality_gap, info.n_iter, info.converged
            previous = alphas[k]
    seconds = time.perf_counter() - start
    return GLMPath(coefs.T, np.zeros(n_alphas), gaps, n_iters, converged, seconds)
