"""What ``compare`` refuses, and how: a data argument that is not a Dataset, a ``cv`` or
``test_size`` the training rows cannot serve (refused before any fitting), and wide
data (more columns than rows), whose collinearity is an exact dependence."""

import numpy as np
import pandas as pd
import pytest

from shrinkage.datasets import Dataset
from shrinkage.explain import collinearity, compare, measure
from shrinkage.explain.family_procedure import inner_splits
from shrinkage.explain.procedure import (
    _candidates,
    _grids,
    _standardized,
    least_squares_procedure,
)
from shrinkage.explain.resample import refit
from shrinkage.solvers.moments import Moments


def _regression(n=200, p=5, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, p))
    y = X[:, 0] + rng.normal(size=n)
    return Dataset(X, y, [f"x{j}" for j in range(p)], "y", "regression", "synthetic")


@pytest.fixture
def no_fitting(monkeypatch):
    """Any fit is a failure: the refusals come before the work."""

    def refuse(*args, **kwargs):
        raise AssertionError("compare started fitting")

    monkeypatch.setattr(measure, "fit_models", refuse)


# -- defect 16: what compare takes --------------------------------------------------------
@pytest.mark.parametrize(
    "make, hint",
    [
        (lambda d: pd.DataFrame(d.X, columns=d.feature_names).assign(y=d.y), "read_data(frame"),
        (lambda d: "table.csv", "read_data(path"),
        (lambda d: (d.X, d.y), "Dataset(X, y"),
    ],
    ids=["DataFrame", "path", "X-y tuple"],
)
def test_anything_but_a_dataset_is_a_type_error_saying_how_to_make_one(tmp_path, make, hint):
    with pytest.raises(TypeError, match="needs a shrinkage.datasets.Dataset") as info:
        compare(make(_regression()), tmp_path / "out", progress=False)
    assert hint in str(info.value)
    assert not (tmp_path / "out").exists()


# -- defect 9: cv and test_size against the training rows ------------------------------------
@pytest.mark.parametrize("cv", [151, 500])
def test_more_folds_than_training_rows_is_refused_before_fitting(tmp_path, no_fitting, cv):
    with pytest.raises(ValueError, match=rf"cv={cv} folds but only 150 training rows") as info:
        compare(_regression(), tmp_path / "out", cv=cv, progress=False)
    assert "use cv <= 150" in str(info.value)
    assert not (tmp_path / "out").exists()


def test_test_size_leaving_too_few_training_rows_is_refused(tmp_path, no_fitting):
    with pytest.raises(ValueError, match=r"test_size=0.99 .*leaves 2 to train on") as info:
        compare(_regression(), tmp_path / "out", test_size=0.99, progress=False)
    assert "use test_size <= 0.95" in str(info.value)


@pytest.mark.parametrize(
    "options, message",
    [
        ({"cv": 1}, "cv must be an integer >= 2"),
        ({"cv": 2.5}, "cv must be an integer >= 2"),
        ({"test_size": 0.0}, "test_size must be a fraction"),
        ({"test_size": 1.0}, "test_size must be a fraction"),
        ({"test_size": "0.2"}, "test_size must be a fraction"),
    ],
)
def test_invalid_cv_and_test_size(tmp_path, no_fitting, options, message):
    with pytest.raises(ValueError, match=message):
        compare(_regression(), tmp_path / "out", progress=False, **options)


def test_compare_command_prints_the_refusal_as_one_line(tmp_path, capsys):
    from shrinkage.cli import main

    data = _regression()
    table = tmp_path / "base.csv"
    pd.DataFrame(data.X, columns=data.feature_names).assign(y=data.y).to_csv(table, index=False)
    out = str(tmp_path / "r")
    assert main(["compare", str(table), "--target", "y", "--out", out, "--cv", "500"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("shrinkage: error: cv=500 folds but only 150")
    assert "use cv <= 150" in err[0]


def test_as_many_folds_as_training_rows_runs(tmp_path):
    """cv = the training rows is leave-one-out; the resamples, with fewer distinct rows,
    use one fold per row (before: empty folds, 'cannot reshape array of size 0')."""
    summary = compare(
        _regression(n=40), tmp_path / "out", cv=30, progress=False,
        repeats=1, bootstrap=3, subsamples=3,
    )  # fmt: skip
    assert summary["n_train"] == 30 and summary["cv_folds"] == 30
    assert np.isfinite(summary["models"]["L1"]["cv_repeated"]["mean"])
    assert summary["models"]["L1"]["validation"]["B"] == 3


def test_resamples_with_fewer_rows_than_folds_use_one_fold_per_row():
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(12, 3)), rng.normal(size=12)
    weights = np.zeros(12)
    weights[[0, 3, 3, 5]] = [1.0, 2.0, 2.0, 1.0]  # 3 distinct rows
    fits = refit("regression", X, y, weights, 5, np.random.default_rng(1), ("L1", "none"))
    assert np.all(np.isfinite(fits["none"].coef))
    splits = inner_splits(np.array([4, 4, 7, 9, 9]), 5, np.random.default_rng(0))
    assert len(splits) == 3 and all(test.size for _, test in splits)


# -- defect 15: wide data ----------------------------------------------------------------------
def _wide(n=30, p=80, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, p))
    return (X - X.mean(axis=0)) / X.std(axis=0)


