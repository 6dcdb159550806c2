"""Binary ``LogisticRegression`` on Dask: proximal Newton, one pass per Newton step.

The objective is the in-memory one (mean log-loss with ``h = s/Σs``, class weights
included, and ``α = 1/(C·Σs)``):

.. math::

    F(\\beta_0, \\beta) = \\sum_i h_i\\big(\\log(1 + e^{\\eta_i}) - y_i\\eta_i\\big)
    + \\alpha \\sum_j v_j\\Big(\\rho|\\beta_j| + \\frac{1-\\rho}{2}\\beta_j^2\\Big).

Each outer step needs, at the current ``η``, the IRLS weights ``u = h p(1 − p)``, the
working response ``z = η + (y − p)/(p(1 − p))`` and their weighted moments
``Σ u x xᵀ``, ``Σ u x z``, …: the same sums as least squares, in one pass. The
quadratic model plus penalty is then a weighted elastic net solved in memory on
the ``p × p`` Gram (:meth:`LeastSquaresProblem.from_moments`, to a tight tolerance:
the pass, not the inner solve, is what costs), giving the Newton direction ``Δ``.

The step is chosen by Armijo backtracking on ``F`` itself. The pass that computes the
moments at ``β + Δ`` also evaluates the loss at ``β + tΔ`` for eight step sizes
``t = 1, ½, …, 1/128``, so an accepted full step costs one pass in all and a shorter
one a second. The solver stops when the largest KKT violation of ``F`` (intercept
included) is at most ``tol``, the in-memory criterion. ``dual_gap_`` uses the same
dual point as in memory (one more pass only when the gradient must be rescaled).
"""

from __future__ import annotations

import warnings
from typing import TypeVar

import numpy as np
from scipy.special import expit, log_expit, xlogy
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.class_weight import compute_class_weight

from .._validation import check_penalty_weights
from ..penalties import penalty_value
from ..solvers.constants import CURVATURE_FLOOR
from ..solvers.glm import sufficient_decrease
from ..solvers.least_squares import kkt_violation
from ..solvers.moments import Moments
from ..solvers.problems import LeastSquaresProblem, penalty_strengths
from ..solvers.ridge import pseudo_inverse
from ._graph import map_reduce
from ._inputs import DaskData, set_feature_attributes
from .moments import as_float_block, check_block_rows, pilot_shift

_MIN_KKT_TOL = 1e-11
_STEPS_PER_PASS = 8
_MAX_HALVINGS = 30
# The inner weighted elastic net is solved to this relative duality gap: it costs
# microseconds per sweep on p×p, while an inaccurate direction costs passes.
_INNER_TOL = 1e-12
_INNER_MAX_ITER = 100_000

T = TypeVar("T")


class _Labels:
    """Rows and weight of each label, summed over blocks."""

    def __init__(self, counts: dict, min_weight: float):
        self.counts, self.min_weight = counts, min_weight

    def __add__(self, other: _Labels) -> _Labels:
        counts = dict(self.counts)
        for label, (rows, weight) in other.counts.items():
            old_rows, old_weight = counts.get(label, (0, 0.0))
            counts[label] = (old_rows + rows, old_weight + weight)
        return _Labels(counts, min(self.min_weight, other.min_weight))


def _label_block(X, y, w, info, scale) -> _Labels:
    index, _, declared = info
    n = check_block_rows(index, declared, y, w)
    y = np.asarray(y).ravel()
    if y.dtype.kind == "f" and not np.isfinite(y).all():
        raise ValueError("y contains NaN or infinity; drop those rows or encode them as a class.")
    try:
        labels, inverse = np.unique(y, return_inverse=True)
    except TypeError:
        raise ValueError(
            "y mixes label types (e.g. strings and numbers); use one type for all classes."
        ) from None
    weights = np.full(n, scale) if w is None else as_float_block(w, "sample_weight", index) * scale
    if not np.isfinite(weights).all():
        raise ValueError("sample_weight contains NaN or infinity; pass finite weights.")
    rows = np.bincount(inverse, minlength=labels.size)
    sums = np.bincount(inverse, weights=weights, minlength=labels.size)
    counts = {label: (int(r), float(s)) for label, r, s in zip(labels, rows, sums, strict=True)}
    return _Labels(counts, float(weights.min()) if n else np.inf)


