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
