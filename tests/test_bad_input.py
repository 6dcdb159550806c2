"""Bad input gets a clear ValueError that names the problem and the fix."""

import numpy as np
import pytest

from shrinkage import ElasticNet, Lasso, LogisticRegression, regularization_path

X = np.random.default_rng(0).normal(size=(20, 3))
y = X @ np.array([1.0, -2.0, 0.0]) + 0.1
y01 = (y > 0).astype(float)


@pytest.mark.parametrize("bad, match", [(np.nan, "NaN"), (np.inf, "infinity")])
def test_non_finite_x(bad, match):
    Xb = X.copy()
    Xb[3, 1] = bad
    for model, target in ((Lasso(), y), (LogisticRegression(), y01)):
        with pytest.raises(ValueError, match=f"contains {match}.*impute"):
            model.fit(Xb, target)
    with pytest.raises(ValueError, match=match):
        regularization_path(Xb, y)


def test_non_finite_y():
    yb = y.copy()
    yb[0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        Lasso().fit(X, yb)


def test_mismatched_lengths():
    with pytest.raises(ValueError, match="inconsistent numbers of samples|must match"):
        Lasso().fit(X, y[:-1])
    with pytest.raises(ValueError, match="must match"):
        regularization_path(X, y[:-1])


def test_empty_data():
    with pytest.raises(ValueError, match="0 sample"):
        Lasso().fit(np.empty((0, 3)), np.empty(0))
    with pytest.raises(ValueError, match="empty"):
        regularization_path(np.empty((0, 3)), np.empty(0))


def test_non_numeric_columns():
    Xs = X.astype(object)
    Xs[0, 0] = "red"
    with pytest.raises(ValueError, match="non-numeric.*OneHotEncoder"):
        Lasso().fit(Xs, y)
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame({"a": X[:, 0], "colour": ["red", "blue"] * 10})
    with pytest.raises(ValueError, match="non-numeric columns \\['colour'\\]"):
        Lasso().fit(frame, y)


@pytest.mark.parametrize(
    "model, match",
    [
        (Lasso(alpha=-1.0), "alpha must be >= 0"),
        (ElasticNet(l1_ratio=1.5), "l1_ratio must be a number in \\[0, 1\\]"),
        (ElasticNet(l1_ratio=-0.1), "l1_ratio"),
        (Lasso(tol=-1), "tol"),
        (Lasso(max_iter=0), "max_iter must be a positive integer"),
        (Lasso(penalty_weights=[1.0, 1.0]), "penalty_weights has shape .* 3 features"),
        (Lasso(penalty_weights=[1.0, -1.0, 1.0]), "penalty_weights must be finite and >= 0"),
        (Lasso(selection="greedy"), "selection"),
    ],
)
def test_bad_regression_parameters(model, match):
    with pytest.raises(ValueError, match=match):
        model.fit(X, y)


@pytest.mark.parametrize(
    "model, match",
    [
        (LogisticRegression(C=-1.0), "C must be >= 0"),
        (LogisticRegression(C=0.0), "C must be > 0"),
        (LogisticRegression(l1_ratio=2.0), "l1_ratio"),
        (LogisticRegression(dual=True), "dual=True is not supported"),
        (LogisticRegression(solver="magic"), "'solver' parameter of LogisticRegression must be"),
    ],
)
def test_bad_logistic_parameters(model, match):
    with pytest.raises(ValueError, match=match):
        model.fit(X, y01)


def test_negative_sample_weight():
    w = np.ones(20)
    w[2] = -1
    with pytest.raises(ValueError, match="negative entries.*>= 0"):
        Lasso().fit(X, y, sample_weight=w)
    with pytest.raises(ValueError, match="negative"):
        LogisticRegression().fit(X, y01, sample_weight=w)
    with pytest.raises(ValueError, match="one weight per sample"):
        Lasso().fit(X, y, sample_weight=np.ones(5))
    with pytest.raises(ValueError, match="sums to zero"):
        Lasso().fit(X, y, sample_weight=np.zeros(20))


def test_binary_path_needs_two_classes():
    with pytest.raises(ValueError, match="exactly 2 classes"):
        regularization_path(X, np.zeros(20), loss="logistic")
