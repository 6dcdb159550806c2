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
conjugate reports the largest KKT violation in its place. With box constraints
(:class:`~shrinkage.penalties.Box`, passed as ``positive``) every Newton subproblem is
solved in the box, the KKT check accepts a coefficient on its bound pushed outward,
and ``g*`` is the supremum over the box (finite on its bounded sides), so the gap
stays a true bound.

The whole path in compiled code for the datafits its kernels know (logistic, Poisson,
Gamma; Breslow Cox), :func:`glm_path`, runs the same algorithm with the same stopping
rule and gap; it lives in :mod:`.glm_compiled_path` and is re-exported here, where
:func:`shrinkage.path.solve_path` and the CV estimators import it. This module is the
Python solver: one :class:`GLMProblem`, one ``alpha`` at a time, any datafit.

When the working set has no L1 and no sign constraint (ridge), the Newton direction
is the minimizer of the quadratic model by a direct solve (:mod:`.ridge_newton`:
factored within :data:`.ridge_newton.EXACT_NEWTON_MAX_FLOPS`, conjugate gradients past it) rather
than coordinate descent's, which converges slowly on weak ridge penalties, correlated
columns and more features than samples.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from ..datafits import Datafit, get_datafit
from ..penalties import (
    Box,
    alpha_max_from_gradient,
    as_box,
    elastic_net_conjugate,
    kkt_violation,
    penalty_strengths,
    penalty_value,
)
from ._designs import DenseDesign, SparseDesign
from ._layout import fortran_copy
from ._mixed import x_dot_subset, xt_dot
from .constants import (
    ARMIJO,
    CURVATURE_FLOOR,
    LINE_SEARCH_HALVINGS,
    NEWTON_INNER_ROUNDS,
    next_forcing,
)
from .glm_compiled_path import GLMPath, glm_path, glm_path_applies
from .least_squares import SolveInfo, solve_working_set
from .problems import weighted_column_means
from .ridge_newton import (
    exact_newton_fits,
    exact_ridge_newton_direction,
    ridge_newton_cg_direction,
)

# GLMPath, glm_path and glm_path_applies are the compiled path's, re-exported: callers
# import them from here. It reads GLMProblem from this module at call time only, so
# the re-export is no import cycle.
__all__ = [
    "GLMPath",
    "GLMProblem",
    "backtracking_step",
    "exact_ridge_newton_direction",
    "glm_path",
    "glm_path_applies",
    "newton_direction",
    "ridge_newton_cg_direction",
    "sufficient_decrease",
]


