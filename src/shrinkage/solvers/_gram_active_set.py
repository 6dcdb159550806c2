"""Exact active-set (Newton) steps for the compiled Gram path.

Coordinate descent needs many sweeps when the active coordinates are correlated (the
``n ≈ p`` end of a path: hundreds of non-zeros, an ill-conditioned ``G_AA``). Once
the support ``A`` and the signs ``s`` of ``β`` are known, the elastic net restricted
to them is a quadratic,

.. math::

    \\min_{\\beta_A}\\; \\tfrac12 \\beta_A^\\top (G_{AA} + \\operatorname{diag} l2_A)\\beta_A
        - (q_A - G_{A\\bar A}\\beta_{\\bar A})^\\top\\beta_A + l1_A^\\top (s_A\\circ\\beta_A),

whose minimizer is one linear solve. From the current ``β`` (gradient
``g = q − Gβ``) the step is

.. math::

    (G_{AA} + \\operatorname{diag} l2_A)\\,\\delta = g_A - l2_A\\circ\\beta_A - l1_A\\circ s_A .

On the face of the orthant where the signs stay ``s`` the objective *is* that
quadratic, so every point of the segment ``β + tδ``, ``0 < t ≤ 1``, up to the first
sign change (or box bound) lowers the objective (a convex quadratic decreases from
``t = 0`` to its minimizer ``t = 1``). :func:`newton_step` takes the whole step when
no sign flips (the restricted problem is then solved to rounding: the gap drops to
its rounding level in one step) and otherwise stops at the first crossing and puts
the crossing coordinates exactly on zero (or their bound): a homotopy step, after
which coordinate descent goes on. The caller checks KKT and the duality gap on all
features as before; nothing here is trusted without that certificate.

The factor ``L Lᵀ = G_AA + diag(l2_A)`` is kept *across* steps and alphas: along a
path the support changes by a few features per alpha, so a feature that enters
costs one triangular solve (``O(m²)``, :func:`_append`) and one that leaves a
sweep of Givens rotations (``O(m²)``, :func:`_delete`), instead of ``m³/6``
multiply-adds for a new factorization. The step itself costs two triangular solves and
one ``O(|A|·p)`` gradient update, the price of a single coordinate-descent sweep over
``A``. A column (nearly) in the span of the factored ones (duplicated features,
``n < |A|``) is refused: the restricted system is then singular and coordinate
descent handles it.

On an elastic-net path ``l2 = α(1 − ρ)w`` shrinks with alpha, so the factor of a
larger alpha ``α'`` is kept too (until ``α`` has halved): it factors
``G_AA + diag(l2'_A)``, a shifted system. A cut piece moves along that factor's own
solution (still a descent direction for this alpha), a whole one is refined to this
alpha's exact solution by conjugate gradients preconditioned with the kept factor
(:func:`_refine_shifted`).
"""

from __future__ import annotations

import numpy as np

from .._jit import njit
from ._kernels import _FASTMATH

#: A column enters the factor only if its pivot ``d² = M_jj − ‖w‖²`` keeps more than
#: this fraction of ``M_jj``: below it the column is, to rounding, a combination of
#: the factored ones (a singular or hopelessly ill-conditioned restricted system).
PIVOT_RATIO = 1e-9
#: The same for a float32 factor (of a float32 ``G``): its rows are rounded to
#: ``2⁻²⁴``, so ``M_jj − ‖w‖²`` carries an error of about ``1e-7·M_jj``.
PIVOT_RATIO_SINGLE = 1e-5

# The small helpers below are ``inline="always"``: typed into their one or two callers
# instead of compiled (and cached, and linked into every caller's module) as kernels
# of their own; that is the cold-cache cost (benchmarks/JIT_COST.md), not the run time.

@njit(cache=True, nogil=True, fastmath=_FASTMATH, inline="always")
def _forward(L, m, b):
    """``b ← L⁻¹ b`` on ``b[:m]`` (``L`` lower triangular, rows contiguous)."""
    for i in range(m):
        acc = b[i]
        row = L[i]
        for t in range(i):
            acc -= row[t] * b[t]
        b[i] = acc / row[i]


