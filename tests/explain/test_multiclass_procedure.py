"""The multinomial report's procedure against the estimator it stands for."""

import warnings

import numpy as np
import pytest
from scipy.special import log_softmax

from shrinkage.explain.multiclass_procedure import CS, fit_procedure
from shrinkage.linear_model import LogisticRegressionCV


@pytest.mark.parametrize("method, ratio", [("L2", 0.0), ("L1", 1.0)])
def test_procedure_is_logistic_regression_cv(method, ratio):
    rng = np.random.default_rng(5)
    X = rng.standard_normal((150, 4))
    eta = X[:, :2] @ rng.standard_normal((2, 3))
    y = np.array([rng.choice(3, p=p) for p in np.exp(log_softmax(eta, axis=1))]).astype(float)
    rows = rng.integers(0, 150, 150)  # a bootstrap resample: repeated rows
    ours = fit_procedure(method, X, y, 4, rows)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = LogisticRegressionCV(
            Cs=CS, l1_ratios=[ratio], cv=4, scoring="neg_log_loss", max_iter=200,
            tol=1e-4, use_legacy_attributes=False,
        ).fit(X[rows], y[rows])  # fmt: skip
    assert ours.C_ == pytest.approx(ref.C_) and ours.C_1se_ == pytest.approx(ref.C_1se_)
    np.testing.assert_allclose(ours.predict_proba(X), ref.predict_proba(X), atol=2e-3)
