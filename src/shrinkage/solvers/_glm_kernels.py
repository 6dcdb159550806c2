"""The whole penalized-GLM path on dense or sparse (CSC) ``X`` in compiled code (Numba).

For a separable datafit ``F(η) = Σ_i h_i ℓ(y_i, η_i)`` with
``η = offset + β₀ + Xβ`` and the weighted elastic net ``g``, :func:`glm_path`
solves ``min F + g`` along a decreasing grid of ``alpha`` with glmnet's scheme,
without returning to Python between alphas:

- warm start from the previous alpha; the working set is the sequential strong rule
  ``|∇_j| > 2 l1_j(α_k) − l1_j(α_{k−1})`` plus the non-zero and unpenalized features;
- outer proximal-Newton (IRLS) steps on the working set: the quadratic model of
  ``F`` at ``η`` (weights ``w = h·max(ℓ'', floor)``, working residual
  ``r = −ℓ'/max(ℓ'', floor)``), minimized with the penalty by weighted coordinate
  descent (:func:`_accelerated_cd_dense`, :func:`_accelerated_cd_sparse` on CSC ``X``:
  glmnet's active-set cycling with Anderson steps on the active sweeps) with the
  intercept profiled out by weighted centring; then a backtracking line search with
  Armijo's test on ``F + g`` (Lee, Sun & Saunders 2014), which also rejects the
  overflowed trial points of ``exp`` (Poisson, Gamma); on a large dense double ``X``
  whose working set is beyond the cache, the coordinate descent reads the float32 copy
  of the KKT screen (half the bytes; ``η``'s change is recomputed in double) while the
  KKT violation is far above that copy's rounding;
- once the working set's KKT conditions hold, one full gradient over all features
  adds any violator; the alpha is done when the largest KKT violation (intercept
  included) is at most ``tol_abs``, exactly as :class:`.glm.GLMProblem` stops, and
  the duality gap of :meth:`.glm.GLMProblem.duality_gap` is reported;
- box constraints ``lower ≤ β ≤ upper`` (``positive`` is ``[0, ∞)``) enter the
  coordinate update (clipped), the screening score, the KKT violation and the gap
  exactly as in the Python solver.

On CSC ``X`` (``data``, ``indices``, ``indptr``) the centring stays implicit, as in
:class:`._designs.SparseDesign`: the column means ``mu`` enter only through
``Σ_i w_i x_ij`` and a scalar residual offset, so every column operation costs its
non-zeros and the per-sample work (loss, derivatives, line search) ``O(n)``; ``X`` is
never densified.

The per-sample loss, derivative, curvature and conjugate are those of
:mod:`._glm_datafits` (a datafit is passed as one of its integer codes). Its logistic
functions use the polynomial ``exp``/``log1p``/``log`` of :mod:`._logistic_kernels` so
that the per-sample loops of the line search and of the duality gap vectorize: with
libm's scalar calls those loops were most of a sparse ``n ≫ p`` path's time
(6325 × 158 at density 0.01: 21 ms, now 11 ms).
"""

from __future__ import annotations

import numpy as np

from .._jit import njit
from ._glm_datafits import (
    _trial_point,
    conjugate,
    curvature_from_derivative,
)
from ._glm_single import (
    _SINGLE_MARGIN,
    _SINGLE_UNIT,
    _eta_change,
    _screened_gradient,
    _single_copy,
)
from ._kernels import (
    _FASTMATH,
    _nonzero_subset,
    _one_side_conjugate,
    _sweep_dense,
    _sweep_sparse,
    box_conjugate,
    dual_scale_score,
    screening_score,
)
from .constants import next_forcing as _next_forcing_rule
from .dense_path import _extrapolate, anderson_point
from .sparse_path import move_if_lower

#: iterates of the active sweeps per Anderson step in a Newton direction, minus one
_ANDERSON_DEPTH = 5
#: ... on CSC ``X`` (:func:`_accelerated_cd_sparse`): with the 10 active sweeps of a
#: direction, two steps instead of one (3162 × 3162 at density 0.01: 0.20 s, depth 5
#: 0.23 s, depth 2 0.24 s)
_SPARSE_ANDERSON_DEPTH = 3


@njit(cache=True, nogil=True, fastmath=_FASTMATH)
def _penalty(coef, l1, l2):
    total = 0.0
    for j in range(coef.shape[0]):
        b = coef[j]
        if b != 0.0:
            total += l1[j] * abs(b) + 0.5 * l2[j] * b * b
    return total


