"""CVCurve's weighted folds (cv.glmnet's cvstats), against the formulas written out."""

from __future__ import annotations

import numpy as np
import pytest

from shrinkage.selection import CVCurve


def test_equal_fold_weights_give_the_unweighted_curve():
    rng = np.random.default_rng(0)
    alphas = np.geomspace(1.0, 0.01, 8)
    errors = rng.uniform(1.0, 2.0, size=(8, 5))
    plain = CVCurve(alphas, errors)
    weighted = CVCurve(alphas, errors, fold_weights=np.full(5, 3.7))
    np.testing.assert_allclose(weighted.mean, plain.mean, rtol=1e-14)
    np.testing.assert_allclose(weighted.standard_error, plain.standard_error, rtol=1e-12)
    assert (weighted.index_min, weighted.index_1se) == (plain.index_min, plain.index_1se)


def test_weighted_folds_follow_cvstats():
    """cvm = weighted.mean(e, W); cvsd = sqrt(weighted.mean((e - cvm)^2, W) / (K - 1))."""
    errors = np.array([[1.0, 2.0, 4.0], [2.0, 2.0, 2.0]])
    w = np.array([1.0, 2.0, 5.0])
    curve = CVCurve([1.0, 0.5], errors, fold_weights=w)
    m = (1 * 1 + 2 * 2 + 5 * 4) / 8
    sd = np.sqrt((1 * (1 - m) ** 2 + 2 * (2 - m) ** 2 + 5 * (4 - m) ** 2) / 8 / 2)
    assert curve.mean[0] == pytest.approx(m, rel=1e-15)
    assert curve.standard_error[0] == pytest.approx(sd, rel=1e-15)
    assert curve.standard_error[1] == 0.0
    # the weighted mean at alpha=1 is 3.125 > 2
    assert curve.alpha_min == 0.5


@pytest.mark.parametrize(
    "weights, message",
    [(np.ones(2), "one entry per fold"), (np.array([1.0, -1.0, 1.0]), "non-negative")],
)
def test_bad_fold_weights_are_refused(weights, message):
    with pytest.raises(ValueError, match=message):
        CVCurve([1.0], np.ones((1, 3)), fold_weights=weights)
