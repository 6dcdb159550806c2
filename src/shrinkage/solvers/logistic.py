"""Penalized logistic regression: binary (a :class:`~.glm.GLMProblem`) and multinomial.

Binary: minimize

.. math::

    F(\\beta_0, \\beta) = \\sum_i h_i\\big(\\log(1 + e^{\\eta_i}) - y_i\\eta_i\\big) + g(\\beta),
    \\qquad \\eta = \\beta_0 + X\\beta,\\; y_i \\in \\{0, 1\\}.

Binary logistic regression is the generic proximal-Newton GLM solver
(:mod:`.glm`) with the :class:`~shrinkage.datafits.Logistic` datafit: IRLS weights
``h_i p_i(1 − p_i)``, working residual ``(y_i − p_i)/(p_i(1 − p_i))``.

Multinomial (``K`` classes, softmax): block coordinate proximal Newton, glmnet's
scheme. For class ``k`` with the others fixed the loss is, as a function of
``η_k``, shaped like the binary one (derivative ``p_k − y_k``, curvature
``p_k(1 − p_k)``), so the same step applies class by class.

The grouped multinomial penalty (glmnet's ``type.multinomial="grouped"``) is in
:mod:`.grouped_multinomial`.

The duality gap reported uses the dual point ``θ = s(y − p)`` (``s ≤ 1`` for
feasibility): ``ℓ*`` at ``−θ`` is the negative entropy of ``y − θ``. With an intercept
``p`` is taken at the intercepts that minimize the loss for the current coefficients
(the dual then meets ``Σ_i h_i θ_ik = 0``, so the gap bounds the suboptimality at any
iterate); an ``offset`` adds ``Σ h θ·offset``.

Multinomial options (glmnet's ``family="multinomial"``): an ``(n, K)`` ``offset``
(both classes of problem) and a :class:`~shrinkage.penalties.Box` on every class
coefficient of a feature (ungrouped only: the coordinate update is clipped).
"""

from __future__ import annotations

from functools import partial

import numpy as np
import scipy.sparse as sp

from ..datafits import Logistic, Multinomial
from ..penalties import (
    Box,
    alpha_max_from_gradient,
    elastic_net_conjugate,
    kkt_violation,
    penalty_strengths,
    penalty_value,
)
from ._layout import fortran_copy
from ._multinomial_kernels import column_sums, softmax_loss_residual
from .constants import CURVATURE_FLOOR
from .glm import GLMProblem, backtracking_step, newton_direction
from .least_squares import SolveInfo

__all__ = ["LogisticProblem", "MultinomialProblem"]

#: Smooth multinomial problems (no L1 part) with at most this many parameters
#: ``K·(p + 1)`` are solved by Newton's method with the exact Hessian (a few eigen
#: decompositions of at most 256 × 256); larger ones by L-BFGS, whose steps cost
#: ``O(nKp)`` instead of the Hessian's ``O(nK²p²)``.
_NEWTON_MAX_PARAMETERS = 256

#: Below this many L-BFGS iterations' worth of a Newton step, Newton starts at once.
_LBFGS_MIN_ITERATIONS = 10


def _lbfgs_budget(n_samples: int, n_features: int, n_classes: int) -> int:
    """L-BFGS iterations that cost as much as two exact Newton steps.

    A Newton step forms ``K(K+1)/2`` weighted Grams (``n d²`` multiply-adds each,
    ``d = p + 1``) and an eigendecomposition of order ``Kd`` (measured at about four
    multiply-adds' time per ``(Kd)³``); an L-BFGS iteration two products with ``X``
    (``2nKd``), the softmax (about ``10nK``) and SciPy's own overhead (about 10⁶
    multiply-adds' time).
    """
    d = n_features + 1
    newton_step = n_samples * d * d * n_classes * (n_classes + 1) / 2 + 4.0 * (n_classes * d) ** 3
    lbfgs_iteration = 2.0 * n_samples * n_classes * d + 10.0 * n_samples * n_classes + 1e6
    return int(2.0 * newton_step / lbfgs_iteration)


class _HandOver(Exception):
    """Raised inside the L-BFGS objective to stop it for Newton's method."""


