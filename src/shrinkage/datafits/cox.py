"""Cox proportional hazards: the negative log partial likelihood as a datafit.

With sample weights ``h`` (``Σh = 1``), distinct event times ``t_1 < … < t_m``, risk sets
``R_k = {j : t_j ≥ t_k}`` and tied events ``D_k = {i : t_i = t_k, δ_i = 1}``, Breslow's
weighted partial likelihood gives

.. math::

    F(\\eta) = -\\sum_k \\Big[\\sum_{i \\in D_k} h_i \\eta_i
               - H_k \\log \\sum_{j \\in R_k} h_j e^{\\eta_j}\\Big],
    \\qquad H_k = \\sum_{i \\in D_k} h_i,

which is R glmnet's ``family="cox"`` loss (glmnet normalises the weights the same way);
the objective ``F(Xβ) + λ·penalty`` is glmnet's at ``lambda = λ``. Efron's correction
replaces ``H_k log S_k`` by ``Σ_{r<d_k} (H_k/d_k) log(S_k − (r/d_k) T_k)`` with
``S_k = Σ_{R_k} h e^η``, ``T_k = Σ_{D_k} h e^η`` and ``d_k`` the number of events at
``t_k`` with positive weight (``survival::coxph``'s weighted Efron).

Everything is computed in ``O(n)`` after one ``O(n log n)`` sort by time (cached in the
:class:`CoxTarget` that :meth:`Cox.check_target` returns): risk-set sums are reverse
cumulative sums, and the sums over the event times a subject is at risk for are forward
cumulative sums. Censored subjects tied with an event are in its risk set (as in glmnet
and survival).

Also here: Breslow's baseline hazard (:func:`breslow_baseline`), the baseline and
individual survival functions, and Harrell's concordance index.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import Datafit, register_datafit

__all__ = [
    "Cox",
    "CoxTarget",
    "as_survival_target",
    "breslow_baseline",
    "baseline_survival",
    "cumulative_hazard_function",
    "survival_function",
    "concordance_index",
    "coxnet_deviance",
]

TIES = ("breslow", "efron")
# Below this spread of η (over positive weights) sums of h·e^{η − max η} cannot underflow
# to zero for a risk set containing an event (e^{-500} ≈ 1e-217); above it the datafit
# works in logs (slower: log-sum-exp accumulations).
_LINEAR_SPREAD = 500.0


# ---------------------------------------------------------------------- the target


@dataclass(frozen=True, eq=False)
class CoxTarget:
    """A survival target with its sort by time precomputed.

    Attributes
    ----------
    time, event : ndarray of shape (n,)
        Times (float) and event indicators (bool), in the caller's sample order.
    order : ndarray of shape (n,)
        ``time[order]`` is non-decreasing.
    group : ndarray of shape (n,)
        For the sorted sample ``s``, the index of its distinct time (0 … m−1).
    first : ndarray of shape (m,)
        Sorted position of the first sample of each distinct time.
    """

    time: np.ndarray
    event: np.ndarray
    order: np.ndarray
    group: np.ndarray
    first: np.ndarray

    @classmethod
    def from_arrays(cls, time: np.ndarray, event: np.ndarray) -> CoxTarget:
        order = np.argsort(time, kind="stable")
        sorted_time = time[order]
        _, first, group = np.unique(sorted_time, return_index=True, return_inverse=True)
        return cls(time=time, event=event, order=order, group=group.ravel(), first=first)

    def __len__(self) -> int:
        return self.time.shape[0]

    @property
    def shape(self) -> tuple[int]:
        return (len(self),)

    def __getitem__(self, index) -> CoxTarget:
        """Rows of the target (for cross-validation splits), sorted again."""
        return CoxTarget.from_arrays(self.time[index], self.event[index])


def as_survival_target(y) -> tuple[np.ndarray, np.ndarray]:
    """Times and event indicators from the accepted survival target formats.

    Parameters
    ----------
    y : array-like of shape (n, 2), or structured array, or CoxTarget
        Either a 2-column array ``(time, event)`` with ``event`` in {0, 1} (or bool), or a
        scikit-survival structured array with one boolean field (the event) and one
        numeric field (the time), in either order.

    Returns
    -------
    time : ndarray of float, shape (n,)
    event : ndarray of bool, shape (n,)
    """
    if isinstance(y, CoxTarget):
        return y.time, y.event
    arr = np.asarray(y)
    if arr.dtype.names is not None:
        time, event = _from_structured(arr)
    else:
        if arr.ndim != 2 or arr.shape[1] != 2:
            raise ValueError(
                f"A survival target must be a 2-column array (time, event) or a "
                f"scikit-survival structured array; got an array of shape {arr.shape}. "
                "Stack them with np.column_stack([time, event])."
            )
        if not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool):
            raise ValueError(
                f"The survival target must be numeric; got dtype {arr.dtype}. Pass times "
                "as floats and events as 0/1."
            )
        time = arr[:, 0].astype(float)
        raw_event = arr[:, 1].astype(float)
        if not np.all(np.isin(raw_event, (0.0, 1.0))):
            bad = np.unique(raw_event[~np.isin(raw_event, (0.0, 1.0))])[:5]
            raise ValueError(
                f"The event column (second column) must be binary 0/1 (1 = event observed, "
                f"0 = censored); found values such as {bad.tolist()}."
            )
        event = raw_event == 1.0
    if not np.all(np.isfinite(time)):
        raise ValueError(
            "Survival times must be finite; found NaN or infinity. Drop or impute those rows."
        )
    if np.any(time < 0):
        raise ValueError(
            f"Survival times must be non-negative; found {int(np.sum(time < 0))} negative "
            "time(s). Check that the first column holds times (not, e.g., log-times)."
        )
    if not np.any(event):
        raise ValueError(
            "The survival target has no events (all observations censored): the Cox "
            "partial likelihood is constant. Check the event column (1 = event observed)."
        )
    return time, event


def _from_structured(arr: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    fields = arr.dtype.names
    bool_fields = [f for f in fields if arr.dtype[f].kind == "b"]
    num_fields = [f for f in fields if arr.dtype[f].kind in "fiu"]
    if len(fields) != 2 or len(bool_fields) != 1 or len(num_fields) != 1:
        raise ValueError(
            "A structured survival target needs exactly two fields: one boolean (the "
            f"event) and one numeric (the time), as scikit-survival's Surv.from_arrays "
            f"makes; got fields {[(f, str(arr.dtype[f])) for f in fields]}."
        )
    arr = arr.ravel()
    return arr[num_fields[0]].astype(float), arr[bool_fields[0]].astype(bool)


# ---------------------------------------------------------------------- the datafit


@register_datafit
class Cox(Datafit):
    """Negative log partial likelihood of the Cox model (Breslow or Efron ties).

    The interface of the generic proximal-Newton solver: ``value``, ``gradient`` and
    ``hessian_diagonal`` are functions of the linear predictor ``η = Xβ (+ offset)`` and
    of the sample weights ``h`` (``Σh = 1``). The partial likelihood is invariant to
    shifting η, so the model has no intercept.

    Parameters
    ----------
    ties : {"breslow", "efron"}, default="breslow"
        How tied event times are handled. "breslow" is R glmnet's (glmnet 4.1 has no
        choice); "efron" is ``survival::coxph``'s default.

    Notes
    -----
    An instance keeps the sorted ``η`` and the risk-set sums of the last ``η`` it saw
    (a solver asks for ``F``, ``∇F`` and the Hessian diagonal at the same point), so
    use one instance per problem and per thread.
    """

    name = "cox"
    has_intercept = False
    structured_target = True
    #: ``F(η + c) = F(η)``: the solver may centre ``X``'s columns (glmnet does).
    shift_invariant = True

    def __init__(self, ties: str = "breslow"):
        if ties not in TIES:
            raise ValueError(f"ties must be one of {TIES}; got {ties!r}.")
        self.ties = ties
        # The solver asks for F, ∇F and diag ∇²F at the same η several times per Newton
        # step: the sorted η and the risk-set sums of the last η are kept (see _cache_for).
        # One instance per problem: the cache is not shared safely between threads.
        self._cache: tuple | None = None

    # -- target ------------------------------------------------------------------

    def check_target(self, y) -> CoxTarget:
        """Validate a survival target and sort it once (see :func:`as_survival_target`)."""
        if isinstance(y, CoxTarget):
            return y
        return CoxTarget.from_arrays(*as_survival_target(y))

    # -- the datafit -------------------------------------------------------------

    def value(self, y, eta: np.ndarray, h: np.ndarray) -> float:
        """``F(η)`` as in the module docstring."""
        return self._evaluate(y, eta, h, order=0)

    def gradient(self, y, eta: np.ndarray, h: np.ndarray) -> np.ndarray:
        """``∂F/∂η_j = −δ_j h_j + h_j e^{η_j} Σ_{k: t_k ≤ t_j} H_k / S_k`` (Breslow)."""
        return self._evaluate(y, eta, h, order=1)

    def hessian_diagonal(self, y, eta: np.ndarray, h: np.ndarray) -> np.ndarray:
        """``∂²F/∂η_j²``; for Breslow ``a_j Σ_k H_k/S_k − a_j² Σ_k H_k/S_k²`` with
        ``a_j = h_j e^{η_j}`` and k over event times with ``t_k ≤ t_j`` (glmnet's IRLS
        weights). Non-negative (rounding below 0 is clipped)."""
        return self._evaluate(y, eta, h, order=2)

    @staticmethod
    def inverse_link(eta: np.ndarray) -> np.ndarray:
        """Relative risk ``e^η``."""
        return np.exp(eta)

    @staticmethod
    def null_eta(y, h: np.ndarray, offset) -> float:
        """No intercept: the null model is ``η = offset``."""
        return 0.0

    @staticmethod
    def conjugate(y, theta: np.ndarray, h: np.ndarray) -> None:
        """No closed-form dual: the solver stops on the KKT conditions instead."""
        return None

    # -- the computation -----------------------------------------------------------

    def _cache_for(self, target, eta, h) -> dict:
        """The results kept for ``(target, η, h)``: reused while the same ``η`` (by value)
        is asked for again, replaced otherwise."""
        cache = self._cache
        if (
            cache is not None
            and cache[0] is target
            and np.array_equal(cache[2], eta)
            and np.array_equal(cache[1], h)
        ):
            return cache[3]
        results: dict = {}
        self._cache = (target, h.copy(), eta.copy(), results)
        return results

    def _evaluate(self, y, eta, h, order: int):
        target = self.check_target(y)
        eta = np.asarray(eta, dtype=float)
        h = np.asarray(h, dtype=float)
        n = len(target)
        if eta.shape != (n,) or h.shape != (n,):
            raise ValueError(
                f"eta and h must have shape ({n},) like the target; got {eta.shape} and {h.shape}."
            )
        cache = self._cache_for(target, eta, h)
        if order not in cache:
            if "sorted" not in cache:
                srt = target.order
                eta_s, h_s = eta[srt], h[srt]
                ev_s = target.event[srt] & (h_s > 0)
                positive = eta_s[h_s > 0]
                linear = positive.max() - positive.min() < _LINEAR_SPREAD
                cache["sorted"] = (eta_s, h_s, ev_s, linear)
            eta_s, h_s, ev_s, linear = cache["sorted"]
            if linear:
                cache[order] = self._linear(target, eta_s, h_s, ev_s, order, cache)
            else:
                cache[order] = self._logspace(target, eta_s, h_s, ev_s, order)
        result = cache[order]
        return result if order == 0 else result.copy()  # callers own what they get

    def _linear(self, target, eta_s, h_s, ev_s, order, cache):
        """Sums of ``h e^{η − max η}``: exact enough while the spread of η is moderate."""
        srt, g = target.order, target.group
        m = target.first.shape[0]
        if "linear" not in cache:
            shift = float(np.max(eta_s))  # e^{η − shift} ≤ 1: no overflow
            a = h_s * np.exp(eta_s - shift)
            # S_k = Σ_{t_j ≥ t_k} a_j: reverse cumulative sum read at each time's first sample
            risk = np.cumsum(a[::-1])[::-1][target.first]
            ev_h = np.where(ev_s, h_s, 0.0)
            hd = np.bincount(g, weights=ev_h, minlength=m)  # H_k
            linear = float(np.dot(ev_h, eta_s))  # Σ_events h_i η_i
            cache["linear"] = (shift, a, risk, ev_h, hd, linear)
        shift, a, risk, ev_h, hd, linear = cache["linear"]

        if self.ties == "breslow":
            k = np.flatnonzero(hd > 0)
            if order == 0:
                return float(-linear + np.dot(hd[k], np.log(risk[k]) + shift))
            if "part1" not in cache:
                first = np.zeros(m)
                first[k] = hd[k] / risk[k]
                cache["part1"] = a * np.cumsum(first)[g]  # a_j Σ_{t_k ≤ t_j} H_k / S_k
            part1 = cache["part1"]
            if order == 1:
                return _unsort(part1 - ev_h, srt)
            second = np.zeros(m)
            second[k] = hd[k] / risk[k] ** 2
            # each event time adds (a/S)(1 − a/S) ≥ 0: clip the rounding of the difference
            return _unsort(np.maximum(part1 - a**2 * np.cumsum(second)[g], 0.0), srt)

        # Efron: one term per (event time k, r = 0 … d_k − 1)
        dk = np.bincount(g, weights=ev_s.astype(float), minlength=m).astype(int)
        tk = np.bincount(g, weights=np.where(ev_s, a, 0.0), minlength=m)  # T_k
        k = np.flatnonzero(dk > 0)
        kk = np.repeat(k, dk[k])
        starts = np.repeat(np.cumsum(dk[k]) - dk[k], dk[k])
        frac = (np.arange(kk.size) - starts) / dk[kk]  # r / d_k
        mean_w = hd[kk] / dk[kk]  # H_k / d_k
        den = risk[kk] - frac * tk[kk]
        if order == 0:
            return float(-linear + np.dot(mean_w, np.log(den) + shift))
        A = np.bincount(kk, weights=mean_w / den, minlength=m)
        B = np.bincount(kk, weights=mean_w * frac / den, minlength=m)
        # an event at t_k leaves the Efron denominators of its own time with weight r/d_k
        part1 = a * (np.cumsum(A)[g] - np.where(ev_s, B[g], 0.0))
        if order == 1:
            return _unsort(part1 - ev_h, srt)
        den2 = den**2
        A2 = np.bincount(kk, weights=mean_w / den2, minlength=m)
        B2 = np.bincount(kk, weights=mean_w * frac / den2, minlength=m)
        C2 = np.bincount(kk, weights=mean_w * frac**2 / den2, minlength=m)
        second = np.cumsum(A2)[g] - np.where(ev_s, 2.0 * B2[g] - C2[g], 0.0)
        return _unsort(np.maximum(part1 - a**2 * second, 0.0), srt)

    def _logspace(self, target, eta_s, h_s, ev_s, order):
        """The same sums in logs, for η spreads where ``e^{η − max η}`` underflows."""
        srt, g = target.order, target.group
        m = target.first.shape[0]
        # Everything in logs: with e^η spanning more than ~700 orders of magnitude (trial
        # steps of a solver) plain sums would underflow and give log S = −inf.
        with np.errstate(divide="ignore"):
            log_a = np.log(h_s) + eta_s  # log(h_j e^{η_j}); −inf for zero weights
        # log S_k, S_k = Σ_{t_j ≥ t_k} h_j e^{η_j}: reverse cumulative log-sum-exp
        log_risk = np.logaddexp.accumulate(log_a[::-1])[::-1][target.first]
        ev_idx = np.flatnonzero(ev_s)
        ev_group = g[ev_idx]
        seg = np.flatnonzero(np.r_[True, np.diff(ev_group) > 0])  # first event of each time
        k = ev_group[seg]  # the distinct times with events
        hk = np.add.reduceat(h_s[ev_idx], seg)  # H_k
        log_hk = np.log(hk)
        linear = float(np.dot(h_s[ev_idx], eta_s[ev_idx]))  # Σ_events h_i η_i
        ev_h = np.where(ev_s, h_s, 0.0)

        if self.ties == "breslow":
            if order == 0:
                return float(-linear + np.dot(hk, log_risk[k]))
            log_c1 = _cumulative_at(log_hk - log_risk[k], k, m)[g]  # log Σ_{t_k≤t_j} H_k/S_k
            part1 = np.exp(log_a + log_c1)
            if order == 1:
                return _unsort(part1 - ev_h, srt)
            log_c2 = _cumulative_at(log_hk - 2.0 * log_risk[k], k, m)[g]
            # each event time adds (a/S)(1 − a/S) ≥ 0: clip the rounding of the difference
            return _unsort(np.maximum(part1 - np.exp(2.0 * log_a + log_c2), 0.0), srt)

        # Efron: one term per (event time k, r = 0 … d_k − 1), c_r = r / d_k
        dk = np.diff(np.r_[seg, ev_idx.size])  # number of events at each t_k
        log_tk = _segment_logsumexp(log_a[ev_idx], seg)  # log T_k
        pair = np.repeat(np.arange(k.size), dk)  # index into k of each term
        pair_start = np.repeat(np.cumsum(dk) - dk, dk)
        frac = (np.arange(pair.size) - pair_start) / dk[pair]
        log_m = log_hk[pair] - np.log(dk[pair])  # log(H_k / d_k)
        ratio = np.exp(log_tk[pair] - log_risk[k][pair])  # T_k / S_k ≤ 1
        log_den = log_risk[k][pair] + np.log1p(-frac * ratio)
        if order == 0:
            return float(-linear + np.dot(np.exp(log_m), log_den))
        pair_seg = np.r_[0, np.cumsum(dk)[:-1]]
        with np.errstate(divide="ignore"):
            log_frac = np.log(frac)  # −inf for r = 0
        log_A = _segment_logsumexp(log_m - log_den, pair_seg)
        log_B = _segment_logsumexp(log_m + log_frac - log_den, pair_seg)
        own_b = np.full(m, -np.inf)
        own_b[k] = log_B
        part1 = np.exp(log_a + _cumulative_at(log_A, k, m)[g])
        # an event at t_k leaves the Efron denominators of its own time with weight r/d_k
        part1 -= np.where(ev_s, np.exp(log_a + own_b[g]), 0.0)
        if order == 1:
            return _unsort(part1 - ev_h, srt)
        log_A2 = _segment_logsumexp(log_m - 2.0 * log_den, pair_seg)
        log_B2 = _segment_logsumexp(log_m + log_frac - 2.0 * log_den, pair_seg)
        log_C2 = _segment_logsumexp(log_m + 2.0 * log_frac - 2.0 * log_den, pair_seg)
        own_b2, own_c2 = np.full(m, -np.inf), np.full(m, -np.inf)
        own_b2[k], own_c2[k] = log_B2, log_C2
        log_a2 = 2.0 * log_a
        part2 = np.exp(log_a2 + _cumulative_at(log_A2, k, m)[g])
        part2 -= np.where(ev_s, 2.0 * np.exp(log_a2 + own_b2[g]) - np.exp(log_a2 + own_c2[g]), 0.0)
        return _unsort(np.maximum(part1 - part2, 0.0), srt)


def _cumulative_at(log_values: np.ndarray, k: np.ndarray, m: int) -> np.ndarray:
    """``log Σ_{k' ≤ k} e^{v_k'}`` for every distinct time 0 … m−1 (values placed at k)."""
    full = np.full(m, -np.inf)
    full[k] = log_values
    return np.logaddexp.accumulate(full)


def _segment_logsumexp(values: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """``log Σ e^v`` over consecutive segments beginning at ``starts``."""
    top = np.maximum.reduceat(values, starts)
    top = np.where(np.isfinite(top), top, 0.0)
    lengths = np.diff(np.r_[starts, values.size])
    with np.errstate(divide="ignore"):
        return top + np.log(np.add.reduceat(np.exp(values - np.repeat(top, lengths)), starts))


def _unsort(values_sorted: np.ndarray, order: np.ndarray) -> np.ndarray:
    out = np.empty_like(values_sorted)
    out[order] = values_sorted
    return out


def coxnet_deviance(y, eta, weights=None, ties: str = "breslow") -> float:
    """R glmnet's ``coxnet.deviance`` (default ``std.weights=TRUE``), for CV and dev.ratio.

    ``2·n·(F(η) − Σ_k H_k log H_k)`` with ``h = w/Σw`` and ``H_k`` the summed ``h`` of the
    deaths at the k-th distinct event time: twice the gap between the saturated and the
    fitted log partial likelihood with the weights rescaled to sum to n. glmnet's
    ``dev.ratio`` is ``1 − deviance/null deviance`` (``η = offset`` for the null).
    """
    cox = Cox(ties)
    target = cox.check_target(y)
    n = len(target)
    w = np.ones(n) if weights is None else np.asarray(weights, dtype=float)
    h = w / w.sum()
    ev = target.event & (h > 0)
    _, inverse = np.unique(target.time[ev], return_inverse=True)
    big_h = np.bincount(inverse.ravel(), weights=h[ev])
    saturated = float(np.dot(big_h, np.log(big_h)))
    return 2.0 * n * (cox.value(target, np.asarray(eta, dtype=float), h) - saturated)


# ---------------------------------------------------------------------- survival


def breslow_baseline(time, event, eta, weights=None) -> tuple[np.ndarray, np.ndarray]:
    """Breslow's estimator of the baseline cumulative hazard.

    .. math::

        \\hat H_0(t) = \\sum_{t_k \\le t} \\frac{\\sum_{i \\in D_k} w_i}
                                              {\\sum_{j \\in R_k} w_j e^{\\eta_j}}

    Parameters
    ----------
    time, event : array-like of shape (n,)
        Observed times and event indicators (1/True = event) of the training data.
    eta : array-like of shape (n,)
        Linear predictor ``Xβ`` of the fitted model on the training data.
    weights : array-like of shape (n,), optional
        Sample weights (unit weights by default; only their ratios matter).

    Returns
    -------
    times : ndarray of shape (m,)
        The distinct event times (with positive weight), increasing.
    cumulative_hazard : ndarray of shape (m,)
        ``Ĥ₀`` at those times (a right-continuous step function).
    """
    time, event = as_survival_target(np.column_stack([time, np.asarray(event, float)]))
    eta = np.asarray(eta, dtype=float)
    w = np.ones_like(time) if weights is None else np.asarray(weights, dtype=float)
    target = CoxTarget.from_arrays(time, event)
    srt, g = target.order, target.group
    m = target.first.shape[0]
    shift = float(np.max(eta))
    a = w[srt] * np.exp(eta[srt] - shift)
    risk = np.cumsum(a[::-1])[::-1][target.first] * np.exp(shift)
    ev = event[srt] & (w[srt] > 0)
    deaths = np.bincount(g, weights=np.where(ev, w[srt], 0.0), minlength=m)
    k = np.flatnonzero(deaths > 0)
    times = time[srt][target.first][k]
    return times, np.cumsum(deaths[k] / risk[k])


def baseline_survival(times, cumulative_hazard, t) -> np.ndarray:
    """Baseline survival ``S₀(t) = exp(−Ĥ₀(t))`` from :func:`breslow_baseline`'s output.

    ``Ĥ₀`` is a right-continuous step function: 0 before the first event time.
    """
    t = np.asarray(t, dtype=float)
    idx = np.searchsorted(np.asarray(times), t, side="right")
    hazard = np.concatenate([[0.0], np.asarray(cumulative_hazard, dtype=float)])[idx]
    return np.exp(-hazard)


def cumulative_hazard_function(times, cumulative_hazard, t, eta) -> np.ndarray:
    """``H(t | x) = Ĥ₀(t)·exp(η(x))``, shape ``(len(eta), len(t))``, formed as
    ``exp(log Ĥ₀(t) + η)``: with η far from 0 (uncentred covariates) ``Ĥ₀`` is tiny
    and ``exp(η)`` huge, and neither ``exp(−Ĥ₀)`` (rounds to 1) nor ``exp(η)`` (may
    overflow) can be formed alone."""
    t = np.asarray(np.atleast_1d(t), dtype=float)
    idx = np.searchsorted(np.asarray(times), t, side="right")
    hazard = np.concatenate([[0.0], np.asarray(cumulative_hazard, dtype=float)])[idx]
    with np.errstate(divide="ignore", over="ignore"):
        return np.exp(np.log(hazard)[None, :] + np.asarray(eta, dtype=float)[:, None])


def survival_function(times, cumulative_hazard, t, eta) -> np.ndarray:
    """Survival curves ``S(t | x) = exp(−Ĥ₀(t)·exp(η(x)))``, shape ``(len(eta), len(t))``
    (:func:`cumulative_hazard_function`; not ``S₀(t)^{exp(η)}``, which loses every
    digit once ``Ĥ₀ < eps``)."""
    return np.exp(-cumulative_hazard_function(times, cumulative_hazard, t, eta))


# ---------------------------------------------------------------------- C-index


def concordance_index(time, event, risk, weights=None) -> float:
    """Harrell's concordance index, in ``O(n log n)``.

    A pair ``(i, j)`` is comparable when ``δ_i = 1`` and ``t_i < t_j``, or ``t_i = t_j``
    with ``j`` censored (a censored subject tied with an event outlived it, as in
    scikit-survival's ``concordance_index_censored`` and in glmnet's risk sets). It is
    concordant when ``risk_i > risk_j``; ties in risk count one half.

    Parameters
    ----------
    time, event : array-like of shape (n,)
        Observed times and event indicators.
    risk : array-like of shape (n,)
        Predicted risk scores (higher = earlier event), e.g. ``Xβ``.
    weights : array-like of shape (n,), optional
        Case weights: the pair ``(i, j)`` counts ``w_i w_j`` times, as in R's
        ``survival::concordance(..., weights=)`` (what ``cv.glmnet``'s ``type.measure="C"``
        uses). None counts every pair once.

    Returns
    -------
    float
        ``(concordant + ½ tied) / comparable``, each a (weighted) count of pairs.
    """
    time, event = as_survival_target(np.column_stack([time, np.asarray(event, float)]))
    risk = np.asarray(risk, dtype=float)
    if risk.shape != time.shape:
        raise ValueError(f"risk must have shape {time.shape}; got {risk.shape}.")
    if weights is None:
        # integer counts: exact, whatever n
        weight = [1] * len(time)
    else:
        w = np.asarray(weights, dtype=float)
        if w.shape != time.shape or not np.all(np.isfinite(w)) or np.any(w < 0):
            raise ValueError(
                f"weights must be finite and non-negative with shape {time.shape}; "
                f"got shape {w.shape}."
            )
        weight = w.tolist()
    _, rank = np.unique(risk, return_inverse=True)
    rank = (rank.ravel() + 1).tolist()  # Fenwick tree positions 1 … r
    size = max(rank)
    tree = [0] * (size + 1)  # Python lists: much faster than numpy for scalar access

    def prefix(pos: int) -> int:
        total = 0
        while pos > 0:
            total += tree[pos]
            pos -= pos & -pos
        return total

    def add(pos: int, amount) -> None:
        while pos <= size:
            tree[pos] += amount
            pos += pos & -pos

    # Visit subjects from the latest key (time, censored-after-event) to the earliest:
    # every subject already in the tree is comparable with an event being visited,
    # except events of the same time, which are inserted only after their block.
    key_order = np.lexsort(((~event).astype(int), time))[::-1].tolist()  # censored first
    time, event = time.tolist(), event.tolist()
    concordant = tied = comparable = 0
    inserted = 0
    i = 0
    n = len(time)
    while i < n:
        j = i
        s = key_order[i]
        # block: equal time and equal event status
        while j < n and time[key_order[j]] == time[s] and event[key_order[j]] == event[s]:
            j += 1
        block = key_order[i:j]
        if event[s]:
            for b in block:
                less = prefix(rank[b] - 1)
                leq = prefix(rank[b])
                concordant += weight[b] * less
                tied += weight[b] * (leq - less)
                comparable += weight[b] * inserted
        for b in block:
            add(rank[b], weight[b])
            inserted += weight[b]
        i = j
    if comparable == 0:
        raise ValueError(
            "No comparable pairs: the C-index is undefined (every subject "
            "censored before the first event?)."
        )
    return (concordant + 0.5 * tied) / comparable
