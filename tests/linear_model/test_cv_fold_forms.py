"""Folds given as boolean masks, Python lists or negative indices, as scikit-learn's
``LassoCV`` / ``ElasticNetCV`` accept them: the same curve as scikit-learn's own."""

import numpy as np
import pytest
from sklearn import linear_model as sk

from shrinkage import ElasticNetCV, LassoCV


def _data(n, p, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p))
    y = X[:, :4] @ np.array([2.0, -1.0, 0.5, 1.5]) + rng.standard_normal(n)
    return X, y


def _fold_forms(n):
    even = np.arange(n) % 2 == 0
    rows = np.arange(n)
    return {
        "masks": [(~even, even), (even, ~even)],
        "lists": [
            (rows[~even].tolist(), rows[even].tolist()),
            (rows[even].tolist(), rows[~even].tolist()),
        ],
        "negative": [(rows[: n // 2], rows[n // 2 :] - n), (rows[n // 2 :] - n, rows[: n // 2])],
    }


@pytest.mark.parametrize("shape", [(200, 20), (60, 100)])
@pytest.mark.parametrize("form", ["masks", "lists", "negative"])
@pytest.mark.parametrize("l1_ratio", [1.0, 0.5])
def test_fold_forms_match_scikit_learn(shape, form, l1_ratio):
    X, y = _data(*shape)
    folds = _fold_forms(shape[0])[form]
    # An explicit grid: scikit-learn < 1.7 takes no number of alphas in `alphas`.
    grid = np.geomspace(2.0, 2e-3, 30)
    if l1_ratio == 1.0:
        ours = LassoCV(cv=folds, alphas=grid, tol=1e-10).fit(X, y)
        theirs = sk.LassoCV(cv=folds, alphas=grid, tol=1e-12, max_iter=100_000).fit(X, y)
    else:
        ours = ElasticNetCV(cv=folds, l1_ratio=l1_ratio, alphas=grid, tol=1e-10).fit(X, y)
        theirs = sk.ElasticNetCV(
            cv=folds, l1_ratio=l1_ratio, alphas=grid, tol=1e-12, max_iter=100_000
        ).fit(X, y)
    np.testing.assert_allclose(ours.alphas_, theirs.alphas_, rtol=1e-12)
    np.testing.assert_allclose(ours.mse_path_, theirs.mse_path_, rtol=1e-6)
    assert ours.alpha_ == pytest.approx(theirs.alpha_, rel=1e-12)


def test_a_mask_of_the_wrong_length_is_refused_by_name():
    X, y = _data(50, 5)
    short = np.ones(40, dtype=bool)
    with pytest.raises(ValueError, match="mask of fold 1 has shape"):
        LassoCV(cv=[(short, ~short), (~short, short)]).fit(X, y)


def test_rows_outside_x_are_refused_by_name():
    X, y = _data(50, 5)
    rows = np.arange(50)
    with pytest.raises(ValueError, match="index outside X's 50 rows"):
        LassoCV(cv=[(rows[:25], rows[25:] + 10), (rows[25:], rows[:25])]).fit(X, y)
