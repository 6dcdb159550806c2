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

The duality gap reported uses the dual point ``θ = s(y − p)`` (``s ≤ 1`` for
feasibility): ``ℓ*`` at ``−θ`` is the negative entropy of ``y − θ``.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from ..datafits import Logistic, Multinomial
from ..penalties import (
    alpha_max_from_gradient,
    elastic_net_conjugate,
    kkt_violation,
    penalty_strengths,
    penalty_value,
)
from .constants import CURVATURE_FLOOR
from .glm import GLMProblem, backtracking_step, newton_direction
from .least_squares import SolveInfo

__all__ = ["LogisticProblem", "MultinomialProblem"]


class LogisticProblem(GLMProblem):
    """Binary penalized logistic regression (labels ``y`` in {0, 1})."""

    def __init__(
        self, X, y01, h, penalty_weights, l1_ratio=1.0, positive=False, fit_intercept=True
    ):
        super().__init__(Logistic, X, y01, h, penalty_weights, l1_ratio, positive, fit_intercept)


class MultinomialProblem:
    """Softmax regression with K classes: block proximal Newton over the classes.

    ``Y`` is the one-hot matrix ``(n_samples, K)``; ``coef`` is ``(K, n_features)``.
    """

    loss = "multinomial"
    datafit = Multinomial()
    positive = False  # the sign constraint is not offered for softmax

    def __init__(self, X, Y, h, penalty_weights, l1_ratio=1.0, fit_intercept=True):
        self.X = X if sp.issparse(X) else np.asfortranarray(X)
        self.Y = np.asarray(Y, dtype=np.float64)
        self.h = h
        self.n_classes = self.Y.shape[1]
        self.n_features = X.shape[1]
        self.penalty_weights = penalty_weights
        self.l1_ratio = l1_ratio
        self.fit_intercept = fit_intercept
        self.coef = np.zeros((self.n_classes, self.n_features))
        if fit_intercept:
            self.intercept = self.datafit.null_eta(self.Y, h, None)
        else:
            self.intercept = np.zeros(self.n_classes)
        self.eta = np.tile(self.intercept, (X.shape[0], 1))
        # The strong rule of the shared step reads the largest class gradient per feature.
        self.gradient = np.abs(self._class_gradients()).max(axis=0)

    def set_coef(self, coef: np.ndarray, intercept: np.ndarray) -> None:
        self.coef = np.array(coef, dtype=np.float64)
        self.intercept = np.array(intercept, dtype=np.float64)
        self.eta = np.asarray(self.X @ self.coef.T) + self.intercept

    def probabilities(self, eta=None) -> np.ndarray:
        return self.datafit.inverse_link(self.eta if eta is None else eta)

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
        if not np.any(l1 > 0):
            return self._solve_smooth(l1, l2, tol, max_iter)
        working_sets = np.zeros((self.n_classes, self.n_features), dtype=bool)
        n_iter = 0
        while True:
            P = self.probabilities()
            residual = self.h[:, None] * (self.Y - P)
            gradient = np.asarray(self.X.T @ residual).T  # (K, p), negative gradient
            violation = np.stack(
                [
                    kkt_violation(gradient[k], self.coef[k], l1, l2, False)
                    for k in range(self.n_classes)
                ]
            )
            intercept_violation = np.abs(residual.sum(axis=0)) if self.fit_intercept else 0
            worst = max(violation.max(), np.max(intercept_violation))
            if worst <= tol or n_iter >= max_iter:
                self._center_free_parameters()
                gap = self.duality_gap(gradient, P, l1, l2)
                self.gradient = np.abs(gradient).max(axis=0)
                return SolveInfo(gap, n_iter, gradient, worst <= tol)
            working_sets |= violation > 0
            working_sets |= self.coef != 0
            working_sets |= self.penalty_weights == 0
            for k in range(self.n_classes):
                self._class_step(k, np.flatnonzero(working_sets[k]), l1, l2, worst)
            n_iter += 1

    def _solve_smooth(self, l1, l2, tol, max_iter) -> SolveInfo:
        """No L1 part: the objective is smooth, and L-BFGS (SciPy) is the right tool,
        as in scikit-learn. Stops when the largest gradient entry is at most ``tol``."""
        from scipy.optimize import minimize

        n_classes, n_features = self.coef.shape

        def objective_and_gradient(theta):
            coef = theta[: n_classes * n_features].reshape(n_classes, n_features)
            intercept = theta[n_classes * n_features :] * self.fit_intercept
            eta = np.asarray(self.X @ coef.T) + intercept
            value = self.datafit.value(self.Y, eta, self.h) + 0.5 * np.sum(l2 * coef * coef)
            residual = self.datafit.gradient(self.Y, eta, self.h)
            grad_coef = np.asarray(self.X.T @ residual).T + l2 * coef
            grad_intercept = residual.sum(axis=0) * self.fit_intercept
            return value, np.concatenate([grad_coef.ravel(), grad_intercept])

        start = np.concatenate([self.coef.ravel(), self.intercept])
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
        self.set_coef(
            result.x[: n_classes * n_features].reshape(n_classes, n_features),
            result.x[n_classes * n_features :] * self.fit_intercept,
        )
        gradient = -result.jac[: n_classes * n_features].reshape(n_classes, n_features)
        gradient = gradient + l2 * self.coef  # back to the data-fit part alone
        self._center_free_parameters()
        worst = float(np.max(np.abs(result.jac), initial=0.0))
        gap = self.duality_gap(gradient, self.probabilities(), l1, l2)
        self.gradient = np.abs(gradient).max(axis=0)
        # As scikit-learn: L-BFGS's own success (f no longer decreasing) also counts.
        return SolveInfo(gap, int(result.nit), gradient, bool(result.success) or worst <= tol)

    def _center_free_parameters(self) -> None:
        """Softmax is unchanged by a shift common to all classes: remove it from the
        intercepts and unpenalized coefficients (as lbfgs, started at zero, does)."""
        self.intercept -= self.intercept.mean()
        free = self.penalty_weights == 0
        self.coef[:, free] -= self.coef[:, free].mean(axis=0)

    def duality_gap(self, gradient, P, l1, l2) -> float:
        """Gap at ``θ = s(Y − P)``: ``ℓ*`` is the negative entropy of ``Y − θ``."""
        pure_l1 = (l2 == 0) & (l1 > 0)
        scale = 1.0
        if np.any(pure_l1):
            worst = np.max(np.abs(gradient[:, pure_l1]) / l1[pure_l1])
            if worst > 1.0:
                scale = 1.0 / worst
        dual_loss = self.datafit.conjugate(self.Y, scale * (self.Y - P), self.h)
        smooth = l2 > 0
        conjugate = sum(
            elastic_net_conjugate(scale * row[smooth], l1[smooth], l2[smooth]) for row in gradient
        )
        primal = self.objective(self.eta, self.coef, l1, l2)
        return float(max(primal + dual_loss + conjugate, 0.0))

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
            False,
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