@njit(cache=True, nogil=True, fastmath=_FASTMATH, inline="always")
def _backward(L, m, b):
    """``b ← L⁻ᵀ b`` on ``b[:m]`` (column-oriented: reads rows of ``L``)."""
    for i in range(m - 1, -1, -1):
        x = b[i] / L[i, i]
        b[i] = x
        row = L[i]
        for t in range(i):
            b[t] -= x * row[t]


#: Relative size (``‖r‖_{M⁻¹}`` against ``‖b‖_{M⁻¹}``) of the residual at which
#: :func:`_refine_shifted` stops: the rounding level of the direct solve it replaces.
SHIFTED_SOLVE_TOL = 1e-13
#: The same for a float32 factor (its direct solve is exact to ``~1e-7`` only).
SHIFTED_SOLVE_TOL_SINGLE = 1e-6
#: Iterations of :func:`_refine_shifted` at most (the path keeps the condition number
#: of ``M⁻¹A`` under ``FACTOR_MAX_SHIFT``, 2: 20 suffice).
SHIFTED_SOLVE_MAX_ITER = 60


@njit(cache=True, nogil=True, fastmath=_FASTMATH, inline="always")
def _refine_shifted(L, m, order, shift, x, r, b_norm2):
    """Conjugate gradients on ``(LLᵀ + diag(shift_A)) x = b``, preconditioned with the
    factor itself, from ``x[:m]`` whose residual ``b − Ax`` is ``r[:m]`` (both updated;
    ``b_norm2 = bᵀ(LLᵀ)⁻¹b`` scales the stopping test).

    The factor is that of ``M = G_AA + diag(l2'_A)`` at an earlier (larger) alpha of
    an elastic-net path; the system of this one is ``A = G_AA + diag(l2_A) = M + D``,
    ``D = diag(l2_A − l2'_A) ⪯ 0``. As ``l2 = α(1 − ρ)w`` moves by the factor
    ``α/α'`` on every coordinate and ``G_AA ⪰ 0``, the eigenvalues of ``M⁻¹A`` lie in
    ``[α/α', 1]``: each iteration (two triangular solves, the cost of one direct
    solve) contracts the error by ``(√κ − 1)/(√κ + 1)``, ``κ = α'/α`` (0.02 one
    alpha of a 100-alpha grid after the factor, 0.17 at ``κ = 2``). ``Mp`` is carried
    by the recursion ``Mp ← r + βMp`` (``Mz = r``), so ``Ap = Mp + Dp`` costs
    ``O(m)``: no product with ``L`` or ``G``. Rebuilding the factor instead costs
    ``m³/6``, ``m/6`` solves (6325x1581 rho 0.95, l1_ratio 0.5: 1000 non-zeros, 170
    solves an alpha). Returns whether it reached its tolerance (not when the iteration
    budget ran out, or the curvature ``pᵀAp`` was not positive: rounding)."""
    tol = SHIFTED_SOLVE_TOL if L.itemsize == 8 else SHIFTED_SOLVE_TOL_SINGLE
    stop = tol * tol * b_norm2
    z = r[:m].copy()
    _forward(L, m, z)
    _backward(L, m, z)
    p = z.copy()
    mp = r[:m].copy()  # M p (p = z = M⁻¹r)
    ap = np.empty(m)
    rz = 0.0
    for t in range(m):
        rz += r[t] * z[t]
    for _ in range(SHIFTED_SOLVE_MAX_ITER):
        if not rz > stop:  # (also 0 or NaN)
            break
        pap = 0.0
        for t in range(m):
            ap[t] = mp[t] + shift[order[t]] * p[t]
            pap += p[t] * ap[t]
        if not pap > 0.0:
            break
        a = rz / pap
        for t in range(m):
            x[t] += a * p[t]
            r[t] -= a * ap[t]
            z[t] = r[t]
        _forward(L, m, z)
        _backward(L, m, z)
        rz_new = 0.0
        for t in range(m):
            rz_new += r[t] * z[t]
        beta = rz_new / rz
        for t in range(m):
            p[t] = z[t] + beta * p[t]
            mp[t] = r[t] + beta * mp[t]
        rz = rz_new
    return rz <= stop