@njit(cache=True, nogil=True, fastmath=_FASTMATH, error_model="numpy")
def _evaluate(family, y, h, eta, d):
    """``d = ℓ'(η)``; returns ``F(η) = Σ h ℓ(y, η)``."""
    trial_eta = np.empty(y.shape[0])
    return _trial_point(family, y, h, eta, np.zeros(y.shape[0]), 0.0, trial_eta, d)


@njit(cache=True, nogil=True, fastmath=_FASTMATH)
def _gradient_and_model(
    X,
    data,
    indices,
    indptr,
    y,
    h,
    d,
    family,
    fit_intercept,
    curvature_floor,
    scaled,
    w,
    r0,
    gradient,
    features,
    mu,
    hx,
    lipschitz,
    newton,
):
    """From ``d = ℓ'(η)``: ``gradient_j = −x_jᵀ(h⊙d)`` for ``features`` (returns the
    intercept component ``−Σ h d``), and with ``newton`` in the same pass over the
    columns the quadratic model: IRLS weights ``w``, working residual ``r0``, the
    weighted column means ``mu``, sums ``hx = Σ w x`` (sparse only) and curvatures
    ``lipschitz`` (``Σ w (x − mu)²``). ``X`` is dense unless ``indptr`` is non-empty
    (then the CSC arrays ``data``, ``indices``, ``indptr`` are the design)."""
    n = y.shape[0]
    sparse = indptr.shape[0] > 0
    total = 0.0
    total_w = 0.0
    for i in range(n):
        scaled[i] = -h[i] * d[i]
        total += scaled[i]
        if newton:
            c = max(curvature_from_derivative(family, y[i], d[i]), curvature_floor)
            w[i] = h[i] * c
            r0[i] = -d[i] / c
            total_w += w[i]
    centre = newton and fit_intercept and total_w > 0.0
    for j in features:
        acc = 0.0
        if sparse:
            start, end = indptr[j], indptr[j + 1]
            if newton:
                sw = 0.0
                sw2 = 0.0
                for k in range(start, end):
                    i = indices[k]
                    x = data[k]
                    acc += x * scaled[i]
                    wx = w[i] * x
                    sw += wx
                    sw2 += wx * x
                m = sw / total_w if centre else 0.0
                curv = sw2 - m * sw
                if curv < 1e-6 * sw2:
                    # Cancellation: Σ_nnz w (x − m)² + m²·(weight of the zero rows).
                    curv = 0.0
                    w_nnz = 0.0
                    for k in range(start, end):
                        i = indices[k]
                        c = data[k] - m
                        curv += w[i] * c * c
                        w_nnz += w[i]
                    curv += m * m * max(total_w - w_nnz, 0.0)
                mu[j] = m
                hx[j] = sw
                lipschitz[j] = curv if curv > 1e-20 * sw2 else 0.0
            else:
                for k in range(start, end):
                    acc += data[k] * scaled[indices[k]]
        elif newton:
            sw = 0.0
            sw2 = 0.0
            for i in range(n):
                x = X[i, j]
                acc += x * scaled[i]
                wx = w[i] * x
                sw += wx
                sw2 += wx * x
            m = sw / total_w if centre else 0.0
            curv = sw2 - m * sw
            if curv < 1e-6 * sw2:
                # Σwx² − W·m² cancels (a column with a large mean): recompute centred.
                curv = 0.0
                for i in range(n):
                    c = X[i, j] - m
                    curv += w[i] * c * c
            mu[j] = m
            # A column constant on the weighted rows has no direction.
            lipschitz[j] = curv if curv > 1e-20 * sw2 else 0.0
        else:
            for i in range(n):
                acc += X[i, j] * scaled[i]
        gradient[j] = acc
    return total


# The rule of constants.next_forcing, compiled for the GLM and Cox paths.
next_forcing = njit(cache=True, nogil=True)(_next_forcing_rule)


@njit(cache=True, nogil=True, inline="always")
def _violation(g, b, l1, l2, lower, upper):
    """Distance of ``−∇_j F = g`` to ``∂g_j(b)`` (penalties.kkt_violation), the box's
    normal cone included: on a bound the interval opens outward."""
    target = g - l2 * b
    if b > 0.0:
        low = l1
        high = l1
    elif b < 0.0:
        low = -l1
        high = -l1
    else:
        low = -l1
        high = l1
    if b <= lower:
        low = -np.inf
    if b >= upper:
        high = np.inf
    return max(low - target, target - high, 0.0)


