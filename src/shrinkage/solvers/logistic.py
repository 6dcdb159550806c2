"""Penalized logistic regression by proximal Newton around the coordinate-descent kernels.

Binary: minimize

.. math::

    F(\\beta_0, \\beta) = \\sum_i h_i\\big(\\log(1 + e^{\\eta_i}) - y_i\\eta_i\\big) + g(\\beta),
    \\qquad \\eta = \\beta_0 + X\\beta,\\; y_i \\in \\{0, 1\\}.

Each outer step builds the quadratic model of the loss at the current point (IRLS
weights ``h_i p_i(1 − p_i)``, working residual ``(y_i − p_i)/(p_i(1 − p_i))``),
minimizes model + penalty over the working set with the same coordinate-descent
kernels as least squares (the intercept profiled out by weighted centring), and
moves along the resulting direction with a backtracking line search on ``F``. The
working set grows with the features that violate their KKT conditions; the solver
stops when the largest KKT violation (intercept included) is at most ``tol``.

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
from scipy.special import expit, log_softmax, xlogy

from ..losses import Logistic
from ._designs import DenseDesign, SparseDesign
from .least_squares import SolveInfo, kkt_violation, solve_working_set
from .problems import alpha_max_from_gradient, penalty_strengths, weighted_column_means

_MIN_CURVATURE = 1e-10
_INNER_ROUNDS = 10
_ARMIJO = 1e-4


def _penalty_value(coef, l1, l2) -> float:
    return float(np.dot(l1, np.abs(coef)) + 0.5 * np.dot(l2, coef * coef))


def _newton_direction(sub, y01, p, h, coef, l1, l2, positive, fit_intercept, features, violation):
    """Minimize the quadratic model + penalty over ``features`` (``sub = X[:, features]``).

    Returns ``(delta_coef, delta_intercept, X_delta)`` where ``X_delta`` is the
    change of the linear predictor for a unit step.
    """
    curvature = np.maximum(p * (1.0 - p), _MIN_CURVATURE)
    weights = h * curvature
    residual = (y01 - p) / curvature
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
        _INNER_ROUNDS,
    )
    delta = new_coef - coef[features]
    delta_intercept = shift - float(mu @ delta)
    X_delta = np.asarray(sub @ delta).ravel() + delta_intercept
    return delta, delta_intercept, X_delta


def _sufficient_decrease(new, old, step, decrement) -> bool:
    """Armijo's test, with slack for the rounding of ``F`` near the optimum."""
    return new <= old + _ARMIJO * step * min(decrement, 0.0) + 1e-15 * abs(old)


def _backtracking_step(objective_at, old_objective, decrement) -> float | None:
    """Largest step in {1, ½, ¼, …} that passes Armijo's test, or None."""
    step = 1.0
    for _ in range(30):
        if _sufficient_decrease(objective_at(step), old_objective, step, decrement):
            return step
        step *= 0.5
    return None


