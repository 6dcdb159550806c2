"""The whole penalized Cox path on dense ``X`` in compiled code (Numba).

The Cox datafit of :class:`shrinkage.datafits.cox.Cox` (Breslow ties, glmnet's
``coxnet``): with samples sorted once by time, distinct times ``t_1 < … < t_m``,
``a_j = h_j e^{η_j − s}`` (``s = max η``, so no overflow), risk-set sums
``S_k = Σ_{t_j ≥ t_k} a_j`` (a reverse cumulative sum) and ``H_k`` the summed weight of
the events at ``t_k``,

.. math::

    F(\\eta) = -\\sum_i h_i \\delta_i \\eta_i + \\sum_k H_k (\\log S_k + s), \\qquad
    \\frac{\\partial F}{\\partial \\eta_j} = a_j C_j - h_j\\delta_j, \\qquad
    \\frac{\\partial^2 F}{\\partial \\eta_j^2} \\approx a_j C_j - a_j^2 C^{(2)}_j,

``C_j = Σ_{k: t_k ≤ t_j} H_k/S_k`` and ``C^{(2)}_j = Σ_{k: t_k ≤ t_j} H_k/S_k²`` (forward
cumulative sums): ``F``, its gradient and the diagonal of its Hessian in ``O(n)``.

:func:`cox_path` runs the algorithm of :func:`._glm_kernels.glm_path` with this datafit
(no intercept): the sequential strong rule, proximal-Newton steps on the working set
whose quadratic model uses the diagonal Hessian (glmnet's IRLS weights, floored by
``h·curvature_floor``) and whose direction comes from weighted coordinate descent
(:func:`._kernels.cd_dense`), a backtracking line search with Armijo's test on
``F + g``, and KKT checks over all features. It stops an alpha when the largest KKT
violation is at most ``tol_abs``, as :class:`.glm.GLMProblem` does, and reports that
violation as the gap (the Cox datafit has no conjugate).

While ``max η − min η`` (positive weights) stays below ``linear_spread`` the shifted
sums cannot underflow; past it the kernel stops and returns the number of alphas done,
and :func:`.glm.glm_path` finishes the path with :class:`.glm.GLMProblem` (whose
datafit then works in logs).

Box constraints ``lower ≤ β ≤ upper``: the coordinate update is
:func:`._kernels.cd_dense`'s, clipped to the box; the strong rule and the KKT check are
the box-aware ones of :mod:`._glm_kernels`.
"""

from __future__ import annotations

import math

import numpy as np

from .._jit import njit
from ._glm_kernels import _violation, next_forcing
from ._kernels import _FASTMATH, cd_dense, screening_score


@njit(cache=True, nogil=True, fastmath=_FASTMATH)
def cox_value(eta, order, group, first, h_s, ev_h_s, hd, a_s, risk, linear_spread):
    """``F(η)`` (Breslow); fills ``a_s`` (sorted ``h e^{η − s}``) and ``risk`` (``S_k``).

    Returns ``(F, spread)`` with ``spread = max η − min η`` over positive weights;
    ``F = inf`` when a risk set of an event underflows (a trial point far too steep,
    which the line search then rejects) and NaN propagates.
    """
    n = order.shape[0]
    m = first.shape[0]
    shift = -np.inf
    low = np.inf
    for i in range(n):
        if h_s[i] > 0.0:
            e = eta[order[i]]
            if e > shift:
                shift = e
            if e < low:
                low = e
    linear = 0.0
    for i in range(n):
        e = eta[order[i]]
        a_s[i] = h_s[i] * math.exp(e - shift) if h_s[i] > 0.0 else 0.0
        if ev_h_s[i] != 0.0:
            linear += ev_h_s[i] * e
    acc = 0.0
    for i in range(n - 1, -1, -1):
        acc += a_s[i]
        k = group[i]
        if first[k] == i:
            risk[k] = acc
    total = -linear
    for k in range(m):
        if hd[k] > 0.0:
            if not risk[k] > 0.0:
                return np.inf, shift - low
            total += hd[k] * (math.log(risk[k]) + shift)
    return total, shift - low


@njit(cache=True, nogil=True, fastmath=_FASTMATH)
def cox_model(order, group, h_s, ev_h_s, hd, a_s, risk, curvature_floor, g, w, r0, cum1, cum2):
    """From :func:`cox_value`'s ``a_s`` and ``risk``: the gradient ``g = ∂F/∂η``, the
    IRLS weights ``w = max(∂²F/∂η², h·floor)`` (diagonal Hessian) and the working
    residual ``r0 = −g/w`` (0 where ``w = 0``), in the caller's sample order."""
    m = risk.shape[0]
    c1 = 0.0
    c2 = 0.0
    for k in range(m):
        if hd[k] > 0.0:
            ratio = hd[k] / risk[k]
            c1 += ratio
            c2 += ratio / risk[k]
        cum1[k] = c1
        cum2[k] = c2
    for i in range(order.shape[0]):
        j = order[i]
        a = a_s[i]
        k = group[i]
        g[j] = a * cum1[k] - ev_h_s[i]
        # each event time adds (a/S)(1 − a/S) ≥ 0: clip the rounding of the difference
        curv = max(a * cum1[k] - a * a * cum2[k], 0.0)
        w[j] = max(curv, h_s[i] * curvature_floor)
        r0[j] = -g[j] / w[j] if w[j] > 0.0 else 0.0