@njit(cache=True, nogil=True, fastmath=_FASTMATH)
def _accelerated_cd_dense(
    X, w, mu, r, coef, lipschitz, l1, l2, lower, upper, features, active_sweeps, threshold,
    history, trial_r, active,
):  # fmt: skip
    """One round of weighted coordinate descent on a dense ``X`` (a sweep over
    ``features``, then up to ``active_sweeps`` over its non-zeros, as
    :func:`._kernels.cd_dense`), with an Anderson step on the non-zeros after every
    ``_ANDERSON_DEPTH + 1`` active sweeps (:func:`.dense_path._extrapolate`: taken only
    where it lowers the model ``½ Σ w r² + g``); returns the full sweep's change.

    Why: on a fixed support the active sweeps are a linear fixed-point iteration, slow
    on correlated columns, where extrapolation from the last iterates skips most of
    them. On the 1000 × 10000 AR(1) rho 0.95 L1-logistic path the active sweeps were
    ~⅔ of the time (3.0M column visits against 1.1M in full sweeps); with these steps
    its CPU time went 3.68 -> 2.44 s, 577 × 1732 rho 0.95 0.55 -> 0.22 s, and rho 0
    designs (where the steps are rarely taken) stayed within noise.
    """
    change = _sweep_dense(X, w, mu, r, coef, lipschitz, l1, l2, lower, upper, features)
    if change <= threshold:
        return change
    n_active = _nonzero_subset(coef, features, active)
    subset = active[:n_active]
    n_history = 0
    for _ in range(active_sweeps):
        if _sweep_dense(X, w, mu, r, coef, lipschitz, l1, l2, lower, upper, subset) <= threshold:
            break
        for t in range(n_active):
            history[n_history, t] = coef[subset[t]]
        n_history += 1
        if n_history == history.shape[0]:
            _extrapolate(
                X, w, mu, r, coef, l1, l2, lower, upper, subset, history[:, :n_active], trial_r
            )
            n_history = 0
    return change


@njit(cache=True, nogil=True, fastmath=_FASTMATH)
def _extrapolate_sparse(
    data, indices, indptr, w, mu, s, offset, coef, l1, l2, lower, upper, features, history,
    trial_s,
):  # fmt: skip
    """:func:`.dense_path._extrapolate` on CSC columns centred implicitly: the model
    residual is ``s + c`` (``c = offset[0]``), so moving ``β_j`` by ``δ`` costs the
    column's non-zeros and ``c += δ·mu_j`` (:func:`.sparse_path.move_if_lower`). Taken
    only where it lowers ``½ Σ w (s + c)² + penalty``."""
    n_set = features.shape[0]
    point = np.empty(n_set)
    current_values = np.empty(n_set)
    if not anderson_point(coef, lower, upper, features, history, point, current_values):
        return
    for t in range(n_set):
        # On the current orthant face: a coefficient the extrapolation carries across
        # zero (or off it) stays at zero, where the L1 kink would make the step
        # overshoot (the iterates are linear in the weights only on a fixed sign pattern).
        if point[t] * current_values[t] <= 0.0:
            point[t] = 0.0
    move_if_lower(
        data, indices, indptr, w, mu, s, offset, coef, l1, l2, features, point, current_values,
        trial_s,
    )  # fmt: skip


