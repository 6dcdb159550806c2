"""Penalized generalized linear models by proximal Newton around the CD kernels.

For any datafit ``F`` of :mod:`shrinkage.datafits`, minimize

.. math::

    F(\\eta) + g(\\beta), \\qquad \\eta = \\text{offset} + \\beta_0 + X\\beta,

with ``g`` the weighted elastic net (:mod:`shrinkage.penalties`). ``offset`` is
glmnet's: a fixed part of the linear predictor (log exposure for counts).

Each outer step builds the quadratic model of ``F`` at the current point: IRLS
weights ``w = ∂²F/∂η²`` (diagonal, floored by ``CURVATURE_FLOOR``) and working
residual ``−(∂F/∂η)/w``. It minimizes model + penalty over the working set with the
least-squares coordinate-descent kernels (the intercept profiled out by weighted
centring), then moves along the resulting direction with a backtracking line search
on the objective (Armijo with the proximal-Newton decrement, Lee, Sun & Saunders
2014). The working set grows with the features that violate their KKT conditions;
the solver stops when the largest KKT violation (intercept included) is at most
``tol``.

The duality gap reported uses the dual point ``θ = s·θ₀``, ``θ₀ = −(∂F/∂η)/h``
(``y − μ`` for canonical links), with ``s ≤ 1`` the largest scale feasible for the
pure-L1 coordinates: ``gap = P(β) + F*(−h⊙θ) + g*(s·Xᵀ(−∂F))``. A datafit without a
conjugate reports the largest KKT violation in its place.

On dense ``X`` with a logistic, Poisson or Gamma datafit, :func:`glm_path` runs the
same algorithm (same stopping rule and gap) for a whole path in compiled code
(:mod:`._glm_kernels`); :func:`shrinkage.path.solve_path` uses it there.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import scipy.sparse as sp

from ..datafits import Datafit, get_datafit
from ..penalties import (
    alpha_max_from_gradient,
    elastic_net_conjugate,
    kkt_violation,
    penalty_strengths,
    penalty_value,
)
from ._designs import DenseDesign, SparseDesign
from .constants import (
    ACTIVE_SWEEPS,
    ARMIJO,
    CURVATURE_FLOOR,
    LINE_SEARCH_HALVINGS,
    NEWTON_INNER_ROUNDS,
)
from .least_squares import SolveInfo, solve_working_set
from .problems import weighted_column_means

__all__ = [
    "GLMPath",
    "GLMProblem",
    "backtracking_step",
    "glm_path",
    "glm_path_applies",
    "newton_direction",
    "sufficient_decrease",
]


def newton_direction(
    sub, weights, residual, coef, l1, l2, positive, fit_intercept, features, violation
):
    """Minimize the quadratic model + penalty over ``features`` (``sub = X[:, features]``).

    The model is ``½ Σ_i w_i (r_i − x̃_iᵀΔ − Δ₀)² + g(β + Δ)`` with IRLS ``weights`` and
    working ``residual``. Returns ``(delta_coef, delta_intercept, X_delta)`` where
    ``X_delta`` is the change of the linear predictor for a unit step.
    """
    if fit_intercept:
        mu = weighted_column_means(sub, weights) / weights.sum()
        shift = float(np.dot(weights, residual) / weights.sum())
        residual = residual - shift
    else:
        mu = np.zeros(features.size)
        shift = 0.0
    new_coef = coef[features].copy()
    # The model's target z is such that its residual at the current point is
    # `residual`: z = residual + X̃_W β_W (designs keep r = z − X̃β).
    target = residual + np.asarray(sub @ new_coef).ravel() - float(mu @ new_coef)
    design_class = SparseDesign if sp.issparse(sub) else DenseDesign
    design = design_class(sub, weights, mu, target)
    design.set_residual(residual)
    # Inexact inner solve: enough to give a descent direction, tightened as we converge.
    threshold = 1.0 * violation * violation
    solve_working_set(
        design,
        new_coef,
        np.arange(features.size),
        l1[features],
        l2[features],
        positive,
        threshold,
        NEWTON_INNER_ROUNDS,
    )
    delta = new_coef - coef[features]
    delta_intercept = shift - float(mu @ delta)
    X_delta = np.asarray(sub @ delta).ravel() + delta_intercept
    return delta, delta_intercept, X_delta


def sufficient_decrease(new: float, old: float, step: float, decrement: float) -> bool:
    """Armijo's test ``F_new ≤ F_old + c·step·min(decrement, 0)``, with slack for the
    rounding of ``F`` near the optimum."""
    return new <= old + ARMIJO * step * min(decrement, 0.0) + 1e-15 * abs(old)


def backtracking_step(objective_at, old_objective: float, decrement: float) -> float | None:
    """Largest step in {1, ½, ¼, …} that passes Armijo's test, or None."""
    step = 1.0
    for _ in range(LINE_SEARCH_HALVINGS):
        if sufficient_decrease(objective_at(step), old_objective, step, decrement):
            return step
        step *= 0.5
    return None


