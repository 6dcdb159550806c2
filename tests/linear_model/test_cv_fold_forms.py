"""Folds given as boolean masks, Python lists, negative indices or a single validation
split, as scikit-learn's CV estimators accept them: the same curves as scikit-learn's own."""

import warnings

import numpy as np
import pytest
from sklearn import linear_model as sk
from sklearn.model_selection import PredefinedSplit

import shrinkage
from shrinkage import ElasticNetCV, LassoCV, LogisticRegressionCV, RidgeCV


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


@pytest.mark.parametrize("form", ["masks", "lists", "negative"])
def test_ridge_cv_fold_forms_match_scikit_learn(form):
    # RidgeCV and LogisticRegressionCV took the splitter's folds as given: a list has no
    # `.size` ("'list' object has no attribute 'size'", also under metadata routing with
    # a splitter that yields lists, as scikit-learn's routing tests do).
    X, y = _data(120, 8)
    folds = _fold_forms(120)[form]
    grid = np.geomspace(1e-3, 1e3, 13)
    ours = RidgeCV(alphas=grid, cv=folds).fit(X, y)
    theirs = sk.RidgeCV(alphas=grid, cv=folds).fit(X, y)
    assert ours.alpha_ == theirs.alpha_
    assert ours.best_score_ == pytest.approx(theirs.best_score_, rel=1e-9)


@pytest.mark.parametrize("form", ["masks", "lists", "negative"])
def test_logistic_cv_fold_forms_match_scikit_learn(form):
    X, y = _data(120, 8)
    labels = (y > np.median(y)).astype(int)
    folds = _fold_forms(120)[form]
    common = dict(Cs=np.geomspace(1e-2, 1e2, 7), cv=folds, scoring="neg_log_loss")
    ours = LogisticRegressionCV(
        l1_ratios=(0.0,), use_legacy_attributes=False, tol=1e-10, **common
    ).fit(X, labels)
    with warnings.catch_warnings():  # scikit-learn 1.9's transition warnings
        warnings.simplefilter("ignore", FutureWarning)
        theirs = sk.LogisticRegressionCV(tol=1e-12, max_iter=10_000, **common).fit(X, labels)
    assert float(np.ravel(ours.C_)[0]) == pytest.approx(float(np.ravel(theirs.C_)[0]))
    np.testing.assert_allclose(np.ravel(ours.scores_), np.ravel(theirs.scores_[1]), rtol=1e-6)


def _single_split(n):
    # One validation split, as PredefinedSplit gives it: the last 30% of the rows.
    return PredefinedSplit(np.where(np.arange(n) < int(0.7 * n), -1, 0))


@pytest.mark.parametrize("name", ["LassoCV", "ElasticNetCV", "MultiTaskLassoCV", "RidgeCV"])
def test_a_single_validation_split_matches_scikit_learn(name):
    # scikit-learn's CV estimators accept one (train, test) split; shrinkage refused it
    # ("The cv splitter gave 1 fold; at least 2 are needed").
    X, y = _data(100, 6)
    Y = np.c_[y, X[:, 1] - y] if name.startswith("MultiTask") else y
    cv = _single_split(100)
    tight = {} if name == "RidgeCV" else dict(tol=1e-10)
    ours = getattr(shrinkage, name)(cv=cv, **tight).fit(X, Y)
    tight = {} if name == "RidgeCV" else dict(tol=1e-12, max_iter=100_000)
    theirs = getattr(sk, name)(cv=cv, **tight).fit(X, Y)
    assert ours.alpha_ == pytest.approx(theirs.alpha_, rel=1e-9)
    np.testing.assert_allclose(ours.coef_, theirs.coef_, rtol=1e-6, atol=1e-9)
    if name != "RidgeCV":  # scikit-learn squeezes the fold axis of length 1
        assert ours.mse_path_.shape == theirs.mse_path_.shape
        np.testing.assert_allclose(ours.mse_path_, theirs.mse_path_, rtol=1e-6)


def test_a_single_validation_split_in_logistic_cv_matches_scikit_learn():
    X, y = _data(100, 6)
    labels = (y > 0).astype(int)
    common = dict(Cs=np.geomspace(1e-2, 1e2, 7), cv=_single_split(100), scoring="neg_log_loss")
    ours = LogisticRegressionCV(
        l1_ratios=(0.0,), use_legacy_attributes=False, tol=1e-10, **common
    ).fit(X, labels)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        theirs = sk.LogisticRegressionCV(tol=1e-12, max_iter=10_000, **common).fit(X, labels)
    assert float(np.ravel(ours.C_)[0]) == pytest.approx(float(np.ravel(theirs.C_)[0]))
    np.testing.assert_allclose(ours.coef_, theirs.coef_, rtol=1e-5)


def test_one_fold_with_the_one_standard_error_rule_is_refused_by_name():
    X, y = _data(100, 6)
    with pytest.raises(ValueError, match="rule='1se' needs the spread"):
        LassoCV(cv=_single_split(100), rule="1se").fit(X, y)
    with pytest.raises(ValueError, match="gave no folds"):
        LassoCV(cv=[]).fit(X, y)


@pytest.mark.parametrize(
    "options",
    [dict(alphas=[0.5]), dict(alphas=[0.5], l1_ratio=[0.3, 0.7]), dict(l1_ratio=[0.3, 0.7])],
)
def test_mse_path_drops_axes_of_length_one_as_scikit_learn(options):
    X, y = _data(80, 5)
    ours = ElasticNetCV(cv=_single_split(80), **options).fit(X, y)
    theirs = sk.ElasticNetCV(cv=_single_split(80), **options).fit(X, y)
    assert ours.mse_path_.shape == theirs.mse_path_.shape


@pytest.mark.parametrize("empty", ["training", "test"])
@pytest.mark.parametrize("name", ["LassoCV", "RidgeCV", "LogisticRegressionCV"])
def test_a_fold_without_rows_is_refused_by_name(name, empty):
    # Before: RidgeCV failed with an IndexError, LogisticRegressionCV blamed sample
    # weights nobody gave, LassoCV fitted a fold on no rows.
    X, y = _data(50, 4)
    rows = np.arange(50)
    none = np.array([], dtype=int)
    first = (none, rows) if empty == "training" else (rows, none)
    cv = [first, (rows[:25], rows[25:])]
    target, options = y, {}
    if name == "LogisticRegressionCV":
        target = (y > 0).astype(int)
        options = dict(l1_ratios=(0.0,), scoring="neg_log_loss", use_legacy_attributes=False)
    with pytest.raises(ValueError, match=f"Fold 1 of the cv splitter has no {empty} rows"):
        getattr(shrinkage, name)(cv=cv, **options).fit(X, target)
