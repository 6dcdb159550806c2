"""The one step every fit takes at one ``alpha``: warm start, screen, solve, check.

Every estimator, the path driver and the Dask engine solve a problem at one
``alpha`` the same way:

1. start from the problem's current coefficients (a warm start: the solution at the
   previous, larger ``alpha``, or the unpenalized start at ``alpha_max``);
2. screen with the sequential strong rule (Tibshirani et al. 2012): the working set
   is ``{j : |∇_j(β̂_prev)| > 2 l1_j(α) − l1_j(α_prev)}`` (signed ``∇_j`` when the
   coefficients are constrained positive). The solver's KKT check adds any feature
   the rule missed, so screening only saves time and never changes the answer;
3. solve to the relative tolerance;
4. refuse non-finite results and warn, with advice, when the tolerance was not met.
"""

from __future__ import annotations

import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning

from .problems import penalty_strengths, screening_score, strong_rule_set


def screened_solve(problem, alpha, previous_alpha, tol, max_iter, rng=None, **solve_options):
    """Solve ``problem`` at ``alpha`` from its current coefficients, screened by the
    strong rule from ``previous_alpha`` (``alpha_max`` for a cold start).

    Parameters
    ----------
    problem : a fitting problem (``LeastSquaresProblem``, ``LogisticProblem``, ...)
        Must expose ``gradient``, ``l1_ratio``, ``penalty_weights``, ``positive`` and
        ``solve(alpha, working_set, tol, max_iter, rng, **options)``.
    alpha, previous_alpha : float
        ``previous_alpha`` below ``alpha`` is treated as ``alpha`` (no screening gain).
    tol : float
        Relative tolerance, as the problem's ``solve`` reads it.
    max_iter : int
    rng : numpy Generator, optional
        Random coordinate order (``selection='random'``).

    Returns
    -------
    SolveInfo
    """
    weights = problem.penalty_weights
    l1_new, _ = penalty_strengths(alpha, problem.l1_ratio, weights)
    l1_old, _ = penalty_strengths(max(previous_alpha, alpha), problem.l1_ratio, weights)
    working_set = strong_rule_set(problem.gradient, l1_new, l1_old, problem.positive)
    if getattr(getattr(problem, "design", None), "grows_working_set", False):
        working_set = _first_working_set(problem, working_set, l1_new)
    return problem.solve(alpha, working_set, tol, max_iter, rng, **solve_options)


def _first_working_set(problem, strong_set, l1):
    """The strong set cut to its ``MIN_GROWTH`` features of largest ``|∇_j| − l1_j``
    (for a design whose every admitted feature costs a Gram row: far below
    ``alpha_max`` the strong rule admits nearly every feature; the KKT checks of the
    solver add the rest, by priority)."""
    from ._covariance import MIN_GROWTH, limit_growth

    score = screening_score(problem.gradient, problem.positive) - l1
    return limit_growth(strong_set, score, MIN_GROWTH)