class GLMProblem:
    """A penalized GLM for any datafit, solved by proximal Newton.

    Parameters
    ----------
    datafit : Datafit, datafit class or ``loss=`` name
    X : ndarray or sparse matrix of shape (n_samples, n_features)
    y : ndarray of shape (n_samples,), or the datafit's own target object
        The target as the datafit's ``check_target`` returns it (a ``CoxTarget``
        for Cox).
    h : ndarray of shape (n_samples,)
        Sample weights normalized to sum to one.
    penalty_weights : ndarray of shape (n_features,)
    l1_ratio : float
    positive : bool
    fit_intercept : bool
        Ignored (no intercept) when the datafit has none (Cox).
    offset : ndarray of shape (n_samples,), optional
        Fixed part of the linear predictor.
    """

    def __init__(
        self,
        datafit,
        X,
        y,
        h,
        penalty_weights,
        l1_ratio=1.0,
        positive=False,
        fit_intercept=True,
        offset=None,
    ):
        self.datafit: Datafit = get_datafit(datafit)
        self.loss = self.datafit.name
        self.X = X if sp.issparse(X) else np.asfortranarray(X)
        # The datafit's check_target owns y's form: numbers are float arrays, a
        # structured target (Cox's time-sorted CoxTarget) passes through unchanged.
        self.y = y if self.datafit.structured_target else np.asarray(y, dtype=np.float64)
        self.h = h
        self.n_features = X.shape[1]
        self.penalty_weights = penalty_weights
        self.l1_ratio = l1_ratio
        self.positive = positive
        self.fit_intercept = bool(fit_intercept) and self.datafit.has_intercept
        self.offset = None if offset is None else np.asarray(offset, dtype=np.float64)
        self.coef = np.zeros(self.n_features)
        if self.fit_intercept:
            self.intercept_ = float(self.datafit.null_eta(self.y, h, self.offset))
        else:
            self.intercept_ = 0.0
        self.eta = np.full(X.shape[0], self.intercept_)
        if self.offset is not None:
            self.eta = self.eta + self.offset
        self.gradient = self._gradient()[0]
        self._null_gradient_norm = float(np.max(np.abs(self.gradient), initial=0.0))
        # Unpenalized features are fitted first so alpha_max is exact.
        free = penalty_weights == 0
        if free.any():
            zeros = np.zeros(self.n_features)
            self._minimize(zeros, zeros, free.copy(), 1e-10, 1000, movable=free)

    @property
    def intercept(self) -> float:
        return self.intercept_

    @property
    def alpha_max(self) -> float:
        return alpha_max_from_gradient(
            self.gradient, self.l1_ratio, self.penalty_weights, self.positive
        )

    def absolute_tol(self, tol: float) -> float:
        """KKT target for a relative ``tol``: ``tol·‖∇F(null model)‖∞``, the gradient
        of the intercept-only fit, which sets the scale of every violation."""
        return tol * max(self._null_gradient_norm, np.finfo(float).tiny)

    def _gradient(self):
        """Negative gradient ``−Xᵀ∂F/∂η`` and its intercept component ``−Σ ∂F/∂η``."""
        weighted = -self.datafit.gradient(self.y, self.eta, self.h)
        return np.asarray(self.X.T @ weighted).ravel(), float(weighted.sum())

    def objective(self, eta, coef, l1, l2) -> float:
        return self.datafit.value(self.y, eta, self.h) + penalty_value(coef, l1, l2)

    def set_coef(self, coef: np.ndarray) -> None:
        self.coef = np.array(coef, dtype=np.float64)
        self.eta = np.asarray(self.X @ self.coef).ravel() + self.intercept_
        if self.offset is not None:
            self.eta = self.eta + self.offset
        self.gradient = self._gradient()[0]

    def solve(
        self, alpha, working_set, tol, max_iter, rng=None, relative=True, tol_rel=None
    ) -> SolveInfo:
        """Minimize at ``alpha``: stop when every KKT violation is at most ``tol``
        relative to the null model's gradient (``relative=False``: absolute), and (with
        ``tol_rel``) the last Newton step moved no coefficient by more than
        ``tol_rel·max|β|`` (scikit-learn's test for saga and coordinate descent)."""
        del rng  # the order of coordinates is fixed here
        l1, l2 = penalty_strengths(alpha, self.l1_ratio, self.penalty_weights)
        target = self.absolute_tol(tol) if relative else tol
        return self._minimize(l1, l2, working_set, target, max_iter, tol_rel=tol_rel)

    def _minimize(
        self, l1, l2, working_set, tol, max_iter, movable=None, tol_rel=None
    ) -> SolveInfo:
        """Proximal Newton from the current point; only ``movable`` features may change.

        Newton steps run on the working set until its KKT conditions hold; only then
        is the full gradient (O(n·p)) computed to look for violators outside it.
        """
        working_set |= self.coef != 0
        working_set |= self.penalty_weights == 0
        if movable is not None:
            working_set &= movable
        n_iter = 0
        small = True  # no step yet: the KKT test alone decides
        while True:
            features = np.flatnonzero(working_set)
            sub = self.X[:, features]  # one copy per working set, reused by every step
            while n_iter < max_iter:
                weighted = -self.datafit.gradient(self.y, self.eta, self.h)
                gradient_ws = np.asarray(sub.T @ weighted).ravel()
                intercept_gradient = float(weighted.sum())
                violation_ws = kkt_violation(
                    gradient_ws, self.coef[features], l1[features], l2[features], self.positive
                )
                worst = max(
                    violation_ws.max(initial=0.0),
                    abs(intercept_gradient) if self.fit_intercept else 0.0,
                )
                if worst <= tol and small:
                    break
                before = self.coef[features]
                self._newton_step(features, sub, gradient_ws, intercept_gradient, l1, l2, worst)
                n_iter += 1
                if tol_rel is not None:
                    now = self.coef[features]
                    w_max = float(np.max(np.abs(now), initial=0.0))
                    small = w_max == 0.0 or float(np.max(np.abs(now - before))) <= tol_rel * w_max
            gradient, intercept_gradient = self._gradient()
            violation = kkt_violation(gradient, self.coef, l1, l2, self.positive)
            if movable is not None:
                violation[~movable] = 0.0
            worst = max(
                violation.max(initial=0.0),
                abs(intercept_gradient) if self.fit_intercept else 0.0,
            )
            grows = (violation > 0) & ~working_set
            # Stop also when nothing can change: the working set is solved and no new
            # feature violates (NaN or overflow in extreme inputs), else this loops forever.
            if worst <= tol or n_iter >= max_iter or not grows.any():
                self.gradient = gradient
                gap = self.duality_gap(gradient, l1, l2)
                if gap is None:  # no conjugate: report the KKT violation instead
                    gap = float(worst)
                return SolveInfo(gap, n_iter, gradient, worst <= tol)
            working_set |= grows

    def _newton_step(self, features, sub, gradient_ws, intercept_gradient, l1, l2, violation):
        weights, residual = self.datafit.newton_model(self.y, self.eta, self.h, CURVATURE_FLOOR)
        delta, delta_intercept, X_delta = newton_direction(
            sub,
            weights,
            residual,
            self.coef,
            l1,
            l2,
            self.positive,
            self.fit_intercept,
            features,
            violation,
        )
        old_objective = self.objective(self.eta, self.coef, l1, l2)
        trial_coef = self.coef.copy()
        trial_coef[features] += delta
        # Armijo on F with the prox-Newton decrement (Lee, Sun & Saunders 2014).
        decrement = (
            -gradient_ws @ delta
            - intercept_gradient * delta_intercept
            + penalty_value(trial_coef, l1, l2)
            - penalty_value(self.coef, l1, l2)
        )

        def objective_at(step):
            trial_coef = self.coef.copy()
            trial_coef[features] += step * delta
            return self.objective(self.eta + step * X_delta, trial_coef, l1, l2)

        step = backtracking_step(objective_at, old_objective, decrement)
        if step is not None:
            self.coef[features] += step * delta
            self.eta = self.eta + step * X_delta
            self.intercept_ += step * delta_intercept

    def duality_gap(self, gradient, l1, l2) -> float | None:
        """Gap at the dual point ``θ = s·θ₀``; None when the datafit has no conjugate."""
        pure_l1 = (l2 == 0) & (l1 > 0)
        score = gradient if self.positive else np.abs(gradient)
        scale = 1.0
        if np.any(pure_l1):
            worst = np.max(score[pure_l1] / l1[pure_l1])
            if worst > 1.0:
                scale = 1.0 / worst
        theta = scale * self.datafit.dual_residual(self.y, self.eta, self.h)
        dual_loss = self.datafit.conjugate(self.y, theta, self.h)
        if dual_loss is None:
            return None
        smooth = l2 > 0
        conjugate = elastic_net_conjugate(
            scale * gradient[smooth], l1[smooth], l2[smooth], self.positive
        )
        primal = self.objective(self.eta, self.coef, l1, l2)
        return float(max(primal + dual_loss + conjugate, 0.0))