@njit(cache=True, nogil=True, fastmath=_FASTMATH)
def _accelerated_cd_sparse(
    data, indices, indptr, w, hx, mu, s, offset, coef, lipschitz, l1, l2, lower, upper,
    features, active_sweeps, threshold, history, trial_s, active,
):  # fmt: skip
    """:func:`._kernels.cd_sparse` (a sweep over ``features``, then up to
    ``active_sweeps`` over its non-zeros) with the Anderson steps of
    :func:`_accelerated_cd_dense` (:func:`_extrapolate_sparse`); returns the full
    sweep's change.

    Why: the sparse L1-logistic paths spend most of their time in the active sweeps,
    and most Newton directions used all of them (3162 × 3162 at density 0.01: 84 of
    156 directions ran the 10, 1102 active sweeps against 156 full ones; late on the
    path, with ~1700 non-zeros for 3162 samples, a sweep shrinks the change by only
    ~0.9). Unprojected, two in three extrapolations were rejected (weights ~±20 that
    carry a few coefficients across zero); on the orthant face all were taken. Speed
    map L1-logistic paths on CSC X (29 shapes, CPU time): geometric mean 0.74 of
    before, 3162 × 3162 0.30 -> 0.21 s (156 -> 128 Newton steps), 1826 × 5477 at
    density 0.001 0.33 -> 0.13 s; n ≫ p shapes (fast sweeps, few steps) 0.93-0.97."""
    change = _sweep_sparse(
        data, indices, indptr, w, hx, mu, s, offset, coef, lipschitz, l1, l2, lower, upper,
        features,
    )  # fmt: skip
    if change <= threshold:
        return change
    n_active = _nonzero_subset(coef, features, active)
    subset = active[:n_active]
    n_history = 0
    for _ in range(active_sweeps):
        active_change = _sweep_sparse(
            data, indices, indptr, w, hx, mu, s, offset, coef, lipschitz, l1, l2, lower, upper,
            subset,
        )  # fmt: skip
        if active_change <= threshold:
            break
        for t in range(n_active):
            history[n_history, t] = coef[subset[t]]
        n_history += 1
        if n_history == history.shape[0]:
            _extrapolate_sparse(
                data, indices, indptr, w, mu, s, offset, coef, l1, l2, lower, upper, subset,
                history[:, :n_active], trial_s,
            )  # fmt: skip
            n_history = 0
    return change


@njit(cache=True, nogil=True, fastmath=_FASTMATH, error_model="numpy")
def _newton_step(
    X,
    data,
    indices,
    indptr,
    y,
    h,
    eta,
    coef,
    intercept,
    state,
    d,
    features,
    l1,
    l2,
    lower,
    upper,
    fit_intercept,
    family,
    violation,
    armijo,
    inner_rounds,
    active_sweeps,
    max_halvings,
    w,
    r,
    r0,
    mu,
    hx,
    lipschitz,
    trial,
    trial_eta,
    trial_d,
    X32,
    single,
    history,
    trial_r,
    active,
):
    """One proximal-Newton step on ``features`` from the model of
    :func:`_gradient_and_model` (``w``, ``r0``, ``mu``, ``lipschitz``).

    Minimizes ``½ Σ w_i (r0_i − x̃_iᵀΔ − Δ₀)² + g(β + Δ)`` by coordinate descent (as
    :func:`.glm.newton_direction`), then backtracks on ``F + g``. The change of ``η``
    for a unit step is ``r0 − r`` (initial minus final model residual), so no product
    with ``X`` is needed. ``state[0]`` holds ``F(η)`` and ``d`` holds ``ℓ'(η)``; both
    are updated with ``η``. Returns the step taken (0: none). On CSC ``X`` (non-empty
    ``indptr``) the model residual is ``r + c`` with the scalar ``c`` of
    :func:`_accelerated_cd_sparse` (implicit centring).

    With ``single`` (dense ``X``), the coordinate descent reads the single-precision
    copy ``X32`` of the features' columns (half the bytes of a sweep bound by memory
    bandwidth): the direction minimizes the model of ``fl32(X)``, an inexact Newton
    direction, and the change of ``η`` is then recomputed from ``X`` in double
    (:func:`_eta_change`), so the line search, ``η`` and ``F`` stay exact.
    """
    n = y.shape[0]
    sparse = indptr.shape[0] > 0
    residual_offset = np.zeros(1)
    total_w = 0.0
    shift = 0.0
    if fit_intercept:
        for i in range(n):
            total_w += w[i]
            shift += w[i] * r0[i]
        shift = shift / total_w if total_w > 0.0 else 0.0
    for i in range(n):
        r[i] = r0[i] - shift
    for j in features:
        trial[j] = coef[j]
    # Inexact inner solve: tightened with the violation, as glm.py's.
    threshold = violation * violation
    for _ in range(inner_rounds):
        if sparse:
            change = _accelerated_cd_sparse(
                data, indices, indptr, w, hx, mu, r, residual_offset, trial, lipschitz,
                l1, l2, lower, upper, features, active_sweeps, threshold,
                history[: _SPARSE_ANDERSON_DEPTH + 1], trial_r, active,
            )  # fmt: skip
        elif single:
            change = _accelerated_cd_dense(
                X32, w, mu, r, trial, lipschitz, l1, l2, lower, upper, features,
                active_sweeps, threshold, history[: _ANDERSON_DEPTH + 1], trial_r, active,
            )  # fmt: skip
        else:
            change = _accelerated_cd_dense(
                X, w, mu, r, trial, lipschitz, l1, l2, lower, upper, features,
                active_sweeps, threshold, history[: _ANDERSON_DEPTH + 1], trial_r, active,
            )  # fmt: skip
        if change <= threshold:
            break
    if sparse:
        for i in range(n):
            r[i] += residual_offset[0]
    delta_intercept = shift
    old_pen = 0.0
    new_pen = 0.0
    for j in features:
        delta = trial[j] - coef[j]
        delta_intercept -= mu[j] * delta
        old_pen += l1[j] * abs(coef[j]) + 0.5 * l2[j] * coef[j] * coef[j]
        new_pen += l1[j] * abs(trial[j]) + 0.5 * l2[j] * trial[j] * trial[j]
    decrement = new_pen - old_pen
    if single:
        _eta_change(X, coef, trial, features, delta_intercept, r0)
    else:
        for i in range(n):
            r0[i] -= r[i]  # now the change of η for a unit step
    for i in range(n):
        decrement += h[i] * d[i] * r0[i]
    old_objective = state[0] + old_pen
    slack = 1e-15 * abs(old_objective)
    step = 1.0
    for _ in range(max_halvings):
        value = _trial_point(family, y, h, eta, r0, step, trial_eta, trial_d)
        pen = 0.0
        for j in features:
            b = coef[j] + step * (trial[j] - coef[j])
            pen += l1[j] * abs(b) + 0.5 * l2[j] * b * b
        # Armijo; a NaN or inf trial (overflowed exp) fails the test and backtracks.
        if value + pen <= old_objective + armijo * step * min(decrement, 0.0) + slack:
            for j in features:
                coef[j] += step * (trial[j] - coef[j])
            for i in range(n):
                eta[i] = trial_eta[i]
                d[i] = trial_d[i]
            state[0] = value
            intercept[0] += step * delta_intercept
            return step
        step *= 0.5
    return 0.0


