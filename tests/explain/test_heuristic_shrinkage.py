"""The heuristic shrinkage ``(LR χ² − p)/LR χ²`` (van Houwelingen & le Cessie) where it
is defined, and its refusal where it is not: an unpenalized fit that interpolates
(``rank + 1 ≥ n``), reproduces ``y`` exactly, or separates the classes. ``p`` is the
rank of the centred design. References: ``np.linalg.lstsq`` and scikit-learn's
unpenalized ``LogisticRegression``, never the code under test."""

import json

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression as SkLogistic

from shrinkage.datasets import Dataset
from shrinkage.explain import compare, recommend, validation
from shrinkage.explain.resample import refit
from shrinkage.explain.validation import heuristic_shrinkage


def _none(task, X, y):
    return refit(task, X, y, np.ones(len(y)), 5, np.random.default_rng(0), ["none"])["none"]


def _lstsq_lr(X, y):
    """−n·log(RSS/TSS) of least squares with an intercept (lstsq), and its RSS/TSS."""
    A = np.column_stack([np.ones(len(y)), X])
    beta = np.linalg.lstsq(A, y, rcond=None)[0]
    share = np.sum((y - A @ beta) ** 2) / np.sum((y - y.mean()) ** 2)
    return -len(y) * np.log(share), share


def test_p_greater_than_n_regression_is_undefined():
    """60 rows × 200 Gaussian features, y on 5 of them: the unpenalized fit interpolates
    (it read 0.994, "little overfitting", with LR χ² 3.1e4 from a 1e-300 floor)."""
    rng = np.random.default_rng(0)
    X = rng.standard_normal((60, 200))
    y = X[:, :5] @ np.array([3, -2, 2, 1.5, -1.0]) + rng.standard_normal(60)
    lr, share = _lstsq_lr(X, y)
    assert share < 1e-20  # lstsq interpolates too: the reference agrees
    h = heuristic_shrinkage("regression", _none("regression", X, y), X, y)
    assert np.isnan(h["value"]) and h["undefined"] == "interpolates"
    assert h["p"] == np.linalg.matrix_rank(X - X.mean(axis=0)) == 59
    assert h["lr_chi2"] == np.inf
    assert "interpolates the training rows" in h["reason"]
    assert "overfitting is maximal" in h["reason"]


def test_rank_deficient_design_counts_the_rank():
    """70 rows, 25 columns each twice (50 columns, rank 25): p = 25, and LR χ² is that
    of least squares on the 25 distinct columns (was p = 50: 0.710 for 0.855)."""
    rng = np.random.default_rng(0)
    Z = rng.standard_normal((70, 25))
    X = np.column_stack([Z, Z])
    y = Z[:, :5] @ np.array([3, -2, 2, 1.5, -1.0]) + rng.standard_normal(70)
    lr, _ = _lstsq_lr(Z, y)
    h = heuristic_shrinkage("regression", _none("regression", X, y), X, y)
    assert (h["p"], h["p_columns"], h["undefined"]) == (25, 50, None)
    assert h["lr_chi2"] == pytest.approx(lr, rel=1e-8)
    assert h["value"] == pytest.approx((lr - 25) / lr, rel=1e-8)


def test_duplicated_columns_past_the_rows_still_interpolate():
    """45 rows, 44 distinct columns each twice: rank 44, rank + 1 = n."""
    rng = np.random.default_rng(1)
    Z = rng.standard_normal((45, 44))
    X = np.column_stack([Z, Z])
    y = Z[:, 0] + rng.standard_normal(45)
    assert _lstsq_lr(Z, y)[1] < 1e-20
    h = heuristic_shrinkage("regression", _none("regression", X, y), X, y)
    assert h["undefined"] == "interpolates" and h["p"] == 44 and np.isnan(h["value"])


def test_an_exact_linear_outcome_is_undefined():
    rng = np.random.default_rng(2)
    X = rng.standard_normal((50, 3))
    y = 1 + X @ np.array([2.0, -1.0, 0.5])
    h = heuristic_shrinkage("regression", _none("regression", X, y), X, y)
    assert h["undefined"] == "exact fit" and np.isnan(h["value"]) and h["lr_chi2"] == np.inf


def test_logistic_heuristic_agrees_with_an_independent_fit():
    rng = np.random.default_rng(3)
    X = rng.standard_normal((300, 4))
    y = (rng.random(300) < 1 / (1 + np.exp(-(X[:, 0] - X[:, 1])))).astype(float)
    sk = SkLogistic(C=np.inf, tol=1e-12, max_iter=10_000).fit(X, y)
    p1 = sk.predict_proba(X)[:, 1]
    ybar = y.mean()
    d_null = -2 * np.sum(y * np.log(ybar) + (1 - y) * np.log(1 - ybar))
    d_model = -2 * np.sum(y * np.log(p1) + (1 - y) * np.log(1 - p1))
    lr = d_null - d_model
    h = heuristic_shrinkage("classification", _none("classification", X, y), X, y)
    assert h["undefined"] is None and h["p"] == 4
    assert h["lr_chi2"] == pytest.approx(lr, rel=1e-5)
    assert h["value"] == pytest.approx((lr - 4) / lr, rel=1e-5)


def test_separated_classes_are_undefined():
    """120 rows, 3 features, y = 1[x0 > 0]: no maximum-likelihood fit (0.976 was shown)."""
    rng = np.random.default_rng(0)
    X = rng.standard_normal((120, 3))
    y = (X[:, 0] > 0).astype(float)
    h = heuristic_shrinkage("classification", _none("classification", X, y), X, y)
    assert h["undefined"] == "separated" and np.isnan(h["value"])
    assert "separated" in h["reason"]


