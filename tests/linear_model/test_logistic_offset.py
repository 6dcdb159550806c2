"""``offset`` in binary logistic regression (glmnet's ``offset`` / ``newoffset``).

References, none of them our own output: R's glmnet 4.1-6 ``family="binomial"`` with
offsets (``test_bounds.py::test_binomial_equals_glmnet``, to 1e-6); here the predictions
in closed form, the optimality conditions of scikit-learn's objective
``C Σ loss + ½‖β‖²`` with the offset in ``η``, and the CV fold scores recomputed by hand
with NumPy's log loss.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.special import expit

import shrinkage as sk


def _data(n=160, p=5, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, p))
    offset = rng.normal(0, 1.0, n)
    eta = X @ np.array([1.0, -0.7, 0.0, 0.4, 0.0])[:p] + offset
    y = (rng.random(n) < expit(eta)).astype(int)
    return X, y, offset


def test_predictions_add_the_offset_only_when_given():
    X, y, offset = _data()
    model = sk.LogisticRegression(C=0.5, tol=1e-10).fit(X, y, offset=offset)
    plain = X @ model.coef_[0] + model.intercept_[0]
    np.testing.assert_allclose(model.decision_function(X), plain, rtol=1e-12)
    np.testing.assert_allclose(model.decision_function(X, offset=offset), plain + offset)
    proba = model.predict_proba(X, offset=offset)
    np.testing.assert_allclose(proba[:, 1], expit(plain + offset), rtol=1e-12)
    np.testing.assert_array_equal(model.predict(X, offset=offset), (plain + offset > 0) * 1)
    np.testing.assert_allclose(model.predict_log_proba(X, offset=offset), np.log(proba))


def test_offset_fit_satisfies_the_optimality_conditions():
    """``C Σ (y − p) x_j = β_j`` and ``Σ (y − p) = 0`` with ``p = σ(offset + β₀ + Xβ)``."""
    X, y, offset = _data()
    model = sk.LogisticRegression(C=0.5, tol=1e-12).fit(X, y, offset=offset)
    p = expit(X @ model.coef_[0] + model.intercept_[0] + offset)
    np.testing.assert_allclose(0.5 * X.T @ (y - p), model.coef_[0], atol=1e-9)
    assert abs(np.sum(y - p)) < 1e-9
    # and it differs from the fit without the offset (the check above can fail)
    plain = sk.LogisticRegression(C=0.5, tol=1e-12).fit(X, y)
    assert np.abs(plain.coef_ - model.coef_).max() > 1e-2


def test_zero_offset_changes_nothing():
    X, y, _ = _data()
    a = sk.LogisticRegression(C=0.3, l1_ratio=1.0, tol=1e-10).fit(X, y)
    b = sk.LogisticRegression(C=0.3, l1_ratio=1.0, tol=1e-10).fit(X, y, offset=np.zeros(len(y)))
    np.testing.assert_allclose(a.coef_, b.coef_, atol=1e-9)


def test_cv_offset_follows_the_rows():
    """Each fold is fitted with its training rows' offset and scored (log loss, by hand)
    with its test rows' offset; the final model is refitted with the whole offset."""
    from sklearn.model_selection import KFold

    X, y, offset = _data()
    folds = list(KFold(4).split(X))
    Cs = [0.01, 0.1, 1.0]
    cv = sk.LogisticRegressionCV(
        Cs=Cs,
        l1_ratios=(1.0,),
        cv=folds,
        scoring="neg_log_loss",
        use_legacy_attributes=False,
        tol=1e-10,
    ).fit(X, y, offset=offset)
    for k, (train, test) in enumerate(folds):
        for i, C in enumerate(Cs):
            ref = sk.LogisticRegression(C=C, l1_ratio=1.0, tol=1e-10)
            ref.fit(X[train], y[train], offset=offset[train])
            p = expit(X[test] @ ref.coef_[0] + ref.intercept_[0] + offset[test])
            log_loss = -np.mean(y[test] * np.log(p) + (1 - y[test]) * np.log(1 - p))
            assert cv.scores_[k, 0, i] == pytest.approx(-log_loss, rel=1e-6)
    final = sk.LogisticRegression(C=cv.C_, l1_ratio=1.0, tol=1e-10).fit(X, y, offset=offset)
    np.testing.assert_allclose(cv.coef_, final.coef_, atol=1e-6)


def test_bad_offsets_are_refused():
    X, y, offset = _data()
    with pytest.raises(ValueError, match="offset"):
        sk.LogisticRegression().fit(X, y, offset=offset[:-1])
    three = np.arange(len(y)) % 3
    # K classes: one column per class (an offset common to all would cancel).
    with pytest.raises(ValueError, match=r"\(n_samples, n_classes\)"):
        sk.LogisticRegression().fit(X, three, offset=offset)
    model = sk.LogisticRegression().fit(X, three)
    with pytest.raises(ValueError, match=r"\(n_samples, n_classes\)"):
        model.decision_function(X, offset=offset)
