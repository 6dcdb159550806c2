"""The whole elastic-net path on the Gram matrix ``G = X̃ᵀHX̃`` in one compiled call.

:func:`gram_path` is glmnet's covariance-update algorithm without leaving compiled code:
the sequential strong rule picks a working set, rounds of
:func:`._kernels.cd_gram` converge on it (with Anderson extrapolation and, on a stable
support, exact active-set steps from :mod:`._gram_active_set`), a KKT pass over all
features adds what the rule missed, and an alpha ends when the duality gap
(:func:`._kernels.elastic_net_gap`) is within the tolerance. The sweeps of a round and
the extrapolation live in :mod:`._gram_sweeps`, the coordinate kernels under them in
:mod:`._kernels`, the active-set steps in :mod:`._gram_steps`.
"""

from __future__ import annotations

import numpy as np

from .._jit import njit
from ._gram_steps import (
    FACTOR_MAX_SHIFT,
    NEWTON_ACTIVE_SWEEPS,
    NEWTON_CD_BUDGET,
    NEWTON_MAX_FAILURES,
    NEWTON_MAX_PROBE_GAP,
    NEWTON_MAX_SIZE,
    NEWTON_OBSERVED_MIN_FEATURES,
    NEWTON_ROUND_COST,
    _active_set_step,
    _is_free,
    _step_costs,
)
from ._gram_sweeps import SINGLE_GRADIENT_FLOOR, _copy_into, _gram_extrapolate, _sweep_round
from ._kernels import (
    _DENSE_UPDATE_FRACTION,
    _FASTMATH,
    _update_is_small,
    elastic_net_gap,
    screening_score,
)

# Small helpers with one or two call sites are ``inline="always"``: typed into the
# caller instead of compiled, cached and linked as kernels of their own (each one a
# few tenths of a second of the first, cold-cache compilation; benchmarks/JIT_COST.md).
# So are the thin dispatchers between `_gram_path` and the sweep and active-set kernels
# (`_sweep_round`; `_active_set_step` in `_gram_steps`): as kernels of their own, each
# one's module linked, re-optimized and re-generated the machine code of the whole subtree below it
# once more. The big callees (`newton_step`, `sync_factor`, `cd_gram`,
# `_gram_extrapolate`) stay kernels: inlining those too was not faster, inlining
# everything much slower (Numba deep-copies an inlined callee's IR block by block, and
# typing grows faster than linearly with a function's size).


@njit(cache=True, nogil=True, fastmath=_FASTMATH)
def _full_gram_gradient(gram, q, coef, gradient, skip):
    """``q − Gβ`` for every feature not in ``skip`` (those are kept exact by the sweeps).

    ``G`` is symmetric, so ``(Gβ)_j = Σ_i G_ij β_i`` reads column ``j`` (contiguous in
    the Fortran-ordered Gram matrix) at the non-zeros' rows: a gather, not the stride-p
    walk along row ``j`` (about 2x on 1414x707 with 600 non-zeros: the matrix is out of
    L2, every strided entry a cache line)."""
    n_features = q.shape[0]
    nonzero = np.empty(n_features, dtype=np.int64)
    values = np.empty(n_features)
    n_nonzero = 0
    for j in range(n_features):
        if coef[j] != 0.0:
            nonzero[n_nonzero] = j
            values[n_nonzero] = coef[j]
            n_nonzero += 1
    for j in range(n_features):
        if skip[j]:
            continue
        acc = 0.0
        for t in range(n_nonzero):
            acc += gram[nonzero[t], j] * values[t]
        gradient[j] = q[j] - acc