def _compiled_single_solve(problem, alpha, tol, max_iter):
    """The solution at ``alpha`` by the compiled path of the problem's design (a
    one-point path from its current coefficients): :func:`.sparse_path.run_sparse_path`
    on a sparse design, :func:`.dense_path.run_dense_path` on a dense residual design
    of at most :data:`SMALL_SINGLE_FIT` entries whose route was left to the solver
    (``precompute="auto"``: ``problem.single_fit_auto``). ``None`` where neither applies (other
    designs, unpenalized features, ``alpha = 0``: the caller's :func:`screened_solve`
    takes those; larger dense designs keep the Python rounds, faster on cold starts
    far below ``alpha_max``: 1414x707 and 577x1732 at ``alpha_max/20`` took 1.2 times
    as long by the compiled path, whose working set is then every feature)."""
    from ._designs import DenseDesign, SparseDesign
    from .constants import SINGLE_FIT_THRESHOLD_FLOOR, SMALL_SINGLE_FIT

    design = getattr(problem, "design", None)
    options = {}
    if type(design) is SparseDesign:
        from .sparse_path import run_sparse_path as run_path
        from .sparse_path import sparse_path_applies as path_applies
    elif (
        type(design) is DenseDesign
        and getattr(problem, "single_fit_auto", False)
        and design.X.size <= SMALL_SINGLE_FIT
    ):
        from .dense_path import dense_path_applies as path_applies
        from .dense_path import run_dense_path as run_path

        # One alpha does not reuse Gram entries as a path does: cache them only once
        # the residual sweeps have cost as much (caching at once: 2-2.4x slower fits).
        options["cache_credit"] = 0.0
        # No floor at rounding level on the sweep threshold (the Python rounds have
        # none): one fit at a tolerance near rounding keeps flat directions moving
        # until scikit-learn's update test passes (pure L2 on an effective-rank-10
        # design at tol 1e-16: 1.7e-7 relative from Ridge with the path's 1e-16
        # floor, 5.9e-9 with this one; the Python rounds 2.4e-9).
        options["threshold_floor"] = SINGLE_FIT_THRESHOLD_FLOOR
    else:
        return None
    from .least_squares import SolveInfo

    alphas = np.array([alpha], dtype=np.float64)
    if not path_applies(problem, alphas):
        return None
    _, gaps, n_iters, converged, _ = run_path(problem, alphas, tol, max_iter, **options)
    return SolveInfo(float(gaps[0]), int(n_iters[0]), problem.gradient, bool(converged[0]))


def check_finite_solution(coef, gap) -> None:
    """scikit-learn's error when the data overflow the solver (coef or gap not finite)."""
    if not (np.isfinite(coef).all() and np.isfinite(gap)):
        raise ValueError(
            "Coordinate descent iterations resulted in non-finite parameter values. "
            "The input data may contain large values and need to be preprocessed."
        )


def warn_not_converged(
    gap: float,
    tol: float,
    max_iter: int,
    alpha: float,
    absolute_tol: float | None = None,
    criterion: str = "duality gap",
    stacklevel: int = 3,
) -> None:
    """A ConvergenceWarning that says what was reached and what to try."""
    target = "" if absolute_tol is None else f" {absolute_tol:.3e}"
    reached = (
        f"duality gap {gap:.3e} is above the tolerance{target}"
        if criterion == "duality gap"
        else f"the KKT violation is above the tolerance (duality gap {gap:.3e})"
    )
    # The first sentence is scikit-learn's, so filters written for it keep working.
    warnings.warn(
        "Objective did not converge. You might want to increase the number of "
        f"iterations. At alpha={alpha:.4g}: {reached} after "
        f"max_iter={max_iter} iterations (tol={tol:g}, relative). "
        "Try increasing max_iter, loosening tol, standardizing the features, or a "
        "larger alpha (tiny alphas on correlated features converge slowly).",
        ConvergenceWarning,
        stacklevel=stacklevel,
    )


def solve_and_check(
    problem, alpha, previous_alpha, tol, max_iter, rng=None, warn=True, **solve_options
):
    """:func:`screened_solve`, then refuse non-finite results and warn when not
    converged (the warning points at the caller's caller: the user's ``fit``).

    Least squares on a sparse design is solved by the compiled sparse path at the one
    ``alpha`` (:func:`._compiled_single_solve`) where it applies: same objective,
    strong rule, stopping rule and duality gap, without Python work per round."""
    info = None
    if rng is None and not solve_options:
        from ._covariance import covariance_solve_applies, solve_by_covariance

        if covariance_solve_applies(problem, alpha):
            info = solve_by_covariance(problem, alpha, previous_alpha, tol, max_iter)
            if info is None:  # most features enter, weakly correlated: residual sweeps
                problem.use_residual_design()
                info = _compiled_single_solve(problem, alpha, tol, max_iter)
        else:
            info = _compiled_single_solve(problem, alpha, tol, max_iter)
    if info is None:
        info = screened_solve(
            problem, alpha, previous_alpha, tol, max_iter, rng, **solve_options
        )
    check_finite_solution(problem.coef, info.duality_gap)
    if warn and not info.converged:
        warn_not_converged(
            info.duality_gap, tol, max_iter, alpha, problem.absolute_tol(tol), stacklevel=4
        )
    return info
