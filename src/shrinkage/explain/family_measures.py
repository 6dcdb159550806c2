"""Measures of the count (Poisson) and survival (Cox) reports.

All are functions of the linear predictor ``η`` on some rows (held-out rows, a test
fold, a bootstrap sample or the original data):

- **Poisson deviance** (mean over rows) ``D = mean 2(y log(y/μ) − y + μ)``, ``μ = e^η``,
  computed from ``η`` so that ``μ`` never underflows; ``D² = 1 − D/D_null`` with the
  null model ``μ = ȳ`` of the same rows (scikit-learn's ``d2_tweedie_score``, power 1);
- **Poisson calibration** ``(a, b)``: the maximum-likelihood Poisson regression
  ``log E[y] = a + b·η``. An overfitted model predicts too spread-out log-means and gets
  ``b < 1``; the unpenalized fit has ``(0, 1)`` on its own rows (its score equations);
- (both slopes are left undefined, NaN, for a null model: ``sd(η) < NULL_SD``;)
- **Cox calibration slope** ``b̂ = argmax_b log PL(b·η)``: the Cox coefficient of the
  linear predictor (Breslow ties), as ``rms`` validates ``cph`` models; 1 for the
  unpenalized fit on its own rows, below 1 when new rows need shrunken predictions;
- **Harrell's C** (:func:`shrinkage.datafits.cox.concordance_index`) and Somers'
  ``Dxy = 2C − 1``;
- **the cross-validated partial-likelihood deviance** of Verweij & van Houwelingen
  (1993), glmnet's ``type.measure = "deviance"`` for Cox: for a fold fitted on the other
  rows, ``(D(all rows, η) − D(training rows, η)) / events in the fold``, with ``D``
  R glmnet's ``coxnet.deviance``: the partial likelihood the held-out fold adds, per event;
- **the likelihood-ratio χ²** of a model against the null (``η`` = constant), for the
  heuristic shrinkage ``(LR χ² − p)/LR χ²`` of van Houwelingen & le Cessie (1990).
"""

from __future__ import annotations

import numpy as np
from scipy.special import xlogy

from ..datafits.cox import concordance_index, coxnet_deviance

#: A linear predictor with a smaller standard deviation moves the predicted mean (or the
#: hazard) by under 1% across rows: a null model, whose calibration slope ``b`` in
#: ``a + b·η`` is undefined (it is 1/scale of noise, thousands either way).
NULL_SD = 0.01


# -- Poisson -----------------------------------------------------------------------------
def poisson_deviance(y, eta) -> float:
    """Mean Poisson deviance ``mean 2(y log(y/μ) − y + μ)`` with ``μ = e^η``."""
    y, eta = np.asarray(y, float), np.asarray(eta, float)
    return float(np.mean(2.0 * (xlogy(y, y) - y - y * eta + np.exp(eta))))


def poisson_null_deviance(y) -> float:
    """Mean Poisson deviance of the constant model ``μ = ȳ``."""
    y = np.asarray(y, float)
    mean = max(float(y.mean()), 1e-300)
    return poisson_deviance(y, np.full(y.size, np.log(mean)))


def poisson_calibration(y, eta, iterations: int = 100) -> tuple[float, float]:
    """Maximum-likelihood ``(a, b)`` of ``log E[y] = a + b·η`` (Newton with halving).

    Returns NaNs when ``η`` is constant (no slope to estimate) or when no maximum is
    reached (e.g. every ``y`` is 0).
    """
    y, eta = np.asarray(y, float), np.asarray(eta, float)
    if np.ptp(eta) <= 1e-12 * max(1.0, float(np.abs(eta).max())) or not np.any(y > 0):
        return float("nan"), float("nan")
    center = float(eta.mean())
    Z = np.column_stack([np.ones_like(eta), eta - center])  # centred: better conditioned
    # start at b = 1 with the intercept that matches the mean count
    beta = np.array([np.log(y.mean()) - np.log(np.mean(np.exp(np.clip(Z[:, 1], -700, 700)))), 1.0])

    def loss(b):
        lin = np.clip(Z @ b, -700, 700)
        return float(np.sum(np.exp(lin) - y * lin))

    current = loss(beta)
    for _ in range(iterations):
        mu = np.exp(np.clip(Z @ beta, -700, 700))
        grad = Z.T @ (mu - y)
        hess = (Z * mu[:, None]).T @ Z
        try:
            step = np.linalg.solve(hess, grad)
        except np.linalg.LinAlgError:
            return float("nan"), float("nan")
        t = 1.0
        for _ in range(50):
            candidate = loss(beta - t * step)
            if candidate <= current + 1e-12 * abs(current):
                break
            t *= 0.5
        beta, current = beta - t * step, candidate
        if np.max(np.abs(t * step)) < 1e-10:
            break
    else:
        return float("nan"), float("nan")
    a, b = float(beta[0] - beta[1] * center), float(beta[1])
    return a, b


def poisson_indexes(y, eta) -> dict:
    """``{"deviance", "d2", "intercept", "slope"}`` of the predictions ``e^η`` for ``y``."""
    deviance = poisson_deviance(y, eta)
    null = poisson_null_deviance(y)
    a, b = (np.nan, np.nan) if np.std(eta) < NULL_SD else poisson_calibration(y, eta)
    return {
        "deviance": deviance,
        "d2": 1.0 - deviance / null if null > 0 else float("nan"),
        "intercept": a,
        "slope": b,
    }