#: From this share of non-zeros on, :func:`_exact_gradient` reads ``G``'s upper triangle
#: once (``p²/2`` entries) instead of the non-zeros' columns (``nnz·p``).
_SYMMETRIC_PRODUCT_FRACTION = 0.5
#: Rounded rounds without a full check after which the gap is checked even though the
#: updates have not settled (scikit-learn's test). Rounded sweeps (a float32 copy of a
#: float64 ``G``, or a float32 ``G`` swept on itself) can creep along a direction that
#: is flat for the exact ``G`` (exactly collinear columns: one-hot groups with an
#: intercept) at a constant change per round, above the sweep threshold or at its
#: floor, and never settle. When the change per round has not halved over the last
#: half of these rounds, the check certifies the point or tightens the threshold, and
#: one at the floor switches the sweeps to ``G`` (5-fold LassoCV, tol 1e-8, 700x1000
#: one-hot: 100000 rounds at one alpha without it, 400x400: 20000).
STALLED_ROUNDS = 100


@njit(cache=True, nogil=True, fastmath=_FASTMATH, inline="always")
def _exact_gradient(gram, q, coef, gradient):
    """``q − Gβ`` on every feature: after the rounded updates of a ``sweep_gram``, none
    is exact. By contiguous columns (``∇ −= β_i G_:i`` over the non-zeros) while few are
    non-zero, else as BLAS ``symv`` does, from the upper triangle alone: column ``j``'s
    entries above the diagonal give both ``Σ_{i<j} G_ij β_i`` (to ``∇_j``) and
    ``G_ij β_j`` (to each ``∇_i``), so ``G`` (float64, out of cache: these checks are
    memory-bound) is streamed half as much (4472x2236 float32, 2000 non-zeros:
    4.4 -> 2.4 ms a check). Four columns at a time: each ``∇_i`` is read and written
    once per four columns, not once per column (p = 2236, 97% non-zeros: 2.3 -> 1.15
    ms a check; p = 1581: 0.43 -> 0.29; p = 707, in cache: 0.047 -> 0.053)."""
    n_features = q.shape[0]
    n_nonzero = 0
    for k in range(n_features):
        gradient[k] = q[k]
        if coef[k] != 0.0:
            n_nonzero += 1
    if n_nonzero < _SYMMETRIC_PRODUCT_FRACTION * n_features:
        for i in range(n_features):
            b = coef[i]
            if b != 0.0:
                for k in range(n_features):
                    gradient[k] -= b * gram[k, i]
        return
    j = 0
    while j + 4 <= n_features:
        b0 = coef[j]
        b1 = coef[j + 1]
        b2 = coef[j + 2]
        b3 = coef[j + 3]
        a0 = a1 = a2 = a3 = 0.0
        if b0 != 0.0 or b1 != 0.0 or b2 != 0.0 or b3 != 0.0:
            for i in range(j):
                e0 = gram[i, j]
                e1 = gram[i, j + 1]
                e2 = gram[i, j + 2]
                e3 = gram[i, j + 3]
                c = coef[i]
                a0 += e0 * c
                a1 += e1 * c
                a2 += e2 * c
                a3 += e3 * c
                gradient[i] -= e0 * b0 + e1 * b1 + e2 * b2 + e3 * b3
        else:
            for i in range(j):
                c = coef[i]
                a0 += gram[i, j] * c
                a1 += gram[i, j + 1] * c
                a2 += gram[i, j + 2] * c
                a3 += gram[i, j + 3] * c
        gradient[j] -= a0
        gradient[j + 1] -= a1
        gradient[j + 2] -= a2
        gradient[j + 3] -= a3
        # The four columns' block on the diagonal, from its upper triangle.
        for u in range(4):
            acc = 0.0
            for v in range(4):
                acc += gram[j + min(u, v), j + max(u, v)] * coef[j + v]
            gradient[j + u] -= acc
        j += 4
    while j < n_features:  # (the last p mod 4 columns)
        b = coef[j]
        acc = gram[j, j] * b
        for i in range(j):
            entry = gram[i, j]
            acc += entry * coef[i]
            gradient[i] -= entry * b
        gradient[j] -= acc
        j += 1


