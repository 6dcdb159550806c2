"""``shrinkage compare``: the measurements against independent computations, the files,
and the report rendered in headless Chromium."""

import json
import os
import re
import shutil

import numpy as np
import pytest

from shrinkage.datasets import Dataset
from shrinkage.explain import compare
from shrinkage.explain.report import terminal_table
from shrinkage.io import read_data


@pytest.fixture(scope="module")
def regression_report(tmp_path_factory):
    rng = np.random.default_rng(1)
    n, p = 160, 8
    X = rng.normal(size=(n, p))
    X[:, 1] = X[:, 0] + 0.05 * rng.normal(size=n)  # a nearly collinear pair
    y = 3 * X[:, 0] + 2 * X[:, 3] + rng.normal(size=n)
    data = Dataset(X, y, [f"f{j}" for j in range(p)], "y", "regression", "synthetic", name="syn")
    out = tmp_path_factory.mktemp("reports") / "report"
    summary = compare(data, out, cv=4, progress=False)
    return summary, out


def test_files_written(regression_report):
    summary, out = regression_report
    assert (out / "report.html").stat().st_size > 10_000
    stored = json.loads((out / "summary.json").read_text())
    assert stored["models"]["L1"]["n_nonzero"] == summary["models"]["L1"]["n_nonzero"]
    for files in summary["figures"].values():
        for name in files.values():
            assert (out / name).stat().st_size > 1000
    assert not any(path.name.startswith(".") for path in out.parent.iterdir())


def test_rows_are_what_they_say(regression_report):
    summary, _ = regression_report
    rows = summary["models"]
    for row in rows.values():
        coef = np.array(list(row["coef"].values()))
        assert row["n_zero"] == int(np.sum(coef == 0))
        assert row["n_nonzero"] + row["n_zero"] == summary["n_features"]
    assert rows["L2"]["n_zero"] == 0  # ridge never makes an exact zero
    assert rows["L1"]["n_zero"] > 0
    l1 = np.array(list(rows["L1"]["coef"].values()))
    assert rows["L1"]["penalty_value"] == pytest.approx(np.abs(l1).sum())


def test_uniqueness_experiment(regression_report):
    summary, _ = regression_report
    u = summary["uniqueness"]
    last, first = u["lasso_split_copy_last"], u["lasso_split_copy_first"]
    assert sum(last) == pytest.approx(u["lasso_coef_before"], rel=1e-6)
    assert sum(first) == pytest.approx(u["lasso_coef_before"], rel=1e-6)
    assert last != pytest.approx(first)  # different solutions ...
    assert u["lasso_objective_gap"] < 1e-9  # ... with the same objective
    a, b = u["ridge_split"]
    assert a == pytest.approx(b, rel=1e-9)  # ridge: the even split, unique


def test_multicollinearity_and_wide_regime(regression_report):
    summary, _ = regression_report
    c = summary["collinearity"]
    assert set(c["most_correlated_pair"]["features"]) == {"f0", "f1"}
    assert c["max_gvif"] > 100
    assert c["columns"]["f0"] == pytest.approx(np.sqrt(c["gvif"]["f0"]))
    wide = summary["wide_regime"]
    assert wide["n_rows"] < wide["n_features"]
    assert wide["lasso_nonzero"] <= wide["n_rows"]
    assert wide["ridge_nonzero"] == wide["n_features"]


def test_geometry_solutions_respect_their_budgets(regression_report):
    g = regression_report[0]["geometry"]
    assert np.abs(g["lasso"]).sum() == pytest.approx(g["budget"], rel=1e-3)
    assert np.linalg.norm(g["ridge"]) == pytest.approx(g["budget"], rel=1e-3)


def test_classification_report(tmp_path):
    data = read_data("breast_cancer")
    summary = compare(
        data, tmp_path / "bc", cv=3, progress=False, repeats=2, bootstrap=10, subsamples=20
    )
    rows = summary["models"]
    assert rows["L1"]["n_zero"] > 0 and rows["L2"]["n_zero"] == 0
    assert 0.85 < rows["L2"]["held_out"]["accuracy"] <= 1.0
    u = summary["uniqueness"]  # the same argument holds for the logistic loss
    assert u["lasso_objective_gap"] < 1e-7
    assert u["ridge_split"][0] == pytest.approx(u["ridge_split"][1], rel=1e-5)