@njit(cache=True, nogil=True, fastmath=_FASTMATH, inline="always")
def _piece_length(coef, delta, order, lower, upper, m):
    """The largest ``t ≤ 1`` that keeps the signs and the box along ``β_A + tδ``."""
    step = 1.0
    for t in range(m):
        j = order[t]
        b = coef[j]
        d = delta[t]
        new = b + d
        if new * b <= 0.0:  # reaches zero
            step = min(step, b / -d)
        if new > upper[j]:
            step = min(step, (upper[j] - b) / d)
        elif new < lower[j]:
            step = min(step, (lower[j] - b) / d)
    return step


@njit(cache=True, nogil=True, fastmath=_FASTMATH, inline="always")
def _append(gram, l2, L, order, position, m, j):
    """Add feature ``j`` as row ``m`` of the factor; False (nothing changed) when its
    pivot is below :data:`PIVOT_RATIO` (the restricted system would be singular)."""
    row = L[m]
    for t in range(m):
        row[t] = gram[order[t], j]
    _forward(L, m, row)
    diagonal = gram[j, j] + l2[j]
    d2 = diagonal
    for t in range(m):
        d2 -= row[t] * row[t]
    if not d2 > (PIVOT_RATIO if L.itemsize == 8 else PIVOT_RATIO_SINGLE) * diagonal:
        return False
    row[m] = np.sqrt(d2)
    order[m] = j
    position[j] = m
    return True


@njit(cache=True, nogil=True, fastmath=_FASTMATH)
def _delete(L, order, position, m, k):
    """Remove position ``k`` from a factor of size ``m`` (Givens rotations).

    Dropping row ``k`` of ``L`` leaves rows ``k…m−2`` with one entry right of the
    diagonal; rotating columns ``(j, j+1)`` (an orthogonal ``Q``: ``LQQᵀLᵀ = LLᵀ``)
    zeroes it, row by row.
    """
    position[order[k]] = -1
    for i in range(k, m - 1):
        order[i] = order[i + 1]
        position[order[i]] = i
        for t in range(i + 2):
            L[i, t] = L[i + 1, t]
    for j in range(k, m - 1):
        a = L[j, j]
        b = L[j, j + 1]
        r = np.hypot(a, b)
        c = a / r
        s = b / r
        for i in range(j, m - 1):
            x = L[i, j]
            y = L[i, j + 1]
            L[i, j] = c * x + s * y
            L[i, j + 1] = c * y - s * x
        L[j, j + 1] = 0.0


#: From this many rows, :func:`sync_factor` builds an empty float64 factor (when
#: allowed: ``blocked``) by LAPACK's blocked Cholesky instead of row by row: each
#: appended row's forward solve streams the whole factor (``m²/2`` entries, out of
#: cache from a few hundred rows), the blocked one reuses cached blocks (an elastic
#: net's factor, rebuilt as ``l2`` moves, 1700 rows: several times faster).
BLOCKED_BUILD_MIN = 64


@njit(cache=True, nogil=True, fastmath=_FASTMATH)
def _build_blocked(gram, l2, L, order, position, features, target):
    """Factor ``G_AA + diag(l2_A)`` (``A``: the features of ``features`` marked in
    ``target``, in that order) into the empty ``L`` at once; the factor's size, or
    0 (nothing changed) when it does not fit, is not positive definite in floating
    point, or a pivot is below :data:`PIVOT_RATIO` (the rows appended one by one
    then refuse the offending columns)."""
    count = 0
    for j in features:
        count += target[j]
    if count > L.shape[0]:
        return 0
    chosen = np.empty(count, dtype=np.int64)
    count = 0
    for j in features:
        if target[j]:
            chosen[count] = j
            count += 1
    system = np.empty((count, count))
    for a in range(count):
        ja = chosen[a]
        for b in range(a):
            entry = gram[ja, chosen[b]]
            system[a, b] = entry
            system[b, a] = entry
        system[a, a] = gram[ja, ja] + l2[ja]
    try:
        lower = np.linalg.cholesky(system)
    except Exception:  # not positive definite in floating point
        return 0
    for a in range(count):
        d = lower[a, a]
        if not d * d > PIVOT_RATIO * system[a, a]:
            return 0
    for a in range(count):
        for b in range(a + 1):
            L[a, b] = lower[a, b]
        order[a] = chosen[a]
        position[chosen[a]] = a
    return count


