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

Grouped multinomial (:class:`GroupedMultinomialProblem`, glmnet's
``type.multinomial="grouped"``): the penalty is ``Σ_j l1_j‖B_·j‖₂ + ½ l2_j‖B_·j‖₂²``
over each feature's K class coefficients. Proximal Newton with the exact K × K
softmax Hessian blocks: each outer step minimizes the quadratic model of the loss
plus the penalty by block coordinate descent over the features (each block exactly,
by a one-dimensional secular equation in ``‖B_·j‖``), then backtracks on the true
objective.

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
from numba import njit

from ..datafits import Logistic, Multinomial
from ..penalties import (
    Box,
    alpha_max_from_gradient,
    elastic_net_conjugate,
    group_alpha_max,
    group_conjugate,
    group_kkt_violation,
    group_penalty_value,
    kkt_violation,
    penalty_strengths,
    penalty_value,
)
from ._kernels import _FASTMATH
from .constants import CURVATURE_FLOOR
from .glm import GLMProblem, backtracking_step, newton_direction
from .least_squares import SolveInfo

__all__ = ["GroupedMultinomialProblem", "LogisticProblem", "MultinomialProblem"]

#: Smooth multinomial problems (no L1 part) with at most this many parameters
#: ``K·(p + 1)`` are solved by Newton's method with the exact Hessian (a few eigen
#: decompositions of at most 256 × 256); larger ones by L-BFGS, whose steps cost
#: ``O(nKp)`` instead of the Hessian's ``O(nK²p²)``.
_NEWTON_MAX_PARAMETERS = 256


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
    ):
        self.X = X if sp.issparse(X) else np.asfortranarray(X)
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
            violation = np.stack(
                [
                    kkt_violation(gradient[k], self.coef[k], l1, l2, self.positive)
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
        """No L1 part: the objective is smooth. Newton's method with the exact
        Hessian when it is small (:data:`_NEWTON_MAX_PARAMETERS`), else L-BFGS (SciPy),
        as in scikit-learn. Stops when the largest gradient entry is at most ``tol``."""
        n_parameters = self.n_classes * (self.n_features + int(self.fit_intercept))
        if n_parameters <= _NEWTON_MAX_PARAMETERS:
            return self._solve_smooth_newton(l1, l2, tol, max_iter)
        from scipy.optimize import minimize

        n_classes, n_features = self.coef.shape

        def objective_and_gradient(theta):
            coef = theta[: n_classes * n_features].reshape(n_classes, n_features)
            intercept = theta[n_classes * n_features :] * self.fit_intercept
            eta = np.asarray(self.X @ coef.T) + intercept
            if self.offset is not None:
                eta = eta + self.offset
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
    for _ in range(max_iter):
        P = Multinomial.inverse_link(offset + intercept)
        gradient = (h[:, None] * (P - Y)).sum(axis=0)
        if np.max(np.abs(gradient)) <= tol:
            break
        hP = h[:, None] * P
        hessian = np.diag(hP.sum(axis=0)) - hP.T @ P
        direction = -np.linalg.pinv(hessian) @ gradient
        old = Multinomial.value(Y, offset + intercept, h)
        step = 1.0
        while Multinomial.value(Y, offset + intercept + step * direction, h) > old and step > 1e-10:
            step *= 0.5
        intercept = intercept + step * direction
    return intercept - intercept.mean()


def _trial_objective(objective, theta, direction, eta, d_eta, step) -> float:
    """``objective`` at ``theta + step·direction`` (``η`` moves by ``step·d_eta``)."""
    return objective(theta + step * direction, eta + step * d_eta)


def _weighted_gram(design, w) -> np.ndarray:
    """``X̃ᵀ diag(w) X̃`` as a dense array (``w`` may have any sign)."""
    if sp.issparse(design):
        return np.asarray((design.T @ design.multiply(w[:, None])).todense())
    return design.T @ (w[:, None] * design)


# ----------------------------------------------------------------------------- grouped
# Inner block coordinate descent sweeps per Newton direction, at most.
_GROUPED_INNER_SWEEPS = 100
# Newton iterations of the secular equation of one block, at most.
_SECULAR_ITERATIONS = 60


@njit(cache=True, nogil=True, fastmath=_FASTMATH)
def _group_block_solve(r_hat, lam, l1, l2, out):
    """In the eigenbasis of the block Hessian ``A = Q diag(λ) Qᵀ``: the minimizer of
    ``½aᵀAa − rᵀa + l1‖a‖ + ½l2‖a‖²`` (``r̂ = Qᵀr``), written to ``out`` (= ``Qᵀa``).

    Zero when ``‖r‖ ≤ l1``; else ``â_k = r̂_k t / (t(λ_k + l2) + l1)`` with ``t = ‖a‖``
    the root of ``Σ_k r̂_k² / (t(λ_k + l2) + l1)² = 1`` (decreasing in ``t``), found by
    safeguarded Newton on ``φ(t) = (Σ …)^{-1/2} − 1``, which is linear in ``t`` when
    the block is isotropic.
    """
    K = r_hat.size
    norm2 = 0.0
    for k in range(K):
        norm2 += r_hat[k] * r_hat[k]
    norm = np.sqrt(norm2)
    if l1 <= 0.0:
        for k in range(K):
            curvature = lam[k] + l2
            out[k] = r_hat[k] / curvature if curvature > 0.0 else 0.0
        return
    if norm <= l1:
        for k in range(K):
            out[k] = 0.0
        return
    a_min = np.inf
    a_max = 0.0
    for k in range(K):
        curvature = max(lam[k] + l2, 0.0)
        a_min = min(a_min, curvature)
        a_max = max(a_max, curvature)
    excess = norm - l1
    lo = excess / a_max if a_max > 0.0 else 0.0
    hi = excess / a_min if a_min > 0.0 else np.inf
    t = lo
    for _ in range(_SECULAR_ITERATIONS):
        g = 0.0
        dg = 0.0
        for k in range(K):
            curvature = max(lam[k] + l2, 0.0)
            denom = t * curvature + l1
            term = r_hat[k] * r_hat[k] / (denom * denom)
            g += term
            dg -= 2.0 * term * curvature / denom
        phi = 1.0 / np.sqrt(g) - 1.0
        if phi < 0.0:
            lo = max(lo, t)
        else:
            hi = min(hi, t)
        dphi = -0.5 * dg / (g * np.sqrt(g))
        new = t - phi / dphi if dphi > 0.0 else np.inf
        if not (lo <= new <= hi):
            new = 0.5 * (lo + hi) if np.isfinite(hi) else 2.0 * max(t, lo) + 1.0
        if abs(new - t) <= 1e-15 * new:
            t = new
            break
        t = new
    for k in range(K):
        curvature = max(lam[k] + l2, 0.0)
        out[k] = r_hat[k] * t / (t * curvature + l1)


@njit(cache=True, nogil=True, fastmath=_FASTMATH)
def _grouped_newton_sweeps(
    sub, P, hP, M, coef, d_eta, d_intercept, lam, Q, A0_inverse, l1, l2, fit_intercept,
    max_sweeps, threshold,
):  # fmt: skip
    """Block coordinate descent on the quadratic model of the softmax loss + the group
    penalty, over the columns of ``sub`` (the working set).

    Class-major arrays (one contiguous row of n per class): ``P`` and ``hP = h⊙P``
    (K, n); ``M`` (K, n) the model's gradient in ``η`` (``h(P − Y)`` at the start, kept
    current); ``d_eta`` (K, n) and ``d_intercept`` accumulate the change of ``η`` and of
    the intercepts; ``coef`` (m, K) the working set's rows, updated in place. ``lam``,
    ``Q``: eigen-decompositions of the block Hessians ``Σ_i x_ij² H_i`` (plus a
    multiple of ``11ᵀ``, a direction the iterates never take), ``H_i = h_i(diag p_i −
    p_i p_iᵀ)``. After a sweep over every block, sweeps run over the non-zero blocks
    until they settle, then over every block again; stops when a sweep over every
    block has a largest ``ΔᵀAΔ`` of at most ``threshold``.
    """
    K, n = M.shape
    m = coef.shape[0]
    g = np.empty(K)
    r_hat = np.empty(K)
    a_hat = np.empty(K)
    new = np.empty(K)
    delta = np.empty(K)
    s = np.empty(n)
    sweeps = 0
    full = True  # a sweep over every block, else over the non-zero ones (glmnet's cycling)
    while sweeps < max_sweeps:
        sweeps += 1
        largest = 0.0
        if fit_intercept:
            for k in range(K):
                acc = 0.0
                Mk = M[k]
                for i in range(n):
                    acc += Mk[i]
                g[k] = acc
            for k in range(K):
                acc = 0.0
                for c in range(K):
                    acc -= A0_inverse[k, c] * g[c]
                delta[k] = acc
                d_intercept[k] += acc
            s[:] = 0.0
            for k in range(K):
                dk = delta[k]
                Pk = P[k]
                for i in range(n):
                    s[i] += Pk[i] * dk
            for k in range(K):
                dk = delta[k]
                hPk = hP[k]
                Mk = M[k]
                Ek = d_eta[k]
                for i in range(n):
                    Ek[i] += dk
                    Mk[i] += hPk[i] * (dk - s[i])
        for a in range(m):
            if not full:
                zero = True
                for k in range(K):
                    if coef[a, k] != 0.0:
                        zero = False
                if zero:
                    continue
            column = sub[:, a]
            for k in range(K):
                acc = 0.0
                Mk = M[k]
                for i in range(n):
                    acc += column[i] * Mk[i]
                g[k] = acc
            # r = A b − g, in the eigenbasis: r̂ = Λ Qᵀb − Qᵀg
            for c in range(K):
                qb = 0.0
                qg = 0.0
                for k in range(K):
                    qb += Q[a, k, c] * coef[a, k]
                    qg += Q[a, k, c] * g[k]
                r_hat[c] = lam[a, c] * qb - qg
            _group_block_solve(r_hat, lam[a], l1[a], l2[a], a_hat)
            nonzero = False
            for k in range(K):
                acc = 0.0
                for c in range(K):
                    acc += Q[a, k, c] * a_hat[c]
                new[k] = acc
                delta[k] = acc - coef[a, k]
                if delta[k] != 0.0:
                    nonzero = True
            if not nonzero:
                continue
            # ΔᵀAΔ = Σ_c λ_c (QᵀΔ)_c²
            change = 0.0
            for c in range(K):
                acc = 0.0
                for k in range(K):
                    acc += Q[a, k, c] * delta[k]
                change += lam[a, c] * acc * acc
            for k in range(K):
                coef[a, k] = new[k]
            s[:] = 0.0
            for k in range(K):
                dk = delta[k]
                Pk = P[k]
                for i in range(n):
                    s[i] += Pk[i] * dk
            for k in range(K):
                dk = delta[k]
                hPk = hP[k]
                Mk = M[k]
                Ek = d_eta[k]
                for i in range(n):
                    x = column[i]
                    Ek[i] += x * dk
                    Mk[i] += x * hPk[i] * (dk - s[i])
            largest = max(largest, change)
        if largest <= threshold:
            if full:
                break
            full = True
        else:
            full = False
    return sweeps


@njit(cache=True, nogil=True, fastmath=_FASTMATH)
def _block_hessian_moments(sub, P, hP, out):
    """``out[j] = Σ_i x_ij² h_i (diag p_i − p_i p_iᵀ)`` with class-major ``P``, ``hP``
    (K, n): one pass over each column, no n × K² temporary."""
    K, n = P.shape
    square = np.empty(n)
    for a in range(sub.shape[1]):
        column = sub[:, a]
        for i in range(n):
            square[i] = column[i] * column[i]
        for k in range(K):
            hPk = hP[k]
            diagonal = 0.0
            for i in range(n):
                diagonal += square[i] * hPk[i]
            for c in range(k, K):
                Pc = P[c]
                acc = 0.0
                for i in range(n):
                    acc += square[i] * hPk[i] * Pc[i]
                out[a, k, c] = -acc
                out[a, c, k] = -acc
            out[a, k, k] += diagonal


def _block_hessians(sub, P_t, hP_t):
    """Eigen-decompositions of ``A_j = Σ_i x_ij² h_i (diag p_i − p_i p_iᵀ) + c_j 11ᵀ``.

    ``A_j 1 = 0`` (softmax is unchanged by a shift common to all classes); the
    ``c_j 11ᵀ`` term (``c_j = tr A_j / K²``) makes the block invertible without
    changing it on the sum-zero subspace where every step lies.
    """
    n_classes = P_t.shape[0]
    blocks = np.empty((sub.shape[1], n_classes, n_classes))
    _block_hessian_moments(sub, P_t, hP_t, blocks)
    trace = np.trace(blocks, axis1=1, axis2=2)
    shift = np.maximum(trace, np.finfo(float).tiny) / n_classes**2
    blocks += shift[:, None, None]
    lam, Q = np.linalg.eigh(blocks)
    return np.ascontiguousarray(lam), np.ascontiguousarray(Q)


class GroupedMultinomialProblem(MultinomialProblem):
    """Softmax regression with the grouped elastic net: glmnet's
    ``type.multinomial="grouped"``.

    Minimizes ``Σ_i h_i ℓ(y_i, η_i) + Σ_j l1_j‖B_·j‖₂ + ½ l2_j‖B_·j‖₂²`` with ``B``
    the ``(K, p)`` coefficients, so a feature is in or out for all classes. The
    solution has columns summing to zero (the penalty's choice among the
    coefficients that give the same probabilities), as glmnet's; the intercepts are
    centred to sum zero.

    ``gradient`` (read by the strong rule of :func:`~.step.screened_solve`) holds the
    group norms ``‖∇_j F‖₂``.
    """

    def __init__(self, X, Y, h, penalty_weights, l1_ratio=1.0, fit_intercept=True, offset=None):
        super().__init__(X, Y, h, penalty_weights, l1_ratio, fit_intercept, offset)
        free = penalty_weights == 0
        if free.any():  # unpenalized features first, so that alpha_max is exact
            zeros = np.zeros(self.n_features)
            self._minimize(zeros, zeros, free.copy(), 1e-10, 1000, movable=free)
        self.gradient = self._group_norms(self._class_gradients())

    @staticmethod
    def _group_norms(gradient) -> np.ndarray:
        return np.sqrt(np.einsum("kj,kj->j", gradient, gradient))

    def set_coef(self, coef: np.ndarray, intercept: np.ndarray) -> None:
        super().set_coef(coef, intercept)
        self._recentre()
        self.gradient = self._group_norms(self._class_gradients())

    @property
    def alpha_max(self) -> float:
        return group_alpha_max(self._class_gradients(), self.l1_ratio, self.penalty_weights)

    def objective(self, eta, coef, l1, l2) -> float:
        return float(self.datafit.value(self.Y, eta, self.h)) + group_penalty_value(coef, l1, l2)

    def solve(self, alpha, working_set=None, tol=None, max_iter=None, rng=None) -> SolveInfo:
        """Minimize at ``alpha`` until the largest group KKT violation (intercepts
        included) is at most ``tol`` (absolute). ``working_set`` (boolean, per feature)
        is where the solver starts, e.g. the strong rule's set; the KKT check adds
        what it misses. ``rng`` is accepted for the one ``Problem`` signature."""
        if max_iter is None and np.ndim(working_set) == 0:
            # The pre-protocol call solve(alpha, tol, max_iter), as the ungrouped class.
            working_set, tol, max_iter = None, working_set, tol
        del rng
        l1, l2 = penalty_strengths(alpha, self.l1_ratio, self.penalty_weights)
        if working_set is None:
            working_set = np.zeros(self.n_features, dtype=bool)
        working_set = np.array(working_set, dtype=bool)
        return self._minimize(l1, l2, working_set, tol, max_iter)

    def _recentre(self) -> None:
        """Columns and intercepts to sum zero: the loss is unchanged, the group
        penalty can only decrease, and every Newton step then stays sum-zero."""
        shift = self.coef.mean(axis=0)
        if np.any(shift != 0):
            self.coef -= shift
            self.eta -= np.asarray(self.X @ shift).ravel()[:, None]
        offset = self.intercept.mean()
        self.intercept -= offset
        self.eta -= offset

    def _minimize(self, l1, l2, working_set, tol, max_iter, movable=None) -> SolveInfo:
        """Proximal Newton over a growing working set (as :class:`~.glm.GLMProblem`)."""
        self._recentre()
        nonzero = np.any(self.coef != 0, axis=0)
        working_set |= nonzero | (self.penalty_weights == 0)
        if movable is not None:
            working_set &= movable
        n_iter = 0
        while True:
            features = np.flatnonzero(working_set)
            sub = self.X[:, features]
            sub = np.asfortranarray(sub.toarray() if sp.issparse(sub) else sub, dtype=np.float64)
            while n_iter < max_iter:
                P = self.probabilities()
                residual = self.h[:, None] * (self.Y - P)
                gradient_ws = (sub.T @ residual).T  # (K, m), negative gradient
                intercept_gradient = residual.sum(axis=0)
                violation = group_kkt_violation(
                    gradient_ws, self.coef[:, features], l1[features], l2[features]
                )
                worst = max(
                    violation.max(initial=0.0),
                    np.abs(intercept_gradient).max() if self.fit_intercept else 0.0,
                )
                if worst <= tol:
                    break
                self._newton_step(
                    features, sub, P, residual, gradient_ws, intercept_gradient, l1, l2, worst
                )
                n_iter += 1
            P = self.probabilities()
            residual = self.h[:, None] * (self.Y - P)
            gradient = np.asarray(self.X.T @ residual).T
            violation = group_kkt_violation(gradient, self.coef, l1, l2)
            if movable is not None:
                violation[~movable] = 0.0
            intercept_violation = np.abs(residual.sum(axis=0)).max() if self.fit_intercept else 0
            worst = max(violation.max(initial=0.0), intercept_violation)
            grows = (violation > 0) & ~working_set
            if worst <= tol or n_iter >= max_iter or not grows.any():
                self.gradient = self._group_norms(gradient)
                gap = self.duality_gap(gradient, P, l1, l2)
                return SolveInfo(gap, n_iter, gradient, worst <= tol)
            working_set |= grows

    def _newton_step(
        self, features, sub, P, residual, gradient_ws, intercept_gradient, l1, l2, violation
    ):
        n_classes = self.n_classes
        P_t = np.ascontiguousarray(P.T)  # class-major for the kernels
        hP_t = P_t * self.h
        lam, Q = _block_hessians(sub, P_t, hP_t)
        if self.fit_intercept:
            hP = self.h[:, None] * P
            A0 = np.diag(hP.sum(axis=0)) - hP.T @ P
            A0 += max(np.trace(A0), np.finfo(float).tiny) / n_classes**2
            A0_inverse = np.linalg.pinv(A0)
        else:
            A0_inverse = np.zeros((n_classes, n_classes))
        M = np.ascontiguousarray(-residual.T)
        coef_ws = np.ascontiguousarray(self.coef[:, features].T)
        old_ws = coef_ws.copy()
        d_eta = np.zeros_like(M)
        d_intercept = np.zeros(n_classes)
        _grouped_newton_sweeps(
            sub,
            P_t,
            hP_t,
            M,
            coef_ws,
            d_eta,
            d_intercept,
            lam,
            Q,
            A0_inverse,
            l1[features],
            l2[features],
            self.fit_intercept,
            _GROUPED_INNER_SWEEPS,
            0.01 * violation * violation,
        )
        delta = (coef_ws - old_ws).T  # (K, m)
        old_coef = self.coef[:, features]
        old_objective = self.objective(self.eta, self.coef, l1, l2)
        penalty_old = group_penalty_value(old_coef, l1[features], l2[features])
        penalty_new = group_penalty_value(old_coef + delta, l1[features], l2[features])
        decrement = (
            -float(np.vdot(gradient_ws, delta))
            - float(intercept_gradient @ d_intercept)
            + penalty_new
            - penalty_old
        )

        def objective_at(step):
            trial = self.coef.copy()
            trial[:, features] += step * delta
            return self.objective(self.eta + step * d_eta.T, trial, l1, l2)

        step = backtracking_step(objective_at, old_objective, decrement)
        if step is not None:
            self.coef[:, features] += step * delta
            self.eta += step * d_eta.T
            self.intercept += step * d_intercept

    def duality_gap(self, gradient, P, l1, l2) -> float:
        """Gap at ``θ = s(Y − P)``, ``s`` the largest scale with ``‖s∇_j‖ ≤ l1_j`` on the
        pure-L1 groups; the penalty's conjugate is the group one."""
        gradient, P = self._dual_feasible(gradient, P)
        norms = self._group_norms(gradient)
        pure_l1 = (l2 == 0) & (l1 > 0)
        scale = 1.0
        if np.any(pure_l1):
            worst = np.max(norms[pure_l1] / l1[pure_l1])
            if worst > 1.0:
                scale = 1.0 / worst
        theta = scale * (self.Y - P)
        dual_loss = self.datafit.conjugate(self.Y, theta, self.h)
        if self.offset is not None:  # see MultinomialProblem.duality_gap
            dual_loss += float(np.sum(self.h[:, None] * theta * self.offset))
        smooth = l2 > 0
        conjugate = group_conjugate(scale * gradient[:, smooth], l1[smooth], l2[smooth])
        primal = self.objective(self.eta, self.coef, l1, l2)
        return float(max(primal + dual_loss + conjugate, 0.0))
