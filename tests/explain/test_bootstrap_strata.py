"""The optimism bootstrap's resamples: within each class for classification."""

import numpy as np

from shrinkage.explain.validation import _bootstrap_weights


def test_classes_keep_their_counts_in_every_resample():
    """6 positives in 268 rows: a plain resample misses them all with probability
    (1 − 6/268)^268 ≈ 0.2%, and then no classifier can be refitted; within-class
    resampling keeps 6 positive draws every time, from the positive rows only."""
    y = np.r_[np.zeros(262), np.ones(6)]
    strata = [np.flatnonzero(y == 0), np.flatnonzero(y == 1)]
    rng = np.random.default_rng(0)
    for _ in range(500):
        weights = _bootstrap_weights(rng, y.size, strata)
        assert weights.sum() == y.size
        assert weights[y == 1].sum() == 6
        assert np.all(weights == np.round(weights))


def test_regression_resamples_all_rows_together():
    rng = np.random.default_rng(1)
    weights = np.array([_bootstrap_weights(rng, 50, None) for _ in range(2000)])
    assert np.all(weights.sum(axis=1) == 50)
    # each row's count is Binomial(50, 1/50): mean 1, variance 0.98
    np.testing.assert_allclose(weights.mean(), 1.0)
    assert 0.9 < weights.var(axis=0).mean() < 1.06


def test_held_out_slope_is_undefined_when_the_rows_are_separated():
    """Every positive predicted above every negative: the logistic slope's likelihood
    grows without bound, so no number is reported (a solver stopped at 30-87)."""
    from shrinkage.explain.measure import calibration_slope

    y = np.r_[np.zeros(20), np.ones(20)]
    separated = np.r_[np.linspace(0.05, 0.45, 20), np.linspace(0.55, 0.95, 20)]
    assert np.isnan(calibration_slope("classification", y, separated))
    # quasi-separated: one positive and one negative tied at the boundary (99 was
    # returned, where the solver stopped)
    tied = separated.copy()
    tied[19] = tied[20] = 0.5
    assert np.isnan(calibration_slope("classification", y, tied))
    rng = np.random.default_rng(0)
    p = rng.uniform(0.05, 0.95, 400)
    outcome = (rng.random(400) < p).astype(float)
    assert 0.6 < calibration_slope("classification", outcome, p) < 1.6