class _ProgressWatch:
    """Watches L-BFGS's evaluations and stops it when Newton will be cheaper.

    After ``k >`` :data:`_LBFGS_MIN_ITERATIONS` evaluations that shrank the largest
    gradient entry from ``g₀`` to ``g_k`` (the smallest so far), a linear rate
    forecasts ``k·log(g₀/tol)/log(g₀/g_k)`` evaluations to reach ``tol``. When that
    exceeds the ``budget`` (or ``k`` reaches it), :class:`_HandOver` is raised; the
    point of lowest objective seen so far, and its gradient, are kept for Newton's
    method. (The rate of the last few evaluations alone misfires: L-BFGS's progress
    comes in bursts.)
    """

    def __init__(self, tol: float, budget: int):
        self.tol = tol
        self.budget = budget
        self.count = 0
        self.first = np.inf
        self.smallest = np.inf
        self.best_value = np.inf
        self.best_theta = None
        self.best_gradient = None

    def observe(self, theta: np.ndarray, value: float, gradient: np.ndarray) -> None:
        self.count += 1
        size = float(np.max(np.abs(gradient), initial=0.0))
        if self.count == 1:
            self.first = size
        self.smallest = min(self.smallest, size)
        if value < self.best_value:
            self.best_value = value
            self.best_theta = theta.copy()
            self.best_gradient = gradient.copy()
        if self.count <= _LBFGS_MIN_ITERATIONS or self.smallest <= self.tol:
            return
        if self.count >= self.budget:
            raise _HandOver
        forecast = np.inf
        if self.smallest < self.first:
            gained = np.log(self.first / self.smallest)
            forecast = self.count * np.log(self.first / self.tol) / gained
        if forecast > self.budget:
            raise _HandOver


class LogisticProblem(GLMProblem):
    """Binary penalized logistic regression (labels ``y`` in {0, 1}); ``positive`` a bool
    or a :class:`~shrinkage.penalties.Box`, ``offset`` glmnet's (``η = offset + β₀ + Xβ``).
    """

    def __init__(
        self,
        X,
        y01,
        h,
        penalty_weights,
        l1_ratio=1.0,
        positive=False,
        fit_intercept=True,
        offset=None,
    ):
        super().__init__(
            Logistic, X, y01, h, penalty_weights, l1_ratio, positive, fit_intercept, offset
        )


