"""The solvers' tuning constants, defined once.

The Python working-set solver (:mod:`.least_squares`), the compiled Gram path
(:func:`._gram_path.gram_path`, which receives them as arguments), the
proximal-Newton solver (:mod:`.glm`) and its compiled path
(:func:`._glm_kernels.glm_path`) all read them from here.
"""

from __future__ import annotations

# Sweeps over the non-zero coordinates between two sweeps over the working set
# (glmnet's active-set cycling).
ACTIVE_SWEEPS = 10
# Anderson extrapolation from the last K + 1 rounds of coordinate descent (celer and
# skglm use K = 5; Bertrand & Massias 2021).
ANDERSON_DEPTH = 5
# Ridge added to the Anderson normal equations, relative to their mean diagonal: near
# convergence the differences are almost parallel and the normal matrix is singular to
# working precision; unregularized, the weights (and the point) move by O(1) with the
# last bit of the iterates, so two fits whose data differ by rounding (sample weights
# scaled by a constant) take different steps. 1e-10 keeps them stable and barely moves
# a well-conditioned solve. (The Python rounds and every compiled path use it.)
ANDERSON_RIDGE = 1e-10
# Rounds between two checks of the working-set duality gap (celer checks every 10).
GAP_EVERY = 10
# Most unpenalized coordinates whose block G_FF (|F|², eigendecomposed) is formed for
# the projected dual point.
MAX_FREE = 3000
# The compiled path lowers its sweep threshold no further than this times Σh(y − ȳ)²:
# below it, sweeps change coefficients by less than rounding.
SWEEP_THRESHOLD_FLOOR = 1e-16
# Sweep thresholds (relative to Σh(y − ȳ)²) down to which one fit on float32 data
# sweeps on a float32 residual (:class:`._designs.SingleDenseDesign`); below, on the
# float64 one. The float32 residual's rounding (about 6e-8 relative per update, drifting
# over the updates of a round) blurs coordinate changes far below this; as the Gram
# path's `SINGLE_GRADIENT_FLOOR`.
SINGLE_RESIDUAL_FLOOR = 1e-9
# Float64 data with at least this many features: the compiled Gram path's sweeps may
# run on a float32 copy of G (half the memory traffic of its columns; the checks and
# gaps stay on G), CV folds' from the start, a whole path's once its descent work
# exceeds ROUNDED_SWEEPS_AFTER·p² multiply-adds (the copy's price, which an easy
# path never pays). Measurements: _elastic_net_cv and gram_route.solve_on_gram.
ROUNDED_SWEEPS_MIN_FEATURES = 300
ROUNDED_SWEEPS_AFTER = 8.0
# One fit on a dense design of at most this many entries (n·p) runs as one compiled
# call on the residual (dense_path at one alpha), and on n > 2p designs skips the Gram
# blocks unless its leading features are crowded: there the fixed costs of Python
# rounds and of growing blocks, not the sweeps, are most of a fit (900x250 at
# alpha_max/200: 0.7 ms of blocks, 0.55 ms of hand-over, 1.8 ms of rounds of which the
# sweeps are 0.9). Larger designs keep both (measured: step._compiled_single_solve,
# _covariance.gram_blocks_pay).
SMALL_SINGLE_FIT = 300_000
# ... and at most this many entries, on the residual even when crowded: the whole
# residual solve then costs less than the blocks' fixed costs (about 0.4 ms, 2M
# multiply-adds of sweeps: 200x50 rho 0.95 at alpha_max/20 0.39 ms against 0.80).
TINY_SINGLE_FIT = 20_000
# The compiled path's sweep-threshold floor (relative to Σh(y − ȳ)², as
# SWEEP_THRESHOLD_FLOOR) for those single fits (see step._compiled_single_solve).
SINGLE_FIT_THRESHOLD_FLOOR = 1e-30

# A column is constant (Lipschitz constant set to 0, coefficient 0) when its centred
# second moment Σh(x − μ)² is below `ratio` times its raw one Σh x². The ratio is the
# rounding noise of the formula used, so two formulas need two ratios:
# - centred explicitly (x − μ, then squared): the noise is about (ε·μ)², ε² ≈ 1e-32
#   relative, so 1e-20 leaves a wide margin;
CONSTANT_COLUMN_RATIO_CENTRED = 1e-20
# - uncentred (Σh x² − μ², sparse columns and moments): the subtraction cancels and
#   leaves noise of about ε·Σh x² ≈ 1e-16 relative, so 1e-10 (with margin).
CONSTANT_COLUMN_RATIO_UNCENTRED = 1e-10

# Proximal Newton (GLMs): IRLS weights are floored at this curvature (saturated rows
# of a logistic fit have p(1 − p) → 0, which would make the working residual blow up);
CURVATURE_FLOOR = 1e-10
# coordinate-descent rounds per inexact Newton direction;
NEWTON_INNER_ROUNDS = 10
# the inner solve of a Newton direction stops once a sweep changes the model by at most
# (forcing · the current KKT violation)², an inexact Newton method's forcing term. It
# starts at 1 for each alpha (directions as accurate as the violation: enough where the
# steps converge fast) and shrinks 10x (to at most NEWTON_FORCING_MIN) after every
# step that leaves the violation above NEWTON_SLOW_RATIO of the one before, but never
# asks for more than a tenth of the alpha's own tolerance (a loose tol needs no sharper
# direction than that); next_forcing below. A constant 1 converged linearly on
# correlated designs with many active features (Poisson lasso 10000x200 rho 0.5, 150
# active: 540 Newton steps at one alpha, 17 s for the path at tol 1e-4); a constant 0.1
# over-solved the easy ones (logistic paths up to 2x slower).
# Compiled into the GLM and Cox kernels: Numba's cache there does not see a change in
# this file, so touch _glm_kernels.py and _cox_kernels.py after changing the rule.
NEWTON_SLOW_RATIO = 0.5
NEWTON_FORCING_MIN = 1e-4
# Armijo's sufficient-decrease constant for the line search;
ARMIJO = 1e-4
# and the most halvings of its step (2^-30 ≈ 1e-9) before it gives up on a direction.
LINE_SEARCH_HALVINGS = 30


def next_forcing(forcing: float, worst: float, last_worst: float, tol_abs: float) -> float:
    """The forcing term for the next Newton step (the rule above): 10x smaller after a
    step that left the violation ``worst`` above ``NEWTON_SLOW_RATIO·last_worst``, down
    to ``NEWTON_FORCING_MIN`` and never below a tenth of ``tol_abs``. One rule for the
    Python solver (:mod:`.glm`) and, compiled, the GLM and Cox paths."""
    if worst > NEWTON_SLOW_RATIO * last_worst:
        return max(0.1 * forcing, NEWTON_FORCING_MIN, 0.1 * tol_abs / worst)
    return forcing