@njit(cache=True, nogil=True, fastmath=_FASTMATH, error_model="numpy")
def _duality_gap(family, y, h, offset, value, d, coef, gradient, l1, l2, lower, upper):
    """:meth:`.glm.GLMProblem.duality_gap`: ``θ = s·(−ℓ')`` with the largest ``s ≤ 1``
    feasible for the pure-L1 coordinates on the sides their box leaves open;
    ``gap = P + Σ h (ℓ*(−θ) + θ·offset) + g*(s·∇)`` (``g*`` over the box)."""
    p = coef.shape[0]
    scale = 1.0
    worst = 0.0
    for j in range(p):
        if l2[j] == 0.0 and l1[j] > 0.0:
            worst = max(worst, dual_scale_score(gradient[j], lower[j], upper[j]) / l1[j])
    if worst > 1.0:
        scale = 1.0 / worst
    dual = 0.0
    primal = value
    for i in range(y.shape[0]):
        # A select, not a branch: the logistic loop vectorizes.
        term = h[i] * (conjugate(family, y[i], -scale * d[i]) - scale * d[i] * offset[i])
        dual += term if h[i] != 0.0 else 0.0
    conj = 0.0
    for j in range(p):
        z = scale * gradient[j]
        if l2[j] > 0.0:
            conj += box_conjugate(z, l1[j], l2[j], lower[j], upper[j])
        elif l1[j] > 0.0:
            # Open sides are feasible by the choice of scale; bounded ones add theirs.
            if upper[j] < np.inf:
                conj += _one_side_conjugate(z - l1[j], 0.0, upper[j])
            if lower[j] > -np.inf:
                conj += _one_side_conjugate(-z - l1[j], 0.0, -lower[j])
    primal += _penalty(coef, l1, l2)
    return max(primal + dual + conj, 0.0)