def newton_direction(
    sub, weights, residual, coef, l1, l2, positive, fit_intercept, features, violation
):
    """Minimize the quadratic model + penalty over ``features`` (``sub = X[:, features]``).

    The model is ``½ Σ_i w_i (r_i − x̃_iᵀΔ − Δ₀)² + g(β + Δ)`` with IRLS ``weights`` and
    working ``residual``. Returns ``(delta_coef, delta_intercept, X_delta)`` where
    ``X_delta`` is the change of the linear predictor for a unit step. ``positive`` is
    a bool or the :class:`~shrinkage.penalties.Box` of all features (``β + Δ`` stays in
    it).
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
    # Inexact inner solve: as accurate as `violation` (the caller scales it by the
    # forcing term, constants.NEWTON_SLOW_RATIO).
    threshold = violation * violation
    solve_working_set(
        design,
        new_coef,
        np.arange(features.size),
        l1[features],
        l2[features],
        positive.subset(features) if isinstance(positive, Box) else positive,
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


def _centred_columns(X, own, h):
    """Dense ``X`` with its ``h``-weighted column means removed, for a datafit that
    ignores shifts of ``η`` (Cox): ``Xβ`` moves by the constant ``x̄ᵀβ`` only, so the
    objective and its solution are unchanged, but the proximal-Newton model is not.
    Its diagonal curvature charges a shift ``c·x̄_j²·Σw`` that the true Hessian (whose
    null space holds the constant vector) does not: on columns with a large mean
    (``X + 100``; raw covariates such as a calorie count) each Newton step is bent
    toward zero and the solve stalls far from the optimum. glmnet centres too.
    ``own`` is the solver's copy (centred in place) or ``X`` itself (then copied);
    sparse ``X`` is left as it is (centring would fill it).
    """
    if sp.issparse(X):
        return own
    mean = h @ own
    if not np.any(mean):
        return own
    if own is X:  # the caller's array: never change it
        own = np.array(X, order="F", copy=True)
    own -= mean.astype(own.dtype, copy=False)
    return own


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
    positive : bool or Box
        ``True`` for ``β ≥ 0``; a :class:`~shrinkage.penalties.Box` for
        ``lower ≤ β ≤ upper`` (in the units of ``X``'s columns).
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
        self.X = X if sp.issparse(X) else fortran_copy(X)
        if getattr(self.datafit, "shift_invariant", False):
            self.X = _centred_columns(X, self.X, h)
        # The datafit's check_target owns y's form: numbers are float arrays, a
        # structured target (Cox's time-sorted CoxTarget) passes through unchanged.
        self.y = y if self.datafit.structured_target else np.asarray(y, dtype=np.float64)
        self.h = h
        self.n_features = X.shape[1]
        self.penalty_weights = penalty_weights
        self.l1_ratio = l1_ratio
        self.positive = positive
        self.box = as_box(positive, self.n_features)
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
        # A constant y is fitted exactly by the intercept alone, the optimum at every
        # alpha; its gradient is rounding noise that no tolerance relative to it (tol
        # times the noise) could meet, so the solvers return this point at once.
        self.null_is_exact = (
            self.fit_intercept and self.offset is None and _constant_where_weighted(self.y, h)
        )
        if self.null_is_exact:
            self.gradient = np.zeros_like(self.gradient)
        self._null_gradient_norm = float(np.max(np.abs(self.gradient), initial=0.0))
        # Unpenalized features are fitted first so alpha_max is exact.
        free = penalty_weights == 0
        if free.any() and not self.null_is_exact:
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
        if isinstance(self.X, np.ndarray):
            # Float32 X: NumPy's mixed float32 × float64 product is its slow generic
            # loop (~5 ms at n·p = 1e6); xt_dot reads X once and sums in float64.
            return xt_dot(self.X, weighted), float(weighted.sum())
        return np.asarray(self.X.T @ weighted).ravel(), float(weighted.sum())

    def objective(self, eta, coef, l1, l2) -> float:
        return self.datafit.value(self.y, eta, self.h) + penalty_value(coef, l1, l2)

    def set_coef(self, coef: np.ndarray) -> None:
        self.coef = np.array(coef, dtype=np.float64)
        if isinstance(self.X, np.ndarray) and self.X.dtype == np.float32:
            # Only the non-zero columns, in float64 (no mixed-precision NumPy loop).
            support = np.flatnonzero(self.coef)
            self.eta = x_dot_subset(self.X, support, self.coef[support]) + self.intercept_
        else:
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
        if self.null_is_exact:
            self._reset_to_null()
            return SolveInfo(0.0, 0, self.gradient.copy(), True)
        l1, l2 = penalty_strengths(alpha, self.l1_ratio, self.penalty_weights)
        target = self.absolute_tol(tol) if relative else tol
        return self._minimize(l1, l2, working_set, target, max_iter, tol_rel=tol_rel)

    def _reset_to_null(self) -> None:
        """Back to the intercept-only model (``null_is_exact``: the optimum)."""
        self.coef = np.zeros(self.n_features)
        self.intercept_ = float(self.datafit.null_eta(self.y, self.h, None))
        self.eta = np.full(self.X.shape[0], self.intercept_)
        self.gradient = np.zeros(self.n_features)

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
        forcing, last_worst = 1.0, np.inf  # the inner solve's (constants.NEWTON_SLOW_RATIO)
        while True:
            features = np.flatnonzero(working_set)
            # One copy per working set, reused by every step; none when it holds every
            # feature (ridge), where the copy of a large X cost more than the steps.
            sub = self.X if features.size == self.n_features else self.X[:, features]
            while n_iter < max_iter:
                weighted = -self.datafit.gradient(self.y, self.eta, self.h)
                gradient_ws = np.asarray(sub.T @ weighted).ravel()
                intercept_gradient = float(weighted.sum())
                violation_ws = kkt_violation(
                    gradient_ws,
                    self.coef[features],
                    l1[features],
                    l2[features],
                    self.box.subset(features),
                )
                worst = max(
                    violation_ws.max(initial=0.0),
                    abs(intercept_gradient) if self.fit_intercept else 0.0,
                )
                if worst <= tol and small:
                    break
                forcing = next_forcing(forcing, worst, last_worst, tol)
                last_worst = worst
                before = self.coef[features]
                self._newton_step(
                    features, sub, gradient_ws, intercept_gradient, l1, l2, forcing * worst
                )
                n_iter += 1
                if tol_rel is not None:
                    now = self.coef[features]
                    w_max = float(np.max(np.abs(now), initial=0.0))
                    small = w_max == 0.0 or float(np.max(np.abs(now - before))) <= tol_rel * w_max
            gradient, intercept_gradient = self._gradient()
            violation = kkt_violation(gradient, self.coef, l1, l2, self.box)
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

    def _pure_ridge(self, features, l1) -> bool:
        """Whether the model on ``features`` is pure L2: no L1 and no bound there (a box
        or sign constraint needs the coordinate-descent direction)."""
        return (
            features.size > 0
            and self.box.subset(features).is_unbounded
            and not np.any(l1[features] > 0)
        )

    def _newton_step(self, features, sub, gradient_ws, intercept_gradient, l1, l2, violation):
        weights, residual = self.datafit.newton_model(self.y, self.eta, self.h, CURVATURE_FLOOR)
        direction = None
        if self._pure_ridge(features, l1):
            # Ridge: a direct solve of the model (:mod:`.ridge_newton`), factored
            # within the flop budget, else by conjugate gradients.
            if exact_newton_fits(self.X.shape[0], features.size):
                direction = exact_ridge_newton_direction(
                    sub, weights, residual, self.coef[features], l2[features], self.fit_intercept
                )
            else:
                direction = ridge_newton_cg_direction(
                    sub,
                    weights,
                    residual,
                    self.coef[features],
                    l2[features],
                    self.fit_intercept,
                    violation,
                )
        if direction is None:
            direction = newton_direction(
                sub,
                weights,
                residual,
                self.coef,
                l1,
                l2,
                self.box,
                self.fit_intercept,
                features,
                violation,
            )
        delta, delta_intercept, X_delta = direction
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
        """Gap at the dual point ``θ = s·θ₀``; None when the datafit has no conjugate.

        ``s`` keeps the pure-L1 coordinates feasible on the sides their box leaves
        open; bounded sides (and the ridge part) add ``g_j*``, finite there."""
        box = self.box
        pure_l1 = (l2 == 0) & (l1 > 0)
        # The sides left open: there the dual constraint |z_j| ≤ l1_j must hold.
        score = np.maximum(
            np.where(box.upper == np.inf, gradient, 0.0),
            np.where(box.lower == -np.inf, -gradient, 0.0),
        )
        scale = 1.0
        if np.any(pure_l1):
            worst = np.max(score[pure_l1] / l1[pure_l1])
            if worst > 1.0:
                scale = 1.0 / worst
        theta = scale * self.datafit.dual_residual(self.y, self.eta, self.h)
        dual_loss = self.datafit.conjugate(self.y, theta, self.h)
        if dual_loss is None:
            return None
        if self.offset is not None:
            # F(offset + Xβ + β₀) has the conjugate F*(v) − vᵀoffset: the dual gains
            # −Σ h θ offset, so the gap gains the opposite.
            dual_loss += float(np.dot(self.h * theta, self.offset))
        smooth = l2 > 0
        z = scale * gradient
        if box.is_unbounded and self.positive is False:
            conjugate = elastic_net_conjugate(z[smooth], l1[smooth], l2[smooth])
        else:
            # Pure-L1 open sides are feasible by the choice of s: clip away rounding.
            penalized = smooth | pure_l1
            bound = np.where(pure_l1, l1, np.inf)
            z_open = np.clip(
                z,
                np.where(box.lower == -np.inf, -bound, -np.inf),
                np.where(box.upper == np.inf, bound, np.inf),
            )
            conjugate = elastic_net_conjugate(
                z_open[penalized], l1[penalized], l2[penalized], box.subset(penalized)
            )
        primal = self.objective(self.eta, self.coef, l1, l2)
        return float(max(primal + dual_loss + conjugate, 0.0))


def _constant_where_weighted(y: np.ndarray, h: np.ndarray) -> bool:
    """Whether ``y`` takes one value on the rows of positive weight."""
    values = y[h > 0]
    return values.size > 0 and bool(np.all(values == values[0]))