@njit(cache=True, nogil=True, fastmath=_FASTMATH)
def sync_factor(
    gram, l2, coef, lower, upper, features, L, order, position, size, target, blocked=False
):
    """Make the factor hold exactly the free non-zeros of ``features``.

    A free non-zero is ``β_j ≠ 0`` strictly inside its box (a coefficient on a bound
    stays fixed). ``size[0]`` is the factor's size, ``target`` a scratch boolean
    array over all features. Returns False when some column could not enter (its
    pivot says the restricted system is singular) or the factor is full. With
    ``blocked``, an empty float64 factor gets many rows at once
    (:data:`BLOCKED_BUILD_MIN`).
    """
    n_target = 0
    for j in features:
        b = coef[j]
        target[j] = b != 0.0 and lower[j] < b < upper[j]
        n_target += target[j]
    m = size[0]
    # Leavers first, from the end: a deletion costs O((m − k)²).
    for k in range(m - 1, -1, -1):
        if not target[order[k]]:
            _delete(L, order, position, m, k)
            m -= 1
    if blocked and m == 0 and n_target >= BLOCKED_BUILD_MIN and L.itemsize == 8:
        m = _build_blocked(gram, l2, L, order, position, features, target)
    ok = True
    for j in features:
        if target[j] and position[j] < 0:
            if m == L.shape[0] or not _append(gram, l2, L, order, position, m, j):
                ok = False
                break
            m += 1
    size[0] = m
    for j in features:
        target[j] = False
    return ok