def gram_path(
    gram,
    q,
    target_norm2,
    lipschitz,
    coef,
    alphas,
    alpha_start,
    l1_ratio,
    weights,
    lower,
    upper,
    tol_abs,
    max_iter,
    active_sweeps,
    anderson,
    threshold_floor,
    coefs,
    gaps,
    n_iters,
    converged,
    tol_rel=np.inf,
    newton=True,
    sweep_gram=None,
    rounded_after=0.0,
):
    """The whole elastic-net path on ``G = X̃ᵀHX̃``, ``q = X̃ᵀHz``, in one call.

    glmnet's covariance-update algorithm without leaving compiled code: for each alpha
    (decreasing) the sequential strong rule picks the working set, rounds of
    :func:`cd_gram` converge on it, a KKT check over all features adds any feature the
    rule missed, and the alpha is done when the duality gap (:func:`elastic_net_gap`)
    is at most ``tol_abs``. Every ``anderson + 1`` rounds an Anderson extrapolation of
    the iterates is tried (kept only if it lowers the objective), which is what
    ill-conditioned designs need. The sweep threshold is never lowered below
    ``threshold_floor·target_norm2``. As scikit-learn (and
    :func:`~shrinkage.solvers.least_squares.solve_least_squares` with ``tol_rel``), an
    alpha ends only after a round whose largest ``|Δβ_j|`` is at most
    ``tol_rel·max|β_W|``: on flat directions the gap certifies ``tol_abs`` before the
    coefficients have settled (``inf``: the gap alone decides). The tuning constants
    (``active_sweeps``, ``anderson``, ``threshold_floor``) come from :mod:`.constants`,
    shared with the Python solver. ``coef`` is the warm start and is updated in place.
    ``lower``, ``upper`` is the box of the coefficients (``[0, ∞)`` for ``positive``).
    Results go to ``coefs`` (n_alphas, p), ``gaps``, ``n_iters`` and ``converged``.

    With ``newton``, once a round leaves the support and signs of ``β`` unchanged, an
    exact active-set step (:mod:`._gram_active_set`: one solve with an incrementally
    updated Cholesky factor of ``G_AA + diag(l2_A)``) can replace the many sweeps that
    correlated supports need. With fewer than ``NEWTON_OBSERVED_MIN_FEATURES``
    features a step is tried every round within a fixed budget (:func:`._gram_steps._newton_pays`:
    at most a few rounds' work; the factor is cheap there). From that many on, whether
    steps pay is decided from the work observed, in multiply-adds (a ski rental):

    * an alpha starts with coordinate descent, whose work is counted as it goes
      (``n_nonzero·p`` per sweep over the non-zeros, :func:`._kernels.cd_gram`, plus
      ``NEWTON_ROUND_COST·p`` per round for its checks);
    * it switches to steps once that work exceeds what steps would cost on this alpha
      (:func:`._gram_steps._step_costs`: two steps of ``m² + m·p`` plus their rounds' checks, and
      the factor rows of the features that moved since the last alpha, ``m²/2``
      each), and the excess of descent over steps, summed over the alphas since the
      factor was last updated, exceeds ``NEWTON_SYNC_SHARE`` of the cost of bringing
      the stale factor up to date (``≈ (m³ − kept³)/6``);
    * after an alpha that switched, the next ones start with steps (a predictor step
      from the last support), descent being tried first again after 1, 2, 4, … up to
      ``NEWTON_MAX_PROBE_GAP`` alphas; an alpha that descent finishes within budget
      keeps the next ones on descent.

    A well-conditioned support (tall, weakly correlated: descent converges in a few
    rounds) so never pays for the factor (4472x2236 rho 0: ~2300 rows appended,
    ``m²/2`` each, more work than all the sweeps; 2x faster without), while a
    correlated one (1000x1000, rho 0.95) switches within an alpha or two and keeps
    the steps' 3–11x. The gap and KKT checks decide convergence either way.

    An elastic net's factor is of ``G_AA + diag(l2_A)``, and ``l2 = α(1 − ρ)w``
    moves with alpha: it is kept over the alphas (rebuilt once ``α`` fell by
    ``FACTOR_MAX_SHIFT``, at once by LAPACK's blocked Cholesky from 64 rows), and the
    steps of a later alpha solve its system by conjugate gradients preconditioned
    with it (:func:`._gram_active_set.newton_step`). Rebuilt at every alpha, appended
    row by row, it was most of the path's work on large correlated supports
    (6325x1581 rho 0.95, l1_ratio 0.5: 4.0G of 4.6G multiply-adds; 1.52 -> 0.92 s).

    ``sweep_gram`` (float32 data: ``G`` rounded to float32) is what the sweeps, the
    extrapolations and the active-set steps update the gradient with: half the memory
    traffic of ``G``'s columns, which is what those updates cost (1414x707 float32,
    l1_ratio 0.5: 0.066 s instead of 0.105 s), and the data hold no more digits. The
    coordinate-descent rounds also keep the gradient in float32 while they sweep
    (:func:`_cd_gram_single`: no conversions in the column updates; 2000x500 rho 0.95,
    l1_ratio 0.5: 0.088 s instead of 0.12 s for the compiled path).
    The active-set factor is kept in the same precision, of ``G`` rounded to float32
    (half the memory its appends and solves stream: the path on 1414x707 float32,
    whose every round steps, 0.054 -> 0.040 s, the same rounds); a step is then exact
    to that rounding only, and a round that goes on may refine it with another.
    Everything that certifies stays exact: before every KKT check and duality gap the
    gradient is recomputed from ``G`` (:func:`_exact_gradient`), so the gap is that of
    the problem on ``G``. The rounded updates then act as iterative refinement (each
    check restarts from the exact gradient); should an alpha still reach the
    sweep-threshold floor with its gap open, the sweeps go on with ``G`` itself for the
    rest of the path.

    ``gram`` itself float32 and ``sweep_gram`` the same matrix
    (:mod:`._single_gram`: ``G`` formed in float32 from float32 data): the same rounded
    rounds, each check restarting from ``q − Gβ`` on that ``G``; the caller then
    certifies the gaps from ``X`` (:meth:`._single_gram.SingleGramDesign.exact_gaps`).

    ``rounded_after`` > 0: ``sweep_gram`` is an unfilled buffer; the path sweeps on ``G``
    until its descent work (multiply-adds, as the steps' ski rental counts it) exceeds
    ``rounded_after``, then fills the buffer with ``G`` rounded to float32 and goes on
    as above (a float64 ``G``: :data:`.constants.ROUNDED_SWEEPS_AFTER`). The copy costs
    about what a few sweeps over all of ``G`` do: an easy path never pays it. The factor
    is then float32 from the start (of ``G`` rounded: the buffer is not read before the
    switch). Float64 lasso / elastic-net (0.5) paths at the speed map's calibrated tol,
    CPU s, min of 3 interleaved, ``G`` only vs switching after 4 or 16 ``p²``:
    4472x2236 rho 0.6 lasso 1.98 vs 1.36 / 1.36, enet 2.23 vs 1.21 / 1.27; rho 0 lasso
    1.18 vs 0.93 / 0.93, enet 1.74 vs 1.30 / 1.28; 6325x1581 rho 0.6 lasso 0.58 vs
    0.51 / 0.51, rho 0.95 enet 0.87 vs 0.75 / 0.77; 2000x500 rho 0.6 enet 0.050 vs
    0.036 / 0.035; 1414x707 rho 0 lasso 0.051 vs 0.045 / 0.045; within noise of 1.0 on
    easy paths (20000x500 rho 0 enet, 6325x1581 rho 0 lasso, one fit at alpha_max/20 on
    6325x1581 rho 0.6), where a copy from the start cost up to 7%.
    """
    if not np.all(np.asarray(weights) > 0):
        # An unpenalized coordinate makes the dual demand x̃_jᵀθ = 0 exactly, which no
        # rescaling of the residual gives: elastic_net_gap's Σ∇²/2L stand-in is not a
        # bound there. The callers route such problems to projected_gap's solver.
        raise ValueError(
            "gram_path needs every penalty weight > 0 for a true duality gap; solve "
            "problems with unpenalized features with least_squares.solve_least_squares."
        )
    # (A Python function: one compiled loop per pair of dtypes of `gram`, `sweeping`;
    # without a `sweep_gram`, None: Numba prunes the `sweeping is None` branches at
    # compile time, so such a loop compiles no code for rounded sweeps.)
    capacity = min(q.shape[0], NEWTON_MAX_SIZE) if newton else 0
    factor_precision = gram.dtype if sweep_gram is None else sweep_gram.dtype
    _gram_path(
        gram,
        sweep_gram,
        np.empty((capacity, capacity), dtype=factor_precision),
        q,
        target_norm2,
        lipschitz,
        coef,
        alphas,
        alpha_start,
        l1_ratio,
        weights,
        lower,
        upper,
        tol_abs,
        max_iter,
        active_sweeps,
        anderson,
        threshold_floor,
        coefs,
        gaps,
        n_iters,
        converged,
        tol_rel,
        newton,
        float(rounded_after),
    )


