"""When the Gram path takes exact active-set steps instead of coordinate descent.

:func:`._gram_path.gram_path` converges each alpha by rounds of coordinate descent
(CD) and, on a stable support, by active-set steps (:func:`._gram_active_set.newton_step`
on a Cholesky factor of the support's Gram block). A step replaces many CD rounds on a
correlated support but costs a factor update (``m²`` per row that enters or leaves)
and ``m² + m·p`` for the solve and the gradient update. This module holds that
decision and its cost model:

* :func:`_newton_pays`: the fixed budget of paths with fewer than
  ``NEWTON_OBSERVED_MIN_FEATURES`` features;
* :func:`_step_costs`: what steps would cost on an alpha, which the observed-work
  rule of larger paths compares with the CD work it has counted;
* :func:`_active_set_step`: one step when the support and the budget allow it.

All are ``inline="always"``: typed into :func:`._gram_path._gram_path` rather than
compiled and linked as kernels of their own (benchmarks/JIT_COST.md).
"""

from __future__ import annotations

from .._jit import njit
from ._gram_active_set import newton_step, sync_factor

#: The largest support the path factors for its active-set steps (the factor is a
#: capacity² array next to the Gram matrix).
NEWTON_MAX_SIZE = 3000
#: Active-set steps per alpha that may fail (singular system, no descent) before the
#: alpha is left to coordinate descent.
NEWTON_MAX_FAILURES = 2
#: Sweeps over the non-zeros per round while active-set steps are on (they, not the
#: sweeps, converge on a fixed support).
NEWTON_ACTIVE_SWEEPS = 0
#: An elastic net's factor of ``G_AA + diag(l2_A)`` is kept over the alphas while
#: ``l2 ∝ α`` stays within this factor of the alpha it was built at (its steps then
#: solve by conjugate gradients preconditioned with it, :func:`._gram_active_set._refine_shifted`,
#: whose contraction per iteration this bounds: 0.17 at 2); beyond it, rebuilt.
FACTOR_MAX_SHIFT = 2.0
#: Pieces of one active-set step (homotopy along the faces) before coordinate descent
#: takes over again.
NEWTON_MAX_PIECES = 20
#: Work (in multiply-adds) that coordinate descent may spend on an alpha, in units of
#: what active-set steps would cost on it, before the steps take over (see gram_path).
NEWTON_CD_BUDGET = 1.0
#: Work of a round besides its sweeps (KKT check, gap, update test), in units of ``p``
#: multiply-adds: what the extra rounds of coordinate descent cost on small supports.
NEWTON_ROUND_COST = 50.0
#: The share of a stale factor's update charged to the switch to steps (the rest would
#: have been paid along the way by steps taken all along).
NEWTON_SYNC_SHARE = 0.5
#: The longest run of alphas that start with active-set steps before coordinate
#: descent is tried first again (the wait doubles after each failed try).
NEWTON_MAX_PROBE_GAP = 16
#: Paths with at least this many features decide the steps from the work observed;
#: smaller ones by the fixed budget of :func:`_newton_pays`. The observed-work rule
#: wins where the factor outgrows the caches (p ≥ 1000: 4472x2236, 6325x1581 rho 0
#: 2-3x faster, 1000x1000 even) but its coordinate-descent probes cost 7-34% on
#: medium shapes whose factor is cheap (1414x707, 3000x800, 12000x600; elastic net
#: 1414x707 rho 0.6), where the fixed budget was right.
NEWTON_OBSERVED_MIN_FEATURES = 1000


@njit(cache=True, nogil=True, inline="always")
def _support_state(coef, features, lower, upper, support, position):
    """Record each feature's state (0: zero, ±1: free with that sign, ±2: on a bound)
    in ``support``; return whether any changed since the last call, the number of
    free non-zeros, and how many must enter or leave the factor."""
    changed = False
    n_free = 0
    n_moves = 0
    for j in features:
        b = coef[j]
        state = 0
        if b != 0.0:
            state = 1 if b > 0.0 else -1
            if b <= lower[j] or b >= upper[j]:
                state *= 2
        if state != support[j]:
            changed = True
            support[j] = state
        free = state == 1 or state == -1
        n_free += free
        n_moves += free != (position[j] >= 0)
    return changed, n_free, n_moves