def test_wide_data_every_vif_is_infinite_and_said_so():
    """30 × 80: the centred columns span 29 dimensions, so each is a combination of the
    others. A determinant ratio in floating point gave 43 of them a finite 'GVIF' of
    round-off (1e12 and up) and a finite condition number."""
    X = _wide()
    names = [f"x{j}" for j in range(80)]
    groups, _ = collinearity.column_groups(names, None)
    gvif = collinearity.generalized_vif(X, groups)
    assert all(np.isinf(v["gvif"]) and np.isinf(v["gvif_adjusted"]) for v in gvif.values())
    d = collinearity.diagnose(X, names, None, np.zeros(80), np.zeros(80))
    assert d["rank"] == 29 and d["n_rows"] == 30 and d["n_design_columns"] == 80
    assert np.isinf(d["condition_number"]) and np.isinf(d["max_gvif"])
    assert d["dependent_columns"] == 80
    assert "linearly dependent" in d["note"] and "every column's VIF is infinite" in d["note"]


def test_a_column_outside_the_dependence_keeps_its_finite_vif():
    """20 multiples of one column u plus an independent column z, on 10 rows: z is not
    a combination of the others, and its VIF is 1/(1 − corr(u, z)²)."""
    rng = np.random.default_rng(1)
    u, z = rng.normal(size=10), rng.normal(size=10)
    X = np.column_stack([np.outer(u, rng.normal(size=20)), z])
    groups = {f"x{j}": [j] for j in range(21)}
    gvif = collinearity.generalized_vif(X, groups)
    assert all(np.isinf(gvif[f"x{j}"]["gvif"]) for j in range(20))
    assert gvif["x20"]["gvif"] == pytest.approx(1 / (1 - np.corrcoef(u, z)[0, 1] ** 2), rel=1e-9)
    d = collinearity.diagnose(X, list(groups), None, np.zeros(21), np.zeros(21))
    assert d["rank"] == 2 and "20 of the 21 columns have an infinite VIF" in d["note"]


def test_wide_procedure_ridge_is_exact_and_unpenalized_is_minimum_norm():
    """On 30 × 80 moments the ridge path (from a rank-29 factor, not a full eigh) solves
    (Gs + αI) b = qs, and the unpenalized fit is the minimum-norm least squares that
    Ridge(alpha=0) gives (before: a solve of the singular Gs, an interpolant of norm
    30 times as large)."""
    X = _wide()
    y = X[:, :3] @ np.array([2.0, -1.0, 0.5]) + np.random.default_rng(2).normal(size=30)
    moments = Moments.of_rows(X, y)
    none = least_squares_procedure([moments], ("none",))["none"]  # one fold: no CV
    expected = np.linalg.pinv(X - X.mean(axis=0)) @ (y - y.mean())  # columns of sd 1
    np.testing.assert_allclose(none.coef, expected, rtol=1e-7, atol=1e-9)
    _, _, Gs, qs, yy, _ = _standardized(moments)
    grids = _grids(qs)
    ridge = _candidates(("L2",), Gs, qs, yy, grids, moments.rows)["L2"]
    for k in (0, 20, 39):
        direct = np.linalg.solve(Gs + grids["L2"][k] * np.eye(80), qs)
        np.testing.assert_allclose(ridge[:, k], direct, rtol=1e-7, atol=1e-10)


def test_wide_compare_reports_the_dependence(tmp_path):
    rng = np.random.default_rng(3)
    X = rng.normal(size=(40, 80))
    y = X[:, :3] @ np.array([2.0, -1.0, 0.5]) + rng.normal(size=40)
    data = Dataset(X, y, [f"x{j}" for j in range(80)], "y", "regression", "wide", name="wide")
    summary = compare(
        data, tmp_path / "out", cv=3, progress=False, repeats=1, bootstrap=3, subsamples=3
    )
    c = summary["collinearity"]
    assert c["rank"] == 29 and np.isinf(c["max_gvif"])
    assert any("linearly dependent" in line for line in summary["recommendation"])
    page = (tmp_path / "out" / "report.html").read_text()
    assert "linearly dependent" in page and "rank of the centred design" in page