@njit(cache=True, nogil=True, fastmath=_FASTMATH)
def _gradient_and_curvatures(X, g, w, gradient, features, lipschitz, newton):
    """``gradient_j = −x_jᵀ g`` for ``features`` and, with ``newton``, ``lipschitz_j =
    Σ_i w_i x_ij²`` (no intercept, so no centring), in one pass over each column."""
    n = X.shape[0]
    for j in features:
        acc = 0.0
        if newton:
            curv = 0.0
            for i in range(n):
                x = X[i, j]
                acc += x * g[i]
                curv += w[i] * x * x
            lipschitz[j] = curv
        else:
            for i in range(n):
                acc += X[i, j] * g[i]
        gradient[j] = -acc


@njit(cache=True, nogil=True, fastmath=_FASTMATH)
def _newton_step(
    X,
    eta,
    coef,
    state,
    g,
    w,
    r,
    r0,
    mu,
    lipschitz,
    trial,
    trial_eta,
    features,
    l1,
    l2,
    lower,
    upper,
    violation,
    armijo,
    inner_rounds,
    active_sweeps,
    max_halvings,
    sorted_data,
    a_s,
    risk,
    trial_a,
    trial_risk,
    linear_spread,
):
    """One proximal-Newton step on ``features``: minimize ``½ Σ w (r0 − XΔ)² +
    g(β + Δ)`` by coordinate descent (inexact, tightened with the violation), then
    backtrack on ``F + g`` (Armijo). ``state = [F(η), spread]``; ``a_s``/``risk`` are
    kept current with ``η``. Returns the step taken (0: none)."""
    order, group, first, h_s, ev_h_s, hd = sorted_data
    n = X.shape[0]
    for i in range(n):
        r[i] = r0[i]
    for j in features:
        trial[j] = coef[j]
    threshold = violation * violation
    for _ in range(inner_rounds):
        # cd_dense clips each coordinate update to [lower, upper]
        change = cd_dense(
            X, w, mu, r, trial, lipschitz, l1, l2, lower, upper, features, active_sweeps,
            threshold,
        )  # fmt: skip
        if change <= threshold:
            break
    old_pen = 0.0
    new_pen = 0.0
    for j in features:
        old_pen += l1[j] * abs(coef[j]) + 0.5 * l2[j] * coef[j] * coef[j]
        new_pen += l1[j] * abs(trial[j]) + 0.5 * l2[j] * trial[j] * trial[j]
    decrement = new_pen - old_pen
    for i in range(n):
        r0[i] -= r[i]  # the change of η for a unit step
        decrement += g[i] * r0[i]
    old_objective = state[0] + old_pen
    slack = 1e-15 * abs(old_objective)
    step = 1.0
    for _ in range(max_halvings):
        for i in range(n):
            trial_eta[i] = eta[i] + step * r0[i]
        value, spread = cox_value(
            trial_eta, order, group, first, h_s, ev_h_s, hd, trial_a, trial_risk, linear_spread
        )
        pen = 0.0
        for j in features:
            b = coef[j] + step * (trial[j] - coef[j])
            pen += l1[j] * abs(b) + 0.5 * l2[j] * b * b
        # Armijo; a NaN or inf trial fails the test and backtracks.
        if value + pen <= old_objective + armijo * step * min(decrement, 0.0) + slack:
            for j in features:
                coef[j] += step * (trial[j] - coef[j])
            for i in range(n):
                eta[i] = trial_eta[i]
                a_s[i] = trial_a[i]
            for k in range(risk.shape[0]):
                risk[k] = trial_risk[k]
            state[0] = value
            state[1] = spread
            return step
        step *= 0.5
    return 0.0