@njit(cache=True, nogil=True, inline="always")
def _active_set_step(
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
    budgeted,
    active_sweeps,
    factor,
    order,
    position,
    factor_size,
    scratch,
    work,
    factor_l2,
    shift,
    shifted,
    blocked,
):
    """An active-set step (:func:`.newton_step`) unless the support is unchanged since
    it was solved, has no free non-zero or (``budgeted``) :func:`_newton_pays` forbids
    it; the step's status (1 exact, 2 cut,
    0 failed), −1 when none was tried, −2 when none was tried and the support moved.
    The factor is always of ``gram``; the gradient update reads ``sweeping`` unless
    ``exact`` or ``sweeping`` is None (see :func:`gram_path`'s ``sweep_gram``). The
    factor is of ``G_AA + diag(factor_l2_A)``; with ``shifted`` that is not this
    alpha's ``l2`` (``shift = l2 − factor_l2``) and the steps solve iteratively.
    ``blocked``: an empty factor may be built at once (:func:`.sync_factor`)."""
    changed, n_free, n_moves = _support_state(coef, features, lower, upper, support, position)
    # Tried even when the support moved: a wrong sign only cuts the step (homotopy),
    # and waiting for a still round costs more rounds than a cut step (1000x1000 CV
    # folds: 2.0 vs 2.6 s).
    if solved and not changed:
        return -1
    if n_free == 0 or (
        budgeted
        and not _newton_pays(n_free, n_moves, factor_size[0], gradient.shape[0], active_sweeps)
    ):
        return -2 if changed else -1
    if not sync_factor(
        gram, factor_l2, coef, lower, upper, features, factor, order, position, factor_size,
        scratch, blocked,
    ):  # fmt: skip
        return 0
    if sweeping is None or exact:
        return newton_step(
            gram,
            gradient,
            coef,
            l1,
            l2,
            lower,
            upper,
            features,
            factor,
            order,
            position,
            factor_size,
            work[0],
            work[1],
            NEWTON_MAX_PIECES,
            shift,
            shifted,
        )
    return newton_step(
        sweeping,
        gradient,
        coef,
        l1,
        l2,
        lower,
        upper,
        features,
        factor,
        order,
        position,
        factor_size,
        work[0],
        work[1],
        NEWTON_MAX_PIECES,
        shift,
        shifted,
    )


@njit(cache=True, nogil=True, inline="always")
def _newton_pays(n_free, n_moves, size, n_features, active_sweeps):
    """The fixed budget of paths with fewer than ``NEWTON_OBSERVED_MIN_FEATURES``
    features: an active-set step costs a triangular solve (``m²``) per feature that
    enters or leaves the factor, two more for the step and a gradient update
    (``m·p``); a round of coordinate descent up to ``(1 + active_sweeps)·m·p``. The
    step replaces many rounds on a correlated support: take it while it costs at most
    a few rounds."""
    m = max(size, n_free)
    step = (n_moves + 2.0) * m * m + m * n_features
    return step <= 4.0 * (1.0 + active_sweeps) * n_free * n_features


@njit(cache=True, nogil=True, inline="always")
def _is_free(coef, lower, upper, j):
    """Whether ``β_j`` is a free non-zero (non-zero, strictly inside its box)."""
    b = coef[j]
    return b != 0.0 and lower[j] < b < upper[j]


@njit(cache=True, nogil=True, inline="always")
def _append_cost(m, k):
    """Multiply-adds of appending ``k`` rows to a factor of ``m − k`` rows, to ``m``: a
    forward solve of ``i²/2`` for the ``i``-th row, ``Σ i²/2 ≈ (m³ − (m − k)³)/6``."""
    kept = max(m - k, 0.0)
    return (m * m * m - kept * kept * kept) / 6.0


@njit(cache=True, nogil=True, inline="always")
def _step_costs(coef, features, lower, upper, position, was_free, size, n_features):
    """What active-set steps would cost on this alpha (multiply-adds): two steps of a
    solve and a gradient update (``m² + m·p`` each) and the factor's update for the
    features that entered or left the support since the last alpha; and, apart, what
    bringing a stale factor (one not updated on earlier alphas) up to date costs
    first. Rows appended or deleted both count as appended (:func:`_append_cost`).
    An elastic net's factor is kept over alphas (:data:`FACTOR_MAX_SHIFT`) as a
    lasso's is, so the two are costed alike."""
    n_free = 0
    n_stale = 0
    n_moved = 0
    for j in features:
        free = _is_free(coef, lower, upper, j)
        n_free += free
        n_stale += free != (position[j] >= 0)
        n_moved += free != was_free[j]
    m = float(max(size, n_free))
    alpha_moves = _append_cost(m, min(n_moved, n_stale))
    steps = 2.0 * (m * m + (m + NEWTON_ROUND_COST) * n_features) + alpha_moves
    return steps, NEWTON_SYNC_SHARE * (_append_cost(m, n_stale) - alpha_moves)