class MultinomialProblem:
    """Softmax regression with K classes: block proximal Newton over the classes.

    ``Y`` is the one-hot matrix ``(n_samples, K)``; ``coef`` is ``(K, n_features)``.
    ``offset`` (glmnet's, an ``(n_samples, K)`` matrix) enters the linear predictor,
    ``η = offset + β₀ + XBᵀ``. ``positive`` is False or a
    :class:`~shrinkage.penalties.Box` (glmnet's ``lower.limits``/``upper.limits``): the
    bounds of feature ``j`` hold for each of its K class coefficients.
    """

    loss = "multinomial"
    datafit = Multinomial()

    def __init__(
        self,
        X,
        Y,
        h,
        penalty_weights,
        l1_ratio=1.0,
        fit_intercept=True,
        offset=None,
        positive=False,
        column_means=None,
    ):
        self.X = X if sp.issparse(X) else fortran_copy(X)
        # x̄ when X is the caller's columns centred (softmax_centring): the KKT test is
        # then taken on the caller's columns, as scikit-learn's tol means.
        self.column_means = column_means
        self.Y = np.asarray(Y, dtype=np.float64)
        self.h = h
        self.n_classes = self.Y.shape[1]
        self.n_features = X.shape[1]
        self.penalty_weights = penalty_weights
        self.l1_ratio = l1_ratio
        self.fit_intercept = fit_intercept
        self.offset = None if offset is None else np.asarray(offset, dtype=np.float64)
        if isinstance(positive, Box) and positive.is_unbounded:
            positive = False
        if positive is True:
            positive = Box.nonnegative(self.n_features)
        self.positive = positive  # False or a Box
        self.coef = np.zeros((self.n_classes, self.n_features))
        if fit_intercept:
            self.intercept = _null_intercepts(self.Y, h, self.offset)
        else:
            self.intercept = np.zeros(self.n_classes)
        self.eta = np.tile(self.intercept, (X.shape[0], 1))
        if self.offset is not None:
            self.eta += self.offset
        # The strong rule of the shared step reads the largest class gradient per feature.
        self.gradient = np.abs(self._class_gradients()).max(axis=0)

    def set_coef(self, coef: np.ndarray, intercept: np.ndarray) -> None:
        self.coef = np.array(coef, dtype=np.float64)
        self.intercept = np.array(intercept, dtype=np.float64)
        self.eta = np.asarray(self.X @ self.coef.T) + self.intercept
        if self.offset is not None:
            self.eta += self.offset

    def probabilities(self, eta=None) -> np.ndarray:
        return self.datafit.inverse_link(self.eta if eta is None else eta)

    def on_caller_columns(self, gradient, intercept_gradient, features=slice(None)):
        """The negative gradient (K, m) on the caller's columns ``X = X̃ + 1x̄ᵀ``:
        ``X̃ᵀR + (1ᵀR) x̄ᵀ`` from the one on ``X̃`` and the intercepts' ``1ᵀR``.

        The KKT test reads it, so ``tol`` bounds the gradient the caller sees. (A
        tolerance shrunk by ``1 + √K·max|x̄|`` on ``X̃`` instead asked for 1e-12 on
        columns near 5000, below the rounding of the gradient: 11-189 steps by chance.)
        """
        if self.column_means is None:
            return gradient
        return gradient + np.outer(intercept_gradient, self.column_means[features])

    def _class_gradients(self) -> np.ndarray:
        """Negative gradient ``−Xᵀ∂F/∂η``, one row per class ``(K, p)``."""
        residual = -self.datafit.gradient(self.Y, self.eta, self.h)
        return np.asarray(self.X.T @ residual).T

    @property
    def alpha_max(self) -> float:
        return alpha_max_from_gradient(
            np.abs(self._class_gradients()).max(axis=0), self.l1_ratio, self.penalty_weights, False
        )

    def absolute_tol(self, tol: float) -> float:
        return tol  # the tolerance is absolute here (the KKT violation)

    def objective(self, eta, coef, l1, l2) -> float:
        loss = self.datafit.value(self.Y, eta, self.h)
        return float(loss) + sum(penalty_value(c, l1, l2) for c in coef)

    def solve(self, alpha, working_set=None, tol=None, max_iter=None, rng=None) -> SolveInfo:
        """Minimize at ``alpha`` until the largest KKT violation is at most ``tol``
        (absolute). ``working_set`` and ``rng`` are accepted for the one ``Problem``
        signature; the class-wise working sets are grown from the KKT check instead.
        """
        if max_iter is None and np.ndim(working_set) == 0:
            # The pre-protocol call solve(alpha, tol, max_iter), kept until every
            # caller passes the working set.
            working_set, tol, max_iter = None, working_set, tol
        del working_set, rng
        l1, l2 = penalty_strengths(alpha, self.l1_ratio, self.penalty_weights)
        if not np.any(l1 > 0) and self.positive is False:
            return self._solve_smooth(l1, l2, tol, max_iter)
        working_sets = np.zeros((self.n_classes, self.n_features), dtype=bool)
        n_iter = 0
        while True:
            P = self.probabilities()
            residual = self.h[:, None] * (self.Y - P)
            gradient = np.asarray(self.X.T @ residual).T  # (K, p), negative gradient
            intercept_gradient = column_sums(residual)
            caller = self.on_caller_columns(gradient, intercept_gradient)
            violation = np.stack(
                [
                    kkt_violation(caller[k], self.coef[k], l1, l2, self.positive)
                    for k in range(self.n_classes)
                ]
            )
            intercept_violation = np.abs(intercept_gradient) if self.fit_intercept else 0
            worst = max(violation.max(), np.max(intercept_violation))
            if worst <= tol or n_iter >= max_iter:
                self._center_free_parameters()
                gap = self.duality_gap(gradient, P, l1, l2)
                self.gradient = np.abs(gradient).max(axis=0)
                return SolveInfo(gap, n_iter, gradient, worst <= tol)
            working_sets |= violation > 0
            working_sets |= self.coef != 0
            working_sets |= self.penalty_weights == 0
            seen = worst  # the inner targets scale with what the model (on self.X) sees
            if caller is not gradient:
                seen = max(
                    max(
                        kkt_violation(gradient[k], self.coef[k], l1, l2, self.positive).max()
                        for k in range(self.n_classes)
                    ),
                    np.max(intercept_violation),
                )
            for k in range(self.n_classes):
                self._class_step(k, np.flatnonzero(working_sets[k]), l1, l2, seen)
            n_iter += 1

    def _solve_smooth(self, l1, l2, tol, max_iter) -> SolveInfo:
        """No L1 part: the objective is smooth. Stops when the largest gradient entry is
        at most ``tol``.

        L-BFGS (SciPy, as scikit-learn) first: its iterations cost ``O(nKp)``. When the
        exact Hessian is small (:data:`_NEWTON_MAX_PARAMETERS`), L-BFGS may spend only
        what two Newton steps cost (:func:`_lbfgs_budget`), and hands over earlier when
        its progress so far forecasts more (:class:`_ProgressWatch`). Newton's method
        then finishes from the best point L-BFGS found: quadratic convergence where
        L-BFGS crawls (a weak penalty on unscaled or nearly collinear features),
        L-BFGS's speed where it does not.
        """
        n_parameters = self.n_classes * (self.n_features + int(self.fit_intercept))
        if n_parameters > _NEWTON_MAX_PARAMETERS:
            return self._solve_smooth_lbfgs(l1, l2, tol, max_iter)
        budget = min(max_iter, _lbfgs_budget(self.X.shape[0], self.n_features, self.n_classes))
        n_iter = 0
        if budget >= _LBFGS_MIN_ITERATIONS:
            watch = _ProgressWatch(tol, budget)
            info = self._solve_smooth_lbfgs(l1, l2, tol, max_iter, watch)
            if info.converged or info.n_iter >= max_iter:
                return info
            n_iter = info.n_iter
        info = self._solve_smooth_newton(l1, l2, tol, max_iter - n_iter)
        info.n_iter += n_iter
        return info

    def _solve_smooth_lbfgs(self, l1, l2, tol, max_iter, watch=None) -> SolveInfo:
        """L-BFGS (SciPy). Converged when the largest gradient entry is at most ``tol``
        or, as scikit-learn counts it, when L-BFGS reports success (``F`` no longer
        decreasing). With a ``watch`` (:class:`_ProgressWatch`) only the gradient counts,
        and L-BFGS stops, unconverged, at the best point so far when the watch says so.
        """
        from scipy.optimize import minimize

        n_classes, n_features = self.coef.shape

        def objective_and_gradient(theta):
            coef = theta[: n_classes * n_features].reshape(n_classes, n_features)
            intercept = theta[n_classes * n_features :] * self.fit_intercept
            eta = np.asarray(self.X @ coef.T) + intercept
            if self.offset is not None:
                eta = eta + self.offset
            residual = np.empty_like(eta)
            value = softmax_loss_residual(eta, self.Y, self.h, residual)
            value += 0.5 * np.sum(l2 * coef * coef)
            grad_coef = np.asarray(self.X.T @ residual).T + l2 * coef
            grad_intercept = column_sums(residual) * self.fit_intercept
            gradient = np.concatenate([grad_coef.ravel(), grad_intercept])
            if watch is not None:
                watch.observe(theta, value, gradient)
            return value, gradient

        start = np.concatenate([self.coef.ravel(), self.intercept])
        try:
            result = minimize(
                objective_and_gradient,
                start,
                jac=True,
                method="L-BFGS-B",
                options={
                    "maxiter": max_iter,
                    "maxls": 50,
                    "gtol": tol,
                    "ftol": 64 * np.finfo(float).eps,
                },
            )
            theta, jac, n_iter = result.x, result.jac, int(result.nit)
            success = bool(result.success) and watch is None
        except _HandOver:
            theta, jac, n_iter, success = watch.best_theta, watch.best_gradient, watch.count, False
        self.set_coef(
            theta[: n_classes * n_features].reshape(n_classes, n_features),
            theta[n_classes * n_features :] * self.fit_intercept,
        )
        gradient = -jac[: n_classes * n_features].reshape(n_classes, n_features)
        gradient = gradient + l2 * self.coef  # back to the data-fit part alone
        self._center_free_parameters()
        worst = float(np.max(np.abs(jac), initial=0.0))
        gap = self.duality_gap(gradient, self.probabilities(), l1, l2)
        self.gradient = np.abs(gradient).max(axis=0)
        # As scikit-learn: L-BFGS's own success (f no longer decreasing) also counts.
        return SolveInfo(gap, n_iter, gradient, worst <= tol or success)

    def _solve_smooth_newton(self, l1, l2, tol, max_iter) -> SolveInfo:
        """Newton's method with the exact softmax Hessian and Armijo backtracking.

        With ``X̃ = [X, 1]`` (the column of ones only with an intercept) and ``Θ`` the
        ``K × d`` coefficients, the objective ``F(Θ) = Σ_i h_i ℓ(y_i, X̃_iΘᵀ) + ½Σ_j l2_j‖B_·j‖²``
        has gradient ``G_k = X̃ᵀh(p_k − y_k) + l2 ⊙ B_k`` and Hessian blocks

        ``H_kl = X̃ᵀ diag(h (δ_kl p_k − p_k p_l)) X̃ + δ_kl diag(l2, 0)``.

        ``H`` is singular along the shift common to all classes (intercepts and
        unpenalized columns): the least-norm solution of ``HΔ = −G`` leaves that shift
        alone. Quadratic convergence matters on ill-conditioned problems (a weak
        penalty on unscaled features), where L-BFGS needs far more than ``max_iter``
        iterations for a small ``tol``: the same ``tol`` then means the same answer
        from any start (a fresh fit or a warm-started path). Stops when the largest
        gradient entry is at most ``tol``, or when no step lowers ``F`` (rounding).
        """
        from .least_squares import _least_norm_solve

        n_classes, n_features = self.coef.shape
        design = self.X
        if self.fit_intercept:
            ones = np.ones((self.X.shape[0], 1))
            if sp.issparse(self.X):
                design = sp.hstack([self.X, ones], format="csr")
            else:
                design = np.hstack([self.X, ones])
        width = n_features + int(self.fit_intercept)
        ridge = np.zeros(width)
        ridge[:n_features] = l2
        theta = np.hstack([self.coef, self.intercept[:, None]])[:, :width].copy()

        def objective(theta_, eta_):
            return self.datafit.value(self.Y, eta_, self.h) + 0.5 * np.sum(ridge * theta_ * theta_)

        eta = np.asarray(design @ theta.T)
        if self.offset is not None:
            eta = eta + self.offset
        n_iter = 0
        stalled = False
        while True:
            P = self.datafit.inverse_link(eta)
            grad = np.asarray(design.T @ (self.h[:, None] * (P - self.Y))).T + ridge * theta
            if float(np.max(np.abs(grad), initial=0.0)) <= tol or n_iter >= max_iter or stalled:
                break
            hessian = np.empty((n_classes * width, n_classes * width))
            for k in range(n_classes):
                for m in range(k, n_classes):
                    w = self.h * ((k == m) * P[:, k] - P[:, k] * P[:, m])
                    block = _weighted_gram(design, w)
                    if k == m:
                        block[np.diag_indices(width)] += ridge
                    hessian[k * width : (k + 1) * width, m * width : (m + 1) * width] = block
                    hessian[m * width : (m + 1) * width, k * width : (k + 1) * width] = block.T
            direction = -_least_norm_solve(hessian, grad.ravel()).reshape(n_classes, width)
            d_eta = np.asarray(design @ direction.T)
            step = backtracking_step(
                partial(_trial_objective, objective, theta, direction, eta, d_eta),
                objective(theta, eta),
                float(np.sum(grad * direction)),
            )
            n_iter += 1
            if step is None:
                stalled = True  # no decrease left to find: F is flat to rounding here
                continue
            theta += step * direction
            eta += step * d_eta
        intercept = theta[:, n_features] if self.fit_intercept else np.zeros(n_classes)
        self.set_coef(theta[:, :n_features], intercept)
        gradient = -(grad[:, :n_features] - l2 * self.coef)  # the data-fit part alone
        worst = float(np.max(np.abs(grad), initial=0.0))
        self._center_free_parameters()
        gap = self.duality_gap(gradient, self.probabilities(), l1, l2)
        self.gradient = np.abs(gradient).max(axis=0)
        return SolveInfo(gap, n_iter, gradient, worst <= tol or stalled)

    def _center_free_parameters(self) -> None:
        """Softmax is unchanged by a shift common to all classes: remove it from the
        intercepts and unpenalized coefficients (as lbfgs, started at zero, does).
        Not the coefficients under a box: the shift could leave it."""
        self.intercept -= self.intercept.mean()
        if self.positive is not False:
            return
        free = self.penalty_weights == 0
        self.coef[:, free] -= self.coef[:, free].mean(axis=0)

    def duality_gap(self, gradient, P, l1, l2) -> float:
        """Gap at ``θ = s(Y − P)``: ``ℓ*`` is the negative entropy of ``Y − θ``.

        With ``η = offset + β₀ + XBᵀ`` the dual is ``−Σ_i h_i ℓ*(−θ_i) − g*(Xᵀhθ) −
        Σ_ik h_i θ_ik offset_ik``, so the gap gains ``Σ h θ offset``. ``s`` keeps the
        pure-L1 coordinates feasible on the sides the box leaves open; bounded sides
        (and the ridge part) add the box's ``g_j*``, finite there (as the binary
        :meth:`~.glm.GLMProblem.duality_gap`).
        """
        gradient, P = self._dual_feasible(gradient, P)
        box = self.positive if self.positive is not False else Box.unbounded(self.n_features)
        pure_l1 = (l2 == 0) & (l1 > 0)
        score = np.maximum(
            np.where(box.upper == np.inf, gradient, 0.0),
            np.where(box.lower == -np.inf, -gradient, 0.0),
        )
        scale = 1.0
        if np.any(pure_l1):
            worst = np.max(score[:, pure_l1] / l1[pure_l1])
            if worst > 1.0:
                scale = 1.0 / worst
        theta = scale * (self.Y - P)
        dual_loss = self.datafit.conjugate(self.Y, theta, self.h)
        if self.offset is not None:
            dual_loss += float(np.sum(self.h[:, None] * theta * self.offset))
        smooth = l2 > 0
        if self.positive is False:
            conjugate = sum(
                elastic_net_conjugate(scale * row[smooth], l1[smooth], l2[smooth])
                for row in gradient
            )
        else:
            penalized = smooth | pure_l1
            bound = np.where(pure_l1, l1, np.inf)
            conjugate = 0.0
            for row in gradient:
                # Pure-L1 open sides are feasible by the choice of s: clip away rounding.
                z_open = np.clip(
                    scale * row,
                    np.where(box.lower == -np.inf, -bound, -np.inf),
                    np.where(box.upper == np.inf, bound, np.inf),
                )
                conjugate += elastic_net_conjugate(
                    z_open[penalized], l1[penalized], l2[penalized], box.subset(penalized)
                )
        primal = self.objective(self.eta, self.coef, l1, l2)
        return float(max(primal + dual_loss + conjugate, 0.0))

    def _dual_feasible(self, gradient, P):
        """``(−∇_B F, P)`` at the intercepts that minimize the loss for the current
        ``B`` (with an intercept): the dual of a free intercept requires
        ``Σ_i h_i θ_ik = 0`` for every class, which ``θ = s(Y − P)`` meets only there.
        Away from it, the dual at the current ``P`` is no lower bound of the optimum
        and the gap could understate the suboptimality (even turn negative)."""
        if not self.fit_intercept:
            return gradient, P
        rest = self.eta - self.intercept  # offset + XBᵀ
        intercept = _null_intercepts(self.Y, self.h, rest, start=self.intercept)
        P = self.datafit.inverse_link(rest + intercept)
        gradient = np.asarray(self.X.T @ (self.h[:, None] * (self.Y - P))).T
        return gradient, P

    def _class_step(self, k, features, l1, l2, violation) -> None:
        P = self.probabilities()
        p = P[:, k]
        gradient = np.asarray(self.X.T @ (self.h * (self.Y[:, k] - p))).ravel()
        intercept_gradient = float(np.dot(self.h, self.Y[:, k] - p))
        # For class k with the others fixed the loss is shaped like the binary one.
        weights, residual = self.datafit.newton_model(self.Y, self.eta, self.h, CURVATURE_FLOOR)
        weights, residual = weights[:, k], residual[:, k]
        delta, delta_intercept, X_delta = newton_direction(
            self.X[:, features],
            weights,
            residual,
            self.coef[k],
            l1,
            l2,
            self.positive,
            self.fit_intercept,
            features,
            violation,
        )
        old_objective = self.objective(self.eta, self.coef, l1, l2)
        new_row = self.coef[k].copy()
        new_row[features] += delta
        decrement = (
            -gradient[features] @ delta
            - intercept_gradient * delta_intercept
            + penalty_value(new_row, l1, l2)
            - penalty_value(self.coef[k], l1, l2)
        )

        def objective_at(step):
            trial_coef = self.coef.copy()
            trial_coef[k, features] += step * delta
            trial_eta = self.eta.copy()
            trial_eta[:, k] += step * X_delta
            return self.objective(trial_eta, trial_coef, l1, l2)

        step = backtracking_step(objective_at, old_objective, decrement)
        if step is not None:
            self.coef[k, features] += step * delta
            self.eta[:, k] += step * X_delta
            self.intercept[k] += step * delta_intercept


