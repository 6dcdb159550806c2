"""Penalized multinomial (softmax) paths: proximal Newton on the full ``K(p+1)``-square
Hessian, formed once and reused while it pays.

The multi-class report (:mod:`shrinkage.explain.multiclass`) refits its whole procedure
(inner CV over a 12-point grid for three penalties) hundreds of times; the library's
:class:`~shrinkage.solvers.logistic.MultinomialProblem` takes one Python-level Newton
step per class per iteration, ~10⁴ small steps per path. Here, for each α of a
decreasing grid, we minimize

.. math::

    F(B_0, B) + \\alpha \\sum_{k,j}\\big(\\rho|B_{kj}| + \\tfrac{1-\\rho}{2}B_{kj}^2\\big),
    \\qquad F = \\sum_i h_i\\Big(\\log\\sum_k e^{\\eta_{ik}} - \\eta_{i y_i}\\Big),
    \\quad \\eta_i = o_i + B_0 + B x_i,\\quad h = w/\\textstyle\\sum w,

the objective of :class:`~shrinkage.solvers.logistic.MultinomialProblem` (ungrouped
penalty, intercepts free, or ``B_0 = 0`` with ``fit_intercept=False``), and stop at each
α on its rule: the largest KKT violation, intercepts included, at most ``tol``
(absolute, on the gradient of the mean loss).

Each step minimizes the quadratic model of ``F`` plus the penalty. With ``x̃ = (1, x −
μ)`` (columns centred with ``h``, which decouples the intercepts; the penalty does not
see the change of variables; without intercepts ``x̃ = (0, x)``, uncentred) the Hessian
is

.. math::

    H = \\sum_i h_i (\\operatorname{diag} p_i - p_i p_i^T) \\otimes \\tilde x_i \\tilde x_i^T
      = \\sum_{k<l} (e_k - e_l)(e_k - e_l)^T \\otimes \\tilde X^T \\operatorname{diag}(h p_k p_l)
      \\tilde X,

formed by the second sum: each term is positive semi-definite, so ``H`` is too even
where ``p_k → 1`` (the first form cancels there). The model is minimized by coordinate
descent on ``H`` (:func:`shrinkage.solvers._kernels.cd_gram`, with exact active-set
steps once the sweeps cost more than they do: :mod:`._softmax_active_set`) or, without
an L1 part,
by a Cholesky solve (``H`` plus ``s_a 11ᵀ`` per column ``a``: ``H`` is singular along a
shift common to all classes, which the steps never take since every gradient sums to
zero over the classes). An Armijo backtracking on the true objective follows; each trial
point costs one fused pass over the rows (:mod:`._multinomial_kernels`: ``η``, softmax,
loss and gradient). As :mod:`.logistic_gram_path`, ``H`` is kept across steps and α and
formed anew only when, after :data:`MIN_AGE` steps on it, a step cut the KKT violation
by less than :data:`REFRESH_RATE`, or when a step was cut short: a stale ``H`` is still
positive semi-definite, so the step still descends.

Related problems (the folds of one cross-validation and its refit, on the same grid)
can share work through ``shared``: the first path leaves there the model it ended each
α with and its solutions; a later path starts each α with that model, and from its own
last solution moved by the first path's step between the two α when that lowers the
objective. Both only change the steps: each path still stops on its own KKT test.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from scipy.linalg import LinAlgError, cho_factor, cho_solve

from ._kernels import cd_gram
from ._multinomial_kernels import softmax_step
from ._softmax_active_set import active_set_pieces
from .constants import (
    ACTIVE_SWEEPS,
    ARMIJO,
    CONSTANT_COLUMN_RATIO_CENTRED,
    LINE_SEARCH_HALVINGS,
)

__all__ = ["MultinomialPath", "multinomial_alpha_max", "multinomial_path"]

#: form ``H`` anew when a step cut the KKT violation by less than this factor
REFRESH_RATE = 0.5
#: the inner coordinate descent stops when no coordinate moves the model's gradient by
#: more than ``INNER · violation`` (or after ``INNER_SWEEPS`` rounds). Measured over 96
#: fits (wine, digits, iris and a 2000×100 5-class set; raw, standardized and with
#: column scales 0.01–100; C 0.1–100; l1_ratio 1 and 0.5): 0.3 and 20 took 10959 steps
#: and five fits ended at max_iter=1000 (iris raw at C=100: 1000 steps, 22 with 0.05);
#: 0.1 and 200 take 2955 steps and all converge; standardized data take the same time.
INNER = 0.1
INNER_SWEEPS = 200
#: an exact active-set step on the model (:mod:`._softmax_active_set`) is taken once the
#: inner sweeps since the last one have cost this many times its price (a factor of the
#: support, m³/3, and a gradient update). Measured over 48 fits (digits standardized and
#: raw, raw mlbench Vehicle, a 2000×100 AR(1) 5-class set; with and without intercepts;
#: C 0.1/1/100; l1_ratio 1 and 0.5; one thread, CPU s): never 61.2 s (Vehicle: 8 fits at
#: 500-1000 steps); 1: 9.1 s; 4: 7.5 s, all at 11-39 steps.
EXACT_RENT = 4.0
#: a Cholesky factor is reused for a ridge within this relative distance
FACTOR_RTOL = 0.3
#: a model is refreshed for slow progress only after this many steps on it
MIN_AGE = 2


class MultinomialPath(NamedTuple):
    coefs: np.ndarray  # (m, K, p)
    intercepts: np.ndarray  # (m, K), centred to sum zero
    converged: np.ndarray  # (m,) bool
    n_steps: np.ndarray  # (m,) Newton steps per α
    n_hessians: int  # times H was formed


def multinomial_alpha_max(Z, y, w, n_classes: int, l1_ratio: float) -> float:
    """The smallest α with every class coefficient 0 (intercepts free):
    ``max_{j,k} |Σ_i h_i z_ij (ȳ_k − y_ik)| / ρ`` (ρ floored at 10⁻³, as the library)."""
    h = np.asarray(w, float) / np.sum(w)
    Y = np.eye(n_classes)[np.asarray(y, dtype=np.int64)]
    gradient = np.asarray(Z).T @ (h[:, None] * (Y - h @ Y))
    return float(np.abs(gradient).max(initial=0.0) / max(l1_ratio, 1e-3))


class _State:
    """The current point ``Θ`` (K, q) on ``X̃ = (1, Z − μ)`` and what depends on it:
    ``η = X̃Θᵀ``, the mean loss ``F``, the probabilities ``P``, the residual ``R = h(Y −
    P)`` and the negative gradient ``g = RᵀX̃`` (K, q), all from one pass over ``X̃``
    (:func:`._multinomial_kernels.softmax_step`). A trial point of the line search is
    evaluated into spare buffers, swapped in when accepted."""

    def __init__(self, A, codes, h, theta, offset=None):
        self.A, self.codes, self.h = A, codes, h
        self._single = None
        (n, q), K = A.shape, theta.shape[0]
        self._spare = [np.empty((n, K)), np.empty((n, K)), np.empty((n, K)), np.empty((K, q))]
        self.eta, self.P, self.R, self.g = (np.empty_like(b) for b in self._spare)
        self.d_eta = np.empty((n, K))
        self.theta = np.zeros_like(theta)
        base = np.zeros((n, K)) if offset is None else np.ascontiguousarray(offset, float)
        self.move(theta, self.trial(theta, 1.0, first=True, start=base))

    def single(self):
        """``X̃`` in single precision, Fortran order (made once, for the Hessians)."""
        if self._single is None:
            self._single = np.asarray(self.A, dtype=np.float32, order="F")
        return self._single

    def trial(self, delta, step, first, start=None) -> float:
        """The mean loss at ``Θ + step·Δ`` (its ``η, P, R, g`` kept in the spare
        buffers); ``first``: the first trial along ``Δ`` (it makes ``Δη = X̃Δᵀ``)."""
        eta, P, R, g = self._spare
        start = self.eta if start is None else start
        return softmax_step(
            self.A, delta, self.d_eta, first, start, step, self.codes, self.h, eta, P, R, g
        )

    def move(self, theta, F):
        """Accept the last trial, at ``theta``, with mean loss ``F``."""
        current = [self.eta, self.P, self.R, self.g]
        self.eta, self.P, self.R, self.g = self._spare
        self._spare = current
        self.theta, self.F = theta, F


def softmax_hessian_blocks(A, P, h) -> np.ndarray:
    """The softmax loss's Hessian on the columns of ``A`` (n, q) as class blocks:
    ``blocks[k, c] = Σ_i h_i (δ_kc p_ik − p_ik p_ic) a_i a_iᵀ`` (K, K, q, q), float64.

    One weighted Gram per class pair ``k < c``, in ``A``'s precision; the diagonal
    blocks follow from ``Σ_c blocks[k, c] = 0`` (a shift common to all classes leaves
    the softmax unchanged). ``P`` is (n, K); ``A`` Fortran-ordered is fastest.
    """
    K, q = P.shape[1], A.shape[1]
    blocks = np.zeros((K, K, q, q))
    scaled = np.empty_like(A)  # one buffer for the scaled rows (A's order and dtype)
    for k in range(K):
        for c in range(k + 1, K):
            weights = np.sqrt(h * P[:, k] * P[:, c]).astype(A.dtype, copy=False)
            np.multiply(A, weights[:, None], out=scaled)
            block = scaled.T @ scaled  # NumPy hands SᵀS to BLAS's syrk
            blocks[k, c] = -block
            blocks[c, k] = -block
    for k in range(K):
        blocks[k, k] = -blocks[k].sum(axis=0)
    return blocks


def jittered_cho_factor(M: np.ndarray, top: float):
    """Cholesky factor of ``M`` (overwritten), with ``top·10⁻¹²`` added to its diagonal,
    then ×100 a try, while it is not definite (collinear columns without a ridge: the
    nudged system still gives a descent step). None after 8 tries."""
    jitter = 0.0
    for _ in range(8):
        try:
            if jitter:
                M[np.diag_indices_from(M)] += jitter
            return cho_factor(M, check_finite=False)
        except LinAlgError:
            jitter = top * 1e-12 if jitter == 0 else 99 * jitter  # total ×100 per try
    return None


def _hessian(state: _State, live: np.ndarray) -> np.ndarray:
    """``H`` (Kq × Kq, class-major) at the state, by the sum over class pairs."""
    K, q = state.theta.shape
    # Single precision: H only shapes the step (gradient and KKT test stay in double).
    blocks = softmax_hessian_blocks(state.single(), state.P, state.h)
    blocks[:, :, ~live, :] = 0.0
    blocks[:, :, :, ~live] = 0.0
    H = blocks.transpose(0, 2, 1, 3).reshape(K * q, K * q)  # one C-order copy
    return H.T  # symmetric: its transpose is the Fortran-order H, no copy


class _Model:
    def __init__(self, state: _State, live: np.ndarray):
        self.K, self.q = state.theta.shape
        self.H = _hessian(state, live)  # Fortran order, as cd_gram reads columns
        self.diag = np.ascontiguousarray(np.maximum(np.diag(self.H), 0.0))
        self.live = np.tile(live, self.K)
        self._factors = {}  # by ridge: a shared model serves several α

    def step(self, state: _State, l1v, l2v, violation):
        theta = state.theta.ravel()
        gradient = state.g.ravel()
        if not np.any(l1v > 0):
            key = float(l2v.max(initial=0.0))
            # A factor made for a ridge within FACTOR_RTOL of this one still gives a
            # descent step with the right fixed point (the right-hand side carries the
            # true ridge): a shared model's factor serves every fold at this α.
            factor = next(
                (f for k, f in self._factors.items() if abs(k - key) <= FACTOR_RTOL * key), None
            )
            if factor is None:
                if len(self._factors) >= 3:  # (2 MB each at K = 5, p = 100: keep a few)
                    self._factors.pop(next(iter(self._factors)))
                factor = self._factors[key] = self._factor(l2v)
            rhs = np.where(self.live, gradient - l2v * theta, 0.0)
            delta = cho_solve(factor, rhs, check_finite=False)
            return np.where(self.live, delta, 0.0).reshape(self.K, self.q)
        new = theta.copy()
        work = gradient.copy()  # q − Hθ' at θ' = θ
        size = theta.size
        lower, upper = np.full(size, -np.inf), np.full(size, np.inf)
        features = np.flatnonzero(self.live)
        # CD's change is L_j·Δ_j² (objective units); the model's gradient moves by
        # L_j·|Δ_j| ≤ INNER·violation when L_j·Δ_j² ≤ (INNER·violation)²/L_j: the largest
        # L_j makes it one threshold for all (scale-free: raw wine, proline's L_j ~ 10⁴,
        # took 934 steps against 27 with the unscaled threshold).
        threshold = (INNER * violation) ** 2 / max(float(self.diag.max(initial=0.0)), 1e-300)
        spent = 0.0  # coordinate descent's multiply-adds since the last active-set step
        for _ in range(INNER_SWEEPS):
            change, cost = cd_gram(
                self.H, work, new, self.diag, l1v, l2v, lower, upper, features,
                ACTIVE_SWEEPS, threshold,
            )  # fmt: skip
            if change <= threshold:
                break
            # Rent or buy: once the sweeps have cost EXACT_RENT times what an exact step
            # on the support costs (a factor, m³/3, and a gradient update), take one.
            # Ill-conditioned supports need it (raw Vehicle: sweeps capped at 200 stalled
            # the outer steps); well-conditioned ones finish in a few sweeps and never
            # pay for it.
            spent += cost
            m = np.count_nonzero(self.live & ((new != 0.0) | (l1v == 0.0)))
            exact = m**3 / 3.0 + size * m
            if spent >= EXACT_RENT * exact:
                pieces = active_set_pieces(self.H, new, work, l1v, l2v, self.live, self.K)
                spent = -(pieces - 1) * exact  # (each further piece is paid by sweeps)
        return (new - theta).reshape(self.K, self.q)

    def _factor(self, l2v):
        """Cholesky of ``H + diag(l2) + Σ_a s_a (11ᵀ ⊗ e_a e_aᵀ)`` (dead columns: 1)."""
        K, q = self.K, self.q
        scale = self.diag.reshape(K, q).mean(axis=0)
        shift = np.where(scale > 0, scale / K, 1.0)
        M = self.H + np.kron(np.ones((K, K)), np.diag(shift))
        M[np.diag_indices_from(M)] += l2v
        dead = ~self.live
        M[dead, dead] = 1.0
        factor = jittered_cho_factor(M, max(float(self.diag.max(initial=0.0)), 1e-300))
        if factor is None:
            raise LinAlgError("multinomial_path: the Newton system stayed singular.")
        return factor


def _penalty(theta, l1v, l2v):
    t = theta.ravel()
    return float(l1v @ np.abs(t) + 0.5 * (l2v @ (t * t)))


def _violation(state: _State, mu, l1v, l2v, live):
    """Largest KKT violation in the caller's (uncentred) parametrization (``mu`` the
    column means), or on the centred columns (``mu=None``)."""
    g = state.g.copy()
    if mu is not None:  # else: on the centred columns the steps work in
        g[:, 1:] += state.g[:, :1] * mu[None, :]  # Zᵀr = (Z − μ)ᵀr + μ·Σr
    g = g.ravel()
    b = state.theta.ravel()
    target = g - l2v * b
    free = np.maximum(np.abs(target) - l1v, 0.0)
    v = np.where(b == 0.0, free, np.abs(target - l1v * np.sign(b)))
    return float(np.max(np.where(np.tile(live, state.theta.shape[0]), v, 0.0), initial=0.0))


def multinomial_path(
    Z: np.ndarray,
    y: np.ndarray,
    w: np.ndarray,
    alphas: np.ndarray,
    l1_ratio: float,
    n_classes: int,
    *,
    tol: float = 1e-4,
    max_iter: int = 200,
    shared: dict | None = None,
    penalty_weights: np.ndarray | None = None,
    fit_intercept: bool = True,
    start: tuple[np.ndarray, np.ndarray] | None = None,
    offset: np.ndarray | None = None,
) -> MultinomialPath:
    """The penalized multinomial path along ``alphas`` (decreasing), warm-started from
    the intercept-only fit.

    Parameters
    ----------
    Z : ndarray of shape (n, p)
        The design; rows with ``w = 0`` should be left out.
    y : ndarray of shape (n,)
        Labels in ``0 … n_classes − 1`` (a class may be absent: its probabilities are
        driven towards 0 until the KKT test passes, as the library's solver does).
    w : ndarray of shape (n,)
        Positive row weights (bootstrap counts); ``h = w/Σw``.
    alphas : ndarray of shape (m,)
        Decreasing penalty strengths (our α: mean loss); 0 is the unpenalized fit.
    l1_ratio : float
        ρ in [0, 1].
    n_classes : int
    tol : float
        Absolute KKT tolerance (``LogisticRegression``'s ``tol``).
    max_iter : int
        Newton steps per α.
    shared : dict, optional
        Carried by the caller across calls on related problems (the folds of one
        resample, on the same grid): the first call leaves there the quadratic model it
        ended each α with (``H`` and its factor), and a later call starts that α from
        it instead of from its own (its steps refresh it by the usual rule if it does
        not pay). Only the steps change: the KKT test, the line search and so the
        answer are those of the call's own problem.
    penalty_weights : ndarray of shape (p,), optional
        Per-feature factors ``v_j ≥ 0`` of the penalty (``α ρ v_j |B_kj|``, …; 0 leaves a
        feature unpenalized); all 1 by default.
    fit_intercept : bool
        False: no intercepts (``B₀ = 0``); the columns are then used as they are, not
        centred (centring only moves the intercepts), and a constant column is a
        feature like any other.
    start : (coef (K, p), intercept (K,)), optional
        The point the first α starts from (a warm start, in the caller's columns);
        the intercept-only fit by default.
    offset : ndarray of shape (n, K), optional
        A fixed part of the linear predictor, ``η_i = offset_i + B₀ + Bx_i`` (glmnet's).

    Returns
    -------
    MultinomialPath
        ``coefs`` (m, K, p), ``intercepts`` (m, K), ``converged`` (m,), ``n_steps`` (m,)
        and ``n_hessians``.
    """
    Z = np.asarray(Z, dtype=np.float64)
    y = np.asarray(y, dtype=np.int64)
    w = np.asarray(w, dtype=np.float64)
    alphas = np.atleast_1d(np.asarray(alphas, dtype=np.float64))
    n, p = Z.shape
    K = int(n_classes)
    if y.shape != (n,) or w.shape != (n,):
        raise ValueError(f"y and w need one entry per row of Z ({n}); got {y.shape}, {w.shape}.")
    if y.size and (y.min() < 0 or y.max() >= K):
        raise ValueError(f"labels must lie in 0 … {K - 1}; encode them first (np.unique).")
    if not (np.all(np.isfinite(w)) and np.all(w > 0)):
        raise ValueError("w must be finite and > 0; leave rows with weight 0 out.")
    h = w / w.sum()
    raw = h @ (Z * Z)
    if fit_intercept:
        mu = h @ Z
        Zc = Z - mu
        spread = h @ (Zc * Zc)
        live = np.concatenate(
            [[True], spread > CONSTANT_COLUMN_RATIO_CENTRED * np.maximum(raw, 1e-300)]
        )
    else:  # the intercept column stays dead (0) and the columns uncentred
        mu, Zc = np.zeros(p), Z
        live = np.concatenate([[False], raw > 0.0])
    A = np.empty((n, p + 1))
    A[:, 0] = 1.0
    A[:, 1:] = Zc
    A[:, ~live] = 0.0
    theta = np.zeros((K, p + 1))
    counts = np.bincount(y, weights=h, minlength=K)
    if fit_intercept:
        log_counts = np.log(np.maximum(counts, 1e-300))
        theta[:, 0] = np.where(counts > 0, log_counts, -690.0) - np.mean(log_counts[counts > 0])
        theta[counts == 0, 0] = -30.0  # an absent class: start far down, the KKT test ends it
    if start is not None:
        B, b0 = (np.asarray(a, dtype=np.float64) for a in start)
        theta[:, 1:] = np.where(live[1:], B, 0.0)
        theta[:, 0] = b0 + B @ mu if fit_intercept else 0.0
    state = _State(A, y, h, theta, offset)
    m = alphas.size
    coefs, intercepts = np.zeros((m, K, p)), np.zeros((m, K))
    converged, n_steps = np.zeros(m, dtype=bool), np.zeros(m, dtype=np.int64)
    model, hessians, fresh, age = None, 0, False, 0
    factors = np.ones(p) if penalty_weights is None else np.asarray(penalty_weights, float)
    penalized = np.tile(np.r_[0.0, factors], K)
    ratio = float(l1_ratio)
    models, points = _shared_models(shared, live, K)
    for index, alpha in enumerate(alphas):
        l1v = penalized * alpha * ratio
        l2v = penalized * alpha * (1.0 - ratio)
        last, steps = np.inf, 0
        if models.get(index) is not None:
            model, fresh, age = models[index], False, 0
        check = index in points
        while True:
            worst = _violation(state, mu, l1v, l2v, live)
            if check and worst > tol:
                # not yet optimal here: try the related path's starting points first
                _warm_start(state, _candidates(state.theta, points, index, mu), l1v, l2v)
                worst = _violation(state, mu, l1v, l2v, live)
            check = False
            if worst <= tol or steps >= max_iter:
                break
            if model is None or (worst > REFRESH_RATE * last and age >= MIN_AGE and not fresh):
                model, hessians, fresh, age = _Model(state, live), hessians + 1, True, 0
            last = worst
            # The inner solve's accuracy is relative to the violation the model sees,
            # on the centred columns: the caller's (uncentred) one adds μ·Σr, up to
            # |μ| times larger (columns at 100: 100 steps, linear, instead of 14).
            centred = _violation(state, None, l1v, l2v, live)
            delta = model.step(state, l1v, l2v, centred)
            step = _line_search(state, delta, l1v, l2v)
            steps, age = steps + 1, age + 1
            if step == 0.0:
                if fresh:
                    break  # no descent even on a fresh model: rounding, stop here
                model, last = None, np.inf
                continue
            fresh = False
            if step < 1.0:
                model = None
        if model is not None and index not in models:
            models[index] = model
        B = state.theta[:, 1:]
        b0 = state.theta[:, 0] - B @ mu
        points.setdefault(index, (B.copy(), b0))
        coefs[index], intercepts[index] = B, b0 - b0.mean()
        converged[index], n_steps[index] = worst <= tol, steps
    return MultinomialPath(coefs, intercepts, converged, n_steps, hessians)


def _shared_models(shared: dict | None, live: np.ndarray, K: int) -> tuple[dict, dict]:
    """The models and the solutions ``(B, b₀)`` by α index in ``shared`` (fresh dicts
    when there is nothing to share: no ``shared``, or one made on other live columns or
    classes, whose ``H`` would not fit)."""
    if shared is None:
        return {}, {}
    if "live" not in shared:
        shared.update(live=live, classes=K, models={}, points={})
    if shared["classes"] != K or not np.array_equal(shared["live"], live):
        return {}, {}
    return shared["models"], shared["points"]


def _candidates(theta, points, index, mu) -> list:
    """Starting points for α number ``index`` from a related problem's solutions (in
    this problem's centred coordinates): its solution there, and this problem's last
    solution moved by the step the related path took from the previous α."""

    def centred(B, b0):
        return np.column_stack([b0 + B @ mu, B])

    out = []
    if index - 1 in points:
        (B1, b1), (B0, b0) = points[index], points[index - 1]
        out.append(theta + centred(B1 - B0, b1 - b0))
    return out


def _warm_start(state: _State, candidates, l1v, l2v) -> None:
    """Move to the candidate of least objective if it beats the current point (one
    pass over the rows each: far cheaper than the Newton steps a better start saves)."""
    best = state.F + _penalty(state.theta, l1v, l2v)
    for theta in candidates:
        F = state.trial(np.ascontiguousarray(theta - state.theta), 1.0, first=True)
        value = F + _penalty(theta, l1v, l2v)
        if value < best:
            state.move(theta, F)
            best = value


def _line_search(state: _State, delta, l1v, l2v) -> float:
    """Armijo backtracking from the full step with the proximal-Newton decrement."""
    delta = np.ascontiguousarray(delta)
    old_penalty = _penalty(state.theta, l1v, l2v)
    old = state.F + old_penalty
    decrement = -float(np.vdot(state.g, delta)) + _penalty(state.theta + delta, l1v, l2v)
    decrement -= old_penalty
    step = 1.0
    for halving in range(LINE_SEARCH_HALVINGS):
        theta = state.theta + step * delta
        F = state.trial(delta, step, first=halving == 0)
        if F + _penalty(theta, l1v, l2v) <= old + ARMIJO * step * min(decrement, 0.0) + 1e-15 * abs(
            old
        ):
            state.move(theta, F)
            return step
        step *= 0.5
    return 0.0