class LogisticProblem:
    """Binary penalized logistic regression (labels ``y`` in {0, 1})."""

    loss = "logistic"

    def __init__(
        self, X, y01, h, penalty_weights, l1_ratio=1.0, positive=False, fit_intercept=True
    ):
        self.X = X if sp.issparse(X) else np.asfortranarray(X)
        self.y = np.asarray(y01, dtype=np.float64)
        self.h = h
        self.n_features = X.shape[1]
        self.penalty_weights = penalty_weights
        self.l1_ratio = l1_ratio
        self.positive = positive
        self.fit_intercept = fit_intercept
        self.coef = np.zeros(self.n_features)
        mean = float(np.dot(h, self.y))
        if fit_intercept:
            mean = min(max(mean, 1e-12), 1 - 1e-12)
            self.intercept_ = float(np.log(mean / (1.0 - mean)))
        else:
            self.intercept_ = 0.0
        self.eta = np.full(X.shape[0], self.intercept_)
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
        """KKT target for a relative ``tol``: ``tol·‖∇f(null model)‖∞``, the gradient
        of the intercept-only fit, which sets the scale of every violation."""
        return tol * max(self._null_gradient_norm, np.finfo(float).tiny)

    def _gradient(self):
        """Negative gradient ``Σ h_i x_ij (y_i − p_i)`` and its intercept component."""
        p = expit(self.eta)
        weighted = self.h * (self.y - p)
        return np.asarray(self.X.T @ weighted).ravel(), float(weighted.sum()), p

    def objective(self, eta, coef, l1, l2) -> float:
        return Logistic.value(self.y, eta, self.h) + _penalty_value(coef, l1, l2)

    def set_coef(self, coef: np.ndarray) -> None:
        self.coef = np.array(coef, dtype=np.float64)
        self.eta = np.asarray(self.X @ self.coef).ravel() + self.intercept_
        self.gradient = self._gradient()[0]

    def solve(self, alpha, working_set, tol, max_iter, rng=None, relative=True) -> SolveInfo:
        """Minimize at ``alpha``: stop when every KKT violation is at most ``tol``
        relative to the null model's gradient (``relative=False``: absolute)."""
        del rng  # the order of coordinates is fixed here
        l1, l2 = penalty_strengths(alpha, self.l1_ratio, self.penalty_weights)
        target = self.absolute_tol(tol) if relative else tol
        return self._minimize(l1, l2, working_set, target, max_iter)

    def _minimize(self, l1, l2, working_set, tol, max_iter, movable=None) -> SolveInfo:
        """Proximal Newton from the current point; only ``movable`` features may change.

        Newton steps run on the working set until its KKT conditions hold; only then
        is the full gradient (O(n·p)) computed to look for violators outside it.
        """
        working_set |= self.coef != 0
        working_set |= self.penalty_weights == 0
        if movable is not None:
            working_set &= movable
        n_iter = 0
        while True:
            features = np.flatnonzero(working_set)
            sub = self.X[:, features]  # one copy per working set, reused by every step
            while n_iter < max_iter:
                p = expit(self.eta)
                weighted = self.h * (self.y - p)
                gradient_ws = np.asarray(sub.T @ weighted).ravel()
                intercept_gradient = float(weighted.sum())
                violation_ws = kkt_violation(
                    gradient_ws, self.coef[features], l1[features], l2[features], self.positive
                )
                worst = max(
                    violation_ws.max(initial=0.0),
                    abs(intercept_gradient) if self.fit_intercept else 0.0,
                )
                if worst <= tol:
                    break
                self._newton_step(features, sub, p, gradient_ws, intercept_gradient, l1, l2, worst)
                n_iter += 1
            gradient, intercept_gradient, p = self._gradient()
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
                gap = self.duality_gap(gradient, p, l1, l2)
                return SolveInfo(gap, n_iter, gradient, worst <= tol)
            working_set |= grows

    def _newton_step(self, features, sub, p, gradient_ws, intercept_gradient, l1, l2, violation):
        delta, delta_intercept, X_delta = _newton_direction(
            sub,
            self.y,
            p,
            self.h,
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
            + _penalty_value(trial_coef, l1, l2)
            - _penalty_value(self.coef, l1, l2)
        )

        def objective_at(step):
            trial_coef = self.coef.copy()
            trial_coef[features] += step * delta
            return self.objective(self.eta + step * X_delta, trial_coef, l1, l2)

        step = _backtracking_step(objective_at, old_objective, decrement)
        if step is not None:
            self.coef[features] += step * delta
            self.eta = self.eta + step * X_delta
            self.intercept_ += step * delta_intercept

    def duality_gap(self, gradient, p, l1, l2) -> float:
        """Gap at the dual point ``θ = s(y − p)``; exact zero only at the optimum."""
        pure_l1 = (l2 == 0) & (l1 > 0)
        score = gradient if self.positive else np.abs(gradient)
        scale = 1.0
        if np.any(pure_l1):
            worst = np.max(score[pure_l1] / l1[pure_l1])
            if worst > 1.0:
                scale = 1.0 / worst
        mean = (1.0 - scale) * self.y + scale * p
        smooth = l2 > 0
        excess = np.maximum(scale * score[smooth] - l1[smooth], 0.0)
        conjugate = np.sum(excess * excess / (2.0 * l2[smooth]))
        primal = self.objective(self.eta, self.coef, l1, l2)
        dual_loss = Logistic.conjugate_at_residual(self.y, mean, self.h)
        return float(max(primal + dual_loss + conjugate, 0.0))


