"""The count and survival report's measures against independent computations: the
Poisson deviance by its formula (scikit-learn), the Poisson calibration by
scikit-learn's unpenalized PoissonRegressor, the Cox calibration slope and LR χ² by a
brute-force partial likelihood, Harrell's C by counting pairs; and the count guess."""

import numpy as np
import pytest
from scipy.optimize import minimize_scalar
from sklearn.linear_model import PoissonRegressor as SkPoisson
from sklearn.metrics import mean_poisson_deviance

from shrinkage.explain import family_measures as fm
from shrinkage.explain.counts import count_profile, looks_like_counts
from shrinkage.explain.family_procedure import inner_splits


def brute_log_pl(time, event, eta):
    """Breslow log partial likelihood, one event at a time, O(n²)."""
    total = 0.0
    for i in np.flatnonzero(event):
        at_risk = time >= time[i]
        total += eta[i] - np.log(np.sum(np.exp(eta[at_risk])))
    return total


def brute_c_index(time, event, risk):
    concordant = comparable = 0.0
    n = len(time)
    for i in range(n):
        if not event[i]:
            continue
        for j in range(n):
            if time[i] < time[j] or (time[i] == time[j] and not event[j] and i != j):
                comparable += 1
                concordant += 1.0 if risk[i] > risk[j] else 0.5 if risk[i] == risk[j] else 0.0
    return concordant / comparable


@pytest.fixture
def survival(rng):
    n = 90
    eta = rng.normal(size=n)
    time = np.round(rng.exponential(np.exp(-eta)) * 10)  # rounded: tied times
    censor = np.round(rng.exponential(2.0, n) * 10)
    event = time <= censor
    return np.minimum(time, censor), event, eta + rng.normal(0, 0.7, n)


def test_poisson_deviance_and_d2_by_formula(rng):
    y = rng.poisson(2.0, 60).astype(float)
    eta = rng.normal(0.5, 0.3, 60)
    assert fm.poisson_deviance(y, eta) == pytest.approx(mean_poisson_deviance(y, np.exp(eta)))
    null = mean_poisson_deviance(y, np.full(60, y.mean()))
    d2 = fm.poisson_indexes(y, eta)["d2"]
    assert d2 == pytest.approx(1 - mean_poisson_deviance(y, np.exp(eta)) / null)


def test_poisson_calibration_is_the_unpenalized_poisson_regression(rng):
    eta = rng.normal(0.3, 0.6, 200)
    y = rng.poisson(np.exp(0.2 + 0.7 * eta)).astype(float)
    a, b = fm.poisson_calibration(y, eta)
    reference = SkPoisson(alpha=0.0, tol=1e-12, max_iter=10_000).fit(eta[:, None], y)
    assert b == pytest.approx(reference.coef_[0], rel=1e-6)
    assert a == pytest.approx(reference.intercept_, rel=1e-6, abs=1e-8)
    # a model calibrated on its own rows: the maximum-likelihood fit has slope 1
    a1, b1 = fm.poisson_calibration(y, reference.intercept_ + reference.coef_[0] * eta)
    assert (a1, b1) == pytest.approx((0.0, 1.0), abs=1e-7)
    assert np.isnan(fm.poisson_calibration(y, np.zeros(200))[1])  # constant η: no slope


def test_cox_calibration_slope_maximizes_the_partial_likelihood(survival):
    time, event, eta = survival
    best = minimize_scalar(
        lambda b: -brute_log_pl(time, event, b * eta),
        bounds=(-5, 5),
        method="bounded",
        options={"xatol": 1e-10},
    ).x
    assert fm.cox_calibration_slope(time, event, eta) == pytest.approx(best, abs=1e-6)
    # invariant to a shift of η, scaled by a scale of η
    assert fm.cox_calibration_slope(time, event, 2 * eta + 3) == pytest.approx(best / 2, abs=1e-6)


def test_cox_lr_chi2_and_c_index_by_brute_force(survival):
    time, event, eta = survival
    lr = 2 * (brute_log_pl(time, event, eta) - brute_log_pl(time, event, 0 * eta))
    assert fm.cox_lr_chi2(time, event, eta) == pytest.approx(lr, rel=1e-10)
    risk = np.round(eta, 1)  # ties in risk count one half
    assert fm.c_index(time, event, risk) == pytest.approx(brute_c_index(time, event, risk))


def test_cox_cv_deviance_is_the_partial_likelihood_the_fold_adds(survival):
    time, event, eta = survival
    test = np.arange(0, 90, 3)
    train = np.setdiff1d(np.arange(90), test)
    added = brute_log_pl(time, event, eta) - brute_log_pl(time[train], event[train], eta[train])
    # coxnet.deviance = −2 log PL − 2 Σ_k d_k log d_k (d_k deaths at the k-th time)
    saturated = _saturated(time, event) - _saturated(time[train], event[train])
    expected = (-2 * added - 2 * saturated) / event[test].sum()
    value = fm.cox_cv_deviance(time, event, eta, train, test)
    assert value == pytest.approx(expected, rel=1e-10)


def _saturated(time, event):
    """``Σ_k d_k log d_k`` over the distinct event times (the saturated Breslow term)."""
    _, d = np.unique(time[event], return_counts=True)
    return float(np.sum(d * np.log(d)))


@pytest.mark.parametrize(
    "values, expected",
    [
        (lambda r: r.poisson(1.5, 300), True),  # counts: zeros, variance ≈ mean
        (lambda r: r.negative_binomial(2, 0.2, 300), True),  # over-dispersed counts
        (lambda r: r.integers(0, 3, 300), False),  # codes 0/1/2: under-dispersed
        (lambda r: r.integers(25, 350, 300), False),  # a score with no zeros
        (lambda r: r.integers(0, 2, 300), False),  # two values: a binary class
        (lambda r: r.poisson(3.0, 300) + 0.5, False),  # not integers
    ],
)
def test_count_guess(rng, values, expected):
    assert looks_like_counts(count_profile(values(rng)))[0] is expected


def test_inner_folds_keep_copies_of_a_row_together(rng):
    groups = rng.integers(0, 40, 120)  # a bootstrap sample's row ids
    splits = inner_splits(groups, 5, rng)
    seen = np.zeros(120, dtype=int)
    for train, test in splits:
        assert not set(groups[train]) & set(groups[test])
        seen[test] += 1
    assert np.all(seen == 1)
