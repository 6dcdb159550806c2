"""Compiled pieces of the procedure's logistic path (:mod:`.logistic_gram_path`): the
logistic loss and its derivative in vectorizable arithmetic, the products with the
single-precision design, and the proximal-Newton loop along the α grid.

A step of that loop costs two ``n·p`` products (``Zδ`` for the trial point, ``Zᵀ(h d)``
for its gradient) and ``n`` exponentials and logarithms; on ``5 000 × 100`` that is
~0.2 ms, against ~0.3 ms of interpreter work around it when the loop ran in Python.
Here the whole loop is compiled and returns to Python only when the Hessian ``G``
must be formed anew (a BLAS ``syrk``, ~1 in 12 steps).

The exponential and ``log1p`` are written out as polynomials so that LLVM vectorizes
the row loop (Numba's scalar ``exp``/``log1p`` are libm calls, three times slower
than NumPy's SIMD ones): both within ~1 ulp of the libm functions (tested). Every
kernel here compiles with ``error_model="numpy"``: Python's error model puts a
zero-division branch in each division, which stops the vectorizer (5× slower loss).
"""

from __future__ import annotations

import numpy as np
from numba import types
from numba.extending import intrinsic

from .._jit import njit
from ._kernels import _FASTMATH, cd_gram
from .constants import ACTIVE_SWEEPS, ARMIJO, LINE_SEARCH_HALVINGS

#: form ``G`` anew when a step cut the KKT violation by less than this factor …
REFRESH_RATE = 0.25
#: … and more than this many steps at that rate would still be needed (a Hessian
#: costs ~5 steps' passes; near the tolerance a few slower steps are cheaper)
REFRESH_STEPS = 2.0
#: the inner coordinate descent stops when no coordinate moves the model by more than
#: ``(INNER · violation)²`` (relative to the outer violation: loose far away, tight near)
INNER = 0.05
INNER_SWEEPS = 1000
#: the product ``Zδ`` reads only the columns with ``δ_j ≠ 0`` when they are fewer
#: than ``p`` divided by this (the gathered loop is that much slower per column)
SPARSE_PRODUCT = 8

_LN2_HI = 6.93147180369123816490e-01  # fdlibm's split of log 2: k·LN2_HI is exact
_LN2_LO = 1.90821492927058770002e-10
_LOG2E = 1.4426950408889634
#: ``e^{−a}`` is below ``2⁻¹⁰²¹`` here: 0 (its share of any sum is nil)
_EXP_FLOOR = 708.0

# control slots of the path loop (an int64 array carried across calls): the α, the
# steps taken at it, whether G is usable, formed at the current point, factored
_K, _STEPS, _MODEL, _FRESH, _CHOLESKY = range(5)
# float slots: the violation before the last step, the ridge factor's l2,
# the state's intercept, F and g0
_LAST, _CHOL_L2, _B0, _F, _G0 = range(5)


@intrinsic
def _as_double(typingctx, bits):
    """The ``float64`` with the bit pattern of the ``int64`` ``bits``."""
    signature = types.float64(types.int64)

    def codegen(context, builder, sig, args):
        return builder.bitcast(args[0], context.get_value_type(types.float64))

    return signature, codegen