@njit(cache=True, nogil=True, fastmath=_FASTMATH)
def _gram_path(
    gram,
    sweeping,
    factor,
    q,
    target_norm2,
    lipschitz,
    coef,
    alphas,
    alpha_start,
    l1_ratio,
    weights,
    lower,
    upper,
    tol_abs,
    max_iter,
    active_sweeps,
    anderson,
    threshold_floor,
    coefs,
    gaps,
    n_iters,
    converged,
    tol_rel,
    newton,
    rounded_after,
):
    """:func:`gram_path` with the sweeps' matrix ``sweeping`` (None: ``gram`` itself;
    else its rounded copy): two arguments, so that each dtype compiles its own loop.
    ``factor``: the active-set factor's ``capacity²`` storage (see :func:`gram_path`).

    The tests ``sweeping is None`` are on an argument, so Numba's dead-branch pruning
    decides them at compile time: the loop for ``gram`` alone compiles no code for
    rounded sweeps (``_exact_gradient``, the second call of each sweep kernel)."""
    n_features = q.shape[0]
    # The sweeps update with `gram` itself (no recomputation before a check).
    exact = True
    if sweeping is not None:
        # (With `rounded_after`, `sweeping` is filled only once the work passes it.)
        # A float32 `gram` swept on itself (solvers._single_gram) takes the rounded
        # rounds too, float32 gradient and all: each check restarts from q − Gβ.
        exact = rounded_after > 0.0 or (
            sweeping.itemsize == gram.itemsize and gram.itemsize == 8
        )
    path_work = 0.0  # the descent work so far, for `rounded_after`
    gradient = q.copy()
    # The gradient in float32 for the rounded sweeps (none without a `sweeping`).
    single = np.empty(n_features if sweeping is not None else 0, dtype=np.float32)
    single_floor = SINGLE_GRADIENT_FLOOR * target_norm2
    # np.empty and loops, not np.zeros, np.full or np.arange: each of those compiles
    # Numba helpers of its own on a cold cache (~0.1 s apiece, benchmarks/JIT_COST.md).
    in_set = np.empty(n_features, dtype=np.bool_)
    scratch = np.empty(n_features, dtype=np.bool_)
    working_set = np.empty(n_features, dtype=np.int64)
    all_features = np.empty(n_features, dtype=np.int64)
    position = np.empty(n_features, dtype=np.int64)
    support = np.empty(n_features, dtype=np.int8)
    was_free = np.empty(n_features, dtype=np.bool_)
    for j in range(n_features):
        in_set[j] = False
        scratch[j] = False
        all_features[j] = j
        position[j] = -1
        support[j] = 0
        was_free[j] = _is_free(coef, lower, upper, j)
    _full_gram_gradient(gram, q, coef, gradient, in_set)  # (in_set: none skipped)
    l1 = np.empty(n_features)
    l2 = np.empty(n_features)
    previous = alpha_start
    floor = threshold_floor * max(target_norm2, 1e-300)
    # At the floor, up to the rounding of the tightenings (x0.1) that led there.
    near_floor = floor * (1.0 + 1e-9)
    last_threshold = tol_abs
    before = np.empty(n_features)
    # The active-set steps' state: the factor of the support (rows of L in `order`),
    # each feature's position in it (`position`, −1: out) and the support's state
    # last round (`support`), both above.
    # (`factor`: capacity² in the precision of the matrix the sweeps update with, see
    # gram_path; a float32 one's steps are exact to its rounding only, see `solved`.)
    capacity = factor.shape[0]
    order = np.empty(capacity, dtype=np.int64)
    factor_size = np.empty(1, dtype=np.int64)
    factor_size[0] = 0
    newton_work = np.empty((2, n_features if newton else 0))
    ridge = l1_ratio < 1.0
    # The l2 the factor's rows were built with, at `factor_alpha` (an elastic net keeps
    # its factor over alphas, see FACTOR_MAX_SHIFT), and this alpha's l2 minus it.
    factor_l2 = np.empty(n_features)
    shift = np.empty(n_features)
    factor_alpha = alpha_start
    observed = n_features >= NEWTON_OBSERVED_MIN_FEATURES
    # Whether `gradient` is exact off the working set too: every update since the last
    # full gradient was contiguous (all of `q − Gβ`, see _DENSE_UPDATE_FRACTION), so the
    # KKT check needs no O(p·nnz) recomputation.
    exact_everywhere = True
    # Whether an alpha starts with active-set steps (else with coordinate descent,
    # until its work exceeds NEWTON_CD_BUDGET steps), and the alphas left before the
    # next one that tries coordinate descent first (see the docstring of gram_path).
    steps_first = False
    probe_gap = 1
    steady = 0.0
    cd_excess = 0.0
    probe_in = 0
    for k in range(alphas.shape[0]):
        alpha = alphas[k]
        steps_now = steps_first and probe_in > 0
        if steps_now:
            probe_in -= 1
        started_with_steps = steps_now
        cd_work = 0.0
        for j in range(n_features):
            l1[j] = alpha * l1_ratio * weights[j]
            l2[j] = alpha * (1.0 - l1_ratio) * weights[j]
            score = screening_score(gradient[j], lower[j], upper[j])
            if coef[j] != 0.0 or score > 2.0 * l1[j] - previous * l1_ratio * weights[j]:
                in_set[j] = True
        n_set = 0
        for j in range(n_features):
            if in_set[j]:
                working_set[n_set] = j
                n_set += 1
        # The sweep threshold that brought the previous alpha's gap under tol is a good
        # start for this one (one decade looser): far fewer settle-check-tighten rounds
        # than restarting from tol each time.
        threshold = max(min(tol_abs, 10.0 * last_threshold), floor)
        rounds = 0
        since_check = 0  # rounds since the last full check (or stall test)
        window_change = 0.0  # the change at half that many rounds
        gap = np.inf
        history = np.empty((anderson + 1, n_features))
        n_history = 0
        if ridge and factor_size[0] > 0 and (
            alpha * FACTOR_MAX_SHIFT < factor_alpha or factor_alpha < alpha
        ):
            # l2 moved too far with alpha for the kept factor to precondition well (or
            # up: newton_step's pieces rely on l2 ≤ the factor's).
            for t in range(factor_size[0]):
                position[order[t]] = -1
            factor_size[0] = 0
        if factor_size[0] == 0:  # (a lasso's l2 is 0 at every alpha: always factor_l2)
            factor_alpha = alpha
            _copy_into(factor_l2, l2)
        shifted = ridge and factor_alpha != alpha
        if shifted:
            for j in range(n_features):
                shift[j] = l2[j] - factor_l2[j]
        newton_failures = 0
        # The support's restricted problem was solved exactly. (Not the literal False:
        # Numba would type and compile `_active_set_step` for Literal[bool](False)
        # first, then again for bool.)
        solved = newton_failures < 0
        while True:
            if sweeping is not None:
                if rounded_after > 0.0 and path_work > rounded_after:
                    # The path is hard enough to pay for the rounded copy (gram_path).
                    _round_into(sweeping, gram)
                    exact = sweeping.itemsize == gram.itemsize
                    rounded_after = 0.0
            contiguous = n_set > _DENSE_UPDATE_FRACTION * n_features
            stepped = False  # an active-set step moved the support's coefficients
            features = working_set[:n_set]
            sweeps = active_sweeps
            if capacity > 0 and not steps_now and not observed:
                steps_now = True  # every round, within _newton_pays' budget
            if capacity > 0 and not steps_now:
                steady, sync = _step_costs(
                    coef,
                    features,
                    lower,
                    upper,
                    position,
                    was_free,
                    factor_size[0],
                    n_features,
                )
                steps_now = (
                    cd_work > NEWTON_CD_BUDGET * steady and cd_work - steady + cd_excess > sync
                )
            if steps_now and capacity > 0 and newton_failures < NEWTON_MAX_FAILURES:
                # An exact step on the current support (at a new alpha: the last
                # one's, a predictor step) instead of many sweeps.
                status = _active_set_step(
                    gram,
                    sweeping,
                    exact,
                    gradient,
                    coef,
                    l1,
                    l2,
                    lower,
                    upper,
                    features,
                    support,
                    solved,
                    not observed,
                    active_sweeps,
                    factor,
                    order,
                    position,
                    factor_size,
                    scratch,
                    newton_work,
                    factor_l2,
                    shift,
                    shifted,
                    ridge,  # (a lasso's factor is rebuilt rarely: kept row by row)
                )
                if status > 0:
                    exact_everywhere = exact_everywhere and contiguous
                if status == 0:
                    newton_failures += 1
                if status >= 0 or status == -2:
                    # A float32 factor's step is exact to its rounding only: a round
                    # that goes on may refine it with another step.
                    solved = status == 1 and factor.itemsize == 8
                stepped = status > 0
                if status > 0:
                    n_history = 0  # a jump: the Anderson history is stale
                    path_work += n_set * n_features  # (its gradient update, at most)
                if status >= 0 or exact:
                    sweeps = NEWTON_ACTIVE_SWEEPS
                # (Rounded sweeps, no step tried: the budget refused it, or the support
                # is solved. The round is coordinate descent's, with its sweeps over the
                # non-zeros: without them, on a support too large for the budget every
                # round is one sweep over the working set. 2000x500 rho 0.95 float32,
                # l1_ratio 0.5, 100 alphas: 3088 -> 604 rounds, 88 -> 74 ms for the
                # compiled path. Float64 paths keep the single sweep for now, to stay
                # bit-equal: the same change applies there, untimed.)
            for t in range(n_set):
                before[t] = coef[features[t]]
            change, work = _sweep_round(
                gram,
                sweeping,
                exact,
                stepped,
                gradient,
                coef,
                lipschitz,
                l1,
                l2,
                lower,
                upper,
                features,
                sweeps,
                threshold,
                single,
                single_floor,
            )
            exact_everywhere = exact_everywhere and contiguous
            cd_work += work + NEWTON_ROUND_COST * n_features
            path_work += work + NEWTON_ROUND_COST * n_features
            rounds += 1
            small = _update_is_small(coef, features, before, tol_rel)
            if anderson > 0:
                for t in range(n_set):
                    history[n_history, t] = coef[features[t]]
                n_history += 1
                if n_history == anderson + 1:
                    if _gram_extrapolate(
                        gram,
                        sweeping,
                        exact,
                        q,
                        target_norm2,
                        coef,
                        gradient,
                        l1,
                        l2,
                        lower,
                        upper,
                        features,
                        history[:, :n_set],
                        contiguous,
                    ):
                        exact_everywhere = exact_everywhere and contiguous
                    n_history = 0
            # Rounded rounds that never settle (creeping along a direction that is flat
            # for G, as one-hot groups with an intercept make) go to the gap check
            # anyway; a failed one at the floor then sweeps on G itself. (Sweeps on G
            # keep scikit-learn's test alone: the map's tolerances were calibrated so.)
            since_check += 1
            if since_check == STALLED_ROUNDS // 2:
                window_change = change
            stalled = False
            if not exact and since_check >= STALLED_ROUNDS:
                # Creeping: the change per round did not even halve over the last
                # STALLED_ROUNDS / 2 rounds (a converging descent gets its gap check from
                # scikit-learn's test, unhurried).
                stalled = change >= 0.5 * window_change
                if not stalled:
                    since_check = 0
            if change > threshold and rounds < max_iter and not stalled:
                continue
            if not small and rounds < max_iter and not stalled:
                # scikit-learn's test: no gap before a small update (and a tighter
                # threshold, so that the cheap sweeps over the non-zeros do the work).
                threshold = max(threshold * 0.1, floor)
                continue
            if rounds < max_iter and threshold > floor:
                # The gap of the working-set problem first (its gradient is exact): the
                # full gradient, O(p·nnz), only once that one is small enough.
                residual_norm2 = max(target_norm2 - coef @ q - coef @ gradient, 0.0)
                ws_gap = elastic_net_gap(
                    gradient[features],
                    coef,
                    residual_norm2,
                    l1,
                    l2,
                    lipschitz,
                    lower,
                    upper,
                    features,
                )
                if ws_gap > tol_abs:
                    threshold = max(threshold * 0.1, floor)
                    continue
            if sweeping is not None and not exact:
                # Rounded updates: the checks need the exact gradient everywhere.
                _exact_gradient(gram, q, coef, gradient)
                exact_everywhere = True
            elif not exact_everywhere:
                _full_gram_gradient(gram, q, coef, gradient, in_set)
                exact_everywhere = True
            since_check = 0
            added = False
            for j in range(n_features):
                if not in_set[j]:
                    score = screening_score(gradient[j], lower[j], upper[j])
                    if score > l1[j] and lipschitz[j] > 0.0:
                        in_set[j] = True
                        working_set[n_set] = j
                        n_set += 1
                        added = True
            if added and rounds < max_iter:
                n_history = 0  # the working set changed: restart the history
                continue
            residual_norm2 = max(target_norm2 - coef @ q - coef @ gradient, 0.0)
            gap = elastic_net_gap(
                gradient, coef, residual_norm2, l1, l2, lipschitz, lower, upper, all_features
            )
            if gap <= tol_abs or rounds >= max_iter:
                break
            if not exact and threshold <= near_floor:
                # The rounded updates did not close the gap at the floor: sweep on the
                # exact matrix from here (never seen on the AR(1) designs; a guard).
                exact = True
            # Small changes but a gap still open: ill-conditioned, keep sweeping with
            # a tighter inner threshold (at the floor, a gap check after every round).
            threshold = max(threshold * 0.1, floor)
        last_threshold = threshold
        if steps_now and not started_with_steps:
            # Coordinate descent spent its budget: the next alphas start with steps,
            # and wait twice as long as last time before trying it first again.
            steps_first = True
            probe_in = probe_gap
            probe_gap = min(2 * probe_gap, NEWTON_MAX_PROBE_GAP)
        if steps_now:
            cd_excess = 0.0
        else:
            steps_first = False
            probe_gap = 1
            cd_excess += max(cd_work - steady, 0.0)
        for j in working_set[:n_set]:
            was_free[j] = _is_free(coef, lower, upper, j)
        _copy_into(coefs[k], coef)
        gaps[k] = gap
        n_iters[k] = rounds
        converged[k] = gap <= tol_abs
        previous = alpha


@njit(cache=True, nogil=True)
def _round_into(rounded, gram):
    """``rounded[:] = gram`` (Fortran-ordered, both), column by column."""
    n = gram.shape[0]
    for j in range(n):
        for i in range(n):
            rounded[i, j] = gram[i, j]