def test_summary_has_the_statistics(regression_report):
    summary, out = regression_report
    stored = json.loads((out / "summary.json").read_text())
    models = stored["models"]
    for name in ("L1", "L2", "elastic net", "relaxed lasso", "none"):
        row = models[name]
        assert set(row["coef_original_units"]) == set(row["coef"])
        cv = row["cv_repeated"]
        assert (cv["repeats"], cv["folds"], cv["metric"]) == (5, 4, "mse")
        assert cv["se"] > cv["se_naive"] > 0  # the correction only widens
        v = row["validation"]
        assert v["B"] == 200
        assert v["slope_apparent"] == pytest.approx(1.0) or name != "none"
        assert 0.5 < v["slope_corrected"] < 1.1
        assert {"intercept_corrected", "r2_corrected", "mse_corrected"} <= set(v)
    for name in ("L1", "elastic net"):
        freq = models[name]["selection_frequency"]
        assert set(freq) == set(models[name]["coef"])
        assert all(0 <= f <= 1 for f in freq.values())
        assert freq["f3"] == 1.0  # a strong signal is always selected
    best = min(models, key=lambda m: models[m]["cv_repeated"]["mean"])
    assert {c["b"] for c in stored["comparison"]} == {best}
    assert len(stored["comparison"]) == 4
    for c in stored["comparison"]:
        assert c["within_noise"] == (abs(c["mean_difference"]) < 2 * c["se"])
    assert 0 < stored["heuristic_shrinkage"] < 1
    assert stored["winners_curse"]["splits"] > 0


def test_coefficients_csv(regression_report):
    import csv

    summary, out = regression_report
    with open(out / "coefficients.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert rows[0]["feature"] == "(intercept)"
    by_feature = {r["feature"]: r for r in rows[1:]}
    l1 = summary["models"]["L1"]
    for name, value in l1["coef"].items():
        cell = by_feature[name]["L1 (standardized)"]
        assert (cell == "0") if value == 0 else float(cell) == pytest.approx(value)
        assert float(by_feature[name]["L1 (original units)"]) == pytest.approx(
            l1["coef_original_units"][name]
        )


def test_categorical_columns_do_not_make_collinearity(tmp_path):
    """A Hitters-like table: the one-hot levels of League sum to 1; the diagnosis and the
    recommendation must not report that as collinearity."""
    rng = np.random.default_rng(3)
    n = 150
    hits = rng.poisson(100, n).astype(float)
    frame = {
        "Hits": hits,
        "CHits": hits * rng.uniform(3, 12, n),
        "Walks": rng.poisson(40, n).astype(float),
        "Years": rng.integers(1, 20, n).astype(float),
        "League": rng.choice(["A", "N"], n),
        "Division": rng.choice(["E", "W"], n),
        "NewLeague": rng.choice(["A", "N"], n),
    }
    frame["Salary"] = (
        3 * frame["Hits"]
        + 0.2 * frame["CHits"]
        + 10 * (frame["Division"] == "W")
        + rng.normal(0, 60, n)
    )
    import pandas as pd

    path = tmp_path / "hitters.csv"
    pd.DataFrame(frame).to_csv(path, index=False)
    data = read_data(path, target="Salary")
    summary = compare(
        data, tmp_path / "out", progress=False, repeats=2, bootstrap=20, subsamples=20
    )
    c = summary["collinearity"]
    assert np.isfinite(c["max_gvif"]) and c["max_gvif"] < 10
    assert c["df"]["League"] == 1 and set(c["columns"]) == set(frame) - {"Salary"}
    for line in summary["recommendation"]:  # never a pair the encoding made
        # Whole names: "NewLeague=N" is another column, not a level of League.
        levels = set(re.findall(r"(?<![\w=])League=[AN]\b", line))
        assert levels != {"League=A", "League=N"}
        assert "Strong multicollinearity" not in line
    pair = c.get("most_correlated_pair")
    assert pair is None or pair["columns"][0] != pair["columns"][1]


def test_existing_folder_is_kept_without_force(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "mine.txt").write_text("keep me")
    data = read_data("diabetes")
    with pytest.raises(ValueError, match="force=True"):  # the keyword, not the CLI flag
        compare(data, out, progress=False)
    assert (out / "mine.txt").read_text() == "keep me"


def _browser():
    webdriver = pytest.importorskip("selenium.webdriver")
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    binary = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    if not (binary and driver):
        if os.environ.get("CI"):
            pytest.fail("CI must install chromium and chromium-driver (see .ci/run).")
        pytest.skip("headless Chromium is not installed")
    options = Options()
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"):
        options.add_argument(flag)
    options.binary_location = binary
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service(driver), options=options)