@njit(cache=True, nogil=True, inline="always", fastmath=_FASTMATH, error_model="numpy")
def exp_neg(a):
    """``e^{−a}`` for ``a ≥ 0``: ``a = k·log 2 − r``, ``|r| ≤ ½log 2``, ``e^{−a} =
    2^{−k}·e^{r}`` with the degree-13 Taylor polynomial of ``e^r`` (remainder
    ``< 5·10⁻¹⁸``) and ``2^{−k}`` built from its exponent bits; 0 beyond
    :data:`_EXP_FLOOR`."""
    b = min(a, _EXP_FLOOR)
    k = np.floor(b * _LOG2E + 0.5)
    r = (k * _LN2_HI - b) + k * _LN2_LO
    q = 1.0 / 6227020800.0
    q = q * r + 1.0 / 479001600.0
    q = q * r + 1.0 / 39916800.0
    q = q * r + 1.0 / 3628800.0
    q = q * r + 1.0 / 362880.0
    q = q * r + 1.0 / 40320.0
    q = q * r + 1.0 / 5040.0
    q = q * r + 1.0 / 720.0
    q = q * r + 1.0 / 120.0
    q = q * r + 1.0 / 24.0
    q = q * r + 1.0 / 6.0
    q = q * r + 0.5
    q = q * r + 1.0
    q = q * r + 1.0
    e = q * _as_double((1023 - np.int64(k)) << 52)
    return e if a < _EXP_FLOOR else 0.0


@njit(cache=True, nogil=True, inline="always", fastmath=_FASTMATH, error_model="numpy")
def log1p_unit(e):
    """``log(1 + e)`` for ``0 ≤ e ≤ 1``: ``2·atanh(s) = 2Σ s^{2t+1}/(2t + 1)`` with
    ``s = e/(2 + e) ≤ ⅓``, 19 terms (remainder ``< 10⁻¹⁸`` relative), summed as two
    interleaved Horner chains in ``s⁴`` (half the latency of one)."""
    s = e / (2.0 + e)
    u = s * s
    v = u * u
    a = 1.0 / 37.0  # even t: 1/(4t' + 1)
    b = 1.0 / 35.0  # odd t
    a = a * v + 1.0 / 33.0
    b = b * v + 1.0 / 31.0
    a = a * v + 1.0 / 29.0
    b = b * v + 1.0 / 27.0
    a = a * v + 1.0 / 25.0
    b = b * v + 1.0 / 23.0
    a = a * v + 1.0 / 21.0
    b = b * v + 1.0 / 19.0
    a = a * v + 1.0 / 17.0
    b = b * v + 1.0 / 15.0
    a = a * v + 1.0 / 13.0
    b = b * v + 1.0 / 11.0
    a = a * v + 1.0 / 9.0
    b = b * v + 1.0 / 7.0
    a = a * v + 1.0 / 5.0
    b = b * v + 1.0 / 3.0
    a = a * v + 1.0
    return 2.0 * s * (a + u * b)


@intrinsic
def _as_bits(typingctx, value):
    """The ``int64`` with the bit pattern of the ``float64`` ``value``."""
    signature = types.int64(types.float64)

    def codegen(context, builder, sig, args):
        return builder.bitcast(args[0], context.get_value_type(types.int64))

    return signature, codegen


_MANTISSA = (1 << 52) - 1
_SQRT2 = 1.4142135623730951


@njit(cache=True, nogil=True, inline="always", fastmath=_FASTMATH, error_model="numpy")
def log_positive(x):
    """``log x`` for a normal ``x > 0``: ``x = 2^k·m`` with ``m ∈ [√½, √2)`` read from
    the bits, ``log x = k·log 2 + log(1 + (m − 1))`` by :func:`log1p_unit`'s series
    (``|s| = |m − 1|/(m + 1) ≤ 0.172``, inside its ``s ≤ ⅓``; ``m − 1`` is exact).
    Within 3 ulp of libm's (tested); vectorizable, unlike libm's ``log`` (the duality
    gap's entropy terms)."""
    bits = _as_bits(x)
    k = (bits >> 52) - 1023
    m = _as_double((bits & _MANTISSA) | (np.int64(1023) << 52))  # in [1, 2)
    if m > _SQRT2:
        m *= 0.5
        k += 1
    kf = np.float64(k)
    return kf * _LN2_HI + (log1p_unit(m - 1.0) + kf * _LN2_LO)