class _NewtonSums:
    """Per-pass sums: loss at each trial step, and the IRLS statistics at the first."""

    def __init__(self, losses, stats, gradient, intercept_gradient, entropy):
        self.losses, self.stats = losses, stats
        self.gradient, self.intercept_gradient, self.entropy = (
            gradient,
            intercept_gradient,
            entropy,
        )

    def __add__(self, other: _NewtonSums) -> _NewtonSums:
        if self.stats is None:
            return _NewtonSums(self.losses + other.losses, None, None, 0.0, self.entropy)
        return _NewtonSums(
            self.losses + other.losses,
            self.stats + other.stats,
            self.gradient + other.gradient,
            self.intercept_gradient + other.intercept_gradient,
            self.entropy + other.entropy,
        )


def _block_labels(y, w, info, shared):
    """``y ∈ {0, 1}`` and the normalized weights ``h`` of one block."""
    y01 = (np.asarray(y).ravel() == shared["positive"]).astype(np.float64)
    scale = shared["scale"]
    s = scale if w is None else as_float_block(w, "sample_weight", info[0]) * scale
    h = s * shared["factors"][y01.astype(np.intp)] / shared["total"]
    return y01, np.broadcast_to(h, y01.shape)


def _newton_block(X, y, w, info, shared) -> _NewtonSums:
    """Loss at ``β + tΔ`` for each trial ``t``, and the IRLS moments at ``t = steps[0]``."""
    index, _, declared = info
    check_block_rows(index, declared, X, y, w)
    X = as_float_block(X, "X", index)
    y01, h = _block_labels(y, w, info, shared)
    eta = X @ shared["beta"] + shared["beta0"]
    direction = None
    if shared["delta"] is not None:
        direction = X @ shared["delta"] + shared["delta0"]
    losses = np.empty(len(shared["steps"]))
    for k, step in enumerate(shared["steps"]):
        trial = eta if direction is None else eta + step * direction
        losses[k] = float(np.dot(h, -log_expit(trial) + (1.0 - y01) * trial))
    if not shared["stats"]:
        return _NewtonSums(losses, None, None, 0.0, 0.0)

    step = shared["steps"][0]
    beta0, beta = shared["beta0"], shared["beta"]
    if direction is not None:
        eta = eta + step * direction
        beta0, beta = beta0 + step * shared["delta0"], beta + step * shared["delta"]
    p = expit(eta)
    curvature = np.maximum(p * (1.0 - p), CURVATURE_FLOOR)
    weighted_residual = h * (y01 - p)
    gradient = X.T @ weighted_residual
    # Working response, shifted by the prediction at shift_x: z − s_z = (x − s_x)ᵀβ + r.
    z = eta - beta0 - float(shared["shift_x"] @ beta) + (y01 - p) / curvature
    stats = Moments.of_rows(X, z, h * curvature, shared["shift_x"], 0.0)
    entropy = float(np.dot(h, xlogy(p, p) + xlogy(1.0 - p, 1.0 - p)))
    return _NewtonSums(losses, stats, gradient, float(weighted_residual.sum()), entropy)


def _entropy_block(X, y, w, info, shared) -> float:
    """``Σ h (m log m + (1 − m) log(1 − m))`` at ``m = (1 − s) y + s p`` (the dual)."""
    index, _, declared = info
    check_block_rows(index, declared, X, y, w)
    X = as_float_block(X, "X", index)
    y01, h = _block_labels(y, w, info, shared)
    p = expit(X @ shared["beta"] + shared["beta0"])
    mean = (1.0 - shared["dual_scale"]) * y01 + shared["dual_scale"] * p
    return float(np.dot(h, xlogy(mean, mean) + xlogy(1.0 - mean, 1.0 - mean)))


class _State:
    """The current point and the sums of the pass there."""

    def __init__(self, beta0: float, beta: np.ndarray, sums: _NewtonSums):
        self.beta0, self.beta, self.sums = beta0, beta, sums

    @property
    def loss(self) -> float:
        return float(self.sums.losses[0])


class _Engine:
    """Passes over the data with the fixed parameters of one fit."""

    def __init__(self, data: DaskData, constants: dict):
        self.data, self.constants, self.n_passes = data, constants, 0

    def _pass(self, function, **values):
        self.n_passes += 1
        return map_reduce(function, self.data, {**self.constants, **values})

    def at(self, beta0: float, beta: np.ndarray) -> _State:
        sums = self._pass(
            _newton_block, beta0=beta0, beta=beta, delta0=0.0, delta=None, steps=[0.0], stats=True
        )
        _check_finite(sums)
        return _State(beta0, beta, sums)

    def trial(self, state: _State, delta0, delta, steps) -> _NewtonSums:
        """Losses at ``state + tΔ`` for ``steps``; IRLS sums at ``t = 1`` if it is tried."""
        return self._pass(
            _newton_block,
            beta0=state.beta0,
            beta=state.beta,
            delta0=delta0,
            delta=delta,
            steps=list(steps),
            stats=steps[0] == 1.0,
        )

    def entropy(self, state: _State, dual_scale: float) -> float:
        return self._pass(_entropy_block, beta0=state.beta0, beta=state.beta, dual_scale=dual_scale)