@njit(cache=True, nogil=True, fastmath=_FASTMATH)
def newton_step(
    gram,
    gradient,
    coef,
    l1,
    l2,
    lower,
    upper,
    working_set,
    L,
    order,
    position,
    size,
    residual,
    start,
    max_pieces,
    shift,
    shifted,
):
    """Active-set steps on the factored support (see the module docstring).

    Each piece solves ``Mδ = r`` (``r = g_A − l2∘β_A − l1∘s_A``, kept per feature in
    ``residual``) and moves to ``β + tδ`` with the largest ``t ≤ 1`` that keeps the
    signs and the box. After a cut (``t < 1``) the crossing coordinates sit exactly on
    zero (or their bound) and leave the factor; the others' ``r`` is ``(1 − t)r``
    (``M`` is linear), so the next piece needs no gradient: a homotopy along the
    faces, up to ``max_pieces`` pieces. ``gradient`` (``q − Gβ`` on ``working_set`` at
    entry) is updated once at the end, with the net change of each coordinate, from
    ``start`` (a copy of ``β``: scratch). Returns 1 when the last piece was a whole
    step (the restricted problem is solved), 2 when it was cut (or its refinement fell
    short of the tolerance), 0 when no step was
    taken (the solve is not a descent direction: rounding on an ill-conditioned
    system).

    With ``shifted`` the factor is of ``G_AA + diag(l2 − shift)`` (an elastic net's
    factor kept from a larger alpha, ``shift ⪯ 0``): a cut piece moves along the
    factor's own solution, a whole one along this alpha's, solved iteratively
    (:func:`_refine_shifted`).
    """
    m = size[0]
    if m == 0:
        return 0
    for j in working_set:
        start[j] = coef[j]
    for t in range(m):
        j = order[t]
        b = coef[j]
        residual[j] = gradient[j] - l2[j] * b - (l1[j] if b > 0.0 else -l1[j])
    status = 0
    delta = np.empty(m)
    # (shifted: the residual b − Aδ of each piece's solve)
    solve_residual = np.empty(m if shifted else 0)
    for _ in range(max_pieces):
        m = size[0]
        if m == 0:
            break
        solved = True  # (False: a whole shifted piece whose refinement fell short)
        for t in range(m):
            delta[t] = residual[order[t]]
        _forward(L, m, delta[:m])
        _backward(L, m, delta[:m])
        decrease = 0.0
        for t in range(m):
            decrease += residual[order[t]] * delta[t]
        if not decrease > 0.0:  # not a descent direction (or NaN)
            break
        step = _piece_length(coef, delta, order, lower, upper, m)
        if shifted:
            # δ = M⁻¹r: a descent direction of this alpha's quadratic too, and as
            # δᵀAδ ≤ δᵀMδ = rᵀδ (D ⪯ 0) its minimizer along δ lies at t ≥ 1, so a cut
            # piece (t < 1) lowers the objective as the exact one would: most pieces
            # are cut, and cost one solve. A whole one is refined to the exact solution
            # of A first (whose own crossings may then cut it).
            for t in range(m):
                solve_residual[t] = -shift[order[t]] * delta[t]
            if step == 1.0:
                solved = _refine_shifted(L, m, order, shift, delta, solve_residual, decrease)
                step = _piece_length(coef, delta, order, lower, upper, m)
        for t in range(m - 1, -1, -1):
            j = order[t]
            b = coef[j]
            new = b + step * delta[t]
            leaves = False
            if new * b <= 0.0:
                new = 0.0
                leaves = True
            if new >= upper[j]:
                new = upper[j]
                leaves = True
            elif new <= lower[j]:
                new = lower[j]
                leaves = True
            coef[j] = new
            if shifted:  # r − tAδ, with Aδ = r − (b − Aδ)
                residual[j] = (1.0 - step) * residual[j] + step * solve_residual[t]
            else:
                residual[j] *= 1.0 - step
            if leaves:
                _delete(L, order, position, size[0], t)
                size[0] -= 1
        if step == 1.0:
            # A refinement that fell short left the restricted problem unsolved: report
            # the step as cut, so that the caller's next round steps again.
            status = 1 if solved else 2
            break
        status = 2
    if status == 0:
        return 0
    # The net change of every coordinate that was in the factor (entered it or not).
    n_features = gradient.shape[0]
    contiguous = working_set.shape[0] > 0.25 * n_features  # as _sweep_gram
    if contiguous:
        _update_by_columns(gram, gradient, coef, start, working_set)
        return status
    for j in working_set:
        if start[j] != 0.0 or coef[j] != 0.0:
            d = coef[j] - start[j]
            if d == 0.0:
                continue
            for k in working_set:
                gradient[k] -= d * gram[k, j]
    return status


@njit(cache=True, nogil=True, fastmath=_FASTMATH, inline="always")
def _update_by_columns(gram, gradient, coef, start, working_set):
    """``∇ −= Σ_j (β_j − start_j)·G_:j`` over the coordinates of ``working_set`` that
    moved, four columns per pass over ``∇``: each entry takes the same subtractions in
    the same order as one column at a time (the same rounding), with a quarter of the
    loads and stores of ``∇`` (what a column update is bound by when ``G``'s columns
    stream from cache)."""
    n_features = gradient.shape[0]
    moved = np.empty(working_set.shape[0], dtype=np.int64)
    n_moved = 0
    for j in working_set:
        if (start[j] != 0.0 or coef[j] != 0.0) and coef[j] - start[j] != 0.0:
            moved[n_moved] = j
            n_moved += 1
    t = 0
    while t + 4 <= n_moved:
        j0, j1, j2, j3 = moved[t], moved[t + 1], moved[t + 2], moved[t + 3]
        d0 = coef[j0] - start[j0]
        d1 = coef[j1] - start[j1]
        d2 = coef[j2] - start[j2]
        d3 = coef[j3] - start[j3]
        for k in range(n_features):
            g = gradient[k]
            g -= d0 * gram[k, j0]
            g -= d1 * gram[k, j1]
            g -= d2 * gram[k, j2]
            g -= d3 * gram[k, j3]
            gradient[k] = g
        t += 4
    while t < n_moved:
        j = moved[t]
        d = coef[j] - start[j]
        for k in range(n_features):
            gradient[k] -= d * gram[k, j]
        t += 1