@njit(cache=True, nogil=True, fastmath=_FASTMATH, error_model="numpy")
def evaluate(y, h, eta, d):
    """``F = Σ h (log(1 + e^η) − yη)``, and ``d = σ(η) − y`` in place, from one
    ``e^{−|η|}`` (no overflow at any ``η``)."""
    F = 0.0
    for i in range(eta.shape[0]):
        x = eta[i]
        e = exp_neg(abs(x))
        F += h[i] * (max(x, 0.0) + log1p_unit(e) - y[i] * x)
        d[i] = (1.0 if x >= 0.0 else e) / (1.0 + e) - y[i]
    return F


@njit(cache=True, nogil=True, fastmath=_FASTMATH, error_model="numpy")
def product(Zr, delta, delta0, out):
    """``out = Z δ + δ_0`` (rows of ``Zr``, single or double; products and sums in
    double). Early on a lasso path ``δ`` has few non-zeros: only those are read."""
    n, p = Zr.shape
    moved = np.empty(p, dtype=np.int64)
    n_moved = 0
    for j in range(p):
        if delta[j] != 0.0:
            moved[n_moved] = j
            n_moved += 1
    if n_moved * SPARSE_PRODUCT < p:
        for i in range(n):
            total = 0.0
            for k in range(n_moved):
                total += np.float64(Zr[i, moved[k]]) * delta[moved[k]]
            out[i] = total + delta0
        return
    for i in range(n):
        total = 0.0
        for j in range(p):
            total += np.float64(Zr[i, j]) * delta[j]
        out[i] = total + delta0


@njit(cache=True, nogil=True, fastmath=_FASTMATH, error_model="numpy")
def t_product(Zr, r, out):
    """``out = −Zᵀ r`` (double accumulation over the rows of ``Zr``)."""
    n, p = Zr.shape
    acc = np.zeros(p)
    for i in range(n):
        c = r[i]
        for j in range(p):
            acc[j] += np.float64(Zr[i, j]) * c
    for j in range(p):
        out[j] = -acc[j]


@njit(cache=True, nogil=True, fastmath=_FASTMATH, error_model="numpy")
def trial(Zr, y, h, eta, direction, delta, delta0, first, step, eta_t, d_t, hd, g_t):
    """The point ``η_t = η + step·(Zδ + δ_0)``: returns ``(F, g_0)`` there and fills
    ``η_t``, ``d_t = σ(η_t) − y``, ``hd = h d_t`` and ``g_t = −Zᵀ(h d_t)``
    (``g_0 = −Σ h d_t``).

    ``direction`` holds ``Zδ + δ_0``: computed when ``first``, then reused by the
    shorter trials of a line search. Three passes (product, loss, gradient): fusing
    them row by row measured slower — each is bound by arithmetic (the conversions of
    ``Z̃``'s singles), not by memory, and the separate loops vectorize best.
    """
    if first:
        product(Zr, delta, delta0, direction)
    F, g0 = 0.0, 0.0
    for i in range(eta.shape[0]):
        x = eta[i] + step * direction[i]
        eta_t[i] = x
        e = exp_neg(abs(x))
        F += h[i] * (max(x, 0.0) + log1p_unit(e) - y[i] * x)
        di = (1.0 if x >= 0.0 else e) / (1.0 + e) - y[i]
        d_t[i] = di
        hd[i] = h[i] * di
        g0 -= hd[i]
    t_product(Zr, hd, g_t)
    return F, g0


@njit(cache=True, nogil=True, fastmath=_FASTMATH, error_model="numpy")
def scaled_rows(Zr, v, A, m):
    """``A = diag(√v) Z`` (in ``A``'s precision) and ``m = Zᵀv`` (double), one pass."""
    n, p = Zr.shape
    m[:] = 0.0
    for i in range(n):
        vi = v[i]
        root = np.sqrt(vi)
        for j in range(p):
            z = np.float64(Zr[i, j])
            A[i, j] = z * root
            m[j] += z * vi