def _check_finite(sums: _NewtonSums) -> None:
    if not (np.isfinite(sums.gradient).all() and np.isfinite(sums.losses).all()):
        raise ValueError(
            "X contains NaN or infinity (found while summing the data). Drop or impute those "
            "rows first (e.g. X = X[da.isfinite(X).all(axis=1)])."
        )


def _classes(estimator, data: DaskData):
    """Classes, per-class weight factors and ``Σ s·factor`` from a pass over ``y``."""
    labels = map_reduce(_label_block, data, data.weight_scale, with_x=False)
    if labels.min_weight < 0:
        raise ValueError(
            "sample_weight has negative entries; weights must be >= 0 (0 drops a row)."
        )
    try:
        classes = np.array(sorted(labels.counts))
    except TypeError:
        raise ValueError("y mixes label types; use one type for all classes.") from None
    if classes.size < 2:
        raise ValueError(
            f"y has only 1 class ({classes[0]!r}); logistic regression needs at least 2 "
            "classes in the training data."
        )
    if classes.size > 2:
        raise ValueError(
            f"y has {classes.size} classes; the distributed engine fits binary logistic "
            "regression only. Fit one binary model per class (one-vs-rest, e.g. "
            "y == label), or compute X to memory for the multinomial LogisticRegression."
        )
    sums = np.array([labels.counts[c][1] for c in classes])
    factors = np.ones(2)
    if estimator.class_weight is not None:
        # scikit-learn's rule, fed the weighted class counts as one row per class.
        factors = compute_class_weight(
            estimator.class_weight, classes=classes, y=classes, sample_weight=sums
        )
    total = float(np.dot(sums, factors))
    if total <= 0:
        raise ValueError("sample_weight sums to zero; at least one sample needs a positive weight.")
    return classes, factors, total, float(sums[1] * factors[1] / total)


def _newton_direction(state: _State, weights, l1_ratio, alpha, fit_intercept, shift_x):
    """Minimize the quadratic model + penalty on the ``p × p`` IRLS moments."""
    moments = state.sums.stats
    shift_z = state.beta0 + float(shift_x @ state.beta)
    problem = LeastSquaresProblem.from_moments(
        moments, shift_x, shift_z if fit_intercept else 0.0, weights, l1_ratio, False, fit_intercept
    )
    # The model's loss is ½Σu(z − b₀ − xᵀb)², the problem's ½Σ(u/Σu)(…)²: scale α.
    alpha_model = alpha / moments.weight
    l1, l2 = penalty_strengths(alpha_model, l1_ratio, weights)
    if np.any(l1 > 0):
        problem.set_coef(state.beta)
        problem.solve(alpha_model, np.ones(weights.size, dtype=bool), _INNER_TOL, _INNER_MAX_ITER)
        coef = problem.coef
    else:
        # Smooth penalty: the model's minimizer solves one linear system.
        inverse, _ = pseudo_inverse(problem.design.gram + np.diag(l2))
        coef = inverse @ problem.design.q
    intercept = problem.y_offset - float(problem.mu @ coef) if fit_intercept else 0.0
    return intercept - state.beta0, coef - state.beta


def _kkt(state: _State, l1, l2, fit_intercept) -> float:
    violation = kkt_violation(state.sums.gradient, state.beta, l1, l2, False)
    worst = float(violation.max(initial=0.0))
    if fit_intercept:
        worst = max(worst, abs(state.sums.intercept_gradient))
    return worst


def _line_search(engine, state, delta0, delta, l1, l2):
    """Armijo backtracking on ``F``; returns the new state or None (no decrease)."""
    old = state.loss + penalty_value(state.beta, l1, l2)
    decrement = (
        -state.sums.gradient @ delta
        - state.sums.intercept_gradient * delta0
        + penalty_value(state.beta + delta, l1, l2)
        - penalty_value(state.beta, l1, l2)
    )
    first = 1.0
    while first >= 0.5**_MAX_HALVINGS:
        steps = first * 0.5 ** np.arange(_STEPS_PER_PASS)
        sums = engine.trial(state, delta0, delta, steps)
        for k, step in enumerate(steps):
            value = sums.losses[k] + penalty_value(state.beta + step * delta, l1, l2)
            if sufficient_decrease(value, old, step, decrement):
                beta0, beta = state.beta0 + step * delta0, state.beta + step * delta
                if step == 1.0:
                    _check_finite(sums)
                    return _State(beta0, beta, sums)
                return engine.at(beta0, beta)
        first = steps[-1] * 0.5
    return None