def _null_intercepts(Y, h, offset, tol=1e-13, max_iter=100, start=None) -> np.ndarray:
    """Intercepts of the intercept-only softmax model, centred to sum zero.

    Without an offset, the centred log class priors. With one (``η_i = offset_i +
    β₀``), Newton's method on ``Σ_i h_i ℓ(y_i, offset_i + β₀)``: gradient
    ``Σ_i h_i(p_i − y_i)``, Hessian ``Σ_i h_i(diag p_i − p_i p_iᵀ)``, singular along the
    common shift (least-norm steps leave it alone). ``start``: where Newton starts
    (default the log class priors).
    """
    intercept = Multinomial.null_eta(Y, h, None) if start is None else np.array(start, float)
    if offset is None:
        return intercept
    P = Multinomial.inverse_link(offset + intercept)
    gradient = column_sums(h[:, None] * (P - Y))
    for _ in range(max_iter):
        size = np.max(np.abs(gradient))
        if size <= tol:
            break
        hP = h[:, None] * P
        hessian = np.diag(column_sums(hP)) - hP.T @ P
        direction = -np.linalg.pinv(hessian) @ gradient
        old = Multinomial.value(Y, offset + intercept, h)
        step = 1.0
        while step > 1e-10:
            trial = intercept + step * direction
            trial_P = Multinomial.inverse_link(offset + trial)
            trial_gradient = column_sums(h[:, None] * (trial_P - Y))
            # Near the optimum the loss changes below its rounding: a step that
            # shrinks the gradient is progress there (Newton's quadratic phase).
            if (
                Multinomial.value(Y, offset + trial, h) <= old
                or np.max(np.abs(trial_gradient)) < size
            ):
                break
            step *= 0.5
        else:
            break  # no step makes progress: the intercepts are optimal to rounding
        intercept, P, gradient = trial, trial_P, trial_gradient
    return intercept - intercept.mean()


def _trial_objective(objective, theta, direction, eta, d_eta, step) -> float:
    """``objective`` at ``theta + step·direction`` (``η`` moves by ``step·d_eta``)."""
    return objective(theta + step * direction, eta + step * d_eta)


def _weighted_gram(design, w) -> np.ndarray:
    """``X̃ᵀ diag(w) X̃`` as a dense array (``w`` may have any sign)."""
    if sp.issparse(design):
        return np.asarray((design.T @ design.multiply(w[:, None])).todense())
    return design.T @ (w[:, None] * design)