@njit(cache=True, nogil=True, inline="always", fastmath=_FASTMATH, error_model="numpy")
def _penalty(b, l1, l2):
    total1, total2 = 0.0, 0.0
    for j in range(b.shape[0]):
        total1 += abs(b[j])
        total2 += b[j] * b[j]
    return l1 * total1 + 0.5 * l2 * total2


@njit(cache=True, nogil=True, fastmath=_FASTMATH, error_model="numpy")
def worst_violation(g, g0, b, l1, l2):
    """``max(|g_0|, max_j dist(g_j, ∂pen(b_j)))``: ``g`` is ``−∇F``."""
    worst = abs(g0)
    for j in range(b.shape[0]):
        target = g[j] - l2 * b[j]
        if b[j] == 0.0:
            v = abs(target) - l1
        elif b[j] > 0.0:
            v = abs(target - l1)
        else:
            v = abs(target + l1)
        worst = max(worst, v)
    return worst


@njit(cache=True, nogil=True, error_model="numpy")
def _ridge_step(G, l2, chol, ctl, flt, rhs, out):
    """``(G + l2 I)⁻¹ rhs`` through a Cholesky factor kept while ``G`` and ``l2`` are."""
    p = rhs.shape[0]
    if ctl[_CHOLESKY] == 0 or flt[_CHOL_L2] != l2:
        # G is positive semi-definite, but it is formed in single precision: with nearly
        # collinear columns and a tiny l2 (the unpenalized fit) rounding can leave it a
        # little indefinite. A nudge of the diagonal only changes the step (the line
        # search and the KKT test are exact), so the answer is the same.
        top = 0.0
        for i in range(p):
            top = max(top, abs(G[i, i]))
        top = max(top, 1e-300)
        jitter = 0.0
        for _ in range(12):
            try:
                chol[:, :] = np.linalg.cholesky(G + (l2 + jitter) * np.eye(p))
                break
            except Exception:  # not positive definite
                jitter = 1e-9 * top if jitter == 0.0 else 10.0 * jitter
        ctl[_CHOLESKY], flt[_CHOL_L2] = 1, l2
    for i in range(p):  # L z = rhs
        total = rhs[i]
        for j in range(i):
            total -= chol[i, j] * out[j]
        out[i] = total / chol[i, i]
    for i in range(p - 1, -1, -1):  # Lᵀ x = z
        total = out[i]
        for j in range(i + 1, p):
            total -= chol[j, i] * out[j]
        out[i] = total / chol[i, i]