def _duality_gap(engine, state, l1, l2) -> float:
    """The in-memory gap at the dual point ``θ = s(y − p)``."""
    gradient = state.sums.gradient
    pure_l1 = (l2 == 0) & (l1 > 0)
    scale = 1.0
    if np.any(pure_l1):
        worst = np.max(np.abs(gradient[pure_l1]) / l1[pure_l1])
        if worst > 1.0:
            scale = 1.0 / worst
    smooth = l2 > 0
    excess = np.maximum(scale * np.abs(gradient[smooth]) - l1[smooth], 0.0)
    conjugate = float(np.sum(excess * excess / (2.0 * l2[smooth])))
    primal = state.loss + penalty_value(state.beta, l1, l2)
    entropy = state.sums.entropy if scale == 1.0 else engine.entropy(state, scale)
    return float(max(primal + entropy + conjugate, 0.0))


def fit_logistic(estimator: T, data: DaskData) -> T:
    """:class:`~shrinkage.linear_model.LogisticRegression` (binary) on Dask data."""
    C, l1_ratio = estimator._check_params()
    p = data.n_features
    weights = check_penalty_weights(estimator.penalty_weights, p)
    classes, factors, total, positive_share = _classes(estimator, data)
    alpha = 0.0 if np.isinf(C) else 1.0 / (C * total)
    tol = max(estimator.tol, _MIN_KKT_TOL)
    fit_intercept = estimator.fit_intercept
    shift_x, _ = pilot_shift(data, fit_intercept, with_y=False)
    engine = _Engine(
        data,
        {
            "positive": classes[1],
            "factors": factors,
            "total": total,
            "scale": data.weight_scale,
            "shift_x": shift_x,
        },
    )
    beta0, beta = 0.0, np.zeros(p)
    if fit_intercept:
        share = min(max(positive_share, 1e-12), 1 - 1e-12)
        beta0 = float(np.log(share / (1.0 - share)))
    previous = getattr(estimator, "coef_", None)
    if estimator.warm_start and previous is not None and np.shape(previous) == (1, p):
        beta = np.array(previous[0], dtype=np.float64)
        beta0 = float(estimator.intercept_[0]) if fit_intercept else 0.0
    l1, l2 = penalty_strengths(alpha, l1_ratio, weights)

    state = engine.at(beta0, beta)
    n_iter, converged, stalled = 0, False, False
    while True:
        worst = _kkt(state, l1, l2, fit_intercept)
        if estimator.verbose:
            objective = state.loss + penalty_value(state.beta, l1, l2)
            print(
                f"[LogisticRegression/dask] step {n_iter}: objective {objective:.10g}, "
                f"KKT violation {worst:.3e} (tol {tol:g}), {engine.n_passes} passes",
                flush=True,
            )
        converged = worst <= tol
        if converged or n_iter >= estimator.max_iter:
            break
        delta0, delta = _newton_direction(state, weights, l1_ratio, alpha, fit_intercept, shift_x)
        moved = _line_search(engine, state, delta0, delta, l1, l2)
        n_iter += 1
        if moved is None:
            stalled = True
            break
        state = moved

    estimator.classes_ = classes
    estimator.coef_ = state.beta[None, :].astype(data.dtype)
    estimator.intercept_ = np.array([state.beta0 if fit_intercept else 0.0], dtype=data.dtype)
    estimator.n_iter_ = np.array([n_iter])
    estimator.dual_gap_ = _duality_gap(engine, state, l1, l2)
    set_feature_attributes(estimator, data)
    if not converged:
        reason = (
            "the line search found no decrease"
            if stalled
            else f"max_iter={estimator.max_iter} Newton steps"
        )
        warnings.warn(
            f"LogisticRegression (Dask) did not converge: {reason} "
            f"(tol={estimator.tol:g}; duality gap reached {estimator.dual_gap_:.3e}). "
            "Increase max_iter, standardize the features, or use a smaller C (more "
            "penalty); perfectly separable data with a tiny penalty has no finite solution.",
            ConvergenceWarning,
            stacklevel=4,
        )
    return estimator