@njit(cache=True, nogil=True, fastmath=_FASTMATH)
def glm_path(
    X,
    data,
    indices,
    indptr,
    y,
    h,
    eta,
    offset,
    coef,
    intercept,
    gradient,
    alphas,
    alpha_start,
    l1_ratio,
    weights,
    lower,
    upper,
    fit_intercept,
    family,
    tol_abs,
    max_iter,
    curvature_floor,
    armijo,
    inner_rounds,
    active_sweeps,
    max_halvings,
    coefs,
    intercepts,
    gaps,
    n_iters,
    converged,
    X32,
    colmax,
    tol_rel=np.inf,
    single_cd_entries=np.inf,
):
    """The penalized-GLM path along ``alphas`` (decreasing), in one call.

    Parameters
    ----------
    X : ndarray (n, p), Fortran order
        The design when ``indptr`` is empty (else unused).
    data, indices, indptr : ndarray
        The CSC arrays of a sparse design (canonical: no duplicate entries), or empty
        arrays for a dense one. Sparse columns are centred implicitly.
    y, h : ndarray (n,)
        Target (as the datafit's ``check_target`` returns it) and sample weights
        summing to one.
    eta : ndarray (n,)
        Linear predictor of the warm start (offset included); updated in place.
    offset : ndarray (n,)
        The offset inside ``eta`` (zeros if none): the duality gap needs it.
    coef : ndarray (p,), intercept : ndarray (1,)
        Warm start, updated in place.
    gradient : ndarray (p,)
        ``−Xᵀ∂F/∂η`` at the warm start (for the strong rule); updated in place.
    alphas : ndarray, alpha_start : float
        The grid and the alpha the warm start solves (``alpha_max`` for a cold start).
    l1_ratio, weights, lower, upper, fit_intercept, family
        The problem (``lower``, ``upper``: the box of the coefficients; ``family``:
        :data:`LOGISTIC`, :data:`POISSON` or :data:`GAMMA`).
    tol_abs : float
        Largest KKT violation accepted (absolute).
    max_iter : int
        Newton steps per alpha.
    curvature_floor, armijo, inner_rounds, active_sweeps, max_halvings
        Tuning constants from :mod:`.constants`.
    coefs, intercepts, gaps, n_iters, converged
        Outputs, one row / entry per alpha.
    X32, colmax : ndarray (n, p) float32 Fortran order, ndarray (p,)
        Room for ``fl32(X)`` of a dense ``X`` and ``max_i |X_ij|`` (``−1``: column not
        yet copied), filled as the path goes: the full gradient of the KKT check reads
        ``X32`` where that proves a zero coefficient optimal
        (:func:`_screened_gradient`). ``colmax`` empty: unused (then ``X32`` is any
        Fortran-order float32 array).
    tol_rel : float
        An alpha also needs its last Newton step to have moved no coefficient by more
        than ``tol_rel·max|β|`` (scikit-learn's test; ``inf``: the KKT test alone).
    single_cd_entries : float
        With the single-precision copy (``colmax`` of size ``p``), a Newton step whose
        working set holds at least this many entries of ``X`` runs its coordinate
        descent on ``X32`` (:func:`_newton_step`), while the KKT violation is above
        :data:`_SINGLE_MARGIN` times the bound ``(2⁻²⁴ + n·2⁻⁵²)·max_j|X_j|·Σ|h⊙ℓ'|``
        on the model gradient's error from the rounding of ``X``; below it, and after a
        single-precision step fails its line search, the alpha goes on in double.
    """
    n, p = y.shape[0], coef.shape[0]
    screened = p > 0 and colmax.shape[0] == p and indptr.shape[0] == 0
    before = np.empty(p)
    l1 = np.empty(p)
    l2 = np.empty(p)
    in_set = np.zeros(p, dtype=np.bool_)
    working_set = np.empty(p, dtype=np.int64)
    outside = np.empty(p, dtype=np.int64)
    d = np.empty(n)
    trial_d = np.empty(n)
    scaled = np.empty(n)
    w = np.empty(n)
    r = np.empty(n)
    r0 = np.empty(n)
    trial_eta = np.empty(n)
    mu = np.zeros(p)
    hx = np.zeros(p)
    lipschitz = np.zeros(p)
    trial = np.zeros(p)
    history = np.empty((max(_ANDERSON_DEPTH, _SPARSE_ANDERSON_DEPTH) + 1, p))
    trial_r = np.empty(n)
    active = np.empty(p, dtype=np.int64)
    # F(η) and d = ℓ'(η) are kept current with η: each accepted line-search trial
    # brings its own, so a Newton step costs one exp (and one log) per sample.
    state = np.array([_evaluate(family, y, h, eta, d)])
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
        gap = np.inf
        worst = np.inf
        small = True  # no step yet: the KKT test alone decides
        double_only = not screened or tol_rel < np.inf
        forcing = 1.0  # the inner solve's forcing term (constants.NEWTON_SLOW_RATIO)
        last_worst = np.inf
        while True:
            features = working_set[:n_set]
            fresh = False  # is `gradient` on the working set current?
            while n_iter < max_iter:
                # The model for the Newton step comes in the same pass as the gradient
                # (wasted only on the last, converged check of each working set).
                intercept_gradient = _gradient_and_model(
                    X, data, indices, indptr, y, h, d, family, fit_intercept,
                    curvature_floor, scaled, w, r0, gradient, features, mu, hx, lipschitz,
                    True,
                )  # fmt: skip
                fresh = True
                worst = abs(intercept_gradient) if fit_intercept else 0.0
                for j in features:
                    worst = max(
                        worst, _violation(gradient[j], coef[j], l1[j], l2[j], lower[j], upper[j])
                    )
                if worst <= tol_abs and small:
                    break
                forcing = next_forcing(forcing, worst, last_worst, tol_abs)
                last_worst = worst
                for j in features:
                    before[j] = coef[j]
                single = not double_only and n * n_set >= single_cd_entries
                if single:
                    mass = 0.0
                    for i in range(n):
                        mass += abs(scaled[i])
                    top = _single_copy(X, X32, colmax, features)
                    rounding = (_SINGLE_UNIT + n * 2.0**-52) * top * mass
                    single = worst > _SINGLE_MARGIN * rounding
                taken = _newton_step(
                    X, data, indices, indptr, y, h, eta, coef, intercept, state, d,
                    features, l1, l2, lower, upper, fit_intercept, family, forcing * worst, armijo,
                    inner_rounds, active_sweeps, max_halvings, w, r, r0, mu, hx, lipschitz,
                    trial, trial_eta, trial_d, X32, single, history, trial_r, active,
                )  # fmt: skip
                n_iter += 1
                if taken == 0.0 and single:
                    # The single-precision direction failed: retry in double.
                    double_only = True
                    continue
                if taken == 0.0:
                    # No step passed Armijo (the decrease is below F's rounding): the
                    # point is unchanged, so the next model and direction would be the
                    # same, and fail the same way until max_iter. The gradient on the
                    # set is still current; only new violators can change anything.
                    break
                fresh = False
                w_max = 0.0
                d_w_max = 0.0
                for j in features:
                    w_max = max(w_max, abs(coef[j]))
                    d_w_max = max(d_w_max, abs(coef[j] - before[j]))
                small = w_max == 0.0 or d_w_max <= tol_rel * w_max
            # The full gradient: only the features outside the set when the set's is
            # current (the loop above broke on convergence).
            n_out = 0
            for j in range(p):
                if not (fresh and in_set[j]):
                    outside[n_out] = j
                    n_out += 1
            # With the float32 screen, this call gives `scaled` and the intercept's
            # component only; the features' come from X32 / X below.
            exact_features = outside[:0] if screened else outside[:n_out]
            intercept_gradient = _gradient_and_model(
                X, data, indices, indptr, y, h, d, family, fit_intercept,
                curvature_floor, scaled, w, r0, gradient, exact_features, mu, hx,
                lipschitz, False,
            )  # fmt: skip
            if screened:
                _screened_gradient(
                    X, X32, colmax, scaled, outside[:n_out], coef, l1, lower, upper, gradient
                )
            worst = abs(intercept_gradient) if fit_intercept else 0.0
            grows = False
            for j in range(p):
                v = _violation(gradient[j], coef[j], l1[j], l2[j], lower[j], upper[j])
                worst = max(worst, v)
                if v > 0.0 and not in_set[j]:
                    grows = True
            # Stop also when nothing can change (no new violator: NaN or overflow in
            # extreme inputs), else this loops forever.
            if worst <= tol_abs or n_iter >= max_iter or not grows:
                gap = _duality_gap(
                    family, y, h, offset, state[0], d, coef, gradient, l1, l2, lower, upper
                )
                if np.isnan(gap):
                    gap = worst
                break
            for j in range(p):
                violation_j = _violation(gradient[j], coef[j], l1[j], l2[j], lower[j], upper[j])
                if not in_set[j] and violation_j > 0:
                    in_set[j] = True
                    working_set[n_set] = j
                    n_set += 1
        coefs[k] = coef
        intercepts[k] = intercept[0]
        gaps[k] = gap
        n_iters[k] = n_iter
        converged[k] = worst <= tol_abs
        previous = alpha