class MultinomialProblem:
    """Softmax regression with K classes: block proximal Newton over the classes.

    ``Y`` is the one-hot matrix ``(n_samples, K)``; ``coef`` is ``(K, n_features)``.
    """

    loss = "multinomial"

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
            prior = np.clip(h @ self.Y, 1e-12, None)
            self.intercept = np.log(prior) - np.log(prior).mean()
        else:
            self.intercept = np.zeros(self.n_classes)
        self.eta = np.tile(self.intercept, (X.shape[0], 1))

    def set_coef(self, coef: np.ndarray, intercept: np.ndarray) -> None:
        self.coef = np.array(coef, dtype=np.float64)
        self.intercept = np.array(intercept, dtype=np.float64)
        self.eta = np.asarray(self.X @ self.coef.T) + self.intercept

    def probabilities(self, eta=None) -> np.ndarray:
        return np.exp(log_softmax(self.eta if eta is None else eta, axis=1))

    def objective(self, eta, coef, l1, l2) -> float:
        loss = -np.sum(self.h[:, None] * self.Y * log_softmax(eta, axis=1))
        return float(loss) + sum(_penalty_value(c, l1, l2) for c in coef)

    def solve(self, alpha, tol, max_iter) -> SolveInfo:
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
        scale = self.h[:, None]

        def objective_and_gradient(theta):
            coef = theta[: n_classes * n_features].reshape(n_classes, n_features)
            intercept = theta[n_classes * n_features :] * self.fit_intercept
            eta = np.asarray(self.X @ coef.T) + intercept
            log_p = log_softmax(eta, axis=1)
            value = -np.sum(scale * self.Y * log_p) + 0.5 * np.sum(l2 * coef * coef)
            residual = scale * (np.exp(log_p) - self.Y)
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
        mean = (1.0 - scale) * self.Y + scale * P
        entropy = np.sum(xlogy(mean, mean), axis=1)
        smooth = l2 > 0
        excess = np.maximum(scale * np.abs(gradient[:, smooth]) - l1[smooth], 0.0)
        conjugate = np.sum(excess * excess / (2.0 * l2[smooth]))
        primal = self.objective(self.eta, self.coef, l1, l2)
        return float(max(primal + np.dot(self.h, entropy) + conjugate, 0.0))

    def _class_step(self, k, features, l1, l2, violation) -> None:
        P = self.probabilities()
        p = P[:, k]
        gradient = np.asarray(self.X.T @ (self.h * (self.Y[:, k] - p))).ravel()
        intercept_gradient = float(np.dot(self.h, self.Y[:, k] - p))
        delta, delta_intercept, X_delta = _newton_direction(
            self.X[:, features],
            self.Y[:, k],
            p,
            self.h,
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
            + _penalty_value(new_row, l1, l2)
            - _penalty_value(self.coef[k], l1, l2)
        )

        def objective_at(step):
            trial_coef = self.coef.copy()
            trial_coef[k, features] += step * delta
            trial_eta = self.eta.copy()
            trial_eta[:, k] += step * X_delta
            return self.objective(trial_eta, trial_coef, l1, l2)

        step = _backtracking_step(objective_at, old_objective, decrement)
        if step is not None:
            self.coef[k, features] += step * delta
            self.eta[:, k] += step * X_delta
            self.intercept[k] += step * delta_intercept
