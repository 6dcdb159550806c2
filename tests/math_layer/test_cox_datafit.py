"""The Cox datafit against finite differences, brute force, and R (glmnet, survival).

References in ``tests/reference/glmnet/cox.json`` (``scripts/glmnet_reference.R``):
glmnet 4.1's ``family="cox"`` (Breslow ties) fits and ``coxnet.deviance``, and
``survival::coxph`` log partial likelihoods and ridge fits for Efron and Breslow ties.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from scipy.optimize import minimize
from scipy.special import logsumexp

from shrinkage.datafits import cox as datafits_cox
from shrinkage.datafits.cox import (
    Cox,
    CoxTarget,
    baseline_survival,
    breslow_baseline,
    concordance_index,
    coxnet_deviance,
    survival_function,
)

REFERENCE = Path(__file__).parents[1] / "reference" / "glmnet"


def load(name: str) -> dict:
    with open(REFERENCE / f"{name}.json") as f:
        return json.load(f)


def load_data(name: str) -> tuple[np.ndarray, np.ndarray]:
    d = load(f"data_{name}")
    return np.asarray(d["x"], dtype=float), np.asarray(d["y"], dtype=float)


COX = load("cox")


@pytest.fixture(params=["linear", "log"])
def path(request, monkeypatch):
    """Run a test through both computations: sums of h·e^{η − max η} (the default for
    moderate η) and the log-space one (used for extreme η spreads)."""
    if request.param == "log":
        monkeypatch.setattr(datafits_cox, "_LINEAR_SPREAD", -1.0)
    return request.param


def tied_problem(seed: int = 0, n: int = 40):
    """Small data with many tied times (events with events and with censored)."""
    rng = np.random.default_rng(seed)
    time = rng.integers(1, 8, size=n).astype(float)
    event = rng.random(n) < 0.7
    event[0] = True
    eta = rng.normal(scale=0.8, size=n)
    w = rng.uniform(0.2, 2.0, size=n)
    return np.column_stack([time, event]), eta, w / w.sum()


# ------------------------------------------------------------------ brute force


def brute_force_value(y, eta, h, ties):
    """The negative log partial likelihood straight from its definition, O(n²)
    (risk-set sums through scipy's logsumexp, so extreme η stay finite)."""
    time, event = y[:, 0], y[:, 1] == 1
    total = 0.0
    for t in np.unique(time[event]):
        dead = event & (time == t) & (h > 0)
        at_risk = time >= t
        log_s = logsumexp(eta[at_risk], b=h[at_risk])
        big_h = np.sum(h[dead])
        total += np.sum(h[dead] * eta[dead])
        if ties == "breslow":
            total -= big_h * log_s
        else:
            d = int(dead.sum())
            ratio = np.exp(logsumexp(eta[dead], b=h[dead]) - log_s)  # T_k / S_k
            for r in range(d):
                total -= big_h / d * (log_s + np.log1p(-r / d * ratio))
    return -total


def brute_force_cindex(time, event, risk):
    """Harrell's C over all pairs: i an event and (t_i < t_j, or t_i = t_j, j censored)."""
    num = den = 0.0
    for i in range(len(time)):
        if not event[i]:
            continue
        for j in range(len(time)):
            if time[i] < time[j] or (time[i] == time[j] and not event[j]):
                den += 1
                num += 1.0 if risk[i] > risk[j] else 0.5 if risk[i] == risk[j] else 0.0
    return num / den


# ------------------------------------------------------------------ input checks


def test_ties_must_be_known():
    with pytest.raises(ValueError, match="ties must be one of"):
        Cox(ties="exact")


@pytest.mark.parametrize(
    "y, message",
    [
        (np.array([[1.0, 1], [-2.0, 0]]), "non-negative"),
        (np.array([[1.0, 1], [2.0, 2]]), "binary 0/1"),
        (np.array([[1.0, 0], [2.0, 0]]), "no events"),
        (np.array([1.0, 2.0]), "2-column"),
        (np.array([[1.0, 1], [np.nan, 0]]), "finite"),
    ],
)
def test_bad_targets_are_refused_with_a_fix(y, message):
    with pytest.raises(ValueError, match=message):
        Cox().check_target(y)


def test_structured_target_equals_two_columns():
    y, eta, h = tied_problem()
    for names in (("event", "time"), ("time", "event")):
        dtype = [(n, "?" if n == "event" else "<f8") for n in names]
        structured = np.empty(len(y), dtype=dtype)
        structured["time"], structured["event"] = y[:, 0], y[:, 1] == 1
        for ties in ("breslow", "efron"):
            cox = Cox(ties)
            assert cox.value(cox.check_target(structured), eta, h) == cox.value(y, eta, h)
    bad = np.empty(3, dtype=[("a", "<f8"), ("b", "<f8")])
    with pytest.raises(ValueError, match="one boolean"):
        Cox().check_target(bad)


def test_target_rows_are_resorted():
    y, eta, h = tied_problem()
    idx = np.arange(0, len(y), 3)
    target = Cox().check_target(y)
    assert isinstance(target, CoxTarget) and len(target) == len(y)
    sub = target[idx]
    assert Cox().value(sub, eta[idx], h[idx]) == pytest.approx(
        brute_force_value(y[idx], eta[idx], h[idx], "breslow"), rel=1e-13
    )


# ------------------------------------------------------------------ value and derivatives


@pytest.mark.parametrize("ties", ["breslow", "efron"])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_value_equals_brute_force(ties, seed, path):
    y, eta, h = tied_problem(seed)
    h[3] = 0.0  # a zero weight
    assert Cox(ties).value(y, eta, h) == pytest.approx(
        brute_force_value(y, eta, h, ties), rel=1e-13
    )


def test_value_is_shift_invariant_and_safe_for_large_eta():
    y, eta, h = tied_problem()
    cox = Cox("efron")
    assert cox.value(y, eta + 800.0, h) == pytest.approx(cox.value(y, eta, h), rel=1e-12)


@pytest.mark.parametrize("ties", ["breslow", "efron"])
def test_extreme_eta_spread_stays_finite(ties):
    """e^η spanning ~1e1300 (a solver's trial step): no underflow to log 0 = −inf."""
    y, eta, h = tied_problem(4)
    eta = eta * 600.0
    cox = Cox(ties)
    value = cox.value(y, eta, h)
    assert np.isfinite(value)
    assert value == pytest.approx(brute_force_value(y, eta, h, ties), rel=1e-12)
    grad = cox.gradient(y, eta, h)
    hess = cox.hessian_diagonal(y, eta, h)
    assert np.all(np.isfinite(grad)) and np.all(np.isfinite(hess))
    assert abs(grad.sum()) < 1e-12
    assert np.all(hess >= 0)


@pytest.mark.parametrize("ties", ["breslow", "efron"])
def test_gradient_and_hessian_diagonal_match_finite_differences(ties, path):
    y, eta, h = tied_problem(3)
    cox = Cox(ties)
    target = cox.check_target(y)
    grad = cox.gradient(target, eta, h)
    hess = cox.hessian_diagonal(target, eta, h)
    eps = 1e-5
    fd_grad = np.empty_like(eta)
    fd_hess = np.empty_like(eta)
    for j in range(len(eta)):
        e = np.zeros_like(eta)
        e[j] = eps
        fd_grad[j] = (cox.value(target, eta + e, h) - cox.value(target, eta - e, h)) / (2 * eps)
        fd_hess[j] = (
            cox.value(target, eta + e, h)
            - 2 * cox.value(target, eta, h)
            + cox.value(target, eta - e, h)
        ) / eps**2
    np.testing.assert_allclose(grad, fd_grad, atol=1e-9)
    np.testing.assert_allclose(hess, fd_hess, atol=2e-5)
    # second check of the Hessian: central difference of the gradient (more accurate)
    fd2 = np.array(
        [
            (
                cox.gradient(target, eta + eps * np.eye(len(eta))[j], h)[j]
                - cox.gradient(target, eta - eps * np.eye(len(eta))[j], h)[j]
            )
            / (2 * eps)
            for j in range(len(eta))
        ]
    )
    np.testing.assert_allclose(hess, fd2, atol=1e-9)
    assert abs(grad.sum()) < 1e-14  # shift invariance: Σ_j ∂F/∂η_j = 0


def test_efron_equals_breslow_without_ties():
    x, y = load_data("cox")
    eta = x @ np.asarray(COX["cases"][0]["beta"][2])
    h = np.full(len(y), 1 / len(y))
    assert Cox("efron").value(y, eta, h) == pytest.approx(
        Cox("breslow").value(y, eta, h), rel=1e-14
    )


# ------------------------------------------------------------------ against R


def case_setup(case):
    x, y = load_data(case["data"])
    n = len(y)
    args = case["glmnet_args"]
    w = np.asarray(args.get("weights", np.ones(n)), dtype=float)
    offset = np.asarray(args.get("offset", np.zeros(n)), dtype=float)
    return x, y, w / w.sum(), offset


def saturated_term(y, h):
    """``Σ_k H_k log H_k`` over distinct event times (H_k: summed weight of the deaths)."""
    time, event = y[:, 0], y[:, 1] == 1
    _, inv = np.unique(time[event], return_inverse=True)
    big_h = np.bincount(inv, weights=h[event])
    return float(np.sum(big_h * np.log(big_h)))


@pytest.mark.parametrize("name", [c["name"] for c in COX["cases"]])
def test_value_matches_coxnet_deviance(name):
    """``coxnet.deviance = 2·W·(F(η) − Σ_k H_k log H_k)`` with h = w/Σw and W the sum of
    the weights coxnet.deviance uses: n with std.weights=TRUE (its default), Σw with
    std.weights=FALSE and in the fit's ``nulldev``.

    (coxnet.deviance is ``2·(saturated − loglik)`` with the saturated log-likelihood
    ``−Σ_k d_k log d_k``, ``d_k = W·H_k``, the summed weight of the deaths at ``t_k``.)
    Without weights or ties the saturated term is ``−D·log n`` for D events.
    """
    case = next(c for c in COX["cases"] if c["name"] == name)
    x, y, h, offset = case_setup(case)
    n = len(y)
    raw_sum = float(np.sum(case["glmnet_args"].get("weights", np.ones(n))))
    cox = Cox("breslow")
    target = cox.check_target(y)
    sat = saturated_term(y, h)
    null = cox.value(target, offset, h)
    for beta, deviance, deviance_raw, ratio in zip(
        case["beta"],
        case["coxnet_deviance"],
        case["coxnet_deviance_raw_weights"],
        case["dev_ratio"],
        strict=True,
    ):
        value = cox.value(target, x @ np.asarray(beta) + offset, h)
        assert 2 * n * (value - sat) == pytest.approx(deviance, rel=1e-12)
        w = case["glmnet_args"].get("weights")
        eta = x @ np.asarray(beta) + offset
        assert coxnet_deviance(y, eta, w) == pytest.approx(deviance, rel=1e-12)
        assert 2 * raw_sum * (value - sat) == pytest.approx(deviance_raw, rel=1e-12)
        assert 1 - (value - sat) / (null - sat) == pytest.approx(ratio, rel=1e-9)
    assert 2 * n * (null - sat) == pytest.approx(case["coxnet_deviance_null"], rel=1e-12)
    assert 2 * raw_sum * (null - sat) == pytest.approx(case["nulldev"], rel=1e-10)


@pytest.mark.parametrize("ties", ["efron", "breslow"])
def test_value_matches_coxph_loglik(ties, path):
    """``F(η) = −loglik/W − (Σ_events w / W)·log W`` where coxph's loglik uses the raw
    weights w and W = Σw (h = w/W rescales the risk-set sums inside the logarithm)."""
    x, y = load_data("cox_ties")
    for ref in (r for r in COX["coxph_loglik"] if r["ties"] == ties):
        w = np.asarray(ref["weights"] if ref["weights"] is not None else np.ones(len(y)))
        big_w = w.sum()
        const = np.sum(w[y[:, 1] == 1]) / big_w * np.log(big_w)
        for beta, loglik in (
            (ref["beta"], ref["loglik"]),
            (np.zeros(x.shape[1]), ref["loglik_zero"]),
        ):
            value = Cox(ties).value(y, x @ np.asarray(beta), w / big_w)
            assert value == pytest.approx(-loglik / big_w - const, rel=1e-12)


@pytest.mark.parametrize(
    "name", [c["name"] for c in COX["cases"] if "lower.limits" not in c["glmnet_args"]]
)
def test_glmnet_coefficients_satisfy_our_kkt_conditions(name, path):
    """glmnet's cox fit at lambda minimises ``F(Xβ + offset) + λ·(α‖β‖₁ + (1−α)/2‖β‖²)``
    (with standardize=TRUE: in columns scaled by their h-weighted 1/n std)."""
    case = next(c for c in COX["cases"] if c["name"] == name)
    x, y, h, offset = case_setup(case)
    alpha = case["glmnet_args"]["alpha"]
    if case["glmnet_args"]["standardize"]:
        scale = np.sqrt(h @ (x - h @ x) ** 2)
    else:
        scale = np.ones(x.shape[1])
    cox = Cox("breslow")
    target = cox.check_target(y)
    for lam, beta in zip(case["lambda"], case["beta"], strict=True):
        beta = np.asarray(beta)
        grad = x.T @ cox.gradient(target, x @ beta + offset, h) / scale
        b = beta * scale
        g = grad + lam * (1 - alpha) * b
        viol = np.where(
            b != 0, np.abs(g + lam * alpha * np.sign(b)), np.maximum(np.abs(g) - lam * alpha, 0)
        )
        assert viol.max() < 1e-10, f"KKT violation {viol.max():.2e} at lambda={lam}"


def test_lbfgs_ridge_reaches_glmnet_alpha0():
    """End to end: minimise F(Xβ) + λ/2‖β‖² with L-BFGS; equals glmnet alpha=0 to 1e-6."""
    case = next(c for c in COX["cases"] if c["name"] == "std_false_alpha0")
    x, y, h, _ = case_setup(case)
    cox = Cox("breslow")
    target = cox.check_target(y)
    for lam, beta_r in zip(case["lambda"], case["beta"], strict=True):

        def fun(b, lam=lam):
            eta = x @ b
            return (
                cox.value(target, eta, h) + 0.5 * lam * b @ b,
                x.T @ cox.gradient(target, eta, h) + lam * b,
            )

        res = minimize(
            fun,
            np.zeros(x.shape[1]),
            jac=True,
            method="L-BFGS-B",
            options=dict(gtol=1e-13, ftol=1e-16, maxiter=10_000),
        )
        np.testing.assert_allclose(res.x, beta_r, atol=1e-6)


def test_proximal_gradient_reaches_glmnet_lasso():
    """End to end with an ℓ1 penalty: FISTA on F(Xβ) + λ‖β‖₁ equals glmnet alpha=1."""
    case = next(c for c in COX["cases"] if c["name"] == "ties_std_false_alpha1")
    x, y, h, _ = case_setup(case)
    cox = Cox("breslow")
    target = cox.check_target(y)
    # Step 1/(‖X‖₂²·max h): the curvature of F along η is about h_j e^{η_j}/S ≤ max h near
    # the solution. It is not a global Lipschitz bound, but a diverging run cannot pass the
    # comparison with R below.
    step = 1.0 / (np.linalg.norm(x, 2) ** 2 * h.max())
    for lam, beta_r in zip(case["lambda"], case["beta"], strict=True):
        beta = z = np.zeros(x.shape[1])
        t = 1.0
        for _ in range(20_000):
            grad = x.T @ cox.gradient(target, x @ z, h)
            u = z - step * grad
            new = np.sign(u) * np.maximum(np.abs(u) - step * lam, 0)
            t_new = (1 + np.sqrt(1 + 4 * t * t)) / 2
            z = new + (t - 1) / t_new * (new - beta)
            if np.max(np.abs(new - beta)) < 1e-14:
                beta = new
                break
            beta, t = new, t_new
        np.testing.assert_allclose(beta, beta_r, atol=1e-6)


@pytest.mark.parametrize("ties", ["efron", "breslow"])
def test_lbfgs_ridge_reaches_coxph(ties):
    """survival::coxph with ridge(theta, scale=FALSE) minimises −loglik + θ/2‖β‖²; ours
    with h = 1/n and λ = θ/n is the same problem divided by n."""
    x, y = load_data("cox_ties")
    n = len(y)
    h = np.full(n, 1 / n)
    cox = Cox(ties)
    target = cox.check_target(y)
    for ref in (r for r in COX["coxph_ridge"] if r["ties"] == ties):
        lam = ref["theta"] / n

        def fun(b, lam=lam):
            eta = x @ b
            return (
                cox.value(target, eta, h) + 0.5 * lam * b @ b,
                x.T @ cox.gradient(target, eta, h) + lam * b,
            )

        res = minimize(
            fun,
            np.zeros(x.shape[1]),
            jac=True,
            method="L-BFGS-B",
            options=dict(gtol=1e-13, ftol=1e-16, maxiter=10_000),
        )
        np.testing.assert_allclose(res.x, ref["coef"], atol=1e-6)


# ------------------------------------------------------------------ survival and C-index


def test_breslow_baseline_by_hand():
    time = np.array([1.0, 2.0, 2.0, 3.0, 5.0])
    event = np.array([1, 1, 0, 1, 0])
    eta = np.log([1.0, 2.0, 1.0, 1.0, 3.0])
    times, cumhaz = breslow_baseline(time, event, eta)
    # risk sets: t=1 all (1+2+1+1+3 = 8); t=2 {2, 2, 3, 5} (2+1+1+3 = 7); t=3 {3, 5} (4)
    np.testing.assert_array_equal(times, [1.0, 2.0, 3.0])
    np.testing.assert_allclose(cumhaz, np.cumsum([1 / 8, 1 / 7, 1 / 4]), rtol=1e-15)
    s0 = baseline_survival(times, cumhaz, [0.5, 1.0, 2.5, 3.0, 10.0])
    np.testing.assert_allclose(
        s0,
        np.exp(-np.array([0, 1 / 8, 1 / 8 + 1 / 7, 1 / 8 + 1 / 7 + 1 / 4, 1 / 8 + 1 / 7 + 1 / 4])),
        rtol=1e-15,
    )
    surv = survival_function(times, cumhaz, [2.5], eta)
    np.testing.assert_allclose(surv[:, 0], np.exp(-(1 / 8 + 1 / 7)) ** np.exp(eta))


def test_breslow_baseline_with_weights():
    time = np.array([1.0, 2.0, 2.0, 3.0])
    event = np.array([1, 1, 1, 0])
    w = np.array([2.0, 1.0, 3.0, 0.5])
    times, cumhaz = breslow_baseline(time, event, np.zeros(4), weights=w)
    # t=1: 2 / 6.5; t=2: (1 + 3) / 4.5
    np.testing.assert_allclose(cumhaz, [2 / 6.5, 2 / 6.5 + 4 / 4.5], rtol=1e-15)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_concordance_index_equals_brute_force(seed):
    rng = np.random.default_rng(seed)
    n = 60
    time = rng.integers(1, 12, size=n).astype(float)  # tied times
    event = rng.random(n) < 0.6
    risk = np.round(rng.normal(size=n), 1)  # tied risks
    assert concordance_index(time, event, risk) == pytest.approx(
        brute_force_cindex(time, event, risk), rel=1e-14
    )


@pytest.mark.parametrize("seed", [0, 1])
def test_weighted_concordance_index_equals_brute_force_and_replicated_rows(seed):
    """survival::concordance(weights=) (what cv.glmnet's "C" uses) counts the pair
    (i, j) w_i w_j times: checked pair by pair, and integer weights equal repeated rows."""
    rng = np.random.default_rng(seed)
    n = 50
    time = rng.integers(1, 10, size=n).astype(float)
    event = rng.random(n) < 0.6
    risk = np.round(rng.normal(size=n), 1)
    w = rng.uniform(0.2, 2.0, size=n)
    num = den = 0.0
    for i in np.flatnonzero(event):
        for j in range(n):
            if time[i] < time[j] or (time[i] == time[j] and not event[j]):
                den += w[i] * w[j]
                num += w[i] * w[j] * (1.0 if risk[i] > risk[j] else 0.5 * (risk[i] == risk[j]))
    assert concordance_index(time, event, risk, w) == pytest.approx(num / den, rel=1e-12)
    counts = rng.integers(1, 4, size=n)
    rows = np.repeat(np.arange(n), counts)
    assert concordance_index(time, event, risk, counts) == pytest.approx(
        concordance_index(time[rows], event[rows], risk[rows]), rel=1e-12
    )
    with pytest.raises(ValueError, match="non-negative"):
        concordance_index(time, event, risk, -w)


def test_concordance_index_small_cases():
    time = np.array([1.0, 2.0, 3.0])
    event = np.array([True, True, False])
    assert concordance_index(time, event, [3.0, 2.0, 1.0]) == 1.0
    assert concordance_index(time, event, [1.0, 2.0, 3.0]) == 0.0
    assert concordance_index(time, event, [1.0, 1.0, 1.0]) == 0.5
    # an event tied with a censored subject: comparable; two tied events: not
    assert concordance_index([2.0, 2.0], [True, False], [1.0, 0.0]) == 1.0
    with pytest.raises(ValueError, match="No comparable pairs"):
        concordance_index([2.0, 2.0], [True, True], [1.0, 0.0])