def _family_code(datafit) -> int | None:
    """The compiled kernels' code for a datafit, or None. Exact classes only: a
    subclass may change the math the kernels hard-code."""
    from ..datafits import Gamma, Logistic, Poisson
    from ._glm_kernels import GAMMA, LOGISTIC, POISSON

    return {Logistic: LOGISTIC, Poisson: POISSON, Gamma: GAMMA}.get(type(datafit))


def glm_path_applies(problem) -> bool:
    """Whether :func:`glm_path` can solve ``problem``: a :class:`GLMProblem` on dense
    ``X`` with a separable datafit the kernels know (logistic, Poisson, Gamma)."""
    return (
        isinstance(problem, GLMProblem)
        and isinstance(problem.X, np.ndarray)
        and _family_code(problem.datafit) is not None
    )


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
            "glm_path needs a GLMProblem on a dense X with a logistic, Poisson or Gamma "
            "datafit; use shrinkage.path.solve_path for the others."
        )
    alphas = np.ascontiguousarray(alphas, dtype=np.float64)
    n_alphas, n_features = alphas.size, problem.n_features
    coefs = np.zeros((n_alphas, n_features))
    intercepts = np.zeros(n_alphas)
    gaps = np.zeros(n_alphas)
    n_iters = np.zeros(n_alphas, dtype=np.int64)
    converged = np.zeros(n_alphas, dtype=bool)
    coef = problem.coef.copy()
    intercept = np.array([problem.intercept_])
    eta = np.array(problem.eta, dtype=np.float64)
    gradient = np.array(problem.gradient, dtype=np.float64)
    start = time.perf_counter()
    compiled_path(
        problem.X,
        problem.y,
        np.ascontiguousarray(problem.h, dtype=np.float64),
        eta,
        coef,
        intercept,
        gradient,
        alphas,
        max(problem.alpha_max, alphas[0]),
        float(problem.l1_ratio),
        np.ascontiguousarray(problem.penalty_weights, dtype=np.float64),
        bool(problem.positive),
        problem.fit_intercept,
        _family_code(problem.datafit),
        problem.absolute_tol(tol),
        int(max_iter),
        CURVATURE_FLOOR,
        ARMIJO,
        NEWTON_INNER_ROUNDS,
        ACTIVE_SWEEPS,
        LINE_SEARCH_HALVINGS,
        coefs,
        intercepts,
        gaps,
        n_iters,
        converged,
        float(tol_rel),
    )
    problem.coef, problem.intercept_, problem.eta = coef, float(intercept[0]), eta
    problem.gradient = gradient
    return GLMPath(coefs.T, intercepts, gaps, n_iters, converged, time.perf_counter() - start)
