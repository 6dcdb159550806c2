"""Regularization paths: a log grid of ``alpha`` solved with warm starts.

:func:`regularization_path` is the general entry point (any datafit of
:mod:`shrinkage.datafits`: least squares, logistic, Poisson, Gamma, ...; any mix,
penalty factors, an offset) and returns a :class:`PathResult`, the object
plots and reports read. :func:`lasso_path` and :func:`enet_path` keep
scikit-learn's signatures and return values.

Along the path each ``alpha_k`` starts from the solution at ``alpha_{k-1}`` and from
the working set the sequential strong rule predicts,
``|∇_j(β̂_{k-1})| ≥ 2 l1_j(α_k) − l1_j(α_{k-1})``; the solver's KKT check adds any
feature the rule missed, so the rule only saves time and never changes the answer.
That step is :func:`shrinkage.solvers.step.screened_solve`, shared with the estimators.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp

from ._data import check_design, prepare_targets
from ._docs import inherit_entries
from ._validation import (
    GRAM_OF_UNSCALED_X,
    check_alpha_grid,
    check_l1_ratio,
    check_nonnegative_scalar,
    check_penalty_weights,
    check_positive_int,
    check_precomputed_gram,
    check_real_target,
    check_sample_weight,
    refuse_scalar_grid,
)
from .datafits import get_datafit
from .solvers.standardize import (
    coefficient_constraint,
    standardize_design,
    to_original_units,
    to_scaled_units,
)
from .solvers.step import screened_solve

__all__ = ["PathResult", "alpha_grid", "regularization_path", "lasso_path", "enet_path"]


@dataclass
class PathResult:
    """A fitted regularization path.

    Attributes
    ----------
    alphas : ndarray of shape (n_alphas,)
        Decreasing penalty strengths.
    coefs : ndarray of shape (n_features, n_alphas)
        Coefficients at each alpha (scikit-learn's layout).
    intercepts : ndarray of shape (n_alphas,)
    duality_gaps : ndarray of shape (n_alphas,)
        Gap reached, in the objective's own units (see :mod:`shrinkage.datafits`); for
        a datafit without a conjugate, the largest KKT violation instead.
    n_iters : ndarray of shape (n_alphas,)
        Coordinate-descent sweeps (least squares) or Newton steps (other datafits).
    n_nonzero : ndarray of shape (n_alphas,)
        Coefficients not exactly zero.
    times : ndarray of shape (n_alphas,)
        Seconds spent at each alpha.
    converged : ndarray of bool, shape (n_alphas,)
    l1_ratio : float
    loss : str
    feature_names : list of str or None
    """

    alphas: np.ndarray
    coefs: np.ndarray
    intercepts: np.ndarray
    duality_gaps: np.ndarray
    n_iters: np.ndarray
    n_nonzero: np.ndarray
    times: np.ndarray
    converged: np.ndarray
    l1_ratio: float
    loss: str
    feature_names: list | None = field(default=None)

    @property
    def total_time(self) -> float:
        return float(self.times.sum())

    def plot(self, ax=None, **kwargs):
        """Coefficients against log alpha (see :func:`shrinkage.plotting.plot_path`)."""
        from .plotting import plot_path

        return plot_path(self, ax=ax, **kwargs)

    def __repr__(self) -> str:
        return (
            f"PathResult(loss={self.loss!r}, l1_ratio={self.l1_ratio}, "
            f"n_alphas={self.alphas.size}, n_features={self.coefs.shape[0]}, "
            f"alphas=[{self.alphas[0]:.3g} … {self.alphas[-1]:.3g}], "
            f"n_nonzero=[{self.n_nonzero[0]} … {self.n_nonzero[-1]}], "
            f"time={self.total_time:.3g}s)"
        )


def alpha_grid(alpha_max: float, n_alphas: int = 100, eps: float = 1e-3) -> np.ndarray:
    """``n_alphas`` values log-spaced from ``alpha_max`` down to ``eps·alpha_max``.

    Parameters
    ----------
    alpha_max : float
        The largest alpha, ``>= 0`` (where every coefficient is zero); 0 (nothing to
        penalize: ``y`` constant, or no penalized feature) gives a flat grid at the
        smallest positive alpha.
    n_alphas : int, default=100
        Number of values, ``>= 1``.
    eps : float, default=1e-3
        ``alpha_min / alpha_max``, ``> 0``. Above 1 the grid rises above ``alpha_max``
        (every model is null there), as scikit-learn allows.

    Returns
    -------
    ndarray of shape (n_alphas,)
        Decreasing (for ``eps < 1``).

    Raises
    ------
    ValueError
        For a negative or non-finite ``alpha_max`` or ``eps``, or ``n_alphas < 1``.
    """
    if isinstance(eps, bool) or not isinstance(eps, Real) or not (np.isfinite(eps) and eps > 0):
        raise ValueError(
            f"eps is alpha_min / alpha_max and must be a positive number, got {eps!r}; "
            "e.g. 1e-3 for a grid spanning three decades."
        )
    if (
        isinstance(n_alphas, bool)
        or not isinstance(n_alphas, (int, np.integer))
        or n_alphas < 1
    ):
        raise ValueError(f"n_alphas must be an integer >= 1, got {n_alphas!r}.")
    if not (np.isfinite(alpha_max) and alpha_max >= 0):
        raise ValueError(f"alpha_max must be a finite number >= 0, got {alpha_max!r}.")
    if alpha_max <= 0:
        # Nothing to penalize (y constant or no penalized features): one flat path.
        return np.full(n_alphas, np.finfo(float).resolution)
    return np.geomspace(alpha_max, alpha_max * eps, n_alphas)


def cv_alpha_grid(alphas, eps: float, l1_ratio: float, alpha_max: Callable[[], float]):
    """A CV estimator's alpha grid from its ``alphas`` setting, decreasing.

    An integer ``alphas`` gives that many values log-spaced from ``α_max`` (computed
    by ``alpha_max()``, only then) down to ``eps·α_max``; it needs ``l1_ratio > 0``
    (``α_max`` is infinite for ridge). Otherwise the given values are checked with
    scikit-learn's messages (each a real ``>= 0``), in any order, and returned sorted
    decreasing, the order paths are solved in. (Here, below the estimators, so that
    the distributed engine builds its grids with the same function.)
    """
    from sklearn.utils import check_scalar

    if isinstance(alphas, Integral) and not isinstance(alphas, bool):
        size = check_positive_int(alphas, "alphas")
        if l1_ratio == 0:
            raise ValueError(_AUTO_GRID_L1_RATIO_0)
        return alpha_grid(alpha_max(), size, eps)
    refuse_scalar_grid(alphas)
    for index, alpha in enumerate(np.atleast_1d(np.asarray(alphas, dtype=object))):
        check_scalar(alpha, f"alphas[{index}]", target_type=Real, min_val=0.0)
    return check_alpha_grid(np.sort(np.asarray(alphas, dtype=np.float64).ravel()))


def _check_alphas(alphas) -> np.ndarray:
    return check_alpha_grid(alphas)


def make_problem(
    X,
    y,
    *,
    loss,
    h,
    penalty_weights,
    l1_ratio,
    positive,
    fit_intercept,
    precompute="auto",
    offset=None,
):
    """Build the fitting problem for a loss name (any datafit of :data:`DATAFITS`).

    Least squares keeps its own coordinate-descent problem (dense, sparse or Gram,
    with the compiled path); every other datafit is a :class:`GLMProblem`, so a new
    datafit needs no change here.
    """
    datafit = get_datafit(loss)
    if datafit.name == "squared_error":
        from .solvers.problems import LeastSquaresProblem

        if isinstance(precompute, str) and precompute == "auto":
            precompute = "path"  # a whole path: the Gram matrix pays from n ≈ p on
        if offset is not None:  # ½(y − offset − η)²: the offset moves to the target
            y = y - offset
        return LeastSquaresProblem(
            X, y, h, penalty_weights, l1_ratio, positive, fit_intercept, precompute
        )
    from .solvers.glm import GLMProblem

    return GLMProblem(datafit, X, y, h, penalty_weights, l1_ratio, positive, fit_intercept, offset)


def solve_path(
    problem, alphas, tol, max_iter, rng=None, progress=None, keep_state: bool = True
) -> PathResult:
    """Solve ``problem`` along ``alphas`` (decreasing) with warm starts and strong rules.

    ``keep_state=False``: the caller needs only the returned path, not ``problem`` left
    at the last alpha (a CV fold): the compiled Gram path then skips recomputing the
    problem's gradient (``O(p·nnz)`` and a copy of the Gram's active columns).
    """
    from .solvers.gram_route import gram_path_applies

    if rng is None and progress is None and gram_path_applies(problem, alphas):
        return _solve_gram_path(problem, alphas, tol, max_iter, keep_state)
    if rng is None and progress is None:
        from .solvers.dense_path import dense_path_applies, run_dense_path
        from .solvers.sparse_path import run_sparse_path, sparse_path_applies

        compiled = None
        if dense_path_applies(problem, alphas):  # dense residual (p > n): compiled
            compiled = run_dense_path
        elif sparse_path_applies(problem, alphas):  # CSC residual: compiled
            compiled = run_sparse_path
        if compiled is not None:
            coefs, gaps, n_iters, converged, seconds = compiled(problem, alphas, tol, max_iter)
            coefs = coefs.T
            return PathResult(
                alphas=alphas,
                coefs=coefs,
                intercepts=problem.y_offset - problem.mu @ coefs,
                duality_gaps=gaps,
                n_iters=n_iters,
                n_nonzero=np.count_nonzero(coefs, axis=0),
                times=np.full(alphas.size, seconds / alphas.size),
                converged=converged,
                l1_ratio=problem.l1_ratio,
                loss=problem.loss,
            )
    if rng is None and progress is None and alphas.size:
        from .solvers.glm import glm_path, glm_path_applies

        if glm_path_applies(problem):  # logistic / Poisson / Gamma, dense or sparse X
            path = glm_path(problem, alphas, tol, max_iter)
            return PathResult(
                alphas=alphas,
                coefs=path.coefs,
                intercepts=path.intercepts,
                duality_gaps=path.duality_gaps,
                n_iters=path.n_iters,
                n_nonzero=np.count_nonzero(path.coefs, axis=0),
                times=np.full(alphas.size, path.seconds / alphas.size),
                converged=path.converged,
                l1_ratio=problem.l1_ratio,
                loss=problem.loss,
            )
    n_features, n_alphas = problem.n_features, alphas.size
    coefs = np.zeros((n_alphas, n_features))  # row per alpha: contiguous writes
    intercepts = np.zeros(n_alphas)
    gaps = np.zeros(n_alphas)
    n_iters = np.zeros(n_alphas, dtype=np.int64)
    times = np.zeros(n_alphas)
    converged = np.zeros(n_alphas, dtype=bool)
    previous_alpha = max(problem.alpha_max, alphas[0])
    for k, alpha in enumerate(alphas):
        start = time.perf_counter()
        info = screened_solve(problem, alpha, previous_alpha, tol, max_iter, rng)
        coefs[k] = problem.coef
        intercepts[k] = problem.intercept
        gaps[k], n_iters[k], converged[k] = info.duality_gap, info.n_iter, info.converged
        times[k] = time.perf_counter() - start
        previous_alpha = alpha
        if progress is not None:
            progress(k + 1, n_alphas, alpha, int(np.count_nonzero(problem.coef)))
    coefs = coefs.T
    return PathResult(
        alphas=alphas,
        coefs=coefs,
        intercepts=intercepts,
        duality_gaps=gaps,
        n_iters=n_iters,
        n_nonzero=np.count_nonzero(coefs, axis=0),
        times=times,
        converged=converged,
        l1_ratio=problem.l1_ratio,
        loss=problem.loss,
    )


def _solve_gram_path(problem, alphas, tol, max_iter, keep_state=True) -> PathResult:
    """The whole least-squares path in compiled code (:mod:`.solvers.gram_route`): no
    Python work per alpha, which is what small and tall problems (and CV folds) spend on."""
    from .solvers.gram_route import solve_on_gram

    n_alphas = alphas.size
    start = time.perf_counter()
    coefs, gaps, n_iters, converged, coef = solve_on_gram(problem, alphas, tol, max_iter)
    if keep_state:
        problem.set_coef(coef)
    times = np.full(n_alphas, (time.perf_counter() - start) / n_alphas)
    coefs = coefs.T
    return PathResult(
        alphas=alphas,
        coefs=coefs,
        intercepts=problem.y_offset - problem.mu @ coefs,
        duality_gaps=gaps,
        n_iters=n_iters,
        n_nonzero=np.count_nonzero(coefs, axis=0),
        times=times,
        converged=converged,
        l1_ratio=problem.l1_ratio,
        loss=problem.loss,
    )


def regularization_path(
    X,
    y,
    *,
    loss: str = "squared_error",
    l1_ratio: float = 1.0,
    alphas=100,
    eps: float = 1e-3,
    penalty_weights=None,
    positive: bool = False,
    fit_intercept: bool = True,
    sample_weight=None,
    tol: float = 1e-4,
    max_iter: int = 1000,
    precompute="auto",
    coef_init=None,
    verbose: bool = False,
    offset=None,
    standardize: bool = False,
    lower_bounds=None,
    upper_bounds=None,
) -> PathResult:
    """Fit a whole L1 / L2 / elastic-net path with warm starts.

    Minimizes, for each ``alpha`` of the grid,

    .. math::

        \\sum_i h_i\\,\\ell(y_i, \\beta_0 + x_i^\\top\\beta)
        + \\alpha\\sum_j v_j\\big(\\rho|\\beta_j| + \\tfrac{1-\\rho}{2}\\beta_j^2\\big)

    with ``h = sample_weight / Σ sample_weight``, ``ρ = l1_ratio``,
    ``v = penalty_weights`` and ``ℓ`` the datafit named by ``loss``
    (:mod:`shrinkage.datafits`): the squared error ``½(y − η)²``, the logistic loss
    ``log(1 + e^η) − yη`` (``y`` in {0, 1}, or two labels mapped to {0, 1} in sorted
    order), Poisson ``e^η − yη`` (``y ≥ 0``) or Gamma ``y e^{−η} + η`` (``y > 0``).
    With an ``offset`` the linear predictor is ``offset + β₀ + x_iᵀβ``.

    Parameters
    ----------
    X : {array-like, sparse matrix} of shape (n_samples, n_features)
    y : array-like of shape (n_samples,)
        For ``loss="cox"``: ``(time, event)`` as a 2-column array or a scikit-survival
        structured array (no intercept is fitted).
    loss : {"squared_error", "logistic", "poisson", "gamma", "cox"} or a Datafit
    l1_ratio : float in [0, 1]
    alphas : int or array-like
        Grid size (log grid from ``alpha_max`` down to ``eps·alpha_max``) or the
        alphas themselves (sorted decreasing).
    eps : float
    penalty_weights : array-like of shape (n_features,), optional
        Per-feature factors; 0 leaves a feature unpenalized.
    positive : bool
    fit_intercept : bool
    sample_weight : array-like of shape (n_samples,), optional
    tol : float
        Relative accuracy. Least squares: stop when the duality gap is at most
        ``tol·Σh(y − ȳ)²`` (scikit-learn's rule). Other datafits: stop when the
        largest KKT violation is at most ``tol·‖Xᵀ∇F(null model)‖∞`` (for logistic
        ``‖Xᵀh(y − ȳ)‖∞``), so the same ``tol`` means the same accuracy whatever
        the scale of ``X``.
    max_iter : int
        Sweeps (least squares) or Newton steps (other datafits) per alpha.
    precompute : "auto" or bool
        Least squares on dense data: solve on the Gram matrix (auto: ``n > 2p``).
    coef_init : array-like of shape (n_features,), optional
        Warm start for the first alpha.
    verbose : bool
        Print one line per alpha.
    offset : array-like of shape (n_samples,), optional
        Fixed part of the linear predictor (glmnet's ``offset``: log exposure for
        Poisson counts).
    standardize : bool, default=False
        glmnet's ``standardize=TRUE``: solve in the columns ``x_j / s_j``, with
        ``s_j`` the ``h``-weighted ``1/n`` standard deviation, with the same ``alpha``
        and penalty on the scaled coefficients ``β_j s_j``; ``coefs`` are returned in
        original units (:mod:`shrinkage.solvers.standardize`). A constant column gets 0.
    lower_bounds, upper_bounds : float or array-like of shape (n_features,), optional
        Box constraints ``lower_j ≤ β_j ≤ upper_j`` (glmnet's ``lower.limits`` /
        ``upper.limits``; ``lower ≤ 0 ≤ upper``), in original units also with
        ``standardize=True``. ``positive=True`` is ``lower_bounds=0``. The grid's
        ``alpha_max`` is the smallest ``alpha`` with ``β = 0`` optimal in the box.

    Returns
    -------
    PathResult
    """
    X, y, feature_names = check_design(X, y)
    _check_path_target(y, loss)
    n_samples, n_features = X.shape
    l1_ratio = check_l1_ratio(l1_ratio)
    _check_eps(eps)
    check_nonnegative_scalar(tol, "tol")
    max_iter = check_positive_int(max_iter, "max_iter")
    h = check_sample_weight(sample_weight, n_samples)
    weights = check_penalty_weights(penalty_weights, n_features)
    y = prepare_targets(y, loss)
    offset = _check_offset(offset, n_samples)
    if hasattr(precompute, "__array__"):
        if standardize:
            raise ValueError(GRAM_OF_UNSCALED_X)
        precompute = check_precomputed_gram(precompute, X, h, fit_intercept)
    X_fit, scales = standardize_design(X, h, standardize)
    constraint = coefficient_constraint(n_features, lower_bounds, upper_bounds, positive, scales)
    if _float32_gram_route(X_fit, loss, precompute, tol, alphas, verbose):
        precompute = "path-float32"
    problem = make_problem(
        X_fit,
        y,
        loss=loss,
        h=h,
        penalty_weights=weights,
        l1_ratio=l1_ratio,
        positive=constraint,
        fit_intercept=fit_intercept,
        precompute=precompute,
        offset=offset,
    )
    if isinstance(alphas, (int, np.integer)) and not isinstance(alphas, bool):
        grid = alpha_grid(problem.alpha_max, check_positive_int(alphas, "alphas"), eps)
    else:
        grid = _check_alphas(alphas)
    if coef_init is not None:
        start = to_scaled_units(_check_coef_init(coef_init, n_features), scales)
        problem.set_coef(problem.box.project(start))  # a warm start inside the box
    progress = _print_progress if verbose else None
    if _exact_ridge_applies(X_fit, problem.loss, l1_ratio, constraint):
        result = _spectral_ridge_path(X_fit, y, h, weights, fit_intercept, grid, problem)
    else:
        # (`problem` is not returned: the Gram path need not leave it at the last alpha,
        # an O(p·nnz) gradient and a copy of G's active columns, 0.03 s on 4472x2236.)
        result = solve_path(problem, grid, tol, max_iter, progress=progress, keep_state=False)
    if scales is not None:  # back to original units; the intercepts are unchanged
        result.coefs = to_original_units(result.coefs, scales)
    result.feature_names = feature_names
    if not result.converged.all():
        from .solvers.step import warn_not_converged

        worst = int(np.flatnonzero(~result.converged)[0])
        warn_not_converged(
            result.duality_gaps[worst],
            tol,
            max_iter,
            result.alphas[worst],
            criterion="duality gap" if problem.loss == "squared_error" else "KKT violation",
        )
    return result


def _float32_gram_route(X, loss, precompute, tol, alphas, verbose) -> bool:
    """Whether the compiled least-squares path solves float32 ``X`` on ``G`` formed in
    float32 and certifies from ``X`` (:mod:`.solvers._single_gram`): where that pays."""
    from .solvers._single_gram import single_gram_pays

    if loss != "squared_error" or verbose or not (
        isinstance(precompute, str) and precompute == "auto"
    ):
        return False
    n_alphas = alphas if isinstance(alphas, (int, np.integer)) else np.size(alphas)
    return single_gram_pays(X, tol, int(n_alphas))


def _check_path_target(y, loss: str) -> None:
    """One real target per row: a clear error for 2-D, complex or text targets.

    A datafit with a structured target (Cox's ``(time, event)``) checks its own form.
    """
    if get_datafit(loss).structured_target:
        return
    if np.ndim(y) != 1:
        raise ValueError(
            f"y has shape {np.shape(y)}; a path fits one target. Call it once per column "
            "(y[:, k]), or fit all columns at once with shrinkage.MultiTaskLasso or "
            "enet_path(X, Y) (a multi-task path)."
        )
    check_real_target(y, "y", numeric=not get_datafit(loss).categorical_target)


def _check_offset(offset, n_samples: int) -> np.ndarray | None:
    """A finite real offset with one value per sample (or None)."""
    if offset is None:
        return None
    try:
        offset = np.asarray(offset, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError("offset must be numbers, one per sample.") from None
    if offset.shape != (n_samples,):
        raise ValueError(
            f"offset has shape {offset.shape} but X has {n_samples} samples; pass one "
            "value per sample (e.g. log exposure)."
        )
    if not np.isfinite(offset).all():
        raise ValueError("offset contains NaN or infinity; pass finite values.")
    return offset


def _check_eps(eps) -> float:
    """``eps = alpha_min / alpha_max`` must be a ratio in (0, 1]."""
    if isinstance(eps, bool) or not isinstance(eps, Real) or not 0 < eps <= 1:
        raise ValueError(
            f"eps is alpha_min / alpha_max and must be in (0, 1], got {eps!r}; e.g. 1e-3 "
            "for a grid spanning three decades."
        )
    return float(eps)


def _check_coef_init(coef_init, n_features: int) -> np.ndarray:
    """A finite real warm start with one value per feature."""
    if np.iscomplexobj(coef_init):
        raise ValueError("coef_init is complex; pass real coefficients.")
    try:
        coef = np.asarray(coef_init, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError("coef_init must be numbers, one per feature.") from None
    if coef.size != n_features:
        raise ValueError(
            f"coef_init has {coef.size} values but X has {n_features} features; pass one "
            "per feature."
        )
    if not np.isfinite(coef).all():
        raise ValueError(
            "coef_init contains NaN or infinity; pass finite values (or None for zeros)."
        )
    return coef.reshape(n_features)


def _exact_ridge_applies(X, loss, l1_ratio, positive) -> bool:
    """Least-squares ridge on data that one decomposition handles: solve it exactly."""
    from .solvers.ridge import DIRECT_LIMIT

    if loss != "squared_error" or l1_ratio != 0.0 or positive:
        return False
    return not sp.issparse(X) or min(X.shape) <= DIRECT_LIMIT


def _spectral_ridge_path(X, y, h, weights, fit_intercept, grid, problem) -> PathResult:
    """The ridge path from one decomposition (:mod:`shrinkage.solvers.ridge`).

    Our ``Σh ½r² + α/2 Σv β²`` is the decomposition's ``Σh r² + α Σv β²`` (times 2), so
    the alphas carry over unchanged. The duality gaps are those of the exact solutions
    (rounding only), reported as 0.
    """
    from .solvers.ridge import SpectralRidge

    start = time.perf_counter()
    ridge = SpectralRidge(X, y[:, None], h, weights, fit_intercept, alpha_floor=grid.min())
    coefs, intercepts = ridge.coefs(grid)
    times = np.full(grid.size, (time.perf_counter() - start) / grid.size)
    return PathResult(
        alphas=grid,
        coefs=coefs,
        intercepts=intercepts if fit_intercept else np.zeros(grid.size),
        duality_gaps=np.zeros(grid.size),
        n_iters=np.zeros(grid.size, dtype=np.int64),
        n_nonzero=np.count_nonzero(coefs, axis=0),
        times=times,
        converged=np.ones(grid.size, dtype=bool),
        l1_ratio=0.0,
        loss="squared_error",
    )


def _print_progress(done, total, alpha, n_nonzero) -> None:
    print(f"[path] {done:>4}/{total}  alpha={alpha:.4g}  non-zero={n_nonzero}", flush=True)


_AUTO_GRID_L1_RATIO_0 = (
    "Automatic alpha grid generation is not supported for l1_ratio=0. "
    "Please supply a grid by providing your estimator with the "
    "appropriate `alphas=` argument."
)


def enet_path(
    X,
    y,
    *,
    l1_ratio: float = 0.5,
    eps: float = 1e-3,
    n_alphas="deprecated",
    alphas="warn",
    precompute="auto",
    Xy=None,
    copy_X: bool = True,
    coef_init=None,
    verbose: bool = False,
    return_n_iter: bool = False,
    positive: bool = False,
    check_input: bool = True,
    **params,
):
    """Elastic-net path with scikit-learn's signature and return values.

    Minimizes ``1/(2n)‖y − Xw‖² + α ρ‖w‖₁ + ½ α (1 − ρ)‖w‖²`` for each ``α``, with
    no intercept (as scikit-learn's ``enet_path``: center the data first if needed).
    A 2-D ``y`` gives scikit-learn's multi-task path, ``1/(2n)‖Y − XW‖²_F +
    α ρ Σ_j ‖W_j‖₂ + ½ α (1 − ρ)‖W‖²_F`` (rows ``W_j`` selected or dropped together).

    Parameters
    ----------
    X : {array-like, sparse matrix} of shape (n_samples, n_features)
    y : array-like of shape (n_samples,) or (n_samples, n_targets)
    l1_ratio : float, default=0.5
    eps : float, default=1e-3
        ``alpha_min / alpha_max`` of the automatic grid.
    n_alphas : int, deprecated
        As scikit-learn 1.9: still accepted, with its FutureWarning; use ``alphas``.
    alphas : int, array-like or None, default="warn"
        Grid size or the grid itself (sorted decreasing); None is deprecated (100).
    precompute, Xy, copy_X, check_input
        Accepted for compatibility; shrinkage forms what it needs itself.
    coef_init : array-like, optional
        Warm start for the first alpha.
    verbose : bool, default=False
    return_n_iter : bool, default=False
    positive : bool, default=False
        Single target only, as scikit-learn.
    **params
        ``tol``, ``max_iter``, ``sample_weight``, ``penalty_weights``,
        ``random_state``, ``selection``; anything else is an error.

    Returns
    -------
    alphas : ndarray of shape (n_alphas,)
    coefs : ndarray of shape (n_features, n_alphas) or (n_targets, n_features, n_alphas)
    dual_gaps : ndarray of shape (n_alphas,)
    n_iters : list of int
        Only if ``return_n_iter``.
    """
    import warnings

    del Xy, copy_X, check_input  # accepted for compatibility; nothing is copied or cached
    grid = 100
    if n_alphas != "deprecated":
        warnings.warn(
            "'n_alphas' was deprecated in 1.9 and will be removed in 1.11. "
            "'alphas' now accepts an integer value which removes the need to pass "
            "'n_alphas'. The default value of 'alphas' will change from None to "
            "100 in 1.11. Pass an explicit value to 'alphas' and leave 'n_alphas' "
            "to its default value to silence this warning.",
            FutureWarning,
            stacklevel=2,
        )
        grid = n_alphas
    if isinstance(alphas, str) and alphas == "warn":
        pass
    elif alphas is None:
        warnings.warn(
            "'alphas=None' is deprecated and will be removed in 1.11, at which "
            "point the default value will be set to 100. Set 'alphas=100' "
            "to silence this warning.",
            FutureWarning,
            stacklevel=2,
        )
    else:
        grid = alphas
    if not isinstance(grid, (int, np.integer)):
        # scikit-learn's enet_path sorts a given grid silently (the returned alphas
        # say the order); regularization_path itself refuses a grid in no order.
        grid = np.sort(np.asarray(grid, dtype=np.float64).ravel())[::-1]
    tol = params.pop("tol", 1e-4)
    max_iter = params.pop("max_iter", 1000)
    sample_weight = params.pop("sample_weight", None)
    penalty_weights = params.pop("penalty_weights", None)
    params.pop("random_state", None)
    params.pop("selection", None)
    if params:
        raise ValueError(f"Unexpected parameters in params: {sorted(params)}")
    if np.ndim(y) == 2:
        if positive:
            raise ValueError("positive=True is not allowed for multi-output (y.ndim != 1)")
        result = _multitask_path(X, y, l1_ratio, eps, grid, coef_init, tol, max_iter, sample_weight)
        return result if return_n_iter else result[:3]
    if isinstance(grid, (int, np.integer)) and l1_ratio == 0:
        raise ValueError(_AUTO_GRID_L1_RATIO_0)
    result = regularization_path(
        X,
        y,
        l1_ratio=l1_ratio,
        alphas=grid,
        eps=eps,
        penalty_weights=penalty_weights,
        positive=positive,
        fit_intercept=False,
        sample_weight=sample_weight,
        tol=tol,
        max_iter=max_iter,
        precompute=precompute,
        coef_init=coef_init,
        verbose=verbose,
    )
    coefs = result.coefs.astype(_float_dtype_of(X), copy=False)
    if return_n_iter:
        return result.alphas, coefs, result.duality_gaps, list(result.n_iters)
    return result.alphas, coefs, result.duality_gaps


def _multitask_path(X, Y, l1_ratio, eps, grid, coef_init, tol, max_iter, sample_weight):
    """scikit-learn's multi-task ``enet_path`` (2-D ``y``, no intercept).

    Each alpha stops when the duality gap is at most ``tol·Σ s_i‖y_i‖²/n``
    (scikit-learn's rule, ``s`` the weights rescaled to sum to ``n``). Returns
    ``alphas``, ``coefs`` (n_tasks, n_features, n_alphas), ``gaps`` (in the
    objective's units, as scikit-learn's divided by ``n``) and ``n_iters``.
    """
    from .solvers.multitask import (
        make_multitask_design,
        multitask_alpha_max,
        solve_multitask_path,
    )

    X, Y, _ = check_design(X, Y)
    Y = np.asarray(Y, dtype=np.float64)
    n_samples = X.shape[0]
    l1_ratio = check_l1_ratio(l1_ratio)
    h = check_sample_weight(sample_weight, n_samples)
    design, _, _ = make_multitask_design(X, Y, h, fit_intercept=False)
    if isinstance(grid, (int, np.integer)):
        if l1_ratio == 0:
            raise ValueError(_AUTO_GRID_L1_RATIO_0)
        alpha_max = multitask_alpha_max(design.xty, l1_ratio)
        grid = alpha_grid(alpha_max, check_positive_int(grid, "alphas"), eps)
    else:
        grid = _check_alphas(grid)
    coef = np.zeros((X.shape[1], Y.shape[1]))
    if coef_init is not None:
        coef[...] = np.asarray(coef_init, dtype=np.float64).T
    coefs, gaps, n_iters, _ = solve_multitask_path(
        design, grid, l1_ratio, tol * design.target_norm2, max_iter, coef, tol_rel=tol
    )
    coefs = np.moveaxis(coefs, 0, 2).transpose(1, 0, 2)  # (n_tasks, n_features, n_alphas)
    return grid, coefs.astype(_float_dtype_of(X), copy=False), gaps, list(n_iters)


def _float_dtype_of(X) -> type:
    """float32 input gives float32 coefficients, as in scikit-learn; all else float64."""
    return np.float32 if getattr(X, "dtype", None) == np.float32 else np.float64


@inherit_entries(enet_path)
def lasso_path(X, y, *, eps: float = 1e-3, n_alphas="deprecated", alphas="warn", **params):
    """Lasso path with scikit-learn's signature: :func:`enet_path` with ``l1_ratio=1``.

    Minimizes ``1/(2n)‖y − Xw‖² + α‖w‖₁`` for each ``α`` (no intercept; a 2-D ``y`` gives
    the multi-task lasso path).

    Parameters
    ----------
    **params
        Any other keyword of :func:`enet_path` but ``l1_ratio``: ``precompute``, ``Xy``,
        ``copy_X``, ``coef_init``, ``verbose``, ``return_n_iter``, ``positive``,
        ``check_input``, ``tol``, ``max_iter``, ``sample_weight``, ``penalty_weights``,
        ``random_state``, ``selection``.
    """
    return enet_path(X, y, l1_ratio=1.0, eps=eps, n_alphas=n_alphas, alphas=alphas, **params)