def poisson_lr_chi2(y, eta) -> float:
    """``D_null − D_model`` in summed deviances (the model likelihood-ratio χ²)."""
    n = len(y)
    return float(n * (poisson_null_deviance(y) - poisson_deviance(y, eta)))


def pearson_dispersion(y, eta, p: int) -> float:
    """Pearson ``φ̂ = Σ (y − μ)²/μ / (n − p − 1)``: 1 for Poisson data, above 1 when the
    counts are over-dispersed (the quasi-Poisson scale)."""
    y, eta = np.asarray(y, float), np.asarray(eta, float)
    mu = np.exp(eta)
    df = max(y.size - p - 1, 1)
    return float(np.sum((y - mu) ** 2 / np.maximum(mu, 1e-300)) / df)


# -- Cox -----------------------------------------------------------------------------------
def _risk_set_sums(time, event, eta, b):
    """For each distinct event time: deaths ``d_k``, ``Σ_D η``, and the risk-set sums
    ``S0 = Σ_R e^{bη}``, ``S1 = Σ_R η e^{bη}``, ``S2 = Σ_R η² e^{bη}`` (Breslow)."""
    order = np.argsort(-time, kind="stable")  # latest first: risk sets are prefixes
    t, e, x = time[order], event[order], eta[order]
    u = b * x
    shift = float(u.max())
    w = np.exp(u - shift)
    c0, c1, c2 = np.cumsum(w), np.cumsum(w * x), np.cumsum(w * x * x)
    # the risk set of time t is every row with time ≥ t: up to the last row tied at t
    _, counts = np.unique(-t, return_counts=True)
    end = np.cumsum(counts) - 1
    first = end - counts + 1
    deaths = np.add.reduceat(e.astype(float), first)
    eta_deaths = np.add.reduceat(np.where(e, x, 0.0), first)
    keep = deaths > 0
    return (
        deaths[keep],
        eta_deaths[keep],
        c0[end][keep],
        c1[end][keep],
        c2[end][keep],
        shift,
    )


def cox_calibration_slope(time, event, eta, iterations: int = 100) -> float:
    """``argmax_b log PL(b·η)`` (Breslow ties) by Newton's method with halving.

    ``d/db log PL = Σ_k [Σ_{D_k} η − d_k S1_k/S0_k]``,
    ``d²/db² = −Σ_k d_k (S2_k/S0_k − (S1_k/S0_k)²) ≤ 0``. NaN when ``η`` is constant;
    infinite when the events are perfectly ordered by ``η`` (no finite maximum).
    """
    time = np.asarray(time, float)
    event = np.asarray(event, bool)
    eta = np.asarray(eta, float)
    eta = eta - eta.mean()  # PL is shift-invariant
    if np.ptp(eta) <= 1e-12:
        return float("nan")

    def loglik(b):
        d, sd, s0, _, _, shift = _risk_set_sums(time, event, eta, b)
        return float(b * sd.sum() - np.sum(d * (np.log(s0) + shift)))

    b, current = 1.0, loglik(1.0)
    for _ in range(iterations):
        d, sd, s0, s1, s2, _ = _risk_set_sums(time, event, eta, b)
        m1 = s1 / s0
        grad = float(np.sum(sd - d * m1))
        curv = float(np.sum(d * (s2 / s0 - m1 * m1)))
        if curv <= 1e-300:
            return float("inf") if grad > 0 else float("nan")
        step = grad / curv
        for _ in range(60):
            candidate = loglik(b + step)
            if candidate >= current - 1e-12 * abs(current):
                break
            step *= 0.5
        b, current = b + step, candidate
        if abs(step) <= 1e-10 * max(1.0, abs(b)):
            return float(b)
        if abs(b) > 1e4:
            return float("inf") if b > 0 else float("-inf")
    return float(b)


def c_index(time, event, eta) -> float:
    """Harrell's C of the risk score ``η`` (NaN when no pair is comparable)."""
    try:
        return float(concordance_index(time, event, eta))
    except ValueError:
        return float("nan")


def cox_indexes(time, event, eta) -> dict:
    """``{"c_index", "dxy", "slope"}`` (``rms::validate.cph``'s Dxy and Slope)."""
    c = c_index(time, event, eta)
    slope = np.nan if np.std(eta) < NULL_SD else cox_calibration_slope(time, event, eta)
    return {"c_index": c, "dxy": 2 * c - 1, "slope": slope}


def cox_cv_deviance(time, event, eta_all, train, test) -> float:
    """Verweij–van Houwelingen cross-validated partial-likelihood deviance per event of
    the ``test`` rows: ``(D(all, η) − D(train, η_train)) / events(test)``."""
    y = np.column_stack([time, event.astype(float)])
    events = float(np.sum(event[test]))
    if events == 0:
        return float("nan")
    full = coxnet_deviance(y, eta_all)
    part = coxnet_deviance(y[train], eta_all[train])
    return float((full - part) / events)


def cox_lr_chi2(time, event, eta) -> float:
    """``2(log PL(η) − log PL(0))`` (Breslow), the model likelihood-ratio χ²."""
    y = np.column_stack([time, np.asarray(event, float)])
    return float(coxnet_deviance(y, np.zeros(len(time))) - coxnet_deviance(y, eta))