@njit(cache=True, nogil=True, fastmath=_FASTMATH)
def cox_path(
    X,
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
    l1_ratio,
    weights,
    lower,
    upper,
    tol_abs,
    max_iter,
    curvature_floor,
    armijo,
    inner_rounds,
    active_sweeps,
    max_halvings,
    linear_spread,
    coefs,
    gaps,
    n_iters,
    converged,
):
    """The penalized Cox path along ``alphas`` (decreasing), in one call.

    Parameters
    ----------
    X : ndarray (n, p), Fortran order
    order, group, first : int arrays
        The target's sort by time (:class:`shrinkage.datafits.cox.CoxTarget`).
    h_s, ev_h_s, hd : ndarray
        Sorted weights, sorted event weights (0 for censored or zero-weight rows) and
        ``H_k`` per distinct time.
    eta : ndarray (n,)
        Linear predictor of the warm start (offset included); updated in place.
    coef, gradient : ndarray (p,)
        Warm start and ``−Xᵀ∂F/∂η`` there; updated in place.
    alphas, alpha_start, l1_ratio, weights, lower, upper
        The grid, the alpha the warm start solves, the penalty and the box of the
        coefficients (``±inf`` where unbounded).
    tol_abs, max_iter, curvature_floor, armijo, inner_rounds, active_sweeps,
    max_halvings
        As :func:`._glm_kernels.glm_path`.
    linear_spread : float
        Largest ``max η − min η`` handled (see the module docstring).
    coefs, gaps, n_iters, converged
        Outputs, one row / entry per alpha.

    Returns
    -------
    int
        The number of alphas solved (``len(alphas)`` unless the spread grew too large;
        the warm start is then the last solved alpha's solution).
    """
    n, p = X.shape
    m = first.shape[0]
    l1 = np.empty(p)
    l2 = np.empty(p)
    in_set = np.zeros(p, dtype=np.bool_)
    working_set = np.empty(p, dtype=np.int64)
    outside = np.empty(p, dtype=np.int64)
    g = np.empty(n)
    w = np.empty(n)
    r = np.empty(n)
    r0 = np.empty(n)
    trial_eta = np.empty(n)
    a_s = np.empty(n)
    trial_a = np.empty(n)
    risk = np.empty(m)
    trial_risk = np.empty(m)
    cum1 = np.empty(m)
    cum2 = np.empty(m)
    mu = np.zeros(p)
    lipschitz = np.zeros(p)
    trial = np.zeros(p)
    saved_coef = coef.copy()
    saved_eta = eta.copy()
    sorted_data = (order, group, first, h_s, ev_h_s, hd)
    value, spread = cox_value(eta, order, group, first, h_s, ev_h_s, hd, a_s, risk, linear_spread)
    state = np.array([value, spread])
    if not spread < linear_spread:
        return 0
    previous = alpha_start
    for k in range(alphas.shape[0]):
        alpha = alphas[k]
        n_set = 0
        for j in range(p):
            l1[j] = alpha * l1_ratio * weights[j]
            l2[j] = alpha * (1.0 - l1_ratio) * weights[j]
            score = screening_score(gradient[j], lower[j], upper[j])
            previous_l1 = max(previous, alpha) * l1_ratio * weights[j]
            in_set[j] = coef[j] != 0.0 or weights[j] == 0.0 or score > 2.0 * l1[j] - previous_l1
            if in_set[j]:
                working_set[n_set] = j
                n_set += 1
        n_iter = 0
        worst = np.inf
        forcing = 1.0  # the inner solve's forcing term (constants.NEWTON_SLOW_RATIO)
        last_worst = np.inf
        while True:
            features = working_set[:n_set]
            fresh = False  # is `gradient` on the working set current?
            while n_iter < max_iter:
                cox_model(
                    order, group, h_s, ev_h_s, hd, a_s, risk, curvature_floor, g, w, r0,
                    cum1, cum2,
                )  # fmt: skip
                _gradient_and_curvatures(X, g, w, gradient, features, lipschitz, True)
                fresh = True
                worst = 0.0
                for j in features:
                    worst = max(
                        worst, _violation(gradient[j], coef[j], l1[j], l2[j], lower[j], upper[j])
                    )
                if worst <= tol_abs:
                    break
                forcing = next_forcing(forcing, worst, last_worst, tol_abs)
                last_worst = worst
                _newton_step(
                    X, eta, coef, state, g, w, r, r0, mu, lipschitz, trial, trial_eta,
                    features, l1, l2, lower, upper, forcing * worst, armijo, inner_rounds,
                    active_sweeps, max_halvings, sorted_data, a_s, risk, trial_a, trial_risk,
                    linear_spread,
                )  # fmt: skip
                n_iter += 1
                fresh = False
                if not state[1] < linear_spread:
                    # Back to the last solved alpha: the caller goes on in log space.
                    coef[:] = saved_coef
                    eta[:] = saved_eta
                    return k
            n_out = 0
            for j in range(p):
                if not (fresh and in_set[j]):
                    outside[n_out] = j
                    n_out += 1
            if not fresh:
                cox_model(
                    order, group, h_s, ev_h_s, hd, a_s, risk, curvature_floor, g, w, r0,
                    cum1, cum2,
                )  # fmt: skip
            _gradient_and_curvatures(X, g, w, gradient, outside[:n_out], lipschitz, False)
            worst = 0.0
            grows = False
            for j in range(p):
                v = _violation(gradient[j], coef[j], l1[j], l2[j], lower[j], upper[j])
                worst = max(worst, v)
                if v > 0.0 and not in_set[j]:
                    grows = True
            if worst <= tol_abs or n_iter >= max_iter or not grows:
                break
            for j in range(p):
                if (
                    not in_set[j]
                    and _violation(gradient[j], coef[j], l1[j], l2[j], lower[j], upper[j]) > 0
                ):
                    in_set[j] = True
                    working_set[n_set] = j
                    n_set += 1
        coefs[k] = coef
        gaps[k] = worst  # no conjugate: the KKT violation, as GLMProblem reports
        n_iters[k] = n_iter
        converged[k] = worst <= tol_abs
        previous = alpha
        saved_coef[:] = coef
        saved_eta[:] = eta
    return alphas.shape[0]
