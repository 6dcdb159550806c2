"""The report's weighted AUC (``explain/validation.py``) against scikit-learn."""

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from shrinkage.explain.validation import weighted_auc


def test_weighted_auc_matches_scikit_learn_with_ties_and_weights():
    rng = np.random.default_rng(3)
    for _ in range(5):
        score = np.round(rng.normal(size=300), 1)  # many ties
        y = (rng.random(300) < 0.4).astype(float)
        w = rng.integers(0, 4, 300).astype(float)
        expected = roc_auc_score(y, score, sample_weight=w)
        assert weighted_auc(score, y, w) == pytest.approx(expected, abs=1e-12)