@njit(cache=True, nogil=True, error_model="numpy")
def run_path(
    Zr, y, h, alphas, ratio, tol_abs, max_iter,
    G, diag, m, V,
    coef, eta, d, g, ctl, flt,
    coefs, intercepts, converged, n_steps,
):  # fmt: skip
    """Advance the path from ``ctl[_K]`` until it ends (returns 0) or needs ``G``
    formed at the current point (returns 1: the caller forms it, sets ``ctl[_MODEL]``
    and ``ctl[_FRESH]``, clears ``ctl[_CHOLESKY]`` and calls again, which resumes
    where it stopped).

    The state — ``coef``, ``eta``, ``d``, ``g`` and ``flt[_B0, _F, _G0]`` — is updated
    in place. Each α: while the KKT violation exceeds ``tol_abs``, one proximal
    Newton step on the model ``G`` (coordinate descent, or a Cholesky solve for
    ridge), then an Armijo backtracking line search. ``G`` is formed anew when the
    last step cut the violation by less than :data:`REFRESH_RATE` with more than
    :data:`REFRESH_STEPS` such steps to go, or after a shortened step.
    """
    n, p = Zr.shape
    direction, eta_t, d_t, hd = np.empty(n), np.empty(n), np.empty(n), np.empty(n)
    g_t, new, gradient, delta = np.empty(p), np.empty(p), np.empty(p), np.empty(p)
    coef_t, reduced = np.empty(p), np.empty(p)
    l1v, l2v = np.empty(p), np.empty(p)
    lower, upper = np.full(p, -np.inf), np.full(p, np.inf)
    features = np.arange(p)
    chol = np.empty((p, p))
    ctl[_CHOLESKY] = 0
    m_alphas = alphas.shape[0]
    while ctl[_K] < m_alphas:
        k = ctl[_K]
        alpha = alphas[k]
        l1, l2 = alpha * ratio, alpha * (1.0 - ratio)
        steps, last = ctl[_STEPS], flt[_LAST]
        while True:
            worst = worst_violation(g, flt[_G0], coef, l1, l2)
            if worst <= tol_abs or steps >= max_iter:
                break
            stale = worst > REFRESH_RATE * last
            if stale and worst < last:
                # linear convergence at the last rate: the steps still to go
                stale = np.log(tol_abs / worst) / np.log(worst / last) > REFRESH_STEPS
            if (ctl[_MODEL] == 0 or stale) and ctl[_FRESH] == 0:
                ctl[_STEPS], flt[_LAST] = steps, last
                return 1
            last = worst
            g0 = flt[_G0]
            for j in range(p):
                reduced[j] = g[j] - m[j] * g0
            # the step δ on the model (intercept profiled out), then δ_0
            if l1 == 0.0:
                for j in range(p):
                    gradient[j] = reduced[j] - l2 * coef[j]
                _ridge_step(G, l2, chol, ctl, flt, gradient, delta)
            else:
                new[:] = coef
                gradient[:] = reduced  # q − Gβ' at β' = β
                l1v[:], l2v[:] = l1, l2
                threshold = (INNER * worst) ** 2
                for _ in range(INNER_SWEEPS):
                    change, _ = cd_gram(
                        G, gradient, new, diag, l1v, l2v, lower, upper, features,
                        ACTIVE_SWEEPS, threshold,
                    )  # fmt: skip
                    if change <= threshold:
                        break
                for j in range(p):
                    delta[j] = new[j] - coef[j]
            md = 0.0
            for j in range(p):
                md += m[j] * delta[j]
            delta0 = g0 / V - md
            # Armijo backtracking with the proximal-Newton decrement
            old_penalty = _penalty(coef, l1, l2)
            old = flt[_F] + old_penalty
            gd = 0.0
            for j in range(p):
                gd += g[j] * delta[j]
                coef_t[j] = coef[j] + delta[j]
            decrement = (-gd - g0 * delta0 + _penalty(coef_t, l1, l2)) - old_penalty
            step = 1.0
            taken = 0.0
            for halving in range(LINE_SEARCH_HALVINGS):
                for j in range(p):
                    coef_t[j] = coef[j] + step * delta[j]
                F_t, g0_t = trial(
                    Zr, y, h, eta, direction, delta, delta0, halving == 0, step, eta_t, d_t, hd,
                    g_t,
                )  # fmt: skip
                if F_t + _penalty(coef_t, l1, l2) <= old + ARMIJO * step * min(
                    decrement, 0.0
                ) + 1e-15 * abs(old):
                    coef[:] = coef_t
                    eta[:] = eta_t
                    d[:] = d_t
                    g[:] = g_t
                    flt[_B0] += step * delta0
                    flt[_F], flt[_G0] = F_t, g0_t
                    taken = step
                    break
                step *= 0.5
            steps += 1
            if taken == 0.0:
                if ctl[_FRESH] == 1:
                    break  # no descent even on a fresh model: rounding, stop here
                ctl[_MODEL], last = 0, np.inf
                continue
            ctl[_FRESH] = 0
            if taken < 1.0:
                ctl[_MODEL] = 0  # the model was far off: form it anew
        coefs[:, k] = coef
        intercepts[k] = flt[_B0]
        converged[k] = worst <= tol_abs
        n_steps[k] = steps
        ctl[_K], ctl[_STEPS], flt[_LAST] = k + 1, 0, np.inf
    return 0