def test_report_renders_in_headless_chromium(regression_report):
    _, out = regression_report
    browser = _browser()
    try:
        browser.get((out / "report.html").as_uri())
        images = browser.execute_script(
            "return Array.from(document.images).map(i => [i.complete, i.naturalWidth]);"
        )
        errors = [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]
        title = browser.title
        browser.set_window_size(390, 844)  # a phone
        overflow = browser.execute_script(
            "return document.documentElement.scrollWidth > window.innerWidth + 1;"
        )
    finally:
        browser.quit()
    assert "L1 vs L2" in title
    assert len(images) >= 5
    assert all(complete and width > 0 for complete, width in images)
    assert errors == []
    assert not overflow  # tables scroll inside their box; the page does not


def test_coefficient_table_sorts_and_filters_in_chromium(regression_report):
    summary, out = regression_report
    browser = _browser()
    try:
        browser.get((out / "report.html").as_uri())
        first = (
            "return Array.from(document.querySelectorAll('#coef-table tbody tr'))"
            ".filter(r => r.style.display !== 'none').map(r => r.cells[0].textContent);"
        )
        header = browser.find_elements("css selector", "#coef-table thead th")
        l1_column = [h.text for h in header].index("L1 (std.)")
        header[l1_column].click()  # ascending
        ascending = browser.execute_script(first)
        header[l1_column].click()  # descending
        descending = browser.execute_script(first)
        box = browser.find_element("id", "coef-filter")
        box.send_keys("f3")
        filtered = browser.execute_script(first)
        box.clear()
        box.send_keys("x")  # a character no feature has... then clear again
        nothing = browser.execute_script(first)
        errors = [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    finally:
        browser.quit()
    coef = summary["models"]["L1"]["coef"]
    assert ascending == sorted(coef, key=lambda f: coef[f])
    assert descending == sorted(coef, key=lambda f: -coef[f])
    assert filtered == ["f3"]
    assert nothing == []
    assert errors == []


def test_report_needs_no_network(regression_report):
    html = (regression_report[1] / "report.html").read_text()
    assert "http://" not in html and "https://" not in html
    assert html.count("data:image/png;base64,") >= 5


def test_multiclass_report(tmp_path):
    data = read_data("wine")
    assert data.task == "classification" and len(data.classes) == 3
    summary = compare(
        data, tmp_path / "wine", cv=3, progress=False, repeats=1, bootstrap=4, subsamples=6
    )
    rows = summary["models"]
    assert set(rows) == {"L1", "L2", "elastic net", "none"}
    for row in rows.values():
        assert set(row["coef_original_units"]) == set(data.classes)
        assert row["cv_repeated"]["metric"] == "log_loss"
        assert row["validation"]["B"] == 4
    assert rows["L1"]["n_zero"] > 0 and rows["L2"]["n_zero"] == 0
    assert rows["L2"]["held_out"]["accuracy"] > 0.85
    assert len(summary["comparison"]) == 3
    assert (tmp_path / "wine" / "coefficients.csv").exists()
    page = (tmp_path / "wine" / "report.html").read_text()
    assert "3 classes" in page and "winner&#x27;s curse" in page.lower()
    for row in rows.values():
        v = row["validation"]
        assert 0 <= v["calibration_slope_B_finite"] <= v["B_used"]
        assert "calibration_slope" in row["held_out"]
    for m in ("L1", "L2", "elastic net"):
        assert rows[m]["alpha_1se"] >= rows[m]["alpha"] > 0
    assert set(summary["figures"]) >= {"paths", "stability", "repeated_cv"}
    assert set(rows["elastic net"]["selection_frequency"]) == set(rows["L1"]["selection_frequency"])
    uniq = summary["uniqueness"]
    # Ridge splits a duplicated column's weight evenly; the lasso's split follows the order.
    assert uniq["ridge_split"][0] == pytest.approx(uniq["ridge_split"][1], rel=1e-3)
    assert uniq["lasso_split_copy_last"] != pytest.approx(uniq["lasso_split_copy_first"], rel=1e-2)
    assert "calibration slope" in terminal_table(summary)


def test_tiny_data(tmp_path):
    rng = np.random.default_rng(8)
    X = rng.normal(size=(24, 3))
    y = X[:, 0] + 0.5 * rng.normal(size=24)
    data = Dataset(X, y, ["a", "b", "c"], "y", "regression", "tiny", name="tiny")
    summary = compare(data, tmp_path / "tiny", cv=3, progress=False, bootstrap=20, subsamples=10)
    assert summary["n_train"] == 18
    assert np.isfinite(summary["models"]["L1"]["cv_repeated"]["mean"])
    assert (tmp_path / "tiny" / "report.html").exists()


def test_single_feature_regression(tmp_path):
    """One feature: the ridge grid comes from a 1x1 covariance (numpy's np.cov of one
    column is 0-d, which eigvalsh refused); the report is written and L2 keeps the
    weight."""
    rng = np.random.default_rng(18)
    x = rng.normal(size=120)
    y = x + 0.5 * rng.normal(size=120)
    data = Dataset(x[:, None], y, ["only"], "y", "regression", "one", name="one")
    summary = compare(data, tmp_path / "one", progress=False, repeats=1, bootstrap=3, subsamples=3)
    assert summary["models"]["L2"]["n_zero"] == 0
    assert (tmp_path / "one" / "report.html").exists()


def _with_nan(parts):
    parts["X"] = parts["X"].copy()
    parts["X"][5, 1] = np.nan


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (_with_nan, "NaN or infinite values \\(columns \\['b'\\]\\)"),
        (lambda parts: parts.update(y=parts["y"] + 1), "K-1 \\(got labels \\[1, 2\\]"),
        (lambda parts: parts.update(feature_names=["a", "b"]), "has 2 names for 3 columns"),
        (lambda parts: parts.update(task="classfication"), "task is 'classfication'"),
        (lambda parts: parts.update(X=parts["X"].tolist()), "2-D numeric NumPy array"),
    ],
    ids=["NaN in X", "labels 1/2", "short names", "task typo", "X a list"],
)
def test_hand_built_dataset_is_checked(tmp_path, change, message):
    """A NaN column was dropped as 'constant'; labels 1/2 broke the class counts; a
    short name list broke a zip; a task typo ran half a classification."""
    rng = np.random.default_rng(3)
    X = rng.normal(size=(60, 3))
    parts = {
        "X": X,
        "y": (X[:, 0] > 0).astype(int),
        "feature_names": ["a", "b", "c"],
        "task": "classification",
    }
    change(parts)
    data = Dataset(
        parts["X"], parts["y"], parts["feature_names"], "y", parts["task"], "hand", name="h"
    )
    with pytest.raises(ValueError, match=message):
        compare(data, tmp_path / "out", progress=False)
    assert not (tmp_path / "out").exists()


def test_compare_command_resampling_flags(tmp_path, capsys):
    from shrinkage.cli import main

    out = tmp_path / "report"
    argv = ["compare", "--out", str(out), "--cv", "3", "--repeats", "2", "--bootstrap", "7"]
    assert main(argv + ["--n-jobs", "1"]) == 0
    captured = capsys.readouterr()
    assert "optimism bootstrap" in captured.err and "resamples: 7/7" in captured.err
    stored = json.loads((out / "summary.json").read_text())
    assert stored["models"]["L1"]["cv_repeated"]["repeats"] == 2
    assert stored["models"]["L1"]["validation"]["B"] == 7
    assert (out / "coefficients.csv").exists()


def test_multiclass_is_refused_where_not_supported(tmp_path, capsys):
    from shrinkage.cli import main

    table = tmp_path / "three.csv"
    rng = np.random.default_rng(0)
    import pandas as pd

    pd.DataFrame({"x": rng.normal(size=30), "k": rng.choice(["a", "b", "c"], 30)}).to_csv(
        table, index=False
    )
    assert main(["fit", str(table), "--target", "k", "--out", str(tmp_path / "m.json")]) == 2
    assert "only `shrinkage compare`" in capsys.readouterr().err
