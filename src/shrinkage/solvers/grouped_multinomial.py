"""Grouped multinomial logistic regression (glmnet's ``type.multinomial="grouped"``).

The penalty is ``Σ_j l1_j‖B_·j‖₂ + ½ l2_j‖B_·j‖₂²`` over each feature's K class
coefficients, so a feature is in or out for every class. Proximal Newton with the exact
K × K softmax Hessian blocks: each outer step minimizes the quadratic model of the loss
plus the penalty by block coordinate descent over the features (each block exactly, by
a one-dimensional secular equation in ``‖B_·j‖``), then backtracks on the true
objective. The data handling, the offset and the duality gap's dual point are those of
:class:`~.logistic.MultinomialProblem`, which this class extends.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from .._jit import njit
from ..penalties import (
    group_alpha_max,
    group_conjugate,
    group_kkt_violation,
    group_penalty_value,
    penalty_strengths,
)
from ._grouped_exact_step import exact_price, model_violation, newton_on_support
from ._kernels import _FASTMATH
from ._multinomial_kernels import column_sums
from .glm import backtracking_step
from .least_squares import SolveInfo
from .logistic import MultinomialProblem
from .multinomial_route import FULL_HESSIAN_MAX_PARAMETERS

# Inner block coordinate descent sweeps per Newton direction, at most (100 left raw
# Vehicle with intercepts at 725-1000 steps; 1000: 74-131).
_GROUPED_INNER_SWEEPS = 1000
# The inner sweeps stop once no block moves the model's gradient by more than this
# fraction of the KKT violation.
_GROUPED_INNER = 0.1
# Newton iterations of the secular equation of one block, at most.
_SECULAR_ITERATIONS = 60
#: a Newton solve on the support (:mod:`._grouped_exact_step`) is bought once the
#: sweeps of a step have cost this many times its price. Measured over 72 fits (raw
#: mlbench Vehicle, digits raw and standardized, raw wine, a Vehicle-like 400×16 set and
#: a ρ = 0.99 200×60 7-class set; with and without intercepts; C 0.1/1/100; l1_ratio 1
#: and 0.5; one thread): the sweeps alone 610 s with 5 fits at max_iter=1000; rent 0.25:
#: 16.8 s, 1: 17.0 s, 4: 23.9 s, all converged.
EXACT_RENT = 1.0
_RENT_CHUNK_MAX = _GROUPED_INNER_SWEEPS // 4
# The Newton solve on the support stops at this fraction of the sweeps' own target.
_GROUPED_EXACT_TOLERANCE = 0.1


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
    block has a largest ``ΔᵀAΔ`` of at most ``threshold``. Returns the sweeps taken
    and whether they settled (else ``max_sweeps`` ran out).
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
                return sweeps, True
            full = True
        else:
            full = False
    return sweeps, False


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


class _QuadraticModel:
    """One proximal Newton step's model of the loss at the current point, and its
    minimization over the working set by block sweeps and, bought rent-or-buy, Newton
    on the support (:mod:`._grouped_exact_step`)."""

    def __init__(
        self, sub, P_t, hP_t, h, gradient_eta, lam, Q, A0_inverse, l1, l2, fit_intercept,
        violation,
    ):  # fmt: skip
        self.sub, self.P_t, self.hP_t, self.h = sub, P_t, hP_t, h
        self.gradient_eta = np.ascontiguousarray(gradient_eta)  # h(P − Y), (K, n)
        self.lam, self.Q, self.A0_inverse = lam, Q, A0_inverse
        self.l1, self.l2, self.fit_intercept = l1, l2, fit_intercept
        self.violation = violation
        # A block's change ΔᵀAΔ moves the model's gradient by |AΔ| ≤ √(λ_max ΔᵀAΔ): at
        # most INNER·violation when ΔᵀAΔ ≤ (INNER·violation)²/λ_max, one threshold in
        # the gradient's units whatever the columns' scale (the unscaled 0.01·violation²
        # stopped every inner solve after one sweep on raw Vehicle, scales 1-1000: 1000
        # steps in all 12 fits).
        self.threshold = (_GROUPED_INNER * violation) ** 2 / max(
            float(lam.max(initial=0.0)), 1e-300
        )
        # Newton on the support stops well inside the sweeps' target. (A tolerance per
        # block, √(threshold·λ_min(A_j)), matched to when the sweeps settle, took 17.5 s
        # against 15.1 s over the 72 fits of the rent-or-buy measurement.)
        self.newton_tolerance = _GROUPED_EXACT_TOLERANCE * _GROUPED_INNER * violation

    def minimize(self, start, exact: bool):
        """From ``start`` (m, K): the change of the coefficients (K, m), of ``η``
        (K, n) and of the intercepts, and whether a Newton solve was bought."""
        sub, K = self.sub, self.P_t.shape[0]
        M = self.gradient_eta.copy()  # the model's gradient in η, kept current
        coef = np.array(start, dtype=np.float64, order="C")  # a copy, updated in place
        d_eta = np.zeros_like(M)
        d_intercept = np.zeros(K)
        sweeps_left = _GROUPED_INNER_SWEEPS
        before = np.inf  # the model's violation when the sweeps last settled
        rent_factor = EXACT_RENT
        bought = False
        while sweeps_left > 0:
            # Rent or buy: sweep for EXACT_RENT times the price of a Newton solve on the
            # support, then buy one (ill-conditioned models: raw Vehicle's sweeps ran to
            # 1000 every step); well-conditioned models settle first and never pay.
            support_size = int(np.count_nonzero(np.any(coef != 0.0, axis=1)))
            # (No Newton solve past the full-Hessian route's size, 4096 coefficients:
            # a 134 MB system; the sweeps alone serve larger supports, as before.)
            affordable = exact and K * (support_size + 1) <= FULL_HESSIAN_MAX_PARAMETERS
            sweep_price = 4.0 * sub.shape[0] * K * max(sub.shape[1], 1)
            rent = rent_factor * exact_price(sub.shape[0], K, support_size)
            # (At most a quarter of the budget: a Newton solve dearer than all the
            # sweeps is still cheaper than sweeps that never settle.)
            chunk = sweeps_left
            if affordable:
                chunk = int(min(chunk, max(1, np.ceil(rent / sweep_price)), _RENT_CHUNK_MAX))
            sweeps, settled = _grouped_newton_sweeps(
                sub, self.P_t, self.hP_t, M, coef, d_eta, d_intercept, self.lam, self.Q,
                self.A0_inverse, self.l1, self.l2, self.fit_intercept, chunk, self.threshold,
            )  # fmt: skip
            sweeps_left -= sweeps
            if settled:
                if not affordable:
                    break
                # Settled blocks are not a solved model on strongly correlated columns:
                # check the model's own KKT, and buy a Newton solve if it is far off
                # (ρ = 0.99, 60 features: 1000 steps of one sweep each without this).
                remaining = model_violation(M, sub, coef, self.l1, self.l2, self.fit_intercept)
                if remaining <= _GROUPED_INNER * self.violation or remaining >= 0.5 * before:
                    break  # solved, or Newton on the support did not help last time
                before = remaining
            if sweeps_left <= 0 or not affordable:
                break
            newton_on_support(
                sub, self.P_t, self.hP_t, self.h, M, coef, d_eta, d_intercept, self.l1,
                self.l2, self.fit_intercept, self.newton_tolerance,
            )  # fmt: skip
            bought = True
            # Each further solve must be paid by twice the sweeps: where the support is
            # still moving, Newton on it cannot settle the model, and the sweeps must.
            rent_factor *= 2.0
        return (coef - start).T, d_eta, d_intercept, bought


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

    def __init__(
        self, X, Y, h, penalty_weights, l1_ratio=1.0, fit_intercept=True, offset=None,
        column_means=None,
    ):  # fmt: skip
        super().__init__(
            X, Y, h, penalty_weights, l1_ratio, fit_intercept, offset, column_means=column_means
        )
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
                intercept_gradient = column_sums(residual)
                coef_ws, l1_ws, l2_ws = self.coef[:, features], l1[features], l2[features]
                caller = self.on_caller_columns(gradient_ws, intercept_gradient, features)
                intercept_violation = (
                    np.abs(intercept_gradient).max() if self.fit_intercept else 0.0
                )
                worst = max(
                    group_kkt_violation(caller, coef_ws, l1_ws, l2_ws).max(initial=0.0),
                    intercept_violation,
                )
                if worst <= tol:
                    break
                # The step's inner targets scale with the violation its model sees, on
                # the solver's columns (the caller's, inflated by x̄·1ᵀR, left them too
                # loose: shifted wine, 104 linear steps).
                seen = worst
                if caller is not gradient_ws:
                    seen = max(
                        group_kkt_violation(gradient_ws, coef_ws, l1_ws, l2_ws).max(initial=0.0),
                        intercept_violation,
                    )
                self._newton_step(
                    features, sub, P, residual, gradient_ws, intercept_gradient, l1, l2, seen
                )
                n_iter += 1
            P = self.probabilities()
            residual = self.h[:, None] * (self.Y - P)
            gradient = np.asarray(self.X.T @ residual).T
            intercept_gradient = column_sums(residual)
            violation = group_kkt_violation(
                self.on_caller_columns(gradient, intercept_gradient), self.coef, l1, l2
            )
            if movable is not None:
                violation[~movable] = 0.0
            intercept_violation = np.abs(intercept_gradient).max() if self.fit_intercept else 0
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
            A0 = np.diag(column_sums(hP)) - hP.T @ P
            A0 += max(np.trace(A0), np.finfo(float).tiny) / n_classes**2
            A0_inverse = np.linalg.pinv(A0)
        else:
            A0_inverse = np.zeros((n_classes, n_classes))
        model = _QuadraticModel(
            sub, P_t, hP_t, self.h, -residual.T, lam, Q, A0_inverse, l1[features],
            l2[features], self.fit_intercept, violation,
        )  # fmt: skip
        old_coef = self.coef[:, features]
        old_objective = self.objective(self.eta, self.coef, l1, l2)
        penalty_old = group_penalty_value(old_coef, l1[features], l2[features])
        # (EXACT_RENT = inf: the block sweeps alone, as before the Newton solves.)
        for exact in (True, False) if np.isfinite(EXACT_RENT) else (False,):
            delta, d_eta, d_intercept, bought = model.minimize(old_coef.T, exact)
            penalty_new = group_penalty_value(old_coef + delta, l1[features], l2[features])
            decrement = (
                -float(np.vdot(gradient_ws, delta))
                - float(intercept_gradient @ d_intercept)
                + penalty_new
                - penalty_old
            )

            def objective_at(step, delta=delta, d_eta=d_eta):
                trial = self.coef.copy()
                trial[:, features] += step * delta
                return self.objective(self.eta + step * d_eta.T, trial, l1, l2)

            step = backtracking_step(objective_at, old_objective, decrement)
            if step is not None:
                self.coef[:, features] += step * delta
                self.eta += step * d_eta.T
                self.intercept += step * d_intercept
                return
            if not bought:
                return
            # The model's exact minimum can lie far beyond where the model holds (near
            # separation at large C: a decrement of 1e9 on an objective of 0.04, and no
            # step in 30 halvings passes). The sweeps' inexact minimum stays near.

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