def test_separation_linear_program():
    """Constructed cases: complete, quasi-complete (ties on the boundary), overlap;
    three classes; and the fallback on the fitted predictor past the size limit."""
    from shrinkage.explain.validation import separation

    rng = np.random.default_rng(4)
    X = rng.standard_normal((200, 5))
    y = (X[:, 0] > 0).astype(int)
    assert separation(X, y, 2)
    Xq, yq = X.copy(), y.copy()
    Xq[:6, 0], yq[:6] = 0.0, [0, 1, 0, 1, 0, 1]  # tied rows of both classes at x0 = 0
    assert separation(Xq, yq, 2)
    noisy = (X[:, 0] + rng.standard_normal(200) > 0).astype(int)
    assert not separation(X, noisy, 2)
    three = np.digitize(X[:, 0], [-0.5, 0.5])
    assert separation(X, three, 3)
    assert not separation(X, rng.integers(0, 3, 200), 3)


def test_separation_past_the_program_size_uses_the_fitted_predictor(monkeypatch):
    from shrinkage.explain.validation import separation

    monkeypatch.setattr(validation, "SEPARATION_LP_ENTRIES", 10)
    rng = np.random.default_rng(5)
    X = rng.standard_normal((50, 2))
    y = (X[:, 0] > 0).astype(int)
    assert separation(X, y, 2, eta=X[:, 0])
    assert not separation(X, y, 2, eta=X[:, 1])
    assert not separation(X, y, 2)  # nothing to check: claim nothing


def test_multiclass_heuristic():
    from shrinkage.explain.multiclass import multiclass_heuristic

    rng = np.random.default_rng(6)
    X = rng.standard_normal((90, 3))
    X = np.column_stack([X, X[:, 0]])  # a duplicated column: rank 3 of 4
    y = rng.integers(0, 3, 90)
    h = multiclass_heuristic(X, y, 3, 50.0)
    assert (h["p"], h["rank"], h["undefined"]) == (6, 3, None)
    assert h["value"] == pytest.approx((50 - 6) / 50)
    separated = np.digitize(X[:, 0], [-0.5, 0.5])
    assert multiclass_heuristic(X, separated, 3, 50.0)["undefined"] == "separated"
    wide = rng.standard_normal((60, 100))
    h = multiclass_heuristic(wide, rng.integers(0, 3, 60), 3, 50.0)
    assert h["undefined"] == "interpolates" and np.isnan(h["value"]) and h["p"] == 59 * 2


def test_recommendation_never_says_little_overfitting_for_an_interpolating_fit():
    """The bootstrap-corrected slope of an interpolating fit was 1.000 on 45 × 200:
    the recommendation read "Little overfitting to correct"."""
    shrink = {
        "value": float("nan"),
        "undefined": "interpolates",
        "reason": validation.undefined_reason(
            "interpolates", n=45, p=44, columns=200, task="regression"
        ),
    }
    rows = {
        m: {"cv_repeated": {"metric": "mse", "mean": 1.0 + k, "se": 0.1, "repeats": 1,
                            "folds": 5}, "n_nonzero": 5}
        for k, m in enumerate(("L1", "L2", "none"))
    }  # fmt: skip
    rows["none"]["validation"] = {"slope_corrected": 1.0001}
    lines = recommend.recommend("regression", rows, [], {}, {}, None, {}, shrink, 200)
    text = " ".join(lines)
    assert "Little overfitting" not in text
    assert "interpolates the training rows" in text and "overfitting is maximal" in text


def test_compare_reports_an_interpolating_fit(tmp_path):
    """End to end on 60 × 200: summary.json holds no number, and the report and the
    recommendation say the fit interpolates."""
    rng = np.random.default_rng(0)
    X = rng.standard_normal((60, 200))
    y = X[:, :5] @ np.array([3, -2, 2, 1.5, -1.0]) + rng.standard_normal(60)
    data = Dataset(X, y, [f"x{j}" for j in range(200)], "y", "regression", "wide", name="w")
    out = tmp_path / "out"
    summary = compare(data, out, progress=False, repeats=1, bootstrap=5, subsamples=5, n_jobs=1)
    stored = json.loads((out / "summary.json").read_text())
    assert stored["heuristic_shrinkage"] is None
    assert stored["heuristic_shrinkage_detail"]["undefined"] == "interpolates"
    text = " ".join(summary["recommendation"])
    page = (out / "report.html").read_text(encoding="utf-8")
    for words in (text, page):
        assert "interpolates the training rows" in words
        assert "Little overfitting" not in words
    assert (
        "Heuristic shrinkage (van Houwelingen &amp; le Cessie) of the unpenalized fit: "
        "undefined." in page
    )


def test_wide_poisson_is_undefined(tmp_path):
    """The GLM report: 60 counts × 200 features read 0.0725 (quasi-Poisson 0.99999)."""
    rng = np.random.default_rng(0)
    X = rng.standard_normal((60, 200))
    y = rng.poisson(np.exp(0.5 + 0.3 * X[:, 0])).astype(float)
    data = Dataset(X, y, [f"x{j}" for j in range(200)], "y", "poisson", "wide", name="wp")
    s = compare(data, tmp_path / "o", progress=False, repeats=1, bootstrap=5, subsamples=5)
    detail = s["heuristic_shrinkage_detail"]
    rank = np.linalg.matrix_rank(X[:45] - X[:45].mean(axis=0))  # 45 training rows
    assert detail["undefined"] == "interpolates" and detail["p"] == rank == 44
    assert np.isnan(detail["value"]) and np.isnan(detail["value_quasi_poisson"])
    assert any("interpolates the training rows" in line for line in s["recommendation"])
